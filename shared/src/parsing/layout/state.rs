//! The graphics and text state: matrices, the clip's box, the text parameters.

use super::*;

/// A 2-D affine matrix `[a b c d e f]` as PDF writes them.
#[derive(Clone, Copy, Debug)]
pub(in crate::parsing) struct Matrix(pub(in crate::parsing) [f32; 6]);

impl Matrix {
    pub(in crate::parsing) const IDENTITY: Matrix = Matrix([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);

    pub(super) fn translate(tx: f32, ty: f32) -> Matrix {
        Matrix([1.0, 0.0, 0.0, 1.0, tx, ty])
    }

    /// Whether a box stays a box: no turn but by quarters, no skew.
    pub(in crate::parsing) fn axis_aligned(&self) -> bool {
        let [a, b, c, d, ..] = self.0;
        (b == 0.0 && c == 0.0) || (a == 0.0 && d == 0.0)
    }

    /// `self × other`: apply self, then other.
    pub(in crate::parsing) fn then(self, o: Matrix) -> Matrix {
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
    pub(in crate::parsing) fn point(&self, x: f32, y: f32) -> (f32, f32) {
        let [a, b, c, d, e, f] = self.0;
        (a * x + c * y + e, b * x + d * y + f)
    }

    pub(in crate::parsing) fn from_operands(ops: &[Object]) -> Option<Matrix> {
        let v: Vec<f32> = ops.iter().filter_map(|o| o.as_float().ok()).collect();
        (v.len() == 6).then(|| Matrix([v[0], v[1], v[2], v[3], v[4], v[5]]))
    }
}

/// The part of the graphics state text placement needs: where user space lies on the page and
/// the box of the clipping path (`None`: the whole page).
#[derive(Clone, Copy)]
pub(in crate::parsing) struct Graphics {
    pub(in crate::parsing) ctm: Matrix,
    pub(in crate::parsing) clip: Option<[f32; 4]>,
    /// The clip is its box, not a shape within it (a hexagon, a circle, a turned rectangle).
    pub(in crate::parsing) clip_exact: bool,
    /// Whether a fill now lets what lies under it show (an `ExtGState`'s alpha or blend mode).
    pub(in crate::parsing) see_through: SeeThrough,
    /// The fill colour text is drawn in, as `0xRRGGBB`, or `UNKNOWN_FILL` in a colour space
    /// not read here (a spot colour's tint, a pattern).
    pub(in crate::parsing) fill: u32,
    /// The stroke colour lines are drawn in, read as the fill colour is.
    pub(in crate::parsing) stroke: u32,
}

impl Graphics {
    pub(in crate::parsing) fn new(ctm: Matrix, clip: Option<[f32; 4]>) -> Self {
        Graphics { ctm, clip, clip_exact: true, see_through: SeeThrough::default(), fill: 0, stroke: 0 }
    }

    pub(super) fn clip_to(&mut self, bounds: [f32; 4], exact: bool) {
        self.clip = Some(self.clip.map_or(bounds, |c| intersect(c, bounds)));
        self.clip_exact &= exact;
    }
}

/// The graphics state a show operator reads. All but the text matrices is what `q` saves and
/// `Q` restores: a font set inside `q … Q` does not outlive it.
#[derive(Clone)]
pub(super) struct TextState<'a> {
    pub(super) gs: Graphics,
    pub(super) tm: Matrix,
    pub(super) tlm: Matrix,
    /// Resolved when `Tf` names it, in the resources of the stream that names it.
    pub(super) font: Option<Rc<Font<'a>>>,
    pub(super) size: f32,
    pub(super) leading: f32,
    pub(super) char_space: f32,
    pub(super) word_space: f32,
    pub(super) h_scale: f32,
    /// `3 Tr`: neither filled nor stroked, the text layer OCR lays over a scanned page.
    pub(super) invisible: bool,
}

pub(in crate::parsing) fn nums(ops: &[Object]) -> Vec<f32> {
    ops.iter().filter_map(|o| o.as_float().ok()).collect()
}

/// A fill colour in a colour space not read here.
pub(in crate::parsing) const UNKNOWN_FILL: u32 = u32::MAX;

/// Whether a colour is white or so near it that nothing drawn in it shows on paper.
pub(in crate::parsing) fn paper_white(colour: u32) -> bool {
    colour != UNKNOWN_FILL && [16, 8, 0].iter().all(|shift| (colour >> shift) & 0xff >= 0xf5)
}

/// The colour a `g`, `rg`, `k`, `sc` or `scn` operator (or its stroking twin, `G` …) sets, as
/// `0xRRGGBB`: gray, RGB and CMYK by their operands' count (a pattern's name or a spot colour's
/// tint reads as unknown).
pub(in crate::parsing) fn fill_colour(operator: &str, ops: &[Object]) -> u32 {
    let v = nums(ops);
    let byte = |c: f32| (c.clamp(0.0, 1.0) * 255.0).round() as u32;
    let rgb = |r: f32, g: f32, b: f32| byte(r) << 16 | byte(g) << 8 | byte(b);
    if v.len() != ops.len() {
        return UNKNOWN_FILL;
    }
    match (operator, &v[..]) {
        ("g" | "G", [g]) => rgb(*g, *g, *g),
        ("rg" | "sc" | "scn" | "RG" | "SC" | "SCN", [r, g, b]) => rgb(*r, *g, *b),
        ("k" | "sc" | "scn" | "K" | "SC" | "SCN", [c, m, y, k]) => {
            rgb((1.0 - c) * (1.0 - k), (1.0 - m) * (1.0 - k), (1.0 - y) * (1.0 - k))
        }
        _ => UNKNOWN_FILL,
    }
}
