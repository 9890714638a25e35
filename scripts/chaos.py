"""The chaos suite: everyday production faults against the local stack, then proof that nothing
needed an operator.

A clean run first ingests the corpus with no faults and records each document's outcome and
fingerprint (its chunk hashes in order). Then the same corpus is ingested by several
`ingestctl run` processes (some delivering every message twice) while this script kills them
(SIGKILL, one at a time, and SIGTERM, all at once), stops PostgreSQL for 10, 30 and 120 s
(optionally 15 min), freezes moto (S3 and SQS) for 60 s and uploads every object again (a flood
of duplicate notifications; each re-upload is a new version of its key). At the end every key's
newest version must be done with the clean run's fingerprint (or failed with the clean run's
content error), older versions superseded, one vector per chunk, no job open, and no dead letter
but the content failures' (one per failed version).

Run with scripts/chaos.sh (it brings the stack up and builds ingestctl). Each run uses its own
databases, bucket and queues, so it does not disturb the stack's main ones.
"""
import argparse
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
INGESTCTL = ROOT / "target" / "debug" / "ingestctl"
STAGES = ["parse", "chunk", "embed", "finalize"]
# Short leases and sweeps, so that recovery fits in a few minutes (the template uses 60 s and
# 1 minute); the rules are the same.
FAST = {
    "DOC_INGEST_LEASE_SECONDS": "15",
    "DOC_INGEST_ORPHAN_GRACE_SECONDS": "10",
    "DOC_INGEST_STUCK_AFTER_SECONDS": "400",
    "RUST_LOG": "warn",
}
events = []
started = time.monotonic()


def log(msg):
    line = f"[chaos {time.monotonic() - started:7.1f}s] {msg}"
    events.append(line)
    print(line, flush=True)


def sh(*args, env=None, check=True):
    return subprocess.run([str(a) for a in args], env=env, check=check, capture_output=True, text=True)


def stack(cmd):
    sh(ROOT / "scripts" / "stack.sh", cmd)


class Env:
    """One database, bucket and set of queues on the local stack."""

    def __init__(self, name):
        self.name = name
        base = dict(os.environ)
        admin = base["DOC_INGEST_ADMIN_DATABASE_URL"]
        self.db_url = admin.rsplit("/", 1)[0] + f"/{name}"
        self.psql = Path(sh(ROOT / "scripts" / "stack.sh", "bin").stdout.strip()) / "psql"
        sh(self.psql, admin, "-qc", f"DROP DATABASE IF EXISTS {name}", "-c", f"CREATE DATABASE {name}")
        self.env = {k: v for k, v in base.items() if not k.startswith("DOC_INGEST_")}
        self.env.update(FAST)
        self.env["DATABASE_URL"] = self.db_url
        sh(INGESTCTL, "migrate", env=self.env)
        out = sh(INGESTCTL, "stack-init", "--bucket", name.replace("_", "-"), "--queue-prefix", name.replace("_", "-"),
                 "--visibility-timeout", "60", env=self.env).stdout
        for line in out.splitlines():
            k, v = line.split("=", 1)
            self.env[k] = v
        self.bucket = self.env["DOC_INGEST_BUCKET"]
        self.s3 = boto3.client("s3", endpoint_url=base["AWS_ENDPOINT_URL"])
        self.sqs = boto3.client("sqs", endpoint_url=base["AWS_ENDPOINT_URL"])
        self.runners = []
        # Queues outlive a run (moto keeps them): start from empty ones.
        for stage in STAGES:
            for kind in ("QUEUE", "DLQ"):
                self.sqs.purge_queue(QueueUrl=self.env[f"DOC_INGEST_{stage.upper()}_{kind}_URL"])

    def sql(self, query):
        out = sh(self.psql, self.db_url, "-qAt", "-F", "\t", "-c", query, check=False)
        if out.returncode != 0:
            return None
        return [line.split("\t") for line in out.stdout.splitlines() if line]

    def start_runner(self, duplicates=False):
        args = [INGESTCTL, "run", "--sweep-every", "10"] + (["--duplicate-deliveries"] if duplicates else [])
        p = subprocess.Popen([str(a) for a in args], env=self.env, stdout=subprocess.DEVNULL,
                             stderr=open(ROOT / "target" / f"chaos-runner-{len(self.runners)}.log", "a"))
        self.runners.append((p, duplicates))
        return p

    def upload(self, key, body):
        for attempt in range(60):
            try:
                self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)
                return
            except Exception as e:  # moto frozen: the upload waits, as a client would retry
                if attempt == 59:
                    raise
                time.sleep(2)

    def open_jobs(self):
        rows = self.sql("SELECT count(*) FROM upload_jobs WHERE state NOT IN ('done', 'failed', 'superseded', 'deleted')")
        return None if rows is None else int(rows[0][0])

    def outcomes(self):
        """key -> [(status, error class, fingerprint of the chunk hashes in order)], one per version,
        oldest first (an object uploaded again is a new version that supersedes the old)."""
        rows = self.sql(
            """SELECT d.object_key, d.status, coalesce(j.last_error_class, ''),
                      coalesce(string_agg(c.sha256, ',' ORDER BY c.ordinal), '')
               FROM documents d JOIN upload_jobs j ON j.document_id = d.id
               LEFT JOIN document_chunks c ON c.document_id = d.id
               GROUP BY d.object_key, d.sequence, d.id, d.status, j.last_error_class
               ORDER BY d.object_key, d.sequence""")
        out = {}
        for key, status, error, shas in rows or []:
            out.setdefault(key, []).append((status, error, hashlib.sha256(shas.encode()).hexdigest()[:16]))
        return out

    def depth(self, url):
        a = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                                                          "ApproximateNumberOfMessagesNotVisible"])
        return int(a["Attributes"]["ApproximateNumberOfMessages"]) + int(a["Attributes"]["ApproximateNumberOfMessagesNotVisible"])

    def stop_runners(self, sig=signal.SIGTERM):
        for p, _ in self.runners:
            if p.poll() is None:
                p.send_signal(sig)
        for p, _ in self.runners:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
        self.runners = []


