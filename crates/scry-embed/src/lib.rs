//! scry-embed: embedding models for scry — the model manifest and integrity checks, and
//! (as they land) the tract-onnx text and CLIP-style image encoders.
//!
//! ```
//! let manifest = scry_embed::ModelManifest::parse(scry_embed::BUILTIN_MANIFEST)?;
//! let model = manifest.model(scry_embed::DEFAULT_TEXT_MODEL)?;
//! assert_eq!(model.dims, 384);
//! # Ok::<(), scry_embed::EmbedError>(())
//! ```

pub mod error;
pub mod manifest;

pub use error::{EmbedError, Result};
pub use manifest::{FileSpec, ModelManifest, ModelSpec};

/// The repository's `models/manifest.json`, compiled in.
pub const BUILTIN_MANIFEST: &str = include_str!("../../../models/manifest.json");

/// Id of the default text model.
pub const DEFAULT_TEXT_MODEL: &str = "all-MiniLM-L6-v2-int8";
