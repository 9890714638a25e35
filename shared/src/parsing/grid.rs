//! Ruled tables: rules that cross each other form a grid, and the text inside each cell of the
//! grid is that cell, whatever its gaps. Word processors and form writers draw their tables
//! this way; without the rules a header cell set in bold reads as a heading and close columns
//! run together.

use super::layout::{JOINED_RUNS, Run};
use super::paths::{Rule, Ruling};

/// Rules this close (points) touch, and positions this close are one grid line.
pub(super) const TOUCH: f32 = 2.0;
/// A rule shorter than this is a tick or a corner, not a border.
const MIN_RULE: f32 = 6.0;
/// Boxes of prose (a framed page, a sidebar) are not tables: cells average fewer words.
const MAX_WORDS_PER_CELL: usize = 60;

pub struct RuledTable {
    /// The top of its text, its foot and its sides, for placing the table among the page's lines.
    pub top: f32,
    pub bottom: f32,
    pub left: f32,
    pub right: f32,
    pub rows: Vec<Vec<String>>,
}

/// Union-find over the rules `hs` of `h` and `vs` of `v`, joined where a horizontal and a
/// vertical one cross or touch; each group as indices into `h` and `v`.
fn components(h: &[Rule], v: &[Rule], hs: &[usize], vs: &[usize]) -> Vec<(Vec<usize>, Vec<usize>)> {
    let (h, v): (Vec<Rule>, Vec<Rule>) = (hs.iter().map(|i| h[*i]).collect(), vs.iter().map(|i| v[*i]).collect());
    let n = h.len() + v.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for (i, a) in h.iter().enumerate() {
        for (j, b) in v.iter().enumerate() {
            let crosses = b.x0 >= a.x0 - TOUCH && b.x0 <= a.x1 + TOUCH && a.y0 >= b.y0 - TOUCH && a.y0 <= b.y1 + TOUCH;
            if crosses {
                let (ra, rb) = (root(&mut parent, i), root(&mut parent, h.len() + j));
                parent[ra] = rb;
            }
        }
    }
    let mut groups: std::collections::BTreeMap<usize, (Vec<usize>, Vec<usize>)> = Default::default();
    for i in 0..n {
        let r = root(&mut parent, i);
        let g = groups.entry(r).or_default();
        if i < h.len() { g.0.push(hs[i]) } else { g.1.push(vs[i - h.len()]) }
    }
    groups.into_values().collect()
}

/// Distinct positions, those within `TOUCH` of each other merged, ascending.
fn lines_at(mut at: Vec<f32>) -> Vec<f32> {
    at.sort_by(f32::total_cmp);
    let mut out: Vec<f32> = Vec::new();
    for x in at {
        if out.last().is_none_or(|last| x - last > TOUCH) {
            out.push(x);
        }
    }
    out
}

/// A grid with more than one in this many of its filled cells unruled on every side is a
/// form's boxes among its text, not a table.
const OPEN_CELLS: usize = 3;

/// A head with at least this many empty rows ruled under it is a blank form's table.
const BLANK_ROWS: usize = 2;

/// A row across the whole grid holding this many lines or more is a frame around text.
const FRAME_LINES: usize = 3;
/// At least one in this many of a frame's lines runs across the grid's column lines.
const FRAME_ACROSS: usize = 3;

/// A cell runs on over at most this many rows.
const MAX_SPAN: usize = 3;
/// Baselines this close (points) are one line of a row.
pub(super) const SAME_LINE: f32 = 1.0;
/// The head sits on the first rule: its baseline at most this many type sizes above it.
const HEAD_GAP: f32 = 1.5;
/// Lines of one wrapped cell are set closer than this many type sizes apart; rows of a table
/// ruled only every few rows are set wider.
const ROW_PITCH: f32 = 1.3;

/// The distinct baselines of `ys`, top to bottom: those within `SAME_LINE` of the one above
/// are its line.
fn baselines(ys: impl Iterator<Item = f32>) -> Vec<f32> {
    let mut out: Vec<f32> = ys.collect();
    out.sort_by(|a, b| b.total_cmp(a));
    out.dedup_by(|a, b| (*b - *a).abs() <= SAME_LINE);
    out
}

