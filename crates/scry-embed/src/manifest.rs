//! The model manifest (`models/manifest.json`): what each model is and the exact bytes of its files.

use sha2::{Digest, Sha256};

use crate::error::{EmbedError, Result};

/// The whole manifest.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct ModelManifest {
    /// Manifest format version (currently 1).
    pub format: u32,
    /// Every model known to this build.
    pub models: Vec<ModelSpec>,
}

/// One model.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct ModelSpec {
    /// Stable id; vectors are tagged with it.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// What the model does (`text-embedding`; `image-text` for a CLIP-style image and text
    /// dual encoder, see `crates/scry-embed/CLIP.md`).
    pub task: String,
    /// Output dimension.
    pub dims: usize,
    /// Pooling over token outputs (`mean`, `cls`; `eos` for CLIP text towers, which pool the
    /// end-of-text token inside the graph).
    pub pooling: String,
    /// Whether outputs are L2-normalised.
    pub normalize: bool,
    /// Longest input in model tokens.
    pub max_tokens: usize,
    /// Licence of the weights (SPDX).
    pub licence: String,
    /// The files the model needs.
    pub files: Vec<FileSpec>,
    /// How images are preprocessed, for image-text (CLIP-style) models; absent for text models.
    #[serde(default)]
    pub image: Option<ImageSpec>,
}

/// Image preprocessing of an image-text model (CLIP's: resize the shortest side to `size` with
/// bicubic interpolation, centre crop `crop_size` × `crop_size`, scale to `[0, 1]`, normalise
/// each channel with `mean` and `std`). See [`crate::image::ImagePreprocessor`].
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct ImageSpec {
    /// Length in pixels of the shortest side after resizing (CLIP ViT-B/32: 224). Range 1..=4096.
    pub size: u32,
    /// Side of the square centre crop; absent means `size`. Range 1..=`size`.
    #[serde(default)]
    pub crop_size: Option<u32>,
    /// Per-channel (R, G, B) mean subtracted after scaling to `[0, 1]`.
    pub mean: [f32; 3],
    /// Per-channel (R, G, B) standard deviation divided by after subtracting the mean (> 0).
    pub std: [f32; 3],
    /// How the image is resized: `shortest` (the shortest side becomes `size`, aspect ratio kept,
    /// as torchvision's `Resize(size)`); the only mode supported.
    pub resize: String,
    /// How the square is cut out: `center` (torchvision's `CenterCrop`); the only mode supported.
    pub crop: String,
    /// Resampling filter: `bicubic` (Pillow's `Image.BICUBIC`); the only filter supported.
    pub interpolation: String,
}

impl ImageSpec {
    /// Side of the square the model sees (`crop_size`, or `size` when absent).
    pub fn crop_side(&self) -> u32 {
        self.crop_size.unwrap_or(self.size)
    }

    fn check(&self) -> std::result::Result<(), String> {
        if !(1..=4096).contains(&self.size) {
            return Err(format!("image size {} is not in 1..=4096", self.size));
        }
        let crop = self.crop_side();
        if crop == 0 || crop > self.size {
            return Err(format!(
                "image crop_size {crop} is not in 1..={}",
                self.size
            ));
        }
        if self.mean.iter().any(|m| !m.is_finite()) {
            return Err("image mean is not finite".into());
        }
        if self.std.iter().any(|s| !s.is_finite() || *s <= 0.0) {
            return Err("image std must be finite and positive".into());
        }
        Ok(())
    }
}

/// One file of a model, pinned by size and sha256.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct FileSpec {
    /// File name (also its name in the cache folder).
    pub name: String,
    /// Where it comes from (`package==version` on PyPI).
    pub source: String,
    /// Path of the file inside the source package.
    pub path: String,
    /// Expected sha256, lower-case hex.
    pub sha256: String,
    /// Expected size in bytes.
    pub bytes: u64,
    /// What the file is in a model of several files: `vision` (image encoder), `text` (text
    /// encoder), `tokenizer`. Absent for text models, whose files are found by name; an
    /// image-text model without roles uses the names `vision_model.onnx`, `text_model.onnx` and
    /// `tokenizer.json`.
    #[serde(default)]
    pub role: Option<String>,
}

impl ModelManifest {
    /// Parses and sanity-checks a manifest.
    pub fn parse(json: &str) -> Result<Self> {
        let m: ModelManifest =
            serde_json::from_str(json).map_err(|e| EmbedError::ManifestInvalid(e.to_string()))?;
        if m.format != 1 {
            return Err(EmbedError::ManifestInvalid(format!(
                "format {} is not supported (expected 1)",
                m.format
            )));
        }
        for model in &m.models {
            if model.dims == 0 {
                return Err(EmbedError::ManifestInvalid(format!(
                    "{}: dims is 0",
                    model.id
                )));
            }
            if let Some(image) = &model.image {
                image
                    .check()
                    .map_err(|e| EmbedError::ManifestInvalid(format!("{}: {e}", model.id)))?;
            }
            for f in &model.files {
                if f.sha256.len() != 64 || !f.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(EmbedError::ManifestInvalid(format!(
                        "{}/{}: sha256 is not 64 hex digits",
                        model.id, f.name
                    )));
                }
            }
        }
        Ok(m)
    }

    /// The model with this id.
    pub fn model(&self, id: &str) -> Result<&ModelSpec> {
        self.models
            .iter()
            .find(|m| m.id == id)
            .ok_or_else(|| EmbedError::UnknownModel(id.to_owned()))
    }
}

