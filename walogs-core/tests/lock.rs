//! The single-writer lock across processes. (Alone in its test binary: a child process
//! spawned by one test holds copies of every open descriptor until it calls exec, so other
//! tests reopening a WAL at that instant could see their own directory locked.)

use walogs_core::{Wal, WalError};

#[test]
fn second_open_from_another_process_is_locked() {
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
