//! Runs grouped into lines and cells: baselines, gaps, superscripts, a form's side labels.

use super::*;

#[derive(Clone, Debug)]
pub(super) struct Cell {
    pub(super) x: f32,
    pub(super) end_x: f32,
    /// The size of its longest worded run: most of its text is set so.
    pub(super) size: f32,
    /// How many characters that run has.
    pub(super) size_chars: usize,
    pub(super) text: String,
}

#[derive(Clone, Debug)]
pub(super) struct Line {
    pub(super) y: f32,
    pub(super) size: f32,
    pub(super) bold: bool,
    /// The bold words a line starts with when the rest is not bold ("B. Changes We may ...").
    pub(super) bold_lead: Option<String>,
    /// The bold words a line starts with, set larger than the rest, and their size: a form's
    /// section label in its margin ("Payments" beside "25 Federal income tax withheld …").
    pub(super) side_label: Option<(String, f32)>,
    pub(super) cells: Vec<Cell>,
    /// The structure tree's role for every run of the line, when they agree.
    pub(super) role: Option<Role>,
    /// A rule is drawn across it and the line before it, in the space between them.
    pub(super) ruled_above: bool,
    /// All its text is letters stacked down a form's box or margin.
    pub(super) stacked: bool,
    /// Its last word ends with the line: the writer set a space after it. Korean wraps
    /// mid-word as well as between words, and only this space tells the two apart.
    pub(super) word_end: bool,
    /// The fill colour all its words are drawn in, if one.
    pub(super) fill: Option<u32>,
    /// Drawn in a colour of its own, apart from the body text's: set off as a heading is
    /// (Word's heading styles are blue, the third no larger than the body, and not bold).
    pub(super) accent: bool,
    /// A rule under it from end to end, as under a link.
    pub(super) underlined: bool,
}

impl Line {
    /// Where its first cell starts and its last ends.
    pub(super) fn span(&self) -> (f32, f32) {
        (self.cells.first().map_or(0.0, |c| c.x), self.cells.last().map_or(0.0, |c| c.end_x))
    }

    pub(super) fn text(&self) -> String {
        let cells: Vec<&str> = self.cells.iter().map(|c| c.text.as_str()).collect();
        let joined = cells.join(" ");
        // A right-to-left line's cells, each in reading order, are read from the right.
        if cells.len() > 1 && crate::parsing::bidi::mostly_right_to_left(&joined) {
            return cells.into_iter().rev().collect::<Vec<_>>().join(" ");
        }
        joined
    }
}

/// Runs whose baselines are this close (in ems) share a line.
pub(super) const SAME_LINE: f32 = 0.4;

/// Items grouped into lines by their runs' baselines, top to bottom: a run within `SAME_LINE`
/// of a line's first run joins it.
pub(in crate::parsing) fn by_line<'r, T>(mut items: Vec<T>, run: impl Fn(&T) -> &'r Run) -> Vec<Vec<T>> {
    items.sort_by(|a, b| run(b).y.total_cmp(&run(a).y).then(run(a).x.total_cmp(&run(b).x)));
    let mut groups: Vec<Vec<T>> = Vec::new();
    for item in items {
        match groups.last_mut() {
            Some(g) if (run(&g[0]).y - run(&item).y).abs() <= SAME_LINE * run(&g[0]).size.max(run(&item).size) => {
                g.push(item)
            }
            _ => groups.push(vec![item]),
        }
    }
    groups
}

