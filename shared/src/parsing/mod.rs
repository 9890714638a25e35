//! Uploaded bytes → normalised markdown with a page marker before every page.

mod blocks;
mod detect;
mod layout;
pub mod llamaparse;
mod normalize;
mod pdf;

pub use detect::{DocKind, detect};
pub use normalize::normalize;
pub use pdf::{Pdf, pdf_to_markdown};
pub use pdf::{open as open_pdf, to_markdown as pdf_markdown};

use crate::config::Limits;
use crate::error::{StageError, StageResult};

/// Marks where page N begins; chunking turns these into page ranges and strips them.
pub fn page_marker(page: u32) -> String {
    format!("<!-- page {page} -->")
}

/// Reads a page marker line back; `None` for any other line.
pub fn parse_page_marker(line: &str) -> Option<u32> {
    line.trim().strip_prefix("<!-- page ")?.strip_suffix(" -->")?.parse().ok()
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
            let text = std::str::from_utf8(bytes)
                .map_err(|e| StageError::permanent("invalid_utf8", format!("text upload is not UTF-8: {e}")))?;
            let markdown = normalize(text);
            if markdown.trim().is_empty() {
                return Err(StageError::permanent("empty_document", "the upload contains no text"));
            }
            Ok(Parsed { markdown, page_count: 1, parser: "passthrough" })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_markers_round_trip() {
        assert_eq!(parse_page_marker(&page_marker(12)), Some(12));
        assert_eq!(parse_page_marker("<!-- page x -->"), None);
        assert_eq!(parse_page_marker("page 3"), None);
    }
}
