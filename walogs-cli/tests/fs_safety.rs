//! What the directory may hold that walogs refuses to touch, through the command line: a
//! segment that is a symbolic link to a file elsewhere, a FIFO under a walogs file name, a
//! `walogs.lock` that is a link. Every command ends promptly with exit 6 (`unsafe_file`,
//! naming the entry) where the core refuses, and nothing is read through the entry or
//! changed, the link's target included.

mod common;

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;

/// Far above what any command takes on these small logs: only a hang reaches it.
const LIMIT: Duration = Duration::from_secs(60);

/// Every command, with the options it needs (the directory comes last).
const COMMANDS: [&[&str]; 7] = [
    &["info"],
    &["verify"],
    &["dump"],
    &["repair"],
    &["append", "--generate", "3"],
    &["purge", "--up-to", "5"],
    &["truncate", "--after", "5"],
];

fn run(json: bool, cmd: &[&str], dir: &Path) -> Run {
    let mut args: Vec<&str> = if json { vec!["--json"] } else { vec![] };
    args.extend_from_slice(cmd);
    args.push(p(dir));
    walogs_within(&args, LIMIT)
}

/// The bytes, modification time and inode of a file.
fn state_of(path: &Path) -> (Vec<u8>, i64, i64, u64) {
    let m = std::fs::metadata(path).unwrap();
    (
        std::fs::read(path).unwrap(),
        m.mtime(),
        m.mtime_nsec(),
        m.ino(),
    )
}

/// The JSON error of a command (the last JSON line it printed).
fn error_of(r: &Run) -> serde_json::Value {
    r.json_lines().pop().expect("a JSON error")["error"].take()
}

/// Replace the last segment of a torn log with a link to a copy outside the directory:
/// followed, the link would show a torn tail that `repair` cuts and `append` writes after.
#[test]
fn a_segment_that_links_outside_is_refused_and_its_target_untouched() {
    let d = tempfile::tempdir().unwrap();
    let wal = d.path().join("wal");
    torn(&wal);
    let last = last_segment(&wal);
    let target: PathBuf = d.path().join("elsewhere.log");
    std::fs::rename(&last, &target).unwrap();
    std::os::unix::fs::symlink(&target, &last).unwrap();
    let before = state_of(&target);
    for cmd in COMMANDS {
        let r = run(false, cmd, &wal);
        assert_eq!(r.code, 6, "{cmd:?}: {}{}", r.stdout, r.stderr);
        let said = format!("{}{}", r.stdout, r.stderr);
        let want = format!("refusing {}: it is a symbolic link", last.display());
        assert!(said.contains(&want), "{cmd:?}: {said}");
        let e = if cmd[0] == "info" {
            let v = run(true, cmd, &wal).json();
            assert_eq!(v["status"], "unsafe_file");
            let row = &v["segments"].as_array().unwrap().last().unwrap().clone();
            assert_eq!(row["refused"], "a symbolic link");
            v["error"].clone()
        } else {
            error_of(&run(true, cmd, &wal))
        };
        assert_eq!(e["kind"], "unsafe_file", "{cmd:?}");
        assert_eq!(e["exit_code"], 6, "{cmd:?}");
        assert_eq!(e["path"], p(&last), "{cmd:?}");
        assert_eq!(
            state_of(&target),
            before,
            "{cmd:?} changed the link's target"
        );
        assert!(last.symlink_metadata().unwrap().is_symlink(), "{cmd:?}");
        assert_eq!(std::fs::read_link(&last).unwrap(), target, "{cmd:?}");
    }
}

/// A FIFO under a segment name (a completed one, so the layout is otherwise sound), or under
/// `walogs.meta`: nothing opens it for reading and blocks; every read-only command ends
/// promptly with exit 6 naming it.
#[test]
fn a_fifo_named_like_a_walogs_file_never_blocks_a_command() {
    for victim in ["segment", "walogs.meta"] {
        let d = tempfile::tempdir().unwrap();
        healthy(d.path());
        let fifo = if victim == "segment" {
            segments(d.path())[1].clone()
        } else {
            d.path().join(walogs_core::META_FILENAME)
        };
        std::fs::remove_file(&fifo).unwrap();
        mkfifo(&fifo);
        for cmd in [&["info"][..], &["verify"], &["dump"], &["repair"]] {
            let r = run(true, cmd, d.path());
            assert_eq!(r.code, 6, "{victim} {cmd:?}: {}{}", r.stdout, r.stderr);
            let e = if cmd[0] == "info" {
                r.json()["error"].clone()
            } else {
                error_of(&r)
            };
            assert_eq!(e["kind"], "unsafe_file", "{victim} {cmd:?}");
            assert_eq!(e["path"], p(&fifo), "{victim} {cmd:?}");
            assert!(
                e["problem"].as_str().unwrap().contains("FIFO"),
                "{victim} {cmd:?}: {e}"
            );
        }
        assert!(
            std::fs::symlink_metadata(&fifo)
                .unwrap()
                .file_type()
                .is_fifo()
        );
    }
}

/// A FIFO as `walogs.lock`: the read-only commands do not need the lock (the holder is
/// reported unknown, naming the file); the writing ones refuse it.
#[test]
fn a_fifo_as_the_lock_file_is_named_and_never_opened() {
    let d = tempfile::tempdir().unwrap();
    healthy(d.path());
    let lock = d.path().join(walogs_core::LOCK_FILENAME);
    std::fs::remove_file(&lock).unwrap();
    mkfifo(&lock);
    let v = run(true, &["info"], d.path());
    assert_eq!(v.code, 0, "{}", v.stdout);
    let why = v.json()["lock_error"].as_str().unwrap().to_string();
    assert!(why.contains(p(&lock)) && why.contains("FIFO"), "{why}");
    assert_eq!(run(false, &["verify"], d.path()).code, 0);
    for cmd in [&["repair"][..], &["append", "--generate", "1"]] {
        let r = run(true, cmd, d.path());
        assert_eq!(r.code, 6, "{cmd:?}: {}", r.stdout);
        assert_eq!(error_of(&r)["path"], p(&lock), "{cmd:?}");
    }
    assert_eq!(read_all(d.path()).len() as u64, ENTRIES);
}

