//! The vector part of a segment: int8 rows with per-row scales, the document each row (passage)
//! belongs to, optionally the f32 originals, and an HNSW graph once the segment is large enough.

use std::collections::BinaryHeap;

use super::distance::{dot_f32, dot_f32_i8, dot_i8};
use super::graph::{self, BuildPoint, Graph, GraphScratch};
use super::params::{Metric, VectorParams};
use super::quantize::{fine_bytes, fine_dot, normalize, quantize_fine_into, quantize_into};
use crate::codec::{DecodeError, Reader, put_f32, put_u32, put_varint};
use crate::error::{CoreError, Result};

/// A query vector prepared for one metric: normalised if cosine, plus its int8 form.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorQuery {
    values: Vec<f32>,
    codes: Vec<i8>,
    scale: f32,
    sqnorm: f32,
    /// Sum of `values` (the refinement's offset term, see `quantize::fine_dot`).
    sum: f32,
}

impl VectorQuery {
    /// Prepares `v` for `metric`; rejects empty, non-finite or (for cosine) zero vectors.
    pub fn new(v: &[f32], metric: Metric) -> Result<Self> {
        let mut values = v.to_vec();
        check_vector(&mut values, metric)?;
        let mut codes = Vec::new();
        let scale = quantize_into(&values, &mut codes);
        let sqnorm = dot_f32(&values, &values);
        let sum = values.iter().sum();
        Ok(Self {
            values,
            codes,
            scale,
            sqnorm,
            sum,
        })
    }

    /// Dimension.
    pub fn dims(&self) -> usize {
        self.values.len()
    }

    /// The (normalised) values.
    pub fn values(&self) -> &[f32] {
        &self.values
    }
}

/// Validates a vector for `metric`, normalising it for cosine.
pub fn check_vector(v: &mut [f32], metric: Metric) -> Result<()> {
    if v.is_empty() {
        return Err(CoreError::InvalidInput("vector is empty".into()));
    }
    if v.iter().any(|x| !x.is_finite()) {
        return Err(CoreError::InvalidInput(
            "vector has NaN or infinite values".into(),
        ));
    }
    if metric == Metric::Cosine && !normalize(v) {
        return Err(CoreError::InvalidInput(
            "cannot use a zero vector with cosine".into(),
        ));
    }
    Ok(())
}

/// Immutable vectors of a segment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VectorSegment {
    dims: usize,
    codes: Vec<i8>,
    /// 2-bit residuals of the int8 codes, `fine_bytes(dims)` per row (`quantize::quantize_fine_into`):
    /// re-scoring with them is 4× more precise than with the codes alone.
    fine: Vec<u8>,
    scales: Vec<f32>,
    sqnorms: Vec<f32>,
    doc_of: Vec<u32>,
    originals: Option<Vec<f32>>,
    graph: Option<Graph>,
}

/// Reusable memory for vector searches.
#[derive(Debug, Default, Clone)]
pub struct VectorScratch {
    graph: GraphScratch,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct MinSim(f32, u32);
impl Eq for MinSim {}
impl Ord for MinSim {
    // Reversed: the heap's top is the *smallest* similarity (evicted first).
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        o.0.total_cmp(&self.0).then(self.1.cmp(&o.1))
    }
}
impl PartialOrd for MinSim {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

impl VectorSegment {
    /// Builds a segment from already-checked vectors (see [`check_vector`]) and the local
    /// document of each; an HNSW graph is built when there are at least `hnsw_threshold` rows.
    pub fn build(dims: usize, rows: &[(Vec<f32>, u32)], params: &VectorParams) -> Self {
        let mut seg = VectorSegment {
            dims,
            ..Default::default()
        };
        let mut buf = Vec::with_capacity(dims);
        let mut fine = Vec::with_capacity(fine_bytes(dims));
        for (v, doc) in rows {
            let scale = quantize_into(v, &mut buf);
            quantize_fine_into(v, &buf, scale, &mut fine);
            seg.codes.extend_from_slice(&buf);
            seg.fine.extend_from_slice(&fine);
            seg.scales.push(scale);
            let refined = super::quantize::dequantize_fine(&buf, &fine, scale);
            seg.sqnorms.push(dot_f32(&refined, &refined));
            seg.doc_of.push(*doc);
        }
        if params.keep_f32 {
            seg.originals = Some(rows.iter().flat_map(|(v, _)| v.iter().copied()).collect());
        }
        seg.freeze(params);
        seg
    }

