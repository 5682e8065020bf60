//! The dot kernel against the CPU on seeded random data: lavapipe natively, SwiftShader in Chrome.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use scry_gpu::{DotKernel, GpuContext};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// Small deterministic generator (xorshift) so native and wasm runs see the same data.
fn random_vectors(seed: u64, count: usize) -> Vec<f32> {
    let mut s = seed;
    (0..count)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
        })
        .collect()
}

async fn gpu_scores_equal_cpu(n: usize, dim: usize) {
    let seed = 0x5C27 + n as u64;
    println!("seed {seed}, n {n}, dim {dim}");
    let ctx = GpuContext::new()
        .await
        .expect("a GPU adapter (lavapipe / SwiftShader) must exist");
    println!("adapter: {:?}", ctx.adapter());
    let kernel = DotKernel::new(&ctx);
    let query = random_vectors(seed, dim);
    let vectors = random_vectors(seed + 1, n * dim);
    let got = kernel.scores(&ctx, &query, &vectors).await.unwrap();
    assert_eq!(got.len(), n);
    for (i, g) in got.iter().enumerate() {
        let want: f32 = query
            .iter()
            .zip(&vectors[i * dim..(i + 1) * dim])
            .map(|(a, b)| a * b)
            .sum();
        assert!(
            (g - want).abs() <= 1e-4 * (1.0 + want.abs()),
            "row {i}: gpu {g} cpu {want}"
        );
    }
}

async fn bad_input_is_a_typed_error() {
    let ctx = GpuContext::new().await.unwrap();
    let kernel = DotKernel::new(&ctx);
    let err = kernel
        .scores(&ctx, &[1.0, 2.0, 3.0], &[1.0; 10])
        .await
        .unwrap_err();
    assert_eq!(err.code(), "INVALID_INPUT");
    let err = kernel.scores(&ctx, &[], &[]).await.unwrap_err();
    assert_eq!(err.code(), "INVALID_INPUT");
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    #[test]
    fn gpu_scores_equal_cpu() {
        pollster::block_on(super::gpu_scores_equal_cpu(1000, 384));
        pollster::block_on(super::gpu_scores_equal_cpu(7, 3));
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        pollster::block_on(super::bad_input_is_a_typed_error());
    }
}

#[cfg(target_arch = "wasm32")]
mod browser {
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    async fn gpu_scores_equal_cpu() {
        super::gpu_scores_equal_cpu(1000, 384).await;
        super::gpu_scores_equal_cpu(7, 3).await;
    }

    #[wasm_bindgen_test]
    async fn bad_input_is_a_typed_error() {
        super::bad_input_is_a_typed_error().await;
    }
}
