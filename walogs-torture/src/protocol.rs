//! The line protocol from a child process to its parent: one event per line on stdout,
//! flushed as soon as it is written, so that whatever the parent reads after a `SIGKILL` is
//! exactly what the child had reported.
//!
//! The child prints `try` before it calls an append and `ok` only after the append returned
//! `Ok`; `ckpt` is printed before `checkpoint` is called (entries up to it may vanish from
//! then on). Threads of a concurrent child print `tried`, `acked` and `refused` instead,
//! naming the thread and its entry numbers (their LSNs are known only once the append
//! returned). After a failed call, a child prints `residue` with what the call left on disk.
//!
//! Log control is announced the same way, before the call: `cut` (a `truncate_after`, with
//! the payload epoch the child uses after it), `purge` (`purge_up_to`), `user` (a
//! `set_user_data`, naming the value); its result follows as `done` or `fail`. `watch`
//! precedes an `on_durable`; `durable` reports, exactly once per watch, the callback's
//! outcome, and also what `wait_durable`, `sync` and `set_user_data` proved durable.

use std::fmt;

use walogs_core::WalError;

/// Separates the problems of one [`Event::Residue`] line (each becomes its own violation).
pub const RESIDUE_SEPARATOR: &str = " | ";

/// What kind of error an operation returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrKind {
    /// `WalError::Io`, with the OS error number when there is one.
    Io(Option<i32>),
    /// `WalError::Poisoned`.
    Poisoned,
    /// `WalError::Corrupt`.
    Corrupt,
    /// Any other variant, by name.
    Other(String),
}

impl ErrKind {
    /// Classify a walogs error.
    pub fn of(e: &WalError) -> Self {
        match e {
            WalError::Io(_) => ErrKind::Io(e.errno()),
            WalError::Poisoned { .. } => ErrKind::Poisoned,
            WalError::Corrupt { .. } => ErrKind::Corrupt,
            other => {
                let dbg = format!("{other:?}");
                let name: String = dbg.chars().take_while(|c| c.is_alphanumeric()).collect();
                ErrKind::Other(name)
            }
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "poisoned" => ErrKind::Poisoned,
            "corrupt" => ErrKind::Corrupt,
            "io:-" => ErrKind::Io(None),
            _ => {
                if let Some(n) = s.strip_prefix("io:") {
                    ErrKind::Io(Some(n.parse().ok()?))
                } else {
                    ErrKind::Other(s.strip_prefix("other:")?.to_string())
                }
            }
        })
    }
}

impl fmt::Display for ErrKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrKind::Io(Some(n)) => write!(f, "io:{n}"),
            ErrKind::Io(None) => write!(f, "io:-"),
            ErrKind::Poisoned => write!(f, "poisoned"),
            ErrKind::Corrupt => write!(f, "corrupt"),
            ErrKind::Other(n) => write!(f, "other:{n}"),
        }
    }
}

