//! A read-only open beside a live writer sees a consistent snapshot of the log (the end of
//! what is readable now), never damage that is not there; real damage is still reported.
//!
//! The writer appends durably entries of 1 B to 20 KiB into 256 KiB segments, so appends
//! land in preallocated space, cross rotations, and checkpoints delete old segments while
//! readers list and open them. Readers run in threads of this process and, through a child
//! process running this same test binary, in another process.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use walogs_core::{DamageKind, Lsn, SharedWal, WalError, WalOptions};
use walogs_testkit::{Rng, payload};

const SEED: u64 = 0x5eed;
const SEGMENT: u64 = 256 * 1024;

fn entry_len(rng: &mut Rng) -> usize {
    match rng.below(4) {
        0 => 1 + rng.index(16),
        1 => 1 + rng.index(512),
        2 => 1 + rng.index(4096),
        _ => 1 + rng.index(20 * 1024),
    }
}

/// Append until `stop`, checkpointing every so often so that old segments disappear.
fn write_until(wal: &SharedWal, stop: &AtomicBool, appended: &AtomicU64) {
    let mut rng = Rng::new(SEED);
    while !stop.load(Ordering::Relaxed) {
        let lsn = wal.next_lsn().0;
        let data = payload::payload(SEED, lsn, entry_len(&mut rng));
        assert_eq!(wal.append(&data).unwrap().0, lsn);
        appended.store(lsn, Ordering::Relaxed);
        if lsn.is_multiple_of(97) {
            let keep_from = wal.first_lsn().0 + (lsn - wal.first_lsn().0) / 2;
            let _ = wal.checkpoint(Lsn(keep_from)).unwrap();
        }
    }
}

/// One read-only open and a full read of what it sees: dense LSNs from `first_lsn()`,
/// every payload the writer's. Returns the number of entries seen, or the error.
fn read_snapshot(dir: &Path) -> Result<u64, WalError> {
    let ro = WalOptions::new().read_only(true).open(dir)?;
    let first = ro.first_lsn().0;
    let next = ro.next_lsn().0;
    let mut expect = first;
    for item in ro.iter() {
        let (lsn, data) = match item {
            Ok(e) => e,
            // A checkpoint removed a segment after this snapshot was taken: the reader was
            // told so, not misled.
            Err(WalError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(expect - first);
            }
            Err(e) => return Err(e),
        };
        assert_eq!(lsn.0, expect, "dense LSNs");
        assert!(payload::matches(SEED, lsn.0, &data), "payload of {lsn}");
        expect += 1;
    }
    assert_eq!(expect, next, "the iterator reaches next_lsn()");
    Ok(next - first)
}

fn opens() -> u32 {
    std::env::var("WALOGS_RO_OPENS")
        .ok()
        .and_then(|v| v.parse().ok())
        // The release build (the soak) affords more readings than a debug test run.
        .unwrap_or(if cfg!(debug_assertions) { 300 } else { 1000 })
}

#[test]
fn read_only_opens_beside_a_writer_thread_never_see_false_damage() {
    let tmp = tempfile::tempdir().unwrap();
    let wal = WalOptions::new()
        .max_segment_size(Some(SEGMENT))
        .open_shared(tmp.path())
        .unwrap();
    let stop = AtomicBool::new(false);
    let appended = AtomicU64::new(0);
    let n = opens();
    let (seen, errors) = std::thread::scope(|s| {
        s.spawn(|| write_until(&wal, &stop, &appended));
        while appended.load(Ordering::Relaxed) < 50 {
            std::thread::yield_now();
        }
        let readers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let mut seen = 0;
                    let mut errors = Vec::new();
                    for _ in 0..n / 2 {
                        match read_snapshot(tmp.path()) {
                            Ok(k) => seen += k,
                            Err(e) => errors.push(e.to_string()),
                        }
                    }
                    (seen, errors)
                })
            })
            .collect();
        let results: Vec<_> = readers.into_iter().map(|h| h.join().unwrap()).collect();
        stop.store(true, Ordering::Relaxed);
        results
            .into_iter()
            .fold((0, Vec::new()), |(s, mut e), (k, mut es)| {
                e.append(&mut es);
                (s + k, e)
            })
    });
    println!(
        "{n} read-only opens beside a writer thread ({} entries appended, {} segments now): {seen} entries read, {} errors",
        appended.load(Ordering::Relaxed),
        wal.segment_count(),
        errors.len()
    );
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(wal.first_lsn().0 > 1, "checkpoints ran while readers read");
}

/// The writer of the process test: runs until its stdin closes.
#[test]
fn child_writer() {
    let Ok(dir) = std::env::var("WALOGS_CHILD_WRITER_DIR") else {
        return;
    };
    let wal = WalOptions::new()
        .max_segment_size(Some(SEGMENT))
        .open_shared(&dir)
        .unwrap();
    let stop = AtomicBool::new(false);
    let appended = AtomicU64::new(0);
    std::thread::scope(|s| {
        s.spawn(|| write_until(&wal, &stop, &appended));
        println!("WALOGS-CHILD-READY");
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
        stop.store(true, Ordering::Relaxed);
    });
}

#[test]
fn read_only_opens_beside_a_writer_process_never_see_false_damage() {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
        .env("WALOGS_CHILD_WRITER_DIR", tmp.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            std::io::BufRead::read_line(&mut out, &mut line).unwrap() > 0,
            "the child writer ended before it was ready"
        );
        // libtest may print "test child_writer ... " on the same line first.
        if line.contains("WALOGS-CHILD-READY") {
            break;
        }
    }
    let n = opens();
    let mut errors = Vec::new();
    let mut seen = 0;
    let mut locked_by_other = 0;
    for _ in 0..n {
        match read_snapshot(tmp.path()) {
            Ok(k) => seen += k,
            Err(e) => errors.push(e.to_string()),
        }
        if matches!(
            WalOptions::new().open(tmp.path()),
            Err(WalError::Locked { .. })
        ) {
            locked_by_other += 1;
        }
    }
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    println!(
        "{n} read-only opens beside a writer process: {seen} entries read, {} errors",
        errors.len()
    );
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(locked_by_other, n, "the writer held the lock throughout");
    let w = WalOptions::new().open(tmp.path()).unwrap();
    assert!(w.next_lsn().0 > 50, "the child wrote");
}

/// Real mid-log damage, with no writer, is still reported by a read-only open (after two
/// readings agree), with the damage as data.
#[test]
fn read_only_open_still_reports_real_damage() {
    let tmp = tempfile::tempdir().unwrap();
    let mut w = WalOptions::new().open(tmp.path()).unwrap();
    for i in 0..10u8 {
        w.append(&[i; 100]).unwrap();
    }
    w.close().unwrap();
    let seg = tmp.path().join("wal-000001.log");
    let mut b = std::fs::read(&seg).unwrap();
    b[116 * 3 + 20] ^= 0x40; // inside the payload of LSN 4
    std::fs::write(&seg, &b).unwrap();
    match WalOptions::new().read_only(true).open(tmp.path()) {
        Err(WalError::Corrupt { reason }) => {
            assert_eq!(reason.kind, DamageKind::MidLog);
            assert_eq!(reason.offset, Some(116 * 3));
            assert_eq!(reason.last_good_lsn, Some(Lsn(3)));
            assert_eq!(reason.first_lsn_after, Some(Lsn(5)));
            assert_eq!(reason.frames_after, 6);
            assert!(reason.kind.salvageable());
        }
        other => panic!("expected mid-log damage, got {other:?}"),
    }
    // Nothing was changed by the read-only open.
    assert_eq!(std::fs::read(&seg).unwrap(), b);
}
