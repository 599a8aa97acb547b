//! [`WalogsLogStore`]: openraft's `RaftLogStorage` over one walogs directory.

use std::fmt::Debug;
use std::io;
use std::marker::PhantomData;
use std::ops::RangeBounds;
use std::path::Path;
use std::sync::Arc;

use openraft::storage::{LogFlushed, LogState, RaftLogStorage};
use openraft::{
    Entry, ErrorSubject, ErrorVerb, LogId, OptionalSend, RaftLogReader, RaftTypeConfig,
    StorageError, Vote,
};
use walogs_core::{Durability, Lsn, SharedWal, WalError, WalOptions};

use crate::codec::{self, decode_header};
use crate::error::StoreError;
use crate::flusher::Flusher;
use crate::reader::{WalogsLogReader, last_entry_at_or_below, read_entries};
use crate::state_codec::StoredState;

/// The most indexes one append may skip. Each skipped index costs a gap record (a 26-byte
/// walogs entry) in the same write, and a crash inside that write can leave at most this many
/// trailing gap records for the next open to scan back over and cut.
pub const MAX_GAP: u64 = 1 << 16;

/// An openraft 0.9 log store (`RaftLogStorage` + `RaftLogReader`) on one walogs directory.
///
/// * **Index ↔ LSN.** Raft index `i` is walogs LSN `i + 1`, always (walogs reserves LSN 0;
///   openraft writes its first entry at index 0). No side file maps one to the other:
///   `purge(log_id)` is `purge_up_to(index + 1)` (past the end it restarts the log at
///   `index + 2`, i.e. index `index + 1`), `truncate(log_id)` is `truncate_after(index)`.
/// * **State.** Vote, committed log id and last purged log id live in the walogs user data
///   (see [`crate::state_codec`]); every write of it first makes every appended entry durable,
///   so a vote is never durable ahead of the log it covers.
/// * **Appends** return once written (walogs under [`Durability::Manual`]); openraft's
///   `LogFlushed` callback runs from walogs' durability notification after the flush worker's
///   fdatasync covers the entries, or with the error that poisoned the log.
///
/// It holds a [`SharedWal`] rather than a `Wal` behind a mutex: the log readers that
/// openraft's replication tasks use, the flush worker and the store all use the one handle at
/// once, and a read never waits for an fdatasync in flight.
///
/// Dropping the store syncs what was appended and closes the log (releasing the directory);
/// readers obtained from it then fail with walogs' `Closed`.
pub struct WalogsLogStore<C: RaftTypeConfig> {
    // Field order is drop order: the flusher's last sync runs before the handle closes.
    flusher: Option<Flusher>,
    wal: Arc<SharedWal>,
    state: StoredState<C::NodeId>,
    /// The last entry above the purge floor, if any.
    last_entry: Option<LogId<C::NodeId>>,
    _c: PhantomData<fn() -> C>,
}

impl<C> Debug for WalogsLogStore<C>
where
    C: RaftTypeConfig,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WalogsLogStore")
            .field("dir", &self.wal.dir())
            .field("state", &self.state)
            .field("last_entry", &self.last_entry)
            .finish()
    }
}

