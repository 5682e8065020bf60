//! Compute kernels; each builds its pipeline once and records into a caller's encoder.

mod dot;

pub use dot::DotKernel;
