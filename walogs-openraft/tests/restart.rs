//! Every kind of operation survives dropping the store and reopening its directory: the log
//! state, the vote, the committed log id and the entries come back as they were, with index
//! `i` at LSN `i + 1`.

mod support;

use std::path::Path;

use openraft::{LogId, Vote};
use support::{Store, append_sync, blank, log_id, membership, normal};
use walogs_core::{Lsn, SharedWal};
use walogs_openraft::codec::{encode_entry, encode_gap};
use walogs_openraft::{StoreError, StoredState};

/// Entries 0..n: a blank, a membership, then normal entries of term 1.
fn feed(store: &mut Store, n: u64) {
    let mut es = vec![blank(1, 0), membership(1, 1, &[1, 2, 3])];
    es.extend((2..n).map(|i| normal(1, i, 40 + i as usize)));
    append_sync(store, es).expect("append");
}

/// What a reopened store shows: log state, vote, committed, every entry's index.
fn shown(store: &Store) -> (Option<LogId<u64>>, Option<LogId<u64>>, Vec<u64>) {
    let st = store.log_state();
    let idx = store
        .entries(..)
        .expect("read")
        .iter()
        .map(|e| e.log_id.index)
        .collect();
    (st.last_purged_log_id, st.last_log_id, idx)
}

fn reopen(dir: &Path, store: Store) -> Store {
    store.close().expect("close");
    Store::open(dir).expect("reopen")
}

#[test]
fn appended_entries_come_back_byte_for_byte_at_their_lsn() {
    let t = tempfile::tempdir().unwrap();
    let mut s = Store::open(t.path()).unwrap();
    feed(&mut s, 10);
    let before = s.entries(..).unwrap();
    let s = reopen(t.path(), s);
    assert_eq!(s.entries(..).unwrap(), before);
    assert_eq!(shown(&s), (None, Some(log_id(1, 1, 9)), (0..10).collect()));
    assert_eq!(s.next_index(), 10);
    assert_eq!(s.wal().next_lsn(), Lsn(11), "index i is LSN i + 1");
    let raw = s.wal().read(Lsn(6)).unwrap();
    assert_eq!(raw, encode_entry(&before[5]).unwrap());
}

#[test]
fn a_truncation_survives_a_reopen() {
    let t = tempfile::tempdir().unwrap();
    let mut s = Store::open(t.path()).unwrap();
    feed(&mut s, 10);
    s.truncate_from(&log_id(1, 1, 6)).unwrap();
    let mut s = reopen(t.path(), s);
    assert_eq!(shown(&s), (None, Some(log_id(1, 1, 5)), (0..6).collect()));
    append_sync(&mut s, vec![normal(2, 6, 10)]).unwrap();
    let s = reopen(t.path(), s);
    assert_eq!(shown(&s), (None, Some(log_id(2, 2, 6)), (0..7).collect()));
    assert_eq!(s.entries(6..7).unwrap(), vec![normal(2, 6, 10)]);
}

#[test]
fn truncating_everything_survives_a_reopen() {
    let t = tempfile::tempdir().unwrap();
    let mut s = Store::open(t.path()).unwrap();
    feed(&mut s, 5);
    s.truncate_from(&log_id(0, 0, 0)).unwrap();
    let s = reopen(t.path(), s);
    assert_eq!(shown(&s), (None, None, vec![]));
    assert_eq!(s.next_index(), 0);
}

#[test]
fn a_purge_survives_a_reopen() {
    let t = tempfile::tempdir().unwrap();
    let mut s = Store::open(t.path()).unwrap();
    feed(&mut s, 10);
    s.purge_to(&log_id(1, 1, 4)).unwrap();
    let s = reopen(t.path(), s);
    assert_eq!(
        shown(&s),
        (
            Some(log_id(1, 1, 4)),
            Some(log_id(1, 1, 9)),
            (5..10).collect()
        )
    );
    assert!(
        s.entries(0..5).unwrap().is_empty(),
        "below the floor: absent"
    );
    assert_eq!(s.wal().purged_up_to(), Lsn(5));
}

#[test]
fn a_purge_past_the_end_restarts_the_log_after_it_across_reopens() {
    let t = tempfile::tempdir().unwrap();
    let mut s = Store::open(t.path()).unwrap();
    feed(&mut s, 5);
    s.purge_to(&log_id(3, 2, 20)).unwrap();
    let mut s = reopen(t.path(), s);
    assert_eq!(
        shown(&s),
        (Some(log_id(3, 2, 20)), Some(log_id(3, 2, 20)), vec![])
    );
    assert_eq!(s.next_index(), 21);
    append_sync(&mut s, vec![normal(3, 21, 8), normal(3, 22, 8)]).unwrap();
    let s = reopen(t.path(), s);
    assert_eq!(
        shown(&s),
        (Some(log_id(3, 2, 20)), Some(log_id(3, 0, 22)), vec![21, 22])
    );
    assert_eq!(s.wal().next_lsn(), Lsn(24));
}

