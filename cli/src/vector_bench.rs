//! `ingestctl bench-vectors`: the embed stage's vector write path (binary COPY tagged with the
//! attempt, then the switch under the document's advisory lock) against a plain binary COPY of
//! the same rows on the same server in the same run, into a table without indexes and into one
//! of the same definition; then the deferred HNSW indexing of those vectors; and the embed stage's own cost per 256-vector batch with an
//! embedder that answers instantly (cold: every text new; warm: every text cached).

use anyhow::Context as _;
use doc_ingest::chunking::sha256_hex;
use doc_ingest::db::jobs::{Job, Lease};
use doc_ingest::embedding::{EmbedOutput, Embedder, LexicalEmbedder};
use doc_ingest::{Context, JobState, Stage, StageResult};
use futures::future::BoxFuture;
use futures::pin_mut;
use pgvector::Vector;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use uuid::Uuid;

/// Answers at once with precomputed-quality vectors, so only our own work is timed.
struct InstantEmbedder;

impl Embedder for InstantEmbedder {
    fn model(&self) -> &str {
        "bench-instant"
    }
    fn embed<'a>(&'a self, inputs: &'a [String]) -> BoxFuture<'a, StageResult<EmbedOutput>> {
        let v = LexicalEmbedder::embed_one("bench");
        Box::pin(async move { Ok(EmbedOutput { vectors: vec![v; inputs.len()], usage_tokens: 0 }) })
    }
}

/// A document with `n` chunks whose job is leased to the embed stage.
async fn scratch_document(ctx: &Context, n: usize, tag: &str) -> anyhow::Result<(Lease, Vec<Uuid>)> {
    let mut client = ctx.db.get().await?;
    let tx = doc_ingest::db::begin(&mut client).await?;
    let doc = Uuid::new_v4();
    let job = Uuid::new_v4();
    tx.execute(
        "INSERT INTO documents (id, owner, bucket, object_key, object_etag, size_bytes) VALUES ($1, 'bench', 'bench', $2, 'bench', 0)",
        &[&doc, &format!("uploads/bench/{doc}")],
    )
    .await?;
    tx.execute(
        "INSERT INTO upload_jobs (id, document_id, stage, correlation_id) VALUES ($1, $2, 'parse', 'bench')",
        &[&job, &doc],
    )
    .await?;
    for state in ["parsing", "parsed", "chunking", "chunked", "embedding"] {
        tx.execute(
            "UPDATE upload_jobs SET state = $2::text::job_state, attempt = attempt + 1 WHERE id = $1",
            &[&job, &state],
        )
        .await?;
    }
    let sink = tx
        .copy_in(
            "COPY document_chunks (id, document_id, ordinal, content, sha256, token_count) FROM STDIN (FORMAT binary)",
        )
        .await?;
    let writer =
        BinaryCopyInWriter::new(sink, &[Type::UUID, Type::UUID, Type::INT4, Type::TEXT, Type::TEXT, Type::INT4]);
    pin_mut!(writer);
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let id = Uuid::new_v4();
        let content = format!("{tag} {doc} chunk {i}");
        let row: [&(dyn ToSql + Sync); 6] = [&id, &doc, &(i as i32), &content, &sha256_hex(content.as_bytes()), &4i32];
        writer.as_mut().write(&row).await?;
        ids.push(id);
    }
    writer.finish().await?;
    tx.execute("UPDATE documents SET chunk_count = $2 WHERE id = $1", &[&doc, &(n as i32)]).await?;
    tx.commit().await?;
    let attempt: i32 = client.query_one("SELECT attempt FROM upload_jobs WHERE id = $1", &[&job]).await?.get(0);
    let job = Job {
        id: job,
        document_id: doc,
        state: JobState::Embedding,
        attempt,
        lease_live: true,
        correlation_id: "bench".into(),
    };
    Ok((Lease::for_job(&job, Stage::Embed, attempt), ids))
}

/// A plain binary COPY of the same rows into a scratch table shaped like chunk_embeddings
/// (`with_indexes`: including its primary key and HNSW index), dropped afterwards.
async fn plain_copy(
    ctx: &Context,
    doc: Uuid,
    ids: &[Uuid],
    vectors: &[Vector],
    with_indexes: bool,
) -> anyhow::Result<Duration> {
    let client = ctx.db.get().await?;
    let like = if with_indexes { "INCLUDING ALL" } else { "INCLUDING DEFAULTS" };
    client
        .batch_execute(&format!(
            "DROP TABLE IF EXISTS bench_plain_copy; CREATE TABLE bench_plain_copy (LIKE chunk_embeddings {like})"
        ))
        .await?;
    let vector_type = doc_ingest::db::vector_type(&**client).await?;
    let started = Instant::now();
    let sink = client
        .copy_in(
            "COPY bench_plain_copy (document_id, job_attempt, chunk_id, model, embedding) FROM STDIN (FORMAT binary)",
        )
        .await?;
    let writer = BinaryCopyInWriter::new(sink, &[Type::UUID, Type::INT4, Type::UUID, Type::TEXT, vector_type]);
    pin_mut!(writer);
    for (id, v) in ids.iter().zip(vectors) {
        let row: [&(dyn ToSql + Sync); 5] = [&doc, &1i32, id, &"bench", v];
        writer.as_mut().write(&row).await?;
    }
    writer.finish().await?;
    let elapsed = started.elapsed();
    client.batch_execute("DROP TABLE bench_plain_copy").await?;
    Ok(elapsed)
}

