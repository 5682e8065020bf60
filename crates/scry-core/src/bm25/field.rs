//! One field's inverted index in a segment: term dictionary, compressed postings (delta + varint
//! doc ids, term frequencies, positions) and per-document field lengths.

use std::collections::BTreeMap;

use super::dict::TermDict;
use crate::codec::{DecodeError, Reader, put_bytes, put_u64, put_varint};

/// Reads a varint from validated bytes (never panics; malformed bytes read as 0).
#[inline]
fn next_varint(bytes: &[u8], pos: &mut usize) -> u32 {
    // Most gaps and frequencies fit one byte.
    if let Some(&b) = bytes.get(*pos)
        && b < 0x80
    {
        *pos += 1;
        return u32::from(b);
    }
    let mut v: u32 = 0;
    let mut shift = 0;
    while let Some(&b) = bytes.get(*pos) {
        *pos += 1;
        v |= u32::from(b & 0x7f).wrapping_shl(shift);
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    v
}

/// Postings per skip block: a term with more has a skip entry after every `SKIP_BLOCK` of them.
pub const SKIP_BLOCK: u32 = 32;

/// An immutable field index.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldIndex {
    pub(crate) dict: TermDict,
    df: Vec<u32>,
    doc_offsets: Vec<u32>,
    pos_offsets: Vec<u32>,
    docs: Vec<u8>,
    positions: Vec<u8>,
    lengths: Vec<u32>,
    total_length: u64,
    /// Skip data, derived from the postings (never stored): entry `i` of a term is the doc id of
    /// its `(i + 1) · SKIP_BLOCK`-th posting and the offset (in the term's doc bytes) just past
    /// it. Term `t`'s entries are `skips[skip_starts[t]..skip_starts[t + 1]]`.
    skips: Vec<(u32, u32)>,
    skip_starts: Vec<u32>,
}

/// Iterates `(doc, tf)` pairs of one term.
#[derive(Debug, Clone)]
pub struct Postings<'a> {
    bytes: &'a [u8],
    pos: usize,
    left: u32,
    doc: u32,
}

impl Iterator for Postings<'_> {
    type Item = (u32, u32);

    #[inline]
    fn next(&mut self) -> Option<(u32, u32)> {
        // A term whose postings are not loaded (a lazily loaded static index) has no bytes.
        if self.left == 0 || self.pos >= self.bytes.len() {
            return None;
        }
        self.left -= 1;
        self.doc = self
            .doc
            .wrapping_add(next_varint(self.bytes, &mut self.pos));
        let tf = next_varint(self.bytes, &mut self.pos);
        Some((self.doc, tf))
    }
}

/// Looks up documents in ascending order in one term's postings, jumping over whole blocks
/// with the skip data (see [`FieldIndex::seeker`]).
#[derive(Debug, Clone)]
pub struct PostingSeeker<'a> {
    bytes: &'a [u8],
    skips: &'a [(u32, u32)],
    pos: usize,
    /// Postings not decoded yet.
    left: u32,
    /// The last decoded posting (`None` before the first).
    at: Option<(u32, u32)>,
    next_skip: usize,
    df: u32,
}

impl PostingSeeker<'_> {
    /// The term frequency of `doc` if the term occurs in it. Targets must increase from call to
    /// call (a repeated or smaller one gives no meaningful answer).
    #[inline]
    pub fn seek(&mut self, doc: u32) -> Option<u32> {
        if let Some((d, tf)) = self.at
            && d >= doc
        {
            return (d == doc).then_some(tf);
        }
        // Whole blocks that end before `doc`.
        while let Some(&(last, end)) = self.skips.get(self.next_skip) {
            if last >= doc {
                break;
            }
            self.next_skip += 1;
            if end as usize > self.pos {
                self.pos = end as usize;
                self.left = self.df.saturating_sub(self.next_skip as u32 * SKIP_BLOCK);
                // The block's last frequency is not needed: that document is below `doc`.
                self.at = Some((last, 0));
            }
        }
        while self.left > 0 && self.pos < self.bytes.len() {
            self.left -= 1;
            let prev = self.at.map_or(0, |(d, _)| d);
            let d = prev.wrapping_add(next_varint(self.bytes, &mut self.pos));
            let tf = next_varint(self.bytes, &mut self.pos);
            self.at = Some((d, tf));
            if d >= doc {
                return (d == doc).then_some(tf);
            }
        }
        None
    }
}

