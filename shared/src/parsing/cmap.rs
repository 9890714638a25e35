//! A font's `/ToUnicode` CMap (ISO 32000-1, 9.10.3): character codes to Unicode text.
//!
//! lopdf's parser rejects a whole CMap on one construct it does not expect (comments in odd
//! places, `/CIDSystemInfo` dictionaries, names as destinations), and lopdf then decodes the
//! font's codes as if they were Standard encoding: pages of plausible-looking garbage. This
//! reader scans for the three sections that matter (`codespacerange`, `bfchar`, `bfrange`) and
//! skips whatever else it meets, so a CMap yields every mapping it holds.

use std::borrow::Cow;
use std::collections::HashMap;

/// A range's destinations are generated, not listed: cap them so that a hostile range cannot
/// make us allocate gigabytes (a real font has at most 65,536 codes).
const MAX_RANGE: u32 = 65_536;
/// All mappings of one CMap, for the same reason.
const MAX_ENTRIES: usize = 1 << 20;
/// A range of more codes than this is kept as a range and read on lookup: a font that maps all
/// 65,536 codes in a few lines (an OCR layer's, once per page) would otherwise cost a string per
/// code, megabytes per font. Narrower ranges, the bulk of a text font's, are listed.
const LISTED_RANGE: u32 = 16;

#[derive(Debug, Default)]
pub struct ToUnicode {
    /// (code length in bytes, code) → text.
    map: HashMap<(u8, u32), String>,
    /// Wide ranges (code length, first code, last code, the first code's destination).
    ranges: Vec<(u8, u32, u32, Vec<u8>)>,
    /// (length, low, high) per codespace range: how many bytes the next code takes.
    codespace: Vec<(u8, u32, u32)>,
}

#[derive(Debug, PartialEq)]
enum Token<'a> {
    Hex(Vec<u8>),
    Word(&'a [u8]),
    Name(&'a [u8]),
    Open,
    Close,
}

fn tokens(data: &[u8]) -> impl Iterator<Item = Token<'_>> {
    let mut i = 0;
    std::iter::from_fn(move || {
        loop {
            let b = *data.get(i)?;
            match b {
                b'%' => {
                    while i < data.len() && data[i] != b'\n' && data[i] != b'\r' {
                        i += 1;
                    }
                }
                b'<' if data.get(i + 1) == Some(&b'<') => i += 2,
                b'>' if data.get(i + 1) == Some(&b'>') => i += 2,
                b'<' => {
                    let end = data[i..].iter().position(|c| *c == b'>').map_or(data.len(), |p| i + p);
                    let hex: Vec<u8> = data[i + 1..end].iter().copied().filter(u8::is_ascii_hexdigit).collect();
                    i = end + 1;
                    let digit = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
                    // An odd final digit is followed by an implied 0 (7.3.4.3).
                    let bytes = hex.chunks(2).map(|p| digit(p[0]) << 4 | p.get(1).map_or(0, |c| digit(*c))).collect();
                    return Some(Token::Hex(bytes));
                }
                b'(' => {
                    // A literal string (a registry name in CIDSystemInfo): skipped, nesting kept.
                    i = super::content::after_literal_string(data, i);
                }
                b'[' => {
                    i += 1;
                    return Some(Token::Open);
                }
                b']' => {
                    i += 1;
                    return Some(Token::Close);
                }
                c if c.is_ascii_whitespace() || c == 0 => i += 1,
                c => {
                    let start = i + usize::from(c == b'/');
                    i += 1;
                    while i < data.len() && !b"%<>()[]/{} \t\r\n\x0c\0".contains(&data[i]) {
                        i += 1;
                    }
                    let word = &data[start..i];
                    return Some(if c == b'/' { Token::Name(word) } else { Token::Word(word) });
                }
            }
        }
    })
}

fn code_of(bytes: &[u8]) -> Option<(u8, u32)> {
    (1..=4).contains(&bytes.len()).then(|| (bytes.len() as u8, bytes.iter().fold(0u32, |a, b| a << 8 | u32::from(*b))))
}

