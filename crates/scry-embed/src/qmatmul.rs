//! Integer products for weight-only int8 models: `MatMul(x, Mul(Cast(q), s))` computed as
//! `(xq · q) × (row scale × column scale)` with 16-bit activations, 8-bit weights and 32-bit sums.
//!
//! The dequantisation rewrite ([`crate::dequant`]) folds each int8 weight to f32 once, and tract
//! then runs f32 products: in wasm that is 4 multiply-adds per two SIMD instructions (SIMD128 has
//! no fused multiply-add). SIMD128's `i32x4.dot_i16x8_s` does 8 multiply-adds in one, and the
//! packed weights take half the memory of f32 ones. This module rewrites, before tract sees the
//! model:
//!
//! - `MatMul(x, W)`, where `W = Mul(Cast(q), s)` with `q` an int8/uint8 `[K, N]` initializer and
//!   `s` one scale per column (`[N]`, `[1, N]`) or one for the whole matrix, into a `ScryQMatMul`
//!   node (domain `ai.scry`) with inputs `(x, q, s)`;
//! - a following `Add(·, bias)` with an f32 `[N]` initializer is folded into that node as a
//!   fourth input;
//! - a following exact GELU in the form this model's exporter writes,
//!   `Mul(h, Mul(0.5, Add(Erf(Div(h, √2)), 1)))`, is applied in the node's own pass (attribute
//!   `activation = "gelu"`, with tract's erf kernel: the same operations in the same order).
//!
//! At load the node's weights are packed once (column panels of [`NR`], pairs of `k` interleaved
//! for the dot product). At run time each row of `x` is quantised on its own, symmetrically, to
//! the largest integer range whose sums cannot overflow 32 bits (`|xq| ≤ min(32767, (2³¹ − 1) /
//! (K' × max|q|))`, K' = K rounded up to even: 32,767 at K = 384, 10,922 at K = 1,536 and 5,461
//! at K = 3,072 for int8 weights), so the only error against the f32 product is that rounding:
//! half a step, 1 / 65,534 of the row's largest value at K = 384, 1 / 21,844 at K = 1,536.
//! Weights whose range would leave fewer than 1,024 levels per row stay on the f32 path. A row
//! holding NaN or an infinity gives NaN in every column (the f32 product gives NaN or ±∞).
//!
//! In wasm with SIMD128 the tile product uses `i32x4.dot_i16x8_s` (4 rows × 8 columns, 8
//! accumulators: no spills on x86-64's sixteen vector registers); elsewhere a portable loop
//! computes the very same integers, so native and browser results agree bit for bit.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use tract_onnx::pb::attribute_proto::AttributeType;
use tract_onnx::pb::tensor_proto::DataType;
use tract_onnx::pb::{AttributeProto, GraphProto, NodeProto, TensorProto};
use tract_onnx::prelude::*;
use tract_onnx::tract_core::tract_linalg::Func;
use tract_onnx::tract_core::tract_linalg::element_wise::ElementWise;
use tract_onnx::tract_hir::internal::*;

use crate::dequant::{
    GraphIndex, data_type, f32_values, find_dequants, int8_values, is_default_domain,
};

/// Output rows of a tile.
const MR: usize = 4;
/// Output columns of a tile (one packed panel).
const NR: usize = 8;
/// The node's operator type and domain in the rewritten graph.
pub(crate) const OP_TYPE: &str = "ScryQMatMul";
const DOMAIN: &str = "ai.scry";
/// Fewest quantisation levels (per sign) an activation row may get.
const MIN_LIMIT: i64 = 1024;

/// What [`rewrite`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct IntRewrite {
    /// Products now `ScryQMatMul` nodes.
    pub(crate) products: usize,
    /// Bias additions folded into them.
    pub(crate) biases: usize,
    /// Exact GELUs folded into them.
    pub(crate) gelus: usize,
}

