//! One conformance suite for every similarity backend: the GPU kernels (lavapipe natively,
//! SwiftShader in Chrome, an NVIDIA GPU when there is one) must return the top-k of scry-core's
//! CPU scan (`FlatVectors`), ties broken by row id, for every precision and metric, across
//! chunks, windows, growth, deletes and device loss.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use scry_core::vector::flat::{kmeans_assign, kmeans_update};
use scry_core::vector::synthetic::Rng;
use scry_core::vector::{FlatVectors, Metric, Precision};
use scry_gpu::{
    Backend, GpuContext, GpuOptions, GpuVectors, KMeansKernel, MAX_K, Scanner, Used, Workgroups,
};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const PRECISIONS: [Precision; 3] = [Precision::F32, Precision::F16, Precision::I8];
const METRICS: [Metric; 3] = [Metric::Cosine, Metric::Dot, Metric::L2];

fn random(rng: &mut Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.normal()).collect()
}

fn tol(s: f32) -> f32 {
    2e-4 * (1.0 + s.abs())
}

/// `gpu` must be `cpu` up to f32 rounding: same scores rank by rank, and the same ids except
/// where two CPU scores are within rounding of each other (then either order is exact).
fn assert_same_top_k(what: &str, flat: &FlatVectors, gpu: &[(u32, f32)], cpu: &[(u32, f32)]) {
    assert_eq!(gpu.len(), cpu.len(), "{what}: result length");
    let mut seen = std::collections::HashSet::new();
    for (i, (g, c)) in gpu.iter().zip(cpu).enumerate() {
        assert!(seen.insert(g.0), "{what}: row {} twice", g.0);
        assert!(flat.is_live(g.0), "{what}: deleted row {} returned", g.0);
        assert!(
            (g.1 - c.1).abs() <= tol(c.1),
            "{what}: rank {i} gpu {g:?} cpu {c:?}"
        );
        if g.0 != c.0 {
            let near = |j: usize| {
                cpu.get(j)
                    .is_some_and(|o: &(u32, f32)| (o.1 - c.1).abs() <= tol(c.1))
            };
            assert!(
                near(i + 1) || (i > 0 && near(i - 1)) || i + 1 == cpu.len(),
                "{what}: rank {i} gpu {g:?} cpu {c:?} are not a near-tie"
            );
        }
    }
}

async fn context() -> GpuContext {
    let ctx = GpuContext::new()
        .await
        .expect("a GPU adapter (lavapipe / SwiftShader / hardware) must exist");
    println!("adapter: {:?}", ctx.adapter());
    ctx
}

async fn every_precision_and_metric_matches_the_cpu() {
    let ctx = context().await;
    for precision in PRECISIONS {
        for metric in METRICS {
            // 37: padding in every precision; 384: the 8-query tile; 1000 (natively only: it
            // doubles the browser run): too wide for the 4- and 8-query tiles.
            let dims_list: &[usize] = if cfg!(target_arch = "wasm32") {
                &[37, 384]
            } else {
                &[37, 384, 1000]
            };
            for &dims in dims_list {
                let seed = 0xC0FFEE + dims as u64;
                let mut rng = Rng::new(seed);
                let mut flat = FlatVectors::new(dims, metric, precision).unwrap();
                for _ in 0..1000 {
                    flat.push(&random(&mut rng, dims)).unwrap();
                }
                for row in (0..1000).step_by(7) {
                    flat.delete(row);
                }
                let mut gpu = GpuVectors::new(&ctx, &flat, GpuOptions::default()).unwrap();
                gpu.sync(&ctx, &flat).unwrap();
                let queries: Vec<_> = (0..9)
                    .map(|_| flat.query(&random(&mut rng, dims)).unwrap())
                    .collect();
                for k in [1, 10, MAX_K] {
                    for batch in [&queries[..1], &queries[..]] {
                        let got = gpu.search(&ctx, batch, k).await.unwrap();
                        for (qi, q) in batch.iter().enumerate() {
                            let want = flat.search(q, k);
                            let what = format!(
                                "seed {seed} {precision:?} {metric:?} dims {dims} k {k} batch {} q {qi}",
                                batch.len()
                            );
                            assert_same_top_k(&what, &flat, &got[qi], &want);
                        }
                    }
                }
            }
        }
    }
}

