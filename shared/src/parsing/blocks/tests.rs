//! Unit tests of the layout heuristics, on runs set by hand.

use super::*;

#[test]
fn spaces_are_squeezed_only_where_needed() {
    for (text, want) in [
        ("a b", "a b"),
        (" a  b\t", "a b"),
        ("a\u{a0}b", "a b"),
        ("", ""),
        ("  ", ""),
        ("a ", "a"),
        ("a\x0bb\rc", "a b c"),
        ("a\x1cb", "a\x1cb"),
        ("é  b", "é b"),
    ] {
        let mut t = text.to_string();
        squeeze_spaces(&mut t);
        assert_eq!(t, want, "{text:?}");
    }
}

#[test]
fn a_number_wrapped_onto_its_own_line_goes_on_with_the_sentence_and_a_footnote_does_not() {
    for item in
        ["1. Scope", "(b) the insured", "4.2 Limits", "iv. Exclusions", "➢ Know", "◻ Escrow agent", "3 The flight"]
    {
        assert!(is_list_item(item), "{item}");
    }
    for text in ["b Household employee wages . . . 1b", "z Add lines 1a through 1h"] {
        assert!(is_list_item(text), "{text}");
    }
    for text in ["a Director of the company", "y Compris les frais", "b and c apply"] {
        assert!(!is_list_item(text), "{text}");
    }
    for text in ["100 percent of what you sign.", "48 and any services", "9 (737 MAX) airplanes", "1 200 000$"] {
        assert!(!is_list_item(text), "{text}");
    }
}

fn run(x: f32, y: f32, text: &str, size: f32, bold: bool) -> Run {
    Run::sample(x, y, text, size, bold)
}

fn md(runs: Vec<Run>) -> String {
    resolve_line_hyphens(
        pages_to_markdown(vec![PageText { runs, rules: Vec::new(), panels: Vec::new(), width: 595.0 }]).remove(0),
    )
}

#[test]
fn a_question_repeated_atop_the_pages_it_runs_over_is_kept_where_it_wraps() {
    // A FAQ sets its question again at the top of each page its answer runs over, under the
    // running head: it repeats as a running head does, but wraps as none does.
    let page = |body: &str| PageText {
        runs: vec![
            run(188.0, 800.0, "The Consumer's Guide to Small Business Insurance", 10.0, false),
            run(108.0, 760.0, "What types of property insurance should I", 18.0, true),
            run(108.0, 741.0, "consider buying?", 18.0, true),
            run(108.0, 700.0, body, 12.0, false),
            run(108.0, 684.0, "Ask your agent about the coverage your business needs.", 12.0, false),
        ],
        rules: Vec::new(),
        panels: Vec::new(),
        width: 595.0,
    };
    let pages = vec![
        page("The best thing to do is to take a complete inventory of your property."),
        page("Some common additional coverages for business property follow."),
        page("Builders risk coverage insures buildings under construction."),
    ];
    let md = pages_to_markdown(pages);
    assert!(md[0].starts_with("## What types of property insurance should I consider buying?\n\n"), "{md:?}");
    assert!(!md[0].contains("Consumer's Guide"), "{md:?}");
}

#[test]
fn pagination_marks_are_furniture_only_when_they_repeat_or_number_the_page() {
    let mark = |x: f32, y: f32, text: &str| Run { pagination: true, artifact: true, ..run(x, y, text, 9.0, false) };
    let page = |runs: Vec<Run>| PageText { runs, rules: Vec::new(), panels: Vec::new(), width: 595.0 };
    let pages = vec![
        page(vec![
            run(50.0, 700.0, "Body text.", 10.0, false),
            mark(50.0, 820.0, "Official - Subject to"),
            mark(160.0, 820.0, "Final Review"),
            mark(50.0, 40.0, "Form DCF-F-"),
            mark(110.0, 40.0, "2476"),
            mark(300.0, 20.0, "Page 1 of 2"),
        ]),
        page(vec![mark(300.0, 20.0, "Page 2 of 2"), mark(500.0, 40.0, "7"), run(50.0, 700.0, "More.", 10.0, false)]),
    ];
    // The head and the form number (one line with its split-off digits) are said once;
    // "Page # of #" repeats, and a lone number is a page number.
    assert_eq!(pagination_said_once(&pages), vec![vec![1, 2, 3, 4], vec![]]);
}

#[test]
fn bold_numbered_lines_become_headings_at_their_depth() {
    let out = md(vec![
        run(50.0, 800.0, "4 Water damage", 10.0, true),
        run(50.0, 780.0, "We pay for sudden escape of water from fixed installations.", 10.0, false),
        run(50.0, 760.0, "4.2 Exclusions", 10.0, true),
        run(50.0, 740.0, "Gradual leaks are not covered.", 10.0, false),
    ]);
    assert_eq!(
        out,
        "## 4 Water damage\n\nWe pay for sudden escape of water from fixed installations.\n\n### 4.2 Exclusions\n\nGradual leaks are not covered.\n\n"
    );
}

#[test]
fn a_wrapped_heading_is_one_heading_and_form_labels_and_dates_are_not_headings() {
    let out = md(vec![
        run(50.0, 800.0, "SECTION 1. RENEWAL", 14.0, true),
        run(50.0, 784.0, "PROVISIONS", 14.0, true),
        run(50.0, 760.0, "The policy renews each year on the date shown in the schedule.", 10.0, false),
        run(50.0, 740.0, "Valuation: Actual Cash Value", 10.0, true),
        run(50.0, 720.0, "To 10-20-2022", 10.0, true),
        run(50.0, 712.0, "5. Watch out for:", 10.0, true),
        run(50.0, 705.0, "SECTION II: LIABILITY", 10.0, true),
        run(50.0, 690.0, "Exclusions", 14.0, true),
        run(50.0, 660.0, "Wear and tear", 14.0, true),
    ]);
    assert_eq!(
        out,
        "## SECTION 1. RENEWAL PROVISIONS\n\nThe policy renews each year on the date shown in the schedule.\n\n\
         Valuation: Actual Cash Value\n\nTo 10-20-2022\n\n5. Watch out for:\n\n### SECTION II: LIABILITY\n\n## Exclusions\n\n## Wear and tear\n\n"
    );
}

#[test]
fn a_bold_run_in_heading_starts_its_block_and_a_bold_term_does_not() {
    let out = md(vec![
        run(50.0, 800.0, "We will pay for loss caused by fire.", 10.0, false),
        run(50.0, 788.0, "B. Changes", 10.0, true),
        run(110.0, 788.0, "This policy may be changed only by endorsement.", 10.0, false),
        run(50.0, 776.0, "Notice must reach us before the", 10.0, false),
        run(50.0, 764.0, "insured", 10.0, true),
        run(95.0, 764.0, "moves away.", 10.0, false),
    ]);
    assert_eq!(
        out,
        "We will pay for loss caused by fire.\n\nB. Changes This policy may be changed only by endorsement. \
         Notice must reach us before the insured moves away.\n\n"
    );
}

#[test]
fn aligned_cells_become_a_table_and_wrapped_cells_stay_in_their_row() {
    let out = md(vec![
        run(50.0, 800.0, "Cover", 9.0, true),
        run(250.0, 800.0, "Limit", 9.0, true),
        run(50.0, 785.0, "Buildings", 9.0, false),
        run(250.0, 785.0, "£500,000", 9.0, false),
        run(50.0, 770.0, "Accidental damage to", 9.0, false),
        run(250.0, 770.0, "£2,000", 9.0, false),
        run(50.0, 760.0, "glass", 9.0, false),
    ]);
    assert_eq!(
        out,
        "| Cover | Limit |\n| --- | --- |\n| Buildings | £500,000 |\n| Accidental damage to glass | £2,000 |\n\n"
    );
}

#[test]
fn a_row_wrapped_in_every_column_stays_one_row_where_rows_are_set_apart() {
    // Rows 18 pt apart, their lines 11 pt: a wrapped title fills the first column on the
    // row's second line too, in title case, and reads on from a title cut mid-phrase.
    let out = md(vec![
        run(50.0, 800.0, "Cover type", 9.0, true),
        run(210.0, 800.0, "Summary of covers", 9.0, true),
        run(50.0, 782.0, "Section 1B: Theft", 9.0, false),
        run(
            210.0,
            782.0,
            "This section covers loss of or damage to your property due to theft and provides a",
            9.0,
            false,
        ),
        run(210.0, 771.0, "number of additional covers.", 9.0, false),
        run(50.0, 753.0, "Section 1E: Restoration of", 9.0, false),
        run(
            210.0,
            753.0,
            "This section covers the cost of rewriting your business's computer records following a",
            9.0,
            false,
        ),
        run(50.0, 742.0, "Computer Data", 9.0, false),
        run(210.0, 742.0, "computer breakdown.", 9.0, false),
        run(50.0, 724.0, "Section 2: Money", 9.0, false),
        run(210.0, 724.0, "This section covers your money whilst on your premises.", 9.0, false),
    ]);
    assert_eq!(
        out,
        "| Cover type | Summary of covers |\n| --- | --- |\n\
         | Section 1B: Theft | This section covers loss of or damage to your property due to theft and provides a number of additional covers. |\n\
         | Section 1E: Restoration of Computer Data | This section covers the cost of rewriting your business's computer records following a computer breakdown. |\n\
         | Section 2: Money | This section covers your money whilst on your premises. |\n\n"
    );
    // Rows grouped apart, each a label and its figure, stay rows however closely set.
    let out = md(vec![
        run(50.0, 800.0, "Age", 9.0, true),
        run(210.0, 800.0, "Rate", 9.0, true),
        run(50.0, 782.0, "20-29", 9.0, false),
        run(210.0, 782.0, "0.2650", 9.0, false),
        run(50.0, 771.0, "30-39", 9.0, false),
        run(210.0, 771.0, "0.2046", 9.0, false),
        run(50.0, 753.0, "Buildings and contents of", 9.0, false),
        run(210.0, 753.0, "0.1477", 9.0, false),
        run(50.0, 742.0, "Business premises", 9.0, false),
        run(210.0, 742.0, "0.1514", 9.0, false),
    ]);
    assert_eq!(out.matches("\n|").count(), 5, "{out}");
}

#[test]
fn items_whose_labels_hang_in_a_column_of_their_own_are_a_list_not_a_table() {
    let out = md(vec![
        run(50.0, 800.0, "We will not pay for:", 10.0, false),
        run(60.0, 785.0, "(i)", 10.0, false),
        run(110.0, 785.0, "any property more specifically insured", 10.0, false),
        run(60.0, 770.0, "(ii)", 10.0, false),
        run(110.0, 770.0, "Money, jewellery or precious stones, securities or", 10.0, false),
        run(110.0, 758.0, "bonds", 10.0, false),
        run(60.0, 743.0, "(iii)", 10.0, false),
        run(110.0, 743.0, "the value of information contained in any plans, deeds,", 10.0, false),
        run(60.0, 731.0, "manuscripts or office records", 10.0, false),
        run(60.0, 711.0, "−", 10.0, false),
        run(110.0, 711.0, "after 3 business days, if you do not pay; or", 10.0, false),
        run(60.0, 696.0, "−", 10.0, false),
        run(110.0, 696.0, "straight away, if you are a month late.", 10.0, false),
    ]);
    assert_eq!(
        out,
        "We will not pay for:\n\n(i) any property more specifically insured\n\n\
         (ii) Money, jewellery or precious stones, securities or bonds\n\n\
         (iii) the value of information contained in any plans, deeds, manuscripts or office records\n\n\
         - after 3 business days, if you do not pay; or\n\n- straight away, if you are a month late.\n\n"
    );
    // A word under the last label leads into what follows the list ("•" / "if"): it closes
    // the last item; a capitalised one is no such word.
    let items = |word: &str| {
        md(vec![
            run(50.0, 800.0, "You can claim for damage to an item of:", 10.0, false),
            run(60.0, 785.0, "•", 10.0, false),
            run(90.0, 785.0, "machinery if shown on the schedule; or", 10.0, false),
            run(60.0, 770.0, "•", 10.0, false),
            run(90.0, 770.0, "computers if shown on the schedule", 10.0, false),
            run(60.0, 755.0, word, 10.0, false),
        ])
    };
    let out = items("if");
    assert!(
        out.ends_with("- machinery if shown on the schedule; or\n\n- computers if shown on the schedule if\n\n"),
        "{out}"
    );
    assert!(items("Note").contains("| •"), "{}", items("Note"));
    // A column counting a table's rows, or of figures, still heads a table.
    let out = md(vec![
        run(50.0, 800.0, "1", 10.0, false),
        run(90.0, 800.0, "Buildings", 10.0, false),
        run(50.0, 785.0, "2", 10.0, false),
        run(90.0, 785.0, "Contents", 10.0, false),
        run(50.0, 770.0, "3", 10.0, false),
        run(90.0, 770.0, "Stock", 10.0, false),
    ]);
    assert_eq!(out, "| 1 | Buildings |\n| --- | --- |\n| 2 | Contents |\n| 3 | Stock |\n\n");
}

#[test]
fn rows_wrapped_in_every_cell_are_one_row_and_a_paragraph_beside_its_sidebar_is_not_a_table() {
    let out = md(vec![
        run(50.0, 800.0, "Plus de sentiers qui", 9.0, false),
        run(250.0, 800.0, "It is an investment in the", 9.0, false),
        run(50.0, 789.0, "acceptent les chiens", 9.0, false),
        run(250.0, 789.0, "health of our community.", 9.0, false),
        run(50.0, 770.0, "Pistes cyclables", 9.0, false),
        run(250.0, 770.0, "Very important.", 9.0, false),
    ]);
    assert_eq!(
        out,
        "| Plus de sentiers qui acceptent les chiens | It is an investment in the health of our community. |\n\
         | --- | --- |\n| Pistes cyclables | Very important. |\n\n"
    );
    let out = md(vec![
        run(30.0, 700.0, "Only you can decide how much you feel", 10.0, false),
        run(330.0, 700.0, "This worksheet is", 8.0, false),
        run(30.0, 686.0, "comfortable spending on a home and plan", 10.0, false),
        run(330.0, 688.0, "designed for first-time", 8.0, false),
        run(30.0, 672.0, "a monthly payment.", 10.0, false),
        run(330.0, 676.0, "home buyers.", 8.0, false),
    ]);
    assert_eq!(
        out,
        "Only you can decide how much you feel comfortable spending on a home and plan a monthly payment.\n\n\
         This worksheet is designed for first-time home buyers.\n\n"
    );
}

#[test]
fn a_hyphen_at_a_line_break_stays_where_the_document_writes_the_compound_whole() {
    let out = md(vec![
        run(50.0, 800.0, "A fixed-rate loan. Even with a fixed-", 10.0, false),
        run(50.0, 788.0, "rate loan the insur-", 10.0, false),
        run(50.0, 776.0, "ance and case 2023-", 10.0, false),
        run(50.0, 764.0, "0379 go on. Deaf or hard-of-", 10.0, false),
        run(50.0, 752.0, "hearing callers too.", 10.0, false),
    ]);
    assert_eq!(
        out,
        "A fixed-rate loan. Even with a fixed-rate loan the insurance and case 2023-0379 go on. Deaf or \
         hard-of-hearing callers too.\n\n"
    );
}

#[test]
fn a_superscript_against_its_line_joins_it() {
    let out = md(vec![
        run(50.0, 800.0, "Published on the 10", 10.0, false),
        Run { x: 145.0, ..run(145.0, 804.0, "th", 6.0, false) },
        run(155.0, 800.0, "of each month.", 10.0, false),
    ]);
    assert_eq!(out, "Published on the 10th of each month.\n\n");
}

#[test]
fn a_line_cut_off_on_a_preposition_is_not_a_heading() {
    let body = "Under penalties of perjury, I certify that the number shown on this form is correct.";
    let out = md(vec![
        run(50.0, 800.0, body, 10.0, false),
        run(50.0, 780.0, "Signature of", 10.0, true),
        run(50.0, 768.0, "U.S. person Date", 10.0, false),
        run(50.0, 740.0, "2. Interest and broker accounts considered inactive during", 10.0, true),
        run(50.0, 728.0, "1983. You must sign the certification.", 10.0, false),
        run(50.0, 700.0, "Part A", 10.0, true),
        run(50.0, 680.0, body, 10.0, false),
    ]);
    assert!(!out.contains("# Signature"), "{out}");
    assert!(out.contains("Signature of U.S. person Date"), "{out}");
    assert!(!out.contains("# 2. Interest"), "{out}");
    assert!(out.contains("### Part A\n"), "a name ends a heading: {out}");
}

#[test]
fn side_by_side_cells_set_small_are_text_however_large_a_word_of_them_is() {
    let body = "Comments must be received on or before the date shown in this proposed rule.";
    let out = md(vec![
        run(50.0, 800.0, "Proposed Rules", 18.0, true),
        run(400.0, 800.0, "Federal Register", 8.0, true),
        run(50.0, 770.0, body, 10.0, false),
        run(50.0, 750.0, body, 10.0, false),
        run(237.0, 100.0, "Cat. No. 10231X", 7.0, false),
        run(480.0, 100.0, "Form", 7.0, false),
        run(498.0, 100.0, "W-9", 16.0, true),
        run(528.0, 100.0, "(Rev. 3-2024)", 7.0, false),
    ]);
    assert!(out.starts_with("# Proposed Rules\n\nFederal Register\n\n"), "{out}");
    assert!(!out.contains("# Cat.") && !out.contains("# Form W-9"), "{out}");
}

