//! Text-showing operators: strings cut into runs at word and cell gaps, upright or vertical.

use super::*;

/// A horizontal gap wider than this (in ems) separates cells or columns, not words.
pub(in crate::parsing) const CELL_GAP: f32 = 1.2;

/// Two runs closer than this (in ems) are one word, drawn in pieces: no space between them.
pub(in crate::parsing) const JOINED_RUNS: f32 = 0.15;
/// A space pulled back over the glyph before it parts words only if the next glyph lands more
/// than this (in ems) beyond that glyph: the space stands unless it is overdrawn.
const FILLER_GAP: f32 = 0.05;
/// Space beyond a glyph's own width wider than this (in ems) is a word gap.
pub(super) const WORD_GAP: f32 = 0.18;
/// A TJ that kerns inside its words (offsets under `KERN` ems) and leaves no offset between
/// `KERN` and this sets its word gaps apart by that valley: tight justification then narrows
/// them under `WORD_GAP` ("coping strategies" at 0.178 em).
const NARROW_WORD_GAP: f32 = 0.12;
const KERN: f32 = 0.06;
/// A word gap under `WORD_GAP` is this many times the TJ's widest kern or more: a diagram set
/// in a font whose widths are off kerns "Netw" 0.121 em from "ork" beside kerns of 0.056.
const KERN_TO_WORD: f32 = 3.0;

/// The runs one show operator draws. A string is cut where the pen jumps a cell's width (TJ
/// offsets or character spacing): writers fill a table row with one TJ and draw its other
/// cells later, and a run spanning the jump would place those cells inside it.
pub(super) struct Pieces<'r> {
    pub(super) origin: Matrix,
    pub(super) size: f32,
    pub(super) em: f32,
    pub(super) bold: bool,
    /// The fill colour its glyphs are drawn in.
    pub(super) fill: u32,
    pub(super) marked: Marked,
    pub(super) clip: Option<[f32; 4]>,
    pub(super) runs: &'r mut Vec<Run>,
    pub(super) text: String,
    /// Where the current piece starts and where its last glyph's ink ends, in text space.
    pub(super) from: f32,
    pub(super) ink_end: f32,
    /// The gap (in ems) wider than which a space is written.
    pub(super) word_gap: f32,
}

impl<'r> Pieces<'r> {
    pub(super) fn new(
        origin: Matrix,
        size: f32,
        em: f32,
        bold: bool,
        marked: Marked,
        clip: Option<[f32; 4]>,
        runs: &'r mut Vec<Run>,
    ) -> Pieces<'r> {
        Pieces {
            origin,
            size,
            em,
            bold,
            fill: 0,
            marked,
            clip,
            runs,
            text: String::new(),
            from: 0.0,
            ink_end: 0.0,
            word_gap: WORD_GAP,
        }
    }

    /// Before a glyph drawn at `at` after `gap` of space beyond the previous glyph's width.
    pub(super) fn before_glyph(&mut self, gap: f32, at: f32) {
        // An item's label closed by its bracket needs no more than a narrow gap to part it from
        // the words after it ("ii) up to $1,000", 0.13 em in a condensed font): a single narrow
        // gap elsewhere may be a wide kern, and code's or a formula's brackets ("f(5));") are set
        // as they come.
        let word_gap = if ends_with_label(&self.text) { self.word_gap.min(NARROW_WORD_GAP) } else { self.word_gap };
        if gap > CELL_GAP * self.em && !self.text.trim().is_empty() {
            self.flush();
        } else if gap > word_gap * self.em && !self.text.is_empty() && !self.text.ends_with(' ') {
            self.text.push(' ');
        }
        if self.text.is_empty() {
            self.from = at;
        }
    }

    pub(super) fn flush(&mut self) {
        let text = std::mem::take(&mut self.text);
        if text.trim().is_empty() {
            if !text.is_empty() && !self.marked.unspaced {
                self.space_after_last();
            }
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
            window: if hidden { self.clip.map_or(0, window_key) } else { 0 },
            size: self.size,
            bold: self.bold,
            fill: self.fill,
            text,
            mcid: self.marked.mcid,
            artifact: self.marked.artifact,
            pagination: self.marked.pagination,
            role: None,
            sideways,
            annotation: false,
            stacked: false,
            spaced: false,
        });
    }
}

/// Whether the text ends with an item's label closed by its bracket: "ii)", "(b)", "(12)". A
/// letter or a number closed by a bracket it did not open is as often an argument ("add(3, 5)").
pub(super) fn ends_with_label(text: &str) -> bool {
    let Some(rest) = text.strip_suffix(')') else { return false };
    let word = rest.rsplit(' ').next().unwrap_or(rest);
    let (opened, label) = word.strip_prefix('(').map_or((false, word), |l| (true, l));
    let roman = (1..=5).contains(&label.len()) && label.chars().all(|c| "ivxlc".contains(c));
    let letter = label.len() == 1 && label.chars().all(|c| c.is_ascii_alphabetic());
    let number = (1..=2).contains(&label.len()) && label.chars().all(|c| c.is_ascii_digit());
    roman || (opened && (letter || number))
}

