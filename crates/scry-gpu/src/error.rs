//! Errors of scry-gpu, each with a stable `code()`.

/// Everything that can go wrong on the GPU path. Callers fall back to the CPU on any of them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GpuError {
    /// No GPU adapter is available (no WebGPU, no Vulkan driver, or it is disabled).
    #[error("no GPU adapter available: {0}")]
    Unavailable(String),
    /// The adapter refused to create a device with the limits we need.
    #[error("could not create a GPU device: {0}")]
    DeviceFailed(String),
    /// The device was lost (driver reset, tab backgrounded, forced loss).
    #[error("the GPU device was lost: {0}")]
    DeviceLost(String),
    /// Reading results back from the GPU failed.
    #[error("reading GPU results failed: {0}")]
    Readback(String),
    /// The inputs do not fit the kernel (dimension mismatch, empty, too large).
    #[error("invalid GPU kernel input: {0}")]
    InvalidInput(String),
}

impl GpuError {
    /// The stable, SCREAMING_CASE code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            GpuError::Unavailable(_) => "GPU_UNAVAILABLE",
            GpuError::DeviceFailed(_) => "GPU_DEVICE_FAILED",
            GpuError::DeviceLost(_) => "GPU_DEVICE_LOST",
            GpuError::Readback(_) => "GPU_READBACK_FAILED",
            GpuError::InvalidInput(_) => "INVALID_INPUT",
        }
    }
}

/// Result alias for scry-gpu.
pub type Result<T> = std::result::Result<T, GpuError>;
