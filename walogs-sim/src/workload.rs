//! Workload operations, their payloads, and running one of them while keeping the
//! [`Model`] of what is acknowledged and what is in flight.

use std::fmt;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use walogs_core::{Durability, Lsn, WalError, WalOptions};

use crate::fs::SimFs;
use crate::harness::frames::{scan, segments};
use crate::model::{Model, Notice};
use walogs_testkit::handle::{DynWal, HandleKind};

/// The directory every harness uses on the simulated device.
pub const WAL_DIR: &str = "/wal";

/// One operation of a short workload. Operations that take an LSN choose it from the log
/// as it is when they run ([`LogView`]), so every workload is valid whatever came before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// A small append (tens of bytes).
    Small,
    /// A multi-sector append (3 KiB: spans at least six 512-byte sectors).
    Big,
    /// An atomic `append_batch` of 3 entries (one unit of member frames).
    Batch,
    /// `rotate`.
    Rotate,
    /// `checkpoint(last acknowledged LSN)`.
    Checkpoint,
    /// Close the handle and open the directory again.
    Reopen,
    /// `sync()` (only in the workloads of relaxed durability policies: under the default
    /// policy it has nothing to do).
    Sync,
    /// `append_many` of 3 small entries (one unit: far below the chunk limit).
    Many,
    /// `truncate_after(next - 2)`: drop the newest entry (inside a unit when the newest
    /// write was a batch or an `append_many`, at a unit boundary otherwise).
    CutLast,
    /// `truncate_after(first)`: keep only the oldest entry (inside a unit, or at a boundary,
    /// often across segments).
    CutOldest,
    /// `purge_up_to(first)`: purge the oldest entry (often inside a unit or a segment).
    PurgeOldest,
    /// `purge_up_to` the last LSN of the oldest completed segment (a segment boundary; the
    /// end of the log when there is only the active segment).
    PurgeSegment,
    /// `purge_up_to(next + 2)`: past the end; the next append gets `next + 3`.
    PurgeEnd,
    /// `set_user_data` of a value of several sectors that names the operation.
    UserData,
    /// `on_durable` and `wait_durable` for the newest entry, then `sync()` (the
    /// notifications must not come before the sync made the entry durable).
    Wait,
}

impl Op {
    /// The operations of the default-policy workloads, in enumeration order.
    pub const ALL: [Op; 6] = [
        Op::Small,
        Op::Big,
        Op::Batch,
        Op::Rotate,
        Op::Checkpoint,
        Op::Reopen,
    ];

    /// The operations of relaxed-policy workloads: [`Op::ALL`] plus [`Op::Sync`].
    pub const WITH_SYNC: [Op; 7] = [
        Op::Small,
        Op::Big,
        Op::Batch,
        Op::Rotate,
        Op::Checkpoint,
        Op::Reopen,
        Op::Sync,
    ];

    /// The log-control workloads: appends of every kind of unit, truncations at unit
    /// boundaries and inside units, purges inside the log, at a segment boundary and past
    /// the end, user data, reopens.
    pub const CONTROL: [Op; 10] = [
        Op::Small,
        Op::Batch,
        Op::Many,
        Op::CutLast,
        Op::CutOldest,
        Op::PurgeOldest,
        Op::PurgeSegment,
        Op::PurgeEnd,
        Op::UserData,
        Op::Reopen,
    ];

    /// The log-control operations under relaxed policies: [`Op::CONTROL`] plus
    /// [`Op::Sync`] and [`Op::Wait`].
    pub const CONTROL_WITH_SYNC: [Op; 12] = [
        Op::Small,
        Op::Batch,
        Op::Many,
        Op::CutLast,
        Op::CutOldest,
        Op::PurgeOldest,
        Op::PurgeSegment,
        Op::PurgeEnd,
        Op::UserData,
        Op::Reopen,
        Op::Sync,
        Op::Wait,
    ];

