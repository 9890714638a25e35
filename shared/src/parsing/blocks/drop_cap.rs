//! Drop caps: an article's first letter set large beside its first lines.

use super::*;

/// A drop cap is moved onto the first line it opens, as that line's first letter: on its own
/// baseline, level with the paragraph's third line, it would make a one-letter heading ("#
/// TStatistics (BLS) …") and leave the first line without it ("his release of the Bureau").
/// A letter set large is a drop cap when two lines or more start right at its right edge
/// within its height, set in type half its size or less, the first level with its top and
/// going on with the word it starts (a lower-case letter): a large label beside a form's
/// field names is not one.
pub(super) fn drop_caps(runs: &mut [Run], body: f32) {
    // Letters twice the page's body size or more, and only a page's worth: a page drawn one
    // glyph per run must not cost a pass over its runs per capital.
    let caps: Vec<usize> =
        (0..runs.len()).filter(|&i| runs[i].size >= 2.0 * body && is_letter(&runs[i])).take(MAX_CAPS).collect();
    for i in caps {
        let cap = &runs[i];
        let (top, mut beside) = (cap.y + cap.size, Vec::new());
        for (j, r) in runs.iter().enumerate() {
            let tol = 0.5 * r.size;
            if j != i
                && r.size * 2.0 <= cap.size
                && (r.x - cap.end_x).abs() <= tol
                && r.y >= cap.y - tol
                && r.y + r.size <= top + tol
                && r.sideways.is_none()
            {
                beside.push(j);
            }
        }
        let Some(&first) = beside.iter().max_by(|a, b| runs[**a].y.total_cmp(&runs[**b].y)) else {
            continue;
        };
        let below = beside.iter().filter(|&&j| (runs[j].y - runs[first].y).abs() > 0.3 * runs[j].size).count();
        let line = &runs[first];
        let cap_height = 0.7 * runs[i].size;
        if below == 0
            || (runs[i].y + cap_height - (line.y + 0.7 * line.size)).abs() > line.size
            || !line.text.trim_start().starts_with(char::is_lowercase)
        {
            continue;
        }
        // The gap is kept: "A" before "new policy" is a word of its own, "T" before "his" is not.
        let (x, y, size, bold) = (line.x, line.y, line.size, line.bold);
        let cap = &mut runs[i];
        let end_x = cap.end_x.min(x);
        (cap.x, cap.end_x, cap.y, cap.size, cap.bold) = (end_x - 0.6 * size, end_x, y, size, bold);
    }
}

/// Drop caps looked for on a page at most.
const MAX_CAPS: usize = 16;

/// One capital letter, upright and visible.
fn is_letter(r: &Run) -> bool {
    let mut chars = r.text.trim().chars();
    chars.next().is_some_and(char::is_uppercase) && chars.next().is_none() && r.sideways.is_none() && !r.hidden
}
