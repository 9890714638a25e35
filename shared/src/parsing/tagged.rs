//! Tagged PDFs: the document's own logical structure (ISO 32000-1, 14.7–14.8) instead of layout
//! guesses. Word, InDesign and Acrobat write a structure tree whose elements (H1–H6, P, L/LI,
//! Table/TR/TH/TD, …) point at marked content on the pages by MCID, in reading order; running
//! heads and footers are marked as artifacts. When the tree accounts for nearly all of the
//! text, it gives headings, lists, tables and reading order exactly; otherwise (no tree, a
//! broken or partial one) the caller keeps the layout heuristics.

use super::bidi::mostly_right_to_left;
use super::blocks::{PageText, is_script, join_line, pagination_said_once, running_left_out};
use super::layout::{JOINED_RUNS, Run};
use super::row_order::{Left, in_page_order};
use lopdf::{Dictionary, Document, Object, ObjectId};
use std::collections::{HashMap, HashSet};

/// Share of a page's text (pagination artifacts aside) the tree must reach to be trusted.
const MIN_COVERAGE: f64 = 0.9;
/// Guards against hostile trees: nesting, element count.
const MAX_DEPTH: usize = 64;
const MAX_ELEMENTS: usize = 200_000;

#[derive(Debug)]
enum Block {
    Heading(usize, String),
    Paragraph(String),
    Item(String),
    Table(Vec<Vec<String>>),
}

/// Where one element's text lives: (page index, MCID) in tree order.
type Marks = Vec<(usize, i64)>;

/// A paragraph that may go on in the next element: its block, its marks, how many elements
/// made it, whether the last was inline (a link, a span), and that one's text.
struct Open {
    at: usize,
    marks: Marks,
    inline: bool,
    pieces: usize,
    tail: String,
}

/// A heading's label read apart from it ("Q:", "A.", "12") has at most this many letters and
/// digits.
const MAX_LABEL_CHARS: usize = 3;

/// A heading of the layout's is found in at most this many of the tree's paragraphs in a row.
const MAX_HEADING_PIECES: usize = 3;

/// Bounds on joining pieces into one paragraph, against trees of a million one-letter spans:
/// pieces per paragraph, and runs read to find its edges.
const MAX_PIECES: usize = 2_000;
const EDGE_RUNS: usize = 400;

struct Walk<'a> {
    doc: &'a Document,
    role_map: Option<&'a Dictionary>,
    page_index: HashMap<ObjectId, usize>,
    pages: &'a [PageText],
    by_mark: HashMap<(usize, i64), Vec<usize>>,
    used: HashSet<(usize, i64)>,
    visited: HashSet<ObjectId>,
    elements: usize,
    /// (page index, block) in reading order.
    blocks: Vec<(usize, Block)>,
    /// The marks under heading elements, with their level and the element's number.
    heading_marks: HashMap<(usize, i64), (usize, usize)>,
    headings: usize,
    /// The last heading pushed: its block and first mark.
    last_heading: Option<(usize, (usize, i64))>,
    /// The last block pushed when it is a paragraph that may go on.
    open: Option<Open>,
    /// Marks read loose off a grouping element in one piece that holds lines of different
    /// styles, titles and body alike (Acrobat's `Part` per page holding all its text).
    unstructured: HashSet<(usize, i64)>,
    damaged: bool,
}

/// What the tree says about the pages: markdown for each page it covers (`None` for one it
/// does not), and the role of each marked piece of text, for the layout heuristics to follow
/// on the pages it covers only in part.
pub struct Tagged {
    pub pages: Vec<Option<String>>,
    pub roles: HashMap<(usize, i64), Role>,
    /// Per page, the pagination runs that are not furniture (see `pagination_said_once`).
    said_once: Vec<Vec<usize>>,
    /// What `pages` is rendered from, and which pages the tree covers.
    blocks: Vec<(usize, Block)>,
    tagged: Vec<bool>,
    names_headings: bool,
}

impl Tagged {
    /// Whether the tree tags any heading: Acrobat's and InDesign's exports without paragraph
    /// styles mapped tag titles and body alike as `P`, all through the document.
    pub fn names_headings(&self) -> bool {
        self.names_headings
    }

    /// Takes the headings the layout sees on the pages the tree covers, for a tree that names
    /// none: each paragraph of the tree that reads as a heading of the layout's on its page
    /// (once each) becomes that heading, at the layout's level. Reading order, lists and tables
    /// stay the tree's.
    pub fn headings_from(&mut self, layout: &[String]) {
        let mut found: Vec<Vec<(usize, String)>> = layout
            .iter()
            .map(|page| {
                let heads = page.lines().filter_map(|line| {
                    let level = line.bytes().take_while(|b| *b == b'#').count();
                    let text = line.get(level..)?.strip_prefix(' ')?;
                    (1..=6).contains(&level).then(|| (level, heading_key(text)))
                });
                heads.filter(|(_, key)| !key.is_empty()).collect()
            })
            .collect();
        let mut changed = false;
        let mut i = 0;
        while i < self.blocks.len() {
            let page = self.blocks[i].0;
            // A heading the tree cuts into paragraphs line by line ("Q: Is insurance coverage
            // different for different" / "businesses?") is the run of them that reads as it.
            let mut text = String::new();
            let mut hit = None;
            for n in 1..=MAX_HEADING_PIECES {
                let (Some((p, Block::Paragraph(piece))), Some(heads)) =
                    (self.blocks.get(i + n - 1), found.get_mut(page))
                else {
                    break;
                };
                if *p != page {
                    break;
                }
                if n > 1 {
                    text.push(' ');
                }
                text.push_str(piece);
                let key = heading_key(&text);
                if let Some(at) = heads.iter().position(|(_, k)| *k == key) {
                    hit = Some((n, heads.remove(at).0));
                    break;
                }
            }
            if let Some((n, level)) = hit {
                self.blocks[i].1 = Block::Heading(level, text);
                self.blocks.drain(i + 1..i + n);
                changed = true;
            }
            i += 1;
        }
        changed |= self.join_labels(&found);
        if changed {
            self.pages = render_pages(&self.blocks, &self.tagged);
        }
    }

