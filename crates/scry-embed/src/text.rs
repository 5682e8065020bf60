//! The text embedder: a BERT-style ONNX encoder run by tract, tokenised by `tokenizers`.
//!
//! Texts are tokenised without padding and truncated at the model's `max_tokens` word pieces,
//! sorted by length and cut into batches, each padded to its longest text, so one batch holds
//! texts of similar length and little compute goes to padding. The model is loaded from bytes
//! (browsers fetch them; nothing here touches a file system except
//! [`TextEmbedder::from_dir`]), optimised once for symbolic `batch × sequence` shapes, and has its
//! int8 dequantisation rewritten at load ([`crate::dequant`]).

use std::sync::Arc;

use scry_core::{Embedder, ModelTag};
use tokenizers::{Tokenizer, TruncationParams};
use tract_onnx::prelude::*;

use crate::dequant;
use crate::error::{EmbedError, Result};
use crate::manifest::ModelSpec;
use crate::passages::{Passage, split_passages_with};
use crate::pooling::{Pooling, l2_normalize};

/// Options of a [`TextEmbedder`], with documented defaults and ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEmbedderOptions {
    /// Most texts per model run. Default 32; range 1..=1024. Larger batches amortise per-run
    /// overhead but pad more and hold `batch × tokens × 1,536` floats of activations.
    pub batch_size: usize,
    /// Longest input in word pieces, `[CLS]` and `[SEP]` included; longer texts are truncated.
    /// `None` (default) takes the manifest's `max_tokens`; range 3..=the manifest's value.
    pub max_tokens: Option<usize>,
    /// Rewrite the int8 weight dequantisation at load (gather embedding rows before
    /// dequantising them, fold the other weights to f32 once). Default `true`; `false` runs the
    /// dequantisation as shipped (slower, identical output) and exists for benchmarks and
    /// checks. (Attention's mask add and softmax are fused either way: `softmax.rs`.)
    pub rewrite_dequantization: bool,
    /// With `rewrite_dequantization`, compute the products with int8 weights (per-column
    /// scales) as integer products: each row of activations is quantised to up to 16 bits (for
    /// MiniLM at most 1 / 21,844 of its largest value off; the range narrows with longer rows,
    /// see `qmatmul.rs`), summed in 32-bit integers, and scaled back; the
    /// exact GELU after a product runs in the same pass. `false` folds those weights to f32 and
    /// multiplies in f32. Default `true` in wasm with SIMD128, which has no fused multiply-add but
    /// multiplies and adds eight 16-bit pairs in one instruction (1.3–1.7× the f32 throughput
    /// in Chromium); `false` natively, where tract's f32 kernels use FMA (AVX2, NEON) and the
    /// portable integer loop is several times slower.
    pub integer_products: bool,
}

impl Default for TextEmbedderOptions {
    fn default() -> Self {
        Self {
            batch_size: 32,
            max_tokens: None,
            rewrite_dequantization: true,
            integer_products: cfg!(all(target_arch = "wasm32", target_feature = "simd128")),
        }
    }
}

/// Bytes of text tokenised per token of the window before falling back to the whole text
/// (English averages about 4–5 bytes per word piece; 32 leaves room for markup and spaces).
const PREFIX_BYTES_PER_TOKEN: usize = 32;

/// Names of the encoder's inputs, in the order tract exposes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Input {
    Ids,
    Mask,
    TypeIds,
}

