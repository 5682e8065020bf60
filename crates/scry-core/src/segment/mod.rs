//! Segments: immutable sets of documents with their text index and vectors, encoded as one
//! checksummed, versioned blob named by its content hash (Lucene/tantivy's segment model).

pub(crate) mod docs;
pub mod format;

use std::collections::HashSet;

use crate::bm25::{TextSegment, TextSegmentBuilder};
use crate::codec::Reader;
use crate::document::Document;
use crate::error::{CoreError, Result};
use crate::text::Analyzer;
use crate::vector::{VectorParams, VectorSegment};

/// Magic bytes of a segment blob.
pub const SEGMENT_MAGIC: &[u8; 8] = b"SCRYSEG\0";
/// Newest segment format this build writes and reads (2: vectors carry 2-bit residuals).
pub const SEGMENT_VERSION: u16 = 2;
/// Magic bytes of a documents-store record: a segment's documents and vector rows, kept apart
/// from the segment so that a damaged segment can be rebuilt ([`Segment::rebuild`]).
pub const DOCSTORE_MAGIC: &[u8; 8] = b"SCRYDOC\0";
/// Newest documents-store format.
pub const DOCSTORE_VERSION: u16 = 2;

/// One immutable segment.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub(crate) docs: Vec<Document>,
    pub(crate) text: TextSegment,
    pub(crate) vectors: VectorSegment,
}

impl Segment {
    /// Builds a segment: documents (already validated, unique ids) and the passage vectors of
    /// each (`(vector, local doc)`, already checked for the metric). No graph is built here
    /// unless `params.hnsw_threshold` is reached: callers wanting a quick add pass params with a
    /// huge threshold and build graphs later through merges.
    pub fn build(
        docs: Vec<Document>,
        vectors: &[(Vec<f32>, u32)],
        dims: usize,
        analyzer: &Analyzer,
        params: &VectorParams,
    ) -> Self {
        let mut b = TextSegmentBuilder::new();
        for d in &docs {
            let texts = d.field_texts();
            b.add(analyzer, [&texts[0], &texts[1], &texts[2], &texts[3]]);
        }
        Segment {
            text: b.build(),
            vectors: VectorSegment::build(dims, vectors, params),
            docs,
        }
    }

    /// Merges segments, dropping deleted documents (`deleted[i][doc]`), rebuilding postings and
    /// (if large enough) the HNSW graph.
    pub fn merge(parts: &[(&Segment, &[bool])], dims: usize, params: &VectorParams) -> Self {
        let mut docs = Vec::new();
        let mut text = TextSegmentBuilder::new();
        let mut remaps: Vec<Vec<Option<u32>>> = Vec::with_capacity(parts.len());
        for (seg, deleted) in parts {
            let mut unpacked = TextSegmentBuilder::unpack(&seg.text);
            let mut remap = vec![None; seg.docs.len()];
            for (local, d) in seg.docs.iter().enumerate() {
                if deleted.get(local).copied().unwrap_or(false) {
                    continue;
                }
                remap[local] = Some(docs.len() as u32);
                text.add_from(&mut unpacked, &seg.text, local as u32);
                docs.push(d.clone());
            }
            remaps.push(remap);
        }
        let vparts: Vec<&VectorSegment> = parts.iter().map(|(s, _)| &s.vectors).collect();
        let vectors = VectorSegment::merge(
            dims,
            &vparts,
            |p, doc| remaps[p].get(doc as usize).copied().flatten(),
            params,
        );
        Segment {
            docs,
            text: text.build(),
            vectors,
        }
    }

    /// Number of documents (including deleted ones, which only merges drop).
    pub fn doc_count(&self) -> u32 {
        self.docs.len() as u32
    }

    /// The stored documents.
    pub fn docs(&self) -> &[Document] {
        &self.docs
    }

    /// The text index.
    pub fn text(&self) -> &TextSegment {
        &self.text
    }

    /// The vectors.
    pub fn vectors(&self) -> &VectorSegment {
        &self.vectors
    }

