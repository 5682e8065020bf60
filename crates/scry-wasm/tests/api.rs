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
    let text: js_sys::JsString = get(&snippet, "text").dyn_into().unwrap();
    let r: Array = Array::from(&get(&snippet, "highlights"))
        .get(0)
        .dyn_into()
        .unwrap();
    let (s, t) = (
        r.get(0).as_f64().unwrap() as u32,
        r.get(1).as_f64().unwrap() as u32,
    );
    assert_eq!(String::from(text.slice(s, t)), "stream");
}

/// Every field of a hit survives the packing into one text and numbers (`unpackHits`):
/// non-ASCII and astral strings before and after others, several headings, optional keys left
/// out rather than undefined.
#[wasm_bindgen_test]
fn hits_carry_every_field_through_the_packing() {
    let mut e = Engine::new(JsValue::UNDEFINED).unwrap();
    let docs = js_sys::JSON::parse(
        r#"[{"id":"ü/😀","title":"Çafé 😀 streams","headings":["Ünïcode","𝔘 two"],
            "body":"😀 first, then a stream of 𝔟ytes","url":"/ü#😀",
            "metadata":{"image":"/img/ö.png"}},
           {"id":"plain","title":"Plain","body":"no stream here, only text"}]"#,
    )
    .unwrap();
    e.add(docs).unwrap();
    let opts = js_sys::JSON::parse(r#"{"k": 5, "mode": "text"}"#).unwrap();
    let hits: Array = e.search("stream", opts, None).unwrap().dyn_into().unwrap();
    assert_eq!(hits.length(), 2);
    let by_id = |id: &str| {
        hits.iter()
            .find(|h| get(h, "id").as_string().as_deref() == Some(id))
            .unwrap()
    };
    let rich = by_id("ü/😀");
    let keys: Vec<String> = js_sys::Object::keys(rich.unchecked_ref::<js_sys::Object>())
        .iter()
        .map(|k| k.as_string().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "score",
            "textScore",
            "title",
            "headings",
            "url",
            "image",
            "snippet"
        ]
    );
    assert_eq!(get(&rich, "title").as_string().unwrap(), "Çafé 😀 streams");
    let headings: Vec<String> = Array::from(&get(&rich, "headings"))
        .iter()
        .map(|h| h.as_string().unwrap())
        .collect();
    assert_eq!(headings, ["Ünïcode", "𝔘 two"]);
    assert_eq!(get(&rich, "url").as_string().unwrap(), "/ü#😀");
    assert_eq!(get(&rich, "image").as_string().unwrap(), "/img/ö.png");
    let score = get(&rich, "score").as_f64().unwrap();
    assert!(score > 0.0);
    assert_eq!(get(&rich, "textScore").as_f64().unwrap(), score);
    let snippet = get(&rich, "snippet");
    let text: js_sys::JsString = get(&snippet, "text").dyn_into().unwrap();
    assert_eq!(
        String::from(text.clone()),
        "😀 first, then a stream of 𝔟ytes"
    );
    let r: Array = Array::from(&get(&snippet, "highlights"))
        .get(0)
        .dyn_into()
        .unwrap();
    let (s, t) = (
        r.get(0).as_f64().unwrap() as u32,
        r.get(1).as_f64().unwrap() as u32,
    );
    assert_eq!(String::from(text.slice(s, t)), "stream");
    assert_eq!(get(&snippet, "truncatedStart"), JsValue::FALSE);
    assert_eq!(get(&snippet, "truncatedEnd"), JsValue::FALSE);
    let plain = by_id("plain");
    for absent in ["url", "image", "vectorScore"] {
        assert!(
            !Reflect::has(&plain, &JsValue::from_str(absent)).unwrap(),
            "{absent}"
        );
    }
    assert_eq!(Array::from(&get(&plain, "headings")).length(), 0);
    assert_eq!(get(&plain, "title").as_string().unwrap(), "Plain");
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
