//! The concurrent child: several threads append to one [`SharedWal`] at once, so that
//! group commits have followers (appenders whose entry a leader writes and syncs for them).
//!
//! Each thread appends single entries and atomic batches of tagged payloads
//! ([`crate::tagged`]), printing `tried` before the call and `acked` (with the LSNs) only
//! after it returned `Ok`, or `refused` after an error. Thread 0 also runs the maintenance
//! and log control now and then: rotations and checkpoints (operations that flush the queue
//! as a leader), truncations (preferably inside the newest multi-entry unit on disk, which
//! concurrent single appends make a group commit), purges (inside, at and past the end),
//! user data, `on_durable` callbacks, `wait_durable` waits and syncs. A truncation or purge
//! holds the `quiesce` lock exclusively while appends and read-backs hold it shared, so
//! every append (and its report) is wholly before or after it: what the log must hold then
//! follows from the order of the lines. All threads start together (a barrier) and each
//! thread's operations follow from the seed, the run and the thread; which appends share a
//! group is up to the scheduler.
//!
//! [`ChildMode::Kill`]: runs until killed (or `ops` operations per thread, or 60 s); any
//! error stops it (exit 2), a read of wrong bytes too (exit 3). [`ChildMode::Script`]:
//! `ops` operations per thread, going on after errors; then, if anything failed, a
//! [`Event::Residue`] check of the directory before any reopen (whole valid units then only
//! zeros, the last frame on disk the last one acknowledged, `next_lsn()` right after it),
//! whether the handle is poisoned, and `close`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Barrier, Mutex, RwLock};
use std::time::{Duration, Instant};

use walogs_core::{Lsn, MAX_USER_DATA, SharedWal, WalError};
use walogs_testkit::Rng;

use crate::child::{ChildConfig, ChildMode, Out, ready};
use crate::draw::{self, between, percent};
use crate::ledger::changed_nothing;
use crate::payload::{epoch_of, user_value};
use crate::protocol::{ErrKind, Event, RESIDUE_SEPARATOR};
use crate::residue::{Snapshot, next_lsn_moved, scan_tail};
use crate::tagged::{Tag, TaggedSpec};
use crate::unit;

/// What the threads share.
struct Shared<'a> {
    cfg: &'a ChildConfig,
    wal: SharedWal,
    out: Out,
    spec: TaggedSpec,
    start: Barrier,
    /// Highest LSN acknowledged to any thread and not truncated since (the log's last LSN
    /// at open before any).
    max_acked: AtomicU64,
    /// Some call failed (kill mode: every thread stops).
    failed: AtomicBool,
    /// A read returned wrong bytes (kill mode).
    bad_read: AtomicBool,
    /// Acknowledged `(lsn, tag)` pairs a thread may read back (kill mode), newest last.
    acked: Mutex<Vec<(u64, Tag)>>,
    /// Shared by appends and read-backs, exclusive for truncations and purges.
    quiesce: RwLock<()>,
    /// `keep` of every truncation that may have cut the file (done, or failed after
    /// starting): the log's last unit may end at one of them on purpose.
    cuts: Mutex<Vec<u64>>,
    /// `keep` of a truncation that failed after starting (`u64::MAX`: none): it may have
    /// removed the newest segments and not yet cut the kept one.
    open_cut: AtomicU64,
    /// Thread 0's log-control state.
    control: Mutex<Control>,
}

/// Thread 0's log-control state.
struct Control {
    /// Truncations made.
    cuts: u64,
    /// The current cut generation (named like a payload epoch).
    epoch: u64,
    /// User data values set.
    users: u64,
}

