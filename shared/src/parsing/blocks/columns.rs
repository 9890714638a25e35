//! Reading order: a page's columns found by their gutters and read one after another.

use super::*;

/// A page set in two or three columns is read column by column: full-width lines above the
/// columns, each column left to right, then full-width lines below. Prose only: table columns
/// are short, and a table read across stays a table. Columns may fill only part of a page (a
/// guide's introduction across the page, two columns of advice below it): then the part above
/// and the part below are read the same way, each on its own.
pub(super) fn reading_order(runs: Vec<Run>, ruling: &Ruling, width: f32, body: f32) -> Vec<Line> {
    let mut lines = in_panels(runs, ruling, width, body, 0);
    mark_ruled(&mut lines, &ruling.across);
    mark_underlined(&mut lines, &ruling.across);
    lines
}

/// A row of panels side by side is read panel by panel, between what is above it and what is
/// below it (see [`panel_row`]); so is a row of fields, each a label over its value (see
/// [`field_row`]).
fn in_panels(runs: Vec<Run>, ruling: &Ruling, width: f32, body: f32, depth: usize) -> Vec<Line> {
    let shows_columns = |band: Vec<Run>| !find_gutters(&lines_of(&band), &band, width, (25.0, 25.0)).0.is_empty();
    let row = if depth < MAX_PANEL_DEPTH {
        panel_row(&runs, &ruling.panels, shows_columns).or_else(|| field_row(&runs))
    } else {
        None
    };
    let Some(row) = row else { return in_sections(runs, ruling, width, body) };
    let (mut above, mut below) = (Vec::new(), Vec::new());
    let mut panels: Vec<Vec<Run>> = vec![Vec::new(); row.panels.len()];
    for run in runs {
        if run.y >= row.top {
            above.push(run);
        } else if run.y <= row.bottom {
            below.push(run);
        } else if let Some(i) = row.holding(&run) {
            panels[i].push(run);
        } else {
            // A blank run between panels.
            below.push(run);
        }
    }
    let mut lines = in_panels(above, ruling, width, body, depth + 1);
    for panel in panels {
        lines.extend(in_panels(panel, ruling, width, body, depth + 1));
    }
    lines.extend(in_panels(below, ruling, width, body, depth + 1));
    lines
}

fn in_sections(mut runs: Vec<Run>, ruling: &Ruling, width: f32, body: f32) -> Vec<Line> {
    drop_caps(&mut runs, body);
    letter_bullets(&mut runs, body);
    let mut lines = Vec::new();
    let sections = boxes(runs, ruling);
    let mut carried = if sections.len() > 1 { Carried::of_page(&sections, width) } else { None };
    for mut section in sections {
        let keeps = carried.map_or(Keeps::Neither, |c| c.keeps_to(&section));
        let beside = carried.filter(|c| keeps == Keeps::Both && !c.titled_below(&section)).map(|c| c.gutter);
        if keeps == Keeps::Neither {
            carried = None;
        }
        if section.len() != 1 {
            match beside {
                Some(gutter) => lines.extend(columns(section.concat(), &[gutter], width, 0)),
                None => lines.extend(section.into_iter().flat_map(|b| ordered(b, width, 0))),
            }
            continue;
        }
        let b = section.remove(0);
        let box_lines = lines_of(&b);
        let found = find_gutters(&box_lines, &b, width, (25.0, 25.0));
        if let (ref g, closing) = found
            && g.len() == 1
            && closing == f32::NEG_INFINITY
        {
            carried = Carried::of(&b, g[0]);
        }
        // A box's own columns come first: two covers and their exclusions in one box are read
        // cover by cover where the box shows its columns band by band.
        lines.extend(split(b, box_lines, found, width, 0, beside));
    }
    lines
}

/// Two columns of a box that rules cut off from the next (a policy's "What is insured" beside
/// "What is not insured", a rule under each numbered cover): a section below whose text keeps
/// to both columns' edges goes on in them, though too short for its own gutter to show, and
/// one with text in one column only leaves them standing for the sections after it.
#[derive(Clone, Copy)]
struct Carried {
    gutter: f32,
    left: f32,
    right: f32,
}

/// Text this close (points) to a carried column's left edge starts at it.
const SAME_EDGE: f32 = 2.0;

/// How a box keeps to carried columns: text in both, or in one only.
#[derive(PartialEq)]
enum Keeps {
    Both,
    One,
    Neither,
}

impl Carried {
    fn of(runs: &[Run], gutter: f32) -> Option<Carried> {
        match Carried::edges(runs.iter(), gutter)? {
            (Some(left), Some(right)) => Some(Carried { gutter, left, right }),
            _ => None,
        }
    }

