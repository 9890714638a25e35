//! `ingestctl health`, `jobs` and `sweep`.

use crate::report::truncate;
use doc_ingest::Context;
use doc_ingest::ops::{health, sweeper};
use std::time::Duration;

fn age(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=119 => format!("{s}s"),
        120..=7199 => format!("{}m", s / 60),
        _ => format!("{}h", s / 3600),
    }
}

/// Prints the report; returns false when the pipeline is unhealthy.
pub async fn health(ctx: &Context) -> anyhow::Result<bool> {
    let h = health::check(ctx).await;
    println!("database     {}", h.database.as_deref().map_or("ok".to_owned(), |e| format!("UNREACHABLE: {e}")));
    println!();
    println!("{:<9} {:<6} {:>8} {:>9} {:>8} {:>12}", "stage", "queue", "visible", "in flight", "delayed", "oldest");
    for q in &h.queues {
        println!(
            "{:<9} {:<6} {:>8} {:>9} {:>8} {:>12}",
            q.stage,
            if q.dlq { "DLQ" } else { "main" },
            q.visible,
            q.in_flight,
            q.delayed,
            q.oldest_age.map_or("-".into(), age)
        );
    }
    println!();
    println!("open jobs by state (oldest waiting):");
    if h.open_jobs.is_empty() {
        println!("  none");
    }
    for (state, n, oldest) in &h.open_jobs {
        println!("  {:<17} {n:>6}  {}", state.as_str(), age(*oldest));
    }
    println!("stranded jobs: {}", h.stuck.len());
    for j in h.stuck.iter().take(10) {
        println!(
            "  {} {:<17} {:?} for {} (last lease holder {})",
            j.job_id,
            j.state.as_str(),
            j.why,
            age((chrono::Utc::now() - j.since).to_std().unwrap_or_default()),
            j.lease_owner.as_deref().unwrap_or("-")
        );
    }
    println!("vectors waiting for the HNSW index: {}", h.vector_backlog);
    println!("active embedding model: {}", h.active_model.as_deref().unwrap_or("none yet"));
    if let Some((model, covered, total)) = &h.model_switch {
        let pct = if *total > 0 { 100.0 * *covered as f64 / *total as f64 } else { 100.0 };
        println!("model switch to {model}: {covered}/{total} documents re-embedded ({pct:.0} %)");
    }
    println!();
    println!("execution environments seen in the last {}:", age(health::LIVE_WITHIN));
    if h.environments.is_empty() {
        println!("  none");
    }
    for e in &h.environments {
        let place = match (&e.log_stream, &e.host, e.pid) {
            (Some(stream), _, _) => truncate(stream, 40),
            (None, Some(host), Some(pid)) => format!("{host} pid {pid}"),
            _ => "-".to_owned(),
        };
        println!(
            "  {:<24} {:<40} {:<8} {:>6} MB  {:>7} invocations  last heartbeat {} ago",
            truncate(&e.function_name, 24),
            place,
            truncate(&e.function_version, 8),
            e.memory_mb.map_or("-".into(), |m| m.to_string()),
            e.invocations,
            age((chrono::Utc::now() - e.last_seen_at).to_std().unwrap_or_default())
        );
    }
    let problems = h.problems();
    println!();
    if problems.is_empty() {
        println!("healthy");
    } else {
        for p in &problems {
            println!("UNHEALTHY: {p}");
        }
    }
    Ok(problems.is_empty())
}

pub async fn jobs(ctx: &Context, state: &str, limit: i64) -> anyhow::Result<()> {
    let db = ctx.db.get().await?;
    if state == "stuck" || state == "stranded" {
        let cfg = &ctx.config.sweep;
        let stuck = sweeper::find_stuck(&**db, cfg.orphan_grace, cfg.stuck_after, limit).await?;
        println!(
            "{:<36} {:<36} {:<17} {:<9} {:>7} {:>8} {:>8}  last lease holder",
            "job id", "document id", "state", "why", "attempt", "requeues", "for"
        );
        for s in &stuck {
            println!(
                "{:<36} {:<36} {:<17} {:<9} {:>7} {:>8} {:>8}  {}",
                s.job_id,
                s.document_id,
                s.state.as_str(),
                format!("{:?}", s.why).to_lowercase(),
                s.attempt,
                s.requeues,
                age((chrono::Utc::now() - s.since).to_std().unwrap_or_default()),
                s.lease_owner.as_deref().unwrap_or("-")
            );
        }
        println!(
            "{} stranded job(s): running with a lease that ran out over {} ago, or ready and unmoved for {}",
            stuck.len(),
            age(cfg.orphan_grace),
            age(cfg.stuck_after)
        );
        return Ok(());
    }
    let state: doc_ingest::JobState = state.parse()?;
    let rows = doc_ingest::db::reports::jobs_in_state(&**db, state, limit).await?;
    println!("{:<36} {:<9} {:>7} {:>5} {:<20} {:<30} error", "job id", "stage", "attempt", "tries", "updated", "file");
    for r in &rows {
        println!(
            "{:<36} {:<9} {:>7} {:>5} {:<20} {:<30} {}",
            r.id,
            r.stage,
            r.attempt,
            r.tries,
            r.updated_at.format("%Y-%m-%d %H:%M:%S"),
            truncate(r.object_key.rsplit('/').next().unwrap_or(&r.object_key), 30),
            truncate(r.error.as_deref().unwrap_or_default(), 100)
        );
    }
    println!("{} job(s) {}", rows.len(), state);
    Ok(())
}

pub async fn sweep(ctx: &Context) -> anyhow::Result<()> {
    let r = sweeper::sweep(ctx).await?;
    if r.busy {
        println!("another sweep is running; nothing done");
        return Ok(());
    }
    for j in &r.requeued {
        println!("re-enqueued {} ({} since {})", j.job_id, j.state, j.since.format("%H:%M:%S"));
    }
    for j in &r.failed {
        println!("failed {} as stuck in {} since {}", j.job_id, j.state, j.since.to_rfc3339());
    }
    println!(
        "swept: {} re-enqueued, {} failed, {} moved on meanwhile; {} execution environment(s) pruned; {} vector(s) indexed, {} waiting",
        r.requeued.len(),
        r.failed.len(),
        r.skipped,
        r.pruned_environments,
        r.indexed_vectors,
        r.vector_backlog
    );
    for m in &r.dropped_spaces {
        println!("dropped the retired embedding space of {m}");
    }
    Ok(())
}

/// The whole backlog into the HNSW index, with progress (a bulk backfill, say).
pub async fn index(ctx: &Context) -> anyhow::Result<()> {
    let db = ctx.db.get().await?;
    let total = doc_ingest::ops::indexer::backlog(&**db).await?;
    let bar = indicatif::ProgressBar::new(total.max(0) as u64);
    bar.set_style(indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} vectors ({per_sec}, {eta} left)")?);
    let started = std::time::Instant::now();
    let mut done = 0u64;
    loop {
        let n = doc_ingest::ops::indexer::index_batch(&**db, doc_ingest::ops::indexer::BATCH).await?;
        if n == 0 {
            break;
        }
        done += n;
        bar.inc(n);
    }
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    println!("indexed {done} vector(s) in {secs:.1} s ({:.0} vectors/s)", done as f64 / secs.max(1e-9));
    Ok(())
}
