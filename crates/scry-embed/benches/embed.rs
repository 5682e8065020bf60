//! Text embedder speed, with the int8 dequantisation rewrite (default) and without it (the graph
//! as shipped): batch 1 with a ~15-token sentence, and batch 32 at 64 tokens.
//!
//! `cargo bench -p scry-embed --bench embed` (needs `models/fetch.py` to have run). Native only.
#![allow(missing_docs)] // criterion_group! generates an undocumented `pub fn`

#[cfg(not(target_arch = "wasm32"))]
mod native {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark code

    use std::hint::black_box;
    use std::path::PathBuf;
    use std::time::Duration;

    use criterion::Criterion;
    use scry_embed::{
        BUILTIN_MANIFEST, DEFAULT_TEXT_MODEL, ModelManifest, TextEmbedder, TextEmbedderOptions,
    };

    /// 13 word pieces + [CLS] + [SEP].
    const SENTENCE: &str = "How do I read a large file line by line in Python?";

    fn load(rewrite: bool, integer: bool, max_tokens: Option<usize>) -> TextEmbedder {
        let manifest = ModelManifest::parse(BUILTIN_MANIFEST).unwrap();
        let spec = manifest.model(DEFAULT_TEXT_MODEL).unwrap();
        let dir = std::env::var_os("SCRY_MODELS_DIR").map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/cache"),
            PathBuf::from,
        );
        TextEmbedder::from_dir_with(
            dir.join(DEFAULT_TEXT_MODEL),
            spec,
            &TextEmbedderOptions {
                batch_size: 32,
                max_tokens,
                rewrite_dequantization: rewrite,
                integer_products: integer,
            },
        )
        .unwrap()
    }

    /// 32 different texts, each longer than 64 tokens (truncated to exactly 64).
    fn long_texts() -> Vec<String> {
        (0..32)
            .map(|i| {
                format!(
                    "Document {i}: the stream module provides an API for implementing the stream \
                     interface; streams can be readable, writable or both, and every stream is an \
                     instance of EventEmitter, which emits events such as data, end, error and \
                     close while buffering up to the highWaterMark bytes or objects. Part {i}."
                )
            })
            .collect()
    }

    pub(crate) fn bench(c: &mut Criterion) {
        for (name, rewrite, integer) in [
            ("integer_products", true, true),
            ("rewritten_f32", true, false),
            ("as_shipped", false, false),
        ] {
            let e = load(rewrite, integer, None);
            assert_eq!(e.count_tokens(SENTENCE).unwrap() + 2, 15);
            let mut g = c.benchmark_group("batch1_15_tokens");
            g.sample_size(20).measurement_time(Duration::from_secs(5));
            g.bench_function(name, |b| {
                b.iter(|| e.embed_texts(black_box(&[SENTENCE])).unwrap())
            });
            g.finish();

            let e = load(rewrite, integer, Some(64));
            let texts = long_texts();
            let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
            assert!(texts.iter().all(|t| e.count_tokens(t).unwrap() + 2 > 64));
            let mut g = c.benchmark_group("batch32_64_tokens");
            g.sample_size(10).measurement_time(Duration::from_secs(10));
            g.bench_function(name, |b| {
                b.iter(|| e.embed_texts(black_box(&texts)).unwrap())
            });
            g.finish();
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_group!(benches, native::bench);
#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(benches);

#[cfg(target_arch = "wasm32")]
fn main() {}
