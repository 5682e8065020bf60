//! Snippets: the best window of a text for a query, with highlight ranges (never HTML).

use std::collections::HashSet;
use std::ops::Range;

use crate::fasthash::WordMap;
use crate::text::Analyzer;

/// A window of a document's text plus the ranges to highlight in it.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Snippet {
    /// The excerpt, verbatim (unescaped: the UI must escape it).
    pub text: String,
    /// Byte ranges into `text` of the words (or word parts) that matched, in order,
    /// non-overlapping.
    pub highlights: Vec<Range<usize>>,
    /// True if the excerpt does not start at the beginning of the text.
    pub truncated_start: bool,
    /// True if the excerpt does not reach the end of the text.
    pub truncated_end: bool,
}

/// Characters a snippet may hold per word of its window: words are measured by their
/// boundaries, so one "word" can be a 200,000-character token, a run of ideographs or a line of
/// punctuation; the window is then cut to this many characters around its first match.
pub const SNIPPET_CHARS_PER_WORD: usize = 20;
/// The least characters a snippet is cut to (windows of very few words).
const SNIPPET_MIN_CHARS: usize = 80;

/// Picks the window of at most `max_words` words of `text` covering the most distinct query
/// `terms` (then the most matches, then the earliest), analysing `text` with `analyzer` so that
/// stems, folded accents and identifier parts match as they do in search.
pub fn best_window(
    text: &str,
    terms: &HashSet<String>,
    max_words: usize,
    analyzer: &Analyzer,
) -> Snippet {
    Snippets::new(terms, max_words, analyzer).window(text)
}

