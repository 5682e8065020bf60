//! The text embedder against golden vectors from onnxruntime (`scripts/embed/golden.py`), and its
//! error, batching and truncation behaviour — natively and in headless Chrome.
//!
//! Natively the model files are read from `models/cache/` (or `$SCRY_MODELS_DIR`), like
//! `tests/manifest.rs`. In the browser there is no file system and wasm-bindgen-test-runner only
//! serves files below the crate folder (symlinks out of it are refused), so the wasm build of
//! this test compiles the two files in with `include_bytes!` (23 MB; `models/fetch.py` must have
//! run before the test is compiled, as `scripts/test.sh` does).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::sync::OnceLock;

use scry_core::Embedder;
use scry_embed::{
    BUILTIN_MANIFEST, DEFAULT_TEXT_MODEL, ModelManifest, ModelSpec, TextEmbedder,
    TextEmbedderOptions,
};

// In a dedicated worker, like scry's own embedding: a long synchronous model run there does not
// block the page, whose main thread the test runner polls over WebDriver (a test blocking it for
// more than 30 s makes chromedriver time out).
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_dedicated_worker);
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const GOLDEN: &str = include_str!("../../../tests/fixtures/embed/golden.json");

#[derive(serde::Deserialize)]
struct Golden {
    max_tokens: usize,
    cases: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    text: String,
    tokens: usize,
    vector: Vec<f32>,
}

fn golden() -> &'static Golden {
    static G: OnceLock<Golden> = OnceLock::new();
    G.get_or_init(|| serde_json::from_str(GOLDEN).unwrap())
}

fn spec() -> ModelSpec {
    ModelManifest::parse(BUILTIN_MANIFEST)
        .unwrap()
        .model(DEFAULT_TEXT_MODEL)
        .unwrap()
        .clone()
}

#[cfg(not(target_arch = "wasm32"))]
fn model_file(name: &str) -> &'static [u8] {
    use std::path::PathBuf;
    static MODEL: OnceLock<Vec<u8>> = OnceLock::new();
    static TOKENIZER: OnceLock<Vec<u8>> = OnceLock::new();
    let cell = if name == "model.onnx" {
        &MODEL
    } else {
        &TOKENIZER
    };
    cell.get_or_init(|| {
        let dir = std::env::var_os("SCRY_MODELS_DIR").map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/cache"),
            PathBuf::from,
        );
        let path = dir.join(DEFAULT_TEXT_MODEL).join(name);
        std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}\n(the test command runs models/fetch.py first; run it by hand)",
                path.display()
            )
        })
    })
}

// Statics, not constants: a constant may be copied into every codegen unit that uses it.
#[cfg(target_arch = "wasm32")]
static MODEL_ONNX: &[u8] = include_bytes!("../../../models/cache/all-MiniLM-L6-v2-int8/model.onnx");
#[cfg(target_arch = "wasm32")]
static TOKENIZER_JSON: &[u8] =
    include_bytes!("../../../models/cache/all-MiniLM-L6-v2-int8/tokenizer.json");

#[cfg(target_arch = "wasm32")]
fn model_file(name: &str) -> &'static [u8] {
    if name == "model.onnx" {
        MODEL_ONNX
    } else {
        TOKENIZER_JSON
    }
}

/// One embedder shared by the tests (loading and optimising takes a while).
fn embedder() -> &'static TextEmbedder {
    static E: OnceLock<TextEmbedder> = OnceLock::new();
    E.get_or_init(|| {
        TextEmbedder::from_bytes(
            model_file("model.onnx"),
            model_file("tokenizer.json"),
            &spec(),
        )
        .unwrap()
    })
}

