//! Straight rules drawn on a page: the borders of ruled tables. Only axis-aligned lines are kept,
//! whether stroked (`m`/`l` or a rectangle's edges) or filled as thin rectangles, which is how
//! word processors draw cell borders.

use super::layout::{Matrix, nums};
use lopdf::Object;

/// A horizontal or vertical line in user space (`x0 <= x1`, `y0 <= y1`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rule {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

impl Rule {
    pub fn horizontal(&self) -> bool {
        self.y1 - self.y0 <= self.x1 - self.x0
    }
}

/// A filled rectangle thinner than this (points) is a line.
const THIN: f32 = 3.0;
/// A filled shape smaller than this (points) either way is a mark, a bullet or a rule, not
/// a panel that text is set on.
const MIN_AREA: f32 = 12.0;
/// Rectangles of one path kept as panels, at most.
const MAX_AREAS: usize = 64;
/// A hostile page cannot make the table finder quadratic in millions of rules.
const MAX_RULES: usize = 20_000;

enum Piece {
    Rect([f32; 4]),
    Segment([f32; 4]),
}

/// Pieces of a rule this close (points) across or along it are one rule.
const JOIN: f32 = 2.0;

/// A page's rules with those drawn in pieces joined, horizontal and vertical: joined once per
/// page for both the form's boxes and its ruled tables.
pub struct Ruling {
    pub across: Vec<Rule>,
    pub down: Vec<Rule>,
    /// Filled shapes' boxes: the panels text may be set on.
    pub panels: Vec<[f32; 4]>,
}

impl Ruling {
    pub fn of(rules: &[Rule]) -> Self {
        Self { across: joined(rules, true), down: joined(rules, false), panels: Vec::new() }
    }
}

/// Horizontal or vertical rules, those drawn in pieces along one line joined.
fn joined(rules: &[Rule], horizontal: bool) -> Vec<Rule> {
    // As (position across, from, to) along the rule's own direction.
    let mut v: Vec<(f32, f32, f32)> = rules
        .iter()
        .filter(|r| r.horizontal() == horizontal)
        .map(|r| if horizontal { (r.y0, r.x0, r.x1) } else { (r.x0, r.y0, r.y1) })
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Pieces a hair apart across are on one line; along it, those that touch are one rule.
    let mut lines: Vec<Vec<(f32, f32, f32)>> = Vec::new();
    for r in v {
        match lines.last_mut() {
            Some(line) if r.0 - line[line.len() - 1].0 <= JOIN => line.push(r),
            _ => lines.push(vec![r]),
        }
    }
    let mut out: Vec<(f32, f32, f32)> = Vec::new();
    for mut line in lines {
        line.sort_by(|a, b| a.1.total_cmp(&b.1));
        let start = out.len();
        for r in line {
            match out[start..].last_mut() {
                Some(last) if r.1 <= last.2 + JOIN => last.2 = last.2.max(r.2),
                _ => out.push(r),
            }
        }
    }
    out.into_iter()
        .map(|(at, from, to)| {
            if horizontal {
                Rule { x0: from, y0: at, x1: to, y1: at }
            } else {
                Rule { x0: at, y0: from, x1: at, y1: to }
            }
        })
        .collect()
}

/// The path under construction, already in user space.
#[derive(Default)]
pub struct Path {
    pieces: Vec<Piece>,
    current: (f32, f32),
    start: (f32, f32),
    /// The box around every point of the path, control points included.
    bounds: Option<[f32; 4]>,
    /// `W`/`W*` seen: the path, once painted (or ended by `n`), clips what follows.
    clips: bool,
    /// A curve, or a rectangle turned off the axes, is in the path: its box is not its shape.
    irregular: bool,
    /// Rectangles the last painting operator filled, for the caller to take: beyond a rule's
    /// thickness both ways, they may cover text drawn before them.
    pub filled: Vec<[f32; 4]>,
    /// Outlines begun (`m`, `re`) since the path started: one is a shape, several a pattern.
    outlines: usize,
    /// Boxes of the single shapes (rectangles, rounded or not) the last painting operator
    /// filled, for the caller to take: a shaded panel groups the text set on it.
    pub areas: Vec<[f32; 4]>,
    /// The box of what the last painting operator filled, however small or many its shapes
    /// (a table's shaded rows drawn as one path), for the caller to take: a white line drawn
    /// over it shows.
    pub shaded: Option<[f32; 4]>,
}

