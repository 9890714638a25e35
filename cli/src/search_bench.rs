//! `ingestctl bench-search`: vector-side latency (p50/p95) of the HNSW path and of the exact
//! path, each within one owner as the reader role does it, and recall@10 of HNSW against exact,
//! on synthetic data: `--chunks` vectors across `--owners` owners (1 % each by default), in a
//! database of its own (`doc_ingest_bench_search`, kept between runs of the same size).
//!
//! Vectors lie near a 16-d surface in 1536-d (see `embedding`), as embeddings of real text do;
//! uniformly random vectors in 1536 dimensions have no neighbours to speak of, and any index
//! looks bad on them.

use crate::vector_bench::dense_vector;
use anyhow::Context as _;
use futures::pin_mut;
use pgvector::Vector;
use std::time::{Duration, Instant};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use uuid::Uuid;

const DB: &str = "doc_ingest_bench_search";
/// The data's intrinsic dimension: embeddings of real text lie near a low-dimensional surface.
const LATENT: usize = 16;
const MODEL: &str = "bench-latent16";
/// The size of OpenAI's text-embedding-3-small, the production default.
const DIMENSIONS: usize = 1536;

/// A unit vector from a point of a 16-d latent space (a fixed random map into 1536-d, plus a
/// little noise). Each owner's points centre on their own region, overlapping others', as a
/// tenant's documents share a domain. Clustered data with full-dimensional noise would leave
/// every vector nearly equidistant from the query, and recall would measure ties, not the index.
fn embedding(owner: usize, seed: u64, basis: &[Vec<f32>]) -> Vec<f32> {
    let centre = gaussians(owner as u64 + 7_777);
    let z = gaussians(seed);
    let noise = dense_vector(seed.wrapping_mul(2_654_435_761) + 1_000_003, DIMENSIONS);
    let mut v: Vec<f32> = noise.iter().map(|n| 0.05 * n).collect();
    for (j, b) in basis.iter().enumerate() {
        let w = 0.8 * centre[j] + z[j];
        v.iter_mut().zip(b).for_each(|(a, x)| *a += w * x);
    }
    let norm = v.iter().map(|a| a * a).sum::<f32>().sqrt();
    v.iter_mut().for_each(|a| *a /= norm);
    v
}

fn basis() -> Vec<Vec<f32>> {
    (0..LATENT as u64).map(|j| dense_vector(900_000 + j, DIMENSIONS)).collect()
}

/// `LATENT` roughly normal values (sums of uniforms), deterministic in `seed`.
fn gaussians(seed: u64) -> [f32; LATENT] {
    let u = dense_vector(seed + 5_000_000, DIMENSIONS);
    let mut out = [0.0; LATENT];
    for (j, o) in out.iter_mut().enumerate() {
        *o = u[j * 12..j * 12 + 12].iter().sum::<f32>() * 6.0;
    }
    out
}

async fn connect(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(conn);
    Ok(client)
}

/// Creates, migrates and fills the bench database unless it holds `chunks` vectors already.
async fn prepare(admin_url: &str, url: &str, chunks: usize, owners: usize) -> anyhow::Result<()> {
    let admin = connect(admin_url).await?;
    let exists = admin.query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&DB]).await?.is_some();
    if exists {
        let n: i64 = connect(url)
            .await?
            .query_one("SELECT count(*) FROM chunk_embeddings WHERE indexed AND model = $1", &[&MODEL])
            .await?
            .get(0);
        if n as usize == chunks {
            println!("reusing {DB} ({n} indexed vectors)");
            return Ok(());
        }
        admin.execute(&format!("DROP DATABASE {DB}"), &[]).await?;
    }
    admin.execute(&format!("CREATE DATABASE {DB}"), &[]).await?;
    doc_ingest::db::migrate(url).await?;
    doc_ingest::embedding::spaces::register(&connect(url).await?, MODEL, DIMENSIONS, "active").await?;
    let mut db = connect(url).await?;
    let started = Instant::now();
    let tx = db.transaction().await?;
    let per_owner = chunks / owners;
    let docs_per_owner = per_owner.div_ceil(100).max(1);
    let mut rows: Vec<(Uuid, Uuid, String, i32)> = Vec::with_capacity(chunks);
    for o in 0..owners {
        let owner = format!("owner-{o:03}");
        for d in 0..docs_per_owner {
            let doc = Uuid::new_v4();
            let n = per_owner.div_ceil(docs_per_owner).min(per_owner - d * per_owner.div_ceil(docs_per_owner));
            tx.execute(
                "INSERT INTO documents (id, owner, bucket, object_key, object_etag, size_bytes, status, embedding_attempt, chunk_count)
                 VALUES ($1, $2, 'bench', $3, 'e', 1, 'done', 1, $4)",
                &[&doc, &owner, &format!("uploads/{owner}/{d}/doc.md"), &(n as i32)],
            )
            .await?;
            for i in 0..n {
                rows.push((Uuid::new_v4(), doc, owner.clone(), i as i32));
            }
        }
    }
    let sink = tx
        .copy_in("COPY document_chunks (id, document_id, owner, ordinal, content, sha256, token_count) FROM STDIN (FORMAT binary)")
        .await?;
    let w = BinaryCopyInWriter::new(
        sink,
        &[Type::UUID, Type::UUID, Type::TEXT, Type::INT4, Type::TEXT, Type::TEXT, Type::INT4],
    );
    pin_mut!(w);
    for (i, (id, doc, owner, ord)) in rows.iter().enumerate() {
        let text = format!("clause {i} of {owner}");
        let sha = doc_ingest::ids::sha256_hex(text.as_bytes());
        let row: [&(dyn ToSql + Sync); 7] = [id, doc, owner, ord, &text, &sha, &10i32];
        w.as_mut().write(&row).await?;
    }
    w.finish().await?;
    let vector_type = doc_ingest::db::vector_type(&tx).await?;
    let sink = tx
        .copy_in("COPY chunk_embeddings (document_id, owner, job_attempt, chunk_id, model, embedding) FROM STDIN (FORMAT binary)")
        .await?;
    let w = BinaryCopyInWriter::new(sink, &[Type::UUID, Type::TEXT, Type::INT4, Type::UUID, Type::TEXT, vector_type]);
    pin_mut!(w);
    let basis = basis();
    for (i, (id, doc, owner, _)) in rows.iter().enumerate() {
        let v = Vector::from(embedding(i / per_owner, i as u64, &basis));
        let row: [&(dyn ToSql + Sync); 6] = [doc, owner, &1i32, id, &MODEL, &v];
        w.as_mut().write(&row).await?;
    }
    w.finish().await?;
    tx.commit().await?;
    println!("wrote {} chunks and vectors for {owners} owners in {:.0} s", rows.len(), started.elapsed().as_secs_f64());
    let started = Instant::now();
    db.batch_execute("SET maintenance_work_mem = '1GB'").await?;
    let indexed = doc_ingest::ops::indexer::index_backlog(&db, Duration::from_secs(24 * 3600)).await?;
    println!("indexed {indexed} vectors (HNSW) in {:.0} s", started.elapsed().as_secs_f64());
    db.batch_execute("ANALYZE").await?;
    Ok(())
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((p / 100.0) * (v.len() - 1) as f64).round() as usize]
}

