//! Backend selection for exact scans: `auto | webgpu | cpu`. The CPU copy (scry-core's
//! [`FlatVectors`]) is always kept: it answers small collections, software adapters and
//! everything after a GPU failure, so a lost device never loses an answer.

use scry_core::vector::{FlatVectors, Metric, Precision, ScanQuery};

use crate::context::GpuContext;
use crate::error::{GpuError, Result};
use crate::vectors::{GpuOptions, GpuVectors};

/// Which backend scans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// The GPU when there is a hardware adapter and the collection is past the crossover
    /// ([`Scanner::crossover_values`]); the CPU otherwise.
    #[default]
    Auto,
    /// The GPU whenever it works (software adapters included); the CPU after a failure.
    WebGpu,
    /// Always the CPU (wasm SIMD128 in the browser).
    Cpu,
}

impl Backend {
    /// Parses `auto`, `webgpu` or `cpu`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(Backend::Auto),
            "webgpu" | "gpu" => Ok(Backend::WebGpu),
            "cpu" => Ok(Backend::Cpu),
            _ => Err(GpuError::InvalidInput(format!(
                "unknown backend {s:?} (auto, webgpu or cpu)"
            ))),
        }
    }
}

/// Stored values (rows × dims) from which `auto` scans on a hardware GPU: 1,500 rows of 384
/// dimensions. Measured on an NVIDIA H200 (Vulkan) against one core of its host (AVX2), k = 10,
/// batch 1 (BENCHMARKS.md, "scry-gpu"): f32 crosses between 1,000 rows (CPU 0.079 ms, GPU
/// 0.124 ms) and 2,000 rows (CPU 0.209 ms, GPU 0.173 ms); int8 and f16 already favour the GPU
/// at 1,000 rows. Below it a submission and a readback cost more than the scan.
pub const DEFAULT_CROSSOVER_VALUES: usize = 1_500 * 384;

/// What answered the last search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Used {
    /// The GPU kernels.
    Gpu,
    /// The CPU scan.
    Cpu,
}

/// An exact-scan collection with a GPU copy when one helps.
#[derive(Debug)]
pub struct Scanner {
    flat: FlatVectors,
    backend: Backend,
    gpu: Option<(GpuContext, GpuVectors)>,
    /// Why the GPU was given up, if it was.
    gpu_failure: Option<GpuError>,
    crossover: usize,
    last: Option<Used>,
    options: GpuOptions,
}

impl Scanner {
    /// An empty collection. `webgpu` fails when there is no adapter; `auto` then uses the CPU.
    pub async fn new(
        dims: usize,
        metric: Metric,
        precision: Precision,
        backend: Backend,
        options: GpuOptions,
    ) -> Result<Self> {
        let flat = FlatVectors::new(dims, metric, precision)
            .map_err(|e| GpuError::InvalidInput(e.to_string()))?;
        let (gpu, gpu_failure) = match backend {
            Backend::Cpu => (None, None),
            Backend::Auto | Backend::WebGpu => match Self::open(&flat, options).await {
                Ok(g) => (Some(g), None),
                Err(e) if backend == Backend::Auto => (None, Some(e)),
                Err(e) => return Err(e),
            },
        };
        Ok(Self {
            flat,
            backend,
            gpu,
            gpu_failure,
            crossover: DEFAULT_CROSSOVER_VALUES,
            last: None,
            options,
        })
    }

    async fn open(flat: &FlatVectors, options: GpuOptions) -> Result<(GpuContext, GpuVectors)> {
        let ctx = GpuContext::new().await?;
        let vectors = GpuVectors::new(&ctx, flat, options)?;
        Ok((ctx, vectors))
    }

    /// The CPU copy.
    pub fn flat(&self) -> &FlatVectors {
        &self.flat
    }

    /// The GPU context, while the GPU is in use.
    pub fn gpu_context(&self) -> Option<&GpuContext> {
        self.gpu.as_ref().map(|g| &g.0)
    }

    /// Why the GPU is not (or no longer) used, if it was wanted.
    pub fn gpu_failure(&self) -> Option<&GpuError> {
        self.gpu_failure.as_ref()
    }

