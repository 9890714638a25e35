//! A font's character codes to Unicode text.
//!
//! The order follows what readers do (ISO 32000-1, 9.10.2): the font's `/ToUnicode` CMap first,
//! then for simple fonts the encoding (base encoding plus `/Differences`, glyph names through the
//! Adobe Glyph List) or a symbol font's built-in one. lopdf prefers `/Encoding` to `/ToUnicode`,
//! which drops every ligature whose code only the CMap names ("nancial" for "financial"), and
//! refuses a whole font over one glyph name it does not know.

use super::cjk::{Collection, Encoding as Predefined};
use super::cmap::ToUnicode;
use super::glyphs::{SymbolFont, base_encoding, glyph_text};
use super::truetype::CidGlyphs;
use super::type1::builtin_encoding;
use lopdf::{Dictionary, Document, Encoding, Object};
use std::sync::Arc;

/// A CMap or encoding stream larger than this is ignored (a decompression bomb).
const MAX_CMAP_BYTES: usize = 4 * 1024 * 1024;

pub struct TextDecoder<'a> {
    to_unicode: Option<ToUnicode>,
    /// A simple font's code → text (empty where unknown).
    simple: Option<Vec<String>>,
    /// A simple font's codes whose whole text is one ASCII byte, that byte (0 for any other):
    /// most text then decodes without a lookup or a copy per letter.
    ascii: Option<Box<[u8; 256]>>,
    /// A composite font without a usable CMap (predefined CJK encodings): lopdf's decoding.
    fallback: Option<Encoding<'a>>,
    /// A composite font without `/ToUnicode` whose codes are UTF-16 (`UniJIS-UCS2-H`,
    /// `UniGB-UTF16-H`, …): the codes are the text.
    utf16: bool,
    /// A composite font without `/ToUnicode` whose codes are ids in one of Adobe's CJK character
    /// collections (`Identity-H` over `Adobe-Japan1`, or a predefined encoding such as
    /// `90ms-RKSJ-H`): the collection's table reads them.
    collection: Option<Collection>,
    /// The font's predefined encoding, if it names one other than Identity: its codes are one to
    /// four bytes long, and their CIDs (not the codes) index the font's widths.
    encoding: Option<Arc<Predefined>>,
    /// Codes that name CIDs of a collection without a table here (`Adobe-Japan2`): read as
    /// bytes they would come out as other letters, which a search would match. Nothing is better.
    unmapped: bool,
    /// A composite TrueType font without `/ToUnicode` under `Identity-H`: its codes are glyph
    /// ids, read through the embedded program's own tables.
    glyphs: Option<CidGlyphs>,
    two_byte: bool,
    /// Symbol, ZapfDingbats and the like: their private-use code points are their own.
    symbolic: Option<SymbolFont>,
}

/// A TrueType font with a (3,0) symbol cmap puts Latin text at U+F020–U+F0FF, and writers copy
/// those code points into the ToUnicode CMap; in a text font they stand for U+0020–U+00FF.
/// Other private-use code points (an icon font's pictograms, in the BMP's area or in planes 15
/// and 16, as Google Docs writes its flag icons) and the replacement character
/// carry nothing a reader can search or a model can read, and are dropped.
fn unshift_symbol_area(text: &str, out: &mut String) {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c @ '\u{F020}'..='\u{F0FF}'), None) => out.extend(char::from_u32(c as u32 - 0xF000)),
        // The writer's "unknown glyph" (dot leaders, often) says nothing a reader can search.
        (Some('\u{FFFD}' | '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{10FFFF}'), None) => {}
        _ => out.push_str(text),
    }
}

