//! `scry`: the native command line — build an index from a documentation folder, search it,
//! and measure its quality.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use scry_cli::{eval, ingest, site, suggest_eval};
use scry_core::file_storage::FileStorage;
use scry_core::{Document, Engine, EngineConfig, Mode, SearchOptions};

/// Errors of the CLI, each with a stable code.
#[derive(Debug, thiserror::Error)]
enum CliError {
    /// Reading an input failed.
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    /// An input file is malformed.
    #[error("{path}: {reason}")]
    Format { path: String, reason: String },
    /// An engine error.
    #[error(transparent)]
    Core(#[from] scry_core::CoreError),
    /// A model error.
    #[error(transparent)]
    Embed(#[from] scry_embed::EmbedError),
    /// `--strict`: input files or sections were skipped.
    #[error("{count} input(s) skipped under --strict (first: {first}); nothing was written")]
    Skipped { count: usize, first: String },
}

impl CliError {
    fn code(&self) -> &'static str {
        match self {
            CliError::Read { .. } => "IO_ERROR",
            CliError::Format { .. } => "INVALID_INPUT_FILE",
            CliError::Core(e) => e.code(),
            CliError::Embed(e) => e.code(),
            CliError::Skipped { .. } => "SKIPPED_INPUT",
        }
    }
}

#[derive(Parser)]
#[command(
    name = "scry",
    version,
    about = "Private, offline semantic search: the native tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ModeArg {
    Text,
    Vector,
    Hybrid,
}

