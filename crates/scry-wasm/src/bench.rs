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
    data: String,
    m: usize,
    ef_construction: usize,
    build_ms: f64,
    build_per_s: f64,
    flat_p50_ms: f64,
    /// Recall@10 of the exact int8 scan (+ f32 re-scoring): the ceiling of the graph's recall.
    flat_recall_at_10: f64,
    bytes_per_vector: f64,
    runs: Vec<VectorRun>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VectorRun {
    ef_search: usize,
    rescore: usize,
    hnsw_p50_ms: f64,
    hnsw_p95_ms: f64,
    recall_at_10: f64,
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(((v.len().saturating_sub(1)) as f64 * p).round() as usize)
        .copied()
        .unwrap_or(0.0)
}

/// HNSW build rate, then query latency (p50/p95) and recall@10 against an exact f32 scan for
/// each `ef_search` × `rescore` pair on the one graph, plus flat-scan latency and memory per
/// vector, on synthetic unit vectors (`scry_core::vector::synthetic`): `data` is `"minilm"`
/// (neighbourhoods calibrated to real all-MiniLM-L6-v2 passage vectors) or `"clustered"` (200
/// tight clusters: a harder case for the graph).
#[wasm_bindgen(js_name = benchVectors)]
#[allow(clippy::too_many_arguments)]
pub fn bench_vectors(
    n: usize,
    dims: usize,
    queries: usize,
    m: usize,
    ef_construction: usize,
    ef_search: Vec<u32>,
    rescore: Vec<u32>,
    seed: u64,
    data: &str,
) -> Result<JsValue, JsValue> {
    let base = VectorParams {
        hnsw: HnswParams {
            m,
            ef_construction,
            ..Default::default()
        },
        hnsw_threshold: 1,
        ..Default::default()
    }
    .validate()
    .map_err(ScryJsError::from)?;
    let all = match data {
        "minilm" => synthetic::minilm_like(seed, n + queries, dims),
        "clustered" => synthetic::clustered(seed, n + queries, dims, 200),
        other => {
            return Err(ScryJsError::invalid_options(
                "data",
                format!("unknown synthetic data {other:?} (minilm | clustered)"),
            )
            .into());
        }
    };
    let (points, qs) = all.split_at(n);
    let rows: Vec<(Vec<f32>, u32)> = points
        .iter()
        .enumerate()
        .map(|(i, v)| (v.clone(), i as u32))
        .collect();
    let t = now_ms();
    let seg = VectorSegment::build(dims, &rows, &base);
    let build_ms = now_ms() - t;
    let mut scratch = VectorScratch::default();
    let vqs = qs
        .iter()
        .map(|q| VectorQuery::new(q, base.metric))
        .collect::<Result<Vec<_>, _>>()
        .map_err(ScryJsError::from)?;
    let exact: Vec<Vec<u32>> = qs
        .iter()
        .map(|q| {
            let mut all: Vec<(f32, u32)> = points
                .iter()
                .enumerate()
                .map(|(i, v)| (distance::dot_f32(q, v), i as u32))
                .collect();
            let nth = 10.min(all.len() - 1);
            all.select_nth_unstable_by(nth, |a, b| b.0.total_cmp(&a.0));
            all[..10.min(all.len())].iter().map(|x| x.1).collect()
        })
        .collect();
    let recall = |got: &[(usize, f32)], truth: &[u32]| {
        got.iter()
            .filter(|(r, _)| truth.contains(&seg.doc_of(*r)))
            .count()
    };
    let (mut flat, mut flat_hits) = (Vec::new(), 0usize);
    for (vq, truth) in vqs.iter().zip(&exact) {
        let t = now_ms();
        let got = seg.search(vq, 10, &base, true, &mut scratch, |_| true);
        flat.push(now_ms() - t);
        flat_hits += recall(&got, truth);
    }
    let mut runs = Vec::new();
    for &efs in &ef_search {
        for &rs in &rescore {
            let mut params = base;
            params.hnsw.ef_search = efs as usize;
            params.rescore = rs as usize;
            let params = params.validate().map_err(ScryJsError::from)?;
            let (mut graph, mut hits) = (Vec::new(), 0usize);
            for (vq, truth) in vqs.iter().zip(&exact) {
                let t = now_ms();
                let got = seg.search(vq, 10, &params, false, &mut scratch, |_| true);
                graph.push(now_ms() - t);
                hits += recall(&got, truth);
            }
            runs.push(VectorRun {
                ef_search: efs as usize,
                rescore: rs as usize,
                hnsw_p50_ms: pct(&mut graph, 0.5),
                hnsw_p95_ms: pct(&mut graph, 0.95),
                recall_at_10: hits as f64 / (10 * queries.max(1)) as f64,
            });
        }
    }
    let out = VectorBench {
        n,
        dims,
        data: data.to_owned(),
        m,
        ef_construction,
        build_ms,
        build_per_s: n as f64 / (build_ms / 1000.0),
        flat_p50_ms: pct(&mut flat, 0.5),
        flat_recall_at_10: flat_hits as f64 / (10 * queries.max(1)) as f64,
        bytes_per_vector: seg.memory_bytes() as f64 / n as f64,
        runs,
    };
    out.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsValue::from(ScryJsError::invalid_options("bench result", e)))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ScanRun {
    n: usize,
    batch: usize,
    /// What answered: "gpu" or "cpu".
    used: String,
    p50_ms: f64,
    p95_ms: f64,
    /// Per query (p50 / batch).
    per_query_ms: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ScanBench {
    backend: String,
    precision: String,
    dims: usize,
    adapter: Option<String>,
    gpu_failure: Option<String>,
    runs: Vec<ScanRun>,
}

/// Exact-scan latency through scry-gpu's `Scanner` (the GPU kernels on WebGPU, or the wasm
/// SIMD128 CPU scan) for each collection size in `sizes`: random 384-d-style unit vectors grown
/// in place, k = 10, `runs` timed searches per size after 3 warm-ups.
#[wasm_bindgen(js_name = benchScan)]
pub async fn bench_scan(
    sizes: Vec<u32>,
    dims: usize,
    precision: String,
    batches: Vec<u32>,
    backend: String,
    runs: usize,
) -> Result<JsValue, JsValue> {
    use scry_core::vector::{Metric, Precision};
    use scry_gpu::{Backend, GpuOptions, Scanner, Used};

    let bad = |e: String| JsValue::from(ScryJsError::invalid_options("benchScan", e));
    let p = match precision.as_str() {
        "f32" => Precision::F32,
        "f16" => Precision::F16,
        "i8" => Precision::I8,
        other => return Err(bad(format!("unknown precision {other:?}"))),
    };
    let b = Backend::parse(&backend).map_err(|e| bad(e.to_string()))?;
    let mut scanner = Scanner::new(dims, Metric::Cosine, p, b, GpuOptions::default())
        .await
        .map_err(|e| bad(e.to_string()))?;
    scanner.set_crossover_values(0); // measure the backend asked for at every size
    let mut rng = synthetic::Rng::new(11);
    let mut random = |n: usize| -> Vec<f32> { (0..n).map(|_| rng.normal()).collect() };
    let max_batch = batches.iter().copied().max().unwrap_or(1) as usize;
    let queries: Vec<Vec<f32>> = (0..max_batch).map(|_| random(dims)).collect();
    let mut out = ScanBench {
        backend,
        precision,
        dims,
        adapter: scanner.gpu_context().map(|c| c.adapter().name.clone()),
        gpu_failure: None,
        runs: Vec::new(),
    };
    for &n in &sizes {
        while scanner.flat().len() < n as usize {
            scanner.add(&random(dims)).map_err(|e| bad(e.to_string()))?;
        }
        for &batch in &batches {
            let qs = &queries[..batch as usize];
            let mut times = Vec::with_capacity(runs);
            for i in 0..runs + 3 {
                let t0 = now_ms();
                scanner
                    .search(qs, 10)
                    .await
                    .map_err(|e| bad(e.to_string()))?;
                if i >= 3 {
                    times.push(now_ms() - t0);
                }
            }
            let p50 = pct(&mut times, 0.5);
            out.runs.push(ScanRun {
                n: n as usize,
                batch: batch as usize,
                used: match scanner.last_used() {
                    Some(Used::Gpu) => "gpu".into(),
                    _ => "cpu".into(),
                },
                p50_ms: p50,
                p95_ms: pct(&mut times, 0.95),
                per_query_ms: p50 / f64::from(batch),
            });
        }
    }
    out.gpu_failure = scanner.gpu_failure().map(|e| e.to_string());
    scanner.dispose();
    out.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsValue::from(ScryJsError::invalid_options("bench result", e)))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SuggestRun {
    query: String,
    /// The first hybrid search (k = 10, snippets), the query's embedding included.
    first_search_ms: f64,
    /// Later ones (the model remembers the query's embedding).
    search_p50_ms: f64,
    /// Suggestions right after that search (its query embedding is remembered).
    suggest_p50_ms: f64,
    suggest_p95_ms: f64,
    /// Full-text-only suggestions (no model).
    text_suggest_p50_ms: f64,
    suggestions: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SuggestBench {
    documents: usize,
    passages: usize,
    open_ms: f64,
    runs: Vec<SuggestRun>,
}

/// Query-suggestion latency in the browser on an index built natively (`scry index --model`):
/// `files` is `[[key, Uint8Array], …]` of its `manifest` and `seg/*`; every query is searched
/// (hybrid, k = 10) and then suggested for (N = 100), `runs` times after one warm-up.
#[wasm_bindgen(js_name = benchSuggest)]
pub async fn bench_suggest(
    files: js_sys::Array,
    queries: Vec<String>,
    model: &mut crate::model::TextModel,
    runs: usize,
) -> Result<JsValue, JsValue> {
    use scry_core::storage::{MemoryStorage, Storage};
    use scry_core::{Engine, EngineConfig, SearchOptions, SuggestParams};

    let bad = |e: String| JsValue::from(ScryJsError::invalid_options("benchSuggest", e));
    let storage = MemoryStorage::new();
    for entry in files.iter() {
        let pair: js_sys::Array = entry
            .dyn_into()
            .map_err(|_| bad("expected [key, bytes]".into()))?;
        let key = pair.get(0).as_string().ok_or_else(|| bad("key".into()))?;
        let bytes = js_sys::Uint8Array::new(&pair.get(1)).to_vec();
        storage
            .put(&key, &bytes)
            .await
            .map_err(|e| bad(e.to_string()))?;
    }
    let t0 = now_ms();
    let engine = Engine::open(&storage, EngineConfig::default())
        .await
        .map_err(|e| bad(e.to_string()))?;
    let open_ms = now_ms() - t0;
    let mut out = SuggestBench {
        documents: engine.len(),
        passages: engine.vector_count(),
        open_ms,
        runs: Vec::new(),
    };
    let params = SuggestParams::default();
    for q in &queries {
        let (mut search, mut suggest, mut text) = (Vec::new(), Vec::new(), Vec::new());
        let mut count = 0;
        let mut first = 0.0;
        for i in 0..=runs {
            let t = now_ms();
            engine
                .search_embedded(q, model.queries(), &SearchOptions::top(10))
                .map_err(|e| bad(e.to_string()))?;
            let t1 = now_ms();
            count = engine
                .suggest(q, Some(model.queries()), &params)
                .map_err(|e| bad(e.to_string()))?
                .len();
            let t2 = now_ms();
            engine
                .suggest(q, None, &params)
                .map_err(|e| bad(e.to_string()))?;
            let t3 = now_ms();
            if i == 0 {
                first = t1 - t;
            } else {
                search.push(t1 - t);
                suggest.push(t2 - t1);
                text.push(t3 - t2);
            }
        }
        out.runs.push(SuggestRun {
            query: q.clone(),
            first_search_ms: first,
            search_p50_ms: pct(&mut search, 0.5),
            suggest_p50_ms: pct(&mut suggest, 0.5),
            suggest_p95_ms: pct(&mut suggest, 0.95),
            text_suggest_p50_ms: pct(&mut text, 0.5),
            suggestions: count,
        });
    }
    out.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsValue::from(ScryJsError::invalid_options("bench result", e)))
}
