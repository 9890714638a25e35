//! Lines → blocks (headings, tables, list items, paragraphs) → markdown.

use super::*;

pub(super) enum Block {
    Heading(usize, String),
    Table(Vec<Vec<String>>),
    Paragraph(String),
}

/// Glyphs set as list bullets (symbol fonts' among them, once mapped): rendered as `- `.
/// Check boxes are not: "☐ Settlement agent" is a choice on a form, not a bullet point.
pub const BULLETS: [char; 13] = ['•', '◦', '▪', '●', '■', '◆', '❖', '⬥', '➢', '➤', '►', '✓', '✔'];

/// Bullets, `(a)`, `a)`, `iv.`, `3.`, and clause numbers such as `4.2`: each starts a new block.
pub(super) fn is_list_item(text: &str) -> bool {
    let t = text.trim_start();
    if t.starts_with(BULLETS) || t.starts_with(['–', '*', '◻', '□', '❑', '❒']) || t.starts_with("- ") {
        return true;
    }
    let Some(w) = t.split_whitespace().next() else { return false };
    let inner = w.trim_start_matches('(').trim_end_matches([')', '.']);
    // A bare number opens an item (a footnote) only before a capital: "100 percent of…" or
    // "48 and any…" wrapped onto their own line are the sentence going on.
    let bare = w.len() == inner.len() && !inner.contains('.');
    let numbering = !inner.is_empty()
        && (!bare || t[w.len()..].trim_start().starts_with(char::is_uppercase))
        && inner.split('.').all(|p| !p.is_empty() && p.len() <= 3 && p.chars().all(|c| c.is_ascii_digit()));
    let marker = w.ends_with([')', '.'])
        && (inner.len() == 1 && inner.chars().all(|c| c.is_ascii_lowercase())
            || !inner.is_empty() && inner.chars().all(|c| matches!(c, 'i' | 'v' | 'x')));
    // A form's lettered line ("b Household employee wages … 1b"): a lone letter before a
    // capital, other than the words "a" and "y" that a wrapped sentence may start with.
    let lettered = matches!(w.as_bytes(), [b'b'..=b'x' | b'z'])
        && t[w.len()..].trim_start().starts_with(|c: char| c.is_uppercase());
    numbering || marker || lettered
}

/// An item lettered in capitals ("A. For the prepaid …", "B) The next …") after a sentence or
/// a colon: after anything else, "A." may be an initial ("… by" / "J. Smith").
fn capital_item(text: &str, before: &str) -> bool {
    let mut words = text.split_whitespace();
    let label = words.next().unwrap_or_default().as_bytes();
    matches!(label, [b'A'..=b'Z', b'.' | b')'])
        && words.next().is_some_and(|w| w.starts_with(char::is_uppercase))
        && before.trim_end().ends_with(ENDS_SENTENCE)
}

/// A bullet, or a dash set as one (Word's second-level "−").
fn dash_or_bullet(label: &str) -> bool {
    label.starts_with(BULLETS) || ["−", "–", "-", "*"].contains(&label)
}

/// Rows of two cells, each a list item's label and its text: "(ii)", "b)", "iv.", "6.",
/// "4.2", a bullet. A bare number may count rows of a table, and is not a label here.
fn hanging_labels(rows: &[Vec<String>]) -> bool {
    let label = |cell: &str| {
        let w = cell.trim();
        let inner = w.strip_prefix('(').unwrap_or(w).trim_end_matches([')', '.']);
        let marked = w.len() > inner.len() && w.ends_with([')', '.']);
        let numeral = !inner.is_empty()
            && inner.len() <= 5
            && (inner.len() <= 3 && inner.chars().all(|c| c.is_ascii_digit())
                || inner.chars().count() == 1 && inner.chars().all(|c| c.is_ascii_alphabetic())
                || inner.chars().all(|c| matches!(c, 'i' | 'v' | 'x'))
                || inner.chars().all(|c| matches!(c, 'I' | 'V' | 'X')));
        let section = !w.contains(char::is_whitespace) && section_number(w).is_some_and(|n| n.contains('.'));
        (marked && numeral) || section || (w.chars().count() == 1 && dash_or_bullet(w))
    };
    let last = rows.len().saturating_sub(1);
    rows.len() >= 2
        && rows.iter().enumerate().all(|(i, row)| {
            matches!(&row[..], [l, text] if text.contains(char::is_alphabetic)
                && label(if i == last { lead_in(l).0 } else { l }))
        })
}

