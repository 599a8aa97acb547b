//! A WAL opened with a relative path keeps acting on the directory it opened after the
//! process changes its working directory. (One test in this binary: `chdir` is
//! process-wide.)

use walogs_core::{Lsn, Wal, WalOptions};

#[test]
fn a_relative_path_is_resolved_once_at_open() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let start = std::env::current_dir().unwrap();
    // B holds its own WAL called `rel`, with entries 1..=8.
    std::env::set_current_dir(&b).unwrap();
    {
        let mut other = WalOptions::new()
            .max_segment_size(Some(100))
            .open("rel")
            .unwrap();
        for i in 0..8u8 {
            other.append(&[b'B', i]).unwrap();
        }
    }
    std::env::set_current_dir(&a).unwrap();
    let mut wal = WalOptions::new()
        .max_segment_size(Some(100))
        .open("rel")
        .unwrap();
    let shared = WalOptions::new().open_shared("rel2").unwrap();
    assert_eq!(wal.dir(), a.join("rel").canonicalize().unwrap());
    std::env::set_current_dir(&b).unwrap();
    // Appends, rotations, checkpoints and truncations all act on A's WAL.
    for i in 0..8u8 {
        wal.append(&[b'A', i]).unwrap();
        shared.append(&[b'S', i]).unwrap();
    }
    wal.rotate().unwrap();
    let deleted = wal.checkpoint(Lsn(6)).unwrap();
    assert!(deleted > 0);
    assert_eq!(wal.truncate_after(Lsn(7)).unwrap(), 1);
    let a_entries: Vec<Vec<u8>> = wal.iter().map(|e| e.unwrap().1).collect();
    assert!(a_entries.iter().all(|e| e[0] == b'A'));
    drop(wal);
    shared.close().unwrap();
    std::env::set_current_dir(&start).unwrap();
    // B's WAL is untouched: all eight entries, no segment deleted.
    let other = Wal::open(&b.join("rel")).unwrap();
    let got: Vec<Vec<u8>> = other.iter().map(|e| e.unwrap().1).collect();
    assert_eq!(got, (0..8u8).map(|i| vec![b'B', i]).collect::<Vec<_>>());
    assert!(!b.join("rel2").exists());
    let s = Wal::open(&a.join("rel2")).unwrap();
    assert_eq!(s.iter().count(), 8);
}
