//! Markdown → token-sized chunks that remember their heading path and pages.

mod cl100k;

pub use cl100k::{cl100k, warm_up};

use crate::config::env_parse;
use crate::ids::ID_NAMESPACE;
pub use crate::ids::sha256_hex;
use crate::pages::parse_page_marker;
use bpe_openai::Tokenizer;
use std::ops::Range;
use text_splitter::{ChunkConfig, ChunkSizer, MarkdownSplitter};
use uuid::Uuid;

#[derive(Clone, Debug)]
pub struct ChunkingConfig {
    pub max_tokens: usize,
    pub overlap_tokens: usize,
}

impl Default for ChunkingConfig {
    fn default() -> Self {
        ChunkingConfig { max_tokens: 512, overlap_tokens: 64 }
    }
}

impl ChunkingConfig {
    pub fn from_env() -> anyhow::Result<Self> {
        let d = ChunkingConfig::default();
        let c = ChunkingConfig {
            max_tokens: env_parse("DOC_INGEST_CHUNK_MAX_TOKENS", d.max_tokens)?,
            overlap_tokens: env_parse("DOC_INGEST_CHUNK_OVERLAP_TOKENS", d.overlap_tokens)?,
        };
        anyhow::ensure!(
            c.overlap_tokens < c.max_tokens,
            "chunk overlap ({}) must be below the chunk size ({})",
            c.overlap_tokens,
            c.max_tokens
        );
        Ok(c)
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

pub struct Chunker {
    splitter: MarkdownSplitter<CappedTokens>,
    tokens: &'static Tokenizer,
    block_bytes: usize,
}

/// The splitter only asks "does this fit?", so counting stops one token past the capacity:
/// the cost of a call is bounded by the chunk size, not by the candidate's length. Counts are
/// cl100k (the tokenizer of OpenAI's embedding models), exact up to the cap.
struct CappedTokens {
    tokens: &'static Tokenizer,
    cap: usize,
}

impl ChunkSizer for CappedTokens {
    fn size(&self, chunk: &str) -> usize {
        // cl100k tokens are at least one byte long.
        if chunk.len() <= self.cap {
            return self.tokens.count(chunk);
        }
        let normalized = self.tokens.normalize(chunk);
        self.tokens.count_till_limit(&normalized, self.cap + 1).unwrap_or(self.cap + 1)
    }
}

/// The chunk's identity: same document, position and content → same id, on any run.
pub fn chunk_id(document_id: Uuid, ordinal: i32, sha256: &str) -> Uuid {
    Uuid::new_v5(&ID_NAMESPACE, format!("chunk:{document_id}:{ordinal}:{sha256}").as_bytes())
}

struct Heading {
    offset: usize,
    level: usize,
    title: String,
}

impl Chunker {
    pub fn new(cfg: &ChunkingConfig) -> Self {
        let tokens = cl100k();
        let config = ChunkConfig::new(cfg.max_tokens)
            .with_sizer(CappedTokens { tokens, cap: cfg.max_tokens })
            .with_overlap(cfg.overlap_tokens)
            .expect("overlap below size is checked by ChunkingConfig::from_env");
        // ≈ 32 chunks' worth of text per splitter call (cl100k averages ≈ 4 bytes a token).
        let block_bytes = (cfg.max_tokens * 4 * 32).max(16 * 1024);
        Chunker { splitter: MarkdownSplitter::new(config), tokens, block_bytes }
    }

    pub fn count_tokens(&self, text: &str) -> usize {
        self.tokens.count(text)
    }

    pub fn chunk(&self, document_id: Uuid, markdown: &str) -> Vec<Chunk> {
        let (text, pages) = strip_page_markers(markdown);
        let headings = find_headings(&text);
        let blocks = blocks(&text, &headings, self.block_bytes);
        let page_at = |pos: usize| -> Option<i32> {
            if pages.is_empty() {
                return None;
            }
            let i = pages.partition_point(|(off, _)| *off <= pos);
            Some(if i == 0 { pages[0].1 } else { pages[i - 1].1 } as i32)
        };

        let mut chunks = Vec::new();
        let mut stack: Vec<(usize, String)> = Vec::new();
        let mut next_heading = 0;
        // The splitter's cost grows faster than linearly with its input; feeding it blocks of
        // whole sections keeps a 600-page policy linear.
        let pieces = blocks
            .into_iter()
            .flat_map(|b| self.splitter.chunk_indices(&text[b.clone()]).map(move |(off, p)| (b.start + off, p)));
        for (offset, piece) in pieces {
            // Chunk starts only move forward, so the heading stack can be advanced incrementally.
            while next_heading < headings.len() && headings[next_heading].offset <= offset {
                let h = &headings[next_heading];
                while stack.last().is_some_and(|(level, _)| *level >= h.level) {
                    stack.pop();
                }
                stack.push((h.level, h.title.clone()));
                next_heading += 1;
            }
            let content = piece.trim();
            if content.is_empty() {
                continue;
            }
            let ordinal = chunks.len() as i32;
            let sha256 = sha256_hex(content.as_bytes());
            chunks.push(Chunk {
                id: chunk_id(document_id, ordinal, &sha256),
                ordinal,
                token_count: self.count_tokens(content).max(1) as i32,
                content: content.to_owned(),
                sha256,
                heading_path: stack.iter().map(|(_, t)| t.clone()).collect(),
                page_start: page_at(offset),
                page_end: page_at(offset + piece.len().saturating_sub(1)),
            });
        }
        chunks
    }
}

/// Consecutive ranges of about `budget` bytes that end at a heading where possible, else at a
/// blank line, else at a line end.
fn blocks(text: &str, headings: &[Heading], budget: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut h = 0;
    while text.len() - start > budget {
        let limit = start + budget;
        let mut cut = None;
        while h < headings.len() && headings[h].offset <= limit {
            if headings[h].offset > start {
                cut = Some(headings[h].offset);
            }
            h += 1;
        }
        let window = &text[start..floor_char_boundary(text, limit)];
        let cut = cut
            .filter(|c| c - start >= budget / 4)
            .or_else(|| window.rfind("\n\n").map(|i| start + i + 2).filter(|c| *c > start))
            .or_else(|| window.rfind('\n').map(|i| start + i + 1).filter(|c| *c > start))
            .unwrap_or_else(|| floor_char_boundary(text, limit));
        // Always make progress, even with a budget smaller than one character.
        let cut = if cut > start { cut } else { ceil_char_boundary(text, start + 1) };
        out.push(start..cut);
        start = cut;
    }
    if start < text.len() {
        out.push(start..text.len());
    }
    out
}

fn ceil_char_boundary(text: &str, mut i: usize) -> usize {
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i.min(text.len())
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Removes the parse stage's page markers; returns the text and where each page starts in it.
fn strip_page_markers(markdown: &str) -> (String, Vec<(usize, u32)>) {
    let mut text = String::with_capacity(markdown.len());
    let mut pages = Vec::new();
    for line in markdown.split_inclusive('\n') {
        match parse_page_marker(line) {
            Some(page) => pages.push((text.len(), page)),
            None => text.push_str(line),
        }
    }
    (text, pages)
}

/// ATX headings outside fenced code blocks, with their byte offsets.
fn find_headings(text: &str) -> Vec<Heading> {
    let mut out = Vec::new();
    let mut offset = 0;
    let mut fence: Option<&str> = None;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if indent <= 3 {
            for marker in ["```", "~~~"] {
                if trimmed.starts_with(marker) {
                    fence = match fence {
                        Some(open) if open == marker => None,
                        None => Some(marker),
                        other => other,
                    };
                }
            }
            if fence.is_none() {
                let level = trimmed.bytes().take_while(|b| *b == b'#').count();
                let rest = &trimmed[level..];
                if (1..=6).contains(&level) && (rest.starts_with(' ') || rest.trim().is_empty()) {
                    let title = rest.trim().trim_end_matches('#').trim();
                    if !title.is_empty() {
                        out.push(Heading { offset, level, title: title.to_owned() });
                    }
                }
            }
        }
        offset += line.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunker(max: usize, overlap: usize) -> Chunker {
        Chunker::new(&ChunkingConfig { max_tokens: max, overlap_tokens: overlap })
    }

    #[test]
    fn chunks_carry_headings_pages_and_stable_ids() {
        let md = "<!-- page 1 -->\n\n# Policy\n\nIntro words here.\n\n<!-- page 2 -->\n\n## 4.2 Water damage\n\n\
                  Burst pipes are covered. ```not a fence``` still text.\n\n<!-- page 3 -->\n\n## 4.3 Fire\n\nFire is covered.\n";
        let doc = Uuid::nil();
        let chunks = chunker(12, 0).chunk(doc, md);
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
            assert!(c.token_count <= 12, "{c:?}");
        }
        assert_eq!(chunker(12, 0).chunk(doc, md), chunks, "chunking is deterministic");
    }

    #[test]
    fn blocks_cover_the_text_and_prefer_headings() {
        let mut text = String::new();
        for s in 0..50 {
            text.push_str(&format!("## Section {s}\n\n"));
            text.push_str(&"Cover applies to the home and its contents. ".repeat(20));
            text.push_str("\n\n");
        }
        text.push_str(&"é".repeat(5000));
        let headings = find_headings(&text);
        let bs = blocks(&text, &headings, 4096);
        assert!(bs.len() > 5);
        assert_eq!(bs.first().unwrap().start, 0);
        assert_eq!(bs.last().unwrap().end, text.len());
        for w in bs.windows(2) {
            assert_eq!(w[0].end, w[1].start, "blocks are contiguous");
        }
        let at_heading = bs.iter().skip(1).filter(|b| text[(*b).clone()].starts_with("## ")).count();
        assert!(at_heading >= bs.len() / 2, "most blocks start at a heading");
        assert!(bs.iter().all(|b| b.len() <= 4096));
    }

    #[test]
    fn token_counts_match_tiktoken_and_stay_within_the_cap() {
        let c = chunker(64, 8);
        let text = "Accidental damage cover pays for sudden, unexpected and visible damage. ".repeat(40);
        let chunks = c.chunk(Uuid::nil(), &text);
        let reference = tiktoken_rs::cl100k_base_singleton();
        for ch in &chunks {
            assert_eq!(ch.token_count as usize, reference.encode_ordinary(&ch.content).len());
            assert!(ch.token_count <= 64);
        }
        assert!(chunks.len() > 5);
    }

    #[test]
    fn headings_in_code_fences_are_not_headings() {
        let hs = find_headings("# A\n```\n# not\n```\n## B\n");
        let titles: Vec<_> = hs.iter().map(|h| h.title.as_str()).collect();
        assert_eq!(titles, ["A", "B"]);
    }

    #[test]
    fn text_without_markers_has_no_pages() {
        let chunks = chunker(64, 8).chunk(Uuid::nil(), "plain text only\n");
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].page_start, None);
        assert!(chunks[0].heading_path.is_empty());
    }
}
