//! Turning a query string into term groups: each query word becomes its exact term plus weighted
//! alternatives (prefix completions of the last word, terms one typo away).

use std::collections::HashMap;

use super::params::Bm25Params;
use super::segment::{Field, TextSegment};
use crate::text::Analyzer;
use crate::text::fold::normalise;

/// One query word: alternative index terms with their weights; a document scores the best one.
#[derive(Debug, Clone, PartialEq)]
pub struct TermGroup {
    /// `(index term, weight)`; the exact term first.
    pub alternatives: Vec<(String, f32)>,
}

/// An analysed text query.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TextQuery {
    /// One group per query token.
    pub groups: Vec<TermGroup>,
}

impl TextQuery {
    /// The exact terms (for snippets and highlighting).
    pub fn exact_terms(&self) -> impl Iterator<Item = &str> {
        self.groups
            .iter()
            .filter_map(|g| g.alternatives.first().map(|(t, _)| t.as_str()))
    }

    /// Every term that can match, with alternatives.
    pub fn all_terms(&self) -> impl Iterator<Item = &str> {
        self.groups
            .iter()
            .flat_map(|g| g.alternatives.iter().map(|(t, _)| t.as_str()))
    }
}

fn global_df(segments: &[&TextSegment], term: &str) -> u64 {
    segments
        .iter()
        .filter(|s| s.may_contain(term))
        .flat_map(|s| s.fields.iter())
        .filter_map(|f| f.dict().get(term).map(|i| u64::from(f.df(i))))
        .sum()
}

/// Whether any segment has `term` in any field: what `global_df(..) > 0` answers, stopping at
/// the first dictionary that has it (the body's first, the field most terms are in).
fn known(segments: &[&TextSegment], term: &str) -> bool {
    segments.iter().any(|s| {
        s.may_contain(term)
            && std::iter::once(Field::Body)
                .chain(Field::ALL.into_iter().filter(|&f| f != Field::Body))
                .any(|f| s.field(f).dict().get(term).is_some())
    })
}

/// Words that make a query a question rather than say what it is about: question words,
/// auxiliaries and personal pronouns ("How do I read a file?" → read, file). Left out of queries
/// that have other words when `Bm25Params::query_stop_words` is on (the default); the
/// analyzer's stop words (the, is, to, …) are left out of every query and document already.
/// Measured (BENCHMARKS.md, issue 25): BM25 nDCG@10 +0.066 on the Debian FAQ questions, +0.018
/// on gitfaq, +0.051 on gitfaq among the git manual, +0.000 to +0.004 on the Node.js sets; and
/// fewer terms to score (text p50 0.27 → 0.23 ms on the Node.js queries, native).
pub const QUERY_STOP_WORDS: &[&str] = &[
    "how",
    "what",
    "why",
    "when",
    "where",
    "which",
    "who",
    "whom",
    "whose",
    "do",
    "does",
    "did",
    "can",
    "could",
    "should",
    "would",
    "shall",
    "may",
    "might",
    "must",
    "i",
    "me",
    "my",
    "we",
    "our",
    "us",
    "you",
    "your",
    "am",
    "have",
    "has",
    "had",
    "been",
    "being",
    "someone",
    "something",
    "anyone",
    "anything",
    "i'm",
    "i've",
    "what's",
];

