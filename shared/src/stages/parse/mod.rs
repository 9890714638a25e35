//! Parse: validation before any work (key, size, type by content, encryption, text layer), then
//! PDF → markdown by LlamaParse when configured or the local parser, stored in S3 with its hash.

mod admit;
pub use admit::job_of_notification;
pub mod s3_event;

use super::blocking;
use crate::aws::{classify_sdk_error, sdk_status};
use crate::context::Context;
use crate::db::{documents, jobs, jobs::Lease};
use crate::error::{DbResultExt, ErrorClass, ResultExt, StageError, StageResult};
use crate::framework::{Delivery, FromEnv, Stage, Work};
use crate::ids::{parsed_key, sha256_hex};
use crate::metrics::{self, Unit};
use crate::parsing::llamaparse::{LlamaOutcome, LlamaParse, LlamaParseConfig};
use crate::parsing::{self, DocKind, Limits, Parsed, detect};
use crate::pipeline::{PARSE, StageSpec};
use crate::upload_key;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use serde_json::json;
use std::sync::Arc;

pub struct ParseStage {
    s3: aws_sdk_s3::Client,
    limits: Limits,
    /// Set when a LlamaParse key is configured; PDFs go there first.
    llamaparse: Option<Arc<LlamaParse>>,
}

impl ParseStage {
    pub fn new(s3: aws_sdk_s3::Client, limits: Limits, llamaparse: Option<LlamaParseConfig>) -> anyhow::Result<Self> {
        let llamaparse = llamaparse.map(LlamaParse::new).transpose()?.map(Arc::new);
        Ok(ParseStage { s3, limits, llamaparse })
    }
}

impl FromEnv for ParseStage {
    /// Limits and LlamaParse from the environment (its key from a secret, in AWS).
    async fn from_env(ctx: &Context) -> anyhow::Result<Self> {
        let limits = Limits::from_env()?;
        let key = crate::secrets::api_key(
            &ctx.sdk,
            &["DOC_INGEST_LLAMAPARSE_API_KEY", "LLAMA_CLOUD_API_KEY"],
            "DOC_INGEST_LLAMAPARSE_API_KEY_SECRET_ARN",
        )
        .await?;
        let llamaparse = key.map(LlamaParseConfig::from_env).transpose()?;
        Self::new(ctx.s3(), limits, llamaparse)
    }
}

