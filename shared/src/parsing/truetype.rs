//! A composite TrueType font's glyphs to text through the embedded font program, for fonts
//! written without `/ToUnicode` (LibreOffice's and many invoice tools' `Identity-H` fonts).
//! Read byte by byte instead, such a font's two-byte codes come out as other letters ("Adz" for
//! "Łódź", "pBatno[ci" for "płatności"), which a search would match. Readers fall back on the
//! font's own `cmap` here (ISO 32000-1, 9.10.2), as pdftotext and pdf.js do.

use super::glyphs::glyph_text;
use lopdf::{Dictionary, Document, Object};
use std::collections::HashMap;
use ttf_parser::{Face, GlyphId, PlatformId};

/// A font program larger than this is not read (a decompression bomb).
const MAX_FONT_BYTES: usize = 16 * 1024 * 1024;
/// `/CIDToGIDMap`: two bytes for each of at most 65,536 CIDs.
const MAX_CID_MAP_BYTES: usize = 2 * 65_536;

pub struct CidGlyphs {
    /// `/CIDToGIDMap` as a table; `None` where it is the identity.
    cid_to_gid: Option<Vec<u16>>,
    text: HashMap<u16, String>,
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
        if text.is_empty() {
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
        self.text.get(&gid).map(String::as_str)
    }
}

/// Each glyph's text: the first code point a Unicode `cmap` subtable gives it (a symbol font's
/// (3,0) subtable after those, its U+F0xx codes unshifted by the caller), else its `post` name
/// through the glyph list (ligatures and small capitals that no code point reaches).
fn glyph_texts(face: &Face) -> HashMap<u16, String> {
    let mut text = HashMap::new();
    if let Some(cmap) = face.tables().cmap {
        let symbol = |s: &ttf_parser::cmap::Subtable| s.platform_id == PlatformId::Windows && s.encoding_id == 0;
        let mut subtables: Vec<_> = cmap.subtables.into_iter().filter(|s| s.is_unicode() || symbol(s)).collect();
        subtables.sort_by_key(|s| !s.is_unicode());
        for subtable in subtables {
            subtable.codepoints(|code| {
                if let (Some(c), Some(gid)) = (char::from_u32(code), subtable.glyph_index(code))
                    && gid.0 != 0
                {
                    text.entry(gid.0).or_insert_with(|| c.to_string());
                }
            });
        }
    }
    for gid in 1..face.number_of_glyphs() {
        if !text.contains_key(&gid)
            && let Some(name) = face.glyph_name(GlyphId(gid))
        {
            let named = glyph_text(name.as_bytes());
            if !named.is_empty() {
                text.insert(gid, named);
            }
        }
    }
    text
}
