//! The documents table.

use crate::error::{StageError, StageResult};
use tokio_postgres::GenericClient;
use uuid::Uuid;

#[derive(Clone, Debug)]
pub struct Document {
    pub id: Uuid,
    pub owner: String,
    pub bucket: String,
    pub object_key: String,
    pub object_etag: String,
    pub size_bytes: i64,
    pub parsed_key: Option<String>,
    pub parsed_sha256: Option<String>,
    pub page_count: Option<i32>,
    pub chunk_count: Option<i32>,
}

pub async fn load(db: &impl GenericClient, id: Uuid) -> StageResult<Document> {
    let row = db
        .query_opt(
            "SELECT id, owner, bucket, object_key, object_etag, size_bytes, parsed_key, parsed_sha256, page_count, chunk_count
             FROM documents WHERE id = $1",
            &[&id],
        )
        .await
        .map_err(|e| StageError::from_db("loading document", &e))?
        .ok_or_else(|| StageError::permanent("document_missing", format!("document {id} has no row")))?;
    Ok(Document {
        id: row.get(0),
        owner: row.get(1),
        bucket: row.get(2),
        object_key: row.get(3),
        object_etag: row.get(4),
        size_bytes: row.get(5),
        parsed_key: row.get(6),
        parsed_sha256: row.get(7),
        page_count: row.get(8),
        chunk_count: row.get(9),
    })
}