/// Rewrites every qualifying product of `graph` (see the module docs).
pub(crate) fn rewrite(graph: &mut GraphProto) -> IntRewrite {
    let mut stats = IntRewrite::default();
    let index = GraphIndex::new(graph);
    let GraphIndex {
        inits,
        protected,
        users: users_of,
    } = &index;
    let patterns = find_dequants(graph, inits, users_of, protected);

    let mut dropped: HashSet<usize> = HashSet::new();
    let mut replaced: HashMap<usize, NodeProto> = HashMap::new();
    for p in &patterns {
        let q = &graph.initializer[inits[&p.q]];
        let s = &graph.initializer[inits[&p.scale]];
        let Some(n) = qualifies(q, s) else { continue };
        let users = users_of.get(&p.weight).map_or(&[][..], Vec::as_slice);
        let products_only = !users.is_empty()
            && users.iter().all(|&u| {
                let node = &graph.node[u];
                node.op_type == "MatMul"
                    && is_default_domain(node)
                    && node.input.len() == 2
                    && node.output.len() == 1
                    && node.input[1] == p.weight
                    && node.input[0] != p.weight
            });
        if !products_only {
            continue;
        }
        for &u in users {
            let mm = &graph.node[u];
            let mut inputs = vec![mm.input[0].clone(), p.q.clone(), p.scale.clone()];
            let mut output = mm.output[0].clone();
            if let Some((add, bias)) = bias_add(graph, &index, &output, n) {
                inputs.push(bias);
                output = graph.node[add].output[0].clone();
                dropped.insert(add);
                stats.biases += 1;
            }
            let mut attribute = Vec::new();
            if let Some((nodes, out)) = exact_gelu(graph, &index, &output) {
                dropped.extend(nodes);
                output = out;
                stats.gelus += 1;
                attribute.push(AttributeProto {
                    name: "activation".to_owned(),
                    r#type: AttributeType::String as i32,
                    s: b"gelu".to_vec(),
                    ..AttributeProto::default()
                });
            }
            replaced.insert(
                u,
                NodeProto {
                    name: format!("{}__int", mm.name),
                    op_type: OP_TYPE.to_owned(),
                    domain: DOMAIN.to_owned(),
                    input: inputs,
                    output: vec![output],
                    attribute,
                    ..NodeProto::default()
                },
            );
        }
        dropped.extend([p.cast, p.mul]);
    }
    stats.products = replaced.len();
    if stats.products == 0 {
        return stats;
    }
    let old = std::mem::take(&mut graph.node);
    for (i, node) in old.into_iter().enumerate() {
        if dropped.contains(&i) {
            continue;
        }
        graph.node.push(replaced.remove(&i).unwrap_or(node));
    }
    stats
}

/// `N` when `q` is an inline int8/uint8 `[K, N]` matrix with a per-column or single f32 scale and
/// a range that leaves activations enough levels.
fn qualifies(q: &TensorProto, s: &TensorProto) -> Option<usize> {
    let [k, n] = q.dims[..] else { return None };
    let (k, n) = (usize::try_from(k).ok()?, usize::try_from(n).ok()?);
    if k == 0 || n == 0 {
        return None;
    }
    let scales = f32_values(s)?;
    let per_column = matches!(s.dims[..], [d] | [1, d] if usize::try_from(d).ok() == Some(n));
    // One value for the whole matrix, of rank ≤ 2 (a higher rank would change the product's).
    let single = scales.len() == 1 && s.dims.len() <= 2;
    if !(per_column || single) || scales.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let values = int8_values(q)?;
    let wmax = values.iter().fold(0f32, |m, v| m.max(v.abs())) as i64;
    (limit(wmax, k) >= MIN_LIMIT).then_some(n)
}

/// Largest activation magnitude whose sums over `k` (rounded up to even) products with weights
/// of magnitude ≤ `wmax` fit in an i32.
fn limit(wmax: i64, k: usize) -> i64 {
    let kp = i64::try_from(k.next_multiple_of(2)).unwrap_or(i64::MAX);
    (i64::from(i32::MAX) / wmax.max(1).saturating_mul(kp)).min(i64::from(i16::MAX))
}

/// The only reader of value `v` (not a graph input or output) if it is a default-domain `op`
/// node with `arity` inputs and one output.
fn sole_reader(
    graph: &GraphProto,
    index: &GraphIndex,
    v: &str,
    op: &str,
    arity: usize,
) -> Option<usize> {
    if index.protected.contains(v) {
        return None;
    }
    let [u] = index.users.get(v).map(Vec::as_slice)? else {
        return None;
    };
    let n = &graph.node[*u];
    (n.op_type == op && is_default_domain(n) && n.input.len() == arity && n.output.len() == 1)
        .then_some(*u)
}

/// The operand of binary node `n` that is not `v` (`None` if `v` is both or neither).
fn other_input<'a>(n: &'a NodeProto, v: &str) -> Option<&'a String> {
    match (n.input[0] == v, n.input[1] == v) {
        (true, false) => Some(&n.input[1]),
        (false, true) => Some(&n.input[0]),
        _ => None,
    }
}

