//! Positioned runs → markdown blocks: lines, a two-column page's reading order, tables, headings
//! (by weight, size and section numbering) and paragraphs, with running headers and footers
//! removed. Retrieval needs exactly these: headings give chunks their heading path, tables stay
//! tables, and reading order keeps sentences whole.

use super::boxes::boxes;
use super::cjk::is_cjk as wide;
use super::grid::{RuledTable, ruled_tables};
use super::layout::{CELL_GAP, JOINED_RUNS, Run, UNKNOWN_FILL};
use super::paths::{Rule, Ruling};
use super::row_ruled::row_ruled_tables;
use super::tagged::Role;
use std::collections::HashMap;

// One step of the layout per file; the steps share `Line` and one another's predicates, hence
// the glob imports here and `use super::*` in each.
mod aligned;
mod bullets;
mod columns;
mod drop_cap;
mod fields;
mod furniture;
mod headings;
mod lines;
mod markdown;
mod numbering;
mod panels;
#[cfg(test)]
mod tests;
mod text;

use aligned::*;
use bullets::*;
use columns::*;
use drop_cap::*;
use fields::*;
use furniture::*;
use headings::*;
use lines::*;
use markdown::*;
use numbering::*;
use panels::*;
use text::*;

pub use furniture::{pagination_said_once, running_left_out};
pub(super) use lines::{by_line, is_script};
pub use markdown::{BULLETS, escape_text};
pub(super) use text::join_line;
pub use text::{cell_text, resolve_line_hyphens};

/// One page's runs and rules, and its width in points.
pub struct PageText {
    pub runs: Vec<Run>,
    pub rules: Vec<Rule>,
    /// Boxes of the filled shapes the page draws.
    pub panels: Vec<[f32; 4]>,
    pub width: f32,
}

/// Characters per size (in half points) of a page's visible runs.
fn sizes(runs: &[Run]) -> HashMap<i32, usize> {
    let mut by_size: HashMap<i32, usize> = HashMap::new();
    for r in runs.iter().filter(|r| !r.hidden) {
        *by_size.entry((r.size * 2.0).round() as i32).or_default() += r.text.chars().count();
    }
    by_size
}

/// Headings drawn in a hue of their own take this share of the characters at most: a booklet
/// that sets its exclusions in red sets whole paragraphs in it.
const HEADING_HUE_SHARE: f32 = 0.08;

/// The hues a heading may be told by: each not the body's, in a small share of the text.
fn heading_hues(pages: &[PageText]) -> Vec<u32> {
    let mut by_fill: HashMap<u32, usize> = HashMap::new();
    for r in pages.iter().flat_map(|p| &p.runs).filter(|r| !r.hidden) {
        *by_fill.entry(r.fill).or_default() += r.text.chars().filter(|c| !c.is_whitespace()).count();
    }
    let total = by_fill.values().sum::<usize>().max(1) as f32;
    let body = by_fill.iter().max_by_key(|&(fill, n)| (n, std::cmp::Reverse(fill))).map(|(fill, _)| *fill);
    by_fill
        .into_iter()
        .filter(|&(fill, n)| Some(fill) != body && is_hue(fill) && n as f32 <= HEADING_HUE_SHARE * total)
        .map(|(fill, _)| fill)
        .collect()
}

/// A line in a heading's hue that recurs this often is a link back ("Return to Index" after
/// each answer), not a heading.
const LINK_REPEATS: usize = 3;

/// Sets `accent` on the lines drawn in one of `hues`, unless their words recur or the hue is
/// their page's own (a form's copy printed all in red).
fn mark_accents(pages: &mut [Vec<Line>], hues: &[u32]) {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for page in pages.iter_mut() {
        let mut by_fill: HashMap<Option<u32>, usize> = HashMap::new();
        for l in page.iter() {
            *by_fill.entry(l.fill).or_default() += l.cells.iter().map(|c| c.text.len()).sum::<usize>();
        }
        let own = by_fill.into_iter().max_by_key(|&(fill, n)| (n, fill)).and_then(|(fill, _)| fill);
        for l in page.iter_mut() {
            l.accent = l.fill.is_some_and(|f| hues.contains(&f) && Some(f) != own);
        }
    }
    let keyed: Vec<(&mut Line, String)> = pages
        .iter_mut()
        .flatten()
        .filter(|l| l.accent)
        .map(|l| {
            let key = l.text().to_lowercase();
            (l, key)
        })
        .collect();
    for (_, key) in &keyed {
        *counts.entry(key.clone()).or_default() += 1;
    }
    for (l, key) in keyed {
        l.accent = counts[&key] < LINK_REPEATS;
    }
}

