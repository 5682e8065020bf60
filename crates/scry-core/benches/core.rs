//! Criterion micro-benchmarks of scry-core's hot paths: `cargo bench -p scry-core`.
//! (End-to-end latency, recall and build-rate numbers come from `scry bench` and the browser
//! benchmark page; see BENCHMARKS.md.)
#![allow(missing_docs)] // criterion_group! generates an undocumented `pub fn`

#[cfg(not(target_arch = "wasm32"))]
mod native {
    #![allow(clippy::unwrap_used)] // benchmark code

    use criterion::Criterion;
    use scry_core::vector::distance::{dot_f32, dot_f32_i8, dot_i8};
    use scry_core::vector::synthetic::clustered;
    use scry_core::vector::{VectorParams, VectorQuery, VectorScratch, VectorSegment};
    use scry_core::{Document, Engine, EngineConfig, Mode, SearchOptions};

    pub(crate) fn distances(c: &mut Criterion) {
        let v = clustered(1, 2, 384, 1);
        let (a, b) = (&v[0], &v[1]);
        let qa: Vec<i8> = a.iter().map(|x| (x * 300.0) as i8).collect();
        let qb: Vec<i8> = b.iter().map(|x| (x * 300.0) as i8).collect();
        c.bench_function("dot_i8 384", |bench| {
            bench.iter(|| dot_i8(std::hint::black_box(&qa), &qb))
        });
        c.bench_function("dot_f32 384", |bench| {
            bench.iter(|| dot_f32(std::hint::black_box(a), b))
        });
        c.bench_function("dot_f32_i8 384", |bench| {
            bench.iter(|| dot_f32_i8(std::hint::black_box(a), &qb))
        });
    }

    pub(crate) fn vectors(c: &mut Criterion) {
        let data = clustered(2, 10_001, 384, 200);
        let params = VectorParams {
            hnsw_threshold: 1,
            ..Default::default()
        };
        let rows: Vec<(Vec<f32>, u32)> = data[..10_000]
            .iter()
            .enumerate()
            .map(|(i, v)| (v.clone(), i as u32))
            .collect();
        let seg = VectorSegment::build(384, &rows, &params);
        let q = VectorQuery::new(&data[10_000], params.metric).unwrap();
        let mut scratch = VectorScratch::default();
        c.bench_function("hnsw search 10k×384 k=10", |b| {
            b.iter(|| seg.search(&q, 10, &params, false, &mut scratch, |_| true))
        });
        c.bench_function("flat scan 10k×384 k=10", |b| {
            b.iter(|| seg.search(&q, 10, &params, true, &mut scratch, |_| true))
        });
    }

    pub(crate) fn text(c: &mut Criterion) {
        #[derive(serde::Deserialize)]
        struct Sample {
            documents: Vec<Document>,
        }
        let sample: Sample = serde_json::from_str(include_str!(
            "../../../tests/fixtures/node-docs-sample.json"
        ))
        .unwrap();
        let mut e = Engine::new(EngineConfig::default()).unwrap();
        e.add(sample.documents).unwrap();
        let opts = SearchOptions {
            k: 10,
            mode: Mode::Text,
            ..Default::default()
        };
        c.bench_function("bm25 query + snippets (Node sample)", |b| {
            b.iter(|| {
                e.search("readable stream data events", None, &opts)
                    .unwrap()
            })
        });
        c.bench_function("bm25 query with typo + prefix", |b| {
            b.iter(|| e.search("compresion stre", None, &opts).unwrap())
        });
    }
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_group!(benches, native::distances, native::vectors, native::text);
#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(benches);

#[cfg(target_arch = "wasm32")]
fn main() {}
