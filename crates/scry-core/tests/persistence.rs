//! Commit / open through the Storage trait, and what happens to damaged or foreign data.
//! Runs natively and in headless Chrome.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

use common::sample_docs;
use scry_core::engine::ManifestRepair;
use scry_core::manifest::Manifest;
use scry_core::segment::Segment;
use scry_core::segment::format::{content_id, crc32};
use scry_core::text::Analyzer;
use scry_core::{
    CoreError, Embedder, Engine, EngineConfig, HashEmbedder, Hit, MemoryStorage, Mode,
    SearchOptions, Storage,
};
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

fn ids(e: &Engine, q: &str) -> Vec<String> {
    let opts = SearchOptions {
        k: 10,
        mode: Mode::Text,
        ..Default::default()
    };
    e.search(q, None, &opts)
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .collect()
}

async fn round_trip() {
    let storage = MemoryStorage::new();
    let mut e = Engine::new(EngineConfig::default()).unwrap();
    let mut emb = HashEmbedder::new(64).unwrap();
    let docs = sample_docs();
    let (first, second) = docs.split_at(30);
    e.add_embedded(first.to_vec(), &mut emb).unwrap();
    let c1 = e.commit(&storage).await.unwrap();
    assert_eq!(c1.generation, 1);
    assert!(c1.segments_written >= 1);
    e.add_embedded(second.to_vec(), &mut emb).unwrap();
    e.remove(&["zlib"]);
    let c2 = e.commit(&storage).await.unwrap();
    assert_eq!(c2.generation, 2);

    let reopened = Engine::open(&storage, EngineConfig::default())
        .await
        .unwrap();
    assert_eq!(reopened.len(), e.len());
    assert_eq!(reopened.generation(), 2);
    assert_eq!(reopened.model(), e.model());
    for q in [
        "gzip compression",
        "spawn subprocesses",
        "module",
        "stream data",
    ] {
        assert_eq!(ids(&reopened, q), ids(&e, q), "query {q}");
    }
    assert!(reopened.get("zlib").is_none());
    let hybrid = SearchOptions::top(5);
    let a = reopened
        .search_embedded("worker threads", &mut emb, &hybrid)
        .unwrap();
    let b = e
        .search_embedded("worker threads", &mut emb, &hybrid)
        .unwrap();
    assert_eq!(
        a.iter().map(|h| &h.id).collect::<Vec<_>>(),
        b.iter().map(|h| &h.id).collect::<Vec<_>>()
    );

    // Nothing changed: a commit writes no segment.
    let mut again = reopened.clone();
    assert_eq!(again.commit(&storage).await.unwrap().segments_written, 0);
    // With a merge factor of 2 the two segments (30 and 22 live documents, one tier) merge
    // into one; its commit writes it and collects the two it replaced.
    let mut config = EngineConfig::default();
    config.limits.merge_factor = 2;
    let mut merging = Engine::open(&storage, config).await.unwrap();
    let before = storage.list("seg/").await.unwrap();
    assert_eq!(before.len(), 2, "{before:?}");
    assert_eq!(merging.segment_count(), 2);
    merging.maintain();
    assert_eq!(merging.segment_count(), 1);
    let c = merging.commit(&storage).await.unwrap();
    assert_eq!(c.segments_written, 1);
    let after = storage.list("seg/").await.unwrap();
    assert_eq!(after.len(), 1, "{after:?}");
    assert!(
        !before.contains(&after[0]),
        "the merged segment is new: {after:?}"
    );
    // Each replaced segment's blob and record at least (with their chunks, any kind counts).
    assert!(c.segments_removed >= 2, "{c:?}");
    assert_eq!(merging.len(), e.len());
    assert_eq!(ids(&merging, "module"), ids(&e, "module"));
    let merged = Engine::open(&storage, EngineConfig::default())
        .await
        .unwrap();
    assert_eq!(merged.segment_count(), 1);
    assert_eq!(ids(&merged, "module"), ids(&e, "module"));
}