/// The body size: the size most characters are set in, with the count of characters. Reading
/// text is not set below 6 pt: smaller print (a sample form shown reduced, which may hold most
/// of a page's characters) sets the body only where nothing legible has enough text.
fn body_size(by_size: &HashMap<i32, usize>) -> (f32, usize) {
    let most = |legible: bool| {
        by_size
            .iter()
            .filter(|(s, _)| !legible || **s >= 2 * LEGIBLE_PT)
            .max_by_key(|(s, n)| (**n, -**s))
            .map(|(s, n)| (*s as f32 / 2.0, *n))
    };
    most(true).filter(|(_, n)| *n >= OWN_BODY_CHARS).or_else(|| most(false)).unwrap_or((10.0, 0))
}

/// The smallest size body text is set in, in points.
const LEGIBLE_PT: i32 = 6;

/// A page of this much body text is measured on its own when its body is larger than the
/// document's: a guide that reproduces sample forms in small print is mostly small print,
/// but its own pages are not.
const OWN_BODY_CHARS: usize = 300;

/// At most this many words stand beside a page number in a running head or foot ("Form 1040
/// (2024) … Page 2", "Instructions for Schedule C (2024) … C-3").
const RUNNING_HEAD_WORDS: usize = 8;

/// Lines a running head and foot take at most, together: two at each edge.
const EDGE_LINES: usize = 4;

/// Markdown for each page, in order (one string per page, without page markers).
pub fn pages_to_markdown(mut pages: Vec<PageText>) -> Vec<String> {
    let margins = line_numbers(&pages);
    for (page, numbers) in pages.iter_mut().zip(margins) {
        let mut numbers = numbers.into_iter();
        page.runs.retain(|_| !numbers.next().unwrap_or(false));
    }
    let page_sizes: Vec<HashMap<i32, usize>> = pages.iter().map(|p| sizes(&p.runs)).collect();
    let mut all: HashMap<i32, usize> = HashMap::new();
    for (size, n) in page_sizes.iter().flatten() {
        *all.entry(*size).or_default() += n;
    }
    let (body, _) = body_size(&all);
    let hues = heading_hues(&pages);
    let bodies: Vec<f32> = page_sizes
        .iter()
        .map(|sizes| match body_size(sizes) {
            (own, chars) if chars >= OWN_BODY_CHARS => own.max(body),
            _ => body,
        })
        .collect();
    let mut hidden_lines: Vec<Vec<Vec<Line>>> = Vec::new();
    let (per_page, tables): (Vec<Vec<Line>>, Vec<Vec<RuledTable>>) = pages
        .into_iter()
        .zip(&bodies)
        .map(|(p, body)| {
            // Clipped-out text is kept for search, apart: in the flow it would run into the
            // visible lines it lies under.
            let (hidden, runs): (Vec<Run>, Vec<Run>) = p.runs.into_iter().partition(|r| r.hidden);
            hidden_lines.push(match by_window(&hidden) {
                Some(windows) => {
                    windows.into_iter().map(|w| reading_order(w, &Ruling::of(&[]), p.width, *body)).collect()
                }
                None => vec![lines_of(&hidden)],
            });
            let ruling = Ruling { panels: p.panels, ..Ruling::of(&p.rules) };
            let (mut tables, mut taken) = ruled_tables(&ruling, &runs, |cell| cell_text(cell));
            tables.extend(row_ruled_tables(&ruling, &runs, &mut taken, |cell| cell_text(cell)));
            let runs = runs.into_iter().zip(taken).filter(|(_, t)| !t).map(|(r, _)| r).collect();
            (reading_order(runs, &ruling, p.width, *body), tables)
        })
        .unzip();
    let mut per_page = per_page;
    mark_accents(&mut per_page, &hues);
    let running = running_lines(&per_page);
    let several = per_page.len() > 1;
    per_page
        .into_iter()
        .zip(tables)
        .zip(hidden_lines)
        .zip(bodies)
        .map(|(((mut lines, tables), hidden), body)| {
            // A heading the structure tree names is content, however often it repeats.
            // A head that ends (or starts) with its page number ("Form 1040 (2024) … Page 2") is
            // furniture however few pages repeat it; a bare number there may be a table's.
            let numbered = |l: &Line| {
                [l.cells.first(), l.cells.last()]
                    .into_iter()
                    .flatten()
                    .any(|c| c.text.trim_start().to_lowercase().starts_with("page") && is_page_number(&c.text))
            };
            // A page number that ends (or starts) a line at the page's edge beside more than a
            // running head's words (an electoral roll's legend and issuer, then "Page 3 of 33")
            // is furniture on its own: the rest is the page's text, unless the whole line
            // runs on every page (a long title and its issuer, then "Page 28").
            let (top, bottom) = edge_baselines(&lines);
            for l in lines.iter_mut().filter(|l| {
                (l.y >= top || l.y <= bottom)
                    && l.cells.len() > 1
                    && numbered(l)
                    && !running.contains_key(&shape(&l.text()))
            }) {
                let last = l.cells.len() - 1;
                let at = if is_page_number(&l.cells[last].text) { last } else { 0 };
                let words: usize = l
                    .cells
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != at)
                    .map(|(_, c)| c.text.split_whitespace().count())
                    .sum();
                if words > RUNNING_HEAD_WORDS {
                    l.cells.remove(at);
                }
            }
            let furniture = |l: &Line| {
                !matches!(l.role, Some(Role::Heading(..)))
                    && (running.contains_key(&shape(&l.text())) || is_page_number(&l.text()) || numbered(l))
            };
            // A page may open with a page number above its running head, or close with both.
            // A ruled table beyond the line means it is not at the page's edge: a repeated
            // caption over a table that ends the page ("Résultats") is content.
            // Nor is a heading repeated atop each page it runs over, which wraps as no running
            // head does.
            let kicks = |lines: &[Line], i: usize| {
                lines
                    .get(i + 1)
                    .is_some_and(|n| kicker(&lines[i], n, body).is_some() || wraps_as_heading(&lines[i], n, body))
            };
            // A line that goes on with the text's sentence above it is text: a running foot's
            // second line goes on with a running line.
            let continued = |i: usize| i > 0 && continues(&lines[i - 1], &lines[i]) && !furniture(&lines[i - 1]);
            let (mut first, mut end) = (0, lines.len());
            for _ in 0..2 {
                let rest = &lines[first..end];
                if rest.first().is_some_and(|l| furniture(l) && !tables.iter().any(|t| t.top > l.y) && !kicks(rest, 0))
                {
                    first += 1;
                }
                if lines[first..end].last().is_some_and(|l| furniture(l) && !tables.iter().any(|t| t.top < l.y))
                    && !continued(end - 1)
                {
                    end -= 1;
                }
            }
            // What is left at the page's edges but opens or closes a column. A lone number
            // there on a single page is as likely a chart's axis as a page number.
            let rest = &lines[first..end];
            let (top, bottom) = edge_baselines(rest);
            let keep: Vec<bool> = (0..lines.len())
                .map(|i| {
                    let Some(l) = i.checked_sub(first).and_then(|i| rest.get(i)) else { return false };
                    let edge = (l.y >= top && !tables.iter().any(|t| t.top > l.y))
                        || (l.y <= bottom && !tables.iter().any(|t| t.top < l.y));
                    !(edge && furniture(l) && (several || running.contains_key(&shape(&l.text()))))
                        || kicks(rest, i - first)
                        || continued(i)
                })
                .collect();
            // A page made only of lines that repeat on the others (one of a form's identical
            // copies, a test sheet per setting) is not a running head and foot: it stays whole.
            let whole = lines.len() > EDGE_LINES && tables.is_empty() && !keep.contains(&true);
            if !whole {
                let mut keep = keep.into_iter();
                lines.retain(|_| keep.next().unwrap_or(true));
            }
            let mut blocks = blocks_of(&lines, body, tables);
            // A page number the page's own background is painted over is furniture all the same,
            // where a visible one would be: beyond the page's text, or on a document of several pages
            // (the only kind with repeated lines).
            let (high, low) =
                lines.iter().fold((f32::NEG_INFINITY, f32::INFINITY), |(h, l), x| (h.max(x.y), l.min(x.y)));
            let beyond = |l: &Line| l.y > high || l.y < low;
            for window in &hidden {
                let mut kept = String::new();
                for l in window.iter().filter(|l| !(furniture(l) && (several || beyond(l)))) {
                    join_line(&mut kept, &l.text());
                }
                if !kept.is_empty() {
                    blocks.push(Block::Paragraph(kept));
                }
            }
            let mut out = String::new();
            render(&blocks, &mut out);
            out
        })
        .collect()
}

