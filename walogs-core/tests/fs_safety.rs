//! File-system safety: walogs never follows a link, never blocks on or touches a special
//! file, never writes a file with other hard links, and creates private files by default.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

use walogs_core::vfs::{EntryKind, FileProblem};
use walogs_core::{Lsn, Wal, WalError, WalOptions};

/// Entries 1..=4 (56-byte frames) in `wal-000001.log` (1, 2) and `wal-000002.log` (3, 4).
fn log_with_two_segments(dir: &Path) {
    let mut w = WalOptions::new()
        .max_segment_size(Some(120))
        .open(dir)
        .unwrap();
    for i in 0..4u8 {
        w.append(&[i; 40]).unwrap();
    }
    assert_eq!(w.segment_count(), 2);
    w.close().unwrap();
}

fn expect_unsafe(r: Result<Wal, WalError>, name: &str, kind: EntryKind) {
    match r {
        Err(WalError::UnsafeFile { path, problem }) => {
            assert_eq!(path.file_name().unwrap(), name);
            assert_eq!(problem, FileProblem::NotRegular(kind));
        }
        other => panic!("expected UnsafeFile for {name}, got {other:?}"),
    }
}

#[test]
fn a_segment_replaced_by_a_symlink_is_refused_and_its_target_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("wal");
    log_with_two_segments(&dir);
    let victim = tmp.path().join("precious");
    fs::write(&victim, b"precious".repeat(100)).unwrap();
    let last = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("wal-"))
        .max()
        .unwrap();
    fs::remove_file(dir.join(&last)).unwrap();
    std::os::unix::fs::symlink(&victim, dir.join(&last)).unwrap();
    expect_unsafe(WalOptions::new().open(&dir), &last, EntryKind::Symlink);
    expect_unsafe(
        WalOptions::new().read_only(true).open(&dir),
        &last,
        EntryKind::Symlink,
    );
    assert_eq!(fs::read(&victim).unwrap(), b"precious".repeat(100));
    assert!(fs::symlink_metadata(dir.join(&last)).unwrap().is_symlink());
}

#[test]
fn a_lock_file_replaced_by_a_symlink_is_refused_and_its_target_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("wal");
    log_with_two_segments(&dir);
    let victim = tmp.path().join("precious");
    fs::write(&victim, b"precious".repeat(100)).unwrap();
    fs::remove_file(dir.join("walogs.lock")).unwrap();
    std::os::unix::fs::symlink(&victim, dir.join("walogs.lock")).unwrap();
    expect_unsafe(
        WalOptions::new().open(&dir),
        "walogs.lock",
        EntryKind::Symlink,
    );
    assert_eq!(fs::read(&victim).unwrap(), b"precious".repeat(100));
    // A read-only open takes no lock and is not bothered.
    assert_eq!(
        WalOptions::new()
            .read_only(true)
            .open(&dir)
            .unwrap()
            .next_lsn(),
        Lsn(5)
    );
}

#[test]
fn metadata_and_its_temporary_file_as_symlinks_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("wal");
    log_with_two_segments(&dir);
    let victim = tmp.path().join("precious");
    fs::write(&victim, b"precious").unwrap();
    fs::remove_file(dir.join("walogs.meta")).unwrap();
    std::os::unix::fs::symlink(&victim, dir.join("walogs.meta")).unwrap();
    expect_unsafe(
        WalOptions::new().open(&dir),
        "walogs.meta",
        EntryKind::Symlink,
    );
    fs::remove_file(dir.join("walogs.meta")).unwrap();
    // A link planted under the temporary name is removed (the entry, not its target) and
    // a regular file written instead.
    std::os::unix::fs::symlink(&victim, dir.join("walogs.meta.tmp")).unwrap();
    let mut w = WalOptions::new()
        .max_segment_size(Some(100))
        .open(&dir)
        .unwrap();
    w.rotate().unwrap();
    w.append(b"x").unwrap();
    w.rotate().unwrap();
    assert_eq!(fs::read(&victim).unwrap(), b"precious");
    assert!(
        fs::symlink_metadata(dir.join("walogs.meta"))
            .unwrap()
            .is_file()
    );
}

