//! The CLIP-style image and text dual encoder: two ONNX towers run by tract, whose outputs share
//! one embedding space, so a text query finds images (and images find texts).
//!
//! The export format (file names, input and output names, the manifest's `image` block) is
//! described in `crates/scry-embed/CLIP.md`; in short, a Hugging Face CLIP export split into a
//! vision model (`pixel_values` → `image_embeds`) and a text model (`input_ids` [+
//! `attention_mask`] → `text_embeds`) plus CLIP's `tokenizer.json`. Images are preprocessed by
//! [`crate::image::ImagePreprocessor`] exactly as CLIP's Python reference does; texts are
//! tokenised without padding, truncated at `max_tokens` (77) with the end-of-text token kept, and
//! batched by length. Every vector is L2-normalised, so image–text and text–text similarities are
//! dot products.

use std::sync::Arc;

use scry_core::{Embedder, ModelTag};
use tokenizers::Tokenizer;
use tract_onnx::prelude::*;

use crate::error::{EmbedError, Result};
use crate::image::{ImagePreprocessor, RgbaImage};
use crate::manifest::{FileSpec, ModelSpec};
use crate::pooling::l2_normalize;

/// Default file name of the image tower when the manifest gives no `role`s (Hugging Face /
/// transformers.js layout).
pub const VISION_FILE: &str = "vision_model.onnx";
/// Default file name of the text tower when the manifest gives no `role`s.
pub const TEXT_FILE: &str = "text_model.onnx";
/// Default file name of the tokenizer.
pub const TOKENIZER_FILE: &str = "tokenizer.json";

/// Options of a [`ClipEmbedder`], with documented defaults and ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClipEmbedderOptions {
    /// Most images or texts per model run. Default 16; range 1..=1024. An image batch holds
    /// `batch × 3 × crop × crop` floats of input (9.6 MB at 224 pixels and 16 images) plus the
    /// tower's activations.
    pub batch_size: usize,
    /// Longest text in tokens, start- and end-of-text included; longer texts are truncated
    /// (the end-of-text token stays last). `None` (default) takes the manifest's `max_tokens`;
    /// range 2..=the manifest's value (CLIP's position table has 77 rows).
    pub max_tokens: Option<usize>,
}

impl Default for ClipEmbedderOptions {
    fn default() -> Self {
        Self {
            batch_size: 16,
            max_tokens: None,
        }
    }
}

/// One optimised tower and the batch size its plan takes.
struct Tower {
    plan: Arc<TypedRunnableModel>,
    /// Whether the plan takes any batch size; `false`: one input per run (see [`plan_for`]).
    batched: bool,
}

/// Inputs of the text tower, in the order tract exposes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextInput {
    Ids,
    Mask,
}

/// An image and text encoder for CLIP-style models (separate ONNX vision and text towers with
/// projections into one space).
///
/// ```no_run
/// # #[cfg(not(target_arch = "wasm32"))] {
/// use scry_embed::image::RgbaImage;
/// use scry_embed::{ClipEmbedder, ModelManifest};
///
/// let manifest = ModelManifest::parse(&std::fs::read_to_string("models/manifest.json")?)?;
/// let spec = manifest.model("clip-vit-base-patch32")?;
/// let clip = ClipEmbedder::from_dir("models/cache/clip-vit-base-patch32", spec)?;
/// let photo = RgbaImage::decode(&std::fs::read("cat.jpg")?)?;
/// let images = clip.embed_images(&[photo])?;
/// let texts = clip.embed_texts(&["a photo of a cat", "a diagram"])?;
/// let score: f32 = images[0].iter().zip(&texts[0]).map(|(a, b)| a * b).sum();
/// # let _ = score;
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ClipEmbedder {
    vision: Tower,
    text: Tower,
    text_inputs: Vec<TextInput>,
    tokenizer: Tokenizer,
    preprocessor: ImagePreprocessor,
    tag: ModelTag,
    batch_size: usize,
    max_tokens: usize,
}

