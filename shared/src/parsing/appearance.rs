//! Annotations' appearances. What a filled-in form field, a typed comment or a stamp shows is
//! drawn by the annotation's own appearance stream (ISO 32000-1, 12.5.5), not by the page's
//! content: a filled insurance application keeps its answers (policy numbers, names, limits)
//! there, so without them the parse keeps the questions and loses the answers.

use super::content;
use super::layout::{
    Drawn, FontCache, Graphics, MAX_CONTENT_BYTES, Marked, Matrix, Resources, Run, inherited, interpret, nums,
};
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
    let form = doc.catalog().ok().and_then(|c| c.get_deref(b"AcroForm", doc).ok()).and_then(|f| f.as_dict().ok());
    let defaults = form.and_then(|f| f.get_deref(b"DR", doc).ok()).and_then(|r| r.as_dict().ok());
    // Form fillers that set a field's value and leave its appearance to the viewer say so.
    let stale = form.and_then(|f| f.get(b"NeedAppearances").and_then(Object::as_bool).ok()).unwrap_or(false);
    // Together, the appearances decode to no more than one content stream may.
    let mut budget = MAX_CONTENT_BYTES;
    let mut drawn = Drawn::default();
    let mut default_res: Option<Resources> = None;
    for annot in annots.iter().take(MAX_ANNOTATIONS) {
        let Ok(annot) = doc.dereference(annot).and_then(|(_, a)| a.as_dict()) else { continue };
        let Some((appearance, rect)) = shown(doc, annot) else { continue };
        if let Some(value) = field_value(doc, annot).filter(|_| stale || appearance.is_none()) {
            drawn.runs.extend(value_runs(doc, annot, form, &value, rect, &view));
            continue;
        }
        let Some(appearance) = appearance else { continue };
        let Ok(body) = content::plain(doc, appearance, budget) else { continue };
        budget = budget.saturating_sub(body.len());
        // Most fields draw with the form's default resources: those are gathered once a page.
        let own = appearance.dict.get_deref(b"Resources", doc).and_then(Object::as_dict).ok();
        let own = own.map(|d| Resources::of_dict(d, doc, cache));
        let res = match &own {
            Some(own) => own,
            None => default_res
                .get_or_insert_with(|| defaults.map(|d| Resources::of_dict(d, doc, cache)).unwrap_or_default()),
        };
        let gs = Graphics::new(placement(appearance, rect).then(view), Some(transformed_box(&view, rect)));
        interpret((doc, cache), &body, res, gs, 1, Marked::default(), &mut drawn);
        if budget == 0 {
            break;
        }
    }
    out.runs.extend(drawn.runs.into_iter().map(|r| Run { annotation: true, ..r }));
}

/// The appearance an annotation shows, if it has one, and the rectangle it is shown in; `None`
/// for one that is hidden or whose text is not the document's (a link, a note's icon).
fn shown<'a>(doc: &'a Document, annot: &'a Dictionary) -> Option<(Option<&'a Stream>, [f32; 4])> {
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
    let rect = annot.get_deref(b"Rect", doc).ok()?.as_array().ok()?;
    let [x0, y0, x1, y1] = nums(rect)[..] else { return None };
    let rect = [x0.min(x1), y0.min(y1), x0.max(x1), y0.max(y1)];
    let normal = annot.get_deref(b"AP", doc).ok().and_then(|ap| ap.as_dict().ok()?.get_deref(b"N", doc).ok());
    let appearance = match normal {
        Some(Object::Stream(s)) => Some(s),
        // A check box or radio button: one appearance per state, the current one named by /AS.
        Some(Object::Dictionary(states)) => annot
            .get(b"AS")
            .and_then(Object::as_name)
            .ok()
            .and_then(|state| states.get_deref(state, doc).ok()?.as_stream().ok()),
        _ => None,
    };
    Some((appearance, rect))
}

/// A push button: a field of type `/Btn` with flag 17 set.
fn pushbutton(doc: &Document, widget: &Dictionary) -> bool {
    const PUSHBUTTON: i64 = 1 << 16;
    inherited(doc, widget, b"FT").and_then(|t| t.as_name().ok()) == Some(b"Btn".as_slice())
        && inherited(doc, widget, b"Ff").and_then(|f| f.as_i64().ok()).is_some_and(|f| f & PUSHBUTTON != 0)
}

/// The value of a text or choice field as text (a list's choices one per line).
fn field_value(doc: &Document, widget: &Dictionary) -> Option<String> {
    let kind = inherited(doc, widget, b"FT")?.as_name().ok()?;
    if kind != b"Tx" && kind != b"Ch" {
        return None;
    }
    let text = |o: &Object| lopdf::decode_text_string(o).ok();
    let value = match inherited(doc, widget, b"V")? {
        Object::Array(items) => items.iter().filter_map(text).collect::<Vec<_>>().join("\n"),
        other => text(other)?,
    };
    (!value.trim().is_empty()).then_some(value)
}

/// A field's value set in its rectangle as a viewer would lay it out: at the size its default
/// appearance names (or one that fits the box), a line per line of the value, aligned as the
/// field's `/Q` says.
fn value_runs(
    doc: &Document,
    widget: &Dictionary,
    form: Option<&Dictionary>,
    value: &str,
    [x0, y0, x1, y1]: [f32; 4],
    view: &Matrix,
) -> Vec<Run> {
    let da = inherited(doc, widget, b"DA").or_else(|| form?.get_deref(b"DA", doc).ok());
    let named = da.and_then(|d| d.as_str().ok()).and_then(|da| {
        let da = String::from_utf8_lossy(da);
        let words: Vec<&str> = da.split_whitespace().collect();
        let at = words.iter().position(|w| *w == "Tf")?;
        words.get(at.checked_sub(1)?)?.parse::<f32>().ok()
    });
    let size = named.filter(|s| *s > 0.0 && s.is_finite()).unwrap_or(((y1 - y0) * 0.7).clamp(4.0, 12.0));
    let align = inherited(doc, widget, b"Q").and_then(|q| q.as_i64().ok()).unwrap_or(0);
    let lines: Vec<&str> = value.lines().filter(|l| !l.trim().is_empty()).collect();
    let one_line = lines.len() == 1;
    lines
        .into_iter()
        .enumerate()
        .map(|(i, line)| {
            let width = line.chars().count() as f32 * 0.5 * size;
            let x = match align {
                1 => (x0 + x1 - width) / 2.0,
                2 => x1 - 2.0 - width,
                _ => x0 + 2.0,
            };
            // One line sits in the middle of its box; more run down from its top.
            let y = if one_line {
                y0 + (y1 - y0 - size) / 2.0 + 0.2 * size
            } else {
                y1 - 2.0 - size * (1.15 * i as f32 + 0.8)
            };
            let (px, py) = view.point(x, y);
            let (end_x, _) = view.point(x + width, y);
            Run { annotation: true, ..Run::plain(px.min(end_x), py, px.max(end_x), size, line.trim().to_string()) }
        })
        .collect()
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
