//! `scry eval-suggest`: the three metric families of the CroQS paper, measured for the initial
//! query, a human reference suggestion and scry's suggestions, over groups of a query's results
//! that a person named (module by module for the Node.js docs).
//!
//! For a group G of the initial top-N results and a query text t:
//! - *cluster specificity*: closed-set recall — the initial results re-ranked by t, the share
//!   of G in the first |G|;
//! - *representativeness*: average precision (cut at 100) and nDCG@10 of G in t's own ranking
//!   of the whole collection, and (with a model) the mean cosine of t to G's documents;
//! - *similarity to the query*: Jaccard of the analysed (stop-word-free, stemmed) terms, and
//!   (with a model) the cosine of the two embeddings.

use std::collections::{HashMap, HashSet};

use scry_core::{Embedder, Engine, Mode, SearchOptions, SuggestParams, Suggestion};

/// One evaluation query: groups of its results, each named and given a reference suggestion.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct SuggestCase {
    /// The (ambiguous) query.
    pub query: String,
    /// The groups a person sees in its results.
    pub groups: Vec<GroupSpec>,
}

/// A named group of results.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct GroupSpec {
    /// What a person calls the group.
    pub name: String,
    /// Result ids starting with one of these belong to the group (e.g. `"fs#"`).
    pub prefixes: Vec<String>,
    /// The human-written suggestion for the group.
    pub reference: String,
}

/// The metrics of one query text for one group.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Scores {
    /// Closed-set recall.
    pub closed_set_recall: f64,
    /// Average precision of the group in the text's top 100 over the collection.
    pub ap: f64,
    /// nDCG@10 with the group's documents relevant.
    pub ndcg10: f64,
    /// Mean cosine of the text's embedding to the group's documents (model only).
    pub group_cosine: Option<f64>,
    /// Jaccard of analysed terms with the original query.
    pub jaccard: f64,
    /// Cosine of the text's embedding to the original query's (model only).
    pub query_cosine: Option<f64>,
}

/// What was measured for one group.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GroupResult {
    /// The query.
    pub query: String,
    /// The group's name.
    pub group: String,
    /// Documents of the group among the initial results.
    pub size: usize,
    /// The initial query.
    pub initial: Scores,
    /// The human reference.
    pub reference: Scores,
    /// scry's suggestion for the group given (the benchmark's setting), if it made one.
    pub given: Option<(String, Scores)>,
    /// scry's own suggestion (its own clusters) that matches the group best, if any.
    pub found: Option<(String, Scores)>,
}

/// Mean scores and gains over groups, for one source of suggestions.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Summary {
    /// Groups averaged.
    pub groups: usize,
    /// Groups that got a suggestion from this source.
    pub suggested: usize,
    /// Mean scores (a group without a suggestion counts the initial query's).
    pub mean: Scores,
    /// Relative gain of closed-set recall over the initial query.
    pub csr_gain: f64,
    /// Relative gain of AP (the paper's mAP) over the initial query.
    pub map_gain: f64,
    /// Relative gain of nDCG@10 over the initial query.
    pub ndcg_gain: f64,
}

/// Result ids of `query` (k of them, at most the engine's limit), hybrid when a query vector is
/// given.
fn ranked(
    engine: &Engine,
    text: &str,
    vector: Option<&[f32]>,
    k: usize,
) -> Result<Vec<String>, scry_core::CoreError> {
    let opts = SearchOptions {
        k: k.min(scry_core::engine::MAX_K),
        mode: if vector.is_some() {
            Mode::Hybrid
        } else {
            Mode::Text
        },
        ..Default::default()
    };
    Ok(engine
        .search(text, vector, &opts)?
        .into_iter()
        .map(|h| h.id)
        .collect())
}

