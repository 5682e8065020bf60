//! The result model around a ranking: the match set's size, value counts of metadata fields over
//! it (facets), an order by a metadata field, and one page of it (`offset`, `k`).
//!
//! The *match set* of a search is every live document that passes the filter and matches at
//! least one of the query's words (full text), and, in vector and hybrid modes, the vector
//! candidates the search ranks (`HybridParams::candidates`, default 100, or `offset + k` if
//! more). Counting it needs every match of the query's words, so a search that asks for a total,
//! facets or a sort scores them all instead of stopping at the top k (`Engine::rank`).

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use crate::document::MetaValue;
use crate::error::{CoreError, Result};

/// Most hits a search skips (`offset`).
pub const MAX_OFFSET: usize = 10_000;
/// Most facet fields one search counts (and metadata fields it returns with its hits).
pub const MAX_FACETS: usize = 32;
/// Values returned per facet field, the most frequent first.
pub const FACET_VALUES: usize = 100;
/// Longest field name of a sort or a facet, in bytes.
const MAX_FIELD_BYTES: usize = 256;

/// Orders a search's match set by a metadata field instead of by relevance (ties keep their
/// relevance order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sort {
    /// Metadata field (`metadata.<field>` of the documents).
    pub field: String,
    /// Smallest first, or largest first.
    pub descending: bool,
}

/// Value counts of one metadata field over a search's match set.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Facet {
    /// The field.
    pub field: String,
    /// `(value, documents)`: the most documents first, then by value; at most
    /// [`FACET_VALUES`]. Strings as they are, each item of a list, numbers as JavaScript prints
    /// them (`16`, `0.5`), booleans `true`/`false`.
    pub values: Vec<(String, usize)>,
    /// Distinct values in the match set (more than `values.len()` when some were left out).
    pub distinct: usize,
}

/// Checks the fields of a search's `sort`, `facets` and `metadata`.
pub(crate) fn check(sort: Option<&Sort>, facets: &[String], metadata: &[String]) -> Result<()> {
    for (name, list) in [("facets", facets), ("metadata", metadata)] {
        if list.len() > MAX_FACETS {
            return Err(CoreError::InvalidParameter {
                name,
                reason: format!("{} fields; at most {MAX_FACETS}", list.len()),
            });
        }
    }
    let fields = facets
        .iter()
        .map(|f| ("facets", f))
        .chain(metadata.iter().map(|f| ("metadata", f)))
        .chain(sort.map(|s| ("sort", &s.field)));
    for (name, field) in fields {
        if field.is_empty() || field.len() > MAX_FIELD_BYTES {
            return Err(CoreError::InvalidParameter {
                name,
                reason: format!(
                    "a field name of {} bytes; 1..={MAX_FIELD_BYTES} are allowed",
                    field.len()
                ),
            });
        }
    }
    Ok(())
}

/// A number as JavaScript's `String(n)` prints it in the common cases: integers without a
/// fraction, `-0` as `0` (exponent forms of very large or small numbers differ).
fn number_text(n: f64) -> String {
    if n == 0.0 {
        return "0".into();
    }
    format!("{n}")
}

/// Counts the values of each field in `fields` over the metadata of the match set's documents
/// (each document once per distinct value).
pub(crate) fn count_facets<'a>(
    fields: &[String],
    docs: impl Iterator<Item = &'a BTreeMap<String, MetaValue>>,
) -> Vec<Facet> {
    if fields.is_empty() {
        return Vec::new();
    }
    let mut counts: Vec<HashMap<Cow<'a, str>, usize>> = vec![HashMap::new(); fields.len()];
    let mut seen: Vec<&'a str> = Vec::new();
    for metadata in docs {
        for (field, counts) in fields.iter().zip(counts.iter_mut()) {
            match metadata.get(field.as_str()) {
                None => {}
                Some(MetaValue::Text(s)) => {
                    *counts.entry(Cow::Borrowed(s.as_str())).or_default() += 1
                }
                Some(MetaValue::Number(n)) => {
                    *counts.entry(Cow::Owned(number_text(*n))).or_default() += 1;
                }
                Some(MetaValue::Bool(b)) => {
                    let text = if *b { "true" } else { "false" };
                    *counts.entry(Cow::Borrowed(text)).or_default() += 1;
                }
                Some(MetaValue::List(items)) => {
                    seen.clear();
                    for item in items {
                        if !seen.contains(&item.as_str()) {
                            seen.push(item.as_str());
                            *counts.entry(Cow::Borrowed(item.as_str())).or_default() += 1;
                        }
                    }
                }
            }
        }
    }
    fields
        .iter()
        .zip(counts)
        .map(|(field, counts)| {
            let distinct = counts.len();
            let mut values: Vec<(Cow<'_, str>, usize)> = counts.into_iter().collect();
            let order = |a: &(Cow<'_, str>, usize), b: &(Cow<'_, str>, usize)| {
                b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0))
            };
            if values.len() > FACET_VALUES {
                values.select_nth_unstable_by(FACET_VALUES, order);
                values.truncate(FACET_VALUES);
            }
            values.sort_unstable_by(order);
            Facet {
                field: field.clone(),
                values: values
                    .into_iter()
                    .map(|(v, n)| (v.into_owned(), n))
                    .collect(),
                distinct,
            }
        })
        .collect()
}