/// The `Add` right after product output `out` with an f32 `[N]` bias initializer, if that `Add`
/// is the output's only reader: `(node index, bias name)`.
fn bias_add(
    graph: &GraphProto,
    index: &GraphIndex,
    out: &str,
    n: usize,
) -> Option<(usize, String)> {
    let a = sole_reader(graph, index, out, "Add", 2)?;
    let other = other_input(&graph.node[a], out)?;
    let t = &graph.initializer[*index.inits.get(other)?];
    let ok = data_type(t) == Some(DataType::Float)
        && t.dims.len() == 1
        && usize::try_from(t.dims[0]).ok() == Some(n)
        && f32_values(t).is_some();
    ok.then(|| (a, other.clone()))
}

/// The exact (erf) GELU of value `h` in the form this model's exporter (PyTorch's dynamo) writes,
/// `Mul(h, Mul(0.5, Add(Erf(Div(h, √2)), 1)))` (either operand order for `Mul` and `Add`), with
/// `h` read by nothing else: `(its five nodes, its output)`.
fn exact_gelu(graph: &GraphProto, index: &GraphIndex, h: &str) -> Option<([usize; 5], String)> {
    // A one-value f32 constant of rank ≤ 1 (a higher rank could change the output's).
    let scalar = |name: &str| -> Option<f32> {
        let t = &graph.initializer[*index.inits.get(name)?];
        if t.dims.len() > 1 {
            return None;
        }
        match f32_values(t)?[..] {
            [v] => Some(v),
            _ => None,
        }
    };
    let only_user =
        |v: &str, op: &str| sole_reader(graph, index, v, op, if op == "Erf" { 1 } else { 2 });
    let other = |n: &NodeProto, v: &str| other_input(n, v).cloned();
    if index.protected.contains(h) {
        return None;
    }
    let users = index.users.get(h)?;
    let [x, y] = users[..] else { return None };
    let (div, last) = if graph.node[x].op_type == "Div" {
        (x, y)
    } else {
        (y, x)
    };
    let d = &graph.node[div];
    let ok_div = d.op_type == "Div"
        && is_default_domain(d)
        && d.input.len() == 2
        && d.output.len() == 1
        && d.input[0] == h
        && scalar(&d.input[1]).is_some_and(|c| (c - std::f32::consts::SQRT_2).abs() < 1e-6);
    if !ok_div {
        return None;
    }
    let erf = only_user(&d.output[0], "Erf")?;
    let add = only_user(&graph.node[erf].output[0], "Add")?;
    let a = &graph.node[add];
    if scalar(&other(a, &graph.node[erf].output[0])?) != Some(1.0) {
        return None;
    }
    let half = only_user(&a.output[0], "Mul")?;
    let m = &graph.node[half];
    if scalar(&other(m, &a.output[0])?) != Some(0.5) {
        return None;
    }
    let out = only_user(&m.output[0], "Mul")?;
    let g = &graph.node[out];
    if out != last || other(g, &m.output[0])? != h {
        return None;
    }
    Some(([div, erf, add, half, out], g.output[0].clone()))
}

/// tract-onnx builder for `ScryQMatMul` nodes (registered by [`crate::onnx_parser`]).
pub(crate) fn build(
    _ctx: &tract_onnx::model::ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    ensure!(
        node.domain == DOMAIN && (3..=4).contains(&node.input.len()),
        "{OP_TYPE} is scry's own operator (domain {DOMAIN}, 3 or 4 inputs)"
    );
    let mut gelu = false;
    for a in &node.attribute {
        match (a.name.as_str(), a.s.as_slice()) {
            ("activation", b"gelu") => gelu = true,
            (name, _) => bail!("{OP_TYPE}: unknown attribute {name}"),
        }
    }
    Ok((
        expand(IntProductExpansion {
            bias: node.input.len() == 4,
            gelu,
        }),
        vec![],
    ))
}

/// The parsed node, until it is wired as an [`IntProduct`] on constant weights.
#[derive(Debug, Clone)]
struct IntProductExpansion {
    bias: bool,
    gelu: bool,
}

