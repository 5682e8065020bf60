//! `scry index`'s private build state (`--state`), kept out of the published folder: the
//! `FileStorage` index that `scry search`, `eval`, `suggest`, `repair` and the npm package's
//! `storage: 'file'` open, and the embedding cache that lets a rebuild embed only passages
//! whose text changed.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use scry_core::engine::PendingCommit;
use scry_core::file_storage::FileStorage;
use scry_core::segment::format::content_id;
use scry_core::{Batch, Engine, Storage};

use crate::error::CliError;
use crate::lock::{LOCK_FILE, Lock};
use crate::owned::{self, Owned, Scan};
use crate::site::{CACHE_FILE, EmbeddingCache};

/// The journal of `FileStorage`: a folder it removes whole (nothing foreign may be inside).
pub const JOURNAL: &str = ".journal/**";

/// The folder, under the current one, that holds default state folders.
pub const CACHE_DIR: &str = ".scry-cache";

/// `path` made absolute (`.` and `..` resolved), with its existing part canonical (links
/// resolved), so that one folder always has one name whether or not it exists yet.
pub fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    let abs = normalise(&std::path::absolute(path)?);
    let mut existing = abs.clone();
    let mut rest = Vec::new();
    loop {
        if let Ok(c) = std::fs::canonicalize(&existing) {
            let mut out = c;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return Ok(out);
        }
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_owned());
                existing = parent.to_path_buf();
            }
            _ => return Ok(abs),
        }
    }
}

/// Lexically normalised `path` (`.` and `..` resolved without touching the disk).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Where the state of output folder `out` goes by default: `.scry-cache/<out's name>-<the first
/// 8 hex digits of the content id of out's absolute path>` under the current folder.
pub fn default_dir(out: &Path) -> std::io::Result<PathBuf> {
    let abs = resolve(out)?;
    let name: String = abs
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "root".into())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let hash = content_id(abs.as_os_str().as_encoded_bytes());
    Ok(Path::new(CACHE_DIR).join(format!("{name}-{}", &hash[..8])))
}

/// Every path relative to the state folder that committing `batch` writes: its records and
/// their folders, the journal (which `FileStorage` creates and removes whole), the lock, and
/// the embedding cache when one is saved.
pub fn paths(batch: &Batch, cache: bool) -> Vec<String> {
    let mut out: Vec<String> = batch.puts.iter().map(|(k, _)| k.clone()).collect();
    out.push(JOURNAL.into());
    out.push(LOCK_FILE.into());
    if cache {
        out.push(CACHE_FILE.into());
    }
    out
}

/// What [`commit`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Committed {
    /// Records written.
    pub records: usize,
    /// Their bytes.
    pub bytes: usize,
    /// scry's stale files deleted (relative paths).
    pub removed: Vec<String>,
}

/// Commits `engine`'s index (`batch` and `pending` from its `prepare_commit`) into `dir`, whose
/// contents `scan` lists and the caller has checked (no foreign entry at or in the way of a
/// path of [`paths`]). Under the folder's lock: an interrupted commit's journal (scry's, as
/// checked) is discarded — this commit supersedes it —, the batch is committed, then scry's
/// records that the new manifest does not use are deleted (each passed to `removed`), checked
/// again just before, and the embedding cache is saved. Foreign files are never touched.
pub fn commit(
    dir: &Path,
    engine: &mut Engine,
    batch: Batch,
    pending: PendingCommit,
    scan: &Scan,
    cache: Option<&EmbeddingCache>,
    mut removed: impl FnMut(&str),
) -> Result<Committed, CliError> {
    let io = |e: std::io::Error| CliError::read(dir, e);
    std::fs::create_dir_all(dir).map_err(io)?;
    let _lock = Lock::acquire(dir)?;
    let mut out = Committed::default();
    let mut remove = |rel: &str, kind: Owned, out: &mut Committed| -> Result<(), CliError> {
        if owned::remove_owned(dir, rel, kind).map_err(io)? {
            removed(rel);
            out.removed.push(rel.to_owned());
        }
        Ok(())
    };
    for (rel, kind) in &scan.owned {
        if matches!(kind, Owned::Journal | Owned::Temporary) {
            remove(rel, *kind, &mut out)?;
        }
    }
    owned::remove_empty_dirs(dir);
    // Deletes only what the scan verified: a fresh engine's first commit deletes nothing, and
    // anything else is left to the clean-up below.
    let batch = Batch {
        deletes: batch
            .deletes
            .into_iter()
            .filter(|k| scan.owned(k).is_some())
            .collect(),
        ..batch
    };
    let written: HashSet<String> = batch.puts.iter().map(|(k, _)| k.clone()).collect();
    out.records = batch.puts.len();
    out.bytes = batch.puts.iter().map(|(_, b)| b.len()).sum();
    let storage = FileStorage::open(dir)?;
    futures::executor::block_on(storage.commit(batch))?;
    let pending = engine.finish_commit(pending);
    for (rel, kind) in &scan.owned {
        let stale = match kind {
            // The cache only saves work, and a writer's lock is the writer's.
            Owned::EmbeddingCache | Owned::Lock | Owned::Journal | Owned::Temporary => false,
            _ => !written.contains(rel) && !pending.live_keys.contains(rel),
        };
        if stale {
            remove(rel, *kind, &mut out)?;
        }
    }
    if let Some(cache) = cache {
        cache.save(&dir.join(CACHE_FILE)).map_err(io)?;
    }
    owned::remove_empty_dirs(dir);
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_default_state_is_named_after_the_out_folder_and_its_path() {
        let a = default_dir(Path::new("/srv/www/site")).unwrap();
        let b = default_dir(Path::new("/srv/other/site")).unwrap();
        let a2 = default_dir(Path::new("/srv/www/./x/../site")).unwrap();
        assert_eq!(a, a2);
        assert_ne!(a, b);
        let name = a.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with("site-") && name.len() == 13, "{name}");
        assert!(a.starts_with(CACHE_DIR));
        let odd = default_dir(Path::new("/srv/my site!")).unwrap();
        assert!(
            odd.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("my-site--")
        );
    }
}
