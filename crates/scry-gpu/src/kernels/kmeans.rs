//! The k-means assignment and centroid-update steps (`shaders/kmeans.wgsl`), the GPU twins of
//! `scry_core::vector::flat::{kmeans_assign, kmeans_update}`.

use scry_core::vector::Metric;
use wgpu::util::DeviceExt;

use super::search::{MAX_GROUPS, bind_group, metric_code, uniform};
use crate::context::GpuContext;
use crate::error::{GpuError, Result};

const SHADER: &str = include_str!("../../shaders/kmeans.wgsl");
const WORKGROUP_SIZE: u32 = 64;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    points: u32,
    centroids: u32,
    dims: u32,
    metric: u32,
}

/// The k-means pipelines, compiled once.
#[derive(Debug)]
pub struct KMeansKernel {
    assign: wgpu::ComputePipeline,
    update: wgpu::ComputePipeline,
    normalize: wgpu::ComputePipeline,
}

/// What one k-means run on the GPU returns.
#[derive(Debug, Clone, PartialEq)]
pub struct KMeansResult {
    /// Final centroids, row-major.
    pub centroids: Vec<f32>,
    /// Centroid of each point after the last assignment step.
    pub assignment: Vec<u32>,
    /// Score of each point against its centroid.
    pub scores: Vec<f32>,
}

impl KMeansKernel {
    /// Compiles the shader.
    pub fn new(ctx: &GpuContext) -> Result<Self> {
        let module = ctx
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some("scry kmeans"),
                source: wgpu::ShaderSource::Wgsl(SHADER.into()),
            });
        let pipeline = |entry: &str| {
            ctx.device
                .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(entry),
                    layout: None,
                    module: &module,
                    entry_point: Some(entry),
                    compilation_options: wgpu::PipelineCompilationOptions {
                        constants: &[("WORKGROUP_SIZE", f64::from(WORKGROUP_SIZE))],
                        ..Default::default()
                    },
                    cache: None,
                })
        };
        let k = Self {
            assign: pipeline("assign"),
            update: pipeline("update"),
            normalize: pipeline("normalize"),
        };
        ctx.check()?;
        Ok(k)
    }

    /// Runs `iterations` rounds of (update ← assign) from `centroids`, then a last assignment,
    /// all in one submission: points and centroids stay on the GPU between steps.
    /// `spherical` renormalises centroids after each update (cosine k-means).
    #[allow(clippy::too_many_arguments)]
    pub async fn run(
        &self,
        ctx: &GpuContext,
        points: &[f32],
        centroids: &[f32],
        dims: usize,
        metric: Metric,
        spherical: bool,
        iterations: usize,
    ) -> Result<KMeansResult> {
        ctx.check()?;
        if dims == 0
            || points.is_empty()
            || centroids.is_empty()
            || !points.len().is_multiple_of(dims)
            || !centroids.len().is_multiple_of(dims)
        {
            return Err(GpuError::InvalidInput(
                "points and centroids must be non-empty multiples of the dimension".into(),
            ));
        }
        let n = points.len() / dims;
        let c = centroids.len() / dims;
        let most = MAX_GROUPS as usize * WORKGROUP_SIZE as usize;
        if n > most || c * dims > most {
            return Err(GpuError::InvalidInput(format!(
                "k-means on the GPU takes at most {most} points and centroid values"
            )));
        }
        let to_u32 = |v: usize| {
            u32::try_from(v).map_err(|_| GpuError::InvalidInput(format!("{v} does not fit u32")))
        };
        let params = Params {
            points: to_u32(n)?,
            centroids: to_u32(c)?,
            dims: to_u32(dims)?,
            metric: metric_code(metric),
        };
        let d = &ctx.device;
        let storage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC;
        let init = |label, bytes: &[u8]| {
            d.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents: bytes,
                usage: storage,
            })
        };
        let zeros = |label, len: usize| {
            d.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: (len.max(1) * 4) as u64,
                usage: storage,
                mapped_at_creation: false,
            })
        };
        let params_buf = uniform(ctx, bytemuck::bytes_of(&params));
        let points_buf = init("kmeans points", bytemuck::cast_slice(points));
        let cent_buf = init("kmeans centroids", bytemuck::cast_slice(centroids));
        let assign_buf = zeros("kmeans assignment", n);
        let score_buf = zeros("kmeans scores", n);
        let count_buf = zeros("kmeans counts", c);
        let all = [
            &params_buf,
            &points_buf,
            &cent_buf,
            &assign_buf,
            &score_buf,
            &count_buf,
        ];
        // Each entry point's layout holds only the bindings it uses.
        let bind_for = |p: &wgpu::ComputePipeline, used: &[u32]| {
            d.create_bind_group(&wgpu::BindGroupDescriptor {
                label: None,
                layout: &p.get_bind_group_layout(0),
                entries: &used
                    .iter()
                    .map(|&i| super::search::entry(i, all[i as usize]))
                    .collect::<Vec<_>>(),
            })
        };
        let assign_bind = bind_group(ctx, &self.assign, &all[..5]);
        let update_bind = bind_for(&self.update, &[0, 1, 2, 3, 5]);
        let norm_bind = bind_for(&self.normalize, &[0, 2, 5]);
        let mut encoder = d.create_command_encoder(&wgpu::CommandEncoderDescriptor::default());
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
            let dispatch = |pass: &mut wgpu::ComputePass<'_>, p, b, items: usize| {
                pass.set_pipeline(p);
                pass.set_bind_group(0, b, &[]);
                pass.dispatch_workgroups((items as u32).div_ceil(WORKGROUP_SIZE), 1, 1);
            };
            for _ in 0..iterations {
                dispatch(&mut pass, &self.assign, &assign_bind, n);
                dispatch(&mut pass, &self.update, &update_bind, c * dims);
                if spherical {
                    dispatch(&mut pass, &self.normalize, &norm_bind, c);
                }
            }
            dispatch(&mut pass, &self.assign, &assign_bind, n);
        }
        let read = |label, len: usize| {
            d.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: (len * 4) as u64,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        };
        let back = read("kmeans readback", c * dims + 2 * n);
        encoder.copy_buffer_to_buffer(&cent_buf, 0, &back, 0, (c * dims * 4) as u64);
        encoder.copy_buffer_to_buffer(&assign_buf, 0, &back, (c * dims * 4) as u64, (n * 4) as u64);
        encoder.copy_buffer_to_buffer(
            &score_buf,
            0,
            &back,
            ((c * dims + n) * 4) as u64,
            (n * 4) as u64,
        );
        ctx.queue.submit([encoder.finish()]);
        let bytes = ctx.read_bytes(&back, back.size()).await?;
        let words: Vec<u32> = bytemuck::pod_collect_to_vec(&bytes);
        Ok(KMeansResult {
            centroids: words[..c * dims]
                .iter()
                .map(|&w| f32::from_bits(w))
                .collect(),
            assignment: words[c * dims..c * dims + n].to_vec(),
            scores: words[c * dims + n..]
                .iter()
                .map(|&w| f32::from_bits(w))
                .collect(),
        })
    }
}
