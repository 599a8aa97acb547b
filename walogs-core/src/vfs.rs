//! The file-system seam: every byte walogs reads or writes goes through these two traits.
//!
//! [`OsFs`] is the real implementation (plain POSIX calls). Tests substitute a simulated file
//! system (see the `walogs-sim` crate) that models what a disk keeps across a power loss, and
//! inject failures, so that the real recovery and write paths are what gets tested.

use std::fmt::Debug;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// How [`FileSystem::open`] opens a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Read only; the file must exist.
    Read,
    /// Read and write; the file must exist.
    ReadWrite,
    /// Read and write; the file must not exist yet (it is created, empty).
    CreateNew,
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
}

/// Directory-level operations.
pub trait FileSystem: Send + Sync + Debug {
    /// Open (or create, per `mode`) a file.
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn FsFile>>;
    /// Names of the entries of a directory.
    fn read_dir(&self, dir: &Path) -> io::Result<Vec<String>>;
    /// Create one directory (its parent exists).
    fn create_dir(&self, path: &Path) -> io::Result<()>;
    /// `Ok(Some(is_dir))` when the path exists, `Ok(None)` when it does not.
    fn kind(&self, path: &Path) -> io::Result<Option<bool>>;
    /// Whether the file's permission bits forbid writing.
    fn is_read_only(&self, path: &Path) -> io::Result<bool>;
    /// Atomically rename a file within a directory.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Remove a file.
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    /// `fsync` a directory, making its entries (creates, renames, removes) durable.
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
}

/// The real file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsFs;

#[derive(Debug)]
struct OsFile(File);

impl FsFile for OsFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        loop {
            match self.0.read_at(buf, offset) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return r,
            }
        }
    }
    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.0.write_all_at(buf, offset)
    }
    fn sync_data(&self) -> io::Result<()> {
        self.0.sync_data()
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.0.set_len(len)
    }
    fn len(&self) -> io::Result<u64> {
        Ok(self.0.metadata()?.len())
    }
    /// Reserves the blocks with `fallocate` (so a lack of space shows here, not in the
    /// middle of a frame), then writes zeros over the new range. The zeros matter for speed:
    /// ext4 and XFS keep `fallocate`d blocks as "unwritten" extents, and every fdatasync that
    /// lands in one must also commit the extent conversion to the journal; blocks already
    /// written with zeros are plain overwrites (measured on ext4 here: 4 KiB append +
    /// fdatasync 113 us into zero-filled space vs 178 us into `fallocate`d space). Costs one
    /// `fstat`, one `fallocate` and `ceil(added / 256 KiB)` `pwrite`s of zeros.
    fn allocate(&self, len: u64) -> io::Result<()> {
        let cur = self.len()?;
        if cur >= len {
            return Ok(());
        }
        match rustix::fs::fallocate(&self.0, rustix::fs::FallocateFlags::empty(), cur, len - cur) {
            Ok(()) => {}
            // File systems without fallocate: the zeros below extend the file.
            Err(e) if e == rustix::io::Errno::OPNOTSUPP => {}
            Err(e) => return Err(e.into()),
        }
        static ZEROS: [u8; 256 * 1024] = [0; 256 * 1024];
        let mut off = cur;
        while off < len {
            let n = (len - off).min(ZEROS.len() as u64) as usize;
            self.0.write_all_at(&ZEROS[..n], off)?;
            off += n as u64;
        }
        Ok(())
    }
    fn try_lock(&self) -> io::Result<bool> {
        match self.0.try_lock() {
            Ok(()) => Ok(true),
            Err(std::fs::TryLockError::WouldBlock) => Ok(false),
            Err(std::fs::TryLockError::Error(e)) => Err(e),
        }
    }
}

impl FileSystem for OsFs {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn FsFile>> {
        let mut o = OpenOptions::new();
        match mode {
            OpenMode::Read => o.read(true),
            OpenMode::ReadWrite => o.read(true).write(true),
            OpenMode::CreateNew => o.read(true).write(true).create_new(true),
        };
        Ok(Box::new(OsFile(o.open(path)?)))
    }
    fn read_dir(&self, dir: &Path) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            if let Ok(name) = entry?.file_name().into_string() {
                names.push(name);
            }
        }
        Ok(names)
    }
    fn create_dir(&self, path: &Path) -> io::Result<()> {
        std::fs::create_dir(path)
    }
    fn kind(&self, path: &Path) -> io::Result<Option<bool>> {
        match std::fs::metadata(path) {
            Ok(m) => Ok(Some(m.is_dir())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
    fn is_read_only(&self, path: &Path) -> io::Result<bool> {
        Ok(std::fs::metadata(path)?.permissions().readonly())
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }
    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        File::open(dir)?.sync_all()
    }
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