impl Expansion for IntProductExpansion {
    fn name(&self) -> StaticName {
        OP_TYPE.into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 3 + usize::from(self.bias))?;
        check_output_arity(outputs, 1)?;
        s.equals(&inputs[0].datum_type, DatumType::F32)?;
        s.equals(&outputs[0].datum_type, DatumType::F32)?;
        s.equals(&inputs[1].rank, 2)?;
        s.equals(&inputs[0].rank, &outputs[0].rank)?;
        s.given(&inputs[0].rank, move |s, rank| {
            let rank = usize::try_from(rank)?;
            ensure!(rank >= 1, "{OP_TYPE} needs an input of rank ≥ 1");
            for axis in 0..rank - 1 {
                s.equals(&inputs[0].shape[axis], &outputs[0].shape[axis])?;
            }
            s.equals(&inputs[0].shape[rank - 1], &inputs[1].shape[0])?;
            s.equals(&outputs[0].shape[rank - 1], &inputs[1].shape[1])?;
            Ok(())
        })
    }

    fn wire(
        &self,
        prefix: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        let konst = |i: usize| -> TractResult<Arc<Tensor>> {
            model
                .outlet_fact(inputs[i])?
                .konst
                .clone()
                .with_context(|| format!("{OP_TYPE}: input {i} is not a constant"))
        };
        let q = konst(1)?;
        let scale = konst(2)?;
        let bias = if self.bias { Some(konst(3)?) } else { None };
        let mut weights = PackedWeights::from_tensors(&q, &scale, bias.as_deref())?;
        if self.gelu {
            weights.gelu = Some(Func::Erf.ew_f32()?);
        }
        model.wire_node(
            prefix,
            IntProduct {
                weights: Arc::new(weights),
            },
            &inputs[..1],
        )
    }
}

/// A `[K, N]` weight matrix packed for the integer kernel, with its column scales and bias.
pub(crate) struct PackedWeights {
    k: usize,
    /// `k` rounded up to even (the dot product takes `k` in pairs).
    kp: usize,
    n: usize,
    /// Panels of [`NR`] columns; within one, `k` pairs of `[q(2i, c), q(2i+1, c)]` for each
    /// column `c`; zeros past `k` and `n`.
    data: Vec<i16>,
    /// Per column, padded to whole panels.
    col_scale: Vec<f32>,
    bias: Vec<f32>,
    /// Largest activation magnitude after quantisation.
    limit: f32,
    /// Exact GELU of the outputs, with this erf kernel (tract's).
    gelu: Option<Box<dyn ElementWise<f32>>>,
}

impl fmt::Debug for PackedWeights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PackedWeights")
            .field("k", &self.k)
            .field("n", &self.n)
            .field("limit", &self.limit)
            .field("gelu", &self.gelu.is_some())
            .finish_non_exhaustive()
    }
}

impl PackedWeights {
    /// From tract constants: int8/uint8 `q` `[K, N]`, f32 scale (per column or one), optional
    /// f32 bias `[N]`.
    fn from_tensors(q: &Tensor, scale: &Tensor, bias: Option<&Tensor>) -> TractResult<Self> {
        let [k, n] = q.shape() else {
            bail!(
                "{OP_TYPE}: weights of shape {:?}, expected [K, N]",
                q.shape()
            )
        };
        let view = q.try_as_plain_ram()?;
        let values: Vec<i16> = match q.datum_type() {
            DatumType::I8 => view
                .as_slice::<i8>()?
                .iter()
                .map(|&v| i16::from(v))
                .collect(),
            DatumType::U8 => view
                .as_slice::<u8>()?
                .iter()
                .map(|&v| i16::from(v))
                .collect(),
            dt => bail!("{OP_TYPE}: weights of type {dt:?}"),
        };
        let scale = scale.cast_to::<f32>()?;
        let scale = scale.try_as_plain_ram()?.as_slice::<f32>()?.to_vec();
        let bias = match bias {
            Some(b) => Some(
                b.cast_to::<f32>()?
                    .try_as_plain_ram()?
                    .as_slice::<f32>()?
                    .to_vec(),
            ),
            None => None,
        };
        Self::new(&values, *k, *n, &scale, bias.as_deref())
    }

