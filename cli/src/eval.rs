//! `ingestctl eval`: retrieval quality on a question set (corpus/eval/questions.jsonl). The set's
//! documents go through the real pipeline under a fresh owner; each question is searched as that
//! owner, by the vector side alone and by hybrid search, and scored by the rule of
//! scripts/eval_common.py: a page-level hit is a returned chunk of the right file whose page
//! range covers an expected page; a phrase-level hit also contains the expected phrase
//! (compared after folding case, dashes, quotes and whitespace).

use crate::ingest::{follow, upload};
use anyhow::Context as _;
use doc_ingest::Context;
use doc_ingest::embedding::spaces::Embedders;
use doc_ingest::framework::Registry;
use doc_ingest::runner::{Runner, RunnerOptions};
use doc_ingest::search::{self, Query, Strategy};
use pgvector::Vector;
use serde::Deserialize;
use serde_json::json;
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use unicode_normalization::UnicodeNormalization;
use uuid::Uuid;

#[derive(Deserialize)]
struct Question {
    id: String,
    file: String,
    question: String,
    pages: Vec<i32>,
    phrase: String,
}

/// One returned chunk: its document's file, pages and text.
struct Returned {
    file: Option<String>,
    page_start: Option<i32>,
    page_end: Option<i32>,
    content: String,
}

/// The same folding as scripts/eval_common.py's `normalise`.
fn normalise(text: &str) -> String {
    let t: String = text
        .nfkc()
        .filter(|c| *c != '\u{ad}')
        .map(|c| match c {
            '\u{2010}'..='\u{2014}' | '\u{2212}' => '-',
            '\u{2018}' | '\u{2019}' => '\'',
            '\u{201c}' | '\u{201d}' => '"',
            c => c,
        })
        .collect();
    let mut out = String::with_capacity(t.len());
    for w in t.split_whitespace() {
        if !out.is_empty() && !out.ends_with('-') && !w.starts_with('-') {
            out.push(' ');
        }
        out.push_str(w);
    }
    out.to_lowercase()
}

fn hit(q: &Question, r: &Returned) -> (bool, bool) {
    let (Some(file), Some(start)) = (&r.file, r.page_start) else { return (false, false) };
    if *file != q.file {
        return (false, false);
    }
    let end = r.page_end.unwrap_or(start);
    let page = q.pages.iter().any(|p| (start..=end).contains(p));
    (page, page && normalise(&r.content).contains(&normalise(&q.phrase)))
}

#[derive(Default)]
struct Ranks {
    page: Vec<Option<usize>>,
    phrase: Vec<Option<usize>>,
}

impl Ranks {
    fn add(&mut self, q: &Question, returned: &[Returned]) -> (Option<usize>, Option<usize>) {
        let (mut page, mut phrase) = (None, None);
        for (i, r) in returned.iter().enumerate() {
            let (p, ph) = hit(q, r);
            if p && page.is_none() {
                page = Some(i + 1);
            }
            if ph && phrase.is_none() {
                phrase = Some(i + 1);
            }
        }
        self.page.push(page);
        self.phrase.push(phrase);
        (page, phrase)
    }
}

fn metrics(first: &[Option<usize>]) -> serde_json::Value {
    let n = first.len().max(1) as f64;
    let at = |k: usize| first.iter().filter(|r| r.is_some_and(|r| r <= k)).count() as f64 / n;
    let mrr = first.iter().filter_map(|r| r.filter(|r| *r <= 10)).map(|r| 1.0 / r as f64).sum::<f64>() / n;
    json!({ "recall@1": at(1), "recall@5": at(5), "recall@10": at(10), "mrr": mrr })
}

pub struct EvalOptions {
    pub questions: PathBuf,
    pub root: PathBuf,
    pub json: bool,
    pub timeout: Duration,
}