async fn candidates(
    tx: &tokio_postgres::Transaction<'_>,
    q: &Vector,
    strategy: &str,
) -> anyhow::Result<(Vec<Uuid>, Duration)> {
    let started = Instant::now();
    let rows =
        tx.query("SELECT chunk_id FROM vector_candidates($1, 10, $2, NULL, $3)", &[q, &MODEL, &strategy]).await?;
    Ok((rows.iter().map(|r| r.get(0)).collect(), started.elapsed()))
}

pub async fn run(chunks: usize, owners: usize, queries: usize) -> anyhow::Result<()> {
    let admin_url =
        std::env::var("DOC_INGEST_ADMIN_DATABASE_URL").context("DOC_INGEST_ADMIN_DATABASE_URL is not set")?;
    let url = format!("{}/{DB}", admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(b, _)| b));
    prepare(&admin_url, &url, chunks, owners).await?;
    // The reader's login, as the search API connects (scripts/stack.sh makes it).
    let reader_url = url.replacen("postgres@", "doc_ingest_search@", 1);
    let mut reader =
        connect(&reader_url).await.context("connecting as doc_ingest_search (scripts/stack.sh up makes it)")?;
    let (mut exact_t, mut hnsw_t, mut recall) = (vec![], vec![], vec![]);
    let basis = basis();
    for i in 0..queries {
        let owner = format!("owner-{:03}", i % owners);
        let q = Vector::from(embedding(i % owners, 1_000_000 + i as u64, &basis));
        let tx = reader.transaction().await?;
        tx.execute("SELECT set_config('doc_ingest.owner', $1, true)", &[&owner]).await?;
        // Alternate which goes first, so that neither always finds the cache warm.
        let (exact, hnsw) = if i % 2 == 0 {
            let e = candidates(&tx, &q, "exact").await?;
            (e, candidates(&tx, &q, "hnsw").await?)
        } else {
            let h = candidates(&tx, &q, "hnsw").await?;
            (candidates(&tx, &q, "exact").await?, h)
        };
        tx.commit().await?;
        exact_t.push(exact.1);
        hnsw_t.push(hnsw.1);
        let found = hnsw.0.iter().filter(|id| exact.0.contains(id)).count();
        recall.push(found as f64 / exact.0.len().max(1) as f64);
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mean_recall = recall.iter().sum::<f64>() / recall.len() as f64;
    println!(
        "{chunks} chunks ({DIMENSIONS}-d, {LATENT}-d latent), {owners} owners ({:.1} % each), {queries} queries, k = 10, as doc_ingest_reader:",
        100.0 / owners as f64
    );
    println!(
        "  exact (owner's vectors)   p50 {:>7.2} ms  p95 {:>7.2} ms",
        ms(percentile(&mut exact_t, 50.0)),
        ms(percentile(&mut exact_t, 95.0))
    );
    println!(
        "  HNSW (iterative scan)     p50 {:>7.2} ms  p95 {:>7.2} ms",
        ms(percentile(&mut hnsw_t, 50.0)),
        ms(percentile(&mut hnsw_t, 95.0))
    );
    println!("  recall@10 of HNSW against exact, owner filter applied: {mean_recall:.3}");
    Ok(())
}