/// Runs `search` on a lazily opened engine, loading from `storage` the chunks it asks for
/// (what the npm package does); returns the answer and how many chunks it read.
async fn lazily<T>(
    e: &mut Engine,
    storage: &MemoryStorage,
    search: impl Fn(&Engine) -> scry_core::Result<T>,
) -> scry_core::Result<(T, usize)> {
    let mut read = 0;
    loop {
        match search(e) {
            Err(CoreError::ChunksNeeded(keys)) => {
                assert!(!keys.is_empty());
                for k in keys {
                    assert!(k.starts_with("chunk/"), "a storage key: {k}");
                    let bytes = storage.get(&k).await?.expect("listed chunks are stored");
                    e.load_chunk(&k, &bytes)?;
                    read += 1;
                }
            }
            other => return other.map(|v| (v, read)),
        }
    }
}

fn text(k: usize) -> SearchOptions {
    SearchOptions {
        k,
        mode: Mode::Text,
        ..Default::default()
    }
}

fn hit_ids(hits: &[Hit]) -> Vec<(String, f32)> {
    hits.iter().map(|h| (h.id.clone(), h.score)).collect()
}

/// Rewrites the committed index as builds before the chunked layout stored it: each segment
/// one blob under `seg/<id>`, a version 1 manifest.
async fn to_blob_layout(storage: &MemoryStorage, config: &EngineConfig) {
    let mut manifest = Manifest::decode(&storage.get("manifest").await.unwrap().unwrap()).unwrap();
    let analyzer = Analyzer::new(manifest.analyzer.clone());
    for entry in &mut manifest.segments {
        let record_key = format!("docstore/{}", entry.id);
        let record = storage.get(&record_key).await.unwrap().unwrap();
        let seg = Segment::rebuild(&record, &entry.id, &analyzer, &config.vectors).unwrap();
        let blob = seg.encode();
        let id = content_id(&blob);
        storage.delete(&format!("seg/{}", entry.id)).await.unwrap();
        storage.delete(&record_key).await.unwrap();
        storage.put(&format!("seg/{id}"), &blob).await.unwrap();
        storage
            .put(&format!("docstore/{id}"), &seg.encode_docstore(1))
            .await
            .unwrap();
        entry.id = id;
    }
    for k in storage.list("chunk/").await.unwrap() {
        storage.delete(&k).await.unwrap();
    }
    storage
        .put("manifest", &with_version(&manifest.encode(), 1))
        .await
        .unwrap();
}

/// The sample committed in two commits to `storage`: the first 30 documents merged into an
/// HNSW segment, the rest in a flat one, `zlib` removed. Returns the engine and its config.
async fn two_segments(storage: &MemoryStorage, emb: &mut HashEmbedder) -> (Engine, EngineConfig) {
    let mut config = EngineConfig::default();
    // Small enough that the merged segment gets an HNSW graph.
    config.vectors.hnsw_threshold = 16;
    let mut e = Engine::new(config.clone()).unwrap();
    let docs = sample_docs();
    let (first, second) = docs.split_at(30);
    e.add_embedded(first.to_vec(), emb).unwrap();
    e.commit(storage).await.unwrap();
    e.maintain();
    assert_eq!(e.graph_segment_count(), 1);
    e.add_embedded(second.to_vec(), emb).unwrap();
    e.remove(&["zlib"]);
    e.commit(storage).await.unwrap();
    (e, config)
}

/// A sealed blob with its version field set to `version` (and a valid checksum).
fn with_version(bytes: &[u8], version: u8) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[8] = version; // version field, little-endian u16 at offset 8
    let end = b.len() - 4;
    let crc = crc32(&b[..end]);
    b[end..].copy_from_slice(&crc.to_le_bytes());
    b
}

