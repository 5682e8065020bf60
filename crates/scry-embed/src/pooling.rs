//! Pooling of token outputs into one vector per text, and L2 normalisation.

/// How token outputs become one vector (the manifest's `pooling`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    /// Mean over the tokens the attention mask keeps (sentence-transformers' default).
    Mean,
    /// The first token's output (`[CLS]`).
    Cls,
}

impl Pooling {
    /// Parses the manifest's name for a pooling (`mean`, `cls`).
    pub fn from_manifest(name: &str) -> Option<Self> {
        match name {
            "mean" => Some(Pooling::Mean),
            "cls" => Some(Pooling::Cls),
            _ => None,
        }
    }

    /// Pools one text's token outputs. `hidden` holds `mask.len()` rows of `dims` floats;
    /// `mask[t]` is 1 for real tokens and 0 for padding. Writes `dims` floats to `out`.
    pub fn pool(self, hidden: &[f32], mask: &[i64], dims: usize, out: &mut [f32]) {
        out.fill(0.0);
        match self {
            Pooling::Cls => {
                if let Some(first) = hidden.get(..dims) {
                    out.copy_from_slice(first);
                }
            }
            Pooling::Mean => {
                let mut count = 0f32;
                for (row, &m) in hidden.chunks_exact(dims).zip(mask) {
                    if m != 0 {
                        count += 1.0;
                        out.iter_mut().zip(row).for_each(|(o, h)| *o += h);
                    }
                }
                // sentence-transformers clamps the count at 1e-9.
                let inv = 1.0 / count.max(1e-9);
                out.iter_mut().for_each(|o| *o *= inv);
            }
        }
    }
}

/// Divides `v` by its L2 norm (clamped at 1e-12, like `torch.nn.functional.normalize`).
pub fn l2_normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= norm);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_ignores_padding_and_cls_takes_the_first_row() {
        let hidden = [1.0, 2.0, 3.0, 4.0, 100.0, 100.0];
        let mut out = [0.0; 2];
        Pooling::Mean.pool(&hidden, &[1, 1, 0], 2, &mut out);
        assert_eq!(out, [2.0, 3.0]);
        Pooling::Cls.pool(&hidden, &[1, 1, 0], 2, &mut out);
        assert_eq!(out, [1.0, 2.0]);
        assert_eq!(Pooling::from_manifest("mean"), Some(Pooling::Mean));
        assert_eq!(Pooling::from_manifest("max"), None);
    }

    #[test]
    fn normalises_to_unit_length() {
        let mut v = [3.0, 4.0];
        l2_normalize(&mut v);
        assert_eq!(v, [0.6, 0.8]);
        let mut zero = [0.0, 0.0];
        l2_normalize(&mut zero);
        assert_eq!(zero, [0.0, 0.0]);
    }
}
