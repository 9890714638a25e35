//! Fonts as the interpreter needs them: decoding, widths, weight; loaded once per document.

use super::*;

pub(super) struct Font<'a> {
    pub(super) decoder: TextDecoder<'a>,
    pub(super) bold: bool,
    /// Glyph widths in thousandths of an em, from `FirstChar`; empty for fonts without them.
    pub(super) widths: Vec<f32>,
    pub(super) first_char: usize,
    pub(super) two_byte: bool,
    /// Used for codes the font's own widths do not cover.
    pub(super) standard: Standard,
    /// A composite (Type0) font's widths by CID, and its default width (`W`, `DW`).
    pub(super) cid_widths: HashMap<u32, f32>,
    pub(super) cid_default: f32,
    /// Writing mode 1 (`Identity-V`, `90ms-RKSJ-V`): glyphs advance down the page, by this many
    /// ems each (`DW2`; Japanese and Chinese set their columns this way).
    pub(super) vertical: Option<f32>,
}

/// Widths (thousandths of an em) of printable ASCII in Helvetica and Helvetica-Bold, from the
/// standard 14 fonts' metrics: those fonts may appear without a `Widths` array, and a cell's end
/// must be known to tell table columns apart.
pub(super) const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833,
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556,
    556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334,
    260, 334, 584,
];
pub(super) const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833,
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611,
    556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389,
    280, 389, 584,
];

/// The same for the four Times faces (Times-Roman, -Bold, -Italic, -BoldItalic): read as a tenth
/// narrower than Helvetica, a word's end drifts a letter's width by its tenth letter, and the gap
/// to a word set after it reads as a space ("Mit arbei").
pub(super) const TIMES: [u16; 95] = [
    250, 333, 408, 500, 500, 833, 778, 180, 333, 333, 500, 564, 250, 333, 250, 278, 500, 500, 500, 500, 500, 500, 500,
    500, 500, 500, 278, 278, 564, 564, 564, 444, 921, 722, 667, 667, 722, 611, 556, 722, 722, 333, 389, 722, 611, 889,
    722, 722, 556, 722, 667, 556, 611, 722, 722, 944, 722, 722, 611, 333, 278, 333, 469, 500, 333, 444, 500, 444, 500,
    444, 333, 500, 500, 278, 278, 500, 278, 778, 500, 500, 500, 500, 333, 389, 278, 500, 500, 722, 500, 500, 444, 480,
    200, 480, 541,
];
pub(super) const TIMES_BOLD: [u16; 95] = [
    250, 333, 555, 500, 500, 1000, 833, 278, 333, 333, 500, 570, 250, 333, 250, 278, 500, 500, 500, 500, 500, 500, 500,
    500, 500, 500, 333, 333, 570, 570, 570, 500, 930, 722, 667, 722, 722, 667, 611, 778, 778, 389, 500, 778, 667, 944,
    722, 778, 611, 778, 722, 556, 667, 722, 722, 1000, 722, 722, 667, 333, 278, 333, 581, 500, 333, 500, 556, 444, 556,
    444, 333, 500, 556, 278, 333, 556, 278, 833, 556, 500, 556, 556, 444, 389, 333, 556, 500, 722, 500, 500, 444, 394,
    220, 394, 520,
];
pub(super) const TIMES_ITALIC: [u16; 95] = [
    250, 333, 420, 500, 500, 833, 778, 214, 333, 333, 500, 675, 250, 333, 250, 278, 500, 500, 500, 500, 500, 500, 500,
    500, 500, 500, 333, 333, 675, 675, 675, 500, 920, 611, 611, 667, 722, 611, 611, 722, 722, 333, 444, 667, 556, 833,
    667, 722, 611, 722, 611, 500, 556, 722, 611, 833, 611, 556, 556, 389, 278, 389, 422, 500, 333, 500, 500, 444, 500,
    444, 278, 500, 500, 278, 278, 444, 278, 722, 500, 500, 500, 500, 389, 389, 278, 500, 444, 667, 444, 444, 389, 400,
    275, 400, 541,
];
pub(super) const TIMES_BOLD_ITALIC: [u16; 95] = [
    250, 389, 555, 500, 500, 833, 778, 278, 333, 333, 500, 570, 250, 333, 250, 278, 500, 500, 500, 500, 500, 500, 500,
    500, 500, 500, 333, 333, 570, 570, 570, 500, 832, 667, 667, 667, 722, 667, 667, 722, 778, 389, 500, 667, 611, 889,
    722, 722, 611, 722, 667, 556, 611, 722, 667, 889, 667, 611, 611, 333, 278, 333, 570, 500, 333, 500, 500, 444, 500,
    444, 333, 500, 556, 278, 278, 500, 278, 778, 556, 500, 500, 500, 389, 389, 278, 556, 444, 667, 500, 444, 389, 348,
    220, 348, 570,
];

