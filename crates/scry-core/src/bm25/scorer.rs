//! BM25 / BM25F scoring of a [`TextQuery`] over several segments, term at a time into dense
//! score arrays (reused between queries).

use super::params::{Bm25Params, FieldScoring};
use super::query::TextQuery;
use super::segment::{FIELD_COUNT, TextSegment};

/// A segment as the scorer sees it: its text index, the global slot of its first document, and
/// which of its documents are deleted.
#[derive(Debug, Clone, Copy)]
pub struct ScoredSegment<'a> {
    /// The text index.
    pub text: &'a TextSegment,
    /// Global slot of local document 0.
    pub base: u32,
    /// `deleted[local]` is true for deleted documents (may be shorter than the segment).
    pub deleted: &'a [bool],
}

/// Reusable scratch memory for scoring (one per concurrent searcher).
#[derive(Debug, Default, Clone)]
pub struct TextScratch {
    total: Vec<f32>,
    best: Vec<f32>,
    acc: Vec<f32>,
    touched_total: Vec<u32>,
    touched_best: Vec<u32>,
    touched_acc: Vec<u32>,
}

impl TextScratch {
    fn reset(&mut self, n: usize) {
        for v in [&mut self.total, &mut self.best, &mut self.acc] {
            if v.len() < n {
                v.resize(n, 0.0);
            }
        }
        self.touched_total.clear();
        self.touched_best.clear();
        self.touched_acc.clear();
    }
}

fn idf(n: f32, df: f32) -> f32 {
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

/// Scores every live document matching the query; returns `(global slot, score)` for documents
/// with a positive score that `accept` admits, unordered.
pub fn score(
    query: &TextQuery,
    segments: &[ScoredSegment<'_>],
    params: &Bm25Params,
    scratch: &mut TextScratch,
    mut accept: impl FnMut(u32) -> bool,
) -> Vec<(u32, f32)> {
    let n_slots = segments
        .iter()
        .map(|s| s.base + s.text.doc_count())
        .max()
        .unwrap_or(0) as usize;
    scratch.reset(n_slots);
    let n = segments.iter().map(|s| s.text.doc_count()).sum::<u32>() as f32;
    if n == 0.0 {
        return Vec::new();
    }
    let mut avg = [0f32; FIELD_COUNT];
    for (f, a) in avg.iter_mut().enumerate() {
        let total: u64 = segments
            .iter()
            .map(|s| s.text.fields[f].total_length())
            .sum();
        *a = (total as f32 / n).max(1e-6);
    }
    let (k1, b) = (params.k1, params.b);
    let TextScratch {
        total,
        best,
        acc,
        touched_total,
        touched_best,
        touched_acc,
    } = scratch;

    for group in &query.groups {
        for (term, weight) in &group.alternatives {
            match params.scoring {
                FieldScoring::Bm25f => {
                    for seg in segments {
                        for (f, field) in seg.text.fields.iter().enumerate() {
                            let boost = params.boosts[f];
                            if boost == 0.0 {
                                continue;
                            }
                            let Some(t) = field.dict().get(term) else {
                                continue;
                            };
                            for (doc, tf) in field.postings(t) {
                                if seg.deleted.get(doc as usize).copied().unwrap_or(false) {
                                    continue;
                                }
                                let g = (seg.base + doc) as usize;
                                let norm = 1.0 - b + b * field.length(doc) as f32 / avg[f];
                                if acc[g] == 0.0 {
                                    touched_acc.push(g as u32);
                                }
                                acc[g] += boost * tf as f32 / norm;
                            }
                        }
                    }
                    let w = weight * idf(n, touched_acc.len() as f32);
                    for &g in touched_acc.iter() {
                        let g = g as usize;
                        let tfw = acc[g];
                        acc[g] = 0.0;
                        let s = w * tfw * (k1 + 1.0) / (k1 + tfw);
                        if best[g] == 0.0 {
                            touched_best.push(g as u32);
                        }
                        best[g] = best[g].max(s);
                    }
                    touched_acc.clear();
                }
                FieldScoring::PerFieldSum => {
                    for (f, &field_avg) in avg.iter().enumerate() {
                        let boost = params.boosts[f];
                        if boost == 0.0 {
                            continue;
                        }
                        let df: u32 = segments
                            .iter()
                            .filter_map(|s| {
                                let field = &s.text.fields[f];
                                field.dict().get(term).map(|t| field.df(t))
                            })
                            .sum();
                        if df == 0 {
                            continue;
                        }
                        let w = weight * boost * idf(n, df as f32);
                        for seg in segments {
                            let field = &seg.text.fields[f];
                            let Some(t) = field.dict().get(term) else {
                                continue;
                            };
                            for (doc, tf) in field.postings(t) {
                                if seg.deleted.get(doc as usize).copied().unwrap_or(false) {
                                    continue;
                                }
                                let g = (seg.base + doc) as usize;
                                let tf = tf as f32;
                                let len = field.length(doc) as f32;
                                let s = w * tf * (k1 + 1.0)
                                    / (tf + k1 * (1.0 - b + b * len / field_avg));
                                if acc[g] == 0.0 {
                                    touched_acc.push(g as u32);
                                }
                                acc[g] += s;
                            }
                        }
                    }
                    for &g in touched_acc.iter() {
                        let g = g as usize;
                        let s = acc[g];
                        acc[g] = 0.0;
                        if best[g] == 0.0 {
                            touched_best.push(g as u32);
                        }
                        best[g] = best[g].max(s);
                    }
                    touched_acc.clear();
                }
            }
        }
        for &g in touched_best.iter() {
            let g = g as usize;
            if total[g] == 0.0 {
                touched_total.push(g as u32);
            }
            total[g] += best[g];
            best[g] = 0.0;
        }
        touched_best.clear();
    }
    let mut out = Vec::with_capacity(touched_total.len());
    for &g in touched_total.iter() {
        let s = total[g as usize];
        total[g as usize] = 0.0;
        if s > 0.0 && accept(g) {
            out.push((g, s));
        }
    }
    touched_total.clear();
    out
}
