//! What a directory is before a command reads it as a log: that it can be opened and listed,
//! holds a walogs log at all, and its segment files; plus who holds its write lock and who may
//! write it. Every failure names the path concerned and the OS error.
//!
//! Needs read access only: nothing is created or changed.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde::Serialize;
use walogs_core::vfs::{IoAt, UnsafeFile};
use walogs_core::{Wal, WalError, WalOptions};

use crate::error::CliError;
use crate::layout::{LogDir, SegmentFile};

/// A directory that holds a walogs log, with its segment files as they were listed.
#[derive(Debug)]
pub struct WalDir {
    /// The directory, opened once.
    pub log: LogDir,
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
/// a v1 `wal.log`, or `walogs.meta`) and list its segments. Costs an open and a listing of
/// the directory, and per segment a `stat`, an open and a read of its first frame.
///
/// Errors: [`CliError::NoLog`] when the directory holds no log; otherwise the core's file
/// system errors, which name the directory or file.
pub fn open(dir: &Path) -> Result<WalDir, CliError> {
    let log = LogDir::open(dir)?;
    log.names()?;
    // Listing needs read permission, opening the files in it search permission.
    let meta = std::fs::metadata(log.path().join(".")).map_err(|e| {
        CliError::io(
            format!(
                "cannot open files in the directory {}",
                log.path().display()
            ),
            e,
        )
    })?;
    let segments = log.segments()?;
    let has_meta = log.kind(walogs_core::META_FILENAME)?.is_some();
    if segments.is_empty() && !has_meta {
        return Err(CliError::NoLog {
            dir: dir.to_path_buf(),
        });
    }
    Ok(WalDir {
        log,
        segments,
        has_meta,
        mode: meta.permissions().mode() & 0o7777,
    })
}

/// Open the log in `dir` read-only (no lock, nothing changed on disk), salvaging mid-log
/// damage in the last segment when `salvage` is set (in memory only). The core reads until
/// two readings agree, so a live writer's appends are never taken for damage. Costs one
/// full read of the log.
pub fn open_read_only(dir: &Path, salvage: bool) -> Result<Wal, WalError> {
    WalOptions::new().read_only(true).salvage(salvage).open(dir)
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
        // The core's file system errors name their file already.
        Err(e) if IoAt::of(&e).is_some() || UnsafeFile::of(&e).is_some() => {
            LockState::Unknown(format!("cannot check the lock: {e}"))
        }
        Err(e) => LockState::Unknown(format!(
            "cannot check the lock file {}: {e}",
            dir.join(walogs_core::LOCK_FILENAME).display()
        )),
    }
}

/// The permission bits of one file walogs keeps in the directory.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FileMode {
    /// The file name.
    pub name: String,
    /// Its permission bits, in octal (`"0600"`).
    pub mode: String,
}

/// Who besides the owner may read or write the directory and its files.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Exposure {
    /// The directory's permission bits, in octal (`"0755"`).
    pub mode: String,
    /// Every user may write the directory (`o+w`).
    pub others_can_write: bool,
    /// Members of the directory's group may write it (`g+w`).
    pub group_can_write: bool,
    /// The permission bits of every regular file walogs keeps there (segments,
    /// `walogs.meta`, `walogs.lock`, `walogs.user`).
    pub files: Vec<FileMode>,
    /// Those files every user may write.
    pub files_others_can_write: Vec<String>,
}

impl Exposure {
    /// Read the permission bits of the directory and of its log files (links and other
    /// entries that are not regular files are left out). Costs one `lstat` per file.
    pub fn of(wal: &WalDir) -> Exposure {
        let names = wal.segments.iter().map(|s| s.name.as_str()).chain([
            walogs_core::META_FILENAME,
            walogs_core::LOCK_FILENAME,
            walogs_core::USER_DATA_FILENAME,
        ]);
        let modes: Vec<(String, u32)> = names
            .filter_map(|n| {
                let m = std::fs::symlink_metadata(wal.log.join(n)).ok()?;
                m.is_file()
                    .then(|| (n.to_string(), m.permissions().mode() & 0o7777))
            })
            .collect();
        Exposure {
            mode: format!("{:04o}", wal.mode),
            others_can_write: wal.mode & 0o002 != 0,
            group_can_write: wal.mode & 0o020 != 0,
            files_others_can_write: modes
                .iter()
                .filter(|(_, m)| m & 0o002 != 0)
                .map(|(n, _)| n.clone())
                .collect(),
            files: modes
                .into_iter()
                .map(|(name, m)| FileMode {
                    name,
                    mode: format!("{m:04o}"),
                })
                .collect(),
        }
    }

    /// The file modes for people: `0600 (all 5 files)`, or each mode with its files.
    pub fn file_modes_text(&self) -> String {
        let mut by_mode: Vec<(&str, Vec<&str>)> = Vec::new();
        for f in &self.files {
            match by_mode.iter_mut().find(|(m, _)| *m == f.mode) {
                Some((_, names)) => names.push(&f.name),
                None => by_mode.push((&f.mode, vec![&f.name])),
            }
        }
        match by_mode.as_slice() {
            [] => "no files".to_string(),
            [(mode, names)] if names.len() == 1 => format!("{mode} ({})", names[0]),
            [(mode, names)] => format!("{mode} (all {} files)", names.len()),
            _ => by_mode
                .iter()
                .map(|(mode, names)| format!("{mode}: {}", names.join(", ")))
                .collect::<Vec<_>>()
                .join("; "),
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
        let x = Exposure::of(&w);
        assert_eq!(x.mode, "0700");
        assert!(x.warnings(d.path()).is_empty());
        mode(d.path(), 0o1777);
        let w = open(d.path()).unwrap();
        let x = Exposure::of(&w);
        assert!(x.others_can_write && x.group_can_write);
        assert_eq!(x.mode, "1777");
        assert!(x.warnings(d.path())[0].contains("every user"));
        mode(d.path(), 0o770);
        let w = open(d.path()).unwrap();
        assert!(Exposure::of(&w).warnings(d.path())[0].contains("its group"));
        mode(d.path(), 0o700);
    }

    #[test]
    fn the_modes_of_the_log_files_are_listed() {
        let d = tempfile::tempdir().unwrap();
        let mut wal = WalOptions::new().open(d.path()).unwrap();
        wal.append(b"x").unwrap();
        wal.close().unwrap();
        let x = Exposure::of(&open(d.path()).unwrap());
        let names: Vec<&str> = x.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["wal-000001.log", "walogs.lock"]);
        assert!(x.files.iter().all(|f| f.mode == "0600"), "{x:?}");
        assert_eq!(x.file_modes_text(), "0600 (all 2 files)");
        mode(&d.path().join("walogs.lock"), 0o646);
        let x = Exposure::of(&open(d.path()).unwrap());
        assert_eq!(x.files_others_can_write, ["walogs.lock"]);
        assert_eq!(
            x.file_modes_text(),
            "0600: wal-000001.log; 0646: walogs.lock"
        );
    }
}
