//! Which lines are headings, and at what level: weight, size, numbering, the tree's roles.

use super::*;

/// An unnumbered heading wrapped over several lines has at most this many words.
pub(super) const MAX_HEADING_WORDS: usize = 20;

/// "Section 2", "PART IV", "Article 3", "Schedule A": a label that names a part of the document.
pub(super) fn names_a_part(label: &str) -> bool {
    const PARTS: [&str; 10] = [
        "section",
        "part",
        "article",
        "chapter",
        "schedule",
        "appendix",
        "annex",
        "exhibit",
        "endorsement",
        "coverage",
    ];
    let mut words = label.split_whitespace();
    let first = words.next().unwrap_or_default().to_lowercase();
    PARTS.contains(&first.as_str()) && words.next().is_some()
}

/// The section number a line starts with: `4.`, `4.2`, `4.2.1`.
pub(super) fn section_number(text: &str) -> Option<&str> {
    text.split_whitespace().next().filter(|first| {
        let t = first.trim_end_matches('.');
        !t.is_empty() && t.split('.').all(|p| !p.is_empty() && p.len() <= 3 && p.chars().all(|c| c.is_ascii_digit()))
    })
}

/// A section number or a part's label tabbed off its title ("1." … "CALL TO ORDER", "Section
/// 1.1" … "You are enrolled in …"): a heading all the same, if set as one, and no table row.
pub(super) fn tabbed(line: &Line) -> bool {
    match &line.cells[..] {
        [number, title] => {
            let numbered = section_number(&number.text).is_some_and(|n| n.len() == number.text.len());
            let part = number.text.split_whitespace().count() == 2 && part_label(&number.text);
            (numbered || part) && title.x - number.end_x < TAB * line.size
        }
        _ => false,
    }
}

/// A line set under the title of a heading whose label is tabbed off it, flush with the title:
/// the title wrapped, though its note is set in another weight ("SECTION 1" … "Contacts" over
/// "(how to contact us …)").
pub(super) fn under_title(heading: &Line, next: &Line) -> bool {
    tabbed(heading) && next.cells.len() == 1 && (next.cells[0].x - heading.cells[1].x).abs() < 1.0
}

/// A line that starts with a part's label and number ("Section 1.1 …", "PART IV …"), which
/// numbers it as a section number does.
pub(super) fn part_label(text: &str) -> bool {
    let mut words = text.split_whitespace();
    let (Some(part), Some(number)) = (words.next(), words.next()) else { return false };
    let number = number.trim_end_matches([':', '.']);
    names_a_part(&format!("{part} {number}"))
        && !number.is_empty()
        && (number.chars().all(|c| c.is_ascii_digit() || c == '.') || is_roman(number))
}

/// A Roman numeral in capitals: "IV", "XII".
fn is_roman(word: &str) -> bool {
    !word.is_empty() && word.chars().all(|c| matches!(c, 'I' | 'V' | 'X' | 'L'))
}

/// A line that opens a heading: set as one, and not in lower case, which continues a sentence
/// ("vos aspirations?" under a bold question) or a heading wrapped onto it.
pub(super) fn heading_level(line: &Line, body: f32) -> Option<usize> {
    let lower = line.cells.first().is_some_and(|c| c.text.starts_with(char::is_lowercase));
    heading_style(line, body).filter(|_| !lower || line.role.is_some())
}

/// How far apart a colour's strongest and weakest channels are (of 255) for it to be a hue
/// rather than a gray: grays set notes and captions, not headings.
const HUE: u32 = 48;

/// A colour, not a gray (nor one in a colour space not read).
pub(super) fn is_hue(fill: u32) -> bool {
    let channels = [fill >> 16 & 0xff, fill >> 8 & 0xff, fill & 0xff];
    let (max, min) = (channels.iter().max().copied().unwrap_or(0), channels.iter().min().copied().unwrap_or(0));
    fill != UNKNOWN_FILL && max - min >= HUE
}

