//! The analyzer: Unicode words → normalised, stemmed terms with positions and offsets, plus the
//! parts of code identifiers.

use std::collections::HashSet;

use rust_stemmers::Stemmer;
use unicode_segmentation::UnicodeSegmentation;

use super::code;
use super::fold::normalise;
use super::language::Language;

/// Words longer than this many bytes (hashes, base64) are not indexed.
pub const MAX_WORD_BYTES: usize = 64;

/// One analysed term with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The index term (normalised and stemmed).
    pub term: String,
    /// Byte offset of the first byte of the source text of this term.
    pub start: usize,
    /// Byte offset one past the source text's last byte.
    pub end: usize,
    /// Word position (0-based, counting stop words, so distances stay true). The parts of a
    /// compound word share its position.
    pub position: u32,
    /// True for a part of a compound word (`read` in `readFile`), false for a whole word.
    pub part: bool,
}

/// How text is analysed. The same analyzer must index and query a collection.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AnalyzerConfig {
    /// Language of the stemmer; `None` disables stemming. Default English.
    pub language: Option<Language>,
    /// Stop words; `None` uses the language's default list. Compared after normalisation.
    pub stop_words: Option<Vec<String>>,
    /// Strip diacritics (`café` matches `cafe`). Default true.
    pub fold_diacritics: bool,
    /// Also index the parts of identifiers (`readFile` → read, file). Default true.
    pub code_tokens: bool,
}

impl Default for AnalyzerConfig {
    fn default() -> Self {
        Self {
            language: Some(Language::English),
            stop_words: None,
            fold_diacritics: true,
            code_tokens: true,
        }
    }
}

/// Splits text into terms. Cheap to clone.
#[derive(Clone)]
pub struct Analyzer {
    config: AnalyzerConfig,
    stemmer: Option<std::sync::Arc<Stemmer>>,
    stop_words: HashSet<String>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("config", &self.config)
            .finish()
    }
}

impl Default for Analyzer {
    fn default() -> Self {
        Self::new(AnalyzerConfig::default())
    }
}

impl Analyzer {
    /// Builds an analyzer from its configuration.
    pub fn new(config: AnalyzerConfig) -> Self {
        let stop_words = match &config.stop_words {
            Some(words) => words
                .iter()
                .map(|w| normalise(w, config.fold_diacritics))
                .collect(),
            None => config
                .language
                .map(|l| l.default_stop_words())
                .unwrap_or_default()
                .iter()
                .map(|w| (*w).to_owned())
                .collect(),
        };
        Self {
            stemmer: config
                .language
                .map(|l| std::sync::Arc::new(Stemmer::create(l.algorithm()))),
            stop_words,
            config,
        }
    }

    /// Whether `other` makes the same terms of any text: same stemmer, folding and identifier
    /// parts, and the same stop words once normalised (an explicit list equal to the default
    /// one, or written in another case, is the same analysis).
    pub fn same_analysis(&self, other: &Analyzer) -> bool {
        self.config.language == other.config.language
            && self.config.fold_diacritics == other.config.fold_diacritics
            && self.config.code_tokens == other.config.code_tokens
            && self.stop_words == other.stop_words
    }

    /// The English default analyzer.
    pub fn english() -> Self {
        Self::default()
    }

    /// The configuration this analyzer was built from.
    pub fn config(&self) -> &AnalyzerConfig {
        &self.config
    }

    /// The index term for one word (normalised, then stemmed), or `None` for a stop word.
    pub fn term(&self, word: &str) -> Option<String> {
        let norm = normalise(word, self.config.fold_diacritics);
        if self.stop_words.contains(&norm) {
            return None;
        }
        Some(self.stem(norm))
    }

    /// The tokens [`Analyzer::analyze`] gives, less those whose normalised text `keep`
    /// rejects; rejected tokens are never stemmed (what makes this cheaper for snippets).
    pub fn analyze_if(&self, text: &str, keep: impl Fn(&str) -> bool) -> Vec<Token> {
        let mut out = Vec::new();
        let fold = self.config.fold_diacritics;
        for (position, (start, word)) in text.unicode_word_indices().enumerate() {
            if word.len() > MAX_WORD_BYTES {
                continue;
            }
            let position = u32::try_from(position).unwrap_or(u32::MAX);
            let norm = normalise(word, fold);
            // A stop word has no token, nor do its parts.
            if self.stop_words.contains(&norm) {
                continue;
            }
            if keep(&norm) {
                out.push(Token {
                    term: self.stem(norm),
                    start,
                    end: start + word.len(),
                    position,
                    part: false,
                });
            }
            if self.config.code_tokens {
                for (s, e) in code::parts(word) {
                    let norm = normalise(&word[s..e], fold);
                    if self.stop_words.contains(&norm) || !keep(&norm) {
                        continue;
                    }
                    out.push(Token {
                        term: self.stem(norm),
                        start: start + s,
                        end: start + e,
                        position,
                        part: true,
                    });
                }
            }
        }
        out
    }

