//! Load-time rewrite of weight-only int8 dequantisation in an ONNX graph.
//!
//! Weight-only quantised exports store each weight `W` as an int8 initializer `q` with a float
//! scale `s`, and rebuild it in the graph with `W = Mul(Cast(q, to=float), s)`. Run as shipped,
//! tract evaluates those nodes on every inference: the whole 30,522 × 384 word-embedding table and
//! every projection matrix are dequantised for each batch, which dominates small batches. This
//! module rewrites the `ModelProto` in memory, before tract sees it:
//!
//! - **gather first** — when `W` only feeds `Gather(W, indices, axis=0)` nodes and the scale is
//!   per row (shape `[rows, 1, …]`) or a single value, each `Gather` becomes
//!   `Mul(Cast(Gather(q, indices)), Gather(s, indices))`: only the looked-up rows are
//!   dequantised (embedding tables);
//! - **fold** — any other `Mul(Cast(q), s)` on initializers is computed once here and replaced by
//!   an f32 initializer (projection matrices, a few MB each).
//!
//! Both rewrites compute the very same f32 products as the original graph (an exact int8 → f32
//! cast, then one f32 multiply), so outputs are bit-identical. Anything that does not match the
//! pattern exactly (external data, unusual broadcasting, a dequantised weight that is also a graph
//! output, …) is left untouched: the rewrite can make a model faster, never wrong.

use std::collections::{HashMap, HashSet};

use tract_onnx::pb::tensor_proto::DataType;
use tract_onnx::pb::{GraphProto, ModelProto, NodeProto, TensorProto};

/// What [`rewrite_model`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RewriteStats {
    /// `Gather` nodes now gathering int8 rows before dequantising them.
    pub gathers: usize,
    /// Dequantised weights folded into f32 initializers.
    pub folded: usize,
}

/// Rewrites the dequantisation patterns of a model's main graph in place (see the module docs).
/// A model without a graph is left alone.
pub fn rewrite_model(model: &mut ModelProto) -> RewriteStats {
    model.graph.as_mut().map(rewrite).unwrap_or_default()
}

/// A `Mul(Cast(q), s)` pair on initializers.
pub(crate) struct Dequant {
    pub(crate) cast: usize,
    pub(crate) mul: usize,
    /// Name of the int8 initializer.
    pub(crate) q: String,
    /// Name of the f32 scale initializer.
    pub(crate) scale: String,
    /// Name of the dequantised f32 value (the `Mul`'s output).
    pub(crate) weight: String,
    /// Whether the cast value is the `Mul`'s first input (kept, to keep the operand order).
    cast_first: bool,
}

/// Rewrites the dequantisation patterns of `graph` in place (see the module docs).
pub(crate) fn rewrite(graph: &mut GraphProto) -> RewriteStats {
    let mut stats = RewriteStats::default();
    let GraphIndex {
        inits,
        protected,
        users: consumers,
    } = GraphIndex::new(graph);

    let patterns = find_dequants(graph, &inits, &consumers, &protected);
    let mut dropped_nodes: HashSet<usize> = HashSet::new();
    // Gather index → nodes that replace it.
    let mut replacements: HashMap<usize, Vec<NodeProto>> = HashMap::new();
    let mut new_inits: Vec<TensorProto> = Vec::new();

    for p in &patterns {
        let q = &graph.initializer[inits[&p.q]];
        let s = &graph.initializer[inits[&p.scale]];
        let users = consumers.get(&p.weight).map_or(&[][..], Vec::as_slice);
        let gathers_only = !users.is_empty()
            && users
                .iter()
                .all(|&u| is_row_gather_of(&graph.node[u], &p.weight));
        if gathers_only && let Some(per_row) = row_scale_kind(q, s) {
            for &g in users {
                let nodes = gather_first(graph, p, g, per_row);
                replacements.insert(g, nodes);
                stats.gathers += 1;
            }
            dropped_nodes.extend([p.cast, p.mul]);
        } else if let Some(folded) = fold(q, s, &p.weight) {
            new_inits.push(folded);
            dropped_nodes.extend([p.cast, p.mul]);
            stats.folded += 1;
        }
    }
    if dropped_nodes.is_empty() {
        return stats;
    }

    let old_nodes = std::mem::take(&mut graph.node);
    for (i, node) in old_nodes.into_iter().enumerate() {
        if dropped_nodes.contains(&i) {
            continue;
        }
        match replacements.remove(&i) {
            Some(nodes) => graph.node.extend(nodes),
            None => graph.node.push(node),
        }
    }
    graph.initializer.extend(new_inits);

    // Drop the int8/scale initializers nothing reads any more (the folded ones).
    let used: HashSet<&str> = graph
        .node
        .iter()
        .flat_map(|n| n.input.iter().map(String::as_str))
        .collect();
    let touched: HashSet<&str> = patterns
        .iter()
        .flat_map(|p| [p.q.as_str(), p.scale.as_str()])
        .collect();
    let keep: Vec<bool> = graph
        .initializer
        .iter()
        .map(|t| {
            let name = t.name.as_str();
            !touched.contains(name) || used.contains(name) || protected.contains(name)
        })
        .collect();
    let mut keep = keep.into_iter();
    graph.initializer.retain(|_| keep.next().unwrap_or(true));
    stats
}

