//! Positioned runs → markdown blocks: lines, a two-column page's reading order, tables, headings
//! (by weight, size and section numbering) and paragraphs, with running headers and footers
//! removed. Retrieval needs exactly these: headings give chunks their heading path, tables stay
//! tables, and reading order keeps sentences whole.

use super::boxes::boxes;
use super::cjk::is_cjk as wide;
use super::grid::{RuledTable, ruled_tables};
use super::layout::{CELL_GAP, JOINED_RUNS, Run};
use super::paths::{Rule, Ruling};
use super::tagged::Role;
use std::collections::HashMap;

/// One page's runs and rules, and its width in points.
pub struct PageText {
    pub runs: Vec<Run>,
    pub rules: Vec<Rule>,
    pub width: f32,
}

#[derive(Clone, Debug)]
struct Cell {
    x: f32,
    end_x: f32,
    /// The size of its longest worded run: most of its text is set so.
    size: f32,
    /// How many characters that run has.
    size_chars: usize,
    text: String,
}

#[derive(Clone, Debug)]
struct Line {
    y: f32,
    size: f32,
    bold: bool,
    /// The bold words a line starts with when the rest is not bold ("B. Changes We may ...").
    bold_lead: Option<String>,
    /// The bold words a line starts with, set larger than the rest, and their size: a form's
    /// section label in its margin ("Payments" beside "25 Federal income tax withheld …").
    side_label: Option<(String, f32)>,
    cells: Vec<Cell>,
    /// The structure tree's role for every run of the line, when they agree.
    role: Option<Role>,
    /// A rule is drawn across it and the line before it, in the space between them.
    ruled_above: bool,
}

impl Line {
    /// Where its first cell starts and its last ends.
    fn span(&self) -> (f32, f32) {
        (self.cells.first().map_or(0.0, |c| c.x), self.cells.last().map_or(0.0, |c| c.end_x))
    }

    fn text(&self) -> String {
        let cells: Vec<&str> = self.cells.iter().map(|c| c.text.as_str()).collect();
        let joined = cells.join(" ");
        // A right-to-left line's cells, each in reading order, are read from the right.
        if cells.len() > 1 && super::bidi::mostly_right_to_left(&joined) {
            return cells.into_iter().rev().collect::<Vec<_>>().join(" ");
        }
        joined
    }
}

/// An unnumbered heading wrapped over several lines has at most this many words.
const MAX_HEADING_WORDS: usize = 20;

/// Runs whose baselines are this close (in ems) share a line.
const SAME_LINE: f32 = 0.4;

/// Items grouped into lines by their runs' baselines, top to bottom: a run within `SAME_LINE`
/// of a line's first run joins it.
pub(super) fn by_line<'r, T>(mut items: Vec<T>, run: impl Fn(&T) -> &'r Run) -> Vec<Vec<T>> {
    items.sort_by(|a, b| run(b).y.total_cmp(&run(a).y).then(run(a).x.total_cmp(&run(b).x)));
    let mut groups: Vec<Vec<T>> = Vec::new();
    for item in items {
        match groups.last_mut() {
            Some(g) if (run(&g[0]).y - run(&item).y).abs() <= SAME_LINE * run(&g[0]).size.max(run(&item).size) => {
                g.push(item)
            }
            _ => groups.push(vec![item]),
        }
    }
    groups
}

fn lines_of<'r>(runs: impl IntoIterator<Item = &'r Run>) -> Vec<Line> {
    let groups = by_line(runs.into_iter().collect(), |r: &&Run| *r);
    // A superscript or subscript (an ordinal's "th", a footnote mark) sits off its line's
    // baseline, set smaller, right against a run of the line: it is part of that line.
    let mut lines: Vec<Vec<&Run>> = Vec::with_capacity(groups.len());
    let mut groups = groups.into_iter().peekable();
    while let Some(group) = groups.next() {
        if let Some(above) = lines.last_mut()
            && is_script_of(&group, above)
        {
            above.extend(group);
        } else if let Some(below) = groups.peek_mut()
            && is_script_of(&group, below)
        {
            below.extend(group);
        } else {
            lines.push(group);
        }
    }
    lines
        .into_iter()
        .map(|mut g| {
            g.sort_by(|a, b| a.x.total_cmp(&b.x));
            // A warning sign or bullet set large ("▲!" before a caution) does not make its line
            // a heading: the line's size is its words'.
            let worded = |r: &&&Run| r.text.chars().any(char::is_alphanumeric);
            let size = match g.iter().filter(worded).map(|r| r.size).fold(0.0, f32::max) {
                0.0 => g.iter().map(|r| r.size).fold(0.0, f32::max),
                size => size,
            };
            let bold = g.iter().all(|r| r.bold || r.text.trim().is_empty());
            let mut cells: Vec<Cell> = Vec::new();
            // A dot leader ("Add lines 12 and 13 . . . . 14") fills the gap it sits in: its dots,
            // however far apart, run on from the text before them.
            let dots = |i: usize| g.get(i).is_some_and(|r| is_leader(&r.text));
            for (i, r) in g.iter().enumerate() {
                let leader = dots(i) && (dots(i + 1) || i.checked_sub(1).is_some_and(dots));
                // A sideways label ("Form" beside "1040") is its own word, however close.
                let turn = r.sideways.is_some() || i.checked_sub(1).is_some_and(|p| g[p].sideways.is_some());
                // A field's value drawn over the page's own text beside it is another word.
                let field = i.checked_sub(1).is_some_and(|p| g[p].annotation != r.annotation);
                match cells.last_mut() {
                    Some(c) if r.x - c.end_x <= CELL_GAP * r.size || leader => {
                        let joined = !turn
                            && !field
                            && (c.text.ends_with(' ')
                                || r.text.starts_with(' ')
                                || r.x - c.end_x < JOINED_RUNS * r.size);
                        if !joined {
                            c.text.push(' ');
                        }
                        c.text.push_str(&r.text);
                        c.end_x = c.end_x.max(r.end_x);
                        let chars = r.text.chars().count();
                        if worded(&r) && chars > c.size_chars {
                            (c.size, c.size_chars) = (r.size, chars);
                        }
                    }
                    _ => {
                        let chars = if worded(&r) { r.text.chars().count() } else { 0 };
                        cells.push(Cell {
                            x: r.x,
                            end_x: r.end_x,
                            size: r.size,
                            size_chars: chars,
                            text: r.text.clone(),
                        })
                    }
                }
            }
            for c in &mut cells {
                squeeze_spaces(&mut c.text);
                if let Some(logical) = super::bidi::to_logical(&c.text) {
                    c.text = logical;
                }
            }
            cells.retain(|c| !c.text.is_empty());
            let lead: Vec<&str> =
                g.iter().take_while(|r| r.bold || r.text.trim().is_empty()).map(|r| r.text.as_str()).collect();
            let bold_lead = (!bold && !lead.is_empty())
                .then(|| lead.concat().split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|t| !t.is_empty());
            let side_label = side_label_of(&g);
            let mut roles = g.iter().filter(|r| !r.text.trim().is_empty()).map(|r| r.role);
            let role = roles.next().flatten().filter(|first| roles.all(|r| r == Some(*first)));
            Line { y: g[0].y, size, bold, bold_lead, side_label, cells, role, ruled_above: false }
        })
        .filter(|l| !l.cells.is_empty())
        .collect()
}

/// Only the dots of a leader.
/// A lead set this much larger than the rest of its line is a label beside it, not its start.
const SIDE_LABEL: f32 = 1.15;

/// The bold words a line's runs (left to right) start with, when every worded run after them
/// is set `SIDE_LABEL` times smaller or more, with their size. The rest may be bold too
/// ("Standard" beside "Someone can claim:").
fn side_label_of(runs: &[&Run]) -> Option<(String, f32)> {
    let worded = |r: &Run| r.text.chars().any(char::is_alphanumeric);
    let size = runs.iter().find(|r| worded(r))?.size;
    let smaller = |r: &Run| worded(r) && r.size * SIDE_LABEL <= size;
    let cut = runs.iter().position(|r| smaller(r))?;
    let (lead, rest) = runs.split_at(cut);
    if !lead.iter().all(|r| r.bold || r.text.trim().is_empty()) || !rest.iter().all(|r| !worded(r) || smaller(r)) {
        return None;
    }
    let mut text = String::new();
    for (i, r) in lead.iter().enumerate() {
        if i > 0 && r.x - lead[i - 1].end_x >= JOINED_RUNS * r.size {
            text.push(' ');
        }
        text.push_str(&r.text);
    }
    Some((text.split_whitespace().collect::<Vec<_>>().join(" "), size))
}

fn is_leader(text: &str) -> bool {
    let text = text.trim();
    !text.is_empty() && text.chars().all(|c| matches!(c, '.' | '…' | ' '))
}

/// Every run of `group` is a superscript or subscript of a run of `line`.
fn is_script_of(group: &[&Run], line: &[&Run]) -> bool {
    // A few runs against an ordinary line: a hostile page of long lines stays linear.
    if group.len() > 4 || line.len() > 400 {
        return false;
    }
    group.iter().all(|r| line.iter().any(|b| is_script(r, b)))
}

/// `small` is set smaller than `base`, near its baseline, and starts where `base` ends (or
/// ends where it starts): an ordinal's "th", a footnote mark. A phrase is not one: a form's
/// small print beside its title ("Department of the Treasury") is a line of its own, unless
/// the base is a brace set large, which gathers the choices it encloses into its line.
pub(super) fn is_script(small: &Run, base: &Run) -> bool {
    let em = base.size;
    let short = || small.text.split_whitespace().count() <= 1 && small.text.trim().chars().count() <= SCRIPT_CHARS;
    small.size < SCRIPT * em
        && (small.y - base.y).abs() <= 0.6 * em
        && ((small.x - base.end_x).abs() <= 0.2 * em || (base.x - small.end_x).abs() <= 0.2 * em)
        && (matches!(base.text.trim(), "{" | "}" | "[" | "]") || short())
}

/// A superscript or subscript is set at most this share of its line's size.
const SCRIPT: f32 = 0.85;
/// and is at most this long: "th", "12", "®", "a,b".
const SCRIPT_CHARS: usize = 6;

/// Words separated by single spaces, no space at either end; most cells already are, and keep
/// their allocation.
fn squeeze_spaces(text: &mut String) {
    let mut prev_space = true;
    let clean = text.chars().all(|c| {
        let ok = c == ' ' && !prev_space || !c.is_whitespace();
        prev_space = c == ' ';
        ok
    }) && !prev_space;
    if !clean {
        *text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    }
}

/// A page set in two or three columns is read column by column: full-width lines above the
/// columns, each column left to right, then full-width lines below. Prose only: table columns
/// are short, and a table read across stays a table. Columns may fill only part of a page (a
/// guide's introduction across the page, two columns of advice below it): then the part above
/// and the part below are read the same way, each on its own.
fn reading_order(runs: Vec<Run>, ruling: &Ruling, width: f32) -> Vec<Line> {
    let mut lines: Vec<Line> = boxes(runs, ruling).into_iter().flat_map(|b| ordered(b, width, 0)).collect();
    mark_ruled(&mut lines, &ruling.across);
    lines
}

/// Marks each line with a rule across it and the line before it, clear of both lines' type
/// (under the line before's descenders, over its own capitals) and reaching past the line
/// before (an underline does not): the lines are set apart, a title over a table's head or two
/// fields of a form, however close, not one paragraph.
fn mark_ruled(lines: &mut [Line], across: &[Rule]) {
    let mut rules: Vec<&Rule> = across.iter().collect();
    rules.sort_by(|a, b| a.y0.total_cmp(&b.y0));
    for i in 1..lines.len() {
        let (above, line) = (&lines[i - 1], &lines[i]);
        let (low, high) = (line.y + 0.9 * line.size, above.y - 0.3 * above.size);
        if high <= low {
            continue;
        }
        let ((a0, a1), (b0, b1)) = (above.span(), line.span());
        let narrower = (a1 - a0).min(b1 - b0);
        let from = rules.partition_point(|r| r.y0 < low);
        // An underline (a link's, set well below its words) lies within the line above.
        let tol = above.size;
        let ruled = rules[from..].iter().take_while(|r| r.y0 <= high).any(|r| {
            let under = r.x0 >= a0 - tol && r.x1 <= a1 + tol;
            !under && r.x1.min(a1) - r.x0.max(a0) >= 0.5 * narrower && r.x1.min(b1) - r.x0.max(b0) >= 0.5 * narrower
        });
        lines[i].ruled_above = ruled;
    }
}

fn ordered(runs: Vec<Run>, width: f32, depth: usize) -> Vec<Line> {
    let lines = lines_of(&runs);
    let (gutters, closing) = find_gutters(&lines, &runs, width, (25.0, 25.0));
    if !gutters.is_empty() {
        return closed_columns(runs, &gutters, closing, width, depth);
    }
    let Some((top, bottom)) = column_band(&lines, &runs, width).filter(|_| depth < 4) else {
        return lines;
    };
    let (mut above, mut band, mut below) = (Vec::new(), Vec::new(), Vec::new());
    for run in runs {
        let part = if run.y > top {
            &mut above
        } else if run.y < bottom {
            &mut below
        } else {
            &mut band
        };
        part.push(run);
    }
    // Columns under a full-width part must be clearly prose, one of them at least: two
    // columns of short items (a form's check boxes) are a table.
    let (gutters, closing) = find_gutters(&lines_of(&band), &band, width, (25.0, 40.0));
    if gutters.is_empty() {
        return lines;
    }
    let mut out = ordered(above, width, depth + 1);
    out.extend(closed_columns(band, &gutters, closing, width, depth));
    out.extend(ordered(below, width, depth + 1));
    out
}

/// Columns above the full-width line that closes them (`closing`, a baseline), then what is
/// below it read on its own: a logo or a page number under a form's closing note is not the
/// foot of a column.
fn closed_columns(runs: Vec<Run>, gutters: &[f32], closing: f32, width: f32, depth: usize) -> Vec<Line> {
    let (cols, rest): (Vec<Run>, Vec<Run>) = runs.into_iter().partition(|r| r.y > closing);
    let mut out = columns(cols, gutters);
    if !rest.is_empty() {
        out.extend(ordered(rest, width, depth + 1));
    }
    out
}

/// Lines read column by column between the gutters; runs that cross a gutter are full-width
/// lines, read before the columns when above them and after otherwise.
fn columns(runs: Vec<Run>, gutters: &[f32]) -> Vec<Line> {
    // Runs, not merged cells, are split at the gutters: a narrow gutter is narrower than the
    // gap that separates table cells, so one baseline's cells can run across it.
    let mut columns: Vec<Vec<Run>> = vec![Vec::new(); gutters.len() + 1];
    let mut full = Vec::new();
    for run in runs {
        if gutters.iter().any(|g| run.x < *g && run.end_x > *g) {
            full.push(run);
        } else {
            let col = gutters.iter().filter(|g| run.end_x > **g).count();
            columns[col].push(run);
        }
    }
    let mut columns: Vec<Vec<Line>> = columns.iter().map(lines_of).collect();
    let top = columns.iter().filter_map(|c| c.first().map(|l| l.y)).fold(f32::MIN, f32::max);
    let (above, below): (Vec<Line>, Vec<Line>) = lines_of(&full).into_iter().partition(|l| l.y > top);
    for c in 1..columns.len() {
        let n = masthead(&columns[c - 1], &columns[c]);
        if n > 0 {
            // Into the first column by height: a page number above it still opens the page.
            let head: Vec<Line> = columns[c].drain(..n).collect();
            let at = columns[0].partition_point(|l| l.y > head[0].y);
            columns[0].splice(at..at, head);
        }
    }
    above.into_iter().chain(columns.into_iter().flatten()).chain(below).collect()
}

/// A few lines heading a column apart from its text, which reads on from the column before
/// mid-sentence: a masthead set atop the last column of a first page ("Federal Register /
/// Vol. 85, No. 152 / Thursday, August 6, 2020"), read with the first column so that the
/// sentence stays whole. Returns how many lines.
fn masthead(before: &[Line], column: &[Line]) -> usize {
    let Some(last) = before.last() else { return 0 };
    if last.text().trim_end().ends_with(['.', '!', '?', ':']) {
        return 0;
    }
    let gap = |i: usize| column[i - 1].y - column[i].y > 2.5 * column[i - 1].size.max(column[i].size);
    (1..column.len().min(5))
        .find(|&i| gap(i))
        .filter(|&i| column[i].text().starts_with(char::is_lowercase))
        .unwrap_or(0)
}