/// The last label cell split from the word or two under the label that lead into what follows
/// the list ("•" / "if", then the conditions): they close the last item's text.
fn lead_in(cell: &str) -> (&str, Option<&str>) {
    let cell = cell.trim();
    let Some((label, rest)) = cell.split_once(char::is_whitespace) else {
        return (cell, None);
    };
    let words = rest.split_whitespace().count();
    if (1..=2).contains(&words) && rest.chars().all(|c| c.is_lowercase() || c.is_whitespace()) {
        (label, Some(rest.trim()))
    } else {
        (cell, None)
    }
}

/// The line pitch of a page set with wide leading (a double-spaced filing or draft): the most
/// common gap between consecutive body lines, when it is wider than the 1.7 sizes that part
/// paragraphs on a page set solid and most of the body's lines are set at it.
pub(super) fn wide_pitch(lines: &[Line], body: f32) -> Option<f32> {
    let of_body = |l: &Line| (l.size - body).abs() < 0.5;
    let gaps: Vec<f32> = lines
        .windows(2)
        .filter(|w| of_body(&w[0]) && of_body(&w[1]))
        .map(|w| w[0].y - w[1].y)
        .filter(|g| *g > 0.0 && *g <= 3.0 * body)
        .collect();
    let mut counts: HashMap<i32, usize> = HashMap::new();
    for g in &gaps {
        *counts.entry((g * 2.0).round() as i32).or_default() += 1;
    }
    let (half_points, n) = counts.into_iter().max_by_key(|(k, n)| (*n, -*k))?;
    let pitch = half_points as f32 / 2.0;
    (n >= 4 && n * 2 >= gaps.len() && pitch > 1.7 * body).then_some(pitch)
}

/// The leading of the page's body text: the gap most of its body lines follow each other at
/// (within half a point either way), when at least four pairs and two in five share it.
pub(super) fn body_leading(lines: &[Line], body: f32) -> Option<f32> {
    let of_body = |l: &Line| (l.size - body).abs() < 0.6;
    let mut gaps: Vec<f32> = lines
        .windows(2)
        .filter(|w| of_body(&w[0]) && of_body(&w[1]))
        .map(|w| w[0].y - w[1].y)
        .filter(|g| *g >= 0.9 * body && *g <= 1.7 * body)
        .collect();
    gaps.sort_by(f32::total_cmp);
    let (mut best, mut lo) = ((0, 0), 0);
    for hi in 0..gaps.len() {
        while gaps[hi] - gaps[lo] > 1.0 {
            lo += 1;
        }
        if hi + 1 - lo > best.1 - best.0 {
            best = (lo, hi + 1);
        }
    }
    let n = best.1 - best.0;
    (n >= 4 && n * 5 >= gaps.len() * 2).then(|| gaps[best.0 + n / 2])
}

/// Space between paragraphs beyond the body's leading, in sizes (and at least `PARAGRAPH_SPACE_MIN`
/// points): a sentence that ends a line this far above the next ends its paragraph.
const PARAGRAPH_SPACE: f32 = 0.2;
const PARAGRAPH_SPACE_MIN: f32 = 1.5;

/// A heading's wrapped lines keep their leading within this much.
const LEADING_DRIFT: f32 = 1.1;

/// A margin label beside a table is at most this many lines.
const MARGIN_LABEL_LINES: usize = 6;