/// Snippets of several texts for one query ([`best_window`] for each): the words analysed for
/// one text are remembered for the next (the hits of a query share most of their matched words).
pub struct Snippets<'t> {
    terms: &'t HashSet<String>,
    max_words: usize,
    analyzer: &'t Analyzer,
    /// Prefixes a word must have to yield a query term (see `window`).
    keys: Vec<String>,
    /// A cheap first test of ASCII words against `keys` (`None` when a key is not ASCII).
    filter: Option<KeyFilter>,
    /// The query terms each analysed word yields, with their byte ranges in the word.
    memo: WordMap<&'t str, Vec<(&'t str, Range<usize>)>>,
    /// The current text's words and matches (kept to reuse their memory).
    words: Vec<(usize, &'t str)>,
    matches: Vec<(usize, &'t str, Range<usize>)>,
}

impl<'t> Snippets<'t> {
    /// A snippet maker for the query `terms`.
    pub fn new(terms: &'t HashSet<String>, max_words: usize, analyzer: &'t Analyzer) -> Self {
        // Snowball stemmers only rewrite the last character of what they keep (`happy` →
        // `happi`), so a word can only yield a term if it contains the term minus its last
        // character (up to 6 characters of it); every other word is skipped without being
        // analysed.
        let mut keys: Vec<String> = terms
            .iter()
            .map(|t| {
                let n = t.chars().count();
                let take = if n <= 2 { n } else { (n - 1).min(6) };
                t.chars().take(take).collect()
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let filter = KeyFilter::new(&keys);
        Snippets {
            terms,
            max_words,
            analyzer,
            keys,
            filter,
            memo: WordMap::default(),
            words: Vec::new(),
            matches: Vec::new(),
        }
    }

    /// The best window of `text` (see [`best_window`]).
    pub fn window(&mut self, text: &'t str) -> Snippet {
        self.window_sized(text, self.max_words)
    }

    /// The best window of at most `max_words` words of `text`: [`Snippets::window`] with
    /// another width (a hit's title beside its body), sharing the words analysed so far.
    pub fn window_sized(&mut self, text: &'t str, max_words: usize) -> Snippet {
        let (terms, analyzer) = (self.terms, self.analyzer);
        let mut words = std::mem::take(&mut self.words);
        fast_words_into(text, &mut words);
        if words.is_empty() || max_words == 0 {
            self.words = words;
            return Snippet::default();
        }
        let keys = &self.keys;
        let fold = analyzer.config().fold_diacritics;
        // (word index, term, byte range in text), by word index: sparse (most words match
        // nothing).
        let mut matches = std::mem::take(&mut self.matches);
        matches.clear();
        for (i, &(start, word)) in words.iter().enumerate() {
            // Plain words can only yield a term they start with; compounds (`fs.readFile`,
            // `parseHTTP`) also yield terms of their parts, found anywhere inside.
            let compound = word
                .bytes()
                .skip(1)
                .any(|b| b.is_ascii_uppercase() || matches!(b, b'.' | b'_' | b':' | b'\''));
            let candidate = if word.is_ascii() {
                match &self.filter {
                    // Most words share not even their first two letters with a key.
                    Some(f) => f.matches(keys, word.as_bytes(), compound),
                    None => keys.iter().any(|k| {
                        if compound {
                            contains_ignore_ascii_case(word.as_bytes(), k.as_bytes())
                        } else {
                            starts_with_ignore_ascii_case(word.as_bytes(), k.as_bytes())
                        }
                    }),
                }
            } else {
                let norm = crate::text::fold::normalise(word, fold);
                keys.iter().any(|k| norm.contains(k.as_str()))
            };
            if !candidate {
                continue;
            }
            // Each distinct word is analysed at most once per query.
            let found = self.memo.entry(word).or_insert_with(|| {
                // Only the tokens that can yield a query term are stemmed.
                let keep = |norm: &str| keys.iter().any(|k| norm.starts_with(k.as_str()));
                analyzer
                    .analyze_if(word, keep)
                    .into_iter()
                    .filter_map(|t| terms.get(&t.term).map(|k| (k.as_str(), t.start..t.end)))
                    .collect()
            });
            for &(term, ref r) in found.iter() {
                matches.push((i, term, start + r.start..start + r.end));
            }
        }
        let snippet = window_of(text, &words, &matches, max_words);
        (self.words, self.matches) = (words, matches);
        snippet
    }
}

/// The best window given the matches of each word (see [`best_window`]).
fn window_of(
    text: &str,
    words: &[(usize, &str)],
    matches: &[(usize, &str, Range<usize>)],
    max_words: usize,
) -> Snippet {
    let width = max_words.min(words.len());
    let distinct_terms = {
        let mut seen: WordMap<&str, ()> = WordMap::default();
        for m in matches {
            seen.insert(m.1, ());
        }
        seen.len().max(1)
    };
    // The earliest best window starts at word 0 or ends on a matched word (moving a window whose
    // last word matches nothing one word left loses nothing), so only those are scored: the
    // windows covering the most distinct terms, then the most matches, the earliest first.
    let mut firsts = vec![0usize];
    for &(w, ..) in matches {
        if w + 1 >= width {
            firsts.push((w + 1 - width).min(words.len() - width));
        }
    }
    firsts.dedup();
    let mut best = (0usize, 0usize, 0usize); // (distinct terms, matches, first word)
    let mut counts: WordMap<&str, usize> = WordMap::default();
    let (mut lo, mut hi, mut total) = (0usize, 0usize, 0usize);
    for first in firsts {
        while hi < matches.len() && matches[hi].0 < first + width {
            *counts.entry(matches[hi].1).or_default() += 1;
            total += 1;
            hi += 1;
        }
        while lo < hi && matches[lo].0 < first {
            let t = matches[lo].1;
            if let Some(c) = counts.get_mut(t) {
                *c -= 1;
                if *c == 0 {
                    counts.remove(t);
                }
            }
            total -= 1;
            lo += 1;
        }
        if (counts.len(), total) > (best.0, best.1) {
            best = (counts.len(), total, first);
        }
        // Every query term is in view: no later window can cover more of them.
        if counts.len() == distinct_terms {
            break;
        }
    }
    let first = best.2;
    let last = first + width - 1;
    let (wide_start, wide_end) = widen(
        text,
        words[first].0,
        words[last].0 + words[last].1.len(),
        first == 0,
        last + 1 == words.len(),
    );
    let mut ranges: Vec<Range<usize>> = matches
        .iter()
        .filter(|m| (first..=last).contains(&m.0))
        .map(|(_, _, r)| r.clone())
        .collect();
    let budget = max_words
        .saturating_mul(SNIPPET_CHARS_PER_WORD)
        .max(SNIPPET_MIN_CHARS);
    let focus = ranges.iter().map(|r| r.start).min().unwrap_or(wide_start);
    let (start, end) = cut_to_chars(text, wide_start, wide_end, focus, budget);
    // Highlights cut with the window keep what is left of them.
    ranges.retain_mut(|r| {
        r.start = r.start.max(start);
        r.end = r.end.min(end);
        r.start < r.end
    });
    ranges.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    let mut highlights: Vec<Range<usize>> = Vec::new();
    for r in ranges {
        match highlights.last_mut() {
            Some(prev) if r.start < prev.end => prev.end = prev.end.max(r.end),
            _ => highlights.push(r),
        }
    }
    Snippet {
        text: text[start..end].to_owned(),
        highlights: highlights
            .into_iter()
            .map(|r| (r.start - start)..(r.end - start))
            .collect(),
        truncated_start: first > 0 || start > wide_start,
        truncated_end: last + 1 < words.len() || end < wide_end,
    }
}

/// `start..end` of `text` cut to at most `budget` characters (on character boundaries) that
/// begin a quarter of the budget before `focus` where they can, so the match has context.
fn cut_to_chars(
    text: &str,
    start: usize,
    end: usize,
    focus: usize,
    budget: usize,
) -> (usize, usize) {
    // A character is at least one byte: a range of `budget` bytes or fewer fits.
    if end - start <= budget {
        return (start, end);
    }
    let focus = focus.clamp(start, end);
    let lead = budget / 4;
    let mut from = focus;
    for (taken, (i, _)) in text[start..focus].char_indices().rev().enumerate() {
        if taken == lead {
            break;
        }
        from = start + i;
    }
    let to = |from: usize| {
        text[from..end]
            .char_indices()
            .nth(budget)
            .map_or(end, |(i, _)| from + i)
    };
    let mut upto = to(from);
    if upto == end {
        // The focus is near the end: take the budget's last characters instead.
        from = text[start..end]
            .char_indices()
            .rev()
            .nth(budget - 1)
            .map_or(start, |(i, _)| start + i);
        upto = end;
    }
    (from, upto)
}

/// Widens the byte range of a window of words over the punctuation that belongs to it: to the
/// text's (trimmed) ends when the window reaches them, else over opening punctuation before its
/// first word and closing punctuation after its last (`(fs.readFile)`, `gzip.`, `“quoted”,`).
fn widen(
    text: &str,
    mut start: usize,
    mut end: usize,
    at_start: bool,
    at_end: bool,
) -> (usize, usize) {
    if at_start {
        start = text.len() - text.trim_start().len();
    } else {
        for (i, c) in text[..start].char_indices().rev() {
            if !matches!(c, '(' | '[' | '{' | '"' | '\'' | '‘' | '“' | '«' | '`') {
                break;
            }
            start = i;
        }
    }
    if at_end {
        end = text.trim_end().len();
    } else {
        let from = end;
        for (i, c) in text[from..].char_indices() {
            if !matches!(
                c,
                '.' | ','
                    | ';'
                    | ':'
                    | '!'
                    | '?'
                    | ')'
                    | ']'
                    | '}'
                    | '"'
                    | '\''
                    | '’'
                    | '”'
                    | '»'
                    | '…'
                    | '`'
            ) {
                break;
            }
            end = from + i + c.len_utf8();
        }
    }
    (start, end)
}

/// Word boundaries for snippets: runs of letters, digits, `_` and combining marks holding a
/// letter or digit, joined across a single `.`, `'`, `’` or `:` between letters (digits: `.`
/// and `'`), as UAX #29 does (`fs.readFile`, `don't`, `3.14`). Equal to Unicode word
/// segmentation on the Node.js sample and on accented, Greek and Cyrillic words (tested), and
/// far faster (ASCII by table, without decoding); elsewhere it may keep together what UAX #29
/// splits (a run of ideographs), which only makes
/// the snippet window measure in coarser words — matches inside are still found by the analyzer.
/// The words go into `out` (cleared first), reusing its memory.
fn fast_words_into<'a>(text: &'a str, out: &mut Vec<(usize, &'a str)>) {
    out.clear();
    let bytes = text.as_bytes();
    let n = bytes.len();
    // The character at byte `i` and its length; ASCII without decoding.
    let at = |i: usize| -> (char, usize) {
        match bytes.get(i) {
            Some(&b) if b < 0x80 => (char::from(b), 1),
            Some(_) => text[i..]
                .chars()
                .next()
                .map_or(('\0', 1), |c| (c, c.len_utf8())),
            None => ('\0', 0),
        }
    };
    out.reserve(n / 6);
    let mut i = 0;
    while i < n {
        // Skip to the next word's first character.
        let start = i;
        let b = bytes[i];
        if b < 0x80 {
            i += 1;
            if !WORD_BYTE[usize::from(b)] {
                continue;
            }
        } else {
            let (c, m) = at(i);
            i += m;
            if !c.is_alphanumeric() {
                continue;
            }
        }
        loop {
            // The rest of the run: ASCII by table, then letters, digits and combining marks.
            while i < n {
                let b = bytes[i];
                if b < 0x80 {
                    if !WORD_BYTE[usize::from(b)] {
                        break;
                    }
                    i += 1;
                } else {
                    let (c, m) = at(i);
                    if !(c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c)) {
                        break;
                    }
                    i += m;
                }
            }
            // UAX #29 WB6/7 and WB11/12: a single joiner between letters (or digits).
            if i >= n {
                break;
            }
            let (mid, m) = at(i);
            if !matches!(mid, '.' | '\'' | ':' | '’') {
                break;
            }
            // The last character before the joiner, combining marks aside (UAX #29 WB4).
            let prev = match bytes[i - 1] {
                b if b < 0x80 => char::from(b),
                _ => text[..i]
                    .chars()
                    .rev()
                    .find(|&c| !unicode_normalization::char::is_combining_mark(c))
                    .unwrap_or('\0'),
            };
            let (next, _) = at(i + m);
            let joins = (prev.is_alphabetic() && next.is_alphabetic())
                || (prev.is_numeric() && next.is_numeric() && mid != ':');
            if !joins {
                break;
            }
            i += m;
        }
        // Underscores alone are no word (UAX #29 words hold a letter or digit).
        if !bytes[start..i].iter().all(|&b| b == b'_') {
            out.push((start, &text[start..i]));
        }
    }
}

/// [`fast_words_into`], collected (tests).
#[cfg(test)]
fn fast_words(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    fast_words_into(text, &mut out);
    out
}

/// ASCII bytes that belong to words: letters, digits and `_`.
const WORD_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'_';
        b += 1;
    }
    t
};

