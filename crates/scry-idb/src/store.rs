//! A key → bytes object store in one IndexedDB database (the base of the scry `Storage`).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{IdbDatabase, IdbFactory, IdbOpenDbRequest, IdbTransactionMode};

use crate::error::{IdbError, Result};
use crate::request::{request, transaction_done};

const STORE: &str = "blobs";
/// Why a connection the browser closed is gone.
const CLOSED_BY_BROWSER: &str =
    "the browser closed it (site data cleared, or evicted under storage pressure)";

/// An open database with one object store of byte values under string keys.
#[derive(Debug)]
pub struct IdbStore {
    db: IdbDatabase,
    /// Why the connection was lost (the browser closed it, or another page deleted or upgraded
    /// the database), once it was: every later call fails with [`IdbError::Evicted`].
    lost: Rc<RefCell<Option<String>>>,
    /// The connection's `close` and `versionchange` handlers, alive as long as it is.
    _on_close: Closure<dyn FnMut()>,
    _on_version_change: Closure<dyn FnMut()>,
}

impl Drop for IdbStore {
    fn drop(&mut self) {
        // The handlers die with this value: detach them before the connection can fire them.
        self.db.set_onclose(None);
        self.db.set_onversionchange(None);
        self.db.close();
    }
}

fn factory() -> Result<IdbFactory> {
    let global = js_sys::global();
    let idb = Reflect::get(&global, &JsValue::from_str("indexedDB"))
        .map_err(|e| IdbError::Unavailable(format!("{e:?}")))?;
    if idb.is_undefined() || idb.is_null() {
        return Err(IdbError::Unavailable(
            "this context has no `indexedDB`".into(),
        ));
    }
    idb.dyn_into::<IdbFactory>()
        .map_err(|_| IdbError::Unavailable("`indexedDB` is not an IDBFactory".into()))
}