impl From<ModeArg> for Mode {
    fn from(m: ModeArg) -> Self {
        match m {
            ModeArg::Text => Mode::Text,
            ModeArg::Vector => Mode::Vector,
            ModeArg::Hybrid => Mode::Hybrid,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Index a folder of Markdown, HTML and text files (one document per section). Writes the
    /// index for the other commands and, for web sites, a static index browsers load chunk by
    /// chunk (`scry.json` + `meta/`, `post/`, `docs/`, `vec/`: what to publish). A rebuild
    /// into the same folder embeds only passages whose text changed.
    Index {
        /// The folder to index.
        folder: PathBuf,
        /// Where to write the index (created; a previous index there is replaced).
        #[arg(long)]
        out: PathBuf,
        /// Prefix of the URLs given to pages.
        #[arg(long, default_value = "")]
        url_prefix: String,
        /// Extension of the served pages (`html`); default: the source's.
        #[arg(long)]
        url_ext: Option<String>,
        /// Also write the documents as JSON lines to this file.
        #[arg(long)]
        dump: Option<PathBuf>,
        /// Embed every passage with the model in this folder (model.onnx + tokenizer.json of
        /// the default text model, e.g. models/cache/all-MiniLM-L6-v2-int8) for vector and
        /// hybrid search.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Threads embedding in parallel (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Follow links to folders, and to files outside the input folder (link loops are
        /// skipped with a warning). Default: a link to a folder is not entered, and a link to
        /// a file is read only when the file is inside the input folder.
        #[arg(long)]
        follow_links: bool,
        /// Fail when any input is skipped: unreadable, over the 8 MiB limit of a document, a
        /// special file, a dangling link or link loop, a section that makes an invalid
        /// document. Default: skip it with a warning, counted in the summary.
        #[arg(long)]
        strict: bool,
    },
    /// Search an index.
    Search {
        /// The index folder (from `scry index`), or a JSON collection `{"documents": [...]}`.
        index: PathBuf,
        /// The query.
        query: String,
        /// Number of results.
        #[arg(short, long, default_value_t = 10)]
        k: usize,
        /// Retrievers to use.
        #[arg(long, value_enum, default_value = "text")]
        mode: ModeArg,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Model folder for embedding the query (vector and hybrid modes).
        #[arg(long)]
        model: Option<PathBuf>,
    },
    /// Rebuild the damaged segments of an index folder from its documents store (what a
    /// damaged index reports as CORRUPT_DATA); an intact index is left alone.
    Repair {
        /// The index folder (from `scry index`, or the package's `storage: 'file'`).
        index: PathBuf,
    },
    /// "Maybe you are looking for…": cluster a query's results and suggest a refined query
    /// per cluster (CroQS-style; scry-core's `suggest`).
    Suggest {
        /// The index folder (from `scry index`), or a JSON collection `{"documents": [...]}`.
        index: PathBuf,
        /// The query.
        query: String,
        /// Results to cluster.
        #[arg(long, default_value_t = 100)]
        top_n: usize,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Model folder (hybrid results, clusters of passage vectors).
        #[arg(long)]
        model: Option<PathBuf>,
        /// Run it this many times and report the median time.
        #[arg(long, default_value_t = 1)]
        repeat: usize,
    },
    /// Measure nDCG@10, MRR@10 and recall@10 over judged queries (JSON lines
    /// `{"query": "...", "relevant": ["id", ...]}`).
    Eval {
        /// The index folder.
        index: PathBuf,
        /// The judged queries.
        queries: PathBuf,
        /// Retrievers to use.
        #[arg(long, value_enum, default_value = "text")]
        mode: ModeArg,
        /// Cut-off.
        #[arg(short, long, default_value_t = 10)]
        k: usize,
        /// Print per-query results.
        #[arg(long)]
        verbose: bool,
        /// Query-time engine settings as JSON (scry-core `EngineConfig`, camelCase), e.g.
        /// `{"bm25": {"k1": 0.9}}`.
        #[arg(long)]
        config: Option<String>,
        /// Model folder for embedding the queries (vector and hybrid modes).
        #[arg(long)]
        model: Option<PathBuf>,
    },
    /// Query suggestions measured like the CroQS paper (closed-set recall, AP, nDCG@10,
    /// similarity to the query) for the initial query, human references and scry, over groups
    /// of results (JSON lines `{"query", "groups": [{"name", "prefixes", "reference"}]}`).
    EvalSuggest {
        /// The index folder.
        index: PathBuf,
        /// The evaluation set.
        cases: PathBuf,
        /// Results of each query that are clustered (and in which groups are found).
        #[arg(long, default_value_t = 100)]
        top_n: usize,
        /// Smallest group (documents among the results) that is evaluated.
        #[arg(long, default_value_t = 3)]
        min_group: usize,
        /// Most clusters scry makes of one query's results.
        #[arg(long, default_value_t = 8)]
        max_clusters: usize,
        /// Embed every candidate suggestion to score it (slow; default: reuse the query's
        /// embedding).
        #[arg(long)]
        embed_candidates: bool,
        /// Model folder (hybrid results, vectors, embedding similarities).
        #[arg(long)]
        model: Option<PathBuf>,
        /// Print every group's suggestions and scores.
        #[arg(long)]
        verbose: bool,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Benchmarks (JSON output): `bench text` and `bench vectors`.
    #[command(subcommand)]
    Bench(Bench),
}

#[derive(Subcommand)]
enum Bench {
    /// Full-text query latency over an index (p50/p95 per query, snippets included).
    Text {
        /// The index folder, or documents to index in memory first (a `.json` collection or
        /// `.jsonl` lines, one document each).
        index: PathBuf,
        /// Queries (JSON lines with a "query" field).
        queries: PathBuf,
        /// Passes over the query set.
        #[arg(long, default_value_t = 3)]
        repeat: usize,
    },
    /// HNSW build rate, query latency and recall@10 on synthetic clustered embeddings.
    Vectors {
        /// Vectors in the index.
        #[arg(long, default_value_t = 100_000)]
        n: usize,
        /// Dimension.
        #[arg(long, default_value_t = 384)]
        dims: usize,
        /// Queries (recall is measured against an exact scan for each).
        #[arg(long, default_value_t = 200)]
        queries: usize,
        /// HNSW ef_search.
        #[arg(long, default_value_t = 64)]
        ef_search: usize,
        /// HNSW ef_construction.
        #[arg(long, default_value_t = 32)]
        ef_construction: usize,
        /// HNSW M (links kept per node).
        #[arg(long, default_value_t = 32)]
        m: usize,
        /// Data seed.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Select neighbours by closeness only (no HNSW heuristic).
        #[arg(long)]
        no_heuristic: bool,
        /// Data: `minilm` (neighbourhoods calibrated on real MiniLM passage vectors) or `hard`
        /// (flat clusters: much harder).
        #[arg(long, default_value = "minilm")]
        data: String,
    },
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn bench(b: Bench) -> Result<(), CliError> {
    use scry_core::vector::{
        HnswParams, VectorParams, VectorQuery, VectorScratch, VectorSegment, distance, synthetic,
    };
    match b {
        Bench::Text {
            index,
            queries,
            repeat,
        } => {
            let engine = open_index(&index)?;
            let text = std::fs::read_to_string(&queries).map_err(|e| read_err(&queries, e))?;
            let qs: Vec<String> = text
                .lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .filter_map(|v| v["query"].as_str().map(str::to_owned))
                .collect();
            let opts = SearchOptions {
                k: 10,
                mode: Mode::Text,
                ..Default::default()
            };
            let mut scratch = scry_core::Scratch::default();
            let mut times = Vec::with_capacity(qs.len() * repeat);
            for _ in 0..repeat {
                for q in &qs {
                    let t = Instant::now();
                    let hits = engine.search_with(&mut scratch, q, None, &opts)?;
                    times.push(t.elapsed().as_secs_f64() * 1000.0);
                    std::hint::black_box(hits);
                }
            }
            times.sort_by(f64::total_cmp);
            println!(
                "{{\"bench\": \"text\", \"documents\": {}, \"queries\": {}, \"p50_ms\": {:.4}, \"p95_ms\": {:.4}, \"mean_ms\": {:.4}}}",
                engine.len(),
                times.len(),
                percentile(&times, 0.5),
                percentile(&times, 0.95),
                times.iter().sum::<f64>() / times.len().max(1) as f64
            );
        }
        Bench::Vectors {
            n,
            dims,
            queries,
            ef_search,
            ef_construction,
            m,
            seed,
            no_heuristic,
            data,
        } => {
            let params = VectorParams {
                hnsw: HnswParams {
                    heuristic: !no_heuristic,
                    m,
                    ef_construction,
                    ef_search,
                    ..Default::default()
                },
                hnsw_threshold: 1,
                ..Default::default()
            };
            let params = params.validate()?;
            let all = match data.as_str() {
                "hard" => synthetic::clustered(seed, n + queries, dims, 200),
                _ => synthetic::minilm_like(seed, n + queries, dims),
            };
            let (data, qs) = all.split_at(n);
            let rows: Vec<(Vec<f32>, u32)> = data
                .iter()
                .enumerate()
                .map(|(i, v)| (v.clone(), i as u32))
                .collect();
            let t = Instant::now();
            let seg = VectorSegment::build(dims, &rows, &params);
            let build_s = t.elapsed().as_secs_f64();
            let mut scratch = VectorScratch::default();
            let (mut graph_ms, mut flat_ms, mut hits) = (Vec::new(), Vec::new(), 0usize);
            for q in qs {
                let vq = VectorQuery::new(q, params.metric)?;
                let t = Instant::now();
                let got = seg.search(&vq, 10, &params, false, &mut scratch, |_| true);
                graph_ms.push(t.elapsed().as_secs_f64() * 1000.0);
                let t = Instant::now();
                std::hint::black_box(seg.search(&vq, 10, &params, true, &mut scratch, |_| true));
                flat_ms.push(t.elapsed().as_secs_f64() * 1000.0);
                let got: std::collections::HashSet<u32> =
                    got.iter().map(|(r, _)| seg.doc_of(*r)).collect();
                let mut exact: Vec<(f32, u32)> = data
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (distance::dot_f32(q, v), i as u32))
                    .collect();
                exact.select_nth_unstable_by(10, |a, b| b.0.total_cmp(&a.0));
                hits += exact[..10].iter().filter(|(_, i)| got.contains(i)).count();
            }
            graph_ms.sort_by(f64::total_cmp);
            flat_ms.sort_by(f64::total_cmp);
            println!(
                "{{\"bench\": \"vectors\", \"n\": {n}, \"dims\": {dims}, \"m\": {m}, \"ef_construction\": {ef_construction}, \"ef_search\": {ef_search}, \"threads\": {}, \"build_s\": {build_s:.2}, \"build_per_s\": {:.0}, \"hnsw_p50_ms\": {:.4}, \"hnsw_p95_ms\": {:.4}, \"recall_at_10\": {:.4}, \"flat_p50_ms\": {:.4}, \"bytes_per_vector\": {:.1}}}",
                rayon_threads(),
                n as f64 / build_s,
                percentile(&graph_ms, 0.5),
                percentile(&graph_ms, 0.95),
                hits as f64 / (10 * queries.max(1)) as f64,
                percentile(&flat_ms, 0.5),
                seg.memory_bytes() as f64 / n as f64
            );
        }
    }
    Ok(())
}

fn rayon_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        })
}

