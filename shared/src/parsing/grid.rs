//! Ruled tables: rules that cross each other form a grid, and the text inside each cell of the
//! grid is that cell, whatever its gaps. Word processors and form writers draw their tables
//! this way; without the rules a header cell set in bold reads as a heading and close columns
//! run together.

use super::layout::Run;
use super::paths::Rule;

/// Rules this close (points) touch, and positions this close are one grid line.
const TOUCH: f32 = 2.0;
/// A rule shorter than this is a tick or a corner, not a border.
const MIN_RULE: f32 = 6.0;
/// Boxes of prose (a framed page, a sidebar) are not tables: cells average fewer words.
const MAX_WORDS_PER_CELL: usize = 60;

pub struct RuledTable {
    /// The top edge, for placing the table among the page's lines.
    pub top: f32,
    pub rows: Vec<Vec<String>>,
}

/// Union-find over the rules, joined where a horizontal and a vertical one cross or touch.
fn components(h: &[Rule], v: &[Rule]) -> Vec<(Vec<usize>, Vec<usize>)> {
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
        if i < h.len() { g.0.push(i) } else { g.1.push(i - h.len()) }
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

/// The ruled tables of a page, and for each run whether a table took it.
pub fn ruled_tables(
    rules: &[Rule],
    runs: &[Run],
    cell_text: impl Fn(Vec<&Run>) -> String,
) -> (Vec<RuledTable>, Vec<bool>) {
    let mut taken = vec![false; runs.len()];
    let long = |r: &&Rule| (r.x1 - r.x0).max(r.y1 - r.y0) >= MIN_RULE;
    let (h, v): (Vec<Rule>, Vec<Rule>) = rules.iter().filter(long).partition(|r| r.horizontal());
    if h.len() < 3 || v.len() < 3 || h.len() * v.len() > 4_000_000 {
        return (Vec::new(), taken);
    }
    let mut tables = Vec::new();
    for (hs, vs) in components(&h, &v) {
        let ys = lines_at(hs.iter().map(|i| (h[*i].y0 + h[*i].y1) / 2.0).collect());
        let xs = lines_at(vs.iter().map(|i| (v[*i].x0 + v[*i].x1) / 2.0).collect());
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
            let col = xs.partition_point(|e| *e <= x).saturating_sub(1).min(xs.len() - 2);
            let row = ys.len() - 2 - ys.partition_point(|e| *e <= y).saturating_sub(1).min(ys.len() - 2);
            cells[row][col].push(r);
            inside.push(i);
        }
        let mut rows: Vec<Vec<String>> = cells
            .into_iter()
            .map(|row| row.into_iter().map(&cell_text).collect::<Vec<String>>())
            .filter(|row| row.iter().any(|c| !c.is_empty()))
            .collect();
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
        if rows.len() < 2 || columns < 2 || words > MAX_WORDS_PER_CELL * filled.len().max(1) {
            continue;
        }
        for i in inside {
            taken[i] = true;
        }
        tables.push(RuledTable { top, rows });
    }
    (tables, taken)
}
