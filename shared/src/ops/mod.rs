//! Operating the pipeline: the stuck-job sweeper, dead letters, health, and the registry of
//! execution environments. Used by the sweeper function and by `ingestctl`.

pub mod dlq;
pub mod health;
pub mod registry;
pub mod sweeper;