fn read_err(path: &Path, e: impl std::fmt::Display) -> CliError {
    CliError::Read {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}

/// The documents of `folder`; what was skipped is printed (and fails the run if `strict`).
fn collect_documents(
    folder: &Path,
    url_prefix: &str,
    url_ext: Option<&str>,
    walk: &ingest::WalkOptions,
    strict: bool,
) -> Result<(Vec<Document>, usize), CliError> {
    let rule = ingest::UrlRule {
        prefix: url_prefix.to_owned(),
        extension: url_ext.map(str::to_owned),
    };
    let collected = ingest::read_folder(folder, &rule, walk).map_err(|e| read_err(folder, e))?;
    for link in &collected.links_not_followed {
        eprintln!(
            "note: not following {}, a link to a folder (--follow-links follows it)",
            link.display()
        );
    }
    for skip in &collected.skipped {
        eprintln!("warning: skipped {}: {}", skip.path.display(), skip.reason);
    }
    if strict && let Some(first) = collected.skipped.first() {
        return Err(CliError::Skipped {
            count: collected.skipped.len(),
            first: format!("{}: {}", first.path.display(), first.reason),
        });
    }
    Ok((collected.docs, collected.skipped.len()))
}

fn load_embedder(dir: &Path) -> Result<scry_embed::TextEmbedder, CliError> {
    let manifest = scry_embed::ModelManifest::parse(scry_embed::BUILTIN_MANIFEST)?;
    let spec = manifest.model(scry_embed::DEFAULT_TEXT_MODEL)?;
    Ok(scry_embed::TextEmbedder::from_dir(dir, spec)?)
}

/// Embeds `texts` on `threads` threads sharing one model, printing progress to stderr.
fn embed_parallel(
    embedder: &scry_embed::TextEmbedder,
    texts: &[String],
    threads: usize,
) -> Result<Vec<Vec<f32>>, CliError> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let done = AtomicUsize::new(0);
    let t0 = Instant::now();
    let chunk = 256;
    let next = AtomicUsize::new(0);
    let mut out: Vec<Option<Vec<f32>>> = vec![None; texts.len()];
    /// Each worker's batches: (first passage index, its vectors).
    type Batches = Vec<(usize, Vec<Vec<f32>>)>;
    let results: Vec<Result<Batches, CliError>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let start = next.fetch_add(chunk, Ordering::Relaxed);
                        if start >= texts.len() {
                            return Ok(mine);
                        }
                        let end = (start + chunk).min(texts.len());
                        let refs: Vec<&str> =
                            texts[start..end].iter().map(String::as_str).collect();
                        mine.push((start, embedder.embed_texts(&refs)?));
                        let n = done.fetch_add(end - start, Ordering::Relaxed) + end - start;
                        let rate = n as f64 / t0.elapsed().as_secs_f64();
                        eprint!("\rembedding {n}/{} passages ({rate:.0}/s)   ", texts.len());
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err(read_err(Path::new("embedding thread"), "panicked")))
            })
            .collect()
    });
    eprintln!();
    for r in results {
        for (start, vecs) in r? {
            for (i, v) in vecs.into_iter().enumerate() {
                out[start + i] = Some(v);
            }
        }
    }
    out.into_iter()
        .map(|v| v.ok_or_else(|| read_err(Path::new("embedding"), "a passage was not embedded")))
        .collect()
}

