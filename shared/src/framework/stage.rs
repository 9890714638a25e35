//! What a stage is to the framework: a spec (name, states, next stage), how it reads a
//! delivery, and its work under a lease. Stages implement [`Stage`]; the framework only ever sees
//! them as [`AnyStage`] objects, from a [`super::Registry`] or a Lambda's `main`.

use super::Delivery;
use super::message::StageMessage;
use crate::context::Context;
use crate::db::jobs::{self, Job, Lease};
use crate::error::{DbResultExt, ErrorClass, StageError, StageResult};
use crate::pipeline::StageSpec;
use futures::future::BoxFuture;
use std::future::Future;

/// One job a delivery is about, and whether it must be refused instead of run.
#[derive(Debug)]
pub struct Work {
    pub job: Job,
    /// Set when the job must not run (an upload rejected at admission): the framework fails the
    /// job with it, once, and dead-letters the message.
    pub refusal: Option<StageError>,
}

impl Work {
    pub fn run(job: Job) -> Self {
        Work { job, refusal: None }
    }
}

pub trait Stage: Send + Sync + 'static {
    fn spec(&self) -> &'static StageSpec;

    /// The jobs a delivery on this stage's queue is about. By default the body is a stage
    /// message naming one job; a stage fed by something else (S3 notifications) overrides this.
    fn intake(&self, ctx: &Context, delivery: &Delivery) -> impl Future<Output = StageResult<Vec<Work>>> + Send {
        stage_message_intake(ctx, self.spec(), &delivery.body)
    }

    /// The stage's work. It commits its results together with `lease.transition` (or
    /// `lease.complete`), so that only the current attempt's results ever become visible.
    fn run(&self, ctx: &Context, lease: &Lease) -> impl Future<Output = StageResult<()>> + Send;
}

/// How a function's cold start builds its stage: settings from the environment, clients from
/// the context.
pub trait FromEnv: Sized {
    fn from_env(ctx: &Context) -> impl Future<Output = anyhow::Result<Self>>;
}

/// A stage as an object, so a registry can hold stages of different types.
pub trait AnyStage: Send + Sync {
    fn spec(&self) -> &'static StageSpec;
    fn intake<'a>(&'a self, ctx: &'a Context, delivery: &'a Delivery) -> BoxFuture<'a, StageResult<Vec<Work>>>;
    fn run<'a>(&'a self, ctx: &'a Context, lease: &'a Lease) -> BoxFuture<'a, StageResult<()>>;
}

impl<S: Stage> AnyStage for S {
    fn spec(&self) -> &'static StageSpec {
        Stage::spec(self)
    }

    fn intake<'a>(&'a self, ctx: &'a Context, delivery: &'a Delivery) -> BoxFuture<'a, StageResult<Vec<Work>>> {
        Box::pin(Stage::intake(self, ctx, delivery))
    }

    fn run<'a>(&'a self, ctx: &'a Context, lease: &'a Lease) -> BoxFuture<'a, StageResult<()>> {
        Box::pin(Stage::run(self, ctx, lease))
    }
}

/// A stage message for this stage, and the job it names.
pub async fn stage_message_intake(ctx: &Context, spec: &StageSpec, body: &str) -> StageResult<Vec<Work>> {
    let msg = StageMessage::decode(body)?;
    if msg.stage != spec.name {
        return Err(StageError::new(
            ErrorClass::WrongStage,
            format!("a {} message on the {} queue", msg.stage, spec.name),
        ));
    }
    let db = ctx.db.get().await.db("loading job")?;
    let job = jobs::load(&**db, msg.job_id)
        .await?
        .ok_or_else(|| StageError::new(ErrorClass::UnknownJob, format!("no job {}", msg.job_id)))?;
    if job.document_id != msg.document_id {
        return Err(StageError::new(
            ErrorClass::DocumentMismatch,
            format!("job {} is not for document {}", job.id, msg.document_id),
        ));
    }
    Ok(vec![Work::run(job)])
}
