//! Lambda entry point for the parse stage: the stage is built once per execution environment,
//! every invocation goes to the shared stage framework.

use doc_ingest::stages::parse::ParseStage;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    doc_ingest::lambda::run_stage::<ParseStage>().await
}
