//! What a content stream may name: fonts, form XObjects, marked-content properties, graphics states.

use super::*;

/// Fonts and form XObjects a content stream may name.
#[derive(Default)]
pub(in crate::parsing) struct Resources<'a> {
    pub(super) fonts: BTreeMap<Vec<u8>, Rc<Font<'a>>>,
    pub(super) forms: BTreeMap<Vec<u8>, &'a lopdf::Stream>,
    /// `/Properties` entries that carry an MCID (`/Tag /P1 BDC`).
    pub(super) mcids: BTreeMap<Vec<u8>, i64>,
    pub(super) states: BTreeMap<Vec<u8>, SeeThrough>,
}

pub(super) fn mcids_in(res: &Dictionary, doc: &Document) -> BTreeMap<Vec<u8>, i64> {
    let Ok(props) = res.get_deref(b"Properties", doc).and_then(Object::as_dict) else { return BTreeMap::new() };
    props
        .iter()
        .filter_map(|(name, p)| {
            let mcid = doc.dereference(p).ok()?.1.as_dict().ok()?.get(b"MCID").and_then(Object::as_i64).ok()?;
            Some((name.clone(), mcid))
        })
        .collect()
}

impl<'a> Resources<'a> {
    pub(super) fn of_page(doc: &'a Document, page_id: ObjectId, cache: &FontCache<'a>) -> Self {
        let fonts = doc
            .get_page_fonts(page_id)
            .unwrap_or_default()
            .into_iter()
            .map(|(name, dict)| (name, cache.font(dict, doc)))
            .collect();
        let (inline, ids) = doc.get_page_resources(page_id).unwrap_or_default();
        let dicts = inline.into_iter().chain(ids.into_iter().filter_map(|id| doc.get_dictionary(id).ok()));
        let (mut forms, mut mcids, mut states) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
        for res in dicts {
            for (name, form) in forms_in(res, doc) {
                forms.entry(name).or_insert(form);
            }
            for (name, mcid) in mcids_in(res, doc) {
                mcids.entry(name).or_insert(mcid);
            }
            for (name, state) in states_in(res, doc) {
                states.entry(name).or_insert(state);
            }
        }
        Resources { fonts, forms, mcids, states }
    }

    pub(in crate::parsing) fn of_dict(res: &'a Dictionary, doc: &'a Document, cache: &FontCache<'a>) -> Self {
        let fonts = res
            .get_deref(b"Font", doc)
            .and_then(Object::as_dict)
            .map(|d| {
                d.iter()
                    .filter_map(|(name, f)| {
                        Some((name.clone(), cache.font(doc.dereference(f).ok()?.1.as_dict().ok()?, doc)))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Resources {
            fonts,
            forms: forms_in(res, doc).collect(),
            mcids: mcids_in(res, doc),
            states: states_in(res, doc).collect(),
        }
    }
}

pub(super) fn states_in<'a>(
    res: &'a Dictionary,
    doc: &'a Document,
) -> impl Iterator<Item = (Vec<u8>, SeeThrough)> + 'a {
    res.get_deref(b"ExtGState", doc).and_then(Object::as_dict).into_iter().flat_map(move |states| {
        states.iter().filter_map(move |(name, s)| {
            Some((name.clone(), SeeThrough::of(doc.dereference(s).ok()?.1.as_dict().ok()?, doc)))
        })
    })
}

pub(super) fn forms_in<'a>(
    res: &'a Dictionary,
    doc: &'a Document,
) -> impl Iterator<Item = (Vec<u8>, &'a lopdf::Stream)> + 'a {
    res.get_deref(b"XObject", doc).and_then(Object::as_dict).into_iter().flat_map(move |x| {
        x.iter().filter_map(move |(name, obj)| {
            let stream = doc.dereference(obj).ok()?.1.as_stream().ok()?;
            stream
                .dict
                .get(b"Subtype")
                .and_then(Object::as_name)
                .is_ok_and(|s| s == b"Form")
                .then(|| (name.clone(), stream))
        })
    })
}