    /// Concatenates the rows of `parts`, keeping a row only if `remap(part, doc)` gives it a new
    /// document number; rebuilds the graph if the result is large enough.
    pub fn merge(
        dims: usize,
        parts: &[&VectorSegment],
        mut remap: impl FnMut(usize, u32) -> Option<u32>,
        params: &VectorParams,
    ) -> Self {
        let mut seg = VectorSegment {
            dims,
            ..Default::default()
        };
        let keep_f32 = params.keep_f32 && parts.iter().all(|p| p.originals.is_some());
        let mut originals = Vec::new();
        for (pi, part) in parts.iter().enumerate() {
            for row in 0..part.rows() {
                let Some(doc) = remap(pi, part.doc_of[row]) else {
                    continue;
                };
                seg.codes.extend_from_slice(part.row_codes(row));
                seg.fine.extend_from_slice(part.row_fine(row));
                seg.scales.push(part.scales[row]);
                seg.sqnorms.push(part.sqnorms[row]);
                seg.doc_of.push(doc);
                if keep_f32 && let Some(o) = &part.originals {
                    originals.extend_from_slice(&o[row * dims..(row + 1) * dims]);
                }
            }
        }
        if keep_f32 {
            seg.originals = Some(originals);
        }
        seg.freeze(params);
        seg
    }

    /// Builds the graph (if large enough) and stores rows in graph order.
    fn freeze(&mut self, params: &VectorParams) {
        let n = self.rows();
        if n < params.hnsw_threshold || n < 2 {
            return;
        }
        let l2 = params.metric == Metric::L2;
        let points: Vec<BuildPoint<'_>> = (0..n)
            .map(|r| BuildPoint {
                codes: self.row_codes(r),
                scale: self.scales[r],
                sqnorm: self.sqnorms[r],
                l2,
            })
            .collect();
        let (g, order) = graph::build(points, &params.hnsw);
        if g.len() != n {
            return; // Could not read the graph: stay an exact (flat) segment.
        }
        // Permute rows into graph order: new row order[i] holds old row i.
        let d = self.dims;
        let mut codes = vec![0i8; self.codes.len()];
        let fb = fine_bytes(d);
        let mut fine = vec![0u8; self.fine.len()];
        let mut scales = vec![0f32; n];
        let mut sqnorms = vec![0f32; n];
        let mut doc_of = vec![0u32; n];
        let mut originals = self.originals.as_ref().map(|o| vec![0f32; o.len()]);
        for (old, &new) in order.iter().enumerate() {
            let new = new as usize;
            codes[new * d..(new + 1) * d].copy_from_slice(&self.codes[old * d..(old + 1) * d]);
            fine[new * fb..(new + 1) * fb].copy_from_slice(&self.fine[old * fb..(old + 1) * fb]);
            scales[new] = self.scales[old];
            sqnorms[new] = self.sqnorms[old];
            doc_of[new] = self.doc_of[old];
            if let (Some(dst), Some(src)) = (originals.as_mut(), self.originals.as_ref()) {
                dst[new * d..(new + 1) * d].copy_from_slice(&src[old * d..(old + 1) * d]);
            }
        }
        self.codes = codes;
        self.fine = fine;
        self.scales = scales;
        self.sqnorms = sqnorms;
        self.doc_of = doc_of;
        self.originals = originals;
        self.graph = Some(g);
    }

    /// Dimension.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Number of rows (passages).
    pub fn rows(&self) -> usize {
        self.scales.len()
    }

    /// The local document of `row`.
    pub fn doc_of(&self, row: usize) -> u32 {
        self.doc_of[row]
    }

    /// The int8 codes of `row`.
    pub fn row_codes(&self, row: usize) -> &[i8] {
        &self.codes[row * self.dims..(row + 1) * self.dims]
    }

