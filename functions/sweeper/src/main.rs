//! Lambda entry point for the sweeper (stuck jobs, the vector backlog, the environment
//! registry), run on a schedule: the event's content is not used.

use doc_ingest::{Context, Stage, ops::sweeper};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Error> {
    doc_ingest::logging::init("info");
    let mut ctx = Context::from_env_for(None).await?;
    for stage in Stage::ALL {
        ctx.config.require_stage(stage)?;
    }
    ctx.register_environment("sweeper").await;
    let ctx = &ctx;
    run(service_fn(move |_: LambdaEvent<Value>| async move {
        ctx.heartbeat().await;
        let r = sweeper::sweep(ctx).await?;
        Ok::<Value, Error>(json!({
            "requeued": r.requeued.len(),
            "failed": r.failed.len(),
            "skipped": r.skipped,
            "pruned_environments": r.pruned_environments,
            "indexed_vectors": r.indexed_vectors,
            "vector_backlog": r.vector_backlog,
        }))
    }))
    .await
}
