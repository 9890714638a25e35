//! The upload layout `uploads/{owner}/{upload_id}/{filename}`: the owner comes from the key,
//! never from the client's metadata.

use crate::error::{ErrorClass, StageError};
use crate::ids::UPLOAD_PREFIX;

/// An object key in the upload layout `uploads/{owner}/{upload_id}/{filename}`.
#[derive(Debug, PartialEq, Eq)]
pub struct UploadKey<'a> {
    pub owner: &'a str,
    pub upload_id: &'a str,
    /// The client's name, as given; see [`sanitize_filename`] for the one we use.
    pub filename: &'a str,
}

/// S3 allows 1,024-byte keys; names past 255 bytes break most file systems and tools.
const MAX_FILENAME_BYTES: usize = 255;

fn id_segment_ok(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s != "."
        && s != ".."
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Checks the layout; rejects traversal (`..`, absolute or empty segments), control characters
/// and over-long names. The owner is taken from the key, never from the client's metadata.
pub fn parse_upload_key(key: &str) -> Result<UploadKey<'_>, StageError> {
    let invalid = |why: &str| {
        StageError::new(
            ErrorClass::InvalidKey,
            format!("object key {key:?}: {why}; expected uploads/{{owner}}/{{upload_id}}/{{filename}}"),
        )
    };
    let rest = key.strip_prefix(UPLOAD_PREFIX).ok_or_else(|| invalid("not under uploads/"))?;
    if key.chars().any(char::is_control) {
        return Err(invalid("control characters"));
    }
    let parts: Vec<&str> = rest.split('/').collect();
    let [owner, upload_id, filename] = parts[..] else {
        return Err(invalid(&format!("{} segments below uploads/", parts.len())));
    };
    if !id_segment_ok(owner, 64) {
        return Err(invalid("the owner must be 1-64 of A-Z a-z 0-9 - _ ."));
    }
    if !id_segment_ok(upload_id, 128) {
        return Err(invalid("the upload id must be 1-128 of A-Z a-z 0-9 - _ ."));
    }
    if filename.is_empty() || filename == "." || filename == ".." || filename.contains('\\') {
        return Err(invalid("no usable file name"));
    }
    if filename.len() > MAX_FILENAME_BYTES {
        return Err(invalid(&format!("the file name is {} bytes; the limit is {MAX_FILENAME_BYTES}", filename.len())));
    }
    Ok(UploadKey { owner, upload_id, filename })
}

/// The name we pass on (to LlamaParse, into metadata and logs): NFC, letters, digits, space and
/// `._()-` kept, anything else `_`, no leading dots.
pub fn sanitize_filename(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let cleaned: String = name
        .nfc()
        .map(|c| if c.is_alphanumeric() || matches!(c, ' ' | '.' | '_' | '(' | ')' | '-') { c } else { '_' })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.');
    if trimmed.is_empty() { "upload".to_owned() } else { trimmed.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_upload_layout() {
        let k = parse_upload_key("uploads/acme/8f3c/Policy 2026.pdf").unwrap();
        assert_eq!((k.owner, k.upload_id, k.filename), ("acme", "8f3c", "Policy 2026.pdf"));
        for bad in [
            "uploads/policy.pdf",
            "uploads/acme/policy.pdf",
            "uploads//x/p.pdf",
            "uploads/acme/x/",
            "uploads/../x/p.pdf",
            "uploads/acme/../p.pdf",
            "uploads/acme/1/..",
            "uploads/acme/1/a/b.pdf",
            "uploads/a b/1/p.pdf",
            "uploads/acme/1/bad\u{7}name.pdf",
            "/uploads/acme/1/p.pdf",
        ] {
            assert_eq!(parse_upload_key(bad).unwrap_err().class, ErrorClass::InvalidKey, "{bad}");
        }
        let long = format!("uploads/acme/1/{}.pdf", "x".repeat(300));
        assert!(parse_upload_key(&long).unwrap_err().message.contains("the limit is 255"));
    }

    #[test]
    fn file_names_are_sanitised() {
        assert_eq!(sanitize_filename("Policy 2026 (final).pdf"), "Policy 2026 (final).pdf");
        assert_eq!(sanitize_filename("..\\evil;rm -rf.pdf"), "_evil_rm -rf.pdf");
        assert_eq!(sanitize_filename("Cafe\u{301}.md"), "Caf\u{e9}.md");
        assert_eq!(sanitize_filename("..."), "upload");
    }
}
