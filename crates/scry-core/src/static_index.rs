//! Static indexes for web sites, loaded chunk by chunk (Pagefind's model).
//!
//! [`Engine::export_static`] turns an index into immutable files named by their content hash:
//!
//! - `meta/<id>.bin` — loaded first: the analyzer, metric and model, every document's id and
//!   metadata (filters run before anything else loads), each field's term dictionary with
//!   document frequencies and per-document lengths (so BM25 statistics are exact), and the tables
//!   below;
//! - `post/<id>.bin` — the postings of a range of one field's terms;
//! - `docs/<id>.bin` — the stored text of a range of documents (titles, snippets);
//! - `vec/<id>.bin` — the passage vectors (loaded by the first vector or hybrid query).
//!
//! [`Engine::attach_static`] adds such an index to an engine as one segment whose parts are
//! missing. A search that needs a missing part fails with [`CoreError::ChunksNeeded`] naming
//! the chunks; the caller fetches them, hands them to [`Engine::load_chunk`] (which checks each
//! against its name) and asks again. Once loaded, answers are exactly those of the exported
//! index. Documents added to the engine later live in ordinary segments beside it.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use crate::bm25::field::FieldIndex;
use crate::bm25::{FIELD_COUNT, TextQuery, TextSegment};
use crate::codec::{Reader, put_bytes, put_str, put_varint};
use crate::document::Document;
use crate::engine::{Engine, SegState};
use crate::error::{CoreError, Result};
use crate::manifest::Manifest;
use crate::segment::format::{self, content_id};
use crate::segment::{Segment, docs};
use crate::vector::VectorSegment;

/// Largest vector dimension a static index may declare.
const MAX_DIMS: usize = 65_536;

/// Magic bytes of a static index's meta file.
pub const META_MAGIC: &[u8; 8] = b"SCRYSTM\0";
/// Magic bytes of a postings chunk.
pub const POSTINGS_MAGIC: &[u8; 8] = b"SCRYSTP\0";
/// Magic bytes of a documents chunk.
pub const DOCS_MAGIC: &[u8; 8] = b"SCRYSTD\0";
/// Magic bytes of a vectors chunk.
pub const VECTORS_MAGIC: &[u8; 8] = b"SCRYSTV\0";
/// Newest static index format this build writes and reads.
pub const STATIC_VERSION: u16 = 1;
/// Storage key of the ids removed from static indexes (committed with the manifest).
pub const STATIC_DELETES_KEY: &str = "static-deletes";
/// Magic bytes of the static deletes record.
pub const STATIC_DELETES_MAGIC: &[u8; 8] = b"SCRYSDL\0";

/// Ids of static index documents removed or replaced locally. Kept by document id, not per
/// index file, so that they outlive a redeploy of the static index (its files are renamed by
/// content whenever anything in it changes).
pub(crate) type StaticDeletes = BTreeSet<String>;

/// Decodes the record written under [`STATIC_DELETES_KEY`].
pub(crate) fn decode_static_deletes(bytes: &[u8]) -> Result<StaticDeletes> {
    let what = "static index deletes";
    let (_, body) = format::open(bytes, STATIC_DELETES_MAGIC, STATIC_VERSION, what)?;
    let bad = |e: crate::codec::DecodeError| CoreError::Corrupt {
        what: what.into(),
        reason: e.to_string(),
    };
    let mut r = Reader::new(body);
    let mut out = StaticDeletes::new();
    for _ in 0..r.count(1).map_err(bad)? {
        out.insert(r.str().map_err(bad)?.to_owned());
    }
    if !r.is_empty() {
        return Err(CoreError::Corrupt {
            what: what.into(),
            reason: format!("{} trailing bytes", r.remaining()),
        });
    }
    Ok(out)
}

/// How a static index is cut into chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportParams {
    /// A postings chunk closes once it holds at least this many bytes (default 24 KiB).
    pub postings_chunk_bytes: usize,
    /// A documents chunk closes once it holds at least this many bytes (default 12 KiB).
    pub docs_chunk_bytes: usize,
}

impl Default for ExportParams {
    fn default() -> Self {
        Self {
            postings_chunk_bytes: 24 * 1024,
            docs_chunk_bytes: 12 * 1024,
        }
    }
}

