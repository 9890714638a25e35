//! Finalize: with the job row locked, checks that the document is whole (chunk count = stored
//! chunks = vectors of the current attempt, every vector of the expected size and model, every
//! chunk matching its hash, the stored markdown carrying the parse hash), then marks it done
//! with its completion event, in one transaction.

use crate::aws::{classify_sdk_error, sdk_status};
use crate::context::Context;
use crate::db::{documents, jobs, jobs::Lease, jobs::lease_lost, lifecycle};
use crate::embedding::spaces;
use crate::error::{DbResultExt, ErrorClass, StageError, StageResult};
use crate::framework::{FromEnv, Stage};
use crate::pipeline::{FINALIZE, StageSpec};
use serde_json::json;

pub struct FinalizeStage {
    s3: aws_sdk_s3::Client,
}

impl FinalizeStage {
    pub fn new(s3: aws_sdk_s3::Client) -> Self {
        FinalizeStage { s3 }
    }

    /// The SHA-256 the parse stage stored on the markdown object, read back from S3.
    async fn parsed_object_sha256(&self, doc: &documents::Document) -> StageResult<Option<String>> {
        let Some(key) = &doc.parsed_key else { return Ok(None) };
        let head =
            self.s3.head_object().bucket(&doc.bucket).key(key).send().await.map_err(|e| match sdk_status(&e) {
                Some(404) => StageError::new(ErrorClass::Inconsistent, format!("the parsed markdown {key} is missing")),
                _ => classify_sdk_error("reading the parsed markdown's metadata", e),
            })?;
        Ok(head.metadata().and_then(|m| m.get("sha256")).cloned())
    }
}

impl FromEnv for FinalizeStage {
    async fn from_env(ctx: &Context) -> anyhow::Result<Self> {
        Ok(Self::new(ctx.s3()))
    }
}

impl Stage for FinalizeStage {
    fn spec(&self) -> &'static StageSpec {
        &FINALIZE
    }

    async fn run(&self, ctx: &Context, lease: &Lease) -> StageResult<()> {
        let doc = documents::load(&**ctx.db.get().await.db("loading document")?, lease.document_id).await?;
        let stored_sha256 = self.parsed_object_sha256(&doc).await?;
        let mut client = ctx.db.get().await.db("finalizing")?;
        let tx = crate::db::begin(&mut client).await.db("finalizing")?;
        // Versions of one key become current one at a time, and not while a deletion runs.
        lifecycle::lock_key(&tx, &doc.bucket, &doc.object_key).await?;
        tx.query_opt(
            "SELECT 1 FROM upload_jobs WHERE id = $1 AND attempt = $2 AND state = $3::text::job_state FOR UPDATE",
            &[&lease.job_id, &lease.attempt, &FINALIZE.ready.as_str()],
        )
        .await
        .db("locking job")?
        .ok_or_else(|| lease_lost(lease))?;
        // The vectors must be in the space searches serve; a switch waits for this row lock.
        let space = tx
            .query_opt("SELECT name FROM embedding_models WHERE state = 'active' FOR SHARE", &[])
            .await
            .db("reading the active model")?
            .map(|r| r.get::<_, String>(0));
        let space = match space {
            Some(m) => spaces::get(&tx, &m).await?,
            None => None,
        }
        .ok_or_else(|| StageError::new(ErrorClass::Inconsistent, "no embedding model is active"))?;
        let c = documents::consistency(&tx, lease.document_id, space.dimensions as i32, &space.model).await?;

        let mut problems = Vec::new();
        match c.recorded_chunks.map(i64::from) {
            Some(n) if n == c.chunks && c.chunks > 0 => {}
            Some(n) => problems.push(format!("the chunk stage recorded {n} chunks; {} are stored", c.chunks)),
            None => problems.push("no chunk count was recorded".to_owned()),
        }
        if c.vectors != c.chunks {
            problems.push(format!("{} vectors of {} for {} chunks", c.vectors, space.model, c.chunks));
        }
        if c.valid_vectors != c.vectors {
            problems.push(format!(
                "{} vectors are not {}-d from {}",
                c.vectors - c.valid_vectors,
                space.dimensions,
                space.model
            ));
        }
        if c.bad_hashes > 0 {
            problems.push(format!("{} chunks do not match their SHA-256", c.bad_hashes));
        }
        if c.parsed_sha256 != stored_sha256 {
            problems.push(format!(
                "parsed markdown hash {} differs from the stored object's {}",
                c.parsed_sha256.as_deref().unwrap_or("(none)"),
                stored_sha256.as_deref().unwrap_or("(none)")
            ));
        }
        if !problems.is_empty() {
            return Err(StageError::new(ErrorClass::Inconsistent, problems.join("; ")));
        }

        let timings = documents::stage_durations(&tx, lease.job_id).await?;
        let total_ms = timings["total"].as_i64();
        documents::record_durations(&tx, lease.document_id, total_ms, &timings).await?;
        let detail = json!({ "chunks": c.chunks, "pages": c.pages, "total_ms": total_ms, "stage_ms": timings });
        lease.transition(&tx).await?;
        // Same transaction: "done" never exists without its completion event, and the versions
        // it replaces leave search at the moment it enters.
        jobs::record_event(&tx, lease.job_id, "document_completed", FINALIZE.name, lease.attempt, None, detail).await?;
        let settled = lifecycle::settle_versions(&tx, lease.document_id, FINALIZE.name).await?;
        tx.commit().await.db("committing finalize")?;
        if settled.already_outdated {
            tracing::info!("a newer version of this object is already current; this one is superseded");
        }
        // Best effort: the sweeper removes what is left (`lifecycle::orphaned_markdown`).
        let mut outdated = settled.superseded;
        if settled.already_outdated {
            outdated.push(lease.document_id);
        }
        for id in &outdated {
            let removed = self.s3.delete_object().bucket(&doc.bucket).key(crate::ids::parsed_key(*id)).send().await;
            if removed.is_ok() {
                lifecycle::markdown_removed(&**client, &[*id]).await?;
            }
        }
        Ok(())
    }
}
