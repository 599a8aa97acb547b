//! Every directory written by the published walogs 0.1 crate opens and yields exactly the
//! entries its README lists.

mod common;

use std::path::{Path, PathBuf};

use common::{collect, copy_dir};
use walogs_core::{Lsn, TailState, Wal, WalOptions};

fn fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/walogs-0.1")
        .join(name);
    assert!(src.is_dir(), "fixture {} missing", src.display());
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join(name);
    copy_dir(&src, &dst);
    (tmp, dst)
}

#[test]
fn multi_segment() {
    let (_t, dir) = fixture("multi-segment");
    let wal = Wal::open(&dir).unwrap();
    let entries = collect(wal.iter());
    assert_eq!(entries.len(), 1000);
    for (i, (lsn, data)) in entries.iter().enumerate() {
        let n = i as u64 + 1;
        assert_eq!(*lsn, Lsn(n));
        assert_eq!(
            data,
            &format!("entry-{n};")
                .repeat((n % 7) as usize + 1)
                .into_bytes()
        );
    }
    assert_eq!(wal.next_lsn(), Lsn(1001));
    assert_eq!(wal.tail_state(), TailState::Clean);
    assert!(wal.segment_count() > 1);
    // Reads by LSN agree with the iterator.
    assert_eq!(wal.read(Lsn(500)).unwrap(), entries[499].1);
    let from: Vec<_> = collect(wal.iter_from(Lsn(990)).unwrap());
    assert_eq!(from.len(), 11);
    assert_eq!(from[0].0, Lsn(990));
}

#[test]
fn checkpointed() {
    let (_t, dir) = fixture("checkpointed");
    let mut wal = Wal::open(&dir).unwrap();
    let entries = collect(wal.iter());
    let first = entries[0].0.0;
    assert!(
        first <= 151,
        "entries above the checkpoint must remain (first {first})"
    );
    assert_eq!(entries.last().unwrap().0, Lsn(300));
    for (i, (lsn, data)) in entries.iter().enumerate() {
        assert_eq!(lsn.0, first + i as u64);
        assert_eq!(data, format!("cp-{}", lsn.0).as_bytes());
    }
    assert_eq!(wal.next_lsn(), Lsn(301));
    assert_eq!(wal.first_lsn(), Lsn(first));
    assert_eq!(wal.append(b"next").unwrap(), Lsn(301));
}

#[test]
fn binary() {
    let (_t, dir) = fixture("binary");
    let wal = Wal::open(&dir).unwrap();
    let e = collect(wal.iter());
    let all: Vec<u8> = (0..=255u8).collect();
    assert_eq!(
        e,
        vec![
            (Lsn(1), vec![]),
            (Lsn(2), all),
            (Lsn(3), vec![0u8; 100_000])
        ]
    );
}

#[test]
fn v1_is_migrated_and_read_only_open_does_not_migrate() {
    let (_t, dir) = fixture("v1");
    let ro = WalOptions::new().read_only(true).open(&dir).unwrap();
    assert_eq!(collect(ro.iter()).len(), 3);
    assert!(
        dir.join("wal.log").exists(),
        "read-only open must not rename"
    );
    drop(ro);
    let wal = Wal::open(&dir).unwrap();
    assert!(!dir.join("wal.log").exists());
    assert!(dir.join("wal-000001.log").exists());
    assert!(wal.recovery_report().migrated_v1);
    let e = collect(wal.iter());
    assert_eq!(e.len(), 3);
    assert_eq!(e[2], (Lsn(3), vec![0u8; 100_000]));
}
