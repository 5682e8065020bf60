//! A collection resident in GPU memory, mirroring a scry-core [`FlatVectors`]: rows are packed
//! in 32-row tiles (see `shaders/score.wgsl`), appended in place with capacity doubling,
//! deletes are a live-bit mask, and collections larger than one storage binding are split into
//! chunks. Searches are recorded into one command encoder: score → per-block top-k → merges;
//! only k (score, id) pairs per query are read back.

use scry_core::vector::{FlatVectors, Metric, Precision, ScanQuery};

use crate::context::GpuContext;
use crate::error::{GpuError, Result};
use crate::kernels::search::{
    MAX_GROUPS, MAX_K, NONE, Pass, ScoreParams, SearchKernels, TopkParams, Workgroups, metric_code,
};

/// Tuning and limits of a [`GpuVectors`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GpuOptions {
    /// Workgroup sizes of the kernels.
    pub workgroups: Workgroups,
    /// Largest chunk of vectors in one buffer, in bytes (further capped by the device's
    /// `maxStorageBufferBindingSize` and `maxBufferSize`). Default: no cap of our own.
    pub max_chunk_bytes: u64,
    /// Largest scores buffer, in bytes: bigger batches are scored in row windows. Default
    /// 256 MiB.
    pub max_scores_bytes: u64,
    /// Rows a chunk starts with before doubling. Default 4,096.
    pub initial_rows: u32,
}

impl Default for GpuOptions {
    fn default() -> Self {
        Self {
            workgroups: Workgroups::default(),
            max_chunk_bytes: u64::MAX,
            max_scores_bytes: 256 << 20,
            initial_rows: 4096,
        }
    }
}

#[derive(Debug)]
struct Chunk {
    vectors: wgpu::Buffer,
    meta: wgpu::Buffer,
    live: wgpu::Buffer,
    /// Rows the buffers can hold (a multiple of 32).
    capacity: u32,
}

impl Chunk {
    fn destroy(&self) {
        self.vectors.destroy();
        self.meta.destroy();
        self.live.destroy();
    }
}

/// Vectors resident on the GPU.
#[derive(Debug)]
pub struct GpuVectors {
    kernels: std::sync::Arc<SearchKernels>,
    options: GpuOptions,
    dims: usize,
    metric: Metric,
    precision: Precision,
    /// vec4<u32> words per row.
    groups: u32,
    /// Rows per full chunk (a multiple of 32).
    chunk_rows: u32,
    chunks: Vec<Chunk>,
    /// Rows uploaded so far.
    rows: usize,
    /// `FlatVectors::version` at the last sync.
    synced: Option<u64>,
    /// The live words the GPU holds, to upload only changed ones.
    live: Vec<u32>,
    /// Buffers reused from search to search (queries, query norms, scores, two pair
    /// buffers, readback), grown when too small.
    scratch: [Option<wgpu::Buffer>; 6],
    /// Bumped whenever a buffer a plan binds is replaced.
    generation: u64,
    plan: Option<Plan>,
}

fn to_u32(v: u64, what: &str) -> Result<u32> {
    u32::try_from(v).map_err(|_| GpuError::InvalidInput(format!("{what} {v} does not fit u32")))
}

impl GpuVectors {
    /// An empty resident collection shaped like `flat` (call [`GpuVectors::sync`] to upload).
    pub fn new(ctx: &GpuContext, flat: &FlatVectors, options: GpuOptions) -> Result<Self> {
        let precision = flat.precision();
        let groups = to_u32(flat.words_per_row(4) as u64 / 4, "row words")?;
        let query_vec4s = groups * precision.per_word() as u32;
        let kernels = SearchKernels::shared(ctx, precision, query_vec4s, options.workgroups)?;
        let tile_bytes = u64::from(groups) * 16 * 32;
        let limit = ctx
            .adapter()
            .max_storage_binding
            .min(ctx.adapter().max_buffer)
            .min(options.max_chunk_bytes);
        let tiles = (limit / tile_bytes).min(u64::from(u32::MAX / 64));
        if tiles == 0 {
            return Err(GpuError::InvalidInput(format!(
                "32 rows of {} dimensions exceed the device's buffer limit",
                flat.dims()
            )));
        }
        Ok(Self {
            kernels,
            options,
            dims: flat.dims(),
            metric: flat.metric(),
            precision,
            groups,
            chunk_rows: (tiles * 32) as u32,
            chunks: Vec::new(),
            rows: 0,
            synced: None,
            live: Vec::new(),
            scratch: Default::default(),
            generation: 0,
            plan: None,
        })
    }