/// Which pairs of leading letters the (lower-case ASCII) keys start with, and which single
/// letters are keys: a word can only start with (or, compound, contain) a key where it has one
/// of these.
struct KeyFilter {
    /// Bit `a * 256 + b`: a key starts with bytes `a b`.
    pairs: Box<[u64; 1024]>,
    /// A one-letter key.
    singles: [bool; 256],
    /// `(a * 256 + b, from, to)`: the sorted keys `from..to` start with bytes `a b`.
    heads: Vec<(u16, u32, u32)>,
}

impl KeyFilter {
    /// The filter of `keys` (sorted, as `Snippets` keeps them); `None` when one is not ASCII.
    fn new(keys: &[String]) -> Option<Self> {
        debug_assert!(
            keys.is_sorted(),
            "`matches` takes the keys of a pair to be adjacent"
        );
        if !keys.iter().all(|k| k.is_ascii() && !k.is_empty()) {
            return None;
        }
        let mut f = KeyFilter {
            pairs: Box::new([0; 1024]),
            singles: [false; 256],
            heads: Vec::new(),
        };
        for (n, k) in keys.iter().enumerate() {
            let n = u32::try_from(n).ok()?;
            match k.as_bytes() {
                [a] => f.singles[usize::from(*a)] = true,
                [a, b, ..] => {
                    let i = usize::from(*a) * 256 + usize::from(*b);
                    f.pairs[i / 64] |= 1 << (i % 64);
                    match f.heads.last_mut() {
                        Some(h) if usize::from(h.0) == i => h.2 = n + 1,
                        _ => f.heads.push((i as u16, n, n + 1)),
                    }
                }
                [] => {}
            }
        }
        Some(f)
    }

