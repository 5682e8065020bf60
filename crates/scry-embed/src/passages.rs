//! Splitting long documents into overlapping passages measured in tokenizer tokens.
//!
//! An embedding model reads a bounded number of word pieces (256 for MiniLM); text beyond that is
//! cut off and never influences the vector. The index therefore stores a long document as several
//! passages and returns the document. Passages end at sentence boundaries (Unicode UAX #29),
//! preferring paragraph boundaries (a blank line) when one falls in the second half of a window;
//! consecutive passages share up to `overlap` tokens of whole sentences so that a statement at a
//! boundary is seen whole by at least one passage. A sentence longer than a window is split
//! between words, and a "word" longer than a window (a URL, a base64 blob) between tokens.

use unicode_segmentation::UnicodeSegmentation;

use crate::error::{EmbedError, Result};

/// One passage of a document: a byte range of the text and its size in tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Passage {
    /// Byte offset of the passage's first character in the document.
    pub start: usize,
    /// Byte offset just past the passage's last character.
    pub end: usize,
    /// Tokens in the passage (word pieces, without the model's special tokens).
    pub tokens: usize,
}

impl Passage {
    /// The passage's text, sliced from the document it was split from.
    pub fn text<'a>(&self, document: &'a str) -> &'a str {
        document.get(self.start..self.end).unwrap_or("")
    }
}

/// A tokenizer as the splitter sees it: the byte spans (`start..end` in the string it is given)
/// of a text's tokens, without special tokens.
pub type TokenSpans<'a> = dyn Fn(&str) -> Result<Vec<(usize, usize)>> + 'a;

/// A run of text the splitter keeps together when it can: a byte range and its tokens.
#[derive(Debug, Clone, Copy)]
struct Unit {
    start: usize,
    end: usize,
    tokens: usize,
    /// A blank line follows this unit (a paragraph ends here).
    paragraph_end: bool,
}

/// Splits `text` into passages of at most `max_tokens` tokens, consecutive passages sharing up to
/// `overlap` tokens (see the module docs), counting tokens with `tokenize`.
///
/// `max_tokens` must be ≥ 1 and `overlap` < `max_tokens` (`INVALID_PARAMETER`); a blank text
/// gives no passages.
pub fn split_passages_with(
    text: &str,
    max_tokens: usize,
    overlap: usize,
    tokenize: &TokenSpans<'_>,
) -> Result<Vec<Passage>> {
    if max_tokens == 0 {
        return Err(EmbedError::InvalidParameter {
            name: "max_tokens",
            reason: "must be at least 1".into(),
        });
    }
    if overlap >= max_tokens {
        return Err(EmbedError::InvalidParameter {
            name: "overlap",
            reason: format!("must be less than max_tokens ({max_tokens}), got {overlap}"),
        });
    }
    let spans = tokenize(text)?;
    let units = units(text, &spans, max_tokens);
    Ok(pack(&units, max_tokens, overlap))
}

/// Sentences, with over-long ones broken into words and over-long words into tokens. Units
/// without tokens (whitespace, lone punctuation the tokenizer drops) are merged into neighbours
/// by the byte ranges of the passages.
fn units(text: &str, spans: &[(usize, usize)], max_tokens: usize) -> Vec<Unit> {
    let mut units = Vec::new();
    let mut next_token = 0;
    for (start, sentence) in text.split_sentence_bound_indices() {
        let end = start + sentence.len();
        let first = next_token;
        while next_token < spans.len() && spans[next_token].0 < end {
            next_token += 1;
        }
        let tokens = &spans[first..next_token];
        if tokens.is_empty() {
            continue;
        }
        if tokens.len() <= max_tokens {
            units.push(Unit {
                start: tokens[0].0,
                end: tokens[tokens.len() - 1].1,
                tokens: tokens.len(),
                paragraph_end: false,
            });
            continue;
        }
        // Too long for one window: words (runs of tokens without a gap between them).
        let mut w = 0;
        while w < tokens.len() {
            let mut e = w + 1;
            while e < tokens.len() && tokens[e].0 <= tokens[e - 1].1 {
                e += 1;
            }
            for chunk in tokens[w..e].chunks(max_tokens) {
                units.push(Unit {
                    start: chunk[0].0,
                    end: chunk[chunk.len() - 1].1,
                    tokens: chunk.len(),
                    paragraph_end: false,
                });
            }
            w = e;
        }
    }
    // A paragraph ends where the text between two units holds a blank line.
    for i in 1..units.len() {
        let gap = text.get(units[i - 1].end..units[i].start).unwrap_or("");
        units[i - 1].paragraph_end = gap.matches('\n').count() >= 2;
    }
    units
}

