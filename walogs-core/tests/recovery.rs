//! Recovery: what open accepts, cuts and refuses.

use std::path::{Path, PathBuf};

use walogs_core::{DamageKind, WalError, WalOptions};

/// Three segments of three 20-byte entries (36-byte frames); returns the directory.
fn three_segments(root: &Path) -> PathBuf {
    let dir = root.join("wal");
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

/// One flipped bit in the length field of the first frame of the last segment (its LSN
/// intact) must not make recovery look for valid frames only past the bogus extent and then
/// cut the whole segment as a torn tail: a single-bit error before valid frames is damage.
#[test]
fn a_length_bit_flip_before_valid_frames_is_corrupt_not_a_torn_tail() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = three_segments(tmp.path());
    let seg = dir.join("wal-000003.log");
    let mut b = std::fs::read(&seg).unwrap();
    b[1] ^= 1; // len 20 -> 276: past the end of the 108-byte file
    std::fs::write(&seg, &b).unwrap();
    match WalOptions::new().open(&dir) {
        Err(WalError::Corrupt { reason }) => {
            assert_eq!(reason.kind, DamageKind::MidLog);
            assert_eq!(reason.file.as_deref(), Some("wal-000003.log"));
            assert_eq!(reason.offset, Some(0));
            assert_eq!(reason.last_good_lsn.map(|l| l.0), Some(6));
            assert_eq!(reason.first_lsn_after.map(|l| l.0), Some(8));
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(w) => panic!(
            "opened with next_lsn {} and {:?}: acknowledged LSNs 7..=9 silently dropped",
            w.next_lsn(),
            w.tail_state()
        ),
    }
}

/// A completed segment truncated to 0 bytes (which walogs never writes) is damage, not a
/// checkpoint.
#[test]
fn an_empty_completed_segment_is_corrupt() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = three_segments(tmp.path());
    std::fs::File::options()
        .write(true)
        .open(dir.join("wal-000001.log"))
        .unwrap()
        .set_len(0)
        .unwrap();
    match WalOptions::new().open(&dir) {
        Err(WalError::Corrupt { reason }) => {
            assert_eq!(reason.kind, DamageKind::EmptyCompletedSegment);
            assert_eq!(reason.file.as_deref(), Some("wal-000001.log"));
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(w) => panic!(
            "opened with first_lsn {}: LSNs 1..=3 silently dropped",
            w.first_lsn()
        ),
    }
}