/// Run the concurrent workload; returns the process exit code.
pub fn run(cfg: &ChildConfig) -> i32 {
    let out = Out::new();
    let wal = match cfg.options().open_shared(&cfg.dir) {
        Ok(w) => w,
        Err(e) => {
            out.fail("open", &e);
            return if cfg.mode == ChildMode::Kill { 2 } else { 0 };
        }
    };
    let base = wal.next_lsn().0;
    out.emit(ready(wal.first_lsn(), wal.next_lsn(), wal.tail_state()));
    let epoch = epoch_of(cfg.run, 0);
    out.emit(Event::Epoch { from: base, epoch });
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
        quiesce: RwLock::new(()),
        cuts: Mutex::new(Vec::new()),
        open_cut: AtomicU64::new(u64::MAX),
        control: Mutex::new(Control {
            cuts: 0,
            epoch,
            users: 0,
        }),
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

/// After a failure, with every thread done: the newest segment holds whole units then
/// zeros (the last one may end where a truncation cut it), its last frame is the last
/// acknowledged one (or where a truncation cut or, failing, was cutting, or gone to a
/// purge), and `next_lsn()` follows it (or the purge floor).
fn residue(sh: &Shared<'_>) -> Option<String> {
    let acked = sh.max_acked.load(Ordering::SeqCst);
    let floor = sh.wal.purged_up_to().0;
    let mut problems = Vec::new();
    let cuts = sh.cuts.lock().unwrap_or_else(|p| p.into_inner()).clone();
    // A failed truncation may have removed segments newest first and left the rest as it
    // was (recovery finishes it): the log then ends anywhere from its keep to the last
    // acknowledged entry.
    let open_cut = sh.open_cut.load(Ordering::SeqCst);
    match scan_tail(&sh.cfg.dir, &cuts) {
        Err(r) => problems.push(r.0),
        Ok(Some(last))
            if last != acked
                && !(open_cut..=acked).contains(&last)
                && !cuts.contains(&last)
                && floor < acked =>
        {
            problems.push(format!(
                "the last frame on disk ends at LSN {last}, but the last acknowledged LSN is {acked} (truncations kept {cuts:?}, floor {floor}, next_lsn() {}, segments {})",
                sh.wal.next_lsn().0,
                sh.wal.segment_count()
            ))
        }
        Ok(_) => {}
    }
    // Before the failed call, `next_lsn()` followed the last acknowledged entry.
    problems.extend(next_lsn_moved(acked.max(floor) + 1, sh.wal.next_lsn().0));
    (!problems.is_empty()).then(|| problems.join(RESIDUE_SEPARATOR))
}

fn worker(sh: &Shared<'_>, thread: u32) {
    let cfg = sh.cfg;
    let kill = cfg.mode == ChildMode::Kill;
    let mut rng = draw::stream(cfg.seed, (cfg.run << 32) ^ (u64::from(thread) + 0x7448));
    let mut seq = 0u64;
    let deadline = Instant::now() + Duration::from_secs(60);
    sh.start.wait();
    for _ in 0..cfg.ops {
        if kill && (Instant::now() > deadline || sh.failed.load(Ordering::SeqCst)) {
            break;
        }
        let roll = rng.below(100);
        let ok = match (thread, roll) {
            (0, 0..62) | (1.., 0..80) => append(sh, thread, &mut seq, 1),
            (0, 62..72) | (1.., 80..92) => {
                let n = between(&mut rng, 2, 4);
                append(sh, thread, &mut seq, n)
            }
            (0, _) => control(sh, &mut rng),
            _ if kill => read_back(sh, &mut rng),
            _ => append(sh, thread, &mut seq, 1),
        };
        if !ok {
            sh.failed.store(true, Ordering::SeqCst);
        }
    }
}

/// Append `count` tagged entries of `thread` (one write), reporting before and after.
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
    let _shared = sh.quiesce.read().unwrap_or_else(|p| p.into_inner());
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
                kind: ErrKind::of(&e),
                msg: e.to_string(),
            });
            false
        }
    }
}

/// Report `r` of operation `op` as `done` (with `detail`) or `fail`; whether it succeeded.
fn report<T>(
    sh: &Shared<'_>,
    op: &str,
    r: Result<T, WalError>,
    detail: impl Fn(&T) -> String,
) -> bool {
    match r {
        Ok(v) => {
            let d = detail(&v);
            sh.out.emit(Event::Done {
                op: if d.is_empty() {
                    op.to_string()
                } else {
                    format!("{op} {d}")
                },
            });
            true
        }
        Err(e) => {
            sh.out.fail(op, &e);
            false
        }
    }
}

