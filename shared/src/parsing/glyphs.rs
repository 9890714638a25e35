//! Glyph names and the built-in encodings of symbol fonts, to Unicode text.

use lopdf::{Dictionary, Document, Object};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// lopdf knows the Adobe Glyph List and the base encodings but does not export them: ask it
/// through a font dictionary of our own.
fn lopdf_decode(encoding: Object, codes: impl Iterator<Item = u8>) -> Vec<String> {
    let mut font = Dictionary::new();
    font.set("Type", Object::Name(b"Font".to_vec()));
    font.set("Encoding", encoding);
    let doc = Document::new();
    let enc = font.get_font_encoding(&doc).ok();
    codes.map(|c| enc.as_ref().and_then(|e| e.bytes_to_string(&[c]).ok()).unwrap_or_default()).collect()
}

/// A base encoding (`WinAnsiEncoding`, …) as text per code; Standard for a name lopdf lacks.
pub fn base_encoding(name: &[u8]) -> &'static [String] {
    static TABLES: OnceLock<HashMap<&'static [u8], Vec<String>>> = OnceLock::new();
    let tables = TABLES.get_or_init(|| {
        [&b"StandardEncoding"[..], b"WinAnsiEncoding", b"MacRomanEncoding", b"MacExpertEncoding"]
            .into_iter()
            .map(|n| (n, lopdf_decode(Object::Name(n.to_vec()), 0..=255)))
            .collect()
    });
    tables.get(name).or_else(|| tables.get(&b"StandardEncoding"[..])).map_or(&[], Vec::as_slice)
}

fn listed_glyph(name: &[u8]) -> String {
    static CACHE: OnceLock<Mutex<HashMap<Vec<u8>, String>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(text) = cache.lock().ok().and_then(|c| c.get(name).cloned()) {
        return text;
    }
    let mut diffs = Dictionary::new();
    diffs.set("Differences", Object::Array(vec![Object::Integer(0), Object::Name(name.to_vec())]));
    let text = lopdf_decode(Object::Dictionary(diffs), std::iter::once(0)).pop().unwrap_or_default();
    if let Ok(mut c) = cache.lock()
        && c.len() < 65_536
    {
        c.insert(name.to_vec(), text.clone());
    }
    text
}

/// A glyph name as text (the Adobe Glyph List's rules): a listed name, `uniXXXX…`, `uXXXX`,
/// a ligature written with underscores (`f_f_i`), a variant after a dot (`a.sc`). A name with no
/// meaning (`g123`, `cid45`) is empty: better nothing than a wrong letter.
pub fn glyph_text(name: &[u8]) -> String {
    let base = name.split(|b| *b == b'.').next().unwrap_or_default();
    if base.is_empty() {
        return String::new();
    }
    let listed = listed_glyph(base);
    if !listed.is_empty() {
        return listed;
    }
    if base.contains(&b'_') {
        return base.split(|b| *b == b'_').map(glyph_text).collect();
    }
    let name = String::from_utf8_lossy(base);
    let hex = |s: &str| u32::from_str_radix(s, 16).ok().and_then(char::from_u32);
    if let Some(rest) = name.strip_prefix("uni")
        && rest.len() % 4 == 0
        && rest.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase())
    {
        return rest.as_bytes().chunks(4).filter_map(|c| hex(std::str::from_utf8(c).ok()?)).collect();
    }
    if let Some(rest) = name.strip_prefix('u')
        && (4..=6).contains(&rest.len())
        && rest.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return hex(rest).map(String::from).unwrap_or_default();
    }
    String::new()
}

/// Symbol fonts whose built-in encoding is not Latin text: without this, a ZapfDingbats bullet
/// (code `n`) is read as the letter n.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolFont {
    ZapfDingbats,
    Wingdings,
    Symbol,
}

impl SymbolFont {
    pub fn of(base_font: &[u8]) -> Option<SymbolFont> {
        let name = String::from_utf8_lossy(base_font).to_ascii_lowercase();
        // A subset's name starts with six letters and a plus sign.
        let name = name.rsplit('+').next().unwrap_or_default();
        if name.contains("dingbats") {
            Some(SymbolFont::ZapfDingbats)
        } else if name.contains("wingdings") || name.contains("webdings") {
            Some(SymbolFont::Wingdings)
        } else if name.starts_with("symbol") {
            Some(SymbolFont::Symbol)
        } else {
            None
        }
    }

    pub fn char(self, code: u8) -> Option<char> {
        match self {
            SymbolFont::ZapfDingbats => zapf_dingbats(code),
            SymbolFont::Wingdings => wingdings(code),
            SymbolFont::Symbol => symbol(code),
        }
    }
}