/// A figure's or table's caption: "Figure 2: …", "Table 8.1 Summary …", "Fig. 3".
fn is_caption(text: &str) -> bool {
    let mut words = text.split_whitespace();
    let first = words.next().unwrap_or_default().to_lowercase();
    ["figure", "fig.", "table", "chart", "graph", "exhibit", "box"].contains(&first.as_str())
        && words.next().is_some_and(|w| w.starts_with(|c: char| c.is_ascii_digit()))
}

/// A line set apart from the body by its hue and nothing else: not bold, not larger.
pub(super) fn hue_only(line: &Line, body: f32) -> bool {
    line.accent && line.role.is_none() && !line.bold && line.bold_lead.is_none() && line.size < body * 1.15
}

/// Where the structure tree covers the line, its word; otherwise how the line is set.
pub(super) fn heading_style(line: &Line, body: f32) -> Option<usize> {
    match line.role {
        Some(Role::Heading(level, _)) => return Some(level.clamp(1, 6)),
        Some(Role::Body) => return None,
        None => {}
    }
    let larger = line.size >= body * 1.15;
    // Fine print (a sample form reproduced small) is not a heading of the page, bold or not.
    let fine = line.size < body * 0.8;
    let tabbed = tabbed(line);
    // Most lines are body text: decided before their text is assembled. A word stacked down a
    // form's margin ("PRINT CLEARLY") labels what is beside it.
    if line.stacked
        || (line.cells.len() != 1 && !tabbed)
        || !(line.bold || larger || line.bold_lead.is_some() || line.accent)
        || fine
    {
        return None;
    }
    let text = line.text();
    // Drawn in a colour of its own, yet no heading: a link (underlined, or an address), a
    // list's item, a figure's caption, references' links ("[CrossRef] [PubMed]"), a copyright.
    let link = line.underlined
        || ["http", "www.", "@", ".com", ".org", ".gov"].iter().any(|l| text.contains(l))
        || text
            .split_whitespace()
            .any(|w| (w.len() > 1 && w.starts_with('/')) || w.contains("//") || w.contains(['%', '_']));
    let aside = link
        || is_caption(&text)
        || text.starts_with('[')
        || text.starts_with(BULLETS)
        || text.starts_with(['–', '-', '*', '✘', '✗'])
        || text.contains('©')
        || text.to_lowercase().starts_with("copyright");
    if !(line.bold || larger || is_noted_title(line, &text) || (line.accent && !aside)) {
        return None;
    }
    let chars = text.chars().count();
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let visible = text.chars().filter(|c| !c.is_whitespace()).count();
    // Dates, amounts and reference numbers set in bold ("To 10-20-2022") are not headings;
    // nor is a page's number, alone or closing a running head ("Appendix 5 Page 8 of 11").
    if chars > 120 || letters < 3 || letters * 2 < visible || is_date(&text) || paginates(&text) {
        return None;
    }
    // A form's bold field label with its value ("Valuation: Actual Cash Value") at about body
    // size; "SECTION II: LIABILITY" and "Part 3: Claims" stay headings.
    if line.size < body * 1.25
        && let Some((label, value)) = text.split_once(':')
        && !value.trim().is_empty()
        && label.split_whitespace().count() <= 4
        && !names_a_part(label)
    {
        return None;
    }
    // Sentences and exclamations ("Congratulations!") are not headings, however they are set;
    // nor are table-of-contents entries.
    let leaders = ["....", "::::", ". . . ."].iter().any(|l| text.contains(l));
    if text.ends_with(['.', ',', ';', '!']) || leaders || (has_sentence_break(&text) && !asks(&text)) {
        return None;
    }
    // A clause ending in a colon introduces what follows ("Findings by agency, including …:").
    // So is one that ends on a preposition ("5. Watch out for:").
    let words = text.split_whitespace().count();
    let dangling = text.trim_end_matches(':').rsplit(' ').next().is_some_and(|w| {
        ["to", "for", "of", "with", "by", "in", "on", "at", "from", "about", "and", "or", "the", "that"]
            .contains(&w.to_lowercase().as_str())
    });
    if text.ends_with(':') && (words > 4 || dangling) {
        return None;
    }
    // Nor is a long unnumbered line: a paragraph's line set larger than the body (a form's
    // free-text answer, say) reads as a run of "headings" otherwise.
    if section_number(&text).is_none() && !part_label(&text) && words > 14 {
        return None;
    }
    if let Some(n) = section_number(&text) {
        // "48 and any services …" is a wrapped line that starts with a number, not section 48.
        let title = text.split_whitespace().nth(1);
        if title.is_some_and(|w| w.chars().next().is_some_and(char::is_lowercase)) {
            return None;
        }
        return Some((n.trim_end_matches('.').split('.').count() + 1).min(6));
    }
    Some(size_level(line.size, body))
}

