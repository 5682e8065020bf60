//! `scry`: the native command line — build an index from a documentation folder, search it,
//! and measure its quality.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use scry_cli::embedder::CliEmbedder;
use scry_cli::open::{IndexKind, kind_of, open_index};
use scry_cli::owned::{self, Owned};
use scry_cli::{CliError, eval, ingest, lock, site, state, suggest_eval};
use scry_core::file_storage::FileStorage;
use scry_core::{Document, Engine, EngineConfig, Mode, SearchOptions};

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

/// A page of results, its count, facets and order (`search`, `bench text`; scry-core's result
/// model).
#[derive(clap::Args, Clone, Default)]
struct PageArgs {
    /// Results skipped before the page (`--offset 10 -k 10`: the second page).
    #[arg(long, default_value_t = 0)]
    offset: usize,
    /// Count the match set: every document matching a word of the query, and in vector and
    /// hybrid modes the vector candidates.
    #[arg(long)]
    count: bool,
    /// Metadata fields whose values are counted over the match set (comma-separated).
    #[arg(long, value_delimiter = ',')]
    facets: Vec<String>,
    /// Order the match set by a metadata field: `field`, `field:asc` or `field:desc`.
    #[arg(long)]
    sort: Option<String>,
    /// Metadata fields returned with each hit (comma-separated; `*`: every field).
    #[arg(long, value_delimiter = ',')]
    metadata: Vec<String>,
}

impl PageArgs {
    /// `opts` with this page, count, facets and order.
    fn apply(&self, opts: SearchOptions) -> SearchOptions {
        let sort = self.sort.as_ref().map(|s| match s.rsplit_once(':') {
            Some((field, "desc")) => scry_core::Sort {
                field: field.to_owned(),
                descending: true,
            },
            Some((field, "asc")) => scry_core::Sort {
                field: field.to_owned(),
                descending: false,
            },
            _ => scry_core::Sort {
                field: s.clone(),
                descending: false,
            },
        });
        let metadata = match self.metadata.as_slice() {
            [] => None,
            [all] if all == "*" => Some(Vec::new()),
            fields => Some(fields.to_vec()),
        };
        SearchOptions {
            offset: self.offset,
            count: self.count,
            facets: self.facets.clone(),
            sort,
            metadata,
            ..opts
        }
    }

    /// Whether the answer carries a total and facets.
    fn counts(&self) -> bool {
        self.count || !self.facets.is_empty()
    }
}

