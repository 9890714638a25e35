//! `ingestctl bench-vectors`: the embed stage's vector writes against a plain binary COPY of the
//! same rows on the same server in the same run, rounds in rotating order, median reported:
//! - the final write alone (binary COPY tagged with the attempt, then the switch under the
//!   document's advisory lock);
//! - the whole embed stage (cache lookup, cache write, final write) with an embedder that answers
//!   at once, so that only our own work is timed;
//! - the deferred HNSW indexing of those vectors (the sweeper's work).
//!
//! Vectors are dense and random, as real embeddings are: sparse or repeated test vectors index
//! several times faster than real ones and would flatter the indexing figure.

use anyhow::Context as _;
use doc_ingest::db::jobs::{self, Lease};
use doc_ingest::db::vectors::{self, Tally};
use doc_ingest::embedding::batching::BatchLimits;
use doc_ingest::embedding::spaces::{self, Space};
use doc_ingest::embedding::{EmbedOutput, Embedder};
use doc_ingest::framework::Stage;
use doc_ingest::ids::sha256_hex;
use doc_ingest::pipeline::EMBED;
use doc_ingest::stages::embed::EmbedStage;
use doc_ingest::{Context, StageResult};
use futures::future::BoxFuture;
use futures::pin_mut;
use pgvector::Vector;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use uuid::Uuid;

/// A dense unit vector from a seed (xorshift64*): what a real embedding model's output looks like
/// to the index, at no model cost.
pub fn dense_vector(seed: u64, dimensions: usize) -> Vec<f32> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut v: Vec<f32> = (0..dimensions)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            let r = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
            (r >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        })
        .collect();
    let norm = v.iter().map(|a| a * a).sum::<f32>().sqrt();
    v.iter_mut().for_each(|a| *a /= norm);
    v
}

/// Answers at once with a dense vector per text, so only the stage's own work is timed. It
/// stands in for the active model (its name and size), as the embed stage writes that space.
struct InstantEmbedder(Space);

impl Embedder for InstantEmbedder {
    fn model(&self) -> &str {
        &self.0.model
    }
    fn dimensions(&self) -> usize {
        self.0.dimensions
    }
    fn embed<'a>(&'a self, inputs: &'a [String]) -> BoxFuture<'a, StageResult<EmbedOutput>> {
        let vectors = inputs
            .iter()
            .map(|t| {
                let h = sha256_hex(t.as_bytes());
                dense_vector(u64::from_str_radix(&h[..16], 16).unwrap_or(1), self.0.dimensions)
            })
            .collect();
        Box::pin(async move { Ok(EmbedOutput { vectors, usage_tokens: 0 }) })
    }
}

/// A document with `n` chunks whose job is leased to the embed stage.
async fn scratch_document(ctx: &Context, n: usize, tag: &str) -> anyhow::Result<(Lease, Vec<Uuid>)> {
    let mut db = ctx.db.get().await?;
    let (job, ids) = doc_ingest::db::bench::scratch_embed_job(&mut db, n, tag).await?;
    let job = jobs::load(&**db, job).await?.context("scratch job")?;
    let lease = jobs::claim(&**db, &job, &EMBED, "bench", Duration::from_secs(3600)).await?.context("claim")?;
    Ok((lease, ids))
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
            "COPY bench_plain_copy (document_id, owner, job_attempt, chunk_id, model, embedding) FROM STDIN (FORMAT binary)",
        )
        .await?;
    let writer =
        BinaryCopyInWriter::new(sink, &[Type::UUID, Type::TEXT, Type::INT4, Type::UUID, Type::TEXT, vector_type]);
    pin_mut!(writer);
    for (id, v) in ids.iter().zip(vectors) {
        let row: [&(dyn ToSql + Sync); 6] = [&doc, &"bench", &1i32, id, &"bench", v];
        writer.as_mut().write(&row).await?;
    }
    writer.finish().await?;
    let elapsed = started.elapsed();
    client.batch_execute("DROP TABLE bench_plain_copy").await?;
    Ok(elapsed)
}

fn median(mut d: Vec<Duration>) -> Duration {
    d.sort();
    d[d.len() / 2]
}

pub async fn run(ctx: Context, rows: usize, rounds: usize) -> anyhow::Result<()> {
    anyhow::ensure!(rounds >= 1, "--rounds must be at least 1");
    let fallback = doc_ingest::embedding::LexicalEmbedder;
    let space = spaces::active_or_register(&**ctx.db.get().await?, &fallback).await?;
    let dims = space.dimensions;
    let model = space.model.clone();
    let stage = EmbedStage::new(Arc::new(InstantEmbedder(space)), BatchLimits::default());
    // The backlog others left is indexed first, so that the indexing figure below is ours alone.
    doc_ingest::ops::indexer::index_backlog(&**ctx.db.get().await?, Duration::from_secs(3600)).await?;
    let (mut bare, mut plain, mut write, mut whole) = (vec![], vec![], vec![], vec![]);
    let run_tag = Uuid::new_v4().simple().to_string();
    for round in 0..rounds {
        let vectors: Vec<Vector> =
            (0..rows).map(|i| Vector::from(dense_vector((round * rows + i) as u64 + 1, dims))).collect();
        let (lease, ids) = scratch_document(&ctx, rows, &format!("{run_tag}-write-{round}")).await?;
        let (stage_lease, _) = scratch_document(&ctx, rows, &format!("{run_tag}-stage-{round}")).await?;
        // Each round takes the four in a different order, so that no one always goes first.
        for which in (0..4).map(|i| (i + round) % 4) {
            match which {
                0 => bare.push(plain_copy(&ctx, lease.document_id, &ids, &vectors, false).await?),
                1 => plain.push(plain_copy(&ctx, lease.document_id, &ids, &vectors, true).await?),
                2 => {
                    let started = Instant::now();
                    let sets = [vectors::SpaceVectors { model: model.clone(), vectors: vectors.clone() }];
                    vectors::write(&ctx, &lease, &ids, &sets, &Tally::default()).await.context("write path")?;
                    write.push(started.elapsed());
                }
                _ => {
                    let started = Instant::now();
                    stage.run(&ctx, &stage_lease).await.context("embed stage")?;
                    whole.push(started.elapsed());
                }
            }
        }
    }
    let rate = |d: Vec<Duration>| rows as f64 / median(d).as_secs_f64();
    let (bare, plain, write, whole) = (rate(bare), rate(plain), rate(write), rate(whole));
    println!("vector writes, {rows} dense {dims}-d vectors, median of {rounds} rounds, same server:");
    println!("  plain binary COPY, no indexes                       {bare:>8.0} rows/s  1.00");
    println!("  plain binary COPY, same table definition            {plain:>8.0} rows/s  {:.2}", plain / bare);
    println!("  final write (copy + switch in)                      {write:>8.0} rows/s  {:.2}", write / bare);
    println!("  whole embed stage (cache read + cache write + final) {whole:>7.0} rows/s  {:.2}", whole / bare);
    let started = Instant::now();
    let indexed = doc_ingest::ops::indexer::index_backlog(&**ctx.db.get().await?, Duration::from_secs(3600)).await?;
    println!(
        "deferred HNSW indexing of those vectors (the sweeper's work): {indexed} in {:.1} s, {:.0} vectors/s",
        started.elapsed().as_secs_f64(),
        indexed as f64 / started.elapsed().as_secs_f64()
    );
    doc_ingest::db::bench::retire_scratch(&**ctx.db.get().await?).await?;
    Ok(())
}
