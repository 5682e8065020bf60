//! Exact brute-force similarity over a growing collection: the CPU twin of scry-gpu's scoring
//! and top-k kernels (wasm SIMD128 / AVX2 dot products with a portable fallback).
//!
//! Rows are stored in one of three precisions. The encoding is done here, once, and the GPU
//! receives the very same bits ([`FlatVectors::encode_row_words`]), so both backends score the
//! same numbers and differ only in the order of the f32 additions.
//!
//! Scores are "higher is more similar" as everywhere in scry: cosine and dot return the dot
//! product (vectors and queries are L2-normalised for cosine), L2 the negated squared distance.
//! Ties are broken by the smaller row id.

use super::distance::{dot_f32, dot_f32_i8};
use super::params::Metric;
use super::quantize::{normalize, quantize_into};
use crate::error::{CoreError, Result};

/// How rows are stored (and scanned).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// 4 bytes per component.
    #[default]
    F32,
    /// IEEE half precision, 2 bytes per component (subnormals flushed to zero, round to nearest
    /// even), decoded to f32 for arithmetic.
    F16,
    /// Symmetric int8 with one f32 scale per row, 1 byte per component.
    I8,
}

impl Precision {
    /// Components packed into one 32-bit word.
    pub fn per_word(self) -> usize {
        match self {
            Precision::F32 => 1,
            Precision::F16 => 2,
            Precision::I8 => 4,
        }
    }
}

#[derive(Debug, Clone)]
enum Rows {
    F32(Vec<f32>),
    F16(Vec<u16>),
    I8(Vec<i8>),
}

/// Largest finite half-precision value.
const F16_MAX: f32 = 65_504.0;

/// A flat collection of vectors with tombstones, scored exactly.
#[derive(Debug, Clone)]
pub struct FlatVectors {
    dims: usize,
    metric: Metric,
    precision: Precision,
    rows: Rows,
    /// Per-row factor applied to the dot product (the int8 scale; 1 otherwise).
    scales: Vec<f32>,
    /// Per-row squared norm of the stored (decoded) vector, for L2.
    sqnorms: Vec<f32>,
    /// One bit per row, 1 = live; word `w` covers rows `32w .. 32w + 32`.
    live: Vec<u32>,
    live_count: usize,
    /// Bumped by every push and delete.
    version: u64,
}

/// A query prepared for a [`FlatVectors`]: normalised for cosine, with its squared norm.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanQuery {
    /// The (normalised) values.
    pub values: Vec<f32>,
    /// Σ values².
    pub sqnorm: f32,
}

impl FlatVectors {
    /// An empty collection of `dims`-dimensional vectors.
    pub fn new(dims: usize, metric: Metric, precision: Precision) -> Result<Self> {
        if dims == 0 || dims > 65_536 {
            return Err(CoreError::InvalidInput(format!(
                "vector dimension {dims} is outside 1..=65536"
            )));
        }
        let rows = match precision {
            Precision::F32 => Rows::F32(Vec::new()),
            Precision::F16 => Rows::F16(Vec::new()),
            Precision::I8 => Rows::I8(Vec::new()),
        };
        Ok(Self {
            dims,
            metric,
            precision,
            rows,
            scales: Vec::new(),
            sqnorms: Vec::new(),
            live: Vec::new(),
            live_count: 0,
            version: 0,
        })
    }

    /// Dimension.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Metric.
    pub fn metric(&self) -> Metric {
        self.metric
    }

    /// Storage precision.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Rows ever added (deleted ones included): the next row id.
    pub fn len(&self) -> usize {
        self.scales.len()
    }

    /// True when no row was ever added.
    pub fn is_empty(&self) -> bool {
        self.scales.is_empty()
    }

    /// Rows not deleted.
    pub fn live_count(&self) -> usize {
        self.live_count
    }

