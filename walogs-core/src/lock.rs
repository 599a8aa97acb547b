//! The single-writer lock: an exclusive advisory lock (`flock`) on `walogs.lock` inside the
//! WAL directory, held for the life of a writable handle.

use std::io;
use std::path::Path;

use crate::error::WalError;
use crate::vfs::{Dir, FileSystem, FsFile, OpenMode};

/// Name of the lock file. It holds the PID of the last holder (informational only: the
/// lock is the `flock`, which the kernel releases when the holder exits).
pub const LOCK_FILENAME: &str = "walogs.lock";

/// A held directory lock; dropping it releases the lock.
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: Box<dyn FsFile>,
}

/// Take the write lock of `dir`, failing at once with [`WalError::Locked`] when another
/// handle (this process or another) holds it. A new lock file gets permission bits `mode`.
/// Costs an open and a `flock`.
pub(crate) fn lock_dir(dir: &dyn Dir, mode: u32) -> Result<DirLock, WalError> {
    let file = match dir.open(LOCK_FILENAME, OpenMode::CreateNew { mode }) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            dir.open(LOCK_FILENAME, OpenMode::ReadWrite)?
        }
        Err(e) => return Err(e.into()),
    };
    if !file.try_lock()? {
        return Err(WalError::Locked {
            path: dir.path().to_path_buf(),
        });
    }
    // Record who holds it, for `walogs info`. Best effort: the flock is what counts.
    let pid = format!("{}\n", std::process::id());
    if file.set_len(0).is_ok() {
        let _ = file.write_all_at(pid.as_bytes(), 0);
    }
    Ok(DirLock { _file: file })
}

/// Who holds the lock of `dir`: `Some(pid)` (as text) when a writable handle holds it now.
///
/// Reads the kernel's lock table (`/proc/locks`) for an `flock` on the lock file, so it takes
/// no lock itself and can never make a writer's open fail; where that table cannot be read it
/// falls back to trying the lock (taken and released at once) and reporting the PID the holder
/// wrote into the file. The lock file is opened read-only, without following a link and
/// without blocking, so no write access to the directory is needed.
pub fn lock_holder(dir: &Path) -> io::Result<Option<String>> {
    let dir = crate::vfs::OsFs.open_dir(dir)?;
    let file = match dir.open(LOCK_FILENAME, OpenMode::Read) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let st = rustix::fs::statat(
        rustix::fs::CWD,
        dir.path().join(LOCK_FILENAME),
        rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
    )?;
    if let Ok(table) = std::fs::read_to_string("/proc/locks") {
        let dev = format!(
            "{:02x}:{:02x}:{}",
            rustix::fs::major(st.st_dev),
            rustix::fs::minor(st.st_dev),
            st.st_ino
        );
        return Ok(flock_holder(&table, &dev));
    }
    if file.try_lock()? {
        return Ok(None);
    }
    let mut buf = [0u8; 32];
    let n = crate::vfs::read_full_at(file.as_ref(), &mut buf, 0)?;
    Ok(Some(String::from_utf8_lossy(&buf[..n]).trim().to_string()))
}

/// The PID holding (not waiting for) an `flock` on the file `dev` ("MAJ:MIN:INODE" as
/// `/proc/locks` prints it) in the lock table `table`.
fn flock_holder(table: &str, dev: &str) -> Option<String> {
    table.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; waiters have "->" after the id.
        match fields.as_slice() {
            [_, "FLOCK", _, _, pid, file, ..] if *file == dev => Some(pid.to_string()),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_table_lines() {
        let table = "1: POSIX  ADVISORY  WRITE 77 08:01:42 0 EOF\n\
                     2: FLOCK  ADVISORY  WRITE 1234 08:01:42 0 EOF\n\
                     2: -> FLOCK  ADVISORY  WRITE 99 08:01:42 0 EOF\n\
                     3: FLOCK  ADVISORY  WRITE 5 08:01:43 0 EOF\n";
        assert_eq!(flock_holder(table, "08:01:42").as_deref(), Some("1234"));
        assert_eq!(flock_holder(table, "08:01:43").as_deref(), Some("5"));
        assert_eq!(flock_holder(table, "08:01:44"), None);
    }
}
