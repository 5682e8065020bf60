//! BM25 full-text search: per-field compressed inverted indexes, query expansion (prefix, typos)
//! and BM25F / per-field scoring across segments.

pub mod dict;
pub mod field;
mod params;
pub mod query;
pub mod scorer;
pub mod segment;

pub use params::{Bm25Params, FieldScoring};
pub use query::{TermGroup, TextQuery, build_query};
pub use scorer::{ScoredSegment, TextScratch, ceiling, score};
pub use segment::{FIELD_COUNT, Field, FieldTexts, TextSegment, TextSegmentBuilder};
