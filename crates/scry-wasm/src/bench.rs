//! Benchmark entry points for the browser benchmark page (feature `bench`): the same
//! measurements as `scry bench vectors`, run inside the browser's wasm engine.

use scry_core::vector::{
    HnswParams, VectorParams, VectorQuery, VectorScratch, VectorSegment, distance, synthetic,
};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::error::ScryJsError;

fn now_ms() -> f64 {
    let perf = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("performance")).ok();
    let now = perf
        .as_ref()
        .and_then(|p| js_sys::Reflect::get(p, &JsValue::from_str("now")).ok());
    match (
        perf,
        now.and_then(|f| f.dyn_into::<js_sys::Function>().ok()),
    ) {
        (Some(p), Some(f)) => f.call0(&p).ok().and_then(|v| v.as_f64()).unwrap_or(0.0),
        _ => js_sys::Date::now(),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VectorBench {
    n: usize,
    dims: usize,
    m: usize,
    ef_construction: usize,
    ef_search: usize,
    build_ms: f64,
    build_per_s: f64,
    hnsw_p50_ms: f64,
    hnsw_p95_ms: f64,
    recall_at_10: f64,
    flat_p50_ms: f64,
    bytes_per_vector: f64,
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(((v.len().saturating_sub(1)) as f64 * p).round() as usize)
        .copied()
        .unwrap_or(0.0)
}

/// HNSW build rate, query latency (p50/p95), recall@10 against an exact scan, flat-scan latency
/// and memory per vector on synthetic clustered unit vectors (`scry_core::vector::synthetic`).
#[wasm_bindgen(js_name = benchVectors)]
#[allow(clippy::too_many_arguments)]
pub fn bench_vectors(
    n: usize,
    dims: usize,
    queries: usize,
    m: usize,
    ef_construction: usize,
    ef_search: usize,
    seed: u64,
) -> Result<JsValue, JsValue> {
    let params = VectorParams {
        hnsw: HnswParams {
            m,
            ef_construction,
            ef_search,
            ..Default::default()
        },
        hnsw_threshold: 1,
        ..Default::default()
    }
    .validate()
    .map_err(ScryJsError::from)?;
    let all = synthetic::clustered(seed, n + queries, dims, 200);
    let (data, qs) = all.split_at(n);
    let rows: Vec<(Vec<f32>, u32)> = data
        .iter()
        .enumerate()
        .map(|(i, v)| (v.clone(), i as u32))
        .collect();
    let t = now_ms();
    let seg = VectorSegment::build(dims, &rows, &params);
    let build_ms = now_ms() - t;
    let mut scratch = VectorScratch::default();
    let (mut graph, mut flat, mut hits) = (Vec::new(), Vec::new(), 0usize);
    for q in qs {
        let vq = VectorQuery::new(q, params.metric).map_err(ScryJsError::from)?;
        let t = now_ms();
        let got = seg.search(&vq, 10, &params, false, &mut scratch, |_| true);
        graph.push(now_ms() - t);
        let t = now_ms();
        let _ = seg.search(&vq, 10, &params, true, &mut scratch, |_| true);
        flat.push(now_ms() - t);
        let got: Vec<u32> = got.iter().map(|(r, _)| seg.doc_of(*r)).collect();
        let mut exact: Vec<(f32, u32)> = data
            .iter()
            .enumerate()
            .map(|(i, v)| (distance::dot_f32(q, v), i as u32))
            .collect();
        let nth = 10.min(exact.len() - 1);
        exact.select_nth_unstable_by(nth, |a, b| b.0.total_cmp(&a.0));
        hits += exact[..10.min(exact.len())]
            .iter()
            .filter(|(_, i)| got.contains(i))
            .count();
    }
    let out = VectorBench {
        n,
        dims,
        m,
        ef_construction,
        ef_search,
        build_ms,
        build_per_s: n as f64 / (build_ms / 1000.0),
        hnsw_p50_ms: pct(&mut graph, 0.5),
        hnsw_p95_ms: pct(&mut graph, 0.95),
        recall_at_10: hits as f64 / (10 * queries.max(1)) as f64,
        flat_p50_ms: pct(&mut flat, 0.5),
        bytes_per_vector: seg.memory_bytes() as f64 / n as f64,
    };
    out.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsValue::from(ScryJsError::invalid_options("bench result", e)))
}