    /// Whether one of `keys` (the ones this filter was made from, sorted) starts `word` (or,
    /// `anywhere`, occurs in it), ignoring ASCII case. Only the keys starting with the word's
    /// two letters at a position are compared there: a handful instead of every key.
    fn matches(&self, keys: &[String], word: &[u8], anywhere: bool) -> bool {
        if anywhere {
            (0..word.len()).any(|i| self.matches_at(keys, word, i))
        } else {
            !word.is_empty() && self.matches_at(keys, word, 0)
        }
    }

    #[inline]
    fn matches_at(&self, keys: &[String], word: &[u8], i: usize) -> bool {
        let a = word[i].to_ascii_lowercase();
        if self.singles[usize::from(a)] {
            return true;
        }
        let Some(b) = word.get(i + 1).map(u8::to_ascii_lowercase) else {
            return false;
        };
        let j = usize::from(a) * 256 + usize::from(b);
        if self.pairs[j / 64] & (1 << (j % 64)) == 0 {
            return false;
        }
        let j = j as u16;
        self.heads
            .iter()
            .find(|h| h.0 == j)
            .and_then(|&(_, from, to)| keys.get(from as usize..to as usize))
            .is_some_and(|ks| {
                ks.iter()
                    .any(|k| starts_with_ignore_ascii_case(&word[i..], k.as_bytes()))
            })
    }
}