    /// The page's own two columns, where rules cut them into sections each too short to show
    /// them (a cover with one line of exclusion beside it): each side starts where most of its
    /// runs start, so a page number beyond the column is no edge.
    fn of_page(sections: &[Vec<Vec<Run>>], width: f32) -> Option<Carried> {
        let runs: Vec<Run> = sections.iter().flatten().flatten().cloned().collect();
        let (gutters, closing) = find_gutters(&lines_of(&runs), &runs, width, (25.0, 25.0));
        let [gutter] = gutters[..] else { return None };
        if closing != f32::NEG_INFINITY {
            return None;
        }
        let crosses = |r: &Run| r.x < gutter && r.end_x > gutter;
        let text = runs.iter().filter(|r| !r.text.trim().is_empty() && !crosses(r));
        let mut starts: (Vec<i32>, Vec<i32>) = (Vec::new(), Vec::new());
        for r in text {
            let side = if r.end_x <= gutter { &mut starts.0 } else { &mut starts.1 };
            side.push(r.x.round() as i32);
        }
        let most = |mut xs: Vec<i32>| {
            xs.sort_unstable();
            xs.chunk_by(|a, b| a == b).max_by_key(|same| same.len()).map(|same| same[0] as f32)
        };
        let (left, right) = (most(starts.0)?, most(starts.1)?);
        // Two columns of text, not a margin's notes beside one: each a quarter page or more.
        let end = runs.iter().map(|r| r.end_x).fold(right, f32::max);
        (gutter - left >= 0.25 * width && end - right >= 0.25 * width).then_some(Carried { gutter, left, right })
    }

    /// Where each side's text starts, if it has any, when no text crosses the gutter.
    fn edges<'a>(runs: impl Iterator<Item = &'a Run>, gutter: f32) -> Option<(Option<f32>, Option<f32>)> {
        let text = runs.filter(|r| !r.text.trim().is_empty());
        let (mut left, mut right): (Option<f32>, Option<f32>) = (None, None);
        for r in text {
            if r.x < gutter && r.end_x > gutter {
                return None;
            }
            let side = if r.end_x <= gutter { &mut left } else { &mut right };
            *side = Some(side.map_or(r.x, |x| x.min(r.x)));
        }
        Some((left, right))
    }

    /// A title set larger in the left column below the right column's last line: another
    /// cover starts there ("Selling your home" under "Tracing and accessing leaks", whose
    /// exclusion is beside it), so the section is read row by row, not column by column.
    fn titled_below(&self, section: &[Vec<Run>]) -> bool {
        let text: Vec<&Run> = section.iter().flatten().filter(|r| !r.text.trim().is_empty()).collect();
        let mut sizes: Vec<f32> = text.iter().map(|r| r.size).collect();
        sizes.sort_by(f32::total_cmp);
        let Some(&body) = sizes.get(sizes.len() / 2) else { return false };
        let bottom = text.iter().filter(|r| r.x >= self.gutter).map(|r| r.y).fold(f32::INFINITY, f32::min);
        text.iter().any(|r| {
            r.end_x <= self.gutter
                && r.y < bottom - 0.5 * r.size
                && r.bold
                && r.size >= 1.08 * body
                && (r.x - self.left).abs() <= SAME_EDGE
        })
    }

    fn keeps_to(&self, section: &[Vec<Run>]) -> Keeps {
        let same = |edge: Option<f32>, at: f32| edge.map(|x| (x - at).abs() <= SAME_EDGE);
        match Carried::edges(section.iter().flatten(), self.gutter) {
            Some((left, right)) => match (same(left, self.left), same(right, self.right)) {
                (Some(true), Some(true)) => Keeps::Both,
                (Some(true), None) | (None, Some(true)) => Keeps::One,
                _ => Keeps::Neither,
            },
            None => Keeps::Neither,
        }
    }
}

/// Marks each line underlined from end to end by a rule just under its baseline: a link, as
/// a browser sets one.
pub(super) fn mark_underlined(lines: &mut [Line], across: &[Rule]) {
    let mut rules: Vec<&Rule> = across.iter().collect();
    rules.sort_by(|a, b| a.y0.total_cmp(&b.y0));
    for line in lines.iter_mut() {
        let (x0, x1) = line.span();
        let (low, high) = (line.y - 0.4 * line.size, line.y + 0.05 * line.size);
        let from = rules.partition_point(|r| r.y0 < low);
        line.underlined = rules[from..].iter().take_while(|r| r.y0 <= high).any(|r| {
            r.x0 >= x0 - line.size && r.x1 <= x1 + line.size && r.x1.min(x1) - r.x0.max(x0) >= 0.7 * (x1 - x0)
        });
    }
}

/// Marks each line with a rule across it and the line before it, clear of both lines' type
/// (under the line before's descenders, over its own capitals) and reaching past the line
/// before (an underline does not): the lines are set apart, a title over a table's head or two
/// fields of a form, however close, not one paragraph.
pub(super) fn mark_ruled(lines: &mut [Line], across: &[Rule]) {
    let mut rules: Vec<&Rule> = across.iter().collect();
    rules.sort_by(|a, b| a.y0.total_cmp(&b.y0));
    for i in 1..lines.len() {
        let (above, line) = (&lines[i - 1], &lines[i]);
        let (low, high) = (line.y + 0.9 * line.size, above.y - 0.3 * above.size);
        if high <= low {
            continue;
        }
        let ((a0, a1), (b0, b1)) = (above.span(), line.span());
        let narrower = (a1 - a0).min(b1 - b0);
        let from = rules.partition_point(|r| r.y0 < low);
        // An underline (a link's, set well below its words) lies within the line above.
        let tol = above.size;
        let ruled = rules[from..].iter().take_while(|r| r.y0 <= high).any(|r| {
            let under = r.x0 >= a0 - tol && r.x1 <= a1 + tol;
            !under && r.x1.min(a1) - r.x0.max(a0) >= 0.5 * narrower && r.x1.min(b1) - r.x0.max(b0) >= 0.5 * narrower
        });
        lines[i].ruled_above = ruled;
    }
}

