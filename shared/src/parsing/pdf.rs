//! PDF → markdown, locally. `lopdf` reads the file (fast, pure Rust, quick to compile); our own
//! layout pass over its content streams (`layout`, `blocks`) recovers what retrieval needs:
//! headings from weight, size and section numbers, tables from aligned cells, two-column reading
//! order, and a page marker before every page. `lopdf::extract_text` alone flattens tables into
//! lines and loses headings; `pdf_oxide`'s markdown mode kept tables but found few headings and
//! takes minutes to compile, which every Lambda build and CI run would pay.

use super::Limits;
use super::blocks::{PageText, pages_to_markdown, resolve_line_hyphens};
use super::{Parsed, layout, normalize, objstm, page_marker, tagged};
use crate::error::{ErrorClass, StageError, StageResult};
use lopdf::{Document, Object, ObjectId};

/// A PDF that passed validation: readable, not locked, within the page limit.
pub struct Pdf {
    doc: Document,
    pages: Vec<ObjectId>,
    use_tags: bool,
}

impl Pdf {
    pub fn page_count(&self) -> u32 {
        self.pages.len() as u32
    }
}

/// A complete PDF ends with `%%EOF` (readers allow it anywhere in the last KiB, and some
/// writers add a little after it); a file cut short in transfer or storage does not.
fn ends_whole(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(2048)..];
    tail.windows(5).any(|w| w == b"%%EOF")
}

/// The page count the document's page tree declares.
fn declared_pages(doc: &Document) -> Option<i64> {
    let catalog = doc.catalog().ok()?;
    let pages = catalog.get_deref(b"Pages", doc).ok()?.as_dict().ok()?;
    pages.get(b"Count").ok()?.as_i64().ok()
}

/// Keeps of a structure element only what the tagged path reads (its role, kids and page, and a
/// cell's spans): a tagged spreadsheet export holds ~10,000 of them, and lopdf's dictionaries
/// cost ~2 KB each with their parent, type and attribute keys, the bulk of such a file's parse
/// memory. lopdf keeps an object read from the file as the filter leaves it, and one read from
/// an object stream as the filter returns it, so each change is made in place and returned
/// (streams are never in object streams, and are not cloned).
fn slim(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    if let Object::Stream(stream) = object
        && stream.dict.has_type(b"ObjStm")
    {
        objstm::slim_objects(stream, PACK_FROM);
    }
    if let Object::Dictionary(dict) = object
        && dict.has(b"S")
        && dict.has(b"P")
        && dict.get(b"Type").and_then(Object::as_name).map_or(true, |t| t == b"StructElem")
    {
        // As in `objstm`: a link's element that holds only object references gives no text.
        let role = dict.get(b"S").and_then(Object::as_name).unwrap_or_default();
        if matches!(role, b"Link" | b"Annot") && dict.get(b"K").map_or(true, only_objects) {
            *object = Object::Null;
            return Some((id, Object::Null));
        }
        let mut kept = only(dict, &[b"S", b"K", b"Pg"]);
        // A table cell's spans are read too (see `spans`).
        let cell = kept.get(b"S").and_then(Object::as_name).is_ok_and(|s| s == b"TD" || s == b"TH");
        if let Some(spans) = dict.remove(b"A").filter(|_| cell).and_then(span_attributes) {
            kept.set("A", spans);
        }
        *dict = kept;
    }
    // A link is never read unless it draws something, and a page of a generated report may
    // carry tens of thousands.
    if let Object::Dictionary(dict) = object
        && dict.get(b"Subtype").and_then(Object::as_name).is_ok_and(|s| s == b"Link")
        && !dict.has(b"AP")
    {
        *object = Object::Null;
    }
    // A number tree is never read (see `objstm`).
    if let Object::Dictionary(dict) = object
        && dict.get(b"Nums").and_then(Object::as_array).is_ok_and(|nums| nums.len() >= PACK_FROM)
    {
        dict.set("Nums", Object::Array(Vec::new()));
    }
    // Nor are a page's viewports (see `objstm`).
    if let Object::Dictionary(dict) = object
        && dict.has_type(b"Page")
    {
        dict.remove(b"VP");
    }
    // A font's widths are an array of its own, of hundreds of numbers at ~128 bytes each as
    // lopdf holds them: a 232-page health plan's 360 fonts held 10 MB of them. Packed here
    // and read back by `numbers`.
    if let Object::Array(items) = object
        && items.len() >= PACK_FROM
        && items.iter().all(|o| matches!(o, Object::Integer(_) | Object::Real(_)))
    {
        let mut bytes = PACKED.to_vec();
        for o in items.iter() {
            bytes.extend(o.as_float().unwrap_or(0.0).to_le_bytes());
        }
        *object = Object::String(bytes, lopdf::StringFormat::Hexadecimal);
    }
    // A structure tree's parent tree maps each page's marks back to their elements, as an
    // array per page mostly of nulls: never read (the tree is walked from its root), and an
    // InDesign policy wording's 78 pages held 50 MB of them.
    if let Object::Array(items) = object
        && items.len() >= PACK_FROM
        && items.iter().all(|o| matches!(o, Object::Null | Object::Reference(_)))
        && items.iter().any(|o| matches!(o, Object::Null))
    {
        *object = Object::Null;
    }
    let kept = if matches!(object, Object::Stream(_)) { Object::Null } else { object.clone() };
    Some((id, kept))
}

