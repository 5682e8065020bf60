//! Splitting long texts into overlapping passages at sentence boundaries, so every passage fits
//! the embedding model (the index stores passages and returns documents).

use std::ops::Range;

use unicode_segmentation::UnicodeSegmentation;

use crate::error::{CoreError, Result};

/// How texts are cut into passages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PassageParams {
    /// Longest passage in bytes (≈ 4 bytes per word piece for English; the default fits
    /// MiniLM's 256-piece window). Default 1000; valid `100..=100_000`.
    pub max_bytes: usize,
    /// Sentences repeated at the start of the next passage. Default 1; valid `0..=5`.
    pub overlap_sentences: usize,
}

impl Default for PassageParams {
    fn default() -> Self {
        Self {
            max_bytes: 1000,
            overlap_sentences: 1,
        }
    }
}

impl PassageParams {
    /// Checks the documented ranges.
    pub fn validate(self) -> Result<Self> {
        if !(100..=100_000).contains(&self.max_bytes) {
            return Err(CoreError::InvalidParameter {
                name: "maxBytes",
                reason: format!("{} is outside 100..=100000", self.max_bytes),
            });
        }
        if self.overlap_sentences > 5 {
            return Err(CoreError::InvalidParameter {
                name: "overlapSentences",
                reason: format!("{} is outside 0..=5", self.overlap_sentences),
            });
        }
        Ok(self)
    }
}

/// Byte ranges of the passages of `text`. Sentences longer than `max_bytes` are cut at word
/// boundaries. A blank text gives no passages.
pub fn split(text: &str, params: &PassageParams) -> Vec<Range<usize>> {
    // Units: sentences, with over-long ones cut into word-bounded pieces.
    let mut units: Vec<Range<usize>> = Vec::new();
    for (start, s) in text.split_sentence_bound_indices() {
        if s.trim().is_empty() {
            continue;
        }
        if s.len() <= params.max_bytes {
            units.push(start..start + s.len());
            continue;
        }
        let mut piece_start = start;
        let mut last_end = start;
        for (ws, w) in s.split_word_bound_indices() {
            let (ws, we) = (start + ws, start + ws + w.len());
            if we - piece_start > params.max_bytes && last_end > piece_start {
                units.push(piece_start..last_end);
                piece_start = ws;
            }
            last_end = we;
        }
        if last_end > piece_start {
            units.push(piece_start..last_end);
        }
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < units.len() {
        let start = units[i].start;
        let mut j = i;
        while j + 1 < units.len() && units[j + 1].end - start <= params.max_bytes {
            j += 1;
        }
        out.push(start..units[j].end);
        if j + 1 >= units.len() {
            break;
        }
        // Next passage starts `overlap` sentences back, but always moves forward.
        i = (j + 1).saturating_sub(params.overlap_sentences).max(i + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_one_passage() {
        let p = split("One sentence. Two sentences.", &PassageParams::default());
        assert_eq!(p, vec![0..28]);
        assert!(split("   ", &PassageParams::default()).is_empty());
    }

    #[test]
    fn long_text_splits_with_overlap_and_covers_everything() {
        let sentences: Vec<String> = (0..60)
            .map(|i| format!("Sentence number {i} is here."))
            .collect();
        let text = sentences.join(" ");
        let params = PassageParams {
            max_bytes: 200,
            overlap_sentences: 1,
        };
        let parts = split(&text, &params);
        assert!(parts.len() > 5);
        for r in &parts {
            assert!(r.end - r.start <= 200);
            assert!(text[r.clone()].trim_end().ends_with('.'));
        }
        assert_eq!(parts[0].start, 0);
        assert_eq!(parts.last().unwrap().end, text.len());
        for w in parts.windows(2) {
            assert!(w[1].start < w[0].end, "passages overlap by a sentence");
        }
    }

    #[test]
    fn a_giant_sentence_is_cut_at_words() {
        let text = "word ".repeat(1000);
        let parts = split(
            &text,
            &PassageParams {
                max_bytes: 100,
                overlap_sentences: 0,
            },
        );
        assert!(parts.len() >= 50);
        for r in parts {
            assert!(r.end - r.start <= 100);
            assert!(!text[r].trim().is_empty());
        }
    }
}
