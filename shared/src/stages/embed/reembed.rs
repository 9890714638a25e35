//! Re-embed: a model switch fills its new space for documents that are already done, through the
//! embed queue (so the same concurrency, retries and DLQ apply). The job's state does not move:
//! the document stays done and searchable in the active space throughout; its vectors in the
//! new space are written beside the old ones, for its current attempt, in one transaction under
//! the document's lock. Safe to run twice: a document already covered is left as it is.

use super::{inputs, space_vectors};
use crate::context::Context;
use crate::db::chunks;
use crate::db::vectors::{self, SpaceVectors, Tally};
use crate::embedding::batching::BatchLimits;
use crate::embedding::spaces::{self, Embedders};
use crate::error::{DbResultExt, ErrorClass, StageError, StageResult};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

pub const REEMBED_KIND: &str = "reembed";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReembedMessage {
    pub v: u32,
    pub kind: String,
    pub document_id: Uuid,
    pub model: String,
    pub correlation_id: String,
}

impl ReembedMessage {
    pub fn new(document_id: Uuid, model: &str, correlation_id: &str) -> Self {
        ReembedMessage {
            v: crate::framework::message::MESSAGE_VERSION,
            kind: REEMBED_KIND.to_owned(),
            document_id,
            model: model.to_owned(),
            correlation_id: correlation_id.to_owned(),
        }
    }

    pub fn to_body(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// `None` for any body that is not a re-embed message (a stage message, say).
    pub fn decode(body: &str) -> StageResult<Option<Self>> {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(body) else { return Ok(None) };
        if value.get("kind").and_then(|k| k.as_str()) != Some(REEMBED_KIND) {
            return Ok(None);
        }
        serde_json::from_value(value)
            .map(Some)
            .map_err(|e| StageError::new(ErrorClass::UndecodableMessage, "not a re-embed message").with_source(e))
    }
}

/// What one re-embed did.
#[derive(Debug, PartialEq, Eq)]
pub enum Reembedded {
    Written(usize),
    /// Already covered, no longer done, or the space is not being built: nothing to do.
    Skipped(&'static str),
}

pub async fn run(
    ctx: &Context,
    embedders: &Embedders,
    limits: &BatchLimits,
    msg: &ReembedMessage,
) -> StageResult<Reembedded> {
    let client = ctx.db.get().await.db("loading the document")?;
    let Some(space) = spaces::get(&**client, &msg.model).await? else {
        return Ok(Reembedded::Skipped("model not registered"));
    };
    if !matches!(space.state.as_str(), "building" | "active") {
        return Ok(Reembedded::Skipped("space not being built"));
    }
    let doc = client
        .query_opt(
            "SELECT d.owner, d.embedding_attempt, d.status::text AS status,
                    (SELECT count(*) FROM chunk_embeddings e
                     WHERE e.document_id = d.id AND e.job_attempt = d.embedding_attempt AND e.model = $2) AS covered
             FROM documents d WHERE d.id = $1",
            &[&msg.document_id, &msg.model],
        )
        .await
        .db("loading the document")?;
    let Some(doc) = doc else { return Ok(Reembedded::Skipped("no such document")) };
    let (owner, attempt, status): (String, Option<i32>, String) = (doc.get(0), doc.get(1), doc.get(2));
    let Some(attempt) = attempt.filter(|_| status == "done") else {
        return Ok(Reembedded::Skipped("document not done"));
    };
    let rows = chunks::texts(&**client, msg.document_id).await?;
    if doc.get::<_, i64>(3) as usize == rows.len() && !rows.is_empty() {
        return Ok(Reembedded::Skipped("already covered"));
    }
    drop(client);

    let embedder = embedders.get(&msg.model).await?;
    let mut tally = Tally::default();
    let vectors = space_vectors(ctx, &*embedder, limits, msg.document_id, &inputs(&rows), &mut tally).await?;

    let mut client = ctx.db.get().await.db("writing re-embedded vectors")?;
    let tx = crate::db::begin(&mut client).await.db("writing re-embedded vectors")?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('doc-ingest:embed:' || $1::uuid::text, 0))",
        &[&msg.document_id],
    )
    .await
    .db("locking document")?;
    // The document may have been re-chunked, superseded or deleted while this embedded. The row
    // lock holds a deletion or supersession (they update this row) until these vectors are in,
    // so they remove them too.
    let still = tx
        .query_opt(
            "SELECT 1 FROM documents WHERE id = $1 AND status = 'done' AND embedding_attempt = $2
               AND chunk_count = $3 FOR SHARE",
            &[&msg.document_id, &attempt, &(rows.len() as i32)],
        )
        .await
        .db("checking the document")?;
    if still.is_none() {
        return Ok(Reembedded::Skipped("document changed meanwhile"));
    }
    tx.execute(
        "DELETE FROM chunk_embeddings WHERE document_id = $1 AND job_attempt = $2 AND model = $3",
        &[&msg.document_id, &attempt, &msg.model],
    )
    .await
    .db("writing re-embedded vectors")?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let set = SpaceVectors { model: msg.model.clone(), vectors };
    vectors::copy_rows(&tx, msg.document_id, &owner, attempt, &ids, std::slice::from_ref(&set)).await?;
    let job: Option<Uuid> = tx
        .query_opt("SELECT id FROM upload_jobs WHERE document_id = $1", &[&msg.document_id])
        .await
        .db("finding the job")?
        .map(|r| r.get(0));
    if let Some(job) = job {
        let detail = json!({
            "model": msg.model,
            "chunks": rows.len(),
            "cache_hits": tally.cache_hits,
            "embedded_inputs": tally.embedded,
            "usage_tokens": tally.usage_tokens,
        });
        crate::db::jobs::record_event(&tx, job, "vectors_reembedded", "embed", attempt, None, detail).await?;
    }
    tx.commit().await.db("committing re-embedded vectors")?;
    Ok(Reembedded::Written(rows.len()))
}
