//! The single-writer lock: an exclusive advisory lock (`flock`) on `walogs.lock` inside the
//! WAL directory, held for the life of a writable handle.

use std::io;
use std::path::{Path, PathBuf};

use crate::error::WalError;
use crate::vfs::{FileSystem, FsFile, OpenMode};

/// Name of the lock file. It holds the PID of the last holder (informational only: the
/// lock is the `flock`, which the kernel releases when the holder exits).
pub const LOCK_FILENAME: &str = "walogs.lock";

/// A held directory lock; dropping it releases the lock.
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: Box<dyn FsFile>,
}

/// Take the write lock of `dir`, failing at once with [`WalError::Locked`] when another
/// handle (this process or another) holds it. Costs an open and a `flock`.
pub(crate) fn lock_dir(fs: &dyn FileSystem, dir: &Path) -> Result<DirLock, WalError> {
    let path = dir.join(LOCK_FILENAME);
    let file = match fs.open(&path, OpenMode::CreateNew) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            fs.open(&path, OpenMode::ReadWrite)?
        }
        Err(e) => return Err(e.into()),
    };
    if !file.try_lock()? {
        return Err(WalError::Locked {
            path: PathBuf::from(dir),
        });
    }
    // Record who holds it, for `walogs info`. Best effort: the flock is what counts.
    let pid = format!("{}\n", std::process::id());
    if file.set_len(0).is_ok() {
        let _ = file.write_all_at(pid.as_bytes(), 0);
    }
    Ok(DirLock { _file: file })
}

/// Who holds the lock of `dir`: `Some(pid text)` when a writable handle holds it now.
/// Takes and releases the lock to find out, so it never blocks.
pub fn lock_holder(dir: &Path) -> io::Result<Option<String>> {
    let fs = crate::vfs::OsFs;
    let path = dir.join(LOCK_FILENAME);
    let file = match fs.open(&path, OpenMode::Read) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if file.try_lock()? {
        return Ok(None);
    }
    let mut buf = [0u8; 32];
    let n = crate::vfs::read_full_at(file.as_ref(), &mut buf, 0)?;
    Ok(Some(String::from_utf8_lossy(&buf[..n]).trim().to_string()))
}