/// Whether an element's kids are only object references (`/OBJR`) and nulls.
fn only_objects(kids: &Object) -> bool {
    let objr = |kid: &Object| match kid {
        Object::Dictionary(d) => d.get(b"Type").and_then(Object::as_name).is_ok_and(|t| t == b"OBJR"),
        other => matches!(other, Object::Null),
    };
    match kids {
        Object::Array(items) => items.iter().all(objr),
        one => objr(one),
    }
}

/// The entries of `keys` taken out of `dict`, in a dictionary of their own.
fn only(dict: &mut lopdf::Dictionary, keys: &[&[u8]]) -> lopdf::Dictionary {
    let mut kept = lopdf::Dictionary::new();
    for key in keys {
        if let Some(value) = dict.remove(key) {
            kept.set(*key, value);
        }
    }
    kept
}

/// Of a cell's attributes, only its `RowSpan` and `ColSpan`; an attribute object of its own is
/// kept by reference.
fn span_attributes(attributes: Object) -> Option<Object> {
    match attributes {
        Object::Dictionary(mut dict) => {
            let kept = only(&mut dict, &[b"RowSpan", b"ColSpan"]);
            (!kept.is_empty()).then_some(Object::Dictionary(kept))
        }
        Object::Reference(id) => Some(Object::Reference(id)),
        Object::Array(items) => {
            let kept: Vec<Object> = items.into_iter().filter_map(span_attributes).collect();
            (!kept.is_empty()).then_some(Object::Array(kept))
        }
        _ => None,
    }
}

/// Numeric arrays of their own of this many numbers or more are packed as four-byte floats
/// behind the `PACKED` mark, which no string a file writes begins with.
const PACK_FROM: usize = 32;
const PACKED: &[u8] = b"\0doc-ingest:f32\0";

/// An array, read back as numbers where `slim` packed it.
pub(in crate::parsing) fn numbers(object: &Object) -> Option<std::borrow::Cow<'_, [Object]>> {
    match object {
        Object::Array(items) => Some(std::borrow::Cow::Borrowed(items)),
        Object::String(bytes, _) => {
            let packed = bytes.strip_prefix(PACKED)?;
            let floats = packed.chunks_exact(4).map(|b| Object::Real(f32::from_le_bytes([b[0], b[1], b[2], b[3]])));
            Some(std::borrow::Cow::Owned(floats.collect()))
        }
        _ => None,
    }
}

/// The document with its structure elements slimmed. lopdf rebuilds an unreadable page tree
/// only for an unfiltered load, so a file whose pages cannot all be read that way is loaded
/// again unfiltered.
fn load(bytes: &[u8]) -> lopdf::Result<Document> {
    let mut doc = Document::load_mem_with_options(bytes, lopdf::LoadOptions::with_filter(slim))?;
    // Their objects are read out by now; `slim` may have left one uncompressed.
    doc.objects.retain(|_, o| !o.as_stream().is_ok_and(|s| s.dict.has_type(b"ObjStm")));
    let pages = doc.get_pages().len() as i64;
    if pages > 0 && declared_pages(&doc).is_none_or(|declared| declared <= pages) {
        return Ok(doc);
    }
    drop(doc);
    Document::load_mem(bytes)
}

