//! `ingestctl bench-chunk`: chunking throughput and quality, ours against LangChain, LlamaIndex
//! and semantic-text-splitter on the same texts in the same run (scripts/chunk_peers.py), all best
//! of the same number of runs, one core, MB = 10⁶ bytes. The texts are input files, or generated
//! policy-like markdown whose clauses vary (a repeated template would flatter any tokenizer's caches).

use doc_ingest::chunking::{Chunker, ChunkingConfig, cl100k};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;
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
            // Sections from a few clauses to several chunks long, as in real policies.
            for clause in 1..=(2 + w.next() % 10) {
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

/// A directory for the texts and chunk lists handed to the peers' script, removed afterwards.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> std::io::Result<Self> {
        let dir = std::env::temp_dir().join(format!("doc-ingest-bench-chunk-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn head(s: &str, bytes: usize) -> &str {
    let mut end = bytes.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Best of `runs`: (seconds, result of the last run).
fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::MAX;
    let mut out = f();
    for _ in 0..runs {
        let t = Instant::now();
        out = f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    (best, out)
}

pub struct Options<'a> {
    pub megabytes: &'a [f64],
    pub inputs: &'a [PathBuf],
    pub runs: usize,
    /// The peers' Python (scripts/bench-chunk.sh installs them); none: ours only.
    pub peers_python: Option<&'a Path>,
    pub peers_max_mb: f64,
}

pub fn run(opts: &Options) -> anyhow::Result<()> {
    let cfg = ChunkingConfig::default();
    let chunker = Chunker::new(&cfg);
    cl100k();
    println!(
        "cl100k tokens, {} max, {} overlap, floor {}; best of {} runs each, one core; MB = 10^6 bytes",
        cfg.max_tokens, cfg.overlap_tokens, cfg.min_tokens, opts.runs
    );
    let dir = Scratch::new()?;
    let mut texts: Vec<(String, PathBuf)> = Vec::new();
    for path in opts.inputs {
        let label = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        texts.push((label, path.clone()));
    }
    if opts.inputs.is_empty() {
        for mb in opts.megabytes {
            let path = dir.path().join(format!("generated-{mb}MB.md"));
            std::fs::write(&path, policy_markdown((mb * 1e6) as usize))?;
            texts.push((format!("generated-{mb}MB"), path));
        }
    }
    let mut ours = Vec::new();
    for (label, path) in &texts {
        let text = std::fs::read_to_string(path)?;
        let mb = text.len() as f64 / 1e6;
        let (secs, chunks) = best_of(opts.runs, || chunker.chunk(Uuid::nil(), &text));
        // The design's overlap is within a section: a chunk that continues its predecessor's section.
        let continued: Vec<_> = chunks
            .windows(2)
            .filter(|w| w[0].heading_path == w[1].heading_path && !w[1].content.starts_with('#'))
            .collect();
        let carried = continued.iter().filter(|w| w[0].content.contains(head(&w[1].content, 40))).count();
        println!(
            "  doc-ingest  {label:<22} {mb:>6.2} MB {secs:>8.3} s {:>7.2} MB/s  {} chunks; {} continue a section, {carried} of them open with their predecessor's text",
            mb / secs,
            chunks.len(),
            continued.len()
        );
        let jsonl = dir.path().join(format!("{label}.ours.jsonl"));
        let mut out = std::io::BufWriter::new(std::fs::File::create(&jsonl)?);
        for c in &chunks {
            serde_json::to_writer(&mut out, &serde_json::json!({ "content": c.content, "tokens": c.token_count }))?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
        ours.push(format!("{label}={secs}={}", jsonl.display()));
    }
    let Some(python) = opts.peers_python else {
        return Ok(());
    };
    // tiktoken would download cl100k; the peers' script builds its cache from this list instead.
    let tokens_bin = dir.path().join("cl100k_tokens.bin");
    let bpe = &cl100k().bpe;
    let mut list = Vec::new();
    for id in 0..bpe.num_tokens() as u32 {
        let token = bpe.token_bytes(id);
        list.extend_from_slice(&(token.len() as u16).to_le_bytes());
        list.extend_from_slice(token);
    }
    std::fs::write(&tokens_bin, list)?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/chunk_peers.py");
    println!("same texts, scored alike (scripts/chunk_peers.py):");
    let mut cmd = std::process::Command::new(python);
    cmd.arg(script)
        .arg("--tokens-bin")
        .arg(&tokens_bin)
        .arg("--runs")
        .arg(opts.runs.to_string())
        .arg("--max-tokens")
        .arg(cfg.max_tokens.to_string())
        .arg("--overlap")
        .arg(cfg.overlap_tokens.to_string())
        .arg("--floor")
        .arg(cfg.min_tokens.to_string())
        .arg("--skip-over-mb")
        .arg(opts.peers_max_mb.to_string());
    for spec in &ours {
        cmd.arg("--ours").arg(spec);
    }
    for (label, path) in &texts {
        cmd.arg(format!("{label}={}", path.display()));
    }
    let status = cmd.status()?;
    anyhow::ensure!(status.success(), "the peers' benchmark failed: {status}");
    Ok(())
}
