//! Regression tests of the walogs-core bugs the real-kernel crash harnesses
//! (`walogs-torture`) found, all fixed. Each runs the bug's minimal, deterministic
//! reproduction and asserts the fixed behaviour. They live beside the core so that
//! `cargo test -p walogs-core` runs them. (Open bugs the harnesses still tolerate are listed,
//! with their reproductions, in `walogs-torture/src/known.rs`; when one is fixed its
//! reproduction moves here.)
//!
//! A kill's effect is reproduced without a kill: the test kit's hooked file system
//! ([`walogs_testkit::HookFs`]) over the real one copies the WAL directory just before a
//! chosen file-system call. A `SIGKILL` at that point would leave exactly that copy (the
//! page cache survives a kill), so opening the copy is opening what the kill left.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use walogs_core::segment::parse_segment_filename;
use walogs_core::{Lsn, Wal, WalError, WalOptions};
use walogs_testkit::{Action, HookFs, Op};

use common::copy_dir;

/// Chooses the file-system call before which the directory is copied.
type Trigger = Box<dyn FnMut(&Op<'_>) -> bool + Send>;

/// A WAL directory on the real file system whose state can be copied just before a chosen
/// call: [`CrashPoint::arm`] with a predicate; the first call it accepts triggers the copy.
struct CrashPoint {
    scratch: tempfile::TempDir,
    armed: Arc<Mutex<Option<Trigger>>>,
    taken: Arc<AtomicBool>,
}

impl CrashPoint {
    fn new() -> CrashPoint {
        CrashPoint {
            scratch: tempfile::tempdir().unwrap(),
            armed: Arc::new(Mutex::new(None)),
            taken: Arc::new(AtomicBool::new(false)),
        }
    }

    fn dir(&self) -> PathBuf {
        self.scratch.path().join("wal")
    }

    fn copy(&self) -> PathBuf {
        self.scratch.path().join("crash")
    }

    /// Open the WAL (4 KiB segments) over the hooked file system.
    fn open(&self) -> Wal {
        let (armed, taken, dir, copy) = (
            self.armed.clone(),
            self.taken.clone(),
            self.dir(),
            self.copy(),
        );
        let fs = HookFs::new(move |op: &Op<'_>| {
            let mut a = armed.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(pred) = a.as_mut()
                && pred(op)
            {
                *a = None;
                let _ = std::fs::remove_dir_all(&copy);
                copy_dir(&dir, &copy);
                taken.store(true, Ordering::SeqCst);
            }
            Action::Proceed
        })
        .into_fs();
        WalOptions::new()
            .max_segment_size(Some(4096))
            .file_system(fs)
            .open(self.dir())
            .unwrap()
    }

    /// Copy the directory just before the first call `pred` accepts.
    fn arm(&self, pred: impl FnMut(&Op<'_>) -> bool + Send + 'static) {
        self.taken.store(false, Ordering::SeqCst);
        *self.armed.lock().unwrap_or_else(|p| p.into_inner()) = Some(Box::new(pred));
    }

    /// The copy; panics (the reproduction is stale) if the armed call never came.
    fn taken(&self, stale: &str) -> PathBuf {
        assert!(
            self.taken.load(Ordering::SeqCst),
            "{stale} (the reproduction is stale)"
        );
        self.copy()
    }
}

/// Append `n` writes of ~900 bytes (every fifth an atomic batch of three).
fn fill(w: &mut Wal, n: u64) {
    for i in 0..n {
        if i % 5 == 4 {
            w.append_batch(&[vec![i as u8; 300], vec![1; 300], vec![2; 300]])
                .unwrap();
        } else {
            w.append(&vec![i as u8; 900]).unwrap();
        }
    }
}

/// Open `dir` read-only and read every entry; the number of entries.
fn opens(dir: &Path) -> Result<u64, WalError> {
    let w = WalOptions::new().read_only(true).open(dir)?;
    let mut n = 0;
    for e in w.iter() {
        e?;
        n += 1;
    }
    Ok(n)
}

/// The step after the metadata file was renamed into place (its new content is durable).
fn after_meta_rename() -> impl FnMut(&Op<'_>) -> bool + Send {
    let mut renamed = false;
    move |op| {
        if renamed {
            return true;
        }
        renamed = matches!(op, Op::Rename { to, .. } if *to == walogs_core::META_FILENAME);
        false
    }
}

/// After a purge past the end, a crash inside a later `purge_up_to` (its floor durable, the
/// purged segment not yet deleted) leaves a directory that opens.
///
/// Entries 1..=3, `purge_up_to(5)` (past the end: the next entry, 6, starts a segment of its
/// own), append 6, then `purge_up_to(6)`, with a crash right after its new floor is durable
/// (the metadata file renamed into place), before the purged segment is gone. The directory
/// must open (old or new log: here the new one, empty, next LSN 7).
#[test]
fn a_crash_in_a_purge_after_a_purge_past_the_end_leaves_an_openable_directory() {
    let cp = CrashPoint::new();
    let mut w = cp.open();
    fill(&mut w, 3);
    let end = w.next_lsn().0 - 1;
    w.purge_up_to(Lsn(end + 2)).unwrap();
    let six = w.append(b"after the jump").unwrap();
    cp.arm(after_meta_rename());
    w.purge_up_to(six).unwrap();
    w.close().unwrap();
    let crash = cp.taken("purge_up_to never renamed walogs.meta");
    if let Err(e) = opens(&crash) {
        panic!(
            "after purge_up_to({end}+2), append {}, a crash in purge_up_to({}) right after walogs.meta was renamed: {e}",
            six.0, six.0
        );
    }
}

/// Segments left below the floor by an interrupted purge, then `truncate_after(floor)`: the
/// directory still opens (the seal below the kept segment is its real last LSN).
///
/// 30 writes over several 4 KiB segments; `purge_up_to` past the end, crashing just before
/// its first segment deletion (the floor is durable, the purged segments remain); reopen,
/// write 12 more, `truncate_after(floor)` (the first entry after the floor starts a segment
/// whose predecessor ends below the floor). The directory must open afterwards.
#[test]
fn a_cut_to_the_floor_after_an_interrupted_purge_leaves_an_openable_directory() {
    let cp = CrashPoint::new();
    let mut w = cp.open();
    fill(&mut w, 30);
    let upto = w.next_lsn().0 + 4;
    cp.arm(|op| matches!(op, Op::Remove { name } if parse_segment_filename(name).is_some()));
    w.purge_up_to(Lsn(upto)).unwrap();
    w.close().unwrap();
    let crash = cp.taken("purge_up_to deleted no segment");
    let mut w = WalOptions::new()
        .max_segment_size(Some(4096))
        .open(&crash)
        .unwrap_or_else(|e| panic!("the interrupted purge does not reopen: {e}"));
    fill(&mut w, 12);
    let floor = w.purged_up_to().0;
    w.truncate_after(Lsn(floor)).unwrap();
    w.close().unwrap();
    if let Err(e) = opens(&crash) {
        panic!(
            "purge_up_to({upto}) interrupted before its deletions, reopened, 12 writes, truncate_after({floor}): {e}"
        );
    }
}

/// A second `truncate_after` inside a unit crashing right after it recorded its cut: the old
/// or the new log, never less.
///
/// An atomic batch `a..a+3`, another `b..b+2`, `truncate_after(b)` (the log ends inside the
/// second unit, a deliberate cut recorded in `walogs.meta`), then `truncate_after(a + 1)`
/// (inside the first unit) with a crash right after it recorded its own cut in
/// `walogs.meta`, before it cut the file. The directory must hold the old log (`..=b`) or the
/// new one (`..=a + 1`).
#[test]
fn a_crash_in_a_second_cut_inside_a_unit_leaves_the_old_or_the_new_log() {
    let cp = CrashPoint::new();
    let mut w = cp.open();
    w.append(b"x").unwrap();
    let a = w
        .append_batch(&[b"a0", b"a1", b"a2", b"a3"])
        .unwrap()
        .first
        .0;
    let b = w.append_batch(&[b"b0", b"b1", b"b2"]).unwrap().first.0;
    w.truncate_after(Lsn(b)).unwrap();
    cp.arm(after_meta_rename());
    w.truncate_after(Lsn(a + 1)).unwrap();
    w.close().unwrap();
    let crash = cp.taken("truncate_after never renamed walogs.meta");
    let last = WalOptions::new()
        .read_only(true)
        .open(&crash)
        .map(|w| w.next_lsn().0 - 1)
        .unwrap();
    assert!(
        last == b || last == a + 1,
        "batches {a}..={} and {b}..={}, truncate_after({b}), then a crash in truncate_after({}) right after walogs.meta was renamed: the log ends at {last}",
        a + 3,
        b + 2,
        a + 1
    );
}