/// `walogs.user` as a link to a file elsewhere, then with a second hard link elsewhere: a
/// writable open refuses it before changing anything (the torn tail planted in the last
/// segment is not cut), where it used to open and then poison the handle at the first
/// `set_user_data`; read-only opens refuse the link and read the hard-linked file. A link
/// planted under the temporary name is removed (the entry) and a regular file made instead.
#[test]
fn a_user_data_file_that_is_a_link_or_hard_linked_is_refused_before_anything_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("wal");
    log_with_two_segments(&dir);
    let mut w = WalOptions::new().open(&dir).unwrap();
    w.set_user_data(b"vote").unwrap();
    w.close().unwrap();
    let user = dir.join("walogs.user");
    let seg = dir.join("wal-000002.log");
    let mut torn = fs::read(&seg).unwrap();
    torn.extend_from_slice(&[0xab; 30]);
    fs::write(&seg, &torn).unwrap();
    let outside = tmp.path().join("user-elsewhere");
    fs::rename(&user, &outside).unwrap();
    let saved = fs::read(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, &user).unwrap();
    for ro in [true, false] {
        expect_unsafe(
            WalOptions::new().read_only(ro).open(&dir),
            "walogs.user",
            EntryKind::Symlink,
        );
    }
    assert_eq!(fs::read(&seg).unwrap(), torn, "a refused open cut the tail");
    assert_eq!(fs::read(&outside).unwrap(), saved);
    fs::remove_file(&user).unwrap();
    fs::hard_link(&outside, &user).unwrap();
    match WalOptions::new().open(&dir) {
        Err(WalError::UnsafeFile { path, problem }) => {
            assert_eq!(path.file_name().unwrap(), "walogs.user");
            assert_eq!(problem, FileProblem::HardLinked { links: 2 });
        }
        other => panic!("expected a refusal of the hard-linked walogs.user, got {other:?}"),
    }
    assert_eq!(fs::read(&seg).unwrap(), torn, "a refused open cut the tail");
    let ro = WalOptions::new().read_only(true).open(&dir).unwrap();
    assert_eq!(ro.user_data().unwrap(), b"vote");
    assert_eq!(fs::read(&outside).unwrap(), saved);
    fs::remove_file(&outside).unwrap();
    // No walogs.user yet, a link under its temporary name: the first set_user_data works.
    fs::remove_file(&user).unwrap();
    fs::write(&outside, b"precious").unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("walogs.user.tmp")).unwrap();
    let mut w = WalOptions::new().open(&dir).unwrap();
    w.set_user_data(b"again").unwrap();
    w.close().unwrap();
    assert_eq!(fs::read(&outside).unwrap(), b"precious");
    assert!(fs::symlink_metadata(&user).unwrap().is_file());
    assert!(!dir.join("walogs.user.tmp").exists());
}

/// A v1 `wal.log` that is a link to a v1 log elsewhere is refused (a writable open would
/// otherwise migrate it by renaming, and read through the link); the target is untouched.
#[test]
fn a_v1_log_file_that_is_a_link_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("wal");
    fs::create_dir(&dir).unwrap();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/walogs-0.1/v1/wal.log");
    let outside = tmp.path().join("old-wal.log");
    fs::copy(&fixture, &outside).unwrap();
    let before = fs::read(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("wal.log")).unwrap();
    for ro in [true, false] {
        expect_unsafe(
            WalOptions::new().read_only(ro).open(&dir),
            "wal.log",
            EntryKind::Symlink,
        );
    }
    assert_eq!(fs::read(&outside).unwrap(), before);
    assert_eq!(
        fs::read_dir(&dir).unwrap().count(),
        2,
        "wal.log and walogs.lock only"
    );
    // The same file as a regular wal.log migrates.
    fs::remove_file(dir.join("wal.log")).unwrap();
    fs::copy(&outside, dir.join("wal.log")).unwrap();
    let w = WalOptions::new().open(&dir).unwrap();
    assert!(w.recovery_report().migrated_v1);
}

