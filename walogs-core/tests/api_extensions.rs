//! The additive API: batches, the shared group-commit handle, durability policies, reads by
//! LSN, suffix truncation, read-only opens, and bad input.

mod common;

use std::fs;
use std::sync::Arc;

use common::*;
use walogs_core::{
    Durability, Lsn, LsnRange, MAX_BATCH_SIZE, MAX_ENTRY_SIZE, SharedWal, TailState, Wal, WalError,
    WalOptions,
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
fn shared_wal_group_commit_from_many_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let wal = Arc::new(
        WalOptions::new()
            .max_segment_size(Some(2048))
            .open_shared(tmp.path())
            .unwrap(),
    );
    let threads: Vec<_> = (0..8u32)
        .map(|t| {
            let wal = wal.clone();
            std::thread::spawn(move || {
                let mut got = Vec::new();
                for i in 0..100u32 {
                    let payload = format!("t{t}-i{i}");
                    let lsn = wal.append(payload.as_bytes()).unwrap();
                    // Durable when acknowledged.
                    assert!(wal.durable_lsn() >= lsn);
                    got.push((lsn, payload));
                }
                got
            })
        })
        .collect();
    let mut acked: Vec<(Lsn, String)> = threads
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    acked.sort();
    assert_eq!(acked.len(), 800);
    for (i, (lsn, _)) in acked.iter().enumerate() {
        assert_eq!(lsn.0, i as u64 + 1, "dense, no duplicates");
    }
    assert!(wal.segment_count() > 1);
    wal.close().unwrap();
    wal.close().unwrap();
    assert!(matches!(wal.append(b"late"), Err(WalError::Closed)));
    assert!(matches!(wal.sync(), Err(WalError::Closed)));
    let reopened = Wal::open(tmp.path()).unwrap();
    let entries = collect(reopened.iter());
    assert_eq!(entries.len(), 800);
    for ((l1, p), (l2, d)) in acked.iter().zip(&entries) {
        assert_eq!(l1, l2);
        assert_eq!(p.as_bytes(), d.as_slice());
    }
}

