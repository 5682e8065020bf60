//! BM25 scores equal a direct transcription of the formula (Robertson & Zaragoza) to 1e-5, in
//! both field-scoring modes, on the Node.js docs sample.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

use std::collections::HashMap;

use scry_core::bm25::{Bm25Params, FieldScoring};
use scry_core::text::Analyzer;
use scry_core::{Engine, EngineConfig, Mode, SearchOptions};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// Classic BM25 of every document's body for `query`, from the analyzer's tokens.
fn reference(bodies: &[String], query: &str, k1: f64, b: f64) -> Vec<f64> {
    let a = Analyzer::english();
    let docs: Vec<(HashMap<String, f64>, f64)> = bodies
        .iter()
        .map(|body| {
            let tokens = a.analyze(body);
            let mut tf = HashMap::new();
            for t in &tokens {
                *tf.entry(t.term.clone()).or_insert(0.0) += 1.0;
            }
            (tf, tokens.iter().filter(|t| !t.part).count() as f64)
        })
        .collect();
    let n = docs.len() as f64;
    let avg = docs.iter().map(|d| d.1).sum::<f64>() / n;
    let mut terms = a.terms(query);
    terms.dedup();
    docs.iter()
        .map(|(tf, len)| {
            terms
                .iter()
                .map(|t| {
                    let df = docs.iter().filter(|d| d.0.contains_key(t)).count() as f64;
                    let f = tf.get(t).copied().unwrap_or(0.0);
                    if f == 0.0 {
                        return 0.0;
                    }
                    let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
                    idf * f * (k1 + 1.0) / (f + k1 * (1.0 - b + b * len / avg))
                })
                .sum()
        })
        .collect()
}

#[test]
fn engine_scores_equal_the_formula() {
    let docs = common::sample_docs();
    let bodies: Vec<String> = docs.iter().map(|d| d.body.clone()).collect();
    for scoring in [FieldScoring::Bm25f, FieldScoring::PerFieldSum] {
        for (k1, b) in [(1.2f32, 0.75f32), (0.9, 0.4), (2.0, 1.0), (1.2, 0.0)] {
            let config = EngineConfig {
                bm25: Bm25Params {
                    k1,
                    b,
                    boosts: [0.0, 0.0, 1.0, 0.0],
                    scoring,
                    prefix: false,
                    typos: false,
                    ..Default::default()
                },
                ..Default::default()
            };
            let mut e = Engine::new(config).unwrap();
            e.add(docs.clone()).unwrap();
            for q in [
                "stream data events",
                "module provides",
                "compression",
                "the http server client",
            ] {
                let want = reference(&bodies, q, f64::from(k1), f64::from(b));
                let opts = SearchOptions {
                    k: 1000,
                    mode: Mode::Text,
                    ..Default::default()
                };
                let hits = e.search(q, None, &opts).unwrap();
                assert_eq!(hits.len(), want.iter().filter(|s| **s > 0.0).count(), "{q}");
                for h in hits {
                    let i = docs.iter().position(|d| d.id == h.id).unwrap();
                    let got = f64::from(h.text_score.unwrap());
                    assert!(
                        (got - want[i]).abs() < 1e-5 * want[i].max(1.0),
                        "{scoring:?} k1={k1} b={b} {q:?} {}: {got} vs {}",
                        h.id,
                        want[i]
                    );
                }
            }
        }
    }
}