#[test]
fn a_bold_title_with_a_plain_note_in_parentheses_is_a_heading_and_a_bold_lead_is_not() {
    let body = "If you choose this option, complete this worksheet on only one Form W-4 for all jobs.";
    let note = |y: f32, title: &str, rest: &str| {
        let end = 50.0 + title.chars().count() as f32 * 5.0;
        vec![run(50.0, y, title, 10.0, true), run(end + 5.0, y, rest, 10.0, false)]
    };
    let mut runs = note(800.0, "Step 2(b)—Multiple Jobs Worksheet", "(Keep for your records.)");
    runs.push(run(50.0, 780.0, body, 10.0, false));
    runs.extend(note(760.0, "Two jobs.", "(If you have two jobs, see below.)"));
    runs.extend(note(740.0, "Box 12", "(continued) codes F and G"));
    runs.push(run(50.0, 720.0, body, 10.0, false));
    let out = md(runs);
    assert!(out.starts_with("### Step 2(b)—Multiple Jobs Worksheet (Keep for your records.)\n\n"), "{out}");
    assert!(!out.contains("# Two jobs") && !out.contains("# Box 12"), "{out}");
}

#[test]
fn a_subheading_set_as_large_below_a_wrapped_title_is_a_heading_of_its_own() {
    let body = "This section covers the breakdown of machinery at your premises, as the schedule shows.";
    let out = md(vec![
        run(43.0, 800.0, "Section 1D – Breakdown of machinery, computer", 23.0, false),
        run(43.0, 777.0, "equipment and electronic equipment", 23.0, false),
        run(43.0, 749.0, "About this section", 23.0, false),
        run(43.0, 722.0, body, 9.0, false),
        run(43.0, 711.0, body, 9.0, false),
        run(43.0, 690.0, "Your insurance under this section", 23.0, false),
        run(43.0, 667.0, "and what it covers", 23.0, false),
        run(43.0, 640.0, body, 9.0, false),
    ]);
    assert!(
        out.starts_with(
            "# Section 1D – Breakdown of machinery, computer equipment and electronic equipment\n\n# About this section\n\n"
        ),
        "{out}"
    );
    // Its lines at its leading, a title wraps on in lower case however far below.
    assert!(out.contains("\n# Your insurance under this section and what it covers\n"), "{out}");
}

#[test]
fn a_bold_lead_wrapped_into_a_clause_opens_a_paragraph_and_a_defined_term_under_a_heading_does_not() {
    let body = "We will pay the premium back in full if you cancel before your trip starts, as below.";
    let lead = |y: f32, bold: &str, rest: &str| {
        let end = 50.0 + bold.chars().count() as f32 * 5.0;
        vec![run(50.0, y, bold, 10.0, true), run(end + 3.0, y, rest, 10.0, false)]
    };
    let mut runs = vec![run(50.0, 800.0, body, 10.0, false), run(50.0, 788.0, body, 10.0, false)];
    runs.push(run(50.0, 770.0, "For Trip Cancellation Insurance included in the Annual", 10.0, true));
    runs.extend(lead(758.0, "All-Inclusive Plan,", "coverage starts on the date you pay the premium."));
    runs.push(run(50.0, 740.0, "Exclusions to Section 3", 10.0, true));
    runs.extend(lead(728.0, "We", "will not pay for death or bodily injury arising from suicide."));
    runs.push(run(50.0, 716.0, body, 10.0, false));
    // Its lead may end mid-phrase instead, the comma set plain.
    runs.push(run(50.0, 698.0, "For the Annual All-Inclusive and Trip Cancellation &", 10.0, true));
    runs.extend(lead(686.0, "Interruption Plans", ", the benefit does not apply after 72 hours."));
    runs.push(run(50.0, 674.0, body, 10.0, false));
    let out = md(runs);
    assert!(
        out.contains(
            "\n\nFor Trip Cancellation Insurance included in the Annual All-Inclusive Plan, coverage starts on the date you pay the premium.\n\n"
        ),
        "{out}"
    );
    assert!(out.contains("# Exclusions to Section 3\n\nWe will not pay"), "{out}");
    assert!(out.contains("\n\nFor the Annual All-Inclusive and Trip Cancellation & Interruption Plans"), "{out}");
}

#[test]
fn a_bold_lead_whose_comma_is_set_plain_opens_a_paragraph_and_wraps_at_its_compounds_hyphen() {
    let lead = |y: f32, bold: &str, rest: &str| {
        let end = 50.0 + bold.chars().count() as f32 * 5.0;
        vec![run(50.0, y, bold, 10.0, true), run(end, y, rest, 10.0, false)]
    };
    let mut runs = vec![run(50.0, 800.0, "Coverage starts when you pay the premium for it.", 10.0, false)];
    runs.push(run(50.0, 782.0, "For Emergency Medical Insurance included in the All-", 10.0, true));
    runs.push(run(50.0, 770.0, "Inclusive, Canada All-Inclusive, Global Medical, Medical", 10.0, true));
    runs.extend(lead(758.0, "Preferred and Travel Canada", ", coverage starts when you"));
    runs.push(run(50.0, 746.0, "leave home and ends when you return to your home in Non-", 10.0, false));
    runs.push(run(50.0, 734.0, "Medical Plans.", 10.0, false));
    let out = md(runs);
    assert!(!out.contains('#'), "{out}");
    assert!(
        out.contains(
            "\n\nFor Emergency Medical Insurance included in the All-Inclusive, Canada All-Inclusive, Global Medical, \
             Medical Preferred and Travel Canada, coverage starts when you leave home and ends when you return to your \
             home in Non-Medical Plans.\n\n"
        ),
        "{out}"
    );
}

#[test]
fn a_word_in_capitals_broken_at_a_hyphen_rejoins_unless_the_document_writes_it_hyphenated() {
    let out = md(vec![
        run(50.0, 800.0, "WC STATU-", 10.0, false),
        run(50.0, 788.0, "TORY LIMITS apply to CLAIMS-", 10.0, false),
        run(50.0, 776.0, "MADE cover, as do CLAIMS-MADE terms.", 10.0, false),
    ]);
    assert_eq!(out, "WC STATUTORY LIMITS apply to CLAIMS-MADE cover, as do CLAIMS-MADE terms.\n\n");
}

#[test]
fn a_bold_items_line_wrapped_under_its_text_goes_on_and_a_heading_at_its_label_does_not() {
    let body = "We will pay the costs you cannot recover from anyone else, up to the limit shown.";
    let mut runs = vec![
        run(50.0, 800.0, "IF YOU CANCEL, COVERAGE IS AVAILABLE ONLY:", 10.0, true),
        run(50.0, 788.0, "a) IF YOU PURCHASED YOUR POLICY WITHIN", 10.0, true),
        run(59.0, 776.0, "72 HOURS OF BOOKING YOUR TRIP, OR", 10.0, true),
        run(50.0, 764.0, "b) BEFORE ANY CANCELLATION PENALTIES BECAME", 10.0, true),
        run(59.0, 752.0, "APPLICABLE.", 10.0, true),
        run(50.0, 734.0, "• Flood damage", 10.0, true),
        run(50.0, 716.0, "Exclusions of Section 2", 10.0, true),
    ];
    runs.extend((0..4).map(|k| run(50.0, 704.0 - 12.0 * k as f32, body, 10.0, false)));
    let out = md(runs);
    assert!(
        out.contains(
            "\n\na) IF YOU PURCHASED YOUR POLICY WITHIN 72 HOURS OF BOOKING YOUR TRIP, OR\n\nb) BEFORE ANY \
             CANCELLATION PENALTIES BECAME APPLICABLE.\n\n"
        ),
        "{out}"
    );
    assert!(out.contains("\n\n### Exclusions of Section 2\n\n"), "{out}");
}

#[test]
fn space_wider_than_the_leading_after_a_sentence_ends_its_paragraph() {
    let line = |y: f32, text: &str| run(50.0, y, text, 10.0, false);
    let out = md(vec![
        line(800.0, "For Trip Interruption Insurance, your coverage ends on"),
        line(788.0, "the earlier of:"),
        line(776.0, "a) the date when you return to your departure point; or"),
        line(764.0, "b) on the expiry date as shown on your confirmation."),
        line(749.0, "For Rental Vehicle Damage Insurance, your coverage ends"),
        line(737.0, "on the earliest of the dates below. It ends at noon."),
        line(725.0, "Your coverage then lapses without notice to"),
        line(710.0, "you or to anyone else named in the policy."),
        line(698.0, "A claim must reach us within thirty days of the loss."),
    ]);
    assert_eq!(
        out,
        "For Trip Interruption Insurance, your coverage ends on the earlier of:\n\n\
         a) the date when you return to your departure point; or\n\n\
         b) on the expiry date as shown on your confirmation.\n\n\
         For Rental Vehicle Damage Insurance, your coverage ends on the earliest of the dates below. It ends at \
         noon. Your coverage then lapses without notice to you or to anyone else named in the policy. A claim must \
         reach us within thirty days of the loss.\n\n"
    );
}

#[test]
fn a_form_section_label_set_large_in_the_margin_heads_the_lines_beside_it() {
    let body = "Enter the amounts from each of your forms on the lines of this section.";
    let out = md(vec![
        run(36.0, 800.0, "Payments", 10.0, true),
        run(80.0, 800.0, "25 Federal income tax withheld from:", 8.0, false),
        run(115.0, 788.0, body, 8.0, false),
        run(36.0, 760.0, "Standard", 10.0, true),
        // Alone in its cell, far from the prompt beside it.
        run(120.0, 760.0, "Someone can claim:", 8.0, true),
        run(36.0, 748.0, "Deduction", 10.0, true),
        run(85.0, 748.0, "Spouse itemizes on a separate return", 8.0, false),
        run(115.0, 736.0, body, 8.0, false),
        // A bold lead at the size of its line is a run-in label, not a side heading.
        run(36.0, 710.0, "Age/Blindness You:", 8.0, true),
        run(112.0, 710.0, "Were born before January 2, 1960", 8.0, false),
        run(115.0, 698.0, body, 8.0, false),
    ]);
    assert!(out.starts_with("## Payments\n\n25 Federal income tax withheld from:"), "{out}");
    assert!(out.contains("\n## Standard Deduction\n\nSomeone can claim: Spouse itemizes"), "{out}");
    assert!(!out.contains("# Age"), "{out}");
    // A title in its own cell beside another title is one of a row of titles.
    let out = md(vec![
        run(36.0, 800.0, "Proposed Rules", 14.0, true),
        run(400.0, 800.0, "Federal Register", 8.0, true),
        run(400.0, 788.0, "Vol. 85, No. 152", 8.0, false),
        run(36.0, 760.0, body, 8.0, false),
        run(36.0, 748.0, body, 8.0, false),
    ]);
    assert!(out.starts_with("# Proposed Rules\n\nFederal Register\n\nVol. 85"), "{out}");
    // Nor is a margin title's first line, cut off mid-phrase, beside a column's text.
    let out = md(vec![
        run(42.0, 800.0, "Tax Computation on", 14.0, true),
        run(200.0, 800.0, "connected with a U.S. trade or business.", 9.5, false),
        run(200.0, 788.0, body, 9.5, false),
    ]);
    assert!(!out.contains('#'), "{out}");
}

#[test]
fn a_bold_sentence_over_two_lines_is_text_and_a_bold_title_over_its_dates_a_heading() {
    let body = "Notices received in the period, by county, with the number of employees affected.";
    let out = md(vec![
        run(50.0, 800.0, "Summary by Received Date", 10.0, true),
        run(50.0, 788.0, "07/01/2015 - 03/25/2016", 10.0, true),
        run(50.0, 770.0, body, 10.0, false),
        run(50.0, 750.0, "For Privacy Act and Paperwork Reduction", 10.0, true),
        run(50.0, 738.0, "Act Notice, see the separate instructions.", 10.0, true),
        run(50.0, 720.0, body, 10.0, false),
    ]);
    assert!(out.starts_with("### Summary by Received Date\n\n07/01/2015"), "{out}");
    assert!(out.contains("\nFor Privacy Act and Paperwork Reduction Act Notice, see the separate"), "{out}");
}

#[test]
fn a_section_number_tabbed_off_its_title_heads_it_and_a_far_column_does_not() {
    let body = "The public may address the Board on any agenda item and any item not on the agenda.";
    let out = md(vec![
        run(76.6, 800.0, "1.", 10.8, true),
        run(103.7, 800.0, "CALL TO ORDER/FLAG SALUTE", 10.8, true),
        run(76.6, 775.0, "2. PUBLIC COMMENT", 10.8, true),
        run(104.0, 760.0, body, 10.8, false),
        run(76.6, 735.0, "3.", 10.8, true),
        run(400.0, 735.0, "Approved", 10.8, true),
        run(104.0, 720.0, body, 10.8, false),
    ]);
    assert!(out.starts_with("## 1. CALL TO ORDER/FLAG SALUTE\n\n## 2. PUBLIC COMMENT\n\n"), "{out}");
    assert!(!out.contains("# 3."), "{out}");
}

#[test]
fn a_parts_label_tabbed_off_its_title_heads_it_even_wrapped_and_under_another() {
    // A health plan's Evidence of Coverage sets "SECTION 1" and "Section 1.1" in a column of
    // their own beside each title: two such headings one under the other are no table, and a
    // title wrapped under itself is one heading however many words it has, its note in
    // another weight included.
    let body = "You are covered by Medicare, and you have chosen to get your care through our plan.";
    let out = md(vec![
        run(72.0, 800.0, "SECTION 1", 14.0, true),
        run(164.0, 800.0, "Introduction", 14.0, true),
        run(72.0, 764.0, "Section 1.1", 12.0, true),
        run(164.0, 764.0, "You are enrolled in Acme Classic, which is a Medicare HMO", 12.0, true),
        run(72.0, 737.0, body, 11.2, false),
        run(72.0, 723.0, body, 11.2, false),
        run(72.0, 690.0, "Section 1.2", 12.0, true),
        run(164.0, 690.0, "If you pay a late enrollment penalty, there are several", 12.0, true),
        run(164.0, 675.0, "ways you can pay your penalty", 12.0, true),
        run(72.0, 650.0, body, 11.2, false),
        run(72.0, 620.0, "Part 3", 11.2, false),
        run(164.0, 620.0, "of the form is signed by the insured.", 11.2, false),
        run(72.0, 606.0, body, 11.2, false),
        run(72.0, 580.0, "SECTION 2", 14.0, true),
        run(164.0, 580.0, "Acme Classic contacts", 14.0, true),
        run(164.0, 564.0, "(how to contact us)", 14.0, false),
        run(72.0, 540.0, body, 11.2, false),
    ]);
    assert!(
        out.starts_with(
            "## SECTION 1 Introduction\n\n### Section 1.1 You are enrolled in Acme Classic, which is a Medicare HMO\n\n"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "\n### Section 1.2 If you pay a late enrollment penalty, there are several ways you can pay your penalty\n"
        ),
        "{out}"
    );
    assert!(out.contains("\n## SECTION 2 Acme Classic contacts (how to contact us)\n"), "{out}");
    assert!(!out.contains('|') && !out.contains("# Part 3"), "{out}");
}

#[test]
fn small_print_beside_a_title_is_its_own_line_and_a_sideways_label_its_own_word() {
    let sideways = Run { end_x: 43.1, sideways: Some((737.0, 755.0)), ..run(36.1, 737.0, "Form", 7.0, false) };
    let out = md(vec![
        sideways,
        Run { end_x: 96.6, ..run(43.2, 737.9, "1040 ", 24.0, true) },
        run(97.6, 735.8, "U.S. Individual Income Tax Return", 12.0, true),
        run(97.6, 748.7, "Department of the Treasury", 6.0, false),
        run(36.0, 700.0, "Filing status, a line of ordinary text, long enough to set the body.", 10.0, false),
    ]);
    assert!(out.starts_with("Department of the Treasury\n\n# Form 1040 U.S. Individual"), "{out}");
}

#[test]
fn a_word_stacked_down_a_margin_heads_nothing_and_leaves_the_label_beside_it_whole() {
    // A 1040's name block: bold labels at the left, "PRINT CLEARLY" stacked down the margin
    // beside them, the fields' labels to the right.
    let stacked = |word: &str, y: f32| Run {
        end_x: 101.4,
        sideways: Some((y + 5.2, y - 7.8 * 6.0)),
        stacked: true,
        ..run(94.8, y, word, 6.5, true)
    };
    let out = md(vec![
        stacked("PRINT", 723.4),
        run(112.8, 723.8, "For the year Jan. 1-Dec. 31, 2010, or other tax year beginning", 6.6, false),
        run(36.0, 712.8, "Name,", 11.0, true),
        run(112.0, 713.6, "Your first name and initial", 7.0, false),
        run(36.0, 699.6, "Address,", 11.0, true),
        run(36.0, 686.4, "and SSN", 11.0, true),
        run(112.0, 689.8, "If a joint return, spouse's first name and initial", 7.0, false),
        stacked("CLEARLY", 676.6),
        run(112.0, 665.5, "Home address (number and street). If you have a P.O. box, see instructions.", 7.0, false),
        run(112.0, 641.6, "City, town or post office, state, and ZIP code. If you have a foreign address", 7.0, false),
    ]);
    assert!(out.contains("CLEARLY") && !out.contains('#'), "{out}");
    assert!(out.contains("Name, Address, and SSN"), "{out}");
}

#[test]
fn a_large_brace_gathers_the_choices_it_encloses() {
    let out = md(vec![
        run(50.0, 712.0, "$22,500 if head of household", 8.0, false),
        run(40.0, 700.0, "{", 30.0, false),
        run(50.0, 700.0, "$30,000 if married filing jointly", 8.0, false),
        run(50.0, 688.0, "$15,000 if single", 8.0, false),
    ]);
    assert_eq!(out.matches("\n\n").count(), 1, "{out}");
}

