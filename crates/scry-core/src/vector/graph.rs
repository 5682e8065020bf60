//! HNSW graphs: built by instant-distance over int8 points, then frozen into compact adjacency
//! arrays (CSR per layer) that scry searches itself with reusable scratch memory.
//!
//! instant-distance orders points so that the nodes of layer `l` are ids `0..len(l)` and the
//! entry point is id 0; its graph is read out through its serde form (postcard), whose layout is
//! checked by the tests below (instant-distance is pinned to =0.6.1).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use instant_distance::{Builder, Point};

use super::distance::dot_i8;
use super::params::HnswParams;
use crate::codec::{DecodeError, Reader, put_u32, put_varint};

/// instant-distance's fixed `M` (upper layers keep `M` links, layer 0 `2·M`).
const ID_M: usize = 32;
const INVALID: u32 = u32::MAX;

/// A point as instant-distance sees it while building: a view of one int8 row.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BuildPoint<'a> {
    pub(crate) codes: &'a [i8],
    pub(crate) scale: f32,
    pub(crate) sqnorm: f32,
    pub(crate) l2: bool,
}

impl Point for BuildPoint<'_> {
    fn distance(&self, other: &Self) -> f32 {
        let dot = self.scale * other.scale * dot_i8(self.codes, other.codes) as f32;
        if self.l2 {
            (self.sqnorm + other.sqnorm - 2.0 * dot).max(0.0)
        } else {
            // 1 − similarity: non-negative for unit vectors; only the order matters.
            1.0 - dot
        }
    }
}

impl serde::Serialize for BuildPoint<'_> {
    // The points themselves are not needed from the serde form: scry keeps its own rows.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_unit()
    }
}

/// One layer's adjacency lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Csr {
    offsets: Vec<u32>,
    neighbors: Vec<u32>,
}

impl Csr {
    fn from_lists(lists: impl IntoIterator<Item = Vec<u32>>) -> Self {
        let mut c = Csr {
            offsets: vec![0],
            neighbors: Vec::new(),
        };
        for l in lists {
            c.neighbors.extend(l);
            c.offsets.push(c.neighbors.len() as u32);
        }
        c
    }

    /// Number of nodes in this layer.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// True when the layer has no nodes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Neighbours of `node` (which must be `< len()`).
    #[inline]
    pub fn neighbors(&self, node: u32) -> &[u32] {
        let i = node as usize;
        &self.neighbors[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }
}

/// A frozen HNSW graph over rows `0..n` (row ids are graph ids).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Graph {
    /// `layers[0]` covers every node; `layers[l]` the nodes `0..layers[l].len()`.
    layers: Vec<Csr>,
}

/// Builds a graph with instant-distance. Returns the graph and, for each input point, its graph
/// id (rows must then be stored in graph order).
pub(crate) fn build(points: Vec<BuildPoint<'_>>, params: &HnswParams) -> (Graph, Vec<u32>) {
    let n = points.len();
    if n == 0 {
        return (Graph::default(), Vec::new());
    }
    let builder = Builder::default()
        .ef_construction(params.ef_construction)
        .ef_search(params.ef_search)
        .seed(params.seed)
        .select_heuristic(if params.heuristic {
            Some(Default::default())
        } else {
            None
        });
    let (hnsw, ids) = on_one_thread(move || builder.build_hnsw(points));
    let order: Vec<u32> = ids.iter().map(|p| p.into_inner()).collect();
    // Serialising an in-memory structure to a Vec cannot fail; an empty graph would only make
    // search exact-by-scan fall back, never wrong.
    let bytes = postcard::to_allocvec(&hnsw).unwrap_or_default();
    let graph = read_instant_distance(&bytes, n, params.m).unwrap_or_default();
    (graph, order)
}

/// Runs `f` (a graph build) on one thread, so that the same points always give the same graph:
/// instant-distance inserts a layer's points in parallel on rayon's pool, in an order that
/// changes from run to run, so an unchanged rebuild of a static index renamed its vector chunk
/// and every visitor downloaded it again. Costs the parallel speed-up of graph builds natively
/// (BENCHMARKS.md); wasm has one thread anyway.
#[cfg(not(target_arch = "wasm32"))]
fn on_one_thread<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    match rayon::ThreadPoolBuilder::new().num_threads(1).build() {
        Ok(pool) => pool.install(f),
        // No thread to start: rayon's global pool then runs on this thread too.
        Err(_) => f(),
    }
}

