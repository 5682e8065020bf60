//! Opening what `scry search`, `eval`, `suggest` and `bench text` read: a published static
//! index (`scry.json` + chunks, every chunk loaded and checked, every number of `scry.json`
//! checked against the files), a state folder (`manifest`: the `FileStorage` index), or a JSON
//! collection (`{"documents": [...]}`, or `.jsonl` lines).

use std::collections::BTreeMap;
use std::path::Path;

use scry_core::engine::{MANIFEST_BACKUP_KEY, MANIFEST_KEY};
use scry_core::file_storage::FileStorage;
use scry_core::static_index::STATIC_VERSION;
use scry_core::{CoreError, Document, Engine, EngineConfig};

use crate::error::CliError;
use crate::owned::is_chunk_name;
use crate::site::ENTRY_FILE;

/// What kind of index a path holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    /// A JSON (`.json`) or JSON-lines (`.jsonl`) collection of documents.
    Collection,
    /// A state folder (`manifest`).
    State,
    /// A published static index (`scry.json`).
    Static,
}

/// What `path` holds; `NotAnIndex` (or `Read` when it does not exist) otherwise. A folder with
/// both a manifest and `scry.json` (the layout of older versions) opens as a state folder, as
/// does one holding index records without a manifest (lost: the core reports it).
pub fn kind_of(path: &Path) -> Result<IndexKind, CliError> {
    let meta = std::fs::metadata(path).map_err(|e| CliError::read(path, e))?;
    if meta.is_file() {
        return Ok(IndexKind::Collection);
    }
    // A state folder, also when its manifest is lost: the records of an index are there (the
    // core then reports CORRUPT_DATA, and `scry repair` restores it).
    let state = path.join(MANIFEST_KEY).is_file()
        || path.join(MANIFEST_BACKUP_KEY).is_file()
        || ["seg", "docstore"].iter().any(|d| path.join(d).is_dir());
    if state {
        Ok(IndexKind::State)
    } else if path.join(ENTRY_FILE).is_file() {
        Ok(IndexKind::Static)
    } else {
        Err(CliError::NotAnIndex {
            path: path.display().to_string(),
        })
    }
}

/// Opens the index at `path` with `config` (validated).
pub fn open_index(path: &Path, config: EngineConfig) -> Result<Engine, CliError> {
    let config = config.validate()?;
    match kind_of(path)? {
        IndexKind::Collection => open_collection(path, config),
        // Read what is committed, leaving a commit in progress (the npm package's `storage:
        // 'file'` writing this folder) to its writer.
        IndexKind::State => Ok(futures::executor::block_on(Engine::open(
            &FileStorage::open_reader(path),
            config,
        ))?),
        IndexKind::Static => open_static(path, config),
    }
}

fn open_collection(path: &Path, config: EngineConfig) -> Result<Engine, CliError> {
    #[derive(serde::Deserialize)]
    struct Collection {
        documents: Vec<Document>,
    }
    let bytes = std::fs::read(path).map_err(|e| CliError::read(path, e))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| CliError::format(path, None, e))?;
    let mut engine = Engine::new(config)?;
    if path.extension().is_some_and(|e| e == "jsonl") {
        // One document per line (what `scry index --dump` writes), added in batches of
        // 1,000 and merged as the benchmark page does, so both measure the same segments.
        let mut docs = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if !line.trim().is_empty() {
                docs.push(
                    serde_json::from_str::<Document>(line)
                        .map_err(|e| CliError::format(path, Some(i + 1), e))?,
                );
            }
        }
        let mut docs = docs.into_iter().peekable();
        while docs.peek().is_some() {
            engine.add(docs.by_ref().take(1000).collect())?;
        }
        engine.maintain();
    } else {
        let c: Collection =
            serde_json::from_str(text).map_err(|e| CliError::format(path, None, e))?;
        engine.add(c.documents)?;
    }
    Ok(engine)
}

/// A non-negative integer field of `scry.json` (a float, a negative number, a string: corrupt).
fn count(entry: &serde_json::Value, key: &str) -> Result<u64, String> {
    entry
        .get(key)
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| format!("{key:?} is not a whole number ≥ 0"))
}

/// Reads a file of the static index (a missing one is damage, not an I/O problem).
fn read_part(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => CliError::Corrupt {
            path: path.display().to_string(),
            reason: "listed by the index but missing".into(),
        },
        _ => CliError::read(path, e),
    })
}