/// Writers often map a symbol font's codes to themselves in its CMap (Word's Wingdings bullet
/// as U+00A7 "§", its box as U+00A8 "¨", Symbol's bullet as U+F0B7): such a character is the
/// font's own code, read through its built-in encoding, and a pictogram with no textual meaning
/// is dropped rather than read as a letter. Symbol has Latin-1 glyphs of its own (°, ±, ×), so
/// only its private-use codes are taken as codes.
fn symbol_font_text(font: SymbolFont, text: &str, out: &mut String) {
    let mut chars = text.chars();
    let code = match (chars.next(), chars.next()) {
        (Some(c @ '\u{F020}'..='\u{F0FF}'), None) => c as u32 - 0xF000,
        (Some(c @ '\u{21}'..='\u{FF}'), None) if font != SymbolFont::Symbol => c as u32,
        _ => return out.push_str(text),
    };
    out.extend(u8::try_from(code).ok().and_then(|c| font.char(c)));
}

/// A simple font's table: its symbol font's own encoding, or a base encoding, then the
/// differences. Unknown names leave their code empty instead of failing the font.
/// A glyph named by a letter or two and its own code (`a97` at 97, `g65` at 65), as bitmap
/// fonts from TeX's dvips are: the code is the character. The name must carry the very code it
/// is set at, so that a font's private numbering (`g123` at 40) stays unread.
fn numbered_glyph(name: &[u8], code: usize) -> String {
    let digits = name.iter().position(u8::is_ascii_digit).unwrap_or(name.len());
    let (prefix, number) = name.split_at(digits);
    let numbered = (1..=2).contains(&prefix.len())
        && prefix.iter().all(u8::is_ascii_alphabetic)
        && std::str::from_utf8(number).ok().and_then(|n| n.parse::<usize>().ok()) == Some(code)
        && !number.starts_with(b"0");
    if numbered && (code > 32 && code != 127) {
        base_encoding(b"WinAnsiEncoding").get(code).cloned().unwrap_or_default()
    } else {
        String::new()
    }
}

fn simple_table(font: &Dictionary, doc: &Document) -> Vec<String> {
    let symbol = font.get(b"BaseFont").and_then(Object::as_name).ok().and_then(SymbolFont::of);
    let encoding = font.get(b"Encoding").ok().and_then(|e| doc.dereference(e).ok()).map(|(_, e)| e);
    let named_base = match encoding {
        Some(Object::Name(n)) => Some(n.as_slice()),
        Some(Object::Dictionary(d)) => d.get(b"BaseEncoding").and_then(Object::as_name).ok(),
        _ => None,
    };
    let mut table: Vec<String> = match (symbol, named_base) {
        // A symbol font draws its own glyphs whatever base encoding a writer named.
        (Some(s), _) => (0..=255u8).map(|c| s.char(c).map(String::from).unwrap_or_default()).collect(),
        (None, Some(name)) => base_encoding(name).to_vec(),
        // Unnamed, the base is the font program's own (a TeX font's ligatures at 11–15).
        (None, None) => builtin_encoding(font, doc).unwrap_or_else(|| base_encoding(b"StandardEncoding").to_vec()),
    };
    table.resize(256, String::new());
    if let Some(Object::Dictionary(d)) = encoding
        && let Ok(diffs) = d.get_deref(b"Differences", doc).and_then(Object::as_array)
    {
        let mut code: Option<usize> = None;
        for item in diffs {
            match item {
                Object::Integer(n) => code = usize::try_from(*n).ok().filter(|n| *n < 256),
                Object::Name(name) => {
                    if let Some(c) = code {
                        let text = match glyph_text(name) {
                            t if t.is_empty() && symbol.is_none() => numbered_glyph(name, c),
                            t => t,
                        };
                        // A symbol font's differences often name its glyphs a1…a191; keep the
                        // built-in meaning then.
                        if !text.is_empty() || symbol.is_none() {
                            table[c] = text;
                        }
                        code = (c < 255).then_some(c + 1);
                    }
                }
                _ => {}
            }
        }
    }
    table
}

fn to_unicode(font: &Dictionary, doc: &Document) -> Option<ToUnicode> {
    let stream = font.get_deref(b"ToUnicode", doc).and_then(Object::as_stream).ok()?;
    let data = super::content::plain(doc, stream, MAX_CMAP_BYTES).ok()?;
    let cmap = ToUnicode::parse(&data);
    tracing::trace!(bytes = data.len(), mappings = cmap.len(), "ToUnicode");
    Some(cmap).filter(|c| !c.is_empty())
}