    /// A label the tree reads apart from its heading (a FAQ's "Q:" read at the page's end):
    /// for each layout heading still unmatched that is such a label and a paragraph of the
    /// tree's on its page, the paragraph becomes the heading with its label, and the label
    /// goes.
    fn join_labels(&mut self, unmatched: &[Vec<(usize, String)>]) -> bool {
        // Per page with a heading unmatched, its paragraphs and their keys.
        let mut on_page: HashMap<usize, Vec<(usize, String)>> = HashMap::new();
        for (i, (page, block)) in self.blocks.iter().enumerate() {
            if let Block::Paragraph(t) = block
                && unmatched.get(*page).is_some_and(|h| !h.is_empty())
            {
                on_page.entry(*page).or_default().push((i, heading_key(t)));
            }
        }
        let text = |i: usize| match &self.blocks[i].1 {
            Block::Paragraph(t) => t.as_str(),
            _ => "",
        };
        let mut joined: Vec<(usize, usize, usize)> = Vec::new(); // label, paragraph, level
        let mut used = HashSet::new();
        for (page, paragraphs) in &on_page {
            for (level, key) in &unmatched[*page] {
                let label = paragraphs.iter().find(|(i, k)| {
                    !used.contains(i)
                        && (1..=MAX_LABEL_CHARS).contains(&k.chars().count())
                        && key.starts_with(k.as_str())
                });
                let Some((label, label_key)) = label else { continue };
                let rest = &key[label_key.len()..];
                let paragraph =
                    paragraphs.iter().find(|(i, k)| !used.contains(i) && i != label && k == rest).map(|p| p.0);
                let label = *label;
                if let Some(paragraph) = paragraph {
                    used.extend([label, paragraph]);
                    joined.push((label, paragraph, *level));
                }
            }
        }
        let headings: Vec<(usize, Block)> = joined
            .iter()
            .map(|&(label, paragraph, level)| {
                (paragraph, Block::Heading(level, format!("{} {}", text(label).trim(), text(paragraph))))
            })
            .collect();
        for (paragraph, heading) in headings {
            self.blocks[paragraph].1 = heading;
        }
        let labels: HashSet<usize> = joined.iter().map(|j| j.0).collect();
        let mut i = 0..;
        self.blocks.retain(|_| !labels.contains(&i.next().unwrap_or_default()));
        !joined.is_empty()
    }

    /// Gives the layout the tree's roles on the pages it reads: each marked run's role, body
    /// for the rest of a page whose headings the tree names (text it leaves out is not one), and
    /// the writer's pagination marks taken out as furniture.
    pub fn annotate(&self, pages: &mut [PageText]) {
        for (p, page) in pages.iter_mut().enumerate() {
            let mut i = 0..;
            page.runs.retain(|r| {
                let i = i.next().unwrap_or_default();
                !r.pagination || self.said_once.get(p).is_some_and(|kept| kept.contains(&i))
            });
            for r in &mut page.runs {
                r.role = r.mcid.and_then(|m| self.roles.get(&(p, m)).copied());
            }
            if page.runs.iter().any(|r| matches!(r.role, Some(Role::Heading(..)))) {
                for r in page.runs.iter_mut().filter(|r| r.role.is_none()) {
                    r.role = Some(Role::Body);
                }
            }
        }
    }
}

/// The tree's word on a marked piece of text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Role {
    /// A heading's level, and which heading element (lines of one element are one heading).
    Heading(usize, usize),
    Body,
}

impl<'a> Walk<'a> {
    /// The standard role: custom types go through the RoleMap (a chain, cycles cut). A standard
    /// type stays itself (ISO 32000-1, 14.8.4: the map is for the others): InDesign maps its
    /// `Table` style to `Sect` while the rows under it are standard `TR`s.
    fn role(&self, elem: &Dictionary) -> Vec<u8> {
        let mut role = elem.get(b"S").and_then(Object::as_name).map(<[u8]>::to_vec).unwrap_or_default();
        if is_standard(&role) {
            return role;
        }
        for _ in 0..8 {
            match self.role_map.and_then(|m| m.get(&role).and_then(Object::as_name).ok()) {
                Some(next) if next != role.as_slice() => role = next.to_vec(),
                _ => break,
            }
        }
        role
    }

    fn page_of(&self, dict: &Dictionary, inherited: Option<usize>) -> Option<usize> {
        dict.get(b"Pg")
            .and_then(Object::as_reference)
            .ok()
            .and_then(|id| self.page_index.get(&id).copied())
            .or(inherited)
    }

    /// A marked-content reference (`/MCR`: an MCID, on its own `/Pg` or the element's); an
    /// object reference (`/OBJR`, an annotation or form field) carries no text.
    fn content_ref(&self, dict: &Dictionary, page: Option<usize>) -> Option<(usize, i64)> {
        Some((self.page_of(dict, page)?, dict.get(b"MCID").and_then(Object::as_i64).ok()?))
    }

