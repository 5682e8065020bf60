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
    /// How many entries of `deleted` are true, exactly: it bounds the live document frequencies
    /// that the top-k pruning of [`score`] relies on, and a count of 0 makes [`score`] skip the
    /// tombstone lookups (a 0 with a deleted entry would let that document through).
    pub deleted_count: u32,
}

#[cfg(test)]
thread_local! {
    /// Test-only counts: (postings lookups for the documents in the running, documents
    /// dropped as unable to reach the k-th best score).
    static EVENTS: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((0, 0)) };
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
    /// Documents already counted as certain to outscore what the remaining groups can add.
    counted: Vec<bool>,
    touched_counted: Vec<u32>,
    /// Bit `g`: document `g` is in `touched_total` (to list them in order without sorting).
    touched_bits: Vec<u64>,
}

impl TextScratch {
    fn reset(&mut self, n: usize) {
        for v in [&mut self.total, &mut self.best, &mut self.acc] {
            if v.len() < n {
                v.resize(n, 0.0);
            }
        }
        if self.counted.len() < n {
            self.counted.resize(n, false);
        }
        if self.touched_bits.len() < n.div_ceil(64) {
            self.touched_bits.resize(n.div_ceil(64), 0);
        }
        self.touched_total.clear();
        self.touched_best.clear();
        self.touched_acc.clear();
        self.touched_counted.clear();
    }
}