    /// Every operation (for parsing codes).
    pub const EVERY: [Op; 15] = [
        Op::Small,
        Op::Big,
        Op::Batch,
        Op::Rotate,
        Op::Checkpoint,
        Op::Reopen,
        Op::Sync,
        Op::Many,
        Op::CutLast,
        Op::CutOldest,
        Op::PurgeOldest,
        Op::PurgeSegment,
        Op::PurgeEnd,
        Op::UserData,
        Op::Wait,
    ];

    /// The workload alphabet for a durability policy.
    pub fn alphabet(d: Durability) -> &'static [Op] {
        if d == Durability::EveryAppend {
            &Op::ALL
        } else {
            &Op::WITH_SYNC
        }
    }

    /// The log-control alphabet for a durability policy.
    pub fn control_alphabet(d: Durability) -> &'static [Op] {
        if d == Durability::EveryAppend {
            &Op::CONTROL
        } else {
            &Op::CONTROL_WITH_SYNC
        }
    }

    /// One-letter code used in reproduction lines.
    pub fn code(self) -> char {
        match self {
            Op::Small => 's',
            Op::Big => 'b',
            Op::Batch => 't',
            Op::Rotate => 'r',
            Op::Checkpoint => 'c',
            Op::Reopen => 'o',
            Op::Sync => 'y',
            Op::Many => 'm',
            Op::CutLast => 'x',
            Op::CutOldest => 'z',
            Op::PurgeOldest => 'p',
            Op::PurgeSegment => 'g',
            Op::PurgeEnd => 'e',
            Op::UserData => 'd',
            Op::Wait => 'w',
        }
    }

    /// Parse a workload written as codes, e.g. `"sbtc"`.
    pub fn parse_all(s: &str) -> Option<Vec<Op>> {
        s.chars()
            .map(|c| Op::EVERY.into_iter().find(|o| o.code() == c))
            .collect()
    }
}

/// A workload as its codes.
pub struct Codes<'a>(pub &'a [Op]);

impl fmt::Display for Codes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for op in self.0 {
            write!(f, "{}", op.code())?;
        }
        Ok(())
    }
}

/// Every workload of length `1..=max_len` over [`Op::ALL`], shortest first.
pub fn all_workloads(max_len: usize) -> Vec<Vec<Op>> {
    all_workloads_over(&Op::ALL, max_len)
}

/// Every workload of length `1..=max_len` over `alphabet`, shortest first.
pub fn all_workloads_over(alphabet: &[Op], max_len: usize) -> Vec<Vec<Op>> {
    let mut out: Vec<Vec<Op>> = Vec::new();
    let mut level: Vec<Vec<Op>> = vec![Vec::new()];
    for _ in 0..max_len {
        let mut next = Vec::new();
        for w in &level {
            for &op in alphabet {
                let mut v = w.clone();
                v.push(op);
                next.push(v);
            }
        }
        out.extend(next.iter().cloned());
        level = next;
    }
    out
}

/// The payload of part `part` of operation `op_index`: the test kit's named payload
/// ([`walogs_testkit::payload::named`]), named `op<index>.<part>;`.
pub fn payload(op_index: usize, part: usize, len: usize) -> Vec<u8> {
    let key = ((op_index as u64) << 8) | part as u64;
    walogs_testkit::payload::named(&format!("op{op_index}.{part};"), key ^ 0x5EED, len)
}

/// The entries operation `op` (the `i`-th of its workload) appends.
pub fn entries_of(op: Op, i: usize) -> Vec<Vec<u8>> {
    match op {
        Op::Small => vec![payload(i, 0, 24 + (i * 7) % 40)],
        Op::Big => vec![payload(i, 0, 3 * 1024)],
        Op::Batch => vec![payload(i, 0, 10), payload(i, 1, 700), payload(i, 2, 1)],
        Op::Many => vec![payload(i, 0, 30), payload(i, 1, 60), payload(i, 2, 5)],
        _ => Vec::new(),
    }
}

