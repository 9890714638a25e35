//! Fields set side by side, each a small label over its value, on baselines of their own: a
//! declarations page's "NAME OF INSURED" over "AKSHMA SAINI", beside "INSURED PROPERTY
//! ADDRESS" over two address lines set a little higher, beside "INSURED EMAIL" set lower.
//! Read across, the labels and values interleave ("INSURED PROPERTY ADDRESS NAME OF INSURED
//! 665 Auburn Ave, INSURED EMAIL AKSHMA SAINI Atlanta, …"); read field by field, each value
//! follows its label. Fields whose baselines all meet are a table's head and row, and read so.

use super::*;

/// Runs on one baseline this close (points) are one piece of text.
const JOIN: f32 = 2.0;
/// A label's and its value's left edges are this close (points).
const SAME_EDGE: f32 = 3.0;
/// A label is set this much smaller than its value at most.
const LABEL_SIZE: f32 = 0.8;
/// A value's first line is at most this many of its ems under its label.
const FIRST_UNDER: f32 = 2.5;
/// A value's next lines are at most this many of its ems under the one before.
const UNDER: f32 = 1.8;
/// A label's words at most, and its value's lines.
const LABEL_WORDS: usize = 6;
const VALUE_LINES: usize = 4;
/// Nothing starts at a label's edge this many of its ems above it.
const OPENS: f32 = 2.5;
/// Fields in one row at most; pages with more pieces than this are not searched.
const MAX_FIELDS: usize = 8;
const MAX_PIECES: usize = 2000;
/// Baselines this close (points) meet.
const MEET: f32 = 1.0;

/// Text on one baseline, runs not parted by more than `JOIN`.
#[derive(Clone, Copy)]
struct Piece {
    y: f32,
    x: f32,
    end_x: f32,
    size: f32,
    words: usize,
    /// Ends with a sentence's stop.
    stops: bool,
}

/// Whether text ends as a sentence or a clause does: no label ends so.
fn stops(text: &str) -> bool {
    text.trim_end().ends_with(['.', '!', '?', ';', ','])
}

fn pieces(runs: &[&Run]) -> Vec<Piece> {
    let mut sorted: Vec<&Run> = runs.to_vec();
    sorted.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x.total_cmp(&b.x)));
    let mut out: Vec<Piece> = Vec::new();
    for r in sorted {
        match out.last_mut() {
            Some(p) if (p.y - r.y).abs() < MEET && r.x - p.end_x <= JOIN + 0.3 * r.size => {
                p.end_x = p.end_x.max(r.end_x);
                p.size = p.size.max(r.size);
                p.words += r.text.split_whitespace().count();
                p.stops = stops(&r.text);
            }
            _ => out.push(Piece {
                y: r.y,
                x: r.x,
                end_x: r.end_x,
                size: r.size,
                words: r.text.split_whitespace().count(),
                stops: stops(&r.text),
            }),
        }
    }
    out
}

/// A label and the lines of its value, top down, as indices into the pieces (sorted top
/// down).
fn field(pieces: &[Piece], label: usize) -> Option<Vec<usize>> {
    // The nearest piece under `from` that starts at its edge, within `reach` of it.
    let under = |from: usize, reach: f32| {
        let f = pieces[from];
        pieces[from + 1..]
            .iter()
            .take_while(|q| f.y - q.y <= reach)
            .position(|q| (q.x - f.x).abs() <= SAME_EDGE && q.y < f.y - MEET)
            .map(|k| from + 1 + k)
    };
    let l = &pieces[label];
    // A label is a few words, not a sentence's end, and opens its field: nothing starts at its
    // edge right above it (the last line of a paragraph over a heading is no label).
    let above = pieces[..label].iter().rev().take_while(|q| q.y - l.y <= OPENS * l.size);
    if l.words > LABEL_WORDS || l.stops || above.into_iter().any(|q| (q.x - l.x).abs() <= SAME_EDGE && q.y > l.y + MEET)
    {
        return None;
    }
    // Within reach of a value twice the label's size; measured against the value's own below.
    let first = under(label, 2.0 * FIRST_UNDER * l.size)?;
    let value = &pieces[first];
    if l.size > LABEL_SIZE * value.size || l.y - value.y > FIRST_UNDER * value.size {
        return None;
    }
    let mut out = vec![label, first];
    let mut last = first;
    while let Some(next) = under(last, UNDER * value.size) {
        // A field closes: what goes on under it at its edge in another size, or past a few
        // lines, is a page's text, not a value.
        if (pieces[next].size - value.size).abs() > 0.5 || out.len() > VALUE_LINES {
            return None;
        }
        out.push(next);
        last = next;
    }
    Some(out)
}

