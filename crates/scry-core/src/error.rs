//! Errors of scry-core, each with a stable `code()` that reaches JavaScript as `error.code`.

/// Everything that can go wrong inside the engine.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CoreError {
    /// A document failed validation (empty id, no text at all, ...).
    #[error("invalid document {id:?}: {reason}")]
    InvalidDocument {
        /// The offending document's id (possibly empty).
        id: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A document with this id is already in the index (use update to replace it).
    #[error("a document with id {0:?} already exists")]
    DuplicateId(String),
    /// The query cannot be run (for example it is empty or too long).
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// Input that cannot be processed (empty text to embed, wrong vector dimension, ...).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Stored data failed a check (bad magic, checksum, length or structure).
    #[error("corrupt data in {what}: {reason}")]
    Corrupt {
        /// What was being read (e.g. `segment 3fa9…`, `manifest`).
        what: String,
        /// What is wrong.
        reason: String,
    },
    /// Stored data was written by another format version (newer, unknown, or an older one this
    /// build no longer reads); nothing was changed.
    #[error(
        "{what} has format version {found}; this build reads version {supported} (re-index data \
         from an older version; update scry for a newer one)"
    )]
    UnsupportedVersion {
        /// What was being read.
        what: String,
        /// Version found.
        found: u16,
        /// Newest version this build understands.
        supported: u16,
    },
    /// Vectors from a different model than the index's were offered.
    #[error("the index holds vectors of model {index}; refusing vectors of {given}")]
    ModelMismatch {
        /// Model of the index.
        index: String,
        /// Model offered.
        given: String,
    },
    /// The storage backend failed.
    #[error("storage failed ({code}): {message}")]
    Storage {
        /// The backend's own error code (e.g. `STORAGE_QUOTA_EXCEEDED`).
        code: &'static str,
        /// Details.
        message: String,
    },
    /// A static index, or a stored segment opened lazily, needs these chunks loaded
    /// (`Engine::load_chunk`) before it can answer; the npm package fetches or reads them and
    /// asks again, so callers do not normally see this.
    #[error("{} more chunk(s) must be loaded: {}", .0.len(), .0.join(", "))]
    ChunksNeeded(Vec<String>),
    /// A parameter is outside its documented range.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// The parameter's name as documented.
        name: &'static str,
        /// Why the value was rejected.
        reason: String,
    },
}

impl CoreError {
    /// The stable, SCREAMING_CASE code of this error (part of the public API).
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::InvalidDocument { .. } => "INVALID_DOCUMENT",
            CoreError::DuplicateId(_) => "DUPLICATE_ID",
            CoreError::InvalidQuery(_) => "INVALID_QUERY",
            CoreError::InvalidInput(_) => "INVALID_INPUT",
            CoreError::Corrupt { .. } => "CORRUPT_DATA",
            CoreError::UnsupportedVersion { .. } => "UNSUPPORTED_VERSION",
            CoreError::ModelMismatch { .. } => "MODEL_MISMATCH",
            CoreError::Storage { code, .. } => code,
            CoreError::InvalidParameter { .. } => "INVALID_PARAMETER",
            CoreError::ChunksNeeded(_) => "CHUNKS_NEEDED",
        }
    }
}

/// Result alias for scry-core.
pub type Result<T> = std::result::Result<T, CoreError>;

/// `Ok` when `lo <= v <= hi`, else `INVALID_PARAMETER` naming the parameter and its range: the
/// one range check behind every parameter validation.
pub(crate) fn check_range<T: PartialOrd + std::fmt::Display>(
    name: &'static str,
    v: T,
    lo: T,
    hi: T,
) -> Result<()> {
    if lo <= v && v <= hi {
        Ok(())
    } else {
        Err(CoreError::InvalidParameter {
            name,
            reason: format!("{v} is outside {lo}..={hi}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One value of every variant. The `match` has no wildcard, so a new variant does not
    /// compile until it is listed here (and so checked below).
    fn every_variant() -> Vec<CoreError> {
        let all = vec![
            CoreError::InvalidDocument {
                id: String::new(),
                reason: String::new(),
            },
            CoreError::DuplicateId(String::new()),
            CoreError::InvalidQuery(String::new()),
            CoreError::InvalidInput(String::new()),
            CoreError::Corrupt {
                what: String::new(),
                reason: String::new(),
            },
            CoreError::UnsupportedVersion {
                what: String::new(),
                found: 2,
                supported: 1,
            },
            CoreError::ModelMismatch {
                index: String::new(),
                given: String::new(),
            },
            CoreError::Storage {
                code: "STORAGE_FAILED",
                message: String::new(),
            },
            CoreError::ChunksNeeded(vec!["post/x.bin".into()]),
            CoreError::InvalidParameter {
                name: "k1",
                reason: String::new(),
            },
        ];
        for e in &all {
            match e {
                CoreError::InvalidDocument { .. }
                | CoreError::DuplicateId(_)
                | CoreError::InvalidQuery(_)
                | CoreError::InvalidInput(_)
                | CoreError::Corrupt { .. }
                | CoreError::UnsupportedVersion { .. }
                | CoreError::ModelMismatch { .. }
                | CoreError::Storage { .. }
                | CoreError::ChunksNeeded(_)
                | CoreError::InvalidParameter { .. } => {}
            }
        }
        all
    }

    #[test]
    fn every_code_is_distinct_screaming_case_and_known_to_the_package() {
        // The TypeScript package's list of codes: what JavaScript callers can branch on.
        let package = include_str!("../../../web/packages/scry/src/public/errors.ts");
        let mut seen = std::collections::HashSet::new();
        for e in every_variant() {
            let code = e.code();
            assert!(
                !code.is_empty()
                    && code
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b == b'_' || b.is_ascii_digit()),
                "{code} is not SCREAMING_CASE"
            );
            assert!(seen.insert(code), "{code} is the code of two variants");
            assert!(
                package.contains(&format!("'{code}'")),
                "{code} is missing from the package's SCRY_ERROR_CODES (errors.ts)"
            );
        }
    }
}
