//! Lines joined into text: hyphenated words rejoined, CJK run on without spaces.

use super::*;

/// Appends the next line of a paragraph or cell, rejoining a word broken at the line end
/// ("insur-" + "ance").
pub(in crate::parsing) fn join_line(text: &mut String, next: &str) {
    join_wrapped(text, next, false);
}

/// [`join_line`], told whether the line before ended with a space after its last word: Korean
/// separates words by spaces but may wrap inside a word, so the space is kept only when the
/// writer set one.
pub(super) fn join_wrapped(text: &mut String, next: &str, word_end: bool) {
    let broken_number = text.strip_suffix('-').is_some_and(|t| t.ends_with(|c: char| c.is_ascii_digit()))
        && next.starts_with(|c: char| c.is_ascii_digit());
    let broken_word = text.strip_suffix(['-', SOFT_HYPHEN]).is_some_and(|t| t.ends_with(char::is_alphabetic))
        && (next.starts_with(char::is_lowercase) || capitals_broken(text, next));
    if broken_word {
        // "insur-" / "ance" or "fixed-" / "rate": which one, the whole document decides.
        text.pop();
        text.push(SOFT_HYPHEN);
    } else if broken_number || broken_compound(text, next) {
        // A reference number wraps at its own hyphen ("2023-" / "0379"): the hyphen stays.
    } else if text.chars().last().is_some_and(|c| is_ideograph(c) && !(word_end && is_hangul(c)))
        && next.starts_with(is_ideograph)
    {
        // Chinese and Japanese set no space between words, nor where a line wraps.
    } else if !text.is_empty() {
        text.push(' ');
    }
    text.push_str(next);
}

/// A word set in capitals broken at a hyphen ("STATU-" / "TORY", or "CLAIMS-" / "MADE"): which
/// one, the document decides, as for words in lower case.
fn capitals_broken(text: &str, next: &str) -> bool {
    let capitals = |w: &str| {
        let letters = w.chars().filter(|c| c.is_alphabetic());
        letters.clone().count() >= 2 && letters.clone().all(char::is_uppercase)
    };
    let before = text.trim_end_matches('-').rsplit([' ', '-']).next().unwrap_or_default();
    let after = next.split([' ', '-']).next().unwrap_or_default().trim_end_matches(|c: char| !c.is_alphanumeric());
    capitals(before) && capitals(after)
}

/// A compound wrapped at its hyphen before a capital ("All-" / "Inclusive", "Anti-" / "Money"):
/// no hyphenation breaks a word before a capital, so the hyphen is the compound's own.
fn broken_compound(text: &str, next: &str) -> bool {
    text.strip_suffix('-').is_some_and(|t| t.ends_with(char::is_alphabetic)) && next.starts_with(char::is_uppercase)
}

/// Marks a word broken across lines at a hyphen until the document's own words decide.
pub(super) const SOFT_HYPHEN: char = '\u{AD}';

/// Words broken across lines at a hyphen are joined without it ("insurance"), unless the
/// document writes the same compound whole with its hyphen elsewhere ("fixed-rate",
/// "main-d'œuvre") or the word already has a hyphen before the break: a soft hyphen cannot tell a hyphenation from a compound, the text can.
pub fn resolve_line_hyphens(markdown: String) -> String {
    if !markdown.contains(SOFT_HYPHEN) {
        return markdown;
    }
    let in_word = |c: char| c.is_alphanumeric() || matches!(c, '-' | '\'' | '’');
    let compounds: std::collections::HashSet<String> = markdown
        .split(|c: char| !in_word(c) && c != SOFT_HYPHEN)
        .filter(|w| w.contains('-') && !w.contains(SOFT_HYPHEN))
        .map(|w| w.trim_matches('-').to_lowercase())
        .collect();
    let mut out = String::with_capacity(markdown.len());
    let mut rest = markdown.as_str();
    while let Some(at) = rest.find(SOFT_HYPHEN) {
        let (before, after) = (&rest[..at], &rest[at + SOFT_HYPHEN.len_utf8()..]);
        let start =
            before.char_indices().rev().take_while(|(_, c)| in_word(*c)).last().map_or(before.len(), |(i, _)| i);
        let left = &before[start..];
        let right = &after[..after.find(|c: char| !in_word(c)).unwrap_or(after.len())];
        out.push_str(before);
        // A compound broken after one of its own hyphens ("hard-of-" / "hearing") keeps it.
        if left.contains('-') || compounds.contains(&format!("{left}-{right}").to_lowercase()) {
            out.push('-');
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The text of runs read line by line and joined: a ruled table's cell, a page's hidden text,
/// what a structure tree leaves out.
pub fn cell_text<'r>(runs: impl IntoIterator<Item = &'r Run>) -> String {
    let mut text = String::new();
    let mut word_end = false;
    for line in lines_of(runs) {
        join_wrapped(&mut text, &line.text(), word_end);
        word_end = line.word_end;
    }
    text
}

/// Chinese, Japanese or Korean script, which runs on from line to line without a space (Korean
/// only where the wrap cuts a word).
pub(super) fn is_ideograph(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{30FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{AC00}'..='\u{D7AF}' | '\u{FF00}'..='\u{FFEF}')
}

/// A Hangul syllable: Korean, which sets spaces between words.
fn is_hangul(c: char) -> bool {
    matches!(c, '\u{AC00}'..='\u{D7AF}')
}
