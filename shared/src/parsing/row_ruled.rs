//! Tables ruled across only: a rule under the head and one under each row, none down (the AAMI
//! PDS's "What we cover | What we exclude"). The columns are where no text crosses from the head
//! to the foot. Each row's cells hold several lines set on their own baselines: read across,
//! they interleave line by line ("… normal upkeep or at your premises. any gradual cause."),
//! read as a table each cell keeps its lines.

use super::grid::{RuledTable, SAME_LINE, TOUCH, head_over, sub_rows};
use super::layout::Run;
use super::paths::{Rule, Ruling};

/// A row's rule is at least this long (points): shorter ones underline words or fields.
const MIN_WIDTH: f32 = 144.0;
/// Rules tried on one page at most: a hostile page may draw thousands.
const MAX_RULES: usize = 256;
/// Gaps tried as gutters at most.
const MAX_GAPS: usize = 64;
/// Columns are parted by at least this share of the type size.
const GUTTER: f32 = 0.8;
/// Cells average at most this many words: more is prose set between rules.
const MAX_WORDS_PER_CELL: usize = 60;
/// Cells of a row share fewer baselines than this.
const SHARED_LINES: usize = 3;
/// Words on a cell's line are set closer than this many type sizes apart.
const INNER_GAP: f32 = 1.2;
/// A cell's lines stand at most this many type sizes apart.
const SPREAD: f32 = 2.5;
/// A rule this high over a baseline, in type sizes, strikes through the letters.
const STRUCK: f32 = 0.5;

/// The page's tables ruled across only, among the runs not `taken` yet (which it marks).
pub fn row_ruled_tables(
    ruling: &Ruling,
    runs: &[Run],
    taken: &mut [bool],
    cell_text: impl Fn(Vec<&Run>) -> String,
) -> Vec<RuledTable> {
    let mut rules: Vec<&Rule> = ruling.across.iter().filter(|r| r.x1 - r.x0 >= MIN_WIDTH).take(MAX_RULES).collect();
    if rules.len() < 3 {
        return Vec::new();
    }
    rules.sort_by(|a, b| b.y0.total_cmp(&a.y0));
    // Rules of one extent, top down; a double rule is one.
    let mut stacks: Vec<Vec<&Rule>> = Vec::new();
    for r in rules {
        let same = |s: &&mut Vec<&Rule>| (s[0].x0 - r.x0).abs() <= TOUCH && (s[0].x1 - r.x1).abs() <= TOUCH;
        match stacks.iter_mut().find(same) {
            Some(s) if s[s.len() - 1].y0 - r.y0 > TOUCH => s.push(r),
            Some(_) => {}
            None => stacks.push(vec![r]),
        }
    }
    // Visible runs by where they sit (a little above the baseline), top down.
    let mut at: Vec<(f32, usize)> = (0..runs.len())
        .filter(|i| !taken[*i] && !runs[*i].text.trim().is_empty())
        .map(|i| (runs[i].y + 0.25 * runs[i].size, i))
        .collect();
    at.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut tables = Vec::new();
    // A line struck through text is a band of shading drawn as one thick line (a table's rows
    // shaded in turn) or a strike-out, not the edge of a row.
    let struck = |rule: &Rule| {
        at.iter()
            .map(|(_, i)| &runs[*i])
            .any(|r| r.y < rule.y0 && rule.y0 < r.y + STRUCK * r.size && r.x < rule.x1 && r.end_x > rule.x0)
    };
    for stack in stacks.iter().filter(|s| s.len() >= 3 && !s.iter().any(|r| struck(r))) {
        let (x0, x1) = (stack[0].x0, stack[0].x1);
        let inside = |r: &Run| r.x >= x0 - TOUCH && r.end_x <= x1 + TOUCH;
        let straddles = |r: &Run| [x0, x1].iter().any(|e| r.x < e - TOUCH && r.end_x > e + TOUCH);
        // A band's runs; none when it is empty or text runs out over the rules' ends.
        let band = |upper: f32, lower: f32| -> Option<Vec<usize>> {
            let from = at.partition_point(|(y, _)| *y >= upper);
            let to = at.partition_point(|(y, _)| *y > lower);
            let here: Vec<usize> = at[from..to.max(from)].iter().map(|(_, i)| *i).collect();
            if here.iter().any(|i| straddles(&runs[*i])) {
                return None;
            }
            let inner: Vec<usize> = here.into_iter().filter(|i| inside(&runs[*i])).collect();
            (!inner.is_empty()).then_some(inner)
        };
        let mut bands: Vec<Vec<usize>> = Vec::new();
        let mut first = 0;
        for w in 0..stack.len() {
            let next = (w + 1 < stack.len()).then(|| band(stack[w].y0, stack[w + 1].y0)).flatten();
            match next {
                Some(b) => {
                    if bands.is_empty() {
                        first = w;
                    }
                    bands.push(b);
                }
                None => {
                    if bands.len() >= 2 {
                        let head = head_over(runs, &at, stack[first].y0, &inside);
                        let foot = stack[first + bands.len()].y0;
                        if let Some(t) = table(runs, head, &bands, (x0, x1, foot), taken, &cell_text) {
                            tables.push(t);
                        }
                    }
                    bands.clear();
                }
            }
        }
    }
    tables
}

