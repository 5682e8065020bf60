//! The engine: documents in, ranked hits with snippets out. Wires the analyzer, segments (text +
//! vectors), deletes, merges, hybrid fusion, filters, diversity and persistence together.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use crate::bm25::{self, Bm25Params, ScoredSegment, TextQuery, TextScratch};
use crate::diversify::mmr;
use crate::document::{Document, MetaValue};
use crate::embed::{Embedder, ModelTag};
use crate::error::{CoreError, Result};
use crate::filter::Filter;
use crate::hybrid::{Fused, Fusion, HybridParams, fuse_unsorted};
use crate::manifest::{Manifest, SegmentEntry};
use crate::passage::{PassageParams, split};
use crate::results::{Facet, Sort};
use crate::segment::Segment;
use crate::segment::format::content_id;
use crate::snippet::{Snippet, Snippets};
use crate::static_index::{STORED_CHUNK_PREFIX, need};
use crate::storage::{Batch, Storage};
use crate::text::{Analyzer, AnalyzerConfig};
use crate::vector::{VectorParams, VectorQuery, VectorScratch, check_vector};

/// Longest accepted query, in bytes.
pub const MAX_QUERY_BYTES: usize = 4096;
/// Largest accepted `k`.
pub const MAX_K: usize = 1000;
/// Storage key of the manifest.
pub const MANIFEST_KEY: &str = "manifest";
/// Storage key of the manifest's backup: the same bytes, written in the same atomic batch, so
/// that a lost or damaged manifest record can be restored exactly ([`Engine::repair`]).
pub const MANIFEST_BACKUP_KEY: &str = "manifest.bak";
/// Storage key prefix of segment blobs.
pub const SEGMENT_PREFIX: &str = "seg/";
/// Storage key prefix of the documents store: one record per segment, under the segment's id
/// ([`Segment::encode_docstore`]), from which [`Engine::repair`] rebuilds a damaged segment.
pub const DOCSTORE_PREFIX: &str = "docstore/";

/// Whether `key` names a record of an index's segments (a segment blob or meta file, a chunk,
/// a documents-store record): the only kinds of record garbage collection may delete.
pub fn is_index_record(key: &str) -> bool {
    crate::storage::check_key(key).is_ok()
        && [SEGMENT_PREFIX, DOCSTORE_PREFIX, STORED_CHUNK_PREFIX]
            .iter()
            .any(|p| key.len() > p.len() && key.starts_with(p))
}

/// The storage keys of a stored segment: its blob and its documents-store record.
fn segment_keys(id: &str) -> [String; 2] {
    [
        format!("{SEGMENT_PREFIX}{id}"),
        format!("{DOCSTORE_PREFIX}{id}"),
    ]
}

/// What [`Engine::repair`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RepairInfo {
    /// Segments rebuilt from the documents store.
    pub segments: usize,
    /// Documents those segments hold (removed ones included until a merge drops them); when
    /// the manifest itself was restored, the live documents of the whole restored index.
    pub documents: usize,
    /// The generation committed by the repair (unchanged when nothing needed repair).
    pub generation: u64,
    /// What happened to the manifest.
    pub manifest: ManifestRepair,
}

/// How [`Engine::repair`] found the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ManifestRepair {
    /// Present and intact (or no index at all).
    #[default]
    Intact,
    /// Missing or damaged; restored from its backup record (exactly what was committed).
    FromBackup,
    /// Missing or damaged, and so was its backup: rebuilt from the documents store's records.
    /// Documents removed before the damage may be back, and where an id was stored in several
    /// records one of them was kept.
    Rebuilt,
}

impl ManifestRepair {
    /// A stable name: `intact`, `backup`, `rebuilt`.
    pub fn as_str(self) -> &'static str {
        match self {
            ManifestRepair::Intact => "intact",
            ManifestRepair::FromBackup => "backup",
            ManifestRepair::Rebuilt => "rebuilt",
        }
    }
}

/// Engine-wide settings.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EngineConfig {
    /// Text analysis (fixed for the life of an index).
    pub analyzer: AnalyzerConfig,
    /// Full-text ranking.
    pub bm25: Bm25Params,
    /// Vector search.
    pub vectors: VectorParams,
    /// Passage splitting for embeddings.
    pub passages: PassageParams,
    /// Hybrid fusion.
    pub hybrid: HybridParams,
    /// Snippets and merging.
    pub limits: Limits,
}

/// Snippet size and merge policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Limits {
    /// Words per snippet. Default 24; valid `1..=200`.
    pub snippet_words: usize,
    /// Segments of similar size merged at once. Default 6; valid `2..=64`.
    pub merge_factor: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            snippet_words: 24,
            merge_factor: 6,
        }
    }
}

impl EngineConfig {
    /// Validates every part.
    pub fn validate(self) -> Result<Self> {
        self.bm25.validate()?;
        self.vectors.validate()?;
        self.passages.validate()?;
        self.hybrid.validate()?;
        if !(1..=200).contains(&self.limits.snippet_words) {
            return Err(CoreError::InvalidParameter {
                name: "snippetWords",
                reason: format!("{} is outside 1..=200", self.limits.snippet_words),
            });
        }
        if !(2..=64).contains(&self.limits.merge_factor) {
            return Err(CoreError::InvalidParameter {
                name: "mergeFactor",
                reason: format!("{} is outside 2..=64", self.limits.merge_factor),
            });
        }
        Ok(self)
    }
}

/// Which retrievers answer a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Mode {
    /// Full text (BM25) only.
    Text,
    /// Vectors only.
    Vector,
    /// Both, fused (falls back to text when there is no query vector or no vectors).
    #[default]
    Hybrid,
}

/// Per-query options.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchOptions {
    /// Number of hits (default 10, range `1..=1000`).
    pub k: usize,
    /// Retrievers to use.
    pub mode: Mode,
    /// Only documents whose metadata matches.
    pub filter: Option<Filter>,
    /// MMR trade-off in `0.0..=1.0` (1 = plain ranking); `None` disables diversification.
    pub diversify: Option<f32>,
    /// Hits skipped before the `k` returned (`offset` 10 with `k` 10: the second page).
    /// Default 0; at most [`crate::results::MAX_OFFSET`].
    pub offset: usize,
    /// Orders the match set by a metadata field instead of by relevance.
    pub sort: Option<Sort>,
    /// Counts the match set ([`Results::total`]).
    pub count: bool,
    /// Metadata fields whose values are counted over the match set ([`Results::facets`]).
    pub facets: Vec<String>,
    /// Metadata returned with each hit ([`Hit::metadata`]): `None` none, `Some` of an empty list
    /// every field, else the fields named (at most [`crate::results::MAX_FACETS`]).
    pub metadata: Option<Vec<String>>,
}

impl SearchOptions {
    /// `k` results, hybrid, no filter.
    pub fn top(k: usize) -> Self {
        Self {
            k,
            ..Default::default()
        }
    }

    /// Whether the search enumerates its whole match set (see [`crate::results`]): for a
    /// total, facets or a sort.
    fn enumerates(&self) -> bool {
        self.count || !self.facets.is_empty() || self.sort.is_some()
    }

    /// How many ranked results the page needs: `offset + k`.
    fn depth(&self) -> usize {
        self.offset.saturating_add(self.k)
    }
}

/// One page of a search's results ([`Engine::query_with`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Results {
    /// The hits of the page.
    pub hits: Vec<Hit>,
    /// The size of the match set ([`crate::results`]), when the search counted it (`count`,
    /// `facets` or `sort`).
    pub total: Option<usize>,
    /// Value counts over the match set of each field in `facets`, in that order.
    pub facets: Vec<Facet>,
}

/// The full-text and vector rankings of one query before fusion ([`Engine::retrieve`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Retrieved {
    /// `(document id, BM25 score)`, best first.
    pub text: Vec<(String, f32)>,
    /// `(document id, similarity of its best passage)`, best first; empty without a query
    /// vector or an index without vectors.
    pub vector: Vec<(String, f32)>,
    /// The most a document could score for the full-text query ([`bm25::ceiling`]), which
    /// [`crate::hybrid::fuse`] takes.
    pub text_ceiling: f32,
}

/// Vector candidates of flat segments found outside the engine (scry-gpu's exact scan), by
/// segment serial ([`FlatSegment::serial`]): the rows with the best approximate scores, to be
/// re-scored exactly by [`Engine::search_with_candidates`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlatCandidates {
    rows: HashMap<u64, Vec<u32>>,
}

impl FlatCandidates {
    /// No candidates, no segment covered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks segment `serial` as scanned (even if none of its rows is a candidate).
    pub fn cover(&mut self, serial: u64) {
        self.rows.entry(serial).or_default();
    }

    /// Adds a candidate row of segment `serial` (covering it).
    pub fn push(&mut self, serial: u64, row: u32) {
        self.rows.entry(serial).or_default().push(row);
    }

    /// The candidate rows of segment `serial`, if it was scanned.
    pub fn rows_for(&self, serial: u64) -> Option<&[u32]> {
        self.rows.get(&serial).map(Vec::as_slice)
    }
}

