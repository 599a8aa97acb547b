//! The log writer: the state of one open WAL and the operations that write it (append,
//! sync, rotate, close). Whole-log maintenance (checkpoint, truncate) is in `maintenance.rs`.
//! Both handles drive one of these through the engine.
//!
//! Rules kept here: in-memory state changes only after the I/O that makes it true has
//! succeeded; a failed write or sync poisons the writer; every create, rename and delete is
//! followed by a directory fsync before the operation is reported done.

use std::io;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use crate::config::WalOptions;
use crate::directory::{open_wal_dir, sync_dir_and_parent};
use crate::error::WalError;
use crate::files::ReadFiles;
use crate::fork::ProcessOwner;
use crate::frame::{self, limits};
use crate::index::SegmentInfo;
use crate::lock::{DirLock, lock_dir};
use crate::meta::{self, Meta};
use crate::reader::Live;
use crate::recovery::{RecoverOptions, recover};
use crate::segment::segment_filename;
use crate::segments::{SegmentSet, View};
use crate::types::{Durability, Lsn, LsnRange, RecoveryReport};
use crate::user_data::UserData;
use crate::vfs::{Dir, FsFile, OpenMode};

/// Preallocation step for the active segment.
const PREALLOC_STEP: u64 = 1024 * 1024;

/// Under a relaxed durability policy, writeback of the active segment is started (not
/// waited for) every time this many bytes were written since the last start.
const WRITEBACK_STEP: u64 = 4 * 1024 * 1024;

#[derive(Debug)]
pub(crate) struct LogWriter {
    pub(crate) dir: Arc<dyn Dir>,
    pub(crate) owner: ProcessOwner,
    pub(crate) live: Arc<Live>,
    /// Segment files open for reading (shared with readers); forgotten when deleted.
    pub(crate) files: Arc<ReadFiles>,
    max_segment_size: Option<u64>,
    durability: Durability,
    preallocate: bool,
    read_only: bool,
    pub(crate) file_mode: u32,
    /// The segments and the next LSN, shared with readers.
    pub(crate) view: Arc<RwLock<View>>,
    /// The active segment's file (writable handles only).
    pub(crate) file: Option<Box<dyn FsFile>>,
    /// Upper bound of the active file's length: frames plus preallocated zeros (some of
    /// which may be missing when a preallocation failed part way).
    pub(crate) allocated: u64,
    /// Bytes of the active segment known durable (the file length at the last good sync).
    pub(crate) durable_len: u64,
    /// Preallocation failed in this segment (disk full): don't retry it on every append.
    prealloc_failed: bool,
    /// Offset of the active segment up to which writeback was started (relaxed policies).
    pub(crate) writeback_from: u64,
    pub(crate) durable_lsn: u64,
    last_sync: Instant,
    /// How long the last fdatasync of an append took (zero before the first).
    last_sync_cost: Duration,
    pub(crate) meta: Option<Meta>,
    poisoned: Option<String>,
    closed: bool,
    report: RecoveryReport,
    scratch: Vec<u8>,
    /// The durable user data and which of its slots holds it.
    user: UserData,
    lock: Option<DirLock>,
}

