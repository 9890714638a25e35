//! `ingestctl search`, `upload-url` and `purge`: the read side and the lifecycle, from a shell.

use crate::report::truncate;
use anyhow::Context as _;
use doc_ingest::Context;
use doc_ingest::embedding::spaces::Embedders;
use doc_ingest::search::{self, Query, Strategy};
use doc_ingest::uploads::{UploadRequest, content_type_for, presigned_post};
use std::path::Path;
use std::time::Duration;
use uuid::Uuid;

/// The reader role's connection: `DOC_INGEST_READER_DATABASE_URL` (the local stack sets it).
pub async fn reader() -> anyhow::Result<tokio_postgres::Client> {
    let url = std::env::var("DOC_INGEST_READER_DATABASE_URL")
        .context("DOC_INGEST_READER_DATABASE_URL is not set (the doc_ingest_reader role's connection)")?;
    let (client, conn) =
        tokio_postgres::connect(&url, tokio_postgres::NoTls).await.context("connecting as the reader")?;
    tokio::spawn(conn);
    Ok(client)
}

pub async fn search(
    ctx: &Context,
    text: &str,
    owner: &str,
    k: usize,
    document: Option<Uuid>,
    strategy: Strategy,
    json: bool,
) -> anyhow::Result<()> {
    let embedders = Embedders::from_env(doc_ingest::embedding::from_env(&ctx.sdk).await?, ctx.sdk.clone());
    let mut client = reader().await?;
    let embedder = search::active_embedder(&client, &embedders).await?;
    let q = Query { text: text.to_owned(), k, document, strategy };
    let hits = search::search(&mut client, &*embedder, owner, &q).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&hits)?);
        return Ok(());
    }
    println!("{:>3} {:>7} {:>6} {:>6}  {:<40} {:<7} section", "#", "fused", "vector", "text", "document", "pages");
    for (i, h) in hits.iter().enumerate() {
        let pages = match (h.page_start, h.page_end) {
            (Some(a), Some(b)) if a == b => a.to_string(),
            (Some(a), Some(b)) => format!("{a}-{b}"),
            _ => "-".into(),
        };
        let rank = |r: Option<i64>| r.map_or("-".to_owned(), |r| r.to_string());
        println!(
            "{:>3} {:>7.4} {:>6} {:>6}  {:<40} {:<7} {}",
            i + 1,
            h.fused_score,
            rank(h.vector_rank),
            rank(h.text_rank),
            truncate(h.object_key.rsplit('/').next().unwrap_or(&h.object_key), 40),
            pages,
            truncate(&h.heading_path.join(" › "), 60)
        );
        println!("      {}", truncate(&h.content.replace('\n', " "), 160));
    }
    println!("{} hit(s) for owner {owner}", hits.len());
    Ok(())
}

pub async fn upload_url(ctx: &Context, owner: &str, file: &Path, expires: u64, upload: bool) -> anyhow::Result<()> {
    let bucket = ctx.config.bucket.as_deref().context("DOC_INGEST_BUCKET is not set")?;
    let filename = file.file_name().and_then(|n| n.to_str()).context("the path has no file name")?;
    let max_bytes = doc_ingest::parsing::Limits::from_env()?.max_upload_bytes;
    let req = UploadRequest {
        bucket,
        owner,
        filename,
        content_type: content_type_for(filename),
        max_bytes,
        expires_in: Duration::from_secs(expires),
    };
    let post = presigned_post(&ctx.sdk, ctx.config.aws_endpoint.as_deref(), &req).await?;
    if !upload {
        println!("{}", serde_json::to_string_pretty(&post)?);
        return Ok(());
    }
    // What a client does with it: a multipart POST, fields first, the file last.
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in &post.fields {
        form = form.text(k.clone(), v.clone());
    }
    let bytes = std::fs::read(file).with_context(|| file.display().to_string())?;
    form = form.part("file", reqwest::multipart::Part::bytes(bytes).file_name(filename.to_owned()));
    let response = doc_ingest::http::client_builder().build()?.post(&post.url).multipart(form).send().await?;
    anyhow::ensure!(response.status().is_success(), "the upload was refused: {}", response.status());
    println!("uploaded {} as {}", file.display(), post.key);
    Ok(())
}

pub async fn purge(ctx: &Context, owner: &str) -> anyhow::Result<()> {
    let bucket = ctx.config.bucket.as_deref().context("DOC_INGEST_BUCKET is not set")?;
    let by = format!(
        "ingestctl on {} ({})",
        doc_ingest::ops::registry::host_name(),
        std::env::var("USER").unwrap_or_default()
    );
    let e = doc_ingest::ops::erasure::purge(ctx, bucket, owner, &by).await?;
    println!(
        "erased owner {owner}: {} document(s), {} chunk(s), {} vector(s), {} audit event(s), {} S3 object version(s); \
         recorded in the erasures table",
        e.documents, e.chunks, e.vectors, e.events, e.objects
    );
    Ok(())
}
