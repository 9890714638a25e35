//! Markdown → token-sized chunks that remember their heading path and pages.
//!
//! One pass splits the text into atoms (headings, sentences, table rows, code lines), one
//! tokenisation pass counts every atom's cl100k tokens, and a greedy packer builds the chunks from
//! those counts: linear in the text, with each chunk's stored count taken exactly at the end.

mod cl100k;
mod counter;
mod markdown;
mod pack;

pub use cl100k::{cl100k, warm_up};

use crate::config::env_parse;
use crate::ids::ID_NAMESPACE;
pub use crate::ids::sha256_hex;
use bpe_openai::Tokenizer;
use counter::Counter;
use markdown::{Atom, Heading};
use uuid::Uuid;

#[derive(Clone, Debug)]
pub struct ChunkingConfig {
    pub max_tokens: usize,
    pub overlap_tokens: usize,
    /// No chunk is smaller, except a document's last or a section that has no neighbour to
    /// borrow from within the size.
    pub min_tokens: usize,
}

impl Default for ChunkingConfig {
    fn default() -> Self {
        ChunkingConfig { max_tokens: 512, overlap_tokens: 64, min_tokens: 64 }
    }
}

impl ChunkingConfig {
    pub fn from_env() -> anyhow::Result<Self> {
        let d = ChunkingConfig::default();
        let c = ChunkingConfig {
            max_tokens: env_parse("DOC_INGEST_CHUNK_MAX_TOKENS", d.max_tokens)?,
            overlap_tokens: env_parse("DOC_INGEST_CHUNK_OVERLAP_TOKENS", d.overlap_tokens)?,
            min_tokens: env_parse("DOC_INGEST_CHUNK_MIN_TOKENS", d.min_tokens)?,
        };
        c.validate()?;
        Ok(c)
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(self.max_tokens >= 16, "the chunk size ({}) must be at least 16 tokens", self.max_tokens);
        anyhow::ensure!(
            self.overlap_tokens <= self.max_tokens / 2,
            "chunk overlap ({}) must be at most half the chunk size ({})",
            self.overlap_tokens,
            self.max_tokens
        );
        anyhow::ensure!(
            self.min_tokens <= self.max_tokens / 2,
            "the chunk floor ({}) must be at most half the chunk size ({})",
            self.min_tokens,
            self.max_tokens
        );
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    pub id: Uuid,
    pub ordinal: i32,
    pub content: String,
    pub sha256: String,
    pub token_count: i32,
    pub heading_path: Vec<String>,
    pub page_start: Option<i32>,
    pub page_end: Option<i32>,
}

/// What chunk sizes are counted in.
#[derive(Clone)]
pub enum Measure {
    /// OpenAI's tokenizer (text-embedding-3-*, and the lexical model, which has no window).
    Cl100k,
    /// A local model's own word pieces (all-MiniLM-L6-v2 reads 256 of them).
    #[cfg(feature = "local-model")]
    WordPiece(std::sync::Arc<tokenizers::Tokenizer>),
}

/// How a model's chunks are cut: the tokenizer sizes are counted in, the size, overlap and floor.
#[derive(Clone)]
pub struct ChunkProfile {
    /// Recorded with each chunking, e.g. `cl100k` or `all-MiniLM-L6-v2`.
    pub tokenizer: String,
    pub config: ChunkingConfig,
    pub measure: Measure,
}

impl ChunkProfile {
    pub fn cl100k(config: ChunkingConfig) -> Self {
        ChunkProfile { tokenizer: "cl100k".into(), config, measure: Measure::Cl100k }
    }

    /// all-MiniLM-L6-v2 reads 256 word pieces, [CLS] and [SEP] included: 200 pieces of text leave
    /// room for the few pieces a cut adds, so the model sees every chunk whole, and keep chunks
    /// to a few clauses, so a clause's vector is not averaged away among many.
    #[cfg(feature = "local-model")]
    pub fn minilm(tokenizer: std::sync::Arc<tokenizers::Tokenizer>) -> Self {
        ChunkProfile {
            tokenizer: crate::embedding::local::MINILM_MODEL.into(),
            config: ChunkingConfig { max_tokens: 200, overlap_tokens: 32, min_tokens: 40 },
            measure: Measure::WordPiece(tokenizer),
        }
    }
}

pub struct Chunker {
    cfg: ChunkingConfig,
    tokens: &'static Tokenizer,
    measure: Measure,
}

/// The chunk's identity: same document, position and content → same id, on any run.
pub fn chunk_id(document_id: Uuid, ordinal: i32, sha256: &str) -> Uuid {
    Uuid::new_v5(&ID_NAMESPACE, format!("chunk:{document_id}:{ordinal}:{sha256}").as_bytes())
}

impl Chunker {
    pub fn new(cfg: &ChunkingConfig) -> Self {
        Chunker { cfg: cfg.clone(), tokens: cl100k(), measure: Measure::Cl100k }
    }

