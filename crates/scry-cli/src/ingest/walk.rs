//! Finding the files of an input folder (walkdir): hidden entries and excluded folders left
//! out, directory links followed only when asked (with walkdir's loop detection), and special
//! files, dangling links and links out of the folder skipped with a reason.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use super::kind;

/// How to walk an input folder.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    /// Follow links to folders and to files outside the input folder (loops are detected and
    /// skipped). Off: a link to a folder is not entered and a link to a file is read only when
    /// the file is inside the input folder.
    pub follow_links: bool,
    /// Folders not to enter (the index's own output when it lies inside the input folder).
    pub exclude: Vec<PathBuf>,
}

/// An input that was not read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    /// The path, as walked.
    pub path: PathBuf,
    /// Why it was skipped.
    pub reason: String,
}

/// What a walk found.
#[derive(Debug, Clone, Default)]
pub struct Walk {
    /// Files to index, sorted.
    pub files: Vec<PathBuf>,
    /// Entries that look like input but could not or should not be read.
    pub skipped: Vec<Skip>,
    /// Links to folders that were not followed (not an error: `--follow-links` follows them).
    pub links_not_followed: Vec<PathBuf>,
}

fn hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

/// Walks `root` (a folder) for files that can be indexed.
pub fn find_files(root: &Path, options: &WalkOptions) -> std::io::Result<Walk> {
    let canonical_root = std::fs::canonicalize(root)?;
    if !canonical_root.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotADirectory,
            "not a folder",
        ));
    }
    let exclude: Vec<PathBuf> = options
        .exclude
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    let mut walk = Walk::default();
    let mut entries = WalkDir::new(root)
        .follow_links(options.follow_links)
        .sort_by_file_name()
        .into_iter();
    while let Some(next) = entries.next() {
        let entry = match next {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().unwrap_or(root).to_path_buf();
                let reason = match (e.loop_ancestor(), e.io_error()) {
                    (Some(ancestor), _) => {
                        format!("a link loop (back to {})", ancestor.display())
                    }
                    // A dangling link that would not be indexed anyway is no loss.
                    (None, Some(io))
                        if io.kind() == std::io::ErrorKind::NotFound && kind(&path).is_none() =>
                    {
                        continue;
                    }
                    (None, Some(io)) if io.kind() == std::io::ErrorKind::NotFound => {
                        "a dangling link".to_owned()
                    }
                    (None, Some(io)) => io.to_string(),
                    (None, None) => e.to_string(),
                };
                walk.skipped.push(Skip { path, reason });
                continue;
            }
        };
        let ft = entry.file_type();
        if entry.depth() > 0 && hidden(entry.file_name()) {
            if ft.is_dir() {
                entries.skip_current_dir();
            }
            continue;
        }
        if ft.is_dir() {
            if entry.depth() > 0
                && std::fs::canonicalize(entry.path()).is_ok_and(|c| exclude.contains(&c))
            {
                entries.skip_current_dir();
            }
            continue;
        }
        let path = entry.path();
        if ft.is_symlink() {
            // Only when links are not followed: judge where it leads.
            let target = std::fs::metadata(path);
            match target {
                Ok(m) if m.is_dir() => walk.links_not_followed.push(path.to_path_buf()),
                _ if kind(path).is_none() => {}
                Err(_) => walk.skipped.push(Skip {
                    path: path.to_path_buf(),
                    reason: "a dangling link".into(),
                }),
                Ok(m) if !m.is_file() => walk.skipped.push(Skip {
                    path: path.to_path_buf(),
                    reason: "a link to a special file (device, FIFO or socket)".into(),
                }),
                Ok(_) => {
                    let inside =
                        std::fs::canonicalize(path).is_ok_and(|t| t.starts_with(&canonical_root));
                    if inside {
                        walk.files.push(path.to_path_buf());
                    } else {
                        walk.skipped.push(Skip {
                            path: path.to_path_buf(),
                            reason: "a link to a file outside the input folder (--follow-links \
                                     reads it)"
                                .into(),
                        });
                    }
                }
            }
            continue;
        }
        if kind(path).is_none() {
            continue;
        }
        if ft.is_file() {
            walk.files.push(entry.into_path());
        } else {
            walk.skipped.push(Skip {
                path: path.to_path_buf(),
                reason: "a special file (device, FIFO or socket), not read".into(),
            });
        }
    }
    walk.files.sort();
    Ok(walk)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("scry-walk-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn hidden_entries_and_excluded_folders_are_left_out_and_files_sorted() {
        let d = tmp("hidden");
        for f in [
            "b.md",
            "a/z.html",
            "a/c.txt",
            ".git/x.md",
            "a/.h.md",
            "out/i.html",
            "x.png",
        ] {
            let p = d.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "x").unwrap();
        }
        let w = find_files(
            &d,
            &WalkOptions {
                exclude: vec![d.join("out")],
                ..Default::default()
            },
        )
        .unwrap();
        let rel: Vec<_> = w
            .files
            .iter()
            .map(|p| p.strip_prefix(&d).unwrap().to_str().unwrap().to_owned())
            .collect();
        assert_eq!(rel, ["a/c.txt", "a/z.html", "b.md"]);
        assert!(w.skipped.is_empty());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn loops_are_reported_when_links_are_followed() {
        let d = tmp("loops");
        std::fs::write(d.join("a.md"), "x").unwrap();
        std::os::unix::fs::symlink(".", d.join("self")).unwrap();
        let w = find_files(&d, &WalkOptions::default()).unwrap();
        assert_eq!(w.files.len(), 1);
        assert_eq!(w.links_not_followed, [d.join("self")]);
        let w = find_files(
            &d,
            &WalkOptions {
                follow_links: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(w.files.len(), 1);
        assert_eq!(w.skipped.len(), 1);
        assert!(w.skipped[0].reason.contains("loop"), "{:?}", w.skipped);
        std::fs::remove_dir_all(&d).unwrap();
    }
}
