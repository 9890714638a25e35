//! Deterministic identities: the same object version, chunk or text always gets the same id.

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Namespace for every UUIDv5 doc-ingest derives (documents, jobs, chunks).
pub const ID_NAMESPACE: Uuid = Uuid::from_u128(0x5d0c_1a7e_8f3b_4c2e_9a61_d0c1_46e5_7a11);

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
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
