//! The markdown's structure as the chunker needs it: page markers out, then a run of atoms (a
//! heading, a sentence, a table row, a code line) that tile the text, so that any run of atoms is
//! a contiguous slice of it and a chunk never has to cut inside one.

use crate::pages::parse_page_marker;
use std::ops::Range;

/// Removes the parse stage's page markers; returns the text and where each page starts in it.
pub(super) fn strip_page_markers(markdown: &str) -> (String, Vec<(usize, u32)>) {
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

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Heading {
    pub level: usize,
    pub title: String,
}

#[derive(Clone, Debug)]
pub(super) struct Atom {
    /// From the atom's first byte to the next atom's first byte (trailing whitespace included).
    pub range: Range<usize>,
    pub heading: Option<Heading>,
    /// Filled in by one tokenisation pass over the whole text.
    pub tokens: u32,
    /// For a table's body row, its table's header row and delimiter row: a chunk that starts
    /// inside a table opens with them, so its values stay under their column names.
    pub head: Option<Range<usize>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Block {
    Prose,
    Table,
    Code(&'static str),
}

/// Splits the text into atoms. Linear in the text: every byte is looked at a bounded number of
/// times.
pub(super) fn atoms(text: &str) -> Vec<Atom> {
    let mut starts: Vec<(usize, Option<Heading>)> = Vec::new();
    let mut block: Option<Block> = None;
    // Whether the last prose line ended a sentence, so that a wrapped paragraph's next sentence
    // starting a line is still a sentence start.
    let mut ended_sentence = false;
    // The current table's first row, its header once a delimiter row follows it, and its body
    // rows' starts with that header.
    let mut table_first: Option<usize> = None;
    let mut table_head: Option<Range<usize>> = None;
    let mut bodies: Vec<(usize, Range<usize>)> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let at = offset;
        offset += line.len();
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if let Some(Block::Code(fence)) = block {
            starts.push((at, None));
            if indent <= 3 && trimmed.starts_with(fence) {
                block = None;
            }
            continue;
        }
        if trimmed.trim_end().is_empty() {
            block = None;
            continue;
        }
        if indent <= 3 {
            if let Some(fence) = ["```", "~~~"].into_iter().find(|f| trimmed.starts_with(f)) {
                block = Some(Block::Code(fence));
                starts.push((at, None));
                continue;
            }
            if let Some(heading) = atx_heading(trimmed) {
                block = None;
                starts.push((at, Some(heading)));
                continue;
            }
        }
        if trimmed.starts_with('|') {
            // The header row and its delimiter row stay together: a delimiter alone means nothing.
            let in_table = block == Some(Block::Table);
            let delimiter = in_table && is_delimiter_row(trimmed);
            if !in_table {
                (table_first, table_head) = (Some(at), None);
            }
            match (delimiter, table_first, &table_head) {
                (true, Some(first), None) => {
                    table_first = None;
                    if names_columns(&text[first..at]) {
                        table_head = Some(first..at + line.trim_end().len());
                    }
                }
                (true, _, _) => {}
                (false, _, Some(head)) => {
                    bodies.push((at, head.clone()));
                    starts.push((at, None));
                }
                (false, _, None) => {
                    // A second row with no delimiter before it: not a table with a header.
                    table_first = table_first.filter(|_| !in_table);
                    starts.push((at, None));
                }
            }
            block = Some(Block::Table);
            continue;
        }
        let continues = block == Some(Block::Prose) && !is_list_item(trimmed);
        if !continues || (ended_sentence && opens_sentence(trimmed.as_bytes()[0])) {
            starts.push((at, None));
        }
        block = Some(Block::Prose);
        sentence_starts(text, at + indent, offset, &mut starts);
        let body = line.trim_end();
        ended_sentence = body.trim_end_matches(['"', '\'', ')', ']']).ends_with(['.', '!', '?']);
    }

    let mut out: Vec<Atom> = Vec::with_capacity(starts.len());
    let mut bodies = bodies.into_iter().peekable();
    for (i, (start, heading)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(text.len(), |(s, _)| *s);
        let head = bodies.next_if(|(at, _)| at == start).map(|(_, head)| head);
        out.push(Atom { range: *start..end, heading: heading.clone(), tokens: 0, head });
    }
    // Leading blank lines belong to the first atom, so the atoms cover the whole text.
    if let Some(first) = out.first_mut() {
        first.range.start = 0;
    }
    out
}

/// Sentence starts inside one line of prose: after `.`, `!` or `?` (and any closing quotes or
/// brackets) followed by a space and a capital, digit or opening mark. The cut goes before the
/// space, where cl100k's pre-tokeniser also cuts (" Next" is one piece), so token counts of
/// atoms add up.
fn sentence_starts(text: &str, from: usize, to: usize, starts: &mut Vec<(usize, Option<Heading>)>) {
    let bytes = text.as_bytes();
    let mut i = from;
    while i < to {
        let b = bytes[i];
        i += 1;
        if b == 0xE3 || b == 0xEF {
            if let Some(end) = cjk_sentence_end(bytes, i - 1, to) {
                starts.push((end, None));
                i = end;
            }
            continue;
        }
        if !matches!(b, b'.' | b'!' | b'?') {
            continue;
        }
        let mut end = i;
        while end < to && matches!(bytes[end], b'"' | b'\'' | b')' | b']') {
            end += 1;
        }
        if end + 1 >= to || bytes[end] != b' ' {
            continue;
        }
        let opens = opens_sentence(bytes[end + 1]);
        // "e.g. The" and "No. 5" are rare enough in policies; single initials ("J. Smith") are not.
        let initial =
            end >= from + 2 && bytes[end - 2].is_ascii_uppercase() && (end - 2 == from || bytes[end - 3] == b' ');
        if opens && !initial && !abbreviation(&text[from..end]) {
            starts.push((end, None));
            i = end + 1;
        }
    }
}

/// Japanese and Chinese end a sentence with a full-width mark and start the next one with no
/// space: after `。`, `！` or `？` at `at` (and any closing brackets), where the next sentence
/// starts, if one does before `to`.
fn cjk_sentence_end(bytes: &[u8], at: usize, to: usize) -> Option<usize> {
    const ENDS: [&str; 3] = ["。", "！", "？"];
    const CLOSERS: [&str; 5] = ["」", "』", "）", "】", "〕"];
    let rest = &bytes[at..to];
    ENDS.iter().find(|e| rest.starts_with(e.as_bytes()))?;
    let mut end = at + 3;
    while let Some(c) = CLOSERS.iter().chain(&ENDS).find(|c| bytes[end..to].starts_with(c.as_bytes())) {
        end += c.len();
    }
    (end < to && !bytes[end].is_ascii_whitespace()).then_some(end)
}

fn opens_sentence(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit() || matches!(b, b'"' | b'(' | b'[') || b >= 0x80
}

fn abbreviation(before: &str) -> bool {
    const COMMON: [&str; 8] = ["e.g.", "i.e.", "etc.", "No.", "no.", "Nos.", "approx.", "St."];
    let word = before.rsplit(' ').next().unwrap_or(before);
    COMMON.contains(&word)
}

fn atx_heading(trimmed: &str) -> Option<Heading> {
    let level = trimmed.bytes().take_while(|b| *b == b'#').count();
    let rest = &trimmed[level..];
    if !(1..=6).contains(&level) || !(rest.starts_with(' ') || rest.trim().is_empty()) {
        return None;
    }
    let title = rest.trim().trim_end_matches('#').trim();
    (!title.is_empty()).then(|| Heading { level, title: title.to_owned() })
}

fn is_list_item(trimmed: &str) -> bool {
    if ["- ", "* ", "+ "].iter().any(|m| trimmed.starts_with(m)) {
        return true;
    }
    let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
    (1..=3).contains(&digits) && matches!(trimmed.as_bytes().get(digits..digits + 2), Some([b'.' | b')', b' ']))
}

/// Whether a table's first row names its columns: every cell filled but perhaps the corner (a
/// benefits chart's "| | In network | Out of network |"). A form set as a table has empty or
/// half-empty first rows, and a section title spanning its columns leaves the rest empty;
/// carried into every chunk, those would be noise.
fn names_columns(row: &str) -> bool {
    let inner = row.trim().trim_start_matches('|').trim_end_matches('|');
    let cells: Vec<&str> = inner.split('|').map(str::trim).collect();
    cells.len() >= 2 && cells[1..].iter().all(|c| !c.is_empty())
}

fn is_delimiter_row(trimmed: &str) -> bool {
    trimmed.trim_end().bytes().all(|b| matches!(b, b'|' | b'-' | b':' | b' '))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(text: &str) -> Vec<&str> {
        atoms(text).iter().map(|a| text[a.range.clone()].trim()).collect()
    }

    #[test]
    fn atoms_tile_the_text() {
        let text = "\n\n# Cover\n\nWe pay for damage. We do not pay for wear.\n\n| A | B |\n|---|---|\n| 1 | 2 |\n\n```\n# x\n```\ntail";
        let atoms = atoms(text);
        assert_eq!(atoms[0].range.start, 0);
        assert_eq!(atoms.last().unwrap().range.end, text.len());
        for w in atoms.windows(2) {
            assert_eq!(w[0].range.end, w[1].range.start);
        }
        assert_eq!(
            pieces(text),
            [
                "# Cover",
                "We pay for damage.",
                "We do not pay for wear.",
                "| A | B |\n|---|---|",
                "| 1 | 2 |",
                "```",
                "# x",
                "```",
                "tail"
            ]
        );
        assert_eq!(atoms[0].heading, Some(Heading { level: 1, title: "Cover".into() }));
        assert!(atoms.iter().skip(1).all(|a| a.heading.is_none()), "a # inside a fence is code");
    }

    #[test]
    fn sentences_split_at_capitals_not_abbreviations_or_initials() {
        let text = "Cover applies, e.g. Fire and theft. See section 4. It ends. J. Smith signs. (Optional) cover ends! 3 days apply.";
        assert_eq!(
            pieces(text),
            [
                "Cover applies, e.g. Fire and theft.",
                "See section 4.",
                "It ends.",
                "J. Smith signs.",
                "(Optional) cover ends!",
                "3 days apply."
            ]
        );
    }

    #[test]
    fn japanese_and_chinese_sentences_split_after_their_full_stops() {
        let text = "保険期間は一年とします。「契約者」とは、申込者をいいます。」次の条件！本条款适用于中国。Ends.";
        assert_eq!(
            pieces(text),
            [
                "保険期間は一年とします。",
                "「契約者」とは、申込者をいいます。」",
                "次の条件！",
                "本条款适用于中国。",
                "Ends."
            ]
        );
    }

    #[test]
    fn list_items_start_atoms_and_wrapped_lines_continue_them() {
        let text = "Intro line\ncontinues here.\nNew sentence\n- first item\n  wraps\n2. second item\n";
        assert_eq!(
            pieces(text),
            ["Intro line\ncontinues here.", "New sentence", "- first item\n  wraps", "2. second item"]
        );
    }

    #[test]
    fn page_markers_become_offsets() {
        let (text, pages) = strip_page_markers("<!-- page 1 -->\n\nA\n<!-- page 2 -->\nB\n");
        assert_eq!(text, "\nA\nB\n");
        assert_eq!(pages, [(0, 1), (3, 2)]);
    }
}
