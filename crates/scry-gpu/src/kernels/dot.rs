//! Exact dot-product scoring of one query against N vectors (`shaders/dot.wgsl`).

use wgpu::util::DeviceExt;

use crate::context::GpuContext;
use crate::error::{GpuError, Result};

const SHADER: &str = include_str!("../../shaders/dot.wgsl");
/// Workgroup size handed to the shader's `WORKGROUP_SIZE` override.
const WORKGROUP_SIZE: u32 = 64;
/// Most workgroups in one dispatch dimension (WebGPU's guaranteed minimum limit).
const MAX_GROUPS_PER_DIM: u32 = 65_535;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    dim: u32,
    row_stride: u32,
    _pad: u32,
}

/// The dot-product pipeline, compiled once per context.
#[derive(Debug)]
pub struct DotKernel {
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
}

impl DotKernel {
    /// Compiles the shader and builds the pipeline.
    pub fn new(ctx: &GpuContext) -> Self {
        let module = ctx
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some("scry dot"),
                source: wgpu::ShaderSource::Wgsl(SHADER.into()),
            });
        let pipeline = ctx
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some("scry dot"),
                layout: None,
                module: &module,
                entry_point: Some("main"),
                compilation_options: wgpu::PipelineCompilationOptions {
                    constants: &[("WORKGROUP_SIZE", f64::from(WORKGROUP_SIZE))],
                    ..Default::default()
                },
                cache: None,
            });
        let layout = pipeline.get_bind_group_layout(0);
        Self { pipeline, layout }
    }

    /// Scores `query` (length `dim`) against `vectors` (row-major, `n × dim`) on the GPU.
    pub async fn scores(
        &self,
        ctx: &GpuContext,
        query: &[f32],
        vectors: &[f32],
    ) -> Result<Vec<f32>> {
        let dim = query.len();
        if dim == 0 || vectors.is_empty() || !vectors.len().is_multiple_of(dim) {
            return Err(GpuError::InvalidInput(format!(
                "{} vector floats are not a positive multiple of dimension {dim}",
                vectors.len()
            )));
        }
        let n = vectors.len() / dim;
        let bytes = std::mem::size_of_val(vectors) as u64;
        if bytes > ctx.adapter().max_storage_binding {
            return Err(GpuError::InvalidInput(format!(
                "{bytes} bytes of vectors exceed the device's storage binding limit"
            )));
        }
        let to_u32 = |v: usize| {
            u32::try_from(v).map_err(|_| GpuError::InvalidInput(format!("{v} does not fit u32")))
        };
        let (n32, dim32) = (to_u32(n)?, to_u32(dim)?);
        let groups = n32.div_ceil(WORKGROUP_SIZE);
        let (gx, gy) = if groups <= MAX_GROUPS_PER_DIM {
            (groups, 1)
        } else {
            (MAX_GROUPS_PER_DIM, groups.div_ceil(MAX_GROUPS_PER_DIM))
        };
        let params = Params {
            n: n32,
            dim: dim32,
            row_stride: gx * WORKGROUP_SIZE,
            _pad: 0,
        };
        let d = &ctx.device;
        let init = |label, contents: &[u8], usage| {
            d.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents,
                usage,
            })
        };
        let params_buf = init(
            "params",
            bytemuck::bytes_of(&params),
            wgpu::BufferUsages::UNIFORM,
        );
        let query_buf = init(
            "query",
            bytemuck::cast_slice(query),
            wgpu::BufferUsages::STORAGE,
        );
        let vec_buf = init(
            "vectors",
            bytemuck::cast_slice(vectors),
            wgpu::BufferUsages::STORAGE,
        );
        let out_size = (n * 4) as u64;
        let scores_buf = d.create_buffer(&wgpu::BufferDescriptor {
            label: Some("scores"),
            size: out_size,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let readback = d.create_buffer(&wgpu::BufferDescriptor {
            label: Some("scores readback"),
            size: out_size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let bind = d.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("scry dot"),
            layout: &self.layout,
            entries: &[
                entry(0, &params_buf),
                entry(1, &query_buf),
                entry(2, &vec_buf),
                entry(3, &scores_buf),
            ],
        });
        let mut encoder = d.create_command_encoder(&wgpu::CommandEncoderDescriptor::default());
        self.record(&mut encoder, &bind, (gx, gy));
        encoder.copy_buffer_to_buffer(&scores_buf, 0, &readback, 0, out_size);
        ctx.queue.submit([encoder.finish()]);
        ctx.read_f32(&readback, n).await
    }

    /// Records the dispatch into `encoder` (so it composes with other GPU work).
    pub fn record(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        bind: &wgpu::BindGroup,
        groups: (u32, u32),
    ) {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("scry dot"),
            timestamp_writes: None,
        });
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, bind, &[]);
        pass.dispatch_workgroups(groups.0, groups.1, 1);
    }
}

fn entry(binding: u32, buffer: &wgpu::Buffer) -> wgpu::BindGroupEntry<'_> {
    wgpu::BindGroupEntry {
        binding,
        resource: buffer.as_entire_binding(),
    }
}
