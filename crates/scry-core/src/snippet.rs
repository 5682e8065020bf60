//! Snippets: the best window of a text for a query, with highlight ranges (never HTML).

use std::collections::HashSet;
use std::ops::Range;

use unicode_segmentation::UnicodeSegmentation;

/// A window of a document's text plus the ranges to highlight in it.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Snippet {
    /// The excerpt, verbatim (unescaped: the UI must escape it).
    pub text: String,
    /// Byte ranges into `text` of the words that matched the query, in order, non-overlapping.
    pub highlights: Vec<Range<usize>>,
    /// True if the excerpt does not start at the beginning of the text.
    pub truncated_start: bool,
    /// True if the excerpt does not reach the end of the text.
    pub truncated_end: bool,
}

/// Picks the window of at most `max_words` words of `text` covering the most distinct query
/// terms (then the most matches, then the earliest). `normalise` maps a word to its index term.
pub fn best_window(
    text: &str,
    query_terms: &HashSet<String>,
    max_words: usize,
    normalise: impl Fn(&str) -> String,
) -> Snippet {
    let words: Vec<(usize, &str, Option<String>)> = text
        .unicode_word_indices()
        .map(|(start, w)| {
            let term = normalise(w);
            let hit = query_terms.contains(&term).then_some(term);
            (start, w, hit)
        })
        .collect();
    if words.is_empty() || max_words == 0 {
        return Snippet::default();
    }
    let width = max_words.min(words.len());
    let mut best = (0usize, 0usize, 0usize); // (distinct, matches, start index)
    for i in 0..=(words.len() - width) {
        let window = &words[i..i + width];
        let distinct: HashSet<&str> = window.iter().filter_map(|w| w.2.as_deref()).collect();
        let matches = window.iter().filter(|w| w.2.is_some()).count();
        if (distinct.len(), matches) > (best.0, best.1) {
            best = (distinct.len(), matches, i);
        }
    }
    let first = best.2;
    let last = first + width - 1;
    let start = words[first].0;
    let end = words[last].0 + words[last].1.len();
    let highlights = words[first..=last]
        .iter()
        .filter(|w| w.2.is_some())
        .map(|w| (w.0 - start)..(w.0 - start + w.1.len()))
        .collect();
    Snippet {
        text: text[start..end].to_owned(),
        highlights,
        truncated_start: first > 0 || !text[..start].trim().is_empty(),
        truncated_end: last + 1 < words.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(words: &[&str]) -> HashSet<String> {
        words.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn picks_window_with_most_distinct_terms() {
        let text = "alpha beta gamma delta epsilon zeta eta theta iota kappa stream lambda pipe mu";
        let s = best_window(text, &q(&["stream", "pipe"]), 4, str::to_lowercase);
        assert_eq!(s.text, "kappa stream lambda pipe");
        let marked: Vec<_> = s.highlights.iter().map(|r| &s.text[r.clone()]).collect();
        assert_eq!(marked, ["stream", "pipe"]);
        assert!(s.truncated_start);
        assert!(s.truncated_end);
    }

    #[test]
    fn multibyte_text_keeps_valid_ranges() {
        let text = "Ünïcödé wörds — naïve café ☕ résumé";
        let s = best_window(text, &q(&["café"]), 3, str::to_lowercase);
        for r in &s.highlights {
            assert_eq!(&s.text[r.clone()], "café");
        }
        assert_eq!(s.highlights.len(), 1);
    }

    #[test]
    fn no_match_gives_the_opening() {
        let s = best_window("one two three four", &q(&["zzz"]), 2, str::to_lowercase);
        assert_eq!(s.text, "one two");
        assert!(s.highlights.is_empty());
        assert!(!s.truncated_start);
    }
}
