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
use crate::fasthash::WordMap;

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

/// One field's counts while counting: strings (and list items) by text, numbers by their bits
/// (printed once per distinct value at the end), booleans apart.
#[derive(Default)]
struct FieldCounts<'a> {
    text: WordMap<&'a str, usize>,
    numbers: WordMap<u64, usize>,
    booleans: [usize; 2],
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
    let mut counts: Vec<FieldCounts<'a>> = fields.iter().map(|_| FieldCounts::default()).collect();
    let mut seen: Vec<&'a str> = Vec::new();
    for metadata in docs {
        for (field, counts) in fields.iter().zip(counts.iter_mut()) {
            match metadata.get(field.as_str()) {
                None => {}
                Some(MetaValue::Text(s)) => *counts.text.entry(s.as_str()).or_default() += 1,
                // -0 counts as 0 (they print alike).
                Some(MetaValue::Number(n)) => {
                    *counts.numbers.entry((n + 0.0).to_bits()).or_default() += 1;
                }
                Some(MetaValue::Bool(b)) => counts.booleans[usize::from(*b)] += 1,
                Some(MetaValue::List(items)) => {
                    seen.clear();
                    for item in items {
                        if !seen.contains(&item.as_str()) {
                            seen.push(item.as_str());
                            *counts.text.entry(item.as_str()).or_default() += 1;
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
            let mut all: HashMap<Cow<'_, str>, usize> = counts
                .text
                .into_iter()
                .map(|(v, n)| (Cow::Borrowed(v), n))
                .collect();
            let others = counts
                .numbers
                .into_iter()
                .map(|(bits, n)| (Cow::Owned(number_text(f64::from_bits(bits))), n))
                .chain(
                    ["false", "true"]
                        .into_iter()
                        .zip(counts.booleans)
                        .filter(|(_, n)| *n > 0)
                        .map(|(v, n)| (Cow::Borrowed(v), n)),
                );
            // A number and a string that print alike are one value.
            for (v, n) in others {
                *all.entry(v).or_default() += n;
            }
            let distinct = all.len();
            let mut values: Vec<(Cow<'_, str>, usize)> = all.into_iter().collect();
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

/// A document's value of the sort field, ready to compare: its kind (numbers, then strings —
/// a list by its first item — then booleans) and value; `None` without one (or an empty list).
pub(crate) type SortKey<'a> = Option<(u8, SortValue<'a>)>;

/// The sort key of a document's value of the sort field.
pub(crate) fn sort_key(v: Option<&MetaValue>) -> SortKey<'_> {
    match v? {
        MetaValue::Number(n) => Some((0, SortValue::Number(*n))),
        MetaValue::Text(s) => Some((1, SortValue::Text(s))),
        MetaValue::List(items) => items.first().map(|s| (1, SortValue::Text(s))),
        MetaValue::Bool(b) => Some((2, SortValue::Bool(*b))),
    }
}

/// A sort value (compared within its kind only).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub(crate) enum SortValue<'a> {
    Number(f64),
    Text(&'a str),
    Bool(bool),
}

/// The order of two sort keys: by kind, then by value, reversed when descending; a document
/// without a value comes after every document with one, in either order. `Equal` leaves the
/// relevance order to decide.
pub(crate) fn compare_keys(a: &SortKey<'_>, b: &SortKey<'_>, descending: bool) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some((ka, va)), Some((kb, vb))) => {
            let o = ka
                .cmp(kb)
                .then_with(|| va.partial_cmp(vb).unwrap_or(Ordering::Equal));
            if descending { o.reverse() } else { o }
        }
    }
}

/// The order of two documents' values of the sort field (see [`compare_keys`]).
#[cfg(test)]
pub(crate) fn compare(a: Option<&MetaValue>, b: Option<&MetaValue>, descending: bool) -> Ordering {
    compare_keys(&sort_key(a), &sort_key(b), descending)
}

/// Puts the first `n` elements of `v` by `order` (a total order) at its front, in order; the
/// rest follow in no particular order. Linear in `v.len()` plus `n log n`: a page of a large
/// match set without sorting all of it.
pub(crate) fn select_first<T>(v: &mut [T], n: usize, mut order: impl FnMut(&T, &T) -> Ordering) {
    let n = n.min(v.len());
    if n == 0 {
        return;
    }
    if n < v.len() {
        v.select_nth_unstable_by(n - 1, &mut order);
    }
    v[..n].sort_unstable_by(order);
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