pub async fn run(ctx: Arc<Context>, registry: Option<Registry>, o: EvalOptions) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&o.questions).with_context(|| format!("reading {}", o.questions.display()))?;
    let questions: Vec<Question> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .context("a question line is not valid JSON")?;
    let files: BTreeSet<&str> = questions.iter().map(|q| q.file.as_str()).collect();
    let owner = format!("eval-{}", &Uuid::new_v4().simple().to_string()[..8]);

    let running = registry.map(|r| Runner::new(ctx.clone(), r, RunnerOptions::default()).start());
    let mut uploads = Vec::new();
    for f in &files {
        uploads.push(upload(&ctx, &o.root.join(f), &owner).await?);
    }
    let ids = follow(&ctx, &uploads, o.timeout, false).await?;
    if let Some(r) = running {
        r.stop().await;
    }
    let mut file_of: HashMap<Uuid, String> = HashMap::new();
    for (f, id) in files.iter().zip(&ids) {
        let id = id.with_context(|| format!("{f} was not ingested"))?;
        file_of.insert(id, (*f).to_owned());
    }

    let embedders = Embedders::from_env(doc_ingest::embedding::from_env(&ctx.sdk).await?, ctx.sdk.clone());
    let mut reader = crate::read::reader().await?;
    let embedder = search::active_embedder(&reader, &embedders).await?;
    let chunks: i64 =
        ctx.db.get().await?.query_one("SELECT count(*) FROM document_chunks WHERE owner = $1", &[&owner]).await?.get(0);
    let (mut vector, mut hybrid) = (Ranks::default(), Ranks::default());
    let mut per_question = Vec::new();
    for q in &questions {
        let v = embedder.embed(std::slice::from_ref(&q.question)).await?;
        let query = Vector::from(v.vectors.into_iter().next().unwrap_or_default());
        let model = embedder.model().to_owned();
        let rows = search::as_owner(&mut reader, &owner, async |tx| {
            use doc_ingest::error::DbResultExt;
            tx.query(
                "SELECT v.document_id, c.page_start, c.page_end, c.content
                 FROM vector_candidates($1, 10, $2) v JOIN document_chunks c ON c.id = v.chunk_id
                 ORDER BY v.distance",
                &[&query, &model],
            )
            .await
            .db("searching vectors")
        })
        .await?;
        let returned: Vec<Returned> = rows
            .iter()
            .map(|r| Returned {
                file: file_of.get(&r.get::<_, Uuid>(0)).cloned(),
                page_start: r.get(1),
                page_end: r.get(2),
                content: r.get(3),
            })
            .collect();
        let (vp, vph) = vector.add(q, &returned);
        let query = Query { text: q.question.clone(), k: 10, document: None, strategy: Strategy::Exact };
        let hits = search::search(&mut reader, &*embedder, &owner, &query).await?;
        let returned: Vec<Returned> = hits
            .iter()
            .map(|h| Returned {
                file: file_of.get(&h.document_id).cloned(),
                page_start: h.page_start,
                page_end: h.page_end,
                content: h.content.clone(),
            })
            .collect();
        let (hp, hph) = hybrid.add(q, &returned);
        per_question
            .push(json!({"id": q.id, "vector": {"page": vp, "phrase": vph}, "hybrid": {"page": hp, "phrase": hph}}));
    }
    let out = json!({
        "owner": owner,
        "model": embedder.model(),
        "questions": questions.len(),
        "documents": files.len(),
        "chunks": chunks,
        "vector": {"page": metrics(&vector.page), "phrase": metrics(&vector.phrase)},
        "hybrid": {"page": metrics(&hybrid.page), "phrase": metrics(&hybrid.phrase)},
        "per_question": per_question,
    });
    if o.json {
        println!("{out}");
        return Ok(());
    }
    println!(
        "{} questions over {} documents ({} chunks), model {}, owner {owner}",
        questions.len(),
        files.len(),
        chunks,
        embedder.model()
    );
    println!("{:<8} {:<7} {:>9} {:>9} {:>10} {:>6}", "search", "hit", "recall@1", "recall@5", "recall@10", "MRR");
    for (name, r) in [("vector", &vector), ("hybrid", &hybrid)] {
        for (level, first) in [("page", &r.page), ("phrase", &r.phrase)] {
            let m = metrics(first);
            println!(
                "{name:<8} {level:<7} {:>9.3} {:>9.3} {:>10.3} {:>6.3}",
                m["recall@1"].as_f64().unwrap_or(0.0),
                m["recall@5"].as_f64().unwrap_or(0.0),
                m["recall@10"].as_f64().unwrap_or(0.0),
                m["mrr"].as_f64().unwrap_or(0.0)
            );
        }
    }
    Ok(())
}
