"""Checks template.yaml beyond what the linters check, and that it agrees with the local stack.

The linters accept misspelt enum values (ReportBatchItemFailure, provided.al2024); this asserts
the exact values. The local stack (moto, created by `ingestctl stack-init`) must have the same
stage queues, DLQs, redrive count, DLQ retention and upload notification as the template, so the
two cannot drift. Run with the local stack's env sourced (.stack/env).
"""
import json
import os
import sys

import boto3
from cfnlint.decode import decode

STAGES = ["parse", "chunk", "embed", "finalize"]
# shared/src/provision.rs MAX_RECEIVE_COUNT: the local stack and the template must agree.
MAX_RECEIVE_COUNT = 50
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def main(path):
    template, matches = decode(path)
    if matches:
        sys.exit(f"cannot read {path}: {matches}")
    res = template["Resources"]
    fn_globals = template["Globals"]["Function"]
    env = fn_globals["Environment"]["Variables"]
    lease = int(env["DOC_INGEST_LEASE_SECONDS"])
    check(lease >= 3, "DOC_INGEST_LEASE_SECONDS >= 3 (renewed every third)")
    check(int(env["DOC_INGEST_OUTAGE_BUDGET_SECONDS"]) >= 900, "the outage budget covers 15 minutes")
    check(int(env["DOC_INGEST_MAX_TRIES"]) >= 1, "DOC_INGEST_MAX_TRIES >= 1")
    check(fn_globals.get("Runtime") == "provided.al2023", "Runtime is provided.al2023")
    check(fn_globals.get("Architectures") == ["arm64"], "Architectures is [arm64]")
    check(fn_globals.get("Handler") == "bootstrap", "Handler is bootstrap")
    check(fn_globals.get("LoggingConfig", {}).get("LogFormat") == "JSON", "LoggingConfig.LogFormat is JSON")

    expected = {}
    for stage in STAGES:
        name = stage.capitalize()
        fn = res[f"{name}Function"]
        props = fn["Properties"]
        check(fn.get("Metadata", {}).get("BuildMethod") == "rust-cargolambda", f"{name}Function builds with rust-cargolambda")
        check(fn["Metadata"].get("BuildProperties", {}).get("Binary") == stage, f"{name}Function builds the {stage} binary")
        check(props.get("CodeUri") == f"./functions/{stage}", f"{name}Function CodeUri is its crate")
        check(os.path.isfile(os.path.join(os.path.dirname(path) or ".", "functions", stage, "Cargo.toml")), f"functions/{stage} exists")
        events = list(props["Events"].values())
        check(len(events) == 1 and events[0]["Type"] == "SQS", f"{name}Function has one SQS event source")
        ev = events[0]["Properties"]
        check(ev.get("FunctionResponseTypes") == ["ReportBatchItemFailures"], f"{name}: FunctionResponseTypes is [ReportBatchItemFailures]")
        check("MaximumConcurrency" in ev.get("ScalingConfig", {}), f"{name}: ScalingConfig.MaximumConcurrency is set")
        queue = res[f"{name}Queue"]["Properties"]
        dlq = res[f"{name}DeadLetterQueue"]["Properties"]
        check(queue["VisibilityTimeout"] >= 6 * props["Timeout"], f"{name}Queue visibility >= 6 x the function timeout")
        # A lease is renewed while the function runs, so it need not outlast the timeout; it must
        # be shorter than the visibility timeout, so a deferred redelivery finds it ended.
        check(lease < queue["VisibilityTimeout"], f"{name}: lease < visibility timeout")
        expected[stage] = {
            "maxReceiveCount": int(queue["RedrivePolicy"]["maxReceiveCount"]),
            "dlq_retention": int(dlq["MessageRetentionPeriod"]),
        }
    # The redrive policy is the safety net behind the handler's own settling: it must outlast the
    # receives an outage budget spends (back-off capped at 300 s).
    budget = int(env["DOC_INGEST_OUTAGE_BUDGET_SECONDS"])
    receives_in_budget = 8 + max(0, budget - 681) // 300
    check(all(e["maxReceiveCount"] == MAX_RECEIVE_COUNT for e in expected.values()), f"maxReceiveCount is {MAX_RECEIVE_COUNT} everywhere")
    check(MAX_RECEIVE_COUNT > receives_in_budget, f"maxReceiveCount {MAX_RECEIVE_COUNT} outlasts the {receives_in_budget} receives of the outage budget")
    check(all(e["dlq_retention"] == 1209600 for e in expected.values()), "DLQ retention is 14 days")

    parse = res["ParseFunction"]["Properties"]
    deadline = int(parse["Environment"]["Variables"]["DOC_INGEST_LLAMAPARSE_DEADLINE_SECONDS"])
    check(deadline < parse["Timeout"], "parse: the LlamaParse deadline leaves time for the local fallback")

    sweeper = res["SweeperFunction"]
    sweeper_props = sweeper["Properties"]
    check(sweeper.get("Metadata", {}).get("BuildProperties", {}).get("Binary") == "sweeper", "SweeperFunction builds the sweeper binary")
    check(os.path.isfile(os.path.join(os.path.dirname(path) or ".", "functions", "sweeper", "Cargo.toml")), "functions/sweeper exists")
    sweeper_events = list(sweeper_props["Events"].values())
    check([e["Type"] for e in sweeper_events] == ["ScheduleV2"], "SweeperFunction runs on one schedule")
    check(sweeper_props.get("ReservedConcurrentExecutions") == 1, "one sweep at a time")
    sent_to = sweeper_props["Policies"][0]["Statement"][0]["Resource"]
    for stage in STAGES:
        for kind in ("Queue", "DeadLetterQueue"):
            check({"Fn::GetAtt": [f"{stage.capitalize()}{kind}", "Arn"]} in sent_to, f"the sweeper may send to the {stage} {kind}")

    bucket = res["UploadBucket"]["Properties"]
    qcs = bucket["NotificationConfiguration"]["QueueConfigurations"]
    check(len(qcs) == 2, "two queue notifications (created, removed)")
    check(sorted(q["Event"] for q in qcs) == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
          "creations and deletions under uploads/ notify the parse queue")
    notif = qcs[0]
    rules = notif["Filter"]["S3Key"]["Rules"]
    prefix = [r["Value"] for r in rules if r["Name"].lower() == "prefix"]
    check(prefix == ["uploads/"], "notification prefix is uploads/")
    check(all(q["Queue"] == {"Fn::GetAtt": ["ParseQueue", "Arn"]} for q in qcs), "both go to the parse queue")

    # The read side: a JWT authorizer in front, the reader's secret only, uploads only.
    search = res["SearchFunction"]
    sp = search["Properties"]
    check(search.get("Metadata", {}).get("BuildProperties", {}).get("Binary") == "search", "SearchFunction builds the search binary")
    check(os.path.isfile(os.path.join(os.path.dirname(path) or ".", "functions", "search", "Cargo.toml")), "functions/search exists")
    api = res["SearchApi"]["Properties"]["Auth"]
    jwt = api["Authorizers"][api["DefaultAuthorizer"]]
    check("JwtConfiguration" in jwt and jwt.get("IdentitySource") == "$request.header.Authorization", "the search API's default authorizer validates JWTs")
    routes = sorted((e["Properties"]["Method"], e["Properties"]["Path"]) for e in sp["Events"].values())
    check(routes == [("GET", "/search"), ("POST", "/search"), ("POST", "/uploads")], f"search routes {routes}")
    check(sp["Environment"]["Variables"].get("DOC_INGEST_DATABASE_SECRET_ARN") == "", "the search function has no writer secret")
    check("DOC_INGEST_READER_DATABASE_SECRET_ARN" in sp["Environment"]["Variables"], "the search function reads as the reader")
    statements = sp["Policies"][0]["Statement"]
    secrets = [s for s in statements if "secretsmanager:GetSecretValue" in s["Action"]]
    check(all({"Ref": "DatabaseSecretArn"} not in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]) for s in secrets),
          "the search function may not read the pipeline's secret")
    s3_actions = sorted(a for s in statements for a in s["Action"] if a.startswith("s3:"))
    check(s3_actions == ["s3:PutObject"], f"the search function only signs uploads: {s3_actions}")
    check(res["UploadBucket"].get("DependsOn") == "ParseQueuePolicy", "the bucket waits for the queue policy")

    # The local stack, as `ingestctl stack-init` built it.
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        sys.exit("AWS_ENDPOINT_URL is not set: source .stack/env (scripts/stack.sh up) first")
    sqs = boto3.client("sqs", endpoint_url=endpoint)
    s3 = boto3.client("s3", endpoint_url=endpoint)
    for stage in STAGES:
        url = os.environ[f"DOC_INGEST_{stage.upper()}_QUEUE_URL"]
        dlq_url = os.environ[f"DOC_INGEST_{stage.upper()}_DLQ_URL"]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        redrive = json.loads(attrs["RedrivePolicy"])
        dlq_attrs = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["All"])["Attributes"]
        check(redrive["deadLetterTargetArn"] == dlq_attrs["QueueArn"], f"local {stage} queue redrives to its DLQ")
        check(int(redrive["maxReceiveCount"]) == expected[stage]["maxReceiveCount"], f"local {stage} maxReceiveCount matches the template")
        check(int(dlq_attrs["MessageRetentionPeriod"]) == expected[stage]["dlq_retention"], f"local {stage} DLQ retention matches the template")
    conf = s3.get_bucket_notification_configuration(Bucket=os.environ["DOC_INGEST_BUCKET"])
    local = conf.get("QueueConfigurations", [])
    check(len(local) == 1, "local bucket has one queue notification")
    if local:
        parse_arn = sqs.get_queue_attributes(QueueUrl=os.environ["DOC_INGEST_PARSE_QUEUE_URL"], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        check(local[0]["QueueArn"] == parse_arn, "local notification goes to the parse queue")
        check(sorted(local[0]["Events"]) == sorted(q["Event"] for q in qcs), "local notification events match the template")
        local_rules = local[0].get("Filter", {}).get("Key", {}).get("FilterRules", [])
        check([r["Value"] for r in local_rules if r["Name"].lower() == "prefix"] == prefix, "local notification prefix matches the template")

    if failures:
        print("template check FAILED:")
        for f in failures:
            print(f"  - {f}")
        sys.exit(1)
    print(f"template check: {path} is consistent and agrees with the local stack (4 stages, 4 DLQs, notification {prefix[0]})")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "template.yaml")