impl<C> WalogsLogStore<C>
where
    C: RaftTypeConfig<Entry = Entry<C>>,
{
    /// Open or create the store in `dir` with walogs' default options.
    ///
    /// Checks that the first and the last record are this crate's (and hold the index their
    /// LSN says) and that the user data is this crate's state ([`StoreError::ForeignLog`],
    /// [`StoreError::ForeignState`] otherwise, before anything is changed); finishes a purge a
    /// crash interrupted; cuts gap records a crash left at the end. Starts the flush worker.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(dir, WalOptions::new())
    }

    /// [`Self::open`] with walogs options (segment size, file mode, a file system seam, ...).
    /// The durability policy is replaced by [`Durability::Manual`]: the store makes entries
    /// durable itself, before it reports them flushed.
    pub fn open_with(dir: impl AsRef<Path>, options: WalOptions) -> Result<Self, StoreError> {
        let wal = Arc::new(options.durability(Durability::Manual).open_shared(dir)?);
        let state =
            StoredState::decode(&wal.user_data()?).map_err(|reason| StoreError::ForeignState {
                dir: wal.dir().to_path_buf(),
                reason,
            })?;
        check_ends::<C>(&wal)?;
        if let Some(p) = &state.purged
            && wal.purged_up_to().0 < p.index + 1
        {
            // The state was written, the purge it records was not.
            wal.purge_up_to(Lsn(p.index + 1))?;
        }
        let last = last_entry_at_or_below::<C>(&wal, u64::MAX)?;
        let keep = last.as_ref().map_or(wal.first_lsn().0 - 1, |(l, _)| *l);
        if keep + 1 < wal.next_lsn().0 {
            // Trailing gap records: the rest of their append never reached the disk.
            wal.truncate_after(Lsn(keep))?;
        }
        let flusher = Flusher::start(wal.clone()).map_err(WalError::Io)?;
        Ok(WalogsLogStore {
            flusher: Some(flusher),
            wal,
            state,
            last_entry: last.map(|(_, id)| id),
            _c: PhantomData,
        })
    }

    /// The walogs handle, for inspection (LSNs, the directory). Changing the log through it
    /// breaks the store's invariants.
    pub fn wal(&self) -> &SharedWal {
        &self.wal
    }

    /// The index the next append must start at (or jump forward from).
    pub fn next_index(&self) -> u64 {
        self.wal.next_lsn().0 - 1
    }

    /// Append `entries` and return once they are written (readable, not yet durable);
    /// `on_flushed` runs once they are durable (after an fdatasync), with `Ok`, or with the
    /// error that prevents it. On a refused or failed append `on_flushed` gets the error too.
    ///
    /// Entries must continue the log: an index below [`Self::next_index`] is
    /// [`StoreError::Overlap`] (truncate first), except that leading entries at or below the
    /// last purged index are skipped (a purge only ever covers entries a snapshot holds, so
    /// they are in it already; openraft re-sends such entries at startup after cleaning up an
    /// interrupted snapshot install); an index above it fills the skipped indexes
    /// with gap records in the same write (at most [`MAX_GAP`] per call,
    /// [`StoreError::JumpTooLarge`] beyond), which read as absent. Nothing is written when an
    /// entry is refused.
    ///
    /// Costs: one encode per entry, one walogs write (`append_many`), a callback registration
    /// and a wake-up of the flush worker, whose fdatasync is shared by every append made while
    /// the previous one ran.
    pub fn append_with<I>(
        &mut self,
        entries: I,
        on_flushed: impl FnOnce(io::Result<()>) + Send + 'static,
    ) -> Result<(), StoreError>
    where
        I: IntoIterator<Item = Entry<C>>,
    {
        match self.write_entries(entries) {
            Ok(last) => {
                self.notify_durable(last, on_flushed);
                Ok(())
            }
            Err(e) => {
                on_flushed(Err(io::Error::other(e.to_string())));
                Err(e)
            }
        }
    }

    /// Encode and write; returns the LSN of the last record written (or of the log's end when
    /// `entries` is empty).
    fn write_entries<I>(&mut self, entries: I) -> Result<u64, StoreError>
    where
        I: IntoIterator<Item = Entry<C>>,
    {
        let start = self.next_index();
        let mut expected = start;
        let mut records = Vec::new();
        let mut gaps = 0;
        let mut last = None;
        let floor = self.state.purged.as_ref().map(|p| p.index);
        for e in entries {
            let got = e.log_id.index;
            if floor.is_some_and(|f| got <= f) && expected == start {
                // Purged already: the snapshot that purged it holds it.
                continue;
            }
            if got < expected {
                return Err(StoreError::Overlap { expected, got });
            }
            gaps += got - expected;
            if gaps > MAX_GAP {
                return Err(StoreError::JumpTooLarge {
                    expected,
                    got,
                    max: MAX_GAP,
                });
            }
            records.extend((expected..got).map(codec::encode_gap));
            records.push(codec::encode_entry(&e).map_err(|c| StoreError::Encode(c.to_string()))?);
            expected = got + 1;
            last = Some(e.log_id);
        }
        if records.is_empty() {
            return Ok(start);
        }
        let range = self.wal.append_many(&records)?;
        self.last_entry = last;
        Ok(range.last.0)
    }

    /// Run `cb` once LSN `lsn` is durable.
    fn notify_durable(&self, lsn: u64, cb: impl FnOnce(io::Result<()>) + Send + 'static) {
        if self.wal.durable_lsn().0 >= lsn || lsn < self.wal.first_lsn().0 {
            // Durable already (purged entries were synced by the state write that purged
            // them).
            return cb(Ok(()));
        }
        let cb = Arc::new(std::sync::Mutex::new(Some(cb)));
        let cb2 = cb.clone();
        let registered = self.wal.on_durable(Lsn(lsn), move |r| {
            if let Some(cb) = cb2.lock().unwrap_or_else(|p| p.into_inner()).take() {
                cb(r.map_err(|e| StoreError::Wal(e).into_io()));
            }
        });
        match registered {
            Ok(()) => {
                if let Some(f) = &self.flusher {
                    f.request();
                }
            }
            Err(e) => {
                if let Some(cb) = cb.lock().unwrap_or_else(|p| p.into_inner()).take() {
                    cb(Err(StoreError::Wal(e).into_io()));
                }
            }
        }
    }

    /// Remove every entry from `log_id.index` on. Past the end: nothing to do. At or below the
    /// purge floor: [`StoreError::TruncatePurged`].
    ///
    /// Costs: an fdatasync of what is pending (so flush callbacks of the removed entries report
    /// the flush they got rather than fail), then walogs' `truncate_after` (a truncate and an
    /// fdatasync, more when the cut is inside a multi-entry write or spans segments).
    pub fn truncate_from(&mut self, log_id: &LogId<C::NodeId>) -> Result<(), StoreError> {
        let index = log_id.index;
        if let Some(p) = &self.state.purged
            && index <= p.index
        {
            return Err(StoreError::TruncatePurged {
                index,
                purged: p.index,
            });
        }
        if index >= self.next_index() {
            return Ok(());
        }
        self.wal.sync()?;
        // LSN `index` holds index `index - 1`: keep up to it, less any gap records before it.
        let keep = last_entry_at_or_below::<C>(&self.wal, index)?;
        let keep_lsn = keep
            .as_ref()
            .map_or(self.wal.first_lsn().0 - 1, |(l, _)| *l);
        self.wal.truncate_after(Lsn(keep_lsn))?;
        self.last_entry = keep.map(|(_, id)| id);
        Ok(())
    }

    /// Purge every entry up to and including `log_id.index`, for good; past the end the log
    /// restarts at `log_id.index + 1`. The purged log id is written to the state first (after
    /// an fdatasync of pending entries); a crash between that and the walogs purge is finished
    /// by the next open. At or below the current floor: nothing to do.
    ///
    /// Costs: one state write (fdatasync of the log if anything is pending, a write and an
    /// fdatasync of `walogs.user`) and walogs' `purge_up_to` (a metadata write, unlinks of the
    /// segments wholly purged).
    pub fn purge_to(&mut self, log_id: &LogId<C::NodeId>) -> Result<(), StoreError> {
        if let Some(p) = &self.state.purged
            && log_id.index <= p.index
        {
            return Ok(());
        }
        let mut next = self.state.clone();
        next.purged = Some(log_id.clone());
        self.write_state(next)?;
        self.wal.purge_up_to(Lsn(log_id.index + 1))?;
        if self
            .last_entry
            .as_ref()
            .is_some_and(|l| l.index <= log_id.index)
        {
            self.last_entry = None;
        }
        Ok(())
    }

    /// Replace the stored state durably (walogs first syncs every appended entry).
    fn write_state(&mut self, next: StoredState<C::NodeId>) -> Result<(), StoreError> {
        let bytes = next
            .encode()
            .map_err(|e| StoreError::Encode(e.to_string()))?;
        self.wal.set_user_data(&bytes)?;
        self.state = next;
        Ok(())
    }

    /// Save the vote durably (after every entry appended before it). Costs one state write.
    pub fn save_vote_now(&mut self, vote: &Vote<C::NodeId>) -> Result<(), StoreError> {
        let mut next = self.state.clone();
        next.vote = Some(vote.clone());
        self.write_state(next)
    }

    /// Save the committed log id durably; nothing when it is unchanged. Costs one state write.
    pub fn save_committed_now(
        &mut self,
        committed: Option<LogId<C::NodeId>>,
    ) -> Result<(), StoreError> {
        if self.state.committed == committed {
            return Ok(());
        }
        let mut next = self.state.clone();
        next.committed = committed;
        self.write_state(next)
    }

    /// The saved vote, committed log id and last purged log id (held in memory; no I/O).
    pub fn stored_state(&self) -> &StoredState<C::NodeId> {
        &self.state
    }

    /// The last purged log id and the last log id (the last entry, or the purged one when the
    /// log holds none). No I/O.
    pub fn log_state(&self) -> LogState<C> {
        LogState {
            last_purged_log_id: self.state.purged.clone(),
            last_log_id: self
                .last_entry
                .clone()
                .or_else(|| self.state.purged.clone()),
        }
    }

    /// Entries with their index in `range` (absent: purged, past the end, gaps).
    pub fn entries(&self, range: impl RangeBounds<u64>) -> Result<Vec<Entry<C>>, StoreError> {
        read_entries::<C>(&self.wal, range)
    }

    /// Sync what was appended and close the log, reporting any error (dropping the store does
    /// the same silently).
    pub fn close(mut self) -> Result<(), StoreError> {
        drop(self.flusher.take());
        self.wal.close()?;
        Ok(())
    }
}

