//! The scoring (`shaders/score.wgsl`) and top-k (`shaders/topk.wgsl`) pipelines, and the
//! recording of one batched search into a command encoder.

use scry_core::vector::{Metric, Precision};
use wgpu::util::DeviceExt;

use crate::context::GpuContext;
use crate::error::{GpuError, Result};

const SCORE: &str = include_str!("../../shaders/score.wgsl");
const TOPK: &str = include_str!("../../shaders/topk.wgsl");

/// Most queries one score workgroup holds (`MAX_QUERY_TILE` in the shader).
pub(crate) const MAX_QUERY_TILE: u32 = 8;
/// vec4<f32>s of workgroup memory for queries (`QUERY_VEC4S` in the shader).
const QUERY_VEC4S: u32 = 960;
/// Largest k the top-k shader keeps (`MAX_K`).
pub const MAX_K: usize = 128;
/// Sentinel id of an empty top-k slot.
pub(crate) const NONE: u32 = u32::MAX;
/// Most workgroups in one dispatch dimension (WebGPU's guaranteed limit).
pub(crate) const MAX_GROUPS: u32 = 65_535;

/// Workgroup sizes, handed to the shaders as pipeline-overridable constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Workgroups {
    /// Rows scored per workgroup: a multiple of 32, at most 256. Default 256.
    pub score: u32,
    /// Invocations per top-k workgroup: a power of two, 32..=256. Default 128.
    pub topk: u32,
    /// Items each top-k invocation reads per block (`topk × topk_items` ≥ 256). Default 16.
    pub topk_items: u32,
}

impl Default for Workgroups {
    fn default() -> Self {
        Self {
            score: 256,
            topk: 128,
            topk_items: 16,
        }
    }
}