/// Small chunks and score windows force every multi-buffer path; appends in uneven batches
/// cross tile boundaries and capacity doublings; deletes after upload update the mask only.
async fn chunks_windows_growth_and_deletes() {
    let ctx = context().await;
    let dims = 48;
    let seed = 77;
    let mut rng = Rng::new(seed);
    let mut flat = FlatVectors::new(dims, Metric::Cosine, Precision::F32).unwrap();
    let options = GpuOptions {
        max_chunk_bytes: 32 * 12 * 16 * 5, // five 32-row tiles of 12 vec4 words
        max_scores_bytes: 4 * 3 * 64,      // 64 rows per window at 3 queries
        initial_rows: 32,
        workgroups: Workgroups {
            score: 64,
            topk: 32,
            topk_items: 8,
        },
    };
    let mut gpu = GpuVectors::new(&ctx, &flat, options).unwrap();
    let queries: Vec<_> = (0..3)
        .map(|_| flat.query(&random(&mut rng, dims)).unwrap())
        .collect();
    let mut total = 0;
    for batch in [1usize, 30, 3, 100, 257, 1, 500] {
        for _ in 0..batch {
            flat.push(&random(&mut rng, dims)).unwrap();
        }
        total += batch;
        for _ in 0..batch / 10 {
            flat.delete((rng.next_u64() % total as u64) as u32);
        }
        gpu.sync(&ctx, &flat).unwrap();
        let got = gpu.search(&ctx, &queries, 20).await.unwrap();
        for (qi, q) in queries.iter().enumerate() {
            let want = flat.search(q, 20);
            let what = format!("seed {seed} rows {total} q {qi}");
            assert_same_top_k(&what, &flat, &got[qi], &want);
        }
    }
    assert!(gpu.chunk_count() >= 5, "{} chunks", gpu.chunk_count());
    // k above the live rows returns every live row, no deleted ones.
    let mut small = FlatVectors::new(4, Metric::Dot, Precision::I8).unwrap();
    for i in 0..10 {
        small.push(&[i as f32 + 1.0, 1.0, 0.0, -1.0]).unwrap();
    }
    small.delete(3);
    let mut g = GpuVectors::new(&ctx, &small, GpuOptions::default()).unwrap();
    g.sync(&ctx, &small).unwrap();
    let q = small.query(&[1.0, 0.0, 0.0, 0.0]).unwrap();
    let got = g.search(&ctx, std::slice::from_ref(&q), 50).await.unwrap();
    assert_eq!(got[0].len(), 9);
    assert_same_top_k("small", &small, &got[0], &small.search(&q, 50));
    g.dispose();
    assert_eq!(g.memory_bytes(), 0);
}

