//! Attention's `Softmax(scores + mask)`, optionally followed by `Where(IsNaN(·), 0, ·)`, as one
//! operator.
//!
//! Transformer exports add the attention mask (`[B, 1, 1, S]` or `[B, 1, S, S]`, 0 or −∞) to the
//! scores (`[B, H, S, S]`), take the softmax of each row, and (PyTorch's scaled dot-product
//! attention) replace the NaNs of fully masked rows with 0. tract runs the broadcast `Add` and the
//! `Where` through its generic element-by-element paths, and each of the four steps reads and
//! writes the whole `B × H × S × S` tensor: at 256 tokens they took 15 % of a MiniLM run in the
//! browser. [`fuse`] replaces the chain in a typed model with [`AddSoftmax`], which writes each
//! block of rows once — sum, softmax with tract's own row kernels, NaN → 0 — while it is in cache.
//! The arithmetic is the same f32 addition and the same softmax kernels, so outputs are equal to
//! the unfused graph's.

use tract_onnx::prelude::*;
use tract_onnx::tract_core::broadcast::multi_broadcast;
use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::ops::binary::TypedBinOp;
use tract_onnx::tract_core::ops::element_wise::ElementWiseOp;
use tract_onnx::tract_core::ops::logic::Iff;
use tract_onnx::tract_core::ops::nn::{Softmax, SoftmaxKind};
use tract_onnx::tract_core::tract_linalg::Func;

/// Rows summed and normalised per step: a block of 32 rows of 256 floats is 32 KB.
const BLOCK_ROWS: usize = 32;

/// Replaces every `Softmax(Add(a, b))` over the last axis of f32 tensors (and the `Where(IsNaN)`
/// after it, when there is one) with [`AddSoftmax`]; returns how many.
pub(crate) fn fuse(model: &mut TypedModel) -> TractResult<usize> {
    let mut fused = 0;
    for id in model.eval_order()? {
        let Some(found) = chain_at(model, id)? else {
            continue;
        };
        let add = model.node(found.add);
        let name = format!("{}.scry_add_softmax", add.name);
        let build = || -> TractResult<TypedModelPatch> {
            let mut patch = TypedModelPatch::new("scry add + softmax");
            let a = patch.tap_model(model, add.inputs[0])?;
            let b = patch.tap_model(model, add.inputs[1])?;
            let out = patch.wire_node(
                name,
                AddSoftmax {
                    nan_to_zero: found.nan_to_zero,
                },
                &[a, b],
            )?[0];
            patch.shunt_outside(model, found.output, out)?;
            Ok(patch)
        };
        // A chain the patch cannot replace (facts tract would not reconcile) stays as it is.
        let Ok(patch) = build() else { continue };
        patch.apply(model)?;
        fused += 1;
    }
    Ok(fused)
}

struct Chain {
    add: usize,
    output: OutletId,
    nan_to_zero: bool,
}

/// The chain whose `Softmax` is node `id`, if it qualifies.
fn chain_at(model: &TypedModel, id: usize) -> TractResult<Option<Chain>> {
    let node = model.node(id);
    let Some(sm) = node.op_as::<Softmax>() else {
        return Ok(None);
    };
    let fact = model.outlet_fact(node.inputs[0])?;
    let rank = fact.rank();
    if sm.kind != SoftmaxKind::Softmax
        || sm.quant_output_dt.is_some()
        || fact.datum_type != DatumType::F32
        || rank == 0
        || sm.axes[..] != [rank - 1]
    {
        return Ok(None);
    }
    let add = model.node(node.inputs[0].node);
    let is_add = add
        .op_as::<TypedBinOp>()
        .is_some_and(|op| op.0.name() == "Add" && op.1.is_none());
    if !is_add
        || add.inputs.len() != 2
        || model.outlet_successors(node.inputs[0]).len() != 1
        || model.output_outlets()?.contains(&node.inputs[0])
    {
        return Ok(None);
    }
    for input in &add.inputs {
        let f = model.outlet_fact(*input)?;
        if f.datum_type != DatumType::F32 || f.rank() != rank {
            return Ok(None);
        }
    }
    let sm_out = OutletId::new(id, 0);
    let mut chain = Chain {
        add: add.id,
        output: sm_out,
        nan_to_zero: false,
    };
    // `Where(IsNaN(sm), 0, sm)`: the softmax read by exactly those two nodes.
    let succ = model.outlet_successors(sm_out);
    if succ.len() != 2 || model.output_outlets()?.contains(&sm_out) {
        return Ok(Some(chain));
    }
    let (mut isnan, mut iff) = (None, None);
    for inlet in succ {
        let n = model.node(inlet.node);
        if n.op_as::<ElementWiseOp>()
            .is_some_and(|op| op.0.name() == "IsNan")
        {
            isnan = Some(n);
        } else if n.op_is::<Iff>() {
            iff = Some(n);
        }
    }
    let (Some(isnan), Some(iff)) = (isnan, iff) else {
        return Ok(Some(chain));
    };
    let isnan_out = OutletId::new(isnan.id, 0);
    let zero = model
        .outlet_fact(iff.inputs[1])?
        .konst
        .as_ref()
        .and_then(|t| t.cast_to_scalar::<f32>().ok().filter(|_| t.len() == 1));
    let iff_fact = model.outlet_fact(OutletId::new(iff.id, 0))?;
    if isnan.inputs[..] == [sm_out]
        && iff.inputs[0] == isnan_out
        && iff.inputs[2] == sm_out
        && model.outlet_successors(isnan_out).len() == 1
        && zero == Some(0.0)
        && iff_fact.datum_type == DatumType::F32
        && iff_fact.shape == model.outlet_fact(sm_out)?.shape
    {
        chain.output = OutletId::new(iff.id, 0);
        chain.nan_to_zero = true;
    }
    Ok(Some(chain))
}

