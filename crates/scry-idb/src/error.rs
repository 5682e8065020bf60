//! Errors of scry-idb, each with a stable `code()`.

/// Everything that can go wrong talking to IndexedDB.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdbError {
    /// `indexedDB` does not exist here (private mode, an old browser, or not a browser).
    #[error("IndexedDB is unavailable: {0}")]
    Unavailable(String),
    /// Opening or upgrading the database failed or was blocked.
    #[error("could not open IndexedDB database {name:?}: {reason}")]
    Open {
        /// Database name.
        name: String,
        /// The browser's reason.
        reason: String,
    },
    /// The browser refused to store more data for this origin.
    #[error("storage quota exceeded: {0}")]
    QuotaExceeded(String),
    /// A transaction or request failed or was aborted.
    #[error("IndexedDB transaction failed: {0}")]
    Transaction(String),
    /// The browser closed the connection: the database was deleted or evicted.
    #[error("the index's IndexedDB database is gone: {0}")]
    Evicted(String),
    /// A record holds something other than bytes: not written by scry, or damaged.
    #[error("the record {0:?} holds something other than bytes")]
    NotBytes(String),
}

impl IdbError {
    /// The stable, SCREAMING_CASE code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            IdbError::Unavailable(_) => "STORAGE_UNAVAILABLE",
            IdbError::Open { .. } => "STORAGE_OPEN_FAILED",
            IdbError::QuotaExceeded(_) => "STORAGE_QUOTA_EXCEEDED",
            IdbError::Transaction(_) => "STORAGE_TRANSACTION_FAILED",
            IdbError::Evicted(_) => "STORAGE_EVICTED",
            IdbError::NotBytes(_) => "CORRUPT_DATA",
        }
    }
}

/// Result alias for scry-idb.
pub type Result<T> = std::result::Result<T, IdbError>;
