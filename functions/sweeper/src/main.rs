//! Lambda entry point for the sweeper (stranded jobs, the vector backlog, the environment
//! registry), run on a schedule: the event's content is not used.

use doc_ingest::ops::sweeper;
use lambda_runtime::LambdaEvent;
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    doc_ingest::lambda::run_function("sweeper", |ctx, _: LambdaEvent<Value>| async move {
        let r = sweeper::sweep(&ctx).await?;
        Ok(json!({
            "requeued": r.requeued.len(),
            "failed": r.failed.len(),
            "skipped": r.skipped,
            "busy": r.busy,
            "pruned_environments": r.pruned_environments,
            "orphans_removed": r.orphans_removed,
            "indexed_vectors": r.indexed_vectors,
            "vector_backlog": r.vector_backlog,
        }))
    })
    .await
}
