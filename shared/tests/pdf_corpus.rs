//! The local parser on real PDFs (corpus/pdf, see its README) and on crafted structure trees:
//! tags followed when usable, the layout heuristics otherwise, text decoded through broken CMaps.
#![allow(clippy::unwrap_used)] // tests: an unwrap that fails is a failed assertion

use doc_ingest::parsing::{DocKind, Limits, Parsed, parse};
use lopdf::{Dictionary, Document, Object, Stream, dictionary};

fn corpus(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/pdf").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parse_with(bytes: &[u8], use_tags: bool) -> Parsed {
    parse(DocKind::Pdf, bytes, &Limits { use_tags, ..Limits::default() }).unwrap()
}

#[test]
fn a_tagged_word_export_gives_its_headings_lists_and_table_from_the_tags() {
    let parsed = parse_with(&corpus("word365_structure.pdf"), true);
    assert_eq!(parsed.parser, "local-tagged");
    let md = &parsed.markdown;
    for line in ["# Titre", "- Liste 2", "| Ligne 1 | Alouette | Farfadet |"] {
        assert!(md.lines().any(|l| l == line), "missing {line:?} in\n{md}");
    }
    // The paragraph after a list is not swallowed by its last item.
    assert!(md.contains("- Liste 3\n\nLorem ipsum dolor sit amet"), "{md}");
    assert_eq!(parse_with(&corpus("word365_structure.pdf"), false).parser, "local");
}

#[test]
fn heading_levels_come_from_the_tags_and_only_repeated_page_furniture_stays_out() {
    let md = parse_with(&corpus("pdf_structure.pdf"), true).markdown;
    for line in ["# Titre 1", "## Titre 2", "### Tableau", "| Chose 1 | Truc 1 |"] {
        assert!(md.lines().any(|l| l == line), "missing {line:?} in\n{md}");
    }
    // The transcript's line numbers are outside the tree without being furniture, and are kept
    // after the tagged text; so is its running head, a pagination artifact that a one-page
    // excerpt says once (the layout path keeps it too).
    let transcript = parse_with(&corpus("scotus-transcript-p1.pdf"), true);
    assert_eq!(transcript.parser, "local-tagged");
    let md = &transcript.markdown;
    let title = md.find("IN THE SUPREME COURT OF THE UNITED STATES").expect("the tagged title");
    assert!(md.find(" 1 2 3 4 5 6 7 8 9 10").is_some_and(|at| at > title), "{md}");
    assert!(md.find("Official - Subject to Final Review").is_some_and(|at| at > title), "{md}");
    // A form number marked as pagination on the first page only.
    assert!(parse_with(&corpus("150109DSP-Milw-505-90D.pdf"), true).markdown.contains("DCF-F-2476-E (R. 04/2014)"));
    // A footer its writer left untagged is still searchable.
    assert!(parse_with(&corpus("pr-138-example.pdf"), true).markdown.contains("Effective as at 9 April 2019"));
}

#[test]
fn a_medicare_fact_sheets_tables_read_as_tables_each_once_on_its_page() {
    // InDesign nests each table in a heading or a paragraph, tags its corner cell as a heading,
    // spans a cell over two rows, and draws each page's facing page beside the media box.
    let parsed = parse_with(&corpus("cms-11219-medicare-enrollment-periods.pdf"), true);
    assert_eq!(parsed.parser, "local-tagged");
    let md = &parsed.markdown;
    assert!(md.contains("| If you... | You can... | Coverage starts... |"), "{md}");
    assert!(md.lines().filter(|l| l.starts_with('#')).all(|l| l.len() < 120), "{md}");
    // Two moves share their answer, one cell spanning both rows: each row reads whole.
    let still = md.lines().find(|l| l.starts_with("| Move to a new address that’s still")).unwrap_or_default();
    assert!(still.contains("| Switch to a new Medicare Advantage Plan"), "{md}");
    let pages: Vec<&str> = md.split("<!-- page ").collect();
    let other_coverage = "You have a chance to enroll in other coverage";
    assert_eq!(md.matches(other_coverage).count(), 1, "{md}");
    assert!(pages[6].starts_with("6 -->") && pages[6].contains(other_coverage), "{}", pages[6]);
}

#[test]
fn a_tagged_rows_cells_are_read_in_the_columns_the_page_shows_them_in() {
    // The WARN report's writer tags the last column's cell second in half the rows, and the
    // market report's its link column first: each value would be read under its neighbour's head.
    let warn = parse_with(&corpus("ca-warn-report.pdf"), true).markdown;
    assert!(
        warn.contains("| Notice Date | Effective | Received | Company | City | No. Of | Layoff/Closure |"),
        "{warn}"
    );
    let notices: Vec<&str> = warn.lines().filter(|l| l.starts_with("| ") && l.contains("/2015 |")).collect();
    assert!(notices.len() > 300, "{warn}");
    for row in notices {
        let last = row.split('|').map(str::trim).rfind(|c| !c.is_empty()).unwrap_or_default();
        assert!(last.contains("Layoff") || last.contains("Closure"), "{row}");
    }
    let market = parse_with(&corpus("ag-energy-round-up-2017-02-24.pdf"), true).markdown;
    assert!(market.contains("| W/E 02/24/17 | Last Week | Year Ago | Internet Report Link |"), "{market}");
    assert!(market.contains("| CME Group Ethanol ($/gal) | 1.5060 | 1.5410 | 1.3960 | CME Group |"), "{market}");
}

#[test]
fn a_table_going_on_past_a_page_break_is_headed_there_by_its_header() {
    // Without it, the next page's first row of values is read as the part's header, and every
    // chunk of that part carries it as its column names.
    let survey = parse_with(&corpus("chelsea_pdta.pdf"), true).markdown;
    let page_60 = survey.split("<!-- page 60 -->").nth(1).unwrap();
    assert!(
        page_60.trim_start().starts_with(
            "| Synthèse des résultats | Toujours | Souvent | Rarement | Jamais | Non applicable |\n| --- |"
        ),
        "{page_60}"
    );
    assert!(page_60.contains("|\n| Pour participer à des activités sociales | 9 | 123 | 81 | 23 | 6 |\n"), "{page_60}");
    // The WARN report's tree makes its title rows the first rows of its table: its header is
    // the first row of names after them.
    let head = "| Notice Date | Effective | Received | Company | City | No. Of | Layoff/Closure |";
    for use_tags in [false, true] {
        let warn = parse_with(&corpus("ca-warn-report.pdf"), use_tags).markdown;
        for page in 2..=14 {
            let text = warn.split(&format!("<!-- page {page} -->")).nth(1).unwrap();
            assert!(text.trim_start().starts_with(head), "tags {use_tags}, page {page}: {text}");
        }
    }
}

