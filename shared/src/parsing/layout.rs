//! Positioned text from a PDF page: a small interpreter of the content stream's text and
//! graphics-state operators over `lopdf`'s decoded operations. Each shown string becomes a run
//! with its position, size and weight, which is what heading and table detection need and what
//! `lopdf::Document::extract_text` throws away.

use super::content;
use super::cover::{SeeThrough, hide_covered};
use super::decode::TextDecoder;
use super::paths::{Path, Rule, intersect, transformed_box};
use super::tagged::Role;
use lopdf::content::Operation;
use lopdf::{Dictionary, Document, Object, ObjectId};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

/// One string shown on the page, in user-space points (y grows upwards).
#[derive(Clone, Debug, Default)]
pub struct Run {
    pub x: f32,
    pub y: f32,
    /// Estimated from the font's widths (or half an em per character when it has none).
    pub end_x: f32,
    pub size: f32,
    pub bold: bool,
    pub text: String,
    /// The marked-content id the run was drawn under, which the structure tree refers to.
    pub mcid: Option<i64>,
    /// Drawn inside an `/Artifact` sequence: not part of the structure tree.
    pub artifact: bool,
    /// An artifact typed as pagination (running heads, footers, page numbers, watermarks): page
    /// furniture by the writer's own account. Other artifacts may hold real text (InDesign
    /// marks untagged frames as layout artifacts).
    pub pagination: bool,
    /// What the structure tree says the run is, on a page the tree covers only in part.
    pub role: Option<Role>,
    /// Drawn wholly outside the clipping path: not visible on the page (the rest of a sample
    /// form shown through a window, say), so it says nothing about the page's layout.
    pub hidden: bool,
    /// Set sideways (a form's margin label read bottom to top): where the text starts and ends
    /// on the page's y axis. `y` is its start, and `x`..`end_x` the width of its glyphs.
    pub sideways: Option<(f32, f32)>,
    /// Drawn by an annotation's appearance (a filled-in form field, a typed comment), not by the
    /// page's content: a structure tree reaches it through the annotation, never by MCID.
    pub annotation: bool,
}

struct Font<'a> {
    decoder: TextDecoder<'a>,
    bold: bool,
    /// Glyph widths in thousandths of an em, from `FirstChar`; empty for fonts without them.
    widths: Vec<f32>,
    first_char: usize,
    two_byte: bool,
    /// Used for codes the font's own widths do not cover.
    standard: Standard,
    /// A composite (Type0) font's widths by CID, and its default width (`W`, `DW`).
    cid_widths: HashMap<u32, f32>,
    cid_default: f32,
    /// Writing mode 1 (`Identity-V`, `90ms-RKSJ-V`): glyphs advance down the page, by this many
    /// ems each (`DW2`; Japanese and Chinese set their columns this way).
    vertical: Option<f32>,
}

/// Widths (thousandths of an em) of printable ASCII in Helvetica and Helvetica-Bold, from the
/// standard 14 fonts' metrics: those fonts may appear without a `Widths` array, and a cell's end
/// must be known to tell table columns apart.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833,
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556,
    556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334,
    260, 334, 584,
];
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833,
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611,
    556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389,
    280, 389, 584,
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

