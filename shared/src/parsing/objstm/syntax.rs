//! Just enough PDF syntax to find a dictionary's own entries in an object's text: where each
//! value starts and ends, with strings, comments and nested containers skipped whole. Nothing is
//! decoded; anything this cannot follow yields `None`, and the object is left to lopdf.

use crate::parsing::content::{is_delimiter, is_space, literal_string_end};

/// The entries of the dictionary that is `text`, as (key without its slash, value's text).
pub fn entries(text: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
    let text = text.trim_ascii();
    let inner = text.strip_prefix(b"<<")?.strip_suffix(b">>")?;
    let mut found = Vec::new();
    let mut at = skip_space(inner, 0);
    while at < inner.len() {
        if inner[at] != b'/' {
            return None;
        }
        let key_end = token_end(inner, at + 1);
        let start = skip_space(inner, key_end);
        let end = value_end(inner, start)?;
        found.push((&inner[at + 1..key_end], &inner[start..end]));
        at = skip_space(inner, end);
    }
    Some(found)
}

/// The items of the array that is `text`, each as its text.
pub fn items(text: &[u8]) -> Option<Vec<&[u8]>> {
    let inner = text.trim_ascii().strip_prefix(b"[")?.strip_suffix(b"]")?;
    let mut found = Vec::new();
    let mut at = skip_space(inner, 0);
    while at < inner.len() {
        let end = value_end(inner, at)?;
        found.push(&inner[at..end]);
        at = skip_space(inner, end);
    }
    Some(found)
}

/// Past white space and comments.
fn skip_space(text: &[u8], mut at: usize) -> usize {
    while at < text.len() {
        if is_space(text[at]) {
            at += 1;
        } else if text[at] == b'%' {
            while at < text.len() && text[at] != b'\n' && text[at] != b'\r' {
                at += 1;
            }
        } else {
            break;
        }
    }
    at
}

/// The end of a regular token (a name's body, a number, a keyword).
fn token_end(text: &[u8], mut at: usize) -> usize {
    while at < text.len() && !is_space(text[at]) && !is_delimiter(text[at]) {
        at += 1;
    }
    at
}

/// The end of the value starting at `at`; a reference (`12 0 R`) is one value.
fn value_end(text: &[u8], at: usize) -> Option<usize> {
    match *text.get(at)? {
        b'(' => literal_string_end(text, at),
        b'<' if text.get(at + 1) == Some(&b'<') => container_end(text, at),
        b'<' => Some(at + text[at..].iter().position(|&b| b == b'>')? + 1),
        b'[' => container_end(text, at),
        b'/' => Some(token_end(text, at + 1)),
        b if is_delimiter(b) => None,
        _ => {
            let end = token_end(text, at);
            let digits = |t: &[u8]| !t.is_empty() && t.iter().all(u8::is_ascii_digit);
            if !digits(&text[at..end]) {
                return Some(end);
            }
            let generation = skip_space(text, end);
            let generation_end = token_end(text, generation);
            let r = skip_space(text, generation_end);
            let r_end = token_end(text, r);
            Some(if digits(&text[generation..generation_end]) && &text[r..r_end] == b"R" { r_end } else { end })
        }
    }
}

/// The end of the array or dictionary opening at `at`, with everything inside skipped.
fn container_end(text: &[u8], mut at: usize) -> Option<usize> {
    let mut depth = 0usize;
    while at < text.len() {
        match text[at] {
            b'(' => {
                at = literal_string_end(text, at)?;
                continue;
            }
            b'%' => {
                at = skip_space(text, at);
                continue;
            }
            b'<' if text.get(at + 1) == Some(&b'<') => {
                depth += 1;
                at += 2;
                continue;
            }
            b'<' => {
                at += text[at..].iter().position(|&b| b == b'>')? + 1;
                continue;
            }
            b'>' if text.get(at + 1) == Some(&b'>') => {
                depth = depth.checked_sub(1)?;
                at += 2;
                if depth == 0 {
                    return Some(at);
                }
                continue;
            }
            b'[' => depth += 1,
            b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(at + 1);
                }
            }
            _ => {}
        }
        at += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{entries, items};

    fn keys(text: &str) -> Vec<(String, String)> {
        let found = entries(text.as_bytes()).expect("a dictionary");
        found.into_iter().map(|(k, v)| (String::from_utf8_lossy(k).into(), String::from_utf8_lossy(v).into())).collect()
    }

    #[test]
    fn a_dictionarys_own_entries_are_found_past_nested_containers_strings_and_comments() {
        let text = "<< /Type /Annot/Subtype/Link /Rect [ 1 2 [3] 4 ] /A << /S /URI /URI (a (b) \\) >> c) >>\n\
                    /Parent 12 0 R % a comment /AP << >>\n/Contents <414243> /N 7 /F true >>";
        let found = keys(text);
        let expected = [
            ("Type", "/Annot"),
            ("Subtype", "/Link"),
            ("Rect", "[ 1 2 [3] 4 ]"),
            ("A", "<< /S /URI /URI (a (b) \\) >> c) >>"),
            ("Parent", "12 0 R"),
            ("Contents", "<414243>"),
            ("N", "7"),
            ("F", "true"),
        ];
        assert_eq!(found, expected.map(|(k, v)| (k.to_string(), v.to_string())));
    }

    #[test]
    fn an_arrays_items_are_found_and_a_reference_is_one_of_them() {
        let found = items(b"[0 <</Type/OBJR/Obj 8 0 R>> 12 0 R (a]) [1 2]/Name]").expect("an array");
        let expected: [&[u8]; 6] = [b"0", b"<</Type/OBJR/Obj 8 0 R>>", b"12 0 R", b"(a])", b"[1 2]", b"/Name"];
        assert_eq!(found, expected);
        assert!(items(b"[1 (2]").is_none());
    }

    #[test]
    fn text_that_is_not_a_whole_dictionary_is_not_read() {
        for text in ["[1 2 3]", "<< /A (open >>", "<< /A [1 2 >>", "<< 1 2 >>", "<< /A <</B 1>> >> >>"] {
            assert!(entries(text.as_bytes()).is_none(), "{text}");
        }
    }
}
