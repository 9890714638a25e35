//! A tagged table's cells that span rows or columns (the `RowSpan` and `ColSpan` attributes of
//! ISO 32000-1, 14.8.5.7) laid out on a grid, since markdown tables have no spans: without it,
//! each row after a cell spanning rows reads its cells one column to the left of their heads.

/// Bounds against hostile attributes: a span's rows and columns, and a table's columns.
const MAX_ROW_SPAN: usize = 1_000;
const MAX_COL_SPAN: usize = 64;
const MAX_COLUMNS: usize = 256;

/// A cell's (rows, columns), each at least 1 and bounded.
pub(super) fn bounded(rows: i64, columns: i64) -> (usize, usize) {
    let clamp = |n: i64, max: usize| usize::try_from(n).unwrap_or(1).clamp(1, max);
    (clamp(rows, MAX_ROW_SPAN), clamp(columns, MAX_COL_SPAN))
}

/// Each row's cells on the grid: a cell spanning rows is repeated in the rows below it, where it
/// also stands (each row then reads whole: "Switch to a new plan" is the answer for both moves
/// it spans); a cell spanning columns is followed by empty cells. Not a form laid out on a fine
/// grid (a payslip's 5 boxes a row over 28 columns): a grid much wider than its rows would be
/// mostly empty cells, and is left as its rows are.
pub(super) fn lay_out(rows: &mut [Vec<String>], spans: &[Vec<(usize, usize)>]) {
    if spans.iter().flatten().all(|s| *s == (1, 1)) {
        return;
    }
    let as_tagged = rows.to_vec();
    let widest = |rows: &[Vec<String>]| rows.iter().map(Vec::len).max().unwrap_or(0);
    grid(rows, spans);
    if widest(rows) > widest(&as_tagged) * 3 / 2 + 1 {
        rows.clone_from_slice(&as_tagged);
    }
}

fn grid(rows: &mut [Vec<String>], spans: &[Vec<(usize, usize)>]) {
    // Per column: the text a span from above holds there, and for how many more rows.
    let mut held: Vec<Option<(String, usize)>> = Vec::new();
    for (cells, spans) in rows.iter_mut().zip(spans) {
        let mut laid = Vec::with_capacity(cells.len());
        let mut own = std::mem::take(cells).into_iter().zip(spans.iter().copied());
        loop {
            if let Some(text) = take_held(&mut held, laid.len()) {
                laid.push(text);
                continue;
            }
            let Some((text, (down, across))) = own.next() else { break };
            for k in 0..across {
                if laid.len() >= MAX_COLUMNS {
                    break;
                }
                let text = if k == 0 { text.clone() } else { String::new() };
                if down > 1 {
                    let col = laid.len();
                    if held.len() <= col {
                        held.resize(col + 1, None);
                    }
                    held[col] = Some((text.clone(), down - 1));
                }
                laid.push(text);
            }
            if laid.len() >= MAX_COLUMNS {
                break;
            }
        }
        // Spans from above right of this row's own cells.
        while held.get(laid.len()..).is_some_and(|h| h.iter().any(Option::is_some)) {
            laid.push(take_held(&mut held, laid.len()).unwrap_or_default());
        }
        *cells = laid;
    }
}

/// The text a span from above holds in `col` for this row, if one does.
fn take_held(held: &mut [Option<(String, usize)>], col: usize) -> Option<String> {
    let slot = held.get_mut(col)?;
    let (text, left) = slot.as_mut()?;
    let text = text.clone();
    *left -= 1;
    if *left == 0 {
        *slot = None;
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
    }

    #[test]
    fn a_cell_spanning_rows_stands_in_each_and_the_cells_beside_it_keep_their_columns() {
        let mut rows = grid(&[&["Move", "Switch plans", "2 months"], &["Move back"], &["Jail", "Join", "2 months"]]);
        let spans = vec![vec![(1, 1), (2, 1), (2, 1)], vec![(1, 1)], vec![(1, 1); 3]];
        lay_out(&mut rows, &spans);
        assert_eq!(rows[1], ["Move back", "Switch plans", "2 months"]);
        assert_eq!(rows[2], ["Jail", "Join", "2 months"]);
    }

    #[test]
    fn a_span_in_the_middle_and_across_columns_moves_the_cells_after_it() {
        let mut rows = grid(&[&["Loan", "Rates", "Fees"], &["Extra", "4.1%", "Nil"], &["5.2%", "$10"]]);
        let spans = vec![vec![(1, 1), (1, 2), (1, 1)], vec![(2, 1), (1, 1), (1, 1)], vec![(1, 1), (1, 1)]];
        lay_out(&mut rows, &spans);
        assert_eq!(rows[0], ["Loan", "Rates", "", "Fees"]);
        assert_eq!(rows[2], ["Extra", "5.2%", "$10"]);
    }

    #[test]
    fn a_form_on_a_fine_grid_keeps_its_rows() {
        let mut rows = grid(&[&["Certificate", "year"], &["name", "first name"]]);
        let spans = vec![vec![(1, 20), (1, 8)], vec![(1, 1), (1, 1)]];
        lay_out(&mut rows, &spans);
        assert_eq!(rows, grid(&[&["Certificate", "year"], &["name", "first name"]]));
    }

    #[test]
    fn hostile_spans_are_bounded() {
        assert_eq!(bounded(i64::MAX, -3), (MAX_ROW_SPAN, 1));
        let mut rows = grid(&[&["a"], &["b"]]);
        super::grid(&mut rows, &[vec![bounded(1, i64::MAX)], vec![(1, 1)]]);
        assert_eq!(rows[0].len(), MAX_COL_SPAN);
        assert_eq!(rows[1], ["b"]);
        let mut rows = grid(&[&["a", "b", "c", "d", "e"]]);
        super::grid(&mut rows, &[vec![(1, MAX_COL_SPAN); 5]]);
        assert_eq!(rows[0].len(), MAX_COLUMNS);
    }
}