/// The tallest stretch of consecutive lines (top and bottom baselines) that leaves some x
/// between 15 % and 85 % of the page uncrossed, when it is not the whole page: where columns
/// may be.
fn column_band(lines: &[Line], runs: &[Run], width: f32) -> Option<(f32, f32)> {
    const MIN_LINES: usize = 8;
    if lines.len() <= MIN_LINES || width <= 0.0 {
        return None;
    }
    // Lines are sorted top down; a run belongs to the nearest line's baseline.
    let line_of = |y: f32| {
        let i = lines.partition_point(|l| l.y > y);
        [i.checked_sub(1), Some(i)]
            .into_iter()
            .flatten()
            .filter(|&j| j < lines.len())
            .min_by(|a, b| (lines[*a].y - y).abs().total_cmp(&(lines[*b].y - y).abs()))
    };
    // Up to 128 probe positions, 4 points apart or more: each line's crossed positions are
    // one bit mask, so a page costs a pass over its runs and one over positions × lines.
    let (from, span) = (width * 0.15, width * 0.7);
    let step = (span / 127.0).max(4.0);
    let n = ((span / step) as usize + 1).min(128);
    let mut crossed = vec![0u128; lines.len()];
    // Positions with text to their left, and to their right, on each line.
    let (mut left, mut right) = (vec![0u128; lines.len()], vec![0u128; lines.len()]);
    let below = |x: f32| ((x - from) / step).floor().clamp(-1.0, n as f32 - 1.0) as i32;
    for r in runs.iter().filter(|r| !r.text.trim().is_empty()) {
        let Some(i) = line_of(r.y) else { continue };
        // Positions k with from + k·step > x: those at or after the first one past the run's start.
        let past_start = (below(r.x) + 1) as u32;
        if past_start < 128 {
            left[i] |= u128::MAX << past_start;
        }
        let before_end = below(r.end_x);
        if before_end >= 0 {
            right[i] |= u128::MAX >> (127 - before_end);
        }
        // Positions strictly inside the run: x < from + k·step < end_x.
        let lo = ((r.x - from) / step).floor() + 1.0;
        let hi = ((r.end_x - from) / step).ceil() - 1.0;
        let (lo, hi) = (lo.max(0.0) as usize, hi.min(n as f32 - 1.0));
        if hi >= lo as f32 {
            let hi = hi as usize;
            crossed[i] |= (u128::MAX >> (127 - hi)) & (u128::MAX << lo);
        }
    }
    let mut best: Option<(usize, usize)> = None;
    for k in 0..n {
        let (mut start, mut sides) = (0, (0u128, 0u128));
        // The page's end closes the last stretch as a crossed line would.
        for (i, mask) in crossed.iter().chain([&u128::MAX]).enumerate() {
            if mask >> k & 1 == 1 {
                // A stretch with no text on one side is a margin, not a gutter.
                let beside = sides.0 & sides.1;
                if beside >> k & 1 == 1 && i - start > best.map_or(0, |(a, b)| b - a) {
                    best = Some((start, i));
                }
                (start, sides) = (i + 1, (0, 0));
            } else {
                sides = (sides.0 | left[i], sides.1 | right[i]);
            }
        }
    }
    let (a, b) = best?;
    if b - a < MIN_LINES || b - a == lines.len() {
        return None;
    }
    // Cut halfway between the band's edge lines and their neighbours outside it.
    let top = if a == 0 { f32::INFINITY } else { (lines[a - 1].y + lines[a].y) / 2.0 };
    let bottom = if b == lines.len() { f32::NEG_INFINITY } else { (lines[b - 1].y + lines[b].y) / 2.0 };
    Some((top, bottom))
}

/// x positions between 15 % and 85 % of the page that almost no text crosses and that have
/// prose on both sides: one gutter for two columns, two for three. Prose is measured in
/// characters per cell on average: `(in every column, in one column at least)`. With the
/// gutters, the baseline of the full-width line that closes the columns, if any (-∞ if none).
fn find_gutters(lines: &[Line], runs: &[Run], width: f32, prose: (f32, f32)) -> (Vec<f32>, f32) {
    let none = (Vec::new(), f32::NEG_INFINITY);
    if lines.len() < 6 || width <= 0.0 {
        return none;
    }
    let cells: Vec<&Cell> = lines.iter().flat_map(|l| &l.cells).collect();
    // A title or a footer may span the columns.
    let allowed = 1 + lines.len() / 10;
    let step = 4.0;
    // Stretches of x that few runs cross; in each, the middle of its least-crossed positions.
    let mut stretches: Vec<Vec<(f32, usize)>> = Vec::new();
    let spans: Vec<(f32, f32)> = runs.iter().filter(|r| !r.text.trim().is_empty()).map(|r| (r.x, r.end_x)).collect();
    let mut x = width * 0.15;
    while x <= width * 0.85 {
        let crossing = spans.iter().filter(|(from, to)| *from < x && *to > x).count();
        if crossing <= allowed {
            match stretches.last_mut() {
                Some(s) if s.last().is_some_and(|(end, _)| x - end <= step * 1.5) => s.push((x, crossing)),
                _ => stretches.push(vec![(x, crossing)]),
            }
        }
        x += step;
    }
    let cells_beside =
        |g: f32| (cells.iter().filter(|c| c.end_x <= g).count(), cells.iter().filter(|c| c.x >= g).count());
    let mut gutters: Vec<f32> = stretches
        .iter()
        .filter_map(|s| {
            let least = s.iter().map(|(_, n)| *n).min()?;
            let at: Vec<f32> = s.iter().filter(|(_, n)| *n == least).map(|(x, _)| *x).collect();
            Some((at[0] + at[at.len() - 1]) / 2.0)
        })
        // A margin is not a gutter: text on both sides.
        .filter(|g| {
            let (left, right) = cells_beside(*g);
            left >= 4 && right >= 4
        })
        .collect();
    let candidates = gutters.clone();
    // Every column between the gutters must hold prose.
    let prose_chars = |from: f32, to: f32| -> Option<(usize, f32)> {
        let side: Vec<&&Cell> = cells.iter().filter(|c| c.x >= from && c.end_x <= to).collect();
        // A full-width character is two: a line of Japanese holds half the characters of a
        // line of English as wide.
        let width = |t: &str| t.chars().count() + if t.is_ascii() { 0 } else { t.chars().filter(|c| wide(*c)).count() };
        let chars = side.iter().map(|c| width(&c.text)).sum::<usize>();
        let mean = chars as f32 / side.len().max(1) as f32;
        (side.len() >= 4 && mean >= prose.0).then_some((chars, mean))
    };
    while !gutters.is_empty() {
        let mut bounds = vec![f32::MIN];
        bounds.extend(&gutters);
        bounds.push(f32::MAX);
        let columns: Vec<Option<(usize, f32)>> = bounds.windows(2).map(|w| prose_chars(w[0], w[1])).collect();
        if gutters.len() <= 2
            && columns.iter().all(Option::is_some)
            && columns.iter().flatten().any(|(_, mean)| *mean >= prose.1)
        {
            return (gutters, f32::NEG_INFINITY);
        }
        // Merge the poorest column into a neighbour by dropping a gutter beside it.
        let poorest = (0..columns.len()).min_by_key(|i| columns[*i].map_or(0, |(chars, _)| chars)).unwrap_or(0);
        gutters.remove(poorest.min(gutters.len() - 1));
    }
    // Where no split into prose columns is found, columns set on their own baselines (a form
    // beside its instructions) are columns however short their lines; a table's columns share
    // their rows' baselines.
    let apart: Vec<(f32, f32)> =
        candidates.into_iter().filter_map(|g| own_baselines(runs, g).map(|closing| (g, closing))).collect();
    if !(1..=2).contains(&apart.len()) {
        return none;
    }
    let closing = apart.iter().map(|(_, c)| *c).fold(f32::NEG_INFINITY, f32::max);
    (apart.into_iter().map(|(g, _)| g).collect(), closing)
}

/// No text crosses `gutter` above the lines that close the columns (a note centred under a
/// form), both sides hold six lines and some words or more there, and few of their baselines
/// meet: each side keeps its own line spacing, where a table's cells share their rows'
/// baselines. A chart's labels have too few words to count. Returns the closing lines' top
/// baseline (-∞ if none) when the gutter holds.
fn own_baselines(runs: &[Run], gutter: f32) -> Option<f32> {
    let text: Vec<&Run> = runs.iter().filter(|r| !r.text.trim().is_empty()).collect();
    let crosses = |r: &&Run| r.x < gutter && r.end_x > gutter;
    // Lines across the gutter may close the columns: nothing else is set among them.
    let closing = text.iter().filter(|r| crosses(r)).map(|r| r.y).fold(f32::NEG_INFINITY, f32::max);
    let first_crossing = text.iter().filter(|r| crosses(r)).map(|r| r.y).fold(f32::INFINITY, f32::min);
    if text.iter().any(|r| !crosses(r) && r.y <= closing && r.y >= first_crossing) {
        return None;
    }
    let side = |left: bool| {
        let runs: Vec<&Run> = text
            .iter()
            .copied()
            .filter(|r| r.y > closing && if left { r.end_x <= gutter } else { r.x >= gutter })
            .collect();
        let letters: usize = runs.iter().map(|r| r.text.chars().filter(|c| c.is_alphabetic()).count()).sum();
        let weighted: f32 = runs.iter().map(|r| r.size * r.text.chars().count() as f32).sum();
        let size = weighted / runs.iter().map(|r| r.text.chars().count()).sum::<usize>().max(1) as f32;
        let mut ys: Vec<i32> = runs.iter().map(|r| (r.y * 2.0).round() as i32).collect();
        ys.sort_unstable();
        ys.dedup();
        (ys, letters, size)
    };
    let ((left, left_letters, left_size), (right, right_letters, right_size)) = (side(true), side(false));
    let near = |y: &i32| (y - 1..=y + 1).any(|y| right.binary_search(&y).is_ok());
    let shared = left.iter().filter(|y| near(y)).count();
    // A table's columns share one type size too; beside a sample set in small print, a column's
    // baselines meet the sample's dense ones by chance.
    let one_size = left_size.max(right_size) < 1.5 * left_size.min(right_size);
    (left.len() >= 6
        && right.len() >= 6
        && left_letters.min(right_letters) >= OWN_COLUMN_LETTERS.0
        && left_letters + right_letters >= OWN_COLUMN_LETTERS.1
        && (!one_size || shared * 4 <= left.len().min(right.len())))
    .then_some(closing)
}

/// The letters columns set on their own baselines hold at least, `(each, both)`: a paragraph
/// or two, or a form's labels beside another's.
const OWN_COLUMN_LETTERS: (usize, usize) = (100, 300);

/// A cell set flush right in its column has at most this many words, and no leader or blank
/// to fill in: a form's lines end together too.
const FLUSH_RIGHT_WORDS: usize = 4;
const FILLS: [&str; 4] = ["..", ". .", "…", "__"];
/// Cells of a table's head that has flush-right columns have at most this many words.
const FLUSH_RIGHT_HEAD_WORDS: usize = 6;

enum Block {
    Heading(usize, String),
    Table(Vec<Vec<String>>),
    Paragraph(String),
}

/// Consecutive lines of two or more cells whose starts align form a table. A line with fewer
/// cells is either the start of a row whose other cells follow on the next lines (cells set
/// vertically centred) or wrapped text continuing the current row's cells; which one is
/// decided by whether the next lines fill its missing columns.
fn take_table(lines: &[Line], start: usize) -> Option<(Vec<Vec<String>>, usize)> {
    let head = &lines[start];
    // The structure tree's headings stay headings, however their cells align.
    let named_heading = |l: &Line| matches!(l.role, Some(Role::Heading(..)));
    if head.cells.len() < 2 || named_heading(head) {
        return None;
    }
    let columns: Vec<f32> = head.cells.iter().map(|c| c.x).collect();
    let ends: Vec<f32> = head.cells.iter().map(|c| c.end_x).collect();
    let tolerance = 0.8 * head.size;
    // A column's cells start together, or, past the first column, a short entry ends with the
    // column when set flush right (figures, a column of links), shorter or longer than the
    // head's: "unq" under "1.38 - 1.43", "Minnesota Ethanol" under "Iowa Ethanol". Not under a
    // head of long cells (justified prose ends every line together), nor under a form's label
    // ("Phone:"), which a blank to fill in follows.
    let short_head = head.cells.iter().all(|c| c.text.split_whitespace().count() <= FLUSH_RIGHT_HEAD_WORDS);
    let column_of = |c: &Cell| {
        columns.iter().position(|x| (x - c.x).abs() <= tolerance).or_else(|| {
            let k = ends.iter().position(|e| (e - c.end_x).abs() <= tolerance).filter(|k| *k > 0 && short_head)?;
            let short =
                c.text.split_whitespace().count() <= FLUSH_RIGHT_WORDS && !FILLS.iter().any(|f| c.text.contains(f));
            let label = head.cells[k].text.trim_end().ends_with(':');
            (short && !label && c.x > ends[k - 1]).then_some(k)
        })
    };
    // Wrapped cell text stays inside its column; a paragraph after the table does not.
    let fits = |line: &Line| {
        line.cells.iter().all(|c| {
            column_of(c).is_some_and(|col| columns.get(col + 1).is_none_or(|next| c.end_x < *next + tolerance))
        })
    };
    let belongs = |i: usize| -> bool {
        let line = &lines[i];
        let gap = lines[i - 1].y - line.y;
        gap <= 2.6 * line.size.max(head.size)
            && !named_heading(line)
            && fits(line)
            && (line.cells.len() == columns.len() || !line.bold || lines[i - 1].bold)
    };
    let cols_of = |line: &Line| -> Vec<usize> { line.cells.iter().filter_map(column_of).collect() };

    let mut rows: Vec<Vec<String>> = vec![head.cells.iter().map(|c| c.text.clone()).collect()];
    let mut full_rows = 1;
    let mut i = start + 1;
    while i < lines.len() && belongs(i) {
        let line = &lines[i];
        let cols = cols_of(line);
        let row = rows.last().expect("a table starts with a row");
        let complete = row.iter().all(|c| !c.is_empty());
        let starts_row = if cols.len() == columns.len() {
            full_rows += 1;
            true
        } else if complete && cols.iter().any(|c| !row[*c].is_empty()) {
            // A new row if the following lines fill the columns this one leaves empty.
            let mut filled: Vec<usize> = cols.clone();
            let mut j = i + 1;
            while j < lines.len() && belongs(j) && lines[j].cells.len() < columns.len() {
                let next = cols_of(&lines[j]);
                if next.iter().any(|c| filled.contains(c)) {
                    break;
                }
                filled.extend(next);
                j += 1;
            }
            filled.len() == columns.len()
        } else {
            false
        };
        if starts_row {
            rows.push(vec![String::new(); columns.len()]);
        }
        let row = rows.last_mut().expect("a table starts with a row");
        for (c, col) in line.cells.iter().zip(&cols) {
            if !row[*col].is_empty() {
                row[*col].push(' ');
            }
            row[*col].push_str(&c.text);
        }
        i += 1;
    }
    (full_rows >= 2 || rows.len() >= 3).then(|| (merge_wrapped_rows(rows), i))
}

/// Rows whose every cell reads on from the cell above (text cut mid-sentence, continued in
/// lower case) are one row wrapped over several lines; two columns of prose set side by side
/// (a paragraph and its sidebar) come out as a single such row.
fn merge_wrapped_rows(rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    let cut = |c: &str| c.split_whitespace().count() >= 3 && !c.trim_end().ends_with(['.', '!', '?', ':', ';']);
    let mut out: Vec<Vec<String>> = Vec::with_capacity(rows.len());
    for row in rows {
        match out.last_mut() {
            Some(above) if above.iter().all(|c| cut(c)) && row.iter().all(|c| c.starts_with(char::is_lowercase)) => {
                for (cell, next) in above.iter_mut().zip(&row) {
                    join_line(cell, next);
                }
            }
            _ => out.push(row),
        }
    }
    out
}

