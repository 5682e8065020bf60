//! scry-wasm: the wasm-bindgen surface of scry. Thin: converts JavaScript options, results and
//! errors; all logic lives in the other crates.

#[cfg(all(feature = "bench", target_arch = "wasm32"))]
pub mod bench;
mod error;
#[cfg(all(target_arch = "wasm32", feature = "gpu"))]
mod gpu;
#[cfg(feature = "embed")]
mod model;
#[cfg(target_arch = "wasm32")]
mod storage;

#[cfg(all(target_arch = "wasm32", feature = "gpu"))]
pub use gpu::{Candidates, GpuScan};
#[cfg(feature = "embed")]
pub use model::{ClipModel, TextModel, model_manifest};
#[cfg(target_arch = "wasm32")]
pub use storage::{CommitBatch, Store};

use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::error::ScryJsError;

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)] // the linker's constructor entry point; see `start`
unsafe extern "C" {
    /// Synthesised by wasm-ld: runs the static constructors (tract registers its runtimes
    /// through `inventory`).
    fn __wasm_call_ctors();
}

/// Runs the static constructors once, when the module is instantiated. Without an explicit call
/// wasm-ld takes the module for a "command" and runs them again at the top of every exported
/// function: 5 % of a full-text search's time in a profile.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen(start)]
#[allow(unsafe_code)]
fn start() {
    // SAFETY: called once, by wasm-bindgen's start hook, before any other export runs; the
    // constructors (inventory registrations) are idempotent besides.
    unsafe { __wasm_call_ctors() }
}

/// Search options as JavaScript passes them: `{ k?, mode?, filter?, diversify?, offset?,
/// sort?, count?, facets? }`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchOptions {
    k: Option<usize>,
    mode: Option<scry_core::Mode>,
    filter: Option<scry_core::Filter>,
    diversify: Option<f32>,
    offset: Option<usize>,
    sort: Option<SortOption>,
    count: Option<bool>,
    facets: Option<Vec<String>>,
    metadata: Option<MetadataOption>,
}

/// `metadata: true` (every field with each hit), `false`, or the fields to return.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum MetadataOption {
    All(bool),
    Fields(Vec<String>),
}

/// `sort: { field, order? }` (`order`: `'asc'`, the default, or `'desc'`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SortOption {
    field: String,
    #[serde(default)]
    order: SortOrder,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
enum SortOrder {
    #[default]
    Asc,
    Desc,
}

/// A facet as JavaScript receives it: `{ field, values: [{ value, count }], distinct }`.
#[derive(Serialize)]
struct JsFacet<'a> {
    field: &'a str,
    values: Vec<JsFacetValue<'a>>,
    distinct: usize,
}

#[derive(Serialize)]
struct JsFacetValue<'a> {
    value: &'a str,
    count: usize,
}

/// Suggestion options as JavaScript passes them: `{ max?, topN?, maxClusters?, minCluster?,
/// termsPerCluster? }`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SuggestOptions {
    max: Option<usize>,
    top_n: Option<usize>,
    max_clusters: Option<usize>,
    min_cluster: Option<usize>,
    terms_per_cluster: Option<usize>,
}

const SUGGEST_OPTION_KEYS: &[&str] = &[
    "max",
    "topN",
    "maxClusters",
    "minCluster",
    "termsPerCluster",
];

/// A suggestion's preview item.
#[derive(Serialize)]
struct JsSuggestionItem {
    id: String,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsSuggestion {
    query: String,
    added: Vec<String>,
    items: Vec<JsSuggestionItem>,
    specificity: f32,
    baseline_specificity: f32,
    representativeness: f32,
    similarity: f32,
}

fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.encode_utf16().count()
    }
}

/// Option names each options object accepts (serde-wasm-bindgen ignores unknown keys, so
/// `deny_unknown_fields` alone would let typos through).
pub(crate) const ENGINE_OPTION_KEYS: &[&str] = &[
    "analyzer", "bm25", "vectors", "passages", "hybrid", "limits",
];
const SEARCH_OPTION_KEYS: &[&str] = &[
    "k",
    "mode",
    "filter",
    "diversify",
    "offset",
    "sort",
    "count",
    "facets",
    "metadata",
];

