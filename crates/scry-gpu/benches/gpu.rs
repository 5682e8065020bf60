//! Exact-scan latency, GPU against CPU: `cargo bench -p scry-gpu --bench gpu`.
//! Each iteration is one whole search as a caller sees it: queries uploaded, passes recorded
//! and submitted, k = 10 pairs per query read back. `SCRY_BENCH_MAX_N` caps the collection
//! size (lavapipe cannot hold 1M × 384 f32 in reasonable time); `SCRY_BENCH_CPU=0` skips the CPU
//! rows. Throughput is the collection's bytes per search (read once per query tile).
#![allow(missing_docs)] // criterion_group! generates an undocumented `pub fn`

#[cfg(not(target_arch = "wasm32"))]
mod native {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark code

    use std::time::Duration;

    use criterion::{BenchmarkId, Criterion, Throughput};
    use pollster::block_on;
    use scry_core::vector::synthetic::Rng;
    use scry_core::vector::{FlatVectors, Metric, Precision};
    use scry_gpu::{GpuContext, GpuOptions, GpuVectors};

    const DIMS: usize = 384;
    const K: usize = 10;

    fn env_usize(name: &str, default: usize) -> usize {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }

    fn bytes_per_row(p: Precision) -> u64 {
        DIMS as u64 * 4 / p.per_word() as u64
    }

    pub(crate) fn scan(c: &mut Criterion) {
        let max_n = env_usize("SCRY_BENCH_MAX_N", 1_000_000);
        let cpu_rows = env_usize("SCRY_BENCH_CPU", 1) != 0;
        let ctx = block_on(GpuContext::new()).expect("a GPU adapter");
        eprintln!("adapter: {:?}", ctx.adapter());
        let mut group = c.benchmark_group("scan");
        group
            .sample_size(20)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
        let mut rng = Rng::new(42);
        let sizes: Vec<usize> = [
            1_000, 2_000, 4_000, 16_000, 64_000, 100_000, 256_000, 1_000_000,
        ]
        .into_iter()
        .filter(|&n| n <= max_n)
        .collect();
        for precision in [Precision::F32, Precision::F16, Precision::I8] {
            let name = format!("{precision:?}").to_lowercase();
            let mut flat = FlatVectors::new(DIMS, Metric::Cosine, precision).unwrap();
            let mut gpu = GpuVectors::new(&ctx, &flat, GpuOptions::default()).unwrap();
            let queries: Vec<_> = (0..64)
                .map(|_| {
                    let v: Vec<f32> = (0..DIMS).map(|_| rng.normal()).collect();
                    flat.query(&v).unwrap()
                })
                .collect();
            for &n in &sizes {
                // Grow the same collection (appends in place on the GPU).
                let more = n - flat.len();
                let mut v = vec![0f32; DIMS];
                for _ in 0..more {
                    for x in &mut v {
                        *x = rng.normal();
                    }
                    flat.push(&v).unwrap();
                }
                gpu.sync(&ctx, &flat).unwrap();
                let bytes = n as u64 * bytes_per_row(precision);
                for batch in [1usize, 64] {
                    if batch == 64 && n < 100_000 {
                        continue;
                    }
                    group.throughput(Throughput::Bytes(bytes * batch as u64));
                    let qs = &queries[..batch];
                    group.bench_with_input(
                        BenchmarkId::new(format!("gpu/{name}/b{batch}"), n),
                        &n,
                        |b, _| b.iter(|| block_on(gpu.search(&ctx, qs, K)).unwrap()),
                    );
                    if cpu_rows && batch == 1 {
                        group.bench_with_input(
                            BenchmarkId::new(format!("cpu/{name}/b1"), n),
                            &n,
                            |b, _| b.iter(|| flat.search(&qs[0], K)),
                        );
                    }
                }
            }
            gpu.dispose();
        }
        group.finish();
    }

    /// The engine's vector search over one flat segment (documents not yet in a graph), as the
    /// package runs it: its own int8 scan on the CPU, against `EngineScan` (sync, GPU
    /// candidates, exact re-scoring on the CPU). Vector mode, k = 10, MiniLM-like vectors.
    pub(crate) fn engine(c: &mut Criterion) {
        use scry_core::vector::synthetic::minilm_like;
        use scry_core::{Document, Engine, EngineConfig, Mode, ModelTag, Scratch, SearchOptions};
        use scry_gpu::{Backend, EngineScan};

        let max_n = env_usize("SCRY_BENCH_MAX_N", 1_000_000).min(100_000);
        let mut group = c.benchmark_group("engine_flat_search");
        group
            .sample_size(20)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
        let model = ModelTag {
            id: "minilm-like".into(),
            dims: DIMS,
            fingerprint: "bench".into(),
        };
        let opts = SearchOptions {
            k: K,
            mode: Mode::Vector,
            ..Default::default()
        };
        for n in [4_000, 20_000, 100_000].into_iter().filter(|&n| n <= max_n) {
            let mut vectors = minilm_like(3, n + 16, DIMS);
            let queries = vectors.split_off(n);
            let docs: Vec<Document> = (0..n)
                .map(|i| Document::new(format!("d{i}"), "", "text"))
                .collect();
            let mut config = EngineConfig::default();
            config.vectors.hnsw_threshold = 1_000_000; // one flat segment, never a graph
            let mut engine = Engine::new(config).unwrap();
            let rows = vectors.into_iter().map(|v| vec![v]).collect();
            engine.add_with_vectors(docs, rows, &model).unwrap();
            let mut scratch = Scratch::default();
            group.bench_with_input(BenchmarkId::new("cpu", n), &n, |b, _| {
                let mut i = 0;
                b.iter(|| {
                    i = (i + 1) % queries.len();
                    engine
                        .search_with(&mut scratch, "", Some(&queries[i]), &opts)
                        .unwrap()
                })
            });
            let mut scan = block_on(EngineScan::new(Backend::WebGpu, DIMS, Metric::Cosine))
                .expect("a GPU adapter");
            scan.sync(&engine).unwrap();
            let want = engine.flat_candidate_rows(&opts);
            group.bench_with_input(BenchmarkId::new("gpu", n), &n, |b, _| {
                let mut i = 0;
                b.iter(|| {
                    i = (i + 1) % queries.len();
                    scan.sync(&engine).unwrap();
                    let cands = block_on(scan.candidates(&queries[i], want))
                        .unwrap()
                        .unwrap();
                    engine
                        .search_with_candidates(&mut scratch, "", Some(&queries[i]), &opts, &cands)
                        .unwrap()
                })
            });
            scan.dispose();
        }
        group.finish();
    }
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_group!(benches, native::scan, native::engine);
#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(benches);

#[cfg(target_arch = "wasm32")]
fn main() {}