pub async fn run(ctx: Context, rows: usize, batches: usize, rounds: usize) -> anyhow::Result<()> {
    anyhow::ensure!(rounds >= 1, "--rounds must be at least 1");
    let mut ctx = ctx;
    ctx.embedder = Arc::new(InstantEmbedder);
    let vectors: Vec<Vector> =
        (0..rows).map(|i| Vector::from(LexicalEmbedder::embed_one(&format!("row {i}")))).collect();

    // The backlog others left is indexed first, so that the indexing figure below is ours alone.
    doc_ingest::ops::indexer::index_backlog(&**ctx.db.get().await?, Duration::from_secs(3600)).await?;
    let (mut bare, mut plain, mut ours) = (vec![], vec![], vec![]);
    for round in 0..rounds {
        let (lease, ids) = scratch_document(&ctx, rows, &format!("write-{round}")).await?;
        // Each round takes the three in a different order, so that no one always goes first.
        for which in (0..3).map(|i| (i + round) % 3) {
            match which {
                0 => bare.push(plain_copy(&ctx, lease.document_id, &ids, &vectors, false).await?),
                1 => plain.push(plain_copy(&ctx, lease.document_id, &ids, &vectors, true).await?),
                _ => {
                    let started = Instant::now();
                    doc_ingest::stages::write_vectors(&ctx, &lease, &ids, &vectors).await.context("write path")?;
                    ours.push(started.elapsed());
                }
            }
        }
    }
    let rate = |mut d: Vec<Duration>| {
        d.sort();
        rows as f64 / d[d.len() / 2].as_secs_f64()
    };
    let (bare, plain, ours) = (rate(bare), rate(plain), rate(ours));
    println!("vector writes, {rows} rows of 1536-d vectors, median of {rounds} rounds:");
    println!("  plain binary COPY, no indexes             {bare:>8.0} rows/s");
    println!("  plain binary COPY, same table definition  {plain:>8.0} rows/s");
    println!("  embed stage write (copy + switch in)      {ours:>8.0} rows/s");
    println!("  ratio to plain COPY, no indexes           {:>8.2}", ours / bare);
    println!("  ratio to plain COPY, same definition      {:>8.2}", ours / plain);
    let started = Instant::now();
    let indexed = doc_ingest::ops::indexer::index_backlog(&**ctx.db.get().await?, Duration::from_secs(3600)).await?;
    println!(
        "deferred HNSW indexing of those vectors (the sweeper's work): {indexed} in {:.1} s, {:.0} vectors/s",
        started.elapsed().as_secs_f64(),
        indexed as f64 / started.elapsed().as_secs_f64()
    );

    for (label, tag) in [("cold (all texts new)", None), ("warm (all texts cached)", Some("warm"))] {
        let mut times = Vec::new();
        for b in 0..batches {
            // Warm batches reuse one set of texts, embedded (and cached) once beforehand.
            let tag = tag.map_or_else(|| format!("cold-{b}"), str::to_owned);
            if b == 0 && tag == "warm" {
                let (lease, _) = scratch_document(&ctx, 256, &tag).await?;
                doc_ingest::stages::run(&ctx, Stage::Embed, &lease).await?;
            }
            let (lease, _) = scratch_document(&ctx, 256, &tag).await?;
            let started = Instant::now();
            doc_ingest::stages::run(&ctx, Stage::Embed, &lease).await?;
            times.push(started.elapsed());
        }
        times.sort();
        println!(
            "embed stage per 256-vector batch, API excluded, {label}: p50 {:.1} ms, max {:.1} ms ({batches} runs)",
            times[times.len() / 2].as_secs_f64() * 1000.0,
            times.last().unwrap().as_secs_f64() * 1000.0
        );
    }
    retire_scratch_jobs(&ctx).await
}

/// The scratch jobs stop in `embedded`; fail them so the sweeper and `health` leave them alone
/// (the audit log is append-only, so they are not deleted).
async fn retire_scratch_jobs(ctx: &Context) -> anyhow::Result<()> {
    ctx.db
        .get()
        .await?
        .execute(
            "UPDATE upload_jobs SET state = 'failed', last_error_class = 'bench', last_error = 'benchmark scratch document'
             WHERE state NOT IN ('done', 'failed') AND document_id IN (SELECT id FROM documents WHERE owner = 'bench')",
            &[],
        )
        .await?;
    Ok(())
}