/// One file of a static index: a path relative to the index's folder, and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticFile {
    /// `meta/…`, `post/…`, `docs/…` or `vec/…` + `<content id>.bin`.
    pub name: String,
    /// The sealed (checksummed, versioned) content.
    pub bytes: Vec<u8>,
}

/// What [`Engine::export_static`] produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticBundle {
    /// Name of the meta file (the entry point).
    pub meta: String,
    /// Every file, the meta file first.
    pub files: Vec<StaticFile>,
    /// Live documents.
    pub documents: usize,
    /// Passage vectors.
    pub vectors: usize,
}

/// A chunk of a lazily loaded segment: the first term (postings) or document (docs) it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChunkRef {
    start: u32,
    name: String,
    loaded: bool,
}

/// Storage key prefix of the chunks of stored segments: a stored segment is written in the
/// static layout (its meta file under `seg/<id>`, every chunk under `chunk/<name>`), so that
/// opening an index reads only the meta files and queries load the chunks they need.
pub const STORED_CHUNK_PREFIX: &str = "chunk/";

/// Which parts of a segment in the chunked layout exist and which are loaded: a static index,
/// or a stored segment opened lazily (`owner`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lazy {
    meta: String,
    /// The id of the stored segment (its storage keys are `chunk/<name>`); `None` for a static
    /// index (its chunks are fetched from its URL).
    owner: Option<String>,
    fields: [Vec<ChunkRef>; FIELD_COUNT],
    docs: Vec<ChunkRef>,
    vectors: Option<ChunkRef>,
    vector_rows: usize,
    /// The model the meta file says made its vectors.
    model: Option<crate::embed::ModelTag>,
}

impl Lazy {
    /// Passage vectors of the segment, loaded or not.
    pub(crate) fn vector_rows(&self) -> usize {
        self.vector_rows
    }

    /// Whether the stored text of local document `doc` is loaded.
    pub(crate) fn doc_loaded(&self, doc: u32) -> bool {
        chunk_of(&self.docs, doc).is_some_and(|c| self.docs[c].loaded)
    }

    /// The stored segment this is, if it is one.
    pub(crate) fn owner(&self) -> Option<&str> {
        self.owner.as_deref()
    }

    /// Every chunk loaded.
    pub(crate) fn complete(&self) -> bool {
        self.all().all(|c| c.loaded)
    }

    /// The name a caller asks for: a stored segment's chunk by its storage key.
    fn key(&self, chunk: &ChunkRef) -> String {
        match self.owner {
            Some(_) => format!("{STORED_CHUNK_PREFIX}{}", chunk.name),
            None => chunk.name.clone(),
        }
    }

    /// The storage keys of a stored segment's chunks (loaded or not).
    pub(crate) fn chunk_keys(&self) -> Vec<String> {
        self.all().map(|c| self.key(c)).collect()
    }

    fn all(&self) -> impl Iterator<Item = &ChunkRef> {
        self.slots().map(|(_, c)| c)
    }

    /// Every chunk with where it belongs.
    fn slots(&self) -> impl Iterator<Item = (Slot, &ChunkRef)> {
        let postings = self.fields.iter().enumerate().flat_map(|(f, table)| {
            table
                .iter()
                .enumerate()
                .map(move |(c, chunk)| (Slot::Postings(f, c), chunk))
        });
        let docs = self
            .docs
            .iter()
            .enumerate()
            .map(|(c, chunk)| (Slot::Docs(c), chunk));
        let vectors = self.vectors.iter().map(|v| (Slot::Vectors, v));
        postings.chain(docs).chain(vectors)
    }
}

/// The chunk holding item `i` (chunks start at ascending items, the first at 0).
fn chunk_of(chunks: &[ChunkRef], i: u32) -> Option<usize> {
    chunks.partition_point(|c| c.start <= i).checked_sub(1)
}

fn name_for(kind: &str, bytes: &[u8]) -> String {
    format!("{kind}/{}.bin", content_id(bytes))
}

