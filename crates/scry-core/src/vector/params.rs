//! Vector-search parameters, named after the HNSW paper (Malkov & Yashunin) and validated.

use crate::error::{Result, check_range};

/// How vectors are compared. Scores are always "higher is more similar".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Cosine similarity (vectors are L2-normalised on the way in). Score in [-1, 1].
    #[default]
    Cosine,
    /// Raw dot product.
    Dot,
    /// Euclidean: score is the negated squared distance.
    L2,
}

impl Metric {
    /// Stable numeric tag used by the persistence format.
    pub fn tag(self) -> u8 {
        match self {
            Metric::Cosine => 0,
            Metric::Dot => 1,
            Metric::L2 => 2,
        }
    }

    /// The metric with this tag.
    pub fn from_tag(tag: u8) -> Option<Self> {
        match tag {
            0 => Some(Metric::Cosine),
            1 => Some(Metric::Dot),
            2 => Some(Metric::L2),
            _ => None,
        }
    }
}

/// HNSW graph parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HnswParams {
    /// Links kept per node on the upper layers (`2·M` on layer 0). instant-distance builds with
    /// its fixed M = 32; scry keeps the `M` closest selected links of each node when it freezes
    /// the graph. Default 32; valid `4..=32`.
    pub m: usize,
    /// Candidate list size while building. Default 32; valid `8..=1000`.
    pub ef_construction: usize,
    /// Candidate list size while searching (raised to `k` when smaller). Default 64; valid
    /// `1..=10_000`.
    pub ef_search: usize,
    /// Seed of the level assignment (builds are deterministic). Default 0x5C27.
    pub seed: u64,
    /// Select neighbours with HNSW's heuristic (Malkov & Yashunin, algorithm 4), which keeps
    /// links diverse. Off: keep simply the closest, which builds faster. Default true.
    pub heuristic: bool,
}

impl Default for HnswParams {
    fn default() -> Self {
        Self {
            m: 32,
            ef_construction: 32,
            ef_search: 64,
            seed: 0x5C27,
            heuristic: true,
        }
    }
}

/// Vector-index parameters.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct VectorParams {
    /// Similarity metric. Default cosine.
    pub metric: Metric,
    /// HNSW parameters.
    pub hnsw: HnswParams,
    /// Segments with at least this many vectors get an HNSW graph; smaller ones are scanned
    /// exactly. Default 4096; valid `1..=1_000_000`.
    pub hnsw_threshold: usize,
    /// Candidates re-scored with the full-precision query (at least k are). Default 30; valid
    /// `1..=10_000`.
    pub rescore: usize,
    /// Keep the original f32 vectors for exact re-scoring (4× the memory of int8). Default false.
    pub keep_f32: bool,
}

impl Default for VectorParams {
    fn default() -> Self {
        Self {
            metric: Metric::Cosine,
            hnsw: HnswParams::default(),
            hnsw_threshold: 4096,
            rescore: 30,
            keep_f32: false,
        }
    }
}

impl VectorParams {
    /// Checks every parameter against its documented range.
    pub fn validate(self) -> Result<Self> {
        check_range("m", self.hnsw.m, 4, 32)?;
        check_range("efConstruction", self.hnsw.ef_construction, 8, 1000)?;
        check_range("efSearch", self.hnsw.ef_search, 1, 10_000)?;
        check_range("hnswThreshold", self.hnsw_threshold, 1, 1_000_000)?;
        check_range("rescore", self.rescore, 1, 10_000)?;
        Ok(self)
    }
}
