//! One page: its content streams (bounded: a bomb is refused), its view, what it draws.

use super::*;

/// Content streams larger than this (decompressed) are refused: a decompression bomb fails the
/// document as too large instead of taking the function's memory.
pub(in crate::parsing) const MAX_CONTENT_BYTES: usize = 64 * 1024 * 1024;
/// Forms may draw forms; this deep and no deeper (a cycle is a malformed file).
pub(super) const MAX_FORM_DEPTH: usize = 8;

/// Filled shapes a page keeps as panels, at most: a chart of thousands of bars cannot make
/// the reading order's search for rows of panels slow.
pub const MAX_PANELS: usize = 512;

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
pub(super) fn page_content(doc: &Document, page_id: ObjectId) -> Result<Vec<u8>, PageDamage> {
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
pub(super) fn inflates_to_nothing(bytes: &[u8]) -> bool {
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
    /// Boxes of the filled shapes (panels) the page draws, at most [`MAX_PANELS`].
    pub panels: Vec<[f32; 4]>,
    /// Boxes of the fills of any size drawn in a colour other than white, at most
    /// [`MAX_PANELS`]: a white rule shows only where it crosses one of them.
    pub inked: Vec<[f32; 4]>,
    /// The page's width as shown, in points.
    pub width: f32,
    /// Runs compared against boxes filled over them (see [`hide_covered`]).
    pub cover_work: usize,
}

/// An attribute set on `node` or inherited down its tree through `/Parent`: a page's from the
/// page tree (`MediaBox`, `Rotate`), a form field's from the field tree (`FT`, `V`, `DA`).
pub(in crate::parsing) fn inherited<'a>(doc: &'a Document, node: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
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
/// The matrix from the page's user space to the page as shown, its width and height shown, and
/// its media box in the shown space.
pub(super) fn page_view(doc: &Document, page: ObjectId) -> (Matrix, f32, f32, [f32; 4]) {
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
        90 => (origin.then(Matrix([0.0, -1.0, 1.0, 0.0, 0.0, w])), h, w, [0.0, 0.0, h, w]),
        180 => (origin.then(Matrix([-1.0, 0.0, 0.0, -1.0, w, h])), w, h, [0.0, 0.0, w, h]),
        270 => (origin.then(Matrix([0.0, 1.0, -1.0, 0.0, h, 0.0])), h, w, [0.0, 0.0, h, w]),
        _ => (Matrix::IDENTITY, w, h, [x0, y0, x1, y1]),
    }
}

/// Text set wholly off the page: InDesign writes each page of a spread with its facing page's
/// frames beside the media box, so a page would read its neighbour's text again. No viewer
/// shows it (pdftotext and MuPDF drop it too). A page whose every run lies off it has a wrong
/// box rather than no text, and keeps them.
fn drop_off_page(runs: &mut Vec<Run>, [x0, y0, x1, y1]: [f32; 4]) {
    let off = |r: &Run| {
        let margin = r.size.max(1.0);
        r.end_x < x0 - margin || r.x > x1 + margin || r.y < y0 - margin || r.y > y1 + margin
    };
    if runs.iter().any(|r| !off(r)) {
        runs.retain(|r| !off(r));
    }
}

/// A booklet's thumb tabs ("Eligibility", "General Information" set sideways at the page's
/// edge, a section's name for the thumb to find) are navigation, not text: read where their
/// start falls, they would cut the sentence beside them and head what follows. They are set
/// bold, to be found: a print job's stamp or a cropped chart's axis title at the edge is not,
/// and a form's sideways labels ("Form 1040", "Print or type.") sit inside its margin.
pub(super) fn drop_thumb_tabs(runs: &mut Vec<Run>, [x0, _, x1, _]: [f32; 4]) {
    let edge = THUMB_TAB_EDGE * (x1 - x0);
    runs.retain(|r| {
        let at_edge = r.end_x <= x0 + edge || r.x >= x1 - edge;
        if r.sideways.is_none() || !at_edge || !r.bold {
            return true;
        }
        // Vertical CJK columns are set sideways too, from the page's right, in no words.
        let named = r.text.contains(char::is_alphabetic) && !r.text.chars().any(crate::parsing::cjk::is_cjk);
        !(named && r.text.split_whitespace().count() <= THUMB_TAB_WORDS)
    });
}

/// A thumb tab lies within this share of the page's width from its left or right edge.
const THUMB_TAB_EDGE: f32 = 0.04;
/// A thumb tab names a section in at most this many words.
const THUMB_TAB_WORDS: usize = 4;

pub fn page_drawn<'a>(doc: &'a Document, page_id: ObjectId, cache: &FontCache<'a>) -> Result<Drawn, PageDamage> {
    let resources = Resources::of_page(doc, page_id, cache);
    let (view, width, height, shown) = page_view(doc, page_id);
    let mut out = Drawn { width, ..Drawn::default() };
    let content = page_content(doc, page_id)?;
    // A piece at a time: the operators of a whole figure page at once outweigh the file.
    let undecodable = std::cell::Cell::new(false);
    let operations = content::operations(&content, &undecodable);
    let page = Graphics::new(view, None);
    interpret_ops((doc, cache), operations, &resources, page, 0, Marked::default(), &mut out);
    drop_off_page(&mut out.runs, shown);
    if undecodable.get() {
        return Err(PageDamage::Undecodable);
    }
    crate::parsing::appearance::draw_annotations(doc, page_id, view, cache, &mut out);
    crate::parsing::overprint::drop_overprints(&mut out.runs);
    out.runs = join_sideways(out.runs);
    drop_thumb_tabs(&mut out.runs, shown);
    crate::parsing::vertical::turn_columns(&mut out, height);
    crate::parsing::landscape::turn_landscape(&mut out, height);
    Ok(out)
}