/// A ruled row that holds several rows of the table (a schedule ruled every third row): every
/// filled cell has text on each of the row's lines, set wider apart than wrapped lines are.
/// Otherwise the row as it is.
pub(super) fn sub_rows(row: Vec<Vec<&Run>>) -> Vec<Vec<Vec<&Run>>> {
    let baselines = baselines(row.iter().flatten().map(|r| r.y));
    let size = row.iter().flatten().map(|r| r.size).fold(0.0, f32::max);
    let filled = row.iter().filter(|c| !c.is_empty()).count();
    let on = |cell: &[&Run], at: f32| cell.iter().any(|r| (r.y - at).abs() <= SAME_LINE);
    let apart = baselines.windows(2).all(|w| w[0] - w[1] >= ROW_PITCH * size);
    let every = row.iter().filter(|c| !c.is_empty()).all(|c| baselines.iter().all(|at| on(c, *at)));
    if baselines.len() < 2 || filled < 2 {
        return vec![row];
    }
    if !apart || !every {
        return keyed_rows(row, &baselines);
    }
    let mut out: Vec<Vec<Vec<&Run>>> = vec![vec![Vec::new(); row.len()]; baselines.len()];
    for (c, cell) in row.into_iter().enumerate() {
        for r in cell {
            out[baseline_of(&baselines, r).unwrap_or(0)][c].push(r);
        }
    }
    out
}

/// A table ruled by columns only (a ledger): one ruled row holds many of its rows, each with a
/// short entry in a key column ("37,499.96", "DHAW20190001") on its first line, and the text
/// of other cells wrapped below it. The key column is the one of short figures (at most
/// `KEY_WORDS` words, with a digit: a wrapped header's words are not keys) on the most
/// baselines, `KEY_ROWS` or more; each of its lines starts a row. Otherwise the row as it is.
fn keyed_rows<'r>(row: Vec<Vec<&'r Run>>, baselines: &[f32]) -> Vec<Vec<Vec<&'r Run>>> {
    let line_of = |r: &Run| baseline_of(baselines, r);
    let lines_of = |cell: &[&Run]| -> Option<Vec<f32>> {
        let mut words = vec![0usize; baselines.len()];
        let mut figure = vec![false; baselines.len()];
        for r in cell {
            let i = line_of(r)?;
            words[i] += r.text.split_whitespace().count();
            figure[i] |= r.text.contains(|c: char| c.is_ascii_digit());
        }
        let keyed = (0..baselines.len()).all(|i| words[i] <= KEY_WORDS && (words[i] == 0 || figure[i]));
        keyed.then(|| (0..baselines.len()).filter(|i| words[*i] > 0).map(|i| baselines[i]).collect())
    };
    let Some(keys) = row.iter().filter_map(|c| lines_of(c)).max_by_key(Vec::len).filter(|k| k.len() >= KEY_ROWS) else {
        return spaced_rows(row);
    };
    // A run belongs to the last key line at or above it.
    let row_of = |r: &Run| keys.partition_point(|at| *at >= r.y - SAME_LINE).saturating_sub(1);
    let mut out: Vec<Vec<Vec<&Run>>> = vec![vec![Vec::new(); row.len()]; keys.len()];
    for (c, cell) in row.into_iter().enumerate() {
        for r in cell {
            out[row_of(r)][c].push(r);
        }
    }
    out
}

/// Space between two rows beyond the lines' leading, as a share of the type size.
const ROW_SPACE: f32 = 0.25;
/// Gaps between lines within this share of the type size of the leading are the leading.
const LEADING_SLACK: f32 = 0.1;

/// A ruled row that holds rows set apart by space (a table ruled only under its head and at
/// its foot, each entry wrapped over lines): its lines, superscripts aside, are one leading
/// apart, or a leading and some space where a row ends; every row so found fills two cells or
/// more. Otherwise the row as it is.
fn spaced_rows(row: Vec<Vec<&Run>>) -> Vec<Vec<Vec<&Run>>> {
    let mut sizes: Vec<f32> = row.iter().flatten().map(|r| r.size).collect();
    sizes.sort_by(f32::total_cmp);
    let Some(size) = sizes.get(sizes.len() / 2).copied() else {
        return vec![row];
    };
    // A footnote mark set small and raised is not a line of its own.
    let full = |r: &Run| r.size >= 0.85 * size;
    let baselines = baselines(row.iter().flatten().filter(|r| full(r)).map(|r| r.y));
    let gaps: Vec<f32> = baselines.windows(2).map(|w| w[0] - w[1]).collect();
    let Some(leading) = gaps.iter().copied().reduce(f32::min) else {
        return vec![row];
    };
    let ends: Vec<bool> = gaps.iter().map(|g| *g >= leading + ROW_SPACE * size).collect();
    let plain = gaps.iter().zip(&ends).all(|(g, end)| *end || *g <= leading + LEADING_SLACK * size);
    // Lines closer than the type is tall are one line set in pieces (a centred cell beside a
    // wrapped one), not a leading.
    if !plain || !ends.contains(&true) || leading < 0.9 * size {
        return vec![row];
    }
    let mut first_of = vec![0usize];
    first_of.extend(ends.iter().scan(0, |k, end| {
        *k += usize::from(*end);
        Some(*k)
    }));
    let nearest = |r: &Run| {
        let i = baselines.partition_point(|at| *at > r.y);
        [i.checked_sub(1), (i < baselines.len()).then_some(i)]
            .into_iter()
            .flatten()
            .min_by(|a, b| (baselines[*a] - r.y).abs().total_cmp(&(baselines[*b] - r.y).abs()))
            .unwrap_or(0)
    };
    let mut out: Vec<Vec<Vec<&Run>>> = vec![vec![Vec::new(); row.len()]; first_of[first_of.len() - 1] + 1];
    for (c, cell) in row.iter().enumerate() {
        for r in cell {
            out[first_of[nearest(r)]][c].push(*r);
        }
    }
    if out.iter().any(|cells| cells.iter().filter(|c| !c.is_empty()).count() < 2) {
        return vec![row];
    }
    out
}

