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
    /// What the model does (`text-embedding`, `image-text-embedding`).
    pub task: String,
    /// Output dimension.
    pub dims: usize,
    /// Pooling over token outputs (`mean`, `cls`).
    pub pooling: String,
    /// Whether outputs are L2-normalised.
    pub normalize: bool,
    /// Longest input in model tokens.
    pub max_tokens: usize,
    /// Licence of the weights (SPDX).
    pub licence: String,
    /// The files the model needs.
    pub files: Vec<FileSpec>,
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
    #[cfg(not(target_arch = "wasm32"))]
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