/// Validation before any work; every refusal is permanent and names its reason.
pub fn open(bytes: &[u8], limits: &Limits) -> StageResult<Pdf> {
    if !ends_whole(bytes) {
        return Err(StageError::new(
            ErrorClass::CorruptPdf,
            format!(
                "the PDF is truncated or damaged: its {} bytes end without the trailer (%%EOF); upload the whole file",
                bytes.len()
            ),
        ));
    }
    let doc = load(bytes).map_err(|e| {
        let text = e.to_string();
        if text.to_ascii_lowercase().contains("decrypt") || text.to_ascii_lowercase().contains("password") {
            StageError::new(ErrorClass::Encrypted, "the PDF is encrypted and needs a password")
        } else {
            StageError::new(ErrorClass::CorruptPdf, format!("the PDF cannot be read: {text}"))
        }
    })?;
    // lopdf opens files whose user password is empty (and drops `/Encrypt` then); anything
    // else needs a password we lack. `is_encrypted` sees only an encryption dictionary written
    // as an object of its own, not one written into the trailer.
    if doc.trailer.has(b"Encrypt") && doc.encryption_state.is_none() {
        return Err(StageError::new(ErrorClass::Encrypted, "the PDF is encrypted and needs a password"));
    }
    let pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
    if pages.is_empty() {
        return Err(StageError::new(ErrorClass::CorruptPdf, "the PDF has no pages"));
    }
    // A file whose cross-reference table was rebuilt from what survived can lose pages quietly.
    if let Some(declared) = declared_pages(&doc)
        && declared > pages.len() as i64
    {
        return Err(StageError::new(
            ErrorClass::CorruptPdf,
            format!("the PDF is damaged: its page tree declares {declared} pages and {} can be read", pages.len()),
        ));
    }
    if pages.len() as u32 > limits.max_pages {
        return Err(StageError::new(
            ErrorClass::TooManyPages,
            format!("the PDF has {} pages; the limit is {}", pages.len(), limits.max_pages),
        ));
    }
    Ok(Pdf { doc, pages, use_tags: limits.use_tags })
}

/// Page numbers, as a short list for a message.
fn page_list(pages: &[usize]) -> String {
    let shown: Vec<String> = pages.iter().take(10).map(|p| p.to_string()).collect();
    let more = if pages.len() > 10 { format!(" and {} more", pages.len() - 10) } else { String::new() };
    format!("{}{more}", shown.join(", "))
}

/// CPU-bound: run it on a blocking thread.
pub fn to_markdown(pdf: &Pdf) -> StageResult<Parsed> {
    let mut pages = Vec::with_capacity(pdf.pages.len());
    let (mut damaged, mut bombs) = (Vec::new(), Vec::new());
    let fonts = layout::FontCache::default();
    for (i, &id) in pdf.pages.iter().enumerate() {
        match layout::page_drawn(&pdf.doc, id, &fonts) {
            Ok(d) => pages.push(PageText { runs: d.runs, rules: d.rules, panels: d.panels, width: d.width }),
            Err(layout::PageDamage::TooLarge) => bombs.push(i + 1),
            Err(_) => damaged.push(i + 1),
        }
    }
    if !bombs.is_empty() {
        return Err(StageError::new(
            ErrorClass::TooLarge,
            format!("page(s) {} inflate past the content limit (a decompression bomb?)", page_list(&bombs)),
        ));
    }
    // Partial text would answer questions with whatever survived and nothing to say so: refuse.
    if !damaged.is_empty() {
        return Err(StageError::new(
            ErrorClass::CorruptPdf,
            format!(
                "the PDF is damaged: the content of page(s) {} of {} is missing or cannot be decoded",
                page_list(&damaged),
                pdf.page_count()
            ),
        ));
    }
    let text_chars: usize =
        pages.iter().flat_map(|p| &p.runs).map(|r| r.text.chars().filter(|c| !c.is_whitespace()).count()).sum();
    if text_chars == 0 {
        let why = match fonts.any_unmapped() {
            true => "its text is set in Japanese, Chinese or Korean fonts that carry no map to Unicode",
            false => "scanned or image-only",
        };
        return Err(StageError::new(
            ErrorClass::NoTextLayer,
            format!("none of the {} pages has extractable text ({why})", pdf.page_count()),
        ));
    }
    let tagged = if pdf.use_tags { tagged::pages_markdown(&pdf.doc, &pdf.pages, &pages) } else { None };
    let parser = match &tagged {
        None => "local",
        Some(t) if t.pages.iter().all(Option::is_some) => "local-tagged",
        // Pages the tree does not cover keep the layout heuristics.
        Some(_) => "local-partly-tagged",
    };
    let per_page: Vec<String> = match tagged {
        None => pages_to_markdown(pages),
        Some(t) if parser == "local-tagged" && t.names_headings() => {
            t.pages.into_iter().map(Option::unwrap_or_default).collect()
        }
        // Pages the tree does not cover, and the headings of a tree that names none, are the
        // layout's.
        Some(mut t) => {
            t.annotate(&mut pages);
            let layout = pages_to_markdown(pages);
            if !t.names_headings() {
                t.headings_from(&layout);
            }
            t.pages.into_iter().zip(layout).map(|(md, fallback)| md.unwrap_or(fallback)).collect()
        }
    };
    let mut per_page = per_page;
    super::continued::carry_heads(&mut per_page);
    let mut markdown = String::new();
    for (i, page) in per_page.into_iter().enumerate() {
        markdown.push_str(&page_marker(i as u32 + 1));
        markdown.push_str("\n\n");
        markdown.push_str(&page);
    }
    let markdown = resolve_line_hyphens(markdown);
    let markdown = normalize(&super::cjk::close_letter_spacing(&markdown));
    Ok(Parsed { markdown, page_count: pdf.page_count(), parser })
}