    /// Appends `v` (checked: right length, finite, non-zero for cosine); returns its row id.
    pub fn push(&mut self, v: &[f32]) -> Result<u32> {
        if v.len() != self.dims {
            return Err(CoreError::InvalidInput(format!(
                "vector has {} dimensions, the collection {}",
                v.len(),
                self.dims
            )));
        }
        let row = u32::try_from(self.len())
            .map_err(|_| CoreError::InvalidInput("more than 2³² rows".into()))?;
        let mut values = v.to_vec();
        super::segment::check_vector(&mut values, self.metric)?;
        let (scale, sqnorm) = match &mut self.rows {
            Rows::F32(data) => {
                data.extend_from_slice(&values);
                (1.0, dot_f32(&values, &values))
            }
            Rows::F16(data) => {
                if values.iter().any(|x| x.abs() > F16_MAX) {
                    return Err(CoreError::InvalidInput(format!(
                        "a component is beyond ±{F16_MAX}, the half-precision range"
                    )));
                }
                let start = data.len();
                data.extend(values.iter().map(|&x| f32_to_f16(x)));
                let decoded: Vec<f32> = data[start..].iter().map(|&h| f16_to_f32(h)).collect();
                (1.0, dot_f32(&decoded, &decoded))
            }
            Rows::I8(data) => {
                let mut codes = Vec::with_capacity(self.dims);
                let scale = quantize_into(&values, &mut codes);
                let decoded: Vec<f32> = codes.iter().map(|&c| f32::from(c) * scale).collect();
                data.extend_from_slice(&codes);
                (scale, dot_f32(&decoded, &decoded))
            }
        };
        self.append_meta(row, scale, sqnorm);
        Ok(row)
    }

    /// Records a new row's scale and squared norm and marks it live.
    fn append_meta(&mut self, row: u32, scale: f32, sqnorm: f32) {
        self.scales.push(scale);
        self.sqnorms.push(sqnorm);
        let r = row as usize;
        if r.is_multiple_of(32) {
            self.live.push(0);
        }
        self.live[r / 32] |= 1 << (r % 32);
        self.live_count += 1;
        self.version += 1;
    }

    /// Appends an int8 row already quantised elsewhere (a [`super::VectorSegment`]'s codes,
    /// scale and squared norm), so that both score the same numbers; `I8` collections only.
    pub fn push_quantized(&mut self, codes: &[i8], scale: f32, sqnorm: f32) -> Result<u32> {
        let Rows::I8(data) = &mut self.rows else {
            return Err(CoreError::InvalidInput(
                "quantised rows need an int8 collection".into(),
            ));
        };
        if codes.len() != self.dims {
            return Err(CoreError::InvalidInput(format!(
                "row has {} dimensions, the collection {}",
                codes.len(),
                self.dims
            )));
        }
        if !scale.is_finite() || !sqnorm.is_finite() {
            return Err(CoreError::InvalidInput(
                "row scale or norm is not finite".into(),
            ));
        }
        let row = u32::try_from(data.len() / self.dims)
            .map_err(|_| CoreError::InvalidInput("more than 2³² rows".into()))?;
        data.extend_from_slice(codes);
        self.append_meta(row, scale, sqnorm);
        Ok(row)
    }

    /// Marks `row` deleted; false if it was not live.
    pub fn delete(&mut self, row: u32) -> bool {
        let r = row as usize;
        if !self.is_live(row) {
            return false;
        }
        self.live[r / 32] &= !(1 << (r % 32));
        self.live_count -= 1;
        self.version += 1;
        true
    }

    /// A counter bumped by every change (push or delete): copies compare it to skip syncs.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Whether `row` exists and is not deleted.
    pub fn is_live(&self, row: u32) -> bool {
        let r = row as usize;
        r < self.len() && self.live[r / 32] & (1 << (r % 32)) != 0
    }

    /// The live bits of rows `32·word .. 32·word + 32` (bit `i` = row `32·word + i`).
    pub fn live_word(&self, word: usize) -> u32 {
        self.live.get(word).copied().unwrap_or(0)
    }

    /// `(scale, squared norm)` of `row`: what the GPU keeps per row beside the packed values.
    pub fn row_meta(&self, row: usize) -> (f32, f32) {
        (self.scales[row], self.sqnorms[row])
    }

    /// 32-bit words per row once packed ([`Precision::per_word`] components per word), padded
    /// with zeros to a multiple of `multiple` words.
    pub fn words_per_row(&self, multiple: usize) -> usize {
        self.dims
            .div_ceil(self.precision.per_word())
            .div_ceil(multiple.max(1))
            * multiple.max(1)
    }

