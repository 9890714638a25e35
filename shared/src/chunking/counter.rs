//! cl100k counts with a memo of short pre-tokeniser pieces: prose repeats its words, and a word's
//! byte-pair count is the expensive part of counting (≈ half the time on policy text).

use bpe_openai::Tokenizer;
use rustc_hash::FxHashMap;

/// Pieces longer than this are counted each time: they rarely repeat.
const MEMO_MAX_BYTES: usize = 24;

pub(super) struct Counter<'t> {
    tok: &'static Tokenizer,
    memo: FxHashMap<&'t str, u32>,
}

impl<'t> Counter<'t> {
    pub fn new(tok: &'static Tokenizer) -> Self {
        Counter { tok, memo: FxHashMap::default() }
    }

    pub fn piece(&mut self, piece: &'t str) -> u32 {
        if piece.len() > MEMO_MAX_BYTES {
            return self.tok.bpe.count(piece.as_bytes()) as u32;
        }
        let tok = self.tok;
        *self.memo.entry(piece).or_insert_with(|| tok.bpe.count(piece.as_bytes()) as u32)
    }

    /// Pre-tokeniser pieces of `text` with their byte offsets (relative to `text`) and counts.
    pub fn pieces(&mut self, text: &'t str) -> impl Iterator<Item = (usize, &'t str, u32)> {
        let mut at = 0;
        let tok = self.tok;
        tok.split(text).map(move |p| {
            let offset = at;
            at += p.len();
            (offset, p, self.piece(p))
        })
    }

    /// Exactly `Tokenizer::count` (cl100k does not normalise), through the memo.
    pub fn count(&mut self, text: &'t str) -> usize {
        self.pieces(text).map(|(_, _, n)| n as usize).sum()
    }
}
