//! The engine's vector search with its flat segments scanned on the GPU (`EngineScan`) must
//! answer exactly as the engine's own CPU scan: same ids, same scores, in every mode, through
//! adds in several segments, removals, updates, merges and a lost device. Runs on lavapipe
//! natively and on SwiftShader in headless Chrome.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use scry_core::vector::Metric;
use scry_core::vector::synthetic::{Rng, minilm_like};
use scry_core::{Document, Engine, EngineConfig, Hit, Mode, ModelTag, Scratch, SearchOptions};
use scry_gpu::{Backend, EngineScan};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const DIMS: usize = 384;
const WORDS: [&str; 24] = [
    "stream", "buffer", "socket", "timer", "crypto", "hash", "file", "path", "child", "process",
    "event", "emitter", "http", "server", "request", "response", "worker", "thread", "module",
    "url", "zlib", "gzip", "promise", "callback",
];

fn model() -> ModelTag {
    ModelTag {
        id: "minilm-like".into(),
        dims: DIMS,
        fingerprint: "test".into(),
    }
}

/// A collection: documents of 1 to 3 passages with MiniLM-like vectors, and held-out queries
/// drawn from the same distribution.
struct Corpus {
    docs: Vec<Document>,
    vectors: Vec<Vec<Vec<f32>>>,
    queries: Vec<(String, Vec<f32>)>,
}