#[test]
fn korean_wrapped_between_words_keeps_its_space_and_wrapped_inside_a_word_does_not() {
    // The writer sets a space after a line's last word; a word cut by the wrap has none.
    let out = md(vec![
        run(72.0, 700.0, "보험회사에서 그동안 판매했거나 ", 10.0, false),
        run(72.0, 686.0, "향후 판매하게 될 단계에 돌", 10.0, false),
        run(72.0, 672.0, "입하였다고 세계보건기구가 인정한 코로나", 10.0, false),
        run(72.0, 658.0, "中文的行", 10.0, false),
        run(72.0, 644.0, "文字", 10.0, false),
    ]);
    assert!(out.contains("판매했거나 향후 판매하게 될 단계에 돌입하였다고"), "{out}");
    assert!(out.contains("코로나中文的行文字"), "{out}");
}

#[test]
fn lines_join_into_paragraphs_and_hyphenated_words_rejoin() {
    let out = md(vec![
        run(50.0, 800.0, "The insur-", 10.0, false),
        run(50.0, 788.0, "ance starts today.", 10.0, false),
        run(50.0, 750.0, "• first item", 10.0, false),
    ]);
    assert_eq!(out, "The insurance starts today.\n\n- first item\n\n");
}

#[test]
fn two_column_pages_read_left_column_then_right() {
    let mut runs = vec![run(50.0, 820.0, "A title across the whole page width, above both columns", 10.0, false)];
    for i in 0..6 {
        let y = 780.0 - i as f32 * 12.0;
        runs.push(run(50.0, y, &format!("left column sentence number {i} goes on"), 8.0, false));
        runs.push(run(320.0, y, &format!("right column sentence number {i} goes on"), 8.0, false));
    }
    let out = md(runs);
    let left = out.find("left column sentence number 5").unwrap();
    let right = out.find("right column sentence number 0").unwrap();
    assert!(left < right, "{out}");
}

#[test]
fn a_section_number_hanging_at_a_columns_edge_stays_with_its_title_in_that_column() {
    // A policy wording's right column opens "3.<tab>Claims procedures", the number set at the
    // column's edge, left of its text: the gutter's clear reach is split by it, and the gutter
    // set in the middle of both ends ran through the number, which was read after the page.
    let mut runs = Vec::new();
    for i in 0..8 {
        let y = 760.0 - i as f32 * 12.0;
        runs.push(run(62.0, y, &format!("left column of the exclusions, line {i} runs on and on"), 9.0, false));
        let right = format!("right column of the claims conditions, line {i} goes on");
        runs.push(run(329.0, y - 24.0, &right, 9.0, false));
    }
    runs.push(run(306.1, 748.0, "3.", 9.0, true));
    runs.push(run(328.8, 748.0, "Claims procedures", 9.0, true));
    let out = md(runs);
    let at = |text: &str| out.find(text).unwrap_or_else(|| panic!("{text} in {out}"));
    assert!(out.contains("3. Claims procedures"), "{out}");
    assert!(at("line 7 runs on") < at("3. Claims") && at("3. Claims") < at("conditions, line 0"), "{out}");
}

#[test]
fn a_landscape_spread_of_two_sections_is_read_half_by_half_each_under_its_title() {
    // A travel policy's landscape pages: each half a section, its title and introduction across
    // the half's two columns, under the page's running head. The titles share a baseline.
    let mut runs = vec![
        run(28.0, 560.0, "TRAVEL INSURANCE POLICY DOCUMENT", 8.0, false),
        run(790.0, 560.0, "29/30", 8.0, false),
        run(28.0, 515.0, "Section 6 - Travel delay", 21.0, true),
        run(448.0, 515.0, "Section 7 - Missed Departure &", 14.0, true),
        run(448.0, 497.0, "Connection", 14.0, true),
    ];
    let intro = [
        "The benefit provided under 1. below is intended to provide",
        "compensation if you are delayed at your point of departure.",
    ];
    runs.extend(intro.iter().enumerate().map(|(i, t)| run(28.0, 489.0 - 15.0 * i as f32, t, 12.0, false)));
    let intro = [
        "The cover under this section applies if you miss your",
        "departure and have allowed enough time to get there.",
    ];
    runs.extend(intro.iter().enumerate().map(|(i, t)| run(448.0, 474.0 - 15.0 * i as f32, t, 12.0, false)));
    for (x, name) in [(28.0, "first"), (217.0, "second"), (448.0, "third"), (636.0, "fourth")] {
        let top = 440.0;
        for i in 0..30 {
            runs.push(run(x, top - 11.0 * i as f32, &format!("{name} column line {i} of the wording"), 9.0, false));
        }
    }
    let page = PageText { runs, rules: Vec::new(), panels: Vec::new(), width: 842.0 };
    let out = resolve_line_hyphens(pages_to_markdown(vec![page]).remove(0));
    let at = |text: &str| out.find(text).unwrap_or_else(|| panic!("{text} in {out}"));
    assert!(out.contains("# Section 7 - Missed Departure & Connection\n"), "{out}");
    let order = ["Section 6", "The benefit", "first column line 29", "second column line 0", "second column line 29"];
    let rest = ["Section 7", "The cover under", "third column line 0", "third column line 29", "fourth column line 0"];
    let at: Vec<usize> = order.iter().chain(&rest).map(|t| at(t)).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{out}");
}

#[test]
fn a_title_and_introduction_over_two_columns_are_read_before_them_under_a_page_number() {
    // The title fits in the first column, the introduction runs across both but for its last
    // line, and the page number stands atop the second column, above them all.
    let mut runs = vec![
        run(500.0, 800.0, "13/14", 8.0, false),
        run(40.0, 760.0, "Claims Conditions", 20.0, true),
        run(40.0, 735.0, "You must comply with the following conditions to have the full", 10.0, false),
        run(40.0, 722.0, "protection of your policy, or we may refuse to deal with your claim", 10.0, false),
        run(40.0, 709.0, "or reduce its payment.", 10.0, false),
    ];
    for (x, name) in [(40.0, "left"), (310.0, "right")] {
        for i in 0..24 {
            runs.push(run(x, 690.0 - 11.0 * i as f32, &format!("{name} column line {i} of the wording"), 9.0, false));
        }
    }
    let out = md(runs);
    let at = |text: &str| out.find(text).unwrap_or_else(|| panic!("{text} in {out}"));
    let order =
        ["Claims Conditions", "You must comply", "or reduce its payment", "left column line 0", "right column line 0"];
    let at: Vec<usize> = order.iter().map(|t| at(t)).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{out}");
}

#[test]
fn a_masthead_atop_the_next_column_does_not_cut_the_sentence_that_flows_into_it() {
    let left = [
        "The agency invites you to take part in",
        "this rulemaking by sending comments,",
        "data or views about the proposal. The",
        "most helpful comments refer to a part",
        "of the rule, give the reasons for any",
        "change they suggest and include the",
        "supporting data. Send them to the",
        "docket at the address listed under",
    ];
    let right = [
        "the heading ADDRESSES above. To keep",
        "the docket free of duplicates, send one",
        "copy of your comments only. We will",
        "post them with any personal details",
        "you give, without change, online at",
        "the docket's page, and we read them.",
    ];
    let mut runs: Vec<Run> =
        left.iter().enumerate().map(|(i, t)| run(40.0, 700.0 - 10.0 * i as f32, t, 8.0, false)).collect();
    runs.push(run(320.0, 727.0, "Federal Register", 8.0, true));
    runs.push(run(320.0, 712.0, "Vol. 85, No. 152", 8.0, false));
    runs.push(run(320.0, 700.0, "Thursday, August 6, 2020", 8.0, false));
    runs.extend(right.iter().enumerate().map(|(i, t)| run(320.0, 668.0 - 10.0 * i as f32, t, 8.0, false)));
    let out = md(runs);
    assert!(out.contains("docket at the address listed under the heading ADDRESSES above."), "{out}");
    assert!(out.find("Thursday, August 6, 2020").unwrap() < out.find("The agency invites").unwrap(), "{out}");
}

#[test]
fn a_title_in_small_capitals_over_the_gutter_is_read_whole_before_the_columns() {
    // "SECTION 2   DIESEL ENGINES": capitals at 16 pt, the rest at 12.8 pt, the last word over
    // the gutter, under the first column's running head; both columns start lower.
    let piece = |x: f32, text: &str, size: f32| Run {
        end_x: x + text.len() as f32 * 0.62 * size,
        ..run(x, 762.0, text, size, true)
    };
    let mut runs = vec![
        run(31.0, 800.0, "Pt C, Ch 1, Sec 2", 9.0, false),
        piece(31.0, "SECTION 2", 16.0),
        piece(201.0, "D", 16.0),
        piece(211.0, "IESEL ", 12.8),
        piece(254.0, "E", 16.0),
        piece(264.0, "NGINES", 12.8),
    ];
    for i in 0..8 {
        let y = 680.0 - i as f32 * 11.0;
        runs.push(Run {
            end_x: 262.0,
            ..run(31.0, y, &format!("left column line {i} of running prose text"), 9.0, false)
        });
        runs.push(Run {
            end_x: 522.0,
            ..run(305.0, y + 12.0, &format!("right column line {i} of running prose"), 9.0, false)
        });
    }
    let out = md(runs);
    let pos = |t: &str| out.find(t).unwrap_or_else(|| panic!("{t} missing in {out}"));
    assert!(pos("DIESEL ENGINES") < pos("left column line 0"), "{out}");
    assert!(pos("left column line 7") < pos("right column line 0"), "{out}");
}

#[test]
fn columns_closer_than_a_cells_gap_are_read_one_after_the_other_beside_a_figure() {
    // LaTeX's two columns, 10 points apart at 10 points (a cell's gap is 12): each justified
    // baseline's halves join into one cell across the gutter. The right column stops for a
    // figure and goes on under it.
    let mut runs = Vec::new();
    for i in 0..40 {
        let y = 700.0 - 12.0 * i as f32;
        let left = format!("left column line {i} of running prose text");
        runs.push(Run { end_x: 300.0, ..run(72.0, y, &left, 10.0, false) });
        if !(9..32).contains(&i) {
            let right = format!("right column line {i} of running prose text");
            runs.push(Run { end_x: 538.0, ..run(310.0, y, &right, 10.0, false) });
        }
    }
    runs.push(run(303.0, 100.0, "2", 10.0, false));
    let out = md(runs);
    assert!(!out.contains('|'), "{out}");
    let pos = |t: &str| out.find(t).unwrap_or_else(|| panic!("{t} missing in {out}"));
    assert!(pos("left column line 39") < pos("right column line 0 "), "{out}");
    assert!(pos("right column line 8 ") < pos("right column line 32"), "{out}");
}

#[test]
fn items_at_an_even_pitch_closer_than_a_cells_gap_are_read_by_rows() {
    // A sheet of formulas, five to a row, 10 points apart: no gap is the widest, so no
    // gutter cuts the rows into columns.
    let mut runs = Vec::new();
    for row in 0..8 {
        for k in 0..5 {
            let text = format!("r{row} k{k} OA OB OC u++=");
            runs.push(Run {
                end_x: 140.0 + 100.0 * k as f32,
                ..run(50.0 + 100.0 * k as f32, 700.0 - 20.0 * row as f32, &text, 10.0, false)
            });
        }
    }
    let out = md(runs);
    assert!(out.contains("r0 k4 OA OB OC u++=\n\nr1 k0") || out.contains("r0 k4 OA OB OC u++= r1 k0"), "{out}");
}

#[test]
fn three_narrow_columns_are_prose_read_in_order_not_a_table() {
    // Federal Register style: columns closer than a table's cell gap.
    let mut runs = Vec::new();
    for i in 0..8 {
        let y = 780.0 - i as f32 * 10.0;
        for (col, x) in [(0, 40.0), (1, 220.0), (2, 400.0)] {
            let text = format!("column {col} line {i} of running prose text");
            runs.push(Run { end_x: x + 170.0, ..run(x, y, &text, 8.0, false) });
        }
    }
    let out = md(runs);
    assert!(!out.contains('|'), "{out}");
    let pos = |t: &str| out.find(t).unwrap_or_else(|| panic!("{t} missing in {out}"));
    assert!(pos("column 0 line 7") < pos("column 1 line 0"), "{out}");
    assert!(pos("column 1 line 7") < pos("column 2 line 0"), "{out}");
}

#[test]
fn lines_of_a_paragraph_set_large_are_not_headings() {
    assert!(has_sentence_break("The agency closed the assessment. The Initial Assessment"));
    assert!(!has_sentence_break("U.S. Department of Transportation"));
    assert!(!has_sentence_break("Docket No. FAA-2020-0686"));
    assert!(!has_sentence_break("Section 4. Exclusions"));
}

#[test]
fn table_of_contents_entries_are_not_headings() {
    let out = md(vec![run(50.0, 800.0, "1 Introduction :::::::::::: 1", 10.0, true)]);
    assert_eq!(out, "1 Introduction :::::::::::: 1\n\n");
}

#[test]
fn running_headers_and_footers_are_dropped() {
    let words = ["", "Cover starts today.", "Claims are paid in pounds.", "Cancel within fourteen days."];
    let page = |n: u32| PageText {
        runs: vec![
            run(50.0, 820.0, "Acme Home Policy", 8.0, false),
            run(50.0, 700.0, words[n as usize], 10.0, false),
            run(50.0, 30.0, &format!("Page {n} of 3"), 8.0, false),
            run(300.0, 18.0, &n.to_string(), 8.0, false),
        ],
        rules: Vec::new(),
        panels: Vec::new(),
        width: 595.0,
    };
    let out = pages_to_markdown(vec![page(1), page(2), page(3)]);
    assert_eq!(out[1], "Claims are paid in pounds.\n\n");
}

#[test]
fn a_page_made_only_of_lines_repeated_on_the_others_stays_whole() {
    // One test sheet per setting (pdf.js's CalGray sheets): a caption naming the setting, then
    // a grid of swatches' labels the same on every sheet, each line of which would pass for a
    // running head or foot.
    let sheet = |gamma: u32| {
        let mut runs = vec![run(50.0, 1050.0, &format!("WhitePoint 1.0 BlackPoint 0.0 Gamma {gamma}.0"), 16.0, false)];
        for row in 0..5 {
            for col in 0..4 {
                let label = format!("A = 0.{:02}", 19 - (row * 4 + col));
                runs.push(run(50.0 + 200.0 * col as f32, 850.0 - 200.0 * row as f32, &label, 16.0, false));
            }
        }
        PageText { runs, rules: Vec::new(), panels: Vec::new(), width: 850.0 }
    };
    let out = pages_to_markdown(vec![sheet(1), sheet(5), sheet(9)]);
    for (page, gamma) in out.iter().zip([1, 5, 9]) {
        assert!(page.contains(&format!("Gamma {gamma}.0")) && page.contains("A = 0.09"), "{page:?}");
    }
    // A page of nothing but its running head and page number still loses both.
    let head = |n: u32, body: &str| PageText {
        runs: vec![
            run(50.0, 820.0, "Acme Home Policy", 8.0, false),
            run(50.0, 700.0, body, 10.0, false),
            run(300.0, 18.0, &n.to_string(), 8.0, false),
        ],
        rules: Vec::new(),
        panels: Vec::new(),
        width: 595.0,
    };
    let mut blank = head(2, "");
    blank.runs.remove(1);
    let out = pages_to_markdown(vec![head(1, "Cover starts today."), blank, head(3, "Claims are paid.")]);
    assert_eq!(out[1], "");
}

#[test]
fn a_clause_repeated_under_every_heading_of_every_page_is_text_not_a_running_head() {
    // Each page: its running head, then the same clause under each of three headings, its
    // lines at the page's top and bottom edges like a running head's or foot's.
    let page = |n: u32| {
        let mut runs = vec![run(50.0, 820.0, "Acme Home Policy", 8.0, false)];
        for (k, top) in [790.0, 600.0, 410.0].into_iter().enumerate() {
            runs.push(run(50.0, top, &format!("Section {}", 3 * n + k as u32), 12.0, true));
            runs.push(run(
                50.0,
                top - 16.0,
                "This clause applies to every section of the policy and is set",
                10.0,
                false,
            ));
            runs.push(run(50.0, top - 28.0, "again under each of them.", 10.0, false));
        }
        PageText { runs, rules: Vec::new(), panels: Vec::new(), width: 595.0 }
    };
    let out = pages_to_markdown(vec![page(1), page(2), page(3)]);
    assert!(!out[1].contains("Acme"), "{}", out[1]);
    assert_eq!(out[1].matches("is set again under each of them.").count(), 3, "{}", out[1]);
}

#[test]
fn a_date_alone_is_not_a_heading_and_a_title_naming_a_month_is() {
    for date in ["Janvier 2021", "Thursday, August 6, 2020", "1er mai 2019", "March 3, 2024"] {
        assert!(is_date(date), "{date}");
    }
    for title in ["May 2021 Update", "March", "2021", "Report of 12 June"] {
        assert!(!is_date(title), "{title}");
    }
    let out = md(vec![
        run(50.0, 800.0, "Plan de transport actif", 24.0, false),
        run(50.0, 760.0, "Janvier 2021", 18.0, false),
        run(50.0, 700.0, "Le plan couvre toutes les routes de la municipalité.", 10.0, false),
    ]);
    assert!(out.starts_with("# Plan de transport actif\n\nJanvier 2021\n\n"), "{out}");
}

