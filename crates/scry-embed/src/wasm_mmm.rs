//! A 4 × 8 f32 matrix-multiplication kernel for tract in wasm (SIMD128), registered ahead of
//! tract's own.
//!
//! tract 0.23 runs every f32 matrix product in wasm through its 8 × 8 kernel: sixteen `v128`
//! accumulators plus the operands. That suits 32-register machines (it was tuned on Apple
//! silicon), but V8 on x86-64 has sixteen vector registers, so the accumulators spill on every
//! step of the inner loop. Measured in headless Chromium 156 on the project's x86-64 VM with the
//! inner loops alone (k = 384, packed panels in L1; `scripts/kernel-shapes/`): 8 × 8 reaches
//! 19–24 GFLOP/s, 4 × 8 with the A values splat-loaded from memory 32–34 GFLOP/s (see
//! BENCHMARKS.md). A MiniLM run spent 85 % of its time in that loop.
//!
//! The kernel is a plain tract kernel: it is declared to tract's kernel inventory
//! ([`MmmRoutine`]) and a dispatch tier of higher precedence than tract's wasm tier
//! ([`MmmTier`]) names it for every f32 product whose `n` is known and above 1 (a known `n` of
//! 1 keeps tract's GEMV kernels). Products with a symbolic `n` — every product of a model with
//! dynamic batch and sequence axes — are planned without the tiers, from the kernels of the
//! highest preference; this kernel's boost puts it alone there. Between steps the tile lives in
//! memory (32 values); the product and the common fused steps (per-row and per-column operands,
//! scalars, contiguous unicast adds and stores) work on it with SIMD, the rare ones (quantised
//! scaling, leaky ReLU, strided tiles) value by value, like tract's generic kernels.
//!
//! The workspace denies `unsafe_code`; this module needs it for two reasons: tract's kernel
//! interface is raw pointers into packed panels and output tiles (its contract: every pointer in
//! a [`FusedKerSpec`] is valid for the tile it describes), and the SIMD loads and stores take
//! pointers.
#![allow(unsafe_code)]

use std::arch::wasm32::*;
use std::sync::LazyLock;

use tract_onnx::prelude::DatumType;
use tract_onnx::tract_core::internal::inventory;
use tract_onnx::tract_core::tract_linalg::isa::{Arch, IsaSet};
use tract_onnx::tract_core::tract_linalg::mmm::{
    DynKernel, FusedKerSpec, OutputStoreKer, Query, Suitable,
};
use tract_onnx::tract_core::tract_linalg::mmm_routines::MmmRoutine;
use tract_onnx::tract_core::tract_linalg::mmm_tiers::MmmTier;
use tract_onnx::tract_core::tract_linalg::pack::Packing;
use tract_onnx::tract_core::tract_linalg::{ScaleShiftAndRound, Scaler};

/// Rows of the output tile (from the packed A panel).
const MR: usize = 4;
/// Columns of the output tile (from the packed B panel).
const NR: usize = 8;

/// The kernel's name in tract's dispatch.
pub(crate) const KERNEL_NAME: &str = "scry_wasm_f32_4x8";

static KERNEL: LazyLock<DynKernel<MR, NR, f32>> = LazyLock::new(|| {
    let mut k =
        DynKernel::<MR, NR, f32>::new(KERNEL_NAME, kernel_4x8, f32::packing(MR), f32::packing(NR));
    k.arch = Some(Arch::Wasm32Simd128);
    // Where `n` is symbolic (a model's batch × sequence axis) tract does not ask the tiers: it
    // keeps the suitable kernels of the highest preference and picks among those by shape.
    // The boost makes that set this kernel alone.
    k.with_boost(|| 1)
});

inventory::submit! {
    MmmRoutine { make: || KERNEL.mmm() }
}

inventory::submit! {
    MmmTier {
        arch: Some(Arch::Wasm32Simd128),
        // tract's own wasm tier has precedence 1.
        precedence: 2,
        name: "scry-wasm-f32-4x8",
        applies: |_| true,
        preferred,
    }
}