/// What the graph rewrites look up: initializers by name, the names of the graph's inputs and
/// outputs (never rewritten away), and the nodes reading each value.
pub(crate) struct GraphIndex {
    pub(crate) inits: HashMap<String, usize>,
    pub(crate) protected: HashSet<String>,
    pub(crate) users: HashMap<String, Vec<usize>>,
}

impl GraphIndex {
    pub(crate) fn new(graph: &GraphProto) -> Self {
        GraphIndex {
            inits: graph
                .initializer
                .iter()
                .enumerate()
                .map(|(i, t)| (t.name.clone(), i))
                .collect(),
            protected: graph
                .input
                .iter()
                .chain(&graph.output)
                .map(|v| v.name.clone())
                .collect(),
            users: consumers(&graph.node),
        }
    }
}

/// Node indices reading each value name.
pub(crate) fn consumers(nodes: &[NodeProto]) -> HashMap<String, Vec<usize>> {
    let mut map: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, n) in nodes.iter().enumerate() {
        for input in &n.input {
            let users = map.entry(input.clone()).or_default();
            if !users.contains(&i) {
                users.push(i);
            }
        }
    }
    map
}

pub(crate) fn find_dequants(
    graph: &GraphProto,
    inits: &HashMap<String, usize>,
    consumers: &HashMap<String, Vec<usize>>,
    protected: &HashSet<String>,
) -> Vec<Dequant> {
    let mut found = Vec::new();
    for (ci, cast) in graph.node.iter().enumerate() {
        if cast.op_type != "Cast"
            || !is_default_domain(cast)
            || cast.input.len() != 1
            || cast.output.len() != 1
            || int_attr(cast, "to") != Some(DataType::Float as i64)
        {
            continue;
        }
        let q = &cast.input[0];
        let Some(&qi) = inits.get(q) else { continue };
        let qt = &graph.initializer[qi];
        if !matches!(data_type(qt), Some(DataType::Int8 | DataType::Uint8)) {
            continue;
        }
        let cast_out = &cast.output[0];
        if protected.contains(cast_out) || protected.contains(q) {
            continue;
        }
        let Some([mi]) = consumers.get(cast_out).map(Vec::as_slice) else {
            continue;
        };
        let mul = &graph.node[*mi];
        if mul.op_type != "Mul"
            || !is_default_domain(mul)
            || mul.input.len() != 2
            || mul.output.len() != 1
            || mul.input[0] == mul.input[1]
        {
            continue;
        }
        let cast_first = mul.input[0] == *cast_out;
        let scale = &mul.input[usize::from(cast_first)];
        let Some(&si) = inits.get(scale) else {
            continue;
        };
        if data_type(&graph.initializer[si]) != Some(DataType::Float) || protected.contains(scale) {
            continue;
        }
        let weight = &mul.output[0];
        if protected.contains(weight) {
            continue;
        }
        found.push(Dequant {
            cast: ci,
            mul: *mi,
            q: q.clone(),
            scale: scale.clone(),
            weight: weight.clone(),
            cast_first,
        });
    }
    found
}

pub(crate) fn is_default_domain(n: &NodeProto) -> bool {
    n.domain.is_empty() || n.domain == "ai.onnx"
}

fn int_attr(n: &NodeProto, name: &str) -> Option<i64> {
    n.attribute.iter().find(|a| a.name == name).map(|a| a.i)
}

pub(crate) fn data_type(t: &TensorProto) -> Option<DataType> {
    DataType::try_from(t.data_type).ok()
}