/// The table of a head (maybe none) and its ruled bands, when gutters part them into columns of
/// words and a cell holds several lines; `frame` is the rules' left and right ends and the foot.
fn table(
    runs: &[Run],
    head: Vec<usize>,
    bands: &[Vec<usize>],
    (left, right, foot): (f32, f32, f32),
    taken: &mut [bool],
    cell_text: &impl Fn(Vec<&Run>) -> String,
) -> Option<RuledTable> {
    let rows: Vec<&[usize]> = std::iter::once(head.as_slice()).chain(bands.iter().map(Vec::as_slice)).collect();
    // The page's runs are listed once for every stack: a table of rules of another extent may
    // have taken some of these since.
    if rows.iter().any(|row| row.iter().any(|i| taken[*i])) {
        return None;
    }
    let edges = column_edges(runs, &rows, left, right)?;
    let cells_of = |row: &[usize]| -> Vec<Vec<&Run>> {
        let mut cells: Vec<Vec<&Run>> = vec![Vec::new(); edges.len() - 1];
        for i in row {
            let col = edges.partition_point(|e| *e <= runs[*i].x).clamp(1, edges.len() - 1) - 1;
            cells[col].push(&runs[*i]);
        }
        cells
    };
    let mut table_rows: Vec<Vec<Vec<&Run>>> = Vec::new();
    for band in bands {
        let cells = cells_of(band);
        // Two columns of prose that share their leading are no row of a table.
        if read_across(&cells) {
            return None;
        }
        for row in sub_rows(cells) {
            if read_across(&row) || row.iter().any(|c| holds_columns(c) || spread(c)) {
                return None;
            }
            table_rows.push(row);
        }
    }
    // A column of figures or box numbers only beside ruled sections is a form's amount boxes
    // (whose grid the rules down them make), not a column of this table.
    if (0..edges.len() - 1).any(|c| !table_rows.iter().any(|row| row[c].iter().any(|r| worded(r)))) {
        return None;
    }
    // Rows of one line each are read as a table from the page's lines already.
    let wrapped = table_rows.iter().filter(|row| row.iter().any(|c| baselines(c).len() >= 2)).count();
    if table_rows.len() < 2 || 2 * wrapped < table_rows.len() {
        return None;
    }
    let head_cells = cells_of(&head);
    let headed = head_cells.iter().filter(|c| !c.is_empty()).count() >= 2;
    if headed {
        table_rows.insert(0, head_cells);
    }
    let text: Vec<Vec<String>> = table_rows.into_iter().map(|row| row.into_iter().map(cell_text).collect()).collect();
    let filled: Vec<&String> = text.iter().flatten().filter(|c| !c.is_empty()).collect();
    let words: usize = filled.iter().map(|c| c.split_whitespace().count()).sum();
    if words > MAX_WORDS_PER_CELL * filled.len().max(1) {
        return None;
    }
    let mut top = f32::MIN;
    for i in rows.iter().skip(usize::from(!headed)).flat_map(|r| r.iter()) {
        taken[*i] = true;
        top = top.max(runs[*i].y + runs[*i].size);
    }
    Some(RuledTable { top, bottom: foot, left, right, rows: text })
}