/// Which of a row's baselines (top to bottom, deduplicated) a run sits on, by bisection: a tall
/// row of many lines stays n log n.
fn baseline_of(baselines: &[f32], r: &Run) -> Option<usize> {
    let i = baselines.partition_point(|at| *at > r.y + SAME_LINE);
    (i < baselines.len() && (baselines[i] - r.y).abs() <= SAME_LINE).then_some(i)
}

/// A key column's entry has at most this many words on a line,
const KEY_WORDS: usize = 3;
/// and a ruled row holds at least this many of them to be read as a ledger.
const KEY_ROWS: usize = 3;

/// A table's head, ruled under, is at most this many type sizes tall.
const HEAD_LINES: f32 = 2.5;

/// An open side's column is at most this share of the table's width.
const OPEN_SIDE: f32 = 0.3;

/// Adds an edge past the first or last of `edges` where most of the crossing rules (as their
/// from-to spans, and whether each is inside the table, neither its top nor its foot) run on
/// past it and end together; `framed`: the rules along the edges run from the first crossing
/// rule to the last, as a table's inner rules do. Says whether a side as wide as most of the
/// table was added so.
fn open_sides(edges: &mut Vec<f32>, spans: impl Iterator<Item = (f32, f32, bool)>, framed: bool) -> bool {
    let spans: Vec<(f32, f32, bool)> = spans.collect();
    let (first, last) = (edges[0], edges[edges.len() - 1]);
    let before = lines_at(spans.iter().map(|s| s.0).filter(|x| *x < first - MIN_RULE).collect());
    let after = lines_at(spans.iter().map(|s| s.1).filter(|x| *x > last + MIN_RULE).collect());
    // Most of the rows reach it: a form's sections ruled across the page beside boxes ruled
    // only within them do not make a column of the page's margin.
    let needed = (spans.len() / 2).max(2);
    // A side that only the table's top and foot reach is one box beside all its rows (a form's
    // "Step 1: Enter Personal Information" beside its name and address boxes), not a column.
    let together = |at: f32, end: fn(&(f32, f32, bool)) -> f32| {
        let reach: Vec<&(f32, f32, bool)> = spans.iter().filter(|s| (end(s) - at).abs() <= TOUCH).collect();
        reach.len() >= needed && reach.iter().any(|s| s.2)
    };
    let start = before.first().copied().filter(|at| together(*at, |s| s.0));
    let end = after.last().copied().filter(|at| together(*at, |s| s.1));
    let span = end.unwrap_or(last) - start.unwrap_or(first);
    // A side as wide as most of the table is the page's text beside a ruled box (a form's
    // amount column), not a column of row names; unless the table is open on both sides, its
    // rules ending together at both and its inner rules running its whole height (a table
    // ruled only under its head and at its ends, "For this type of account: | Give name and
    // SSN of:").
    let both = framed && start.is_some() && end.is_some();
    let narrow_start = start.is_some_and(|at| first - at <= OPEN_SIDE * span);
    let narrow_end = end.is_some_and(|at| at - last <= OPEN_SIDE * span);
    if let Some(at) = start.filter(|_| both || narrow_start) {
        edges.insert(0, at);
    }
    if let Some(at) = end.filter(|_| both || narrow_end) {
        edges.push(at);
    }
    both && !(narrow_start && narrow_end)
}

