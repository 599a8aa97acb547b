//! Recovery: what open accepts, cuts and refuses.

mod common;

use std::fs;

use common::*;
use std::path::{Path, PathBuf};
use walogs_core::{DamageKind, Lsn, TailState, Wal, WalError, WalOptions};

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

#[test]
fn cut_tail_of_completed_segment_with_empty_active_is_detected() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut wal = Wal::open_with_config(tmp.path(), no_rotation()).unwrap();
        for _ in 0..3 {
            wal.append(b"abc").unwrap();
        }
        wal.rotate().unwrap();
    }
    // Cut the last frame of the completed segment at a frame boundary.
    let s1 = seg(tmp.path(), 1);
    fs::OpenOptions::new()
        .write(true)
        .open(&s1)
        .unwrap()
        .set_len(38)
        .unwrap();
    match Wal::open(tmp.path()) {
        Err(WalError::Corrupt { reason }) => {
            assert!(reason.contains("wal-000001.log"), "{reason}");
            assert!(reason.contains("sealed at LSN 3"), "{reason}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

// 2. Mid-log damage in the last segment is refused, nothing is truncated; salvage cuts.
#[test]
fn mid_log_damage_is_refused_and_salvage_reports() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut wal = Wal::open(tmp.path()).unwrap();
        for p in [b"aaa", b"bbb", b"ccc"] {
            wal.append(p).unwrap();
        }
    }
    let s1 = seg(tmp.path(), 1);
    flip_byte(&s1, 19 + 16); // payload of the second frame (LSN 2); LSN 3 follows intact
    let before = fs::read(&s1).unwrap();
    match Wal::open(tmp.path()) {
        Err(WalError::Corrupt { reason }) => {
            assert!(reason.contains("wal-000001.log"), "{reason}");
            assert!(reason.contains("offset 19"), "{reason}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert_eq!(fs::read(&s1).unwrap(), before, "nothing may be truncated");

    let ro = WalOptions::new()
        .read_only(true)
        .salvage(true)
        .open(tmp.path())
        .unwrap();
    assert_eq!(ro.tail_state(), TailState::TruncatedAt(19));
    assert_eq!(
        fs::read(&s1).unwrap(),
        before,
        "read-only salvage only reports"
    );
    drop(ro);

    let wal = WalOptions::new().salvage(true).open(tmp.path()).unwrap();
    let rep = wal.recovery_report();
    let s = rep.salvaged.expect("salvage report");
    assert_eq!(
        (s.offset, s.bytes_cut, s.valid_frames_cut, s.first_lsn_cut),
        (19, 38, 1, Lsn(3))
    );
    assert_eq!(wal.tail_state(), TailState::TruncatedAt(19));
    assert_eq!(file_len(&s1), 19);
    assert_eq!(lsns(&wal), vec![1]);
}

#[test]
fn damaged_final_frame_and_zero_tail_are_torn_tails() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut wal = Wal::open(tmp.path()).unwrap();
        for p in [b"aaa", b"bbb"] {
            wal.append(p).unwrap();
        }
    }
    let s1 = seg(tmp.path(), 1);
    let mut b = fs::read(&s1).unwrap();
    b.extend_from_slice(&[0u8; 4096]); // a preallocated tail left by a crash
    fs::write(&s1, &b).unwrap();
    let wal = Wal::open(tmp.path()).unwrap();
    assert_eq!(wal.tail_state(), TailState::TruncatedAt(38));
    assert_eq!(wal.recovery_report().bytes_truncated, 4096);
    assert_eq!(lsns(&wal), vec![1, 2]);
}

// 3. A partial frame header at the end is a torn tail.
#[test]
fn partial_header_is_truncated_and_reported() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut wal = Wal::open(tmp.path()).unwrap();
        wal.append(b"aaa").unwrap();
    }
    let s1 = seg(tmp.path(), 1);
    let mut b = fs::read(&s1).unwrap();
    b.extend_from_slice(&[7u8; 9]);
    fs::write(&s1, &b).unwrap();
    let mut wal = Wal::open(tmp.path()).unwrap();
    assert_eq!(wal.tail_state(), TailState::TruncatedAt(19));
    assert_eq!(file_len(&s1), 19, "physically truncated before any write");
    assert_eq!(wal.append(b"b").unwrap(), Lsn(2));
}

