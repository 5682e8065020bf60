//! The `Storage` trait — async get / list / atomic batch commit — and an in-memory
//! implementation. Native files live in [`crate::file_storage`], IndexedDB in scry-idb; all run
//! the same [`contract`] tests (tantivy's `directory/tests.rs` idea).

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::error::{CoreError, Result};

/// Puts and deletes applied together: after a commit either all of them are visible or none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    /// Keys to write (overwriting).
    pub puts: Vec<(String, Vec<u8>)>,
    /// Keys to remove (missing keys are fine).
    pub deletes: Vec<String>,
}

/// Checks a storage key: 1–200 bytes of `[a-z0-9._/-]`, no `..`, not starting with `/` or `.`.
pub fn check_key(key: &str) -> Result<()> {
    let ok = !key.is_empty()
        && key.len() <= 200
        && !key.starts_with('/')
        && !key.starts_with('.')
        && !key.contains("..")
        && key
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'/' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(CoreError::InvalidParameter {
            name: "key",
            reason: format!("invalid storage key {key:?}"),
        })
    }
}

/// Where an index keeps its bytes. Browser implementations are not `Send`.
#[allow(async_fn_in_trait)]
pub trait Storage {
    /// The value under `key`, if any.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>>;

    /// All keys starting with `prefix`, sorted.
    async fn list(&self, prefix: &str) -> Result<Vec<String>>;

    /// Applies `batch` atomically.
    async fn commit(&self, batch: Batch) -> Result<()>;

    /// Writes one key (a batch of one).
    async fn put(&self, key: &str, value: &[u8]) -> Result<()> {
        self.commit(Batch {
            puts: vec![(key.to_owned(), value.to_vec())],
            deletes: Vec::new(),
        })
        .await
    }

    /// Removes one key (a batch of one).
    async fn delete(&self, key: &str) -> Result<()> {
        self.commit(Batch {
            puts: Vec::new(),
            deletes: vec![key.to_owned()],
        })
        .await
    }
}

/// Keeps everything in memory (tests, Node without persistence, and the opt-in fallback when
/// IndexedDB is unavailable).
#[derive(Debug, Default)]
pub struct MemoryStorage {
    map: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl MemoryStorage {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Vec<u8>>> {
        // A panic while holding the lock cannot leave the map half-updated (commit builds the
        // new state before swapping), so a poisoned lock is still consistent.
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Storage for MemoryStorage {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        check_key(key)?;
        Ok(self.lock().get(key).cloned())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        Ok(self
            .lock()
            .range(prefix.to_owned()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, _)| k.clone())
            .collect())
    }

    async fn commit(&self, batch: Batch) -> Result<()> {
        for (k, _) in &batch.puts {
            check_key(k)?;
        }
        for k in &batch.deletes {
            check_key(k)?;
        }
        let mut map = self.lock();
        let mut next = map.clone();
        for (k, v) in batch.puts {
            next.insert(k, v);
        }
        for k in batch.deletes {
            next.remove(&k);
        }
        *map = next;
        Ok(())
    }
}

/// The shared contract every `Storage` must pass; call each function from the backend's tests.
#[allow(clippy::unwrap_used)] // A test suite: a failed expectation is a panic by design.
pub mod contract {
    use super::{Batch, Storage};

    /// Runs every contract check against an empty storage.
    pub async fn run_all<S: Storage>(s: &S) {
        missing_keys_read_as_none(s).await;
        put_get_overwrite_delete(s).await;
        list_is_sorted_and_prefix_bounded(s).await;
        batches_apply_every_operation(s).await;
        invalid_keys_are_rejected(s).await;
        large_and_empty_values_round_trip(s).await;
    }

    async fn missing_keys_read_as_none<S: Storage>(s: &S) {
        assert_eq!(s.get("c/missing").await.unwrap(), None);
        s.delete("c/missing").await.unwrap();
    }

    async fn put_get_overwrite_delete<S: Storage>(s: &S) {
        s.put("c/a", b"one").await.unwrap();
        assert_eq!(s.get("c/a").await.unwrap().as_deref(), Some(&b"one"[..]));
        s.put("c/a", b"two").await.unwrap();
        assert_eq!(s.get("c/a").await.unwrap().as_deref(), Some(&b"two"[..]));
        s.delete("c/a").await.unwrap();
        assert_eq!(s.get("c/a").await.unwrap(), None);
    }

    async fn list_is_sorted_and_prefix_bounded<S: Storage>(s: &S) {
        for k in ["l/b", "l/a", "l/c/d", "lz", "k/a"] {
            s.put(k, k.as_bytes()).await.unwrap();
        }
        assert_eq!(s.list("l/").await.unwrap(), ["l/a", "l/b", "l/c/d"]);
        assert!(s.list("nothing/").await.unwrap().is_empty());
        for k in ["l/b", "l/a", "l/c/d", "lz", "k/a"] {
            s.delete(k).await.unwrap();
        }
    }

    async fn batches_apply_every_operation<S: Storage>(s: &S) {
        s.put("b/old", b"x").await.unwrap();
        s.commit(Batch {
            puts: vec![("b/1".into(), b"1".to_vec()), ("b/2".into(), b"2".to_vec())],
            deletes: vec!["b/old".into(), "b/never-existed".into()],
        })
        .await
        .unwrap();
        assert_eq!(s.list("b/").await.unwrap(), ["b/1", "b/2"]);
        // A batch with one bad key changes nothing.
        let err = s
            .commit(Batch {
                puts: vec![
                    ("b/3".into(), b"3".to_vec()),
                    ("../escape".into(), b"x".to_vec()),
                ],
                deletes: vec!["b/1".into()],
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), "INVALID_PARAMETER");
        assert_eq!(s.list("b/").await.unwrap(), ["b/1", "b/2"]);
        s.commit(Batch {
            puts: vec![],
            deletes: vec!["b/1".into(), "b/2".into()],
        })
        .await
        .unwrap();
    }

    async fn invalid_keys_are_rejected<S: Storage>(s: &S) {
        for k in [
            "",
            "/abs",
            "../up",
            "a/../b",
            "UPPER",
            "sp ace",
            ".hidden",
            &"x".repeat(201),
        ] {
            let err = s.put(k, b"v").await.unwrap_err();
            assert_eq!(err.code(), "INVALID_PARAMETER", "key {k:?}: {err}");
        }
    }

    async fn large_and_empty_values_round_trip<S: Storage>(s: &S) {
        let big: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
        s.put("v/big", &big).await.unwrap();
        s.put("v/empty", &[]).await.unwrap();
        assert_eq!(s.get("v/big").await.unwrap().as_deref(), Some(&big[..]));
        assert_eq!(s.get("v/empty").await.unwrap().as_deref(), Some(&[][..]));
        s.delete("v/big").await.unwrap();
        s.delete("v/empty").await.unwrap();
    }
}
