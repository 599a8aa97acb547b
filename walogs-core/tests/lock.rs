//! The single-writer lock across processes. (Alone in its test binary: a child process
//! spawned by one test holds copies of every open descriptor until it calls exec, so other
//! tests reopening a WAL at that instant could see their own directory locked.)

mod common;

use std::sync::Mutex;

/// The tests of this file run one at a time (see above).
static SERIAL: Mutex<()> = Mutex::new(());

use walogs_core::{SharedWal, Wal, WalError, WalOptions};

#[test]
fn second_open_from_another_process_is_locked() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    if let Ok(dir) = std::env::var("WALOGS_TEST_HOLD_LOCK") {
        // Child mode: hold the lock until stdin closes.
        let _wal = Wal::open(std::path::Path::new(&dir)).unwrap();
        println!("locked");
        let mut s = String::new();
        let _ = std::io::stdin().read_line(&mut s);
        return;
    }
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};
    let tmp = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "second_open_from_another_process_is_locked",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("WALOGS_TEST_HOLD_LOCK", tmp.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("locked") {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "child exited early");
    }
    assert!(matches!(
        Wal::open(tmp.path()),
        Err(WalError::Locked { .. })
    ));
    child.stdin.take().unwrap().write_all(b"\n").unwrap();
    assert!(child.wait().unwrap().success());
    Wal::open(tmp.path()).unwrap();
}

// 9. One writer per directory.
#[test]
fn second_open_in_process_is_locked_and_released_on_drop() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let wal = Wal::open(tmp.path()).unwrap();
    match Wal::open(tmp.path()) {
        Err(WalError::Locked { path }) => assert_eq!(path, tmp.path()),
        other => panic!("expected Locked, got {other:?}"),
    }
    assert!(matches!(
        SharedWal::open(tmp.path()),
        Err(WalError::Locked { .. })
    ));
    // A reader needs no lock.
    let ro = WalOptions::new().read_only(true).open(tmp.path()).unwrap();
    assert!(matches!(
        walogs_core::lock_holder(tmp.path()),
        Ok(Some(pid)) if pid == std::process::id().to_string()
    ));
    drop(ro);
    drop(wal);
    assert!(walogs_core::lock_holder(tmp.path()).unwrap().is_none());
    Wal::open(tmp.path()).unwrap();
}
