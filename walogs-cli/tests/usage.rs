//! Argument handling: help and version exit 0, every usage error exits 1 (never clap's 2,
//! which means "torn tail" here), and `--json` errors are JSON on stdout.

mod common;

use common::*;

#[test]
fn help_and_version_exit_0() {
    let h = walogs(&["--help"]);
    assert_eq!(h.code, 0);
    for cmd in ["info", "dump", "verify", "repair", "append", "bench"] {
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