/// "Page 2 of 6", alone or at the end of a line.
pub(super) fn paginates(text: &str) -> bool {
    // ASCII lowering keeps byte offsets, so `at` indexes `text` too.
    text.to_ascii_lowercase().rfind("page").is_some_and(|at| {
        let tail = &text[at..];
        (at == 0 || (tail.contains(" of ") && text[..at].ends_with([' ', '-', '–', '|']))) && is_page_number(tail)
    })
}

/// A date and nothing else ("Janvier 2021", "Thursday, August 6, 2020"): a cover's or a
/// letter's, set large or bold, but no heading of what follows.
pub(super) fn is_date(text: &str) -> bool {
    const MONTHS: [&str; 24] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    const DAYS: [&str; 14] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "lundi",
        "mardi",
        "mercredi",
        "jeudi",
        "vendredi",
        "samedi",
        "dimanche",
    ];
    let words: Vec<String> = text.split_whitespace().map(|w| w.trim_matches([',', '.']).to_lowercase()).collect();
    let month = |w: &str| MONTHS.contains(&w);
    let number = |w: &str| {
        let digits = w.strip_suffix("er").unwrap_or(w);
        !digits.is_empty() && digits.len() <= 4 && digits.chars().all(|c| c.is_ascii_digit())
    };
    (2..=5).contains(&words.len())
        && words.iter().any(|w| month(w))
        && words.iter().any(|w| number(w))
        && words.iter().all(|w| month(w) || DAYS.contains(&w.as_str()) || number(w))
}

/// A bold title followed by a note in parentheses set plain, and nothing else ("Step 2(b)—
/// Multiple Jobs Worksheet (Keep for your records.)").
pub(super) fn is_noted_title(line: &Line, text: &str) -> bool {
    let Some(lead) = &line.bold_lead else { return false };
    let note = text.strip_prefix(lead.as_str()).map(str::trim);
    lead.starts_with(char::is_uppercase)
        && !lead.ends_with(['.', ':', ','])
        && note.is_some_and(|n| n.starts_with('(') && n.ends_with(')') && n.matches('(').count() == 1)
}

/// The widest gap (in ems) between a section number and its title on one line.
pub(super) const TAB: f32 = 4.0;

/// A heading's level from its size: half again the body or more is a title, a quarter more a
/// section, anything else a subsection.
pub(super) fn size_level(size: f32, body: f32) -> usize {
    if size >= body * 1.6 {
        1
    } else if size >= body * 1.25 {
        2
    } else {
        3
    }
}

/// The most a line's baseline sits below the previous one's, in font sizes, where it wraps the
/// same heading or sentence: 11 pt set on 16 pt (1.45) is common in designed guides.
pub(super) const WRAP_LEADING: f32 = 1.5;

/// A line that stops on an article, preposition or conjunction ("Signature of", "… inactive
/// during") is cut off mid-phrase, a label or a bold lead whose rest is on the next line: no
/// heading ends so. As written, in lower case: "Part A" and "Schedule B" end on a name. A
/// line set in capitals is cut off so on its links in capitals ("… UPON THE INSURER, ITS
/// AGENTS OR"), but for "A", which names ("APPENDIX A").
pub(super) fn ends_mid_phrase(text: &str) -> bool {
    const LINKS: [&str; 37] = [
        "a", "an", "the", "of", "to", "for", "with", "by", "in", "on", "at", "from", "about", "and", "&", "or", "that",
        "during", "into", "under", "than", "as", "between", "per", "de", "du", "des", "la", "le", "les", "et", "à",
        "au", "aux", "pour", "par", "sur",
    ];
    let capitals = !text.chars().any(char::is_lowercase);
    text.trim_end_matches(['—', '–', ':']).rsplit(' ').next().is_some_and(|w| {
        LINKS.contains(&w) || (capitals && !matches!(w, "A" | "À") && LINKS.contains(&w.to_lowercase().as_str()))
    })
}

