//! Running heads and footers, page numbers, and the writer's pagination marks.

use super::*;
use std::collections::HashSet;

/// Digits stand for page numbers and dates, so "Page 3 of 12" repeats as "Page # of #".
pub(super) fn shape(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_digit() { '#' } else { c }).collect()
}

/// Lines that open or close most pages of a document of 3+ pages are running headers/footers.
pub(super) fn running_lines(pages: &[Vec<Line>]) -> HashMap<String, usize> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut folios: HashMap<(String, i64), Vec<String>> = HashMap::new();
    // Pages on which a line is set more than once: a running head is set once a page, and a
    // clause repeated under each heading of each page is text, however regular.
    let mut twice: HashMap<String, usize> = HashMap::new();
    for lines in pages {
        let mut shapes: Vec<String> = lines.iter().map(|l| shape(&l.text())).collect();
        shapes.sort_unstable();
        for pair in shapes.chunk_by(|a, b| a == b).filter(|same| same.len() > 1) {
            *twice.entry(pair[0].clone()).or_default() += 1;
        }
    }
    for (index, lines) in pages.iter().enumerate() {
        // Two lines at each edge: a page number may sit outside the running head or foot.
        // Edges in reading order and on the page: a running head split by a two-column
        // page's gutter ("Form W-9 (Rev. 3-2024)" … "Page 2") opens both columns.
        let tail = lines.len().saturating_sub(2).max(2.min(lines.len()));
        let (top, bottom) = edge_baselines(lines);
        let mut edges: Vec<String> = lines
            .iter()
            .take(2)
            .chain(&lines[tail..])
            .chain(lines.iter().filter(|l| l.y >= top || l.y <= bottom))
            .map(|l| l.text())
            .collect();
        edges.sort();
        edges.dedup();
        for e in edges {
            if let Some((folio, rest)) = folio(&e) {
                folios.entry((shape(&rest), folio - index as i64)).or_default().push(shape(&e));
            }
            *seen.entry(shape(&e)).or_default() += 1;
        }
    }
    // On most pages of a short document, or on several pages of a long one (a chapter's
    // running head changes with the chapter), or numbered as the pages are on two or more (a
    // short chapter's "Chapter 3: Utilities 6", "… 7").
    seen.retain(|s, n| {
        pages.len() >= 3 && (*n * 2 > pages.len() || *n >= 3) && twice.get(s).is_none_or(|t| *t * 2 <= *n)
    });
    if pages.len() >= 3 {
        seen.extend(folios.into_values().filter(|heads| heads.len() >= 2).flatten().map(|s| (s, 2)));
    }
    seen
}

/// A line that goes on with the sentence of the line before it, in the same column, at the
/// same size and leading ("The first €50 of each incident of loss" / "or damage."): text,
/// however many pages it closes.
pub(super) fn continues(above: &Line, line: &Line) -> bool {
    let lead = above.y - line.y;
    (above.span().0 - line.span().0).abs() <= 1.0
        && (above.size - line.size).abs() <= 0.5
        && lead > 0.0
        && lead <= 1.6 * line.size
        && line.text().starts_with(char::is_lowercase)
        && !above.text().trim_end().ends_with(['.', '!', '?', ':'])
}

/// The page number a running head or foot carries at its start or end, beside at least two
/// words ("Chapter 3: Utilities 6", "10 GNU Libtasn1 Manual"), and the line without it: a line
/// of a number and one word ("Step 2") may be a heading.
pub(super) fn folio(text: &str) -> Option<(i64, String)> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let worded = words.iter().filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 2).count();
    let number = |w: &&str| w.len() <= 4 && w.chars().all(|c| c.is_ascii_digit()) && !w.is_empty();
    if worded < 2 || words.len() < 3 {
        return None;
    }
    let (n, rest) = match (words.first(), words.last()) {
        (_, Some(last)) if number(last) => (last, &words[..words.len() - 1]),
        (Some(first), _) if number(first) => (first, &words[1..]),
        _ => return None,
    };
    Some((n.parse().ok()?, rest.join(" ")))
}

/// The second baseline from the top and from the bottom of a page: the lines at or beyond them
/// are at the page's edges, whatever column they open or close.
pub(super) fn edge_baselines(lines: &[Line]) -> (f32, f32) {
    edges_of(lines.iter().map(|l| l.y))
}

/// The writer's pagination marks that are furniture: a line of them that repeats on two or
/// more pages (digits aside), or a page number. Said once (a one-page transcript's running
/// head, a form number on the first page only), such a line is the page's text like any
/// other, as the layout path keeps a line that does not repeat. Returns, per page, the indices
/// of the pagination runs to keep.
pub fn pagination_said_once(pages: &[PageText]) -> Vec<Vec<usize>> {
    let lines: Vec<Vec<(String, Vec<usize>)>> = pages.iter().map(pagination_lines).collect();
    let mut pages_of: HashMap<String, usize> = HashMap::new();
    for page in &lines {
        let mut shapes: Vec<String> = page.iter().map(|(text, _)| shape(text)).collect();
        shapes.sort();
        shapes.dedup();
        for s in shapes {
            *pages_of.entry(s).or_default() += 1;
        }
    }
    lines
        .into_iter()
        .map(|page| {
            page.into_iter()
                .filter(|(text, _)| !is_page_number(text) && pages_of.get(&shape(text)).is_none_or(|n| *n < 2))
                .flat_map(|(_, runs)| runs)
                .collect()
        })
        .collect()
}

