//! The oracle: what a recovered WAL must contain, given what was acknowledged before the
//! crash, and the check of a recovered WAL against it.
//!
//! Under the default policy every acknowledged entry is durable. Under a relaxed policy
//! (`Durability::Interval`, `Manual`, `None`) an acknowledged entry is durable only once a
//! successful `sync()`, rotation, clean close, syncing append or `set_user_data` covered it,
//! or the handle's `durable_lsn()` or a durability notification (`wait_durable`,
//! `on_durable`) said so; [`Model::durable`] is that watermark. A power loss may lose the
//! acknowledged entries above it, as a suffix, and their LSNs are then handed out again
//! (the documented cost of those policies); it may never lose one at or below it, return a
//! wrong payload, or hand out an LSN at or below it again.
//!
//! Log control adds four facts: the purge floor (nothing at or below an acknowledged
//! `purge_up_to` is ever served again, and `next_lsn()` stays above it), a purge or a
//! truncation in flight (after a crash it is either not done or done, never half of it: a
//! truncation leaves the old log or the new one, a purge leaves every entry or starts the log
//! above its floor), and the user data (the acknowledged value, or the one being set, never
//! anything else; once the new value is visible, every entry appended before it is too).

use std::collections::BTreeMap;
use std::fmt;

use walogs_core::{Lsn, WalError};

use walogs_testkit::handle::DynWal;

/// A durability notification: `wait_durable` returned `Ok`, or an `on_durable` callback ran
/// with `Ok`, for entry `lsn` (holding `payload`) when the simulator had made `counter`
/// mutating calls. From that call on, every crash state must hold the entry (and every
/// acknowledged entry before it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The simulator's mutating-call counter when the notification arrived.
    pub counter: u64,
    /// The entry said to be durable.
    pub lsn: u64,
    /// Its payload (so a notice never vouches for a later entry that reuses the LSN after a
    /// truncation).
    pub payload: Vec<u8>,
}

/// What the driver knows: every acknowledged entry, and what was in flight.
#[derive(Debug, Clone, Default)]
pub struct Model {
    /// Acknowledged entries by LSN (entries removed by an acknowledged `truncate_after` or
    /// `purge_up_to` are dropped; checkpointed ones stay and may be missing from the front).
    pub entries: BTreeMap<u64, Vec<u8>>,
    /// Highest LSN ever acknowledged (or seen after a recovery) and not truncated away.
    pub max_acked: u64,
    /// Highest LSN known durable: acknowledged entries at or below it survive a power loss,
    /// and `next_lsn()` must stay above it. Equals `max_acked` under the default policy.
    pub durable: u64,
    /// Highest `checkpoint` argument issued (acknowledged or in flight): entries at or below
    /// it may be gone from the front of the log.
    pub ckpt: u64,
    /// The append, atomic batch or `append_many` in flight (not acknowledged): first LSN and
    /// payloads. It may be present, entirely, or absent, entirely (an `append_many` of the
    /// harnesses' sizes is one unit).
    pub inflight: Option<(u64, Vec<Vec<u8>>)>,
    /// A `truncate_after(k)` in flight: the log may end at `k` instead (every entry after it
    /// gone), or be as it was.
    pub truncating: Option<u64>,
    /// The purge floor: the highest acknowledged `purge_up_to` (or the floor a recovery
    /// reported). Nothing at or below it may be served; `next_lsn()` stays above it.
    pub floor: u64,
    /// A `purge_up_to(p)` in flight: the log may start above `p` instead, or be as it was.
    pub purging: Option<u64>,
    /// The acknowledged user data (empty before the first `set_user_data`).
    pub user: Vec<u8>,
    /// A `set_user_data` in flight: its value.
    pub user_inflight: Option<Vec<u8>>,
    /// Every durability notification so far (see [`Model::notified_by`]).
    pub notices: Vec<Notice>,
    /// The units (atomic batches, `append_many` chunks) acknowledged: first LSN to last LSN
    /// still in the log, and whether a truncation already cut inside it.
    pub units: BTreeMap<u64, (u64, bool)>,
    /// Whether the truncation in flight cuts inside a unit that an earlier truncation
    /// already cut (named in the messages of losses, for classifying them).
    pub recut: bool,
}

