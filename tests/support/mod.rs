//! Test harness: every test gets its own database (cloned from a migrated template) and its own
//! bucket and queues on the local stack. Start the stack with `scripts/stack.sh up` and source
//! `.stack/env`, or use `scripts/test.sh`, which does both.

#![allow(clippy::unwrap_used)]

pub mod runtime_api;
pub mod stages;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName, QueueAttributeName};
use doc_ingest::Context;
use doc_ingest::chunking::ChunkingConfig;
use doc_ingest::config::{Config, Queues};
use doc_ingest::embedding::batching::BatchLimits;
use doc_ingest::embedding::spaces::Embedders;
use doc_ingest::embedding::{Embedder, LexicalEmbedder};
use doc_ingest::framework::{AnyStage, Registry, handle_batch};
use doc_ingest::parsing::Limits;
use doc_ingest::parsing::llamaparse::LlamaParseConfig;
use doc_ingest::pipeline::PIPELINE;
use doc_ingest::provision::{StackSpec, provision};
use doc_ingest::runner::{Runner, RunnerOptions, RunningRunner, to_lambda_message};
use doc_ingest::stages::{chunk::ChunkStage, embed::EmbedStage, finalize::FinalizeStage, parse::ParseStage};
use stages::{Fault, Faulty};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;
use tokio_postgres::types::{FromSql, ToSql};
use uuid::Uuid;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests with scripts/test.sh (or `scripts/stack.sh up` and source .stack/env)")
    })
}

fn database_url(admin_url: &str, db: &str) -> String {
    let (base, _) = admin_url.rsplit_once('/').expect("admin URL ends in /DATABASE");
    format!("{base}/{db}")
}

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.expect("connect to the test server");
    tokio::spawn(conn);
    client
}

/// The login the search side uses (a member of `doc_ingest_reader`).
pub const READER_LOGIN: &str = "doc_ingest_search";

/// The migrated template, built once per migration set (across test processes, under a lock).
async fn template() -> &'static str {
    static TEMPLATE: OnceCell<String> = OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let admin_url = env("DOC_INGEST_ADMIN_DATABASE_URL");
            let name = format!("doc_ingest_tmpl_{}", doc_ingest::db::migrations_fingerprint());
            let admin = connect(&admin_url).await;
            admin.execute("SELECT pg_advisory_lock(7262001)", &[]).await.unwrap();
            let exists =
                admin.query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name]).await.unwrap().is_some();
            if !exists {
                // Built under another name and renamed, so a half-built template is never used.
                let building = format!("{name}_building");
                admin.execute(&format!("DROP DATABASE IF EXISTS {building}"), &[]).await.unwrap();
                admin.execute(&format!("CREATE DATABASE {building}"), &[]).await.unwrap();
                doc_ingest::db::migrate(&database_url(&admin_url, &building)).await.expect("migrate template");
                admin.execute(&format!("ALTER DATABASE {building} RENAME TO {name}"), &[]).await.unwrap();
            }
            // The read side's login (cluster-wide, as on the stack): the reader role, nothing more.
            admin
                .batch_execute(&format!(
                    "DO $$ BEGIN
                       IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{READER_LOGIN}') THEN
                         CREATE ROLE {READER_LOGIN} LOGIN NOSUPERUSER NOBYPASSRLS IN ROLE doc_ingest_reader;
                       END IF; END $$"
                ))
                .await
                .unwrap();
            admin.execute("SELECT pg_advisory_unlock(7262001)", &[]).await.unwrap();
            name
        })
        .await
}

/// The stages' settings a test may change before they are built.
pub struct StageSettings {
    pub limits: Limits,
    pub llamaparse: Option<LlamaParseConfig>,
    pub chunking: ChunkingConfig,
    pub embedder: Arc<dyn Embedder>,
    /// Models the embed stage may be asked to write besides `embedder`'s (a model switch).
    pub other_embedders: Vec<Arc<dyn Embedder>>,
    pub batch_limits: BatchLimits,
}

impl Default for StageSettings {
    fn default() -> Self {
        StageSettings {
            limits: Limits::default(),
            llamaparse: None,
            chunking: ChunkingConfig::default(),
            embedder: Arc::new(LexicalEmbedder),
            other_embedders: Vec::new(),
            batch_limits: BatchLimits::default(),
        }
    }
}