pub(crate) fn from_js<T: for<'de> Deserialize<'de> + Default>(
    v: JsValue,
    what: &str,
    allowed: &[&str],
) -> Result<T, ScryJsError> {
    if v.is_undefined() || v.is_null() {
        return Ok(T::default());
    }
    if !v.is_object() || js_sys::Array::is_array(&v) {
        return Err(ScryJsError::invalid_options(what, "expected an object"));
    }
    for key in js_sys::Object::keys(v.unchecked_ref::<js_sys::Object>()).iter() {
        let key = key.as_string().unwrap_or_default();
        if !allowed.contains(&key.as_str()) {
            return Err(ScryJsError::invalid_options(
                what,
                format!("unknown option `{key}` (expected one of {allowed:?})"),
            ));
        }
    }
    serde_wasm_bindgen::from_value(v).map_err(|e| ScryJsError::invalid_options(what, e))
}

/// A search engine instance.
#[wasm_bindgen]
pub struct Engine {
    inner: scry_core::Engine,
    /// Reused between queries: the scorer's dense arrays are as long as the index (allocating
    /// and zeroing them per query cost a sizeable share of a full-text query).
    scratch: std::cell::RefCell<scry_core::Scratch>,
}

impl Engine {
    pub(crate) fn from_core(inner: scry_core::Engine) -> Self {
        Engine {
            inner,
            scratch: Default::default(),
        }
    }
}