impl Stage for ParseStage {
    fn spec(&self) -> &'static StageSpec {
        &PARSE
    }

    async fn intake(&self, ctx: &Context, delivery: &Delivery) -> StageResult<Vec<Work>> {
        admit::intake(self, ctx, delivery).await
    }

    async fn run(&self, ctx: &Context, lease: &Lease) -> StageResult<()> {
        let doc = documents::load(&**ctx.db.get().await.db("loading document")?, lease.document_id).await?;
        // The version the notification named: by its id in a versioned bucket (an older version
        // stays readable), else by its ETag (a newer write fails the read as `object_replaced`).
        let object = self
            .s3
            .get_object()
            .bucket(&doc.bucket)
            .key(&doc.object_key)
            .set_version_id(doc.version_id.clone())
            .if_match(format!("\"{}\"", doc.object_etag))
            .send()
            .await
            .map_err(|e| object_error("reading the upload", &doc.object_key, e))?;
        let max = self.limits.max_upload_bytes;
        if object.content_length().unwrap_or(0) as u64 > max {
            return Err(StageError::new(ErrorClass::TooLarge, format!("object exceeds the {max}-byte limit")));
        }
        let bytes = object.body.collect().await.or_class(ErrorClass::S3Read, "reading the upload body")?.into_bytes();

        let filename = upload_key::sanitize_filename(upload_key::parse_upload_key(&doc.object_key)?.filename);
        let raw_sha256 = sha256_hex(&bytes);
        // The same bytes, already parsed for this owner: no parse, and no LlamaParse call.
        if let Some(twin) = documents::parsed_twin(
            &**ctx.db.get().await.db("looking for the same bytes")?,
            &doc.owner,
            &raw_sha256,
            doc.id,
        )
        .await?
        {
            return self.reuse(ctx, lease, &doc, &twin, &raw_sha256).await;
        }
        let kind = detect(&bytes, &filename)?;
        if !self.limits.allowed_types.contains(&kind) {
            return Err(StageError::new(
                ErrorClass::TypeNotAllowed,
                format!("{} uploads are not accepted here", kind.mime()),
            ));
        }
        let (parsed, fallback) = match kind {
            DocKind::Pdf => self.parse_pdf(bytes, &filename).await?,
            _ => {
                let limits = self.limits.clone();
                (blocking("parser", move || parsing::parse(kind, &bytes, &limits)).await?, None)
            }
        };
        let markdown_sha256 = sha256_hex(parsed.markdown.as_bytes());
        let key = parsed_key(doc.id);

        self.s3
            .put_object()
            .bucket(&doc.bucket)
            .key(&key)
            .content_type("text/markdown; charset=utf-8")
            .metadata("sha256", &markdown_sha256)
            .metadata("page-count", parsed.page_count.to_string())
            .metadata("parser", parsed.parser)
            .metadata("document-id", doc.id.to_string())
            .body(ByteStream::from(parsed.markdown.into_bytes()))
            .send()
            .await
            .map_err(|e| classify_sdk_error("storing the markdown", e))?;

        let mut client = ctx.db.get().await.db("recording parse")?;
        let tx = crate::db::begin(&mut client).await.db("recording parse")?;
        if let Some(reason) = &fallback {
            // Same transaction as the result: the fallback is on record exactly when it was used.
            let detail = json!({ "from": "llamaparse", "to": parsed.parser, "reason": reason });
            jobs::record_event(&tx, lease.job_id, "parser_fallback", PARSE.name, lease.attempt, None, detail).await?;
        }
        let recorded = documents::Parse {
            content_type: kind.mime(),
            sha256: &raw_sha256,
            parser: parsed.parser,
            page_count: parsed.page_count as i32,
            parsed_key: &key,
            parsed_sha256: &markdown_sha256,
            parsed_from: None,
        };
        documents::record_parse(&tx, doc.id, &recorded).await?;
        self.complete_or_clean_up(ctx, lease, &doc, tx).await?;
        if fallback.is_some() {
            metrics::emit(&[("Stage", PARSE.name)], &[("ParserFallbacks", 1.0, Unit::Count)]);
        }
        Ok(())
    }
}

impl ParseStage {
    /// The markdown of a done document with the same bytes (same owner), copied: the chunk and
    /// embed stages then find every chunk's vector in the embedding cache, so the re-upload
    /// costs no parse call and no embedding tokens.
    async fn reuse(
        &self,
        ctx: &Context,
        lease: &Lease,
        doc: &documents::Document,
        twin: &documents::Document,
        raw_sha256: &str,
    ) -> StageResult<()> {
        let (Some(from_key), Some(parsed_sha256)) = (&twin.parsed_key, &twin.parsed_sha256) else {
            return Err(StageError::new(ErrorClass::NotParsed, "the twin document has no markdown"));
        };
        let key = parsed_key(doc.id);
        self.s3
            .copy_object()
            .bucket(&doc.bucket)
            .key(&key)
            .copy_source(format!("{}/{}", twin.bucket, from_key))
            .metadata_directive(aws_sdk_s3::types::MetadataDirective::Copy)
            .send()
            .await
            .map_err(|e| classify_sdk_error("copying the parsed markdown", e))?;
        let mut client = ctx.db.get().await.db("recording parse")?;
        let tx = crate::db::begin(&mut client).await.db("recording parse")?;
        let detail = json!({ "from_document": twin.id, "sha256": raw_sha256 });
        jobs::record_event(&tx, lease.job_id, "parse_reused", PARSE.name, lease.attempt, None, detail).await?;
        let content_type = if twin.page_count.unwrap_or(1) > 0 { "application/pdf" } else { "text/plain" };
        let recorded = documents::Parse {
            content_type,
            sha256: raw_sha256,
            parser: "reused",
            page_count: twin.page_count.unwrap_or(1),
            parsed_key: &key,
            parsed_sha256,
            parsed_from: Some(twin.id),
        };
        documents::record_parse(&tx, doc.id, &recorded).await?;
        self.complete_or_clean_up(ctx, lease, doc, tx).await?;
        tracing::info!(from = %twin.id, "same bytes as a parsed document; markdown reused");
        Ok(())
    }