/// How deep parts of a page are split again into columns and bands.
const MAX_DEPTH: usize = 4;

pub(super) fn ordered(runs: Vec<Run>, width: f32, depth: usize) -> Vec<Line> {
    let lines = lines_of(&runs);
    let found = find_gutters(&lines, &runs, width, (25.0, 25.0));
    split(runs, lines, found, width, depth, None)
}

/// The runs read in the columns of the gutters found on their lines, or else by band, or else
/// in the columns of the gutter `beside`, if any.
fn split(
    runs: Vec<Run>,
    lines: Vec<Line>,
    found: (Vec<f32>, f32),
    width: f32,
    depth: usize,
    beside: Option<f32>,
) -> Vec<Line> {
    let (gutters, closing) = found;
    if !gutters.is_empty() {
        return closed_columns(runs, &gutters, closing, width, depth);
    }
    let unsplit = |runs: Vec<Run>, lines: Vec<Line>| match beside {
        Some(gutter) => columns(runs, &[gutter], width, depth),
        None => paired_lists(runs, lines, width),
    };
    let Some((top, bottom)) = column_band(&lines, &runs, width).filter(|_| depth < MAX_DEPTH) else {
        return unsplit(runs, lines);
    };
    let (mut above, mut band, mut below) = (Vec::new(), Vec::new(), Vec::new());
    for run in runs {
        let part = if run.y > top {
            &mut above
        } else if run.y < bottom {
            &mut below
        } else {
            &mut band
        };
        part.push(run);
    }
    // Columns under a full-width part must be clearly prose, one of them at least: two
    // columns of short items (a form's check boxes) are a table.
    let (gutters, closing) = find_gutters(&lines_of(&band), &band, width, (25.0, 40.0));
    if gutters.is_empty() {
        return unsplit(runs_of(above, band, below), lines);
    }
    let mut out = ordered(above, width, depth + 1);
    out.extend(closed_columns(band, &gutters, closing, width, depth));
    out.extend(ordered(below, width, depth + 1));
    out
}

fn runs_of(above: Vec<Run>, band: Vec<Run>, below: Vec<Run>) -> Vec<Run> {
    above.into_iter().chain(band).chain(below).collect()
}

/// Two lists set side by side, an item beside an item ("● the excess …" beside "● anything set
/// out in the GENERAL EXCLUSIONS …"), too short for gutters to show: each list is read on its
/// own, the left one first, so that no line joins the two. Where a line starts with a bullet
/// and sets the same bullet again further than a quarter of the page on, each with a few words
/// after it, the lists run down from it while no text crosses the second bullet's left edge.
fn paired_lists(runs: Vec<Run>, lines: Vec<Line>, width: f32) -> Vec<Line> {
    let Some((from, to, gutter)) = paired_stretch(&lines, width) else {
        return lines;
    };
    let top = if from == 0 { f32::INFINITY } else { (lines[from - 1].y + lines[from].y) / 2.0 };
    let bottom = if to == lines.len() { f32::NEG_INFINITY } else { (lines[to - 1].y + lines[to].y) / 2.0 };
    let (mut left, mut right, mut below) = (Vec::new(), Vec::new(), Vec::new());
    let mut out: Vec<Line> = lines.into_iter().take(from).collect();
    for run in runs.into_iter().filter(|r| r.y <= top) {
        if run.y < bottom {
            below.push(run);
        } else if run.x < gutter {
            left.push(run);
        } else {
            right.push(run);
        }
    }
    out.extend(lines_of(&left));
    out.extend(lines_of(&right));
    let rest = lines_of(&below);
    out.extend(paired_lists(below, rest, width));
    out
}

/// The first stretch of lines `[from, to)` holding two lists side by side, and the x that
/// parts them.
fn paired_stretch(lines: &[Line], width: f32) -> Option<(usize, usize, f32)> {
    let bullet = |c: &Cell| c.text.trim_start().chars().next().filter(|ch| BULLETS.contains(ch));
    let words = |cells: &[Cell]| {
        cells.iter().flat_map(|c| c.text.split_whitespace()).filter(|w| w.chars().any(char::is_alphabetic)).count()
    };
    lines.iter().enumerate().find_map(|(from, line)| {
        let marks: Vec<usize> = (0..line.cells.len()).filter(|k| bullet(&line.cells[*k]).is_some()).collect();
        let [0, second] = marks[..] else { return None };
        let cells = &line.cells;
        let paired = bullet(&cells[0]) == bullet(&cells[second])
            && cells[second].x - cells[0].x >= 0.25 * width
            && words(&cells[..second]) >= 3
            && words(&cells[second..]) >= 3;
        if !paired {
            return None;
        }
        let gutter = cells[second].x - 0.5;
        let mut to = from + 1;
        while let Some(next) = lines.get(to) {
            let above = &lines[to - 1];
            let crosses = next.cells.iter().any(|c| c.x < gutter && c.end_x > gutter);
            if crosses || above.y - next.y > 2.5 * above.size.max(next.size) || (next.size - line.size).abs() > 1.0 {
                break;
            }
            to += 1;
        }
        Some((from, to, gutter))
    })
}