/// A flat segment's vectors, as [`Engine::flat_segments`] shows them to a copy kept elsewhere.
#[derive(Debug, Clone, Copy)]
pub struct FlatSegment<'a> {
    /// Names the segment for as long as the process lives (never reused).
    pub serial: u64,
    /// Its vectors (row → local document with [`VectorSegment::doc_of`]).
    pub vectors: &'a crate::vector::VectorSegment,
    /// Deleted local documents.
    pub deleted: &'a [bool],
    /// How many are deleted (changes when documents are removed).
    pub deleted_count: u32,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Hit {
    /// The document id.
    pub id: String,
    /// Relevance (higher is better; comparable only within one query).
    pub score: f32,
    /// BM25 score, if the text retriever found the document.
    pub text_score: Option<f32>,
    /// Vector similarity, if the vector retriever found it.
    pub vector_score: Option<f32>,
    /// The document title.
    pub title: String,
    /// Byte ranges into `title` of the words that matched the query (as the snippet's).
    pub title_highlights: Vec<std::ops::Range<usize>>,
    /// The document's heading path.
    pub headings: Vec<String>,
    /// The document link, if any.
    pub url: Option<String>,
    /// Best excerpt of the body with highlight ranges.
    pub snippet: Snippet,
    /// The document's metadata fields the search asked for ([`SearchOptions::metadata`]).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, MetaValue>,
}

/// What [`Engine::rank`] gives: the page's candidates, the analysed query, and what the search
/// counted over its match set.
/// How deep a search ranks.
struct Depth {
    /// Results kept before the page is cut (`offset + k`; more for diversification).
    pool: usize,
    /// Full-text candidates fused with the vector ones (hybrid); full-text matches ranked
    /// after them form the ranking's tail.
    window: usize,
    /// Full-text matches scored (at least `window`; every match when the match set is counted).
    text: usize,
    /// Vector candidates.
    vector: usize,
}

struct Ranked {
    fused: Vec<Fused>,
    tquery: TextQuery,
    total: Option<usize>,
    facets: Vec<Facet>,
}

/// Titles are highlighted whole up to this many words (a window of a longer one would not
/// align with it: those get no title highlights).
const TITLE_WORDS: usize = 256;

#[derive(Debug, Clone)]
pub(crate) struct SegState {
    pub(crate) seg: Arc<Segment>,
    /// Content id once written to storage.
    pub(crate) stored: Option<String>,
    /// Storage keys of its chunks when it is stored in the chunked layout (for garbage
    /// collection: they stay live while the segment is).
    pub(crate) chunks: Vec<String>,
    pub(crate) deleted: Vec<bool>,
    pub(crate) deleted_count: u32,
    pub(crate) base: u32,
    /// For a static index loaded chunk by chunk: which parts are present. Such a segment is
    /// never merged or written by commits (it lives at its URL).
    pub(crate) lazy: Option<Box<crate::static_index::Lazy>>,
    /// Unique in the process: names the segment to copies of its vectors kept elsewhere (the
    /// GPU's), which must not mistake a new segment for an old one.
    pub(crate) serial: u64,
}

/// A fresh segment serial.
pub(crate) fn next_serial() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl SegState {
    fn live(&self) -> u32 {
        self.seg.doc_count() - self.deleted_count
    }

    /// Passage vectors of the segment, loaded or not.
    fn vector_rows(&self) -> usize {
        self.lazy
            .as_ref()
            .map_or(self.seg.vectors.rows(), |l| l.vector_rows())
    }
}

/// Work that keeps the index fast: merging small segments and building HNSW graphs. Owns its
/// inputs, so `run` can happen anywhere (another thread or worker) while the engine answers
/// queries; `Engine::apply` swaps the result in.
#[derive(Debug, Clone)]
pub struct MergeTask {
    inputs: Vec<(Arc<Segment>, Vec<bool>)>,
    dims: usize,
    params: VectorParams,
}

/// The result of a [`MergeTask`].
#[derive(Debug, Clone)]
pub struct MergeOutput {
    inputs: Vec<Arc<Segment>>,
    merged: Segment,
}

impl MergeTask {
    /// Documents the merge reads.
    pub fn doc_count(&self) -> u32 {
        self.inputs.iter().map(|(s, _)| s.doc_count()).sum()
    }

    /// Does the work (pure; possibly slow when a graph is built).
    pub fn run(self) -> MergeOutput {
        let parts: Vec<(&Segment, &[bool])> = self
            .inputs
            .iter()
            .map(|(s, d)| (s.as_ref(), d.as_slice()))
            .collect();
        let merged = Segment::merge(&parts, self.dims, &self.params);
        MergeOutput {
            inputs: self.inputs.into_iter().map(|(s, _)| s).collect(),
            merged,
        }
    }
}

/// Reusable per-searcher memory.
#[derive(Debug, Default, Clone)]
pub struct Scratch {
    text: TextScratch,
    vector: VectorScratch,
}

/// What `commit` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    /// The new generation.
    pub generation: u64,
    /// Segment blobs written by this commit.
    pub segments_written: usize,
    /// Bytes written.
    pub bytes_written: usize,
    /// Segment blobs removed after the swap.
    pub segments_removed: usize,
}

/// A commit between its two halves (see [`Engine::prepare_commit`]).
#[derive(Debug, Clone)]
pub struct PendingCommit {
    generation: u64,
    written: usize,
    bytes: usize,
    fresh: Vec<(Arc<Segment>, String, Vec<String>)>,
    /// Storage keys of the segments the new manifest references.
    pub live_keys: HashSet<String>,
    /// Storage keys the new manifest retires: what [`collect_garbage`] deletes.
    pub retired: HashSet<String>,
    /// Filled in by [`collect_garbage`] callers.
    pub segments_removed: usize,
}

impl PendingCommit {
    /// What the commit did.
    pub fn into_info(self) -> CommitInfo {
        CommitInfo {
            generation: self.generation,
            segments_written: self.written,
            bytes_written: self.bytes,
            segments_removed: self.segments_removed,
        }
    }
}

/// Deletes the records that a committed manifest `retired` (keys a manifest before it
/// referenced and it does not); returns how many were there. Nothing else is ever deleted:
/// records that no manifest accounts for — left by someone else, or by a commit whose manifest
/// was lost — stay. Safe to run any time after the commit; readers of older manifests must
/// have reloaded (IndexedDB: other tabs are told through BroadcastChannel first).
pub async fn collect_garbage<S: Storage>(storage: &S, retired: &HashSet<String>) -> Result<usize> {
    let mut stale: Vec<String> = Vec::new();
    if retired.is_empty() {
        return Ok(0);
    }
    for prefix in [SEGMENT_PREFIX, DOCSTORE_PREFIX, STORED_CHUNK_PREFIX] {
        stale.extend(
            storage
                .list(prefix)
                .await?
                .into_iter()
                .filter(|k| retired.contains(k)),
        );
    }
    let n = stale.len();
    if n > 0 {
        storage
            .commit(Batch {
                puts: Vec::new(),
                deletes: stale,
            })
            .await?;
    }
    Ok(n)
}

/// A search engine over documents with optional passage vectors.
#[derive(Debug, Clone)]
pub struct Engine {
    pub(crate) config: EngineConfig,
    pub(crate) analyzer: Analyzer,
    pub(crate) model: Option<ModelTag>,
    pub(crate) segments: Vec<SegState>,
    pub(crate) ids: HashMap<String, (usize, u32)>,
    generation: u64,
    /// Ids removed from static indexes (by meta file), committed with the manifest and applied
    /// when the index is attached again.
    pub(crate) static_deletes: crate::static_index::StaticDeletes,
    /// Storage keys the last manifest this engine opened or committed references.
    live_keys: HashSet<String>,
    /// Storage keys retired by a manifest this engine opened or committed and not yet known to
    /// be deleted: the next commit retires them again, so a collection that never ran (a crash
    /// after the commit) happens later.
    retired: HashSet<String>,
}

