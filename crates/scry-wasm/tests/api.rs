//! The JavaScript-facing API in headless Chrome: values in, values and typed errors out.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Reflect};
use scry_wasm::Engine;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const SAMPLE: &str = include_str!("../../../tests/fixtures/node-docs-sample.json");

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap()
}

/// The text of a snippet's first highlight (its range is in UTF-16 code units, as `slice` takes).
fn first_highlight(snippet: &JsValue) -> String {
    let text: js_sys::JsString = get(snippet, "text").dyn_into().unwrap();
    let r: Array = Array::from(&get(snippet, "highlights"))
        .get(0)
        .dyn_into()
        .unwrap();
    let (s, t) = (
        r.get(0).as_f64().unwrap() as u32,
        r.get(1).as_f64().unwrap() as u32,
    );
    String::from(text.slice(s, t))
}

fn sample_engine() -> Engine {
    let parsed = js_sys::JSON::parse(SAMPLE).unwrap();
    let mut e = Engine::new(JsValue::UNDEFINED).unwrap();
    e.add(get(&parsed, "documents")).unwrap();
    e
}

fn code_of(err: JsValue) -> String {
    assert!(err.is_instance_of::<js_sys::Error>());
    get(&err, "code").as_string().unwrap()
}

#[wasm_bindgen_test]
fn searches_real_docs_and_returns_utf16_highlights() {
    let e = sample_engine();
    assert!(e.size() > 40, "size {}", e.size());
    let opts = js_sys::JSON::parse(r#"{"k": 3}"#).unwrap();
    let hits: Array = e
        .search("gzip compression", opts, None)
        .unwrap()
        .dyn_into()
        .unwrap();
    assert!((1..=3).contains(&hits.length()));
    let top = hits.get(0);
    assert_eq!(get(&top, "id").as_string().unwrap(), "zlib");
    let snippet = get(&top, "snippet");
    let text: js_sys::JsString = get(&snippet, "text").dyn_into().unwrap();
    let ranges: Array = get(&snippet, "highlights").dyn_into().unwrap();
    assert!(ranges.length() > 0);
    for r in ranges.iter() {
        let r: Array = r.dyn_into().unwrap();
        let (s, t) = (
            r.get(0).as_f64().unwrap() as u32,
            r.get(1).as_f64().unwrap() as u32,
        );
        let word = String::from(text.slice(s, t)).to_lowercase();
        assert!(word == "gzip" || word == "compression", "{word}");
    }
}

#[wasm_bindgen_test]
fn highlights_are_utf16_offsets_for_astral_text() {
    let mut e = Engine::new(JsValue::UNDEFINED).unwrap();
    let docs =
        js_sys::JSON::parse(r#"[{"id":"e","title":"Emoji","body":"😀😀 café 😀 stream ok"}]"#)
            .unwrap();
    e.add(docs).unwrap();
    let hits: Array = e
        .search("stream", JsValue::UNDEFINED, None)
        .unwrap()
        .dyn_into()
        .unwrap();
    let snippet = get(&hits.get(0), "snippet");
    assert_eq!(first_highlight(&snippet), "stream");
}

/// Every field of a hit survives the packing into one text and numbers (`unpackHits`):
/// non-ASCII and astral strings before and after others, several headings, each optional key
/// present or left out (never undefined), both truncation flags, keys in the documented order.
#[wasm_bindgen_test]
fn hits_carry_every_field_through_the_packing() {
    let mut e = Engine::new(JsValue::UNDEFINED).unwrap();
    let long = format!(
        "{} stream {}",
        ["filler"; 40].join(" "),
        ["tail"; 40].join(" ")
    );
    let docs = js_sys::JSON::parse(&format!(
        r#"[{{"id":"ü/😀","title":"Çafé 😀 streams","headings":["Ünïcode","𝔘 two"],
              "body":"😀 first, then a stream of 𝔟ytes","url":"/ü#😀",
              "metadata":{{"image":"/img/ö.png"}}}},
            {{"id":"url-only","title":"U","body":"a stream","url":"/u"}},
            {{"id":"image-only","title":"I","body":"stream","metadata":{{"image":"/i.png"}}}},
            {{"id":"long","title":"Long","body":"{long}"}},
            {{"id":"unmatched","title":"Nothing","body":"no such word here"}}]"#
    ))
    .unwrap();
    // One 4-d vector per document; the query vector is the first document's.
    let vectors: Vec<f32> = [
        [1.0, 0.0, 0.0, 0.0],
        [0.0, 1.0, 0.0, 0.0],
        [0.0, 0.0, 1.0, 0.0],
        [0.0, 0.0, 0.0, 1.0],
        [0.5, 0.5, 0.5, 0.5],
    ]
    .concat();
    e.index_with_vectors(docs, &vectors, &[1; 5], "test".into(), 4, "f".into(), false)
        .unwrap();
    let opts = js_sys::JSON::parse(r#"{"k": 10, "mode": "hybrid"}"#).unwrap();
    let hits: Array = e
        .search("stream", opts, Some(vec![1.0, 0.0, 0.0, 0.0]))
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(hits.length(), 5);
    let by_id = |id: &str| {
        hits.iter()
            .find(|h| get(h, "id").as_string().as_deref() == Some(id))
            .unwrap()
    };
    let keys = |v: &JsValue| -> Vec<String> {
        js_sys::Object::keys(v.unchecked_ref::<js_sys::Object>())
            .iter()
            .map(|k| k.as_string().unwrap())
            .collect()
    };
    let rich = by_id("ü/😀");
    assert_eq!(
        keys(&rich),
        [
            "id",
            "score",
            "textScore",
            "vectorScore",
            "title",
            "titleHighlights",
            "headings",
            "url",
            "image",
            "snippet"
        ]
    );
    assert_eq!(get(&rich, "title").as_string().unwrap(), "Çafé 😀 streams");
    // `streams` in UTF-16 code units of the title (the emoji counts two).
    let title_marks: Vec<Vec<f64>> = Array::from(&get(&rich, "titleHighlights"))
        .iter()
        .map(|r| {
            Array::from(&r)
                .iter()
                .map(|n| n.as_f64().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(title_marks, [vec![8.0, 15.0]]);
    assert_eq!(
        Array::from(&get(&by_id("unmatched"), "titleHighlights")).length(),
        0
    );
    let headings: Vec<String> = Array::from(&get(&rich, "headings"))
        .iter()
        .map(|h| h.as_string().unwrap())
        .collect();
    assert_eq!(headings, ["Ünïcode", "𝔘 two"]);
    assert_eq!(get(&rich, "url").as_string().unwrap(), "/ü#😀");
    assert_eq!(get(&rich, "image").as_string().unwrap(), "/img/ö.png");
    assert!(get(&rich, "score").as_f64().unwrap() > 0.0);
    assert!(get(&rich, "textScore").as_f64().unwrap() > 0.0);
    assert!((get(&rich, "vectorScore").as_f64().unwrap() - 1.0).abs() < 0.02);
    let snippet = get(&rich, "snippet");
    assert_eq!(
        keys(&snippet),
        ["text", "highlights", "truncatedStart", "truncatedEnd"]
    );
    let text = get(&snippet, "text").as_string().unwrap();
    assert_eq!(text, "😀 first, then a stream of 𝔟ytes");
    assert_eq!(first_highlight(&snippet), "stream");
    assert_eq!(get(&snippet, "truncatedStart"), JsValue::FALSE);
    assert_eq!(get(&snippet, "truncatedEnd"), JsValue::FALSE);

    let has = |v: &JsValue, key: &str| Reflect::has(v, &JsValue::from_str(key)).unwrap();
    let url_only = by_id("url-only");
    assert_eq!(get(&url_only, "url").as_string().unwrap(), "/u");
    assert!(!has(&url_only, "image"));
    let image_only = by_id("image-only");
    assert_eq!(get(&image_only, "image").as_string().unwrap(), "/i.png");
    assert!(!has(&image_only, "url"));
    let unmatched = by_id("unmatched");
    assert!(!has(&unmatched, "textScore") && has(&unmatched, "vectorScore"));
    assert_eq!(Array::from(&get(&unmatched, "headings")).length(), 0);
    let long = get(&by_id("long"), "snippet");
    assert_eq!(get(&long, "truncatedStart"), JsValue::TRUE);
    assert_eq!(get(&long, "truncatedEnd"), JsValue::TRUE);
    assert_eq!(first_highlight(&long), "stream");
}

#[wasm_bindgen_test]
fn bad_input_gives_coded_errors() {
    let mut e = sample_engine();
    assert_eq!(
        code_of(e.search("", JsValue::UNDEFINED, None).err().unwrap()),
        "INVALID_QUERY"
    );
    let bad_opts = js_sys::JSON::parse(r#"{"kk": 3}"#).unwrap();
    assert_eq!(
        code_of(e.search("fs", bad_opts, None).err().unwrap()),
        "INVALID_OPTIONS"
    );
    let bad_filter = js_sys::JSON::parse(r#"{"filter": {"module": {"like": "f"}}}"#).unwrap();
    assert_eq!(
        code_of(e.search("fs", bad_filter, None).err().unwrap()),
        "INVALID_OPTIONS"
    );
    let bad_k = js_sys::JSON::parse(r#"{"k": "ten"}"#).unwrap();
    assert_eq!(
        code_of(e.search("fs", bad_k, None).err().unwrap()),
        "INVALID_OPTIONS"
    );
    let not_docs = js_sys::JSON::parse(r#"[{"id": 5}]"#).unwrap();
    assert_eq!(code_of(e.add(not_docs).err().unwrap()), "INVALID_DOCUMENT");
    let dup = js_sys::JSON::parse(r#"[{"id": "fs", "title": "again"}]"#).unwrap();
    assert_eq!(code_of(e.add(dup).err().unwrap()), "DUPLICATE_ID");
    let bad_k1 = js_sys::JSON::parse(r#"{"bm25": {"k1": -1}}"#).unwrap();
    let r = Engine::new(bad_k1);
    assert_eq!(
        code_of(r.err().expect("k1 = -1 must be rejected")),
        "INVALID_PARAMETER"
    );
}
