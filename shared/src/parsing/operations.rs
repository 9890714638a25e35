//! A content stream's operations read by hand: the numbers, names, strings, arrays and
//! dictionaries that make up nearly every page, with the operations lopdf's grammar gives them.
//! lopdf's parser cost a fifth of a text page's parse in combinators; anything read here with
//! less certainty than lopdf (inline images, name escapes, references, odd numbers, deep
//! nesting) goes to lopdf from the operation it starts, and lopdf reads the rest of the piece.

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Object, StringFormat};

use super::content::{is_delimiter, is_space};

/// Arrays and dictionaries nested deeper than this are lopdf's to read.
const DEPTH: usize = 8;

/// The operations of one piece of a content stream (see `content::pieces`), as
/// `Content::decode` gives them.
pub fn decode(piece: &[u8]) -> lopdf::Result<Vec<Operation>> {
    let mut reader = Reader { data: piece, at: 0 };
    // A text page runs about twenty bytes an operation; growing the list costs more.
    let mut ops = Vec::with_capacity((piece.len() / 16).min(4096));
    loop {
        let start = reader.at;
        match reader.operation() {
            Step::Op(op) => ops.push(op),
            Step::End => return Ok(ops),
            Step::Lopdf => {
                ops.extend(Content::decode(&piece[start..])?.operations);
                return Ok(ops);
            }
        }
    }
}

enum Step {
    Op(Operation),
    End,
    /// Not read here: lopdf reads from the start of this operation.
    Lopdf,
}

struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

fn is_regular(b: u8) -> bool {
    !is_space(b) && !is_delimiter(b)
}

