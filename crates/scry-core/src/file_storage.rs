//! `Storage` on the native file system: one file per key, batches made atomic with a journal
//! (write the new files and an op list, atomically mark it committed, then apply; an interrupted
//! apply is finished when the store is next opened).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{CoreError, Result};
use crate::storage::{Batch, Storage, check_key};

const JOURNAL: &str = ".journal";
const COMMITTED: &str = "COMMITTED";

/// A directory-backed store.
#[derive(Debug)]
pub struct FileStorage {
    root: PathBuf,
}

fn io(what: &str, e: std::io::Error) -> CoreError {
    let code = if e.kind() == std::io::ErrorKind::StorageFull {
        "STORAGE_QUOTA_EXCEEDED"
    } else {
        "STORAGE_FAILED"
    };
    CoreError::Storage {
        code,
        message: format!("{what}: {e}"),
    }
}

/// Writes a new journal file: `create_new` refuses a file or link already there (a link planted
/// in the journal would otherwise have scry write through it, outside the index).
fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| io(&path.display().to_string(), e))?;
    f.write_all(bytes)
        .map_err(|e| io(&path.display().to_string(), e))?;
    f.sync_all().map_err(|e| io(&path.display().to_string(), e))
}

impl FileStorage {
    /// Opens (creating) the store at `root`, finishing or discarding an interrupted batch.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        fs::create_dir_all(&root).map_err(|e| io(&root.display().to_string(), e))?;
        let s = Self { root };
        s.recover()?;
        Ok(s)
    }

    /// Opens the store at `root` to read what is committed, without finishing or discarding an
    /// interrupted batch (which may be another process's commit in progress): a batch's puts
    /// land before its manifest, and deletes only remove what no manifest references, so the
    /// committed state is readable at every step of a commit.
    pub fn open_reader(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn journal(&self) -> PathBuf {
        self.root.join(JOURNAL)
    }

    fn recover(&self) -> Result<()> {
        let j = self.journal();
        if !journal_is_ours(&j)? {
            return Ok(());
        }
        if j.join(COMMITTED).exists() {
            self.apply_journal()?;
        }
        clear_journal(&j)
    }

    fn apply_journal(&self) -> Result<()> {
        let j = self.journal();
        let ops =
            fs::read_to_string(j.join(COMMITTED)).map_err(|e| io("reading the journal", e))?;
        for line in ops.lines() {
            let (op, rest) = line.split_at(line.len().min(2));
            match op {
                "P " => {
                    let Some((idx, key)) = rest.split_once(' ') else {
                        continue;
                    };
                    check_key(key)?;
                    let src = j.join(idx);
                    let dst = self.root.join(key);
                    if src.exists() {
                        if let Some(parent) = dst.parent() {
                            fs::create_dir_all(parent).map_err(|e| io(key, e))?;
                        }
                        fs::rename(&src, &dst).map_err(|e| io(key, e))?;
                    }
                }
                "D " => {
                    check_key(rest)?;
                    match fs::remove_file(self.root.join(rest)) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => return Err(io(rest, e)),
                    }
                }
                _ => {
                    return Err(CoreError::Corrupt {
                        what: "file storage journal".into(),
                        reason: format!("bad line {line:?}"),
                    });
                }
            }
        }
        Ok(())
    }
}