#[derive(Clone, Copy)]
pub(super) enum Standard {
    Helvetica,
    HelveticaBold,
    Times,
    TimesBold,
    TimesItalic,
    TimesBoldItalic,
    Courier,
}

impl Standard {
    pub(super) fn of(base_font: &[u8], bold: bool) -> Standard {
        let name = String::from_utf8_lossy(base_font).to_ascii_lowercase();
        if name.contains("courier") || name.contains("mono") {
            Standard::Courier
        } else if name.contains("times") || name.contains("serif") && !name.contains("sans") {
            match (bold, name.contains("italic") || name.contains("oblique")) {
                (false, false) => Standard::Times,
                (true, false) => Standard::TimesBold,
                (false, true) => Standard::TimesItalic,
                (true, true) => Standard::TimesBoldItalic,
            }
        } else if bold {
            Standard::HelveticaBold
        } else {
            Standard::Helvetica
        }
    }

    pub(super) fn width(self, byte: u8) -> f32 {
        // Outside ASCII (accented letters, mostly): a lower-case letter's width.
        let ascii =
            |t: &[u16; 95], other: f32| t.get((byte as usize).wrapping_sub(32)).map_or(other, |w| f32::from(*w));
        match self {
            Standard::Courier => 600.0,
            Standard::Helvetica => ascii(&HELVETICA, 556.0),
            Standard::HelveticaBold => ascii(&HELVETICA_BOLD, 556.0),
            Standard::Times => ascii(&TIMES, 500.0),
            Standard::TimesBold => ascii(&TIMES_BOLD, 500.0),
            Standard::TimesItalic => ascii(&TIMES_ITALIC, 500.0),
            Standard::TimesBoldItalic => ascii(&TIMES_BOLD_ITALIC, 500.0),
        }
    }
}

/// A string's codes, each with its CID: a simple font's codes are bytes, a composite font's are
/// two bytes long and are their CIDs, unless its encoding is a predefined CMap, whose codes are
/// one to four bytes (Shift-JIS, GBK) and map to CIDs.
pub(super) struct Codes<'f, 'b> {
    pub(super) encoding: Option<&'f crate::parsing::cjk::Encoding>,
    pub(super) len: usize,
    pub(super) rest: &'b [u8],
}

impl<'b> Iterator for Codes<'_, 'b> {
    type Item = (&'b [u8], u32);

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let (len, cid) = match self.encoding {
            Some(enc) => {
                let (len, cid) = enc.next_code(self.rest);
                (len, cid.unwrap_or(0))
            }
            None => {
                let len = self.len.min(self.rest.len());
                (len, self.rest[..len].iter().fold(0u32, |acc, b| acc << 8 | u32::from(*b)))
            }
        };
        let (code, rest) = self.rest.split_at(len);
        self.rest = rest;
        Some((code, cid))
    }
}

