//! What `scry index` writes for web sites: the static index (scry-core's `export_static`) with
//! its entry file `scry.json`, and the embedding cache that lets a rebuild embed only the
//! passages whose text changed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, Write};
use std::path::Path;

use scry_core::segment::format::content_id;
use scry_core::{ModelTag, StaticBundle, StaticFile};

use crate::owned::{self, Owned, Scan};

/// Name of the entry file browsers fetch first.
pub const ENTRY_FILE: &str = "scry.json";
/// Name of the embedding cache in an index folder.
pub const CACHE_FILE: &str = "embeddings.cache";
const CACHE_MAGIC: &[u8; 8] = b"SCRYEMB1";

/// What [`publish`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Published {
    /// Files of the static index (`scry.json` not counted).
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
    /// Files written (the others were there already, identical).
    pub written: usize,
    /// scry's stale files deleted (relative paths).
    pub removed: Vec<String>,
}

/// The distinct files of `bundle` (a chunk whose content repeats is one file).
fn distinct(bundle: &StaticBundle) -> Vec<&StaticFile> {
    let mut seen = HashSet::new();
    bundle
        .files
        .iter()
        .filter(|f| seen.insert(f.name.as_str()))
        .collect()
}

/// Every path [`publish`] writes for `bundle`, relative to the folder.
pub fn paths(bundle: &StaticBundle) -> Vec<String> {
    let mut out: Vec<String> = distinct(bundle).iter().map(|f| f.name.clone()).collect();
    out.push(ENTRY_FILE.to_owned());
    out
}

/// The `scry.json` of `bundle`: the format, the meta file, what the index holds, and the
/// files and bytes of each kind of chunk (what `scry search` checks the files against).
pub fn entry(bundle: &StaticBundle, model: Option<&ModelTag>) -> serde_json::Value {
    let mut total = 0u64;
    let mut kinds: BTreeMap<&str, (usize, u64)> = BTreeMap::new();
    for f in distinct(bundle) {
        total += f.bytes.len() as u64;
        let kind = f.name.split('/').next().unwrap_or("");
        let e = kinds.entry(kind).or_default();
        e.0 += 1;
        e.1 += f.bytes.len() as u64;
    }
    let chunks: serde_json::Map<String, serde_json::Value> = kinds
        .into_iter()
        .map(|(k, (n, b))| (k.to_owned(), serde_json::json!({"files": n, "bytes": b})))
        .collect();
    serde_json::json!({
        "format": scry_core::static_index::STATIC_VERSION,
        "meta": bundle.meta,
        "documents": bundle.documents,
        "vectors": bundle.vectors,
        "model": model.map(|m| &m.id),
        "dims": model.map(|m| m.dims),
        "bytes": total,
        "chunks": chunks,
    })
}