    /// Commits the parse; if the document was deleted meanwhile, the markdown just written to S3
    /// belongs to nobody and goes too.
    async fn complete_or_clean_up(
        &self,
        ctx: &Context,
        lease: &Lease,
        doc: &documents::Document,
        tx: tokio_postgres::Transaction<'_>,
    ) -> StageResult<()> {
        let result = lease.complete(tx).await;
        if let Err(e) = &result
            && e.class == ErrorClass::LeaseLost
        {
            let job = jobs::load(&**ctx.db.get().await.db("checking the job")?, lease.job_id).await?;
            if job.is_some_and(|j| j.state == crate::pipeline::JobState::Deleted) {
                self.remove_markdown(&doc.bucket, doc.id).await?;
            }
        }
        result
    }

    /// Removes a document's parsed markdown (gone already is fine).
    pub(crate) async fn remove_markdown(&self, bucket: &str, document_id: uuid::Uuid) -> StageResult<()> {
        self.s3
            .delete_object()
            .bucket(bucket)
            .key(parsed_key(document_id))
            .send()
            .await
            .map_err(|e| classify_sdk_error("removing the parsed markdown", e))?;
        Ok(())
    }

    /// Validation first (locked, damaged, too long), then LlamaParse when configured, else or on
    /// its failure the local parser. Returns the reason when LlamaParse was tried and not used.
    async fn parse_pdf(&self, bytes: Bytes, filename: &str) -> StageResult<(Parsed, Option<String>)> {
        let limits = self.limits.clone();
        let validated = bytes.clone();
        let pdf = blocking("pdf validation", move || parsing::open_pdf(&validated, &limits)).await?;
        let mut fallback = None;
        if let Some(lp) = &self.llamaparse {
            match lp.parse(bytes.to_vec(), filename, DocKind::Pdf.mime()).await? {
                LlamaOutcome::Parsed { markdown, page_count, job_id } if page_count <= pdf.page_count() => {
                    tracing::info!(llamaparse_job = %job_id, pages = page_count, "parsed by LlamaParse");
                    let parsed = Parsed {
                        markdown: parsing::normalize(&markdown),
                        page_count: pdf.page_count(),
                        parser: "llamaparse",
                    };
                    return Ok((parsed, None));
                }
                LlamaOutcome::Parsed { page_count, job_id, .. } => {
                    fallback = Some(format!(
                        "LlamaParse job {job_id} returned page {page_count} of a {}-page PDF",
                        pdf.page_count()
                    ));
                }
                LlamaOutcome::Fallback { reason } => fallback = Some(reason),
            }
            tracing::warn!(reason = fallback.as_deref().unwrap_or_default(), "LlamaParse not used; parsing locally");
        }
        let parsed = blocking("pdf parser", move || parsing::pdf_markdown(&pdf)).await?;
        Ok((parsed, fallback))
    }
}

/// Reading an uploaded object: gone is `object_missing` and a newer version `object_replaced`,
/// whichever call (HEAD or GET) and whatever code the endpoint used for it.
pub(crate) fn object_error<E>(
    what: &str,
    key: &str,
    e: SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> StageError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let code = e.as_service_error().and_then(|se| se.code()).unwrap_or_default();
    match sdk_status(&e) {
        Some(404) => {
            StageError::new(ErrorClass::ObjectMissing, format!("{key} was deleted before it was read")).with_source(e)
        }
        _ if code == "NoSuchKey" || code == "NotFound" => {
            StageError::new(ErrorClass::ObjectMissing, format!("{key} was deleted before it was read")).with_source(e)
        }
        Some(412) => StageError::new(
            ErrorClass::ObjectReplaced,
            format!("{key} was overwritten before it was read; the new version is its own document"),
        )
        .with_source(e),
        _ => classify_sdk_error(what, e),
    }
}