/// Iterates the positions of one term, document after document (call `next_doc(tf)`).
#[derive(Debug, Clone)]
pub struct PositionCursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl PositionCursor<'_> {
    /// Reads the next document's `tf` positions into `out` (cleared first).
    pub fn next_doc(&mut self, tf: u32, out: &mut Vec<u32>) {
        out.clear();
        let mut p = 0u32;
        for _ in 0..tf {
            p = p.wrapping_add(next_varint(self.bytes, &mut self.pos));
            out.push(p);
        }
    }

    /// Skips the next document's `tf` positions.
    pub fn skip_doc(&mut self, tf: u32) {
        for _ in 0..tf {
            next_varint(self.bytes, &mut self.pos);
        }
    }
}

impl FieldIndex {
    /// Number of documents (slots) this field covers.
    pub fn doc_count(&self) -> u32 {
        self.lengths.len() as u32
    }

    /// The term dictionary.
    pub fn dict(&self) -> &TermDict {
        &self.dict
    }

    /// Length (in whole words) of the field in `doc`.
    pub fn length(&self, doc: u32) -> u32 {
        self.lengths.get(doc as usize).copied().unwrap_or(0)
    }

    /// Every document's length in words, by document.
    pub fn lengths(&self) -> &[u32] {
        &self.lengths
    }

    /// Sum of all lengths.
    pub fn total_length(&self) -> u64 {
        self.total_length
    }

    /// Number of documents containing term `t`.
    pub fn df(&self, t: usize) -> u32 {
        self.df[t]
    }