/// The bold `line` runs on into the bold clause `next` starts with, set as large just below
/// it ("For Trip Cancellation Insurance included in the Annual" / "All-Inclusive Plan,
/// coverage starts …", or a line cut off mid-phrase: "… and Trip Cancellation &" /
/// "Interruption Plans, the …"): a run-in lead that wraps, which opens a paragraph and heads
/// nothing.
/// A bold word starting the line under a heading is a defined term ("Loss of or damage to
/// money …"), and a lead ending in a colon labels a paragraph of its own.
pub(super) fn bold_lead_goes_on(line: &Line, next: &Line) -> bool {
    line.bold
        && !next.bold
        && next.bold_lead.as_ref().is_some_and(|lead| {
            // The comma after the lead may be set plain: "Preferred and Travel Canada" ", coverage …".
            let comma = next
                .cells
                .first()
                .and_then(|c| c.text.strip_prefix(lead.as_str()))
                .is_some_and(|rest| rest.starts_with(','));
            lead.ends_with(',') || comma || ends_mid_phrase(&line.text())
        })
        && next.role.is_none()
        && (next.size - line.size).abs() < 0.5
        && line.y > next.y
        && line.y - next.y <= WRAP_LEADING * line.size
}

/// `next` is set like the bold `line` just below it, at its leading, but is no heading itself
/// (it ends a sentence: "… Paperwork Reduction" / "Act Notice, see the separate
/// instructions."): the two are one bold sentence, not a heading over it. A title's date
/// line ("07/01/2015 - 03/25/2016") is no sentence.
pub(super) fn bold_sentence_goes_on(line: &Line, next: &Line, body: f32) -> bool {
    let words =
        |l: &Line| l.text().split_whitespace().filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 2).count();
    line.bold
        && next.bold
        && next.role.is_none()
        && (next.size - line.size).abs() < 0.5
        && line.y > next.y
        && line.y - next.y <= WRAP_LEADING * line.size
        && words(next) >= 2
        && heading_style(next, body).is_none()
}

/// `next` is set as `line`, one line of text each, at its leading, and `line` ends with a comma
/// while `next` passes for a heading: one heading wrapped after its comma, if the two together
/// pass for one.
pub(super) fn wraps_after_comma(line: &Line, next: &Line, body: f32) -> bool {
    line.cells.len() == 1
        && next.cells.len() == 1
        && line.role.is_none()
        && next.role.is_none()
        && line.text().ends_with(',')
        && (line.size - next.size).abs() < 0.5
        && line.bold == next.bold
        && line.y > next.y
        && line.y - next.y <= WRAP_LEADING * line.size
        && heading_level(next, body).is_some()
}

/// `next` is set just below `line` at about its size: the two belong to one block.
pub(super) fn close_below(line: &Line, next: &Line) -> bool {
    let ratio = line.size.max(next.size) / line.size.min(next.size).max(1.0);
    ratio <= 1.25 && line.y - next.y <= WRAP_LEADING * line.size.max(next.size) && line.y > next.y
}

/// `next` continues `line`'s sentence: close below it, not set as a heading, and starting in
/// lower case or with a conjunction sign.
pub(super) fn reads_on(line: &Line, next: &Line, body: f32) -> bool {
    close_below(line, next)
        && next.role.is_none()
        && heading_style(next, body).is_none()
        && next.text().starts_with(|c: char| c.is_lowercase() || c == '&')
}