/// Whether `hay` starts with `needle` (lower-case ASCII), ignoring ASCII case.
fn starts_with_ignore_ascii_case(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len()
        && hay
            .iter()
            .zip(needle)
            .all(|(a, b)| a.to_ascii_lowercase() == *b)
}

/// Whether `hay` contains `needle` (lower-case ASCII) ignoring ASCII case, without allocating.
fn contains_ignore_ascii_case(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || hay.windows(needle.len()).any(|w| {
            w.iter()
                .zip(needle)
                .all(|(a, b)| a.to_ascii_lowercase() == *b)
        })
}

#[cfg(test)]
mod tests {
    use unicode_segmentation::UnicodeSegmentation;

    use super::*;

    fn q(a: &Analyzer, words: &str) -> HashSet<String> {
        a.terms(words).into_iter().collect()
    }

    /// The bodies of the Node.js docs sample.
    #[test]
    fn the_key_filter_matches_exactly_the_words_a_key_matches() {
        let mut keys: Vec<String> = ["st", "fil", "readf", "z", "http", "a", "buff", "stre", "fi"]
            .iter()
            .map(|k| (*k).to_owned())
            .collect();
        keys.sort_unstable();
        let f = KeyFilter::new(&keys).unwrap();
        let (mut kept, mut dropped) = (0, 0);
        for body in sample_bodies() {
            for (_, w) in fast_words(&body).into_iter().filter(|(_, w)| w.is_ascii()) {
                let b = w.as_bytes();
                for anywhere in [false, true] {
                    let full = keys.iter().any(|k| {
                        if anywhere {
                            contains_ignore_ascii_case(b, k.as_bytes())
                        } else {
                            starts_with_ignore_ascii_case(b, k.as_bytes())
                        }
                    });
                    let found = f.matches(&keys, b, anywhere);
                    assert_eq!(found, full, "{w:?} (anywhere: {anywhere})");
                    if found { kept += 1 } else { dropped += 1 }
                }
            }
        }
        // Both answers occur.
        assert!(dropped > kept && kept > 0, "{dropped} dropped, {kept} kept");
        // Keys that are not ASCII: no filter (every word is checked in full).
        assert!(KeyFilter::new(&["é".to_owned()]).is_none());
    }

