//! Text drawn twice in one place reads once: a map label's white halo and then its ink, a
//! heading made bold by printing it again a hair to the right. Left in, the two copies of a
//! label drawn a letter at a time interleave ("MMuunniicciippaalliittéé ddee"). Some report
//! writers draw a page twice, the first time without a few glyphs ("1 9" under "1.9", "fo"
//! under "for"); the fuller copy is the one read.

use super::layout::{JOINED_RUNS, Run};
use rustc_hash::{FxBuildHasher, FxHashMap};
use std::hash::BuildHasher;

/// How far apart, in ems, two copies may be drawn and still be one: fake bold moves its copies
/// by a few hundredths of an em; the nearest real repeat, a narrow letter beside itself ("ll"
/// in a condensed face), is a fifth of an em away.
const SAME_PLACE: f32 = 0.1;

/// Drops every run that repeats an earlier one's text and size within [`SAME_PLACE`] (and half
/// its own width) of where that one was drawn, keeping the first, unless only the later copy
/// shows: a template's text covered by a box and drawn again over it reads once, where it shows.
pub(super) fn drop_overprints(runs: &mut Vec<Run>) {
    // Earlier runs by text, size and a grid of cells twice SAME_PLACE wide, so that a copy lies
    // in the run's own cell or in the one neighbour on the side it is nearer to: four lookups.
    // The map holds each cell's latest run and `before` chains it to the cell's earlier ones,
    // which spares a vector per cell on pages where nothing repeats.
    let mut latest: FxHashMap<(u64, i32, i32, i32), usize> =
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
        let key = (FxBuildHasher.hash_one(&run.text), (run.size * 4.0).round() as i32);
        let near_x = near.min(0.5 * (run.end_x - run.x).abs());
        let copy_of = [(0, 0), (side(gx), 0), (0, side(gy)), (side(gx), side(gy))].iter().find_map(|&(dx, dy)| {
            let mut j = latest.get(&(key.0, key.1, cx + dx, cy + dy)).copied().unwrap_or(usize::MAX);
            while let Some(e) = runs.get(j) {
                if e.text == run.text && (e.x - run.x).abs() <= near_x && (e.y - run.y).abs() <= near {
                    return Some(j);
                }
                j = before[j];
            }
            None
        });
        match copy_of {
            Some(j) if runs[j].hidden && !run.hidden => keep[j] = false,
            Some(_) => {
                keep[i] = false;
                continue;
            }
            None => {}
        }
        if let Some(previous) = latest.insert((key.0, key.1, cx, cy), i) {
            before[i] = previous;
        }
    }
    let mut keep = keep.into_iter();
    runs.retain(|_| keep.next().unwrap_or(true));
    drop_partial_copies(runs);
    drop_copies_inside(runs);
}

/// Runs looked back over, in a baseline's order by x, for one that holds a run: a line made
/// bold by drawing it again word by word has its words within a few runs of its first copy.
const INSIDE_SCAN: usize = 64;

/// Drops every run of two letters or more that lies within a longer run at its baseline, size
/// and visibility, when its text is found in that run's at about the place its x falls: a
/// heading made bold by drawing it again word by word ("FOR", "ALL" over "ENFORCED FOR ALL
/// ACCESS") would read "ENFORCED FOR ALL ACCESSFORALLACCESS".
fn drop_copies_inside(runs: &mut Vec<Run>) {
    let mut bands: FxHashMap<(i32, bool, i32), Vec<usize>> = FxHashMap::default();
    for (i, r) in runs.iter().enumerate() {
        if r.size > 0.0 && r.sideways.is_none() && !r.text.trim().is_empty() {
            let near = SAME_PLACE * r.size;
            bands
                .entry(((r.size * 4.0).round() as i32, r.hidden, (r.y / (2.0 * near)).round() as i32))
                .or_default()
                .push(i);
        }
    }
    let mut keep = vec![true; runs.len()];
    for band in bands.values_mut().filter(|b| b.len() > 1) {
        band.sort_by(|a, b| runs[*a].x.total_cmp(&runs[*b].x));
        for k in 1..band.len() {
            let b = &runs[band[k]];
            if b.text.trim().chars().count() < 2 {
                continue;
            }
            let near = SAME_PLACE * b.size;
            // A piece of a word drawn in pieces ("in" "iti" "a" "ll" "y") is no copy, whatever
            // another run around it holds: it touches the pieces beside it.
            let touch = JOINED_RUNS * b.size;
            let around = &band[k.saturating_sub(INSIDE_SCAN)..(k + INSIDE_SCAN).min(band.len())];
            let glued = || {
                around.iter().any(|&r| {
                    let r = &runs[r];
                    r.text.chars().any(char::is_alphanumeric)
                        && ((r.end_x - b.x).abs() < touch || (b.end_x - r.x).abs() < touch)
                        && !std::ptr::eq(r, b)
                })
            };
            let inside = band[k.saturating_sub(INSIDE_SCAN)..k].iter().rev().any(|&j| {
                let a = &runs[j];
                keep[j] && a.x <= b.x + near && b.end_x <= a.end_x + near && holds_at(a, b)
            }) && !glued();
            keep[band[k]] = !inside;
        }
    }
    let mut keep = keep.into_iter();
    runs.retain(|_| keep.next().unwrap_or(true));
}

