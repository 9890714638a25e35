//! PDF → markdown, locally. `lopdf` reads the file (fast, pure Rust, quick to compile); our own
//! layout pass over its content streams (`layout`, `blocks`) recovers what retrieval needs:
//! headings from weight, size and section numbers, tables from aligned cells, two-column reading
//! order, and a page marker before every page. `lopdf::extract_text` alone flattens tables into
//! lines and loses headings; `pdf_oxide`'s markdown mode kept tables but found few headings and
//! takes minutes to compile, which every Lambda build and CI run would pay.

use super::Limits;
use super::blocks::{PageText, pages_to_markdown};
use super::{Parsed, layout, normalize, page_marker};
use crate::error::{ErrorClass, StageError, StageResult};
use lopdf::{Document, Object, ObjectId};

/// A PDF that passed validation: readable, not locked, within the page limit.
pub struct Pdf {
    doc: Document,
    pages: Vec<ObjectId>,
}

impl Pdf {
    pub fn page_count(&self) -> u32 {
        self.pages.len() as u32
    }
}

/// Validation before any work; every refusal is permanent and names its reason.
pub fn open(bytes: &[u8], limits: &Limits) -> StageResult<Pdf> {
    let doc = Document::load_mem(bytes).map_err(|e| {
        let text = e.to_string();
        if text.to_ascii_lowercase().contains("decrypt") || text.to_ascii_lowercase().contains("password") {
            StageError::new(ErrorClass::Encrypted, "the PDF is encrypted and needs a password")
        } else {
            StageError::new(ErrorClass::CorruptPdf, format!("the PDF cannot be read: {text}"))
        }
    })?;
    // lopdf opens files whose user password is empty; anything else needs a password we lack.
    if doc.is_encrypted() && doc.encryption_state.is_none() {
        return Err(StageError::new(ErrorClass::Encrypted, "the PDF is encrypted and needs a password"));
    }
    let pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
    if pages.is_empty() {
        return Err(StageError::new(ErrorClass::CorruptPdf, "the PDF has no pages"));
    }
    if pages.len() as u32 > limits.max_pages {
        return Err(StageError::new(
            ErrorClass::TooManyPages,
            format!("the PDF has {} pages; the limit is {}", pages.len(), limits.max_pages),
        ));
    }
    Ok(Pdf { doc, pages })
}

fn page_width(doc: &Document, page: ObjectId) -> f32 {
    // MediaBox may be inherited from the page tree; A4 when it cannot be found.
    let mut node = doc.get_dictionary(page).ok();
    while let Some(dict) = node {
        if let Ok(Object::Array(b)) = dict.get_deref(b"MediaBox", doc) {
            let v: Vec<f32> = b.iter().filter_map(|o| o.as_float().ok()).collect();
            if v.len() == 4 {
                return (v[2] - v[0]).abs();
            }
        }
        node = dict.get(b"Parent").and_then(Object::as_reference).and_then(|id| doc.get_dictionary(id)).ok();
    }
    595.0
}

/// CPU-bound: run it on a blocking thread.
pub fn to_markdown(pdf: &Pdf) -> StageResult<Parsed> {
    let pages: Vec<PageText> = pdf
        .pages
        .iter()
        .map(|&id| PageText { runs: layout::page_runs(&pdf.doc, id), width: page_width(&pdf.doc, id) })
        .collect();
    let text_chars: usize =
        pages.iter().flat_map(|p| &p.runs).map(|r| r.text.chars().filter(|c| !c.is_whitespace()).count()).sum();
    if text_chars == 0 {
        return Err(StageError::new(
            ErrorClass::NoTextLayer,
            format!("none of the {} pages has extractable text (scanned or image-only)", pdf.page_count()),
        ));
    }
    let mut markdown = String::new();
    for (i, page) in pages_to_markdown(pages).into_iter().enumerate() {
        markdown.push_str(&page_marker(i as u32 + 1));
        markdown.push_str("\n\n");
        markdown.push_str(&page);
    }
    Ok(Parsed { markdown: normalize(&markdown), page_count: pdf.page_count(), parser: "local" })
}

pub fn pdf_to_markdown(bytes: &[u8], limits: &Limits) -> StageResult<Parsed> {
    to_markdown(&open(bytes, limits)?)
}