impl std::fmt::Debug for ClipEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClipEmbedder")
            .field("model", &self.tag)
            .field("preprocessor", &self.preprocessor)
            .field("batch_size", &self.batch_size)
            .field("max_tokens", &self.max_tokens)
            .field("vision_batched", &self.vision.batched)
            .field("text_batched", &self.text.batched)
            .finish_non_exhaustive()
    }
}

impl ClipEmbedder {
    /// Loads a model from the bytes of its vision tower, text tower and `tokenizer.json`, after
    /// checking each against `spec` (sizes and sha256: a wrong, swapped or truncated file is
    /// `MODEL_INTEGRITY`). Default options.
    pub fn from_bytes(
        vision_onnx: &[u8],
        text_onnx: &[u8],
        tokenizer_json: &[u8],
        spec: &ModelSpec,
    ) -> Result<Self> {
        Self::from_bytes_with(
            vision_onnx,
            text_onnx,
            tokenizer_json,
            spec,
            &ClipEmbedderOptions::default(),
        )
    }

    /// [`ClipEmbedder::from_bytes`] with options.
    pub fn from_bytes_with(
        vision_onnx: &[u8],
        text_onnx: &[u8],
        tokenizer_json: &[u8],
        spec: &ModelSpec,
        options: &ClipEmbedderOptions,
    ) -> Result<Self> {
        let [vision, text, tokenizer] = files(spec)?;
        vision.verify(vision_onnx)?;
        text.verify(text_onnx)?;
        tokenizer.verify(tokenizer_json)?;
        Self::load_unverified(vision_onnx, text_onnx, tokenizer_json, spec, options)
    }

    /// Loads the three files from a folder, verified against `spec`. Native only: browsers
    /// fetch the bytes and call [`ClipEmbedder::from_bytes`].
    #[cfg(any(not(target_arch = "wasm32"), target_os = "wasi"))]
    pub fn from_dir(dir: impl AsRef<std::path::Path>, spec: &ModelSpec) -> Result<Self> {
        Self::from_dir_with(dir, spec, &ClipEmbedderOptions::default())
    }

    /// [`ClipEmbedder::from_dir`] with options.
    #[cfg(any(not(target_arch = "wasm32"), target_os = "wasi"))]
    pub fn from_dir_with(
        dir: impl AsRef<std::path::Path>,
        spec: &ModelSpec,
        options: &ClipEmbedderOptions,
    ) -> Result<Self> {
        let dir = dir.as_ref();
        let [vision, text, tokenizer] = files(spec)?;
        let vision = vision.read_verified(dir)?;
        let text = text.read_verified(dir)?;
        let tokenizer = tokenizer.read_verified(dir)?;
        Self::load_unverified(&vision, &text, &tokenizer, spec, options)
    }

