//! `ingestctl`: operate doc-ingest and run it locally.

mod bench;
mod chunk_bench;
mod dlq;
mod ingest;
mod ops;
mod parse_bench;
mod report;
mod stack;
mod vector_bench;

use clap::{Parser, Subcommand};
use doc_ingest::{Context, Stage};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "ingestctl", version, about = "Operate doc-ingest and run it locally")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending SQL migrations to DATABASE_URL.
    Migrate,
    /// Create the bucket, stage queues, DLQs and S3 notification; print their settings as env lines.
    StackInit {
        #[arg(long, default_value = "doc-ingest-local")]
        bucket: String,
        #[arg(long, default_value = "doc-ingest")]
        queue_prefix: String,
        #[arg(long, default_value_t = 120)]
        visibility_timeout: u32,
    },
    /// Poll every stage queue and run the handlers, as Lambda would, until interrupted.
    Run {
        /// Deliver every message twice (an at-least-once drill).
        #[arg(long)]
        duplicate_deliveries: bool,
    },
    /// Upload files under uploads/OWNER/ and follow each document until it is done or failed.
    Ingest {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, default_value = "samples")]
        owner: String,
        /// Only upload and follow; leave processing to running Lambdas or `ingestctl run`.
        #[arg(long)]
        no_run: bool,
        #[arg(long, default_value_t = 180)]
        timeout_secs: u64,
    },
    /// Show a document's (or job's) stage timeline, or the latest documents.
    Status { id: Option<uuid::Uuid> },
    /// List jobs in a state (failed, a pipeline state) or stuck (no live lease, not moving).
    Jobs {
        #[arg(long, default_value = "failed")]
        state: String,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Dead letters: list, show one with its job's history, move back to the stage queue.
    Dlq {
        #[command(subcommand)]
        command: DlqCommand,
    },
    /// Re-enqueue stuck jobs, fail those past the limit, prune old execution environments,
    /// and index part of the vector backlog.
    Sweep,
    /// Move the whole vector backlog into the HNSW index now.
    Index,
    /// Database, queues and DLQs, stuck jobs, execution environments; exit 1 when unhealthy.
    Health,
    /// Parse a local file as the parse stage would (offline parser) and print its markdown.
    Parse {
        path: PathBuf,
        /// Print only timing and peak memory, as JSON on stderr (for bench-parse).
        #[arg(long)]
        stats: bool,
    },
    /// Pages per CPU-second and peak RSS of the local parser on a PDF, against pdftotext.
    BenchParse {
        path: PathBuf,
        #[arg(long, default_value_t = 3)]
        rounds: usize,
    },
    /// Chunking throughput (MB/s) on generated policy markdown, against the naive splitter.
    BenchChunk {
        /// Sizes to chunk, in MB.
        #[arg(long, value_delimiter = ',', default_values_t = vec![1.0, 10.0])]
        mb: Vec<f64>,
        /// Size for the naive comparison (it grows faster than linearly).
        #[arg(long, default_value_t = 1.0)]
        naive_mb: f64,
    },
    /// Vector write rate against a plain binary COPY, and the embed stage's cost per batch.
    BenchVectors {
        #[arg(long, default_value_t = 5000)]
        rows: usize,
        #[arg(long, default_value_t = 5)]
        batches: usize,
        #[arg(long, default_value_t = 3)]
        rounds: usize,
    },
    /// End-to-end time per document and the framework's own overhead per message.
    Bench {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, default_value_t = 3)]
        rounds: usize,
    },
}

