//! Fuzzes every decoder of stored data: segments and manifests must return Ok or a typed error,
//! never panic, on any input. The first byte picks how the rest is used: raw (exercises the
//! envelope checks) or wrapped in a valid envelope (exercises the structural checks behind it).
#![no_main]

use libfuzzer_sys::fuzz_target;
use scry_core::manifest::{MANIFEST_MAGIC, MANIFEST_VERSION, Manifest};
use scry_core::segment::format::seal;
use scry_core::segment::{SEGMENT_MAGIC, SEGMENT_VERSION, Segment};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    match mode % 4 {
        0 => {
            let _ = Segment::decode(rest, "fuzz");
        }
        1 => {
            let _ = Manifest::decode(rest);
        }
        2 => {
            let _ = Segment::decode(&seal(SEGMENT_MAGIC, SEGMENT_VERSION, rest), "fuzz");
        }
        _ => {
            let _ = Manifest::decode(&seal(MANIFEST_MAGIC, MANIFEST_VERSION, rest));
        }
    }
});
