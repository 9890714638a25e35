//! doc-ingest core: everything the Lambda functions and `ingestctl` run, testable without AWS.

pub mod aws;
pub mod chunking;
pub mod config;
pub mod context;
pub mod db;
pub mod embedding;
pub mod error;
pub mod framework;
pub mod http;
pub mod intake;
pub mod logging;
pub mod message;
pub mod metrics;
pub mod ops;
pub mod parsing;
pub mod provision;
pub mod runner;
pub mod secrets;
pub mod stage;
pub mod stages;

pub use context::Context;
pub use error::{ErrorKind, StageError, StageResult};
pub use stage::{JobState, Stage};
