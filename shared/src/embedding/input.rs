//! What a model reads for a chunk. The chunk's heading path comes first, as a title line: a
//! chunk cut from the middle of "Section II > Exclusions" does not say so itself, and the
//! questions asked of it do. Markdown syntax is taken out, so a small model's window holds words,
//! not table pipes, rules and emphasis marks. The stored chunk text stays as it was.

use sha2::{Digest, Sha256};

pub fn embedding_text(heading_path: &[String], content: &str) -> String {
    let mut out = String::with_capacity(content.len() + 64);
    let first_line = content.lines().find(|l| !l.trim().is_empty()).map(plain_line).unwrap_or_default();
    let title: Vec<&str> = heading_path.iter().map(|h| h.trim()).filter(|h| !h.is_empty()).collect();
    // A chunk that starts with its own heading would say it twice.
    let shown: &[&str] = match title.last() {
        Some(last) if first_line.trim() == *last => &title[..title.len() - 1],
        _ => &title,
    };
    if !shown.is_empty() {
        out.push_str(&shown.join(" > "));
        out.push('\n');
    }
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
    fn headings_lead_and_markdown_goes() {
        let content = "<!-- page 3 -->\n**Flood.** Water from _outside_ the home.\n\n| Item | Limit |\n|---|---:|\n| Jewellery | USD 2,000 |\n\n---\n";
        let text = embedding_text(&["Section II".into(), "Exclusions".into()], content);
        assert_eq!(
            text,
            "Section II > Exclusions\nFlood. Water from outside the home.\nItem ; Limit\nJewellery ; USD 2,000"
        );
    }

    #[test]
    fn a_chunk_opening_with_its_heading_does_not_repeat_it() {
        let text = embedding_text(&["Cover".into(), "Theft".into()], "## Theft\nWe pay for stolen items.");
        assert_eq!(text, "Cover\nTheft\nWe pay for stolen items.");
        assert_eq!(embedding_text(&[], "snake_case and 2*3"), "snake_case and 2*3");
    }
}
