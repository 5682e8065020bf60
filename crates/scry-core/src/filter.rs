//! Metadata filters (equality, ranges, sets, and/or/not), evaluated while candidates are
//! generated — before truncation to k.
//!
//! JSON form (what JavaScript passes): `{"module": "fs"}` (equality), `{"since": {"gte": 16}}`,
//! `{"module": {"in": ["fs", "path"]}}`, `{"and": [..]}`, `{"or": [..]}`, `{"not": {..}}`;
//! several keys in one object all have to match.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::document::MetaValue;
use crate::error::{CoreError, Result};

/// A predicate over a document's metadata.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `field` equals `value` (for lists: contains it).
    Eq(String, MetaValue),
    /// `field` is one of `values` (for lists: shares one).
    In(String, Vec<MetaValue>),
    /// `field` is a number or string within the bounds.
    Range {
        /// Field name.
        field: String,
        /// Lower bound and whether it is inclusive.
        lower: Option<(MetaValue, bool)>,
        /// Upper bound and whether it is inclusive.
        upper: Option<(MetaValue, bool)>,
    },
    /// `field` is present.
    Exists(String),
    /// All must match.
    And(Vec<Filter>),
    /// At least one must match.
    Or(Vec<Filter>),
    /// Must not match.
    Not(Box<Filter>),
}

fn cmp(a: &MetaValue, b: &MetaValue) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (MetaValue::Number(x), MetaValue::Number(y)) => x.partial_cmp(y),
        (MetaValue::Text(x), MetaValue::Text(y)) => Some(x.cmp(y)),
        (MetaValue::Bool(x), MetaValue::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn equal(doc: &MetaValue, want: &MetaValue) -> bool {
    match (doc, want) {
        (MetaValue::List(items), MetaValue::Text(t)) => items.iter().any(|i| i == t),
        (MetaValue::List(items), MetaValue::List(w)) => items == w,
        _ => cmp(doc, want) == Some(std::cmp::Ordering::Equal),
    }
}

impl Filter {
    /// Whether `metadata` satisfies the filter.
    pub fn matches(&self, metadata: &BTreeMap<String, MetaValue>) -> bool {
        use std::cmp::Ordering::{Greater, Less};
        match self {
            Filter::Eq(f, v) => metadata.get(f).is_some_and(|d| equal(d, v)),
            Filter::In(f, vs) => metadata
                .get(f)
                .is_some_and(|d| vs.iter().any(|v| equal(d, v))),
            Filter::Range {
                field,
                lower,
                upper,
            } => metadata.get(field).is_some_and(|d| {
                let lo_ok = lower.as_ref().is_none_or(|(b, incl)| match cmp(d, b) {
                    Some(Greater) => true,
                    Some(std::cmp::Ordering::Equal) => *incl,
                    _ => false,
                });
                let hi_ok = upper.as_ref().is_none_or(|(b, incl)| match cmp(d, b) {
                    Some(Less) => true,
                    Some(std::cmp::Ordering::Equal) => *incl,
                    _ => false,
                });
                lo_ok && hi_ok
            }),
            Filter::Exists(f) => metadata.contains_key(f),
            Filter::And(fs) => fs.iter().all(|f| f.matches(metadata)),
            Filter::Or(fs) => fs.iter().any(|f| f.matches(metadata)),
            Filter::Not(f) => !f.matches(metadata),
        }
    }

    /// Parses the JSON form (see the module docs); rejects unknown operators with a clear error.
    pub fn from_json(value: &serde_json_lite::Value) -> Result<Self> {
        parse(value, 0)
    }
}

/// A minimal JSON value type for filters, deserialisable from any serde format (JSON, JS
/// values through serde-wasm-bindgen).
pub mod serde_json_lite {
    use std::collections::BTreeMap;

    /// A JSON value.
    #[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
    #[serde(untagged)]
    pub enum Value {
        /// null
        Null,
        /// true / false
        Bool(bool),
        /// a number
        Number(f64),
        /// a string
        String(String),
        /// an array
        Array(Vec<Value>),
        /// an object
        Object(BTreeMap<String, Value>),
    }
}

use serde_json_lite::Value;

const MAX_DEPTH: usize = 32;

fn bad(msg: impl Into<String>) -> CoreError {
    CoreError::InvalidParameter {
        name: "filter",
        reason: msg.into(),
    }
}

fn meta(v: &Value, field: &str) -> Result<MetaValue> {
    match v {
        Value::Bool(b) => Ok(MetaValue::Bool(*b)),
        Value::Number(n) if n.is_finite() => Ok(MetaValue::Number(*n)),
        Value::String(s) => Ok(MetaValue::Text(s.clone())),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                _ => Err(bad(format!("{field}: list values must be strings"))),
            })
            .collect::<Result<Vec<_>>>()
            .map(MetaValue::List),
        _ => Err(bad(format!(
            "{field}: expected a string, number, boolean or list of strings"
        ))),
    }
}

