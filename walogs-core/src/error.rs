//! The one error type of walogs, and damage described as data.

use std::fmt;
use std::io;
use std::ops::Deref;
use std::path::PathBuf;

use crate::types::Lsn;
use crate::vfs::{FileProblem, IoAt, UnsafeFile};

/// Errors returned by every walogs operation.
///
/// The first three variants are those of the published `walogs` 0.1 crate and keep their
/// shape and `Display` text; the others are failure kinds 0.1 did not detect. More variants
/// may be added: match with a wildcard arm.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WalError {
    /// An operating-system I/O error (disk full, permission denied, hardware fault, ...).
    /// [`WalError::errno`] gives its error number.
    ///
    /// A failed write or sync also poisons the handle: later mutating calls return
    /// [`WalError::Poisoned`].
    #[error("io error: {0}")]
    Io(io::Error),

    /// An entry (or an atomic batch) is larger than the format allows. Nothing was written.
    #[error("entry too large: {size} bytes, max is {max}")]
    EntryTooLarge {
        /// Size of the rejected entry or batch, in bytes.
        size: usize,
        /// The limit it exceeded ([`crate::MAX_ENTRY_SIZE`] or [`crate::MAX_BATCH_SIZE`]).
        max: usize,
    },

    /// The directory holds damage walogs will not repair silently: a bad frame in a completed
    /// segment, a bad frame followed by valid ones, an LSN discontinuity, a gap in segment
    /// numbers, a damaged metadata file. `reason` is a [`Damage`]: what kind, in which file,
    /// at which offset, which LSNs are around it (and, as text, a sentence saying so).
    #[error("wal corrupt: {reason}")]
    Corrupt {
        /// What is damaged and where (boxed: damage is rare, the error stays small).
        /// Dereferences to the message text (as the `String` of walogs 0.1 did); read its
        /// fields rather than parsing the text.
        reason: Box<Damage>,
    },

    /// Another handle (in this process or another one) holds the directory's write lock.
    #[error("wal locked: {} is already open for writing by another handle", path.display())]
    Locked {
        /// The WAL directory.
        path: PathBuf,
    },

    /// An earlier write or sync failed, so what is on disk is unknown. Every mutating call
    /// fails with this error until the WAL is reopened (which re-reads what is really on disk).
    #[error("wal poisoned by an earlier failure ({reason}); reopen the WAL")]
    Poisoned {
        /// What failed first.
        reason: String,
    },

    /// A mutating call was made on a handle opened read-only.
    #[error("wal is open read-only")]
    ReadOnly,

    /// The handle was closed.
    #[error("wal is closed")]
    Closed,

    /// A read or truncate named an LSN outside the entries the WAL holds.
    #[error(
        "lsn {lsn} out of range: the wal holds lsn {first} up to but not including {next} (the next append gets {next})"
    )]
    LsnOutOfRange {
        /// The LSN asked for.
        lsn: u64,
        /// The oldest LSN still kept (equal to `next` when the WAL is empty).
        first: u64,
        /// The LSN the next append will get.
        next: u64,
    },

    /// An argument the operation cannot accept (an empty batch, a zero sync interval, ...).
    /// Nothing was changed.
    #[error("invalid argument: {reason}")]
    InvalidArgument {
        /// What was wrong.
        reason: String,
    },

    /// The handle was opened by another process: this process is a `fork` of it. Nothing
    /// was done (not even by `close` or drop, which leave the parent's log alone). Open the
    /// WAL anew in this process (after the parent closed it) to use it here.
    #[error(
        "this wal handle belongs to process {opened_by}; it was inherited across fork() and cannot be used here (nothing was done)"
    )]
    Forked {
        /// Process id of the process that opened the handle.
        opened_by: u32,
    },

    /// `wait_durable` gave up: `lsn` was not durable within the timeout (it still may become
    /// durable later).
    #[error("lsn {lsn} was not durable within the timeout (durable lsn is {durable})")]
    Timeout {
        /// The LSN waited for.
        lsn: u64,
        /// The durable LSN when the wait ended.
        durable: u64,
    },

    /// A file inside the WAL directory is not something walogs will touch: a symbolic link,
    /// a FIFO, a socket, a device or a directory under a walogs file name, or a file it would
    /// write that has other hard links. Nothing was read from, written to or removed through
    /// it.
    #[error("refusing {}: {problem}", path.display())]
    UnsafeFile {
        /// The offending entry.
        path: PathBuf,
        /// What is wrong with it.
        problem: FileProblem,
    },
}

impl From<io::Error> for WalError {
    fn from(e: io::Error) -> Self {
        if let Some(u) = UnsafeFile::of(&e) {
            return WalError::UnsafeFile {
                path: u.path.clone(),
                problem: u.problem,
            };
        }
        WalError::Io(e)
    }
}

impl WalError {
    pub(crate) fn corrupt(damage: Damage) -> Self {
        WalError::Corrupt {
            reason: Box::new(damage),
        }
    }

    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        WalError::InvalidArgument {
            reason: reason.into(),
        }
    }

    /// The damage, for [`WalError::Corrupt`].
    pub fn damage(&self) -> Option<&Damage> {
        match self {
            WalError::Corrupt { reason } => Some(reason),
            _ => None,
        }
    }

    /// The file or directory an [`WalError::Io`] error happened on, when the file system
    /// said (the real one always does).
    pub fn io_path(&self) -> Option<&std::path::Path> {
        match self {
            WalError::Io(e) => IoAt::of(e).map(|at| at.path.as_path()),
            _ => None,
        }
    }

    /// The operating-system error number of an [`WalError::Io`] error: the number the OS
    /// returned, or, for the few I/O errors walogs builds itself (which carry only an
    /// [`io::ErrorKind`]), the number that kind stands for. `None` for every other variant.
    /// This is the one errno table of walogs: the C, Python and Go surfaces report this
    /// number.
    pub fn errno(&self) -> Option<i32> {
        match self {
            WalError::Io(e) => errno_of(e),
            _ => None,
        }
    }
}

