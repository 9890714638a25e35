//! The model registry (`embedding_models`): one vector space per model. Exactly one space is
//! active (search serves it); during a model switch one is building (the embed stage writes
//! it beside the active one, and a re-embed pass fills it for documents already done).

use super::{Embedder, provider_of};
use crate::error::{DbResultExt, ErrorClass, StageError, StageResult};
use std::time::Duration;
use tokio_postgres::GenericClient;
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Space {
    pub model: String,
    pub provider: String,
    pub dimensions: usize,
    pub state: String,
}

fn space(r: &tokio_postgres::Row) -> Space {
    Space {
        model: r.get("name"),
        provider: r.get("provider"),
        dimensions: r.get::<_, i32>("dimensions") as usize,
        state: r.get("state"),
    }
}

const COLUMNS: &str = "name, provider, dimensions, state";

pub async fn list(db: &impl GenericClient) -> StageResult<Vec<Space>> {
    let rows = db
        .query(&format!("SELECT {COLUMNS} FROM embedding_models ORDER BY created_at, name"), &[])
        .await
        .db("reading the model registry")?;
    Ok(rows.iter().map(space).collect())
}

pub async fn get(db: &impl GenericClient, model: &str) -> StageResult<Option<Space>> {
    let row = db
        .query_opt(&format!("SELECT {COLUMNS} FROM embedding_models WHERE name = $1"), &[&model])
        .await
        .db("reading the model registry")?;
    Ok(row.as_ref().map(space))
}

pub async fn active(db: &impl GenericClient) -> StageResult<Option<Space>> {
    let row = db
        .query_opt(&format!("SELECT {COLUMNS} FROM embedding_models WHERE state = 'active'"), &[])
        .await
        .db("reading the model registry")?;
    Ok(row.as_ref().map(space))
}

/// The spaces the embed stage writes: the active one first, then the one being built.
pub async fn targets(db: &impl GenericClient) -> StageResult<Vec<Space>> {
    let rows = db
        .query(
            &format!(
                "SELECT {COLUMNS} FROM embedding_models WHERE state IN ('active', 'building')
                 ORDER BY state = 'active' DESC"
            ),
            &[],
        )
        .await
        .db("reading the model registry")?;
    Ok(rows.iter().map(space).collect())
}

/// Registers a model's space (and its HNSW index) in `state` unless it is registered; the
/// first model registered while none is active becomes active, and a second model never
/// displaces the active one here (that is a switch). A model registered with another size is
/// refused: its vectors would not be comparable.
pub async fn register(db: &impl GenericClient, model: &str, dimensions: usize, state: &str) -> StageResult<Space> {
    let s = register_row(db, model, dimensions, state).await?;
    db.execute("SELECT embedding_space_index($1)", &[&model]).await.db("indexing the model's space")?;
    Ok(s)
}

/// [`register`] without the index (a switch builds it concurrently, see `model_switch`).
pub async fn register_row(db: &impl GenericClient, model: &str, dimensions: usize, state: &str) -> StageResult<Space> {
    db.execute(
        "INSERT INTO embedding_models (name, provider, dimensions, state, activated_at)
         SELECT $1, $2, $3, s, CASE WHEN s = 'active' THEN now() END
         FROM (SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM embedding_models WHERE state = 'active') THEN 'active'
                           WHEN $4 = 'active' THEN 'retired' ELSE $4 END AS s) x
         ON CONFLICT DO NOTHING",
        &[&model, &provider_of(model), &(dimensions as i32), &state],
    )
    .await
    .db("registering the model")?;
    let s = get(db, model).await?.ok_or_else(|| {
        StageError::new(
            ErrorClass::DatabaseError,
            format!("model {model} was not registered (a concurrent registration?)"),
        )
    })?;
    if s.dimensions != dimensions {
        return Err(StageError::new(
            ErrorClass::EmbeddingDimensionMismatch,
            format!(
                "model {model} is registered with {}-d vectors; this embedder returns {dimensions}-d",
                s.dimensions
            ),
        ));
    }
    Ok(s)
}

/// The active space, registering `fallback`'s model as active if the registry has none (a new
/// deployment's first embed or search).
pub async fn active_or_register(db: &impl GenericClient, fallback: &dyn Embedder) -> StageResult<Space> {
    if let Some(s) = active(db).await? {
        return Ok(s);
    }
    register(db, fallback.model(), fallback.dimensions(), "active").await?;
    active(db).await?.ok_or_else(|| StageError::new(ErrorClass::DatabaseError, "no active embedding model"))
}

