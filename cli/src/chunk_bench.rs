//! `ingestctl bench-chunk`: chunking throughput, ours against the naive use of the same splitter
//! (whole document, exact token count per call), on the same text, both best of the same number
//! of runs, one core. MB = 10⁶ bytes. The text is an input file, or generated policy-like
//! markdown whose clauses vary (a repeated template would flatter any tokenizer's caches).

use doc_ingest::chunking::{Chunker, ChunkingConfig};
use std::path::Path;
use std::time::Instant;
use text_splitter::{ChunkConfig, ChunkSizer, MarkdownSplitter};
use uuid::Uuid;

/// A small deterministic generator (xorshift64), so every run chunks the same text.
struct Words(u64);

impl Words {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
}

const NOUNS: &[&str] = &[
    "buildings",
    "contents",
    "insured person",
    "policyholder",
    "premises",
    "vehicle",
    "excess",
    "sum insured",
    "endorsement",
    "schedule",
    "claim",
    "loss",
    "damage",
    "liability",
    "period of insurance",
    "third party",
    "accidental damage",
    "escape of water",
    "subsidence",
    "storm",
    "flood",
    "theft",
    "fire",
    "valuables",
];
const VERBS: &[&str] =
    &["covers", "excludes", "limits", "pays for", "does not pay for", "applies to", "replaces", "extends"];
const TAILS: &[&str] = &[
    "unless the loss is reported within 30 days",
    "subject to the general conditions and exclusions",
    "while the home is occupied by you or your family",
    "up to the limit shown in the schedule",
    "less the excess stated for that section",
    "provided that reasonable precautions were taken",
    "as amended by any endorsement attached to this policy",
];

/// Markdown shaped like a parsed policy: page markers, numbered headings, varied clauses, tables.
pub fn policy_markdown(bytes: usize) -> String {
    let mut w = Words(0x9E37_79B9_7F4A_7C15);
    let mut md = String::with_capacity(bytes + 4096);
    let (mut page, mut section) = (1, 0);
    while md.len() < bytes {
        md.push_str(&format!("<!-- page {page} -->\n\n"));
        page += 1;
        section += 1;
        md.push_str(&format!("## {section} Cover for the {}\n\n", w.pick(NOUNS)));
        for sub in 1..=3 {
            md.push_str(&format!("### {section}.{sub} {} conditions\n\n", w.pick(NOUNS)));
            for clause in 1..=(2 + w.next() % 3) {
                md.push_str(&format!("{section}.{sub}.{clause} "));
                for _ in 0..(2 + w.next() % 4) {
                    md.push_str(&format!(
                        "The {} {} {} of GBP {} {}. ",
                        w.pick(NOUNS),
                        w.pick(VERBS),
                        w.pick(NOUNS),
                        100 + w.next() % 99_900,
                        w.pick(TAILS)
                    ));
                }
                md.push_str("\n\n");
            }
        }
        md.push_str("| Section | Sum insured | Excess |\n| --- | --- | --- |\n");
        for row in 1..=(2 + w.next() % 4) {
            md.push_str(&format!(
                "| {section}.{row} | GBP {} | GBP {} |\n",
                1000 * (1 + w.next() % 90),
                50 * (1 + w.next() % 20)
            ));
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

/// Best of `runs`: (seconds, chunks).
fn best_of(runs: usize, mut f: impl FnMut() -> usize) -> (f64, usize) {
    let mut best = f64::MAX;
    let mut n = 0;
    for _ in 0..runs {
        let t = Instant::now();
        n = f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    (best, n)
}

pub fn run(megabytes: &[f64], naive_megabytes: f64, input: Option<&Path>, runs: usize) -> anyhow::Result<()> {
    let cfg = ChunkingConfig { max_tokens: 512, overlap_tokens: 64 };
    let chunker = Chunker::new(&cfg);
    let naive = MarkdownSplitter::new(
        ChunkConfig::new(512)
            .with_sizer(ExactTokens(doc_ingest::chunking::cl100k()))
            .with_overlap(64)
            .expect("overlap < size"),
    );
    println!("cl100k tokens, 512 max, 64 overlap; best of {runs} runs each, one core; MB = 10^6 bytes");
    let texts: Vec<(String, String)> = match input {
        Some(path) => vec![(path.display().to_string(), std::fs::read_to_string(path)?)],
        None => {
            megabytes.iter().map(|mb| (format!("generated {mb} MB"), policy_markdown((mb * 1e6) as usize))).collect()
        }
    };
    for (label, text) in &texts {
        let mb = text.len() as f64 / 1e6;
        let (secs, n) = best_of(runs, || chunker.chunk(Uuid::nil(), text).len());
        println!("  doc-ingest  {label:<24} {mb:>6.2} MB {secs:>8.3} s {:>7.2} MB/s  {n} chunks", mb / secs);
    }
    // The naive splitter grows faster than linearly; it gets one (smaller) size.
    let naive_text = match input {
        Some(_) => texts[0].1.clone(),
        None => policy_markdown((naive_megabytes * 1e6) as usize),
    };
    let mb = naive_text.len() as f64 / 1e6;
    let (secs, n) = best_of(runs, || naive.chunks(&naive_text).count());
    println!(
        "  naive       {:<24} {mb:>6.2} MB {secs:>8.3} s {:>7.2} MB/s  {n} chunks (whole text, exact count per call)",
        "same generator",
        mb / secs
    );
    Ok(())
}
