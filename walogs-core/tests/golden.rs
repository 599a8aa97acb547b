//! Every golden vector under `tests/golden/` reads back through the core as its
//! `expected.json` says: entries, LSNs, purge floor, user data, tail, the damage an open
//! refuses, and the recovery report of a writable open. Opens work on copies.

use walogs_core::{TailState, Wal, WalError, WalOptions};
use walogs_golden::model::{Expected, ExpectedError, OpenMode};
use walogs_golden::{Vector, hex};

/// `error` as the vector spells it.
fn error_of(e: &WalError) -> ExpectedError {
    let d = e.damage().unwrap_or_else(|| panic!("not damage: {e:?}"));
    ExpectedError {
        kind: "Corrupt".to_string(),
        damage: format!("{:?}", d.kind),
        file: d.file.clone(),
        offset: d.offset,
    }
}

fn truncated_at(t: TailState) -> Option<u64> {
    match t {
        TailState::Clean => None,
        TailState::TruncatedAt(off) => Some(off),
    }
}

/// What the log of `wal` holds, as the vector spells it.
fn read_back(wal: &Wal, e: &Expected) -> Expected {
    let entries = wal
        .iter()
        .map(|r| r.map(|(l, d)| (l.0, hex(&d))))
        .collect::<Result<Vec<_>, _>>()
        .expect("iterate");
    Expected {
        entries,
        first_lsn: Some(wal.first_lsn().0),
        next_lsn: Some(wal.next_lsn().0),
        purged_up_to: Some(wal.purged_up_to().0),
        user_data: Some(hex(&wal.user_data().expect("user data"))),
        tail_truncated_at: truncated_at(wal.tail_state()),
        ..e.clone()
    }
}

fn check(v: &Vector) {
    let e = &v.expected;
    assert_eq!(e.open, OpenMode::ReadOnly);
    let (_t, ro_dir) = v.copy().unwrap();
    let (_t2, rw_dir) = v.copy().unwrap();
    let ro = WalOptions::new().read_only(true).open(&ro_dir);
    let rw = Wal::open(&rw_dir);
    if let Some(want) = &e.error {
        let ro_err = ro.expect_err("read-only open must fail");
        let rw_err = rw.expect_err("writable open must fail");
        assert_eq!(&error_of(&ro_err), want, "read-only open");
        assert_eq!(&error_of(&rw_err), want, "writable open");
        assert!(e.entries.is_empty() && e.recovery.is_none());
        return;
    }
    let ro = ro.expect("read-only open");
    assert_eq!(&read_back(&ro, e), e, "read-only open");
    assert!(ro.recovery_report().read_only);
    let rw = rw.expect("writable open");
    let report = rw.recovery_report();
    let want = e
        .recovery
        .as_ref()
        .expect("recovery is set when the open succeeds");
    assert_eq!(
        truncated_at(report.tail),
        want.tail_truncated_at,
        "recovery tail"
    );
    assert_eq!(report.bytes_truncated, want.bytes_truncated, "bytes cut");
    assert_eq!(report.migrated_v1, want.migrated_v1, "v1 migration");
    // After the writable open the tail is cut: the same entries, a clean log.
    let after = Expected {
        tail_truncated_at: None,
        ..e.clone()
    };
    let mut got = read_back(&rw, e);
    got.tail_truncated_at = None;
    assert_eq!(got, after, "after the writable open");
    rw.close().unwrap();
}

#[test]
fn every_golden_vector_reads_as_expected() {
    let vectors = walogs_golden::vectors().unwrap();
    assert!(!vectors.is_empty(), "no vectors under tests/golden");
    for v in &vectors {
        let r = std::panic::catch_unwind(|| check(v));
        if let Err(p) = r {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("vector {}: {msg}", v.name);
        }
    }
}