/// A text → vector encoder for BERT-style ONNX models (all-MiniLM-L6-v2 by default).
///
/// ```no_run
/// # #[cfg(not(target_arch = "wasm32"))] {
/// use scry_core::Embedder;
/// use scry_embed::{BUILTIN_MANIFEST, DEFAULT_TEXT_MODEL, ModelManifest, TextEmbedder};
///
/// let manifest = ModelManifest::parse(BUILTIN_MANIFEST)?;
/// let spec = manifest.model(DEFAULT_TEXT_MODEL)?;
/// let mut embedder = TextEmbedder::from_dir("models/cache/all-MiniLM-L6-v2-int8", spec)?;
/// let vectors = embedder.embed_texts(&["a readable stream", "TLS certificates"])?;
/// assert_eq!(vectors[0].len(), 384);
/// # }
/// # Ok::<(), scry_embed::EmbedError>(())
/// ```
pub struct TextEmbedder {
    plan: Arc<TypedRunnableModel>,
    inputs: Vec<Input>,
    tokenizer: Tokenizer,
    /// The same tokenizer without truncation, to measure and split long documents.
    counter: Tokenizer,
    pad_id: u32,
    pooling: Pooling,
    tag: ModelTag,
    batch_size: usize,
    max_tokens: usize,
    /// Attention softmax chains fused at load (`softmax.rs`).
    fused_softmax: usize,
}

impl std::fmt::Debug for TextEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextEmbedder")
            .field("model", &self.tag)
            .field("batch_size", &self.batch_size)
            .field("max_tokens", &self.max_tokens)
            .finish_non_exhaustive()
    }
}

impl TextEmbedder {
    /// Loads a model from the bytes of its `model.onnx` and `tokenizer.json`, after checking
    /// both against `spec` (sizes and sha256: a wrong or truncated file is `MODEL_INTEGRITY`).
    /// Default options.
    pub fn from_bytes(model_onnx: &[u8], tokenizer_json: &[u8], spec: &ModelSpec) -> Result<Self> {
        Self::from_bytes_with(
            model_onnx,
            tokenizer_json,
            spec,
            &TextEmbedderOptions::default(),
        )
    }

    /// [`TextEmbedder::from_bytes`] with options.
    pub fn from_bytes_with(
        model_onnx: &[u8],
        tokenizer_json: &[u8],
        spec: &ModelSpec,
        options: &TextEmbedderOptions,
    ) -> Result<Self> {
        spec.file("model.onnx")?.verify(model_onnx)?;
        spec.file("tokenizer.json")?.verify(tokenizer_json)?;
        Self::load_unverified(model_onnx, tokenizer_json, spec, options)
    }

    /// Loads `model.onnx` and `tokenizer.json` from a folder (such as `models/cache/<id>/`),
    /// verified against `spec`. Native only: browsers fetch the bytes and call
    /// [`TextEmbedder::from_bytes`].
    #[cfg(any(not(target_arch = "wasm32"), target_os = "wasi"))]
    pub fn from_dir(dir: impl AsRef<std::path::Path>, spec: &ModelSpec) -> Result<Self> {
        Self::from_dir_with(dir, spec, &TextEmbedderOptions::default())
    }

    /// [`TextEmbedder::from_dir`] with options.
    #[cfg(any(not(target_arch = "wasm32"), target_os = "wasi"))]
    pub fn from_dir_with(
        dir: impl AsRef<std::path::Path>,
        spec: &ModelSpec,
        options: &TextEmbedderOptions,
    ) -> Result<Self> {
        let files = crate::VerifiedTextModel::read(dir.as_ref(), spec)?;
        Self::load_unverified(&files.model_onnx, &files.tokenizer_json, spec, options)
    }

