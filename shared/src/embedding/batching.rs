//! Request planning: at most `max_inputs` inputs and `max_tokens` tokens per request, and no
//! input over the model's own limit, all decided before any call is made.

use crate::config::env_parse;
use crate::error::{ErrorClass, StageError, StageResult};
use std::ops::Range;

#[derive(Clone, Debug)]
pub struct BatchLimits {
    /// OpenAI accepts up to 2048 inputs per request; we default to 256.
    pub max_inputs: usize,
    /// The per-request token cap (OpenAI: 300,000), minus headroom for estimation error.
    pub max_tokens: usize,
    /// The model's per-input limit (8,192 for text-embedding-3-*).
    pub max_input_tokens: usize,
}

impl BatchLimits {
    pub fn from_env() -> anyhow::Result<Self> {
        let d = BatchLimits::default();
        let limits = BatchLimits {
            max_inputs: env_parse("DOC_INGEST_EMBED_BATCH_SIZE", d.max_inputs)?,
            max_tokens: env_parse("DOC_INGEST_EMBED_MAX_BATCH_TOKENS", d.max_tokens)?,
            max_input_tokens: env_parse("DOC_INGEST_EMBED_MAX_INPUT_TOKENS", d.max_input_tokens)?,
        };
        anyhow::ensure!(
            (1..=2048).contains(&limits.max_inputs),
            "DOC_INGEST_EMBED_BATCH_SIZE must be 1..=2048 (OpenAI's per-request input cap)"
        );
        anyhow::ensure!(
            limits.max_tokens >= limits.max_input_tokens,
            "DOC_INGEST_EMBED_MAX_BATCH_TOKENS must be at least DOC_INGEST_EMBED_MAX_INPUT_TOKENS"
        );
        Ok(limits)
    }
}

impl Default for BatchLimits {
    fn default() -> Self {
        BatchLimits { max_inputs: 256, max_tokens: 250_000, max_input_tokens: 8192 }
    }
}

/// Consecutive index ranges over the inputs, each within the limits.
pub fn plan(token_counts: &[usize], limits: &BatchLimits) -> StageResult<Vec<Range<usize>>> {
    if let Some((i, n)) = token_counts.iter().enumerate().find(|(_, n)| **n > limits.max_input_tokens) {
        return Err(StageError::new(
            ErrorClass::InputTooLong,
            format!("input {i} has {n} tokens; the model accepts at most {}", limits.max_input_tokens),
        ));
    }
    let mut batches = Vec::new();
    let mut start = 0;
    let mut tokens = 0;
    for (i, n) in token_counts.iter().enumerate() {
        let full = i - start == limits.max_inputs.max(1) || (i > start && tokens + n > limits.max_tokens);
        if full {
            batches.push(start..i);
            start = i;
            tokens = 0;
        }
        tokens += n;
    }
    if start < token_counts.len() {
        batches.push(start..token_counts.len());
    }
    Ok(batches)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_inputs: usize, max_tokens: usize) -> BatchLimits {
        BatchLimits { max_inputs, max_tokens, max_input_tokens: 8192 }
    }

    #[test]
    fn caps_inputs_per_batch() {
        let b = plan(&[1; 600], &limits(256, 1_000_000)).unwrap();
        assert_eq!(b, vec![0..256, 256..512, 512..600]);
    }

    #[test]
    fn caps_tokens_per_batch() {
        let b = plan(&[4000, 4000, 4000, 100], &limits(256, 8100)).unwrap();
        assert_eq!(b, vec![0..2, 2..4]);
        for r in &b {
            let sum: usize = [4000, 4000, 4000, 100][r.clone()].iter().sum();
            assert!(sum <= 8100);
        }
    }

    #[test]
    fn rejects_an_input_over_the_model_limit_before_any_call() {
        let err = plan(&[10, 9000], &BatchLimits::default()).unwrap_err();
        assert_eq!(err.class, ErrorClass::InputTooLong);
        assert!(err.message.contains("input 1 has 9000 tokens"));
        assert!(plan(&[], &BatchLimits::default()).unwrap().is_empty());
    }
}