/// The user data value operation `i` sets: 600 to 1500 bytes (two to four sectors of a
/// slot), naming the operation.
pub fn user_value(i: usize) -> Vec<u8> {
    payload(i, 7, 600 + (i * 293) % 900)
}

/// What an operation sees of the log when it chooses its LSN argument.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogView {
    /// `first_lsn()`.
    pub first: u64,
    /// `next_lsn()`.
    pub next: u64,
    /// The last LSN of the oldest completed segment holding entries above the purge floor,
    /// read from the disk.
    pub oldest_segment_end: Option<u64>,
}

impl LogView {
    /// The view of `wal` on `fs` (nothing when there is no handle).
    pub fn of(wal: Option<&dyn DynWal>, fs: &SimFs) -> LogView {
        let Some(w) = wal else {
            return LogView::default();
        };
        let floor = w.purged_up_to().0;
        let segs = segments(&fs.disk());
        let completed = segs.len().saturating_sub(1);
        let oldest_segment_end = segs
            .values()
            .take(completed)
            .filter_map(|(_, bytes)| scan(bytes).0.last().map(|f| f.lsns().end - 1))
            .find(|&last| last > floor);
        LogView {
            first: w.first_lsn().0,
            next: w.next_lsn().0,
            oldest_segment_end,
        }
    }
}

/// What running one operation did.
#[derive(Debug)]
pub enum OpResult {
    /// It returned `Ok`.
    Ok,
    /// It returned this error.
    Err(WalError),
    /// A reopen could not open the directory: the harness has no handle any more.
    OpenFailed(WalError),
}

/// Everything a driver needs to open the WAL again.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The simulated file system the options point at.
    pub fs: SimFs,
    /// Options (with the simulated file system set).
    pub opts: WalOptions,
    /// Which handle to open.
    pub kind: HandleKind,
    /// The durability policy set in `opts`.
    pub durability: Durability,
}

impl Setup {
    /// Open the WAL directory.
    pub fn open(&self) -> Result<Box<dyn DynWal>, WalError> {
        self.kind.open(&self.opts, Path::new(WAL_DIR))
    }

    /// The same setup with another durability policy.
    pub fn with_durability(mut self, d: Durability) -> Setup {
        self.opts = self.opts.durability(d);
        self.durability = d;
        self
    }

    /// Whether the policy promises that every acknowledged append is durable: the default
    /// policy only (an interval makes an append durable only when the last sync is old
    /// enough, which depends on the clock).
    pub fn append_syncs(&self) -> bool {
        self.durability == Durability::EveryAppend
    }
}

/// The relaxed policies the harnesses run: an interval of 1 ms (a flusher thread syncs
/// about every millisecond, between and during the operations, so these runs do not replay
/// exactly; appends that find the last sync older than 1 ms sync too), an interval no run
/// reaches (only `sync()`, rotation and close sync: deterministic), `Manual` and `None`.
pub const RELAXED: [Durability; 4] = [
    Durability::Interval(Duration::from_millis(1)),
    Durability::Interval(Duration::from_secs(3600)),
    Durability::Manual,
    Durability::None,
];

/// Short name of a policy for figures and reproduction lines (parsed by
/// [`parse_durability`]).
pub fn durability_name(d: Durability) -> String {
    match d {
        Durability::EveryAppend => "every-append".to_string(),
        Durability::Interval(i) => format!("interval-{}ms", i.as_millis()),
        Durability::Manual => "manual".to_string(),
        Durability::None => "none".to_string(),
    }
}

/// Parse [`durability_name`].
pub fn parse_durability(s: &str) -> Option<Durability> {
    match s {
        "every-append" => Some(Durability::EveryAppend),
        "manual" => Some(Durability::Manual),
        "none" => Some(Durability::None),
        _ => {
            let ms = s
                .strip_prefix("interval-")?
                .strip_suffix("ms")?
                .parse()
                .ok()?;
            Some(Durability::Interval(Duration::from_millis(ms)))
        }
    }
}