/// Claims f32 products with more than one column; everything else goes to the tiers below.
fn preferred(
    _isa: &IsaSet,
    accumulator: DatumType,
    query: &Query,
    _suitable: &[Suitable],
) -> Option<&'static str> {
    (accumulator == DatumType::F32 && query.n != Some(1)).then_some(KERNEL_NAME)
}

type Tile = [[f32; NR]; MR];

/// Runs one tile's list of fused operations (tract's kernel contract: 0 on success, non-zero
/// for an operation this kernel does not implement).
unsafe fn kernel_4x8(spec: &[FusedKerSpec<f32>]) -> isize {
    let mut ab: Tile = [[0.0; NR]; MR];
    for op in spec {
        // SAFETY: tract hands every pointer below valid for the tile (see the module docs).
        unsafe {
            match *op {
                FusedKerSpec::Done => break,
                FusedKerSpec::Clear => ab = [[0.0; NR]; MR],
                FusedKerSpec::LoadTile(col_major, _row_major) => {
                    for (r, row) in ab.iter_mut().enumerate() {
                        for (c, v) in row.iter_mut().enumerate() {
                            *v = *col_major.add(c * MR + r);
                        }
                    }
                }
                FusedKerSpec::ScalarMin(s) => vmap(&mut ab, |_, _, v| f32x4_min(f32x4_splat(s), v)),
                FusedKerSpec::ScalarMax(s) => vmap(&mut ab, |_, _, v| f32x4_max(f32x4_splat(s), v)),
                FusedKerSpec::ScalarAdd(s) => vmap(&mut ab, |_, _, v| f32x4_add(f32x4_splat(s), v)),
                FusedKerSpec::ScalarMul(s) => vmap(&mut ab, |_, _, v| f32x4_mul(f32x4_splat(s), v)),
                FusedKerSpec::ScalarSub(s) => vmap(&mut ab, |_, _, v| f32x4_sub(f32x4_splat(s), v)),
                FusedKerSpec::ScalarSubF(s) => {
                    vmap(&mut ab, |_, _, v| f32x4_sub(v, f32x4_splat(s)))
                }
                FusedKerSpec::LeakyRelu(s) => {
                    each(&mut ab, |_, _, v| if v > 0.0 { v } else { s * v })
                }
                FusedKerSpec::PerRowMin(p) => vmap(&mut ab, |r, _, v| f32x4_min(row(p, r), v)),
                FusedKerSpec::PerRowMax(p) => vmap(&mut ab, |r, _, v| f32x4_max(row(p, r), v)),
                FusedKerSpec::PerRowAdd(p) => vmap(&mut ab, |r, _, v| f32x4_add(row(p, r), v)),
                FusedKerSpec::PerRowMul(p) => vmap(&mut ab, |r, _, v| f32x4_mul(row(p, r), v)),
                FusedKerSpec::PerRowSub(p) => vmap(&mut ab, |r, _, v| f32x4_sub(row(p, r), v)),
                FusedKerSpec::PerRowSubF(p) => vmap(&mut ab, |r, _, v| f32x4_sub(v, row(p, r))),
                FusedKerSpec::PerColMin(p) => vmap(&mut ab, |_, h, v| f32x4_min(col(p, h), v)),
                FusedKerSpec::PerColMax(p) => vmap(&mut ab, |_, h, v| f32x4_max(col(p, h), v)),
                FusedKerSpec::PerColAdd(p) => vmap(&mut ab, |_, h, v| f32x4_add(col(p, h), v)),
                FusedKerSpec::PerColMul(p) => vmap(&mut ab, |_, h, v| f32x4_mul(col(p, h), v)),
                FusedKerSpec::PerColSub(p) => vmap(&mut ab, |_, h, v| f32x4_sub(col(p, h), v)),
                FusedKerSpec::PerColSubF(p) => vmap(&mut ab, |_, h, v| f32x4_sub(v, col(p, h))),
                FusedKerSpec::QScale(shift, rp, mult) => {
                    let scaler = Scaler::from_fuse_params(shift, rp, mult);
                    each(&mut ab, |_, _, v| v.q_scale(scaler))
                }
                FusedKerSpec::RoundingShiftRight(shift, rp) => {
                    each(&mut ab, |_, _, v| v.q_shr(shift, rp))
                }
                FusedKerSpec::ShiftLeft(shift) => each(&mut ab, |_, _, v| v.q_shl(shift)),
                FusedKerSpec::AddRowColProducts(rows, cols) => {
                    each(&mut ab, |r, c, v| v + *rows.add(r) * *cols.add(c))
                }
                FusedKerSpec::AddUnicast(other) => {
                    if other.item_size != 4 {
                        return 1;
                    }
                    if other.col_byte_stride == 4 {
                        vmap(&mut ab, |r, h, v| {
                            f32x4_add(v, v128_load((at(&other, r, 0) as *const v128).add(h)))
                        })
                    } else {
                        each(&mut ab, |r, c, v| v + *at(&other, r, c))
                    }
                }
                FusedKerSpec::Store(tile) => {
                    if tile.item_size != 4 {
                        return 1;
                    }
                    store(&tile, &ab);
                }
                FusedKerSpec::AddMatMul { k, pa, pb, packing } => {
                    if packing != 0 {
                        return 1;
                    }
                    add_mat_mul(pa as *const f32, pb as *const f32, k, &mut ab);
                }
            }
        }
    }
    0
}