/// A string's codes, each with its CID: a simple font's codes are bytes, a composite font's are
/// two bytes long and are their CIDs, unless its encoding is a predefined CMap, whose codes are
/// one to four bytes (Shift-JIS, GBK) and map to CIDs.
struct Codes<'f, 'b> {
    encoding: Option<&'f super::cjk::Encoding>,
    len: usize,
    rest: &'b [u8],
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
    fn codes<'b>(&self, bytes: &'b [u8]) -> Codes<'_, 'b> {
        match self.two_byte {
            true => Codes { encoding: self.decoder.encoding(), len: 2, rest: bytes },
            false => Codes { encoding: None, len: 1, rest: bytes },
        }
    }

    fn advance(&self, bytes: &[u8]) -> f32 {
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

fn is_bold(font: &Dictionary, doc: &Document) -> bool {
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
fn cid_widths(descendant: &Dictionary, doc: &Document) -> HashMap<u32, f32> {
    let mut out = HashMap::new();
    let Ok(w) = descendant.get_deref(b"W", doc).and_then(Object::as_array) else { return out };
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
    fn font(&self, font: &'a Dictionary, doc: &'a Document) -> Rc<Font<'a>> {
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

fn load_font<'a>(font: &'a Dictionary, doc: &'a Document) -> Font<'a> {
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
        .and_then(Object::as_array)
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

/// A 2-D affine matrix `[a b c d e f]` as PDF writes them.
#[derive(Clone, Copy, Debug)]
pub(super) struct Matrix(pub(super) [f32; 6]);

impl Matrix {
    pub(super) const IDENTITY: Matrix = Matrix([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);

    fn translate(tx: f32, ty: f32) -> Matrix {
        Matrix([1.0, 0.0, 0.0, 1.0, tx, ty])
    }

    /// Whether a box stays a box: no turn but by quarters, no skew.
    pub(super) fn axis_aligned(&self) -> bool {
        let [a, b, c, d, ..] = self.0;
        (b == 0.0 && c == 0.0) || (a == 0.0 && d == 0.0)
    }

    /// `self × other`: apply self, then other.
    pub(super) fn then(self, o: Matrix) -> Matrix {
        let [a, b, c, d, e, f] = self.0;
        let [oa, ob, oc, od, oe, of] = o.0;
        Matrix([
            a * oa + b * oc,
            a * ob + b * od,
            c * oa + d * oc,
            c * ob + d * od,
            e * oa + f * oc + oe,
            e * ob + f * od + of,
        ])
    }

    /// Where the point `(x, y)` lands.
    pub(super) fn point(&self, x: f32, y: f32) -> (f32, f32) {
        let [a, b, c, d, e, f] = self.0;
        (a * x + c * y + e, b * x + d * y + f)
    }

    pub(super) fn from_operands(ops: &[Object]) -> Option<Matrix> {
        let v: Vec<f32> = ops.iter().filter_map(|o| o.as_float().ok()).collect();
        (v.len() == 6).then(|| Matrix([v[0], v[1], v[2], v[3], v[4], v[5]]))
    }
}

/// The part of the graphics state text placement needs: where user space lies on the page and
/// the box of the clipping path (`None`: the whole page).
#[derive(Clone, Copy)]
pub(super) struct Graphics {
    pub(super) ctm: Matrix,
    pub(super) clip: Option<[f32; 4]>,
    /// The clip is its box, not a shape within it (a hexagon, a circle, a turned rectangle).
    pub(super) clip_exact: bool,
    /// Whether a fill now lets what lies under it show (an `ExtGState`'s alpha or blend mode).
    pub(super) see_through: SeeThrough,
}

impl Graphics {
    pub(super) fn new(ctm: Matrix, clip: Option<[f32; 4]>) -> Self {
        Graphics { ctm, clip, clip_exact: true, see_through: SeeThrough::default() }
    }

    fn clip_to(&mut self, bounds: [f32; 4], exact: bool) {
        self.clip = Some(self.clip.map_or(bounds, |c| intersect(c, bounds)));
        self.clip_exact &= exact;
    }
}

/// The graphics state a show operator reads. All but the text matrices is what `q` saves and
/// `Q` restores: a font set inside `q … Q` does not outlive it.
#[derive(Clone)]
struct TextState<'a> {
    gs: Graphics,
    tm: Matrix,
    tlm: Matrix,
    /// Resolved when `Tf` names it, in the resources of the stream that names it.
    font: Option<Rc<Font<'a>>>,
    size: f32,
    leading: f32,
    char_space: f32,
    word_space: f32,
    h_scale: f32,
    /// `3 Tr`: neither filled nor stroked, the text layer OCR lays over a scanned page.
    invisible: bool,
}

pub(super) fn nums(ops: &[Object]) -> Vec<f32> {
    ops.iter().filter_map(|o| o.as_float().ok()).collect()
}

/// Fonts and form XObjects a content stream may name.
#[derive(Default)]
pub(super) struct Resources<'a> {
    fonts: BTreeMap<Vec<u8>, Rc<Font<'a>>>,
    forms: BTreeMap<Vec<u8>, &'a lopdf::Stream>,
    /// `/Properties` entries that carry an MCID (`/Tag /P1 BDC`).
    mcids: BTreeMap<Vec<u8>, i64>,
    states: BTreeMap<Vec<u8>, SeeThrough>,
}

fn mcids_in(res: &Dictionary, doc: &Document) -> BTreeMap<Vec<u8>, i64> {
    let Ok(props) = res.get_deref(b"Properties", doc).and_then(Object::as_dict) else { return BTreeMap::new() };
    props
        .iter()
        .filter_map(|(name, p)| {
            let mcid = doc.dereference(p).ok()?.1.as_dict().ok()?.get(b"MCID").and_then(Object::as_i64).ok()?;
            Some((name.clone(), mcid))
        })
        .collect()
}

impl<'a> Resources<'a> {
    fn of_page(doc: &'a Document, page_id: ObjectId, cache: &FontCache<'a>) -> Self {
        let fonts = doc
            .get_page_fonts(page_id)
            .unwrap_or_default()
            .into_iter()
            .map(|(name, dict)| (name, cache.font(dict, doc)))
            .collect();
        let (inline, ids) = doc.get_page_resources(page_id).unwrap_or_default();
        let dicts = inline.into_iter().chain(ids.into_iter().filter_map(|id| doc.get_dictionary(id).ok()));
        let (mut forms, mut mcids, mut states) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
        for res in dicts {
            for (name, form) in forms_in(res, doc) {
                forms.entry(name).or_insert(form);
            }
            for (name, mcid) in mcids_in(res, doc) {
                mcids.entry(name).or_insert(mcid);
            }
            for (name, state) in states_in(res, doc) {
                states.entry(name).or_insert(state);
            }
        }
        Resources { fonts, forms, mcids, states }
    }

    pub(super) fn of_dict(res: &'a Dictionary, doc: &'a Document, cache: &FontCache<'a>) -> Self {
        let fonts = res
            .get_deref(b"Font", doc)
            .and_then(Object::as_dict)
            .map(|d| {
                d.iter()
                    .filter_map(|(name, f)| {
                        Some((name.clone(), cache.font(doc.dereference(f).ok()?.1.as_dict().ok()?, doc)))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Resources {
            fonts,
            forms: forms_in(res, doc).collect(),
            mcids: mcids_in(res, doc),
            states: states_in(res, doc).collect(),
        }
    }
}

fn states_in<'a>(res: &'a Dictionary, doc: &'a Document) -> impl Iterator<Item = (Vec<u8>, SeeThrough)> + 'a {
    res.get_deref(b"ExtGState", doc).and_then(Object::as_dict).into_iter().flat_map(move |states| {
        states.iter().filter_map(move |(name, s)| {
            Some((name.clone(), SeeThrough::of(doc.dereference(s).ok()?.1.as_dict().ok()?, doc)))
        })
    })
}

fn forms_in<'a>(res: &'a Dictionary, doc: &'a Document) -> impl Iterator<Item = (Vec<u8>, &'a lopdf::Stream)> + 'a {
    res.get_deref(b"XObject", doc).and_then(Object::as_dict).into_iter().flat_map(move |x| {
        x.iter().filter_map(move |(name, obj)| {
            let stream = doc.dereference(obj).ok()?.1.as_stream().ok()?;
            stream
                .dict
                .get(b"Subtype")
                .and_then(Object::as_name)
                .is_ok_and(|s| s == b"Form")
                .then(|| (name.clone(), stream))
        })
    })
}

/// Content streams larger than this (decompressed) are refused: a decompression bomb fails the
/// document as too large instead of taking the function's memory.
pub(super) const MAX_CONTENT_BYTES: usize = 64 * 1024 * 1024;
/// Forms may draw forms; this deep and no deeper (a cycle is a malformed file).
const MAX_FORM_DEPTH: usize = 8;

/// Why a page's content could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageDamage {
    /// A content stream the page names is not in the file (a truncated file, typically).
    MissingContent,
    /// A content stream does not decode (its compressed data is cut or corrupt), or what it
    /// decodes to is not a content stream.
    Undecodable,
    /// The page's content inflates past `MAX_CONTENT_BYTES` (a decompression bomb).
    TooLarge,
}

/// The page's content streams, decoded and joined. Unlike lopdf's own page reader, which skips a
/// missing stream and passes an undecodable one through raw, this says what is wrong, so that a
/// damaged file fails by name instead of parsing to a fraction of its text.
fn page_content(doc: &Document, page_id: ObjectId) -> Result<Vec<u8>, PageDamage> {
    let mut content = Vec::new();
    for id in doc.get_page_contents(page_id) {
        let stream = doc.get_object(id).and_then(Object::as_stream).map_err(|_| PageDamage::MissingContent)?;
        match content::plain(doc, stream, MAX_CONTENT_BYTES.saturating_sub(content.len())) {
            // lopdf's decoders keep what they recovered and only log a corrupt stream; nothing
            // recovered from compressed bytes means the stream is gone. (A partial result is
            // kept: a bad checksum after decryption is common in files readers open fine.)
            Ok(data)
                if data.is_empty()
                    && !stream.content.is_empty()
                    && stream.dict.has(b"Filter")
                    && !inflates_to_nothing(&stream.content) =>
            {
                return Err(PageDamage::Undecodable);
            }
            Ok(data) => content.extend_from_slice(&data),
            Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })) => {
                return Err(PageDamage::TooLarge);
            }
            Err(_) => return Err(PageDamage::Undecodable),
        }
        content.push(b'\n');
    }
    Ok(content)
}

/// Compressed bytes that hold nothing, checksum and all (zlib's eight bytes for an empty
/// input): a writer's unused content part, not a damaged one.
fn inflates_to_nothing(bytes: &[u8]) -> bool {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(bytes).take(1).read_to_end(&mut out).is_ok() && out.is_empty()
}

/// What a page draws that the parser reads: text runs in content-stream order (including text
/// drawn by form XObjects) and straight rules.
#[derive(Default)]
pub struct Drawn {
    pub runs: Vec<Run>,
    pub rules: Vec<Rule>,
    /// The page's width as shown, in points.
    pub width: f32,
    /// Runs compared against boxes filled over them (see [`hide_covered`]).
    pub cover_work: usize,
}

/// An attribute set on `node` or inherited down its tree through `/Parent`: a page's from the
/// page tree (`MediaBox`, `Rotate`), a form field's from the field tree (`FT`, `V`, `DA`).
pub(super) fn inherited<'a>(doc: &'a Document, node: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    let mut node = Some(node);
    // A tree deeper than this is a loop.
    for _ in 0..64 {
        let dict = node?;
        if let Ok(value) = dict.get_deref(key, doc) {
            return Some(value);
        }
        node = dict.get_deref(b"Parent", doc).and_then(Object::as_dict).ok();
    }
    None
}

