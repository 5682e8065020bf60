//! Query suggestions in the manner of CroQS ("Maybe you are looking for…"): cluster the top
//! results of a query, and for each cluster find the smallest change of the query — the query
//! plus one or two words that set the cluster apart — that retrieves that cluster.
//!
//! Candidates are scored on the paper's three criteria, with the engine's own retrievers:
//! *cluster specificity* (closed-set recall: the initial results re-ranked by the candidate,
//! recall of the cluster in the top |cluster|), *representativeness* (average precision of the
//! cluster's documents in the candidate's own top results over the whole collection), and
//! *similarity to the query* (Jaccard over analysed terms). A cluster whose best candidate
//! does not beat the original query on specificity gets no suggestion.

use std::collections::{HashMap, HashSet};

use crate::embed::Embedder;
use crate::engine::{Engine, Hit, MAX_QUERY_BYTES, Mode, Scratch, SearchOptions};
use crate::error::{Result, check_range};
use crate::vector::Metric;
use crate::vector::distance::dot_f32;
use crate::vector::flat::{kmeans_assign, kmeans_update};
use crate::vector::quantize::normalize;
use crate::vector::synthetic::Rng;

/// Suggestion parameters.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SuggestParams {
    /// Results of the query that are clustered. Default 100; range 4..=1000.
    pub top_n: usize,
    /// Most clusters (k is chosen by silhouette in 2..=this). Default 8; range 2..=12.
    pub max_clusters: usize,
    /// Smallest cluster that gets a suggestion. Default 3; range 1..=100.
    pub min_cluster: usize,
    /// Distinguishing words tried per cluster. Default 6; range 1..=20.
    pub terms_per_cluster: usize,
    /// Embed every candidate to score it (a model run per candidate: slow in browsers) instead
    /// of reusing the query's embedding. Default false.
    pub embed_candidates: bool,
}

impl Default for SuggestParams {
    fn default() -> Self {
        Self {
            top_n: 100,
            max_clusters: 8,
            min_cluster: 3,
            terms_per_cluster: 6,
            embed_candidates: false,
        }
    }
}

impl SuggestParams {
    fn validate(self) -> Result<Self> {
        check_range("topN", self.top_n, 4, 1000)?;
        check_range("maxClusters", self.max_clusters, 2, 12)?;
        check_range("minCluster", self.min_cluster, 1, 100)?;
        check_range("termsPerCluster", self.terms_per_cluster, 1, 20)?;
        Ok(self)
    }
}

/// How much more a word of a title or heading counts than a word of a body.
const TITLE_WEIGHT: usize = 3;

/// One "Maybe you are looking for…" entry.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Suggestion {
    /// The suggested query (the original plus the added words).
    pub query: String,
    /// The words added to the original query.
    pub added: Vec<String>,
    /// Ids of the cluster's documents, in the original result order.
    pub items: Vec<String>,
    /// Closed-set recall of the cluster for the suggestion.
    pub specificity: f32,
    /// The same for the original query (what the suggestion improves on).
    pub baseline_specificity: f32,
    /// Average precision of the cluster in the suggestion's own top results.
    pub representativeness: f32,
    /// Jaccard similarity of the suggestion's terms to the query's.
    pub similarity: f32,
}