pub fn pdf_to_markdown(bytes: &[u8], limits: &Limits) -> StageResult<Parsed> {
    to_markdown(&open(bytes, limits)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::dictionary;

    #[test]
    fn a_parent_trees_arrays_of_nulls_are_dropped_and_an_elements_kids_kept() {
        let mut parents: Vec<Object> = vec![Object::Null; 40];
        parents[3] = Object::Reference((5, 0));
        // Dropped both where lopdf keeps what the filter leaves and where it keeps what it returns.
        let mut parents = Object::Array(parents);
        let (_, returned) = slim((1, 0), &mut parents).expect("kept");
        assert_eq!((returned, parents), (Object::Null, Object::Null));
        let kids: Vec<Object> = (0..40).map(|i| Object::Reference((i + 10, 0))).collect();
        let mut left = Object::Array(kids.clone());
        let (_, returned) = slim((2, 0), &mut left).expect("kept");
        assert_eq!((returned, left), (Object::Array(kids.clone()), Object::Array(kids)));
    }

    #[test]
    fn a_structure_element_keeps_role_kids_and_page_wherever_lopdf_reads_it_from() {
        let mut elem = Object::Dictionary(dictionary! {
            "Type" => "StructElem", "S" => "TD", "P" => (7, 0), "Pg" => (3, 0), "K" => 4, "A" => dictionary! { "O" => "Table" },
        });
        let (_, returned) = slim((9, 0), &mut elem).expect("kept");
        for object in [&elem, &returned] {
            let d = object.as_dict().expect("a dictionary");
            let keys: Vec<&[u8]> = d.iter().map(|(k, _)| k.as_slice()).collect();
            assert_eq!(keys, [&b"S"[..], b"K", b"Pg"]);
            assert_eq!(d.get(b"K").and_then(Object::as_i64).ok(), Some(4));
        }
        let mut font =
            Object::Dictionary(dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" });
        let (_, returned) = slim((10, 0), &mut font).expect("kept");
        assert_eq!(returned.as_dict().map(|d| d.len()).ok(), Some(3));
        assert_eq!(font.as_dict().map(|d| d.len()).ok(), Some(3));
        // A link is dropped; a link that draws something is kept whole.
        let link = || dictionary! { "Type" => "Annot", "Subtype" => "Link", "Rect" => vec![0.into(); 4], "A" => dictionary! {} };
        let mut left = Object::Dictionary(link());
        let (_, returned) = slim((11, 0), &mut left).expect("kept");
        assert_eq!((returned, left), (Object::Null, Object::Null));
        let mut drawn = link();
        drawn.set("AP", dictionary! {});
        let (_, returned) = slim((12, 0), &mut Object::Dictionary(drawn)).expect("kept");
        assert_eq!(returned.as_dict().map(|d| d.len()).ok(), Some(5));
    }

    #[test]
    fn a_links_element_without_text_a_number_trees_entries_and_a_pages_viewports_are_dropped() {
        let objr = || dictionary! { "Type" => "OBJR", "Obj" => (8, 0) };
        let element = |kids: Object| Object::Dictionary(dictionary! { "S" => "Link", "P" => (3, 0), "K" => kids });
        let mut empty = element(Object::Array(vec![objr().into(), Object::Null]));
        let (_, returned) = slim((9, 0), &mut empty).expect("kept");
        assert_eq!((returned, empty), (Object::Null, Object::Null));
        // Its text is kept where it has any, and a paragraph's object references are too.
        for mut kept in [element(Object::Array(vec![Object::Integer(0), objr().into()])), element(Object::Integer(2))] {
            let (_, returned) = slim((10, 0), &mut kept).expect("kept");
            assert!(returned.as_dict().is_ok_and(|d| d.has(b"K")), "{returned:?}");
        }
        let mut paragraph = Object::Dictionary(dictionary! { "S" => "P", "P" => (3, 0), "K" => objr() });
        let (_, returned) = slim((11, 0), &mut paragraph).expect("kept");
        assert!(returned.as_dict().is_ok_and(|d| d.has(b"K")), "{returned:?}");
        let nums = |n: i64| (0..n).flat_map(|i| [Object::Integer(i), Object::Reference((i as u32 + 20, 0))]).collect();
        let mut tree = Object::Dictionary(dictionary! { "Nums" => Object::Array(nums(40)) });
        let (_, returned) = slim((12, 0), &mut tree).expect("kept");
        for object in [&tree, &returned] {
            assert_eq!(
                object.as_dict().and_then(|d| d.get(b"Nums")).and_then(Object::as_array).map(Vec::len).ok(),
                Some(0)
            );
        }
        let mut page =
            Object::Dictionary(dictionary! { "Type" => "Page", "VP" => vec![dictionary! {}.into()], "Rotate" => 90 });
        let (_, returned) = slim((14, 0), &mut page).expect("kept");
        for object in [&page, &returned] {
            assert_eq!(
                object.as_dict().map(|d| d.iter().map(|(k, _)| k.clone()).collect()).ok(),
                Some(vec![b"Type".to_vec(), b"Rotate".to_vec()])
            );
        }
        let mut labels = Object::Dictionary(dictionary! { "Nums" => Object::Array(nums(2)) });
        let (_, returned) = slim((13, 0), &mut labels).expect("kept");
        assert_eq!(
            returned.as_dict().and_then(|d| d.get(b"Nums")).and_then(Object::as_array).map(Vec::len).ok(),
            Some(4)
        );
    }

    #[test]
    fn a_long_array_of_numbers_is_packed_and_reads_back_the_same() {
        let widths: Vec<Object> = (0..224)
            .map(|i| if i % 2 == 0 { Object::Integer(500 + i) } else { Object::Real(i as f32 + 0.5) })
            .collect();
        let mut left = Object::Array(widths.clone());
        let (_, packed) = slim((5, 0), &mut left).expect("kept");
        assert!(matches!(packed, Object::String(..)));
        assert_eq!(left, packed);
        let read: Vec<f32> = numbers(&packed).expect("numbers").iter().map(|o| o.as_float().unwrap_or(-1.0)).collect();
        let want: Vec<f32> = widths.iter().map(|o| o.as_float().unwrap_or(-2.0)).collect();
        assert_eq!(read, want);
        // Short arrays, arrays of anything but numbers, and strings a file writes stay as they are.
        let short = Object::Array(vec![Object::Integer(1); 4]);
        let mut named = widths.clone();
        named.push(Object::Name(b"X".to_vec()));
        for object in [short, Object::Array(named)] {
            let (_, kept) = slim((6, 0), &mut object.clone()).expect("kept");
            assert_eq!(kept, object);
            assert_eq!(numbers(&kept).map(|a| a.len()), object.as_array().ok().map(Vec::len));
        }
        assert!(numbers(&Object::string_literal("\0doc-ingest")).is_none());
    }
}
