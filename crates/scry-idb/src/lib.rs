//! scry-idb: IndexedDB persistence for scry in browsers (windows and workers).
//!
//! Natively this crate only defines its error type; the store exists on `wasm32`.

pub mod error;
#[cfg(target_arch = "wasm32")]
mod request;
#[cfg(target_arch = "wasm32")]
mod storage;
#[cfg(target_arch = "wasm32")]
mod store;

pub use error::{IdbError, Result};
#[cfg(target_arch = "wasm32")]
pub use storage::IdbStorage;
#[cfg(target_arch = "wasm32")]
pub use store::IdbStore;
