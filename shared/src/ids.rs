//! Deterministic identities: the same object version, chunk or text always gets the same id.

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Namespace for every UUIDv5 doc-ingest derives (documents, jobs, chunks).
pub const ID_NAMESPACE: Uuid = Uuid::from_u128(0x5d0c_1a7e_8f3b_4c2e_9a61_d0c1_46e5_7a11);

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A document is one version of one object: by its version id where the bucket keeps versions,
/// else by its ETag and the event's place in the key's order (`sequence`), so that the same
/// bytes written again, after a deletion say, are a new version, while a repeated notification
/// of one write (same sequencer) finds the same document.
pub fn document_id(bucket: &str, key: &str, version_id: Option<&str>, etag: &str, sequence: &str) -> Uuid {
    let identity = match version_id {
        Some(v) if !v.is_empty() => format!("s3://{bucket}/{key}?versionId={v}"),
        _ if sequence.is_empty() => format!("s3://{bucket}/{key}#{etag}"),
        _ => format!("s3://{bucket}/{key}#{etag}@{sequence}"),
    };
    Uuid::new_v5(&ID_NAMESPACE, identity.as_bytes())
}

pub fn job_id(document_id: Uuid) -> Uuid {
    Uuid::new_v5(&ID_NAMESPACE, format!("job:{document_id}").as_bytes())
}

/// Where the parse stage stores a document's markdown.
pub fn parsed_key(document_id: Uuid) -> String {
    format!("{PARSED_PREFIX}{document_id}.md")
}

pub const UPLOAD_PREFIX: &str = "uploads/";
pub const PARSED_PREFIX: &str = "parsed/";