#[cfg(target_arch = "wasm32")]
fn on_one_thread<T>(f: impl FnOnce() -> T) -> T {
    f()
}

/// Reads instant-distance 0.6.1's postcard form: `ef_search`, `points` (units), `zero`
/// (`[PointId; 64]` per node), `layers` (`Vec<[PointId; 32]>` per upper layer), keeping the
/// first `m` (upper) / `2m` (layer 0) links of each node.
fn read_instant_distance(bytes: &[u8], n: usize, m: usize) -> Result<Graph, DecodeError> {
    let mut r = Reader::new(bytes);
    let _ef_search = r.varint()?;
    let points = r.varint()?;
    if points != n as u64 {
        return Err(r.invalid(format!("{points} points, expected {n}")));
    }
    let read_layer = |r: &mut Reader<'_>, width: usize, keep: usize| -> Result<Csr, DecodeError> {
        let len = r.count(width)?;
        let mut lists = Vec::with_capacity(len);
        for _ in 0..len {
            let mut l = Vec::with_capacity(keep);
            for _ in 0..width {
                let id = r.varint_u32()?;
                if id != INVALID && l.len() < keep {
                    if id as usize >= n {
                        return Err(r.invalid("neighbour id out of range"));
                    }
                    l.push(id);
                }
            }
            lists.push(l);
        }
        Ok(Csr::from_lists(lists))
    };
    let zero = read_layer(&mut r, 2 * ID_M, 2 * m)?;
    let upper = r.count(1)?;
    let mut layers = vec![zero];
    for _ in 0..upper {
        layers.push(read_layer(&mut r, ID_M, m)?);
    }
    if !r.is_empty() {
        return Err(r.invalid("trailing bytes"));
    }
    // instant-distance's `layers[i]` is layer i + 1 (bottom-up), as scry keeps them.
    Ok(Graph { layers })
}

/// Candidate in a search: smaller distance is better.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Cand {
    dist: f32,
    id: u32,
}

impl Eq for Cand {}
impl Ord for Cand {
    fn cmp(&self, other: &Self) -> Ordering {
        self.dist
            .total_cmp(&other.dist)
            .then(self.id.cmp(&other.id))
    }
}
impl PartialOrd for Cand {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Reusable search memory (visited marks by generation, heaps).
#[derive(Debug, Default, Clone)]
pub struct GraphScratch {
    visited: Vec<u32>,
    generation: u32,
    candidates: BinaryHeap<std::cmp::Reverse<Cand>>,
    results: BinaryHeap<Cand>,
}

impl GraphScratch {
    fn start(&mut self, n: usize) {
        if self.visited.len() < n {
            self.visited.resize(n, 0);
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.visited.iter_mut().for_each(|v| *v = 0);
            self.generation = 1;
        }
        self.candidates.clear();
        self.results.clear();
    }

    #[inline]
    fn visit(&mut self, id: u32) -> bool {
        let v = &mut self.visited[id as usize];
        if *v == self.generation {
            false
        } else {
            *v = self.generation;
            true
        }
    }
}

impl Graph {
    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.layers.first().map_or(0, Csr::len)
    }

    /// True when the graph has no nodes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of layers.
    pub fn layer_count(&self) -> usize {
        self.layers.len()
    }

    /// Total stored links (memory accounting).
    pub fn link_count(&self) -> usize {
        self.layers.iter().map(|l| l.neighbors.len()).sum()
    }

