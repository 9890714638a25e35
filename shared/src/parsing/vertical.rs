//! Pages set in vertical writing. Japanese and Chinese books, gazettes and forms set text in
//! columns read top to bottom, the columns from right to left. The layout reads lines top to
//! bottom and each line left to right; a page that is mostly columns is turned a quarter
//! counter-clockwise first, so that its rightmost column becomes its first line, and read as any
//! other page.

use super::cjk::is_cjk as cjk;
use super::layout::{Drawn, Run};
use super::paths::Rule;

/// Whether most of the page's visible characters are CJK set in columns (sideways runs of two
/// glyphs or more that read downward). Latin turned on its side (a form's margin label) is not
/// enough, nor glyphs of a vertical font each placed on its own (a writer that sets a line of
/// horizontal text a glyph at a time in an `Identity-V` font).
fn set_in_columns(runs: &[Run]) -> bool {
    let column = |r: &Run| r.sideways.is_some_and(|(from, to)| to < from) && r.text.trim().chars().nth(1).is_some();
    if !runs.iter().any(column) {
        return false;
    }
    let (mut in_columns, mut all) = (0usize, 0usize);
    for r in runs.iter().filter(|r| !r.hidden) {
        all += r.text.chars().filter(|c| !c.is_whitespace()).count();
        if column(r) {
            in_columns += r.text.chars().filter(|c| cjk(*c)).count();
        }
    }
    in_columns * 2 > all
}

/// A run as it lies on the page turned a quarter counter-clockwise about the origin and moved
/// back onto it: (x, y) → (height − y, x).
fn turned(r: &mut Run, height: f32) {
    match r.sideways {
        // A column: its top is where the line starts, its glyphs' breadth the line's height.
        Some((from, to)) => {
            let (top, foot) = (from.max(to), from.min(to));
            (r.x, r.y, r.end_x) = (height - top, r.x, height - foot);
            r.sideways = None;
        }
        // Upright text (a page number, a Latin heading) stands on its side.
        None => {
            let (x, end_x) = (r.x, r.end_x);
            (r.x, r.end_x) = (height - r.y - 0.75 * r.size, height - r.y + 0.2 * r.size);
            r.y = x;
            r.sideways = Some((x, end_x));
        }
    }
}

/// A glyph or two of CJK drawn on its own: older Japanese typesetting draws a column a glyph
/// at a time, in an upright font, each glyph a line below the one before (`T*`).
fn lone_glyph(r: &Run) -> bool {
    let mut chars = r.text.trim().chars();
    !r.hidden && chars.next().is_some_and(cjk) && chars.clone().count() <= 1 && chars.all(cjk)
}

/// A letter drawn on its own, upright: forms stack a word down a narrow box a letter at a time
/// ("Code" beside box 12, "PRINT CLEARLY" down a margin). Not a form field's value: a list
/// box's one-letter choices are drawn so too, and are choices.
fn lone_letter(r: &Run) -> bool {
    let mut chars = r.text.trim().chars();
    !r.hidden
        && !r.annotation
        && r.sideways.is_none()
        && chars.next().is_some_and(|c| c.is_alphabetic() && !cjk(c))
        && chars.next().is_none()
}

/// The box a lone glyph's ink fills: left, right, top and foot.
fn ink(r: &Run) -> (f32, f32, f32, f32) {
    match r.sideways {
        Some((from, to)) => (r.x, r.end_x, from.max(to), from.min(to)),
        None => (r.x, r.end_x, r.y + 0.8 * r.size, r.y - 0.2 * r.size),
    }
}

