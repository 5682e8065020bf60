//! scry-embed: embedding models for scry — the model manifest and integrity checks, the
//! tract-onnx text encoder ([`TextEmbedder`]) and passage splitting for long documents.
//!
//! ```
//! let manifest = scry_embed::ModelManifest::parse(scry_embed::BUILTIN_MANIFEST)?;
//! let model = manifest.model(scry_embed::DEFAULT_TEXT_MODEL)?;
//! assert_eq!(model.dims, 384);
//! # Ok::<(), scry_embed::EmbedError>(())
//! ```
//!
//! Embedding text (native; in browsers fetch the two files and use
//! [`TextEmbedder::from_bytes`]):
//!
//! ```no_run
//! # #[cfg(not(target_arch = "wasm32"))] {
//! use scry_core::Embedder;
//! use scry_embed::{BUILTIN_MANIFEST, DEFAULT_TEXT_MODEL, ModelManifest, TextEmbedder};
//!
//! let manifest = ModelManifest::parse(BUILTIN_MANIFEST)?;
//! let spec = manifest.model(DEFAULT_TEXT_MODEL)?;
//! let mut embedder = TextEmbedder::from_dir("models/cache/all-MiniLM-L6-v2-int8", spec)?;
//! let v = embedder.embed(&["How do I read a file line by line?"]).map_err(|e| {
//!     scry_embed::EmbedError::Inference(e.to_string())
//! })?;
//! assert_eq!(v[0].len(), 384);
//! # }
//! # Ok::<(), scry_embed::EmbedError>(())
//! ```
//!
//! Images and texts in one space: [`ClipEmbedder`] runs a CLIP-style dual encoder (vision and
//! text ONNX towers, see `CLIP.md` for the export format), preprocessing RGBA pixels
//! ([`RgbaImage`]) exactly as CLIP's Python reference does ([`image`]).

pub mod clip;
pub mod dequant;
pub mod error;
pub mod image;
pub mod manifest;
pub mod passages;
pub mod pooling;
pub mod text;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm_mmm;

pub use clip::{ClipEmbedder, ClipEmbedderOptions};
pub use dequant::{RewriteStats, rewrite_model};
pub use error::{EmbedError, Result};
pub use image::{ImagePreprocessor, RgbaImage};
pub use manifest::{FileSpec, ImageSpec, ModelManifest, ModelSpec};
pub use passages::{Passage, TokenSpans, split_passages_with};
pub use pooling::Pooling;
pub use text::{TextEmbedder, TextEmbedderOptions};

/// Keeps scry's own tract kernels in the link (see `wasm_mmm`; nothing to do elsewhere). Called
/// before a model is optimised, which is when tract picks its kernels.
pub(crate) fn link_kernels() {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    wasm_mmm::link();
}

/// The repository's `models/manifest.json`, compiled in.
pub const BUILTIN_MANIFEST: &str = include_str!("../../../models/manifest.json");

/// Id of the default text model.
pub const DEFAULT_TEXT_MODEL: &str = "all-MiniLM-L6-v2-int8";
