use unicode_normalization::UnicodeNormalization;

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

/// LF line endings, no trailing whitespace, Unicode NFC with Latin ligatures spelled out, at most one blank line in a row, one
/// final newline: identical input always gives identical bytes, so the hash is stable.
pub fn normalize(text: &str) -> String {
    let unified = expand_ligatures(text).replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(unified.len());
    let mut blank_run = 0;
    for line in unified.nfc().collect::<String>().split('\n') {
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
        let once = normalize(" x \n\n y");
        assert_eq!(normalize(&once), once);
    }
}