/// One concrete call on the WAL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `append(data)`.
    Append(Vec<u8>),
    /// `append_batch(entries)` (atomic).
    Batch(Vec<Vec<u8>>),
    /// `append_many(entries)`.
    Many(Vec<Vec<u8>>),
    /// `rotate()`.
    Rotate,
    /// `checkpoint(Lsn(upto))`.
    Checkpoint(u64),
    /// `truncate_after(Lsn(keep))`.
    TruncateAfter(u64),
    /// `purge_up_to(Lsn(upto))`.
    PurgeUpTo(u64),
    /// `set_user_data(value)`.
    SetUserData(Vec<u8>),
    /// `on_durable(Lsn(lsn))` and `wait_durable(Lsn(lsn))`, then `sync()`.
    WaitDurable(u64),
    /// `close()` then open again.
    Reopen,
    /// `sync()`.
    Sync,
}

impl fmt::Display for Action {
    /// The call with payload sizes instead of payloads, e.g. `append 24 B`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sizes = |es: &[Vec<u8>]| es.iter().map(Vec::len).collect::<Vec<_>>();
        match self {
            Action::Append(d) => write!(f, "append {} B", d.len()),
            Action::Batch(es) => write!(f, "append_batch {:?} B", sizes(es)),
            Action::Many(es) => write!(f, "append_many {:?} B", sizes(es)),
            Action::SetUserData(v) => write!(f, "set_user_data {} B", v.len()),
            other => write!(f, "{other:?}"),
        }
    }
}

impl Action {
    /// The call workload operation `op` (index `i`) makes, given what is acknowledged and
    /// the log as it is now.
    pub fn of(op: Op, i: usize, model: &Model, view: &LogView) -> Action {
        let (first, next) = (view.first.max(1), view.next.max(1));
        let empty = next <= first;
        match op {
            Op::Small | Op::Big => Action::Append(entries_of(op, i).remove(0)),
            Op::Batch => Action::Batch(entries_of(op, i)),
            Op::Many => Action::Many(entries_of(op, i)),
            Op::Rotate => Action::Rotate,
            Op::Checkpoint => Action::Checkpoint(model.max_acked),
            Op::Reopen => Action::Reopen,
            Op::Sync => Action::Sync,
            Op::CutLast => Action::TruncateAfter((next.saturating_sub(2)).max(first - 1)),
            Op::CutOldest => Action::TruncateAfter(if empty { next - 1 } else { first }),
            Op::PurgeOldest => Action::PurgeUpTo(if empty { first - 1 } else { first }),
            Op::PurgeSegment => Action::PurgeUpTo(view.oldest_segment_end.unwrap_or(next - 1)),
            Op::PurgeEnd => Action::PurgeUpTo(next + 2),
            Op::UserData => Action::SetUserData(user_value(i)),
            Op::Wait => Action::WaitDurable(next - 1),
        }
    }

    /// Whether the call changes the log (and so must be refused by a poisoned handle).
    pub fn is_mutation(&self) -> bool {
        !matches!(self, Action::Reopen | Action::WaitDurable(_))
    }
}

/// How long a harness waits for a durability notification before calling it lost (a
/// deadlock guard, far beyond any real wait).
pub const NOTIFY_HANG: Duration = Duration::from_secs(60);

/// Intervals up to this long are left to the flusher in [`Action::WaitDurable`] on a
/// single-owner handle (which cannot sync while it is waited on); longer ones sync first.
pub const FLUSHER_WAIT: Duration = Duration::from_millis(100);

/// How long each `sync_data` waits during [`Action::WaitDurable`] before syncing: time for
/// a notification that wrongly does not wait for the sync to arrive first.
pub const NOTIFY_SYNC_DELAY: Duration = Duration::from_millis(2);

