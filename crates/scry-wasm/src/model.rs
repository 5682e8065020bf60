//! Embedding models in the browser: the JavaScript side fetches, caches and hashes the model
//! files (with progress events); this side checks them against the built-in manifest again,
//! loads them into tract and embeds.

use scry_embed::{BUILTIN_MANIFEST, ModelManifest, TextEmbedder, TextEmbedderOptions};
use wasm_bindgen::prelude::*;

use crate::error::ScryJsError;

/// The built-in model manifest (JSON text): ids, dimensions, and each file's name, byte size and
/// sha256, which loaders verify before use.
#[wasm_bindgen(js_name = modelManifest)]
pub fn model_manifest() -> String {
    BUILTIN_MANIFEST.to_owned()
}

/// A text embedding model (all-MiniLM-L6-v2 int8 by default) running in this thread.
#[wasm_bindgen]
pub struct TextModel {
    pub(crate) inner: TextEmbedder,
    /// The last few single texts embedded (queries), newest last: a search and the suggestions
    /// for the same query then run the model once.
    recent: Vec<(String, Vec<f32>)>,
}

/// Queries remembered by [`TextModel`].
const RECENT_QUERIES: usize = 8;

impl TextModel {
    /// The model as an `Embedder` that remembers recent queries.
    pub(crate) fn queries(&mut self) -> &mut dyn scry_core::Embedder {
        self
    }
}

impl scry_core::Embedder for TextModel {
    fn model(&self) -> &scry_core::ModelTag {
        scry_core::Embedder::model(&self.inner)
    }

    fn embed(&mut self, texts: &[&str]) -> scry_core::Result<Vec<Vec<f32>>> {
        let [text] = texts else {
            return self.inner.embed(texts);
        };
        if let Some(i) = self.recent.iter().position(|(t, _)| t == text) {
            let hit = self.recent.remove(i);
            let v = hit.1.clone();
            self.recent.push(hit);
            return Ok(vec![v]);
        }
        let out = self.inner.embed(texts)?;
        if let Some(v) = out.first() {
            if self.recent.len() == RECENT_QUERIES {
                self.recent.remove(0);
            }
            self.recent.push(((*text).to_owned(), v.clone()));
        }
        Ok(out)
    }
}

#[wasm_bindgen]
impl TextModel {
    /// Loads model `id` of the built-in manifest from the bytes of its `model.onnx` and
    /// `tokenizer.json`. A wrong, truncated or swapped file is a `MODEL_INTEGRITY` error; an
    /// unknown id `MODEL_UNKNOWN`. `batchSize` (default 32, 1..=1024) bounds texts per model run.
    pub fn load(
        id: &str,
        model_onnx: &[u8],
        tokenizer_json: &[u8],
        batch_size: Option<usize>,
    ) -> Result<TextModel, JsValue> {
        Self::load_with_manifest(BUILTIN_MANIFEST, id, model_onnx, tokenizer_json, batch_size)
    }

    /// [`TextModel::load`] for a text model of a manifest of the caller's own (the format of
    /// scry's `models/manifest.json`: a sentence-transformers style ONNX export with its
    /// `tokenizer.json`, its dims, token limit, pooling and the files' sizes and sha256). An
    /// invalid manifest is `MODEL_MANIFEST_INVALID`; a model scry cannot run `MODEL_UNSUPPORTED`.
    #[wasm_bindgen(js_name = loadWithManifest)]
    pub fn load_with_manifest(
        manifest: &str,
        id: &str,
        model_onnx: &[u8],
        tokenizer_json: &[u8],
        batch_size: Option<usize>,
    ) -> Result<TextModel, JsValue> {
        let manifest = ModelManifest::parse(manifest).map_err(ScryJsError::from)?;
        let spec = manifest.model(id).map_err(ScryJsError::from)?;
        let options = TextEmbedderOptions {
            batch_size: batch_size.unwrap_or(32),
            ..TextEmbedderOptions::default()
        };
        let inner = TextEmbedder::from_bytes_with(model_onnx, tokenizer_json, spec, &options)
            .map_err(ScryJsError::from)?;
        Ok(TextModel {
            inner,
            recent: Vec::new(),
        })
    }