/// Thread 0's maintenance and log control; whether it succeeded (or failed as provoked).
fn control(sh: &Shared<'_>, rng: &mut Rng) -> bool {
    match rng.below(100) {
        0..20 => report(sh, "rotate", sh.wal.rotate(), |()| String::new()),
        20..38 => {
            let upto = sh
                .max_acked
                .load(Ordering::SeqCst)
                .saturating_sub(rng.below(sh.cfg.keep + 1));
            sh.out.emit(Event::Checkpoint { upto });
            report(sh, "checkpoint", sh.wal.checkpoint(Lsn(upto)), |n| {
                n.to_string()
            })
        }
        38..55 => truncate(sh, rng),
        55..65 => purge(sh, rng),
        65..75 => set_user(sh, rng),
        75..85 => watch(sh, rng),
        85..93 => {
            let lsn = sh.max_acked.load(Ordering::SeqCst);
            if lsn > 0 && lsn >= sh.wal.first_lsn().0 {
                let r = sh.wal.wait_durable(Lsn(lsn), sh.cfg.wait_timeout());
                durable(sh, lsn, "wait", r.err());
            }
            true
        }
        _ => match sh.wal.sync() {
            Ok(l) => {
                sh.out.emit(Event::Done { op: "sync".into() });
                if l.0 > 0 {
                    durable(sh, l.0, "sync", None);
                }
                true
            }
            Err(e) => {
                sh.out.fail("sync", &e);
                false
            }
        },
    }
}

/// Report that `lsn` is durable (`err` `None`) or why the wait for it ended.
fn durable(sh: &Shared<'_>, lsn: u64, how: &str, err: Option<WalError>) {
    let epoch = sh.control.lock().unwrap_or_else(|p| p.into_inner()).epoch;
    sh.out.emit(Event::Durable {
        lsn,
        epoch,
        how: how.into(),
        outcome: err.map(|e| ErrKind::of(&e)),
    });
}

/// With every append stopped: `truncate_after` inside the newest multi-entry unit on disk
/// (a group commit or a batch), near the end, or anywhere back.
fn truncate(sh: &Shared<'_>, rng: &mut Rng) -> bool {
    let _alone = sh.quiesce.write().unwrap_or_else(|p| p.into_inner());
    let first = sh.wal.first_lsn().0;
    let next = sh.wal.next_lsn().0;
    if next <= first {
        return true;
    }
    let newest_unit = Snapshot::take(&sh.cfg.dir).ok().and_then(|s| {
        s.segments
            .iter()
            .rev()
            .filter_map(|(_, b)| b.as_deref())
            .find_map(|b| {
                unit::units(&unit::frames(b).0)
                    .into_iter()
                    .rev()
                    .find(|u| u.last_lsn > u.first_lsn && u.first_lsn >= first)
            })
    });
    let keep = match (rng.below(100), newest_unit) {
        (0..50, Some(u)) => between(rng, u.first_lsn, u.last_lsn - 1),
        (0..80, _) => (next - 1).saturating_sub(rng.below(4)).max(first - 1),
        _ => between(rng, first - 1, next - 1),
    };
    let in_unit = Snapshot::take(&sh.cfg.dir).is_ok_and(|s| {
        s.segments
            .iter()
            .filter_map(|(_, b)| b.as_deref())
            .any(|b| unit::splits_unit(b, keep + 1))
    });
    let mut c = sh.control.lock().unwrap_or_else(|p| p.into_inner());
    let epoch = epoch_of(sh.cfg.run, c.cuts + 1);
    sh.out.emit(Event::Cut {
        keep,
        epoch,
        in_unit,
    });
    let segments = sh.wal.segment_count();
    match sh.wal.truncate_after(Lsn(keep)) {
        Ok(removed) => {
            c.cuts += 1;
            c.epoch = epoch;
            sh.cuts.lock().unwrap_or_else(|p| p.into_inner()).push(keep);
            let acked = sh.max_acked.load(Ordering::SeqCst);
            sh.max_acked.store(acked.min(keep), Ordering::SeqCst);
            sh.acked
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|(l, _)| *l <= keep);
            sh.out.emit(Event::Done {
                op: format!(
                    "truncate {removed} {}",
                    segments.saturating_sub(sh.wal.segment_count())
                ),
            });
            true
        }
        Err(e) => {
            if !changed_nothing(&ErrKind::of(&e)) {
                sh.cuts.lock().unwrap_or_else(|p| p.into_inner()).push(keep);
                sh.open_cut.store(keep, Ordering::SeqCst);
            }
            sh.out.fail("truncate", &e);
            false
        }
    }
}