#[wasm_bindgen]
impl Engine {
    /// Creates an empty engine. `options` mirrors scry-core's `EngineConfig` in camelCase:
    /// `{ analyzer?, bm25?, vectors?, passages?, hybrid?, limits? }`.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<Engine, JsValue> {
        let config: scry_core::EngineConfig =
            from_js(options, "engine options", ENGINE_OPTION_KEYS)?;
        let inner = scry_core::Engine::new(config).map_err(ScryJsError::from)?;
        Ok(Engine::from_core(inner))
    }

    /// Adds an array of documents `{ id, title?, headings?, body?, tags?, url?, metadata? }`,
    /// all or none.
    pub fn add(&mut self, documents: JsValue) -> Result<(), JsValue> {
        let docs = documents_from_js(documents)?;
        self.inner.add(docs).map_err(ScryJsError::from)?;
        Ok(())
    }

    /// Adds documents like `add`, embedding their passages with `model` (all or none). The
    /// index keeps the vectors of one model: another model is a `MODEL_MISMATCH` error.
    #[cfg(feature = "embed")]
    #[wasm_bindgen(js_name = addEmbedded)]
    pub fn add_embedded(
        &mut self,
        documents: JsValue,
        model: &mut TextModel,
    ) -> Result<(), JsValue> {
        let docs = documents_from_js(documents)?;
        self.inner
            .add_embedded(docs, &mut model.inner)
            .map_err(ScryJsError::from)?;
        Ok(())
    }

    /// The texts to embed for each document (its passages, with title and headings as
    /// context): `string[][]`, one array per document. The documents are checked first — valid,
    /// and (`forAdd`) with ids that are new and unique — so that a caller embedding them fails
    /// before the slow part.
    pub fn passages(&self, documents: JsValue, for_add: bool) -> Result<JsValue, JsValue> {
        let docs = documents_from_js(documents)?;
        if for_add {
            self.inner.check_new(&docs).map_err(ScryJsError::from)?;
        } else {
            for d in &docs {
                d.validate().map_err(ScryJsError::from)?;
            }
        }
        let out: Vec<Vec<String>> = docs.iter().map(|d| self.inner.passages(d)).collect();
        serde_wasm_bindgen::to_value(&out).map_err(|e| JsValue::from_str(&e.to_string()))
    }

    /// Adds documents (`replace`: replacing those with the same ids) with vectors computed
    /// beforehand by the model `modelId` of dimension `dims` and `fingerprint` (a `TextModel`'s
    /// or a `ClipModel`'s getters): `vectors` holds every vector one after another, `counts[i]`
    /// of them for document `i` (its passages, in the order of `passages`, or one image), all
    /// or none. The index keeps the vectors of one model: another is `MODEL_MISMATCH`.
    #[wasm_bindgen(js_name = indexWithVectors)]
    #[allow(clippy::too_many_arguments)]
    pub fn index_with_vectors(
        &mut self,
        documents: JsValue,
        vectors: &[f32],
        counts: &[u32],
        model_id: String,
        dims: usize,
        fingerprint: String,
        replace: bool,
    ) -> Result<(), JsValue> {
        let docs = documents_from_js(documents)?;
        let tag = scry_core::ModelTag {
            id: model_id,
            dims,
            fingerprint,
        };
        let (grouped, tag) = group_vectors(vectors, counts, tag)?;
        let done = if replace {
            self.inner.update_with_vectors(docs, grouped, &tag)
        } else {
            self.inner.add_with_vectors(docs, grouped, &tag)
        };
        done.map_err(ScryJsError::from)?;
        Ok(())
    }

    /// Replaces documents by id (adding those that are new), all or none.
    pub fn update(&mut self, documents: JsValue) -> Result<(), JsValue> {
        let docs = documents_from_js(documents)?;
        self.inner.update(docs).map_err(ScryJsError::from)?;
        Ok(())
    }

    /// The id of the model whose vectors the index holds, if any.
    #[wasm_bindgen(getter, js_name = modelId)]
    pub fn model_id(&self) -> Option<String> {
        self.inner.model().map(|m| m.id.clone())
    }

    /// The analyzer the index is built with (scry-core's `AnalyzerConfig` in camelCase: a
    /// stored or static index's own, once opened or attached).
    #[wasm_bindgen(getter)]
    pub fn analyzer(&self) -> Result<JsValue, JsValue> {
        let config = self.inner.analyzer().config();
        // `language: null` (no stemming) must stay distinguishable from a missing key.
        let out =
            serde_wasm_bindgen::to_value(config).map_err(|e| JsValue::from_str(&e.to_string()))?;
        if config.language.is_none() {
            js_sys::Reflect::set(&out, &JsValue::from_str("language"), &JsValue::NULL)?;
        }
        Ok(out)
    }

    /// Whether the analyzer options `wanted` (the fields given of `{ language, stopWords,
    /// foldDiacritics, codeTokens }`, the others the index's own) make the same terms as the
    /// index's analyzer: stop words compared normalised, an explicit default list as the
    /// default.
    #[wasm_bindgen(js_name = sameAnalyzer)]
    pub fn same_analyzer(&self, wanted: JsValue) -> Result<bool, JsValue> {
        let own = self.inner.analyzer();
        let mut config = own.config().clone();
        let field = |name: &str| js_sys::Reflect::get(&wanted, &JsValue::from_str(name));
        let invalid = |e: serde_wasm_bindgen::Error| ScryJsError::invalid_options("analyzer", e);
        let language = field("language")?;
        if language.is_null() {
            config.language = None;
        } else if !language.is_undefined() {
            config.language = Some(serde_wasm_bindgen::from_value(language).map_err(invalid)?);
        }
        let stop_words = field("stopWords")?;
        if !stop_words.is_undefined() {
            config.stop_words = Some(serde_wasm_bindgen::from_value(stop_words).map_err(invalid)?);
        }
        for (name, slot) in [
            ("foldDiacritics", &mut config.fold_diacritics),
            ("codeTokens", &mut config.code_tokens),
        ] {
            if let Some(b) = field(name)?.as_bool() {
                *slot = b;
            }
        }
        Ok(own.same_analysis(&scry_core::text::Analyzer::new(config)))
    }

    /// Removes documents by id; returns how many existed.
    pub fn remove(&mut self, ids: Vec<String>) -> usize {
        self.inner.remove(&ids)
    }

    /// Number of documents.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> usize {
        self.inner.len()
    }

    /// Adds a static index built by `scry index` (its meta file `name`, as `scry.json` lists
    /// it, and its bytes): its documents become searchable; searches that need parts not yet
    /// loaded fail with `CHUNKS_NEEDED` and the error's `chunks` array (load them with
    /// `loadChunk`, then search again).
    #[wasm_bindgen(js_name = attachStatic)]
    pub fn attach_static(&mut self, name: &str, bytes: &[u8]) -> Result<(), JsValue> {
        self.inner
            .attach_static(name, bytes)
            .map_err(ScryJsError::from)?;
        Ok(())
    }

    /// Loads a chunk of an attached static index (by its name), or of a stored segment opened
    /// lazily (by its storage key, `chunk/…`), checked against its name.
    #[wasm_bindgen(js_name = loadChunk)]
    pub fn load_chunk(&mut self, name: &str, bytes: &[u8]) -> Result<(), JsValue> {
        self.inner
            .load_chunk(name, bytes)
            .map_err(ScryJsError::from)?;
        Ok(())
    }

    /// The storage keys of the chunks of stored segments not loaded yet (`Store.openEngine`
    /// reads only each segment's meta file; read these with `Store.read` and hand them to
    /// `loadChunk`, in the background or when a search asks for them).
    #[wasm_bindgen(js_name = storedChunksMissing)]
    pub fn stored_chunks_missing(&self) -> Vec<String> {
        self.inner.stored_chunks_missing()
    }

    /// Documents and passage vectors of the attached static indexes as their meta files hold
    /// them: `[documents, vectors]`.
    #[wasm_bindgen(js_name = staticCounts)]
    pub fn static_counts(&self) -> Vec<f64> {
        let (documents, vectors) = self.inner.static_counts();
        vec![documents as f64, vectors as f64]
    }

    /// The model the attached static index's meta file names: `[id, dims]`, or `undefined`.
    #[wasm_bindgen(js_name = staticModel)]
    pub fn static_model(&self) -> JsValue {
        match self.inner.static_model() {
            Some(m) => {
                let out = js_sys::Array::new();
                out.push(&JsValue::from_str(&m.id));
                out.push(&JsValue::from_f64(m.dims as f64));
                out.into()
            }
            None => JsValue::UNDEFINED,
        }
    }

    /// The chunks of the attached static indexes: `[{ name, loaded }]`.
    #[wasm_bindgen(js_name = staticChunks)]
    pub fn static_chunks(&self) -> Result<JsValue, JsValue> {
        #[derive(serde::Serialize)]
        struct Chunk {
            name: String,
            loaded: bool,
        }
        let list: Vec<Chunk> = self
            .inner
            .static_chunks()
            .into_iter()
            .map(|(name, loaded)| Chunk { name, loaded })
            .collect();
        serde_wasm_bindgen::to_value(&list).map_err(|e| JsValue::from_str(&e.to_string()))
    }

    /// Runs pending segment merges and graph builds.
    pub fn maintain(&mut self) {
        self.inner.maintain();
    }

    /// Segments (the static index's included).
    #[wasm_bindgen(getter, js_name = segmentCount)]
    pub fn segment_count(&self) -> usize {
        self.inner.segment_count()
    }

    /// Segments searched through an HNSW graph.
    #[wasm_bindgen(getter, js_name = graphSegmentCount)]
    pub fn graph_segment_count(&self) -> usize {
        self.inner.graph_segment_count()
    }

    /// Passage vectors (those of deleted documents too, until merged away).
    #[wasm_bindgen(getter, js_name = vectorCount)]
    pub fn vector_count(&self) -> usize {
        self.inner.vector_count()
    }

    /// Whether a merge or a graph build is pending (a flat segment past the HNSW threshold,
    /// many deletes, or similar-sized segments to combine).
    #[wasm_bindgen(getter, js_name = needsMaintenance)]
    pub fn needs_maintenance(&self) -> bool {
        self.inner.merge_task().is_some()
    }

    /// Runs the next pending merge or graph build (one; the package calls it again while
    /// `needsMaintenance`, between other work); returns whether there was one.
    #[wasm_bindgen(js_name = maintainStep)]
    pub fn maintain_step(&mut self) -> Result<bool, JsValue> {
        let Some(task) = self.inner.merge_task() else {
            return Ok(false);
        };
        self.inner.apply(task.run()).map_err(ScryJsError::from)?;
        Ok(true)
    }

    /// Searches; returns an array of hits, or `{ hits, total, facets }` when `options` count
    /// the match set. `options`: `{ k?, mode?, filter?, diversify?, offset?, sort?: { field,
    /// order? }, count?, facets? }`; `vector`: the query's embedding for vector and hybrid
    /// modes.
    pub fn search(
        &self,
        query: &str,
        options: JsValue,
        vector: Option<Vec<f32>>,
    ) -> Result<JsValue, JsValue> {
        let opts = search_options(options)?;
        let results = self
            .inner
            .query_with(
                &mut self.scratch.borrow_mut(),
                query,
                vector.as_deref(),
                &opts,
            )
            .map_err(ScryJsError::from)?;
        results_to_js(&self.inner, &opts, results)
    }

    /// Searches like `search`, embedding the query with `model` (the index's model) for the
    /// vector and hybrid modes.
    #[cfg(feature = "embed")]
    #[wasm_bindgen(js_name = searchEmbedded)]
    pub fn search_embedded(
        &self,
        query: &str,
        options: JsValue,
        model: &mut TextModel,
    ) -> Result<JsValue, JsValue> {
        let opts = search_options(options)?;
        let results = self
            .inner
            .query_embedded_with(
                &mut self.scratch.borrow_mut(),
                query,
                model.queries(),
                &opts,
            )
            .map_err(ScryJsError::from)?;
        results_to_js(&self.inner, &opts, results)
    }

    /// "Maybe you are looking for…": query suggestions (scry-core's `suggest`) from full-text
    /// results. `options`: `{ max?, topN?, maxClusters?, minCluster?, termsPerCluster? }`.
    pub fn suggest(&self, query: &str, options: JsValue) -> Result<JsValue, JsValue> {
        let (params, max) = suggest_options(options)?;
        let out = self
            .inner
            .suggest(query, None, &params)
            .map_err(ScryJsError::from)?;
        suggestions_to_js(&self.inner, out, max)
    }

    /// Like `suggest`, with hybrid results and clusters of passage vectors from `model`.
    #[cfg(feature = "embed")]
    #[wasm_bindgen(js_name = suggestEmbedded)]
    pub fn suggest_embedded(
        &self,
        query: &str,
        options: JsValue,
        model: &mut TextModel,
    ) -> Result<JsValue, JsValue> {
        let (params, max) = suggest_options(options)?;
        let out = self
            .inner
            .suggest(query, Some(model.queries()), &params)
            .map_err(ScryJsError::from)?;
        suggestions_to_js(&self.inner, out, max)
    }
}