fn rule_of(x0: f32, y0: f32, x1: f32, y1: f32) -> Rule {
    Rule { x0: x0.min(x1), y0: y0.min(y1), x1: x0.max(x1), y1: y0.max(y1) }
}

/// The intersection of two boxes (empty when `x0 > x1` or `y0 > y1`).
pub fn intersect(a: [f32; 4], b: [f32; 4]) -> [f32; 4] {
    [a[0].max(b[0]), a[1].max(b[1]), a[2].min(b[2]), a[3].min(b[3])]
}

/// The box `[x0 y0 x1 y1]` in user space covering a box of another space: its four corners
/// are transformed one by one, as a rotated page turns them.
pub fn transformed_box(ctm: &Matrix, [x0, y0, x1, y1]: [f32; 4]) -> [f32; 4] {
    let corners = [(x0, y0), (x1, y1), (x0, y1), (x1, y0)].map(|(x, y)| ctm.point(x, y));
    bounds_of(corners).unwrap_or_default()
}

/// Path operators' operands as numbers; other operators' are not read.
fn nums_of(operator: &str, operands: &[Object]) -> Vec<f32> {
    match operator {
        "m" | "l" | "c" | "v" | "y" | "re" => nums(operands),
        _ => Vec::new(),
    }
}

/// The box around points.
pub fn bounds_of(points: impl IntoIterator<Item = (f32, f32)>) -> Option<[f32; 4]> {
    points.into_iter().fold(None, |b, (x, y)| {
        Some(b.map_or([x, y, x, y], |[x0, y0, x1, y1]: [f32; 4]| [x0.min(x), y0.min(y), x1.max(x), y1.max(y)]))
    })
}

impl Path {
    /// Follows a path construction or painting operator; any other operator is not a path's.
    /// Returns the box of a clipping path when the operator ends one, and whether the path is
    /// that box.
    pub fn op(
        &mut self,
        operator: &str,
        operands: &[Object],
        ctm: &Matrix,
        rules: &mut Vec<Rule>,
    ) -> Option<([f32; 4], bool)> {
        match (operator, &nums_of(operator, operands)[..]) {
            ("m", [x, y]) => {
                self.outlines += 1;
                self.current = self.include(ctm.point(*x, *y));
                self.start = self.current;
            }
            ("l", [x, y]) => {
                let to = self.include(ctm.point(*x, *y));
                self.pieces.push(Piece::Segment([self.current.0, self.current.1, to.0, to.1]));
                self.current = to;
            }
            // A curve's control points bound it too.
            ("c" | "v" | "y", [points @ .., x, y]) => {
                self.irregular = true;
                for p in points.chunks_exact(2) {
                    self.include(ctm.point(p[0], p[1]));
                }
                self.current = self.include(ctm.point(*x, *y));
            }
            ("re", [x, y, w, h]) => {
                self.outlines += 1;
                self.irregular |= !ctm.axis_aligned();
                let b = transformed_box(ctm, [*x, *y, x + w, y + h]);
                self.include((b[0], b[1]));
                self.include((b[2], b[3]));
                self.pieces.push(Piece::Rect(b));
                self.current = ctm.point(*x, *y);
                self.start = self.current;
            }
            ("h", _) => {
                let (s, c) = (self.start, self.current);
                self.pieces.push(Piece::Segment([c.0, c.1, s.0, s.1]));
                self.current = s;
            }
            ("W" | "W*", _) => self.clips = true,
            ("S" | "s", _) => {
                let exact = self.rectangle().is_some();
                self.paint(true, rules);
                return self.end(exact);
            }
            ("B" | "B*" | "b" | "b*", _) => {
                let exact = self.fill();
                self.paint(true, rules);
                return self.end(exact);
            }
            ("f" | "F" | "f*", _) => {
                let exact = self.fill();
                self.paint(false, rules);
                return self.end(exact);
            }
            ("n", _) => {
                let exact = self.rectangle().is_some();
                self.pieces.clear();
                return self.end(exact);
            }
            _ => {}
        }
        None
    }

    /// Widens the path's box to a point, and returns the point.
    fn include(&mut self, p: (f32, f32)) -> (f32, f32) {
        let corners = self.bounds.into_iter().flat_map(|[x0, y0, x1, y1]| [(x0, y0), (x1, y1)]);
        self.bounds = bounds_of(corners.chain([p]));
        p
    }