    /// The postings of term `t`.
    pub fn postings(&self, t: usize) -> Postings<'_> {
        Postings {
            bytes: &self.docs[self.doc_offsets[t] as usize..self.doc_offsets[t + 1] as usize],
            pos: 0,
            left: self.df[t],
            doc: 0,
        }
    }

    /// A seeker over the postings of term `t` (for looking up a few documents in a long list).
    pub fn seeker(&self, t: usize) -> PostingSeeker<'_> {
        let skips = match (self.skip_starts.get(t), self.skip_starts.get(t + 1)) {
            (Some(&a), Some(&b)) => self.skips.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        };
        PostingSeeker {
            bytes: &self.docs[self.doc_offsets[t] as usize..self.doc_offsets[t + 1] as usize],
            skips,
            pos: 0,
            left: self.df[t],
            at: None,
            next_skip: 0,
            df: self.df[t],
        }
    }

    /// Derives the skip data from the postings (after building, decoding or filling).
    fn index_skips(&mut self) {
        self.skips.clear();
        self.skip_starts.clear();
        self.skip_starts.push(0);
        for t in 0..self.dict.len() {
            // Terms whose postings are not loaded (a lazily loaded static index) get none.
            if self.df[t] > SKIP_BLOCK && self.doc_offsets[t + 1] > self.doc_offsets[t] {
                let bytes =
                    &self.docs[self.doc_offsets[t] as usize..self.doc_offsets[t + 1] as usize];
                let mut pos = 0;
                let mut doc = 0u32;
                for i in 1..=self.df[t] {
                    doc = doc.wrapping_add(next_varint(bytes, &mut pos));
                    next_varint(bytes, &mut pos);
                    if i % SKIP_BLOCK == 0 {
                        self.skips.push((doc, pos as u32));
                    }
                }
            }
            self.skip_starts.push(self.skips.len() as u32);
        }
    }

    /// The positions of term `t`, in posting order.
    pub fn positions(&self, t: usize) -> PositionCursor<'_> {
        PositionCursor {
            bytes: &self.positions[self.pos_offsets[t] as usize..self.pos_offsets[t + 1] as usize],
            pos: 0,
        }
    }

    /// The encoded doc-id and position bytes of term `t` (what [`FieldIndex::encode`] writes).
    pub(crate) fn postings_bytes(&self, t: usize) -> (&[u8], &[u8]) {
        (
            &self.docs[self.doc_offsets[t] as usize..self.doc_offsets[t + 1] as usize],
            &self.positions[self.pos_offsets[t] as usize..self.pos_offsets[t + 1] as usize],
        )
    }

    /// Appends everything but the postings: dictionary, document frequencies and lengths (the
    /// part of a static index loaded up front).
    pub(crate) fn encode_skeleton(&self, out: &mut Vec<u8>) {
        self.dict.encode(out);
        for &df in &self.df {
            put_varint(out, u64::from(df));
        }
        put_varint(out, self.lengths.len() as u64);
        for &l in &self.lengths {
            put_varint(out, u64::from(l));
        }
    }

    /// Decodes [`FieldIndex::encode_skeleton`]: a field whose terms have no postings yet.
    pub(crate) fn decode_skeleton(r: &mut Reader<'_>, doc_count: u32) -> Result<Self, DecodeError> {
        let dict = TermDict::decode(r)?;
        let n = dict.len();
        let mut df = Vec::with_capacity(n);
        for _ in 0..n {
            let d = r.varint_u32()?;
            if d == 0 || d > doc_count {
                return Err(r.invalid(format!("document frequency {d} with {doc_count} documents")));
            }
            df.push(d);
        }
        let count = r.count(1)?;
        if count != doc_count as usize {
            return Err(r.invalid(format!("{count} field lengths for {doc_count} documents")));
        }
        let mut lengths = Vec::with_capacity(count);
        for _ in 0..count {
            lengths.push(r.varint_u32()?);
        }
        Ok(FieldIndex {
            dict,
            df,
            doc_offsets: vec![0; n + 1],
            pos_offsets: vec![0; n + 1],
            docs: Vec::new(),
            positions: Vec::new(),
            total_length: lengths.iter().map(|&l| u64::from(l)).sum(),
            lengths,
            // No postings yet, so no skips: `seeker` reads them as none.
            skips: Vec::new(),
            skip_starts: Vec::new(),
        })
    }

    /// Fills in the postings of terms `start..start + postings.len()` (validated against the
    /// document frequencies); other terms keep theirs.
    pub(crate) fn fill(&mut self, start: usize, postings: &[(&[u8], &[u8])]) -> Result<(), String> {
        let end = start + postings.len();
        if end > self.dict.len() {
            return Err(format!("terms {start}..{end} of {}", self.dict.len()));
        }
        let doc_count = self.doc_count();
        for (i, (d, p)) in postings.iter().enumerate() {
            validate_postings(d, p, self.df[start + i], doc_count)?;
        }
        let n = self.dict.len();
        let mut docs = Vec::with_capacity(self.docs.len());
        let mut positions = Vec::with_capacity(self.positions.len());
        let mut doc_offsets = Vec::with_capacity(n + 1);
        let mut pos_offsets = Vec::with_capacity(n + 1);
        doc_offsets.push(0);
        pos_offsets.push(0);
        for t in 0..n {
            let (d, p) = if (start..end).contains(&t) {
                postings[t - start]
            } else {
                self.postings_bytes(t)
            };
            docs.extend_from_slice(d);
            positions.extend_from_slice(p);
            doc_offsets.push(docs.len() as u32);
            pos_offsets.push(positions.len() as u32);
        }
        self.docs = docs;
        self.positions = positions;
        self.doc_offsets = doc_offsets;
        self.pos_offsets = pos_offsets;
        self.index_skips();
        Ok(())
    }

    /// Appends the encoded field.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.dict.encode(out);
        for t in 0..self.dict.len() {
            put_varint(out, u64::from(self.df[t]));
            put_bytes(
                out,
                &self.docs[self.doc_offsets[t] as usize..self.doc_offsets[t + 1] as usize],
            );
            put_bytes(
                out,
                &self.positions[self.pos_offsets[t] as usize..self.pos_offsets[t + 1] as usize],
            );
        }
        put_varint(out, self.lengths.len() as u64);
        for &l in &self.lengths {
            put_varint(out, u64::from(l));
        }
        put_u64(out, self.total_length);
    }

    /// Decodes and fully validates a field (doc ids ascending and below `doc_count`, positions
    /// well-formed, lengths consistent), so queries can trust it.
    pub fn decode(r: &mut Reader<'_>, doc_count: u32) -> Result<Self, DecodeError> {
        let dict = TermDict::decode(r)?;
        let n = dict.len();
        let mut f = FieldIndex {
            dict,
            df: Vec::with_capacity(n),
            doc_offsets: vec![0],
            pos_offsets: vec![0],
            ..Default::default()
        };
        for _ in 0..n {
            let df = r.varint_u32()?;
            let docs = r.bytes()?;
            let positions = r.bytes()?;
            validate_postings(docs, positions, df, doc_count).map_err(|what| r.invalid(what))?;
            f.df.push(df);
            f.docs.extend_from_slice(docs);
            f.positions.extend_from_slice(positions);
            f.doc_offsets.push(f.docs.len() as u32);
            f.pos_offsets.push(f.positions.len() as u32);
        }
        let count = r.count(1)?;
        if count != doc_count as usize {
            return Err(r.invalid(format!("{count} field lengths for {doc_count} documents")));
        }
        for _ in 0..count {
            f.lengths.push(r.varint_u32()?);
        }
        f.total_length = r.u64()?;
        if f.total_length != f.lengths.iter().map(|&l| u64::from(l)).sum::<u64>() {
            return Err(r.invalid("total field length does not match the lengths"));
        }
        f.index_skips();
        Ok(f)
    }
}

