//! Vectors: int8 quantisation, SIMD-friendly distances, exact (flat) and HNSW segments.

pub mod distance;
pub mod flat;
pub mod graph;
mod params;
pub mod quantize;
pub mod segment;
pub mod synthetic;

pub use flat::{FlatVectors, Precision, ScanQuery, TopK};
pub use params::{HnswParams, Metric, VectorParams};
pub use segment::{VectorQuery, VectorScratch, VectorSegment, check_vector};
