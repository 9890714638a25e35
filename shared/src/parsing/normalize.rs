use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// Latin ligatures (U+FB00–FB06) as their letters: a search for "financial" must find a PDF
/// that set it with an fi ligature.
pub fn expand_ligatures(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| ('\u{FB00}'..='\u{FB06}').contains(&c)) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\u{FB00}' => out.push_str("ff"),
            '\u{FB01}' => out.push_str("fi"),
            '\u{FB02}' => out.push_str("fl"),
            '\u{FB03}' => out.push_str("ffi"),
            '\u{FB04}' => out.push_str("ffl"),
            '\u{FB05}' | '\u{FB06}' => out.push_str("st"),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A spacing accent right after a letter is how TeX and older writers set an accented letter
/// ("Age\u{2c6}ncia", "Aviac\u{b8}a\u{2dc}o"): made combining, NFC composes it, and a search for
/// "Agência" finds it.
fn combining(c: char) -> Option<char> {
    Some(match c {
        '\u{B4}' | '\u{2CA}' => '\u{301}',
        '\u{2C6}' => '\u{302}',
        '\u{2DC}' => '\u{303}',
        '\u{AF}' | '\u{2C9}' => '\u{304}',
        '\u{2D8}' => '\u{306}',
        '\u{2D9}' => '\u{307}',
        '\u{A8}' => '\u{308}',
        '\u{2DA}' => '\u{30A}',
        '\u{2DD}' => '\u{30B}',
        '\u{2C7}' => '\u{30C}',
        '\u{B8}' => '\u{327}',
        '\u{2DB}' => '\u{328}',
        _ => return None,
    })
}

fn attach_accents(text: &str) -> std::borrow::Cow<'_, str> {
    let mut prev_letter = false;
    if !text.chars().any(|c| {
        let hit = prev_letter && combining(c).is_some();
        prev_letter = c.is_alphabetic();
        hit
    }) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut prev_letter = false;
    for c in text.chars() {
        match combining(c) {
            Some(m) if prev_letter => out.push(m),
            _ => out.push(c),
        }
        prev_letter = c.is_alphabetic();
    }
    std::borrow::Cow::Owned(out)
}

/// LF line endings, no trailing whitespace, Unicode NFC with Latin ligatures spelled out, at most one blank line in a row, one
/// final newline: identical input always gives identical bytes, so the hash is stable.
pub fn normalize(text: &str) -> String {
    let accented = attach_accents(&expand_ligatures(text)).into_owned();
    let unified = if accented.contains('\r') { accented.replace("\r\n", "\n").replace('\r', "\n") } else { accented };
    // Most extracted text is already NFC; the quick check spares a fifth of a parse.
    let composed = match is_nfc_quick(unified.chars()) {
        IsNormalized::Yes => unified,
        _ => unified.nfc().collect(),
    };
    let mut out = String::with_capacity(composed.len());
    let mut blank_run = 0;
    for line in composed.split('\n') {
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 || out.is_empty() {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_endings_space_and_composition() {
        assert_eq!(normalize("a  \r\nb\rc\n\n\n\nd\n\n"), "a\nb\nc\n\nd\n");
        assert_eq!(normalize("Cafe\u{301}"), "Caf\u{e9}\n");
        assert_eq!(normalize("\n\nx"), "x\n");
        assert_eq!(normalize("\u{FB01}nancial pro\u{FB01}t e\u{FB00}ect \u{FB04}"), "financial profit effect ffl\n");
        assert_eq!(
            normalize("Age\u{2c6}ncia Aviac\u{b8}a\u{2dc}o nai\u{a8}ve"),
            "Ag\u{ea}ncia Avia\u{e7}\u{e3}o na\u{ef}ve\n"
        );
        assert_eq!(normalize("\u{b4}5 \u{b4} \u{2c6}"), "\u{b4}5 \u{b4} \u{2c6}\n");
        let once = normalize(" x \n\n y");
        assert_eq!(normalize(&once), once);
    }
}