fn is_operator_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'*' | b'\'' | b'"')
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.data.get(self.at).copied()
    }

    fn white(&mut self) {
        while self.peek().is_some_and(is_space) {
            self.at += 1;
        }
    }

    /// White space and comments; `false` at a comment with no end of line after it, which
    /// lopdf does not read as a comment.
    fn space(&mut self) -> bool {
        loop {
            self.white();
            if self.peek() != Some(b'%') {
                return true;
            }
            let Some(end) = self.data[self.at..].iter().position(|&b| b == b'\r' || b == b'\n') else {
                return false;
            };
            self.at += end + 1;
        }
    }

    /// At a token's end: white space, a delimiter or the end of the data.
    fn at_boundary(&self) -> bool {
        self.peek().is_none_or(|b| !is_regular(b))
    }

    fn operation(&mut self) -> Step {
        if !self.space() {
            return Step::Lopdf;
        }
        if self.peek().is_none() {
            return Step::End;
        }
        let mut operands = Vec::new();
        loop {
            let Some(b) = self.peek() else { return Step::Lopdf };
            if b.is_ascii_alphabetic() || matches!(b, b'*' | b'\'' | b'"') {
                let from = self.at;
                while self.peek().is_some_and(is_operator_byte) {
                    self.at += 1;
                }
                let token = &self.data[from..self.at];
                // lopdf reads these as operands, and "BI" opens an inline image.
                let keyword = [&b"true"[..], b"false", b"null", b"BI"].iter().any(|k| token.starts_with(k));
                if keyword || !self.at_boundary() {
                    return Step::Lopdf;
                }
                self.white();
                let operator = std::str::from_utf8(token).unwrap_or_default().to_owned();
                return Step::Op(Operation { operator, operands });
            }
            match self.operand(b) {
                Some(object) => operands.push(object),
                None => return Step::Lopdf,
            }
            self.white();
        }
    }

    fn operand(&mut self, first: u8) -> Option<Object> {
        match first {
            b'0'..=b'9' | b'+' | b'-' | b'.' => self.number(),
            b'/' => self.name().map(Object::Name),
            b'(' => self.literal().map(|s| Object::String(s, StringFormat::Literal)),
            b'<' if self.data.get(self.at + 1) == Some(&b'<') => self.dictionary(DEPTH).map(Object::Dictionary),
            b'<' => self.hexadecimal(),
            b'[' => self.array(DEPTH).map(Object::Array),
            _ => None,
        }
    }

    /// An object inside an array or dictionary.
    fn direct(&mut self, depth: usize) -> Option<Object> {
        let first = self.peek()?;
        match first {
            b'n' | b't' | b'f' => self.keyword(),
            // "12 0 R" is a reference there: lopdf's to read.
            b'0'..=b'9' if self.reference_ahead() => None,
            b'[' => self.array(depth).map(Object::Array),
            b'<' if self.data.get(self.at + 1) == Some(&b'<') => self.dictionary(depth).map(Object::Dictionary),
            _ => self.operand(first),
        }
    }

    fn keyword(&mut self) -> Option<Object> {
        let rest = &self.data[self.at..];
        let (object, len) = if rest.starts_with(b"null") {
            (Object::Null, 4)
        } else if rest.starts_with(b"true") {
            (Object::Boolean(true), 4)
        } else if rest.starts_with(b"false") {
            (Object::Boolean(false), 5)
        } else {
            return None;
        };
        self.at += len;
        self.at_boundary().then_some(object)
    }

    /// Digits, white space, digits, white space, `R`; or a comment in those gaps, which may
    /// hide the rest, so lopdf decides.
    fn reference_ahead(&self) -> bool {
        let rest = &self.data[self.at..];
        let digits = |i: usize| rest[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        let gap = |i: usize| rest[i..].iter().take_while(|&&b| is_space(b)).count();
        let mut i = digits(0);
        i += gap(i);
        if rest.get(i) == Some(&b'%') {
            return true;
        }
        match digits(i) {
            0 => return false,
            n => i += n,
        }
        i += gap(i);
        matches!(rest.get(i), Some(b'R' | b'%'))
    }

    fn number(&mut self) -> Option<Object> {
        let from = self.at;
        if matches!(self.peek(), Some(b'+' | b'-')) {
            self.at += 1;
        }
        let digits = |r: &mut Self| {
            let start = r.at;
            while r.peek().is_some_and(|b| b.is_ascii_digit()) {
                r.at += 1;
            }
            r.at - start
        };
        let whole = digits(self);
        let real = self.peek() == Some(b'.');
        if real {
            self.at += 1;
            let fraction = digits(self);
            // "0.00-4142502": lopdf drops the minus sign, as pdf.js and Poppler do.
            if whole + fraction == 0 || self.peek() == Some(b'-') {
                return None;
            }
        } else if whole == 0 {
            return None;
        }
        if !self.at_boundary() {
            return None;
        }
        let text = std::str::from_utf8(&self.data[from..self.at]).ok()?;
        if real { text.parse::<f32>().ok().map(Object::Real) } else { text.parse::<i64>().ok().map(Object::Integer) }
    }

    fn name(&mut self) -> Option<Vec<u8>> {
        self.at += 1;
        let from = self.at;
        while self.peek().is_some_and(is_regular) {
            self.at += 1;
        }
        let name = &self.data[from..self.at];
        // "#20" stands for a byte: lopdf's to read.
        (!name.contains(&b'#')).then(|| name.to_vec())
    }

    fn literal(&mut self) -> Option<Vec<u8>> {
        self.at += 1;
        // Most strings hold no escapes or parentheses: sized by their first run.
        let run = self.data[self.at..].iter().position(|&b| matches!(b, b'(' | b')' | b'\\' | b'\r')).unwrap_or(0);
        let mut out = Vec::with_capacity(run + 1);
        self.literal_into(&mut out, DEPTH)?;
        Some(out)
    }

    /// A literal string's bytes up to its closing parenthesis, escapes applied, nested
    /// parentheses kept, each end of line read as a line feed.
    fn literal_into(&mut self, out: &mut Vec<u8>, depth: usize) -> Option<()> {
        loop {
            let b = self.peek()?;
            self.at += 1;
            match b {
                b')' => return Some(()),
                b'(' if depth == 0 => return None,
                b'(' => {
                    out.push(b'(');
                    self.literal_into(out, depth - 1)?;
                    out.push(b')');
                }
                b'\\' => {
                    let c = self.peek()?;
                    self.at += 1;
                    match c {
                        b'0'..=b'7' => {
                            let mut value = u16::from(c - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        value = value * 8 + u16::from(d - b'0');
                                        self.at += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push(value as u8);
                        }
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.at += 1;
                            }
                        }
                        b'\n' => {}
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(b'\x08'),
                        b'f' => out.push(b'\x0c'),
                        other => out.push(other),
                    }
                }
                b'\r' => {
                    if self.peek() == Some(b'\n') {
                        self.at += 1;
                    }
                    out.push(b'\n');
                }
                _ => {
                    let run = self.data[self.at..]
                        .iter()
                        .position(|&b| matches!(b, b'(' | b')' | b'\\' | b'\r'))
                        .unwrap_or(self.data.len() - self.at);
                    out.push(b);
                    out.extend_from_slice(&self.data[self.at..self.at + run]);
                    self.at += run;
                }
            }
        }
    }

    fn hexadecimal(&mut self) -> Option<Object> {
        self.at += 1;
        let mut out = Vec::new();
        let mut high = true;
        loop {
            self.white();
            let Some(value) = self.peek().and_then(|b| (b as char).to_digit(16)) else { break };
            self.at += 1;
            if high {
                out.push((value as u8) << 4);
            } else if let Some(last) = out.last_mut() {
                *last |= value as u8;
            }
            high = !high;
        }
        if self.peek() != Some(b'>') {
            return None;
        }
        self.at += 1;
        Some(Object::String(out, StringFormat::Hexadecimal))
    }

    fn array(&mut self, depth: usize) -> Option<Vec<Object>> {
        if depth == 0 {
            return None;
        }
        self.at += 1;
        let mut items = Vec::new();
        loop {
            if !self.space() {
                return None;
            }
            if self.peek()? == b']' {
                self.at += 1;
                return Some(items);
            }
            items.push(self.direct(depth - 1)?);
        }
    }

    fn dictionary(&mut self, depth: usize) -> Option<Dictionary> {
        if depth == 0 {
            return None;
        }
        self.at += 2;
        let mut dict = Dictionary::new();
        loop {
            if !self.space() {
                return None;
            }
            match self.peek()? {
                b'/' => {
                    let key = self.name()?;
                    if !self.space() {
                        return None;
                    }
                    let value = self.direct(depth - 1)?;
                    dict.set(key, value);
                }
                b'>' if self.data.get(self.at + 1) == Some(&b'>') => {
                    self.at += 2;
                    return Some(dict);
                }
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ours and lopdf's reading of `data`, as text to compare.
    fn both(data: &[u8]) -> (String, String) {
        let show = |r: lopdf::Result<Vec<Operation>>| format!("{:?}", r.map_err(|e| e.to_string()));
        (show(decode(data)), show(Content::decode(data).map(|c| c.operations)))
    }

    fn same_as_lopdf(data: &[u8]) {
        let (ours, theirs) = both(data);
        assert_eq!(ours, theirs, "{}", String::from_utf8_lossy(data));
    }

    #[test]
    fn reads_what_lopdf_reads() {
        for data in [
            &b"BT /F1 12 Tf 72 720 Td (Hello, world) Tj ET"[..],
            b"  q 1 0 0 1 -3.5 .25 cm 0.5 g 0 0 m 10 10 l S Q\n",
            b"[(W)80(or)-12.5(ld)]TJ [<0041 00 42>-3]TJ <4>Tj < 41 4 >Tj",
            b"(a\\(b\\)c\\\\d\\n\\r\\t\\b\\f\\101\\7\\0123\\q) Tj (x\\\ny\\\r\nz\rw\r\nv) Tj",
            b"(nest (ed (deep)) ok) Tj",
            b"/Span << /ActualText (fi) /MCID 3 /A [1 2.5 /N (s)] /D << /E null /T true /F false >> >> BDC EMC",
            b"% a comment\n1 g % another\r\n0 G %last\n",
            b"1 0 0 1 0 0 cm 5 w d0 '\" T* ",
            b"/P <</MCID 0>>BDC /Name#20x Tf",
            b"[1 0 R] d 3 Tf",
            b"1 2 3 BI /W 2 /H 1 /BPC 8 /CS /G ID \x01\x02 EI Q",
            b"0.00-4142502 w 1e5 w 12.5.3 w",
            b"99999999999999999999 w",
            b"(unclosed Tj",
            b"1 2 %no end",
            b"[(a) % note\n (b)] TJ",
            b"<< /A >> BDC",
            b"truex Tj nullify q",
            b"<12g> Tj",
            b"1 2 }",
            b"",
            b"   ",
            b"1 2",
        ] {
            same_as_lopdf(data);
        }
    }

    /// Every stream of the corpus, fonts and images too: binary data must stop both readers
    /// at the same place. `OPS_DIRS` (a path list) adds folders of PDFs to read.
    #[test]
    fn reads_every_stream_of_the_corpus_as_lopdf_does() {
        let mut dirs = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/pdf")];
        dirs.extend(
            std::env::var_os("OPS_DIRS").into_iter().flat_map(|d| std::env::split_paths(&d).collect::<Vec<_>>()),
        );
        let mut pieces = 0;
        for dir in dirs {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                let Ok(doc) = lopdf::Document::load(&path) else { continue };
                for object in doc.objects.values() {
                    let Object::Stream(stream) = object else { continue };
                    let Ok(data) = stream.get_plain_content_with_limit(1 << 22) else { continue };
                    for piece in super::super::content::pieces(&data, super::super::content::PIECE_BYTES) {
                        let (ours, theirs) = both(piece);
                        assert!(ours == theirs, "{}", path.display());
                        pieces += 1;
                    }
                }
            }
        }
        assert!(pieces > 1000, "{pieces}");
    }

    #[test]
    fn hands_lopdf_the_rest_of_the_piece_from_the_operation_it_cannot_read() {
        let ops = decode(b"1 g /N#41 Tf 2 g").unwrap();
        let names: Vec<&str> = ops.iter().map(|o| o.operator.as_str()).collect();
        assert_eq!(names, ["g", "Tf", "g"]);
        assert_eq!(ops[1].operands[0], Object::Name(b"NA".to_vec()));
    }
}
