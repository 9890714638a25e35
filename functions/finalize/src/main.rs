//! Lambda entry point for the finalize stage: the stage is built once per execution environment,
//! every invocation goes to the shared stage framework.

use doc_ingest::stages::finalize::FinalizeStage;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    doc_ingest::lambda::run_stage::<FinalizeStage>().await
}
