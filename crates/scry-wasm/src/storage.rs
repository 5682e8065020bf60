//! Persistence from JavaScript: an index's store (`Store`: an IndexedDB database, or any backend
//! JavaScript provides, such as files in Node) and the two halves of a commit. The engine is never borrowed across an `await`: `Engine.prepareCommit()` (sync) →
//! `store.write(batch)` (async, one readwrite transaction) → `Engine.finishCommit(batch)` (sync)
//! → `store.collectGarbage(batch)` (async). The caller serialises commits across tabs (Web
//! Locks) and checks `store.generation()` against `engine.generation` first.

use std::collections::HashSet;
use std::rc::Rc;

use scry_core::engine::{MANIFEST_KEY, PendingCommit, collect_garbage};
use scry_core::manifest::Manifest;
use scry_core::storage::{Batch, Storage};
use scry_idb::IdbStorage;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};

use crate::error::ScryJsError;
use crate::{ENGINE_OPTION_KEYS, Engine, from_js};

/// The store holding one index.
#[wasm_bindgen]
pub struct Store {
    inner: Rc<Backend>,
}

/// Where a `Store` keeps its bytes.
enum Backend {
    Idb(IdbStorage),
    Js(JsStorage),
}

impl Storage for Backend {
    async fn get(&self, key: &str) -> scry_core::Result<Option<Vec<u8>>> {
        match self {
            Backend::Idb(s) => s.get(key).await,
            Backend::Js(s) => s.get(key).await,
        }
    }

    async fn list(&self, prefix: &str) -> scry_core::Result<Vec<String>> {
        match self {
            Backend::Idb(s) => s.list(prefix).await,
            Backend::Js(s) => s.list(prefix).await,
        }
    }

    async fn commit(&self, batch: Batch) -> scry_core::Result<()> {
        match self {
            Backend::Idb(s) => s.commit(batch).await,
            Backend::Js(s) => s.commit(batch).await,
        }
    }
}

/// A backend written in JavaScript: an object with `get(key)` → `Promise<Uint8Array |
/// undefined>`, `list(prefix)` → `Promise<string[]>` (sorted) and `commit(keys, values,
/// deletes)` → `Promise<void>` (atomic: all of it or none). A rejection's `code` is kept when it
/// is one a backend may give (`STORAGE_QUOTA_EXCEEDED`, `STORAGE_LOCKED`, `CORRUPT_DATA`,
/// `DISPOSED`, ...), else it becomes `STORAGE_FAILED`.
struct JsStorage {
    get: js_sys::Function,
    list: js_sys::Function,
    commit: js_sys::Function,
    this: JsValue,
}

/// The storage codes a JavaScript backend may reject with.
const JS_STORAGE_CODES: [&str; 6] = [
    "STORAGE_FAILED",
    "STORAGE_QUOTA_EXCEEDED",
    "STORAGE_LOCKED",
    "STORAGE_OPEN_FAILED",
    "CORRUPT_DATA",
    "DISPOSED",
];

fn backend_error(what: &str, e: &JsValue) -> scry_core::CoreError {
    let field = |name: &str| {
        js_sys::Reflect::get(e, &JsValue::from_str(name))
            .ok()
            .and_then(|v| v.as_string())
    };
    let code = field("code")
        .and_then(|c| JS_STORAGE_CODES.iter().find(|k| **k == c).copied())
        .unwrap_or("STORAGE_FAILED");
    let message = field("message")
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".to_owned());
    scry_core::CoreError::Storage {
        code,
        message: format!("{what}: {message}"),
    }
}

impl JsStorage {
    fn new(backend: &JsValue) -> Result<Self, JsValue> {
        let method = |name: &str| -> Result<js_sys::Function, JsValue> {
            js_sys::Reflect::get(backend, &JsValue::from_str(name))
                .ok()
                .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
                .ok_or_else(|| {
                    JsValue::from(ScryJsError::invalid_options(
                        "storage backend",
                        format!("{name} must be a function"),
                    ))
                })
        };
        Ok(Self {
            get: method("get")?,
            list: method("list")?,
            commit: method("commit")?,
            this: backend.clone(),
        })
    }

