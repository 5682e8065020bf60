//! scry-cli's library: reading documentation folders into documents (Markdown, HTML, text) and
//! retrieval-quality metrics; the `scry` binary is a thin command line over it and scry-core.

pub mod eval;
pub mod ingest;
pub mod site;
pub mod suggest_eval;
