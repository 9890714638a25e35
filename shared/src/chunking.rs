//! Markdown → token-sized chunks that remember their heading path and pages.

use crate::config::ChunkingConfig;
use crate::intake::ID_NAMESPACE;
use crate::parsing::parse_page_marker;
use sha2::{Digest, Sha256};
use text_splitter::{ChunkConfig, MarkdownSplitter};
use tiktoken_rs::CoreBPE;
use uuid::Uuid;

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
    splitter: MarkdownSplitter<&'static CoreBPE>,
    bpe: &'static CoreBPE,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
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
        let bpe = tiktoken_rs::cl100k_base_singleton();
        let config = ChunkConfig::new(cfg.max_tokens)
            .with_sizer(bpe)
            .with_overlap(cfg.overlap_tokens)
            .expect("overlap below size is checked by Config::validate");
        Chunker { splitter: MarkdownSplitter::new(config), bpe }
    }

    pub fn count_tokens(&self, text: &str) -> usize {
        self.bpe.encode_ordinary(text).len()
    }

    pub fn chunk(&self, document_id: Uuid, markdown: &str) -> Vec<Chunk> {
        let (text, pages) = strip_page_markers(markdown);
        let headings = find_headings(&text);
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
        for (offset, piece) in self.splitter.chunk_indices(&text) {
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
