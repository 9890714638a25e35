//! `ingestctl bench`: end-to-end time per document and the framework's own overhead per message
//! (claim + complete + send), as a baseline later changes compare against.

use crate::ingest::{follow, upload};
use doc_ingest::runner::{Runner, RunnerOptions};
use doc_ingest::{Context, Stage};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

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

pub async fn run(ctx: Arc<Context>, paths: &[PathBuf], rounds: usize) -> anyhow::Result<()> {
    let running = Runner::new(ctx.clone(), RunnerOptions::default()).start();
    ctx.metrics.take_overhead();
    let mut e2e: Vec<(String, Vec<Duration>)> = paths.iter().map(|p| (p.display().to_string(), vec![])).collect();
    for round in 0..rounds {
        // One document at a time: end-to-end times without queueing behind each other.
        for (i, p) in paths.iter().enumerate() {
            let u = upload(&ctx, p, "bench").await?;
            let ids = follow(&ctx, std::slice::from_ref(&u), Duration::from_secs(120), false).await?;
            let Some(id) = ids[0] else { anyhow::bail!("{} never appeared", p.display()) };
            let row = ctx
                .db
                .get()
                .await?
                .query_one(
                    "SELECT state::text, (extract(epoch FROM (finished_at - created_at)) * 1e6)::bigint
                     FROM upload_jobs WHERE document_id = $1",
                    &[&id],
                )
                .await?;
            let status: String = row.get(0);
            anyhow::ensure!(status == "done", "{} ended {status} in round {round}", p.display());
            e2e[i].1.push(Duration::from_micros(row.get::<_, i64>(1) as u64));
        }
    }
    running.stop().await;

    println!("end-to-end per document (S3 notification received → done), {rounds} rounds:");
    for (name, mut times) in e2e {
        times.sort();
        println!("  {name:<48} p50 {:>10}  max {:>10}", fmt(percentile(&times, 50.0)), fmt(*times.last().unwrap()));
    }
    let overhead = ctx.metrics.take_overhead();
    println!("framework overhead per message (claim + complete + send), {} messages:", overhead.len());
    let mut all: Vec<Duration> = overhead.iter().map(|(_, d)| *d).collect();
    all.sort();
    println!("  {:<10} p50 {:>10}  p95 {:>10}", "all", fmt(percentile(&all, 50.0)), fmt(percentile(&all, 95.0)));
    for stage in Stage::ALL {
        let mut ds: Vec<Duration> = overhead.iter().filter(|(s, _)| *s == stage).map(|(_, d)| *d).collect();
        ds.sort();
        println!(
            "  {:<10} p50 {:>10}  p95 {:>10}",
            stage.as_str(),
            fmt(percentile(&ds, 50.0)),
            fmt(percentile(&ds, 95.0))
        );
    }
    Ok(())
}
