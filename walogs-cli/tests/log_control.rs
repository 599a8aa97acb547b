//! `walogs purge` and `walogs truncate`: what they remove, what they print, and the refusals
//! of the core (below the floor, past the end, locked).

mod common;

use common::*;
use walogs_core::{Lsn, WalOptions};

/// `walogs --json ARGS... DIR` parsed.
fn json_run(args: &[&str], dir: &std::path::Path) -> (i32, serde_json::Value) {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    all.push(p(dir));
    let r = walogs(&all);
    (r.code, r.json())
}

/// Every file of `dir` but the lock file (a writable open records its pid there) with its
/// bytes: what a change that does nothing must leave alone.
fn log_files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut v = snapshot(dir);
    v.retain(|(n, _)| n != walogs_core::LOCK_FILENAME);
    v
}

/// The first LSN of every segment file of `dir`, oldest first.
fn segment_starts(dir: &std::path::Path) -> Vec<(String, u64)> {
    segments(dir)
        .iter()
        .map(|s| (name(s), frames_of(s)[0].1))
        .collect()
}

#[test]
fn purge_removes_the_entries_and_the_segments_that_held_only_those() {
    let d = tempfile::tempdir().unwrap();
    let all = healthy(d.path());
    let starts = segment_starts(d.path());
    // Up to the middle of the third segment: the first two go, the third stays.
    let up_to = starts[2].1 + 2;
    let (code, v) = json_run(&["purge", "--up-to", &up_to.to_string()], d.path());
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["status"], "purged");
    assert_eq!(v["purged_up_to_before"], 0);
    assert_eq!(v["purged_up_to"], up_to);
    assert_eq!(v["removed"]["first"], 1);
    assert_eq!(v["removed"]["last"], up_to);
    assert_eq!(v["removed"]["count"], up_to);
    assert!(v["skipped"].is_null());
    let gone = [starts[0].0.clone(), starts[1].0.clone()];
    assert_eq!(v["deleted_files"], serde_json::json!(gone));
    assert_eq!(v["segments_deleted"], 2);
    assert_eq!(
        (v["first_lsn"].as_u64(), v["next_lsn"].as_u64()),
        (Some(up_to + 1), Some(ENTRIES + 1))
    );
    for f in &gone {
        assert!(!d.path().join(f).exists(), "{f} still exists");
    }
    let left = read_all(d.path());
    assert_eq!(
        left[0].0,
        up_to + 1,
        "the oldest entry is the one after the floor"
    );
    assert_eq!(left.len() as u64, ENTRIES - up_to);
    assert_eq!(left[0].1, all[up_to as usize]);
    // dump and info agree: nothing at or below the floor is shown.
    let dumped = walogs(&["--json", "dump", p(d.path())]).json_lines();
    assert_eq!(dumped[0]["lsn"], up_to + 1);
    let info = walogs(&["--json", "info", p(d.path())]).json();
    assert_eq!(info["purged_up_to"], up_to);
    assert_eq!(info["first_lsn"], up_to + 1);

    // At or below the floor: nothing changes.
    let before = log_files(d.path());
    let t = walogs(&["purge", "--up-to", "3", p(d.path())]);
    assert_eq!(t.code, 0, "{}", t.stderr);
    assert!(t.stdout.starts_with("NOTHING TO PURGE"), "{}", t.stdout);
    assert!(
        t.stdout.contains(&format!("purge floor (LSN {up_to})")),
        "{}",
        t.stdout
    );
    let (_, v) = json_run(&["purge", "--up-to", "3"], d.path());
    assert_eq!(
        (v["status"].as_str(), v["removed"].is_null()),
        (Some("nothing"), true)
    );
    assert!(
        log_files(d.path()) == before,
        "a purge below the floor changed the log"
    );
}

#[test]
fn purge_past_the_end_empties_the_log_and_the_next_lsn_follows_it() {
    let d = tempfile::tempdir().unwrap();
    healthy(d.path());
    let t = walogs(&["purge", "--up-to", "500", p(d.path())]);
    assert_eq!(t.code, 0, "{}", t.stderr);
    for want in [
        "PURGED",
        &format!("removed LSN 1..={ENTRIES} ({ENTRIES} entries)"),
        &format!("skipped LSN {}..=500", ENTRIES + 1),
        "purge floor: LSN 500 (was none)",
        "next LSN 501",
    ] {
        assert!(t.stdout.contains(want), "want {want:?}: {}", t.stdout);
    }
    assert!(read_all(d.path()).is_empty());
    let r = walogs_stdin(&["append", p(d.path())], b"after the snapshot\n");
    assert_eq!(r.stdout, "501\n", "{}", r.stderr);
    assert_eq!(
        read_all(d.path()),
        vec![(501, b"after the snapshot".to_vec())]
    );
}

