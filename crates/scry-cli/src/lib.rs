//! scry-cli's library: reading documentation folders into documents (Markdown, HTML, text),
//! writing the published static index and the private build state without touching files scry
//! did not write, opening indexes, and retrieval-quality metrics; the `scry` binary is a thin
//! command line over it and scry-core.

pub mod embedder;
pub mod error;
pub mod eval;
pub mod ingest;
pub mod lock;
pub mod open;
pub mod owned;
pub mod sets;
pub mod site;
pub mod state;
pub mod suggest_eval;

pub use error::CliError;
