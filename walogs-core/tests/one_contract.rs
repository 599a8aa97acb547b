//! `Wal` and `SharedWal` are one contract: the same call gives the same result on both.
//! Every check here runs, through [`WalHandle`], on each handle type.

mod common;

use common::*;
use std::path::Path;
use walogs_core::WalHandle;
use walogs_core::{Lsn, SharedWal, TailState, Wal, WalError, WalOptions};

fn run<H: WalHandle>(mut h: H, dir: &Path, ro_open: impl Fn(&Path) -> H) {
    // Appends get dense LSNs; the durable watermark follows under EveryAppend.
    assert_eq!(h.append(b"a").unwrap(), Lsn(1));
    assert_eq!(h.append_batch(&[b"b", b"c"]).unwrap().last, Lsn(3));
    assert_eq!(h.durable_lsn(), Lsn(3));
    assert_eq!(h.sync().unwrap(), Lsn(3));
    // The directory is the resolved, absolute one.
    assert_eq!(h.dir(), dir.canonicalize().unwrap());
    assert!(h.dir().is_absolute());
    // Out-of-range reads and bad input are the same errors.
    assert!(matches!(
        h.read(Lsn(9)),
        Err(WalError::LsnOutOfRange { .. })
    ));
    assert!(matches!(
        h.append_batch::<&[u8]>(&[]),
        Err(WalError::InvalidArgument { .. })
    ));
    assert!(matches!(
        h.append(&vec![0; walogs_core::MAX_ENTRY_SIZE + 1]),
        Err(WalError::EntryTooLarge { .. })
    ));
    assert_eq!(h.next_lsn(), Lsn(4), "refused input consumed no LSN");
    // A read-only handle: every mutation, sync included, is ReadOnly.
    {
        let mut ro = ro_open(dir);
        assert!(ro.is_read_only());
        assert!(matches!(ro.sync(), Err(WalError::ReadOnly)));
        assert!(matches!(ro.append(b"x"), Err(WalError::ReadOnly)));
        assert!(matches!(ro.rotate(), Err(WalError::ReadOnly)));
        assert!(matches!(ro.checkpoint(Lsn(1)), Err(WalError::ReadOnly)));
        assert!(matches!(ro.truncate_after(Lsn(1)), Err(WalError::ReadOnly)));
        assert_eq!(ro.iter().count(), 3);
    }
    // An iterator used after its WAL is closed: one Closed error, then the end.
    let mut it = h.iter();
    assert_eq!(it.next().unwrap().unwrap().0, Lsn(1));
    h.close_handle().unwrap();
    assert!(matches!(it.next(), Some(Err(WalError::Closed))));
    assert!(it.next().is_none());
    assert!(matches!(h.append(b"x"), Err(WalError::Closed)));
    assert!(matches!(h.ensure_usable(), Err(WalError::Closed)));
    assert!(matches!(h.iter_from(Lsn(1)), Err(WalError::Closed)));
    assert!(matches!(h.read(Lsn(1)), Err(WalError::Closed)));
    h.close_handle().unwrap();
}

#[test]
fn both_handles_behave_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    let d1 = tmp.path().join("owned");
    run(Wal::open(&d1).unwrap(), &d1, |d| {
        WalOptions::new().read_only(true).open(d).unwrap()
    });
    let d2 = tmp.path().join("shared");
    run(SharedWal::open(&d2).unwrap(), &d2, |d| {
        WalOptions::new().read_only(true).open_shared(d).unwrap()
    });
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
