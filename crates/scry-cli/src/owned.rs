//! Which files in an output folder scry wrote itself, recognised by name *and* content: `scry
//! index` deletes or replaces only those. Everything else in a folder it writes is foreign and
//! stays untouched.
//!
//! - published (`--out`): `scry.json` (a JSON object with scry's keys), `meta|post|docs|vec/
//!   <id>.bin` (the chunk's envelope intact and `<id>` its content id);
//! - private state (`--state`, and what older versions of scry left in `--out`): `manifest`,
//!   `manifest.bak` (they decode), `seg/<id>` (a segment or meta file whose content id is
//!   `<id>`), `docstore/<id>`, `chunk/<kind>/<id>.bin`, `static-deletes` (intact envelopes),
//!   `embeddings.cache` (its header checks), `.lock*` (a writer's pid and host), `.journal/*`
//!   (an interrupted commit's records and op list);
//! - scry's own temporary files, complete (`.scry.json.<pid>.tmp`, `<kind>/.<id>.bin.<pid>.tmp`).

use std::path::Path;

use scry_core::engine::{MANIFEST_BACKUP_KEY, MANIFEST_KEY};
use scry_core::manifest::Manifest;
use scry_core::segment::format::{self, content_id};
use scry_core::segment::{DOCSTORE_MAGIC, DOCSTORE_VERSION, SEGMENT_MAGIC, SEGMENT_VERSION};
use scry_core::static_index::{
    DOCS_MAGIC, META_MAGIC, POSTINGS_MAGIC, STATIC_DELETES_MAGIC, STATIC_VERSION, VECTORS_MAGIC,
};
use walkdir::WalkDir;

use crate::error::CliError;
use crate::site;

/// A kind of file scry writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owned {
    /// `scry.json`.
    Entry,
    /// A chunk of the static index (`meta|post|docs|vec/<id>.bin`).
    Chunk,
    /// A complete temporary file of a publish that did not finish.
    Temporary,
    /// `manifest` or its backup `manifest.bak`.
    Manifest,
    /// A stored segment (`seg/<id>`).
    Segment,
    /// A documents-store record (`docstore/<id>`).
    Docstore,
    /// A chunk of a stored segment (`chunk/<kind>/<id>.bin`).
    StoredChunk,
    /// `static-deletes`.
    StaticDeletes,
    /// `embeddings.cache`.
    EmbeddingCache,
    /// A writer's `.lock` (or its temporary names).
    Lock,
    /// A record or op list of an interrupted commit (`.journal/…`).
    Journal,
}

/// Folders scry creates in an output or state folder.
pub const SCRY_DIRS: [&str; 11] = [
    "meta",
    "post",
    "docs",
    "vec",
    "seg",
    "docstore",
    "chunk",
    "chunk/post",
    "chunk/docs",
    "chunk/vec",
    ".journal",
];

/// The magic bytes of a static chunk kind.
fn chunk_magic(kind: &str) -> Option<&'static [u8; 8]> {
    match kind {
        "meta" => Some(META_MAGIC),
        "post" => Some(POSTINGS_MAGIC),
        "docs" => Some(DOCS_MAGIC),
        "vec" => Some(VECTORS_MAGIC),
        _ => None,
    }
}

fn is_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Whether `name` is `<kind>/<id>.bin` for a static chunk kind (a name scry gives a chunk).
pub fn is_chunk_name(name: &str) -> bool {
    name.split_once('/').is_some_and(|(kind, file)| {
        chunk_magic(kind).is_some() && file.strip_suffix(".bin").is_some_and(is_id)
    })
}

/// A chunk of `kind` whose envelope is intact and whose content id is `id`.
fn chunk_ok(kind: &str, id: &str, bytes: &[u8]) -> bool {
    chunk_magic(kind).is_some_and(|magic| {
        is_id(id)
            && format::open(bytes, magic, STATIC_VERSION, "chunk").is_ok()
            && content_id(bytes) == id
    })
}