    /// Loads without the integrity check (the callers above verify first).
    pub(crate) fn load_unverified(
        vision_onnx: &[u8],
        text_onnx: &[u8],
        tokenizer_json: &[u8],
        spec: &ModelSpec,
        options: &ClipEmbedderOptions,
    ) -> Result<Self> {
        if !(1..=1024).contains(&options.batch_size) {
            return Err(EmbedError::InvalidParameter {
                name: "batch_size",
                reason: format!("must be in 1..=1024, got {}", options.batch_size),
            });
        }
        let max_tokens = options.max_tokens.unwrap_or(spec.max_tokens);
        if !(2..=spec.max_tokens).contains(&max_tokens) {
            return Err(EmbedError::InvalidParameter {
                name: "max_tokens",
                reason: format!("must be in 2..={}, got {max_tokens}", spec.max_tokens),
            });
        }
        let image = spec.image.as_ref().ok_or_else(|| {
            EmbedError::ModelUnsupported(format!(
                "model {} has no `image` block: it is not an image-text model",
                spec.id
            ))
        })?;
        let preprocessor = ImagePreprocessor::from_spec(image).map_err(|e| match e {
            EmbedError::InvalidParameter { name, reason } => {
                EmbedError::ManifestInvalid(format!("{}: image {name} {reason}", spec.id))
            }
            other => other,
        })?;
        if spec.pooling != "eos" {
            return Err(EmbedError::ModelUnsupported(format!(
                "pooling {:?}: CLIP text towers pool the end-of-text token in the graph \
                 (`\"pooling\": \"eos\"`)",
                spec.pooling
            )));
        }
        if !spec.normalize {
            return Err(EmbedError::ModelUnsupported(
                "scry compares vectors by dot product: the model must be L2-normalised".into(),
            ));
        }

        let (tokenizer, _) = crate::text::base_tokenizer(tokenizer_json, max_tokens)?;
        let crop = preprocessor.crop_size() as usize;
        let vision = load_vision(vision_onnx, crop, spec.dims)?;
        let (text, text_inputs) = load_text(text_onnx, spec.dims)?;
        Ok(Self {
            vision,
            text,
            text_inputs,
            tokenizer,
            preprocessor,
            tag: ModelTag {
                id: spec.id.clone(),
                dims: spec.dims,
                fingerprint: spec.fingerprint(max_tokens),
            },
            batch_size: options.batch_size,
            max_tokens,
        })
    }

    /// The model's output dimension (images and texts alike).
    pub fn dims(&self) -> usize {
        self.tag.dims
    }

    /// Longest text in tokens, special tokens included; longer texts are truncated.
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    /// The model tag shared by image and text vectors (one embedding space).
    pub fn tag(&self) -> &ModelTag {
        &self.tag
    }

    /// Whether the (vision, text) towers run whole batches. A tower whose graph tract cannot
    /// optimise for a symbolic batch size runs one input per call instead (see CLIP.md); the
    /// vectors are the same.
    pub fn batched(&self) -> (bool, bool) {
        (self.vision.batched, self.text.batched)
    }

    /// The image preprocessing this model expects.
    pub fn preprocessor(&self) -> &ImagePreprocessor {
        &self.preprocessor
    }

