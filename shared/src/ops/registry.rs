//! Lambda execution environments, the serverless form of worker registration: each environment
//! registers once at init and every invocation refreshes its heartbeat, so `ingestctl health`
//! can say what is running, which version, and when it was last seen.

use crate::error::{DbResultExt, StageResult};
use chrono::{DateTime, Utc};
use std::time::Duration;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// Who this process is, from the Lambda runtime's environment (or `local-…` outside Lambda).
#[derive(Clone, Debug)]
pub struct Identity {
    pub id: Uuid,
    pub function_name: String,
    pub function_version: String,
    pub memory_mb: Option<i32>,
    pub log_stream: Option<String>,
    pub host: String,
    pub pid: i32,
}

impl Identity {
    pub fn from_env(default_function: &str) -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Identity {
            id: Uuid::new_v4(),
            function_name: var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|| format!("local-{default_function}")),
            function_version: var("AWS_LAMBDA_FUNCTION_VERSION")
                .unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_owned()),
            memory_mb: var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").and_then(|m| m.parse().ok()),
            log_stream: var("AWS_LAMBDA_LOG_STREAM_NAME"),
            host: host_name(),
            pid: std::process::id() as i32,
        }
    }
}

/// The machine's name: `HOSTNAME`, else the kernel's, else "local".
pub fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok().map(|h| h.trim().to_owned()))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "local".to_owned())
}

pub async fn register(db: &impl GenericClient, me: &Identity) -> StageResult<()> {
    db.execute(
        "INSERT INTO execution_environments (id, function_name, function_version, memory_mb, log_stream, host, pid)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
        &[&me.id, &me.function_name, &me.function_version, &me.memory_mb, &me.log_stream, &me.host, &me.pid],
    )
    .await
    .db("registering execution environment")?;
    Ok(())
}

/// One statement per invocation; it also registers an environment whose init-time registration
/// failed (the database was unreachable at cold start).
pub async fn heartbeat(db: &impl GenericClient, me: &Identity) -> StageResult<()> {
    db.execute(
        "INSERT INTO execution_environments (id, function_name, function_version, memory_mb, log_stream, host, pid,
                                             invocations)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1)
         ON CONFLICT (id) DO UPDATE SET last_seen_at = now(), invocations = execution_environments.invocations + 1",
        &[&me.id, &me.function_name, &me.function_version, &me.memory_mb, &me.log_stream, &me.host, &me.pid],
    )
    .await
    .db("heartbeat")?;
    Ok(())
}

#[derive(Clone, Debug)]
pub struct Environment {
    pub id: Uuid,
    pub function_name: String,
    pub function_version: String,
    pub memory_mb: Option<i32>,
    pub log_stream: Option<String>,
    pub host: Option<String>,
    pub pid: Option<i32>,
    pub started_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub invocations: i64,
}

/// Environments seen within `within`, most recent first.
pub async fn live(db: &impl GenericClient, within: Duration) -> StageResult<Vec<Environment>> {
    let rows = db
        .query(
            "SELECT id, function_name, function_version, memory_mb, log_stream, host, pid, started_at, last_seen_at,
                    invocations
             FROM execution_environments WHERE last_seen_at > now() - $1 * interval '1 millisecond'
             ORDER BY last_seen_at DESC",
            &[&(within.as_millis() as f64)],
        )
        .await
        .db("listing execution environments")?;
    Ok(rows
        .iter()
        .map(|r| Environment {
            id: r.get("id"),
            function_name: r.get("function_name"),
            function_version: r.get("function_version"),
            memory_mb: r.get("memory_mb"),
            log_stream: r.get("log_stream"),
            host: r.get("host"),
            pid: r.get("pid"),
            started_at: r.get("started_at"),
            last_seen_at: r.get("last_seen_at"),
            invocations: r.get("invocations"),
        })
        .collect())
}

/// An environment that shut down cleanly leaves the registry at once, instead of a day later.
pub async fn deregister(db: &impl GenericClient, me: &Identity) -> StageResult<()> {
    db.execute("DELETE FROM execution_environments WHERE id = $1", &[&me.id]).await.db("deregistering")?;
    Ok(())
}

pub async fn prune(db: &impl GenericClient, older_than: Duration) -> StageResult<u64> {
    db.execute(
        "DELETE FROM execution_environments WHERE last_seen_at < now() - $1 * interval '1 millisecond'",
        &[&(older_than.as_millis() as f64)],
    )
    .await
    .db("pruning execution environments")
}
