use crate::error::{ErrorClass, StageError, StageResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocKind {
    Pdf,
    Markdown,
    Text,
}

impl std::str::FromStr for DocKind {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "pdf" => Ok(DocKind::Pdf),
            "markdown" | "md" => Ok(DocKind::Markdown),
            "text" | "txt" | "plain" => Ok(DocKind::Text),
            other => anyhow::bail!("unknown document type {other:?} (pdf, markdown, text)"),
        }
    }
}

impl DocKind {
    pub fn mime(self) -> &'static str {
        match self {
            DocKind::Pdf => "application/pdf",
            DocKind::Markdown => "text/markdown",
            DocKind::Text => "text/plain",
        }
    }
}

/// Decides the type from the bytes, never from the name or the client's Content-Type; the name
/// only tells markdown from plain text, and a name that promises a PDF must be kept.
pub fn detect(bytes: &[u8], filename: &str) -> StageResult<DocKind> {
    let ext = filename.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    // PDF readers accept the header anywhere in the first KiB; so do we.
    let head = &bytes[..bytes.len().min(1024)];
    let is_pdf = head.windows(5).any(|w| w == b"%PDF-");
    let kind = if is_pdf {
        DocKind::Pdf
    } else if let Some(t) = infer::get(bytes) {
        return Err(StageError::new(
            ErrorClass::UnsupportedType,
            format!("content is {} by its magic bytes; accepted: PDF, markdown, plain text", t.mime_type()),
        ));
    } else if looks_like_text(bytes) {
        if matches!(ext.as_str(), "md" | "markdown") { DocKind::Markdown } else { DocKind::Text }
    } else {
        return Err(StageError::new(
            ErrorClass::UnsupportedType,
            "content is binary of no recognised type; accepted: PDF, markdown, plain text",
        ));
    };
    if ext == "pdf" && kind != DocKind::Pdf {
        return Err(StageError::new(
            ErrorClass::TypeMismatch,
            format!("named .pdf but the content is {} (no %PDF- header)", kind.mime()),
        ));
    }
    Ok(kind)
}

fn looks_like_text(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(64 * 1024)];
    if sample.contains(&0) {
        return false;
    }
    match std::str::from_utf8(sample) {
        Ok(_) => true,
        // The sample may end inside a multi-byte character.
        Err(e) => e.error_len().is_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_comes_from_content() {
        assert_eq!(detect(b"%PDF-1.7\n...", "x.bin").unwrap(), DocKind::Pdf);
        assert_eq!(detect(b"# Policy\n", "a.md").unwrap(), DocKind::Markdown);
        assert_eq!(detect(b"plain words", "a.txt").unwrap(), DocKind::Text);
        assert_eq!(detect(b"plain words", "a.pdf").unwrap_err().class, ErrorClass::TypeMismatch);
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        let err = detect(png, "scan.pdf").unwrap_err();
        assert_eq!(err.class, ErrorClass::UnsupportedType);
        assert!(err.message.contains("image/png"), "{}", err.message);
        assert_eq!(detect(b"\x01\x02\0\x03", "x").unwrap_err().class, ErrorClass::UnsupportedType);
    }
}