/// "Section 2", "PART IV", "Article 3", "Schedule A": a label that names a part of the document.
fn names_a_part(label: &str) -> bool {
    const PARTS: [&str; 10] = [
        "section",
        "part",
        "article",
        "chapter",
        "schedule",
        "appendix",
        "annex",
        "exhibit",
        "endorsement",
        "coverage",
    ];
    let mut words = label.split_whitespace();
    let first = words.next().unwrap_or_default().to_lowercase();
    PARTS.contains(&first.as_str()) && words.next().is_some()
}

/// The section number a line starts with: `4.`, `4.2`, `4.2.1`.
fn section_number(text: &str) -> Option<&str> {
    text.split_whitespace().next().filter(|first| {
        let t = first.trim_end_matches('.');
        !t.is_empty() && t.split('.').all(|p| !p.is_empty() && p.len() <= 3 && p.chars().all(|c| c.is_ascii_digit()))
    })
}

/// A line that opens a heading: set as one, and not in lower case, which continues a sentence
/// ("vos aspirations?" under a bold question) or a heading wrapped onto it.
fn heading_level(line: &Line, body: f32) -> Option<usize> {
    let lower = line.cells.first().is_some_and(|c| c.text.starts_with(char::is_lowercase));
    heading_style(line, body).filter(|_| !lower || line.role.is_some())
}

/// Where the structure tree covers the line, its word; otherwise how the line is set.
fn heading_style(line: &Line, body: f32) -> Option<usize> {
    match line.role {
        Some(Role::Heading(level, _)) => return Some(level.clamp(1, 6)),
        Some(Role::Body) => return None,
        None => {}
    }
    let larger = line.size >= body * 1.15;
    // Fine print (a sample form reproduced small) is not a heading of the page, bold or not.
    let fine = line.size < body * 0.8;
    // A section number tabbed off its title ("1." … "CALL TO ORDER") heads it all the same.
    let tabbed = match &line.cells[..] {
        [number, title] => {
            section_number(&number.text).is_some_and(|n| n.len() == number.text.len())
                && title.x - number.end_x < TAB * line.size
        }
        _ => false,
    };
    // Most lines are body text: decided before their text is assembled.
    if (line.cells.len() != 1 && !tabbed) || !(line.bold || larger || line.bold_lead.is_some()) || fine {
        return None;
    }
    let text = line.text();
    if !(line.bold || larger || is_noted_title(line, &text)) {
        return None;
    }
    let chars = text.chars().count();
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let visible = text.chars().filter(|c| !c.is_whitespace()).count();
    // Dates, amounts and reference numbers set in bold ("To 10-20-2022") are not headings.
    if chars > 120 || letters < 3 || letters * 2 < visible || is_date(&text) {
        return None;
    }
    // A form's bold field label with its value ("Valuation: Actual Cash Value") at about body
    // size; "SECTION II: LIABILITY" and "Part 3: Claims" stay headings.
    if line.size < body * 1.25
        && let Some((label, value)) = text.split_once(':')
        && !value.trim().is_empty()
        && label.split_whitespace().count() <= 4
        && !names_a_part(label)
    {
        return None;
    }
    // Sentences and exclamations ("Congratulations!") are not headings, however they are set;
    // nor are table-of-contents entries.
    let leaders = ["....", "::::", ". . . ."].iter().any(|l| text.contains(l));
    if text.ends_with(['.', ',', ';', '!']) || leaders || has_sentence_break(&text) {
        return None;
    }
    // A clause ending in a colon introduces what follows ("Findings by agency, including …:").
    // So is one that ends on a preposition ("5. Watch out for:").
    let words = text.split_whitespace().count();
    let dangling = text.trim_end_matches(':').rsplit(' ').next().is_some_and(|w| {
        ["to", "for", "of", "with", "by", "in", "on", "at", "from", "about", "and", "or", "the", "that"]
            .contains(&w.to_lowercase().as_str())
    });
    if text.ends_with(':') && (words > 4 || dangling) {
        return None;
    }
    // Nor is a long unnumbered line: a paragraph's line set larger than the body (a form's
    // free-text answer, say) reads as a run of "headings" otherwise.
    if section_number(&text).is_none() && words > 14 {
        return None;
    }
    if let Some(n) = section_number(&text) {
        // "48 and any services …" is a wrapped line that starts with a number, not section 48.
        let title = text.split_whitespace().nth(1);
        if title.is_some_and(|w| w.chars().next().is_some_and(char::is_lowercase)) {
            return None;
        }
        return Some((n.trim_end_matches('.').split('.').count() + 1).min(6));
    }
    Some(size_level(line.size, body))
}

/// A date and nothing else ("Janvier 2021", "Thursday, August 6, 2020"): a cover's or a
/// letter's, set large or bold, but no heading of what follows.
fn is_date(text: &str) -> bool {
    const MONTHS: [&str; 24] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    const DAYS: [&str; 14] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "lundi",
        "mardi",
        "mercredi",
        "jeudi",
        "vendredi",
        "samedi",
        "dimanche",
    ];
    let words: Vec<String> = text.split_whitespace().map(|w| w.trim_matches([',', '.']).to_lowercase()).collect();
    let month = |w: &str| MONTHS.contains(&w);
    let number = |w: &str| {
        let digits = w.strip_suffix("er").unwrap_or(w);
        !digits.is_empty() && digits.len() <= 4 && digits.chars().all(|c| c.is_ascii_digit())
    };
    (2..=5).contains(&words.len())
        && words.iter().any(|w| month(w))
        && words.iter().any(|w| number(w))
        && words.iter().all(|w| month(w) || DAYS.contains(&w.as_str()) || number(w))
}

/// A bold title followed by a note in parentheses set plain, and nothing else ("Step 2(b)—
/// Multiple Jobs Worksheet (Keep for your records.)").
fn is_noted_title(line: &Line, text: &str) -> bool {
    let Some(lead) = &line.bold_lead else { return false };
    let note = text.strip_prefix(lead.as_str()).map(str::trim);
    lead.starts_with(char::is_uppercase)
        && !lead.ends_with(['.', ':', ','])
        && note.is_some_and(|n| n.starts_with('(') && n.ends_with(')') && n.matches('(').count() == 1)
}

/// The widest gap (in ems) between a section number and its title on one line.
const TAB: f32 = 4.0;

/// A heading's level from its size: half again the body or more is a title, a quarter more a
/// section, anything else a subsection.
fn size_level(size: f32, body: f32) -> usize {
    if size >= body * 1.6 {
        1
    } else if size >= body * 1.25 {
        2
    } else {
        3
    }
}

/// The most a line's baseline sits below the previous one's, in font sizes, where it wraps the
/// same heading or sentence: 11 pt set on 16 pt (1.45) is common in designed guides.
const WRAP_LEADING: f32 = 1.5;

/// A line that stops on an article, preposition or conjunction ("Signature of", "… inactive
/// during") is cut off mid-phrase, a label or a bold lead whose rest is on the next line: no
/// heading ends so. As written, in lower case: "Part A" and "Schedule B" end on a name.
fn ends_mid_phrase(text: &str) -> bool {
    const LINKS: [&str; 36] = [
        "a", "an", "the", "of", "to", "for", "with", "by", "in", "on", "at", "from", "about", "and", "or", "that",
        "during", "into", "under", "than", "as", "between", "per", "de", "du", "des", "la", "le", "les", "et", "à",
        "au", "aux", "pour", "par", "sur",
    ];
    text.trim_end_matches(['—', '–', ':']).rsplit(' ').next().is_some_and(|w| LINKS.contains(&w))
}

/// `next` is set like the bold `line` just below it, at its leading, but is no heading itself
/// (it ends a sentence: "… Paperwork Reduction" / "Act Notice, see the separate
/// instructions."): the two are one bold sentence, not a heading over it. A title's date
/// line ("07/01/2015 - 03/25/2016") is no sentence.
fn bold_sentence_goes_on(line: &Line, next: &Line, body: f32) -> bool {
    let words =
        |l: &Line| l.text().split_whitespace().filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 2).count();
    line.bold
        && next.bold
        && next.role.is_none()
        && (next.size - line.size).abs() < 0.5
        && line.y > next.y
        && line.y - next.y <= WRAP_LEADING * line.size
        && words(next) >= 2
        && heading_style(next, body).is_none()
}

/// `next` is set just below `line` at about its size: the two belong to one block.
fn close_below(line: &Line, next: &Line) -> bool {
    let ratio = line.size.max(next.size) / line.size.min(next.size).max(1.0);
    ratio <= 1.25 && line.y - next.y <= WRAP_LEADING * line.size.max(next.size) && line.y > next.y
}

/// `next` continues `line`'s sentence: close below it, not set as a heading, and starting in
/// lower case or with a conjunction sign.
fn reads_on(line: &Line, next: &Line, body: f32) -> bool {
    close_below(line, next)
        && next.role.is_none()
        && heading_style(next, body).is_none()
        && next.text().starts_with(|c: char| c.is_lowercase() || c == '&')
}

/// On a form, other columns' fields may sit between a label's two lines: one of the next few
/// lines continues the label when it starts under it (under its key letter's text, "L Total
/// monthly") in lower case.
fn label_wraps(line: &Line, after: &Line) -> bool {
    let (Some(first), Some(under)) = (line.cells.first(), after.cells.first()) else { return false };
    // Set like the label, the second line passes for a heading itself.
    let continues =
        |after: &Line| close_below(line, after) && after.role.is_none() && after.text().starts_with(char::is_lowercase);
    (first.x - line.size..=first.x + 2.0 * line.size).contains(&under.x) && continues(after)
}

/// Columns of a form or a guide headed on one baseline ("Monthly income", "Monthly spending
/// and savings"), set large: each cell a short title. A table's header row was taken with its
/// table before this is asked. A cell mostly set small beside them ("Federal Register" by
/// "Proposed Rules") is text; a line of such cells only (a form's footer, "Cat. No. 10231X" and
/// "Form W-9 (Rev. 3-2024)", whose "W-9" alone is large) has no heading.
fn side_by_side_headings(line: &Line, body: f32) -> Option<Vec<Block>> {
    if line.role.is_some() || !(2..=3).contains(&line.cells.len()) || line.size < body * 1.25 {
        return None;
    }
    // Not numbered steps, questions or addresses: those are a form's prompts and footers.
    let titles = line.cells.iter().all(|c| {
        let words = c.text.split_whitespace().count();
        let address = c.text.split_whitespace().any(|w| w.trim_end_matches('.').contains(['.', '/', '@']));
        (1..=8).contains(&words)
            && c.text.chars().filter(|c| c.is_alphabetic()).count() >= 3
            && c.text.starts_with(char::is_uppercase)
            && !c.text.ends_with(['.', ',', ';', ':', '?'])
            && !address
    });
    let large = |c: &Cell| c.size >= body * 1.25;
    (titles && line.cells.iter().any(large)).then(|| {
        let block = |c: &Cell| match large(c) {
            true => Block::Heading(size_level(c.size, body), c.text.clone()),
            false => Block::Paragraph(c.text.clone()),
        };
        line.cells.iter().map(block).collect()
    })
}

/// A form's section label set larger in the margin of its first line ("Payments" beside "25
/// Federal income tax withheld from:", "Dependents" beside "(see instructions):"): a heading
/// with its level, and the line's rest.
fn side_heading(line: &Line, body: f32) -> Option<(usize, String, String)> {
    let (label, size) = line.side_label.as_ref().filter(|_| line.role.is_none())?;
    let words = label.split_whitespace().count();
    let letters = label.chars().filter(|c| c.is_alphabetic()).count();
    if *size < body * 1.15
        || !(1..=4).contains(&words)
        || letters < 3
        || !label.starts_with(char::is_uppercase)
        || label.ends_with(['.', ',', ';', ':', '!'])
    {
        return None;
    }
    // Set apart in a cell of its own beside other titles ("Proposed Rules" by "Federal
    // Register"), it is one of a row of titles, which the line as a whole answers for; beside
    // a form's prompts ("Standard" by "Someone can claim:") it heads them, unless it breaks
    // off mid-phrase ("Tax Computation on", a margin title's first line beside a column's
    // text). A title with its note ("… (continued from back of Copy C)") is one.
    let text = line.text();
    let alone = line.cells[0].text.split_whitespace().count() <= words;
    if (alone && (side_by_side_headings(line, body).is_some() || ends_mid_phrase(label))) || is_noted_title(line, &text)
    {
        return None;
    }
    let rest = text.split_whitespace().skip(words).collect::<Vec<_>>().join(" ");
    Some((size_level(*size, body), label.clone(), rest))
}

/// How much larger than its kicker a title is set, at the least.
const KICKER: f32 = 1.6;

/// A kicker: a short line in capitals set just above a title at least `KICKER` times its size
/// ("CLOSING CHECKLIST" over "Before closing", "GUIDE TO CLOSING FORMS" over "Promissory
/// Note"), naming the document or the part the title opens. A heading at the title's level,
/// so the title's section keeps its own path; and content on every page it opens, where the
/// same line repeated as a running head over body text is furniture.
fn kicker(line: &Line, next: &Line, body: f32) -> Option<usize> {
    if line.role.is_some()
        || line.cells.len() != 1
        || next.size < KICKER * line.size
        || line.y <= next.y
        || line.y - next.y > 2.0 * next.size
    {
        return None;
    }
    let text = line.text();
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let capitals = letters >= 6 && !text.chars().any(char::is_lowercase);
    if !capitals || !(2..=6).contains(&text.split_whitespace().count()) || text.ends_with(['.', ',', ';', ':']) {
        return None;
    }
    heading_level(next, body).or_else(|| display_sentence(next, body))
}

/// A designed document's title is often a sentence ("Define what is affordable for you."): one
/// short sentence set at half again the body size or more, on a line of its own.
fn display_sentence(line: &Line, body: f32) -> Option<usize> {
    if line.role.is_some() || line.cells.len() != 1 || line.size < body * 1.5 {
        return None;
    }
    let text = line.text();
    let words = text.split_whitespace().count();
    (text.ends_with('.')
        && (3..=12).contains(&words)
        && !has_sentence_break(&text)
        && text.starts_with(char::is_uppercase))
    .then_some(size_level(line.size, body))
}

/// One sentence ends and another starts inside the line ("… the assessment. The Initial …");
/// abbreviations ("U.S. Department", "No. 5") are not sentence ends.
fn has_sentence_break(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    words.windows(2).any(|w| {
        let (end, next) = (w[0], w[1]);
        let stem = end.trim_end_matches(['.', '?', '!']);
        end.len() > stem.len()
            && stem.chars().filter(|c| c.is_alphabetic()).count() >= 3
            && !stem.contains('.')
            && !["No", "Nos", "Inc", "Ltd", "Co", "Corp", "St", "Mr", "Mrs", "Dr", "Art", "Sec", "Fig", "Vol"]
                .contains(&stem)
            && next.chars().next().is_some_and(char::is_uppercase)
    })
}

/// A bold run-in heading opens its block ("B. Changes", "Duty to defend."), where the
/// paragraph before has ended; a bold defined term that wraps to the start of a line does not.
fn run_in_heading(line: &Line, before: &str) -> bool {
    let Some(lead) = &line.bold_lead else { return false };
    let words = lead.split_whitespace().count();
    let ended = before.trim_end().ends_with(['.', ':', ';', '!', '?']);
    let enumerated = lead.split_whitespace().next().is_some_and(|w| {
        let inner = w.trim_start_matches('(').trim_end_matches(['.', ')']);
        w.len() > inner.len()
            && !inner.is_empty()
            && inner.len() <= 4
            && (inner.chars().all(|c| c.is_ascii_digit() || c == '.') || inner.chars().all(|c| c.is_ascii_alphabetic()))
    });
    ended && (1..=12).contains(&words) && (enumerated || lead.ends_with(['.', ':']))
}

/// Glyphs set as list bullets (symbol fonts' among them, once mapped): rendered as `- `.
/// Check boxes are not: "☐ Settlement agent" is a choice on a form, not a bullet point.
pub const BULLETS: [char; 13] = ['•', '◦', '▪', '●', '■', '◆', '❖', '⬥', '➢', '➤', '►', '✓', '✔'];

