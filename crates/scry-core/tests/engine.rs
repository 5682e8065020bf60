//! Engine behaviour on real documentation text; runs natively and in headless Chrome.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use scry_core::{Document, Engine, EngineConfig, SearchOptions};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const SAMPLE: &str = include_str!("../../../tests/fixtures/node-docs-sample.json");

fn sample_docs() -> Vec<Document> {
    #[derive(serde::Deserialize)]
    struct Sample {
        documents: Vec<Document>,
    }
    serde_json::from_str::<Sample>(SAMPLE).unwrap().documents
}

fn engine() -> Engine {
    let mut e = Engine::new(EngineConfig::default()).unwrap();
    e.add_all(sample_docs()).unwrap();
    e
}

fn top(e: &Engine, q: &str) -> String {
    e.search(q, &SearchOptions::default()).unwrap()[0]
        .id
        .clone()
}

#[test]
fn known_queries_find_their_module() {
    let e = engine();
    assert!(e.len() > 40, "sample has {} docs", e.len());
    for (q, want) in [
        ("gzip deflate compression", "zlib"),
        ("spawn subprocesses", "child_process"),
        ("transport layer security", "tls"),
        ("file system POSIX", "fs"),
        ("name resolution IP addresses", "dns"),
        ("threads parallel", "worker_threads"),
    ] {
        assert_eq!(top(&e, q), want, "query {q:?}");
    }
}

#[test]
fn snippets_highlight_query_words_in_real_text() {
    let e = engine();
    let hits = e
        .search("compression Gzip", &SearchOptions { k: 3 })
        .unwrap();
    let s = &hits[0].snippet;
    assert!(!s.highlights.is_empty());
    for r in &s.highlights {
        let word = s.text[r.clone()].to_lowercase();
        assert!(
            word == "compression" || word == "gzip",
            "highlighted {word:?}"
        );
    }
}

#[test]
fn results_are_ordered_and_bounded_by_k() {
    let e = engine();
    let hits = e.search("module", &SearchOptions { k: 5 }).unwrap();
    assert_eq!(hits.len(), 5);
    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn remove_and_duplicates() {
    let mut e = engine();
    assert!(e.remove("zlib"));
    assert!(!e.remove("zlib"));
    let hits = e
        .search("gzip deflate compression", &SearchOptions::default())
        .unwrap();
    assert!(hits.iter().all(|h| h.id != "zlib"));
    assert!(e.get("zlib").is_none());
    let dup = e.get("fs").cloned().unwrap();
    assert_eq!(e.add(dup).unwrap_err().code(), "DUPLICATE_ID");
}

#[test]
fn add_all_is_all_or_nothing() {
    let mut e = Engine::new(EngineConfig::default()).unwrap();
    let mut docs = sample_docs();
    docs.push(Document {
        id: String::new(),
        title: "no id".into(),
        body: String::new(),
        url: None,
    });
    assert_eq!(e.add_all(docs).unwrap_err().code(), "INVALID_DOCUMENT");
    assert!(e.is_empty());
}

#[test]
fn bad_queries_are_typed_errors() {
    let e = engine();
    let opts = SearchOptions::default();
    assert_eq!(e.search("   ", &opts).unwrap_err().code(), "INVALID_QUERY");
    let huge = "stream ".repeat(2000);
    assert_eq!(e.search(&huge, &opts).unwrap_err().code(), "INVALID_QUERY");
    let k0 = SearchOptions { k: 0 };
    assert_eq!(
        e.search("stream", &k0).unwrap_err().code(),
        "INVALID_PARAMETER"
    );
    // Only stop words: a valid query with no hits.
    assert!(e.search("the of and", &opts).unwrap().is_empty());
}