#[test]
fn truncate_removes_the_newest_entries_and_the_segments_that_held_only_those() {
    let d = tempfile::tempdir().unwrap();
    let all = healthy(d.path());
    let starts = segment_starts(d.path());
    let last_name = starts.last().unwrap().0.clone();
    // Keep up to an entry inside the segment before the last one: the last one goes.
    let keep = starts[starts.len() - 2].1 + 1;
    let (code, v) = json_run(&["truncate", "--after", &keep.to_string()], d.path());
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["status"], "truncated");
    assert_eq!(v["entries_removed"], ENTRIES - keep);
    assert_eq!(
        (
            v["removed"]["first"].as_u64(),
            v["removed"]["last"].as_u64()
        ),
        (Some(keep + 1), Some(ENTRIES))
    );
    assert_eq!(v["deleted_files"], serde_json::json!([last_name]));
    assert_eq!(v["next_lsn"], keep + 1);
    let left = read_all(d.path());
    assert_eq!(left.len() as u64, keep);
    assert_eq!(left.last().unwrap().1, all[keep as usize - 1]);

    let t = walogs(&["truncate", "--after", "10", p(d.path())]);
    assert_eq!(t.code, 0, "{}", t.stderr);
    for want in [
        "TRUNCATED",
        &format!("removed LSN 11..={keep} ({} entries)", keep - 10),
        "the log holds LSN 1..=10 (10 entries), next LSN 11",
    ] {
        assert!(t.stdout.contains(want), "want {want:?}: {}", t.stdout);
    }
    assert_eq!(walogs(&["verify", p(d.path())]).code, 0);
}

/// A cut inside an atomic batch (a unit of member frames): the entries after the cut go, the
/// ones before it stay, and the log reopens at the cut.
#[test]
fn truncate_inside_a_batch() {
    let d = tempfile::tempdir().unwrap();
    let input: String = (1..=12).map(|i| format!("e{i}\n")).collect();
    let r = walogs_stdin(&["append", "--batch", "5", p(d.path())], input.as_bytes());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (code, v) = json_run(&["truncate", "--after", "7"], d.path());
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["entries_removed"], 5);
    assert_eq!(
        (
            v["removed"]["first"].as_u64(),
            v["removed"]["last"].as_u64()
        ),
        (Some(8), Some(12))
    );
    let left: Vec<u64> = read_all(d.path()).iter().map(|(l, _)| *l).collect();
    assert_eq!(left, (1..=7).collect::<Vec<_>>());
    let r = walogs_stdin(&["append", p(d.path())], b"next\n");
    assert_eq!(r.stdout, "8\n", "{}", r.stderr);
    assert_eq!(walogs(&["verify", p(d.path())]).code, 0);
}

#[test]
fn truncate_at_or_past_the_end_removes_nothing_and_below_the_oldest_is_refused() {
    let d = tempfile::tempdir().unwrap();
    healthy(d.path());
    let before = log_files(d.path());
    for after in [ENTRIES, ENTRIES + 1000] {
        let t = walogs(&["truncate", "--after", &after.to_string(), p(d.path())]);
        assert_eq!(t.code, 0, "{}", t.stderr);
        assert!(t.stdout.starts_with("NOTHING TO TRUNCATE"), "{}", t.stdout);
        let (_, v) = json_run(&["truncate", "--after", &after.to_string()], d.path());
        assert_eq!(
            (v["status"].as_str(), v["entries_removed"].as_u64()),
            (Some("nothing"), Some(0))
        );
    }
    assert!(
        log_files(d.path()) == before,
        "a truncation past the end changed the log"
    );

    let mut wal = WalOptions::new().open(d.path()).unwrap();
    wal.purge_up_to(Lsn(40)).unwrap();
    close(wal);
    let before = log_files(d.path());
    let (code, v) = json_run(&["truncate", "--after", "10"], d.path());
    assert_eq!(code, 1, "{v}");
    let e = &v["error"];
    assert_eq!(e["kind"], "lsn_out_of_range");
    assert_eq!(
        (e["lsn"].as_u64(), e["first_lsn"].as_u64()),
        (Some(10), Some(41))
    );
    assert!(
        log_files(d.path()) == before,
        "a refused truncation changed the log"
    );
}

#[test]
fn purge_and_truncate_wait_for_no_lock() {
    let d = tempfile::tempdir().unwrap();
    healthy(d.path());
    let wal = WalOptions::new().open(d.path()).unwrap();
    for args in [
        &["purge", "--up-to", "5"][..],
        &["truncate", "--after", "5"],
    ] {
        let (code, v) = json_run(args, d.path());
        assert_eq!(code, 4, "{args:?}: {v}");
        assert_eq!(v["error"]["kind"], "locked");
    }
    close(wal);
    assert_eq!(read_all(d.path()).len() as u64, ENTRIES);
}
