//! Fuzzes every decoder of stored data: segments, manifests and static index meta files must
//! return Ok or a typed error,
//! never panic, on any input. The first byte picks how the rest is used: raw (exercises the
//! envelope checks) or wrapped in a valid envelope (exercises the structural checks behind it).
#![no_main]

use libfuzzer_sys::fuzz_target;
use scry_core::manifest::{MANIFEST_MAGIC, MANIFEST_VERSION, Manifest};
use scry_core::segment::format::{content_id, seal};
use scry_core::static_index::{META_MAGIC, STATIC_VERSION};
use scry_core::{Engine, EngineConfig};
use scry_core::segment::{SEGMENT_MAGIC, SEGMENT_VERSION, Segment};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    match mode % 6 {
        0 => {
            let _ = Segment::decode(rest, "fuzz");
        }
        1 => {
            let _ = Manifest::decode(rest);
        }
        2 => {
            let _ = Segment::decode(&seal(SEGMENT_MAGIC, SEGMENT_VERSION, rest), "fuzz");
        }
        3 => {
            let _ = Manifest::decode(&seal(MANIFEST_MAGIC, MANIFEST_VERSION, rest));
        }
        m => {
            // A static index's meta file, named by its content as a bundle names it.
            let bytes = if m == 4 { rest.to_vec() } else { seal(META_MAGIC, STATIC_VERSION, rest) };
            let name = format!("meta/{}.bin", content_id(&bytes));
            if let Ok(mut engine) = Engine::new(EngineConfig::default()) {
                let _ = engine.attach_static(&name, &bytes);
            }
        }
    }
});