/// One line of the protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The WAL opened: its first and next LSN, and the torn-tail offset open cut, if any.
    Ready {
        /// `first_lsn()` after open.
        first: u64,
        /// `next_lsn()` after open.
        next: u64,
        /// `TailState::TruncatedAt` offset, if the open cut a torn tail.
        torn_at: Option<u64>,
    },
    /// About to append `count` entries (one frame) starting at `first`.
    Try {
        /// LSN the first entry will get.
        first: u64,
        /// Entries in the frame (1 for a single append).
        count: u64,
    },
    /// The append of `first..=last` returned `Ok`: durable.
    Ok {
        /// First LSN of the frame.
        first: u64,
        /// Last LSN of the frame.
        last: u64,
    },
    /// About to call `checkpoint(upto)`.
    Checkpoint {
        /// The `applied_up_to` argument.
        upto: u64,
    },
    /// An operation other than an append succeeded (`rotate`, `checkpoint`, `close`, `read`).
    Done {
        /// Operation name.
        op: String,
    },
    /// An operation failed.
    Fail {
        /// Operation name (`open`, `append`, `batch`, `rotate`, `checkpoint`, `close`, ...).
        op: String,
        /// Error kind.
        kind: ErrKind,
        /// The error's text.
        msg: String,
    },
    /// Whether the handle reports itself poisoned (printed at the end of a scripted run).
    State {
        /// `Wal::is_poisoned()`.
        poisoned: bool,
    },
    /// A read returned bytes that are not the payload of this LSN.
    Bad {
        /// The LSN read.
        lsn: u64,
    },
    /// Thread `thread` is about to append its entries `seq..seq + count` (one frame).
    Tried {
        /// The thread.
        thread: u32,
        /// Its first entry number.
        seq: u64,
        /// Entries (1 for a single append, more for an atomic batch).
        count: u64,
    },
    /// That append returned `Ok`: the entries got LSNs `first..first + count`.
    Acked {
        /// The thread.
        thread: u32,
        /// Its first entry number.
        seq: u64,
        /// Entries.
        count: u64,
        /// LSN of the first entry.
        first: u64,
    },
    /// That append returned an error.
    Refused {
        /// The thread.
        thread: u32,
        /// Its first entry number.
        seq: u64,
        /// Entries.
        count: u64,
        /// Error kind.
        kind: ErrKind,
        /// The error's text.
        msg: String,
    },
    /// What the last failed call left on disk (checked before any reopen): `None` when
    /// nothing, else what (several problems separated by [`RESIDUE_SEPARATOR`]).
    Residue {
        /// What was left behind, if anything.
        problem: Option<String>,
    },
    /// The child's payloads from LSN `from` on are of `epoch` (printed after `ready`).
    Epoch {
        /// First LSN the child appends.
        from: u64,
        /// The payload epoch of its appends.
        epoch: u64,
    },
    /// About to call `truncate_after(keep)`; if it succeeds, the appends after it use
    /// `epoch`.
    Cut {
        /// The `keep_up_to` argument.
        keep: u64,
        /// The payload epoch from then on.
        epoch: u64,
        /// Whether the cut splits a multi-entry unit (a batch, an `append_many` chunk, a
        /// group commit), as the child saw the segment before the call.
        in_unit: bool,
    },
    /// About to call `purge_up_to(upto)`.
    Purge {
        /// The `up_to` argument.
        upto: u64,
    },
    /// About to call `set_user_data` with value number `key` of `len` bytes
    /// ([`crate::payload::user_value`]).
    User {
        /// Which value.
        key: u64,
        /// Its length.
        len: u64,
    },
    /// About to call `on_durable(lsn)`; the entry at `lsn` is of `epoch`.
    Watch {
        /// The LSN watched.
        lsn: u64,
        /// The payload epoch (or cut generation) when it was registered.
        epoch: u64,
    },
    /// Entry `lsn` (of `epoch`) is durable (`outcome` `None`), or the wait for it ended with
    /// an error. `how`: `callback` (an `on_durable` callback ran), `wait`
    /// (`wait_durable` returned), `sync` (`sync()` returned it), `user` (`set_user_data`
    /// returned: everything appended before it is durable).
    Durable {
        /// The LSN.
        lsn: u64,
        /// The payload epoch (or cut generation) of the entry the child meant.
        epoch: u64,
        /// What proved it.
        how: String,
        /// `None`: durable; else the error kind.
        outcome: Option<ErrKind>,
    },
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Ready {
                first,
                next,
                torn_at,
            } => match torn_at {
                Some(o) => write!(f, "ready {first} {next} cut:{o}"),
                None => write!(f, "ready {first} {next} clean"),
            },
            Event::Try { first, count } => write!(f, "try {first} {count}"),
            Event::Ok { first, last } => write!(f, "ok {first} {last}"),
            Event::Checkpoint { upto } => write!(f, "ckpt {upto}"),
            Event::Done { op } => write!(f, "done {op}"),
            Event::Fail { op, kind, msg } => {
                write!(f, "fail {op} {kind} {}", msg.replace('\n', " "))
            }
            Event::State { poisoned } => write!(f, "state {}", u8::from(*poisoned)),
            Event::Bad { lsn } => write!(f, "bad {lsn}"),
            Event::Tried { thread, seq, count } => write!(f, "tried {thread} {seq} {count}"),
            Event::Acked {
                thread,
                seq,
                count,
                first,
            } => write!(f, "acked {thread} {seq} {count} {first}"),
            Event::Refused {
                thread,
                seq,
                count,
                kind,
                msg,
            } => write!(
                f,
                "refused {thread} {seq} {count} {kind} {}",
                msg.replace('\n', " ")
            ),
            Event::Residue { problem: None } => write!(f, "residue ok"),
            Event::Residue { problem: Some(p) } => {
                write!(f, "residue bad {}", p.replace('\n', " "))
            }
            Event::Epoch { from, epoch } => write!(f, "epoch {epoch} from {from}"),
            Event::Cut {
                keep,
                epoch,
                in_unit,
            } => write!(
                f,
                "cut {keep} {epoch} {}",
                if *in_unit { "unit" } else { "frame" }
            ),
            Event::Purge { upto } => write!(f, "purge {upto}"),
            Event::User { key, len } => write!(f, "user {key} {len}"),
            Event::Watch { lsn, epoch } => write!(f, "watch {lsn} {epoch}"),
            Event::Durable {
                lsn,
                epoch,
                how,
                outcome,
            } => match outcome {
                None => write!(f, "durable {lsn} {epoch} {how} ok"),
                Some(k) => write!(f, "durable {lsn} {epoch} {how} {k}"),
            },
        }
    }
}

