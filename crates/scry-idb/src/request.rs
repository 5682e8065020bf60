//! Futures over IndexedDB's event callbacks (`IDBRequest` success/error, transaction complete).

use futures::channel::oneshot;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{DomException, IdbRequest, IdbTransaction};

use crate::error::{IdbError, Result};

/// Turns a DOMException into our error, recognising quota errors.
pub(crate) fn dom_error(e: Option<DomException>, fallback: &str) -> IdbError {
    match e {
        Some(e) if e.name() == "QuotaExceededError" => IdbError::QuotaExceeded(e.message()),
        Some(e) => IdbError::Transaction(format!("{}: {}", e.name(), e.message())),
        None => IdbError::Transaction(fallback.to_owned()),
    }
}

/// Awaits a request's `success` (its result) or `error`.
pub(crate) async fn request(req: &IdbRequest) -> Result<wasm_bindgen::JsValue> {
    let (tx, rx) = oneshot::channel::<bool>();
    let tx = std::rc::Rc::new(std::cell::Cell::new(Some(tx)));
    let (t1, t2) = (tx.clone(), tx);
    let on_ok = Closure::<dyn FnMut()>::new(move || {
        if let Some(s) = t1.take() {
            let _ = s.send(true);
        }
    });
    let on_err = Closure::<dyn FnMut()>::new(move || {
        if let Some(s) = t2.take() {
            let _ = s.send(false);
        }
    });
    req.set_onsuccess(Some(on_ok.as_ref().unchecked_ref()));
    req.set_onerror(Some(on_err.as_ref().unchecked_ref()));
    let ok = rx.await.unwrap_or(false);
    req.set_onsuccess(None);
    req.set_onerror(None);
    if ok {
        req.result()
            .map_err(|e| IdbError::Transaction(format!("{e:?}")))
    } else {
        Err(dom_error(req.error().ok().flatten(), "request failed"))
    }
}

/// Awaits a transaction's `complete` (durably committed) or its `error`/`abort`.
pub(crate) async fn transaction_done(txn: &IdbTransaction) -> Result<()> {
    let (tx, rx) = oneshot::channel::<bool>();
    let tx = std::rc::Rc::new(std::cell::Cell::new(Some(tx)));
    let (t1, t2) = (tx.clone(), tx);
    let on_ok = Closure::<dyn FnMut()>::new(move || {
        if let Some(s) = t1.take() {
            let _ = s.send(true);
        }
    });
    let on_fail = Closure::<dyn FnMut()>::new(move || {
        if let Some(s) = t2.take() {
            let _ = s.send(false);
        }
    });
    txn.set_oncomplete(Some(on_ok.as_ref().unchecked_ref()));
    txn.set_onerror(Some(on_fail.as_ref().unchecked_ref()));
    txn.set_onabort(Some(on_fail.as_ref().unchecked_ref()));
    let ok = rx.await.unwrap_or(false);
    txn.set_oncomplete(None);
    txn.set_onerror(None);
    txn.set_onabort(None);
    if ok {
        Ok(())
    } else {
        Err(dom_error(txn.error(), "transaction aborted"))
    }
}