#[test]
fn double_spaced_prose_reads_as_paragraphs_and_a_spaced_list_stays_a_list() {
    let page = |x0: f32, lines: &[(f32, &str)]| {
        md(lines.iter().enumerate().map(|(i, (dx, t))| run(x0 + dx, 700.0 - 20.0 * i as f32, t, 10.0, false)).collect())
    };
    // Set at twice its size, as a filing or a draft is: lines run on by their words, and
    // an indented line starts the next paragraph.
    let prose = page(
        72.0,
        &[
            (18.0, "Havel's greengrocer displays a sign in his shop with the words, Work-"),
            (0.0, "ers of the World, Unite! For Havel, the action, undertaken without much"),
            (0.0, "thought on the part of the merchant, shows the essence of an ideology."),
            (18.0, "In this reading, ideology is not a set of beliefs held by a person but"),
            (0.0, "a veil, a means of distance between the signifier and the signified."),
        ],
    );
    assert_eq!(
        prose,
        "Havel's greengrocer displays a sign in his shop with the words, Workers of the World, \
         Unite! For Havel, the action, undertaken without much thought on the part of the merchant, shows the \
         essence of an ideology.\n\nIn this reading, ideology is not a set of beliefs held by a person but a \
         veil, a means of distance between the signifier and the signified.\n\n"
    );
    // The same spacing between questions that each start with a capital: one per line.
    let list = page(
        72.0,
        &[
            (0.0, "Does the policy cover floods, earthquakes and other natural disasters"),
            (0.0, "Could you get a discount for smoke alarms or for a second policy here"),
            (0.0, "Could you save money on the premium by increasing your deductible now"),
            (0.0, "Who should you call with questions about the policy after the closing"),
        ],
    );
    assert_eq!(list.matches("\n\n").count(), 4, "{list}");
    // Ideographs run on from line to line without a space.
    let chinese = page(
        72.0,
        &[
            (0.0, "对公司根据公开发行证券的公司信息披露解释性公告第一号定义界定的非经常性损益项目以及把"),
            (0.0, "开发行证券的公司信息披露解释性公告中列举的非经常性损益项目界定为经常性损益的项目应"),
            (0.0, "说明原因并在报告中披露其理由和依据以及对公司财务状况和经营成果的影响情况等有关信息"),
            (0.0, "公司报告期不存在将根据公告定义列举的非经常性损益项目界定为经常性损益的项目的情形"),
            (0.0, "新增发行股票方案已经公司临时股东大会类别股东大会及类别股东大会审议通过尚须按规定"),
        ],
    );
    assert!(chinese.contains("项目以及把开发行证券"), "{chinese}");
}

#[test]
fn a_kicker_over_a_title_is_a_heading_on_every_page_and_a_running_head_over_text_is_not() {
    let titles = ["Before closing", "At closing", "After closing"];
    let page = |n: usize| PageText {
        runs: vec![
            run(36.0, 780.0, "CLOSING CHECKLIST", 10.0, false),
            run(36.0, 746.0, titles[n], 24.0, false),
            run(36.0, 700.0, "Bring a photo ID and the funds you owe.", 11.0, false),
            run(36.0, 680.0, "Read every page before you sign.", 11.0, false),
        ],
        rules: Vec::new(),
        panels: Vec::new(),
        width: 595.0,
    };
    let out = pages_to_markdown((0..3).map(page).collect());
    for (n, title) in titles.iter().enumerate() {
        assert!(out[n].starts_with(&format!("# CLOSING CHECKLIST\n\n# {title}\n\n")), "{out:?}");
    }
    // The same line over body text, or too close in size to what follows, is a running head.
    let page = |n: usize, size: f32| PageText {
        runs: vec![
            run(36.0, 780.0, "COMMERCIAL GENERAL LIABILITY", 10.0, true),
            run(36.0, 750.0, ["SECTION I", "SECTION II", "SECTION III"][n], size, true),
            run(36.0, 700.0, "We will pay those sums the insured must pay.", 10.0, false),
        ],
        rules: Vec::new(),
        panels: Vec::new(),
        width: 595.0,
    };
    for size in [10.0, 14.0] {
        let out = pages_to_markdown((0..3).map(|n| page(n, size)).collect());
        assert!(out.iter().all(|p| !p.contains("COMMERCIAL")), "{out:?}");
    }
}

#[test]
fn a_short_chapters_running_head_numbered_as_its_pages_is_dropped_and_numbered_steps_are_not() {
    let head = ["Chapter 2: Utilities 6", "Chapter 2: Utilities 7", "Chapter 3: Functions 9", "10 Chapter 3"];
    let step = ["Step 1", "Step 2", "Options", "Examples"];
    let body = ["Each tool reads its options.", "Errors go to stderr.", "Flags come first.", "Run it twice."];
    let page = |n: usize| PageText {
        runs: vec![
            run(50.0, 820.0, head[n], 8.0, false),
            run(50.0, 790.0, step[n], 10.0, false),
            run(50.0, 700.0, body[n], 10.0, false),
            run(50.0, 680.0, "The exit status is zero on success.", 10.0, false),
            run(50.0, 660.0, body[3 - n], 10.0, false),
        ],
        rules: Vec::new(),
        panels: Vec::new(),
        width: 595.0,
    };
    let out = pages_to_markdown((0..4).map(page).collect());
    assert!(!out[0].contains("Utilities") && !out[1].contains("Utilities"), "{out:?}");
    // Said on one page only, with a number that does not follow the pages, it is text.
    assert!(out[2].contains("Chapter 3: Functions 9") && out[3].contains("10 Chapter 3"), "{out:?}");
    // A number and one word ("Step 1", "Step 2") on consecutive pages is no running head.
    assert!(out[0].contains("Step 1") && out[1].contains("Step 2"), "{out:?}");
}

#[test]
fn a_lower_case_line_continues_and_a_clause_before_a_colon_introduces() {
    let out = md(vec![
        run(50.0, 800.0, "4. A strategy for the future of the", 20.0, true),
        run(50.0, 778.0, "active transport plan", 20.0, true),
        run(
            50.0,
            740.0,
            "Does the vision proposed in the 2014 plan still reflect, today as then, your priorities and",
            10.0,
            true,
        ),
        run(50.0, 728.0, "your aspirations?", 10.0, true),
        run(50.0, 700.0, "Findings by agency, including the determination:", 10.0, true),
        run(50.0, 688.0, "The agency found no maltreatment.", 10.0, false),
    ]);
    assert_eq!(
        out,
        "## 4. A strategy for the future of the active transport plan\n\n\
         Does the vision proposed in the 2014 plan still reflect, today as then, your priorities and your aspirations?\n\n\
         Findings by agency, including the determination: The agency found no maltreatment.\n\n"
    );
}

#[test]
fn a_word_drawn_in_pieces_across_an_unruled_column_line_stays_whole() {
    let h = |y: f32| Rule { x0: 50.0, y0: y, x1: 450.0, y1: y };
    let v = |x: f32, y0: f32| Rule { x0: x, y0, x1: x, y1: 700.0 };
    // The line between the last two columns stops above the middle row: a merged cell.
    let rules = vec![h(700.0), h(670.0), h(640.0), h(610.0), v(50.0, 610.0), v(150.0, 610.0), v(300.0, 670.0)];
    let rules = [rules, vec![v(450.0, 610.0), Rule { x0: 300.0, y0: 610.0, x1: 300.0, y1: 640.0 }]].concat();
    let piece = |x: f32, text: &str| Run { end_x: x + 3.0 * text.len() as f32, ..run(x, 650.0, text, 10.0, false) };
    let runs = vec![
        run(55.0, 680.0, "Country", 10.0, false),
        run(155.0, 680.0, "Germany", 10.0, false),
        run(305.0, 680.0, "France", 10.0, false),
        run(55.0, 650.0, "Continent", 10.0, false),
        piece(291.0, "Eur"),
        piece(300.0, "o"),
        piece(303.0, "pe"),
        run(55.0, 620.0, "Capital", 10.0, false),
        run(155.0, 620.0, "Berlin", 10.0, false),
        run(305.0, 620.0, "Paris", 10.0, false),
    ];
    let out = pages_to_markdown(vec![PageText { runs, rules, panels: Vec::new(), width: 595.0 }]).remove(0);
    assert!(out.contains("| Continent | Europe |  |"), "{out}");
    assert!(out.contains("| Capital | Berlin | Paris |"), "{out}");
}

#[test]
fn a_ruled_grid_is_a_table_whose_bold_header_cells_are_not_headings() {
    let h = |y: f32| Rule { x0: 50.0, y0: y, x1: 450.0, y1: y };
    let v = |x: f32| Rule { x0: x, y0: 600.0, x1: x, y1: 700.0 };
    let rules = vec![h(700.0), h(670.0), h(640.0), h(600.0), v(50.0), v(150.0), v(450.0)];
    let runs = vec![
        run(50.0, 750.0, "Schedule of cover", 10.0, false),
        run(55.0, 680.0, "RESSOURCES", 12.0, true),
        run(155.0, 680.0, "Responsable", 12.0, true),
        run(55.0, 650.0, "Financier", 10.0, false),
        // Text below a row's rule belongs to the next row, whatever its spacing.
        run(155.0, 650.0, "Budget annuel du", 10.0, false),
        run(155.0, 618.0, "service", 10.0, false),
        run(55.0, 610.0, "Humain", 10.0, false),
        run(50.0, 560.0, "After the table.", 10.0, false),
    ];
    let out = pages_to_markdown(vec![PageText { runs, rules, panels: Vec::new(), width: 595.0 }]).remove(0);
    assert_eq!(
        out,
        "Schedule of cover\n\n| RESSOURCES | Responsable |\n| --- | --- |\n| Financier | Budget annuel du |\n\
         | Humain | service |\n\nAfter the table.\n\n"
    );
}

#[test]
fn a_ledger_ruled_by_columns_only_is_read_entry_by_entry_and_a_wrapped_head_stays_one_row() {
    // Columns ruled, a rule under the head and at the foot only: each entry's amount on its
    // first line, its description wrapped below; the head's cells wrap over three lines.
    let h = |y: f32| Rule { x0: 36.0, y0: y, x1: 436.0, y1: y };
    let v = |x: f32| Rule { x0: x, y0: 560.0, x1: x, y1: 720.0 };
    let rules = vec![h(720.0), h(680.0), h(560.0), v(36.0), v(136.0), v(336.0), v(436.0)];
    let mut runs = vec![
        run(40.0, 708.0, "Payee", 8.0, true),
        run(140.0, 708.0, "Obligation", 8.0, true),
        run(140.0, 698.0, "or service", 8.0, true),
        run(140.0, 688.0, "description", 8.0, true),
        run(340.0, 708.0, "Amount", 8.0, true),
    ];
    let entries = [
        ("BAIN, J MATTHEW", "DISTRICT DIRECTOR", None, "37,499.96"),
        ("CITIBANK", "STAFF TRANSPORTATION", Some("AIRFARE TO WASHINGTON DC AND RETURN"), "920.68"),
        ("CITIBANK", "SENATOR'S TRANSPORTATION", Some("TRAIN FARE TO NEW YORK AND RETURN"), "618.00"),
    ];
    let mut y = 668.0;
    for (payee, what, more, amount) in entries {
        runs.extend([
            run(40.0, y, payee, 8.0, false),
            run(140.0, y, what, 8.0, false),
            run(340.0, y, amount, 8.0, false),
        ]);
        if let Some(more) = more {
            y -= 9.0;
            runs.push(run(140.0, y, more, 8.0, false));
        }
        y -= 9.0;
    }
    let out = pages_to_markdown(vec![PageText { runs, rules, panels: Vec::new(), width: 595.0 }]).remove(0);
    assert!(out.starts_with("| Payee | Obligation or service description | Amount |\n"), "{out}");
    assert!(out.contains("\n| BAIN, J MATTHEW | DISTRICT DIRECTOR | 37,499.96 |\n"), "{out}");
    assert!(
        out.contains("\n| CITIBANK | STAFF TRANSPORTATION AIRFARE TO WASHINGTON DC AND RETURN | 920.68 |\n"),
        "{out}"
    );
    assert!(
        out.contains("\n| CITIBANK | SENATOR'S TRANSPORTATION TRAIN FARE TO NEW YORK AND RETURN | 618.00 |"),
        "{out}"
    );
}

#[test]
fn a_rate_table_ruled_every_third_row_with_an_open_first_column_is_read_row_by_row() {
    // Borders drawn cell by cell, a row-name column with no rule at its left, a header cell
    // over two rows and rules only under every third row, as the IRS sets its rate tables.
    let h = |x0: f32, y: f32| Rule { x0, y0: y, x1: 300.0, y1: y };
    let mut rules = vec![h(36.0, 700.0), h(108.0, 688.0), h(36.0, 676.0), h(36.0, 640.0), h(36.0, 604.0)];
    for x in [108.0, 200.0, 300.0] {
        rules.extend((0..8).map(|i| Rule { x0: x, y0: 604.0 + 12.0 * i as f32, x1: x, y1: 616.5 + 12.0 * i as f32 }));
    }
    let mut runs = vec![
        run(40.0, 691.0, "Higher Paying Job", 8.0, true),
        run(112.0, 691.0, "Lower Paying Job", 8.0, true),
        run(40.0, 679.0, "Wage & Salary", 8.0, true),
        run(112.0, 679.0, "$0 - 9,999", 8.0, false),
        run(204.0, 679.0, "$10,000 - 19,999", 8.0, false),
    ];
    for (i, (name, a, b)) in [
        ("$0 - 9,999", "$0", "$700"),
        ("$10,000 - 19,999", "0", "1,700"),
        ("$20,000 - 29,999", "700", "2,760"),
        ("$30,000 - 39,999", "850", "3,110"),
        ("$40,000 - 49,999", "910", "3,310"),
        ("$50,000 and over", "1,020", "3,420"),
    ]
    .into_iter()
    .enumerate()
    {
        let y = 667.0 - 12.0 * i as f32;
        runs.extend([run(40.0, y, name, 8.0, false), run(130.0, y, a, 8.0, false), run(220.0, y, b, 8.0, false)]);
    }
    let out = pages_to_markdown(vec![PageText { runs, rules, panels: Vec::new(), width: 595.0 }]).remove(0);
    assert!(!out.contains('#'), "{out}");
    assert!(out.contains("| Higher Paying Job Wage & Salary | Lower Paying Job |  |\n"), "{out}");
    assert!(out.contains("|  | $0 - 9,999 | $10,000 - 19,999 |\n"), "{out}");
    assert!(out.contains("| $10,000 - 19,999 | 0 | 1,700 |\n| $20,000 - 29,999 | 700 | 2,760 |\n"), "{out}");
    assert!(out.contains("| $50,000 and over | 1,020 | 3,420 |"), "{out}");
}

#[test]
fn a_forms_amount_column_beside_its_sections_prose_does_not_make_the_prose_a_column() {
    // Sections ruled across the page; only the amount boxes at the right are ruled down.
    let mut rules: Vec<Rule> = [700.0, 660.0, 620.0].iter().map(|y| rule(36.0, *y, 576.0, *y)).collect();
    for x in [480.0, 500.0, 576.0] {
        rules.push(rule(x, 620.0, x, 700.0));
    }
    rules.extend([rule(480.0, 680.0, 576.0, 680.0), rule(480.0, 640.0, 576.0, 640.0)]);
    let runs = vec![
        run(40.0, 688.0, "Multiply the number of qualifying children under age 17 by $2,000", 9.0, false),
        run(40.0, 676.0, "and enter the total of the amounts here", 9.0, false),
        run(484.0, 684.0, "3", 9.0, true),
        run(40.0, 648.0, "Other income not from jobs you expect this year", 9.0, false),
        run(484.0, 644.0, "4a", 9.0, true),
    ];
    let out = pages_to_markdown(vec![PageText { runs, rules, panels: Vec::new(), width: 595.0 }]).remove(0);
    assert!(out.contains("Multiply the number of qualifying children under age 17 by $2,000 and enter"), "{out}");
    assert!(!out.contains("| Multiply"), "{out}");
}

#[test]
fn columns_below_a_full_width_introduction_are_read_one_after_the_other() {
    let mut runs = Vec::new();
    for i in 0..4 {
        let y = 800.0 - i as f32 * 12.0;
        runs.push(run(50.0, y, &format!("Introduction line {i} runs across the whole width of the page"), 10.0, false));
    }
    runs.push(run(50.0, 730.0, "Before you sign", 14.0, true));
    runs.push(run(320.0, 730.0, "Mistakes to avoid", 14.0, true));
    for i in 0..8 {
        let y = 710.0 - i as f32 * 12.0;
        runs.push(run(50.0, y, &format!("left advice line {i} keeps on going with more words"), 10.0, false));
        runs.push(run(320.0, y, &format!("right advice line {i} keeps on going with more words"), 10.0, false));
    }
    let out = md(runs);
    let pos = |t: &str| out.find(t).unwrap_or_else(|| panic!("{t} missing in {out}"));
    assert!(pos("Introduction line 3") < pos("## Before you sign"), "{out}");
    assert!(pos("## Before you sign") < pos("left advice line 0"), "{out}");
    assert!(pos("left advice line 7") < pos("## Mistakes to avoid"), "{out}");
    assert!(pos("## Mistakes to avoid") < pos("right advice line 0"), "{out}");
}

