//! The `.lock` of an index folder as the npm package's `storage: 'file'` writes it (`{"pid",
//! "host", "nonce"}`, linked into place whole): who holds it, and holding it while `scry index`
//! writes a state folder.

use std::path::{Path, PathBuf};

use crate::error::CliError;

/// The lock's file name.
pub const LOCK_FILE: &str = ".lock";

/// This process's id. On WASI (the CLI compiled to WebAssembly and run by the npm package's
/// `scry` command in Node.js), which has no process ids, the Node.js process's, passed as
/// `SCRY_PID` by that launcher; without it an id no process has, so that a lock it leaves is
/// stale at once rather than held for ever.
pub fn process_id() -> u32 {
    #[cfg(target_os = "wasi")]
    {
        std::env::var("SCRY_PID")
            .ok()
            .and_then(|p| p.parse().ok())
            .unwrap_or(u32::MAX)
    }
    #[cfg(not(target_os = "wasi"))]
    {
        std::process::id()
    }
}

fn this_host() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
}

/// The holder of `dir`'s `.lock` when that process is alive on this host, or the lock's
/// contents when they cannot be checked; `None` without a lock or with a stale one.
pub fn holder(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(LOCK_FILE)).ok()?;
    let holder: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let pid = holder.get("pid").and_then(serde_json::Value::as_u64);
    let host = holder.get("host").and_then(serde_json::Value::as_str);
    match (pid, host, this_host()) {
        // Linux: a process of this host is alive while /proc/<pid> exists.
        (Some(pid), Some(host), Some(this)) if host == this => Path::new("/proc")
            .join(pid.to_string())
            .exists()
            .then(|| format!("process {pid}")),
        _ => Some(text.trim().to_owned()),
    }
}

/// `Locked` when a live process holds `dir`'s lock.
pub fn check_free(dir: &Path) -> Result<(), CliError> {
    match holder(dir) {
        Some(writer) => Err(CliError::Locked {
            path: dir.display().to_string(),
            writer,
        }),
        None => Ok(()),
    }
}

/// A held `.lock`, released when dropped (only if it is still ours).
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
    text: String,
}

impl Lock {
    /// Takes `dir`'s lock (a stale one, whose process is gone, is taken over).
    pub fn acquire(dir: &Path) -> Result<Self, CliError> {
        let io = |e: std::io::Error| CliError::read(&dir.join(LOCK_FILE), e);
        let pid = process_id();
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let text = serde_json::json!({
            "pid": pid,
            "host": this_host().unwrap_or_default(),
            "nonce": format!("{nonce:x}"),
        })
        .to_string();
        let path = dir.join(LOCK_FILE);
        // Written whole under a name of our own, then linked into place: never half a lock.
        let temp = dir.join(format!("{LOCK_FILE}.{pid}.{nonce:x}"));
        std::fs::write(&temp, &text).map_err(io)?;
        let mut result = Err(CliError::Locked {
            path: dir.display().to_string(),
            writer: "another process".into(),
        });
        for _ in 0..3 {
            match std::fs::hard_link(&temp, &path) {
                Ok(()) => {
                    result = Ok(Self {
                        path: path.clone(),
                        text: text.clone(),
                    });
                    break;
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if let Err(e) = check_free(dir) {
                        result = Err(e);
                        break;
                    }
                    // Stale: its process is gone.
                    match std::fs::remove_file(&path) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => {
                            result = Err(io(e));
                            break;
                        }
                    }
                }
                Err(e) => {
                    result = Err(io(e));
                    break;
                }
            }
        }
        let _ = std::fs::remove_file(&temp);
        result
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        if std::fs::read_to_string(&self.path).is_ok_and(|t| t == self.text) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