/// Greedy packing of units into windows of at most `max_tokens`, with overlap.
fn pack(units: &[Unit], max_tokens: usize, overlap: usize) -> Vec<Passage> {
    let mut passages = Vec::new();
    let mut start = 0;
    while start < units.len() {
        // Extend while the next unit fits.
        let mut end = start;
        let mut tokens = 0;
        while end < units.len() && tokens + units[end].tokens <= max_tokens {
            tokens += units[end].tokens;
            end += 1;
        }
        if end < units.len() {
            // The window is full: end it at the last paragraph boundary in its second half.
            let mut acc = 0;
            let mut best = None;
            for (i, u) in units[start..end].iter().enumerate() {
                acc += u.tokens;
                if u.paragraph_end && acc * 2 >= max_tokens && start + i + 1 < end {
                    best = Some((start + i + 1, acc));
                }
            }
            if let Some((e, t)) = best {
                end = e;
                tokens = t;
            }
        }
        passages.push(Passage {
            start: units[start].start,
            end: units[end - 1].end,
            tokens,
        });
        if end >= units.len() {
            break;
        }
        // The next window starts at the earliest unit after `start` whose run to `end` fits in
        // `overlap` tokens; with no such unit it starts at `end` (no overlap).
        let mut next = end;
        let mut shared = 0;
        while next > start + 1 && shared + units[next - 1].tokens <= overlap {
            shared += units[next - 1].tokens;
            next -= 1;
        }
        start = next;
    }
    passages
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test tokenizer: every run of alphanumerics is one token, every other non-space
    /// character is one token.
    fn spans(text: &str) -> Result<Vec<(usize, usize)>> {
        let mut out = Vec::new();
        let mut word: Option<usize> = None;
        for (i, c) in text.char_indices() {
            if c.is_alphanumeric() {
                word.get_or_insert(i);
                continue;
            }
            if let Some(s) = word.take() {
                out.push((s, i));
            }
            if !c.is_whitespace() {
                out.push((i, i + c.len_utf8()));
            }
        }
        if let Some(s) = word {
            out.push((s, text.len()));
        }
        Ok(out)
    }

    fn split(text: &str, max: usize, overlap: usize) -> Vec<String> {
        split_passages_with(text, max, overlap, &spans)
            .unwrap()
            .iter()
            .map(|p| {
                assert!(p.tokens <= max, "{p:?}");
                assert_eq!(p.tokens, spans(p.text(text)).unwrap().len());
                p.text(text).to_owned()
            })
            .collect()
    }

    #[test]
    fn short_text_is_one_passage_and_blank_text_none() {
        assert_eq!(split("  Hello world.  ", 10, 2), ["Hello world."]);
        assert!(split(" \n\t ", 10, 2).is_empty());
        assert!(split("", 10, 0).is_empty());
    }

    #[test]
    fn windows_end_at_sentence_boundaries_and_overlap_by_whole_sentences() {
        // Each sentence is 3 tokens ("One two." = One, two, .).
        let text = "A b. C d. E f. G h. I j.";
        assert_eq!(split(text, 6, 0), ["A b. C d.", "E f. G h.", "I j."]);
        assert_eq!(
            split(text, 6, 3),
            ["A b. C d.", "C d. E f.", "E f. G h.", "G h. I j."]
        );
        // An overlap smaller than a sentence gives no overlap.
        assert_eq!(split(text, 6, 2), ["A b. C d.", "E f. G h.", "I j."]);
        assert_eq!(split(text, 9, 3), ["A b. C d. E f.", "E f. G h. I j."]);
    }

    #[test]
    fn prefers_paragraph_boundaries_in_the_second_half() {
        let text = "A b. C d.\n\nE f. G h. I j. K l.";
        // Greedy would take "A b. C d. E f." (9 tokens); the paragraph ends after 6 ≥ 9/2.
        assert_eq!(split(text, 9, 0), ["A b. C d.", "E f. G h. I j.", "K l."]);
        // A paragraph boundary in the first half is not worth a short passage.
        let text = "A b.\n\nC d. E f. G h. I j.";
        assert_eq!(split(text, 9, 0), ["A b.\n\nC d. E f.", "G h. I j."]);
    }

    #[test]
    fn long_sentences_split_between_words_and_long_words_between_tokens() {
        let text = "one two three four five six seven.";
        assert_eq!(
            split(text, 3, 1),
            ["one two three", "three four five", "five six", "six seven."]
        );
        // "a-b-c-d-e" is one word of 9 tokens.
        assert_eq!(split("a-b-c-d-e", 4, 0), ["a-b-", "c-d-", "e"]);
    }

    #[test]
    fn offsets_are_byte_offsets_into_multibyte_text() {
        let text = "Grüße aus Köln. 日本語 です。 Добрый день.";
        let parts = split(text, 4, 0);
        assert_eq!(parts.concat().replace(' ', ""), text.replace(' ', ""));
    }

    #[test]
    fn rejects_bad_parameters() {
        for (max, overlap) in [(0, 0), (4, 4), (4, 9)] {
            let err = split_passages_with("a b", max, overlap, &spans).unwrap_err();
            assert_eq!(err.code(), "INVALID_PARAMETER");
        }
    }
}
