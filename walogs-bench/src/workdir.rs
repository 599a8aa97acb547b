//! The run's scratch directory: created fresh, removed at the end (also on error).

use std::path::{Path, PathBuf};

use crate::error::{BenchError, Context, Result};

/// A directory owned by this run. Dropping it removes it unless `keep` was asked for.
#[derive(Debug)]
pub struct Scratch {
    path: PathBuf,
    keep: bool,
}

/// Where files go when `--dir` is not given: `target/walogs-bench` of this workspace.
pub fn default_parent() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target")
        .join("walogs-bench")
}

impl Scratch {
    /// Create `parent/run-<pid>` (and `parent` if needed). Fails if it already exists.
    pub fn create(parent: &Path, keep: bool) -> Result<Scratch> {
        std::fs::create_dir_all(parent).ctx(format!("create {}", parent.display()))?;
        let parent = parent
            .canonicalize()
            .ctx(format!("resolve {}", parent.display()))?;
        let path = parent.join(format!("run-{}", std::process::id()));
        match std::fs::create_dir(&path) {
            Ok(()) => Ok(Scratch { path, keep }),
            Err(e) => Err(BenchError::Io {
                what: format!("create {}", path.display()),
                source: e,
            }),
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_fresh_and_removed_on_drop() {
        let parent =
            std::env::temp_dir().join(format!("walogs-bench-scratch-{}", std::process::id()));
        let s = Scratch::create(&parent, false).unwrap();
        let p = s.path().to_path_buf();
        std::fs::write(p.join("f"), b"x").unwrap();
        assert!(
            Scratch::create(&parent, false).is_err(),
            "same pid twice must fail"
        );
        drop(s);
        assert!(!p.exists());
        let kept = Scratch::create(&parent, true).unwrap();
        let kp = kept.path().to_path_buf();
        drop(kept);
        assert!(kp.exists());
        std::fs::remove_dir_all(&parent).unwrap();
    }
}