/// Appends racing with operations that need the whole log (batches, sync, rotate,
/// checkpoint-free reads) keep every LSN bound to the entry it was handed to.
#[test]
fn shared_wal_appends_race_with_batches_sync_and_rotate() {
    let tmp = tempfile::tempdir().unwrap();
    let wal = Arc::new(
        WalOptions::new()
            .max_segment_size(Some(4096))
            .durability(Durability::Manual)
            .open_shared(tmp.path())
            .unwrap(),
    );
    let appenders: Vec<_> = (0..6u32)
        .map(|t| {
            let wal = wal.clone();
            std::thread::spawn(move || {
                (0..300u32)
                    .map(|i| {
                        let p = format!("a{t}-{i}").into_bytes();
                        (wal.append(&p).unwrap(), p)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mixer = {
        let wal = wal.clone();
        std::thread::spawn(move || {
            let mut got = Vec::new();
            for i in 0..150u32 {
                let batch: Vec<Vec<u8>> =
                    (0..3).map(|k| format!("b{i}-{k}").into_bytes()).collect();
                let r = wal.append_batch(&batch).unwrap();
                assert_eq!(r.len(), 3);
                for (k, p) in batch.into_iter().enumerate() {
                    got.push((Lsn(r.first.0 + k as u64), p));
                }
                match i % 3 {
                    0 => assert!(wal.sync().unwrap() >= r.last),
                    1 => wal.rotate().unwrap(),
                    _ => assert_eq!(wal.read(r.first).unwrap(), format!("b{i}-0").into_bytes()),
                }
            }
            got
        })
    };
    let mut acked: Vec<(Lsn, Vec<u8>)> = appenders
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    acked.extend(mixer.join().unwrap());
    acked.sort();
    assert_eq!(acked.len(), 6 * 300 + 150 * 3);
    for (i, (lsn, _)) in acked.iter().enumerate() {
        assert_eq!(lsn.0, i as u64 + 1, "dense, no duplicates");
    }
    wal.close().unwrap();
    let entries = collect(Wal::open(tmp.path()).unwrap().iter());
    assert_eq!(entries.len(), acked.len());
    for ((l1, p), (l2, d)) in acked.iter().zip(&entries) {
        assert_eq!((l1, p), (l2, d));
    }
}

/// Appends racing with `truncate_after`: an append whose entry was written and then cut by a
/// concurrent truncation still returns (it happened before the truncation); nothing hangs,
/// and the log stays dense.
#[test]
fn shared_wal_appends_race_with_truncate_after() {
    let tmp = tempfile::tempdir().unwrap();
    let wal = Arc::new(
        WalOptions::new()
            .durability(Durability::Manual)
            .open_shared(tmp.path())
            .unwrap(),
    );
    let (tx, rx) = std::sync::mpsc::channel();
    for t in 0..4u32 {
        let wal = wal.clone();
        let tx = tx.clone();
        std::thread::spawn(move || {
            for i in 0..2000u32 {
                wal.append(format!("t{t}-{i}").as_bytes()).unwrap();
            }
            tx.send(()).unwrap();
        });
    }
    let truncator = {
        let wal = wal.clone();
        std::thread::spawn(move || {
            let mut cut = 0u64;
            for _ in 0..300 {
                let next = wal.next_lsn().0;
                // Walk down until the cut lands between frames: an LSN inside a frame that
                // group commit wrote for several concurrent appends is refused.
                for keep in (next.saturating_sub(67).max(1)..next.saturating_sub(2)).rev() {
                    match wal.truncate_after(Lsn(keep)) {
                        Ok(n) => {
                            cut += n;
                            break;
                        }
                        Err(WalError::InvalidArgument { .. }) => continue,
                        Err(WalError::LsnOutOfRange { .. }) => break,
                        Err(e) => panic!("unexpected {e}"),
                    }
                }
                std::thread::yield_now();
            }
            cut
        })
    };
    for _ in 0..4 {
        rx.recv_timeout(std::time::Duration::from_secs(60))
            .expect("an append hung after a concurrent truncate_after");
    }
    let cut = truncator.join().unwrap();
    assert!(cut > 0, "the truncations raced with nothing");
    let next = wal.next_lsn().0;
    wal.close().unwrap();
    let lsns: Vec<u64> = collect(Wal::open(tmp.path()).unwrap().iter())
        .into_iter()
        .map(|(l, _)| l.0)
        .collect();
    assert_eq!(lsns, (1..next).collect::<Vec<_>>());
    assert_eq!(
        next - 1 + cut,
        8000,
        "every append is either in the log or was cut"
    );
}

/// A close racing with appenders: every append either returns its LSN (and the entry is in
/// the log after reopening) or returns `Closed` (and is not).
#[test]
fn shared_wal_close_racing_with_appends_loses_nothing_acknowledged() {
    let tmp = tempfile::tempdir().unwrap();
    let wal = Arc::new(SharedWal::open(tmp.path()).unwrap());
    let appenders: Vec<_> = (0..4u32)
        .map(|t| {
            let wal = wal.clone();
            std::thread::spawn(move || {
                let mut got = Vec::new();
                for i in 0..10_000u32 {
                    let p = format!("c{t}-{i}").into_bytes();
                    match wal.append(&p) {
                        Ok(lsn) => got.push((lsn, p)),
                        Err(WalError::Closed) => break,
                        Err(e) => panic!("unexpected {e}"),
                    }
                }
                got
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(30));
    wal.close().unwrap();
    let mut acked: Vec<(Lsn, Vec<u8>)> = appenders
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    acked.sort();
    let entries = collect(Wal::open(tmp.path()).unwrap().iter());
    assert_eq!(
        entries.len(),
        acked.len(),
        "exactly the acknowledged entries"
    );
    for ((l1, p), (l2, d)) in acked.iter().zip(&entries) {
        assert_eq!((l1, p), (l2, d));
    }
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

#[test]
fn reads_by_lsn_across_segments() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wal = WalOptions::new()
        .max_segment_size(Some(4096))
        .open(tmp.path())
        .unwrap();
    let payload = |i: u64| {
        format!("entry-{i}-")
            .repeat((i % 13) as usize + 1)
            .into_bytes()
    };
    for i in 1..=2000 {
        wal.append(&payload(i)).unwrap();
    }
    assert!(wal.segment_count() > 10);
    for i in [1, 2, 777, 1999, 2000] {
        assert_eq!(wal.read(Lsn(i)).unwrap(), payload(i));
        let from = collect(wal.iter_from(Lsn(i)).unwrap());
        assert_eq!(from.len() as u64, 2001 - i);
        assert_eq!(from[0], (Lsn(i), payload(i)));
    }
    assert_eq!(collect(wal.iter_from(Lsn(2001)).unwrap()).len(), 0);
    for bad in [0, 2001, 5000] {
        assert!(matches!(
            wal.read(Lsn(bad)),
            Err(WalError::LsnOutOfRange { lsn, first: 1, next: 2001 }) if lsn == bad
        ));
    }
    assert!(matches!(
        wal.iter_from(Lsn(2002)),
        Err(WalError::LsnOutOfRange { .. })
    ));
    wal.rotate().unwrap();
    wal.checkpoint(Lsn(1000)).unwrap();
    let first = wal.first_lsn().0;
    assert!(first > 1 && first <= 1001);
    assert!(matches!(
        wal.read(Lsn(first - 1)),
        Err(WalError::LsnOutOfRange { .. })
    ));
    // The lending cursor yields the same bytes without allocating per entry.
    let mut c = wal.cursor_from(Lsn(1500)).unwrap();
    let mut n = 1500;
    while let Some(r) = c.next_entry() {
        let (lsn, data) = r.unwrap();
        assert_eq!((lsn.0, data), (n, payload(n).as_slice()));
        n += 1;
    }
    assert_eq!(n, 2001);
}

#[test]
fn truncate_after_in_active_and_across_segments() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wal = Wal::open_with_config(tmp.path(), no_rotation()).unwrap();
    for i in 1..=10u8 {
        wal.append(&[i]).unwrap();
        if i % 3 == 0 {
            wal.rotate().unwrap();
        }
    }
    // Segments: [1..3] [4..6] [7..9] [10]
    assert_eq!(wal.truncate_after(Lsn(10)).unwrap(), 0);
    assert_eq!(wal.truncate_after(Lsn(9)).unwrap(), 1);
    assert_eq!(wal.next_lsn(), Lsn(10));
    assert_eq!(wal.truncate_after(Lsn(5)).unwrap(), 4);
    assert_eq!(wal.next_lsn(), Lsn(6));
    assert_eq!(wal.segment_count(), 2);
    assert_eq!(wal.append(b"six").unwrap(), Lsn(6));
    drop(wal);
    let mut wal = Wal::open(tmp.path()).unwrap();
    assert_eq!(lsns(&wal), vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(wal.read(Lsn(6)).unwrap(), b"six");
    wal.rotate().unwrap();
    wal.checkpoint(Lsn(3)).unwrap();
    assert!(matches!(
        wal.truncate_after(Lsn(1)),
        Err(WalError::LsnOutOfRange { .. })
    ));
    // Truncating to just below the first kept entry empties the log; LSNs continue from there.
    assert_eq!(wal.truncate_after(Lsn(3)).unwrap(), 3);
    assert_eq!(wal.next_lsn(), Lsn(4));
    drop(wal);
    let mut wal = Wal::open(tmp.path()).unwrap();
    assert_eq!(wal.next_lsn(), Lsn(4));
    assert_eq!(wal.append(b"four").unwrap(), Lsn(4));
}

#[test]
fn truncate_inside_an_atomic_batch_keeps_its_prefix_across_reopens() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wal = Wal::open(tmp.path()).unwrap();
    wal.append_batch(&[b"a", b"b", b"c"]).unwrap();
    assert_eq!(wal.truncate_after(Lsn(1)).unwrap(), 2);
    assert_eq!(wal.next_lsn(), Lsn(2));
    drop(wal);
    // The short unit at the end of the log is a deliberate cut, not a torn write.
    let mut wal = Wal::open(tmp.path()).unwrap();
    assert_eq!(wal.tail_state(), TailState::Clean);
    assert_eq!(collect(wal.iter()), vec![(Lsn(1), b"a".to_vec())]);
    assert_eq!(wal.append(b"B").unwrap(), Lsn(2));
    drop(wal);
    let mut wal = Wal::open(tmp.path()).unwrap();
    assert_eq!(
        collect(wal.iter()),
        vec![(Lsn(1), b"a".to_vec()), (Lsn(2), b"B".to_vec())]
    );
    assert_eq!(wal.truncate_after(Lsn(0)).unwrap(), 2);
    assert_eq!(wal.next_lsn(), Lsn(1));
}

#[test]
fn read_only_open_changes_nothing_and_refuses_writes() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut wal = Wal::open(tmp.path()).unwrap();
        wal.append(b"aaa").unwrap();
        wal.append(b"bbb").unwrap();
    }
    let s1 = seg(tmp.path(), 1);
    flip_byte(&s1, 37); // damage the final frame: a torn tail
    let before = fs::read(&s1).unwrap();
    let mut ro = WalOptions::new().read_only(true).open(tmp.path()).unwrap();
    assert_eq!(ro.tail_state(), TailState::TruncatedAt(19));
    let rep = ro.recovery_report();
    assert!(rep.read_only);
    assert_eq!(rep.bytes_truncated, 19);
    assert_eq!(lsns(&ro), vec![1]);
    assert_eq!(fs::read(&s1).unwrap(), before);
    assert!(matches!(ro.append(b"x"), Err(WalError::ReadOnly)));
    assert!(matches!(ro.rotate(), Err(WalError::ReadOnly)));
    assert!(matches!(ro.checkpoint(Lsn(1)), Err(WalError::ReadOnly)));
    assert!(matches!(ro.truncate_after(Lsn(0)), Err(WalError::ReadOnly)));
    assert!(ro.is_read_only());
    let missing = tmp.path().join("nope");
    assert!(matches!(
        WalOptions::new().read_only(true).open(&missing),
        Err(WalError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound
    ));
    assert!(!missing.exists());
}

#[test]
fn creates_nested_and_relative_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let nested = tmp.path().join("a/b/c");
    Wal::open(&nested).unwrap();
    assert!(seg(&nested, 1).exists());
    // A relative path (run in a child process so the cwd change stays local).
    if std::env::var("WALOGS_TEST_REL").is_ok() {
        let mut wal = Wal::open(std::path::Path::new("wal")).unwrap();
        wal.append(b"rel").unwrap();
        return;
    }
    let st = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "creates_nested_and_relative_directories",
            "--test-threads=1",
        ])
        .env("WALOGS_TEST_REL", "1")
        .current_dir(tmp.path())
        .status()
        .unwrap();
    assert!(st.success());
    assert_eq!(lsns(&Wal::open(&tmp.path().join("wal")).unwrap()), vec![1]);
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

#[test]
fn shared_wal_api_matches_wal() {
    let tmp = tempfile::tempdir().unwrap();
    let wal = SharedWal::open(tmp.path()).unwrap();
    assert_eq!(wal.append(b"a").unwrap(), Lsn(1));
    assert_eq!(wal.append_batch(&[b"b", b"c"]).unwrap().last, Lsn(3));
    assert_eq!(wal.append_many(&[b"d"]).unwrap().first, Lsn(4));
    wal.rotate().unwrap();
    assert_eq!(wal.segment_count(), 2);
    assert_eq!(wal.read(Lsn(2)).unwrap(), b"b");
    // Truncating into the completed segment makes it the active one again.
    assert_eq!(wal.truncate_after(Lsn(3)).unwrap(), 1);
    assert_eq!(wal.next_lsn(), Lsn(4));
    assert_eq!(wal.segment_count(), 1);
    wal.rotate().unwrap();
    assert_eq!(wal.checkpoint(Lsn(3)).unwrap(), 1);
    assert_eq!(wal.first_lsn(), Lsn(4));
    assert_eq!(collect(wal.iter()).len(), 0);
    assert_eq!(wal.append(b"e").unwrap(), Lsn(4));
    assert_eq!(wal.sync().unwrap(), Lsn(4));
    assert_eq!(wal.tail_state(), TailState::Clean);
    assert!(!wal.is_read_only() && !wal.is_poisoned());
    assert_eq!(
        collect(wal.iter_from(Lsn(4)).unwrap()),
        vec![(Lsn(4), b"e".to_vec())]
    );
}
