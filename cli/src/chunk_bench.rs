//! `ingestctl bench-chunk`: chunking throughput on generated policy-like markdown, against the
//! naive use of the same splitter (whole document, exact token count per call) on the same text.

use doc_ingest::chunking::Chunker;
use doc_ingest::chunking::ChunkingConfig;
use std::time::Instant;
use text_splitter::{ChunkConfig, ChunkSizer, MarkdownSplitter};
use uuid::Uuid;

/// Markdown shaped like a parsed policy: page markers, numbered headings, clauses, tables.
pub fn policy_markdown(bytes: usize) -> String {
    let mut md = String::with_capacity(bytes + 4096);
    let (mut page, mut section) = (1, 0);
    while md.len() < bytes {
        md.push_str(&format!("<!-- page {page} -->\n\n"));
        page += 1;
        section += 1;
        md.push_str(&format!("## {section} Cover for section {section}\n\n"));
        for sub in 1..=3 {
            md.push_str(&format!("### {section}.{sub} Conditions\n\n"));
            for clause in 1..=3 {
                md.push_str(&format!(
                    "{section}.{sub}.{clause} We will pay for loss of or damage to the buildings caused by fire, \
                     storm, flood or escape of water, up to the sum insured shown in the schedule, less the excess. \
                     This does not apply while the home is unoccupied for more than {} days.\n\n",
                    30 + clause
                ));
            }
        }
        md.push_str("| Section | Sum insured | Excess |\n| --- | --- | --- |\n");
        for row in 1..=4 {
            md.push_str(&format!("| {section}.{row} | GBP {},000 | GBP {} |\n", 10 * row, 100 + 50 * row));
        }
        md.push('\n');
    }
    md
}

struct ExactTokens(&'static bpe_openai::Tokenizer);

impl ChunkSizer for ExactTokens {
    fn size(&self, chunk: &str) -> usize {
        self.0.count(chunk)
    }
}

pub fn run(megabytes: &[f64], naive_megabytes: f64) {
    let cfg = ChunkingConfig { max_tokens: 512, overlap_tokens: 64 };
    let chunker = Chunker::new(&cfg);
    println!("chunker: cl100k tokens, 512 max, 64 overlap; best of 3 runs, one core");
    for &mb in megabytes {
        let text = policy_markdown((mb * 1_048_576.0) as usize);
        let mut best = f64::MAX;
        let mut n = 0;
        for _ in 0..3 {
            let t = Instant::now();
            n = chunker.chunk(Uuid::nil(), &text).len();
            best = best.min(t.elapsed().as_secs_f64());
        }
        println!("  doc-ingest  {mb:>5.1} MB: {best:>7.3} s  {:>6.2} MB/s  {n} chunks", mb / best);
    }
    let text = policy_markdown((naive_megabytes * 1_048_576.0) as usize);
    let naive = MarkdownSplitter::new(
        ChunkConfig::new(512)
            .with_sizer(ExactTokens(doc_ingest::chunking::cl100k()))
            .with_overlap(64)
            .expect("overlap < size"),
    );
    let t = Instant::now();
    let n = naive.chunks(&text).count();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "  naive       {naive_megabytes:>5.1} MB: {secs:>7.3} s  {:>6.2} MB/s  {n} chunks (whole text, exact count per call)",
        naive_megabytes / secs
    );
}
