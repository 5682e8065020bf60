//! The built-in manifest and the integrity check, on the real fetched model files.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use scry_embed::{BUILTIN_MANIFEST, DEFAULT_TEXT_MODEL, ModelManifest};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[test]
fn builtin_manifest_describes_the_default_model() {
    let m = ModelManifest::parse(BUILTIN_MANIFEST).unwrap();
    let model = m.model(DEFAULT_TEXT_MODEL).unwrap();
    assert_eq!(
        (model.dims, model.pooling.as_str(), model.normalize),
        (384, "mean", true)
    );
    let names: Vec<_> = model.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["model.onnx", "tokenizer.json"]);
    assert_eq!(m.model("nope").unwrap_err().code(), "MODEL_UNKNOWN");
}

#[test]
fn malformed_manifests_are_rejected() {
    for bad in [
        "",
        "{",
        r#"{"format": 2, "models": []}"#,
        r#"{"format": 1, "models": [{"id": "x"}]}"#,
    ] {
        assert_eq!(
            ModelManifest::parse(bad).unwrap_err().code(),
            "MODEL_MANIFEST_INVALID"
        );
    }
    let short_hash = BUILTIN_MANIFEST.replacen("8199be6f", "8199", 1);
    assert_eq!(
        ModelManifest::parse(&short_hash).unwrap_err().code(),
        "MODEL_MANIFEST_INVALID"
    );
}

#[test]
fn verify_rejects_wrong_bytes() {
    let m = ModelManifest::parse(BUILTIN_MANIFEST).unwrap();
    let file = &m.model(DEFAULT_TEXT_MODEL).unwrap().files[1];
    let err = file.verify(b"{\"not\": \"a tokenizer\"}").unwrap_err();
    assert_eq!(err.code(), "MODEL_INTEGRITY");
    assert!(err.to_string().contains("tokenizer.json"));
}

#[cfg(not(target_arch = "wasm32"))]
mod on_disk {
    use std::path::PathBuf;

    use super::*;

    fn cache_dir() -> PathBuf {
        let root = std::env::var_os("SCRY_MODELS_DIR").map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/cache"),
            PathBuf::from,
        );
        root.join(DEFAULT_TEXT_MODEL)
    }

    #[test]
    fn fetched_files_pass_and_damaged_copies_fail() {
        let m = ModelManifest::parse(BUILTIN_MANIFEST).unwrap();
        let dir = cache_dir();
        for file in &m.model(DEFAULT_TEXT_MODEL).unwrap().files {
            let bytes = file.read_verified(&dir).unwrap_or_else(|e| {
                panic!("{e}\n(the test command runs models/fetch.py first; run it by hand)")
            });
            // Truncated by one byte.
            let err = file.verify(&bytes[..bytes.len() - 1]).unwrap_err();
            assert_eq!(err.code(), "MODEL_INTEGRITY");
            // Same length, one flipped bit in the middle.
            let mut flipped = bytes.clone();
            flipped[bytes.len() / 2] ^= 0x10;
            assert_eq!(file.verify(&flipped).unwrap_err().code(), "MODEL_INTEGRITY");
        }
    }

    #[test]
    fn missing_file_is_a_typed_error() {
        let m = ModelManifest::parse(BUILTIN_MANIFEST).unwrap();
        let file = &m.model(DEFAULT_TEXT_MODEL).unwrap().files[0];
        let err = file
            .read_verified(std::path::Path::new("/nonexistent"))
            .unwrap_err();
        assert_eq!(err.code(), "MODEL_FILE_MISSING");
    }
}