impl ModelSpec {
    /// The manifest's entry for file `name` of this model (`ManifestInvalid` if it has none).
    pub fn file(&self, name: &str) -> Result<&FileSpec> {
        self.files.iter().find(|f| f.name == name).ok_or_else(|| {
            EmbedError::ManifestInvalid(format!("model {} has no file {name}", self.id))
        })
    }

    /// sha256 over what decides the vectors (the `ModelTag` fingerprint): id, dims, pooling,
    /// normalisation, the token limit, the image preprocessing and every file's pinned hash.
    pub fn fingerprint(&self, max_tokens: usize) -> String {
        let mut h = Sha256::new();
        h.update(format!(
            "{}\n{}\n{}\n{}\n{}\n",
            self.id, self.dims, self.pooling, self.normalize, max_tokens
        ));
        if let Some(image) = &self.image {
            h.update(format!(
                "image {} {} {:?} {:?} {} {} {}\n",
                image.size,
                image.crop_side(),
                image.mean,
                image.std,
                image.resize,
                image.crop,
                image.interpolation
            ));
        }
        for f in &self.files {
            h.update(format!("{}:{}\n", f.name, f.sha256.to_ascii_lowercase()));
        }
        hex::encode(h.finalize())
    }

    /// The file playing `role` (`vision`, `text`, `tokenizer`): the one whose `role` says so, or
    /// else the file without a role named `default_name`. None is `MODEL_MANIFEST_INVALID`.
    pub fn file_for_role(&self, role: &str, default_name: &str) -> Result<&FileSpec> {
        self.files
            .iter()
            .find(|f| f.role.as_deref() == Some(role))
            .or_else(|| {
                self.files
                    .iter()
                    .find(|f| f.role.is_none() && f.name == default_name)
            })
            .ok_or_else(|| {
                EmbedError::ManifestInvalid(format!(
                    "model {} has no {role} file (one with \"role\": \"{role}\", or named \
                     {default_name})",
                    self.id
                ))
            })
    }
}

impl FileSpec {
    /// Checks `bytes` against the pinned size and sha256.
    pub fn verify(&self, bytes: &[u8]) -> Result<()> {
        let actual = hex::encode(Sha256::digest(bytes));
        if bytes.len() as u64 != self.bytes || !actual.eq_ignore_ascii_case(&self.sha256) {
            return Err(EmbedError::IntegrityMismatch {
                file: self.name.clone(),
                expected_bytes: self.bytes,
                actual_bytes: bytes.len() as u64,
                expected_sha256: self.sha256.clone(),
                actual_sha256: actual,
            });
        }
        Ok(())
    }

    /// Reads `dir/<name>` and verifies it (native only; browsers fetch bytes themselves).
    #[cfg(any(not(target_arch = "wasm32"), target_os = "wasi"))]
    pub fn read_verified(&self, dir: &std::path::Path) -> Result<Vec<u8>> {
        let path = dir.join(&self.name);
        let bytes = std::fs::read(&path).map_err(|e| EmbedError::FileMissing {
            file: self.name.clone(),
            path: format!("{} ({e})", path.display()),
        })?;
        self.verify(&bytes)?;
        Ok(bytes)
    }
}

/// A text model's `model.onnx` and `tokenizer.json` read from a folder and checked against the
/// manifest, with the tag of the vectors it makes (at the model's own token limit): what
/// [`TextEmbedder::from_dir`](crate::TextEmbedder) loads, and all that a caller embedding
/// elsewhere needs (the CLI compiled for WASI, which the npm package embeds for).
#[cfg(any(not(target_arch = "wasm32"), target_os = "wasi"))]
#[derive(Debug, Clone)]
pub struct VerifiedTextModel {
    /// The model's id, dimensions and fingerprint.
    pub tag: scry_core::ModelTag,
    /// The bytes of `model.onnx`, as pinned.
    pub model_onnx: Vec<u8>,
    /// The bytes of `tokenizer.json`, as pinned.
    pub tokenizer_json: Vec<u8>,
}

#[cfg(any(not(target_arch = "wasm32"), target_os = "wasi"))]
impl VerifiedTextModel {
    /// Reads and verifies text model `spec`'s files in `dir` (`FileMissing`,
    /// `IntegrityMismatch`); loads nothing.
    pub fn read(dir: &std::path::Path, spec: &ModelSpec) -> Result<Self> {
        let model_onnx = spec.file("model.onnx")?.read_verified(dir)?;
        let tokenizer_json = spec.file("tokenizer.json")?.read_verified(dir)?;
        Ok(Self {
            tag: scry_core::ModelTag {
                id: spec.id.clone(),
                dims: spec.dims,
                fingerprint: spec.fingerprint(spec.max_tokens),
            },
            model_onnx,
            tokenizer_json,
        })
    }
}