/// `walogs.lock` as a link to a file elsewhere: `repair` refuses (the torn tail stays, the
/// target keeps its bytes), and so does every other command that takes the lock.
#[test]
fn a_lock_file_that_is_a_link_makes_repair_refuse_and_stays_untouched() {
    let d = tempfile::tempdir().unwrap();
    let wal = d.path().join("wal");
    let torn = torn(&wal);
    let lock = wal.join(walogs_core::LOCK_FILENAME);
    let target = d.path().join("precious.txt");
    std::fs::write(&target, b"not a lock file\n").unwrap();
    std::fs::remove_file(&lock).unwrap();
    std::os::unix::fs::symlink(&target, &lock).unwrap();
    let before = state_of(&target);
    let segment = wal.join(&torn.file);
    let segment_before = state_of(&segment);
    let r = run(false, &["repair"], &wal);
    assert_eq!(r.code, 6, "{}{}", r.stdout, r.stderr);
    let want = format!("refusing {}: it is a symbolic link", lock.display());
    assert!(r.stderr.contains(&want), "{}", r.stderr);
    for cmd in [
        &["repair"][..],
        &["repair", "--salvage"],
        &["append", "--generate", "1"],
        &["purge", "--up-to", "3"],
        &["truncate", "--after", "3"],
    ] {
        let r = run(true, cmd, &wal);
        assert_eq!(r.code, 6, "{cmd:?}: {}", r.stdout);
        let e = error_of(&r);
        assert_eq!(
            (e["kind"].as_str(), e["path"].as_str()),
            (Some("unsafe_file"), Some(p(&lock)))
        );
        assert_eq!(
            state_of(&target),
            before,
            "{cmd:?} changed the link's target"
        );
        assert_eq!(
            state_of(&segment),
            segment_before,
            "{cmd:?} changed the log"
        );
        assert!(lock.symlink_metadata().unwrap().is_symlink());
    }
    // The read-only commands still work; the holder is unknown and the reason names the link.
    let v = run(true, &["info"], &wal);
    assert_eq!(v.code, 0, "{}", v.stdout);
    let why = v.json()["lock_error"].as_str().unwrap().to_string();
    assert!(
        why.contains(p(&lock)) && why.contains("symbolic link"),
        "{why}"
    );
    assert_eq!(
        run(false, &["verify"], &wal).code,
        2,
        "the torn tail is still there"
    );
}

/// A crafted next segment of 1 TiB that is all hole (a sparse file holding no data), then the
/// same with 4 KiB of non-zero bytes at its very end: every command reads only where the
/// file holds data, so each ends promptly (reading the zeros of the hole would take hours),
/// and the tail is told apart (zeros: preallocated; the bytes at the end: a torn write);
/// `repair --save-cut` keeps the cut bytes in a file as sparse as the segment.
#[test]
fn a_huge_sparse_tail_is_inspected_only_where_it_holds_data() {
    const TIB: u64 = 1 << 40;
    for data_at_end in [false, true] {
        let d = tempfile::tempdir().unwrap();
        healthy(d.path());
        let next = walogs_core::segment::parse_segment_filename(&name(&last_segment(d.path())))
            .unwrap()
            + 1;
        let huge = d.path().join(walogs_core::segment::segment_filename(next));
        let f = std::fs::File::create(&huge).unwrap();
        f.set_len(TIB).unwrap();
        if data_at_end {
            std::os::unix::fs::FileExt::write_all_at(&f, &[0x5a; 4096], TIB - 4096).unwrap();
        }
        drop(f);
        let want = if data_at_end { "torn" } else { "preallocated" };
        let v = run(true, &["info"], d.path());
        assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
        let v = v.json();
        assert_eq!(v["tail"]["state"], want, "{v}");
        assert_eq!(v["tail"]["bytes"], TIB, "{v}");
        let r = run(true, &["verify"], d.path());
        assert_eq!(r.json()["tail"]["state"], want, "{}", r.stdout);
        let r = run(false, &["dump"], d.path());
        assert_eq!(r.code, 0, "{}", r.stderr);
        // The cut bytes saved: a file as sparse as the segment, private (mode 0600).
        let saved = d.path().join("cut.bin");
        let r = run(true, &["repair", "--save-cut", p(&saved)], d.path());
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        assert_eq!(
            std::fs::metadata(&huge).unwrap().len(),
            0,
            "the tail was cut"
        );
        let m = std::fs::metadata(&saved).unwrap();
        assert_eq!((m.len(), m.mode() & 0o777), (TIB, 0o600));
        assert!(
            m.blocks() * 512 < 1 << 30,
            "{} bytes allocated",
            m.blocks() * 512
        );
        let mut end = [0u8; 4096];
        std::os::unix::fs::FileExt::read_exact_at(
            &std::fs::File::open(&saved).unwrap(),
            &mut end,
            TIB - 4096,
        )
        .unwrap();
        assert_eq!(end, [if data_at_end { 0x5a } else { 0 }; 4096]);
        assert_eq!(read_all(d.path()).len() as u64, ENTRIES);
    }
}