#[test]
fn the_vote_survives_a_reopen() {
    let t = tempfile::tempdir().unwrap();
    let mut s = Store::open(t.path()).unwrap();
    feed(&mut s, 3);
    s.save_vote_now(&Vote::new(4, 2)).unwrap();
    let mut s = reopen(t.path(), s);
    assert_eq!(s.stored_state().vote, Some(Vote::new(4, 2)));
    s.save_vote_now(&Vote::new_committed(5, 1)).unwrap();
    let s = reopen(t.path(), s);
    assert_eq!(s.stored_state().vote, Some(Vote::new_committed(5, 1)));
    assert_eq!(shown(&s).2, vec![0, 1, 2], "the log is unchanged");
}

#[test]
fn the_committed_log_id_survives_a_reopen() {
    let t = tempfile::tempdir().unwrap();
    let mut s = Store::open(t.path()).unwrap();
    feed(&mut s, 6);
    s.save_vote_now(&Vote::new(1, 1)).unwrap();
    s.save_committed_now(Some(log_id(1, 1, 4))).unwrap();
    let s = reopen(t.path(), s);
    let st = s.stored_state();
    assert_eq!(st.committed, Some(log_id(1, 1, 4)));
    assert_eq!(st.vote, Some(Vote::new(1, 1)), "the other fields are kept");
}

#[test]
fn a_forward_jump_keeps_index_equal_to_lsn_across_reopens() {
    let t = tempfile::tempdir().unwrap();
    let mut s = Store::open(t.path()).unwrap();
    append_sync(&mut s, vec![normal(1, 1, 5)]).unwrap();
    append_sync(&mut s, vec![normal(1, 3, 5)]).unwrap();
    let mut s = reopen(t.path(), s);
    assert_eq!(shown(&s), (None, Some(log_id(1, 1, 3)), vec![1, 3]));
    assert!(s.entries(2..3).unwrap().is_empty(), "a gap reads as absent");
    assert!(s.entries(0..1).unwrap().is_empty());
    assert_eq!(s.wal().next_lsn(), Lsn(5));
    assert_eq!(s.wal().read(Lsn(3)).unwrap(), encode_gap(2));
    append_sync(&mut s, vec![normal(1, 4, 5)]).unwrap();
    let s = reopen(t.path(), s);
    assert_eq!(shown(&s).2, vec![1, 3, 4]);
}

#[test]
fn a_truncation_after_a_gap_cuts_the_gap_too() {
    let t = tempfile::tempdir().unwrap();
    let mut s = Store::open(t.path()).unwrap();
    append_sync(&mut s, vec![normal(1, 0, 5), normal(1, 3, 5)]).unwrap();
    s.truncate_from(&log_id(1, 1, 3)).unwrap();
    let s = reopen(t.path(), s);
    assert_eq!(shown(&s), (None, Some(log_id(1, 1, 0)), vec![0]));
    assert_eq!(s.next_index(), 1, "no trailing gap records are kept");
}

#[test]
fn open_finishes_a_purge_recorded_in_the_state_but_not_done() {
    let t = tempfile::tempdir().unwrap();
    let mut s = Store::open(t.path()).unwrap();
    feed(&mut s, 10);
    s.close().unwrap();
    // The state write of a purge reached the disk, the walogs purge did not.
    let wal = SharedWal::open(t.path()).unwrap();
    let state = StoredState::<u64> {
        purged: Some(log_id(1, 1, 5)),
        ..Default::default()
    };
    wal.set_user_data(&state.encode().unwrap()).unwrap();
    wal.close().unwrap();
    let s = Store::open(t.path()).unwrap();
    assert_eq!(s.wal().purged_up_to(), Lsn(6));
    assert_eq!(
        shown(&s),
        (
            Some(log_id(1, 1, 5)),
            Some(log_id(1, 1, 9)),
            (6..10).collect()
        )
    );
}

#[test]
fn open_cuts_gap_records_a_crash_left_at_the_end() {
    let t = tempfile::tempdir().unwrap();
    // A crash inside an append that jumped: the entry and a gap reached the disk, not the
    // entry after the gaps.
    let wal = SharedWal::open(t.path()).unwrap();
    let first = encode_entry(&normal(1, 0, 9)).unwrap();
    let _ = wal
        .append_many(&[first, encode_gap(1), encode_gap(2)])
        .unwrap();
    wal.close().unwrap();
    let s = Store::open(t.path()).unwrap();
    assert_eq!(shown(&s), (None, Some(log_id(1, 1, 0)), vec![0]));
    assert_eq!(s.wal().next_lsn(), Lsn(2));
}

#[test]
fn a_store_opened_twice_is_refused_while_the_first_is_open() {
    let t = tempfile::tempdir().unwrap();
    let s = Store::open(t.path()).unwrap();
    let err = Store::open(t.path()).unwrap_err();
    assert!(
        matches!(err, StoreError::Wal(walogs_core::WalError::Locked { .. })),
        "{err}"
    );
    drop(s);
    Store::open(t.path()).expect("dropping the store releases the directory");
}
