use super::{EmbedOutput, Embedder};
use crate::error::StageResult;
use futures::future::BoxFuture;

/// The offline default: a deterministic **lexical** embedder (signed feature hashing of words and
/// word pairs into 1536 dimensions, L2-normalised). Texts that share words land close together;
/// it knows nothing of meaning or synonyms. It exists so the pipeline runs without keys or
/// network; configure a real embedding API for semantic search.
#[derive(Default)]
pub struct LexicalEmbedder;

pub const LEXICAL_MODEL: &str = "doc-ingest-lexical-v1";
pub const LEXICAL_DIMENSIONS: usize = 1536;

impl LexicalEmbedder {
    pub fn embed_one(text: &str) -> Vec<f32> {
        let mut v = vec![0f32; LEXICAL_DIMENSIONS];
        let words: Vec<String> =
            text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
        let mut add = |feature: &[u8], weight: f32| {
            let h = fnv1a(feature);
            let idx = (h % LEXICAL_DIMENSIONS as u64) as usize;
            let sign = if h >> 63 == 0 { 1.0 } else { -1.0 };
            v[idx] += sign * weight;
        };
        for w in &words {
            add(w.as_bytes(), 1.0);
        }
        for pair in words.windows(2) {
            add(format!("{} {}", pair[0], pair[1]).as_bytes(), 0.5);
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|x| *x /= norm);
        } else {
            // No words at all: still a valid unit vector.
            v[0] = 1.0;
        }
        v
    }
}

/// FNV-1a: stable across Rust versions and platforms, unlike std's hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

impl Embedder for LexicalEmbedder {
    fn dimensions(&self) -> usize {
        LEXICAL_DIMENSIONS
    }

    fn model(&self) -> &str {
        LEXICAL_MODEL
    }

    fn embed<'a>(&'a self, inputs: &'a [String]) -> BoxFuture<'a, StageResult<EmbedOutput>> {
        Box::pin(async move {
            Ok(EmbedOutput { vectors: inputs.iter().map(|t| Self::embed_one(t)).collect(), usage_tokens: 0 })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn lexical_vectors_are_deterministic_unit_vectors() {
        let a = LexicalEmbedder::embed_one("Water damage from burst pipes");
        assert_eq!(a.len(), LEXICAL_DIMENSIONS);
        assert!((cosine(&a, &a) - 1.0).abs() < 1e-5);
        assert_eq!(a, LexicalEmbedder::embed_one("Water damage from burst pipes"));
        let near = LexicalEmbedder::embed_one("burst pipes water damage claim");
        let far = LexicalEmbedder::embed_one("motor vehicle theft excess");
        assert!(cosine(&a, &near) > cosine(&a, &far) + 0.2);
        assert_eq!(LexicalEmbedder::embed_one("  ")[0], 1.0);
    }
}
