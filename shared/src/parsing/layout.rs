//! Positioned text from a PDF page: a small interpreter of the content stream's text and
//! graphics-state operators over `lopdf`'s decoded operations. Each shown string becomes a run
//! with its position, size and weight, which is what heading and table detection need and what
//! `lopdf::Document::extract_text` throws away.

use lopdf::content::Content;
use lopdf::{Dictionary, Document, Encoding, Object, ObjectId};
use std::collections::BTreeMap;

/// One string shown on the page, in user-space points (y grows upwards).
#[derive(Clone, Debug)]
pub struct Run {
    pub x: f32,
    pub y: f32,
    /// Estimated from the font's widths (or half an em per character when it has none).
    pub end_x: f32,
    pub size: f32,
    pub bold: bool,
    pub text: String,
}

struct Font<'a> {
    encoding: Option<Encoding<'a>>,
    bold: bool,
    /// Glyph widths in thousandths of an em, from `FirstChar`; empty for fonts without them.
    widths: Vec<f32>,
    first_char: usize,
    two_byte: bool,
    /// Used for codes the font's own widths do not cover.
    standard: Standard,
}

/// Widths (thousandths of an em) of printable ASCII in Helvetica and Helvetica-Bold, from the
/// standard 14 fonts' metrics: those fonts may appear without a `Widths` array, and a cell's end
/// must be known to tell table columns apart.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556,
    556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611,
    611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];

#[derive(Clone, Copy)]
enum Standard {
    Helvetica,
    HelveticaBold,
    Times,
    Courier,
}

impl Standard {
    fn of(base_font: &[u8], bold: bool) -> Standard {
        let name = String::from_utf8_lossy(base_font).to_ascii_lowercase();
        if name.contains("courier") || name.contains("mono") {
            Standard::Courier
        } else if name.contains("times") || name.contains("serif") && !name.contains("sans") {
            Standard::Times
        } else if bold {
            Standard::HelveticaBold
        } else {
            Standard::Helvetica
        }
    }

    fn width(self, byte: u8) -> f32 {
        let ascii = |t: &[u16; 95]| t.get((byte as usize).wrapping_sub(32)).map_or(556.0, |w| f32::from(*w));
        match self {
            Standard::Courier => 600.0,
            Standard::Helvetica => ascii(&HELVETICA),
            Standard::HelveticaBold => ascii(&HELVETICA_BOLD),
            // Times is about a tenth narrower than Helvetica on running text.
            Standard::Times => ascii(&HELVETICA) * 0.9,
        }
    }
}

