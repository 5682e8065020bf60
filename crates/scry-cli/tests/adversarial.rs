//! Hostile input for every `scry` subcommand. Each case asserts the exact outcome (exit status
//! and the `[CODE]` printed on stderr, or what a correct run produces) and, where it touches the
//! file system, that every file the user had is still there byte for byte.
//!
//! Every run has a deadline: a command that hangs (a FIFO read, a symlink loop) fails its case
//! instead of the whole suite.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest a single `scry` run may take (the slowest case needs well under a second).
const DEADLINE: Duration = Duration::from_secs(60);
const MODEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../models/cache/all-MiniLM-L6-v2-int8"
);

/// What a run of `scry` did.
#[derive(Debug)]
struct Run {
    status: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn ok(&self) -> &Self {
        assert_eq!(self.status, Some(0), "expected success:\n{}", self.stderr);
        self
    }

    /// Failed with `code` (exit status 1 for scry's errors, 2 for usage errors).
    fn fails(&self, code: &str) -> &Self {
        let status = if code == "INVALID_ARGUMENT" {
            [1, 2]
        } else {
            [1, 1]
        };
        assert!(
            self.status.is_some_and(|s| status.contains(&s)),
            "expected failure [{code}], got {:?}:\n{}",
            self.status,
            self.stderr
        );
        assert!(
            self.stderr.contains(&format!("[{code}]")),
            "expected [{code}] in stderr:\n{}",
            self.stderr
        );
        self
    }

    fn says(&self, text: &str) -> &Self {
        assert!(
            self.stderr.contains(text) || self.stdout.contains(text),
            "expected {text:?} in the output:\n{}\n{}",
            self.stderr,
            self.stdout
        );
        self
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", self.stdout, self.stderr))
    }
}

/// A scratch folder for one case (removed at the end when the case passed).
struct Case {
    dir: PathBuf,
}

impl Case {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("scry-adv-{}-{name}", std::process::id()));
        if dir.exists() {
            make_writable(&dir);
            std::fs::remove_dir_all(&dir).unwrap();
        }
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// Writes `bytes` at `rel`, creating folders.
    fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// A small documentation folder at `rel`.
    fn docs(&self, rel: &str) -> PathBuf {
        self.write(
            &format!("{rel}/fs.md"),
            "# File system\n\nRead files.\n\n## Watching\n\nWatch a folder for changes.\n",
        );
        self.write(
            &format!("{rel}/zlib.md"),
            "# Zlib\n\nCompress data with gzip.\n",
        );
        self.path(rel)
    }

    /// Runs `scry` in this folder (so a default state folder lands here).
    fn scry<S: AsRef<OsStr>>(&self, args: &[S]) -> Run {
        run_scry(&self.dir, args)
    }

    /// `scry index <src> --out <out>` plus `extra`, in this folder; the input folder is never
    /// changed (new files only where --out or --state are inside it).
    fn index(&self, src: &str, out: &str, extra: &[&str]) -> Run {
        let input = snapshot(&self.path(src));
        let mut args = vec!["index", src, "--out", out];
        args.extend_from_slice(extra);
        let run = self.scry(&args);
        assert_kept(&self.path(src), &input);
        run
    }

    /// `scry index docs --out out --state st --model MODEL --embedded <file>`: vectors given
    /// for the passages (the npm package's `scry` passes them so).
    fn index_embedded(&self, file: &Path) -> Run {
        let file = file.to_str().unwrap();
        self.index(
            "docs",
            "out",
            &["--state", "st", "--model", MODEL, "--embedded", file],
        )
    }

    /// `scry search <index> <query> --json` (text mode), in this folder.
    fn search(&self, index: &str, query: &str) -> Run {
        self.scry(&["search", index, query, "--json", "-k", "50"])
    }

    /// Ids found for `query`.
    fn ids(&self, index: &str, query: &str) -> Vec<String> {
        let run = self.search(index, query);
        run.ok();
        run.json()
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap().to_owned())
            .collect()
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            make_writable(&self.dir);
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn make_writable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for e in walkdir::WalkDir::new(dir).into_iter().flatten() {
        if e.file_type().is_dir() {
            let _ = std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(0o755));
        }
    }
}

/// Runs `scry` in `cwd` with a deadline, reading its output as it comes (a full pipe must not
/// stall it).
/// The command under test: this build's `scry`, or `SCRY_TEST_CLI`, the npm package's
/// `bin/scry.mjs`, which runs the CLI compiled for WASI in Node.js (`scripts/test.sh` runs
/// this suite both ways).
fn scry_command() -> std::ffi::OsString {
    std::env::var_os("SCRY_TEST_CLI").unwrap_or_else(|| env!("CARGO_BIN_EXE_scry").into())
}

/// Whether the command under test is the WASI build (`SCRY_TEST_CLI`).
fn wasi() -> bool {
    std::env::var_os("SCRY_TEST_CLI").is_some()
}

fn run_scry<S: AsRef<OsStr>>(cwd: &Path, args: &[S]) -> Run {
    let mut child = Command::new(scry_command())
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t0.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            let args: Vec<_> = args.iter().map(|a| a.as_ref().to_owned()).collect();
            panic!(
                "scry {args:?} ran past {DEADLINE:?}; stderr so far:\n{}",
                err.join().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Run {
        status: status.code(),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// Every file and folder under `dir` (relative paths): files with their bytes, folders and
/// links marked. Links are not followed.
fn snapshot(dir: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        // What this process cannot read (an unreadable folder's entries) is not compared.
        .flatten()
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let ft = e.file_type();
            let content = if ft.is_file() {
                std::fs::read(e.path()).ok()
            } else if ft.is_symlink() {
                Some(
                    std::fs::read_link(e.path())
                        .unwrap()
                        .into_os_string()
                        .into_encoded_bytes(),
                )
            } else {
                None
            };
            (rel, content)
        })
        .collect()
}

/// Every entry of `before` is still there with the same bytes.
fn assert_kept(dir: &Path, before: &BTreeMap<String, Option<Vec<u8>>>) {
    let now = snapshot(dir);
    for (rel, content) in before {
        match now.get(rel) {
            None => panic!("{rel} in {} is gone", dir.display()),
            Some(c) => assert!(c == content, "{rel} in {} changed", dir.display()),
        }
    }
}

/// `before` is exactly what is there (nothing written, nothing deleted).
fn assert_untouched(dir: &Path, before: &BTreeMap<String, Option<Vec<u8>>>) {
    let now = snapshot(dir);
    let added: Vec<_> = now.keys().filter(|k| !before.contains_key(*k)).collect();
    assert!(
        added.is_empty(),
        "written into {}: {added:?}",
        dir.display()
    );
    assert_kept(dir, before);
}

/// Files of a built static index (`scry.json` and its chunks).
fn chunk_files(out: &Path) -> Vec<String> {
    snapshot(out)
        .into_iter()
        .filter(|(k, v)| v.is_some() && k.ends_with(".bin"))
        .map(|(k, _)| k)
        .collect()
}

fn entry(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("scry.json")).unwrap()).unwrap()
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let st = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(st.success());
}