/// User space as the page is shown: its media box turned by `/Rotate`, so that a landscape
/// table drawn on a portrait page reads row by row. Also the shown width (A4 without a box).
/// The matrix from the page's user space to the page as shown, and its width and height shown.
fn page_view(doc: &Document, page: ObjectId) -> (Matrix, f32, f32) {
    let page = doc.get_dictionary(page).ok();
    let media = page.and_then(|p| inherited(doc, p, b"MediaBox")).and_then(|b| b.as_array().ok()).map(|b| nums(b));
    let [x0, y0, x1, y1] = match media.as_deref() {
        Some(&[a, b, c, d]) => [a.min(c), b.min(d), a.max(c), b.max(d)],
        _ => [0.0, 0.0, 595.0, 842.0],
    };
    let (w, h) = (x1 - x0, y1 - y0);
    let rotate =
        page.and_then(|p| inherited(doc, p, b"Rotate")).and_then(|r| r.as_i64().ok()).unwrap_or(0).rem_euclid(360);
    let origin = Matrix::translate(-x0, -y0);
    match rotate {
        90 => (origin.then(Matrix([0.0, -1.0, 1.0, 0.0, 0.0, w])), h, w),
        180 => (origin.then(Matrix([-1.0, 0.0, 0.0, -1.0, w, h])), w, h),
        270 => (origin.then(Matrix([0.0, 1.0, -1.0, 0.0, h, 0.0])), h, w),
        _ => (Matrix::IDENTITY, w, h),
    }
}