#[test]
fn a_table_in_the_right_column_is_read_there_not_inside_the_left_one() {
    // A travel policy's eligibility rules fill the left column; the right column's premium
    // table stands level with their middle.
    let mut runs = Vec::new();
    for i in 0..20 {
        runs.push(run(
            50.0,
            760.0 - i as f32 * 12.0,
            &format!("Left line {i} holds a sentence of its own here."),
            10.0,
            false,
        ));
    }
    let right =
        |i: usize, y: f32| run(320.0, y, &format!("Right line {i} holds a sentence of its own here."), 10.0, false);
    runs.extend((0..4).map(|i| right(i, 760.0 - i as f32 * 12.0)));
    runs.extend((4..10).map(|i| right(i, 636.0 - (i - 4) as f32 * 12.0)));
    runs.extend([
        run(325.0, 700.0, "Plans", 10.0, true),
        run(445.0, 700.0, "Premium", 10.0, true),
        run(325.0, 670.0, "Annual", 10.0, false),
        run(445.0, 670.0, "3 times", 10.0, false),
    ]);
    let h = |y: f32| Rule { x0: 320.0, y0: y, x1: 560.0, y1: y };
    let v = |x: f32| Rule { x0: x, y0: 652.0, x1: x, y1: 712.0 };
    let rules = vec![h(712.0), h(682.0), h(652.0), v(320.0), v(440.0), v(560.0)];
    let out = resolve_line_hyphens(
        pages_to_markdown(vec![PageText { runs, rules, panels: Vec::new(), width: 595.0 }]).remove(0),
    );
    let pos = |t: &str| out.find(t).unwrap_or_else(|| panic!("{t} missing in {out}"));
    assert!(out.contains("Left line 4 holds a sentence of its own here. Left line 5"), "{out}");
    assert!(pos("Left line 19") < pos("Right line 0"), "{out}");
    assert!(pos("Right line 3") < pos("| Plans | Premium |"), "{out}");
    assert!(pos("| Annual | 3 times |") < pos("Right line 4"), "{out}");
}

#[test]
fn rows_set_wide_apart_stay_one_table_and_a_row_with_an_empty_cell_is_a_row() {
    // A renters declaration's coverage summary: small heads, rows 31 points apart at 12
    // points, one a point wider; the deductible's row has no amount.
    let mut runs = vec![
        run(7.0, 700.0, "COVERAGE", 7.5, false),
        run(387.0, 700.0, "MAXIMUM AMOUNT", 7.5, false),
        run(510.0, 700.0, "COST", 7.5, false),
    ];
    let rows = [
        (673.0, "Personal Property", Some("$40,000")),
        (642.0, "Loss Of Use", Some("$12,000")),
        (611.0, "Personal Liability", Some("$100,000")),
        (580.0, "Medical Payments To Others", Some("$1,000")),
        (548.0, "Portable Electronics", Some("$3,000")),
        (517.0, "$250 Deductible", None),
    ];
    for (y, what, amount) in rows {
        runs.push(run(8.0, y, what, 12.0, false));
        runs.extend(amount.map(|a| run(387.0, y, a, 12.0, false)));
        runs.push(run(510.0, y, "Included", 12.0, false));
    }
    runs.push(run(7.0, 470.0, "Your premium is due on the day the policy starts.", 10.0, false));
    let out = md(runs);
    assert!(out.contains("| Medical Payments To Others | $1,000 | Included |\n"), "{out}");
    assert!(out.contains("| Portable Electronics | $3,000 | Included |\n"), "{out}");
    assert!(out.contains("| $250 Deductible |  | Included |\n\nYour premium"), "{out}");
}

#[test]
fn fields_side_by_side_on_their_own_baselines_are_read_label_then_value() {
    // A declarations page: three small labels, each over its value, set a few points higher
    // or lower than the next; above them a row of fields whose baselines meet.
    let out = md(vec![
        run(2.0, 700.0, "POLICY NUMBER", 7.5, false),
        run(179.0, 700.0, "POLICY START DATE", 7.5, false),
        run(4.0, 686.0, "PV936890T824", 11.0, false),
        run(179.0, 686.0, "June 14, 2023", 11.0, false),
        run(2.0, 600.0, "NAME OF INSURED", 7.5, false),
        run(2.0, 586.0, "AKSHMA SAINI", 10.4, false),
        run(179.0, 609.0, "INSURED PROPERTY ADDRESS", 7.1, false),
        run(181.0, 595.0, "665 Auburn Ave,", 10.0, false),
        run(181.0, 581.0, "Atlanta, GA 30312", 10.0, false),
        run(355.0, 599.0, "INSURED EMAIL", 7.5, false),
        run(355.0, 575.0, "saini@example.com", 10.0, false),
        run(7.0, 520.0, "COVERAGE SUMMARY", 7.5, false),
    ]);
    let pos = |t: &str| out.find(t).unwrap_or_else(|| panic!("{t} missing in {out}"));
    assert!(out.contains("| PV936890T824 | June 14, 2023 |"), "{out}");
    let order = ["NAME OF INSURED", "AKSHMA SAINI", "INSURED PROPERTY ADDRESS", "665 Auburn Ave, Atlanta, GA 30312"];
    assert!(order.windows(2).all(|w| pos(w[0]) < pos(w[1])), "{out}");
    assert!(pos("Atlanta") < pos("INSURED EMAIL") && pos("INSURED EMAIL") < pos("saini@"), "{out}");
    assert!(pos("saini@") < pos("COVERAGE SUMMARY"), "{out}");
}

#[test]
fn a_title_sentence_is_a_heading_and_lines_reading_on_in_lower_case_are_not() {
    let out = md(vec![
        run(50.0, 800.0, "Define what is affordable for you.", 24.0, false),
        run(50.0, 760.0, "You are almost done with the home buying and", 14.0, false),
        run(50.0, 743.0, "mortgage process, but there is one last step.", 14.0, false),
        run(50.0, 700.0, "Total future monthly", 12.0, false),
        run(50.0, 686.0, "savings goals:", 12.0, false),
        run(200.0, 686.0, "$", 14.0, false),
        run(50.0, 650.0, "Your savings goals may differ from your current goals.", 10.0, false),
        run(50.0, 638.0, "Enter the amount you want to put away each month from your take-home income.", 10.0, false),
        run(50.0, 560.0, "Each line of this paragraph is set large.", 24.0, false),
        run(50.0, 532.0, "So no line of it is a title.", 24.0, false),
    ]);
    assert_eq!(
        out,
        "# Define what is affordable for you.\n\n\
         You are almost done with the home buying and mortgage process, but there is one last step.\n\n\
         Total future monthly savings goals: $\n\n\
         Your savings goals may differ from your current goals. \
         Enter the amount you want to put away each month from your take-home income.\n\n\
         Each line of this paragraph is set large. So no line of it is a title.\n\n"
    );
}

#[test]
fn titles_side_by_side_are_headings_and_a_label_wrapped_past_another_field_is_not() {
    let body = "Your total monthly spending and savings should be no more than your take-home income.";
    let out = md(vec![
        run(50.0, 800.0, "Monthly income", 14.0, false),
        run(320.0, 800.0, "Monthly spending and savings", 14.0, false),
        run(50.0, 770.0, body, 10.0, false),
        run(50.0, 740.0, "Estimated total", 12.0, false),
        run(320.0, 734.0, "Home maintenance: $", 12.0, false),
        run(50.0, 726.0, "monthly payment: $", 12.0, false),
        run(50.0, 690.0, body, 10.0, false),
        run(50.0, 660.0, "1. Determine who will", 14.0, false),
        run(320.0, 660.0, "Who will be conducting my closing?", 14.0, false),
        run(50.0, 630.0, body, 10.0, false),
    ]);
    assert!(out.starts_with("## Monthly income\n\n## Monthly spending and savings\n\n"), "{out}");
    assert!(!out.contains("# Estimated total"), "{out}");
    assert!(out.contains("Estimated total"), "{out}");
    assert!(!out.contains("# Who will"), "steps and questions are prompts: {out}");
}

#[test]
fn reading_text_sets_the_body_where_a_reduced_sample_form_holds_most_characters() {
    let mut runs = vec![
        run(36.0, 800.0, "The Note will provide you with details regarding your loan, including the", 11.0, false),
        run(36.0, 784.0, "amount you owe, the interest rate of the mortgage loan and the payment dates.", 11.0, false),
    ];
    let clause = "In return for a loan that I have received, I promise to pay the principal and interest.";
    for i in 0..6 {
        let y = 740.0 - 30.0 * i as f32;
        runs.push(run(36.0, y, "Read this document carefully before you sign it at your closing.", 11.0, false));
        runs.push(run(300.0, y + 10.0, "1. BORROWER'S PROMISE TO PAY", 4.5, true));
        for j in 0..4 {
            runs.push(run(300.0, y + 4.0 - 4.0 * j as f32, clause, 4.5, false));
        }
    }
    // Set larger than the body on 1.46 times its size, a lead paragraph's first line reads on.
    runs.push(run(36.0, 500.0, "If you are refinancing a loan, you have a right to cancel the loan", 14.0, false));
    runs.push(run(36.0, 479.5, "within three business days of closing.", 14.0, false));
    let out = md(runs);
    assert!(out.contains("cancel the loan within three"), "{out}");
    assert!(!out.contains('#'), "neither the guide's 11 pt text nor the form's bold 4.5 pt lines are headings: {out}");
    assert!(out.contains("including the amount you owe"), "{out}");
}

#[test]
fn a_form_beside_its_instructions_is_read_column_by_column() {
    let steps = [
        "1. Determine who will",
        "conduct your closing,",
        "where to be, and when.",
        "The title of the person",
        "who conducts your closing",
        "varies by state. You can",
        "shop around for the",
        "company of your choice.",
        "2. Ask the person who",
        "will conduct your closing",
        "what to expect at closing.",
    ];
    let fields = [
        "Who will be conducting my closing? What is their title?",
        "Name: Phone:",
        "When is my closing? Where is my closing?",
        "Date: Time:",
        "Address:",
        "What do I need to bring to my closing?",
        "About how much will I need to pay at closing?",
    ];
    let mut runs: Vec<Run> =
        steps.iter().enumerate().map(|(i, t)| run(50.0, 800.0 - 13.0 * i as f32, t, 10.0, false)).collect();
    runs.extend(fields.iter().enumerate().map(|(i, t)| run(300.0, 805.0 - 22.0 * i as f32, t, 9.0, false)));
    let out = md(runs);
    assert!(
        out.starts_with(
            "1. Determine who will conduct your closing, where to be, and when. The title of the person \
             who conducts your closing varies by state. You can shop around for the company of your choice.\n\n\
             2. Ask the person who will conduct your closing what to expect at closing.\n\n"
        ),
        "{out}"
    );
    assert!(out.contains("Who will be conducting my closing? What is their title?"), "{out}");
}

#[test]
fn two_forms_side_by_side_are_read_one_after_the_other_above_the_note_that_closes_them() {
    let left = ["A Your income:", "B Co-borrower's income:", "C Total monthly pre-tax income:"];
    let right = ["G Rent:", "H Utilities:", "I Debt payments:", "J Living and other expenses:"];
    let notes = ["Electricity, gas, water, phone, internet, etc.", "Student loans, car loans, etc."];
    let mut runs = Vec::new();
    for (i, label) in left.iter().chain(&left).enumerate() {
        runs.push(run(30.0, 700.0 - 40.0 * i as f32, label, 10.0, false));
        runs.push(run(200.0, 700.0 - 40.0 * i as f32, "$", 10.0, false));
    }
    for (i, label) in right.iter().chain(&right).enumerate() {
        let y = 710.0 - 52.0 * i as f32;
        runs.push(run(320.0, y, label, 10.0, false));
        runs.push(run(495.0, y, "$", 10.0, false));
        runs.push(run(320.0, y - 14.0, notes[i % 2], 7.0, false));
    }
    // The note under both forms, and a logo and a link below it in either column.
    runs.push(run(190.0, 250.0, "Your total spending should be no more than your income.", 8.0, false));
    runs.push(run(40.0, 60.0, "Consumer Bureau", 7.0, false));
    runs.push(run(520.0, 60.0, "Learn more", 7.0, false));
    let out = md(runs);
    let at = |text: &str| out.find(text).unwrap_or_else(|| panic!("{text} in {out}"));
    assert!(out.starts_with("A Your income: $\n\n"), "{out}");
    assert!(at("C Total monthly pre-tax income: $") < at("G Rent: $"), "{out}");
    assert!(at("J Living and other expenses: $ Student loans") < at("Your total spending"), "{out}");
    assert!(at("Your total spending") < at("Consumer Bureau"), "{out}");
    assert!(at("Your total spending") < at("Learn more"), "{out}");
}

#[test]
fn a_forms_line_items_beside_amount_boxes_that_touch_a_table_are_read_line_by_line() {
    // As the 1040 sets its income lines: a header table ruled into columns ends on the rule
    // that opens the section; the amount boxes below hang from it, one per line; each line
    // item runs from a label column across the table's columns in dot leaders drawn dot by
    // dot to its line number.
    let mut rules = vec![rule(36.0, 700.0, 576.0, 700.0), rule(36.0, 676.0, 576.0, 676.0)];
    rules.extend([688.0, 682.0].map(|y| rule(260.0, y, 576.0, y)));
    for x in [260.0, 350.0, 420.0, 480.0, 500.0, 576.0] {
        rules.push(rule(x, 676.0, x, 700.0));
    }
    for x in [480.0, 500.0, 576.0] {
        rules.push(rule(x, 580.0, x, 676.0));
    }
    rules.extend((1..=8).map(|i| rule(480.0, 676.0 - 12.0 * i as f32, 576.0, 676.0 - 12.0 * i as f32)));
    let mut runs = vec![
        run(264.0, 691.0, "Social security number", 7.0, false),
        run(354.0, 691.0, "Relationship", 7.0, false),
        run(424.0, 691.0, "Credit", 7.0, false),
        run(36.0, 666.0, "Income", 12.0, true),
    ];
    for (i, note) in [
        "Attach Form(s)",
        "W-2 here. Also",
        "attach Forms",
        "W-2G and 1099-R",
        "if tax was",
        "withheld. If you",
        "did not get a",
        "Form W-2, see",
        "instructions.",
    ]
    .into_iter()
    .enumerate()
    {
        runs.push(run(36.0, 652.0 - 7.5 * i as f32, note, 6.0, i == 0));
    }
    for i in 0..8 {
        let y = 666.0 - 12.0 * i as f32;
        runs.push(run(110.0, y, &format!("Amount from schedule part {}", i + 1), 8.0, false));
        runs.extend((0..12).map(|d| run(330.0 + 12.0 * d as f32, y, ".", 8.0, false)));
        runs.push(run(485.0, y, &format!("{}z", i + 1), 8.0, true));
    }
    let out = pages_to_markdown(vec![PageText { runs, rules, panels: Vec::new(), width: 595.0 }]).remove(0);
    let at = |text: &str| out.find(text).unwrap_or_else(|| panic!("{text} in {out}"));
    assert!(!out.contains("| . |"), "{out}");
    // The table keeps its head, though no row under it is filled in.
    assert!(out.contains("| Social security number | Relationship | Credit |\n| --- |"), "{out}");
    assert!(at("Income") < at("part 1"), "{out}");
    for i in 1..8 {
        let (item, number, next) = (format!("part {i}"), format!("{i}z"), format!("part {}", i + 1));
        assert!(at(&item) < at(&number) && at(&number) < at(&next), "{out}");
    }
}

#[test]
fn dot_leaders_drawn_dot_by_dot_do_not_make_columns() {
    let mut runs = Vec::new();
    for (i, (item, number)) in
        [("Add lines 12 and 13", "14"), ("Subtract line 14 from line 11", "15"), ("Other taxes", "16")]
            .into_iter()
            .enumerate()
    {
        let y = 700.0 - 12.0 * i as f32;
        runs.push(run(110.0, y, item, 8.0, false));
        runs.extend((0..10).map(|d| run(300.0 + 12.0 * d as f32, y, ".", 8.0, false)));
        runs.push(run(485.0, y, number, 8.0, true));
    }
    let out = md(runs);
    assert!(!out.contains("| . |"), "{out}");
    assert!(out.contains("Subtract line 14 from line 11 . . . . . . . . . ."), "{out}");
}

#[test]
fn a_checkbox_set_against_a_tables_border_does_not_add_a_row_to_it() {
    let mut rules: Vec<Rule> = [700.0, 688.0, 676.0].iter().map(|y| rule(36.0, *y, 576.0, *y)).collect();
    rules.extend([36.0, 300.0, 576.0].map(|x| rule(x, 676.0, x, 700.0)));
    // An 8-point box just under the table's last rule, its top within a touch of it.
    rules.extend([rule(120.0, 675.0, 128.0, 675.0), rule(120.0, 667.0, 128.0, 667.0)]);
    rules.extend([rule(120.0, 667.0, 120.0, 675.0), rule(128.0, 667.0, 128.0, 675.0)]);
    let runs = vec![
        run(40.0, 691.0, "Your first name", 8.0, false),
        run(304.0, 691.0, "Last name", 8.0, false),
        run(40.0, 679.0, "Home address", 8.0, false),
        run(304.0, 679.0, "Apt. no.", 8.0, false),
        run(40.0, 668.0, "Filing Status", 12.0, true),
        run(132.0, 668.0, "Single", 8.0, false),
    ];
    let out = pages_to_markdown(vec![PageText { runs, rules, panels: Vec::new(), width: 595.0 }]).remove(0);
    assert!(out.contains("| Home address | Apt. no. |\n\n"), "{out}");
    assert!(!out.contains("| Filing Status"), "{out}");
}

fn rule(x0: f32, y0: f32, x1: f32, y1: f32) -> Rule {
    Rule { x0, y0, x1, y1 }
}

