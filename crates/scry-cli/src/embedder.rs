//! The CLI's text model. Built with the `onnx` feature (the native CLI): scry-embed's ONNX
//! encoder. Without it (the CLI compiled for WASI, the npm package's `npx scry`): the files are
//! read and checked against the manifest here, and the model runs in the npm package's own wasm
//! build, through the functions its launcher gives the module (`scry_host`,
//! `web/packages/scry/bin/wasi-run.mjs`). The package's build and scry-embed run the same code,
//! so the vectors are the same; the WASI module leaves out tract and tokenizers (21 MB of wasm).
//! There the model is loaded by the first embedding: a run that only needs the model's tag
//! (`scry index --embed-plan`, `--embedded`) reads and checks the files, no more.

use std::path::Path;

use scry_core::{Embedder, ModelTag};
#[cfg(not(feature = "onnx"))]
use scry_embed::VerifiedTextModel;
use scry_embed::{BUILTIN_MANIFEST, DEFAULT_TEXT_MODEL, EmbedError, ModelManifest};

/// The default text model of the built-in manifest, from the files in a folder.
pub struct CliEmbedder {
    tag: ModelTag,
    inner: Inner,
}

/// Loaded when opened (errors as scry-embed gives them, at once).
#[cfg(feature = "onnx")]
struct Inner(scry_embed::TextEmbedder);

/// The checked files until the first embedding loads them in the host (then dropped).
#[cfg(not(feature = "onnx"))]
struct Inner {
    files: std::sync::Mutex<Option<VerifiedTextModel>>,
    handle: std::sync::OnceLock<Result<i32, EmbedError>>,
}

impl CliEmbedder {
    /// Reads `dir/model.onnx` and `dir/tokenizer.json` and checks them against the manifest
    /// (`MODEL_FILE_MISSING`, `MODEL_INTEGRITY`); natively also loads the model.
    pub fn open(dir: &Path) -> Result<Self, EmbedError> {
        let manifest = ModelManifest::parse(BUILTIN_MANIFEST)?;
        let spec = manifest.model(DEFAULT_TEXT_MODEL)?;
        #[cfg(feature = "onnx")]
        {
            let embedder = scry_embed::TextEmbedder::from_dir(dir, spec)?;
            Ok(Self {
                tag: Embedder::model(&embedder).clone(),
                inner: Inner(embedder),
            })
        }
        #[cfg(not(feature = "onnx"))]
        {
            let files = VerifiedTextModel::read(dir, spec)?;
            Ok(Self {
                tag: files.tag.clone(),
                inner: Inner {
                    files: std::sync::Mutex::new(Some(files)),
                    handle: std::sync::OnceLock::new(),
                },
            })
        }
    }

    /// The model's id, dimensions and fingerprint.
    pub fn tag(&self) -> &ModelTag {
        &self.tag
    }

    /// One L2-normalised vector per text, in order; an empty or blank text is `EMPTY_INPUT`.
    pub fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        #[cfg(feature = "onnx")]
        {
            self.inner.0.embed_texts(texts)
        }
        #[cfg(not(feature = "onnx"))]
        {
            if let Some(index) = texts.iter().position(|t| t.trim().is_empty()) {
                return Err(EmbedError::EmptyInput { index });
            }
            let handle = self
                .inner
                .handle
                .get_or_init(|| {
                    let files = self
                        .inner
                        .files
                        .lock()
                        .map_err(|_| EmbedError::ModelLoad("a thread loading it failed".into()))?
                        .take()
                        .ok_or_else(|| EmbedError::ModelLoad("the model files are gone".into()))?;
                    host::load(&files)
                })
                .clone()?;
            host::embed(handle, texts, self.tag.dims)
        }
    }
}

impl Embedder for CliEmbedder {
    fn model(&self) -> &ModelTag {
        self.tag()
    }

    fn embed(&mut self, texts: &[&str]) -> scry_core::Result<Vec<Vec<f32>>> {
        self.embed_texts(texts).map_err(EmbedError::into_core)
    }
}

/// The npm package's model, through its launcher (WASI only).
#[cfg(all(not(feature = "onnx"), target_os = "wasi"))]
#[allow(unsafe_code)]
mod host {
    use scry_embed::{EmbedError, VerifiedTextModel};

