//! The scoring (`shaders/score.wgsl`) and top-k (`shaders/topk.wgsl`) pipelines, and the
//! recording of one batched search into a command encoder.

use scry_core::vector::{Metric, Precision};
use wgpu::util::DeviceExt;

use crate::context::GpuContext;
use crate::error::{GpuError, Result};

const SCORE: &str = include_str!("../../shaders/score.wgsl");
const TOPK: &str = include_str!("../../shaders/topk.wgsl");

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
    /// Score pipelines for query tiles of 1, 4 and 8 (the wide ones when they fit the
    /// workgroup memory).
    score_1: wgpu::ComputePipeline,
    score_4: Option<wgpu::ComputePipeline>,
    score_8: Option<wgpu::ComputePipeline>,
    select_scores: wgpu::ComputePipeline,
    select_pairs: wgpu::ComputePipeline,
    pub(crate) workgroups: Workgroups,
}

/// One recorded-ready pass: which pipeline, its bindings, its workgroup counts.
#[derive(Debug)]
pub(crate) struct Pass {
    kind: PassKind,
    bind: wgpu::BindGroup,
    groups: (u32, u32, u32),
}

#[derive(Debug, Clone, Copy)]
enum PassKind {
    Score(u32),
    SelectScores,
    SelectPairs,
}

/// What a set of search pipelines is specialised for (cache key in the context).
pub(crate) type KernelKey = (u8, u32, u32, u32, u32);

impl SearchKernels {
    /// The pipelines for this precision, query width and workgroup sizes: compiled on first
    /// use in a context, then shared by every collection of that shape.
    pub fn shared(
        ctx: &GpuContext,
        precision: Precision,
        query_vec4s: u32,
        workgroups: Workgroups,
    ) -> Result<std::sync::Arc<Self>> {
        let key: KernelKey = (
            precision as u8,
            query_vec4s,
            workgroups.score,
            workgroups.topk,
            workgroups.topk_items,
        );
        if let Some(k) = ctx.cached_kernels(key) {
            return Ok(k);
        }
        let k = std::sync::Arc::new(Self::new(ctx, precision, query_vec4s, workgroups)?);
        ctx.cache_kernels(key, std::sync::Arc::clone(&k));
        Ok(k)
    }

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
        let d = &ctx.device;
        let score = d.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("scry score"),
            source: wgpu::ShaderSource::Wgsl(SCORE.into()),
        });
        let topk = d.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("scry topk"),
            source: wgpu::ShaderSource::Wgsl(TOPK.into()),
        });
        let code = match precision {
            Precision::F32 => 0.0,
            Precision::F16 => 1.0,
            Precision::I8 => 2.0,
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
        let consts = [
            ("WORKGROUP_SIZE", f64::from(workgroups.score)),
            ("PRECISION", code),
        ];
        let wide = |tile: u32, entry: &str| {
            (tile * query_vec4s <= QUERY_VEC4S).then(|| pipeline(&score, entry, &consts))
        };
        let score_1 = pipeline(&score, "score_1", &consts);
        let score_4 = wide(4, "score_4");
        let score_8 = wide(8, "score_8");
        let twg = [("WORKGROUP_SIZE", f64::from(workgroups.topk))];
        let select_scores = pipeline(&topk, "select_scores", &twg);
        let select_pairs = pipeline(&topk, "select_pairs", &twg);
        ctx.check()?;
        Ok(Self {
            score_1,
            score_4,
            score_8,
            select_scores,
            select_pairs,
            workgroups,
        })
    }

    /// The widest query tile that fits a batch of `queries`.
    fn tile_for(&self, queries: u32) -> u32 {
        match queries {
            1 => 1,
            2..=4 if self.score_4.is_some() => 4,
            _ if self.score_8.is_some() => 8,
            _ if self.score_4.is_some() => 4,
            _ => 1,
        }
    }

    fn pipeline(&self, kind: PassKind) -> &wgpu::ComputePipeline {
        match kind {
            PassKind::Score(8) => self.score_8.as_ref().unwrap_or(&self.score_1),
            PassKind::Score(4) => self.score_4.as_ref().unwrap_or(&self.score_1),
            PassKind::Score(_) => &self.score_1,
            PassKind::SelectScores => &self.select_scores,
            PassKind::SelectPairs => &self.select_pairs,
        }
    }

    /// Prepares one score pass: `params.row_count` rows of a chunk against all queries.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn score_pass(
        &self,
        ctx: &GpuContext,
        params: ScoreParams,
        vectors: &wgpu::Buffer,
        meta: &wgpu::Buffer,
        live: &wgpu::Buffer,
        queries: &wgpu::Buffer,
        qnorms: &wgpu::Buffer,
        scores: &wgpu::Buffer,
    ) -> Pass {
        let tile = self.tile_for(params.queries);
        let kind = PassKind::Score(tile);
        let uniform = uniform(ctx, bytemuck::bytes_of(&params));
        let bind = bind_group(
            ctx,
            self.pipeline(kind),
            &[&uniform, vectors, meta, live, queries, qnorms, scores],
        );
        Pass {
            kind,
            bind,
            groups: (
                params.queries.div_ceil(tile),
                params.row_count.div_ceil(self.workgroups.score),
                1,
            ),
        }
    }

    /// Items one top-k workgroup reads.
    pub(crate) fn block_len(&self) -> u32 {
        self.workgroups.topk * self.workgroups.topk_items
    }

    /// Prepares a selection pass over raw scores (`from_pairs` false) or over (score, id)
    /// pairs; `ceil(count / block_len)` workgroups per query.
    pub(crate) fn select_pass(
        &self,
        ctx: &GpuContext,
        params: TopkParams,
        queries: u32,
        input: &wgpu::Buffer,
        from_pairs: bool,
        out: &wgpu::Buffer,
    ) -> Pass {
        let kind = if from_pairs {
            PassKind::SelectPairs
        } else {
            PassKind::SelectScores
        };
        let uniform = uniform(ctx, bytemuck::bytes_of(&params));
        let bind = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("scry select"),
            layout: &self.pipeline(kind).get_bind_group_layout(0),
            entries: &[
                entry(0, &uniform),
                entry(if from_pairs { 2 } else { 1 }, input),
                entry(3, out),
            ],
        });
        Pass {
            kind,
            bind,
            groups: (params.count.div_ceil(params.block_len).max(1), queries, 1),
        }
    }

    /// Records prepared passes, in order, into `encoder` (one compute pass; WebGPU orders
    /// the dispatches' storage accesses).
    pub(crate) fn record(&self, encoder: &mut wgpu::CommandEncoder, passes: &[Pass]) {
        let mut cpass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("scry search"),
            timestamp_writes: None,
        });
        for p in passes {
            cpass.set_pipeline(self.pipeline(p.kind));
            cpass.set_bind_group(0, &p.bind, &[]);
            cpass.dispatch_workgroups(p.groups.0, p.groups.1, p.groups.2);
        }
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