    /// Rows uploaded.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Chunks in use (one buffer each).
    pub fn chunk_count(&self) -> usize {
        self.chunks.len()
    }

    /// Bytes of GPU memory held by vector buffers (capacity, not use).
    pub fn memory_bytes(&self) -> u64 {
        self.chunks
            .iter()
            .map(|c| c.vectors.size() + c.meta.size() + c.live.size())
            .sum()
    }

    fn check_shape(&self, flat: &FlatVectors) -> Result<()> {
        if flat.dims() != self.dims
            || flat.metric() != self.metric
            || flat.precision() != self.precision
        {
            return Err(GpuError::InvalidInput(
                "the collection's shape changed since the GPU copy was made".into(),
            ));
        }
        if flat.len() < self.rows {
            return Err(GpuError::InvalidInput(
                "the collection shrank below what the GPU holds".into(),
            ));
        }
        Ok(())
    }

    /// Uploads rows added to `flat` since the last sync and the live bits that changed. New
    /// rows are written in place (whole 32-row tiles from the first incomplete one); a chunk
    /// that is full doubles with a GPU-side copy, never a re-upload.
    pub fn sync(&mut self, ctx: &GpuContext, flat: &FlatVectors) -> Result<()> {
        ctx.check()?;
        self.check_shape(flat)?;
        if self.synced == Some(flat.version()) && flat.len() == self.rows {
            return Ok(());
        }
        let target = flat.len();
        if target > self.rows {
            self.ensure_capacity(ctx, target)?;
            self.upload_rows(ctx, flat, self.rows, target);
            self.rows = target;
        }
        // Live words: a new row changes its word too.
        let words = target.div_ceil(32);
        self.live.resize(words, 0);
        let mut w = 0;
        while w < words {
            if flat.live_word(w) == self.live[w] {
                w += 1;
                continue;
            }
            let start = w;
            while w < words && flat.live_word(w) != self.live[w] {
                self.live[w] = flat.live_word(w);
                w += 1;
            }
            self.write_live(ctx, start, w);
        }
        self.synced = Some(flat.version());
        ctx.check()
    }

    fn write_live(&self, ctx: &GpuContext, start: usize, end: usize) {
        let per_chunk = (self.chunk_rows / 32) as usize;
        let mut w = start;
        while w < end {
            let c = w / per_chunk;
            let stop = end.min((c + 1) * per_chunk);
            let local = w - c * per_chunk;
            ctx.queue.write_buffer(
                &self.chunks[c].live,
                (local * 4) as u64,
                bytemuck::cast_slice(&self.live[w..stop]),
            );
            w = stop;
        }
    }

