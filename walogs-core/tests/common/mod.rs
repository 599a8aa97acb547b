//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use walogs_core::vfs::FileSystem;
use walogs_core::{Lsn, Wal, WalConfig, WalIter};
use walogs_testkit::{FailNth, HookFs, Op};

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

/// The real file system, failing the n-th call of one kind (counted from 1; 0 = never): set
/// the returned counter to n.
pub fn fault_fs(kind: Fault) -> (Arc<dyn FileSystem>, Arc<AtomicI64>) {
    let (hook, countdown) = match kind {
        Fault::SyncData => FailNth::new(EIO, |op| matches!(op, Op::SyncData { .. })),
        Fault::ShortWrite => {
            let (h, c) = FailNth::new(ENOSPC, |op| matches!(op, Op::Write { .. }));
            (h.partial(), c)
        }
        Fault::SyncDir => FailNth::new(EIO, |op| matches!(op, Op::SyncDir)),
        Fault::AllocatePartway => {
            let (h, c) = FailNth::new(ENOSPC, |op| matches!(op, Op::Allocate { .. }));
            (h.partial(), c)
        }
    };
    (HookFs::new(hook).into_fs(), countdown)
}

const EIO: i32 = 5;
const ENOSPC: i32 = 28;