    /// Loads without the integrity check (the callers above verify first).
    pub(crate) fn load_unverified(
        model_onnx: &[u8],
        tokenizer_json: &[u8],
        spec: &ModelSpec,
        options: &TextEmbedderOptions,
    ) -> Result<Self> {
        if !(1..=1024).contains(&options.batch_size) {
            return Err(EmbedError::InvalidParameter {
                name: "batch_size",
                reason: format!("must be in 1..=1024, got {}", options.batch_size),
            });
        }
        let max_tokens = options.max_tokens.unwrap_or(spec.max_tokens);
        if !(3..=spec.max_tokens).contains(&max_tokens) {
            return Err(EmbedError::InvalidParameter {
                name: "max_tokens",
                reason: format!("must be in 3..={}, got {max_tokens}", spec.max_tokens),
            });
        }
        let pooling = Pooling::from_manifest(&spec.pooling).ok_or_else(|| {
            EmbedError::ModelUnsupported(format!("pooling {:?} is not supported", spec.pooling))
        })?;
        if !spec.normalize {
            return Err(EmbedError::ModelUnsupported(
                "scry compares vectors by dot product: the model must be L2-normalised".into(),
            ));
        }

        let (tokenizer, counter, pad_id) = load_tokenizer(tokenizer_json, max_tokens)?;
        let (plan, inputs, fused_softmax) = load_model(model_onnx, spec.dims, options)?;
        Ok(Self {
            plan,
            inputs,
            fused_softmax,
            tokenizer,
            counter,
            pad_id,
            pooling,
            tag: ModelTag {
                id: spec.id.clone(),
                dims: spec.dims,
                fingerprint: spec.fingerprint(max_tokens),
            },
            batch_size: options.batch_size,
            max_tokens,
        })
    }

    /// How many attention softmax chains (`Softmax(scores + mask)` and its NaN clean-up) were
    /// fused into one pass at load: one per layer when the model's attention has that shape
    /// (6 for all-MiniLM-L6-v2), 0 when it does not (the model then runs unfused).
    pub fn fused_attention_softmaxes(&self) -> usize {
        self.fused_softmax
    }

    /// The model's output dimension.
    pub fn dims(&self) -> usize {
        self.tag.dims
    }

    /// Longest input in word pieces, special tokens included; longer texts are truncated.
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    /// Embeds texts: one L2-normalised vector per text, in the caller's order. An empty or blank
    /// text is an error (`EMPTY_INPUT`) and nothing is embedded.
    pub fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        if let Some(index) = texts.iter().position(|t| t.trim().is_empty()) {
            return Err(EmbedError::EmptyInput { index });
        }
        let encodings: Vec<tokenizers::Encoding> = texts
            .iter()
            .enumerate()
            .map(|(index, t)| self.encode_truncated(t, index))
            .collect::<Result<_>>()?;