fn corpus(seed: u64, docs: usize, queries: usize) -> Corpus {
    let mut rng = Rng::new(seed);
    let counts: Vec<usize> = (0..docs)
        .map(|_| 1 + (rng.next_u64() % 3) as usize)
        .collect();
    let total: usize = counts.iter().sum();
    let mut pool = minilm_like(seed, total + queries, DIMS).into_iter();
    let mut words = |n: usize| -> String {
        (0..n)
            .map(|_| WORDS[(rng.next_u64() % WORDS.len() as u64) as usize])
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = Corpus {
        docs: Vec::new(),
        vectors: Vec::new(),
        queries: Vec::new(),
    };
    for (i, &c) in counts.iter().enumerate() {
        out.docs
            .push(Document::new(format!("d{seed}-{i}"), words(3), words(30)));
        out.vectors
            .push((0..c).map(|_| pool.next().unwrap()).collect());
    }
    for _ in 0..queries {
        out.queries.push((words(2), pool.next().unwrap()));
    }
    out
}

fn add(engine: &mut Engine, c: &Corpus, range: std::ops::Range<usize>) {
    engine
        .add_with_vectors(
            c.docs[range.clone()].to_vec(),
            c.vectors[range].to_vec(),
            &model(),
        )
        .unwrap();
}

fn options(mode: Mode, k: usize) -> SearchOptions {
    SearchOptions {
        k,
        mode,
        ..Default::default()
    }
}

/// The engine's CPU answer and its answer with GPU candidates, for every query and mode.
async fn assert_gpu_equals_cpu(what: &str, engine: &Engine, scan: &mut EngineScan, c: &Corpus) {
    scan.sync(engine).unwrap();
    let mut scratch = Scratch::default();
    for mode in [Mode::Vector, Mode::Hybrid] {
        for k in [1, 10] {
            let opts = options(mode, k);
            for (qi, (text, v)) in c.queries.iter().enumerate() {
                let cpu: Vec<Hit> = engine
                    .search_with(&mut scratch, text, Some(v), &opts)
                    .unwrap();
                let rows = engine.flat_candidate_rows(&opts);
                let cands = scan
                    .candidates(v, rows)
                    .await
                    .unwrap()
                    .expect("a forced WebGPU scan answers on the GPU");
                let gpu = engine
                    .search_with_candidates(&mut scratch, text, Some(v), &opts, &cands)
                    .unwrap();
                let ids = |h: &[Hit]| {
                    h.iter()
                        .map(|h| (h.id.clone(), h.score))
                        .collect::<Vec<_>>()
                };
                assert_eq!(ids(&gpu), ids(&cpu), "{what}: {mode:?} k={k} query {qi}");
            }
        }
    }
}

async fn results_equal_the_cpu_scan_through_changes() {
    let c = corpus(7, 2400, 25);
    let mut config = EngineConfig::default();
    // Segments are built flat; maintenance gives those of 500 rows or more a graph.
    config.vectors.hnsw_threshold = 500;
    let mut engine = Engine::new(config).unwrap();
    // Three adds: three flat segments (below the merge factor, so none is merged).
    add(&mut engine, &c, 0..1000);
    add(&mut engine, &c, 1000..1700);
    add(&mut engine, &c, 1700..2400);
    assert!(engine.flat_segments().count() >= 2);
    let mut scan = EngineScan::new(Backend::WebGpu, DIMS, Metric::Cosine)
        .await
        .expect("an adapter (lavapipe / SwiftShader / hardware)");
    assert_gpu_equals_cpu("three segments", &engine, &mut scan, &c).await;
    assert_eq!(scan.segment_count(), engine.flat_segments().count());

    // Removals: the removed documents' rows leave the GPU's candidates.
    let removed: Vec<String> = (0..2400).step_by(3).map(|i| format!("d7-{i}")).collect();
    assert_eq!(engine.remove(&removed), removed.len());
    assert_gpu_equals_cpu("after removals", &engine, &mut scan, &c).await;
    let live = scan.scanner().flat().live_count();
    let expected: usize = (0..2400)
        .filter(|i| i % 3 != 0)
        .map(|i| c.vectors[i].len())
        .sum();
    assert_eq!(live, expected, "live rows on the GPU after removals");

    // Updates: a replaced document's new vectors are found, its old ones are gone.
    let mut replaced = c.docs[1].clone();
    replaced.body = "gzip gzip gzip".into();
    let target = c.queries[0].1.clone();
    engine
        .update_with_vectors(vec![replaced], vec![vec![target.clone()]], &model())
        .unwrap();
    assert_gpu_equals_cpu("after an update", &engine, &mut scan, &c).await;
    scan.sync(&engine).unwrap();
    let opts = options(Mode::Vector, 1);
    let cands = scan
        .candidates(&target, engine.flat_candidate_rows(&opts))
        .await
        .unwrap()
        .unwrap();
    let top = engine
        .search_with_candidates(&mut Scratch::default(), "", Some(&target), &opts, &cands)
        .unwrap();
    assert_eq!(top[0].id, "d7-1");
    assert!(top[0].score > 0.999, "{}", top[0].score);

    // Maintenance gives the big segments graphs (searched on the CPU): their rows leave the
    // GPU copy, which is rebuilt once mostly dead. The updated document's small segment stays.
    engine.maintain();
    let flat_rows: Vec<usize> = engine.flat_segments().map(|f| f.vectors.rows()).collect();
    assert_eq!(
        flat_rows,
        vec![1],
        "maintain builds graphs for the big segments"
    );
    scan.sync(&engine).unwrap();
    assert_eq!(scan.scanner().flat().live_count(), 1);
    assert_eq!(
        scan.scanner().flat().len(),
        1,
        "the mostly dead copy is rebuilt"
    );
    assert_gpu_equals_cpu("graphs + a flat segment", &engine, &mut scan, &c).await;
    // New documents make a new flat segment beside the graph.
    let extra = corpus(8, 300, 5);
    add(&mut engine, &extra, 0..300);
    assert_gpu_equals_cpu("graph + new segment", &engine, &mut scan, &extra).await;
    assert!(scan.gpu_searches() > 0);
}

async fn filters_lost_devices_and_auto_stay_on_the_cpu() {
    let c = corpus(9, 600, 5);
    let mut engine = Engine::new(EngineConfig::default()).unwrap();
    add(&mut engine, &c, 0..600);
    // `Auto` never prefers a software adapter (lavapipe, SwiftShader), nor a small collection.
    let mut auto = EngineScan::new(Backend::Auto, DIMS, Metric::Cosine)
        .await
        .unwrap();
    auto.sync(&engine).unwrap();
    // Below the crossover, so the CPU answers on any adapter, hardware or software.
    let values = auto.scanner().flat().live_count() * DIMS;
    assert!(values > 0, "the collection is copied");
    assert!(
        values < auto.scanner().crossover_values(),
        "{values} values, crossover {}",
        auto.scanner().crossover_values()
    );
    assert!(!auto.scanner().uses_gpu());
    let found = auto.candidates(&c.queries[0].1, 30).await.unwrap();
    assert!(
        found.is_none(),
        "auto used the GPU below the crossover or on a software adapter"
    );

    // A lost device: the scan gives up the GPU and leaves the search to the engine's CPU scan.
    let mut scan = EngineScan::new(Backend::WebGpu, DIMS, Metric::Cosine)
        .await
        .unwrap();
    scan.sync(&engine).unwrap();
    assert!(
        scan.candidates(&c.queries[0].1, 30)
            .await
            .unwrap()
            .is_some()
    );
    scan.scanner().gpu_context().unwrap().force_device_loss();
    let after = scan.candidates(&c.queries[1].1, 30).await.unwrap();
    assert!(after.is_none(), "a lost device must hand the search back");
    assert!(scan.scanner().gpu_failure().is_some());

    // Candidates never bypass a filter: a filtered search scans on the CPU and matches it.
    let mut tagged = Engine::new(EngineConfig::default()).unwrap();
    let docs: Vec<Document> = c
        .docs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut d = d.clone();
            d.metadata
                .insert("even".into(), scry_core::MetaValue::Bool(i % 2 == 0));
            d
        })
        .collect();
    tagged
        .add_with_vectors(docs, c.vectors.clone(), &model())
        .unwrap();
    let mut gpu = EngineScan::new(Backend::WebGpu, DIMS, Metric::Cosine)
        .await
        .unwrap();
    gpu.sync(&tagged).unwrap();
    let filter: scry_core::Filter = serde_json::from_str(r#"{"even": true}"#).unwrap();
    let opts = SearchOptions {
        filter: Some(filter),
        ..options(Mode::Vector, 10)
    };
    let v = &c.queries[2].1;
    let cands = gpu.candidates(v, 30).await.unwrap().unwrap();
    let mut scratch = Scratch::default();
    let with = tagged
        .search_with_candidates(&mut scratch, "", Some(v), &opts, &cands)
        .unwrap();
    let without = tagged
        .search_with(&mut scratch, "", Some(v), &opts)
        .unwrap();
    assert_eq!(with, without);
    assert_eq!(with.len(), 10);
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use pollster::block_on;

    #[test]
    fn results_equal_the_cpu_scan_through_changes() {
        block_on(super::results_equal_the_cpu_scan_through_changes());
    }
    #[test]
    fn filters_lost_devices_and_auto_stay_on_the_cpu() {
        block_on(super::filters_lost_devices_and_auto_stay_on_the_cpu());
    }
}

#[cfg(target_arch = "wasm32")]
mod browser {
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    async fn results_equal_the_cpu_scan_through_changes() {
        super::results_equal_the_cpu_scan_through_changes().await;
    }
    #[wasm_bindgen_test]
    async fn filters_lost_devices_and_auto_stay_on_the_cpu() {
        super::filters_lost_devices_and_auto_stay_on_the_cpu().await;
    }
}
