//! One way for a harness to drive either walogs handle, the single-owner
//! [`walogs_core::Wal`] or the group-commit [`walogs_core::SharedWal`] (the handle the C,
//! Python and Go bindings wrap), through the same calls, chosen at run time.
//!
//! The core's [`WalHandle`] is the one list of what both handles do; [`DynWal`] is its
//! dyn-compatible subset, implemented once for every `WalHandle` by forwarding. It exists
//! only because `WalHandle` is not dyn-compatible (`append_batch` and `append_many` are
//! generic over the entry type, `on_durable` over the callback), and a harness that picks
//! the handle from a command line or a loop needs a `Box<dyn ...>`. It adds no behaviour:
//! every method is the core's, at the cost of one virtual call (and, for
//! [`DynWal::on_durable`], the callback's box, which the core makes anyway).

use std::any::Any;
use std::fmt::Debug;
use std::path::Path;
use std::time::Duration;

use walogs_core::{
    DurableCallback, Lsn, LsnRange, RecoveryReport, SharedWal, TailState, WalError, WalHandle,
    WalIter, WalOptions,
};

/// The dyn-compatible subset of [`WalHandle`] (see the core's documentation of each
/// method; the harnesses use these). Entries of a batch are `Vec<u8>`s.
pub trait DynWal: Debug {
    /// `append`.
    fn append(&mut self, data: &[u8]) -> Result<Lsn, WalError>;
    /// `append_batch` (atomic).
    fn append_batch(&mut self, entries: &[Vec<u8>]) -> Result<LsnRange, WalError>;
    /// `append_many` (not atomic across chunks).
    fn append_many(&mut self, entries: &[Vec<u8>]) -> Result<LsnRange, WalError>;
    /// `sync`.
    fn sync(&mut self) -> Result<Lsn, WalError>;
    /// `durable_lsn`.
    fn durable_lsn(&self) -> Lsn;
    /// `iter`.
    fn iter(&self) -> WalIter;
    /// `iter_from`.
    fn iter_from(&self, from: Lsn) -> Result<WalIter, WalError>;
    /// `rotate`.
    fn rotate(&mut self) -> Result<(), WalError>;
    /// `checkpoint`.
    fn checkpoint(&mut self, upto: Lsn) -> Result<usize, WalError>;
    /// `truncate_after`.
    fn truncate_after(&mut self, keep: Lsn) -> Result<u64, WalError>;
    /// `purge_up_to`.
    fn purge_up_to(&mut self, upto: Lsn) -> Result<usize, WalError>;
    /// `set_user_data`.
    fn set_user_data(&mut self, data: &[u8]) -> Result<(), WalError>;
    /// `user_data`.
    fn user_data(&self) -> Result<Vec<u8>, WalError>;
    /// `wait_durable`.
    fn wait_durable(&self, lsn: Lsn, timeout: Option<Duration>) -> Result<(), WalError>;
    /// `on_durable`.
    fn on_durable(&self, lsn: Lsn, callback: DurableCallback) -> Result<(), WalError>;
    /// `read`.
    fn read(&self, lsn: Lsn) -> Result<Vec<u8>, WalError>;
    /// `read_range`.
    fn read_range(
        &self,
        from: Lsn,
        max_entries: usize,
        max_bytes: usize,
    ) -> Result<Vec<(Lsn, Vec<u8>)>, WalError>;
    /// `next_lsn`.
    fn next_lsn(&self) -> Lsn;
    /// `first_lsn`.
    fn first_lsn(&self) -> Lsn;
    /// `purged_up_to`.
    fn purged_up_to(&self) -> Lsn;
    /// `segment_count`.
    fn segment_count(&self) -> usize;
    /// `tail_state`.
    fn tail_state(&self) -> TailState;
    /// `recovery_report`.
    fn recovery_report(&self) -> RecoveryReport;
    /// `is_poisoned`.
    fn is_poisoned(&self) -> bool;
    /// `close`.
    fn close(self: Box<Self>) -> Result<(), WalError>;
    /// The handle as a [`SharedWal`], when it is one: for a harness that calls it from
    /// several threads at once.
    fn as_shared(&self) -> Option<&SharedWal>;
}