/// Keys of `scry.json` as `site::write_bundle` writes them.
const ENTRY_KEYS: [&str; 8] = [
    "format",
    "meta",
    "documents",
    "vectors",
    "model",
    "dims",
    "bytes",
    "chunks",
];

/// Whether `bytes` is a `scry.json` scry wrote: a JSON object of scry's keys only, with a
/// format number and a meta file name.
pub fn is_entry(bytes: &[u8]) -> bool {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(bytes)
    else {
        return false;
    };
    map.keys().all(|k| ENTRY_KEYS.contains(&k.as_str()))
        && map
            .get("format")
            .and_then(serde_json::Value::as_u64)
            .is_some()
        && map
            .get("meta")
            .and_then(serde_json::Value::as_str)
            .is_some_and(|m| is_chunk_name(m) && m.starts_with("meta/"))
}

fn is_lock(bytes: &[u8]) -> bool {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(bytes)
    else {
        return false;
    };
    map.get("pid").is_some_and(serde_json::Value::is_u64)
        && map.get("host").is_some_and(serde_json::Value::is_string)
}

/// Any record a storage commit of scry writes (what a journal's numbered files hold).
fn is_record(bytes: &[u8]) -> bool {
    Manifest::decode(bytes).is_ok()
        || [
            (SEGMENT_MAGIC, SEGMENT_VERSION),
            (DOCSTORE_MAGIC, DOCSTORE_VERSION),
            (META_MAGIC, STATIC_VERSION),
            (POSTINGS_MAGIC, STATIC_VERSION),
            (DOCS_MAGIC, STATIC_VERSION),
            (VECTORS_MAGIC, STATIC_VERSION),
            (STATIC_DELETES_MAGIC, STATIC_VERSION),
        ]
        .iter()
        .any(|(magic, version)| format::open(bytes, magic, *version, "record").is_ok())
}

/// A journal's op list: `P <n> <key>` and `D <key>` lines over valid keys.
fn is_op_list(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|text| {
        text.lines().all(|line| {
            let key = match line.split_at(line.len().min(2)) {
                ("P ", rest) => rest
                    .split_once(' ')
                    .filter(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                    .map(|(_, k)| k),
                ("D ", rest) => Some(rest),
                _ => None,
            };
            key.is_some_and(|k| scry_core::storage::check_key(k).is_ok())
        })
    })
}