impl<C: RaftTypeConfig> Drop for WalogsLogStore<C> {
    fn drop(&mut self) {
        // Stop the flush worker (it syncs what was requested), then close: outstanding
        // readers must not keep the directory locked.
        drop(self.flusher.take());
        let _ = self.wal.close();
    }
}

/// Refuse a directory whose first or last record is not this crate's, or records another
/// index than its LSN says.
fn check_ends<C: RaftTypeConfig<Entry = Entry<C>>>(wal: &SharedWal) -> Result<(), StoreError> {
    let (first, next) = (wal.first_lsn().0, wal.next_lsn().0);
    for lsn in [first, next - 1] {
        if lsn < first || lsn >= next {
            continue;
        }
        let bytes = wal.read(Lsn(lsn))?;
        let h = decode_header(&bytes).map_err(|reason| StoreError::ForeignLog {
            dir: wal.dir().to_path_buf(),
            lsn,
            reason,
        })?;
        if h.index != lsn - 1 {
            return Err(StoreError::BadRecord {
                lsn,
                index: lsn - 1,
                reason: format!("the record holds index {}", h.index),
            });
        }
    }
    Ok(())
}

impl<C> RaftLogReader<C> for WalogsLogStore<C>
where
    C: RaftTypeConfig<Entry = Entry<C>>,
{
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<C::Entry>, StorageError<C::NodeId>> {
        self.entries(range)
            .map_err(|e| e.into_storage(ErrorSubject::Logs, ErrorVerb::Read))
    }
}

