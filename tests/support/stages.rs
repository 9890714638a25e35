//! Stages that tests register in place of the real ones: each wraps a real stage and fails,
//! panics or hangs on its first runs. Production code carries no fault hooks.

use doc_ingest::db::jobs::Lease;
use doc_ingest::framework::{AnyStage, Delivery, Stage, Work};
use doc_ingest::{Context, StageError, StageResult, StageSpec};
use std::sync::Arc;
use std::sync::Mutex;

pub enum Fault {
    Fail(StageError),
    Panic(&'static str),
    /// Never returns: a handler that hangs or is killed mid-stage, holding its claim.
    Hang,
    /// Holds the claim this long, then does the real work: a slow stage.
    Delay(std::time::Duration),
}

/// The wrapped stage, with `faults` taken one per run before it delegates.
pub struct Faulty {
    inner: Arc<dyn AnyStage>,
    faults: Mutex<Vec<Fault>>,
}

impl Faulty {
    pub fn new(inner: Arc<dyn AnyStage>, faults: Vec<Fault>) -> Self {
        let mut faults = faults;
        faults.reverse();
        Faulty { inner, faults: Mutex::new(faults) }
    }
}

impl Stage for Faulty {
    fn spec(&self) -> &'static StageSpec {
        self.inner.spec()
    }

    async fn intake(&self, ctx: &Context, delivery: &Delivery) -> StageResult<Vec<Work>> {
        self.inner.intake(ctx, delivery).await
    }

    async fn run(&self, ctx: &Context, lease: &Lease) -> StageResult<()> {
        let fault = self.faults.lock().unwrap().pop();
        match fault {
            None => self.inner.run(ctx, lease).await,
            Some(Fault::Fail(e)) => Err(e),
            Some(Fault::Panic(message)) => panic!("{message}"),
            Some(Fault::Hang) => std::future::pending().await,
            Some(Fault::Delay(d)) => {
                tokio::time::sleep(d).await;
                self.inner.run(ctx, lease).await
            }
        }
    }
}