async fn lazy_open_reads_only_what_queries_need() {
    let storage = MemoryStorage::new();
    let mut emb = HashEmbedder::new(64).unwrap();
    let (e, config) = two_segments(&storage, &mut emb).await;
    let docs = sample_docs();
    let expected = answers(&e, &mut emb);
    let chunks = storage.list("chunk/").await.unwrap();
    assert!(chunks.len() > 4, "{chunks:?}");

    let mut lazy = Engine::open_lazy(&storage, config.clone()).await.unwrap();
    // Ids, metadata and dictionaries are there; postings, text and vectors are not.
    assert_eq!(lazy.len(), e.len());
    assert_eq!(lazy.generation(), 2);
    assert_eq!(lazy.model(), e.model());
    assert_eq!(lazy.vector_count(), e.vector_count());
    assert!(lazy.get("zlib").is_none());
    let mut missing = lazy.stored_chunks_missing();
    missing.sort();
    assert_eq!(missing, chunks);
    let err = lazy
        .search("gzip compression", None, &text(10))
        .unwrap_err();
    assert_eq!(err.code(), "CHUNKS_NEEDED");

    // A text query reads some postings and the text of its hits, not the index.
    let (hits, read) = lazily(&mut lazy, &storage, |e| {
        e.search("gzip compression", None, &text(3))
    })
    .await
    .unwrap();
    assert!(
        read > 0 && read < chunks.len(),
        "{read} of {}",
        chunks.len()
    );
    assert_eq!(
        hit_ids(&hits),
        hit_ids(&e.search("gzip compression", None, &text(3)).unwrap())
    );
    // Then every query of every mode answers as the index that was committed.
    let mut got = Vec::new();
    for q in [
        "gzip compression",
        "spawn subprocesses",
        "module",
        "worker threads",
    ] {
        let v = emb.embed(&[q]).unwrap().remove(0);
        for mode in [Mode::Text, Mode::Hybrid, Mode::Vector] {
            let opts = SearchOptions {
                k: 10,
                mode,
                ..Default::default()
            };
            let (hits, _) = lazily(&mut lazy, &storage, |e| e.search(q, Some(&v), &opts))
                .await
                .unwrap();
            got.push(hit_ids(&hits));
        }
    }
    assert_eq!(got, expected);

    // A change commits only its own segment; the chunks of the others stay live.
    let mut more = docs[0].clone();
    more.id = "extra".into();
    lazy.add_embedded(vec![more], &mut emb).unwrap();
    let c = lazy.commit(&storage).await.unwrap();
    assert_eq!(c.segments_written, 1);
    assert_eq!(c.segments_removed, 0);
    for k in &chunks {
        assert!(storage.get(k).await.unwrap().is_some(), "{k} collected");
    }

    // Everything read: the segments are whole again, and merge like any others.
    for k in lazy.stored_chunks_missing() {
        let bytes = storage.get(&k).await.unwrap().unwrap();
        lazy.load_chunk(&k, &bytes).unwrap();
        // Loading twice (a query and the background load racing) does nothing.
        lazy.load_chunk(&k, &bytes).unwrap();
    }
    assert!(lazy.stored_chunks_missing().is_empty());
    lazy.need_stored().unwrap();
    assert_eq!(lazy.segment_count(), 3);
    assert_eq!(lazy.graph_segment_count(), 1);
    // The flat segment of 22 live documents is past the HNSW threshold (16): it gets a graph;
    // the one-document segment stays flat.
    lazy.maintain();
    assert_eq!(lazy.segment_count(), 3);
    assert_eq!(lazy.graph_segment_count(), 2);
    lazy.commit(&storage).await.unwrap();
    let eager = Engine::open(&storage, config.clone()).await.unwrap();
    assert_eq!(eager.len(), e.len() + 1);
    assert_eq!(eager.segment_count(), lazy.segment_count());
    // Chunks of the segments merged away were collected with them: what is stored is exactly
    // the chunks of the live segments (all of which a lazy open lists as unread).
    let mut live = Engine::open_lazy(&storage, config.clone())
        .await
        .unwrap()
        .stored_chunks_missing();
    live.sort();
    assert_eq!(storage.list("chunk/").await.unwrap(), live);
    for q in ["gzip compression", "worker threads"] {
        assert_eq!(
            hit_ids(&eager.search(q, None, &text(10)).unwrap()),
            hit_ids(&lazy.search(q, None, &text(10)).unwrap())
        );
    }
}

