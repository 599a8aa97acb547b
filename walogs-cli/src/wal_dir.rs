//! What a directory is before a command reads it as a log: that it exists, can be listed and
//! entered, holds a walogs log at all, and that every file the core's read-only open reads
//! can be opened; plus who holds its write lock and who may write it. Every failure names
//! the path concerned and the OS error, so that no bare "Permission denied" reaches the user.
//!
//! Needs read access only: nothing is created or changed.

use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::CliError;
use crate::layout::{self, SegmentFile};

/// A directory that holds a walogs log, with its segment files as they were listed.
#[derive(Debug)]
pub struct WalDir {
    /// The segment files (or the v1 `wal.log`), oldest first.
    pub segments: Vec<SegmentFile>,
    /// Whether `walogs.meta` exists.
    pub has_meta: bool,
    /// Permission bits of the directory (`mode & 0o7777`).
    pub mode: u32,
}

impl WalDir {
    /// Total bytes of the segment files.
    pub fn segment_bytes(&self) -> u64 {
        self.segments.iter().map(|s| s.size).sum()
    }
}

/// Fail with a clear message unless `dir` exists and is a directory. Costs one `stat`.
pub fn require_dir(dir: &Path) -> Result<std::fs::Metadata, CliError> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(m),
        Ok(_) => Err(CliError::Usage(format!(
            "{} is not a directory",
            dir.display()
        ))),
        Err(e) => Err(CliError::io(format!("cannot open {}", dir.display()), e)),
    }
}

/// Check that `dir` is a readable directory holding a walogs log (at least one segment file,
/// a v1 `wal.log`, or `walogs.meta`) and that its files can be opened for reading. Costs a
/// directory listing, and per segment a `stat`, an open and a read of its first frame.
///
/// Errors: [`CliError::NoLog`] when the directory holds no log; [`CliError::Io`] naming the
/// directory ("cannot list", "cannot open files in") or the file ("cannot read") otherwise.
pub fn open(dir: &Path) -> Result<WalDir, CliError> {
    let meta = require_dir(dir)?;
    std::fs::read_dir(dir)
        .and_then(|mut rd| rd.try_for_each(|e| e.map(drop)))
        .map_err(|e| CliError::io(format!("cannot list the directory {}", dir.display()), e))?;
    // Listing needs read permission, opening the files in it search permission.
    std::fs::metadata(dir.join(".")).map_err(|e| {
        CliError::io(
            format!("cannot open files in the directory {}", dir.display()),
            e,
        )
    })?;
    let segments = layout::segments(dir)?;
    let meta_path = dir.join(walogs_core::META_FILENAME);
    let has_meta = meta_path.symlink_metadata().is_ok();
    if segments.is_empty() && !has_meta {
        return Err(CliError::NoLog {
            dir: dir.to_path_buf(),
        });
    }
    if has_meta {
        File::open(&meta_path)
            .map_err(|e| CliError::io(format!("cannot read {}", meta_path.display()), e))?;
    }
    Ok(WalDir {
        segments,
        has_meta,
        mode: meta.permissions().mode() & 0o7777,
    })
}

/// Who holds the write lock of a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockState {
    /// No writable handle has the log open.
    Free,
    /// A writable handle has it open; the text is the pid its holder recorded.
    Held(String),
    /// The lock file cannot be checked; the text says why (naming the file).
    Unknown(String),
}

impl LockState {
    /// The holder's pid text, when held.
    pub fn holder(&self) -> Option<String> {
        match self {
            LockState::Held(pid) => Some(pid.clone()),
            _ => None,
        }
    }

    /// Why the lock could not be checked, when it could not.
    pub fn problem(&self) -> Option<String> {
        match self {
            LockState::Unknown(why) => Some(why.clone()),
            _ => None,
        }
    }
}