// 4. Frames inside a segment carry consecutive LSNs.
#[test]
fn duplicate_or_out_of_order_lsn_is_corrupt() {
    for dup in [true, false] {
        let tmp = tempfile::tempdir().unwrap();
        {
            let mut wal = Wal::open(tmp.path()).unwrap();
            wal.append(b"one").unwrap();
        }
        let s1 = seg(tmp.path(), 1);
        let mut b = fs::read(&s1).unwrap();
        let frame = b.clone();
        if dup {
            b.extend_from_slice(&frame); // LSN 1 again, valid CRC
        } else {
            let mut f = Vec::new();
            // A valid frame with LSN 5 where 2 is expected.
            let data = b"two";
            let mut h = crc32fast::Hasher::new();
            h.update(&(data.len() as u32).to_le_bytes());
            h.update(&5u64.to_le_bytes());
            h.update(data);
            f.extend_from_slice(&(data.len() as u32).to_le_bytes());
            f.extend_from_slice(&h.finalize().to_le_bytes());
            f.extend_from_slice(&5u64.to_le_bytes());
            f.extend_from_slice(data);
            b.extend_from_slice(&f);
        }
        fs::write(&s1, &b).unwrap();
        match Wal::open(tmp.path()) {
            Err(WalError::Corrupt { reason }) => {
                assert!(
                    reason.contains("offset 19") && reason.contains("LSN"),
                    "{reason}"
                )
            }
            other => panic!("expected Corrupt, got {other:?}"),
        }
    }
}

// 8. Segment numbers past 999999.
#[test]
fn segment_numbers_past_999999() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut wal = Wal::open_with_config(tmp.path(), no_rotation()).unwrap();
        wal.append(b"a").unwrap();
    }
    fs::rename(seg(tmp.path(), 1), tmp.path().join("wal-999999.log")).unwrap();
    {
        let mut wal = Wal::open_with_config(tmp.path(), no_rotation()).unwrap();
        wal.rotate().unwrap();
        wal.append(b"b").unwrap();
        wal.rotate().unwrap();
        wal.append(b"c").unwrap();
    }
    assert!(tmp.path().join("wal-1000000.log").exists());
    assert!(tmp.path().join("wal-1000001.log").exists());
    let wal = Wal::open(tmp.path()).unwrap();
    assert_eq!(wal.segment_count(), 3);
    assert_eq!(
        collect(wal.iter()),
        vec![
            (Lsn(1), b"a".to_vec()),
            (Lsn(2), b"b".to_vec()),
            (Lsn(3), b"c".to_vec())
        ]
    );
}

// Under a relaxed durability policy several unsynced frames may be torn independently by a
// power loss, so the next open cuts at the first damage (and reports it) instead of refusing.
// Once an EveryAppend writer has opened the directory, the strict rule applies again.
#[test]
fn relaxed_policy_tail_is_cut_and_reported_then_strict_again() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut wal = WalOptions::new()
            .durability(walogs_core::Durability::None)
            .open(tmp.path())
            .unwrap();
        for p in [b"aaa", b"bbb", b"ccc"] {
            wal.append(p).unwrap();
        }
    }
    let s1 = seg(tmp.path(), 1);
    flip_byte(&s1, 19 + 16);
    {
        let mut wal = Wal::open(tmp.path()).unwrap();
        let rep = wal.recovery_report();
        assert_eq!(rep.tail, TailState::TruncatedAt(19));
        let s = rep.salvaged.expect("what was cut is reported");
        assert_eq!(s.first_lsn_cut, Lsn(3));
        assert_eq!(lsns(&wal), vec![1]);
        wal.append(b"bbb").unwrap();
        wal.append(b"ccc").unwrap();
    }
    flip_byte(&s1, 19 + 16);
    assert!(matches!(
        Wal::open(tmp.path()),
        Err(WalError::Corrupt { .. })
    ));
}

