//! Shared fixtures for the integration tests (native and wasm).
#![allow(dead_code, unreachable_pub, unused_imports, clippy::unwrap_used)]

use scry_core::Document;

pub use scry_core::vector::synthetic::Rng;

pub const SAMPLE: &str = include_str!("../../../../tests/fixtures/node-docs-sample.json");

pub fn sample_docs() -> Vec<Document> {
    #[derive(serde::Deserialize)]
    struct Sample {
        documents: Vec<Document>,
    }
    serde_json::from_str::<Sample>(SAMPLE).unwrap().documents
}

/// Runs a future to completion (natively; wasm tests are async themselves).
#[cfg(not(target_arch = "wasm32"))]
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}

pub fn clustered_vectors(seed: u64, n: usize, dims: usize, clusters: usize) -> Vec<Vec<f32>> {
    scry_core::vector::synthetic::clustered(seed, n, dims, clusters)
}