/// `a`'s text holds `b`'s (spaces at its ends aside), starting within three characters of
/// where `b`'s x falls along `a` (characters taken as equally wide).
fn holds_at(a: &Run, b: &Run) -> bool {
    let (whole, part) = (a.text.as_str(), b.text.trim());
    let count = whole.chars().count();
    if part.chars().count() >= count || a.end_x <= a.x {
        return false;
    }
    let expected = (b.x - a.x) / (a.end_x - a.x) * count as f32;
    whole.match_indices(part).any(|(at, _)| (whole[..at].chars().count() as f32 - expected).abs() <= 3.0)
}

/// Drops every run whose letters start where another's do (within [`SAME_PLACE`]) and with the
/// same letter, at its size and visibility and ending no further right, when its letters are
/// some of that one's in order, and fewer, or the same and drawn later. Two texts started at one point overprint each
/// other, so nothing readable is lost. A copy may carry spaces the other lacks ("TOP " over
/// "TOP"), so where the letters start and end is known only to within a space's width.
fn drop_partial_copies(runs: &mut Vec<Run>) {
    fn letters(r: &Run) -> impl Iterator<Item = char> + '_ {
        r.text.chars().filter(|c| !c.is_whitespace())
    }
    // Where the first letter may start, and the least the last one may end: a space is a
    // sixth to three fifths of an em wide.
    fn span(r: &Run) -> (f32, f32, f32) {
        let lead = r.text.chars().take_while(|c| c.is_whitespace()).count() as f32;
        let trail = r.text.chars().rev().take_while(|c| c.is_whitespace()).count() as f32;
        (r.x + lead * r.size / 6.0, r.x + lead * r.size * 0.6, r.end_x - trail * r.size * 0.6)
    }
    let key = |r: &Run| {
        let (lo, hi, _) = span(r);
        (
            (r.size * 4.0).round() as i32,
            r.hidden,
            ((lo + hi) / 2.0 / r.size).floor() as i32,
            (r.y / r.size).floor() as i32,
        )
    };
    let readable = |r: &Run| r.size > 0.0 && !r.text.trim().is_empty();
    // Each cell (an em square) chained to its earlier runs, as in `drop_overprints`.
    let mut latest: FxHashMap<(i32, bool, i32, i32), usize> =
        FxHashMap::with_capacity_and_hasher(runs.len(), FxBuildHasher);
    let mut before = vec![usize::MAX; runs.len()];
    for (i, run) in runs.iter().enumerate() {
        if readable(run)
            && let Some(previous) = latest.insert(key(run), i)
        {
            before[i] = previous;
        }
    }
    let mut keep = vec![true; runs.len()];
    for (i, a) in runs.iter().enumerate() {
        if !readable(a) {
            continue;
        }
        let near = SAME_PLACE * a.size;
        let near_x = near.min(0.5 * (a.end_x - a.x).abs());
        let (a_lo, a_hi, a_end) = span(a);
        let (size, hidden, cx, cy) = key(a);
        let covers = |j: usize| {
            let b = &runs[j];
            let (b_lo, b_hi, _) = span(b);
            if j == i || !keep[j] || a_lo > b_hi + near_x || b_lo > a_hi + near_x || (b.y - a.y).abs() > near {
                return false;
            }
            let (mine, theirs) = (letters(a).count(), letters(b).count());
            let fewer = mine < theirs && a_end <= b.end_x + near;
            // The first letters are one glyph; the rest of the shorter copy is found in order.
            (fewer || (mine == theirs && j < i)) && letters(a).next() == letters(b).next() && {
                let mut rest = letters(b);
                letters(a).all(|c| rest.any(|w| w == c))
            }
        };
        let covered = (-1..=1).flat_map(|dx| (-1..=1).map(move |dy| (dx, dy))).any(|(dx, dy)| {
            let mut j = latest.get(&(size, hidden, cx + dx, cy + dy)).copied().unwrap_or(usize::MAX);
            while j != usize::MAX {
                if covers(j) {
                    return true;
                }
                j = before[j];
            }
            false
        });
        keep[i] = !covered;
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

    #[test]
    fn a_line_drawn_again_word_by_word_over_itself_reads_once() {
        let word = |x: f32, text: &str| Run::sample(x, 500.0, text, 11.5, true);
        let mut runs = vec![
            word(148.1, "ENFORCED FOR ALL ACCESS"),
            word(148.1, "ENFORCED"),
            word(186.7, "FOR"),
            word(207.4, "ALL"),
            word(243.5, "ACCESS"),
            // Not copies: the next word after the line, other letters within its span, the
            // same word a line below.
            word(290.0, "ALL"),
            word(160.0, "CAT"),
            Run::sample(207.4, 480.0, "ALL", 11.5, true),
        ];
        // Nor a word drawn in pieces under the run of another copy's scattered glyphs.
        let piece = |x: f32, end_x: f32, text: &str| Run { end_x, ..Run::sample(x, 300.0, text, 9.2, false) };
        runs.extend([
            piece(438.1, 490.2, "i t b i iti ll"),
            piece(467.4, 474.3, "in"),
            piece(474.3, 481.6, "iti"),
            piece(481.6, 486.0, "a"),
            piece(486.0, 490.2, "ll"),
            piece(490.2, 493.0, "y"),
        ]);
        drop_overprints(&mut runs);
        let texts: Vec<(&str, f32, f32)> = runs.iter().map(|r| (r.text.as_str(), r.x, r.y)).collect();
        let expected = [
            ("ENFORCED FOR ALL ACCESS", 148.1, 500.0),
            ("ALL", 290.0, 500.0),
            ("CAT", 160.0, 500.0),
            ("ALL", 207.4, 480.0),
        ];
        assert_eq!(texts[..4], expected);
        let word: String = runs[5..].iter().map(|r| r.text.as_str()).collect();
        assert_eq!(word, "initially");
    }

    #[test]
    fn a_copy_drawn_over_its_covered_self_reads_once_where_it_shows() {
        // A page's text, a box over it, the same text again on the box: the first copy is
        // hidden, and only the second is read.
        let hidden = |x: f32, text: &str| Run { hidden: true, ..Run::sample(x, 700.0, text, 12.0, false) };
        let mut runs =
            vec![hidden(72.0, "UE 8"), hidden(200.0, "covered only"), Run::sample(72.0, 700.0, "UE 8", 12.0, false)];
        drop_overprints(&mut runs);
        let texts: Vec<(&str, bool)> = runs.iter().map(|r| (r.text.as_str(), r.hidden)).collect();
        assert_eq!(texts, [("covered only", true), ("UE 8", false)]);
    }

    #[test]
    fn a_copy_drawn_without_some_glyphs_reads_as_the_fuller_one_and_neighbours_stay() {
        // A seed-trial report draws its page twice, the first time without some glyphs.
        let mut runs = vec![
            Run::sample(271.9, 247.0, "1 9", 8.3, false),
            Run::sample(100.0, 179.0, "TOP", 7.5, false),
            Run::sample(130.0, 179.0, "fo", 7.5, false),
            Run::sample(271.9, 247.0, "1.9", 8.3, false),
            Run::sample(100.0, 179.0, "TOP ", 7.5, false),
            // Its space drawn first: the letters start a space's width to the right.
            Run::sample(127.7, 179.0, " for", 7.5, false),
            // Not copies: a letter and the word set right after it, a letter and its accent
            // drawn apart (a space before the letter leaves where it starts unsure), a cell's first digit under a longer number one line down.
            Run::sample(297.5, 400.0, " l", 10.0, false),
            Run::sample(302.2, 400.0, "es sentiers et les", 10.0, false),
            Run::sample(200.0, 400.0, "e", 10.0, false),
            Run::sample(200.0, 400.0, "\u{301}", 10.0, false),
            Run::sample(271.9, 235.0, "1", 8.3, false),
        ];
        drop_overprints(&mut runs);
        let texts: Vec<&str> = runs.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(texts, ["TOP", "1.9", " for", " l", "es sentiers et les", "e", "\u{301}", "1"]);
    }
}
