//! Object streams slimmed in their text before lopdf parses them. lopdf parses a whole object
//! stream before its load filter sees any object in it, so what `pdf::slim` drops from each
//! object is first built in full: a structure tree's parent-tree arrays (per page, thousands of
//! nulls and references at ~120 bytes an entry as lopdf's objects) took an InDesign policy
//! wording's 78 pages to 64 MB for 0.73 MB of file, and a page of 32,768 links with their
//! structure elements took a 1.5 MB file to 240 MB. Cut in their text they cost nothing.

mod syntax;

use std::borrow::Cow;
use std::collections::HashSet;

use lopdf::{Object, Stream};

/// Object streams that inflate past this are left to lopdf whole: a parent tree's arrays for
/// a thousand pages are a few megabytes, and a decompression bomb is inflated only once, by
/// lopdf, which refuses it.
const CUT_WITHIN: usize = 32 << 20;

/// Rewrites an object stream with its objects slimmed as `pdf::slim` slims them once parsed:
/// long arrays of nulls and references become `null`, links without an appearance are left
/// out, structure elements keep only what the tagged path reads. Left as it was
/// when nothing is to be cut or it cannot be read here (lopdf then reads it, or refuses it, as
/// before).
pub fn slim_objects(stream: &mut Stream, at_least: usize) {
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
    let mut slimmed: Vec<Option<Vec<u8>>> = objects.iter().map(|(_, text)| slimmed(text, at_least)).collect();
    let left_out: HashSet<u32> = objects
        .iter()
        .zip(&slimmed)
        .filter(|(_, slim)| slim.as_ref().is_some_and(Vec::is_empty))
        .map(|((number, _), _)| *number)
        .collect();
    if !left_out.is_empty() {
        for ((_, text), slim) in objects.iter().zip(slimmed.iter_mut()) {
            if slim.as_ref().is_some_and(Vec::is_empty) {
                continue;
            }
            if let Some(pruned) = without_references(slim.as_deref().unwrap_or(text), &left_out) {
                *slim = Some(pruned);
            }
        }
    }
    if slimmed.iter().all(Option::is_none) {
        return;
    }
    let mut header = String::new();
    let mut kept = Vec::with_capacity(body.len());
    let mut count = 0;
    for ((number, text), slimmed) in objects.into_iter().zip(slimmed) {
        match slimmed {
            // Left out: lopdf then never builds it, and a reference to it reads as missing.
            Some(slim) if slim.is_empty() => continue,
            Some(slim) => {
                header.push_str(&format!("{number} {} ", kept.len()));
                kept.extend(slim);
                kept.push(b' ');
            }
            None => {
                header.push_str(&format!("{number} {} ", kept.len()));
                kept.extend_from_slice(text);
            }
        }
        count += 1;
    }
    stream.dict.set("N", count);
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

/// An object's text slimmed (empty: the object is left out), or `None` when it is kept as it
/// is.
fn slimmed(text: &[u8], at_least: usize) -> Option<Vec<u8>> {
    if null_array(text, at_least) {
        return Some(b"null".to_vec());
    }
    if !text.trim_ascii_start().starts_with(b"<<") {
        return None;
    }
    let entries = syntax::entries(text)?;
    let value = |key: &[u8]| entries.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
    // A link is never read unless it shows an appearance (`pdf::slim` makes it `null`): a
    // page of a generated report may carry tens of thousands.
    if value(b"Subtype") == Some(b"/Link") && value(b"AP").is_none() {
        return Some(Vec::new());
    }
    // A number tree (a structure tree's parent tree, page labels) is never read, and a page of
    // links maps each of them back to its element.
    if value(b"Nums").and_then(syntax::items).is_some_and(|nums| nums.len() >= at_least) {
        return Some(dictionary(&entries, |key, value| Some(if key == b"Nums" { b"[]".into() } else { value.into() })));
    }
    // A page's viewports (a drawing's scales, ~1,300 dictionaries a page in an engineering
    // set) are never read.
    if value(b"Type") == Some(b"/Page") && value(b"VP").is_some() {
        return Some(dictionary(&entries, |key, value| (key != b"VP").then_some(value.into())));
    }
    // A structure element keeps its role, kids, page and parent (by which `pdf::slim` knows
    // it, and drops it), and a table cell its attributes (whose spans `pdf::slim` keeps).
    let role = value(b"S")?;
    if value(b"P").is_none() || value(b"Type").is_some_and(|t| t != b"/StructElem") {
        return None;
    }
    // A link or annotation element whose kids are only object references has no text to
    // give, and a page of links holds one per link: left out, it reads as a missing kid.
    if matches!(role, b"/Link" | b"/Annot") && value(b"K").is_none_or(only_objects) {
        return Some(Vec::new());
    }
    let cell = role == b"/TD" || role == b"/TH";
    Some(dictionary(&entries, |key, value| match key {
        b"K" => {
            let mut kids = Vec::new();
            kids_without_objects(value, &mut kids);
            Some(kids.into())
        }
        b"S" | b"Pg" | b"P" => Some(value.into()),
        b"A" if cell => Some(value.into()),
        _ => None,
    }))
}

/// A dictionary's text from its entries, each value as `value` gives it (`None`: left out).
fn dictionary<'t>(
    entries: &[(&'t [u8], &'t [u8])],
    mut value: impl FnMut(&[u8], &'t [u8]) -> Option<Cow<'t, [u8]>>,
) -> Vec<u8> {
    let mut out = b"<<".to_vec();
    for &(key, text) in entries {
        if let Some(written) = value(key, text) {
            out.push(b'/');
            out.extend_from_slice(key);
            out.push(b' ');
            out.extend_from_slice(&written);
            out.push(b' ');
        }
    }
    out.extend_from_slice(b">>");
    out
}

/// A dictionary's kids (`K`) and annotations (`Annots`) without the references to objects left
/// out, or `None` when it holds none: a page of links lists each link twice, and lopdf would
/// build each reference only for it to be missed.
fn without_references(text: &[u8], left_out: &HashSet<u32>) -> Option<Vec<u8>> {
    if !text.trim_ascii_start().starts_with(b"<<") {
        return None;
    }
    let entries = syntax::entries(text)?;
    let gone = |item: &[u8]| {
        let mut tokens = item.split(u8::is_ascii_whitespace).filter(|t| !t.is_empty());
        let number = tokens.next().and_then(|n| std::str::from_utf8(n).ok()?.parse::<u32>().ok());
        tokens.next_back() == Some(b"R") && number.is_some_and(|n| left_out.contains(&n))
    };
    let mut changed = false;
    let slim = dictionary(&entries, |key, value| {
        let items = matches!(key, b"K" | b"Annots").then(|| syntax::items(value)).flatten();
        Some(match items.filter(|items| items.iter().any(|item| gone(item))) {
            Some(items) => {
                changed = true;
                let kept: Vec<&[u8]> = items.into_iter().filter(|item| !gone(item)).collect();
                [b"[".as_slice(), &kept.join(b" ".as_slice()), b"]"].concat().into()
            }
            None => value.into(),
        })
    });
    changed.then_some(slim)
}

/// An element's kids with each object reference (`/OBJR`: an annotation or a form field, which
/// carries no text) written as `null`: a page of links holds one per link.
fn kids_without_objects(kids: &[u8], out: &mut Vec<u8>) {
    let objr = |kid: &[u8]| syntax::entries(kid).is_some_and(|e| e.iter().any(|&(k, v)| k == b"Type" && v == b"/OBJR"));
    let Some(items) = syntax::items(kids).filter(|items| items.iter().any(|kid| kid.starts_with(b"<<"))) else {
        out.extend_from_slice(if kids.starts_with(b"<<") && objr(kids) { b"null" } else { kids });
        return;
    };
    out.push(b'[');
    for kid in items {
        out.extend_from_slice(if kid.starts_with(b"<<") && objr(kid) { b"null" } else { kid });
        out.push(b' ');
    }
    out.push(b']');
}

/// Whether an element's kids are all object references (or nulls).
fn only_objects(kids: &[u8]) -> bool {
    let mut slim = Vec::new();
    kids_without_objects(kids, &mut slim);
    syntax::items(&slim).unwrap_or_else(|| vec![slim.as_slice()]).iter().all(|kid| *kid == b"null")
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
        slim_objects(&mut stream, 32);
        let after = lopdf::ObjectStream::new(&stream).expect("read").objects;
        assert_eq!(after.get(&(8, 0)), Some(&Object::Null));
        assert!(matches!(before.get(&(8, 0)), Some(Object::Array(a)) if a.len() == 42));
        for id in [(7, 0), (9, 0), (10, 0)] {
            assert_eq!(after.get(&id), before.get(&id), "{id:?}");
        }
        assert!(stream.content.len() < kids.len() + 100, "the cut text is gone: {} bytes", stream.content.len());
    }

    #[test]
    fn links_and_structure_elements_are_slimmed_in_the_text_and_what_holds_them_is_not() {
        let link = "<</Type/Annot/Subtype/Link/StructParent 4/Rect[74 746 76 750]/A<</S/URI/URI(https://example.com/)>>/BS<</W 0>>>>";
        let shown = "<</Subtype/Link/Rect[0 0 1 1]/AP<</N 30 0 R>>>>";
        let element =
            "<</Type/StructElem/S/Link/P 3 0 R/Pg 5 0 R/K[0<</Type/OBJR/Obj 8 0 R>>]/ActualText(x)/Lang(en)>>";
        let cell = "<</S/TD/P 3 0 R/K 2/A<</O/Table/RowSpan 2/Width 40>>/T(t)>>";
        let page = "<</Type/Page/Parent 2 0 R/Annots[<</Subtype/Link/Rect[0 0 1 1]>>]/Contents 12 0 R>>";
        let action = "<</S/URI/URI(https://example.com/)>>";
        let objects = [link, shown, element, cell, page, action].map(String::from);
        let mut stream =
            object_stream(&objects.iter().cloned().enumerate().map(|(i, o)| (i as u32 + 20, o)).collect::<Vec<_>>());
        let before = lopdf::ObjectStream::new(&stream).expect("read").objects;
        slim_objects(&mut stream, 32);
        let after = lopdf::ObjectStream::new(&stream).expect("read").objects;
        let keys = |id: u32| -> Vec<Vec<u8>> {
            after[&(id, 0)].as_dict().expect("a dictionary").iter().map(|(k, _)| k.clone()).collect()
        };
        assert_eq!(after.get(&(20, 0)), None);
        assert_eq!(keys(22), ["S", "P", "Pg", "K"].map(|k| k.as_bytes().to_vec()));
        assert_eq!(keys(23), ["S", "P", "K", "A"].map(|k| k.as_bytes().to_vec()));
        // The link's object reference among the element's kids carries no text, and is gone.
        let kids = after[&(22, 0)].as_dict().and_then(|d| d.get(b"K")).and_then(Object::as_array).expect("kids");
        assert_eq!(kids, &vec![Object::Integer(0), Object::Null]);
        for id in [23] {
            let (was, is) = (before[&(id, 0)].as_dict().expect("read"), after[&(id, 0)].as_dict().expect("read"));
            for key in keys(id) {
                assert_eq!(is.get(&key).ok(), was.get(&key).ok(), "{id} {key:?}");
            }
        }
        for id in [21, 24, 25] {
            assert_eq!(after.get(&(id, 0)), before.get(&(id, 0)), "{id}");
        }
    }

    #[test]
    fn a_links_element_without_text_is_left_out_with_the_references_to_it_and_unread_arrays_are_cut() {
        let root = "<</Type/StructTreeRoot/ParentTree 24 0 R/K[21 0 R 22 0 R 23 0 R]>>";
        let empty = "<</Type/StructElem/S/Link/P 20 0 R/Pg 25 0 R/K<</Type/OBJR/Obj 26 0 R>>>>";
        let worded = "<</Type/StructElem/S/Link/P 20 0 R/Pg 25 0 R/K[3<</Type/OBJR/Obj 27 0 R>>]>>";
        let figure = "<</Type/StructElem/S/Figure/P 20 0 R/Pg 25 0 R/K<</Type/OBJR/Obj 28 0 R>>>>";
        let nums = (0..40).map(|i| format!("{i} {} 0 R", i + 21)).collect::<Vec<_>>().join(" ");
        let parents = format!("<</Nums[{nums}]>>");
        let page = "<</Type/Page/VP[<</Type/Viewport/BBox[0 0 9 9]>>]/Annots[27 0 R 28 0 R]/StructParents 0>>";
        let labels = "<</Nums[0<</S/D>>]>>";
        let link = "<</Type/Annot/Subtype/Link/Rect[0 0 1 1]>>";
        let objects = [root, empty, worded, figure, &parents, page, labels, link].map(String::from);
        let mut stream =
            object_stream(&objects.iter().cloned().enumerate().map(|(i, o)| (i as u32 + 20, o)).collect::<Vec<_>>());
        let before = lopdf::ObjectStream::new(&stream).expect("read").objects;
        slim_objects(&mut stream, 32);
        let after = lopdf::ObjectStream::new(&stream).expect("read").objects;
        let array = |id: u32, key: &[u8]| {
            after[&(id, 0)].as_dict().and_then(|d| d.get(key)).and_then(Object::as_array).ok().cloned()
        };
        assert_eq!(after.get(&(21, 0)), None);
        assert_eq!(array(20, b"K"), Some(vec![Object::Reference((22, 0)), Object::Reference((23, 0))]));
        assert_eq!(array(25, b"Annots"), Some(vec![Object::Reference((28, 0))]));
        assert_eq!(array(25, b"VP"), None, "a page's viewports are never read");
        assert_eq!(array(25, b"Annots").and(after[&(25, 0)].as_dict().ok()).map(|d| d.len()), Some(3));
        assert_eq!(array(24, b"Nums"), Some(Vec::new()));
        assert_eq!(array(22, b"K"), Some(vec![Object::Integer(3), Object::Null]));
        assert_eq!(after.get(&(23, 0)).and_then(|o| o.as_dict().ok()).map(|d| d.has(b"K")), Some(true));
        assert_eq!(after.get(&(26, 0)), before.get(&(26, 0)), "a short number tree is kept");
    }

    #[test]
    fn an_object_stream_without_such_arrays_is_left_as_it_was() {
        let kids = format!("[{}]", (0..40).map(|i| format!("{} 0 R", i + 20)).collect::<Vec<_>>().join(" "));
        let numbers = format!("[{}]", "0 ".repeat(40));
        let mut stream = object_stream(&[(4, kids), (5, numbers)]);
        let content = stream.content.clone();
        slim_objects(&mut stream, 32);
        assert_eq!(stream.content, content);
        assert!(stream.dict.has(b"Filter"));
    }
}