    /// Encodes the segment into a sealed blob.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Vec::new();
        docs::encode(&self.docs, &mut body);
        self.text.encode(&mut body);
        self.vectors.encode(&mut body);
        format::seal(SEGMENT_MAGIC, SEGMENT_VERSION, &body)
    }

    /// Encodes the segment's documents-store record: its documents and vector rows (not the
    /// text index or the graph, which are rebuilt from them; a flag says whether there was a
    /// graph) and the generation of the commit that first stored the segment (version 2: which
    /// of two records holding one id is newer, for a manifest rebuilt without its deletions),
    /// sealed with its own checksum.
    pub fn encode_docstore(&self, generation: u64) -> Vec<u8> {
        let mut body = Vec::new();
        docs::encode(&self.docs, &mut body);
        self.vectors.encode_rows(&mut body);
        body.push(u8::from(self.vectors.has_graph()));
        body.extend_from_slice(&generation.to_le_bytes());
        format::seal(DOCSTORE_MAGIC, DOCSTORE_VERSION, &body)
    }

    /// The generation a documents-store record was first stored at (0 for version-1 records,
    /// which did not keep it); checks the envelope only.
    pub fn docstore_generation(record: &[u8], name: &str) -> Result<u64> {
        let what = format!("stored documents of segment {name}");
        let (version, body) = format::open(record, DOCSTORE_MAGIC, DOCSTORE_VERSION, &what)?;
        if version < 2 {
            return Ok(0);
        }
        let tail = body
            .len()
            .checked_sub(8)
            .and_then(|at| body.get(at..))
            .ok_or_else(|| CoreError::Corrupt {
                what,
                reason: "too short for its generation".into(),
            })?;
        let mut g = [0u8; 8];
        g.copy_from_slice(tail);
        Ok(u64::from_le_bytes(g))
    }

    /// Rebuilds a segment from its documents-store record (`name` identifies it in errors):
    /// the same documents in the same order (so the manifest's deletions still apply) with the
    /// same vector rows; the text index is rebuilt with `analyzer`, and the graph (with
    /// `params`) if the segment had one.
    pub fn rebuild(
        record: &[u8],
        name: &str,
        analyzer: &Analyzer,
        params: &VectorParams,
    ) -> Result<Self> {
        let what = format!("stored documents of segment {name}");
        let (version, body) = format::open(record, DOCSTORE_MAGIC, DOCSTORE_VERSION, &what)?;
        // Version 2 ends with the generation (`docstore_generation` reads it).
        let body = if version >= 2 {
            body.len()
                .checked_sub(8)
                .and_then(|end| body.get(..end))
                .ok_or_else(|| CoreError::Corrupt {
                    what: what.clone(),
                    reason: "too short for its generation".into(),
                })?
        } else {
            body
        };
        let corrupt = |reason: String| CoreError::Corrupt {
            what: what.clone(),
            reason,
        };
        let mut r = Reader::new(body);
        let docs = decode_docs(&mut r, &corrupt)?;
        let n = docs.len() as u32;
        let rows = VectorSegment::decode(&mut r, n).map_err(|e| corrupt(e.to_string()))?;
        let graph = match r.u8().map_err(|e| corrupt(e.to_string()))? {
            0 => false,
            1 => true,
            _ => return Err(corrupt("bad graph flag".into())),
        };
        if !r.is_empty() {
            return Err(corrupt(format!("{} trailing bytes", r.remaining())));
        }
        let mut text = TextSegmentBuilder::new();
        for d in &docs {
            let texts = d.field_texts();
            text.add(analyzer, [&texts[0], &texts[1], &texts[2], &texts[3]]);
        }
        let params = VectorParams {
            hnsw_threshold: if graph { 0 } else { usize::MAX },
            // Originals the record holds are kept, whatever the caller's settings.
            keep_f32: true,
            ..*params
        };
        let vectors = VectorSegment::merge(rows.dims(), &[&rows], |_, doc| Some(doc), &params);
        Ok(Segment {
            text: text.build(),
            vectors,
            docs,
        })
    }

    /// Decodes and validates a segment blob; `name` identifies it in errors.
    pub fn decode(bytes: &[u8], name: &str) -> Result<Self> {
        let what = format!("segment {name}");
        let (version, body) = format::open(bytes, SEGMENT_MAGIC, SEGMENT_VERSION, &what)?;
        // Version 1 (no int8 residuals) is laid out differently: refuse it as a version rather
        // than misreading it as damage.
        if version < SEGMENT_VERSION {
            return Err(CoreError::UnsupportedVersion {
                what,
                found: version,
                supported: SEGMENT_VERSION,
            });
        }
        let corrupt = |reason: String| CoreError::Corrupt {
            what: what.clone(),
            reason,
        };
        let mut r = Reader::new(body);
        let docs = decode_docs(&mut r, &corrupt)?;
        let n = docs.len() as u32;
        let text = TextSegment::decode(&mut r, n).map_err(|e| corrupt(e.to_string()))?;
        let vectors = VectorSegment::decode(&mut r, n).map_err(|e| corrupt(e.to_string()))?;
        if !r.is_empty() {
            return Err(corrupt(format!("{} trailing bytes", r.remaining())));
        }
        Ok(Segment {
            docs,
            text,
            vectors,
        })
    }
}

/// Decodes a blob's documents, refusing duplicate ids (`corrupt` names the blob).
fn decode_docs(r: &mut Reader<'_>, corrupt: &dyn Fn(String) -> CoreError) -> Result<Vec<Document>> {
    let docs = docs::decode(r).map_err(|e| corrupt(e.to_string()))?;
    let mut ids = HashSet::with_capacity(docs.len());
    if !docs.iter().all(|d| ids.insert(d.id.as_str())) {
        return Err(corrupt("duplicate document id".into()));
    }
    Ok(docs)
}