/// What scry file `rel` (a path relative to an output or state folder, `/`-separated) is, given
/// its content; `None`: not a file scry wrote. `read` is called only for names scry uses.
pub fn classify(rel: &str, read: impl FnOnce() -> Option<Vec<u8>>) -> Option<Owned> {
    let parts: Vec<&str> = rel.split('/').collect();
    // The name decides what the content must be.
    type Check = Box<dyn FnOnce(&[u8]) -> bool>;
    let (owned, check): (Owned, Check) = match parts.as_slice() {
        ["scry.json"] => (Owned::Entry, Box::new(is_entry)),
        [name] if *name == MANIFEST_KEY || *name == MANIFEST_BACKUP_KEY => (
            Owned::Manifest,
            Box::new(|b: &[u8]| Manifest::decode(b).is_ok()),
        ),
        ["static-deletes"] => (
            Owned::StaticDeletes,
            Box::new(|b: &[u8]| {
                format::open(b, STATIC_DELETES_MAGIC, STATIC_VERSION, "static-deletes").is_ok()
            }),
        ),
        [name] if *name == site::CACHE_FILE => (
            Owned::EmbeddingCache,
            Box::new(site::EmbeddingCache::is_cache),
        ),
        [name] if *name == ".lock" || name.starts_with(".lock.") => {
            (Owned::Lock, Box::new(is_lock))
        }
        [name] => match temp_of(name)? {
            "scry.json" => (Owned::Temporary, Box::new(is_entry)),
            n if n == site::CACHE_FILE => {
                (Owned::Temporary, Box::new(site::EmbeddingCache::is_cache))
            }
            _ => return None,
        },
        [kind, file] if chunk_magic(kind).is_some() => {
            let kind = kind.to_string();
            if let Some(id) = file.strip_suffix(".bin") {
                let id = id.to_owned();
                (
                    Owned::Chunk,
                    Box::new(move |b: &[u8]| chunk_ok(&kind, &id, b)),
                )
            } else if let Some(id) = temp_chunk_id(file) {
                (
                    Owned::Temporary,
                    Box::new(move |b: &[u8]| chunk_ok(&kind, &id, b)),
                )
            } else {
                return None;
            }
        }
        ["seg", id] if is_id(id) => {
            let id = id.to_string();
            (
                Owned::Segment,
                Box::new(move |b: &[u8]| {
                    let meta = format::open(b, META_MAGIC, STATIC_VERSION, "segment").is_ok();
                    let whole = format::open(b, SEGMENT_MAGIC, SEGMENT_VERSION, "segment").is_ok();
                    (meta || whole) && content_id(b) == id
                }),
            )
        }
        ["docstore", id] if is_id(id) => (
            Owned::Docstore,
            Box::new(|b: &[u8]| {
                format::open(b, DOCSTORE_MAGIC, DOCSTORE_VERSION, "docstore").is_ok()
            }),
        ),
        ["chunk", kind, file] if *kind != "meta" && chunk_magic(kind).is_some() => {
            let kind = kind.to_string();
            let id = file.strip_suffix(".bin")?.to_owned();
            (
                Owned::StoredChunk,
                Box::new(move |b: &[u8]| chunk_ok(&kind, &id, b)),
            )
        }
        [".journal", "ops" | "COMMITTED"] => (Owned::Journal, Box::new(is_op_list)),
        [".journal", n] if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            (Owned::Journal, Box::new(is_record))
        }
        _ => return None,
    };
    let bytes = read()?;
    check(&bytes).then_some(owned)
}

/// The file a temporary top-level name `.<file>.<pid>.tmp` is for.
fn temp_of(name: &str) -> Option<&str> {
    let (file, pid) = name
        .strip_prefix('.')?
        .strip_suffix(".tmp")?
        .rsplit_once('.')?;
    (!pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit())).then_some(file)
}

/// `<id>` of a temporary chunk name `.<id>.bin.<pid>.tmp`.
fn temp_chunk_id(file: &str) -> Option<String> {
    let rest = file.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (id, pid) = rest.split_once(".bin.")?;
    (is_id(id) && !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit())).then(|| id.into())
}

/// The temporary name a chunk `<kind>/<id>.bin` is written under before its rename.
pub fn temp_name(name: &str) -> String {
    let pid = crate::lock::process_id();
    match name.rsplit_once('/') {
        Some((dir, file)) => format!("{dir}/.{file}.{pid}.tmp"),
        None => format!(".{name}.{pid}.tmp"),
    }
}

/// What a folder holds, sorted by path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// Files scry wrote (relative paths).
    pub owned: Vec<(String, Owned)>,
    /// Everything else: files, links, special files, and folders scry does not create
    /// (a folder with a trailing `/`, listed once with whatever it holds).
    pub foreign: Vec<String>,
}

impl Scan {
    /// What scry file `rel` is, if it is one.
    pub fn owned(&self, rel: &str) -> Option<Owned> {
        self.owned
            .binary_search_by(|(k, _)| k.as_str().cmp(rel))
            .ok()
            .map(|i| self.owned[i].1)
    }

    /// Refuses to write into `dir` (nothing done yet): with foreign entries unless `force`,
    /// and, even with `force`, when one is at a path of `needed` or in the way of one.
    pub fn check(&self, dir: &Path, force: bool, needed: &[String]) -> Result<(), CliError> {
        let shown = dir.display().to_string();
        if !force && !self.foreign.is_empty() {
            return Err(CliError::ForeignFiles {
                dir: shown,
                entries: self.foreign.clone(),
            });
        }
        let mut taken: Vec<String> = needed.iter().flat_map(|n| self.blocking(n)).collect();
        taken.sort();
        taken.dedup();
        if taken.is_empty() {
            Ok(())
        } else {
            Err(CliError::OutputConflict {
                dir: shown,
                entries: taken,
            })
        }
    }

