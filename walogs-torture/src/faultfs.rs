//! The real file system with faults that can be switched on, through walogs-core's I/O seam:
//! for minimal reproductions of core bugs (`tests/core_findings.rs` and the checks of
//! [`crate::known`]), where a whole shim sweep would be too much.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use walogs_core::vfs::{FileSystem, FsFile, OpenMode, OsFs};

/// Which calls fail. Counters are shared with every file opened, so a test can arm a fault
/// after the WAL is open.
#[derive(Debug, Default, Clone)]
pub struct Faults {
    /// Every `sync_data` of `walogs.meta.tmp` fails with EIO.
    pub meta_sync: bool,
    /// The next this many `allocate` calls fail with ENOSPC.
    pub allocate_failures: Arc<AtomicU32>,
    /// The next this many `sync_data` calls of a segment file fail with EIO.
    pub segment_sync_failures: Arc<AtomicU32>,
}

/// `OsFs` with [`Faults`].
#[derive(Debug, Default)]
pub struct FaultFs(pub Faults);

#[derive(Debug)]
struct FaultFile {
    inner: Box<dyn FsFile>,
    meta: bool,
    segment: bool,
    faults: Faults,
}

/// Take one from `counter` if it is above zero; whether one was taken.
fn take(counter: &AtomicU32) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

impl FsFile for FaultFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.inner.read_at(buf, offset)
    }
    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.inner.write_all_at(buf, offset)
    }
    fn sync_data(&self) -> io::Result<()> {
        if self.meta && self.faults.meta_sync
            || self.segment && take(&self.faults.segment_sync_failures)
        {
            return Err(io::Error::from_raw_os_error(5));
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
        if take(&self.faults.allocate_failures) {
            return Err(io::Error::from_raw_os_error(28));
        }
        self.inner.allocate(len)
    }
    fn try_lock(&self) -> io::Result<bool> {
        self.inner.try_lock()
    }
}

impl FileSystem for FaultFs {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn FsFile>> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Box::new(FaultFile {
            inner: OsFs.open(path, mode)?,
            meta: name == "walogs.meta.tmp",
            segment: walogs_core::segment::parse_segment_filename(&name).is_some(),
            faults: self.0.clone(),
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
