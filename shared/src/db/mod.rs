//! PostgreSQL: the pool, migrations, and the queries each part of the pipeline uses.

#[cfg(feature = "local")]
pub mod bench;
pub mod chunks;
pub mod documents;
pub mod jobs;
pub mod lifecycle;
pub mod reports;
mod tls;
#[cfg(feature = "embed")]
pub mod vectors;

use anyhow::Context as _;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use std::str::FromStr;
use std::time::Duration;

#[cfg(feature = "local")]
mod embedded {
    refinery::embed_migrations!("../migrations");
}

pub fn pool(database_url: &str, size: usize) -> anyhow::Result<Pool> {
    let mut pg =
        tokio_postgres::Config::from_str(database_url).context("DATABASE_URL is not a valid connection string")?;
    // A database that is down refuses at once, but one that hangs (a failover in progress, a
    // frozen host) would hold a connect or a query for minutes: bound both, so the handler
    // classifies the outage and backs off instead of waiting out the function's timeout.
    if pg.get_connect_timeout().is_none() {
        pg.connect_timeout(Duration::from_secs(5));
    }
    pg.keepalives_idle(Duration::from_secs(30));
    pg.tcp_user_timeout(Duration::from_secs(30));
    let recycling = ManagerConfig { recycling_method: RecyclingMethod::Fast };
    let manager = if pg.get_ssl_mode() == tokio_postgres::config::SslMode::Disable {
        Manager::from_config(pg, tokio_postgres::NoTls, recycling)
    } else {
        // `prefer` (the default) falls back to plain text only if the server has no TLS at all.
        Manager::from_config(pg, tls::connector()?, recycling)
    };
    Pool::builder(manager)
        .max_size(size)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .wait_timeout(Some(Duration::from_secs(30)))
        .create_timeout(Some(Duration::from_secs(10)))
        .recycle_timeout(Some(Duration::from_secs(5)))
        .build()
        .context("building the database pool")
}

#[cfg(feature = "local")]
/// Applies pending migrations. Run by `ingestctl migrate`, never on a Lambda cold start.
pub async fn migrate(database_url: &str) -> anyhow::Result<Vec<String>> {
    let (mut client, connection) =
        tokio_postgres::connect(database_url, tokio_postgres::NoTls).await.context("connecting to the database")?;
    let conn = tokio::spawn(connection);
    // Two operators (or two test processes) migrating at once must not interleave.
    client
        .execute("SELECT pg_advisory_lock(hashtextextended('doc-ingest:migrate', 0))", &[])
        .await
        .context("taking the migration lock")?;
    let report = embedded::migrations::runner()
        .set_grouped(false)
        .run_async(&mut client)
        .await
        .context("applying migrations")?;
    drop(client);
    let _ = conn.await;
    Ok(report.applied_migrations().iter().map(|m| m.to_string()).collect())
}

#[cfg(feature = "local")]
/// A fingerprint of the embedded migrations, so test templates are rebuilt when they change.
pub fn migrations_fingerprint() -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for m in embedded::migrations::runner().get_migrations() {
        h.update(m.to_string().as_bytes());
        h.update(m.checksum().to_le_bytes());
    }
    hex::encode(&h.finalize()[..6])
}

/// A plain tokio-postgres transaction on a pooled connection, so the same code takes
/// transactions and connections (`GenericClient`).
pub async fn begin(
    client: &mut deadpool_postgres::Object,
) -> Result<tokio_postgres::Transaction<'_>, tokio_postgres::Error> {
    let client: &mut tokio_postgres::Client = client;
    client.transaction().await
}

/// The `vector` type's OID differs per database; ask the server (for binary COPY).
pub async fn vector_type(
    db: &impl tokio_postgres::GenericClient,
) -> Result<tokio_postgres::types::Type, tokio_postgres::Error> {
    let stmt = db.prepare("SELECT $1::vector").await?;
    Ok(stmt.params()[0].clone())
}