fn validate_postings(docs: &[u8], positions: &[u8], df: u32, doc_count: u32) -> Result<(), String> {
    // Every dictionary term occurs somewhere (queries take a known term for a present one).
    if df == 0 {
        return Err("a term without postings".into());
    }
    let mut dr = Reader::new(docs);
    let mut pr = Reader::new(positions);
    let mut doc: u64 = 0;
    for i in 0..df {
        let delta = dr.varint().map_err(|e| e.to_string())?;
        if i > 0 && delta == 0 {
            return Err("doc ids are not strictly increasing".into());
        }
        doc = doc.saturating_add(delta);
        if doc >= u64::from(doc_count) {
            return Err(format!("doc id {doc} is not below {doc_count}"));
        }
        let tf = dr.varint_u32().map_err(|e| e.to_string())?;
        if tf == 0 || tf as usize > positions.len() {
            return Err(format!("implausible term frequency {tf}"));
        }
        let mut p: u64 = 0;
        for _ in 0..tf {
            p = p.saturating_add(pr.varint().map_err(|e| e.to_string())?);
            if p > u64::from(u32::MAX) {
                return Err("position overflows".into());
            }
        }
    }
    if !dr.is_empty() || !pr.is_empty() {
        return Err("trailing bytes after postings".into());
    }
    Ok(())
}

/// Accumulates documents (in increasing slot order) and builds a [`FieldIndex`].
#[derive(Debug, Default)]
pub struct FieldBuilder {
    terms: BTreeMap<String, Vec<(u32, Vec<u32>)>>,
    lengths: Vec<u32>,
}

impl FieldBuilder {
    /// Adds the next document: its `(term, position)` pairs and its length in words.
    pub fn add<'a>(&mut self, terms: impl IntoIterator<Item = (&'a str, u32)>, length: u32) {
        let doc = self.lengths.len() as u32;
        for (term, position) in terms {
            let list = self.terms.entry(term.to_owned()).or_default();
            match list.last_mut() {
                Some((d, ps)) if *d == doc => ps.push(position),
                _ => list.push((doc, vec![position])),
            }
        }
        self.lengths.push(length);
    }

    /// Adds the next document's postings from another field index (used by merges).
    pub fn add_postings(&mut self, postings: Vec<(String, Vec<u32>)>, length: u32) {
        let doc = self.lengths.len() as u32;
        for (term, positions) in postings {
            self.terms.entry(term).or_default().push((doc, positions));
        }
        self.lengths.push(length);
    }

    /// Encodes everything into an immutable index.
    pub fn build(self) -> FieldIndex {
        let dict = TermDict::from_sorted(self.terms.keys().map(String::as_str));
        let mut f = FieldIndex {
            dict,
            doc_offsets: vec![0],
            pos_offsets: vec![0],
            total_length: self.lengths.iter().map(|&l| u64::from(l)).sum(),
            lengths: self.lengths,
            ..Default::default()
        };
        for (_, list) in self.terms {
            f.df.push(list.len() as u32);
            let mut prev = 0u32;
            for (doc, mut positions) in list {
                positions.sort_unstable();
                put_varint(&mut f.docs, u64::from(doc - prev));
                prev = doc;
                put_varint(&mut f.docs, positions.len() as u64);
                let mut pp = 0u32;
                for p in positions {
                    put_varint(&mut f.positions, u64::from(p - pp));
                    pp = p;
                }
            }
            f.doc_offsets.push(f.docs.len() as u32);
            f.pos_offsets.push(f.positions.len() as u32);
        }
        f.index_skips();
        f
    }

    /// Per-document `(term, positions)` lists of a built field, for re-building during merges.
    pub fn unpack(field: &FieldIndex) -> super::segment::UnpackedField {
        let mut per_doc: Vec<Vec<(String, Vec<u32>)>> =
            vec![Vec::new(); field.doc_count() as usize];
        let mut buf = Vec::new();
        for t in 0..field.dict.len() {
            let mut cursor = field.positions(t);
            for (doc, tf) in field.postings(t) {
                cursor.next_doc(tf, &mut buf);
                if let Some(list) = per_doc.get_mut(doc as usize) {
                    list.push((field.dict.term(t).to_owned(), buf.clone()));
                }
            }
        }
        per_doc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postings_validation_rejects_a_term_without_postings() {
        assert!(validate_postings(&[], &[], 0, 5).is_err());
        // Document 2, one occurrence at position 3.
        assert_eq!(validate_postings(&[2, 1], &[3], 1, 5), Ok(()));
        assert!(validate_postings(&[2, 1], &[3], 1, 2).is_err());
    }
}
