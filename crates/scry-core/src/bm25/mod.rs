//! BM25 full-text scoring over an inverted index.

mod index;
mod params;

pub use index::{Bm25Index, Field};
pub use params::Bm25Params;