/// The grid's first row holds text at most `HEAD_LINES` type sizes tall.
fn head_row(xs: &[f32], ys: &[f32], runs: &[Run]) -> bool {
    let (Some(left), Some(right), [.., under, top]) = (xs.first(), xs.last(), ys) else {
        return false;
    };
    let size = runs
        .iter()
        .filter(|r| r.x >= *left && r.x <= *right && r.y > *under && r.y < *top)
        .map(|r| r.size)
        .fold(0.0, f32::max);
    size > 0.0 && top - under <= HEAD_LINES * size
}

/// Each grid line's rules, as their spans along it, from (position, from, to) of each rule: a
/// check then costs the rules on one line, not all.
fn spans_on(lines: &[f32], rules: impl Iterator<Item = (f32, f32, f32)>) -> Vec<Vec<(f32, f32)>> {
    let mut out = vec![Vec::new(); lines.len()];
    for (at, from, to) in rules {
        let k = lines.partition_point(|l| *l < at - TOUCH);
        if k < lines.len() && (lines[k] - at).abs() <= TOUCH {
            out[k].push((from, to));
        }
    }
    out
}

/// Some span covers at least half of `from..to`.
fn covers(spans: &[(f32, f32)], from: f32, to: f32) -> bool {
    spans.iter().any(|(a, b)| b.min(to) - a.max(from) >= 0.5 * (to - from))
}

/// A checkbox's sides are at most this long (points).
const CHECKBOX: f32 = 12.0;

/// The rules less the sides of checkboxes: a short rule whose both ends meet short rules across
/// it. A checkbox set against a table's border would join the grid and add a row or a column
/// that is not there (the 1040's "Filing Status" boxes under its name and address table).
fn without_checkboxes(h: Vec<Rule>, v: Vec<Rule>) -> (Vec<Rule>, Vec<Rule>) {
    let short = |r: &Rule| (r.x1 - r.x0).max(r.y1 - r.y0) <= CHECKBOX;
    let near = |a: f32, b: f32| (a - b).abs() <= TOUCH;
    let hs: Vec<&Rule> = h.iter().filter(|r| short(r)).collect();
    let vs: Vec<&Rule> = v.iter().filter(|r| short(r)).collect();
    // A horizontal side: a short upright at each end, each running from it.
    let boxed_h = |a: &Rule| {
        let at = |x: f32| vs.iter().any(|b| near(b.x0, x) && (near(b.y0, a.y0) || near(b.y1, a.y0)));
        at(a.x0) && at(a.x1)
    };
    let boxed_v = |b: &Rule| {
        let at = |y: f32| hs.iter().any(|a| near(a.y0, y) && (near(a.x0, b.x0) || near(a.x1, b.x0)));
        at(b.y0) && at(b.y1)
    };
    let h = h.iter().filter(|r| !(short(r) && boxed_h(r))).copied().collect();
    let v = v.iter().filter(|r| !(short(r) && boxed_v(r))).copied().collect();
    (h, v)
}

/// A page splits its frames into panels at most this many times.
const MAX_SPLITS: usize = 64;

/// A frame around panels set side by side (a price list beside its charts), not a table: the
/// rules inside it each cross one column of text only, so no row runs across the columns.
/// The columns that hold text, if so.
fn panels(xs: &[f32], ys: &[f32], on_line: &[Vec<(f32, f32)>], cells: &[Vec<Vec<&Run>>]) -> Option<Vec<usize>> {
    let texts: Vec<usize> = (0..xs.len() - 1).filter(|c| cells.iter().any(|row| !row[*c].is_empty())).collect();
    let inner = &on_line[1..ys.len() - 1];
    let apart = inner.iter().all(|spans| texts.iter().filter(|c| covers(spans, xs[**c], xs[**c + 1])).count() < 2);
    (texts.len() >= 2 && !inner.is_empty() && apart).then_some(texts)
}

/// Boxes stacked at most this deep over a table are a header's.
const HEADER_BOXES_DEEP: usize = 4;

/// A grid's top line that rules less than half the grid's width, with rules running on up
/// past it, is the foot of a box in a form's header (the W-4's OMB number over its year), not
/// the top of a table: the header's title and lines are the page's, read before the table, and
/// the grid starts at the next line down. Drops such lines from `hs`, and from `vs` the rules
/// wholly above what is left.
fn without_header_boxes(h: &[Rule], v: &[Rule], hs: &mut Vec<usize>, vs: &mut Vec<usize>) {
    let mid = |r: &Rule| (r.y0 + r.y1) / 2.0;
    // A header holds boxes a few deep; each pass costs a pass over the rules.
    for _ in 0..HEADER_BOXES_DEEP {
        let ys = lines_at(hs.iter().map(|i| mid(&h[*i])).collect());
        // Three lines at least must stay for a grid.
        let [.., next, top] = ys[..] else { return };
        if ys.len() < 4 || !vs.iter().any(|i| v[*i].y1 > top + TOUCH) {
            return;
        }
        let left = hs.iter().map(|i| h[*i].x0).fold(f32::MAX, f32::min);
        let right = hs.iter().map(|i| h[*i].x1).fold(f32::MIN, f32::max);
        let mut spans: Vec<(f32, f32)> =
            hs.iter().filter(|i| (mid(&h[**i]) - top).abs() <= TOUCH).map(|i| (h[*i].x0, h[*i].x1)).collect();
        spans.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (mut ruled, mut reach) = (0.0, f32::MIN);
        for (from, to) in spans {
            ruled += (to - from.max(reach)).max(0.0);
            reach = reach.max(to);
        }
        if 2.0 * ruled >= right - left {
            return;
        }
        hs.retain(|i| mid(&h[*i]) < top - TOUCH);
        vs.retain(|i| v[*i].y0 < next - TOUCH);
    }
}