/// With every append stopped: `purge_up_to` inside the log, at its end or past it.
fn purge(sh: &Shared<'_>, rng: &mut Rng) -> bool {
    let _alone = sh.quiesce.write().unwrap_or_else(|p| p.into_inner());
    let first = sh.wal.first_lsn().0;
    let next = sh.wal.next_lsn().0;
    let upto = match rng.below(100) {
        0..50 if next > first => between(rng, first, next - 1),
        0..80 => next - 1,
        _ => next - 1 + between(rng, 1, 5),
    };
    sh.out.emit(Event::Purge { upto });
    let r = sh.wal.purge_up_to(Lsn(upto));
    if r.is_ok() {
        sh.acked
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(l, _)| *l > upto);
    }
    report(sh, "purge", r, |n| n.to_string())
}

/// `set_user_data` with a fresh value, or (one time in twenty) one byte over the limit.
fn set_user(sh: &Shared<'_>, rng: &mut Rng) -> bool {
    let key = {
        let mut c = sh.control.lock().unwrap_or_else(|p| p.into_inner());
        c.users += 1;
        (sh.cfg.run << 24) | c.users
    };
    let max = if sh.cfg.mode == ChildMode::Kill {
        MAX_USER_DATA as u64
    } else {
        4096
    };
    let len = if percent(rng, 5) {
        MAX_USER_DATA as u64 + 1
    } else {
        draw::log_uniform(rng, 0, max)
    };
    let covered = sh.max_acked.load(Ordering::SeqCst);
    sh.out.emit(Event::User { key, len });
    match sh
        .wal
        .set_user_data(&user_value(sh.cfg.seed, key, len as usize))
    {
        Ok(()) => {
            sh.out.emit(Event::Done { op: "user".into() });
            if covered > 0 {
                durable(sh, covered, "user", None);
            }
            true
        }
        Err(e) => {
            sh.out.fail("user", &e);
            matches!(e, WalError::EntryTooLarge { .. }) && len > MAX_USER_DATA as u64
        }
    }
}

/// `on_durable` for the newest acknowledged entry; the callback reports its outcome.
fn watch(sh: &Shared<'_>, rng: &mut Rng) -> bool {
    let newest = sh.max_acked.load(Ordering::SeqCst);
    let first = sh.wal.first_lsn().0.max(1);
    if newest < first {
        return true;
    }
    let lsn = between(rng, first.max(newest.saturating_sub(6)), newest);
    let epoch = sh.control.lock().unwrap_or_else(|p| p.into_inner()).epoch;
    sh.out.emit(Event::Watch { lsn, epoch });
    let r = sh.wal.on_durable(Lsn(lsn), move |r| {
        Out::new().emit(Event::Durable {
            lsn,
            epoch,
            how: "callback".into(),
            outcome: r.err().map(|e| ErrKind::of(&e)),
        });
    });
    if let Err(e) = r {
        sh.out.emit(Event::Durable {
            lsn,
            epoch,
            how: "callback".into(),
            outcome: Some(ErrKind::of(&e)),
        });
    }
    true
}

/// Read back an acknowledged entry of any thread and check it is that thread's payload.
fn read_back(sh: &Shared<'_>, rng: &mut Rng) -> bool {
    let _shared = sh.quiesce.read().unwrap_or_else(|p| p.into_inner());
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
        // A concurrent checkpoint deleted it (the read is then out of range).
        Err(WalError::LsnOutOfRange { .. }) => true,
        Err(e) => {
            sh.out.fail("read", &e);
            false
        }
    }
}
