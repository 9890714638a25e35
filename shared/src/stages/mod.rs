//! The pipeline's stages, each a type implementing `framework::Stage` in its own folder. A
//! stage reads what it needs, does its work, and commits its results together with its
//! lease's transition; the framework does the rest. Each is compiled only when its feature is
//! on, so a stage's Lambda links its own stage and nothing of the others.

#[cfg(feature = "chunk")]
pub mod chunk;
#[cfg(feature = "embed")]
pub mod embed;
#[cfg(feature = "finalize")]
pub mod finalize;
#[cfg(feature = "parse")]
pub mod parse;

#[cfg(all(feature = "parse", feature = "chunk", feature = "embed", feature = "finalize"))]
use crate::{
    context::Context,
    framework::{FromEnv, Registry},
};

/// Every stage with its settings from the environment: what `ingestctl run` polls for.
#[cfg(all(feature = "parse", feature = "chunk", feature = "embed", feature = "finalize"))]
pub async fn from_env(ctx: &Context) -> anyhow::Result<Registry> {
    let mut registry = Registry::new();
    registry
        .register(parse::ParseStage::from_env(ctx).await?)
        .register(chunk::ChunkStage::from_env(ctx).await?)
        .register(embed::EmbedStage::from_env(ctx).await?)
        .register(finalize::FinalizeStage::from_env(ctx).await?);
    Ok(registry)
}

/// CPU-bound work off the async threads; a panic inside becomes a permanent, named failure.
#[cfg(any(feature = "parse", feature = "chunk"))]
async fn blocking<T: Send + 'static>(
    what: &'static str,
    f: impl FnOnce() -> crate::error::StageResult<T> + Send + 'static,
) -> crate::error::StageResult<T> {
    use crate::error::{ErrorClass, StageError, panic_message};
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => {
            Err(StageError::new(ErrorClass::Panic, format!("{what} panicked: {}", panic_message(&*e.into_panic()))))
        }
        Err(e) => Err(StageError::new(ErrorClass::Cancelled, format!("{what} was cancelled: {e}"))),
    }
}
