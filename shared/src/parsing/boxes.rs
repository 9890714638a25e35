//! A form read box by box. Forms rule their sections off across the page and set a section's
//! label ("Step 2: Multiple Jobs or Spouse Works") or its title block ("Form W-9 | Request for
//! Taxpayer Identification Number and Certification | Give form to the requester") beside its
//! content, in boxes whose lines meet by chance. Read across, a box's wrapped lines interleave
//! with its neighbours' ("Request for Taxpayer Give form to the (Rev. March 2024)
//! Identification Number…"); read box by box, each label and title stays whole and comes
//! before what it labels.

use super::blocks::by_line;
use super::layout::Run;
use super::paths::{Rule, Ruling};

/// Positions this close (points) are one rule.
const TOUCH: f32 = 2.0;
/// A rule that cuts the page into sections spans this share of the text's width.
const ACROSS: f32 = 0.9;
/// A rule that parts boxes spans this share of its section's text height.
const DOWN: f32 = 0.5;
/// A label column ends within this share of the page's width.
const LABEL_WIDTH: f32 = 0.3;
/// Stretches of labels read in one section at most.
const MAX_STRETCHES: usize = 64;
/// Rules drawn down a section that are tried as box edges at most.
const MAX_BOXES: usize = 64;
/// Lines of a band of labels set over boxes, and a label's words, at most.
const MAX_LABEL_LINES: usize = 2;
const MAX_LABEL_WORDS: usize = 6;
/// A label starts this many of its ems inside its box's left rule at most.
const LABEL_INSET: f32 = 3.0;

/// The page's runs as boxes in reading order: sections between rules drawn across the text,
/// top to bottom, each as the boxes that rules drawn down it, or a column of labels, set side
/// by side, left to right. A page without such rules is one section of one box.
pub fn boxes(runs: Vec<Run>, ruling: &Ruling) -> Vec<Vec<Vec<Run>>> {
    let text: Vec<&Run> = runs.iter().filter(|r| !r.text.trim().is_empty()).collect();
    let (Some(left), Some(right)) =
        (text.iter().map(|r| r.x).min_by(f32::total_cmp), text.iter().map(|r| r.end_x).max_by(f32::total_cmp))
    else {
        return vec![vec![runs]];
    };
    let mut cuts: Vec<f32> = ruling
        .across
        .iter()
        .filter(|r| r.x1.min(right) - r.x0.max(left) >= ACROSS * (right - left))
        .map(|r| r.y0)
        .collect();
    cuts.sort_by(|a, b| b.total_cmp(a));
    cuts.dedup_by(|a, b| (*a - *b).abs() <= TOUCH);
    let mut sections: Vec<Vec<Run>> = vec![Vec::new(); cuts.len() + 1];
    for run in runs {
        let i = cuts.iter().filter(|c| run.y < **c).count();
        sections[i].push(run);
    }
    sections.retain(|s| !s.is_empty());
    let sections = with_labels_over_boxes(sections, &ruling.down);
    sections.into_iter().map(|s| side_by_side(s, &ruling.down, right)).collect()
}

/// A certificate sets its boxes' labels over them, each in a band of its own ruled off above
/// ("CERTIFICATE HOLDER" over the holder's name, "CANCELLATION" over its notice, on one line).
/// Read as a section of its own, the band gives both labels before either box. A band of a line
/// or two of a few words, right above a section whose boxes are ruled apart from its top, whose
/// text keeps clear of those rules, stands over two boxes or more and opens each at its left
/// rule, is read with that section, each label in its box. A section that opens with a title
/// over its boxes (a policy's "3. Utilities extension" over "What we cover" beside its terms)
/// has a band of its own: the row above it is not its labels. Nor is a running head over a
/// form's label column ("Form 1040 (2010)" … "Page 2"): it does not open the box it is over.
fn with_labels_over_boxes(sections: Vec<Vec<Run>>, downs: &[Rule]) -> Vec<Vec<Run>> {
    let mut out: Vec<Vec<Run>> = Vec::with_capacity(sections.len());
    let mut sections = sections.into_iter().peekable();
    while let Some(section) = sections.next() {
        let labels = sections.peek().is_some_and(|below| labels_over(&section, below, downs));
        match sections.next_if(|_| labels) {
            Some(below) => out.push(section.into_iter().chain(below).collect()),
            None => out.push(section),
        }
    }
    out
}

