//! Unit tests of the interpreter's run building.

use super::*;

fn sideways(x: f32, from: f32, to: f32, text: &str, bold: bool) -> Run {
    Run { end_x: x + 7.0, sideways: Some((from, to)), ..Run::sample(x, from, text, 8.0, bold) }
}

#[test]
fn a_sideways_line_drawn_in_pieces_is_one_run_and_the_next_line_another() {
    let runs = join_sideways(vec![
        sideways(36.0, 545.0, 595.0, "Print or type.", true),
        sideways(46.0, 545.0, 560.0, "See", false),
        sideways(46.0, 562.0, 620.0, "Specific Instructions", true),
        sideways(46.0, 620.0, 660.0, " on page 3.", false),
    ]);
    let texts: Vec<&str> = runs.iter().map(|r| r.text.as_str()).collect();
    assert_eq!(texts, ["Print or type.", "See Specific Instructions on page 3."]);
    assert_eq!(runs[1].sideways, Some((545.0, 660.0)));
    assert!(!runs[1].bold);
}

#[test]
fn a_thumb_tab_at_the_pages_edge_is_dropped_and_a_forms_sideways_label_in_its_margin_is_not() {
    let tab = |x: f32, text: &str| Run {
        end_x: x + 12.0,
        sideways: Some((88.0, 128.0)),
        ..Run::sample(x, 88.0, text, 10.0, true)
    };
    let mut runs = vec![
        tab(3.0, "Eligibility"),
        tab(488.0, "General Information"),
        tab(36.0, "Form"),
        tab(490.0, "縦書きの段落はページの右から始まる"),
        Run::sample(3.0, 300.0, "Notes", 8.0, false),
        Run { bold: false, ..tab(5.0, "Jkt 250001") },
    ];
    super::page::drop_thumb_tabs(&mut runs, [0.0, 0.0, 504.0, 612.0]);
    let kept: Vec<&str> = runs.iter().map(|r| r.text.as_str()).collect();
    assert_eq!(kept, ["Form", "縦書きの段落はページの右から始まる", "Notes", "Jkt 250001"]);
}

#[test]
fn fill_colours_read_as_rgb_and_tints_and_patterns_as_unknown() {
    let f = |op: &str, ops: Vec<Object>| fill_colour(op, &ops);
    let real = |v: f32| Object::Real(v);
    assert_eq!(f("g", vec![real(0.0)]), 0x000000);
    assert_eq!(f("g", vec![real(1.0)]), 0xffffff);
    assert_eq!(f("rg", vec![real(0.0), real(0.5), real(1.0)]), 0x0080ff);
    assert_eq!(f("k", vec![real(1.0), real(0.0), real(0.0), real(0.0)]), 0x00ffff);
    assert_eq!(f("scn", vec![real(1.0), real(0.0), real(0.0)]), 0xff0000);
    // A spot colour's tint of 1 is full ink, not white; a pattern has no one colour.
    assert_eq!(f("scn", vec![real(1.0)]), UNKNOWN_FILL);
    assert_eq!(f("scn", vec![Object::Name(b"P0".to_vec())]), UNKNOWN_FILL);
}

#[test]
fn item_labels_end_text_but_arguments_do_not() {
    for text in ["and ii)", "(b)", "see (12)", "iv)"] {
        assert!(show::ends_with_label(text), "{text}");
    }
    for text in ["add(3, 5)", "exp(x)", "f(a)", "word", "(sic)"] {
        assert!(!show::ends_with_label(text), "{text}");
    }
}

/// The rules a one-page document drawing `content` yields.
fn rules_drawn(content: &str) -> Vec<crate::parsing::paths::Rule> {
    use lopdf::{Stream, dictionary};
    let mut doc = Document::with_version("1.5");
    let pages = doc.new_object_id();
    let content = doc.add_object(Stream::new(dictionary! {}, content.as_bytes().to_vec()));
    let page = doc.add_object(dictionary! { "Type" => "Page", "Parent" => pages, "Contents" => content });
    let kids = vec![page.into()];
    let media = vec![0.into(), 0.into(), 612.into(), 792.into()];
    doc.objects.insert(
        pages,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => 1, "MediaBox" => media }),
    );
    page_drawn(&doc, page, &FontCache::default()).map(|d| d.rules).unwrap_or_default()
}

#[test]
fn white_rules_on_the_paper_are_not_there_and_over_a_shaded_panel_they_are() {
    // A form's blanks drawn white under its fields: a grid to the table finder, not on paper.
    let grid = "60 712 m 400 712 l 60 694 m 400 694 l 60 680 m 400 680 l 200 680 m 200 712 l S";
    assert!(rules_drawn(&format!("1 G {grid}")).is_empty());
    assert!(rules_drawn(&format!("0.98 0.98 0.98 RG {grid}")).is_empty());
    assert!(rules_drawn("1 g 60 700 340 0.5 re f").is_empty());
    assert_eq!(rules_drawn(&format!("0.5 G {grid}")).len(), 4);
    // Over a table's shaded rows, however thin, drawn as one path of boxes.
    let shaded =
        format!("0.85 g 60 680 m 400 680 l 400 690 l 60 690 l h 60 700 m 400 700 l 400 712 l 60 712 l h f 1 G {grid}");
    assert_eq!(rules_drawn(&shaded).len(), 4);
    // Beside the panel, not over it.
    assert!(rules_drawn(&format!("0.85 g 450 680 50 32 re f 1 G {grid}")).is_empty());
}
