//! Right-to-left text (Hebrew, Arabic) in reading order. A PDF draws glyphs left to right, so a
//! line of Hebrew comes out of the page in visual order, last letter first ("?םלוכ םולש" for
//! "שלום כולם?"), and no search for its words would find them. A line mostly in a right-to-left
//! script is turned back: its characters reversed, except that numbers and Latin words inside it
//! keep their own order. Brackets are not mirrored: Word, which writes most such files, maps a
//! mirrored bracket's glyph to the character it stands for. Arabic's presentation forms (the
//! joined shapes fonts draw, U+FB50–U+FEFF) become the letters they shape.

use super::layout::Run;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

fn right_to_left(c: char) -> bool {
    matches!(c as u32, 0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF)
}

/// A letter or digit read left to right inside right-to-left text (Latin, digits).
fn left_to_right(c: char) -> bool {
    c.is_alphanumeric() && !right_to_left(c)
}

/// How a letter is shaped where the text shows it: Hebrew's final forms (ך ם ן ף ץ) and Arabic's
/// presentation forms (U+FE80–U+FEFC, each letter's isolated, final, initial and medial shapes
/// in turn) say where a word ends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Initial,
    Medial,
    Final,
    Other,
}

fn shape(c: char) -> Shape {
    // Arabic Presentation Forms-B from U+FE80: how many shapes each letter has, in order.
    const FORMS: [u8; 46] = [
        1, 2, 2, 2, 2, 4, 2, 4, 2, 4, 4, 4, 4, 4, 2, 2, 2, 2, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 2, 2, 4, 2,
        2, 2, 2, 0, 0, 0, 0, 0, 0,
    ];
    match c as u32 {
        0x05DA | 0x05DD | 0x05DF | 0x05E3 | 0x05E5 => Shape::Final,
        code @ 0xFE80..=0xFEFC => {
            let mut start = 0xFE80;
            for n in FORMS.iter().map(|n| u32::from(*n)).take_while(|n| *n > 0) {
                if code < start + n {
                    return match code - start {
                        1 => Shape::Final,
                        2 => Shape::Initial,
                        3 => Shape::Medial,
                        _ => Shape::Other,
                    };
                }
                start += n;
            }
            Shape::Other
        }
        _ => Shape::Other,
    }
}

/// Whether the words' letters already read right to left in the string (the writer drew each
/// word in reading order), by the shapes at their ends: a final form first is a word drawn
/// backwards, a final form last one drawn forwards.
fn letters_in_reading_order(text: &str) -> bool {
    let (mut forwards, mut backwards) = (0, 0);
    for word in text.split_whitespace() {
        let mut letters = word.chars().filter(|c| right_to_left(*c) && c.is_alphabetic());
        let (Some(first), last) = (letters.next(), letters.next_back()) else { continue };
        let last = last.unwrap_or(first);
        match shape(first) {
            Shape::Initial => forwards += 1,
            Shape::Final | Shape::Medial => backwards += 1,
            Shape::Other => {}
        }
        match shape(last) {
            Shape::Final => forwards += 1,
            Shape::Initial | Shape::Medial => backwards += 1,
            Shape::Other => {}
        }
    }
    forwards > backwards
}

/// Whether most of the letters of `text` are Hebrew or Arabic.
pub fn mostly_right_to_left(text: &str) -> bool {
    if text.is_ascii() {
        return false;
    }
    let rtl = text.chars().filter(|c| right_to_left(*c) && c.is_alphabetic()).count();
    let ltr = text.chars().filter(|c| c.is_alphabetic() && !right_to_left(*c)).count();
    rtl > ltr
}

/// Runs sorted left to right put a mark drawn over a right-to-left letter (Arabic's tanween,
/// Hebrew's points), set inside the letter's width, after the letter; the page's order has it
/// before, so that once the line is turned it follows its letter ("أيضًا", not "أيًضا").
pub(in crate::parsing) fn marks_before_letters(runs: &mut [&Run]) {
    for i in 1..runs.len() {
        let (letter, mark) = (runs[i - 1], runs[i]);
        // Most runs are not marks: their first character says so.
        if mark.text.is_empty() || !mark.text.chars().all(is_combining_mark) {
            continue;
        }
        let Some(first) = letter.text.chars().next() else { continue };
        let width = (letter.end_x - letter.x) / letter.text.chars().count() as f32;
        if right_to_left(first) && first.is_alphabetic() && mark.x >= letter.x && mark.x < letter.x + width {
            runs.swap(i - 1, i);
        }
    }
}

