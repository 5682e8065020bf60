//! Property tests of the persistence format: every segment and manifest round-trips exactly, and
//! no corruption of a blob makes decoding panic. Native only (proptest).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::collections::BTreeMap;

use proptest::prelude::*;
use scry_core::manifest::{Manifest, SegmentEntry};
use scry_core::segment::Segment;
use scry_core::segment::format::crc32;
use scry_core::text::{Analyzer, AnalyzerConfig, Language};
use scry_core::vector::{Metric, VectorParams};
use scry_core::{Document, MetaValue, ModelTag};

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z .,_]{0,40}",
        "\\PC{0,30}",
        Just("fs.readFile parseHTTPResponse snake_case café 日本語 😀".to_owned()),
    ]
}

fn meta() -> impl Strategy<Value = MetaValue> {
    prop_oneof![
        any::<bool>().prop_map(MetaValue::Bool),
        (-1e9f64..1e9).prop_map(MetaValue::Number),
        text().prop_map(MetaValue::Text),
        prop::collection::vec(text(), 0..3).prop_map(MetaValue::List),
    ]
}

fn document(i: usize) -> impl Strategy<Value = Document> {
    (
        text(),
        prop::collection::vec(text(), 0..3),
        text(),
        prop::collection::vec(text(), 0..3),
        prop::option::of(text()),
        prop::collection::btree_map("[a-z]{1,6}", meta(), 0..3),
    )
        .prop_map(
            move |(title, headings, body, tags, url, metadata)| Document {
                id: format!("doc-{i}"),
                title: format!("t{i} {title}"),
                headings,
                body,
                tags,
                url,
                metadata,
            },
        )
}