impl Model {
    /// Record an acknowledged, durable range of entries starting at `first` (an append
    /// under the default policy, or one that synced).
    pub fn ack(&mut self, first: u64, entries: &[Vec<u8>]) {
        self.ack_as(first, entries, true);
    }

    /// Record an acknowledged range of entries starting at `first`, durable or not (an
    /// append under a relaxed policy that did not sync).
    pub fn ack_as(&mut self, first: u64, entries: &[Vec<u8>], durable: bool) {
        for (i, e) in entries.iter().enumerate() {
            self.entries.insert(first + i as u64, e.clone());
        }
        let last = first + entries.len() as u64 - 1;
        if entries.len() > 1 {
            self.units.insert(first, (last, false));
        }
        self.max_acked = self.max_acked.max(last);
        if durable {
            self.durable = self.durable.max(last);
        }
        self.inflight = None;
    }

    /// Record that everything acknowledged up to `upto` is durable (a successful `sync()`,
    /// rotation or clean close, or the handle's `durable_lsn()`).
    pub fn synced(&mut self, upto: u64) {
        self.durable = self.durable.max(upto.min(self.max_acked));
    }

    /// Whether `truncate_after(keep)` cuts inside a unit that was cut before.
    pub fn cuts_a_cut_unit(&self, keep: u64) -> bool {
        self.units
            .range(..=keep)
            .next_back()
            .is_some_and(|(_, &(last, cut))| cut && keep < last)
    }

    /// Whether `lsn` belongs to a unit that a truncation already cut.
    pub fn in_a_cut_unit(&self, lsn: u64) -> bool {
        self.units
            .range(..=lsn)
            .next_back()
            .is_some_and(|(_, &(last, cut))| cut && lsn <= last)
    }

    /// Forget the units' ends above `last` (the log ends there now); a unit left short is
    /// marked cut.
    fn units_end_at(&mut self, last: u64) {
        self.units.retain(|&first, _| first <= last);
        for (end, cut) in self.units.values_mut() {
            if *end > last {
                *end = last;
                *cut = true;
            }
        }
    }

    /// Record an acknowledged `truncate_after(keep)`.
    pub fn truncated(&mut self, keep: u64) {
        self.units_end_at(keep);
        self.recut = false;
        self.entries.retain(|&l, _| l <= keep);
        self.max_acked = self.max_acked.min(keep);
        self.durable = self.durable.min(keep);
        self.truncating = None;
    }

    /// Record an acknowledged `purge_up_to(up_to)`: the floor only rises.
    pub fn purged(&mut self, up_to: u64) {
        self.floor = self.floor.max(up_to);
        let floor = self.floor;
        self.entries.retain(|&l, _| l > floor);
        self.purging = None;
    }

    /// Record an acknowledged `set_user_data(value)` (it made every entry appended before
    /// it durable).
    pub fn user_set(&mut self, value: Vec<u8>) {
        self.user = value;
        self.user_inflight = None;
        self.synced(self.max_acked);
    }

    /// The model as a crash after mutating call `call` must see it: the notifications that
    /// had arrived by then make their entries durable (a notice counts only while its entry
    /// is still the one it was given for).
    pub fn notified_by(&self, notices: &[Notice], call: u64) -> Model {
        let mut m = self.clone();
        for n in notices.iter().filter(|n| n.counter <= call) {
            if m.entries.get(&n.lsn) == Some(&n.payload) {
                m.synced(n.lsn);
            }
        }
        m
    }

    /// The LSN `next_lsn()` must stay above: the durable watermark, lowered by a truncation
    /// in flight, and the purge floor.
    pub fn lsn_floor(&self) -> u64 {
        let floor = self.durable.min(self.max_acked);
        let kept = match self.truncating {
            Some(k) => floor.min(k),
            None => floor,
        };
        kept.max(self.floor)
    }

