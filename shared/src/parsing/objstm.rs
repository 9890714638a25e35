//! Object streams with their structure tree's parent-tree arrays cut out before lopdf parses
//! them. lopdf parses a whole object stream before its load filter sees any object in it, and a
//! parent tree's arrays (per page, of thousands of nulls and references) take ~120 bytes an
//! entry as lopdf's objects: an InDesign policy wording's 78 pages peaked at 64 MB for 0.73 MB
//! of file. Cut in their text they cost nothing.

use lopdf::{Object, Stream};

/// Object streams that inflate past this are left to lopdf whole: a parent tree's arrays for
/// a thousand pages are a few megabytes, and a decompression bomb is inflated only once, by
/// lopdf, which refuses it.
const CUT_WITHIN: usize = 32 << 20;

/// Rewrites an object stream without its long arrays of nulls and references (each becomes
/// `null`, as `pdf::slim` makes them when they are objects of their own). Left as it was when
/// it holds none or cannot be read here (lopdf then reads it, or refuses it, as before).
pub fn cut_null_arrays(stream: &mut Stream, at_least: usize) {
    let Ok(content) = stream.get_plain_content_with_limit(CUT_WITHIN) else {
        return;
    };
    let Some(first) = stream.dict.get(b"First").and_then(Object::as_i64).ok().and_then(|f| usize::try_from(f).ok())
    else {
        return;
    };
    let Some(index) = content.get(..first).and_then(index) else {
        return;
    };
    let Some(body) = content.get(first..) else {
        return;
    };
    // Each object runs to the next one's offset; offsets out of order are left to lopdf.
    if index.windows(2).any(|w| w[0].1 > w[1].1) || index.last().is_some_and(|&(_, at)| at > body.len()) {
        return;
    }
    let ends = index.iter().skip(1).map(|&(_, at)| at).chain([body.len()]);
    let objects: Vec<(u32, &[u8])> =
        index.iter().zip(ends).map(|(&(number, at), end)| (number, &body[at..end])).collect();
    let cut: Vec<bool> = objects.iter().map(|(_, text)| null_array(text, at_least)).collect();
    if !cut.contains(&true) {
        return;
    }
    let mut header = String::new();
    let mut kept = Vec::with_capacity(body.len());
    for ((number, text), cut) in objects.into_iter().zip(cut) {
        header.push_str(&format!("{number} {} ", kept.len()));
        kept.extend_from_slice(if cut { b"null " } else { text });
    }
    stream.dict.set("First", header.len() as i64);
    let mut rewritten = header.into_bytes();
    rewritten.append(&mut kept);
    stream.set_plain_content(rewritten);
}

/// The object numbers and offsets of an object stream's index, as lopdf reads them (a comment
/// runs to the end of its line).
fn index(text: &[u8]) -> Option<Vec<(u32, usize)>> {
    let text = std::str::from_utf8(text).ok()?;
    let numbers: Vec<usize> = text
        .split(['\r', '\n'])
        .flat_map(|line| line.split('%').next().unwrap_or_default().split_whitespace())
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    let pairs = numbers.chunks_exact(2).map(|p| Some((u32::try_from(p[0]).ok()?, p[1]))).collect::<Option<Vec<_>>>()?;
    (!pairs.is_empty()).then_some(pairs)
}

/// Whether an object's text is an array of `at_least` or more entries, only nulls and
/// references, at least one null.
fn null_array(text: &[u8], at_least: usize) -> bool {
    let text = text.trim_ascii();
    let Some(inner) = text.strip_prefix(b"[").and_then(|t| t.strip_suffix(b"]")) else {
        return false;
    };
    let mut tokens = inner.split(|b| b.is_ascii_whitespace()).filter(|t| !t.is_empty());
    let (mut nulls, mut references) = (0, 0);
    while let Some(token) = tokens.next() {
        if token == b"null" {
            nulls += 1;
        } else if token.iter().all(u8::is_ascii_digit)
            && tokens.next().is_some_and(|g| g.iter().all(u8::is_ascii_digit))
            && tokens.next() == Some(b"R")
        {
            references += 1;
        } else {
            return false;
        }
    }
    nulls > 0 && nulls + references >= at_least
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::dictionary;

    fn object_stream(objects: &[(u32, String)]) -> Stream {
        let mut header = String::new();
        let mut body = String::new();
        for (number, text) in objects {
            header.push_str(&format!("{number} {} ", body.len()));
            body.push_str(text);
            body.push('\n');
        }
        let dict = dictionary! { "Type" => "ObjStm", "N" => objects.len() as i64, "First" => header.len() as i64 };
        let mut stream = Stream::new(dict, format!("{header}{body}").into_bytes());
        stream.compress().expect("compressed");
        stream
    }

    #[test]
    fn a_parent_trees_arrays_are_cut_from_an_object_stream_and_its_other_objects_read_the_same() {
        let parents = format!("[{} 12 0 R null]", "null ".repeat(40));
        let kids = format!("[{}]", (0..40).map(|i| format!("{} 0 R", i + 20)).collect::<Vec<_>>().join(" "));
        let element = "<</S/P/K[0 1]/P 3 0 R>>".to_string();
        let objects = [(7, element), (8, parents), (9, kids.clone()), (10, "[null null]".to_string())];
        let mut stream = object_stream(&objects);
        let before = lopdf::ObjectStream::new(&stream).expect("read").objects;
        cut_null_arrays(&mut stream, 32);
        let after = lopdf::ObjectStream::new(&stream).expect("read").objects;
        assert_eq!(after.get(&(8, 0)), Some(&Object::Null));
        assert!(matches!(before.get(&(8, 0)), Some(Object::Array(a)) if a.len() == 42));
        for id in [(7, 0), (9, 0), (10, 0)] {
            assert_eq!(after.get(&id), before.get(&id), "{id:?}");
        }
        assert!(stream.content.len() < kids.len() + 100, "the cut text is gone: {} bytes", stream.content.len());
    }

    #[test]
    fn an_object_stream_without_such_arrays_is_left_as_it_was() {
        let kids = format!("[{}]", (0..40).map(|i| format!("{} 0 R", i + 20)).collect::<Vec<_>>().join(" "));
        let numbers = format!("[{}]", "0 ".repeat(40));
        let mut stream = object_stream(&[(4, kids), (5, numbers)]);
        let content = stream.content.clone();
        cut_null_arrays(&mut stream, 32);
        assert_eq!(stream.content, content);
        assert!(stream.dict.has(b"Filter"));
    }
}
