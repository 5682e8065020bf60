//! Fusing the full-text and vector rankings into one.
//!
//! Three ways, chosen by `HybridParams::fusion`:
//! - reciprocal-rank fusion (Cormack et al. 2009): `Σ 1 / (rrf_k + rank)`;
//! - weighted sum of normalised scores (the default): BM25 divided by the query's best BM25
//!   score, cosine used as is (it is already on a fixed scale), `alpha · vector + (1 − alpha) ·
//!   text`, a document missed by one retriever getting that retriever's floor;
//! - adaptive: the weighted sum, with `alpha` moved per query towards the retriever that is more
//!   confident on this query (how far its best score stands above its runner-up pack).
//!
//! Chosen on the Node.js docs evaluation set (BENCHMARKS.md): RRF scores *below* BM25 alone
//! there (nDCG@10 0.854 vs 0.884), the weighted sum above both inputs (0.902), adaptive no
//! better (0.897).

use std::collections::HashMap;

use crate::error::{CoreError, Result};

/// How the two rankings are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Fusion {
    /// Reciprocal-rank fusion.
    Rrf,
    /// Fixed weighted sum of normalised scores.
    #[default]
    Weighted,
    /// Weighted sum with a per-query weight.
    Adaptive,
}

/// Parameters of hybrid search.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HybridParams {
    /// Fusion method. Default weighted.
    pub fusion: Fusion,
    /// RRF's rank constant. Default 60; valid `1.0..=1000.0`.
    pub rrf_k: f32,
    /// Weight of the vector score in the weighted sum (adaptive: its centre). Default 0.5;
    /// valid `0.0..=1.0`.
    pub alpha: f32,
    /// Candidates taken from each retriever before fusion. Default 100; valid `1..=1000`.
    pub candidates: usize,
}

impl Default for HybridParams {
    fn default() -> Self {
        Self {
            fusion: Fusion::Weighted,
            rrf_k: 60.0,
            alpha: 0.5,
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

/// Fuses two rankings (each sorted best first, `(slot, score)`), best first.
pub fn fuse(text: &[(u32, f32)], vector: &[(u32, f32)], params: &HybridParams) -> Vec<Fused> {
    let mut map: HashMap<u32, Fused> = HashMap::with_capacity(text.len() + vector.len());
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
    match params.fusion {
        Fusion::Rrf => {
            let rank = |list: &[(u32, f32)]| -> HashMap<u32, usize> {
                list.iter()
                    .enumerate()
                    .map(|(i, (s, _))| (*s, i + 1))
                    .collect()
            };
            let (tr, vr) = (rank(text), rank(vector));
            for f in map.values_mut() {
                f.score = tr
                    .get(&f.slot)
                    .map_or(0.0, |r| 1.0 / (params.rrf_k + *r as f32))
                    + vr.get(&f.slot)
                        .map_or(0.0, |r| 1.0 / (params.rrf_k + *r as f32));
            }
        }
        Fusion::Weighted | Fusion::Adaptive => {
            let max_text = text.first().map_or(1.0, |t| t.1).max(1e-9);
            let mut alpha = params.alpha;
            if params.fusion == Fusion::Adaptive && !text.is_empty() && !vector.is_empty() {
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
            // A document one retriever missed gets that retriever's floor: its last candidate's
            // score (it ranked below every candidate).
            let text_floor = text.last().map_or(0.0, |t| t.1) / max_text;
            let vec_floor = vector.last().map_or(0.0, |t| t.1);
            for f in map.values_mut() {
                let t = f.text.map_or(text_floor * 0.9, |s| s / max_text);
                let v = f.vector.map_or(vec_floor - 0.05, |s| s);
                f.score = alpha * v + (1.0 - alpha) * t;
            }
        }
    }
    let mut out: Vec<Fused> = map.into_values().collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.slot.cmp(&b.slot)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rrf_rewards_agreement() {
        let p = HybridParams {
            fusion: Fusion::Rrf,
            ..Default::default()
        };
        let text = [(1, 9.0), (2, 5.0), (3, 1.0)];
        let vec = [(2, 0.9), (4, 0.8), (3, 0.7)];
        let out = fuse(&text, &vec, &p);
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
        assert_eq!(fuse(&text, &vec, &all_text)[0].slot, 1);
        assert_eq!(fuse(&text, &vec, &all_vec)[0].slot, 2);
        // One side empty: the other decides.
        assert_eq!(fuse(&text, &[], &HybridParams::default())[0].slot, 1);
        assert_eq!(fuse(&[], &vec, &HybridParams::default())[0].slot, 2);
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
    }
}
