//! Naming the path behind an I/O error of the core. The core's [`WalError::Io`] carries the
//! OS error but not the file it happened on; when an open fails that way, the accesses the
//! open makes are repeated here one by one, without changing anything, and the first that
//! fails is reported with its path. When none fails (the problem was transient, or is one
//! the checks cannot repeat, such as creating a file), the directory is named.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

use walogs_core::WalError;

use crate::error::CliError;
use crate::layout;

/// How the failed open accessed the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// A read-only open (reads the listing, the metadata and every segment).
    Read,
    /// A writable open (creates the directory if missing, takes the lock, may truncate or
    /// rename segments, writes the active segment and the metadata).
    Write,
}

/// Turn an error of opening the log in `dir` into one that names its path. Errors other
/// than [`WalError::Io`] pass through. Costs, on failure only, an open per log file.
pub fn open_error(dir: &Path, access: Access, e: WalError) -> CliError {
    let WalError::Io(source) = e else {
        return e.into();
    };
    if let Some(named) = find_cause(dir, access, &source) {
        return named;
    }
    let how = match access {
        Access::Read => "for reading",
        Access::Write => "for writing",
    };
    CliError::io(
        format!("cannot open the log in {} {how}", dir.display()),
        source,
    )
}

/// Turn an error of reading entries from an opened log in `dir` into one naming `dir`.
pub fn read_error(dir: &Path, e: WalError) -> CliError {
    match e {
        WalError::Io(source) => {
            CliError::io(format!("cannot read the log in {}", dir.display()), source)
        }
        e => e.into(),
    }
}

/// Repeat the accesses of an open of `dir` and return the first failure, naming its path.
fn find_cause(dir: &Path, access: Access, source: &io::Error) -> Option<CliError> {
    if access == Access::Write && std::fs::symlink_metadata(dir).is_err() {
        // The writable open creates a missing directory (and its parents): that failed.
        return Some(CliError::io(
            format!("cannot create the directory {}", dir.display()),
            clone(source),
        ));
    }
    if let Err(e) = crate::wal_dir::require_dir(dir) {
        return Some(e);
    }
    if let Err(e) = std::fs::read_dir(dir) {
        return Some(CliError::io(
            format!("cannot list the directory {}", dir.display()),
            e,
        ));
    }
    let lock = dir.join(walogs_core::LOCK_FILENAME);
    if access == Access::Write {
        if std::fs::symlink_metadata(&lock).is_err() {
            // The lock file is created first; it is still missing, so creating it failed.
            return Some(CliError::io(
                format!("cannot create {}", lock.display()),
                clone(source),
            ));
        }
        if let Err(e) = OpenOptions::new().read(true).write(true).open(&lock) {
            return Some(CliError::io(
                format!("cannot open {} for writing", lock.display()),
                e,
            ));
        }
    }
    let segments = match layout::segments(dir) {
        Ok(s) => s,
        Err(e) => return Some(e),
    };
    let meta = dir.join(walogs_core::META_FILENAME);
    if meta.exists()
        && let Err(e) = File::open(&meta)
    {
        return Some(CliError::io(format!("cannot read {}", meta.display()), e));
    }
    if access == Access::Write
        && let Some(last) = segments.last()
        && let Err(e) = OpenOptions::new().read(true).write(true).open(&last.path)
    {
        return Some(CliError::io(
            format!("cannot open {} for writing", last.path.display()),
            e,
        ));
    }
    None
}

/// A copy of an I/O error (its kind, OS code and message).
fn clone(e: &io::Error) -> io::Error {
    match e.raw_os_error() {
        Some(code) => io::Error::from_raw_os_error(code),
        None => io::Error::new(e.kind(), e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_directory_is_named_for_writes_and_other_errors_pass() {
        let d = tempfile::tempdir().unwrap();
        let gone = d.path().join("a/b");
        let e = WalError::Io(io::Error::from_raw_os_error(13));
        let msg = open_error(&gone, Access::Write, e).to_string();
        assert!(msg.starts_with(&format!("cannot create the directory {}", gone.display())));
        assert!(msg.contains("os error 13"), "{msg}");
        let e = open_error(d.path(), Access::Read, WalError::ReadOnly);
        assert!(matches!(e, CliError::Wal(WalError::ReadOnly)));
        // Nothing to blame: the directory is named.
        let e = WalError::Io(io::Error::from_raw_os_error(5));
        let msg = open_error(d.path(), Access::Read, e).to_string();
        assert!(msg.contains(&d.path().display().to_string()), "{msg}");
    }
}
