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
    /// The ONNX model could not be parsed, typed or optimised by tract (not an ONNX file, or an
    /// unsupported graph).
    #[error("cannot load the ONNX model: {0}")]
    ModelLoad(String),
    /// The model loads but does not fit what the manifest says (inputs, outputs, dimension,
    /// pooling).
    #[error("unsupported model: {0}")]
    ModelUnsupported(String),
    /// `tokenizer.json` could not be parsed or configured.
    #[error("cannot load the tokenizer: {0}")]
    TokenizerLoad(String),
    /// Tokenising an input failed.
    #[error("cannot tokenize input {index}: {reason}")]
    Tokenize {
        /// Position of the text in the caller's batch.
        index: usize,
        /// The tokenizer's message.
        reason: String,
    },
    /// Running the model failed.
    #[error("model inference failed: {0}")]
    Inference(String),
    /// A text to embed is empty or only whitespace (there is nothing to embed; a zero vector
    /// would silently match nothing).
    #[error("text {index} is empty or blank")]
    EmptyInput {
        /// Position of the text in the caller's batch.
        index: usize,
    },
    /// Pixels handed to the image preprocessing do not describe an image: a width or height of
    /// zero, or a buffer whose length is not `width × height × 4` (RGBA).
    #[error("invalid image: {0}")]
    ImageInvalid(String),
    /// An image file could not be decoded (corrupt or truncated data).
    #[error("cannot decode the image: {0}")]
    ImageDecode(String),
    /// An image file is in a format scry does not decode (only PNG and JPEG are; in browsers,
    /// decode with a canvas or `ImageBitmap` and pass the RGBA pixels).
    #[error("unsupported image format: {0}")]
    ImageUnsupported(String),
    /// A parameter is outside its documented range.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// The parameter's name as documented.
        name: &'static str,
        /// Why the value was rejected.
        reason: String,
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
            EmbedError::ModelLoad(_) => "MODEL_LOAD",
            EmbedError::ModelUnsupported(_) => "MODEL_UNSUPPORTED",
            EmbedError::TokenizerLoad(_) => "TOKENIZER_LOAD",
            EmbedError::Tokenize { .. } => "TOKENIZE",
            EmbedError::Inference(_) => "MODEL_INFERENCE",
            EmbedError::EmptyInput { .. } => "EMPTY_INPUT",
            EmbedError::InvalidParameter { .. } => "INVALID_PARAMETER",
            EmbedError::ImageInvalid(_) => "IMAGE_INVALID",
            EmbedError::ImageDecode(_) => "IMAGE_DECODE",
            EmbedError::ImageUnsupported(_) => "IMAGE_UNSUPPORTED",
        }
    }

    /// As scry-core's error, for an `Embedder`: `INVALID_INPUT` naming this error and its code.
    pub fn into_core(self) -> scry_core::CoreError {
        scry_core::CoreError::InvalidInput(format!("{self} [{}]", self.code()))
    }
}

/// Result alias for scry-embed.
pub type Result<T> = std::result::Result<T, EmbedError>;