/// Loads the static index in `dir` whole: `scry.json`, its meta file and every chunk (each
/// checked against its name by the engine), then checks what `scry.json` claims (documents,
/// vectors, model, dimension, files and bytes per kind) against what was loaded.
pub fn open_static(dir: &Path, config: EngineConfig) -> Result<Engine, CliError> {
    let entry_path = dir.join(ENTRY_FILE);
    let corrupt = |reason: String| CliError::Corrupt {
        path: entry_path.display().to_string(),
        reason,
    };
    let bytes = std::fs::read(&entry_path).map_err(|e| CliError::read(&entry_path, e))?;
    let entry: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| corrupt(format!("not JSON: {e}")))?;
    if !entry.is_object() {
        return Err(corrupt("not a JSON object".into()));
    }
    let format = count(&entry, "format").map_err(corrupt)?;
    if format == 0 {
        return Err(corrupt("format 0".into()));
    }
    if format > u64::from(STATIC_VERSION) {
        return Err(CoreError::UnsupportedVersion {
            what: entry_path.display().to_string(),
            found: u16::try_from(format).unwrap_or(u16::MAX),
            supported: STATIC_VERSION,
        }
        .into());
    }
    let meta = entry
        .get("meta")
        .and_then(serde_json::Value::as_str)
        .filter(|m| m.starts_with("meta/") && is_chunk_name(m))
        .ok_or_else(|| corrupt("\"meta\" is not the name of a meta file".into()))?;
    let documents = count(&entry, "documents").map_err(corrupt)?;
    let vectors = count(&entry, "vectors").map_err(corrupt)?;
    let total = count(&entry, "bytes").map_err(corrupt)?;
    let model = match entry.get("model") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(m)) => Some(m.as_str()),
        Some(_) => return Err(corrupt("\"model\" is not a model id".into())),
    };
    let dims = match entry.get("dims") {
        None | Some(serde_json::Value::Null) => None,
        Some(_) => Some(count(&entry, "dims").map_err(corrupt)?),
    };
    let mut claimed: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let chunks = entry
        .get("chunks")
        .and_then(serde_json::Value::as_object)
        .ok_or_else(|| corrupt("\"chunks\" is not an object".into()))?;
    for (kind, v) in chunks {
        let files = count(v, "files").map_err(|e| corrupt(format!("chunks.{kind}: {e}")))?;
        let bytes = count(v, "bytes").map_err(|e| corrupt(format!("chunks.{kind}: {e}")))?;
        claimed.insert(kind.clone(), (files, bytes));
    }

    let mut engine = Engine::new(config)?;
    let meta_bytes = read_part(&dir.join(meta))?;
    engine.attach_static(meta, &meta_bytes)?;
    let mut found: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut add = |name: &str, len: usize| {
        let kind = name.split('/').next().unwrap_or_default().to_owned();
        let e = found.entry(kind).or_default();
        e.0 += 1;
        e.1 += len as u64;
    };
    add(meta, meta_bytes.len());
    let mut names: Vec<String> = engine.static_chunks().into_iter().map(|(n, _)| n).collect();
    names.sort();
    names.dedup();
    for name in names {
        if !is_chunk_name(&name) {
            return Err(CliError::Corrupt {
                path: dir.join(meta).display().to_string(),
                reason: format!("lists a chunk named {name:?}"),
            });
        }
        let bytes = read_part(&dir.join(&name))?;
        engine.load_chunk(&name, &bytes)?;
        add(&name, bytes.len());
    }
    let found_total: u64 = found.values().map(|(_, b)| b).sum();
    let mismatch = |what: &str, claim: String, real: String| {
        corrupt(format!("says {what} {claim} but the index has {real}"))
    };
    if documents != engine.len() as u64 {
        return Err(mismatch(
            "documents",
            documents.to_string(),
            engine.len().to_string(),
        ));
    }
    if vectors != engine.vector_count() as u64 {
        return Err(mismatch(
            "vectors",
            vectors.to_string(),
            engine.vector_count().to_string(),
        ));
    }
    let real_model = engine.model().map(|m| (m.id.as_str(), m.dims as u64));
    if model != real_model.map(|m| m.0) || dims != real_model.map(|m| m.1) {
        return Err(mismatch(
            "model",
            format!("{model:?} ({dims:?} dimensions)"),
            format!("{real_model:?}"),
        ));
    }
    if total != found_total {
        return Err(mismatch(
            "bytes",
            total.to_string(),
            found_total.to_string(),
        ));
    }
    if claimed != found {
        return Err(mismatch(
            "chunks",
            format!("{claimed:?}"),
            format!("{found:?}"),
        ));
    }
    Ok(engine)
}