/// Columns above the full-width line that closes them (`closing`, a baseline), then what is
/// below it read on its own: a logo or a page number under a form's closing note is not the
/// foot of a column.
pub(super) fn closed_columns(runs: Vec<Run>, gutters: &[f32], closing: f32, width: f32, depth: usize) -> Vec<Line> {
    let (cols, rest): (Vec<Run>, Vec<Run>) = runs.into_iter().partition(|r| r.y > closing);
    let mut out = columns(cols, gutters, width, depth);
    if !rest.is_empty() {
        out.extend(ordered(rest, width, depth + 1));
    }
    out
}

/// Lines read column by column between the gutters; runs that cross a gutter are full-width
/// lines, read before the columns when above them and after otherwise. Each column is read as
/// a page of its own: beside a margin note set on its own baselines, an article's title and
/// summary run across the article's two columns, which the page's gutters do not show.
pub(super) fn columns(runs: Vec<Run>, gutters: &[f32], width: f32, depth: usize) -> Vec<Line> {
    // Runs, not merged cells, are split at the gutters: a narrow gutter is narrower than the
    // gap that separates table cells, so one baseline's cells can run across it.
    let mut columns: Vec<Vec<Run>> = vec![Vec::new(); gutters.len() + 1];
    let mut full = Vec::new();
    for run in runs {
        if gutters.iter().any(|g| run.x < *g && run.end_x > *g) {
            full.push(run);
        } else {
            let col = gutters.iter().filter(|g| run.end_x > **g).count();
            columns[col].push(run);
        }
    }
    lift_title(&mut columns, &mut full);
    let mut columns: Vec<Vec<Line>> =
        columns
            .into_iter()
            .map(|c| {
                if depth < MAX_DEPTH && room_for_columns(&c, width) {
                    ordered(c, width, depth + 1)
                } else {
                    lines_of(&c)
                }
            })
            .collect();
    let mut full = lines_of(&full);
    wrapped_titles(&mut columns, &mut full);
    wrapped_notes(&mut columns, &mut full);
    let heads = running_heads(&mut columns, &full);
    let top = columns.iter().filter_map(|c| c.first().map(|l| l.y)).fold(f32::MIN, f32::max);
    let (above, below): (Vec<Line>, Vec<Line>) = full.into_iter().partition(|l| l.y > top);
    for c in 1..columns.len() {
        let n = masthead(&columns[c - 1], &columns[c]);
        if n > 0 {
            // Into the first column by height: a page number above it still opens the page.
            let head: Vec<Line> = columns[c].drain(..n).collect();
            let at = columns[0].partition_point(|l| l.y > head[0].y);
            columns[0].splice(at..at, head);
        }
    }
    heads.into_iter().chain(above).chain(columns.into_iter().flatten()).chain(below).collect()
}

/// A full-width title's wrapped last line, which fits in the first column ("Section 7 - Missed
/// Departure &" / "Connection"), taken out of the column to be read with the title: left in,
/// it would open the column above the title's introduction, which would be read after it all.
fn wrapped_titles(columns: &mut [Vec<Line>], full: &mut Vec<Line>) {
    for column in columns.iter_mut() {
        while let Some(first) = column.first() {
            let wraps = full.iter().any(|f| {
                f.bold
                    && first.bold
                    && (f.size - first.size).abs() < 0.5
                    && f.y > first.y
                    && f.y - first.y <= 1.6 * f.size
                    && (f.span().0 - first.span().0).abs() <= 2.0
            });
            if !wraps {
                break;
            }
            full.push(column.remove(0));
        }
    }
    full.sort_by(|a, b| b.y.total_cmp(&a.y));
}

/// A full-width note's wrapped lines under the columns, short enough to fit in the first
/// ("Please remember – … won't cover wear and tear," / "ageing or … breakdowns."): taken out
/// of the column, which would read them before the note.
fn wrapped_notes(columns: &mut [Vec<Line>], full: &mut Vec<Line>) {
    let Some(tops) = columns.iter().map(|c| c.first().map(|l| l.y)).collect::<Option<Vec<f32>>>() else {
        return;
    };
    let lowest_top = tops.into_iter().fold(f32::INFINITY, f32::min);
    let wraps = |f: &Line, l: &Line| {
        f.y < lowest_top
            && f.y > l.y
            && f.y - l.y <= 1.6 * f.size
            && (f.size - l.size).abs() < 0.5
            && (f.span().0 - l.span().0).abs() <= 2.0
    };
    let mut moved = false;
    while let Some((c, k)) = columns
        .iter()
        .enumerate()
        .find_map(|(c, column)| column.iter().position(|l| full.iter().any(|f| wraps(f, l))).map(|k| (c, k)))
    {
        full.push(columns[c].remove(k));
        moved = true;
    }
    if moved {
        full.sort_by(|a, b| b.y.total_cmp(&a.y));
    }
}