/// Blocks from the page's lines, its ruled tables placed before the first line below their top.
pub(super) fn blocks_of(lines: &[Line], body: f32, mut tables: Vec<RuledTable>) -> Vec<Block> {
    let mut out = Vec::new();
    let pitch = wide_pitch(lines, body);
    let leading = body_leading(lines, body);
    let width = |l: &Line| l.span().1 - l.span().0;
    let measure = lines.iter().map(width).fold(0.0, f32::max);
    let mut para: Option<(String, f32, f32)> = None; // text, last y, size
    // Whether the paragraph's last line ended with a space after its last word.
    let mut word_end = false;
    let flush = |para: &mut Option<(String, f32, f32)>, out: &mut Vec<Block>| {
        if let Some((text, _, _)) = para.take() {
            out.push(Block::Paragraph(text));
        }
    };
    // A table comes before the first line below its top, or, on a page of columns where that
    // line is in the next column, after the last line above it in its own column. A table in
    // a column read later (the right of two) goes after that column's lines above it, or
    // before its first line below it: the column read first runs on past it unbroken.
    let overlap = |(a0, a1): (f32, f32), (b0, b1): (f32, f32)| a0 < b1 && b0 < a1;
    let place = |t: &RuledTable| {
        let below = lines.iter().position(|l| l.y < t.top).unwrap_or(lines.len());
        let in_column = |l: &Line| overlap(l.span(), (t.left, t.right));
        // The short last line of a paragraph, not reaching over the table, comes first.
        let after = |mut j: usize| {
            while lines
                .get(j + 1)
                .is_some_and(|n| n.y >= t.top && n.y < lines[j].y && overlap(n.span(), lines[j].span()))
            {
                j += 1;
            }
            j + 1
        };
        if let Some(j) = lines[..below].iter().rposition(in_column) {
            return after(j);
        }
        if let Some(j) = lines.iter().rposition(|l| l.y > t.top && in_column(l)) {
            return after(j);
        }
        lines[below..].iter().position(in_column).map_or(below, |j| below + j)
    };
    // A bold label of a few lines in the margin beside the table, from its top down ("Step 1:
    // Enter Personal Information" beside a form's name and address boxes), names it: read
    // before it. Prose in a column beside a table is not its label.
    let place = |t: &RuledTable| {
        let at = place(t);
        let beside = lines[at..].iter().take_while(|l| l.span().1 <= t.left + 1.0 && l.y > t.bottom).count();
        if beside <= MARGIN_LABEL_LINES && lines.get(at).is_some_and(|l| l.bold) { at + beside } else { at }
    };
    let mut tables: Vec<(usize, RuledTable)> = tables.drain(..).map(|t| (place(&t), t)).collect();
    // Popped from the end: the first placed, and of those the highest, last.
    tables.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.top.total_cmp(&b.1.top)));
    let mut i = 0;
    while i < lines.len() {
        while tables.last().is_some_and(|(at, _)| *at <= i) {
            flush(&mut para, &mut out);
            out.push(Block::Table(tables.pop().map(|(_, t)| t.rows).unwrap_or_default()));
        }
        if let Some((mut rows, next)) = take_table(lines, i, body) {
            flush(&mut para, &mut out);
            if let [row] = rows.as_mut_slice() {
                // Side-by-side prose is read column by column.
                out.extend(row.drain(..).map(Block::Paragraph));
            } else if hanging_labels(&rows) {
                // Items whose labels hang in a column of their own ("(ii)" … "Money, …") are
                // a list, each item one block; the last reads on into lines wrapped under its
                // label.
                let last = &lines[next - 1];
                let count = rows.len();
                let mut items = rows.into_iter().enumerate().map(|(i, row)| {
                    let (label, lead) = if i + 1 == count { lead_in(&row[0]) } else { (row[0].trim(), None) };
                    let text = lead.map_or_else(|| row[1].clone(), |lead| format!("{} {lead}", row[1]));
                    if dash_or_bullet(label) { format!("- {text}") } else { format!("{label} {text}") }
                });
                let final_item = items.next_back();
                out.extend(items.map(Block::Paragraph));
                para = final_item.map(|item| (item, last.y, last.size));
                word_end = last.word_end;
            } else {
                out.push(Block::Table(rows));
            }
            i = next;
            continue;
        }
        let line = &lines[i];
        i += 1;
        if let Some(level) = lines.get(i).and_then(|next| kicker(line, next, body)) {
            flush(&mut para, &mut out);
            out.push(Block::Heading(level, line.text()));
            continue;
        }
        if let Some((level, mut label, mut rest)) = side_heading(line, body) {
            // The label wraps in its margin ("Standard" / "Deduction"), each line beside text.
            let mut last = line;
            while let Some(next) = lines.get(i)
                && let Some((_, more, beside)) = side_heading(next, body)
                && (next.cells[0].x - last.cells[0].x).abs() < 1.0
                && (next.size - last.size).abs() < 0.5
                && last.y - next.y <= WRAP_LEADING * last.size
            {
                label = format!("{label} {more}");
                join_line(&mut rest, &beside);
                last = next;
                i += 1;
            }
            flush(&mut para, &mut out);
            out.push(Block::Heading(level, label));
            para = Some((rest, last.y, last.size));
            word_end = last.word_end;
            continue;
        }
        // A line set as the one before it, at its leading, after a comma goes on with it: the
        // last line of a list of authors is not a heading.
        // So does a line set apart by its hue alone under an unfinished line of that size: a
        // caption's or a reference's wrapped line drawn in the colour of the one above.
        // So does a bold list item's line wrapped under its text: "a) IF YOU PURCHASED YOUR
        // POLICY WITHIN" / "72 HOURS OF BOOKING …", set in from the label.
        let close =
            |y: f32, size: f32| (size - line.size).abs() < 0.5 && y - line.y > 0.0 && y - line.y <= WRAP_LEADING * size;
        let open = |p: &str| !p.trim_end().ends_with(ENDS_SENTENCE);
        let hangs = para.as_ref().is_some_and(|(p, y, size)| {
            let prev = lines.get(i.wrapping_sub(2)).filter(|prev| prev.y == *y);
            let x = |l: &Line| l.cells.first().map_or(0.0, |c| c.x);
            // A bare number there is the text's ("72 HOURS"), not a label.
            let bare = |t: &str| t.split_whitespace().next().is_some_and(|w| w.chars().all(|c| c.is_ascii_digit()));
            open(p)
                && is_list_item(p)
                && close(*y, *size)
                && prev.is_some_and(|prev| {
                    prev.bold == line.bold && (x(prev) + 0.3 * size..x(prev) + 4.0 * size).contains(&x(line))
                })
                && {
                    let text = line.text();
                    !is_list_item(&text) || bare(&text)
                }
        });
        // So does a line at the body's size under a sentence cut off mid-phrase, bold as a
        // heading or not: "… apply to the BUILDINGS and" / "ACCIDENTAL DAMAGE COVER TO BUILDINGS
        // SECTIONS". A title set larger wraps as a title.
        let mid_phrase =
            |p: &str| line.size < body * 1.15 && ends_mid_phrase(p) && !p.trim_end().ends_with([':', '—', '–']);
        let goes_on = hangs
            || para.as_ref().is_some_and(|(p, y, size)| {
                (p.ends_with(',') || (hue_only(line, body) && open(p)) || mid_phrase(p)) && close(*y, *size)
            });
        // A title wrapped after a comma ("… Acceptance Model: Origins," / "Developments and
        // Future Directions"): its first line alone reads as a clause, the two as one heading.
        let joined = lines
            .get(i)
            .filter(|next| !goes_on && wraps_after_comma(line, next, body))
            .map(|next| {
                let mut both = line.clone();
                both.cells[0].text = format!("{} {}", line.text(), next.text());
                both.cells[0].end_x = both.cells[0].end_x.max(next.cells[0].end_x);
                both.y = next.y;
                both
            })
            .filter(|both| heading_level(both, body).is_some());
        let line = match &joined {
            Some(both) => {
                i += 1;
                both
            }
            None => line,
        };
        if !goes_on && let Some(level) = heading_level(line, body) {
            flush(&mut para, &mut out);
            let mut text = line.text();
            // A heading that wraps: the next line is set the same way, at the heading's own
            // leading, and does not start a numbered section of its own. From its second line
            // on the leading is known: a subheading set as large in a lighter face sits further
            // below, and starts anew in capitals ("… electronic equipment" / "About this
            // section").
            let mut last = line;
            let mut leading: Option<f32> = None;
            while let Some(next) = lines.get(i)
                // A FAQ's question runs on, set as it is, until its question mark.
                && (heading_style(next, body).is_some()
                    || faq_question(&text) && !text.ends_with('?') && next.cells.len() == 1)
                && (next.role.is_none() || next.role == line.role)
                && (next.size - last.size).abs() < 0.5
                && (next.bold == last.bold || under_title(line, next))
                // A heading at the body's size in a colour of its own ends where the text under
                // it, as bold, turns to another: "TO BE ELIGIBLE …" in green over "For insurance
                // plans …". A title set large may change colour mid-way ("Small Business" /
                // "Insurance").
                && (next.fill == last.fill
                    || next.fill.is_none()
                    || last.fill.is_none()
                    || line.size >= body * 1.15)
                && last.y - next.y <= WRAP_LEADING * last.size
                // Beside it, not under it: two columns' heads on one baseline.
                && last.y - next.y > 0.5 * last.size
                && leading.is_none_or(|l| {
                    last.y - next.y <= LEADING_DRIFT * l
                        || !next.text().starts_with(char::is_uppercase)
                        || ends_mid_phrase(&text)
                })
                && section_number(&next.text()).is_none()
                && !tabbed(next)
            {
                join_wrapped(&mut text, &next.text(), last.word_end);
                leading = Some(last.y - next.y);
                last = next;
                i += 1;
            }
            // A large paragraph's first line, or a form label wrapped onto a second line
            // ("Total future monthly" / "savings goals: $"), reads on in lower case. A bold
            // paragraph wraps like a heading, but no heading runs to a paragraph's length.
            let numbered = section_number(&text).is_some() || part_label(&text);
            let asked = faq_question(&text) && text.ends_with('?');
            let long = !numbered && !asked && text.split_whitespace().count() > MAX_HEADING_WORDS;
            if line.role.is_none()
                && (long
                    || ends_mid_phrase(&text)
                    || lines.get(i).is_some_and(|next| bold_sentence_goes_on(last, next, body))
                    || lines.get(i).is_some_and(|next| bold_lead_goes_on(last, next))
                    || lines.get(i).is_some_and(|next| reads_on(last, next, body))
                    || lines.iter().skip(i).take(3).any(|after| label_wraps(last, after)))
            {
                flush(&mut para, &mut out);
                para = Some((text, last.y, last.size));
                word_end = last.word_end;
                continue;
            }
            out.push(Block::Heading(level, text));
            continue;
        }
        if !goes_on && let Some(blocks) = side_by_side_headings(line, body) {
            flush(&mut para, &mut out);
            out.extend(blocks);
            continue;
        }
        if !goes_on
            && let Some(level) = display_sentence(line, body)
            && !lines.get(i.wrapping_sub(2)).is_some_and(|prev| close_below(prev, line))
            && !lines.get(i).is_some_and(|next| close_below(line, next))
        {
            flush(&mut para, &mut out);
            out.push(Block::Heading(level, line.text()));
            continue;
        }
        let text = line.text();
        // On a page set with wide leading, a line runs on from a full line above it when the
        // words say so: a word or phrase broken off (a hyphen, a comma, a lower-case start), or
        // ideographs running on. Not when indented, as a paragraph's first line is; a line
        // that starts with a capital or a number may start an entry of a list.
        let runs_on = |p: &str| {
            let left = |l: &Line| l.cells.first().map_or(0.0, |c| c.x);
            let (end, start) = (p.trim_end().chars().last(), text.chars().next());
            let words_run_on = end.is_some_and(|c| matches!(c, '-' | ',' | '\u{AD}'))
                || start.is_some_and(char::is_lowercase)
                || end.is_some_and(is_ideograph) && start.is_some_and(is_ideograph);
            words_run_on
                && lines
                    .get(i.wrapping_sub(2))
                    .is_some_and(|prev| left(line) <= left(prev) + 0.8 * line.size && width(prev) >= 0.6 * measure)
        };
        // A line above the last one starts the next column: the paragraph flows on into it
        // only mid-sentence.
        let continues = para.as_ref().is_some_and(|(p, y, size)| {
            let gap = y - line.y;
            let flows = gap > 0.0 && gap <= 1.7 * size.max(line.size)
                || gap > 0.0 && pitch.is_some_and(|pitch| gap <= 1.1 * pitch) && runs_on(p)
                || gap <= 0.0 && !p.trim_end().ends_with(['.', '!', '?', ':']) && text.starts_with(char::is_lowercase);
            // Space set between paragraphs, wider than the lines' leading, parts them where a
            // sentence ends: "b) … on your confirmation." / "For Rental Vehicle Damage …".
            let spaced = leading.is_some_and(|leading| {
                (line.size - body).abs() < 0.6
                    && gap > leading + (PARAGRAPH_SPACE * line.size).max(PARAGRAPH_SPACE_MIN)
                    && !open(p)
            });
            flows
                && !spaced
                && !line.ruled_above
                && (!is_list_item(&text) || hangs)
                && !capital_item(&text, p)
                && !run_in_heading(line, p)
        });
        if !continues {
            flush(&mut para, &mut out);
            let text = match text.strip_prefix(BULLETS) {
                Some(rest) => format!("- {}", rest.trim_start()),
                None => text,
            };
            para = Some((text, line.y, line.size));
            word_end = line.word_end;
            continue;
        }
        let (p, y, _) = para.as_mut().expect("continues implies a paragraph");
        join_wrapped(p, &text, word_end);
        word_end = line.word_end;
        *y = line.y;
    }
    flush(&mut para, &mut out);
    out.extend(tables.into_iter().rev().map(|(_, t)| Block::Table(t.rows)));
    out
}