    /// After a checked recovery: what is in the log now is the new baseline (an entry seen
    /// after recovery is on disk and must stay; so is the floor and the user data).
    pub fn rebase(&mut self, rec: &Recovered) {
        let floor = self.floor.max(rec.floor);
        // Checkpointed entries below the log's start stay known: a checkpoint whose unlink
        // never became durable (a failed directory fsync) may bring them back.
        self.entries
            .retain(|&l, _| l < rec.first_lsn && l <= self.ckpt && l > floor);
        self.entries.extend(rec.entries.iter().cloned());
        // A checked recovery kept everything at or below the floor, so this only lowers
        // `max_acked` when a truncation in flight happened or a relaxed policy lost unsynced
        // entries (their LSNs are free again). A successful open makes what it found durable.
        // A unit in flight that the recovery kept is a unit of the log from now on.
        if let Some((f, es)) = &self.inflight
            && es.len() > 1
            && rec.first_lsn <= *f
            && *f < rec.next_lsn
        {
            self.units.insert(*f, (f + es.len() as u64 - 1, false));
        }
        self.max_acked = rec.next_lsn - 1;
        self.durable = rec.next_lsn - 1;
        self.units_end_at(rec.next_lsn - 1);
        self.recut = false;
        self.floor = floor;
        if let Ok(u) = &rec.user {
            self.user = u.clone();
        }
        self.inflight = None;
        self.truncating = None;
        self.purging = None;
        self.user_inflight = None;
        self.notices.clear();
    }
}

/// What a recovered WAL holds.
#[derive(Debug, Clone)]
pub struct Recovered {
    /// Every entry, in order.
    pub entries: Vec<(u64, Vec<u8>)>,
    /// `first_lsn()`.
    pub first_lsn: u64,
    /// `next_lsn()`.
    pub next_lsn: u64,
    /// `purged_up_to()`.
    pub floor: u64,
    /// `user_data()` (the error as text).
    pub user: Result<Vec<u8>, String>,
}

/// A broken guarantee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// Open refused the directory (or returned an error).
    FailedOpen(String),
    /// An acknowledged entry is missing.
    AckLost(u64),
    /// An acknowledged entry is present with other bytes.
    WrongPayload(u64),
    /// `next_lsn()` is not above an acknowledged LSN (an LSN would be handed out twice).
    LsnReuse {
        /// `next_lsn()` after recovery.
        next: u64,
        /// The highest acknowledged LSN.
        max_acked: u64,
    },
    /// Anything else: LSNs not dense, an unexpected or partial extra, a read error, a
    /// handle that kept accepting writes after a failed sync.
    Other(String),
    /// A violation with what led to it (e.g. the injected fault), appended to its message.
    Context(Box<Violation>, String),
}

impl Violation {
    /// Counter bucket: `lost`, `reuse`, `open`, `other`.
    pub fn bucket(&self) -> &'static str {
        match self {
            Violation::AckLost(_) | Violation::WrongPayload(_) => "lost",
            Violation::LsnReuse { .. } => "reuse",
            Violation::FailedOpen(_) => "open",
            Violation::Other(_) => "other",
            Violation::Context(v, _) => v.bucket(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::FailedOpen(e) => write!(f, "open failed: {e}"),
            Violation::AckLost(l) => write!(f, "acknowledged LSN {l} lost"),
            Violation::WrongPayload(l) => write!(f, "acknowledged LSN {l} has the wrong payload"),
            Violation::LsnReuse { next, max_acked } => write!(
                f,
                "next_lsn {next} is not above acknowledged LSN {max_acked} (LSN reuse)"
            ),
            Violation::Other(s) => f.write_str(s),
            Violation::Context(v, c) => write!(f, "{v} [{c}]"),
        }
    }
}

