//! Panels set side by side: a policy's key of three shaded boxes ("These boxes highlight
//! information we want to particularly draw your attention to" on orange, "… give you additional
//! helpful information" on yellow, "… what your policy does not cover" on blue), each a few
//! lines centred on its own. Too short for a gutter to show, they were read across the page and
//! their lines interleaved ("These boxes highlight information These boxes give you additional
//! helpful These boxes highlight what your policy we want to …"); read panel by panel, each
//! says its own sentence.

use super::*;

/// A run this close (points) outside a panel's edge is still set on it.
const EDGE: f32 = 2.0;
/// Panels side by side share at least this share of the shorter one's height.
const SIDE_BY_SIDE: f32 = 0.5;
/// Panels side by side that hold more lines than this, one of them at least, are columns:
/// read band by band, a cover beside its exclusions is read with them.
const MAX_PANEL_LINES: usize = 5;
/// A panel alone in its row spans this share of the text's width at least: a box set in one
/// column is part of that column.
const ACROSS: f32 = 0.8;
/// Runs on one line this many ems apart are cells.
const CELL_APART: f32 = 2.0;
/// Text within this many ems of a row of panels, above or below it, goes on from it.
const CONTINUES: f32 = 3.0;
/// Rows of panels a part of a page is split at, one inside another, at most.
pub(super) const MAX_PANEL_DEPTH: usize = 8;

/// A row of panels side by side, left to right, and the band of the page they take.
pub(super) struct PanelRow {
    pub top: f32,
    pub bottom: f32,
    pub panels: Vec<[f32; 4]>,
}

impl PanelRow {
    /// The panel a run is set on, if any.
    pub fn holding(&self, run: &Run) -> Option<usize> {
        self.panels.iter().position(|p| on(run, *p))
    }
}

/// Panels as columns: a column's head set on a panel of its own, the panel of its body right
/// under it, is one panel with it, and the same box filled twice (a tint, then its border as
/// a fill) is one panel.
fn stacked(panels: &[[f32; 4]]) -> Vec<[f32; 4]> {
    let mut sorted = panels.to_vec();
    // By column, each top down: a column's panels come one after another.
    let column = |p: &[f32; 4]| (p[0].round() as i32, p[2].round() as i32);
    sorted.sort_by(|a, b| column(a).cmp(&column(b)).then(b[3].total_cmp(&a[3])));
    let mut out: Vec<[f32; 4]> = Vec::new();
    for p in sorted {
        match out.last_mut() {
            Some(q) if column(q) == column(&p) && p[3] >= q[1] - EDGE && p[1] <= q[3] + EDGE => {
                q[1] = q[1].min(p[1]);
                q[3] = q[3].max(p[3]);
            }
            _ => out.push(p),
        }
    }
    out
}

/// Runs as stretches of text `(baseline, start, end)`, line by line from the top: the runs of
/// one line not parted into cells are one stretch.
fn stretches<'a>(runs: impl Iterator<Item = &'a Run>) -> Vec<(f32, f32, f32)> {
    let mut sorted: Vec<&Run> = runs.collect();
    sorted.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x.total_cmp(&b.x)));
    let mut out: Vec<(f32, f32, f32)> = Vec::new();
    for r in sorted {
        match out.last_mut() {
            Some((y, _, end)) if (*y - r.y).abs() < 1.0 && r.x - *end <= CELL_APART * r.size => *end = end.max(r.end_x),
            _ => out.push((r.y, r.x, r.end_x)),
        }
    }
    out
}

fn on(r: &Run, [x0, y0, x1, y1]: [f32; 4]) -> bool {
    r.x >= x0 - EDGE && r.end_x <= x1 + EDGE && r.y >= y0 - EDGE && r.y + 0.7 * r.size <= y1 + EDGE
}