/// On a form, other columns' fields may sit between a label's two lines: one of the next few
/// lines continues the label when it starts under it (under its key letter's text, "L Total
/// monthly") in lower case.
pub(super) fn label_wraps(line: &Line, after: &Line) -> bool {
    let (Some(first), Some(under)) = (line.cells.first(), after.cells.first()) else { return false };
    // Set like the label, the second line passes for a heading itself.
    let continues =
        |after: &Line| close_below(line, after) && after.role.is_none() && after.text().starts_with(char::is_lowercase);
    (first.x - line.size..=first.x + 2.0 * line.size).contains(&under.x) && continues(after)
}

/// Columns of a form or a guide headed on one baseline ("Monthly income", "Monthly spending
/// and savings"), set large: each cell a short title. A table's header row was taken with its
/// table before this is asked. A cell mostly set small beside them ("Federal Register" by
/// "Proposed Rules") is text; a line of such cells only (a form's footer, "Cat. No. 10231X" and
/// "Form W-9 (Rev. 3-2024)", whose "W-9" alone is large) has no heading.
pub(super) fn side_by_side_headings(line: &Line, body: f32) -> Option<Vec<Block>> {
    if line.role.is_some() || !(2..=3).contains(&line.cells.len()) || line.size < body * 1.25 {
        return None;
    }
    // Not numbered steps, questions or addresses: those are a form's prompts and footers.
    let titles = line.cells.iter().all(|c| {
        let words = c.text.split_whitespace().count();
        let address = c.text.split_whitespace().any(|w| w.trim_end_matches('.').contains(['.', '/', '@']));
        (1..=8).contains(&words)
            && c.text.chars().filter(|c| c.is_alphabetic()).count() >= 3
            && c.text.starts_with(char::is_uppercase)
            && !c.text.ends_with(['.', ',', ';', ':', '?'])
            && !address
    });
    let large = |c: &Cell| c.size >= body * 1.25;
    (titles && line.cells.iter().any(large)).then(|| {
        let block = |c: &Cell| match large(c) {
            true => Block::Heading(size_level(c.size, body), c.text.clone()),
            false => Block::Paragraph(c.text.clone()),
        };
        line.cells.iter().map(block).collect()
    })
}

/// A form's section label set larger in the margin of its first line ("Payments" beside "25
/// Federal income tax withheld from:", "Dependents" beside "(see instructions):"): a heading
/// with its level, and the line's rest.
pub(super) fn side_heading(line: &Line, body: f32) -> Option<(usize, String, String)> {
    let (label, size) = line.side_label.as_ref().filter(|_| line.role.is_none())?;
    let words = label.split_whitespace().count();
    let letters = label.chars().filter(|c| c.is_alphabetic()).count();
    if *size < body * 1.15
        || !(1..=4).contains(&words)
        || letters < 3
        || !label.starts_with(char::is_uppercase)
        || label.ends_with(['.', ',', ';', ':', '!'])
    {
        return None;
    }
    // Set apart in a cell of its own beside other titles ("Proposed Rules" by "Federal
    // Register"), it is one of a row of titles, which the line as a whole answers for; beside
    // a form's prompts ("Standard" by "Someone can claim:") it heads them, unless it breaks
    // off mid-phrase ("Tax Computation on", a margin title's first line beside a column's
    // text). A title with its note ("… (continued from back of Copy C)") is one.
    let text = line.text();
    let alone = line.cells[0].text.split_whitespace().count() <= words;
    if (alone && (side_by_side_headings(line, body).is_some() || ends_mid_phrase(label))) || is_noted_title(line, &text)
    {
        return None;
    }
    let rest = text.split_whitespace().skip(words).collect::<Vec<_>>().join(" ");
    Some((size_level(*size, body), label.clone(), rest))
}

/// How much larger than its kicker a title is set, at the least.
pub(super) const KICKER: f32 = 1.6;