pub fn page_drawn<'a>(doc: &'a Document, page_id: ObjectId, cache: &FontCache<'a>) -> Result<Drawn, PageDamage> {
    let resources = Resources::of_page(doc, page_id, cache);
    let (view, width, height) = page_view(doc, page_id);
    let mut out = Drawn { width, ..Drawn::default() };
    let content = page_content(doc, page_id)?;
    // A piece at a time: the operators of a whole figure page at once outweigh the file.
    let undecodable = std::cell::Cell::new(false);
    let operations = content::operations(&content, &undecodable);
    let page = Graphics::new(view, None);
    interpret_ops((doc, cache), operations, &resources, page, 0, Marked::default(), &mut out);
    if undecodable.get() {
        return Err(PageDamage::Undecodable);
    }
    super::appearance::draw_annotations(doc, page_id, view, cache, &mut out);
    super::overprint::drop_overprints(&mut out.runs);
    out.runs = join_sideways(out.runs);
    super::vertical::turn_columns(&mut out, height);
    Ok(out)
}

/// A form XObject's content, a piece at a time like a page's: a piece that does not decode
/// draws nothing.
pub(super) fn interpret<'a>(
    (doc, cache): (&'a Document, &FontCache<'a>),
    content: &[u8],
    res: &Resources<'a>,
    gs: Graphics,
    depth: usize,
    marked: Marked,
    out: &mut Drawn,
) {
    let undecodable = std::cell::Cell::new(false);
    interpret_ops((doc, cache), content::operations(content, &undecodable), res, gs, depth, marked, out);
}