/// Cosine k-means with k-means++ seeding (seeded, so deterministic), k chosen by the mean
/// silhouette in `2..=max_k`. `points` are unit vectors; returns a cluster per point.
pub fn cluster(points: &[Vec<f32>], max_k: usize, seed: u64) -> Vec<u32> {
    let n = points.len();
    if n < 4 {
        return vec![0; n];
    }
    let dims = points[0].len();
    let flat: Vec<f32> = points.iter().flatten().copied().collect();
    let mut dist = vec![0f32; n * n];
    for i in 0..n {
        for j in i + 1..n {
            let d = 1.0 - dot_f32(&points[i], &points[j]);
            dist[i * n + j] = d;
            dist[j * n + i] = d;
        }
    }
    let mut best: (f32, Vec<u32>) = (f32::MIN, vec![0; n]);
    for k in 2..=max_k.min(n / 2) {
        let mut rng = Rng::new(seed ^ k as u64);
        // k-means++: the top result first, then points far from the chosen ones.
        let mut centroids: Vec<f32> = points[0].clone();
        let mut far = vec![f32::MAX; n];
        while centroids.len() < k * dims {
            let last = &centroids[centroids.len() - dims..];
            for (i, p) in points.iter().enumerate() {
                far[i] = far[i].min((1.0 - dot_f32(p, last)).max(0.0));
            }
            let total: f32 = far.iter().map(|d| d * d).sum();
            let mut pick = rng.unit() * total;
            let mut chosen = n - 1;
            for (i, d) in far.iter().enumerate() {
                pick -= d * d;
                if pick <= 0.0 {
                    chosen = i;
                    break;
                }
            }
            centroids.extend_from_slice(&points[chosen]);
        }
        let mut labels: Vec<u32> = Vec::new();
        for _ in 0..20 {
            let next: Vec<u32> = kmeans_assign(&flat, &centroids, dims, Metric::Cosine)
                .iter()
                .map(|a| a.0)
                .collect();
            if next == labels {
                break;
            }
            labels = next;
            kmeans_update(&flat, &labels, &mut centroids, dims, true);
        }
        let s = silhouette(&dist, &labels, k);
        if s > best.0 {
            best = (s, labels);
        }
    }
    best.1
}

/// Mean silhouette; `dist` is the n × n matrix of cosine distances.
fn silhouette(dist: &[f32], labels: &[u32], k: usize) -> f32 {
    let n = labels.len();
    let mut total = 0.0;
    let mut sum = vec![0f32; k];
    let mut count = vec![0usize; k];
    for i in 0..n {
        sum.fill(0.0);
        count.fill(0);
        for j in 0..n {
            if i != j {
                let c = labels[j] as usize;
                sum[c] += dist[i * n + j];
                count[c] += 1;
            }
        }
        let own = labels[i] as usize;
        if count[own] == 0 {
            continue; // a singleton scores 0
        }
        let a = sum[own] / count[own] as f32;
        let b = (0..k)
            .filter(|&c| c != own && count[c] > 0)
            .map(|c| sum[c] / count[c] as f32)
            .fold(f32::MAX, f32::min);
        if b < f32::MAX {
            total += (b - a) / a.max(b).max(1e-9);
        }
    }
    total / n as f32
}

/// Recall of `cluster` within the first |cluster| of `order`.
fn closed_set_recall(order: &[&str], cluster: &HashSet<&str>) -> f32 {
    if cluster.is_empty() {
        return 0.0;
    }
    let hits = order
        .iter()
        .take(cluster.len())
        .filter(|id| cluster.contains(*id))
        .count();
    hits as f32 / cluster.len() as f32
}

/// Average precision of `cluster` in `ranked`, normalised by min(|cluster|, |ranked|).
fn average_precision(ranked: &[String], cluster: &HashSet<&str>) -> f32 {
    let mut found = 0usize;
    let mut sum = 0.0;
    for (i, id) in ranked.iter().enumerate() {
        if cluster.contains(id.as_str()) {
            found += 1;
            sum += found as f32 / (i + 1) as f32;
        }
    }
    let denom = cluster.len().min(ranked.len()).max(1);
    sum / denom as f32
}

/// The analysed words of `text` (stemmed, stop words dropped; identifier parts left out).
fn word_set(analyzer: &crate::text::Analyzer, text: &str) -> HashSet<String> {
    analyzer
        .analyze(text)
        .into_iter()
        .filter(|t| !t.part)
        .map(|t| t.term)
        .collect()
}