impl Event {
    /// Parse one line; `None` for anything malformed (a line cut by a kill cannot happen,
    /// since each line is one `write`, but the parent never trusts that).
    pub fn parse(line: &str) -> Option<Event> {
        let mut it = line.splitn(4, ' ');
        let tag = it.next()?;
        let mut num = || -> Option<u64> { it.next()?.parse().ok() };
        Some(match tag {
            "ready" => {
                let first = num()?;
                let next = num()?;
                let tail = line.rsplit(' ').next()?;
                let torn_at = match tail {
                    "clean" => None,
                    t => Some(t.strip_prefix("cut:")?.parse().ok()?),
                };
                Event::Ready {
                    first,
                    next,
                    torn_at,
                }
            }
            "try" => Event::Try {
                first: num()?,
                count: num()?,
            },
            "ok" => Event::Ok {
                first: num()?,
                last: num()?,
            },
            "ckpt" => Event::Checkpoint { upto: num()? },
            "done" => Event::Done {
                op: line.strip_prefix("done ")?.to_string(),
            },
            "fail" => {
                let mut p = line.splitn(4, ' ').skip(1);
                let op = p.next()?.to_string();
                let kind = ErrKind::parse(p.next()?)?;
                let msg = p.next().unwrap_or("").to_string();
                Event::Fail { op, kind, msg }
            }
            "state" => Event::State {
                poisoned: num()? != 0,
            },
            "bad" => Event::Bad { lsn: num()? },
            "tried" => Event::Tried {
                thread: u32::try_from(num()?).ok()?,
                seq: num()?,
                count: num()?,
            },
            "acked" => {
                let mut p = line.split(' ').skip(1);
                let mut n = || -> Option<u64> { p.next()?.parse().ok() };
                let ev = Event::Acked {
                    thread: u32::try_from(n()?).ok()?,
                    seq: n()?,
                    count: n()?,
                    first: n()?,
                };
                if p.next().is_some() {
                    return None;
                }
                ev
            }
            "refused" => {
                let mut p = line.splitn(6, ' ').skip(1);
                let thread = u32::try_from(p.next()?.parse::<u64>().ok()?).ok()?;
                let seq = p.next()?.parse().ok()?;
                let count = p.next()?.parse().ok()?;
                let kind = ErrKind::parse(p.next()?)?;
                let msg = p.next().unwrap_or("").to_string();
                Event::Refused {
                    thread,
                    seq,
                    count,
                    kind,
                    msg,
                }
            }
            "epoch" => {
                let mut p = line.split(' ').skip(1);
                let epoch = p.next()?.parse().ok()?;
                if p.next()? != "from" {
                    return None;
                }
                Event::Epoch {
                    epoch,
                    from: p.next()?.parse().ok()?,
                }
            }
            "cut" => {
                let mut p = line.split(' ').skip(1);
                Event::Cut {
                    keep: p.next()?.parse().ok()?,
                    epoch: p.next()?.parse().ok()?,
                    in_unit: match p.next()? {
                        "unit" => true,
                        "frame" => false,
                        _ => return None,
                    },
                }
            }
            "purge" => Event::Purge { upto: num()? },
            "user" => Event::User {
                key: num()?,
                len: num()?,
            },
            "watch" => Event::Watch {
                lsn: num()?,
                epoch: num()?,
            },
            "durable" => {
                let mut p = line.split(' ').skip(1);
                let lsn = p.next()?.parse().ok()?;
                let epoch = p.next()?.parse().ok()?;
                let how = p.next()?.to_string();
                let outcome = match p.next()? {
                    "ok" => None,
                    k => Some(ErrKind::parse(k)?),
                };
                Event::Durable {
                    lsn,
                    epoch,
                    how,
                    outcome,
                }
            }
            "residue" => match line.strip_prefix("residue ")? {
                "ok" => Event::Residue { problem: None },
                rest => Event::Residue {
                    problem: Some(rest.strip_prefix("bad ")?.to_string()),
                },
            },
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_roundtrips() {
        let evs = [
            Event::Ready {
                first: 3,
                next: 9,
                torn_at: Some(77),
            },
            Event::Ready {
                first: 1,
                next: 1,
                torn_at: None,
            },
            Event::Try { first: 4, count: 3 },
            Event::Ok { first: 4, last: 6 },
            Event::Checkpoint { upto: 2 },
            Event::Done {
                op: "checkpoint 2".into(),
            },
            Event::Fail {
                op: "append".into(),
                kind: ErrKind::Io(Some(5)),
                msg: "io error: Input/output error (os error 5)".into(),
            },
            Event::Fail {
                op: "rotate".into(),
                kind: ErrKind::Other("Closed".into()),
                msg: String::new(),
            },
            Event::Fail {
                op: "open".into(),
                kind: ErrKind::Poisoned,
                msg: "x".into(),
            },
            Event::State { poisoned: true },
            Event::Bad { lsn: 12 },
            Event::Tried {
                thread: 3,
                seq: 10,
                count: 2,
            },
            Event::Acked {
                thread: 3,
                seq: 10,
                count: 2,
                first: 41,
            },
            Event::Refused {
                thread: 0,
                seq: 1,
                count: 1,
                kind: ErrKind::Poisoned,
                msg: "poisoned: a group commit failed".into(),
            },
            Event::Residue { problem: None },
            Event::Residue {
                problem: Some("wal-000002.log changed".into()),
            },
            Event::Epoch { from: 9, epoch: 3 },
            Event::Cut {
                keep: 7,
                epoch: 4,
                in_unit: true,
            },
            Event::Cut {
                keep: 0,
                epoch: 5,
                in_unit: false,
            },
            Event::Purge { upto: 12 },
            Event::User { key: 3, len: 65536 },
            Event::Watch { lsn: 4, epoch: 2 },
            Event::Durable {
                lsn: 4,
                epoch: 2,
                how: "callback".into(),
                outcome: None,
            },
            Event::Durable {
                lsn: 5,
                epoch: 2,
                how: "wait".into(),
                outcome: Some(ErrKind::Other("Timeout".into())),
            },
        ];
        for e in evs {
            let line = e.to_string();
            assert_eq!(Event::parse(&line).as_ref(), Some(&e), "{line}");
        }
        assert_eq!(Event::parse("ok 1"), None);
        assert_eq!(Event::parse("acked 1 2 3"), None);
        assert_eq!(Event::parse("residue maybe"), None);
        assert_eq!(Event::parse("nonsense"), None);
    }
}