    /// The 2-bit residuals of `row`.
    fn row_fine(&self, row: usize) -> &[u8] {
        let fb = fine_bytes(self.dims);
        &self.fine[row * fb..(row + 1) * fb]
    }

    /// The f32 values of `row` (originals if kept, else dequantised).
    pub fn row_values(&self, row: usize) -> Vec<f32> {
        match &self.originals {
            Some(o) => o[row * self.dims..(row + 1) * self.dims].to_vec(),
            None => super::quantize::dequantize_fine(
                self.row_codes(row),
                self.row_fine(row),
                self.scales[row],
            ),
        }
    }

    /// Whether the segment has an HNSW graph.
    pub fn has_graph(&self) -> bool {
        self.graph.is_some()
    }

    /// Approximate heap bytes used.
    pub fn memory_bytes(&self) -> usize {
        self.codes.len()
            + self.fine.len()
            + 12 * self.rows()
            + self.originals.as_ref().map_or(0, |o| o.len() * 4)
            + self
                .graph
                .as_ref()
                .map_or(0, |g| 4 * g.link_count() + 4 * g.len() * g.layer_count())
    }

    #[inline]
    fn sim_i8(&self, q: &VectorQuery, row: usize, metric: Metric) -> f32 {
        let dot = q.scale * self.scales[row] * dot_i8(&q.codes, self.row_codes(row)) as f32;
        match metric {
            Metric::L2 => -(q.sqnorm + self.sqnorms[row] - 2.0 * dot),
            _ => dot,
        }
    }

    fn sim_exact(&self, q: &VectorQuery, row: usize, metric: Metric) -> f32 {
        let (dot, sqn) = match &self.originals {
            Some(o) => {
                let v = &o[row * self.dims..(row + 1) * self.dims];
                (dot_f32(&q.values, v), dot_f32(v, v))
            }
            None => (
                self.scales[row]
                    * (dot_f32_i8(&q.values, self.row_codes(row))
                        + fine_dot(&q.values, q.sum, self.row_fine(row))),
                self.sqnorms[row],
            ),
        };
        match metric {
            Metric::L2 => -(q.sqnorm + sqn - 2.0 * dot),
            _ => dot,
        }
    }

    /// The `k` most similar rows whose document `accept` admits, most similar first:
    /// `(row, similarity)`. Uses the graph unless `exact` or there is none; the best `rescore`
    /// int8 candidates are re-scored with the f32 query.
    pub fn search(
        &self,
        q: &VectorQuery,
        k: usize,
        params: &VectorParams,
        exact: bool,
        scratch: &mut VectorScratch,
        mut accept: impl FnMut(u32) -> bool,
    ) -> Vec<(usize, f32)> {
        if k == 0 || self.rows() == 0 || q.dims() != self.dims {
            return Vec::new();
        }
        let metric = params.metric;
        let want = k.max(params.rescore);
        let mut cands: Vec<(usize, f32)> = match (&self.graph, exact) {
            (Some(g), false) => {
                let ef = params.hnsw.ef_search.max(want);
                g.search(
                    ef,
                    &mut scratch.graph,
                    |id| -self.sim_i8(q, id as usize, metric),
                    |id| accept(self.doc_of[id as usize]),
                )
                .into_iter()
                .map(|(id, d)| (id as usize, -d))
                .collect()
            }
            _ => {
                let mut heap: BinaryHeap<MinSim> = BinaryHeap::with_capacity(want + 1);
                for row in 0..self.rows() {
                    if !accept(self.doc_of[row]) {
                        continue;
                    }
                    let s = self.sim_i8(q, row, metric);
                    if heap.len() < want {
                        heap.push(MinSim(s, row as u32));
                    } else if heap.peek().is_some_and(|m| s > m.0) {
                        heap.pop();
                        heap.push(MinSim(s, row as u32));
                    }
                }
                heap.into_iter().map(|m| (m.1 as usize, m.0)).collect()
            }
        };
        cands.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        cands.truncate(want);
        for c in &mut cands {
            c.1 = self.sim_exact(q, c.0, metric);
        }
        cands.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        cands.truncate(k);
        cands
    }