/// The ruled tables of a page, and for each run whether a table took it.
pub fn ruled_tables(
    ruling: &Ruling,
    runs: &[Run],
    cell_text: impl Fn(Vec<&Run>) -> String,
) -> (Vec<RuledTable>, Vec<bool>) {
    let mut taken = vec![false; runs.len()];
    // A border drawn cell by cell is one rule: a middle row's pieces touch no crossing rule.
    let long = |r: &Rule| (r.x1 - r.x0).max(r.y1 - r.y0) >= MIN_RULE;
    let h: Vec<Rule> = ruling.across.iter().copied().filter(long).collect();
    let v: Vec<Rule> = ruling.down.iter().copied().filter(long).collect();
    if h.len() < 3 || v.is_empty() || h.len() * v.len() > 4_000_000 {
        return (Vec::new(), taken);
    }
    let (h, v) = without_checkboxes(h, v);
    let mut tables = Vec::new();
    let all = |n: usize| (0..n).collect::<Vec<usize>>();
    // Popped from the end: reversed, the groups are read in their first order.
    let mut work = components(&h, &v, &all(h.len()), &all(v.len()));
    work.reverse();
    let mut splits = 0;
    while let Some((mut hs, mut vs)) = work.pop() {
        without_header_boxes(&h, &v, &mut hs, &mut vs);
        let ys = lines_at(hs.iter().map(|i| (h[*i].y0 + h[*i].y1) / 2.0).collect());
        let mut xs = lines_at(vs.iter().map(|i| (v[*i].x0 + v[*i].x1) / 2.0).collect());
        // An open side (a first column without a border at its left): the rules that run past
        // the outer border across end where the table does. Rules running on past the top are
        // a form's boxes above it more often than a table's head.
        if let (Some(low), Some(high)) = (ys.first().copied(), ys.last().copied())
            && !xs.is_empty()
        {
            let framed = vs.iter().all(|i| v[*i].y0 <= low + TOUCH && v[*i].y1 >= high - TOUCH);
            let inner = |r: &Rule| (r.y0 - low).abs() > TOUCH && (r.y0 - high).abs() > TOUCH;
            let spans = || hs.iter().map(|i| (h[*i].x0, h[*i].x1, inner(&h[*i])));
            let mut wide = xs.clone();
            // Wide open sides are a table's only when its first row is a head of a line or
            // two; a form's sections ruled across the page beside its amount boxes are not.
            if framed && open_sides(&mut wide, spans(), true) && head_row(&wide, &ys, runs) {
                xs = wide;
            } else {
                open_sides(&mut xs, spans(), false);
            }
        }
        if ys.len() < 3 || xs.len() < 3 {
            continue;
        }
        let (left, right, bottom, top) = (xs[0], xs[xs.len() - 1], ys[0], ys[ys.len() - 1]);
        // Rows top to bottom; a run belongs to the cell its first glyph sits in.
        let mut cells: Vec<Vec<Vec<&Run>>> = vec![vec![Vec::new(); xs.len() - 1]; ys.len() - 1];
        let mut inside = Vec::new();
        for (i, r) in runs.iter().enumerate() {
            let (x, y) = (r.x + 0.5, r.y + 0.25 * r.size);
            if taken[i] || x < left || x > right || y < bottom || y > top {
                continue;
            }
            let col = column(&xs, x);
            let row = ys.len() - 2 - ys.partition_point(|e| *e <= y).saturating_sub(1).min(ys.len() - 2);
            cells[row][col].push(r);
            inside.push((i, row));
        }
        let on_line = spans_on(&ys, hs.iter().map(|i| (h[*i].y0, h[*i].x0, h[*i].x1)));
        if let Some(columns) = panels(&xs, &ys, &on_line, &cells) {
            // Each panel is read on its own: a table may still be ruled inside one. Frames
            // nested without end (a crafted file) stop being split, each split costing a pass
            // over the rules.
            splits += 1;
            for c in columns.into_iter().filter(|_| splits <= MAX_SPLITS) {
                let (from, to) = (xs[c] - TOUCH, xs[c + 1] + TOUCH);
                let hs: Vec<usize> = hs.iter().copied().filter(|i| h[*i].x0 >= from && h[*i].x1 <= to).collect();
                let vs: Vec<usize> = vs.iter().copied().filter(|i| v[*i].x0 >= from && v[*i].x1 <= to).collect();
                work.extend(components(&h, &v, &hs, &vs).into_iter().rev());
            }
            continue;
        }
        let beside = spans_on(&xs, vs.iter().map(|i| (v[*i].x0, v[*i].y0, v[*i].y1)));
        // A word drawn in pieces across a column's line where no rule divides the row (a merged
        // cell's centred "Europe" as "Eur" + "ope") stays whole, in the cell it starts in.
        for (row, line) in cells.iter_mut().enumerate() {
            let (from, to) = (ys[ys.len() - 2 - row], ys[ys.len() - 1 - row]);
            for col in 1..line.len() {
                if covers(&beside[col], from, to) {
                    continue;
                }
                let glued = |a: &Run, c: &Run| {
                    (a.y - c.y).abs() < 1.0
                        && (c.x - a.end_x).abs() < JOINED_RUNS * c.size
                        && !a.text.ends_with(' ')
                        && !c.text.starts_with(' ')
                };
                // Left to right, so that a chain moves whole in one pass: "o" joins "Eur", then
                // "pe" joins "o". The cell keeps its own order for what stays.
                let mut order: Vec<usize> = (0..line[col].len()).collect();
                order.sort_by(|a, b| line[col][*a].x.total_cmp(&line[col][*b].x));
                let mut moved = vec![false; line[col].len()];
                for at in order {
                    let piece = line[col][at];
                    if line[col - 1].iter().any(|a| glued(a, piece)) {
                        line[col - 1].push(piece);
                        moved[at] = true;
                    }
                }
                let mut at = 0;
                line[col].retain(|_| {
                    at += 1;
                    !moved[at - 1]
                });
            }
        }
        // A cell with no rule under it runs on into the row below (a header set over two
        // rows): its text is read as one, in its top row.
        let ruled_under = |row: usize, col: usize| covers(&on_line[ys.len() - 2 - row], xs[col], xs[col + 1]);
        // Boxes that touch a table's border join its grid, and their lines cross the page's text
        // beside them: a cell with no rule on any side is that text (a form's line items beside
        // their amount boxes), not a cell.
        // How many of a cell's sides are ruled.
        let sides = |row: usize, col: usize| {
            let (from, to) = (ys[ys.len() - 2 - row], ys[ys.len() - 1 - row]);
            let over = covers(&on_line[ys.len() - 1 - row], xs[col], xs[col + 1]);
            [ruled_under(row, col), over, covers(&beside[col], from, to), covers(&beside[col + 1], from, to)]
                .into_iter()
                .filter(|s| *s)
                .count()
        };
        let filled_cells: Vec<(usize, usize)> = (0..cells.len())
            .flat_map(|row| (0..xs.len() - 1).map(move |col| (row, col)))
            .filter(|(row, col)| !cells[*row][*col].is_empty())
            .collect();
        let open = filled_cells.iter().filter(|(row, col)| sides(*row, *col) == 0).count();
        // Such a grid may still hold a table in the rows whose every cell is ruled on two sides
        // or more: the blank table of dependents the 1040's amount boxes hang from, above its
        // line items.
        let bands: Vec<(usize, usize)> = if open * OPEN_CELLS > filled_cells.len() {
            let closed: Vec<bool> = (0..cells.len())
                .map(|row| (0..xs.len() - 1).all(|col| cells[row][col].is_empty() || sides(row, col) >= 2))
                .collect();
            let mut out = Vec::new();
            let mut from = None;
            for row in 0..=cells.len() {
                match (closed.get(row).copied().unwrap_or(false), from) {
                    (true, None) => from = Some(row),
                    (false, Some(lo)) => {
                        out.push((lo, row));
                        from = None;
                    }
                    _ => {}
                }
            }
            out
        } else {
            vec![(0, cells.len())]
        };
        // Rows no inner rule crosses, holding several lines, are a frame around text (a
        // certificate's header of addresses and notices over its table of coverages), not rows
        // of the table: read as the page's text, they part the table's bands. Such rows next to
        // each other are one frame (a tick in the margin may draw a line through it).
        let open_row = |row: usize| {
            let (from, to) = (ys[ys.len() - 2 - row], ys[ys.len() - 1 - row]);
            (1..xs.len() - 1).all(|col| !covers(&beside[col], from, to))
        };
        let mut frames = vec![false; cells.len()];
        let mut row = 0;
        while row < cells.len() {
            let end = (row..cells.len()).find(|r| !open_row(*r)).unwrap_or(cells.len());
            let lines = baselines(cells[row..end].iter().flatten().flatten().map(|r| r.y)).len();
            let across = lines_across(&cells[row..end], &xs[1..xs.len() - 1]);
            if lines >= FRAME_LINES && across * FRAME_ACROSS >= lines {
                frames[row..end].iter_mut().for_each(|f| *f = true);
            }
            row = end + 1;
        }
        let bands: Vec<(usize, usize)> = bands
            .into_iter()
            .flat_map(|(lo, hi)| {
                let mut parts = Vec::new();
                let mut start = lo;
                for row in lo..=hi {
                    if row == hi || frames.get(row) == Some(&true) {
                        if row > start {
                            parts.push((start, row));
                        }
                        start = row + 1;
                    }
                }
                parts
            })
            .collect();
        for (lo, hi) in bands {
            let mut band: Vec<Vec<Vec<&Run>>> = cells[lo..hi].to_vec();
            // A longer stretch without rules is a form's unruled margin (its dot leaders), read
            // row by row.
            for col in 0..xs.len() - 1 {
                let mut start = 0;
                for row in 1..=band.len() {
                    if row < band.len() && !ruled_under(lo + row - 1, col) {
                        continue;
                    }
                    if row - start <= MAX_SPAN {
                        for below in start + 1..row {
                            let moved = std::mem::take(&mut band[below][col]);
                            band[start][col].extend(moved);
                        }
                    }
                    start = row;
                }
            }
            let mut rows: Vec<Vec<String>> = band
                .into_iter()
                .flat_map(sub_rows)
                .map(|row| row.into_iter().map(&cell_text).collect::<Vec<String>>())
                .filter(|row| row.iter().any(|c| !c.is_empty()))
                .collect();
            // A head over the grid's top rule, with no rule over it (set on its own shading).
            let head = if lo == 0 {
                let starts: Vec<f32> = (0..xs.len() - 1)
                    .map(|c| cells[lo..hi].iter().flat_map(|row| &row[c]).map(|r| r.x).fold(f32::INFINITY, f32::min))
                    .collect();
                head_of_grid(runs, &taken, &xs, top, &starts)
            } else {
                Vec::new()
            };
            let body_rows = rows.len();
            if !head.is_empty() {
                let mut named: Vec<Vec<&Run>> = vec![Vec::new(); xs.len() - 1];
                for i in &head {
                    named[column(&xs, runs[*i].x + 0.5)].push(&runs[*i]);
                }
                rows.insert(0, named.into_iter().map(&cell_text).collect());
            }
            let used: Vec<bool> = (0..xs.len() - 1).map(|c| rows.iter().any(|r| !r[c].is_empty())).collect();
            for row in &mut rows {
                let mut c = 0;
                row.retain(|_| {
                    c += 1;
                    used[c - 1]
                });
            }
            let filled: Vec<&String> = rows.iter().flatten().filter(|c| !c.is_empty()).collect();
            let words: usize = filled.iter().map(|c| c.split_whitespace().count()).sum();
            let columns = used.iter().filter(|u| **u).count();
            // A blank form's table: its head over rows ruled for filling in.
            let blank = body_rows == 1 && hi - lo > BLANK_ROWS;
            if (body_rows < 2 && !blank) || columns < 2 || words > MAX_WORDS_PER_CELL * filled.len().max(1) {
                continue;
            }
            // Its top is its first text's: empty rows over it (a form's boxes ruled up the
            // page beside other text) would place it above that text.
            let mut text_top = f32::MIN;
            let rows_in = inside.iter().filter(|(_, row)| (lo..hi).contains(row)).map(|(i, _)| i);
            for i in rows_in.chain(&head) {
                taken[*i] = true;
                text_top = text_top.max(runs[*i].y + runs[*i].size);
            }
            let top = ys[ys.len() - 1 - lo].min(text_top);
            let bottom = ys[ys.len() - 1 - hi];
            tables.push(RuledTable { top, bottom, left, right, rows });
        }
    }
    (tables, taken)
}

