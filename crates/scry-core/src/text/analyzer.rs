//! The analyzer: Unicode word segmentation, lower-casing and stop words, with positions and offsets.

use std::collections::HashSet;

use unicode_segmentation::UnicodeSegmentation;

/// One analysed term with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The normalised term.
    pub term: String,
    /// Byte offset of the first byte of the word in the analysed text.
    pub start: usize,
    /// Byte offset one past the word's last byte.
    pub end: usize,
    /// Word position (0-based, counting stop words too, so phrase distances stay true).
    pub position: u32,
}

/// Common English function words, skipped when indexing and querying.
const ENGLISH_STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with",
];

/// Splits text into normalised terms.
#[derive(Debug, Clone)]
pub struct Analyzer {
    stop_words: HashSet<String>,
}

impl Default for Analyzer {
    fn default() -> Self {
        Self::english()
    }
}

impl Analyzer {
    /// The default analyzer: English stop words.
    pub fn english() -> Self {
        Self::with_stop_words(ENGLISH_STOP_WORDS.iter().copied())
    }

    /// An analyzer with the given stop words (compared after lower-casing).
    pub fn with_stop_words<'a>(words: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            stop_words: words.into_iter().map(str::to_lowercase).collect(),
        }
    }

    /// Analyses `text` into tokens, in order.
    pub fn analyze(&self, text: &str) -> Vec<Token> {
        let mut out = Vec::new();
        for (position, (start, word)) in text.unicode_word_indices().enumerate() {
            let term = word.to_lowercase();
            if self.stop_words.contains(&term) {
                continue;
            }
            out.push(Token {
                term,
                start,
                end: start + word.len(),
                position: u32::try_from(position).unwrap_or(u32::MAX),
            });
        }
        out
    }

    /// Just the terms of `text`, in order.
    pub fn terms(&self, text: &str) -> Vec<String> {
        self.analyze(text).into_iter().map(|t| t.term).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_lowercases_and_keeps_offsets() {
        let text = "The Quick fox: Über-fast!";
        let tokens = Analyzer::english().analyze(text);
        let terms: Vec<_> = tokens.iter().map(|t| t.term.as_str()).collect();
        assert_eq!(terms, ["quick", "fox", "über", "fast"]);
        for t in &tokens {
            assert_eq!(text[t.start..t.end].to_lowercase(), t.term);
        }
        // "The" is position 0, so "quick" is 1.
        assert_eq!(tokens[0].position, 1);
    }

    #[test]
    fn empty_and_punctuation_only_give_nothing() {
        assert!(Analyzer::english().analyze("").is_empty());
        assert!(Analyzer::english().analyze(" ,.;!? ").is_empty());
    }
}