/// Two cells of a row that share `SHARED_LINES` baselines, or every line of the shorter (two
/// or more): rows unruled between them (a table ruled only under its head and at its foot),
/// which the page's lines read as a table.
fn read_across(row: &[Vec<&Run>]) -> bool {
    let lines: Vec<Vec<f32>> = row.iter().map(|c| baselines(c)).collect();
    // Baselines run top down: each of one cell's found among the other's by bisection, so a
    // tall cell (a hostile one of thousands of lines) costs n log n.
    let shared = |a: &[f32], b: &[f32]| {
        a.iter()
            .filter(|y| {
                let i = b.partition_point(|z| *z > **y + SAME_LINE);
                b.get(i).is_some_and(|z| (*z - **y).abs() <= SAME_LINE)
            })
            .count()
    };
    let across = |a: &[f32], b: &[f32]| {
        let n = shared(a, b);
        n >= SHARED_LINES || (n >= 2 && n == a.len().min(b.len()))
    };
    (0..lines.len()).any(|a| (a + 1..lines.len()).any(|b| across(&lines[a], &lines[b])))
}

/// A cell with a gap wider than `INNER_GAP` sizes after a word on one of its lines: columns
/// too close for a gutter, whose lines the cell would interleave ("Abuse and Other Offensive
/// 1-1639 CR, §3- Conduct"). A gap after a bullet or an item's number is the item's indent.
fn holds_columns(cell: &[&Run]) -> bool {
    let mut runs: Vec<&Run> = cell.to_vec();
    runs.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x.total_cmp(&b.x)));
    runs.windows(2)
        .any(|w| (w[0].y - w[1].y).abs() <= SAME_LINE && worded(w[0]) && w[1].x - w[0].end_x > INNER_GAP * w[0].size)
}

/// A cell whose lines stand more than `SPREAD` sizes apart: labels set down beside the text
/// each labels ("✔ What we cover", then "✘ What we exclude" by its own paragraph), which one
/// cell would part from their text.
fn spread(cell: &[&Run]) -> bool {
    let size = cell.iter().map(|r| r.size).fold(0.0, f32::max);
    baselines(cell).windows(2).any(|w| w[0] - w[1] > SPREAD * size)
}

/// A word at least: two letters, not a bullet, an item's number or a figure.
fn worded(r: &Run) -> bool {
    r.text.chars().filter(|c| c.is_alphabetic()).count() >= 2
}

/// A cell's baselines, top down, those within `SAME_LINE` as one.
fn baselines(cell: &[&Run]) -> Vec<f32> {
    let mut ys: Vec<f32> = cell.iter().map(|r| r.y).collect();
    ys.sort_by(|a, b| b.total_cmp(a));
    ys.dedup_by(|a, b| (*b - *a).abs() <= SAME_LINE);
    ys
}

/// The columns' edges from `left` to `right`: the middles of the gaps no run of any row
/// crosses, as wide as `GUTTER` of the type, with text on both sides in two rows or more (on
/// the right, starting at the gap's edge) and words just before it: a gap after a column of bullets or numbers only parts items from their
/// labels.
fn column_edges(runs: &[Run], rows: &[&[usize]], left: f32, right: f32) -> Option<Vec<f32>> {
    let all: Vec<&Run> = rows.iter().flat_map(|r| r.iter()).map(|i| &runs[*i]).collect();
    let mut sizes: Vec<f32> = all.iter().map(|r| r.size).collect();
    sizes.sort_by(f32::total_cmp);
    let size = sizes.get(sizes.len() / 2).copied()?;
    let mut spans: Vec<(f32, f32)> = all.iter().map(|r| (r.x, r.end_x)).collect();
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut gaps = Vec::new();
    let mut reach = spans[0].1;
    for (from, to) in &spans[1..] {
        if from - reach >= GUTTER * size {
            gaps.push((reach, *from));
        }
        reach = reach.max(*to);
    }
    // Each gap is checked against every row: past this many (a hostile page's scatter of
    // runs), no table of prose cells is there.
    if gaps.len() > MAX_GAPS {
        return None;
    }
    let on = |row: &[usize], keep: &dyn Fn(&Run) -> bool| row.iter().any(|i| keep(&runs[*i]));
    let mut edges = vec![left];
    let mut after = left;
    for (lo, hi) in gaps {
        // A column's lines start together, at its edge.
        let sides = rows
            .iter()
            .filter(|row| on(row, &|r| r.end_x <= lo + TOUCH) && on(row, &|r| r.x >= hi - TOUCH && r.x <= hi + size))
            .count();
        let words = rows.iter().any(|row| on(row, &|r| r.x >= after - TOUCH && r.end_x <= lo + TOUCH && worded(r)));
        if sides >= 2 && words {
            edges.push((lo + hi) / 2.0);
        }
        after = hi;
    }
    edges.push(right);
    (edges.len() >= 3).then_some(edges)
}
