//! Packs atoms into chunks: greedy within a section, each later chunk of a section opening with up
//! to `overlap` tokens of its predecessor (whole sentences where they fit), a heading always
//! opening its body's chunk, and no chunk under the floor where a neighbour can lend it text.

use super::ChunkingConfig;
use super::counter::Counter;
use super::markdown::Atom;
use std::ops::Range;

/// Estimates include the whitespace after an atom (a blank line is a token), which the stored,
/// trimmed chunk does not: the floor is checked with this much to spare.
const TRAILING_SPACE: u32 = 2;

/// A table's header a chunk may open with: at most this share of the chunk, so that a very wide
/// header does not crowd out the rows.
const HEAD_SHARE: u32 = 4;

/// One chunk: its trimmed byte range in the text, the table header it opens with when it starts
/// inside a table's body, and its exact token count (the header's included).
#[derive(Debug)]
pub(super) struct Span {
    pub range: Range<usize>,
    pub head: Option<Range<usize>>,
    pub tokens: usize,
}

/// A chunk's text: its table header, if it opens with one, and its slice of the text.
pub(super) fn content(text: &str, span: &Span) -> String {
    match &span.head {
        Some(head) => format!("{}\n{}", text[head.clone()].trim_end(), &text[span.range.clone()]),
        None => text[span.range.clone()].to_owned(),
    }
}

pub(super) struct Packer<'a> {
    pub cfg: &'a ChunkingConfig,
    pub counter: Counter<'a>,
    pub text: &'a str,
    pub atoms: &'a [Atom],
}

impl<'a> Packer<'a> {
    pub fn pack(mut self) -> Vec<Span> {
        let atoms = self.atoms;
        let n = atoms.len();
        let (max, floor) = (self.cfg.max_tokens as u32, self.cfg.min_tokens as u32);
        let rest = section_rests(atoms);
        let mut spans: Vec<Span> = Vec::new();
        let mut i = 0;
        let mut overlap: Option<(usize, u32)> = None;
        while i < n {
            let (mut start, ov) = overlap.take().unwrap_or((atoms[i].range.start, 0));
            let (mut head, mut head_tokens) = self.head_at(start, i);
            let (mut j, mut tokens) = self.fill(i, ov + head_tokens);
            if j == i {
                // The overlap leaves no room for the next atom: this chunk goes without it.
                start = atoms[i].range.start;
                (head, head_tokens) = self.head_at(start, i);
                (j, tokens) = self.fill(i, head_tokens);
                j = j.max(i + 1);
            }
            // A heading opens the chunk of its body, never closes another.
            while j - i > 1 && j < n && atoms[j - 1].heading.is_some() {
                j -= 1;
                tokens -= atoms[j].tokens;
            }
            // Lend the section's short tail some of this chunk, so it does not fall under the floor.
            if j < n && atoms[j].heading.is_none() {
                let mut tail = rest[j];
                while tail < floor
                    && j - i > 1
                    && atoms[j - 1].heading.is_none()
                    && tokens - atoms[j - 1].tokens >= max / 2
                {
                    j -= 1;
                    tokens -= atoms[j].tokens;
                    tail += atoms[j].tokens;
                }
            }
            // The estimate sums pieces of the whole text; the stored count is exact, and binding.
            let span = loop {
                let range = trimmed(self.text, start..atoms[j - 1].range.end);
                let mut span = Span { range, head: head.clone(), tokens: 0 };
                span.tokens = self.count(&span);
                if span.tokens <= max as usize || (j - i == 1 && start == atoms[i].range.start && head.is_none()) {
                    break span;
                }
                if j - i > 1 {
                    j -= 1;
                } else if start != atoms[i].range.start {
                    start = atoms[i].range.start;
                    head = self.head_at(start, i).0;
                } else {
                    head = None;
                }
            };
            let headings_only = atoms[i..j].iter().all(|a| a.heading.is_some());
            if headings_only && j == n {
                // Headings with no body end the document: they close the previous chunk if it has room.
                if let Some(prev) = spans.last() {
                    let mut merged =
                        Span { range: prev.range.start..span.range.end, head: prev.head.clone(), tokens: 0 };
                    merged.tokens = self.count(&merged);
                    if merged.tokens <= max as usize {
                        spans.pop();
                        spans.push(merged);
                        break;
                    }
                }
            }
            if !span.range.is_empty() {
                spans.push(span);
            }
            if j < n && atoms[j].heading.is_none() && self.cfg.overlap_tokens > 0 {
                overlap = self.overlap(i, j);
            }
            i = j;
        }
        spans
    }

