//! The read-only commands beside a live writer process: `verify`, `info` and `dump` run
//! again and again while another process appends (single entries and atomic batches, across
//! rotations) never report damage that is not there, and never call the writer's write in
//! progress a torn tail.
//!
//! A writer that appends while every reading looks past the end of the frames (reproduced
//! deterministically below) is covered too: the open ends its snapshot before the frame in
//! progress.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use common::*;
use walogs_core::WalOptions;
use walogs_testkit::{Action, HookFs, Op};

#[test]
fn no_false_alarm_beside_a_busy_writer_process() {
    let d = tempfile::tempdir().unwrap();
    let mut child = spawn(
        bin()
            .args(["append", p(d.path()), "--generate", "0", "--size", "1-300"])
            .args(["--batch", "3", "--max-segment-size", "262144"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    );
    let writer = child.id();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for _ in 0..2000 {
        lines.next().unwrap().unwrap();
    }
    let drain = std::thread::spawn(move || for _ in lines {});
    let mut runs = Vec::new();
    for _ in 0..8 {
        runs.push((
            "verify",
            walogs(&["--json", "verify", "--generated", p(d.path())]),
        ));
        runs.push(("info", walogs(&["--json", "info", p(d.path())])));
        runs.push(("dump", walogs(&["--json", "dump", p(d.path())])));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    drain.join().unwrap();
    for (cmd, r) in &runs {
        assert_eq!(r.code, 0, "{cmd}: {}{}", r.stdout, r.stderr);
        match *cmd {
            "verify" | "info" => {
                let v = r.json();
                assert_ne!(
                    v["tail"]["state"], "torn",
                    "{cmd} beside a live writer: {v}"
                );
                assert_eq!(v["lock_holder"], writer.to_string(), "{cmd}");
            }
            _ => {
                let lsns: Vec<u64> = r
                    .json_lines()
                    .iter()
                    .map(|l| l["lsn"].as_u64().unwrap())
                    .collect();
                assert!(lsns.len() >= 2000, "dump printed {} entries", lsns.len());
                assert_eq!(lsns, (1..=lsns.len() as u64).collect::<Vec<_>>());
            }
        }
    }
    println!(
        "{} read-only commands beside a live writer: none reported damage",
        runs.len()
    );
}

/// A writer appends while each reading of a read-only open looks past the end of the frames,
/// so no two readings find the same end: the open must still succeed, with a snapshot that
/// ends before the frame in progress (every frame it names is valid).
#[test]
fn a_read_only_open_beside_a_writer_appending_at_every_reading_succeeds() {
    let d = tempfile::tempdir().unwrap();
    let dir: PathBuf = d.path().to_path_buf();
    let mut wal = WalOptions::new().open(&dir).unwrap();
    for i in 0..10u32 {
        wal.append(&i.to_le_bytes()).unwrap();
    }
    // Every look past the end of the valid frames of a segment (`next_data`, which only that
    // look uses) makes the writer append two entries: every reading then finds a bad frame
    // (the zeros past the end) followed by valid ones at a new place, which is what a writer
    // appending as fast as the reader reads does. The writer stops after 1000 looks (so that
    // a core that reads on never loops).
    let writer = Mutex::new(wal);
    let left = AtomicU32::new(1000);
    let fs = HookFs::new(move |op: &Op<'_>| {
        if matches!(op, Op::NextData { .. })
            && left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        {
            let mut w = writer.lock().unwrap();
            w.append(b"appended while the reader looked").unwrap();
            w.append(b"and one more").unwrap();
        }
        Action::Proceed
    });
    let ro = WalOptions::new()
        .read_only(true)
        .file_system(fs.into_fs())
        .open(&dir)
        .expect("a growing tail is not damage");
    assert!(ro.next_lsn().0 > 10);
    let got = ro.iter().count() as u64;
    assert_eq!(got, ro.next_lsn().0 - 1);
}