    /// The element's kids as dictionaries (struct elements or marked-content references) and
    /// bare MCIDs, with the page each applies to.
    fn kids(&mut self, elem: &'a Dictionary, page: Option<usize>) -> Vec<Kid<'a>> {
        let Ok(k) = elem.get(b"K") else { return Vec::new() };
        let items: Vec<&Object> = match k {
            Object::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        let mut out = Vec::new();
        for item in items {
            match item {
                Object::Integer(mcid) => out.extend(page.map(|p| Kid::Mark(p, *mcid))),
                Object::Reference(id) => {
                    if !self.visited.insert(*id) {
                        self.damaged = true;
                        continue;
                    }
                    if let Ok(d) = self.doc.get_dictionary(*id) {
                        out.push(Kid::Dict(d));
                    }
                }
                Object::Dictionary(d) => out.push(Kid::Dict(d)),
                _ => {}
            }
        }
        out
    }

    /// Every mark under an element, in order.
    fn marks(&mut self, elem: &'a Dictionary, page: Option<usize>, depth: usize, out: &mut Marks) {
        self.marks_but(elem, page, depth, out, None);
    }

    /// Every mark under an element but those of its figures, which are set apart: a heading
    /// may hold the picture it introduces (InDesign anchors a sample form in one).
    fn marks_but(
        &mut self,
        elem: &'a Dictionary,
        page: Option<usize>,
        depth: usize,
        out: &mut Marks,
        figures: Option<&mut Vec<&'a Dictionary>>,
    ) {
        if depth > MAX_DEPTH || self.elements > MAX_ELEMENTS {
            self.damaged = true;
            return;
        }
        self.elements += 1;
        let page = self.page_of(elem, page);
        let kids = self.kids(elem, page);
        self.kid_marks(kids, page, depth, out, figures);
    }

    /// An element's kids in runs: those its own text is made of, up to each block it holds
    /// (`None` after the last).
    fn segments(&mut self, elem: &'a Dictionary, page: Option<usize>) -> Vec<(Vec<Kid<'a>>, Option<&'a Dictionary>)> {
        let (mut out, mut run) = (Vec::new(), Vec::new());
        for kid in self.kids(elem, page) {
            match kid {
                Kid::Dict(d) if d.has(b"S") && is_block(&self.role(d)) => out.push((std::mem::take(&mut run), Some(d))),
                other => run.push(other),
            }
        }
        out.push((run, None));
        out
    }

    /// The marks of kids already listed (see `marks_but`).
    fn kid_marks(
        &mut self,
        kids: Vec<Kid<'a>>,
        page: Option<usize>,
        depth: usize,
        out: &mut Marks,
        mut figures: Option<&mut Vec<&'a Dictionary>>,
    ) {
        for kid in kids {
            match kid {
                Kid::Mark(p, m) => out.push((p, m)),
                Kid::Dict(d) if d.has(b"S") => match figures.as_deref_mut() {
                    Some(set_apart) if self.role(d) == b"Figure" => set_apart.push(d),
                    rest => self.marks_but(d, page, depth + 1, out, rest),
                },
                Kid::Dict(d) => out.extend(self.content_ref(d, page)),
            }
        }
    }

    fn text(&mut self, marks: &Marks) -> String {
        let mut out = String::new();
        let mut prev: Option<&Run> = None;
        // Where the current line's text starts in `out`, and its runs: a line of right-to-left
        // text is rebuilt from its runs in reading order when it ends.
        let (mut line_start, mut line): (usize, Vec<&Run>) = (0, Vec::new());
        for key in marks {
            self.used.insert(*key);
            let Some(indices) = self.by_mark.get(key) else { continue };
            for &i in indices {
                let run = &self.pages[key.0].runs[i];
                if let Some(p) = prev {
                    let new_line = (p.y - run.y).abs() > 0.4 * p.size.max(run.size);
                    if new_line && !is_script(run, p) && !is_script(p, run) {
                        right_to_left_line(&mut out, line_start, &line);
                        line.clear();
                        // The next line: a word hyphenated across it is joined as the layout
                        // joins it.
                        out.truncate(out.trim_end().len());
                        join_line(&mut out, run.text.trim_start());
                        line_start = out.len() - run.text.trim_start().len();
                        line.push(run);
                        prev = Some(run);
                        continue;
                    }
                    let gap = run.x - p.end_x > JOINED_RUNS * run.size || p.spaced;
                    // Content order may step back along a line (a form's right-hand label
                    // drawn before its centred title): a run that starts where the last one
                    // did or left of it is another piece of text, not the next letters.
                    let back = run.x < p.x - 0.5 * run.size;
                    if (gap || back) && !out.ends_with(' ') && !run.text.starts_with(' ') {
                        out.push(' ');
                    }
                }
                out.push_str(&run.text);
                line.push(run);
                prev = Some(run);
            }
        }
        right_to_left_line(&mut out, line_start, &line);
        out.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn leaf_text(&mut self, elem: &'a Dictionary, page: Option<usize>, depth: usize) -> (Option<usize>, String) {
        let mut marks = Marks::new();
        self.marks(elem, page, depth, &mut marks);
        let first_page = marks.first().map(|m| m.0);
        (first_page, self.text(&marks))
    }

    fn push(&mut self, page: Option<usize>, block: Block) {
        self.close();
        let page = page.or_else(|| self.blocks.last().map(|b| b.0)).unwrap_or(0);
        self.blocks.push((page, block));
    }

    /// The open paragraph's text, read once from all its pieces when it has taken more than one.
    fn close(&mut self) {
        if let Some(open) = self.open.take()
            && open.pieces > 1
        {
            let text = self.text(&open.marks);
            self.blocks[open.at].1 = Block::Paragraph(text);
        }
    }

    /// A paragraph, or the rest of the one before it: writers tag one paragraph's pieces as
    /// siblings (an IRS form ends a `P` at each link and goes on in the next, a Wikipedia
    /// export sets each link beside its sentence), which read as one paragraph where the page
    /// shows one.
    fn paragraph(&mut self, marks: Marks, inline: bool) {
        let text = self.text(&marks);
        if text.is_empty() {
            return;
        }
        let goes_on = self.open.as_ref().is_some_and(|open| {
            open.pieces < MAX_PIECES && self.goes_on(&open.tail, &open.marks, &marks, inline || open.inline)
        });
        if goes_on && let Some(open) = self.open.as_mut() {
            open.marks.extend(marks);
            (open.tail, open.inline, open.pieces) = (text, inline, open.pieces + 1);
            return;
        }
        let page = marks.first().map(|m| m.0);
        self.push(page, Block::Paragraph(text.clone()));
        self.open = Some(Open { at: self.blocks.len() - 1, marks, inline, pieces: 1, tail: text });
    }

    /// Whether `next` goes on where `before` (whose last piece reads `text`) stops: on the same line
    /// a space after it, or on the next line at the same size when the sentence is not over and
    /// the new line starts in lower case, or with a link, or the line before it was full (a
    /// paragraph after a short line without a full stop follows a title or a label).
    fn goes_on(&self, text: &str, before: &Marks, next: &Marks, inline: bool) -> bool {
        // A paragraph's last lines show its edges: its runs from the end, a bounded number.
        let runs = |marks: &mut dyn Iterator<Item = &(usize, i64)>, from_end: bool| -> Vec<(usize, &Run)> {
            let mut out: Vec<(usize, &Run)> = Vec::new();
            for k in marks {
                let Some(indices) = self.by_mark.get(k) else { continue };
                let mut add = |i: &usize| out.push((k.0, &self.pages[k.0].runs[*i]));
                if from_end {
                    indices.iter().rev().for_each(&mut add);
                } else {
                    indices.iter().for_each(&mut add);
                }
                if out.len() >= EDGE_RUNS {
                    break;
                }
            }
            if from_end {
                out.reverse();
            }
            out
        };
        let (before, next) = (runs(&mut before.iter().rev(), true), runs(&mut next.iter(), false));
        let (Some(&(page, end)), Some(&(pb, b))) = (before.last(), next.first()) else { return false };
        if page != pb || end.sideways.is_some() || b.sideways.is_some() {
            return false;
        }
        // The last line's own baseline and size, not those of a footnote mark at its end.
        let near = |r: &Run| (r.y - end.y).abs() <= 0.6 * end.size.max(b.size);
        let base =
            before.iter().rev().take_while(|(p, r)| *p == page && near(r)).map(|(_, r)| r.size).fold(0.0, f32::max);
        let mut last = before.len() - 1;
        while last > 0
            && near(before[last].1)
            && before[last].1.size < 0.85 * base
            && before[last].1.text.trim().chars().count() <= 6
        {
            last -= 1;
        }
        let a = before[last].1;
        let size = a.size.max(b.size);
        if (a.y - b.y).abs() <= 0.4 * size {
            // A word's space, wider in justified text around a link: a form's next box starts
            // further on.
            let space = if inline { 1.5 } else { 0.5 };
            return b.x >= end.end_x - 0.5 * size && b.x - end.end_x <= space * size;
        }
        let line = |r: &Run| (r.y - a.y).abs() <= 0.4 * size;
        let line_start = before.iter().rev().take_while(|(_, r)| line(r)).map(|(_, r)| r.x).fold(a.x, f32::min);
        // The next line starts at the paragraph's left edge (or left of its first line's
        // indent), not under a label at the right of a form.
        let left = before.iter().filter(|(p, _)| *p == page).map(|(_, r)| r.x).fold(a.x, f32::min);
        let step = a.y - b.y;
        let next_line = (0.9 * size..=1.8 * size).contains(&step)
            && (a.size - b.size).abs() <= 0.15 * size
            && b.x <= line_start + size
            && b.x >= left - 3.0 * size;
        if !next_line || ends_sentence(text) {
            return false;
        }
        let starts_low = b.text.trim_start().chars().next().is_some_and(|c| c.is_lowercase() || ",.;:)]".contains(c));
        // A last line stopping on a word in lower case or a comma was wrapped when the next
        // line's first word would not have fitted after it, within the right edge of the
        // paragraph's other lines. A paragraph of one line says nothing of its edge: a list of
        // codes, each one line and some longer than the next code's first line, is not one
        // paragraph.
        let right = before.iter().filter(|(p, r)| *p == page && !line(r)).map(|(_, r)| r.end_x).reduce(f32::max);
        let first = b.text.trim_start();
        let word = first.split_whitespace().next().unwrap_or_default().chars().count();
        let word_width = (b.end_x - b.x) * word as f32 / first.chars().count().max(1) as f32;
        let wrapped = text.ends_with(|c: char| c.is_lowercase() || c == ',')
            && right.is_some_and(|right| a.end_x + 0.25 * size + word_width > right)
            && a.end_x - line_start >= 20.0 * size;
        starts_low || inline || wrapped
    }

    fn element(&mut self, elem: &'a Dictionary, page: Option<usize>, depth: usize, sections: usize) {
        if depth > MAX_DEPTH || self.elements > MAX_ELEMENTS {
            self.damaged = true;
            return;
        }
        self.elements += 1;
        let page = self.page_of(elem, page);
        let role = self.role(elem);
        match role.as_slice() {
            b"Artifact" => {}
            [b'H', b'1'..=b'6'] | [b'H'] | b"Title" => {
                let level = match role.as_slice() {
                    [b'H', d] => usize::from(d - b'0'),
                    b"Title" => 1,
                    _ => (sections + 1).min(6),
                };
                // A heading element that holds blocks groups its section (InDesign nests a table,
                // under its own H3, in an H2 with no text): its text is what it holds besides
                // them, and the blocks are read as blocks, not as its title.
                for (kids, block) in self.segments(elem, page) {
                    let (mut marks, mut figures) = (Marks::new(), Vec::new());
                    self.kid_marks(kids, page, depth, &mut marks, Some(&mut figures));
                    self.headings += 1;
                    for m in &marks {
                        self.heading_marks.insert(*m, (level, self.headings));
                    }
                    let (p, text) = (marks.first().map(|m| m.0), self.text(&marks));
                    if !text.is_empty() {
                        self.push(p, Block::Heading(level, text));
                        self.last_heading = marks.first().map(|m| (self.blocks.len() - 1, *m));
                    }
                    for figure in figures.into_iter().chain(block) {
                        self.element(figure, page, depth + 1, sections);
                    }
                }
            }
            b"L" => {
                for kid in self.kids(elem, page) {
                    if let Kid::Dict(d) = kid
                        && d.has(b"S")
                    {
                        if self.role(d) == b"L" {
                            self.element(d, page, depth + 1, sections);
                            continue;
                        }
                        let (p, text) = self.leaf_text(d, page, depth + 1);
                        if !text.is_empty() {
                            self.push(p, Block::Item(text));
                        }
                    }
                }
            }
            b"Table" => {
                let mut rows = Vec::new();
                let mut asides = Vec::new();
                self.rows(elem, page, depth + 1, &mut rows, &mut asides);
                let (before, after): (Vec<_>, Vec<_>) = asides.into_iter().partition(|a| a.2);
                self.asides(before, depth + 1);
                if rows.iter().any(|r| r.cells.iter().any(|c| !c.is_empty())) {
                    // Not a table of Arabic or Hebrew: its columns may run right to left, and a
                    // row tagged in reading order would be turned.
                    if !rows.iter().flat_map(|r| &r.cells).any(|c| mostly_right_to_left(c)) {
                        for row in &mut rows {
                            in_page_order(&mut row.cells, &mut row.spans, &row.lefts);
                        }
                    }
                    let spans: Vec<_> = rows.iter_mut().map(|r| std::mem::take(&mut r.spans)).collect();
                    let mut cells: Vec<_> = rows.iter_mut().map(|r| std::mem::take(&mut r.cells)).collect();
                    super::spans::lay_out(&mut cells, &spans);
                    for (row, cells) in rows.iter_mut().zip(cells) {
                        row.cells = cells;
                    }
                    self.heading_into_corner(&mut rows);
                    self.table(rows, page);
                }
                self.asides(after, depth + 1);
            }
            b"P" | b"Span" | b"Link" | b"Reference" | b"Quote" | b"Annot" => {
                // A paragraph may hold blocks too (InDesign anchors a table in one, under an H3).
                for (kids, block) in self.segments(elem, page) {
                    let mut marks = Marks::new();
                    self.kid_marks(kids, page, depth, &mut marks, None);
                    self.paragraph(marks, role.as_slice() != b"P");
                    if let Some(block) = block {
                        self.element(block, page, depth + 1, sections);
                    }
                }
            }
            b"Caption" | b"Note" | b"Code" | b"Formula" | b"TOCI" | b"LI" | b"Lbl" | b"LBody" | b"BibEntry"
            | b"Figure" => {
                let (p, text) = self.leaf_text(elem, page, depth);
                if !text.is_empty() {
                    self.push(p, Block::Paragraph(text));
                }
            }
            _ => {
                // Grouping elements (Document, Part, Sect, Div, Art, …) and unknown types: their
                // kids carry the content; text marked directly on them is a paragraph.
                let section = usize::from(role.as_slice() == b"Sect");
                let mut loose = Marks::new();
                for kid in self.kids(elem, page) {
                    match kid {
                        Kid::Mark(p, m) => loose.push((p, m)),
                        Kid::Dict(d) if d.has(b"S") => {
                            self.flush(&mut loose);
                            self.element(d, page, depth + 1, sections + section);
                        }
                        Kid::Dict(d) => loose.extend(self.content_ref(d, page)),
                    }
                }
                self.flush(&mut loose);
            }
        }
    }

    /// Each one paragraph: a chart's labels are dozens of text boxes of a word or two.
    fn asides(&mut self, asides: Vec<Aside<'a>>, depth: usize) {
        for (d, page, _) in asides {
            let (p, text) = self.leaf_text(d, page, depth);
            if !text.is_empty() {
                self.push(p, Block::Paragraph(text));
            }
        }
    }

    fn flush(&mut self, loose: &mut Marks) {
        if loose.is_empty() {
            return;
        }
        let marks = std::mem::take(loose);
        if self.mixes_styles(&marks) || self.spans_paragraphs(&marks) {
            self.unstructured.extend(marks.iter().copied());
        }
        self.paragraph(marks, false);
    }

    /// Whether marked text runs over lines of different styles (size or weight, each line's
    /// by most of its letters): a heading and its body, where a paragraph (Chrome's loose
    /// `NonStruct` text) keeps one, its footnote calls aside.
    fn mixes_styles(&self, marks: &Marks) -> bool {
        // Per line (page, baseline): letters by style (half-points, bold).
        type Styles = HashMap<(i32, bool), usize>;
        let mut lines: Vec<(usize, i32, Styles)> = Vec::new();
        for key in marks.iter().take(EDGE_RUNS) {
            let Some(indices) = self.by_mark.get(key) else { continue };
            for r in indices.iter().map(|i| &self.pages[key.0].runs[*i]) {
                let y = r.y.round() as i32;
                let at = match lines.iter().position(|(p, ly, _)| *p == key.0 && (ly - y).abs() <= 2) {
                    Some(at) => at,
                    None => {
                        lines.push((key.0, y, HashMap::new()));
                        lines.len() - 1
                    }
                };
                let letters = r.text.chars().filter(|c| c.is_alphanumeric()).count();
                *lines[at].2.entry(((r.size * 2.0).round() as i32, r.bold)).or_default() += letters;
            }
        }
        let styles: HashSet<(i32, bool)> = lines
            .iter()
            .filter_map(|(_, _, styles)| {
                styles.iter().filter(|(_, n)| **n > 0).max_by_key(|(_, n)| **n).map(|(s, _)| *s)
            })
            .collect();
        lines.len() >= 2 && styles.len() >= 2
    }

    /// Whether marked text runs over a paragraph break: a line set further below the one above
    /// than half again the text's leading (Acrobat's `Part` holding a page of clauses and list
    /// items in one style, set apart by empty lines), where a paragraph (Chrome's loose
    /// `NonStruct` text) keeps one leading.
    fn spans_paragraphs(&self, marks: &Marks) -> bool {
        // (page, baseline, size) of each worded run, then one per line, top down.
        let mut runs: Vec<(usize, f32, f32)> = Vec::new();
        for key in marks.iter().take(EDGE_RUNS) {
            let Some(indices) = self.by_mark.get(key) else { continue };
            let page = &self.pages[key.0].runs;
            let worded = indices.iter().map(|i| &page[*i]).filter(|r| r.text.chars().any(char::is_alphanumeric));
            runs.extend(worded.map(|r| (key.0, r.y, r.size)));
        }
        runs.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
        runs.dedup_by(|below, above| below.0 == above.0 && above.1 - below.1 <= 2.0);
        let gaps: Vec<(f32, f32)> =
            runs.windows(2).filter(|w| w[0].0 == w[1].0).map(|w| (w[0].1 - w[1].1, w[1].2)).collect();
        // The leading: the closest lines, superscripts and subscripts aside.
        let Some(leading) =
            gaps.iter().filter(|(gap, size)| *gap >= 0.8 * size).map(|(gap, _)| *gap).min_by(f32::total_cmp)
        else {
            return false;
        };
        gaps.iter().any(|(gap, _)| *gap >= 1.6 * leading)
    }

    /// A table set over several pages is read as one table per page, each on its own page (a
    /// health plan's benefits chart runs over 47): its chunks cite the pages their rows are on.
    /// Each part after the first is headed by the table's header row, as the page shows it.
    fn table(&mut self, rows: Vec<Row>, page: Option<usize>) {
        let head = rows.first().filter(|r| r.header).map(|r| r.cells.clone());
        let mut at = rows.iter().find_map(|r| r.page).or(page);
        let mut part: Vec<Vec<String>> = Vec::new();
        let filled = |part: &[Vec<String>]| part.iter().flatten().any(|c| !c.is_empty());
        for row in rows {
            if let Some(p) = row.page
                && Some(p) != at
                && !part.is_empty()
            {
                let done = std::mem::take(&mut part);
                if filled(&done) {
                    self.push(at, Block::Table(done));
                }
                at = Some(p);
                if let Some(head) = head.as_ref().filter(|h| **h != row.cells) {
                    part.push(head.clone());
                }
            }
            part.push(row.cells);
        }
        if filled(&part) {
            self.push(at, Block::Table(part));
        }
    }

    /// The run a marked piece of text starts with.
    fn first_run(&self, mark: (usize, i64)) -> Option<&'a Run> {
        let run = *self.by_mark.get(&mark)?.first()?;
        self.pages.get(mark.0)?.runs.get(run)
    }

    /// A table whose head row leaves its first cell empty, just after a heading set on that
    /// row's line: the heading is that cell, tagged apart (InDesign tags a table's "If you..."
    /// corner as an H3 before it), not a title over the table.
    fn heading_into_corner(&mut self, rows: &mut [Row]) {
        let Some((at, mark)) = self.last_heading.take() else { return };
        let Some(first) = rows.first_mut() else { return };
        let corner_empty = first.cells.first().is_some_and(String::is_empty) && first.cells.len() >= 2;
        if !corner_empty || at + 1 != self.blocks.len() || first.page != Some(mark.0) {
            return;
        }
        let same_line = match (self.first_run(mark), first.y) {
            (Some(run), Some(y)) => (run.y - y).abs() <= 0.3 * run.size,
            _ => false,
        };
        if let (true, Some((_, Block::Heading(_, text)))) = (same_line, self.blocks.last()) {
            first.cells[0] = text.clone();
            self.blocks.pop();
        }
    }

    /// Where marked text starts across its first page: the page, and its left edge. None when
    /// any of it is set sideways, whose x says nothing of its column.
    fn left(&self, marks: &Marks) -> Option<(usize, Left)> {
        let page = marks.first()?.0;
        let mut edge: Option<Left> = None;
        for key in marks.iter().filter(|k| k.0 == page) {
            for &i in self.by_mark.get(key).into_iter().flatten() {
                let run = self.pages.get(page)?.runs.get(i)?;
                if run.sideways.is_some() {
                    return None;
                }
                edge = Some(edge.map_or(run.x, |e| e.min(run.x)));
            }
        }
        Some((page, edge?))
    }

    /// A cell's rows and columns, from its table attributes (a dictionary, or an array of them
    /// and their revision numbers).
    fn spans(&self, cell: &Dictionary) -> (usize, usize) {
        let attributes = match cell.get(b"A") {
            Ok(Object::Array(a)) => a.iter().collect(),
            Ok(one) => vec![one],
            Err(_) => Vec::new(),
        };
        let (mut rows, mut columns) = (1, 1);
        for a in attributes {
            let dict = match a {
                Object::Reference(id) => self.doc.get_dictionary(*id).ok(),
                Object::Dictionary(d) => Some(d),
                _ => None,
            };
            let Some(dict) = dict else { continue };
            let number = |key: &[u8]| dict.get(key).and_then(Object::as_i64).ok();
            rows = number(b"RowSpan").unwrap_or(rows);
            columns = number(b"ColSpan").unwrap_or(columns);
        }
        super::spans::bounded(rows, columns)
    }

    fn rows(
        &mut self,
        elem: &'a Dictionary,
        page: Option<usize>,
        depth: usize,
        rows: &mut Vec<Row>,
        asides: &mut Vec<Aside<'a>>,
    ) {
        if depth > MAX_DEPTH {
            self.damaged = true;
            return;
        }
        let page = self.page_of(elem, page);
        for kid in self.kids(elem, page) {
            let Kid::Dict(d) = kid else { continue };
            if !d.has(b"S") {
                continue;
            }
            let role = self.role(d);
            if role == b"TR" {
                let mut row =
                    Row { page: None, header: true, cells: Vec::new(), spans: Vec::new(), lefts: Vec::new(), y: None };
                let mut placed = Vec::new();
                for cell in self.kids(d, self.page_of(d, page)) {
                    if let Kid::Dict(c) = cell
                        && c.has(b"S")
                    {
                        row.header &= self.role(c) == b"TH";
                        let mut marks = Marks::new();
                        self.marks(c, page, depth + 2, &mut marks);
                        let text = self.text(&marks);
                        row.page = row.page.or(marks.first().map(|m| m.0));
                        if !text.is_empty() {
                            row.y = row.y.or_else(|| self.first_run(marks[0]).map(|r| r.y));
                        }
                        row.cells.push(text);
                        row.spans.push(self.spans(c));
                        placed.push(self.left(&marks));
                    }
                }
                row.lefts = placed.into_iter().map(|p| p.filter(|p| Some(p.0) == row.page).map(|p| p.1)).collect();
                row.header &= !row.cells.is_empty();
                rows.push(row);
            } else if matches!(role.as_slice(), b"THead" | b"TBody" | b"TFoot") {
                self.rows(d, page, depth + 1, rows, asides);
            } else {
                asides.push((d, page, rows.is_empty()));
            }
        }
    }
}

/// A table's row: the page its first cell is on, whether all its cells are headers, their text,
/// and the baseline its first filled cell starts on.
struct Row {
    page: Option<usize>,
    header: bool,
    cells: Vec<String>,
    /// Each cell's rows and columns.
    spans: Vec<(usize, usize)>,
    /// Where each cell's text starts, when it is on the row's page.
    lefts: Vec<Option<Left>>,
    y: Option<f32>,
}

/// A table's kid that is not a row (its `Caption`, the charts Excel nests in a sheet's table):
/// read before the table when no row came before it, else after.
type Aside<'a> = (&'a Dictionary, Option<usize>, bool);

/// The standard structure types of ISO 32000-1 (14.8.4). Not PDF 2.0's `Title`: writers of PDF
/// 1.7 map their own `Title` to `P`, and the map decides.
fn is_standard(role: &[u8]) -> bool {
    matches!(
        role,
        b"Document"
            | b"Part"
            | b"Art"
            | b"Sect"
            | b"Div"
            | b"BlockQuote"
            | b"Caption"
            | b"TOC"
            | b"TOCI"
            | b"Index"
            | b"NonStruct"
            | b"Private"
            | b"P"
            | b"H"
            | b"H1"
            | b"H2"
            | b"H3"
            | b"H4"
            | b"H5"
            | b"H6"
            | b"L"
            | b"LI"
            | b"Lbl"
            | b"LBody"
            | b"Table"
            | b"TR"
            | b"TH"
            | b"TD"
            | b"THead"
            | b"TBody"
            | b"TFoot"
            | b"Span"
            | b"Quote"
            | b"Note"
            | b"Reference"
            | b"BibEntry"
            | b"Code"
            | b"Link"
            | b"Annot"
            | b"Figure"
            | b"Formula"
            | b"Form"
            | b"Artifact"
    )
}

/// Structure types that stand as blocks of their own (ISO 32000-1, 14.8.4.2–4) inside a heading
/// or a paragraph. Not `P` or `Div`: Chrome sets a heading's text in a `Div` of its own.
fn is_block(role: &[u8]) -> bool {
    matches!(
        role,
        [b'H', b'1'..=b'6'] | b"H" | b"Title" | b"L" | b"Table" | b"Sect" | b"Art" | b"Part" | b"BlockQuote" | b"TOC"
    )
}

enum Kid<'a> {
    Mark(usize, i64),
    Dict(&'a Dictionary),
}

/// A line of right-to-left text (`out[from..]`, drawn by `runs`) in reading order: its runs
/// laid out left to right, as the page shows them, then turned (`bidi::to_logical`), whatever
/// order the writer drew them in.
fn right_to_left_line(out: &mut String, from: usize, runs: &[&Run]) {
    if !out.is_char_boundary(from) || super::bidi::to_logical(&out[from..]).is_none() {
        return;
    }
    let mut sorted = runs.to_vec();
    sorted.sort_by(|a, b| a.x.total_cmp(&b.x));
    super::bidi::marks_before_letters(&mut sorted);
    let mut visual = String::new();
    for (k, r) in sorted.iter().enumerate() {
        let gap = k > 0 && (r.x - sorted[k - 1].end_x > JOINED_RUNS * r.size || sorted[k - 1].spaced);
        if gap && !visual.ends_with(' ') && !r.text.starts_with(' ') {
            visual.push(' ');
        }
        visual.push_str(&r.text);
    }
    if let Some(logical) = super::bidi::to_logical(&visual) {
        out.truncate(from);
        out.push_str(&logical);
    }
}

/// A text's words, in lower case.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase)
}