/// ZapfDingbats' built-in encoding. Unicode's Dingbats block follows its layout, with holes where
/// a character already existed elsewhere.
fn zapf_dingbats(code: u8) -> Option<char> {
    let cp = match code {
        0x20 => 0x20,
        0x25 => 0x260E,
        0x2A => 0x261B,
        0x2B => 0x261E,
        0x48 => 0x2605,
        0x6C => 0x25CF,
        0x6E => 0x25A0,
        0x73 => 0x25B2,
        0x74 => 0x25BC,
        0x75 => 0x25C6,
        0x77 => 0x25D7,
        0x21..=0x7E => 0x2700 + u32::from(code) - 0x20,
        0xA1..=0xA7 => 0x2761 + u32::from(code) - 0xA1,
        0xA8 => 0x2663,
        0xA9 => 0x2666,
        0xAA => 0x2665,
        0xAB => 0x2660,
        0xAC..=0xB5 => 0x2460 + u32::from(code) - 0xAC,
        0xB6..=0xD3 => 0x2776 + u32::from(code) - 0xB6,
        0xD4 => 0x2794,
        0xD5 => 0x2192,
        0xD6 => 0x2194,
        0xD7 => 0x2195,
        0xD8..=0xEF => 0x2798 + u32::from(code) - 0xD8,
        0xF1..=0xFE => 0x27B1 + u32::from(code) - 0xF1,
        _ => return None,
    };
    char::from_u32(cp)
}

/// The Symbol font's encoding: Greek, the usual operators and marks; ASCII digits and
/// punctuation where it keeps them.
fn symbol(code: u8) -> Option<char> {
    const UPPER: &str = "ΑΒΧΔΕΦΓΗΙϑΚΛΜΝΟΠΘΡΣΤΥςΩΞΨΖ";
    const LOWER: &str = "αβχδεφγηιϕκλμνοπθρστυϖωξψζ";
    Some(match code {
        0x41..=0x5A => UPPER.chars().nth(usize::from(code - 0x41))?,
        0x61..=0x7A => LOWER.chars().nth(usize::from(code - 0x61))?,
        0x22 => '∀',
        0x24 => '∃',
        0x27 => '∋',
        0x2D => '−',
        0x40 => '≅',
        0x20..=0x3F | 0x5B | 0x5D | 0x5F | 0x7B..=0x7D => code as char,
        0xA3 => '≤',
        0xA5 => '∞',
        0xAC => '←',
        0xAE => '→',
        0xB0 => '°',
        0xB1 => '±',
        0xB3 => '≥',
        0xB4 => '×',
        0xB7 => '•',
        0xB8 => '÷',
        0xB9 => '≠',
        0xBB => '≈',
        0xD2 | 0xE2 => '®',
        0xD3 | 0xE3 => '©',
        0xD4 | 0xE4 => '™',
        _ => return None,
    })
}

/// The Wingdings codes that documents use as bullets, boxes and marks; other pictograms have no
/// place in searchable text.
fn wingdings(code: u8) -> Option<char> {
    Some(match code {
        0x20 => ' ',
        0x6C => '●',
        0x6E => '■',
        0x6F => '□',
        0x71 => '❑',
        0x72 => '❒',
        0x75 => '◆',
        0x76 => '❖',
        0x77 => '⬥',
        0x9F => '•',
        0xA7 => '▪',
        0xA8 => '◻',
        0xD8 => '➢',
        0xE0 => '➔',
        0xE8 => '➔',
        0xF0 => '⇨',
        0xFB => '✗',
        0xFC => '✓',
        0xFD => '☒',
        0xFE => '☑',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_ligatures_and_symbols_become_text() {
        assert_eq!(glyph_text(b"fi"), "\u{FB01}");
        assert_eq!(glyph_text(b"f_f_i"), "\u{FB03}");
        assert_eq!(glyph_text(b"f_t"), "ft");
        assert_eq!(glyph_text(b"uni00660069"), "fi");
        assert_eq!(glyph_text(b"u1F642"), "\u{1F642}");
        assert_eq!(glyph_text(b"a.sc"), "a");
        assert_eq!(glyph_text(b"g123"), "");
        let dingbats = SymbolFont::of(b"ABCDEF+ZapfDingbats").expect("a symbol font");
        assert_eq!(dingbats.char(b'n'), Some('■'));
        assert_eq!(dingbats.char(b'4'), Some('✔'));
        assert_eq!(SymbolFont::of(b"Symbol").and_then(|s| s.char(0xB7)), Some('•'));
        assert_eq!(SymbolFont::of(b"Helvetica"), None);
        assert_eq!(SymbolFont::of(b"SymbolMT"), Some(SymbolFont::Symbol));
    }
}
