//! Documents: what callers index, and their validation.

use std::collections::BTreeMap;

use crate::error::{CoreError, Result};

/// Longest accepted document id, in bytes.
pub const MAX_ID_BYTES: usize = 1024;
/// Longest accepted text per document (all fields together: title, headings, body, tags, url,
/// metadata keys and texts), in bytes.
pub const MAX_TEXT_BYTES: usize = 8 * 1024 * 1024;
/// Most metadata entries per document.
pub const MAX_METADATA: usize = 256;
/// Longest accepted metadata key, in bytes.
pub const MAX_METADATA_KEY_BYTES: usize = 1024;

/// A metadata value: filters compare against these.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum MetaValue {
    /// A boolean.
    Bool(bool),
    /// A number (finite).
    Number(f64),
    /// A string.
    Text(String),
    /// A list of strings (tags, categories); a filter matches if any element matches.
    List(Vec<String>),
}

/// A document to index.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    /// Caller-chosen unique id (1..=1024 bytes).
    pub id: String,
    /// Title; weighted above the body.
    #[serde(default)]
    pub title: String,
    /// Headings above this text (for a section of a page: the page title and parent sections).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headings: Vec<String>,
    /// Main text.
    #[serde(default)]
    pub body: String,
    /// Tags / keywords.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Optional link shown with results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Metadata for filters (`{"module": "fs", "since": 18}`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, MetaValue>,
}

impl Document {
    /// A document with just an id, title and body.
    pub fn new(id: impl Into<String>, title: impl Into<String>, body: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            title: title.into(),
            body: body.into(),
            ..Default::default()
        }
    }

    /// The text of each indexed field: title, headings, body, tags.
    pub(crate) fn field_texts(&self) -> [String; 4] {
        [
            self.title.clone(),
            self.headings.join("\n"),
            self.body.clone(),
            self.tags.join("\n"),
        ]
    }

    /// Checks the document's shape; the error names the document.
    pub fn validate(&self) -> Result<()> {
        self.validate_with_vectors(false)
    }

    /// [`Document::validate`] for a document that brings its own vectors (computed elsewhere,
    /// or an image's): its title and body may then both be empty, since it is found by them.
    pub fn validate_with_vectors(&self, has_vectors: bool) -> Result<()> {
        let invalid = |reason: String| CoreError::InvalidDocument {
            id: self.id.chars().take(64).collect(),
            reason,
        };
        if self.id.is_empty() {
            return Err(invalid("id is empty".into()));
        }
        if self.id.len() > MAX_ID_BYTES {
            return Err(invalid(format!("id is longer than {MAX_ID_BYTES} bytes")));
        }
        if !has_vectors && self.title.trim().is_empty() && self.body.trim().is_empty() {
            return Err(invalid("title and body are both empty".into()));
        }
        let meta_bytes = |v: &MetaValue| match v {
            MetaValue::Text(t) => t.len(),
            MetaValue::List(l) => l.iter().map(String::len).sum(),
            MetaValue::Bool(_) | MetaValue::Number(_) => 8,
        };
        let size = self.title.len()
            + self.body.len()
            + self.headings.iter().map(String::len).sum::<usize>()
            + self.tags.iter().map(String::len).sum::<usize>()
            + self.url.as_ref().map_or(0, String::len)
            + self
                .metadata
                .iter()
                .map(|(k, v)| k.len() + meta_bytes(v))
                .sum::<usize>();
        if size > MAX_TEXT_BYTES {
            return Err(invalid(format!(
                "text is {size} bytes; the limit is {MAX_TEXT_BYTES}"
            )));
        }
        if self.metadata.len() > MAX_METADATA {
            return Err(invalid(format!(
                "more than {MAX_METADATA} metadata entries"
            )));
        }
        for (k, v) in &self.metadata {
            if k.is_empty() || k.len() > MAX_METADATA_KEY_BYTES {
                return Err(invalid(format!(
                    "a metadata key must be 1 to {MAX_METADATA_KEY_BYTES} bytes"
                )));
            }
            if let MetaValue::Number(x) = v
                && !x.is_finite()
            {
                return Err(invalid(format!("metadata {k:?} is not a finite number")));
            }
        }
        Ok(())
    }
}
