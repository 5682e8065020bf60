//! Static indexes loaded chunk by chunk give the answers of the index they were exported from,
//! load only what a query needs, reject damaged chunks, and take local documents on top.
//! Runs natively and in headless Chrome.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

use std::collections::{BTreeSet, HashMap};

use common::sample_docs;
use scry_core::{
    CoreError, Document, Engine, EngineConfig, ExportParams, Filter, HashEmbedder, Mode,
    SearchOptions, StaticBundle, SuggestParams,
};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// Small chunks, so that there are many of them.
const SMALL: ExportParams = ExportParams {
    postings_chunk_bytes: 600,
    docs_chunk_bytes: 2000,
};

fn source(vectors: bool) -> (Engine, HashEmbedder) {
    source_with(vectors, |_| {})
}

fn source_with(vectors: bool, change: impl Fn(&mut Vec<Document>)) -> (Engine, HashEmbedder) {
    let mut e = Engine::new(EngineConfig::default()).unwrap();
    let mut h = HashEmbedder::new(64).unwrap();
    let mut docs = sample_docs();
    change(&mut docs);
    for (i, d) in docs.iter_mut().enumerate() {
        d.metadata
            .insert("even".into(), scry_core::MetaValue::Bool(i % 2 == 0));
    }
    if vectors {
        e.add_embedded(docs, &mut h).unwrap();
    } else {
        e.add(docs).unwrap();
    }
    (e, h)
}

/// Serves a bundle's files and counts what was fetched.
struct Server {
    files: HashMap<String, Vec<u8>>,
    fetched: BTreeSet<String>,
}

impl Server {
    fn new(bundle: &StaticBundle) -> Self {
        Self {
            files: bundle
                .files
                .iter()
                .map(|f| (f.name.clone(), f.bytes.clone()))
                .collect(),
            fetched: BTreeSet::new(),
        }
    }

    /// What the npm package does: run `f`; on `ChunksNeeded` load those chunks and run it again.
    fn run<T>(&mut self, e: &mut Engine, f: impl Fn(&Engine) -> scry_core::Result<T>) -> T {
        for _ in 0..8 {
            match f(e) {
                Err(CoreError::ChunksNeeded(names)) => {
                    assert!(!names.is_empty());
                    for n in names {
                        assert!(self.fetched.insert(n.clone()), "{n} asked for twice");
                        e.load_chunk(&n, &self.files[&n]).unwrap();
                    }
                }
                other => return other.unwrap(),
            }
        }
        panic!("still missing chunks after 8 rounds");
    }
}

fn attached(bundle: &StaticBundle) -> (Engine, Server) {
    let server = Server::new(bundle);
    let mut e = Engine::new(EngineConfig::default()).unwrap();
    e.attach_static(&bundle.meta, &server.files[&bundle.meta])
        .unwrap();
    (e, server)
}

fn opts(k: usize, mode: Mode) -> SearchOptions {
    SearchOptions {
        k,
        mode,
        ..Default::default()
    }
}

const QUERIES: [&str; 8] = [
    "gzip deflate compression",
    "spawn subprocesses",
    "transport layer security",
    "file system POSIX",
    "subproc",
    "compresion streams",
    "readFile",
    "event loop timers",
];

#[test]
fn answers_equal_the_exported_index_in_every_mode() {
    let (src, mut h) = source(true);
    let bundle = src.export_static(&SMALL).unwrap();
    assert!(bundle.files.len() > 20, "{} files", bundle.files.len());
    assert_eq!(bundle.documents, src.len());
    let (mut e, mut server) = attached(&bundle);
    assert_eq!(e.len(), src.len());
    assert_eq!(e.vector_count(), src.vector_count());
    for q in QUERIES {
        let v = scry_core::Embedder::embed(&mut h, &[q])
            .unwrap()
            .pop()
            .unwrap();
        for mode in [Mode::Text, Mode::Vector, Mode::Hybrid] {
            let o = opts(10, mode);
            let want = src.search(q, Some(&v), &o).unwrap();
            let got = server.run(&mut e, |e| e.search(q, Some(&v), &o));
            assert_eq!(got, want, "{q:?} {mode:?}");
        }
        let div = SearchOptions {
            diversify: Some(0.5),
            ..opts(5, Mode::Hybrid)
        };
        let got = server.run(&mut e, |e| e.search(q, Some(&v), &div));
        assert_eq!(
            got,
            src.search(q, Some(&v), &div).unwrap(),
            "{q:?} diversified"
        );
    }
    // Suggestions (text-only clustering here) agree too.
    let p = SuggestParams::default();
    let got = server.run(&mut e, |e| e.suggest("stream", None, &p));
    assert_eq!(got, src.suggest("stream", None, &p).unwrap());
}

