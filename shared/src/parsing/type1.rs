//! The built-in encoding of an embedded Type 1 font program.
//!
//! TeX's fonts (and many others) are embedded without an `/Encoding` in the PDF: the code of
//! each glyph is declared in the font program's clear-text part (`dup 12 /fi put`). Read
//! through StandardEncoding instead, codes outside it (TeX puts its ligatures at 11–15) come
//! out empty: "filled" reads "lled".

use super::glyphs::glyph_text;
use lopdf::{Dictionary, Document, Object};

/// The clear-text part of a font program read at most (a decompression bomb, or a program
/// whose `/Length1` lies).
const MAX_CLEAR_TEXT: usize = 1024 * 1024;

/// The text of each code under the embedded Type 1 program's own encoding, or `None` when the
/// font has no such program or it declares StandardEncoding.
pub fn builtin_encoding(font: &Dictionary, doc: &Document) -> Option<Vec<String>> {
    let descriptor = font.get_deref(b"FontDescriptor", doc).and_then(Object::as_dict).ok()?;
    let program = descriptor.get_deref(b"FontFile", doc).and_then(Object::as_stream).ok()?;
    let data = super::content::plain(doc, program, MAX_CLEAR_TEXT).ok()?;
    let clear = program
        .dict
        .get(b"Length1")
        .and_then(Object::as_i64)
        .ok()
        .and_then(|n| usize::try_from(n).ok())
        .filter(|n| *n > 0 && *n <= data.len())
        .unwrap_or(data.len());
    parse_encoding(&data[..clear])
}

/// `/Encoding 256 array … dup <code> /<name> put … readonly def` in a font program's clear
/// text, as text per code.
fn parse_encoding(clear: &[u8]) -> Option<Vec<String>> {
    let start = find(clear, b"/Encoding")? + b"/Encoding".len();
    let end = find(&clear[start..], b"eexec").map_or(clear.len(), |e| start + e);
    let mut tokens = clear[start..end].split(|b| b.is_ascii_whitespace()).filter(|t| !t.is_empty());
    if tokens.next()? == b"StandardEncoding" {
        return None;
    }
    let mut table = vec![String::new(); 256];
    let mut any = false;
    let mut window: [&[u8]; 4] = [b""; 4];
    for token in tokens {
        if token == b"def" {
            break;
        }
        window.rotate_left(1);
        window[3] = token;
        if let [b"dup", code, name, b"put"] = window
            && let Some(code) =
                std::str::from_utf8(code).ok().and_then(|c| c.parse::<usize>().ok()).filter(|c| *c < 256)
            && let Some(name) = name.strip_prefix(b"/")
        {
            table[code] = glyph_text(name);
            any = true;
        }
    }
    any.then_some(table)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tex_fonts_own_encoding_names_its_ligatures() {
        let clear = b"%!PS-AdobeFont-1.0: CMR10\n/FontName /CMR10 def\n/Encoding 256 array\n\
            0 1 255 {1 index exch /.notdef put} for\ndup 12 /fi put\ndup 13 /fl put\n\
            dup 14 /ffi put\ndup 97 /a put\nreadonly def\ncurrentdict end\ncurrentfile eexec\n\x8f\x02";
        let table = parse_encoding(clear).expect("an encoding");
        // The ligature characters, which normalisation expands to their letters.
        assert_eq!((table[12].as_str(), table[13].as_str(), table[14].as_str()), ("\u{FB01}", "\u{FB02}", "\u{FB03}"));
        assert_eq!(table[97], "a");
        assert_eq!(table[98], "");
    }

    #[test]
    fn standard_encoding_or_no_encoding_leaves_the_pdfs_choice() {
        assert!(parse_encoding(b"/FontName /Times def /Encoding StandardEncoding def eexec").is_none());
        assert!(parse_encoding(b"/FontName /Times def eexec").is_none());
    }
}