impl<C> RaftLogStorage<C> for WalogsLogStore<C>
where
    C: RaftTypeConfig<Entry = Entry<C>>,
{
    type LogReader = WalogsLogReader<C>;

    async fn get_log_state(&mut self) -> Result<LogState<C>, StorageError<C::NodeId>> {
        Ok(self.log_state())
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        WalogsLogReader::new(self.wal.clone())
    }

    async fn save_vote(&mut self, vote: &Vote<C::NodeId>) -> Result<(), StorageError<C::NodeId>> {
        self.save_vote_now(vote)
            .map_err(|e| e.into_storage(ErrorSubject::Vote, ErrorVerb::Write))
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<C::NodeId>>, StorageError<C::NodeId>> {
        Ok(self.state.vote.clone())
    }

    async fn save_committed(
        &mut self,
        committed: Option<LogId<C::NodeId>>,
    ) -> Result<(), StorageError<C::NodeId>> {
        self.save_committed_now(committed)
            .map_err(|e| e.into_storage(ErrorSubject::Store, ErrorVerb::Write))
    }

    async fn read_committed(
        &mut self,
    ) -> Result<Option<LogId<C::NodeId>>, StorageError<C::NodeId>> {
        Ok(self.state.committed.clone())
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<C>,
    ) -> Result<(), StorageError<C::NodeId>>
    where
        I: IntoIterator<Item = C::Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        self.append_with(entries, move |r| callback.log_io_completed(r))
            .map_err(|e| e.into_storage(ErrorSubject::Logs, ErrorVerb::Write))
    }

    async fn truncate(&mut self, log_id: LogId<C::NodeId>) -> Result<(), StorageError<C::NodeId>> {
        self.truncate_from(&log_id)
            .map_err(|e| e.into_storage(ErrorSubject::Log(log_id), ErrorVerb::Delete))
    }

    async fn purge(&mut self, log_id: LogId<C::NodeId>) -> Result<(), StorageError<C::NodeId>> {
        self.purge_to(&log_id)
            .map_err(|e| e.into_storage(ErrorSubject::Log(log_id), ErrorVerb::Delete))
    }
}