/// Lone glyphs stacked into a column, each under the one before it in the page's order with no
/// more than half an em between them (letters: `LETTER_GAP`), become one column run; three at
/// least, so that a table's one-character cells stay cells.
fn stack_columns(runs: Vec<Run>) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::with_capacity(runs.len());
    let mut stack: Vec<Run> = Vec::new();
    let flush = |stack: &mut Vec<Run>, out: &mut Vec<Run>| {
        if stack.len() < 3 {
            out.append(stack);
            return;
        }
        let (left, right, top, _) = ink(&stack[0]);
        let foot = ink(&stack[stack.len() - 1]).3;
        let text: String = stack.iter().map(|r| r.text.trim()).collect();
        // Stacked letters never turn the page: their word is read on their first letter's line,
        // as wide as its widest letter.
        let stacked = lone_letter(&stack[0]);
        let (left, right, y) = if stacked {
            let left = stack.iter().map(|r| r.x).fold(f32::MAX, f32::min);
            (left, stack.iter().map(|r| r.end_x).fold(f32::MIN, f32::max), stack[0].y)
        } else {
            (left, right, top)
        };
        let first = stack.drain(..).next().expect("three glyphs");
        out.push(Run { x: left, end_x: right, y, text, sideways: Some((top, foot)), stacked, ..first });
        stack.clear();
    };
    for r in runs {
        let letter = lone_letter(&r);
        if !letter && !lone_glyph(&r) {
            flush(&mut stack, &mut out);
            out.push(r);
            continue;
        }
        if let Some(prev) = stack.last() {
            let ((l0, r0, _, foot), (l1, r1, top, _)) = (ink(prev), ink(&r));
            let em = prev.size.max(r.size);
            let gap = if letter { LETTER_GAP } else { 0.5 };
            let under = lone_letter(prev) == letter
                && ((l0 + r0) - (l1 + r1)).abs() / 2.0 < 0.3 * em
                && (foot - top).abs() < gap * em;
            if !under {
                flush(&mut stack, &mut out);
            }
        }
        stack.push(r);
    }
    flush(&mut stack, &mut out);
    out
}

/// Stacked letters leave at most this much of an em between one's foot and the next's top: a
/// table's column of one-letter cells, drawn a column at a time, is set at a row's pitch.
const LETTER_GAP: f32 = 0.3;

/// Turns a page set in columns (see the module's note); other pages are left as they are.
pub(super) fn turn_columns(page: &mut Drawn, height: f32) {
    if page.runs.iter().any(|r| lone_glyph(r) || lone_letter(r)) {
        page.runs = stack_columns(std::mem::take(&mut page.runs));
    }
    if set_in_columns(&page.runs) {
        turn(page, height);
    }
}

