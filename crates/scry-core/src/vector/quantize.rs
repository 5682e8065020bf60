//! Symmetric int8 quantisation with one scale per vector: `x ≈ scale · q`, `q ∈ [-127, 127]`.

/// Quantises `v` into `out` (cleared first); returns the scale. A zero vector gets scale 0.
pub fn quantize_into(v: &[f32], out: &mut Vec<i8>) -> f32 {
    out.clear();
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    if max == 0.0 || !max.is_finite() || v.iter().any(|x| !x.is_finite()) {
        out.resize(v.len(), 0);
        return 0.0;
    }
    let inv = 127.0 / max;
    out.extend(
        v.iter()
            .map(|x| (x * inv).round().clamp(-127.0, 127.0) as i8),
    );
    max / 127.0
}

/// Quantises `v`; returns `(codes, scale)`.
pub fn quantize(v: &[f32]) -> (Vec<i8>, f32) {
    let mut out = Vec::with_capacity(v.len());
    let scale = quantize_into(v, &mut out);
    (out, scale)
}

/// The f32 values a quantised vector stands for.
pub fn dequantize(codes: &[i8], scale: f32) -> Vec<f32> {
    codes.iter().map(|&c| f32::from(c) * scale).collect()
}

/// L2-normalises `v` in place; returns false (leaving it unchanged) for a zero or non-finite one.
pub fn normalize(v: &mut [f32]) -> bool {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm == 0.0 || !norm.is_finite() {
        return false;
    }
    v.iter_mut().for_each(|x| *x /= norm);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_within_half_a_step() {
        let v: Vec<f32> = (0..384).map(|i| ((i as f32) * 0.37).sin()).collect();
        let (q, s) = quantize(&v);
        let back = dequantize(&q, s);
        for (a, b) in v.iter().zip(&back) {
            assert!((a - b).abs() <= s / 2.0 + 1e-6);
        }
        assert_eq!(q.iter().map(|x| x.unsigned_abs()).max(), Some(127));
    }

    #[test]
    fn zero_and_nan_vectors_are_handled() {
        assert_eq!(quantize(&[0.0; 4]), (vec![0; 4], 0.0));
        assert_eq!(quantize(&[f32::NAN, 1.0]).1, 0.0);
        let mut z = [0.0f32; 3];
        assert!(!normalize(&mut z));
        let mut v = [3.0f32, 4.0];
        assert!(normalize(&mut v));
        assert!((v[0] - 0.6).abs() < 1e-6);
    }
}