/// Writes `bytes` at `path` through a new temporary file `temp` and a rename (a reader sees
/// the old file or the new one, never part of one). `temp` must not exist.
pub fn write_atomic(path: &Path, temp: &Path, bytes: &[u8], sync: bool) -> io::Result<()> {
    let result = (|| {
        let mut f = std::fs::File::create_new(temp)?;
        f.write_all(bytes)?;
        if sync {
            f.sync_all()?;
        }
        drop(f);
        std::fs::rename(temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(temp);
    }
    result
}

/// Publishes `bundle` in `dir`, whose contents `scan` lists (and the caller has checked: no
/// foreign entry is at or in the way of a path of [`paths`]). In this order: scry's leftover
/// temporary files go; each new chunk is written (one already there is identical, being named
/// by its content, and is kept); `scry.json` is replaced atomically; scry's files that the new
/// index does not use are deleted (each passed to `removed` first), checked again just before;
/// scry's folders left empty are removed. Foreign files are never touched.
pub fn publish(
    dir: &Path,
    bundle: &StaticBundle,
    model: Option<&ModelTag>,
    scan: &Scan,
    mut removed: impl FnMut(&str),
) -> io::Result<Published> {
    let mut out = Published::default();
    let mut remove = |rel: &str, kind: Owned, out: &mut Published| -> io::Result<()> {
        if owned::remove_owned(dir, rel, kind)? {
            removed(rel);
            out.removed.push(rel.to_owned());
        }
        Ok(())
    };
    for (rel, kind) in &scan.owned {
        if *kind == Owned::Temporary {
            remove(rel, *kind, &mut out)?;
        }
    }
    std::fs::create_dir_all(dir)?;
    let files = distinct(bundle);
    for f in &files {
        out.files += 1;
        out.bytes += f.bytes.len() as u64;
        if scan.owned(&f.name) == Some(Owned::Chunk) {
            continue;
        }
        let path = dir.join(&f.name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        write_atomic(&path, &dir.join(owned::temp_name(&f.name)), &f.bytes, false)?;
        out.written += 1;
    }
    let text = serde_json::to_string_pretty(&entry(bundle, model)).map_err(io::Error::other)?;
    write_atomic(
        &dir.join(ENTRY_FILE),
        &dir.join(owned::temp_name(ENTRY_FILE)),
        (text + "\n").as_bytes(),
        true,
    )?;
    let keep: HashSet<&str> = files.iter().map(|f| f.name.as_str()).collect();
    for (rel, kind) in &scan.owned {
        if *kind != Owned::Entry && *kind != Owned::Temporary && !keep.contains(rel.as_str()) {
            remove(rel, *kind, &mut out)?;
        }
    }
    owned::remove_empty_dirs(dir);
    Ok(out)
}

/// Passage embeddings of an earlier build, by passage text, for one model.
#[derive(Debug, Default)]
pub struct EmbeddingCache {
    fingerprint: String,
    dims: usize,
    vectors: HashMap<[u8; 16], Vec<f32>>,
}

fn key(text: &str) -> [u8; 16] {
    let hex = content_id(text.as_bytes());
    let mut k = [0u8; 16];
    for (i, b) in k.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or(0);
    }
    k
}

impl EmbeddingCache {
    /// An empty cache for `model`.
    pub fn new(model: &ModelTag) -> Self {
        Self {
            fingerprint: model.fingerprint.clone(),
            dims: model.dims,
            vectors: HashMap::new(),
        }
    }

    /// Reads the cache at `path` if it exists and is for `model`; anything else (missing,
    /// another model, damaged) gives an empty cache: the cache only ever saves work.
    pub fn load(path: &Path, model: &ModelTag) -> Self {
        let mut cache = Self::new(model);
        let Ok(bytes) = std::fs::read(path) else {
            return cache;
        };
        let fp = model.fingerprint.as_bytes();
        let head = 8 + 2 + fp.len() + 4;
        let entry = 16 + 4 * model.dims;
        let ok = bytes.len() >= head
            && &bytes[..8] == CACHE_MAGIC
            && bytes[8..10] == (fp.len() as u16).to_le_bytes()
            && &bytes[10..10 + fp.len()] == fp
            && bytes[10 + fp.len()..head] == (model.dims as u32).to_le_bytes()
            && (bytes.len() - head).is_multiple_of(entry);
        if !ok {
            return cache;
        }
        for e in bytes[head..].chunks_exact(entry) {
            let mut k = [0u8; 16];
            k.copy_from_slice(&e[..16]);
            let v: Vec<f32> = e[16..]
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            if v.iter().all(|x| x.is_finite()) {
                cache.vectors.insert(k, v);
            }
        }
        cache
    }

    /// Whether `bytes` is an embedding cache as [`EmbeddingCache::save`] writes it (magic,
    /// header, whole entries), for any model.
    pub fn is_cache(bytes: &[u8]) -> bool {
        if bytes.len() < 14 || &bytes[..8] != CACHE_MAGIC {
            return false;
        }
        let fp = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
        let head = 10 + fp + 4;
        let Some(d) = bytes.get(10 + fp..head) else {
            return false;
        };
        let dims = u32::from_le_bytes([d[0], d[1], d[2], d[3]]) as usize;
        (1..=65_536).contains(&dims) && (bytes.len() - head).is_multiple_of(16 + 4 * dims)
    }

    /// The cached vector of `text`.
    pub fn get(&self, text: &str) -> Option<&Vec<f32>> {
        self.vectors.get(&key(text))
    }

    /// Remembers the vector of `text`.
    pub fn insert(&mut self, text: &str, v: Vec<f32>) {
        if v.len() == self.dims {
            self.vectors.insert(key(text), v);
        }
    }

    /// Number of cached vectors.
    pub fn len(&self) -> usize {
        self.vectors.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.vectors.is_empty()
    }

    /// Writes the cache (entries in key order, so equal caches give equal files), through a
    /// temporary file and a rename.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        let fp = self.fingerprint.as_bytes();
        let mut out = Vec::with_capacity(16 + self.vectors.len() * (16 + 4 * self.dims));
        out.extend_from_slice(CACHE_MAGIC);
        out.extend_from_slice(&(fp.len() as u16).to_le_bytes());
        out.extend_from_slice(fp);
        out.extend_from_slice(&(self.dims as u32).to_le_bytes());
        let mut keys: Vec<&[u8; 16]> = self.vectors.keys().collect();
        keys.sort();
        for k in keys {
            out.extend_from_slice(k);
            for x in &self.vectors[k] {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        let temp = match (path.parent(), path.file_name()) {
            (Some(dir), Some(name)) => dir.join(owned::temp_name(&name.to_string_lossy())),
            _ => return Err(io::Error::other("the cache path has no file name")),
        };
        write_atomic(path, &temp, &out, false)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn tag(dims: usize) -> ModelTag {
        ModelTag {
            id: "m".into(),
            dims,
            fingerprint: "ab".repeat(32),
        }
    }

    #[test]
    fn cache_round_trips_and_ignores_other_models_and_damage() {
        let dir = std::env::temp_dir().join(format!("scry-cache-{}", crate::lock::process_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(CACHE_FILE);
        let mut c = EmbeddingCache::new(&tag(3));
        c.insert("hello", vec![1.0, 2.0, 3.0]);
        c.insert("wrong size", vec![1.0]);
        c.save(&path).unwrap();
        let back = EmbeddingCache::load(&path, &tag(3));
        assert_eq!(back.len(), 1);
        assert_eq!(back.get("hello").unwrap(), &vec![1.0, 2.0, 3.0]);
        assert!(back.get("other").is_none());
        assert!(EmbeddingCache::load(&path, &tag(4)).is_empty());
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.pop();
        std::fs::write(&path, &bytes).unwrap();
        assert!(EmbeddingCache::load(&path, &tag(3)).is_empty());
        assert!(!EmbeddingCache::is_cache(&bytes));
        c.save(&path).unwrap();
        assert!(EmbeddingCache::is_cache(&std::fs::read(&path).unwrap()));
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "a temporary file left"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