/// A clip's box as a key: windows at other places (or of other sizes) get other keys.
fn window_key(clip: [f32; 4]) -> u32 {
    clip.iter().fold(0x811c_9dc5u32, |h, v| (h ^ v.to_bits()).wrapping_mul(0x0100_0193)) | 1
}

impl Pieces<'_> {
    /// A space drawn on its own (often in another font than the words around it) marks the
    /// run it follows on its baseline as `spaced`. Measured on the page, in the page's type size:
    /// `em` is text space's, a point where a writer sets `1 Tf` and scales the matrix.
    fn space_after_last(&mut self) {
        let [a, b, ..] = self.origin.0;
        if b.abs() > a.abs() {
            return;
        }
        let (x, y) = self.origin.point(self.from, 0.0);
        if let Some(last) = self.runs.last_mut()
            && last.sideways.is_none()
            && (last.y - y).abs() < 0.2 * last.size.max(self.size)
            && x >= last.end_x - JOINED_RUNS * self.size
            && x - last.end_x < CELL_GAP * self.size
        {
            last.spaced = true;
        }
    }
}

/// A sideways line drawn in several strings (a font change for a bold phrase, say) is one run:
/// each string starts where the one before it ended, on the same baseline.
pub(super) fn join_sideways(runs: Vec<Run>) -> Vec<Run> {
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
pub(super) fn spelled(font: &Font<'_>, items: &[Object]) -> bool {
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
pub(super) fn show(st: &mut TextState, items: &[Object], marked: Marked, runs: &mut Vec<Run>) {
    let Some(font) = st.font.clone() else { return };
    if let Some(step) = font.vertical {
        return show_vertical(st, &font, step, items, marked, runs);
    }
    let origin = st.tm.then(st.gs.ctm);
    let scale = (origin.0[2].powi(2) + origin.0[3].powi(2)).sqrt();
    let (size, tc, tw, h) = (st.size, st.char_space, st.word_space, st.h_scale);
    let mut pieces = Pieces::new(origin, (size * scale).abs(), size.abs(), font.bold, marked, st.gs.clip, runs);
    pieces.fill = st.gs.fill;
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
    // Two kerns and two word gaps take four offsets between five strings at the least.
    if items.len() >= 9 {
        pieces.word_gap = word_gap(&tj_gaps(&font, items, size, tc, tw));
    }
    let tracked = st.invisible
        && tc > 0.0
        && tc < CELL_GAP * size.abs()
        && !items.iter().any(|i| i.as_float().is_ok())
        && spelled(&font, items);
    // A space drawn as a string of its own after the pen is pulled back over the ligature
    // before it (Distiller's: `[(de\x1e) 235 ( ) 70 (ned)]` for "defined"): where the next
    // glyph lands says whether it parts words, not the space itself. Where the space began.
    let mut filler: Option<f32> = None;
    // The same across operators: the string that ended with the ligature was shown on its own
    // and a text move set the pen back over it (`(such as \x1e)Tj 18.309 0 TD [( )14.5(re, …`).
    let mut over_ligature = ligature_behind(pieces.runs, origin, (size * scale).abs());
    let mut pulled_back = over_ligature.is_some();
    // Its space may open the string of the word's rest (`(\x1f)Tj .269 0 TD [( ood)]TJ`).
    let parted;
    let items = match items.split_first() {
        Some((Object::String(bytes, format), rest))
            if over_ligature.is_some()
                && !font.two_byte
                && bytes.starts_with(b" ")
                && !bytes.trim_ascii().is_empty() =>
        {
            let spaces = bytes.iter().take_while(|b| **b == b' ').count();
            let (blank, word) = bytes.split_at(spaces);
            parted = [Object::String(blank.to_vec(), *format), Object::String(word.to_vec(), *format)]
                .into_iter()
                .chain(rest.iter().cloned())
                .collect::<Vec<_>>();
            parted.as_slice()
        }
        _ => items,
    };
    for item in items {
        let set_back_over = over_ligature.take();
        if let Some(from) = filler
            && matches!(item, Object::String(b, _) if !b.is_empty())
        {
            filler = None;
            let beyond = (advance - from) / h.max(f32::EPSILON);
            pieces.before_glyph(beyond, advance);
            if beyond > FILLER_GAP * pieces.em && !pieces.text.ends_with(' ') {
                pieces.text.push(' ');
            }
            gap = 0.0;
        }
        match item {
            Object::String(bytes, _)
                if pulled_back
                    && !font.two_byte
                    && !tracked
                    && !bytes.is_empty()
                    && bytes.iter().all(|b| *b == b' ')
                    && (set_back_over.is_some() || ends_with_ligature(&pieces.text))
                    && font.decodes_to_spaces(bytes) =>
            {
                filler = Some(set_back_over.unwrap_or(pieces.ink_end));
                let spaces = bytes.len() as f32;
                advance += (font.advance(bytes) * size + spaces * (tc + tw)) * h;
                gap = 0.0;
            }
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
                    pulled_back = n > 0.0;
                    continue;
                }
            }
        }
        pulled_back = false;
    }
    // A filler space that ends the string is a space all the same.
    if filler.is_some() && !pieces.text.ends_with(' ') {
        pieces.text.push(' ');
    }
    if tracked && !pieces.text.ends_with(' ') {
        // The next string, drawn at the pen, runs on from this one ("h" after " Nort").
        pieces.ink_end = advance;
    }
    pieces.flush();
    st.tm = Matrix::translate(advance, 0.0).then(st.tm);
}