/// Running heads and footers among the text a structure tree leaves out: the writer marked
/// them `/Artifact` without saying they are pagination (a health plan's 232-page Evidence of
/// Coverage heads every page "2025 Evidence of Coverage for SCAN Classic 6 Chapter 1 …"). A
/// line of it at a page's edge whose shape recurs at the edge of several pages, or a page
/// number there on a document of several pages, is furniture; the rest (a sample form placed
/// as an artifact) stays text. `left_out` holds each page's indices of such runs; returns, per
/// page, those of the runs that are furniture.
pub fn running_left_out(pages: &[PageText], left_out: &[Vec<usize>]) -> Vec<HashSet<usize>> {
    let n = pages.len();
    let mut dropped: Vec<HashSet<usize>> = vec![HashSet::new(); n];
    // Peeled from the edges inwards, as a reader skips them: a logo's two lines over "1 of 6".
    for _ in 0..3 {
        let mut lines: Vec<Vec<(String, bool, Vec<usize>)>> = Vec::with_capacity(n);
        for ((page, indices), gone) in pages.iter().zip(left_out).zip(&dropped) {
            let runs = &page.runs;
            let here = |i: usize| !gone.contains(&i);
            let ys = runs.iter().enumerate().filter(|(i, r)| here(*i) && !r.hidden && !r.pagination).map(|(_, r)| r.y);
            let (top, bottom) = edges_of(ys);
            let left: Vec<usize> = indices.iter().copied().filter(|i| here(*i)).collect();
            let page_lines = text_lines(runs, left)
                .into_iter()
                .map(|(text, line)| {
                    let y = runs[line[0]].y;
                    (text, y >= top || y <= bottom, line)
                })
                .collect();
            lines.push(page_lines);
        }
        let mut pages_of: HashMap<String, usize> = HashMap::new();
        for page in &lines {
            let mut shapes: Vec<String> = page.iter().filter(|(_, edge, _)| *edge).map(|(t, ..)| shape(t)).collect();
            shapes.sort_unstable();
            shapes.dedup();
            for s in shapes {
                *pages_of.entry(s).or_default() += 1;
            }
        }
        let running = |t: &str| n >= 3 && pages_of.get(&shape(t)).is_some_and(|k| *k * 2 > n || *k >= 3);
        let mut more = false;
        for (page, gone) in lines.into_iter().zip(&mut dropped) {
            for (text, edge, runs) in page {
                if edge && (running(&text) || (n > 1 && is_page_number(&text))) {
                    gone.extend(runs);
                    more = true;
                }
            }
        }
        if !more {
            break;
        }
    }
    dropped
}

/// The second baseline from the top and from the bottom among these.
fn edges_of(ys: impl Iterator<Item = f32>) -> (f32, f32) {
    let mut ys: Vec<f32> = ys.collect();
    ys.sort_by(|a, b| b.total_cmp(a));
    ys.dedup_by(|a, b| (*a - *b).abs() < 1.0);
    match ys.len() {
        0 => (f32::INFINITY, f32::NEG_INFINITY),
        n => (ys[1.min(n - 1)], ys[n.saturating_sub(2)]),
    }
}

/// A page's pagination runs as lines: their text and the runs' indices.
pub(super) fn pagination_lines(page: &PageText) -> Vec<(String, Vec<usize>)> {
    let runs = &page.runs;
    text_lines(runs, (0..runs.len()).filter(|i| runs[*i].pagination).collect())
}

/// These runs as lines, top to bottom: each line's text, left to right, and its runs' indices.
fn text_lines(runs: &[Run], indices: Vec<usize>) -> Vec<(String, Vec<usize>)> {
    by_line(indices, |i| &runs[*i])
        .into_iter()
        .map(|mut line| {
            line.sort_by(|a, b| runs[*a].x.total_cmp(&runs[*b].x));
            let text = line.iter().map(|i| runs[*i].text.trim()).collect::<Vec<_>>().join(" ");
            (text, line)
        })
        .collect()
}

/// A page number alone on a line: `12`, `iv`, `- 3 -`, `Page 2`, `Page 2 of 6`, `2 of 6`.
pub(super) fn is_page_number(text: &str) -> bool {
    let number = |t: &str| {
        !t.is_empty()
            && t.len() <= 6
            && (t.chars().all(|c| c.is_ascii_digit()) || t.chars().all(|c| matches!(c, 'i' | 'v' | 'x' | 'l')))
    };
    let t = text.trim_matches(|c: char| c == '-' || c.is_whitespace());
    let t = ["Page ", "PAGE ", "page "].iter().find_map(|p| t.strip_prefix(p)).unwrap_or(t).trim();
    match t.split_once(" of ") {
        Some((n, of)) => number(n.trim()) && of.trim().chars().all(|c| c.is_ascii_digit()) && !of.trim().is_empty(),
        None => number(t),
    }
}
