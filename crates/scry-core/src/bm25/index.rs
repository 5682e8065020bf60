//! An in-memory inverted index with per-field BM25 scoring (sum over fields of boost × BM25).

use std::collections::HashMap;

use super::Bm25Params;

/// The text fields of a document, each scored separately and summed with its boost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The document title.
    Title = 0,
    /// The main text.
    Body = 1,
}

impl Field {
    /// All fields, in storage order.
    pub const ALL: [Field; 2] = [Field::Title, Field::Body];

    /// Default boost of the field.
    pub fn default_boost(self) -> f32 {
        match self {
            Field::Title => 2.0,
            Field::Body => 1.0,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Posting {
    doc: u32,
    tf: u32,
}

#[derive(Debug, Default, Clone)]
struct FieldIndex {
    postings: HashMap<String, Vec<Posting>>,
    /// Length in terms of this field, per document slot.
    lengths: Vec<u32>,
    total_length: u64,
}

/// Inverted index over document slots `0..n`; slots are assigned by the caller in increasing order.
#[derive(Debug, Clone)]
pub struct Bm25Index {
    params: Bm25Params,
    fields: [FieldIndex; 2],
    deleted: Vec<bool>,
    live: u32,
}

impl Bm25Index {
    /// An empty index with the given (already validated) parameters.
    pub fn new(params: Bm25Params) -> Self {
        Self {
            params,
            fields: Default::default(),
            deleted: Vec::new(),
            live: 0,
        }
    }

    /// Number of slots ever added (including deleted ones).
    pub fn slots(&self) -> u32 {
        u32::try_from(self.deleted.len()).unwrap_or(u32::MAX)
    }

    /// Adds the next document slot with its analysed terms per field. Returns the slot.
    pub fn add(&mut self, terms: [&[String]; 2]) -> u32 {
        let slot = self.slots();
        for (field, field_terms) in self.fields.iter_mut().zip(terms) {
            let mut counts: HashMap<&str, u32> = HashMap::new();
            for t in field_terms {
                *counts.entry(t.as_str()).or_default() += 1;
            }
            for (term, tf) in counts {
                field
                    .postings
                    .entry(term.to_owned())
                    .or_default()
                    .push(Posting { doc: slot, tf });
            }
            let len = u32::try_from(field_terms.len()).unwrap_or(u32::MAX);
            field.lengths.push(len);
            field.total_length += u64::from(len);
        }
        self.deleted.push(false);
        self.live += 1;
        slot
    }

    /// Marks a slot deleted; it no longer matches. Returns false if it was already gone.
    pub fn delete(&mut self, slot: u32) -> bool {
        match self.deleted.get_mut(slot as usize) {
            Some(d) if !*d => {
                *d = true;
                self.live -= 1;
                true
            }
            _ => false,
        }
    }

    /// Scores every live slot matching at least one query term; unordered `(slot, score)` pairs.
    pub fn score(&self, query_terms: &[String], boosts: [f32; 2]) -> Vec<(u32, f32)> {
        let mut acc: HashMap<u32, f32> = HashMap::new();
        let n = self.slots() as f32;
        for (fi, field) in self.fields.iter().enumerate() {
            if field.lengths.is_empty() || boosts[fi] == 0.0 {
                continue;
            }
            let avg_len = (field.total_length as f32 / n).max(1e-6);
            for term in query_terms {
                let Some(postings) = field.postings.get(term) else {
                    continue;
                };
                let df = postings.len() as f32;
                let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
                for p in postings {
                    if self.deleted[p.doc as usize] {
                        continue;
                    }
                    let tf = p.tf as f32;
                    let len = field.lengths[p.doc as usize] as f32;
                    let norm =
                        self.params.k1 * (1.0 - self.params.b + self.params.b * len / avg_len);
                    let s = idf * tf * (self.params.k1 + 1.0) / (tf + norm);
                    *acc.entry(p.doc).or_default() += boosts[fi] * s;
                }
            }
        }
        acc.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    /// Direct transcription of the BM25 formula, for one field.
    fn reference(docs: &[Vec<String>], query: &[String], k1: f32, b: f32) -> Vec<f32> {
        let n = docs.len() as f32;
        let avg = docs.iter().map(Vec::len).sum::<usize>() as f32 / n;
        docs.iter()
            .map(|d| {
                query
                    .iter()
                    .map(|q| {
                        let df = docs.iter().filter(|x| x.contains(q)).count() as f32;
                        if df == 0.0 {
                            return 0.0;
                        }
                        let tf = d.iter().filter(|t| *t == q).count() as f32;
                        let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
                        idf * tf * (k1 + 1.0) / (tf + k1 * (1.0 - b + b * d.len() as f32 / avg))
                    })
                    .sum()
            })
            .collect()
    }

    #[test]
    fn matches_reference_formula() {
        let docs = [
            terms("stream pipe readable stream"),
            terms("buffer alloc"),
            terms("readable stream events data end"),
            terms("fs read file"),
        ];
        let mut idx = Bm25Index::new(Bm25Params::default());
        for d in &docs {
            idx.add([&[], d]);
        }
        let q = terms("readable stream");
        let mut got = idx.score(&q, [0.0, 1.0]);
        got.sort_by_key(|(slot, _)| *slot);
        let want = reference(&docs, &q, 1.2, 0.75);
        for (slot, score) in got {
            assert!((score - want[slot as usize]).abs() < 1e-5, "slot {slot}");
        }
    }

    #[test]
    fn deleted_slots_do_not_match() {
        let mut idx = Bm25Index::new(Bm25Params::default());
        let a = idx.add([&terms("alpha"), &terms("beta")]);
        let b = idx.add([&terms("alpha"), &[]]);
        assert!(idx.delete(a));
        assert!(!idx.delete(a));
        let hits = idx.score(&terms("alpha"), [2.0, 1.0]);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].0, b);
    }
}