impl Font<'_> {
    /// The codes in `bytes` (see `Codes`).
    pub(super) fn codes<'b>(&self, bytes: &'b [u8]) -> Codes<'_, 'b> {
        match self.two_byte {
            true => Codes { encoding: self.decoder.encoding(), len: 2, rest: bytes },
            false => Codes { encoding: None, len: 1, rest: bytes },
        }
    }

    /// Whether the codes read as spaces: a subset font may draw a letter at code 32.
    pub(super) fn decodes_to_spaces(&self, bytes: &[u8]) -> bool {
        let mut text = String::new();
        self.decoder.decode(bytes, &mut text);
        !text.is_empty() && text.chars().all(char::is_whitespace)
    }

    pub(super) fn advance(&self, bytes: &[u8]) -> f32 {
        if self.two_byte {
            return self
                .codes(bytes)
                .map(|(_, cid)| self.cid_widths.get(&cid).copied().unwrap_or(self.cid_default) / 1000.0)
                .sum();
        }
        bytes
            .iter()
            .map(|b| {
                let listed = self.widths.get((*b as usize).wrapping_sub(self.first_char)).copied().filter(|w| *w > 0.0);
                listed.unwrap_or_else(|| self.standard.width(*b)) / 1000.0
            })
            .sum()
    }
}

pub(super) fn is_bold(font: &Dictionary, doc: &Document) -> bool {
    let name = font.get(b"BaseFont").and_then(Object::as_name).map(|n| n.to_ascii_lowercase()).unwrap_or_default();
    let by_name =
        ["bold", "black", "heavy", "semibold", "demi"].iter().any(|w| name.windows(w.len()).any(|s| s == w.as_bytes()));
    // Adobe's short style names after the family: "HelveticaNeueLTStd-Bd", "-BdIt", "-Blk", "-Hv".
    let style = name.rsplit(|c| *c == b'-' || *c == b',').next().filter(|s| s.len() < name.len()).unwrap_or_default();
    let by_style = ["bd", "blk", "hv", "sb", "xbd", "ebd", "ubd"].iter().any(|w| style.starts_with(w.as_bytes()));
    let descriptor = font.get_deref(b"FontDescriptor", doc).and_then(Object::as_dict).ok();
    let by_weight =
        descriptor.and_then(|d| d.get(b"FontWeight").and_then(Object::as_float).ok()).is_some_and(|w| w >= 600.0);
    // Flag bit 19 is ForceBold.
    let by_flag =
        descriptor.and_then(|d| d.get(b"Flags").and_then(Object::as_i64).ok()).is_some_and(|f| f & (1 << 18) != 0);
    by_name || by_style || by_weight || by_flag
}

/// `W` of a CIDFont: `[c [w1 w2 …]  c_first c_last w  …]` (ISO 32000-1, 9.7.4.3).
pub(super) fn cid_widths(descendant: &Dictionary, doc: &Document) -> HashMap<u32, f32> {
    let mut out = HashMap::new();
    let Some(w) = descendant.get_deref(b"W", doc).ok().and_then(numbers) else { return out };
    let num = |o: &Object| doc.dereference(o).ok().and_then(|(_, o)| o.as_float().ok());
    let mut i = 0;
    while i < w.len() {
        let Some(first) = num(&w[i]) else { break };
        let first = first as u32;
        match doc.dereference(w.get(i + 1).unwrap_or(&Object::Null)).map(|(_, o)| o) {
            Ok(Object::Array(widths)) => {
                for (k, v) in widths.iter().enumerate() {
                    if let Some(v) = num(v) {
                        out.insert(first + k as u32, v);
                    }
                }
                i += 2;
            }
            Ok(last) => {
                let (Some(last), Some(v)) = (last.as_float().ok(), w.get(i + 2).and_then(num)) else { break };
                // A range, not a table: cap it so a hostile file cannot make us allocate GBs.
                for cid in first..=(last as u32).min(first + 65_535) {
                    out.insert(cid, v);
                }
                i += 3;
            }
            Err(_) => break,
        }
    }
    out
}