// A torn final entry whose payload happens to contain a valid frame is still a torn tail.
#[test]
fn valid_frame_inside_a_torn_payload_is_not_mid_log_damage() {
    let tmp = tempfile::tempdir().unwrap();
    let inner = {
        let t = tempfile::tempdir().unwrap();
        let mut w = Wal::open(t.path()).unwrap();
        w.append(b"x").unwrap();
        w.append(b"embedded").unwrap();
        w.close().unwrap();
        fs::read(seg(t.path(), 1)).unwrap()[17..].to_vec() // the frame with LSN 2
    };
    {
        let mut wal = Wal::open(tmp.path()).unwrap();
        wal.append(b"first").unwrap();
        let mut payload = vec![0xAB; 100];
        payload.extend_from_slice(&inner);
        payload.extend_from_slice(&[0xCD; 100]);
        wal.append(&payload).unwrap();
    }
    let s1 = seg(tmp.path(), 1);
    flip_byte(&s1, file_len(&s1) - 1); // the final entry is torn
    let wal = Wal::open(tmp.path()).unwrap();
    assert_eq!(wal.tail_state(), TailState::TruncatedAt(21));
    assert_eq!(lsns(&wal), vec![1]);
}

#[test]
fn damaged_metadata_file_is_corrupt() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut wal = Wal::open(tmp.path()).unwrap();
        wal.append(b"a").unwrap();
        wal.rotate().unwrap();
    }
    let meta = tmp.path().join(walogs_core::META_FILENAME);
    flip_byte(&meta, 14);
    match Wal::open(tmp.path()) {
        Err(WalError::Corrupt { reason }) => assert!(reason.contains("walogs.meta"), "{reason}"),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

/// The damage's message counts frames in words a person reads: one frame, two frames.
#[test]
fn damage_messages_say_one_frame_not_one_frames() {
    let tmp = tempfile::tempdir().unwrap();
    // A completed segment with one valid frame before the damage.
    let dir = three_segments(tmp.path());
    let seg = dir.join("wal-000002.log");
    let mut b = fs::read(&seg).unwrap();
    b[36 + 20] ^= 1; // inside the payload of the segment's second frame
    fs::write(&seg, &b).unwrap();
    match Wal::open(&dir) {
        Err(WalError::Corrupt { reason }) => {
            assert_eq!(reason.kind, DamageKind::CompletedSegment);
            assert!(
                reason.to_string().contains("1 valid frame before it"),
                "{}",
                reason
            );
        }
        other => panic!("expected damage in a completed segment, got {other:?}"),
    }
    // Mid-log damage in the last segment followed by exactly one valid frame.
    let dir = tmp.path().join("one-after");
    let mut w = Wal::open(&dir).unwrap();
    for i in 0..3u8 {
        w.append(&[i; 20]).unwrap();
    }
    w.close().unwrap();
    let seg = dir.join("wal-000001.log");
    let mut b = fs::read(&seg).unwrap();
    b[36 + 20] ^= 1;
    fs::write(&seg, &b).unwrap();
    match Wal::open(&dir) {
        Err(WalError::Corrupt { reason }) => {
            assert_eq!(reason.kind, DamageKind::MidLog);
            assert_eq!(reason.frames_after, 1);
            assert!(
                reason
                    .to_string()
                    .contains("(1 valid frame after the damage)"),
                "{}",
                reason
            );
        }
        other => panic!("expected mid-log damage, got {other:?}"),
    }
}