fn cos(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

/// Report line readable in the test output (`--nocapture`).
fn report(msg: &str) {
    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_test::console_log!("{msg}");
    #[cfg(not(target_arch = "wasm32"))]
    println!("{msg}");
}

#[test]
fn every_golden_input_matches_onnxruntime() {
    let g = golden();
    assert!(g.cases.len() >= 50);
    let e = embedder();
    let texts: Vec<&str> = g.cases.iter().map(|c| c.text.as_str()).collect();
    let vectors = e.embed_texts(&texts).unwrap();
    assert_eq!(vectors.len(), g.cases.len());
    let mut worst = (f32::INFINITY, "");
    for (case, v) in g.cases.iter().zip(&vectors) {
        assert_eq!(v.len(), 384);
        let c = cos(v, &case.vector);
        if c < worst.0 {
            worst = (c, &case.text);
        }
        assert!(c >= 0.999, "cosine {c} for {:?}", case.text);
        // Same tokenisation: word pieces + [CLS] + [SEP], truncated at max_tokens.
        let tokens = (e.count_tokens(&case.text).unwrap() + 2).min(g.max_tokens);
        assert_eq!(tokens, case.tokens, "token count of {:?}", case.text);
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5);
    }
    report(&format!(
        "golden: {} inputs, min cosine {:.7} ({:?})",
        g.cases.len(),
        worst.0,
        worst.1.chars().take(40).collect::<String>()
    ));
}

#[test]
fn batch_results_equal_single_results_whatever_the_batch() {
    let g = golden();
    let texts: Vec<&str> = g.cases.iter().map(|c| c.text.as_str()).take(24).collect();
    let e = embedder();
    let single: Vec<Vec<f32>> = texts
        .iter()
        .map(|t| e.embed_texts(&[t]).unwrap().remove(0))
        .collect();
    // All in one batch, in the caller's order.
    let together = e.embed_texts(&texts).unwrap();
    // Reversed, in small batches of mixed lengths.
    let small = TextEmbedder::from_bytes_with(
        model_file("model.onnx"),
        model_file("tokenizer.json"),
        &spec(),
        &TextEmbedderOptions {
            batch_size: 5,
            ..TextEmbedderOptions::default()
        },
    )
    .unwrap();
    let reversed: Vec<&str> = texts.iter().rev().copied().collect();
    let mut small_batches = small.embed_texts(&reversed).unwrap();
    small_batches.reverse();
    let mut worst = 1f32;
    for i in 0..texts.len() {
        for other in [&together[i], &small_batches[i]] {
            let c = cos(&single[i], other);
            worst = worst.min(c);
            assert!(c >= 0.9999, "cosine {c} for {:?}", texts[i]);
        }
    }
    report(&format!(
        "batching: min cosine single vs batched {worst:.7}"
    ));
}

#[test]
fn blank_input_is_an_error_not_a_zero_vector() {
    let e = embedder();
    for texts in [&[""][..], &["  \n\t "], &["fine", "", "also fine"]] {
        let err = e.embed_texts(texts).unwrap_err();
        assert_eq!(err.code(), "EMPTY_INPUT");
    }
    assert!(e.embed_texts(&[]).unwrap().is_empty());
    // Through the engine's trait: INVALID_INPUT, naming scry-embed's code.
    let mut e = TextEmbedder::from_bytes(
        model_file("model.onnx"),
        model_file("tokenizer.json"),
        &spec(),
    )
    .unwrap();
    let err = Embedder::embed(&mut e, &["ok", " "]).unwrap_err();
    assert_eq!(err.code(), "INVALID_INPUT");
    assert!(err.to_string().contains("EMPTY_INPUT"), "{err}");
    assert_eq!(e.model().dims, 384);
    assert_eq!(e.model().fingerprint.len(), 64);
}

#[test]
fn damaged_or_swapped_files_are_typed_errors() {
    let model = model_file("model.onnx");
    let tokenizer = model_file("tokenizer.json");
    let spec = spec();
    let truncated = TextEmbedder::from_bytes(&model[..model.len() - 1000], tokenizer, &spec);
    assert_eq!(truncated.unwrap_err().code(), "MODEL_INTEGRITY");
    let swapped = TextEmbedder::from_bytes(tokenizer, model, &spec);
    let err = swapped.unwrap_err();
    assert_eq!(err.code(), "MODEL_INTEGRITY");
    assert!(err.to_string().contains("model.onnx"), "{err}");
    let empty_tokenizer = TextEmbedder::from_bytes(model, b"", &spec);
    assert_eq!(empty_tokenizer.unwrap_err().code(), "MODEL_INTEGRITY");
}