/// The innermost marked-content id and whether an artifact encloses the current operator.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Marked {
    mcid: Option<i64>,
    artifact: bool,
    pagination: bool,
}

/// Marked-content sequences open and close in pairs; a hostile file gets no deeper than this.
const MAX_MARKED_DEPTH: usize = 256;

fn interpret_ops<'a>(
    (doc, cache): (&'a Document, &FontCache<'a>),
    operations: impl IntoIterator<Item = Operation>,
    res: &Resources<'a>,
    outer_gs: Graphics,
    depth: usize,
    outer: Marked,
    out: &mut Drawn,
) {
    let mut marked = vec![outer];
    let mut path = Path::default();
    let fonts = &res.fonts;
    let mut st = TextState {
        gs: outer_gs,
        tm: Matrix::IDENTITY,
        tlm: Matrix::IDENTITY,
        font: None,
        size: 10.0,
        leading: 0.0,
        char_space: 0.0,
        word_space: 0.0,
        h_scale: 1.0,
        invisible: false,
    };
    let mut stack: Vec<TextState> = Vec::new();
    for op in operations {
        let o = &op.operands;
        match op.operator.as_str() {
            "q" => stack.push(st.clone()),
            "Q" => match stack.pop() {
                Some(saved) => st = TextState { tm: st.tm, tlm: st.tlm, ..saved },
                None => st.gs = outer_gs,
            },
            "Do" if depth < MAX_FORM_DEPTH => {
                let Some(form) = o.first().and_then(|n| n.as_name().ok()).and_then(|n| res.forms.get(n)) else {
                    continue;
                };
                let Ok(body) = content::plain(doc, form, MAX_CONTENT_BYTES) else { continue };
                let matrix =
                    form.dict.get(b"Matrix").and_then(Object::as_array).ok().and_then(|m| Matrix::from_operands(m));
                let own = form
                    .dict
                    .get_deref(b"Resources", doc)
                    .and_then(Object::as_dict)
                    .ok()
                    .map(|d| Resources::of_dict(d, doc, cache));
                let mut gs = Graphics { ctm: matrix.unwrap_or(Matrix::IDENTITY).then(st.gs.ctm), ..st.gs };
                // A form draws only inside its bounding box.
                if let Ok(b) = form.dict.get(b"BBox").and_then(Object::as_array)
                    && let [x0, y0, x1, y1] = nums(b)[..]
                {
                    gs.clip_to(transformed_box(&gs.ctm, [x0, y0, x1, y1]), gs.ctm.axis_aligned());
                }
                interpret(
                    (doc, cache),
                    &body,
                    own.as_ref().unwrap_or(res),
                    gs,
                    depth + 1,
                    marked.last().copied().unwrap_or(outer),
                    out,
                );
            }
            "BMC" | "BDC" if marked.len() < MAX_MARKED_DEPTH => {
                let mut m = marked.last().copied().unwrap_or(outer);
                let artifact = o.first().and_then(|t| t.as_name().ok()) == Some(b"Artifact".as_slice());
                m.artifact |= artifact;
                if artifact && let Some(Object::Dictionary(d)) = o.get(1) {
                    let name = |k: &[u8]| d.get(k).and_then(Object::as_name).ok();
                    m.pagination |= name(b"Type") == Some(b"Pagination".as_slice())
                        || name(b"Subtype").is_some_and(|s| [&b"Header"[..], b"Footer", b"Watermark"].contains(&s));
                }
                let own = match o.get(1) {
                    Some(Object::Dictionary(d)) => d.get(b"MCID").and_then(Object::as_i64).ok(),
                    Some(Object::Name(n)) => res.mcids.get(n).copied(),
                    _ => None,
                };
                m.mcid = own.or(m.mcid);
                marked.push(m);
            }
            "EMC" if marked.len() > 1 => {
                marked.pop();
            }
            "cm" => {
                if let Some(m) = Matrix::from_operands(o) {
                    st.gs.ctm = m.then(st.gs.ctm);
                }
            }
            "BT" => {
                st.tm = Matrix::IDENTITY;
                st.tlm = Matrix::IDENTITY;
            }
            "Tf" => {
                st.font = o.first().and_then(|n| n.as_name().ok()).and_then(|n| fonts.get(n)).cloned();
                st.size = o.get(1).and_then(|s| s.as_float().ok()).unwrap_or(st.size);
            }
            "TL" => st.leading = nums(o).first().copied().unwrap_or(st.leading),
            "Tc" => st.char_space = nums(o).first().copied().unwrap_or(0.0),
            "Tw" => st.word_space = nums(o).first().copied().unwrap_or(0.0),
            "Tz" => st.h_scale = nums(o).first().copied().unwrap_or(100.0) / 100.0,
            "Tr" => st.invisible = nums(o).first() == Some(&3.0),
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
            "Tj" => show(&mut st, o, at(&marked), &mut out.runs),
            "TJ" => {
                if let Some(Object::Array(items)) = o.first() {
                    show(&mut st, items, at(&marked), &mut out.runs);
                }
            }
            "'" => {
                next_line(&mut st);
                show(&mut st, o, at(&marked), &mut out.runs);
            }
            "\"" => {
                if let [aw, ac, ..] = nums(o)[..] {
                    st.word_space = aw;
                    st.char_space = ac;
                }
                next_line(&mut st);
                show(&mut st, &o[o.len().saturating_sub(1)..], at(&marked), &mut out.runs);
            }
            "gs" => {
                if let Some(state) = o.first().and_then(|n| n.as_name().ok()).and_then(|n| res.states.get(n)) {
                    st.gs.see_through = st.gs.see_through.then(*state);
                }
            }
            other => {
                if let Some((bounds, exact)) = path.op(other, o, &st.gs.ctm, &mut out.rules) {
                    st.gs.clip_to(bounds, exact);
                }
                for filled in path.filled.drain(..) {
                    // Under a clip of another shape, what the fill paints is less than its box.
                    if st.gs.clip_exact && !st.gs.see_through.any() {
                        let shown = st.gs.clip.map_or(filled, |c| intersect(c, filled));
                        hide_covered(&mut out.runs, shown, &mut out.cover_work);
                    }
                }
            }
        }
    }
}