/// Whether a recovery that passed [`check_recovered`] lost acknowledged entries (the
/// unsynced ones a relaxed policy may lose, or a suffix an in-flight truncation cut).
pub fn lost_unsynced(rec: &Recovered, m: &Model) -> bool {
    m.entries
        .range(rec.next_lsn..)
        .any(|(&l, _)| l > m.durable && m.truncating.is_none_or(|k| l <= k))
}

/// Read everything a recovered WAL holds.
pub fn read_all(wal: &dyn DynWal) -> Result<Recovered, Violation> {
    let mut entries = Vec::new();
    for item in wal.iter() {
        let (lsn, data) = item.map_err(|e| Violation::Other(format!("iteration failed: {e}")))?;
        entries.push((lsn.0, data));
    }
    Ok(Recovered {
        entries,
        first_lsn: wal.first_lsn().0,
        next_lsn: wal.next_lsn().0,
        floor: wal.purged_up_to().0,
        user: wal.user_data().map_err(|e| e.to_string()),
    })
}

/// Check a recovered WAL against the model (see [`check_recovered`]); also that reads at
/// the purge floor are refused.
pub fn check(wal: &dyn DynWal, m: &Model) -> Result<Recovered, Violation> {
    let rec = read_all(wal)?;
    check_recovered(&rec, m)?;
    if m.floor > 0 {
        match wal.read(Lsn(m.floor)) {
            Err(WalError::LsnOutOfRange { .. }) => {}
            other => {
                return Err(Violation::Other(format!(
                    "read(LSN {}) at the purge floor returned {:?} instead of LsnOutOfRange",
                    m.floor,
                    other.map(|d| d.len())
                )));
            }
        }
        if !matches!(
            wal.iter_from(Lsn(m.floor)),
            Err(WalError::LsnOutOfRange { .. })
        ) {
            return Err(Violation::Other(format!(
                "iter_from(LSN {}) at the purge floor did not fail with LsnOutOfRange",
                m.floor
            )));
        }
    }
    Ok(rec)
}

