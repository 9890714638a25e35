//! Text drawn twice in one place reads once: a map label's white halo and then its ink, a
//! heading made bold by printing it again a hair to the right. Left in, the two copies of a
//! label drawn a letter at a time interleave ("MMuunniicciippaalliittéé ddee").

use super::layout::Run;
use rustc_hash::{FxBuildHasher, FxHashMap};
use std::hash::BuildHasher;

/// How far apart, in ems, two copies may be drawn and still be one: fake bold moves its copies
/// by a few hundredths of an em; the nearest real repeat, a narrow letter beside itself ("ll"
/// in a condensed face), is a fifth of an em away.
const SAME_PLACE: f32 = 0.1;

/// Drops every run that repeats an earlier one's text, size and visibility within
/// [`SAME_PLACE`] (and half its own width) of where that one was drawn, keeping the first.
pub(super) fn drop_overprints(runs: &mut Vec<Run>) {
    // Earlier runs by text, size and a grid of cells twice SAME_PLACE wide, so that a copy lies
    // in the run's own cell or in the one neighbour on the side it is nearer to: four lookups.
    // The map holds each cell's latest run and `before` chains it to the cell's earlier ones,
    // which spares a vector per cell on pages where nothing repeats.
    let mut latest: FxHashMap<(u64, i32, bool, i32, i32), usize> =
        FxHashMap::with_capacity_and_hasher(runs.len(), FxBuildHasher);
    let mut before = vec![usize::MAX; runs.len()];
    let mut keep = vec![true; runs.len()];
    for (i, run) in runs.iter().enumerate() {
        if run.text.trim().is_empty() || run.size <= 0.0 {
            continue;
        }
        let near = SAME_PLACE * run.size;
        let (gx, gy) = (run.x / (2.0 * near), run.y / (2.0 * near));
        let (cx, cy) = (gx.floor() as i32, gy.floor() as i32);
        let side = |g: f32| if g - g.floor() < 0.5 { -1 } else { 1 };
        let key = (FxBuildHasher.hash_one(&run.text), (run.size * 4.0).round() as i32, run.hidden);
        let near_x = near.min(0.5 * (run.end_x - run.x).abs());
        let repeat = [(0, 0), (side(gx), 0), (0, side(gy)), (side(gx), side(gy))].iter().any(|&(dx, dy)| {
            let mut j = latest.get(&(key.0, key.1, key.2, cx + dx, cy + dy)).copied().unwrap_or(usize::MAX);
            while let Some(e) = runs.get(j) {
                if e.text == run.text && (e.x - run.x).abs() <= near_x && (e.y - run.y).abs() <= near {
                    return true;
                }
                j = before[j];
            }
            false
        });
        if repeat {
            keep[i] = false;
        } else if let Some(previous) = latest.insert((key.0, key.1, key.2, cx, cy), i) {
            before[i] = previous;
        }
    }
    let mut keep = keep.into_iter();
    runs.retain(|_| keep.next().unwrap_or(true));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_drawn_twice_a_letter_at_a_time_reads_once_and_real_repeats_stay() {
        // A halo then its ink, a letter per run, as a GIS export draws a map label.
        let word = |dx: f32| {
            "Lac"
                .chars()
                .enumerate()
                .map(move |(i, c)| Run::sample(100.0 + dx + i as f32 * 6.0, 400.0, &c.to_string(), 10.0, false))
        };
        let mut runs: Vec<Run> = word(0.0).chain(word(0.0)).collect();
        // Fake bold: the same heading again 0.3 pt to the right.
        runs.push(Run::sample(72.0, 700.0, "Coverage", 12.0, true));
        runs.push(Run::sample(72.3, 700.0, "Coverage", 12.0, true));
        // Not copies: the same word a line below, a letter a line below, a narrow letter
        // beside itself.
        runs.push(Run::sample(72.0, 686.0, "Coverage", 12.0, true));
        runs.push(Run::sample(100.0, 380.0, "L", 10.0, false));
        runs.push(Run::sample(300.0, 500.0, "l", 10.0, false));
        runs.push(Run::sample(302.2, 500.0, "l", 10.0, false));
        drop_overprints(&mut runs);
        let texts: Vec<(&str, f32, f32)> = runs.iter().map(|r| (r.text.as_str(), r.x, r.y)).collect();
        assert_eq!(
            texts,
            [
                ("L", 100.0, 400.0),
                ("a", 106.0, 400.0),
                ("c", 112.0, 400.0),
                ("Coverage", 72.0, 700.0),
                ("Coverage", 72.0, 686.0),
                ("L", 100.0, 380.0),
                ("l", 300.0, 500.0),
                ("l", 302.2, 500.0),
            ]
        );
    }
}