/// `Gather(weight, indices)` along axis 0, with `weight` only as the data input.
fn is_row_gather_of(n: &NodeProto, weight: &str) -> bool {
    n.op_type == "Gather"
        && is_default_domain(n)
        && n.input.len() == 2
        && n.output.len() == 1
        && n.input[0] == weight
        && n.input[1] != weight
        && int_attr(n, "axis").unwrap_or(0) == 0
}

/// Whether a scale can be gathered with its rows: `Some(true)` for a per-row scale
/// (`[rows, 1, …]`, same rank as `q`), `Some(false)` for one value for the whole tensor (all
/// dimensions 1), `None` otherwise.
fn row_scale_kind(q: &TensorProto, s: &TensorProto) -> Option<bool> {
    if s.dims.iter().all(|&d| d == 1) && s.dims.len() <= q.dims.len() {
        return Some(false);
    }
    let per_row = s.dims.len() == q.dims.len()
        && s.dims.first() == q.dims.first()
        && s.dims.iter().skip(1).all(|&d| d == 1);
    per_row.then_some(true)
}

/// The nodes replacing Gather node `g`: `Mul(Cast(Gather(q, idx)), Gather(s, idx) or s)`.
fn gather_first(graph: &GraphProto, p: &Dequant, g: usize, per_row_scale: bool) -> Vec<NodeProto> {
    let gather = &graph.node[g];
    let indices = gather.input[1].clone();
    let out = gather.output[0].clone();
    let base = if gather.name.is_empty() {
        format!("{out}__node")
    } else {
        gather.name.clone()
    };
    let rows_q = format!("{out}__rows_q");
    let rows_f = format!("{out}__rows_f");

    let mut nodes = Vec::with_capacity(4);
    let mut gather_q = gather.clone();
    gather_q.name = format!("{base}__gather_q");
    gather_q.input = vec![p.q.clone(), indices.clone()];
    gather_q.output = vec![rows_q.clone()];
    nodes.push(gather_q);

    let mut cast = graph.node[p.cast].clone();
    cast.name = format!("{base}__cast");
    cast.input = vec![rows_q];
    cast.output = vec![rows_f.clone()];
    nodes.push(cast);

    let scale = if per_row_scale {
        let rows_s = format!("{out}__rows_scale");
        let mut gather_s = gather.clone();
        gather_s.name = format!("{base}__gather_scale");
        gather_s.input = vec![p.scale.clone(), indices];
        gather_s.output = vec![rows_s.clone()];
        nodes.push(gather_s);
        rows_s
    } else {
        p.scale.clone()
    };

    let mut mul = graph.node[p.mul].clone();
    mul.name = format!("{base}__mul");
    mul.input = if p.cast_first {
        vec![rows_f, scale]
    } else {
        vec![scale, rows_f]
    };
    mul.output = vec![out];
    nodes.push(mul);
    nodes
}

/// `q` as f32 values (exact), or `None` for storage this rewrite does not handle.
pub(crate) fn int8_values(t: &TensorProto) -> Option<Vec<f32>> {
    if t.data_location == Some(1) || t.segment.is_some() {
        return None;
    }
    let signed = match data_type(t)? {
        DataType::Int8 => true,
        DataType::Uint8 => false,
        _ => return None,
    };
    let v: Vec<f32> = if !t.raw_data.is_empty() {
        t.raw_data
            .iter()
            .map(|&b| {
                if signed {
                    f32::from(b as i8)
                } else {
                    f32::from(b)
                }
            })
            .collect()
    } else {
        // Without raw_data, int8/uint8 values are stored one per int32.
        t.int32_data.iter().map(|&x| x as f32).collect()
    };
    (v.len() == element_count(&t.dims)?).then_some(v)
}

pub(crate) fn f32_values(t: &TensorProto) -> Option<Vec<f32>> {
    if t.data_location == Some(1) || t.segment.is_some() || data_type(t)? != DataType::Float {
        return None;
    }
    let v: Vec<f32> = if !t.raw_data.is_empty() {
        if !t.raw_data.len().is_multiple_of(4) {
            return None;
        }
        t.raw_data
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    } else {
        t.float_data.clone()
    };
    (v.len() == element_count(&t.dims)?).then_some(v)
}

fn element_count(dims: &[i64]) -> Option<usize> {
    dims.iter().try_fold(1usize, |acc, &d| {
        usize::try_from(d).ok().and_then(|d| acc.checked_mul(d))
    })
}

