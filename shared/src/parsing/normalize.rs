use unicode_normalization::UnicodeNormalization;

/// LF line endings, no trailing whitespace, Unicode NFC, at most one blank line in a row, one
/// final newline: identical input always gives identical bytes, so the hash is stable.
pub fn normalize(text: &str) -> String {
    let unified = text.replace("\r\n", "\n").replace('\r', "\n");
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
        let once = normalize(" x \n\n y");
        assert_eq!(normalize(&once), once);
    }
}