/// Whether the journal exists as a real folder (`false`: there is none). Anything else at its
/// name — a link (scry would read, write and delete through it, outside the index), a file —
/// is refused: nothing is touched.
fn journal_is_ours(j: &Path) -> Result<bool> {
    match fs::symlink_metadata(j) {
        Ok(m) if m.file_type().is_dir() => Ok(true),
        Ok(_) => Err(CoreError::Storage {
            code: "STORAGE_FAILED",
            message: format!(
                "{} is not a folder scry made (a link or a file): remove it to use this index",
                j.display()
            ),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io("reading the journal", e)),
    }
}

/// Deletes the journal's own files (numbered values, `ops`, `COMMITTED`; a link under one of
/// those names is removed itself, never its target), then the folder if that left it empty:
/// anything else someone put there is kept, never deleted.
fn clear_journal(j: &Path) -> Result<()> {
    if !journal_is_ours(j)? {
        return Ok(());
    }
    let entries = match fs::read_dir(j) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io("reading the journal", e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| io("reading the journal", e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ours = name == "ops"
            || name == COMMITTED
            || (!name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()));
        if ours && entry.file_type().is_ok_and(|t| !t.is_dir()) {
            fs::remove_file(entry.path()).map_err(|e| io("clearing the journal", e))?;
        }
    }
    match fs::remove_dir(j) {
        Ok(()) => Ok(()),
        // Something of someone else's is in it: it stays, and so does the folder.
        Err(_) if fs::read_dir(j).is_ok_and(|mut d| d.next().is_some()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io("removing the journal", e)),
    }
}

impl Storage for FileStorage {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        check_key(key)?;
        match fs::read(self.root.join(key)) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(key, e)),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let mut stack = vec![self.root.clone()];
        while let Some(dir) = stack.pop() {
            let entries = match fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io(&dir.display().to_string(), e)),
            };
            for entry in entries {
                let entry = entry.map_err(|e| io("listing", e))?;
                let path = entry.path();
                let Ok(rel) = path.strip_prefix(&self.root) else {
                    continue;
                };
                let key = rel.to_string_lossy().replace('\\', "/");
                if key.starts_with('.') {
                    continue;
                }
                if path.is_dir() {
                    stack.push(path);
                } else if key.starts_with(prefix) && check_key(&key).is_ok() {
                    // Files scry did not write (`.DS_Store`, an editor's backup) are not keys.
                    out.push(key);
                }
            }
        }
        out.sort();
        Ok(out)
    }

    async fn commit(&self, batch: Batch) -> Result<()> {
        for (k, _) in &batch.puts {
            check_key(k)?;
        }
        for k in &batch.deletes {
            check_key(k)?;
        }
        let j = self.journal();
        clear_journal(&j)?;
        fs::create_dir_all(&j).map_err(|e| io("creating the journal", e))?;
        let mut ops = String::new();
        for (i, (key, value)) in batch.puts.iter().enumerate() {
            write_synced(&j.join(i.to_string()), value)?;
            ops.push_str(&format!("P {i} {key}\n"));
        }
        for key in &batch.deletes {
            ops.push_str(&format!("D {key}\n"));
        }
        write_synced(&j.join("ops"), ops.as_bytes())?;
        // The commit point: an atomic rename.
        fs::rename(j.join("ops"), j.join(COMMITTED)).map_err(|e| io("committing", e))?;
        self.apply_journal()?;
        clear_journal(&j)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("scry-fs-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn commits_never_delete_foreign_files_in_the_journal_folder() {
        let d = tmp("journal-foreign");
        std::fs::create_dir_all(d.join(JOURNAL)).unwrap();
        std::fs::write(d.join(JOURNAL).join("notes.txt"), b"precious").unwrap();
        let s = FileStorage::open(&d).unwrap();
        futures::executor::block_on(s.put("manifest", b"v1")).unwrap();
        futures::executor::block_on(s.put("seg/a", b"1")).unwrap();
        let s = FileStorage::open(&d).unwrap();
        assert_eq!(
            std::fs::read(d.join(JOURNAL).join("notes.txt")).unwrap(),
            b"precious"
        );
        assert_eq!(
            futures::executor::block_on(s.get("seg/a"))
                .unwrap()
                .as_deref(),
            Some(&b"1"[..])
        );
        // Without anything foreign, the journal folder goes once a commit is applied.
        std::fs::remove_file(d.join(JOURNAL).join("notes.txt")).unwrap();
        futures::executor::block_on(s.put("seg/b", b"2")).unwrap();
        assert!(!d.join(JOURNAL).exists());
    }

    #[cfg(unix)]
    #[test]
    fn links_planted_in_or_as_the_journal_are_never_followed() {
        use std::os::unix::fs::symlink;
        let d = tmp("journal-links");
        let outside = tmp("journal-links-outside");
        fs::create_dir_all(&outside).unwrap();
        fs::write(outside.join("precious"), b"mine").unwrap();
        for name in ["0", "ops", "COMMITTED"] {
            fs::write(outside.join(name), b"also mine").unwrap();
        }
        // A link named like a journal file: removed itself, its target untouched.
        let s = FileStorage::open(&d).unwrap();
        fs::create_dir_all(d.join(JOURNAL)).unwrap();
        symlink(outside.join("precious"), d.join(JOURNAL).join("0")).unwrap();
        futures::executor::block_on(s.put("seg/a", b"segment")).unwrap();
        assert_eq!(fs::read(outside.join("precious")).unwrap(), b"mine");
        assert_eq!(
            futures::executor::block_on(s.get("seg/a"))
                .unwrap()
                .as_deref(),
            Some(&b"segment"[..])
        );
        assert!(
            !fs::symlink_metadata(d.join("seg/a"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        // The journal itself a link to another folder: refused, nothing there deleted.
        symlink(&outside, d.join(JOURNAL)).unwrap();
        let err = futures::executor::block_on(s.put("seg/b", b"2")).unwrap_err();
        assert_eq!(err.code(), "STORAGE_FAILED");
        assert!(FileStorage::open(&d).is_err());
        for name in ["0", "ops", "COMMITTED"] {
            assert_eq!(
                fs::read(outside.join(name)).unwrap(),
                b"also mine",
                "{name}"
            );
        }
        assert_eq!(fs::read(outside.join("precious")).unwrap(), b"mine");
    }

    #[test]
    fn passes_the_storage_contract() {
        let s = FileStorage::open(tmp("contract")).unwrap();
        futures::executor::block_on(crate::storage::contract::run_all(&s));
    }

    #[test]
    fn a_reader_leaves_a_commit_in_progress_alone_and_skips_foreign_files() {
        let root = tmp("reader");
        let s = FileStorage::open(&root).unwrap();
        futures::executor::block_on(s.put("seg/a", b"1")).unwrap();
        fs::write(root.join("seg").join("Thumbs.DB"), b"x").unwrap();
        // Another writer's commit, marked but not applied yet.
        fs::create_dir_all(root.join(JOURNAL)).unwrap();
        fs::write(root.join(JOURNAL).join("0"), b"2").unwrap();
        fs::write(root.join(JOURNAL).join(COMMITTED), "P 0 seg/b\n").unwrap();
        let r = FileStorage::open_reader(&root);
        assert_eq!(
            futures::executor::block_on(r.list("seg/")).unwrap(),
            vec!["seg/a".to_owned()]
        );
        assert!(root.join(JOURNAL).join(COMMITTED).exists());
        assert!(root.join(JOURNAL).join("0").exists());
    }

    #[test]
    fn an_interrupted_commit_is_finished_or_discarded_on_open() {
        let root = tmp("recover");
        let s = FileStorage::open(&root).unwrap();
        futures::executor::block_on(s.put("manifest", b"v1")).unwrap();
        // Journal written but not marked committed: discarded.
        fs::create_dir_all(root.join(JOURNAL)).unwrap();
        fs::write(root.join(JOURNAL).join("0"), b"v2").unwrap();
        fs::write(root.join(JOURNAL).join("ops"), "P 0 manifest\n").unwrap();
        let s = FileStorage::open(&root).unwrap();
        assert_eq!(
            futures::executor::block_on(s.get("manifest"))
                .unwrap()
                .unwrap(),
            b"v1"
        );
        // Marked committed but not applied: finished.
        fs::create_dir_all(root.join(JOURNAL)).unwrap();
        fs::write(root.join(JOURNAL).join("0"), b"v3").unwrap();
        fs::write(root.join(JOURNAL).join(COMMITTED), "P 0 manifest\n").unwrap();
        let s = FileStorage::open(&root).unwrap();
        assert_eq!(
            futures::executor::block_on(s.get("manifest"))
                .unwrap()
                .unwrap(),
            b"v3"
        );
        assert!(!root.join(JOURNAL).exists());
    }
}