#[test]
fn a_fifo_named_like_a_segment_never_blocks_an_open() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("wal");
    log_with_two_segments(&dir);
    let next = dir.join("wal-000009.log");
    let c = std::ffi::CString::new(next.to_str().unwrap()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    // Make it the last segment in sequence: remove the gap by renaming segments is not
    // needed; a FIFO anywhere under a segment name is refused before any read.
    let start = Instant::now();
    for ro in [true, false] {
        let r = WalOptions::new().read_only(ro).open(&dir);
        assert!(
            matches!(
                &r,
                Err(WalError::UnsafeFile { .. }) | Err(WalError::Corrupt { .. })
            ),
            "{r:?}"
        );
    }
    // Directly as the next segment too: rename the real last segment away.
    let names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("wal-0000") && n != "wal-000009.log")
        .collect();
    let last = names.iter().max().unwrap().clone();
    fs::remove_file(dir.join(&last)).unwrap();
    fs::rename(&next, dir.join(&last)).unwrap();
    expect_unsafe(
        WalOptions::new().read_only(true).open(&dir),
        &last,
        EntryKind::Fifo,
    );
    expect_unsafe(WalOptions::new().open(&dir), &last, EntryKind::Fifo);
    assert!(start.elapsed() < Duration::from_secs(30), "an open blocked");
}

#[test]
fn sockets_devices_and_directories_under_walogs_names_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("wal");
    log_with_two_segments(&dir);
    let last = "wal-000002.log";
    // A directory.
    fs::rename(dir.join(last), tmp.path().join("saved")).unwrap();
    fs::create_dir(dir.join(last)).unwrap();
    expect_unsafe(
        WalOptions::new().read_only(true).open(&dir),
        last,
        EntryKind::Directory,
    );
    fs::remove_dir(dir.join(last)).unwrap();
    // A socket.
    let sock = std::os::unix::net::UnixListener::bind(dir.join(last)).unwrap();
    expect_unsafe(WalOptions::new().open(&dir), last, EntryKind::Socket);
    drop(sock);
    fs::remove_file(dir.join(last)).unwrap();
    // A character device (like /dev/null), when this process may make one.
    let c = std::ffi::CString::new(dir.join(last).to_str().unwrap()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path; makedev(1, 3) is /dev/null's number.
    let made = unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o600, libc::makedev(1, 3)) };
    if made == 0 {
        expect_unsafe(WalOptions::new().open(&dir), last, EntryKind::CharDevice);
        fs::remove_file(dir.join(last)).unwrap();
    } else {
        println!("skipped the device case: mknod needs CAP_MKNOD");
    }
    fs::rename(tmp.path().join("saved"), dir.join(last)).unwrap();
    assert_eq!(WalOptions::new().open(&dir).unwrap().next_lsn(), Lsn(5));
}

#[test]
fn a_segment_with_another_hard_link_is_read_but_never_written() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("wal");
    log_with_two_segments(&dir);
    let outside = tmp.path().join("linked-copy");
    fs::hard_link(dir.join("wal-000002.log"), &outside).unwrap();
    let before = fs::read(&outside).unwrap();
    match WalOptions::new().open(&dir) {
        Err(WalError::UnsafeFile { path, problem }) => {
            assert_eq!(path.file_name().unwrap(), "wal-000002.log");
            assert_eq!(problem, FileProblem::HardLinked { links: 2 });
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let ro = WalOptions::new().read_only(true).open(&dir).unwrap();
    assert_eq!(ro.iter().count(), 4);
    assert_eq!(fs::read(&outside).unwrap(), before);
}

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().mode() & 0o7777
}

#[test]
fn created_files_are_private_by_default_and_the_mode_option_applies_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("a").join("wal");
    // A umask that lets everything through does not widen the default.
    // SAFETY: umask only changes this process's file-creation mask.
    let old = unsafe { libc::umask(0) };
    let r = WalOptions::new().max_segment_size(Some(100)).open(&dir);
    let mut w = r.unwrap();
    for i in 0..4u8 {
        w.append(&[i; 40]).unwrap();
    }
    w.set_user_data(b"u").unwrap();
    // SAFETY: as above.
    unsafe { libc::umask(old) };
    w.close().unwrap();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&tmp.path().join("a")), 0o700);
    for e in fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
    let dir = tmp.path().join("group");
    // The umask does not narrow the mode asked for.
    // SAFETY: umask only changes this process's file-creation mask.
    let old = unsafe { libc::umask(0o077) };
    let r = WalOptions::new().file_mode(0o640).open(&dir);
    // SAFETY: as above.
    unsafe { libc::umask(old) };
    let mut w = r.unwrap();
    w.append(b"x").unwrap();
    w.close().unwrap();
    assert_eq!(mode(&dir), 0o750);
    for e in fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        assert_eq!(mode(&p), 0o640, "{}", p.display());
    }
    for bad in [0o400, 0o200, 0o1600, 0o4600] {
        assert!(matches!(
            WalOptions::new()
                .file_mode(bad)
                .open(tmp.path().join("bad")),
            Err(WalError::InvalidArgument { .. })
        ));
    }
    assert!(!tmp.path().join("bad").exists(), "nothing created");
}