#[test]
fn suggestions_without_a_query_model_load_the_vectors_they_cluster() {
    // Full-text results, clustered by passage vectors: those must be loaded first.
    let (src, _) = source(true);
    let bundle = src.export_static(&SMALL).unwrap();
    let (mut e, mut server) = attached(&bundle);
    let p = SuggestParams::default();
    let got = server.run(&mut e, |e| e.suggest("module", None, &p));
    assert_eq!(got, src.suggest("module", None, &p).unwrap());
    assert!(server.fetched.iter().any(|n| n.starts_with("vec/")));
    assert!(!got.is_empty());
}

#[test]
fn export_takes_at_least_one_item_per_chunk() {
    let (src, _) = source(false);
    let tiny = ExportParams {
        postings_chunk_bytes: 0,
        docs_chunk_bytes: 0,
    };
    let bundle = src.export_static(&tiny).unwrap();
    let docs = bundle
        .files
        .iter()
        .filter(|f| f.name.starts_with("docs/"))
        .count();
    assert_eq!(docs, src.len());
    let (mut e, mut server) = attached(&bundle);
    let hits = server.run(&mut e, |e| e.search("zlib", None, &opts(3, Mode::Text)));
    assert_eq!(
        hits,
        src.search("zlib", None, &opts(3, Mode::Text)).unwrap()
    );
}

#[test]
fn a_query_loads_only_what_it_needs() {
    let (src, _) = source(false);
    let bundle = src.export_static(&SMALL).unwrap();
    let (mut e, mut server) = attached(&bundle);
    let total = bundle.files.len();
    let hits = server.run(&mut e, |e| e.search("zlib", None, &opts(3, Mode::Text)));
    assert_eq!(hits[0].id, "zlib");
    assert!(!hits[0].snippet.text.is_empty());
    let first = server.fetched.len();
    // One postings chunk per field holding the term, at most one documents chunk per hit.
    assert!(first <= 4 + 3, "{first} of {total} chunks for one word");
    assert!(server.fetched.iter().all(|n| !n.starts_with("vec/")));
    // Asking again loads nothing more.
    server.run(&mut e, |e| e.search("zlib", None, &opts(3, Mode::Text)));
    assert_eq!(server.fetched.len(), first);
    // Filters read the metadata the meta file carries: filtered answers equal the source's.
    // What is loaded is reported.
    let even: Filter = serde_json::from_str(r#"{"even": true}"#).unwrap();
    let o = SearchOptions {
        filter: Some(even),
        ..opts(5, Mode::Text)
    };
    let hits = server.run(&mut e, |e| e.search("stream", None, &o));
    let want = src.search("stream", None, &o).unwrap();
    assert_eq!(hits, want);
    let loaded = e.static_chunks().iter().filter(|(_, l)| *l).count();
    assert_eq!(loaded, server.fetched.len());
    assert!(loaded < total - 1, "{loaded} of {total}");
    // Documents whose text is not loaded are not handed out half-empty; loaded ones are whole.
    let loaded = e.get(&hits[0].id).unwrap();
    assert_eq!(loaded, src.get(&hits[0].id).unwrap());
    let unloaded = src.documents().find(|d| e.get(&d.id).is_none());
    assert!(unloaded.is_some());
}

#[test]
fn export_is_deterministic_and_typed_at_the_edges() {
    let (src, _) = source(true);
    let a = src.export_static(&ExportParams::default()).unwrap();
    let b = src.export_static(&ExportParams::default()).unwrap();
    assert_eq!(a, b);
    let names: BTreeSet<&str> = a.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names.len(), a.files.len(), "names are content hashes");
    let (e, _) = attached(&a);
    // An engine holding a static index cannot export one.
    let err = e.export_static(&ExportParams::default()).unwrap_err();
    assert_eq!(err.code(), "INVALID_INPUT", "{err}");
}