    /// The path is done: its box, when it clips, and whether it is that box.
    fn end(&mut self, exact: bool) -> Option<([f32; 4], bool)> {
        let bounds = self.bounds.take();
        self.irregular = false;
        self.outlines = 0;
        std::mem::take(&mut self.clips).then_some(bounds).flatten().map(|b| (b, exact))
    }

    /// The path's rectangle when the path is one upright rectangle and nothing else, given by
    /// `re` or drawn one side after another (`m l l l h`, as some writers set a clip).
    fn rectangle(&self) -> Option<[f32; 4]> {
        match self.pieces[..] {
            _ if self.irregular => None,
            [Piece::Rect(r)] => Some(r),
            _ => self.sides_of_a_box(),
        }
    }

    /// The path's box when its pieces are that box's four sides drawn one after another (the
    /// last may be left to the implicit close).
    fn sides_of_a_box(&self) -> Option<[f32; 4]> {
        const NEAR: f32 = 0.05;
        let [x0, y0, x1, y1] = self.bounds?;
        if x1 - x0 <= NEAR || y1 - y0 <= NEAR || self.pieces.len() > 5 {
            return None;
        }
        let near = |a: f32, b: f32| (a - b).abs() <= NEAR;
        let corner = |x: f32, y: f32| (near(x, x0) || near(x, x1)) && (near(y, y0) || near(y, y1));
        let side = |[ax, ay, bx, by]: [f32; 4]| (near(ax, bx) || near(ay, by)) && corner(ax, ay) && corner(bx, by);
        let (mut first, mut last, mut sides) = (None, None::<(f32, f32)>, 0);
        for piece in &self.pieces {
            let Piece::Segment(s @ [ax, ay, bx, by]) = *piece else { return None };
            if near(ax, bx) && near(ay, by) {
                continue;
            }
            if !side(s) || last.is_some_and(|(px, py)| !near(px, ax) || !near(py, ay)) {
                return None;
            }
            first.get_or_insert((ax, ay));
            last = Some((bx, by));
            sides += 1;
        }
        let ((fx, fy), (lx, ly)) = (first?, last?);
        let closed = near(fx, lx) && near(fy, ly);
        let ok = sides == 4 && closed || sides == 3 && !closed && side([lx, ly, fx, fy]);
        ok.then_some([x0, y0, x1, y1])
    }

    /// Keeps the path's rectangle when the path is one: two (`re re f*`) may fill a frame
    /// around a hole that shows what lies under it. Returns whether the path is a rectangle.
    fn fill(&mut self) -> bool {
        let large = |[x0, y0, x1, y1]: &[f32; 4]| x1 - x0 >= MIN_AREA && y1 - y0 >= MIN_AREA;
        if self.outlines == 1 {
            self.areas.extend(self.bounds.filter(large));
        } else if self.pieces.iter().all(|p| matches!(p, Piece::Rect(_))) {
            // A panel may be filled as rectangles that meet (a box, then the strip under it).
            let rects = self.pieces.iter().map(|p| match p {
                Piece::Rect(r) => *r,
                Piece::Segment(s) => *s,
            });
            self.areas.extend(rects.filter(large).take(MAX_AREAS));
        }
        self.shaded = self.bounds;
        let rect = self.rectangle();
        if let Some(r @ [x0, y0, x1, y1]) = rect
            && x1 - x0 > THIN
            && y1 - y0 > THIN
        {
            self.filled.push(r);
        }
        rect.is_some()
    }

    fn paint(&mut self, stroked: bool, rules: &mut Vec<Rule>) {
        for piece in self.pieces.drain(..) {
            if rules.len() >= MAX_RULES {
                break;
            }
            match piece {
                Piece::Rect([x0, y0, x1, y1]) => {
                    let (w, h) = (x1 - x0, y1 - y0);
                    if !stroked {
                        // A filled rectangle is a rule only when thin in one direction.
                        if (w <= THIN) != (h <= THIN) {
                            rules.push(rule_of(x0, y0, x1, y1));
                        }
                    } else {
                        rules.extend([
                            rule_of(x0, y0, x1, y0),
                            rule_of(x0, y1, x1, y1),
                            rule_of(x0, y0, x0, y1),
                            rule_of(x1, y0, x1, y1),
                        ]);
                    }
                }
                Piece::Segment([x0, y0, x1, y1]) if stroked => {
                    let (dx, dy) = ((x1 - x0).abs(), (y1 - y0).abs());
                    if (dx < 1.0) != (dy < 1.0) {
                        rules.push(rule_of(x0, y0, x1, y1));
                    }
                }
                Piece::Segment(_) => {}
            }
        }
    }
}