    /// The exact similarity of the given candidate rows whose document `accept` admits, the
    /// best `k` first (ties to the smaller row): what [`VectorSegment::search`] returns when
    /// `rows` holds its exact scan's best candidates. Rows out of range are ignored.
    pub fn rescore(
        &self,
        q: &VectorQuery,
        rows: &[u32],
        k: usize,
        params: &VectorParams,
        mut accept: impl FnMut(u32) -> bool,
    ) -> Vec<(usize, f32)> {
        if k == 0 || q.dims() != self.dims {
            return Vec::new();
        }
        let mut cands: Vec<(usize, f32)> = rows
            .iter()
            .map(|&r| r as usize)
            .filter(|&r| r < self.rows() && accept(self.doc_of[r]))
            .map(|r| (r, self.sim_exact(q, r, params.metric)))
            .collect();
        cands.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        cands.dedup_by_key(|c| c.0);
        cands.truncate(k);
        cands
    }

    /// The int8 scale of `row` and the squared norm of its refined vector (what an exact
    /// scan's L2 distance uses).
    pub fn row_scale_sqnorm(&self, row: usize) -> (f32, f32) {
        (self.scales[row], self.sqnorms[row])
    }

    /// Appends the encoded vectors.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.encode_with(out, true);
    }

    /// Appends the encoded vectors without the graph (the documents store's copy: the rows are
    /// what cannot be recomputed without the model; the graph can).
    pub fn encode_rows(&self, out: &mut Vec<u8>) {
        self.encode_with(out, false);
    }

    fn encode_with(&self, out: &mut Vec<u8>, graph: bool) {
        put_varint(out, self.dims as u64);
        put_varint(out, self.rows() as u64);
        out.extend(self.codes.iter().map(|&c| c as u8));
        out.extend_from_slice(&self.fine);
        for r in 0..self.rows() {
            put_f32(out, self.scales[r]);
            put_u32(out, self.doc_of[r]);
        }
        match &self.originals {
            Some(o) => {
                out.push(1);
                for &x in o {
                    put_f32(out, x);
                }
            }
            None => out.push(0),
        }
        match self.graph.as_ref().filter(|_| graph) {
            Some(g) => {
                out.push(1);
                g.encode(out);
            }
            None => out.push(0),
        }
    }

    /// Decodes and validates vectors whose rows belong to documents `0..doc_count`.
    pub fn decode(r: &mut Reader<'_>, doc_count: u32) -> std::result::Result<Self, DecodeError> {
        let dims = r.varint()? as usize;
        let rows = r.count(dims.max(1) + 8)?;
        if rows > 0 && dims == 0 {
            return Err(r.invalid("vectors with dimension 0"));
        }
        let codes: Vec<i8> = r.take(rows * dims)?.iter().map(|&b| b as i8).collect();
        let fine = r.take(rows * fine_bytes(dims))?.to_vec();
        let mut seg = VectorSegment {
            dims,
            codes,
            fine,
            ..Default::default()
        };
        for row in 0..rows {
            let scale = r.f32()?;
            if !scale.is_finite() || scale < 0.0 {
                return Err(r.invalid("invalid vector scale"));
            }
            let doc = r.u32()?;
            if doc >= doc_count {
                return Err(r.invalid(format!("vector of document {doc} ≥ {doc_count}")));
            }
            let fb = fine_bytes(dims);
            let values = super::quantize::dequantize_fine(
                &seg.codes[row * dims..(row + 1) * dims],
                &seg.fine[row * fb..(row + 1) * fb],
                scale,
            );
            let sq = dot_f32(&values, &values);
            seg.scales.push(scale);
            seg.sqnorms.push(sq);
            seg.doc_of.push(doc);
        }
        match r.u8()? {
            0 => {}
            1 => {
                let bytes = r.take(rows * dims * 4)?;
                let o: Vec<f32> = bytes
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect();
                if o.iter().any(|x| !x.is_finite()) {
                    return Err(r.invalid("non-finite original vector"));
                }
                seg.originals = Some(o);
            }
            _ => return Err(r.invalid("bad originals flag")),
        }
        match r.u8()? {
            0 => {}
            1 => seg.graph = Some(Graph::decode(r, rows)?),
            _ => return Err(r.invalid("bad graph flag")),
        }
        Ok(seg)
    }
}
