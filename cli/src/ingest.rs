//! `ingestctl ingest`: upload through S3 and follow each document to done or failed.

use crate::report::{print_summaries, truncate};
use anyhow::Context as _;
use aws_sdk_s3::primitives::ByteStream;
use doc_ingest::Context;
use doc_ingest::db::reports;
use doc_ingest::framework::Registry;
use doc_ingest::runner::{Runner, RunnerOptions};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

pub struct Uploaded {
    pub path: PathBuf,
    pub key: String,
}

pub async fn upload(ctx: &Context, path: &Path, owner: &str) -> anyhow::Result<Uploaded> {
    let bucket = ctx.config.bucket.as_deref().context("DOC_INGEST_BUCKET is not set")?;
    let name = path.file_name().and_then(|n| n.to_str()).context("path has no file name")?;
    let key = format!("uploads/{owner}/{}/{name}", Uuid::new_v4());
    let body = ByteStream::from_path(path).await.with_context(|| format!("reading {}", path.display()))?;
    ctx.s3()
        .put_object()
        .bucket(bucket)
        .key(&key)
        .body(body)
        .send()
        .await
        .with_context(|| format!("uploading {}", path.display()))?;
    Ok(Uploaded { path: path.to_owned(), key })
}

/// Steps along the happy path, for the progress bars.
const STEPS: [&str; 8] =
    ["uploaded", "upload_validated", "parsing", "parsed", "chunking", "chunked", "embedding", "embedded"];

/// One line per upload: a progress bar on a terminal, a line per status change otherwise.
struct Display {
    bars: Vec<ProgressBar>,
    last: Vec<String>,
}

impl Display {
    fn new(uploads: &[Uploaded], verbose: bool) -> Self {
        let multi = MultiProgress::with_draw_target(if verbose {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        let style = ProgressStyle::with_template("{prefix:<36} [{bar:24}] {msg} ({elapsed})")
            .expect("the template is valid")
            .progress_chars("=> ");
        let bars = uploads
            .iter()
            .map(|u| {
                let bar = multi.add(ProgressBar::new(STEPS.len() as u64 + 1).with_style(style.clone()));
                bar.set_prefix(truncate(&u.path.file_name().unwrap_or_default().to_string_lossy(), 36));
                bar.set_message("uploaded");
                bar
            })
            .collect();
        Display { bars, last: vec![String::new(); uploads.len()] }
    }

    fn update(&mut self, i: usize, status: &str) {
        if self.last[i] == status {
            return;
        }
        self.last[i] = status.to_owned();
        let bar = &self.bars[i];
        if bar.is_hidden() {
            println!("{:<40} → {status}", bar.prefix());
        }
        match status {
            "done" => bar.finish_with_message("done"),
            "failed" => bar.abandon_with_message("FAILED"),
            _ => {
                bar.set_position(STEPS.iter().position(|s| *s == status).unwrap_or(0) as u64);
                bar.set_message(status.to_owned());
            }
        }
    }
}

/// Waits for every upload's document to reach done or failed; returns their ids (None if it
/// never appeared).
pub async fn follow(
    ctx: &Context,
    uploads: &[Uploaded],
    timeout: Duration,
    verbose: bool,
) -> anyhow::Result<Vec<Option<Uuid>>> {
    let bucket = ctx.config.bucket.as_deref().context("DOC_INGEST_BUCKET is not set")?;
    let deadline = Instant::now() + timeout;
    let mut display = Display::new(uploads, verbose);
    let mut ids = vec![None; uploads.len()];
    loop {
        let db = ctx.db.get().await?;
        let mut all_terminal = true;
        for (i, u) in uploads.iter().enumerate() {
            let (id, status) = match reports::document_for_key(&**db, bucket, &u.key).await? {
                Some((id, status)) => (Some(id), status),
                None => (None, "uploaded".to_owned()),
            };
            ids[i] = id;
            if verbose {
                display.update(i, &status);
            }
            all_terminal &= status == "done" || status == "failed";
        }
        if all_terminal || Instant::now() > deadline {
            return Ok(ids);
        }
        drop(db);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn run(
    ctx: Arc<Context>,
    registry: Option<Registry>,
    paths: &[PathBuf],
    owner: &str,
    timeout_secs: u64,
) -> anyhow::Result<bool> {
    let running = registry.map(|r| Runner::new(ctx.clone(), r, RunnerOptions::default()).start());
    let mut uploads = Vec::new();
    for p in paths {
        uploads.push(upload(&ctx, p, owner).await?);
    }
    let ids = follow(&ctx, &uploads, Duration::from_secs(timeout_secs), true).await?;
    if let Some(r) = running {
        r.stop().await;
    }
    let db = ctx.db.get().await?;
    let mut rows = Vec::new();
    let mut ok = true;
    for (u, id) in uploads.iter().zip(ids) {
        match id {
            Some(id) => {
                let s = reports::summary(&**db, id).await?;
                ok &= s.status == "done";
                rows.push(s);
            }
            None => {
                ok = false;
                println!("{}: no document appeared (is the S3 notification set?)", u.path.display());
            }
        }
    }
    println!();
    print_summaries(&rows);
    Ok(ok)
}