fn segment() -> impl Strategy<Value = (Segment, usize)> {
    (1usize..12, 1usize..9, any::<bool>(), any::<u64>())
        .prop_flat_map(|(n, dims, graph, seed)| {
            let docs: Vec<_> = (0..n).map(document).collect();
            (docs, Just(dims), Just(graph), Just(seed))
        })
        .prop_map(|(docs, dims, graph, seed)| {
            let vecs = scry_core::vector::synthetic::clustered(seed, docs.len() * 2, dims, 3);
            let rows: Vec<(Vec<f32>, u32)> = vecs
                .into_iter()
                .enumerate()
                .map(|(i, v)| (v, (i / 2) as u32))
                .collect();
            let params = VectorParams {
                hnsw_threshold: if graph { 2 } else { usize::MAX },
                ..Default::default()
            };
            (
                Segment::build(docs, &rows, dims, &Analyzer::english(), &params),
                dims,
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn segments_round_trip((seg, _dims) in segment()) {
        let blob = seg.encode();
        let back = Segment::decode(&blob, "p").unwrap();
        prop_assert_eq!(&back, &seg);
        prop_assert_eq!(back.encode(), blob);
    }

    #[test]
    fn damaged_segments_fail_cleanly((seg, _dims) in segment(), pos in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<prop::sample::Index>()) {
        let blob = seg.encode();
        // A changed byte with the checksum repaired exercises the structural checks too.
        let mut bad = blob.clone();
        let i = pos.index(bad.len() - 4);
        bad[i] = byte;
        let end = bad.len() - 4;
        let crc = crc32(&bad[..end]);
        bad[end..].copy_from_slice(&crc.to_le_bytes());
        match Segment::decode(&bad, "p") {
            // What decodes is exactly what the bytes say: encoding it again gives them back.
            Ok(back) => prop_assert_eq!(back.encode(), bad.clone()),
            Err(e) => prop_assert!(
                matches!(e.code(), "CORRUPT_DATA" | "UNSUPPORTED_VERSION"),
                "{e}"
            ),
        }
        // The same change without the checksum repaired is always caught.
        if bad[i] != blob[i] {
            bad[end..].copy_from_slice(&blob[end..]);
            prop_assert_eq!(Segment::decode(&bad, "p").unwrap_err().code(), "CORRUPT_DATA");
        }
        // Truncated: always an error.
        let short = &blob[..cut.index(blob.len())];
        prop_assert_eq!(Segment::decode(short, "p").unwrap_err().code(), "CORRUPT_DATA");
    }

    #[test]
    fn manifests_round_trip(
        generation in any::<u64>(),
        segs in prop::collection::vec(("[0-9a-f]{32}", 1u32..1000, prop::collection::btree_set(0u32..1000, 0..10)), 0..5),
        model in prop::option::of(("[a-z-]{1,20}", 1usize..2048, "[0-9a-f]{64}")),
        stop in prop::option::of(prop::collection::vec("[a-z]{1,8}", 0..5)),
        metric in 0u8..3,
        fold in any::<bool>(),
        retired in prop::collection::btree_set("(seg|docstore|chunk/post)/[0-9a-f]{32}", 0..4),
    ) {
        let m = Manifest {
            generation,
            analyzer: AnalyzerConfig { language: Some(Language::French), stop_words: stop, fold_diacritics: fold, code_tokens: !fold },
            metric: Metric::from_tag(metric).unwrap(),
            model: model.map(|(id, dims, fingerprint)| ModelTag { id, dims, fingerprint }),
            segments: segs
                .into_iter()
                .map(|(id, doc_count, del)| SegmentEntry { id, doc_count, deleted: del.into_iter().filter(|d| *d < doc_count).collect() })
                .collect(),
            retired: retired.into_iter().collect(),
        };
        let blob = m.encode();
        prop_assert_eq!(Manifest::decode(&blob).unwrap(), m);
        for cut in [0, 1, blob.len() / 2, blob.len() - 1] {
            prop_assert!(Manifest::decode(&blob[..cut]).is_err());
        }
    }
}

#[test]
fn metadata_numbers_must_be_finite_on_decode() {
    let mut d = Document::new("x", "t", "b");
    d.metadata = BTreeMap::from([("n".to_owned(), MetaValue::Number(1.5))]);
    let seg = Segment::build(
        vec![d],
        &[],
        0,
        &Analyzer::english(),
        &VectorParams::default(),
    );
    let mut blob = seg.encode();
    let at = blob
        .windows(8)
        .position(|w| w == 1.5f64.to_le_bytes())
        .unwrap();
    blob[at..at + 8].copy_from_slice(&f64::NAN.to_le_bytes());
    let end = blob.len() - 4;
    let crc = crc32(&blob[..end]);
    blob[end..].copy_from_slice(&crc.to_le_bytes());
    assert_eq!(
        Segment::decode(&blob, "x").unwrap_err().code(),
        "CORRUPT_DATA"
    );
}

/// Every fuzz seed (real blobs, and inputs that once crashed the fuzzer, e.g. a manifest whose
/// deleted-document deltas overflowed) decodes to a value or a typed error, as the fuzz target
/// feeds them: the first byte picks the decoder, raw or inside a valid envelope.
#[test]
fn fuzz_seeds_and_regressions_decode_without_panic() {
    use scry_core::manifest::{MANIFEST_MAGIC, MANIFEST_VERSION};
    use scry_core::segment::format::{content_id, seal};
    use scry_core::segment::{SEGMENT_MAGIC, SEGMENT_VERSION};
    use scry_core::static_index::{META_MAGIC, STATIC_VERSION};
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/seeds/decode");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        let Some((&mode, rest)) = data.split_first() else {
            continue;
        };
        seen += 1;
        match mode % 6 {
            0 => drop(Segment::decode(rest, "seed")),
            1 => drop(Manifest::decode(rest)),
            2 => drop(Segment::decode(
                &seal(SEGMENT_MAGIC, SEGMENT_VERSION, rest),
                "seed",
            )),
            3 => drop(Manifest::decode(&seal(
                MANIFEST_MAGIC,
                MANIFEST_VERSION,
                rest,
            ))),
            m => {
                let bytes = if m == 4 {
                    rest.to_vec()
                } else {
                    seal(META_MAGIC, STATIC_VERSION, rest)
                };
                let name = format!("meta/{}.bin", content_id(&bytes));
                let mut e = scry_core::Engine::new(scry_core::EngineConfig::default()).unwrap();
                drop(e.attach_static(&name, &bytes));
            }
        }
    }
    assert!(seen >= 9, "{seen} seeds");
}
