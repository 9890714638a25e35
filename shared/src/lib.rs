//! doc-ingest core: everything the Lambda functions and `ingestctl` run, testable without AWS.
//!
//! - `pipeline`: the stages and job states, as data.
//! - `framework`: SQS batch in, `batchItemFailures` out, for any stage (claim, lease, retry,
//!   dead letters); it names no stage.
//! - `stages/`: one folder per stage, each behind its cargo feature.
//! - `db`: every SQL statement, with typed rows.
//! - `ops`: the sweeper, dead letters, health, the vector indexer, execution environments.

pub mod aws;
#[cfg(feature = "chunk")]
pub mod chunking;
pub mod config;
pub mod context;
pub mod db;
pub mod embedding;
pub mod error;
pub mod framework;
#[cfg(any(feature = "parse", feature = "embed"))]
pub mod http;
pub mod ids;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod logging;
pub mod metrics;
pub mod ops;
pub mod pages;
#[cfg(feature = "parse")]
pub mod parsing;
pub mod pipeline;
#[cfg(feature = "local")]
pub mod provision;
#[cfg(feature = "local")]
pub mod runner;
#[cfg(feature = "search")]
pub mod search;
#[cfg(feature = "search-api")]
pub mod search_api;
pub mod secrets;
pub mod stages;
pub mod upload_key;
#[cfg(feature = "search")]
pub mod uploads;

pub use context::Context;
pub use error::{ErrorClass, ErrorKind, StageError, StageResult};
pub use pipeline::{JobState, StageSpec};
