//! The one contract of both handles. [`crate::Wal`] and [`crate::SharedWal`] are fronts over
//! the same engine; their methods are generated here from one list (same names, same
//! documentation, same behaviour; only the receiver differs: `&mut self` for the mutations
//! of the single-owner `Wal`, `&self` everywhere on `SharedWal`). [`WalHandle`] lets code be
//! generic over both.

use std::path::Path;
use std::time::Duration;

use crate::error::WalError;
use crate::reader::{WalCursor, WalIter};
use crate::types::{Durability, Lsn, LsnRange, RecoveryReport, TailState};

/// Every operation of a WAL handle, implemented by [`crate::Wal`] and [`crate::SharedWal`]
/// with identical behaviour. The inherent methods of both types carry the full
/// documentation; use this trait to write code that works with either.
pub trait WalHandle {
    /// See [`crate::Wal::append`].
    fn append(&mut self, data: &[u8]) -> Result<Lsn, WalError>;
    /// See [`crate::Wal::append_batch`].
    fn append_batch<T: AsRef<[u8]>>(&mut self, entries: &[T]) -> Result<LsnRange, WalError>;
    /// See [`crate::Wal::append_many`].
    fn append_many<T: AsRef<[u8]>>(&mut self, entries: &[T]) -> Result<LsnRange, WalError>;
    /// See [`crate::Wal::sync`].
    fn sync(&mut self) -> Result<Lsn, WalError>;
    /// See [`crate::Wal::durable_lsn`].
    fn durable_lsn(&self) -> Lsn;
    /// See [`crate::Wal::iter`].
    fn iter(&self) -> WalIter;
    /// See [`crate::Wal::iter_from`].
    fn iter_from(&self, from: Lsn) -> Result<WalIter, WalError>;
    /// See [`crate::Wal::cursor_from`].
    fn cursor_from(&self, from: Lsn) -> Result<WalCursor, WalError>;
    /// See [`crate::Wal::cursor`].
    fn cursor(&self) -> Result<WalCursor, WalError>;
    /// See [`crate::Wal::read`].
    fn read(&self, lsn: Lsn) -> Result<Vec<u8>, WalError>;
    /// See [`crate::Wal::rotate`].
    fn rotate(&mut self) -> Result<(), WalError>;
    /// See [`crate::Wal::checkpoint`].
    fn checkpoint(&mut self, applied_up_to: Lsn) -> Result<usize, WalError>;
    /// See [`crate::Wal::truncate_after`].
    fn truncate_after(&mut self, keep_up_to: Lsn) -> Result<u64, WalError>;
    /// See [`crate::Wal::purge_up_to`].
    fn purge_up_to(&mut self, up_to: Lsn) -> Result<usize, WalError>;
    /// See [`crate::Wal::set_user_data`].
    fn set_user_data(&mut self, data: &[u8]) -> Result<(), WalError>;
    /// See [`crate::Wal::user_data`].
    fn user_data(&self) -> Result<Vec<u8>, WalError>;
    /// See [`crate::Wal::wait_durable`].
    fn wait_durable(&self, lsn: Lsn, timeout: Option<Duration>) -> Result<(), WalError>;
    /// See [`crate::Wal::on_durable`].
    fn on_durable(
        &self,
        lsn: Lsn,
        callback: impl FnOnce(Result<(), WalError>) + Send + 'static,
    ) -> Result<(), WalError>;
    /// See [`crate::Wal::read_range`].
    fn read_range(
        &self,
        from: Lsn,
        max_entries: usize,
        max_bytes: usize,
    ) -> Result<Vec<(Lsn, Vec<u8>)>, WalError>;
    /// See [`crate::Wal::tail_state`].
    fn tail_state(&self) -> TailState;
    /// See [`crate::Wal::recovery_report`].
    fn recovery_report(&self) -> RecoveryReport;
    /// See [`crate::Wal::next_lsn`].
    fn next_lsn(&self) -> Lsn;
    /// See [`crate::Wal::first_lsn`].
    fn first_lsn(&self) -> Lsn;
    /// See [`crate::Wal::purged_up_to`].
    fn purged_up_to(&self) -> Lsn;
    /// See [`crate::Wal::segment_count`].
    fn segment_count(&self) -> usize;
    /// See [`crate::Wal::is_poisoned`].
    fn is_poisoned(&self) -> bool;
    /// See [`crate::Wal::is_read_only`].
    fn is_read_only(&self) -> bool;
    /// See [`crate::Wal::durability`].
    fn durability(&self) -> Durability;
    /// See [`crate::Wal::dir`].
    fn dir(&self) -> &Path;
    /// See [`crate::Wal::ensure_usable`].
    fn ensure_usable(&self) -> Result<(), WalError>;
    /// Close the handle (see [`crate::Wal::close`]); idempotent.
    fn close_handle(&mut self) -> Result<(), WalError>;
}