fn labels_over(band: &[Run], below: &[Run], downs: &[Rule]) -> bool {
    // The band's own shape first: most sections are more than two lines, and the boxes below
    // are found only for the few that are not.
    let text: Vec<&Run> = band.iter().filter(|r| !r.text.trim().is_empty()).collect();
    let mut baselines: Vec<f32> = text.iter().map(|r| r.y).collect();
    baselines.sort_by(f32::total_cmp);
    baselines.dedup_by(|a, b| (*a - *b).abs() < 1.0);
    if !(1..=MAX_LABEL_LINES).contains(&baselines.len()) {
        return false;
    }
    let splits = ruled_boxes(below, downs);
    let top = below.iter().filter(|r| !r.text.trim().is_empty()).map(|r| r.y + 0.7 * r.size).fold(f32::MIN, f32::max);
    let from_top = splits.iter().all(|x| downs.iter().any(|d| (d.x0 - x).abs() <= TOUCH && d.y1 >= top));
    let crossed = splits.iter().any(|x| text.iter().any(|r| r.x < x - TOUCH && r.end_x > x + TOUCH));
    let box_of = |r: &Run| splits.iter().filter(|x| r.x >= **x - TOUCH).count();
    let mut boxes: Vec<usize> = text.iter().map(|r| box_of(r)).collect();
    boxes.sort_unstable();
    boxes.dedup();
    let words =
        |b: &usize| text.iter().filter(|r| box_of(r) == *b).map(|r| r.text.split_whitespace().count()).sum::<usize>();
    // A label opens its box: it starts right inside the rule on its left, as the box's text does.
    let opens = |b: &usize| {
        *b == 0
            || text
                .iter()
                .filter(|r| box_of(r) == *b)
                .min_by(|p, q| p.x.total_cmp(&q.x))
                .is_some_and(|r| r.x - splits[*b - 1] <= LABEL_INSET * r.size)
    };
    !splits.is_empty()
        && from_top
        && !crossed
        && boxes.len() >= 2
        && boxes.iter().all(|b| words(b) <= MAX_LABEL_WORDS && opens(b))
}

/// A section's boxes in reading order: split where rules run down the section, or else
/// where labels that open in bold are set in a column at its left.
fn side_by_side(section: Vec<Run>, downs: &[Rule], page_right: f32) -> Vec<Vec<Run>> {
    let ruled = ruled_boxes(&section, downs);
    if !ruled.is_empty() {
        let mut out: Vec<Vec<Run>> = vec![Vec::new(); ruled.len() + 1];
        for run in section {
            let i = ruled.iter().filter(|x| run.x >= **x - TOUCH).count();
            out[i].push(run);
        }
        // A box may hold a label beside its text in turn.
        return out.into_iter().filter(|b| !b.is_empty()).flat_map(|b| labelled(b, page_right)).collect();
    }
    labelled(section, page_right)
}

