//! Uploaded bytes → normalised markdown with a page marker before every page.

mod appearance;
mod bidi;
mod blocks;
mod boxes;
mod cjk;
mod cmap;
mod content;
mod continued;
mod cover;
mod decode;
mod detect;
mod glyphs;
mod grid;
mod landscape;
mod layout;
pub mod llamaparse;
mod normalize;
mod objstm;
mod operations;
mod overprint;
mod paths;
mod pdf;
mod row_order;
mod row_ruled;
mod spans;
mod tagged;
mod truetype;
mod type1;
mod vertical;

pub use detect::{DocKind, detect};
pub use normalize::normalize;
pub use pdf::{Pdf, pdf_to_markdown};
pub use pdf::{open as open_pdf, to_markdown as pdf_markdown};

use crate::config::{env_opt, env_parse};
use crate::error::{ErrorClass, ResultExt, StageError, StageResult};
pub use crate::pages::{page_marker, parse_page_marker};

/// What the parse stage accepts.
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_upload_bytes: u64,
    pub max_pages: u32,
    /// Types accepted, decided by content (`DOC_INGEST_ALLOWED_TYPES=pdf,markdown,text`).
    pub allowed_types: Vec<DocKind>,
    /// Follow a tagged PDF's structure tree when it is usable (`DOC_INGEST_PDF_TAGS=ignore` to
    /// use the layout heuristics only, e.g. to score them against the tags).
    pub use_tags: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_upload_bytes: 50 * 1024 * 1024,
            max_pages: 2000,
            allowed_types: vec![DocKind::Pdf, DocKind::Markdown, DocKind::Text],
            use_tags: true,
        }
    }
}

impl Limits {
    pub fn from_env() -> anyhow::Result<Self> {
        let d = Limits::default();
        let limits = Limits {
            max_upload_bytes: env_parse("DOC_INGEST_MAX_UPLOAD_BYTES", d.max_upload_bytes)?,
            max_pages: env_parse("DOC_INGEST_MAX_PAGES", d.max_pages)?,
            allowed_types: match env_opt("DOC_INGEST_ALLOWED_TYPES") {
                Some(list) => list.split(',').map(|t| t.trim().parse()).collect::<Result<_, _>>()?,
                None => d.allowed_types,
            },
            use_tags: match env_opt("DOC_INGEST_PDF_TAGS").as_deref() {
                None | Some("use") => true,
                Some("ignore") => false,
                Some(other) => anyhow::bail!("DOC_INGEST_PDF_TAGS is 'use' or 'ignore', not '{other}'"),
            },
        };
        anyhow::ensure!(!limits.allowed_types.is_empty(), "DOC_INGEST_ALLOWED_TYPES allows nothing");
        Ok(limits)
    }
}

#[derive(Debug)]
pub struct Parsed {
    pub markdown: String,
    pub page_count: u32,
    pub parser: &'static str,
}

/// CPU-bound: run it on a blocking thread.
pub fn parse(kind: DocKind, bytes: &[u8], limits: &Limits) -> StageResult<Parsed> {
    match kind {
        DocKind::Pdf => pdf_to_markdown(bytes, limits),
        DocKind::Markdown | DocKind::Text => {
            let text = std::str::from_utf8(bytes).or_class(ErrorClass::InvalidUtf8, "the text upload is not UTF-8")?;
            let markdown = normalize(text);
            if markdown.trim().is_empty() {
                return Err(StageError::new(ErrorClass::EmptyDocument, "the upload contains no text"));
            }
            // An upload that carries the parser's page markers (a re-ingested export) keeps its pages.
            let page_count = markdown.lines().filter_map(parse_page_marker).max().unwrap_or(1);
            Ok(Parsed { markdown, page_count, parser: "passthrough" })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_with_page_markers_keeps_its_page_count() {
        let md: String = (1..=1169).map(|p| format!("{}\n\nClause {p} applies.\n\n", page_marker(p))).collect();
        let parsed = parse(DocKind::Markdown, md.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(parsed.page_count, 1169);
        let plain = parse(DocKind::Text, b"no markers here", &Limits::default()).unwrap();
        assert_eq!(plain.page_count, 1);
    }
}
