//! `ingestctl bench`: end-to-end time per document, and the framework's overhead per message.
//!
//! One definition for every stage: **framework overhead = the handler's time for one message −
//! the stage's own `run`** (its reads, its work and its commit with the transition). The
//! handler's time is what a Lambda invocation pays: decoding, loading the job, the claim, the
//! lease heartbeat, the next stage's SendMessage. Receiving and deleting are the event source
//! mapping's work in AWS and are reported apart. The bench drives each stage itself, one message
//! at a time, so nothing queues behind anything else; end to end starts at the job row.

use crate::ingest::upload;
use aws_lambda_events::sqs::SqsEvent;
use doc_ingest::Context;
use doc_ingest::db::jobs::Lease;
use doc_ingest::db::reports;
use doc_ingest::framework::{AnyStage, Delivery, Registry, Stage, Work, handle_batch};
use doc_ingest::pipeline::{INTAKE, StageSpec};
use doc_ingest::runner::to_lambda_message;
use doc_ingest::{StageError, StageResult};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Runs = Arc<Mutex<Vec<Duration>>>;

/// A registered stage with its `run` timed; the bench's own instrument, not production code.
struct Timed {
    inner: Arc<dyn AnyStage>,
    runs: Runs,
}

impl Stage for Timed {
    fn spec(&self) -> &'static StageSpec {
        self.inner.spec()
    }

    async fn intake(&self, ctx: &Context, delivery: &Delivery) -> StageResult<Vec<Work>> {
        self.inner.intake(ctx, delivery).await
    }

    async fn run(&self, ctx: &Context, lease: &Lease) -> Result<(), StageError> {
        let started = Instant::now();
        let result = self.inner.run(ctx, lease).await;
        self.runs.lock().unwrap_or_else(|p| p.into_inner()).push(started.elapsed());
        result
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn fmt(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[derive(Default)]
struct StageTimes {
    handler: Vec<Duration>,
    run: Vec<Duration>,
    overhead: Vec<Duration>,
    receive_delete: Vec<Duration>,
}

/// Receives the next message of a stage's queue (waiting for it), hands it alone to the
/// handler, deletes it; returns (handler time, receive + delete time).
async fn drive_one(ctx: &Context, stage: &dyn AnyStage) -> anyhow::Result<(Duration, Duration)> {
    let url = ctx.config.queues.url(stage.spec().name)?.to_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let received = Instant::now();
        let out = ctx
            .sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(1)
            .wait_time_seconds(1)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await?;
        let receive_time = received.elapsed();
        let Some(m) = out.messages.unwrap_or_default().into_iter().next() else {
            anyhow::ensure!(Instant::now() < deadline, "no {} message arrived", stage.spec().name);
            continue;
        };
        if m.body().is_some_and(|b| b.contains("s3:TestEvent")) {
            ctx.sqs.delete_message().queue_url(&url).set_receipt_handle(m.receipt_handle).send().await?;
            continue;
        }
        let mut event = SqsEvent::default();
        event.records.push(to_lambda_message(&m, &url));
        let started = Instant::now();
        let response = handle_batch(ctx, stage, event).await;
        let handler = started.elapsed();
        anyhow::ensure!(response.batch_item_failures.is_empty(), "{} failed a message", stage.spec().name);
        let deleting = Instant::now();
        ctx.sqs.delete_message().queue_url(&url).set_receipt_handle(m.receipt_handle).send().await?;
        return Ok((handler, receive_time + deleting.elapsed()));
    }
}

pub async fn run(ctx: Arc<Context>, registry: Registry, paths: &[PathBuf], rounds: usize) -> anyhow::Result<()> {
    let stages: Vec<(Arc<dyn AnyStage>, Runs)> = registry
        .stages()
        .into_iter()
        .map(|inner| {
            let runs = Arc::new(Mutex::new(Vec::new()));
            (Arc::new(Timed { inner, runs: runs.clone() }) as Arc<dyn AnyStage>, runs)
        })
        .collect();
    anyhow::ensure!(stages.first().is_some_and(|(s, _)| s.spec().name == INTAKE.name), "the pipeline starts at intake");
    let mut per_stage: BTreeMap<usize, StageTimes> = BTreeMap::new();
    let mut e2e: Vec<(String, Vec<Duration>)> = paths.iter().map(|p| (p.display().to_string(), vec![])).collect();
    for round in 0..rounds {
        for (i, p) in paths.iter().enumerate() {
            let u = upload(&ctx, p, "bench").await?;
            for (n, (stage, runs)) in stages.iter().enumerate() {
                let before = runs.lock().unwrap_or_else(|p| p.into_inner()).len();
                let (handler, receive_delete) = drive_one(&ctx, &**stage).await?;
                let run = runs.lock().unwrap_or_else(|p| p.into_inner()).get(before).copied().unwrap_or_default();
                let t = per_stage.entry(n).or_default();
                t.handler.push(handler);
                t.run.push(run);
                t.overhead.push(handler.saturating_sub(run));
                t.receive_delete.push(receive_delete);
            }
            let bucket = ctx.config.bucket.clone().unwrap_or_default();
            let db = ctx.db.get().await?;
            let (id, _) = reports::document_for_key(&**db, &bucket, &u.key)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no document"))?;
            let (state, micros) = reports::finished_job(&**db, id).await?;
            anyhow::ensure!(state == "done", "{} ended {state} in round {round}", p.display());
            e2e[i].1.push(Duration::from_micros(micros.unwrap_or(0).max(0) as u64));
        }
    }

    println!("end to end per document (job row created → done; stages driven one message at a time), {rounds} rounds:");
    for (name, mut times) in e2e {
        times.sort();
        println!("  {name:<48} p50 {:>10}  max {:>10}", fmt(percentile(&times, 50.0)), fmt(times[times.len() - 1]));
    }
    println!("per message, by stage (p50 / p95):");
    println!(
        "  {:<9} {:>21} {:>21} {:>21} {:>21}",
        "stage", "handler", "stage run", "framework overhead", "receive + delete"
    );
    let mut all = Vec::new();
    for (n, t) in per_stage.iter_mut() {
        let pair = |v: &mut Vec<Duration>| {
            v.sort();
            format!("{} / {}", fmt(percentile(v, 50.0)), fmt(percentile(v, 95.0)))
        };
        all.extend(t.overhead.iter().copied());
        println!(
            "  {:<9} {:>21} {:>21} {:>21} {:>21}",
            stages[*n].0.spec().name,
            pair(&mut t.handler),
            pair(&mut t.run),
            pair(&mut t.overhead),
            pair(&mut t.receive_delete)
        );
    }
    all.sort();
    println!(
        "  framework overhead, all stages: p50 {}  p95 {}  ({} messages)",
        fmt(percentile(&all, 50.0)),
        fmt(percentile(&all, 95.0)),
        all.len()
    );
    Ok(())
}