/// The bold lead's words as the line's text sets them, spaces and all: runs drawn apart
/// without a space between them ("Vehicle" "Damage") are two words in the line, and in its lead.
fn as_set(lead: &str, cells: &[Cell]) -> String {
    let wanted = lead.chars().filter(|c| !c.is_whitespace()).count();
    let text = cells.first().map_or("", |c| c.text.as_str());
    let mut seen = 0;
    let end = text.char_indices().find_map(|(at, c)| {
        seen += usize::from(!c.is_whitespace());
        (seen == wanted).then_some(at + c.len_utf8())
    });
    match end {
        Some(end)
            if text[..end].chars().filter(|c| !c.is_whitespace()).eq(lead.chars().filter(|c| !c.is_whitespace())) =>
        {
            text[..end].to_owned()
        }
        // Reordered (right to left) or cut into cells: as the runs spell it.
        _ => lead.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

pub(super) fn lines_of<'r>(runs: impl IntoIterator<Item = &'r Run>) -> Vec<Line> {
    let groups = by_line(runs.into_iter().collect(), |r: &&Run| *r);
    // A superscript or subscript (an ordinal's "th", a footnote mark) sits off its line's
    // baseline, set smaller, right against a run of the line: it is part of that line.
    let mut lines: Vec<Vec<&Run>> = Vec::with_capacity(groups.len());
    let mut groups = groups.into_iter().peekable();
    while let Some(group) = groups.next() {
        if let Some(above) = lines.last_mut()
            && is_script_of(&group, above)
        {
            above.extend(group);
        } else if let Some(below) = groups.peek_mut()
            && is_script_of(&group, below)
        {
            below.extend(group);
        } else {
            lines.push(group);
        }
    }
    lines
        .into_iter()
        .map(|mut g| {
            g.sort_by(|a, b| a.x.total_cmp(&b.x));
            crate::parsing::bidi::marks_before_letters(&mut g);
            // A warning sign or bullet set large ("▲!" before a caution) does not make its line
            // a heading: the line's size is its words'.
            let worded = |r: &&&Run| r.text.chars().any(char::is_alphanumeric);
            // So does a short label hanging large before it ("Q:" set at 30 points before an
            // 18-point question): the line is set as its words are, and wraps as they do.
            let label = usize::from(hanging_label(&g));
            let size = match g[label..].iter().filter(worded).map(|r| r.size).fold(0.0, f32::max) {
                0.0 => g.iter().map(|r| r.size).fold(0.0, f32::max),
                size => size,
            };
            let bold = g[label..].iter().all(|r| r.bold || r.text.trim().is_empty());
            let mut cells: Vec<Cell> = Vec::new();
            // A dot leader ("Add lines 12 and 13 . . . . 14") fills the gap it sits in: its dots,
            // however far apart, run on from the text before them.
            let dots = |i: usize| g.get(i).is_some_and(|r| is_leader(&r.text));
            for (i, r) in g.iter().enumerate() {
                let leader = dots(i) && (dots(i + 1) || i.checked_sub(1).is_some_and(dots));
                // A sideways label ("Form" beside "1040") is its own word, however close.
                let turn = r.sideways.is_some() || i.checked_sub(1).is_some_and(|p| g[p].sideways.is_some());
                // A field's value drawn over the page's own text beside it is another word.
                let field = i.checked_sub(1).is_some_and(|p| g[p].annotation != r.annotation);
                // Figures set closer than a cell's gap are still a table's columns ("30.82
                // 31.22"): prose never leaves most of an em between two numbers.
                let figures = |c: &Cell| {
                    r.x - c.end_x > FIGURES_GAP * r.size && is_figure(&r.text) && i > 0 && is_figure(&g[i - 1].text)
                };
                match cells.last_mut() {
                    Some(c) if (r.x - c.end_x <= CELL_GAP * r.size && !figures(c)) || leader => {
                        let spaced = i.checked_sub(1).is_some_and(|p| g[p].spaced);
                        let joined = !turn
                            && !field
                            && (c.text.ends_with(' ')
                                || r.text.starts_with(' ')
                                || (r.x - c.end_x < JOINED_RUNS * r.size && !spaced));
                        if !joined {
                            c.text.push(' ');
                        }
                        c.text.push_str(&r.text);
                        c.end_x = c.end_x.max(r.end_x);
                        let chars = r.text.chars().count();
                        if worded(&r) && chars > c.size_chars {
                            (c.size, c.size_chars) = (r.size, chars);
                        }
                    }
                    _ => {
                        let chars = if worded(&r) { r.text.chars().count() } else { 0 };
                        cells.push(Cell {
                            x: r.x,
                            end_x: r.end_x,
                            size: r.size,
                            size_chars: chars,
                            text: r.text.clone(),
                        })
                    }
                }
            }
            let word_end = cells.last().is_some_and(|c| c.text.ends_with(char::is_whitespace));
            for c in &mut cells {
                squeeze_spaces(&mut c.text);
                if let Some(logical) = crate::parsing::bidi::to_logical(&c.text) {
                    c.text = logical;
                }
            }
            cells.retain(|c| !c.text.is_empty());
            let lead: Vec<&str> =
                g.iter().take_while(|r| r.bold || r.text.trim().is_empty()).map(|r| r.text.as_str()).collect();
            let bold_lead =
                (!bold && !lead.is_empty()).then(|| as_set(&lead.concat(), &cells)).filter(|t| !t.is_empty());
            let side_label = side_label_of(&g);
            let mut roles = g.iter().filter(|r| !r.text.trim().is_empty()).map(|r| r.role);
            let role = roles.next().flatten().filter(|first| roles.all(|r| r == Some(*first)));
            let stacked = g.iter().all(|r| r.stacked);
            let mut fills = g[label..].iter().filter(worded).map(|r| r.fill);
            let fill = fills.next().filter(|first| fills.all(|f| f == *first));
            Line {
                y: g[label].y,
                size,
                bold,
                bold_lead,
                side_label,
                cells,
                role,
                ruled_above: false,
                stacked,
                word_end,
                fill,
                accent: false,
                underlined: false,
            }
        })
        .filter(|l| !l.cells.is_empty())
        .collect()
}

/// Whether a line's runs (left to right) start with a label of a few characters ("Q:", "A:",
/// "3") set `SIDE_LABEL` times larger than every worded run after it.
fn hanging_label(runs: &[&Run]) -> bool {
    let [first, rest @ ..] = runs else { return false };
    let label = first.text.trim();
    let after = rest.iter().filter(|r| r.text.chars().any(char::is_alphanumeric)).map(|r| r.size).fold(0.0, f32::max);
    (1..=3).contains(&label.chars().count())
        && label.chars().any(char::is_alphanumeric)
        && after > 0.0
        && first.size >= SIDE_LABEL * after
}

/// Two figures this many ems apart or more are in two cells.
const FIGURES_GAP: f32 = 0.8;

/// A number, a range or an amount, and nothing else ("30.02 - 30.82", "$1,250", "-0.43"): a
/// label with a number ("Value 2") or a code ("1YP3+kpYNY") is not one.
fn is_figure(text: &str) -> bool {
    text.chars().any(|c| c.is_ascii_digit())
        && text.chars().all(|c| c.is_ascii_digit() || c.is_whitespace() || ".,-+−–%$€£()".contains(c))
}

/// A lead set this much larger than the rest of its line is a label beside it, not its start.
pub(super) const SIDE_LABEL: f32 = 1.15;

/// The bold words a line's runs (left to right) start with, when every worded run after them
/// is set `SIDE_LABEL` times smaller or more, with their size. The rest may be bold too
/// ("Standard" beside "Someone can claim:").
pub(super) fn side_label_of(runs: &[&Run]) -> Option<(String, f32)> {
    let worded = |r: &Run| r.text.chars().any(char::is_alphanumeric);
    let size = runs.iter().find(|r| worded(r))?.size;
    let smaller = |r: &Run| worded(r) && r.size * SIDE_LABEL <= size;
    let cut = runs.iter().position(|r| smaller(r))?;
    let (lead, rest) = runs.split_at(cut);
    if !lead.iter().all(|r| r.bold || r.text.trim().is_empty()) || !rest.iter().all(|r| !worded(r) || smaller(r)) {
        return None;
    }
    let mut text = String::new();
    for (i, r) in lead.iter().enumerate() {
        if i > 0 && (r.x - lead[i - 1].end_x >= JOINED_RUNS * r.size || lead[i - 1].spaced) {
            text.push(' ');
        }
        text.push_str(&r.text);
    }
    Some((text.split_whitespace().collect::<Vec<_>>().join(" "), size))
}

pub(super) fn is_leader(text: &str) -> bool {
    let text = text.trim();
    !text.is_empty() && text.chars().all(|c| matches!(c, '.' | '…' | ' '))
}

/// Every run of `group` is a superscript or subscript of a run of `line`.
pub(super) fn is_script_of(group: &[&Run], line: &[&Run]) -> bool {
    // A few runs against an ordinary line: a hostile page of long lines stays linear.
    if group.len() > 4 || line.len() > 400 {
        return false;
    }
    group.iter().all(|r| line.iter().any(|b| is_script(r, b)))
}

/// `small` is set smaller than `base`, near its baseline, and starts where `base` ends (or
/// ends where it starts): an ordinal's "th", a footnote mark. A phrase is not one: a form's
/// small print beside its title ("Department of the Treasury") is a line of its own, unless
/// the base is a brace set large, which gathers the choices it encloses into its line.
pub(in crate::parsing) fn is_script(small: &Run, base: &Run) -> bool {
    let em = base.size;
    let short = || small.text.split_whitespace().count() <= 1 && small.text.trim().chars().count() <= SCRIPT_CHARS;
    small.size < SCRIPT * em
        && (small.y - base.y).abs() <= 0.6 * em
        && ((small.x - base.end_x).abs() <= 0.2 * em || (base.x - small.end_x).abs() <= 0.2 * em)
        && (matches!(base.text.trim(), "{" | "}" | "[" | "]") || short())
}

/// A superscript or subscript is set at most this share of its line's size.
pub(super) const SCRIPT: f32 = 0.85;
/// and is at most this long: "th", "12", "®", "a,b".
pub(super) const SCRIPT_CHARS: usize = 6;

/// Words separated by single spaces, no space at either end; most cells already are, and keep
/// their allocation.
pub(super) fn squeeze_spaces(text: &mut String) {
    let mut prev_space = true;
    let clean = if text.is_ascii() {
        // Byte by byte: ASCII white space is one byte, and nearly every cell is ASCII.
        text.bytes().all(|b| {
            let ok = b == b' ' && !prev_space || !matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r');
            prev_space = b == b' ';
            ok
        })
    } else {
        text.chars().all(|c| {
            let ok = c == ' ' && !prev_space || !c.is_whitespace();
            prev_space = c == ' ';
            ok
        })
    } && !prev_space;
    if !clean {
        let mut out = String::with_capacity(text.len());
        for word in text.split_whitespace() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
        *text = out;
    }
}