#[cfg(unix)]
fn symlink(target: impl AsRef<Path>, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// Whether this process can write into `dir` despite its permissions (root can).
fn can_write_into(dir: &Path) -> bool {
    let probe = dir.join(".probe");
    let ok = std::fs::write(&probe, b"").is_ok();
    let _ = std::fs::remove_file(probe);
    ok
}

// ---------------------------------------------------------------------------------------------
// index: output and state folders holding the user's files
// ---------------------------------------------------------------------------------------------

#[test]
fn index_refuses_an_out_folder_holding_user_files() {
    let c = Case::new("out-user-files");
    c.docs("docs");
    c.write("out/important.txt", "precious");
    c.write("out/manifest", "x");
    let before = snapshot(&c.path("out"));
    c.index("docs", "out", &[])
        .fails("FOREIGN_FILES")
        .says("important.txt")
        .says("manifest")
        .says("--force");
    assert_untouched(&c.path("out"), &before);
    assert!(!c.path(".scry-cache").exists(), "state written");
}

#[test]
fn index_refuses_a_user_scry_json_even_with_force() {
    let c = Case::new("out-user-entry");
    c.docs("docs");
    c.write("out/scry.json", "{\"mine\": true}\n");
    let before = snapshot(&c.path("out"));
    c.index("docs", "out", &[])
        .fails("FOREIGN_FILES")
        .says("scry.json");
    assert_untouched(&c.path("out"), &before);
    // A user's scry.json is never overwritten, whatever the flags.
    c.index("docs", "out", &["--force"])
        .fails("OUTPUT_CONFLICT")
        .says("scry.json");
    assert_untouched(&c.path("out"), &before);
    // Nor a scry.json-looking file with scry's keys but other values.
    c.write(
        "out/scry.json",
        "{\"format\": 1, \"meta\": \"../../etc/passwd\"}",
    );
    let before = snapshot(&c.path("out"));
    c.index("docs", "out", &["--force"])
        .fails("OUTPUT_CONFLICT");
    assert_untouched(&c.path("out"), &before);
}

#[test]
fn rebuild_keeps_user_files_beside_a_real_index() {
    let c = Case::new("out-beside");
    c.docs("docs");
    c.index("docs", "out", &[]).ok();
    let first = chunk_files(&c.path("out"));
    assert!(!first.is_empty());
    c.write("out/index.html", "<h1>my site</h1>");
    c.write("out/img/logo.png", [0x89, b'P', b'N', b'G', 0, 1, 2]);
    let user = snapshot(&c.path("out"));
    // Refused without --force, nothing written or deleted.
    c.write("docs/zlib.md", "# Zlib\n\nCompress data with brotli.\n");
    c.index("docs", "out", &[])
        .fails("FOREIGN_FILES")
        .says("index.html")
        .says("img");
    assert_untouched(&c.path("out"), &user);
    // With --force: the user's files stay, scry's stale chunks go (each one printed).
    let run = c.index("docs", "out", &["--force"]);
    run.ok();
    assert!(c.path("out/index.html").is_file());
    assert_eq!(
        std::fs::read(c.path("out/img/logo.png")).unwrap(),
        [0x89, b'P', b'N', b'G', 0, 1, 2]
    );
    let now = chunk_files(&c.path("out"));
    let gone: Vec<_> = first.iter().filter(|f| !now.contains(f)).collect();
    assert!(!gone.is_empty(), "the change rewrote no chunk");
    for f in gone {
        run.says(&format!("removed {f}"));
    }
    assert_eq!(c.ids("out", "brotli"), ["zlib#zlib"]);
    assert!(c.ids("out", "gzip").is_empty());
}

#[test]
fn a_foreign_file_inside_a_chunk_folder_is_kept() {
    let c = Case::new("out-foreign-in-post");
    c.docs("docs");
    c.index("docs", "out", &[]).ok();
    c.write("out/post/notes.txt", "mine");
    // Named like a chunk, with other bytes.
    c.write(
        "out/post/0123456789abcdef0123456789abcdef.bin",
        "not a chunk",
    );
    let before = snapshot(&c.path("out"));
    c.index("docs", "out", &[])
        .fails("FOREIGN_FILES")
        .says("post/notes.txt")
        .says("post/0123456789abcdef0123456789abcdef.bin");
    assert_untouched(&c.path("out"), &before);
    c.index("docs", "out", &["--force"]).ok();
    assert_kept(&c.path("out"), &before);
}

#[test]
fn a_foreign_file_where_scry_writes_a_chunk_is_never_overwritten() {
    let c = Case::new("out-chunk-taken");
    c.docs("docs");
    c.index("docs", "a", &[]).ok();
    let meta = entry(&c.path("a"))["meta"].as_str().unwrap().to_owned();
    // Another folder where the same build's meta file name holds the user's bytes.
    c.write(&format!("b/{meta}"), "the user's own file");
    let before = snapshot(&c.path("b"));
    c.index("docs", "b", &["--force"])
        .fails("OUTPUT_CONFLICT")
        .says(&meta);
    assert_untouched(&c.path("b"), &before);
    // A scry chunk in the wrong place (its name is not its content): also foreign.
    let other = chunk_files(&c.path("a"))
        .into_iter()
        .find(|f| f.starts_with("post/"))
        .unwrap();
    std::fs::remove_dir_all(c.path("b")).unwrap();
    c.write(
        &format!("b/{meta}"),
        std::fs::read(c.path("a").join(&other)).unwrap(),
    );
    let before = snapshot(&c.path("b"));
    c.index("docs", "b", &["--force"]).fails("OUTPUT_CONFLICT");
    assert_untouched(&c.path("b"), &before);
}

#[test]
fn a_chunk_folder_that_is_a_file_or_a_link_is_not_written_through() {
    let c = Case::new("out-dir-taken");
    c.docs("docs");
    c.write("out/meta", "a file named meta");
    let before = snapshot(&c.path("out"));
    c.index("docs", "out", &[]).fails("FOREIGN_FILES");
    c.index("docs", "out", &["--force"])
        .fails("OUTPUT_CONFLICT");
    assert_untouched(&c.path("out"), &before);
    // `post` linking to the user's folder elsewhere: nothing is written there.
    std::fs::remove_file(c.path("out/meta")).unwrap();
    c.write("elsewhere/keep.txt", "mine");
    symlink(c.path("elsewhere"), &c.path("out/post"));
    let out = snapshot(&c.path("out"));
    let elsewhere = snapshot(&c.path("elsewhere"));
    c.index("docs", "out", &["--force"])
        .fails("OUTPUT_CONFLICT");
    assert_untouched(&c.path("out"), &out);
    assert_untouched(&c.path("elsewhere"), &elsewhere);
    // A FIFO named scry.json: neither opened (that would hang) nor replaced, and not an index.
    std::fs::remove_file(c.path("out/post")).unwrap();
    mkfifo(&c.path("out/scry.json"));
    let out = snapshot(&c.path("out"));
    c.index("docs", "out", &[]).fails("FOREIGN_FILES");
    c.index("docs", "out", &["--force"])
        .fails("OUTPUT_CONFLICT");
    c.search("out", "watch").fails("NOT_AN_INDEX");
    assert_untouched(&c.path("out"), &out);
    std::fs::remove_file(c.path("out/scry.json")).unwrap();
    // A link named scry.json pointing at the user's file.
    symlink(c.path("elsewhere/keep.txt"), &c.path("out/scry.json"));
    let out = snapshot(&c.path("out"));
    c.index("docs", "out", &["--force"])
        .fails("OUTPUT_CONFLICT");
    assert_untouched(&c.path("out"), &out);
    assert_untouched(&c.path("elsewhere"), &elsewhere);
}

#[test]
fn the_state_folder_is_private_and_checked_like_out() {
    let c = Case::new("state");
    c.docs("docs");
    let run = c.index("docs", "out", &["--state", "st"]);
    run.ok().says("st");
    // The published folder holds only the static index; the state only scry's records.
    for (rel, _) in snapshot(&c.path("out")) {
        assert!(
            rel == "scry.json"
                || ["meta", "post", "docs", "vec"]
                    .iter()
                    .any(|d| rel == *d || rel.starts_with(&format!("{d}/"))),
            "{rel} published"
        );
    }
    assert!(c.path("st/manifest").is_file());
    assert!(!c.path("out/manifest").exists());
    // Both answer the same.
    assert_eq!(c.ids("out", "watch"), c.ids("st", "watch"));
    // A user's file in the state folder: refused, kept with --force.
    c.write("st/important.txt", "precious");
    let before = snapshot(&c.path("st"));
    c.index("docs", "out", &["--state", "st"])
        .fails("FOREIGN_FILES")
        .says("important.txt");
    assert_untouched(&c.path("st"), &before);
    c.index("docs", "out", &["--state", "st", "--force"]).ok();
    assert_kept(&c.path("st"), &before);
    // A user's `manifest` where scry must write one: never overwritten.
    std::fs::remove_dir_all(c.path("st2")).ok();
    c.write("st2/manifest", "my manifest");
    let before = snapshot(&c.path("st2"));
    c.index("docs", "out", &["--state", "st2"])
        .fails("FOREIGN_FILES");
    c.index("docs", "out", &["--state", "st2", "--force"])
        .fails("OUTPUT_CONFLICT")
        .says("manifest");
    assert_untouched(&c.path("st2"), &before);
}

#[test]
fn the_default_state_folder_is_named_after_out() {
    let c = Case::new("state-default");
    c.docs("docs");
    let run = c.index("docs", "site", &[]);
    run.ok().says(".scry-cache/site-");
    let states: Vec<_> = std::fs::read_dir(c.path(".scry-cache"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(states.len(), 1, "{states:?}");
    let name = &states[0];
    assert!(
        name.starts_with("site-") && name.len() == "site-".len() + 8,
        "{name}"
    );
    assert!(c.path(".scry-cache").join(name).join("manifest").is_file());
    // The same out folder, the same state (a rebuild finds its records).
    c.index("docs", "site", &[]).ok();
    assert_eq!(std::fs::read_dir(c.path(".scry-cache")).unwrap().count(), 1);
}

#[test]
fn an_out_folder_of_the_old_layout_is_refused_then_migrated_with_force() {
    let c = Case::new("out-legacy");
    c.docs("docs");
    c.index("docs", "out", &["--state", "st"]).ok();
    // What an older scry left: its state files beside the static index.
    for (rel, bytes) in snapshot(&c.path("st")) {
        if let Some(bytes) = bytes {
            c.write(&format!("out/{rel}"), bytes);
        }
    }
    assert!(c.path("out/manifest").is_file());
    std::fs::remove_dir_all(c.path("st")).unwrap();
    // That index may be a storage: 'file' index with documents added since: refused, nothing
    // changed, unless --force says to delete it.
    let before = snapshot(&c.path("out"));
    c.index("docs", "out", &["--state", "st"])
        .fails("INDEX_AT_RISK")
        .says("stored index");
    assert_untouched(&c.path("out"), &before);
    assert!(!c.path("st").exists());
    let run = c.index("docs", "out", &["--state", "st", "--force"]);
    run.ok().says("removed manifest");
    for gone in ["manifest", "seg", "docstore", "chunk"] {
        assert!(!c.path("out").join(gone).exists(), "{gone} left in out");
    }
    assert!(c.path("st/manifest").is_file());
    assert_eq!(c.ids("out", "gzip"), ["zlib#zlib"]);
}

#[test]
fn out_and_state_cannot_overlap_the_input_or_each_other() {
    let c = Case::new("overlap");
    c.docs("docs");
    let before = snapshot(&c.path("docs"));
    c.index("docs", "docs", &[]).fails("INVALID_ARGUMENT");
    c.index("docs", "docs", &["--force"])
        .fails("INVALID_ARGUMENT");
    c.index("docs", "out", &["--state", "out"])
        .fails("INVALID_ARGUMENT");
    c.index("docs", "out", &["--state", "out/st"])
        .fails("INVALID_ARGUMENT");
    c.index("docs", "st/out", &["--state", "st"])
        .fails("INVALID_ARGUMENT");
    c.index("docs", "out", &["--state", "docs"])
        .fails("INVALID_ARGUMENT");
    assert_untouched(&c.path("docs"), &before);
    assert!(!c.path("out").exists() && !c.path("st").exists());
}

#[test]
fn out_inside_the_input_folder_is_not_indexed() {
    let c = Case::new("out-inside-input");
    c.docs("docs");
    let before = snapshot(&c.path("docs"));
    c.index("docs", "docs/search", &[]).ok();
    c.write(
        "docs/search/README.md",
        "# Search\n\nhow the zebra index works",
    );
    let run = c.index("docs", "docs/search", &["--force"]);
    run.ok().says("read 3 sections");
    assert_kept(&c.path("docs"), &before);
    assert!(c.ids("docs/search", "zebra").is_empty());
}

#[test]
fn out_is_a_file() {
    let c = Case::new("out-file");
    c.docs("docs");
    c.write("out", "a file");
    c.index("docs", "out", &[]).fails("INVALID_ARGUMENT");
    c.index("docs", "out", &["--force"])
        .fails("INVALID_ARGUMENT");
    assert_eq!(std::fs::read(c.path("out")).unwrap(), b"a file");
    c.write("st", "another file");
    c.index("docs", "out2", &["--state", "st", "--force"])
        .fails("INVALID_ARGUMENT");
    assert_eq!(std::fs::read(c.path("st")).unwrap(), b"another file");
    assert!(!c.path("out2").exists());
    symlink("nowhere", &c.path("dangling"));
    c.index("docs", "dangling", &[]).fails("INVALID_ARGUMENT");
    assert!(!c.path("nowhere").exists());
}

#[test]
fn a_read_only_out_folder() {
    use std::os::unix::fs::PermissionsExt;
    let c = Case::new("out-read-only");
    c.docs("docs");
    c.index("docs", "out", &[]).ok();
    c.write("docs/zlib.md", "# Zlib\n\nnew text\n");
    let before = snapshot(&c.path("out"));
    for d in ["out", "out/meta", "out/post", "out/docs"] {
        std::fs::set_permissions(c.path(d), std::fs::Permissions::from_mode(0o555)).unwrap();
    }
    let run = c.index("docs", "out", &[]);
    if can_write_into(&c.path("out")) {
        println!("running as a user that can write a read-only folder (root): checking success");
        run.ok();
    } else {
        run.fails("IO_ERROR");
        assert_untouched(&c.path("out"), &before);
    }
}

#[test]
fn the_state_folder_of_a_live_writer_is_not_touched() {
    let c = Case::new("state-locked");
    c.docs("docs");
    c.index("docs", "out", &["--state", "st"]).ok();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    // This test process is alive: its lock holds.
    c.write(
        "st/.lock",
        format!(
            "{{\"pid\":{},\"host\":{:?},\"nonce\":\"t\"}}",
            std::process::id(),
            host.trim()
        ),
    );
    let before = snapshot(&c.path("st"));
    c.index("docs", "out", &["--state", "st"])
        .fails("STORAGE_LOCKED")
        .says(&format!("being written by process {}", std::process::id()));
    assert_untouched(&c.path("st"), &before);
    c.scry(&["repair", "st"]).fails("STORAGE_LOCKED");
}

// ---------------------------------------------------------------------------------------------
// index: --dump
// ---------------------------------------------------------------------------------------------

#[test]
fn dump_never_replaces_a_file_that_is_not_a_dump() {
    let c = Case::new("dump");
    c.docs("docs");
    c.write("notes.txt", "my notes");
    c.index("docs", "out", &["--dump", "notes.txt"])
        .fails("FOREIGN_FILES")
        .says("notes.txt");
    assert_eq!(std::fs::read(c.path("notes.txt")).unwrap(), b"my notes");
    assert!(!c.path("out").exists());
    // A previous dump is replaced.
    c.index("docs", "out", &["--dump", "docs.jsonl"]).ok();
    let first = std::fs::read_to_string(c.path("docs.jsonl")).unwrap();
    assert_eq!(first.lines().count(), 3);
    c.write("docs/more.md", "# More\n\nmore text");
    c.index("docs", "out", &["--dump", "docs.jsonl"]).ok();
    assert_eq!(
        std::fs::read_to_string(c.path("docs.jsonl"))
            .unwrap()
            .lines()
            .count(),
        4
    );
    // An empty file is a dump of nothing.
    c.write("empty.jsonl", "");
    c.index("docs", "out", &["--dump", "empty.jsonl"]).ok();
    // --force replaces anything.
    c.index("docs", "out", &["--dump", "notes.txt", "--force"])
        .ok();
    assert_eq!(
        std::fs::read_to_string(c.path("notes.txt"))
            .unwrap()
            .lines()
            .count(),
        4
    );
}

#[test]
fn dump_never_goes_into_out_or_state_or_onto_a_folder() {
    let c = Case::new("dump-inside");
    c.docs("docs");
    c.index("docs", "out", &["--dump", "out/docs.jsonl"])
        .fails("INVALID_ARGUMENT");
    c.index("docs", "out", &["--state", "st", "--dump", "st/d.jsonl"])
        .fails("INVALID_ARGUMENT");
    std::fs::create_dir_all(c.path("folder")).unwrap();
    c.index("docs", "out", &["--dump", "folder"])
        .fails("INVALID_ARGUMENT");
    assert!(!c.path("out").exists() && !c.path("st").exists());
}

// ---------------------------------------------------------------------------------------------
// index: links and special files in the input
// ---------------------------------------------------------------------------------------------

/// Sections read, from the summary line.
fn sections_read(run: &Run) -> usize {
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with("read "))
        .unwrap_or_else(|| panic!("no summary:\n{}", run.stderr));
    line["read ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn symlink_loops_do_not_hang_the_walk() {
    let c = Case::new("link-loops");
    c.docs("docs");
    symlink(".", &c.path("docs/x"));
    symlink(".", &c.path("docs/y"));
    let run = c.index("docs", "out", &[]);
    run.ok();
    assert_eq!(sections_read(&run), 3);
    if wasi() {
        // No file identities in WASI, so no loop detection: refused, nothing written.
        c.index("docs", "out", &["--follow-links"])
            .fails("INVALID_ARGUMENT")
            .says("native");
        return;
    }
    let run = c.index("docs", "out", &["--follow-links"]);
    run.ok().says("docs/x").says("loop");
    assert_eq!(sections_read(&run), 3);
    c.index("docs", "out", &["--follow-links", "--strict"])
        .fails("SKIPPED_INPUT");
}

#[test]
fn a_self_link_indexes_each_file_once() {
    let c = Case::new("link-self");
    c.docs("docs");
    symlink(".", &c.path("docs/self"));
    let run = c.index("docs", "out", &[]);
    run.ok();
    assert_eq!(sections_read(&run), 3);
    assert_eq!(c.ids("out", "gzip"), ["zlib#zlib"]);
}

#[test]
fn links_out_of_the_tree_are_followed_only_when_asked() {
    let c = Case::new("link-outside");
    c.docs("docs");
    c.write("outside/secret.md", "# Secret\n\nthe walrus password");
    symlink(c.path("outside"), &c.path("docs/dir"));
    symlink(c.path("outside/secret.md"), &c.path("docs/file.md"));
    let run = c.index("docs", "out", &[]);
    run.ok().says("docs/file.md");
    assert!(c.ids("out", "walrus").is_empty());
    c.index("docs", "out", &["--strict"]).fails("SKIPPED_INPUT");
    if wasi() {
        c.index("docs", "out", &["--follow-links"])
            .fails("INVALID_ARGUMENT");
        assert!(c.ids("out", "walrus").is_empty());
    } else {
        c.index("docs", "out", &["--follow-links"]).ok();
        assert_eq!(c.ids("out", "walrus"), ["dir/secret#secret", "file#secret"]);
    }
    // A link to a file inside the tree is read.
    std::fs::remove_file(c.path("docs/file.md")).unwrap();
    symlink("fs.md", &c.path("docs/alias.md"));
    c.index("docs", "out", &["--strict"]).ok();
    assert_eq!(c.ids("out", "watch").len(), 2);
}

#[test]
fn dangling_links_are_skipped_with_a_warning() {
    let c = Case::new("link-dangling");
    c.docs("docs");
    symlink("nowhere.md", &c.path("docs/gone.md"));
    symlink("nowhere", &c.path("docs/gone-dir"));
    c.index("docs", "out", &[]).ok().says("gone.md");
    if !wasi() {
        c.index("docs", "out", &["--follow-links"])
            .ok()
            .says("gone.md");
    }
    c.index("docs", "out", &["--strict"]).fails("SKIPPED_INPUT");
}

#[test]
fn special_files_are_skipped_not_read() {
    let c = Case::new("special");
    c.docs("docs");
    mkfifo(&c.path("docs/pipe.md"));
    let _sock = std::os::unix::net::UnixListener::bind(c.path("docs/sock.md")).unwrap();
    let run = c.index("docs", "out", &[]);
    run.ok().says("pipe.md").says("sock.md").says("2 skipped");
    assert_eq!(sections_read(&run), 3);
    c.index("docs", "out", &["--strict"]).fails("SKIPPED_INPUT");
    // A device behind a link (endless bytes) is not read either.
    symlink("/dev/zero", &c.path("docs/zero.md"));
    let follow: &[&str] = if wasi() { &[] } else { &["--follow-links"] };
    c.index("docs", "out", follow).ok().says("zero.md");
}

#[test]
fn unreadable_files_and_folders_are_skipped() {
    use std::os::unix::fs::PermissionsExt;
    let c = Case::new("unreadable");
    c.docs("docs");
    let f = c.write("docs/locked.md", "# Locked\n\nkeep out");
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o000)).unwrap();
    c.write("docs/closed/inner.md", "# Inner\n\nhidden");
    std::fs::set_permissions(
        c.path("docs/closed"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    let run = c.index("docs", "out", &[]);
    if std::fs::read(&f).is_ok() {
        println!("running as a user that reads anything (root): checking they are indexed");
        run.ok();
        assert_eq!(sections_read(&run), 5);
    } else {
        run.ok().says("locked.md").says("closed");
        assert_eq!(sections_read(&run), 3);
        c.index("docs", "out", &["--strict"]).fails("SKIPPED_INPUT");
    }
}

// ---------------------------------------------------------------------------------------------
// index: file contents
// ---------------------------------------------------------------------------------------------

#[test]
fn a_file_over_the_size_limit_is_skipped_with_a_warning() {
    let c = Case::new("big-file");
    c.docs("docs");
    let big = "word ".repeat(scry_core::document::MAX_TEXT_BYTES / 5 + 10);
    c.write("docs/big.txt", &big);
    let run = c.index("docs", "out", &[]);
    run.ok().says("big.txt").says("1 skipped");
    assert_eq!(c.ids("out", "gzip"), ["zlib#zlib"]);
    c.index("docs", "out", &["--strict"])
        .fails("SKIPPED_INPUT")
        .says("big.txt");
}

#[test]
fn an_invalid_section_is_skipped_not_fatal() {
    let c = Case::new("bad-section");
    c.docs("docs");
    // A heading whose anchor makes an id over 1,024 bytes.
    c.write(
        "docs/long.md",
        format!("# {}\n\nbody\n\n# Short\n\nthe okapi", "h".repeat(5000)),
    );
    let run = c.index("docs", "out", &[]);
    run.ok().says("long").says("1 skipped");
    assert_eq!(c.ids("out", "okapi"), ["long#short"]);
    c.index("docs", "out", &["--strict"]).fails("SKIPPED_INPUT");
    // Two files that make the same page id: the second is skipped.
    c.write(
        "docs/fs.html",
        "<h1 id=\"file-system\">Other</h1><p>the quokka</p>",
    );
    let run = c.index("docs", "out", &[]);
    run.ok().says("fs#file-system");
}

#[test]
fn hostile_html_is_read_in_linear_time_or_skipped_with_its_reason() {
    let c = Case::new("hostile-html");
    c.docs("docs");
    // 200,000 nested elements (the HTML parser's scope checks would cost the square of that),
    // unclosed tags, stray end tags, a page of nested field attributes: the nested page is
    // skipped with its reason, the others are read, nothing fails.
    c.write(
        "docs/deep.html",
        format!(
            "{}the narwhal{}",
            "<div>".repeat(200_000),
            "</div>".repeat(200_000)
        ),
    );
    c.write(
        "docs/broken.html",
        "<h1 id=b>Broken<p>the quokka</b></i><table><td>cell<h2>x & y <",
    );
    c.write(
        "docs/fields.html",
        format!(
            "<main><h1 id=f>Fields</h1>{}the pangolin{}</main>",
            r#"<span data-scry-meta="m" data-scry-filter="f">"#.repeat(1000),
            "</span>".repeat(1000)
        ),
    );
    let run = c.index("docs", "out", &[]);
    run.ok()
        .says("deep.html")
        .says("nest more than")
        .says("1 skipped");
    assert!(c.ids("out", "narwhal").is_empty());
    assert_eq!(c.ids("out", "quokka"), ["broken#b"]);
    assert_eq!(c.ids("out", "pangolin"), ["fields#f"]);
    c.index("docs", "out", &["--strict"])
        .fails("SKIPPED_INPUT")
        .says("deep.html");
}

#[test]
fn the_language_of_an_index_is_checked_and_kept_by_its_static_index() {
    let c = Case::new("language");
    c.write("de/kinder.md", "# Kinder\n\nDie Kinder spielen im Hof.\n");
    c.write("de/garten.md", "# Garten\n\nDer Garten ist groß.\n");
    c.index("de", "out", &["--language", "klingon"])
        .fails("INVALID_ARGUMENT")
        .says("german");
    assert!(!c.path("out").exists());
    // German stemming: the query's "Kind" is the index's "Kinder" (not the last word, and
    // too short for a typo, so only the stemmer can match it); the static index keeps the
    // analyzer, and its searches use it.
    c.index(
        "de",
        "out",
        &["--language", "german", "--stop-words", "der,die,im"],
    )
    .ok();
    let mut german = c.ids("out", "Kind Garten");
    german.sort();
    assert_eq!(german, ["garten#garten", "kinder#kinder"]);
    c.index("de", "english", &[]).ok();
    assert_eq!(c.ids("english", "Kind Garten"), ["garten#garten"]);
    c.index("de", "plain", &["--language", "none"]).ok();
    assert_eq!(c.ids("plain", "Kind Garten"), ["garten#garten"]);
    // Without --language, the language the pages declare (`<html lang>`, front matter `lang`):
    // German here, with a warning for the one page in another language.
    c.write(
        "auto/kinder.html",
        "<html lang=de-CH><body><main><h1 id=k>Kinder</h1><p>Die Kinder spielen.</p></main>",
    );
    c.write(
        "auto/garten.md",
        "---\nlang: de\n---\n# Garten\n\nDer Garten.\n",
    );
    c.write(
        "auto/about.html",
        "<html lang=en><body><main><h1 id=a>About</h1><p>The gardens.</p></main>",
    );
    c.index("auto", "auto-out", &[])
        .ok()
        .says("language: german, from the pages' lang (de: 2 pages")
        .says("2 languages");
    let mut found = c.ids("auto-out", "Kind Garten");
    found.sort();
    assert_eq!(found, ["garten#garten", "kinder#k"]);
}

#[test]
fn odd_bytes_are_indexed_lossily() {
    let c = Case::new("odd-bytes");
    c.docs("docs");
    c.write("docs/empty.md", "");
    c.write(
        "docs/latin1.txt",
        b"caf\xe9 cr\xe8me br\xfbl\xe9e gazpacho".as_slice(),
    );
    c.write(
        "docs/nul.md",
        b"# Nul\n\nbefore\0after narwhal\0".as_slice(),
    );
    // CESU-8 / lone surrogate encodings are not UTF-8.
    c.write(
        "docs/surrogate.md",
        b"# S \xed\xa0\x80 x\n\nlone \xed\xb0\x80 pangolin".as_slice(),
    );
    let mut binary: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    binary.extend_from_slice(b" axolotl ");
    c.write("docs/binary.md", &binary);
    c.write("docs/\u{fffd}-name-\u{1F600}.md", "# Emoji\n\nthe capybara");
    let run = c.index("docs", "out", &["--strict"]);
    run.ok();
    for (q, id) in [
        ("gazpacho", "latin1"),
        ("narwhal", "nul#nul"),
        ("pangolin", "surrogate#s-x"),
        ("capybara", "\u{fffd}-name-\u{1F600}#emoji"),
    ] {
        assert_eq!(c.ids("out", q), [id], "{q}");
    }
    assert_eq!(c.ids("out", "axolotl").len(), 1);
}

#[test]
fn a_huge_heading_and_a_deep_tree() {
    let c = Case::new("huge-heading");
    c.docs("docs");
    // Under the id limit but long.
    c.write(
        "docs/h.md",
        format!("# {}\n\nthe tapir\n", "word ".repeat(150)),
    );
    let mut deep = String::from("docs");
    for i in 0..40 {
        deep.push_str(&format!("/d{i}"));
    }
    c.write(&format!("{deep}/leaf.md"), "# Leaf\n\nthe ocelot");
    c.index("docs", "out", &["--strict"]).ok();
    assert_eq!(c.ids("out", "tapir").len(), 1);
    assert_eq!(c.ids("out", "ocelot").len(), 1);
}

#[test]
fn an_empty_input_folder_and_missing_paths() {
    let c = Case::new("empty-input");
    std::fs::create_dir_all(c.path("empty")).unwrap();
    c.index("empty", "out", &[]).ok().says("read 0 sections");
    assert!(c.path("out/scry.json").is_file());
    c.search("out", "anything").ok();
    assert_eq!(c.search("out", "anything").json(), serde_json::json!([]));
    c.index("missing", "out2", &[]).fails("IO_ERROR");
    assert!(!c.path("out2").exists());
    c.write("file.md", "# A file\n");
    c.index("file.md", "out3", &[]).fails("INVALID_ARGUMENT");
    assert!(!c.path("out3").exists());
    // Hidden files and folders are not indexed.
    c.write("empty/.hidden.md", "# Hidden\n\nsecret");
    c.write("empty/.git/notes.md", "# Git\n\nsecret");
    c.index("empty", "out", &[]).ok().says("read 0 sections");
}

// ---------------------------------------------------------------------------------------------
// search, eval, suggest, repair: damaged index folders
// ---------------------------------------------------------------------------------------------

/// A case with `docs` built into `out` (static) and `st` (state).
fn built(name: &str) -> Case {
    let c = Case::new(name);
    c.docs("docs");
    c.index("docs", "out", &["--state", "st"]).ok();
    c
}

fn first_under(dir: &Path, prefix: &str) -> PathBuf {
    snapshot(dir)
        .into_iter()
        .find(|(k, v)| v.is_some() && k.starts_with(prefix))
        .map(|(k, _)| dir.join(k))
        .unwrap_or_else(|| panic!("nothing under {prefix} in {}", dir.display()))
}

fn truncate(path: &Path, by: usize) {
    let b = std::fs::read(path).unwrap();
    std::fs::write(path, &b[..b.len().saturating_sub(by)]).unwrap();
}

fn flip(path: &Path, at: usize) {
    let mut b = std::fs::read(path).unwrap();
    let i = at.min(b.len() - 1);
    b[i] ^= 0x55;
    std::fs::write(path, b).unwrap();
}

#[test]
fn search_opens_the_published_folder_and_the_state() {
    let c = built("open-both");
    assert_eq!(c.ids("out", "watch"), ["fs#watching"]);
    assert_eq!(c.ids("st", "watch"), ["fs#watching"]);
    let q = c.write(
        "q.jsonl",
        "{\"query\": \"watch\", \"relevant\": [\"fs#watching\"]}\n",
    );
    for index in ["out", "st"] {
        let run = c.scry(&["eval", index, q.to_str().unwrap()]);
        run.ok();
        let m: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(m["mrr@10"], 1.0, "{index}");
        c.scry(&["suggest", index, "file", "--json"]).ok();
        c.scry(&["bench", "text", index, q.to_str().unwrap(), "--repeat", "1"])
            .ok();
    }
}

#[test]
fn a_damaged_manifest_is_corrupt_data_everywhere() {
    let c = built("bad-manifest");
    let m = c.path("st/manifest");
    let good = std::fs::read(&m).unwrap();
    for (what, bytes) in [
        ("truncated", good[..good.len() / 2].to_vec()),
        ("garbled", {
            let mut b = good.clone();
            b[20] ^= 0xff;
            b
        }),
        ("empty", Vec::new()),
        ("text", b"not a manifest".to_vec()),
    ] {
        std::fs::write(&m, &bytes).unwrap();
        c.search("st", "watch").fails("CORRUPT_DATA");
        c.scry(&["suggest", "st", "watch"]).fails("CORRUPT_DATA");
        // Not a manifest scry can verify: a rebuild into the folder refuses it, with --force
        // too (scry must write a manifest there).
        let before = snapshot(&c.path("st"));
        c.index("docs", "out", &["--state", "st"])
            .fails("FOREIGN_FILES")
            .says("manifest");
        c.index("docs", "out", &["--state", "st", "--force"])
            .fails("OUTPUT_CONFLICT")
            .says("manifest");
        assert_untouched(&c.path("st"), &before);
        // Repair restores it exactly from the backup each commit writes beside it, and says
        // so.
        assert!(c.path("st/manifest.bak").is_file());
        c.scry(&["repair", "st"])
            .ok()
            .says("restored from its backup");
        assert_eq!(c.ids("st", "watch"), ["fs#watching"], "{what}");
        c.scry(&["repair", "st"]).ok().says("intact");
    }
}

#[test]
fn a_missing_manifest_is_reported_never_rebuilt_over() {
    // Issue 24, defect 2 through the CLI: the records of an index without its manifest.
    let c = built("lost-manifest");
    std::fs::remove_file(c.path("st/manifest")).unwrap();
    let before = snapshot(&c.path("st"));
    c.search("st", "watch")
        .fails("CORRUPT_DATA")
        .says("manifest");
    // A rebuild would delete the records as stale: refused unless --force.
    c.index("docs", "out", &["--state", "st"])
        .fails("INDEX_AT_RISK")
        .says("manifest is missing");
    assert_untouched(&c.path("st"), &before);
    c.scry(&["repair", "st"])
        .ok()
        .says("restored from its backup");
    assert_eq!(c.ids("st", "watch"), ["fs#watching"]);
    // Both gone: rebuilt from the documents store.
    std::fs::remove_file(c.path("st/manifest")).unwrap();
    std::fs::remove_file(c.path("st/manifest.bak")).unwrap();
    c.search("st", "watch").fails("CORRUPT_DATA");
    c.scry(&["repair", "st"])
        .ok()
        .says("rebuilt from the documents store");
    assert_eq!(c.ids("st", "watch"), ["fs#watching"]);
}

#[test]
fn a_missing_or_damaged_segment_record() {
    let c = built("bad-segment");
    let seg = first_under(&c.path("st"), "seg/");
    let bytes = std::fs::read(&seg).unwrap();
    std::fs::remove_file(&seg).unwrap();
    c.search("st", "watch").fails("CORRUPT_DATA");
    // Rebuilt from the documents store.
    c.scry(&["repair", "st"]).ok().says("rebuilt 1 segment");
    assert_eq!(c.ids("st", "watch"), ["fs#watching"]);
    c.scry(&["repair", "st"]).ok().says("intact");
    let _ = bytes;
    // A damaged chunk of a stored segment.
    let chunk = first_under(&c.path("st"), "chunk/post/");
    flip(&chunk, 30);
    c.search("st", "watch").fails("CORRUPT_DATA");
    c.scry(&["repair", "st"]).ok().says("rebuilt 1 segment");
    assert_eq!(c.ids("st", "watch"), ["fs#watching"]);
}

#[test]
fn a_damaged_static_index_is_corrupt_data() {
    let c = built("bad-static");
    let chunk = first_under(&c.path("out"), "post/");
    let good = std::fs::read(&chunk).unwrap();
    flip(&chunk, 25);
    c.search("out", "watch").fails("CORRUPT_DATA");
    truncate(&chunk, 3);
    c.search("out", "watch").fails("CORRUPT_DATA");
    std::fs::remove_file(&chunk).unwrap();
    c.search("out", "watch").fails("CORRUPT_DATA");
    std::fs::write(&chunk, &good).unwrap();
    let meta = c
        .path("out")
        .join(entry(&c.path("out"))["meta"].as_str().unwrap());
    flip(&meta, 40);
    c.search("out", "watch").fails("CORRUPT_DATA");
    c.scry(&["repair", "out"]).fails("STATIC_INDEX");
}

#[test]
fn tampered_scry_json_numbers_are_rejected() {
    let c = built("tampered-entry");
    let path = c.path("out/scry.json");
    let good = entry(&c.path("out"));
    let cases: Vec<(&str, serde_json::Value, &str)> = vec![
        ("documents", serde_json::json!(1e308), "CORRUPT_DATA"),
        ("documents", serde_json::json!(-5), "CORRUPT_DATA"),
        ("documents", serde_json::json!(99), "CORRUPT_DATA"),
        ("documents", serde_json::json!("3"), "CORRUPT_DATA"),
        ("documents", serde_json::Value::Null, "CORRUPT_DATA"),
        ("vectors", serde_json::json!(7), "CORRUPT_DATA"),
        ("bytes", serde_json::json!(1), "CORRUPT_DATA"),
        ("bytes", serde_json::json!(1.5), "CORRUPT_DATA"),
        ("dims", serde_json::json!(384), "CORRUPT_DATA"),
        ("model", serde_json::json!("other-model"), "CORRUPT_DATA"),
        (
            "chunks",
            serde_json::json!({"post": {"files": 1e9, "bytes": 0}}),
            "CORRUPT_DATA",
        ),
        ("format", serde_json::json!(99), "UNSUPPORTED_VERSION"),
        ("format", serde_json::json!(-1), "CORRUPT_DATA"),
        (
            "meta",
            serde_json::json!("../../../etc/passwd"),
            "CORRUPT_DATA",
        ),
        (
            "meta",
            serde_json::json!("meta/0123456789abcdef0123456789abcdef.bin"),
            "CORRUPT_DATA",
        ),
        ("meta", serde_json::json!(7), "CORRUPT_DATA"),
    ];
    for (key, value, code) in cases {
        let mut e = good.clone();
        e[key] = value.clone();
        std::fs::write(&path, serde_json::to_vec(&e).unwrap()).unwrap();
        let run = c.search("out", "watch");
        assert!(
            run.stderr.contains(&format!("[{code}]")) && run.status == Some(1),
            "{key} = {value}: {:?} {}",
            run.status,
            run.stderr
        );
    }
    for text in ["", "{", "[]", "null", "{\"format\": 1}"] {
        std::fs::write(&path, text).unwrap();
        c.search("out", "watch").fails("CORRUPT_DATA");
    }
    std::fs::write(&path, serde_json::to_vec(&good).unwrap()).unwrap();
    assert_eq!(c.ids("out", "watch"), ["fs#watching"]);
}

#[test]
fn paths_that_are_not_indexes() {
    let c = Case::new("not-index");
    std::fs::create_dir_all(c.path("empty")).unwrap();
    c.write("docs/a.md", "# A");
    for cmd in ["search", "suggest"] {
        c.scry(&[cmd, "missing", "q"]).fails("IO_ERROR");
        c.scry(&[cmd, "empty", "q"]).fails("NOT_AN_INDEX");
        c.scry(&[cmd, "docs", "q"]).fails("NOT_AN_INDEX");
    }
    c.scry(&["repair", "missing"]).fails("IO_ERROR");
    c.scry(&["repair", "empty"]).fails("NOT_AN_INDEX");
    let q = c.write("q.jsonl", "");
    c.scry(&["eval", "empty", q.to_str().unwrap()])
        .fails("NOT_AN_INDEX");
    c.scry(&["bench", "text", "empty", q.to_str().unwrap()])
        .fails("NOT_AN_INDEX");
    c.write("bad.json", "{\"documents\": 7}");
    c.search("bad.json", "q").fails("INVALID_INPUT_FILE");
    c.write("bad.jsonl", "{\"id\": \"a\", \"title\": \"A\"}\nnot json\n");
    c.search("bad.jsonl", "q").fails("INVALID_INPUT_FILE");
    c.write(
        "dup.json",
        "{\"documents\": [{\"id\": \"a\", \"title\": \"A\"}, {\"id\": \"a\", \"title\": \"B\"}]}",
    );
    c.search("dup.json", "a").fails("DUPLICATE_ID");
}

// ---------------------------------------------------------------------------------------------
// search, suggest, eval: hostile queries and parameters
// ---------------------------------------------------------------------------------------------

#[test]
fn hostile_queries() {
    let c = built("queries");
    let huge = "stream ".repeat(1000);
    for index in ["out", "st"] {
        for cmd in ["search", "suggest"] {
            c.scry(&[cmd, index, ""]).fails("INVALID_QUERY");
            c.scry(&[cmd, index, " \t\n "]).fails("INVALID_QUERY");
            c.scry(&[cmd, index, &huge]).fails("INVALID_QUERY");
        }
        // Control characters and lone punctuation find nothing, and say so as valid JSON.
        for q in ["\u{1}\u{7}\u{1b}[2J", "!!!", "\u{feff}", "\u{fffd}"] {
            assert_eq!(
                c.search(index, q).ok().json(),
                serde_json::json!([]),
                "{q:?}"
            );
        }
        // A query that looks like a flag: a usage error, or a query after `--`.
        c.scry(&["search", index, "--watch"])
            .fails("INVALID_ARGUMENT");
        c.scry(&["search", index, "--", "-k"]).ok();
    }
}

#[test]
fn hostile_k_and_counts() {
    let c = built("k");
    for index in ["out", "st"] {
        c.scry(&["search", index, "watch", "-k", "0"])
            .fails("INVALID_PARAMETER");
        c.scry(&["search", index, "watch", "-k", "1001"])
            .fails("INVALID_PARAMETER");
        for bad in ["-1", "NaN", "1e3", "99999999999999999999999", ""] {
            let run = c.scry(&["search", index, "watch", "-k", bad]);
            assert_eq!(run.status, Some(2), "k = {bad:?}");
            assert!(run.stderr.contains("[INVALID_ARGUMENT]"), "{}", run.stderr);
        }
        c.scry(&["search", index, "watch", "-k", "1000"]).ok();
        c.scry(&["suggest", index, "watch", "--top-n", "0"])
            .fails("INVALID_PARAMETER");
        c.scry(&["suggest", index, "watch", "--top-n", "100000"])
            .fails("INVALID_PARAMETER");
        let q = c.write(
            "q.jsonl",
            "{\"query\": \"watch\", \"relevant\": [\"fs#watching\"]}\n",
        );
        c.scry(&["eval", index, q.to_str().unwrap(), "-k", "0"])
            .fails("INVALID_PARAMETER");
        let run = c.scry(&["eval", index, q.to_str().unwrap(), "-k", "-3"]);
        assert_eq!(run.status, Some(2));
        run.fails("INVALID_ARGUMENT");
    }
    // Vector modes without a model.
    c.scry(&["search", "st", "watch", "--mode", "vector"])
        .fails("INVALID_QUERY");
}

#[test]
fn malformed_eval_lines() {
    let c = built("eval-lines");
    let eval = |text: &str| {
        let q = c.write("q.jsonl", text);
        c.scry(&["eval", "st", q.to_str().unwrap()])
    };
    eval("{\"query\": \"watch\", \"relevant\": [\"fs#watching\"]}\nnot json\n")
        .fails("INVALID_INPUT_FILE")
        .says("q.jsonl:2");
    eval("{\"query\": \"watch\"}\n").fails("INVALID_INPUT_FILE");
    eval("{\"query\": 7, \"relevant\": []}\n").fails("INVALID_INPUT_FILE");
    eval("[1, 2]\n").fails("INVALID_INPUT_FILE");
    eval("{\"query\": \"\", \"relevant\": []}\n").fails("INVALID_QUERY");
    let q = c.write("bin.jsonl", b"\xff\xfe{\"query\"}".as_slice());
    c.scry(&["eval", "st", q.to_str().unwrap()])
        .fails("INVALID_INPUT_FILE");
    // Nothing to measure: zero queries, not a division by zero.
    let run = eval("\n\n   \n");
    run.ok();
    assert_eq!(run.json()["queries"], 0);
    assert_eq!(run.json()["ndcg@10"], 0.0);
    // A byte-order mark and Windows line ends are read.
    let run = eval("\u{feff}{\"query\": \"watch\", \"relevant\": [\"fs#watching\"]}\r\n");
    run.ok();
    assert_eq!(run.json()["mrr@10"], 1.0);
    c.scry(&["eval", "st", "missing.jsonl"]).fails("IO_ERROR");
}

#[test]
fn config_out_of_range() {
    let c = built("config");
    let q = c.write(
        "q.jsonl",
        "{\"query\": \"watch\", \"relevant\": [\"fs#watching\"]}\n",
    );
    let eval = |config: &str| c.scry(&["eval", "st", q.to_str().unwrap(), "--config", config]);
    eval("{\"bm25\": {\"k1\": -1}}").fails("INVALID_PARAMETER");
    eval("{\"bm25\": {\"b\": 2}}").fails("INVALID_PARAMETER");
    eval("{\"limits\": {\"snippetWords\": 0}}").fails("INVALID_PARAMETER");
    eval("{\"hybrid\": {\"fusion\": \"nope\"}}").fails("INVALID_ARGUMENT");
    eval("{\"bm25\": {\"k1\": 1e999}}").fails("INVALID_ARGUMENT");
    eval("{\"bm25\": {\"k1\": \"big\"}}").fails("INVALID_ARGUMENT");
    eval("not json").fails("INVALID_ARGUMENT");
    eval("[]").fails("INVALID_ARGUMENT");
    eval("null").fails("INVALID_ARGUMENT");
    // A misspelt setting is refused, not silently ignored.
    eval("{\"bm25\": {\"k\": 0.9}}")
        .fails("INVALID_ARGUMENT")
        .says(".bm25.k");
    eval("{\"nope\": 1}").fails("INVALID_ARGUMENT");
    eval("{\"bm25\": {\"k1\": 0.9}}").ok();
    eval("{\"hybrid\": {\"fusion\": \"rrf\"}}").ok();
    eval("{}").ok();
}

#[test]
fn eval_suggest_and_bench_with_hostile_files() {
    let c = built("eval-suggest");
    let cases = |text: &str| c.write("cases.jsonl", text);
    let p = cases("{\"query\": \"watch\"\n");
    c.scry(&["eval-suggest", "st", p.to_str().unwrap()])
        .fails("INVALID_INPUT_FILE")
        .says("cases.jsonl:1");
    let p = cases("");
    let run = c.scry(&["eval-suggest", "st", p.to_str().unwrap(), "--json"]);
    run.ok();
    assert_eq!(run.json()["queries"], 0);
    let p = cases(
        "{\"query\": \"watch\", \"groups\": [{\"name\": \"g\", \"prefixes\": [\"fs\"], \"reference\": \"watch folder\"}]}\n",
    );
    c.scry(&["eval-suggest", "st", p.to_str().unwrap(), "--top-n", "0"])
        .fails("INVALID_PARAMETER");
    c.scry(&[
        "eval-suggest",
        "st",
        p.to_str().unwrap(),
        "--max-clusters",
        "0",
    ])
    .fails("INVALID_PARAMETER");
    c.scry(&["eval-suggest", "out", p.to_str().unwrap()]).ok();
    c.scry(&["eval-suggest", "st", "missing.jsonl"])
        .fails("IO_ERROR");
    // bench text: a malformed query line is an error, not silently dropped.
    let q = c.write("bq.jsonl", "{\"query\": \"watch\"}\nnot json\n");
    c.scry(&["bench", "text", "st", q.to_str().unwrap()])
        .fails("INVALID_INPUT_FILE")
        .says("bq.jsonl:2");
    let q = c.write("bq.jsonl", "{\"query\": \"\"}\n");
    c.scry(&["bench", "text", "st", q.to_str().unwrap()])
        .fails("INVALID_QUERY");
    let q = c.write("bq.jsonl", "{\"query\": \"watch\"}\n");
    let run = c.scry(&["bench", "text", "out", q.to_str().unwrap(), "--repeat", "0"]);
    run.ok();
    assert_eq!(run.json()["queries"], 0);
}

#[test]
fn vector_search_on_a_published_folder_with_the_model() {
    let c = Case::new("model");
    c.docs("docs");
    c.index(
        "docs",
        "out",
        &["--state", "st", "--model", MODEL, "--threads", "1"],
    )
    .ok();
    assert_eq!(entry(&c.path("out"))["dims"], 384);
    assert!(c.path("st/embeddings.cache").is_file());
    for index in ["out", "st"] {
        let run = c.scry(&[
            "search",
            index,
            "compression",
            "--mode",
            "hybrid",
            "--model",
            MODEL,
            "--json",
        ]);
        assert_eq!(run.ok().json()[0]["id"], "zlib#zlib", "{index}");
    }
    // A user's file named embeddings.cache where scry writes its cache: never overwritten.
    c.write("st2/embeddings.cache", "mine");
    let before = snapshot(&c.path("st2"));
    c.index(
        "docs",
        "out",
        &["--state", "st2", "--model", MODEL, "--force"],
    )
    .fails("OUTPUT_CONFLICT");
    assert_untouched(&c.path("st2"), &before);
}

/// The hidden options the npm package's `scry` command uses (it embeds on Node.js threads).
#[test]
fn an_embedding_plan_and_vectors_from_elsewhere() {
    let c = Case::new("embed-plan");
    c.docs("docs");
    let plan = c.path("plan.jsonl");
    let plan_arg = plan.to_str().unwrap();
    // The plan lists every passage, then the run stops: nothing published, no state.
    c.index(
        "docs",
        "out",
        &["--state", "st", "--model", MODEL, "--embed-plan", plan_arg],
    )
    .ok();
    let passages: Vec<String> = std::fs::read_to_string(&plan)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(passages.len(), 3, "{passages:?}");
    assert!(!c.path("out").exists() && !c.path("st").exists());
    // A plan never replaces a file.
    let before = snapshot(&c.dir);
    c.index(
        "docs",
        "out",
        &["--state", "st", "--model", MODEL, "--embed-plan", plan_arg],
    )
    .fails("IO_ERROR");
    assert_untouched(&c.dir, &before);
    // Without --model it is a usage error.
    c.index(
        "docs",
        "out",
        &["--embed-plan", c.path("p2").to_str().unwrap()],
    )
    .fails("INVALID_ARGUMENT");
    // Vectors of the wrong length, a non-number, an unknown field, a line that is not JSON.
    let text = serde_json::to_string(&passages[0]).unwrap();
    for (name, line) in [
        (
            "short",
            format!("{{\"text\": {text}, \"vector\": [0.5, 0.5]}}"),
        ),
        ("string", format!("{{\"text\": {text}, \"vector\": \"x\"}}")),
        (
            "extra",
            format!("{{\"text\": {text}, \"vector\": [], \"id\": 1}}"),
        ),
        ("garbage", "{\"text\":".to_owned()),
    ] {
        let bad = c.write(&format!("{name}.jsonl"), format!("{line}\n"));
        c.index_embedded(&bad).fails("INVALID_INPUT_FILE");
        assert!(!c.path("out").exists(), "{name}");
    }
    // Vectors given for every passage: none is embedded here, and they are what is indexed
    // (and cached for the next build).
    let mut lines = String::new();
    for (i, p) in passages.iter().enumerate() {
        let mut v = vec![0.0f32; 384];
        v[i] = 1.0;
        lines.push_str(&serde_json::json!({ "text": p, "vector": v }).to_string());
        lines.push('\n');
    }
    let given = c.write("given.jsonl", lines);
    c.index_embedded(&given)
        .ok()
        .says("embedded 0 passages")
        .says("(3 reused");
    assert_eq!(entry(&c.path("out"))["dims"], 384);
    assert!(c.path("st/embeddings.cache").is_file());
}

/// A graph's build is deterministic: an unchanged rebuild publishes the same files, so
/// visitors keep what they cached (before, each rebuild renamed the vector chunk).
#[test]
fn an_unchanged_rebuild_with_a_graph_writes_nothing() {
    let c = Case::new("graph-rebuild");
    // More passages than the default graph threshold (4,096), with vectors given as numbers.
    let mut md = String::new();
    for i in 0..4120 {
        md.push_str(&format!(
            "## Part {i}\n\nNotes on item {i}, kind {}.\n\n",
            i % 97
        ));
    }
    c.write("docs/big.md", md);
    let plan = c.path("plan.jsonl");
    let args = ["--state", "st", "--model", MODEL];
    let mut first = args.to_vec();
    first.extend(["--embed-plan", plan.to_str().unwrap()]);
    c.index("docs", "out", &first).ok();
    let mut state = 7_u64;
    let mut lines = String::new();
    for line in std::fs::read_to_string(&plan).unwrap().lines() {
        let text: String = serde_json::from_str(line).unwrap();
        let mut v: Vec<f32> = (0..384)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                ((state >> 40) as f32 / (1u64 << 24) as f32) - 0.5
            })
            .collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter_mut().for_each(|x| *x /= norm);
        lines.push_str(&serde_json::json!({ "text": text, "vector": v }).to_string());
        lines.push('\n');
    }
    let given = c.write("given.jsonl", lines);
    c.index_embedded(&given).ok();
    let before = snapshot(&c.path("out"));
    assert!(
        before.keys().any(|k| k.starts_with("vec/")),
        "{:?}",
        before.keys()
    );
    // Rebuilt from the state's embedding cache: nothing written, nothing removed.
    c.index("docs", "out", &args)
        .ok()
        .says("(0 written, 0 stale removed");
    assert_untouched(&c.path("out"), &before);
}

#[test]
fn the_state_folder_after_a_crash() {
    let c = built("state-crash");
    // A lock left by a process that is gone is taken over.
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    c.write(
        "st/.lock",
        format!(
            "{{\"pid\":4000000000,\"host\":{:?},\"nonce\":\"x\"}}",
            host.trim()
        ),
    );
    c.index("docs", "out", &["--state", "st"]).ok();
    assert!(!c.path("st/.lock").exists(), "the lock was not released");
    // An interrupted commit's journal (scry's records) is discarded: this build supersedes it.
    let seg = first_under(&c.path("st"), "seg/");
    c.write(".scratch", std::fs::read(&seg).unwrap());
    c.write("st/.journal/0", std::fs::read(c.path(".scratch")).unwrap());
    c.write(
        "st/.journal/COMMITTED",
        "P 0 seg/00000000000000000000000000000000\n",
    );
    let run = c.index("docs", "out", &["--state", "st"]);
    run.ok().says("removed .journal/COMMITTED");
    assert!(!c.path("st/.journal").exists());
    assert!(!c.path("st/seg/00000000000000000000000000000000").exists());
    // A journal holding a user's file is not: refused, and with --force too (scry writes there).
    c.write("st/.journal/notes.txt", "mine");
    let before = snapshot(&c.path("st"));
    c.index("docs", "out", &["--state", "st"])
        .fails("FOREIGN_FILES")
        .says(".journal/");
    c.index("docs", "out", &["--state", "st", "--force"])
        .fails("OUTPUT_CONFLICT");
    assert_untouched(&c.path("st"), &before);
    std::fs::remove_dir_all(c.path("st/.journal")).unwrap();
    // A finished temporary file of a publish that was killed is scry's; a damaged one is not.
    let e = std::fs::read(c.path("out/scry.json")).unwrap();
    c.write("out/.scry.json.123.tmp", &e);
    c.index("docs", "out", &["--state", "st"])
        .ok()
        .says("removed .scry.json.123.tmp");
    c.write("out/.scry.json.123.tmp", &e[..e.len() / 2]);
    c.index("docs", "out", &["--state", "st"])
        .fails("FOREIGN_FILES")
        .says(".scry.json.123.tmp");
}

#[test]
fn reading_never_writes() {
    let c = built("read-only-commands");
    let q = c.write(
        "q.jsonl",
        "{\"query\": \"watch\", \"relevant\": [\"fs#watching\"]}\n",
    );
    let q = q.to_str().unwrap();
    // A commit in progress by another writer is left to it.
    c.write("st/.journal/0", b"half".as_slice());
    c.write("st/.journal/ops", "P 0 manifest\n");
    let before = (snapshot(&c.path("out")), snapshot(&c.path("st")));
    for index in ["out", "st"] {
        c.search(index, "watch").ok();
        c.scry(&["suggest", index, "watch"]).ok();
        c.scry(&["eval", index, q]).ok();
        c.scry(&["bench", "text", index, q, "--repeat", "1"]).ok();
        c.search(index, "").fails("INVALID_QUERY");
    }
    assert_untouched(&c.path("out"), &before.0);
    assert_untouched(&c.path("st"), &before.1);
}

/// Hostile Markdown front matter: an alias bomb, nesting 100,000 deep, unterminated or wrong
/// YAML and TOML, a huge field. Every page is indexed by its text, none takes the process down.
#[test]
fn hostile_front_matter_is_left_out_and_the_pages_indexed() {
    let c = Case::new("front-matter");
    let mut bomb =
        String::from("---\na: &a [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n");
    for (name, prev) in ["b", "c", "d", "e", "f", "g", "h", "i", "j"]
        .iter()
        .zip(["a", "b", "c", "d", "e", "f", "g", "h", "i"])
    {
        bomb.push_str(&format!(
            "{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        ));
    }
    bomb.push_str("---\n\n# Bomb\n\nlaughing words\n");
    c.write("docs/bomb.md", bomb);
    let deep = format!(
        "---\nx: {}{}\n---\n\n# Deep\n\nnested words\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    c.write("docs/deep.md", deep);
    c.write(
        "docs/broken.md",
        "---\ntitle: [unclosed\n---\n\n# Broken\n\nbroken words\n",
    );
    c.write(
        "docs/toml.md",
        "+++\ntitle = \n+++\n\n# Toml\n\ntoml words\n",
    );
    c.write(
        "docs/huge.md",
        format!(
            "---\ntitle: Huge\nnote: {}\n---\n\nhuge words\n",
            "a".repeat(2_000_000)
        ),
    );
    c.write(
        "docs/good.md",
        "---\ntitle: Good page\ntags: [kept]\nlevel: 9\n---\n\ngood words\n",
    );
    c.index("docs", "out", &["--state", "st"]).ok();
    for (query, id) in [
        ("laughing", "bomb#bomb"),
        ("nested", "deep#deep"),
        ("broken", "broken#broken"),
        ("toml", "toml#toml"),
        ("huge", "huge"),
        ("good", "good"),
    ] {
        let run = c.scry(&["search", "out", query, "--json"]);
        assert_eq!(run.ok().json()[0]["id"], id, "{query}");
    }
    let hit = &c.scry(&["search", "out", "good", "--json"]).json()[0];
    assert_eq!(hit["title"], "Good page");
}
