//! The `Embedder` trait (text → vectors) and a deterministic test embedder.
//!
//! Implementations live at the edges (scry-embed runs ONNX models); the engine only sees this
//! trait, tags every vector set with [`ModelTag`] and refuses to mix vectors of different models.

use crate::error::{CoreError, Result};

/// Identifies the model that produced a set of vectors.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ModelTag {
    /// Stable model id (e.g. `all-MiniLM-L6-v2-int8`).
    pub id: String,
    /// Output dimension.
    pub dims: usize,
    /// Hash (hex sha256) of the model's manifest entry and files: changes when the weights do.
    pub fingerprint: String,
}

/// Turns texts into L2-normalised vectors of `model().dims` floats.
pub trait Embedder {
    /// The model behind this embedder.
    fn model(&self) -> &ModelTag;

    /// Embeds a batch; returns one vector per text, in order. Empty or blank texts are an error
    /// (`INVALID_INPUT`), never a zero vector.
    fn embed(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>>;
}

/// A deterministic embedder for tests: hashed bag of character trigrams of the lower-cased words,
/// L2-normalised. Similar wording gives similar vectors; it knows nothing of meaning.
#[derive(Debug, Clone)]
pub struct HashEmbedder {
    tag: ModelTag,
}

impl HashEmbedder {
    /// A hash embedder producing `dims`-dimensional vectors (`dims` ≥ 1).
    pub fn new(dims: usize) -> Result<Self> {
        if dims == 0 {
            return Err(CoreError::InvalidParameter {
                name: "dims",
                reason: "must be at least 1".into(),
            });
        }
        Ok(Self {
            tag: ModelTag {
                id: format!("hash-trigram-{dims}"),
                dims,
                fingerprint: "0".repeat(64),
            },
        })
    }

    fn embed_one(&self, text: &str) -> Vec<f32> {
        let dims = self.tag.dims;
        let mut v = vec![0f32; dims];
        for word in text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            let w: Vec<char> = format!("^{}$", word.to_lowercase()).chars().collect();
            for tri in w.windows(3) {
                // FNV-1a over the trigram's chars.
                let mut h: u64 = 0xcbf2_9ce4_8422_2325;
                for c in tri {
                    h ^= u64::from(u32::from(*c));
                    h = h.wrapping_mul(0x0100_0000_01b3);
                }
                let sign = if h & 1 == 0 { 1.0 } else { -1.0 };
                v[((h >> 1) % dims as u64) as usize] += sign;
            }
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|x| *x /= norm);
        }
        v
    }
}

impl Embedder for HashEmbedder {
    fn model(&self) -> &ModelTag {
        &self.tag
    }

    fn embed(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        texts
            .iter()
            .map(|t| {
                if t.trim().is_empty() {
                    Err(CoreError::InvalidInput("cannot embed an empty text".into()))
                } else {
                    Ok(self.embed_one(t))
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cos(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn similar_text_is_closer_and_output_is_normalised() {
        let mut e = HashEmbedder::new(64).unwrap();
        let v = e
            .embed(&["readable stream", "readable streams", "tls certificate"])
            .unwrap();
        assert!((cos(&v[0], &v[0]) - 1.0).abs() < 1e-5);
        assert!(cos(&v[0], &v[1]) > cos(&v[0], &v[2]));
        assert_eq!(e.embed(&["  "]).unwrap_err().code(), "INVALID_INPUT");
    }
}