/// Builds the query for `text` against `segments` (whose dictionaries supply the expansions).
pub fn build_query(
    analyzer: &Analyzer,
    text: &str,
    segments: &[&TextSegment],
    params: &Bm25Params,
) -> TextQuery {
    let mut tokens = analyzer.analyze(text);
    if params.query_stop_words {
        let fold = analyzer.config().fold_diacritics;
        let is_stop = |t: &crate::text::Token| {
            let word = normalise(&text[t.start..t.end], fold).replace('\u{2019}', "'");
            QUERY_STOP_WORDS.contains(&word.as_str())
        };
        // Only while something else is left: "how do I" alone stays a query.
        if tokens.iter().any(|t| !is_stop(t)) {
            tokens.retain(|t| !is_stop(t));
        }
    }
    let mut groups: Vec<TermGroup> = Vec::new();
    // Search-as-you-type: the last word is a prefix unless the user typed a space or punctuation.
    let last_word_prefix = params.prefix
        && text.chars().last().is_some_and(char::is_alphanumeric)
        && tokens.last().is_some_and(|t| t.end == text.len());
    let last_position = tokens.last().map(|t| t.position);
    let mut seen: HashMap<String, usize> = HashMap::new();
    for t in &tokens {
        let weight = if t.part { params.part_weight } else { 1.0 };
        if let Some(&g) = seen.get(&t.term) {
            // A repeated word counts once (with its best weight).
            if let Some(first) = groups[g].alternatives.first_mut() {
                first.1 = first.1.max(weight);
            }
            continue;
        }
        seen.insert(t.term.clone(), groups.len());
        let mut alternatives = vec![(t.term.clone(), weight)];
        let word = &text[t.start..t.end];
        let norm = normalise(word, analyzer.config().fold_diacritics);
        // Typo tolerance only for words the index does not know: a known word means what it says.
        if params.typos
            && norm.chars().count() >= params.typo_min_chars
            && !known(segments, &t.term)
        {
            let mut found: Vec<(u64, String)> = Vec::new();
            let consider = |term: &str, found: &mut Vec<(u64, String)>| {
                if term != t.term && !found.iter().any(|(_, x)| x == term) {
                    let df = global_df(segments, term);
                    if df > 0 {
                        found.push((df, term.to_owned()));
                    }
                }
            };
            // (a) Index terms one edit from the query's stem.
            let mut idx = Vec::new();
            for seg in segments {
                for f in Field::ALL {
                    let dict = seg.field(f).dict();
                    idx.clear();
                    dict.one_edit_away(&t.term, &mut idx);
                    for &i in &idx {
                        consider(dict.term(i), &mut found);
                    }
                }
            }
            // (b) Stems of the words one edit from the typed word ("asynchronus" → "asynchronous"
            // → "asynchron"), which (a) misses when stemming shortens the word.
            for variant in one_edit_variants(&norm) {
                if let Some(stem) = analyzer.term(&variant) {
                    consider(&stem, &mut found);
                }
            }
            found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            found.truncate(8);
            alternatives.extend(
                found
                    .into_iter()
                    .map(|(_, term)| (term, weight * params.typo_weight)),
            );
        }
        if last_word_prefix && !t.part && Some(t.position) == last_position {
            // A short prefix can match thousands of terms: count each distinct one once, keep
            // the most frequent.
            // Every field's completions, then equal terms summed (sorting beats hashing here).
            let mut all: Vec<(&str, u64)> = Vec::new();
            for seg in segments {
                for f in Field::ALL {
                    let field = seg.field(f);
                    let dict = field.dict();
                    for i in dict.prefix(&norm) {
                        let term = dict.term(i);
                        if term != t.term {
                            all.push((term, u64::from(field.df(i))));
                        }
                    }
                }
            }
            all.sort_unstable_by(|a, b| a.0.cmp(b.0));
            let mut found: Vec<(u64, &str)> = Vec::with_capacity(all.len());
            for (term, n) in all {
                match found.last_mut() {
                    Some(last) if last.1 == term => last.0 += n,
                    _ => found.push((n, term)),
                }
            }
            let order = |a: &(u64, &str), b: &(u64, &str)| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1));
            if found.len() > params.max_prefix_terms && params.max_prefix_terms > 0 {
                found.select_nth_unstable_by(params.max_prefix_terms - 1, order);
            }
            found.truncate(params.max_prefix_terms);
            found.sort_by(order);
            let found: Vec<(u64, String)> =
                found.into_iter().map(|(n, t)| (n, t.to_owned())).collect();
            // A last word that is an index term exactly as typed is probably complete: its
            // completions count less. (Stemming a half-typed word can land on another word:
            // "readli" stems to "read"; then the completions keep their full weight.)
            let pw = if t.term == norm && known(segments, &t.term) {
                params.prefix_weight * params.known_prefix_factor
            } else {
                params.prefix_weight
            };
            for (_, term) in found {
                // A completion that is also a typo match keeps the better weight.
                match alternatives.iter_mut().find(|(x, _)| *x == term) {
                    Some(alt) => alt.1 = alt.1.max(weight * pw),
                    None => alternatives.push((term, weight * pw)),
                }
            }
        }
        groups.push(TermGroup { alternatives });
    }
    TextQuery { groups }
}

/// Every string one deletion, transposition, substitution or insertion away from `word`
/// (letters a–z, plus the word's own characters for non-ASCII words).
fn one_edit_variants(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    let mut alphabet: Vec<char> = ('a'..='z').collect();
    for c in &chars {
        if !alphabet.contains(c) {
            alphabet.push(*c);
        }
    }
    let n = chars.len();
    let mut out = Vec::with_capacity(n * (2 * alphabet.len() + 2) + alphabet.len());
    let collect = |v: &[char]| v.iter().collect::<String>();
    let mut buf: Vec<char> = Vec::with_capacity(n + 1);
    for i in 0..n {
        buf.clear();
        buf.extend_from_slice(&chars[..i]);
        buf.extend_from_slice(&chars[i + 1..]);
        out.push(collect(&buf));
        if i + 1 < n {
            buf.clear();
            buf.extend_from_slice(&chars);
            buf.swap(i, i + 1);
            out.push(collect(&buf));
        }
        for &c in &alphabet {
            if c != chars[i] {
                buf.clear();
                buf.extend_from_slice(&chars);
                buf[i] = c;
                out.push(collect(&buf));
            }
        }
    }
    for i in 0..=n {
        for &c in &alphabet {
            buf.clear();
            buf.extend_from_slice(&chars[..i]);
            buf.push(c);
            buf.extend_from_slice(&chars[i..]);
            out.push(collect(&buf));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(text: &str, params: &Bm25Params) -> Vec<String> {
        let q = build_query(&Analyzer::english(), text, &[], params);
        q.exact_terms().map(str::to_owned).collect()
    }

    #[test]
    fn question_words_leave_a_query_that_has_other_words() {
        let on = Bm25Params::default();
        assert!(on.query_stop_words);
        assert_eq!(exact("How do I read a file?", &on), ["read", "file"]);
        assert_eq!(
            exact("I’ve made a mistake: what can I do?", &on),
            ["made", "mistak"]
        );
        // Nothing else: the words stay (a query of question words still searches).
        assert_eq!(exact("what can I do", &on), ["what", "can", "i", "do"]);
        let off = Bm25Params {
            query_stop_words: false,
            ..Default::default()
        };
        assert_eq!(
            exact("How do I read a file?", &off),
            ["how", "do", "i", "read", "file"]
        );
    }
}