    fn stem(&self, norm: String) -> String {
        match &self.stemmer {
            // Stemming a compound (`fs.readfile`) only touches its tail; parts carry the rest.
            Some(s) => s.stem(&norm).into_owned(),
            None => norm,
        }
    }

    /// Analyses `text` into tokens, in order of position (whole word before its parts).
    pub fn analyze(&self, text: &str) -> Vec<Token> {
        self.analyze_if(text, |_| true)
    }

    /// Just the terms of `text`, in order.
    pub fn terms(&self, text: &str) -> Vec<String> {
        self.analyze(text).into_iter().map(|t| t.term).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(a: &Analyzer, text: &str) -> Vec<String> {
        a.terms(text)
    }

    #[test]
    fn the_same_analysis_compares_what_terms_come_out() {
        let config = |language, stop_words: Option<Vec<&str>>| {
            Analyzer::new(AnalyzerConfig {
                language,
                stop_words: stop_words.map(|w| w.into_iter().map(str::to_owned).collect()),
                ..AnalyzerConfig::default()
            })
        };
        let german = config(Some(Language::German), None);
        // German's default list is empty; an explicit empty list is the same analysis.
        assert!(german.same_analysis(&config(Some(Language::German), Some(vec![]))));
        assert!(!german.same_analysis(&config(Some(Language::French), None)));
        assert!(!german.same_analysis(&config(None, None)));
        // Stop words compare normalised, as a set.
        let listed = config(Some(Language::German), Some(vec!["Der", "die"]));
        assert!(listed.same_analysis(&config(
            Some(Language::German),
            Some(vec!["die", "der", "die"])
        )));
        assert!(!listed.same_analysis(&german));
        // English's default list, written out, is the default.
        let english = Analyzer::english();
        let written: Vec<&str> = Language::English.default_stop_words().to_vec();
        assert!(english.same_analysis(&config(Some(Language::English), Some(written))));
    }

    #[test]
    fn segments_folds_stems_and_keeps_offsets() {
        let a = Analyzer::english();
        let text = "The Quick foxes: Über-fast café running!";
        let tokens = a.analyze(text);
        let t: Vec<_> = tokens.iter().map(|t| t.term.as_str()).collect();
        assert_eq!(t, ["quick", "fox", "uber", "fast", "cafe", "run"]);
        assert_eq!(&text[tokens[2].start..tokens[2].end], "Über");
        assert_eq!(tokens[0].position, 1, "stop word 'The' keeps position 0");
    }

    #[test]
    fn code_identifiers_keep_whole_and_parts() {
        let a = Analyzer::english();
        let tokens = a.analyze("call fs.readFile and parseHTTPResponse");
        let t: Vec<_> = tokens
            .iter()
            .map(|t| (t.term.as_str(), t.part, t.position))
            .collect();
        assert_eq!(
            t,
            [
                ("call", false, 0),
                ("fs.readfil", false, 1),
                ("fs", true, 1),
                ("readfil", true, 1),
                ("read", true, 1),
                ("file", true, 1),
                ("parsehttprespons", false, 3),
                ("pars", true, 3),
                ("http", true, 3),
                ("respons", true, 3),
            ]
        );
    }

    #[test]
    fn query_and_document_meet_in_the_middle() {
        let a = Analyzer::english();
        assert!(terms(&a, "readFile").contains(&"read".to_owned()));
        assert_eq!(terms(&a, "reading files"), ["read", "file"]);
        assert_eq!(terms(&a, "snake_case"), ["snake_cas", "snake", "case"]);
    }

    #[test]
    fn configuration_is_respected() {
        let plain = Analyzer::new(AnalyzerConfig {
            language: None,
            stop_words: Some(vec!["Foo".into()]),
            fold_diacritics: false,
            code_tokens: false,
        });
        assert_eq!(
            terms(&plain, "foo Running Café readFile"),
            ["running", "café", "readfile"]
        );
        let german = Analyzer::new(AnalyzerConfig {
            language: Some(Language::German),
            ..Default::default()
        });
        assert_eq!(terms(&german, "Häuser"), ["haus"]);
    }

    #[test]
    fn empty_punctuation_and_giant_words() {
        let a = Analyzer::english();
        assert!(a.analyze("").is_empty());
        assert!(a.analyze(" ,.;!? ").is_empty());
        assert!(a.analyze(&"x".repeat(1000)).is_empty());
        assert_eq!(a.analyze("the of and").len(), 0);
    }
}