impl Workgroups {
    pub(crate) fn validate(self, max_invocations: u32) -> Result<Self> {
        let ok = self.score.is_multiple_of(32)
            && (32..=256).contains(&self.score)
            && self.topk.is_power_of_two()
            && (32..=256).contains(&self.topk)
            && (1..=1024).contains(&self.topk_items)
            // A merge must shrink the candidate lists: a block holds more than k items.
            && self.topk * self.topk_items >= 2 * MAX_K as u32
            && self.score.max(self.topk) <= max_invocations;
        if ok {
            Ok(self)
        } else {
            Err(GpuError::InvalidInput(format!(
                "invalid workgroup sizes {self:?}"
            )))
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct ScoreParams {
    pub rows: u32,
    pub row_start: u32,
    pub row_count: u32,
    pub groups: u32,
    pub queries: u32,
    pub metric: u32,
    pub out_stride: u32,
    pub query_vec4s: u32,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct TopkParams {
    pub count: u32,
    pub in_stride: u32,
    pub block_len: u32,
    pub k: u32,
    pub out_stride: u32,
    pub out_block: u32,
    pub id_base: u32,
    pub _pad: u32,
}

/// The metric's number in the shaders.
pub(crate) fn metric_code(m: Metric) -> u32 {
    match m {
        Metric::Cosine => 0,
        Metric::Dot => 1,
        Metric::L2 => 2,
    }
}

/// Compiled search pipelines for one precision and dimension; created once per collection.
#[derive(Debug)]
pub struct SearchKernels {
    /// Pipelines for a query tile of 1 and of `wide_tile` queries.
    score_one: wgpu::ComputePipeline,
    score_wide: wgpu::ComputePipeline,
    pub(crate) wide_tile: u32,
    select_scores: wgpu::ComputePipeline,
    select_pairs: wgpu::ComputePipeline,
    pub(crate) workgroups: Workgroups,
}

impl SearchKernels {
    /// Builds the pipelines for rows of `query_vec4s` query vec4s.
    pub fn new(
        ctx: &GpuContext,
        precision: Precision,
        query_vec4s: u32,
        workgroups: Workgroups,
    ) -> Result<Self> {
        let workgroups = workgroups.validate(ctx.max_invocations())?;
        if query_vec4s == 0 || query_vec4s > QUERY_VEC4S {
            return Err(GpuError::InvalidInput(format!(
                "a query of {} floats does not fit the {QUERY_VEC4S}-vec4 workgroup tile",
                query_vec4s * 4
            )));
        }
        let wide_tile = (QUERY_VEC4S / query_vec4s).min(MAX_QUERY_TILE);
        let d = &ctx.device;
        let score = d.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("scry score"),
            source: wgpu::ShaderSource::Wgsl(SCORE.into()),
        });
        let topk = d.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("scry topk"),
            source: wgpu::ShaderSource::Wgsl(TOPK.into()),
        });
        let entry = match precision {
            Precision::F32 => "score_f32",
            Precision::F16 => "score_f16",
            Precision::I8 => "score_i8",
        };
        let pipeline = |module: &wgpu::ShaderModule, entry: &str, constants: &[(&str, f64)]| {
            d.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry),
                layout: None,
                module,
                entry_point: Some(entry),
                compilation_options: wgpu::PipelineCompilationOptions {
                    constants,
                    ..Default::default()
                },
                cache: None,
            })
        };
        let wg = f64::from(workgroups.score);
        let score_one = pipeline(
            &score,
            entry,
            &[("WORKGROUP_SIZE", wg), ("QUERY_TILE", 1.0)],
        );
        let score_wide = pipeline(
            &score,
            entry,
            &[("WORKGROUP_SIZE", wg), ("QUERY_TILE", f64::from(wide_tile))],
        );
        let twg = [("WORKGROUP_SIZE", f64::from(workgroups.topk))];
        let select_scores = pipeline(&topk, "select_scores", &twg);
        let select_pairs = pipeline(&topk, "select_pairs", &twg);
        ctx.check()?;
        Ok(Self {
            score_one,
            score_wide,
            wide_tile,
            select_scores,
            select_pairs,
            workgroups,
        })
    }

    /// Records one score pass: `params.row_count` rows of a chunk against all queries.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn record_score(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        params: ScoreParams,
        vectors: &wgpu::Buffer,
        meta: &wgpu::Buffer,
        live: &wgpu::Buffer,
        queries: &wgpu::Buffer,
        qnorms: &wgpu::Buffer,
        scores: &wgpu::Buffer,
    ) {
        let (pipeline, tile) = if params.queries == 1 {
            (&self.score_one, 1)
        } else {
            (&self.score_wide, self.wide_tile)
        };
        let uniform = uniform(ctx, bytemuck::bytes_of(&params));
        let bind = bind_group(
            ctx,
            pipeline,
            &[&uniform, vectors, meta, live, queries, qnorms, scores],
        );
        let groups = params.row_count.div_ceil(self.workgroups.score);
        let (gx, gy) = split_groups(groups);
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("scry score"),
            timestamp_writes: None,
        });
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, &bind, &[]);
        pass.dispatch_workgroups(gx, gy, params.queries.div_ceil(tile));
    }

    /// Items one top-k workgroup reads.
    pub(crate) fn block_len(&self) -> u32 {
        self.workgroups.topk * self.workgroups.topk_items
    }

    /// Records a selection pass over raw scores (`pairs_in` = None) or over pairs; dispatches
    /// `ceil(count / block_len)` workgroups per query.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn record_select(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        params: TopkParams,
        queries: u32,
        input: &wgpu::Buffer,
        from_pairs: bool,
        out: &wgpu::Buffer,
    ) {
        let uniform = uniform(ctx, bytemuck::bytes_of(&params));
        let pipeline = if from_pairs {
            &self.select_pairs
        } else {
            &self.select_scores
        };
        let bind = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("scry select"),
            layout: &pipeline.get_bind_group_layout(0),
            entries: &[
                entry(0, &uniform),
                entry(if from_pairs { 2 } else { 1 }, input),
                entry(3, out),
            ],
        });
        let blocks = params.count.div_ceil(params.block_len).max(1);
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("scry select"),
            timestamp_writes: None,
        });
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, &bind, &[]);
        pass.dispatch_workgroups(blocks, queries, 1);
    }
}

/// A small uniform buffer holding `bytes`.
pub(crate) fn uniform(ctx: &GpuContext, bytes: &[u8]) -> wgpu::Buffer {
    ctx.device
        .create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("scry params"),
            contents: bytes,
            usage: wgpu::BufferUsages::UNIFORM,
        })
}

/// A bind group with `buffers` at bindings 0, 1, …
pub(crate) fn bind_group(
    ctx: &GpuContext,
    pipeline: &wgpu::ComputePipeline,
    buffers: &[&wgpu::Buffer],
) -> wgpu::BindGroup {
    let entries: Vec<wgpu::BindGroupEntry<'_>> = buffers
        .iter()
        .enumerate()
        .map(|(i, b)| entry(i as u32, b))
        .collect();
    ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &pipeline.get_bind_group_layout(0),
        entries: &entries,
    })
}

pub(crate) fn entry(binding: u32, buffer: &wgpu::Buffer) -> wgpu::BindGroupEntry<'_> {
    wgpu::BindGroupEntry {
        binding,
        resource: buffer.as_entire_binding(),
    }
}

/// Spreads `groups` workgroups over x and y so neither exceeds 65,535.
pub(crate) fn split_groups(groups: u32) -> (u32, u32) {
    if groups <= MAX_GROUPS {
        (groups.max(1), 1)
    } else {
        (MAX_GROUPS, groups.div_ceil(MAX_GROUPS))
    }
}