/// Run `action` on `wal` (opening it first if it is `None`), updating `model`: appended
/// entries are in flight during the call and acknowledged when it returns `Ok` (durable
/// when the policy syncs every append); a checkpoint, truncation, purge or user data write
/// is in flight likewise. After a successful `sync()`, rotation, reopen (a clean close
/// syncs) or `set_user_data` everything acknowledged is durable, and after every successful
/// call whatever the handle's `durable_lsn()` promises is; durability notifications are
/// kept as [`Notice`]s. `during`, when given, receives the model as it stands while the call
/// runs (what a crash in the middle must satisfy, before notices).
pub fn run_action(
    wal: &mut Option<Box<dyn DynWal>>,
    setup: &Setup,
    model: &mut Model,
    action: &Action,
    during: Option<&mut Model>,
) -> OpResult {
    if wal.is_none() {
        match setup.open() {
            Ok(new) => *wal = Some(new),
            Err(e) => return OpResult::OpenFailed(e),
        }
    }
    let w = wal.as_deref_mut().expect("opened above");
    let first = w.next_lsn().0;
    let before = (
        model.inflight.clone(),
        model.truncating,
        model.recut,
        model.purging,
        model.user_inflight.clone(),
    );
    match action {
        Action::Append(d) => model.inflight = Some((first, vec![d.clone()])),
        Action::Batch(es) | Action::Many(es) => model.inflight = Some((first, es.clone())),
        Action::Checkpoint(upto) => model.ckpt = model.ckpt.max(*upto),
        Action::TruncateAfter(keep) => {
            model.truncating = Some(*keep);
            model.recut = model.cuts_a_cut_unit(*keep);
        }
        Action::PurgeUpTo(upto) if *upto > model.floor => model.purging = Some(*upto),
        Action::SetUserData(v) => model.user_inflight = Some(v.clone()),
        Action::PurgeUpTo(_)
        | Action::WaitDurable(_)
        | Action::Rotate
        | Action::Reopen
        | Action::Sync => {}
    }
    if let Some(d) = during {
        *d = model.clone();
    }
    let r: Result<(), WalError> = match action {
        Action::Append(d) => w.append(d).and_then(|lsn| check_lsn(lsn.0, first)),
        Action::Batch(es) => w.append_batch(es).and_then(|r| check_lsn(r.first.0, first)),
        Action::Many(es) => w.append_many(es).and_then(|r| check_lsn(r.first.0, first)),
        Action::Rotate => w.rotate(),
        Action::Checkpoint(upto) => w.checkpoint(Lsn(*upto)).map(drop),
        Action::TruncateAfter(keep) => w.truncate_after(Lsn(*keep)).map(drop),
        Action::PurgeUpTo(upto) => w.purge_up_to(Lsn(*upto)).map(drop),
        Action::SetUserData(v) => w.set_user_data(v),
        Action::WaitDurable(lsn) => wait_durable(w, setup, *lsn, model),
        Action::Sync => w.sync().and_then(|l| check_synced(l.0, first - 1)),
        Action::Reopen => {
            let closed = wal.take().map_or(Ok(()), |w| w.close());
            match setup.open() {
                Ok(new) => {
                    *wal = Some(new);
                    closed
                }
                Err(e) => return OpResult::OpenFailed(e),
            }
        }
    };
    match r {
        Ok(()) => {
            let durable = setup.append_syncs();
            match action {
                Action::Append(d) => model.ack_as(first, std::slice::from_ref(d), durable),
                Action::Batch(es) | Action::Many(es) => model.ack_as(first, es, durable),
                Action::TruncateAfter(keep) => model.truncated(*keep),
                Action::PurgeUpTo(upto) => model.purged(*upto),
                Action::SetUserData(v) => model.user_set(v.clone()),
                Action::Sync | Action::Rotate | Action::Reopen => model.synced(model.max_acked),
                Action::WaitDurable(lsn) => model.synced(*lsn),
                Action::Checkpoint(_) => {}
            }
            if let Some(w) = wal.as_ref() {
                model.synced(w.durable_lsn().0);
            }
            OpResult::Ok
        }
        Err(e) => {
            // Refused before anything changed: whatever was in flight before still is.
            let refused = matches!(
                e,
                WalError::InvalidArgument { .. }
                    | WalError::LsnOutOfRange { .. }
                    | WalError::EntryTooLarge { .. }
                    | WalError::Poisoned { .. }
                    | WalError::Closed
                    | WalError::ReadOnly
            );
            if refused {
                (
                    model.inflight,
                    model.truncating,
                    model.recut,
                    model.purging,
                    model.user_inflight,
                ) = before;
            }
            OpResult::Err(e)
        }
    }
}