#[test]
fn damaged_or_swapped_chunks_are_refused_by_name() {
    let (src, _) = source(true);
    let bundle = src.export_static(&SMALL).unwrap();
    let (mut e, server) = attached(&bundle);
    let post: Vec<&String> = server
        .files
        .keys()
        .filter(|n| n.starts_with("post/"))
        .collect();
    let (a, b) = (post[0], post[1]);
    // Another chunk's bytes under this name.
    let err = e.load_chunk(a, &server.files[b]).unwrap_err();
    assert_eq!(err.code(), "CORRUPT_DATA");
    assert!(err.to_string().contains(a.as_str()), "{err}");
    // A flipped byte, a truncation.
    let mut flipped = server.files[a].clone();
    flipped[20] ^= 0x40;
    assert_eq!(
        e.load_chunk(a, &flipped).unwrap_err().code(),
        "CORRUPT_DATA"
    );
    let bytes = &server.files[a];
    assert_eq!(
        e.load_chunk(a, &bytes[..bytes.len() - 3])
            .unwrap_err()
            .code(),
        "CORRUPT_DATA"
    );
    // Not a chunk of this index.
    let err = e.load_chunk("post/00000000000000000000000000000000.bin", bytes);
    assert_eq!(err.unwrap_err().code(), "INVALID_INPUT");
    // The right bytes still load afterwards.
    e.load_chunk(a, bytes).unwrap();
    for name in server
        .files
        .keys()
        .filter(|n| n.starts_with("vec/") || n.starts_with("docs/"))
    {
        e.load_chunk(name, &server.files[name]).unwrap();
    }
    // A meta file that lists a real chunk in another chunk's place: the name matches the bytes,
    // the structure does not.
    let meta = &server.files[&bundle.meta];
    use scry_core::segment::format;
    use scry_core::static_index::{META_MAGIC, STATIC_VERSION};
    let (_, body) = format::open(meta, META_MAGIC, STATIC_VERSION, "meta").unwrap();
    let find = |needle: &[u8]| {
        body.windows(needle.len())
            .position(|w| w == needle)
            .unwrap()
    };
    let (first, second) = (find(a.as_bytes()), find(b.as_bytes()));
    let mut swapped = body.to_vec();
    swapped[first..first + a.len()].copy_from_slice(b.as_bytes());
    swapped[second..second + b.len()].copy_from_slice(a.as_bytes());
    let sealed = format::seal(META_MAGIC, STATIC_VERSION, &swapped);
    let name = format!("meta/{}.bin", format::content_id(&sealed));
    let mut crossed = Engine::new(EngineConfig::default()).unwrap();
    crossed.attach_static(&name, &sealed).unwrap();
    let err = crossed.load_chunk(a, &server.files[a]).unwrap_err();
    assert_eq!(err.code(), "CORRUPT_DATA");
    assert!(err.to_string().contains("other terms"), "{err}");
    // A damaged meta file, or one from a newer format.
    let mut fresh = Engine::new(EngineConfig::default()).unwrap();
    let mut bad = meta.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 1;
    let err = fresh.attach_static(&bundle.meta, &bad).unwrap_err();
    assert_eq!(err.code(), "CORRUPT_DATA");
    assert_eq!(fresh.segment_count(), 0);
    let newer = format::seal(META_MAGIC, STATIC_VERSION + 1, body);
    let name = format!(
        "meta/{}.bin",
        scry_core::segment::format::content_id(&newer)
    );
    let err = fresh.attach_static(&name, &newer).unwrap_err();
    assert_eq!(err.code(), "UNSUPPORTED_VERSION");
    assert_eq!(fresh.segment_count(), 0);
}

