//! The permission bits of a directory and of what it holds, for tests of the modes walogs
//! gives the files it creates.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// The permission bits (with set-ID and sticky bits) of `dir`, and of every entry in it as
/// `(name, bits)` in directory order. Panics when `dir` cannot be read (a test helper).
pub fn modes(dir: &Path) -> (u32, Vec<(String, u32)>) {
    let entries = fs::read_dir(dir)
        .expect("read the directory")
        .map(|e| {
            let e = e.expect("a directory entry");
            (
                e.file_name().into_string().expect("a UTF-8 name"),
                e.metadata().expect("stat an entry").mode() & 0o7777,
            )
        })
        .collect();
    let own = fs::metadata(dir).expect("stat the directory").mode() & 0o7777;
    (own, entries)
}