/// Where rules run down at least `DOWN` of the section with no text across them and text on
/// both sides that is not a table's columns: the boxes' edges, left to right.
fn ruled_boxes(section: &[Run], downs: &[Rule]) -> Vec<f32> {
    let text: Vec<&Run> = section.iter().filter(|r| !r.text.trim().is_empty()).collect();
    let top = text.iter().map(|r| r.y + r.size).fold(f32::MIN, f32::max);
    let bottom = text.iter().map(|r| r.y - 0.3 * r.size).fold(f32::MAX, f32::min);
    let crossed = |x: f32| text.iter().any(|r| r.x < x - TOUCH && r.end_x > x + TOUCH);
    // A page of thousands of tall rules (a hostile one) is not checked against every run.
    let mut splits: Vec<f32> = downs
        .iter()
        .filter(|d| d.y1.min(top) - d.y0.max(bottom) >= DOWN * (top - bottom))
        .take(MAX_BOXES)
        .filter(|d| !crossed(d.x0))
        .map(|d| d.x0)
        .collect();
    splits.sort_by(f32::total_cmp);
    splits.dedup_by(|a, b| (*a - *b).abs() <= TOUCH);
    let mut kept: Vec<f32> = Vec::new();
    for x in splits {
        let from = kept.last().copied().unwrap_or(f32::MIN);
        let left: Vec<&Run> = text.iter().copied().filter(|r| r.end_x <= x + TOUCH && r.x >= from - TOUCH).collect();
        let right: Vec<&Run> = text.iter().copied().filter(|r| r.x >= x - TOUCH).collect();
        // Or only the lines level with the right side's, from where most of them start: a label
        // column further left (a form's "Income" beside its line items and their line numbers)
        // is neither side.
        // Each of the right side's baselines once, against the left side sorted by baseline, so
        // a page of many runs costs a sort, not every pair.
        let mut by_y = left.clone();
        by_y.sort_by(|a, b| a.y.total_cmp(&b.y));
        let mut levels: Vec<i32> = right.iter().map(|q| (q.y * 2.0).round() as i32).collect();
        levels.sort_unstable();
        levels.dedup();
        let mut starts: Vec<f32> = levels
            .iter()
            .filter_map(|level| {
                let y = *level as f32 / 2.0;
                let from = by_y.partition_point(|r| r.y < y - 1.0);
                by_y[from..].iter().take_while(|r| r.y <= y + 1.0).map(|r| r.x).min_by(f32::total_cmp)
            })
            .collect();
        starts.sort_by(f32::total_cmp);
        let from_level = starts.get(starts.len() / 2).copied().unwrap_or(f32::MIN);
        let level: Vec<&Run> = left.iter().copied().filter(|r| r.x >= from_level - TOUCH).collect();
        if !left.is_empty() && !right.is_empty() && !table_columns(&left, &right) && !table_columns(&level, &right) {
            kept.push(x);
        }
    }
    kept
}

/// A column of labels at the section's left, as long as it lasts from the top: each label
/// (a bold line and the lines set close under it) then what is beside it down to the next
/// label, then the rest of the section read on its own. The column ends within `LABEL_WIDTH`
/// of the page and a gap of an em or more parts it from the text beside it on every line.
fn labelled(mut section: Vec<Run>, page_right: f32) -> Vec<Vec<Run>> {
    let mut out = Vec::new();
    // Each stretch takes a line or more: past this many (a hostile page), the rest is read as
    // it stands, so the work stays linear in the page's lines.
    for _ in 0..MAX_STRETCHES {
        match label_stretch(section, page_right) {
            Ok((boxes, rest)) => {
                out.extend(boxes);
                if rest.is_empty() {
                    return out;
                }
                section = rest;
            }
            Err(whole) => {
                section = whole;
                break;
            }
        }
    }
    if !section.is_empty() {
        out.push(section);
    }
    out
}

/// A stretch's boxes and the rest of its section, or the section back untouched.
type Stretch = Result<(Vec<Vec<Run>>, Vec<Run>), Vec<Run>>;

