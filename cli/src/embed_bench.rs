//! `ingestctl bench-embed`: the local model's throughput (chunks per second, best of N runs) and
//! this process's peak RSS, on chunks of generated policy text cut by the model's own chunk
//! profile. With `--write-texts`, the texts (and our vectors of the first 100) go to a JSONL file
//! that scripts/embed_peer.py embeds with sentence-transformers, for the same figures and the
//! agreement of the two implementations' vectors.

use crate::chunk_bench::policy_markdown;
use doc_ingest::chunking::{ChunkProfile, Chunker};
use doc_ingest::embedding::input::embedding_text;
use doc_ingest::embedding::local::{self, LocalEmbedder};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

pub struct Options {
    pub megabytes: f64,
    pub runs: usize,
    pub write_texts: Option<PathBuf>,
}

pub fn run(o: &Options) -> anyhow::Result<()> {
    anyhow::ensure!(o.runs >= 1, "--runs must be at least 1");
    let loaded = Instant::now();
    let model = LocalEmbedder::from_env()?;
    let load_s = loaded.elapsed().as_secs_f64();
    let tokenizer = Arc::new(local::load_tokenizer(&local::model_dir_from_env()?)?);
    let chunker = Chunker::with_profile(&ChunkProfile::minilm(tokenizer));
    let markdown = policy_markdown((o.megabytes * 1e6) as usize);
    let texts: Vec<String> =
        chunker.chunk(uuid::Uuid::nil(), &markdown).iter().map(|c| embedding_text(&c.content)).collect();
    let pieces: usize = texts.iter().map(|t| model.count_tokens(t) + 2).sum();
    // What a model with a 256-piece window would see of chunks cut for OpenAI (cl100k, 512).
    let window = model.max_tokens();
    let fit = |texts: &[String]| {
        let lens: Vec<usize> = texts.iter().map(|t| model.count_tokens(t) + 2).collect();
        let over = lens.iter().filter(|n| **n > window).count();
        let unseen: usize = lens.iter().map(|n| n.saturating_sub(window)).sum();
        let total: usize = lens.iter().sum();
        (over as f64 / lens.len().max(1) as f64, unseen as f64 / total.max(1) as f64)
    };
    let openai_texts: Vec<String> = Chunker::new(&doc_ingest::chunking::ChunkingConfig::default())
        .chunk(uuid::Uuid::nil(), &markdown)
        .iter()
        .map(|c| embedding_text(&c.content))
        .collect();
    let (own_over, own_unseen) = fit(&texts);
    let (openai_over, openai_unseen) = fit(&openai_texts);

    let mut best = f64::MAX;
    let mut vectors = Vec::new();
    for _ in 0..o.runs {
        let started = Instant::now();
        vectors = model.embed_blocking(&texts)?;
        best = best.min(started.elapsed().as_secs_f64());
    }
    let rss = crate::usage::peak_rss_mb();
    if let Some(path) = &o.write_texts {
        let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
        for (i, t) in texts.iter().enumerate() {
            let v = if i < 100 { Some(&vectors[i]) } else { None };
            writeln!(f, "{}", serde_json::json!({ "text": t, "vector": v }))?;
        }
    }
    println!(
        "{}",
        serde_json::json!({
            "implementation": "doc-ingest (candle, in process)",
            "model": local::MINILM_MODEL,
            "chunks": texts.len(),
            "word_pieces": pieces,
            "threads": std::thread::available_parallelism().map_or(1, |n| n.get()),
            "load_s": load_s,
            "best_s": best,
            "chunks_per_s": texts.len() as f64 / best,
            "peak_rss_mb": rss,
            "window": window,
            "own_profile": {"chunks_over_window": own_over, "word_pieces_beyond_window": own_unseen},
            "cl100k_512_profile": {
                "chunks": openai_texts.len(),
                "chunks_over_window": openai_over,
                "word_pieces_beyond_window": openai_unseen,
            },
        })
    );
    Ok(())
}
