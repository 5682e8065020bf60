//! Engine behaviour on real documentation text; runs natively and in headless Chrome.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

use common::{Rng, sample_docs};
use scry_core::{
    Document, Engine, EngineConfig, Filter, HashEmbedder, MetaValue, Mode, ModelTag, SearchOptions,
};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

fn engine() -> Engine {
    let mut e = Engine::new(EngineConfig::default()).unwrap();
    e.add(sample_docs()).unwrap();
    e
}

fn text(k: usize) -> SearchOptions {
    SearchOptions {
        k,
        mode: Mode::Text,
        ..Default::default()
    }
}

fn ids(hits: &[scry_core::Hit]) -> Vec<&str> {
    hits.iter().map(|h| h.id.as_str()).collect()
}

fn top(e: &Engine, q: &str) -> String {
    e.search(q, None, &text(10)).unwrap()[0].id.clone()
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
        // Stemming: "compressing" meets "compression"? No — but "compressed" / "compress" do.
        ("compress data", "zlib"),
    ] {
        assert_eq!(top(&e, q), want, "query {q:?}");
    }
}

#[test]
fn search_as_you_type_and_typos() {
    let e = engine();
    // Prefix of the last word.
    assert_eq!(top(&e, "subproc"), "child_process");
    assert_eq!(top(&e, "readli"), "readline");
    // One typo in a long word, ranked below exact matches.
    assert_eq!(top(&e, "compresion"), "zlib");
    let hits = e.search("asynchronus", None, &text(10)).unwrap();
    assert!(!hits.is_empty());
    // A trailing space ends the prefix: "subproc " must match exactly, which nothing does.
    assert!(e.search("subproc ", None, &text(10)).unwrap().is_empty());
}

#[test]
fn code_identifiers_match_their_parts() {
    let mut e = Engine::new(EngineConfig::default()).unwrap();
    e.add(vec![
        Document::new("a", "Reading", "Call fs.readFile to load a file."),
        Document::new("b", "HTTP", "parseHTTPResponse handles the reply."),
        Document::new("c", "Other", "Nothing about it."),
    ])
    .unwrap();
    assert_eq!(top(&e, "readFile"), "a");
    assert_eq!(top(&e, "read file"), "a");
    assert_eq!(top(&e, "http response"), "b");
}

#[test]
fn snippets_highlight_query_words_in_real_text() {
    let e = engine();
    let hits = e.search("compression Gzip", None, &text(3)).unwrap();
    let s = &hits[0].snippet;
    assert!(!s.highlights.is_empty());
    let query_terms = e.analyzer().terms("compression gzip");
    for r in &s.highlights {
        // Highlighted words are those whose index term is a query term ("compressing" too).
        let term = e.analyzer().terms(&s.text[r.clone()]);
        assert!(
            query_terms.contains(&term[0]),
            "highlighted {:?}",
            &s.text[r.clone()]
        );
    }
}

#[test]
fn titles_are_highlighted_like_snippets() {
    let mut e = Engine::new(EngineConfig::default()).unwrap();
    e.add(vec![
        Document::new("a", "  Reading files: fs.readFile()", "Loads a whole file."),
        Document::new("b", "Networking", "Reading from sockets."),
        Document::new(
            "c",
            "word ".repeat(300),
            "A title too long to highlight whole: reading.",
        ),
    ])
    .unwrap();
    let hits = e.search("read file", None, &text(10)).unwrap();
    let marked = |id: &str| {
        let h = hits.iter().find(|h| h.id == id).unwrap();
        h.title_highlights
            .iter()
            .map(|r| h.title[r.clone()].to_owned())
            .collect::<Vec<_>>()
    };
    // Stems and identifier parts, at their place in the title (outer spaces included).
    assert_eq!(marked("a"), ["Reading", "files", "read", "File"]);
    // A document found by its body has a title without highlights.
    assert!(marked("b").is_empty());
    assert!(marked("c").is_empty());
}

