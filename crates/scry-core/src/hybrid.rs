//! Fusing the full-text and vector rankings into one.
//!
//! The default, [`Fusion::Coverage`], is a convex combination on absolute scales:
//! `alpha · cosine + (1 − alpha) · coverage²`, where coverage is the BM25 score divided by the
//! query's ceiling ([`crate::bm25::ceiling`]: what a document matching every query term the
//! index knows, each to saturation, would score). Cosine is already on a fixed scale; dividing
//! BM25 by the query's best score instead (the earlier default, [`Fusion::Weighted`]) puts a
//! weak lexical match at 1.0 and lets it outvote the vectors on paraphrased questions, where
//! BM25's best document shares only a few of the query's words. With the ceiling, a document
//! that matches most of the query's weight keeps a strong text vote (keyword and heading
//! queries: BM25 decides), one that matches a few words keeps little (questions: the vectors
//! decide); squaring sharpens that split. Missing from the text list counts 0, missing from
//! the vector list the last vector candidate's cosine less 0.05.
//!
//! The other variants (reciprocal-rank fusion, the max-normalised weighted sum, its adaptive
//! form, min-max, z-score and distribution-based normalisation) stay available; all were
//! measured on the same tuning sets (BENCHMARKS.md, "Ranking across query styles"), where
//! coverage with `alpha` 0.5 and power 2 had the best mean and worst-case difference from the
//! better input. Scores of the other variants are what they always were.

use std::collections::HashMap;

use crate::error::{CoreError, Result};

/// How the two rankings are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Fusion {
    /// Reciprocal-rank fusion: `Σ 1 / (rrf_k + rank)`.
    Rrf,
    /// `alpha · cosine + (1 − alpha) · BM25 / the query's best BM25` (the default before
    /// issue 25).
    Weighted,
    /// [`Fusion::Weighted`] with `alpha` moved per query towards the retriever whose best score
    /// stands further above its runners-up.
    Adaptive,
    /// Convex combination of both lists min-max normalised over their candidates (Weaviate's
    /// `relativeScoreFusion`, OpenSearch's `min_max`); a document missing from a list gets 0.
    MinMax,
    /// Convex combination of z-scores (each list's mean and standard deviation over its
    /// candidates); a document missing from a list gets that list's lowest z.
    ZScore,
    /// Distribution-based score fusion (Qdrant's DBSF): each list mapped linearly from
    /// `mean − 3σ .. mean + 3σ` to `0..1` (clamped), then a convex combination; missing → 0.
    Dbsf,
    /// Convex combination on absolute scales: cosine as is, BM25 as a fraction of the query's
    /// ceiling (what a document matching every query term that occurs in the index, each to
    /// saturation, would score), raised to `coverage_power`; a document missing from the text
    /// list gets 0, from the vector list the last candidate's cosine less 0.05. The default.
    #[default]
    Coverage,
}

impl Fusion {
    /// Every variant.
    pub const ALL: [Fusion; 7] = [
        Fusion::Rrf,
        Fusion::Weighted,
        Fusion::Adaptive,
        Fusion::MinMax,
        Fusion::ZScore,
        Fusion::Dbsf,
        Fusion::Coverage,
    ];

    /// The name used in settings (`rrf`, `weighted`, `minMax`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Fusion::Rrf => "rrf",
            Fusion::Weighted => "weighted",
            Fusion::Adaptive => "adaptive",
            Fusion::MinMax => "minMax",
            Fusion::ZScore => "zScore",
            Fusion::Dbsf => "dbsf",
            Fusion::Coverage => "coverage",
        }
    }
}

/// Parameters of hybrid search.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HybridParams {
    /// Fusion method. Default [`Fusion::Coverage`].
    pub fusion: Fusion,
    /// RRF's rank constant. Default 60; valid `1.0..=1000.0`.
    pub rrf_k: f32,
    /// Weight of the vector side in the score-based fusions (adaptive: its centre). Default
    /// 0.5; valid `0.0..=1.0`.
    pub alpha: f32,
    /// Exponent on the BM25 coverage of [`Fusion::Coverage`]. Default 2; valid `0.25..=4.0`.
    pub coverage_power: f32,
    /// Candidates taken from each retriever before fusion. Default 100; valid `1..=1000`.
    pub candidates: usize,
}