/// Check a recovered WAL against the model: every acknowledged entry present and
/// byte-identical (except checkpointed ones at the front, the front a purge in flight
/// removed when it took effect, the suffix a truncation in flight cut when it took effect,
/// and a suffix of unsynced entries under a relaxed policy), LSNs dense, at most the in-flight
/// append or batch beyond them (entirely or not at all), nothing at or below the purge floor,
/// `next_lsn()` above every durable acknowledged LSN and the floor ([`Model::lsn_floor`]),
/// and the user data the acknowledged or the in-flight value.
pub fn check_recovered(rec: &Recovered, m: &Model) -> Result<(), Violation> {
    let (first, next) = (rec.first_lsn, rec.next_lsn);
    if next < first || rec.entries.len() as u64 != next - first {
        return Err(Violation::Other(format!(
            "first_lsn {first}, next_lsn {next}, but {} entries iterate",
            rec.entries.len()
        )));
    }
    for (i, (lsn, _)) in rec.entries.iter().enumerate() {
        if *lsn != first + i as u64 {
            return Err(Violation::Other(format!(
                "LSNs not dense: entry {i} has LSN {lsn}, expected {}",
                first + i as u64
            )));
        }
    }
    if first <= m.floor && first < next {
        return Err(Violation::Other(format!(
            "LSN {first} is served although everything up to LSN {} was purged",
            m.floor
        )));
    }
    let user = match &rec.user {
        Ok(u) => u,
        Err(e) => return Err(Violation::Other(format!("user_data() failed: {e}"))),
    };
    let new_user_visible = m.user_inflight.as_ref().is_some_and(|n| n == user);
    if *user != m.user && !new_user_visible {
        return Err(Violation::Other(format!(
            "user data of {} bytes is neither the acknowledged value ({} bytes) nor the one being set ({:?} bytes)",
            user.len(),
            m.user.len(),
            m.user_inflight.as_ref().map(Vec::len)
        )));
    }
    // Once the new user data is visible, so is every entry appended before it.
    let durable = if new_user_visible && *user != m.user {
        m.max_acked
    } else {
        m.durable
    };
    let purged = m.purging.filter(|&p| first > p);
    let cut = m.truncating.filter(|&k| next <= k + 1);
    for (&lsn, data) in &m.entries {
        if lsn < first {
            if lsn > m.ckpt && purged.is_none_or(|p| lsn > p) {
                return Err(Violation::AckLost(lsn));
            }
        } else if lsn >= next {
            if lsn <= durable && cut.is_none_or(|k| lsn <= k) {
                return Err(match m.truncating {
                    Some(k) if lsn <= k => Violation::Context(
                        Box::new(Violation::AckLost(lsn)),
                        format!(
                            "at or below the cut of truncate_after({k}) in flight{}",
                            if m.recut {
                                ", inside a unit cut before"
                            } else {
                                ""
                            }
                        ),
                    ),
                    Some(k) => Violation::Context(
                        Box::new(Violation::AckLost(lsn)),
                        format!(
                            "truncate_after({k}) in flight left neither the old nor the new log{}",
                            if m.in_a_cut_unit(lsn) {
                                ", in a unit cut before"
                            } else {
                                ""
                            }
                        ),
                    ),
                    None => Violation::AckLost(lsn),
                });
            }
        } else if rec.entries[(lsn - first) as usize].1 != *data {
            return Err(Violation::WrongPayload(lsn));
        }
    }
    let extras: Vec<u64> = (first..next)
        .filter(|l| !m.entries.contains_key(l))
        .collect();
    if !extras.is_empty() {
        let Some((ifirst, ientries)) = &m.inflight else {
            return Err(Violation::Other(format!(
                "unacknowledged LSNs {extras:?} present with nothing in flight"
            )));
        };
        let range = *ifirst..*ifirst + ientries.len() as u64;
        if extras.iter().any(|l| !range.contains(l)) {
            return Err(Violation::Other(format!(
                "unacknowledged LSNs {extras:?} present beyond the in-flight LSNs {range:?}"
            )));
        }
        if extras.len() != ientries.len() {
            return Err(Violation::Other(format!(
                "atomic batch {range:?} partially present: {extras:?}"
            )));
        }
        for &l in &extras {
            if rec.entries[(l - first) as usize].1 != ientries[(l - ifirst) as usize] {
                return Err(Violation::Other(format!(
                    "in-flight LSN {l} present with bytes that were never written"
                )));
            }
        }
    }
    let floor = m
        .lsn_floor()
        .max(if new_user_visible { durable } else { 0 });
    if next <= floor {
        return Err(Violation::LsnReuse {
            next,
            max_acked: floor,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(l: u64) -> Vec<u8> {
        format!("entry {l}").into_bytes()
    }

    /// Entries `range` acknowledged and durable.
    fn model(range: std::ops::RangeInclusive<u64>) -> Model {
        let mut m = Model::default();
        for l in range {
            m.ack(l, &[entry(l)]);
        }
        m
    }

    fn rec(range: std::ops::RangeInclusive<u64>, floor: u64, user: &[u8]) -> Recovered {
        Recovered {
            entries: range.clone().map(|l| (l, entry(l))).collect(),
            first_lsn: *range.start(),
            next_lsn: range.end() + 1,
            floor,
            user: Ok(user.to_vec()),
        }
    }

    #[test]
    fn a_truncation_in_flight_is_old_or_new_never_half() {
        let mut m = model(1..=6);
        m.truncating = Some(2);
        assert_eq!(check_recovered(&rec(1..=6, 0, b""), &m), Ok(()), "old log");
        assert_eq!(check_recovered(&rec(1..=2, 0, b""), &m), Ok(()), "new log");
        let half = check_recovered(&rec(1..=4, 0, b""), &m).unwrap_err();
        assert_eq!(half.bucket(), "lost", "half done: {half}");
        assert!(half.to_string().contains("LSN 5 lost"), "{half}");
        assert!(
            half.to_string().contains("neither the old nor the new log"),
            "{half}"
        );
        // A second cut inside the same unit is named as such.
        let mut u = Model::default();
        u.ack(1, &[entry(1), entry(2), entry(3)]);
        assert!(!u.cuts_a_cut_unit(1), "not cut yet");
        u.truncated(2);
        assert!(u.cuts_a_cut_unit(1) && !u.cuts_a_cut_unit(2) && !u.cuts_a_cut_unit(0));
        let below = check_recovered(&rec(1..=1, 0, b""), &m).unwrap_err();
        assert!(
            below.to_string().contains("truncate_after(2) in flight"),
            "{below}"
        );
    }

    #[test]
    fn nothing_at_or_below_the_purge_floor_is_served_and_a_purge_is_whole() {
        let mut m = model(1..=6);
        m.purged(3);
        assert_eq!(check_recovered(&rec(4..=6, 3, b""), &m), Ok(()));
        assert!(
            check_recovered(&rec(3..=6, 3, b""), &m).is_err(),
            "LSN 3 served"
        );
        let mut m = model(1..=6);
        m.purging = Some(3);
        assert_eq!(check_recovered(&rec(1..=6, 0, b""), &m), Ok(()), "not done");
        assert_eq!(check_recovered(&rec(4..=6, 3, b""), &m), Ok(()), "done");
        assert_eq!(
            check_recovered(&rec(2..=6, 0, b""), &m),
            Err(Violation::AckLost(1)),
            "a segment deleted before the floor was durable"
        );
        // Past the end: the log restarts above the floor, never below it.
        let mut m = model(1..=2);
        m.purged(9);
        let empty = Recovered {
            entries: Vec::new(),
            first_lsn: 5,
            next_lsn: 5,
            floor: 0,
            user: Ok(Vec::new()),
        };
        assert!(matches!(
            check_recovered(&empty, &m),
            Err(Violation::LsnReuse { next: 5, .. })
        ));
    }

    #[test]
    fn user_data_is_the_old_or_the_new_value_and_never_ahead_of_the_log() {
        let mut m = model(1..=3);
        m.user_set(b"old".to_vec());
        m.user_inflight = Some(b"new".to_vec());
        assert_eq!(check_recovered(&rec(1..=3, 0, b"old"), &m), Ok(()));
        assert_eq!(check_recovered(&rec(1..=3, 0, b"new"), &m), Ok(()));
        assert!(
            check_recovered(&rec(1..=3, 0, b"nld"), &m).is_err(),
            "a mix"
        );
        assert!(check_recovered(&rec(1..=3, 0, b""), &m).is_err(), "older");
        // Under a relaxed policy entry 3 need not survive, unless the new value did.
        let mut m = Model::default();
        m.ack_as(1, &[entry(1), entry(2)], true);
        m.ack_as(3, &[entry(3)], false);
        m.user_inflight = Some(b"new".to_vec());
        assert_eq!(check_recovered(&rec(1..=2, 0, b""), &m), Ok(()));
        assert_eq!(
            check_recovered(&rec(1..=2, 0, b"new"), &m),
            Err(Violation::AckLost(3))
        );
    }

    #[test]
    fn a_notification_makes_its_entry_durable_from_the_call_it_arrived_at() {
        let mut m = Model::default();
        m.ack_as(1, &[entry(1), entry(2)], false);
        let n = Notice {
            counter: 10,
            lsn: 2,
            payload: entry(2),
        };
        let before = m.notified_by(std::slice::from_ref(&n), 9);
        assert_eq!(check_recovered(&rec(1..=1, 0, b""), &before), Ok(()));
        let after = m.notified_by(std::slice::from_ref(&n), 10);
        assert_eq!(
            check_recovered(&rec(1..=1, 0, b""), &after),
            Err(Violation::AckLost(2))
        );
        // A notice for an entry a truncation replaced vouches for nothing.
        m.truncated(1);
        m.ack_as(2, &[b"other".to_vec()], false);
        let later = m.notified_by(&[n], 99);
        assert_eq!(later.durable, 0);
    }
}
