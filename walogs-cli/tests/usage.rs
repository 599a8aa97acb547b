//! Argument handling: help and version exit 0, every usage error exits 1 (never clap's 2,
//! which means "torn tail" here), and `--json` errors are JSON on stdout.

mod common;

use common::*;
use walogs_core::WalOptions;

#[test]
fn help_and_version_exit_0() {
    let h = walogs(&["--help"]);
    assert_eq!(h.code, 0);
    for cmd in [
        "info",
        "dump",
        "verify",
        "repair",
        "append",
        "purge",
        "truncate",
        "bench",
        "tail",
        "stream-append",
        "cleanup",
    ] {
        assert!(h.stdout.contains(cmd), "{cmd} missing from help");
    }
    assert!(h.stdout.contains("Exit status"));
    let v = walogs(&["--version"]);
    assert_eq!(v.code, 0);
    assert!(v.stdout.starts_with("walogs "));
}

#[test]
fn usage_errors_exit_1() {
    for args in [
        &[][..],
        &["frobnicate"][..],
        &["info"][..],
        &["dump", "x", "--from", "abc"][..],
        &["append", "x", "--batch", "0"][..],
        &["append", "x", "--generate", "5", "--size", "9-3"][..],
        &["append", "x", "--generate", "5", "--file", "f"][..],
        &["append", "x", "--mode", "rw"][..],
        &["purge", "x"][..],
        &["purge", "x", "--up-to", "-3"][..],
        &["truncate", "x"][..],
        &["truncate", "x", "--after", "z"][..],
    ] {
        let r = walogs(args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert!(!r.stderr.is_empty());
    }
}

#[test]
fn json_errors_are_json() {
    let d = tempfile::tempdir().unwrap();
    let r = walogs(&["--json", "verify", p(&d.path().join("missing"))]);
    assert_eq!(r.code, 1);
    let e = &r.json()["error"];
    assert_eq!(e["kind"], "io");
    assert_eq!(e["exit_code"], 1);
    assert!(e["message"].as_str().unwrap().contains("missing"));
}

#[test]
fn exit_code_matrix() {
    // (command, healthy, torn, damaged completed segment, mid-log damage)
    let table: [(&str, [i32; 4]); 4] = [
        ("info", [0, 0, 3, 3]),
        ("dump", [0, 0, 3, 3]),
        ("verify", [0, 2, 3, 3]),
        ("repair", [0, 0, 3, 3]),
    ];
    for (cmd, codes) in table {
        for (state, want) in codes.iter().enumerate() {
            let d = tempfile::tempdir().unwrap();
            match state {
                0 => drop(healthy(d.path())),
                1 => drop(torn(d.path())),
                2 => drop(damaged_completed(d.path())),
                _ => drop(damaged_mid(d.path())),
            }
            let r = walogs(&[cmd, p(d.path())]);
            assert_eq!(
                r.code, *want,
                "{cmd} on state {state}: {}{}",
                r.stdout, r.stderr
            );
        }
    }
}

#[test]
fn every_subcommand_accepts_help() {
    for cmd in [
        "info",
        "dump",
        "verify",
        "repair",
        "append",
        "purge",
        "truncate",
        "bench",
        "tail",
        "stream-append",
        "cleanup",
        "help",
    ] {
        let r = walogs(&[cmd, "--help"]);
        assert_eq!(r.code, 0, "{cmd} --help: {}", r.stderr);
        assert!(
            r.stdout.contains(&format!("Usage: walogs {cmd}")),
            "{cmd}: {}",
            r.stdout
        );
        assert!(r.stdout.contains("Exit status"), "{cmd}: {}", r.stdout);
        // `help CMD` prints the same help.
        let h = walogs(&["help", cmd]);
        assert_eq!((h.code, &h.stdout), (0, &r.stdout), "help {cmd}");
    }
    let all = walogs(&["help"]);
    assert_eq!(all.code, 0);
    assert!(all.stdout.contains("Usage: walogs"), "{}", all.stdout);
    assert_eq!(walogs(&["help", "frobnicate"]).code, 1);
}

/// Counts of one read "1 entry", "1 segment", never "1 entries" or "1 segments".
#[test]
fn counts_of_one_are_singular() {
    let d = tempfile::tempdir().unwrap();
    let a = walogs_stdin(&["append", p(d.path())], b"one\n");
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert!(a.stderr.contains("appended 1 entry ("), "{}", a.stderr);
    // A torn tail of exactly one byte.
    let seg = last_segment(d.path());
    let mut bytes = std::fs::read(&seg).unwrap();
    bytes.push(7);
    std::fs::write(&seg, bytes).unwrap();

    let v = walogs(&["verify", p(d.path())]);
    assert_eq!(v.code, 2, "{}", v.stdout);
    assert!(v.stdout.contains("1 entry checked"), "{}", v.stdout);
    let i = walogs(&["info", p(d.path())]);
    assert!(i.stdout.contains("segments    : 1 file,"), "{}", i.stdout);
    let r = walogs(&["repair", p(d.path())]);
    assert!(r.stdout.contains("cut 1 byte of"), "{}", r.stdout);
    assert!(r.stdout.contains("(1 entry)"), "{}", r.stdout);
    let v = walogs(&["verify", p(d.path())]);
    assert!(v.stdout.contains(", 1 segment\n"), "{}", v.stdout);

    // Salvage of mid-log damage with exactly one valid frame after it.
    let m = tempfile::tempdir().unwrap();
    let mut wal = WalOptions::new().open(m.path()).unwrap();
    for e in [&b"first"[..], b"second", b"third"] {
        wal.append(e).unwrap();
    }
    close(wal);
    let seg = last_segment(m.path());
    flip_byte(&seg, frames_of(&seg)[1].0 + 17);
    let v = walogs(&["verify", p(m.path())]);
    assert!(
        v.stdout.contains("discarding 1 valid frame from"),
        "{}",
        v.stdout
    );
    let r = walogs(&["repair", "--salvage", "--dry-run", p(m.path())]);
    assert!(
        r.stdout.contains("the 1 valid frame after it"),
        "{}",
        r.stdout
    );

    let b = walogs(&[
        "bench",
        p(d.path()),
        "--seconds",
        "0.05",
        "--rounds",
        "1",
        "--threads",
        "1",
        "--batch",
        "2",
    ]);
    assert_eq!(b.code, 0, "{}", b.stderr);
    assert!(b.stdout.contains("in 1 interleaved round)"), "{}", b.stdout);
    assert!(b.stdout.contains("(1 thread)"), "{}", b.stdout);

    for out in [&v.stdout, &r.stdout, &b.stdout, &i.stdout] {
        for bad in [
            "1 entries",
            "1 segments",
            "1 files",
            "1 bytes",
            "1 threads",
            "frame(s)",
        ] {
            assert!(!out.contains(bad), "{bad:?} in {out}");
        }
    }
}