    /// Embeds images: one L2-normalised vector per image, in the caller's order. Each image is
    /// preprocessed as CLIP's reference does (see [`crate::image`]).
    pub fn embed_images(&self, images: &[RgbaImage<'_>]) -> Result<Vec<Vec<f32>>> {
        let per_image = self.preprocessor.values_per_image();
        let mut out = Vec::with_capacity(images.len());
        let mut values = Vec::new();
        for batch in images.chunks(self.batch(&self.vision)) {
            values.clear();
            values.resize(batch.len() * per_image, 0.0);
            for (image, slot) in batch.iter().zip(values.chunks_exact_mut(per_image)) {
                self.preprocessor.preprocess_into(image, slot)?;
            }
            out.extend(self.run_vision(&values, batch.len())?);
        }
        Ok(out)
    }

    /// Embeds already preprocessed images: `pixel_values` holds `n × 3 × crop × crop` floats
    /// (the vision tower's input, see [`ImagePreprocessor::preprocess`]); returns `n` vectors.
    /// A length that is not a multiple of one image is `INVALID_PARAMETER`.
    pub fn embed_pixel_values(&self, pixel_values: &[f32]) -> Result<Vec<Vec<f32>>> {
        let per_image = self.preprocessor.values_per_image();
        if !pixel_values.len().is_multiple_of(per_image) {
            return Err(EmbedError::InvalidParameter {
                name: "pixel_values",
                reason: format!(
                    "{} floats is not a whole number of images of {per_image}",
                    pixel_values.len()
                ),
            });
        }
        let mut out = Vec::with_capacity(pixel_values.len() / per_image);
        for batch in pixel_values.chunks(self.batch(&self.vision) * per_image) {
            out.extend(self.run_vision(batch, batch.len() / per_image)?);
        }
        Ok(out)
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
            .map(|(index, t)| {
                self.tokenizer
                    .encode(*t, true)
                    .map_err(|e| EmbedError::Tokenize {
                        index,
                        reason: e.to_string(),
                    })
            })
            .collect::<Result<_>>()?;
        if let Some(index) = encodings.iter().position(|e| e.get_ids().is_empty()) {
            return Err(EmbedError::Tokenize {
                index,
                reason: "the tokenizer produced no tokens".into(),
            });
        }

        // Similar lengths together: sort by token count (stable, so ties keep input order).
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| encodings[i].get_ids().len());
        let mut out = vec![Vec::new(); texts.len()];
        for batch in order.chunks(self.batch(&self.text)) {
            let rows: Vec<&tokenizers::Encoding> = batch.iter().map(|&i| &encodings[i]).collect();
            for (&i, v) in batch.iter().zip(self.run_text(&rows)?) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    /// Token ids of `text` as the text tower sees them (start- and end-of-text included,
    /// truncated at `max_tokens`).
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>> {
        let encoding = self
            .tokenizer
            .encode(text, true)
            .map_err(|e| EmbedError::Tokenize {
                index: 0,
                reason: e.to_string(),
            })?;
        Ok(encoding.get_ids().to_vec())
    }

    /// Inputs per run of `tower`.
    fn batch(&self, tower: &Tower) -> usize {
        if tower.batched { self.batch_size } else { 1 }
    }

    /// Runs the vision tower on `n` preprocessed images; returns `n` normalised vectors.
    fn run_vision(&self, values: &[f32], n: usize) -> Result<Vec<Vec<f32>>> {
        let crop = self.preprocessor.crop_size() as usize;
        let input = Tensor::from_shape(&[n, 3, crop, crop], values)
            .map_err(|e| EmbedError::Inference(e.to_string()))?;
        let outputs = self
            .vision
            .plan
            .run(tvec!(input.into_tvalue()))
            .map_err(|e| EmbedError::Inference(format!("{e:#}")))?;
        self.normalized_rows(&outputs, n)
    }

    /// Runs the text tower on one batch, each row padded to the longest with its own last token
    /// (the end-of-text token: a causal model never attends to what follows it, and pooling by
    /// `argmax(input_ids)` finds its first occurrence) and masked out.
    fn run_text(&self, rows: &[&tokenizers::Encoding]) -> Result<Vec<Vec<f32>>> {
        let batch = rows.len();
        let seq = rows.iter().map(|e| e.get_ids().len()).max().unwrap_or(0);
        let mut ids = vec![0i64; batch * seq];
        let mut mask = vec![0i64; batch * seq];
        for (r, e) in rows.iter().enumerate() {
            let row = &e.get_ids();
            let last = row.last().copied().unwrap_or(0);
            for t in 0..seq {
                ids[r * seq + t] = i64::from(row.get(t).copied().unwrap_or(last));
                mask[r * seq + t] = i64::from(t < row.len());
            }
        }
        let tensor = |data: &[i64]| {
            Tensor::from_shape(&[batch, seq], data)
                .map_err(|e| EmbedError::Inference(e.to_string()))
        };
        let mut inputs: TVec<TValue> = TVec::new();
        for input in &self.text_inputs {
            inputs.push(
                match input {
                    TextInput::Ids => tensor(&ids)?,
                    TextInput::Mask => tensor(&mask)?,
                }
                .into_tvalue(),
            );
        }
        let outputs = self
            .text
            .plan
            .run(inputs)
            .map_err(|e| EmbedError::Inference(format!("{e:#}")))?;
        self.normalized_rows(&outputs, batch)
    }

    /// The first output as `n` rows of `dims` floats, each L2-normalised.
    fn normalized_rows(&self, outputs: &TVec<TValue>, n: usize) -> Result<Vec<Vec<f32>>> {
        let dims = self.tag.dims;
        let view = outputs
            .first()
            .ok_or_else(|| EmbedError::Inference("the model returned no output".into()))?
            .to_plain_array_view::<f32>()
            .map_err(|e| EmbedError::Inference(e.to_string()))?;
        if view.shape() != [n, dims] {
            return Err(EmbedError::ModelUnsupported(format!(
                "expected an output of shape [{n}, {dims}], got {:?}",
                view.shape()
            )));
        }
        let data = view
            .as_slice()
            .ok_or_else(|| EmbedError::Inference("output is not contiguous".into()))?;
        Ok(data
            .chunks_exact(dims)
            .map(|row| {
                let mut v = row.to_vec();
                l2_normalize(&mut v);
                v
            })
            .collect())
    }
}

impl Embedder for ClipEmbedder {
    fn model(&self) -> &ModelTag {
        &self.tag
    }

    /// The text side: query texts embedded into the space the images live in.
    fn embed(&mut self, texts: &[&str]) -> scry_core::Result<Vec<Vec<f32>>> {
        self.embed_texts(texts).map_err(EmbedError::into_core)
    }
}

/// The vision, text and tokenizer files of `spec` (by role, else by the default names).
fn files(spec: &ModelSpec) -> Result<[&FileSpec; 3]> {
    Ok([
        spec.file_for_role("vision", VISION_FILE)?,
        spec.file_for_role("text", TEXT_FILE)?,
        spec.file_for_role("tokenizer", TOKENIZER_FILE)?,
    ])
}

fn load_err(e: TractError) -> EmbedError {
    EmbedError::ModelLoad(format!("{e:#}"))
}

/// Parses an ONNX model and keeps only the output named `output`.
fn parse(bytes: &[u8], output: &str) -> Result<InferenceModel> {
    let mut model = crate::onnx_parser()
        .model_for_read(&mut &bytes[..])
        .map_err(load_err)?;
    let labels: Vec<String> = model
        .output_outlets()
        .map_err(load_err)?
        .iter()
        .map(|o| {
            model
                .outlet_label(*o)
                .map_or_else(|| model.node(o.node).name.clone(), str::to_owned)
        })
        .collect();
    model.select_outputs_by_name([output]).map_err(|_| {
        EmbedError::ModelUnsupported(format!(
            "the model has no output {output:?} (its outputs: {labels:?})"
        ))
    })?;
    crate::check_ops(&model)?;
    Ok(model)
}

fn input_names(model: &InferenceModel) -> Result<Vec<String>> {
    Ok(model
        .input_outlets()
        .map_err(load_err)?
        .iter()
        .map(|o| model.node(o.node).name.clone())
        .collect())
}

/// Types, optimises and checks a model whose single output is `[batch, dims]`.
fn optimize(model: InferenceModel, dims: usize) -> Result<Arc<TypedRunnableModel>> {
    let mut model = model.into_typed().map_err(load_err)?;
    model.declutter().map_err(load_err)?;
    model.refresh_output_facts().map_err(load_err)?;
    crate::link_kernels();
    model.optimize().map_err(load_err)?;
    let output = model.output_fact(0).map_err(load_err)?;
    let last = output.shape.iter().last().and_then(TDim::as_i64);
    if output.shape.rank() != 2 || last != i64::try_from(dims).ok() {
        return Err(EmbedError::ModelUnsupported(format!(
            "expected an output [batch, {dims}], got {output:?}"
        )));
    }
    model.into_runnable().map_err(load_err)
}

/// A plan for a symbolic batch size when tract can optimise the graph that way, else for one
/// input per run. (tract 0.23 fails to declutter `Mul` by a symbolic shape value, which torch's
/// lowering of `hidden[arange(batch), argmax(input_ids)]` produces: `arange(batch) × sequence`.
/// With a concrete batch that product is folded to a constant.) `shape(batch)` gives the input
/// shapes.
fn plan_for(
    model: InferenceModel,
    dims: usize,
    shape: impl Fn(&mut InferenceModel, TDim) -> Result<()>,
) -> Result<Tower> {
    let mut batched = model.clone();
    let batch = batched.symbols.sym("batch").to_dim();
    shape(&mut batched, batch)?;
    match optimize(batched, dims) {
        Ok(plan) => Ok(Tower {
            plan,
            batched: true,
        }),
        Err(EmbedError::ModelLoad(symbolic)) => {
            let mut single = model;
            shape(&mut single, 1.to_dim())?;
            match optimize(single, dims) {
                Ok(plan) => Ok(Tower {
                    plan,
                    batched: false,
                }),
                Err(EmbedError::ModelLoad(e)) => Err(EmbedError::ModelLoad(format!(
                    "{e} (for a symbolic batch size: {symbolic})"
                ))),
                Err(other) => Err(other),
            }
        }
        Err(other) => Err(other),
    }
}

/// The vision tower: `pixel_values` f32 `[batch, 3, crop, crop]` → `image_embeds` `[batch, dims]`.
fn load_vision(bytes: &[u8], crop: usize, dims: usize) -> Result<Tower> {
    let model = parse(bytes, "image_embeds")?;
    let names = input_names(&model)?;
    if names != ["pixel_values"] {
        return Err(EmbedError::ModelUnsupported(format!(
            "the vision model must have the single input pixel_values, it has {names:?} (a \
             combined CLIP export must be split into vision and text models, see CLIP.md)"
        )));
    }
    plan_for(model, dims, |model, batch| {
        model
            .set_input_fact(
                0,
                InferenceFact::dt_shape(
                    f32::datum_type(),
                    [batch, 3.to_dim(), crop.to_dim(), crop.to_dim()],
                ),
            )
            .map_err(load_err)
    })
}

/// The text tower: `input_ids` [+ `attention_mask`] i64 `[batch, sequence]` → `text_embeds`
/// `[batch, dims]`.
fn load_text(bytes: &[u8], dims: usize) -> Result<(Tower, Vec<TextInput>)> {
    let model = parse(bytes, "text_embeds")?;
    let names = input_names(&model)?;
    let mut inputs = Vec::with_capacity(names.len());
    for name in &names {
        inputs.push(match name.as_str() {
            "input_ids" => TextInput::Ids,
            "attention_mask" => TextInput::Mask,
            other => {
                return Err(EmbedError::ModelUnsupported(format!(
                    "unexpected text model input {other:?} (expected input_ids and optionally \
                     attention_mask)"
                )));
            }
        });
    }
    if !inputs.contains(&TextInput::Ids) {
        return Err(EmbedError::ModelUnsupported(
            "the text model needs an input_ids input".into(),
        ));
    }
    let count = inputs.len();
    let tower = plan_for(model, dims, |model, batch| {
        let seq = model.symbols.sym("sequence").to_dim();
        for i in 0..count {
            model
                .set_input_fact(
                    i,
                    InferenceFact::dt_shape(i64::datum_type(), [batch.clone(), seq.clone()]),
                )
                .map_err(load_err)?;
        }
        Ok(())
    })?;
    Ok((tower, inputs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ModelManifest;

    static VISION: &[u8] = include_bytes!("../../../tests/fixtures/embed/clip/vision.onnx");
    static TEXT: &[u8] = include_bytes!("../../../tests/fixtures/embed/clip/text.onnx");
    static TOKENIZER: &[u8] = include_bytes!("../../../tests/fixtures/embed/clip/tokenizer.json");
    const MANIFEST: &str = include_str!("../../../tests/fixtures/embed/clip/manifest.json");

    fn spec() -> ModelSpec {
        ModelManifest::parse(MANIFEST).unwrap().models.remove(0)
    }

    fn load(vision: &[u8], text: &[u8], tokenizer: &[u8]) -> Result<ClipEmbedder> {
        ClipEmbedder::load_unverified(
            vision,
            text,
            tokenizer,
            &spec(),
            &ClipEmbedderOptions::default(),
        )
    }

    #[test]
    fn swapped_or_garbage_files_are_typed_errors_not_panics() {
        // Verified loading catches these as MODEL_INTEGRITY; unverified, the loader must still
        // fail cleanly.
        let code = |r: Result<ClipEmbedder>| r.unwrap_err().code();
        assert_eq!(code(load(TEXT, VISION, TOKENIZER)), "MODEL_UNSUPPORTED");
        assert_eq!(code(load(TEXT, TEXT, TOKENIZER)), "MODEL_UNSUPPORTED");
        assert_eq!(code(load(TOKENIZER, TEXT, TOKENIZER)), "MODEL_LOAD");
        assert_eq!(
            code(load(&VISION[..VISION.len() / 2], TEXT, TOKENIZER)),
            "MODEL_LOAD"
        );
        assert_eq!(code(load(VISION, TEXT, b"{}")), "TOKENIZER_LOAD");
        assert_eq!(code(load(VISION, TEXT, VISION)), "TOKENIZER_LOAD");
    }

    #[test]
    fn options_and_manifest_are_validated() {
        let spec = spec();
        for options in [
            ClipEmbedderOptions {
                batch_size: 0,
                ..ClipEmbedderOptions::default()
            },
            ClipEmbedderOptions {
                max_tokens: Some(78),
                ..ClipEmbedderOptions::default()
            },
        ] {
            let err = ClipEmbedder::load_unverified(VISION, TEXT, TOKENIZER, &spec, &options);
            assert_eq!(err.unwrap_err().code(), "INVALID_PARAMETER");
        }
        let load = |spec: &ModelSpec| {
            ClipEmbedder::load_unverified(
                VISION,
                TEXT,
                TOKENIZER,
                spec,
                &ClipEmbedderOptions::default(),
            )
            .unwrap_err()
            .code()
        };
        let mut no_image = spec.clone();
        no_image.image = None;
        assert_eq!(load(&no_image), "MODEL_UNSUPPORTED");
        let mut bilinear = spec.clone();
        if let Some(image) = bilinear.image.as_mut() {
            image.interpolation = "bilinear".into();
        }
        assert_eq!(load(&bilinear), "MODEL_UNSUPPORTED");
        let mut wrong_dims = spec.clone();
        wrong_dims.dims = 32;
        assert_eq!(load(&wrong_dims), "MODEL_UNSUPPORTED");
        let mut mean_pooling = spec;
        mean_pooling.pooling = "mean".into();
        assert_eq!(load(&mean_pooling), "MODEL_UNSUPPORTED");
    }

    #[test]
    fn padded_text_batches_equal_single_texts() {
        let mut clip = load(VISION, TEXT, TOKENIZER).unwrap();
        // The fixture's text graph pools like torch's export of `hidden[arange(batch),
        // argmax(ids)]`, which tract 0.23 cannot optimise for a symbolic batch: it runs one text
        // at a time; the vision tower takes whole batches.
        assert_eq!(clip.batched(), (true, false));
        let texts = [
            "a cat",
            "a red circle on a blue background in the snow",
            "two dogs",
            "an image of 3 green squares and 12 yellow stars on a table",
        ];
        let single = clip.embed_texts(&texts).unwrap();
        // A plan for batches of exactly two exercises the padding and the attention mask.
        let mut model = parse(TEXT, "text_embeds").unwrap();
        let seq = model.symbols.sym("sequence").to_dim();
        for i in 0..2 {
            model
                .set_input_fact(
                    i,
                    InferenceFact::dt_shape(i64::datum_type(), [2.to_dim(), seq.clone()]),
                )
                .unwrap();
        }
        clip.text = Tower {
            plan: optimize(model, 64).unwrap(),
            batched: true,
        };
        clip.batch_size = 2;
        let padded = clip.embed_texts(&texts).unwrap();
        assert_eq!(single.len(), texts.len());
        assert_eq!(padded.len(), texts.len());
        for (a, b) in single.iter().zip(&padded) {
            assert_eq!(a.len(), 64);
            assert_eq!(b.len(), 64);
            let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
            assert!(dot > 0.99999, "{dot}");
        }
    }
}
