//! Compute kernels; each builds its pipelines once and records into a caller's encoder.

mod dot;
pub mod kmeans;
pub mod search;

pub use dot::DotKernel;
pub use kmeans::{KMeansKernel, KMeansResult};
pub use search::{MAX_K, SearchKernels, Workgroups};
