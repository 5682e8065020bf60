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

#[cfg(feature = "onnx")]
pub mod clip;
#[cfg(feature = "onnx")]
pub mod dequant;
pub mod error;
#[cfg(feature = "onnx")]
pub mod image;
pub mod manifest;
pub mod passages;
#[cfg(feature = "onnx")]
pub mod pooling;
#[cfg(feature = "onnx")]
mod qmatmul;
#[cfg(feature = "onnx")]
mod softmax;
#[cfg(feature = "onnx")]
pub mod text;
#[cfg(all(feature = "onnx", target_arch = "wasm32", target_feature = "simd128"))]
mod wasm_mmm;

#[cfg(feature = "onnx")]
pub use clip::{ClipEmbedder, ClipEmbedderOptions};
#[cfg(feature = "onnx")]
pub use dequant::{RewriteStats, rewrite_model};
pub use error::{EmbedError, Result};
#[cfg(feature = "onnx")]
pub use image::{ImagePreprocessor, RgbaImage};
#[cfg(any(not(target_arch = "wasm32"), target_os = "wasi"))]
pub use manifest::VerifiedTextModel;
pub use manifest::{FileSpec, ImageSpec, ModelManifest, ModelSpec};
pub use passages::{Passage, TokenSpans, split_passages_with};
#[cfg(feature = "onnx")]
pub use pooling::Pooling;
#[cfg(feature = "onnx")]
pub use text::{TextEmbedder, TextEmbedderOptions};

/// Keeps scry's own tract kernels in the link (see `wasm_mmm`; nothing to do elsewhere). Called
/// before a model is optimised, which is when tract picks its kernels.
#[cfg(feature = "onnx")]
pub(crate) fn link_kernels() {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    wasm_mmm::link();
}

/// ONNX operators scry's model parser leaves out, natively and in the browser: FFT and spectral
/// windows, recurrent nets (and `Scan`), classic ML models, random generators, multinomial
/// sampling, image resampling and grid sampling, non-max suppression, depth/space shuffles.
/// Text and image encoders do not use them; leaving them out of the wasm build saves 0.37 MB of
/// gzip (`scripts/trim_tract.py` removes the same builders from tract-onnx there, so keep the two
/// lists in step). A model whose outputs need one is refused with
/// [`EmbedError::ModelUnsupported`] naming the operators.
pub const LEFT_OUT_OPS: &[&str] = &[
    "GridSample",
    "Resize",
    "NonMaxSuppression",
    "Multinomial",
    "DepthToSpace",
    "SpaceToDepth",
    "DFT",
    "STFT",
    "MelWeightMatrix",
    "BlackmanWindow",
    "HammingWindow",
    "HannWindow",
    "LinearRegressor",
    "LinearClassifier",
    "TreeEnsembleClassifier",
    "Normalizer",
    "CategoryMapper",
    "RandomUniform",
    "RandomUniformLike",
    "RandomNormal",
    "RandomNormalLike",
    "GRU",
    "LSTM",
    "RNN",
    "Scan",
];

/// tract's ONNX parser without [`LEFT_OUT_OPS`].
#[cfg(feature = "onnx")]
pub(crate) fn onnx_parser() -> tract_onnx::Onnx {
    let mut onnx = tract_onnx::onnx();
    onnx.op_register
        .0
        .retain(|op, _| !LEFT_OUT_OPS.contains(&op.as_str()));
    // scry's integer product (`qmatmul`), which the load-time rewrite writes into the graph.
    onnx.op_register.insert(qmatmul::OP_TYPE, qmatmul::build);
    onnx
}

/// Refuses a model whose outputs depend on operators the parser does not have, naming them
/// (tract would fail later, less directly). Call once the outputs are chosen: an unknown operator
/// on a branch no output needs is dropped by tract and does not matter.
#[cfg(feature = "onnx")]
pub(crate) fn check_ops(model: &tract_onnx::prelude::InferenceModel) -> Result<()> {
    use tract_onnx::tract_hir::ops::unimpl::UnimplementedOp;
    let order = model
        .eval_order()
        .map_err(|e| EmbedError::ModelLoad(format!("{e:#}")))?;
    let mut missing = std::collections::BTreeSet::new();
    for id in order {
        let node = model.node(id);
        if node.op_is::<UnimplementedOp>() {
            let name = node.op.name();
            let op = name
                .strip_prefix("Unimplemented(")
                .and_then(|n| n.strip_suffix(')'))
                .unwrap_or(&name);
            missing.insert(op.to_owned());
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = missing.into_iter().collect();
    Err(EmbedError::ModelUnsupported(format!(
        "the model uses ONNX operators scry does not run: {}",
        list.join(", ")
    )))
}

/// The repository's `models/manifest.json`, compiled in.
pub const BUILTIN_MANIFEST: &str = include_str!("../../../models/manifest.json");

/// Id of the default text model.
pub const DEFAULT_TEXT_MODEL: &str = "all-MiniLM-L6-v2-int8";

#[cfg(all(test, feature = "onnx"))]
mod tests {
    /// Every left-out operator is one tract registers (a misspelt name would leave it in).
    #[test]
    fn left_out_operators_are_tract_operators_and_are_removed() {
        let full = tract_onnx::onnx();
        let ours = super::onnx_parser();
        for op in super::LEFT_OUT_OPS {
            assert!(full.op_register.0.contains_key(*op), "{op}");
            assert!(!ours.op_register.0.contains_key(*op), "{op}");
        }
        assert_eq!(
            ours.op_register.0.len() + super::LEFT_OUT_OPS.len(),
            full.op_register.0.len() + 1 // scry's own ScryQMatMul
        );
    }
}
