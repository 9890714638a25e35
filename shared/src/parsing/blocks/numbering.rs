//! Line numbers set down a page's margin: a printer's proof, pleading paper, a bill. Read as
//! text they split its sentences ("15 Free culture : how big media uses … 16 culture") and
//! turn its lines into a two-column table.

use super::*;

/// A run of these many numbers or more, one under another, can be a margin's count, if some
/// of them number blank lines: a table's numbered rows each have their text.
const MIN_NUMBERS: usize = 8;

/// A column of these many numbers or more is a margin's count though each line has its text:
/// a page of a bill or a pleading, where tables seldom number so many rows.
const MANY_NUMBERS: usize = 15;

/// How far apart (in points) the edges of one column of numbers may be.
const ALIGNED_PT: f32 = 1.5;

/// A number with at most one letter beside it (a proof's "S32", "R33" marks its last lines).
fn number_of(text: &str) -> Option<u32> {
    let t = text.trim();
    let t = t.strip_prefix(|c: char| c.is_ascii_alphabetic()).unwrap_or(t);
    let t = t.strip_suffix(|c: char| c.is_ascii_alphabetic()).unwrap_or(t);
    (!t.is_empty() && t.len() <= 3 && t.bytes().all(|b| b.is_ascii_digit())).then(|| t.parse().ok()).flatten()
}

/// One page's column of margin numbers: which side of the text it is on, where, its first
/// number, and its runs.
struct Column {
    left: bool,
    x: f32,
    first: u32,
    runs: Vec<usize>,
}

/// The columns of numbers on a page that count down it one by one at a steady pitch, with no
/// other text beyond them on their lines' heights: the page's margin.
fn columns(runs: &[Run]) -> Vec<Column> {
    let numbers: Vec<(usize, u32)> = runs
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.hidden && r.sideways.is_none())
        .filter_map(|(i, r)| number_of(&r.text).map(|n| (i, n)))
        .collect();
    let mut found: Vec<Column> = Vec::new();
    if numbers.len() < MIN_NUMBERS {
        return found;
    }
    // Numbers of one to three digits line up on their right edge, or (less often) their left.
    let mut groups: Vec<Vec<(usize, u32)>> = Vec::new();
    for by_left in [false, true] {
        let edge = |i: usize| if by_left { runs[i].x } else { runs[i].end_x };
        let mut by_edge = numbers.clone();
        by_edge.sort_by(|a, b| edge(a.0).total_cmp(&edge(b.0)));
        groups.extend(by_edge.chunk_by(|a, b| edge(b.0) - edge(a.0) <= ALIGNED_PT).map(<[_]>::to_vec));
    }
    // The longest count first: right-aligned 1–9 and 10–33 are one left-aligned column.
    groups.sort_by_key(|g| std::cmp::Reverse(g.len()));
    let mut taken: Vec<usize> = Vec::new();
    for mut column in groups.into_iter().filter(|g| g.len() >= MIN_NUMBERS) {
        column.sort_by(|a, b| runs[b.0].y.total_cmp(&runs[a.0].y));
        if column.iter().any(|(i, _)| taken.contains(i)) || !counted(runs, &column) {
            continue;
        }
        let indices: Vec<usize> = column.iter().map(|(i, _)| *i).collect();
        let alone = indices.iter().filter(|i| alone(runs, **i)).count();
        if indices.len() < MANY_NUMBERS && alone * 4 < indices.len() {
            continue;
        }
        if let Some(left) = margin_side(runs, &indices) {
            taken.extend(&indices);
            found.push(Column { left, x: runs[column[0].0].x, first: column[0].1, runs: indices });
        }
    }
    found
}

/// Whether nothing else is set at the height of this run.
fn alone(runs: &[Run], i: usize) -> bool {
    let r = &runs[i];
    !runs.iter().enumerate().any(|(j, o)| j != i && !o.hidden && (o.y - r.y).abs() < 0.5 * r.size)
}

/// Whether these numbers, top to bottom, go up by one at an even pitch: by more where a
/// number is set apart ("In16", a proof's mark beside it), as far down as the count says.
fn counted(runs: &[Run], column: &[(usize, u32)]) -> bool {
    let steps: Vec<(f32, u32)> =
        column.windows(2).map(|w| (runs[w[0].0].y - runs[w[1].0].y, w[1].1.wrapping_sub(w[0].1))).collect();
    let mut pitches: Vec<f32> = steps.iter().filter(|(_, n)| *n == 1).map(|(dy, _)| *dy).collect();
    if pitches.len() * 2 < steps.len() || steps.iter().any(|(_, n)| *n == 0 || *n > 3) {
        return false;
    }
    pitches.sort_by(f32::total_cmp);
    let pitch = pitches[pitches.len() / 2];
    pitch > 0.0 && steps.iter().all(|(dy, n)| (dy - *n as f32 * pitch).abs() <= 0.2 * pitch)
}

/// Which side of the page's text the column is on (true: left), if next to nothing else is set
/// beyond it between its first and last numbers: a margin, not a table's first column. Its edges are
/// its numbers' middle ones: a letter beside the last ("R33") may stand out.
fn margin_side(runs: &[Run], column: &[usize]) -> Option<bool> {
    let middle = |mut v: Vec<f32>| {
        v.sort_by(f32::total_cmp);
        v[v.len() / 2]
    };
    let ys = || column.iter().map(|i| runs[*i].y);
    let (top, bottom) = (ys().fold(f32::NEG_INFINITY, f32::max), ys().fold(f32::INFINITY, f32::min));
    let from = middle(column.iter().map(|i| runs[*i].x).collect());
    let to = middle(column.iter().map(|i| runs[*i].end_x).collect());
    let others: Vec<&Run> =
        runs.iter().enumerate().filter(|(i, r)| !r.hidden && !column.contains(i)).map(|(_, r)| r).collect();
    let beside: Vec<&&Run> = others.iter().filter(|r| r.y <= top && r.y >= bottom).collect();
    if others.is_empty() {
        return None;
    }
    let left = from < middle(others.iter().map(|r| r.x).collect());
    // A mark in the margin here and there (a proof's "In" by a line's number) leaves it one.
    let across = beside.iter().filter(|r| if left { r.x < to } else { r.end_x > from }).count();
    (across * 10 <= column.len()).then_some(left)
}

/// Per page, which runs are a margin's line numbers: a column counted the same way (the same
/// side, the same place, the same first number) on two pages or more. A table's numbered rows
/// go on counting over its pages; a margin starts again.
pub(super) fn line_numbers(pages: &[PageText]) -> Vec<Vec<bool>> {
    let columns: Vec<Vec<Column>> = pages.iter().map(|p| columns(&p.runs)).collect();
    let key = |c: &Column| (c.left, (c.x / 2.0).round() as i32, c.first);
    let mut pages_of: HashMap<(bool, i32, u32), usize> = HashMap::new();
    for c in columns.iter().flatten() {
        *pages_of.entry(key(c)).or_default() += 1;
    }
    pages
        .iter()
        .zip(&columns)
        .map(|(page, cs)| {
            let mut drop = vec![false; page.runs.len()];
            for i in cs.iter().filter(|c| pages_of[&key(c)] >= 2).flat_map(|c| &c.runs) {
                drop[*i] = true;
            }
            drop
        })
        .collect()
}
