//! Tables without rules: consecutive lines whose cells start at the same places.

use super::*;

/// A cell set flush right in its column has at most this many words, and no leader or blank
/// to fill in: a form's lines end together too.
pub(super) const FLUSH_RIGHT_WORDS: usize = 4;
pub(super) const FILLS: [&str; 4] = ["..", ". .", "…", "__"];
/// Cells of a table's head that has flush-right columns have at most this many words.
pub(super) const FLUSH_RIGHT_HEAD_WORDS: usize = 6;

/// Rows are set apart when some are this many line pitches apart or more.
const ROW_SPACING: f32 = 1.4;
/// A line this close to the one above, within that pitch, may wrap its row.
const WRAP_PITCH: f32 = 1.15;
/// A single line set this much larger than a table's first row, and as a heading, is no row.
const TITLE_OVER_ROWS: f32 = 1.05;
/// A row filling every column this much further from the row above than that one from its own
/// follows them.
const STEADY_PITCH: f32 = 1.05;
/// Rows this many type sizes apart or more are never a row and its wrapped line.
const LOOSE_ROWS: f32 = 2.2;
/// What ends a cell's sentence.
pub(super) const ENDS_SENTENCE: [char; 5] = ['.', '!', '?', ':', ';'];

/// Consecutive lines of two or more cells whose starts align form a table. A line with fewer
/// cells is either the start of a row whose other cells follow on the next lines (cells set
/// vertically centred) or wrapped text continuing the current row's cells; which one is
/// decided by whether the next lines fill its missing columns.
pub(super) fn take_table(lines: &[Line], start: usize, body: f32) -> Option<(Vec<Vec<String>>, usize)> {
    let head = &lines[start];
    // The structure tree's headings stay headings, however their cells align; so do headings
    // whose part's label or section number is tabbed off the title, one under another
    // ("SECTION 1" … "Introduction", "Section 1.1" … "You are enrolled …", "5." … "Customer
    // Due Diligence" over "5.1" … "Application of Risk Assessment").
    let named_heading = |l: &Line| {
        let label = &l.cells[0].text;
        matches!(l.role, Some(Role::Heading(..)))
            || (tabbed(l)
                && (part_label(label) || section_number(label).is_some_and(|n| n.contains('.')))
                && heading_style(l, body).is_some())
    };
    if head.cells.len() < 2 || named_heading(head) {
        return None;
    }
    let columns: Vec<f32> = head.cells.iter().map(|c| c.x).collect();
    let ends: Vec<f32> = head.cells.iter().map(|c| c.end_x).collect();
    let tolerance = 0.8 * head.size;
    // A column's cells start together, or, past the first column, a short entry ends with the
    // column when set flush right (figures, a column of links), shorter or longer than the
    // head's: "unq" under "1.38 - 1.43", "Minnesota Ethanol" under "Iowa Ethanol". Not under a
    // head of long cells (justified prose ends every line together), nor under a form's label
    // ("Phone:"), which a blank to fill in follows.
    let short_head = head.cells.iter().all(|c| c.text.split_whitespace().count() <= FLUSH_RIGHT_HEAD_WORDS);
    let column_of = |c: &Cell| {
        columns.iter().position(|x| (x - c.x).abs() <= tolerance).or_else(|| {
            let k = ends.iter().position(|e| (e - c.end_x).abs() <= tolerance).filter(|k| *k > 0 && short_head)?;
            let short =
                c.text.split_whitespace().count() <= FLUSH_RIGHT_WORDS && !FILLS.iter().any(|f| c.text.contains(f));
            let label = head.cells[k].text.trim_end().ends_with(':');
            (short && !label && c.x > ends[k - 1]).then_some(k)
        })
    };
    // Wrapped cell text stays inside its column; a paragraph after the table does not.
    let fits = |line: &Line| {
        line.cells.iter().all(|c| {
            column_of(c).is_some_and(|col| columns.get(col + 1).is_none_or(|next| c.end_x < *next + tolerance))
        })
    };
    let label = head.cells[0].text.trim();
    let bulleted = label.chars().count() == 1 && label.starts_with(BULLETS);
    let belongs = |i: usize| -> bool {
        let line = &lines[i];
        let gap = lines[i - 1].y - line.y;
        // A heading set larger than the rows between two of them ("3. Temporary protection"
        // over its "What we cover" row, in the labels' column) ends the table.
        let titled =
            line.cells.len() == 1 && line.size > TITLE_OVER_ROWS * head.size && heading_style(line, body).is_some();
        // Under items whose bullets hang in a column of their own, a bullet set in the text's
        // column starts an item of its own, nested ("• Training; and"), not the text wrapping.
        let nested =
            bulleted && line.cells.first().is_some_and(|c| c.x > columns[0] + tolerance && c.text.starts_with(BULLETS));
        // Rows set wide apart keep their pitch: the next row at it is one, if a little wider.
        let before = (i > start + 1).then(|| lines[i - 2].y - lines[i - 1].y);
        let full = line.cells.len() == columns.len();
        (gap <= 2.6 * line.size.max(head.size) || (full && before.is_some_and(|b| gap <= STEADY_PITCH * b)))
            && !named_heading(line)
            && !titled
            && !nested
            && fits(line)
            && (line.cells.len() == columns.len() || !line.bold || lines[i - 1].bold)
    };
    let cols_of = |line: &Line| -> Vec<usize> { line.cells.iter().filter_map(column_of).collect() };
    // Rows set apart by more than their lines' pitch tell a line that fills every column yet
    // wraps the row above ("Section 1D: Breakdown of" / "Machinery, Computers and …") from
    // the next row: it follows at the pitch, and in each column the word it starts with did
    // not fit after the prose above, or it reads on in lower case from text not ended, or the
    // text above stops mid-phrase; in one column at least, one of the latter two.
    let extent = (start + 1..lines.len()).take_while(|&j| belongs(j)).last().map_or(start + 1, |j| j + 1);
    let gap = |j: usize| lines[j - 1].y - lines[j].y;
    let pitch = (start + 1..extent).map(gap).fold(f32::INFINITY, f32::min);
    let spaced_rows = (start + 1..extent).any(|j| gap(j) >= ROW_SPACING * pitch);
    // No line closer than this to the one above wraps it: each starts a row of its own, the
    // cells it leaves empty blank ("$250 Deductible" with no amount under "$3,000").
    let size = lines[start..extent].iter().map(|l| l.size).fold(0.0, f32::max);
    let loose = pitch >= LOOSE_ROWS * size;
    let mut limits = vec![f32::MIN; columns.len()];
    for c in lines[start..extent].iter().flat_map(|l| &l.cells) {
        if let Some(k) = column_of(c) {
            limits[k] = limits[k].max(c.end_x);
        }
    }
    let wraps = |above: &Line, line: &Line| {
        let mut read_on = false;
        let each = line.cells.iter().all(|c| {
            let Some(k) = column_of(c) else { return false };
            let Some(prev) = above.cells.iter().find(|p| column_of(p) == Some(k)) else { return false };
            // Only a line of prose wraps so: a column of figures ends every entry together,
            // and a form's fields ("text3" / "text4") are a word each.
            if prev.text.split_whitespace().count() < 3 {
                return false;
            }
            let first = c.text.split_whitespace().next().map_or(0, |w| w.chars().count());
            let per_char = (c.end_x - c.x) / c.text.chars().count().max(1) as f32;
            let overflows = prev.end_x + per_char * (first + 1) as f32 > limits[k] - 0.5 * line.size;
            let reads_on = (c.text.starts_with(char::is_lowercase) && !prev.text.trim_end().ends_with(ENDS_SENTENCE))
                || headings::ends_mid_phrase(prev.text.trim_end());
            read_on |= reads_on;
            overflows || reads_on
        });
        each && read_on
    };
    let mut rows: Vec<Vec<String>> = vec![head.cells.iter().map(|c| c.text.clone()).collect()];
    let mut full_rows = 1;
    let mut i = start + 1;
    while i < extent {
        let line = &lines[i];
        let cols = cols_of(line);
        let row = rows.last().expect("a table starts with a row");
        let complete = row.iter().all(|c| !c.is_empty());
        let starts_row = if loose {
            full_rows += usize::from(cols.len() == columns.len());
            true
        } else if cols.len() == columns.len() {
            // Aligned all the same: evidence of a table, whose rows may then prove to be one.
            full_rows += 1;
            !(spaced_rows && gap(i) <= WRAP_PITCH * pitch && wraps(&lines[i - 1], line))
        } else if complete && cols.iter().any(|c| !row[*c].is_empty()) {
            // A new row if the following lines fill the columns this one leaves empty.
            let mut filled: Vec<usize> = cols.clone();
            let mut j = i + 1;
            while j < lines.len() && belongs(j) && lines[j].cells.len() < columns.len() {
                let next = cols_of(&lines[j]);
                if next.iter().any(|c| filled.contains(c)) {
                    break;
                }
                filled.extend(next);
                j += 1;
            }
            filled.len() == columns.len()
        } else {
            false
        };
        if starts_row {
            rows.push(vec![String::new(); columns.len()]);
        }
        let row = rows.last_mut().expect("a table starts with a row");
        for (c, col) in line.cells.iter().zip(&cols) {
            if !row[*col].is_empty() {
                row[*col].push(' ');
            }
            row[*col].push_str(&c.text);
        }
        i += 1;
    }
    (full_rows >= 2 || rows.len() >= 3).then(|| (merge_wrapped_rows(rows), i))
}

/// Rows whose every cell reads on from the cell above (text cut mid-sentence, continued in
/// lower case) are one row wrapped over several lines; two columns of prose set side by side
/// (a paragraph and its sidebar) come out as a single such row.
pub(super) fn merge_wrapped_rows(rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    let cut = |c: &str| c.split_whitespace().count() >= 3 && !c.trim_end().ends_with(ENDS_SENTENCE);
    let mut out: Vec<Vec<String>> = Vec::with_capacity(rows.len());
    for row in rows {
        match out.last_mut() {
            Some(above) if above.iter().all(|c| cut(c)) && row.iter().all(|c| c.starts_with(char::is_lowercase)) => {
                for (cell, next) in above.iter_mut().zip(&row) {
                    join_line(cell, next);
                }
            }
            _ => out.push(row),
        }
    }
    out
}
