//! Minimal reproductions of walogs-core bugs found by the torture harnesses, kept as
//! regression tests: each states the correct behaviour and failed on the core the harness
//! first ran against. The harnesses themselves no longer excuse any of them; a bug that has
//! to be tolerated again goes into the self-expiring registry of `src/known.rs`.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use walogs_core::{WalError, WalOptions};
use walogs_torture::faultfs::{FaultFs, Faults};
use walogs_torture::util::ScratchDir;

fn scratch(name: &str) -> ScratchDir {
    ScratchDir::new(Path::new(env!("CARGO_TARGET_TMPDIR")), name).unwrap()
}

/// Three segments of three 20-byte entries (36-byte frames); returns the directory.
fn three_segments(s: &ScratchDir) -> std::path::PathBuf {
    let dir = s.path().join("wal");
    let mut w = WalOptions::new()
        .max_segment_size(Some(120))
        .open(&dir)
        .unwrap();
    for i in 0..9u8 {
        w.append(&[i; 20]).unwrap();
    }
    assert_eq!(w.segment_count(), 3);
    w.close().unwrap();
    dir
}

/// Finding 1 (bit-rot sweep): one flipped bit in the length field of
/// the first frame of the last segment, whose LSN is intact, makes recovery search for valid
/// frames only after the damaged frame's (bogus, past end of file) extent. It finds none and
/// truncates the whole segment as a torn tail: LSNs 7, 8, 9 (acknowledged, fsynced, followed
/// by valid frames) vanish with `Ok` and `TruncatedAt(0)`. A single-bit error cannot be a torn
/// write; open must refuse with `Corrupt`.
#[test]
fn a_length_bit_flip_before_valid_frames_is_corrupt_not_a_torn_tail() {
    let s = scratch("finding1");
    let dir = three_segments(&s);
    let seg = dir.join("wal-000003.log");
    let mut b = std::fs::read(&seg).unwrap();
    b[1] ^= 1; // len 20 -> 276: past the end of the 108-byte file
    std::fs::write(&seg, &b).unwrap();
    match WalOptions::new().open(&dir) {
        Err(WalError::Corrupt { .. }) => {}
        Err(e) => panic!("unexpected error {e}"),
        Ok(w) => panic!(
            "opened with next_lsn {} and {:?}: acknowledged LSNs 7..=9 silently dropped",
            w.next_lsn(),
            w.tail_state()
        ),
    }
}

/// Finding 2 (truncation sweep): the first segment truncated to 0 bytes (a completed segment
/// that holds no frame, which walogs never writes) is accepted; its LSNs 1..=3 vanish and
/// `first_lsn()` becomes 4, as if they had been checkpointed. An empty completed segment
/// must be `Corrupt`.
#[test]
fn an_empty_completed_segment_is_corrupt() {
    let s = scratch("finding2");
    let dir = three_segments(&s);
    std::fs::File::options()
        .write(true)
        .open(dir.join("wal-000001.log"))
        .unwrap()
        .set_len(0)
        .unwrap();
    match WalOptions::new().open(&dir) {
        Err(WalError::Corrupt { .. }) => {}
        Err(e) => panic!("unexpected error {e}"),
        Ok(w) => panic!(
            "opened with first_lsn {}: LSNs 1..=3 silently dropped",
            w.first_lsn()
        ),
    }
}

/// Finding 3 (shim sweep): a failed write or fdatasync of `walogs.meta.tmp` (inside
/// `rotate`, an automatic rotation, or a checkpoint recording its seal) returns `Io` but does
/// not poison the handle; the next append succeeds. `WalError::Io`'s doc says "a failed
/// write or sync also poisons the handle", and SPEC §4 says a failed fsync is final. No data
/// is at risk (the rename never happened and the temporary file is rewritten), so the fix
/// may be to poison, or to document the exception; this test asserts the documented rule.
#[test]
fn a_failed_metadata_sync_poisons_the_handle() {
    let s = scratch("finding3");
    let mut w = WalOptions::new()
        .file_system(Arc::new(FaultFs(Faults {
            meta_sync: true,
            ..Faults::default()
        })))
        .open(s.path().join("wal"))
        .unwrap();
    w.append(b"one").unwrap();
    let e = w.rotate().unwrap_err();
    assert!(matches!(e, WalError::Io(_)), "{e}");
    assert!(
        w.is_poisoned(),
        "rotate failed on an fdatasync but the handle is not poisoned"
    );
    assert!(matches!(w.append(b"two"), Err(WalError::Poisoned { .. })));
}

/// Finding 4 (ENOSPC harness, on the real ext4): when preallocating the active segment failed
/// with ENOSPC, `SharedWal` stopped its queue (every later append returned `Poisoned`) while
/// `is_poisoned()` said false, and `Wal` behaved differently. The core's rule now: a failed
/// preallocation is not an error for either handle (the frame is written into unallocated
/// space; a real lack of space fails that write and poisons). So the append succeeds, the
/// handle is not poisoned, and later appends go on.
#[test]
fn shared_wal_after_a_failed_preallocation_behaves_like_wal() {
    let s = scratch("finding4");
    let faults = Faults::default();
    let failures = faults.allocate_failures.clone();
    let fs = Arc::new(FaultFs(faults));
    let opts = WalOptions::new()
        .max_segment_size(Some(4096))
        .file_system(fs);
    let dir = s.path().join("wal");
    let w = opts.open_shared(&dir).unwrap();
    w.append(&[1u8; 3000]).unwrap();
    failures.store(1, Ordering::SeqCst); // the next segment's preallocation: ENOSPC
    let second = w
        .append(&[2u8; 3000])
        .expect("a failed preallocation is not an error");
    assert_eq!(failures.load(Ordering::SeqCst), 0, "the fault was hit");
    assert!(!w.is_poisoned());
    let third = w.append(&[3u8; 3000]).unwrap();
    assert_eq!((second.0, third.0), (2, 3));
    w.close().unwrap();
    let w = WalOptions::new().open(&dir).unwrap();
    let got: Vec<_> = w.iter().map(|r| r.unwrap()).collect();
    assert_eq!(got.len(), 3);
    assert_eq!(got[1].1, vec![2u8; 3000]);
    assert_eq!(got[2].1, vec![3u8; 3000]);
}