    async fn call(
        &self,
        what: &str,
        f: &js_sys::Function,
        args: &js_sys::Array,
    ) -> scry_core::Result<JsValue> {
        let value = f
            .apply(&self.this, args)
            .map_err(|e| backend_error(what, &e))?;
        let promise = js_sys::Promise::resolve(&value);
        JsFuture::from(promise)
            .await
            .map_err(|e| backend_error(what, &e))
    }
}

impl Storage for JsStorage {
    async fn get(&self, key: &str) -> scry_core::Result<Option<Vec<u8>>> {
        scry_core::storage::check_key(key)?;
        let args = js_sys::Array::of1(&JsValue::from_str(key));
        let value = self
            .call(&format!("reading {key}"), &self.get, &args)
            .await?;
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        let bytes = value.dyn_into::<js_sys::Uint8Array>().map_err(|_| {
            backend_error(
                &format!("reading {key}"),
                &JsValue::from_str("get must resolve to a Uint8Array or undefined"),
            )
        })?;
        Ok(Some(bytes.to_vec()))
    }

    async fn list(&self, prefix: &str) -> scry_core::Result<Vec<String>> {
        let args = js_sys::Array::of1(&JsValue::from_str(prefix));
        let value = self.call("listing keys", &self.list, &args).await?;
        let bad = || {
            backend_error(
                "listing keys",
                &JsValue::from_str("list must resolve to an array of strings"),
            )
        };
        let array = value.dyn_into::<js_sys::Array>().map_err(|_| bad())?;
        let mut keys = array
            .iter()
            .map(|k| k.as_string().ok_or_else(bad))
            .collect::<scry_core::Result<Vec<String>>>()?;
        keys.retain(|k| k.starts_with(prefix));
        keys.sort();
        Ok(keys)
    }

    async fn commit(&self, batch: Batch) -> scry_core::Result<()> {
        for (k, _) in &batch.puts {
            scry_core::storage::check_key(k)?;
        }
        for k in &batch.deletes {
            scry_core::storage::check_key(k)?;
        }
        let keys = js_sys::Array::new();
        let values = js_sys::Array::new();
        for (k, v) in &batch.puts {
            keys.push(&JsValue::from_str(k));
            values.push(&js_sys::Uint8Array::from(v.as_slice()));
        }
        let deletes: js_sys::Array = batch.deletes.iter().map(|k| JsValue::from_str(k)).collect();
        let args = js_sys::Array::of3(&keys, &values, &deletes);
        self.call("committing", &self.commit, &args).await?;
        Ok(())
    }
}

/// A commit between its halves: the blobs to write, then what to record.
#[wasm_bindgen]
pub struct CommitBatch {
    batch: Option<Batch>,
    pending: Option<PendingCommit>,
    /// What the written manifest retires (garbage collection deletes these, nothing else).
    retired: HashSet<String>,
}

#[wasm_bindgen]
impl CommitBatch {
    /// Bytes the write will store.
    #[wasm_bindgen(getter)]
    pub fn bytes(&self) -> usize {
        self.batch
            .as_ref()
            .map_or(0, |b| b.puts.iter().map(|(_, v)| v.len()).sum())
    }
}

/// A plain object of named numbers.
fn numbers(fields: &[(&str, f64)]) -> Result<JsValue, JsValue> {
    let out = js_sys::Object::new();
    for (k, v) in fields {
        js_sys::Reflect::set(&out, &JsValue::from_str(k), &JsValue::from_f64(*v))?;
    }
    Ok(out.into())
}

fn js(e: scry_core::CoreError) -> JsValue {
    JsValue::from(ScryJsError::from(e))
}

#[wasm_bindgen]
impl Store {
    /// Opens (creating) the database `name` from a window or a worker.
    pub async fn open(name: String) -> Result<Store, JsValue> {
        let inner = IdbStorage::open(&name).await.map_err(js)?;
        Ok(Store {
            inner: Rc::new(Backend::Idb(inner)),
        })
    }