/// How many of the rows' lines run on over one of the grid's inner lines `inner`: a run
/// across it, or two a word's space apart on either side. Unruled rows of a table keep their
/// text to its columns (a schedule's unshaded rows, a ledger's entries under its ruled head,
/// but for a long description here and there); a frame's sentences do not.
fn lines_across(rows: &[Vec<Vec<&Run>>], inner: &[f32]) -> usize {
    let mut runs: Vec<&Run> = rows.iter().flatten().flatten().copied().collect();
    runs.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x.total_cmp(&b.x)));
    let over = |from: f32, to: f32| inner.iter().any(|x| from < x - TOUCH && to > x + TOUCH);
    let one_run = runs.iter().filter(|r| over(r.x, r.end_x)).map(|r| r.y);
    let two_runs = runs
        .windows(2)
        .filter(|w| {
            (w[0].y - w[1].y).abs() <= SAME_LINE
                && w[1].x - w[0].end_x < WORD_SPACE * w[1].size
                && over(w[0].end_x - 2.0 * TOUCH, w[1].x + 2.0 * TOUCH)
        })
        .map(|w| w[0].y);
    baselines(one_run.chain(two_runs)).len()
}

/// The widest space (in type sizes) between two words of a sentence.
const WORD_SPACE: f32 = 0.6;