/// Hidden runs by the window they lie outside of, windows in the order the page draws them,
/// when the text two windows hide overlaps (sample pages each shown through a window): drawn
/// into one flow their lines would interleave. Text clipped by windows apart reads as one flow.
fn by_window(hidden: &[Run]) -> Option<Vec<Vec<Run>>> {
    let mut windows: Vec<(u32, [f32; 4], Vec<Run>)> = Vec::new();
    for r in hidden {
        let b = [r.x, r.y, r.end_x, r.y + r.size];
        match windows.iter_mut().find(|w| w.0 == r.window) {
            Some((_, [x0, y0, x1, y1], runs)) => {
                (*x0, *y0, *x1, *y1) = (x0.min(b[0]), y0.min(b[1]), x1.max(b[2]), y1.max(b[3]));
                runs.push(r.clone());
            }
            None => windows.push((r.window, b, vec![r.clone()])),
        }
    }
    let apart = |a: &[f32; 4], b: &[f32; 4]| a[2] <= b[0] || b[2] <= a[0] || a[3] <= b[1] || b[3] <= a[1];
    let overlap = windows.iter().enumerate().any(|(i, a)| windows[i + 1..].iter().any(|b| !apart(&a.1, &b.1)));
    overlap.then(|| windows.into_iter().map(|w| w.2).collect())
}