/// A directory walogs creates inside a set-group-ID directory keeps the set-group-ID bit the
/// kernel gave it (the usual way to hand a group of readers every new file): its files get
/// the group of the parent, as the several-users setup needs. The permission bits are still
/// exactly those asked for.
#[test]
fn a_directory_created_in_a_set_group_id_parent_keeps_the_bit() {
    let tmp = tempfile::tempdir().unwrap();
    let parent = tmp.path().join("shared");
    fs::create_dir(&parent).unwrap();
    fs::set_permissions(&parent, fs::Permissions::from_mode(0o2755)).unwrap();
    let gid = fs::metadata(&parent).unwrap().gid();
    let dir = parent.join("wal");
    let mut w = WalOptions::new().file_mode(0o640).open(&dir).unwrap();
    w.append(b"x").unwrap();
    w.close().unwrap();
    assert_eq!(mode(&dir), 0o2750);
    for e in fs::read_dir(&dir).unwrap() {
        let m = e.unwrap().metadata().unwrap();
        assert_eq!((m.mode() & 0o7777, m.gid()), (0o640, gid));
    }
    // Outside such a parent nothing but the bits asked for.
    let plain = tmp.path().join("plain");
    WalOptions::new().open(&plain).unwrap().close().unwrap();
    assert_eq!(mode(&plain), 0o700);
}

#[test]
fn thousands_of_empty_segment_files_are_refused_quickly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for seq in 1..=20_000u64 {
        fs::write(dir.join(format!("wal-{seq:06}.log")), b"").unwrap();
    }
    let start = Instant::now();
    for ro in [true, false] {
        match WalOptions::new().read_only(ro).open(dir) {
            Err(WalError::Corrupt { reason }) => {
                assert_eq!(reason.file.as_deref(), Some("wal-000001.log"))
            }
            other => panic!("{other:?}"),
        }
    }
    println!("20,000 empty segments refused in {:?}", start.elapsed());
    assert_eq!(
        fs::read_dir(dir).unwrap().count(),
        20_000 + 1,
        "only the lock file was added"
    );
}

#[test]
fn a_huge_sparse_last_segment_is_handled_in_bounded_time() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("wal");
    log_with_two_segments(&dir);
    // A 1 TiB sparse file (no data blocks) as the next segment: all zeros, a torn tail.
    let f = fs::File::create(dir.join("wal-000003.log")).unwrap();
    f.set_len(1 << 40).unwrap();
    drop(f);
    let start = Instant::now();
    let ro = WalOptions::new().read_only(true).open(&dir).unwrap();
    assert_eq!(ro.next_lsn(), Lsn(5));
    assert_eq!(ro.recovery_report().bytes_truncated, 1 << 40);
    println!("1 TiB sparse segment scanned in {:?}", start.elapsed());
    assert!(start.elapsed() < Duration::from_secs(60));
}

#[test]
fn the_wal_directory_itself_may_be_a_symlink() {
    let tmp = tempfile::tempdir().unwrap();
    let real = tmp.path().join("data");
    log_with_two_segments(&real);
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let mut w = WalOptions::new().open(&link).unwrap();
    assert_eq!(w.dir(), fs::canonicalize(&real).unwrap());
    assert_eq!(w.append(b"x").unwrap(), Lsn(5));
}

#[test]
fn io_errors_name_their_file_and_keep_their_errno() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("not-a-dir");
    fs::write(&file, b"x").unwrap();
    let e = WalOptions::new().open(file.join("wal")).unwrap_err();
    assert_eq!(e.errno(), Some(libc::ENOTDIR), "{e}");
    let dir = tmp.path().join("wal");
    log_with_two_segments(&dir);
    fs::set_permissions(
        dir.join("wal-000002.log"),
        fs::Permissions::from_mode(0o400),
    )
    .unwrap();
    // Writable open needs to open the active segment for writing: refused, naming it.
    let e = WalOptions::new().open(&dir).unwrap_err();
    assert_eq!(e.errno(), Some(libc::EACCES), "{e}");
    assert_eq!(
        e.io_path().unwrap(),
        fs::canonicalize(&dir).unwrap().join("wal-000002.log")
    );
    assert!(e.to_string().contains("wal-000002.log"), "{e}");
}
