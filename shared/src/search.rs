//! The read side: hybrid retrieval for one owner, through the `doc_ingest_reader` role.
//!
//! The owner is set for the transaction (`set_config(…, true)`, i.e. `SET LOCAL`), so a pooled
//! connection never carries it into the next call, and row-level security in the database does
//! the filtering: a query without an owner sees nothing. The query is embedded with the same
//! embedder (and so the same model) as the pipeline's vectors; vectors of another model are a
//! clear error, never a silent ranking of incomparable vectors.

use crate::embedding::{Embedder, validate_vectors};
use crate::error::{DbResultExt, ErrorClass, StageError, StageResult};
use pgvector::Vector;
use serde::Serialize;
use uuid::Uuid;

/// How the vector side finds its candidates (`vector_candidates` in the database).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Exact for owners with up to 20,000 vectors, HNSW above.
    Auto,
    Exact,
    Hnsw,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Auto => "auto",
            Strategy::Exact => "exact",
            Strategy::Hnsw => "hnsw",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Query {
    pub text: String,
    pub k: usize,
    pub document: Option<Uuid>,
    pub strategy: Strategy,
}

pub const MAX_K: usize = 100;
pub const MAX_QUERY_CHARS: usize = 2000;

/// One result, with what a user needs to cite it.
#[derive(Clone, Debug, Serialize)]
pub struct Hit {
    pub chunk_id: Uuid,
    pub document_id: Uuid,
    pub object_key: String,
    pub version_id: Option<String>,
    pub heading_path: Vec<String>,
    pub page_start: Option<i32>,
    pub page_end: Option<i32>,
    pub content: String,
    /// Rank and cosine similarity in the vector list, if the chunk was in it.
    pub vector_rank: Option<i64>,
    pub cosine_similarity: Option<f64>,
    /// Rank and `ts_rank_cd` in the full-text list, if the chunk was in it.
    pub text_rank: Option<i64>,
    pub text_score: Option<f32>,
    /// Reciprocal rank fusion: the sum of 1 / (60 + rank) over both lists.
    pub fused_score: f64,
}

/// Owners are key segments (`uploads/{owner}/…`): the same rule applies here.
pub fn check_owner(owner: &str) -> StageResult<()> {
    let ok = !owner.is_empty()
        && owner.len() <= 64
        && owner != "."
        && owner != ".."
        && owner.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok { Ok(()) } else { Err(StageError::new(ErrorClass::InvalidQuery, "not a valid owner")) }
}

fn check(q: &Query) -> StageResult<()> {
    if q.text.trim().is_empty() {
        return Err(StageError::new(ErrorClass::InvalidQuery, "the query is empty"));
    }
    if q.text.chars().count() > MAX_QUERY_CHARS {
        return Err(StageError::new(
            ErrorClass::InvalidQuery,
            format!("the query is over {MAX_QUERY_CHARS} characters"),
        ));
    }
    if q.k == 0 || q.k > MAX_K {
        return Err(StageError::new(ErrorClass::InvalidQuery, format!("k must be 1..={MAX_K}")));
    }
    Ok(())
}

/// Runs `f` in a transaction on the reader's connection with the owner set for it alone.
pub async fn as_owner<T>(
    client: &mut tokio_postgres::Client,
    owner: &str,
    f: impl AsyncFnOnce(&tokio_postgres::Transaction<'_>) -> StageResult<T>,
) -> StageResult<T> {
    check_owner(owner)?;
    let tx = client.build_transaction().read_only(true).start().await.db("starting a read")?;
    tx.execute("SELECT set_config('doc_ingest.owner', $1, true)", &[&owner]).await.db("setting the owner")?;
    let out = f(&tx).await?;
    tx.commit().await.db("ending a read")?;
    Ok(out)
}

/// The embedder of the space searches serve now (the active model), for callers that hold
/// several (`Embedders`): a model switch changes it without a redeploy.
pub async fn active_embedder(
    client: &tokio_postgres::Client,
    embedders: &crate::embedding::spaces::Embedders,
) -> StageResult<std::sync::Arc<dyn Embedder>> {
    match crate::embedding::spaces::active(client).await? {
        Some(a) => embedders.get(&a.model).await,
        None => Ok(embedders.default().clone()),
    }
}

pub async fn search(
    client: &mut tokio_postgres::Client,
    embedder: &dyn Embedder,
    owner: &str,
    q: &Query,
) -> StageResult<Vec<Hit>> {
    check(q)?;
    check_owner(owner)?;
    let out = embedder.embed(std::slice::from_ref(&q.text)).await?;
    validate_vectors(1, embedder.dimensions(), &out.vectors)?;
    let vector = Vector::from(out.vectors.into_iter().next().unwrap_or_default());
    let model = embedder.model().to_owned();
    as_owner(client, owner, async |tx| {
        // Searches serve the active space only, and only with a query of its model.
        let active = crate::embedding::spaces::active(tx).await?;
        match active {
            Some(a) if a.model == model => {}
            Some(a) => {
                return Err(StageError::new(
                    ErrorClass::ModelMismatch,
                    format!("searches serve the vectors of {}; the query was embedded with {model}", a.model),
                ));
            }
            None => return Ok(Vec::new()),
        }
        let rows = tx
            .query(
                "SELECT chunk_id, document_id, object_key, version_id, heading_path, page_start, page_end, content,
                        vector_rank, cosine_similarity, text_rank, text_score, fused
                 FROM hybrid_search($1, $2, $3, $4, $5, $6)",
                &[&vector, &q.text, &(q.k as i32), &model, &q.document, &q.strategy.as_str()],
            )
            .await
            .db("searching")?;
        Ok(rows
            .iter()
            .map(|r| Hit {
                chunk_id: r.get("chunk_id"),
                document_id: r.get("document_id"),
                object_key: r.get("object_key"),
                version_id: r.get("version_id"),
                heading_path: r.get("heading_path"),
                page_start: r.get("page_start"),
                page_end: r.get("page_end"),
                content: r.get("content"),
                vector_rank: r.get("vector_rank"),
                cosine_similarity: r.get("cosine_similarity"),
                text_rank: r.get("text_rank"),
                text_score: r.get("text_score"),
                fused_score: r.get("fused"),
            })
            .collect())
    })
    .await
}