/// Bullets, `(a)`, `a)`, `iv.`, `3.`, and clause numbers such as `4.2`: each starts a new block.
fn is_list_item(text: &str) -> bool {
    let t = text.trim_start();
    if t.starts_with(BULLETS) || t.starts_with(['–', '*', '◻', '□', '❑', '❒']) || t.starts_with("- ") {
        return true;
    }
    let Some(w) = t.split_whitespace().next() else { return false };
    let inner = w.trim_start_matches('(').trim_end_matches([')', '.']);
    // A bare number opens an item (a footnote) only before a capital: "100 percent of…" or
    // "48 and any…" wrapped onto their own line are the sentence going on.
    let bare = w.len() == inner.len() && !inner.contains('.');
    let numbering = !inner.is_empty()
        && (!bare || t[w.len()..].trim_start().starts_with(char::is_uppercase))
        && inner.split('.').all(|p| !p.is_empty() && p.len() <= 3 && p.chars().all(|c| c.is_ascii_digit()));
    let marker = w.ends_with([')', '.'])
        && (inner.len() == 1 && inner.chars().all(|c| c.is_ascii_lowercase())
            || !inner.is_empty() && inner.chars().all(|c| matches!(c, 'i' | 'v' | 'x')));
    // A form's lettered line ("b Household employee wages … 1b"): a lone letter before a
    // capital, other than the words "a" and "y" that a wrapped sentence may start with.
    let lettered = matches!(w.as_bytes(), [b'b'..=b'x' | b'z'])
        && t[w.len()..].trim_start().starts_with(|c: char| c.is_uppercase());
    numbering || marker || lettered
}

/// Appends the next line of a paragraph or cell, rejoining a word broken at the line end
/// ("insur-" + "ance").
pub(super) fn join_line(text: &mut String, next: &str) {
    let broken_number = text.strip_suffix('-').is_some_and(|t| t.ends_with(|c: char| c.is_ascii_digit()))
        && next.starts_with(|c: char| c.is_ascii_digit());
    let broken_word = text.strip_suffix(['-', SOFT_HYPHEN]).is_some_and(|t| t.ends_with(char::is_alphabetic))
        && next.starts_with(char::is_lowercase);
    if broken_word {
        // "insur-" / "ance" or "fixed-" / "rate": which one, the whole document decides.
        text.pop();
        text.push(SOFT_HYPHEN);
    } else if broken_number {
        // A reference number wraps at its own hyphen ("2023-" / "0379"): the hyphen stays.
    } else if text.chars().last().is_some_and(is_ideograph) && next.starts_with(is_ideograph) {
        // Chinese and Japanese set no space between words, nor where a line wraps.
    } else if !text.is_empty() {
        text.push(' ');
    }
    text.push_str(next);
}

/// Marks a word broken across lines at a hyphen until the document's own words decide.
const SOFT_HYPHEN: char = '\u{AD}';

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
    for line in lines_of(runs) {
        join_line(&mut text, &line.text());
    }
    text
}

/// Blocks from the page's lines, its ruled tables placed before the first line below their top.
/// Chinese, Japanese or Korean script, which runs on from line to line without a space.
fn is_ideograph(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{30FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{AC00}'..='\u{D7AF}' | '\u{FF00}'..='\u{FFEF}')
}

/// The line pitch of a page set with wide leading (a double-spaced filing or draft): the most
/// common gap between consecutive body lines, when it is wider than the 1.7 sizes that part
/// paragraphs on a page set solid and most of the body's lines are set at it.
fn wide_pitch(lines: &[Line], body: f32) -> Option<f32> {
    let of_body = |l: &Line| (l.size - body).abs() < 0.5;
    let gaps: Vec<f32> = lines
        .windows(2)
        .filter(|w| of_body(&w[0]) && of_body(&w[1]))
        .map(|w| w[0].y - w[1].y)
        .filter(|g| *g > 0.0 && *g <= 3.0 * body)
        .collect();
    let mut counts: HashMap<i32, usize> = HashMap::new();
    for g in &gaps {
        *counts.entry((g * 2.0).round() as i32).or_default() += 1;
    }
    let (half_points, n) = counts.into_iter().max_by_key(|(k, n)| (*n, -*k))?;
    let pitch = half_points as f32 / 2.0;
    (n >= 4 && n * 2 >= gaps.len() && pitch > 1.7 * body).then_some(pitch)
}

fn blocks_of(lines: &[Line], body: f32, mut tables: Vec<RuledTable>) -> Vec<Block> {
    let mut out = Vec::new();
    let pitch = wide_pitch(lines, body);
    let width = |l: &Line| l.span().1 - l.span().0;
    let measure = lines.iter().map(width).fold(0.0, f32::max);
    let mut para: Option<(String, f32, f32)> = None; // text, last y, size
    let flush = |para: &mut Option<(String, f32, f32)>, out: &mut Vec<Block>| {
        if let Some((text, _, _)) = para.take() {
            out.push(Block::Paragraph(text));
        }
    };
    // A table comes before the first line below its top, or, on a page of columns where that
    // line is in the next column, after the last line above it in its own column.
    let overlap = |(a0, a1): (f32, f32), (b0, b1): (f32, f32)| a0 < b1 && b0 < a1;
    let place = |t: &RuledTable| {
        let below = lines.iter().position(|l| l.y < t.top).unwrap_or(lines.len());
        match lines[..below].iter().rposition(|l| overlap(l.span(), (t.left, t.right))) {
            // The short last line of a paragraph, not reaching over the table, comes first.
            Some(mut j) => {
                while j + 1 < below && lines[j + 1].y < lines[j].y && overlap(lines[j + 1].span(), lines[j].span()) {
                    j += 1;
                }
                j + 1
            }
            None => below,
        }
    };
    let mut tables: Vec<(usize, RuledTable)> = tables.drain(..).map(|t| (place(&t), t)).collect();
    // Popped from the end: the first placed, and of those the highest, last.
    tables.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.top.total_cmp(&b.1.top)));
    let mut i = 0;
    while i < lines.len() {
        while tables.last().is_some_and(|(at, _)| *at <= i) {
            flush(&mut para, &mut out);
            out.push(Block::Table(tables.pop().map(|(_, t)| t.rows).unwrap_or_default()));
        }
        if let Some((mut rows, next)) = take_table(lines, i) {
            flush(&mut para, &mut out);
            if let [row] = rows.as_mut_slice() {
                // Side-by-side prose is read column by column.
                out.extend(row.drain(..).map(Block::Paragraph));
            } else {
                out.push(Block::Table(rows));
            }
            i = next;
            continue;
        }
        let line = &lines[i];
        i += 1;
        if let Some(level) = lines.get(i).and_then(|next| kicker(line, next, body)) {
            flush(&mut para, &mut out);
            out.push(Block::Heading(level, line.text()));
            continue;
        }
        if let Some((level, mut label, mut rest)) = side_heading(line, body) {
            // The label wraps in its margin ("Standard" / "Deduction"), each line beside text.
            let mut last = line;
            while let Some(next) = lines.get(i)
                && let Some((_, more, beside)) = side_heading(next, body)
                && (next.cells[0].x - last.cells[0].x).abs() < 1.0
                && (next.size - last.size).abs() < 0.5
                && last.y - next.y <= WRAP_LEADING * last.size
            {
                label = format!("{label} {more}");
                join_line(&mut rest, &beside);
                last = next;
                i += 1;
            }
            flush(&mut para, &mut out);
            out.push(Block::Heading(level, label));
            para = Some((rest, last.y, last.size));
            continue;
        }
        if let Some(level) = heading_level(line, body) {
            flush(&mut para, &mut out);
            let mut text = line.text();
            // A heading that wraps: the next line is set the same way, at the heading's own
            // leading, and does not start a numbered section of its own.
            let mut last = line;
            while let Some(next) = lines.get(i)
                && heading_style(next, body).is_some()
                && (next.role.is_none() || next.role == line.role)
                && (next.size - last.size).abs() < 0.5
                && next.bold == last.bold
                && last.y - next.y <= WRAP_LEADING * last.size
                && section_number(&next.text()).is_none()
            {
                text.push(' ');
                text.push_str(&next.text());
                last = next;
                i += 1;
            }
            // A large paragraph's first line, or a form label wrapped onto a second line
            // ("Total future monthly" / "savings goals: $"), reads on in lower case. A bold
            // paragraph wraps like a heading, but no heading runs to a paragraph's length.
            let long = section_number(&text).is_none() && text.split_whitespace().count() > MAX_HEADING_WORDS;
            if line.role.is_none()
                && (long
                    || ends_mid_phrase(&text)
                    || lines.get(i).is_some_and(|next| bold_sentence_goes_on(last, next, body))
                    || lines.get(i).is_some_and(|next| reads_on(last, next, body))
                    || lines.iter().skip(i).take(3).any(|after| label_wraps(last, after)))
            {
                flush(&mut para, &mut out);
                para = Some((text, last.y, last.size));
                continue;
            }
            out.push(Block::Heading(level, text));
            continue;
        }
        if let Some(blocks) = side_by_side_headings(line, body) {
            flush(&mut para, &mut out);
            out.extend(blocks);
            continue;
        }
        if let Some(level) = display_sentence(line, body)
            && !lines.get(i.wrapping_sub(2)).is_some_and(|prev| close_below(prev, line))
            && !lines.get(i).is_some_and(|next| close_below(line, next))
        {
            flush(&mut para, &mut out);
            out.push(Block::Heading(level, line.text()));
            continue;
        }
        let text = line.text();
        // On a page set with wide leading, a line runs on from a full line above it when the
        // words say so: a word or phrase broken off (a hyphen, a comma, a lower-case start), or
        // ideographs running on. Not when indented, as a paragraph's first line is; a line
        // that starts with a capital or a number may start an entry of a list.
        let runs_on = |p: &str| {
            let left = |l: &Line| l.cells.first().map_or(0.0, |c| c.x);
            let (end, start) = (p.trim_end().chars().last(), text.chars().next());
            let words_run_on = end.is_some_and(|c| matches!(c, '-' | ',' | '\u{AD}'))
                || start.is_some_and(char::is_lowercase)
                || end.is_some_and(is_ideograph) && start.is_some_and(is_ideograph);
            words_run_on
                && lines
                    .get(i.wrapping_sub(2))
                    .is_some_and(|prev| left(line) <= left(prev) + 0.8 * line.size && width(prev) >= 0.6 * measure)
        };
        // A line above the last one starts the next column: the paragraph flows on into it
        // only mid-sentence.
        let continues = para.as_ref().is_some_and(|(p, y, size)| {
            let gap = y - line.y;
            let flows = gap > 0.0 && gap <= 1.7 * size.max(line.size)
                || gap > 0.0 && pitch.is_some_and(|pitch| gap <= 1.1 * pitch) && runs_on(p)
                || gap <= 0.0 && !p.trim_end().ends_with(['.', '!', '?', ':']) && text.starts_with(char::is_lowercase);
            flows && !line.ruled_above && !is_list_item(&text) && !run_in_heading(line, p)
        });
        if !continues {
            flush(&mut para, &mut out);
            let text = match text.strip_prefix(BULLETS) {
                Some(rest) => format!("- {}", rest.trim_start()),
                None => text,
            };
            para = Some((text, line.y, line.size));
            continue;
        }
        let (p, y, _) = para.as_mut().expect("continues implies a paragraph");
        join_line(p, &text);
        *y = line.y;
    }
    flush(&mut para, &mut out);
    out.extend(tables.into_iter().rev().map(|(_, t)| Block::Table(t.rows)));
    out
}

fn escape_cell(s: &str) -> String {
    s.replace('|', "\\|")
}

fn render(blocks: &[Block], out: &mut String) {
    for b in blocks {
        match b {
            Block::Heading(level, text) => {
                out.push_str(&"#".repeat(*level));
                out.push(' ');
                out.push_str(text);
            }
            Block::Paragraph(text) => out.push_str(text),
            Block::Table(rows) => {
                let n = rows.iter().map(Vec::len).max().unwrap_or(0);
                for (i, row) in rows.iter().enumerate() {
                    let cells: Vec<String> =
                        (0..n).map(|c| escape_cell(row.get(c).map_or("", String::as_str))).collect();
                    out.push_str(&format!("| {} |\n", cells.join(" | ")));
                    if i == 0 {
                        out.push_str(&format!("|{}\n", " --- |".repeat(n)));
                    }
                }
                out.pop();
            }
        }
        out.push_str("\n\n");
    }
}

/// Digits stand for page numbers and dates, so "Page 3 of 12" repeats as "Page # of #".
fn shape(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_digit() { '#' } else { c }).collect()
}

/// Lines that open or close most pages of a document of 3+ pages are running headers/footers.
fn running_lines(pages: &[Vec<Line>]) -> HashMap<String, usize> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut folios: HashMap<(String, i64), Vec<String>> = HashMap::new();
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
    seen.retain(|_, n| pages.len() >= 3 && (*n * 2 > pages.len() || *n >= 3));
    if pages.len() >= 3 {
        seen.extend(folios.into_values().filter(|heads| heads.len() >= 2).flatten().map(|s| (s, 2)));
    }
    seen
}

