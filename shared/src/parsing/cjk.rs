//! Japanese, Chinese and Korean text in composite fonts that carry no `/ToUnicode` map: their
//! codes are read through Adobe's predefined CMaps (ISO 32000-1, 9.7.5.2), as readers do. A code
//! becomes a CID through the font's encoding (`90ms-RKSJ-H`, `GBK-EUC-H`, … or `Identity-H`),
//! and a CID becomes text through its character collection's `Adobe-Japan1-UCS2` (or GB1, CNS1,
//! Korea1) table. Older Distiller output and Japanese and Chinese office suites write such
//! fonts, often not embedded (Ryumin-Light, GothicBBB-Medium, STSong): without these tables
//! the text of the whole document is lost.

use hayro_cmap::{BfString, CMap, CMapName, CidFamily, load_embedded};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// One of Adobe's CJK character collections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Collection {
    Japan1,
    Gb1,
    Cns1,
    Korea1,
}

impl Collection {
    /// From a CIDFont's `/CIDSystemInfo` `/Ordering`.
    pub fn of_ordering(ordering: &[u8]) -> Option<Collection> {
        match ordering {
            b"Japan1" => Some(Collection::Japan1),
            b"GB1" => Some(Collection::Gb1),
            b"CNS1" => Some(Collection::Cns1),
            b"Korea1" => Some(Collection::Korea1),
            _ => None,
        }
    }

    fn of_family(family: &CidFamily) -> Option<Collection> {
        match family {
            CidFamily::AdobeJapan1 => Some(Collection::Japan1),
            CidFamily::AdobeGB1 => Some(Collection::Gb1),
            CidFamily::AdobeCNS1 => Some(Collection::Cns1),
            CidFamily::AdobeKorea1 => Some(Collection::Korea1),
            _ => None,
        }
    }

    /// The collection's CID → Unicode table, parsed once a process (a warm Lambda keeps it).
    fn table(self) -> Option<&'static CMap> {
        static TABLES: [OnceLock<Option<CMap>>; 4] = [const { OnceLock::new() }; 4];
        let (slot, name) = match self {
            Collection::Japan1 => (0, CMapName::AdobeJapan1Ucs2),
            Collection::Gb1 => (1, CMapName::AdobeGb1Ucs2),
            Collection::Cns1 => (2, CMapName::AdobeCns1Ucs2),
            Collection::Korea1 => (3, CMapName::AdobeKorea1Ucs2),
        };
        TABLES[slot].get_or_init(|| CMap::parse(load_embedded(name)?, load_embedded)).as_ref()
    }

    /// Appends the text of `cid`; a CID the collection does not map (a glyph variant with no
    /// character of its own) appends nothing.
    pub fn push_text(self, cid: u32, out: &mut String) {
        match self.table().and_then(|t| t.lookup_bf_string(cid)) {
            Some(BfString::Char(c)) => out.push(c),
            Some(BfString::String(s)) => out.push_str(&s),
            None => {}
        }
    }

    /// Whether the collection's table loads (it is compiled in; this is for the decoder's
    /// choice, so that a broken table reads as unmapped instead of as nothing at all).
    pub fn available(self) -> bool {
        self.table().is_some()
    }
}

/// Predefined encodings parsed so far, by name (`None`: a bundled name that does not parse).
type Parsed = Mutex<HashMap<Vec<u8>, Option<Arc<Encoding>>>>;

/// A predefined encoding CMap: codes of one to four bytes to CIDs.
pub struct Encoding {
    cmap: CMap,
    collection: Option<Collection>,
    /// Whether any single byte is a code. An unmapped code is skipped as one byte if so, and as
    /// two otherwise (a UCS-2 encoding), so the codes after it stay aligned.
    one_byte: bool,
}

impl Encoding {
    /// The predefined CMap `name`, parsed once a process; `None` for names ISO 32000 does not
    /// predefine and for the Identity mappings, which need no table.
    pub fn predefined(name: &[u8]) -> Option<Arc<Encoding>> {
        static PARSED: OnceLock<Parsed> = OnceLock::new();
        if matches!(name, b"Identity-H" | b"Identity-V") {
            return None;
        }
        let parsed = PARSED.get_or_init(Mutex::default);
        if let Some(known) = parsed.lock().ok()?.get(name) {
            return known.clone();
        }
        // The names are the bundle's own, so the map stays as small as the bundle (about 180).
        let data = load_embedded(CMapName::from_bytes(name));
        let encoding = data.and_then(|d| CMap::parse(d, load_embedded)).map(|cmap| {
            let collection =
                cmap.metadata().character_collection.as_ref().and_then(|c| Collection::of_family(&c.family));
            let one_byte = (0..=255u32).any(|b| cmap.lookup_cid_code(b, 1).is_some());
            Arc::new(Encoding { cmap, collection, one_byte })
        });
        if data.is_some() {
            parsed.lock().ok()?.insert(name.to_vec(), encoding.clone());
        }
        encoding
    }