#[test]
fn local_documents_live_beside_a_static_index() {
    let (src, mut h) = source(true);
    let bundle = src.export_static(&SMALL).unwrap();
    let (mut e, mut server) = attached(&bundle);
    // Same id as a static document: refused, nothing added.
    let dup = vec![Document::new("zlib", "Mine", "my own zlib notes")];
    let err = e.add_embedded(dup, &mut h).unwrap_err();
    assert_eq!(err.code(), "DUPLICATE_ID");
    let mine = Document::new(
        "note-1",
        "Compression notes",
        "My notes on gzip and deflate compression in the zlib module.",
    );
    e.add_embedded(vec![mine], &mut h).unwrap();
    assert_eq!(e.len(), src.len() + 1);
    let q = "gzip deflate compression notes";
    let v = scry_core::Embedder::embed(&mut h, &[q])
        .unwrap()
        .pop()
        .unwrap();
    let hits = server.run(&mut e, |e| e.search(q, Some(&v), &opts(5, Mode::Hybrid)));
    let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    assert!(ids.contains(&"note-1") && ids.contains(&"zlib"), "{ids:?}");
    // A static document can be removed (a tombstone).
    assert_eq!(e.remove(&["zlib"]), 1);
    let hits = server.run(&mut e, |e| e.search("zlib", None, &opts(5, Mode::Text)));
    assert!(hits.iter().all(|h| h.id != "zlib"));
    // Commits hold the local documents only; reopening and attaching again restores both.
    #[cfg(not(target_arch = "wasm32"))]
    reopen_and_attach_again(&e, &bundle, &mut h, q, &v, src.len());
}

#[cfg(not(target_arch = "wasm32"))]
fn reopen_and_attach_again(
    e: &Engine,
    bundle: &StaticBundle,
    h: &mut HashEmbedder,
    q: &str,
    v: &[f32],
    static_docs: usize,
) {
    use common::block_on;
    let mut e = e.clone();
    let server = Server::new(bundle);
    let storage = scry_core::MemoryStorage::new();
    let info = block_on(e.commit(&storage)).unwrap();
    assert_eq!(info.segments_written, 1);
    let mut reopened = block_on(Engine::open(&storage, EngineConfig::default())).unwrap();
    assert_eq!(reopened.len(), 1);
    reopened
        .attach_static(&bundle.meta, &server.files[&bundle.meta])
        .unwrap();
    // Still without the static document removed before the commit.
    assert_eq!(reopened.len(), static_docs);
    assert!(reopened.get("zlib").is_none());
    // Replacing a static document locally survives a reload too.
    let new_fs = Document::new(
        "fs",
        "File system (mine)",
        "My own notes about quokka files.",
    );
    reopened.update_embedded(vec![new_fs], h).unwrap();
    block_on(reopened.commit(&storage)).unwrap();
    let mut reopened = block_on(Engine::open(&storage, EngineConfig::default())).unwrap();
    reopened
        .attach_static(&bundle.meta, &server.files[&bundle.meta])
        .unwrap();
    assert_eq!(reopened.len(), static_docs);
    assert_eq!(reopened.get("fs").unwrap().title, "File system (mine)");
    // The site is rebuilt (one document changed, so every file gets a new name). The local
    // removal and replacement still hold, and nothing clashes.
    let (next_src, _) = source_with(true, |docs| docs[0].body.push_str(" Revised."));
    let next = next_src.export_static(&SMALL).unwrap();
    assert_ne!(next.meta, bundle.meta);
    let mut redeployed = block_on(Engine::open(&storage, EngineConfig::default())).unwrap();
    let mut next_server = Server::new(&next);
    redeployed
        .attach_static(&next.meta, &next_server.files[&next.meta])
        .unwrap();
    assert_eq!(redeployed.len(), static_docs);
    let hits = next_server.run(&mut redeployed, |e| {
        e.search("zlib gzip", None, &opts(10, Mode::Text))
    });
    assert!(hits.iter().all(|h| h.id != "zlib"));
    assert_eq!(redeployed.get("fs").unwrap().title, "File system (mine)");
    let mut again = Server::new(bundle);
    let hits = again.run(&mut reopened, |e| {
        e.search(q, Some(v), &opts(5, Mode::Hybrid))
    });
    assert!(hits.iter().any(|h| h.id == "note-1"));
    // Merges never touch the static segment.
    for i in 0..40 {
        let d = Document::new(
            format!("n{i}"),
            "note",
            format!("note number {i} about streams"),
        );
        reopened.add_embedded(vec![d], h).unwrap();
    }
    reopened.maintain();
    assert_eq!(reopened.len(), static_docs + 40);
    let hits = again.run(&mut reopened, |e| {
        e.search("gzip deflate", None, &opts(3, Mode::Text))
    });
    assert_eq!(hits[0].id, "note-1");
    let hits = again.run(&mut reopened, |e| {
        e.search("quokka", None, &opts(3, Mode::Text))
    });
    assert_eq!(hits[0].id, "fs");
}