/// One stretch of a label column from the section's top: its boxes and the rest of the
/// section, or the section back when no labels open it.
fn label_stretch(section: Vec<Run>, page_right: f32) -> Stretch {
    let lines = by_line((0..section.len()).filter(|i| !section[*i].text.trim().is_empty()).collect(), |i| &section[*i]);
    let leftmost = |line: &Vec<usize>| line.iter().copied().min_by(|a, b| section[*a].x.total_cmp(&section[*b].x));
    let left = lines.iter().flatten().map(|i| section[*i].x).fold(f32::MAX, f32::min);
    // The label may open a line below the section's first field line ("Preparer's name …"
    // above "Paid / Preparer / Use Only"): that line is then the first label's text.
    let opening = match (lines.first().and_then(leftmost), lines.get(1).and_then(leftmost)) {
        (Some(a), Some(b)) if section[a].x > left + TOUCH && section[b].x <= left + TOUCH => 1,
        _ => 0,
    };
    let Some(first) = lines.get(opening).and_then(leftmost) else {
        return Err(section);
    };
    let first = &section[first];
    let limit = left + LABEL_WIDTH * (page_right - left);
    let beside = lines[..=opening]
        .iter()
        .flatten()
        .map(|i| &section[*i])
        .filter(|r| r.x > first.end_x + TOUCH)
        .min_by(|a, b| a.x.total_cmp(&b.x));
    let Some(beside) = beside else { return Err(section) };
    let (mut g0, mut g1) = (first.end_x, beside.x);
    // A number before its bold title ("1.   CALL TO ORDER") is a numbered heading, not a label.
    // A bold line number beside a label is the form's own numbering ("Payments  25 Federal…");
    // a bold word stacked down the margin beside it ("PRINT CLEARLY") is neither.
    let worded = |r: &Run| r.text.chars().filter(|c| c.is_alphabetic()).count() >= 2;
    if !first.bold
        || (beside.bold && worded(beside) && !beside.stacked)
        || !worded(first)
        || first.x > left + TOUCH
        || g1 - g0 < first.size
        || g0 > limit
    {
        return Err(section);
    }
    // Lines from the top while the gap holds; each line's runs on the label side or not.
    let mut label_lines: Vec<Vec<usize>> = Vec::new();
    let mut stretch = lines.len();
    let mut is_label = vec![false; section.len()];
    for (n, line) in lines.iter().enumerate() {
        let (mut a, mut b) = (g0, g1);
        let mut labels = Vec::new();
        let mut crossing = false;
        for i in line {
            let r = &section[*i];
            if r.end_x <= b + TOUCH && r.x < b - TOUCH {
                a = a.max(r.end_x);
                labels.push(*i);
            } else if r.x >= a - TOUCH {
                b = b.min(r.x);
            } else {
                crossing = true;
            }
        }
        if crossing || b - a < 0.5 * first.size || a > limit {
            stretch = n;
            break;
        }
        (g0, g1) = (a, b);
        for i in &labels {
            is_label[*i] = true;
        }
        if !labels.is_empty() {
            label_lines.push(labels);
        }
    }
    let labels: Vec<&Run> = label_lines.iter().flatten().map(|i| &section[*i]).collect();
    let content: Vec<&Run> =
        lines[..stretch].iter().flatten().filter(|i| !is_label[**i]).map(|i| &section[*i]).collect();
    // A line above the label's may end the stretch before any label is taken (a page number
    // over "TABLE 8.1" and its caption run on): no labels, no stretch.
    if stretch == 0 || label_lines.is_empty() || content.is_empty() || table_columns(&labels, &content) {
        return Err(section);
    }
    // A label starts at a bold line set apart from the label above it.
    let mut tops: Vec<f32> = Vec::new();
    let mut above: Option<&Run> = None;
    for line in &label_lines {
        let r = &section[line[0]];
        if above.is_none_or(|a| r.bold && a.y - r.y > 1.8 * a.size.max(r.size)) {
            tops.push(r.y + r.size);
        }
        above = Some(r);
    }
    let bottom_of_stretch = lines.get(stretch).map(|l| section[l[0]].y + 0.5 * section[l[0]].size);
    let mut boxes: Vec<Vec<Run>> = vec![Vec::new(); 2 * tops.len()];
    let mut rest = Vec::new();
    for (i, run) in section.into_iter().enumerate() {
        if bottom_of_stretch.is_some_and(|b| run.y <= b) && !is_label[i] {
            rest.push(run);
            continue;
        }
        let label = tops.iter().filter(|t| run.y < **t).count().max(1) - 1;
        boxes[2 * label + usize::from(!is_label[i])].push(run);
    }
    boxes.retain(|b| !b.is_empty());
    Ok((boxes, rest))
}