/// The lines a column sets above every full-width line (a running head, a page number), taken
/// out of the columns when they are a line or two in each and a full-width line lies above
/// what the columns then open with: a section's title and introduction across its two columns,
/// under the page's running head, are read before the columns, not after them.
fn running_heads(columns: &mut [Vec<Line>], full: &[Line]) -> Vec<Line> {
    const MOST: usize = 2;
    // Clear of the highest full-width line's type, not level with it (a column's first heading
    // set beside a section's title).
    let Some(highest) = full.iter().map(|l| l.y + l.size).max_by(f32::total_cmp) else {
        return Vec::new();
    };
    let counts: Vec<usize> = columns.iter().map(|c| c.iter().take_while(|l| l.y > highest).count()).collect();
    let fits = columns
        .iter()
        .zip(&counts)
        .all(|(c, &n)| n <= MOST && n < c.len().max(1) && c.iter().filter(|l| l.y > highest).count() == n);
    if !fits || counts.iter().all(|&n| n == 0) {
        return Vec::new();
    }
    let top = columns.iter().zip(&counts).filter_map(|(c, &n)| c.get(n).map(|l| l.y)).fold(f32::MIN, f32::max);
    if highest <= top {
        return Vec::new();
    }
    columns.iter_mut().zip(counts).flat_map(|(c, n)| c.drain(..n).collect::<Vec<_>>()).collect()
}

/// Text spanning 40 % of the page or more: room for two columns of prose. A column of a
/// two-column page is narrower, and reading it again as a page would only cost time.
fn room_for_columns(runs: &[Run], width: f32) -> bool {
    let (lo, hi) = runs.iter().fold((f32::MAX, f32::MIN), |(lo, hi), r| (lo.min(r.x), hi.max(r.end_x)));
    hi - lo >= 0.4 * width
}

/// A full-width line set beside the top of one column, above the other columns' first lines
/// (a section's title "SECTION 2  DIESEL ENGINES" whose last word runs over the gutter, under
/// the first column's running head), is read before the columns, with what that column sets
/// level with it or above: otherwise its start would open the first column and its end, not
/// above every column, would be read after them all.
fn lift_title(columns: &mut [Vec<Run>], full: &mut Vec<Run>) {
    let highs: Vec<f32> = columns.iter().map(|c| c.iter().map(|r| r.y).fold(f32::MIN, f32::max)).collect();
    let Some(first) = (0..highs.len()).max_by(|a, b| highs[*a].total_cmp(&highs[*b])) else {
        return;
    };
    let top = highs[first];
    let second = highs.iter().enumerate().filter(|(c, _)| *c != first).map(|(_, h)| *h).fold(f32::MIN, f32::max);
    // The lowest such line: what the column sets level with it or above is lifted, and no
    // more (a caption or a raised prime lower down stays where it is).
    let level = |f: &Run| f.y > second + 0.2 * f.size && f.y <= top + 0.2 * f.size;
    let Some(floor) = full.iter().filter(|f| level(f)).map(|f| f.y - 0.2 * f.size).min_by(f32::total_cmp) else {
        return;
    };
    let (lifted, rest): (Vec<Run>, Vec<Run>) =
        std::mem::take(&mut columns[first]).into_iter().partition(|r| r.y >= floor);
    full.extend(lifted);
    columns[first] = rest;
}

/// A few lines heading a column apart from its text, which reads on from the column before
/// mid-sentence: a masthead set atop the last column of a first page ("Federal Register /
/// Vol. 85, No. 152 / Thursday, August 6, 2020"), read with the first column so that the
/// sentence stays whole. Returns how many lines.
pub(super) fn masthead(before: &[Line], column: &[Line]) -> usize {
    let Some(last) = before.last() else { return 0 };
    if last.text().trim_end().ends_with(['.', '!', '?', ':']) {
        return 0;
    }
    let gap = |i: usize| column[i - 1].y - column[i].y > 2.5 * column[i - 1].size.max(column[i].size);
    (1..column.len().min(5))
        .find(|&i| gap(i))
        .filter(|&i| column[i].text().starts_with(char::is_lowercase))
        .unwrap_or(0)
}