    pub fn collection(&self) -> Option<Collection> {
        self.collection
    }

    /// The first code of `bytes`: its length (at least 1) and its CID, if the CMap maps it.
    pub fn next_code(&self, bytes: &[u8]) -> (usize, Option<u32>) {
        let mut code = 0u32;
        for (i, b) in bytes.iter().take(4).enumerate() {
            code = code << 8 | u32::from(*b);
            if let Some(cid) = self.cmap.lookup_cid_code(code, i as u8 + 1) {
                return (i + 1, Some(cid));
            }
        }
        (if self.one_byte { 1 } else { 2 }.min(bytes.len()).max(1), None)
    }
}

/// Japanese, Chinese and Korean characters, with their punctuation and full-width forms.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF | 0x2E80..=0x2FDF | 0x3000..=0x30FF | 0x3130..=0x318F | 0x31F0..=0x31FF
        | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F
        | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF)
}

/// Ideographs and kana: the scripts written without spaces between words (not Hangul).
fn unspaced(c: char) -> bool {
    matches!(c as u32, 0x3041..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3FFFF)
}

/// Closes letter-spacing in text written without spaces: three or more ideographs or kana each
/// standing alone between single spaces are one word spaced out ("中 文 姓 名", a form's label;
/// "开 票 通 知 单", a centred title), and a search for the word must find it. A space between
/// longer runs is the writer's ("新山 祐介", a name; "坚持… 增强…", a title's two phrases).
pub fn close_letter_spacing(text: &str) -> Cow<'_, str> {
    let spaced = |line: &str| {
        let mut alone = 0;
        line.split(' ').any(|t| {
            let mut chars = t.chars();
            alone = if chars.next().is_some_and(unspaced) && chars.next().is_none() { alone + 1 } else { 0 };
            alone >= 3
        })
    };
    if text.is_ascii() || !text.lines().any(spaced) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if !spaced(line) {
            out.push_str(line);
            continue;
        }
        let tokens: Vec<&str> = line.split(' ').collect();
        let alone = |t: &str| {
            let mut chars = t.chars();
            chars.next().is_some_and(unspaced) && chars.next().is_none()
        };
        let mut k = 0;
        while k < tokens.len() {
            let run = tokens[k..].iter().take_while(|t| alone(t)).count();
            if k > 0 {
                out.push(' ');
            }
            if run >= 3 {
                tokens[k..k + run].iter().for_each(|t| out.push_str(t));
                k += run;
            } else {
                out.push_str(tokens[k]);
                k += 1;
            }
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_jis_codes_read_through_the_japanese_collection() {
        let enc = Encoding::predefined(b"90ms-RKSJ-H").expect("a predefined CMap");
        assert_eq!(enc.collection(), Some(Collection::Japan1));
        // "Aあ" in Shift-JIS: one byte, then two.
        let bytes = [0x41, 0x82, 0xA0];
        let (len, cid) = enc.next_code(&bytes);
        assert_eq!(len, 1);
        let mut text = String::new();
        Collection::Japan1.push_text(cid.unwrap(), &mut text);
        let (len, cid) = enc.next_code(&bytes[1..]);
        assert_eq!(len, 2);
        Collection::Japan1.push_text(cid.unwrap(), &mut text);
        assert_eq!(text, "Aあ");
    }

    #[test]
    fn letter_spaced_ideographs_close_and_a_writers_spaces_stay() {
        let text = "| 中 文 姓 名 Name in Chinese | 胡駿 |\n开 票 通 知 单\n## 新山 祐介\n坚持社会主义 增强文化\n한 국 어 문 장\nA B C D";
        assert_eq!(
            close_letter_spacing(text),
            "| 中文姓名 Name in Chinese | 胡駿 |\n开票通知单\n## 新山 祐介\n坚持社会主义 增强文化\n한 국 어 문 장\nA B C D"
        );
        assert!(matches!(close_letter_spacing("## 新山 祐介\n李 新"), Cow::Borrowed(_)));
    }

    #[test]
    fn gbk_and_identity_and_unknown_names() {
        let enc = Encoding::predefined(b"GBK-EUC-H").expect("a predefined CMap");
        assert_eq!(enc.collection(), Some(Collection::Gb1));
        // 中 is D6D0 in GBK.
        let (len, cid) = enc.next_code(&[0xD6, 0xD0]);
        let mut text = String::new();
        Collection::Gb1.push_text(cid.unwrap(), &mut text);
        assert_eq!((len, text.as_str()), (2, "中"));
        assert!(Encoding::predefined(b"Identity-H").is_none());
        assert!(Encoding::predefined(b"NoSuch-CMap-H").is_none());
        // A CID of Adobe-Japan1 read through its table: 843 is あ.
        let mut text = String::new();
        Collection::Japan1.push_text(843, &mut text);
        assert_eq!(text, "あ");
    }
}