impl Font<'_> {
    fn advance(&self, bytes: &[u8]) -> f32 {
        if self.two_byte {
            return (bytes.len() / 2) as f32 * 0.5;
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

fn is_bold(font: &Dictionary, doc: &Document) -> bool {
    let name = font.get(b"BaseFont").and_then(Object::as_name).map(|n| n.to_ascii_lowercase()).unwrap_or_default();
    let by_name = ["bold", "black", "heavy", "semibold", "demi"].iter().any(|w| name.windows(w.len()).any(|s| s == w.as_bytes()));
    let descriptor = font.get_deref(b"FontDescriptor", doc).and_then(Object::as_dict).ok();
    let by_weight = descriptor.and_then(|d| d.get(b"FontWeight").and_then(Object::as_float).ok()).is_some_and(|w| w >= 600.0);
    // Flag bit 19 is ForceBold.
    let by_flag = descriptor.and_then(|d| d.get(b"Flags").and_then(Object::as_i64).ok()).is_some_and(|f| f & (1 << 18) != 0);
    by_name || by_weight || by_flag
}

fn load_font<'a>(font: &'a Dictionary, doc: &'a Document) -> Font<'a> {
    let widths = font
        .get_deref(b"Widths", doc)
        .and_then(Object::as_array)
        .map(|a| a.iter().map(|w| doc.dereference(w).ok().and_then(|(_, o)| o.as_float().ok()).unwrap_or(0.0)).collect())
        .unwrap_or_default();
    let bold = is_bold(font, doc);
    let base = font.get(b"BaseFont").and_then(Object::as_name).unwrap_or_default();
    Font {
        encoding: font.get_font_encoding(doc).ok(),
        bold,
        standard: Standard::of(base, bold),
        widths,
        first_char: font.get(b"FirstChar").and_then(Object::as_i64).unwrap_or(0).max(0) as usize,
        two_byte: font.get(b"Subtype").and_then(Object::as_name).is_ok_and(|s| s == b"Type0"),
    }
}

/// A 2-D affine matrix `[a b c d e f]` as PDF writes them.
#[derive(Clone, Copy, Debug)]
struct Matrix([f32; 6]);

impl Matrix {
    const IDENTITY: Matrix = Matrix([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);

    fn translate(tx: f32, ty: f32) -> Matrix {
        Matrix([1.0, 0.0, 0.0, 1.0, tx, ty])
    }

    /// `self × other`: apply self, then other.
    fn then(self, o: Matrix) -> Matrix {
        let [a, b, c, d, e, f] = self.0;
        let [oa, ob, oc, od, oe, of] = o.0;
        Matrix([a * oa + b * oc, a * ob + b * od, c * oa + d * oc, c * ob + d * od, e * oa + f * oc + oe, e * ob + f * od + of])
    }

    fn from_operands(ops: &[Object]) -> Option<Matrix> {
        let v: Vec<f32> = ops.iter().filter_map(|o| o.as_float().ok()).collect();
        (v.len() == 6).then(|| Matrix([v[0], v[1], v[2], v[3], v[4], v[5]]))
    }
}

struct TextState {
    ctm: Matrix,
    tm: Matrix,
    tlm: Matrix,
    font: Option<Vec<u8>>,
    size: f32,
    leading: f32,
    char_space: f32,
    word_space: f32,
    h_scale: f32,
}

fn nums(ops: &[Object]) -> Vec<f32> {
    ops.iter().filter_map(|o| o.as_float().ok()).collect()
}

/// Every text run of the page, in content-stream order. A damaged stream yields what was read
/// before the damage.
pub fn page_runs(doc: &Document, page_id: ObjectId) -> Vec<Run> {
    let fonts: BTreeMap<Vec<u8>, Font> = doc
        .get_page_fonts(page_id)
        .unwrap_or_default()
        .into_iter()
        .map(|(name, dict)| (name, load_font(dict, doc)))
        .collect();
    let Ok(content) = doc.get_page_content_with_limit(page_id, 64 * 1024 * 1024).map_err(|_| ()).and_then(|c| Content::decode(&c).map_err(|_| ())) else {
        return Vec::new();
    };
    let mut st = TextState {
        ctm: Matrix::IDENTITY,
        tm: Matrix::IDENTITY,
        tlm: Matrix::IDENTITY,
        font: None,
        size: 10.0,
        leading: 0.0,
        char_space: 0.0,
        word_space: 0.0,
        h_scale: 1.0,
    };
    let mut stack: Vec<Matrix> = Vec::new();
    let mut runs = Vec::new();
    for op in &content.operations {
        let o = &op.operands;
        match op.operator.as_str() {
            "q" => stack.push(st.ctm),
            "Q" => st.ctm = stack.pop().unwrap_or(Matrix::IDENTITY),
            "cm" => {
                if let Some(m) = Matrix::from_operands(o) {
                    st.ctm = m.then(st.ctm);
                }
            }
            "BT" => {
                st.tm = Matrix::IDENTITY;
                st.tlm = Matrix::IDENTITY;
            }
            "Tf" => {
                st.font = o.first().and_then(|n| n.as_name().ok()).map(<[u8]>::to_vec);
                st.size = o.get(1).and_then(|s| s.as_float().ok()).unwrap_or(st.size);
            }
            "TL" => st.leading = nums(o).first().copied().unwrap_or(st.leading),
            "Tc" => st.char_space = nums(o).first().copied().unwrap_or(0.0),
            "Tw" => st.word_space = nums(o).first().copied().unwrap_or(0.0),
            "Tz" => st.h_scale = nums(o).first().copied().unwrap_or(100.0) / 100.0,
            "Td" | "TD" => {
                if let [tx, ty] = nums(o)[..] {
                    if op.operator == "TD" {
                        st.leading = -ty;
                    }
                    st.tlm = Matrix::translate(tx, ty).then(st.tlm);
                    st.tm = st.tlm;
                }
            }
            "Tm" => {
                if let Some(m) = Matrix::from_operands(o) {
                    st.tm = m;
                    st.tlm = m;
                }
            }
            "T*" => next_line(&mut st),
            "Tj" => show(&mut st, &fonts, o, &mut runs),
            "TJ" => {
                if let Some(Object::Array(items)) = o.first() {
                    show(&mut st, &fonts, items, &mut runs);
                }
            }
            "'" => {
                next_line(&mut st);
                show(&mut st, &fonts, o, &mut runs);
            }
            "\"" => {
                if let [aw, ac, ..] = nums(o)[..] {
                    st.word_space = aw;
                    st.char_space = ac;
                }
                next_line(&mut st);
                show(&mut st, &fonts, &o[o.len().saturating_sub(1)..], &mut runs);
            }
            _ => {}
        }
    }
    runs
}

fn next_line(st: &mut TextState) {
    st.tlm = Matrix::translate(0.0, -st.leading).then(st.tlm);
    st.tm = st.tlm;
}

/// Shows strings (and TJ's spacing numbers), appending one run per call.
fn show(st: &mut TextState, fonts: &BTreeMap<Vec<u8>, Font>, items: &[Object], runs: &mut Vec<Run>) {
    let Some(font) = st.font.as_ref().and_then(|f| fonts.get(f)) else { return };
    let start = st.tm.then(st.ctm);
    let scale = (start.0[2].powi(2) + start.0[3].powi(2)).sqrt();
    let mut text = String::new();
    let mut advance = 0.0f32; // in text space, unscaled by the matrix
    for item in items {
        match item {
            Object::String(bytes, _) => {
                if let Some(enc) = &font.encoding {
                    let _ = enc.write_to_string(bytes, &mut text);
                }
                let glyphs = if font.two_byte { bytes.len() / 2 } else { bytes.len() };
                let spaces = bytes.iter().filter(|b| **b == b' ').count();
                advance += (font.advance(bytes) * st.size + glyphs as f32 * st.char_space + spaces as f32 * st.word_space) * st.h_scale;
            }
            other => {
                if let Ok(n) = other.as_float() {
                    // Kerning is a few units; a word gap is hundreds.
                    if n < -180.0 && !text.ends_with(' ') {
                        text.push(' ');
                    }
                    advance -= n / 1000.0 * st.size * st.h_scale;
                }
            }
        }
    }
    st.tm = Matrix::translate(advance, 0.0).then(st.tm);
    if text.trim().is_empty() {
        return;
    }
    let end = st.tm.then(st.ctm);
    runs.push(Run { x: start.0[4], y: start.0[5], end_x: end.0[4], size: (st.size * scale).abs(), bold: font.bold, text });
}
