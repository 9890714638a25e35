//! The content stream interpreter: graphics, text and marked-content operators.

use super::*;

/// A form XObject's content, a piece at a time like a page's: a piece that does not decode
/// draws nothing.
pub(in crate::parsing) fn interpret<'a>(
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
pub(in crate::parsing) struct Marked {
    pub(super) mcid: Option<i64>,
    pub(super) artifact: bool,
    pub(super) pagination: bool,
    /// Inside a sequence whose `/ActualText` holds no space (a soft hyphen, say): a space
    /// drawn there is the writer's stand-in, not a word gap.
    pub(super) unspaced: bool,
}

/// Marked-content sequences open and close in pairs; a hostile file gets no deeper than this.
pub(super) const MAX_MARKED_DEPTH: usize = 256;

pub(super) fn interpret_ops<'a>(
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
                if let Some(Object::Dictionary(d)) = o.get(1)
                    && let Ok(actual) = d.get(b"ActualText").and_then(lopdf::decode_text_string)
                {
                    m.unspaced = !actual.chars().any(char::is_whitespace);
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
            "g" | "rg" | "k" | "sc" | "scn" => st.gs.fill = fill_colour(&op.operator, o),
            "G" | "RG" | "K" | "SC" | "SCN" => st.gs.stroke = fill_colour(&op.operator, o),
            "cs" => st.gs.fill = initial_colour(o),
            "CS" => st.gs.stroke = initial_colour(o),
            "gs" => {
                if let Some(state) = o.first().and_then(|n| n.as_name().ok()).and_then(|n| res.states.get(n)) {
                    st.gs.see_through = st.gs.see_through.then(*state);
                }
            }
            other => {
                let drawn = out.rules.len();
                if let Some((bounds, exact)) = path.op(other, o, &st.gs.ctm, &mut out.rules) {
                    st.gs.clip_to(bounds, exact);
                }
                let ink = if matches!(other, "f" | "F" | "f*") { st.gs.fill } else { st.gs.stroke };
                if paper_white(ink) && out.rules.len() > drawn {
                    keep_showing(&mut out.rules, drawn, &out.inked);
                }
                for area in path.areas.drain(..) {
                    let shown = st.gs.clip.map_or(area, |c| intersect(c, area));
                    if out.panels.len() < MAX_PANELS && shown[2] > shown[0] && shown[3] > shown[1] {
                        out.panels.push(shown);
                    }
                }
                if let Some(shaded) = path.shaded.take() {
                    // A table's shaded rows may be thinner than a panel.
                    if !paper_white(st.gs.fill) && out.inked.len() < MAX_PANELS {
                        out.inked.push(shaded);
                    }
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

/// Choosing a colour space sets its initial colour: black in the device spaces.
fn initial_colour(operands: &[Object]) -> u32 {
    let device = operands
        .first()
        .and_then(|n| n.as_name().ok())
        .is_some_and(|n| [&b"DeviceGray"[..], b"DeviceRGB", b"DeviceCMYK", b"G", b"RGB", b"CMYK"].contains(&n));
    if device { 0 } else { UNKNOWN_FILL }
}

/// Keeps, of the rules from `from` on, drawn in white, those that cross a panel filled in a
/// colour: on the paper they are not there (a form's blanks drawn white under its fields),
/// while over a table's shaded rows they part its cells.
fn keep_showing(rules: &mut Vec<Rule>, from: usize, inked: &[[f32; 4]]) {
    // A rule along a panel's edge shows: half its width lies on the panel.
    const EDGE: f32 = 1.5;
    let on_panel = |r: &Rule| {
        inked.iter().any(|p| {
            let [x0, y0, x1, y1] = intersect(*p, [r.x0 - EDGE, r.y0 - EDGE, r.x1 + EDGE, r.y1 + EDGE]);
            x1 - x0 >= 1.0 && y1 - y0 >= 1.0
        })
    };
    let white: Vec<Rule> = rules.split_off(from);
    rules.extend(white.into_iter().filter(on_panel));
}

pub(super) fn at(marked: &[Marked]) -> Marked {
    marked.last().copied().unwrap_or_default()
}

pub(super) fn next_line(st: &mut TextState) {
    st.tlm = Matrix::translate(0.0, -st.leading).then(st.tlm);
    st.tm = st.tlm;
}
