//! scry-core: the search engine behind scry — text analysis, BM25, int8 vectors with HNSW
//! segments, hybrid fusion, filters, diversity, snippets and the persistence format.
//!
//! Pure Rust with no browser, GPU or model dependencies: it builds and tests natively and in wasm.
//!
//! ```
//! use scry_core::{Document, Engine, EngineConfig, HashEmbedder, SearchOptions};
//!
//! let mut engine = Engine::new(EngineConfig::default())?;
//! let mut embedder = HashEmbedder::new(64)?; // any `Embedder`: scry-embed provides MiniLM
//! engine.add_embedded(
//!     vec![
//!         Document::new("fs", "File system", "Read and write files with fs.readFile."),
//!         Document::new("net", "Net", "TCP servers and sockets."),
//!     ],
//!     &mut embedder,
//! )?;
//! let hits = engine.search_embedded("writing files", &mut embedder, &SearchOptions::top(5))?;
//! assert_eq!(hits[0].id, "fs");
//! # Ok::<(), scry_core::CoreError>(())
//! ```

pub mod bm25;
pub mod codec;
pub mod diversify;
pub mod document;
pub mod embed;
pub mod engine;
pub mod error;
pub(crate) mod fasthash;
// Native, and WASI (the CLI compiled for Node.js without Rust, `npx scry`).
#[cfg(any(not(target_arch = "wasm32"), target_os = "wasi"))]
pub mod file_storage;
pub mod filter;
pub mod hybrid;
pub mod manifest;
pub mod migrate;
pub mod passage;
mod recover;
pub mod results;
pub mod segment;
pub mod snippet;
pub mod static_index;
pub mod storage;
pub mod suggest;
pub mod text;
pub mod vector;

pub use document::{Document, MetaValue};
pub use embed::{Embedder, HashEmbedder, ModelTag};
pub use engine::{
    CommitInfo, Engine, EngineConfig, FlatCandidates, FlatSegment, Hit, MergeOutput, MergeTask,
    Mode, Results, Retrieved, Scratch, SearchOptions,
};
pub use error::{CoreError, Result};
pub use filter::Filter;
pub use migrate::{MigrationProgress, ModelMigration};
pub use results::{Facet, Sort};
pub use snippet::Snippet;
pub use static_index::{ExportParams, StaticBundle, StaticFile};
pub use storage::{Batch, MemoryStorage, Storage};
pub use suggest::{SuggestParams, Suggestion};
