//! A reader that closes stdout early (`walogs dump DIR | head -1`) ends every command
//! quietly: dump exits 0 in every format, verify and info keep their verdict's exit code.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use common::*;
use walogs_core::{Durability, WalOptions};

/// A log whose dump is far larger than a pipe's buffer in every format.
fn big_log(dir: &std::path::Path) {
    let mut wal = WalOptions::new()
        .durability(Durability::Manual)
        .open(dir)
        .unwrap();
    for i in 0..4000u32 {
        wal.append(format!("entry {i} ").repeat(20).as_bytes())
            .unwrap();
    }
    close(wal);
}

/// Run `walogs ARGS`, read `lines` lines of its stdout, then close it; returns the exit
/// code and stderr.
fn close_after(args: &[&str], lines: usize) -> (i32, String) {
    let mut child = spawn(
        bin()
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let mut out = BufReader::new(child.stdout.take().unwrap());
    for _ in 0..lines {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        assert!(
            !line.is_empty(),
            "{args:?} printed fewer than {lines} lines"
        );
    }
    drop(out);
    let done = child.wait_with_output().unwrap();
    (
        done.status.code().expect("exited by a signal"),
        String::from_utf8_lossy(&done.stderr).into_owned(),
    )
}

#[test]
fn dump_into_a_closed_pipe_exits_0_quietly_in_every_format() {
    let d = tempfile::tempdir().unwrap();
    big_log(d.path());
    for args in [
        vec!["dump", "--format", "json"],
        vec!["dump", "--format", "text"],
        vec!["dump", "--format", "hex"],
        vec!["--json", "dump"],
    ] {
        let mut args = args;
        args.push(p(d.path()));
        let (code, stderr) = close_after(&args, 1);
        assert_eq!((code, stderr.as_str()), (0, ""), "{args:?}");
    }
}

#[test]
fn a_verdict_keeps_its_exit_code_when_nobody_reads_it() {
    let healthy_dir = tempfile::tempdir().unwrap();
    healthy(healthy_dir.path());
    let damaged = tempfile::tempdir().unwrap();
    damaged_completed(damaged.path());
    for (dir, code) in [(healthy_dir.path(), 0), (damaged.path(), 3)] {
        for args in [vec!["verify"], vec!["--json", "verify"], vec!["info"]] {
            let mut args = args;
            args.push(p(dir));
            let (got, stderr) = close_after(&args, 0);
            assert_eq!((got, stderr.as_str()), (code, ""), "{args:?}");
        }
    }
}