        // Similar lengths together: sort by token count (stable, so ties keep input order).
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| encodings[i].get_ids().len());

        let dims = self.tag.dims;
        let mut out = vec![Vec::new(); texts.len()];
        for batch in order.chunks(self.batch_size) {
            let rows: Vec<&tokenizers::Encoding> = batch.iter().map(|&i| &encodings[i]).collect();
            let vectors = self.run_batch(&rows)?;
            for (&i, v) in batch.iter().zip(vectors.chunks_exact(dims)) {
                out[i] = v.to_vec();
            }
        }
        Ok(out)
    }

    /// Tokenises `text` for the model, truncated at `max_tokens`. A long text is first tokenised
    /// from a prefix cut at whitespace: the pre-tokenizer splits at whitespace and the normaliser
    /// works character by character, so when the prefix alone fills the window its tokens are
    /// exactly the full text's first ones, and megabytes of text are not tokenised to keep 256
    /// pieces. Otherwise (a prefix of mostly spaces, markup the tokenizer drops) the whole text
    /// is tokenised.
    fn encode_truncated(&self, text: &str, index: usize) -> Result<tokenizers::Encoding> {
        let encode = |t: &str| {
            self.tokenizer
                .encode(t, true)
                .map_err(|e| EmbedError::Tokenize {
                    index,
                    reason: e.to_string(),
                })
        };
        let limit = self.max_tokens.saturating_mul(PREFIX_BYTES_PER_TOKEN);
        if text.len() > limit {
            let mut cut = limit;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            if let Some(ws) = text[..cut].rfind(char::is_whitespace) {
                let encoding = encode(&text[..ws])?;
                if encoding.get_ids().len() >= self.max_tokens {
                    return Ok(encoding);
                }
            }
        }
        encode(text)
    }

    /// Runs one padded batch; returns `rows.len() × dims` pooled, normalised floats.
    fn run_batch(&self, rows: &[&tokenizers::Encoding]) -> Result<Vec<f32>> {
        let batch = rows.len();
        let seq = rows.iter().map(|e| e.get_ids().len()).max().unwrap_or(0);
        let mut ids = vec![i64::from(self.pad_id); batch * seq];
        let mut mask = vec![0i64; batch * seq];
        let mut type_ids = vec![0i64; batch * seq];
        for (r, e) in rows.iter().enumerate() {
            let at = r * seq;
            for (t, ((&id, &m), &ty)) in e
                .get_ids()
                .iter()
                .zip(e.get_attention_mask())
                .zip(e.get_type_ids())
                .enumerate()
            {
                ids[at + t] = i64::from(id);
                mask[at + t] = i64::from(m);
                type_ids[at + t] = i64::from(ty);
            }
        }
        let tensor = |data: &[i64]| {
            Tensor::from_shape(&[batch, seq], data)
                .map_err(|e| EmbedError::Inference(e.to_string()))
        };
        let mut inputs: TVec<TValue> = TVec::new();
        for input in &self.inputs {
            let t = match input {
                Input::Ids => tensor(&ids)?,
                Input::Mask => tensor(&mask)?,
                Input::TypeIds => tensor(&type_ids)?,
            };
            inputs.push(t.into_tvalue());
        }
        let outputs = self
            .plan
            .run(inputs)
            .map_err(|e| EmbedError::Inference(format!("{e:#}")))?;
        let hidden = outputs
            .first()
            .ok_or_else(|| EmbedError::Inference("the model returned no output".into()))?
            .to_plain_array_view::<f32>()
            .map_err(|e| EmbedError::Inference(e.to_string()))?;
        let dims = self.tag.dims;
        if hidden.shape() != [batch, seq, dims] {
            return Err(EmbedError::ModelUnsupported(format!(
                "expected an output of shape [{batch}, {seq}, {dims}], got {:?}",
                hidden.shape()
            )));
        }
        let hidden = hidden
            .as_slice()
            .ok_or_else(|| EmbedError::Inference("output is not contiguous".into()))?;
        let mut pooled = vec![0f32; batch * dims];
        for (r, out) in pooled.chunks_exact_mut(dims).enumerate() {
            let rows = &hidden[r * seq * dims..(r + 1) * seq * dims];
            self.pooling
                .pool(rows, &mask[r * seq..(r + 1) * seq], dims, out);
            l2_normalize(out);
        }
        Ok(pooled)
    }

    /// Tokens in `text` (word pieces, without special tokens, without truncation).
    pub fn count_tokens(&self, text: &str) -> Result<usize> {
        Ok(self.token_spans(text)?.len())
    }

    /// Splits a long document into passages of at most `max_tokens` word pieces (special tokens
    /// not counted: pass `self.max_tokens() - 2` for passages the model reads whole), consecutive
    /// passages sharing up to `overlap` tokens, at sentence and paragraph boundaries. See
    /// [`crate::passages`].
    pub fn split_passages(
        &self,
        text: &str,
        max_tokens: usize,
        overlap: usize,
    ) -> Result<Vec<Passage>> {
        split_passages_with(text, max_tokens, overlap, &|t| self.token_spans(t))
    }

    fn token_spans(&self, text: &str) -> Result<Vec<(usize, usize)>> {
        let encoding = self
            .counter
            .encode(text, false)
            .map_err(|e| EmbedError::Tokenize {
                index: 0,
                reason: e.to_string(),
            })?;
        Ok(encoding.get_offsets().to_vec())
    }
}

impl Embedder for TextEmbedder {
    fn model(&self) -> &ModelTag {
        &self.tag
    }

