//! The cl100k tokenizer (OpenAI's embedding models), built on first use from its token list.
//!
//! `bpe_openai::cl100k_base()` would embed a 15 MB serialised table in every binary that links
//! the chunker, and make up most of the chunk function's size and memory. Instead the build
//! script writes the 100,256 tokens (0.9 MB) and the table is built from them once per process
//! (≈ 0.6 s, on a thread started at the chunk function's init, so no invocation waits for it
//! unless it arrives first). Counts are identical: the unit test compares them.

use bpe_openai::Tokenizer;
use bpe_openai::byte_pair_encoding::BytePairEncoding;
use std::sync::OnceLock;

/// The hash factor bpe-openai uses for cl100k: a collision-free one for this dictionary.
const HASH_FACTOR: u64 = 17_846_336_922_010_275_747;

/// tiktoken's cl100k pre-tokenisation, with the negative look-ahead `\s+(?!\S)` expressed as a
/// look-ahead pattern (its last character is dropped from the match).
const PATTERNS: [(&str, bool); 3] = [
    (
        "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+$",
        false,
    ),
    ("\\s+\\s", true),
    ("\\s+", false),
];

/// Each token in id order: a little-endian u16 length, then its bytes.
static TOKENS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/cl100k_tokens.bin"));

fn tokens() -> impl Iterator<Item = Vec<u8>> {
    let mut rest = TOKENS;
    std::iter::from_fn(move || {
        let (len, tail) = rest.split_first_chunk::<2>()?;
        let len = u16::from_le_bytes(*len) as usize;
        let (token, tail) = tail.split_at(len);
        rest = tail;
        Some(token.to_vec())
    })
}

pub fn cl100k() -> &'static Tokenizer {
    static TOKENIZER: OnceLock<Tokenizer> = OnceLock::new();
    TOKENIZER.get_or_init(|| {
        let bpe = BytePairEncoding::from_dictionary(tokens(), Some(HASH_FACTOR));
        Tokenizer::new_lookahead(bpe, &PATTERNS, false).expect("the cl100k patterns are valid regexes")
    })
}

/// Builds the tokenizer on a background thread, so that it is ready, or nearly, when the first
/// message needs it.
pub fn warm_up() {
    std::thread::spawn(|| {
        cl100k();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_list_rebuilds_cl100k_exactly() {
        assert_eq!(tokens().count(), 100_256);
        let ours = cl100k();
        let reference = bpe_openai::cl100k_base();
        let text = "Escape of water: we will pay £1,250 for damage caused by water escaping from a fixed \
                    installation.\n\n| Section | Excess |\n|---|---|\n   indented  \u{00e9}t\u{00e9} naïve 東京 🙂 ";
        assert_eq!(ours.encode(text), reference.encode(text));
        assert_eq!(ours.count(text), reference.count(text));
    }
}