fn suggest_options(options: JsValue) -> Result<(scry_core::SuggestParams, usize), ScryJsError> {
    let o: SuggestOptions = from_js(options, "suggest options", SUGGEST_OPTION_KEYS)?;
    let d = scry_core::SuggestParams::default();
    let max = o.max.unwrap_or(4);
    if !(1..=12).contains(&max) {
        return Err(ScryJsError {
            code: "INVALID_PARAMETER",
            message: format!("invalid parameter max: {max} is outside 1..=12"),
            chunks: Vec::new(),
        });
    }
    Ok((
        scry_core::SuggestParams {
            top_n: o.top_n.unwrap_or(d.top_n),
            max_clusters: o.max_clusters.unwrap_or(d.max_clusters),
            min_cluster: o.min_cluster.unwrap_or(d.min_cluster),
            terms_per_cluster: o.terms_per_cluster.unwrap_or(d.terms_per_cluster),
            embed_candidates: false,
        },
        max,
    ))
}

/// A document's `metadata.image`, when it is a string.
fn image_of(doc: &scry_core::Document) -> Option<String> {
    match doc.metadata.get("image")? {
        scry_core::MetaValue::Text(url) => Some(url.clone()),
        _ => None,
    }
}

fn suggestions_to_js(
    engine: &scry_core::Engine,
    suggestions: Vec<scry_core::Suggestion>,
    max: usize,
) -> Result<JsValue, JsValue> {
    let out: Vec<JsSuggestion> = suggestions
        .into_iter()
        .take(max)
        .map(|s| JsSuggestion {
            items: s
                .items
                .iter()
                .filter_map(|id| engine.get(id))
                .map(|d| JsSuggestionItem {
                    id: d.id.clone(),
                    title: d.title.clone(),
                    url: d.url.clone(),
                    image: image_of(d),
                })
                .collect(),
            query: s.query,
            added: s.added,
            specificity: s.specificity,
            baseline_specificity: s.baseline_specificity,
            representativeness: s.representativeness,
            similarity: s.similarity,
        })
        .collect();
    let json = serde_json::to_string(&out)
        .map_err(|e| JsValue::from(ScryJsError::invalid_options("suggestions", e)))?;
    js_sys::JSON::parse(&json)
}

