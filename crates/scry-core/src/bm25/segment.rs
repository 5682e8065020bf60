//! The text part of a segment: one [`FieldIndex`] per field, built from analysed documents.

use super::field::{FieldBuilder, FieldIndex};
use crate::codec::{DecodeError, Reader};
use crate::text::Analyzer;

/// Number of text fields.
pub const FIELD_COUNT: usize = 4;

/// The text fields of a document, each indexed separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The title.
    Title = 0,
    /// The heading path (section titles above the text).
    Headings = 1,
    /// The main text.
    Body = 2,
    /// Tags / keywords.
    Tags = 3,
}

impl Field {
    /// All fields in storage order.
    pub const ALL: [Field; FIELD_COUNT] = [Field::Title, Field::Headings, Field::Body, Field::Tags];
}

/// Per-document `(term, positions)` lists of one field, for rebuilding during merges.
pub type UnpackedField = Vec<Vec<(String, Vec<u32>)>>;

/// Text of one document, per field.
pub type FieldTexts<'a> = [&'a str; FIELD_COUNT];

/// Immutable text index of a segment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextSegment {
    pub(crate) fields: [FieldIndex; FIELD_COUNT],
    /// `any_df[f][t]`: how many documents contain field `f`'s term `t` in any field, derived
    /// from the postings (never stored); empty where not known (a lazily loaded static index).
    any_df: [Vec<u32>; FIELD_COUNT],
    /// A Bloom filter over every field's terms, derived from the dictionaries (empty: not
    /// known, so every term may be present): most words one typo from a query word are in no
    /// dictionary, and this answers that without a binary search per field.
    terms: Vec<u64>,
}

/// A Bloom filter over every field's terms (the dictionaries suffice: a static index's are
/// loaded before any postings), about 16 bits per term: 1.4 % false positives with two bits.
fn term_filter(fields: &[FieldIndex; FIELD_COUNT]) -> Vec<u64> {
    let count: usize = fields.iter().map(|f| f.dict().len()).sum();
    let words = (count * 16 / 64).max(1).next_power_of_two();
    let mut terms = vec![0u64; words];
    for field in fields {
        for t in 0..field.dict().len() {
            for b in bloom_bits(field.dict().term(t), words) {
                terms[b / 64] |= 1 << (b % 64);
            }
        }
    }
    terms
}

/// The two bits of `term` in a Bloom filter of `words` 64-bit words (a power of two).
fn bloom_bits(term: &str, words: usize) -> [usize; 2] {
    use std::hash::{Hash, Hasher};
    let mut h = crate::fasthash::WordHasher::default();
    term.hash(&mut h);
    // The multiply-rotate hash keeps its entropy in the high bits: mix them down (MurmurHash3's
    // finaliser) before taking one index from each half.
    let mut h = h.finish();
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    let mask = words * 64 - 1;
    [(h as usize) & mask, ((h >> 32) as usize) & mask]
}

impl TextSegment {
    /// A segment of these fields whose cross-field document frequencies are not derived (their
    /// postings may not be loaded); the term filter is.
    pub(crate) fn from_fields(fields: [FieldIndex; FIELD_COUNT]) -> Self {
        Self {
            terms: term_filter(&fields),
            fields,
            any_df: Default::default(),
        }
    }

    /// False only if no field of this segment has `term`.
    pub fn may_contain(&self, term: &str) -> bool {
        if self.terms.is_empty() {
            return true;
        }
        bloom_bits(term, self.terms.len())
            .iter()
            .all(|&b| self.terms[b / 64] & (1 << (b % 64)) != 0)
    }

    /// A segment of these fields, with their cross-field document frequencies.
    fn indexed(fields: [FieldIndex; FIELD_COUNT]) -> Self {
        let n = fields[0].doc_count() as usize;
        let mut any_df: [Vec<u32>; FIELD_COUNT] = Default::default();
        // `seen[doc] == stamp`: doc already counted for the current term.
        let mut seen = vec![0u32; n];
        let mut stamp = 0u32;
        for f in 0..FIELD_COUNT {
            let dict = fields[f].dict();
            let mut out = Vec::with_capacity(dict.len());
            for t in 0..dict.len() {
                let term = dict.term(t);
                // Known from an earlier field that has the term.
                let earlier = (0..f).find_map(|e| {
                    fields[e]
                        .dict()
                        .get(term)
                        .and_then(|i| any_df[e].get(i).copied())
                });
                if let Some(df) = earlier {
                    out.push(df);
                    continue;
                }
                let later: Vec<(usize, usize)> = (f + 1..FIELD_COUNT)
                    .filter_map(|l| fields[l].dict().get(term).map(|i| (l, i)))
                    .collect();
                if later.is_empty() {
                    out.push(fields[f].df(t));
                    continue;
                }
                stamp += 1;
                let mut count = 0u32;
                for (l, i) in std::iter::once((f, t)).chain(later) {
                    for (doc, _) in fields[l].postings(i) {
                        if let Some(s) = seen.get_mut(doc as usize)
                            && *s != stamp
                        {
                            *s = stamp;
                            count += 1;
                        }
                    }
                }
                out.push(count);
            }
            any_df[f] = out;
        }
        Self {
            terms: term_filter(&fields),
            fields,
            any_df,
        }
    }

    /// How many documents contain field `f`'s term `t` in any field, where known.
    pub fn any_df(&self, f: usize, t: usize) -> Option<u32> {
        self.any_df.get(f)?.get(t).copied()
    }

    /// The index of one field.
    pub fn field(&self, f: Field) -> &FieldIndex {
        &self.fields[f as usize]
    }

    /// Number of documents.
    pub fn doc_count(&self) -> u32 {
        self.fields[0].doc_count()
    }

