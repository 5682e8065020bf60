//! scry-core's `Storage` over IndexedDB: one object store of blobs; every batch is one
//! readwrite transaction, so a commit is all-or-nothing even if the tab dies half-way.

use scry_core::storage::{Batch, Storage, check_key};
use scry_core::{CoreError, Result};

use crate::error::IdbError;
use crate::store::IdbStore;

/// An index's storage in IndexedDB (usable from a window or a worker).
#[derive(Debug)]
pub struct IdbStorage {
    store: IdbStore,
    name: String,
}

fn core(e: IdbError) -> CoreError {
    match e {
        // Damage, as a checksum failure would be: reported as such, and repair can rebuild.
        IdbError::NotBytes(key) => CoreError::Corrupt {
            what: key,
            reason: "the record holds something other than bytes".into(),
        },
        e => CoreError::Storage {
            code: e.code(),
            message: e.to_string(),
        },
    }
}

impl IdbStorage {
    /// Opens (creating) the database `name`.
    pub async fn open(name: &str) -> Result<Self> {
        Ok(Self {
            store: IdbStore::open(name).await.map_err(core)?,
            name: name.to_owned(),
        })
    }

    /// The database name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the browser took the database away (`STORAGE_EVICTED` from every call since):
    /// site data cleared, eviction under storage pressure, or another page deleting it.
    pub fn is_lost(&self) -> bool {
        self.store.is_lost()
    }

    /// Closes the connection.
    pub fn close(self) {
        self.store.close();
    }

    /// Deletes the database `name` (all its indexes' data).
    pub async fn destroy(name: &str) -> Result<()> {
        IdbStore::delete_database(name).await.map_err(core)
    }
}

impl Storage for IdbStorage {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        check_key(key)?;
        self.store.get(key).await.map_err(core)
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        self.store.list(prefix).await.map_err(core)
    }

    async fn commit(&self, batch: Batch) -> Result<()> {
        for (k, _) in &batch.puts {
            check_key(k)?;
        }
        for k in &batch.deletes {
            check_key(k)?;
        }
        self.store
            .commit(&batch.puts, &batch.deletes)
            .await
            .map_err(core)
    }
}