    /// Appends `row`'s stored bits as little-endian packed 32-bit words (f32 bits; two f16 with
    /// the lower component in the low half; four int8 with component 0 in the lowest byte),
    /// zero-padded to `words` words.
    pub fn encode_row_words(&self, row: usize, words: usize, out: &mut Vec<u32>) {
        let start = out.len();
        let d = self.dims;
        match &self.rows {
            Rows::F32(data) => out.extend(data[row * d..(row + 1) * d].iter().map(|x| x.to_bits())),
            Rows::F16(data) => out.extend(
                data[row * d..(row + 1) * d]
                    .chunks(2)
                    .map(|c| u32::from(c[0]) | (u32::from(c.get(1).copied().unwrap_or(0)) << 16)),
            ),
            Rows::I8(data) => out.extend(data[row * d..(row + 1) * d].chunks(4).map(|c| {
                c.iter()
                    .enumerate()
                    .fold(0u32, |w, (i, &b)| w | (u32::from(b as u8) << (8 * i)))
            })),
        }
        out.resize(start + words, 0);
    }

    /// The stored vector of `row`, decoded to f32.
    pub fn row_values(&self, row: usize) -> Vec<f32> {
        let d = self.dims;
        match &self.rows {
            Rows::F32(data) => data[row * d..(row + 1) * d].to_vec(),
            Rows::F16(data) => data[row * d..(row + 1) * d]
                .iter()
                .map(|&h| f16_to_f32(h))
                .collect(),
            Rows::I8(data) => data[row * d..(row + 1) * d]
                .iter()
                .map(|&c| f32::from(c) * self.scales[row])
                .collect(),
        }
    }

    /// Prepares a query: checks it and normalises it for cosine.
    pub fn query(&self, v: &[f32]) -> Result<ScanQuery> {
        if v.len() != self.dims {
            return Err(CoreError::InvalidInput(format!(
                "query has {} dimensions, the collection {}",
                v.len(),
                self.dims
            )));
        }
        let mut values = v.to_vec();
        super::segment::check_vector(&mut values, self.metric)?;
        let sqnorm = dot_f32(&values, &values);
        Ok(ScanQuery { values, sqnorm })
    }

    /// Score of one stored row for a prepared query (the row may be deleted).
    pub fn score(&self, q: &ScanQuery, row: usize, scratch: &mut Vec<f32>) -> f32 {
        let d = self.dims;
        let dot = match &self.rows {
            Rows::F32(data) => dot_f32(&q.values, &data[row * d..(row + 1) * d]),
            Rows::F16(data) => {
                scratch.clear();
                scratch.extend(
                    data[row * d..(row + 1) * d]
                        .iter()
                        .map(|&h| f16_normal_to_f32(h)),
                );
                dot_f32(&q.values, scratch)
            }
            Rows::I8(data) => {
                self.scales[row] * dot_f32_i8(&q.values, &data[row * d..(row + 1) * d])
            }
        };
        match self.metric {
            Metric::L2 => -(q.sqnorm + self.sqnorms[row] - 2.0 * dot),
            Metric::Cosine | Metric::Dot => dot,
        }
    }

    /// The `k` best live rows for `q`, best first, ties by smaller row id: `(row, score)`.
    pub fn search(&self, q: &ScanQuery, k: usize) -> Vec<(u32, f32)> {
        let mut top = TopK::new(k);
        let mut scratch = Vec::new();
        for (w, &bits) in self.live.iter().enumerate() {
            let mut bits = bits;
            while bits != 0 {
                let row = w * 32 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                top.offer(self.score(q, row, &mut scratch), row as u32);
            }
        }
        top.into_sorted()
    }

    /// [`FlatVectors::search`] for several raw queries at once.
    pub fn search_batch(&self, queries: &[Vec<f32>], k: usize) -> Result<Vec<Vec<(u32, f32)>>> {
        queries
            .iter()
            .map(|q| Ok(self.search(&self.query(q)?, k)))
            .collect()
    }

    /// Bytes of vector data held (excluding the per-row scale, norm and live bit).
    pub fn memory_bytes(&self) -> usize {
        match &self.rows {
            Rows::F32(d) => d.len() * 4,
            Rows::F16(d) => d.len() * 2,
            Rows::I8(d) => d.len(),
        }
    }
}

/// Order of results everywhere: higher score first, then smaller id.
pub fn better(a: (f32, u32), b: (f32, u32)) -> bool {
    a.0 > b.0 || (a.0 == b.0 && a.1 < b.1)
}

/// A bounded best-k selection with scry's tie-break (smaller id wins).
#[derive(Debug, Clone)]
pub struct TopK {
    k: usize,
    /// Kept sorted best first; at most `k` entries.
    items: Vec<(f32, u32)>,
}

