//! Positioned text from a PDF page: a small interpreter of the content stream's text and
//! graphics-state operators over `lopdf`'s decoded operations. Each shown string becomes a run
//! with its position, size and weight, which is what heading and table detection need and what
//! `lopdf::Document::extract_text` throws away.

use super::content;
use super::cover::{SeeThrough, hide_covered};
use super::decode::TextDecoder;
use super::paths::{Path, Rule, intersect, transformed_box};
use super::pdf::numbers;
use super::tagged::Role;
use lopdf::content::Operation;
use lopdf::{Dictionary, Document, Object, ObjectId};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

// One part of the interpreter per file; they share its state and types, hence the glob
// imports here and `use super::*` in each.
mod fonts;
mod interpret;
mod page;
mod resources;
mod show;
mod state;
#[cfg(test)]
mod tests;

pub use fonts::*;
pub(in crate::parsing) use interpret::*;
pub use page::*;
pub(in crate::parsing) use resources::*;
pub(in crate::parsing) use show::*;
pub(in crate::parsing) use state::*;

/// One string shown on the page, in user-space points (y grows upwards).
#[derive(Clone, Debug, Default)]
pub struct Run {
    pub x: f32,
    pub y: f32,
    /// Estimated from the font's widths (or half an em per character when it has none).
    pub end_x: f32,
    pub size: f32,
    pub bold: bool,
    /// The fill colour, `0xRRGGBB` (black unless set), or `UNKNOWN_FILL`.
    pub fill: u32,
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
    /// The clip a hidden run lies outside of, as a key (0 when visible or hidden otherwise):
    /// the text each window clips out (three sample pages shown through three windows) reads
    /// on its own, where drawn into one flow the pages' overlapping lines would interleave.
    pub window: u32,
    /// Set sideways (a form's margin label read bottom to top): where the text starts and ends
    /// on the page's y axis. `y` is its start, and `x`..`end_x` the width of its glyphs.
    pub sideways: Option<(f32, f32)>,
    /// Drawn by an annotation's appearance (a filled-in form field, a typed comment), not by the
    /// page's content: a structure tree reaches it through the annotation, never by MCID.
    pub annotation: bool,
    /// Letters set one under another (a box's "Code", a margin's "PRINT CLEARLY"), read as one
    /// word: a label beside what it names, never a heading.
    pub stacked: bool,
    /// A space was drawn after it on its own: the next word may be kerned back over the
    /// space's width, so the gap alone would read as no space ("1.Mise en contexte").
    pub spaced: bool,
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
            fill: 0,
            text,
            mcid: None,
            artifact: false,
            pagination: false,
            role: None,
            hidden: false,
            window: 0,
            sideways: None,
            annotation: false,
            stacked: false,
            spaced: false,
        }
    }

    /// A plain run for tests: half an em per character, no marks.
    #[cfg(test)]
    pub(super) fn sample(x: f32, y: f32, text: &str, size: f32, bold: bool) -> Run {
        let end_x = x + text.chars().count() as f32 * size * 0.5;
        Run { bold, ..Run::plain(x, y, end_x, size, text.into()) }
    }
}