/// The topmost row of panels where reading across the page would run lines together, and
/// the row's band of the page holds only text set on its panels, two lines at least on one,
/// none starting where two stretches of the text right above or below it start:
/// - two panels or more side by side, apart, too short to show a gutter (panels that do are
///   columns, read as the page's are, band by band), no two of them over text that keeps
///   within their edges (a table's shaded head);
/// - or one panel across the text's width, its lines across its middle and not in cells,
///   holding less than half the text: a note set across two columns is read apart from
///   them, not cut at their gutter.
///
/// Panels that hold no text, and panels behind others that do (a page's background), are not
/// in rows. `shows_columns` says whether runs show a gutter.
pub(super) fn panel_row(
    runs: &[Run],
    panels: &[[f32; 4]],
    shows_columns: impl Fn(Vec<Run>) -> bool,
) -> Option<PanelRow> {
    if panels.is_empty() {
        return None;
    }
    let text: Vec<&Run> = runs.iter().filter(|r| !r.text.trim().is_empty()).collect();
    let held: Vec<[f32; 4]> = stacked(panels).into_iter().filter(|p| text.iter().any(|r| on(r, *p))).collect();
    let around = |a: &[f32; 4], b: &[f32; 4]| {
        a != b && a[0] <= b[0] + EDGE && a[1] <= b[1] + EDGE && a[2] >= b[2] - EDGE && a[3] >= b[3] - EDGE
    };
    let mut held: Vec<[f32; 4]> = held.iter().filter(|a| !held.iter().any(|b| around(a, b))).copied().collect();
    held.sort_by(|a, b| b[3].total_cmp(&a[3]));
    let left = text.iter().map(|r| r.x).fold(f32::INFINITY, f32::min);
    let right = text.iter().map(|r| r.end_x).fold(f32::NEG_INFINITY, f32::max);
    let beside =
        |a: &[f32; 4], b: &[f32; 4]| a[3].min(b[3]) - a[1].max(b[1]) >= SIDE_BY_SIDE * (a[3] - a[1]).min(b[3] - b[1]);
    held.iter().find_map(|first| {
        let mut row: Vec<[f32; 4]> = held.iter().filter(|p| beside(first, p)).copied().collect();
        row.sort_by(|a, b| a[0].total_cmp(&b[0]));
        // Panels side by side stand apart: cells that meet are a table's.
        if row.windows(2).any(|w| w[1][0] < w[0][2] + EDGE) {
            return None;
        }
        let bottom = row.iter().map(|p| p[1]).fold(f32::INFINITY, f32::min);
        let top = row.iter().map(|p| p[3]).fold(f32::NEG_INFINITY, f32::max);
        let band: Vec<&Run> = text.iter().filter(|r| r.y > bottom && r.y < top).copied().collect();
        if band.iter().any(|r| !row.iter().any(|p| on(r, *p))) {
            return None;
        }
        let lines = |p: &[f32; 4]| {
            let mut ys: Vec<f32> = band.iter().filter(|r| on(r, *p)).map(|r| r.y).collect();
            ys.sort_by(f32::total_cmp);
            ys.dedup_by(|a, b| (*a - *b).abs() < 1.0);
            ys.len()
        };
        if !row.iter().any(|p| lines(p) >= 2) {
            return None;
        }
        // Text in the row that starts where text right above or below it starts, at two
        // places or more, heads columns or a table (or closes them): it is read with them.
        let mut starts: Vec<f32> = band.iter().map(|r| r.x).collect();
        starts.sort_by(f32::total_cmp);
        starts.dedup_by(|a, b| (*a - *b).abs() <= EDGE);
        let near = |r: &&&Run| {
            let reach = CONTINUES * r.size;
            (r.y <= bottom && r.y > bottom - reach) || (r.y >= top && r.y < top + reach)
        };
        let neighbours: Vec<&&Run> = text.iter().filter(near).collect();
        let aligned = starts.iter().filter(|x| neighbours.iter().any(|r| (r.x - **x).abs() <= EDGE)).count();
        let apart = aligned < 2
            && if let [[x0, _, x1, _]] = row[..] {
                // A note, its lines across the panel's middle and none parted into cells.
                let middle = (x0 + x1) / 2.0;
                let crosses = band.iter().any(|r| r.x < middle && r.end_x > middle);
                let cells = stretches(band.iter().copied()).windows(2).any(|w| (w[0].0 - w[1].0).abs() < 1.0);
                let across = x1 - x0 >= ACROSS * (right - left) && crosses && !cells;
                // Less than half the text: a page's background holds it all.
                across && 2 * band.len() < text.len()
            } else {
                // Text right above or below that keeps within two panels' edges or more is
                // their columns' (a table's shaded head over its rows).
                let stretches = stretches(neighbours.iter().copied().copied());
                let fits = |p: &[f32; 4]| stretches.iter().any(|(_, x, end)| *x >= p[0] - EDGE && *end <= p[2] + EDGE);
                row.iter().filter(|p| fits(p)).count() < 2
                    && row.iter().all(|p| lines(p) <= MAX_PANEL_LINES)
                    && !shows_columns(band.iter().map(|r| (*r).clone()).collect())
            };
        apart.then_some(PanelRow { top, bottom, panels: row })
    })
}
