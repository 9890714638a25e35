//! What the framework needs, built once per execution environment and shared by invocations:
//! configuration, the database pool and the SQS client. Stages hold their own clients.

use crate::config::Config;
use crate::error::DbResultExt;
use crate::ops::registry::{self, Identity};
use aws_config::SdkConfig;

pub struct Context {
    pub config: Config,
    pub db: deadpool_postgres::Pool,
    pub sqs: aws_sdk_sqs::Client,
    /// The AWS settings the clients were built from, for stages that build their own.
    pub sdk: SdkConfig,
    /// Set for processes that handle messages; their heartbeat goes to the registry.
    pub identity: Option<Identity>,
}

impl Context {
    pub fn new(config: Config, db: deadpool_postgres::Pool, sdk: SdkConfig) -> Self {
        let sqs = crate::aws::sqs_client(&sdk);
        Context { config, db, sqs, sdk, identity: None }
    }

    /// For a cold start: configuration from the environment, the database secret resolved.
    pub async fn from_env() -> anyhow::Result<Self> {
        let mut config = Config::from_env()?;
        let sdk = crate::aws::sdk_config(config.aws_endpoint.as_deref()).await;
        crate::secrets::resolve_database(&mut config, &sdk).await?;
        let db = crate::db::pool(&config.database_url, config.db_pool_size)?;
        Ok(Context::new(config, db, sdk))
    }

    /// True when S3 must be addressed by path (an emulator).
    pub fn emulated(&self) -> bool {
        self.config.aws_endpoint.is_some()
    }

    #[cfg(feature = "s3")]
    pub fn s3(&self) -> aws_sdk_s3::Client {
        crate::aws::s3_client(&self.sdk, self.emulated())
    }

    /// Registers this execution environment. A database that is down does not fail the caller:
    /// the first invocation's heartbeat registers it instead.
    pub async fn register_environment(&mut self, function: &str) {
        let me = Identity::from_env(function);
        let result = match self.db.get().await.db("registering execution environment") {
            Ok(db) => registry::register(&**db, &me).await,
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            tracing::warn!(error = %e.detail(), "could not register the execution environment");
        }
        self.identity = Some(me);
    }

    /// Removes this environment from the registry on a clean shutdown; best effort, bounded.
    pub async fn deregister(&self) {
        let Some(me) = &self.identity else { return };
        let gone = async {
            let db = self.db.get().await.db("deregistering")?;
            registry::deregister(&**db, me).await
        };
        match tokio::time::timeout(std::time::Duration::from_secs(2), gone).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::debug!(error = %e.detail(), "environment not deregistered; the sweeper prunes it"),
            Err(_) => tracing::debug!("environment not deregistered in time; the sweeper prunes it"),
        }
    }

    /// Refreshes this environment's heartbeat; failures are logged, never fatal.
    pub async fn heartbeat(&self) {
        let Some(me) = &self.identity else { return };
        let result = match self.db.get().await.db("heartbeat") {
            Ok(db) => registry::heartbeat(&**db, me).await,
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            tracing::warn!(error = %e.detail(), "heartbeat not recorded");
        }
    }
}