impl Default for HybridParams {
    fn default() -> Self {
        Self {
            fusion: Fusion::Coverage,
            rrf_k: 60.0,
            alpha: 0.5,
            coverage_power: 2.0,
            candidates: 100,
        }
    }
}

impl HybridParams {
    /// Checks the documented ranges.
    pub fn validate(self) -> Result<Self> {
        let bad = |name, reason: String| Err(CoreError::InvalidParameter { name, reason });
        if !(1.0..=1000.0).contains(&self.rrf_k) {
            return bad("rrfK", format!("{} is outside 1..=1000", self.rrf_k));
        }
        if !(0.0..=1.0).contains(&self.alpha) {
            return bad("alpha", format!("{} is outside 0..=1", self.alpha));
        }
        if !(0.25..=4.0).contains(&self.coverage_power) {
            return bad(
                "coveragePower",
                format!("{} is outside 0.25..=4", self.coverage_power),
            );
        }
        if !(1..=1000).contains(&self.candidates) {
            return bad(
                "candidates",
                format!("{} is outside 1..=1000", self.candidates),
            );
        }
        Ok(self)
    }
}

/// A fused candidate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fused {
    /// Global document slot.
    pub slot: u32,
    /// Fused score (higher is better).
    pub score: f32,
    /// BM25 score, if the text retriever found it.
    pub text: Option<f32>,
    /// Vector similarity, if the vector retriever found it.
    pub vector: Option<f32>,
}

/// How much a ranking's top stands out: best score relative to the mean of the next few, in
/// `[0, 1]` (0 = flat, 1 = one clear winner).
fn confidence(scores: &[f32]) -> f32 {
    let Some(&top) = scores.first() else {
        return 0.0;
    };
    let rest = &scores[1..scores.len().min(6)];
    if rest.is_empty() || top <= 0.0 {
        return if top > 0.0 { 1.0 } else { 0.0 };
    }
    let mean = rest.iter().sum::<f32>() / rest.len() as f32;
    ((top - mean) / top).clamp(0.0, 1.0)
}

/// Mean and standard deviation of a list's scores (σ = 1 when they are all equal).
fn moments(list: &[(u32, f32)]) -> (f32, f32) {
    let n = list.len().max(1) as f32;
    let mean = list.iter().map(|x| x.1).sum::<f32>() / n;
    let var = list.iter().map(|x| (x.1 - mean).powi(2)).sum::<f32>() / n;
    let sd = var.sqrt();
    (mean, if sd > 1e-9 { sd } else { 1.0 })
}

/// A list's normalisation for a score-based fusion: `(low, scale, missing)` such that a score
/// `s` becomes `(s − low) / scale` and a document not in the list `missing`.
fn normaliser(list: &[(u32, f32)], fusion: Fusion, ceiling: f32, is_text: bool) -> (f32, f32, f32) {
    let (Some(first), Some(last)) = (list.first(), list.last()) else {
        return (0.0, 1.0, 0.0);
    };
    let (max, min) = (first.1, last.1);
    match fusion {
        Fusion::MinMax => {
            let range = max - min;
            if range > 1e-9 {
                (min, range, 0.0)
            } else {
                // One score: every candidate is the best.
                (min - 1.0, 1.0, 0.0)
            }
        }
        Fusion::ZScore => {
            let (mean, sd) = moments(list);
            (mean, sd, (min - mean) / sd)
        }
        Fusion::Dbsf => {
            let (mean, sd) = moments(list);
            (mean - 3.0 * sd, 6.0 * sd, 0.0)
        }
        Fusion::Coverage if is_text => {
            let c = if ceiling > 0.0 { ceiling.max(max) } else { max };
            (0.0, c.max(1e-9), 0.0)
        }
        // Cosine as is (already on a fixed scale); the max-normalised BM25 of `Weighted` and
        // `Adaptive`, a missing document at the floors they always had.
        _ if !is_text => (0.0, 1.0, min - 0.05),
        _ => {
            let m = max.max(1e-9);
            (0.0, m, min / m * 0.9)
        }
    }
}

