//! The concurrent child: several threads append to one [`SharedWal`] at once, so that
//! group commits have followers (appenders whose entry a leader writes and syncs for them).
//!
//! Each thread appends single entries and atomic batches of tagged payloads
//! ([`crate::tagged`]), printing `tried` before the call and `acked` (with the LSNs) only
//! after it returned `Ok`, or `refused` after an error. Thread 0 also rotates and
//! checkpoints now and then (operations that flush the queue as a leader). All threads start
//! together (a barrier) and each thread's operations follow from the seed, the run and the
//! thread; which appends share a group is up to the scheduler.
//!
//! [`ChildMode::Kill`]: runs until killed (or `ops` operations per thread, or 60 s); any
//! error stops it (exit 2), a read of wrong bytes too (exit 3). [`ChildMode::Script`]:
//! `ops` operations per thread, going on after errors; then, if anything failed, a
//! [`Event::Residue`] check of the directory before any reopen (whole valid frames then only
//! zeros, the last frame on disk the last one acknowledged, `next_lsn()` right after it),
//! whether the handle is poisoned, and `close`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use walogs_core::{Lsn, SharedWal, TailState};

use crate::child::{ChildConfig, ChildMode, Out};
use crate::protocol::{Event, RESIDUE_SEPARATOR};
use crate::residue::{next_lsn_moved, scan_tail};
use crate::rng::{Rng, mix};
use crate::tagged::{Tag, TaggedSpec};

/// What the threads share.
struct Shared<'a> {
    cfg: &'a ChildConfig,
    wal: SharedWal,
    out: Out,
    spec: TaggedSpec,
    start: Barrier,
    /// Highest LSN acknowledged to any thread (the log's last LSN at open before any).
    max_acked: AtomicU64,
    /// Some call failed (kill mode: every thread stops).
    failed: AtomicBool,
    /// A read returned wrong bytes (kill mode).
    bad_read: AtomicBool,
    /// Acknowledged `(lsn, tag)` pairs a thread may read back (kill mode), newest last.
    acked: Mutex<Vec<(u64, Tag)>>,
}

/// Run the concurrent workload; returns the process exit code.
pub fn run(cfg: &ChildConfig) -> i32 {
    let out = Out(std::io::stdout());
    let wal = match cfg.options().open_shared(&cfg.dir) {
        Ok(w) => w,
        Err(e) => {
            out.fail("open", &e);
            return if cfg.mode == ChildMode::Kill { 2 } else { 0 };
        }
    };
    let base = wal.next_lsn().0;
    out.emit(Event::Ready {
        first: wal.first_lsn().0,
        next: base,
        torn_at: match wal.tail_state() {
            TailState::Clean => None,
            TailState::TruncatedAt(o) => Some(o),
        },
    });
    let sh = Shared {
        cfg,
        wal,
        out,
        spec: TaggedSpec::new(cfg.seed, cfg.max_len),
        start: Barrier::new(cfg.threads as usize),
        max_acked: AtomicU64::new(base - 1),
        failed: AtomicBool::new(false),
        bad_read: AtomicBool::new(false),
        acked: Mutex::new(Vec::new()),
    };
    std::thread::scope(|s| {
        for t in 0..cfg.threads {
            let sh = &sh;
            s.spawn(move || worker(sh, t));
        }
    });
    match cfg.mode {
        ChildMode::Kill if sh.bad_read.load(Ordering::SeqCst) => 3,
        ChildMode::Kill => i32::from(sh.failed.load(Ordering::SeqCst)) * 2,
        ChildMode::Script => {
            if sh.failed.load(Ordering::SeqCst) {
                sh.out.emit(Event::Residue {
                    problem: residue(&sh),
                });
            }
            sh.out.emit(Event::State {
                poisoned: sh.wal.is_poisoned(),
            });
            match sh.wal.close() {
                Ok(()) => sh.out.emit(Event::Done { op: "close".into() }),
                Err(e) => sh.out.fail("close", &e),
            }
            0
        }
    }
}

/// After a failure, with every thread done: the newest segment holds whole frames then
/// zeros, its last frame is the last acknowledged one, and `next_lsn()` follows it.
fn residue(sh: &Shared<'_>) -> Option<String> {
    let acked = sh.max_acked.load(Ordering::SeqCst);
    let mut problems = Vec::new();
    match scan_tail(&sh.cfg.dir) {
        Err(r) => problems.push(r.0),
        Ok(Some(last)) if last != acked => problems.push(format!(
            "the last frame on disk ends at LSN {last}, but the last acknowledged LSN is {acked}"
        )),
        Ok(_) => {}
    }
    // Before the failed group, `next_lsn()` followed the last acknowledged entry.
    problems.extend(next_lsn_moved(acked + 1, sh.wal.next_lsn().0));
    (!problems.is_empty()).then(|| problems.join(RESIDUE_SEPARATOR))
}