    /// Embeds texts; returns their L2-normalised vectors one after another in one
    /// `Float32Array` (`texts.length × dims`). Blank texts are an `EMPTY_INPUT` error.
    pub fn embed(&self, texts: Vec<String>) -> Result<Vec<f32>, JsValue> {
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let vectors = self.inner.embed_texts(&refs).map_err(ScryJsError::from)?;
        Ok(vectors.concat())
    }

    /// Word pieces of `text` without truncation (for sizing inputs).
    #[wasm_bindgen(js_name = countTokens)]
    pub fn count_tokens(&self, text: &str) -> Result<usize, JsValue> {
        Ok(self.inner.count_tokens(text).map_err(ScryJsError::from)?)
    }

    /// Output dimension.
    #[wasm_bindgen(getter)]
    pub fn dims(&self) -> usize {
        scry_core::Embedder::model(&self.inner).dims
    }

    /// The model's id.
    #[wasm_bindgen(getter, js_name = modelId)]
    pub fn model_id(&self) -> String {
        scry_core::Embedder::model(&self.inner).id.clone()
    }

    /// sha256 of the model's manifest entry and files: what the index records for its vectors.
    #[wasm_bindgen(getter)]
    pub fn fingerprint(&self) -> String {
        scry_core::Embedder::model(&self.inner).fingerprint.clone()
    }
}

/// A CLIP-style image + text model (a vision tower, a text tower and their tokenizer) running
/// in this thread; its manifest comes with the model (`CLIP.md` documents the format).
#[wasm_bindgen]
pub struct ClipModel {
    inner: scry_embed::ClipEmbedder,
}

#[wasm_bindgen]
impl ClipModel {
    /// Loads model `id` of `manifest` (the model's own manifest JSON) from the bytes of its
    /// vision tower, text tower and `tokenizer.json`, each checked against the manifest (size
    /// and sha256): a wrong, truncated or swapped file is `MODEL_INTEGRITY`.
    pub fn load(
        manifest: &str,
        id: &str,
        vision_onnx: &[u8],
        text_onnx: &[u8],
        tokenizer_json: &[u8],
    ) -> Result<ClipModel, JsValue> {
        let manifest = ModelManifest::parse(manifest).map_err(ScryJsError::from)?;
        let spec = manifest.model(id).map_err(ScryJsError::from)?;
        let inner =
            scry_embed::ClipEmbedder::from_bytes(vision_onnx, text_onnx, tokenizer_json, spec)
                .map_err(ScryJsError::from)?;
        Ok(ClipModel { inner })
    }

    /// Embeds one image given as RGBA pixels (`width × height × 4` bytes, what a canvas's
    /// `getImageData` gives); returns its L2-normalised vector. A wrong size is `IMAGE_INVALID`.
    #[wasm_bindgen(js_name = embedImage)]
    pub fn embed_image(&self, rgba: &[u8], width: u32, height: u32) -> Result<Vec<f32>, JsValue> {
        let image = scry_embed::RgbaImage::new(width, height, rgba).map_err(ScryJsError::from)?;
        let mut out = self
            .inner
            .embed_images(&[image])
            .map_err(ScryJsError::from)?;
        Ok(out.pop().unwrap_or_default())
    }

    /// Embeds texts with the text tower; their vectors one after another (`texts.length ×
    /// dims`). Blank texts are an `EMPTY_INPUT` error.
    pub fn embed(&self, texts: Vec<String>) -> Result<Vec<f32>, JsValue> {
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let vectors = self.inner.embed_texts(&refs).map_err(ScryJsError::from)?;
        Ok(vectors.concat())
    }

    /// Output dimension.
    #[wasm_bindgen(getter)]
    pub fn dims(&self) -> usize {
        self.inner.dims()
    }

    /// The model's id.
    #[wasm_bindgen(getter, js_name = modelId)]
    pub fn model_id(&self) -> String {
        self.inner.tag().id.clone()
    }

    /// sha256 of the model's manifest entry and files: what the index records for its vectors.
    #[wasm_bindgen(getter)]
    pub fn fingerprint(&self) -> String {
        self.inner.tag().fingerprint.clone()
    }
}
