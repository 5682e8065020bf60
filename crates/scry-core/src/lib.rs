//! scry-core: the search engine behind scry — text analysis, BM25 ranking and snippets.
//!
//! Pure Rust with no browser or GPU dependencies; it builds and tests natively and in wasm.
//!
//! ```
//! use scry_core::{Document, Engine, EngineConfig, SearchOptions};
//!
//! let mut engine = Engine::new(EngineConfig::default())?;
//! engine.add(Document {
//!     id: "fs".into(),
//!     title: "File system".into(),
//!     body: "Read and write files with fs.readFile.".into(),
//!     url: None,
//! })?;
//! let hits = engine.search("write files", &SearchOptions::default())?;
//! assert_eq!(hits[0].id, "fs");
//! # Ok::<(), scry_core::CoreError>(())
//! ```

pub mod bm25;
pub mod embed;
pub mod engine;
pub mod error;
pub mod snippet;
pub mod text;

pub use embed::{Embedder, HashEmbedder, ModelTag};
pub use engine::{Document, Engine, EngineConfig, Hit, SearchOptions};
pub use error::{CoreError, Result};
pub use snippet::Snippet;
