//! Dot products on int8 and f32 vectors, written so that LLVM vectorises them: wasm SIMD128 in
//! the browser (build with `-C target-feature=+simd128`), SSE2 natively, and AVX2 on x86-64
//! CPUs that have it (detected at run time; the same portable code compiled for AVX2).

/// Lanes per block; 16 int8 values = one 128-bit register.
const LANES: usize = 16;

/// Σ aᵢ·bᵢ over int8 vectors, exact in i32 (vectors up to 133,000 long cannot overflow).
#[inline]
pub fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        return x86::dot_i8(a, b);
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    return simd128::dot_i8(a, b);
    #[allow(unreachable_code)]
    dot_i8_portable(a, b)
}

#[inline(always)]
fn dot_i8_portable(a: &[i8], b: &[i8]) -> i32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0i32; LANES];
    let (ac, bc) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ar, br) = (ac.remainder(), bc.remainder());
    for (x, y) in ac.zip(bc) {
        for i in 0..LANES {
            acc[i] += i32::from(x[i]) * i32::from(y[i]);
        }
    }
    let mut s: i32 = acc.iter().sum();
    for (x, y) in ar.iter().zip(br) {
        s += i32::from(*x) * i32::from(*y);
    }
    s
}

/// Σ aᵢ·bᵢ over f32 vectors, with 8 independent partial sums (vectorisable without fast-math).
#[inline]
pub fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        return x86::dot_f32(a, b);
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    return simd128::dot_f32(a, b);
    #[allow(unreachable_code)]
    dot_f32_portable(a, b)
}

#[inline(always)]
fn dot_f32_portable(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ar, br) = (ac.remainder(), bc.remainder());
    for (x, y) in ac.zip(bc) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut s = (acc[0] + acc[4]) + (acc[1] + acc[5]) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (x, y) in ar.iter().zip(br) {
        s += x * y;
    }
    s
}

/// Σ aᵢ·bᵢ with `a` in f32 and `b` in int8 (asymmetric: the query keeps full precision).
#[inline]
pub fn dot_f32_i8(a: &[f32], b: &[i8]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        return x86::dot_f32_i8(a, b);
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    return simd128::dot_f32_i8(a, b);
    #[allow(unreachable_code)]
    dot_f32_i8_portable(a, b)
}

#[inline(always)]
fn dot_f32_i8_portable(a: &[f32], b: &[i8]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ar, br) = (ac.remainder(), bc.remainder());
    for (x, y) in ac.zip(bc) {
        for i in 0..8 {
            acc[i] += x[i] * f32::from(y[i]);
        }
    }
    let mut s = (acc[0] + acc[4]) + (acc[1] + acc[5]) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (x, y) in ar.iter().zip(br) {
        s += x * f32::from(*y);
    }
    s
}

/// wasm SIMD128 kernels (LLVM's auto-vectorisation of the portable code shuffles too much).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[allow(unsafe_code)]
mod simd128 {
    use core::arch::wasm32::*;

    /// One 16-byte load (`v128.load`; building the vector lane by lane costs 16 loads).
    #[inline(always)]
    fn load_i8(x: &[i8]) -> v128 {
        assert!(x.len() >= 16);
        // SAFETY: `x` has at least 16 readable bytes (checked above; callers pass
        // `chunks_exact(16)` chunks, so the check folds away); wasm loads need no alignment.
        unsafe { v128_load(x.as_ptr().cast::<v128>()) }
    }

    /// One 16-byte load of four f32s.
    #[inline(always)]
    fn load_f32(x: &[f32]) -> v128 {
        assert!(x.len() >= 4);
        // SAFETY: as above, 4 f32s = 16 readable bytes.
        unsafe { v128_load(x.as_ptr().cast::<v128>()) }
    }

    /// Eight i8s widened to two f32x4 (low, high).
    #[inline(always)]
    fn load_i8_as_f32(y: &[i8]) -> (v128, v128) {
        assert!(y.len() >= 8);
        // SAFETY: 8 readable bytes; `v128_load64_zero` reads exactly 8.
        let v = unsafe { v128_load64_zero(y.as_ptr().cast::<u64>()) };
        let w = i16x8_extend_low_i8x16(v);
        (
            f32x4_convert_i32x4(i32x4_extend_low_i16x8(w)),
            f32x4_convert_i32x4(i32x4_extend_high_i16x8(w)),
        )
    }

