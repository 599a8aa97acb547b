//! Permissions: every I/O error names the file or directory concerned, once (the core's
//! errors name their file; the CLI adds no second copy); the read-only commands work for any
//! user who can read the files and create nothing; `info` shows the files' modes and warns
//! when others may write the directory. The unprivileged cases run the binary as uid/gid
//! 65534 (root in CI drops its privileges with `setpriv`); where that is impossible they
//! print why and skip.

mod common;

use std::path::Path;

use common::*;
use walogs_core::WalOptions;

/// A log of several segments, readable by everyone, in a directory everyone can enter.
fn shared_log() -> (tempfile::TempDir, std::path::PathBuf) {
    let d = shared_tempdir();
    let wal = d.path().join("wal");
    healthy(&wal);
    set_mode(&wal, 0o755);
    // walogs creates private files (0600); open them to everyone for these tests.
    for e in std::fs::read_dir(&wal).unwrap() {
        set_mode(&e.unwrap().path(), 0o644);
    }
    (d, wal)
}

/// The error says what was done to `path` (`what`, the core's operation) and why, and names
/// the path once.
fn assert_names(r: &Run, path: &Path, what: &str) {
    let want = format!("{what} {}: Permission denied (os error 13)", path.display());
    assert!(r.stderr.contains(&want), "want {want:?} in: {}", r.stderr);
    let shown = path.display().to_string();
    assert_eq!(
        r.stderr.matches(&shown).count(),
        1,
        "the path is named exactly once: {}",
        r.stderr
    );
    assert!(!r.stderr.contains("cannot check the lock"), "{}", r.stderr);
}

#[test]
fn read_only_commands_need_only_read_access_and_create_nothing() {
    let (_d, wal) = shared_log();
    let before = snapshot(&wal);
    for args in [
        vec!["info"],
        vec!["--json", "info"],
        vec!["verify"],
        vec!["dump", "--format", "json"],
    ] {
        let mut args: Vec<&str> = args;
        args.push(p(&wal));
        let Some(r) = walogs_as_nobody(&args) else {
            return;
        };
        assert_eq!(r.code, 0, "{args:?}: {}{}", r.stdout, r.stderr);
        assert_eq!(snapshot(&wal), before, "{args:?} changed the directory");
    }
    let r = walogs_as_nobody(&["dump", "--format", "json", p(&wal)]).unwrap();
    assert_eq!(r.json_lines().len() as u64, ENTRIES);

    // The lock of a live writer (root, this process) is seen by the unprivileged reader.
    let mut w = WalOptions::new().open(&wal).unwrap();
    w.append(b"one more").unwrap();
    let r = walogs_as_nobody(&["--json", "info", p(&wal)]).unwrap();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["lock_holder"], std::process::id().to_string());
    close(w);
}

/// The several-users setup: the writer creates the log with `file_mode(0o640)` (directory
/// `0750`) and gives it the readers' group; a member of that group (uid and gid 65534 here)
/// runs every read-only command, beside the live writer too, and changes nothing. Outside
/// the group the same commands are refused, naming the directory.
#[test]
fn a_group_of_readers_reads_a_log_made_with_file_mode_0640() {
    if let Err(why) = unprivileged() {
        eprintln!("SKIPPED: cannot run as an unprivileged user: {why}");
        return;
    }
    let d = shared_tempdir();
    let wal = d.path().join("wal");
    let mut w = WalOptions::new().file_mode(0o640).open(&wal).unwrap();
    for i in 0..ENTRIES {
        w.append(&entry(i)).unwrap();
    }
    w.set_user_data(b"vote").unwrap();
    let readers = |gid: u32| {
        std::os::unix::fs::chown(&wal, None, Some(gid)).unwrap();
        for e in std::fs::read_dir(&wal).unwrap() {
            std::os::unix::fs::chown(e.unwrap().path(), None, Some(gid)).unwrap();
        }
    };
    readers(NOBODY);
    let before = snapshot(&wal);
    use std::os::unix::fs::PermissionsExt;
    let modes: Vec<u32> = std::fs::read_dir(&wal)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().permissions().mode() & 0o777)
        .collect();
    assert!(modes.iter().all(|&m| m == 0o640), "{modes:?}");
    for args in [
        vec!["--json", "info"],
        vec!["verify"],
        vec!["dump", "--format", "json"],
        vec!["user-data"],
    ] {
        let mut args = args;
        args.push(p(&wal));
        let r = walogs_as_nobody(&args).unwrap();
        assert_eq!(r.code, 0, "{args:?}: {}{}", r.stdout, r.stderr);
        if args[1] == "info" {
            assert_eq!(r.json()["lock_holder"], std::process::id().to_string());
        }
        if args[0] == "dump" {
            assert_eq!(r.json_lines().len() as u64, ENTRIES);
        }
        if args[0] == "user-data" {
            assert_eq!(r.stdout, "vote");
        }
    }
    assert_eq!(snapshot(&wal), before, "the readers changed the directory");
    close(w);
    readers(0);
    let r = walogs_as_nobody(&["verify", p(&wal)]).unwrap();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_names(&r, &wal, "open the directory");
}