    pub fn with_profile(profile: &ChunkProfile) -> Self {
        Chunker { cfg: profile.config.clone(), tokens: cl100k(), measure: profile.measure.clone() }
    }

    pub fn count_tokens(&self, text: &str) -> usize {
        Counter::new(self.tokens, &self.measure).count(text)
    }

    pub fn chunk(&self, document_id: Uuid, markdown: &str) -> Vec<Chunk> {
        let (text, pages) = markdown::strip_page_markers(markdown);
        let mut atoms = markdown::atoms(&text);
        let mut counter = Counter::new(self.tokens, &self.measure);
        count(&mut counter, &text, &mut atoms);
        // Room for the overlap and for the few tokens a cut can add at either end.
        let limit = (self.cfg.max_tokens - self.cfg.overlap_tokens).saturating_sub(8).max(self.cfg.max_tokens / 2);
        let atoms = split_long(&mut counter, &text, atoms, limit as u32);
        let spans = pack::Packer { cfg: &self.cfg, counter, text: &text, atoms: &atoms }.pack();

        let page_at = |pos: usize| -> Option<i32> {
            let i = pages.partition_point(|(off, _)| *off <= pos);
            pages.get(i.saturating_sub(1)).map(|(_, page)| *page as i32)
        };
        let mut chunks = Vec::with_capacity(spans.len());
        let mut stack: Vec<&Heading> = Vec::new();
        let mut next = 0;
        for span in spans {
            // Chunk starts only move forward, so the heading stack advances with them.
            while let Some(a) = atoms.get(next).filter(|a| a.range.start <= span.range.start) {
                if let Some(h) = &a.heading {
                    while stack.last().is_some_and(|top| top.level >= h.level) {
                        stack.pop();
                    }
                    stack.push(h);
                }
                next += 1;
            }
            let content = pack::content(&text, &span);
            let ordinal = chunks.len() as i32;
            let sha256 = sha256_hex(content.as_bytes());
            chunks.push(Chunk {
                id: chunk_id(document_id, ordinal, &sha256),
                ordinal,
                token_count: span.tokens.max(1) as i32,
                content,
                sha256,
                heading_path: stack.iter().map(|h| h.title.clone()).collect(),
                page_start: page_at(span.range.start),
                page_end: page_at(span.range.end.saturating_sub(1)),
            });
        }
        chunks
    }
}

/// The one tokenisation pass: each pre-tokeniser piece's tokens go to the atom it starts in.
fn count<'t>(counter: &mut Counter<'t>, text: &'t str, atoms: &mut [Atom]) {
    let mut a = 0;
    for (offset, _, tokens) in counter.pieces(text) {
        while atoms[a].range.end <= offset {
            a += 1;
        }
        atoms[a].tokens += tokens;
    }
}

/// Cuts atoms longer than `limit` tokens (a run-on sentence, a giant table row) at word starts.
fn split_long<'t>(counter: &mut Counter<'t>, text: &'t str, atoms: Vec<Atom>, limit: u32) -> Vec<Atom> {
    if atoms.iter().all(|a| a.tokens <= limit) {
        return atoms;
    }
    let mut out = Vec::with_capacity(atoms.len() + 16);
    for atom in atoms {
        if atom.tokens <= limit {
            out.push(atom);
            continue;
        }
        let head = atom.head;
        let mut part =
            Atom { range: atom.range.start..atom.range.start, heading: atom.heading, tokens: 0, head: head.clone() };
        let mut at = atom.range.start;
        let pieces: Vec<(&str, u32)> = counter.pieces(&text[atom.range.clone()]).map(|(_, p, n)| (p, n)).collect();
        for (piece, count) in pieces {
            // Most pieces start with their word's space, so a cut before one is between words.
            if part.tokens + count > limit && part.tokens > 0 {
                part.range.end = at;
                out.push(std::mem::replace(
                    &mut part,
                    Atom { range: at..at, heading: None, tokens: 0, head: head.clone() },
                ));
            }
            if count > limit {
                // One piece over the limit (a run of letters with no space): cut it by bytes;
                // a cl100k token is at least one byte long.
                for window in byte_windows(piece, limit as usize) {
                    let tokens = counter.piece(window);
                    out.push(Atom {
                        range: at..at + window.len(),
                        heading: part.heading.take(),
                        tokens,
                        head: head.clone(),
                    });
                    at += window.len();
                }
                part = Atom { range: at..at, heading: None, tokens: 0, head: head.clone() };
                continue;
            }
            part.tokens += count;
            at += piece.len();
        }
        part.range.end = atom.range.end;
        if !part.range.is_empty() {
            out.push(part);
        }
    }
    out
}