/// Applies `f(row, half, values)` to each half row (four values) of the tile.
#[inline(always)]
unsafe fn vmap(ab: &mut Tile, f: impl Fn(usize, usize, v128) -> v128) {
    let t = ab.as_mut_ptr() as *mut v128;
    for r in 0..MR {
        for h in 0..2 {
            // SAFETY: the tile is 4 rows of two v128.
            unsafe {
                let p = t.add(2 * r + h);
                v128_store(p, f(r, h, v128_load(p)));
            }
        }
    }
}

/// The per-row value of row `r`, in every lane.
#[inline(always)]
unsafe fn row(p: *const f32, r: usize) -> v128 {
    // SAFETY: tract's per-row operand holds MR values.
    unsafe { v128_load32_splat(p.add(r) as *const u32) }
}

/// The per-column values of half `h` (columns 4h..4h+4).
#[inline(always)]
unsafe fn col(p: *const f32, h: usize) -> v128 {
    // SAFETY: tract's per-column operand holds NR values.
    unsafe { v128_load(p.add(4 * h) as *const v128) }
}

/// Applies `f(row, col, value)` to every value of the tile.
#[inline(always)]
fn each(ab: &mut Tile, mut f: impl FnMut(usize, usize, f32) -> f32) {
    for (r, row) in ab.iter_mut().enumerate() {
        for (c, v) in row.iter_mut().enumerate() {
            *v = f(r, c, *v);
        }
    }
}

/// The f32 at row `r`, column `c` of an output-shaped tile.
#[inline(always)]
unsafe fn at(tile: &OutputStoreKer, r: usize, c: usize) -> *mut f32 {
    // SAFETY: in bounds of the tile tract described.
    unsafe {
        tile.ptr
            .offset(tile.row_byte_stride * r as isize + tile.col_byte_stride * c as isize)
            as *mut f32
    }
}

/// Writes the tile out: two vector stores per row when the columns are contiguous.
unsafe fn store(tile: &OutputStoreKer, ab: &Tile) {
    // SAFETY: in bounds of the tile tract described; wasm stores need no alignment.
    unsafe {
        if tile.col_byte_stride == 4 {
            for (r, row) in ab.iter().enumerate() {
                let p = at(tile, r, 0) as *mut v128;
                v128_store(p, v128_load(row.as_ptr() as *const v128));
                v128_store(p.add(1), v128_load(row.as_ptr().add(4) as *const v128));
            }
        } else {
            for (r, row) in ab.iter().enumerate() {
                for (c, v) in row.iter().enumerate() {
                    *at(tile, r, c) = *v;
                }
            }
        }
    }
}