/// Two sides whose lines share their baselines row for row, as many on each side: a table's
/// columns, read across.
fn table_columns(left: &[&Run], right: &[&Run]) -> bool {
    let baselines = |runs: &[&Run]| {
        let mut ys: Vec<i32> = runs.iter().map(|r| (r.y * 2.0).round() as i32).collect();
        ys.sort_unstable();
        ys.dedup();
        ys
    };
    let (l, r) = (baselines(left), baselines(right));
    let shared = l.iter().filter(|y| (*y - 1..=*y + 1).any(|y| r.binary_search(&y).is_ok())).count();
    let (few, many) = (l.len().min(r.len()), l.len().max(r.len()));
    few >= 3 && shared * 3 >= few * 2 && many * 3 <= few * 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stretch_ended_before_its_first_label_is_no_stretch() {
        let run = |x: f32, y: f32, end_x: f32, text: &str, bold: bool| Run {
            bold,
            ..Run::plain(x, y, end_x, 9.5, text.to_string())
        };
        let section = vec![
            run(437.5, 665.0, 445.5, "83", false),
            run(36.0, 619.1, 81.76, "TABLE 8.1 ", true),
            run(81.76, 619.1, 410.4, "Summary of diagnostic accuracy of HCV core antigen assays", false),
        ];
        assert!(label_stretch(section, 560.0).is_err());
    }

    fn texts(boxes: &[Vec<Vec<Run>>]) -> Vec<Vec<Vec<&str>>> {
        boxes.iter().map(|s| s.iter().map(|b| b.iter().map(|r| r.text.as_str()).collect()).collect()).collect()
    }

    /// An ACORD certificate's foot: two boxes ruled apart, their labels in a band over them.
    fn certificate_foot() -> (Vec<Run>, Ruling) {
        let run = |x: f32, y: f32, end_x: f32, text: &str| Run::plain(x, y, end_x, 8.0, text.to_string());
        let runs = vec![
            run(21.6, 134.0, 115.0, "CERTIFICATE HOLDER"),
            run(309.6, 134.0, 376.0, "CANCELLATION"),
            run(316.8, 114.0, 583.0, "SHOULD ANY OF THE ABOVE DESCRIBED POLICIES BE CANCELLED BEFORE"),
            run(316.8, 105.0, 583.0, "THE EXPIRATION DATE THEREOF, NOTICE WILL BE DELIVERED"),
            run(24.0, 60.0, 114.0, "Evidence of Coverage"),
        ];
        let across = |y: f32| Rule { x0: 18.0, y0: y, x1: 594.0, y1: y };
        let ruling = Ruling {
            across: vec![across(144.0), across(132.0), across(48.0)],
            down: vec![Rule { x0: 306.0, y0: 48.0, x1: 306.0, y1: 132.0 }],
            panels: vec![],
        };
        (runs, ruling)
    }

    #[test]
    fn labels_set_over_ruled_boxes_are_read_each_with_its_box() {
        let (runs, ruling) = certificate_foot();
        assert_eq!(
            texts(&boxes(runs, &ruling)),
            vec![vec![
                vec!["CERTIFICATE HOLDER", "Evidence of Coverage"],
                vec![
                    "CANCELLATION",
                    "SHOULD ANY OF THE ABOVE DESCRIBED POLICIES BE CANCELLED BEFORE",
                    "THE EXPIRATION DATE THEREOF, NOTICE WILL BE DELIVERED"
                ],
            ]]
        );
    }

    #[test]
    fn a_line_over_ruled_boxes_that_runs_across_their_rule_stays_above_them() {
        // The right label starts left of the rule and runs over it: a title across both boxes.
        let (mut runs, ruling) = certificate_foot();
        runs[1] = Run::plain(250.0, 134.0, 376.0, 8.0, "CANCELLATION NOTICE".to_string());
        let read = boxes(runs, &ruling);
        assert_eq!(texts(&read)[0], vec![vec!["CERTIFICATE HOLDER", "CANCELLATION NOTICE"]]);
        assert_eq!(read.len(), 2);
    }

    #[test]
    fn a_row_over_boxes_is_not_their_labels_unless_it_opens_them_where_their_rules_start() {
        // The boxes' rule starts under a title of the section's own (a policy's "3. Utilities
        // extension" over "What we cover" beside its terms).
        let (mut runs, mut ruling) = certificate_foot();
        runs.push(Run::plain(24.0, 124.0, 130.0, 8.0, "3. Utilities extension".to_string()));
        ruling.down[0].y1 = 120.0;
        assert_eq!(texts(&boxes(runs, &ruling))[0], vec![vec!["CERTIFICATE HOLDER", "CANCELLATION"]]);
        // A running head's page number far from the rule on its left opens no box.
        let (mut runs, ruling) = certificate_foot();
        runs[1] = Run::plain(540.0, 134.0, 583.0, 8.0, "Page 2".to_string());
        assert_eq!(texts(&boxes(runs, &ruling))[0], vec![vec!["CERTIFICATE HOLDER", "Page 2"]]);
    }
}
