//! Commit / open through the Storage trait, and what happens to damaged or foreign data.
//! Runs natively and in headless Chrome.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

use common::sample_docs;
use scry_core::{Engine, EngineConfig, HashEmbedder, MemoryStorage, Mode, SearchOptions, Storage};
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
    // Merging everything leaves one segment; the old blobs are collected.
    again.maintain();
    let before = storage.list("seg/").await.unwrap().len();
    let c = again.commit(&storage).await.unwrap();
    let after = storage.list("seg/").await.unwrap().len();
    assert_eq!(after, again.segment_count());
    assert!(c.segments_removed + after >= before);
}

async fn damage_is_reported_and_never_served() {
    let storage = MemoryStorage::new();
    let mut e = Engine::new(EngineConfig::default()).unwrap();
    e.add(sample_docs()).unwrap();
    e.commit(&storage).await.unwrap();
    let seg_key = storage.list("seg/").await.unwrap().remove(0);
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
    let mut older = good.clone();
    older[8] = 1; // version field
    let body_end = older.len() - 4;
    let crc = scry_core::segment::format::crc32(&older[..body_end]);
    older[body_end..].copy_from_slice(&crc.to_le_bytes());
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
    let mut newer = manifest.clone();
    newer[8] = 9; // version field
    let body_end = newer.len() - 4;
    let crc = scry_core::segment::format::crc32(&newer[..body_end]);
    newer[body_end..].copy_from_slice(&crc.to_le_bytes());
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
}