    /// Foreign entries at `rel` or in the way of creating it (a foreign file or link where a
    /// folder on its path must be). `rel` ending in `/**` is a folder scry replaces whole (a
    /// storage's journal): anything foreign inside it is in the way too.
    pub fn blocking(&self, rel: &str) -> Vec<String> {
        let mut out = Vec::new();
        let rel = match rel.strip_suffix("/**") {
            Some(dir) => {
                let inside = format!("{dir}/");
                out.extend(
                    self.foreign
                        .iter()
                        .filter(|f| f.starts_with(&inside) && **f != inside)
                        .cloned(),
                );
                dir
            }
            None => rel,
        };
        let mut prefix = String::new();
        for part in rel.split('/') {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            let dir = format!("{prefix}/");
            if let Some(f) = self.foreign.iter().find(|f| **f == prefix || **f == dir) {
                out.push(f.clone());
            }
        }
        out
    }
}

/// Lists `dir` (links not followed): scry's files by name and content, the rest foreign. A
/// folder that does not exist holds nothing.
pub fn scan(dir: &Path) -> std::io::Result<Scan> {
    let mut out = Scan::default();
    // The folder itself may be a link to a folder (`public -> /var/www/site`).
    match std::fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
        Ok(m) if !m.is_dir() => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                "not a folder",
            ));
        }
        Ok(_) => {}
    }
    let mut entries = WalkDir::new(dir)
        .min_depth(1)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter();
    while let Some(next) = entries.next() {
        let entry = match next {
            Ok(e) => e,
            Err(e) => {
                // Unreadable: whatever it holds is not known to be scry's.
                let rel = e
                    .path()
                    .and_then(|p| p.strip_prefix(dir).ok())
                    .map_or_else(|| "?".to_owned(), |p| p.to_string_lossy().into_owned());
                out.foreign.push(rel);
                continue;
            }
        };
        let Some(rel) = entry
            .path()
            .strip_prefix(dir)
            .ok()
            .and_then(Path::to_str)
            .map(|r| r.replace(std::path::MAIN_SEPARATOR, "/"))
        else {
            out.foreign
                .push(entry.path().to_string_lossy().into_owned());
            if entry.file_type().is_dir() {
                entries.skip_current_dir();
            }
            continue;
        };
        let ft = entry.file_type();
        if ft.is_dir() {
            if !SCRY_DIRS.contains(&rel.as_str()) {
                out.foreign.push(format!("{rel}/"));
                entries.skip_current_dir();
            }
            continue;
        }
        let owned = if ft.is_file() {
            classify(&rel, || std::fs::read(entry.path()).ok())
        } else {
            None
        };
        match owned {
            Some(kind) => out.owned.push((rel, kind)),
            None => out.foreign.push(rel),
        }
    }
    out.owned.sort_by(|a, b| a.0.cmp(&b.0));
    out.foreign.sort();
    Ok(out)
}