fn parse(v: &Value, depth: usize) -> Result<Filter> {
    if depth > MAX_DEPTH {
        return Err(bad("nested more than 32 levels"));
    }
    let Value::Object(obj) = v else {
        return Err(bad("a filter must be an object"));
    };
    let mut all = Vec::new();
    for (key, val) in obj {
        let f = match key.as_str() {
            "and" | "or" => {
                let Value::Array(items) = val else {
                    return Err(bad(format!("`{key}` takes an array of filters")));
                };
                let parts = items
                    .iter()
                    .map(|i| parse(i, depth + 1))
                    .collect::<Result<Vec<_>>>()?;
                if key == "and" {
                    Filter::And(parts)
                } else {
                    Filter::Or(parts)
                }
            }
            "not" => Filter::Not(Box::new(parse(val, depth + 1)?)),
            field => parse_field(field, val)?,
        };
        all.push(f);
    }
    Ok(if all.len() == 1 {
        all.remove(0)
    } else {
        Filter::And(all)
    })
}

fn parse_field(field: &str, val: &Value) -> Result<Filter> {
    let Value::Object(ops) = val else {
        return Ok(Filter::Eq(field.to_owned(), meta(val, field)?));
    };
    let mut parts = Vec::new();
    let (mut lower, mut upper) = (None, None);
    for (op, arg) in ops {
        match op.as_str() {
            "eq" => parts.push(Filter::Eq(field.to_owned(), meta(arg, field)?)),
            "ne" => parts.push(Filter::Not(Box::new(Filter::Eq(
                field.to_owned(),
                meta(arg, field)?,
            )))),
            "in" => {
                let Value::Array(items) = arg else {
                    return Err(bad(format!("{field}: `in` takes an array")));
                };
                let vs = items
                    .iter()
                    .map(|i| meta(i, field))
                    .collect::<Result<Vec<_>>>()?;
                parts.push(Filter::In(field.to_owned(), vs));
            }
            "exists" => match arg {
                Value::Bool(true) => parts.push(Filter::Exists(field.to_owned())),
                Value::Bool(false) => {
                    parts.push(Filter::Not(Box::new(Filter::Exists(field.to_owned()))))
                }
                _ => return Err(bad(format!("{field}: `exists` takes true or false"))),
            },
            "gt" => lower = Some((meta(arg, field)?, false)),
            "gte" => lower = Some((meta(arg, field)?, true)),
            "lt" => upper = Some((meta(arg, field)?, false)),
            "lte" => upper = Some((meta(arg, field)?, true)),
            other => {
                return Err(bad(format!(
                    "{field}: unknown operator `{other}` (eq, ne, in, exists, gt, gte, lt, lte)"
                )));
            }
        }
    }
    if lower.is_some() || upper.is_some() {
        parts.push(Filter::Range {
            field: field.to_owned(),
            lower,
            upper,
        });
    }
    match parts.len() {
        0 => Err(bad(format!("{field}: empty operator object"))),
        1 => Ok(parts.remove(0)),
        _ => Ok(Filter::And(parts)),
    }
}

impl<'de> Deserialize<'de> for Filter {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Filter::from_json(&v).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(pairs: &[(&str, MetaValue)]) -> BTreeMap<String, MetaValue> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    fn f(json: &str) -> Filter {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn equality_ranges_sets_and_logic() {
        let d = md(&[
            ("module", MetaValue::Text("fs".into())),
            ("since", MetaValue::Number(16.0)),
            ("tags", MetaValue::List(vec!["io".into(), "files".into()])),
            ("stable", MetaValue::Bool(true)),
        ]);
        for (json, want) in [
            (r#"{"module": "fs"}"#, true),
            (r#"{"module": "path"}"#, false),
            (r#"{"tags": "io"}"#, true),
            (r#"{"since": {"gte": 16}}"#, true),
            (r#"{"since": {"gt": 16}}"#, false),
            (r#"{"since": {"gt": 10, "lt": 20}}"#, true),
            (r#"{"module": {"in": ["path", "fs"]}}"#, true),
            (r#"{"tags": {"in": ["net", "files"]}}"#, true),
            (r#"{"missing": {"exists": false}}"#, true),
            (r#"{"module": "fs", "stable": false}"#, false),
            (r#"{"or": [{"module": "path"}, {"stable": true}]}"#, true),
            (r#"{"not": {"module": "fs"}}"#, false),
            (r#"{"module": {"ne": "path"}}"#, true),
            (r#"{"since": {"lte": "20"}}"#, false),
        ] {
            assert_eq!(f(json).matches(&d), want, "{json}");
        }
    }

    #[test]
    fn malformed_filters_are_typed_errors() {
        for json in [
            r#"{"module": {"like": "f%"}}"#,
            r#"{"and": {"module": "fs"}}"#,
            r#"{"module": {}}"#,
            r#"{"x": null}"#,
            r#"[1, 2]"#,
        ] {
            let v: Value = serde_json::from_str(json).unwrap();
            assert_eq!(
                Filter::from_json(&v).unwrap_err().code(),
                "INVALID_PARAMETER",
                "{json}"
            );
        }
        let deep = format!(
            "{}{}{}",
            r#"{"not": "#.repeat(40),
            r#"{"a": 1}"#,
            "}".repeat(40)
        );
        let v: Value = serde_json::from_str(&deep).unwrap();
        assert!(Filter::from_json(&v).is_err());
    }
}