/// `softmax(a + b)` over the last axis (`a` and `b` f32 of equal rank, broadcasting), with NaNs
/// replaced by 0 when `nan_to_zero`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct AddSoftmax {
    nan_to_zero: bool,
}

impl Op for AddSoftmax {
    fn name(&self) -> StaticName {
        "ScryAddSoftmax".into()
    }

    op_as_typed_op!();
}

impl EvalOp for AddSoftmax {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let [a, b] = &inputs[..] else {
            bail!("ScryAddSoftmax takes two inputs")
        };
        let shape = multi_broadcast(&[a.shape(), b.shape()])?;
        let mut out = Tensor::zero::<f32>(&shape)?;
        {
            let av = a.try_as_plain_ram()?;
            let bv = b.try_as_plain_ram()?;
            let mut ov = out.try_as_plain_ram_mut()?;
            let dst = ov.as_slice_mut::<f32>()?;
            let sa = Operand::new(av.as_slice::<f32>()?, a.shape(), &shape);
            let sb = Operand::new(bv.as_slice::<f32>()?, b.shape(), &shape);
            run(&sa, &sb, &shape, dst, self.nan_to_zero)?;
        }
        Ok(tvec!(out.into_tvalue()))
    }
}

impl TypedOp for AddSoftmax {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        ensure!(inputs.len() == 2 && inputs[0].rank() == inputs[1].rank());
        let shape = multi_broadcast(&[inputs[0].shape.to_tvec(), inputs[1].shape.to_tvec()])?;
        Ok(tvec!(f32::fact(shape)))
    }

    as_op!();
}

/// One input seen through the broadcast to the output shape.
struct Operand<'a> {
    data: &'a [f32],
    /// Element stride per output axis (0 along broadcast axes).
    strides: TVec<usize>,
}

impl<'a> Operand<'a> {
    fn new(data: &'a [f32], shape: &[usize], out: &[usize]) -> Self {
        let mut strides: TVec<usize> = tvec![0; shape.len()];
        let mut acc = 1;
        for axis in (0..shape.len()).rev() {
            strides[axis] = if shape[axis] == 1 && out[axis] != 1 {
                0
            } else {
                acc
            };
            acc *= shape[axis];
        }
        Self { data, strides }
    }
}

