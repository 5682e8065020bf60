//! Text analysis: turning strings into positioned terms.

mod analyzer;

pub use analyzer::{Analyzer, Token};
