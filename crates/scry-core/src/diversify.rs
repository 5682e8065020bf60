//! Result diversity: maximal marginal relevance (Carbonell & Goldstein 1998) over a candidate
//! pool, so the top-k covers different groups instead of near-duplicates.

use crate::vector::distance::dot_f32;

/// Picks `k` of `candidates` (`(relevance, unit vector)`, best first) by MMR with trade-off
/// `lambda` (1 = relevance only, 0 = novelty only). Returns indices into `candidates`, in order.
pub fn mmr(candidates: &[(f32, &[f32])], k: usize, lambda: f32) -> Vec<usize> {
    if candidates.is_empty() || k == 0 {
        return Vec::new();
    }
    // Relevance scores on [0, 1] so that they are comparable with cosine similarities.
    let (lo, hi) = candidates.iter().fold((f32::MAX, f32::MIN), |(lo, hi), c| {
        (lo.min(c.0), hi.max(c.0))
    });
    let span = (hi - lo).max(1e-9);
    let rel: Vec<f32> = candidates.iter().map(|c| (c.0 - lo) / span).collect();
    let mut chosen: Vec<usize> = Vec::with_capacity(k);
    let mut max_sim = vec![f32::MIN; candidates.len()];
    let mut used = vec![false; candidates.len()];
    while chosen.len() < k.min(candidates.len()) {
        let mut best: Option<(usize, f32)> = None;
        for i in 0..candidates.len() {
            if used[i] {
                continue;
            }
            let novelty = if chosen.is_empty() { 0.0 } else { max_sim[i] };
            let score = lambda * rel[i] - (1.0 - lambda) * novelty;
            if best.is_none_or(|(_, b)| score > b) {
                best = Some((i, score));
            }
        }
        let Some((pick, _)) = best else { break };
        used[pick] = true;
        chosen.push(pick);
        for i in 0..candidates.len() {
            if !used[i] {
                max_sim[i] = max_sim[i].max(dot_f32(candidates[i].1, candidates[pick].1));
            }
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_duplicates_give_way_to_other_groups() {
        let a = [1.0f32, 0.0];
        let a2 = [0.999f32, 0.0447];
        let b = [0.0f32, 1.0];
        let cands: Vec<(f32, &[f32])> = vec![(1.0, &a), (0.99, &a2), (0.8, &b)];
        assert_eq!(mmr(&cands, 2, 1.0), [0, 1], "lambda 1 is plain ranking");
        assert_eq!(mmr(&cands, 2, 0.5), [0, 2], "the duplicate gives way");
        assert!(mmr(&[], 3, 0.5).is_empty());
    }
}
