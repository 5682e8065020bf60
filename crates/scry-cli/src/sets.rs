//! Evaluation across sets (`scry eval --sets`): a sets file naming corpora and judged queries,
//! fusion specs, and one table of every set × mode (text, vector, each fusion) with nDCG@10,
//! MRR@10, recall@10, recall@100 and how each fusion compares with the better of its inputs.
//!
//! Every mode of a query is measured from the same two candidate lists
//! ([`scry_core::Engine::retrieve`]): the full-text and vector rankings of depth
//! [`DEPTH`] (at least the hybrid candidates), fused here by [`scry_core::hybrid::fuse`] exactly
//! as a hybrid search fuses them. The query is embedded once per set.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use scry_core::hybrid::{Fusion, HybridParams, fuse};

use crate::error::CliError;
use crate::eval;

/// Depth of the candidate lists and of recall@100.
pub const DEPTH: usize = 100;

/// One evaluation set of a sets file.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EvalSet {
    /// Name shown in the table.
    pub name: String,
    /// Name of the index (sets over the same corpus share it): its folders are
    /// `<work>/<index>/state` and `<work>/<index>/site`.
    pub index: String,
    /// The corpus folder (relative to the current folder), as `scry index` reads it.
    pub corpus: PathBuf,
    /// The judged queries (JSON lines `{"query", "relevant"}`).
    pub queries: PathBuf,
    /// Held out: never used to choose anything; evaluated only with `--held-out`.
    #[serde(default)]
    pub held_out: bool,
    /// `--url-ext` of `scry index` (ids do not depend on it).
    #[serde(default)]
    pub url_ext: Option<String>,
}

/// A sets file: `{"sets": [...]}`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SetsFile {
    sets: Vec<EvalSet>,
}

/// Reads and checks a sets file (names unique, one corpus per index name).
pub fn load_sets(path: &Path) -> Result<Vec<EvalSet>, CliError> {
    let bytes = std::fs::read(path).map_err(|e| CliError::read(path, e))?;
    let file: SetsFile =
        serde_json::from_slice(&bytes).map_err(|e| CliError::format(path, None, e))?;
    let mut corpus_of: HashMap<&str, &Path> = HashMap::new();
    let mut names = std::collections::HashSet::new();
    for s in &file.sets {
        let bad = |m: String| Err(CliError::format(path, None, m));
        if !names.insert(s.name.as_str()) {
            return bad(format!("set {:?} is listed twice", s.name));
        }
        let plain = |x: &str| {
            !x.is_empty()
                && x.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        if !plain(&s.index) || !plain(&s.name) {
            return bad(format!(
                "set {:?}: names and indexes are letters, digits, - and _",
                s.name
            ));
        }
        match corpus_of.insert(s.index.as_str(), s.corpus.as_path()) {
            Some(c) if c != s.corpus => {
                return bad(format!("index {:?} is given two corpora", s.index));
            }
            _ => {}
        }
    }
    Ok(file.sets)
}

/// A fusion to evaluate: its label and parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct FusionSpec {
    /// As given (`rrf`, `minMax:alpha=0.7`); `hybrid` for the configured default.
    pub label: String,
    /// The parameters.
    pub params: HybridParams,
}

/// Parses `variant[:key=value,...]` (keys of `HybridParams`, camelCase) over `base`.
pub fn parse_fusion(spec: &str, base: &HybridParams) -> Result<FusionSpec, CliError> {
    let err = |m: String| CliError::Argument(format!("--fusion {spec:?}: {m}"));
    let (variant, rest) = spec.split_once(':').unwrap_or((spec, ""));
    let mut value = serde_json::to_value(base).map_err(|e| err(e.to_string()))?;
    let object = value
        .as_object_mut()
        .ok_or_else(|| err("parameters are not an object".into()))?;
    object.insert("fusion".into(), serde_json::Value::String(variant.into()));
    for pair in rest.split(',').filter(|p| !p.is_empty()) {
        let (key, v) = pair
            .split_once('=')
            .ok_or_else(|| err(format!("{pair:?} is not key=value")))?;
        if key == "fusion" || !object.contains_key(key) {
            return Err(err(format!("unknown setting {key:?}")));
        }
        let v = serde_json::from_str(v).unwrap_or(serde_json::Value::String(v.into()));
        object.insert(key.into(), v);
    }
    let params: HybridParams = serde_json::from_value(value).map_err(|e| err(e.to_string()))?;
    Ok(FusionSpec {
        label: spec.to_owned(),
        params: params.validate()?,
    })
}