/// Fuses two rankings (each sorted best first, `(slot, score)`), best first. `text_ceiling` is
/// the most a document could score for the text query ([`crate::bm25::ceiling`]; only
/// [`Fusion::Coverage`] uses it; 0 when unknown, then the best text score stands in).
pub fn fuse(
    text: &[(u32, f32)],
    vector: &[(u32, f32)],
    params: &HybridParams,
    text_ceiling: f32,
) -> Vec<Fused> {
    fuse_with_tail(text, &[], vector, params, text_ceiling)
}

/// [`fuse`] with `tail`: full-text matches ranked after `text` (a search that counts its match
/// set scores every match, `text` being the usual candidates). A tail document the vector list
/// does not hold is scored as a text candidate would be, with `text`'s normalisation (for
/// reciprocal-rank fusion, its rank in the whole list), so it ranks below every candidate of
/// `text` and the fused ranking of `text` and `vector` is unchanged; one the vector list holds
/// is scored as [`fuse`] scores it (its text score unknown to the fusion).
pub fn fuse_with_tail(
    text: &[(u32, f32)],
    tail: &[(u32, f32)],
    vector: &[(u32, f32)],
    params: &HybridParams,
    text_ceiling: f32,
) -> Vec<Fused> {
    let mut out = fuse_unsorted(text, tail, vector, params, text_ceiling);
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.slot.cmp(&b.slot)));
    out
}