/// The page number a running head or foot carries at its start or end, beside at least two
/// words ("Chapter 3: Utilities 6", "10 GNU Libtasn1 Manual"), and the line without it: a line
/// of a number and one word ("Step 2") may be a heading.
fn folio(text: &str) -> Option<(i64, String)> {
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
fn edge_baselines(lines: &[Line]) -> (f32, f32) {
    let mut ys: Vec<f32> = lines.iter().map(|l| l.y).collect();
    ys.sort_by(|a, b| b.total_cmp(a));
    ys.dedup_by(|a, b| (*a - *b).abs() < 1.0);
    match ys.len() {
        0 => (f32::INFINITY, f32::NEG_INFINITY),
        n => (ys[1.min(n - 1)], ys[n.saturating_sub(2)]),
    }
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

/// A page's pagination runs as lines: their text and the runs' indices.
fn pagination_lines(page: &PageText) -> Vec<(String, Vec<usize>)> {
    let runs = &page.runs;
    by_line((0..runs.len()).filter(|i| runs[*i].pagination).collect(), |i| &runs[*i])
        .into_iter()
        .map(|mut line| {
            line.sort_by(|a, b| runs[*a].x.total_cmp(&runs[*b].x));
            let text = line.iter().map(|i| runs[*i].text.trim()).collect::<Vec<_>>().join(" ");
            (text, line)
        })
        .collect()
}

/// A page number alone on a line: `12`, `iv`, `- 3 -`, `Page 2`, `Page 2 of 6`, `2 of 6`.
fn is_page_number(text: &str) -> bool {
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

/// Characters per size (in half points) of a page's visible runs.
fn sizes(runs: &[Run]) -> HashMap<i32, usize> {
    let mut by_size: HashMap<i32, usize> = HashMap::new();
    for r in runs.iter().filter(|r| !r.hidden) {
        *by_size.entry((r.size * 2.0).round() as i32).or_default() += r.text.chars().count();
    }
    by_size
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

/// Markdown for each page, in order (one string per page, without page markers).
pub fn pages_to_markdown(pages: Vec<PageText>) -> Vec<String> {
    let page_sizes: Vec<HashMap<i32, usize>> = pages.iter().map(|p| sizes(&p.runs)).collect();
    let mut all: HashMap<i32, usize> = HashMap::new();
    for (size, n) in page_sizes.iter().flatten() {
        *all.entry(*size).or_default() += n;
    }
    let (body, _) = body_size(&all);
    let bodies: Vec<f32> = page_sizes
        .iter()
        .map(|sizes| match body_size(sizes) {
            (own, chars) if chars >= OWN_BODY_CHARS => own.max(body),
            _ => body,
        })
        .collect();
    let mut hidden_text = Vec::new();
    let (per_page, tables): (Vec<Vec<Line>>, Vec<Vec<RuledTable>>) = pages
        .into_iter()
        .map(|p| {
            // Clipped-out text is kept for search, apart: in the flow it would run into the
            // visible lines it lies under.
            let (hidden, runs): (Vec<Run>, Vec<Run>) = p.runs.into_iter().partition(|r| r.hidden);
            hidden_text.push(lines_of(&hidden));
            let ruling = Ruling::of(&p.rules);
            let (tables, taken) = ruled_tables(&ruling, &runs, |cell| cell_text(cell));
            let runs = runs.into_iter().zip(taken).filter(|(_, t)| !t).map(|(r, _)| r).collect();
            (reading_order(runs, &ruling, p.width), tables)
        })
        .unzip();
    let running = running_lines(&per_page);
    let several = per_page.len() > 1;
    per_page
        .into_iter()
        .zip(tables)
        .zip(hidden_text)
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
            let furniture = |l: &Line| {
                !matches!(l.role, Some(Role::Heading(..)))
                    && (running.contains_key(&shape(&l.text())) || is_page_number(&l.text()) || numbered(l))
            };
            // A page may open with a page number above its running head, or close with both.
            // A ruled table beyond the line means it is not at the page's edge: a repeated
            // caption over a table that ends the page ("Résultats") is content.
            let kicks =
                |lines: &[Line], i: usize| lines.get(i + 1).is_some_and(|n| kicker(&lines[i], n, body).is_some());
            for _ in 0..2 {
                if lines
                    .first()
                    .is_some_and(|l| furniture(l) && !tables.iter().any(|t| t.top > l.y) && !kicks(&lines, 0))
                {
                    lines.remove(0);
                }
                if lines.last().is_some_and(|l| furniture(l) && !tables.iter().any(|t| t.top < l.y)) {
                    lines.pop();
                }
            }
            // What is left at the page's edges but opens or closes a column. A lone number
            // there on a single page is as likely a chart's axis as a page number.
            let (top, bottom) = edge_baselines(&lines);
            let keep: Vec<bool> = (0..lines.len())
                .map(|i| {
                    let l = &lines[i];
                    let edge = (l.y >= top && !tables.iter().any(|t| t.top > l.y))
                        || (l.y <= bottom && !tables.iter().any(|t| t.top < l.y));
                    !(edge && furniture(l) && (several || running.contains_key(&shape(&l.text())))) || kicks(&lines, i)
                })
                .collect();
            let mut keep = keep.into_iter();
            lines.retain(|_| keep.next().unwrap_or(true));
            let mut blocks = blocks_of(&lines, body, tables);
            // A page number the page's own background is painted over is furniture all the same,
            // where a visible one would be: beyond the page's text, or repeated.
            let (high, low) =
                lines.iter().fold((f32::NEG_INFINITY, f32::INFINITY), |(h, l), x| (h.max(x.y), l.min(x.y)));
            let beyond = |l: &Line| l.y > high || l.y < low;
            let mut hidden_kept = String::new();
            for l in hidden
                .iter()
                .filter(|l| !(furniture(l) && (several || beyond(l) || running.contains_key(&shape(&l.text())))))
            {
                join_line(&mut hidden_kept, &l.text());
            }
            if !hidden_kept.is_empty() {
                blocks.push(Block::Paragraph(hidden_kept));
            }
            let mut out = String::new();
            render(&blocks, &mut out);
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_are_squeezed_only_where_needed() {
        for (text, want) in [("a b", "a b"), (" a  b\t", "a b"), ("a\u{a0}b", "a b"), ("", ""), ("  ", ""), ("a ", "a")]
        {
            let mut t = text.to_string();
            squeeze_spaces(&mut t);
            assert_eq!(t, want, "{text:?}");
        }
    }

    #[test]
    fn a_number_wrapped_onto_its_own_line_goes_on_with_the_sentence_and_a_footnote_does_not() {
        for item in
            ["1. Scope", "(b) the insured", "4.2 Limits", "iv. Exclusions", "➢ Know", "◻ Escrow agent", "3 The flight"]
        {
            assert!(is_list_item(item), "{item}");
        }
        for text in ["b Household employee wages . . . 1b", "z Add lines 1a through 1h"] {
            assert!(is_list_item(text), "{text}");
        }
        for text in ["a Director of the company", "y Compris les frais", "b and c apply"] {
            assert!(!is_list_item(text), "{text}");
        }
        for text in ["100 percent of what you sign.", "48 and any services", "9 (737 MAX) airplanes", "1 200 000$"] {
            assert!(!is_list_item(text), "{text}");
        }
    }

    fn run(x: f32, y: f32, text: &str, size: f32, bold: bool) -> Run {
        Run::sample(x, y, text, size, bold)
    }

    fn md(runs: Vec<Run>) -> String {
        resolve_line_hyphens(pages_to_markdown(vec![PageText { runs, rules: Vec::new(), width: 595.0 }]).remove(0))
    }

    #[test]
    fn pagination_marks_are_furniture_only_when_they_repeat_or_number_the_page() {
        let mark = |x: f32, y: f32, text: &str| Run { pagination: true, artifact: true, ..run(x, y, text, 9.0, false) };
        let page = |runs: Vec<Run>| PageText { runs, rules: Vec::new(), width: 595.0 };
        let pages = vec![
            page(vec![
                run(50.0, 700.0, "Body text.", 10.0, false),
                mark(50.0, 820.0, "Official - Subject to"),
                mark(160.0, 820.0, "Final Review"),
                mark(50.0, 40.0, "Form DCF-F-"),
                mark(110.0, 40.0, "2476"),
                mark(300.0, 20.0, "Page 1 of 2"),
            ]),
            page(vec![
                mark(300.0, 20.0, "Page 2 of 2"),
                mark(500.0, 40.0, "7"),
                run(50.0, 700.0, "More.", 10.0, false),
            ]),
        ];
        // The head and the form number (one line with its split-off digits) are said once;
        // "Page # of #" repeats, and a lone number is a page number.
        assert_eq!(pagination_said_once(&pages), vec![vec![1, 2, 3, 4], vec![]]);
    }

    #[test]
    fn bold_numbered_lines_become_headings_at_their_depth() {
        let out = md(vec![
            run(50.0, 800.0, "4 Water damage", 10.0, true),
            run(50.0, 780.0, "We pay for sudden escape of water from fixed installations.", 10.0, false),
            run(50.0, 760.0, "4.2 Exclusions", 10.0, true),
            run(50.0, 740.0, "Gradual leaks are not covered.", 10.0, false),
        ]);
        assert_eq!(
            out,
            "## 4 Water damage\n\nWe pay for sudden escape of water from fixed installations.\n\n### 4.2 Exclusions\n\nGradual leaks are not covered.\n\n"
        );
    }

    #[test]
    fn a_wrapped_heading_is_one_heading_and_form_labels_and_dates_are_not_headings() {
        let out = md(vec![
            run(50.0, 800.0, "SECTION 1. RENEWAL", 14.0, true),
            run(50.0, 784.0, "PROVISIONS", 14.0, true),
            run(50.0, 760.0, "The policy renews each year on the date shown in the schedule.", 10.0, false),
            run(50.0, 740.0, "Valuation: Actual Cash Value", 10.0, true),
            run(50.0, 720.0, "To 10-20-2022", 10.0, true),
            run(50.0, 712.0, "5. Watch out for:", 10.0, true),
            run(50.0, 705.0, "SECTION II: LIABILITY", 10.0, true),
            run(50.0, 690.0, "Exclusions", 14.0, true),
            run(50.0, 660.0, "Wear and tear", 14.0, true),
        ]);
        assert_eq!(
            out,
            "## SECTION 1. RENEWAL PROVISIONS\n\nThe policy renews each year on the date shown in the schedule.\n\n\
             Valuation: Actual Cash Value\n\nTo 10-20-2022\n\n5. Watch out for:\n\n### SECTION II: LIABILITY\n\n## Exclusions\n\n## Wear and tear\n\n"
        );
    }

    #[test]
    fn a_bold_run_in_heading_starts_its_block_and_a_bold_term_does_not() {
        let out = md(vec![
            run(50.0, 800.0, "We will pay for loss caused by fire.", 10.0, false),
            run(50.0, 788.0, "B. Changes", 10.0, true),
            run(110.0, 788.0, "This policy may be changed only by endorsement.", 10.0, false),
            run(50.0, 776.0, "Notice must reach us before the", 10.0, false),
            run(50.0, 764.0, "insured", 10.0, true),
            run(95.0, 764.0, "moves away.", 10.0, false),
        ]);
        assert_eq!(
            out,
            "We will pay for loss caused by fire.\n\nB. Changes This policy may be changed only by endorsement. \
             Notice must reach us before the insured moves away.\n\n"
        );
    }

    #[test]
    fn aligned_cells_become_a_table_and_wrapped_cells_stay_in_their_row() {
        let out = md(vec![
            run(50.0, 800.0, "Cover", 9.0, true),
            run(250.0, 800.0, "Limit", 9.0, true),
            run(50.0, 785.0, "Buildings", 9.0, false),
            run(250.0, 785.0, "£500,000", 9.0, false),
            run(50.0, 770.0, "Accidental damage to", 9.0, false),
            run(250.0, 770.0, "£2,000", 9.0, false),
            run(50.0, 760.0, "glass", 9.0, false),
        ]);
        assert_eq!(
            out,
            "| Cover | Limit |\n| --- | --- |\n| Buildings | £500,000 |\n| Accidental damage to glass | £2,000 |\n\n"
        );
    }

    #[test]
    fn rows_wrapped_in_every_cell_are_one_row_and_a_paragraph_beside_its_sidebar_is_not_a_table() {
        let out = md(vec![
            run(50.0, 800.0, "Plus de sentiers qui", 9.0, false),
            run(250.0, 800.0, "It is an investment in the", 9.0, false),
            run(50.0, 789.0, "acceptent les chiens", 9.0, false),
            run(250.0, 789.0, "health of our community.", 9.0, false),
            run(50.0, 770.0, "Pistes cyclables", 9.0, false),
            run(250.0, 770.0, "Very important.", 9.0, false),
        ]);
        assert_eq!(
            out,
            "| Plus de sentiers qui acceptent les chiens | It is an investment in the health of our community. |\n\
             | --- | --- |\n| Pistes cyclables | Very important. |\n\n"
        );
        let out = md(vec![
            run(30.0, 700.0, "Only you can decide how much you feel", 10.0, false),
            run(330.0, 700.0, "This worksheet is", 8.0, false),
            run(30.0, 686.0, "comfortable spending on a home and plan", 10.0, false),
            run(330.0, 688.0, "designed for first-time", 8.0, false),
            run(30.0, 672.0, "a monthly payment.", 10.0, false),
            run(330.0, 676.0, "home buyers.", 8.0, false),
        ]);
        assert_eq!(
            out,
            "Only you can decide how much you feel comfortable spending on a home and plan a monthly payment.\n\n\
             This worksheet is designed for first-time home buyers.\n\n"
        );
    }

    #[test]
    fn a_hyphen_at_a_line_break_stays_where_the_document_writes_the_compound_whole() {
        let out = md(vec![
            run(50.0, 800.0, "A fixed-rate loan. Even with a fixed-", 10.0, false),
            run(50.0, 788.0, "rate loan the insur-", 10.0, false),
            run(50.0, 776.0, "ance and case 2023-", 10.0, false),
            run(50.0, 764.0, "0379 go on. Deaf or hard-of-", 10.0, false),
            run(50.0, 752.0, "hearing callers too.", 10.0, false),
        ]);
        assert_eq!(
            out,
            "A fixed-rate loan. Even with a fixed-rate loan the insurance and case 2023-0379 go on. Deaf or \
             hard-of-hearing callers too.\n\n"
        );
    }

    #[test]
    fn a_superscript_against_its_line_joins_it() {
        let out = md(vec![
            run(50.0, 800.0, "Published on the 10", 10.0, false),
            Run { x: 145.0, ..run(145.0, 804.0, "th", 6.0, false) },
            run(155.0, 800.0, "of each month.", 10.0, false),
        ]);
        assert_eq!(out, "Published on the 10th of each month.\n\n");
    }

    #[test]
    fn a_line_cut_off_on_a_preposition_is_not_a_heading() {
        let body = "Under penalties of perjury, I certify that the number shown on this form is correct.";
        let out = md(vec![
            run(50.0, 800.0, body, 10.0, false),
            run(50.0, 780.0, "Signature of", 10.0, true),
            run(50.0, 768.0, "U.S. person Date", 10.0, false),
            run(50.0, 740.0, "2. Interest and broker accounts considered inactive during", 10.0, true),
            run(50.0, 728.0, "1983. You must sign the certification.", 10.0, false),
            run(50.0, 700.0, "Part A", 10.0, true),
            run(50.0, 680.0, body, 10.0, false),
        ]);
        assert!(!out.contains("# Signature"), "{out}");
        assert!(out.contains("Signature of U.S. person Date"), "{out}");
        assert!(!out.contains("# 2. Interest"), "{out}");
        assert!(out.contains("### Part A\n"), "a name ends a heading: {out}");
    }

    #[test]
    fn side_by_side_cells_set_small_are_text_however_large_a_word_of_them_is() {
        let body = "Comments must be received on or before the date shown in this proposed rule.";
        let out = md(vec![
            run(50.0, 800.0, "Proposed Rules", 18.0, true),
            run(400.0, 800.0, "Federal Register", 8.0, true),
            run(50.0, 770.0, body, 10.0, false),
            run(50.0, 750.0, body, 10.0, false),
            run(237.0, 100.0, "Cat. No. 10231X", 7.0, false),
            run(480.0, 100.0, "Form", 7.0, false),
            run(498.0, 100.0, "W-9", 16.0, true),
            run(528.0, 100.0, "(Rev. 3-2024)", 7.0, false),
        ]);
        assert!(out.starts_with("# Proposed Rules\n\nFederal Register\n\n"), "{out}");
        assert!(!out.contains("# Cat.") && !out.contains("# Form W-9"), "{out}");
    }

    #[test]
    fn a_bold_title_with_a_plain_note_in_parentheses_is_a_heading_and_a_bold_lead_is_not() {
        let body = "If you choose this option, complete this worksheet on only one Form W-4 for all jobs.";
        let note = |y: f32, title: &str, rest: &str| {
            let end = 50.0 + title.chars().count() as f32 * 5.0;
            vec![run(50.0, y, title, 10.0, true), run(end + 5.0, y, rest, 10.0, false)]
        };
        let mut runs = note(800.0, "Step 2(b)—Multiple Jobs Worksheet", "(Keep for your records.)");
        runs.push(run(50.0, 780.0, body, 10.0, false));
        runs.extend(note(760.0, "Two jobs.", "(If you have two jobs, see below.)"));
        runs.extend(note(740.0, "Box 12", "(continued) codes F and G"));
        runs.push(run(50.0, 720.0, body, 10.0, false));
        let out = md(runs);
        assert!(out.starts_with("### Step 2(b)—Multiple Jobs Worksheet (Keep for your records.)\n\n"), "{out}");
        assert!(!out.contains("# Two jobs") && !out.contains("# Box 12"), "{out}");
    }

    #[test]
    fn a_form_section_label_set_large_in_the_margin_heads_the_lines_beside_it() {
        let body = "Enter the amounts from each of your forms on the lines of this section.";
        let out = md(vec![
            run(36.0, 800.0, "Payments", 10.0, true),
            run(80.0, 800.0, "25 Federal income tax withheld from:", 8.0, false),
            run(115.0, 788.0, body, 8.0, false),
            run(36.0, 760.0, "Standard", 10.0, true),
            // Alone in its cell, far from the prompt beside it.
            run(120.0, 760.0, "Someone can claim:", 8.0, true),
            run(36.0, 748.0, "Deduction", 10.0, true),
            run(85.0, 748.0, "Spouse itemizes on a separate return", 8.0, false),
            run(115.0, 736.0, body, 8.0, false),
            // A bold lead at the size of its line is a run-in label, not a side heading.
            run(36.0, 710.0, "Age/Blindness You:", 8.0, true),
            run(112.0, 710.0, "Were born before January 2, 1960", 8.0, false),
            run(115.0, 698.0, body, 8.0, false),
        ]);
        assert!(out.starts_with("## Payments\n\n25 Federal income tax withheld from:"), "{out}");
        assert!(out.contains("\n## Standard Deduction\n\nSomeone can claim: Spouse itemizes"), "{out}");
        assert!(!out.contains("# Age"), "{out}");
        // A title in its own cell beside another title is one of a row of titles.
        let out = md(vec![
            run(36.0, 800.0, "Proposed Rules", 14.0, true),
            run(400.0, 800.0, "Federal Register", 8.0, true),
            run(400.0, 788.0, "Vol. 85, No. 152", 8.0, false),
            run(36.0, 760.0, body, 8.0, false),
            run(36.0, 748.0, body, 8.0, false),
        ]);
        assert!(out.starts_with("# Proposed Rules\n\nFederal Register\n\nVol. 85"), "{out}");
        // Nor is a margin title's first line, cut off mid-phrase, beside a column's text.
        let out = md(vec![
            run(42.0, 800.0, "Tax Computation on", 14.0, true),
            run(200.0, 800.0, "connected with a U.S. trade or business.", 9.5, false),
            run(200.0, 788.0, body, 9.5, false),
        ]);
        assert!(!out.contains('#'), "{out}");
    }

    #[test]
    fn a_bold_sentence_over_two_lines_is_text_and_a_bold_title_over_its_dates_a_heading() {
        let body = "Notices received in the period, by county, with the number of employees affected.";
        let out = md(vec![
            run(50.0, 800.0, "Summary by Received Date", 10.0, true),
            run(50.0, 788.0, "07/01/2015 - 03/25/2016", 10.0, true),
            run(50.0, 770.0, body, 10.0, false),
            run(50.0, 750.0, "For Privacy Act and Paperwork Reduction", 10.0, true),
            run(50.0, 738.0, "Act Notice, see the separate instructions.", 10.0, true),
            run(50.0, 720.0, body, 10.0, false),
        ]);
        assert!(out.starts_with("### Summary by Received Date\n\n07/01/2015"), "{out}");
        assert!(out.contains("\nFor Privacy Act and Paperwork Reduction Act Notice, see the separate"), "{out}");
    }

    #[test]
    fn a_section_number_tabbed_off_its_title_heads_it_and_a_far_column_does_not() {
        let body = "The public may address the Board on any agenda item and any item not on the agenda.";
        let out = md(vec![
            run(76.6, 800.0, "1.", 10.8, true),
            run(103.7, 800.0, "CALL TO ORDER/FLAG SALUTE", 10.8, true),
            run(76.6, 775.0, "2. PUBLIC COMMENT", 10.8, true),
            run(104.0, 760.0, body, 10.8, false),
            run(76.6, 735.0, "3.", 10.8, true),
            run(400.0, 735.0, "Approved", 10.8, true),
            run(104.0, 720.0, body, 10.8, false),
        ]);
        assert!(out.starts_with("## 1. CALL TO ORDER/FLAG SALUTE\n\n## 2. PUBLIC COMMENT\n\n"), "{out}");
        assert!(!out.contains("# 3."), "{out}");
    }

    #[test]
    fn small_print_beside_a_title_is_its_own_line_and_a_sideways_label_its_own_word() {
        let sideways = Run { end_x: 43.1, sideways: Some((737.0, 755.0)), ..run(36.1, 737.0, "Form", 7.0, false) };
        let out = md(vec![
            sideways,
            Run { end_x: 96.6, ..run(43.2, 737.9, "1040 ", 24.0, true) },
            run(97.6, 735.8, "U.S. Individual Income Tax Return", 12.0, true),
            run(97.6, 748.7, "Department of the Treasury", 6.0, false),
            run(36.0, 700.0, "Filing status, a line of ordinary text, long enough to set the body.", 10.0, false),
        ]);
        assert!(out.starts_with("Department of the Treasury\n\n# Form 1040 U.S. Individual"), "{out}");
    }

    #[test]
    fn a_large_brace_gathers_the_choices_it_encloses() {
        let out = md(vec![
            run(50.0, 712.0, "$22,500 if head of household", 8.0, false),
            run(40.0, 700.0, "{", 30.0, false),
            run(50.0, 700.0, "$30,000 if married filing jointly", 8.0, false),
            run(50.0, 688.0, "$15,000 if single", 8.0, false),
        ]);
        assert_eq!(out.matches("\n\n").count(), 1, "{out}");
    }

    #[test]
    fn lines_join_into_paragraphs_and_hyphenated_words_rejoin() {
        let out = md(vec![
            run(50.0, 800.0, "The insur-", 10.0, false),
            run(50.0, 788.0, "ance starts today.", 10.0, false),
            run(50.0, 750.0, "• first item", 10.0, false),
        ]);
        assert_eq!(out, "The insurance starts today.\n\n- first item\n\n");
    }

    #[test]
    fn two_column_pages_read_left_column_then_right() {
        let mut runs = vec![run(50.0, 820.0, "A title across the whole page width, above both columns", 10.0, false)];
        for i in 0..6 {
            let y = 780.0 - i as f32 * 12.0;
            runs.push(run(50.0, y, &format!("left column sentence number {i} goes on"), 8.0, false));
            runs.push(run(320.0, y, &format!("right column sentence number {i} goes on"), 8.0, false));
        }
        let out = md(runs);
        let left = out.find("left column sentence number 5").unwrap();
        let right = out.find("right column sentence number 0").unwrap();
        assert!(left < right, "{out}");
    }

    #[test]
    fn a_masthead_atop_the_next_column_does_not_cut_the_sentence_that_flows_into_it() {
        let left = [
            "The agency invites you to take part in",
            "this rulemaking by sending comments,",
            "data or views about the proposal. The",
            "most helpful comments refer to a part",
            "of the rule, give the reasons for any",
            "change they suggest and include the",
            "supporting data. Send them to the",
            "docket at the address listed under",
        ];
        let right = [
            "the heading ADDRESSES above. To keep",
            "the docket free of duplicates, send one",
            "copy of your comments only. We will",
            "post them with any personal details",
            "you give, without change, online at",
            "the docket's page, and we read them.",
        ];
        let mut runs: Vec<Run> =
            left.iter().enumerate().map(|(i, t)| run(40.0, 700.0 - 10.0 * i as f32, t, 8.0, false)).collect();
        runs.push(run(320.0, 727.0, "Federal Register", 8.0, true));
        runs.push(run(320.0, 712.0, "Vol. 85, No. 152", 8.0, false));
        runs.push(run(320.0, 700.0, "Thursday, August 6, 2020", 8.0, false));
        runs.extend(right.iter().enumerate().map(|(i, t)| run(320.0, 668.0 - 10.0 * i as f32, t, 8.0, false)));
        let out = md(runs);
        assert!(out.contains("docket at the address listed under the heading ADDRESSES above."), "{out}");
        assert!(out.find("Thursday, August 6, 2020").unwrap() < out.find("The agency invites").unwrap(), "{out}");
    }

    #[test]
    fn three_narrow_columns_are_prose_read_in_order_not_a_table() {
        // Federal Register style: columns closer than a table's cell gap.
        let mut runs = Vec::new();
        for i in 0..8 {
            let y = 780.0 - i as f32 * 10.0;
            for (col, x) in [(0, 40.0), (1, 220.0), (2, 400.0)] {
                let text = format!("column {col} line {i} of running prose text");
                runs.push(Run { end_x: x + 170.0, ..run(x, y, &text, 8.0, false) });
            }
        }
        let out = md(runs);
        assert!(!out.contains('|'), "{out}");
        let pos = |t: &str| out.find(t).unwrap_or_else(|| panic!("{t} missing in {out}"));
        assert!(pos("column 0 line 7") < pos("column 1 line 0"), "{out}");
        assert!(pos("column 1 line 7") < pos("column 2 line 0"), "{out}");
    }

    #[test]
    fn lines_of_a_paragraph_set_large_are_not_headings() {
        assert!(has_sentence_break("The agency closed the assessment. The Initial Assessment"));
        assert!(!has_sentence_break("U.S. Department of Transportation"));
        assert!(!has_sentence_break("Docket No. FAA-2020-0686"));
        assert!(!has_sentence_break("Section 4. Exclusions"));
    }

    #[test]
    fn table_of_contents_entries_are_not_headings() {
        let out = md(vec![run(50.0, 800.0, "1 Introduction :::::::::::: 1", 10.0, true)]);
        assert_eq!(out, "1 Introduction :::::::::::: 1\n\n");
    }

    #[test]
    fn running_headers_and_footers_are_dropped() {
        let words = ["", "Cover starts today.", "Claims are paid in pounds.", "Cancel within fourteen days."];
        let page = |n: u32| PageText {
            runs: vec![
                run(50.0, 820.0, "Acme Home Policy", 8.0, false),
                run(50.0, 700.0, words[n as usize], 10.0, false),
                run(50.0, 30.0, &format!("Page {n} of 3"), 8.0, false),
                run(300.0, 18.0, &n.to_string(), 8.0, false),
            ],
            rules: Vec::new(),
            width: 595.0,
        };
        let out = pages_to_markdown(vec![page(1), page(2), page(3)]);
        assert_eq!(out[1], "Claims are paid in pounds.\n\n");
    }

    #[test]
    fn a_date_alone_is_not_a_heading_and_a_title_naming_a_month_is() {
        for date in ["Janvier 2021", "Thursday, August 6, 2020", "1er mai 2019", "March 3, 2024"] {
            assert!(is_date(date), "{date}");
        }
        for title in ["May 2021 Update", "March", "2021", "Report of 12 June"] {
            assert!(!is_date(title), "{title}");
        }
        let out = md(vec![
            run(50.0, 800.0, "Plan de transport actif", 24.0, false),
            run(50.0, 760.0, "Janvier 2021", 18.0, false),
            run(50.0, 700.0, "Le plan couvre toutes les routes de la municipalité.", 10.0, false),
        ]);
        assert!(out.starts_with("# Plan de transport actif\n\nJanvier 2021\n\n"), "{out}");
    }

    #[test]
    fn double_spaced_prose_reads_as_paragraphs_and_a_spaced_list_stays_a_list() {
        let page = |x0: f32, lines: &[(f32, &str)]| {
            md(lines
                .iter()
                .enumerate()
                .map(|(i, (dx, t))| run(x0 + dx, 700.0 - 20.0 * i as f32, t, 10.0, false))
                .collect())
        };
        // Set at twice its size, as a filing or a draft is: lines run on by their words, and
        // an indented line starts the next paragraph.
        let prose = page(
            72.0,
            &[
                (18.0, "Havel's greengrocer displays a sign in his shop with the words, Work-"),
                (0.0, "ers of the World, Unite! For Havel, the action, undertaken without much"),
                (0.0, "thought on the part of the merchant, shows the essence of an ideology."),
                (18.0, "In this reading, ideology is not a set of beliefs held by a person but"),
                (0.0, "a veil, a means of distance between the signifier and the signified."),
            ],
        );
        assert_eq!(
            prose,
            "Havel's greengrocer displays a sign in his shop with the words, Workers of the World, \
             Unite! For Havel, the action, undertaken without much thought on the part of the merchant, shows the \
             essence of an ideology.\n\nIn this reading, ideology is not a set of beliefs held by a person but a \
             veil, a means of distance between the signifier and the signified.\n\n"
        );
        // The same spacing between questions that each start with a capital: one per line.
        let list = page(
            72.0,
            &[
                (0.0, "Does the policy cover floods, earthquakes and other natural disasters"),
                (0.0, "Could you get a discount for smoke alarms or for a second policy here"),
                (0.0, "Could you save money on the premium by increasing your deductible now"),
                (0.0, "Who should you call with questions about the policy after the closing"),
            ],
        );
        assert_eq!(list.matches("\n\n").count(), 4, "{list}");
        // Ideographs run on from line to line without a space.
        let chinese = page(
            72.0,
            &[
                (0.0, "对公司根据公开发行证券的公司信息披露解释性公告第一号定义界定的非经常性损益项目以及把"),
                (0.0, "开发行证券的公司信息披露解释性公告中列举的非经常性损益项目界定为经常性损益的项目应"),
                (0.0, "说明原因并在报告中披露其理由和依据以及对公司财务状况和经营成果的影响情况等有关信息"),
                (0.0, "公司报告期不存在将根据公告定义列举的非经常性损益项目界定为经常性损益的项目的情形"),
                (0.0, "新增发行股票方案已经公司临时股东大会类别股东大会及类别股东大会审议通过尚须按规定"),
            ],
        );
        assert!(chinese.contains("项目以及把开发行证券"), "{chinese}");
    }

    #[test]
    fn a_kicker_over_a_title_is_a_heading_on_every_page_and_a_running_head_over_text_is_not() {
        let titles = ["Before closing", "At closing", "After closing"];
        let page = |n: usize| PageText {
            runs: vec![
                run(36.0, 780.0, "CLOSING CHECKLIST", 10.0, false),
                run(36.0, 746.0, titles[n], 24.0, false),
                run(36.0, 700.0, "Bring a photo ID and the funds you owe.", 11.0, false),
                run(36.0, 680.0, "Read every page before you sign.", 11.0, false),
            ],
            rules: Vec::new(),
            width: 595.0,
        };
        let out = pages_to_markdown((0..3).map(page).collect());
        for (n, title) in titles.iter().enumerate() {
            assert!(out[n].starts_with(&format!("# CLOSING CHECKLIST\n\n# {title}\n\n")), "{out:?}");
        }
        // The same line over body text, or too close in size to what follows, is a running head.
        let page = |n: usize, size: f32| PageText {
            runs: vec![
                run(36.0, 780.0, "COMMERCIAL GENERAL LIABILITY", 10.0, true),
                run(36.0, 750.0, ["SECTION I", "SECTION II", "SECTION III"][n], size, true),
                run(36.0, 700.0, "We will pay those sums the insured must pay.", 10.0, false),
            ],
            rules: Vec::new(),
            width: 595.0,
        };
        for size in [10.0, 14.0] {
            let out = pages_to_markdown((0..3).map(|n| page(n, size)).collect());
            assert!(out.iter().all(|p| !p.contains("COMMERCIAL")), "{out:?}");
        }
    }

    #[test]
    fn a_short_chapters_running_head_numbered_as_its_pages_is_dropped_and_numbered_steps_are_not() {
        let head = ["Chapter 2: Utilities 6", "Chapter 2: Utilities 7", "Chapter 3: Functions 9", "10 Chapter 3"];
        let step = ["Step 1", "Step 2", "Options", "Examples"];
        let body = ["Each tool reads its options.", "Errors go to stderr.", "Flags come first.", "Run it twice."];
        let page = |n: usize| PageText {
            runs: vec![
                run(50.0, 820.0, head[n], 8.0, false),
                run(50.0, 790.0, step[n], 10.0, false),
                run(50.0, 700.0, body[n], 10.0, false),
                run(50.0, 680.0, "The exit status is zero on success.", 10.0, false),
                run(50.0, 660.0, body[3 - n], 10.0, false),
            ],
            rules: Vec::new(),
            width: 595.0,
        };
        let out = pages_to_markdown((0..4).map(page).collect());
        assert!(!out[0].contains("Utilities") && !out[1].contains("Utilities"), "{out:?}");
        // Said on one page only, with a number that does not follow the pages, it is text.
        assert!(out[2].contains("Chapter 3: Functions 9") && out[3].contains("10 Chapter 3"), "{out:?}");
        // A number and one word ("Step 1", "Step 2") on consecutive pages is no running head.
        assert!(out[0].contains("Step 1") && out[1].contains("Step 2"), "{out:?}");
    }

    #[test]
    fn a_lower_case_line_continues_and_a_clause_before_a_colon_introduces() {
        let out = md(vec![
            run(50.0, 800.0, "4. A strategy for the future of the", 20.0, true),
            run(50.0, 778.0, "active transport plan", 20.0, true),
            run(
                50.0,
                740.0,
                "Does the vision proposed in the 2014 plan still reflect, today as then, your priorities and",
                10.0,
                true,
            ),
            run(50.0, 728.0, "your aspirations?", 10.0, true),
            run(50.0, 700.0, "Findings by agency, including the determination:", 10.0, true),
            run(50.0, 688.0, "The agency found no maltreatment.", 10.0, false),
        ]);
        assert_eq!(
            out,
            "## 4. A strategy for the future of the active transport plan\n\n\
             Does the vision proposed in the 2014 plan still reflect, today as then, your priorities and your aspirations?\n\n\
             Findings by agency, including the determination: The agency found no maltreatment.\n\n"
        );
    }

    #[test]
    fn a_word_drawn_in_pieces_across_an_unruled_column_line_stays_whole() {
        let h = |y: f32| Rule { x0: 50.0, y0: y, x1: 450.0, y1: y };
        let v = |x: f32, y0: f32| Rule { x0: x, y0, x1: x, y1: 700.0 };
        // The line between the last two columns stops above the middle row: a merged cell.
        let rules = vec![h(700.0), h(670.0), h(640.0), h(610.0), v(50.0, 610.0), v(150.0, 610.0), v(300.0, 670.0)];
        let rules = [rules, vec![v(450.0, 610.0), Rule { x0: 300.0, y0: 610.0, x1: 300.0, y1: 640.0 }]].concat();
        let piece = |x: f32, text: &str| Run { end_x: x + 3.0 * text.len() as f32, ..run(x, 650.0, text, 10.0, false) };
        let runs = vec![
            run(55.0, 680.0, "Country", 10.0, false),
            run(155.0, 680.0, "Germany", 10.0, false),
            run(305.0, 680.0, "France", 10.0, false),
            run(55.0, 650.0, "Continent", 10.0, false),
            piece(291.0, "Eur"),
            piece(300.0, "o"),
            piece(303.0, "pe"),
            run(55.0, 620.0, "Capital", 10.0, false),
            run(155.0, 620.0, "Berlin", 10.0, false),
            run(305.0, 620.0, "Paris", 10.0, false),
        ];
        let out = pages_to_markdown(vec![PageText { runs, rules, width: 595.0 }]).remove(0);
        assert!(out.contains("| Continent | Europe |  |"), "{out}");
        assert!(out.contains("| Capital | Berlin | Paris |"), "{out}");
    }

    #[test]
    fn a_ruled_grid_is_a_table_whose_bold_header_cells_are_not_headings() {
        let h = |y: f32| Rule { x0: 50.0, y0: y, x1: 450.0, y1: y };
        let v = |x: f32| Rule { x0: x, y0: 600.0, x1: x, y1: 700.0 };
        let rules = vec![h(700.0), h(670.0), h(640.0), h(600.0), v(50.0), v(150.0), v(450.0)];
        let runs = vec![
            run(50.0, 750.0, "Schedule of cover", 10.0, false),
            run(55.0, 680.0, "RESSOURCES", 12.0, true),
            run(155.0, 680.0, "Responsable", 12.0, true),
            run(55.0, 650.0, "Financier", 10.0, false),
            // Text below a row's rule belongs to the next row, whatever its spacing.
            run(155.0, 650.0, "Budget annuel du", 10.0, false),
            run(155.0, 618.0, "service", 10.0, false),
            run(55.0, 610.0, "Humain", 10.0, false),
            run(50.0, 560.0, "After the table.", 10.0, false),
        ];
        let out = pages_to_markdown(vec![PageText { runs, rules, width: 595.0 }]).remove(0);
        assert_eq!(
            out,
            "Schedule of cover\n\n| RESSOURCES | Responsable |\n| --- | --- |\n| Financier | Budget annuel du |\n\
             | Humain | service |\n\nAfter the table.\n\n"
        );
    }

    #[test]
    fn a_ledger_ruled_by_columns_only_is_read_entry_by_entry_and_a_wrapped_head_stays_one_row() {
        // Columns ruled, a rule under the head and at the foot only: each entry's amount on its
        // first line, its description wrapped below; the head's cells wrap over three lines.
        let h = |y: f32| Rule { x0: 36.0, y0: y, x1: 436.0, y1: y };
        let v = |x: f32| Rule { x0: x, y0: 560.0, x1: x, y1: 720.0 };
        let rules = vec![h(720.0), h(680.0), h(560.0), v(36.0), v(136.0), v(336.0), v(436.0)];
        let mut runs = vec![
            run(40.0, 708.0, "Payee", 8.0, true),
            run(140.0, 708.0, "Obligation", 8.0, true),
            run(140.0, 698.0, "or service", 8.0, true),
            run(140.0, 688.0, "description", 8.0, true),
            run(340.0, 708.0, "Amount", 8.0, true),
        ];
        let entries = [
            ("BAIN, J MATTHEW", "DISTRICT DIRECTOR", None, "37,499.96"),
            ("CITIBANK", "STAFF TRANSPORTATION", Some("AIRFARE TO WASHINGTON DC AND RETURN"), "920.68"),
            ("CITIBANK", "SENATOR'S TRANSPORTATION", Some("TRAIN FARE TO NEW YORK AND RETURN"), "618.00"),
        ];
        let mut y = 668.0;
        for (payee, what, more, amount) in entries {
            runs.extend([
                run(40.0, y, payee, 8.0, false),
                run(140.0, y, what, 8.0, false),
                run(340.0, y, amount, 8.0, false),
            ]);
            if let Some(more) = more {
                y -= 9.0;
                runs.push(run(140.0, y, more, 8.0, false));
            }
            y -= 9.0;
        }
        let out = pages_to_markdown(vec![PageText { runs, rules, width: 595.0 }]).remove(0);
        assert!(out.starts_with("| Payee | Obligation or service description | Amount |\n"), "{out}");
        assert!(out.contains("\n| BAIN, J MATTHEW | DISTRICT DIRECTOR | 37,499.96 |\n"), "{out}");
        assert!(
            out.contains("\n| CITIBANK | STAFF TRANSPORTATION AIRFARE TO WASHINGTON DC AND RETURN | 920.68 |\n"),
            "{out}"
        );
        assert!(
            out.contains("\n| CITIBANK | SENATOR'S TRANSPORTATION TRAIN FARE TO NEW YORK AND RETURN | 618.00 |"),
            "{out}"
        );
    }

    #[test]
    fn a_rate_table_ruled_every_third_row_with_an_open_first_column_is_read_row_by_row() {
        // Borders drawn cell by cell, a row-name column with no rule at its left, a header cell
        // over two rows and rules only under every third row, as the IRS sets its rate tables.
        let h = |x0: f32, y: f32| Rule { x0, y0: y, x1: 300.0, y1: y };
        let mut rules = vec![h(36.0, 700.0), h(108.0, 688.0), h(36.0, 676.0), h(36.0, 640.0), h(36.0, 604.0)];
        for x in [108.0, 200.0, 300.0] {
            rules.extend((0..8).map(|i| Rule {
                x0: x,
                y0: 604.0 + 12.0 * i as f32,
                x1: x,
                y1: 616.5 + 12.0 * i as f32,
            }));
        }
        let mut runs = vec![
            run(40.0, 691.0, "Higher Paying Job", 8.0, true),
            run(112.0, 691.0, "Lower Paying Job", 8.0, true),
            run(40.0, 679.0, "Wage & Salary", 8.0, true),
            run(112.0, 679.0, "$0 - 9,999", 8.0, false),
            run(204.0, 679.0, "$10,000 - 19,999", 8.0, false),
        ];
        for (i, (name, a, b)) in [
            ("$0 - 9,999", "$0", "$700"),
            ("$10,000 - 19,999", "0", "1,700"),
            ("$20,000 - 29,999", "700", "2,760"),
            ("$30,000 - 39,999", "850", "3,110"),
            ("$40,000 - 49,999", "910", "3,310"),
            ("$50,000 and over", "1,020", "3,420"),
        ]
        .into_iter()
        .enumerate()
        {
            let y = 667.0 - 12.0 * i as f32;
            runs.extend([run(40.0, y, name, 8.0, false), run(130.0, y, a, 8.0, false), run(220.0, y, b, 8.0, false)]);
        }
        let out = pages_to_markdown(vec![PageText { runs, rules, width: 595.0 }]).remove(0);
        assert!(!out.contains('#'), "{out}");
        assert!(out.contains("| Higher Paying Job Wage & Salary | Lower Paying Job |  |\n"), "{out}");
        assert!(out.contains("|  | $0 - 9,999 | $10,000 - 19,999 |\n"), "{out}");
        assert!(out.contains("| $10,000 - 19,999 | 0 | 1,700 |\n| $20,000 - 29,999 | 700 | 2,760 |\n"), "{out}");
        assert!(out.contains("| $50,000 and over | 1,020 | 3,420 |"), "{out}");
    }

    #[test]
    fn a_forms_amount_column_beside_its_sections_prose_does_not_make_the_prose_a_column() {
        // Sections ruled across the page; only the amount boxes at the right are ruled down.
        let mut rules: Vec<Rule> = [700.0, 660.0, 620.0].iter().map(|y| rule(36.0, *y, 576.0, *y)).collect();
        for x in [480.0, 500.0, 576.0] {
            rules.push(rule(x, 620.0, x, 700.0));
        }
        rules.extend([rule(480.0, 680.0, 576.0, 680.0), rule(480.0, 640.0, 576.0, 640.0)]);
        let runs = vec![
            run(40.0, 688.0, "Multiply the number of qualifying children under age 17 by $2,000", 9.0, false),
            run(40.0, 676.0, "and enter the total of the amounts here", 9.0, false),
            run(484.0, 684.0, "3", 9.0, true),
            run(40.0, 648.0, "Other income not from jobs you expect this year", 9.0, false),
            run(484.0, 644.0, "4a", 9.0, true),
        ];
        let out = pages_to_markdown(vec![PageText { runs, rules, width: 595.0 }]).remove(0);
        assert!(out.contains("Multiply the number of qualifying children under age 17 by $2,000 and enter"), "{out}");
        assert!(!out.contains("| Multiply"), "{out}");
    }

    #[test]
    fn columns_below_a_full_width_introduction_are_read_one_after_the_other() {
        let mut runs = Vec::new();
        for i in 0..4 {
            let y = 800.0 - i as f32 * 12.0;
            runs.push(run(
                50.0,
                y,
                &format!("Introduction line {i} runs across the whole width of the page"),
                10.0,
                false,
            ));
        }
        runs.push(run(50.0, 730.0, "Before you sign", 14.0, true));
        runs.push(run(320.0, 730.0, "Mistakes to avoid", 14.0, true));
        for i in 0..8 {
            let y = 710.0 - i as f32 * 12.0;
            runs.push(run(50.0, y, &format!("left advice line {i} keeps on going with more words"), 10.0, false));
            runs.push(run(320.0, y, &format!("right advice line {i} keeps on going with more words"), 10.0, false));
        }
        let out = md(runs);
        let pos = |t: &str| out.find(t).unwrap_or_else(|| panic!("{t} missing in {out}"));
        assert!(pos("Introduction line 3") < pos("## Before you sign"), "{out}");
        assert!(pos("## Before you sign") < pos("left advice line 0"), "{out}");
        assert!(pos("left advice line 7") < pos("## Mistakes to avoid"), "{out}");
        assert!(pos("## Mistakes to avoid") < pos("right advice line 0"), "{out}");
    }

    #[test]
    fn a_title_sentence_is_a_heading_and_lines_reading_on_in_lower_case_are_not() {
        let out = md(vec![
            run(50.0, 800.0, "Define what is affordable for you.", 24.0, false),
            run(50.0, 760.0, "You are almost done with the home buying and", 14.0, false),
            run(50.0, 743.0, "mortgage process, but there is one last step.", 14.0, false),
            run(50.0, 700.0, "Total future monthly", 12.0, false),
            run(50.0, 686.0, "savings goals:", 12.0, false),
            run(200.0, 686.0, "$", 14.0, false),
            run(50.0, 650.0, "Your savings goals may differ from your current goals.", 10.0, false),
            run(
                50.0,
                638.0,
                "Enter the amount you want to put away each month from your take-home income.",
                10.0,
                false,
            ),
            run(50.0, 560.0, "Each line of this paragraph is set large.", 24.0, false),
            run(50.0, 532.0, "So no line of it is a title.", 24.0, false),
        ]);
        assert_eq!(
            out,
            "# Define what is affordable for you.\n\n\
             You are almost done with the home buying and mortgage process, but there is one last step.\n\n\
             Total future monthly savings goals: $\n\n\
             Your savings goals may differ from your current goals. \
             Enter the amount you want to put away each month from your take-home income.\n\n\
             Each line of this paragraph is set large. So no line of it is a title.\n\n"
        );
    }

    #[test]
    fn titles_side_by_side_are_headings_and_a_label_wrapped_past_another_field_is_not() {
        let body = "Your total monthly spending and savings should be no more than your take-home income.";
        let out = md(vec![
            run(50.0, 800.0, "Monthly income", 14.0, false),
            run(320.0, 800.0, "Monthly spending and savings", 14.0, false),
            run(50.0, 770.0, body, 10.0, false),
            run(50.0, 740.0, "Estimated total", 12.0, false),
            run(320.0, 734.0, "Home maintenance: $", 12.0, false),
            run(50.0, 726.0, "monthly payment: $", 12.0, false),
            run(50.0, 690.0, body, 10.0, false),
            run(50.0, 660.0, "1. Determine who will", 14.0, false),
            run(320.0, 660.0, "Who will be conducting my closing?", 14.0, false),
            run(50.0, 630.0, body, 10.0, false),
        ]);
        assert!(out.starts_with("## Monthly income\n\n## Monthly spending and savings\n\n"), "{out}");
        assert!(!out.contains("# Estimated total"), "{out}");
        assert!(out.contains("Estimated total"), "{out}");
        assert!(!out.contains("# Who will"), "steps and questions are prompts: {out}");
    }

    #[test]
    fn reading_text_sets_the_body_where_a_reduced_sample_form_holds_most_characters() {
        let mut runs = vec![
            run(36.0, 800.0, "The Note will provide you with details regarding your loan, including the", 11.0, false),
            run(
                36.0,
                784.0,
                "amount you owe, the interest rate of the mortgage loan and the payment dates.",
                11.0,
                false,
            ),
        ];
        let clause = "In return for a loan that I have received, I promise to pay the principal and interest.";
        for i in 0..6 {
            let y = 740.0 - 30.0 * i as f32;
            runs.push(run(36.0, y, "Read this document carefully before you sign it at your closing.", 11.0, false));
            runs.push(run(300.0, y + 10.0, "1. BORROWER'S PROMISE TO PAY", 4.5, true));
            for j in 0..4 {
                runs.push(run(300.0, y + 4.0 - 4.0 * j as f32, clause, 4.5, false));
            }
        }
        // Set larger than the body on 1.46 times its size, a lead paragraph's first line reads on.
        runs.push(run(36.0, 500.0, "If you are refinancing a loan, you have a right to cancel the loan", 14.0, false));
        runs.push(run(36.0, 479.5, "within three business days of closing.", 14.0, false));
        let out = md(runs);
        assert!(out.contains("cancel the loan within three"), "{out}");
        assert!(
            !out.contains('#'),
            "neither the guide's 11 pt text nor the form's bold 4.5 pt lines are headings: {out}"
        );
        assert!(out.contains("including the amount you owe"), "{out}");
    }

    #[test]
    fn a_form_beside_its_instructions_is_read_column_by_column() {
        let steps = [
            "1. Determine who will",
            "conduct your closing,",
            "where to be, and when.",
            "The title of the person",
            "who conducts your closing",
            "varies by state. You can",
            "shop around for the",
            "company of your choice.",
            "2. Ask the person who",
            "will conduct your closing",
            "what to expect at closing.",
        ];
        let fields = [
            "Who will be conducting my closing? What is their title?",
            "Name: Phone:",
            "When is my closing? Where is my closing?",
            "Date: Time:",
            "Address:",
            "What do I need to bring to my closing?",
            "About how much will I need to pay at closing?",
        ];
        let mut runs: Vec<Run> =
            steps.iter().enumerate().map(|(i, t)| run(50.0, 800.0 - 13.0 * i as f32, t, 10.0, false)).collect();
        runs.extend(fields.iter().enumerate().map(|(i, t)| run(300.0, 805.0 - 22.0 * i as f32, t, 9.0, false)));
        let out = md(runs);
        assert!(
            out.starts_with(
                "1. Determine who will conduct your closing, where to be, and when. The title of the person \
                 who conducts your closing varies by state. You can shop around for the company of your choice.\n\n\
                 2. Ask the person who will conduct your closing what to expect at closing.\n\n"
            ),
            "{out}"
        );
        assert!(out.contains("Who will be conducting my closing? What is their title?"), "{out}");
    }

    #[test]
    fn two_forms_side_by_side_are_read_one_after_the_other_above_the_note_that_closes_them() {
        let left = ["A Your income:", "B Co-borrower's income:", "C Total monthly pre-tax income:"];
        let right = ["G Rent:", "H Utilities:", "I Debt payments:", "J Living and other expenses:"];
        let notes = ["Electricity, gas, water, phone, internet, etc.", "Student loans, car loans, etc."];
        let mut runs = Vec::new();
        for (i, label) in left.iter().chain(&left).enumerate() {
            runs.push(run(30.0, 700.0 - 40.0 * i as f32, label, 10.0, false));
            runs.push(run(200.0, 700.0 - 40.0 * i as f32, "$", 10.0, false));
        }
        for (i, label) in right.iter().chain(&right).enumerate() {
            let y = 710.0 - 52.0 * i as f32;
            runs.push(run(320.0, y, label, 10.0, false));
            runs.push(run(495.0, y, "$", 10.0, false));
            runs.push(run(320.0, y - 14.0, notes[i % 2], 7.0, false));
        }
        // The note under both forms, and a logo and a link below it in either column.
        runs.push(run(190.0, 250.0, "Your total spending should be no more than your income.", 8.0, false));
        runs.push(run(40.0, 60.0, "Consumer Bureau", 7.0, false));
        runs.push(run(520.0, 60.0, "Learn more", 7.0, false));
        let out = md(runs);
        let at = |text: &str| out.find(text).unwrap_or_else(|| panic!("{text} in {out}"));
        assert!(out.starts_with("A Your income: $\n\n"), "{out}");
        assert!(at("C Total monthly pre-tax income: $") < at("G Rent: $"), "{out}");
        assert!(at("J Living and other expenses: $ Student loans") < at("Your total spending"), "{out}");
        assert!(at("Your total spending") < at("Consumer Bureau"), "{out}");
        assert!(at("Your total spending") < at("Learn more"), "{out}");
    }

    #[test]
    fn a_forms_line_items_beside_amount_boxes_that_touch_a_table_are_read_line_by_line() {
        // As the 1040 sets its income lines: a header table ruled into columns ends on the rule
        // that opens the section; the amount boxes below hang from it, one per line; each line
        // item runs from a label column across the table's columns in dot leaders drawn dot by
        // dot to its line number.
        let mut rules = vec![rule(36.0, 700.0, 576.0, 700.0), rule(36.0, 676.0, 576.0, 676.0)];
        rules.extend([688.0, 682.0].map(|y| rule(260.0, y, 576.0, y)));
        for x in [260.0, 350.0, 420.0, 480.0, 500.0, 576.0] {
            rules.push(rule(x, 676.0, x, 700.0));
        }
        for x in [480.0, 500.0, 576.0] {
            rules.push(rule(x, 580.0, x, 676.0));
        }
        rules.extend((1..=8).map(|i| rule(480.0, 676.0 - 12.0 * i as f32, 576.0, 676.0 - 12.0 * i as f32)));
        let mut runs = vec![
            run(264.0, 691.0, "Social security number", 7.0, false),
            run(354.0, 691.0, "Relationship", 7.0, false),
            run(424.0, 691.0, "Credit", 7.0, false),
            run(36.0, 666.0, "Income", 12.0, true),
        ];
        for (i, note) in [
            "Attach Form(s)",
            "W-2 here. Also",
            "attach Forms",
            "W-2G and 1099-R",
            "if tax was",
            "withheld. If you",
            "did not get a",
            "Form W-2, see",
            "instructions.",
        ]
        .into_iter()
        .enumerate()
        {
            runs.push(run(36.0, 652.0 - 7.5 * i as f32, note, 6.0, i == 0));
        }
        for i in 0..8 {
            let y = 666.0 - 12.0 * i as f32;
            runs.push(run(110.0, y, &format!("Amount from schedule part {}", i + 1), 8.0, false));
            runs.extend((0..12).map(|d| run(330.0 + 12.0 * d as f32, y, ".", 8.0, false)));
            runs.push(run(485.0, y, &format!("{}z", i + 1), 8.0, true));
        }
        let out = pages_to_markdown(vec![PageText { runs, rules, width: 595.0 }]).remove(0);
        let at = |text: &str| out.find(text).unwrap_or_else(|| panic!("{text} in {out}"));
        assert!(!out.contains("| . |"), "{out}");
        // The table keeps its head, though no row under it is filled in.
        assert!(out.contains("| Social security number | Relationship | Credit |\n| --- |"), "{out}");
        assert!(at("Income") < at("part 1"), "{out}");
        for i in 1..8 {
            let (item, number, next) = (format!("part {i}"), format!("{i}z"), format!("part {}", i + 1));
            assert!(at(&item) < at(&number) && at(&number) < at(&next), "{out}");
        }
    }

    #[test]
    fn dot_leaders_drawn_dot_by_dot_do_not_make_columns() {
        let mut runs = Vec::new();
        for (i, (item, number)) in
            [("Add lines 12 and 13", "14"), ("Subtract line 14 from line 11", "15"), ("Other taxes", "16")]
                .into_iter()
                .enumerate()
        {
            let y = 700.0 - 12.0 * i as f32;
            runs.push(run(110.0, y, item, 8.0, false));
            runs.extend((0..10).map(|d| run(300.0 + 12.0 * d as f32, y, ".", 8.0, false)));
            runs.push(run(485.0, y, number, 8.0, true));
        }
        let out = md(runs);
        assert!(!out.contains("| . |"), "{out}");
        assert!(out.contains("Subtract line 14 from line 11 . . . . . . . . . ."), "{out}");
    }

    #[test]
    fn a_checkbox_set_against_a_tables_border_does_not_add_a_row_to_it() {
        let mut rules: Vec<Rule> = [700.0, 688.0, 676.0].iter().map(|y| rule(36.0, *y, 576.0, *y)).collect();
        rules.extend([36.0, 300.0, 576.0].map(|x| rule(x, 676.0, x, 700.0)));
        // An 8-point box just under the table's last rule, its top within a touch of it.
        rules.extend([rule(120.0, 675.0, 128.0, 675.0), rule(120.0, 667.0, 128.0, 667.0)]);
        rules.extend([rule(120.0, 667.0, 120.0, 675.0), rule(128.0, 667.0, 128.0, 675.0)]);
        let runs = vec![
            run(40.0, 691.0, "Your first name", 8.0, false),
            run(304.0, 691.0, "Last name", 8.0, false),
            run(40.0, 679.0, "Home address", 8.0, false),
            run(304.0, 679.0, "Apt. no.", 8.0, false),
            run(40.0, 668.0, "Filing Status", 12.0, true),
            run(132.0, 668.0, "Single", 8.0, false),
        ];
        let out = pages_to_markdown(vec![PageText { runs, rules, width: 595.0 }]).remove(0);
        assert!(out.contains("| Home address | Apt. no. |\n\n"), "{out}");
        assert!(!out.contains("| Filing Status"), "{out}");
    }

    fn rule(x0: f32, y0: f32, x1: f32, y1: f32) -> Rule {
        Rule { x0, y0, x1, y1 }
    }

    #[test]
    fn a_forms_title_boxes_are_read_box_by_box() {
        let runs = vec![
            run(40.0, 760.0, "Form W-9", 20.0, true),
            run(40.0, 745.0, "(Rev. March 2024)", 7.0, false),
            run(40.0, 737.0, "Department of the Treasury", 7.0, false),
            run(200.0, 765.0, "Request for Taxpayer", 14.0, true),
            run(170.0, 750.0, "Identification Number and Certification", 14.0, true),
            run(180.0, 737.0, "Go to www.irs.gov for instructions.", 8.0, false),
            run(500.0, 765.0, "Give form to the", 9.0, true),
            run(500.0, 753.0, "requester. Do not", 9.0, true),
            run(500.0, 741.0, "send to the IRS.", 9.0, true),
            run(
                40.0,
                715.0,
                "Before you begin. For guidance related to the purpose of this form, see below.",
                8.0,
                false,
            ),
        ];
        // Rules drawn down between the boxes (one of them in two pieces), and across under them
        // in pieces a hair apart, the leftmost lowest.
        let rules = vec![
            rule(160.0, 730.0, 160.0, 755.0),
            rule(160.0, 755.0, 160.0, 780.0),
            rule(490.0, 730.0, 490.0, 780.0),
            rule(118.0, 727.9, 300.0, 727.9),
            rule(300.0, 728.0, 576.0, 728.0),
            rule(36.0, 728.5, 120.0, 728.5),
        ];
        let out = pages_to_markdown(vec![PageText { runs, rules, width: 595.0 }]).remove(0);
        for whole in [
            "Request for Taxpayer Identification Number and Certification",
            "Give form to the requester. Do not send to the IRS.",
        ] {
            assert!(out.contains(whole), "{out}");
        }
        let at = |s: &str| out.find(s).unwrap_or_else(|| panic!("{s}: {out}"));
        assert!(at("Form W-9") < at("Department of the Treasury"), "{out}");
        assert!(at("Department of the Treasury") < at("Request for Taxpayer"), "{out}");
        assert!(at("Go to www.irs.gov") < at("Give form"), "{out}");
        assert!(at("send to the IRS.") < at("Before you begin."), "{out}");
    }

    #[test]
    fn a_forms_section_label_is_read_before_the_text_beside_it_and_a_tables_columns_are_not_labels() {
        let mut runs = Vec::new();
        for (i, label) in ["Step 2:", "Multiple Jobs", "or Spouse", "Works"].into_iter().enumerate() {
            runs.push(run(36.0, 685.0 - 12.0 * i as f32, label, 10.0, true));
        }
        for (i, text) in [
            "Complete this step if you hold more than one job at a time, or are married",
            "filing jointly and your spouse also works. The correct amount of withholding",
            "depends on income earned from all of these jobs.",
            "Do only one of the following.",
            "(a) Use the estimator for the most accurate withholding for this step.",
            "(b) Use the Multiple Jobs Worksheet on page 3.",
        ]
        .into_iter()
        .enumerate()
        {
            runs.push(run(122.0, 685.0 - 12.0 * i as f32, text, 9.0, false));
        }
        // A schedule's bold row names beside their values, ruled off the same way: a table.
        for (i, (name, value)) in
            [("Deductible", "$500"), ("Limit", "$10,000"), ("Term", "12 months")].into_iter().enumerate()
        {
            runs.push(run(36.0, 580.0 - 12.0 * i as f32, name, 10.0, true));
            runs.push(run(200.0, 580.0 - 12.0 * i as f32, value, 10.0, false));
        }
        let rules =
            vec![rule(36.0, 700.0, 576.0, 700.0), rule(36.0, 600.0, 576.0, 600.0), rule(36.0, 540.0, 576.0, 540.0)];
        let out = pages_to_markdown(vec![PageText { runs, rules, width: 595.0 }]).remove(0);
        assert!(
            out.contains("Step 2: Multiple Jobs or Spouse Works\n\nComplete this step if you hold more than one job at a time, or are married filing jointly"),
            "{out}"
        );
        assert!(out.contains("| Deductible | $500 |"), "{out}");
    }

    #[test]
    fn a_page_of_hundreds_of_labels_and_rules_keeps_every_word() {
        // Far past the stretches and ruled boxes read one by one: the rest is read as it stands.
        let mut runs = Vec::new();
        for i in 0..300 {
            let y = 9000.0 - 30.0 * i as f32;
            runs.push(run(36.0, y, &format!("Label{i}:"), 10.0, true));
            runs.push(run(122.0, y, &format!("value{i} of the field"), 9.0, false));
            runs.push(run(122.0, y - 12.0, &format!("more{i} text"), 9.0, false));
        }
        let mut rules: Vec<Rule> =
            (0..500).map(|i| rule(300.0 + 0.5 * i as f32, 0.0, 300.0 + 0.5 * i as f32, 9100.0)).collect();
        rules.push(rule(36.0, 9100.0, 576.0, 9100.0));
        let out = pages_to_markdown(vec![PageText { runs, rules, width: 595.0 }]).remove(0);
        for i in [0, 63, 64, 65, 299] {
            for word in [format!("Label{i}:"), format!("value{i}"), format!("more{i}")] {
                assert!(out.contains(&word), "{word} lost");
            }
        }
    }

    #[test]
    fn a_large_warning_sign_does_not_make_its_line_a_heading() {
        let mut runs: Vec<Run> = (0..6)
            .map(|i| {
                run(50.0, 800.0 - 12.0 * i as f32, "Body text of the instructions set line after line.", 9.0, false)
            })
            .collect();
        runs.push(run(50.0, 716.0, "▲", 21.6, false));
        runs.push(run(62.0, 716.0, "one Form W-4. Withholding will be most accurate if you", 9.0, false));
        let out = md(runs);
        assert!(!out.contains('#'), "{out}");
    }

    #[test]
    fn a_label_column_that_opens_below_the_sections_first_field_line_is_one_label() {
        let mut runs = vec![
            run(100.0, 700.0, "Preparer's name", 7.0, false),
            run(220.0, 700.0, "Preparer's signature", 7.0, false),
            run(36.0, 691.0, "Paid", 11.0, true),
            run(36.0, 679.0, "Preparer", 11.0, true),
            run(100.0, 674.0, "Firm's name", 7.0, false),
            run(36.0, 667.0, "Use Only", 11.0, true),
            run(100.0, 662.0, "Firm's address", 7.0, false),
        ];
        runs.push(run(36.0, 620.0, "Go to the website for instructions and the latest information.", 9.0, false));
        let rules = vec![rule(36.0, 710.0, 576.0, 710.0), rule(36.0, 650.0, 576.0, 650.0)];
        let out = pages_to_markdown(vec![PageText { runs, rules, width: 595.0 }]).remove(0);
        assert!(out.contains("Paid Preparer Use Only\n"), "{out}");
        let at = |s: &str| out.find(s).unwrap_or_else(|| panic!("{s}: {out}"));
        assert!(at("Paid Preparer Use Only") < at("Firm's name"), "{out}");
    }

    #[test]
    fn a_grid_of_a_thousand_rules_each_way_keeps_its_text() {
        // Every row boundary ruled only in part, so each is checked cell by cell.
        let mut rules: Vec<Rule> =
            (0..1000).map(|i| rule(0.0, 3.0 * i as f32, 1500.0 + 0.1 * i as f32, 3.0 * i as f32)).collect();
        rules.extend((0..1000).map(|i| rule(3.0 * i as f32, 0.0, 3.0 * i as f32, 3000.0)));
        let runs = vec![run(10.0, 400.0, "Inside", 10.0, false), run(10.0, 3100.0, "Above the grid.", 10.0, false)];
        let out = pages_to_markdown(vec![PageText { runs, rules, width: 900.0 }]).remove(0);
        assert!(out.contains("Inside") && out.contains("Above the grid."), "{out}");
    }

    #[test]
    fn page_numbers_are_recognised_with_their_words() {
        for text in ["12", "iv", "- 3 -", "Page 2", "Page 2 of 6", "3 of 4", "PAGE 10"] {
            assert!(is_page_number(text), "{text}");
        }
        for text in ["Page two", "2 of the 6 forms", "Pages 2", "Step 2", "of 6"] {
            assert!(!is_page_number(text), "{text}");
        }
    }

    #[test]
    fn a_bold_paragraph_set_larger_is_not_a_heading_however_its_lines_wrap() {
        let mut runs = vec![
            run(50.0, 800.0, "You may file the forms electronically on the agency's employer filing", 12.0, true),
            run(50.0, 786.0, "instructions and information web page which is also accessible at", 12.0, true),
            run(50.0, 772.0, "the agency website where you can create fill-in versions of", 12.0, true),
        ];
        for i in 0..6 {
            runs.push(run(
                50.0,
                740.0 - 12.0 * i as f32,
                "Body text of the notice set in its own size, line after line.",
                10.0,
                false,
            ));
        }
        let out = md(runs);
        assert!(!out.contains('#'), "{out}");
        assert!(out.contains("employer filing instructions and information web page"), "{out}");
    }
}