async fn ties_go_to_the_smaller_row() {
    let ctx = context().await;
    for precision in PRECISIONS {
        let mut flat = FlatVectors::new(8, Metric::Dot, precision).unwrap();
        for i in 0..300 {
            // Three distinct vectors, repeated: scores tie exactly.
            let mut v = [0.25f32; 8];
            v[i % 3] = 1.0;
            flat.push(&v).unwrap();
        }
        let mut gpu = GpuVectors::new(&ctx, &flat, GpuOptions::default()).unwrap();
        gpu.sync(&ctx, &flat).unwrap();
        let q = flat
            .query(&[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
            .unwrap();
        let got = gpu
            .search(&ctx, std::slice::from_ref(&q), 12)
            .await
            .unwrap();
        let ids: Vec<u32> = got[0].iter().map(|h| h.0).collect();
        assert_eq!(
            ids,
            (0..12).map(|i| i * 3).collect::<Vec<u32>>(),
            "{precision:?}"
        );
        assert_eq!(
            got[0],
            flat.search(&q, 12),
            "{precision:?}: exact ties must match the CPU bit for bit"
        );
    }
}

async fn kmeans_steps_match_the_cpu() {
    let ctx = context().await;
    let kernel = KMeansKernel::new(&ctx).unwrap();
    let dims = 24;
    let seed = 5;
    let mut rng = Rng::new(seed);
    let mut points = Vec::new();
    for i in 0..300 {
        let mut p = random(&mut rng, dims);
        p[i % 4] += 6.0;
        scry_core::vector::quantize::normalize(&mut p);
        points.extend(p);
    }
    for (metric, spherical) in [(Metric::Cosine, true), (Metric::L2, false)] {
        let init: Vec<f32> = points[..4 * dims].to_vec();
        let got = kernel
            .run(&ctx, &points, &init, dims, metric, spherical, 3)
            .await
            .unwrap();
        let mut cent = init.clone();
        for _ in 0..3 {
            let a: Vec<u32> = kmeans_assign(&points, &cent, dims, metric)
                .iter()
                .map(|x| x.0)
                .collect();
            kmeans_update(&points, &a, &mut cent, dims, spherical);
        }
        let want = kmeans_assign(&points, &cent, dims, metric);
        assert_eq!(want.len(), 300);
        assert_eq!(got.assignment.len(), 300, "{metric:?}");
        assert_eq!(got.scores.len(), 300, "{metric:?}");
        assert_eq!(got.centroids.len(), cent.len(), "{metric:?}");
        assert_eq!(cent.len(), 4 * dims);
        for (i, (a, w)) in got.assignment.iter().zip(&want).enumerate() {
            assert_eq!(*a, w.0, "seed {seed} {metric:?} point {i}");
            assert!((got.scores[i] - w.1).abs() <= tol(w.1));
        }
        for (g, w) in got.centroids.iter().zip(&cent) {
            assert!((g - w).abs() <= 1e-4, "{metric:?} centroid {g} vs {w}");
        }
    }
    let err = kernel
        .run(&ctx, &[1.0; 5], &[1.0; 4], 4, Metric::Dot, false, 1)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "INVALID_INPUT");
}

/// A lost device mid-session: the scanner keeps answering, from the CPU, with the same hits.
async fn device_loss_falls_back_to_the_cpu() {
    let dims = 64;
    let mut rng = Rng::new(9);
    let mut scanner = Scanner::new(
        dims,
        Metric::Cosine,
        Precision::F16,
        Backend::WebGpu,
        GpuOptions::default(),
    )
    .await
    .unwrap();
    for _ in 0..500 {
        scanner.add(&random(&mut rng, dims)).unwrap();
    }
    let queries: Vec<Vec<f32>> = (0..4).map(|_| random(&mut rng, dims)).collect();
    let before = scanner.search(&queries, 10).await.unwrap();
    assert_eq!(scanner.last_used(), Some(Used::Gpu));
    scanner.gpu_context().unwrap().force_device_loss();
    scanner.add(&random(&mut rng, dims)).unwrap();
    let after = scanner.search(&queries, 10).await.unwrap();
    assert_eq!(scanner.last_used(), Some(Used::Cpu));
    assert_eq!(scanner.gpu_failure().unwrap().code(), "GPU_DEVICE_LOST");
    assert_eq!(before.len(), queries.len());
    assert_eq!(after.len(), queries.len());
    for (qi, (b, a)) in before.iter().zip(&after).enumerate() {
        let prepared = scanner.flat().query(&queries[qi]).unwrap();
        assert_same_top_k(
            "after loss",
            scanner.flat(),
            a,
            &scanner.flat().search(&prepared, 10),
        );
        // The row added after the loss may enter; otherwise the answer is unchanged.
        assert_eq!(b.len(), 10, "q {qi}");
        let ids_b: Vec<u32> = b.iter().map(|h| h.0).collect();
        let ids_a: Vec<u32> = a.iter().filter(|h| h.0 != 500).map(|h| h.0).collect();
        assert!(ids_b.starts_with(&ids_a), "q {qi}: {ids_b:?} vs {ids_a:?}");
    }
    // And it keeps answering.
    assert_eq!(scanner.search(&queries, 3).await.unwrap().len(), 4);
}

/// `auto` never scans on a software adapter (lavapipe, SwiftShader); `cpu` never uses a GPU;
/// k above the GPU limit is answered by the CPU; bad input is a typed error.
async fn backend_selection_and_bad_input() {
    let dims = 16;
    let mut rng = Rng::new(1);
    let mut auto = Scanner::new(
        dims,
        Metric::Dot,
        Precision::F32,
        Backend::Auto,
        GpuOptions::default(),
    )
    .await
    .unwrap();
    let mut cpu = Scanner::new(
        dims,
        Metric::Dot,
        Precision::F32,
        Backend::Cpu,
        GpuOptions::default(),
    )
    .await
    .unwrap();
    let mut gpu = Scanner::new(
        dims,
        Metric::Dot,
        Precision::F32,
        Backend::WebGpu,
        GpuOptions::default(),
    )
    .await
    .unwrap();
    for _ in 0..200 {
        let v = random(&mut rng, dims);
        auto.add(&v).unwrap();
        cpu.add(&v).unwrap();
        gpu.add(&v).unwrap();
    }
    auto.set_crossover_values(0);
    let q = vec![random(&mut rng, dims)];
    let a = auto.search(&q, 5).await.unwrap();
    let software = auto.gpu_context().is_none_or(|c| c.adapter().is_software());
    assert_eq!(
        auto.last_used(),
        Some(if software { Used::Cpu } else { Used::Gpu })
    );
    let c = cpu.search(&q, 5).await.unwrap();
    assert_eq!(cpu.last_used(), Some(Used::Cpu));
    assert!(cpu.gpu_context().is_none());
    let g = gpu.search(&q, 5).await.unwrap();
    assert_eq!(gpu.last_used(), Some(Used::Gpu));
    assert_same_top_k("auto", cpu.flat(), &a[0], &c[0]);
    assert_same_top_k("webgpu", cpu.flat(), &g[0], &c[0]);
    gpu.search(&q, MAX_K + 1).await.unwrap();
    assert_eq!(gpu.last_used(), Some(Used::Cpu));
    assert!(
        gpu.gpu_failure().is_none(),
        "a large k is not a GPU failure"
    );
    assert_eq!(
        gpu.search(&[vec![1.0; 3]], 5).await.unwrap_err().code(),
        "INVALID_INPUT"
    );
    assert_eq!(
        gpu.add(&[f32::NAN; 16]).unwrap_err().code(),
        "INVALID_INPUT"
    );
    assert!(Backend::parse("cuda").is_err());
    assert_eq!(Backend::parse("webgpu").unwrap(), Backend::WebGpu);
    // Direct kernel misuse is typed too.
    let ctx = context().await;
    let mut flat = FlatVectors::new(dims, Metric::Dot, Precision::F32).unwrap();
    flat.push(&random(&mut rng, dims)).unwrap();
    let mut v = GpuVectors::new(&ctx, &flat, GpuOptions::default()).unwrap();
    v.sync(&ctx, &flat).unwrap();
    let q = flat.query(&random(&mut rng, dims)).unwrap();
    let err = v
        .search(&ctx, std::slice::from_ref(&q), MAX_K + 1)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "INVALID_INPUT");
    let other = FlatVectors::new(dims + 1, Metric::Dot, Precision::F32).unwrap();
    assert_eq!(v.sync(&ctx, &other).unwrap_err().code(), "INVALID_INPUT");
    let huge = FlatVectors::new(8192, Metric::Dot, Precision::F32).unwrap();
    assert_eq!(
        GpuVectors::new(&ctx, &huge, GpuOptions::default())
            .unwrap_err()
            .code(),
        "INVALID_INPUT"
    );
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use pollster::block_on;

    #[test]
    fn every_precision_and_metric_matches_the_cpu() {
        block_on(super::every_precision_and_metric_matches_the_cpu());
    }
    #[test]
    fn chunks_windows_growth_and_deletes() {
        block_on(super::chunks_windows_growth_and_deletes());
    }
    #[test]
    fn ties_go_to_the_smaller_row() {
        block_on(super::ties_go_to_the_smaller_row());
    }
    #[test]
    fn kmeans_steps_match_the_cpu() {
        block_on(super::kmeans_steps_match_the_cpu());
    }
    #[test]
    fn device_loss_falls_back_to_the_cpu() {
        block_on(super::device_loss_falls_back_to_the_cpu());
    }
    #[test]
    fn backend_selection_and_bad_input() {
        block_on(super::backend_selection_and_bad_input());
    }
}

#[cfg(target_arch = "wasm32")]
mod browser {
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    async fn every_precision_and_metric_matches_the_cpu() {
        super::every_precision_and_metric_matches_the_cpu().await;
    }
    #[wasm_bindgen_test]
    async fn chunks_windows_growth_and_deletes() {
        super::chunks_windows_growth_and_deletes().await;
    }
    #[wasm_bindgen_test]
    async fn ties_go_to_the_smaller_row() {
        super::ties_go_to_the_smaller_row().await;
    }
    #[wasm_bindgen_test]
    async fn kmeans_steps_match_the_cpu() {
        super::kmeans_steps_match_the_cpu().await;
    }
    #[wasm_bindgen_test]
    async fn device_loss_falls_back_to_the_cpu() {
        super::device_loss_falls_back_to_the_cpu().await;
    }
    #[wasm_bindgen_test]
    async fn backend_selection_and_bad_input() {
        super::backend_selection_and_bad_input().await;
    }
}
