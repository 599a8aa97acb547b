//! The file-system seam: every byte walogs reads or writes goes through these traits.
//!
//! [`FileSystem`] opens the WAL directory once and hands back a [`Dir`]; every later operation
//! (opening, listing, renaming and removing files, syncing the directory) goes through that
//! handle by file *name*, so a WAL keeps working on the directory it opened even if the
//! process changes its working directory or the path is later replaced.
//!
//! [`OsFs`] is the real implementation: the directory is held open as a descriptor and files
//! are opened relative to it without following symbolic links and without blocking; anything
//! that is not a regular file is refused ([`UnsafeFile`]). Tests substitute a simulated file
//! system (see the `walogs-sim` crate) that models what a disk keeps across a power loss, and
//! inject failures, so that the real recovery and write paths are what gets tested.
//!
//! Wrappers (fault injectors, counters) implement the same traits and forward to an inner
//! implementation; the methods with defaults need not be forwarded.

mod os;

use std::fmt::{self, Debug};
use std::io;
use std::path::{Path, PathBuf};

pub use os::OsFs;

/// How [`Dir::open`] opens a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Read only; the file must exist.
    Read,
    /// Read and write; the file must exist.
    ReadWrite,
    /// Read and write; the file must not exist yet. It is created empty, with exactly these
    /// permission bits (the process umask does not apply).
    CreateNew {
        /// Permission bits, e.g. `0o600`.
        mode: u32,
    },
}

impl OpenMode {
    /// Whether the file is opened for writing.
    pub fn writes(self) -> bool {
        !matches!(self, OpenMode::Read)
    }
}

/// What a directory entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryKind {
    /// A regular file: the only kind walogs reads or writes.
    Regular,
    /// A directory.
    Directory,
    /// A symbolic link (never followed inside the WAL directory).
    Symlink,
    /// A named pipe.
    Fifo,
    /// A Unix socket.
    Socket,
    /// A character device.
    CharDevice,
    /// A block device.
    BlockDevice,
    /// Something else.
    Other,
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EntryKind::Regular => "a regular file",
            EntryKind::Directory => "a directory",
            EntryKind::Symlink => "a symbolic link",
            EntryKind::Fifo => "a named pipe (FIFO)",
            EntryKind::Socket => "a socket",
            EntryKind::CharDevice => "a character device",
            EntryKind::BlockDevice => "a block device",
            EntryKind::Other => "not a regular file",
        })
    }
}

/// Why a file inside the WAL directory was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileProblem {
    /// The entry is not a regular file (a symbolic link, a FIFO, a device, ...).
    NotRegular(EntryKind),
    /// A file walogs would write has more than one hard link: writing or truncating it would
    /// change a file elsewhere too.
    HardLinked {
        /// The link count found.
        links: u64,
    },
}

impl fmt::Display for FileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileProblem::NotRegular(kind) => write!(
                f,
                "it is {kind}, not a regular file (walogs never follows links or opens special files inside the WAL directory)"
            ),
            FileProblem::HardLinked { links } => write!(
                f,
                "it has {links} hard links, so writing it would also change another file"
            ),
        }
    }
}

/// The error payload a [`Dir`] returns (inside an [`io::Error`] of kind `InvalidInput`) when
/// it refuses an entry; walogs turns it into `WalError::UnsafeFile`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsafeFile {
    /// The entry (the directory's path joined with its name).
    pub path: PathBuf,
    /// What is wrong with it.
    pub problem: FileProblem,
}

impl fmt::Display for UnsafeFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "refusing {}: {}", self.path.display(), self.problem)
    }
}

impl std::error::Error for UnsafeFile {}

impl UnsafeFile {
    /// Wrap into the `io::Error` a [`Dir`] returns.
    pub fn into_io(self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidInput, self)
    }

    /// The payload of an `io::Error` made by [`UnsafeFile::into_io`], if it is one.
    pub fn of(e: &io::Error) -> Option<&UnsafeFile> {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<UnsafeFile>())
    }
}

/// An I/O error with the operation and the file it happened on: what [`OsFs`] returns (inside
/// an [`io::Error`] of the same kind), so that every message names its file. The OS error
/// number stays reachable through [`IoAt::errno_of`].
#[derive(Debug)]
pub struct IoAt {
    /// What was being done ("open", "read", "write", "fdatasync", ...).
    pub op: &'static str,
    /// The file or directory.
    pub path: PathBuf,
    /// The error the OS returned.
    pub source: io::Error,
}

impl fmt::Display for IoAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.op, self.path.display(), self.source)
    }
}

impl std::error::Error for IoAt {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

impl IoAt {
    /// Wrap `source` (keeping its kind) with the operation and path.
    pub fn wrap(op: &'static str, path: PathBuf, source: io::Error) -> io::Error {
        if UnsafeFile::of(&source).is_some() || IoAt::of(&source).is_some() {
            return source;
        }
        io::Error::new(source.kind(), IoAt { op, path, source })
    }

    /// The payload of an `io::Error` made by [`IoAt::wrap`], if it is one.
    pub fn of(e: &io::Error) -> Option<&IoAt> {
        e.get_ref().and_then(|inner| inner.downcast_ref::<IoAt>())
    }