#[test]
fn a_partly_tagged_file_uses_the_tags_where_they_cover_the_page() {
    let parsed = parse_with(&corpus("chelsea_pdta.pdf"), true);
    assert_eq!(parsed.parser, "local-partly-tagged");
    // Page 1 is tagged: its title is one paragraph, as the tree has it (the layout splits it
    // into two headings).
    let title = "Plan directeur de transport actif de la municipalité de Chelsea";
    assert!(parsed.markdown.lines().any(|l| l == title), "{}", &parsed.markdown[..400]);
    // Untagged pages still have their text.
    assert!(parsed.markdown.contains("Après ces consultations"));
}

#[test]
fn fonts_whose_cmaps_lopdf_rejects_still_decode_and_ligatures_become_letters() {
    let md = parse_with(&corpus("issue-598-example.pdf"), true).markdown;
    assert!(md.contains("What is Earth Science?"), "{md}");
    assert!(md.contains("the scientific method"), "{md}");
    assert!(!md.contains('\u{FB01}'));
}

#[test]
fn a_tex_fonts_own_encoding_gives_its_ligatures_and_both_columns_read_in_order() {
    let md = parse_with(&corpus("py-pdf-latex-multicolumn.pdf"), true).markdown;
    // "filled" is drawn with the font's code 12, which only its program names (fi).
    assert!(md.contains("two columns filled with Lorem Ipsum text"), "{md}");
    assert!(!md.contains(" lled "), "{md}");
    let left = md.find("Mauris ut leo. Cras viverra metus").expect("the left column");
    let right = md.find("pellentesque ante. Phasellus adipiscing").expect("the right column");
    assert!(left < right, "{md}");
}

#[test]
fn identity_coded_truetype_without_to_unicode_is_read_through_the_fonts_own_cmap() {
    let md = parse_with(&corpus("pdfminer-issue-625-identity-cmap.pdf"), true).markdown;
    for word in ["91-504 Łódź", "Termin płatności", "Wirtualna Polska Media Spółka Akcyjna", "Dokumentacja - żółw"]
    {
        assert!(md.contains(word), "missing {word:?} in\n{md}");
    }
    // Read as if the glyph ids were a standard encoding, "płatności" came out "pBatno[ci".
    assert!(!md.contains("pBatno"), "{md}");
}

/// One page of text under MCID 0, with a structure tree built by `tree`.
fn tagged_pdf(tree: impl FnOnce(&mut Document, lopdf::ObjectId) -> Object) -> Vec<u8> {
    tagged_page(b"/P <</MCID 0>> BDC BT /F1 12 Tf 72 700 Td (Tagged text under a structure tree) Tj ET EMC", tree)
}

/// One page drawn by `content`, with a structure tree built by `tree`.
fn tagged_page(content: &[u8], tree: impl FnOnce(&mut Document, lopdf::ObjectId) -> Object) -> Vec<u8> {
    tagged_pages(&[content.to_vec()], |doc, pages| tree(doc, pages[0]))
}

/// Pages drawn by `contents`, with a structure tree built by `tree` over them.
fn tagged_pages(contents: &[Vec<u8>], tree: impl FnOnce(&mut Document, &[lopdf::ObjectId]) -> Object) -> Vec<u8> {
    tagged_pages_mapped(contents, dictionary! {}, tree)
}

/// As `tagged_pages`, the tree's custom types mapped by `role_map`.
fn tagged_pages_mapped(
    contents: &[Vec<u8>],
    role_map: Dictionary,
    tree: impl FnOnce(&mut Document, &[lopdf::ObjectId]) -> Object,
) -> Vec<u8> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" });
    let pages: Vec<lopdf::ObjectId> = contents
        .iter()
        .map(|content| {
            let content = doc.add_object(Stream::new(dictionary! {}, content.clone()));
            doc.add_object(dictionary! {
                "Type" => "Page", "Parent" => pages_id, "Contents" => content,
                "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
            })
        })
        .collect();
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => pages.iter().map(|p| Object::Reference(*p)).collect::<Vec<_>>(),
            "Count" => pages.len() as i64,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let k = tree(&mut doc, &pages);
    let root = doc.add_object(dictionary! { "Type" => "StructTreeRoot", "K" => k, "RoleMap" => role_map });
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id, "StructTreeRoot" => root });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