    fn count(&mut self, span: &Span) -> usize {
        match span.head {
            Some(_) => self.counter.count_apart(&content(self.text, span)),
            None => self.counter.count(&self.text[span.range.clone()]),
        }
    }

    /// The table header a chunk starting at `start` (in atom `i`, or in an earlier atom it
    /// carries over) opens with, and its tokens: the header of the table whose body it starts in.
    fn head_at(&mut self, start: usize, i: usize) -> (Option<Range<usize>>, u32) {
        let mut k = i;
        while k > 0 && self.atoms[k].range.start > start {
            k -= 1;
        }
        let Some(head) = self.atoms[k].head.clone() else { return (None, 0) };
        // The header and the newline after it.
        let tokens = self.counter.count(self.text[head.clone()].trim_end()) as u32 + 1;
        if tokens > self.cfg.max_tokens as u32 / HEAD_SHARE {
            return (None, 0);
        }
        (Some(head), tokens)
    }

    /// Adds atoms from `i` while they fit; a new section ends the chunk once it reaches the floor.
    fn fill(&self, i: usize, mut tokens: u32) -> (usize, u32) {
        let (max, floor) = (self.cfg.max_tokens as u32, self.cfg.min_tokens as u32);
        let mut j = i;
        while let Some(a) = self.atoms.get(j) {
            // A run of headings stays with the body that follows it.
            let new_section = j > i && a.heading.is_some() && self.atoms[j - 1].heading.is_none();
            if (new_section && tokens >= floor + TRAILING_SPACE) || tokens + a.tokens > max {
                break;
            }
            tokens += a.tokens;
            j += 1;
        }
        (j, tokens)
    }

    /// Where the chunk after atoms `i..j` starts, and the tokens it carries over: the longest run
    /// of whole trailing atoms within the overlap, else the trailing words of the last atom.
    fn overlap(&mut self, i: usize, j: usize) -> Option<(usize, u32)> {
        let limit = self.cfg.overlap_tokens as u32;
        let mut k = j;
        let mut tokens = 0;
        while k > i && self.atoms[k - 1].heading.is_none() && tokens + self.atoms[k - 1].tokens <= limit {
            k -= 1;
            tokens += self.atoms[k].tokens;
        }
        if k < j {
            return Some((self.atoms[k].range.start, tokens));
        }
        let last = &self.atoms[j - 1];
        if last.heading.is_some() {
            return None;
        }
        self.trailing_words(last.range.clone(), limit)
    }

    /// The latest word start in `range` after which at most `limit` tokens follow.
    fn trailing_words(&mut self, range: Range<usize>, limit: u32) -> Option<(usize, u32)> {
        let start = range.start;
        let text: &'a str = self.text;
        let pieces: Vec<(usize, u32)> =
            self.counter.pieces(&text[range]).map(|(at, _, count)| (start + at, count)).collect();
        let mut tokens = 0;
        let mut best = None;
        for &(at, count) in pieces.iter().rev() {
            tokens += count;
            if tokens > limit {
                break;
            }
            if self.text.as_bytes()[at].is_ascii_whitespace() {
                best = Some((at, tokens));
            }
        }
        best
    }
}

/// For each atom, the tokens from it to the end of its section.
fn section_rests(atoms: &[Atom]) -> Vec<u32> {
    let mut rest = vec![0; atoms.len()];
    for k in (0..atoms.len()).rev() {
        let after = match atoms.get(k + 1) {
            Some(next) if next.heading.is_none() => rest[k + 1],
            _ => 0,
        };
        rest[k] = atoms[k].tokens + after;
    }
    rest
}

fn trimmed(text: &str, range: Range<usize>) -> Range<usize> {
    let s = &text[range.clone()];
    let start = range.start + (s.len() - s.trim_start().len());
    let end = range.start + s.trim_end().len();
    start..end.max(start)
}
