//! Byte-level encoding shared by postings and the persistence format: LEB128 varints and a
//! bounds-checked reader that never panics on malformed input.

mod reader;
mod varint;

pub use reader::{DecodeError, Reader};
pub use varint::{put_bytes, put_f32, put_str, put_u32, put_u64, put_varint};