    /// Packs row-major `q` (`k × n`); `scale` holds `n` values or one, `bias` `n`.
    pub(crate) fn new(
        q: &[i16],
        k: usize,
        n: usize,
        scale: &[f32],
        bias: Option<&[f32]>,
    ) -> TractResult<Self> {
        ensure!(
            k > 0 && n > 0 && q.len() == k * n,
            "{OP_TYPE}: {} weights for [{k}, {n}]",
            q.len()
        );
        ensure!(
            scale.len() == n || scale.len() == 1,
            "{OP_TYPE}: {} scales for {n} columns",
            scale.len()
        );
        if let Some(b) = bias {
            ensure!(
                b.len() == n,
                "{OP_TYPE}: {} biases for {n} columns",
                b.len()
            );
        }
        let wmax = q
            .iter()
            .map(|v| i64::from(v.unsigned_abs()))
            .max()
            .unwrap_or(0);
        let lim = limit(wmax, k);
        ensure!(
            lim >= MIN_LIMIT,
            "{OP_TYPE}: weights too large for 32-bit sums over {k} products"
        );
        let kp = k.next_multiple_of(2);
        let panels = n.div_ceil(NR);
        let mut data = vec![0i16; panels * kp * NR];
        for p in 0..panels {
            let panel = &mut data[p * kp * NR..(p + 1) * kp * NR];
            for c in 0..NR.min(n - p * NR) {
                let col = p * NR + c;
                for row in 0..k {
                    panel[(row / 2) * 2 * NR + 2 * c + row % 2] = q[row * n + col];
                }
            }
        }
        let mut col_scale = vec![0f32; panels * NR];
        for (c, v) in col_scale.iter_mut().take(n).enumerate() {
            *v = scale[if scale.len() == 1 { 0 } else { c }];
        }
        let mut padded_bias = vec![0f32; panels * NR];
        if let Some(b) = bias {
            padded_bias[..n].copy_from_slice(b);
        }
        Ok(Self {
            k,
            kp,
            n,
            data,
            col_scale,
            bias: padded_bias,
            limit: lim as f32,
            gelu: None,
        })
    }

    /// `out[m × n] = x[m × k] · W + bias`, then GELU if set.
    pub(crate) fn run(&self, x: &[f32], out: &mut [f32]) -> TractResult<()> {
        let (k, kp, n) = (self.k, self.kp, self.n);
        let m = x.len() / k;
        debug_assert!(x.len() == m * k && out.len() == m * n);
        let mut qa = vec![0i16; MR * kp];
        let mut row_scale = [0f32; MR];
        let mut scratch = if self.gelu.is_some() {
            vec![0f32; MR * n]
        } else {
            Vec::new()
        };
        for m0 in (0..m).step_by(MR) {
            let rows = MR.min(m - m0);
            for r in 0..MR {
                let dst = &mut qa[r * kp..(r + 1) * kp];
                row_scale[r] = if r < rows {
                    quantize_row(&x[(m0 + r) * k..(m0 + r + 1) * k], self.limit, dst)
                } else {
                    dst.fill(0);
                    0.0
                };
            }
            for (p, panel) in self.data.chunks_exact(kp * NR).enumerate() {
                let acc = tile(&qa, kp, panel);
                let c0 = p * NR;
                let cols = NR.min(n - c0);
                for (r, (acc_r, &rs)) in acc.iter().zip(&row_scale).enumerate().take(rows) {
                    let dst = &mut out[(m0 + r) * n + c0..(m0 + r) * n + c0 + cols];
                    let scales = &self.col_scale[c0..c0 + cols];
                    let bias = &self.bias[c0..c0 + cols];
                    for (((o, &a), &cs), &b) in dst.iter_mut().zip(acc_r).zip(scales).zip(bias) {
                        *o = a as f32 * (rs * cs) + b;
                    }
                }
            }
            if let Some(erf) = &self.gelu {
                // h · (0.5 · (erf(h / √2) + 1)), the exported graph's operations in its order.
                let h = &mut out[m0 * n..(m0 + rows) * n];
                let t = &mut scratch[..h.len()];
                for (t, &h) in t.iter_mut().zip(h.iter()) {
                    *t = h / std::f32::consts::SQRT_2;
                }
                erf.run(t)?;
                for (h, &e) in h.iter_mut().zip(t.iter()) {
                    *h *= 0.5 * (e + 1.0);
                }
            }
        }
        Ok(())
    }
}

/// Quantises one row to `[-limit, limit]`; returns its scale (`NaN` for a row with NaN or
/// infinities, 0 for an all-zero row). `out` may be longer than `x` (zeros after it).
fn quantize_row(x: &[f32], limit: f32, out: &mut [i16]) -> f32 {
    let mut amax = 0f32;
    let mut finite = true;
    for &v in x {
        amax = amax.max(v.abs());
        finite &= v.is_finite();
    }
    out[x.len()..].fill(0);
    if !finite {
        out.fill(0);
        return f32::NAN;
    }
    if amax == 0.0 {
        out.fill(0);
        return 0.0;
    }
    let inv = limit / amax;
    if inv.is_finite() {
        for (o, &v) in out.iter_mut().zip(x) {
            *o = (v * inv).round_ties_even().clamp(-limit, limit) as i16;
        }
    } else {
        // A row so small (largest value below about 1e-34) that `limit / amax` overflows.
        for (o, &v) in out.iter_mut().zip(x) {
            *o = (v / amax * limit).round_ties_even().clamp(-limit, limit) as i16;
        }
    }
    amax / limit
}

