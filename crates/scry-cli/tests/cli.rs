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
    let state = dir.join("state");
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
        "--state",
        state.to_str().unwrap(),
        "--url-ext",
        "html",
    ]);
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    // The published folder holds the static index; the state folder the stored one.
    assert!(out.join("scry.json").is_file());
    assert!(!out.join("manifest").exists());
    assert!(state.join("manifest").is_file());
    // Both answer the same.
    for index in [&out, &state] {
        let res = scry(&[
            "search",
            index.to_str().unwrap(),
            "zlib",
            "--json",
            "--mode",
            "text",
        ]);
        let hits: serde_json::Value = serde_json::from_slice(&res.stdout).unwrap();
        assert_eq!(hits[0]["id"], "notes", "{}", index.display());
    }
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

/// The ids of a JSON array of hits.
fn ids_of(hits: &serde_json::Value) -> Vec<&str> {
    hits.as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect()
}

#[test]
fn search_pages_counts_facets_and_sorts_a_static_index() {
    let dir = std::env::temp_dir().join(format!("scry-cli-page-{}", std::process::id()));
    let (src, out) = (dir.join("docs"), dir.join("index"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&src).unwrap();
    // Five pages about streams with front matter; `since` missing on one.
    for (name, section, since) in [
        ("a", "api", Some(3)),
        ("b", "guide", Some(1)),
        ("c", "api", None),
        ("d", "api", Some(2)),
        ("e", "guide", Some(5)),
    ] {
        let since = since.map_or(String::new(), |n| format!("since: {n}\n"));
        let text = format!(
            "---\nsection: {section}\n{since}topics: [io, {name}]\n---\n# Page {name}\n\nStreams of {name}.\n"
        );
        std::fs::write(src.join(format!("{name}.md")), text).unwrap();
    }
    std::fs::write(src.join("other.md"), "# Other\n\nNothing here.\n").unwrap();
    let status = scry(&[
        "index",
        src.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let search = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["search", out.to_str().unwrap(), "streams", "--json"];
        args.extend_from_slice(extra);
        let res = scry(&args);
        assert!(
            res.status.success(),
            "{}",
            String::from_utf8_lossy(&res.stderr)
        );
        serde_json::from_slice(&res.stdout).unwrap()
    };
    let r = search(&[
        "-k",
        "2",
        "--facets",
        "section,topics",
        "--sort",
        "since:desc",
    ]);
    assert_eq!(r["total"], 5);
    let ids = ids_of(&r["hits"]);
    assert_eq!(ids, ["e#page-e", "a#page-a"]);
    assert_eq!(r["facets"][0]["field"], "section");
    assert_eq!(
        r["facets"][0]["values"],
        serde_json::json!([["api", 3], ["guide", 2]])
    );
    assert_eq!(r["facets"][1]["values"][0], serde_json::json!(["io", 5]));
    assert_eq!(r["facets"][1]["distinct"], 6);
    // The next page; the page without `since` comes last.
    let r = search(&[
        "-k",
        "2",
        "--offset",
        "2",
        "--sort",
        "since:desc",
        "--count",
    ]);
    let ids = ids_of(&r["hits"]);
    assert_eq!(ids, ["d#page-d", "b#page-b"]);
    let r = search(&["-k", "2", "--offset", "4", "--sort", "since"]);
    assert_eq!(r[0]["id"], "c#page-c", "without counting: the hits alone");
    assert!(r[0].get("metadata").is_none());
    let r = search(&["-k", "1", "--sort", "since", "--metadata", "since,section"]);
    assert_eq!(
        r[0]["metadata"],
        serde_json::json!({"section": "guide", "since": 1.0})
    );
    let r = search(&["-k", "1", "--sort", "since", "--metadata", "*"]);
    assert_eq!(r[0]["metadata"]["topics"], serde_json::json!(["io", "b"]));
    // A bad sort field is a typed error.
    let long = "x".repeat(300);
    let res = scry(&["search", out.to_str().unwrap(), "streams", "--sort", &long]);
    assert!(!res.status.success());
    assert!(String::from_utf8_lossy(&res.stderr).contains("[INVALID_PARAMETER]"));
    let _ = std::fs::remove_dir_all(&dir);
}

const MODEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../models/cache/all-MiniLM-L6-v2-int8"
);

/// Loads every file of the static index in `dir` into a fresh engine.
fn load_static(dir: &std::path::Path) -> scry_core::Engine {
    let entry: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("scry.json")).unwrap()).unwrap();
    let meta = entry["meta"].as_str().unwrap();
    let mut e = scry_core::Engine::new(scry_core::EngineConfig::default()).unwrap();
    e.attach_static(meta, &std::fs::read(dir.join(meta)).unwrap())
        .unwrap();
    for (name, _) in e.static_chunks() {
        let bytes = std::fs::read(dir.join(&name)).unwrap();
        e.load_chunk(&name, &bytes).unwrap();
    }
    e
}