/// `Mul(Cast(q), s)` computed once, as an f32 initializer named `name`; `None` when `s` does not
/// broadcast to `q`'s shape (the output would be larger than `q`) or the data is not inline.
fn fold(q: &TensorProto, s: &TensorProto, name: &str) -> Option<TensorProto> {
    let qv = int8_values(q)?;
    let sv = f32_values(s)?;
    let rank = q.dims.len();
    if s.dims.len() > rank {
        return None;
    }
    // Scale dims aligned to the right (numpy broadcasting); each must be 1 or equal.
    let mut s_dims = vec![1i64; rank - s.dims.len()];
    s_dims.extend_from_slice(&s.dims);
    if s_dims
        .iter()
        .zip(&q.dims)
        .any(|(&sd, &qd)| sd != 1 && sd != qd)
    {
        return None;
    }
    // Row-major strides of the scale, 0 along broadcast axes.
    let mut s_strides = vec![0usize; rank];
    let mut acc = 1usize;
    for axis in (0..rank).rev() {
        let d = usize::try_from(s_dims[axis]).ok()?;
        s_strides[axis] = if d == 1 { 0 } else { acc };
        acc = acc.checked_mul(d)?;
    }
    let q_dims: Vec<usize> = q
        .dims
        .iter()
        .map(|&d| usize::try_from(d).ok())
        .collect::<Option<_>>()?;
    // Row by row along the last axis (cheap even in unoptimised builds: the projection matrices
    // of MiniLM hold 10.6 M values).
    let (inner, inner_stride) = match (q_dims.last(), s_strides.last()) {
        (Some(&n), Some(&st)) => (n, st),
        _ => (1, 0), // a scalar
    };
    let outer = &q_dims[..rank.saturating_sub(1)];
    let mut index = vec![0usize; outer.len()];
    let mut out = Vec::with_capacity(qv.len() * 4);
    for row in qv.chunks(inner.max(1)) {
        let base: usize = index.iter().zip(&s_strides).map(|(i, st)| i * st).sum();
        let scales = sv.get(base..)?;
        for (j, &x) in row.iter().enumerate() {
            let s = *scales.get(j * inner_stride)?;
            out.extend_from_slice(&(x * s).to_le_bytes());
        }
        for axis in (0..outer.len()).rev() {
            index[axis] += 1;
            if index[axis] < outer[axis] {
                break;
            }
            index[axis] = 0;
        }
    }
    Some(TensorProto {
        name: name.to_owned(),
        dims: q.dims.clone(),
        data_type: DataType::Float as i32,
        raw_data: out,
        ..TensorProto::default()
    })
}

#[cfg(test)]
mod tests {
    use tract_onnx::pb::{AttributeProto, ValueInfoProto};

    use super::*;

    fn node(op: &str, name: &str, inputs: &[&str], outputs: &[&str]) -> NodeProto {
        NodeProto {
            op_type: op.into(),
            name: name.into(),
            input: inputs.iter().map(|s| (*s).into()).collect(),
            output: outputs.iter().map(|s| (*s).into()).collect(),
            ..NodeProto::default()
        }
    }

    fn cast_to_float(name: &str, input: &str, output: &str) -> NodeProto {
        let mut n = node("Cast", name, &[input], &[output]);
        n.attribute.push(AttributeProto {
            name: "to".into(),
            i: DataType::Float as i64,
            r#type: 2, // INT
            ..AttributeProto::default()
        });
        n
    }

    fn int8(name: &str, dims: &[i64], v: &[i8]) -> TensorProto {
        TensorProto {
            name: name.into(),
            dims: dims.to_vec(),
            data_type: DataType::Int8 as i32,
            raw_data: v.iter().map(|&x| x as u8).collect(),
            ..TensorProto::default()
        }
    }

    fn f32s(name: &str, dims: &[i64], v: &[f32]) -> TensorProto {
        TensorProto {
            name: name.into(),
            dims: dims.to_vec(),
            data_type: DataType::Float as i32,
            float_data: v.to_vec(),
            ..TensorProto::default()
        }
    }