    /// A store over a backend written in JavaScript (files in Node, say): an object with
    /// `get(key)`, `list(prefix)` and `commit(keys, values, deletes)` returning promises (see
    /// the package's `FileBackend`). The backend is responsible for atomic commits.
    #[wasm_bindgen(js_name = withBackend)]
    pub fn with_backend(backend: JsValue) -> Result<Store, JsValue> {
        Ok(Store {
            inner: Rc::new(Backend::Js(JsStorage::new(&backend)?)),
        })
    }

    /// Deletes the database `name` and everything in it.
    pub async fn destroy(name: String) -> Result<(), JsValue> {
        IdbStorage::destroy(&name).await.map_err(js)
    }

    /// Opens the index committed here (empty if none) as an `Engine`; `options` as for
    /// `new Engine(options)` (the stored analyzer and metric win). Reads the manifest and each
    /// segment's meta file only: postings, text and vectors load on first use (searches fail
    /// with `CHUNKS_NEEDED` naming the keys to `read`; `engine.storedChunksMissing()` lists
    /// what is left). Corrupt or newer-format data is a typed error (`CORRUPT`,
    /// `UNSUPPORTED_VERSION`), when opening or when the damaged part loads; nothing is
    /// modified.
    #[wasm_bindgen(js_name = openEngine)]
    pub fn open_engine(&self, options: JsValue) -> Result<js_sys::Promise, JsValue> {
        let config: scry_core::EngineConfig =
            from_js(options, "engine options", ENGINE_OPTION_KEYS)?;
        let storage = Rc::clone(&self.inner);
        Ok(future_to_promise(async move {
            let inner = scry_core::Engine::open_lazy(&*storage, config)
                .await
                .map_err(js)?;
            Ok(JsValue::from(Engine::from_core(inner)))
        }))
    }

    /// Rebuilds the segments that fail their checks from the documents store and commits the
    /// repaired index (scry-core's `Engine::repair`); resolves to `{ segments, documents,
    /// generation, manifest }` (`segments: 0` when nothing was damaged; `manifest`: `'intact'`,
    /// `'backup'` when a lost manifest was restored from its backup, `'rebuilt'` when it was
    /// rebuilt from the documents store). What cannot be repaired rejects with `CORRUPT_DATA`
    /// and changes nothing. The caller holds the index's lock.
    pub fn repair(&self, options: JsValue) -> Result<js_sys::Promise, JsValue> {
        let config: scry_core::EngineConfig =
            from_js(options, "engine options", ENGINE_OPTION_KEYS)?;
        let storage = Rc::clone(&self.inner);
        Ok(future_to_promise(async move {
            let info = scry_core::Engine::repair(&*storage, config)
                .await
                .map_err(js)?;
            let out = numbers(&[
                ("segments", info.segments as f64),
                ("documents", info.documents as f64),
                ("generation", info.generation as f64),
            ])?;
            js_sys::Reflect::set(
                &out,
                &JsValue::from_str("manifest"),
                &JsValue::from_str(info.manifest.as_str()),
            )?;
            Ok(out)
        }))
    }

    /// Whether the browser took the database away (every call fails with `STORAGE_EVICTED`
    /// since): site data cleared, eviction under storage pressure, another page deleting it.
    #[wasm_bindgen(getter)]
    pub fn lost(&self) -> bool {
        match &*self.inner {
            Backend::Idb(s) => s.is_lost(),
            Backend::Js(_) => false,
        }
    }

    /// The stored bytes under `key` (`undefined` when there are none): the chunks a lazily
    /// opened engine asks for.
    pub fn read(&self, key: String) -> js_sys::Promise {
        let storage = Rc::clone(&self.inner);
        future_to_promise(async move {
            let bytes = storage.get(&key).await.map_err(js)?;
            Ok(bytes.map_or(JsValue::UNDEFINED, |b| {
                js_sys::Uint8Array::from(b.as_slice()).into()
            }))
        })
    }

