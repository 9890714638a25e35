//! `ingestctl embeddings`: the model registry, and changing the model in place.

use doc_ingest::Context;
use doc_ingest::embedding::spaces;
use doc_ingest::framework::Registry;
use doc_ingest::ops::model_switch;
use doc_ingest::runner::{Runner, RunnerOptions};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

pub async fn list(ctx: &Context) -> anyhow::Result<()> {
    let db = ctx.db.get().await?;
    let rows = db
        .query(
            "SELECT m.name, m.provider, m.dimensions, m.state, m.activated_at, m.retired_at,
                    (SELECT count(*) FROM chunk_embeddings e WHERE e.model = m.name) AS vectors
             FROM embedding_models m ORDER BY m.created_at, m.name",
            &[],
        )
        .await?;
    println!("{:<28} {:<8} {:>5} {:<9} {:>9}  since", "model", "provider", "dims", "state", "vectors");
    for r in rows {
        let since: Option<chrono::DateTime<chrono::Utc>> =
            r.get::<_, Option<_>>("retired_at").or(r.get("activated_at"));
        println!(
            "{:<28} {:<8} {:>5} {:<9} {:>9}  {}",
            r.get::<_, String>("name"),
            r.get::<_, String>("provider"),
            r.get::<_, i32>("dimensions"),
            r.get::<_, String>("state"),
            r.get::<_, i64>("vectors"),
            since.map_or("-".into(), |t| t.format("%Y-%m-%d %H:%M").to_string())
        );
    }
    Ok(())
}

pub struct SwitchOptions {
    pub model: String,
    pub yes: bool,
    pub price_per_mtok: Option<f64>,
    pub timeout: Duration,
}

/// Estimate; then (with --yes) build the new space through the embed queue while the old one
/// serves, and switch when it is whole. Run it again to resume.
pub async fn switch(ctx: Arc<Context>, registry: Option<Registry>, o: SwitchOptions) -> anyhow::Result<bool> {
    let embedder = doc_ingest::embedding::for_model(&ctx.sdk, &o.model).await?;
    let db = ctx.db.get().await?;
    if let Some(a) = spaces::active(&**db).await?
        && a.model == o.model
    {
        println!("{} is already the active model", o.model);
        return Ok(true);
    }
    let price = o.price_per_mtok.unwrap_or_else(|| model_switch::price_per_mtok(&o.model));
    let est = model_switch::estimate(&**db, &o.model, price).await?;
    println!(
        "re-embedding into {} ({}-d): {} documents, {} chunks, ≈ {} tokens, ≈ ${:.2} at ${price}/M tokens (cache hits are free)",
        o.model,
        embedder.dimensions(),
        est.documents,
        est.chunks,
        est.tokens,
        est.usd
    );
    if !o.yes {
        println!("nothing changed; run again with --yes to start (or resume) the switch");
        return Ok(true);
    }
    let space = model_switch::begin(&**db, &o.model, embedder.dimensions()).await?;
    // Concurrently: the embed stage keeps writing while the new space's index is built.
    let client: &tokio_postgres::Client = &db;
    model_switch::index_space(client, &o.model).await?;
    drop(db);
    println!(
        "{} is {}: new documents are embedded into both spaces; searches serve the active one",
        space.model, space.state
    );

    let running = registry.map(|r| Runner::new(ctx.clone(), r, RunnerOptions::default()).start());
    let result = drive(&ctx, &o).await;
    if let Some(r) = running {
        r.stop().await;
    }
    let switched = result?;
    if switched {
        let db = ctx.db.get().await?;
        let retired: Vec<String> = db
            .query("SELECT name FROM embedding_models WHERE state = 'retired' ORDER BY retired_at DESC LIMIT 1", &[])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        println!(
            "{} is the active model; {} retired (dropped by the sweeper after DOC_INGEST_RETIRED_SPACE_HOURS, or now with `ingestctl embeddings drop --model {}`)",
            o.model,
            retired.first().map_or("-", |s| s.as_str()),
            retired.first().map_or("M", |s| s.as_str())
        );
    }
    Ok(switched)
}

/// Sends a re-embed message for each done document still missing from the space (again after
/// a while, should one be lost), shows progress, and completes the switch when none is missing.
async fn drive(ctx: &Context, o: &SwitchOptions) -> anyhow::Result<bool> {
    let correlation = format!("switch-{}", Uuid::new_v4().simple());
    let deadline = Instant::now() + o.timeout;
    let resend_after = Duration::from_secs(120);
    let mut sent: HashMap<Uuid, Instant> = HashMap::new();
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} documents ({elapsed}, eta {eta})")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    bar.set_prefix(format!("re-embedding into {}", o.model));
    loop {
        let mut client = ctx.db.get().await?;
        let missing = model_switch::missing(&**client, &o.model).await?;
        let total = doc_ingest::embedding::spaces::to_cover(&**client).await?;
        bar.set_length(total.max(0) as u64);
        bar.set_position((total - missing.len() as i64).max(0) as u64);
        // Only when nothing seems missing: the switch re-checks under the registry's lock.
        if missing.is_empty() && model_switch::try_complete(&mut client, &o.model).await? == 0 {
            bar.finish();
            return Ok(true);
        }
        let left = missing.len();
        let due: Vec<Uuid> = missing
            .into_iter()
            .filter(|(id, done)| *done && sent.get(id).is_none_or(|at| at.elapsed() > resend_after))
            .map(|(id, _)| id)
            .collect();
        drop(client);
        if !due.is_empty() {
            model_switch::enqueue(ctx, &due, &o.model, &correlation).await?;
            let now = Instant::now();
            sent.extend(due.into_iter().map(|id| (id, now)));
        }
        if Instant::now() > deadline {
            bar.abandon();
            println!("{left} documents still missing after {:?}; run the same command again to resume", o.timeout);
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

pub async fn cancel(ctx: &Context) -> anyhow::Result<()> {
    match model_switch::cancel(&**ctx.db.get().await?).await? {
        Some(m) => println!(
            "switch to {m} cancelled; its space is retired (drop it with `ingestctl embeddings drop --model {m}`)"
        ),
        None => println!("no switch is under way"),
    }
    Ok(())
}

pub async fn drop_space(ctx: &Context, model: &str) -> anyhow::Result<()> {
    let removed = model_switch::drop_space(&**ctx.db.get().await?, model).await?;
    println!("dropped the space of {model}: {removed} vectors and its index removed (its embedding cache is kept)");
    Ok(())
}