/// The lock state of `dir` (a directory [`open`] accepted). Needs read access to
/// `walogs.lock` only; costs an open and two `flock` calls.
pub fn lock_state(dir: &Path) -> LockState {
    match walogs_core::lock_holder(dir) {
        Ok(None) => LockState::Free,
        Ok(Some(pid)) => LockState::Held(pid),
        Err(e) => LockState::Unknown(format!(
            "cannot check the lock file {}: {e}",
            dir.join(walogs_core::LOCK_FILENAME).display()
        )),
    }
}

/// Who besides the owner may write the directory (and so replace, remove or add its files).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Exposure {
    /// The directory's permission bits, in octal (`"0755"`).
    pub mode: String,
    /// Every user may write the directory (`o+w`).
    pub others_can_write: bool,
    /// Members of the directory's group may write it (`g+w`).
    pub group_can_write: bool,
    /// Segment and metadata files every user may write.
    pub files_others_can_write: Vec<String>,
}

impl Exposure {
    /// Read the permission bits of `dir` and of its log files. Costs one `stat` per file.
    pub fn of(dir: &Path, wal: &WalDir) -> Exposure {
        let mut files: Vec<(String, PathBuf)> = wal
            .segments
            .iter()
            .map(|s| (s.name.clone(), s.path.clone()))
            .collect();
        if wal.has_meta {
            let name = walogs_core::META_FILENAME.to_string();
            files.push((name.clone(), dir.join(name)));
        }
        let files_others_can_write = files
            .into_iter()
            .filter(|(_, p)| {
                std::fs::symlink_metadata(p).is_ok_and(|m| m.permissions().mode() & 0o002 != 0)
            })
            .map(|(n, _)| n)
            .collect();
        Exposure {
            mode: format!("{:04o}", wal.mode),
            others_can_write: wal.mode & 0o002 != 0,
            group_can_write: wal.mode & 0o020 != 0,
            files_others_can_write,
        }
    }

    /// The warnings for people, one per line (none when only the owner can write).
    pub fn warnings(&self, dir: &Path) -> Vec<String> {
        let mut w = Vec::new();
        if self.others_can_write {
            w.push(format!(
                "{} is writable by every user (mode {}): anyone can replace, remove or add \
                 its files (chmod o-w)",
                dir.display(),
                self.mode
            ));
        } else if self.group_can_write {
            w.push(format!(
                "{} is writable by its group (mode {}): every member can replace, remove or \
                 add its files",
                dir.display(),
                self.mode
            ));
        }
        if !self.files_others_can_write.is_empty() {
            w.push(format!(
                "writable by every user: {}",
                self.files_others_can_write.join(", ")
            ));
        }
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(dir: &Path, m: u32) {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(m)).unwrap();
    }

    #[test]
    fn a_directory_without_log_files_holds_no_log() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("walogs.lock"), b"1\n").unwrap();
        std::fs::write(d.path().join("wal-1.log"), b"").unwrap();
        assert!(matches!(open(d.path()), Err(CliError::NoLog { .. })));
        for name in ["wal-000001.log", "wal.log", "walogs.meta"] {
            let e = tempfile::tempdir().unwrap();
            std::fs::write(e.path().join(name), b"").unwrap();
            assert!(open(e.path()).is_ok(), "{name} makes a log");
        }
    }

    #[test]
    fn exposure_reads_the_write_bits() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("wal-000001.log"), b"").unwrap();
        mode(d.path(), 0o700);
        let w = open(d.path()).unwrap();
        let x = Exposure::of(d.path(), &w);
        assert_eq!(x.mode, "0700");
        assert!(x.warnings(d.path()).is_empty());
        mode(d.path(), 0o1777);
        let w = open(d.path()).unwrap();
        let x = Exposure::of(d.path(), &w);
        assert!(x.others_can_write && x.group_can_write);
        assert_eq!(x.mode, "1777");
        assert!(x.warnings(d.path())[0].contains("every user"));
        mode(d.path(), 0o770);
        let w = open(d.path()).unwrap();
        assert!(Exposure::of(d.path(), &w).warnings(d.path())[0].contains("its group"));
        mode(d.path(), 0o700);
    }
}
