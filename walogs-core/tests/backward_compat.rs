//! Directories move both ways between walogs-core and the published walogs 0.1 crate
//! (pinned as a dev-dependency under the name `walogs_v01`).

mod common;

use common::collect;
use walogs_core::{Lsn, Wal, WalConfig};

fn payload(i: u64) -> Vec<u8> {
    format!("payload-{i}-")
        .repeat((i % 5) as usize + 1)
        .into_bytes()
}

#[test]
fn written_by_core_with_defaults_opens_under_01() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = WalConfig {
        max_segment_size: Some(512),
    };
    {
        let mut wal = Wal::open_with_config(tmp.path(), cfg.clone()).unwrap();
        for i in 1..=100 {
            assert_eq!(wal.append(&payload(i)).unwrap(), Lsn(i));
        }
        wal.rotate().unwrap();
        wal.checkpoint(Lsn(10)).unwrap();
        for i in 101..=120 {
            wal.append(&payload(i)).unwrap();
        }
    }
    let old = walogs_v01::Wal::open_with_config(
        tmp.path(),
        walogs_v01::WalConfig {
            max_segment_size: Some(512),
        },
    )
    .unwrap();
    assert_eq!(
        old.tail_state(),
        walogs_v01::TailState::Clean,
        "clean close leaves exact frames"
    );
    let got: Vec<(u64, Vec<u8>)> = old
        .iter()
        .map(|r| r.map(|(l, d)| (l.0, d)).unwrap())
        .collect();
    assert_eq!(got.last().unwrap().0, 120);
    for (l, d) in &got {
        assert_eq!(d, &payload(*l));
    }
    assert_eq!(old.next_lsn(), walogs_v01::Lsn(121));
}

#[test]
fn written_by_01_opens_under_core_and_continues() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut old = walogs_v01::Wal::open_with_config(
            tmp.path(),
            walogs_v01::WalConfig {
                max_segment_size: Some(300),
            },
        )
        .unwrap();
        for i in 1..=50 {
            old.append(&payload(i)).unwrap();
        }
    }
    let mut wal = Wal::open_with_config(
        tmp.path(),
        WalConfig {
            max_segment_size: Some(300),
        },
    )
    .unwrap();
    assert_eq!(wal.next_lsn(), Lsn(51));
    assert_eq!(wal.append(&payload(51)).unwrap(), Lsn(51));
    let e = collect(wal.iter());
    assert_eq!(e.len(), 51);
    assert!(e.iter().all(|(l, d)| d == &payload(l.0)));
}

#[test]
fn preallocated_tail_is_trimmed_on_close() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wal = Wal::open(tmp.path()).unwrap();
    wal.append(b"abc").unwrap();
    let seg = common::seg(tmp.path(), 1);
    assert!(
        common::file_len(&seg) > 19,
        "the active segment is preallocated while open"
    );
    wal.close().unwrap();
    assert_eq!(common::file_len(&seg), 19);
}