/// Turns a page a quarter counter-clockwise: its text, rules and panels, and its width.
pub(super) fn turn(page: &mut Drawn, height: f32) {
    for r in &mut page.runs {
        turned(r, height);
    }
    for rule in &mut page.rules {
        *rule = Rule { x0: height - rule.y1, y0: rule.x0, x1: height - rule.y0, y1: rule.x1 };
    }
    for [x0, y0, x1, y1] in &mut page.panels {
        (*x0, *y0, *x1, *y1) = (height - *y1, *x0, height - *y0, *x1);
    }
    page.width = height;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(x: f32, top: f32, foot: f32, text: &str) -> Run {
        Run { end_x: x + 10.0, sideways: Some((top, foot)), ..Run::plain(x, top, x + 10.0, 10.0, text.into()) }
    }

    #[test]
    fn columns_read_right_to_left_become_lines_read_top_to_bottom() {
        let mut page = Drawn {
            runs: vec![
                column(100.0, 700.0, 600.0, "左の列"),
                column(200.0, 700.0, 500.0, "右の列"),
                Run::plain(150.0, 40.0, 160.0, 8.0, "3".into()),
            ],
            rules: vec![Rule { x0: 50.0, y0: 100.0, x1: 50.0, y1: 700.0 }],
            width: 595.0,
            ..Drawn::default()
        };
        turn_columns(&mut page, 842.0);
        let [left, right, number] = &page.runs[..] else { panic!() };
        // The right column is the upper line, and both start where their columns' tops were.
        assert!(right.y > left.y);
        assert_eq!((right.x, right.end_x), (142.0, 342.0));
        assert_eq!(left.sideways, None);
        // The page number stands on its side at the foot of the turned page's lines.
        assert_eq!(number.sideways, Some((150.0, 160.0)));
        assert!(number.x > right.end_x);
        assert_eq!(page.rules[0], Rule { x0: 142.0, y0: 50.0, x1: 742.0, y1: 50.0 });
        assert_eq!(page.width, 842.0);
    }

    #[test]
    fn glyphs_drawn_one_under_another_are_a_column_and_a_tables_cells_are_not() {
        // A gazette's column drawn a glyph a line (8 pt, `T*` each), then a table's column of
        // one-character cells two lines apart.
        let glyph = |x: f32, y: f32, t: &str| Run::plain(x, y, x + 8.0, 8.0, t.into());
        let mut runs: Vec<Run> = "道路交通法"
            .chars()
            .enumerate()
            .map(|(i, c)| glyph(400.0, 700.0 - 8.0 * i as f32, &c.to_string()))
            .collect();
        runs.extend(["有", "無", "有"].iter().enumerate().map(|(i, c)| glyph(100.0, 500.0 - 16.0 * i as f32, c)));
        let runs = stack_columns(runs);
        assert_eq!(runs.len(), 4);
        assert_eq!(runs[0].text, "道路交通法");
        assert_eq!(runs[0].sideways, Some((700.0 + 6.4, 700.0 - 32.0 - 1.6)));
        assert!(runs[1..].iter().all(|r| r.sideways.is_none() && r.text.chars().count() == 1));
    }

    #[test]
    fn letters_stacked_down_a_forms_box_are_a_word_and_a_list_boxs_choices_or_a_tables_are_not() {
        // Form W-2's "Code" (4 pt letters 3.5 pt apart); a 1040's "PRINT" (6.5 pt, 7.8 apart).
        let letter = |x: f32, y: f32, size: f32, t: char| Run::plain(x, y, x + 0.6 * size, size, t.to_string());
        let mut runs: Vec<Run> =
            "Code".chars().enumerate().map(|(i, c)| letter(458.0, 600.0 - 3.5 * i as f32, 4.0, c)).collect();
        runs.extend("PRINT".chars().enumerate().map(|(i, c)| letter(95.0, 700.0 - 7.8 * i as f32, 6.5, c)));
        // A list box's one-letter choices, and a table's column of grades at a 1.4 em row pitch.
        runs.extend(
            "ABC"
                .chars()
                .enumerate()
                .map(|(i, c)| Run { annotation: true, ..letter(300.0, 400.0 - 11.0 * i as f32, 10.0, c) }),
        );
        runs.extend("ABC".chars().enumerate().map(|(i, c)| letter(200.0, 300.0 - 14.0 * i as f32, 10.0, c)));
        let runs = stack_columns(runs);
        let texts: Vec<&str> = runs.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(texts, ["Code", "PRINT", "A", "B", "C", "A", "B", "C"]);
        assert!(runs[0].sideways.is_some_and(|(top, foot)| top > foot) && runs[0].stacked);
        // Read on its first letter's line.
        assert_eq!(runs[0].y, 600.0);
        let mut page = Drawn { runs, rules: vec![], width: 612.0, ..Drawn::default() };
        turn_columns(&mut page, 792.0);
        assert_eq!(page.width, 612.0);
    }

    #[test]
    fn a_line_set_a_glyph_at_a_time_in_a_vertical_font_stays_a_line() {
        // Each glyph its own one-glyph column, side by side along the line.
        let runs: Vec<Run> = "保険契約"
            .chars()
            .enumerate()
            .map(|(i, c)| column(100.0 + 12.0 * i as f32, 700.0, 688.0, &c.to_string()))
            .collect();
        let mut page = Drawn { runs, rules: vec![], width: 612.0, ..Drawn::default() };
        turn_columns(&mut page, 792.0);
        assert_eq!(page.width, 612.0);
    }

    #[test]
    fn latin_on_its_side_or_a_few_columns_leave_the_page_as_it_is() {
        let label = column(20.0, 700.0, 500.0, "Print or type");
        let mut page = Drawn { runs: vec![label], rules: vec![], width: 612.0, ..Drawn::default() };
        turn_columns(&mut page, 792.0);
        assert_eq!(page.width, 612.0);
        let body = Run::plain(72.0, 600.0, 500.0, 10.0, "本文は横書きで、長い段落が続きます。".into());
        let mut page = Drawn {
            runs: vec![column(20.0, 700.0, 650.0, "縦書き"), body],
            rules: vec![],
            width: 612.0,
            ..Drawn::default()
        };
        turn_columns(&mut page, 792.0);
        assert_eq!(page.width, 612.0);
        assert!(page.runs[0].sideways.is_some());
    }
}
