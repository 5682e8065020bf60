//! The GPU context: one adapter, device and queue, created once and shared by all kernels.

use crate::error::{GpuError, Result};

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
}

/// A device and queue, plus what adapter they came from.
#[derive(Debug)]
pub struct GpuContext {
    pub(crate) device: wgpu::Device,
    pub(crate) queue: wgpu::Queue,
    summary: AdapterSummary,
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
        Ok(Self {
            device,
            queue,
            summary: AdapterSummary {
                name: info.name,
                backend: format!("{:?}", info.backend),
                device_type: format!("{:?}", info.device_type),
                max_storage_binding: limits.max_storage_buffer_binding_size,
            },
        })
    }

    /// The adapter behind this context.
    pub fn adapter(&self) -> &AdapterSummary {
        &self.summary
    }

    /// Copies a storage buffer's first `len` f32s back to the CPU, awaiting the GPU without
    /// blocking (natively the device is polled; in browsers the event loop resolves the map).
    pub(crate) async fn read_f32(&self, buffer: &wgpu::Buffer, len: usize) -> Result<Vec<f32>> {
        let slice = buffer.slice(..(len * 4) as u64);
        let (tx, rx) = futures::channel::oneshot::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            // The receiver only disappears if the caller was dropped; nothing to report then.
            let _ = tx.send(r);
        });
        #[cfg(not(target_arch = "wasm32"))]
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::DeviceLost(e.to_string()))?;
        rx.await
            .map_err(|_| GpuError::DeviceLost("map callback dropped".into()))?
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        let out = {
            let view = slice
                .get_mapped_range()
                .map_err(|e| GpuError::Readback(e.to_string()))?;
            bytemuck::cast_slice::<u8, f32>(&view).to_vec()
        };
        buffer.unmap();
        Ok(out)
    }
}