fn search_options(options: JsValue) -> Result<scry_core::SearchOptions, ScryJsError> {
    let o: SearchOptions = from_js(options, "search options", SEARCH_OPTION_KEYS)?;
    Ok(scry_core::SearchOptions {
        k: o.k.unwrap_or(10),
        mode: o.mode.unwrap_or_default(),
        filter: o.filter,
        diversify: o.diversify,
        offset: o.offset.unwrap_or(0),
        sort: o.sort.map(|s| scry_core::Sort {
            field: s.field,
            descending: matches!(s.order, SortOrder::Desc),
        }),
        count: o.count.unwrap_or(false),
        facets: o.facets.unwrap_or_default(),
        metadata: match o.metadata {
            None | Some(MetadataOption::All(false)) => None,
            Some(MetadataOption::All(true)) => Some(Vec::new()),
            Some(MetadataOption::Fields(fields)) => Some(fields),
        },
    })
}

#[wasm_bindgen(module = "/js/hits.js")]
extern "C" {
    /// Builds the hit objects from what [`hits_to_js`] packed (see js/hits.js).
    #[wasm_bindgen(js_name = unpackHits)]
    fn unpack_hits(text: &str, nums: &[f64]) -> JsValue;
}

/// Search hits packed for `unpackHits` (js/hits.js): every string concatenated into one text
/// (one decode; the objects then take slices of it), and the numbers with each string's end in
/// UTF-16 code units. Several times faster than `JSON.parse` of the same hits.
#[derive(Default)]
struct PackedHits {
    text: String,
    /// UTF-16 length of `text`.
    units: usize,
    nums: Vec<f64>,
}