fn closed_set_recall(initial: &[String], ranking: &[String], group: &HashSet<&str>) -> f64 {
    let pos: HashMap<&str, usize> = ranking
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut order: Vec<&str> = initial.iter().map(String::as_str).collect();
    // Stable: results the text does not retrieve keep their initial order, after the others.
    order.sort_by_key(|id| pos.get(id).copied().unwrap_or(usize::MAX));
    let hits = order
        .iter()
        .take(group.len())
        .filter(|id| group.contains(*id))
        .count();
    hits as f64 / group.len().max(1) as f64
}

fn average_precision(ranking: &[String], group: &HashSet<&str>, cut: usize) -> f64 {
    let mut found = 0usize;
    let mut sum = 0.0;
    for (i, id) in ranking.iter().take(cut).enumerate() {
        if group.contains(id.as_str()) {
            found += 1;
            sum += found as f64 / (i + 1) as f64;
        }
    }
    sum / group.len().min(cut).max(1) as f64
}

fn ndcg(ranking: &[String], group: &HashSet<&str>, k: usize) -> f64 {
    let dcg: f64 = ranking
        .iter()
        .take(k)
        .enumerate()
        .filter(|(_, id)| group.contains(id.as_str()))
        .map(|(i, _)| 1.0 / ((i + 2) as f64).log2())
        .sum();
    let ideal: f64 = (0..group.len().min(k))
        .map(|i| 1.0 / ((i + 2) as f64).log2())
        .sum();
    if ideal > 0.0 { dcg / ideal } else { 0.0 }
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        f64::from(dot / (na * nb))
    }
}

fn terms(engine: &Engine, text: &str) -> HashSet<String> {
    engine
        .analyzer()
        .analyze(text)
        .into_iter()
        .filter(|t| !t.part)
        .map(|t| t.term)
        .collect()
}

/// Measures one query text against one group.
struct Scorer<'a> {
    engine: &'a Engine,
    embedder: Option<&'a mut dyn Embedder>,
    query: String,
    query_terms: HashSet<String>,
    query_vec: Option<Vec<f32>>,
    initial: Vec<String>,
    top_n: usize,
}

impl Scorer<'_> {
    fn embed(&mut self, text: &str) -> Result<Option<Vec<f32>>, scry_core::CoreError> {
        match self.embedder.as_mut() {
            Some(e) => Ok(e.embed(&[text])?.pop()),
            None => Ok(None),
        }
    }

    fn score(&mut self, text: &str, group: &HashSet<&str>) -> Result<Scores, scry_core::CoreError> {
        let vec = self.embed(text)?;
        let engine = self.engine;
        let wide = ranked(engine, text, vec.as_deref(), (self.top_n * 4).max(200))?;
        let group_cosine = match &vec {
            Some(v) => {
                let mut sum = 0.0;
                for id in group {
                    sum += engine
                        .document_vector_near(id, v)?
                        .map_or(0.0, |d| cosine(v, &d));
                }
                Some(sum / group.len().max(1) as f64)
            }
            None => None,
        };
        let t = terms(engine, text);
        let union = t.union(&self.query_terms).count().max(1);
        Ok(Scores {
            closed_set_recall: closed_set_recall(&self.initial, &wide, group),
            ap: average_precision(&wide, group, 100),
            ndcg10: ndcg(&wide, group, 10),
            group_cosine,
            jaccard: t.intersection(&self.query_terms).count() as f64 / union as f64,
            query_cosine: match (&vec, &self.query_vec) {
                (Some(a), Some(b)) => Some(cosine(a, b)),
                _ => None,
            },
        })
    }
}