/// The tallest stretch of consecutive lines (top and bottom baselines) that leaves some x
/// between 15 % and 85 % of the page uncrossed, when it is not the whole page: where columns
/// may be.
pub(super) fn column_band(lines: &[Line], runs: &[Run], width: f32) -> Option<(f32, f32)> {
    const MIN_LINES: usize = 8;
    if lines.len() <= MIN_LINES || width <= 0.0 {
        return None;
    }
    // Lines are sorted top down; a run belongs to the nearest line's baseline.
    let line_of = |y: f32| {
        let i = lines.partition_point(|l| l.y > y);
        [i.checked_sub(1), Some(i)]
            .into_iter()
            .flatten()
            .filter(|&j| j < lines.len())
            .min_by(|a, b| (lines[*a].y - y).abs().total_cmp(&(lines[*b].y - y).abs()))
    };
    // Up to 128 probe positions, 4 points apart or more: each line's crossed positions are
    // one bit mask, so a page costs a pass over its runs and one over positions × lines.
    let (from, span) = (width * 0.15, width * 0.7);
    let step = (span / 127.0).max(4.0);
    let n = ((span / step) as usize + 1).min(128);
    let mut crossed = vec![0u128; lines.len()];
    // Positions with text to their left, and to their right, on each line.
    let (mut left, mut right) = (vec![0u128; lines.len()], vec![0u128; lines.len()]);
    let below = |x: f32| ((x - from) / step).floor().clamp(-1.0, n as f32 - 1.0) as i32;
    for r in runs.iter().filter(|r| !r.text.trim().is_empty()) {
        let Some(i) = line_of(r.y) else { continue };
        // Positions k with from + k·step > x: those at or after the first one past the run's start.
        let past_start = (below(r.x) + 1) as u32;
        if past_start < 128 {
            left[i] |= u128::MAX << past_start;
        }
        let before_end = below(r.end_x);
        if before_end >= 0 {
            right[i] |= u128::MAX >> (127 - before_end);
        }
        // Positions strictly inside the run: x < from + k·step < end_x.
        let lo = ((r.x - from) / step).floor() + 1.0;
        let hi = ((r.end_x - from) / step).ceil() - 1.0;
        let (lo, hi) = (lo.max(0.0) as usize, hi.min(n as f32 - 1.0));
        if hi >= lo as f32 {
            let hi = hi as usize;
            crossed[i] |= (u128::MAX >> (127 - hi)) & (u128::MAX << lo);
        }
    }
    let mut best: Option<(usize, usize)> = None;
    for k in 0..n {
        let (mut start, mut sides) = (0, (0u128, 0u128));
        // The page's end closes the last stretch as a crossed line would.
        for (i, mask) in crossed.iter().chain([&u128::MAX]).enumerate() {
            if mask >> k & 1 == 1 {
                // A stretch with no text on one side is a margin, not a gutter.
                let beside = sides.0 & sides.1;
                if beside >> k & 1 == 1 && i - start > best.map_or(0, |(a, b)| b - a) {
                    best = Some((start, i));
                }
                (start, sides) = (i + 1, (0, 0));
            } else {
                sides = (sides.0 | left[i], sides.1 | right[i]);
            }
        }
    }
    let (a, b) = best?;
    if b - a < MIN_LINES || b - a == lines.len() {
        return None;
    }
    // Cut halfway between the band's edge lines and their neighbours outside it.
    let top = if a == 0 { f32::INFINITY } else { (lines[a - 1].y + lines[a].y) / 2.0 };
    let bottom = if b == lines.len() { f32::NEG_INFINITY } else { (lines[b - 1].y + lines[b].y) / 2.0 };
    Some((top, bottom))
}