#[test]
fn a_forms_title_boxes_are_read_box_by_box() {
    let runs = vec![
        run(40.0, 760.0, "Form W-9", 20.0, true),
        run(40.0, 745.0, "(Rev. March 2024)", 7.0, false),
        run(40.0, 737.0, "Department of the Treasury", 7.0, false),
        run(200.0, 765.0, "Request for Taxpayer", 14.0, true),
        run(170.0, 750.0, "Identification Number and Certification", 14.0, true),
        run(180.0, 737.0, "Go to www.irs.gov for instructions.", 8.0, false),
        run(500.0, 765.0, "Give form to the", 9.0, true),
        run(500.0, 753.0, "requester. Do not", 9.0, true),
        run(500.0, 741.0, "send to the IRS.", 9.0, true),
        run(40.0, 715.0, "Before you begin. For guidance related to the purpose of this form, see below.", 8.0, false),
    ];
    // Rules drawn down between the boxes (one of them in two pieces), and across under them
    // in pieces a hair apart, the leftmost lowest.
    let rules = vec![
        rule(160.0, 730.0, 160.0, 755.0),
        rule(160.0, 755.0, 160.0, 780.0),
        rule(490.0, 730.0, 490.0, 780.0),
        rule(118.0, 727.9, 300.0, 727.9),
        rule(300.0, 728.0, 576.0, 728.0),
        rule(36.0, 728.5, 120.0, 728.5),
    ];
    let out = pages_to_markdown(vec![PageText { runs, rules, panels: Vec::new(), width: 595.0 }]).remove(0);
    for whole in [
        "Request for Taxpayer Identification Number and Certification",
        "Give form to the requester. Do not send to the IRS.",
    ] {
        assert!(out.contains(whole), "{out}");
    }
    let at = |s: &str| out.find(s).unwrap_or_else(|| panic!("{s}: {out}"));
    assert!(at("Form W-9") < at("Department of the Treasury"), "{out}");
    assert!(at("Department of the Treasury") < at("Request for Taxpayer"), "{out}");
    assert!(at("Go to www.irs.gov") < at("Give form"), "{out}");
    assert!(at("send to the IRS.") < at("Before you begin."), "{out}");
}

#[test]
fn a_forms_section_label_is_read_before_the_text_beside_it_and_a_tables_columns_are_not_labels() {
    let mut runs = Vec::new();
    for (i, label) in ["Step 2:", "Multiple Jobs", "or Spouse", "Works"].into_iter().enumerate() {
        runs.push(run(36.0, 685.0 - 12.0 * i as f32, label, 10.0, true));
    }
    for (i, text) in [
        "Complete this step if you hold more than one job at a time, or are married",
        "filing jointly and your spouse also works. The correct amount of withholding",
        "depends on income earned from all of these jobs.",
        "Do only one of the following.",
        "(a) Use the estimator for the most accurate withholding for this step.",
        "(b) Use the Multiple Jobs Worksheet on page 3.",
    ]
    .into_iter()
    .enumerate()
    {
        runs.push(run(122.0, 685.0 - 12.0 * i as f32, text, 9.0, false));
    }
    // A schedule's bold row names beside their values, ruled off the same way: a table.
    for (i, (name, value)) in
        [("Deductible", "$500"), ("Limit", "$10,000"), ("Term", "12 months")].into_iter().enumerate()
    {
        runs.push(run(36.0, 580.0 - 12.0 * i as f32, name, 10.0, true));
        runs.push(run(200.0, 580.0 - 12.0 * i as f32, value, 10.0, false));
    }
    let rules = vec![rule(36.0, 700.0, 576.0, 700.0), rule(36.0, 600.0, 576.0, 600.0), rule(36.0, 540.0, 576.0, 540.0)];
    let out = pages_to_markdown(vec![PageText { runs, rules, panels: Vec::new(), width: 595.0 }]).remove(0);
    assert!(
        out.contains("Step 2: Multiple Jobs or Spouse Works\n\nComplete this step if you hold more than one job at a time, or are married filing jointly"),
        "{out}"
    );
    assert!(out.contains("| Deductible | $500 |"), "{out}");
}

#[test]
fn a_page_of_hundreds_of_labels_and_rules_keeps_every_word() {
    // Far past the stretches and ruled boxes read one by one: the rest is read as it stands.
    let mut runs = Vec::new();
    for i in 0..300 {
        let y = 9000.0 - 30.0 * i as f32;
        runs.push(run(36.0, y, &format!("Label{i}:"), 10.0, true));
        runs.push(run(122.0, y, &format!("value{i} of the field"), 9.0, false));
        runs.push(run(122.0, y - 12.0, &format!("more{i} text"), 9.0, false));
    }
    let mut rules: Vec<Rule> =
        (0..500).map(|i| rule(300.0 + 0.5 * i as f32, 0.0, 300.0 + 0.5 * i as f32, 9100.0)).collect();
    rules.push(rule(36.0, 9100.0, 576.0, 9100.0));
    let out = pages_to_markdown(vec![PageText { runs, rules, panels: Vec::new(), width: 595.0 }]).remove(0);
    for i in [0, 63, 64, 65, 299] {
        for word in [format!("Label{i}:"), format!("value{i}"), format!("more{i}")] {
            assert!(out.contains(&word), "{word} lost");
        }
    }
}

#[test]
fn a_large_warning_sign_does_not_make_its_line_a_heading() {
    let mut runs: Vec<Run> = (0..6)
        .map(|i| run(50.0, 800.0 - 12.0 * i as f32, "Body text of the instructions set line after line.", 9.0, false))
        .collect();
    runs.push(run(50.0, 716.0, "▲", 21.6, false));
    runs.push(run(62.0, 716.0, "one Form W-4. Withholding will be most accurate if you", 9.0, false));
    let out = md(runs);
    assert!(!out.contains('#'), "{out}");
}

#[test]
fn a_label_column_that_opens_below_the_sections_first_field_line_is_one_label() {
    let mut runs = vec![
        run(100.0, 700.0, "Preparer's name", 7.0, false),
        run(220.0, 700.0, "Preparer's signature", 7.0, false),
        run(36.0, 691.0, "Paid", 11.0, true),
        run(36.0, 679.0, "Preparer", 11.0, true),
        run(100.0, 674.0, "Firm's name", 7.0, false),
        run(36.0, 667.0, "Use Only", 11.0, true),
        run(100.0, 662.0, "Firm's address", 7.0, false),
    ];
    runs.push(run(36.0, 620.0, "Go to the website for instructions and the latest information.", 9.0, false));
    let rules = vec![rule(36.0, 710.0, 576.0, 710.0), rule(36.0, 650.0, 576.0, 650.0)];
    let out = pages_to_markdown(vec![PageText { runs, rules, panels: Vec::new(), width: 595.0 }]).remove(0);
    assert!(out.contains("Paid Preparer Use Only\n"), "{out}");
    let at = |s: &str| out.find(s).unwrap_or_else(|| panic!("{s}: {out}"));
    assert!(at("Paid Preparer Use Only") < at("Firm's name"), "{out}");
}

#[test]
fn a_grid_of_a_thousand_rules_each_way_keeps_its_text() {
    // Every row boundary ruled only in part, so each is checked cell by cell.
    let mut rules: Vec<Rule> =
        (0..1000).map(|i| rule(0.0, 3.0 * i as f32, 1500.0 + 0.1 * i as f32, 3.0 * i as f32)).collect();
    rules.extend((0..1000).map(|i| rule(3.0 * i as f32, 0.0, 3.0 * i as f32, 3000.0)));
    let runs = vec![run(10.0, 400.0, "Inside", 10.0, false), run(10.0, 3100.0, "Above the grid.", 10.0, false)];
    let out = pages_to_markdown(vec![PageText { runs, rules, panels: Vec::new(), width: 900.0 }]).remove(0);
    assert!(out.contains("Inside") && out.contains("Above the grid."), "{out}");
}

#[test]
fn a_page_number_set_bold_is_no_heading_alone_or_closing_a_running_head() {
    for text in ["Page 1 of 1", "Appendix 5 Page 8 of 11", "Offense Table – Page 1 of 51", "PAGE 3"] {
        assert!(headings::paginates(text), "{text}");
    }
    for text in ["Front page", "Page Layout", "Home Page 2 of the Guide", "Webpage 2 of 3", "Pages 2 of 3"] {
        assert!(!headings::paginates(text), "{text}");
    }
    let runs = vec![
        // Under the title, so not the page's first line, which goes as furniture.
        run(72.0, 770.0, "Certificate of Liability Insurance", 16.0, true),
        run(400.0, 745.0, "Page 1 of 1", 12.0, true),
        run(72.0, 700.0, "This certificate is issued as a matter of information only.", 10.0, false),
    ];
    let out = md(runs);
    assert!(out.contains("# Certificate of Liability Insurance"), "{out}");
    assert!(!out.contains("# Page 1 of 1"), "{out}");
}

#[test]
fn a_bold_line_in_capitals_cut_off_on_a_link_word_is_a_sentence_not_a_heading() {
    for text in ["IMPOSE NO OBLIGATION UPON THE INSURER, ITS AGENTS OR", "SERVICES PROVIDED BY THE", "Signature of"] {
        assert!(headings::ends_mid_phrase(text), "{text}");
    }
    for text in ["APPENDIX A", "Part A", "SCHEDULE OF COVER", "What is not covered AND"] {
        assert!(!headings::ends_mid_phrase(text), "{text}");
    }
    let runs = vec![
        run(72.0, 770.0, "MEDICAL CONCIERGE SERVICES PROVIDED BY THE", 10.0, true),
        run(72.0, 758.0, "PROGRAM.", 10.0, true),
        run(72.0, 730.0, "Disclaimer, waiver and limitation of liability apply to these services.", 10.0, false),
        run(72.0, 718.0, "Medical providers are not employees of the program.", 10.0, false),
    ];
    let out = md(runs);
    assert!(out.contains("MEDICAL CONCIERGE SERVICES PROVIDED BY THE PROGRAM."), "{out}");
    assert!(!out.contains('#'), "{out}");
}

#[test]
fn page_numbers_are_recognised_with_their_words() {
    for text in ["12", "iv", "- 3 -", "Page 2", "Page 2 of 6", "3 of 4", "PAGE 10"] {
        assert!(is_page_number(text), "{text}");
    }
    for text in ["Page two", "2 of the 6 forms", "Pages 2", "Step 2", "of 6"] {
        assert!(!is_page_number(text), "{text}");
    }
}

#[test]
fn a_bold_paragraph_set_larger_is_not_a_heading_however_its_lines_wrap() {
    let mut runs = vec![
        run(50.0, 800.0, "You may file the forms electronically on the agency's employer filing", 12.0, true),
        run(50.0, 786.0, "instructions and information web page which is also accessible at", 12.0, true),
        run(50.0, 772.0, "the agency website where you can create fill-in versions of", 12.0, true),
    ];
    for i in 0..6 {
        runs.push(run(
            50.0,
            740.0 - 12.0 * i as f32,
            "Body text of the notice set in its own size, line after line.",
            10.0,
            false,
        ));
    }
    let out = md(runs);
    assert!(!out.contains('#'), "{out}");
    assert!(out.contains("employer filing instructions and information web page"), "{out}");
}

#[test]
fn a_forms_header_boxes_over_its_first_table_are_read_first_and_the_tables_margin_label_before_it() {
    let mut runs = vec![
        run(36.0, 744.0, "Form W-4", 20.0, true),
        run(36.0, 720.0, "Department of the Treasury", 6.5, false),
        run(196.0, 746.0, "Employee’s Withholding Certificate", 14.0, true),
        run(122.0, 734.0, "Complete Form W-4 so that your employer can withhold the correct tax.", 8.0, false),
        run(243.0, 723.0, "Give Form W-4 to your employer.", 8.0, false),
        run(504.0, 748.0, "OMB No. 1545-0074", 7.0, false),
        run(510.0, 718.0, "2025", 20.0, true),
    ];
    for (i, label) in ["Step 1:", "Enter", "Personal", "Information"].into_iter().enumerate() {
        runs.push(run(36.0, 696.0 - 11.0 * i as f32, label, 10.0, true));
    }
    for (y, cells) in [
        (
            700.0,
            [(98.0, "(a) First name and middle initial"), (278.0, "Last name"), (479.0, "(b) Social security number")],
        ),
        (676.0, [(98.0, "Address"), (278.0, "Apt."), (479.0, "Does your name match?")]),
        (652.0, [(98.0, "City or town"), (278.0, "State"), (479.0, "ZIP code")]),
    ] {
        runs.extend(cells.into_iter().map(|(x, text)| run(x, y, text, 7.0, false)));
    }
    runs.push(run(36.0, 590.0, "TIP: Consider using the estimator.", 10.0, false));
    let mut rules = vec![
        // The header's boxes: rules down between them from the page's top, and the foot of the
        // OMB number's box, over the year.
        rule(115.2, 707.5, 115.2, 756.0),
        rule(496.8, 707.5, 496.8, 756.0),
        rule(496.3, 744.0, 576.2, 744.0),
        // Across the page under the header and under the table; the table's own rows.
        rule(35.8, 708.0, 576.2, 708.0),
        rule(35.8, 600.0, 576.2, 600.0),
        rule(93.4, 684.0, 576.2, 684.0),
        rule(93.4, 660.0, 576.2, 660.0),
        rule(93.4, 636.0, 576.2, 636.0),
    ];
    rules.extend([93.6, 273.6, 475.2].map(|x| rule(x, 599.7, x, 708.2)));
    let out = pages_to_markdown(vec![PageText { runs, rules, panels: Vec::new(), width: 612.0 }]).remove(0);
    let at = |s: &str| out.find(s).unwrap_or_else(|| panic!("{s}: {out}"));
    assert!(at("Employee’s Withholding Certificate") < at("Complete Form W-4"), "{out}");
    assert!(out.contains("\n\nComplete Form W-4 so that"), "{out}");
    assert!(at("2025") < at("Step 1: Enter Personal Information"), "{out}");
    assert!(
        at("Step 1: Enter Personal Information") < at("| (a) First name and middle initial | Last name |"),
        "{out}"
    );
    assert!(at("| City or town | State | ZIP code |") < at("TIP:"), "{out}");
}

#[test]
fn text_that_reads_as_markdown_syntax_stays_text_for_the_chunker() {
    use crate::chunking::{Chunker, ChunkingConfig};
    let runs = vec![
        run(72.0, 700.0, "Loss History", 14.0, true),
        run(72.0, 680.0, "# of claims in the last three years: 2", 10.0, false),
        run(72.0, 660.0, "```", 10.0, false),
        run(72.0, 640.0, "<!-- page 9 -->", 10.0, false),
        run(72.0, 615.0, "#14-01 is the endorsement's number.", 10.0, false),
        run(72.0, 585.0, "Vehicle Schedule", 14.0, true),
        run(72.0, 565.0, "Two vehicles are insured under this policy.", 10.0, false),
    ];
    let out = md(runs);
    // No floor, so that each section is a chunk of its own.
    let chunks =
        Chunker::new(&ChunkingConfig { min_tokens: 0, ..ChunkingConfig::default() }).chunk(uuid::Uuid::nil(), &out);
    let paths: Vec<&Vec<String>> = chunks.iter().map(|c| &c.heading_path).collect();
    assert!(chunks.iter().all(|c| c.page_start != Some(9)), "{out}\n{chunks:?}");
    assert!(paths.iter().all(|p| !p.iter().any(|h| h.contains("of claims"))), "{out}\n{paths:?}");
    let last = chunks.iter().find(|c| c.content.contains("Two vehicles")).expect("the last paragraph");
    assert_eq!(last.heading_path.last().map(String::as_str), Some("Vehicle Schedule"), "{out}");
    assert!(out.contains("# of claims in the last three years: 2"), "{out}");
    // What reads as text in markdown stays as it is.
    assert!(out.contains("\n#14-01 is the endorsement's number."), "{out}");
}

#[test]
fn the_last_line_of_a_list_of_authors_is_not_a_heading() {
    let mut runs = vec![
        run(90.0, 720.0, "Trace-based Just-in-Time Type Specialization for Dynamic Languages", 18.0, true),
        run(
            60.0,
            690.0,
            "Andreas Gal, Brendan Eich, Mike Shaver, David Anderson, David Mandelin, Mohammad Haghighat,",
            12.0,
            false,
        ),
        run(120.0, 676.0, "Jesse Ruderman, Edwin Smith, Rick Reitmaier, Michael Franz", 12.0, false),
    ];
    for i in 0..6 {
        runs.push(run(
            72.0,
            640.0 - 12.0 * i as f32,
            "Dynamic languages such as JavaScript are more difficult to compile than statically typed ones.",
            10.0,
            false,
        ));
    }
    let out = md(runs);
    assert!(!out.contains("# Jesse"), "{out}");
    assert!(out.contains("Mohammad Haghighat, Jesse Ruderman"), "{out}");
    assert!(out.starts_with("# Trace-based"), "{out}");
}

#[test]
fn a_title_wrapped_after_a_comma_is_one_heading_and_a_bold_sentence_so_wrapped_is_not() {
    let mut runs = vec![
        run(89.0, 680.0, "Overview of the Technology Acceptance Model: Origins,", 17.3, true),
        run(162.0, 660.0, "Developments and Future Directions", 17.3, true),
        run(74.0, 630.0, "Mohammad Chuttur", 12.0, false),
    ];
    for i in 0..6 {
        runs.push(run(
            72.0,
            600.0 - 14.0 * i as f32,
            "User acceptance of technology has been an important field of study for two decades.",
            12.0,
            false,
        ));
    }
    runs.push(run(72.0, 500.0, "Keep this notice with your policy,", 12.0, true));
    runs.push(run(72.0, 486.0, "as it forms part of the contract.", 12.0, true));
    let out = md(runs);
    assert!(
        out.contains("## Overview of the Technology Acceptance Model: Origins, Developments and Future Directions\n"),
        "{out}"
    );
    assert!(!out.contains("# Keep") && !out.contains("# as it"), "{out}");
}