#[test]
fn an_unreadable_lock_file_leaves_the_holder_unknown_not_the_command_failed() {
    let (_d, wal) = shared_log();
    let lock = wal.join(walogs_core::LOCK_FILENAME);
    set_mode(&lock, 0o600);
    let Some(r) = walogs_as_nobody(&["--json", "info", p(&wal)]) else {
        return;
    };
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert!(v["lock_holder"].is_null());
    let why = v["lock_error"].as_str().unwrap();
    assert!(
        why.contains(p(&lock)) && why.contains("Permission denied"),
        "{why}"
    );
    let r = walogs_as_nobody(&["verify", p(&wal)]).unwrap();
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn unreadable_files_are_named() {
    let (_d, wal) = shared_log();
    let seg = segments(&wal)[1].clone();
    set_mode(&seg, 0o600);
    for cmd in ["info", "verify", "dump", "repair"] {
        let Some(r) = walogs_as_nobody(&[cmd, p(&wal)]) else {
            return;
        };
        assert_eq!(r.code, 1, "{cmd}: {}{}", r.stdout, r.stderr);
        assert_names(&r, &seg, "open");
        let j = walogs_as_nobody(&["--json", cmd, p(&wal)]).unwrap();
        let e = j.json_lines().pop().unwrap()["error"].take();
        assert_eq!(
            (e["kind"].as_str(), e["errno"].as_i64()),
            (Some("io"), Some(13))
        );
        assert_eq!(e["path"], p(&seg));
    }
    set_mode(&seg, 0o644);
    // Damaged log plus unreadable metadata: the metadata file is named.
    let meta = wal.join(walogs_core::META_FILENAME);
    if meta.exists() {
        set_mode(&meta, 0o600);
        let r = walogs_as_nobody(&["verify", p(&wal)]).unwrap();
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert_names(&r, &meta, "open");
        set_mode(&meta, 0o644);
    }
}

#[test]
fn writes_refused_by_permissions_are_named() {
    let (_d, wal) = shared_log();
    let lock = wal.join(walogs_core::LOCK_FILENAME);
    let Some(r) = walogs_as_nobody(&["repair", p(&wal)]) else {
        return;
    };
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_names(&r, &lock, "open for writing");
    // Without the lock file, creating it in the (root-owned) directory is what fails.
    std::fs::remove_file(&lock).unwrap();
    let before = snapshot(&wal);
    for cmd in [
        vec!["append"],
        vec!["purge", "--up-to", "3"],
        vec!["truncate", "--after", "3"],
    ] {
        let mut args = cmd.clone();
        args.push(p(&wal));
        let r = walogs_as_nobody(&args).unwrap();
        assert_eq!(r.code, 1, "{cmd:?}: {}", r.stderr);
        assert_names(&r, &lock, "open for writing");
        assert_eq!(snapshot(&wal), before, "{cmd:?}");
    }
    // A directory that does not exist yet, under one the user cannot write.
    let new = wal.join("new");
    let r = walogs_as_nobody(&["append", p(&new)]).unwrap();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_names(&r, &new, "create the directory");
}

#[test]
fn a_directory_that_cannot_be_listed_or_entered_says_so() {
    let (_d, wal) = shared_log();
    // (mode, what the error says): no read permission, then read but no search permission.
    for (mode, what) in [
        (0o700, "open the directory"),
        (0o711, "open the directory"),
        (0o744, "list"),
    ] {
        set_mode(&wal, mode);
        for cmd in ["info", "repair", "verify", "dump"] {
            let Some(r) = walogs_as_nobody(&[cmd, p(&wal)]) else {
                return;
            };
            assert_eq!(r.code, 1, "{cmd} {mode:o}: {}", r.stderr);
            assert_names(&r, &wal, what);
        }
    }
    set_mode(&wal, 0o755);
}

#[test]
fn errors_name_the_file_for_root_too() {
    // Root bypasses permissions; a directory under the next segment's name is refused (it is
    // no regular file), named, and left alone.
    let d = tempfile::tempdir().unwrap();
    healthy(d.path());
    let next =
        walogs_core::segment::parse_segment_filename(&name(&last_segment(d.path()))).unwrap() + 1;
    let bogus = d.path().join(walogs_core::segment::segment_filename(next));
    std::fs::create_dir(&bogus).unwrap();
    for cmd in ["info", "verify", "dump", "repair"] {
        let r = walogs(&[cmd, p(d.path())]);
        assert_eq!(r.code, 6, "{cmd}: {}", r.stderr);
        // `info` shows the listing with the error on stdout; the others say it on stderr.
        let want = format!("refusing {}: it is a directory", bogus.display());
        let said = format!("{}{}", r.stdout, r.stderr);
        assert!(said.contains(&want), "{cmd}: {said}");
        assert!(bogus.is_dir());
    }
}

#[test]
fn info_warns_when_others_can_write_the_directory() {
    let d = tempfile::tempdir().unwrap();
    healthy(d.path());
    set_mode(d.path(), 0o777);
    let t = walogs(&["info", p(d.path())]);
    assert_eq!(t.code, 0, "{}", t.stderr);
    assert!(
        t.stdout.contains("WARNING") && t.stdout.contains("writable by every user (mode 0777)"),
        "{}",
        t.stdout
    );
    let v = walogs(&["--json", "info", p(d.path())]).json();
    assert_eq!(v["permissions"]["others_can_write"], true);
    assert_eq!(v["permissions"]["mode"], "0777");
    assert_eq!(v["warnings"].as_array().unwrap().len(), 1);

    set_mode(d.path(), 0o770);
    let t = walogs(&["info", p(d.path())]);
    assert!(t.stdout.contains("writable by its group"), "{}", t.stdout);
    let v = walogs(&["--json", "info", p(d.path())]).json();
    assert_eq!(v["permissions"]["others_can_write"], false);
    assert_eq!(v["permissions"]["group_can_write"], true);

    // The files walogs made are private; a world-writable segment is named.
    set_mode(d.path(), 0o755);
    let v = walogs(&["--json", "info", p(d.path())]).json();
    let files = v["permissions"]["files"].as_array().unwrap();
    assert_eq!(
        files.len(),
        segments(d.path()).len() + 2,
        "segments, meta, lock: {v}"
    );
    assert!(files.iter().all(|f| f["mode"] == "0600"), "{v}");
    let seg = segments(d.path())[0].clone();
    set_mode(&seg, 0o666);
    let v = walogs(&["--json", "info", p(d.path())]).json();
    assert_eq!(v["permissions"]["files_others_can_write"][0], name(&seg));
    set_mode(&seg, 0o644);
    let v = walogs(&["--json", "info", p(d.path())]).json();
    assert!(v["warnings"].as_array().unwrap().is_empty(), "{v}");
}