def corpus(n_generated):
    """(key suffix, bytes, expected outcome class) for every document."""
    docs = []
    for path in sorted((ROOT / "samples").iterdir()):
        docs.append((path.name, path.read_bytes()))
    for name in ["policy.pdf", "two-column.pdf", "unicode-policy.pdf", "encrypted.pdf", "image-only.pdf", "corrupt.pdf"]:
        docs.append((name, (ROOT / "shared" / "fixtures" / "pdf" / name).read_bytes()))
    # The same policy cut short: damaged uploads must fail by name, not parse to a fraction.
    whole = (ROOT / "shared" / "fixtures" / "pdf" / "policy.pdf").read_bytes()
    docs.append(("policy-truncated.pdf", whole[: len(whole) // 2]))
    rng = random.Random(7)
    words = ("insurer insured premium excess claim buildings contents storm flood theft liability schedule "
             "endorsement policyholder cover limit exclusion condition period renewal damage loss").split()
    for i in range(n_generated):
        sections = []
        for s in range(1, rng.randint(3, 9)):
            paras = []
            for _ in range(rng.randint(2, 8)):
                paras.append(" ".join(rng.choice(words) for _ in range(rng.randint(40, 400))) + ".")
            sections.append(f"## {s} Section {s} of policy {i}\n\n" + "\n\n".join(paras))
        docs.append((f"policy-{i:03}.md", (f"# Policy {i}\n\n" + "\n\n".join(sections)).encode()))
    return docs


def wait_all_terminal(env, keys, timeout, label):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = env.sql("SELECT count(*) FILTER (WHERE status IN ('done', 'failed', 'superseded', 'deleted')), "
                       "count(*) FROM documents")
        if rows is not None:
            terminal, total = int(rows[0][0]), int(rows[0][1])
            if total >= len(keys) and terminal == total and env.open_jobs() == 0:
                return True
        time.sleep(2)
    log(f"{label}: NOT all terminal within {timeout} s")
    return False


def clean_run(docs):
    env = Env("chaos_clean")
    for _ in range(2):
        env.start_runner()
    keys = [f"uploads/chaos/{i:04}/{name}" for i, (name, _) in enumerate(docs)]
    for key, (_, body) in zip(keys, docs):
        env.upload(key, body)
    ok = wait_all_terminal(env, keys, 600, "clean run")
    env.stop_runners()
    if not ok:
        sys.exit("the clean run did not finish")
    return keys, env.outcomes()


class Faults(threading.Thread):
    """Injects the faults on a schedule while documents are being ingested."""

    def __init__(self, env, docs, keys, long_outage):
        super().__init__(daemon=True)
        self.env, self.docs, self.keys, self.long_outage = env, docs, keys, long_outage
        self.count = {}
        self.done_at = None

    def note(self, kind, what):
        self.count[kind] = self.count.get(kind, 0) + 1
        log(what)

    def kill_one(self, sig):
        alive = [(i, p, d) for i, (p, d) in enumerate(self.env.runners) if p.poll() is None]
        if not alive:
            return
        i, p, dup = random.choice(alive)
        p.send_signal(sig)
        p.wait()
        replacement = self.env.start_runner(dup)
        self.env.runners.pop()  # start_runner appended it; it takes slot i instead
        self.env.runners[i] = (replacement, dup)
        self.note("sigkill" if sig == signal.SIGKILL else "sigterm", f"{sig.name} runner {p.pid}, restarted")

    def pg_outage(self, seconds):
        stack("pg-stop")
        self.note("db_outage", f"PostgreSQL stopped for {seconds} s")
        self.sleep_killing(seconds)
        stack("pg-start")
        log("PostgreSQL back")

    def sleep_killing(self, seconds, every=15):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            time.sleep(min(every, max(0, end - time.monotonic())))
            if time.monotonic() < end:
                self.kill_one(signal.SIGKILL)

    def upload(self, part):
        pairs = list(zip(self.keys, self.docs))[part]
        for k, (_, b) in pairs:
            self.env.upload(k, b)
        return len(pairs)

    def run(self):
        third = len(self.docs) // 3
        log(f"uploaded {self.upload(slice(0, third))} documents")
        self.sleep_killing(20, every=5)
        # Uploads land while the database is down: their notifications wait out the outage.
        stack("pg-stop")
        self.note("db_outage", "PostgreSQL stopped for 10 s")
        log(f"uploaded {self.upload(slice(third, 2 * third))} documents during the outage")
        time.sleep(10)
        stack("pg-start")
        log("PostgreSQL back")
        self.sleep_killing(15, every=5)
        for p, _ in self.env.runners:
            p.send_signal(signal.SIGTERM)
        for p, _ in self.env.runners:
            p.wait()
        dups = [d for _, d in self.env.runners]
        self.env.runners = []
        for d in dups:
            self.env.start_runner(d)
        self.note("sigterm_all", "SIGTERM to every runner (drain), all restarted")
        stack("pg-stop")
        self.note("db_outage", "PostgreSQL stopped for 30 s")
        # The same bytes again at the same keys: duplicate notifications of known versions.
        n = self.upload(slice(0, 2 * third, 3))
        self.note("duplicate_flood", f"{n} objects uploaded again during the outage (duplicate notifications)")
        time.sleep(30)
        stack("pg-start")
        log("PostgreSQL back")
        log(f"uploaded the last {self.upload(slice(2 * third, None))} documents")
        stack("moto-freeze")
        self.note("moto_freeze", "moto (S3 + SQS) frozen for 60 s while they are processed")
        time.sleep(60)
        stack("moto-thaw")
        log("moto thawed")
        self.pg_outage(120)
        if self.long_outage:
            self.pg_outage(15 * 60)
        self.done_at = time.monotonic()
        log("last fault over")


def check(env, keys, clean, docs):
    problems = []
    got = env.outcomes()
    failed_versions = 0
    for key in keys:
        want = clean.get(key)
        have = got.get(key)
        if not have:
            problems.append(f"{key}: no document")
            continue
        # The newest version is the clean run's outcome; older ones (the flood's re-uploads come
        # later) were superseded, or failed for the same content reason.
        if have[-1] != want[0]:
            problems.append(f"{key}: {have[-1]} after chaos, {want[0]} in the clean run")
        for old in have[:-1]:
            if old[0] != "superseded" and old[:2] != want[0][:2]:
                problems.append(f"{key}: an older version ended {old}, expected superseded or {want[0][:2]}")
        failed_versions += sum(1 for v in have if v[0] == "failed")
    rows = env.sql(
        """SELECT count(*) FROM documents d
           WHERE d.status = 'done' AND (
             d.chunk_count <> (SELECT count(*) FROM document_chunks c WHERE c.document_id = d.id)
             OR d.chunk_count <> (SELECT count(*) FROM chunk_embeddings e
                                  WHERE e.document_id = d.id AND e.job_attempt = d.embedding_attempt)
             OR EXISTS (SELECT 1 FROM chunk_embeddings e
                        WHERE e.document_id = d.id AND e.job_attempt <> d.embedding_attempt))""")
    if rows[0][0] != "0":
        problems.append(f"{rows[0][0]} done documents whose chunks and vectors disagree")
    if env.open_jobs() != 0:
        problems.append(f"{env.open_jobs()} jobs still open")
    content_failures = sum(1 for k in keys if clean[k][0][0] == "failed")
    dlq = {s: env.depth(env.env[f"DOC_INGEST_{s.upper()}_DLQ_URL"]) for s in STAGES}
    if dlq["parse"] != failed_versions or any(dlq[s] for s in STAGES[1:]):
        problems.append(f"dead letters {dlq}; expected {failed_versions} (content failures, one per version) in parse only")
    queues = {s: env.depth(env.env[f"DOC_INGEST_{s.upper()}_QUEUE_URL"]) for s in STAGES}
    if any(queues.values()):
        problems.append(f"messages left in the stage queues: {queues}")
    return problems, content_failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--documents", type=int, default=150, help="generated documents besides samples and fixtures")
    ap.add_argument("--runners", type=int, default=4)
    ap.add_argument("--long-outage", action="store_true", help="also stop PostgreSQL for 15 minutes")
    args = ap.parse_args()
    random.seed(11)
    docs = corpus(args.documents)
    log(f"corpus: {len(docs)} documents")
    keys, clean = clean_run(docs)
    failures = sorted(k for k in keys if clean[k][0][0] == "failed")
    log(f"clean run: {len(keys) - len(failures)} done, {len(failures)} failed for their content "
        f"({', '.join(sorted({clean[k][0][1] for k in failures}))})")

    env = Env("chaos_run")
    for i in range(args.runners):
        env.start_runner(duplicates=(i % 2 == 1))
    faults = Faults(env, docs, keys, args.long_outage)
    t0 = time.monotonic()
    faults.start()
    faults.join()
    ok = wait_all_terminal(env, keys, 1800, "chaos run")
    t_all = time.monotonic()
    # Let re-sent and deferred copies settle before looking at the queues.
    deadline = time.monotonic() + 420  # the longest back-off (300 s) and a visibility timeout
    while time.monotonic() < deadline and any(env.depth(env.env[f"DOC_INGEST_{s.upper()}_QUEUE_URL"]) for s in STAGES):
        time.sleep(3)
    problems, content_failures = check(env, keys, clean, docs)
    env.stop_runners()
    print()
    print("chaos suite report")
    print(f"  documents            {len(keys)} ({len(keys) - content_failures} to be done, {content_failures} content failures)")
    print(f"  runners              {args.runners} (half delivering every message twice), sweeping every 10 s")
    print(f"  faults injected      " + ", ".join(f"{k} x{v}" for k, v in sorted(faults.count.items())))
    print(f"  all terminal         {t_all - t0:.0f} s after the first upload, "
          f"{t_all - faults.done_at:.0f} s after the last fault ended")
    print(f"  clean-run fingerprints equal: {'yes' if not any('clean run' in p for p in problems) else 'NO'}")
    if problems or not ok:
        print("FAILED:")
        for p in problems:
            print(f"  - {p}")
        sys.exit(1)
    print("  every document done (or failed for its content) with its clean-run fingerprint, one chunk set,")
    print("  one vector per chunk, no job open, dead letters only for the content failures: PASSED")


if __name__ == "__main__":
    main()