#[test]
fn long_text_is_truncated_and_still_matches_golden() {
    let g = golden();
    let e = embedder();
    let long: Vec<&Case> = g
        .cases
        .iter()
        .filter(|c| c.tokens == g.max_tokens)
        .collect();
    assert!(long.len() >= 2);
    for case in long {
        // Whatever follows the first 256 word pieces is cut off (54 KB of it: past the prefix
        // the embedder tokenises first).
        let longer = format!(
            "{} {}",
            case.text,
            "completely different words ".repeat(2000)
        );
        let v = e.embed_texts(&[&longer]).unwrap().remove(0);
        assert!(e.count_tokens(&longer).unwrap() > 2 * g.max_tokens);
        let c = cos(&v, &case.vector);
        assert!(c >= 0.999, "cosine {c}");
    }
}

#[test]
fn a_text_that_is_mostly_whitespace_is_not_cut_short() {
    let e = embedder();
    let padded = format!("{}hello world", " \n".repeat(100_000));
    let v = e.embed_texts(&[&padded, "hello world"]).unwrap();
    assert!(cos(&v[0], &v[1]) >= 0.9999);
}

#[test]
fn passages_fit_the_model_and_cover_the_document() {
    let e = embedder();
    let doc = golden()
        .cases
        .iter()
        .filter(|c| c.text.len() > 200)
        .map(|c| c.text.as_str())
        .collect::<Vec<_>>()
        .join("\n\n");
    let budget = e.max_tokens() - 2;
    let passages = e.split_passages(&doc, budget, 32).unwrap();
    assert!(passages.len() >= 3, "{}", passages.len());
    for p in &passages {
        assert!(p.tokens <= budget);
        assert_eq!(e.count_tokens(p.text(&doc)).unwrap(), p.tokens);
    }
    assert_eq!(passages[0].start, 0);
    assert_eq!(passages.last().unwrap().end, doc.trim_end().len());
    // Each passage embeds without truncation.
    let texts: Vec<&str> = passages.iter().map(|p| p.text(&doc)).collect();
    assert_eq!(e.embed_texts(&texts).unwrap().len(), passages.len());
}

#[cfg(not(target_arch = "wasm32"))]
fn embedder_with(rewrite_dequantization: bool, integer_products: bool) -> TextEmbedder {
    TextEmbedder::from_bytes_with(
        model_file("model.onnx"),
        model_file("tokenizer.json"),
        &spec(),
        &TextEmbedderOptions {
            rewrite_dequantization,
            integer_products,
            ..TextEmbedderOptions::default()
        },
    )
    .unwrap()
}

/// Gathering rows first and folding weights to f32 computes the same f32 values as the graph
/// as shipped.
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn the_dequantisation_rewrite_does_not_change_outputs() {
    let texts: Vec<&str> = golden()
        .cases
        .iter()
        .map(|c| c.text.as_str())
        .take(16)
        .collect();
    let a = embedder_with(false, false).embed_texts(&texts).unwrap();
    let b = embedder_with(true, false).embed_texts(&texts).unwrap();
    assert_eq!(a, b);
}

/// Integer products (the default in wasm, where the golden test above runs them) stay within
/// rounding of the f32 ones on every golden input.
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn integer_products_stay_within_rounding_of_f32_products() {
    let texts: Vec<&str> = golden().cases.iter().map(|c| c.text.as_str()).collect();
    let f32_products = embedder_with(true, false).embed_texts(&texts).unwrap();
    let integer = embedder_with(true, true).embed_texts(&texts).unwrap();
    let worst = f32_products
        .iter()
        .zip(&integer)
        .map(|(x, y)| cos(x, y))
        .fold(1f32, f32::min);
    report(&format!("integer vs f32 products: lowest cosine {worst}"));
    assert!(worst >= 0.99999, "{worst}");
    assert_ne!(f32_products, integer, "the integer path did not run");
}
