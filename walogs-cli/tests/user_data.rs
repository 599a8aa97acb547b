//! `walogs user-data`: printing the durable user data (raw, hex, JSON), replacing it from a
//! file or stdin, and the refusals (too large, locked, no log) that change nothing.

mod common;

use common::*;
use walogs_core::{MAX_USER_DATA, Wal, WalOptions};

fn user_data_of(dir: &std::path::Path) -> Vec<u8> {
    WalOptions::new()
        .read_only(true)
        .open(dir)
        .unwrap()
        .user_data()
        .unwrap()
}

#[test]
fn prints_what_the_library_stored_in_every_format() {
    let d = tempfile::tempdir().unwrap();
    healthy(d.path());
    let mut wal = Wal::open(d.path()).unwrap();
    wal.set_user_data(b"term=3\x00vote=2").unwrap();
    wal.close().unwrap();

    let raw = walogs(&["user-data", p(d.path())]);
    assert_eq!(raw.code, 0, "{}", raw.stderr);
    assert_eq!(raw.stdout.as_bytes(), b"term=3\x00vote=2");

    let hex = walogs(&["user-data", "--hex", p(d.path())]);
    assert_eq!(hex.stdout, "7465726d3d3300766f74653d32\n");

    let j = walogs(&["--json", "user-data", p(d.path())]).json();
    assert_eq!(j["len"], 13);
    assert_eq!(j["set"], false);
    assert_eq!(j["hex"], "7465726d3d3300766f74653d32");
}

#[test]
fn empty_before_the_first_set() {
    let d = tempfile::tempdir().unwrap();
    healthy(d.path());
    let r = walogs(&["--json", "user-data", p(d.path())]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["len"], 0);
}

#[test]
fn set_from_stdin_and_from_a_file_is_what_the_library_reads() {
    let d = tempfile::tempdir().unwrap();
    let all = healthy(d.path());
    let r = walogs_stdin(&["user-data", p(d.path()), "--set", "-"], b"vote=7");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("6 bytes (was 0 bytes)"), "{}", r.stdout);
    assert_eq!(user_data_of(d.path()), b"vote=7");

    let f = d.path().join("value.bin");
    let value: Vec<u8> = (0..MAX_USER_DATA).map(|i| (i % 251) as u8).collect();
    std::fs::write(&f, &value).unwrap();
    let j = walogs(&["--json", "user-data", p(d.path()), "--set", p(&f)]).json();
    assert_eq!(j["set"], true);
    assert_eq!(j["previous_len"], 6);
    assert_eq!(j["len"], MAX_USER_DATA);
    assert_eq!(
        user_data_of(d.path()),
        value,
        "the largest value round-trips"
    );

    // The entries are untouched.
    let wal = WalOptions::new().read_only(true).open(d.path()).unwrap();
    let got: Vec<Vec<u8>> = wal.iter().map(|r| r.unwrap().1).collect();
    assert_eq!(got, all);
}

#[test]
fn a_value_over_the_limit_is_refused_and_changes_nothing() {
    let d = tempfile::tempdir().unwrap();
    healthy(d.path());
    let mut wal = Wal::open(d.path()).unwrap();
    wal.set_user_data(b"old").unwrap();
    wal.close().unwrap();
    let before = snapshot(d.path());
    let big = vec![7u8; MAX_USER_DATA + 1];
    let r = walogs_stdin(&["user-data", p(d.path()), "--set", "-"], &big);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains(&MAX_USER_DATA.to_string()),
        "{}",
        r.stderr
    );
    assert_eq!(user_data_of(d.path()), b"old");
    let mut after = snapshot(d.path());
    let mut before = before;
    for v in [&mut before, &mut after] {
        v.retain(|(n, _)| n != walogs_core::LOCK_FILENAME);
    }
    assert_eq!(before, after, "a refused value changes no file");
}

#[test]
fn set_is_refused_while_another_writer_holds_the_log() {
    let d = tempfile::tempdir().unwrap();
    healthy(d.path());
    let _writer = Wal::open(d.path()).unwrap();
    let r = walogs_stdin(&["user-data", p(d.path()), "--set", "-"], b"x");
    assert_eq!(r.code, 4, "{}", r.stderr);
    // Printing takes no lock and works beside the writer.
    assert_eq!(walogs(&["user-data", p(d.path())]).code, 0);
}

#[test]
fn a_directory_without_a_log_is_refused_and_left_empty() {
    let d = tempfile::tempdir().unwrap();
    for args in [
        vec!["user-data", p(d.path())],
        vec!["user-data", p(d.path()), "--set", "-"],
    ] {
        let r = walogs_stdin(&args, b"x");
        assert_eq!(r.code, 5, "{args:?}: {}", r.stderr);
    }
    assert!(std::fs::read_dir(d.path()).unwrap().next().is_none());
}