pub struct TestEnv {
    pub ctx: Arc<Context>,
    pub s3: aws_sdk_s3::Client,
    pub bucket: String,
    /// The embedder the stages use (and search embeds queries with).
    pub embedder: Arc<dyn Embedder>,
    registry: Mutex<Registry>,
}

impl TestEnv {
    pub async fn new() -> Self {
        Self::build(|_| {}, |_| {}).await
    }

    pub async fn with_config(adjust: impl FnOnce(&mut Config)) -> Self {
        Self::build(adjust, |_| {}).await
    }

    pub async fn with_stages(adjust: impl FnOnce(&mut StageSettings)) -> Self {
        Self::build(|_| {}, adjust).await
    }

    pub async fn with_context(adjust: impl FnOnce(&mut Context)) -> Self {
        Self::build_with(|_| {}, |_| {}, adjust).await
    }

    pub async fn build(adjust: impl FnOnce(&mut Config), adjust_stages: impl FnOnce(&mut StageSettings)) -> Self {
        Self::build_with(adjust, adjust_stages, |_| {}).await
    }

    pub async fn build_with(
        adjust: impl FnOnce(&mut Config),
        adjust_stages: impl FnOnce(&mut StageSettings),
        adjust_ctx: impl FnOnce(&mut Context),
    ) -> Self {
        // Quiet unless RUST_LOG asks: the assertions say what failed.
        doc_ingest::logging::init("off");
        let admin_url = env("DOC_INGEST_ADMIN_DATABASE_URL");
        let endpoint = env("AWS_ENDPOINT_URL");
        let tag = Uuid::new_v4().simple().to_string()[..12].to_owned();
        let db_name = format!("test_{tag}");
        let template = template().await;
        connect(&admin_url)
            .await
            .execute(&format!("CREATE DATABASE {db_name} TEMPLATE {template}"), &[])
            .await
            .expect("clone the template database");

        let sdk = doc_ingest::aws::sdk_config(Some(&endpoint)).await;
        let s3 = doc_ingest::aws::s3_client(&sdk, true);
        let sqs = doc_ingest::aws::sqs_client(&sdk);
        let bucket = format!("t-{tag}");
        let spec =
            StackSpec { bucket: bucket.clone(), queue_prefix: format!("t-{tag}"), visibility_timeout_seconds: 30 };
        let queues: Queues = provision(&s3, &sqs, &spec).await.expect("provision test resources");

        let mut config = Config::with_defaults(database_url(&admin_url, &db_name), queues);
        config.bucket = Some(bucket.clone());
        config.aws_endpoint = Some(endpoint);
        config.lease = Duration::from_secs(20);
        adjust(&mut config);
        let db = doc_ingest::db::pool(&config.database_url, config.db_pool_size + 4).unwrap();
        let mut ctx = Context::new(config, db, sdk);
        adjust_ctx(&mut ctx);

        let mut settings = StageSettings::default();
        adjust_stages(&mut settings);
        let embedder = settings.embedder.clone();
        let mut registry = Registry::new();
        registry
            .register(ParseStage::new(s3.clone(), settings.limits, settings.llamaparse).unwrap())
            .register(ChunkStage::new(s3.clone(), settings.chunking))
            .register(EmbedStage::with_embedders(
                Embedders::fixed(settings.embedder, settings.other_embedders),
                settings.batch_limits,
            ))
            .register(FinalizeStage::new(s3.clone()));
        TestEnv { ctx: Arc::new(ctx), s3, bucket, embedder, registry: Mutex::new(registry) }
    }

    /// The stage registered under `name`.
    pub fn stage(&self, name: &str) -> Arc<dyn AnyStage> {
        self.registry.lock().unwrap().get(name).unwrap_or_else(|| panic!("no stage {name}"))
    }

    /// Replaces the stage `name` by one that meets `faults` on its next runs, then works.
    pub fn inject(&self, name: &str, faults: Vec<Fault>) {
        let faulty = Faulty::new(self.stage(name), faults);
        self.registry.lock().unwrap().register(faulty);
    }

    /// The handler of stage `name`, as its Lambda would call it.
    pub async fn handle(&self, name: &str, event: SqsEvent) -> SqsBatchResponse {
        handle_batch(&self.ctx, &*self.stage(name), event).await
    }

    pub fn start(&self, opts: RunnerOptions) -> RunningRunner {
        let registry = self.registry.lock().unwrap().clone();
        Runner::new(self.ctx.clone(), registry, RunnerOptions { record_deliveries: true, ..opts }).start()
    }

