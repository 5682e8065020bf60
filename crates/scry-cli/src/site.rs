//! What `scry index` writes for web sites: the static index (scry-core's `export_static`) with
//! its entry file `scry.json`, and the embedding cache that lets a rebuild embed only the
//! passages whose text changed.

use std::collections::HashMap;
use std::io;
use std::path::Path;

use scry_core::segment::format::content_id;
use scry_core::{ModelTag, StaticBundle};

/// Name of the entry file browsers fetch first.
pub const ENTRY_FILE: &str = "scry.json";
/// Name of the embedding cache in an index folder.
pub const CACHE_FILE: &str = "embeddings.cache";
const CACHE_MAGIC: &[u8; 8] = b"SCRYEMB1";

/// Writes the bundle's files and `scry.json` under `dir`; returns the bytes written.
pub fn write_bundle(
    dir: &Path,
    bundle: &StaticBundle,
    model: Option<&ModelTag>,
) -> io::Result<u64> {
    let mut total = 0u64;
    let mut kinds: HashMap<&str, (usize, u64)> = HashMap::new();
    for f in &bundle.files {
        let path = dir.join(&f.name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, &f.bytes)?;
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
    let entry = serde_json::json!({
        "format": scry_core::static_index::STATIC_VERSION,
        "meta": bundle.meta,
        "documents": bundle.documents,
        "vectors": bundle.vectors,
        "model": model.map(|m| &m.id),
        "dims": model.map(|m| m.dims),
        "bytes": total,
        "chunks": chunks,
    });
    let text = serde_json::to_string_pretty(&entry).map_err(io::Error::other)?;
    std::fs::write(dir.join(ENTRY_FILE), text + "\n")?;
    Ok(total)
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

    /// Writes the cache (entries in key order, so equal caches give equal files).
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
        std::fs::write(path, out)
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
        let dir = std::env::temp_dir().join(format!("scry-cache-{}", std::process::id()));
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
        std::fs::write(&path, bytes).unwrap();
        assert!(EmbeddingCache::load(&path, &tag(3)).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