fn ends_with_ligature(text: &str) -> bool {
    ["fi", "fl", "ff", "\u{fb00}", "\u{fb01}", "\u{fb02}", "\u{fb03}", "\u{fb04}"].iter().any(|l| text.ends_with(l))
}

/// Where the last run's ink ends, in the text space of a string about to be shown at `origin`,
/// when that run ends with a ligature and the pen stands on its baseline, set back less than an
/// em (`em`, on the page) from that end: over the ligature.
fn ligature_behind(runs: &[Run], origin: Matrix, em: f32) -> Option<f32> {
    let [a, b, c, _, x, y] = origin.0;
    let last = runs.last()?;
    let upright = a > 0.0 && b.abs() < 1e-6 && c.abs() < 1e-6;
    // Shown for every string: the text is looked at last.
    (upright
        && last.sideways.is_none()
        && (last.y - y).abs() < 0.2 * em
        && last.x < x
        && last.end_x - em < x
        && x < last.end_x
        && ends_with_ligature(&last.text))
    .then(|| (last.end_x - x) / a)
}

/// The gaps (in ems, beyond the glyphs' own widths) between a TJ's strings, and each string's
/// number of glyphs.
fn tj_gaps(font: &Font<'_>, items: &[Object], size: f32, tc: f32, tw: f32) -> (Vec<f32>, Vec<usize>) {
    let em = size.abs();
    let (mut gaps, mut lens) = (Vec::new(), Vec::new());
    if em == 0.0 {
        return (gaps, lens);
    }
    let mut gap: Option<f32> = None;
    for item in items {
        match item {
            Object::String(bytes, _) if !bytes.is_empty() => {
                gaps.extend(gap.map(|g| g / em));
                lens.push(font.codes(bytes).count());
                let spaced = !font.two_byte && bytes.last() == Some(&b' ');
                gap = Some(tc + if spaced { tw } else { 0.0 });
            }
            other => {
                if let (Some(g), Ok(n)) = (gap.as_mut(), other.as_float()) {
                    *g -= n / 1000.0 * size;
                }
            }
        }
    }
    (gaps, lens)
}

/// `NARROW_WORD_GAP` (or more, see `KERN_TO_WORD`) when the gaps fall in two groups, kerns and
/// word gaps, with two word gaps or more under `WORD_GAP`, and the words they would part are
/// mostly two letters or more: a letter-spaced title ("V i n s") would part into letters and
/// keeps `WORD_GAP`; so does one wide kern inside a word ("Ev" "ent").
fn word_gap((gaps, lens): &(Vec<f32>, Vec<usize>)) -> f32 {
    let kerns = gaps.iter().filter(|g| g.abs() < KERN).count();
    let widest_kern = gaps.iter().map(|g| g.abs()).filter(|g| *g < KERN).fold(0.0, f32::max);
    let between = gaps.iter().any(|g| (KERN..NARROW_WORD_GAP).contains(g));
    let cut = NARROW_WORD_GAP.max(KERN_TO_WORD * widest_kern);
    let narrow = gaps.iter().filter(|g| (cut..WORD_GAP).contains(*g)).count();
    if kerns < 2 || between || narrow < 2 {
        return WORD_GAP;
    }
    let (mut words, mut letters, mut glyphs) = (0, 0, 0);
    for (i, len) in lens.iter().enumerate() {
        glyphs += len;
        if gaps.get(i).is_none_or(|g| *g >= cut) {
            words += 1;
            letters += usize::from(glyphs == 1);
            glyphs = 0;
        }
    }
    if letters * 3 <= words { cut } else { WORD_GAP }
}

/// Shows strings in writing mode 1: each glyph `step` ems below the one before (ISO 32000-1,
/// 9.4.4), a column read top to bottom. The pieces are those of horizontal text turned a quarter
/// clockwise, so a column is a sideways run from its top to its foot.
pub(super) fn show_vertical(
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
    pieces.fill = st.gs.fill;
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