    /// Best-first search (HNSW algorithm 2 with greedy descent). `dist(id)` is the distance of
    /// node `id` to the query; only nodes `accept` admits enter the results, but every node may be
    /// traversed. Returns up to `ef` `(id, distance)` pairs, nearest first.
    pub fn search(
        &self,
        ef: usize,
        scratch: &mut GraphScratch,
        mut dist: impl FnMut(u32) -> f32,
        mut accept: impl FnMut(u32) -> bool,
    ) -> Vec<(u32, f32)> {
        let n = self.len();
        if n == 0 || ef == 0 {
            return Vec::new();
        }
        scratch.start(n);
        let mut cur = 0u32;
        let mut cur_d = dist(cur);
        for layer in self.layers[1..].iter().rev() {
            loop {
                let mut moved = false;
                for &nb in layer.neighbors(cur) {
                    let d = dist(nb);
                    if d < cur_d {
                        cur_d = d;
                        cur = nb;
                        moved = true;
                    }
                }
                if !moved {
                    break;
                }
            }
        }
        let zero = &self.layers[0];
        scratch.visit(cur);
        scratch.candidates.push(std::cmp::Reverse(Cand {
            dist: cur_d,
            id: cur,
        }));
        if accept(cur) {
            scratch.results.push(Cand {
                dist: cur_d,
                id: cur,
            });
        }
        while let Some(std::cmp::Reverse(c)) = scratch.candidates.pop() {
            if scratch.results.len() >= ef
                && scratch
                    .results
                    .peek()
                    .is_some_and(|worst| c.dist > worst.dist)
            {
                break;
            }
            for &nb in zero.neighbors(c.id) {
                if !scratch.visit(nb) {
                    continue;
                }
                let d = dist(nb);
                let full = scratch.results.len() >= ef;
                if full && scratch.results.peek().is_some_and(|w| d >= w.dist) {
                    continue;
                }
                scratch
                    .candidates
                    .push(std::cmp::Reverse(Cand { dist: d, id: nb }));
                if accept(nb) {
                    scratch.results.push(Cand { dist: d, id: nb });
                    if scratch.results.len() > ef {
                        scratch.results.pop();
                    }
                }
            }
        }
        let mut out: Vec<(u32, f32)> = scratch.results.drain().map(|c| (c.id, c.dist)).collect();
        out.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        out
    }

    /// Appends the encoded graph.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_varint(out, self.layers.len() as u64);
        for l in &self.layers {
            put_varint(out, l.len() as u64);
            for node in 0..l.len() {
                let nb = l.neighbors(node as u32);
                put_varint(out, nb.len() as u64);
                for &x in nb {
                    put_u32(out, x);
                }
            }
        }
    }

    /// Decodes and validates a graph over `n` nodes.
    pub fn decode(r: &mut Reader<'_>, n: usize) -> Result<Self, DecodeError> {
        let count = r.count(1)?;
        let mut layers = Vec::with_capacity(count);
        let mut prev_len = n;
        for l in 0..count {
            let len = r.count(1)?;
            if (l == 0 && len != n) || len > prev_len || len == 0 {
                return Err(r.invalid(format!("layer {l} has {len} nodes")));
            }
            prev_len = len;
            let mut lists = Vec::with_capacity(len);
            for _ in 0..len {
                let k = r.count(4)?;
                let mut nb = Vec::with_capacity(k);
                for _ in 0..k {
                    let x = r.u32()?;
                    if x as usize >= len {
                        return Err(r.invalid(format!("link to {x} outside layer {l}")));
                    }
                    nb.push(x);
                }
                lists.push(nb);
            }
            layers.push(Csr::from_lists(lists));
        }
        if n > 0 && layers.is_empty() {
            return Err(r.invalid("graph without layers"));
        }
        Ok(Graph { layers })
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    /// The same points give the same graph and order, build after build, on a machine whose
    /// rayon pool has several threads (before graphs were built on one thread, two builds of
    /// these 3,000 points differed).
    #[test]
    fn the_same_points_give_the_same_graph() {
        let dims = 32;
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 56) as i8
        };
        let codes: Vec<i8> = (0..3000 * dims).map(|_| next()).collect();
        let points = || {
            codes
                .chunks(dims)
                .map(|c| BuildPoint {
                    codes: c,
                    scale: 1.0 / 128.0,
                    sqnorm: 0.0,
                    l2: false,
                })
                .collect::<Vec<_>>()
        };
        let params = HnswParams::default();
        let (graph, order) = build(points(), &params);
        assert_eq!(order.len(), 3000);
        for _ in 0..3 {
            let again = build(points(), &params);
            assert_eq!(again.1, order);
            assert!(
                again.0 == graph,
                "a rebuild of the same points changed the graph"
            );
        }
    }
}