/// The topmost row of two fields or more side by side whose baselines do not all meet, where
/// the row's band of the page holds nothing else, as a row of panels (one per field).
pub(super) fn field_row(runs: &[Run]) -> Option<PanelRow> {
    let text: Vec<&Run> = runs.iter().filter(|r| !r.text.trim().is_empty()).collect();
    let pieces = pieces(&text);
    if pieces.len() > MAX_PIECES {
        return None;
    }
    let fields: Vec<Vec<usize>> = (0..pieces.len()).filter_map(|i| field(&pieces, i)).collect();
    let extent = |f: &[usize]| {
        let top = f.iter().map(|i| pieces[*i].y).fold(f32::NEG_INFINITY, f32::max);
        let bottom = f.iter().map(|i| pieces[*i].y).fold(f32::INFINITY, f32::min);
        let x0 = f.iter().map(|i| pieces[*i].x).fold(f32::INFINITY, f32::min);
        let x1 = f.iter().map(|i| pieces[*i].end_x).fold(f32::NEG_INFINITY, f32::max);
        [x0, bottom, x1, top]
    };
    let boxes: Vec<[f32; 4]> = fields.iter().map(|f| extent(f)).collect();
    let overlaps = |a: &[f32; 4], b: &[f32; 4]| a[1] <= b[3] + MEET && b[1] <= a[3] + MEET;
    (0..fields.len()).find_map(|first| {
        let mut row: Vec<usize> = (0..fields.len()).filter(|&k| overlaps(&boxes[first], &boxes[k])).collect();
        if row.len() < 2 || row.len() > MAX_FIELDS {
            return None;
        }
        row.sort_by(|a, b| boxes[*a][0].total_cmp(&boxes[*b][0]));
        // Side by side, an em apart at least.
        if row.windows(2).any(|w| boxes[w[1]][0] < boxes[w[0]][2] + pieces[fields[w[1]][0]].size) {
            return None;
        }
        let baselines = |k: usize| fields[k].iter().map(|i| pieces[*i].y).collect::<Vec<f32>>();
        let meets = |a: &[f32], b: &[f32]| a.len() == b.len() && a.iter().zip(b).all(|(p, q)| (p - q).abs() < MEET);
        if row.windows(2).all(|w| meets(&baselines(w[0]), &baselines(w[1]))) {
            return None;
        }
        let top = row.iter().map(|k| boxes[*k][3]).fold(f32::NEG_INFINITY, f32::max) + MEET;
        let bottom = row.iter().map(|k| boxes[*k][1]).fold(f32::INFINITY, f32::min) - MEET;
        let held: Vec<usize> = row.iter().flat_map(|k| fields[*k].iter().copied()).collect();
        let in_band = |p: &Piece| p.y > bottom && p.y < top;
        if (0..pieces.len()).any(|i| in_band(&pieces[i]) && !held.contains(&i)) {
            return None;
        }
        let panels = row
            .iter()
            .map(|k| {
                let [x0, y0, x1, y1] = boxes[*k];
                let label = pieces[fields[*k][0]];
                [x0, y0, x1, y1.max(label.y + label.size)]
            })
            .collect();
        Some(PanelRow { top, bottom, panels })
    })
}