    /// ids → Gather(dequant(table)) → MatMul(dequant(w)) → y.
    fn graph() -> GraphProto {
        GraphProto {
            node: vec![
                cast_to_float("t_cast", "table_q", "table_f"),
                node("Mul", "t_mul", &["table_f", "table_s"], &["table"]),
                cast_to_float("w_cast", "w_q", "w_f"),
                node("Mul", "w_mul", &["w_s", "w_f"], &["w"]),
                node("Gather", "emb", &["table", "ids"], &["e"]),
                node("MatMul", "mm", &["e", "w"], &["y"]),
            ],
            initializer: vec![
                int8("table_q", &[3, 2], &[1, -2, 3, -4, 127, -128]),
                f32s("table_s", &[3, 1], &[0.5, 0.25, 0.125]),
                int8("w_q", &[2, 2], &[1, 2, 3, 4]),
                f32s("w_s", &[1, 2], &[0.1, 0.01]),
            ],
            input: vec![ValueInfoProto {
                name: "ids".into(),
                ..ValueInfoProto::default()
            }],
            output: vec![ValueInfoProto {
                name: "y".into(),
                ..ValueInfoProto::default()
            }],
            ..GraphProto::default()
        }
    }

    #[test]
    fn gathers_rows_first_and_folds_the_rest() {
        let mut g = graph();
        let stats = rewrite(&mut g);
        assert_eq!(
            stats,
            RewriteStats {
                gathers: 1,
                folded: 1
            }
        );
        let ops: Vec<_> = g.node.iter().map(|n| n.op_type.as_str()).collect();
        assert_eq!(ops, ["Gather", "Cast", "Gather", "Mul", "MatMul"]);
        // The Mul keeps the original operand order (cast value first) and writes `e`.
        let mul = &g.node[3];
        assert_eq!(mul.input, ["e__rows_f", "e__rows_scale"]);
        assert_eq!(mul.output, ["e"]);
        // w folded: [[1*0.1, 2*0.01], [3*0.1, 4*0.01]], its int8 inputs gone.
        let names: Vec<_> = g.initializer.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["table_q", "table_s", "w"]);
        let w = f32_values(&g.initializer[2]).unwrap();
        assert_eq!(w, [1.0 * 0.1, 2.0 * 0.01, 3.0 * 0.1, 4.0 * 0.01]);
    }

    #[test]
    fn leaves_unknown_shapes_alone() {
        let mut g = graph();
        // A scale broadcasting beyond q's shape cannot be folded into q's shape.
        g.initializer[3] = f32s("w_s", &[3, 2, 2], &[0.5; 12]);
        // A gather along axis 1 is not a row lookup: the table is folded instead.
        g.node[4].attribute.push(AttributeProto {
            name: "axis".into(),
            i: 1,
            r#type: 2,
            ..AttributeProto::default()
        });
        let stats = rewrite(&mut g);
        assert_eq!(
            stats,
            RewriteStats {
                gathers: 0,
                folded: 1
            }
        );
        let ops: Vec<_> = g.node.iter().map(|n| n.op_type.as_str()).collect();
        assert_eq!(ops, ["Cast", "Mul", "Gather", "MatMul"]);
    }

    #[test]
    fn fold_broadcasts_numpy_style() {
        let q = int8("q", &[2, 3], &[1, 2, 3, 4, 5, 6]);
        let per_col = f32s("s", &[3], &[1.0, 10.0, 100.0]);
        let folded = fold(&q, &per_col, "w").unwrap();
        assert_eq!(
            f32_values(&folded).unwrap(),
            [1.0, 20.0, 300.0, 4.0, 50.0, 600.0]
        );
        let per_row = f32s("s", &[2, 1], &[1.0, -1.0]);
        let folded = fold(&q, &per_row, "w").unwrap();
        assert_eq!(
            f32_values(&folded).unwrap(),
            [1.0, 2.0, 3.0, -4.0, -5.0, -6.0]
        );
        // Rank 3, scale [2, 1, 2]: element (i, j, k) × s[i, 0, k].
        let q3 = int8("q", &[2, 2, 2], &[1, 1, 1, 1, 1, 1, 1, 1]);
        let s3 = f32s("s", &[2, 1, 2], &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(
            f32_values(&fold(&q3, &s3, "w").unwrap()).unwrap(),
            [1.0, 2.0, 1.0, 2.0, 3.0, 4.0, 3.0, 4.0]
        );
        let scalar = fold(&int8("q", &[], &[-3]), &f32s("s", &[], &[0.5]), "w").unwrap();
        assert_eq!(f32_values(&scalar).unwrap(), [-1.5]);
        let external = TensorProto {
            data_location: Some(1),
            ..q.clone()
        };
        assert!(fold(&external, &per_row, "w").is_none());
        let short = int8("q", &[2, 3], &[1, 2]);
        assert!(fold(&short, &per_row, "w").is_none());
    }
}