fn at(marked: &[Marked]) -> Marked {
    marked.last().copied().unwrap_or_default()
}

fn next_line(st: &mut TextState) {
    st.tlm = Matrix::translate(0.0, -st.leading).then(st.tlm);
    st.tm = st.tlm;
}

/// A horizontal gap wider than this (in ems) separates cells or columns, not words.
pub(super) const CELL_GAP: f32 = 1.2;

/// Two runs closer than this (in ems) are one word, drawn in pieces: no space between them.
pub(super) const JOINED_RUNS: f32 = 0.15;
/// Space beyond a glyph's own width wider than this (in ems) is a word gap.
const WORD_GAP: f32 = 0.18;

/// The runs one show operator draws. A string is cut where the pen jumps a cell's width (TJ
/// offsets or character spacing): writers fill a table row with one TJ and draw its other
/// cells later, and a run spanning the jump would place those cells inside it.
struct Pieces<'r> {
    origin: Matrix,
    size: f32,
    em: f32,
    bold: bool,
    marked: Marked,
    clip: Option<[f32; 4]>,
    runs: &'r mut Vec<Run>,
    text: String,
    /// Where the current piece starts and where its last glyph's ink ends, in text space.
    from: f32,
    ink_end: f32,
}

impl<'r> Pieces<'r> {
    fn new(
        origin: Matrix,
        size: f32,
        em: f32,
        bold: bool,
        marked: Marked,
        clip: Option<[f32; 4]>,
        runs: &'r mut Vec<Run>,
    ) -> Pieces<'r> {
        Pieces { origin, size, em, bold, marked, clip, runs, text: String::new(), from: 0.0, ink_end: 0.0 }
    }

    /// Before a glyph drawn at `at` after `gap` of space beyond the previous glyph's width.
    fn before_glyph(&mut self, gap: f32, at: f32) {
        if gap > CELL_GAP * self.em && !self.text.trim().is_empty() {
            self.flush();
        } else if gap > WORD_GAP * self.em && !self.text.is_empty() && !self.text.ends_with(' ') {
            self.text.push(' ');
        }
        if self.text.is_empty() {
            self.from = at;
        }
    }

    fn flush(&mut self) {
        let text = std::mem::take(&mut self.text);
        if text.trim().is_empty() {
            return;
        }
        let (mut x, y) = self.origin.point(self.from, 0.0);
        let (mut end_x, end_y) = self.origin.point(self.ink_end, 0.0);
        // Text turned a quarter or more advances along the page's y axis: its extent across is
        // its glyphs' height, from below the baseline to the ascender.
        let [a, b, ..] = self.origin.0;
        let sideways = (b.abs() > a.abs()).then_some((y, end_y));
        if sideways.is_some() {
            let (below, above) =
                (self.origin.point(self.from, -0.2 * self.em).0, self.origin.point(self.from, 0.75 * self.em).0);
            (x, end_x) = (below.min(above), below.max(above));
        }
        // Wholly outside: left or right of the clip, its baseline above it, or its glyphs'
        // tops below it.
        let hidden = self.clip.is_some_and(|[x0, y0, x1, y1]| {
            end_x <= x0 || x >= x1 || y >= y1 || y + 0.7 * self.size <= y0 || x0 >= x1 || y0 >= y1
        });
        self.runs.push(Run {
            x,
            y,
            end_x,
            hidden,
            size: self.size,
            bold: self.bold,
            text,
            mcid: self.marked.mcid,
            artifact: self.marked.artifact,
            pagination: self.marked.pagination,
            role: None,
            sideways,
            annotation: false,
        });
    }
}

