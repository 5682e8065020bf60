//! The `scry` binary end to end on the Node.js docs sample.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::process::Command;

fn scry(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_scry"))
        .args(args)
        .output()
        .unwrap()
}

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/node-docs-sample.json"
);

#[test]
fn search_prints_the_expected_top_hit_as_json() {
    let out = scry(&["search", SAMPLE, "stream data", "-k", "2", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hits: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(hits.as_array().unwrap().len(), 2);
    assert_eq!(hits[0]["id"], "stream");
}

#[test]
fn errors_have_codes_and_a_failing_status() {
    let out = scry(&["search", "/nonexistent.json", "x"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("[IO_ERROR]"));
    let out = scry(&["search", SAMPLE, "   "]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("[INVALID_QUERY]"));
}
