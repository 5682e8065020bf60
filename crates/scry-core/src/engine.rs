//! The engine: documents in, ranked hits with snippets out.

use std::collections::{HashMap, HashSet};

use crate::bm25::{Bm25Index, Bm25Params, Field};
use crate::error::{CoreError, Result};
use crate::snippet::{Snippet, best_window};
use crate::text::Analyzer;

/// Longest accepted document id, in bytes.
pub const MAX_ID_BYTES: usize = 1024;
/// Longest accepted query, in bytes.
pub const MAX_QUERY_BYTES: usize = 4096;
/// Largest accepted `k`.
pub const MAX_K: usize = 1000;

/// A text document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Document {
    /// Caller-chosen unique id (1..=1024 bytes).
    pub id: String,
    /// Title; weighted above the body.
    #[serde(default)]
    pub title: String,
    /// Main text.
    #[serde(default)]
    pub body: String,
    /// Optional link shown with results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// Engine-wide settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EngineConfig {
    /// BM25 parameters.
    pub bm25: Bm25Params,
    /// Weight of title matches (default 2.0, range `0.0..=100.0`).
    pub title_boost: f32,
    /// Weight of body matches (default 1.0, range `0.0..=100.0`).
    pub body_boost: f32,
    /// Words per snippet (default 24, range `1..=200`).
    pub snippet_words: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            bm25: Bm25Params::default(),
            title_boost: Field::Title.default_boost(),
            body_boost: Field::Body.default_boost(),
            snippet_words: 24,
        }
    }
}

impl EngineConfig {
    fn validate(self) -> Result<Self> {
        self.bm25.validate()?;
        for (name, v) in [
            ("title_boost", self.title_boost),
            ("body_boost", self.body_boost),
        ] {
            if !(0.0..=100.0).contains(&v) {
                return Err(CoreError::InvalidParameter {
                    name,
                    reason: format!("{v} is outside 0.0..=100.0"),
                });
            }
        }
        if !(1..=200).contains(&self.snippet_words) {
            return Err(CoreError::InvalidParameter {
                name: "snippet_words",
                reason: format!("{} is outside 1..=200", self.snippet_words),
            });
        }
        Ok(self)
    }
}

/// Per-query options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchOptions {
    /// Number of hits to return (default 10, range `1..=1000`).
    pub k: usize,
}

impl Default for SearchOptions {
    fn default() -> Self {
        Self { k: 10 }
    }
}

/// One search result.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Hit {
    /// The document id.
    pub id: String,
    /// Relevance score (higher is better; comparable only within one query).
    pub score: f32,
    /// The document title.
    pub title: String,
    /// The document link, if any.
    pub url: Option<String>,
    /// Best excerpt of the body with highlight ranges.
    pub snippet: Snippet,
}

/// An in-memory search engine.
#[derive(Debug, Clone)]
pub struct Engine {
    config: EngineConfig,
    analyzer: Analyzer,
    bm25: Bm25Index,
    docs: Vec<Option<Document>>,
    slots: HashMap<String, u32>,
}

impl Engine {
    /// An empty engine; fails if `config` is out of range.
    pub fn new(config: EngineConfig) -> Result<Self> {
        let config = config.validate()?;
        Ok(Self {
            config,
            analyzer: Analyzer::english(),
            bm25: Bm25Index::new(config.bm25),
            docs: Vec::new(),
            slots: HashMap::new(),
        })
    }

    /// Number of live documents.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when no live documents are indexed.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The stored document with this id.
    pub fn get(&self, id: &str) -> Option<&Document> {
        let slot = *self.slots.get(id)?;
        self.docs.get(slot as usize)?.as_ref()
    }

    /// Adds one document. Fails (changing nothing) if it is invalid or its id exists.
    pub fn add(&mut self, doc: Document) -> Result<()> {
        validate_document(&doc)?;
        if self.slots.contains_key(&doc.id) {
            return Err(CoreError::DuplicateId(doc.id));
        }
        let title = self.analyzer.terms(&doc.title);
        let body = self.analyzer.terms(&doc.body);
        let slot = self.bm25.add([&title, &body]);
        self.slots.insert(doc.id.clone(), slot);
        self.docs.push(Some(doc));
        Ok(())
    }

    /// Adds many documents atomically: all are validated first, and none is added if any fails.
    pub fn add_all(&mut self, docs: Vec<Document>) -> Result<()> {
        let mut seen = HashSet::new();
        for d in &docs {
            validate_document(d)?;
            if self.slots.contains_key(&d.id) || !seen.insert(d.id.as_str()) {
                return Err(CoreError::DuplicateId(d.id.clone()));
            }
        }
        for d in docs {
            self.add(d)?;
        }
        Ok(())
    }

    /// Removes a document; returns whether it existed.
    pub fn remove(&mut self, id: &str) -> bool {
        let Some(slot) = self.slots.remove(id) else {
            return false;
        };
        self.bm25.delete(slot);
        if let Some(d) = self.docs.get_mut(slot as usize) {
            *d = None;
        }
        true
    }

    /// Full-text search; hits are ordered by score, ties by id.
    pub fn search(&self, query: &str, options: &SearchOptions) -> Result<Vec<Hit>> {
        if query.len() > MAX_QUERY_BYTES {
            return Err(CoreError::InvalidQuery(format!(
                "query is {} bytes; the limit is {MAX_QUERY_BYTES}",
                query.len()
            )));
        }
        if query.trim().is_empty() {
            return Err(CoreError::InvalidQuery("query is empty".into()));
        }
        if !(1..=MAX_K).contains(&options.k) {
            return Err(CoreError::InvalidParameter {
                name: "k",
                reason: format!("{} is outside 1..={MAX_K}", options.k),
            });
        }
        let terms = self.analyzer.terms(query);
        let mut scored = self
            .bm25
            .score(&terms, [self.config.title_boost, self.config.body_boost]);
        let id_of = |slot: u32| self.docs[slot as usize].as_ref().map(|d| d.id.as_str());
        scored.sort_by(|a, b| {
            b.1.total_cmp(&a.1)
                .then_with(|| id_of(a.0).cmp(&id_of(b.0)))
        });
        let term_set: HashSet<String> = terms.into_iter().collect();
        Ok(scored
            .into_iter()
            .take(options.k)
            .filter_map(|(slot, score)| {
                let doc = self.docs.get(slot as usize)?.as_ref()?;
                Some(Hit {
                    id: doc.id.clone(),
                    score,
                    title: doc.title.clone(),
                    url: doc.url.clone(),
                    snippet: best_window(
                        &doc.body,
                        &term_set,
                        self.config.snippet_words,
                        str::to_lowercase,
                    ),
                })
            })
            .collect())
    }
}

fn validate_document(doc: &Document) -> Result<()> {
    let invalid = |reason: &str| CoreError::InvalidDocument {
        id: doc.id.chars().take(64).collect(),
        reason: reason.to_owned(),
    };
    if doc.id.is_empty() {
        return Err(invalid("id is empty"));
    }
    if doc.id.len() > MAX_ID_BYTES {
        return Err(invalid("id is longer than 1024 bytes"));
    }
    if doc.title.trim().is_empty() && doc.body.trim().is_empty() {
        return Err(invalid("title and body are both empty"));
    }
    Ok(())
}