fn jaccard(a: &HashSet<String>, b: &HashSet<String>) -> f32 {
    let union = a.union(b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(b).count() as f32 / union as f32
}

/// A query's initial results, prepared for suggesting.
struct Initial {
    hits: Vec<Hit>,
    opts: SearchOptions,
    /// The query's embedding: vectors are in use exactly when it is there.
    vector: Option<Vec<f32>>,
}

impl Engine {
    /// Suggestions for `query`: its top results clustered, one refined query per cluster (see
    /// the module documentation). With an `embedder` the results are hybrid and the clusters
    /// come from passage vectors; without, from hashed word vectors of the documents.
    pub fn suggest(
        &self,
        query: &str,
        mut embedder: Option<&mut dyn Embedder>,
        params: &SuggestParams,
    ) -> Result<Vec<Suggestion>> {
        let params = params.validate()?;
        let initial = self.initial_results(query, &mut embedder, &params)?;
        if initial.hits.len() < 2 * params.min_cluster.max(2) {
            return Ok(Vec::new());
        }
        // Clusters come from the documents' vectors: a static index loads them first.
        self.need_vectors()?;
        // Prepared once: every document's closest passage is measured against it.
        let vquery = initial
            .vector
            .as_deref()
            .map(|v| self.vector_query(v))
            .transpose()?;
        let vectors: Vec<Vec<f32>> = initial
            .hits
            .iter()
            .map(|h| {
                let mut v = self.document_vector(&h.id, vquery.as_ref());
                normalize(&mut v);
                v
            })
            .collect();
        let labels = cluster(&vectors, params.max_clusters, 0x5EED);
        let k = labels.iter().copied().max().map_or(0, |m| m as usize + 1);
        let groups: Vec<Vec<usize>> = (0..k)
            .map(|c| {
                (0..initial.hits.len())
                    .filter(|&i| labels[i] as usize == c)
                    .collect()
            })
            .collect();
        let mut out: Vec<Suggestion> = Vec::new();
        for s in self
            .suggest_groups(query, &initial, &groups, &mut embedder, &params)?
            .into_iter()
            .flatten()
        {
            if !out.iter().any(|o| o.query == s.query) {
                out.push(s);
            }
        }
        out.sort_by(|a, b| {
            b.items
                .len()
                .cmp(&a.items.len())
                .then(a.query.cmp(&b.query))
        });
        Ok(out)
    }

    /// The best suggestion for each of the given groups of `query`'s results (ids; those not
    /// among the query's top `params.top_n` results are ignored), or `None` where no candidate
    /// beats the query itself on specificity. This is the setting of the CroQS benchmark, where
    /// the clusters are given; `suggest` finds them itself.
    pub fn suggest_for_groups(
        &self,
        query: &str,
        mut embedder: Option<&mut dyn Embedder>,
        groups: &[Vec<String>],
        params: &SuggestParams,
    ) -> Result<Vec<Option<Suggestion>>> {
        let params = params.validate()?;
        let initial = self.initial_results(query, &mut embedder, &params)?;
        let index: HashMap<&str, usize> = initial
            .hits
            .iter()
            .enumerate()
            .map(|(i, h)| (h.id.as_str(), i))
            .collect();
        let groups: Vec<Vec<usize>> = groups
            .iter()
            .map(|g| {
                let mut members: Vec<usize> = g
                    .iter()
                    .filter_map(|id| index.get(id.as_str()).copied())
                    .collect();
                members.sort_unstable();
                members.dedup();
                members
            })
            .collect();
        self.suggest_groups(query, &initial, &groups, &mut embedder, &params)
    }

    /// The query's top results (hybrid when an embedder and vectors exist) and its vector.
    fn initial_results(
        &self,
        query: &str,
        embedder: &mut Option<&mut dyn Embedder>,
        params: &SuggestParams,
    ) -> Result<Initial> {
        let use_vectors = embedder.is_some() && self.vector_count() > 0;
        let mode = if use_vectors {
            Mode::Hybrid
        } else {
            Mode::Text
        };
        let qvec = match (embedder, use_vectors) {
            (Some(e), true) => {
                self.check_model(e.model())?;
                e.embed(&[query])?.pop()
            }
            _ => None,
        };
        let opts = SearchOptions {
            k: params.top_n,
            mode,
            ..Default::default()
        };
        let hits = self.search(query, qvec.as_deref(), &opts)?;
        Ok(Initial {
            hits,
            opts,
            vector: qvec,
        })
    }

    /// Candidates for each group (indices into the initial results), scored; the best per
    /// group if it beats the query on specificity.
    fn suggest_groups(
        &self,
        query: &str,
        initial: &Initial,
        groups: &[Vec<usize>],
        embedder: &mut Option<&mut dyn Embedder>,
        params: &SuggestParams,
    ) -> Result<Vec<Option<Suggestion>>> {
        let hits = &initial.hits;
        let opts = &initial.opts;
        // Terms of each result: stem → weight (a word of a title, heading or tag counts
        // `TITLE_WEIGHT` times), and the commonest surface form of each stem. Only words of a
        // title, heading or tag are offered (body words alone are too often filler: "may",
        // "const"). Image collections name their items by titles and tags.
        let analyzer = self.analyzer();
        let query_terms: HashSet<String> = analyzer
            .analyze(query)
            .into_iter()
            .map(|t| t.term)
            .collect();
        // Jaccard compares words, not the parts of identifiers.
        let query_words = word_set(analyzer, query);
        let mut surface: HashMap<String, HashMap<String, usize>> = HashMap::new();
        let mut titled: HashSet<String> = HashSet::new();
        let doc_terms: Vec<HashMap<String, usize>> = hits
            .iter()
            .map(|h| {
                let (head, body) = self.document_fields(&h.id);
                let mut counts: HashMap<String, usize> = HashMap::new();
                for (text, weight, is_head) in [(&head, TITLE_WEIGHT, true), (&body, 1, false)] {
                    for t in analyzer.analyze(text) {
                        if t.part || query_terms.contains(&t.term) || t.term.len() < 3 {
                            continue;
                        }
                        let word = text[t.start..t.end].to_lowercase();
                        if word.chars().any(|c| !c.is_alphanumeric()) {
                            continue;
                        }
                        *surface
                            .entry(t.term.clone())
                            .or_default()
                            .entry(word)
                            .or_default() += 1;
                        if is_head {
                            titled.insert(t.term.clone());
                        }
                        *counts.entry(t.term).or_default() += weight;
                    }
                }
                counts
            })
            .collect();

        // Candidates per cluster from log-odds with an informative Dirichlet prior (Monroe,
        // Colaresi & Quinn 2008): cluster against the rest of the results.
        let mut all: HashMap<&str, f32> = HashMap::new();
        for d in &doc_terms {
            for (t, c) in d {
                *all.entry(t.as_str()).or_default() += *c as f32;
            }
        }
        let all_total: f32 = all.values().sum();
        // (group, items, added words)
        let mut plans: Vec<(usize, Vec<String>, Vec<Vec<String>>)> = Vec::new();
        for (g, members) in groups.iter().enumerate() {
            if members.len() < params.min_cluster || members.len() == hits.len() {
                continue;
            }
            let mut inside: HashMap<&str, f32> = HashMap::new();
            let mut doc_freq: HashMap<&str, usize> = HashMap::new();
            for &i in members {
                for (t, n) in &doc_terms[i] {
                    *inside.entry(t.as_str()).or_default() += *n as f32;
                    *doc_freq.entry(t.as_str()).or_default() += 1;
                }
            }
            let in_total: f32 = inside.values().sum();
            let out_total = all_total - in_total;
            let prior = 0.01 * all_total;
            let mut scored: Vec<(f32, &str)> = inside
                .iter()
                // A word of one member is no property of the cluster.
                .filter(|(t, _)| doc_freq[*t] * 4 >= members.len().max(2) && titled.contains(**t))
                .map(|(t, &yi)| {
                    let a = prior * all[t] / all_total;
                    let yj = all[t] - yi;
                    let d = ((yi + a) / (in_total + prior - yi - a)).ln()
                        - ((yj + a) / (out_total + prior - yj - a).max(1e-6)).ln();
                    let var = 1.0 / (yi + a) + 1.0 / (yj + a);
                    (d / var.sqrt(), *t)
                })
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
            let words: Vec<String> = scored
                .iter()
                .take(params.terms_per_cluster)
                .filter_map(|(_, t)| {
                    surface.get(*t).and_then(|forms| {
                        forms
                            .iter()
                            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                            .map(|(w, _)| w.clone())
                    })
                })
                .collect();
            let mut added: Vec<Vec<String>> = words.iter().map(|w| vec![w.clone()]).collect();
            if words.len() >= 2 {
                added.push(vec![words[0].clone(), words[1].clone()]);
            }
            // A query near the length limit leaves no room for more words.
            added.retain(|a| {
                query.len() + a.iter().map(|w| w.len() + 1).sum::<usize>() <= MAX_QUERY_BYTES
            });
            let items = members.iter().map(|&i| hits[i].id.clone()).collect();
            plans.push((g, items, added));
        }

        // Score every candidate (embedded in one batch when vectors are in use).
        let candidates: Vec<String> = plans
            .iter()
            .flat_map(|(_, _, added)| added.iter().map(|a| format!("{query} {}", a.join(" "))))
            .collect();
        // A static index loads every candidate's postings in one go (not one candidate a round).
        self.need_postings_of(&candidates)?;
        let cvecs: Vec<Option<Vec<f32>>> =
            match (embedder, initial.vector.is_some() && !candidates.is_empty()) {
                (Some(e), true) if params.embed_candidates => {
                    let texts: Vec<&str> = candidates.iter().map(String::as_str).collect();
                    e.embed(&texts)?.into_iter().map(Some).collect()
                }
                // Adding a word or two barely moves a query's embedding: the candidates share
                // the query's (no model run per candidate); their words rank through BM25.
                _ => vec![initial.vector.clone(); candidates.len()],
            };
        let initial_ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
        let mut scratch = Scratch::default();
        // Candidates that share the query's vector share its vector candidates too.
        let mut shared_vector_hits = None;
        let mut out: Vec<Option<Suggestion>> = vec![None; groups.len()];
        let mut next = 0;
        for (g, items, added) in &plans {
            let cluster_ids: HashSet<&str> = items.iter().map(String::as_str).collect();
            let baseline = closed_set_recall(&initial_ids, &cluster_ids);
            let mut best: Option<(f32, Suggestion)> = None;
            for words in added {
                let text = &candidates[next];
                let cvec = cvecs[next].as_deref();
                next += 1;
                let mut own_vector_hits = None;
                let reuse = if params.embed_candidates {
                    &mut own_vector_hits
                } else {
                    &mut shared_vector_hits
                };
                let ranked = self.search_ids(&mut scratch, text, cvec, opts, reuse)?;
                // Closed set: the initial results in the candidate's order, unseen ones last.
                let pos: HashMap<&str, usize> = ranked
                    .iter()
                    .enumerate()
                    .map(|(i, id)| (id.as_str(), i))
                    .collect();
                let mut order = initial_ids.clone();
                order.sort_by_key(|id| pos.get(id).copied().unwrap_or(usize::MAX));
                let specificity = closed_set_recall(&order, &cluster_ids);
                let top10 = &ranked[..ranked.len().min(10)];
                let representativeness = average_precision(top10, &cluster_ids);
                let similarity = jaccard(&word_set(analyzer, text), &query_words);
                let score = 0.5 * specificity + 0.3 * representativeness + 0.2 * similarity;
                if specificity > baseline && best.as_ref().is_none_or(|b| score > b.0) {
                    best = Some((
                        score,
                        Suggestion {
                            query: text.clone(),
                            added: words.clone(),
                            items: items.clone(),
                            specificity,
                            baseline_specificity: baseline,
                            representativeness,
                            similarity,
                        },
                    ));
                }
            }
            out[*g] = best.map(|b| b.1);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Document, EngineConfig, HashEmbedder};

    fn doc(id: &str, title: &str, body: &str) -> Document {
        Document {
            id: id.into(),
            title: title.into(),
            body: body.into(),
            ..Default::default()
        }
    }

    /// "stream" means two things here: file streams and stream ciphers.
    fn engine() -> Engine {
        let mut e = Engine::new(EngineConfig::default()).unwrap();
        let mut docs = Vec::new();
        for i in 0..8 {
            docs.push(doc(
                &format!("fs{i}"),
                &format!("Reading file {i}"),
                &format!("Open a readable stream on a file path {i} and pipe the file contents to disk; directory and file descriptors."),
            ));
            docs.push(doc(
                &format!("crypto{i}"),
                &format!("Cipher {i}"),
                &format!("A stream cipher encrypts bytes with a secret key {i}; the cipher and the key decide the ciphertext."),
            ));
        }
        docs.push(doc("other", "Timers", "setTimeout schedules a callback."));
        e.add(docs).unwrap();
        e
    }

    #[test]
    fn suggests_the_sense_the_query_ranks_low() {
        let e = engine();
        let initial = e.search("stream", None, &SearchOptions::top(16)).unwrap();
        // BM25 ranks the (shorter) cipher documents first: that sense needs no help.
        assert!(initial[..8].iter().all(|h| h.id.starts_with("crypto")));
        let s = e
            .suggest("stream", None, &SuggestParams::default())
            .unwrap();
        assert!(!s.is_empty(), "{s:#?}");
        for sug in &s {
            assert!(sug.query.starts_with("stream "), "{}", sug.query);
            assert!(sug.specificity > sug.baseline_specificity, "{sug:#?}");
            let fs = sug.items.iter().filter(|i| i.starts_with("fs")).count();
            let crypto = sug.items.iter().filter(|i| i.starts_with("crypto")).count();
            assert!(fs == 0 || crypto == 0, "one sense per cluster: {sug:#?}");
        }
        let files = s
            .iter()
            .find(|x| x.items.iter().all(|i| i.starts_with("fs")))
            .expect("the file sense gets a suggestion");
        assert_eq!(files.items.len(), 8);
        assert_eq!(files.specificity, 1.0);
        assert_eq!(files.baseline_specificity, 0.0);
    }

    #[test]
    fn works_with_an_embedder_and_is_deterministic() {
        let mut e = Engine::new(EngineConfig::default()).unwrap();
        let mut emb = HashEmbedder::new(64).unwrap();
        let base = engine();
        let docs: Vec<Document> = base.documents().cloned().collect();
        e.add_embedded(docs, &mut emb).unwrap();
        let a = e
            .suggest("stream", Some(&mut emb), &SuggestParams::default())
            .unwrap();
        let b = e
            .suggest("stream", Some(&mut emb), &SuggestParams::default())
            .unwrap();
        assert_eq!(a, b);
        assert!(!a.is_empty());
    }

    #[test]
    fn suggests_for_given_groups() {
        let e = engine();
        let files: Vec<String> = (0..8).map(|i| format!("fs{i}")).collect();
        let ciphers: Vec<String> = (0..8).map(|i| format!("crypto{i}")).collect();
        let unknown = vec!["nope".to_owned()];
        let out = e
            .suggest_for_groups(
                "stream",
                None,
                &[files, ciphers, unknown],
                &SuggestParams::default(),
            )
            .unwrap();
        assert_eq!(out.len(), 3);
        let fs = out[0]
            .as_ref()
            .expect("the file group is ranked low: a suggestion");
        assert_eq!(fs.specificity, 1.0);
        assert_eq!(fs.items.len(), 8);
        // Already first for the query: nothing to improve. Unknown ids: no group.
        assert!(out[1].is_none() && out[2].is_none(), "{out:#?}");
    }

    #[test]
    fn mixed_documents_and_long_queries_do_not_break_it() {
        // Passage vectors for some documents, none for others.
        let mut e = Engine::new(EngineConfig::default()).unwrap();
        let mut emb = HashEmbedder::new(64).unwrap();
        let base = engine();
        let docs: Vec<Document> = base.documents().cloned().collect();
        let (first, rest) = docs.split_at(9);
        e.add_embedded(first.to_vec(), &mut emb).unwrap();
        e.add(rest.to_vec()).unwrap();
        let s = e
            .suggest("stream", Some(&mut emb), &SuggestParams::default())
            .unwrap();
        for sug in &s {
            assert!(sug.specificity > sug.baseline_specificity, "{sug:#?}");
        }
        // A query at the length limit: no candidate fits, so no suggestion, and no error.
        let long = format!("stream {}", "x".repeat(MAX_QUERY_BYTES - 7));
        assert_eq!(long.len(), MAX_QUERY_BYTES);
        assert!(
            base.suggest(&long, None, &SuggestParams::default())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn few_results_or_bad_parameters() {
        let e = engine();
        assert!(
            e.suggest("setTimeout", None, &SuggestParams::default())
                .unwrap()
                .is_empty()
        );
        let bad = SuggestParams {
            max_clusters: 1,
            ..Default::default()
        };
        assert_eq!(
            e.suggest("stream", None, &bad).unwrap_err().code(),
            "INVALID_PARAMETER"
        );
    }
}