/// The integer sums of one tile: `MR` quantised rows (`a`, stride `kp`) times one panel.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn tile(a: &[i16], kp: usize, panel: &[i16]) -> [[i32; NR]; MR] {
    let mut acc = [[0i32; NR]; MR];
    for (r, acc_r) in acc.iter_mut().enumerate() {
        let row = &a[r * kp..(r + 1) * kp];
        for (pair, b) in row.chunks_exact(2).zip(panel.chunks_exact(2 * NR)) {
            let (a0, a1) = (i32::from(pair[0]), i32::from(pair[1]));
            for (c, acc_rc) in acc_r.iter_mut().enumerate() {
                *acc_rc += a0 * i32::from(b[2 * c]) + a1 * i32::from(b[2 * c + 1]);
            }
        }
    }
    acc
}

/// The integer sums of one tile with `i32x4.dot_i16x8_s` (same integers as the portable loop).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[allow(unsafe_code)] // SIMD loads take pointers; the bounds are checked before the loop
fn tile(a: &[i16], kp: usize, panel: &[i16]) -> [[i32; NR]; MR] {
    use std::arch::wasm32::*;
    let pairs = kp / 2;
    assert!(a.len() >= MR * kp && panel.len() >= pairs * 2 * NR && MR == 4 && NR == 8);
    let mut out = [[0i32; NR]; MR];
    // SAFETY: every load below reads within `a[..MR * kp]` or `panel[..pairs * 2 * NR]`
    // (asserted above); SIMD128 loads and stores need no alignment.
    unsafe {
        let (pa, pb) = (a.as_ptr(), panel.as_ptr());
        let z = i32x4_splat(0);
        let (mut c00, mut c01, mut c10, mut c11) = (z, z, z, z);
        let (mut c20, mut c21, mut c30, mut c31) = (z, z, z, z);
        for i in 0..pairs {
            let b0 = v128_load(pb.add(i * 16).cast::<v128>());
            let b1 = v128_load(pb.add(i * 16 + 8).cast::<v128>());
            let a0 = v128_load32_splat(pa.add(2 * i).cast::<u32>());
            c00 = i32x4_add(c00, i32x4_dot_i16x8(a0, b0));
            c01 = i32x4_add(c01, i32x4_dot_i16x8(a0, b1));
            let a1 = v128_load32_splat(pa.add(kp + 2 * i).cast::<u32>());
            c10 = i32x4_add(c10, i32x4_dot_i16x8(a1, b0));
            c11 = i32x4_add(c11, i32x4_dot_i16x8(a1, b1));
            let a2 = v128_load32_splat(pa.add(2 * kp + 2 * i).cast::<u32>());
            c20 = i32x4_add(c20, i32x4_dot_i16x8(a2, b0));
            c21 = i32x4_add(c21, i32x4_dot_i16x8(a2, b1));
            let a3 = v128_load32_splat(pa.add(3 * kp + 2 * i).cast::<u32>());
            c30 = i32x4_add(c30, i32x4_dot_i16x8(a3, b0));
            c31 = i32x4_add(c31, i32x4_dot_i16x8(a3, b1));
        }
        for (row, (lo, hi)) in out
            .iter_mut()
            .zip([(c00, c01), (c10, c11), (c20, c21), (c30, c31)])
        {
            v128_store(row.as_mut_ptr().cast::<v128>(), lo);
            v128_store(row.as_mut_ptr().add(4).cast::<v128>(), hi);
        }
    }
    out
}

/// The typed product on packed constant weights; its one input is `x` `[…, K]` f32.
#[derive(Debug, Clone)]
pub(crate) struct IntProduct {
    weights: Arc<PackedWeights>,
}

impl PartialEq for IntProduct {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.weights, &other.weights)
    }
}

impl Eq for IntProduct {}

impl Op for IntProduct {
    fn name(&self) -> StaticName {
        OP_TYPE.into()
    }