impl<H: WalHandle + Debug + Any> DynWal for H {
    fn append(&mut self, data: &[u8]) -> Result<Lsn, WalError> {
        WalHandle::append(self, data)
    }
    fn append_batch(&mut self, entries: &[Vec<u8>]) -> Result<LsnRange, WalError> {
        WalHandle::append_batch(self, entries)
    }
    fn append_many(&mut self, entries: &[Vec<u8>]) -> Result<LsnRange, WalError> {
        WalHandle::append_many(self, entries)
    }
    fn sync(&mut self) -> Result<Lsn, WalError> {
        WalHandle::sync(self)
    }
    fn durable_lsn(&self) -> Lsn {
        WalHandle::durable_lsn(self)
    }
    fn iter(&self) -> WalIter {
        WalHandle::iter(self)
    }
    fn iter_from(&self, from: Lsn) -> Result<WalIter, WalError> {
        WalHandle::iter_from(self, from)
    }
    fn rotate(&mut self) -> Result<(), WalError> {
        WalHandle::rotate(self)
    }
    fn checkpoint(&mut self, upto: Lsn) -> Result<usize, WalError> {
        WalHandle::checkpoint(self, upto)
    }
    fn truncate_after(&mut self, keep: Lsn) -> Result<u64, WalError> {
        WalHandle::truncate_after(self, keep)
    }
    fn purge_up_to(&mut self, upto: Lsn) -> Result<usize, WalError> {
        WalHandle::purge_up_to(self, upto)
    }
    fn set_user_data(&mut self, data: &[u8]) -> Result<(), WalError> {
        WalHandle::set_user_data(self, data)
    }
    fn user_data(&self) -> Result<Vec<u8>, WalError> {
        WalHandle::user_data(self)
    }
    fn wait_durable(&self, lsn: Lsn, timeout: Option<Duration>) -> Result<(), WalError> {
        WalHandle::wait_durable(self, lsn, timeout)
    }
    fn on_durable(&self, lsn: Lsn, callback: DurableCallback) -> Result<(), WalError> {
        WalHandle::on_durable(self, lsn, callback)
    }
    fn read(&self, lsn: Lsn) -> Result<Vec<u8>, WalError> {
        WalHandle::read(self, lsn)
    }
    fn read_range(
        &self,
        from: Lsn,
        max_entries: usize,
        max_bytes: usize,
    ) -> Result<Vec<(Lsn, Vec<u8>)>, WalError> {
        WalHandle::read_range(self, from, max_entries, max_bytes)
    }
    fn next_lsn(&self) -> Lsn {
        WalHandle::next_lsn(self)
    }
    fn first_lsn(&self) -> Lsn {
        WalHandle::first_lsn(self)
    }
    fn purged_up_to(&self) -> Lsn {
        WalHandle::purged_up_to(self)
    }
    fn segment_count(&self) -> usize {
        WalHandle::segment_count(self)
    }
    fn tail_state(&self) -> TailState {
        WalHandle::tail_state(self)
    }
    fn recovery_report(&self) -> RecoveryReport {
        WalHandle::recovery_report(self)
    }
    fn is_poisoned(&self) -> bool {
        WalHandle::is_poisoned(self)
    }
    fn close(mut self: Box<Self>) -> Result<(), WalError> {
        self.close_handle()
    }
    fn as_shared(&self) -> Option<&SharedWal> {
        (self as &dyn Any).downcast_ref::<SharedWal>()
    }
}

/// Which handle type a harness opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandleKind {
    /// [`walogs_core::Wal`].
    Single,
    /// [`SharedWal`].
    Shared,
}

impl HandleKind {
    /// The name harnesses print and parse: `wal` or `shared`.
    pub fn name(self) -> &'static str {
        match self {
            HandleKind::Single => "wal",
            HandleKind::Shared => "shared",
        }
    }

    /// Parse [`HandleKind::name`].
    pub fn parse(s: &str) -> Option<HandleKind> {
        match s {
            "wal" => Some(HandleKind::Single),
            "shared" => Some(HandleKind::Shared),
            _ => None,
        }
    }

    /// The kind for a `shared` flag.
    pub fn shared_if(shared: bool) -> HandleKind {
        if shared {
            HandleKind::Shared
        } else {
            HandleKind::Single
        }
    }

    /// Open `dir` with `opts` as a handle of this kind ([`WalOptions::open`] or
    /// [`WalOptions::open_shared`]; the cost of the open, plus one box).
    pub fn open(self, opts: &WalOptions, dir: &Path) -> Result<Box<dyn DynWal>, WalError> {
        Ok(match self {
            HandleKind::Single => Box::new(opts.open(dir)?),
            HandleKind::Shared => Box::new(opts.open_shared(dir)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_kinds_open_and_only_the_shared_one_is_shared() {
        let dir =
            std::env::temp_dir().join(format!("walogs-testkit-handle-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for kind in [HandleKind::Single, HandleKind::Shared] {
            assert_eq!(HandleKind::parse(kind.name()), Some(kind));
            let mut w = kind.open(&WalOptions::new(), &dir).unwrap();
            let lsn = w.append(b"x").unwrap();
            assert_eq!(w.read(lsn).unwrap(), b"x");
            assert_eq!(w.as_shared().is_some(), kind == HandleKind::Shared);
            w.close().unwrap();
        }
        assert_eq!(HandleKind::parse("other"), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
