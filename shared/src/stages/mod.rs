//! Each stage's work. A stage reads what it needs, does its work, and hands its results to
//! `Lease::complete` in one transaction; the framework does the rest.

mod chunk;
mod embed;

pub use embed::write_vectors;
mod finalize;
mod parse;

use crate::context::Context;
use crate::db::jobs::Lease;
use crate::error::db_err;
use crate::error::{StageError, StageResult, panic_message};
use crate::stage::Stage;

pub async fn run(ctx: &Context, stage: Stage, lease: &Lease) -> StageResult<()> {
    match stage {
        Stage::Parse => parse::run(ctx, lease).await,
        Stage::Chunk => chunk::run(ctx, lease).await,
        Stage::Embed => embed::run(ctx, lease).await,
        Stage::Finalize => finalize::run(ctx, lease).await,
    }
}

/// CPU-bound work off the async threads; a panic inside becomes a permanent, named failure.
async fn blocking<T: Send + 'static>(
    what: &'static str,
    f: impl FnOnce() -> StageResult<T> + Send + 'static,
) -> StageResult<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => {
            Err(StageError::permanent("panic", format!("{what} panicked: {}", panic_message(&*e.into_panic()))))
        }
        Err(e) => Err(StageError::transient("cancelled", format!("{what} was cancelled: {e}"))),
    }
}

async fn db(ctx: &Context, what: &str) -> StageResult<deadpool_postgres::Object> {
    ctx.db.get().await.map_err(|e| StageError::from_pool(what, &e))
}