    fn embed(&mut self, texts: &[&str]) -> scry_core::Result<Vec<Vec<f32>>> {
        self.embed_texts(texts).map_err(EmbedError::into_core)
    }
}

/// The tokenizer for embedding (no padding, truncation at `max_tokens`), the same without
/// truncation for counting, and the padding id.
/// A `tokenizer.json` made to pad nothing and truncate at `max_tokens` (shipped files often pad
/// to a fixed length and truncate elsewhere), with the pad id it declared (0 if none).
pub(crate) fn base_tokenizer(json: &[u8], max_tokens: usize) -> Result<(Tokenizer, u32)> {
    let mut tokenizer =
        Tokenizer::from_bytes(json).map_err(|e| EmbedError::TokenizerLoad(e.to_string()))?;
    let pad_id = tokenizer.get_padding().map_or(0, |p| p.pad_id);
    tokenizer.with_padding(None);
    tokenizer
        .with_truncation(Some(TruncationParams {
            max_length: max_tokens,
            ..TruncationParams::default()
        }))
        .map_err(|e| EmbedError::TokenizerLoad(e.to_string()))?;
    Ok((tokenizer, pad_id))
}

/// The embedding tokenizer, the same without truncation (to measure and split long
/// documents), and the pad id.
fn load_tokenizer(json: &[u8], max_tokens: usize) -> Result<(Tokenizer, Tokenizer, u32)> {
    let (tokenizer, pad_id) = base_tokenizer(json, max_tokens)?;
    let mut counter = tokenizer.clone();
    counter
        .with_truncation(None)
        .map_err(|e| EmbedError::TokenizerLoad(e.to_string()))?;
    Ok((tokenizer, counter, pad_id))
}

