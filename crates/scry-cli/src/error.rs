//! The CLI's error type: every failure has a stable SCREAMING_CASE code that `scry` prints as
//! `error [CODE]: …` before exiting non-zero.

/// Most entries a refusal lists (the rest are counted).
pub const LISTED: usize = 10;

/// Everything the `scry` command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Reading or writing a path failed.
    #[error("cannot read {path}: {reason}")]
    Read {
        /// The path.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// An input file is malformed.
    #[error("{path}: {reason}")]
    Format {
        /// The file (with `:line` where one line is at fault).
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The command line asks for something impossible (usage errors, paths that overlap).
    #[error("{0}")]
    Argument(String),
    /// A folder scry would write holds files scry did not write; nothing was changed.
    #[error(
        "{dir} holds {} file(s) scry did not write: {}{}; nothing was changed. Move them \
         away, choose another folder, or pass --force to keep them untouched beside the index",
        .entries.len(),
        list(.entries),
        more(.entries)
    )]
    ForeignFiles {
        /// The folder (or file, for `--dump`).
        dir: String,
        /// The foreign entries, relative to `dir`.
        entries: Vec<String>,
    },
    /// A path scry must write holds something scry did not write (even `--force` keeps it).
    #[error(
        "{dir}: scry must write {} but what is there is not scry's: {}{}; nothing was changed \
         (--force never overwrites files scry did not write: move them away or choose another \
         folder)",
        if .entries.len() == 1 { "this path" } else { "these paths" },
        list(.entries),
        more(.entries)
    )]
    OutputConflict {
        /// The folder.
        dir: String,
        /// The paths, relative to `dir`.
        entries: Vec<String>,
    },
    /// A folder scry would write holds a stored index that rebuilding would delete, and it may
    /// be the only copy of its documents; nothing was changed.
    #[error("{dir}: {reason}; nothing was changed (pass --force to delete it and rebuild)")]
    IndexAtRisk {
        /// The folder.
        dir: String,
        /// What is there and why it matters.
        reason: String,
    },
    /// `--strict`: input files or sections were skipped.
    #[error("{} input(s) skipped under --strict (first: {first}); nothing was written", .count)]
    Skipped {
        /// How many.
        count: usize,
        /// The first one, with its reason.
        first: String,
    },
    /// The path is not an index scry can open.
    #[error(
        "{path} is not a scry index (no scry.json, no manifest, not a .json/.jsonl collection)"
    )]
    NotAnIndex {
        /// The path.
        path: String,
    },
    /// `scry repair` on a published static index (rebuilt by `scry index`, never repaired).
    #[error(
        "{path} is a static index (scry.json): it is not repaired; rebuild it with `scry index` \
         (its state folder, if damaged, is what `scry repair` repairs)"
    )]
    StaticIndex {
        /// The folder.
        path: String,
    },
    /// A published static index is damaged or its `scry.json` does not match its files.
    #[error("corrupt data in {path}: {reason}")]
    Corrupt {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Another process is writing the folder.
    #[error(
        "{path} is being written by {writer} (its .lock); stop it first, or delete the .lock if \
         no such process uses the folder"
    )]
    Locked {
        /// The folder.
        path: String,
        /// Who holds its lock.
        writer: String,
    },
    /// An engine error.
    #[error(transparent)]
    Core(#[from] scry_core::CoreError),
    /// A model error.
    #[error(transparent)]
    Embed(#[from] scry_embed::EmbedError),
}

fn list(entries: &[String]) -> String {
    entries
        .iter()
        .take(LISTED)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

fn more(entries: &[String]) -> String {
    match entries.len().saturating_sub(LISTED) {
        0 => String::new(),
        n => format!(" and {n} more"),
    }
}

impl CliError {
    /// The stable code printed with the error.
    pub fn code(&self) -> &'static str {
        match self {
            CliError::Read { .. } => "IO_ERROR",
            CliError::Format { .. } => "INVALID_INPUT_FILE",
            CliError::Argument(_) => "INVALID_ARGUMENT",
            CliError::ForeignFiles { .. } => "FOREIGN_FILES",
            CliError::OutputConflict { .. } => "OUTPUT_CONFLICT",
            CliError::IndexAtRisk { .. } => "INDEX_AT_RISK",
            CliError::Skipped { .. } => "SKIPPED_INPUT",
            CliError::NotAnIndex { .. } => "NOT_AN_INDEX",
            CliError::StaticIndex { .. } => "STATIC_INDEX",
            CliError::Corrupt { .. } => "CORRUPT_DATA",
            CliError::Locked { .. } => "STORAGE_LOCKED",
            CliError::Core(e) => e.code(),
            CliError::Embed(e) => e.code(),
        }
    }

    /// `Read` for `path`.
    pub fn read(path: &std::path::Path, e: impl std::fmt::Display) -> Self {
        CliError::Read {
            path: path.display().to_string(),
            reason: e.to_string(),
        }
    }

    /// `Format` for `path` (and line `line`, counted from 1, if given).
    pub fn format(path: &std::path::Path, line: Option<usize>, e: impl std::fmt::Display) -> Self {
        CliError::Format {
            path: match line {
                Some(n) => format!("{}:{n}", path.display()),
                None => path.display().to_string(),
            },
            reason: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_list_ten_entries_and_count_the_rest() {
        let e = CliError::ForeignFiles {
            dir: "out".into(),
            entries: (0..13).map(|i| format!("f{i}")).collect(),
        };
        let text = e.to_string();
        assert!(text.contains("f9") && !text.contains("f10"), "{text}");
        assert!(text.contains("and 3 more"), "{text}");
        assert_eq!(e.code(), "FOREIGN_FILES");
    }
}