    #[inline]
    pub(super) fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
        let n = a.len().min(b.len());
        let (a, b) = (&a[..n], &b[..n]);
        let (mut acc0, mut acc1) = (i32x4_splat(0), i32x4_splat(0));
        let (ac, bc) = (a.chunks_exact(16), b.chunks_exact(16));
        let (ar, br) = (ac.remainder(), bc.remainder());
        for (x, y) in ac.zip(bc) {
            let (x, y) = (load_i8(x), load_i8(y));
            // i8·i8 fits i16 exactly; pairwise sums widen to i32.
            acc0 = i32x4_add(
                acc0,
                i32x4_extadd_pairwise_i16x8(i16x8_extmul_low_i8x16(x, y)),
            );
            acc1 = i32x4_add(
                acc1,
                i32x4_extadd_pairwise_i16x8(i16x8_extmul_high_i8x16(x, y)),
            );
        }
        let acc = i32x4_add(acc0, acc1);
        let mut s = i32x4_extract_lane::<0>(acc)
            + i32x4_extract_lane::<1>(acc)
            + i32x4_extract_lane::<2>(acc)
            + i32x4_extract_lane::<3>(acc);
        for (x, y) in ar.iter().zip(br) {
            s += i32::from(*x) * i32::from(*y);
        }
        s
    }

    #[inline(always)]
    fn hsum(v: v128) -> f32 {
        (f32x4_extract_lane::<0>(v) + f32x4_extract_lane::<2>(v))
            + (f32x4_extract_lane::<1>(v) + f32x4_extract_lane::<3>(v))
    }

    #[inline]
    pub(super) fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (a, b) = (&a[..n], &b[..n]);
        let (mut acc0, mut acc1) = (f32x4_splat(0.0), f32x4_splat(0.0));
        let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
        let (ar, br) = (ac.remainder(), bc.remainder());
        for (x, y) in ac.zip(bc) {
            acc0 = f32x4_add(acc0, f32x4_mul(load_f32(&x[..4]), load_f32(&y[..4])));
            acc1 = f32x4_add(acc1, f32x4_mul(load_f32(&x[4..]), load_f32(&y[4..])));
        }
        let mut s = hsum(f32x4_add(acc0, acc1));
        for (x, y) in ar.iter().zip(br) {
            s += x * y;
        }
        s
    }

    #[inline]
    pub(super) fn dot_f32_i8(a: &[f32], b: &[i8]) -> f32 {
        let n = a.len().min(b.len());
        let (a, b) = (&a[..n], &b[..n]);
        let (mut acc0, mut acc1) = (f32x4_splat(0.0), f32x4_splat(0.0));
        let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
        let (ar, br) = (ac.remainder(), bc.remainder());
        for (x, y) in ac.zip(bc) {
            let (lo, hi) = load_i8_as_f32(y);
            acc0 = f32x4_add(acc0, f32x4_mul(load_f32(&x[..4]), lo));
            acc1 = f32x4_add(acc1, f32x4_mul(load_f32(&x[4..]), hi));
        }
        let mut s = hsum(f32x4_add(acc0, acc1));
        for (x, y) in ar.iter().zip(br) {
            s += x * f32::from(*y);
        }
        s
    }
}

/// The portable kernels compiled with AVX2 enabled, called only after run-time detection.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod x86 {
    #[target_feature(enable = "avx2")]
    fn dot_i8_avx2(a: &[i8], b: &[i8]) -> i32 {
        super::dot_i8_portable(a, b)
    }

    #[target_feature(enable = "avx2")]
    fn dot_f32_avx2(a: &[f32], b: &[f32]) -> f32 {
        super::dot_f32_portable(a, b)
    }

    #[target_feature(enable = "avx2")]
    fn dot_f32_i8_avx2(a: &[f32], b: &[i8]) -> f32 {
        super::dot_f32_i8_portable(a, b)
    }

    #[inline]
    pub(super) fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
        // SAFETY: the caller checked `is_x86_feature_detected!("avx2")`; the functions are
        // ordinary safe Rust compiled for AVX2, with no other precondition.
        unsafe { dot_i8_avx2(a, b) }
    }

    #[inline]
    pub(super) fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
        // SAFETY: as above.
        unsafe { dot_f32_avx2(a, b) }
    }

    #[inline]
    pub(super) fn dot_f32_i8(a: &[f32], b: &[i8]) -> f32 {
        // SAFETY: as above.
        unsafe { dot_f32_i8_avx2(a, b) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_naive_sums_for_all_lengths() {
        for n in [0, 1, 7, 8, 15, 16, 17, 31, 384, 385] {
            let a: Vec<i8> = (0..n).map(|i| (i * 37 % 255 - 127) as i8).collect();
            let b: Vec<i8> = (0..n).map(|i| (i * 91 % 255 - 127) as i8).collect();
            let naive: i32 = a
                .iter()
                .zip(&b)
                .map(|(x, y)| i32::from(*x) * i32::from(*y))
                .sum();
            assert_eq!(dot_i8(&a, &b), naive, "n={n}");
            assert_eq!(dot_i8_portable(&a, &b), naive, "n={n}");
            let af: Vec<f32> = a.iter().map(|&x| f32::from(x) / 127.0).collect();
            let bf: Vec<f32> = b.iter().map(|&x| f32::from(x) / 127.0).collect();
            let naive_f: f32 = af.iter().zip(&bf).map(|(x, y)| x * y).sum();
            assert!((dot_f32(&af, &bf) - naive_f).abs() < 1e-3, "n={n}");
            assert!(
                (dot_f32_i8(&af, &b) * 127.0 - naive as f32).abs() < 0.5,
                "n={n}"
            );
        }
        let extreme = vec![-128i8; 384];
        assert_eq!(dot_i8(&extreme, &extreme), 384 * 128 * 128);
    }
}