impl PackedHits {
    fn string(&mut self, s: &str) {
        self.text.push_str(s);
        self.units += utf16_len(s);
        self.nums.push(self.units as f64);
    }

    fn optional(&mut self, v: Option<f32>) {
        self.nums.push(v.map_or(f64::NAN, f64::from));
    }

    /// Layout, per hit after the count: score, text score, vector score (NaN: none); the ends
    /// of id and title; the title's highlights (their number, then each `[start, end)` in
    /// UTF-16 code units of the title); the number of headings and their ends; flags (1 url,
    /// 2 image, 4 truncated start, 8 truncated end, 16 metadata); the ends of url and image
    /// where present and of the snippet text; the snippet's highlights, as the title's; the end
    /// of the metadata as JSON where present.
    fn hit(&mut self, h: &scry_core::Hit, image: Option<&str>, metadata: Option<&str>) {
        self.nums.push(f64::from(h.score));
        self.optional(h.text_score);
        self.optional(h.vector_score);
        self.string(&h.id);
        self.string(&h.title);
        self.ranges(&h.title, &h.title_highlights);
        self.nums.push(h.headings.len() as f64);
        for heading in &h.headings {
            self.string(heading);
        }
        let s = &h.snippet;
        let flags = u8::from(h.url.is_some())
            | u8::from(image.is_some()) << 1
            | u8::from(s.truncated_start) << 2
            | u8::from(s.truncated_end) << 3
            | u8::from(metadata.is_some()) << 4;
        self.nums.push(f64::from(flags));
        if let Some(url) = &h.url {
            self.string(url);
        }
        if let Some(image) = image {
            self.string(image);
        }
        self.string(&s.text);
        self.ranges(&s.text, &s.highlights);
        if let Some(json) = metadata {
            self.string(json);
        }
    }