    /// The OS error number of `e`, looking inside an [`IoAt`].
    pub fn errno_of(e: &io::Error) -> Option<i32> {
        e.raw_os_error()
            .or_else(|| IoAt::of(e).and_then(|at| at.source.raw_os_error()))
    }
}

/// One open file.
#[allow(clippy::len_without_is_empty)]
pub trait FsFile: Send + Sync + Debug {
    /// Read up to `buf.len()` bytes at `offset`; `Ok(0)` at end of file.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
    /// Write all of `buf` at `offset` (may write a prefix before failing).
    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()>;
    /// `fdatasync`: make written data (and the size) durable.
    fn sync_data(&self) -> io::Result<()>;
    /// Set the file length (truncate or extend with zeros).
    fn set_len(&self, len: u64) -> io::Result<()>;
    /// Current file length.
    fn len(&self) -> io::Result<u64>;
    /// Make sure the file is at least `len` bytes long with the blocks allocated and the
    /// new bytes reading as zeros, so that later writes up to `len` need no allocation.
    /// Nothing is synced here; the next `sync_data` makes the new length durable.
    fn allocate(&self, len: u64) -> io::Result<()>;
    /// Take an exclusive, non-blocking advisory lock on this file. `Ok(false)` when
    /// another open file description holds it.
    fn try_lock(&self) -> io::Result<bool>;
    /// Ask the kernel to start writing `len` bytes from `offset` back to the device, without
    /// waiting for it (`sync_file_range(SYNC_FILE_RANGE_WRITE)`). A hint only: it makes
    /// nothing durable (only `sync_data` does) and its failure changes nothing, so the default
    /// does nothing. Writers with relaxed durability call it as they go, so that the
    /// fdatasync of a full segment at rotation finds most of it already written.
    fn start_writeback(&self, offset: u64, len: u64) -> io::Result<()> {
        let _ = (offset, len);
        Ok(())
    }
    /// Tell the kernel this file is about to be read from start to end once
    /// (`posix_fadvise(POSIX_FADV_SEQUENTIAL)`: a larger read-ahead window). A hint only:
    /// its failure changes nothing, so the default does nothing. Recovery calls it on the
    /// descriptor it scans a segment through, which no other reader shares.
    fn advise_sequential(&self) -> io::Result<()> {
        Ok(())
    }
    /// The first offset at or after `offset` that may hold data (skipping holes of a sparse
    /// file), or `None` when only holes follow. The default says every byte may hold data;
    /// it is an optimisation only (recovery uses it to skip the holes of a huge sparse file).
    fn next_data(&self, offset: u64) -> io::Result<Option<u64>> {
        Ok(Some(offset))
    }
}

/// An open directory: every operation walogs makes inside the WAL directory.
///
/// Names are single path components (no `/`). Implementations must not follow a symbolic
/// link named by [`Dir::open`], and must refuse (with [`UnsafeFile`]) an entry that is not a
/// regular file, and a file opened for writing that has more than one hard link.
pub trait Dir: Send + Sync + Debug {
    /// The directory's path as resolved at open (absolute where the file system knows it);
    /// used in messages only.
    fn path(&self) -> &Path;
    /// Open (or create, per `mode`) the regular file `name`.
    fn open(&self, name: &str, mode: OpenMode) -> io::Result<Box<dyn FsFile>>;
    /// Names of the entries (files of every kind), in no particular order. Names that are
    /// not valid UTF-8 are left out (walogs never creates one).
    fn list(&self) -> io::Result<Vec<String>>;
    /// What `name` is, without following a link; `Ok(None)` when it does not exist.
    fn kind(&self, name: &str) -> io::Result<Option<EntryKind>>;
    /// Atomically rename the entry `from` to `to` (replacing `to`), within this directory.
    fn rename(&self, from: &str, to: &str) -> io::Result<()>;
    /// Remove the entry `name` (the entry itself, never what a link points to).
    fn remove(&self, name: &str) -> io::Result<()>;
    /// `fsync` the directory, making its entries (creates, renames, removes) durable.
    fn sync(&self) -> io::Result<()>;
    /// Whether files of this directory may be read from several threads at once (recovery
    /// then verifies segments in parallel). The default says no, which keeps a simulated file
    /// system's sequence of calls reproducible.
    fn parallel_reads(&self) -> bool {
        false
    }
}

/// Path-level operations: finding or creating the WAL directory, and opening it.
pub trait FileSystem: Send + Sync + Debug {
    /// Open the directory at `path` (following symbolic links in the path, the last component
    /// included: the WAL directory may itself be a link). Every later operation goes through
    /// the returned handle.
    fn open_dir(&self, path: &Path) -> io::Result<Box<dyn Dir>>;
    /// `Ok(Some(is_dir))` when the path exists, `Ok(None)` when it does not.
    fn kind(&self, path: &Path) -> io::Result<Option<bool>>;
    /// Create one directory (its parent exists) with exactly these permission bits, plus the
    /// set-group-ID bit when a set-group-ID parent gives it one.
    fn create_dir(&self, path: &Path, mode: u32) -> io::Result<()>;
    /// `fsync` the directory at `path` (used for the parents of a directory walogs created).
    fn sync_dir(&self, path: &Path) -> io::Result<()>;
}

/// Read exactly `buf.len()` bytes at `offset`, or report how many were available.
pub(crate) fn read_full_at(file: &dyn FsFile, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], offset + done as u64)? {
            0 => break,
            n => done += n,
        }
    }
    Ok(done)
}