/// The errno an `io::Error` stands for; `None` for kinds without one.
fn errno_of(e: &io::Error) -> Option<i32> {
    if let Some(n) = IoAt::errno_of(e) {
        return Some(n);
    }
    use io::ErrorKind as K;
    Some(match e.kind() {
        K::NotFound => libc::ENOENT,
        K::PermissionDenied => libc::EACCES,
        K::AlreadyExists => libc::EEXIST,
        K::NotADirectory => libc::ENOTDIR,
        K::IsADirectory => libc::EISDIR,
        K::DirectoryNotEmpty => libc::ENOTEMPTY,
        K::StorageFull => libc::ENOSPC,
        K::QuotaExceeded => libc::EDQUOT,
        K::ReadOnlyFilesystem => libc::EROFS,
        K::FileTooLarge => libc::EFBIG,
        K::Interrupted => libc::EINTR,
        K::InvalidInput => libc::EINVAL,
        K::WouldBlock => libc::EAGAIN,
        K::TimedOut => libc::ETIMEDOUT,
        K::Unsupported => libc::EOPNOTSUPP,
        K::OutOfMemory => libc::ENOMEM,
        K::UnexpectedEof | K::InvalidData => libc::EIO,
        _ => return None,
    })
}

/// What kind of damage recovery (or a reader) found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DamageKind {
    /// A frame of a completed (not the newest) segment fails its checks.
    CompletedSegment,
    /// A bad frame in the newest segment is followed by valid frames: not a torn write.
    /// `salvage` cuts it (losing the frames after it).
    MidLog,
    /// Consecutive frames do not carry consecutive LSNs.
    LsnDiscontinuity,
    /// Segment numbers are not contiguous (a segment file is missing).
    SegmentGap,
    /// A completed segment holds no frame.
    EmptyCompletedSegment,
    /// `walogs.meta` records a seal the segments do not match (a completed segment's tail was
    /// cut, or segments are missing).
    SealMismatch,
    /// A segment starts at or below an LSN `walogs.meta` records as sealed in an older one.
    BelowSeal,
    /// `walogs.meta` itself is damaged (size, magic, checksum, version, flags).
    Metadata,
    /// Both a v1 `wal.log` and segment files exist.
    MixedLayout,
    /// A reader found a frame that no longer matches what was verified when the WAL was
    /// opened (the file changed underneath).
    ChangedWhileReading,
    /// The user data file (`walogs.user`) holds no valid value.
    UserData,
}

impl DamageKind {
    /// Whether opening with `salvage` can cut this damage (only [`DamageKind::MidLog`]).
    pub fn salvageable(self) -> bool {
        matches!(self, DamageKind::MidLog)
    }
}

/// Damage as data: what, where, and which entries are around it. Its `Display` (and
/// `Deref<Target = String>`, kept so that code written for the `String` reason of walogs 0.1
/// compiles unchanged) is one sentence naming the file and byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Damage {
    /// What kind of damage.
    pub kind: DamageKind,
    /// The file holding it (a name inside the WAL directory), when one file is concerned.
    pub file: Option<String>,
    /// Byte offset of the damage in `file`.
    pub offset: Option<u64>,
    /// The last LSN known intact before the damage (`None`: none, or not known).
    pub last_good_lsn: Option<Lsn>,
    /// The first LSN of a valid frame found after the damage, if any.
    pub first_lsn_after: Option<Lsn>,
    /// Valid frames found after the damage (in the same file).
    pub frames_after: u64,
    message: String,
}

impl Damage {
    /// A description of damage of `kind`, with the sentence `message`; the builder methods
    /// below add where it is and which LSNs are around it. (walogs builds these itself; the
    /// constructor is public for tools and tests that report damage in the same shape.)
    pub fn new(kind: DamageKind, message: impl Into<String>) -> Damage {
        Damage {
            kind,
            file: None,
            offset: None,
            last_good_lsn: None,
            first_lsn_after: None,
            frames_after: 0,
            message: message.into(),
        }
    }

    /// The damage is in `file` at byte `offset`.
    pub fn at(mut self, file: &str, offset: u64) -> Damage {
        self.file = Some(file.to_string());
        self.offset = Some(offset);
        self
    }

    /// The damage concerns `file` (no particular offset).
    pub fn in_file(mut self, file: &str) -> Damage {
        self.file = Some(file.to_string());
        self
    }

    /// `lsn` is the last entry known intact before the damage (0: none).
    pub fn last_good(mut self, lsn: u64) -> Damage {
        self.last_good_lsn = (lsn > 0).then_some(Lsn(lsn));
        self
    }

    /// `frames` valid frames follow the damage, the first holding LSN `lsn`.
    pub fn followed_by(mut self, lsn: u64, frames: u64) -> Damage {
        self.first_lsn_after = Some(Lsn(lsn));
        self.frames_after = frames;
        self
    }

    /// The sentence describing the damage.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Deref for Damage {
    type Target = String;
    fn deref(&self) -> &String {
        &self.message
    }
}

impl PartialEq<str> for Damage {
    fn eq(&self, other: &str) -> bool {
        self.message == other
    }
}

impl PartialEq<&str> for Damage {
    fn eq(&self, other: &&str) -> bool {
        self.message == *other
    }
}