fn parse_config(json: Option<&str>) -> Result<EngineConfig, CliError> {
    match json {
        None => Ok(EngineConfig::default()),
        Some(j) => serde_json::from_str(j).map_err(|e| CliError::Format {
            path: "--config".into(),
            reason: e.to_string(),
        }),
    }
}

fn open_index(path: &Path) -> Result<Engine, CliError> {
    open_index_with(path, EngineConfig::default())
}

fn open_index_with(path: &Path, config: EngineConfig) -> Result<Engine, CliError> {
    if path.is_file() {
        #[derive(serde::Deserialize)]
        struct Collection {
            documents: Vec<Document>,
        }
        let text = std::fs::read_to_string(path).map_err(|e| read_err(path, e))?;
        let format_err = |e: serde_json::Error| CliError::Format {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let mut engine = Engine::new(config)?;
        if path.extension().is_some_and(|e| e == "jsonl") {
            // One document per line (what `scry index --dump` writes), added in batches of
            // 1,000 and merged as the benchmark page does, so both measure the same segments.
            let docs: Vec<Document> = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(serde_json::from_str)
                .collect::<Result<_, _>>()
                .map_err(format_err)?;
            let mut docs = docs.into_iter().peekable();
            while docs.peek().is_some() {
                engine.add(docs.by_ref().take(1000).collect())?;
            }
            engine.maintain();
        } else {
            let c: Collection = serde_json::from_str(&text).map_err(format_err)?;
            engine.add(c.documents)?;
        }
        return Ok(engine);
    }
    if !path.join(scry_core::engine::MANIFEST_KEY).is_file() {
        return Err(read_err(path, "not a scry index (no manifest)"));
    }
    // Read what is committed, leaving a commit in progress (the npm package's `storage:
    // 'file'` writing this folder) to its writer.
    let storage = FileStorage::open_reader(path);
    Ok(block_on(Engine::open(&storage, config))?)
}

/// The holder of an index folder's `.lock` (the npm package's `storage: 'file'` writes it) when
/// that process is alive on this host, or the lock's contents when they cannot be checked.
fn live_writer(index: &Path) -> Option<String> {
    let text = std::fs::read_to_string(index.join(".lock")).ok()?;
    let holder: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let pid = holder.get("pid").and_then(serde_json::Value::as_u64);
    let host = holder.get("host").and_then(serde_json::Value::as_str);
    let this_host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned());
    match (pid, host, this_host) {
        // Linux: a process of this host is alive while /proc/<pid> exists.
        (Some(pid), Some(host), Some(this)) if host == this => std::path::Path::new("/proc")
            .join(pid.to_string())
            .exists()
            .then(|| format!("process {pid}")),
        _ => Some(text.trim().to_owned()),
    }
}

fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Bench(b) => bench(b),
        Command::Index {
            folder,
            out,
            url_prefix,
            url_ext,
            dump,
            model,
            threads,
            follow_links,
            strict,
        } => {
            let t0 = Instant::now();
            if out.exists() {
                // Only a folder holding a previous index (or nothing) is replaced.
                let empty = std::fs::read_dir(&out)
                    .map_err(|e| read_err(&out, e))?
                    .next()
                    .is_none();
                let ours = out.join(scry_core::engine::MANIFEST_KEY).is_file()
                    || out.join(site::ENTRY_FILE).is_file();
                if !empty && !ours {
                    return Err(read_err(
                        &out,
                        "exists and is not a scry index; refusing to replace it",
                    ));
                }
            }
            if !std::fs::metadata(&folder)
                .map_err(|e| read_err(&folder, e))?
                .is_dir()
            {
                return Err(read_err(&folder, "not a folder"));
            }
            let walk = ingest::WalkOptions {
                follow_links,
                exclude: vec![out.clone()],
            };
            let (docs, skipped) =
                collect_documents(&folder, &url_prefix, url_ext.as_deref(), &walk, strict)?;
            eprintln!(
                "read {} sections from {} in {:.1?}; {skipped} skipped",
                docs.len(),
                folder.display(),
                t0.elapsed()
            );
            if let Some(dump) = dump {
                let mut f = std::fs::File::create(&dump).map_err(|e| read_err(&dump, e))?;
                for d in &docs {
                    let line = serde_json::to_string(d).map_err(|e| read_err(&dump, e))?;
                    writeln!(f, "{line}").map_err(|e| read_err(&dump, e))?;
                }
            }
            let mut engine = Engine::new(EngineConfig::default())?;
            let mut new_cache = None;
            match model {
                None => engine.add(docs)?,
                Some(dir) => {
                    let embedder = load_embedder(&dir)?;
                    let tag = scry_core::Embedder::model(&embedder).clone();
                    let per_doc: Vec<Vec<String>> =
                        docs.iter().map(|d| engine.passages(d)).collect();
                    let flat: Vec<String> = per_doc.iter().flatten().cloned().collect();
                    // Passages embedded by an earlier build into this folder are reused.
                    let cache_path = out.join(site::CACHE_FILE);
                    let mut cache = site::EmbeddingCache::load(&cache_path, &tag);
                    let todo: Vec<String> = flat
                        .iter()
                        .filter(|p| cache.get(p).is_none())
                        .cloned()
                        .collect();
                    let threads = threads.unwrap_or_else(rayon_threads);
                    let t = Instant::now();
                    let fresh = embed_parallel(&embedder, &todo, threads)?;
                    eprintln!(
                        "embedded {} passages of {} documents in {:.1?} on {threads} threads \
                         ({} reused from the previous build)",
                        todo.len(),
                        docs.len(),
                        t.elapsed(),
                        flat.len() - todo.len()
                    );
                    let mut next = site::EmbeddingCache::new(&tag);
                    for (p, v) in todo.iter().zip(fresh) {
                        cache.insert(p, v);
                    }
                    let mut grouped: Vec<Vec<Vec<f32>>> = Vec::with_capacity(per_doc.len());
                    for passages in &per_doc {
                        let mut vs = Vec::with_capacity(passages.len());
                        for p in passages {
                            let v = cache.get(p).cloned().ok_or_else(|| {
                                read_err(Path::new("embedding"), "a passage was not embedded")
                            })?;
                            next.insert(p, v.clone());
                            vs.push(v);
                        }
                        grouped.push(vs);
                    }
                    cache = next;
                    engine.add_with_vectors(docs, grouped, &tag)?;
                    new_cache = Some(cache);
                }
            }
            let t = Instant::now();
            engine.maintain();
            eprintln!("merged and built graphs in {:.1?}", t.elapsed());
            if out.exists() {
                std::fs::remove_dir_all(&out).map_err(|e| read_err(&out, e))?;
            }
            let storage = FileStorage::open(&out)?;
            let info = block_on(engine.commit(&storage))?;
            let bundle = engine.export_static(&scry_core::ExportParams::default())?;
            let web_bytes =
                site::write_bundle(&out, &bundle, engine.model()).map_err(|e| read_err(&out, e))?;
            if let Some(cache) = new_cache {
                cache
                    .save(&out.join(site::CACHE_FILE))
                    .map_err(|e| read_err(&out, e))?;
            }
            eprintln!(
                "indexed {} documents in {:.1?}: {} segment(s), {} bytes in {}; static index: \
                 {} files, {web_bytes} bytes ({}); {skipped} skipped",
                engine.len(),
                t0.elapsed(),
                info.segments_written,
                info.bytes_written,
                out.display(),
                bundle.files.len(),
                site::ENTRY_FILE,
            );
            Ok(())
        }
        Command::Search {
            index,
            query,
            k,
            mode,
            json,
            model,
        } => {
            let engine = open_index(&index)?;
            let opts = SearchOptions {
                k,
                mode: mode.into(),
                ..Default::default()
            };
            let hits = match model {
                Some(dir) => engine.search_embedded(&query, &mut load_embedder(&dir)?, &opts)?,
                None => engine.search(&query, None, &opts)?,
            };
            if json {
                let out = serde_json::to_string_pretty(&hits).map_err(|e| read_err(&index, e))?;
                println!("{out}");
            } else {
                for (i, h) in hits.iter().enumerate() {
                    println!("{:>2}. {:<8.3} {} — {}", i + 1, h.score, h.id, h.title);
                    println!("    {}", h.snippet.text.replace('\n', " "));
                }
            }
            Ok(())
        }
        Command::Repair { index } => {
            if !index.join(scry_core::engine::MANIFEST_KEY).is_file() {
                return Err(read_err(&index, "not a scry index (no manifest)"));
            }
            if let Some(writer) = live_writer(&index) {
                return Err(read_err(
                    &index,
                    format!(
                        "being written by {writer} (its .lock); stop it first, or delete the \
                         .lock if no such process uses the folder"
                    ),
                ));
            }
            let storage = FileStorage::open(&index)?;
            let info = block_on(Engine::repair(&storage, EngineConfig::default()))?;
            if info.segments == 0 {
                println!("{}: intact, nothing to repair", index.display());
            } else {
                println!(
                    "{}: rebuilt {} segment(s) holding {} documents (generation {})",
                    index.display(),
                    info.segments,
                    info.documents,
                    info.generation
                );
            }
            Ok(())
        }
        Command::EvalSuggest {
            index,
            cases,
            top_n,
            min_group,
            max_clusters,
            embed_candidates,
            model,
            verbose,
            json,
        } => {
            let engine = open_index(&index)?;
            let text = std::fs::read_to_string(&cases).map_err(|e| read_err(&cases, e))?;
            let mut set: Vec<suggest_eval::SuggestCase> = Vec::new();
            for (n, line) in text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                set.push(serde_json::from_str(line).map_err(|e| CliError::Format {
                    path: format!("{}:{}", cases.display(), n + 1),
                    reason: e.to_string(),
                })?);
            }
            let params = scry_core::SuggestParams {
                top_n,
                max_clusters,
                embed_candidates,
                ..Default::default()
            };
            let mut embedder = model.as_deref().map(load_embedder).transpose()?;
            let mut results = Vec::new();
            let mut skipped = Vec::new();
            let t0 = Instant::now();
            for case in &set {
                let emb = embedder.as_mut().map(|e| e as &mut dyn scry_core::Embedder);
                let (r, s) = suggest_eval::evaluate_case(&engine, emb, case, &params, min_group)?;
                if verbose {
                    for g in &r {
                        let show = |s: &Option<(String, suggest_eval::Scores)>| {
                            s.as_ref().map_or_else(
                                || "—".to_owned(),
                                |(q, x)| format!("{q} ({:.2}/{:.2})", x.closed_set_recall, x.ap),
                            )
                        };
                        println!(
                            "{:<22} {:<34} n={:<3} query {:.2}/{:.2}  ref {} ({:.2}/{:.2})  given {}  found {}",
                            g.query,
                            g.group,
                            g.size,
                            g.initial.closed_set_recall,
                            g.initial.ap,
                            set.iter()
                                .find(|c| c.query == g.query)
                                .and_then(|c| c.groups.iter().find(|x| x.name == g.group))
                                .map_or("", |x| x.reference.as_str()),
                            g.reference.closed_set_recall,
                            g.reference.ap,
                            show(&g.given),
                            show(&g.found),
                        );
                    }
                }
                results.extend(r);
                skipped.extend(s);
            }
            let (base, [reference, given, found]) = suggest_eval::summarize(&results);
            if json {
                let out = serde_json::json!({
                    "queries": set.len(),
                    "groups": results.len(),
                    "skipped": skipped,
                    "initial": base,
                    "reference": reference,
                    "given": given,
                    "found": found,
                    "seconds": t0.elapsed().as_secs_f64(),
                });
                println!("{out:#}");
            } else {
                let opt = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |v| format!("{v:.3}"));
                println!(
                    "{} queries, {} groups ({} skipped: fewer than {min_group} results), {:.1?}",
                    set.len(),
                    results.len(),
                    skipped.len(),
                    t0.elapsed()
                );
                println!(
                    "{:<28} {:>9} {:>7} {:>7} {:>8} {:>8} {:>8} {:>9} {:>9} {:>9}",
                    "",
                    "suggested",
                    "CSR",
                    "mAP",
                    "nDCG@10",
                    "grp cos",
                    "Jaccard",
                    "query cos",
                    "CSR gain",
                    "mAP gain"
                );
                let row = |name: &str,
                           n: String,
                           m: &suggest_eval::Scores,
                           g: Option<(f64, f64)>| {
                    println!(
                        "{name:<28} {n:>9} {:>7.3} {:>7.3} {:>8.3} {:>8} {:>8.3} {:>9} {:>9} {:>9}",
                        m.closed_set_recall,
                        m.ap,
                        m.ndcg10,
                        opt(m.group_cosine),
                        m.jaccard,
                        opt(m.query_cosine),
                        g.map_or_else(String::new, |g| format!("{:+.0}%", g.0 * 100.0)),
                        g.map_or_else(String::new, |g| format!("{:+.0}%", g.1 * 100.0)),
                    );
                };
                row("initial query", String::new(), &base, None);
                for (name, s) in [
                    ("human reference", reference),
                    ("scry, groups given", given),
                    ("scry, own clusters", found),
                ] {
                    row(
                        name,
                        format!("{}/{}", s.suggested, s.groups),
                        &s.mean,
                        Some((s.csr_gain, s.map_gain)),
                    );
                }
            }
            Ok(())
        }
        Command::Suggest {
            index,
            query,
            top_n,
            json,
            model,
            repeat,
        } => {
            let engine = open_index(&index)?;
            let params = scry_core::SuggestParams {
                top_n,
                ..Default::default()
            };
            let mut embedder = model.as_deref().map(load_embedder).transpose()?;
            let mut times = Vec::new();
            let mut suggestions = Vec::new();
            for _ in 0..repeat.max(1) {
                let t0 = Instant::now();
                suggestions = engine.suggest(
                    &query,
                    embedder.as_mut().map(|e| e as &mut dyn scry_core::Embedder),
                    &params,
                )?;
                times.push(t0.elapsed());
            }
            times.sort();
            let took = times[times.len() / 2];
            if json {
                let out =
                    serde_json::to_string_pretty(&suggestions).map_err(|e| read_err(&index, e))?;
                println!("{out}");
            } else {
                println!("Maybe you are looking for… ({took:.1?})");
                for s in &suggestions {
                    println!(
                        "  {:<40} {} results, closed-set recall {:.2} (query {:.2}), AP {:.2}, Jaccard {:.2}",
                        s.query,
                        s.items.len(),
                        s.specificity,
                        s.baseline_specificity,
                        s.representativeness,
                        s.similarity
                    );
                    let titles: Vec<String> = s
                        .items
                        .iter()
                        .take(3)
                        .filter_map(|id| engine.get(id).map(|d| d.title.clone()))
                        .collect();
                    println!("      e.g. {}", titles.join(" · "));
                }
            }
            Ok(())
        }
        Command::Eval {
            index,
            queries,
            mode,
            k,
            verbose,
            config,
            model,
        } => {
            let engine = open_index_with(&index, parse_config(config.as_deref())?)?;
            let mut embedder = model.map(|dir| load_embedder(&dir)).transpose()?;
            let text = std::fs::read_to_string(&queries).map_err(|e| read_err(&queries, e))?;
            let judged: Vec<eval::Judged> = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .enumerate()
                .map(|(i, l)| {
                    serde_json::from_str(l).map_err(|e| CliError::Format {
                        path: format!("{}:{}", queries.display(), i + 1),
                        reason: e.to_string(),
                    })
                })
                .collect::<Result<_, _>>()?;
            let opts = SearchOptions {
                k,
                mode: mode.into(),
                ..Default::default()
            };
            let mut scores = Vec::with_capacity(judged.len());
            let t0 = Instant::now();
            for j in &judged {
                let hits = match embedder.as_mut() {
                    Some(e) => engine.search_embedded(&j.query, e, &opts)?,
                    None => engine.search(&j.query, None, &opts)?,
                };
                let ranked: Vec<String> = hits.into_iter().map(|h| h.id).collect();
                let s = eval::score(&ranked, &j.relevant, k);
                if verbose {
                    println!(
                        "{:.3}\t{}\t{:?}",
                        s.0,
                        j.query,
                        &ranked[..ranked.len().min(3)]
                    );
                }
                scores.push(s);
            }
            let m = eval::mean(&scores);
            println!(
                "{{\"queries\": {}, \"ndcg@{k}\": {:.4}, \"mrr@{k}\": {:.4}, \"recall@{k}\": {:.4}, \"ms_per_query\": {:.3}}}",
                m.queries,
                m.ndcg,
                m.mrr,
                m.recall,
                t0.elapsed().as_secs_f64() * 1000.0 / m.queries.max(1) as f64
            );
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error [{}]: {e}", e.code());
            ExitCode::FAILURE
        }
    }
}
