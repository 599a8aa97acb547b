//! Workload operations, their payloads, and running one of them while keeping the
//! [`Model`] of what is acknowledged and what is in flight.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use walogs_core::{Durability, Lsn, WalError, WalOptions};

use crate::handle::{AnyWal, HandleKind};
use crate::model::Model;

/// The directory every harness uses on the simulated device.
pub const WAL_DIR: &str = "/wal";

/// One operation of a short workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// A small append (tens of bytes).
    Small,
    /// A multi-sector append (3 KiB: spans at least six 512-byte sectors).
    Big,
    /// An atomic `append_batch` of 3 entries.
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

    /// The workload alphabet for a durability policy.
    pub fn alphabet(d: Durability) -> &'static [Op] {
        if d == Durability::EveryAppend {
            &Op::ALL
        } else {
            &Op::WITH_SYNC
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
        }
    }

    /// Parse a workload written as codes, e.g. `"sbtc"`.
    pub fn parse_all(s: &str) -> Option<Vec<Op>> {
        s.chars()
            .map(|c| Op::WITH_SYNC.into_iter().find(|o| o.code() == c))
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

/// A payload that names its operation index and is different at every byte position, so a
/// misplaced or stale byte never matches by accident.
pub fn payload(op_index: usize, part: usize, len: usize) -> Vec<u8> {
    let seed = ((op_index as u64) << 8) | part as u64;
    let mut r = crate::rng::Rng::new(seed ^ 0x5EED);
    let mut v = r.bytes(len);
    let tag = format!("op{op_index}.{part};");
    let n = tag.len().min(len);
    v[..n].copy_from_slice(&tag.as_bytes()[..n]);
    v
}

/// The entries operation `op` (the `i`-th of its workload) appends.
pub fn entries_of(op: Op, i: usize) -> Vec<Vec<u8>> {
    match op {
        Op::Small => vec![payload(i, 0, 24 + (i * 7) % 40)],
        Op::Big => vec![payload(i, 0, 3 * 1024)],
        Op::Batch => vec![payload(i, 0, 10), payload(i, 1, 700), payload(i, 2, 1)],
        _ => Vec::new(),
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
    /// Options (with the simulated file system set).
    pub opts: WalOptions,
    /// Which handle to open.
    pub kind: HandleKind,
    /// The durability policy set in `opts`.
    pub durability: Durability,
}

impl Setup {
    /// Open the WAL directory.
    pub fn open(&self) -> Result<AnyWal, WalError> {
        AnyWal::open(self.kind, &self.opts, Path::new(WAL_DIR))
    }

    /// The same setup with another durability policy.
    pub fn with_durability(mut self, d: Durability) -> Setup {
        self.opts = self.opts.durability(d);
        self.durability = d;
        self
    }

    /// Whether the policy promises that every acknowledged append is durable: the default
    /// policy, and an interval of zero (every append finds the last sync old enough).
    pub fn append_syncs(&self) -> bool {
        match self.durability {
            Durability::EveryAppend => true,
            Durability::Interval(d) => d.is_zero(),
            Durability::Manual | Durability::None => false,
        }
    }
}

/// The relaxed policies the harnesses run, deterministic ones only: an interval of zero
/// (every append syncs, but the directory is marked relaxed, so recovery is lenient), an
/// interval no run reaches (only `sync()`, rotation and close sync), `Manual` and `None`.
pub const RELAXED: [Durability; 4] = [
    Durability::Interval(Duration::ZERO),
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
    /// `rotate()`.
    Rotate,
    /// `checkpoint(Lsn(upto))`.
    Checkpoint(u64),
    /// `truncate_after(Lsn(keep))`.
    TruncateAfter(u64),
    /// `close()` then open again.
    Reopen,
    /// `sync()`.
    Sync,
}

impl fmt::Display for Action {
    /// The call with payload sizes instead of payloads, e.g. `append 24 B`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Append(d) => write!(f, "append {} B", d.len()),
            Action::Batch(es) => write!(
                f,
                "append_batch {:?} B",
                es.iter().map(Vec::len).collect::<Vec<_>>()
            ),
            other => write!(f, "{other:?}"),
        }
    }
}

impl Action {
    /// The call workload operation `op` (index `i`) makes, given what is acknowledged.
    pub fn of(op: Op, i: usize, model: &Model) -> Action {
        match op {
            Op::Small | Op::Big => Action::Append(entries_of(op, i).remove(0)),
            Op::Batch => Action::Batch(entries_of(op, i)),
            Op::Rotate => Action::Rotate,
            Op::Checkpoint => Action::Checkpoint(model.max_acked),
            Op::Reopen => Action::Reopen,
            Op::Sync => Action::Sync,
        }
    }

    /// Whether the call changes the log (and so must be refused by a poisoned handle).
    pub fn is_mutation(&self) -> bool {
        !matches!(self, Action::Reopen)
    }
}

/// Run `action` on `wal` (opening it first if it is `None`), updating `model`: appended
/// entries are in flight during the call and acknowledged when it returns `Ok` (durable
/// when the policy syncs every append); a checkpoint or truncation is in flight likewise.
/// After a successful `sync()`, rotation or reopen (a clean close syncs) everything
/// acknowledged is durable, and after every successful call whatever the handle's
/// `durable_lsn()` promises is. `during`, when given, receives the model as it stands while
/// the call runs (what a crash in the middle must satisfy).
pub fn run_action(
    wal: &mut Option<AnyWal>,
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
    let w = wal.as_mut().expect("opened above");
    let first = w.next_lsn().0;
    match action {
        Action::Append(d) => model.inflight = Some((first, vec![d.clone()])),
        Action::Batch(es) => model.inflight = Some((first, es.clone())),
        Action::Checkpoint(upto) => model.ckpt = model.ckpt.max(*upto),
        Action::TruncateAfter(keep) => model.truncating = Some(*keep),
        Action::Rotate | Action::Reopen | Action::Sync => {}
    }
    if let Some(d) = during {
        *d = model.clone();
    }
    let r: Result<(), WalError> = match action {
        Action::Append(d) => w.append(d).and_then(|lsn| check_lsn(lsn.0, first)),
        Action::Batch(es) => w.append_batch(es).and_then(|r| check_lsn(r.first.0, first)),
        Action::Rotate => w.rotate(),
        Action::Checkpoint(upto) => w.checkpoint(Lsn(*upto)).map(drop),
        Action::TruncateAfter(keep) => w.truncate_after(Lsn(*keep)).map(drop),
        Action::Sync => w.sync().and_then(|l| check_synced(l.0, first - 1)),
        Action::Reopen => {
            let closed = wal.take().map_or(Ok(()), AnyWal::close);
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
                Action::Batch(es) => model.ack_as(first, es, durable),
                Action::TruncateAfter(keep) => model.truncated(*keep),
                Action::Sync | Action::Rotate | Action::Reopen => model.synced(model.max_acked),
                Action::Checkpoint(_) => {}
            }
            if let Some(w) = wal.as_ref() {
                model.synced(w.durable_lsn().0);
            }
            OpResult::Ok
        }
        Err(e) => {
            if matches!(action, Action::TruncateAfter(_))
                && matches!(
                    e,
                    WalError::InvalidArgument { .. } | WalError::LsnOutOfRange { .. }
                )
            {
                // Refused before anything changed.
                model.truncating = None;
            }
            OpResult::Err(e)
        }
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