/// x positions between 15 % and 85 % of the page that almost no text crosses and that have
/// prose on both sides: one gutter for two columns, two for three. Prose is measured in
/// characters per cell on average: `(in every column, in one column at least)`. With the
/// gutters, the baseline of the full-width line that closes the columns, if any (-∞ if none).
pub(super) fn find_gutters(lines: &[Line], runs: &[Run], width: f32, prose: (f32, f32)) -> (Vec<f32>, f32) {
    let none = (Vec::new(), f32::NEG_INFINITY);
    if lines.len() < 6 || width <= 0.0 {
        return none;
    }
    let merged: Vec<&Cell> = lines.iter().flat_map(|l| &l.cells).collect();
    // A title or a footer may span the columns.
    let allowed = 1 + lines.len() / 10;
    let step = 4.0;
    // Stretches of x that few runs cross; in each, the middle of its longest unbroken reach of
    // least-crossed positions: a label hanging at the next column's edge ("3." of "3. Claims
    // procedures") splits a gutter's clear reach in two, and the middle of both ends lies on it.
    let mut stretches: Vec<Vec<(f32, usize)>> = Vec::new();
    let spans: Vec<(f32, f32)> = runs.iter().filter(|r| !r.text.trim().is_empty()).map(|r| (r.x, r.end_x)).collect();
    let mut x = width * 0.15;
    while x <= width * 0.85 {
        let crossing = spans.iter().filter(|(from, to)| *from < x && *to > x).count();
        if crossing <= allowed {
            match stretches.last_mut() {
                Some(s) if s.last().is_some_and(|(end, _)| x - end <= step * 1.5) => s.push((x, crossing)),
                _ => stretches.push(vec![(x, crossing)]),
            }
        }
        x += step;
    }
    // Each gutter with whether it is clear: no run crosses it, over a gutter's width.
    let found: Vec<(f32, bool)> = stretches
        .iter()
        .filter_map(|s| {
            let least = s.iter().map(|(_, n)| *n).min()?;
            let reaches = s.chunk_by(|a, b| (a.1 == least) == (b.1 == least) && b.0 - a.0 <= step * 1.5);
            let widest = reaches.filter(|r| r[0].1 == least).max_by(|a, b| {
                let width = |r: &[(f32, usize)]| r[r.len() - 1].0 - r[0].0;
                // The first of equals: `max_by` keeps the last.
                width(a).total_cmp(&width(b)).then(b[0].0.total_cmp(&a[0].0))
            })?;
            let (from, to) = (widest[0].0, widest[widest.len() - 1].0);
            Some(((from + to) / 2.0, least == 0 && to - from >= CLEAR_GUTTER))
        })
        .collect();
    let gutters: Vec<f32> = found.iter().map(|(g, _)| *g).collect();
    // Cells cut at the gutters being tried, recut whenever a gutter is dropped.
    let mut split = split_cells(lines, runs, &gutters);
    let mut beside_text = found;
    {
        let cells: Vec<&Cell> = split.as_ref().map_or_else(|| merged.clone(), |own| own.iter().collect());
        let cells_beside =
            |g: f32| (cells.iter().filter(|c| c.end_x <= g).count(), cells.iter().filter(|c| c.x >= g).count());
        // A margin is not a gutter: text on both sides.
        beside_text.retain(|(g, _)| {
            let (left, right) = cells_beside(*g);
            left >= 4 && right >= 4
        });
    }
    let candidates: Vec<f32> = beside_text.iter().map(|(g, _)| *g).collect();
    // Every column between the gutters must hold prose.
    let prose_chars = |cells: &[&Cell], from: f32, to: f32| -> Option<(usize, f32)> {
        let side: Vec<&&Cell> = cells.iter().filter(|c| c.x >= from && c.end_x <= to).collect();
        // A full-width character is two: a line of Japanese holds half the characters of a
        // line of English as wide.
        let width = |t: &str| t.chars().count() + if t.is_ascii() { 0 } else { t.chars().filter(|c| wide(*c)).count() };
        let chars = side.iter().map(|c| width(&c.text)).sum::<usize>();
        let mean = chars as f32 / side.len().max(1) as f32;
        (side.len() >= 4 && mean >= prose.0).then_some((chars, mean))
    };
    let prose_split = |mut gutters: Vec<f32>, mut split: Option<Vec<Cell>>| {
        while !gutters.is_empty() {
            let mut bounds = vec![f32::MIN];
            bounds.extend(&gutters);
            bounds.push(f32::MAX);
            let cells: Vec<&Cell> = split.as_ref().map_or_else(|| merged.clone(), |own| own.iter().collect());
            let columns: Vec<Option<(usize, f32)>> =
                bounds.windows(2).map(|w| prose_chars(&cells, w[0], w[1])).collect();
            if gutters.len() <= 2
                && columns.iter().all(Option::is_some)
                && columns.iter().flatten().any(|(_, mean)| *mean >= prose.1)
            {
                return Some(gutters);
            }
            // Merge the poorest column into a neighbour by dropping a gutter beside it.
            let poorest = (0..columns.len()).min_by_key(|i| columns[*i].map_or(0, |(chars, _)| chars)).unwrap_or(0);
            gutters.remove(poorest.min(gutters.len() - 1));
            split = split_cells(lines, runs, &gutters);
        }
        None
    };
    // Gutters no run crosses split the page first where they can, and the others each part
    // later: a landscape spread of two sections, each with a title and an introduction across
    // its own two columns, is two halves, not four columns under two titles.
    let clear: Vec<f32> = beside_text.iter().filter(|(_, clear)| *clear).map(|(g, _)| *g).collect();
    if !clear.is_empty() && clear.len() < candidates.len() {
        let split = split_cells(lines, runs, &clear);
        if let Some(gutters) = prose_split(clear, split) {
            return (gutters, f32::NEG_INFINITY);
        }
    }
    if candidates.len() < gutters.len() {
        split = split_cells(lines, runs, &candidates);
    }
    if let Some(gutters) = prose_split(candidates.clone(), split) {
        return (gutters, f32::NEG_INFINITY);
    }
    // Where no split into prose columns is found, columns set on their own baselines (a form
    // beside its instructions) are columns however short their lines; a table's columns share
    // their rows' baselines.
    let apart: Vec<(f32, f32)> =
        candidates.into_iter().filter_map(|g| own_baselines(runs, g).map(|closing| (g, closing))).collect();
    if !(1..=2).contains(&apart.len()) {
        return none;
    }
    let closing = apart.iter().map(|(_, c)| *c).fold(f32::NEG_INFINITY, f32::max);
    (apart.into_iter().map(|(g, _)| g).collect(), closing)
}

/// The width of an uncrossed reach that is a gutter, not the space after a column's bullets.
const CLEAR_GUTTER: f32 = 12.0;

