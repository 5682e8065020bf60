//! HNSW recall@10 against exact search at default parameters on 50k real-ish 384-d vectors
//! (`synthetic::minilm_like`: neighbourhoods calibrated on real all-MiniLM-L6-v2 passage
//! vectors). The seed is printed so a failure can be replayed. Native only (the browser benchmark
//! page measures the same in wasm). The graph is built on several threads, so it differs a little
//! from run to run; on this data recall sits near 0.985, far from the 0.95 floor (on the harder
//! `clustered` data it sits right at 0.95 and would make the test flaky).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

use std::collections::HashSet;
use std::time::Instant;

use scry_core::vector::distance::dot_f32;
use scry_core::vector::{VectorParams, VectorQuery, VectorScratch, VectorSegment};

#[test]
fn recall_at_10_is_at_least_0_95_at_defaults() {
    let seed = std::env::var("SCRY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5C27_0001u64);
    let (n, dims, queries) = (50_000, 384, 200);
    println!("seed {seed}: {n} vectors × {dims}, {queries} queries");
    let all = scry_core::vector::synthetic::minilm_like(seed, n + queries, dims);
    let (data, qs) = all.split_at(n);
    let params = VectorParams::default();
    let rows: Vec<(Vec<f32>, u32)> = data
        .iter()
        .enumerate()
        .map(|(i, v)| (v.clone(), i as u32))
        .collect();
    let t = Instant::now();
    let seg = VectorSegment::build(dims, &rows, &params);
    let build = t.elapsed();
    assert!(seg.has_graph());
    println!(
        "built in {build:.1?} ({:.0} vectors/s)",
        n as f64 / build.as_secs_f64()
    );
    let mut scratch = VectorScratch::default();
    let mut hits = 0usize;
    let t = Instant::now();
    for q in qs {
        let vq = VectorQuery::new(q, params.metric).unwrap();
        let got: HashSet<u32> = seg
            .search(&vq, 10, &params, false, &mut scratch, |_| true)
            .into_iter()
            .map(|(row, _)| seg.doc_of(row))
            .collect();
        let mut exact: Vec<(f32, u32)> = data
            .iter()
            .enumerate()
            .map(|(i, v)| (dot_f32(q, v), i as u32))
            .collect();
        exact.sort_by(|a, b| b.0.total_cmp(&a.0));
        hits += exact[..10].iter().filter(|(_, i)| got.contains(i)).count();
    }
    let recall = hits as f64 / (10 * queries) as f64;
    println!(
        "recall@10 {recall:.4} (queries + exact scans took {:.1?})",
        t.elapsed()
    );
    assert!(recall >= 0.95, "recall@10 {recall} < 0.95 (seed {seed})");
}

#[test]
fn filtered_graph_search_only_returns_admitted_rows() {
    let seed = 0x5C27_0002u64;
    let data = common::clustered_vectors(seed, 5000, 64, 20);
    let params = VectorParams {
        hnsw_threshold: 100,
        ..Default::default()
    };
    let rows: Vec<(Vec<f32>, u32)> = data
        .iter()
        .enumerate()
        .map(|(i, v)| (v.clone(), i as u32))
        .collect();
    let seg = VectorSegment::build(64, &rows, &params);
    assert!(seg.has_graph());
    let mut scratch = VectorScratch::default();
    let q = VectorQuery::new(&data[17], params.metric).unwrap();
    // Only documents divisible by 7.
    let got = seg.search(&q, 10, &params, false, &mut scratch, |doc| doc % 7 == 0);
    assert_eq!(got.len(), 10);
    assert!(got.iter().all(|(row, _)| seg.doc_of(*row) % 7 == 0));
    let exact = seg.search(&q, 10, &params, true, &mut scratch, |doc| doc % 7 == 0);
    let a: HashSet<u32> = got.iter().map(|(r, _)| seg.doc_of(*r)).collect();
    let b: HashSet<u32> = exact.iter().map(|(r, _)| seg.doc_of(*r)).collect();
    assert!(
        a.intersection(&b).count() >= 8,
        "filtered graph search agrees with the scan"
    );
}