#[test]
fn index_writes_a_static_index_and_a_rebuild_embeds_only_changed_passages() {
    let dir = std::env::temp_dir().join(format!("scry-cli-static-{}", std::process::id()));
    let src = dir.join("docs");
    let out = dir.join("site");
    let state = dir.join("state");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("fs.md"),
        "# File system\n\nFiles.\n\n## Reading\n\nRead the whole file at once.\n\n## Watching\n\nWatch a folder for changes.\n",
    )
    .unwrap();
    std::fs::write(
        src.join("zlib.md"),
        "# Zlib\n\nCompress data with gzip and deflate.\n",
    )
    .unwrap();
    let index = |what: &str| {
        let res = scry(&[
            "index",
            src.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--model",
            MODEL,
            "--threads",
            "1",
        ]);
        let stderr = String::from_utf8_lossy(&res.stderr).into_owned();
        assert!(res.status.success(), "{what}: {stderr}");
        stderr
    };
    let first = index("first build");
    assert!(
        first.contains("(0 reused from the previous build)"),
        "{first}"
    );
    // The static index answers like the native one, vectors included.
    let native = {
        let storage = scry_core::file_storage::FileStorage::open(&state).unwrap();
        futures::executor::block_on(scry_core::Engine::open(
            &storage,
            scry_core::EngineConfig::default(),
        ))
        .unwrap()
    };
    let web = load_static(&out);
    assert_eq!(web.len(), native.len());
    assert_eq!(web.vector_count(), native.vector_count());
    let q = vec![0.05f32; 384];
    let opts = scry_core::SearchOptions::top(5);
    assert_eq!(
        web.search("whole file", Some(&q), &opts).unwrap(),
        native.search("whole file", Some(&q), &opts).unwrap()
    );
    let meta_before = std::fs::read_to_string(out.join("scry.json")).unwrap();

    // One section changes: one passage is embedded again, the others come from the cache.
    std::fs::write(
        src.join("zlib.md"),
        "# Zlib\n\nCompress data with gzip, deflate and brotli.\n",
    )
    .unwrap();
    let second = index("rebuild");
    assert!(second.contains("embedded 1 passages"), "{second}");
    assert!(!second.contains("(0 reused"), "{second}");
    let web = load_static(&out);
    let hits = web
        .search("brotli", None, &scry_core::SearchOptions::top(1))
        .unwrap();
    assert_eq!(hits[0].id, "zlib#zlib");
    assert_ne!(
        meta_before,
        std::fs::read_to_string(out.join("scry.json")).unwrap()
    );

    // A folder that is not an index is never replaced.
    let precious = dir.join("precious");
    std::fs::create_dir_all(&precious).unwrap();
    std::fs::write(precious.join("keep.txt"), "mine").unwrap();
    let res = scry(&[
        "index",
        src.to_str().unwrap(),
        "--out",
        precious.to_str().unwrap(),
    ]);
    assert!(!res.status.success());
    assert!(String::from_utf8_lossy(&res.stderr).contains("[FOREIGN_FILES]"));
    assert_eq!(std::fs::read(precious.join("keep.txt")).unwrap(), b"mine");
    assert_eq!(std::fs::read_dir(&precious).unwrap().count(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}
