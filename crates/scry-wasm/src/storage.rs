//! Persistence from JavaScript: an index's IndexedDB database (`Store`) and the two halves of a
//! commit. The engine is never borrowed across an `await`: `Engine.prepareCommit()` (sync) →
//! `store.write(batch)` (async, one readwrite transaction) → `Engine.finishCommit(batch)` (sync)
//! → `store.collectGarbage(batch)` (async). The caller serialises commits across tabs (Web
//! Locks) and checks `store.generation()` against `engine.generation` first.

use std::collections::HashSet;
use std::rc::Rc;

use scry_core::engine::{MANIFEST_KEY, PendingCommit, collect_garbage};
use scry_core::manifest::Manifest;
use scry_core::storage::{Batch, Storage};
use scry_idb::IdbStorage;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::error::ScryJsError;
use crate::{ENGINE_OPTION_KEYS, Engine, from_js};

/// The IndexedDB database holding one index.
#[wasm_bindgen]
pub struct Store {
    inner: Rc<IdbStorage>,
}

/// A commit between its halves: the blobs to write, then what to record.
#[wasm_bindgen]
pub struct CommitBatch {
    batch: Option<Batch>,
    pending: Option<PendingCommit>,
    live_keys: HashSet<String>,
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

fn js(e: scry_core::CoreError) -> JsValue {
    JsValue::from(ScryJsError::from(e))
}

#[wasm_bindgen]
impl Store {
    /// Opens (creating) the database `name` from a window or a worker.
    pub async fn open(name: String) -> Result<Store, JsValue> {
        let inner = IdbStorage::open(&name).await.map_err(js)?;
        Ok(Store {
            inner: Rc::new(inner),
        })
    }

    /// Deletes the database `name` and everything in it.
    pub async fn destroy(name: String) -> Result<(), JsValue> {
        IdbStorage::destroy(&name).await.map_err(js)
    }

    /// Opens the index committed here (empty if none) as an `Engine`; `options` as for
    /// `new Engine(options)` (the stored analyzer and metric win). Corrupt or newer-format
    /// data is a typed error (`CORRUPT`, `UNSUPPORTED_VERSION`); nothing is modified.
    #[wasm_bindgen(js_name = openEngine)]
    pub fn open_engine(&self, options: JsValue) -> Result<js_sys::Promise, JsValue> {
        let config: scry_core::EngineConfig =
            from_js(options, "engine options", ENGINE_OPTION_KEYS)?;
        let storage = Rc::clone(&self.inner);
        Ok(future_to_promise(async move {
            let inner = scry_core::Engine::open(&*storage, config)
                .await
                .map_err(js)?;
            Ok(JsValue::from(Engine::from_core(inner)))
        }))
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

    /// Deletes segment blobs the finished commit no longer references; resolves to how many.
    #[wasm_bindgen(js_name = collectGarbage)]
    pub fn collect_garbage(&self, batch: &CommitBatch) -> js_sys::Promise {
        let storage = Rc::clone(&self.inner);
        let live = batch.live_keys.clone();
        future_to_promise(async move {
            let n = collect_garbage(&*storage, &live).await.map_err(js)?;
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
            live_keys: HashSet::new(),
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
        batch.live_keys = pending.live_keys.clone();
        let info = pending.into_info();
        let out = js_sys::Object::new();
        for (k, v) in [
            ("generation", info.generation as f64),
            ("segmentsWritten", info.segments_written as f64),
            ("bytesWritten", info.bytes_written as f64),
        ] {
            js_sys::Reflect::set(&out, &JsValue::from_str(k), &JsValue::from_f64(v))?;
        }
        Ok(out.into())
    }

    /// The generation of the last commit this engine made or opened.
    #[wasm_bindgen(getter)]
    pub fn generation(&self) -> f64 {
        self.inner.generation() as f64
    }
}