    fn sample_bodies() -> Vec<String> {
        let sample: serde_json::Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/node-docs-sample.json"
        ))
        .unwrap();
        sample["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["body"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Stemming only the tokens that pass the key filter finds every query term a full analysis
    /// finds, at the same places.
    #[test]
    fn filtered_analysis_finds_what_full_analysis_finds() {
        let a = Analyzer::english();
        let mut found = 0;
        for query in [
            "read a file stream",
            "Buffer.from utf8 strings",
            "createServer options",
        ] {
            let terms = q(&a, query);
            let keys = Snippets::new(&terms, 24, &a).keys;
            let keep = |norm: &str| keys.iter().any(|k| norm.starts_with(k.as_str()));
            for body in sample_bodies() {
                for (_, word) in fast_words(&body) {
                    let pick = |tokens: Vec<crate::text::Token>| -> Vec<_> {
                        tokens
                            .into_iter()
                            .filter(|t| terms.contains(&t.term))
                            .map(|t| (t.term, t.start, t.end))
                            .collect()
                    };
                    let want = pick(a.analyze(word));
                    found += want.len();
                    assert_eq!(pick(a.analyze_if(word, keep)), want, "{query}: {word}");
                }
            }
        }
        assert!(found > 100, "{found}");
    }

    /// A query's snippets with one shared memo equal each text's own `best_window`.
    #[test]
    fn shared_snippets_equal_single_ones() {
        let a = Analyzer::english();
        let bodies = sample_bodies();
        for query in [
            "read a file stream",
            "Buffer.from utf8 strings",
            "http servers",
        ] {
            let terms = q(&a, query);
            let mut shared = Snippets::new(&terms, 24, &a);
            let mut highlighted = 0;
            for body in &bodies {
                let s = shared.window(body);
                highlighted += s.highlights.len();
                assert_eq!(s, best_window(body, &terms, 24, &a), "{query}");
            }
            assert!(highlighted > 10, "{query}: {highlighted}");
        }
    }

    #[test]
    fn snippets_are_bounded_by_characters_not_only_words() {
        let a = Analyzer::english();
        // One 200,000-character word (issue 24: it gave a 200,009-character snippet), then a
        // match; a run of ideographs (one "word"); a huge run of spaces between two words.
        let long = "x".repeat(200_000);
        let cases = [
            format!("{long} needle after it"),
            format!("needle {long}"),
            format!("start {} needle", "日本語".repeat(50_000)),
            format!("needle{}end", " ".repeat(100_000)),
            format!("{} needle", "é".repeat(100_000)),
        ];
        for text in &cases {
            for words in [1, 24, 200] {
                let s = best_window(text, &q(&a, "needle"), words, &a);
                let budget = (words * SNIPPET_CHARS_PER_WORD).max(SNIPPET_MIN_CHARS);
                let chars = s.text.chars().count();
                assert!(chars <= budget, "{words} words: {chars} chars");
                assert!(text.contains(&s.text));
                let marked: Vec<_> = s.highlights.iter().map(|r| &s.text[r.clone()]).collect();
                assert!(
                    marked.contains(&"needle") || !s.text.contains("needle"),
                    "{marked:?}"
                );
                if text.len() > budget * 4 {
                    assert!(s.truncated_start || s.truncated_end);
                }
            }
            // Short windows keep the match itself in view.
            let s = best_window(text, &q(&a, "needle"), 24, &a);
            assert!(
                s.text.contains("needle"),
                "{:?}",
                &s.text[..40.min(s.text.len())]
            );
        }
    }

    #[test]
    fn picks_window_with_most_distinct_terms() {
        let a = Analyzer::english();
        let text =
            "alpha beta gamma delta epsilon zeta eta theta iota kappa streams lambda pipes mu";
        let s = best_window(text, &q(&a, "stream pipe"), 4, &a);
        assert_eq!(s.text, "kappa streams lambda pipes");
        let marked: Vec<_> = s.highlights.iter().map(|r| &s.text[r.clone()]).collect();
        assert_eq!(marked, ["streams", "pipes"]);
        assert!(s.truncated_start);
        assert!(s.truncated_end);
    }

    #[test]
    fn identifier_parts_and_accents_highlight_the_source_text() {
        let a = Analyzer::english();
        let text = "Use fs.readFile to read a café menu";
        let s = best_window(text, &q(&a, "file cafe"), 10, &a);
        let marked: Vec<_> = s.highlights.iter().map(|r| &s.text[r.clone()]).collect();
        assert_eq!(marked, ["File", "café"]);
        let whole = best_window(text, &q(&a, "fs.readFile"), 10, &a);
        let marked: Vec<_> = whole
            .highlights
            .iter()
            .map(|r| &whole.text[r.clone()])
            .collect();
        assert_eq!(marked, ["fs.readFile", "read"]);
    }

    #[test]
    fn words_agree_with_unicode_segmentation() {
        for text in [
            "Use fs.readFile() and don't stop at 3.14 or v18.0.0, x:y; snake_case__x.",
            "a.b. c'd' e:f:g 'quoted' ... end. .start x__ _y 9.5x x.9",
            "http://example.com/a-b?c=d&e#f  tabs\tand\nnewlines",
        ] {
            let fast: Vec<_> = fast_words(text);
            let slow: Vec<_> = text.unicode_word_indices().collect();
            assert_eq!(fast, slow, "{text}");
        }
        // The Node.js sample, and letters beyond ASCII (accents, Greek, Cyrillic, curly
        // apostrophes), which segment alike too.
        let mut bodies = sample_bodies();
        bodies.push("Café naïve, Ωμέγα’s да́нные don’t «quoted» é.é e\u{301}.e 3.5€ x’".into());
        for text in &bodies {
            let fast: Vec<_> = fast_words(text);
            let slow: Vec<_> = text.unicode_word_indices().collect();
            let at = fast.iter().zip(&slow).position(|(a, b)| a != b);
            assert_eq!(fast, slow, "first difference at word {at:?}");
        }
    }

    #[test]
    fn no_match_gives_the_opening() {
        let a = Analyzer::english();
        let s = best_window("one two three four", &q(&a, "zzz"), 2, &a);
        assert_eq!(s.text, "one two");
        assert!(s.highlights.is_empty());
        assert!(!s.truncated_start);
        assert_eq!(best_window("", &q(&a, "x"), 5, &a), Snippet::default());
    }

    #[test]
    fn punctuation_of_the_window_stays_with_it() {
        let a = Analyzer::english();
        // A whole short text is the snippet, as written.
        let s = best_window("  (Compress data using gzip.)\n", &q(&a, "gzip"), 24, &a);
        assert_eq!(s.text, "(Compress data using gzip.)");
        assert_eq!(&s.text[s.highlights[0].clone()], "gzip");
        // Inside a longer text: opening and closing punctuation of the edge words only.
        let text = "One two (three four), five six.";
        let s = best_window(text, &q(&a, "three four"), 2, &a);
        assert_eq!(s.text, "(three four),");
        assert_eq!(&s.text[s.highlights[0].clone()], "three");
        assert!(s.truncated_start && s.truncated_end);
    }
}