/// A sideways line drawn in several strings (a font change for a bold phrase, say) is one run:
/// each string starts where the one before it ended, on the same baseline.
fn join_sideways(runs: Vec<Run>) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::with_capacity(runs.len());
    for r in runs {
        if let Some(prev) = out.last_mut()
            && let (Some((from, to)), Some((start, end))) = (prev.sideways, r.sideways)
            && (to - from).signum() == (end - start).signum()
            && (prev.x - r.x).abs() < 0.3 * r.size
            && (start - to).abs() <= CELL_GAP * r.size
        {
            if (start - to).abs() > WORD_GAP * r.size && !prev.text.ends_with(' ') && !r.text.starts_with(' ') {
                prev.text.push(' ');
            }
            prev.text.push_str(&r.text);
            prev.sideways = Some((from, end));
            prev.bold &= r.bold;
            prev.hidden &= r.hidden;
            continue;
        }
        out.push(r);
    }
    out
}

/// Whether the strings read as one word of two letters or more, spaces aside.
fn spelled(font: &Font<'_>, items: &[Object]) -> bool {
    let mut text = String::new();
    for item in items {
        if let Object::String(bytes, _) = item {
            font.decoder.decode(bytes, &mut text);
        }
    }
    let text = text.trim_matches(' ');
    text.chars().count() >= 2 && text.chars().all(char::is_alphanumeric)
}