/// Text from a page that would read as markdown syntax at a line's start is escaped: a form's
/// "# of claims" would be a heading on every chunk after it, a line of backticks would fence
/// off the rest of the document from its headings, and a page's own "<!-- page 9 -->" would
/// move every later citation.
pub fn escape_text(s: &str) -> std::borrow::Cow<'_, str> {
    let heading = |line: &str| {
        let marks = line.bytes().take_while(|b| *b == b'#').count();
        (1..=6).contains(&marks) && line[marks..].chars().next().is_none_or(char::is_whitespace)
    };
    let syntax = |line: &str| heading(line) || ["```", "~~~", "<!--"].iter().any(|m| line.starts_with(m));
    if !s.lines().any(syntax) {
        return s.into();
    }
    let lines: Vec<String> =
        s.split('\n').map(|line| if syntax(line) { format!("\\{line}") } else { line.to_owned() }).collect();
    lines.join("\n").into()
}

pub(super) fn escape_cell(s: &str) -> String {
    s.replace('|', "\\|")
}

pub(super) fn render(blocks: &[Block], out: &mut String) {
    for b in blocks {
        match b {
            Block::Heading(level, text) => {
                out.push_str(&"#".repeat(*level));
                out.push(' ');
                out.push_str(text);
            }
            Block::Paragraph(text) => out.push_str(&escape_text(text)),
            Block::Table(rows) => {
                let n = rows.iter().map(Vec::len).max().unwrap_or(0);
                for (i, row) in rows.iter().enumerate() {
                    let cells: Vec<String> =
                        (0..n).map(|c| escape_cell(row.get(c).map_or("", String::as_str))).collect();
                    out.push_str(&format!("| {} |\n", cells.join(" | ")));
                    if i == 0 {
                        out.push_str(&format!("|{}\n", " --- |".repeat(n)));
                    }
                }
                out.pop();
            }
        }
        out.push_str("\n\n");
    }
}
