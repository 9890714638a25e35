//! A composite TrueType font's glyphs to text through the embedded font program, for fonts
//! written without `/ToUnicode` (LibreOffice's and many invoice tools' `Identity-H` fonts).
//! Read byte by byte instead, such a font's two-byte codes come out as other letters ("Adz" for
//! "Łódź", "pBatno[ci" for "płatności"), which a search would match. Readers fall back on the
//! font's own `cmap` here (ISO 32000-1, 9.10.2), as pdftotext and pdf.js do.

use super::glyphs::glyph_text;
use lopdf::{Dictionary, Document, Object};
use ttf_parser::{Face, GlyphId, PlatformId};

/// A font program larger than this is not read (a decompression bomb).
const MAX_FONT_BYTES: usize = 16 * 1024 * 1024;
/// `/CIDToGIDMap`: two bytes for each of at most 65,536 CIDs.
const MAX_CID_MAP_BYTES: usize = 2 * 65_536;

pub struct CidGlyphs {
    /// `/CIDToGIDMap` as a table; `None` where it is the identity.
    cid_to_gid: Option<Vec<u16>>,
    /// By glyph id; empty where the font's tables name no text.
    text: Vec<String>,
}

impl CidGlyphs {
    /// `None` unless the font's descendant is a TrueType program embedded in the file whose
    /// tables name the text of at least one glyph.
    pub fn of(font: &Dictionary, doc: &Document) -> Option<CidGlyphs> {
        let descendant = font.get_deref(b"DescendantFonts", doc).and_then(Object::as_array).ok()?.first()?;
        let descendant = doc.dereference(descendant).ok()?.1.as_dict().ok()?;
        if descendant.get(b"Subtype").and_then(Object::as_name).ok()? != b"CIDFontType2" {
            return None;
        }
        let descriptor = descendant.get_deref(b"FontDescriptor", doc).and_then(Object::as_dict).ok()?;
        let program = descriptor.get_deref(b"FontFile2", doc).and_then(Object::as_stream).ok()?;
        let data = super::content::plain(doc, program, MAX_FONT_BYTES).ok()?;
        let text = glyph_texts(&Face::parse(&data, 0).ok()?);
        if text.iter().all(String::is_empty) {
            return None;
        }
        let cid_to_gid = match descendant.get_deref(b"CIDToGIDMap", doc) {
            Ok(Object::Stream(map)) => {
                let bytes = super::content::plain(doc, map, MAX_CID_MAP_BYTES).ok()?;
                Some(bytes.chunks_exact(2).map(|g| u16::from_be_bytes([g[0], g[1]])).collect())
            }
            _ => None,
        };
        Some(CidGlyphs { cid_to_gid, text })
    }

    pub fn text(&self, cid: u16) -> Option<&str> {
        let gid = match &self.cid_to_gid {
            Some(table) => *table.get(usize::from(cid))?,
            None => cid,
        };
        self.text.get(usize::from(gid)).map(String::as_str).filter(|t| !t.is_empty())
    }
}

/// Each glyph's text: the first code point a Unicode `cmap` subtable gives it (a symbol font's
/// (3,0) subtable after those, its U+F0xx codes unshifted by the caller), else its `post` name
/// through the glyph list (ligatures and small capitals that no code point reaches).
fn glyph_texts(face: &Face) -> Vec<String> {
    let mut text = vec![String::new(); usize::from(face.number_of_glyphs())];
    if let Some(cmap) = face.tables().cmap {
        let symbol = |s: &ttf_parser::cmap::Subtable| s.platform_id == PlatformId::Windows && s.encoding_id == 0;
        let mut subtables: Vec<_> = cmap.subtables.into_iter().filter(|s| s.is_unicode() || symbol(s)).collect();
        subtables.sort_by_key(|s| !s.is_unicode());
        for subtable in subtables {
            subtable.codepoints(|code| {
                if let (Some(c), Some(gid)) = (char::from_u32(code), subtable.glyph_index(code))
                    && gid.0 != 0
                    && let Some(slot) = text.get_mut(usize::from(gid.0))
                    && slot.is_empty()
                {
                    slot.push(c);
                }
            });
        }
    }
    for (gid, slot) in text.iter_mut().enumerate().skip(1) {
        if slot.is_empty()
            && let Some(name) = u16::try_from(gid).ok().and_then(|g| face.glyph_name(GlyphId(g)))
        {
            *slot = glyph_text(name.as_bytes());
        }
    }
    text
}