    /// The number of `ranges` of `text` and each as `[start, end)` in UTF-16 code units.
    fn ranges(&mut self, text: &str, ranges: &[std::ops::Range<usize>]) {
        // The count goes first; it is written once the valid ranges are known.
        let count_at = self.nums.len();
        self.nums.push(0.0);
        for r in ranges {
            if let (Some(before), Some(inside)) = (text.get(..r.start), text.get(r.clone())) {
                let start = utf16_len(before);
                self.nums
                    .extend([start as f64, (start + utf16_len(inside)) as f64]);
            }
        }
        self.nums[count_at] = ((self.nums.len() - count_at - 1) / 2) as f64;
    }
}

/// A search's answer: its hits, or, when `options` counted the match set (`count` or
/// `facets`), `{ hits, total, facets }`.
pub(crate) fn results_to_js(
    engine: &scry_core::Engine,
    options: &scry_core::SearchOptions,
    results: scry_core::Results,
) -> Result<JsValue, JsValue> {
    let hits = hits_to_js(engine, results.hits, options.metadata.is_some())?;
    if !options.count && options.facets.is_empty() {
        return Ok(hits);
    }
    let facets: Vec<JsFacet<'_>> = results
        .facets
        .iter()
        .map(|f| JsFacet {
            field: &f.field,
            values: f
                .values
                .iter()
                .map(|(value, count)| JsFacetValue {
                    value,
                    count: *count,
                })
                .collect(),
            distinct: f.distinct,
        })
        .collect();
    let json = serde_json::to_string(&facets)
        .map_err(|e| JsValue::from(ScryJsError::invalid_options("facets", e)))?;
    let out = js_sys::Object::new();
    js_sys::Reflect::set(&out, &"hits".into(), &hits)?;
    let total = results.total.unwrap_or(0) as f64;
    js_sys::Reflect::set(&out, &"total".into(), &total.into())?;
    js_sys::Reflect::set(&out, &"facets".into(), &js_sys::JSON::parse(&json)?)?;
    Ok(out.into())
}

/// The hits as JavaScript objects (each with `metadata` when `with_metadata`).
fn hits_to_js(
    engine: &scry_core::Engine,
    hits: Vec<scry_core::Hit>,
    with_metadata: bool,
) -> Result<JsValue, JsValue> {
    let mut packed = PackedHits::default();
    packed.nums.push(hits.len() as f64);
    for h in &hits {
        let image = engine.get(&h.id).and_then(image_of);
        let metadata = if with_metadata {
            let json = serde_json::to_string(&h.metadata)
                .map_err(|e| JsValue::from(ScryJsError::invalid_options("metadata", e)))?;
            Some(json)
        } else {
            None
        };
        packed.hit(h, image.as_deref(), metadata.as_deref());
    }
    Ok(unpack_hits(&packed.text, &packed.nums))
}

/// Each document's passage vectors.
type DocVectors = Vec<Vec<Vec<f32>>>;

/// Splits flat passage vectors into per-document lists (`counts[i]` vectors of the model's
/// dimension for document `i`).
fn group_vectors(
    vectors: &[f32],
    counts: &[u32],
    tag: scry_core::ModelTag,
) -> Result<(DocVectors, scry_core::ModelTag), ScryJsError> {
    let dims = tag.dims;
    let total: usize = counts.iter().map(|&c| c as usize).sum();
    if dims == 0 || vectors.len() != total * dims {
        return Err(ScryJsError::from(scry_core::CoreError::InvalidInput(
            format!(
                "{} floats for {total} passage vectors of dimension {dims}",
                vectors.len()
            ),
        )));
    }
    let mut rows = vectors.chunks_exact(dims);
    let grouped = counts
        .iter()
        .map(|&c| {
            rows.by_ref()
                .take(c as usize)
                .map(<[f32]>::to_vec)
                .collect()
        })
        .collect();
    Ok((grouped, tag))
}

fn documents_from_js(documents: JsValue) -> Result<Vec<scry_core::Document>, ScryJsError> {
    serde_wasm_bindgen::from_value(documents).map_err(|e| ScryJsError {
        code: "INVALID_DOCUMENT",
        message: format!("documents must be an array of {{id, title, body, ...}}: {e}"),
        chunks: Vec::new(),
    })
}

/// The crate version, for diagnostics.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