/// The kind of a sort value: numbers, then strings (a list sorts by its first item), then
/// booleans.
fn sort_key(v: &MetaValue) -> Option<(u8, SortValue<'_>)> {
    match v {
        MetaValue::Number(n) => Some((0, SortValue::Number(*n))),
        MetaValue::Text(s) => Some((1, SortValue::Text(s))),
        MetaValue::List(items) => items.first().map(|s| (1, SortValue::Text(s))),
        MetaValue::Bool(b) => Some((2, SortValue::Bool(*b))),
    }
}

#[derive(PartialEq, PartialOrd)]
enum SortValue<'a> {
    Number(f64),
    Text(&'a str),
    Bool(bool),
}

/// The order of two documents' values of the sort field: by kind (numbers, strings, booleans),
/// then by value, reversed when descending; a document without a value (or with an empty list)
/// comes after every document with one, in either order. `Equal` keeps the relevance order.
pub(crate) fn compare(a: Option<&MetaValue>, b: Option<&MetaValue>, descending: bool) -> Ordering {
    match (a.and_then(sort_key), b.and_then(sort_key)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some((ka, va)), Some((kb, vb))) => {
            let o = ka
                .cmp(&kb)
                .then_with(|| va.partial_cmp(&vb).unwrap_or(Ordering::Equal));
            if descending { o.reverse() } else { o }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(pairs: &[(&str, MetaValue)]) -> BTreeMap<String, MetaValue> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    #[test]
    fn facets_count_each_document_once_per_value() {
        let docs = [
            meta(&[
                ("module", MetaValue::Text("fs".into())),
                (
                    "tags",
                    MetaValue::List(vec!["io".into(), "io".into(), "sync".into()]),
                ),
                ("since", MetaValue::Number(16.0)),
            ]),
            meta(&[
                ("module", MetaValue::Text("fs".into())),
                ("tags", MetaValue::List(vec!["io".into()])),
                ("since", MetaValue::Number(0.5)),
                ("stable", MetaValue::Bool(true)),
            ]),
            meta(&[("module", MetaValue::Text("path".into()))]),
        ];
        let fields: Vec<String> = ["module", "tags", "since", "stable", "absent"]
            .map(String::from)
            .to_vec();
        let f = count_facets(&fields, docs.iter());
        assert_eq!(f[0].values, vec![("fs".into(), 2), ("path".into(), 1)]);
        assert_eq!(f[1].values, vec![("io".into(), 2), ("sync".into(), 1)]);
        assert_eq!(f[2].values, vec![("0.5".into(), 1), ("16".into(), 1)]);
        assert_eq!(f[3].values, vec![("true".into(), 1)]);
        assert_eq!((f[4].values.len(), f[4].distinct), (0, 0));
    }

    #[test]
    fn facets_keep_the_most_frequent_values() {
        let docs: Vec<_> = (0..300)
            .map(|i| meta(&[("n", MetaValue::Number(f64::from(i % 150)))]))
            .chain((0..5).map(|_| meta(&[("n", MetaValue::Number(7.0))])))
            .collect();
        let f = count_facets(&["n".to_owned()], docs.iter());
        assert_eq!(f[0].distinct, 150);
        assert_eq!(f[0].values.len(), FACET_VALUES);
        assert_eq!(f[0].values[0], ("7".into(), 7));
        // Ties by value, as text.
        assert_eq!(f[0].values[1], ("0".into(), 2));
        assert_eq!(f[0].values[2], ("1".into(), 2));
    }

    #[test]
    fn sort_puts_documents_without_the_field_last_both_ways() {
        let (one, two) = (MetaValue::Number(1.0), MetaValue::Number(2.0));
        let text = MetaValue::Text("a".into());
        let empty = MetaValue::List(Vec::new());
        for descending in [false, true] {
            assert_eq!(compare(Some(&one), None, descending), Ordering::Less);
            assert_eq!(compare(None, Some(&text), descending), Ordering::Greater);
            assert_eq!(
                compare(Some(&empty), Some(&one), descending),
                Ordering::Greater
            );
        }
        assert_eq!(compare(Some(&one), Some(&two), false), Ordering::Less);
        assert_eq!(compare(Some(&one), Some(&two), true), Ordering::Greater);
        // Numbers before strings ascending, after them descending.
        assert_eq!(compare(Some(&two), Some(&text), false), Ordering::Less);
        assert_eq!(compare(Some(&two), Some(&text), true), Ordering::Greater);
    }

    #[test]
    fn checks_field_names_and_counts() {
        let long = "x".repeat(257);
        assert!(check(None, std::slice::from_ref(&long), &[]).is_err());
        assert!(check(None, &[String::new()], &[]).is_err());
        assert!(check(None, &[], &[String::new()]).is_err());
        let sort = Sort {
            field: long,
            descending: false,
        };
        assert!(check(Some(&sort), &[], &[]).is_err());
        assert!(check(None, &vec!["a".to_owned(); MAX_FACETS + 1], &[]).is_err());
        assert!(check(None, &[], &vec!["a".to_owned(); MAX_FACETS + 1]).is_err());
        assert!(check(None, &vec!["a".to_owned(); MAX_FACETS], &[]).is_ok());
    }
}
