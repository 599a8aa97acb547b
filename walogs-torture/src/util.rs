//! Small helpers: scratch directories that remove themselves, directory copies.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A fresh directory removed (with its contents) on drop.
#[derive(Debug)]
pub struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    /// Create `base/<prefix>-<pid>-<n>` (and `base` if missing).
    pub fn new(base: &Path, prefix: &str) -> io::Result<Self> {
        static N: AtomicU64 = AtomicU64::new(0);
        std::fs::create_dir_all(base)?;
        let path = base.join(format!(
            "{prefix}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        if path.exists() {
            std::fs::remove_dir_all(&path)?;
        }
        std::fs::create_dir(&path)?;
        Ok(ScratchDir { path })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Copy the regular files of `from` into `to` (created if missing); subdirectories are
/// ignored.
pub fn copy_dir(from: &Path, to: &Path) -> io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        if e.file_type()?.is_file() {
            std::fs::copy(e.path(), to.join(e.file_name()))?;
        }
    }
    Ok(())
}

/// `path` made absolute and free of symlinks (what `/proc/self/fd` links show).
pub fn canonical(path: &Path) -> io::Result<PathBuf> {
    std::fs::canonicalize(path)
}

/// Run `open` again (up to about a second) while it fails with `WalError::Locked`.
///
/// Why a harness needs this: the directory lock is an `flock` on an open file description.
/// When another thread of this process forks a child, the child shares every descriptor of
/// the parent until its `exec` closes them (they are close-on-exec), so a handle this thread
/// just closed can stay locked for that instant. Tests that run in parallel threads and spawn
/// children (the sweep) see it; a user's single-threaded program does not.
pub fn retry_locked<T>(
    mut open: impl FnMut() -> Result<T, walogs_core::WalError>,
) -> Result<T, walogs_core::WalError> {
    let mut tries = 0;
    loop {
        match open() {
            Err(walogs_core::WalError::Locked { .. }) if tries < 100 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            r => return r,
        }
    }
}