    /// Which backend answered the last search.
    pub fn last_used(&self) -> Option<Used> {
        self.last
    }

    /// Stored values (rows × dims) from which `auto` uses the GPU.
    pub fn crossover_values(&self) -> usize {
        self.crossover
    }

    /// Overrides the crossover (for tuning on a known machine).
    pub fn set_crossover_values(&mut self, values: usize) {
        self.crossover = values;
    }

    /// Appends a vector; returns its row id.
    pub fn add(&mut self, v: &[f32]) -> Result<u32> {
        self.flat
            .push(v)
            .map_err(|e| GpuError::InvalidInput(e.to_string()))
    }

    /// Appends an int8 row quantised elsewhere (see [`FlatVectors::push_quantized`]); int8
    /// scanners only.
    pub fn add_quantized(&mut self, codes: &[i8], scale: f32, sqnorm: f32) -> Result<u32> {
        self.flat
            .push_quantized(codes, scale, sqnorm)
            .map_err(|e| GpuError::InvalidInput(e.to_string()))
    }

    /// Empties the collection (row ids start again at 0), keeping the device.
    pub fn clear(&mut self) -> Result<()> {
        self.flat = FlatVectors::new(self.flat.dims(), self.flat.metric(), self.flat.precision())
            .map_err(|e| GpuError::InvalidInput(e.to_string()))?;
        if let Some((ctx, vectors)) = &mut self.gpu {
            let fresh = GpuVectors::new(ctx, &self.flat, self.options);
            vectors.dispose();
            match fresh {
                Ok(v) => *vectors = v,
                Err(e) => self.drop_gpu(e),
            }
        }
        Ok(())
    }

    /// Deletes a row; false if it was not live.
    pub fn delete(&mut self, row: u32) -> bool {
        self.flat.delete(row)
    }

    /// Whether the next search runs on the GPU (the backend, the adapter and the collection's
    /// size decide; see [`Backend`]).
    pub fn uses_gpu(&self) -> bool {
        let Some((ctx, _)) = &self.gpu else {
            return false;
        };
        match self.backend {
            Backend::Cpu => false,
            Backend::WebGpu => true,
            Backend::Auto => {
                !ctx.adapter().is_software()
                    && self.flat.live_count() * self.flat.dims() >= self.crossover
            }
        }
    }

    /// The `k` best live rows for each query, best first, ties to the smaller row. Runs on
    /// the GPU when selected; any GPU error drops the GPU for good and the CPU answers.
    pub async fn search(&mut self, queries: &[Vec<f32>], k: usize) -> Result<Vec<Vec<(u32, f32)>>> {
        let prepared: Vec<ScanQuery> = queries
            .iter()
            .map(|q| self.flat.query(q))
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| GpuError::InvalidInput(e.to_string()))?;
        if self.uses_gpu() && k <= crate::kernels::search::MAX_K {
            match self.search_gpu(&prepared, k).await {
                Ok(hits) => {
                    self.last = Some(Used::Gpu);
                    return Ok(hits);
                }
                Err(e) => self.drop_gpu(e),
            }
        }
        self.last = Some(Used::Cpu);
        Ok(prepared.iter().map(|q| self.flat.search(q, k)).collect())
    }

    async fn search_gpu(
        &mut self,
        queries: &[ScanQuery],
        k: usize,
    ) -> Result<Vec<Vec<(u32, f32)>>> {
        let Some((ctx, vectors)) = &mut self.gpu else {
            return Err(GpuError::Unavailable("no GPU".into()));
        };
        vectors.sync(ctx, &self.flat)?;
        vectors.search(ctx, queries, k).await
    }

    fn drop_gpu(&mut self, e: GpuError) {
        if let Some((_, mut vectors)) = self.gpu.take() {
            vectors.dispose();
        }
        self.gpu_failure = Some(e);
    }

    /// Releases the GPU buffers and device (the CPU copy stays usable).
    pub fn dispose(&mut self) {
        if let Some((_, mut vectors)) = self.gpu.take() {
            vectors.dispose();
        }
    }
}