#[test]
fn a_tagged_table_over_several_pages_is_read_page_by_page_under_its_head_without_running_heads() {
    // A health plan's benefits chart runs over dozens of pages as one Table, under a running
    // head the writer marked `/Artifact` without calling it pagination: each row must cite the
    // page it is on, and the head is furniture, as is the table's head drawn again as an
    // artifact; an artifact said once (a form's note) is still text.
    let services = ["Acupuncture", "Ambulance", "Chiropractic", "Dental"];
    let contents: Vec<Vec<u8>> = (0..4)
        .map(|p| {
            let mut c = format!(
                "/Artifact BMC BT /F1 9 Tf 72 800 Td (Evidence of Coverage for Acme Classic {} Chapter 4 Benefits) Tj ET EMC ",
                p + 1
            );
            if p == 0 {
                c += "/TH <</MCID 10>> BDC BT /F1 12 Tf 72 740 Td (Service) Tj ET EMC \
                      /TH <</MCID 11>> BDC BT /F1 12 Tf 300 740 Td (You pay) Tj ET EMC ";
            }
            c += &format!(
                "/TD <</MCID 0>> BDC BT /F1 12 Tf 72 700 Td ({} services) Tj ET EMC \
                 /TD <</MCID 1>> BDC BT /F1 12 Tf 300 700 Td (${}0 copayment) Tj ET EMC ",
                services[p],
                p + 1
            );
            if p == 1 {
                c += "/P <</MCID 3>> BDC BT /F1 12 Tf 72 600 Td \
                      (Ambulance services are covered to the nearest hospital that can give the care, by ground, by boat or by air, when any other way would put your health at risk.) Tj ET EMC \
                      /Artifact BMC BT /F1 12 Tf 72 400 Td (Service      You pay) Tj ET EMC ";
            }
            if p == 2 {
                c += "/P <</MCID 2>> BDC BT /F1 12 Tf 72 600 Td \
                      (Chiropractic care is covered when it corrects a subluxation of the spine, up to twelve visits a year.) Tj ET EMC \
                      /Artifact BMC BT /F1 10 Tf 72 400 Td (Keep a copy.) Tj ET EMC ";
            }
            c.into_bytes()
        })
        .collect();
    let bytes = tagged_pages(&contents, |doc, pages| {
        let mut elem = |s: &str, page: lopdf::ObjectId, k: Object| {
            Object::Reference(doc.add_object(dictionary! { "S" => s, "Pg" => page, "K" => k }))
        };
        let head = vec![elem("TH", pages[0], 10.into()), elem("TH", pages[0], 11.into())];
        let mut rows = vec![elem("TR", pages[0], head.into())];
        for page in pages {
            let cells = vec![elem("TD", *page, 0.into()), elem("TD", *page, 1.into())];
            rows.push(elem("TR", *page, cells.into()));
        }
        let table = elem("Table", pages[0], rows.into());
        let (ambulance, note) = (elem("P", pages[1], 3.into()), elem("P", pages[2], 2.into()));
        elem("Div", pages[0], vec![table, ambulance, note].into())
    });
    let parsed = parse_with(&bytes, true);
    assert_eq!(parsed.parser, "local-tagged", "{}", parsed.markdown);
    let md = &parsed.markdown;
    assert!(!md.contains("Evidence of Coverage"), "{md}");
    assert!(md.contains("Keep a copy."), "{md}");
    let pages: Vec<&str> = md.split("<!-- page ").skip(1).collect();
    assert_eq!(pages.len(), 4, "{md}");
    for (p, page) in pages.iter().enumerate() {
        assert!(page.contains("| Service | You pay |"), "page {}: {page}", p + 1);
        assert!(
            page.contains(&format!("| {} services | ${}0 copayment |", services[p], p + 1)),
            "page {}: {page}",
            p + 1
        );
        assert_eq!(page.matches("services |").count(), 1, "page {}: {page}", p + 1);
        assert_eq!(page.matches("You pay").count(), 1, "page {}: {page}", p + 1);
    }
}

#[test]
fn tables_an_indesign_tree_nests_in_a_heading_or_a_paragraph_are_tables_and_the_facing_page_is_not_read() {
    // Medicare's enrollment-period fact sheet: an H2 with no text holds the table and, as an H3
    // of its own, the table's corner cell; a paragraph style holds another table, whose style
    // `Table` the role map sends to `Sect` while its rows are standard. Each page also draws
    // its facing page's text beside the media box, where no viewer shows it.
    let content = b"/H2 <</MCID 0>> BDC BT /F1 16 Tf 72 780 Td (Initial Enrollment Periods) Tj ET EMC \
        /H3 <</MCID 1>> BDC BT /F1 10 Tf 72 740 Td (If you...) Tj ET EMC \
        /TD <</MCID 2>> BDC BT /F1 10 Tf 220 740 Td (You can...) Tj ET EMC \
        /TD <</MCID 3>> BDC BT /F1 10 Tf 400 740 Td (Coverage starts...) Tj ET EMC \
        /TD <</MCID 4>> BDC BT /F1 10 Tf 72 720 Td (Turn 65.) Tj ET EMC \
        /TD <</MCID 5>> BDC BT /F1 10 Tf 220 720 Td (Join a plan.) Tj ET EMC \
        /TD <</MCID 6>> BDC BT /F1 10 Tf 400 720 Td (The month you turn 65.) Tj ET EMC \
        /P <</MCID 7>> BDC BT /F1 10 Tf 72 600 Td (Period) Tj ET EMC \
        /P <</MCID 8>> BDC BT /F1 10 Tf 220 600 Td (You can...) Tj ET EMC \
        /P <</MCID 9>> BDC BT /F1 10 Tf 72 580 Td (Open Enrollment) Tj ET EMC \
        /P <</MCID 10>> BDC BT /F1 10 Tf 220 580 Td (Switch plans.) Tj ET EMC \
        /Artifact BMC BT /F1 10 Tf -540 740 Td (Text of the facing page) Tj ET EMC";
    let roles = dictionary! { "Table" => "Sect", "Column" => "P", "Style" => "P" };
    let bytes = tagged_pages_mapped(&[content.to_vec()], roles, |doc, pages| {
        let page = pages[0];
        let mut elem =
            |s: &str, k: Object| Object::Reference(doc.add_object(dictionary! { "S" => s, "Pg" => page, "K" => k }));
        let title = elem("H2", 0.into());
        let corner = elem("H3", 1.into());
        let head = vec![elem("TD", vec![].into()), elem("TD", 2.into()), elem("TD", 3.into())];
        let row = vec![elem("TD", 4.into()), elem("TD", 5.into()), elem("TD", 6.into())];
        let rows = vec![elem("TR", head.into()), elem("TR", row.into())];
        let table = elem("Table", rows.into());
        let group = elem("H2", vec![corner, table].into());
        let cells: Vec<Object> = (7..=10).map(|m| elem("Column", m.into())).collect();
        let tds: Vec<Object> = cells.into_iter().map(|c| elem("TD", vec![c].into())).collect();
        let mut tds = tds.into_iter();
        let rows: Vec<Object> = (0..2).map(|_| elem("TR", tds.by_ref().take(2).collect::<Vec<_>>().into())).collect();
        let styled = elem("Table", rows.into());
        let paragraph = elem("Style", vec![styled].into());
        elem("Sect", vec![title, group, paragraph].into())
    });
    let parsed = parse_with(&bytes, true);
    assert_eq!(parsed.parser, "local-tagged", "{}", parsed.markdown);
    let md = &parsed.markdown;
    assert!(md.contains("## Initial Enrollment Periods\n"), "{md}");
    assert!(md.contains("| If you... | You can... | Coverage starts... |"), "{md}");
    assert!(md.contains("| Turn 65. | Join a plan. | The month you turn 65. |"), "{md}");
    assert!(!md.contains("# If you"), "{md}");
    assert!(md.contains("| Period | You can... |") && md.contains("| Open Enrollment | Switch plans. |"), "{md}");
    assert!(!md.contains("facing page"), "{md}");
    assert!(!parse_with(&bytes, false).markdown.contains("facing page"));
}