/// [`fuse_with_tail`] in no particular order (`tail` need not be sorted either), for a caller
/// that wants only the best few of many (a page of a counted search).
pub(crate) fn fuse_unsorted(
    text: &[(u32, f32)],
    tail: &[(u32, f32)],
    vector: &[(u32, f32)],
    params: &HybridParams,
    text_ceiling: f32,
) -> Vec<Fused> {
    let mut map: HashMap<u32, Fused> =
        HashMap::with_capacity(text.len() + tail.len() + vector.len());
    for &(slot, s) in text {
        map.entry(slot)
            .or_insert(Fused {
                slot,
                score: 0.0,
                text: None,
                vector: None,
            })
            .text = Some(s);
    }
    for &(slot, s) in vector {
        map.entry(slot)
            .or_insert(Fused {
                slot,
                score: 0.0,
                text: None,
                vector: None,
            })
            .vector = Some(s);
    }
    // Tail documents the vector list holds stay as `fuse` scores them.
    let mut tail: Vec<(u32, f32)> = tail
        .iter()
        .copied()
        .filter(|(slot, _)| !map.contains_key(slot))
        .collect();
    if params.fusion == Fusion::Rrf {
        // Ranks need the tail's order.
        tail.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    }
    for &(slot, s) in &tail {
        map.insert(
            slot,
            Fused {
                slot,
                score: 0.0,
                text: Some(s),
                vector: None,
            },
        );
    }
    match params.fusion {
        Fusion::Rrf => {
            let rank = |list: &[(u32, f32)]| -> HashMap<u32, usize> {
                list.iter()
                    .enumerate()
                    .map(|(i, (s, _))| (*s, i + 1))
                    .collect()
            };
            let (mut tr, vr) = (rank(text), rank(vector));
            // Below every candidate of `text` (the ranks of the documents left out of the tail
            // are skipped: the same rank a document has in the whole list, or a later one).
            tr.extend(
                tail.iter()
                    .enumerate()
                    .map(|(i, (s, _))| (*s, text.len() + i + 1)),
            );
            for f in map.values_mut() {
                f.score = tr
                    .get(&f.slot)
                    .map_or(0.0, |r| 1.0 / (params.rrf_k + *r as f32))
                    + vr.get(&f.slot)
                        .map_or(0.0, |r| 1.0 / (params.rrf_k + *r as f32));
            }
        }
        fusion => {
            let mut alpha = params.alpha;
            if fusion == Fusion::Adaptive && !text.is_empty() && !vector.is_empty() {
                let ts: Vec<f32> = text.iter().map(|t| t.1).collect();
                let vs: Vec<f32> = vector.iter().map(|t| t.1).collect();
                // Shift alpha by the difference in confidence, at most ±0.3.
                let shift = 0.3 * (confidence(&vs) * 4.0 - confidence(&ts)).clamp(-1.0, 1.0);
                alpha = (alpha + shift).clamp(0.1, 0.9);
            }
            if text.is_empty() {
                alpha = 1.0;
            } else if vector.is_empty() {
                alpha = 0.0;
            }
            let (t_low, t_scale, t_missing) = normaliser(text, fusion, text_ceiling, true);
            let (v_low, v_scale, v_missing) = normaliser(vector, fusion, text_ceiling, false);
            let norm = |s: f32, low: f32, scale: f32| {
                let x = (s - low) / scale;
                if fusion == Fusion::Dbsf {
                    x.clamp(0.0, 1.0)
                } else {
                    x
                }
            };
            let power = params.coverage_power;
            for f in map.values_mut() {
                let mut t = f.text.map_or(t_missing, |s| norm(s, t_low, t_scale));
                if fusion == Fusion::Coverage && power != 1.0 {
                    t = t.max(0.0).powf(power);
                }
                let v = f.vector.map_or(v_missing, |s| norm(s, v_low, v_scale));
                f.score = alpha * v + (1.0 - alpha) * t;
            }
        }
    }
    map.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tail_keeps_the_candidates_ranking_for_every_fusion() {
        // 30 text candidates, 20 tail matches (one also a vector candidate), 25 vector ones.
        let text: Vec<(u32, f32)> = (0..30).map(|i| (i, 20.0 - i as f32 * 0.5)).collect();
        let tail: Vec<(u32, f32)> = (30..50).map(|i| (i, 5.0 - (i - 30) as f32 * 0.2)).collect();
        let vector: Vec<(u32, f32)> = (0..25)
            .map(|i| ((i * 7 + 3) % 60, 0.9 - i as f32 * 0.02))
            .collect();
        for fusion in Fusion::ALL {
            let p = HybridParams {
                fusion,
                ..Default::default()
            };
            let head = fuse(&text, &vector, &p, 30.0);
            let all = fuse_with_tail(&text, &tail, &vector, &p, 30.0);
            // Every text candidate ranks above every tail document: the first `text.len()`
            // places are the same, and the candidates keep their order after them.
            assert_eq!(&all[..text.len()], &head[..text.len()], "{fusion:?}");
            let in_head = |slot: u32| head.iter().any(|f| f.slot == slot);
            let kept: Vec<&Fused> = all.iter().filter(|f| in_head(f.slot)).collect();
            assert_eq!(kept, head.iter().collect::<Vec<_>>(), "{fusion:?}");
            let extra: Vec<u32> = all
                .iter()
                .map(|f| f.slot)
                .filter(|&s| !in_head(s))
                .collect();
            let want: Vec<u32> = (30..50).filter(|&s| !in_head(s)).collect();
            assert_eq!(extra, want, "{fusion:?}: the tail in text order");
        }
    }

    #[test]
    fn rrf_rewards_agreement() {
        let p = HybridParams {
            fusion: Fusion::Rrf,
            ..Default::default()
        };
        let text = [(1, 9.0), (2, 5.0), (3, 1.0)];
        let vec = [(2, 0.9), (4, 0.8), (3, 0.7)];
        let out = fuse(&text, &vec, &p, 0.0);
        assert_eq!(out[0].slot, 2, "ranked high by both");
        assert_eq!(out.len(), 4);
        assert_eq!(out[0].text, Some(5.0));
        assert_eq!(out[0].vector, Some(0.9));
    }

    #[test]
    fn weighted_sum_respects_alpha_extremes() {
        let text = [(1, 9.0), (2, 5.0)];
        let vec = [(2, 0.9), (1, 0.1)];
        let all_text = HybridParams {
            fusion: Fusion::Weighted,
            alpha: 0.0,
            ..Default::default()
        };
        let all_vec = HybridParams {
            fusion: Fusion::Weighted,
            alpha: 1.0,
            ..Default::default()
        };
        assert_eq!(fuse(&text, &vec, &all_text, 0.0)[0].slot, 1);
        assert_eq!(fuse(&text, &vec, &all_vec, 0.0)[0].slot, 2);
        // One side empty: the other decides.
        assert_eq!(fuse(&text, &[], &HybridParams::default(), 0.0)[0].slot, 1);
        assert_eq!(fuse(&[], &vec, &HybridParams::default(), 0.0)[0].slot, 2);
    }

    fn ranked(text: &[(u32, f32)], vec: &[(u32, f32)], p: &HybridParams, ceiling: f32) -> Vec<u32> {
        fuse(text, vec, p, ceiling).iter().map(|f| f.slot).collect()
    }

    #[test]
    fn coverage_lets_a_full_lexical_match_win_and_a_partial_one_yield() {
        let p = HybridParams::default();
        assert_eq!(p.fusion, Fusion::Coverage);
        // Document 1: the text list's best; document 2: the vector list's best.
        let text = [(1, 8.0), (2, 2.0)];
        let vec = [(2, 0.62), (1, 0.55)];
        // The best text match has nearly all the query's weight (8 of 9): text decides.
        assert_eq!(ranked(&text, &vec, &p, 9.0), [1, 2]);
        // It has a fifth of it (8 of 40): 0.5 · 0.55 + 0.5 · 0.2² = 0.295 < 0.5 · 0.62 + 0.5 ·
        // 0.05² ≈ 0.311: the vectors decide.
        assert_eq!(ranked(&text, &vec, &p, 40.0), [2, 1]);
        // Unknown ceiling: the best text score stands in (like the weighted sum).
        assert_eq!(ranked(&text, &vec, &p, 0.0), [1, 2]);
        // Missing from the text list: 0; missing from the vector list: last cosine − 0.05.
        let out = fuse(&[(3, 9.0)], &[(4, 0.5)], &p, 9.0);
        let score = |slot| {
            out.iter()
                .find(|f| f.slot == slot)
                .map_or(-1.0, |f| f.score)
        };
        assert!(
            (score(3) - (0.5 * 0.45 + 0.5 * 1.0)).abs() < 1e-6,
            "{out:?}"
        );
        assert!((score(4) - 0.5 * 0.5).abs() < 1e-6, "{out:?}");
    }

    #[test]
    fn normalising_fusions_put_both_lists_on_one_scale() {
        let text = [(1, 30.0), (2, 20.0), (3, 10.0)];
        let vec = [(3, 0.9), (2, 0.8), (1, 0.7)];
        for fusion in [Fusion::MinMax, Fusion::ZScore, Fusion::Dbsf] {
            let p = HybridParams {
                fusion,
                ..Default::default()
            };
            // Mirror-image lists with equal weights: every document scores the same.
            let out = fuse(&text, &vec, &p, 0.0);
            assert_eq!(out.len(), 3);
            for f in &out {
                assert!((f.score - out[0].score).abs() < 1e-5, "{fusion:?}: {out:?}");
            }
            // Weighted towards one side, that side's order wins.
            let towards_text = HybridParams { alpha: 0.2, ..p };
            assert_eq!(
                ranked(&text, &vec, &towards_text, 0.0),
                [1, 2, 3],
                "{fusion:?}"
            );
            let towards_vec = HybridParams { alpha: 0.8, ..p };
            assert_eq!(
                ranked(&text, &vec, &towards_vec, 0.0),
                [3, 2, 1],
                "{fusion:?}"
            );
        }
        // Min-max: the ends map to 0 and 1; a document missing from a list gets 0.
        let p = HybridParams {
            fusion: Fusion::MinMax,
            alpha: 0.0,
            ..Default::default()
        };
        let out = fuse(&text, &[(9, 0.5)], &p, 0.0);
        let score = |slot| out.iter().find(|f| f.slot == slot).map(|f| f.score);
        assert_eq!(
            (score(1), score(3), score(9)),
            (Some(1.0), Some(0.0), Some(0.0))
        );
        // Every variant names itself and appears once in ALL.
        for f in Fusion::ALL {
            let json = serde_json::to_string(&f).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", f.name()));
        }
    }

    #[test]
    fn invalid_params_are_rejected() {
        assert!(
            HybridParams {
                alpha: 1.5,
                ..Default::default()
            }
            .validate()
            .is_err()
        );
        assert!(
            HybridParams {
                candidates: 0,
                ..Default::default()
            }
            .validate()
            .is_err()
        );
        assert!(
            HybridParams {
                rrf_k: 0.0,
                ..Default::default()
            }
            .validate()
            .is_err()
        );
        assert!(
            HybridParams {
                coverage_power: 0.0,
                ..Default::default()
            }
            .validate()
            .is_err()
        );
    }
}
