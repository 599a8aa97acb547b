//! The oracle of durability notifications (`on_durable`, `wait_durable`, and what `sync`
//! and `set_user_data` prove durable), shared by the single-threaded and the concurrent
//! ledgers.
//!
//! Rules: an `on_durable` callback runs exactly once per registration (`watch` line); a
//! report of durability raises the durable mark unless a truncation announced after the
//! report's epoch began removed the entry (the report may race the cut); a wait or callback
//! may fail with `LsnOutOfRange` only for an entry such a truncation removed, with
//! `Timeout` only for a wait with a time limit, and with the error that poisoned or closed
//! the handle only when failures were injected.

use std::collections::HashMap;

use crate::ledger::Violation;
use crate::protocol::{ErrKind, Event};

/// After a child closed its handle (its `events` end with `close` done or failed), every
/// `on_durable` callback must have run: `open` registrations without a report are a
/// violation (naming whether the handle had been poisoned).
pub fn unrun_callbacks(events: &[Event], open: u64) -> Option<Violation> {
    let closed = events.iter().any(|e| match e {
        Event::Done { op } | Event::Fail { op, .. } => op == "close",
        _ => false,
    });
    let poisoned = events
        .iter()
        .any(|e| matches!(e, Event::State { poisoned: true }));
    (closed && open > 0).then(|| {
        Violation::Notification(format!(
            "{open} on_durable callbacks never ran, though the handle was closed{}",
            if poisoned {
                " (after the handle was poisoned)"
            } else {
                ""
            }
        ))
    })
}

/// What the child was told about durability.
#[derive(Debug, Clone, Default)]
pub struct Notifications {
    /// Highest LSN reported durable (and not truncated away since).
    pub durable: u64,
    /// Failures were injected: waits may end with the error that poisoned the handle.
    pub faults: bool,
    /// Truncations announced in this child: `(epoch after it, kept up to)`.
    cuts: Vec<(u64, u64)>,
    /// Registrations not yet reported: `(lsn, epoch)` → count.
    watches: HashMap<(u64, u64), u64>,
    /// Durability reports taken into account.
    pub reports: u64,
    /// Callbacks run (with any outcome).
    pub callbacks: u64,
    /// Waits and callbacks that ended with an error, by kind (`LsnOutOfRange` after a
    /// truncation, `Timeout`, ...).
    pub errors: u64,
}

impl Notifications {
    /// Nothing reported yet; entries up to `durable` are durable already.
    pub fn starting_at(durable: u64) -> Notifications {
        Notifications {
            durable,
            ..Notifications::default()
        }
    }

    /// A truncation to `keep` starting `epoch` was announced.
    pub fn cut_announced(&mut self, epoch: u64, keep: u64) {
        self.cuts.push((epoch, keep));
    }

    /// That truncation is done: nothing above `keep` is durable any more.
    pub fn cut_done(&mut self, keep: u64) {
        self.durable = self.durable.min(keep);
    }

    /// An `on_durable` registration.
    pub fn watch(&mut self, lsn: u64, epoch: u64) {
        *self.watches.entry((lsn, epoch)).or_default() += 1;
    }

    /// Registrations not reported yet.
    pub fn open_watches(&self) -> u64 {
        self.watches.values().sum()
    }

    /// A new child: its registrations and truncations are its own.
    pub fn next_child(&mut self, last: u64) {
        self.durable = self.durable.min(last);
        self.cuts.clear();
        self.watches.clear();
    }

    /// Whether a truncation announced after `epoch` began removed `lsn`.
    fn cut_since(&self, epoch: u64, lsn: u64) -> bool {
        self.cuts.iter().any(|&(e, keep)| e > epoch && keep < lsn)
    }

    /// A `durable` line: entry `lsn` (of `epoch`) durable (`outcome` `None`) or not, as
    /// `how` found it; `last` is the log's last acknowledged LSN now.
    pub fn report(
        &mut self,
        lsn: u64,
        epoch: u64,
        how: &str,
        outcome: Option<&ErrKind>,
        last: u64,
    ) -> Option<Violation> {
        if how == "callback" {
            self.callbacks += 1;
            match self.watches.get_mut(&(lsn, epoch)) {
                Some(n) if *n > 0 => *n -= 1,
                _ => {
                    return Some(Violation::Notification(format!(
                        "a callback for LSN {lsn} ran without a registration left (twice?)"
                    )));
                }
            }
        }
        let Some(kind) = outcome else {
            if !self.cut_since(epoch, lsn) && lsn <= last {
                self.durable = self.durable.max(lsn);
                self.reports += 1;
            }
            return None;
        };
        self.errors += 1;
        let name = match kind {
            ErrKind::Other(n) => n.as_str(),
            _ => "",
        };
        match (kind, name) {
            (_, "LsnOutOfRange") if self.cut_since(epoch, lsn) => None,
            (_, "Timeout") if how == "wait" => None,
            (ErrKind::Poisoned | ErrKind::Io(_), _) | (_, "Closed") if self.faults => None,
            _ => Some(Violation::Notification(format!(
                "the {how} for LSN {lsn} ended with {kind}{}",
                if name == "LsnOutOfRange" {
                    ", but nothing truncated it"
                } else {
                    " though nothing failed"
                }
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_hold_unless_cut_and_callbacks_run_once() {
        let mut n = Notifications::default();
        n.watch(3, 10);
        assert!(n.report(3, 10, "callback", None, 4).is_none());
        assert!(n.report(3, 10, "callback", None, 4).is_some());
        assert_eq!(n.durable, 3);
        let oor = ErrKind::Other("LsnOutOfRange".into());
        assert!(n.report(4, 10, "wait", Some(&oor), 4).is_some());
        n.cut_announced(11, 2);
        assert!(n.report(4, 10, "wait", Some(&oor), 4).is_none());
        // A report racing the cut does not count.
        assert!(n.report(4, 10, "sync", None, 4).is_none());
        assert_eq!(n.durable, 3);
        n.cut_done(2);
        assert_eq!(n.durable, 2);
        let timeout = ErrKind::Other("Timeout".into());
        assert!(n.report(2, 11, "wait", Some(&timeout), 2).is_none());
        assert!(
            n.report(2, 11, "wait", Some(&ErrKind::Poisoned), 2)
                .is_some()
        );
        n.faults = true;
        assert!(
            n.report(2, 11, "wait", Some(&ErrKind::Poisoned), 2)
                .is_none()
        );
        assert_eq!(n.open_watches(), 0);
    }
}