/// The opening lines of the examples of the generated methods: a scratch directory and a
/// fresh handle of the type the methods are generated for (`let mut wal = Wal::open(..)` or
/// `let wal = SharedWal::open(..)`), so that each example runs against both handles.
macro_rules! example_open {
    ($t:ident $(, $m:ident)?) => {
        concat!(
            "# let scratch = tempfile::tempdir()?;\n",
            "# let dir = scratch.path().join(\"wal\");\n",
            "use walogs_core::{Lsn, ", stringify!($t), "};\n",
            "\n",
            "let ", $(stringify!($m), " ",)? "wal = ", stringify!($t), "::open(&dir)?;",
        )
    };
}

/// The methods of a handle over `self.engine`, for the handle type `$t`. `$($m)?` is `mut`
/// for the single-owner handle's mutations and empty for the shared one.
macro_rules! handle_methods {
    ($t:ident $(, $m:ident)?) => {
        /// Append one entry; returns its LSN.
        ///
        /// Under the default durability the entry is written (`pwrite`) and fdatasync'd before
        /// `Ok` is returned: one write + one fdatasync, plus a rotation when the segment is
        /// full and an occasional preallocation. Concurrent appends on a [`crate::SharedWal`]
        /// share one write and one fdatasync (group commit); each still returns only once its
        /// own entry is durable. An entry over [`crate::MAX_ENTRY_SIZE`] is refused with
        /// [`WalError::EntryTooLarge`] and nothing is written. A failed write or sync poisons
        /// the handle.
        ///
        /// # Examples
        ///
        /// ```
        #[doc = $crate::handle::example_open!($t $(, $m)?)]
        /// let lsn = wal.append(b"set x = 1")?; // durable when Ok
        /// assert_eq!(lsn, Lsn(1));
        /// assert_eq!(wal.durable_lsn(), lsn);
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        #[must_use = "check Ok/Err and use the returned Lsn"]
        pub fn append(&$($m)? self, data: &[u8]) -> Result<Lsn, WalError> {
            self.engine.append(data)
        }

        /// Append several entries as one atomic unit (one member frame per entry, written
        /// with one write and one fdatasync); after a crash either all of them are in the log
        /// or none is. Their total size must fit [`crate::MAX_BATCH_SIZE`]. A batch of one
        /// entry is written as a plain frame. It is written ahead of or after, never
        /// interleaved with, concurrent appends.
        ///
        /// Units are a format extension walogs 0.1 cannot read.
        ///
        /// # Examples
        ///
        /// ```
        #[doc = $crate::handle::example_open!($t $(, $m)?)]
        /// let batch = wal.append_batch(&[b"debit a".as_slice(), b"credit b"])?; // all or nothing
        /// assert_eq!((batch.first, batch.last), (Lsn(1), Lsn(2)));
        /// assert_eq!(batch.len(), 2);
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        #[must_use = "check Ok/Err and use the returned LsnRange"]
        pub fn append_batch<T: AsRef<[u8]>>(&$($m)? self, entries: &[T]) -> Result<LsnRange, WalError> {
            self.engine.append_batch(entries)
        }

        /// Append entries of any number and total size, not atomically: as few units as
        /// possible, each one write and one fdatasync. After a crash a prefix of those
        /// frames may survive; if one fails, the frames before it are in the log and the
        /// error is returned. Use `append_batch` when the batch must be all or nothing.
        ///
        /// # Examples
        ///
        /// ```
        #[doc = $crate::handle::example_open!($t $(, $m)?)]
        /// let rows: Vec<Vec<u8>> = (0..1000).map(|i| format!("row {i}").into_bytes()).collect();
        /// let range = wal.append_many(&rows)?; // a bulk load: few writes and fdatasyncs
        /// assert_eq!((range.first, range.last), (Lsn(1), Lsn(1000)));
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        #[must_use = "check Ok/Err and use the returned LsnRange"]
        pub fn append_many<T: AsRef<[u8]>>(&$($m)? self, entries: &[T]) -> Result<LsnRange, WalError> {
            self.engine.append_many(entries)
        }

        /// Make every appended entry durable (one fdatasync if anything is pending); returns
        /// the durable LSN. Needed only under the `Interval`, `Manual` and `None` policies.
        /// On a read-only handle: [`WalError::ReadOnly`].
        #[must_use = "check Ok/Err: a failed sync poisons the handle"]
        pub fn sync(&$($m)? self) -> Result<Lsn, WalError> {
            self.engine.sync()
        }

        /// The highest LSN known to be on disk (`Lsn(0)`: none). Lock-free.
        #[must_use]
        pub fn durable_lsn(&self) -> Lsn {
            self.engine.durable_lsn()
        }

        /// Iterate every entry in LSN order, across all segments: a snapshot of the entries
        /// that exist now (see [`crate::WalIter`]).
        ///
        /// # Examples
        ///
        /// ```
        #[doc = $crate::handle::example_open!($t $(, $m)?)]
        /// wal.append(b"a")?;
        /// wal.append(b"b")?;
        /// let mut seen = Vec::new();
        /// for entry in wal.iter() {
        ///     let (lsn, data) = entry?; // damage met while reading is an Err item
        ///     seen.push((lsn.0, data));
        /// }
        /// assert_eq!(seen, [(1, b"a".to_vec()), (2, b"b".to_vec())]);
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        #[must_use]
        pub fn iter(&self) -> crate::WalIter {
            self.engine.iter()
        }

        /// Iterate from `from` (inclusive), using the sparse index: no scan from the start.
        /// `from` may equal `next_lsn()` (an empty iterator); outside
        /// `first_lsn()..=next_lsn()` it is [`WalError::LsnOutOfRange`].
        ///
        /// # Examples
        ///
        /// ```
        #[doc = $crate::handle::example_open!($t $(, $m)?)]
        /// for data in [b"a", b"b", b"c"] {
        ///     wal.append(data)?;
        /// }
        /// let tail: Vec<Lsn> = wal.iter_from(Lsn(2))?.map(|e| e.map(|(lsn, _)| lsn)).collect::<Result<_, _>>()?;
        /// assert_eq!(tail, [Lsn(2), Lsn(3)]);
        /// assert_eq!(wal.iter_from(wal.next_lsn())?.count(), 0);
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        pub fn iter_from(&self, from: Lsn) -> Result<crate::WalIter, WalError> {
            self.engine.iter_from(from)
        }

        /// A cursor from `from` that lends each entry instead of allocating it.
        ///
        /// # Examples
        ///
        /// ```
        #[doc = $crate::handle::example_open!($t $(, $m)?)]
        /// wal.append_batch(&[b"a".as_slice(), b"bb", b"ccc"])?;
        /// let mut cursor = wal.cursor_from(Lsn(2))?;
        /// let mut total = 0;
        /// while let Some(entry) = cursor.next_entry() {
        ///     let (_lsn, data) = entry?; // borrowed from the cursor's buffer: no allocation
        ///     total += data.len();
        /// }
        /// assert_eq!(total, 5);
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        pub fn cursor_from(&self, from: Lsn) -> Result<crate::WalCursor, WalError> {
            self.engine.cursor_from(from)
        }

        /// A lending cursor from the oldest entry: like [`Self::iter`] (a purge racing it
        /// makes it go on from the new oldest entry, never fail), without an allocation per
        /// entry.
        ///
        /// # Examples
        ///
        /// ```
        #[doc = $crate::handle::example_open!($t $(, $m)?)]
        /// wal.append(b"a")?;
        /// wal.append(b"b")?;
        /// let mut cursor = wal.cursor()?;
        /// let mut lsns = Vec::new();
        /// while let Some(entry) = cursor.next_entry() {
        ///     lsns.push(entry?.0);
        /// }
        /// assert_eq!(lsns, [Lsn(1), Lsn(2)]);
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        pub fn cursor(&self) -> Result<crate::WalCursor, WalError> {
            self.engine.cursor()
        }

        /// Read one entry. [`WalError::LsnOutOfRange`] if `lsn` was checkpointed away,
        /// purged, truncated or not written yet. Never waits for an append's I/O. Costs a
        /// lookup in the in-memory index, one `pread` from the nearest index point (one every
        /// 2 KiB of log) through the entry on a cached read handle (the segment is opened on
        /// its first read only), a CRC check of the entry's frame and a copy of the entry.
        ///
        /// # Examples
        ///
        /// ```
        #[doc = $crate::handle::example_open!($t $(, $m)?)]
        /// let lsn = wal.append(b"hello")?;
        /// assert_eq!(wal.read(lsn)?, b"hello");
        /// assert!(matches!(wal.read(Lsn(99)), Err(walogs_core::WalError::LsnOutOfRange { .. })));
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        pub fn read(&self, lsn: Lsn) -> Result<Vec<u8>, WalError> {
            self.engine.read(lsn)
        }

        /// Seal the active segment and start a new one; no-op when the active segment is
        /// empty. Costs one fdatasync, the metadata file update (write + fdatasync + rename),
        /// a create and two directory fsyncs. If the new segment cannot be created after the
        /// seal is durable, the handle is poisoned (the sealed segment takes no more
        /// entries) and a reopen continues after it.
        pub fn rotate(&$($m)? self) -> Result<(), WalError> {
            self.engine.rotate()
        }

        /// Delete, oldest first, every completed segment whose entries all have
        /// `lsn <= applied_up_to`; never the active segment. Returns how many were deleted.
        /// `Lsn(0)` deletes nothing. Costs one unlink and one directory fsync per segment.
        #[must_use = "check Ok/Err; segment deletion errors leave WAL in a partial state"]
        pub fn checkpoint(&$($m)? self, applied_up_to: Lsn) -> Result<usize, WalError> {
            self.engine.checkpoint(applied_up_to)
        }

        /// Remove every entry after `keep_up_to`, durably; the next append gets
        /// `keep_up_to + 1`. Works at any LSN of the log, inside an atomic batch or a
        /// group-commit write too (a batch is atomic against crashes during its append; it
        /// can be cut later on request). Returns how many entries were removed (0 when
        /// `keep_up_to` is at or past the last entry). Below the oldest entry it is
        /// [`WalError::LsnOutOfRange`]. A crash at any point leaves the old or the new log.
        /// Waiters and callbacks for removed LSNs fail with `LsnOutOfRange`.
        ///
        /// Under a relaxed [`Durability`](crate::Durability) policy, the entries it keeps that
        /// are not durable yet become durable first (one fdatasync, as [`Self::sync`] does).
        ///
        /// Costs: a truncate + fdatasync; a cut inside a multi-entry write first records it in
        /// `walogs.meta` (write + fdatasync + rename + directory fsync); each removed segment
        /// an unlink + directory fsync. (Only the batch frames of earlier walogs 0.2 builds
        /// cannot be cut inside: [`WalError::InvalidArgument`] names their bounds.)
        ///
        /// # Examples
        ///
        /// ```
        #[doc = $crate::handle::example_open!($t $(, $m)?)]
        /// wal.append(b"term 1, index 1")?;
        /// wal.append_batch(&[b"term 1, index 2".as_slice(), b"term 1, index 3"])?;
        /// // A new leader overwrites the conflicting suffix: keep 1..=2, even inside the batch.
        /// assert_eq!(wal.truncate_after(Lsn(2))?, 1);
        /// assert_eq!(wal.append(b"term 2, index 3")?, Lsn(3));
        /// assert_eq!(wal.read(Lsn(3))?, b"term 2, index 3");
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        #[must_use = "check Ok/Err and the number of entries removed"]
        pub fn truncate_after(&$($m)? self, keep_up_to: Lsn) -> Result<u64, WalError> {
            self.engine.truncate_after(keep_up_to)
        }

        /// Purge every entry up to and including `up_to`: at once and for good (also after a
        /// reopen or a crash at any point), the oldest entry is `up_to + 1`; reading below it
        /// is [`WalError::LsnOutOfRange`]; segment files wholly at or below it are deleted.
        /// `up_to` may be at or past the end of the log: the log is then empty and the next
        /// append gets `up_to + 1` (how a Raft log restarts after installing a snapshot at
        /// `up_to`). Below the current floor it does nothing; LSNs are never reused and the
        /// next LSN never moves backwards. Returns how many segment files were deleted.
        ///
        /// Costs: the metadata file (write + fdatasync + rename + directory fsync), a rotation
        /// when the active segment holds only purged entries, one unlink and one directory
        /// fsync per deleted segment. (`checkpoint` keeps its 0.1 meaning.)
        ///
        /// # Examples
        ///
        /// ```
        #[doc = $crate::handle::example_open!($t $(, $m)?)]
        /// for i in 0..5u8 {
        ///     wal.append(&[i])?;
        /// }
        /// wal.purge_up_to(Lsn(3))?; // a snapshot covers 1..=3
        /// assert_eq!((wal.first_lsn(), wal.purged_up_to()), (Lsn(4), Lsn(3)));
        /// wal.purge_up_to(Lsn(100))?; // a snapshot installed at 100, past the end
        /// assert_eq!(wal.append(b"after the snapshot")?, Lsn(101));
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        #[must_use = "check Ok/Err"]
        pub fn purge_up_to(&$($m)? self, up_to: Lsn) -> Result<usize, WalError> {
            self.engine.purge_up_to(up_to)
        }

        /// Replace the durable user data: a blob of up to [`crate::MAX_USER_DATA`] (64 KiB)
        /// kept next to the log, atomically (after a crash it is the old or the new value,
        /// never a mix) and durably when this returns. Every entry appended before the call
        /// is made durable first, so (say) a Raft vote is never durable ahead of the log it
        /// covers. Over the limit: [`WalError::EntryTooLarge`], nothing changed. Costs: an
        /// fdatasync of the log if anything is pending, one write + one fdatasync of
        /// `walogs.user` (its first write also creates it). A failure poisons.
        ///
        /// # Examples
        ///
        /// ```
        #[doc = $crate::handle::example_open!($t $(, $m)?)]
        /// assert!(wal.user_data()?.is_empty());
        /// wal.append(b"entry")?;
        /// wal.set_user_data(b"term=3 vote=2")?; // the entry before it is durable first
        /// assert_eq!(wal.user_data()?, b"term=3 vote=2");
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        #[must_use = "check Ok/Err: a failed write poisons the handle"]
        pub fn set_user_data(&$($m)? self, data: &[u8]) -> Result<(), WalError> {
            self.engine.set_user_data(data)
        }

        /// The durable user data (empty before the first `set_user_data`); also after a
        /// reopen and in read-only opens (the value at open). Costs a copy.
        ///
        /// # Examples
        ///
        /// ```
        #[doc = $crate::handle::example_open!($t $(, $m)?)]
        /// wal.set_user_data(b"commit=7")?;
        /// assert_eq!(wal.user_data()?, b"commit=7");
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        pub fn user_data(&self) -> Result<Vec<u8>, WalError> {
            self.engine.user_data()
        }

        /// Block until entry `lsn` is durable, or `timeout` passes (`None`: no limit):
        /// [`WalError::Timeout`]. Fails with the error that poisoned the handle, with
        /// [`WalError::Closed`] if the handle closes first, and with
        /// [`WalError::LsnOutOfRange`] for an LSN never handed out or truncated meanwhile.
        /// `Lsn(0)` is durable at once. Under the relaxed policies an entry becomes durable
        /// by `sync()`, a rotation, the `Interval` flusher, or close. Costs nothing when the
        /// entry is already durable; otherwise a condition-variable wait.
        ///
        /// # Examples
        ///
        /// ```
        #[doc = $crate::handle::example_open!($t $(, $m)?)]
        /// use std::time::Duration;
        ///
        /// let lsn = wal.append(b"x")?;
        /// wal.wait_durable(lsn, Some(Duration::from_secs(10)))?; // at once: appends are durable on Ok
        /// assert!(matches!(
        ///     wal.wait_durable(Lsn(lsn.0 + 5), None), // never handed out
        ///     Err(walogs_core::WalError::LsnOutOfRange { .. })
        /// ));
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        pub fn wait_durable(&self, lsn: Lsn, timeout: Option<std::time::Duration>) -> Result<(), WalError> {
            self.engine.wait_durable(lsn, timeout)
        }

        /// Run `callback` once entry `lsn` is durable, with `Ok(())`, or with the error that
        /// ends the wait (poisoned, closed, truncated away). It runs on the handle's notifier
        /// thread (started by the first call; close runs what is left and stops it), never
        /// with a walogs lock held, so it may call back into the WAL; a panic in it is caught
        /// and changes nothing. An LSN never handed out is refused here with
        /// [`WalError::LsnOutOfRange`] (the callback is not called).
        ///
        /// # Examples
        ///
        /// ```
        #[doc = $crate::handle::example_open!($t $(, $m)?)]
        /// use std::sync::mpsc;
        ///
        /// let lsn = wal.append(b"x")?;
        /// let (tx, rx) = mpsc::channel();
        /// wal.on_durable(lsn, move |result| {
        ///     let _ = tx.send(result.is_ok()); // runs on the notifier thread
        /// })?;
        /// assert!(rx.recv()?);
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        pub fn on_durable(
            &self,
            lsn: Lsn,
            callback: impl FnOnce(Result<(), WalError>) + Send + 'static,
        ) -> Result<(), WalError> {
            self.engine.on_durable(lsn, Box::new(callback))
        }

        /// Up to `max_entries` consecutive entries from `from`, stopping before their total
        /// payload would exceed `max_bytes` — but at least one entry when `from` holds one,
        /// even if it alone exceeds `max_bytes`. `from == next_lsn()` gives none; outside
        /// `first_lsn()..=next_lsn()` it is [`WalError::LsnOutOfRange`]; `max_entries == 0`
        /// is [`WalError::InvalidArgument`]. Never waits for an append's I/O. Costs: the
        /// index lookup, then sequential reads of the entries (one copy each).
        ///
        /// # Examples
        ///
        /// ```
        #[doc = $crate::handle::example_open!($t $(, $m)?)]
        /// wal.append_batch(&[b"a".as_slice(), b"bb", b"ccc", b"dddd"])?;
        /// // What fits in one message to a follower: at most 10 entries and 5 bytes.
        /// let entries = wal.read_range(Lsn(1), 10, 5)?;
        /// assert_eq!(entries, [(Lsn(1), b"a".to_vec()), (Lsn(2), b"bb".to_vec())]);
        /// // At least one entry, even over max_bytes.
        /// assert_eq!(wal.read_range(Lsn(4), 10, 1)?.len(), 1);
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        pub fn read_range(
            &self,
            from: Lsn,
            max_entries: usize,
            max_bytes: usize,
        ) -> Result<Vec<(Lsn, Vec<u8>)>, WalError> {
            self.engine.read_range(from, max_entries, max_bytes)
        }

        /// What the most recent open found at the end of the last segment.
        #[must_use]
        pub fn tail_state(&self) -> TailState {
            self.engine.tail_state()
        }

        /// What open found and did (tail, salvage, migration).
        #[must_use]
        pub fn recovery_report(&self) -> RecoveryReport {
            self.engine.recovery_report()
        }

        /// The LSN the next append will get (appends in flight on a shared handle already
        /// took theirs).
        #[must_use]
        pub fn next_lsn(&self) -> Lsn {
            self.engine.next_lsn()
        }

        /// The oldest LSN still in the log (`next_lsn()` when it is empty): past the purge
        /// floor and the checkpointed segments.
        #[must_use]
        pub fn first_lsn(&self) -> Lsn {
            self.engine.first_lsn()
        }

        /// The purge floor: every LSN at or below it is gone (`Lsn(0)`: nothing purged).
        #[must_use]
        pub fn purged_up_to(&self) -> Lsn {
            self.engine.purged_up_to()
        }

        /// Segment files in use (completed + active).
        #[must_use]
        pub fn segment_count(&self) -> usize {
            self.engine.segment_count()
        }

        /// Whether an earlier failed write or sync poisoned this handle. Lock-free.
        #[must_use]
        pub fn is_poisoned(&self) -> bool {
            self.engine.is_poisoned()
        }

        /// Whether the handle was opened read-only.
        #[must_use]
        pub fn is_read_only(&self) -> bool {
            self.engine.is_read_only()
        }

        /// The durability policy in force.
        #[must_use]
        pub fn durability(&self) -> Durability {
            self.engine.durability()
        }

        /// The WAL directory, as resolved when it was opened (absolute, links resolved).
        /// Every operation of the handle acts on that directory, whatever the working
        /// directory is now.
        #[must_use]
        pub fn dir(&self) -> &Path {
            self.engine.dir()
        }

        /// `Ok` when the handle can take calls: [`WalError::Forked`] in a process that
        /// inherited it across `fork()`, [`WalError::Closed`] after close. Every fallible
        /// call makes this check itself; the infallible accessors above do not.
        pub fn ensure_usable(&self) -> Result<(), WalError> {
            self.engine.ensure_usable()
        }
    };
}

