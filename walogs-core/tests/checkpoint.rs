//! Checkpoints: deleting applied segments never lets an LSN be handed out twice.

mod common;

use common::*;
use walogs_core::{Lsn, Wal, WalConfig, WalError};

/// A directory written by walogs 0.1 has no `walogs.meta`. Checkpointing every completed
/// segment and reopening (with an empty active segment) must continue after the highest LSN
/// ever handed out, not restart at 1.
#[test]
fn checkpointing_every_segment_of_a_01_directory_then_reopening_keeps_lsns() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut old = walogs_v01::Wal::open_with_config(
            tmp.path(),
            walogs_v01::WalConfig {
                max_segment_size: Some(100),
            },
        )
        .unwrap();
        for i in 0..6u8 {
            old.append(&[i; 40]).unwrap();
        }
        old.rotate().unwrap();
    }
    assert!(!tmp.path().join("walogs.meta").exists());
    let config = WalConfig {
        max_segment_size: Some(100),
    };
    {
        let mut w = Wal::open_with_config(tmp.path(), config.clone()).unwrap();
        assert_eq!(w.next_lsn(), Lsn(7));
        let deleted = w.checkpoint(Lsn(6)).unwrap();
        assert_eq!(deleted, w.segment_count().max(deleted));
        assert_eq!(
            w.segment_count(),
            1,
            "only the (empty) active segment is left"
        );
        assert_eq!(w.first_lsn(), Lsn(7));
    }
    let mut w = Wal::open_with_config(tmp.path(), config).unwrap();
    assert_eq!(
        w.next_lsn(),
        Lsn(7),
        "LSNs 1..=6 are never handed out again"
    );
    assert_eq!(w.iter().count(), 0);
    assert_eq!(w.append(b"seven").unwrap(), Lsn(7));
}

// 1. LSNs are never reused after a full checkpoint.
#[test]
fn no_lsn_reuse_after_full_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut wal = Wal::open_with_config(tmp.path(), no_rotation()).unwrap();
        for _ in 0..3 {
            wal.append(b"x").unwrap();
        }
        wal.rotate().unwrap();
        assert_eq!(wal.checkpoint(Lsn(3)).unwrap(), 1);
    }
    let mut wal = Wal::open_with_config(tmp.path(), no_rotation()).unwrap();
    assert_eq!(wal.next_lsn(), Lsn(4));
    assert_eq!(wal.append(b"y").unwrap(), Lsn(4));
    drop(wal);
    let wal = Wal::open(tmp.path()).unwrap();
    assert_eq!(collect(wal.iter()), vec![(Lsn(4), b"y".to_vec())]);
}

#[test]
fn iterator_created_before_checkpoint_finishes_or_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wal = Wal::open_with_config(tmp.path(), no_rotation()).unwrap();
    for i in 0..3u8 {
        wal.append(&[i]).unwrap();
        wal.rotate().unwrap();
    }
    let it = wal.iter();
    assert_eq!(wal.checkpoint(Lsn(3)).unwrap(), 3);
    let items: Vec<_> = it.collect();
    assert_eq!(items.len(), 1);
    assert!(matches!(&items[0], Err(WalError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound));
}
