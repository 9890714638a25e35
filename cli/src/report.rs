//! Reading a document's progress back from the database for people.

use doc_ingest::Context;
use tokio_postgres::GenericClient;
use uuid::Uuid;

pub struct DocSummary {
    pub id: Uuid,
    pub key: String,
    pub status: String,
    pub pages: Option<i32>,
    pub chunks: Option<i32>,
    pub total_ms: Option<i64>,
    /// Work time of parse, chunk, embed; finalize includes its queue wait.
    pub stage_ms: [Option<i64>; 4],
    pub error: Option<String>,
}

pub async fn summary(db: &impl GenericClient, id: Uuid) -> anyhow::Result<DocSummary> {
    let d = db
        .query_one(
            "SELECT d.object_key, d.status::text, d.page_count, d.chunk_count,
                    (extract(epoch FROM (j.finished_at - j.created_at)) * 1000)::bigint,
                    j.last_error_class || ': ' || j.last_error
             FROM documents d JOIN upload_jobs j ON j.document_id = d.id WHERE d.id = $1",
            &[&id],
        )
        .await?;
    let mut stage_ms = [None; 4];
    for r in db
        .query(
            "SELECT to_state::text, duration_ms FROM job_events
             WHERE document_id = $1 AND kind = 'transition' AND to_state IN ('parsed', 'chunked', 'embedded', 'done')",
            &[&id],
        )
        .await?
    {
        let slot = match r.get::<_, &str>(0) {
            "parsed" => 0,
            "chunked" => 1,
            "embedded" => 2,
            _ => 3,
        };
        stage_ms[slot] = r.get(1);
    }
    Ok(DocSummary {
        id,
        key: d.get(0),
        status: d.get(1),
        pages: d.get(2),
        chunks: d.get(3),
        total_ms: d.get(4),
        stage_ms,
        error: d.get(5),
    })
}

fn ms(v: Option<i64>) -> String {
    v.map_or("-".into(), |v| format!("{v} ms"))
}

pub fn print_summaries(rows: &[DocSummary]) {
    println!(
        "{:<36} {:<44} {:<8} {:>5} {:>6} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "document id", "file", "status", "pages", "chunks", "parse", "chunk", "embed", "finalize", "total"
    );
    for r in rows {
        let name = r.key.rsplit('/').next().unwrap_or(&r.key);
        println!(
            "{:<36} {:<44} {:<8} {:>5} {:>6} {:>9} {:>9} {:>9} {:>9} {:>9}",
            r.id,
            truncate(name, 44),
            r.status,
            r.pages.map_or("-".into(), |p| p.to_string()),
            r.chunks.map_or("-".into(), |c| c.to_string()),
            ms(r.stage_ms[0]),
            ms(r.stage_ms[1]),
            ms(r.stage_ms[2]),
            ms(r.stage_ms[3]),
            ms(r.total_ms),
        );
        if let Some(e) = &r.error {
            println!("    error: {}", truncate(e, 200));
        }
    }
}

pub fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_owned() } else { format!("{}…", s.chars().take(n - 1).collect::<String>()) }
}

pub async fn status(ctx: &Context, id: Option<Uuid>) -> anyhow::Result<()> {
    let db = ctx.db.get().await?;
    let Some(id) = id else {
        let ids: Vec<Uuid> = db
            .query("SELECT id FROM documents ORDER BY created_at DESC LIMIT 20", &[])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut rows = Vec::new();
        for id in ids {
            rows.push(summary(&**db, id).await?);
        }
        print_summaries(&rows);
        return Ok(());
    };
    let doc_id: Uuid = db
        .query_opt("SELECT document_id FROM upload_jobs WHERE id = $1 OR document_id = $1", &[&id])
        .await?
        .map(|r| r.get(0))
        .ok_or_else(|| anyhow::anyhow!("no document or job {id}"))?;
    print_summaries(&[summary(&**db, doc_id).await?]);
    println!();
    println!(
        "{:<26} {:<20} {:<9} {:<34} {:>7} {:>10}  error",
        "at", "event", "stage", "transition", "attempt", "duration"
    );
    for r in db
        .query(
            "SELECT to_char(created_at, 'YYYY-MM-DD HH24:MI:SS.MS'), kind, stage,
                    coalesce(from_state::text, '∅') || ' → ' || coalesce(to_state::text, '∅'),
                    attempt, duration_ms, coalesce(error_class || ': ' || error_message, '')
             FROM job_events WHERE document_id = $1 ORDER BY id",
            &[&doc_id],
        )
        .await?
    {
        let kind: &str = r.get(1);
        let transition = if kind == "transition" { r.get::<_, String>(3) } else { String::new() };
        println!(
            "{:<26} {:<20} {:<9} {:<34} {:>7} {:>10}  {}",
            r.get::<_, String>(0),
            kind,
            r.get::<_, String>(2),
            transition,
            r.get::<_, i32>(4),
            ms(r.get(5)),
            truncate(r.get::<_, &str>(6), 120)
        );
    }
    Ok(())
}