/// Fonts are shared by pages: each is loaded once per document (its CMap parsed once), keyed
/// by its dictionary's address, which is stable while the document is borrowed.
#[derive(Default)]
pub struct FontCache<'a>(RefCell<HashMap<usize, Rc<Font<'a>>>>);

impl<'a> FontCache<'a> {
    pub(super) fn font(&self, font: &'a Dictionary, doc: &'a Document) -> Rc<Font<'a>> {
        let key = std::ptr::from_ref(font) as usize;
        if let Some(f) = self.0.borrow().get(&key) {
            return Rc::clone(f);
        }
        let loaded = Rc::new(load_font(font, doc));
        self.0.borrow_mut().insert(key, Rc::clone(&loaded));
        loaded
    }

    /// Whether a font drawn so far had codes no table maps to characters (CJK collection ids
    /// without a ToUnicode map): a file drawn only in such fonts has text no reader can map.
    pub fn any_unmapped(&self) -> bool {
        self.0.borrow().values().any(|f| f.decoder.unmapped())
    }
}

pub(super) fn load_font<'a>(font: &'a Dictionary, doc: &'a Document) -> Font<'a> {
    // A Type 3 font's widths are in its own glyph space, which its matrix maps to text space
    // (a TeX bitmap font's is 0.01 per unit, not the 0.001 of other fonts).
    let glyph_space = font
        .get(b"Subtype")
        .and_then(Object::as_name)
        .is_ok_and(|s| s == b"Type3")
        .then(|| font.get_deref(b"FontMatrix", doc).and_then(Object::as_array).map(|m| nums(m)))
        .and_then(Result::ok)
        .and_then(|m| m.first().map(|a| a.abs() * 1000.0))
        .filter(|k| k.is_finite() && *k > 0.0)
        .unwrap_or(1.0);
    let widths = font
        .get_deref(b"Widths", doc)
        .ok()
        .and_then(numbers)
        .map(|a| {
            a.iter()
                .map(|w| doc.dereference(w).ok().and_then(|(_, o)| o.as_float().ok()).unwrap_or(0.0) * glyph_space)
                .collect()
        })
        .unwrap_or_default();
    let descendant = font
        .get_deref(b"DescendantFonts", doc)
        .and_then(Object::as_array)
        .ok()
        .and_then(|a| a.first())
        .and_then(|d| doc.dereference(d).ok())
        .and_then(|(_, d)| d.as_dict().ok());
    let bold = is_bold(font, doc) || descendant.is_some_and(|d| is_bold(d, doc));
    let base = font.get(b"BaseFont").and_then(Object::as_name).unwrap_or_default();
    let two_byte = font.get(b"Subtype").and_then(Object::as_name).is_ok_and(|s| s == b"Type0");
    let vertical = two_byte
        && match font.get_deref(b"Encoding", doc) {
            Ok(Object::Name(n)) => n.ends_with(b"-V") || n == b"V",
            Ok(Object::Stream(s)) => s.dict.get(b"WMode").and_then(Object::as_i64).is_ok_and(|m| m == 1),
            _ => false,
        };
    // `DW2 [vy w1]`: w1 is the vertical displacement, -1000 unless the font says otherwise.
    let dw2 = descendant.and_then(|d| d.get_deref(b"DW2", doc).and_then(Object::as_array).ok()).map(|a| nums(a));
    let step = dw2.and_then(|d| d.get(1).copied()).map(|w1| -w1 / 1000.0).filter(|w| *w > 0.0 && *w < 4.0);
    Font {
        vertical: vertical.then_some(step.unwrap_or(1.0)),
        cid_widths: descendant.map(|d| cid_widths(d, doc)).unwrap_or_default(),
        cid_default: descendant.and_then(|d| d.get(b"DW").and_then(Object::as_float).ok()).unwrap_or(1000.0),
        decoder: TextDecoder::of(font, doc),
        bold,
        standard: Standard::of(base, bold),
        widths,
        first_char: font.get(b"FirstChar").and_then(Object::as_i64).unwrap_or(0).max(0) as usize,
        two_byte,
    }
}
