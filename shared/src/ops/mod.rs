//! Operating the pipeline: the stuck-job sweeper, the deferred vector indexing, dead letters,
//! health, and the registry of execution environments. Used by the sweeper function and by `ingestctl`.

pub mod dlq;
#[cfg(feature = "s3")]
pub mod erasure;
pub mod health;
pub mod indexer;
#[cfg(feature = "embed")]
pub mod model_switch;
pub mod registry;
pub mod sweeper;
