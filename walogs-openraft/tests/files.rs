//! The store's files get walogs' file-system safety: private by default (files 0600, the
//! directory 0700), `WalOptions::file_mode` applied exactly, and a `walogs.lock` that is a
//! link to a file elsewhere refused (the log's typed `UnsafeFile`) with its target untouched.

mod support;

use std::fs;

use support::{Store, append_sync, normal};
use walogs_core::{WalError, WalOptions};
use walogs_openraft::StoreError;
use walogs_testkit::modes::modes;

#[test]
fn the_store_creates_private_files_and_applies_file_mode_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, options, file, dir) in [
        ("private", WalOptions::new(), 0o600, 0o700),
        ("group", WalOptions::new().file_mode(0o640), 0o640, 0o750),
    ] {
        let path = tmp.path().join(name);
        let mut s = Store::open_with(&path, options.max_segment_size(Some(4096))).unwrap();
        append_sync(&mut s, (1..=50).map(|i| normal(1, i, 200)).collect()).unwrap();
        drop(s);
        let (d, files) = modes(&path);
        assert_eq!(d, dir, "{name}");
        assert!(
            files.len() >= 3,
            "{name}: a segment, the lock, the metadata: {files:?}"
        );
        assert!(files.iter().all(|(_, m)| *m == file), "{name}: {files:?}");
    }
}

#[test]
fn a_lock_file_that_links_outside_is_refused_and_its_target_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let mut s = Store::open(&dir).unwrap();
    append_sync(&mut s, (1..=3).map(|i| normal(1, i, 16)).collect()).unwrap();
    drop(s);
    let target = tmp.path().join("precious");
    fs::write(&target, b"precious".repeat(100)).unwrap();
    let lock = dir.join(walogs_core::LOCK_FILENAME);
    fs::remove_file(&lock).unwrap();
    std::os::unix::fs::symlink(&target, &lock).unwrap();
    match Store::open(&dir) {
        Err(StoreError::Wal(WalError::UnsafeFile { path, .. })) => {
            assert_eq!(path.file_name(), lock.file_name())
        }
        Err(e) => panic!("expected UnsafeFile, got {e:?}"),
        Ok(_) => panic!("opened with a linked lock file"),
    }
    assert_eq!(fs::read(&target).unwrap(), b"precious".repeat(100));
    assert!(fs::symlink_metadata(&lock).unwrap().is_symlink());
}