/// Evaluates one case. Groups with fewer than `min_group` documents among the initial results
/// are skipped (returned in the second list, by name).
pub fn evaluate_case<'a>(
    engine: &'a Engine,
    mut embedder: Option<&'a mut dyn Embedder>,
    case: &SuggestCase,
    params: &SuggestParams,
    min_group: usize,
) -> Result<(Vec<GroupResult>, Vec<String>), scry_core::CoreError> {
    let query_vec = match embedder.as_mut() {
        Some(e) => e.embed(&[case.query.as_str()])?.pop(),
        None => None,
    };
    let initial = ranked(engine, &case.query, query_vec.as_deref(), params.top_n)?;
    let mut groups: Vec<(usize, Vec<String>)> = Vec::new();
    let mut skipped = Vec::new();
    for (i, g) in case.groups.iter().enumerate() {
        let members: Vec<String> = initial
            .iter()
            .filter(|id| g.prefixes.iter().any(|p| id.starts_with(p.as_str())))
            .cloned()
            .collect();
        if members.len() < min_group {
            skipped.push(format!("{} / {} ({})", case.query, g.name, members.len()));
        } else {
            groups.push((i, members));
        }
    }
    let sets: Vec<Vec<String>> = groups.iter().map(|(_, m)| m.clone()).collect();
    let given: Vec<Option<Suggestion>> = match embedder.as_mut() {
        Some(e) => engine.suggest_for_groups(&case.query, Some(&mut **e), &sets, params)?,
        None => engine.suggest_for_groups(&case.query, None, &sets, params)?,
    };
    let found: Vec<Suggestion> = match embedder.as_mut() {
        Some(e) => engine.suggest(&case.query, Some(&mut **e), params)?,
        None => engine.suggest(&case.query, None, params)?,
    };
    let mut scorer = Scorer {
        engine,
        embedder,
        query: case.query.clone(),
        query_terms: terms(engine, &case.query),
        query_vec,
        initial,
        top_n: params.top_n,
    };
    // scry's own clusters: each group is served by at most one suggestion and each suggestion
    // serves at most one group, matched greedily by the Jaccard overlap of their ids (≥ 1/3).
    let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
    for (g, (_, members)) in groups.iter().enumerate() {
        let group: HashSet<&str> = members.iter().map(String::as_str).collect();
        for (s, sug) in found.iter().enumerate() {
            let items: HashSet<&str> = sug.items.iter().map(String::as_str).collect();
            let inter = items.intersection(&group).count();
            let union = items.union(&group).count().max(1);
            let j = inter as f64 / union as f64;
            if j >= 1.0 / 3.0 {
                pairs.push((j, g, s));
            }
        }
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut served: Vec<Option<usize>> = vec![None; groups.len()];
    let mut used = vec![false; found.len()];
    for (_, g, s) in pairs {
        if served[g].is_none() && !used[s] {
            served[g] = Some(s);
            used[s] = true;
        }
    }
    let mut out = Vec::new();
    for (((i, members), given), served) in groups.iter().zip(given).zip(served) {
        let spec = &case.groups[*i];
        let group: HashSet<&str> = members.iter().map(String::as_str).collect();
        let query = scorer.query.clone();
        let initial = scorer.score(&query, &group)?;
        let reference = scorer.score(&spec.reference, &group)?;
        let given = match given {
            Some(s) => Some((s.query.clone(), scorer.score(&s.query, &group)?)),
            None => None,
        };
        let found = match served {
            Some(s) => Some((
                found[s].query.clone(),
                scorer.score(&found[s].query, &group)?,
            )),
            None => None,
        };
        out.push(GroupResult {
            query: case.query.clone(),
            group: spec.name.clone(),
            size: members.len(),
            initial,
            reference,
            given,
            found,
        });
    }
    Ok((out, skipped))
}

fn mean(scores: &[Scores]) -> Scores {
    let n = scores.len().max(1) as f64;
    let opt = |f: &dyn Fn(&Scores) -> Option<f64>| {
        scores
            .iter()
            .map(f)
            .collect::<Option<Vec<f64>>>()
            .map(|v| v.iter().sum::<f64>() / n)
    };
    Scores {
        closed_set_recall: scores.iter().map(|s| s.closed_set_recall).sum::<f64>() / n,
        ap: scores.iter().map(|s| s.ap).sum::<f64>() / n,
        ndcg10: scores.iter().map(|s| s.ndcg10).sum::<f64>() / n,
        group_cosine: opt(&|s| s.group_cosine),
        jaccard: scores.iter().map(|s| s.jaccard).sum::<f64>() / n,
        query_cosine: opt(&|s| s.query_cosine),
    }
}

fn gain(new: f64, old: f64) -> f64 {
    if old > 0.0 { new / old - 1.0 } else { 0.0 }
}

/// Summaries for the reference, scry given the groups, and scry on its own clusters (in that
/// order), against the initial query. Where a source made no suggestion for a group, the
/// group counts the initial query's scores.
pub fn summarize(results: &[GroupResult]) -> (Scores, [Summary; 3]) {
    let initial: Vec<Scores> = results.iter().map(|r| r.initial).collect();
    let base = mean(&initial);
    let pick = |f: &dyn Fn(&GroupResult) -> Option<Scores>| {
        let picked: Vec<Scores> = results.iter().map(|r| f(r).unwrap_or(r.initial)).collect();
        let m = mean(&picked);
        Summary {
            groups: results.len(),
            suggested: results.iter().filter(|r| f(r).is_some()).count(),
            mean: m,
            csr_gain: gain(m.closed_set_recall, base.closed_set_recall),
            map_gain: gain(m.ap, base.ap),
            ndcg_gain: gain(m.ndcg10, base.ndcg10),
        }
    };
    (
        base,
        [
            pick(&|r| Some(r.reference)),
            pick(&|r| r.given.as_ref().map(|g| g.1)),
            pick(&|r| r.found.as_ref().map(|g| g.1)),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ids: &[&'static str]) -> HashSet<&'static str> {
        ids.iter().copied().collect()
    }

    fn strings(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn closed_set_recall_reorders_the_initial_results() {
        let initial = strings(&["a", "b", "c", "d"]);
        let g = set(&["c", "d"]);
        assert_eq!(closed_set_recall(&initial, &initial, &g), 0.0);
        assert_eq!(
            closed_set_recall(&initial, &strings(&["d", "x", "c"]), &g),
            1.0
        );
        // Unretrieved results keep their order after the retrieved ones.
        assert_eq!(closed_set_recall(&initial, &strings(&["c"]), &g), 0.5);
    }

    #[test]
    fn average_precision_and_ndcg() {
        let g = set(&["a", "b"]);
        assert_eq!(average_precision(&strings(&["a", "b", "x"]), &g, 100), 1.0);
        assert!((average_precision(&strings(&["x", "a", "y", "b"]), &g, 100) - 0.5).abs() < 1e-12);
        assert_eq!(average_precision(&strings(&["x", "y"]), &g, 100), 0.0);
        assert_eq!(ndcg(&strings(&["a", "b"]), &g, 10), 1.0);
        assert!(ndcg(&strings(&["x", "a", "b"]), &g, 10) < 1.0);
    }

    #[test]
    fn gains_are_relative_and_missing_suggestions_count_the_query() {
        let s = |csr: f64| Scores {
            closed_set_recall: csr,
            ap: csr,
            ndcg10: csr,
            ..Default::default()
        };
        let r = |init: f64, given: Option<f64>| GroupResult {
            query: "q".into(),
            group: "g".into(),
            size: 3,
            initial: s(init),
            reference: s(1.0),
            given: given.map(|g| ("q x".into(), s(g))),
            found: None,
        };
        let (base, [reference, given, found]) = summarize(&[r(0.25, Some(0.75)), r(0.25, None)]);
        assert_eq!(base.closed_set_recall, 0.25);
        assert_eq!(reference.csr_gain, 3.0);
        assert_eq!(given.suggested, 1);
        assert!((given.csr_gain - 1.0).abs() < 1e-12); // (0.75 + 0.25) / 2 = 0.5 = 2 × 0.25
        assert_eq!(found.csr_gain, 0.0);
    }
}