    fn buffers(&self, ctx: &GpuContext, capacity: u32) -> Chunk {
        let usage = wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_DST
            | wgpu::BufferUsages::COPY_SRC;
        let make = |label, size: u64| {
            ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage,
                mapped_at_creation: false,
            })
        };
        Chunk {
            vectors: make(
                "scry vectors",
                u64::from(capacity) * u64::from(self.groups) * 16,
            ),
            meta: make("scry row meta", u64::from(capacity) * 8),
            live: make("scry live bits", u64::from(capacity / 32) * 4),
            capacity,
        }
    }

    /// Makes room for `rows` rows: fills the last chunk (doubling it) before adding chunks.
    fn ensure_capacity(&mut self, ctx: &GpuContext, rows: usize) -> Result<()> {
        let chunk_rows = self.chunk_rows as usize;
        let needed_chunks = rows.div_ceil(chunk_rows);
        while self.chunks.len() < needed_chunks {
            // Every chunk but the last is full-size.
            if let Some(last) = self.chunks.last()
                && last.capacity < self.chunk_rows
            {
                self.grow_last(ctx, self.chunk_rows)?;
            }
            let start = self.chunks.len() * chunk_rows;
            let want = (rows - start).min(chunk_rows);
            let cap = (want.max(self.options.initial_rows as usize).div_ceil(32) * 32)
                .min(chunk_rows) as u32;
            let chunk = self.buffers(ctx, cap);
            self.chunks.push(chunk);
            self.generation += 1;
        }
        let start = (self.chunks.len() - 1) * chunk_rows;
        let in_last = rows - start;
        let cap = self.chunks.last().map_or(0, |c| c.capacity) as usize;
        if in_last > cap {
            let mut new_cap = cap.max(32);
            while new_cap < in_last {
                new_cap *= 2;
            }
            let new_cap = (new_cap.div_ceil(32) * 32).min(chunk_rows) as u32;
            self.grow_last(ctx, new_cap)?;
        }
        ctx.check()
    }

    fn grow_last(&mut self, ctx: &GpuContext, capacity: u32) -> Result<()> {
        let Some(old) = self.chunks.pop() else {
            return Ok(());
        };
        let new = self.buffers(ctx, capacity);
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("scry grow"),
            });
        encoder.copy_buffer_to_buffer(&old.vectors, 0, &new.vectors, 0, old.vectors.size());
        encoder.copy_buffer_to_buffer(&old.meta, 0, &new.meta, 0, old.meta.size());
        encoder.copy_buffer_to_buffer(&old.live, 0, &new.live, 0, old.live.size());
        ctx.queue.submit([encoder.finish()]);
        old.destroy();
        self.chunks.push(new);
        self.generation += 1;
        ctx.check()
    }

    /// Writes rows `from..to` (whole tiles, from the tile holding `from`).
    fn upload_rows(&self, ctx: &GpuContext, flat: &FlatVectors, from: usize, to: usize) {
        let chunk_rows = self.chunk_rows as usize;
        let g = self.groups as usize;
        let words = g * 4;
        // At most this many tiles are packed at once (bounds the staging memory).
        const TILES_PER_WRITE: usize = 2048;
        let mut tile = from / 32;
        let last_tile = to.div_ceil(32);
        let mut row_words = Vec::with_capacity(words);
        while tile < last_tile {
            let c = tile * 32 / chunk_rows;
            let chunk_end_tile = (c + 1) * chunk_rows / 32;
            let end = last_tile.min(chunk_end_tile).min(tile + TILES_PER_WRITE);
            let mut image = vec![0u32; (end - tile) * 32 * words];
            let mut meta = vec![0f32; (end - tile) * 32 * 2];
            for t in tile..end {
                for lane in 0..32 {
                    let row = t * 32 + lane;
                    if row >= to {
                        break;
                    }
                    row_words.clear();
                    flat.encode_row_words(row, words, &mut row_words);
                    let base = (t - tile) * 32 * words;
                    for gi in 0..g {
                        let dst = base + (gi * 32 + lane) * 4;
                        image[dst..dst + 4].copy_from_slice(&row_words[gi * 4..gi * 4 + 4]);
                    }
                    let (scale, sqnorm) = flat.row_meta(row);
                    let m = ((t - tile) * 32 + lane) * 2;
                    meta[m] = scale;
                    meta[m + 1] = sqnorm;
                }
            }
            let local_tile = tile - c * chunk_rows / 32;
            let chunk = &self.chunks[c];
            ctx.queue.write_buffer(
                &chunk.vectors,
                (local_tile * 32 * words * 4) as u64,
                bytemuck::cast_slice(&image),
            );
            ctx.queue.write_buffer(
                &chunk.meta,
                (local_tile * 32 * 8) as u64,
                bytemuck::cast_slice(&meta),
            );
            tile = end;
        }
    }

    /// Releases every GPU buffer now (dropping does too).
    pub fn dispose(&mut self) {
        for c in self.chunks.drain(..) {
            c.destroy();
        }
        self.plan = None;
        for b in self.scratch.iter_mut().filter_map(Option::take) {
            b.destroy();
        }
        self.generation += 1;
        self.rows = 0;
        self.synced = None;
        self.live.clear();
    }

    /// The `k` best live rows for each query, best first, ties to the smaller row:
    /// `(row, score)`. The queries must be prepared by the same [`FlatVectors`]
    /// ([`FlatVectors::query`]), and the GPU copy synced.
    pub async fn search(
        &mut self,
        ctx: &GpuContext,
        queries: &[ScanQuery],
        k: usize,
    ) -> Result<Vec<Vec<(u32, f32)>>> {
        if k == 0 || queries.is_empty() || self.rows == 0 {
            ctx.check()?;
            return Ok(vec![Vec::new(); queries.len()]);
        }
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("scry search"),
            });
        let pending = self.record_search(ctx, &mut encoder, queries, k)?;
        ctx.queue.submit([encoder.finish()]);
        pending.read(ctx).await
    }

    /// Records a search into the caller's `encoder` (after uploading the queries); submit it,
    /// then [`PendingSearch::read`] the hits. Passes and bindings are prepared once per batch
    /// shape and reused while the collection's size and buffers stay the same.
    /// Read each [`PendingSearch`] before recording the next search on this collection: they
    /// share the query and readback buffers.
    pub fn record_search(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        queries: &[ScanQuery],
        k: usize,
    ) -> Result<PendingSearch> {
        ctx.check()?;
        if k == 0 || k > MAX_K {
            return Err(GpuError::InvalidInput(format!(
                "k = {k} is outside the GPU top-k range 1..={MAX_K}"
            )));
        }
        if queries.is_empty() || queries.len() > MAX_GROUPS as usize {
            return Err(GpuError::InvalidInput(format!(
                "{} queries in one batch (1..={MAX_GROUPS})",
                queries.len()
            )));
        }
        if self.rows == 0 {
            return Err(GpuError::InvalidInput("the GPU copy holds no rows".into()));
        }
        if queries.iter().any(|q| q.values.len() != self.dims) {
            return Err(GpuError::InvalidInput("query dimension mismatch".into()));
        }
        let q = queries.len() as u32;
        let qv = self.groups as usize * self.precision.per_word(); // vec4<f32> per query
        let mut qdata = vec![0f32; queries.len() * qv * 4];
        for (i, sq) in queries.iter().enumerate() {
            qdata[i * qv * 4..i * qv * 4 + self.dims].copy_from_slice(&sq.values);
        }
        let qnorms: Vec<f32> = queries.iter().map(|sq| sq.sqnorm).collect();
        let key = (q, k as u32, self.rows, self.generation);
        if self.plan.as_ref().is_none_or(|p| p.key != key) {
            self.plan = None;
            let plan = self.plan(ctx, q, k as u32)?;
            self.plan = Some(Plan { key, ..plan });
        }
        let plan = self
            .plan
            .as_ref()
            .ok_or_else(|| GpuError::InvalidInput("no search plan".into()))?;
        ctx.queue
            .write_buffer(&plan.queries, 0, bytemuck::cast_slice(&qdata));
        ctx.queue
            .write_buffer(&plan.qnorms, 0, bytemuck::cast_slice(&qnorms));
        self.kernels.record(encoder, &plan.passes);
        let bytes = u64::from(q) * k as u64 * 8;
        encoder.copy_buffer_to_buffer(&plan.result, 0, &plan.readback, 0, bytes);
        Ok(PendingSearch {
            readback: plan.readback.clone(),
            queries: queries.len(),
            k,
        })
    }

    /// A buffer of at least `size` bytes from `slot`, reallocated (and the plan invalidated)
    /// when too small.
    fn scratch_buffer(
        &mut self,
        ctx: &GpuContext,
        slot: usize,
        size: u64,
        usage: wgpu::BufferUsages,
    ) -> wgpu::Buffer {
        if let Some(b) = &self.scratch[slot]
            && b.size() >= size
        {
            return b.clone();
        }
        if let Some(old) = self.scratch[slot].take() {
            old.destroy();
        }
        self.generation += 1;
        let b = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(SCRATCH_LABELS[slot]),
            size: size.next_power_of_two().max(256),
            usage,
            mapped_at_creation: false,
        });
        self.scratch[slot] = Some(b.clone());
        b
    }

    /// Prepares every pass of a search of `q` queries for the current rows.
    fn plan(&mut self, ctx: &GpuContext, q: u32, k: u32) -> Result<Plan> {
        let qv = self.groups * self.precision.per_word() as u32;
        let storage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST;
        let queries = self.scratch_buffer(ctx, 0, u64::from(q * qv) * 16, storage);
        let qnorms = self.scratch_buffer(ctx, 1, u64::from(q) * 4, storage);

        // Row windows: every window's scores fit the scores buffer and one dispatch.
        let wg = self.kernels.workgroups;
        let per_query = (self
            .options
            .max_scores_bytes
            .min(ctx.adapter().max_storage_binding)
            / (4 * u64::from(q)))
        .min(u64::from(MAX_GROUPS) * u64::from(wg.score));
        let window = ((per_query / 32) * 32).min(u64::from(self.chunk_rows)) as u32;
        if window == 0 {
            return Err(GpuError::InvalidInput(format!(
                "a batch of {q} queries does not fit the scores buffer"
            )));
        }
        let block_len = self.kernels.block_len();
        // (chunk, rows in chunk, window start, window rows, first row id, first out block)
        let mut windows = Vec::new();
        let mut total_blocks = 0u32;
        for c in 0..self.chunks.len() {
            let chunk_base = c * self.chunk_rows as usize;
            if chunk_base >= self.rows {
                break;
            }
            let rows = ((self.rows - chunk_base) as u32).min(self.chunk_rows);
            let mut start = 0u32;
            while start < rows {
                let count = window.min(rows - start);
                windows.push((
                    c,
                    rows,
                    start,
                    count,
                    chunk_base as u32 + start,
                    total_blocks,
                ));
                total_blocks += count.div_ceil(block_len);
                start += count;
            }
        }
        let scores_rows = windows.iter().map(|w| w.3).max().unwrap_or(0);
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC;
        let scores = self.scratch_buffer(ctx, 2, u64::from(scores_rows) * u64::from(q) * 4, usage);
        let pairs_size = u64::from(total_blocks) * u64::from(k) * u64::from(q) * 8;
        let mut ping = self.scratch_buffer(ctx, 3, pairs_size, usage);
        let mut pong = self.scratch_buffer(ctx, 4, pairs_size, usage);
        let readback = self.scratch_buffer(
            ctx,
            5,
            u64::from(q) * u64::from(k) * 8,
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        );

        let metric = metric_code(self.metric);
        let mut passes = Vec::new();
        for &(c, rows, start, count, id_base, out_block) in &windows {
            let chunk = &self.chunks[c];
            passes.push(self.kernels.score_pass(
                ctx,
                ScoreParams {
                    rows,
                    row_start: start,
                    row_count: count,
                    groups: self.groups,
                    queries: q,
                    metric,
                    out_stride: count,
                    query_vec4s: qv,
                },
                &chunk.vectors,
                &chunk.meta,
                &chunk.live,
                &queries,
                &qnorms,
                &scores,
            ));
            passes.push(self.kernels.select_pass(
                ctx,
                TopkParams {
                    count,
                    in_stride: count,
                    block_len,
                    k,
                    out_stride: total_blocks * k,
                    out_block,
                    id_base,
                    _pad: 0,
                },
                q,
                &scores,
                false,
                &ping,
            ));
        }
        // Merge the blocks' lists until one per query is left.
        let mut count = total_blocks * k;
        while count > k {
            let blocks = count.div_ceil(block_len);
            passes.push(self.kernels.select_pass(
                ctx,
                TopkParams {
                    count,
                    in_stride: count,
                    block_len,
                    k,
                    out_stride: blocks * k,
                    out_block: 0,
                    id_base: 0,
                    _pad: 0,
                },
                q,
                &ping,
                true,
                &pong,
            ));
            std::mem::swap(&mut ping, &mut pong);
            count = blocks * k;
        }
        ctx.check()?;
        Ok(Plan {
            key: (0, 0, 0, 0),
            passes,
            queries,
            qnorms,
            result: ping,
            readback,
        })
    }
}

