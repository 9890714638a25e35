//! Token counts with a memo of short pre-tokeniser pieces: prose repeats its words, and a word's
//! count is the expensive part of counting (≈ half the time on policy text). Pieces are always
//! cl100k's pre-tokeniser pieces (they are where a chunk may be cut); what a piece costs is
//! counted in the profile's tokenizer: cl100k for OpenAI's models, the local model's word pieces
//! for it (a word piece never spans cl100k pieces: BERT's pre-tokeniser splits at least as finely).

use super::Measure;
use bpe_openai::Tokenizer;
use rustc_hash::FxHashMap;

/// Pieces longer than this are counted each time: they rarely repeat.
const MEMO_MAX_BYTES: usize = 24;

pub(super) struct Counter<'t> {
    tok: &'static Tokenizer,
    measure: &'t Measure,
    memo: FxHashMap<&'t str, u32>,
}

impl<'t> Counter<'t> {
    pub fn new(tok: &'static Tokenizer, measure: &'t Measure) -> Self {
        Counter { tok, measure, memo: FxHashMap::default() }
    }

    fn measure(tok: &Tokenizer, measure: &Measure, piece: &str) -> u32 {
        match measure {
            Measure::Cl100k => tok.bpe.count(piece.as_bytes()) as u32,
            #[cfg(feature = "local-model")]
            Measure::WordPiece(wp) => wp.encode_fast(piece, false).map_or(0, |e| e.len() as u32),
        }
    }

    pub fn piece(&mut self, piece: &'t str) -> u32 {
        if piece.len() > MEMO_MAX_BYTES {
            return Self::measure(self.tok, self.measure, piece);
        }
        let (tok, measure) = (self.tok, self.measure);
        *self.memo.entry(piece).or_insert_with(|| Self::measure(tok, measure, piece))
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

    /// Exactly `Tokenizer::count` for cl100k (it does not normalise), through the memo.
    pub fn count(&mut self, text: &'t str) -> usize {
        self.pieces(text).map(|(_, _, n)| n as usize).sum()
    }

    /// The same count for text that is not a slice of the chunked text (a chunk opening with its
    /// table's header): not memoised, since the memo holds slices of that text.
    pub fn count_apart(&self, text: &str) -> usize {
        self.tok.split(text).map(|p| Self::measure(self.tok, self.measure, p) as usize).sum()
    }
}
