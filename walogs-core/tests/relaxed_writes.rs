//! How the active segment grows: preallocated (fallocate + zeros) under `EveryAppend`, where
//! it keeps block allocation out of every fdatasync; extended by the appends themselves under
//! the relaxed policies, which also start writeback every 4 MiB so that sealing a full
//! segment waits for little. The writeback start is a hint: its failure changes nothing.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use walogs_core::{Durability, Lsn, Wal, WalOptions};
use walogs_testkit::{Action, HookFs, Op};

const ENTRY: usize = 64 * 1024;
/// Bytes of frame around each entry of a plain frame.
const FRAME_OVERHEAD: u64 = 16;
/// Entries written by each test: a little over 9 MiB of frames.
const ENTRIES: u64 = 145;

/// What the file system saw for segment files: allocations, writeback starts `(offset, len)`.
#[derive(Default)]
struct Seen {
    allocations: usize,
    writebacks: Vec<(u64, u64)>,
}

/// A file system recording allocations and writeback starts of segment files; writeback
/// starts fail with EIO when `fail_writeback`.
fn recording_fs(fail_writeback: bool) -> (Arc<dyn walogs_core::vfs::FileSystem>, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let s = seen.clone();
    let fs = HookFs::new(move |op: &Op<'_>| {
        match *op {
            Op::Allocate { name, .. } if name.starts_with("wal-") => {
                s.lock().unwrap().allocations += 1;
            }
            Op::StartWriteback { name, offset, len } if name.starts_with("wal-") => {
                s.lock().unwrap().writebacks.push((offset, len));
                if fail_writeback {
                    return Action::Fail(std::io::Error::from_raw_os_error(5));
                }
            }
            _ => {}
        }
        Action::Proceed
    });
    (fs.into_fs(), seen)
}

fn entry(i: u64) -> Vec<u8> {
    vec![(i % 251) as u8; ENTRY]
}

/// Append `ENTRIES` entries with `durability`; the handle stays open.
fn fill(
    dir: &std::path::Path,
    durability: Durability,
    fail_writeback: bool,
) -> (Wal, Arc<Mutex<Seen>>) {
    let (fs, seen) = recording_fs(fail_writeback);
    let mut wal = WalOptions::new()
        .durability(durability)
        .max_segment_size(None)
        .file_system(fs)
        .open(dir)
        .unwrap();
    for i in 1..=ENTRIES {
        assert_eq!(wal.append(&entry(i)).unwrap(), Lsn(i));
    }
    (wal, seen)
}

fn frames_len() -> u64 {
    ENTRIES * (ENTRY as u64 + FRAME_OVERHEAD)
}

/// Every entry reads back after a reopen.
fn reopen_reads_everything(dir: &std::path::Path) {
    let wal = Wal::open(dir).unwrap();
    let all = collect(wal.iter());
    assert_eq!(all.len() as u64, ENTRIES);
    for (lsn, data) in all {
        assert_eq!(data, entry(lsn.0), "entry {lsn}");
    }
}

#[test]
fn relaxed_policies_extend_the_file_and_start_writeback_every_4_mib() {
    for durability in [
        Durability::None,
        Durability::Manual,
        Durability::Interval(std::time::Duration::from_secs(3600)),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("wal");
        let (wal, seen) = fill(&dir, durability, false);
        // No zero tail: the file is exactly its frames while the handle is open.
        assert_eq!(file_len(&seg(&dir, 1)), frames_len(), "{durability:?}");
        {
            let seen = seen.lock().unwrap();
            assert_eq!(seen.allocations, 0, "{durability:?}");
            // Contiguous ranges from the start of the segment, each at least 4 MiB.
            let mut next = 0;
            for &(offset, len) in &seen.writebacks {
                assert_eq!(offset, next, "{durability:?}: {:?}", seen.writebacks);
                assert!(len >= 4 << 20, "{durability:?}: {:?}", seen.writebacks);
                next = offset + len;
            }
            assert_eq!(seen.writebacks.len() as u64, frames_len() / (4 << 20));
        }
        wal.close().unwrap();
        reopen_reads_everything(&dir);
    }
}

#[test]
fn every_append_preallocates_and_starts_no_writeback() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("wal");
    let (wal, seen) = fill(&dir, Durability::EveryAppend, false);
    assert!(
        file_len(&seg(&dir, 1)) > frames_len(),
        "a preallocated zero tail"
    );
    {
        let seen = seen.lock().unwrap();
        assert!(seen.allocations >= 9, "{}", seen.allocations);
        assert!(seen.writebacks.is_empty(), "{:?}", seen.writebacks);
    }
    wal.close().unwrap();
    assert_eq!(
        file_len(&seg(&dir, 1)),
        frames_len(),
        "the tail is cut at close"
    );
    reopen_reads_everything(&dir);
}

#[test]
fn a_failed_writeback_start_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("wal");
    let (mut wal, seen) = fill(&dir, Durability::None, true);
    assert!(!seen.lock().unwrap().writebacks.is_empty());
    assert!(!wal.is_poisoned());
    assert_eq!(wal.sync().unwrap(), Lsn(ENTRIES));
    wal.close().unwrap();
    reopen_reads_everything(&dir);
}
