//! A table that runs on past a page break without its header on the next page: the part there
//! would be read with its first row of values as its header, and every chunk of it would carry
//! that row as its column names. The header goes over the part again, as a reader of the page
//! would carry it over in their head.

/// Heads each page's opening table with the header of the table that ends the page before,
/// when it goes on from it: as many columns, and a first row that reads as values where that
/// header's cells read as names (a number under "Toujours"). A header with an empty cell is
/// not carried: a report's title row over its table is not its columns' names.
pub(super) fn carry_heads(pages: &mut [String]) {
    for i in 1..pages.len() {
        let Some(head) = closing_table(&pages[i - 1]).and_then(header_over) else { continue };
        let page = &pages[i];
        let lead = page.len() - page.trim_start().len();
        let mut lines = page[lead..].lines();
        let (Some(first), Some(delimiter)) = (lines.next(), lines.next()) else { continue };
        if !is_delimiter(delimiter) || cells(first).len() != head.names.len() || first == head.row {
            continue;
        }
        let values = cells(first);
        if head.numeric_columns.iter().all(|&c| is_number(values[c])) {
            let carried = format!("{}\n{}\n{}\n", head.row, head.delimiter, first);
            let after = lead + first.len() + 1 + delimiter.len();
            // The delimiter row's own line end only: a blank line after it ends the table.
            let rest = &page[after..];
            pages[i] = format!("{}{}{}", &page[..lead], carried, rest.strip_prefix('\n').unwrap_or(rest));
        }
    }
}

struct Head<'a> {
    row: &'a str,
    delimiter: &'a str,
    names: Vec<&'a str>,
    /// The columns whose values are numbers under a header cell that is not.
    numeric_columns: Vec<usize>,
}

/// The rows of the table a page ends with.
fn closing_table(page: &str) -> Option<Vec<&str>> {
    let trimmed = page.trim_end();
    let block = trimmed.rsplit("\n\n").next()?;
    let rows: Vec<&str> = block.lines().collect();
    rows.iter().all(|r| r.starts_with('|')).then_some(rows)
}

/// The table's header: its first row, or the first after title rows of one filled cell each (a
/// report's name and date set over its columns, tagged as rows of its table).
fn header_over(rows: Vec<&str>) -> Option<Head<'_>> {
    let delimiter = *rows.get(1)?;
    if !is_delimiter(delimiter) {
        return None;
    }
    let mut rest = std::iter::once(rows[0]).chain(rows[2..].iter().copied());
    let (row, names) =
        rest.by_ref().map(|r| (r, cells(r))).find(|(_, c)| c.iter().filter(|n| !n.is_empty()).count() > 1)?;
    if names.iter().any(|n| n.is_empty()) {
        return None;
    }
    let body: Vec<Vec<&str>> = rest.map(cells).filter(|c| c.len() == names.len()).collect();
    let numeric_columns: Vec<usize> = (0..names.len())
        .filter(|&c| !is_number(names[c]))
        .filter(|&c| !body.is_empty() && body.iter().all(|r| is_number(r[c])))
        .collect();
    (!numeric_columns.is_empty()).then_some(Head { row, delimiter, names, numeric_columns })
}

/// A markdown row's cells, trimmed; a pipe escaped in a cell does not end it.
fn cells(row: &str) -> Vec<&str> {
    let inner = row.trim().strip_prefix('|').and_then(|r| r.strip_suffix('|')).unwrap_or("");
    let mut out = Vec::new();
    let (mut start, mut escaped) = (0, false);
    for (i, b) in inner.bytes().enumerate() {
        match b {
            b'\\' => escaped = !escaped,
            b'|' if !escaped => {
                out.push(inner[start..i].trim());
                start = i + 1;
            }
            _ => escaped = false,
        }
    }
    out.push(inner[start..].trim());
    out
}

fn is_delimiter(row: &str) -> bool {
    row.starts_with('|') && row.contains('-') && row.bytes().all(|b| matches!(b, b'|' | b'-' | b':' | b' '))
}

/// A count, amount, share or date: digits with their marks, nothing else.
fn is_number(cell: &str) -> bool {
    cell.bytes().any(|b| b.is_ascii_digit()) && cell.chars().all(|c| c.is_ascii_digit() || " .,%$€£/()+-–".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHART: &str = "| Synthèse | Toujours | Souvent |\n| --- | --- | --- |\n| Pour l’épicerie | 4 | 64 |\n";

    #[test]
    fn a_part_that_goes_on_with_values_is_headed_by_the_header_before_it() {
        let mut pages = vec![
            format!("Intro.\n\n{CHART}"),
            "\n| Pour sortir | 9 | 123 |\n| --- | --- | --- |\n| Pour lire | 1 | 2 |\n\nAfter.\n".to_string(),
        ];
        carry_heads(&mut pages);
        assert_eq!(
            pages[1],
            "\n| Synthèse | Toujours | Souvent |\n| --- | --- | --- |\n| Pour sortir | 9 | 123 |\n| Pour lire | 1 | 2 |\n\nAfter.\n"
        );
    }

    #[test]
    fn a_part_with_its_own_header_or_other_columns_or_under_a_header_with_a_gap_is_left_alone() {
        let cases = [
            (CHART.to_string(), "| Lieu | Toujours | Souvent |\n| --- | --- | --- |\n| Pour sortir | 9 | 123 |\n"),
            (CHART.to_string(), "| Pour sortir | 9 |\n| --- | --- |\n"),
            (CHART.to_string(), "Text first.\n\n| Pour sortir | 9 | 123 |\n| --- | --- | --- |\n"),
            (
                "| WARN Report |  |  |\n| --- | --- | --- |\n| a |  | 2 |\n| b | 1 | 2 |\n".to_string(),
                "| c | 3 | 4 |\n| --- | --- | --- |\n",
            ),
            (format!("{CHART}\nA paragraph ends the page.\n"), "| Pour sortir | 9 | 123 |\n| --- | --- | --- |\n"),
        ];
        for (before, after) in cases {
            let mut pages = vec![before.clone(), after.to_string()];
            carry_heads(&mut pages);
            assert_eq!(pages[1], after, "after {before:?}");
        }
    }

    #[test]
    fn a_part_of_one_row_stays_apart_from_the_text_after_it() {
        let mut pages =
            vec![CHART.to_string(), "| Pour sortir | 9 | 123 |\n| --- | --- | --- |\n\nAfter.\n".to_string()];
        carry_heads(&mut pages);
        assert!(pages[1].ends_with("| Pour sortir | 9 | 123 |\n\nAfter.\n"), "{}", pages[1]);
    }

    #[test]
    fn title_rows_over_the_header_stay_on_their_page() {
        let report = "| WARN Report |  |  |\n|---|---|---|\n| Fiscal Year |  |  |\n| Company | City | Employees |\n| Boeing | Irvine | 65 |\n";
        let mut pages = vec![report.to_string(), "| Safeway | Oakland | 63 |\n|---|---|---|\n".to_string()];
        carry_heads(&mut pages);
        assert_eq!(pages[1], "| Company | City | Employees |\n|---|---|---|\n| Safeway | Oakland | 63 |\n");
    }

    #[test]
    fn escaped_pipes_stay_inside_their_cell() {
        assert_eq!(cells(r"| a \| b | 2 |"), [r"a \| b", "2"]);
    }
}