/// Consecutive slices of at most `size` bytes, cut at character boundaries.
fn byte_windows(s: &str, size: usize) -> impl Iterator<Item = &str> {
    let mut rest = s;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut cut = size.min(rest.len());
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        let (head, tail) = rest.split_at(cut);
        rest = tail;
        Some(head)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunker(max: usize, overlap: usize, min: usize) -> Chunker {
        Chunker::new(&ChunkingConfig { max_tokens: max, overlap_tokens: overlap, min_tokens: min })
    }

    /// A policy-like document: numbered sections of varied sentences, some of them empty.
    fn policy(sections: usize) -> String {
        let mut md = String::new();
        for s in 0..sections {
            md.push_str(&format!("<!-- page {} -->\n\n# {s}. Part {s}\n\n", s + 1));
            if s % 4 == 3 {
                continue; // a heading whose body is its subsection
            }
            md.push_str(&format!("## {s}.1 Cover\n\n"));
            for k in 0..(3 + s * 7 % 40) {
                md.push_str(&format!("Clause {s}.{k} pays up to GBP {} for loss number {k}. ", 100 + 37 * k));
                if k % 9 == 8 {
                    md.push_str("\n\n");
                }
            }
            md.push_str("\n\n");
        }
        md
    }

    #[test]
    fn chunks_carry_headings_pages_and_stable_ids() {
        let md = "<!-- page 1 -->\n\n# Policy\n\nIntro words here.\n\n<!-- page 2 -->\n\n## 4.2 Water damage\n\n\
                  Burst pipes are covered. ```not a fence``` still text.\n\n<!-- page 3 -->\n\n## 4.3 Fire\n\nFire is covered.\n";
        let doc = Uuid::nil();
        let chunks = chunker(16, 0, 0).chunk(doc, md);
        assert!(chunks.len() >= 3, "{chunks:#?}");
        assert!(chunks.iter().all(|c| !c.content.contains("<!-- page")));
        let water = chunks.iter().find(|c| c.content.contains("Burst pipes")).unwrap();
        assert_eq!(water.heading_path, ["Policy", "4.2 Water damage"]);
        assert_eq!(water.page_start, Some(2));
        let fire = chunks.iter().find(|c| c.content.contains("Fire is covered")).unwrap();
        assert_eq!(fire.heading_path, ["Policy", "4.3 Fire"]);
        assert_eq!(fire.page_end, Some(3));
        for (i, c) in chunks.iter().enumerate() {
            assert_eq!(c.ordinal, i as i32);
            assert_eq!(c.sha256, sha256_hex(c.content.as_bytes()));
            assert!(c.token_count <= 16, "{c:?}");
        }
        assert_eq!(chunker(16, 0, 0).chunk(doc, md), chunks, "chunking is deterministic");
    }

    #[test]
    fn token_counts_are_exact_and_within_the_cap() {
        let text = policy(30);
        let reference = tiktoken_rs::cl100k_base_singleton();
        for (max, overlap) in [(64, 16), (128, 32), (512, 64)] {
            let chunks = chunker(max, overlap, 16).chunk(Uuid::nil(), &text);
            assert!(chunks.len() > 5);
            for ch in &chunks {
                assert_eq!(ch.token_count as usize, reference.encode_ordinary(&ch.content).len());
                assert!(ch.token_count as usize <= max, "{} > {max}", ch.token_count);
            }
        }
    }

    #[test]
    fn every_later_chunk_of_a_section_opens_with_its_predecessors_last_sentences() {
        let (max, overlap) = (128, 32);
        let chunks = chunker(max, overlap, 32).chunk(Uuid::nil(), &policy(30));
        let mut continued = 0;
        for w in chunks.windows(2) {
            let (prev, next) = (&w[0], &w[1]);
            if prev.heading_path != next.heading_path || next.content.starts_with('#') {
                continue;
            }
            continued += 1;
            // The longest suffix of the predecessor that the next chunk starts with.
            let shared = (1..=prev.content.len())
                .filter(|&k| prev.content.is_char_boundary(prev.content.len() - k))
                .filter(|&k| next.content.starts_with(&prev.content[prev.content.len() - k..]))
                .max()
                .unwrap_or(0);
            let carried = &prev.content[prev.content.len() - shared..];
            assert!(shared > 0, "no overlap between\n{}\n---\n{}", prev.content, next.content);
            assert!(carried.starts_with("Clause"), "the overlap starts on a sentence: {carried:?}");
            assert!(tiktoken_rs::cl100k_base_singleton().encode_ordinary(carried).len() <= overlap + 1);
        }
        assert!(continued >= 5, "the test document has sections longer than a chunk");
    }

    #[test]
    fn a_heading_never_stands_alone_and_small_chunks_only_end_the_document() {
        let floor = 48;
        let chunks = chunker(160, 32, floor).chunk(Uuid::nil(), &policy(40));
        for (i, c) in chunks.iter().enumerate() {
            let lines: Vec<_> = c.content.lines().filter(|l| !l.trim().is_empty()).collect();
            assert!(!lines.iter().all(|l| l.starts_with('#')), "a chunk of headings only: {c:?}");
            if i + 1 < chunks.len() {
                assert!(!lines.last().unwrap().starts_with('#'), "a chunk ends with a heading: {c:?}");
                assert!(c.token_count as usize >= floor, "chunk {i} has {} tokens: {c:?}", c.token_count);
            }
        }
        let bare = chunks.iter().find(|c| c.content.starts_with("# 3. Part 3")).unwrap();
        assert!(bare.content.contains("Clause 4."), "an empty section's heading opens the next one's text");
    }

    #[test]
    fn a_chunk_that_starts_inside_a_table_opens_with_its_header() {
        // A benefits chart longer than a chunk: a row read without its header does not say
        // which copay is in network.
        let head = "| Service | In network | Out of network |\n|---|---|---|";
        let mut md = format!("# Benefits\n\nWhat you pay.\n\n{head}\n");
        for k in 0..120 {
            md.push_str(&format!("| Service {k} visit | ${} copay | {}% coinsurance |\n", 10 + k, 20 + k % 50));
        }
        md.push_str("\nAfter the chart.\n");
        let reference = tiktoken_rs::cl100k_base_singleton();
        let chunks = chunker(128, 32, 16).chunk(Uuid::nil(), &md);
        let with_rows: Vec<&Chunk> = chunks.iter().filter(|c| c.content.contains("| Service ")).collect();
        assert!(with_rows.len() >= 5, "{chunks:#?}");
        for (i, c) in with_rows.iter().enumerate() {
            assert_eq!(c.content.matches(head).count(), 1, "{}", c.content);
            assert!(i == 0 || c.content.starts_with(head), "{}", c.content);
            assert_eq!(c.token_count as usize, reference.encode_ordinary(&c.content).len());
            assert!(c.token_count <= 128, "{c:?}");
            if i > 0 {
                // Its first row after the header is carried over from its predecessor.
                let first_row = c.content[head.len() + 1..].lines().next().unwrap();
                assert!(with_rows[i - 1].content.contains(first_row), "{}", c.content);
            }
        }
        for k in 0..120 {
            assert!(chunks.iter().any(|c| c.content.contains(&format!("| Service {k} visit |"))), "row {k} lost");
        }
        // Text after the table that starts a chunk does not take the header.
        assert!(chunks.iter().filter(|c| !c.content.contains("| Service ")).all(|c| !c.content.contains("In network")));

        // A form set as a table: its first rows name no columns, and are not carried.
        for first in ["|  |  |  |", "| FOR DSP COMPLETION |  |  |"] {
            let form = md.replace("| Service | In network | Out of network |", first);
            let chunks = chunker(128, 32, 16).chunk(Uuid::nil(), &form);
            assert_eq!(chunks.iter().filter(|c| c.content.contains(first)).count(), 1, "{chunks:#?}");
        }
        // A benefits chart's empty corner still names the columns after it.
        let corner = md.replace("| Service | In network |", "|  | In network |");
        let chunks = chunker(128, 32, 16).chunk(Uuid::nil(), &corner);
        assert!(
            chunks
                .iter()
                .filter(|c| c.content.contains("| Service 119 visit"))
                .all(|c| c.content.contains("|  | In network |"))
        );
    }

    #[test]
    fn run_on_text_is_cut_between_words_within_the_cap() {
        let words = "endorsement ".repeat(3000);
        let letters = "x".repeat(20_000);
        let text = format!("# Schedule\n\n{words}\n\n{letters}\n");
        let chunks = chunker(256, 32, 16).chunk(Uuid::nil(), &text);
        assert!(chunks.len() > 10);
        assert!(chunks.iter().all(|c| c.token_count <= 256));
        let joined: usize = chunks.iter().map(|c| c.content.matches("endorsement").count()).sum();
        assert!(joined >= 3000, "no word is lost");
        assert!(chunks.iter().all(|c| !c.content.contains("endorsemen ")), "no word is cut");
    }

    #[test]
    fn text_without_markers_has_no_pages() {
        let chunks = chunker(64, 8, 8).chunk(Uuid::nil(), "plain text only\n");
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].page_start, None);
        assert!(chunks[0].heading_path.is_empty());
    }

    #[test]
    fn configs_that_cannot_pack_are_refused() {
        let bad = ChunkingConfig { max_tokens: 100, overlap_tokens: 60, min_tokens: 10 };
        assert!(bad.validate().is_err());
        assert!(ChunkingConfig::default().validate().is_ok());
    }
}
