//! Pages printed sideways. A booklet sets a wide table (a travel policy's "Schedule of
//! Maximum Benefits by Plan", nine plans across) on a portrait page turned a quarter, its text
//! reading up the page. The layout reads lines across the page, so every line of such a page
//! would be cut into pieces a word or two long and the table's rows lost; turned back first,
//! it is read as the landscape page it is.

use super::cjk::is_cjk;
use super::layout::{Drawn, Run};
use super::paths::Rule;

/// Sideways text holds this share of a page's visible characters at least.
const MOSTLY: f32 = 2.0 / 3.0;
/// And this many characters: a chart's turned axis titles on a page of little else are not a
/// page printed sideways.
const MIN_CHARS: usize = 200;

/// Which way a page's text mostly reads, if sideways: `Some(true)` up the page (turned a
/// quarter counter-clockwise), `Some(false)` down it. CJK columns read down the page by
/// design and are turned as vertical writing, not here.
fn reads_sideways(runs: &[Run]) -> Option<bool> {
    let (mut up, mut down, mut all) = (0usize, 0usize, 0usize);
    for r in runs.iter().filter(|r| !r.hidden) {
        let n = r.text.chars().filter(|c| !c.is_whitespace()).count();
        all += n;
        if r.stacked || r.text.chars().any(is_cjk) {
            continue;
        }
        match r.sideways {
            Some((from, to)) if to > from => up += n,
            Some(_) => down += n,
            None => {}
        }
    }
    let most = up.max(down);
    (most >= MIN_CHARS && most as f32 >= MOSTLY * all as f32).then_some(up >= down)
}

/// A run as it lies on the page turned a quarter clockwise about the origin and moved back
/// onto it: (x, y) → (y, width − x).
fn turned_clockwise(r: &mut Run, width: f32) {
    match r.sideways {
        // Text reading up the page: its baseline lies a fifth of an em inside its breadth's
        // right edge (the glyphs' tops point left); text reading down, inside its left edge.
        Some((from, to)) => {
            let baseline = if to > from { r.end_x - 0.2 * r.size } else { r.x + 0.2 * r.size };
            (r.x, r.end_x, r.y) = (from.min(to), from.max(to), width - baseline);
            r.sideways = None;
        }
        // Upright text now reads down the page.
        None => {
            let (x, end_x, y) = (r.x, r.end_x, r.y);
            (r.x, r.end_x) = (y - 0.2 * r.size, y + 0.75 * r.size);
            r.y = width - x;
            r.sideways = Some((width - x, width - end_x));
        }
    }
}

/// Turns a page printed sideways (see the module's note) back; other pages are left as they
/// are. Text reading down the page is turned as vertical writing is.
pub(super) fn turn_landscape(page: &mut Drawn, height: f32) {
    let Some(up) = reads_sideways(&page.runs) else { return };
    if !up {
        super::vertical::turn(page, height);
        return;
    }
    let width = page.width;
    for r in &mut page.runs {
        turned_clockwise(r, width);
    }
    for rule in &mut page.rules {
        *rule = Rule { x0: rule.y0, y0: width - rule.x1, x1: rule.y1, y1: width - rule.x0 };
    }
    for [x0, y0, x1, y1] in &mut page.panels {
        (*x0, *y0, *x1, *y1) = (*y0, width - *x1, *y1, width - *x0);
    }
    page.width = height;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line reading up the page at baseline `x`, from `from` to `to`, 10 points.
    fn up(x: f32, from: f32, to: f32, text: &str) -> Run {
        Run { end_x: x + 2.0, sideways: Some((from, to)), ..Run::plain(x - 7.5, from, x + 2.0, 10.0, text.into()) }
    }

    #[test]
    fn a_page_printed_reading_up_is_turned_its_first_line_on_top() {
        let text = "Emergency medical insurance pays up to five million dollars per trip.";
        let mut page = Drawn { width: 612.0, ..Drawn::default() };
        // The first line is the leftmost: the glyphs' tops point left.
        for (k, x) in [100.0, 114.0, 128.0, 142.0].into_iter().enumerate() {
            page.runs.push(up(x, 50.0, 400.0, &format!("{k} {text}")));
        }
        page.rules.push(Rule { x0: 150.0, y0: 50.0, x1: 150.0, y1: 400.0 });
        turn_landscape(&mut page, 792.0);
        assert_eq!(page.width, 792.0);
        let ys: Vec<f32> = page.runs.iter().map(|r| r.y).collect();
        assert!(ys.windows(2).all(|w| w[0] > w[1]), "{ys:?}");
        assert!(page.runs.iter().all(|r| r.sideways.is_none() && r.x == 50.0 && r.end_x == 400.0));
        assert_eq!(page.runs[0].y, 612.0 - 100.0);
        // The rule down the page now runs across it, under the last line.
        let rule = page.rules[0];
        assert_eq!((rule.x0, rule.x1, rule.y0, rule.y1), (50.0, 400.0, 462.0, 462.0));
    }

    #[test]
    fn a_chart_with_a_turned_axis_title_is_not_turned() {
        let mut page = Drawn { width: 612.0, ..Drawn::default() };
        page.runs.push(up(100.0, 50.0, 400.0, "Claims paid per year, in thousands of dollars"));
        page.runs.push(Run::plain(120.0, 40.0, 300.0, 10.0, "2019 2020 2021 2022 2023".into()));
        turn_landscape(&mut page, 792.0);
        assert_eq!(page.width, 612.0);
        assert!(page.runs[0].sideways.is_some());
    }
}
