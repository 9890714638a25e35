//! Reading a document's progress back from the database for people.

use doc_ingest::Context;
use doc_ingest::db::reports::{self, DocSummary};
use uuid::Uuid;

fn ms(v: Option<i64>) -> String {
    v.map_or("-".into(), |v| format!("{v} ms"))
}

pub fn print_summaries(rows: &[DocSummary]) {
    let stages: Vec<&str> = rows.first().map(|r| r.stage_ms.iter().map(|(s, _)| *s).collect()).unwrap_or_default();
    let mut header = format!("{:<36} {:<44} {:<9} {:>5} {:>6}", "document id", "file", "status", "pages", "chunks");
    for s in &stages {
        header.push_str(&format!(" {s:>9}"));
    }
    println!("{header} {:>9}", "total");
    for r in rows {
        let name = r.key.rsplit('/').next().unwrap_or(&r.key);
        let mut line = format!(
            "{:<36} {:<44} {:<9} {:>5} {:>6}",
            r.id,
            truncate(name, 44),
            r.status,
            r.pages.map_or("-".into(), |p| p.to_string()),
            r.chunks.map_or("-".into(), |c| c.to_string()),
        );
        for (_, v) in &r.stage_ms {
            line.push_str(&format!(" {:>9}", ms(*v)));
        }
        println!("{line} {:>9}", ms(r.total_ms));
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
        let mut rows = Vec::new();
        for id in reports::recent_documents(&**db, 20).await? {
            rows.push(reports::summary(&**db, id).await?);
        }
        print_summaries(&rows);
        return Ok(());
    };
    let doc_id = reports::document_of(&**db, id).await?.ok_or_else(|| anyhow::anyhow!("no document or job {id}"))?;
    print_summaries(&[reports::summary(&**db, doc_id).await?]);
    println!();
    println!(
        "{:<23} {:<20} {:<9} {:<34} {:>7} {:>10}  error",
        "at", "event", "stage", "transition", "attempt", "duration"
    );
    for e in reports::timeline(&**db, doc_id).await? {
        let transition = if e.kind == "transition" {
            format!("{} → {}", e.from_state.as_deref().unwrap_or("∅"), e.to_state.as_deref().unwrap_or("∅"))
        } else {
            String::new()
        };
        println!(
            "{:<23} {:<20} {:<9} {:<34} {:>7} {:>10}  {}",
            e.at.format("%Y-%m-%d %H:%M:%S%.3f"),
            e.kind,
            e.stage,
            transition,
            e.attempt,
            ms(e.duration_ms),
            truncate(e.error.as_deref().unwrap_or_default(), 120)
        );
    }
    Ok(())
}
