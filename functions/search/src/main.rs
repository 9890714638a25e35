//! Lambda entry point for the search API: the reader's pool and the embedder are built once per
//! execution environment, every request goes to `SearchApi::handle`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    doc_ingest::lambda::run_search_api().await
}