fn idf(n: f32, df: f32) -> f32 {
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

/// The query's ceiling: the most a document could score for `query` if it matched every term
/// group that some document matches, each to saturation — per group, its best alternative's
/// limit `weight · idf · (k1 + 1)` (per-field sums: each field's boosted limit added up), the
/// idf from the term's largest field document frequency per segment (so never below a real
/// score's). Hybrid search's [`crate::hybrid::Fusion::Coverage`] divides BM25 scores by it.
pub fn ceiling(query: &TextQuery, segments: &[ScoredSegment<'_>], params: &Bm25Params) -> f32 {
    let n = segments.iter().map(|s| s.text.doc_count()).sum::<u32>() as f32;
    if n == 0.0 {
        return 0.0;
    }
    let k1 = params.k1;
    let mut total = 0f32;
    for group in &query.groups {
        let mut best = 0f32;
        for (term, weight) in &group.alternatives {
            let mut per_field = [0u64; FIELD_COUNT];
            let mut df = 0u64;
            for seg in segments {
                if !seg.text.may_contain(term) {
                    continue;
                }
                let mut most = 0u32;
                for (f, field) in seg.text.fields.iter().enumerate() {
                    if let Some(t) = field.dict().get(term) {
                        most = most.max(field.df(t));
                        per_field[f] += u64::from(field.df(t));
                    }
                }
                df += u64::from(most);
            }
            let limit = match params.scoring {
                FieldScoring::Bm25f if df > 0 => weight * idf(n, df as f32) * (k1 + 1.0),
                FieldScoring::PerFieldSum => per_field
                    .iter()
                    .zip(&params.boosts)
                    .filter(|(df, _)| **df > 0)
                    .map(|(df, boost)| weight * boost * idf(n, *df as f32) * (k1 + 1.0))
                    .sum(),
                _ => 0.0,
            };
            best = best.max(limit);
        }
        total += best;
    }
    total
}

/// Scores the live documents matching the query; returns `(global slot, score)` for documents
/// with a positive score that `accept` admits, unordered, with exact scores.
///
/// `k = 0` returns every such document. Otherwise only a superset of the best `k` is certain to
/// be returned (MaxScore-style pruning, term at a time): groups are scored from the highest
/// possible contribution down, and once `k` accepted documents score more than everything the
/// remaining groups could add together, documents not yet matched can no longer reach the top
/// `k` and are skipped; the ones already matched keep being scored in full.
pub fn score(
    query: &TextQuery,
    segments: &[ScoredSegment<'_>],
    params: &Bm25Params,
    scratch: &mut TextScratch,
    k: usize,
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
        counted,
        touched_counted,
        touched_bits,
    } = scratch;

    // BM25F: every alternative's term id in every segment's fields, looked up once
    // (`NONE`: absent, or a field with boost 0). Alternative `a`'s ids start at `a * per_alt`.
    const NONE: u32 = u32::MAX;
    let per_alt = segments.len() * FIELD_COUNT;
    let mut ids: Vec<u32> = Vec::new();
    // Upper bound of what each group can add to a document's score: the saturation limit
    // `weight · idf · (k1 + 1)` of its best alternative, with the idf of the fewest live
    // documents its term can be in (its largest field document frequency per segment, less the
    // segment's deleted documents).
    let mut bounds: Vec<f32> = Vec::with_capacity(query.groups.len());
    // The same bound from the fewest live documents alone: it orders the groups (as it did
    // before frequencies were known up front, so scores keep their summation order).
    let mut order_bounds: Vec<f32> = Vec::with_capacity(query.groups.len());
    // Where each group's ids start.
    let mut starts: Vec<usize> = Vec::with_capacity(query.groups.len());
    // Each alternative's live document frequency where it is known without reading postings
    // (every segment holding the term has no deletions and knows its cross-field frequencies,
    // and no field is switched off); in group and alternative order.
    let mut known_df: Vec<Option<u32>> = Vec::new();
    let all_fields = params.boosts.iter().all(|&b| b != 0.0);
    if params.scoring == FieldScoring::Bm25f {
        for group in &query.groups {
            starts.push(ids.len());
            let mut bound = 0f32;
            let mut order_bound = 0f32;
            for (term, weight) in &group.alternatives {
                let mut df_low = 0u64;
                let mut known = all_fields.then_some(0u32);
                for seg in segments {
                    // Most alternatives are absent from some segments: one filter test instead
                    // of a binary search per field.
                    if !seg.text.may_contain(term) {
                        ids.extend([NONE; FIELD_COUNT]);
                        continue;
                    }
                    let mut most = 0;
                    let mut first = None;
                    for (f, (field, &boost)) in
                        seg.text.fields.iter().zip(&params.boosts).enumerate()
                    {
                        let t = match field.dict().get(term) {
                            Some(t) if boost != 0.0 => t,
                            _ => {
                                ids.push(NONE);
                                continue;
                            }
                        };
                        ids.push(t as u32);
                        most = most.max(field.df(t));
                        first = first.or(Some((f, t)));
                    }
                    df_low += u64::from(most.saturating_sub(seg.deleted_count));
                    if let Some((f, t)) = first {
                        known = match (known, seg.text.any_df(f, t)) {
                            (Some(sum), Some(df)) if seg.deleted_count == 0 => {
                                Some(sum.saturating_add(df))
                            }
                            _ => None,
                        };
                    }
                }
                // The exact frequency gives the tighter bound.
                let df = known.map_or(df_low as f32, |d| d as f32);
                bound = bound.max(weight * idf(n, df) * (k1 + 1.0));
                order_bound = order_bound.max(weight * idf(n, df_low as f32) * (k1 + 1.0));
                known_df.push(known);
            }
            bounds.push(bound);
            order_bounds.push(order_bound);
        }
    }
    // Highest possible contribution first, whatever `k` (so that every `k` adds a document's
    // contributions in the same order: pruned scores equal exhaustive ones to the bit);
    // `rest[i]`: what the groups after the i-th can add.
    let mut order: Vec<usize> = (0..query.groups.len()).collect();
    let mut rest = vec![f32::INFINITY; order.len()];
    if !bounds.is_empty() {
        order.sort_by(|&a, &b| order_bounds[b].total_cmp(&order_bounds[a]).then(a.cmp(&b)));
    }
    if k > 0 && !bounds.is_empty() {
        let mut sum = 0f32;
        for i in (0..order.len()).rev() {
            rest[i] = sum;
            sum += bounds[order[i]];
        }
    }
    // Whether documents not matched so far can still enter the top k.
    let mut admit = true;
    // Once they cannot: the documents still in the running, ascending.
    let mut candidates: Vec<u32> = Vec::new();
    let mut floor: Vec<f32> = Vec::new();
    let mut certain = 0usize;

    for (step, &gi) in order.iter().enumerate() {
        let group = &query.groups[gi];
        for (ai, (term, weight)) in group.alternatives.iter().enumerate() {
            match params.scoring {
                FieldScoring::Bm25f => {
                    let alt_ids = &ids[starts[gi] + ai * per_alt..][..per_alt];
                    // Every alternative has `per_alt` ids and one frequency.
                    let known = known_df[starts[gi] / per_alt + ai];
                    for (seg, seg_ids) in segments.iter().zip(alt_ids.chunks_exact(FIELD_COUNT)) {
                        // Once no new document can enter, a term whose frequency is known only
                        // needs the documents still in the running: look them up.
                        let lookup = (!admit && known.is_some()).then(|| {
                            let from = candidates.partition_point(|&g| g < seg.base);
                            let to = candidates
                                .partition_point(|&g| g < seg.base + seg.text.doc_count());
                            &candidates[from..to]
                        });
                        for (f, field) in seg.text.fields.iter().enumerate() {
                            let boost = params.boosts[f];
                            if seg_ids[f] == NONE {
                                continue;
                            }
                            let t = seg_ids[f] as usize;
                            // Length normalisation `1 - b + b · length / avg` (evaluated as
                            // before the loop was tuned, so scores stay bit-identical).
                            let (c0, field_avg) = (1.0 - b, avg[f]);
                            let lengths = field.lengths();
                            if let Some(slots) = lookup {
                                let mut seeker = field.seeker(t);
                                #[cfg(test)]
                                EVENTS.with(|e| e.set((e.get().0 + 1, e.get().1)));
                                for &g in slots {
                                    let doc = g - seg.base;
                                    let Some(tf) = seeker.seek(doc) else {
                                        continue;
                                    };
                                    let g = g as usize;
                                    let len = lengths.get(doc as usize).copied().unwrap_or(0);
                                    let norm = c0 + b * len as f32 / field_avg;
                                    if acc[g] == 0.0 {
                                        touched_acc.push(g as u32);
                                    }
                                    acc[g] += boost * tf as f32 / norm;
                                }
                                continue;
                            }
                            let deleted = (seg.deleted_count > 0).then_some(seg.deleted);
                            for (doc, tf) in field.postings(t) {
                                if let Some(d) = deleted
                                    && d.get(doc as usize).copied().unwrap_or(false)
                                {
                                    continue;
                                }
                                let g = (seg.base + doc) as usize;
                                if !admit && total[g] == 0.0 {
                                    // Counted for the term's document frequency (so that
                                    // scores stay exact), not scored.
                                    if acc[g] == 0.0 {
                                        touched_acc.push(g as u32);
                                        acc[g] = -1.0;
                                    }
                                    continue;
                                }
                                let len = lengths.get(doc as usize).copied().unwrap_or(0);
                                let norm = c0 + b * len as f32 / field_avg;
                                if acc[g] == 0.0 {
                                    touched_acc.push(g as u32);
                                }
                                acc[g] += boost * tf as f32 / norm;
                            }
                        }
                    }
                    let df = known.unwrap_or(touched_acc.len() as u32);
                    let w = weight * idf(n, df as f32);
                    for &g in touched_acc.iter() {
                        let g = g as usize;
                        let tfw = acc[g];
                        acc[g] = 0.0;
                        if tfw < 0.0 {
                            continue;
                        }
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
        // A document outscoring everything the remaining groups can add is certain to rank
        // above every document not matched yet (margin for rounding).
        let beyond = rest[step] * 1.0001 + 1e-6;
        for &g in touched_best.iter() {
            let slot = g as usize;
            if total[slot] == 0.0 {
                touched_total.push(g);
                touched_bits[slot / 64] |= 1 << (slot % 64);
            }
            total[slot] += best[slot];
            best[slot] = 0.0;
            if admit && !counted[slot] && total[slot] > beyond && accept(g) {
                counted[slot] = true;
                touched_counted.push(g);
                certain += 1;
            }
        }
        touched_best.clear();
        if certain >= k && k > 0 {
            // On the step that stops admitting: every matched document, filtered; afterwards
            // only the ones still in the running (no other document gains a score).
            if admit {
                candidates.clear();
                if touched_total.len() * 512 > n_slots {
                    // Many matches (common words): the bits of the matched documents list them
                    // in order for less than sorting them (about 1,900 of 16,000 Python-docs
                    // sections: one word of bits per 64 documents instead of 11 comparisons
                    // per match).
                    for (w, &bits) in touched_bits[..n_slots.div_ceil(64)].iter().enumerate() {
                        let mut bits = bits;
                        while bits != 0 {
                            let g = w * 64 + bits.trailing_zeros() as usize;
                            bits &= bits - 1;
                            if total[g] != 0.0 {
                                candidates.push(g as u32);
                            }
                        }
                    }
                } else {
                    candidates.extend(touched_total.iter().filter(|&&g| total[g as usize] != 0.0));
                    candidates.sort_unstable();
                }
            }
            let first = admit;
            admit = false;
            // The k-th best score so far is a floor for the final k-th best (scores only
            // grow); a document that cannot reach it even with everything the remaining groups
            // could add is out of the running (its total is cleared, so nothing scores it again
            // and it is not returned).
            floor.clear();
            floor.extend(touched_counted.iter().map(|&g| total[g as usize]));
            let kth = if floor.len() >= k {
                let (_, kth, _) = floor.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
                *kth
            } else {
                0.0
            };
            let reach = rest[step] * 1.0001 + 1e-6;
            candidates.retain(|&g| {
                let t = &mut total[g as usize];
                if (*t + reach) * 1.0001 < kth || (first && !accept(g)) {
                    #[cfg(test)]
                    EVENTS.with(|e| e.set((e.get().0, e.get().1 + 1)));
                    *t = 0.0;
                    false
                } else {
                    true
                }
            });
        }
    }
    for &g in touched_counted.iter() {
        counted[g as usize] = false;
    }
    touched_counted.clear();
    let mut out = Vec::with_capacity(touched_total.len());
    for &g in touched_total.iter() {
        touched_bits[g as usize / 64] = 0;
        let s = total[g as usize];
        total[g as usize] = 0.0;
        if s > 0.0 && accept(g) {
            out.push((g, s));
        }
    }
    touched_total.clear();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bm25::query::TermGroup;
    use crate::bm25::segment::TextSegmentBuilder;
    use crate::text::Analyzer;

    /// A deterministic generator (64-bit LCG), so that failures reproduce.
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((self.0 >> 33) % n as u64) as usize
        }
        /// Zipf-like: small indexes (common words) far more often.
        fn word(&mut self, vocab: usize) -> usize {
            let r = self.below(vocab) + 1;
            self.below(r)
        }
    }

    fn text(rng: &mut Lcg, words: usize, vocab: usize) -> String {
        (0..words)
            .map(|_| format!("w{}", rng.word(vocab)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn segment(rng: &mut Lcg, docs: usize, vocab: usize) -> TextSegment {
        let a = Analyzer::english();
        let mut b = TextSegmentBuilder::new();
        for _ in 0..docs {
            let lengths = [
                1 + rng.below(5),
                rng.below(4),
                5 + rng.below(120),
                rng.below(3),
            ];
            let fields = lengths.map(|n| text(rng, n, vocab));
            b.add(&a, [&fields[0], &fields[1], &fields[2], &fields[3]]);
        }
        b.build()
    }

    fn ranked(mut hits: Vec<(u32, f32)>, k: usize) -> Vec<(u32, f32)> {
        hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        hits.truncate(k);
        hits
    }

    /// The pruned top k equals the exhaustive top k (same documents, same scores up to float
    /// rounding of another summation order), with deletions, a filter and alternatives.
    #[test]
    fn pruning_keeps_the_exact_top_k() {
        let mut rng = Lcg(0x5C27_B25F);
        let vocab = 600;
        let segs = [
            segment(&mut rng, 1500, vocab),
            segment(&mut rng, 700, vocab),
        ];
        // Deletions in the first segment only (a term there is counted by reading its
        // postings; one found only in the second segment has a known frequency and is looked
        // up), and the same segments without deletions (every term is looked up).
        let deleted: Vec<Vec<bool>> = vec![
            (0..segs[0].doc_count())
                .map(|_| rng.below(10) == 0)
                .collect(),
            vec![false; segs[1].doc_count() as usize],
        ];
        let clean: Vec<Vec<bool>> = segs
            .iter()
            .map(|s| vec![false; s.doc_count() as usize])
            .collect();
        fn scored_with<'a>(
            segs: &'a [TextSegment],
            deleted: &'a [Vec<bool>],
        ) -> Vec<ScoredSegment<'a>> {
            segs.iter()
                .zip(deleted)
                .scan(0u32, |base, (text, deleted)| {
                    let s = ScoredSegment {
                        text,
                        base: *base,
                        deleted,
                        deleted_count: deleted.iter().filter(|d| **d).count() as u32,
                    };
                    *base += text.doc_count();
                    Some(s)
                })
                .collect()
        }
        let (with_deletions, without) = (scored_with(&segs, &deleted), scored_with(&segs, &clean));
        let params = Bm25Params::default();
        let mut scratch = TextScratch::default();
        let mut pruned_any = 0;
        for q in 0..300 {
            let groups = (0..1 + rng.below(8))
                .map(|_| {
                    let mut alternatives = vec![(format!("w{}", rng.word(vocab)), 1.0)];
                    for _ in 0..rng.below(3) {
                        alternatives.push((format!("w{}", rng.word(vocab)), 0.3));
                    }
                    TermGroup { alternatives }
                })
                .collect();
            let query = TextQuery { groups };
            let scored = if q % 2 == 0 {
                &with_deletions
            } else {
                &without
            };
            let filtered = q % 3 == 0;
            let accept = |g: u32| !filtered || g % 4 != 1;
            let all = score(&query, scored, &params, &mut scratch, 0, accept);
            for k in [1, 3, 10, 50] {
                let got = score(&query, scored, &params, &mut scratch, k, accept);
                if got.len() < all.len() {
                    pruned_any += 1;
                }
                // Every `k` adds a document's contributions in the same order: the same
                // documents with the same scores, to the bit (ties broken by slot).
                let (want, got) = (ranked(all.clone(), k), ranked(got, k));
                assert_eq!(want, got, "query {q}, k {k}");
            }
        }
        // The pruning must actually happen on this data for the test to mean anything: new
        // documents stop being admitted, documents are dropped, and postings are looked up.
        assert!(
            pruned_any > 300,
            "pruned in only {pruned_any} of 1,200 searches"
        );
        let (lookups, dropped) = EVENTS.with(|e| e.get());
        assert!(
            lookups > 1000 && dropped > 1000,
            "{lookups} lookups, {dropped} documents dropped"
        );
    }
}
