//! Page markers in parsed markdown: the parser puts one before every page, the chunker turns
//! them into page ranges and strips them from chunk text.

/// Marks where page N begins.
pub fn page_marker(page: u32) -> String {
    format!("<!-- page {page} -->")
}

/// Reads a page marker line back; `None` for any other line.
pub fn parse_page_marker(line: &str) -> Option<u32> {
    line.trim().strip_prefix("<!-- page ")?.strip_suffix(" -->")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_markers_round_trip() {
        assert_eq!(parse_page_marker(&page_marker(12)), Some(12));
        assert_eq!(parse_page_marker("<!-- page x -->"), None);
        assert_eq!(parse_page_marker("page 3"), None);
    }
}
