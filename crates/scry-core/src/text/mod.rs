//! Text analysis: turning strings into positioned, normalised terms.

mod analyzer;
pub mod code;
pub mod fold;
mod language;

pub use analyzer::{Analyzer, AnalyzerConfig, MAX_WORD_BYTES, Token};
pub use language::Language;
