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
    let out = scry(&[
        "search",
        SAMPLE,
        "stream data",
        "-k",
        "2",
        "--json",
        "--mode",
        "text",
    ]);
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

#[test]
fn index_a_markdown_folder_then_search_and_eval_it() {
    let dir = std::env::temp_dir().join(format!("scry-cli-{}", std::process::id()));
    let src = dir.join("docs");
    let out = dir.join("index");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(src.join("api")).unwrap();
    std::fs::write(
        src.join("api/fs.md"),
        "# File system\n\nFiles.\n\n## `fs.readFile(path)`\n\nReads the whole file.\n\n## `fs.watch(path)`\n\nWatches for changes.\n",
    )
    .unwrap();
    std::fs::write(
        src.join("guide.html"),
        "<h1 id=\"intro\">Intro</h1><p>Streams &amp; pipes.</p>",
    )
    .unwrap();
    std::fs::write(src.join("notes.txt"), "Plain text notes about zlib.").unwrap();
    let status = scry(&[
        "index",
        src.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--url-ext",
        "html",
    ]);
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert!(out.join("manifest").is_file());
    let res = scry(&[
        "search",
        out.to_str().unwrap(),
        "watch changes",
        "--json",
        "--mode",
        "text",
    ]);
    let hits: serde_json::Value = serde_json::from_slice(&res.stdout).unwrap();
    assert_eq!(hits[0]["id"], "api/fs#fs-watch-path");
    assert_eq!(hits[0]["url"], "api/fs.html#fs-watch-path");
    assert_eq!(hits[0]["headings"][0], "File system");
    let res = scry(&[
        "search",
        out.to_str().unwrap(),
        "pipes",
        "--json",
        "--mode",
        "text",
    ]);
    let hits: serde_json::Value = serde_json::from_slice(&res.stdout).unwrap();
    assert_eq!(hits[0]["id"], "guide#intro");
    let queries = dir.join("q.jsonl");
    std::fs::write(
        &queries,
        "{\"query\": \"read whole file\", \"relevant\": [\"api/fs#fs-readfile-path\"]}\n{\"query\": \"zlib notes\", \"relevant\": [\"notes\"]}\n",
    )
    .unwrap();
    let res = scry(&["eval", out.to_str().unwrap(), queries.to_str().unwrap()]);
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let m: serde_json::Value = serde_json::from_slice(&res.stdout).unwrap();
    assert_eq!(m["queries"], 2);
    assert_eq!(m["mrr@10"], 1.0);
}