async fn blob_layout_indexes_still_open() {
    let config = EngineConfig::default();
    let storage = MemoryStorage::new();
    let mut e = Engine::new(config.clone()).unwrap();
    let mut emb = HashEmbedder::new(64).unwrap();
    e.add_embedded(sample_docs(), &mut emb).unwrap();
    e.commit(&storage).await.unwrap();
    let expected = answers(&e, &mut emb);
    to_blob_layout(&storage, &config).await;
    assert!(storage.list("chunk/").await.unwrap().is_empty());

    let mut back = Engine::open_lazy(&storage, config.clone()).await.unwrap();
    assert!(back.stored_chunks_missing().is_empty(), "read whole");
    assert_eq!(answers(&back, &mut emb), expected);
    let old = storage.list("seg/").await.unwrap();
    // New segments are written in the chunked layout beside the old blob, which stays live.
    let mut more = sample_docs()[0].clone();
    more.id = "extra".into();
    back.add_embedded(vec![more], &mut emb).unwrap();
    back.commit(&storage).await.unwrap();
    assert!(!storage.list("chunk/").await.unwrap().is_empty());
    for k in &old {
        assert!(storage.get(k).await.unwrap().is_some());
    }
    let again = Engine::open(&storage, config).await.unwrap();
    assert_eq!(again.len(), e.len() + 1);
}

async fn damage_is_reported_and_never_served() {
    let storage = MemoryStorage::new();
    let mut e = Engine::new(EngineConfig::default()).unwrap();
    e.add(sample_docs()).unwrap();
    e.commit(&storage).await.unwrap();
    let seg_key = storage.list("seg/").await.unwrap().remove(0);
    let id = seg_key["seg/".len()..].to_owned();

    // A damaged chunk: opening whole fails; opening lazily does not, but the first query
    // that reads it does, naming the segment; queries never see its bytes.
    let chunks = storage.list("chunk/").await.unwrap();
    assert!(!chunks.is_empty(), "the segment is stored in chunks");
    for chunk in chunks {
        let good = storage.get(&chunk).await.unwrap().unwrap();
        let mut bad = good.clone();
        let mid = bad.len() / 2;
        bad[mid] ^= 0x20;
        storage.put(&chunk, &bad).await.unwrap();
        let err = Engine::open(&storage, EngineConfig::default())
            .await
            .unwrap_err();
        assert_eq!(err.code(), "CORRUPT_DATA", "{chunk}: {err}");
        assert!(err.to_string().contains(&id), "names the segment: {err}");
        let mut lazy = Engine::open_lazy(&storage, EngineConfig::default())
            .await
            .unwrap();
        let result = lazily(&mut lazy, &storage, |e| {
            // Every part: a query for each document's title reads all postings and texts.
            let mut all = Vec::new();
            for d in sample_docs() {
                all.extend(e.search(&d.title, None, &text(50))?);
            }
            // Then whatever is left (the package's background load).
            e.need_stored()?;
            Ok(all)
        })
        .await;
        let err = result.unwrap_err();
        assert_eq!(err.code(), "CORRUPT_DATA", "{chunk}: {err}");
        assert!(err.to_string().contains(&id), "names the segment: {err}");
        assert!(err.to_string().contains(&chunk["chunk/".len()..]), "{err}");
        storage.put(&chunk, &good).await.unwrap();
    }
    let good = storage.get(&seg_key).await.unwrap().unwrap();

    // One flipped bit in the middle of the segment.
    let mut bad = good.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0x04;
    storage.put(&seg_key, &bad).await.unwrap();
    let err = Engine::open(&storage, EngineConfig::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "CORRUPT_DATA");
    assert!(
        err.to_string().contains(&seg_key["seg/".len()..]),
        "names the segment: {err}"
    );

    // Truncated.
    storage
        .put(&seg_key, &good[..good.len() - 10])
        .await
        .unwrap();
    assert_eq!(
        Engine::open(&storage, EngineConfig::default())
            .await
            .unwrap_err()
            .code(),
        "CORRUPT_DATA"
    );

    // Missing.
    storage.delete(&seg_key).await.unwrap();
    assert_eq!(
        Engine::open(&storage, EngineConfig::default())
            .await
            .unwrap_err()
            .code(),
        "CORRUPT_DATA"
    );
    // A segment from an older format (before int8 residuals): refused as a version, not
    // misread as damage.
    storage.put(&seg_key, &good).await.unwrap();
    to_blob_layout(&storage, &EngineConfig::default()).await;
    let seg_key = storage.list("seg/").await.unwrap().remove(0);
    let good = storage.get(&seg_key).await.unwrap().unwrap();
    let older = with_version(&good, 1);
    storage.put(&seg_key, &older).await.unwrap();
    let err = Engine::open(&storage, EngineConfig::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "UNSUPPORTED_VERSION", "{err}");
    assert!(err.to_string().contains("re-index"), "{err}");

    storage.put(&seg_key, &good).await.unwrap();
    assert!(
        Engine::open(&storage, EngineConfig::default())
            .await
            .is_ok()
    );

    // A manifest from a newer format: refused, and left untouched.
    let manifest = storage.get("manifest").await.unwrap().unwrap();
    let newer = with_version(&manifest, 9);
    storage.put("manifest", &newer).await.unwrap();
    let err = Engine::open(&storage, EngineConfig::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "UNSUPPORTED_VERSION");
    assert_eq!(storage.get("manifest").await.unwrap().unwrap(), newer);

    // Garbage where the manifest should be.
    storage
        .put("manifest", b"not a manifest at all")
        .await
        .unwrap();
    assert_eq!(
        Engine::open(&storage, EngineConfig::default())
            .await
            .unwrap_err()
            .code(),
        "CORRUPT_DATA"
    );
}