/// `WalHandle` for a type whose inherent methods `handle_methods!` generated.
macro_rules! impl_wal_handle {
    ($t:ty) => {
        impl $crate::handle::WalHandle for $t {
            fn append(&mut self, data: &[u8]) -> Result<Lsn, WalError> {
                <$t>::append(self, data)
            }
            fn append_batch<T: AsRef<[u8]>>(
                &mut self,
                entries: &[T],
            ) -> Result<LsnRange, WalError> {
                <$t>::append_batch(self, entries)
            }
            fn append_many<T: AsRef<[u8]>>(&mut self, entries: &[T]) -> Result<LsnRange, WalError> {
                <$t>::append_many(self, entries)
            }
            fn sync(&mut self) -> Result<Lsn, WalError> {
                <$t>::sync(self)
            }
            fn durable_lsn(&self) -> Lsn {
                <$t>::durable_lsn(self)
            }
            fn iter(&self) -> crate::WalIter {
                <$t>::iter(self)
            }
            fn iter_from(&self, from: Lsn) -> Result<crate::WalIter, WalError> {
                <$t>::iter_from(self, from)
            }
            fn cursor_from(&self, from: Lsn) -> Result<crate::WalCursor, WalError> {
                <$t>::cursor_from(self, from)
            }
            fn cursor(&self) -> Result<crate::WalCursor, WalError> {
                <$t>::cursor(self)
            }
            fn read(&self, lsn: Lsn) -> Result<Vec<u8>, WalError> {
                <$t>::read(self, lsn)
            }
            fn rotate(&mut self) -> Result<(), WalError> {
                <$t>::rotate(self)
            }
            fn checkpoint(&mut self, applied_up_to: Lsn) -> Result<usize, WalError> {
                <$t>::checkpoint(self, applied_up_to)
            }
            fn truncate_after(&mut self, keep_up_to: Lsn) -> Result<u64, WalError> {
                <$t>::truncate_after(self, keep_up_to)
            }
            fn purge_up_to(&mut self, up_to: Lsn) -> Result<usize, WalError> {
                <$t>::purge_up_to(self, up_to)
            }
            fn set_user_data(&mut self, data: &[u8]) -> Result<(), WalError> {
                <$t>::set_user_data(self, data)
            }
            fn user_data(&self) -> Result<Vec<u8>, WalError> {
                <$t>::user_data(self)
            }
            fn wait_durable(
                &self,
                lsn: Lsn,
                timeout: Option<std::time::Duration>,
            ) -> Result<(), WalError> {
                <$t>::wait_durable(self, lsn, timeout)
            }
            fn on_durable(
                &self,
                lsn: Lsn,
                callback: impl FnOnce(Result<(), WalError>) + Send + 'static,
            ) -> Result<(), WalError> {
                <$t>::on_durable(self, lsn, callback)
            }
            fn read_range(
                &self,
                from: Lsn,
                max_entries: usize,
                max_bytes: usize,
            ) -> Result<Vec<(Lsn, Vec<u8>)>, WalError> {
                <$t>::read_range(self, from, max_entries, max_bytes)
            }
            fn tail_state(&self) -> TailState {
                <$t>::tail_state(self)
            }
            fn recovery_report(&self) -> RecoveryReport {
                <$t>::recovery_report(self)
            }
            fn next_lsn(&self) -> Lsn {
                <$t>::next_lsn(self)
            }
            fn first_lsn(&self) -> Lsn {
                <$t>::first_lsn(self)
            }
            fn purged_up_to(&self) -> Lsn {
                <$t>::purged_up_to(self)
            }
            fn segment_count(&self) -> usize {
                <$t>::segment_count(self)
            }
            fn is_poisoned(&self) -> bool {
                <$t>::is_poisoned(self)
            }
            fn is_read_only(&self) -> bool {
                <$t>::is_read_only(self)
            }
            fn durability(&self) -> Durability {
                <$t>::durability(self)
            }
            fn dir(&self) -> &Path {
                <$t>::dir(self)
            }
            fn ensure_usable(&self) -> Result<(), WalError> {
                <$t>::ensure_usable(self)
            }
            fn close_handle(&mut self) -> Result<(), WalError> {
                self.engine.close()
            }
        }
    };
}

pub(crate) use {example_open, handle_methods, impl_wal_handle};

// Keep the imports used by the trait declaration referenced (the macros use them at their
// call sites).
#[allow(dead_code)]
type _Used = (WalCursor, WalIter);