/// The column of the grid's lines `xs` that `x` lies in.
fn column(xs: &[f32], x: f32) -> usize {
    xs.partition_point(|e| *e <= x).saturating_sub(1).min(xs.len() - 2)
}

/// A grid's head line over its top rule: one bold line whose words start in two of its columns
/// or more, each where the column's text starts (`starts`): "Finding your way around", "Page"
/// and "Page" over a contents table of four columns. A line of the table's own style there is
/// a row whose rule the shading replaces, which the lines over the grid may read with the rows
/// above it; a head centred over two columns may name either.
fn head_of_grid(runs: &[Run], taken: &[bool], xs: &[f32], top: f32, starts: &[f32]) -> Vec<usize> {
    let (left, right) = (xs[0], xs[xs.len() - 1]);
    let mut at: Vec<(f32, usize)> = (0..runs.len())
        .filter(|i| !taken[*i] && !runs[*i].text.trim().is_empty())
        .map(|i| (runs[i].y + 0.25 * runs[i].size, i))
        .collect();
    at.sort_by(|a, b| b.0.total_cmp(&a.0));
    let inside = |r: &Run| r.x >= left - TOUCH && r.end_x <= right + TOUCH;
    let head = head_over(runs, &at, top, &inside);
    let mut by_x: Vec<&Run> = head.iter().map(|i| &runs[*i]).collect();
    by_x.sort_by(|a, b| a.x.total_cmp(&b.x));
    let cols: Vec<usize> = by_x.iter().map(|r| column(xs, r.x + 0.5)).collect();
    // Each column's head stands apart from the one before: a line that runs on across a
    // column's line (a box's last sentence, its style changing mid-way) is no head.
    let apart = by_x.windows(2).zip(cols.windows(2)).all(|(r, c)| c[0] == c[1] || r[1].x - r[0].end_x >= r[1].size);
    let named = cols.windows(2).filter(|c| c[0] != c[1]).count() + 1;
    let aligned = by_x
        .iter()
        .zip(&cols)
        .enumerate()
        .all(|(k, (r, c))| (k > 0 && cols[k - 1] == *c) || (r.x - starts[*c]).abs() <= 0.8 * r.size);
    if named >= 2 && apart && aligned && by_x.iter().all(|r| r.bold) { head } else { Vec::new() }
}

/// The head set on a table's first rule: one line at most `HEAD_GAP` sizes over it, clear of
/// the text above.
pub(super) fn head_over(runs: &[Run], at: &[(f32, usize)], rule: f32, inside: &impl Fn(&Run) -> bool) -> Vec<usize> {
    let near: Vec<usize> = at
        .iter()
        .map(|(_, i)| *i)
        .filter(|i| {
            let r = &runs[*i];
            r.y > rule && r.y - rule <= HEAD_GAP * r.size && inside(r)
        })
        .collect();
    let Some(low) = near.iter().map(|i| runs[*i].y).min_by(f32::total_cmp) else {
        return Vec::new();
    };
    let line: Vec<usize> = near.into_iter().filter(|i| runs[*i].y - low <= SAME_LINE).collect();
    // A title's last line over the rule is not a head: a head stands clear of the text above.
    let size = line.iter().map(|i| runs[*i].size).fold(0.0, f32::max);
    let crowded =
        at.iter().map(|(_, i)| &runs[*i]).any(|r| r.y > low + SAME_LINE && r.y - low <= HEAD_GAP * size && inside(r));
    if crowded { Vec::new() } else { line }
}
