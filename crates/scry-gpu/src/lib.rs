//! scry-gpu: similarity scoring in WGSL compute shaders through wgpu — WebGPU in the browser,
//! Vulkan natively. Every operation has an exact CPU counterpart in scry-core.
//!
//! ```no_run
//! # async fn demo() -> Result<(), scry_gpu::GpuError> {
//! let ctx = scry_gpu::GpuContext::new().await?;
//! let kernel = scry_gpu::DotKernel::new(&ctx);
//! let scores = kernel.scores(&ctx, &[1.0, 0.0], &[0.5, 0.5, 1.0, 0.0]).await?;
//! assert_eq!(scores, vec![0.5, 1.0]);
//! # Ok(()) }
//! ```

pub mod backend;
mod context;
pub mod engine_scan;
pub mod error;
pub mod kernels;
pub mod vectors;

pub use backend::{Backend, Scanner, Used};
pub use context::{AdapterSummary, GpuContext};
pub use engine_scan::EngineScan;
pub use error::{GpuError, Result};
pub use kernels::{DotKernel, KMeansKernel, KMeansResult, MAX_K, Workgroups};
pub use vectors::{GpuOptions, GpuVectors, PendingSearch};
