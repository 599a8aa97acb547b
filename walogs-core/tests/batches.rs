//! Batches and durability policies: atomic units, limits, bad input, the durable watermark.

mod common;

use std::fs;

use common::*;
use walogs_core::{
    Durability, Lsn, LsnRange, MAX_BATCH_SIZE, MAX_ENTRY_SIZE, TailState, Wal, WalError, WalOptions,
};

#[test]
fn atomic_batch_is_one_unit_and_roundtrips() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wal = Wal::open(tmp.path()).unwrap();
    wal.append(b"solo").unwrap();
    let r = wal.append_batch(&[b"a".as_slice(), b"", b"ccc"]).unwrap();
    assert_eq!(
        r,
        LsnRange {
            first: Lsn(2),
            last: Lsn(4)
        }
    );
    assert_eq!(r.len(), 3);
    // One unit: a member frame per entry (16-byte header + 8-byte unit prefix + payload).
    assert_eq!(file_len_clean(&mut wal), 20 + 3 * (16 + 8) + 4);
    drop(wal);
    let wal = Wal::open(tmp.path()).unwrap();
    assert_eq!(
        collect(wal.iter()),
        vec![
            (Lsn(1), b"solo".to_vec()),
            (Lsn(2), b"a".to_vec()),
            (Lsn(3), b"".to_vec()),
            (Lsn(4), b"ccc".to_vec())
        ]
    );
    assert_eq!(wal.read(Lsn(3)).unwrap(), b"");
    assert_eq!(collect(wal.iter_from(Lsn(3)).unwrap()).len(), 2);
}

fn file_len_clean(wal: &mut Wal) -> u64 {
    wal.rotate().unwrap();
    let dir = wal.dir().to_path_buf();
    file_len(&seg(&dir, wal.segment_count() as u64 - 1))
}

#[test]
fn torn_batch_disappears_whole() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut wal = Wal::open(tmp.path()).unwrap();
        wal.append(b"before").unwrap();
        wal.append_batch(&[vec![1u8; 3000], vec![2u8; 3000]])
            .unwrap();
    }
    let s1 = seg(tmp.path(), 1);
    let len = file_len(&s1);
    // Lose the middle sector of the batch frame.
    let mut b = fs::read(&s1).unwrap();
    for x in &mut b[22 + 2048..22 + 2560] {
        *x = 0;
    }
    fs::write(&s1, &b).unwrap();
    let wal = Wal::open(tmp.path()).unwrap();
    assert_eq!(wal.tail_state(), TailState::TruncatedAt(22));
    assert_eq!(lsns(&wal), vec![1]);
    assert_eq!(wal.recovery_report().bytes_truncated, len - 22);
}

#[test]
fn batch_limits_and_bad_batches_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wal = Wal::open(tmp.path()).unwrap();
    let big = vec![0u8; MAX_ENTRY_SIZE + 1];
    assert!(matches!(
        wal.append_batch(&[b"ok".as_slice(), &big]),
        Err(WalError::EntryTooLarge { size, max }) if size == MAX_ENTRY_SIZE + 1 && max == MAX_ENTRY_SIZE
    ));
    let empty: [&[u8]; 0] = [];
    assert!(matches!(
        wal.append_batch(&empty),
        Err(WalError::InvalidArgument { .. })
    ));
    assert!(matches!(
        wal.append_many(&empty),
        Err(WalError::InvalidArgument { .. })
    ));
    let five: Vec<Vec<u8>> = (0..5).map(|_| vec![7u8; MAX_ENTRY_SIZE]).collect();
    assert!(matches!(
        wal.append_batch(&five),
        Err(WalError::EntryTooLarge { max, .. }) if max == MAX_BATCH_SIZE
    ));
    assert_eq!(wal.next_lsn(), Lsn(1));
    // The non-atomic form takes it, as several frames.
    let r = WalOptions::new()
        .max_segment_size(None)
        .open(tempfile::tempdir().unwrap().path())
        .unwrap()
        .append_many(&five)
        .unwrap();
    assert_eq!(
        r,
        LsnRange {
            first: Lsn(1),
            last: Lsn(5)
        }
    );
}

#[test]
fn bad_input_is_a_clean_error() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("file");
    fs::write(&file, b"x").unwrap();
    assert!(matches!(Wal::open(&file), Err(WalError::Io(_))));
    assert!(matches!(Wal::open(&file.join("sub")), Err(WalError::Io(_))));
    let mut wal = Wal::open(tmp.path()).unwrap();
    let len = file_len(&seg(tmp.path(), 1));
    assert!(matches!(
        wal.append(&vec![0u8; MAX_ENTRY_SIZE + 1]),
        Err(WalError::EntryTooLarge { .. })
    ));
    assert_eq!(file_len(&seg(tmp.path(), 1)), len);
    assert!(!wal.is_poisoned());
    assert_eq!(wal.append(b"fine").unwrap(), Lsn(1));
    // Foreign files are ignored.
    fs::write(tmp.path().join("notes.txt"), b"hello").unwrap();
    fs::write(tmp.path().join("wal-12.log"), b"junk").unwrap();
    drop(wal);
    assert_eq!(lsns(&Wal::open(tmp.path()).unwrap()), vec![1]);
}

#[test]
fn durability_policies_and_watermark() {
    for d in [
        Durability::Manual,
        Durability::None,
        Durability::Interval(std::time::Duration::from_secs(3600)),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let mut wal = WalOptions::new().durability(d).open(tmp.path()).unwrap();
        assert_eq!(wal.durable_lsn(), Lsn(0));
        wal.append(b"a").unwrap();
        wal.append(b"b").unwrap();
        assert_eq!(wal.durable_lsn(), Lsn(0), "{d:?} does not sync each append");
        assert_eq!(wal.sync().unwrap(), Lsn(2));
        assert_eq!(wal.durable_lsn(), Lsn(2));
        // Even unsynced, a process crash loses nothing: another reader sees it.
        wal.append(b"c").unwrap();
        let ro = WalOptions::new().read_only(true).open(tmp.path()).unwrap();
        assert_eq!(lsns(&ro).len(), 3);
    }
    let tmp = tempfile::tempdir().unwrap();
    assert!(matches!(
        WalOptions::new()
            .durability(Durability::Interval(std::time::Duration::ZERO))
            .open(tmp.path()),
        Err(WalError::InvalidArgument { .. })
    ));
    let mut wal = Wal::open(tempfile::tempdir().unwrap().path()).unwrap();
    assert_eq!(wal.append(b"x").unwrap(), wal.durable_lsn());
}
