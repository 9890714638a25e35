//! Lambda entry point for the finalize stage: clients are built once per execution environment,
//! every invocation goes to the shared stage framework.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use doc_ingest::{framework::handle_batch, Context, Stage};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    doc_ingest::logging::init("info");
    let ctx = Context::from_env_for(Some(Stage::Finalize)).await?;
    let ctx = &ctx;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<SqsBatchResponse, Error>(handle_batch(ctx, Stage::Finalize, event.payload).await)
    }))
    .await
}