    /// A connection as the read side's role: row-level security applies to it.
    pub async fn reader(&self) -> tokio_postgres::Client {
        let url = self.ctx.config.database_url.replacen("postgres@", &format!("{READER_LOGIN}@"), 1);
        connect(&url).await
    }

    /// Hybrid search as `owner`, through the reader role, with the stages' embedder.
    pub async fn search(&self, owner: &str, text: &str, k: usize) -> Vec<doc_ingest::search::Hit> {
        let q = doc_ingest::search::Query {
            text: text.to_owned(),
            k,
            document: None,
            strategy: doc_ingest::search::Strategy::Auto,
        };
        let mut reader = self.reader().await;
        doc_ingest::search::search(&mut reader, &*self.embedder, owner, &q).await.expect("search")
    }

    /// Turns bucket versioning on: every write is a version with its own id.
    pub async fn enable_versioning(&self) {
        use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
        self.s3
            .put_bucket_versioning()
            .bucket(&self.bucket)
            .versioning_configuration(
                VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build(),
            )
            .send()
            .await
            .expect("enable versioning");
    }

    /// Writes an object and swallows S3's own notification of it, so that a test can deliver
    /// notifications itself, in the order it wants and with the sequencers S3 would give (moto
    /// gives none). Returns the ETag and the version id.
    pub async fn upload_quietly(&self, key: &str, bytes: Vec<u8>) -> (String, Option<String>) {
        let size = bytes.len();
        let out = self.s3.put_object().bucket(&self.bucket).key(key).body(bytes.into()).send().await.expect("upload");
        let etag = out.e_tag().unwrap_or_default().trim_matches('"').to_owned();
        let deadline = Instant::now() + Duration::from_secs(10);
        'wait: loop {
            for m in self.receive(&self.queue("parse")).await {
                let body = m.body().unwrap_or_default();
                let url = self.queue("parse");
                let receipt = m.receipt_handle().unwrap_or_default().to_owned();
                if body.contains(&etag) || body.contains("s3:TestEvent") {
                    self.ctx.sqs.delete_message().queue_url(&url).receipt_handle(receipt).send().await.unwrap();
                    if body.contains(&etag) {
                        break 'wait;
                    }
                } else {
                    self.ctx
                        .sqs
                        .change_message_visibility()
                        .queue_url(&url)
                        .receipt_handle(receipt)
                        .visibility_timeout(0)
                        .send()
                        .await
                        .unwrap();
                }
            }
            assert!(Instant::now() < deadline, "S3's notification of {key} ({size} bytes) never came");
        }
        (etag, out.version_id().map(str::to_owned))
    }

    /// Sends an S3 event notification for `key` to the parse queue, as S3 shapes it.
    pub async fn notify(&self, event: &str, key: &str, etag: &str, version: Option<&str>, sequencer: &str) {
        let encoded: String = key.split('/').map(|s| s.replace(' ', "+")).collect::<Vec<_>>().join("/");
        let body = serde_json::json!({ "Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
            "eventTime": "2026-12-01T00:00:00.000Z", "eventName": event,
            "s3": { "s3SchemaVersion": "1.0", "configurationId": "parse-uploads",
                    "bucket": { "name": self.bucket, "arn": format!("arn:aws:s3:::{}", self.bucket) },
                    "object": { "key": encoded, "size": 100, "eTag": etag, "versionId": version, "sequencer": sequencer } }
        }]});
        self.send(&self.queue("parse"), &body.to_string()).await;
    }

    pub async fn db(&self) -> deadpool_postgres::Object {
        self.ctx.db.get().await.expect("database connection")
    }

    /// The first column of the single row `sql` returns.
    pub async fn scalar<T: for<'a> FromSql<'a>>(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> T {
        self.db().await.query_one(sql, params).await.unwrap_or_else(|e| panic!("{sql}: {e}")).get(0)
    }

    pub async fn upload(&self, key: &str, bytes: Vec<u8>) {
        self.s3.put_object().bucket(&self.bucket).key(key).body(bytes.into()).send().await.expect("upload");
    }

    /// Waits for the document at `key` to be done or failed; returns its id and status.
    pub async fn wait_terminal(&self, key: &str, timeout: Duration) -> (Uuid, String) {
        let deadline = Instant::now() + timeout;
        loop {
            let row = self
                .db()
                .await
                .query_opt(
                    "SELECT id, status::text FROM documents WHERE bucket = $1 AND object_key = $2",
                    &[&self.bucket, &key],
                )
                .await
                .unwrap();
            if let Some(r) = row {
                let status: String = r.get(1);
                if status == "done" || status == "failed" {
                    return (r.get(0), status);
                }
            }
            assert!(Instant::now() < deadline, "{key} did not finish within {timeout:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn queue(&self, stage: &str) -> String {
        self.ctx.config.queues.url(stage).unwrap().to_owned()
    }

    pub fn dlq(&self, stage: &str) -> String {
        self.ctx.config.queues.dlq_url(stage).unwrap().to_owned()
    }

    /// (visible, in flight) messages.
    pub async fn depth(&self, url: &str) -> (i64, i64) {
        let out = self
            .ctx
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .unwrap();
        let get = |k: QueueAttributeName| -> i64 {
            out.attributes().and_then(|a| a.get(&k)).and_then(|v| v.parse().ok()).unwrap_or(0)
        };
        (
            get(QueueAttributeName::ApproximateNumberOfMessages),
            get(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        )
    }

    /// Waits until every stage queue is empty, visible and in flight (DLQs are not waited for).
    pub async fn wait_until_queues_drain(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let mut busy = false;
            for stage in PIPELINE.iter().map(|s| s.name) {
                busy |= self.depth(&self.queue(stage)).await != (0, 0);
            }
            if !busy {
                return;
            }
            assert!(Instant::now() < deadline, "the stage queues did not drain within {timeout:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Every stage queue and DLQ holds nothing, visible or in flight.
    pub async fn assert_all_queues_empty(&self) {
        for stage in PIPELINE.iter().map(|s| s.name) {
            assert_eq!(self.depth(&self.queue(stage)).await, (0, 0), "{stage} queue not empty");
            assert_eq!(self.depth(&self.dlq(stage)).await, (0, 0), "{stage} DLQ not empty");
        }
    }

    /// Receives (and leaves in flight) up to 10 messages, with all attributes.
    pub async fn receive(&self, url: &str) -> Vec<Message> {
        self.ctx
            .sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default()
    }

    pub async fn send(&self, url: &str, body: &str) {
        self.ctx.sqs.send_message().queue_url(url).message_body(body).send().await.unwrap();
    }

    /// Uploads `bytes` at `key` and runs only the stages before `stage`, until `stage`'s message
    /// arrives; returns that message as the Lambda event source would deliver it (it stays in
    /// flight, undeleted), so a test can hand it to handlers itself.
    pub async fn message_for(&self, stage: &str, key: &str, bytes: Vec<u8>) -> SqsEvent {
        let before: Vec<&'static str> = PIPELINE.iter().map(|s| s.name).take_while(|s| *s != stage).collect();
        let runner = self.start(RunnerOptions { stages: before, ..Default::default() });
        self.upload(key, bytes).await;
        let mut messages = vec![];
        for _ in 0..30 {
            messages = self.receive(&self.queue(stage)).await;
            if !messages.is_empty() {
                break;
            }
        }
        runner.stop().await;
        assert_eq!(messages.len(), 1, "one {stage} message");
        let mut event = SqsEvent::default();
        event.records.push(to_lambda_message(&messages[0], &self.queue(stage)));
        event
    }

    /// The (from, to) of every transition event of a document, in order.
    pub async fn transitions(&self, document_id: Uuid) -> Vec<(Option<String>, String)> {
        self.db()
            .await
            .query(
                "SELECT from_state::text, to_state::text FROM job_events
                 WHERE document_id = $1 AND kind = 'transition' ORDER BY id",
                &[&document_id],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    }
}

pub fn sample(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn message_attr(m: &Message, name: &str) -> Option<String> {
    m.message_attributes()?.get(name)?.string_value().map(str::to_owned)
}

/// The happy path, as the audit log must record it.
pub fn happy_transitions() -> Vec<(Option<String>, String)> {
    let states = ["upload_validated", "parsing", "parsed", "chunking", "chunked", "embedding", "embedded", "done"];
    let mut out = vec![(None, states[0].to_owned())];
    for w in states.windows(2) {
        out.push((Some(w[0].to_owned()), w[1].to_owned()));
    }
    out
}