/// The fusions evaluated when none are named: every variant with its default parameters.
pub fn default_fusions(base: &HybridParams) -> Vec<FusionSpec> {
    Fusion::ALL
        .iter()
        .map(|&fusion| FusionSpec {
            label: fusion.name().to_owned(),
            params: HybridParams { fusion, ..*base },
        })
        .collect()
}

/// One judged query with its two candidate lists.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct QueryLists {
    /// The query.
    pub query: String,
    /// Relevant ids.
    pub relevant: Vec<String>,
    /// Full-text candidates, best first.
    pub text: Vec<(String, f32)>,
    /// Vector candidates, best first.
    pub vector: Vec<(String, f32)>,
    /// The most a document could score for the full-text query (what
    /// [`scry_core::hybrid::fuse`] takes).
    #[serde(default)]
    pub text_ceiling: f32,
}

/// A set's vector candidate lists, saved so that tests can fuse them with live full-text
/// lists without the model (`scry eval --sets … --save-vectors DIR` writes `DIR/<set>.json`):
/// the ids that occur, and per query its hits, best first, as a flat list of pairs
/// `id index, cosine` — the first cosine × 10⁴ rounded, each later one as its drop from the one
/// before (the lists are sorted), which keeps the file small.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedVectors {
    /// The model's id and fingerprint (`id@fingerprint`).
    pub model: String,
    /// The ids the lists name.
    pub ids: Vec<String>,
    /// One entry per query, in the set's order.
    pub queries: Vec<SavedQuery>,
}

/// One query's saved vector list.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedQuery {
    /// The query.
    pub query: String,
    /// `id index, cosine` pairs as described at [`SavedVectors`].
    pub hits: Vec<i64>,
}

impl SavedVectors {
    /// The vector lists of `lists` (cosines rounded to 4 decimals).
    pub fn save(model: &str, lists: &[QueryLists]) -> Self {
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut ids: Vec<String> = Vec::new();
        let mut queries = Vec::with_capacity(lists.len());
        for q in lists {
            let mut hits = Vec::with_capacity(2 * q.vector.len());
            let mut before = None;
            for (id, s) in &q.vector {
                let i = *index.entry(id.as_str()).or_insert_with(|| {
                    ids.push(id.clone());
                    ids.len() - 1
                });
                let scaled = (f64::from(*s) * 1e4).round() as i64;
                hits.push(i as i64);
                hits.push(before.map_or(scaled, |b| b - scaled));
                before = Some(scaled);
            }
            queries.push(SavedQuery {
                query: q.query.clone(),
                hits,
            });
        }
        Self {
            model: model.to_owned(),
            ids,
            queries,
        }
    }

    /// Query `i`'s list as `(id, cosine)`; `None` when the saved query at `i` is not `query`
    /// or the entry is malformed (the file is stale or damaged: save it again).
    pub fn list(&self, i: usize, query: &str) -> Option<Vec<(String, f32)>> {
        let q = self.queries.get(i).filter(|q| q.query == query)?;
        if q.hits.len() % 2 != 0 {
            return None;
        }
        let mut scaled: Option<i64> = None;
        q.hits
            .chunks_exact(2)
            .map(|pair| {
                let id = self.ids.get(usize::try_from(pair[0]).ok()?)?;
                let s = scaled.map_or(pair[1], |b| b - pair[1]);
                scaled = Some(s);
                Some((id.clone(), (s as f64 / 1e4) as f32))
            })
            .collect()
    }
}

/// Mean metrics of one mode on one set.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct SetMetrics {
    /// nDCG@10.
    pub ndcg10: f64,
    /// MRR@10.
    pub mrr10: f64,
    /// recall@10.
    pub recall10: f64,
    /// recall@100.
    pub recall100: f64,
    /// Queries.
    pub queries: usize,
}

fn measure(rankings: &[(Vec<String>, &[String])]) -> SetMetrics {
    let at10: Vec<_> = rankings
        .iter()
        .map(|(r, rel)| eval::score(r, rel, 10))
        .collect();
    let m = eval::mean(&at10);
    let recall100 = rankings
        .iter()
        .map(|(r, rel)| eval::score(r, rel, DEPTH).2)
        .sum::<f64>()
        / rankings.len().max(1) as f64;
    SetMetrics {
        ndcg10: m.ndcg,
        mrr10: m.mrr,
        recall10: m.recall,
        recall100,
        queries: m.queries,
    }
}