/// Shows strings (and TJ's spacing numbers), appending the runs they draw.
fn show(st: &mut TextState, items: &[Object], marked: Marked, runs: &mut Vec<Run>) {
    let Some(font) = st.font.clone() else { return };
    if let Some(step) = font.vertical {
        return show_vertical(st, &font, step, items, marked, runs);
    }
    let origin = st.tm.then(st.gs.ctm);
    let scale = (origin.0[2].powi(2) + origin.0[3].powi(2)).sqrt();
    let (size, tc, tw, h) = (st.size, st.char_space, st.word_space, st.h_scale);
    let mut pieces = Pieces::new(origin, (size * scale).abs(), size.abs(), font.bold, marked, st.gs.clip, runs);
    let glyph_len = if font.two_byte { 2 } else { 1 };
    // Word spacing applies to the single-byte code 32 only.
    let word_space = |g: &[u8]| if !font.two_byte && g == b" " { tw } else { 0.0 };
    let mut advance = 0.0f32; // in text space, unscaled by the matrix
    let mut gap = 0.0f32; // space beyond the last glyph's own width, unscaled by Tz
    // An OCR layer stretches each word to its scanned width with character spacing (" Nort" at
    // 0.24 em, then "h" at the pen): in invisible text, a word of two letters or more spaced
    // under a cell's width with no TJ offset to undo it is letter-spaced, and its words are the
    // spaces it writes. Drawn text uses the same spacing for gaps: InDesign justifies a line
    // with `0.325 Tc (ac) Tj` for "a c(ommercial)", Distiller sets TeX's math spaces as
    // `.278 Tc (\)=) Tj`.
    let tracked = st.invisible
        && tc > 0.0
        && tc < CELL_GAP * size.abs()
        && !items.iter().any(|i| i.as_float().is_ok())
        && spelled(&font, items);
    for item in items {
        match item {
            // Table writers set cells apart with a large Tc that TJ offsets cancel inside each
            // number: then every glyph's gap counts, not only the string's.
            Object::String(bytes, _) if tc > WORD_GAP * size.abs() && !tracked => {
                for (glyph, _) in font.codes(bytes) {
                    pieces.before_glyph(gap, advance);
                    font.decoder.decode(glyph, &mut pieces.text);
                    pieces.ink_end = advance + font.advance(glyph) * size * h;
                    gap = tc + word_space(glyph);
                    advance = pieces.ink_end + gap * h;
                }
            }
            Object::String(bytes, _) => {
                if bytes.is_empty() {
                    continue;
                }
                pieces.before_glyph(gap, advance);
                font.decoder.decode(bytes, &mut pieces.text);
                let glyphs = if font.two_byte { font.codes(bytes).count() } else { bytes.len() };
                let spaces = if font.two_byte { 0 } else { bytes.iter().filter(|b| **b == b' ').count() };
                advance += (font.advance(bytes) * size + glyphs as f32 * tc + spaces as f32 * tw) * h;
                gap = tc + word_space(&bytes[bytes.len() - glyph_len.min(bytes.len())..]);
                pieces.ink_end = advance - gap * h;
            }
            other => {
                if let Ok(n) = other.as_float() {
                    gap -= n / 1000.0 * size;
                    advance -= n / 1000.0 * size * h;
                }
            }
        }
    }
    if tracked && !pieces.text.ends_with(' ') {
        // The next string, drawn at the pen, runs on from this one ("h" after " Nort").
        pieces.ink_end = advance;
    }
    pieces.flush();
    st.tm = Matrix::translate(advance, 0.0).then(st.tm);
}

/// Shows strings in writing mode 1: each glyph `step` ems below the one before (ISO 32000-1,
/// 9.4.4), a column read top to bottom. The pieces are those of horizontal text turned a quarter
/// clockwise, so a column is a sideways run from its top to its foot.
fn show_vertical(
    st: &mut TextState,
    font: &Font<'_>,
    step: f32,
    items: &[Object],
    marked: Marked,
    runs: &mut Vec<Run>,
) {
    let down = Matrix([0.0, -1.0, 1.0, 0.0, 0.0, 0.0]);
    let origin = down.then(st.tm).then(st.gs.ctm);
    let scale = (origin.0[0].powi(2) + origin.0[1].powi(2)).sqrt();
    let (size, tc) = (st.size, st.char_space);
    let mut pieces = Pieces::new(origin, (size * scale).abs(), size.abs(), font.bold, marked, st.gs.clip, runs);
    let (mut advance, mut gap) = (0.0f32, 0.0f32);
    for item in items {
        match item {
            Object::String(bytes, _) => {
                for (code, _) in font.codes(bytes) {
                    pieces.before_glyph(gap, advance);
                    font.decoder.decode(code, &mut pieces.text);
                    pieces.ink_end = advance + step * size;
                    gap = tc;
                    advance = pieces.ink_end + gap;
                }
            }
            // A positive number moves the next glyph down (the opposite of horizontal text).
            other => {
                if let Ok(n) = other.as_float() {
                    gap += n / 1000.0 * size;
                    advance += n / 1000.0 * size;
                }
            }
        }
    }
    pieces.flush();
    st.tm = Matrix::translate(0.0, -advance).then(st.tm);
}

impl Run {
    /// A run of upright text from `x` to `end_x` on the baseline `y`, outside any marked content.
    pub(super) fn plain(x: f32, y: f32, end_x: f32, size: f32, text: String) -> Run {
        Run {
            x,
            y,
            end_x,
            size,
            bold: false,
            text,
            mcid: None,
            artifact: false,
            pagination: false,
            role: None,
            hidden: false,
            sideways: None,
            annotation: false,
        }
    }

    /// A plain run for tests: half an em per character, no marks.
    #[cfg(test)]
    pub(super) fn sample(x: f32, y: f32, text: &str, size: f32, bold: bool) -> Run {
        let end_x = x + text.chars().count() as f32 * size * 0.5;
        Run { bold, ..Run::plain(x, y, end_x, size, text.into()) }
    }
}

#[cfg(test)]
mod tests {
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
}
