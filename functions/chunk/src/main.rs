//! Lambda entry point for the chunk stage: the stage is built once per execution environment,
//! every invocation goes to the shared stage framework.

use doc_ingest::stages::chunk::ChunkStage;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    doc_ingest::lambda::run_stage::<ChunkStage>().await
}
