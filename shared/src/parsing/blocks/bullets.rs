//! Letters set as bullets: Word's second-level bullet is a Courier "o".

use super::*;

/// The bullet a letter set as one is read as: "◦", Word's own second-level shape.
const LETTER_BULLET: &str = "◦";

/// Letter-shaped bullets drawn as runs of their own this many ems or more before the text.
const BULLET_GAP: f32 = 0.5;

/// Bullets Word draws as a letter ("o", in Courier New, a tab before its text) are read as
/// bullets: otherwise "o the customer …" is a sentence, and the items it opens run on into
/// the item above. A run that is the letter alone, first on its line, with its text a tab's
/// width on: a word "o" (Spanish or Portuguese) is set with its sentence, a space after it.
pub(super) fn letter_bullets(runs: &mut [Run], body: f32) {
    let letters: Vec<usize> = (0..runs.len()).filter(|&i| runs[i].text.trim() == "o").take(MAX_BULLETS).collect();
    for i in letters {
        let bullet = &runs[i];
        let tol = 0.2 * bullet.size.max(body);
        let same_line = |r: &Run| (r.y - bullet.y).abs() <= tol && !r.text.trim().is_empty();
        let first = !runs.iter().enumerate().any(|(j, r)| j != i && same_line(r) && r.x < bullet.x);
        let next = runs
            .iter()
            .enumerate()
            .filter(|(j, r)| *j != i && same_line(r) && r.x > bullet.x)
            .map(|(_, r)| r)
            .min_by(|a, b| a.x.total_cmp(&b.x));
        let gap = next.map_or(0.0, |r| r.x - bullet.end_x);
        // A word's letters drawn apart ("o" "r 12d") go on with a lower-case letter alone; an
        // item's first letter may be drawn apart from the rest of its word ("S" "enior").
        let fragment = next
            .and_then(|r| r.text.split_whitespace().next())
            .is_some_and(|w| w.chars().count() == 1 && w.starts_with(char::is_lowercase));
        let word = next.is_some() && !fragment;
        if first && word && (BULLET_GAP * bullet.size..=3.0 * bullet.size).contains(&gap) {
            runs[i].text = LETTER_BULLET.to_owned();
        }
    }
}

/// Letters tried as bullets on a page at most: each costs a pass over the page's runs.
const MAX_BULLETS: usize = 256;
