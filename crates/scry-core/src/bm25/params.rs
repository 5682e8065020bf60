//! BM25 parameters (Robertson & Zaragoza's `k1` and `b`), validated.

use crate::error::{CoreError, Result};

/// Parameters of the BM25 ranking function.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bm25Params {
    /// Term-frequency saturation. Default 1.2; valid range `0.0..=10.0`.
    pub k1: f32,
    /// Length normalisation. Default 0.75; valid range `0.0..=1.0`.
    pub b: f32,
}

impl Default for Bm25Params {
    fn default() -> Self {
        Self { k1: 1.2, b: 0.75 }
    }
}

impl Bm25Params {
    /// Checks both parameters against their documented ranges.
    pub fn validate(self) -> Result<Self> {
        if !(0.0..=10.0).contains(&self.k1) {
            return Err(CoreError::InvalidParameter {
                name: "k1",
                reason: format!("{} is outside 0.0..=10.0", self.k1),
            });
        }
        if !(0.0..=1.0).contains(&self.b) {
            return Err(CoreError::InvalidParameter {
                name: "b",
                reason: format!("{} is outside 0.0..=1.0", self.b),
            });
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_out_of_range_and_nan() {
        assert!(Bm25Params::default().validate().is_ok());
        for (k1, b) in [
            (-0.1, 0.5),
            (11.0, 0.5),
            (1.2, 1.5),
            (f32::NAN, 0.5),
            (1.2, f32::NAN),
        ] {
            let err = Bm25Params { k1, b }.validate().unwrap_err();
            assert_eq!(err.code(), "INVALID_PARAMETER");
        }
    }
}