#[test]
fn a_margins_line_numbers_are_dropped_and_a_tables_numbered_rows_are_not() {
    // A pleading: every line numbered 1–20 down the left margin, the last lines blank.
    let pleading = |_: u32| {
        let mut runs = Vec::new();
        for n in 1..=20u32 {
            let y = 760.0 - 24.0 * n as f32;
            let number = n.to_string();
            runs.push(run(60.0 - 5.0 * number.len() as f32, y, &number, 10.0, false));
            if n <= 17 {
                runs.push(run(100.0, y, &format!("the insurer shall pay the claim of line {n} and"), 10.0, false));
            }
        }
        PageText { runs, rules: Vec::new(), panels: Vec::new(), width: 595.0 }
    };
    let out = pages_to_markdown(vec![pleading(1), pleading(2)]);
    assert!(out[1].contains("line 3 and the insurer"), "{}", out[1]);
    assert!(!out[1].contains("| 3 |") && !out[1].contains(" 19"), "{}", out[1]);
    // A table whose nine rows are numbered 1–9 on each of two pages, each number beside its row.
    let table = |_: u32| {
        let mut runs = vec![run(50.0, 800.0, "No.", 10.0, true), run(120.0, 800.0, "Drawing", 10.0, true)];
        for n in 1..=9u32 {
            let y = 800.0 - 14.0 * n as f32;
            runs.push(run(50.0, y, &n.to_string(), 10.0, false));
            runs.push(run(120.0, y, &format!("Crankshaft part {n}"), 10.0, false));
        }
        PageText { runs, rules: Vec::new(), panels: Vec::new(), width: 595.0 }
    };
    let out = pages_to_markdown(vec![table(1), table(2)]);
    assert!(out[1].contains("| 3 | Crankshaft part 3 |"), "{}", out[1]);
}

#[test]
fn a_page_number_beside_a_footers_legend_goes_and_the_legend_stays() {
    let page = |legend: &str| PageText {
        runs: vec![
            run(50.0, 700.0, "Cover starts today and ends in a year.", 10.0, false),
            run(50.0, 680.0, "Claims are paid in pounds.", 10.0, false),
            run(50.0, 20.0, legend, 8.0, false),
            run(500.0, 20.0, "Page 3 of 33", 8.0, false),
        ],
        rules: Vec::new(),
        panels: Vec::new(),
        width: 595.0,
    };
    let out = pages_to_markdown(vec![page(
        "S-Shifted, E-Expired, M-Missing, Q- Disqualification, R-Duplicate, Issued By Officer",
    )]);
    assert!(out[0].contains("R-Duplicate, Issued By Officer") && !out[0].contains("Page 3"), "{}", out[0]);
    // A form's running head, as few words beside its number, goes whole.
    let out = pages_to_markdown(vec![page("Form 1040 (2024)")]);
    assert!(!out[0].contains("Form 1040") && !out[0].contains("Page 3"), "{}", out[0]);
    // A long title and its issuer beside the number, on every page, go whole too.
    let head = |n: u32| PageText {
        runs: vec![
            run(118.0, 812.0, "Anti-Money Laundering and Countering the Financing of Terrorism Guidelines", 7.0, false),
            run(440.0, 812.0, "Central Bank of Ireland", 7.0, false),
            run(560.0, 812.0, &format!("Page {n}"), 7.0, false),
            run(
                57.0,
                700.0,
                ["Firms assess risk.", "Firms report.", "Staff train.", "Boards oversee."][n as usize - 1],
                11.0,
                false,
            ),
            run(
                57.0,
                686.0,
                ["It is documented.", "It is timely.", "It is yearly.", "It is minuted."][n as usize - 1],
                11.0,
                false,
            ),
        ],
        rules: Vec::new(),
        panels: Vec::new(),
        width: 595.0,
    };
    let out = pages_to_markdown((1..=4).map(head).collect());
    assert!(out.iter().all(|p| !p.contains("Central Bank") && p.contains("It is")), "{out:?}");
}

#[test]
fn columns_beside_a_sidebar_under_their_own_title_are_read_one_after_the_other() {
    // A magazine page: the author's note in the margin, set small on its own baselines, and
    // beside it an article's title and summary across two columns of text.
    let mut runs = vec![
        run(160.0, 720.0, "Industry employment and output", 18.0, true),
        run(160.0, 700.0, "projections to the year 2020", 18.0, true),
        run(40.0, 560.0, "Richard Henderson", 7.0, false),
    ];
    for i in 0..4 {
        let text = format!("summary line {i} of the article set in italic across both of its columns");
        runs.push(Run { end_x: 580.0, ..run(160.0, 670.0 - 14.0 * i as f32, &text, 11.0, false) });
    }
    for i in 0..9 {
        let text = format!("author note {i} of bio");
        runs.push(Run { end_x: 130.0, ..run(40.0, 200.0 - 8.5 * i as f32, &text, 7.0, false) });
    }
    for i in 0..30 {
        let y = 560.0 - 12.0 * i as f32;
        let left = format!("left column line {i} of the running article prose");
        runs.push(Run { end_x: 365.0, ..run(160.0, y, &left, 10.0, false) });
        let right = format!("right column line {i} of the running article prose");
        runs.push(Run { end_x: 580.0, ..run(374.0, y, &right, 10.0, false) });
    }
    let out = md(runs);
    assert!(!out.contains('|'), "{out}");
    let pos = |t: &str| out.find(t).unwrap_or_else(|| panic!("{t} missing in {out}"));
    assert!(pos("left column line 29 ") < pos("right column line 0 "), "{out}");
    assert!(pos("summary line 3 ") < pos("left column line 0 "), "{out}");
}

#[test]
fn a_drop_cap_opens_its_first_line_and_a_large_label_beside_field_names_stays_apart() {
    // The article's "T" is set three lines tall, its baseline level with the third line.
    let mut runs = vec![Run { end_x: 85.0, ..run(50.0, 676.0, "T", 48.0, true) }];
    for (i, text) in
        ["his release of the Bureau of Labor", "Statistics projections, which", "are published every two years,"]
            .into_iter()
            .enumerate()
    {
        runs.push(run(85.0, 700.0 - 13.0 * i as f32, text, 11.0, false));
    }
    runs.push(run(50.0, 661.0, "is the second since the recession began.", 11.0, false));
    // A section's letter set large beside the names of its fields.
    runs.push(Run { end_x: 85.0, ..run(50.0, 400.0, "A", 48.0, true) });
    runs.push(run(85.0, 425.0, "Employee name", 11.0, false));
    runs.push(run(85.0, 412.0, "Street address", 11.0, false));
    let out = md(runs);
    assert!(out.starts_with("This release of the Bureau of Labor Statistics projections"), "{out}");
    assert!(!out.contains("# T"), "{out}");
    assert!(!out.contains("AEmployee"), "{out}");
}

#[test]
fn figures_closer_than_a_cells_gap_are_cells_of_their_own_and_a_label_keeps_its_number() {
    // A market report's price ranges, 11.6 points apart at 10 points (a cell's gap is 12).
    let mut runs = Vec::new();
    for (i, (name, a, b)) in [
        ("Iowa", "30.92 - 31.92", "31.94 - 33.19"),
        ("Minnesota", "31.17 - 31.92", "32.64 - 33.39"),
        ("Ohio", "30.36 - 31.11", "30.49 - 31.24"),
    ]
    .into_iter()
    .enumerate()
    {
        let y = 700.0 - 12.0 * i as f32;
        runs.push(run(50.0, y, name, 10.0, false));
        runs.push(Run { end_x: 211.6, ..run(150.0, y, a, 10.0, false) });
        runs.push(Run { end_x: 285.0, ..run(223.2, y, b, 10.0, false) });
    }
    let out = md(runs);
    assert!(out.contains("| Minnesota | 31.17 - 31.92 | 32.64 - 33.39 |"), "{out}");
    // Labels and their amounts as far apart, and an element's code after its number: a
    // figure beside a word is read as before.
    let mut runs = Vec::new();
    for (i, (label, amount)) in [("Wages", "3.00"), ("Tips", "4.00"), ("Box 12", "5.00")].into_iter().enumerate() {
        let y = 700.0 - 12.0 * i as f32;
        runs.push(Run { end_x: 90.0, ..run(50.0, y, label, 10.0, false) });
        runs.push(run(100.0, y, amount, 10.0, false));
    }
    for (i, code) in ["1 NtCiSt3", "2 STw3", "3 1YP3+kpYNY"].into_iter().enumerate() {
        let y = 600.0 - 12.0 * i as f32;
        let (rank, name) = code.split_once(' ').unwrap_or_default();
        runs.push(Run { end_x: 56.0, ..run(50.0, y, rank, 10.0, false) });
        runs.push(run(66.0, y, name, 10.0, false));
        runs.push(run(200.0, y, "6.50", 10.0, false));
        runs.push(run(260.0, y, "0.57", 10.0, false));
    }
    let out = md(runs);
    assert!(out.contains("Wages 3.00") && out.contains("Box 12 5.00"), "{out}");
    assert!(out.contains("| 3 1YP3+kpYNY | 6.50 | 0.57 |"), "{out}");
}