    #[link(wasm_import_module = "scry_host")]
    unsafe extern "C" {
        /// Loads a text model of the built-in manifest from its two files; a handle ≥ 0, or
        /// -1 (then `last_error`).
        #[link_name = "text_model"]
        fn host_text_model(
            id: *const u8,
            id_len: usize,
            model: *const u8,
            model_len: usize,
            tokenizer: *const u8,
            tokenizer_len: usize,
        ) -> i32;
        /// Embeds the JSON array of strings at `texts` with model `model`, writing exactly
        /// `out_len` floats (texts × dims) to `out`; 0, or -1 (then `last_error`).
        #[link_name = "embed"]
        fn host_embed(
            model: i32,
            texts: *const u8,
            texts_len: usize,
            out: *mut f32,
            out_len: usize,
        ) -> i32;
        /// Copies the last error's message (UTF-8, at most `cap` bytes) to `out`; its length.
        #[link_name = "last_error"]
        fn host_last_error(out: *mut u8, cap: usize) -> usize;
    }

    pub(super) fn load(files: &VerifiedTextModel) -> Result<i32, EmbedError> {
        let id = files.tag.id.as_bytes();
        // SAFETY: the host only reads the three byte ranges, during the call.
        let handle = unsafe {
            host_text_model(
                id.as_ptr(),
                id.len(),
                files.model_onnx.as_ptr(),
                files.model_onnx.len(),
                files.tokenizer_json.as_ptr(),
                files.tokenizer_json.len(),
            )
        };
        if handle < 0 { Err(error()) } else { Ok(handle) }
    }

    pub(super) fn embed(
        model: i32,
        texts: &[&str],
        dims: usize,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let json =
            serde_json::to_string(texts).map_err(|e| EmbedError::Inference(e.to_string()))?;
        let mut out = vec![0.0f32; texts.len() * dims];
        // SAFETY: the host reads `json` and writes at most `out.len()` floats into `out`, during
        // the call.
        let rc = unsafe {
            host_embed(
                model,
                json.as_ptr(),
                json.len(),
                out.as_mut_ptr(),
                out.len(),
            )
        };
        if rc != 0 {
            return Err(error());
        }
        Ok(out.chunks(dims).map(<[f32]>::to_vec).collect())
    }

    /// The host's last error (`CODE: message`, the package's `ScryError`), as the error of
    /// scry-embed with that code where there is one.
    fn error() -> EmbedError {
        let mut buf = vec![0u8; 4096];
        // SAFETY: the host writes at most `buf.len()` bytes into `buf`, during the call.
        let n = unsafe { host_last_error(buf.as_mut_ptr(), buf.len()) };
        buf.truncate(n.min(4096));
        let text = String::from_utf8_lossy(&buf).into_owned();
        let (code, message) = text.split_once(": ").unwrap_or(("", &text));
        let message = message.to_owned();
        match code {
            "MODEL_LOAD" => EmbedError::ModelLoad(message),
            "MODEL_UNSUPPORTED" => EmbedError::ModelUnsupported(message),
            "TOKENIZER_LOAD" => EmbedError::TokenizerLoad(message),
            "MODEL_MANIFEST_INVALID" => EmbedError::ManifestInvalid(message),
            "MODEL_UNKNOWN" => EmbedError::UnknownModel(message),
            _ => EmbedError::Inference(text),
        }
    }
}

/// Built without the ONNX encoder and not for WASI: nothing can run the model.
#[cfg(all(not(feature = "onnx"), not(target_os = "wasi")))]
mod host {
    use scry_embed::{EmbedError, VerifiedTextModel};

    pub(super) fn load(_: &VerifiedTextModel) -> Result<i32, EmbedError> {
        Err(EmbedError::ModelUnsupported(
            "this scry was built without its ONNX encoder (the `onnx` feature)".into(),
        ))
    }

    pub(super) fn embed(_: i32, _: &[&str], _: usize) -> Result<Vec<Vec<f32>>, EmbedError> {
        Err(EmbedError::ModelUnsupported(
            "this scry was built without its ONNX encoder (the `onnx` feature)".into(),
        ))
    }
}
