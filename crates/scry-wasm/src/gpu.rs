//! `GpuScan`: the engine's flat (exactly scanned) segments scored on the GPU through WebGPU,
//! by scry-gpu's `EngineScan`; `Engine.searchWithCandidates` re-scores its candidates exactly.
//! The engine is never borrowed across an `await`: `sync` is synchronous and the GPU work is
//! awaited on the scan alone.

use std::cell::RefCell;
use std::rc::Rc;

use scry_core::vector::Metric;
use scry_gpu::{Backend, EngineScan, GpuError};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::Engine;
use crate::error::js_error;

fn gpu_error(e: &GpuError) -> JsValue {
    js_error(e.code(), &e.to_string())
}

fn busy() -> JsValue {
    js_error("INTERNAL", "the GPU scan is in use by another search")
}

/// Exact vector scans of an engine's flat segments on the GPU.
#[wasm_bindgen]
pub struct GpuScan {
    scan: Rc<RefCell<EngineScan>>,
}

/// The best rows of the flat segments for one query, by segment: `Engine.searchWithCandidates`
/// takes them.
#[wasm_bindgen]
pub struct Candidates {
    inner: scry_core::FlatCandidates,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GpuInfo {
    /// `webgpu` while searches run on the GPU, `cpu` otherwise.
    backend: &'static str,
    adapter: Option<String>,
    software: bool,
    rows: usize,
    live_rows: usize,
    gpu_searches: u64,
    /// Why the GPU is not used, if it was wanted.
    failure: Option<String>,
}

#[wasm_bindgen]
impl GpuScan {
    /// Opens the GPU for vectors of `dims` dimensions compared by `metric` (`cosine`, `dot`
    /// or `l2`). `backend`: `webgpu` fails with `GPU_UNAVAILABLE` (or `GPU_DEVICE_FAILED`)
    /// when there is no usable adapter; `auto` then opens a scan that never uses the GPU, and
    /// otherwise uses it only on hardware adapters for collections past the measured crossover.
    pub async fn open(backend: String, dims: usize, metric: String) -> Result<GpuScan, JsValue> {
        let backend = Backend::parse(&backend).map_err(|e| gpu_error(&e))?;
        let metric = match metric.as_str() {
            "cosine" => Metric::Cosine,
            "dot" => Metric::Dot,
            "l2" => Metric::L2,
            other => {
                return Err(js_error(
                    "INVALID_OPTIONS",
                    &format!("unknown metric {other:?} (cosine, dot or l2)"),
                ));
            }
        };
        let scan = EngineScan::new(backend, dims, metric)
            .await
            .map_err(|e| gpu_error(&e))?;
        Ok(GpuScan {
            scan: Rc::new(RefCell::new(scan)),
        })
    }

    /// Brings the copy up to date with `engine`'s flat segments.
    pub fn sync(&self, engine: &Engine) -> Result<(), JsValue> {
        let mut scan = self.scan.try_borrow_mut().map_err(|_| busy())?;
        scan.sync(&engine.inner).map_err(|e| gpu_error(&e))
    }

    /// The best `rows` rows (at most 128) of the copied segments for `query` (the query's
    /// embedding), as `Candidates`; `undefined` when the search belongs on the CPU (`auto`
    /// below the crossover or on a software adapter, or after a GPU failure), where the
    /// engine's own scan answers it.
    // The borrow spans the GPU work on purpose: the scan is exclusive while it runs (the
    // package queues its searches; anything else gets a clear error).
    #[allow(clippy::await_holding_refcell_ref)]
    pub fn search(&self, query: Vec<f32>, rows: usize) -> js_sys::Promise {
        let scan = self.scan.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let found = {
                let mut scan = scan.try_borrow_mut().map_err(|_| busy())?;
                scan.candidates(&query, rows).await
            };
            match found.map_err(|e| gpu_error(&e))? {
                Some(inner) => Ok(Candidates { inner }.into()),
                None => Ok(JsValue::UNDEFINED),
            }
        })
    }

    /// `{ backend, adapter, software, rows, liveRows, gpuSearches, failure }`.
    pub fn info(&self) -> Result<JsValue, JsValue> {
        let scan = self.scan.try_borrow().map_err(|_| busy())?;
        let scanner = scan.scanner();
        let ctx = scanner.gpu_context();
        let info = GpuInfo {
            backend: if scanner.uses_gpu() { "webgpu" } else { "cpu" },
            adapter: ctx.map(|c| c.adapter().name.clone()),
            software: ctx.is_some_and(|c| c.adapter().is_software()),
            rows: scanner.flat().len(),
            live_rows: scanner.flat().live_count(),
            gpu_searches: scan.gpu_searches(),
            failure: scanner.gpu_failure().map(|e| e.to_string()),
        };
        serde_wasm_bindgen::to_value(&info).map_err(|e| js_error("INTERNAL", &e.to_string()))
    }

    /// Releases the GPU buffers and the device.
    pub fn dispose(&self) -> Result<(), JsValue> {
        self.scan.try_borrow_mut().map_err(|_| busy())?.dispose();
        Ok(())
    }
}

#[wasm_bindgen]
impl Engine {
    /// Searches like `search` with the query's embedding `vector`, taking the flat segments'
    /// vector candidates from a `GpuScan` (re-scored exactly here) instead of scanning them.
    #[wasm_bindgen(js_name = searchWithCandidates)]
    pub fn search_with_candidates(
        &self,
        query: &str,
        options: JsValue,
        vector: Vec<f32>,
        candidates: &Candidates,
    ) -> Result<JsValue, JsValue> {
        let opts = crate::search_options(options)?;
        let results = self
            .inner
            .query_with_candidates(
                &mut self.scratch.borrow_mut(),
                query,
                Some(&vector),
                &opts,
                &candidates.inner,
            )
            .map_err(crate::error::ScryJsError::from)?;
        crate::results_to_js(&self.inner, &opts, results)
    }

    /// How many candidate rows a search with `options` wants from a `GpuScan`; 0 when the GPU
    /// cannot help it (no vectors searched, or a filter, which the GPU does not apply).
    #[wasm_bindgen(js_name = flatCandidateRows)]
    pub fn flat_candidate_rows(&self, options: JsValue) -> Result<usize, JsValue> {
        let opts = crate::search_options(options)?;
        let no_vectors = opts.mode == scry_core::Mode::Text || self.inner.model().is_none();
        if no_vectors || opts.filter.is_some() {
            return Ok(0);
        }
        Ok(self.inner.flat_candidate_rows(&opts))
    }

    /// The metric of the index's vectors: `cosine`, `dot` or `l2`.
    #[wasm_bindgen(getter, js_name = vectorMetric)]
    pub fn vector_metric(&self) -> String {
        match self.inner.config().vectors.metric {
            Metric::Cosine => "cosine",
            Metric::Dot => "dot",
            Metric::L2 => "l2",
        }
        .to_string()
    }
}