/// [`Action::WaitDurable`]: register a callback and a waiter for `lsn`, sync, and collect
/// both notifications with the simulator's call counter when each arrived. Every
/// `sync_data` meanwhile waits [`NOTIFY_SYNC_DELAY`] first. A single-owner handle cannot be
/// waited on while it syncs: it syncs first (under a short `Interval`, its flusher does) and
/// then waits.
fn wait_durable(
    w: &mut dyn DynWal,
    setup: &Setup,
    lsn: u64,
    model: &mut Model,
) -> Result<(), WalError> {
    let fs = &setup.fs;
    let payload = model.entries.get(&lsn).cloned().unwrap_or_default();
    let (tx, rx) = mpsc::channel();
    let cb_fs = fs.clone();
    w.on_durable(
        Lsn(lsn),
        Box::new(move |r| {
            let _ = tx.send((cb_fs.counts().mutating(), r));
        }),
    )?;
    fs.set_sync_delay(Some(NOTIFY_SYNC_DELAY));
    let waited_at = |r: Result<(), WalError>| (fs.counts().mutating(), r);
    let (synced, waited) = match w.as_shared() {
        Some(s) => std::thread::scope(|sc| {
            let waiter = sc.spawn(|| waited_at(s.wait_durable(Lsn(lsn), Some(NOTIFY_HANG))));
            let synced = s.sync().map(drop);
            (synced, waiter.join().expect("the waiter thread panicked"))
        }),
        None => {
            let synced = match setup.durability {
                Durability::Interval(d) if d <= FLUSHER_WAIT => Ok(()),
                _ => w.sync().map(drop),
            };
            (
                synced,
                waited_at(w.wait_durable(Lsn(lsn), Some(NOTIFY_HANG))),
            )
        }
    };
    let called = rx.recv_timeout(NOTIFY_HANG);
    fs.set_sync_delay(None);
    synced?;
    let mut notice = |(counter, r): (u64, Result<(), WalError>)| {
        r.map(|()| {
            model.notices.push(Notice {
                counter,
                lsn,
                payload: payload.clone(),
            })
        })
    };
    notice(waited)?;
    match called {
        Ok(c) => notice(c),
        Err(_) => Err(WalError::InvalidArgument {
            reason: format!(
                "harness: the on_durable callback for LSN {lsn} did not run within {NOTIFY_HANG:?}"
            ),
        }),
    }
}

fn check_synced(got: u64, appended: u64) -> Result<(), WalError> {
    if got == appended {
        Ok(())
    } else {
        Err(WalError::InvalidArgument {
            reason: format!(
                "harness: sync() returned durable LSN {got}, but LSN {appended} was appended"
            ),
        })
    }
}

fn check_lsn(got: u64, expected: u64) -> Result<(), WalError> {
    if got == expected {
        Ok(())
    } else {
        Err(WalError::InvalidArgument {
            reason: format!("harness: append returned LSN {got}, next_lsn() said {expected}"),
        })
    }
}