impl IdbStore {
    /// Opens (creating if needed) the database `name`.
    pub async fn open(name: &str) -> Result<Self> {
        let open_err = |reason: String| IdbError::Open {
            name: name.to_owned(),
            reason,
        };
        let req: IdbOpenDbRequest = factory()?
            .open_with_u32(name, 1)
            .map_err(|e| open_err(format!("{e:?}")))?;
        let on_upgrade = Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
            let db = ev
                .target()
                .and_then(|t| t.dyn_into::<IdbOpenDbRequest>().ok())
                .and_then(|r| r.result().ok())
                .and_then(|r| r.dyn_into::<IdbDatabase>().ok());
            if let Some(db) = db
                && !db.object_store_names().contains(STORE)
            {
                // A failure here aborts the upgrade, which surfaces as the open request's error.
                let _ = db.create_object_store(STORE);
            }
        });
        req.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));
        let db = request(&req).await.map_err(|e| open_err(e.to_string()))?;
        req.set_onupgradeneeded(None);
        let db = db
            .dyn_into::<IdbDatabase>()
            .map_err(|_| open_err("open did not return a database".into()))?;
        let lost: Rc<RefCell<Option<String>>> = Rc::new(RefCell::new(None));
        let on_close = {
            let lost = Rc::clone(&lost);
            Closure::<dyn FnMut()>::new(move || {
                lost.borrow_mut()
                    .get_or_insert_with(|| CLOSED_BY_BROWSER.into());
            })
        };
        let on_version_change = {
            let lost = Rc::clone(&lost);
            let db = db.clone();
            Closure::<dyn FnMut()>::new(move || {
                // Another page deletes or upgrades the database: let it, and stop using it.
                db.close();
                lost.borrow_mut()
                    .get_or_insert_with(|| "another page deleted or upgraded it".into());
            })
        };
        db.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        db.set_onversionchange(Some(on_version_change.as_ref().unchecked_ref()));
        Ok(Self {
            db,
            lost,
            _on_close: on_close,
            _on_version_change: on_version_change,
        })
    }

    /// Whether the connection was lost (see [`IdbError::Evicted`]).
    pub fn is_lost(&self) -> bool {
        self.lost.borrow().is_some()
    }

    /// Fails once the connection is lost.
    fn check(&self) -> Result<()> {
        match self.lost.borrow().as_ref() {
            Some(why) => Err(IdbError::Evicted(why.clone())),
            None => Ok(()),
        }
    }

    /// A transaction that could not start. `InvalidStateError` means the connection is
    /// closing, and this store never closes it while in use: the browser is taking the
    /// database away (its `close` event may not have been dispatched yet).
    fn transaction_error(&self, e: &JsValue) -> IdbError {
        let name = Reflect::get(e, &JsValue::from_str("name"))
            .ok()
            .and_then(|n| n.as_string());
        if name.as_deref() == Some("InvalidStateError") {
            let why = self
                .lost
                .borrow_mut()
                .get_or_insert_with(|| CLOSED_BY_BROWSER.into())
                .clone();
            return IdbError::Evicted(why);
        }
        IdbError::Transaction(format!("{e:?}"))
    }

    /// A failure, as [`IdbError::Evicted`] when the connection was lost meanwhile.
    fn or_lost(&self, e: IdbError) -> IdbError {
        self.check().err().unwrap_or(e)
    }

    /// Stores `value` under `key`, resolving once the transaction has committed.
    pub async fn put(&self, key: &str, value: &[u8]) -> Result<()> {
        self.check()?;
        self.put_inner(key, value)
            .await
            .map_err(|e| self.or_lost(e))
    }

    async fn put_inner(&self, key: &str, value: &[u8]) -> Result<()> {
        let txn = self
            .db
            .transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite)
            .map_err(|e| self.transaction_error(&e))?;
        let store = txn
            .object_store(STORE)
            .map_err(|e| IdbError::Transaction(format!("{e:?}")))?;
        store
            .put_with_key(&Uint8Array::from(value), &JsValue::from_str(key))
            .map_err(|e| IdbError::Transaction(format!("{e:?}")))?;
        transaction_done(&txn).await
    }

    /// Reads the bytes under `key`, if any.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.check()?;
        self.get_inner(key).await.map_err(|e| self.or_lost(e))
    }

    async fn get_inner(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let txn = self
            .db
            .transaction_with_str(STORE)
            .map_err(|e| self.transaction_error(&e))?;
        let store = txn
            .object_store(STORE)
            .map_err(|e| IdbError::Transaction(format!("{e:?}")))?;
        let req = store
            .get(&JsValue::from_str(key))
            .map_err(|e| IdbError::Transaction(format!("{e:?}")))?;
        let value = request(&req).await?;
        if value.is_undefined() {
            return Ok(None);
        }
        let bytes = value
            .dyn_into::<Uint8Array>()
            .map_err(|_| IdbError::NotBytes(key.to_owned()))?;
        Ok(Some(bytes.to_vec()))
    }

    /// All keys starting with `prefix`, sorted (IndexedDB orders string keys by code unit).
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        self.check()?;
        self.list_inner(prefix).await.map_err(|e| self.or_lost(e))
    }

    async fn list_inner(&self, prefix: &str) -> Result<Vec<String>> {
        let txn = self
            .db
            .transaction_with_str(STORE)
            .map_err(|e| self.transaction_error(&e))?;
        let store = txn
            .object_store(STORE)
            .map_err(|e| IdbError::Transaction(format!("{e:?}")))?;
        let upper = format!("{prefix}\u{10FFFF}");
        let range =
            web_sys::IdbKeyRange::bound(&JsValue::from_str(prefix), &JsValue::from_str(&upper))
                .map_err(|e| IdbError::Transaction(format!("{e:?}")))?;
        let req = store
            .get_all_keys_with_key(&range)
            .map_err(|e| IdbError::Transaction(format!("{e:?}")))?;
        let keys = request(&req).await?;
        let keys: js_sys::Array = keys
            .dyn_into()
            .map_err(|_| IdbError::Transaction("getAllKeys did not return an array".into()))?;
        Ok(keys.iter().filter_map(|k| k.as_string()).collect())
    }

    /// Writes `puts` and removes `deletes` in one readwrite transaction: after it resolves all
    /// of them are durable, and if it fails (quota, abort, crash) none is.
    pub async fn commit(&self, puts: &[(String, Vec<u8>)], deletes: &[String]) -> Result<()> {
        self.check()?;
        self.commit_inner(puts, deletes)
            .await
            .map_err(|e| self.or_lost(e))
    }

    async fn commit_inner(&self, puts: &[(String, Vec<u8>)], deletes: &[String]) -> Result<()> {
        let txn = self
            .db
            .transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite)
            .map_err(|e| self.transaction_error(&e))?;
        let store = txn
            .object_store(STORE)
            .map_err(|e| IdbError::Transaction(format!("{e:?}")))?;
        let staged = (|| -> std::result::Result<(), JsValue> {
            for (k, v) in puts {
                store.put_with_key(&Uint8Array::from(v.as_slice()), &JsValue::from_str(k))?;
            }
            for k in deletes {
                store.delete(&JsValue::from_str(k))?;
            }
            Ok(())
        })();
        if let Err(e) = staged {
            let _ = txn.abort();
            // A synchronous throw is usually the quota or a closed connection.
            let name = js_sys::Reflect::get(&e, &JsValue::from_str("name"))
                .ok()
                .and_then(|n| n.as_string())
                .unwrap_or_default();
            return Err(if name == "QuotaExceededError" {
                IdbError::QuotaExceeded(format!("{e:?}"))
            } else {
                IdbError::Transaction(format!("{e:?}"))
            });
        }
        transaction_done(&txn).await
    }

    /// Closes the connection.
    pub fn close(self) {
        drop(self);
    }

    /// Deletes the whole database `name`.
    pub async fn delete_database(name: &str) -> Result<()> {
        let req = factory()?
            .delete_database(name)
            .map_err(|e| IdbError::Transaction(format!("{e:?}")))?;
        request(&req).await.map(|_| ())
    }
}
