//! Finding, creating and opening the WAL directory. The directory is resolved once, here;
//! every later operation goes through the returned [`Dir`] handle (so a relative path keeps
//! naming the same directory after the process changes its working directory).

use std::io;
use std::path::Path;
use std::sync::Arc;

use crate::error::WalError;
use crate::vfs::{Dir, FileSystem, IoAt};

/// Permission bits of a directory walogs creates for files of mode `file_mode`: the file
/// bits plus search (`x`) wherever reading is allowed (`0600` → `0700`, `0640` → `0750`).
pub(crate) fn dir_mode(file_mode: u32) -> u32 {
    (file_mode | ((file_mode & 0o444) >> 2)) & 0o777
}

fn parent_of(dir: &Path) -> &Path {
    match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Create `dir` and any missing parents (with `mode`), syncing each parent after creating a
/// child so the new directory entries survive a power loss.
fn ensure_dir(fs: &dyn FileSystem, dir: &Path, mode: u32) -> Result<(), WalError> {
    match fs.kind(dir)? {
        Some(true) => return Ok(()),
        Some(false) => {
            return Err(WalError::Io(IoAt::wrap(
                "open the directory",
                dir.to_path_buf(),
                io::Error::new(
                    io::ErrorKind::NotADirectory,
                    "it exists and is not a directory",
                ),
            )));
        }
        None => {}
    }
    let parent = parent_of(dir);
    ensure_dir(fs, parent, mode)?;
    match fs.create_dir(dir, mode) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    fs.sync_dir(parent)?;
    Ok(())
}

/// Open the WAL directory at `path`. A read-only open requires it to exist and creates
/// nothing; a writable one creates it (and missing parents) with permission bits derived from
/// `file_mode`, then syncs the directory and its parent (an earlier open or rotation may have
/// failed between creating an entry and syncing it).
pub(crate) fn open_wal_dir(
    fs: &dyn FileSystem,
    path: &Path,
    read_only: bool,
    file_mode: u32,
) -> Result<Arc<dyn Dir>, WalError> {
    if read_only {
        match fs.kind(path)? {
            Some(true) => {}
            Some(false) => {
                return Err(WalError::Io(IoAt::wrap(
                    "open the directory",
                    path.to_path_buf(),
                    io::Error::new(io::ErrorKind::NotADirectory, "it is not a directory"),
                )));
            }
            None => {
                return Err(WalError::Io(IoAt::wrap(
                    "open the directory",
                    path.to_path_buf(),
                    io::Error::new(io::ErrorKind::NotFound, "it does not exist"),
                )));
            }
        }
        return Ok(Arc::from(fs.open_dir(path)?));
    }
    ensure_dir(fs, path, dir_mode(file_mode))?;
    let dir: Arc<dyn Dir> = Arc::from(fs.open_dir(path)?);
    Ok(dir)
}

/// Sync the WAL directory and its parent (writable opens, before the first write).
pub(crate) fn sync_dir_and_parent(fs: &dyn FileSystem, dir: &dyn Dir) -> Result<(), WalError> {
    dir.sync()?;
    fs.sync_dir(parent_of(dir.path()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_modes_follow_file_modes() {
        assert_eq!(dir_mode(0o600), 0o700);
        assert_eq!(dir_mode(0o640), 0o750);
        assert_eq!(dir_mode(0o644), 0o755);
        assert_eq!(dir_mode(0o660), 0o770);
    }
}