#[test]
fn results_are_ordered_and_bounded_by_k() {
    let e = engine();
    let hits = e.search("module", None, &text(5)).unwrap();
    assert_eq!(hits.len(), 5);
    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn remove_update_and_duplicates() {
    let mut e = engine();
    assert_eq!(e.remove(&["zlib", "zlib", "nope"]), 1);
    let hits = e
        .search("gzip deflate compression", None, &text(10))
        .unwrap();
    assert!(hits.iter().all(|h| h.id != "zlib"));
    assert!(e.get("zlib").is_none());
    let dup = e.get("fs").cloned().unwrap();
    assert_eq!(e.add(vec![dup]).unwrap_err().code(), "DUPLICATE_ID");
    // Update replaces the text.
    e.update(vec![Document::new(
        "fs",
        "File system",
        "Now about quokkas.",
    )])
    .unwrap();
    assert_eq!(top(&e, "quokkas"), "fs");
    assert_eq!(e.get("fs").unwrap().body, "Now about quokkas.");
    // Re-adding a removed id works.
    e.add(vec![Document::new("zlib", "Zlib", "Compression again.")])
        .unwrap();
    assert_eq!(top(&e, "compression again"), "zlib");
}

#[test]
fn add_is_all_or_nothing_and_documents_are_validated() {
    let mut e = Engine::new(EngineConfig::default()).unwrap();
    let mut docs = sample_docs();
    docs.push(Document::new("", "no id", ""));
    assert_eq!(e.add(docs).unwrap_err().code(), "INVALID_DOCUMENT");
    assert!(e.is_empty());
    for bad in [
        Document::new("x", " ", "\n"),
        Document::new("x".repeat(2000), "t", "b"),
        Document {
            metadata: [("n".to_owned(), MetaValue::Number(f64::NAN))].into(),
            ..Document::new("x", "t", "b")
        },
    ] {
        assert_eq!(e.add(vec![bad]).unwrap_err().code(), "INVALID_DOCUMENT");
    }
    let twice = vec![Document::new("a", "t", "b"), Document::new("a", "t", "b")];
    assert_eq!(e.add(twice).unwrap_err().code(), "DUPLICATE_ID");
    // Huge but valid text and odd Unicode are fine.
    let big = "word ".repeat(200_000);
    e.add(vec![
        Document::new("big", "Big", big),
        Document::new("u", "😀 ﷽ \u{202e}", "日本語のテキスト"),
    ])
    .unwrap();
    assert_eq!(top(&e, "日本語のテキスト"), "u");
}

#[test]
fn bad_queries_are_typed_errors() {
    let e = engine();
    let opts = text(10);
    assert_eq!(
        e.search("   ", None, &opts).unwrap_err().code(),
        "INVALID_QUERY"
    );
    let huge = "stream ".repeat(2000);
    assert_eq!(
        e.search(&huge, None, &opts).unwrap_err().code(),
        "INVALID_QUERY"
    );
    assert_eq!(
        e.search("stream", None, &text(0)).unwrap_err().code(),
        "INVALID_PARAMETER"
    );
    let bad_div = SearchOptions {
        diversify: Some(2.0),
        ..text(5)
    };
    assert_eq!(
        e.search("stream", None, &bad_div).unwrap_err().code(),
        "INVALID_PARAMETER"
    );
    let vec_mode = SearchOptions {
        mode: Mode::Vector,
        ..text(5)
    };
    assert_eq!(
        e.search("stream", None, &vec_mode).unwrap_err().code(),
        "INVALID_QUERY"
    );
    // Only stop words: a valid query with no hits.
    assert!(e.search("the of and", None, &opts).unwrap().is_empty());
}

/// Each document's `group`: "c" for ids starting with 'c', else "other".
fn with_groups(mut docs: Vec<Document>) -> Vec<Document> {
    for d in &mut docs {
        let group = if d.id.starts_with('c') { "c" } else { "other" };
        d.metadata
            .insert("group".into(), MetaValue::Text(group.into()));
    }
    docs
}

fn with_meta() -> Engine {
    let mut docs = with_groups(sample_docs());
    for (i, d) in docs.iter_mut().enumerate() {
        d.metadata.insert("n".into(), MetaValue::Number(i as f64));
    }
    let mut e = Engine::new(EngineConfig::default()).unwrap();
    e.add(docs).unwrap();
    e
}

#[test]
fn filters_apply_before_truncation_to_k() {
    let e = with_meta();
    let f: Filter = serde_json::from_str(r#"{"group": "c"}"#).unwrap();
    // "module" matches dozens of documents; the few in group c must all come back even though
    // they are not in the unfiltered top 3.
    let opts = SearchOptions {
        filter: Some(f),
        ..text(3)
    };
    let hits = e.search("module", None, &opts).unwrap();
    assert_eq!(hits.len(), 3);
    assert!(
        hits.iter().all(|h| h.id.starts_with('c')),
        "{:?}",
        ids(&hits)
    );
    // Documents 12 and 13 (diagnostics_channel, dns) both mention modules; 14 is outside.
    let range: Filter = serde_json::from_str(r#"{"n": {"gte": 12, "lt": 14}}"#).unwrap();
    let hits = e
        .search(
            "module",
            None,
            &SearchOptions {
                filter: Some(range),
                ..text(10)
            },
        )
        .unwrap();
    let mut got = ids(&hits);
    got.sort_unstable();
    assert_eq!(got, ["diagnostics_channel", "dns"]);
    let none: Filter = serde_json::from_str(r#"{"group": "nope"}"#).unwrap();
    assert!(
        e.search(
            "module",
            None,
            &SearchOptions {
                filter: Some(none),
                ..text(10)
            }
        )
        .unwrap()
        .is_empty()
    );
}

#[test]
fn vector_and_hybrid_search_with_a_test_embedder() {
    let mut e = Engine::new(EngineConfig::default()).unwrap();
    let mut emb = HashEmbedder::new(128).unwrap();
    e.add_embedded(sample_docs(), &mut emb).unwrap();
    assert!(e.vector_count() >= e.len());
    // The hash embedder matches spelling, so a misspelt-but-close query finds its module by vector.
    let vector = SearchOptions {
        k: 3,
        mode: Mode::Vector,
        ..Default::default()
    };
    let hits = e
        .search_embedded("zlib compression gzip", &mut emb, &vector)
        .unwrap();
    assert_eq!(hits[0].id, "zlib");
    assert!(hits[0].vector_score.is_some() && hits[0].text_score.is_none());
    let hybrid = SearchOptions::top(5);
    let hits = e
        .search_embedded("gzip compression", &mut emb, &hybrid)
        .unwrap();
    assert_eq!(hits[0].id, "zlib");
    assert!(hits[0].text_score.is_some() && hits[0].vector_score.is_some());
    // Filters reach the vector retriever too: only group c comes back, though zlib (group
    // "other") is the best match, and all of the three asked for.
    let mut e = Engine::new(EngineConfig::default()).unwrap();
    e.add_embedded(with_groups(sample_docs()), &mut emb)
        .unwrap();
    let f: Filter = serde_json::from_str(r#"{"group": "c"}"#).unwrap();
    let hits = e
        .search_embedded(
            "zlib compression gzip",
            &mut emb,
            &SearchOptions {
                filter: Some(f),
                ..vector
            },
        )
        .unwrap();
    assert_eq!(hits.len(), 3, "{:?}", ids(&hits));
    assert!(
        hits.iter()
            .all(|h| h.id.starts_with('c') && h.vector_score.is_some()),
        "{:?}",
        ids(&hits)
    );
}

#[test]
fn vectors_from_another_model_are_refused() {
    let mut e = Engine::new(EngineConfig::default()).unwrap();
    let mut a = HashEmbedder::new(32).unwrap();
    let mut b = HashEmbedder::new(48).unwrap();
    e.add_embedded(vec![Document::new("1", "one", "first")], &mut a)
        .unwrap();
    let err = e
        .add_embedded(vec![Document::new("2", "two", "second")], &mut b)
        .unwrap_err();
    assert_eq!(err.code(), "MODEL_MISMATCH");
    let tag = ModelTag {
        id: a.model_id(),
        dims: 32,
        fingerprint: "f".repeat(64),
    };
    let err = e.add_with_vectors(
        vec![Document::new("3", "t", "b")],
        vec![vec![vec![1.0; 32]]],
        &tag,
    );
    assert_eq!(err.unwrap_err().code(), "MODEL_MISMATCH");
    let same = a.model_tag();
    let err = e.add_with_vectors(
        vec![Document::new("3", "t", "b")],
        vec![vec![vec![0.0; 32]]],
        &same,
    );
    assert_eq!(
        err.unwrap_err().code(),
        "INVALID_INPUT",
        "zero vector under cosine"
    );
    let err = e.add_with_vectors(
        vec![Document::new("3", "t", "b")],
        vec![vec![vec![1.0; 31]]],
        &same,
    );
    assert_eq!(err.unwrap_err().code(), "INVALID_INPUT", "wrong dimension");
    assert_eq!(e.len(), 1);
}

#[test]
fn documents_with_vectors_need_no_text() {
    let mut e = Engine::new(EngineConfig::default()).unwrap();
    let tag = ModelTag {
        id: "external".into(),
        dims: 4,
        fingerprint: "external:4:external".into(),
    };
    let bare = |id: &str| Document {
        id: id.into(),
        ..Default::default()
    };
    // Only an id and a vector: indexed, found by the vector.
    e.add_with_vectors(
        vec![bare("a"), bare("b"), Document::new("c", "words", "")],
        vec![
            vec![vec![1.0, 0.0, 0.0, 0.0]],
            vec![vec![0.0, 1.0, 0.0, 0.0]],
            vec![],
        ],
        &tag,
    )
    .unwrap();
    let options = SearchOptions {
        k: 10,
        mode: Mode::Vector,
        ..Default::default()
    };
    let hits = e.search("", Some(&[0.1, 0.9, 0.0, 0.0]), &options).unwrap();
    let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids, ["b", "a"]);
    // Without a vector a document still needs a title or a body, and nothing is added.
    let err = e.add_with_vectors(
        vec![bare("d"), bare("e")],
        vec![vec![vec![1.0, 1.0, 0.0, 0.0]], vec![]],
        &tag,
    );
    assert_eq!(err.unwrap_err().code(), "INVALID_DOCUMENT");
    assert_eq!(
        e.add(vec![bare("f")]).unwrap_err().code(),
        "INVALID_DOCUMENT"
    );
    assert_eq!(e.len(), 3);
}

trait TagOf {
    fn model_id(&self) -> String;
    fn model_tag(&self) -> ModelTag;
}
impl TagOf for HashEmbedder {
    fn model_id(&self) -> String {
        scry_core::Embedder::model(self).id.clone()
    }
    fn model_tag(&self) -> ModelTag {
        scry_core::Embedder::model(self).clone()
    }
}

#[test]
fn diversify_spreads_results_over_groups() {
    let mut e = Engine::new(EngineConfig::default()).unwrap();
    let mut docs = Vec::new();
    for i in 0..6 {
        docs.push(Document::new(
            format!("dup{i}"),
            "Stream piping",
            format!("Readable stream pipe into writable stream {i}."),
        ));
    }
    docs.push(Document::new(
        "other",
        "Stream events",
        "The data event of a stream fires per chunk.",
    ));
    let mut emb = HashEmbedder::new(256).unwrap();
    e.add_embedded(docs, &mut emb).unwrap();
    let plain = e
        .search_embedded("stream pipe", &mut emb, &SearchOptions::top(3))
        .unwrap();
    assert!(plain.iter().all(|h| h.id.starts_with("dup")));
    let div = SearchOptions {
        diversify: Some(0.3),
        ..SearchOptions::top(3)
    };
    let diverse = e.search_embedded("stream pipe", &mut emb, &div).unwrap();
    assert!(ids(&diverse).contains(&"other"), "{:?}", ids(&diverse));
}

#[test]
fn many_small_adds_merge_and_keep_answers() {
    let mut e = Engine::new(EngineConfig::default()).unwrap();
    for d in sample_docs() {
        e.add(vec![d]).unwrap();
    }
    let reference = engine();
    assert!(
        e.segment_count() < 12,
        "{} segments after 53 single adds",
        e.segment_count()
    );
    for q in [
        "gzip compression",
        "spawn subprocesses",
        "module",
        "stream data",
    ] {
        let a = e.search(q, None, &text(10)).unwrap();
        let b = reference.search(q, None, &text(10)).unwrap();
        assert_eq!(ids(&a), ids(&b), "query {q}");
        for (x, y) in a.iter().zip(&b) {
            assert!((x.score - y.score).abs() < 1e-4);
        }
    }
    e.remove(&["zlib"]);
    e.maintain();
    assert!(
        e.search("gzip deflate", None, &text(10))
            .unwrap()
            .iter()
            .all(|h| h.id != "zlib")
    );
}

#[test]
fn vectors_survive_merges_and_graph_builds() {
    let mut config = EngineConfig::default();
    config.vectors.hnsw_threshold = 32;
    let mut e = Engine::new(config).unwrap();
    let tag = ModelTag {
        id: "rand".into(),
        dims: 16,
        fingerprint: "0".repeat(64),
    };
    let mut rng = Rng::new(7);
    let vecs: Vec<Vec<f32>> = (0..200)
        .map(|_| (0..16).map(|_| rng.normal()).collect())
        .collect();
    for chunk in 0..20 {
        let docs: Vec<Document> = (0..10)
            .map(|i| Document::new(format!("d{}", chunk * 10 + i), "t", "body"))
            .collect();
        let vs: Vec<Vec<Vec<f32>>> = (0..10)
            .map(|i| vec![vecs[chunk * 10 + i].clone()])
            .collect();
        e.add_with_vectors(docs, vs, &tag).unwrap();
    }
    e.maintain();
    assert!(e.graph_segment_count() >= 1);
    let opts = SearchOptions {
        k: 1,
        mode: Mode::Vector,
        ..Default::default()
    };
    for i in [0, 57, 123, 199] {
        let hits = e.search("", Some(&vecs[i]), &opts).unwrap();
        assert_eq!(hits[0].id, format!("d{i}"), "nearest neighbour of itself");
    }
}