#[test]
fn a_table_ruled_across_only_keeps_each_cell_of_several_lines_whole() {
    // As the AAMI PDS sets "What we cover | What we exclude": a rule under the head and under
    // each row, none down, and each cell's lines on baselines of their own.
    let across = |ys: &[f32]| ys.iter().map(|y| Rule { x0: 50.0, y0: *y, x1: 550.0, y1: *y }).collect::<Vec<_>>();
    let cells = |shift: f32| {
        let at = |x: f32, y: f32, text: &str| run(x, y + shift, text, 9.0, false);
        vec![
            at(55.0, 705.0, "What we cover"),
            at(300.0, 705.0, "What we exclude"),
            at(55.0, 688.0, "Loss of or damage to:"),
            at(300.0, 688.0, "Loss or damage"),
            at(300.0, 674.0, "arising from fire or flood; or"),
            at(55.0, 676.0, "glass; or"),
            at(300.0, 661.0, "from wear and tear, gradual"),
            at(55.0, 664.0, "signs;"),
            at(300.0, 648.0, "deterioration or any gradual cause."),
            at(55.0, 652.0, "at your premises."),
            at(55.0, 628.0, "Extra benefits"),
            at(300.0, 626.0, "We will not pay more than"),
            at(55.0, 616.0, "If we agree to pay a claim"),
            at(300.0, 613.0, "5,000 for Extra Benefits."),
            at(55.0, 604.0, "we will also pay for:"),
        ]
    };
    let page =
        |runs, rules| pages_to_markdown(vec![PageText { runs, rules, panels: Vec::new(), width: 595.0 }]).remove(0);
    let out = page(cells(0.0), across(&[700.0, 640.0, 590.0]));
    assert!(out.starts_with("| What we cover | What we exclude |\n| --- | --- |\n"), "{out}");
    assert!(
        out.contains(
            "| Loss of or damage to: glass; or signs; at your premises. | Loss or damage arising from fire or flood; \
             or from wear and tear, gradual deterioration or any gradual cause. |\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("| Extra benefits If we agree to pay a claim we will also pay for: | We will not pay more"),
        "{out}"
    );
    // Lines struck through the letters are bands of shading, not rows' edges: read as before.
    let struck = page(cells(0.0), across(&[690.0, 677.0, 617.0]));
    assert!(!struck.contains("Loss of or damage to: glass; or"), "{struck}");
    // A table ruled only under its head and at its foot holds rows read across, one a line.
    let rows: Vec<Run> = (0..4)
        .flat_map(|i| {
            let y = 680.0 - 14.0 * i as f32;
            [run(55.0, y, &format!("{}", 1996 + i), 9.0, false), run(300.0, y, &format!("{},544", 51 + i), 9.0, false)]
        })
        .chain([run(55.0, 705.0, "Year", 9.0, false), run(300.0, 705.0, "Enrolment", 9.0, false)])
        .collect();
    let ledger = page(rows, across(&[700.0, 630.0, 600.0]));
    assert!(ledger.contains("| 1997 | 52,544 |\n| 1998 | 53,544 |"), "{ledger}");
}

#[test]
fn a_page_of_many_rules_across_and_scattered_words_is_read_whole() {
    // A crafted page: 300 rules across and a word every 20 points between each pair. Past the
    // rules and gaps tried, it is read as it stands, every word kept.
    let rules: Vec<Rule> =
        (0..300).map(|i| rule(20.0, 780.0 - 2.5 * i as f32, 580.0, 780.0 - 2.5 * i as f32)).collect();
    let mut runs = Vec::new();
    for i in 0..299 {
        for k in 0..20 {
            runs.push(run(30.0 + 27.0 * k as f32, 779.0 - 2.5 * i as f32, &format!("w{i}x{k}"), 2.0, false));
        }
    }
    let out = pages_to_markdown(vec![PageText { runs, rules, panels: Vec::new(), width: 595.0 }]).remove(0);
    assert!(
        out.contains("w0x0") && out.contains("w298x19") && out.contains("w150x7"),
        "{}",
        &out[..200.min(out.len())]
    );
}

/// The first page's markdown, with a page of black body text after it: a hue sets headings
/// apart only where it is rare in the document.
fn md_beside_body(runs: Vec<Run>) -> String {
    let line = "Firms should document their determination in writing and retain it always";
    let body = (0..30).map(|i| run(57.0, 800.0 - 14.0 * i as f32, line, 11.0, false)).collect();
    let pages = vec![
        PageText { runs, rules: Vec::new(), panels: Vec::new(), width: 595.0 },
        PageText { runs: body, rules: Vec::new(), panels: Vec::new(), width: 595.0 },
    ];
    resolve_line_hyphens(pages_to_markdown(pages).remove(0))
}

#[test]
fn a_line_drawn_in_a_hue_of_its_own_is_a_heading_and_a_gray_note_or_a_link_is_not() {
    let teal = |r: Run| Run { fill: 0x0083a0, ..r };
    let gray = |r: Run| Run { fill: 0x808080, ..r };
    let body = "Firms should document their determination in writing and retain it";
    let out = md_beside_body(vec![
        run(57.0, 800.0, body, 11.0, false),
        run(57.0, 786.0, "in accordance with their record keeping policies.", 11.0, false),
        teal(run(57.0, 760.0, "Application of Risk Assessment", 11.0, false)),
        run(57.0, 740.0, body, 11.0, false),
        run(57.0, 726.0, "in accordance with their record keeping policies.", 11.0, false),
        gray(run(57.0, 700.0, "Reference to staff includes officers", 11.0, false)),
        run(57.0, 680.0, body, 11.0, false),
        run(57.0, 666.0, "in accordance with their record keeping policies.", 11.0, false),
        teal(run(57.0, 640.0, "www.centralbank.ie/regulation", 11.0, false)),
    ]);
    assert!(out.contains("\n\n### Application of Risk Assessment\n\n"), "{out}");
    assert!(out.contains("\n\nReference to staff includes officers\n\n"), "{out}");
    assert!(out.ends_with("\n\nwww.centralbank.ie/regulation\n\n"), "{out}");
    // Nor is a caption, references' links, or a line that goes on from the unfinished one
    // above it in that hue.
    let out = md_beside_body(vec![
        run(57.0, 800.0, body, 11.0, false),
        run(57.0, 786.0, "in accordance with their record keeping policies.", 11.0, false),
        teal(run(57.0, 760.0, "Figure 1. Five Pillars of the Strategy", 11.0, false)),
        teal(run(57.0, 740.0, "Figure 2: Extent to Which the Strategy", 11.0, false)),
        teal(run(57.0, 727.0, "Addresses the Desirable Characteristics of a Strategy", 11.0, false)),
        run(57.0, 700.0, "Hammond, M.; Hayes, D. Guideline recommendations. J. Clin. Oncol. 2010.", 11.0, false),
        teal(run(57.0, 687.0, "[CrossRef] [PubMed]", 11.0, false)),
    ]);
    assert!(!out.contains('#'), "{out}");
    // Where the body itself is drawn in that hue, the hue sets nothing apart.
    let out = md(vec![
        teal(run(57.0, 800.0, body, 11.0, false)),
        teal(run(57.0, 786.0, "in accordance with their record keeping policies.", 11.0, false)),
        teal(run(57.0, 760.0, "Application of Risk Assessment", 11.0, false)),
    ]);
    assert!(!out.contains('#'), "{out}");
}

#[test]
fn section_numbers_tabbed_off_their_headings_are_no_list() {
    let teal = |r: Run| Run { fill: 0x0083a0, ..r };
    let out = md_beside_body(vec![
        run(57.0, 800.0, "Section 30B of the Act requires Firms to identify and assess the risk", 11.0, false),
        run(57.0, 786.0, "in relation to a customer before they act.", 11.0, false),
        teal(run(57.0, 760.0, "5.", 15.75, false)),
        teal(run(93.0, 760.0, "Customer Due Diligence", 15.75, false)),
        teal(run(57.0, 733.0, "5.1", 11.0, false)),
        teal(run(93.0, 733.0, "Application of Risk Assessment", 11.0, false)),
        run(84.0, 707.0, "Section 30B of the Act requires Firms to identify and assess the risk", 11.0, false),
        run(84.0, 693.0, "in relation to a customer before they act.", 11.0, false),
    ]);
    assert!(out.contains("\n\n## 5. Customer Due Diligence\n\n### 5.1 Application of Risk Assessment\n\n"), "{out}");
}

#[test]
fn a_heading_in_a_colour_of_its_own_ends_where_bold_text_in_the_bodys_colour_begins() {
    let green = |r: Run| Run { fill: 0x156a38, ..r };
    let body = "Firms should document their determination in writing and retain it";
    let out = md_beside_body(vec![
        run(57.0, 800.0, body, 11.0, false),
        run(57.0, 786.0, "in accordance with their record keeping policies.", 11.0, false),
        green(run(57.0, 760.0, "TO BE ELIGIBLE FOR INSURANCE UNDER THIS POLICY", 11.0, true)),
        run(57.0, 746.0, "For insurance plans that include Emergency Medical Insurance, you must", 11.0, true),
        run(57.0, 732.0, "be a resident of Canada and covered by a government health plan.", 11.0, true),
        run(57.0, 712.0, body, 11.0, false),
    ]);
    assert!(out.contains("\n\n### TO BE ELIGIBLE FOR INSURANCE UNDER THIS POLICY\n\nFor insurance plans"), "{out}");
}

#[test]
fn items_lettered_in_capitals_after_a_colon_are_items_and_an_initial_after_a_word_is_not() {
    let out = md(vec![
        run(50.0, 800.0, "We will pay up to the amount insured under your selected plan:", 10.0, false),
        run(50.0, 788.0, "A. For the prepaid unused portion of your trip that is non-", 10.0, false),
        run(63.0, 776.0, "refundable and non-transferable to another travel date.", 10.0, false),
        run(50.0, 764.0, "B.", 10.0, false),
        run(63.0, 764.0, "For the next occupancy charge, if your companion cancels.", 10.0, false),
        run(50.0, 752.0, "The method was first described in a paper written by", 10.0, false),
        run(50.0, 740.0, "J. Smith and A. Jones in the spring of that year.", 10.0, false),
    ]);
    assert!(out.contains("selected plan:\n\nA. For the prepaid unused portion"), "{out}");
    assert!(out.contains("travel date.\n\nB. For the next occupancy charge"), "{out}");
    assert!(out.contains("written by J. Smith and A. Jones"), "{out}");
}

#[test]
fn a_heading_set_larger_between_a_tables_rows_in_its_label_column_ends_the_table() {
    let body = "Any amounts payable under these extra covers do not apply in addition to the insured amount.";
    let mut runs = vec![run(42.5, 800.0, "1. Included damage to rented buildings", 11.0, false)];
    let row = |y: f32, label: &str, text: &str| vec![run(48.0, y, label, 10.0, false), run(166.0, y, text, 9.0, false)];
    runs.extend(row(780.0, "What we cover", "We will pay for damage to the buildings you occupy as a tenant."));
    runs.extend(row(760.0, "What we exclude", "We will not pay more than $5,000 for any one claim."));
    runs.push(run(42.5, 735.0, "2. Temporary protection", 11.0, false));
    runs.extend(row(715.0, "What we cover", "We will pay the costs of temporary protection of the building."));
    runs.extend(row(695.0, "What we exclude", "We will not pay more than $5,000 for any one claim."));
    runs.extend((0..4).map(|k| run(42.5, 670.0 - 11.0 * k as f32, body, 9.0, false)));
    let out = md(runs);
    assert!(out.contains("# 2. Temporary protection\n\n"), "{out}");
    assert!(!out.contains("exclude 2."), "{out}");
}

#[test]
fn two_lists_side_by_side_are_read_one_after_the_other_and_a_line_across_them_after_both() {
    let mut runs = vec![run(32.6, 560.0, "Under the BUILDINGS SECTION we will not cover:", 8.9, false)];
    let item = |x: f32, y: f32, text: &str| vec![run(x, y, "●", 4.5, false), run(x + 14.2, y, text, 8.9, false)];
    runs.extend(item(32.6, 542.0, "the excess(es) shown on your schedule (no excess applies"));
    runs.extend(item(302.6, 542.0, "anything set out in the GENERAL EXCLUSIONS section of"));
    runs.push(run(46.8, 531.0, "to Emergency access and Liability to the public).", 8.9, false));
    runs.push(run(316.8, 531.0, "this policy booklet.", 8.9, false));
    runs.extend(item(32.6, 520.0, "damage by wet or dry rot arising from any cause, except"));
    runs.push(run(46.8, 509.0, "as a direct result of a claim we have already paid.", 8.9, false));
    runs.push(run(
        32.6,
        495.0,
        "These exclusions apply in addition to the general exclusions of this policy booklet.",
        8.9,
        false,
    ));
    let out = md(runs);
    assert!(
        out.contains(
            "- the excess(es) shown on your schedule (no excess applies to Emergency access and Liability to the \
             public).\n\n- damage by wet or dry rot arising from any cause, except as a direct result of a claim we \
             have already paid.\n\n- anything set out in the GENERAL EXCLUSIONS section of this policy booklet.\n\n\
             These exclusions apply"
        ),
        "{out}"
    );
}

#[test]
fn a_bullet_set_in_the_text_column_of_a_list_with_hanging_bullets_is_an_item_of_its_own() {
    let mut runs =
        vec![run(57.1, 560.0, "Firms should also retain records in relation to the following:", 11.2, false)];
    for (y, text) in [(538.0, "Minutes of Board meetings;"), (523.0, "Evidence of all matters requiring approval;")] {
        runs.extend([run(57.1, y, "•", 11.2, false), run(78.1, y, text, 11.2, false)]);
    }
    runs.push(run(79.6, 508.0, "• Training; and", 11.2, false));
    runs.extend([run(57.1, 493.0, "•", 11.2, false), run(78.1, 493.0, "Ongoing monitoring.", 11.2, false)]);
    let out = md(runs);
    assert!(
        out.contains("- Evidence of all matters requiring approval;\n\n- Training; and\n\n- Ongoing monitoring."),
        "{out}"
    );
}

#[test]
fn a_bold_line_under_a_sentence_cut_off_mid_phrase_goes_on_with_it_and_after_a_full_stop_heads() {
    let out = md_beside_body(vec![
        run(27.0, 800.0, "The following conditions apply to the BUILDINGS and", 11.0, false),
        run(27.0, 786.0, "ACCIDENTAL DAMAGE COVER TO BUILDINGS SECTIONS", 11.0, true),
        run(
            27.0,
            764.0,
            "At all times the sum insured must be at least equal to the full cost of rebuilding.",
            11.0,
            false,
        ),
        run(27.0, 750.0, "The buildings must be kept in a good state of repair at all times.", 11.0, false),
        run(27.0, 736.0, "UNOCCUPIED BUILDINGS", 11.0, true),
        run(27.0, 722.0, "You must tell us if the home is to be left unoccupied for more than 60 days.", 11.0, false),
    ]);
    assert!(out.contains("apply to the BUILDINGS and ACCIDENTAL DAMAGE COVER TO BUILDINGS SECTIONS\n\n"), "{out}");
    assert!(out.contains("### UNOCCUPIED BUILDINGS\n\n"), "{out}");
}

#[test]
fn a_notes_short_last_line_under_two_columns_is_read_with_the_note_not_in_the_first_column() {
    let left = "Our claims managers offer help and advice around the clock";
    let right = "Having the right information to hand will help us to move";
    let mut runs = Vec::new();
    for k in 0..8 {
        let y = 800.0 - 11.0 * k as f32;
        runs.push(run(27.0, y, left, 9.0, false));
        runs.push(run(317.0, y, right, 9.0, false));
    }
    runs.push(run(61.0, 700.0, "Please remember – in the same way that your car insurance does not pay to repair your car if it rusts, this policy won't cover wear and tear,", 8.0, false));
    runs.push(run(61.0, 690.0, "ageing or breakdowns.", 8.0, false));
    let out = md(runs);
    assert!(out.contains("won't cover wear and tear, ageing or breakdowns."), "{out}");
    assert!(out.find(left).unwrap() < out.find(right).unwrap(), "{out}");
}

#[test]
fn a_letter_o_set_as_a_bullet_before_a_tab_opens_an_item_and_the_word_o_does_not() {
    let mut runs = vec![
        run(57.0, 800.0, "•", 11.0, false),
        run(78.0, 800.0, "Has political connections, for example:", 11.0, false),
    ];
    for (y, text) in [
        (785.0, "the customer is a Politically Exposed Person; or"),
        (770.0, "One of the customer's directors is a PEP;"),
    ] {
        runs.push(Run { end_x: 78.1, ..run(71.3, y, "o", 11.0, false) });
        runs.push(run(85.6, y, text, 11.0, false));
    }
    runs.push(run(57.0, 750.0, "El cliente debe presentar su pasaporte vigente", 11.0, false));
    runs.push(Run { end_x: 63.0, ..run(57.0, 736.0, "o", 11.0, false) });
    runs.push(run(66.0, 736.0, "un documento de identidad nacional.", 11.0, false));
    let out = md(runs);
    assert!(
        out.contains("for example:\n\n- the customer is a Politically Exposed Person; or\n\n- One of the"),
        "{out}"
    );
    assert!(out.contains("pasaporte vigente o un documento"), "{out}");
}

#[test]
fn columns_cut_off_by_a_rule_go_on_in_the_box_below_too_short_to_show_them() {
    // A policy's "What is insured" beside "What is not insured", a rule under each cover.
    let l = |y: f32, text: &str| run(42.0, y, text, 8.5, false);
    let r = |y: f32, text: &str| run(215.0, y, text, 8.5, false);
    let mut runs = vec![
        run(42.0, 700.0, "What is insured", 8.5, true),
        run(215.0, 700.0, "What is not insured", 8.5, true),
        l(688.0, "18. Extended accidental damage."),
        l(676.0, "The buildings are insured against"),
        l(664.0, "any accidental damage in addition"),
        l(652.0, "to the events under paragraphs 1"),
        l(640.0, "to 14 of this section."),
        r(688.0, "Loss or damage caused by wear"),
        r(676.0, "and tear or gradual deterioration,"),
        r(664.0, "insects, vermin, corrosion, rot,"),
        r(652.0, "mildew, fungus, or by chewing,"),
        r(640.0, "scratching or fouling by pets."),
        r(628.0, "The first 250 of each incident."),
    ];
    runs.extend([
        l(600.0, "19. Trace and Access."),
        r(600.0, "Loss or damage:"),
        l(588.0, "We will pay up to 750 to remove"),
        l(576.0, "or replace any part of the home"),
        l(564.0, "needed to repair any installation"),
        l(552.0, "from which water has escaped."),
        r(588.0, "• to the item which leaked"),
        r(576.0, "• caused after the home is left"),
        r(564.0, "  unfurnished for 30 days."),
    ]);
    let rules = vec![rule(40.0, 615.0, 380.0, 615.0)];
    let page = |runs: Vec<Run>, rules: Vec<Rule>| {
        resolve_line_hyphens(
            pages_to_markdown(vec![PageText { runs, rules, panels: Vec::new(), width: 420.0 }]).remove(0),
        )
    };
    let out = page(runs.clone(), rules.clone());
    assert!(
        out.contains("We will pay up to 750 to remove or replace any part of the home needed to repair any installation from which water has escaped.\n\nLoss or damage:"),
        "{out}"
    );
    assert!(
        out.contains("- to the item which leaked\n\n- caused after the home is left unfurnished for 30 days."),
        "{out}"
    );
    // The box above reads its own columns as it did.
    assert!(out.contains("to 14 of this section.\n\n"), "{out}");
    // Where the box below keeps to other edges (a table's), it is read as it stands.
    for run in runs.iter_mut().filter(|r| r.y < 610.0 && r.x > 200.0) {
        run.x += 30.0;
        run.end_x += 30.0;
    }
    let out = page(runs, rules);
    assert!(!out.contains("from which water has escaped.\n\nLoss or damage:"), "{out}");
}

#[test]
fn a_line_that_goes_on_with_the_sentence_above_is_text_however_many_pages_it_closes() {
    // Each cover ends "The first €250 of each incident of loss" / "or damage.", and a page's
    // last cover ends the page: a closing line repeated page after page, but no running foot.
    let covers = [
        ("Storm or flood.", "Storm or flood damage to fences, gates and any"),
        ("Escape of water.", "The first €250 of each incident of loss"),
        ("Theft or attempted theft.", "Theft from any outbuilding, or any loss"),
        ("Falling trees.", "The cost of removing the fallen tree, or loss"),
    ];
    let page = |(cover, last): &(&str, &str)| PageText {
        runs: vec![
            run(72.0, 700.0, cover, 10.0, false),
            run(72.0, 680.0, last, 10.0, false),
            run(72.0, 668.0, "or damage.", 10.0, false),
        ],
        rules: Vec::new(),
        panels: Vec::new(),
        width: 595.0,
    };
    let md = pages_to_markdown(covers.iter().map(page).collect());
    for (n, page) in md.iter().enumerate() {
        assert!(page.contains(" or damage."), "page {n}: {page}");
    }
    // A running foot wrapped onto a second line is furniture all the same.
    let footed = |(cover, last): &(&str, &str)| {
        let mut p = page(&(cover, last));
        p.runs.push(run(72.0, 52.0, "Any line marked with a #", 8.0, false));
        p.runs.push(run(72.0, 42.0, "is for Official Use Only", 8.0, false));
        p
    };
    for (n, page) in pages_to_markdown(covers.iter().map(footed).collect()).iter().enumerate() {
        assert!(page.contains(" or damage."), "page {n}: {page}");
        assert!(!page.contains("Official"), "page {n}: {page}");
    }
}

#[test]
fn a_cover_with_nothing_beside_it_keeps_the_columns_for_the_covers_below() {
    let l = |y: f32, text: &str| run(42.0, y, text, 8.5, false);
    let r = |y: f32, text: &str| run(215.0, y, text, 8.5, false);
    let runs = vec![
        l(700.0, "3. Utilities extension."),
        l(688.0, "Damage to the property of a power"),
        l(676.0, "station, gas works or a water or"),
        l(664.0, "sewerage works caused by an event"),
        l(652.0, "insured under the fire section of"),
        l(640.0, "this policy, as if it were yours."),
        r(700.0, "We will not pay for the first hours"),
        r(688.0, "of any interruption which occurs"),
        r(676.0, "after the loss or damage to the"),
        r(664.0, "property, nor more than a fifth of"),
        r(652.0, "the limit for any one event."),
        // A cover with no exclusion beside it.
        l(600.0, "4. Prevention of access"),
        l(588.0, "Damage that prevents access to your"),
        l(576.0, "premises, in their vicinity."),
        l(540.0, "5. Unspecified suppliers"),
        r(540.0, "We will not pay more than a"),
        l(528.0, "Damage at the premises of any"),
        r(528.0, "fifth of the limit for any event."),
        l(516.0, "supplier of yours in Australia."),
    ];
    let rules = vec![rule(40.0, 620.0, 380.0, 620.0), rule(40.0, 560.0, 380.0, 560.0)];
    let out = resolve_line_hyphens(
        pages_to_markdown(vec![PageText { runs, rules, panels: Vec::new(), width: 420.0 }]).remove(0),
    );
    assert!(
        out.contains("Damage at the premises of any supplier of yours in Australia.\n\nWe will not pay more than a fifth of the limit for any event."),
        "{out}"
    );
}

#[test]
fn a_pages_columns_hold_in_sections_too_short_to_show_them_unless_a_title_starts_a_row() {
    // A policy's "What we cover" beside "What we exclude", ruled off cover by cover: the
    // page shows its columns though no section does.
    let l = |y: f32, text: &str| run(65.0, y, text, 9.0, false);
    let r = |y: f32, text: &str| run(313.0, y, text, 9.0, false);
    let runs = vec![
        run(65.0, 760.0, "What we cover", 9.0, true),
        run(313.0, 760.0, "What we exclude", 9.0, true),
        l(740.0, "7. Landscaping"),
        l(726.0, "We will pay for loss of or damage in the period of"),
        r(726.0, "We will not pay more than $10,000 for each event."),
        l(714.0, "insurance to landscaping at your premises caused by"),
        l(702.0, "fire, explosion, earthquake, impact or riot, and the"),
        l(690.0, "cost of clearing drains, gutters and sewers."),
        l(660.0, "8. Undamaged foundations"),
        l(646.0, "If the building foundations are not damaged but an"),
        r(646.0, "We will not pay for foundations the authority"),
        l(634.0, "authority requires the building to be rebuilt on"),
        r(634.0, "does not require to be left behind on the site."),
        l(622.0, "another site, the foundations count as destroyed."),
    ];
    let rules = vec![rule(60.0, 752.0, 550.0, 752.0), rule(60.0, 675.0, 550.0, 675.0), rule(60.0, 610.0, 550.0, 610.0)];
    let page = |runs: Vec<Run>| {
        let rules = rules.clone();
        resolve_line_hyphens(
            pages_to_markdown(vec![PageText { runs, rules, panels: Vec::new(), width: 595.0 }]).remove(0),
        )
    };
    let out = page(runs.clone());
    assert!(!out.contains("What we cover What we exclude"), "{out}");
    assert!(out.contains("drains, gutters and sewers.\n\nWe will not pay more than $10,000 for each event."), "{out}");
    assert!(
        out.contains("count as destroyed.\n\nWe will not pay for foundations the authority does not require"),
        "{out}"
    );
    // A larger title in the left column under the exclusion starts another cover: the
    // exclusion stays with the cover beside it.
    let mut titled: Vec<Run> = runs.into_iter().filter(|r| r.y > 695.0).collect();
    titled[2] = run(65.0, 740.0, "Landscaping", 10.5, true);
    titled.extend([
        r(714.0, "Nor for plants in pots, nor for lawns that"),
        r(702.0, "storm or flood damages, nor for trees felled."),
        run(65.0, 680.0, "Selling your home", 10.5, true),
        l(666.0, "If you have contracted to sell the buildings, the"),
        l(654.0, "buyer is entitled to the benefit of this insurance."),
        l(642.0, "The sale must be completed within the period."),
    ]);
    let out = page(titled);
    let (excl, next) = (out.find("$10,000").unwrap_or(usize::MAX), out.find("Selling your home").unwrap_or(0));
    assert!(excl < next, "{out}");
}