impl LogWriter {
    /// Open (and recover) the WAL at `path`. Costs: a directory listing, a read of every
    /// segment, and for a writable open the lock, possibly a truncation (+ fdatasync), and
    /// one fdatasync of the active segment and of the directory and its parent.
    pub fn open(path: &std::path::Path, opts: WalOptions) -> Result<LogWriter, WalError> {
        opts.validate()?;
        let owner = ProcessOwner::current();
        let fs = opts.fs.clone();
        let dir = open_wal_dir(fs.as_ref(), path, opts.read_only, opts.file_mode)?;
        let lock = if opts.read_only {
            None
        } else {
            Some(lock_dir(dir.as_ref(), opts.file_mode)?)
        };
        // Before recovery changes anything: a `walogs.user` the handle could not write later
        // (a link, a hard-linked file) is refused while the directory is still untouched.
        let user = UserData::read_settled(dir.as_ref(), opts.read_only)?;
        let rec = recover(
            dir.as_ref(),
            RecoverOptions {
                read_only: opts.read_only,
                salvage: opts.salvage,
            },
            opts.file_mode,
        )?;
        let segs = SegmentSet::new(rec.segments, rec.next_lsn);
        let file = if opts.read_only {
            None
        } else {
            let f = dir.open(&segs.active.name, OpenMode::ReadWrite)?;
            // Whatever a crashed writer left in the page cache is durable from here on, and so
            // are the directory entries.
            f.sync_data()?;
            sync_dir_and_parent(fs.as_ref(), dir.as_ref())?;
            Some(f)
        };
        let active_len = segs.active.len;
        let floor = rec.meta.map_or(0, |m| m.floor);
        let live = Arc::new(Live::new(owner, floor));
        let files = Arc::new(ReadFiles::new(dir.clone()));
        let mut w = LogWriter {
            files,
            dir,
            owner,
            live,
            max_segment_size: opts.max_segment_size,
            durability: opts.durability,
            preallocate: opts.preallocate,
            read_only: opts.read_only,
            file_mode: opts.file_mode,
            allocated: active_len,
            durable_len: active_len,
            prealloc_failed: false,
            writeback_from: active_len,
            view: Arc::new(RwLock::new(View {
                segs,
                next_lsn: rec.next_lsn,
                floor,
                user_data: Arc::from(user.value.as_slice()),
            })),
            user,
            file,
            durable_lsn: rec.next_lsn - 1,
            last_sync: Instant::now(),
            last_sync_cost: Duration::ZERO,
            meta: rec.meta,
            poisoned: None,
            closed: false,
            report: rec.report,
            scratch: Vec::new(),
            lock,
        };
        if !w.read_only {
            if w.meta.is_some_and(|m| m.truncating) {
                // Recovery finished the interrupted truncation: record it done.
                let m = w.meta.expect("checked above");
                w.write_meta(Meta {
                    truncating: false,
                    ..m
                })?;
            }
            w.record_policy()?;
            // A purge past the end may have stopped before sealing an active segment that
            // holds only purged entries: seal it now, before anything is appended.
            w.rotate_past_purged()?;
            // ...and delete what an interrupted purge left at or below the floor.
            w.remove_purged_segments()?;
        }
        Ok(w)
    }

    /// Whether this writer may leave more than one unsynced frame (see `Meta::relaxed`).
    pub(crate) fn relaxed(&self) -> bool {
        !matches!(self.durability, Durability::EveryAppend)
    }

    /// Make the metadata file's relaxed flag match this writer's policy before any write.
    fn record_policy(&mut self) -> Result<(), WalError> {
        let current = self.meta.unwrap_or_default();
        if current.relaxed == self.relaxed() {
            return Ok(());
        }
        self.write_meta(Meta {
            relaxed: self.relaxed(),
            ..current
        })
    }

    pub(crate) fn check_open(&self) -> Result<(), WalError> {
        if self.closed {
            return Err(WalError::Closed);
        }
        Ok(())
    }

    pub(crate) fn check_writable(&self) -> Result<(), WalError> {
        self.check_open()?;
        if self.read_only {
            return Err(WalError::ReadOnly);
        }
        if let Some(reason) = &self.poisoned {
            return Err(WalError::Poisoned {
                reason: reason.clone(),
            });
        }
        Ok(())
    }

    /// A failed fdatasync: the kernel may have dropped the dirty pages while the page cache
    /// still shows them, so cut the active segment back to what is known durable (a later
    /// open must not build on frames that may not survive a power loss), then poison.
    pub(crate) fn sync_failed(&mut self, e: io::Error) -> WalError {
        if let Some(f) = self.file.as_deref()
            && f.set_len(self.durable_len).is_ok()
        {
            let _ = f.sync_data();
            self.allocated = self.durable_len;
        }
        self.poison("fdatasync", e)
    }

    /// Poison the writer from outside (a failed group commit).
    pub fn poison_with(&mut self, reason: String) {
        if self.poisoned.is_none() {
            self.poisoned = Some(reason);
            self.live.poison();
        }
    }

    /// Record the first failure; the writer refuses every later mutation.
    pub(crate) fn poison(&mut self, what: &str, e: io::Error) -> WalError {
        self.poison_with(format!("{what} failed: {e}"));
        WalError::from(e)
    }

