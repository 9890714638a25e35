//! A tagged table row's cells in the order the page shows them. Some report writers tag a
//! row's cells out of their columns (California's WARN report puts "Layoff/Closure", the last
//! column on the page, second in every other row), and a markdown row has only its order to say
//! which head a value is under: each value would be read under its neighbour's head.

/// Where a cell's text starts on its row's page: its left edge. (Not its right: a run's end is
/// estimated from font widths, and the WARN report's dates run 30 points into the next column.)
pub(super) type Left = f32;

/// Reorders a row's filled cells (their spans with them) by their left edges, when the tree's
/// order contradicts the page's. Empty cells keep their places. Left alone: a row read right to
/// left (most neighbours in falling x), a row with a filled cell of unknown place, and a row with
/// two cells starting at one x (stacked, not columns: no order to read from the page).
pub(super) fn in_page_order(cells: &mut [String], spans: &mut [(usize, usize)], lefts: &[Option<Left>]) {
    let filled: Vec<usize> = (0..cells.len()).filter(|&i| !cells[i].is_empty()).collect();
    let Some(places) = filled.iter().map(|&i| lefts.get(i).copied().flatten()).collect::<Option<Vec<_>>>() else {
        return;
    };
    let rising = places.windows(2).filter(|w| w[1] > w[0]).count();
    let falling = places.windows(2).filter(|w| w[1] < w[0]).count();
    if falling == 0 || falling > rising {
        return;
    }
    let mut order: Vec<usize> = (0..filled.len()).collect();
    order.sort_by(|&a, &b| places[a].total_cmp(&places[b]));
    if !order.windows(2).all(|w| places[w[1]] - places[w[0]] > 1.0) {
        return;
    }
    let texts: Vec<String> = filled.iter().map(|&i| std::mem::take(&mut cells[i])).collect();
    let own_spans: Vec<(usize, usize)> = filled.iter().map(|&i| spans.get(i).copied().unwrap_or((1, 1))).collect();
    for (&slot, &from) in filled.iter().zip(&order) {
        cells[slot] = texts[from].clone();
        if let Some(s) = spans.get_mut(slot) {
            *s = own_spans[from];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn a_cell_tagged_out_of_its_column_goes_back_under_its_head() {
        // WARN report: the last column's cell tagged second.
        let mut cells = row(&["06/30/2015", "Layoff Permanent", "08/29/2015", "Monterey", "137"]);
        let mut spans = vec![(1, 1), (1, 2), (1, 1), (1, 1), (1, 1)];
        let at = [Some(10.0), Some(500.0), Some(60.0), Some(300.0), Some(400.0)];
        in_page_order(&mut cells, &mut spans, &at);
        assert_eq!(cells, row(&["06/30/2015", "08/29/2015", "Monterey", "137", "Layoff Permanent"]));
        assert_eq!(spans, vec![(1, 1), (1, 1), (1, 1), (1, 1), (1, 2)]);
    }

    #[test]
    fn empty_cells_keep_their_places_and_filled_ones_take_the_page_order() {
        let mut cells = row(&["b", "", "a", "c"]);
        let mut spans = vec![(1, 1); 4];
        in_page_order(&mut cells, &mut spans, &[Some(200.0), None, Some(10.0), Some(300.0)]);
        assert_eq!(cells, row(&["a", "", "b", "c"]));
    }

    #[test]
    fn rows_in_order_read_right_to_left_overlapping_or_unplaced_are_left_alone() {
        let cases: [(&[&str], &[Option<Left>]); 4] = [
            (&["a", "b", "c"], &[Some(0.0), Some(10.0), Some(20.0)]),
            // Arabic: the first cell is the rightmost.
            (&["a", "b", "c"], &[Some(20.0), Some(10.0), Some(0.0)]),
            // Two cells starting at one x: stacked, not columns.
            (&["a", "b", "c"], &[Some(30.0), Some(0.0), Some(30.5)]),
            (&["a", "b", "c"], &[Some(30.0), Some(0.0), None]),
        ];
        for (texts, at) in cases {
            let mut cells = row(texts);
            in_page_order(&mut cells, &mut [(1, 1); 3], at);
            assert_eq!(cells, row(texts), "{at:?}");
        }
    }
}
