//! Text-ranking parameters: BM25's `k1` and `b` (Robertson & Zaragoza), field boosts, how fields
//! combine, and the query expansions (prefix, typo tolerance). All validated.

use super::segment::FIELD_COUNT;
use crate::error::{Result, check_range};

/// How per-field statistics are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FieldScoring {
    /// BM25F (Robertson, Zaragoza & Taylor 2004): boosted, length-normalised term frequencies are
    /// summed over fields before saturation; one document-level IDF.
    #[default]
    Bm25f,
    /// Independent BM25 per field (own IDF and saturation), summed with the boosts.
    PerFieldSum,
}

/// Parameters of full-text ranking.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Bm25Params {
    /// Term-frequency saturation. Default 1.2; valid range `0.0..=10.0`.
    pub k1: f32,
    /// Length normalisation. Default 0.75; valid range `0.0..=1.0`.
    pub b: f32,
    /// Boosts of title, headings, body and tags. Defaults 5, 2, 1, 1.5 (tuned on the Node.js docs set); each `0.0..=100.0`.
    pub boosts: [f32; FIELD_COUNT],
    /// How fields combine. Default BM25F.
    pub scoring: FieldScoring,
    /// Weight of a match of a compound-word part (`read` of `readFile`) in the query, relative
    /// to a whole word. Default 0.5; `0.0..=1.0`.
    pub part_weight: f32,
    /// Expand the query's last word as a prefix (search as you type). Default true.
    pub prefix: bool,
    /// Weight of prefix expansions. Default 0.8; `0.0..=1.0`.
    pub prefix_weight: f32,
    /// Factor on `prefix_weight` when the last word is itself a known term (then it is probably
    /// complete). Default 0.25; `0.0..=1.0`.
    pub known_prefix_factor: f32,
    /// Most prefix expansions per query (the most frequent terms win). Default 8 (24 scored the
    /// same on the Node.js set and cost 60 % more time per query); `1..=1000`.
    pub max_prefix_terms: usize,
    /// Match words of ≥ `typo_min_chars` characters within one edit. Default true.
    pub typos: bool,
    /// Shortest word (in characters) that may match with a typo. Default 5; `1..=64`.
    pub typo_min_chars: usize,
    /// Weight of a match with a typo (below 1 so exact matches rank first). Default 0.4;
    /// `0.0..=1.0`.
    pub typo_weight: f32,
    /// Leave the words of [`super::query::QUERY_STOP_WORDS`] (how, what, do, I, can, …) out
    /// of a query that has other words. Default true.
    pub query_stop_words: bool,
}

impl Default for Bm25Params {
    fn default() -> Self {
        Self {
            k1: 1.2,
            b: 0.75,
            boosts: [5.0, 2.0, 1.0, 1.5],
            scoring: FieldScoring::Bm25f,
            part_weight: 0.5,
            prefix: true,
            prefix_weight: 0.8,
            known_prefix_factor: 0.25,
            max_prefix_terms: 8,
            typos: true,
            typo_min_chars: 5,
            typo_weight: 0.4,
            query_stop_words: true,
        }
    }
}

impl Bm25Params {
    /// Checks every parameter against its documented range.
    pub fn validate(self) -> Result<Self> {
        check_range("k1", self.k1, 0.0, 10.0)?;
        check_range("b", self.b, 0.0, 1.0)?;
        for boost in self.boosts {
            check_range("boosts", boost, 0.0, 100.0)?;
        }
        check_range("partWeight", self.part_weight, 0.0, 1.0)?;
        check_range("prefixWeight", self.prefix_weight, 0.0, 1.0)?;
        check_range("knownPrefixFactor", self.known_prefix_factor, 0.0, 1.0)?;
        check_range("typoWeight", self.typo_weight, 0.0, 1.0)?;
        check_range("maxPrefixTerms", self.max_prefix_terms, 1, 1000)?;
        check_range("typoMinChars", self.typo_min_chars, 1, 64)?;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_out_of_range_and_nan() {
        assert!(Bm25Params::default().validate().is_ok());
        let bad = [
            Bm25Params {
                k1: -0.1,
                ..Default::default()
            },
            Bm25Params {
                k1: 11.0,
                ..Default::default()
            },
            Bm25Params {
                b: 1.5,
                ..Default::default()
            },
            Bm25Params {
                k1: f32::NAN,
                ..Default::default()
            },
            Bm25Params {
                boosts: [1.0, 1.0, f32::INFINITY, 1.0],
                ..Default::default()
            },
            Bm25Params {
                typo_min_chars: 0,
                ..Default::default()
            },
            Bm25Params {
                max_prefix_terms: 0,
                ..Default::default()
            },
        ];
        for p in bad {
            assert_eq!(
                p.validate().unwrap_err().code(),
                "INVALID_PARAMETER",
                "{p:?}"
            );
        }
    }
}