    fn info(&self) -> TractResult<Vec<String>> {
        Ok(vec![format!(
            "int16 × int8 [{} × {}]",
            self.weights.k, self.weights.n
        )])
    }

    op_as_typed_op!();
}

impl EvalOp for IntProduct {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, mut inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        ensure!(inputs.len() == 1, "{OP_TYPE} takes one input");
        let Some(x) = inputs.pop() else {
            bail!("{OP_TYPE} takes one input")
        };
        let w = &self.weights;
        let shape = x.shape();
        ensure!(
            shape.last() == Some(&w.k),
            "{OP_TYPE}: input {shape:?} for weights [{}, {}]",
            w.k,
            w.n
        );
        let mut out_shape: TVec<usize> = shape.into();
        if let Some(last) = out_shape.last_mut() {
            *last = w.n;
        }
        let mut out = Tensor::zero::<f32>(&out_shape)?;
        {
            let view = x.try_as_plain_ram()?;
            let mut dst = out.try_as_plain_ram_mut()?;
            w.run(view.as_slice::<f32>()?, dst.as_slice_mut::<f32>()?)?;
        }
        Ok(tvec!(out.into_tvalue()))
    }
}

impl TypedOp for IntProduct {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let mut shape: TVec<TDim> = inputs[0].shape.iter().cloned().collect();
        ensure!(!shape.is_empty(), "{OP_TYPE} needs an input of rank ≥ 1");
        if let Some(last) = shape.last_mut() {
            *last = self.weights.n.to_dim();
        }
        Ok(tvec!(f32::fact(shape)))
    }

    as_op!();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift) for test data.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn f(&mut self) -> f32 {
            (self.next() % 20_001) as f32 / 10_000.0 - 1.0
        }
    }

    /// `x · W + b` through [`PackedWeights`].
    fn product(q: &[i16], k: usize, n: usize, s: &[f32], b: Option<&[f32]>, x: &[f32]) -> Vec<f32> {
        let mut out = vec![0f32; x.len() / k * n];
        if let Err(e) = PackedWeights::new(q, k, n, s, b).and_then(|w| w.run(x, &mut out)) {
            panic!("[{k}, {n}]: {e:#}");
        }
        out
    }

    /// The f32 product of `x` with the dequantised weights, in f64.
    fn reference(x: &[f32], q: &[i16], k: usize, n: usize, s: &[f32], b: &[f32]) -> Vec<f64> {
        let m = x.len() / k;
        let mut out = vec![0f64; m * n];
        for i in 0..m {
            for j in 0..n {
                let sj = f64::from(s[if s.len() == 1 { 0 } else { j }]);
                let mut acc = 0f64;
                for l in 0..k {
                    acc += f64::from(x[i * k + l]) * f64::from(q[l * n + j]) * sj;
                }
                out[i * n + j] = acc + f64::from(b[j]);
            }
        }
        out
    }

    /// Odd sizes (partial tiles and panels, odd `k`), int8 and uint8 ranges, per-column and
    /// single scales: every output within the quantisation bound of the exact product.
    // Natively and in the browser (there with the SIMD128 tile).
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn products_match_the_f32_reference_within_the_rounding_bound() {
        let mut rng = Rng(0x5eed);
        for &(m, k, n, unsigned, per_col) in &[
            (1, 1, 1, false, true),
            (5, 7, 9, false, true),
            (13, 384, 17, false, false),
            (4, 33, 8, true, true),
            (9, 1536, 20, false, true),
        ] {
            let q: Vec<i16> = (0..k * n)
                .map(|_| {
                    let v = (rng.next() % 256) as i16;
                    if unsigned { v } else { v - 128 }
                })
                .collect();
            let s: Vec<f32> = (0..if per_col { n } else { 1 })
                .map(|_| 0.001 + rng.f().abs() * 0.01)
                .collect();
            let b: Vec<f32> = (0..n).map(|_| rng.f()).collect();
            let mut x: Vec<f32> = (0..m * k).map(|_| rng.f() * 3.0).collect();
            if m > 2 {
                x[k..2 * k].fill(0.0); // an all-zero row
            }
            let out = product(&q, k, n, &s, Some(&b), &x);
            let wmax = q
                .iter()
                .map(|v| i64::from(v.unsigned_abs()))
                .max()
                .unwrap_or(0);
            let lim = limit(wmax, k) as f32;
            let want = reference(&x, &q, k, n, &s, &b);
            for i in 0..m {
                let row = &x[i * k..(i + 1) * k];
                let amax = row.iter().fold(0f32, |a, v| a.max(v.abs()));
                for j in 0..n {
                    let sj = s[if s.len() == 1 { 0 } else { j }];
                    let col_abs: f64 = (0..k).map(|l| f64::from(q[l * n + j].abs())).sum();
                    // Each activation is off by at most half a step (amax / limit / 2).
                    let bound = f64::from(amax / lim) * 0.5 * col_abs * f64::from(sj)
                        + 1e-4 * want[i * n + j].abs()
                        + 1e-5;
                    let got = f64::from(out[i * n + j]);
                    assert!(
                        (got - want[i * n + j]).abs() <= bound,
                        "m{m} k{k} n{n} [{i},{j}]: {got} vs {}",
                        want[i * n + j]
                    );
                }
            }
        }
    }

    /// On all-MiniLM-L6-v2 int8: every projection (6 layers × 6) becomes an integer product
    /// with its bias, and each layer's GELU joins its first feed-forward product.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn the_default_model_is_rewritten_whole() -> TractResult<()> {
        let dir = std::env::var_os("SCRY_MODELS_DIR").map_or_else(
            || std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/cache"),
            std::path::PathBuf::from,
        );
        let bytes = std::fs::read(dir.join(crate::DEFAULT_TEXT_MODEL).join("model.onnx"))?;
        let onnx = crate::onnx_parser();
        let mut proto = onnx.proto_model_for_read(&mut &bytes[..])?;
        let graph = proto.graph.as_mut().context("no graph")?;
        let before = graph.node.len();
        let stats = rewrite(graph);
        assert_eq!(
            stats,
            IntRewrite {
                products: 36,
                biases: 36,
                gelus: 6
            }
        );
        // Each product drops its Cast and Mul, each bias its Add, each GELU five nodes.
        assert_eq!(graph.node.len(), before - 36 * 2 - 36 - 6 * 5);
        assert!(graph.node.iter().all(|n| n.op_type != "Erf"));
        // And the rewritten graph loads.
        onnx.model_for_proto_model(&proto)?;
        Ok(())
    }

    // Natively and in the browser (there with the SIMD128 tile).
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn tiny_rows_keep_their_values() {
        // `limit / amax` overflows f32 for a row this small; the values must still be kept.
        let amax = 2f32.powi(-120);
        let x = [amax, -amax / 2.0, 0.0, amax / 4.0];
        let mut q = [0i16; 4];
        let scale = quantize_row(&x, 32_767.0, &mut q);
        assert_eq!(q, [32_767, -16_384, 0, 8_192]);
        let back = f64::from(scale) * 32_767.0;
        assert!(
            (back - f64::from(amax)).abs() < 1e-3 * f64::from(amax),
            "{back}"
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rows_with_nan_or_infinity_give_nan_and_leave_other_rows_alone() {
        let (k, n) = (6, 3);
        let q: Vec<i16> = (0..k * n).map(|i| (i as i16 % 7) - 3).collect();
        let mut x = vec![1f32; 3 * k];
        x[k + 2] = f32::NAN;
        x[2 * k] = f32::INFINITY;
        let out = product(&q, k, n, &[0.5], None, &x);
        assert_eq!(out.len(), 3 * n);
        assert!(out[..n].iter().all(|v| v.is_finite()));
        assert!(out[n..].iter().all(|v| v.is_nan()));
        // Row 0 is what it is on its own.
        let alone = product(&q, k, n, &[0.5], None, &x[..k]);
        assert_eq!(alone.len(), n);
        for (j, (a, b)) in out[..n].iter().zip(&alone).enumerate() {
            assert!(
                (a - b).abs() <= 1e-6 * b.abs().max(f32::MIN_POSITIVE),
                "column {j}: {a} with the other rows, {b} alone"
            );
        }
    }

    // Natively and in the browser (there with the SIMD128 tile).
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_activation_range_shrinks_with_k_and_refuses_too_few_levels() {
        assert_eq!(limit(127, 384), 32_767);
        assert_eq!(limit(128, 1536), 10_922);
        // Sums can never overflow: the limit times the largest possible |sum| fits.
        for (wmax, k) in [(128i64, 1536usize), (255, 4097), (1, 1)] {
            let lim = limit(wmax, k);
            assert!(lim * wmax * k.next_multiple_of(2) as i64 <= 2_147_483_647);
        }
        let q = vec![127i16; 20_000];
        assert!(PackedWeights::new(&q, 20_000, 1, &[1.0], None).is_err());
    }
}