/// Fills `dst` (row-major `shape`) block by block: sums, then the softmax of each row, then NaN
/// → 0 if asked.
fn run(
    a: &Operand<'_>,
    b: &Operand<'_>,
    shape: &[usize],
    dst: &mut [f32],
    nan_to_zero: bool,
) -> TractResult<()> {
    let rank = shape.len();
    let row_len = shape[rank - 1];
    if row_len == 0 || dst.is_empty() {
        return Ok(());
    }
    let rows_kernel = tract_onnx::tract_core::tract_linalg::routines::softmax_rows_f32()
        .filter(|_| row_len.is_multiple_of(4));
    let kernels = match rows_kernel {
        Some(_) => None,
        None => Some((
            Func::ReduceMax.reduce_f32()?,
            Func::Softmax2.map_reduce_f32()?,
            Func::MulByScalar.ew_f32_param()?,
        )),
    };
    let (la, lb) = (a.strides[rank - 1], b.strides[rank - 1]);
    let mut index: TVec<usize> = tvec![0; rank - 1];
    let (mut oa, mut ob) = (0usize, 0usize);
    for block in dst.chunks_mut(BLOCK_ROWS * row_len) {
        for row in block.chunks_exact_mut(row_len) {
            let ra = &a.data[oa..];
            let rb = &b.data[ob..];
            match (la, lb) {
                (1, 1) => {
                    for ((d, &x), &y) in row.iter_mut().zip(ra).zip(rb) {
                        *d = x + y;
                    }
                }
                (1, 0) => {
                    for (d, &x) in row.iter_mut().zip(ra) {
                        *d = x + rb[0];
                    }
                }
                (0, 1) => {
                    for (d, &y) in row.iter_mut().zip(rb) {
                        *d = ra[0] + y;
                    }
                }
                _ => row.fill(ra[0] + rb[0]),
            }
            // Next row: odometer over the leading axes.
            for axis in (0..rank - 1).rev() {
                index[axis] += 1;
                oa += a.strides[axis];
                ob += b.strides[axis];
                if index[axis] < shape[axis] {
                    break;
                }
                oa -= a.strides[axis] * shape[axis];
                ob -= b.strides[axis] * shape[axis];
                index[axis] = 0;
            }
        }
        match (rows_kernel, &kernels) {
            (Some(kernel), _) => kernel(block, row_len),
            (None, Some((max, exp_sum, scale))) => {
                for row in block.chunks_exact_mut(row_len) {
                    let m = max.run(row)?;
                    let sum = exp_sum.run_with_params(row, m)?;
                    scale.run_with_params(row, sum.recip())?;
                }
            }
            (None, None) => bail!("no softmax kernel"),
        }
        if nan_to_zero {
            for v in block.iter_mut() {
                if v.is_nan() {
                    *v = 0.0;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tract_onnx::tract_core::ops::math::{add, is_nan};
    use tract_onnx::tract_core::ops::nn::Softmax;

    /// `Where(IsNaN(Softmax(Add(a, b))), 0, ·)` as tract builds it, fused and unfused, on scores
    /// with a mask that hides some keys and whole rows: equal outputs.
    // Natively and in the browser; rows of 8 take tract's row kernel where it has one (wasm),
    // rows of 7 the reduce / exp-sum / scale kernels.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_fused_chain_equals_the_unfused_one() {
        for s in [8, 7] {
            if let Err(e) = fused_equals_unfused(s) {
                panic!("rows of {s}: {e:#}");
            }
        }
    }

    fn fused_equals_unfused(s: usize) -> TractResult<()> {
        let (bsz, heads) = (2, 3);
        let scores: Vec<f32> = (0..bsz * heads * s * s)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 7.0)
            .collect();
        // Batch 0 hides keys 5..8; batch 1 hides every key (its rows are all NaN, then 0).
        let mask: Vec<f32> = (0..bsz * s)
            .map(|i| {
                if i / s == 1 || i % s >= 5 {
                    f32::NEG_INFINITY
                } else {
                    0.0
                }
            })
            .collect();
        let a = Tensor::from_shape(&[bsz, heads, s, s], &scores)?;
        let b = Tensor::from_shape(&[bsz, 1, 1, s], &mask)?;

        let build = || -> TractResult<TypedModel> {
            let mut m = TypedModel::default();
            let x = m.add_source("a", f32::fact([bsz, heads, s, s]))?;
            let y = m.add_source("b", f32::fact([bsz, 1, 1, s]))?;
            let sum = m.wire_node("add", add(), &[x, y])?[0];
            let sm = m.wire_node(
                "softmax",
                Softmax::new(tvec![3], None, SoftmaxKind::Softmax),
                &[sum],
            )?[0];
            let nan = m.wire_node("isnan", is_nan(), &[sm])?[0];
            let zero = m.add_const("zero", tensor4(&[[[[0f32]]]]))?;
            let out = m.wire_node("where", Iff, &[nan, zero, sm])?[0];
            m.select_output_outlets(&[out])?;
            Ok(m)
        };
        let run = |m: TypedModel| -> TractResult<Tensor> {
            let plan = m.into_runnable()?;
            let out = plan.run(tvec![a.clone().into_tvalue(), b.clone().into_tvalue()])?;
            Ok(out[0].clone().into_tensor())
        };
        let plain = build()?;
        let mut fused = build()?;
        assert_eq!(fuse(&mut fused)?, 1);
        assert!(
            fused
                .eval_order()?
                .iter()
                .any(|&n| fused.node(n).op_is::<AddSoftmax>())
        );
        let (want, got) = (run(plain)?, run(fused)?);
        assert_eq!(want.shape(), got.shape());
        let (w, g) = (want.try_as_plain_ram()?, got.try_as_plain_ram()?);
        let (w, g) = (w.as_slice::<f32>()?, g.as_slice::<f32>()?);
        assert_eq!(w, g);
        // Masked keys get 0, fully masked rows are all 0, the others sum to 1.
        let block = heads * s * s;
        assert!(g[block..].iter().all(|&v| v == 0.0));
        for row in g[..block].chunks(s) {
            assert!(row[5..].iter().all(|&v| v == 0.0));
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
        Ok(())
    }
}