/// The page's cells cut at the gutters that cells run across and no run crosses, where the
/// gap at the gutter is the widest in each such cell: a gutter narrower than the gap between
/// a table's cells (LaTeX's 10 points between columns) joins each baseline's two halves into
/// one cell. Items set at an even pitch (a chart's axis, a grid of formulas) are not cut.
/// `None`: no cell is cut.
fn split_cells(lines: &[Line], runs: &[Run], gutters: &[f32]) -> Option<Vec<Cell>> {
    let across = |x: f32, end_x: f32| gutters.iter().any(|g| x < *g && end_x > *g);
    if !lines.iter().flat_map(|l| &l.cells).any(|c| across(c.x, c.end_x)) {
        return None;
    }
    let mut by_y: Vec<&Run> = runs.iter().filter(|r| !r.text.trim().is_empty()).collect();
    by_y.sort_by(|a, b| a.y.total_cmp(&b.y));
    let clean = |g: f32| {
        let mut crossed = 0;
        for line in lines {
            for cell in line.cells.iter().filter(|c| c.x < g && c.end_x > g) {
                let tol = 0.3 * line.size;
                let from = by_y.partition_point(|r| r.y < line.y - tol);
                let mut parts: Vec<(f32, f32)> = by_y[from..]
                    .iter()
                    .take_while(|r| r.y <= line.y + tol)
                    .filter(|r| r.x >= cell.x - 0.5 && r.end_x <= cell.end_x + 0.5)
                    .map(|r| (r.x, r.end_x))
                    .collect();
                // A title across the columns is a full-width line, not two halves.
                if parts.iter().any(|(x, end_x)| *x < g && *end_x > g) {
                    continue;
                }
                crossed += 1;
                parts.sort_by(|a, b| a.0.total_cmp(&b.0));
                let gaps = parts.windows(2).map(|w| (w[0].1, w[1].0 - w[0].1));
                let (mut at, mut other) = (None, 0.0f32);
                for (end, gap) in gaps {
                    if end <= g && end + gap >= g {
                        at = Some(gap);
                    } else {
                        other = other.max(gap);
                    }
                }
                if !at.is_some_and(|gap| gap > 0.0 && gap >= 1.5 * other) {
                    return None;
                }
            }
        }
        (crossed > 0).then_some(g)
    };
    let cut: Vec<f32> = gutters.iter().filter_map(|g| clean(*g)).collect();
    if cut.is_empty() {
        return None;
    }
    let full_width = |r: &Run| cut.iter().any(|g| r.x < *g && r.end_x > *g);
    let mut sides: Vec<Vec<&Run>> = vec![Vec::new(); cut.len() + 2];
    for run in runs {
        let side = if full_width(run) { cut.len() + 1 } else { cut.iter().filter(|g| run.end_x > **g).count() };
        sides[side].push(run);
    }
    Some(sides.into_iter().flat_map(lines_of).flat_map(|l| l.cells).collect())
}

/// No text crosses `gutter` above the lines that close the columns (a note centred under a
/// form), both sides hold six lines and some words or more there, and few of their baselines
/// meet: each side keeps its own line spacing, where a table's cells share their rows'
/// baselines. A chart's labels have too few words to count. Returns the closing lines' top
/// baseline (-∞ if none) when the gutter holds.
pub(super) fn own_baselines(runs: &[Run], gutter: f32) -> Option<f32> {
    let text: Vec<&Run> = runs.iter().filter(|r| !r.text.trim().is_empty()).collect();
    let crosses = |r: &&Run| r.x < gutter && r.end_x > gutter;
    // Lines across the gutter may close the columns: nothing else is set among them.
    let closing = text.iter().filter(|r| crosses(r)).map(|r| r.y).fold(f32::NEG_INFINITY, f32::max);
    let first_crossing = text.iter().filter(|r| crosses(r)).map(|r| r.y).fold(f32::INFINITY, f32::min);
    if text.iter().any(|r| !crosses(r) && r.y <= closing && r.y >= first_crossing) {
        return None;
    }
    let side = |left: bool| {
        let runs: Vec<&Run> = text
            .iter()
            .copied()
            .filter(|r| r.y > closing && if left { r.end_x <= gutter } else { r.x >= gutter })
            .collect();
        let letters: usize = runs.iter().map(|r| r.text.chars().filter(|c| c.is_alphabetic()).count()).sum();
        let weighted: f32 = runs.iter().map(|r| r.size * r.text.chars().count() as f32).sum();
        let size = weighted / runs.iter().map(|r| r.text.chars().count()).sum::<usize>().max(1) as f32;
        let mut ys: Vec<i32> = runs.iter().map(|r| (r.y * 2.0).round() as i32).collect();
        ys.sort_unstable();
        ys.dedup();
        (ys, letters, size)
    };
    let ((left, left_letters, left_size), (right, right_letters, right_size)) = (side(true), side(false));
    let near = |y: &i32| (y - 1..=y + 1).any(|y| right.binary_search(&y).is_ok());
    let shared = left.iter().filter(|y| near(y)).count();
    // A table's columns share one type size too; beside a sample set in small print, a column's
    // baselines meet the sample's dense ones by chance.
    let one_size = left_size.max(right_size) < 1.5 * left_size.min(right_size);
    (left.len() >= 6
        && right.len() >= 6
        && left_letters.min(right_letters) >= OWN_COLUMN_LETTERS.0
        && left_letters + right_letters >= OWN_COLUMN_LETTERS.1
        && (!one_size || shared * 4 <= left.len().min(right.len())))
    .then_some(closing)
}

/// The letters columns set on their own baselines hold at least, `(each, both)`: a paragraph
/// or two, or a form's labels beside another's.
pub(super) const OWN_COLUMN_LETTERS: (usize, usize) = (100, 300);
