//! The manifest: the one small record that says which segments are live, which of their
//! documents are deleted, and how the index was built (analyzer, metric, embedding model).
//! Swapping it is the commit point (tantivy's `meta.json`).

use crate::codec::{Reader, put_str, put_u64, put_varint};
use crate::embed::ModelTag;
use crate::error::{CoreError, Result};
use crate::segment::format;
use crate::text::{AnalyzerConfig, Language};
use crate::vector::Metric;

/// Magic bytes of a manifest blob.
pub const MANIFEST_MAGIC: &[u8; 8] = b"SCRYMAN\0";
/// Newest manifest format this build writes and reads. Version 2: segments may be stored in
/// the chunked layout (a meta file under `seg/<id>`, chunks under `chunk/…`), which builds
/// that read version 1 cannot open; the record itself is unchanged, so version 1 is read as
/// before. Version 3 appends the retired keys ([`Manifest::retired`]); a manifest without any
/// is still written as version 2, byte for byte as before (meta files head with one, so their
/// content ids do not change).
pub const MANIFEST_VERSION: u16 = 3;
/// The version written when there are no retired keys.
const MANIFEST_VERSION_PLAIN: u16 = 2;

/// One live segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentEntry {
    /// Content id of the segment blob, or of its meta file in the chunked layout (storage key
    /// `seg/<id>`).
    pub id: String,
    /// Documents in the segment.
    pub doc_count: u32,
    /// Local numbers of its deleted documents, ascending.
    pub deleted: Vec<u32>,
}

/// What a commit records.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// Increases by one with every commit.
    pub generation: u64,
    /// How text was analysed (must match at open).
    pub analyzer: AnalyzerConfig,
    /// Vector metric.
    pub metric: Metric,
    /// The model whose vectors the index holds, if any.
    pub model: Option<ModelTag>,
    /// Live segments.
    pub segments: Vec<SegmentEntry>,
    /// Storage keys of records that a manifest before this one referenced and this one does
    /// not, whose deletion is not known to have happened: the only records garbage collection
    /// may delete ([`crate::engine::collect_garbage`]). Records no manifest ever listed as live
    /// or retired are never deleted, whoever put them there.
    pub retired: Vec<String>,
}

const LANGUAGES: [Language; 18] = [
    Language::Arabic,
    Language::Danish,
    Language::Dutch,
    Language::English,
    Language::Finnish,
    Language::French,
    Language::German,
    Language::Greek,
    Language::Hungarian,
    Language::Italian,
    Language::Norwegian,
    Language::Portuguese,
    Language::Romanian,
    Language::Russian,
    Language::Spanish,
    Language::Swedish,
    Language::Tamil,
    Language::Turkish,
];

impl Manifest {
    /// How an index was built, without a generation or segments: the header of every meta file
    /// (static indexes and stored segments alike).
    pub fn header(analyzer: AnalyzerConfig, metric: Metric, model: Option<ModelTag>) -> Self {
        Manifest {
            generation: 0,
            analyzer,
            metric,
            model,
            segments: Vec::new(),
            retired: Vec::new(),
        }
    }