/// `ab += A · B` over `k` steps: A packed `[k][4]`, B packed `[k][8]`. Eight accumulators, two
/// B vectors and one splat stay within x86-64's sixteen vector registers.
#[inline(always)]
unsafe fn add_mat_mul(a: *const f32, b: *const f32, k: usize, ab: &mut Tile) {
    // SAFETY: the panels hold `k` packed steps (tract's contract); the tile is local.
    unsafe {
        let t = ab.as_mut_ptr() as *mut v128;
        let (mut c0l, mut c0h) = (v128_load(t), v128_load(t.add(1)));
        let (mut c1l, mut c1h) = (v128_load(t.add(2)), v128_load(t.add(3)));
        let (mut c2l, mut c2h) = (v128_load(t.add(4)), v128_load(t.add(5)));
        let (mut c3l, mut c3h) = (v128_load(t.add(6)), v128_load(t.add(7)));
        let b = b as *const v128;
        for i in 0..k {
            let bl = v128_load(b.add(2 * i));
            let bh = v128_load(b.add(2 * i + 1));
            let p = a.add(MR * i) as *const u32;
            let s = v128_load32_splat(p);
            c0l = f32x4_add(c0l, f32x4_mul(s, bl));
            c0h = f32x4_add(c0h, f32x4_mul(s, bh));
            let s = v128_load32_splat(p.add(1));
            c1l = f32x4_add(c1l, f32x4_mul(s, bl));
            c1h = f32x4_add(c1h, f32x4_mul(s, bh));
            let s = v128_load32_splat(p.add(2));
            c2l = f32x4_add(c2l, f32x4_mul(s, bl));
            c2h = f32x4_add(c2h, f32x4_mul(s, bh));
            let s = v128_load32_splat(p.add(3));
            c3l = f32x4_add(c3l, f32x4_mul(s, bl));
            c3h = f32x4_add(c3h, f32x4_mul(s, bh));
        }
        for (j, v) in [c0l, c0h, c1l, c1h, c2l, c2h, c3l, c3h]
            .into_iter()
            .enumerate()
        {
            v128_store(t.add(j), v);
        }
    }
}

/// Makes sure the registrations above are linked in: wasm-ld drops an object nothing
/// references, its constructors included.
pub(crate) fn link() {
    std::hint::black_box(kernel_4x8 as unsafe fn(&[FusedKerSpec<f32>]) -> isize);
}

/// Whether tract's dispatch picks this kernel for an f32 matrix product.
#[cfg(test)]
fn registered() -> bool {
    use tract_onnx::tract_core::tract_linalg::mmm::MmmDispatch;
    MmmDispatch::native()
        .pick(&f32_query())
        .is_some_and(|(mmm, _, _)| mmm.name() == KERNEL_NAME)
}

