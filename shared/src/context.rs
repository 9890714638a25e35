//! Everything a handler needs, built once per execution environment and shared by invocations.

use crate::chunking::Chunker;
use crate::config::Config;
use crate::embedding::openai::OpenAiEmbedder;
use crate::embedding::{Embedder, LexicalEmbedder};
use crate::error::StageError;
use crate::ops::registry::{self, Identity};
use crate::parsing::llamaparse::LlamaParse;
use crate::stage::Stage;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

pub struct Context {
    pub config: Config,
    pub db: deadpool_postgres::Pool,
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub embedder: Arc<dyn Embedder>,
    /// Set when a LlamaParse key is configured; PDFs go there first.
    pub llamaparse: Option<Arc<LlamaParse>>,
    pub faults: Faults,
    pub metrics: FrameworkMetrics,
    /// Set for processes that handle messages; their heartbeat goes to the registry.
    pub identity: Option<Identity>,
    chunker: OnceLock<Arc<Chunker>>,
}

impl Context {
    pub fn new(config: Config, db: deadpool_postgres::Pool, s3: aws_sdk_s3::Client, sqs: aws_sdk_sqs::Client) -> Self {
        Context {
            config,
            db,
            s3,
            sqs,
            embedder: Arc::new(LexicalEmbedder),
            llamaparse: None,
            faults: Faults::default(),
            metrics: FrameworkMetrics::default(),
            identity: None,
            chunker: OnceLock::new(),
        }
    }

    /// For a Lambda cold start: configuration from the environment, checked for `stage`.
    pub async fn from_env_for(stage: Option<Stage>) -> anyhow::Result<Self> {
        let mut config = Config::from_env()?;
        if let Some(stage) = stage {
            config.require_stage(stage)?;
        }
        let sdk = crate::aws::sdk_config(config.aws_endpoint.as_deref()).await;
        crate::secrets::resolve(&mut config, &sdk).await?;
        let db = crate::db::pool(&config.database_url, config.db_pool_size)?;
        let (s3, sqs) = crate::aws::clients_from(&sdk, config.aws_endpoint.is_some());
        let api = config.embedding_api.clone();
        let llamaparse = config.llamaparse.clone();
        let mut ctx = Context::new(config, db, s3, sqs);
        if let Some(api) = api {
            ctx.embedder = Arc::new(OpenAiEmbedder::new(api)?);
        }
        if let Some(lp) = llamaparse {
            ctx.llamaparse = Some(Arc::new(LlamaParse::new(lp)?));
        }
        if let Some(stage) = stage {
            ctx.register_environment(stage.as_str()).await;
        }
        Ok(ctx)
    }

    /// Registers this execution environment (once, at init). A database that is down at cold
    /// start does not fail the init: the first invocation's heartbeat registers it instead.
    pub async fn register_environment(&mut self, function: &str) {
        let me = Identity::from_env(function);
        match self.db.get().await {
            Ok(db) => {
                if let Err(e) = registry::register(&**db, &me).await {
                    tracing::warn!(error = %e, "could not register the execution environment");
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not register the execution environment"),
        }
        self.identity = Some(me);
    }

    /// Refreshes this environment's heartbeat; failures are logged, never fatal.
    pub async fn heartbeat(&self) {
        let Some(me) = &self.identity else { return };
        let result = match self.db.get().await {
            Ok(db) => registry::heartbeat(&**db, me).await,
            Err(e) => Err(StageError::from_pool("heartbeat", &e)),
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "heartbeat not recorded");
        }
    }

    /// The tokenizer tables take a moment to build; only the chunk stage pays for them.
    pub fn chunker(&self) -> Arc<Chunker> {
        self.chunker.get_or_init(|| Arc::new(Chunker::new(&self.config.chunking))).clone()
    }
}

/// A failure injected by tests (and chaos drills) right after a stage claims its job.
pub enum Fault {
    Error(StageError),
    Panic(&'static str),
    /// Never returns: a handler that hangs or is killed mid-stage, holding its claim.
    Hang,
}

#[derive(Default)]
pub struct Faults {
    pending: Mutex<HashMap<Stage, VecDeque<Fault>>>,
}

impl Faults {
    pub fn inject(&self, stage: Stage, err: StageError) {
        self.push(stage, Fault::Error(err));
    }

    pub fn inject_panic(&self, stage: Stage, message: &'static str) {
        self.push(stage, Fault::Panic(message));
    }

    pub fn inject_hang(&self, stage: Stage) {
        self.push(stage, Fault::Hang);
    }

    fn push(&self, stage: Stage, fault: Fault) {
        self.pending.lock().unwrap().entry(stage).or_default().push_back(fault);
    }

    /// Fails, panics or hangs if a fault is pending for `stage`.
    pub async fn trigger(&self, stage: Stage) -> Result<(), StageError> {
        let fault = self.pending.lock().unwrap().get_mut(&stage).and_then(VecDeque::pop_front);
        match fault {
            None => Ok(()),
            Some(Fault::Error(e)) => Err(e),
            Some(Fault::Panic(message)) => panic!("{message}"),
            Some(Fault::Hang) => std::future::pending().await,
        }
    }
}

/// The framework's own cost per completed message (claim + complete + send), for `ingestctl bench`.
#[derive(Default)]
pub struct FrameworkMetrics {
    overhead: Mutex<Vec<(Stage, Duration)>>,
}

impl FrameworkMetrics {
    pub fn record_overhead(&self, stage: Stage, d: Duration) {
        self.overhead.lock().unwrap().push((stage, d));
    }

    pub fn take_overhead(&self) -> Vec<(Stage, Duration)> {
        std::mem::take(&mut *self.overhead.lock().unwrap())
    }
}
