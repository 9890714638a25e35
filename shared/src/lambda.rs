//! The Lambda side of a function: init (configuration, clients, the stage), reported through
//! the Runtime API's `/runtime/init/error` when it fails; the invocation loop; and a clean exit
//! on SIGTERM (Lambda sends one at shutdown when an extension is registered, so one is).
//!
//! A database that is down at cold start does not fail init: the pool connects lazily and each
//! message then fails as `database_unavailable`, retried with back-off within the outage budget,
//! which a crash-looping init could not do.

use crate::context::Context;
use crate::framework::{AnyStage, FromEnv, handle_batch};
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use lambda_runtime_api_client::body::Body;
use std::future::Future;
use std::time::Instant;

/// Runs one stage as a Lambda function; the stage is built once per execution environment.
pub async fn run_stage<S: AnyStage + FromEnv + 'static>() -> Result<(), Error> {
    crate::logging::init("info");
    let started = Instant::now();
    let init = async {
        let mut ctx = Context::from_env().await?;
        let stage = S::from_env(&ctx).await?;
        ctx.config.require_stage(stage.spec())?;
        ctx.register_environment(stage.spec().name).await;
        anyhow::Ok((ctx, stage))
    };
    let (ctx, stage) = match init.await {
        Ok(ready) => ready,
        Err(e) => return Err(init_failed(e).await),
    };
    tracing::info!(stage = stage.spec().name, init_ms = started.elapsed().as_millis() as u64, "ready");
    let ctx = std::sync::Arc::new(ctx);
    graceful_shutdown(ctx.clone()).await;
    let (ctx, stage) = (&*ctx, &stage);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<SqsBatchResponse, Error>(handle_batch(ctx, stage, event.payload).await)
    }))
    .await
}

/// Runs a function that is not a stage (the sweeper) with the same init and shutdown handling.
pub async fn run_function<T, H, HFut, R>(name: &str, handler: H) -> Result<(), Error>
where
    T: serde::de::DeserializeOwned + Send + 'static,
    H: Fn(std::sync::Arc<Context>, LambdaEvent<T>) -> HFut,
    HFut: Future<Output = Result<R, Error>>,
    R: serde::Serialize,
{
    crate::logging::init("info");
    let started = Instant::now();
    let init = async {
        let mut ctx = Context::from_env().await?;
        for spec in crate::pipeline::PIPELINE {
            ctx.config.require_stage(spec)?;
        }
        ctx.register_environment(name).await;
        anyhow::Ok(ctx)
    };
    let ctx = match init.await {
        Ok(ctx) => ctx,
        Err(e) => return Err(init_failed(e).await),
    };
    tracing::info!(function = name, init_ms = started.elapsed().as_millis() as u64, "ready");
    let ctx = std::sync::Arc::new(ctx);
    graceful_shutdown(ctx.clone()).await;
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<T>| {
        let ctx = ctx.clone();
        async move {
            ctx.heartbeat().await;
            handler(ctx, event).await
        }
    }))
    .await
}

async fn graceful_shutdown(ctx: std::sync::Arc<Context>) {
    lambda_runtime::spawn_graceful_shutdown_handler(move || async move {
        // Nothing is in flight between invocations: leave the registry, say so, exit.
        tracing::info!("SIGTERM: execution environment shutting down");
        ctx.deregister().await;
    })
    .await;
}

/// Tells Lambda why init failed (it shows in the function's logs and metrics as an init error,
/// not a runtime crash), then returns the error for `main` to exit with.
async fn init_failed(err: anyhow::Error) -> Error {
    tracing::error!(error = format!("{err:#}"), "init failed");
    if let Err(e) = report_init_error(&err).await {
        tracing::warn!(error = %e, "could not report the init error to the Runtime API");
    }
    err.into()
}

async fn report_init_error(err: &anyhow::Error) -> Result<(), Error> {
    let client = lambda_runtime_api_client::Client::builder().build()?;
    let body = serde_json::json!({ "errorType": "Runtime.InitError", "errorMessage": format!("{err:#}") });
    let request = http::Request::builder()
        .method("POST")
        .uri("/2018-06-01/runtime/init/error")
        .header("Lambda-Runtime-Function-Error-Type", "Runtime.InitError")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))?;
    let response = client.call(request).await?;
    if !response.status().is_success() {
        return Err(format!("the Runtime API answered {}", response.status()).into());
    }
    Ok(())
}

/// The search API: a reader pool instead of the pipeline's context, the same init-error report
/// and shutdown handling.
#[cfg(feature = "search-api")]
pub async fn run_search_api() -> Result<(), Error> {
    use crate::search_api::SearchApi;
    use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
    crate::logging::init("info");
    let started = Instant::now();
    let api = match SearchApi::from_env().await {
        Ok(api) => api,
        Err(e) => return Err(init_failed(e).await),
    };
    tracing::info!(function = "search", init_ms = started.elapsed().as_millis() as u64, "ready");
    lambda_runtime::spawn_graceful_shutdown_handler(|| async {
        tracing::info!("SIGTERM: execution environment shutting down");
    })
    .await;
    let api = &api;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<ApiGatewayV2httpRequest>| async move {
        Ok::<ApiGatewayV2httpResponse, Error>(api.handle(event.payload).await)
    }))
    .await
}
