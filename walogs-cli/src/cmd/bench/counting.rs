//! A [`FileSystem`] that passes every call to the real one ([`OsFs`]) and counts
//! `fdatasync`s, so the benchmark can report how many entries each sync carried (the
//! measure of group commit). Costs one atomic increment per sync.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use walogs_core::vfs::{FileSystem, FsFile, OpenMode, OsFs};

/// The real file system, counting data syncs.
#[derive(Debug, Default)]
pub struct CountingFs {
    syncs: Arc<AtomicU64>,
}

impl CountingFs {
    /// A counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// `fdatasync`s issued so far through files opened here.
    pub fn syncs(&self) -> u64 {
        self.syncs.load(Ordering::Relaxed)
    }
}

#[derive(Debug)]
struct CountingFile {
    inner: Box<dyn FsFile>,
    syncs: Arc<AtomicU64>,
}

impl FsFile for CountingFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.inner.read_at(buf, offset)
    }
    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.inner.write_all_at(buf, offset)
    }
    fn sync_data(&self) -> io::Result<()> {
        self.syncs.fetch_add(1, Ordering::Relaxed);
        self.inner.sync_data()
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.inner.set_len(len)
    }
    fn len(&self) -> io::Result<u64> {
        self.inner.len()
    }
    fn allocate(&self, len: u64) -> io::Result<()> {
        self.inner.allocate(len)
    }
    fn try_lock(&self) -> io::Result<bool> {
        self.inner.try_lock()
    }
}

impl FileSystem for CountingFs {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn FsFile>> {
        Ok(Box::new(CountingFile {
            inner: OsFs.open(path, mode)?,
            syncs: self.syncs.clone(),
        }))
    }
    fn read_dir(&self, dir: &Path) -> io::Result<Vec<String>> {
        OsFs.read_dir(dir)
    }
    fn create_dir(&self, path: &Path) -> io::Result<()> {
        OsFs.create_dir(path)
    }
    fn kind(&self, path: &Path) -> io::Result<Option<bool>> {
        OsFs.kind(path)
    }
    fn is_read_only(&self, path: &Path) -> io::Result<bool> {
        OsFs.is_read_only(path)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        OsFs.rename(from, to)
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        OsFs.remove_file(path)
    }
    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        OsFs.sync_dir(dir)
    }
}
