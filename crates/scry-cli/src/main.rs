//! `scry`: the native command line — search a document collection from the terminal.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use scry_core::{Document, Engine, EngineConfig, SearchOptions};

/// Errors of the CLI, each with a stable code.
#[derive(Debug, thiserror::Error)]
enum CliError {
    /// Reading an input file failed.
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    /// The collection file is not `{ "documents": [...] }`.
    #[error("{path} is not a document collection: {reason}")]
    Collection { path: String, reason: String },
    /// An engine error.
    #[error(transparent)]
    Core(#[from] scry_core::CoreError),
}

impl CliError {
    fn code(&self) -> &'static str {
        match self {
            CliError::Read { .. } => "IO_ERROR",
            CliError::Collection { .. } => "INVALID_COLLECTION",
            CliError::Core(e) => e.code(),
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

#[derive(Subcommand)]
enum Command {
    /// Search a collection file (`{"documents": [{id, title, body, url?}]}`).
    Search {
        /// The collection file.
        collection: PathBuf,
        /// The query.
        query: String,
        /// Number of results.
        #[arg(short, long, default_value_t = 10)]
        k: usize,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(serde::Deserialize)]
struct Collection {
    documents: Vec<Document>,
}

fn load(path: &PathBuf) -> Result<Engine, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::Read {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    let c: Collection = serde_json::from_str(&text).map_err(|e| CliError::Collection {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    let mut engine = Engine::new(EngineConfig::default())?;
    engine.add_all(c.documents)?;
    Ok(engine)
}

fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Search {
            collection,
            query,
            k,
            json,
        } => {
            let engine = load(&collection)?;
            let hits = engine.search(&query, &SearchOptions { k })?;
            if json {
                let out =
                    serde_json::to_string_pretty(&hits).map_err(|e| CliError::Collection {
                        path: "<results>".into(),
                        reason: e.to_string(),
                    })?;
                println!("{out}");
            } else {
                for (i, h) in hits.iter().enumerate() {
                    println!("{:>2}. {:<8.3} {} — {}", i + 1, h.score, h.id, h.title);
                    println!("    {}", h.snippet.text);
                }
            }
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