impl Engine {
    /// An empty engine; fails if `config` is out of range.
    pub fn new(config: EngineConfig) -> Result<Self> {
        let config = config.validate()?;
        Ok(Self {
            analyzer: Analyzer::new(config.analyzer.clone()),
            config,
            model: None,
            segments: Vec::new(),
            ids: HashMap::new(),
            generation: 0,
            static_deletes: Default::default(),
            live_keys: HashSet::new(),
            retired: HashSet::new(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The analyzer.
    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// The model whose vectors the index holds.
    pub fn model(&self) -> Option<&ModelTag> {
        self.model.as_ref()
    }

    /// Number of live documents.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when no live documents are indexed.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Number of segments.
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// Number of passage vectors (including those of deleted documents until merged).
    pub fn vector_count(&self) -> usize {
        self.segments.iter().map(SegState::vector_rows).sum()
    }

    /// Number of segments with an HNSW graph.
    pub fn graph_segment_count(&self) -> usize {
        self.segments
            .iter()
            .filter(|s| s.seg.vectors.has_graph())
            .count()
    }

    /// Approximate memory held by the vector index, in bytes.
    pub fn vector_memory_bytes(&self) -> usize {
        self.segments
            .iter()
            .map(|s| s.seg.vectors.memory_bytes())
            .sum()
    }

    /// Commit generation (0 before the first commit).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Forgets which segments are stored, so that the next commit writes all of them: for a
    /// storage that lost everything (a browser database evicted while the engine was open).
    /// Fails with `ChunksNeeded` (changing nothing) while a stored segment is not loaded whole:
    /// what was only in the lost storage cannot be written back.
    pub fn forget_stored(&mut self) -> Result<()> {
        self.need_stored()?;
        for s in &mut self.segments {
            if s.lazy.is_none() {
                s.stored = None;
                s.chunks.clear();
            }
        }
        Ok(())
    }

    /// The stored document with this id (`None` for a document of a static index whose text
    /// is not loaded yet).
    pub fn get(&self, id: &str) -> Option<&Document> {
        let &(s, local) = self.ids.get(id)?;
        let st = self.segments.get(s)?;
        if st.lazy.as_ref().is_some_and(|l| !l.doc_loaded(local)) {
            return None;
        }
        st.seg.docs.get(local as usize)
    }

    /// All live documents (of a static index, those whose text is loaded).
    pub fn documents(&self) -> impl Iterator<Item = &Document> {
        self.segments.iter().flat_map(|s| {
            s.seg
                .docs
                .iter()
                .enumerate()
                .filter(|(i, _)| {
                    !s.deleted[*i] && s.lazy.as_ref().is_none_or(|l| l.doc_loaded(*i as u32))
                })
                .map(|(_, d)| d)
        })
    }

    /// Texts to embed for `doc`, one per passage: the title and headings give each passage its
    /// context. Embed them in order and pass the vectors to [`Engine::add_with_vectors`].
    pub fn passages(&self, doc: &Document) -> Vec<String> {
        let mut context: Vec<&str> = Vec::new();
        if !doc.title.trim().is_empty() {
            context.push(doc.title.trim());
        }
        for h in &doc.headings {
            if !h.trim().is_empty() && h.trim() != doc.title.trim() {
                context.push(h.trim());
            }
        }
        let head = context.join(" > ");
        let parts = split(&doc.body, &self.config.passages);
        if parts.is_empty() {
            return vec![head];
        }
        parts
            .into_iter()
            .map(|r| {
                let body = doc.body[r].trim();
                if head.is_empty() {
                    body.to_owned()
                } else {
                    format!("{head}\n{body}")
                }
            })
            .collect()
    }

    /// Checks that `docs` could be added now (valid, ids new and unique) without adding them:
    /// callers that embed before adding fail fast.
    pub fn check_new(&self, docs: &[Document]) -> Result<()> {
        self.check_new_with(docs, |_| false)
    }

    /// [`Engine::check_new`] where `has_vectors(i)` says whether document `i` brings vectors
    /// (then it needs no text: [`Document::validate_with_vectors`]).
    fn check_new_with(&self, docs: &[Document], has_vectors: impl Fn(usize) -> bool) -> Result<()> {
        let mut seen = HashSet::with_capacity(docs.len());
        for (i, d) in docs.iter().enumerate() {
            d.validate_with_vectors(has_vectors(i))?;
            if self.ids.contains_key(&d.id) || !seen.insert(d.id.as_str()) {
                return Err(CoreError::DuplicateId(d.id.clone()));
            }
        }
        Ok(())
    }

    /// Adds documents (text only), all or none.
    pub fn add(&mut self, docs: Vec<Document>) -> Result<()> {
        self.check_new(&docs)?;
        self.push_segment(docs, &[], 0);
        Ok(())
    }

    /// Adds documents with their passage vectors (`vectors[i]` are document `i`'s passages, from
    /// `model`), all or none. The index refuses vectors of a different model than it holds.
    pub fn add_with_vectors(
        &mut self,
        docs: Vec<Document>,
        vectors: Vec<Vec<Vec<f32>>>,
        model: &ModelTag,
    ) -> Result<()> {
        if vectors.len() != docs.len() {
            return Err(CoreError::InvalidInput(format!(
                "{} vector lists for {} documents",
                vectors.len(),
                docs.len()
            )));
        }
        self.check_new_with(&docs, |i| !vectors[i].is_empty())?;
        self.check_model(model)?;
        let metric = self.config.vectors.metric;
        let mut rows = Vec::new();
        for (i, passages) in vectors.into_iter().enumerate() {
            for mut v in passages {
                if v.len() != model.dims {
                    return Err(CoreError::InvalidInput(format!(
                        "document {:?}: vector of dimension {} for a {}-dimensional model",
                        docs[i].id,
                        v.len(),
                        model.dims
                    )));
                }
                check_vector(&mut v, metric)?;
                rows.push((v, i as u32));
            }
        }
        if self.model.is_none() {
            self.model = Some(model.clone());
        }
        self.push_segment(docs, &rows, model.dims);
        Ok(())
    }

    /// Embeds every passage of `docs` with `embedder`, then adds them.
    pub fn add_embedded(&mut self, docs: Vec<Document>, embedder: &mut dyn Embedder) -> Result<()> {
        self.check_new(&docs)?;
        self.check_model(embedder.model())?;
        let mut vectors = Vec::with_capacity(docs.len());
        for d in &docs {
            let texts = self.passages(d);
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            vectors.push(embedder.embed(&refs)?);
        }
        let model = embedder.model().clone();
        self.add_with_vectors(docs, vectors, &model)
    }

    pub(crate) fn check_model(&self, model: &ModelTag) -> Result<()> {
        match &self.model {
            Some(m) if m != model => Err(CoreError::ModelMismatch {
                index: format!(
                    "{} ({} dims, {})",
                    m.id,
                    m.dims,
                    &m.fingerprint[..m.fingerprint.len().min(12)]
                ),
                given: format!(
                    "{} ({} dims, {})",
                    model.id,
                    model.dims,
                    &model.fingerprint[..model.fingerprint.len().min(12)]
                ),
            }),
            _ if model.dims == 0 => Err(CoreError::InvalidInput("model has dimension 0".into())),
            _ => Ok(()),
        }
    }

    /// How this index is built, as the header of the meta files it writes.
    pub(crate) fn header(&self) -> Manifest {
        Manifest::header(
            self.config.analyzer.clone(),
            self.config.vectors.metric,
            self.model.clone(),
        )
    }

    pub(crate) fn dims(&self) -> usize {
        self.model.as_ref().map_or(0, |m| m.dims)
    }

    fn push_segment(&mut self, docs: Vec<Document>, rows: &[(Vec<f32>, u32)], dims: usize) {
        if docs.is_empty() {
            return;
        }
        // New segments are exact (flat); graphs are built by merge tasks, off the add path.
        let params = VectorParams {
            hnsw_threshold: usize::MAX,
            ..self.config.vectors
        };
        let seg = Segment::build(docs, rows, dims, &self.analyzer, &params);
        let index = self.segments.len();
        for (local, d) in seg.docs.iter().enumerate() {
            self.ids.insert(d.id.clone(), (index, local as u32));
        }
        let n = seg.doc_count() as usize;
        self.segments.push(SegState {
            seg: Arc::new(seg),
            stored: None,
            chunks: Vec::new(),
            deleted: vec![false; n],
            deleted_count: 0,
            base: 0,
            lazy: None,
            serial: next_serial(),
        });
        self.rebase();
        self.merge_small();
    }

    /// Runs merges that need no graph build right away (cheap); bigger ones wait for
    /// [`Engine::merge_task`].
    fn merge_small(&mut self) {
        while let Some(task) = self.plan(true) {
            let out = task.run();
            if self.apply(out).is_err() {
                break;
            }
        }
    }

    pub(crate) fn rebase(&mut self) {
        let mut base = 0;
        for s in &mut self.segments {
            s.base = base;
            base += s.seg.doc_count();
        }
    }

    /// Removes documents; returns how many existed.
    pub fn remove<S: AsRef<str>>(&mut self, ids: &[S]) -> usize {
        let mut n = 0;
        for id in ids {
            if let Some((s, local)) = self.ids.remove(id.as_ref()) {
                let st = &mut self.segments[s];
                if !st.deleted[local as usize] {
                    st.deleted[local as usize] = true;
                    st.deleted_count += 1;
                    n += 1;
                }
            }
        }
        n
    }

    /// Replaces documents (delete + add), all or none.
    pub fn update(&mut self, docs: Vec<Document>) -> Result<()> {
        for d in &docs {
            d.validate()?;
        }
        let ids: Vec<String> = docs.iter().map(|d| d.id.clone()).collect();
        let backup = self.clone();
        self.remove(&ids);
        if let Err(e) = self.add(docs) {
            *self = backup;
            return Err(e);
        }
        Ok(())
    }

    /// Replaces documents, embedding their passages with `embedder`, all or none.
    pub fn update_embedded(
        &mut self,
        docs: Vec<Document>,
        embedder: &mut dyn Embedder,
    ) -> Result<()> {
        let ids: Vec<String> = docs.iter().map(|d| d.id.clone()).collect();
        let backup = self.clone();
        self.remove(&ids);
        if let Err(e) = self.add_embedded(docs, embedder) {
            *self = backup;
            return Err(e);
        }
        Ok(())
    }

    /// Replaces documents with new vectors, all or none.
    pub fn update_with_vectors(
        &mut self,
        docs: Vec<Document>,
        vectors: Vec<Vec<Vec<f32>>>,
        model: &ModelTag,
    ) -> Result<()> {
        let ids: Vec<String> = docs.iter().map(|d| d.id.clone()).collect();
        let backup = self.clone();
        self.remove(&ids);
        if let Err(e) = self.add_with_vectors(docs, vectors, model) {
            *self = backup;
            return Err(e);
        }
        Ok(())
    }

    /// The next merge worth doing, if any: a flat segment that has grown past the HNSW
    /// threshold, a segment with many deletes, or `merge_factor` segments of similar size.
    pub fn merge_task(&self) -> Option<MergeTask> {
        self.plan(false)
    }

    fn plan(&self, only_small: bool) -> Option<MergeTask> {
        let threshold = self.config.vectors.hnsw_threshold;
        let task = |idx: &[usize], build: bool| MergeTask {
            inputs: idx
                .iter()
                .map(|&i| {
                    (
                        self.segments[i].seg.clone(),
                        self.segments[i].deleted.clone(),
                    )
                })
                .collect(),
            dims: self.dims(),
            params: VectorParams {
                hnsw_threshold: if build { threshold } else { usize::MAX },
                ..self.config.vectors
            },
        };
        let rows = |i: usize| self.segments[i].seg.vectors.rows();
        // Merge similar-sized segments: tiers by powers of merge_factor of live documents.
        let f = self.config.limits.merge_factor;
        let mut tiers: HashMap<u32, Vec<usize>> = HashMap::new();
        for (i, s) in self.segments.iter().enumerate() {
            if s.lazy.is_some() {
                continue;
            }
            let mut tier = 0;
            let mut size = s.live().max(1) as usize;
            while size >= f {
                size /= f;
                tier += 1;
            }
            tiers.entry(tier).or_default().push(i);
        }
        let mut keys: Vec<u32> = tiers.keys().copied().collect();
        keys.sort_unstable();
        for t in keys {
            let members = &tiers[&t];
            if members.len() >= f {
                let pick = &members[..f];
                let total: usize = pick.iter().map(|&i| rows(i)).sum();
                let needs_graph = total >= threshold;
                if only_small && needs_graph {
                    continue;
                }
                return Some(task(pick, needs_graph));
            }
        }
        if only_small {
            // Fully deleted segments are dropped for free.
            if let Some(i) = self
                .segments
                .iter()
                .position(|s| s.live() == 0 && s.lazy.is_none())
            {
                return Some(task(&[i], false));
            }
            return None;
        }
        for (i, s) in self.segments.iter().enumerate() {
            if s.lazy.is_some() {
                continue;
            }
            let big = rows(i) >= threshold;
            if big && !s.seg.vectors.has_graph() {
                return Some(task(&[i], true));
            }
            if s.deleted_count * 5 > s.seg.doc_count() {
                return Some(task(&[i], big));
            }
        }
        None
    }

    /// Swaps a finished merge in. Documents deleted or replaced while it ran stay deleted.
    /// Fails (changing nothing) if an input segment is gone (another merge replaced it).
    pub fn apply(&mut self, out: MergeOutput) -> Result<()> {
        let positions: Vec<usize> = out
            .inputs
            .iter()
            .map(|inp| self.segments.iter().position(|s| Arc::ptr_eq(&s.seg, inp)))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| CoreError::InvalidInput("merge inputs are no longer live".into()))?;
        let merged = out.merged;
        let mut deleted = vec![false; merged.doc_count() as usize];
        let mut deleted_count = 0;
        for (local, d) in merged.docs.iter().enumerate() {
            // Deleted (or re-added elsewhere) since the task was planned: keep it deleted.
            let still_here = self
                .ids
                .get(&d.id)
                .is_some_and(|(s, _)| positions.contains(s));
            if !still_here {
                deleted[local] = true;
                deleted_count += 1;
            }
        }
        let mut keep: Vec<SegState> = Vec::with_capacity(self.segments.len());
        for (i, s) in self.segments.drain(..).enumerate() {
            if !positions.contains(&i) {
                keep.push(s);
            }
        }
        if merged.doc_count() > deleted_count {
            keep.push(SegState {
                seg: Arc::new(merged),
                stored: None,
                chunks: Vec::new(),
                deleted,
                deleted_count,
                base: 0,
                lazy: None,
                serial: next_serial(),
            });
        }
        self.segments = keep;
        self.rebuild_ids();
        self.rebase();
        Ok(())
    }

    pub(crate) fn rebuild_ids(&mut self) {
        self.ids.clear();
        for (si, s) in self.segments.iter().enumerate() {
            for (local, d) in s.seg.docs.iter().enumerate() {
                if !s.deleted[local] {
                    self.ids.insert(d.id.clone(), (si, local as u32));
                }
            }
        }
    }

    /// Runs every pending merge now (the CLI and tests; browsers run tasks in a worker).
    pub fn maintain(&mut self) {
        while let Some(task) = self.merge_task() {
            let out = task.run();
            if self.apply(out).is_err() {
                break;
            }
        }
    }

    pub(crate) fn locate(&self, slot: u32) -> (&SegState, u32) {
        let i = self
            .segments
            .partition_point(|s| s.base <= slot)
            .saturating_sub(1);
        let s = &self.segments[i];
        (s, slot - s.base)
    }

    fn doc_at(&self, slot: u32) -> &Document {
        let (s, local) = self.locate(slot);
        &s.seg.docs[local as usize]
    }

    /// The slot of a live document.
    fn slot_of(&self, id: &str) -> Option<u32> {
        self.ids
            .get(id)
            .map(|&(seg, local)| self.segments[seg].base + local)
    }

    /// A unit vector for document `id` (its passage closest to `query`, or hashed words for
    /// text-only indexes): what suggestions cluster.
    pub(crate) fn document_vector(&self, id: &str, query: Option<&VectorQuery>) -> Vec<f32> {
        self.slot_of(id)
            .map(|slot| self.doc_vector(slot, query))
            .unwrap_or_default()
    }

    /// The passage vector of document `id` closest to `query` (dequantised), or `None` for an
    /// unknown document or an index without vectors. Evaluations use it to compare a query
    /// with the documents it should find.
    pub fn document_vector_near(&self, id: &str, query: &[f32]) -> Result<Option<Vec<f32>>> {
        if self.vector_count() == 0 || self.slot_of(id).is_none() {
            return Ok(None);
        }
        self.need_vectors()?;
        let q = self.vector_query(query)?;
        Ok(Some(self.document_vector(id, Some(&q))))
    }

    /// `v` prepared as a query for this index's metric.
    pub(crate) fn vector_query(&self, v: &[f32]) -> Result<VectorQuery> {
        VectorQuery::new(v, self.config.vectors.metric)
    }

    /// The title, headings and tags of document `id` (one text: the words that name it), and
    /// its body.
    pub(crate) fn document_fields(&self, id: &str) -> (String, String) {
        self.slot_of(id).map_or_else(Default::default, |slot| {
            let d = self.doc_at(slot);
            (
                format!(
                    "{}\n{}\n{}",
                    d.title,
                    d.headings.join("\n"),
                    d.tags.join("\n")
                ),
                d.body.clone(),
            )
        })
    }

    /// Full-text / vector / hybrid search, embedding the query with `embedder` when vectors are
    /// needed.
    pub fn search_embedded(
        &self,
        query: &str,
        embedder: &mut dyn Embedder,
        options: &SearchOptions,
    ) -> Result<Vec<Hit>> {
        self.search_embedded_with(&mut Scratch::default(), query, embedder, options)
    }

    /// Like [`Engine::search_embedded`], reusing `scratch` between queries.
    pub fn search_embedded_with(
        &self,
        scratch: &mut Scratch,
        query: &str,
        embedder: &mut dyn Embedder,
        options: &SearchOptions,
    ) -> Result<Vec<Hit>> {
        Ok(self
            .query_embedded_with(scratch, query, embedder, options)?
            .hits)
    }

    /// Like [`Engine::query_with`], embedding the query with `embedder` when vectors are
    /// needed.
    pub fn query_embedded_with(
        &self,
        scratch: &mut Scratch,
        query: &str,
        embedder: &mut dyn Embedder,
        options: &SearchOptions,
    ) -> Result<Results> {
        let needs_vector = options.mode != Mode::Text && self.model.is_some();
        let vector = if needs_vector && !query.trim().is_empty() {
            self.check_model(embedder.model())?;
            embedder.embed(&[query])?.into_iter().next()
        } else {
            None
        };
        self.query_with(scratch, query, vector.as_deref(), options)
    }

    /// Searches with an optional precomputed query vector (from the index's model).
    pub fn search(
        &self,
        query: &str,
        vector: Option<&[f32]>,
        options: &SearchOptions,
    ) -> Result<Vec<Hit>> {
        self.search_with(&mut Scratch::default(), query, vector, options)
    }

    /// Like [`Engine::search`], reusing `scratch` between queries.
    pub fn search_with(
        &self,
        scratch: &mut Scratch,
        query: &str,
        vector: Option<&[f32]>,
        options: &SearchOptions,
    ) -> Result<Vec<Hit>> {
        Ok(self.query_with(scratch, query, vector, options)?.hits)
    }

    /// Searches like [`Engine::search_with`], with the match set's size and facet counts when
    /// `options` ask for them (`count`, `facets`; `sort` counts too).
    pub fn query_with(
        &self,
        scratch: &mut Scratch,
        query: &str,
        vector: Option<&[f32]>,
        options: &SearchOptions,
    ) -> Result<Results> {
        let ranked = self.rank(scratch, query, vector, options, None, None)?;
        self.results(ranked, options)
    }

    /// Like [`Engine::search_with`], with the vector candidates of flat segments found
    /// elsewhere (scry-gpu scores them on the GPU): the segments `flat` covers are not scanned
    /// here; their candidate rows are re-scored exactly as a scan's best rows would be. Other
    /// segments (graphs, the static index, flat ones added since) are searched as usual, and so
    /// is everything when the search has a filter (the candidates were not filtered).
    pub fn search_with_candidates(
        &self,
        scratch: &mut Scratch,
        query: &str,
        vector: Option<&[f32]>,
        options: &SearchOptions,
        flat: &FlatCandidates,
    ) -> Result<Vec<Hit>> {
        Ok(self
            .query_with_candidates(scratch, query, vector, options, flat)?
            .hits)
    }

    /// [`Engine::query_with`] with the vector candidates of flat segments found elsewhere (as
    /// [`Engine::search_with_candidates`]).
    pub fn query_with_candidates(
        &self,
        scratch: &mut Scratch,
        query: &str,
        vector: Option<&[f32]>,
        options: &SearchOptions,
        flat: &FlatCandidates,
    ) -> Result<Results> {
        let ranked = self.rank(scratch, query, vector, options, None, Some(flat))?;
        self.results(ranked, options)
    }

    /// The flat (exactly scanned) segments holding vectors, for a copy kept elsewhere.
    pub fn flat_segments(&self) -> impl Iterator<Item = FlatSegment<'_>> {
        self.segments
            .iter()
            .filter(|s| s.lazy.is_none() && !s.seg.vectors.has_graph() && s.seg.vectors.rows() > 0)
            .map(|s| FlatSegment {
                serial: s.serial,
                vectors: &s.seg.vectors,
                deleted: &s.deleted,
                deleted_count: s.deleted_count,
            })
    }

    /// How many candidate rows [`Engine::search_with_candidates`] wants from the flat
    /// segments for `options`: as many as one segment's scan keeps (`2 × candidates`, at
    /// least the re-scoring depth).
    pub fn flat_candidate_rows(&self, options: &SearchOptions) -> usize {
        let want = self.candidate_depth(options, true).vector;
        (want * 2).max(self.config.vectors.rescore)
    }

    /// How deep a search ranks ([`Depth`]).
    fn candidate_depth(&self, options: &SearchOptions, has_vector: bool) -> Depth {
        let candidates = self.config.hybrid.candidates;
        let diversified = |n: usize| {
            if options.diversify.is_some() {
                (n * 4).max(candidates)
            } else {
                n
            }
        };
        let pool = diversified(options.depth());
        // The fused window depends on `k`, not on the offset: every page of a hybrid search
        // fuses the same two lists, so pages are slices of one ranking.
        let fused = options.mode == Mode::Hybrid && has_vector && self.model.is_some();
        let window = if fused {
            candidates.max(diversified(options.k))
        } else {
            pool
        };
        let vector = match options.mode {
            Mode::Hybrid => window,
            // A vector search that counts its match set ranks hybrid's candidates.
            Mode::Vector if options.enumerates() => candidates.max(diversified(options.k)),
            _ => pool,
        };
        Depth {
            pool,
            window,
            text: window.max(pool),
            vector,
        }
    }

    /// The ids a search would return, in order, without building hits (no snippets): what
    /// suggestions use to compare rankings. `vector_hits` keeps the vector candidates of the
    /// first call for the later ones, for a run of searches that share one query vector and
    /// options on an unchanged engine (the borrow guarantees the latter).
    pub(crate) fn search_ids(
        &self,
        scratch: &mut Scratch,
        query: &str,
        vector: Option<&[f32]>,
        options: &SearchOptions,
        vector_hits: &mut Option<Vec<(u32, f32)>>,
    ) -> Result<Vec<String>> {
        let ranked = self.rank(scratch, query, vector, options, Some(vector_hits), None)?;
        Ok(ranked
            .fused
            .iter()
            .map(|f| self.doc_at(f.slot).id.clone())
            .collect())
    }

    /// The two rankings a hybrid search fuses, each best first as `(document id, score)`: the
    /// full-text one (BM25 scores) and, with `vector`, the vector one (each document's best
    /// passage similarity), `depth` candidates each. They are the lists [`Mode::Text`] and
    /// [`Mode::Vector`] searches with `k = depth` rank, and with `depth` =
    /// `HybridParams::candidates` (≥ `k`) what a hybrid search passes to
    /// [`crate::hybrid::fuse`]. Evaluations fuse them many ways without searching again.
    pub fn retrieve(
        &self,
        scratch: &mut Scratch,
        query: &str,
        vector: Option<&[f32]>,
        depth: usize,
    ) -> Result<Retrieved> {
        let list = |scratch: &mut Scratch, mode: Mode| -> Result<(Vec<(String, f32)>, TextQuery)> {
            let options = SearchOptions {
                k: depth,
                mode,
                ..Default::default()
            };
            let ranked = self.rank(scratch, query, vector, &options, None, None)?;
            Ok((
                ranked
                    .fused
                    .iter()
                    .map(|f| (self.doc_at(f.slot).id.clone(), f.score))
                    .collect(),
                ranked.tquery,
            ))
        };
        let (text, text_ceiling) = if query.trim().is_empty() {
            (Vec::new(), 0.0)
        } else {
            let (text, tquery) = list(scratch, Mode::Text)?;
            (text, self.text_ceiling(&tquery))
        };
        let vector = match vector {
            Some(_) if self.model.is_some() => list(scratch, Mode::Vector)?.0,
            _ => Vec::new(),
        };
        Ok(Retrieved {
            text,
            vector,
            text_ceiling,
        })
    }

    /// [`bm25::ceiling`] of an analysed query over this engine's segments.
    fn text_ceiling(&self, tquery: &TextQuery) -> f32 {
        let scored: Vec<ScoredSegment<'_>> = self
            .segments
            .iter()
            .map(|s| ScoredSegment {
                text: &s.seg.text,
                base: s.base,
                deleted: &s.deleted,
                deleted_count: s.deleted_count,
            })
            .collect();
        bm25::ceiling(tquery, &scored, &self.config.bm25)
    }

    /// The ranking of a search: the page's fused candidates, best first (or in the sort's
    /// order), the analysed query, and the match set's size and facets when asked for. With
    /// `reuse`, vector candidates are taken from it when filled, and left in it otherwise.
    fn rank(
        &self,
        scratch: &mut Scratch,
        query: &str,
        vector: Option<&[f32]>,
        options: &SearchOptions,
        reuse: Option<&mut Option<Vec<(u32, f32)>>>,
        flat: Option<&FlatCandidates>,
    ) -> Result<Ranked> {
        if query.len() > MAX_QUERY_BYTES {
            return Err(CoreError::InvalidQuery(format!(
                "query is {} bytes; the limit is {MAX_QUERY_BYTES}",
                query.len()
            )));
        }
        if query.trim().is_empty() && vector.is_none() {
            return Err(CoreError::InvalidQuery("query is empty".into()));
        }
        if !(1..=MAX_K).contains(&options.k) {
            return Err(CoreError::InvalidParameter {
                name: "k",
                reason: format!("{} is outside 1..={MAX_K}", options.k),
            });
        }
        if let Some(l) = options.diversify
            && !(0.0..=1.0).contains(&l)
        {
            return Err(CoreError::InvalidParameter {
                name: "diversify",
                reason: format!("{l} is outside 0..=1"),
            });
        }
        if options.offset > crate::results::MAX_OFFSET {
            return Err(CoreError::InvalidParameter {
                name: "offset",
                reason: format!(
                    "{} is outside 0..={}",
                    options.offset,
                    crate::results::MAX_OFFSET
                ),
            });
        }
        if options.sort.is_some() && options.diversify.is_some() {
            return Err(CoreError::InvalidParameter {
                name: "sort",
                reason: "a sorted search cannot also be diversified".into(),
            });
        }
        crate::results::check(
            options.sort.as_ref(),
            &options.facets,
            options.metadata.as_deref().unwrap_or_default(),
        )?;
        if options.mode == Mode::Vector && vector.is_none() {
            return Err(CoreError::InvalidQuery(
                "vector mode needs a query vector (or an embedder)".into(),
            ));
        }
        let vquery = match vector {
            Some(v) => {
                if self.model.as_ref().is_some_and(|m| m.dims != v.len()) {
                    return Err(CoreError::InvalidInput(format!(
                        "query vector has dimension {}, the index {}",
                        v.len(),
                        self.dims()
                    )));
                }
                Some(VectorQuery::new(v, self.config.vectors.metric)?)
            }
            None => None,
        };
        let allowed: Option<Vec<bool>> = options.filter.as_ref().map(|f| {
            self.segments
                .iter()
                .flat_map(|s| s.seg.docs.iter().map(|d| f.matches(&d.metadata)))
                .collect()
        });
        let live = |slot: u32| -> bool {
            let (s, local) = self.locate(slot);
            !s.deleted[local as usize] && allowed.as_ref().is_none_or(|a| a[slot as usize])
        };
        let depth = self.candidate_depth(options, vquery.is_some());

        // Text candidates.
        let text_segments: Vec<&bm25::TextSegment> =
            self.segments.iter().map(|s| &s.seg.text).collect();
        let tquery = bm25::build_query(&self.analyzer, query, &text_segments, &self.config.bm25);
        // A static index loads what this query needs first.
        let mut missing = BTreeSet::new();
        if options.mode != Mode::Vector {
            self.missing_postings(&tquery, &mut missing);
        }
        let vectors_searched =
            options.mode != Mode::Text && vquery.is_some() && !matches!(&reuse, Some(Some(_)));
        if vectors_searched || (options.diversify.is_some() && self.model.is_some()) {
            self.missing_vectors(&mut missing);
        }
        need(missing)?;
        let enumerates = options.enumerates();
        let mut text_hits: Vec<(u32, f32)> = Vec::new();
        // Full-text matches ranked after the `window` fused with the vector candidates (all of
        // them when the match set is counted: every match scored, no early stop).
        let mut text_tail: Vec<(u32, f32)> = Vec::new();
        if options.mode != Mode::Vector && !tquery.groups.is_empty() {
            let scored: Vec<ScoredSegment<'_>> = self
                .segments
                .iter()
                .map(|s| ScoredSegment {
                    text: &s.seg.text,
                    base: s.base,
                    deleted: &s.deleted,
                    deleted_count: s.deleted_count,
                })
                .collect();
            let text_k = if enumerates { usize::MAX } else { depth.text };
            text_hits = bm25::score(
                &tquery,
                &scored,
                &self.config.bm25,
                &mut scratch.text,
                text_k,
                live,
            );
            if enumerates {
                // Every match: the window in order, the tail as it comes (a page needs only
                // the first few of it, chosen below).
                crate::results::select_first(&mut text_hits, depth.window, by_score);
            } else {
                top_k(&mut text_hits, text_k);
            }
            if text_hits.len() > depth.window {
                text_tail = text_hits.split_off(depth.window);
            }
        }

        // Vector candidates: best passage per document.
        let mut vec_hits: Vec<(u32, f32)> = Vec::new();
        let reused = match &reuse {
            Some(Some(hits)) => Some(hits.clone()),
            _ => None,
        };
        if let Some(hits) = reused {
            vec_hits = hits;
        } else if options.mode != Mode::Text
            && let Some(q) = &vquery
        {
            let selective = allowed
                .as_ref()
                .is_some_and(|a| a.iter().filter(|x| **x).count() * 10 < a.len());
            // Candidates found elsewhere ignore filters: a filtered search scans here.
            let flat = flat.filter(|_| allowed.is_none());
            let mut best: HashMap<u32, f32> = HashMap::new();
            for s in &self.segments {
                let external = flat
                    .and_then(|f| f.rows_for(s.serial))
                    .filter(|_| s.lazy.is_none() && !s.seg.vectors.has_graph());
                let rows = match external {
                    Some(rows) => s.seg.vectors.rescore(
                        q,
                        rows,
                        depth.vector * 2,
                        &self.config.vectors,
                        |local| live(s.base + local),
                    ),
                    None => s.seg.vectors.search(
                        q,
                        depth.vector * 2,
                        &self.config.vectors,
                        selective,
                        &mut scratch.vector,
                        |local| live(s.base + local),
                    ),
                };
                for (row, sim) in rows {
                    let slot = s.base + s.seg.vectors.doc_of(row);
                    let e = best.entry(slot).or_insert(f32::MIN);
                    *e = e.max(sim);
                }
            }
            vec_hits = best.into_iter().collect();
            top_k(&mut vec_hits, depth.vector);
            if let Some(slot) = reuse {
                *slot = Some(vec_hits.clone());
            }
        }

        let mut fused: Vec<Fused> = match options.mode {
            Mode::Text => text_hits
                .iter()
                .chain(&text_tail)
                .map(|&(slot, s)| Fused {
                    slot,
                    score: s,
                    text: Some(s),
                    vector: None,
                })
                .collect(),
            Mode::Vector => vec_hits
                .iter()
                .map(|&(slot, s)| Fused {
                    slot,
                    score: s,
                    text: None,
                    vector: Some(s),
                })
                .collect(),
            Mode::Hybrid => {
                let ceiling = if self.config.hybrid.fusion == Fusion::Coverage {
                    self.text_ceiling(&tquery)
                } else {
                    0.0
                };
                fuse_unsorted(
                    &text_hits,
                    &text_tail,
                    &vec_hits,
                    &self.config.hybrid,
                    ceiling,
                )
            }
        };
        // The match set is `fused` (every full-text match, the vector candidates).
        let total = enumerates.then_some(fused.len());
        let facets = crate::results::count_facets(
            &options.facets,
            fused.iter().map(|f| &self.doc_at(f.slot).metadata),
        );
        // The results the page (or diversification) needs, in order: by relevance (score, then
        // slot), or by the sort field and then relevance; the rest are never sorted.
        let keep = if options.diversify.is_some() {
            depth.pool
        } else {
            options.depth()
        };
        let relevance =
            |a: &Fused, b: &Fused| b.score.total_cmp(&a.score).then(a.slot.cmp(&b.slot));
        if let Some(sort) = &options.sort {
            let mut keyed: Vec<(crate::results::SortKey<'_>, Fused)> = fused
                .iter()
                .map(|f| {
                    let value = self.doc_at(f.slot).metadata.get(&sort.field);
                    (crate::results::sort_key(value), *f)
                })
                .collect();
            crate::results::select_first(&mut keyed, keep, |a, b| {
                crate::results::compare_keys(&a.0, &b.0, sort.descending)
                    .then_with(|| relevance(&a.1, &b.1))
            });
            fused = keyed.into_iter().take(keep).map(|(_, f)| f).collect();
        } else {
            crate::results::select_first(&mut fused, keep, relevance);
            fused.truncate(keep);
        }

        if let Some(lambda) = options.diversify {
            fused.truncate(depth.pool);
            if self.model.is_none() {
                // Text-only diversity compares the documents' words.
                let mut missing = BTreeSet::new();
                self.missing_docs(fused.iter().map(|f| f.slot), &mut missing);
                need(missing)?;
            }
            let vectors: Vec<Vec<f32>> = fused
                .iter()
                .map(|f| self.doc_vector(f.slot, vquery.as_ref()))
                .collect();
            let cands: Vec<(f32, &[f32])> = fused
                .iter()
                .zip(&vectors)
                .map(|(f, v)| (f.score, v.as_slice()))
                .collect();
            let order = mmr(&cands, options.depth(), lambda);
            fused = order.into_iter().map(|i| fused[i]).collect();
        }
        fused.truncate(options.depth());
        fused.drain(..options.offset.min(fused.len()));
        Ok(Ranked {
            fused,
            tquery,
            total,
            facets,
        })
    }

    /// A unit vector standing for a document in MMR: its best-matching passage vector, or (text
    /// only indexes) a hashed bag of its title and body words.
    fn doc_vector(&self, slot: u32, q: Option<&VectorQuery>) -> Vec<f32> {
        let (s, local) = self.locate(slot);
        let v = &s.seg.vectors;
        let mut best: Option<(f32, usize)> = None;
        for row in 0..v.rows() {
            if v.doc_of(row) == local {
                let vals = v.row_values(row);
                let score = q.map_or(0.0, |q| crate::vector::distance::dot_f32(q.values(), &vals));
                if best.is_none_or(|(b, _)| score > b) {
                    best = Some((score, row));
                }
            }
        }
        if let Some((_, row)) = best {
            let mut vals = v.row_values(row);
            crate::vector::quantize::normalize(&mut vals);
            return vals;
        }
        // In an index with vectors, a document added as text only has no direction (every
        // vector of one ranking must have the same dimension).
        if self.model.is_some() {
            return vec![0.0; self.dims()];
        }
        let d = &s.seg.docs[local as usize];
        let mut e = crate::embed::HashEmbedder::new(256).unwrap_or_else(|_| unreachable!());
        let text = format!("{} {}", d.title, d.body);
        e.embed(&[text.as_str()])
            .ok()
            .and_then(|mut v| v.pop())
            .unwrap_or_else(|| vec![0.0; 256])
    }

    /// The page of a ranking: its hits (with the metadata `options` ask for), the total and
    /// facets.
    fn results(&self, ranked: Ranked, options: &SearchOptions) -> Result<Results> {
        let mut hits = self.hits(&ranked.fused, &ranked.tquery)?;
        if let Some(fields) = &options.metadata {
            for (hit, f) in hits.iter_mut().zip(&ranked.fused) {
                let metadata = &self.doc_at(f.slot).metadata;
                hit.metadata = if fields.is_empty() {
                    metadata.clone()
                } else {
                    fields
                        .iter()
                        .filter_map(|k| metadata.get_key_value(k))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                };
            }
        }
        Ok(Results {
            hits,
            total: ranked.total,
            facets: ranked.facets,
        })
    }

    fn hits(&self, fused: &[Fused], tquery: &TextQuery) -> Result<Vec<Hit>> {
        let mut missing = BTreeSet::new();
        self.missing_docs(fused.iter().map(|f| f.slot), &mut missing);
        need(missing)?;
        let terms: HashSet<String> = tquery.all_terms().map(str::to_owned).collect();
        // One snippet maker for bodies and titles: a word analysed for one is known to both.
        let mut snippets = Snippets::new(&terms, self.config.limits.snippet_words, &self.analyzer);
        Ok(fused
            .iter()
            .map(|f| {
                let d = self.doc_at(f.slot);
                let title = snippets.window_sized(&d.title, TITLE_WORDS);
                // The excerpt is the title less outer white space: its ranges move by that.
                let shift = (!title.truncated_start && !title.truncated_end)
                    .then(|| d.title.find(title.text.as_str()))
                    .flatten();
                Hit {
                    id: d.id.clone(),
                    score: f.score,
                    text_score: f.text,
                    vector_score: f.vector,
                    title: d.title.clone(),
                    title_highlights: match shift {
                        Some(at) => title
                            .highlights
                            .into_iter()
                            .map(|r| r.start + at..r.end + at)
                            .collect(),
                        None => Vec::new(),
                    },
                    headings: d.headings.clone(),
                    url: d.url.clone(),
                    snippet: snippets.window(&d.body),
                    metadata: BTreeMap::new(),
                }
            })
            .collect())
    }

    /// Writes new segments and swaps the manifest in one atomic batch, then deletes segment blobs
    /// no longer referenced.
    pub async fn commit<S: Storage>(&mut self, storage: &S) -> Result<CommitInfo> {
        let (batch, pending) = self.prepare_commit();
        storage.commit(batch).await?;
        let mut info = self.finish_commit(pending);
        info.segments_removed = collect_garbage(storage, &info.retired).await?;
        self.garbage_collected(&info.retired);
        Ok(info.into_info())
    }

    /// Records that [`collect_garbage`] deleted `retired` (a commit's): later manifests stop
    /// listing them.
    pub fn garbage_collected(&mut self, retired: &HashSet<String>) {
        self.retired.retain(|k| !retired.contains(k));
    }

    /// The first, synchronous half of a commit: the batch to write (new segment blobs and the
    /// manifest) and what to record once it is durable. Lets callers that cannot hold the engine
    /// across an `await` (a shared engine in a browser worker) commit without blocking queries:
    /// write the batch, then call [`Engine::finish_commit`].
    pub fn prepare_commit(&self) -> (Batch, PendingCommit) {
        let mut batch = Batch::default();
        let mut bytes = 0;
        let mut ids = Vec::with_capacity(self.segments.len());
        let mut fresh = Vec::new();
        // A static index lives at its URL: commits neither write nor list it.
        let persisted: Vec<&SegState> = self
            .segments
            .iter()
            .filter(|s| s.lazy.as_ref().is_none_or(|l| l.owner().is_some()))
            .collect();
        let mut live_keys = HashSet::new();
        // Heads every meta file written (the segment's own record of how it was built).
        let header = self.header();
        for s in &persisted {
            let id = match &s.stored {
                Some(id) => {
                    live_keys.extend(s.chunks.iter().cloned());
                    id.clone()
                }
                None => {
                    let (id, puts, chunks) = stored_writes(&s.seg, &header, self.generation + 1);
                    bytes += puts.iter().map(|(_, b)| b.len()).sum::<usize>();
                    batch.puts.extend(puts);
                    live_keys.extend(chunks.iter().cloned());
                    fresh.push((s.seg.clone(), id.clone(), chunks));
                    id
                }
            };
            live_keys.extend(segment_keys(&id));
            ids.push(id);
        }
        // The model is recorded when stored vectors need it; one only a static index brought
        // is the static index's business (it may change with the next deploy).
        let stored_vectors = persisted.iter().any(|s| s.vector_rows() > 0);
        // What the last manifest referenced (or retired without a confirmed deletion) and
        // this one does not: a content-named chunk shared with a new segment stays live.
        let retired: HashSet<String> = self
            .live_keys
            .iter()
            .chain(&self.retired)
            .filter(|k| !live_keys.contains(*k))
            .cloned()
            .collect();
        let mut retired_sorted: Vec<String> = retired.iter().cloned().collect();
        retired_sorted.sort();
        let manifest = Manifest {
            retired: retired_sorted,
            generation: self.generation + 1,
            analyzer: self.config.analyzer.clone(),
            metric: self.config.vectors.metric,
            model: self.model.clone().filter(|_| stored_vectors),
            segments: persisted
                .iter()
                .zip(&ids)
                .map(|(s, id)| SegmentEntry {
                    id: id.clone(),
                    doc_count: s.seg.doc_count(),
                    deleted: s
                        .deleted
                        .iter()
                        .enumerate()
                        .filter(|(_, d)| **d)
                        .map(|(i, _)| i as u32)
                        .collect(),
                })
                .collect(),
        };
        let m = manifest.encode();
        bytes += 2 * m.len();
        batch.puts.push((MANIFEST_BACKUP_KEY.to_owned(), m.clone()));
        batch.puts.push((MANIFEST_KEY.to_owned(), m));
        if let Some(d) = self.encode_static_deletes() {
            bytes += d.len();
            batch
                .puts
                .push((crate::static_index::STATIC_DELETES_KEY.to_owned(), d));
        }
        let pending = PendingCommit {
            generation: manifest.generation,
            written: fresh.len(),
            bytes,
            fresh,
            live_keys,
            retired,
            segments_removed: 0,
        };
        (batch, pending)
    }

    /// The second half of a commit, after the batch of [`Engine::prepare_commit`] is durable:
    /// records the generation and which segments are stored (segments merged away meanwhile are
    /// simply no longer there). Returns what was committed and the keys now live (for
    /// [`collect_garbage`]).
    pub fn finish_commit(&mut self, pending: PendingCommit) -> PendingCommit {
        self.generation = self.generation.max(pending.generation);
        self.live_keys = pending.live_keys.clone();
        self.retired = pending.retired.clone();
        for (seg, id, chunks) in &pending.fresh {
            if let Some(s) = self.segments.iter_mut().find(|s| Arc::ptr_eq(&s.seg, seg)) {
                s.stored = Some(id.clone());
                s.chunks = chunks.clone();
            }
        }
        pending
    }

    /// Opens the index committed in `storage` (an empty engine if there is none), every
    /// segment read and checked whole. The analyzer and metric recorded in the manifest win
    /// over `config`'s.
    pub async fn open<S: Storage>(storage: &S, config: EngineConfig) -> Result<Self> {
        Self::open_with(storage, config, true).await
    }

    /// Like [`Engine::open`], reading only the manifest and each segment's meta file (document
    /// ids and metadata, term dictionaries, the chunk tables): the postings, text and vectors
    /// of segments in the chunked layout load on first use, checked then. A search that needs
    /// parts not loaded yet fails with `ChunksNeeded` naming their storage keys (`chunk/…`):
    /// read them from the storage, hand them to [`Engine::load_chunk`] and search again.
    /// [`Engine::stored_chunks_missing`] lists what is left (to load in the background).
    pub async fn open_lazy<S: Storage>(storage: &S, config: EngineConfig) -> Result<Self> {
        Self::open_with(storage, config, false).await
    }

    async fn open_with<S: Storage>(storage: &S, config: EngineConfig, whole: bool) -> Result<Self> {
        let mut engine = Engine::new(config)?;
        let Some(bytes) = storage.get(MANIFEST_KEY).await? else {
            // Nothing committed, unless records of an index are there without their manifest:
            // then opening empty would let the next commit write over them.
            crate::recover::check_no_orphans(storage).await?;
            return Ok(engine);
        };
        let manifest = Manifest::decode(&bytes)?;
        engine.retired = manifest.retired.iter().cloned().collect();
        if let Some(d) = storage.get(crate::static_index::STATIC_DELETES_KEY).await? {
            engine.static_deletes = crate::static_index::decode_static_deletes(&d)?;
        }
        engine.config.analyzer = manifest.analyzer.clone();
        engine.config.vectors.metric = manifest.metric;
        engine.analyzer = Analyzer::new(manifest.analyzer.clone());
        engine.model = manifest.model.clone();
        engine.generation = manifest.generation;
        for entry in &manifest.segments {
            let loaded = load_segment(storage, entry, engine.dims(), whole).await?;
            let mut deleted = vec![false; loaded.seg.doc_count() as usize];
            for &d in &entry.deleted {
                deleted[d as usize] = true;
            }
            engine.live_keys.extend(segment_keys(&entry.id));
            engine.live_keys.extend(loaded.chunks.iter().cloned());
            engine.segments.push(SegState {
                seg: Arc::new(loaded.seg),
                stored: Some(entry.id.clone()),
                chunks: loaded.chunks,
                deleted,
                deleted_count: entry.deleted.len() as u32,
                base: 0,
                lazy: loaded.lazy.map(Box::new),
                serial: next_serial(),
            });
        }
        engine.rebuild_ids();
        engine.rebase();
        if engine.ids.len()
            != engine
                .segments
                .iter()
                .map(|s| s.live() as usize)
                .sum::<usize>()
        {
            return Err(CoreError::Corrupt {
                what: "manifest".into(),
                reason: "a document id is live in two segments".into(),
            });
        }
        Ok(engine)
    }
}

/// A stored segment as read: whole, or (chunked layout, read lazily) its meta file only.
struct Loaded {
    seg: Segment,
    lazy: Option<crate::static_index::Lazy>,
    /// Storage keys of its chunks (chunked layout).
    chunks: Vec<String>,
}

/// Reads and checks the stored segment of a manifest entry: present, intact (checksum,
/// structure), the content the manifest names, with vectors of the index's dimension. A
/// segment in the chunked layout is read whole when `whole` (every chunk checked), else only
/// its meta file.
async fn load_segment<S: Storage>(
    storage: &S,
    entry: &SegmentEntry,
    dims: usize,
    whole: bool,
) -> Result<Loaded> {
    let key = format!("{SEGMENT_PREFIX}{}", entry.id);
    let blob = storage.get(&key).await?.ok_or_else(|| CoreError::Corrupt {
        what: format!("segment {}", entry.id),
        reason: "listed in the manifest but missing from storage".into(),
    })?;
    if blob.starts_with(crate::static_index::META_MAGIC) {
        // The meta file's name is its content id: decoding checks it against the manifest's.
        let (seg, lazy) = crate::static_index::open_stored(&entry.id, &blob)?;
        let chunks = lazy.chunk_keys();
        check_rebuilt(&seg, entry, dims)?;
        if lazy.vector_rows() > 0 && dims == 0 {
            return Err(CoreError::Corrupt {
                what: format!("segment {}", entry.id),
                reason: "vectors in an index without a model".into(),
            });
        }
        if !whole {
            return Ok(Loaded {
                seg,
                lazy: Some(lazy),
                chunks,
            });
        }
        let seg = crate::static_index::load_stored(storage, seg, lazy, dims).await?;
        return Ok(Loaded {
            seg,
            lazy: None,
            chunks,
        });
    }
    // Segments written before the chunked layout: one blob.
    let seg = Segment::decode(&blob, &entry.id)?;
    if content_id(&blob) != entry.id {
        return Err(CoreError::Corrupt {
            what: format!("segment {}", entry.id),
            reason: "content does not match the manifest".into(),
        });
    }
    check_rebuilt(&seg, entry, dims)?;
    Ok(Loaded {
        seg,
        lazy: None,
        chunks: Vec::new(),
    })
}

/// Chunk sizes of stored segments: larger than a static index's (one IndexedDB record each,
/// read from the local disk rather than over the network).
const STORED_CHUNKS: crate::static_index::ExportParams = crate::static_index::ExportParams {
    postings_chunk_bytes: 32 * 1024,
    docs_chunk_bytes: 16 * 1024,
};

/// What storing a segment writes: its id, the records, and the keys of its chunks.
type StoredWrites = (String, Vec<(String, Vec<u8>)>, Vec<String>);

/// What storing `seg` writes, in the chunked layout: its id (the meta file's content id), the
/// records (meta file under `seg/<id>`, every chunk under `chunk/<name>`, the documents-store
/// record, which keeps `generation`: the commit that first stores the segment), and the chunks'
/// keys.
fn stored_writes(seg: &Segment, header: &Manifest, generation: u64) -> StoredWrites {
    let (meta, files) = crate::static_index::encode_chunked(seg, header, &STORED_CHUNKS);
    let id = meta.name["meta/".len()..meta.name.len() - ".bin".len()].to_owned();
    let [seg_key, doc_key] = segment_keys(&id);
    let mut puts = Vec::with_capacity(files.len() + 2);
    let mut chunks = Vec::with_capacity(files.len());
    puts.push((seg_key, meta.bytes));
    for f in files {
        let key = format!("{STORED_CHUNK_PREFIX}{}", f.name);
        chunks.push(key.clone());
        puts.push((key, f.bytes));
    }
    puts.push((doc_key, seg.encode_docstore(generation)));
    (id, puts, chunks)
}

/// Checks a segment against its manifest entry: document count and vector dimension.
fn check_rebuilt(seg: &Segment, entry: &SegmentEntry, dims: usize) -> Result<()> {
    if seg.doc_count() != entry.doc_count {
        return Err(CoreError::Corrupt {
            what: format!("segment {}", entry.id),
            reason: format!(
                "{} documents where the manifest lists {}",
                seg.doc_count(),
                entry.doc_count
            ),
        });
    }
    if seg.vectors.rows() > 0 && seg.vectors.dims() != dims {
        return Err(CoreError::Corrupt {
            what: format!("segment {}", entry.id),
            reason: format!(
                "vectors of dimension {} in a {}-dimensional index",
                seg.vectors.dims(),
                dims
            ),
        });
    }
    Ok(())
}

impl Engine {
    /// Rebuilds the damaged segments of the index committed in `storage` from the documents
    /// store, then commits the repaired manifest and deletes the damaged blobs. A segment is
    /// damaged when it is missing, fails its checksum or decoding, or is not the content its
    /// manifest entry names. Intact indexes are left alone (`segments: 0`, no write).
    ///
    /// A missing or damaged manifest is restored from its backup record (the same bytes, each
    /// commit writes both), or when that is gone too, rebuilt from the documents store
    /// ([`ManifestRepair`] says which). Only the records it replaces are deleted afterwards.
    ///
    /// Fails with `CORRUPT_DATA` naming what cannot be repaired: a damaged segment whose
    /// documents-store record is missing (segments written before the documents store
    /// existed) or damaged too, or a lost manifest with nothing to rebuild it from. Nothing is
    /// written then. The caller serialises repairs with commits (the package holds the
    /// index's lock).
    pub async fn repair<S: Storage>(storage: &S, config: EngineConfig) -> Result<RepairInfo> {
        let found = match storage.get(MANIFEST_KEY).await {
            Ok(Some(bytes)) => match Manifest::decode(&bytes) {
                Ok(m) => Some((m, ManifestRepair::Intact)),
                Err(CoreError::Corrupt { .. }) => {
                    crate::recover::lost_manifest(storage, &config).await?
                }
                Err(e) => return Err(e),
            },
            // Missing, or a record that is not even bytes.
            Ok(None) | Err(CoreError::Corrupt { .. }) => {
                crate::recover::lost_manifest(storage, &config).await?
            }
            Err(e) => return Err(e),
        };
        let Some((mut manifest, how)) = found else {
            return Ok(RepairInfo::default());
        };
        // The stored analyzer and metric win, as in `open`.
        let config = EngineConfig {
            analyzer: manifest.analyzer.clone(),
            vectors: VectorParams {
                metric: manifest.metric,
                ..config.vectors
            },
            ..config
        }
        .validate()?;
        let analyzer = Analyzer::new(config.analyzer.clone());
        let dims = manifest.model.as_ref().map_or(0, |m| m.dims);
        let mut info = RepairInfo {
            generation: manifest.generation,
            manifest: how,
            ..RepairInfo::default()
        };
        let header = Manifest::header(
            manifest.analyzer.clone(),
            manifest.metric,
            manifest.model.clone(),
        );
        let mut batch = Batch::default();
        let mut live: HashSet<String> = HashSet::new();
        // Keys of the records a rebuilt segment replaces.
        let mut replaced: HashSet<String> = HashSet::new();
        for entry in &mut manifest.segments {
            match load_segment(storage, entry, dims, true).await {
                Ok(loaded) => {
                    live.extend(loaded.chunks);
                    live.extend(segment_keys(&entry.id));
                    continue;
                }
                Err(CoreError::Corrupt { .. }) => {}
                Err(e) => return Err(e),
            }
            let [_, doc_key] = segment_keys(&entry.id);
            let record = storage
                .get(&doc_key)
                .await?
                .ok_or_else(|| CoreError::Corrupt {
                    what: format!("segment {}", entry.id),
                    reason: "damaged, and the documents store has no copy of it to rebuild it \
                             from (written before scry kept one)"
                        .into(),
                })?;
            let seg = Segment::rebuild(&record, &entry.id, &analyzer, &config.vectors)?;
            check_rebuilt(&seg, entry, dims)?;
            // The rebuilt segment keeps the generation it was first stored at: the same bytes.
            let first = Segment::docstore_generation(&record, &entry.id)?;
            let (id, puts, chunks) = stored_writes(&seg, &header, first);
            batch.puts.extend(puts);
            live.extend(chunks);
            live.extend(segment_keys(&id));
            replaced.extend(segment_keys(&entry.id));
            info.segments += 1;
            info.documents += seg.doc_count() as usize;
            entry.id = id;
        }
        if info.segments == 0 && how == ManifestRepair::Intact {
            return Ok(info);
        }
        if how != ManifestRepair::Intact {
            info.documents = manifest
                .segments
                .iter()
                .map(|s| (s.doc_count as usize).saturating_sub(s.deleted.len()))
                .sum::<usize>();
        }
        manifest.generation += 1;
        info.generation = manifest.generation;
        let retired: HashSet<String> = replaced
            .into_iter()
            .chain(manifest.retired.iter().cloned())
            .filter(|k| !live.contains(k))
            .collect();
        manifest.retired = retired.iter().cloned().collect();
        manifest.retired.sort();
        let m = manifest.encode();
        batch.puts.push((MANIFEST_BACKUP_KEY.to_owned(), m.clone()));
        batch.puts.push((MANIFEST_KEY.to_owned(), m));
        storage.commit(batch).await?;
        // The repair is committed; what it retired and a failed collection leaves behind is
        // collected by a later commit (the manifest lists it).
        let _ = collect_garbage(storage, &retired).await;
        Ok(info)
    }
}

/// Keeps the `k` best `(slot, score)` pairs, best first (ties by slot).
/// Best first: higher score, then lower slot.
fn by_score(a: &(u32, f32), b: &(u32, f32)) -> std::cmp::Ordering {
    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
}

fn top_k(v: &mut Vec<(u32, f32)>, k: usize) {
    if v.len() > k {
        v.select_nth_unstable_by(k, by_score);
        v.truncate(k);
    }
    v.sort_by(by_score);
}
