//! `ingestctl`: operate doc-ingest and run it locally.

mod bench;
mod chunk_bench;
mod dlq;
mod embed_bench;
mod embeddings;
mod eval;
mod ingest;
mod ops;
mod parse_bench;
mod read;
mod report;
mod search_bench;
mod stack;
mod usage;
mod vector_bench;

use clap::{Parser, Subcommand};
use doc_ingest::Context;
use doc_ingest::pipeline::{StageSpec, parse_stage};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

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
    /// Poll every stage queue and run the handlers, as Lambda would, and sweep stranded jobs as
    /// the scheduled sweeper would, until Ctrl-C or SIGTERM (both drain the batches in flight).
    Run {
        /// Deliver every message twice (an at-least-once drill).
        #[arg(long)]
        duplicate_deliveries: bool,
        /// Seconds between sweeps; 0 turns the sweeper off.
        #[arg(long, default_value_t = 30)]
        sweep_every: u64,
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
    /// List jobs in a state (failed, a pipeline state) or stuck (a lease that ran out, or unmoved).
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
    /// Hybrid search (vectors + full text, fused) over one owner's documents, as the reader role.
    Search {
        query: String,
        #[arg(long)]
        owner: String,
        #[arg(long, default_value_t = 10)]
        k: usize,
        /// Only this document's chunks.
        #[arg(long)]
        document: Option<uuid::Uuid>,
        /// auto, exact or hnsw (the vector side's candidates).
        #[arg(long, default_value = "auto", value_parser = parse_strategy)]
        strategy: doc_ingest::search::Strategy,
        #[arg(long)]
        json: bool,
    },
    /// A presigned POST for one upload under uploads/OWNER/ (or, with --upload, use it).
    UploadUrl {
        #[arg(long)]
        owner: String,
        file: PathBuf,
        /// Seconds the URL is valid (at most 900).
        #[arg(long, default_value_t = 900)]
        expires: u64,
        #[arg(long)]
        upload: bool,
    },
    /// Right to erasure: every object, row and vector of an owner, with an audit record.
    Purge {
        #[arg(long)]
        owner: String,
    },
    /// Re-enqueue stuck jobs, fail those past the limit, prune old execution environments,
    /// and index part of the vector backlog.
    Sweep,
    /// Move the whole vector backlog into the HNSW index now.
    Index,
    /// The embedding model registry: list spaces, switch the model in place, drop old spaces.
    Embeddings {
        #[command(subcommand)]
        command: EmbeddingsCommand,
    },
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
    /// Chunking throughput (MB/s, 10^6 bytes) and quality, best of N runs; peers via scripts/bench-chunk.sh.
    BenchChunk {
        /// Sizes of generated policy markdown to chunk, in MB (when no --input is given).
        #[arg(long, value_delimiter = ',', default_values_t = vec![1.0, 4.0, 10.0])]
        mb: Vec<f64>,
        /// Chunk these markdown files instead of generated text (repeatable).
        #[arg(long)]
        input: Vec<PathBuf>,
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Python with the peers installed (scripts/bench-chunk.sh passes it); ours only without.
        #[arg(long)]
        peers_python: Option<PathBuf>,
        /// Peers skip texts larger than this (semantic-text-splitter is slow on big inputs).
        #[arg(long, default_value_t = 1e9)]
        peers_max_mb: f64,
    },
    /// The local embedding model's chunks/s (best of N) and peak RSS; peers via scripts/bench-embed.sh.
    BenchEmbed {
        /// MB of generated policy markdown, cut by the model's chunk profile.
        #[arg(long, default_value_t = 0.5)]
        mb: f64,
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Write the texts (and our first 100 vectors) as JSONL for scripts/embed_peer.py.
        #[arg(long)]
        write_texts: Option<PathBuf>,
    },
    /// Vector write rate and the whole embed stage against a plain binary COPY, then indexing.
    BenchVectors {
        #[arg(long, default_value_t = 5000)]
        rows: usize,
        #[arg(long, default_value_t = 3)]
        rounds: usize,
    },
    /// Vector search latency (HNSW vs exact, within one owner) and HNSW recall@10, synthetic data.
    BenchSearch {
        #[arg(long, default_value_t = 100_000)]
        chunks: usize,
        #[arg(long, default_value_t = 100)]
        owners: usize,
        #[arg(long, default_value_t = 300)]
        queries: usize,
    },
    /// Retrieval quality on a question set: ingest its documents under a fresh owner, search each
    /// question (vector side alone, and hybrid), report recall@1/5/10 and MRR at page and phrase level.
    Eval {
        #[arg(long, default_value = "corpus/eval/questions.jsonl")]
        questions: PathBuf,
        /// The directory the questions' file paths are relative to.
        #[arg(long, default_value = ".")]
        root: PathBuf,
        #[arg(long)]
        json: bool,
        /// Leave processing to running Lambdas or `ingestctl run`.
        #[arg(long)]
        no_run: bool,
        #[arg(long, default_value_t = 900)]
        timeout_secs: u64,
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
enum EmbeddingsCommand {
    /// Every model's space: provider, dimensions, state, vectors.
    List,
    /// Estimate, then (with --yes) re-embed every document into MODEL's space through the embed
    /// queue while the active space keeps serving, and switch atomically when it is whole. An
    /// interrupted switch resumes when run again.
    Switch {
        #[arg(long)]
        model: String,
        /// Start (or resume); without it only the estimate is printed.
        #[arg(long)]
        yes: bool,
        /// Dollars per million tokens for the estimate (default: the model's list price).
        #[arg(long)]
        price_per_mtok: Option<f64>,
        /// Leave the work to the deployed functions instead of running the handlers here.
        #[arg(long)]
        no_run: bool,
        #[arg(long, default_value_t = 3600)]
        timeout_secs: u64,
    },
    /// Abandon a switch under way (its space is retired, the active one unchanged).
    Cancel,
    /// Drop a retired space: its vectors and index (the embedding cache is kept).
    Drop {
        #[arg(long)]
        model: String,
    },
}

#[derive(Subcommand)]
enum DlqCommand {
    /// Every dead letter (of one stage), with its job's state; messages stay in the DLQ.
    List {
        #[arg(value_parser = parse_stage)]
        stage: Option<&'static StageSpec>,
    },
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
        #[arg(long, value_parser = parse_stage)]
        stage: Option<&'static StageSpec>,
    },
}

fn parse_strategy(s: &str) -> Result<doc_ingest::search::Strategy, String> {
    use doc_ingest::search::Strategy;
    match s {
        "auto" => Ok(Strategy::Auto),
        "exact" => Ok(Strategy::Exact),
        "hnsw" => Ok(Strategy::Hnsw),
        other => Err(format!("unknown strategy {other:?} (auto, exact, hnsw)")),
    }
}

/// `ingestctl … | head` closes the pipe early: end quietly, as Unix tools do, instead of
/// panicking in `println!` (Rust ignores SIGPIPE by default).
#[allow(unsafe_code)]
fn die_quietly_on_closed_pipe() {
    // SAFETY: restoring the default disposition of one signal at start, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Ctrl-C or SIGTERM, whichever comes first.
async fn interrupted() -> anyhow::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r?,
        _ = term.recv() => {}
    }
    Ok(())
}