/// Parses, rewrites and optimises the ONNX model for symbolic `batch × sequence` inputs.
fn load_model(
    bytes: &[u8],
    dims: usize,
    options: &TextEmbedderOptions,
) -> Result<(Arc<TypedRunnableModel>, Vec<Input>, usize)> {
    let err = |e: TractError| EmbedError::ModelLoad(format!("{e:#}"));
    let onnx = crate::onnx_parser();
    let mut proto = onnx.proto_model_for_read(&mut &bytes[..]).map_err(err)?;
    if options.rewrite_dequantization {
        if options.integer_products
            && let Some(graph) = proto.graph.as_mut()
        {
            crate::qmatmul::rewrite(graph);
        }
        dequant::rewrite_model(&mut proto);
    }
    let mut model = onnx.model_for_proto_model(&proto).map_err(err)?;
    drop(proto);
    crate::check_ops(&model)?;

    let mut inputs = Vec::new();
    for outlet in model.input_outlets().map_err(err)?.to_vec() {
        let name = model.node(outlet.node).name.as_str();
        inputs.push(match name {
            "input_ids" => Input::Ids,
            "attention_mask" => Input::Mask,
            "token_type_ids" => Input::TypeIds,
            other => {
                return Err(EmbedError::ModelUnsupported(format!(
                    "unexpected model input {other:?} (expected input_ids, attention_mask, \
                     token_type_ids)"
                )));
            }
        });
    }
    if !inputs.contains(&Input::Ids) || !inputs.contains(&Input::Mask) {
        return Err(EmbedError::ModelUnsupported(
            "the model needs input_ids and attention_mask inputs".into(),
        ));
    }
    // One optimised plan for every shape: batch and sequence stay symbolic.
    let batch = model.symbols.sym("batch");
    let seq = model.symbols.sym("sequence");
    for i in 0..inputs.len() {
        model
            .set_input_fact(
                i,
                InferenceFact::dt_shape(i64::datum_type(), [batch.to_dim(), seq.to_dim()]),
            )
            .map_err(err)?;
    }
    let mut model = model.into_typed().map_err(err)?;
    model.declutter().map_err(err)?;
    // tract 0.23's declutter simplifies `And(always-true [1,1,S,1], mask [B,1,1,S])` in the
    // attention-mask subgraph to the mask alone but leaves the downstream facts at
    // `[B,1,S,S]`; debug builds of tract then fail their output-shape assertion. Recompute
    // the facts before code generation.
    model.refresh_output_facts().map_err(err)?;
    // Attention's mask add, softmax and NaN clean-up as one pass (same results, `softmax.rs`).
    let fused_softmax = crate::softmax::fuse(&mut model).map_err(err)?;
    crate::link_kernels();
    model.optimize().map_err(err)?;
    let output = model.output_fact(0).map_err(err)?;
    let last = output.shape.iter().last().and_then(TDim::as_i64);
    if output.shape.rank() != 3 || last != i64::try_from(dims).ok() {
        return Err(EmbedError::ModelUnsupported(format!(
            "expected an output [batch, sequence, {dims}], got {output:?}"
        )));
    }
    let plan = model.into_runnable().map_err(err)?;
    Ok((plan, inputs, fused_softmax))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #![allow(clippy::unwrap_used)] // test code
    use std::path::PathBuf;

    use super::*;
    use crate::{BUILTIN_MANIFEST, DEFAULT_TEXT_MODEL, ModelManifest};

    fn cache(name: &str) -> Vec<u8> {
        let dir = std::env::var_os("SCRY_MODELS_DIR").map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/cache"),
            PathBuf::from,
        );
        std::fs::read(dir.join(DEFAULT_TEXT_MODEL).join(name)).unwrap()
    }

    #[test]
    fn unverified_garbage_is_a_typed_error_not_a_panic() {
        let manifest = ModelManifest::parse(BUILTIN_MANIFEST).unwrap();
        let spec = manifest.model(DEFAULT_TEXT_MODEL).unwrap();
        let tokenizer = cache("tokenizer.json");
        let options = TextEmbedderOptions::default();
        // Tokenizer JSON where the ONNX model should be.
        let err =
            TextEmbedder::load_unverified(&tokenizer, &tokenizer, spec, &options).unwrap_err();
        assert_eq!(err.code(), "MODEL_LOAD", "{err}");
        // A model cut in half.
        let model = cache("model.onnx");
        let err =
            TextEmbedder::load_unverified(&model[..model.len() / 2], &tokenizer, spec, &options)
                .unwrap_err();
        assert_eq!(err.code(), "MODEL_LOAD", "{err}");
        // Not a tokenizer.
        let err = TextEmbedder::load_unverified(&model, b"{}", spec, &options).unwrap_err();
        assert_eq!(err.code(), "TOKENIZER_LOAD", "{err}");
    }

    /// MiniLM's six attention softmax chains are fused (a tract update that changed their shape
    /// would otherwise turn the fusion off silently).
    #[test]
    fn the_attention_softmax_of_every_layer_is_fused() -> Result<()> {
        let manifest = ModelManifest::parse(BUILTIN_MANIFEST)?;
        let spec = manifest.model(DEFAULT_TEXT_MODEL)?;
        let e = TextEmbedder::load_unverified(
            &cache("model.onnx"),
            &cache("tokenizer.json"),
            spec,
            &TextEmbedderOptions::default(),
        )?;
        assert_eq!(e.fused_attention_softmaxes(), 6);
        Ok(())
    }

    #[test]
    fn options_are_validated() {
        let manifest = ModelManifest::parse(BUILTIN_MANIFEST).unwrap();
        let spec = manifest.model(DEFAULT_TEXT_MODEL).unwrap();
        for options in [
            TextEmbedderOptions {
                batch_size: 0,
                ..TextEmbedderOptions::default()
            },
            TextEmbedderOptions {
                max_tokens: Some(257),
                ..TextEmbedderOptions::default()
            },
        ] {
            let err = TextEmbedder::load_unverified(b"", b"", spec, &options).unwrap_err();
            assert_eq!(err.code(), "INVALID_PARAMETER");
        }
    }
}