/// A sentence's or a clause's end: what a paragraph that stops there may end with.
fn ends_sentence(text: &str) -> bool {
    let text = text.trim_end_matches(|c: char| c.is_whitespace() || "\"'”’»)]".contains(c));
    text.ends_with(['.', '!', '?', ':', ';', '。', '！', '？', '：', '；'])
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// A list ends with a blank line, or the next paragraph would continue its last item. Only an
/// item's markdown ends with a single newline.
fn end_list(out: &mut String) {
    if out.ends_with('\n') && !out.ends_with("\n\n") {
        out.push('\n');
    }
}

fn render(block: &Block, out: &mut String) {
    match block {
        Block::Heading(level, text) => out.push_str(&format!("{} {text}\n\n", "#".repeat(*level))),
        Block::Paragraph(text) => out.push_str(&format!("{}\n\n", super::blocks::escape_text(text))),
        Block::Item(text) => {
            let text =
                text.trim_start_matches(|c| super::blocks::BULLETS.contains(&c) || matches!(c, '-' | '–' | '*' | ' '));
            out.push_str(&format!("- {text}\n"));
        }
        Block::Table(rows) => {
            let width = rows.iter().map(Vec::len).max().unwrap_or(0);
            for (i, row) in rows.iter().enumerate() {
                let cells: Vec<String> = (0..width).map(|c| cell(row.get(c).map_or("", String::as_str))).collect();
                out.push_str(&format!("| {} |\n", cells.join(" | ")));
                if i == 0 {
                    out.push_str(&format!("|{}\n", "---|".repeat(width)));
                }
            }
            out.push('\n');
        }
    }
}

/// Markdown per page from the structure tree: `None` when the file has no usable tree, else for
/// each page its markdown where the tree accounts for its text, `None` for a page it does not
/// cover (a file tagged in part: pages re-saved by a tool that drops marked content).
pub fn pages_markdown(doc: &Document, pages: &[ObjectId], text: &[PageText]) -> Option<Tagged> {
    let root = doc.catalog().ok()?.get_deref(b"StructTreeRoot", doc).ok()?.as_dict().ok()?;
    let mut by_mark: HashMap<(usize, i64), Vec<usize>> = HashMap::new();
    // Running heads in artifacts not typed as pagination, or outside marked content: furniture
    // all the same, neither text the tree leaves out nor kept.
    let outside: Vec<Vec<usize>> = text
        .iter()
        .map(|page| {
            let runs = page.runs.iter().enumerate();
            runs.filter(|(_, r)| !r.pagination && !r.annotation && (r.artifact || r.mcid.is_none()))
                .map(|(i, _)| i)
                .collect()
        })
        .collect();
    let running = running_left_out(text, &outside);
    // Per page: the characters that are not pagination, and those under each mark. Text in
    // other artifacts is text the tree leaves out: too much of it and the page is not covered.
    let mut page_total = vec![0usize; text.len()];
    let mut mark_chars = HashMap::<(usize, i64), usize>::new();
    for (p, page) in text.iter().enumerate() {
        for (i, r) in page.runs.iter().enumerate() {
            // A field's value is reached through its annotation, not by MCID: not the tree's
            // to cover, and kept below as text the tree leaves out.
            if r.pagination || r.annotation || running[p].contains(&i) {
                continue;
            }
            let chars = r.text.chars().filter(|c| !c.is_whitespace()).count();
            page_total[p] += chars;
            if r.artifact {
                continue;
            }
            if let Some(m) = r.mcid {
                by_mark.entry((p, m)).or_default().push(i);
                *mark_chars.entry((p, m)).or_default() += chars;
            }
        }
    }
    let mut walk = Walk {
        doc,
        role_map: root.get_deref(b"RoleMap", doc).and_then(Object::as_dict).ok(),
        page_index: pages.iter().enumerate().map(|(i, id)| (*id, i)).collect(),
        pages: text,
        by_mark,
        used: HashSet::new(),
        visited: HashSet::new(),
        elements: 0,
        blocks: Vec::new(),
        heading_marks: HashMap::new(),
        headings: 0,
        last_heading: None,
        open: None,
        unstructured: HashSet::new(),
        damaged: false,
    };
    for kid in walk.kids(root, None) {
        if let Kid::Dict(d) = kid {
            walk.element(d, None, 0, 0);
        }
    }
    walk.close();
    let (mut covered, mut unstructured) = (vec![0usize; text.len()], vec![0usize; text.len()]);
    for key in &walk.used {
        if let Some(c) = mark_chars.get(key) {
            covered[key.0] += c;
            if walk.unstructured.contains(key) {
                unstructured[key.0] += c;
            }
        }
    }
    // A page whose text the tree holds mostly in such lumps (Acrobat's `Part` per page), with
    // no heading, is tagged without structure: one paragraph of the page's titles, lists and
    // body. The layout reads it, and the tree's word that its text is body does not stand.
    let mut titled = vec![false; text.len()];
    for (p, _) in walk.heading_marks.keys() {
        titled[*p] = true;
    }
    let flat: Vec<bool> =
        (0..text.len()).map(|p| !titled[p] && covered[p] > 0 && 2 * unstructured[p] >= covered[p]).collect();
    let tagged: Vec<bool> = (0..text.len())
        .map(|p| page_total[p] == 0 || (!flat[p] && covered[p] as f64 >= MIN_COVERAGE * page_total[p] as f64))
        .collect();
    let pages_with_text = page_total.iter().filter(|t| **t > 0).count();
    let tagged_with_text = (0..text.len()).filter(|p| page_total[*p] > 0 && tagged[*p]).count();
    tracing::debug!(
        tagged_with_text,
        pages_with_text,
        damaged = walk.damaged,
        elements = walk.elements,
        "structure tree"
    );
    // A tree that covers no page whole still names the headings of the text it marks.
    if walk.damaged || (tagged_with_text == 0 && walk.heading_marks.is_empty()) {
        return None;
    }
    let mut out = render_pages(&walk.blocks, &tagged);
    // What the tree leaves out of a page it covers (a sample form placed as an untagged
    // artifact, a caption it forgot) is still the page's text: kept after the tagged text, as
    // the layout keeps clipped-out text, so that a search for it finds the page.
    let said_once = pagination_said_once(text);
    let left_out: Vec<Vec<usize>> = text
        .iter()
        .enumerate()
        .map(|(p, page)| {
            let runs = page.runs.iter().enumerate();
            runs.filter(|(i, r)| {
                let furniture = (r.pagination && !said_once[p].contains(i)) || running[p].contains(i);
                let left_out = r.artifact || r.mcid.is_none_or(|m| !walk.used.contains(&(p, m)));
                !furniture && left_out
            })
            .map(|(i, _)| i)
            .collect()
        })
        .collect();
    for (p, page_out) in out.iter_mut().enumerate() {
        let Some(page_out) = page_out else { continue };
        let runs = &text[p].runs;
        // A line whose every word the page's tagged text already holds (a table's head drawn
        // again as an artifact over each page the table runs on) adds nothing to find it by.
        let said: HashSet<String> = words(page_out).collect();
        // Not a check mark, a line number or a word's broken-off end: those say something
        // where they stand.
        let new = |line: &Vec<usize>| {
            let text = line.iter().map(|i| runs[*i].text.as_str()).collect::<Vec<_>>().join(" ");
            let line_words: Vec<String> = words(&text).collect();
            let worded = line_words.len() >= 2
                && line_words.iter().any(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 3);
            let symbols = text.chars().any(|c| !c.is_alphanumeric() && !c.is_whitespace() && !c.is_ascii_punctuation());
            !worded || symbols || line_words.iter().any(|w| !said.contains(w))
        };
        let lines = super::blocks::by_line(left_out[p].clone(), |i| &runs[*i]);
        let left_out = super::blocks::cell_text(lines.iter().filter(|l| new(l)).flatten().map(|i| &runs[*i]));
        if left_out.chars().any(char::is_alphanumeric) {
            end_list(page_out);
            let block = Block::Paragraph(left_out);
            render(&block, page_out);
            walk.blocks.push((p, block));
        }
    }
    // A tree that names no heading does not say its text is body: it says nothing of headings.
    let names_headings = !walk.heading_marks.is_empty();
    let roles = walk
        .used
        .iter()
        .filter(|m| names_headings && !flat[m.0])
        .map(|m| (*m, walk.heading_marks.get(m).map_or(Role::Body, |(l, e)| Role::Heading(*l, *e))))
        .collect();
    Some(Tagged { pages: out, roles, said_once, blocks: walk.blocks, tagged, names_headings })
}

/// Each covered page's markdown from the blocks on it, in order.
fn render_pages(blocks: &[(usize, Block)], tagged: &[bool]) -> Vec<Option<String>> {
    let mut out: Vec<Option<String>> = tagged.iter().map(|t| t.then(String::new)).collect();
    for (page, block) in blocks {
        let Some(Some(page_out)) = out.get_mut(*page) else { continue };
        if !matches!(block, Block::Item(_)) {
            end_list(page_out);
        }
        render(block, page_out);
    }
    out
}

/// What a heading and a paragraph are compared by: their letters and digits, whatever the
/// escaping, spacing and line breaks.
fn heading_key(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}