/// `visual` in reading order when most of its letters are right-to-left; `None` otherwise.
pub fn to_logical(visual: &str) -> Option<String> {
    if !mostly_right_to_left(visual) {
        return None;
    }
    if letters_in_reading_order(visual) {
        // Only the words are in the page's order: they turn, their letters stay.
        let words: Vec<String> = visual.split(' ').rev().map(|w| w.nfkc().collect()).collect();
        return Some(words.join(" "));
    }
    let chars: Vec<char> = visual.chars().collect();
    // Units in visual order: a left-to-right stretch (from its first letter or digit to its
    // last, with the spaces and marks between: "15", "B100 (SME)") whole, any other character
    // alone.
    let mut units: Vec<&[char]> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if left_to_right(chars[i]) {
            let mut end = i + 1;
            let mut last = i;
            while end < chars.len() && !right_to_left(chars[end]) {
                if left_to_right(chars[end]) {
                    last = end;
                }
                end += 1;
            }
            units.push(&chars[i..=last]);
            i = last + 1;
        } else {
            units.push(&chars[i..=i]);
            i += 1;
        }
    }
    let mut out = String::with_capacity(visual.len());
    let letter = |c: Option<char>, rtl: bool| c.is_some_and(|c| c.is_alphabetic() && right_to_left(c) == rtl);
    for unit in units.iter().rev() {
        // A Latin word set against an Arabic or Hebrew one ("Pythonلتنفيذ", "وPython") is two
        // words: the page shows them apart by their direction, and a search for either must find it.
        let last = out.chars().next_back();
        let first = unit.first().copied();
        if (letter(last, true) && letter(first, false)) || (letter(last, false) && letter(first, true)) {
            out.push(' ');
        }
        match unit {
            [c] if !left_to_right(*c) => match *c as u32 {
                0xFB50..=0xFDFF | 0xFE70..=0xFEFF => out.extend(c.nfkc()),
                _ => out.push(*c),
            },
            _ => out.extend(unit.iter()),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::to_logical;

    #[test]
    fn hebrew_in_visual_order_reads_in_logical_order_with_its_numbers_kept() {
        assert_eq!(to_logical("?םלוכ םולש המ םלוע םולש").as_deref(), Some("שלום עולם מה שלום כולם?"));
        // "סעיף 15(ב)" as Word draws it left to right: the number keeps its digits' order.
        assert_eq!(to_logical(")ב(15 ףיעס").as_deref(), Some("סעיף 15(ב)"));
        // A Latin name inside keeps its own order.
        assert_eq!(to_logical("Acme Ltd תרבח לש הסילופה").as_deref(), Some("הפוליסה של חברת Acme Ltd"));
        // Arabic presentation forms become letters: "ﺔﻴﻠﺼﺒﻟﺍ" is "البصلية" shaped, drawn backwards.
        assert_eq!(to_logical("\u{FE94}\u{FEF4}\u{FEE0}\u{FEBC}\u{FE92}\u{FEDF}\u{FE8D}").as_deref(), Some("البصلية"));
    }

    #[test]
    fn words_whose_letters_already_read_right_to_left_only_change_places() {
        // "مرحبا بالعالم" drawn a word at a time, each word's letters in reading order
        // (initial beh first, final meem last), the words left to right.
        let visual =
            "\u{FE91}\u{FE8E}\u{FEDF}\u{FECC}\u{FE8E}\u{FEDF}\u{0645} \u{FEE3}\u{0631}\u{FEA3}\u{FE91}\u{FE8E}";
        assert_eq!(to_logical(visual).as_deref(), Some("مرحبا بالعالم"));
        // Hebrew with its final letters at the words' ends is already in reading order.
        assert_eq!(to_logical("עולם שלום").as_deref(), Some("שלום עולם"));
    }

    #[test]
    fn left_to_right_lines_are_left_alone() {
        assert_eq!(to_logical("Cover starts today."), None);
        assert_eq!(to_logical("Policy 12 — פוליסה"), None);
    }

    #[test]
    fn a_latin_word_set_against_an_arabic_one_is_a_word_of_its_own() {
        assert_eq!(to_logical("ذيفنتلPython مادختسا").as_deref(), Some("استخدام Python لتنفيذ"));
        assert_eq!(to_logical("ماعلا اذه Pythonو").as_deref(), Some("و Python هذا العام"));
    }

    #[test]
    fn a_mark_drawn_over_a_letter_follows_it_once_the_line_is_turned() {
        use crate::parsing::layout::Run;
        // As sorted by x: the tanween's x lies inside the dad it is drawn over.
        let runs = [(204.7, 207.5, "ا"), (207.5, 217.7, "ض"), (208.1, 208.1, "\u{64b}"), (217.7, 220.6, "ي")]
            .map(|(x, end, t)| Run::plain(x, 700.0, end, 12.0, t.to_string()));
        let mut sorted: Vec<&Run> = runs.iter().collect();
        super::marks_before_letters(&mut sorted);
        let visual: String = sorted.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(to_logical(&visual).as_deref(), Some("يض\u{64b}ا"));
    }
}
