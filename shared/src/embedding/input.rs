//! What a model reads for a chunk: its text with markdown syntax taken out, so a small model's
//! window holds words, not table pipes, rules, emphasis marks and page markers. The stored chunk
//! text stays as it was.
//!
//! The heading path is not put in front. Measured on corpus/eval with all-MiniLM-L6-v2 (vector
//! search, phrase-level recall@5): 0.829 with the whole path as a title line, 0.857 with the
//! nearest heading, 0.871 without; a long path shared by most chunks of a document ("Proposed
//! Rules > 14 CFR Part 39 > Airworthiness Directives; …") makes them alike. A chunk that opens its
//! section still begins with its heading.

use sha2::{Digest, Sha256};

pub fn embedding_text(content: &str) -> String {
    let mut out = String::with_capacity(content.len());
    for line in content.lines() {
        if crate::pages::parse_page_marker(line).is_some() || is_table_rule(line) || is_rule(line) {
            continue;
        }
        let plain = plain_line(line);
        if !plain.is_empty() {
            out.push_str(&plain);
            out.push('\n');
        }
    }
    out.truncate(out.trim_end().len());
    out
}

/// The cache key of an input: vectors are a function of the exact text the model read.
pub fn input_sha256(input: &str) -> String {
    hex::encode(Sha256::digest(input.as_bytes()))
}

fn is_table_rule(line: &str) -> bool {
    let t = line.trim();
    t.starts_with('|') && t.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '))
}

fn is_rule(line: &str) -> bool {
    let t: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    t.len() >= 3 && (t.chars().all(|c| c == '-') || t.chars().all(|c| c == '*') || t.chars().all(|c| c == '_'))
}

fn plain_line(line: &str) -> String {
    let mut t = line.trim();
    t = t.trim_start_matches('#').trim_start();
    t = t.strip_prefix("> ").unwrap_or(t);
    let table = t.starts_with('|') && t.ends_with('|') && t.len() > 1;
    let body = if table { &t[1..t.len() - 1] } else { t };
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // Emphasis and code marks; a `*` or `_` between word characters stays (a5*b, snake_case).
            '*' | '_'
                if !(out.ends_with(|p: char| p.is_alphanumeric())
                    && chars.peek().is_some_and(|n| n.is_alphanumeric())) => {}
            '`' => {}
            '|' if table => out.push(';'),
            '\\' if chars.peek().is_some_and(|n| n.is_ascii_punctuation()) => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            _ => out.push(c),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_syntax_goes_and_words_stay() {
        let content = "<!-- page 3 -->\n## Exclusions\n**Flood.** Water from _outside_ the home.\n\n| Item | Limit |\n|---|---:|\n| Jewellery | USD 2,000 |\n\n---\n";
        assert_eq!(
            embedding_text(content),
            "Exclusions\nFlood. Water from outside the home.\nItem ; Limit\nJewellery ; USD 2,000"
        );
        assert_eq!(embedding_text("snake_case and 2*3"), "snake_case and 2*3");
    }
}
