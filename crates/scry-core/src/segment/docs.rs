//! Encoding of stored documents inside a segment.

use std::collections::BTreeMap;

use crate::codec::{DecodeError, Reader, put_str, put_varint};
use crate::document::{Document, MetaValue};

fn put_meta(out: &mut Vec<u8>, v: &MetaValue) {
    match v {
        MetaValue::Bool(b) => {
            out.push(0);
            out.push(u8::from(*b));
        }
        MetaValue::Number(x) => {
            out.push(1);
            out.extend_from_slice(&x.to_le_bytes());
        }
        MetaValue::Text(s) => {
            out.push(2);
            put_str(out, s);
        }
        MetaValue::List(items) => {
            out.push(3);
            put_varint(out, items.len() as u64);
            for i in items {
                put_str(out, i);
            }
        }
    }
}

fn get_meta(r: &mut Reader<'_>) -> Result<MetaValue, DecodeError> {
    Ok(match r.u8()? {
        // Only the two bytes the encoder writes: any other would decode to a document that
        // encodes differently (found by `format_props::damaged_segments_fail_cleanly`).
        0 => match r.u8()? {
            0 => MetaValue::Bool(false),
            1 => MetaValue::Bool(true),
            _ => return Err(r.invalid("metadata boolean is neither 0 nor 1")),
        },
        1 => {
            let x = f64::from_le_bytes(r.array()?);
            if !x.is_finite() {
                return Err(r.invalid("non-finite metadata number"));
            }
            MetaValue::Number(x)
        }
        2 => MetaValue::Text(r.str()?.to_owned()),
        3 => {
            let n = r.count(1)?;
            let mut items = Vec::with_capacity(n);
            for _ in 0..n {
                items.push(r.str()?.to_owned());
            }
            MetaValue::List(items)
        }
        t => return Err(r.invalid(format!("unknown metadata tag {t}"))),
    })
}

fn put_strs(out: &mut Vec<u8>, v: &[String]) {
    put_varint(out, v.len() as u64);
    for s in v {
        put_str(out, s);
    }
}

fn get_strs(r: &mut Reader<'_>) -> Result<Vec<String>, DecodeError> {
    let n = r.count(1)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(r.str()?.to_owned());
    }
    Ok(v)
}

/// Appends the encoded documents.
pub(crate) fn encode(docs: &[Document], out: &mut Vec<u8>) {
    put_varint(out, docs.len() as u64);
    for d in docs {
        put_str(out, &d.id);
        put_str(out, &d.title);
        put_strs(out, &d.headings);
        put_str(out, &d.body);
        put_strs(out, &d.tags);
        match &d.url {
            Some(u) => {
                out.push(1);
                put_str(out, u);
            }
            None => out.push(0),
        }
        put_varint(out, d.metadata.len() as u64);
        for (k, v) in &d.metadata {
            put_str(out, k);
            put_meta(out, v);
        }
    }
}

/// Decodes documents.
pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Vec<Document>, DecodeError> {
    let n = r.count(7)?;
    let mut docs = Vec::with_capacity(n);
    for _ in 0..n {
        let id = r.str()?.to_owned();
        if id.is_empty() {
            return Err(r.invalid("empty document id"));
        }
        let title = r.str()?.to_owned();
        let headings = get_strs(r)?;
        let body = r.str()?.to_owned();
        let tags = get_strs(r)?;
        let url = match r.u8()? {
            0 => None,
            1 => Some(r.str()?.to_owned()),
            _ => return Err(r.invalid("bad url flag")),
        };
        let m = r.count(2)?;
        let mut metadata = BTreeMap::new();
        for _ in 0..m {
            let k = r.str()?.to_owned();
            let v = get_meta(r)?;
            metadata.insert(k, v);
        }
        docs.push(Document {
            id,
            title,
            headings,
            body,
            tags,
            url,
            metadata,
        });
    }
    Ok(docs)
}