/// Documents that must have vectors in a space before it can serve: done ones, and those whose
/// vectors are written and await finalize. Covered means one vector per chunk, for the
/// document's current attempt.
pub const MISSING: &str = "
    SELECT d.id, d.status::text = 'done' AS done
    FROM documents d
    WHERE d.status IN ('done', 'embedded') AND d.embedding_attempt IS NOT NULL
      AND (SELECT count(*) FROM chunk_embeddings e
           WHERE e.document_id = d.id AND e.job_attempt = d.embedding_attempt AND e.model = $1)
          <> coalesce(d.chunk_count, -1)";

/// Documents still missing vectors in `model`'s space, and which of them are done (those are
/// the ones a re-embed message can fill; the others' embed or finalize is still running).
pub async fn missing(db: &impl GenericClient, model: &str) -> StageResult<Vec<(Uuid, bool)>> {
    let rows = db.query(MISSING, &[&model]).await.db("finding uncovered documents")?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// (covered, total) documents for the progress bar.
pub async fn progress(db: &impl GenericClient, model: &str) -> StageResult<(i64, i64)> {
    let total = to_cover(db).await?;
    let missing = missing(db, model).await?.len() as i64;
    Ok((total - missing, total))
}

/// Documents a space must cover before it can serve (those `MISSING` looks at).
pub async fn to_cover(db: &impl GenericClient) -> StageResult<i64> {
    let row = db
        .query_one(
            "SELECT count(*) FROM documents WHERE status IN ('done', 'embedded') AND embedding_attempt IS NOT NULL",
            &[],
        )
        .await
        .db("counting documents")?;
    Ok(row.get(0))
}

/// Drops a retired space: its index and vectors (its embedding cache stays).
pub async fn drop_space(db: &impl GenericClient, model: &str) -> StageResult<i64> {
    let row = db.query_one("SELECT embedding_space_drop($1)", &[&model]).await.db("dropping the space")?;
    Ok(row.get(0))
}

/// Drops retired spaces older than `grace` (the sweeper runs this); returns the models dropped.
pub async fn drop_expired(db: &impl GenericClient, grace: Duration) -> StageResult<Vec<String>> {
    let rows = db
        .query(
            "SELECT name FROM embedding_models
             WHERE state = 'retired' AND retired_at < now() - make_interval(secs => $1)",
            &[&(grace.as_secs_f64())],
        )
        .await
        .db("finding expired spaces")?;
    let mut dropped = Vec::new();
    for r in rows {
        let name: String = r.get(0);
        drop_space(db, &name).await?;
        dropped.push(name);
    }
    Ok(dropped)
}

#[cfg(feature = "embed")]
pub use embedders::Embedders;

#[cfg(feature = "embed")]
mod embedders {
    use super::*;
    use crate::embedding::Embedder;
    use std::collections::HashMap;
    use std::sync::Arc;
    use tokio::sync::Mutex;

    /// Embedders by model, built on first use: the embed stage may write two spaces during a
    /// switch, and the search side serves whichever space is active.
    pub struct Embedders {
        default: Arc<dyn Embedder>,
        known: Mutex<HashMap<String, Arc<dyn Embedder>>>,
        sdk: Option<aws_config::SdkConfig>,
    }

    impl Embedders {
        /// Only these embedders; any other model is a configuration error.
        pub fn fixed(default: Arc<dyn Embedder>, others: Vec<Arc<dyn Embedder>>) -> Self {
            let known = std::iter::once(default.clone()).chain(others).map(|e| (e.model().to_owned(), e)).collect();
            Embedders { default, known: Mutex::new(known), sdk: None }
        }

        /// The configured embedder, and any other model built from the environment when needed.
        pub fn from_env(default: Arc<dyn Embedder>, sdk: aws_config::SdkConfig) -> Self {
            let mut e = Self::fixed(default, Vec::new());
            e.sdk = Some(sdk);
            e
        }

        /// The model a deployment starts with.
        pub fn default(&self) -> &Arc<dyn Embedder> {
            &self.default
        }

        pub async fn get(&self, model: &str) -> StageResult<Arc<dyn Embedder>> {
            let mut known = self.known.lock().await;
            if let Some(e) = known.get(model) {
                return Ok(e.clone());
            }
            let Some(sdk) = &self.sdk else {
                return Err(StageError::new(ErrorClass::Misconfigured, format!("no embedder for model {model}")));
            };
            let e = crate::embedding::for_model(sdk, model).await.map_err(|e| {
                StageError::new(ErrorClass::Misconfigured, format!("cannot build the embedder of model {model}: {e:#}"))
            })?;
            known.insert(model.to_owned(), e.clone());
            Ok(e)
        }
    }
}