/// A destination: UTF-16BE (surrogate pairs allowed), as `bfchar`/`bfrange` write it.
fn utf16(bytes: &[u8]) -> String {
    let units = bytes.chunks(2).map(|p| u16::from(p[0]) << 8 | u16::from(*p.get(1).unwrap_or(&0)));
    char::decode_utf16(units).filter_map(Result::ok).collect()
}

impl ToUnicode {
    pub fn parse(data: &[u8]) -> ToUnicode {
        let mut cmap = ToUnicode::default();
        let mut toks = tokens(data).peekable();
        while let Some(tok) = toks.next() {
            let Token::Word(section) = tok else { continue };
            let end: &[u8] = match section {
                b"begincodespacerange" => b"endcodespacerange",
                b"beginbfchar" => b"endbfchar",
                b"beginbfrange" => b"endbfrange",
                _ => continue,
            };
            let mut items = Vec::new();
            for t in toks.by_ref() {
                if t == Token::Word(end) {
                    break;
                }
                items.push(t);
            }
            match section {
                b"begincodespacerange" => cmap.codespace_section(&items),
                b"beginbfchar" => cmap.bfchar_section(&items),
                _ => cmap.bfrange_section(&items),
            }
        }
        cmap
    }

    pub fn len(&self) -> usize {
        self.map.len() + self.ranges.iter().map(|(_, lo, hi, _)| (hi - lo) as usize + 1).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty() && self.ranges.is_empty()
    }

    fn insert(&mut self, code: (u8, u32), text: String) {
        if self.map.len() < MAX_ENTRIES {
            self.map.insert(code, text);
        }
    }

    fn codespace_section(&mut self, items: &[Token]) {
        for pair in items.chunks(2) {
            if let [Token::Hex(lo), Token::Hex(hi)] = pair
                && let (Some((n, lo)), Some((_, hi))) = (code_of(lo), code_of(hi))
            {
                self.codespace.push((n, lo, hi));
            }
        }
    }

    fn bfchar_section(&mut self, items: &[Token]) {
        for pair in items.chunks(2) {
            let [Token::Hex(src), dst] = pair else { continue };
            let Some(code) = code_of(src) else { continue };
            let text = match dst {
                Token::Hex(d) => utf16(d),
                Token::Name(n) => super::glyphs::glyph_text(n),
                _ => continue,
            };
            self.insert(code, text);
        }
    }

    fn bfrange_section(&mut self, items: &[Token]) {
        let mut i = 0;
        while i + 2 < items.len() {
            let (Token::Hex(lo), Token::Hex(hi)) = (&items[i], &items[i + 1]) else {
                i += 1;
                continue;
            };
            let (Some((n, lo)), Some((_, hi))) = (code_of(lo), code_of(hi)) else {
                i += 3;
                continue;
            };
            let hi = hi.min(lo.saturating_add(MAX_RANGE - 1));
            match &items[i + 2] {
                Token::Hex(base) if !base.is_empty() && hi - lo >= LISTED_RANGE => {
                    self.ranges.push((n, lo, hi, base.clone()));
                    i += 3;
                }
                Token::Hex(base) if !base.is_empty() => {
                    for code in lo..=hi {
                        self.insert((n, code), counted(base, code - lo));
                    }
                    i += 3;
                }
                Token::Open => {
                    let mut j = i + 3;
                    let mut code = lo;
                    while j < items.len() && items[j] != Token::Close {
                        if let Token::Hex(d) = &items[j]
                            && code <= hi
                        {
                            self.insert((n, code), utf16(d));
                            code += 1;
                        }
                        j += 1;
                    }
                    i = j + 1;
                }
                _ => i += 3,
            }
        }
    }

    /// The byte length of the code that starts `bytes`: the codespace range it falls in, else
    /// the length this CMap's mappings use, else `default`.
    pub fn code_len(&self, bytes: &[u8], default: usize) -> usize {
        for &(n, lo, hi) in &self.codespace {
            let n = usize::from(n);
            if let Some(code) = bytes.get(..n).and_then(code_of)
                && (lo..=hi).contains(&code.1)
                && within_each_byte(code.1, lo, hi, n)
            {
                return n;
            }
        }
        default
    }

