//! Text painted over: an opaque fill drawn after text hides it. A guide that shows a sample
//! form as a stack of sheets draws each sheet's white page over the one before; read through,
//! the sheets' lines interleave word by word ("REQUIREDmay owe", "Lendee"). Covered text is
//! hidden like text outside the clip: kept, but read apart from the page's layout.

use super::layout::Run;
use lopdf::{Dictionary, Document, Object};

/// A filled box smaller than this (points) across or along is a rule, a bullet or a check box,
/// not something laid over text.
const MIN_COVER: f32 = 6.0;

/// Runs compared against covering boxes per page, at most: a chart of thousands of bars drawn
/// after its labels cannot make a page quadratic.
const MAX_WORK: usize = 4_000_000;

/// What a graphics state parameter dictionary (`/GS0 gs`) sets that lets a fill show what lies
/// under it: a fill alpha below 1, a blend mode other than Normal, a soft mask. `None`: not set.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct SeeThrough {
    alpha: Option<bool>,
    blend: Option<bool>,
    mask: Option<bool>,
}

impl SeeThrough {
    pub(super) fn of(dict: &Dictionary, doc: &Document) -> Self {
        let get = |k: &[u8]| dict.get_deref(k, doc).ok();
        let normal = |o: &Object| match o {
            Object::Name(n) => n == b"Normal" || n == b"Compatible",
            // An array lists blend modes in order of preference: the first is the one meant.
            Object::Array(a) => {
                a.first().and_then(|n| n.as_name().ok()).is_some_and(|n| n == b"Normal" || n == b"Compatible")
            }
            _ => true,
        };
        SeeThrough {
            alpha: get(b"ca").and_then(|a| a.as_float().ok()).map(|a| a < 0.99),
            blend: get(b"BM").map(|b| !normal(b)),
            mask: get(b"SMask").map(|m| !matches!(m, Object::Name(n) if n == b"None")),
        }
    }

    /// The state after `gs` applies `other`: what it sets replaces, what it leaves stays.
    pub(super) fn then(self, other: SeeThrough) -> Self {
        SeeThrough {
            alpha: other.alpha.or(self.alpha),
            blend: other.blend.or(self.blend),
            mask: other.mask.or(self.mask),
        }
    }

    pub(super) fn any(self) -> bool {
        self.alpha == Some(true) || self.blend == Some(true) || self.mask == Some(true)
    }
}

/// Hides every visible run whose glyphs lie wholly inside `rect` (`[x0 y0 x1 y1]`, page space).
/// `work` counts comparisons made on the page so far.
pub(super) fn hide_covered(runs: &mut [Run], rect: [f32; 4], work: &mut usize) {
    let [x0, y0, x1, y1] = rect;
    if x1 - x0 < MIN_COVER || y1 - y0 < MIN_COVER || *work >= MAX_WORK {
        return;
    }
    *work += runs.len();
    for run in runs.iter_mut().filter(|r| !r.hidden && r.sideways.is_none()) {
        // Glyphs reach 0.7 em above the baseline and, with descenders, a fifth of an em below
        // it; a tenth of an em to spare allows for widths estimated from the font.
        let slack = 0.1 * run.size;
        let descent = if sits_on_baseline(&run.text) { 0.0 } else { 0.2 * run.size };
        let (left, right) = (run.x.min(run.end_x), run.x.max(run.end_x));
        run.hidden = left >= x0 - slack
            && right <= x1 + slack
            && run.y - descent >= y0 - slack
            && run.y + 0.7 * run.size <= y1 + slack;
    }
}

/// No glyph of the text reaches below its baseline: capitals (but J and Q), digits, letters
/// without descenders and a few marks. A box drawn over a running head set in capitals may
/// stop at their baseline.
fn sits_on_baseline(text: &str) -> bool {
    text.chars().all(|c| c.is_ascii_alphanumeric() && !"gjpqyJQ".contains(c) || " .-:&'!?".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(x: f32, y: f32, text: &str) -> Run {
        Run { x, y, end_x: x + 5.0 * text.len() as f32, size: 10.0, text: text.into(), ..Run::default() }
    }

    #[test]
    fn a_box_hides_the_text_wholly_under_it_and_nothing_else() {
        let mut runs = vec![run(10.0, 100.0, "under"), run(90.0, 100.0, "astride"), run(10.0, 300.0, "above")];
        let mut work = 0;
        hide_covered(&mut runs, [0.0, 50.0, 100.0, 200.0], &mut work);
        let hidden: Vec<bool> = runs.iter().map(|r| r.hidden).collect();
        assert_eq!(hidden, [true, false, false]);
        // A thin box is a rule drawn under a line, not a sheet laid over it.
        let mut runs = vec![run(10.0, 100.0, "under")];
        hide_covered(&mut runs, [0.0, 97.0, 100.0, 99.0], &mut work);
        assert!(!runs[0].hidden);
        // A box over a section's name in capitals, from just under their baseline: a later
        // page's name drawn over the one left on the template. Words that reach below the
        // baseline still show under its edge.
        let mut runs = vec![run(10.0, 100.0, "EXECUTIVE SUMMARY"), run(10.0, 100.0, "Appendix")];
        hide_covered(&mut runs, [0.0, 99.5, 200.0, 110.0], &mut work);
        assert!(runs[0].hidden && !runs[1].hidden);
    }

    #[test]
    fn a_translucent_state_stays_until_a_state_sets_it_opaque() {
        let doc = Document::new();
        let dict = |pairs: Vec<(&str, Object)>| SeeThrough::of(&Dictionary::from_iter(pairs), &doc);
        let half = dict(vec![("ca", Object::Real(0.5))]);
        let multiply = dict(vec![("BM", Object::Name(b"Multiply".to_vec()))]);
        let line_width = dict(vec![("LW", Object::Integer(2))]);
        let opaque = dict(vec![("ca", Object::Integer(1)), ("BM", Object::Name(b"Normal".to_vec()))]);
        assert!(half.any() && multiply.any() && !line_width.any());
        assert!(SeeThrough::default().then(half).then(line_width).any());
        assert!(!half.then(multiply).then(opaque).any());
        assert!(!dict(vec![("SMask", Object::Name(b"None".to_vec()))]).any());
    }
}