/// An f32 × f32 product of unknown shape.
#[cfg(test)]
fn f32_query() -> Query {
    Query {
        weight: DatumType::F32.into(),
        activation: DatumType::F32,
        accumulators: [DatumType::F32].into_iter().collect(),
        store: None,
        allow_extractor: false,
        m: None,
        k: None,
        n: None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    /// A small deterministic generator (no extra test dependency).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> f32 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        }
        fn vec(&mut self, n: usize) -> Vec<f32> {
            (0..n).map(|_| self.next()).collect()
        }
    }

    #[wasm_bindgen_test]
    fn tract_dispatch_picks_the_kernel() {
        use tract_onnx::tract_core::tract_linalg::mmm::{MmmDispatch, retain_best};
        assert!(registered());
        // A symbolic `n`: tract's einsum planner keeps the best-preferred suitable kernels.
        let mut suitable = MmmDispatch::native().suitable(&f32_query());
        retain_best(&mut suitable);
        let names: Vec<&str> = suitable.iter().map(|(mmm, _, _)| mmm.name()).collect();
        assert_eq!(names, [KERNEL_NAME]);
        // A known single column stays with tract's matrix-vector kernels.
        let gemv = Query {
            n: Some(1),
            m: Some(384),
            k: Some(384),
            ..f32_query()
        };
        let picked = MmmDispatch::native().pick(&gemv).unwrap();
        assert_eq!(picked.0.nr(), 1, "{}", picked.0.name());
    }

    /// Every fused operation tract can send, against a scalar reference in f64.
    #[wasm_bindgen_test]
    fn fused_operations_equal_a_scalar_reference() {
        type Reference = Box<dyn Fn(usize, usize, f64) -> f64>;
        let mut rng = Lcg(7);
        for k in [0usize, 1, 3, 17, 384] {
            let a = rng.vec(k * MR);
            let b = rng.vec(k * NR);
            let (rows, cols) = (rng.vec(MR), rng.vec(NR));
            let init = rng.vec(MR * NR); // column-major, for LoadTile
            let mut unicast = rng.vec(MR * NR); // row-major
            let mut out = vec![0f32; MR * NR];
            let mut out_t = vec![0f32; MR * NR]; // transposed store (col_byte_stride != 4)
            let tile = |p: &mut Vec<f32>, row: isize, col: isize| OutputStoreKer {
                ptr: p.as_mut_ptr() as *mut u8,
                row_byte_stride: row,
                col_byte_stride: col,
                item_size: 4,
            };
            let (row_major, col_major) = (tile(&mut unicast, 32, 4), tile(&mut unicast, 4, 16));
            let (r, c): ([f32; MR], [f32; NR]) = (
                rows.clone().try_into().unwrap(),
                cols.clone().try_into().unwrap(),
            );
            let row = move |i: usize| r[i] as f64;
            let col = move |j: usize| c[j] as f64;
            let u: [f32; MR * NR] = unicast.clone().try_into().unwrap();
            let u2 = u;
            let uni = move |i: usize, j: usize| u[i * NR + j] as f64;
            // The same buffer read with rows 4 bytes apart and columns 16.
            let u2 = move |i: usize, j: usize| u2[i + MR * j] as f64;
            let (rp, cp) = (rows.as_ptr(), cols.as_ptr());
            // Each step and what it does to value `v` at row `i`, column `j`.
            let steps: Vec<(FusedKerSpec<f32>, Reference)> = vec![
                (
                    FusedKerSpec::PerRowAdd(rp),
                    Box::new(move |i, _, v| v + row(i)),
                ),
                (
                    FusedKerSpec::PerColMul(cp),
                    Box::new(move |_, j, v| v * col(j)),
                ),
                (
                    FusedKerSpec::PerRowSubF(rp),
                    Box::new(move |i, _, v| v - row(i)),
                ),
                (
                    FusedKerSpec::PerColSub(cp),
                    Box::new(move |_, j, v| col(j) - v),
                ),
                (
                    FusedKerSpec::PerRowSub(rp),
                    Box::new(move |i, _, v| row(i) - v),
                ),
                (
                    FusedKerSpec::PerColSubF(cp),
                    Box::new(move |_, j, v| v - col(j)),
                ),
                (
                    FusedKerSpec::PerRowMul(rp),
                    Box::new(move |i, _, v| v * row(i)),
                ),
                (
                    FusedKerSpec::PerColAdd(cp),
                    Box::new(move |_, j, v| v + col(j)),
                ),
                (FusedKerSpec::ScalarMul(0.5), Box::new(|_, _, v| v * 0.5)),
                (FusedKerSpec::ScalarSubF(0.25), Box::new(|_, _, v| v - 0.25)),
                (
                    FusedKerSpec::ScalarSub(0.125),
                    Box::new(|_, _, v| 0.125 - v),
                ),
                (
                    FusedKerSpec::ScalarAdd(0.375),
                    Box::new(|_, _, v| v + 0.375),
                ),
                (
                    FusedKerSpec::AddRowColProducts(rp, cp),
                    Box::new(move |i, j, v| v + row(i) * col(j)),
                ),
                (
                    FusedKerSpec::AddUnicast(row_major),
                    Box::new(move |i, j, v| v + uni(i, j)),
                ),
                (
                    FusedKerSpec::AddUnicast(col_major),
                    Box::new(move |i, j, v| v + u2(i, j)),
                ),
                (
                    FusedKerSpec::LeakyRelu(0.1),
                    Box::new(|_, _, v| if v > 0.0 { v } else { 0.1 * v }),
                ),
                (
                    FusedKerSpec::ScalarMax(-0.3),
                    Box::new(|_, _, v| v.max(-0.3)),
                ),
                (FusedKerSpec::ScalarMin(0.9), Box::new(|_, _, v| v.min(0.9))),
                (
                    FusedKerSpec::PerRowMax(rp),
                    Box::new(move |i, _, v| v.max(row(i))),
                ),
                (
                    FusedKerSpec::PerColMin(cp),
                    Box::new(move |_, j, v| v.min(col(j))),
                ),
                (
                    FusedKerSpec::PerRowMin(rp),
                    Box::new(move |i, _, v| v.min(row(i))),
                ),
                (
                    FusedKerSpec::PerColMax(cp),
                    Box::new(move |_, j, v| v.max(col(j))),
                ),
            ];
            // Each step alone (so that no later clamp hides it), then all of them in a row.
            let mut runs: Vec<Vec<usize>> = (0..steps.len()).map(|s| vec![s]).collect();
            runs.push((0..steps.len()).collect());
            for run in runs {
                let mut ops = vec![
                    FusedKerSpec::Clear,
                    FusedKerSpec::LoadTile(init.as_ptr(), std::ptr::null()),
                    FusedKerSpec::AddMatMul {
                        k,
                        pa: a.as_ptr() as _,
                        pb: b.as_ptr() as _,
                        packing: 0,
                    },
                ];
                ops.extend(run.iter().map(|&s| steps[s].0));
                ops.push(FusedKerSpec::Store(tile(&mut out, 32, 4)));
                ops.push(FusedKerSpec::Store(tile(&mut out_t, 4, 16)));
                ops.push(FusedKerSpec::Done);
                assert_eq!(unsafe { kernel_4x8(&ops) }, 0);
                for i in 0..MR {
                    for j in 0..NR {
                        let mut v = init[j * MR + i] as f64;
                        for s in 0..k {
                            v += a[s * MR + i] as f64 * b[s * NR + j] as f64;
                        }
                        for &s in &run {
                            v = (steps[s].1)(i, j, v);
                        }
                        let got = out[i * NR + j] as f64;
                        assert!(
                            (got - v).abs() <= 1e-4 * (1.0 + v.abs()),
                            "k {k}, steps {run:?}, [{i}][{j}]: {got} vs {v}"
                        );
                        assert_eq!(out_t[j * MR + i], out[i * NR + j]);
                    }
                }
            }
        }
    }

    #[wasm_bindgen_test]
    fn unsupported_operands_are_refused() {
        let mut out = [0f32; MR * NR];
        let half = OutputStoreKer {
            ptr: out.as_mut_ptr() as *mut u8,
            row_byte_stride: 16,
            col_byte_stride: 2,
            item_size: 2,
        };
        let ops = [
            FusedKerSpec::Clear,
            FusedKerSpec::Store(half),
            FusedKerSpec::Done,
        ];
        assert_eq!(unsafe { kernel_4x8(&ops) }, 1);
        let mm = [
            FusedKerSpec::AddMatMul {
                k: 1,
                pa: out.as_ptr() as _,
                pb: out.as_ptr() as _,
                packing: 1,
            },
            FusedKerSpec::Done,
        ];
        assert_eq!(unsafe { kernel_4x8(&mm) }, 1);
    }
}