    /// Encodes into a sealed blob.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::new();
        put_u64(&mut b, self.generation);
        let lang = self
            .analyzer
            .language
            .and_then(|l| LANGUAGES.iter().position(|x| *x == l))
            .map_or(0, |i| i as u64 + 1);
        put_varint(&mut b, lang);
        b.push(u8::from(self.analyzer.fold_diacritics));
        b.push(u8::from(self.analyzer.code_tokens));
        match &self.analyzer.stop_words {
            None => b.push(0),
            Some(words) => {
                b.push(1);
                put_varint(&mut b, words.len() as u64);
                for w in words {
                    put_str(&mut b, w);
                }
            }
        }
        b.push(self.metric.tag());
        match &self.model {
            None => b.push(0),
            Some(m) => {
                b.push(1);
                put_str(&mut b, &m.id);
                put_varint(&mut b, m.dims as u64);
                put_str(&mut b, &m.fingerprint);
            }
        }
        put_varint(&mut b, self.segments.len() as u64);
        for s in &self.segments {
            put_str(&mut b, &s.id);
            put_varint(&mut b, u64::from(s.doc_count));
            put_varint(&mut b, s.deleted.len() as u64);
            let mut prev = 0;
            for &d in &s.deleted {
                put_varint(&mut b, u64::from(d - prev));
                prev = d;
            }
        }
        if self.retired.is_empty() {
            return format::seal(MANIFEST_MAGIC, MANIFEST_VERSION_PLAIN, &b);
        }
        put_varint(&mut b, self.retired.len() as u64);
        for k in &self.retired {
            put_str(&mut b, k);
        }
        format::seal(MANIFEST_MAGIC, MANIFEST_VERSION, &b)
    }

    /// Decodes and validates a manifest blob.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let (version, body) = format::open(bytes, MANIFEST_MAGIC, MANIFEST_VERSION, "manifest")?;
        let corrupt = |reason: String| CoreError::Corrupt {
            what: "manifest".into(),
            reason,
        };
        let e = |e: crate::codec::DecodeError| corrupt(e.to_string());
        let mut r = Reader::new(body);
        let generation = r.u64().map_err(e)?;
        let lang = r.varint().map_err(e)?;
        let language = match lang {
            0 => None,
            i => Some(
                *LANGUAGES
                    .get(i as usize - 1)
                    .ok_or_else(|| corrupt(format!("unknown language {i}")))?,
            ),
        };
        let fold_diacritics = r.u8().map_err(e)? != 0;
        let code_tokens = r.u8().map_err(e)? != 0;
        let stop_words = match r.u8().map_err(e)? {
            0 => None,
            1 => {
                let n = r.count(1).map_err(e)?;
                let mut w = Vec::with_capacity(n);
                for _ in 0..n {
                    w.push(r.str().map_err(e)?.to_owned());
                }
                Some(w)
            }
            t => return Err(corrupt(format!("bad stop-word flag {t}"))),
        };
        let metric_tag = r.u8().map_err(e)?;
        let metric = Metric::from_tag(metric_tag)
            .ok_or_else(|| corrupt(format!("unknown metric {metric_tag}")))?;
        let model = match r.u8().map_err(e)? {
            0 => None,
            1 => Some(ModelTag {
                id: r.str().map_err(e)?.to_owned(),
                dims: r.varint().map_err(e)? as usize,
                fingerprint: r.str().map_err(e)?.to_owned(),
            }),
            t => return Err(corrupt(format!("bad model flag {t}"))),
        };
        let n = r.count(3).map_err(e)?;
        let mut segments = Vec::with_capacity(n);
        for _ in 0..n {
            let id = r.str().map_err(e)?.to_owned();
            if id.is_empty() || !id.bytes().all(|c| c.is_ascii_hexdigit()) {
                return Err(corrupt(format!("bad segment id {id:?}")));
            }
            let doc_count = r.varint_u32().map_err(e)?;
            let nd = r.count(1).map_err(e)?;
            let mut deleted = Vec::with_capacity(nd);
            let mut d = 0u64;
            for i in 0..nd {
                let delta = r.varint().map_err(e)?;
                if i > 0 && delta == 0 {
                    return Err(corrupt("deleted documents not strictly increasing".into()));
                }
                d = d.saturating_add(delta);
                if d >= u64::from(doc_count) {
                    return Err(corrupt(format!("deleted document {d} ≥ {doc_count}")));
                }
                deleted.push(d as u32);
            }
            segments.push(SegmentEntry {
                id,
                doc_count,
                deleted,
            });
        }
        let mut retired = Vec::new();
        if version >= 3 {
            let n = r.count(1).map_err(e)?;
            retired.reserve(n);
            for _ in 0..n {
                let key = r.str().map_err(e)?;
                if !crate::engine::is_index_record(key) {
                    return Err(corrupt(format!("bad retired key {key:?}")));
                }
                retired.push(key.to_owned());
            }
        }
        if !r.is_empty() {
            return Err(corrupt("trailing bytes".into()));
        }
        Ok(Manifest {
            generation,
            analyzer: AnalyzerConfig {
                language,
                stop_words,
                fold_diacritics,
                code_tokens,
            },
            metric,
            model,
            segments,
            retired,
        })
    }
}