impl TopK {
    /// Keeps at most `k` items.
    pub fn new(k: usize) -> Self {
        Self {
            k,
            items: Vec::with_capacity(k + 1),
        }
    }

    /// Offers one candidate.
    #[inline]
    pub fn offer(&mut self, score: f32, id: u32) {
        if self.k == 0 {
            return;
        }
        if self.items.len() == self.k {
            let worst = self.items[self.k - 1];
            if !better((score, id), worst) {
                return;
            }
            self.items.pop();
        }
        let pos = self.items.partition_point(|&it| better(it, (score, id)));
        self.items.insert(pos, (score, id));
    }

    /// The kept items, best first, as `(id, score)`.
    pub fn into_sorted(self) -> Vec<(u32, f32)> {
        self.items.into_iter().map(|(s, i)| (i, s)).collect()
    }
}

/// f32 → IEEE half bits, round to nearest even; results below the smallest normal half
/// (6.1e-5) become ±0 (GPUs may flush half subnormals, so none are ever stored).
pub fn f32_to_f16(x: f32) -> u16 {
    let bits = x.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let exp = ((bits >> 23) & 0xff) as i32;
    let mant = bits & 0x007f_ffff;
    if exp == 0xff {
        // Inf / NaN (never stored: vectors are checked finite).
        return sign | 0x7c00 | if mant != 0 { 0x200 } else { 0 };
    }
    let e = exp - 127 + 15;
    if e >= 0x1f {
        return sign | 0x7c00;
    }
    if e <= 0 {
        // Would be a subnormal half (or underflow): flushed to zero.
        return sign;
    }
    let mut h = (e as u32) << 10 | (mant >> 13);
    let rest = mant & 0x1fff;
    if rest > 0x1000 || (rest == 0x1000 && h & 1 == 1) {
        h += 1; // may carry into the exponent, which is the right result (up to infinity)
    }
    sign | h as u16
}

/// Half bits → f32 for the values scry stores (zeros and normal numbers: [`f32_to_f16`]
/// flushes subnormals and pushes reject values beyond the half range), branch-free so the
/// decoding loop vectorises.
#[inline(always)]
fn f16_normal_to_f32(h: u16) -> f32 {
    let h = u32::from(h);
    let magnitude = (h & 0x7fff) << 13;
    let v = if h & 0x7c00 == 0 {
        0
    } else {
        magnitude + 0x3800_0000
    };
    f32::from_bits(((h & 0x8000) << 16) | v)
}

/// IEEE half bits → f32 (exact).
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h & 0x8000) << 16;
    let exp = u32::from((h >> 10) & 0x1f);
    let mant = u32::from(h & 0x3ff);
    let bits = match exp {
        0 if mant == 0 => sign,
        0 => {
            // Subnormal: value = mant · 2⁻²⁴.
            let v = mant as f32 * (1.0 / 16_777_216.0);
            return if sign != 0 { -v } else { v };
        }
        0x1f => sign | 0x7f80_0000 | (mant << 13),
        _ => sign | ((exp + 127 - 15) << 23) | (mant << 13),
    };
    f32::from_bits(bits)
}

/// Normalises centroids in place (spherical k-means); a zero centroid is left as is.
fn normalize_rows(values: &mut [f32], dims: usize) {
    for row in values.chunks_mut(dims) {
        normalize(row);
    }
}

/// k-means assignment: for each of the `points` (row-major, `dims` each) the best of the
/// `centroids` under `metric` (ties: smaller centroid index) and its score.
pub fn kmeans_assign(
    points: &[f32],
    centroids: &[f32],
    dims: usize,
    metric: Metric,
) -> Vec<(u32, f32)> {
    if dims == 0 {
        return Vec::new();
    }
    let csq: Vec<f32> = centroids.chunks(dims).map(|c| dot_f32(c, c)).collect();
    points
        .chunks(dims)
        .map(|p| {
            let psq = dot_f32(p, p);
            let mut best = (u32::MAX, f32::NEG_INFINITY);
            for (ci, c) in centroids.chunks(dims).enumerate() {
                let dot = dot_f32(p, c);
                let s = match metric {
                    Metric::L2 => -(psq + csq[ci] - 2.0 * dot),
                    Metric::Cosine | Metric::Dot => dot,
                };
                if best.0 == u32::MAX || s > best.1 {
                    best = (ci as u32, s);
                }
            }
            best
        })
        .collect()
}

