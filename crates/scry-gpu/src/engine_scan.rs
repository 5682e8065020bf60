//! [`EngineScan`]: a scry-core engine's flat (exactly scanned) segments scored on the GPU.
//!
//! The scan keeps its own copy of those segments' int8 rows (the very codes, scales and norms
//! of the engine's segments) in a [`Scanner`], synchronised from the engine before searches:
//! segments it has not seen are appended, rows of removed documents and of segments merged
//! away are deleted, and the copy is rebuilt when more than half of it is dead. A search gives
//! [`FlatCandidates`], the best rows by segment, which `Engine::search_with_candidates`
//! re-scores exactly: the GPU only chooses candidates, the numbers in the hits are the CPU's.
//!
//! The engine is only borrowed by [`EngineScan::sync`] (synchronous): the GPU work is awaited
//! on the scan alone, and the engine's search takes the candidates afterwards (a segment added
//! in between is scanned on the CPU; one merged away is ignored).

use std::collections::BTreeMap;

use scry_core::vector::{Metric, Precision};
use scry_core::{Engine, FlatCandidates, FlatSegment};

use crate::backend::{Backend, Scanner, Used};
use crate::error::Result;
use crate::vectors::GpuOptions;

/// A flat segment copied into the scan.
#[derive(Debug, Clone, Copy)]
struct Copied {
    /// Its first row in the scan.
    start: u32,
    /// Its rows.
    rows: u32,
    /// The engine's count of its deleted documents when last synchronised.
    deleted_count: u32,
}

/// Exact vector scans of an engine's flat segments on the GPU (see the module documentation).
#[derive(Debug)]
pub struct EngineScan {
    scanner: Scanner,
    segments: BTreeMap<u64, Copied>,
    /// Scan row → (segment serial, row in that segment).
    owner: Vec<(u64, u32)>,
    /// Rows of the scan that are deleted.
    dead: usize,
    /// Searches answered on the GPU.
    gpu_searches: u64,
}

impl EngineScan {
    /// A scan for vectors of `dims` dimensions compared by `metric`. `WebGpu` fails when there
    /// is no usable adapter; `Auto` then gives a scan that never uses the GPU.
    pub async fn new(backend: Backend, dims: usize, metric: Metric) -> Result<Self> {
        let scanner =
            Scanner::new(dims, metric, Precision::I8, backend, GpuOptions::default()).await?;
        Ok(Self {
            scanner,
            segments: BTreeMap::new(),
            owner: Vec::new(),
            dead: 0,
            gpu_searches: 0,
        })
    }

    /// The scanner holding the copy (its backend, adapter and failure).
    pub fn scanner(&self) -> &Scanner {
        &self.scanner
    }

    /// Searches answered on the GPU so far.
    pub fn gpu_searches(&self) -> u64 {
        self.gpu_searches
    }

    /// Flat segments copied.
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// Brings the copy up to date with `engine`'s flat segments (uploads are queued on the
    /// device at the next search).
    pub fn sync(&mut self, engine: &Engine) -> Result<()> {
        let live: BTreeMap<u64, FlatSegment<'_>> =
            engine.flat_segments().map(|f| (f.serial, f)).collect();
        let gone: Vec<u64> = self
            .segments
            .keys()
            .filter(|s| !live.contains_key(s))
            .copied()
            .collect();
        for serial in gone {
            if let Some(c) = self.segments.remove(&serial) {
                for row in c.start..c.start + c.rows {
                    if self.scanner.delete(row) {
                        self.dead += 1;
                    }
                }
            }
        }
        if self.dead > 1024 && self.dead * 2 > self.scanner.flat().len() {
            self.scanner.clear()?;
            self.segments.clear();
            self.owner.clear();
            self.dead = 0;
        }
        for (&serial, f) in &live {
            let v = f.vectors;
            let deleted = |doc: u32| f.deleted.get(doc as usize).copied().unwrap_or(true);
            match self.segments.get_mut(&serial) {
                Some(c) if c.deleted_count == f.deleted_count => {}
                Some(c) => {
                    for r in 0..c.rows {
                        if deleted(v.doc_of(r as usize)) && self.scanner.delete(c.start + r) {
                            self.dead += 1;
                        }
                    }
                    c.deleted_count = f.deleted_count;
                }
                None => {
                    let start = self.scanner.flat().len() as u32;
                    for r in 0..v.rows() {
                        let (scale, sqnorm) = v.row_scale_sqnorm(r);
                        let row = match self.scanner.add_quantized(v.row_codes(r), scale, sqnorm) {
                            Ok(row) => row,
                            Err(e) => {
                                // No half-copied segment: start again from nothing next time.
                                self.scanner.clear()?;
                                self.segments.clear();
                                self.owner.clear();
                                self.dead = 0;
                                return Err(e);
                            }
                        };
                        self.owner.push((serial, r as u32));
                        if deleted(v.doc_of(r)) && self.scanner.delete(row) {
                            self.dead += 1;
                        }
                    }
                    let copied = Copied {
                        start,
                        rows: v.rows() as u32,
                        deleted_count: f.deleted_count,
                    };
                    self.segments.insert(serial, copied);
                }
            }
        }
        Ok(())
    }

    /// The best rows of the copied segments for `query` (the query's embedding): `rows` for
    /// each copied segment (what the engine's scan of one segment keeps), at most
    /// [`crate::MAX_K`] in all; `None` when this search belongs on the CPU (`Auto` below the
    /// crossover or on a software adapter, nothing copied, or the GPU failed and was given
    /// up), where the engine's own scan answers it.
    pub async fn candidates(
        &mut self,
        query: &[f32],
        rows: usize,
    ) -> Result<Option<FlatCandidates>> {
        if !self.scanner.uses_gpu() || self.scanner.flat().live_count() == 0 {
            return Ok(None);
        }
        let k = rows
            .saturating_mul(self.segments.len().max(1))
            .clamp(1, crate::MAX_K);
        let hits = self.scanner.search(&[query.to_vec()], k).await?;
        if self.scanner.last_used() != Some(Used::Gpu) {
            return Ok(None);
        }
        self.gpu_searches += 1;
        let mut out = FlatCandidates::new();
        for &serial in self.segments.keys() {
            out.cover(serial);
        }
        for (row, _) in hits.into_iter().flatten() {
            if let Some(&(serial, local)) = self.owner.get(row as usize) {
                out.push(serial, local);
            }
        }
        Ok(Some(out))
    }

    /// Releases the GPU buffers and device.
    pub fn dispose(&mut self) {
        self.scanner.dispose();
    }
}
