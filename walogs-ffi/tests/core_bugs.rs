//! Regression tests for walogs-core bugs found while building the C ABI (fixed in the core:
//! a failed preallocation is no longer an error, and a failed group commit poisons the
//! handle instead of writing queued entries with shifted LSNs). Formerly `#[ignore]`d
//! because the fix belongs to the core (owned by the lead); run them with
//! `cargo test -p walogs-ffi --test core_bugs -- --ignored`.
//!
//! Bug: `SharedWal` treats a failed *preallocation* as poisoning. `LogWriter::write_frame`
//! returns a clean `Io` error when `fallocate` fails (nothing was written, the writer is not
//! poisoned, and `Wal` keeps working), but `SharedWal::write_group` sets
//! `queue.stopped = Poisoned("a group commit failed")` on any error and has already advanced
//! `queue.first_lsn`/`next_lsn` past the failed group. Consequences:
//! 1. every later append on the handle returns `Poisoned` although `is_poisoned()` is false;
//! 2. `next_lsn()` reports an LSN past the writer's real next LSN;
//! 3. an appender that queued its entry while the failing group was being written keeps its
//!    entry in the queue; when it leads, `write_group` writes it with the queue's advanced
//!    `first_lsn`, which no longer equals the writer's `next_lsn` (a debug assertion in
//!    `write_frame`; in release the entry is acknowledged with LSN n+1 while written right
//!    after LSN n-1, and the next open refuses the directory: `Corrupt`, LSN discontinuity).

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use walogs_core::vfs::{FileSystem, FsFile, OpenMode, OsFs};
use walogs_core::{Lsn, WalOptions};

/// The OS file system, except that `allocate` sleeps `delay_ms` and then fails with ENOSPC
/// while `fail` is non-zero.
#[derive(Debug, Default)]
struct FailingAllocate {
    fail: Arc<AtomicU64>,
    delay_ms: u64,
}

#[derive(Debug)]
struct File {
    inner: Box<dyn FsFile>,
    fail: Arc<AtomicU64>,
    delay_ms: u64,
}

impl FsFile for File {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.inner.read_at(buf, offset)
    }
    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.inner.write_all_at(buf, offset)
    }
    fn sync_data(&self) -> io::Result<()> {
        self.inner.sync_data()
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.inner.set_len(len)
    }
    fn len(&self) -> io::Result<u64> {
        self.inner.len()
    }
    fn allocate(&self, len: u64) -> io::Result<()> {
        if self.fail.load(Ordering::SeqCst) != 0 {
            std::thread::sleep(Duration::from_millis(self.delay_ms));
            return Err(io::Error::from_raw_os_error(28)); // ENOSPC
        }
        self.inner.allocate(len)
    }
    fn try_lock(&self) -> io::Result<bool> {
        self.inner.try_lock()
    }
}

impl FileSystem for FailingAllocate {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn FsFile>> {
        Ok(Box::new(File {
            inner: OsFs.open(path, mode)?,
            fail: self.fail.clone(),
            delay_ms: self.delay_ms,
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

#[test]
fn wal_keeps_working_after_a_failed_preallocation() {
    let tmp = tempfile::tempdir().unwrap();
    let fs = FailingAllocate::default();
    let fail = fs.fail.clone();
    let mut wal = WalOptions::new()
        .file_system(Arc::new(fs))
        .open(tmp.path().join("wal"))
        .unwrap();
    fail.store(1, Ordering::SeqCst);
    // Preallocation is an optimisation: the frame goes into unallocated space.
    assert_eq!(wal.append(b"x").unwrap(), Lsn(1));
    assert!(!wal.is_poisoned());
    fail.store(0, Ordering::SeqCst);
    assert_eq!(wal.append(b"y").unwrap(), Lsn(2));
}

#[test]
fn shared_wal_keeps_working_after_a_failed_preallocation() {
    let tmp = tempfile::tempdir().unwrap();
    let fs = FailingAllocate::default();
    let fail = fs.fail.clone();
    let wal = WalOptions::new()
        .file_system(Arc::new(fs))
        .open_shared(tmp.path().join("wal"))
        .unwrap();
    fail.store(1, Ordering::SeqCst);
    assert_eq!(wal.append(b"x").unwrap(), Lsn(1));
    assert!(!wal.is_poisoned());
    fail.store(0, Ordering::SeqCst);
    assert_eq!(wal.append(b"y").unwrap(), Lsn(2));
    assert_eq!(wal.next_lsn(), Lsn(3));
}

#[test]
fn an_append_queued_behind_a_slow_failing_preallocation_keeps_dense_lsns() {
    let tmp = tempfile::tempdir().unwrap();
    let fs = FailingAllocate {
        delay_ms: 300,
        ..FailingAllocate::default()
    };
    let fail = fs.fail.clone();
    let dir = tmp.path().join("wal");
    let wal = Arc::new(
        WalOptions::new()
            .file_system(Arc::new(fs))
            .open_shared(&dir)
            .unwrap(),
    );
    // Exactly fill the first 1 MiB preallocation step, so that the next append allocates.
    assert_eq!(wal.append(&vec![7u8; (1 << 20) - 16]).unwrap(), Lsn(1));
    fail.store(1, Ordering::SeqCst);
    let leader = {
        let wal = wal.clone();
        std::thread::spawn(move || wal.append(b"leader").map(|l| l.0))
    };
    // Queue a second entry while the leader sits in the failing fallocate.
    std::thread::sleep(Duration::from_millis(100));
    let follower = {
        let wal = wal.clone();
        std::thread::spawn(move || wal.append(b"follower").map(|l| l.0))
    };
    std::thread::sleep(Duration::from_millis(50));
    fail.store(0, Ordering::SeqCst);
    let mut got = vec![
        leader.join().unwrap().unwrap(),
        follower.join().unwrap().unwrap(),
    ];
    got.sort_unstable();
    assert_eq!(got, [2, 3]);
    wal.close().unwrap();
    let reopened = WalOptions::new().open(&dir).unwrap();
    let lsns: Vec<u64> = reopened.iter().map(|e| e.unwrap().0.0).collect();
    assert_eq!(lsns, [1, 2, 3]);
}
