//! scry-wasm: the wasm-bindgen surface of scry. Thin: converts JavaScript options, results and
//! errors; all logic lives in the other crates.

mod error;

use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::error::ScryJsError;

/// Engine options as JavaScript passes them (all optional; defaults and ranges in scry-core).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EngineOptions {
    k1: Option<f32>,
    b: Option<f32>,
    title_boost: Option<f32>,
    body_boost: Option<f32>,
    snippet_words: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SearchOptions {
    k: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsSnippet {
    text: String,
    /// `[start, end)` pairs in UTF-16 code units, as `String.prototype.slice` expects.
    highlights: Vec<[u32; 2]>,
    truncated_start: bool,
    truncated_end: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsHit {
    id: String,
    score: f32,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    snippet: JsSnippet,
}

fn utf16_len(s: &str) -> u32 {
    u32::try_from(s.encode_utf16().count()).unwrap_or(u32::MAX)
}

fn to_js_snippet(s: scry_core::Snippet) -> JsSnippet {
    let highlights = s
        .highlights
        .iter()
        .filter_map(|r| {
            let start = utf16_len(s.text.get(..r.start)?);
            Some([start, start + utf16_len(s.text.get(r.clone())?)])
        })
        .collect();
    JsSnippet {
        highlights,
        truncated_start: s.truncated_start,
        truncated_end: s.truncated_end,
        text: s.text,
    }
}

/// Option names each options object accepts (serde-wasm-bindgen ignores unknown keys, so
/// `deny_unknown_fields` alone would let typos through).
const ENGINE_OPTION_KEYS: &[&str] = &["k1", "b", "titleBoost", "bodyBoost", "snippetWords"];
const SEARCH_OPTION_KEYS: &[&str] = &["k"];

fn from_js<T: for<'de> Deserialize<'de> + Default>(
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
}

#[wasm_bindgen]
impl Engine {
    /// Creates an empty engine. `options`: `{ k1?, b?, titleBoost?, bodyBoost?, snippetWords? }`.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<Engine, JsValue> {
        let o: EngineOptions = from_js(options, "engine options", ENGINE_OPTION_KEYS)?;
        let d = scry_core::EngineConfig::default();
        let config = scry_core::EngineConfig {
            bm25: scry_core::bm25::Bm25Params {
                k1: o.k1.unwrap_or(d.bm25.k1),
                b: o.b.unwrap_or(d.bm25.b),
            },
            title_boost: o.title_boost.unwrap_or(d.title_boost),
            body_boost: o.body_boost.unwrap_or(d.body_boost),
            snippet_words: o.snippet_words.unwrap_or(d.snippet_words),
        };
        let inner = scry_core::Engine::new(config).map_err(ScryJsError::from)?;
        Ok(Engine { inner })
    }

    /// Adds an array of `{ id, title?, body?, url? }` documents, all or none.
    pub fn add(&mut self, documents: JsValue) -> Result<(), JsValue> {
        let docs: Vec<scry_core::Document> =
            serde_wasm_bindgen::from_value(documents).map_err(|e| ScryJsError {
                code: "INVALID_DOCUMENT",
                message: format!("documents must be an array of {{id, title, body, url}}: {e}"),
            })?;
        self.inner.add_all(docs).map_err(ScryJsError::from)?;
        Ok(())
    }

    /// Removes a document; returns whether it existed.
    pub fn remove(&mut self, id: &str) -> bool {
        self.inner.remove(id)
    }

    /// Number of documents.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> usize {
        self.inner.len()
    }

    /// Searches; returns an array of hits. `options`: `{ k? }`.
    pub fn search(&self, query: &str, options: JsValue) -> Result<JsValue, JsValue> {
        let o: SearchOptions = from_js(options, "search options", SEARCH_OPTION_KEYS)?;
        let opts = scry_core::SearchOptions {
            k: o.k.unwrap_or(scry_core::SearchOptions::default().k),
        };
        let hits: Vec<JsHit> = self
            .inner
            .search(query, &opts)
            .map_err(ScryJsError::from)?
            .into_iter()
            .map(|h| JsHit {
                id: h.id,
                score: h.score,
                title: h.title,
                url: h.url,
                snippet: to_js_snippet(h.snippet),
            })
            .collect();
        hits.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
            .map_err(|e| JsValue::from(ScryJsError::invalid_options("result", e)))
    }
}

/// The crate version, for diagnostics.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