#[test]
fn a_cyclic_or_very_deep_structure_tree_falls_back_to_the_layout_in_bounded_time() {
    let cyclic = tagged_pdf(|doc, page| {
        let id = doc.new_object_id();
        let elem = dictionary! { "S" => "Sect", "Pg" => page, "K" => vec![Object::Integer(0), Object::Reference(id)] };
        doc.objects.insert(id, Object::Dictionary(elem));
        Object::Reference(id)
    });
    let deep = tagged_pdf(|doc, page| {
        let mut kid = Object::Integer(0);
        for _ in 0..10_000 {
            let elem: Dictionary = dictionary! { "S" => "Div", "Pg" => page, "K" => kid };
            kid = Object::Reference(doc.add_object(elem));
        }
        kid
    });
    let sound = tagged_pdf(|doc, page| {
        let p = doc.add_object(dictionary! { "S" => "H1", "Pg" => page, "K" => 0 });
        Object::Reference(p)
    });
    let started = std::time::Instant::now();
    for (bytes, parser) in [(cyclic, "local"), (deep, "local")] {
        let parsed = parse_with(&bytes, true);
        assert_eq!(parsed.parser, parser);
        assert!(parsed.markdown.contains("Tagged text under a structure tree"));
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let parsed = parse_with(&sound, true);
    assert_eq!(parsed.parser, "local-tagged");
    assert!(parsed.markdown.lines().any(|l| l == "# Tagged text under a structure tree"), "{}", parsed.markdown);
}

#[test]
fn a_tables_caption_and_the_notes_nested_in_it_are_read_around_its_rows() {
    // A Table may hold a Caption, and Excel nests a sheet's charts and text boxes in its one
    // Table: text the tree does mark, which used to be skipped, so the page fell to the layout.
    let content = b"/Caption <</MCID 0>> BDC BT /F1 12 Tf 72 740 Td (Premiums by state) Tj ET EMC \
        /TD <</MCID 1>> BDC BT /F1 12 Tf 72 700 Td (Iowa) Tj ET EMC \
        /TD <</MCID 2>> BDC BT /F1 12 Tf 200 700 Td (1.35) Tj ET EMC \
        /P <</MCID 3>> BDC BT /F1 12 Tf 72 660 Td (Source: weekly survey of state regulators) Tj ET EMC";
    let bytes = tagged_page(content, |doc, page| {
        let mut elem =
            |s: &str, k: Object| Object::Reference(doc.add_object(dictionary! { "S" => s, "Pg" => page, "K" => k }));
        let caption = elem("Caption", 0.into());
        let (state, price) = (elem("TD", 1.into()), elem("TD", 2.into()));
        let row = elem("TR", vec![state, price].into());
        let text_box = elem("P", 3.into());
        let chart = elem("Chart", vec![text_box].into());
        elem("Table", vec![caption, row, chart].into())
    });
    let parsed = parse_with(&bytes, true);
    assert_eq!(parsed.parser, "local-tagged", "{}", parsed.markdown);
    let md = &parsed.markdown;
    let at = |s: &str| md.find(s).unwrap_or_else(|| panic!("missing {s:?} in\n{md}"));
    assert!(at("Premiums by state") < at("| Iowa | 1.35 |"), "{md}");
    assert!(at("| Iowa | 1.35 |") < at("Source: weekly survey of state regulators"), "{md}");
}

#[test]
fn a_paragraph_tagged_in_pieces_reads_as_one_where_the_page_shows_one() {
    // IRS forms end a P at each link and go on in the next one; a Wikipedia export sets each
    // link beside its sentence. Pieces on one line a space apart, or a sentence going on at the
    // next line's start, are one paragraph; a title, a one-line code, a form's next box are not.
    let content = b"BT /F1 12 Tf 14 TL 72 700 Td \
        /P <</MCID 0>> BDC (Claims may be filed online through the insurer's ) Tj EMC \
        /Link <</MCID 1>> BDC (claims portal) Tj EMC \
        /P <</MCID 2>> BDC ( or by mail, and the) Tj EMC \
        T* /P <</MCID 3>> BDC (receipt is kept until the claim is settled.) Tj EMC \
        T* T* /P <</MCID 4>> BDC (Premiums are due on the first day of each month, and a) Tj \
        T* (grace period of thirty days applies to each of them, after) Tj EMC \
        T* /P <</MCID 5>> BDC (Insurer may cancel the policy.) Tj EMC \
        T* T* /P <</MCID 6>> BDC (Claims Office) Tj EMC \
        T* /P <</MCID 7>> BDC (Send every form to the address below.) Tj EMC \
        T* /P <</MCID 8>> BDC (A-Accident to the insured vehicle while parked on a public road) Tj EMC \
        T* /P <</MCID 9>> BDC (B-Burglary) Tj EMC \
        T* T* /P <</MCID 10>> BDC (15 State) Tj EMC /P <</MCID 11>> BDC [-1000 (Employer's state ID number)] TJ EMC \
        ET";
    let bytes = tagged_page(content, |doc, page| {
        let kids: Vec<Object> = (0..12)
            .map(|m| {
                let s = if m == 1 { "Link" } else { "P" };
                Object::Reference(doc.add_object(dictionary! { "S" => s, "Pg" => page, "K" => m }))
            })
            .collect();
        Object::Reference(doc.add_object(dictionary! { "S" => "Div", "Pg" => page, "K" => kids }))
    });
    let parsed = parse_with(&bytes, true);
    assert_eq!(parsed.parser, "local-tagged", "{}", parsed.markdown);
    let md = &parsed.markdown;
    for whole in [
        "Claims may be filed online through the insurer’s claims portal or by mail, and the receipt is kept until the claim is settled.",
        "to each of them, after Insurer may cancel the policy.",
        "Claims Office\n\nSend every form",
        "public road\n\nB-Burglary",
        "15 State\n\nEmployer’s state ID number",
    ] {
        assert!(md.contains(whole), "missing {whole:?} in\n{md}");
    }
}

#[test]
fn a_paragraph_of_many_thousand_tagged_pieces_is_read_in_bounded_time() {
    // Each letter its own Span, siblings in a Div, all one paragraph by the page: joining them
    // must not read the paragraph again for each piece.
    // Small print, so that all of it is on the page.
    let mut content = b"BT /F1 2 Tf 3 TL 36 800 Td ".to_vec();
    let pieces = 20_000;
    for m in 0..pieces {
        content.extend_from_slice(format!("/Span <</MCID {m}>> BDC (w) Tj EMC ").as_bytes());
        if m % 300 == 299 {
            content.extend_from_slice(b"T* ");
        }
    }
    content.extend_from_slice(b"ET");
    let bytes = tagged_page(&content, |doc, page| {
        let kids: Vec<Object> = (0..pieces)
            .map(|m| Object::Reference(doc.add_object(dictionary! { "S" => "Span", "Pg" => page, "K" => m })))
            .collect();
        Object::Reference(doc.add_object(dictionary! { "S" => "Div", "Pg" => page, "K" => kids }))
    });
    let started = std::time::Instant::now();
    let parsed = parse_with(&bytes, true);
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(parsed.parser, "local-tagged");
    assert_eq!(parsed.markdown.matches('w').count(), pieces as usize);
}

#[test]
fn a_filled_in_fields_value_neither_costs_a_tagged_page_its_tree_nor_is_lost() {
    // The tree reaches a field through its annotation (an /OBJR), never by MCID: its value,
    // longer than the page's tagged text, must not count as text the tree failed to cover.
    let bytes = tagged_pdf(|doc, page| {
        let font = doc.add_object(dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" });
        let value = doc.add_object(Stream::new(
            dictionary! {
                "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 400.into(), 20.into()],
                "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
            },
            b"/Tx BMC BT /F1 10 Tf 2 5 Td (Insured: Harbour Freight Logistics of Northern Ontario Limited) Tj ET EMC"
                .to_vec(),
        ));
        let widget = doc.add_object(dictionary! {
            "Subtype" => "Widget", "FT" => "Tx", "P" => page,
            "Rect" => vec![72.into(), 640.into(), 472.into(), 660.into()], "AP" => dictionary! { "N" => value },
        });
        if let Ok(Object::Dictionary(p)) = doc.get_object_mut(page) {
            p.set("Annots", vec![Object::Reference(widget)]);
        }
        Object::Reference(doc.add_object(dictionary! { "S" => "H1", "Pg" => page, "K" => 0 }))
    });
    let parsed = parse_with(&bytes, true);
    assert_eq!(parsed.parser, "local-tagged", "{}", parsed.markdown);
    assert!(parsed.markdown.lines().any(|l| l == "# Tagged text under a structure tree"), "{}", parsed.markdown);
    assert!(
        parsed.markdown.contains("Insured: Harbour Freight Logistics of Northern Ontario Limited"),
        "{}",
        parsed.markdown
    );
}

#[test]
fn right_aligned_table_numbers_stay_apart_and_in_their_row() {
    // Cells spaced by a large character spacing that TJ offsets cancel inside each number.
    let nics = parse_with(&corpus("nics-background-checks-2015-11.pdf"), false).markdown;
    assert!(nics.contains("1,772") && nics.contains("1,796"), "{nics}");
    assert!(!nics.contains("01,7721,796"));
    // Ruled every fifth state: one row per state, not five states to a cell.
    assert!(nics.contains("\n| Alabama | 18,870 | 23,022 | 22,650 |"), "{nics}");
    assert!(nics.contains("\n| Alaska | 209 | 3,062 | 3,209 |"), "{nics}");
    // A ledger on a page shown turned (/Rotate 90), ruled by columns only: its head in order and
    // one row per entry, an entry's wrapped description in its cell.
    let senate = parse_with(&corpus("senate-expenditures.pdf"), false).markdown;
    assert!(senate.contains("| DOCUMENT NO. | DATE POSTED | PAYEE NAME |"), "{senate}");
    assert!(senate.contains("\n|  |  | BAIN, J MATTHEW |  |  | DISTRICT DIRECTOR | 37,499.96 |\n"), "{senate}");
    assert!(
        senate.contains(
            "\n| DHAW20190001 | 05/03/2019 | CITIBANK - TRAVEL CBA CARD | 03/04/2019 | 03/06/2019 | STAFF \
             TRANSPORTATION AIRFARE FOR E JOHNSON KANSAS CITY TO WASHINGTON DC AND RETURN | 920.68 |\n"
        ),
        "{senate}"
    );
    // One TJ jumps from a name to its count; the party is drawn later, between them.
    let bulletin = parse_with(&corpus("la-precinct-bulletin-2014-p1.pdf"), false).markdown;
    assert!(bulletin.contains("NEEL KASHKARI REP 247"), "{bulletin}");
    assert!(!bulletin.contains("247REP"));
}

#[test]
fn text_an_indesign_file_marks_as_layout_artifacts_is_kept_and_its_tagged_headings_guide_the_layout() {
    // The worksheet's form lines are untagged "layout" artifacts, not pagination: the tree does
    // not cover the pages, so the layout reads them, with the tree's headings.
    let worksheet = parse_with(&corpus("cfpb-monthly_payment_worksheet.pdf"), true);
    assert_eq!(worksheet.parser, "local-partly-tagged");
    let md = &worksheet.markdown;
    assert!(md.contains("Groceries") && md.contains("child care"), "{md}");
    assert!(md.lines().any(|l| l == "# MONTHLY PAYMENT WORKSHEET"), "{md}");
    // A bold form label outside the tree is not a heading where the tree names the headings.
    assert!(!md.lines().any(|l| l.starts_with('#') && l.contains("Living & other expenses")), "{md}");
    // The introduction and its sidebar box, side by side, are two paragraphs, not a table.
    for use_tags in [true, false] {
        let md = parse_with(&corpus("cfpb-monthly_payment_worksheet.pdf"), use_tags).markdown;
        assert!(md.contains("comfortable spending on a home."), "{md}");
        assert!(md.lines().any(|l| l == "This worksheet is designed for first-time home buyers."), "{md}");
        // The two forms side by side are read one after the other, each label with its field.
        let at = |text: &str| md.find(text).unwrap_or_else(|| panic!("{text} in {md}"));
        assert!(at("F Total monthly take-home income: $") < at("G Rent: $"), "{md}");
        assert!(md.lines().any(|l| l == "C Total monthly pre-tax income: $"), "{md}");
    }
}

#[test]
fn a_figure_anchored_in_a_heading_is_not_heading_text() {
    let md = parse_with(&corpus("cfpb-mortgage_closing_forms.pdf"), true).markdown;
    let headings: Vec<&str> = md.lines().filter(|l| l.starts_with('#')).collect();
    assert!(headings.contains(&"## Breaking down the form"), "{headings:#?}");
    assert!(headings.iter().all(|h| h.len() < 120), "{headings:#?}");
    assert!(headings.contains(&"## Promissory Note 1"), "{headings:#?}");
    // The sample note drawn in the figure is still there, as text, its symbol-area code points
    // shifted back to letters.
    assert!(md.contains("BORROWER’S PROMISE TO PAY"), "{md}");
    assert!(md.contains("INITIAL ESCROW ACCOUNT DISCLOSURE STATEMENT"), "{md}");
}

#[test]
fn a_chart_label_drawn_over_itself_reads_once() {
    // Chelsea's pie chart draws "1" four times where it then draws "10%": read as separate text,
    // the label was "111110%".
    for use_tags in [true, false] {
        let md = parse_with(&corpus("chelsea_pdta.pdf"), use_tags).markdown;
        assert!(md.contains("District 5 10% 10%"), "tags {use_tags}");
        assert!(!md.contains("1110%"), "tags {use_tags}");
    }
}

#[test]
fn a_font_set_inside_q_does_not_outlive_its_q_and_a_step_back_along_a_line_breaks_words() {
    // Chelsea draws a line after `Q` with the font from before the `q`; the font set inside the
    // block, had it leaked, widened every glyph and glued words ("reliésau", "de t ransport").
    for use_tags in [true, false] {
        let md = parse_with(&corpus("chelsea_pdta.pdf"), use_tags).markdown;
        for phrase in ["projets de développement de transport actif (ex. : plan", "reliés au transport actif"] {
            assert!(md.contains(phrase), "tags {use_tags}: missing {phrase:?}");
        }
        assert!(!md.contains("reliésau"));
    }
    // The sample form's tagged text draws "Form Approved" right of the title, then the title.
    let forms = parse_with(&corpus("cfpb-mortgage_closing_forms.pdf"), true).markdown;
    assert!(forms.contains("Form Approved UNITED STATES DEPARTMENT OF AGRICULTURE"), "{forms}");
}

#[test]
fn ordinals_set_as_superscripts_and_compounds_broken_at_a_line_end_read_whole() {
    for use_tags in [true, false] {
        let warn = parse_with(&corpus("ca-warn-report.pdf"), use_tags).markdown;
        assert!(warn.contains("updated on the 10th and 25th of each month"), "tags {use_tags}");
    }
    // The Federal Register writes "FAA-approved" and "non-normal" whole elsewhere; where a line
    // breaks them at their hyphen it stays.
    let register = parse_with(&corpus("federal-register-2020-17221.pdf"), false).markdown;
    assert!(register.contains("existing FAA-approved MEL") && !register.contains("FAAapproved"));
    assert!(!register.contains("nonnormal"));
}

#[test]
fn a_first_page_masthead_and_a_page_number_atop_a_column_do_not_cut_a_sentence() {
    let register = parse_with(&corpus("federal-register-2020-17221.pdf"), false).markdown;
    for sentence in [
        "reference a specific portion of the proposal, explain the reason",
        "must be resolved following the operator’s FAA-approved maintenance",
    ] {
        assert!(register.contains(sentence), "missing {sentence:?}");
    }
    assert!(register.contains("Thursday, August 6, 2020"));
}

#[test]
fn a_sample_form_shown_as_a_stack_of_sheets_reads_its_top_sheet_whole() {
    // Each sheet's white page is filled over the one before; read through, their lines mixed
    // word by word ("REQUIREDmay owe", "Lendee").
    for use_tags in [true, false] {
        let md = parse_with(&corpus("cfpb-mortgage_closing_forms.pdf"), use_tags).markdown;
        assert!(
            md.contains("6. BORROWER’S FAILURE TO PAY AS REQUIRED (A) Late Charge for Overdue Payments"),
            "tags {use_tags}: {md}"
        );
        assert!(!md.contains("REQUIREDmay") && !md.contains("Lendee"), "tags {use_tags}: {md}");
        // The covered text is kept, after the page's own.
        assert!(md.contains("3. PAYMENTS (A) Time and Place of Payments"), "tags {use_tags}: {md}");
    }
}

#[test]
fn notes_beside_a_sample_form_in_small_print_are_read_as_a_column() {
    // The sample's 4.5 pt baselines are dense enough to meet the notes' by chance; the notes are
    // set at 11 pt, so the two are not one table's columns.
    for use_tags in [true, false] {
        let md = parse_with(&corpus("cfpb-mortgage_closing_forms.pdf"), use_tags).markdown;
        assert!(md.lines().any(|l| l == "1. Total amount of money you are borrowing."), "tags {use_tags}: {md}");
        assert!(
            md.contains("2. This is your interest rate. If you have an adjustable rate mortgage, this is your initial"),
            "tags {use_tags}: {md}"
        );
    }
}

#[test]
fn a_running_head_split_by_the_gutter_is_furniture_and_form_boxes_are_read_one_by_one() {
    let w9 = parse_with(&corpus("irs-fw9-2024-03.pdf"), false).markdown;
    // "Page 2" atop the right column used to be a heading cutting a sentence at every page.
    assert!(!w9.contains("## Page"), "{w9}");
    assert!(w9.contains("should be reported. For example, if a foreign LLC"), "{w9}");
    // The title block's three boxes, each whole, instead of their lines interleaved.
    assert!(w9.contains("# Request for Taxpayer Identification Number and Certification"), "{w9}");
    assert!(w9.contains("Give form to the requester. Do not send to the IRS."), "{w9}");
    // The margin note set sideways is one line, not a bold phrase of it made a heading.
    assert!(w9.contains("\nSee Specific Instructions on page 3.\n"), "{w9}");
    assert!(!w9.contains("### Specific Instructions"), "{w9}");
    let w4 = parse_with(&corpus("irs-fw4-2025.pdf"), false).markdown;
    // A section's label column ("Step 2: / Multiple Jobs / or Spouse / Works") before its text.
    assert!(w4.contains("### Step 2: Multiple Jobs or Spouse Works\n\nComplete this step if you (1) hold"), "{w4}");
    assert!(w4.contains("### Step 3: Claim Dependent and Other Credits"), "{w4}");
    // A worksheet's bold title with its plain note in parentheses.
    assert!(w4.contains("\n### Step 4(b)—Deductions Worksheet (Keep for your records.)\n"), "{w4}");
    // The rate tables, ruled every third row and open at the left, read one row per line.
    assert!(w4.contains("\n| $20,000 - 29,999 | 700 | 1,700 | 2,760 | 3,110 |"), "{w4}");
    assert!(!w4.contains("### Higher Paying Job"), "{w4}");
    // A two-page form's head with its page number ("Form 1040 (2024) … Page 2") is furniture.
    let f1040 = parse_with(&corpus("irs-f1040-2024.pdf"), false).markdown;
    assert!(!f1040.contains("Page 2"), "{f1040}");
    // "Form" set sideways beside "1040" is a word of its own; the department's small print
    // above the title is not a superscript of it.
    assert!(f1040.contains("# Form 1040 U.S. Individual Income Tax Return\n"), "{f1040}");
    // Its line items, beside amount boxes that touch the dependents table, are lines with their
    // numbers, not a grid of leader dots with the numbers gathered after the section.
    assert!(!f1040.contains("| . |"), "{f1040}");
    assert!(f1040.contains("| 24 | Add lines 22 and 23. This is your total tax . ."), "{f1040}");
    // Lettered lines each on their own, not one paragraph of lines 1a to 1z.
    assert!(f1040.contains("\n\nb Household employee wages not reported on Form(s) W-2 . ."), "{f1040}");
    assert!(f1040.contains("\n\nz Add lines 1a through 1h . ."), "{f1040}");
    assert!(f1040.contains("| 2a | Tax-exempt interest . . . | 2a | b Taxable interest . . . . . | 2b |"), "{f1040}");
}

/// A titled section of a policy wording: an 18-point title over three lines of 10-point body.
const SECTION: &[u8] = b"/P <</MCID 0>> BDC BT /F1 18 Tf 72 760 Td (Claims procedures) Tj ET EMC \
    /P <</MCID 1>> BDC BT /F1 10 Tf 72 730 Td (You must not negotiate, admit or deny any claim without our) Tj \
    0 -12 Td (written permission. When an event happens that is likely to result in a claim you) Tj \
    0 -12 Td (must tell us at once and send us every writ or summons you receive.) Tj ET EMC \
    /P <</MCID 2>> BDC BT /F1 10 Tf 72 670 Td (Premium funders may hold a legal right over the policy.) Tj ET EMC";

#[test]
fn a_tree_holding_a_pages_text_loose_in_one_part_leaves_the_page_to_the_layout() {
    // Acrobat's "make accessible" pass on an AA policy wording: one `Part` per page holding
    // its marks directly, title and body alike. Read from the tree, each page was one
    // paragraph ("… contact numbers Useful contact numbers When calling us …").
    let bytes = tagged_page(SECTION, |doc, page| {
        let marks: Vec<Object> = (0..3).map(Object::Integer).collect();
        Object::Reference(doc.add_object(dictionary! { "S" => "Part", "Pg" => page, "K" => marks }))
    });
    let parsed = parse_with(&bytes, true);
    assert_eq!(parsed.parser, "local", "{}", parsed.markdown);
    let md = &parsed.markdown;
    assert!(md.lines().any(|l| l.starts_with('#') && l.ends_with(" Claims procedures")), "{md}");
    assert!(md.contains("\n\nYou must not negotiate"), "{md}");
    // Chrome holds each paragraph loose in a `NonStruct` of its own: that is structure.
    let bytes = tagged_page(SECTION, |doc, page| {
        let mut elem =
            |s: &str, k: Object| Object::Reference(doc.add_object(dictionary! { "S" => s, "Pg" => page, "K" => k }));
        let paragraphs: Vec<Object> = (0..3).map(|m| elem("NonStruct", m.into())).collect();
        elem("Document", paragraphs.into())
    });
    assert_eq!(parse_with(&bytes, true).parser, "local-tagged");
}

/// A policy's exclusions in one style: clauses and list items set apart by empty lines.
const CLAUSES: &[u8] = b"/P <</MCID 0>> BDC BT /F1 10 Tf 72 760 Td ((b) Damage caused by or consisting of) Tj \
    0 -12 Td ((i) corrosion, rust or rot, shrinkage or loss of weight) Tj \
    0 -12 Td ((ii) a change in temperature, colour, flavour or texture) Tj ET EMC \
    /P <</MCID 1>> BDC BT /F1 10 Tf 72 712 Td (However, we will pay for damage not otherwise excluded.) Tj ET EMC \
    /P <</MCID 2>> BDC BT /F1 10 Tf 72 688 Td ((c) Damage caused by pollution or contamination) Tj ET EMC";

#[test]
fn a_tree_holding_a_pages_clauses_loose_in_one_part_leaves_the_page_to_the_layout() {
    // A business policy wording (43 pages, Acrobat): one `Part` per page holding its marks
    // directly, all in one style. Read from the tree, each page was one paragraph of its
    // clauses and list items ("… (iv) mechanical breakdown … However, We will … (c) Damage …").
    let part = |marks: i64| {
        move |doc: &mut Document, page: lopdf::ObjectId| {
            let marks: Vec<Object> = (0..marks).map(Object::Integer).collect();
            Object::Reference(doc.add_object(dictionary! { "S" => "Part", "Pg" => page, "K" => marks }))
        }
    };
    let parsed = parse_with(&tagged_page(CLAUSES, part(3)), true);
    assert_eq!(parsed.parser, "local", "{}", parsed.markdown);
    let md = &parsed.markdown;
    assert!(md.contains("\n\nHowever, we will pay") && md.contains("\n\n(c) Damage caused"), "{md}");
    // One paragraph loose in a part, one leading throughout, is the tree's to read.
    let paragraph = b"/P <</MCID 0>> BDC BT /F1 10 Tf 72 760 Td (You must tell us at once about any) Tj \
        0 -12 Td (event likely to give rise to a claim, and send us) Tj 0 -12 Td (every writ you receive.) Tj ET EMC";
    assert_eq!(parse_with(&tagged_page(paragraph, part(1)), true).parser, "local-tagged");
}

#[test]
fn a_tree_that_tags_no_heading_takes_the_layouts_headings_and_keeps_its_own_order() {
    // InDesign's export of a small-business guide with unmapped paragraph styles: every title
    // is a `P`, through 30 pages. The tree's paragraphs stay; its titles are headings again.
    let bytes = tagged_page(SECTION, |doc, page| {
        let mut elem =
            |s: &str, k: Object| Object::Reference(doc.add_object(dictionary! { "S" => s, "Pg" => page, "K" => k }));
        let body: Vec<Object> = (0..3).map(|m| elem("P", m.into())).collect();
        elem("Sect", body.into())
    });
    let parsed = parse_with(&bytes, true);
    assert_eq!(parsed.parser, "local-tagged", "{}", parsed.markdown);
    let md = &parsed.markdown;
    let title = md.lines().position(|l| l.starts_with('#') && l.ends_with(" Claims procedures"));
    let body = md.lines().position(|l| l.starts_with("You must not negotiate"));
    assert!(title.is_some() && title < body, "{md}");
    // Body text is never taken for a heading.
    assert_eq!(md.lines().filter(|l| l.starts_with('#')).count(), 1, "{md}");
}

#[test]
fn a_faqs_question_under_its_large_hanging_label_is_one_heading_however_the_tree_cuts_it() {
    // An InDesign FAQ (a small-business insurance guide): "Q:" set at 30 points hangs before
    // a question of two sentences set at 18, wrapped over three lines; the tree tags no
    // heading and cuts the question into a paragraph per line. It was read as body text, or
    // as a heading of its first line followed by paragraphs of the rest.
    let content = b"/P <</MCID 0>> BDC BT /F1 30 Tf 70 700 Td (Q:) Tj /F1 18 Tf 38 0 Td \
        (Everybody seems to be suing everybody) Tj ET EMC \
        /P <</MCID 1>> BDC BT /F1 18 Tf 108 679 Td (else these days. What if someone sues my) Tj ET EMC \
        /P <</MCID 2>> BDC BT /F1 18 Tf 108 658 Td (business?) Tj ET EMC \
        /P <</MCID 3>> BDC BT /F1 10 Tf 108 620 Td (Liability insurance pays the costs of defending a suit and any) Tj \
        0 -12 Td (damages awarded, up to the limits of the policy you choose.) Tj ET EMC \
        /P <</MCID 4>> BDC BT /F1 10 Tf 108 580 Td (Ask your agent which limits suit your business.) Tj ET EMC";
    let bytes = tagged_page(content, |doc, page| {
        let mut elem =
            |s: &str, k: Object| Object::Reference(doc.add_object(dictionary! { "S" => s, "Pg" => page, "K" => k }));
        let paragraphs: Vec<Object> = (0..5).map(|m| elem("P", m.into())).collect();
        elem("Sect", paragraphs.into())
    });
    for tags in [true, false] {
        let md = parse_with(&bytes, tags).markdown;
        let headings: Vec<&str> = md.lines().filter(|l| l.starts_with('#')).collect();
        assert_eq!(headings.len(), 1, "{md}");
        assert!(
            headings[0].ends_with(
                " Q: Everybody seems to be suing everybody else these days. What if someone sues my business?"
            ),
            "{md}"
        );
        assert!(md.contains("\n\nLiability insurance pays"), "{md}");
    }
}

#[test]
fn a_faqs_label_the_tree_reads_at_the_pages_end_rejoins_its_question() {
    // The same guide's tree reads the "Q:" of a page's second question apart from it, after
    // the page's last paragraph: the question was body text and the label a paragraph alone.
    let content = b"/P <</MCID 0>> BDC BT /F1 30 Tf 70 700 Td (Q:) Tj /F1 18 Tf 38 0 Td \
        (Do I need insurance right away?) Tj ET EMC \
        /P <</MCID 1>> BDC BT /F1 10 Tf 108 670 Td (Yes, because the chance that you could suffer a loss begins) Tj \
        0 -12 Td (with the first day of business.) Tj ET EMC \
        /P <</MCID 4>> BDC BT /F1 30 Tf 70 600 Td (Q:) Tj ET EMC \
        /P <</MCID 2>> BDC BT /F1 18 Tf 108 600 Td (I work out of my home. Am I covered?) Tj ET EMC \
        /P <</MCID 3>> BDC BT /F1 10 Tf 108 570 Td (Most homeowners policies leave a business out.) Tj ET EMC";
    let bytes = tagged_page(content, |doc, page| {
        let mut elem =
            |s: &str, k: Object| Object::Reference(doc.add_object(dictionary! { "S" => s, "Pg" => page, "K" => k }));
        let label = elem("P", 4.into());
        let mut paragraphs: Vec<Object> = (0..4).map(|m| elem("P", m.into())).collect();
        paragraphs.push(label);
        elem("Sect", paragraphs.into())
    });
    let md = parse_with(&bytes, true).markdown;
    let headings: Vec<&str> = md.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(headings.len(), 2, "{md}");
    assert!(headings[1].ends_with(" Q: I work out of my home. Am I covered?"), "{md}");
    assert!(!md.lines().any(|l| l.trim() == "Q:"), "{md}");
}

#[test]
fn a_space_overdrawn_after_a_ligature_does_not_split_its_word() {
    // Distiller sets "defined" in an AAMI policy as the fi glyph, the pen pulled back, a space,
    // and "ned" drawn against the ligature: read as written, "defi ned" missed every search.
    // A space after a ligature that the next word starts clear of still parts the words.
    let mut doc = Document::with_version("1.4");
    let pages_id = doc.new_object_id();
    let widths: Vec<Object> = (30..=122).map(|c| Object::Integer(if c == 32 { 278 } else { 500 })).collect();
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Futura-Light",
        "FirstChar" => 30, "LastChar" => 122, "Widths" => widths,
        "Encoding" => dictionary! { "BaseEncoding" => "WinAnsiEncoding", "Differences" => vec![30.into(), "fi".into()] },
    });
    // The same where the ligature ends a string and a text move sets the pen back over it, the
    // space a string of its own or opening the word's rest.
    let content = b"BT /F1 10 Tf 72 700 Td [(Words with special de\x1e) 235 ( ) 70 (ned meanings are in bold) ] TJ \
        0 -14 Td [(the sta\x1e) 100 ( ) (room and more words) ] TJ \
        0 -14 Td (such as \x1e) Tj 38 0 Td [( ) 70 (re or theft) ] TJ \
        -38 -14 Td (a \x1e) Tj 9 0 Td ( ne to pay) Tj \
        -9 -14 Td (the sta\x1e) Tj 35 0 Td [( ) -400 (room door) ] TJ ET";
    let content = doc.add_object(Stream::new(dictionary! {}, content.to_vec()));
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content,
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![Object::Reference(page)], "Count" => 1,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    let md = parse_with(&bytes, true).markdown;
    assert!(md.contains("special defined meanings"), "{md}");
    assert!(md.contains("the stafi room"), "{md}");
    assert!(md.contains("such as fire or theft"), "{md}");
    assert!(md.contains("a fine to pay"), "{md}");
    assert!(md.contains("the stafi room door"), "{md}");
}
