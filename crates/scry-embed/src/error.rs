//! Errors of scry-embed, each with a stable `code()`.

/// Everything that can go wrong loading or running an embedding model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmbedError {
    /// The model manifest is not valid JSON or misses required fields.
    #[error("invalid model manifest: {0}")]
    ManifestInvalid(String),
    /// The manifest has no model with this id.
    #[error("no model {0:?} in the manifest")]
    UnknownModel(String),
    /// A model file is not where it should be (run `models/fetch.py`).
    #[error("model file {file} is missing at {path}")]
    FileMissing {
        /// File name from the manifest.
        file: String,
        /// Where it was looked for.
        path: String,
    },
    /// A model file's size or sha256 differs from the manifest (truncated, corrupt or wrong file).
    #[error(
        "model file {file} failed its integrity check: expected {expected_bytes} bytes with sha256 \
         {expected_sha256}, got {actual_bytes} bytes with sha256 {actual_sha256}"
    )]
    IntegrityMismatch {
        /// File name from the manifest.
        file: String,
        /// Byte count the manifest pins.
        expected_bytes: u64,
        /// Byte count found.
        actual_bytes: u64,
        /// sha256 the manifest pins (hex).
        expected_sha256: String,
        /// sha256 found (hex).
        actual_sha256: String,
    },
}

impl EmbedError {
    /// The stable, SCREAMING_CASE code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            EmbedError::ManifestInvalid(_) => "MODEL_MANIFEST_INVALID",
            EmbedError::UnknownModel(_) => "MODEL_UNKNOWN",
            EmbedError::FileMissing { .. } => "MODEL_FILE_MISSING",
            EmbedError::IntegrityMismatch { .. } => "MODEL_INTEGRITY",
        }
    }
}

/// Result alias for scry-embed.
pub type Result<T> = std::result::Result<T, EmbedError>;