/// The composite font's glyphs are numbered in Adobe's Japanese, Chinese or Korean character
/// collection (its descendant's `/CIDSystemInfo` `/Ordering`): `Some(None)` for one without a
/// table here.
fn cjk_collection(font: &Dictionary, doc: &Document) -> Option<Option<Collection>> {
    let ordering = || -> Option<Vec<u8>> {
        let descendant = font.get_deref(b"DescendantFonts", doc).and_then(Object::as_array).ok()?.first()?;
        let descendant = doc.dereference(descendant).ok()?.1.as_dict().ok()?;
        let info = descendant.get_deref(b"CIDSystemInfo", doc).and_then(Object::as_dict).ok()?;
        info.get_deref(b"Ordering", doc).and_then(Object::as_str).ok().map(<[u8]>::to_vec)
    };
    match ordering()?.as_slice() {
        b"Japan2" => Some(None),
        o => Collection::of_ordering(o).filter(|c| c.available()).map(Some),
    }
}

impl<'a> TextDecoder<'a> {
    pub fn of(font: &'a Dictionary, doc: &'a Document) -> TextDecoder<'a> {
        let two_byte = font.get(b"Subtype").and_then(Object::as_name).is_ok_and(|s| s == b"Type0");
        let to_unicode = to_unicode(font, doc);
        let cmap = font.get(b"Encoding").and_then(Object::as_name).ok().filter(|_| two_byte && to_unicode.is_none());
        let utf16 = cmap.is_some_and(|n| {
            n.starts_with(b"Uni")
                && (n.ends_with(b"-UCS2-H")
                    || n.ends_with(b"-UCS2-V")
                    || n.ends_with(b"-UTF16-H")
                    || n.ends_with(b"-UTF16-V"))
        });
        let identity = cmap.is_some_and(|n| n == b"Identity-H" || n == b"Identity-V");
        let encoding = two_byte
            .then(|| font.get(b"Encoding").and_then(Object::as_name).ok())
            .flatten()
            .and_then(Predefined::predefined);
        let glyphs = identity.then(|| CidGlyphs::of(font, doc)).flatten();
        let (collection, unmapped) = match () {
            _ if to_unicode.is_some() || utf16 || glyphs.is_some() => (None, false),
            _ if identity => match cjk_collection(font, doc) {
                Some(c) => (c, c.is_none()),
                None => (None, false),
            },
            _ => (encoding.as_ref().and_then(|e| e.collection()), false),
        };
        let mut decoder = TextDecoder {
            simple: (!two_byte).then(|| simple_table(font, doc)),
            ascii: None,
            fallback: (two_byte
                && to_unicode.is_none()
                && !utf16
                && !unmapped
                && glyphs.is_none()
                && collection.is_none())
            .then(|| font.get_font_encoding(doc).ok())
            .flatten(),
            utf16,
            collection,
            encoding,
            unmapped,
            glyphs,
            to_unicode,
            two_byte,
            symbolic: font.get(b"BaseFont").and_then(Object::as_name).ok().and_then(SymbolFont::of),
        };
        if !two_byte {
            let mut ascii = Box::new([0u8; 256]);
            let mut text = String::new();
            for (byte, slot) in (0..=u8::MAX).zip(ascii.iter_mut()) {
                text.clear();
                decoder.code_text(&[byte], &mut text);
                if let [b] = text.as_bytes()
                    && b.is_ascii()
                {
                    *slot = *b;
                }
            }
            decoder.ascii = Some(ascii);
        }
        decoder
    }

    /// The text of one code, through the CMap, else a simple font's table.
    fn code_text(&self, code: &[u8], out: &mut String) {
        if let Some(text) = self.to_unicode.as_ref().and_then(|c| c.get(code)) {
            match self.symbolic {
                Some(font) => symbol_font_text(font, &text, out),
                None => unshift_symbol_area(&text, out),
            }
        } else if let (Some(table), [byte]) = (&self.simple, code) {
            out.push_str(&table[usize::from(*byte)]);
        }
    }

    pub fn unmapped(&self) -> bool {
        self.unmapped
    }

    /// The font's predefined encoding (not Identity), which says how long each code is.
    pub fn encoding(&self) -> Option<&Predefined> {
        self.encoding.as_deref()
    }

    pub fn decode(&self, bytes: &[u8], out: &mut String) {
        if self.unmapped {
            return;
        }
        if let Some(collection) = self.collection {
            match &self.encoding {
                Some(enc) => {
                    let mut rest = bytes;
                    while !rest.is_empty() {
                        let (len, cid) = enc.next_code(rest);
                        if let Some(cid) = cid {
                            collection.push_text(cid, out);
                        }
                        rest = &rest[len..];
                    }
                }
                None => {
                    for code in bytes.chunks_exact(2) {
                        collection.push_text(u32::from(u16::from_be_bytes([code[0], code[1]])), out);
                    }
                }
            }
            return;
        }
        if self.utf16 {
            let units = bytes.chunks_exact(2).map(|u| u16::from_be_bytes([u[0], u[1]]));
            out.extend(char::decode_utf16(units).filter_map(Result::ok));
            return;
        }
        if let Some(glyphs) = &self.glyphs {
            for code in bytes.chunks_exact(2) {
                if let Some(text) = glyphs.text(u16::from_be_bytes([code[0], code[1]])) {
                    unshift_symbol_area(text, out);
                }
            }
            return;
        }
        if let Some(enc) = &self.fallback {
            let _ = enc.write_to_string(bytes, out);
            return;
        }
        if let Some(ascii) = self.ascii.as_deref().filter(|_| !self.two_byte) {
            for &byte in bytes {
                match ascii[usize::from(byte)] {
                    0 => self.code_text(&[byte], out),
                    b => out.push(char::from(b)),
                }
            }
            return;
        }
        let default_len = if self.two_byte { 2 } else { 1 };
        let mut rest = bytes;
        while !rest.is_empty() {
            // A simple font's codes are single bytes whatever its CMap's codespace claims.
            let len = match &self.to_unicode {
                Some(c) if self.two_byte => c.code_len(rest, default_len).min(rest.len()),
                _ => default_len.min(rest.len()),
            };
            let (code, tail) = rest.split_at(len);
            rest = tail;
            self.code_text(code, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{SymbolFont, symbol_font_text, unshift_symbol_area};

    /// The table of one-byte ASCII codes reads every simple font of the corpus as the lookup
    /// does, code by code and in a string of all codes.
    #[test]
    fn simple_fonts_read_the_same_through_the_ascii_table() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/pdf");
        let all: Vec<u8> = (0..=u8::MAX).collect();
        let mut fonts = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let Ok(doc) = lopdf::Document::load(entry.unwrap().path()) else { continue };
            for object in doc.objects.values() {
                let Ok(font) = object.as_dict() else { continue };
                if !font.has_type(b"Font")
                    || font.get(b"Subtype").and_then(lopdf::Object::as_name).is_ok_and(|s| s == b"Type0")
                {
                    continue;
                }
                let mut decoder = super::TextDecoder::of(font, &doc);
                let read = |d: &super::TextDecoder, bytes: &[u8]| {
                    let mut out = String::new();
                    d.decode(bytes, &mut out);
                    out
                };
                let fast: Vec<String> = all.chunks(1).chain([&all[..]]).map(|b| read(&decoder, b)).collect();
                assert!(decoder.ascii.take().is_some());
                let slow: Vec<String> = all.chunks(1).chain([&all[..]]).map(|b| read(&decoder, b)).collect();
                assert_eq!(fast, slow);
                fonts += 1;
            }
        }
        assert!(fonts > 50, "{fonts}");
    }

    #[test]
    fn cjk_collection_ids_read_through_the_collection_and_utf16_codes_as_themselves() {
        use super::TextDecoder;
        use lopdf::{Document, Object, dictionary};
        let decoded = |encoding: &str, ordering: &str, bytes: &[u8]| {
            let mut doc = Document::with_version("1.5");
            let descendant = doc.add_object(dictionary! {
                "Type" => "Font", "Subtype" => "CIDFontType0", "BaseFont" => "KozMinPro-Regular",
                "CIDSystemInfo" => dictionary! {
                    "Registry" => Object::string_literal("Adobe"), "Ordering" => Object::string_literal(ordering),
                    "Supplement" => 4,
                },
            });
            let font = dictionary! {
                "Type" => "Font", "Subtype" => "Type0", "BaseFont" => "KozMinPro-Regular",
                "Encoding" => encoding, "DescendantFonts" => vec![descendant.into()],
            };
            let mut out = String::new();
            TextDecoder::of(&font, &doc).decode(bytes, &mut out);
            out
        };
        // CIDs 843 and 1200 in Adobe-Japan1 are あ and 一: read through the collection's table.
        assert_eq!(decoded("Identity-H", "Japan1", b"\x03\x4b\x04\xb0"), "あ一");
        // The same codes in Shift-JIS under a predefined encoding.
        assert_eq!(decoded("90ms-RKSJ-H", "Japan1", b"\x82\xa0\x88\xea"), "あ一");
        // A collection without a table here: no character, rather than other letters.
        assert_eq!(decoded("Identity-H", "Japan2", b"\x03\x4b"), "");
        // UCS-2 codes are the text ("序文").
        assert_eq!(decoded("UniJIS-UCS2-H", "Japan1", b"\x5e\x8f\x65\x87"), "序文");
        // Identity over an Identity ordering is left to lopdf's reading, as before.
        assert!(!decoded("Identity-H", "Identity", b"\x00\x41\x00\x42").is_empty());
    }

    #[test]
    fn a_bitmap_fonts_glyphs_named_by_their_own_codes_read_as_those_codes() {
        use lopdf::{Document, Object, dictionary};
        let doc = Document::with_version("1.5");
        // dvips names a Type 3 font's glyphs by code; g123 at 40 is a private number.
        let names = ["a97", "a98", "g123", "a010", "C99"].map(|n| Object::Name(n.into()));
        let mut diffs = vec![Object::Integer(97), names[0].clone(), names[1].clone(), Object::Integer(40)];
        diffs.extend([names[2].clone(), Object::Integer(10), names[3].clone(), Object::Integer(99), names[4].clone()]);
        let font = dictionary! {
            "Type" => "Font", "Subtype" => "Type3",
            "Encoding" => dictionary! { "Type" => "Encoding", "Differences" => diffs },
        };
        let mut out = String::new();
        super::TextDecoder::of(&font, &doc).decode(b"ab(\nc", &mut out);
        assert_eq!(out, "abc");
    }

    #[test]
    fn symbol_area_letters_come_back_and_icons_and_unknown_glyphs_go() {
        let mut out = String::new();
        for glyph in ["\u{F049}", "\u{F04E}", "\u{F020}", "\u{E051}", "\u{F03D9}", "\u{FFFD}", "é", "fi"] {
            unshift_symbol_area(glyph, &mut out);
        }
        assert_eq!(out, "IN éfi");
    }

    #[test]
    fn a_symbol_font_mapped_to_its_own_codes_reads_as_its_glyphs() {
        let mut out = String::new();
        for glyph in ["\u{A7}", " ", "\u{A8}", "J", "\u{2713}"] {
            symbol_font_text(SymbolFont::Wingdings, glyph, &mut out);
        }
        for glyph in ["\u{F0B7}", "\u{D7}"] {
            symbol_font_text(SymbolFont::Symbol, glyph, &mut out);
        }
        assert_eq!(out, "▪ ◻✓•×");
    }
}