    pub fn get(&self, code: &[u8]) -> Option<Cow<'_, str>> {
        let (n, code) = code_of(code)?;
        if let Some(text) = self.map.get(&(n, code)) {
            return Some(Cow::Borrowed(text));
        }
        // The last range defined wins, as the last definition of a code does.
        let (_, lo, _, base) =
            self.ranges.iter().rev().find(|(len, lo, hi, _)| *len == n && (*lo..=*hi).contains(&code))?;
        Some(Cow::Owned(counted(base, code - lo)))
    }
}

/// The destination of the code `k` places into a `bfrange`: the last byte of the first code's
/// destination counts up through the range (9.10.3), carrying into the byte before it.
fn counted(base: &[u8], k: u32) -> String {
    let mut d = base.to_vec();
    let last = d.len() - 1;
    let (sum, carry) = d[last].overflowing_add((k % 256) as u8);
    d[last] = sum;
    if last > 0 {
        d[last - 1] = d[last - 1].wrapping_add(((k / 256) as u8).wrapping_add(u8::from(carry)));
    }
    utf16(&d)
}

/// Codespace ranges are compared byte by byte (9.7.6.2): <8140> <9FFC> does not contain 8200.
fn within_each_byte(code: u32, lo: u32, hi: u32, n: usize) -> bool {
    (0..n).all(|k| {
        let byte = |v: u32| (v >> (8 * k)) & 0xFF;
        (byte(lo)..=byte(hi)).contains(&byte(code))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CMAP: &[u8] = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def % a comment (with a paren
1 begincodespacerange <0000> <FFFF> endcodespacerange
3 beginbfchar <0003> <0020> <001C> <00660069> <0020> /fl endbfchar
2 beginbfrange <0024> <0026> <0041> <0030> <0031> [<0078> <D83DDE42>] endbfrange
endcmap CMapName currentdict /CMap defineresource pop end end";

    #[test]
    fn reads_chars_ranges_arrays_names_and_surrogates() {
        let c = ToUnicode::parse(CMAP);
        assert_eq!(c.get(&[0, 3]).as_deref(), Some(" "));
        assert_eq!(c.get(&[0, 0x1C]).as_deref(), Some("fi"));
        assert_eq!(c.get(&[0, 0x20]).as_deref(), Some("\u{FB02}"));
        assert_eq!(c.get(&[0, 0x25]).as_deref(), Some("B"));
        assert_eq!(c.get(&[0, 0x26]).as_deref(), Some("C"));
        assert_eq!(c.get(&[0, 0x31]).as_deref(), Some("\u{1F642}"));
        assert_eq!(c.get(&[0, 0x27]), None);
        assert_eq!(c.code_len(&[0, 0x25, 0], 1), 2);
    }

    #[test]
    fn a_range_over_every_code_is_read_without_a_string_per_code() {
        let c = ToUnicode::parse(
            b"1 begincodespacerange <0000> <FFFF> endcodespacerange 1 beginbfrange <0000> <FFFF> <0000> endbfrange \
              1 beginbfchar <0041> <0062> endbfchar",
        );
        assert!(c.map.len() <= 1, "kept as a range, not listed");
        assert_eq!(c.len(), 65_537);
        assert_eq!(c.get(&[0x12, 0x34]).as_deref(), Some("\u{1234}"));
        assert_eq!(c.get(&[0x00, 0x41]).as_deref(), Some("b"), "a code defined on its own wins");
        // A narrow range is listed as before.
        let narrow = ToUnicode::parse(b"1 beginbfrange <0020> <002E> <0020> endbfrange");
        assert_eq!(narrow.map.len(), 15);
        assert_eq!(narrow.get(&[0x00, 0x2E]).as_deref(), Some("."));
    }

    #[test]
    fn hostile_ranges_are_capped_and_junk_is_skipped() {
        let c = ToUnicode::parse(b"1 beginbfrange <00000000> <FFFFFFFF> <0041> endbfrange ] ) >> <<");
        assert_eq!(c.len(), MAX_RANGE as usize);
        assert_eq!(c.get(&[0, 0, 0, 1]).as_deref(), Some("B"));
        assert!(c.get(&[0, 0, 0xFF, 0xFF]).is_some());
        assert_eq!(c.get(&[0, 1, 0, 0]), None, "past the cap");
        assert!(ToUnicode::parse(b"beginbfchar <01> endbfchar <").is_empty());
    }
}
