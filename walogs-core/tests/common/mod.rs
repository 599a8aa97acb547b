//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use walogs_core::vfs::{FileSystem, FsFile, OpenMode, OsFs};
use walogs_core::{Lsn, Wal, WalConfig, WalIter};

pub fn collect(it: WalIter) -> Vec<(Lsn, Vec<u8>)> {
    it.map(|r| r.expect("iteration error")).collect()
}

pub fn lsns(wal: &Wal) -> Vec<u64> {
    collect(wal.iter()).iter().map(|(l, _)| l.0).collect()
}

pub fn no_rotation() -> WalConfig {
    WalConfig {
        max_segment_size: None,
    }
}

pub fn seg(dir: &Path, n: u64) -> PathBuf {
    dir.join(walogs_core::segment::segment_filename(n))
}

pub fn flip_byte(path: &Path, offset: u64) {
    let mut b = fs::read(path).unwrap();
    b[offset as usize] ^= 0xFF;
    fs::write(path, b).unwrap();
}

pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

pub fn file_len(path: &Path) -> u64 {
    fs::metadata(path).unwrap().len()
}

/// Which call a [`FaultFs`] fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `sync_data` of a file.
    SyncData,
    /// `write_all_at`: writes half the buffer, then fails with ENOSPC.
    ShortWrite,
    /// `sync_dir`.
    SyncDir,
    /// `allocate`: extends the file half of the way with zeros, then fails with ENOSPC.
    AllocatePartway,
}

/// The real file system, failing the n-th call of one kind (counted from 1; 0 = never).
#[derive(Debug)]
pub struct FaultFs {
    pub kind: Fault,
    pub countdown: Arc<AtomicI64>,
}

impl FaultFs {
    pub fn new(kind: Fault) -> (Arc<FaultFs>, Arc<AtomicI64>) {
        let c = Arc::new(AtomicI64::new(0));
        (
            Arc::new(FaultFs {
                kind,
                countdown: c.clone(),
            }),
            c,
        )
    }
}

fn hit(c: &AtomicI64) -> bool {
    // countdown > 0: decrement; fail when it reaches 0 from 1.
    let prev = c.fetch_sub(1, Ordering::SeqCst);
    if prev <= 0 {
        c.store(0, Ordering::SeqCst);
    }
    prev == 1
}

#[derive(Debug)]
struct FaultFile {
    inner: Box<dyn FsFile>,
    kind: Fault,
    countdown: Arc<AtomicI64>,
}

impl FsFile for FaultFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.inner.read_at(buf, offset)
    }
    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        if self.kind == Fault::ShortWrite && hit(&self.countdown) {
            self.inner.write_all_at(&buf[..buf.len() / 2], offset)?;
            return Err(io::Error::from_raw_os_error(28)); // ENOSPC
        }
        self.inner.write_all_at(buf, offset)
    }
    fn sync_data(&self) -> io::Result<()> {
        if self.kind == Fault::SyncData && hit(&self.countdown) {
            return Err(io::Error::from_raw_os_error(5)); // EIO
        }
        self.inner.sync_data()
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.inner.set_len(len)
    }
    fn len(&self) -> io::Result<u64> {
        self.inner.len()
    }
    fn allocate(&self, len: u64) -> io::Result<()> {
        if self.kind == Fault::AllocatePartway && hit(&self.countdown) {
            let cur = self.inner.len()?;
            self.inner.set_len(cur + len.saturating_sub(cur) / 2)?;
            return Err(io::Error::from_raw_os_error(28)); // ENOSPC
        }
        self.inner.allocate(len)
    }
    fn try_lock(&self) -> io::Result<bool> {
        self.inner.try_lock()
    }
}

impl FileSystem for FaultFs {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn FsFile>> {
        Ok(Box::new(FaultFile {
            inner: OsFs.open(path, mode)?,
            kind: self.kind,
            countdown: self.countdown.clone(),
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
        if self.kind == Fault::SyncDir && hit(&self.countdown) {
            return Err(io::Error::from_raw_os_error(5));
        }
        OsFs.sync_dir(dir)
    }
}