/// A search recorded into an encoder, waiting for its submission to finish.
#[derive(Debug)]
#[must_use = "read() the hits once the encoder is submitted"]
pub struct PendingSearch {
    readback: wgpu::Buffer,
    queries: usize,
    k: usize,
}

impl PendingSearch {
    /// Waits for the GPU (without blocking a browser's thread) and returns the hits per
    /// query, best first: `(row, score)`.
    pub async fn read(self, ctx: &GpuContext) -> Result<Vec<Vec<(u32, f32)>>> {
        let (q, k) = (self.queries, self.k);
        let raw = ctx.read_bytes(&self.readback, (q * k * 8) as u64).await?;
        let pairs: Vec<u32> = bytemuck::pod_collect_to_vec(&raw);
        Ok((0..q)
            .map(|qi| {
                pairs[qi * k * 2..(qi + 1) * k * 2]
                    .chunks_exact(2)
                    .map(|p| (p[1], f32::from_bits(p[0])))
                    .filter(|&(id, s)| id != NONE && s != f32::MIN) // f32::MIN: a deleted row
                    .collect()
            })
            .collect())
    }
}

/// Everything a search of one batch shape needs, prepared once.
#[derive(Debug)]
struct Plan {
    /// (queries, k, rows, generation) it was made for.
    key: (u32, u32, usize, u64),
    passes: Vec<Pass>,
    queries: wgpu::Buffer,
    qnorms: wgpu::Buffer,
    /// Where the final k pairs per query land.
    result: wgpu::Buffer,
    readback: wgpu::Buffer,
}

const SCRATCH_LABELS: [&str; 6] = [
    "scry queries",
    "scry query norms",
    "scry scores",
    "scry pairs",
    "scry pairs",
    "scry readback",
];

impl Drop for GpuVectors {
    fn drop(&mut self) {
        self.dispose();
    }
}