/// A kicker: a short line in capitals set just above a title at least `KICKER` times its size
/// ("CLOSING CHECKLIST" over "Before closing", "GUIDE TO CLOSING FORMS" over "Promissory
/// Note"), naming the document or the part the title opens. A heading at the title's level,
/// so the title's section keeps its own path; and content on every page it opens, where the
/// same line repeated as a running head over body text is furniture.
pub(super) fn kicker(line: &Line, next: &Line, body: f32) -> Option<usize> {
    if line.role.is_some()
        || line.cells.len() != 1
        || next.size < KICKER * line.size
        || line.y <= next.y
        || line.y - next.y > 2.0 * next.size
    {
        return None;
    }
    let text = line.text();
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let capitals = letters >= 6 && !text.chars().any(char::is_lowercase);
    if !capitals || !(2..=6).contains(&text.split_whitespace().count()) || text.ends_with(['.', ',', ';', ':']) {
        return None;
    }
    heading_level(next, body).or_else(|| display_sentence(next, body))
}

/// A designed document's title is often a sentence ("Define what is affordable for you."): one
/// short sentence set at half again the body size or more, on a line of its own.
pub(super) fn display_sentence(line: &Line, body: f32) -> Option<usize> {
    if line.role.is_some() || line.cells.len() != 1 || line.size < body * 1.5 {
        return None;
    }
    let text = line.text();
    let words = text.split_whitespace().count();
    (text.ends_with('.')
        && (3..=12).contains(&words)
        && !has_sentence_break(&text)
        && text.starts_with(char::is_uppercase))
    .then_some(size_level(line.size, body))
}

/// A question, or a line of one a FAQ labels ("Q: I'm just starting. Do I need …"): a
/// question set as a heading may run to two sentences.
pub(super) fn asks(text: &str) -> bool {
    text.ends_with('?') || faq_question(text)
}

/// A line set as a heading, larger than the body, that wraps mid-phrase onto the next ("Q:
/// What types of property insurance should I" / "consider buying?"); a large running head
/// over a page's own title ("Healthy Students Healthy Lives" / "Appendix 1") does not.
pub(super) fn wraps_as_heading(line: &Line, next: &Line, body: f32) -> bool {
    line.size >= body * 1.15
        && next.text().starts_with(char::is_lowercase)
        && heading_style(line, body).is_some()
        && (next.size - line.size).abs() < 0.5
        && next.bold == line.bold
        && next.y < line.y
        && line.y - next.y <= WRAP_LEADING * line.size
}

/// A FAQ's question, labelled "Q:" or "Q.".
pub(super) fn faq_question(text: &str) -> bool {
    ["Q:", "Q."].iter().any(|q| text.starts_with(q))
}

/// One sentence ends and another starts inside the line ("… the assessment. The Initial …");
/// abbreviations ("U.S. Department", "No. 5") are not sentence ends.
pub(super) fn has_sentence_break(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    words.windows(2).any(|w| {
        let (end, next) = (w[0], w[1]);
        let stem = end.trim_end_matches(['.', '?', '!']);
        end.len() > stem.len()
            && stem.chars().filter(|c| c.is_alphabetic()).count() >= 3
            && !stem.contains('.')
            && !["No", "Nos", "Inc", "Ltd", "Co", "Corp", "St", "Mr", "Mrs", "Dr", "Art", "Sec", "Fig", "Vol"]
                .contains(&stem)
            && next.chars().next().is_some_and(char::is_uppercase)
    })
}

/// A bold run-in heading opens its block ("B. Changes", "Duty to defend."), where the
/// paragraph before has ended; a bold defined term that wraps to the start of a line does not.
pub(super) fn run_in_heading(line: &Line, before: &str) -> bool {
    let Some(lead) = &line.bold_lead else { return false };
    let words = lead.split_whitespace().count();
    let ended = before.trim_end().ends_with(['.', ':', ';', '!', '?']);
    let enumerated = lead.split_whitespace().next().is_some_and(|w| {
        let inner = w.trim_start_matches('(').trim_end_matches(['.', ')']);
        w.len() > inner.len()
            && !inner.is_empty()
            && inner.len() <= 4
            && (inner.chars().all(|c| c.is_ascii_digit() || c == '.') || inner.chars().all(|c| c.is_ascii_alphabetic()))
    });
    ended && (1..=12).contains(&words) && (enumerated || lead.ends_with(['.', ':']))
}
