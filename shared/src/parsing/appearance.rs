//! Annotations' appearances. What a filled-in form field, a typed comment or a stamp shows is
//! drawn by the annotation's own appearance stream (ISO 32000-1, 12.5.5), not by the page's
//! content: a filled insurance application keeps its answers (policy numbers, names, limits)
//! there, so without them the parse keeps the questions and loses the answers.

use super::content;
use super::layout::{Drawn, FontCache, Graphics, MAX_CONTENT_BYTES, Marked, Matrix, Resources, interpret, nums};
use super::paths::transformed_box;
use lopdf::{Dictionary, Document, Object, ObjectId, Stream};

/// A page with more annotations than this is hostile or generated; the rest are not drawn.
const MAX_ANNOTATIONS: usize = 4_000;
/// `/F` flags: Hidden (2) and NoView (6) annotations are not shown on screen.
const NOT_SHOWN: i64 = 1 << 1 | 1 << 5;

/// Adds the text the page's annotations show to `out.runs`, placed on the page as `view` shows
/// it. Their borders and backgrounds are not rules of the page: a field's box drawn by its
/// widget would otherwise turn a form's questions into table cells.
pub(super) fn draw_annotations<'a>(
    doc: &'a Document,
    page_id: ObjectId,
    view: Matrix,
    cache: &FontCache<'a>,
    out: &mut Drawn,
) {
    let Some(annots) =
        doc.get_dictionary(page_id).ok().and_then(|p| p.get_deref(b"Annots", doc).ok()).and_then(|a| a.as_array().ok())
    else {
        return;
    };
    let defaults = doc
        .catalog()
        .ok()
        .and_then(|c| c.get_deref(b"AcroForm", doc).ok())
        .and_then(|f| f.as_dict().ok())
        .and_then(|f| f.get_deref(b"DR", doc).ok())
        .and_then(|r| r.as_dict().ok());
    // Together, the appearances decode to no more than one content stream may.
    let mut budget = MAX_CONTENT_BYTES;
    let mut drawn = Drawn::default();
    for annot in annots.iter().take(MAX_ANNOTATIONS) {
        let Ok(annot) = doc.dereference(annot).and_then(|(_, a)| a.as_dict()) else { continue };
        let Some((form, rect)) = shown(doc, annot) else { continue };
        let Ok(body) = content::plain(doc, form, budget) else { continue };
        budget = budget.saturating_sub(body.len());
        let own = form.dict.get_deref(b"Resources", doc).and_then(Object::as_dict).ok().or(defaults);
        let res = own.map(|d| Resources::of_dict(d, doc, cache)).unwrap_or_default();
        let gs = Graphics { ctm: placement(form, rect).then(view), clip: Some(transformed_box(&view, rect)) };
        interpret((doc, cache), &body, &res, gs, 1, Marked::default(), &mut drawn);
        if budget == 0 {
            break;
        }
    }
    out.runs.extend(drawn.runs.into_iter().map(|r| super::layout::Run { annotation: true, ..r }));
}

/// The appearance an annotation shows and the rectangle it is shown in; `None` for one that is
/// hidden, has no appearance, or whose appearance is not the page's to read (a link's).
fn shown<'a>(doc: &'a Document, annot: &'a Dictionary) -> Option<(&'a Stream, [f32; 4])> {
    // A field's value and a comment typed on the page are the document's text; a note's icon,
    // a highlight, a stamp's picture and a button's caption ("Submit", "Print") are not.
    match annot.get(b"Subtype").and_then(Object::as_name).unwrap_or_default() {
        b"FreeText" => {}
        b"Widget" if !pushbutton(doc, annot) => {}
        _ => return None,
    }
    if annot.get(b"F").and_then(Object::as_i64).unwrap_or(0) & NOT_SHOWN != 0 {
        return None;
    }
    let normal = annot.get_deref(b"AP", doc).ok()?.as_dict().ok()?.get_deref(b"N", doc).ok()?;
    let form = match normal {
        Object::Stream(s) => s,
        // A check box or radio button: one appearance per state, the current one named by /AS.
        Object::Dictionary(states) => {
            let state = annot.get(b"AS").and_then(Object::as_name).ok()?;
            states.get_deref(state, doc).ok()?.as_stream().ok()?
        }
        _ => return None,
    };
    let rect = annot.get_deref(b"Rect", doc).ok()?.as_array().ok()?;
    let [x0, y0, x1, y1] = nums(rect)[..] else { return None };
    Some((form, [x0.min(x1), y0.min(y1), x0.max(x1), y0.max(y1)]))
}

/// The appearance's space onto the page (12.5.5): its bounding box, transformed by its own
/// matrix, is scaled and moved onto the annotation's rectangle.
fn placement(form: &Stream, [rx0, ry0, rx1, ry1]: [f32; 4]) -> Matrix {
    let own = form.dict.get(b"Matrix").and_then(Object::as_array).ok().and_then(|m| Matrix::from_operands(m));
    let own = own.unwrap_or(Matrix::IDENTITY);
    let bbox = form.dict.get(b"BBox").and_then(Object::as_array).map(|b| nums(b)).unwrap_or_default();
    let [bx0, by0, bx1, by1] = match bbox[..] {
        [a, b, c, d] => transformed_box(&own, [a.min(c), b.min(d), a.max(c), b.max(d)]),
        _ => [0.0, 0.0, rx1 - rx0, ry1 - ry0],
    };
    let scale = |to: f32, from: f32| if from > 0.0 { to / from } else { 1.0 };
    let (sx, sy) = (scale(rx1 - rx0, bx1 - bx0), scale(ry1 - ry0, by1 - by0));
    own.then(Matrix([sx, 0.0, 0.0, sy, rx0 - bx0 * sx, ry0 - by0 * sy]))
}

/// A push button: a field of type `/Btn` with flag 17 set, either on the widget or on the field
/// it belongs to (12.7.3.1: both are inherited down the field tree).
fn pushbutton(doc: &Document, widget: &Dictionary) -> bool {
    const PUSHBUTTON: i64 = 1 << 16;
    let inherited = |key: &[u8]| {
        let mut node = Some(widget);
        // A field tree deeper than this is a loop.
        for _ in 0..32 {
            let dict = node?;
            if let Ok(value) = dict.get_deref(key, doc) {
                return Some(value);
            }
            node = dict.get_deref(b"Parent", doc).and_then(Object::as_dict).ok();
        }
        None
    };
    inherited(b"FT").and_then(|t| t.as_name().ok()) == Some(b"Btn".as_slice())
        && inherited(b"Ff").and_then(|f| f.as_i64().ok()).is_some_and(|f| f & PUSHBUTTON != 0)
}
