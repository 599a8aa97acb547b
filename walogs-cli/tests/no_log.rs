//! A directory that holds no walogs log (empty, or someone else's files): every command that
//! reads a log says so with exit code 5 and changes nothing; `repair` creates nothing, not
//! even a missing directory.

mod common;

use common::*;

/// Every command that works on an existing log, with the options it needs (the directory
/// comes last).
const READERS: [&[&str]; 6] = [
    &["info"],
    &["dump"],
    &["verify"],
    &["repair"],
    &["purge", "--up-to", "5"],
    &["truncate", "--after", "5"],
];

/// `walogs [--json] CMD... DIR`.
fn run_on(json: bool, cmd: &[&str], dir: &std::path::Path) -> Run {
    let mut args: Vec<&str> = if json { vec!["--json"] } else { vec![] };
    args.extend_from_slice(cmd);
    args.push(p(dir));
    walogs(&args)
}

/// A directory of someone else's files, including names close to walogs' own.
fn foreign(dir: &std::path::Path) {
    std::fs::write(dir.join("notes.txt"), b"not a log").unwrap();
    std::fs::write(dir.join("wal-1.log"), b"too few digits").unwrap();
    std::fs::write(dir.join("wal-000001.log.bak"), b"a copy").unwrap();
    std::fs::write(dir.join(walogs_core::LOCK_FILENAME), b"1\n").unwrap();
}

#[test]
fn empty_and_foreign_directories_hold_no_log() {
    for fill in [false, true] {
        let d = tempfile::tempdir().unwrap();
        if fill {
            foreign(d.path());
        }
        let before = snapshot(d.path());
        for cmd in READERS {
            let r = run_on(false, cmd, d.path());
            assert_eq!(
                r.code, 5,
                "{cmd:?} (foreign files: {fill}): {}{}",
                r.stdout, r.stderr
            );
            assert!(
                r.stderr
                    .contains(&format!("{} holds no walogs log", d.path().display())),
                "{cmd:?}: {}",
                r.stderr
            );
            assert!(
                !r.stdout.contains("CLEAN") && !r.stdout.contains("entries"),
                "{cmd:?} shows an empty log: {}",
                r.stdout
            );
            let j = run_on(true, cmd, d.path());
            assert_eq!(j.code, 5);
            assert_eq!(j.json()["error"]["kind"], "no_log", "{cmd:?}");
            assert_eq!(j.json()["error"]["exit_code"], 5, "{cmd:?}");
            assert_eq!(snapshot(d.path()), before, "{cmd:?} changed the directory");
        }
    }
}

#[test]
fn repair_purge_and_truncate_create_nothing() {
    let d = tempfile::tempdir().unwrap();
    for cmd in &READERS[4..] {
        assert_eq!(run_on(false, cmd, d.path()).code, 5, "{cmd:?}");
        assert!(snapshot(d.path()).is_empty(), "{cmd:?} created files");
        let missing = d.path().join("missing");
        assert_eq!(run_on(false, cmd, &missing).code, 1, "{cmd:?}");
        assert!(!missing.exists(), "{cmd:?} created the directory");
    }
    for flags in [&[][..], &["--salvage"][..], &["--dry-run"][..]] {
        let mut args = vec!["repair"];
        args.extend_from_slice(flags);
        args.push(p(d.path()));
        assert_eq!(walogs(&args).code, 5, "{args:?}");
        assert!(snapshot(d.path()).is_empty(), "{args:?} created files");
    }
    let missing = d.path().join("missing/deeper");
    let r = walogs(&["repair", p(&missing)]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains(p(&missing)), "{}", r.stderr);
    assert!(
        !d.path().join("missing").exists(),
        "repair created the directory"
    );
}

#[test]
fn any_one_walogs_file_makes_a_log() {
    // A v1 log (wal.log), a segment, or only the metadata of a fully checkpointed log.
    let v1 = tempfile::tempdir().unwrap();
    let mut wal = walogs_core::WalOptions::new().open(v1.path()).unwrap();
    wal.append(b"x").unwrap();
    close(wal);
    std::fs::rename(v1.path().join("wal-000001.log"), v1.path().join("wal.log")).unwrap();
    std::fs::remove_file(v1.path().join(walogs_core::LOCK_FILENAME)).unwrap();
    let r = walogs(&["verify", p(v1.path())]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    let seg = tempfile::tempdir().unwrap();
    std::fs::write(seg.path().join("wal-000001.log"), b"").unwrap();
    let r = walogs(&["--json", "info", p(seg.path())]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["entries"], 0);

    let meta = tempfile::tempdir().unwrap();
    std::fs::write(meta.path().join(walogs_core::META_FILENAME), b"garbage").unwrap();
    let r = walogs(&["verify", p(meta.path())]);
    assert_ne!(
        r.code, 5,
        "walogs.meta alone is a (damaged) log: {}",
        r.stderr
    );
}

#[test]
fn help_documents_every_exit_code() {
    let h = walogs(&["--help"]);
    for want in [
        "0 ok",
        "1 usage",
        "2 torn",
        "3 corruption",
        "4 the directory is locked",
        "5 ",
        "6 refused",
    ] {
        assert!(h.stdout.contains(want), "{want:?} missing: {}", h.stdout);
    }
    assert!(h.stdout.contains("no walogs log"), "{}", h.stdout);
    let v = walogs(&["verify", "--help"]);
    assert!(
        v.stdout.contains("5 the directory holds no walogs log"),
        "{}",
        v.stdout
    );
}
