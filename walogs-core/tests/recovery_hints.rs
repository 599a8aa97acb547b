//! Recovery tells the kernel that it reads each segment once, in order (a larger read-ahead
//! window for a cold open). The hint goes to the descriptor the scan reads through, once per
//! segment, and its failure changes nothing.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use common::*;
use walogs_core::{Lsn, WalOptions};
use walogs_testkit::{Action, HookFs, Op};

#[test]
fn every_segment_scanned_is_advised_once_and_a_failed_hint_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut wal = WalOptions::new()
        .max_segment_size(Some(4096))
        .open(dir.path())
        .unwrap();
    for i in 1..=60u64 {
        assert_eq!(wal.append(&vec![i as u8; 300]).unwrap(), Lsn(i));
    }
    wal.close().unwrap();
    let segments: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("wal-"))
        .collect();
    assert!(segments.len() >= 4, "{segments:?}");

    let advised = Arc::new(Mutex::new(BTreeMap::<String, usize>::new()));
    let a = advised.clone();
    let fs = HookFs::new(move |op: &Op<'_>| {
        if let Op::AdviseSequential { name } = *op {
            *a.lock().unwrap().entry(name.to_string()).or_default() += 1;
            return Action::Fail(std::io::Error::from_raw_os_error(libc::EIO));
        }
        Action::Proceed
    });
    let wal = WalOptions::new()
        .max_segment_size(Some(4096))
        .file_system(fs.into_fs())
        .open(dir.path())
        .unwrap();
    let got = collect(wal.iter());
    assert_eq!(got.len(), 60);
    for (i, (lsn, data)) in got.iter().enumerate() {
        assert_eq!(*lsn, Lsn(i as u64 + 1));
        assert_eq!(*data, vec![lsn.0 as u8; 300]);
    }
    let advised = advised.lock().unwrap();
    for s in &segments {
        assert_eq!(advised.get(s), Some(&1), "{s}: {advised:?}");
    }
}
