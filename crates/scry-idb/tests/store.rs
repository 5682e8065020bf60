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