/// Deletes scry file `rel` of `dir` after checking again that it is what `kind` says (it may
/// have changed since the scan); `Ok(false)` when it no longer is, and was left.
pub fn remove_owned(dir: &Path, rel: &str, kind: Owned) -> std::io::Result<bool> {
    let path = dir.join(rel);
    let is_file = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file());
    if !is_file || classify(rel, || std::fs::read(&path).ok()) != Some(kind) {
        return Ok(false);
    }
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Removes scry's folders of `dir` that are empty (deepest first); others stay.
pub fn remove_empty_dirs(dir: &Path) {
    for d in SCRY_DIRS.iter().rev() {
        let path = dir.join(d);
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
            // Fails, and leaves it, unless it is empty.
            let _ = std::fs::remove_dir(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn chunk(kind: &str, magic: &[u8; 8]) -> (String, Vec<u8>) {
        let bytes = format::seal(magic, STATIC_VERSION, b"body");
        (format!("{kind}/{}.bin", content_id(&bytes)), bytes)
    }

    #[test]
    fn chunks_are_scrys_only_under_their_content_name_with_an_intact_envelope() {
        let (name, bytes) = chunk("post", POSTINGS_MAGIC);
        let b = bytes.clone();
        assert_eq!(classify(&name, || Some(b)), Some(Owned::Chunk));
        // Another kind's folder, another name, damage, other bytes: foreign.
        let moved = name.replacen("post", "docs", 1);
        assert_eq!(classify(&moved, || Some(bytes.clone())), None);
        let renamed = format!("post/{}.bin", "0".repeat(32));
        assert_eq!(classify(&renamed, || Some(bytes.clone())), None);
        let mut damaged = bytes.clone();
        damaged[17] ^= 1;
        assert_eq!(classify(&name, || Some(damaged)), None);
        assert_eq!(classify(&name, || Some(b"hello".to_vec())), None);
        assert_eq!(classify(&name.to_uppercase(), || Some(bytes.clone())), None);
        // Stored under chunk/ in a state folder.
        let stored = format!("chunk/{name}");
        assert_eq!(
            classify(&stored, || Some(bytes.clone())),
            Some(Owned::StoredChunk)
        );
        let temp = temp_name(&name);
        assert_eq!(classify(&temp, || Some(bytes)), Some(Owned::Temporary));
    }

    #[test]
    fn entries_need_scrys_keys_and_nothing_else() {
        let meta = format!("meta/{}.bin", "a".repeat(32));
        let ok = serde_json::json!({"format": 1, "meta": meta, "documents": 3});
        assert!(is_entry(&serde_json::to_vec(&ok).unwrap()));
        for bad in [
            serde_json::json!({"format": 1, "meta": meta, "mine": true}),
            serde_json::json!({"format": 1, "meta": "../etc/passwd"}),
            serde_json::json!({"format": "1", "meta": meta}),
            serde_json::json!({"meta": meta}),
            serde_json::json!([1]),
        ] {
            assert!(!is_entry(&serde_json::to_vec(&bad).unwrap()), "{bad}");
        }
        assert!(!is_entry(b"{"));
    }

    #[test]
    fn names_scry_does_not_use_are_never_read() {
        for rel in [
            "important.txt",
            "img/logo.png",
            "seg/short",
            "chunk/meta/x.bin",
            "a/b/c",
        ] {
            assert_eq!(classify(rel, || panic!("{rel} read")), None);
        }
    }

    #[test]
    fn journal_op_lists_name_valid_keys() {
        assert!(is_op_list(b"P 0 seg/abc\nD chunk/post/x.bin\n"));
        assert!(is_op_list(b""));
        assert!(!is_op_list(b"P x seg/abc\n"));
        assert!(!is_op_list(b"rm -rf /\n"));
        assert!(!is_op_list(b"D ../outside\n"));
    }

    #[test]
    fn blocking_finds_files_in_the_way_of_a_path() {
        let scan = Scan {
            owned: Vec::new(),
            foreign: vec!["img/".into(), "post".into(), "scry.json".into()],
        };
        assert_eq!(scan.blocking("post/x.bin"), ["post"]);
        assert_eq!(scan.blocking("scry.json"), ["scry.json"]);
        assert!(scan.blocking("meta/x.bin").is_empty());
        assert!(scan.blocking("img").len() == 1);
        let scan = Scan {
            owned: Vec::new(),
            foreign: vec![".journal/notes.txt".into(), "seg/mine".into()],
        };
        assert_eq!(scan.blocking(".journal/**"), [".journal/notes.txt"]);
        assert!(scan.blocking(".journal").is_empty());
        assert!(scan.blocking("seg/abc").is_empty());
    }
}
