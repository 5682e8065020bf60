//! The IndexedDB store in headless Chrome: real IndexedDB, no mocks.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test
#![cfg(target_arch = "wasm32")]

use scry_idb::IdbStore;
use wasm_bindgen_test::wasm_bindgen_test;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn bytes_survive_close_and_reopen() {
    let name = "scry-test-roundtrip";
    IdbStore::delete_database(name).await.unwrap();
    let store = IdbStore::open(name).await.unwrap();
    let value: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    store.put("segment/a", &value).await.unwrap();
    store.put("empty", &[]).await.unwrap();
    store.close();

    let store = IdbStore::open(name).await.unwrap();
    assert_eq!(
        store.get("segment/a").await.unwrap().as_deref(),
        Some(&value[..])
    );
    assert_eq!(store.get("empty").await.unwrap().as_deref(), Some(&[][..]));
    assert_eq!(store.get("missing").await.unwrap(), None);
    store.close();
    IdbStore::delete_database(name).await.unwrap();
}

#[wasm_bindgen_test]
async fn overwrite_replaces_value() {
    let name = "scry-test-overwrite";
    IdbStore::delete_database(name).await.unwrap();
    let store = IdbStore::open(name).await.unwrap();
    store.put("k", b"first").await.unwrap();
    store.put("k", b"second").await.unwrap();
    assert_eq!(
        store.get("k").await.unwrap().as_deref(),
        Some(&b"second"[..])
    );
    store.close();
}

#[wasm_bindgen_test]
async fn idb_storage_passes_the_storage_contract() {
    let name = "scry-test-contract";
    scry_idb::IdbStorage::destroy(name).await.unwrap();
    let s = scry_idb::IdbStorage::open(name).await.unwrap();
    scry_core::storage::contract::run_all(&s).await;
    s.close();
    scry_idb::IdbStorage::destroy(name).await.unwrap();
}

#[wasm_bindgen_test]
async fn an_engine_survives_reopening_from_indexeddb() {
    use scry_core::{Document, Engine, EngineConfig, Mode, SearchOptions};
    let name = "scry-test-engine";
    scry_idb::IdbStorage::destroy(name).await.unwrap();
    let s = scry_idb::IdbStorage::open(name).await.unwrap();
    let mut e = Engine::new(EngineConfig::default()).unwrap();
    e.add(vec![
        Document::new("a", "Streams", "Readable and writable streams."),
        Document::new("b", "Buffers", "Binary data in buffers."),
    ])
    .unwrap();
    e.commit(&s).await.unwrap();
    e.remove(&["a"]);
    e.add(vec![Document::new("c", "Crypto", "Hashes and ciphers.")])
        .unwrap();
    e.commit(&s).await.unwrap();
    s.close();

    let s = scry_idb::IdbStorage::open(name).await.unwrap();
    let back = Engine::open(&s, EngineConfig::default()).await.unwrap();
    assert_eq!(back.generation(), 2);
    assert!(back.get("a").is_none());
    let opts = SearchOptions {
        k: 5,
        mode: Mode::Text,
        ..Default::default()
    };
    assert_eq!(back.search("ciphers", None, &opts).unwrap()[0].id, "c");
    assert_eq!(back.search("binary", None, &opts).unwrap()[0].id, "b");
    s.close();
    scry_idb::IdbStorage::destroy(name).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_database_taken_away_is_reported_as_evicted() {
    use scry_core::storage::Storage;
    let name = "scry-test-evicted";
    let _ = scry_idb::IdbStorage::destroy(name).await;
    let s = scry_idb::IdbStorage::open(name).await.unwrap();
    s.put("manifest", b"v1").await.unwrap();
    assert!(!s.is_lost());
    // Another page deletes the database: the open connection steps aside and says why.
    scry_idb::IdbStorage::destroy(name).await.unwrap();
    assert!(s.is_lost());
    for err in [
        s.get("manifest").await.unwrap_err(),
        s.put("manifest", b"v2").await.unwrap_err(),
        s.list("").await.unwrap_err(),
    ] {
        assert_eq!(err.code(), "STORAGE_EVICTED", "{err}");
        assert!(err.to_string().contains("deleted"), "{err}");
    }
    // A new connection finds an empty database.
    let again = scry_idb::IdbStorage::open(name).await.unwrap();
    assert_eq!(again.get("manifest").await.unwrap(), None);
}
