//! The GPU context: one adapter, device and queue, created once and shared by all kernels.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::error::{GpuError, Result};
use crate::kernels::search::{KernelKey, SearchKernels};

/// What the adapter is, for display and for choosing a backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterSummary {
    /// Adapter name as the driver reports it (e.g. "llvmpipe", "SwiftShader", "NVIDIA H100").
    pub name: String,
    /// Backend in use ("Vulkan", "BrowserWebGpu", ...).
    pub backend: String,
    /// Device type ("Cpu", "DiscreteGpu", ...); `Cpu` means a software rasteriser.
    pub device_type: String,
    /// Largest storage buffer binding the device accepts, in bytes.
    pub max_storage_binding: u64,
    /// Largest buffer the device accepts, in bytes.
    pub max_buffer: u64,
}

impl AdapterSummary {
    /// True for software rasterisers (lavapipe, SwiftShader, WARP): scoring there is CPU work
    /// with extra steps, so `auto` never prefers it.
    pub fn is_software(&self) -> bool {
        self.device_type == "Cpu"
    }
}

/// A device and queue, plus what adapter they came from.
#[derive(Debug)]
pub struct GpuContext {
    pub(crate) device: wgpu::Device,
    pub(crate) queue: wgpu::Queue,
    summary: AdapterSummary,
    max_invocations: u32,
    /// The first uncaptured error or loss reported by the device; once set, every operation
    /// fails with it and callers fall back to the CPU.
    failure: Arc<Mutex<Option<GpuError>>>,
    /// Search pipelines compiled so far, shared by collections of the same shape.
    kernels: Mutex<HashMap<KernelKey, Arc<SearchKernels>>>,
}

impl GpuContext {
    /// Finds an adapter (WebGPU in browsers, Vulkan natively) and opens a device with the
    /// adapter's own limits. Never blocks the browser's thread.
    pub async fn new() -> Result<Self> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle());
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            })
            .await
            .map_err(|e| GpuError::Unavailable(e.to_string()))?;
        let info = adapter.get_info();
        let limits = adapter.limits();
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("scry"),
                required_features: wgpu::Features::empty(),
                required_limits: limits.clone(),
                ..Default::default()
            })
            .await
            .map_err(|e| GpuError::DeviceFailed(e.to_string()))?;
        let failure: Arc<Mutex<Option<GpuError>>> = Arc::default();
        let slot = Arc::clone(&failure);
        device.set_device_lost_callback(move |reason, message| {
            record(
                &slot,
                GpuError::DeviceLost(format!("{reason:?}: {message}")),
            );
        });
        let slot = Arc::clone(&failure);
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            let err = match e {
                wgpu::Error::OutOfMemory { .. } => {
                    GpuError::DeviceLost(format!("out of memory: {e}"))
                }
                _ => GpuError::DeviceFailed(e.to_string()),
            };
            record(&slot, err);
        }));
        Ok(Self {
            kernels: Mutex::default(),
            max_invocations: limits.max_compute_invocations_per_workgroup,
            failure,
            device,
            queue,
            summary: AdapterSummary {
                name: info.name,
                backend: format!("{:?}", info.backend),
                device_type: format!("{:?}", info.device_type),
                max_storage_binding: limits.max_storage_buffer_binding_size,
                max_buffer: limits.max_buffer_size,
            },
        })
    }

    /// The adapter behind this context.
    pub fn adapter(&self) -> &AdapterSummary {
        &self.summary
    }

    /// Most invocations per workgroup the device allows.
    pub(crate) fn max_invocations(&self) -> u32 {
        self.max_invocations
    }

    pub(crate) fn cached_kernels(&self, key: KernelKey) -> Option<Arc<SearchKernels>> {
        self.kernels.lock().ok()?.get(&key).cloned()
    }

    pub(crate) fn cache_kernels(&self, key: KernelKey, kernels: Arc<SearchKernels>) {
        if let Ok(mut map) = self.kernels.lock() {
            map.insert(key, kernels);
        }
    }

    /// The error that broke this context, if any (device lost, validation or memory error).
    pub fn failure(&self) -> Option<GpuError> {
        self.failure.lock().ok().and_then(|f| f.clone())
    }

    /// Fails with the recorded error, if any.
    pub(crate) fn check(&self) -> Result<()> {
        match self.failure() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Destroys the device, as a driver reset or a lost tab would: every later operation fails
    /// with `GPU_DEVICE_LOST`. For testing the CPU fallback.
    pub fn force_device_loss(&self) {
        record(
            &self.failure,
            GpuError::DeviceLost("destroyed on request (force_device_loss)".into()),
        );
        self.device.destroy();
    }

    /// Copies a buffer's first `len` bytes back to the CPU (see [`GpuContext::read_f32`]).
    pub(crate) async fn read_bytes(&self, buffer: &wgpu::Buffer, len: u64) -> Result<Vec<u8>> {
        self.check()?;
        let slice = buffer.slice(..len);
        let (tx, rx) = futures::channel::oneshot::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        #[cfg(not(target_arch = "wasm32"))]
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::DeviceLost(e.to_string()))?;
        let mapped = rx
            .await
            .map_err(|_| GpuError::DeviceLost("map callback dropped".into()))?;
        self.check()?;
        mapped.map_err(|e| GpuError::Readback(e.to_string()))?;
        let out = {
            let view = slice
                .get_mapped_range()
                .map_err(|e| GpuError::Readback(e.to_string()))?;
            view.to_vec()
        };
        buffer.unmap();
        Ok(out)
    }

    /// Copies a storage buffer's first `len` f32s back to the CPU, awaiting the GPU without
    /// blocking (natively the device is polled; in browsers the event loop resolves the map).
    pub(crate) async fn read_f32(&self, buffer: &wgpu::Buffer, len: usize) -> Result<Vec<f32>> {
        let bytes = self.read_bytes(buffer, (len * 4) as u64).await?;
        Ok(bytemuck::pod_collect_to_vec(&bytes))
    }
}

fn record(slot: &Mutex<Option<GpuError>>, err: GpuError) {
    if let Ok(mut s) = slot.lock()
        && s.is_none()
    {
        *s = Some(err);
    }
}