fn worker(sh: &Shared<'_>, thread: u32) {
    let cfg = sh.cfg;
    let kill = cfg.mode == ChildMode::Kill;
    let mut rng = Rng::new(mix(cfg.seed, mix(cfg.run, u64::from(thread) + 0x7448)));
    let mut seq = 0u64;
    let deadline = Instant::now() + Duration::from_secs(60);
    sh.start.wait();
    for _ in 0..cfg.ops {
        if kill && (Instant::now() > deadline || sh.failed.load(Ordering::SeqCst)) {
            break;
        }
        let roll = rng.below(100);
        let ok = match roll {
            0..80 => append(sh, thread, &mut seq, 1),
            80..92 => append(sh, thread, &mut seq, rng.range(2, 4)),
            _ if thread == 0 => maintain(sh, &mut rng),
            _ if kill => read_back(sh, &mut rng),
            _ => append(sh, thread, &mut seq, 1),
        };
        if !ok {
            sh.failed.store(true, Ordering::SeqCst);
        }
    }
}

/// Append `count` tagged entries of `thread` (one frame), reporting before and after.
fn append(sh: &Shared<'_>, thread: u32, seq: &mut u64, count: u64) -> bool {
    let first_seq = *seq;
    *seq += count;
    let tags: Vec<Tag> = (first_seq..first_seq + count)
        .map(|s| Tag {
            run: sh.cfg.run as u32,
            thread,
            seq: s,
        })
        .collect();
    let entries: Vec<Vec<u8>> = tags.iter().map(|&t| sh.spec.payload(t)).collect();
    sh.out.emit(Event::Tried {
        thread,
        seq: first_seq,
        count,
    });
    let r = if count == 1 {
        sh.wal.append(&entries[0]).map(|l| l.0)
    } else {
        sh.wal.append_batch(&entries).map(|r| r.first.0)
    };
    match r {
        Ok(first) => {
            sh.out.emit(Event::Acked {
                thread,
                seq: first_seq,
                count,
                first,
            });
            sh.max_acked.fetch_max(first + count - 1, Ordering::SeqCst);
            if sh.cfg.mode == ChildMode::Kill {
                let mut a = sh.acked.lock().unwrap_or_else(|p| p.into_inner());
                a.extend((first..).zip(tags));
                if a.len() > 4096 {
                    a.drain(..2048);
                }
            }
            true
        }
        Err(e) => {
            sh.out.emit(Event::Refused {
                thread,
                seq: first_seq,
                count,
                kind: crate::protocol::ErrKind::of(&e),
                msg: e.to_string(),
            });
            false
        }
    }
}

/// Thread 0's rotations and checkpoints (a checkpoint keeps up to `keep` newest entries).
fn maintain(sh: &Shared<'_>, rng: &mut Rng) -> bool {
    if rng.chance(50) {
        return match sh.wal.rotate() {
            Ok(()) => {
                sh.out.emit(Event::Done {
                    op: "rotate".into(),
                });
                true
            }
            Err(e) => {
                sh.out.fail("rotate", &e);
                false
            }
        };
    }
    let upto = sh
        .max_acked
        .load(Ordering::SeqCst)
        .saturating_sub(rng.below(sh.cfg.keep + 1));
    sh.out.emit(Event::Checkpoint { upto });
    match sh.wal.checkpoint(Lsn(upto)) {
        Ok(n) => {
            sh.out.emit(Event::Done {
                op: format!("checkpoint {n}"),
            });
            true
        }
        Err(e) => {
            sh.out.fail("checkpoint", &e);
            false
        }
    }
}

/// Read back an acknowledged entry of any thread and check it is that thread's payload.
fn read_back(sh: &Shared<'_>, rng: &mut Rng) -> bool {
    let pick = {
        let a = sh.acked.lock().unwrap_or_else(|p| p.into_inner());
        if a.is_empty() {
            return true;
        }
        a[rng.below(a.len() as u64) as usize]
    };
    let (lsn, tag) = pick;
    match sh.wal.read(Lsn(lsn)) {
        Ok(d) if sh.spec.recognise(&d) == Some(tag) => true,
        Ok(_) => {
            sh.out.emit(Event::Bad { lsn });
            sh.bad_read.store(true, Ordering::SeqCst);
            false
        }
        // A concurrent checkpoint may have deleted it.
        Err(_) if sh.wal.first_lsn().0 > lsn => true,
        Err(e) => {
            sh.out.fail("read", &e);
            false
        }
    }
}