/// The local embedding model allocates and frees tensors of up to ~100 MB per layer; glibc
/// serves each with mmap and munmap, and zeroing the new pages cost a third of the model's time
/// (sys 4.9 s of 8.5 s wall, measured with `bench-embed`). mimalloc reuses them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The context and, when the stage handlers are to run in this process (the local stack), the
/// stages, registered as a runner environment.
async fn with_local_runner(run: bool) -> anyhow::Result<(Arc<Context>, Option<doc_ingest::framework::Registry>)> {
    let mut ctx = Context::from_env().await?;
    let registry = if run {
        ctx.register_environment("runner").await;
        Some(doc_ingest::stages::from_env(&ctx).await?)
    } else {
        None
    };
    Ok((Arc::new(ctx), registry))
}

fn main() -> std::process::ExitCode {
    die_quietly_on_closed_pipe();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build();
    match runtime.map_err(anyhow::Error::from).and_then(|rt| rt.block_on(cli())) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The reason and its causes on one line: a refused file or a missing setting is not
            // a crash, and the backtrace RUST_BACKTRACE would add buries the reason.
            eprintln!("Error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn cli() -> anyhow::Result<()> {
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
        Command::Run { duplicate_deliveries, sweep_every } => {
            let mut ctx = Context::from_env().await?;
            ctx.register_environment("runner").await;
            let registry = doc_ingest::stages::from_env(&ctx).await?;
            let ctx = Arc::new(ctx);
            let opts = doc_ingest::runner::RunnerOptions {
                duplicate_deliveries,
                sweep_every: (sweep_every > 0).then(|| Duration::from_secs(sweep_every)),
                ..Default::default()
            };
            let running = doc_ingest::runner::Runner::new(ctx.clone(), registry, opts).start();
            eprintln!("polling the stage queues; Ctrl-C or SIGTERM to stop");
            interrupted().await?;
            eprintln!("stopping: settling the batches in flight");
            running.stop().await;
            ctx.deregister().await;
            Ok(())
        }
        Command::Ingest { paths, owner, no_run, timeout_secs } => {
            let (ctx, registry) = with_local_runner(!no_run).await?;
            let ok = ingest::run(ctx.clone(), registry, &paths, &owner, timeout_secs).await?;
            ctx.deregister().await;
            if !ok {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Status { id } => report::status(&Context::from_env().await?, id).await,
        Command::Jobs { state, limit } => ops::jobs(&Context::from_env().await?, &state, limit).await,
        Command::Dlq { command } => {
            let ctx = Context::from_env().await?;
            match command {
                DlqCommand::List { stage } => dlq::list(&ctx, stage).await,
                DlqCommand::Show { message_id } => dlq::show(&ctx, &message_id).await,
                DlqCommand::Redrive { all: true, stage, .. } => dlq::redrive_all(&ctx, stage).await,
                DlqCommand::Redrive { job: Some(job), stage, .. } => {
                    if !dlq::redrive_job(&ctx, job, stage).await? {
                        std::process::exit(1);
                    }
                    Ok(())
                }
                DlqCommand::Redrive { job: None, .. } => anyhow::bail!("--job or --all"),
            }
        }
        Command::Search { query, owner, k, document, strategy, json } => {
            read::search(&Context::from_env().await?, &query, &owner, k, document, strategy, json).await
        }
        Command::UploadUrl { owner, file, expires, upload } => {
            read::upload_url(&Context::from_env().await?, &owner, &file, expires, upload).await
        }
        Command::Purge { owner } => read::purge(&Context::from_env().await?, &owner).await,
        Command::Sweep => ops::sweep(&Context::from_env().await?).await,
        Command::Index => ops::index(&Context::from_env().await?).await,
        Command::Embeddings { command } => match command {
            EmbeddingsCommand::List => embeddings::list(&Context::from_env().await?).await,
            EmbeddingsCommand::Cancel => embeddings::cancel(&Context::from_env().await?).await,
            EmbeddingsCommand::Drop { model } => embeddings::drop_space(&Context::from_env().await?, &model).await,
            EmbeddingsCommand::Switch { model, yes, price_per_mtok, no_run, timeout_secs } => {
                let (ctx, registry) = with_local_runner(yes && !no_run).await?;
                let opts = embeddings::SwitchOptions {
                    model,
                    yes,
                    price_per_mtok,
                    timeout: Duration::from_secs(timeout_secs),
                };
                let ok = embeddings::switch(ctx.clone(), registry, opts).await?;
                ctx.deregister().await;
                if !ok {
                    std::process::exit(1);
                }
                Ok(())
            }
        },
        Command::Health => {
            let ctx = Context::from_env().await?;
            if !ops::health(&ctx).await? {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Parse { path, stats } => {
            if stats {
                return parse_bench::probe_stats(&path);
            }
            let bytes = std::fs::read(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let kind = doc_ingest::parsing::detect(&bytes, name)?;
            let parsed = doc_ingest::parsing::parse(kind, &bytes, &doc_ingest::parsing::Limits::from_env()?)?;
            print!("{}", parsed.markdown);
            eprintln!("{} page(s), parser {}", parsed.page_count, parsed.parser);
            Ok(())
        }
        Command::BenchParse { path, rounds } => parse_bench::run(&path, rounds),
        Command::BenchChunk { mb, input, runs, peers_python, peers_max_mb } => {
            chunk_bench::run(&chunk_bench::Options {
                megabytes: &mb,
                inputs: &input,
                runs,
                peers_python: peers_python.as_deref(),
                peers_max_mb,
            })
        }
        Command::BenchEmbed { mb, runs, write_texts } => {
            embed_bench::run(&embed_bench::Options { megabytes: mb, runs, write_texts })
        }
        Command::BenchVectors { rows, rounds } => vector_bench::run(Context::from_env().await?, rows, rounds).await,
        Command::BenchSearch { chunks, owners, queries } => search_bench::run(chunks, owners, queries).await,
        Command::Eval { questions, root, json, no_run, timeout_secs } => {
            let (ctx, registry) = with_local_runner(!no_run).await?;
            let opts = eval::EvalOptions { questions, root, json, timeout: Duration::from_secs(timeout_secs) };
            let result = eval::run(ctx.clone(), registry, opts).await;
            ctx.deregister().await;
            result
        }
        Command::Bench { paths, rounds } => {
            let ctx = Context::from_env().await?;
            let registry = doc_ingest::stages::from_env(&ctx).await?;
            bench::run(Arc::new(ctx), registry, &paths, rounds).await
        }
    }
}