fn valid_name(kind: &str, name: &str) -> bool {
    name.strip_prefix(kind)
        .and_then(|n| n.strip_prefix('/'))
        .and_then(|n| n.strip_suffix(".bin"))
        .is_some_and(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// What a chunk is called in errors: the static index file, or the stored segment it belongs to.
fn chunk_what(owner: Option<&str>, name: &str) -> String {
    match owner {
        Some(id) => format!("segment {id} (chunk {name})"),
        None => format!("static index file {name}"),
    }
}

/// Reads a chunk table: ascending starts below `limit` (the first 0), names of `kind`.
fn read_table(
    r: &mut Reader<'_>,
    kind: &str,
    limit: u32,
) -> std::result::Result<Vec<ChunkRef>, String> {
    let n = r.count(2).map_err(|e| e.to_string())?;
    let mut out: Vec<ChunkRef> = Vec::with_capacity(n);
    for i in 0..n {
        let start = r.varint_u32().map_err(|e| e.to_string())?;
        let name = r.str().map_err(|e| e.to_string())?.to_owned();
        let ordered = if i == 0 {
            start == 0
        } else {
            out.last().is_some_and(|p| p.start < start)
        };
        if !ordered || start >= limit {
            return Err(format!(
                "{kind} chunk table out of order or past its {limit} items"
            ));
        }
        if !valid_name(kind, &name) {
            return Err(format!("bad chunk name {name:?}"));
        }
        out.push(ChunkRef {
            start,
            name,
            loaded: false,
        });
    }
    if (limit > 0) == out.is_empty() {
        return Err(format!(
            "{kind} chunk table does not cover its {limit} items"
        ));
    }
    Ok(out)
}

fn put_table(out: &mut Vec<u8>, table: &[(u32, String)]) {
    put_varint(out, table.len() as u64);
    for (start, name) in table {
        put_varint(out, u64::from(*start));
        put_str(out, name);
    }
}

/// Decodes a meta file into the manifest-like header, a segment without postings, text or
/// vectors, and its chunk tables.
fn decode_meta(name: &str, bytes: &[u8], owner: Option<&str>) -> Result<(Manifest, Segment, Lazy)> {
    let what = chunk_what(owner, name);
    let bad = |e: String| CoreError::Corrupt {
        what: what.clone(),
        reason: e,
    };
    if !valid_name("meta", name) || content_id(bytes) != name[5..37] {
        return Err(bad("content does not match its name".into()));
    }
    let (_, body) = format::open(bytes, META_MAGIC, STATIC_VERSION, &what)?;
    let mut r = Reader::new(body);
    let manifest = Manifest::decode(r.bytes().map_err(|e| bad(e.to_string()))?)?;
    let stubs = docs::decode(&mut r).map_err(|e| bad(e.to_string()))?;
    let mut ids = HashSet::with_capacity(stubs.len());
    if !stubs.iter().all(|d| ids.insert(d.id.as_str())) {
        return Err(bad("duplicate document id".into()));
    }
    let n = stubs.len() as u32;
    let mut fields: [FieldIndex; FIELD_COUNT] = Default::default();
    let mut tables: [Vec<ChunkRef>; FIELD_COUNT] = Default::default();
    for (f, t) in fields.iter_mut().zip(&mut tables) {
        *f = FieldIndex::decode_skeleton(&mut r, n).map_err(|e| bad(e.to_string()))?;
        *t = read_table(&mut r, "post", f.dict().len() as u32).map_err(bad)?;
    }
    let doc_table = read_table(&mut r, "docs", n).map_err(bad)?;
    let vectors = match r.u8().map_err(|e| bad(e.to_string()))? {
        0 => None,
        1 => {
            let vname = r.str().map_err(|e| bad(e.to_string()))?.to_owned();
            if !valid_name("vec", &vname) {
                return Err(bad(format!("bad chunk name {vname:?}")));
            }
            Some(ChunkRef {
                start: 0,
                name: vname,
                loaded: false,
            })
        }
        _ => return Err(bad("bad vectors flag".into())),
    };
    let vector_rows = r.varint().map_err(|e| bad(e.to_string()))? as usize;
    if !r.is_empty() {
        return Err(bad(format!("{} trailing bytes", r.remaining())));
    }
    if vectors.is_some() != (vector_rows > 0) || (vector_rows > 0 && manifest.model.is_none()) {
        return Err(bad(
            "vectors without a model, or a vectors chunk without rows".into(),
        ));
    }
    // Sizes a real index can have (the vectors chunk is checked against them when it loads).
    let dims = manifest.model.as_ref().map_or(0, |m| m.dims);
    if dims > MAX_DIMS || vector_rows > u32::MAX as usize {
        return Err(bad(format!(
            "implausible vectors: {vector_rows} rows of dimension {dims}"
        )));
    }
    let segment = Segment {
        docs: stubs,
        text: TextSegment::from_fields(fields),
        vectors: VectorSegment::default(),
    };
    let lazy = Lazy {
        meta: name.to_owned(),
        owner: owner.map(str::to_owned),
        fields: tables,
        docs: doc_table,
        vectors,
        vector_rows,
        model: manifest.model.clone(),
    };
    Ok((manifest, segment, lazy))
}

/// Cuts `seg` into the chunked layout: the meta file (headed by `header`) and every chunk.
/// Deterministic: the same segment gives the same files.
pub(crate) fn encode_chunked(
    seg: &Segment,
    header: &Manifest,
    params: &ExportParams,
) -> (StaticFile, Vec<StaticFile>) {
    let mut files = Vec::new();
    let mut seal = |kind: &str, magic: &[u8; 8], body: &[u8]| {
        let bytes = format::seal(magic, STATIC_VERSION, body);
        let name = name_for(kind, &bytes);
        files.push(StaticFile {
            name: name.clone(),
            bytes,
        });
        name
    };

    let mut meta = Vec::new();
    put_bytes(&mut meta, &header.encode());
    let stubs: Vec<Document> = seg
        .docs
        .iter()
        .map(|d| Document {
            id: d.id.clone(),
            metadata: d.metadata.clone(),
            ..Default::default()
        })
        .collect();
    docs::encode(&stubs, &mut meta);

    for (fi, field) in seg.text.fields.iter().enumerate() {
        field.encode_skeleton(&mut meta);
        let mut table = Vec::new();
        let mut t = 0;
        while t < field.dict().len() {
            let start = t;
            let mut body = vec![fi as u8];
            put_varint(&mut body, start as u64);
            let mut chunk = Vec::new();
            // At least one term per chunk, whatever the size limit.
            while t < field.dict().len()
                && (t == start || chunk.len() < params.postings_chunk_bytes)
            {
                let (d, p) = field.postings_bytes(t);
                put_bytes(&mut chunk, d);
                put_bytes(&mut chunk, p);
                t += 1;
            }
            put_varint(&mut body, (t - start) as u64);
            body.extend_from_slice(&chunk);
            table.push((start as u32, seal("post", POSTINGS_MAGIC, &body)));
        }
        put_table(&mut meta, &table);
    }

    let mut table = Vec::new();
    let mut i = 0;
    while i < seg.docs.len() {
        let start = i;
        let mut size = 0;
        while i < seg.docs.len() && (i == start || size < params.docs_chunk_bytes) {
            let d = &seg.docs[i];
            size +=
                d.title.len() + d.body.len() + d.headings.iter().map(String::len).sum::<usize>();
            i += 1;
        }
        let mut body = Vec::new();
        put_varint(&mut body, start as u64);
        docs::encode(&seg.docs[start..i], &mut body);
        table.push((start as u32, seal("docs", DOCS_MAGIC, &body)));
    }
    put_table(&mut meta, &table);

    let rows = seg.vectors.rows();
    if rows > 0 {
        let mut body = Vec::new();
        seg.vectors.encode(&mut body);
        meta.push(1);
        put_str(&mut meta, &seal("vec", VECTORS_MAGIC, &body));
    } else {
        meta.push(0);
    }
    put_varint(&mut meta, rows as u64);
    let meta_bytes = format::seal(META_MAGIC, STATIC_VERSION, &meta);
    let meta = StaticFile {
        name: name_for("meta", &meta_bytes),
        bytes: meta_bytes,
    };
    (meta, files)
}

/// Where a chunk belongs in a lazy segment.
enum Slot {
    Postings(usize, usize),
    Docs(usize),
    Vectors,
}

impl Engine {
    /// Writes the live documents of this engine as a static index (see the module
    /// documentation): one segment cut into content-named chunks. Deterministic: the same
    /// index gives the same files.
    pub fn export_static(&self, params: &ExportParams) -> Result<StaticBundle> {
        if self.has_static() {
            return Err(CoreError::InvalidInput(
                "an engine holding a static index cannot export one".into(),
            ));
        }
        self.need_stored()?;
        let merged;
        let seg: &Segment = match self.segments.as_slice() {
            [only] if only.deleted_count == 0 => &only.seg,
            _ => {
                let parts: Vec<(&Segment, &[bool])> = self
                    .segments
                    .iter()
                    .map(|s| (s.seg.as_ref(), s.deleted.as_slice()))
                    .collect();
                merged = Segment::merge(&parts, self.dims(), &self.config.vectors);
                &merged
            }
        };
        // Not the commit generation: the same documents give the same files.
        let (meta, mut files) = encode_chunked(seg, &self.header(), params);
        let meta_name = meta.name.clone();
        files.insert(0, meta);
        Ok(StaticBundle {
            meta: meta_name,
            files,
            documents: seg.docs.len(),
            vectors: seg.vectors.rows(),
        })
    }

    /// Adds the static index whose meta file is `bytes` (named `name`, as listed in the
    /// bundle) as a segment that loads its parts on demand. An empty engine takes the index's
    /// analyzer, metric and model; otherwise they must match. Attaching the same index twice
    /// does nothing.
    pub fn attach_static(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        if self.segments.iter().any(|s| {
            s.lazy
                .as_ref()
                .is_some_and(|l| l.owner.is_none() && l.meta == name)
        }) {
            return Ok(());
        }
        let (manifest, segment, lazy) = decode_meta(name, bytes, None)?;
        // Everything is checked before anything changes.
        let adopt = self.segments.is_empty() && self.model.is_none();
        if !adopt
            && (manifest.analyzer != self.config.analyzer
                || manifest.metric != self.config.vectors.metric)
        {
            return Err(CoreError::InvalidInput(
                "the static index was built with another analyzer or metric than this index".into(),
            ));
        }
        if let Some(m) = &manifest.model {
            self.check_model(m)?;
        }
        // Documents removed or replaced locally (before a reload, or a redeploy of the static
        // index) stay removed: the local version of an id shadows the static one.
        let deleted: Vec<bool> = segment
            .docs
            .iter()
            .map(|d| self.static_deletes.contains(&d.id) || self.ids.contains_key(&d.id))
            .collect();
        if adopt {
            self.config.analyzer = manifest.analyzer.clone();
            self.analyzer = crate::text::Analyzer::new(manifest.analyzer.clone());
            self.config.vectors.metric = manifest.metric;
        }
        if self.model.is_none() {
            self.model = manifest.model;
        }
        let deleted_count = deleted.iter().filter(|d| **d).count() as u32;
        self.segments.push(SegState {
            seg: Arc::new(segment),
            stored: None,
            chunks: Vec::new(),
            deleted,
            deleted_count,
            base: 0,
            lazy: Some(Box::new(lazy)),
            serial: crate::engine::next_serial(),
        });
        self.rebase();
        self.rebuild_ids();
        Ok(())
    }

    /// The static deletes record for a commit: the ids removed from attached static indexes
    /// plus those remembered from earlier ones. `None` when there are none.
    pub(crate) fn encode_static_deletes(&self) -> Option<Vec<u8>> {
        let mut all = self.static_deletes.clone();
        for s in &self.segments {
            if s.lazy.is_some() {
                all.extend(
                    s.seg
                        .docs
                        .iter()
                        .zip(&s.deleted)
                        .filter(|(_, d)| **d)
                        .map(|(doc, _)| doc.id.clone()),
                );
            }
        }
        if all.is_empty() {
            return None;
        }
        let mut body = Vec::new();
        put_varint(&mut body, all.len() as u64);
        for id in &all {
            put_str(&mut body, id);
        }
        Some(format::seal(STATIC_DELETES_MAGIC, STATIC_VERSION, &body))
    }

    /// Documents and passage vectors of the attached static indexes, as their meta files hold
    /// them (what a `scry.json`'s counts must say).
    pub fn static_counts(&self) -> (usize, usize) {
        self.segments
            .iter()
            .filter_map(|s| {
                let l = s.lazy.as_deref().filter(|l| l.owner.is_none())?;
                Some((s.seg.doc_count() as usize, l.vector_rows()))
            })
            .fold((0, 0), |(d, v), (sd, sv)| (d + sd, v + sv))
    }

    /// The model the attached static index's meta file names (its vectors'), if any.
    pub fn static_model(&self) -> Option<&crate::embed::ModelTag> {
        self.segments
            .iter()
            .filter_map(|s| s.lazy.as_deref().filter(|l| l.owner.is_none()))
            .find_map(|l| l.model.as_ref())
    }

    /// Whether a static index is attached.
    pub fn has_static(&self) -> bool {
        self.segments
            .iter()
            .any(|s| s.lazy.as_ref().is_some_and(|l| l.owner.is_none()))
    }

    /// Whether any segment has parts not loaded (a static index, or a stored segment opened
    /// lazily).
    pub(crate) fn has_lazy(&self) -> bool {
        self.segments.iter().any(|s| s.lazy.is_some())
    }

    /// `ChunksNeeded` unless the vectors of every attached static index are loaded (for what
    /// reads document vectors outside a vector search: clustering, MMR, evaluations).
    pub(crate) fn need_vectors(&self) -> Result<()> {
        let mut missing = BTreeSet::new();
        if self.model.is_some() {
            self.missing_vectors(&mut missing);
        }
        need(missing)
    }

    /// `ChunksNeeded` unless the postings that full-text queries `texts` read are loaded (all
    /// of them in one answer).
    pub(crate) fn need_postings_of(&self, texts: &[String]) -> Result<()> {
        if !self.has_lazy() {
            return Ok(());
        }
        let segments: Vec<&TextSegment> = self.segments.iter().map(|s| &s.seg.text).collect();
        let mut missing = BTreeSet::new();
        for text in texts {
            let q = crate::bm25::build_query(&self.analyzer, text, &segments, &self.config.bm25);
            self.missing_postings(&q, &mut missing);
        }
        need(missing)
    }

    /// `ChunksNeeded` unless every stored segment is loaded whole (for what reads every
    /// document: exports, model migrations, a write-back after the storage was lost).
    pub fn need_stored(&self) -> Result<()> {
        need(self.stored_chunks_missing().into_iter().collect())
    }

    /// The storage keys of the chunks of stored segments that are not loaded yet (opening an
    /// index reads only their meta files; the package loads the rest in the background).
    pub fn stored_chunks_missing(&self) -> Vec<String> {
        self.segments
            .iter()
            .filter_map(|s| s.lazy.as_deref())
            .filter(|l| l.owner.is_some())
            .flat_map(|l| l.all().filter(|c| !c.loaded).map(|c| l.key(c)))
            .collect()
    }

    /// Every chunk of the attached static indexes, with whether it is loaded (for prefetching
    /// or caching them all, e.g. for offline use).
    pub fn static_chunks(&self) -> Vec<(String, bool)> {
        self.segments
            .iter()
            .filter_map(|s| s.lazy.as_deref())
            .filter(|l| l.owner.is_none())
            .flat_map(Lazy::all)
            .map(|c| (c.name.clone(), c.loaded))
            .collect()
    }

    /// Loads one chunk: of an attached static index by its name, or of a stored segment by its
    /// storage key (`chunk/…`), after checking its content against its name, envelope and
    /// structure. Loading a loaded chunk does nothing. A stored segment whose last chunk loads
    /// becomes an ordinary segment (merged like any other).
    pub fn load_chunk(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let (stored, bare) = match name.strip_prefix(STORED_CHUNK_PREFIX) {
            Some(bare) => (true, bare),
            None => (false, name),
        };
        // The same content can be a chunk of several segments: it fills every one.
        let mut targets = Vec::new();
        for (si, s) in self.segments.iter().enumerate() {
            let Some(lazy) = s.lazy.as_deref() else {
                continue;
            };
            if lazy.owner.is_some() != stored {
                continue;
            }
            targets.extend(
                lazy.slots()
                    .filter(|(_, c)| c.name == bare)
                    .map(|(slot, c)| (si, slot, c.loaded)),
            );
        }
        if targets.is_empty() {
            // A chunk of a stored segment loaded whole meanwhile (by another read).
            if stored
                && self
                    .segments
                    .iter()
                    .any(|s| s.chunks.iter().any(|k| k == name))
            {
                return Ok(());
            }
            return Err(CoreError::InvalidInput(format!(
                "{name:?} is not a chunk of an attached static index or an open stored segment"
            )));
        }
        let dims = self.dims();
        for (si, slot, loaded) in targets {
            if loaded {
                continue;
            }
            let st = &mut self.segments[si];
            let Some(lazy) = st.lazy.as_deref_mut() else {
                continue;
            };
            fill(Arc::make_mut(&mut st.seg), lazy, slot, bare, bytes, dims)?;
            if lazy.owner.is_some() && lazy.complete() {
                st.lazy = None;
            }
        }
        Ok(())
    }

    /// Postings chunks a text query needs that are not loaded.
    pub(crate) fn missing_postings(&self, query: &TextQuery, out: &mut BTreeSet<String>) {
        for s in &self.segments {
            let Some(lazy) = s.lazy.as_deref() else {
                continue;
            };
            for (f, table) in lazy.fields.iter().enumerate() {
                let dict = s.seg.text.fields[f].dict();
                for term in query.all_terms() {
                    if let Some(t) = dict.get(term)
                        && let Some(c) = chunk_of(table, t as u32)
                        && !table[c].loaded
                    {
                        out.insert(lazy.key(&table[c]));
                    }
                }
            }
        }
    }

    /// The vectors chunks not loaded.
    pub(crate) fn missing_vectors(&self, out: &mut BTreeSet<String>) {
        for s in &self.segments {
            if let Some(lazy) = s.lazy.as_deref()
                && let Some(v) = lazy.vectors.as_ref()
                && !v.loaded
            {
                out.insert(lazy.key(v));
            }
        }
    }

    /// The documents chunks holding these slots that are not loaded.
    pub(crate) fn missing_docs(
        &self,
        slots: impl Iterator<Item = u32>,
        out: &mut BTreeSet<String>,
    ) {
        for slot in slots {
            let (s, local) = self.locate(slot);
            if let Some(lazy) = s.lazy.as_deref()
                && let Some(c) = chunk_of(&lazy.docs, local)
                && !lazy.docs[c].loaded
            {
                out.insert(lazy.key(&lazy.docs[c]));
            }
        }
    }
}

/// Checks one chunk (`name`, without the storage prefix) against its name, envelope and
/// structure and fills its part of `seg`.
fn fill(
    seg: &mut Segment,
    lazy: &mut Lazy,
    slot: Slot,
    name: &str,
    bytes: &[u8],
    dims: usize,
) -> Result<()> {
    let what = chunk_what(lazy.owner.as_deref(), name);
    let bad = |e: String| CoreError::Corrupt {
        what: what.clone(),
        reason: e,
    };
    let id = name.rsplit('/').next().and_then(|n| n.strip_suffix(".bin"));
    if id != Some(content_id(bytes).as_str()) {
        return Err(bad("content does not match its name".into()));
    }
    match slot {
        Slot::Postings(f, c) => {
            let (_, body) = format::open(bytes, POSTINGS_MAGIC, STATIC_VERSION, &what)?;
            let mut r = Reader::new(body);
            let field = r.u8().map_err(|e| bad(e.to_string()))? as usize;
            let start = r.varint_u32().map_err(|e| bad(e.to_string()))?;
            let count = r.count(2).map_err(|e| bad(e.to_string()))?;
            let table = &mut lazy.fields[f];
            let end = table
                .get(c + 1)
                .map_or(seg.text.fields[f].dict().len(), |n| n.start as usize);
            if field != f || start != table[c].start || start as usize + count != end {
                return Err(bad("holds other terms than the index lists".into()));
            }
            let mut postings = Vec::with_capacity(count);
            for _ in 0..count {
                let d = r.bytes().map_err(|e| bad(e.to_string()))?;
                let p = r.bytes().map_err(|e| bad(e.to_string()))?;
                postings.push((d, p));
            }
            if !r.is_empty() {
                return Err(bad(format!("{} trailing bytes", r.remaining())));
            }
            seg.text.fields[f]
                .fill(start as usize, &postings)
                .map_err(bad)?;
            table[c].loaded = true;
        }
        Slot::Docs(c) => {
            let (_, body) = format::open(bytes, DOCS_MAGIC, STATIC_VERSION, &what)?;
            let mut r = Reader::new(body);
            let start = r.varint_u32().map_err(|e| bad(e.to_string()))? as usize;
            let loaded = docs::decode(&mut r).map_err(|e| bad(e.to_string()))?;
            let end = lazy
                .docs
                .get(c + 1)
                .map_or(seg.docs.len(), |n| n.start as usize);
            let fits = start == lazy.docs[c].start as usize
                && start + loaded.len() == end
                && r.is_empty()
                && loaded
                    .iter()
                    .zip(&seg.docs[start..end])
                    .all(|(a, b)| a.id == b.id && a.metadata == b.metadata);
            if !fits {
                return Err(bad("holds other documents than the index lists".into()));
            }
            for (i, d) in loaded.into_iter().enumerate() {
                seg.docs[start + i] = d;
            }
            lazy.docs[c].loaded = true;
        }
        Slot::Vectors => {
            let (_, body) = format::open(bytes, VECTORS_MAGIC, STATIC_VERSION, &what)?;
            let mut r = Reader::new(body);
            let v =
                VectorSegment::decode(&mut r, seg.doc_count()).map_err(|e| bad(e.to_string()))?;
            if !r.is_empty() || v.rows() != lazy.vector_rows || v.dims() != dims {
                return Err(bad(format!(
                    "{} vectors of dimension {}; the index lists {} of dimension {dims}",
                    v.rows(),
                    v.dims(),
                    lazy.vector_rows
                )));
            }
            seg.vectors = v;
            if let Some(v) = lazy.vectors.as_mut() {
                v.loaded = true;
            }
        }
    }
    Ok(())
}

/// Reads a stored segment in the chunked layout: its meta file (`bytes`, stored under
/// `seg/<id>`) checked and decoded, every other part missing. The header's analyzer and model
/// are the index's (the manifest's), so only the segment is kept.
pub(crate) fn open_stored(id: &str, bytes: &[u8]) -> Result<(Segment, Lazy)> {
    let (_, segment, lazy) = decode_meta(&format!("meta/{id}.bin"), bytes, Some(id))?;
    Ok((segment, lazy))
}

/// The header (analyzer, metric, model) a stored segment's meta file was written with, if the
/// file is intact: how an index was built, for rebuilding a lost manifest.
pub(crate) fn stored_header(id: &str, bytes: &[u8]) -> Result<Manifest> {
    let (header, _, _) = decode_meta(&format!("meta/{id}.bin"), bytes, Some(id))?;
    Ok(header)
}

/// Loads every chunk of a stored segment opened by [`open_stored`] from `storage` (checking
/// each): the whole segment, as it was written.
pub(crate) async fn load_stored<S: crate::storage::Storage>(
    storage: &S,
    mut seg: Segment,
    mut lazy: Lazy,
    dims: usize,
) -> Result<Segment> {
    let owner = lazy.owner.clone().unwrap_or_default();
    let slots: Vec<(Slot, String)> = lazy
        .slots()
        .map(|(slot, c)| (slot, c.name.clone()))
        .collect();
    for (slot, name) in slots {
        let key = format!("{STORED_CHUNK_PREFIX}{name}");
        let bytes = storage.get(&key).await?.ok_or_else(|| CoreError::Corrupt {
            what: chunk_what(Some(&owner), &name),
            reason: "listed in the segment but missing from storage".into(),
        })?;
        fill(&mut seg, &mut lazy, slot, &name, &bytes, dims)?;
    }
    Ok(seg)
}

/// `Ok` when nothing is missing, else [`CoreError::ChunksNeeded`].
pub(crate) fn need(missing: BTreeSet<String>) -> Result<()> {
    if missing.is_empty() {
        Ok(())
    } else {
        Err(CoreError::ChunksNeeded(missing.into_iter().collect()))
    }
}
