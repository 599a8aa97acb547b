//! A [`FileSystem`] that passes every call to the real one ([`OsFs`]) and counts
//! `fdatasync`s, so the benchmark can report how many entries each sync carried (the
//! measure of group commit). Costs one atomic increment per sync.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use walogs_core::vfs::{Dir, EntryKind, FileSystem, FsFile, OpenMode, OsFs};

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
    fn open_dir(&self, path: &Path) -> io::Result<Box<dyn Dir>> {
        Ok(Box::new(CountingDir {
            inner: OsFs.open_dir(path)?,
            syncs: self.syncs.clone(),
        }))
    }
    fn kind(&self, path: &Path) -> io::Result<Option<bool>> {
        OsFs.kind(path)
    }
    fn create_dir(&self, path: &Path, mode: u32) -> io::Result<()> {
        OsFs.create_dir(path, mode)
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        OsFs.sync_dir(path)
    }
}

/// The real directory, handing out counting files.
#[derive(Debug)]
struct CountingDir {
    inner: Box<dyn Dir>,
    syncs: Arc<AtomicU64>,
}

impl Dir for CountingDir {
    fn path(&self) -> &Path {
        self.inner.path()
    }
    fn open(&self, name: &str, mode: OpenMode) -> io::Result<Box<dyn FsFile>> {
        Ok(Box::new(CountingFile {
            inner: self.inner.open(name, mode)?,
            syncs: self.syncs.clone(),
        }))
    }
    fn list(&self) -> io::Result<Vec<String>> {
        self.inner.list()
    }
    fn kind(&self, name: &str) -> io::Result<Option<EntryKind>> {
        self.inner.kind(name)
    }
    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        self.inner.rename(from, to)
    }
    fn remove(&self, name: &str) -> io::Result<()> {
        self.inner.remove(name)
    }
    fn sync(&self) -> io::Result<()> {
        self.inner.sync()
    }
}