#[derive(Subcommand)]
enum Command {
    /// Index a folder of Markdown, HTML and text files (one document per section): a static
    /// index to publish, and a private build state.
    ///
    /// `--out` receives only what to publish: the static index browsers load chunk by chunk
    /// (`scry.json` + `meta/`, `post/`, `docs/`, `vec/`). The private build state (the index
    /// `scry search`, `eval`, `suggest`, `repair` and the npm package's `storage: 'file'` open,
    /// and the embedding cache that lets a rebuild embed only passages whose text changed) goes
    /// to `--state`. scry deletes or replaces only files it wrote itself (checked by name and
    /// content); a folder holding anything else is refused unless `--force`.
    Index {
        /// The folder to index. Hidden files and folders are skipped, and so are `--out` and
        /// `--state` when they are inside it.
        folder: PathBuf,
        /// Where to publish the static index (created if needed).
        #[arg(long)]
        out: PathBuf,
        /// Where to keep the build state [default: .scry-cache/<out's name>-<8 hex digits of a
        /// hash of out's absolute path>, under the current folder]. Must not be inside --out.
        #[arg(long)]
        state: Option<PathBuf>,
        /// Build beside files scry did not write in --out, --state or --dump: those files are
        /// kept untouched; only scry's own stale files are deleted, and each one deleted is
        /// printed. A file scry did not write at a path scry must write (its own scry.json, a
        /// chunk name, manifest, ...) is never overwritten: the run is refused.
        #[arg(long)]
        force: bool,
        /// Follow links to folders, and to files outside the input folder (link loops are
        /// skipped with a warning). Default: a link to a folder is not entered, and a link to
        /// a file is read only when the file is inside the input folder.
        #[arg(long)]
        follow_links: bool,
        /// Fail (writing nothing) when any input is skipped: unreadable, over the 8 MiB limit
        /// of a document, a special file, a dangling link or link loop, a section that makes
        /// an invalid document. Default: skip it with a warning, counted in the summary.
        #[arg(long)]
        strict: bool,
        /// Prefix of the URLs given to pages.
        #[arg(long, default_value = "")]
        url_prefix: String,
        /// Extension of the served pages (`html`); default: the source's.
        #[arg(long)]
        url_ext: Option<String>,
        /// Stemmer language of the index (english, german, french, spanish, russian, … of
        /// scry-core's Snowball stemmers), or `none` for no stemming. The static index keeps it
        /// and browsers analyse queries with it. [default: english]
        #[arg(long, value_parser = parse_language)]
        language: Option<LanguageArg>,
        /// Stop words left out of the index, comma-separated (`""`: none) [default: the
        /// language's list: 33 English function words; none for other languages].
        #[arg(long)]
        stop_words: Option<String>,
        /// Also write the documents as JSON lines to this file (not inside --out or --state;
        /// an existing file is replaced only if it holds such lines, or with --force).
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
        /// For the npm package's `scry` command (this CLI compiled to WebAssembly, which embeds
        /// on Node.js worker threads): write the passages that need embedding to this new file
        /// as JSON lines, then stop, writing nothing else.
        #[arg(long, hide = true, requires = "model")]
        embed_plan: Option<PathBuf>,
        /// For the npm package's `scry` command: passages embedded elsewhere with --model's
        /// model, JSON lines of `{"text", "vector"}`, used as the embedding cache is.
        #[arg(long, hide = true, requires = "model")]
        embedded: Option<PathBuf>,
    },
    /// Search an index.
    Search {
        /// The index: a published folder (`--out` of `scry index`), a state folder (its
        /// `--state`, or the package's `storage: 'file'`), or a JSON collection
        /// `{"documents": [...]}` (`.jsonl`: one document per line).
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
        #[command(flatten)]
        page: PageArgs,
    },
    /// Rebuild the damaged segments of an index folder from its documents store (what a
    /// damaged index reports as CORRUPT_DATA); an intact index is left alone. A published
    /// static index is not repaired: rebuild it with `scry index`.
    Repair {
        /// The state folder (`--state` of `scry index`, or the package's `storage: 'file'`).
        index: PathBuf,
    },
    /// "Maybe you are looking for…": cluster a query's results and suggest a refined query
    /// per cluster (CroQS-style; scry-core's `suggest`).
    Suggest {
        /// The index: a published folder, a state folder or a JSON collection (as `search`).
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
    /// `{"query": "...", "relevant": ["id", ...]}`): of one index, or (`--sets`) of every set
    /// of a sets file × every mode in one table.
    ///
    /// With `--sets` (e.g. tests/eval/sets.json), each corpus is indexed with `scry index` into
    /// `<work>/<index>/state` (embeddings reused from the last run), each query embedded once,
    /// and text, vector, and every fusion (`--fusion`, default: each variant) measured from the
    /// same candidate lists: nDCG@10, MRR@10, recall@10, recall@100, and each fusion's nDCG@10
    /// minus the better of text's and vector's. Held-out sets only with `--held-out`.
    #[command(group(clap::ArgGroup::new("target").required(true).args(["index", "sets"])))]
    Eval {
        /// The index: a published folder, a state folder or a JSON collection (as `search`).
        #[arg(requires = "queries")]
        index: Option<PathBuf>,
        /// The judged queries.
        queries: Option<PathBuf>,
        /// A sets file (`{"sets": [{"name", "index", "corpus", "queries", "heldOut",
        /// "urlExt"}]}`, paths relative to the current folder) instead of an index.
        #[arg(long, conflicts_with_all = ["index", "queries", "verbose", "mode"])]
        sets: Option<PathBuf>,
        /// With --sets: where the indexes and query embeddings are kept.
        #[arg(long, default_value = "target/eval")]
        work: PathBuf,
        /// With --sets: a fusion to measure, `variant[:key=value,...]` with the keys of the
        /// hybrid settings (`rrf:rrfK=20`, `weighted:alpha=0.7`); repeatable. Default: every
        /// variant with its default settings. The row `hybrid` is always the configured one.
        #[arg(long = "fusion", requires = "sets")]
        fusions: Vec<String>,
        /// With --sets: also the held-out sets (confirmation only: never tune on them).
        #[arg(long, requires = "sets")]
        held_out: bool,
        /// With --sets: only these sets (comma-separated names).
        #[arg(long, requires = "sets", value_delimiter = ',')]
        only: Vec<String>,
        /// With --sets: open the indexes already in <work> instead of indexing again (after a
        /// change to the analyzer or the readers, index again).
        #[arg(long, requires = "sets")]
        no_reindex: bool,
        /// With --sets: write each set's candidate lists to <DIR>/<set>.jsonl.
        #[arg(long, requires = "sets")]
        dump: Option<PathBuf>,
        /// With --sets: save each set's vector candidate lists to <DIR>/<set>.json, which
        /// crates/scry-cli/tests/quality.rs fuses with live full-text lists (no model needed
        /// there); needs --model.
        #[arg(long, requires_all = ["sets", "model"])]
        save_vectors: Option<PathBuf>,
        /// With --sets: print the rows as JSON.
        #[arg(long, requires = "sets")]
        json: bool,
        /// Threads embedding corpora and queries (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
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
        /// The index: a published folder, a state folder or a JSON collection (as `search`).
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
    /// Query latency over an index (p50/p95 per query, snippets included): full text, or with
    /// `--model` hybrid or vector search (the queries embedded first, not timed).
    Text {
        /// The index (a published or state folder), or documents to index in memory first (a
        /// `.json` collection or `.jsonl` lines, one document each).
        index: PathBuf,
        /// Queries (JSON lines with a "query" field).
        queries: PathBuf,
        /// Passes over the query set.
        #[arg(long, default_value_t = 3)]
        repeat: usize,
        /// Retrievers to use (vector and hybrid need --model).
        #[arg(long, value_enum, default_value = "text")]
        mode: ModeArg,
        /// Model folder for embedding the queries.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Query-time engine settings as JSON (as `eval --config`).
        #[arg(long)]
        config: Option<String>,
        #[command(flatten)]
        page: PageArgs,
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
            mode,
            model,
            config,
            page,
        } => {
            let engine = open_index(&index, parse_config(config.as_deref())?)?;
            #[derive(serde::Deserialize)]
            struct Query {
                query: String,
            }
            let qs: Vec<String> = parse_lines::<Query>(&queries)?
                .into_iter()
                .map(|q| q.query)
                .collect();
            let vectors: Vec<Option<Vec<f32>>> = match (&model, mode) {
                (Some(dir), ModeArg::Vector | ModeArg::Hybrid) => {
                    let embedder = load_embedder(dir)?;
                    embed_parallel(&embedder, &qs, rayon_threads())?
                        .into_iter()
                        .map(Some)
                        .collect()
                }
                (None, ModeArg::Vector | ModeArg::Hybrid) => {
                    return Err(CliError::Argument(
                        "bench text --mode vector|hybrid needs --model".into(),
                    ));
                }
                _ => vec![None; qs.len()],
            };
            let opts = page.apply(SearchOptions {
                k: 10,
                mode: mode.into(),
                ..Default::default()
            });
            let mut scratch = scry_core::Scratch::default();
            let mut times = Vec::with_capacity(qs.len() * repeat);
            for _ in 0..repeat {
                for (q, v) in qs.iter().zip(&vectors) {
                    let t = Instant::now();
                    let hits = engine.query_with(&mut scratch, q, v.as_deref(), &opts)?;
                    times.push(t.elapsed().as_secs_f64() * 1000.0);
                    std::hint::black_box(hits);
                }
            }
            times.sort_by(f64::total_cmp);
            let mode_name = match mode {
                ModeArg::Text => "text",
                ModeArg::Vector => "vector",
                ModeArg::Hybrid => "hybrid",
            };
            println!(
                "{{\"bench\": \"text\", \"mode\": \"{mode_name}\", \"documents\": {}, \"queries\": {}, \"p50_ms\": {:.4}, \"p95_ms\": {:.4}, \"mean_ms\": {:.4}}}",
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
    CliError::read(path, e)
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}

fn load_embedder(dir: &Path) -> Result<CliEmbedder, CliError> {
    Ok(CliEmbedder::open(dir)?)
}

/// Writes `--embed-plan`: the passages to embed, one JSON string per line, into a new file
/// (never over an existing one).
fn write_embed_plan(path: &Path, todo: &[String]) -> Result<(), CliError> {
    use std::io::Write;
    let mut text = String::new();
    for p in todo {
        text.push_str(&serde_json::to_string(p).map_err(|e| read_err(path, e))?);
        text.push('\n');
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| read_err(path, e))?;
    file.write_all(text.as_bytes())
        .map_err(|e| read_err(path, e))
}

/// One line of `--embedded`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Embedded {
    text: String,
    vector: Vec<f32>,
}

/// Reads `--embedded`: passages and their vectors, each `dims` finite numbers.
fn read_embedded(path: &Path, dims: usize) -> Result<Vec<(String, Vec<f32>)>, CliError> {
    let mut out = Vec::new();
    for (n, line) in json_lines(path)? {
        let e: Embedded =
            serde_json::from_str(&line).map_err(|e| CliError::format(path, Some(n), e))?;
        if e.vector.len() != dims || !e.vector.iter().all(|x| x.is_finite()) {
            return Err(CliError::format(
                path,
                Some(n),
                format!("a vector must be {dims} finite numbers"),
            ));
        }
        out.push((e.text, e.vector));
    }
    Ok(out)
}

/// Embeds `texts` on `threads` threads sharing one model, printing progress to stderr.
fn embed_parallel(
    embedder: &CliEmbedder,
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
    // WebAssembly (WASI: the npm package's `scry`) has no threads to start.
    if threads <= 1 || cfg!(target_os = "wasi") {
        let mut vectors = Vec::with_capacity(texts.len());
        for (i, batch) in texts.chunks(chunk).enumerate() {
            let refs: Vec<&str> = batch.iter().map(String::as_str).collect();
            vectors.extend(embedder.embed_texts(&refs)?);
            let n = (i * chunk + batch.len()) as f64;
            eprint!(
                "\rembedding {n}/{} passages ({:.0}/s)   ",
                texts.len(),
                n / t0.elapsed().as_secs_f64()
            );
        }
        eprintln!();
        return Ok(vectors);
    }
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

/// Reads a JSON-lines file: its non-blank lines with their numbers (from 1), a byte-order mark
/// and Windows line ends allowed.
fn json_lines(path: &Path) -> Result<Vec<(usize, String)>, CliError> {
    let bytes = std::fs::read(path).map_err(|e| read_err(path, e))?;
    let text = String::from_utf8(bytes).map_err(|e| CliError::format(path, None, e))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    Ok(text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, l.to_owned()))
        .collect())
}

/// Parses every line of a JSON-lines file as `T`.
fn parse_lines<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, CliError> {
    json_lines(path)?
        .into_iter()
        .map(|(n, l)| serde_json::from_str(&l).map_err(|e| CliError::format(path, Some(n), e)))
        .collect()
}

/// Whether `path` holds what `--dump` writes (JSON lines of documents; empty counts).
fn is_dump(path: &Path) -> bool {
    use std::io::BufRead;
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    std::io::BufReader::new(file).lines().all(|line| {
        line.is_ok_and(|l| l.trim().is_empty() || serde_json::from_str::<Document>(&l).is_ok())
    })
}

/// The `scry index` command line.
struct IndexArgs {
    folder: PathBuf,
    out: PathBuf,
    state: Option<PathBuf>,
    force: bool,
    follow_links: bool,
    strict: bool,
    url_prefix: String,
    url_ext: Option<String>,
    dump: Option<PathBuf>,
    model: Option<PathBuf>,
    threads: Option<usize>,
    embed_plan: Option<PathBuf>,
    embedded: Option<PathBuf>,
    /// `--language` (else the language most pages declare, else English).
    language: Option<LanguageArg>,
    /// `--stop-words`.
    stop_words: Option<String>,
}

/// `--language`: a stemmer language, or none (no stemming).
#[derive(Debug, Clone, Copy)]
struct LanguageArg(Option<scry_core::text::Language>);

/// `--language`: a stemmer language by its lowercase name, or `none`.
fn parse_language(s: &str) -> Result<LanguageArg, String> {
    if s == "none" {
        return Ok(LanguageArg(None));
    }
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map(|l| LanguageArg(Some(l)))
        .map_err(|_| {
            "expected none or a stemmer language: arabic, danish, dutch, english, finnish, \
             french, german, greek, hungarian, italian, norwegian, portuguese, romanian, \
             russian, spanish, swedish, tamil, turkish"
                .to_owned()
        })
}

/// The stemmer for pages that declare the languages `langs` (pages per lowercased tag), when
/// `--language` is not given: the most common one's (none for a language without a stemmer
/// here, such as Japanese or Chinese), English when no page declares one. Says what it chose.
fn detected_language(langs: &std::collections::BTreeMap<String, usize>) -> Option<LanguageArg> {
    let (tag, pages) = langs
        .iter()
        .max_by_key(|&(tag, n)| (*n, std::cmp::Reverse(tag)))?;
    let language = scry_core::text::Language::from_tag(tag);
    let name = language.map_or_else(
        || "none (no stemmer for it: words match as written)".to_owned(),
        |l| format!("{l:?}").to_lowercase(),
    );
    eprintln!("language: {name}, from the pages' lang ({tag}: {pages} pages; --language chooses)");
    if langs.len() > 1 {
        let all: Vec<String> = langs.iter().map(|(t, n)| format!("{t} {n}")).collect();
        eprintln!(
            "warning: the pages declare {} languages ({}): one analyzer serves them all; index \
             each language into its own folder with --language for the others",
            langs.len(),
            all.join(", ")
        );
    }
    Some(LanguageArg(language))
}

/// The analyzer of `scry index` from `--language` and `--stop-words`.
fn analyzer_config(
    language: Option<LanguageArg>,
    stop_words: Option<String>,
) -> scry_core::text::AnalyzerConfig {
    let mut config = scry_core::text::AnalyzerConfig::default();
    if let Some(LanguageArg(language)) = language {
        config.language = language;
    }
    config.stop_words = stop_words.map(|words| {
        words
            .split(',')
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    });
    config
}

/// Refuses paths of `scry index` that overlap or are of the wrong kind (nothing written yet).
fn check_index_paths(a: &IndexArgs, state: &Path) -> Result<(), CliError> {
    let arg = |m: String| Err(CliError::Argument(m));
    let folder_meta = std::fs::metadata(&a.folder).map_err(|e| read_err(&a.folder, e))?;
    if !folder_meta.is_dir() {
        return arg(format!("{} is not a folder", a.folder.display()));
    }
    for (flag, p) in [("--out", &a.out), ("--state", &state.to_path_buf())] {
        let exists = std::fs::symlink_metadata(p).is_ok();
        match std::fs::metadata(p) {
            Ok(m) if !m.is_dir() => {
                return arg(format!("{flag} {} is a file, not a folder", p.display()));
            }
            Err(_) if exists => {
                return arg(format!("{flag} {} is a dangling link", p.display()));
            }
            _ => {}
        }
    }
    let resolve = |p: &Path| state::resolve(p).map_err(|e| read_err(p, e));
    let (folder, out, st) = (resolve(&a.folder)?, resolve(&a.out)?, resolve(state)?);
    if out == folder {
        return arg("--out is the input folder: choose another folder for the index".into());
    }
    if st == out || st.starts_with(&out) || out.starts_with(&st) {
        return arg(format!(
            "the state folder {} and --out {} overlap: the state is private and must not be \
             published (pass --state outside --out)",
            state.display(),
            a.out.display()
        ));
    }
    if st == folder || folder.starts_with(&st) {
        return arg(format!(
            "the state folder {} holds the input folder",
            state.display()
        ));
    }
    if let Some(dump) = &a.dump {
        let d = resolve(dump)?;
        if d.starts_with(&out) || d.starts_with(&st) {
            return arg("--dump must not be inside --out or the state folder".into());
        }
        if std::fs::metadata(dump).is_ok_and(|m| m.is_dir()) {
            return arg(format!("--dump {} is a folder", dump.display()));
        }
        check_dump(dump, a.force)?;
    }
    Ok(())
}

/// Refuses to replace `dump` unless it is missing, a previous dump, or `force`.
fn check_dump(dump: &Path, force: bool) -> Result<(), CliError> {
    let exists = std::fs::symlink_metadata(dump).is_ok();
    let regular = std::fs::metadata(dump).is_ok_and(|m| m.is_file());
    if exists && !force && !(regular && is_dump(dump)) {
        return Err(CliError::ForeignFiles {
            dir: dump.display().to_string(),
            entries: vec![format!(
                "{} (not a dump of documents: it is replaced only with --force)",
                dump.display()
            )],
        });
    }
    Ok(())
}

/// Lists `dir` for `scry index` and refuses what would touch files scry did not write, or a
/// folder a live process writes (`needed`: paths that will be written).
fn scan_checked(dir: &Path, force: bool, needed: &[String]) -> Result<owned::Scan, CliError> {
    let scan = owned::scan(dir).map_err(|e| read_err(dir, e))?;
    if scan.owned(lock::LOCK_FILE) == Some(Owned::Lock) {
        lock::check_free(dir)?;
    }
    scan.check(dir, force, needed)?;
    Ok(scan)
}

/// Refuses, unless `force`, to rebuild over a stored index whose documents may exist nowhere
/// else: in `--out`, the state an older scry kept there (the npm package's `storage: 'file'`
/// may be adding documents to it); in `--state`, records whose manifest is missing (`scry
/// repair` restores it; a rebuild would delete them as stale).
fn check_stored_index(
    out: &owned::Scan,
    out_dir: &Path,
    state: &owned::Scan,
    state_dir: &Path,
    force: bool,
) -> Result<(), CliError> {
    if force {
        return Ok(());
    }
    let records = |scan: &owned::Scan| {
        scan.owned.iter().any(|(_, o)| {
            matches!(
                o,
                Owned::Segment | Owned::Docstore | Owned::StoredChunk | Owned::Manifest
            )
        })
    };
    if records(out) {
        return Err(CliError::IndexAtRisk {
            dir: out_dir.display().to_string(),
            reason: "it holds a stored index (manifest, seg/, docstore/: the layout of older \
                     versions, where the build state lived beside the published files, and what \
                     the npm package's storage: 'file' opens); documents added to it since the \
                     last build exist only there. The build state now goes to --state: move \
                     that index away first"
                .into(),
        });
    }
    if records(state) && state.owned(scry_core::engine::MANIFEST_KEY) != Some(Owned::Manifest) {
        return Err(CliError::IndexAtRisk {
            dir: state_dir.display().to_string(),
            reason: "it holds the records of an index whose manifest is missing; they may be \
                     the only copy of documents added with storage: 'file' (`scry repair` \
                     restores the manifest)"
                .into(),
        });
    }
    Ok(())
}

fn index(a: IndexArgs) -> Result<(), CliError> {
    let t0 = Instant::now();
    // The walk tells a link that loops back by the files' identities (walkdir through
    // same-file), which WASI does not give: refused rather than every linked folder skipped.
    if cfg!(target_os = "wasi") && a.follow_links {
        return Err(CliError::Argument(
            "--follow-links needs the native scry CLI: its WebAssembly build (npx scry) cannot \
             tell a link that loops back"
                .into(),
        ));
    }
    let state_dir = match &a.state {
        Some(s) => s.clone(),
        None => state::default_dir(&a.out).map_err(|e| read_err(&a.out, e))?,
    };
    check_index_paths(&a, &state_dir)?;
    // Refused before anything is read or written; checked again before writing.
    let strs = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let out_scan = scan_checked(&a.out, a.force, &strs(&[site::ENTRY_FILE, "meta/"]))?;
    let mut state_needed = strs(&["manifest", "seg/", "docstore/", "chunk/", state::JOURNAL]);
    if a.model.is_some() {
        state_needed.push(site::CACHE_FILE.into());
    }
    let state_scan = scan_checked(&state_dir, a.force, &state_needed)?;
    check_stored_index(&out_scan, &a.out, &state_scan, &state_dir, a.force)?;

    let rule = ingest::UrlRule {
        prefix: a.url_prefix.clone(),
        extension: a.url_ext.clone(),
    };
    let walk = ingest::WalkOptions {
        follow_links: a.follow_links,
        exclude: vec![a.out.clone(), state_dir.clone()],
    };
    let collected =
        ingest::read_folder(&a.folder, &rule, &walk).map_err(|e| read_err(&a.folder, e))?;
    for link in &collected.links_not_followed {
        eprintln!(
            "note: not following {}, a link to a folder (--follow-links follows it)",
            link.display()
        );
    }
    for skip in &collected.skipped {
        eprintln!("warning: skipped {}: {}", skip.path.display(), skip.reason);
    }
    let skipped = collected.skipped.len();
    eprintln!(
        "read {} sections from {} in {:.1?}; {skipped} skipped",
        collected.docs.len(),
        a.folder.display(),
        t0.elapsed()
    );
    if a.strict
        && let Some(first) = collected.skipped.first()
    {
        return Err(CliError::Skipped {
            count: skipped,
            first: format!("{}: {}", first.path.display(), first.reason),
        });
    }
    let language = a.language.or_else(|| detected_language(&collected.langs));
    let analyzer = analyzer_config(language, a.stop_words.clone());
    let docs = collected.docs;
    // Written last, with the index: a refused run writes nothing.
    let dump_text = match &a.dump {
        None => None,
        Some(dump) => {
            let mut text = String::new();
            for d in &docs {
                text.push_str(&serde_json::to_string(d).map_err(|e| read_err(dump, e))?);
                text.push('\n');
            }
            Some(text)
        }
    };
    let mut engine = Engine::new(EngineConfig {
        analyzer,
        ..Default::default()
    })?;
    let mut new_cache = None;
    match &a.model {
        None => engine.add(docs)?,
        Some(dir) => {
            let embedder = load_embedder(dir)?;
            let tag = scry_core::Embedder::model(&embedder).clone();
            let per_doc: Vec<Vec<String>> = docs.iter().map(|d| engine.passages(d)).collect();
            let flat: Vec<String> = per_doc.iter().flatten().cloned().collect();
            // Passages embedded by an earlier build are reused: from the state folder, or
            // from --out where an older version of scry kept its cache.
            let mut cache = site::EmbeddingCache::load(&state_dir.join(site::CACHE_FILE), &tag);
            if cache.is_empty() {
                cache = site::EmbeddingCache::load(&a.out.join(site::CACHE_FILE), &tag);
            }
            if let Some(path) = &a.embedded {
                for (text, vector) in read_embedded(path, tag.dims)? {
                    cache.insert(&text, vector);
                }
            }
            let todo: Vec<String> = flat
                .iter()
                .filter(|p| cache.get(p).is_none())
                .cloned()
                .collect();
            if let Some(plan) = &a.embed_plan {
                write_embed_plan(plan, &todo)?;
                eprintln!(
                    "{} passages of {} documents to embed ({} reused from the previous build)",
                    todo.len(),
                    docs.len(),
                    flat.len() - todo.len()
                );
                return Ok(());
            }
            let threads = a.threads.unwrap_or_else(rayon_threads);
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
            engine.add_with_vectors(docs, grouped, &tag)?;
            new_cache = Some(next);
        }
    }
    let t = Instant::now();
    engine.maintain();
    eprintln!("merged and built graphs in {:.1?}", t.elapsed());
    let bundle = engine.export_static(&scry_core::ExportParams::default())?;
    let (batch, pending) = engine.prepare_commit();

    // What is there now (the build took a while): every path to write checked again.
    let out_scan = scan_checked(&a.out, a.force, &site::paths(&bundle))?;
    let state_scan = scan_checked(
        &state_dir,
        a.force,
        &state::paths(&batch, new_cache.is_some()),
    )?;
    check_stored_index(&out_scan, &a.out, &state_scan, &state_dir, a.force)?;
    let committed = state::commit(
        &state_dir,
        &mut engine,
        batch,
        pending,
        &state_scan,
        new_cache.as_ref(),
        |rel| eprintln!("removed {rel} from {} (stale)", state_dir.display()),
    )?;
    let published = site::publish(&a.out, &bundle, engine.model(), &out_scan, |rel| {
        eprintln!("removed {rel} from {} (stale)", a.out.display())
    })
    .map_err(|e| read_err(&a.out, e))?;
    eprintln!(
        "state (for scry search/eval/suggest/repair and storage: 'file'): {} ({} records, \
         {} bytes)",
        state_dir.display(),
        committed.records,
        committed.bytes
    );
    eprintln!(
        "indexed {} documents in {:.1?}: static index in {}: {} files, {} bytes ({} written, \
         {} stale removed; {}); {skipped} skipped",
        engine.len(),
        t0.elapsed(),
        a.out.display(),
        published.files,
        published.bytes,
        published.written,
        published.removed.len(),
        site::ENTRY_FILE,
    );
    if let (Some(dump), Some(text)) = (&a.dump, dump_text) {
        check_dump(dump, a.force)?;
        let name = dump.file_name().map(|n| n.to_string_lossy().into_owned());
        let temp = dump.with_file_name(owned::temp_name(&name.unwrap_or_default()));
        site::write_atomic(dump, &temp, text.as_bytes(), false).map_err(|e| read_err(dump, e))?;
    }
    let foreign = out_scan.foreign.len() + state_scan.foreign.len();
    if foreign > 0 {
        eprintln!("kept {foreign} file(s) scry did not write (--force), untouched");
    }
    Ok(())
}

/// The `scry eval --sets` command line.
struct EvalSetsArgs {
    sets: PathBuf,
    work: PathBuf,
    fusions: Vec<String>,
    held_out: bool,
    only: Vec<String>,
    no_reindex: bool,
    dump: Option<PathBuf>,
    save_vectors: Option<PathBuf>,
    json: bool,
    threads: Option<usize>,
    config: EngineConfig,
    model: Option<PathBuf>,
}

/// Queries checked against the engine's own hybrid search per set: the evaluation's fusion of
/// the candidate lists must rank as the engine does.
const FUSION_CHECKS: usize = 20;

/// `scry eval --sets`: indexes every corpus, embeds every query once, and prints one table.
fn eval_sets(a: EvalSetsArgs) -> Result<(), CliError> {
    use scry_cli::sets::{self, FusionSpec, QueryLists};
    let t0 = Instant::now();
    let mut all = sets::load_sets(&a.sets)?;
    for name in &a.only {
        if !all.iter().any(|s| &s.name == name) {
            return Err(CliError::Argument(format!("--only: no set named {name:?}")));
        }
    }
    all.retain(|s| (a.held_out || !s.held_out) && (a.only.is_empty() || a.only.contains(&s.name)));
    let base = a.config.hybrid;
    let mut fusions = vec![FusionSpec {
        label: "hybrid".into(),
        params: base,
    }];
    if a.fusions.is_empty() {
        fusions.extend(sets::default_fusions(&base));
    } else {
        for f in &a.fusions {
            fusions.push(sets::parse_fusion(f, &base)?);
        }
    }
    let depth = fusions
        .iter()
        .map(|f| f.params.candidates)
        .max()
        .unwrap_or(0)
        .max(sets::DEPTH);
    let embedder = a.model.as_deref().map(load_embedder).transpose()?;
    let threads = a.threads.unwrap_or_else(rayon_threads);
    let mut indexes: Vec<&str> = Vec::new();
    for s in &all {
        if !indexes.contains(&s.index.as_str()) {
            indexes.push(&s.index);
        }
    }
    let mut rows = Vec::new();
    for key in indexes {
        let group: Vec<&sets::EvalSet> = all.iter().filter(|s| s.index == key).collect();
        let Some(first) = group.first() else { continue };
        let state_dir = a.work.join(key).join("state");
        if !first.corpus.is_dir() {
            return Err(CliError::Argument(format!(
                "set {}: the corpus {} is missing (scripts/corpora.py makes it)",
                first.name,
                first.corpus.display()
            )));
        }
        if !(a.no_reindex && state_dir.join(scry_core::engine::MANIFEST_KEY).is_file()) {
            eprintln!(
                "indexing {} into {}",
                first.corpus.display(),
                state_dir.display()
            );
            index(IndexArgs {
                folder: first.corpus.clone(),
                out: a.work.join(key).join("site"),
                state: Some(state_dir.clone()),
                force: false,
                follow_links: false,
                strict: false,
                url_prefix: String::new(),
                url_ext: first.url_ext.clone(),
                dump: None,
                model: a.model.clone(),
                threads: Some(threads),
                embed_plan: None,
                embedded: None,
                language: None,
                stop_words: None,
            })?;
        }
        let engine = open_index(&state_dir, a.config.clone())?;
        if embedder.is_some() && engine.vector_count() == 0 {
            return Err(CliError::Argument(format!(
                "{} has no vectors: index it again without --no-reindex",
                state_dir.display()
            )));
        }
        let mut scratch = scry_core::Scratch::default();
        for set in group {
            let judged: Vec<eval::Judged> = parse_lines(&set.queries)?;
            let texts: Vec<String> = judged.iter().map(|j| j.query.clone()).collect();
            let vectors = match &embedder {
                Some(e) => {
                    let path = a.work.join(key).join("queries.cache");
                    query_vectors(e, &texts, &path, threads)?
                        .into_iter()
                        .map(Some)
                        .collect()
                }
                None => vec![None; texts.len()],
            };
            let mut lists = Vec::with_capacity(judged.len());
            for (i, (j, v)) in judged.iter().zip(&vectors).enumerate() {
                let r = engine.retrieve(&mut scratch, &j.query, v.as_deref(), depth)?;
                let q = QueryLists {
                    query: j.query.clone(),
                    relevant: j.relevant.clone(),
                    text: r.text,
                    vector: r.vector,
                    text_ceiling: r.text_ceiling,
                };
                if i < FUSION_CHECKS && v.is_some() {
                    let opts = SearchOptions {
                        k: 10,
                        mode: Mode::Hybrid,
                        ..Default::default()
                    };
                    let by_engine: Vec<String> = engine
                        .search_with(&mut scratch, &j.query, v.as_deref(), &opts)?
                        .into_iter()
                        .map(|h| h.id)
                        .collect();
                    let mut ours = sets::fused_ids(&q, &base);
                    ours.truncate(10);
                    if by_engine != ours {
                        return Err(CliError::Argument(format!(
                            "set {}: query {:?}: the engine's hybrid ranking {by_engine:?} is not \
                             the evaluation's {ours:?}",
                            set.name, j.query
                        )));
                    }
                }
                lists.push(q);
            }
            if let Some(dir) = &a.dump {
                std::fs::create_dir_all(dir).map_err(|e| read_err(dir, e))?;
                let path = dir.join(format!("{}.jsonl", set.name));
                let mut text = String::new();
                for q in &lists {
                    text.push_str(&serde_json::to_string(q).map_err(|e| read_err(&path, e))?);
                    text.push('\n');
                }
                std::fs::write(&path, text).map_err(|e| read_err(&path, e))?;
            }
            if let (Some(dir), Some(tag)) = (&a.save_vectors, engine.model()) {
                std::fs::create_dir_all(dir).map_err(|e| read_err(dir, e))?;
                let path = dir.join(format!("{}.json", set.name));
                let saved =
                    sets::SavedVectors::save(&format!("{}@{}", tag.id, tag.fingerprint), &lists);
                let text = serde_json::to_string(&saved).map_err(|e| read_err(&path, e))?;
                std::fs::write(&path, text + "\n").map_err(|e| read_err(&path, e))?;
            }
            rows.extend(sets::evaluate_set(set, &lists, &fusions));
        }
    }
    if a.json {
        let out = serde_json::to_string_pretty(&rows).map_err(|e| read_err(&a.sets, e))?;
        println!("{out}");
    } else {
        print!("{}", sets::format_table(&rows));
        println!(
            "({} sets, candidates {depth} deep, {:.1?}; * = held out)",
            rows.iter()
                .map(|r| r.set.as_str())
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            t0.elapsed()
        );
    }
    Ok(())
}

/// The embeddings of `texts` (queries), from the cache at `path` where it has them; the others
/// are embedded on `threads` threads and the cache saved.
fn query_vectors(
    embedder: &CliEmbedder,
    texts: &[String],
    path: &Path,
    threads: usize,
) -> Result<Vec<Vec<f32>>, CliError> {
    let tag = scry_core::Embedder::model(embedder).clone();
    let mut cache = site::EmbeddingCache::load(path, &tag);
    let todo: Vec<String> = texts
        .iter()
        .filter(|t| cache.get(t).is_none())
        .cloned()
        .collect();
    if !todo.is_empty() {
        let fresh = embed_parallel(embedder, &todo, threads)?;
        for (t, v) in todo.iter().zip(fresh) {
            cache.insert(t, v);
        }
        cache.save(path).map_err(|e| read_err(path, e))?;
    }
    texts
        .iter()
        .map(|t| {
            cache
                .get(t)
                .cloned()
                .ok_or_else(|| read_err(path, "a query was not embedded"))
        })
        .collect()
}

/// The first key of `given` (a path like `.bm25.k`) that `known` (the same settings as scry
/// writes them) does not have: serde would silently ignore a misspelt setting.
fn unknown_key(given: &serde_json::Value, known: &serde_json::Value, at: &str) -> Option<String> {
    let (serde_json::Value::Object(g), serde_json::Value::Object(k)) = (given, known) else {
        return None;
    };
    g.iter().find_map(|(key, v)| {
        let path = format!("{at}.{key}");
        match k.get(key) {
            None => Some(path),
            Some(kv) => unknown_key(v, kv, &path),
        }
    })
}

/// `--config`: a JSON object of scry-core `EngineConfig` settings (camelCase); unknown keys,
/// wrong types and values out of range are refused.
fn parse_config(json: Option<&str>) -> Result<EngineConfig, CliError> {
    let Some(json) = json else {
        return Ok(EngineConfig::default());
    };
    let err = |e: String| CliError::Argument(format!("--config: {e}"));
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| err(e.to_string()))?;
    if !value.is_object() {
        return Err(err("not a JSON object".into()));
    }
    let config: EngineConfig =
        serde_json::from_value(value.clone()).map_err(|e| err(e.to_string()))?;
    let known = serde_json::to_value(&config).map_err(|e| err(e.to_string()))?;
    if let Some(key) = unknown_key(&value, &known, "") {
        return Err(err(format!("unknown setting {key}")));
    }
    Ok(config.validate()?)
}

fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Bench(b) => bench(b),
        Command::Index {
            folder,
            out,
            state,
            force,
            follow_links,
            strict,
            url_prefix,
            url_ext,
            dump,
            model,
            threads,
            embed_plan,
            embedded,
            language,
            stop_words,
        } => index(IndexArgs {
            folder,
            out,
            state,
            force,
            follow_links,
            strict,
            url_prefix,
            url_ext,
            dump,
            model,
            threads,
            embed_plan,
            embedded,
            language,
            stop_words,
        }),
        Command::Search {
            index,
            query,
            k,
            mode,
            json,
            model,
            page,
        } => {
            let engine = open_index(&index, EngineConfig::default())?;
            let opts = page.apply(SearchOptions {
                k,
                mode: mode.into(),
                ..Default::default()
            });
            let mut scratch = scry_core::Scratch::default();
            let results = match model {
                Some(dir) => engine.query_embedded_with(
                    &mut scratch,
                    &query,
                    &mut load_embedder(&dir)?,
                    &opts,
                )?,
                None => engine.query_with(&mut scratch, &query, None, &opts)?,
            };
            if json {
                let out = if page.counts() {
                    serde_json::to_string_pretty(&serde_json::json!({
                        "hits": results.hits,
                        "total": results.total,
                        "facets": results.facets,
                    }))
                } else {
                    serde_json::to_string_pretty(&results.hits)
                };
                println!("{}", out.map_err(|e| read_err(&index, e))?);
            } else {
                if let Some(total) = results.total {
                    println!("{total} results");
                }
                for f in &results.facets {
                    let values: Vec<String> =
                        f.values.iter().map(|(v, n)| format!("{v} ({n})")).collect();
                    println!("{}: {}", f.field, values.join(", "));
                }
                for (i, h) in results.hits.iter().enumerate() {
                    let place = page.offset + i + 1;
                    println!("{place:>2}. {:<8.3} {} — {}", h.score, h.id, h.title);
                    println!("    {}", h.snippet.text.replace('\n', " "));
                }
            }
            Ok(())
        }
        Command::Repair { index } => {
            match kind_of(&index)? {
                IndexKind::State => {}
                IndexKind::Static => {
                    return Err(CliError::StaticIndex {
                        path: index.display().to_string(),
                    });
                }
                IndexKind::Collection => {
                    return Err(CliError::NotAnIndex {
                        path: index.display().to_string(),
                    });
                }
            }
            // Held for the whole repair: a package engine opening the folder meanwhile waits for
            // it (STORAGE_LOCKED) instead of committing over it.
            let _lock = lock::Lock::acquire(&index)?;
            let storage = FileStorage::open(&index)?;
            let info = block_on(Engine::repair(&storage, EngineConfig::default()))?;
            let manifest = match info.manifest {
                scry_core::engine::ManifestRepair::Intact => "",
                scry_core::engine::ManifestRepair::FromBackup => {
                    "; the lost manifest was restored from its backup"
                }
                scry_core::engine::ManifestRepair::Rebuilt => {
                    "; the lost manifest was rebuilt from the documents store (documents \
                     removed before the damage may be back)"
                }
            };
            if info.segments == 0 && manifest.is_empty() {
                println!("{}: intact, nothing to repair", index.display());
            } else {
                println!(
                    "{}: rebuilt {} segment(s), {} documents (generation {}){manifest}",
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
            let engine = open_index(&index, EngineConfig::default())?;
            let set: Vec<suggest_eval::SuggestCase> = parse_lines(&cases)?;
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
            let engine = open_index(&index, EngineConfig::default())?;
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
            sets,
            work,
            fusions,
            held_out,
            only,
            no_reindex,
            dump,
            save_vectors,
            json,
            threads,
            mode,
            k,
            verbose,
            config,
            model,
        } => {
            let config = parse_config(config.as_deref())?;
            if let Some(sets) = sets {
                return eval_sets(EvalSetsArgs {
                    sets,
                    work,
                    fusions,
                    held_out,
                    only,
                    no_reindex,
                    dump,
                    save_vectors,
                    json,
                    threads,
                    config,
                    model,
                });
            }
            let (Some(index), Some(queries)) = (index, queries) else {
                return Err(CliError::Argument("eval needs an index and queries".into()));
            };
            let engine = open_index(&index, config)?;
            let mut embedder = model.map(|dir| load_embedder(&dir)).transpose()?;
            let judged: Vec<eval::Judged> = parse_lines(&queries)?;
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
    let code = cli_main();
    // Compiled for WASI and run by the npm package's `scry` command: a non-zero exit leaves the
    // module through `proc_exit`, which Node.js implements by unwinding out of WebAssembly and
    // which crashed Node.js 20 (a segmentation fault, most runs after the model had loaded). The
    // launcher names a file for the code instead, and the module returns normally.
    #[cfg(target_os = "wasi")]
    if let Some(path) = std::env::var_os("SCRY_EXIT_FILE")
        && std::fs::write(&path, code.to_string()).is_ok()
    {
        return ExitCode::SUCCESS;
    }
    ExitCode::from(code)
}

/// The CLI; returns the process's exit code: 0 done, 1 an error, 2 a usage error.
fn cli_main() -> u8 {
    // Compiled to WebAssembly (WASI) and run by the npm package's `scry` command, which gives
    // the whole file system as `/` and the folder it was started in as SCRY_CWD: relative paths
    // are then the user's.
    #[cfg(target_os = "wasi")]
    if let Some(dir) = std::env::var_os("SCRY_CWD")
        && let Err(e) = std::env::set_current_dir(&dir)
    {
        eprintln!(
            "error [IO_ERROR]: cannot enter {}: {e}",
            dir.to_string_lossy()
        );
        return 1;
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                // Help on stdout (exit 0), or on stderr when a subcommand is missing (exit 2).
                let _ = e.print();
                return u8::try_from(e.exit_code()).unwrap_or(2);
            }
            // Usage errors carry a code like every other error.
            let text = e.render().to_string();
            eprint!(
                "error [INVALID_ARGUMENT]: {}",
                text.strip_prefix("error: ").unwrap_or(&text)
            );
            return 2;
        }
    };
    match run(cli) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error [{}]: {e}", e.code());
            1
        }
    }
}