#[derive(Subcommand)]
enum DlqCommand {
    /// Every dead letter (of one stage), with its job's state; messages stay in the DLQ.
    List { stage: Option<Stage> },
    /// One dead letter's attributes and its job's timeline.
    Show { message_id: String },
    /// Move dead letters back to their stage queue; the job reopens at the stage it failed in.
    Redrive {
        /// Only this job's messages (receive, re-send, delete).
        #[arg(long, conflicts_with = "all", required_unless_present = "all")]
        job: Option<uuid::Uuid>,
        /// Every message: SQS StartMessageMoveTask where supported, else one by one.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        stage: Option<Stage>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    doc_ingest::logging::init("warn");
    let cli = Cli::parse();
    match cli.command {
        Command::Migrate => {
            let url = std::env::var("DATABASE_URL").map_err(|_| anyhow::anyhow!("DATABASE_URL is not set"))?;
            let applied = doc_ingest::db::migrate(&url).await?;
            if applied.is_empty() {
                println!("migrations: up to date");
            }
            for m in applied {
                println!("applied {m}");
            }
            Ok(())
        }
        Command::StackInit { bucket, queue_prefix, visibility_timeout } => {
            stack::init(bucket, queue_prefix, visibility_timeout).await
        }
        Command::Run { duplicate_deliveries } => {
            let mut ctx = Context::from_env_for(None).await?;
            ctx.register_environment("runner").await;
            let ctx = Arc::new(ctx);
            let opts = doc_ingest::runner::RunnerOptions { duplicate_deliveries, ..Default::default() };
            let running = doc_ingest::runner::Runner::new(ctx, opts).start();
            eprintln!("polling the stage queues; Ctrl-C to stop");
            tokio::signal::ctrl_c().await?;
            running.stop().await;
            Ok(())
        }
        Command::Ingest { paths, owner, no_run, timeout_secs } => {
            let mut ctx = Context::from_env_for(None).await?;
            if !no_run {
                ctx.register_environment("runner").await;
            }
            let ctx = Arc::new(ctx);
            let ok = ingest::run(ctx, &paths, &owner, !no_run, timeout_secs).await?;
            if !ok {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Status { id } => {
            let ctx = Context::from_env_for(None).await?;
            report::status(&ctx, id).await
        }
        Command::Jobs { state, limit } => ops::jobs(&Context::from_env_for(None).await?, &state, limit).await,
        Command::Dlq { command } => {
            let ctx = Context::from_env_for(None).await?;
            match command {
                DlqCommand::List { stage } => dlq::list(&ctx, stage).await,
                DlqCommand::Show { message_id } => dlq::show(&ctx, &message_id).await,
                DlqCommand::Redrive { all: true, stage, .. } => dlq::redrive_all(&ctx, stage).await,
                DlqCommand::Redrive { job, stage, .. } => {
                    let job = job.expect("clap requires --job without --all");
                    if !dlq::redrive_job(&ctx, job, stage).await? {
                        std::process::exit(1);
                    }
                    Ok(())
                }
            }
        }
        Command::Sweep => ops::sweep(&Context::from_env_for(None).await?).await,
        Command::Index => ops::index(&Context::from_env_for(None).await?).await,
        Command::Health => {
            let ctx = Context::from_env_for(None).await?;
            if !ops::health(&ctx).await? {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Parse { path, stats } => {
            let started = std::time::Instant::now();
            let bytes = std::fs::read(&path)?;
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let kind = doc_ingest::parsing::detect(&bytes, name)?;
            let limits = doc_ingest::config::Config::with_defaults(String::new(), Default::default()).limits;
            let parsed = doc_ingest::parsing::parse(kind, &bytes, &limits)?;
            if stats {
                eprintln!("{}", parse_bench::self_stats(parsed.page_count, started.elapsed()));
            } else {
                print!("{}", parsed.markdown);
                eprintln!("{} page(s), parser {}", parsed.page_count, parsed.parser);
            }
            Ok(())
        }
        Command::BenchParse { path, rounds } => parse_bench::run(&path, rounds),
        Command::BenchChunk { mb, naive_mb } => {
            chunk_bench::run(&mb, naive_mb);
            Ok(())
        }
        Command::BenchVectors { rows, batches, rounds } => {
            let ctx = Context::from_env_for(None).await?;
            vector_bench::run(ctx, rows, batches, rounds).await
        }
        Command::Bench { paths, rounds } => {
            let ctx = Arc::new(Context::from_env_for(None).await?);
            bench::run(ctx, &paths, rounds).await
        }
    }
}