/// The fusion `params` of one query's lists: ids, best first.
pub fn fused_ids(lists: &QueryLists, params: &HybridParams) -> Vec<String> {
    // A hybrid search fuses `candidates` of each (the lists may be deeper).
    let depth = params.candidates;
    let text = &lists.text[..lists.text.len().min(depth)];
    let vector = &lists.vector[..lists.vector.len().min(depth)];
    let mut slot_of: HashMap<&str, u32> = HashMap::new();
    let mut ids: Vec<&str> = Vec::new();
    for (id, _) in text.iter().chain(vector) {
        slot_of.entry(id.as_str()).or_insert_with(|| {
            ids.push(id.as_str());
            ids.len() as u32 - 1
        });
    }
    let slots = |list: &[(String, f32)]| -> Vec<(u32, f32)> {
        list.iter()
            .map(|(id, s)| (slot_of.get(id.as_str()).copied().unwrap_or(0), *s))
            .collect()
    };
    fuse(&slots(text), &slots(vector), params, lists.text_ceiling)
        .iter()
        .map(|f| ids[f.slot as usize].to_owned())
        .collect()
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Row {
    /// Set name.
    pub set: String,
    /// Held-out set.
    pub held_out: bool,
    /// `text`, `vector`, or a fusion's label.
    pub mode: String,
    /// The metrics.
    #[serde(flatten)]
    pub metrics: SetMetrics,
    /// Fusions: nDCG@10 minus the better of text's and vector's.
    pub vs_best_input: Option<f64>,
}

/// Every mode of one set: text, vector (when there are vector lists), then each fusion.
pub fn evaluate_set(set: &EvalSet, queries: &[QueryLists], fusions: &[FusionSpec]) -> Vec<Row> {
    let row = |mode: &str, metrics: SetMetrics, vs: Option<f64>| Row {
        set: set.name.clone(),
        held_out: set.held_out,
        mode: mode.to_owned(),
        metrics,
        vs_best_input: vs,
    };
    let ranked = |f: &dyn Fn(&QueryLists) -> Vec<String>| -> SetMetrics {
        let r: Vec<(Vec<String>, &[String])> = queries
            .iter()
            .map(|q| (f(q), q.relevant.as_slice()))
            .collect();
        measure(&r)
    };
    let ids = |l: &[(String, f32)]| l.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>();
    let text = ranked(&|q| ids(&q.text));
    let mut rows = vec![row("text", text, None)];
    if queries.iter().all(|q| q.vector.is_empty()) {
        return rows;
    }
    let vector = ranked(&|q| ids(&q.vector));
    rows.push(row("vector", vector, None));
    let best = text.ndcg10.max(vector.ndcg10);
    for f in fusions {
        let m = ranked(&|q| fused_ids(q, &f.params));
        rows.push(row(&f.label, m, Some(m.ndcg10 - best)));
    }
    rows
}

/// The table as text: one line per set × mode, and per fusion a summary over the tuning sets
/// (sets within 0.005 of the better input, mean difference).
pub fn format_table(rows: &[Row]) -> String {
    use std::fmt::Write;
    let mode_width = rows.iter().map(|r| r.mode.len()).max().unwrap_or(4).max(4);
    // Held-out sets are marked with a `*`.
    let set_width = rows
        .iter()
        .map(|r| r.set.len() + usize::from(r.held_out))
        .max()
        .unwrap_or(3)
        .max(3);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| {:<set_width$} | {:<mode_width$} | {:>7} | {:>6} | {:>6} | {:>7} | {:>7} |",
        "set", "mode", "nDCG@10", "MRR@10", "R@10", "R@100", "vs best"
    );
    let _ = writeln!(
        out,
        "| {} | {} | ------: | -----: | -----: | ------: | ------: |",
        "-".repeat(set_width),
        "-".repeat(mode_width)
    );
    for r in rows {
        let set = if r.held_out {
            format!("{}*", r.set)
        } else {
            r.set.clone()
        };
        let _ = writeln!(
            out,
            "| {set:<set_width$} | {:<mode_width$} | {:>7.4} | {:>6.4} | {:>6.4} | {:>7.4} | {:>7} |",
            r.mode,
            r.metrics.ndcg10,
            r.metrics.mrr10,
            r.metrics.recall10,
            r.metrics.recall100,
            r.vs_best_input
                .map_or_else(String::new, |d| format!("{d:+.4}")),
        );
    }
    let mut modes: Vec<&str> = Vec::new();
    for r in rows.iter().filter(|r| r.vs_best_input.is_some()) {
        if !modes.contains(&r.mode.as_str()) {
            modes.push(&r.mode);
        }
    }
    for (held_out, what) in [(false, "tuning sets"), (true, "held-out sets (*)")] {
        let any = rows
            .iter()
            .any(|r| r.held_out == held_out && r.vs_best_input.is_some());
        if !any {
            continue;
        }
        let _ = writeln!(out, "\nfusion vs the better input, {what}:");
        for m in &modes {
            let d: Vec<f64> = rows
                .iter()
                .filter(|r| r.mode == *m && r.held_out == held_out)
                .filter_map(|r| r.vs_best_input)
                .collect();
            let ok = d.iter().filter(|x| **x >= -0.005).count();
            let above = d.iter().filter(|x| **x > 0.0).count();
            let worst = d.iter().copied().fold(f64::INFINITY, f64::min);
            let mean = d.iter().sum::<f64>() / d.len().max(1) as f64;
            let _ = writeln!(
                out,
                "  {m:<mode_width$}  ≥ best − 0.005 on {ok}/{n}, above on {above}/{n}, worst {worst:+.4}, mean {mean:+.4}",
                n = d.len()
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists(text: &[&str], vector: &[&str], relevant: &str) -> QueryLists {
        let l = |v: &[&str]| {
            v.iter()
                .enumerate()
                .map(|(i, id)| ((*id).to_owned(), 1.0 - i as f32 * 0.1))
                .collect()
        };
        QueryLists {
            query: "q".into(),
            relevant: vec![relevant.into()],
            text: l(text),
            vector: l(vector),
            text_ceiling: 1.0,
        }
    }

    #[test]
    fn fusion_specs_parse_and_refuse_unknown_keys() {
        let base = HybridParams::default();
        let f = parse_fusion("rrf:rrfK=20", &base).unwrap();
        assert_eq!(f.params.fusion, Fusion::Rrf);
        assert_eq!(f.params.rrf_k, 20.0);
        assert_eq!(f.label, "rrf:rrfK=20");
        assert!(parse_fusion("rrf:k=20", &base).is_err());
        assert!(parse_fusion("nope", &base).is_err());
        assert!(parse_fusion("weighted:alpha=2", &base).is_err());
        assert_eq!(default_fusions(&base).len(), Fusion::ALL.len());
    }

    #[test]
    fn saved_vectors_round_trip_and_notice_a_stale_file() {
        let qs = [lists(&["a"], &["b", "c"], "b"), lists(&[], &["c"], "c")];
        let saved = SavedVectors::save("m@f", &qs);
        assert_eq!(saved.ids, ["b", "c"]);
        let json = serde_json::to_string(&saved).unwrap();
        let back: SavedVectors = serde_json::from_str(&json).unwrap();
        assert_eq!(
            back.list(0, "q").unwrap(),
            [("b".to_owned(), 1.0), ("c".to_owned(), 0.9)]
        );
        assert_eq!(back.list(1, "q").unwrap(), [("c".to_owned(), 1.0)]);
        assert_eq!(back.list(0, "another query"), None);
        assert_eq!(back.list(2, "q"), None);
    }

    #[test]
    fn the_table_compares_fusions_with_the_better_input() {
        let set = EvalSet {
            name: "s".into(),
            index: "i".into(),
            corpus: "c".into(),
            queries: "q".into(),
            held_out: false,
            url_ext: None,
        };
        // Text finds "a" first, vector third: text is the better input (nDCG 1).
        let qs = [lists(&["a", "b"], &["b", "c", "a"], "a")];
        let fusions = [parse_fusion("weighted:alpha=0", &HybridParams::default()).unwrap()];
        let rows = evaluate_set(&set, &qs, &fusions);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].metrics.ndcg10, 1.0);
        assert!((rows[1].metrics.ndcg10 - 0.5).abs() < 1e-12);
        assert_eq!(rows[2].vs_best_input, Some(0.0));
        let table = format_table(&rows);
        assert!(table.contains("≥ best − 0.005 on 1/1"), "{table}");
    }
}