/// k-means update: each centroid becomes the mean of its assigned points (summed in point
/// order), L2-normalised when `spherical`; a centroid with no points keeps its value.
pub fn kmeans_update(
    points: &[f32],
    assignment: &[u32],
    centroids: &mut [f32],
    dims: usize,
    spherical: bool,
) {
    if dims == 0 {
        return;
    }
    let k = centroids.len() / dims;
    let mut sums = vec![0f32; k * dims];
    let mut counts = vec![0u32; k];
    for (p, &c) in points.chunks(dims).zip(assignment) {
        let c = c as usize;
        if c >= k {
            continue;
        }
        counts[c] += 1;
        for (s, x) in sums[c * dims..(c + 1) * dims].iter_mut().zip(p) {
            *s += x;
        }
    }
    for c in 0..k {
        if counts[c] == 0 {
            continue;
        }
        let n = counts[c] as f32;
        for (dst, s) in centroids[c * dims..(c + 1) * dims]
            .iter_mut()
            .zip(&sums[c * dims..(c + 1) * dims])
        {
            *dst = s / n;
        }
        if spherical {
            normalize_rows(&mut centroids[c * dims..(c + 1) * dims], dims);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vector::synthetic::Rng;

    fn random(rng: &mut Rng, n: usize) -> Vec<f32> {
        (0..n).map(|_| rng.normal()).collect()
    }

    #[test]
    fn f16_round_trip_matches_ieee() {
        for (x, h) in [
            (1.0f32, 0x3c00u16),
            (-2.0, 0xc000),
            (0.5, 0x3800),
            (65504.0, 0x7bff),
            (1.0e-3, 0x1419),
            (0.0, 0),
            (1.0e-6, 0), // would be subnormal: flushed
        ] {
            assert_eq!(f32_to_f16(x), h, "{x}");
        }
        // Round half to even: 1 + 2⁻¹¹ lies halfway between 1 and 1 + 2⁻¹⁰.
        assert_eq!(f32_to_f16(1.0 + 1.0 / 2048.0), 0x3c00);
        assert_eq!(f32_to_f16(1.0 + 3.0 / 2048.0), 0x3c02);
        let mut rng = Rng::new(7);
        for _ in 0..10_000 {
            let x = rng.normal() * 100.0;
            let h = f32_to_f16(x);
            assert_eq!(
                f16_normal_to_f32(h).to_bits(),
                f16_to_f32(h).to_bits(),
                "{x}"
            );
            let x = x / 100.0;
            let y = f16_to_f32(f32_to_f16(x));
            assert!((x - y).abs() <= x.abs() / 1024.0 + 6.2e-5, "{x} → {y}");
        }
    }

    #[test]
    fn quantized_rows_score_as_pushed_ones_and_bad_rows_are_refused() {
        let mut rng = Rng::new(5);
        let dims = 37;
        let mut pushed = FlatVectors::new(dims, Metric::Dot, Precision::I8).unwrap();
        let mut copied = FlatVectors::new(dims, Metric::Dot, Precision::I8).unwrap();
        for _ in 0..50 {
            let v = random(&mut rng, dims);
            let row = pushed.push(&v).unwrap() as usize;
            let mut codes = Vec::new();
            let scale = crate::vector::quantize::quantize_into(&v, &mut codes);
            let (s, n) = pushed.row_meta(row);
            assert_eq!(s, scale);
            assert_eq!(
                copied.push_quantized(&codes, scale, n).unwrap() as usize,
                row
            );
        }
        let q = pushed.query(&random(&mut rng, dims)).unwrap();
        assert_eq!(pushed.search(&q, 10), copied.search(&q, 10));
        assert!(copied.push_quantized(&[1; 36], 1.0, 1.0).is_err());
        assert!(copied.push_quantized(&[1; 37], f32::NAN, 1.0).is_err());
        let mut f32s = FlatVectors::new(dims, Metric::Dot, Precision::F32).unwrap();
        assert!(f32s.push_quantized(&[1; 37], 1.0, 1.0).is_err());
        assert_eq!(copied.len(), 50);
    }

    #[test]
    fn search_is_exact_and_skips_deleted_rows() {
        for precision in [Precision::F32, Precision::F16, Precision::I8] {
            for metric in [Metric::Cosine, Metric::Dot, Metric::L2] {
                let mut rng = Rng::new(11);
                let dims = 37;
                let mut flat = FlatVectors::new(dims, metric, precision).unwrap();
                let rows: Vec<Vec<f32>> = (0..300).map(|_| random(&mut rng, dims)).collect();
                for r in &rows {
                    flat.push(r).unwrap();
                }
                assert!(flat.delete(5));
                assert!(!flat.delete(5));
                let q = random(&mut rng, dims);
                let sq = flat.query(&q).unwrap();
                let got = flat.search(&sq, 10);
                // Brute force over decoded rows in plain f64.
                let mut want: Vec<(u32, f64)> = (0..300u32)
                    .filter(|&r| r != 5)
                    .map(|r| {
                        let v = flat.row_values(r as usize);
                        let dot: f64 = v
                            .iter()
                            .zip(&sq.values)
                            .map(|(a, b)| f64::from(a * b))
                            .sum();
                        let vn: f64 = v.iter().map(|a| f64::from(a * a)).sum();
                        let s = match metric {
                            Metric::L2 => -(f64::from(sq.sqnorm) + vn - 2.0 * dot),
                            _ => dot,
                        };
                        (r, s)
                    })
                    .collect();
                want.sort_by(|a, b| b.1.total_cmp(&a.1));
                assert_eq!(got.len(), 10);
                for (g, w) in got.iter().zip(&want) {
                    assert_eq!(g.0, w.0, "{precision:?} {metric:?}");
                    assert!((f64::from(g.1) - w.1).abs() < 1e-3 * (1.0 + w.1.abs()));
                }
            }
        }
    }

    #[test]
    fn ties_go_to_the_smaller_row() {
        let mut flat = FlatVectors::new(2, Metric::Dot, Precision::F32).unwrap();
        for _ in 0..5 {
            flat.push(&[1.0, 0.0]).unwrap();
        }
        let q = flat.query(&[1.0, 0.0]).unwrap();
        let ids: Vec<u32> = flat.search(&q, 3).iter().map(|h| h.0).collect();
        assert_eq!(ids, vec![0, 1, 2]);
    }

    #[test]
    fn bad_vectors_are_typed_errors() {
        let mut flat = FlatVectors::new(3, Metric::Cosine, Precision::I8).unwrap();
        assert!(flat.push(&[1.0, 2.0]).is_err());
        assert!(flat.push(&[0.0, 0.0, 0.0]).is_err());
        assert!(flat.push(&[f32::NAN, 0.0, 1.0]).is_err());
        assert!(flat.query(&[1.0]).is_err());
        let mut half = FlatVectors::new(2, Metric::Dot, Precision::F16).unwrap();
        assert!(half.push(&[1.0e5, 0.0]).is_err());
        assert!(half.push(&[65_504.0, -1.0]).is_ok());
        assert!(FlatVectors::new(0, Metric::Dot, Precision::F32).is_err());
        assert_eq!(flat.len(), 0);
    }

    #[test]
    fn packed_words_round_trip() {
        let mut flat = FlatVectors::new(5, Metric::Dot, Precision::I8).unwrap();
        flat.push(&[1.0, -1.0, 0.5, -0.25, 0.0]).unwrap();
        let mut words = Vec::new();
        flat.encode_row_words(0, 4, &mut words);
        assert_eq!(words.len(), 4);
        let bytes: Vec<i8> = words[..2]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .map(|b| b as i8)
            .collect();
        assert_eq!(&bytes[..5], &[127, -127, 64, -32, 0]);
        assert_eq!(&bytes[5..], &[0, 0, 0]);
        assert_eq!(words[2..], [0, 0]);
    }

    #[test]
    fn kmeans_converges_on_separated_clusters() {
        let mut rng = Rng::new(3);
        let dims = 8;
        let mut points = Vec::new();
        for i in 0..60 {
            let mut p = vec![0f32; dims];
            p[i % 3] = 10.0;
            for x in &mut p {
                *x += rng.normal() * 0.1;
            }
            points.extend(p);
        }
        let mut centroids: Vec<f32> = points[..3 * dims].to_vec();
        for _ in 0..5 {
            let a: Vec<u32> = kmeans_assign(&points, &centroids, dims, Metric::L2)
                .iter()
                .map(|x| x.0)
                .collect();
            kmeans_update(&points, &a, &mut centroids, dims, false);
        }
        let a = kmeans_assign(&points, &centroids, dims, Metric::L2);
        for (i, (c, _)) in a.iter().enumerate() {
            assert_eq!(*c as usize, i % 3);
        }
    }
}