    /// The generation of the committed manifest (0 when nothing is committed yet).
    pub fn generation(&self) -> js_sys::Promise {
        let storage = Rc::clone(&self.inner);
        future_to_promise(async move {
            let bytes = storage.get(MANIFEST_KEY).await.map_err(js)?;
            let generation = match bytes {
                Some(b) => Manifest::decode(&b).map_err(js)?.generation,
                None => 0,
            };
            Ok(JsValue::from_f64(generation as f64))
        })
    }

    /// Writes a prepared commit in one readwrite transaction (all or nothing). The batch can
    /// be written once.
    pub fn write(&self, batch: &mut CommitBatch) -> Result<js_sys::Promise, JsValue> {
        let b = batch.batch.take().ok_or_else(|| {
            JsValue::from(ScryJsError::invalid_options(
                "commit",
                "batch already written",
            ))
        })?;
        let storage = Rc::clone(&self.inner);
        Ok(future_to_promise(async move {
            storage.commit(b).await.map_err(js)?;
            Ok(JsValue::UNDEFINED)
        }))
    }

    /// Deletes the records the finished commit retired (nothing else: records no manifest
    /// accounts for stay); resolves to how many there were. Then tell the engine
    /// (`engine.garbageCollected(batch)`), so later manifests stop listing them.
    #[wasm_bindgen(js_name = collectGarbage)]
    pub fn collect_garbage(&self, batch: &CommitBatch) -> js_sys::Promise {
        let storage = Rc::clone(&self.inner);
        let retired = batch.retired.clone();
        future_to_promise(async move {
            let n = collect_garbage(&*storage, &retired).await.map_err(js)?;
            Ok(JsValue::from_f64(n as f64))
        })
    }
}

#[wasm_bindgen]
impl Engine {
    /// The first half of a commit: the new segments and manifest to write.
    #[wasm_bindgen(js_name = prepareCommit)]
    pub fn prepare_commit(&self) -> CommitBatch {
        let (batch, pending) = self.inner.prepare_commit();
        CommitBatch {
            batch: Some(batch),
            pending: Some(pending),
            retired: HashSet::new(),
        }
    }

    /// The second half, once `store.write(batch)` resolved: records what is stored; returns
    /// `{ generation, segmentsWritten, bytesWritten }`.
    #[wasm_bindgen(js_name = finishCommit)]
    pub fn finish_commit(&mut self, batch: &mut CommitBatch) -> Result<JsValue, JsValue> {
        if batch.batch.is_some() {
            return Err(JsValue::from(ScryJsError::invalid_options(
                "commit",
                "finishCommit before the batch was written",
            )));
        }
        let pending = batch.pending.take().ok_or_else(|| {
            JsValue::from(ScryJsError::invalid_options(
                "commit",
                "batch already finished",
            ))
        })?;
        let pending = self.inner.finish_commit(pending);
        batch.retired = pending.retired.clone();
        let info = pending.into_info();
        numbers(&[
            ("generation", info.generation as f64),
            ("segmentsWritten", info.segments_written as f64),
            ("bytesWritten", info.bytes_written as f64),
        ])
    }

    /// Records that `store.collectGarbage(batch)` succeeded.
    #[wasm_bindgen(js_name = garbageCollected)]
    pub fn garbage_collected(&mut self, batch: &CommitBatch) {
        self.inner.garbage_collected(&batch.retired);
    }

    /// Forgets which segments are stored, so that the next commit writes all of them (a
    /// database the browser evicted while the engine held the index). Fails with
    /// `CHUNKS_NEEDED` while a stored segment is not loaded whole (its missing parts were only
    /// in the lost database).
    #[wasm_bindgen(js_name = forgetStored)]
    pub fn forget_stored(&mut self) -> Result<(), JsValue> {
        self.inner.forget_stored().map_err(js)
    }

    /// The generation of the last commit this engine made or opened.
    #[wasm_bindgen(getter)]
    pub fn generation(&self) -> f64 {
        self.inner.generation() as f64
    }
}