    /// Appends the encoded segment text index.
    pub fn encode(&self, out: &mut Vec<u8>) {
        for f in &self.fields {
            f.encode(out);
        }
    }

    /// Decodes and validates.
    pub fn decode(r: &mut Reader<'_>, doc_count: u32) -> Result<Self, DecodeError> {
        Ok(Self::indexed([
            FieldIndex::decode(r, doc_count)?,
            FieldIndex::decode(r, doc_count)?,
            FieldIndex::decode(r, doc_count)?,
            FieldIndex::decode(r, doc_count)?,
        ]))
    }
}

/// Builds a [`TextSegment`] document by document.
#[derive(Debug, Default)]
pub struct TextSegmentBuilder {
    fields: [FieldBuilder; FIELD_COUNT],
}

impl TextSegmentBuilder {
    /// A builder with no documents.
    pub fn new() -> Self {
        Self::default()
    }

    /// Analyses and adds the next document.
    pub fn add(&mut self, analyzer: &Analyzer, texts: FieldTexts<'_>) {
        for (builder, text) in self.fields.iter_mut().zip(texts) {
            let tokens = analyzer.analyze(text);
            let length = tokens.iter().filter(|t| !t.part).count() as u32;
            builder.add(tokens.iter().map(|t| (t.term.as_str(), t.position)), length);
        }
    }

    /// Adds the next document by copying document `doc` of `from` (for merges).
    pub fn add_from(
        &mut self,
        unpacked: &mut [UnpackedField; FIELD_COUNT],
        from: &TextSegment,
        doc: u32,
    ) {
        for (i, builder) in self.fields.iter_mut().enumerate() {
            let postings = std::mem::take(&mut unpacked[i][doc as usize]);
            builder.add_postings(postings, from.fields[i].length(doc));
        }
    }

    /// Per-field, per-document postings of `segment`, for [`Self::add_from`].
    pub fn unpack(segment: &TextSegment) -> [UnpackedField; FIELD_COUNT] {
        [
            FieldBuilder::unpack(&segment.fields[0]),
            FieldBuilder::unpack(&segment.fields[1]),
            FieldBuilder::unpack(&segment.fields[2]),
            FieldBuilder::unpack(&segment.fields[3]),
        ]
    }

    /// Encodes into an immutable segment.
    pub fn build(self) -> TextSegment {
        let [a, b, c, d] = self.fields;
        TextSegment::indexed([a.build(), b.build(), c.build(), d.build()])
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    /// Documents over a small vocabulary (a 64-bit LCG, so failures reproduce), every field
    /// drawing from it so that terms occur in several fields.
    fn segment(seed: u64, docs: usize) -> TextSegment {
        let mut state = seed;
        let mut below = |n: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 33) % n as u64) as usize
        };
        let analyzer = Analyzer::english();
        let mut b = TextSegmentBuilder::new();
        for _ in 0..docs {
            let fields: Vec<String> = [3, 2, 60, 2]
                .iter()
                .map(|&len| {
                    (0..below(len + 1))
                        .map(|_| {
                            let r = 1 + below(300);
                            format!("w{}", below(r))
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            b.add(&analyzer, [&fields[0], &fields[1], &fields[2], &fields[3]]);
        }
        b.build()
    }

    #[test]
    fn cross_field_frequencies_count_each_document_once() {
        let seg = segment(0xA11_F1E1D, 900);
        let mut docs: BTreeMap<&str, BTreeSet<u32>> = BTreeMap::new();
        for field in &seg.fields {
            for t in 0..field.dict().len() {
                let set = docs.entry(field.dict().term(t)).or_default();
                set.extend(field.postings(t).map(|(d, _)| d));
            }
        }
        let mut in_several = 0;
        for (f, field) in seg.fields.iter().enumerate() {
            for t in 0..field.dict().len() {
                let want = docs[field.dict().term(t)].len() as u32;
                assert_eq!(seg.any_df(f, t), Some(want), "{}", field.dict().term(t));
                in_several += usize::from(want > field.df(t));
            }
        }
        assert!(in_several > 100, "only {in_several} terms span fields");
        // Derived again when decoded; unknown for a segment built from bare fields.
        let mut bytes = Vec::new();
        seg.encode(&mut bytes);
        let back = TextSegment::decode(&mut Reader::new(&bytes), seg.doc_count());
        assert_eq!(back.as_ref().ok(), Some(&seg));
        let bare = TextSegment::from_fields(seg.fields.clone());
        assert_eq!(bare.any_df(0, 0), None);
        // The term filter keeps every term and drops most others.
        assert!(
            docs.keys()
                .all(|t| seg.may_contain(t) && bare.may_contain(t))
        );
        // Absent terms much like present ones (`w300`… beside `w0`…`w299`).
        let absent = (300..10_300)
            .filter(|i| seg.may_contain(&format!("w{i}")))
            .count();
        assert!(
            absent < 250,
            "{absent} of 10,000 absent terms pass the filter"
        );
    }

    #[test]
    fn seeking_finds_what_a_walk_finds() {
        let seg = segment(0x5EE_C0DE, 1200);
        let body = seg.field(Field::Body);
        let mut long = 0;
        for t in 0..body.dict().len() {
            let all: BTreeMap<u32, u32> = body.postings(t).collect();
            long += usize::from(all.len() > 3 * super::super::field::SKIP_BLOCK as usize);
            // Every document, every third, and a sparse run, each in ascending order.
            for step in [1, 3, 97] {
                let mut seeker = body.seeker(t);
                for doc in (0..seg.doc_count()).step_by(step) {
                    assert_eq!(
                        seeker.seek(doc),
                        all.get(&doc).copied(),
                        "term {t}, doc {doc}"
                    );
                }
            }
        }
        assert!(long > 20, "only {long} terms span several skip blocks");
    }
}
