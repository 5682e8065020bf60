//! Retrieval quality: nDCG@k, MRR@k and recall@k over judged queries.

use std::collections::HashSet;

/// One judged query.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct Judged {
    /// The query text.
    pub query: String,
    /// Ids of the relevant documents (binary relevance).
    pub relevant: Vec<String>,
}

/// Mean metrics over a query set.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Metrics {
    /// Mean nDCG@k (binary gains).
    pub ndcg: f64,
    /// Mean reciprocal rank of the first relevant hit within k.
    pub mrr: f64,
    /// Mean fraction of relevant documents within k.
    pub recall: f64,
    /// Number of queries.
    pub queries: usize,
}

/// Scores one ranking against its judgement.
pub fn score(ranked: &[String], relevant: &[String], k: usize) -> (f64, f64, f64) {
    let rel: HashSet<&str> = relevant.iter().map(String::as_str).collect();
    if rel.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    let top = &ranked[..ranked.len().min(k)];
    let dcg: f64 = top
        .iter()
        .enumerate()
        .filter(|(_, id)| rel.contains(id.as_str()))
        .map(|(i, _)| 1.0 / ((i + 2) as f64).log2())
        .sum();
    let idcg: f64 = (0..rel.len().min(k))
        .map(|i| 1.0 / ((i + 2) as f64).log2())
        .sum();
    let mrr = top
        .iter()
        .position(|id| rel.contains(id.as_str()))
        .map_or(0.0, |p| 1.0 / (p + 1) as f64);
    let found = top.iter().filter(|id| rel.contains(id.as_str())).count();
    (dcg / idcg, mrr, found as f64 / rel.len() as f64)
}

/// Averages per-query scores.
pub fn mean(scores: &[(f64, f64, f64)]) -> Metrics {
    let n = scores.len().max(1) as f64;
    Metrics {
        ndcg: scores.iter().map(|s| s.0).sum::<f64>() / n,
        mrr: scores.iter().map(|s| s.1).sum::<f64>() / n,
        recall: scores.iter().map(|s| s.2).sum::<f64>() / n,
        queries: scores.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn metrics_on_hand_computed_cases() {
        let (ndcg, mrr, recall) = score(&s(&["a", "b", "c"]), &s(&["a"]), 10);
        assert_eq!((ndcg, mrr, recall), (1.0, 1.0, 1.0));
        let (ndcg, mrr, recall) = score(&s(&["x", "a"]), &s(&["a", "b"]), 10);
        let idcg = 1.0 + 1.0 / 3f64.log2();
        assert!((ndcg - (1.0 / 3f64.log2()) / idcg).abs() < 1e-12);
        assert_eq!((mrr, recall), (0.5, 0.5));
        assert_eq!(score(&s(&["x"]), &s(&["a"]), 10), (0.0, 0.0, 0.0));
        assert_eq!(score(&s(&["x", "a"]), &s(&["a"]), 1), (0.0, 0.0, 0.0));
    }
}