/// Every key and value in `storage`.
async fn snapshot(storage: &MemoryStorage) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for k in storage.list("").await.unwrap() {
        let v = storage.get(&k).await.unwrap().unwrap();
        out.push((k, v));
    }
    out
}

/// Text and hybrid results (ids and scores) of a few queries.
fn answers(e: &Engine, emb: &mut HashEmbedder) -> Vec<Vec<(String, f32)>> {
    let mut out = Vec::new();
    for q in [
        "gzip compression",
        "spawn subprocesses",
        "module",
        "worker threads",
    ] {
        for mode in [Mode::Text, Mode::Hybrid, Mode::Vector] {
            let opts = SearchOptions {
                k: 10,
                mode,
                ..Default::default()
            };
            let hits = e.search_embedded(q, emb, &opts).unwrap();
            out.push(hits.into_iter().map(|h| (h.id, h.score)).collect());
        }
    }
    out
}

async fn damaged_segments_are_rebuilt_from_the_documents_store() {
    let storage = MemoryStorage::new();
    let mut emb = HashEmbedder::new(64).unwrap();
    let (e, config) = two_segments(&storage, &mut emb).await;
    let expected = answers(&e, &mut emb);
    let segments = storage.list("seg/").await.unwrap();
    assert_eq!(segments.len(), 2);
    // One documents-store record per segment, under the segment's id.
    let records = storage.list("docstore/").await.unwrap();
    assert_eq!(
        records
            .iter()
            .map(|k| &k["docstore/".len()..])
            .collect::<Vec<_>>(),
        segments
            .iter()
            .map(|k| &k["seg/".len()..])
            .collect::<Vec<_>>()
    );

    // An intact index: nothing to do, nothing written.
    let intact = snapshot(&storage).await;
    let info = Engine::repair(&storage, config.clone()).await.unwrap();
    assert_eq!((info.segments, info.generation), (0, 2));
    assert_eq!(snapshot(&storage).await, intact);

    // Each segment in turn: flipped, truncated, missing; each repaired.
    type Damage = fn(&mut Vec<u8>) -> bool;
    let damages: [(&str, Damage); 3] = [
        ("flipped", |b| {
            let mid = b.len() / 2;
            b[mid] ^= 0x10;
            true
        }),
        ("truncated", |b| {
            b.truncate(b.len() - 7);
            true
        }),
        ("missing", |_| false),
    ];
    for (round, (what, damage)) in damages.iter().enumerate() {
        let keys = storage.list("seg/").await.unwrap();
        let key = keys[round % keys.len()].clone();
        let original = storage.get(&key).await.unwrap().unwrap();
        let mut blob = original.clone();
        if damage(&mut blob) {
            storage.put(&key, &blob).await.unwrap();
        } else {
            storage.delete(&key).await.unwrap();
        }
        let err = Engine::open(&storage, config.clone()).await.unwrap_err();
        assert_eq!(err.code(), "CORRUPT_DATA", "{what}: {err}");
        let before = storage.get("manifest").await.unwrap();
        let info = Engine::repair(&storage, config.clone()).await.unwrap();
        assert_eq!(info.segments, 1, "{what}");
        assert!(info.documents >= 20, "{what}: {info:?}");
        assert_ne!(storage.get("manifest").await.unwrap(), before);
        let back = Engine::open(&storage, config.clone()).await.unwrap();
        assert_eq!(back.len(), e.len(), "{what}");
        assert_eq!(back.generation(), info.generation);
        assert_eq!(
            back.graph_segment_count(),
            1,
            "{what}: the graph is rebuilt"
        );
        assert_eq!(answers(&back, &mut emb), expected, "{what}");
        assert!(back.get("zlib").is_none(), "{what}: removals stay removed");
        // The damaged blob was collected (or rewritten whole, when the rebuilt segment is the
        // same bytes); every live segment has its record.
        assert_eq!(storage.list("seg/").await.unwrap().len(), 2, "{what}");
        if let Some(b) = storage.get(&key).await.unwrap() {
            assert!(b == original, "{what}: a damaged blob is never kept");
        }
        let ids = |p: &str, v: Vec<String>| {
            v.into_iter()
                .map(|k| k[p.len()..].to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids("seg/", storage.list("seg/").await.unwrap()),
            ids("docstore/", storage.list("docstore/").await.unwrap())
        );
    }

    // A damaged segment whose record is damaged too: refused, naming it; nothing written.
    let key = storage.list("seg/").await.unwrap().remove(0);
    let record_key = format!("docstore/{}", &key["seg/".len()..]);
    for k in [&key, &record_key] {
        let mut b = storage.get(k).await.unwrap().unwrap();
        let mid = b.len() / 2;
        b[mid] ^= 0x01;
        storage.put(k, &b).await.unwrap();
    }
    let damaged = snapshot(&storage).await;
    let err = Engine::repair(&storage, config.clone()).await.unwrap_err();
    assert_eq!(err.code(), "CORRUPT_DATA");
    assert!(
        err.to_string().contains("stored documents of segment"),
        "{err}"
    );
    assert_eq!(snapshot(&storage).await, damaged);
    // No record at all (an index written before the documents store): refused too.
    storage.delete(&record_key).await.unwrap();
    let err = Engine::repair(&storage, config.clone()).await.unwrap_err();
    assert_eq!(err.code(), "CORRUPT_DATA");
    assert!(err.to_string().contains("no copy"), "{err}");
}

/// Issue 24, defect 2: a missing manifest record silently wiped the index (the engine opened
/// empty and its next commit collected every segment). Now: reported as `CORRUPT_DATA` with
/// nothing changed, a commit over it deletes nothing, and repair restores it exactly.
async fn a_lost_manifest_is_reported_and_restored_never_wiped() {
    let storage = MemoryStorage::new();
    let mut emb = HashEmbedder::new(64).unwrap();
    let (e, config) = two_segments(&storage, &mut emb).await;
    let expected = answers(&e, &mut emb);
    for damage in ["missing", "flipped"] {
        if damage == "missing" {
            storage.delete("manifest").await.unwrap();
        } else {
            let mut b = storage.get("manifest").await.unwrap().unwrap();
            let mid = b.len() / 2;
            b[mid] ^= 0x04;
            storage.put("manifest", &b).await.unwrap();
        }
        let stored = snapshot(&storage).await;
        for lazy in [false, true] {
            let err = if lazy {
                Engine::open_lazy(&storage, config.clone()).await
            } else {
                Engine::open(&storage, config.clone()).await
            }
            .unwrap_err();
            assert_eq!(err.code(), "CORRUPT_DATA", "{damage}: {err}");
            assert!(err.to_string().contains("manifest"), "{err}");
        }
        assert_eq!(
            snapshot(&storage).await,
            stored,
            "{damage}: opening changed nothing"
        );

        let info = Engine::repair(&storage, config.clone()).await.unwrap();
        assert_eq!(info.manifest, ManifestRepair::FromBackup, "{damage}");
        assert_eq!(info.segments, 0, "{damage}: every segment was intact");
        assert_eq!(info.documents, e.len(), "{damage}");
        let back = Engine::open(&storage, config.clone()).await.unwrap();
        assert_eq!(back.len(), e.len(), "{damage}");
        assert_eq!(answers(&back, &mut emb), expected, "{damage}");
        assert!(
            back.get("zlib").is_none(),
            "{damage}: removals stay removed"
        );
        // Nothing of the index was deleted by the repair.
        for (k, _) in &stored {
            assert!(
                storage.get(k).await.unwrap().is_some(),
                "{damage}: {k} deleted"
            );
        }
    }

    // A caller that commits a new index over the orphaned records without opening them (a
    // fresh engine) deletes none of them: no manifest it read retired them.
    storage.delete("manifest").await.unwrap();
    let orphans = snapshot(&storage).await;
    let mut fresh = Engine::new(config.clone()).unwrap();
    fresh
        .add(vec![scry_core::Document {
            id: "new".into(),
            title: "A new document".into(),
            ..Default::default()
        }])
        .unwrap();
    let c = fresh.commit(&storage).await.unwrap();
    assert_eq!(c.segments_removed, 0);
    for (k, v) in &orphans {
        if !k.starts_with("manifest") {
            assert_eq!(storage.get(k).await.unwrap().as_ref(), Some(v), "{k}");
        }
    }
}

/// The manifest and its backup both gone: repair rebuilds the index from the documents store.
async fn a_manifest_lost_with_its_backup_is_rebuilt_from_the_documents_store() {
    let storage = MemoryStorage::new();
    let mut emb = HashEmbedder::new(64).unwrap();
    let (mut e, config) = two_segments(&storage, &mut emb).await;
    // An id stored twice: the update's record (a later generation) must win, whichever record
    // sorts first by key.
    let mut fs = e.get("fs").unwrap().clone();
    fs.title = "File system, updated".into();
    e.update_embedded(vec![fs.clone()], &mut emb).unwrap();
    e.commit(&storage).await.unwrap();
    assert!(storage.list("docstore/").await.unwrap().len() >= 3);
    storage.delete("manifest").await.unwrap();
    storage.delete("manifest.bak").await.unwrap();
    let err = Engine::open(&storage, config.clone()).await.unwrap_err();
    assert_eq!(err.code(), "CORRUPT_DATA");
    let info = Engine::repair(&storage, config.clone()).await.unwrap();
    assert_eq!(info.manifest, ManifestRepair::Rebuilt);
    // The generation goes on from the newest record's.
    assert!(info.generation > 3, "{info:?}");
    let back = Engine::open(&storage, config.clone()).await.unwrap();
    // Every live document is back, with the model; the one removed before the damage comes
    // back too (the removal was only in the lost manifest).
    for d in e.documents() {
        assert_eq!(back.get(&d.id), Some(d), "{}", d.id);
    }
    assert_eq!(back.get("fs").unwrap().title, "File system, updated");
    assert_eq!(back.len(), e.len() + 1);
    assert!(back.get("zlib").is_some());
    assert_eq!(back.model(), e.model());
    let hits = back
        .search_embedded("gzip compression", &mut emb, &SearchOptions::top(3))
        .unwrap();
    assert!(!hits.is_empty());
}

/// Garbage collection deletes only what a manifest retired: records nobody listed stay, and a
/// collection that never ran (a crash after the commit) happens at a later commit.
async fn garbage_collection_deletes_only_what_a_manifest_retired() {
    let storage = MemoryStorage::new();
    let mut emb = HashEmbedder::new(64).unwrap();
    let (mut e, _config) = two_segments(&storage, &mut emb).await;
    // Records under the index's prefixes that no manifest ever listed.
    let foreign = format!("seg/{}", "f".repeat(32));
    storage.put(&foreign, b"not ours").await.unwrap();
    storage
        .put("docstore/mine", b"not ours either")
        .await
        .unwrap();
    let before: Vec<String> = storage.list("seg/").await.unwrap();
    // Merge and commit, but "crash" before collecting: the merged-away segments stay.
    e.maintain();
    let (batch, pending) = e.prepare_commit();
    storage.commit(batch).await.unwrap();
    let pending = e.finish_commit(pending);
    assert!(!pending.retired.is_empty());
    for k in &before {
        assert!(storage.get(k).await.unwrap().is_some());
    }
    // A later process opens the index and commits a change: the retired records go.
    let mut later = Engine::open(&storage, EngineConfig::default())
        .await
        .unwrap();
    later.remove(&["fs"]);
    let c = later.commit(&storage).await.unwrap();
    assert!(c.segments_removed >= pending.retired.len(), "{c:?}");
    for k in &pending.retired {
        assert!(storage.get(k).await.unwrap().is_none(), "{k} was retired");
    }
    assert_eq!(
        storage.get(&foreign).await.unwrap().as_deref(),
        Some(&b"not ours"[..])
    );
    assert!(storage.get("docstore/mine").await.unwrap().is_some());
    // Once collected, the next manifest no longer lists them.
    later.remove(&["zlib", "http"]);
    later.commit(&storage).await.unwrap();
    let m = Manifest::decode(&storage.get("manifest").await.unwrap().unwrap()).unwrap();
    assert!(m.retired.iter().all(|k| !pending.retired.contains(k)));
}

async fn memory_storage_contract() {
    scry_core::storage::contract::run_all(&MemoryStorage::new()).await;
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::common::block_on;

    #[test]
    fn round_trip() {
        block_on(super::round_trip());
    }

    #[test]
    fn damage_is_reported_and_never_served() {
        block_on(super::damage_is_reported_and_never_served());
    }

    #[test]
    fn memory_storage_contract() {
        block_on(super::memory_storage_contract());
    }

    #[test]
    fn lazy_open_reads_only_what_queries_need() {
        block_on(super::lazy_open_reads_only_what_queries_need());
    }

    #[test]
    fn blob_layout_indexes_still_open() {
        block_on(super::blob_layout_indexes_still_open());
    }

    #[test]
    fn damaged_segments_are_rebuilt_from_the_documents_store() {
        block_on(super::damaged_segments_are_rebuilt_from_the_documents_store());
    }

    #[test]
    fn a_lost_manifest_is_reported_and_restored_never_wiped() {
        block_on(super::a_lost_manifest_is_reported_and_restored_never_wiped());
    }

    #[test]
    fn a_manifest_lost_with_its_backup_is_rebuilt_from_the_documents_store() {
        block_on(super::a_manifest_lost_with_its_backup_is_rebuilt_from_the_documents_store());
    }

    #[test]
    fn garbage_collection_deletes_only_what_a_manifest_retired() {
        block_on(super::garbage_collection_deletes_only_what_a_manifest_retired());
    }

    #[test]
    fn file_storage_round_trip() {
        let dir = std::env::temp_dir().join(format!("scry-persist-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let storage = scry_core::file_storage::FileStorage::open(&dir).unwrap();
        let mut e = scry_core::Engine::new(scry_core::EngineConfig::default()).unwrap();
        e.add(super::sample_docs()).unwrap();
        block_on(e.commit(&storage)).unwrap();
        let storage = scry_core::file_storage::FileStorage::open(&dir).unwrap();
        let back = block_on(scry_core::Engine::open(
            &storage,
            scry_core::EngineConfig::default(),
        ))
        .unwrap();
        assert_eq!(super::ids(&back, "gzip"), super::ids(&e, "gzip"));
    }
}

#[cfg(target_arch = "wasm32")]
mod browser {
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    async fn round_trip() {
        super::round_trip().await;
    }

    #[wasm_bindgen_test]
    async fn damage_is_reported_and_never_served() {
        super::damage_is_reported_and_never_served().await;
    }

    #[wasm_bindgen_test]
    async fn memory_storage_contract() {
        super::memory_storage_contract().await;
    }

    #[wasm_bindgen_test]
    async fn lazy_open_reads_only_what_queries_need() {
        super::lazy_open_reads_only_what_queries_need().await;
    }

    #[wasm_bindgen_test]
    async fn blob_layout_indexes_still_open() {
        super::blob_layout_indexes_still_open().await;
    }

    #[wasm_bindgen_test]
    async fn damaged_segments_are_rebuilt_from_the_documents_store() {
        super::damaged_segments_are_rebuilt_from_the_documents_store().await;
    }

    #[wasm_bindgen_test]
    async fn a_lost_manifest_is_reported_and_restored_never_wiped() {
        super::a_lost_manifest_is_reported_and_restored_never_wiped().await;
    }

    #[wasm_bindgen_test]
    async fn a_manifest_lost_with_its_backup_is_rebuilt_from_the_documents_store() {
        super::a_manifest_lost_with_its_backup_is_rebuilt_from_the_documents_store().await;
    }

    #[wasm_bindgen_test]
    async fn garbage_collection_deletes_only_what_a_manifest_retired() {
        super::garbage_collection_deletes_only_what_a_manifest_retired().await;
    }
}
