//! The store's files get the log's file-system safety: private by default (files 0600, the
//! directory 0700, whatever the umask), `file_mode` applied exactly, and an entry under a
//! segment name that is a link is refused (the typed `UnsafeFile` of the log) by writable and
//! read-only opens, its target untouched.

use std::fs;
use std::path::Path;

use walogs_streams::{StreamsError, StreamsOptions, WalError};
use walogs_testkit::modes::modes;

fn fill(opts: StreamsOptions, dir: &Path) {
    let s = opts.max_segment_size(Some(4096)).open(dir).unwrap();
    for i in 0..100u32 {
        s.append("t", &i.to_le_bytes().repeat(16)).unwrap();
    }
    s.close().unwrap();
}

#[test]
fn the_store_creates_private_files_and_applies_file_mode_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    // SAFETY: umask only changes this process's file-creation mask; the store applies its
    // modes exactly, so other tests running meanwhile are not affected.
    let old = unsafe { libc::umask(0) };
    fill(StreamsOptions::new(), &tmp.path().join("private"));
    // SAFETY: as above.
    unsafe { libc::umask(0o077) };
    fill(
        StreamsOptions::new().file_mode(0o640),
        &tmp.path().join("group"),
    );
    // SAFETY: as above.
    unsafe { libc::umask(old) };
    for (name, file, dir) in [("private", 0o600, 0o700), ("group", 0o640, 0o750)] {
        let (d, files) = modes(&tmp.path().join(name));
        assert_eq!(d, dir, "{name}");
        assert!(
            files.len() > 3,
            "{name}: several segments, the lock: {files:?}"
        );
        assert!(files.iter().all(|(_, m)| *m == file), "{name}: {files:?}");
    }
}

#[test]
fn a_segment_that_links_outside_is_refused_and_its_target_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    fill(StreamsOptions::new(), &dir);
    let last = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("wal-"))
        .max()
        .unwrap();
    let target = tmp.path().join("elsewhere.log");
    fs::rename(dir.join(&last), &target).unwrap();
    let mut bytes = fs::read(&target).unwrap();
    bytes.extend_from_slice(&[0xab; 450]);
    fs::write(&target, &bytes).unwrap();
    std::os::unix::fs::symlink(&target, dir.join(&last)).unwrap();
    for ro in [false, true] {
        match StreamsOptions::new().read_only(ro).open(&dir) {
            Err(StreamsError::Wal(WalError::UnsafeFile { path, .. })) => {
                assert_eq!(path.file_name().unwrap().to_str(), Some(last.as_str()))
            }
            Err(e) => panic!("read_only={ro}: expected UnsafeFile, got {e:?}"),
            Ok(_) => panic!("read_only={ro}: opened through a link"),
        }
    }
    assert_eq!(
        fs::read(&target).unwrap(),
        bytes,
        "the link's target changed"
    );
    assert!(fs::symlink_metadata(dir.join(&last)).unwrap().is_symlink());
}