    /// The segments, for reading (never held across I/O).
    pub(crate) fn view(&self) -> RwLockReadGuard<'_, View> {
        self.view.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The segments, for changing them after the I/O that makes the change true (a
    /// truncation changes them before: readers must stop reading bytes before they go).
    pub(crate) fn view_mut(&self) -> RwLockWriteGuard<'_, View> {
        self.view.write().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn file(&self) -> &dyn FsFile {
        self.file
            .as_deref()
            .expect("writable handle has an active file")
    }

    // ---- appends ------------------------------------------------------------------------

    /// Append `entries` as one frame (plain for one entry, batch otherwise): one write and,
    /// under [`Durability::EveryAppend`], one fdatasync.
    pub fn append_entries<T: AsRef<[u8]>>(&mut self, entries: &[T]) -> Result<LsnRange, WalError> {
        limits::check_frame(entries)?;
        self.check_writable()?;
        let first = self.next_lsn();
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        frame::encode_entries(&mut buf, first, entries);
        let r = self.write_frame(&buf, first, entries.len() as u64);
        if buf.capacity() <= 4 * 1024 * 1024 {
            self.scratch = buf;
        }
        r?;
        Ok(LsnRange {
            first: Lsn(first),
            last: Lsn(first + entries.len() as u64 - 1),
        })
    }

    /// Append any number of entries of any total size, as few batch frames as possible, each
    /// one write (+ one fdatasync under `EveryAppend`). Not atomic as a whole: after a crash a
    /// prefix of the frames may survive; if frame `k` fails, frames before it are in the log
    /// and the error is returned.
    pub fn append_many<T: AsRef<[u8]>>(&mut self, entries: &[T]) -> Result<LsnRange, WalError> {
        if entries.is_empty() {
            return Err(WalError::invalid("a batch must hold at least one entry"));
        }
        for e in entries {
            limits::check_entry_size(e.as_ref().len())?;
        }
        self.check_writable()?;
        let first = self.next_lsn();
        let mut rest = entries;
        while !rest.is_empty() {
            let n = limits::fitting_in_one_frame(rest);
            self.append_entries(&rest[..n])?;
            rest = &rest[n..];
        }
        Ok(LsnRange {
            first: Lsn(first),
            last: Lsn(self.next_lsn() - 1),
        })
    }

    /// Write one encoded frame holding `count` entries from `first_lsn` (which must be
    /// `next_lsn`), rotating first if the segment is full.
    pub fn write_frame(
        &mut self,
        frame: &[u8],
        first_lsn: u64,
        count: u64,
    ) -> Result<(), WalError> {
        self.check_writable()?;
        debug_assert_eq!(first_lsn, self.next_lsn());
        let len = frame.len() as u64;
        let (active_len, continues) = {
            let v = self.view();
            (
                v.segs.active.len,
                v.segs.active.is_empty() || v.segs.active.next_lsn == first_lsn,
            )
        };
        // A new segment when this one is full, or when the LSNs jump (past a purge floor):
        // within a segment, frames carry consecutive LSNs.
        if active_len > 0
            && (!continues
                || self
                    .max_segment_size
                    .is_some_and(|max| active_len + len > max))
        {
            self.rotate()?;
        }
        let offset = self.view().segs.active.len;
        let end = offset + len;
        if self.preallocate
            && matches!(self.durability, Durability::EveryAppend)
            && !self.prealloc_failed
            && end > self.allocated
        {
            let mut target = end.max(offset + PREALLOC_STEP);
            if let Some(max) = self.max_segment_size {
                target = target.min(max.max(end));
            }
            // Preallocation is only an optimisation: if it fails (ENOSPC, EFBIG) the frame is
            // written into unallocated space, and a real lack of space fails that write.
            // A failed call may still have extended the file part of the way, so `allocated`
            // becomes `target` either way: it bounds the zeros that close and rotate cut.
            if self.file().allocate(target).is_err() {
                self.prealloc_failed = true;
            }
            self.allocated = target;
        }
        if let Err(e) = self.file().write_all_at(frame, offset) {
            // Cut what a partial write left, so nothing can be buried behind it.
            if self.file().set_len(offset).is_ok() {
                self.allocated = offset;
            }
            return Err(self.poison("write", e));
        }
        let sync_now = match self.durability {
            Durability::EveryAppend => true,
            Durability::Interval(d) => self.last_sync.elapsed() >= d,
            Durability::Manual | Durability::None => false,
        };
        if sync_now {
            let started = Instant::now();
            if let Err(e) = self.file().sync_data() {
                return Err(self.sync_failed(e));
            }
            self.last_sync = Instant::now();
            self.last_sync_cost = self.last_sync.saturating_duration_since(started);
            self.writeback_from = end;
        } else if end.saturating_sub(self.writeback_from) >= WRITEBACK_STEP {
            // A hint (see `FsFile::start_writeback`): a failure changes nothing, the next
            // fdatasync still decides what is durable.
            let _ = self
                .file()
                .start_writeback(self.writeback_from, end - self.writeback_from);
            self.writeback_from = end;
        }
        {
            let mut v = self.view_mut();
            v.segs.active.record_write(frame, first_lsn, offset);
            v.next_lsn = first_lsn + count;
        }
        if sync_now {
            self.durable_lsn = first_lsn + count - 1;
            self.durable_len = offset + len;
        }
        Ok(())
    }

    /// fdatasync the active segment if anything is not yet durable. Returns the durable LSN.
    /// On a read-only handle: [`WalError::ReadOnly`].
    pub fn sync(&mut self) -> Result<Lsn, WalError> {
        self.check_writable()?;
        let (next, len) = {
            let v = self.view();
            (v.next_lsn, v.segs.active.len)
        };
        if self.durable_lsn + 1 < next {
            if let Err(e) = self.file().sync_data() {
                return Err(self.sync_failed(e));
            }
            self.last_sync = Instant::now();
            self.durable_lsn = next - 1;
            self.durable_len = len;
        }
        Ok(Lsn(self.durable_lsn))
    }

    // ---- segments -----------------------------------------------------------------------

    /// Seal the active segment and start the next one. No-op when the active segment is
    /// empty. Costs: a truncate of the preallocated tail, one fdatasync, the metadata file
    /// (write + fdatasync + rename + directory fsync), a create and a second directory fsync.
    ///
    /// If the next segment cannot be created once the seal is durable, the handle is
    /// poisoned: its active segment is recorded as sealed, so no entry may be added to it,
    /// and a reopen continues cleanly after it. The one exception is an empty regular file
    /// already bearing the next segment's name (left by an earlier failed rotation), which
    /// is taken as the new segment.
    pub fn rotate(&mut self) -> Result<(), WalError> {
        self.check_writable()?;
        let (active_seq, active_len, active_name, active_last, next) = {
            let v = self.view();
            if v.segs.active.is_empty() {
                return Ok(());
            }
            (
                v.segs.active.seq,
                v.segs.active.len,
                v.segs.active.name.clone(),
                v.segs.active.last_lsn(),
                v.next_lsn,
            )
        };
        if self.allocated > active_len {
            if let Err(e) = self.file().set_len(active_len) {
                return Err(self.poison("truncate of the preallocated tail", e));
            }
            self.allocated = active_len;
        }
        if let Err(e) = self.file().sync_data() {
            return Err(self.sync_failed(e));
        }
        self.durable_lsn = self.durable_lsn.max(active_last);
        self.durable_len = active_len;
        // The seal records what the segment holds (after a purge past the end, the next LSN
        // is beyond it).
        let meta = self.meta_sealed(active_seq, active_last);
        // The seal is durable (renamed and the directory synced) before the next segment
        // exists: a file system that reorders directory operations must not be able to keep
        // the create and lose the rename.
        self.write_meta(meta)?;
        let new_seq = active_seq + 1;
        let new_name = segment_filename(new_seq);
        let new_file = match self.create_next_segment(&new_name) {
            Ok(f) => f,
            Err(e) => {
                let reason = format!(
                    "creating {new_name} after sealing {active_name} failed ({e}); the sealed segment takes no more entries"
                );
                self.poison_with(reason);
                return Err(e);
            }
        };
        if let Err(e) = self.dir.sync() {
            return Err(self.poison("directory fsync", e));
        }
        {
            let mut v = self.view_mut();
            let mut sealed = std::mem::replace(
                &mut v.segs.active,
                SegmentInfo::new(new_seq, new_name, next),
            );
            sealed.shrink_index();
            v.segs.completed.push(sealed);
        }
        self.file = Some(new_file);
        self.allocated = 0;
        self.durable_len = 0;
        self.writeback_from = 0;
        self.prealloc_failed = false;
        Ok(())
    }

    /// Replace the user data durably. Every entry appended before is made durable first (so
    /// a vote is never durable ahead of the log it covers). Costs: an fdatasync of the log if
    /// anything is pending, one write and one fdatasync of `walogs.user` (the first time, its
    /// creation too). A failure poisons.
    pub fn set_user_data(&mut self, data: &[u8]) -> Result<(), WalError> {
        self.check_writable()?;
        self.sync()?;
        let mut user = std::mem::take(&mut self.user);
        let r = user.write(self.dir.as_ref(), data, self.file_mode);
        self.user = user;
        if let Err(e) = r {
            return Err(self.poison("user data write", e));
        }
        self.view_mut().user_data = Arc::from(data);
        Ok(())
    }

    /// Seal the active segment when it holds entries and all of them are purged.
    pub(crate) fn rotate_past_purged(&mut self) -> Result<(), WalError> {
        let all_purged = {
            let v = self.view();
            !v.segs.active.is_empty() && v.segs.active.last_lsn() <= v.floor
        };
        if all_purged { self.rotate() } else { Ok(()) }
    }

    /// Create the file of the next segment, or adopt an empty regular file of that name.
    fn create_next_segment(&self, name: &str) -> Result<Box<dyn FsFile>, WalError> {
        match self.dir.open(
            name,
            OpenMode::CreateNew {
                mode: self.file_mode,
            },
        ) {
            Ok(f) => Ok(f),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let f = self.dir.open(name, OpenMode::ReadWrite)?;
                if f.len()? != 0 {
                    return Err(WalError::Io(io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        format!(
                            "{} already exists and is not empty",
                            self.dir.path().join(name).display()
                        ),
                    )));
                }
                Ok(f)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The current metadata with a new seal (and this writer's policy flag).
    pub(crate) fn meta_sealed(&self, seq: u64, last: u64) -> Meta {
        Meta {
            sealed_seq: seq,
            sealed_last_lsn: last,
            relaxed: self.relaxed(),
            ..self.meta.unwrap_or_default()
        }
    }

    /// Replace the metadata file and sync the directory; a failure poisons.
    pub(crate) fn write_meta(&mut self, meta: Meta) -> Result<(), WalError> {
        if let Err(e) = meta::write(self.dir.as_ref(), meta, self.file_mode) {
            return Err(self.poison("metadata write", e));
        }
        if let Err(e) = self.dir.sync() {
            return Err(self.poison("directory fsync", e));
        }
        self.meta = Some(meta);
        Ok(())
    }

    /// Cut the preallocated tail and make everything durable, then release the files and
    /// the lock. Idempotent. In a process that is not the one that opened the WAL (a forked
    /// child), nothing is written: the descriptors are only released.
    pub fn close(&mut self) -> Result<(), WalError> {
        if self.closed {
            return Ok(());
        }
        let mut result = Ok(());
        if !self.read_only && self.poisoned.is_none() && self.owner.is_current_strict() {
            let (next, len) = {
                let v = self.view();
                (v.next_lsn, v.segs.active.len)
            };
            let f = self.file();
            let r = (|| {
                if self.allocated > len {
                    f.set_len(len)?;
                }
                f.sync_data()
            })();
            if let Err(e) = r {
                result = Err(self.poison("close", e));
            } else {
                self.durable_lsn = next - 1;
            }
        }
        self.closed = true;
        self.live.close();
        self.file = None;
        self.lock = None;
        result
    }

    // ---- reads --------------------------------------------------------------------------

    pub fn first_lsn(&self) -> u64 {
        self.view().first_lsn()
    }

    pub fn next_lsn(&self) -> u64 {
        self.view().next_lsn
    }
    pub fn durable_lsn(&self) -> u64 {
        self.durable_lsn
    }
    /// How long the fdatasync of the last append that synced took, when every append is
    /// synced (`EveryAppend`); `None` under the relaxed policies, whose appends do not wait
    /// for the disk.
    pub fn append_sync_cost(&self) -> Option<Duration> {
        matches!(self.durability, Durability::EveryAppend).then_some(self.last_sync_cost)
    }
    pub fn report(&self) -> &RecoveryReport {
        &self.report
    }
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }
    pub fn is_closed(&self) -> bool {
        self.closed
    }
    pub fn poisoned(&self) -> Option<&str> {
        self.poisoned.as_deref()
    }
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        let _ = self.close();
    }
}
