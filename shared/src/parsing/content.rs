//! A page's content stream cut into pieces at operator boundaries, so that its operators are
//! decoded a piece at a time: decoded whole, a figure page's stream of a few megabytes becomes
//! hundreds of thousands of operators held at once (14 MB for one page of a thesis), more than
//! the file itself.

use lopdf::content::Operation;
use std::cell::Cell;

/// A stream's data with its filters applied, up to `limit` bytes. lopdf reads `/Filter` and
/// `/DecodeParms` only as written in the stream's dictionary; some writers put them in objects
/// of their own (`/Filter 3 0 R`), and the data would pass through still compressed.
pub fn plain(doc: &lopdf::Document, stream: &lopdf::Stream, limit: usize) -> lopdf::Result<Vec<u8>> {
    use lopdf::Object;
    let indirect = |key: &[u8]| matches!(stream.dict.get(key), Ok(Object::Reference(_)));
    if !indirect(b"Filter") && !indirect(b"DecodeParms") {
        return stream.get_plain_content_with_limit(limit);
    }
    let mut dict = stream.dict.clone();
    for key in [&b"Filter"[..], b"DecodeParms"] {
        if let Ok(value) = stream.dict.get_deref(key, doc) {
            dict.set(key, value.clone());
        }
    }
    lopdf::Stream::new(dict, stream.content.clone()).get_plain_content_with_limit(limit)
}

/// A piece ends at the first operator boundary past this many bytes. lopdf's operations take
/// ~25x their source, so a 256 KiB piece cost 16 MB of a drawing page's 38 MB heap; at 16 KiB
/// the pieces cost under 2 MB and parse no slower.
pub const PIECE_BYTES: usize = 16 * 1024;

/// A content stream's operations, decoded a piece at a time; `undecodable` is set when a
/// piece does not decode (its operations are left out).
pub fn operations<'c>(content: &'c [u8], undecodable: &'c Cell<bool>) -> impl Iterator<Item = Operation> + 'c {
    pieces(content, PIECE_BYTES).into_iter().flat_map(move |piece| {
        let decoded = super::operations::decode(piece);
        undecodable.set(undecodable.get() || decoded.is_err());
        decoded.unwrap_or_default()
    })
}

pub(super) fn is_delimiter(b: u8) -> bool {
    matches!(b, b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%')
}

pub(super) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0')
}

/// An operator token, as opposed to an operand (a number, `true`, `false`, `null`).
fn is_operator(token: &[u8]) -> bool {
    token.first().is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, b'\'' | b'"' | b'*'))
        && !matches!(token, b"true" | b"false" | b"null")
}

/// Just past the literal string opening at `open` (nested parentheses balanced, escapes
/// skipped), or the end of `data` when it never closes.
pub(super) fn after_literal_string(data: &[u8], open: usize) -> usize {
    literal_string_end(data, open).unwrap_or(data.len())
}

/// Just past the literal string opening at `open`, or `None` when it never closes.
pub(super) fn literal_string_end(data: &[u8], open: usize) -> Option<usize> {
    let (mut i, mut depth) = (open, 0usize);
    while i < data.len() {
        match data[i] {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Where an inline image's data ends: just past `EI` set between white space, or the end.
fn after_inline_image(content: &[u8], from: usize) -> usize {
    let mut i = from;
    while i + 2 <= content.len() {
        if &content[i..i + 2] == b"EI"
            && i > 0
            && is_space(content[i - 1])
            && content.get(i + 2).is_none_or(|b| is_space(*b) || is_delimiter(*b))
        {
            return i + 2;
        }
        i += 1;
    }
    content.len()
}

/// `content` in pieces of about `target` bytes, each ending after an operator outside any
/// string, array, dictionary or inline image: each decodes to whole operations.
pub fn pieces(content: &[u8], target: usize) -> Vec<&[u8]> {
    // A piece ends past `target` bytes, so a shorter stream is one piece, unscanned.
    if content.len() <= target {
        return if content.is_empty() { Vec::new() } else { vec![content] };
    }
    let mut out = Vec::new();
    let (mut start, mut i, mut nesting, mut inline) = (0, 0, 0usize, false);
    while i < content.len() {
        let b = content[i];
        match b {
            b'%' => {
                while i < content.len() && !matches!(content[i], b'\r' | b'\n') {
                    i += 1;
                }
            }
            b'(' => i = after_literal_string(content, i),
            b'<' if content.get(i + 1) == Some(&b'<') => {
                nesting += 1;
                i += 2;
            }
            b'>' if content.get(i + 1) == Some(&b'>') => {
                nesting = nesting.saturating_sub(1);
                i += 2;
            }
            b'<' => {
                while i < content.len() && content[i] != b'>' {
                    i += 1;
                }
                i += 1;
            }
            b'/' => {
                // A name, never an operator ("/W" is not the clip operator W).
                i += 1;
                while i < content.len() && !is_space(content[i]) && !is_delimiter(content[i]) {
                    i += 1;
                }
            }
            b'[' | b'{' => {
                nesting += 1;
                i += 1;
            }
            b']' | b'}' => {
                nesting = nesting.saturating_sub(1);
                i += 1;
            }
            _ if is_space(b) || is_delimiter(b) => i += 1,
            _ => {
                let from = i;
                while i < content.len() && !is_space(content[i]) && !is_delimiter(content[i]) {
                    i += 1;
                }
                let token = &content[from..i];
                if token == b"BI" {
                    inline = true;
                } else if token == b"ID" && inline {
                    i = after_inline_image(content, i + 1);
                    inline = false;
                } else if nesting == 0 && !inline && is_operator(token) && i - start >= target {
                    out.push(&content[start..i]);
                    start = i;
                }
            }
        }
    }
    if start < content.len() {
        out.push(&content[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operators(content: &[u8]) -> Vec<String> {
        let decoded = lopdf::content::Content::decode(content)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(content)));
        decoded.operations.into_iter().map(|o| o.operator).collect()
    }

    #[test]
    fn pieces_decode_to_the_operations_of_the_whole() {
        let content: &[u8] = b"q 1 0 0 1 0 0 cm BT /F1 12 Tf (a (nested) Tj string) Tj [(T) -20 (J)] TJ ET \
            % a comment Tj\n/P << /MCID 3 >> BDC <48656c6c6f> Tj EMC BI /W 4 /H 1 /BPC 8 /CS /G ID \x01Tj\x02 EI \
            0 0 m 10 10 l S Q";
        let whole = operators(content);
        for target in [1, 5, 20, 64, 1000] {
            let pieces = pieces(content, target);
            assert_eq!(pieces.concat(), content);
            let joined: Vec<String> = pieces.iter().flat_map(|p| operators(p)).collect();
            assert_eq!(joined, whole, "target {target}");
        }
        assert!(pieces(content, 1).len() > 10);
    }
}
