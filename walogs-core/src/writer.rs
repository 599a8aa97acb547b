//! The log writer: the state of one open WAL and every operation that changes the directory
//! (append, sync, rotate, checkpoint, truncate, close). Both handles, [`crate::Wal`] and
//! [`crate::SharedWal`], drive one of these.
//!
//! Rules kept here: in-memory state changes only after the I/O that makes it true has
//! succeeded; a failed write or sync poisons the writer; every create, rename and delete is
//! followed by a directory fsync before the operation is reported done.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::config::WalOptions;
use crate::error::WalError;
use crate::frame::{self, MAX_BATCH_SIZE, MAX_ENTRY_SIZE};
use crate::index::SegmentInfo;
use crate::lock::{DirLock, lock_dir};
use crate::meta::{self, Meta};
use crate::reader::{ReadPlan, SegRef, locate_frame};
use crate::recovery::{RecoverOptions, recover};
use crate::segment::segment_filename;
use crate::types::{Durability, Lsn, LsnRange, RecoveryReport, TailState};
use crate::vfs::{FileSystem, FsFile, OpenMode};

/// Preallocation step for the active segment.
const PREALLOC_STEP: u64 = 1024 * 1024;

#[derive(Debug)]
pub(crate) struct LogWriter {
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    max_segment_size: Option<u64>,
    durability: Durability,
    preallocate: bool,
    read_only: bool,
    completed: Vec<SegmentInfo>,
    /// The active segment. For a read-only open of a directory with no segment, a virtual
    /// empty segment with `seq == 0`.
    active: SegmentInfo,
    file: Option<Box<dyn FsFile>>,
    /// Upper bound of the active file's length: frames plus preallocated zeros (some of
    /// which may be missing when a preallocation failed part way).
    allocated: u64,
    /// Bytes of the active segment known durable (the file length at the last good sync).
    durable_len: u64,
    /// Preallocation failed in this segment (disk full): don't retry it on every append.
    prealloc_failed: bool,
    next_lsn: u64,
    durable_lsn: u64,
    last_sync: Instant,
    meta: Option<Meta>,
    poisoned: Option<String>,
    closed: bool,
    report: RecoveryReport,
    scratch: Vec<u8>,
    _lock: Option<DirLock>,
}

/// Create `dir` and any missing parents, syncing each parent after creating a child so the
/// new directory entries survive a power loss.
fn ensure_dir(fs: &dyn FileSystem, dir: &Path) -> Result<(), WalError> {
    match fs.kind(dir)? {
        Some(true) => return Ok(()),
        Some(false) => {
            return Err(WalError::Io(io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("{} exists and is not a directory", dir.display()),
            )));
        }
        None => {}
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    ensure_dir(fs, parent)?;
    match fs.create_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    fs.sync_dir(parent)?;
    Ok(())
}

pub(crate) fn check_entry_size(len: usize) -> Result<(), WalError> {
    if len > MAX_ENTRY_SIZE {
        return Err(WalError::EntryTooLarge {
            size: len,
            max: MAX_ENTRY_SIZE,
        });
    }
    Ok(())
}

/// Check the limits of one frame holding `entries`.
pub(crate) fn check_frame<T: AsRef<[u8]>>(entries: &[T]) -> Result<(), WalError> {
    if entries.is_empty() {
        return Err(WalError::invalid("a batch must hold at least one entry"));
    }
    for e in entries {
        check_entry_size(e.as_ref().len())?;
    }
    if entries.len() > 1 {
        let body = frame::batch_body_len(entries.iter().map(|e| e.as_ref().len()));
        if body > MAX_BATCH_SIZE || entries.len() > u32::MAX as usize {
            return Err(WalError::EntryTooLarge {
                size: body,
                max: MAX_BATCH_SIZE,
            });
        }
    }
    Ok(())
}

impl LogWriter {
    /// Open (and recover) the WAL in `dir`. Costs: a directory listing, a read of every
    /// segment, and for a writable open the lock, possibly a truncation (+ fdatasync), and one
    /// fdatasync of the active segment.
    pub fn open(dir: &Path, opts: WalOptions) -> Result<LogWriter, WalError> {
        let fs = opts.fs.clone();
        let lock = if opts.read_only {
            match fs.kind(dir)? {
                Some(true) => None,
                Some(false) => {
                    return Err(WalError::Io(io::Error::new(
                        io::ErrorKind::NotADirectory,
                        format!("{} is not a directory", dir.display()),
                    )));
                }
                None => {
                    return Err(WalError::Io(io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("{} does not exist", dir.display()),
                    )));
                }
            }
        } else {
            ensure_dir(fs.as_ref(), dir)?;
            Some(lock_dir(fs.as_ref(), dir)?)
        };
        let rec = recover(
            fs.as_ref(),
            dir,
            RecoverOptions {
                read_only: opts.read_only,
                salvage: opts.salvage,
            },
        )?;
        let mut segments = rec.segments;
        let active = segments
            .pop()
            .unwrap_or_else(|| SegmentInfo::new(0, String::new(), rec.next_lsn));
        let file = if opts.read_only {
            None
        } else {
            let f = fs.open(&dir.join(&active.name), OpenMode::ReadWrite)?;
            // Whatever a crashed writer left in the page cache is durable from here on, and so
            // are the directory entries (an earlier open or rotation may have failed between
            // creating an entry and syncing its directory).
            f.sync_data()?;
            fs.sync_dir(dir)?;
            match dir.parent() {
                Some(p) if !p.as_os_str().is_empty() => fs.sync_dir(p)?,
                _ => fs.sync_dir(Path::new("."))?,
            }
            Some(f)
        };
        let mut w = LogWriter {
            fs,
            dir: dir.to_path_buf(),
            max_segment_size: opts.max_segment_size,
            durability: opts.durability,
            preallocate: opts.preallocate,
            read_only: opts.read_only,
            allocated: active.len,
            durable_len: active.len,
            prealloc_failed: false,
            completed: segments,
            active,
            file,
            next_lsn: rec.next_lsn,
            durable_lsn: rec.next_lsn - 1,
            last_sync: Instant::now(),
            meta: rec.meta,
            poisoned: None,
            closed: false,
            report: rec.report,
            scratch: Vec::new(),
            _lock: lock,
        };
        if !w.read_only {
            w.record_policy()?;
        }
        Ok(w)
    }

    /// Whether this writer may leave more than one unsynced frame (see `Meta::relaxed`).
    fn relaxed(&self) -> bool {
        !self.durability.syncs_every_append()
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

    fn check_open(&self) -> Result<(), WalError> {
        if self.closed {
            return Err(WalError::Closed);
        }
        Ok(())
    }

    fn check_writable(&self) -> Result<(), WalError> {
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
    fn sync_failed(&mut self, e: io::Error) -> WalError {
        if let Some(f) = self.file.as_deref()
            && f.set_len(self.durable_len).is_ok()
        {
            let _ = f.sync_data();
            self.allocated = self.durable_len;
        }
        self.poison("fdatasync", e)
    }

    /// Poison the writer from outside (a failed group commit of [`crate::SharedWal`]).
    pub fn poison_with(&mut self, reason: String) {
        if self.poisoned.is_none() {
            self.poisoned = Some(reason);
        }
    }

    /// Record the first failure; the writer refuses every later mutation.
    fn poison(&mut self, what: &str, e: io::Error) -> WalError {
        if self.poisoned.is_none() {
            self.poisoned = Some(format!("{what} failed: {e}"));
        }
        WalError::Io(e)
    }

    fn file(&self) -> &dyn FsFile {
        self.file
            .as_deref()
            .expect("writable handle has an active file")
    }

    fn seg_path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    // ---- appends ------------------------------------------------------------------------

    /// Append `entries` as one frame (plain for one entry, batch otherwise): one write and,
    /// under [`Durability::EveryAppend`], one fdatasync.
    pub fn append_entries<T: AsRef<[u8]>>(&mut self, entries: &[T]) -> Result<LsnRange, WalError> {
        check_frame(entries)?;
        self.check_writable()?;
        let first = self.next_lsn;
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
            check_entry_size(e.as_ref().len())?;
        }
        let first = self.next_lsn;
        let mut rest = entries;
        while !rest.is_empty() {
            let mut body = 4usize;
            let n = rest
                .iter()
                .take_while(|e| {
                    body += 4 + e.as_ref().len();
                    body <= MAX_BATCH_SIZE
                })
                .count()
                .max(1);
            self.append_entries(&rest[..n])?;
            rest = &rest[n..];
        }
        Ok(LsnRange {
            first: Lsn(first),
            last: Lsn(self.next_lsn - 1),
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
        debug_assert_eq!(first_lsn, self.next_lsn);
        let len = frame.len() as u64;
        if let Some(max) = self.max_segment_size
            && self.active.len > 0
            && self.active.len + len > max
        {
            self.rotate()?;
        }
        let offset = self.active.len;
        let end = offset + len;
        if self.preallocate && !self.prealloc_failed && end > self.allocated {
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
            if let Err(e) = self.file().sync_data() {
                return Err(self.sync_failed(e));
            }
            self.last_sync = Instant::now();
        }
        self.active.record(first_lsn, count, offset, len);
        self.next_lsn = first_lsn + count;
        if sync_now {
            self.durable_lsn = self.next_lsn - 1;
            self.durable_len = self.active.len;
        }
        Ok(())
    }

    /// fdatasync the active segment if anything is not yet durable. Returns the durable LSN.
    pub fn sync(&mut self) -> Result<Lsn, WalError> {
        self.check_open()?;
        if self.read_only {
            return Ok(Lsn(self.durable_lsn));
        }
        self.check_writable()?;
        if self.durable_lsn + 1 < self.next_lsn {
            if let Err(e) = self.file().sync_data() {
                return Err(self.sync_failed(e));
            }
            self.last_sync = Instant::now();
            self.durable_lsn = self.next_lsn - 1;
            self.durable_len = self.active.len;
        }
        Ok(Lsn(self.durable_lsn))
    }

    // ---- segments -----------------------------------------------------------------------

    /// Seal the active segment and start the next one. No-op when the active segment is
    /// empty. Costs: a truncate of the preallocated tail, one fdatasync, the metadata file
    /// (write + fdatasync + rename + directory fsync), a create and a second directory fsync.
    pub fn rotate(&mut self) -> Result<(), WalError> {
        self.check_writable()?;
        if self.active.is_empty() {
            return Ok(());
        }
        if self.allocated > self.active.len {
            if let Err(e) = self.file().set_len(self.active.len) {
                return Err(self.poison("truncate of the preallocated tail", e));
            }
            self.allocated = self.active.len;
        }
        if let Err(e) = self.file().sync_data() {
            return Err(self.sync_failed(e));
        }
        self.durable_lsn = self.next_lsn - 1;
        self.durable_len = self.active.len;
        let meta = Meta {
            sealed_seq: self.active.seq,
            sealed_last_lsn: self.next_lsn - 1,
            relaxed: self.relaxed(),
        };
        // The seal is durable (renamed and the directory synced) before the next segment
        // exists: a file system that reorders directory operations must not be able to keep
        // the create and lose the rename. From here the in-memory seal matches the disk, so
        // a failed create below leaves a usable handle whose active segment is the sealed
        // one (recovery accepts an active segment at or past its seal).
        self.write_meta(meta)?;
        let new_seq = self.active.seq + 1;
        let new_name = segment_filename(new_seq);
        let new_file = self
            .fs
            .open(&self.seg_path(&new_name), OpenMode::CreateNew)?;
        if let Err(e) = self.fs.sync_dir(&self.dir) {
            return Err(self.poison("directory fsync", e));
        }
        let sealed = std::mem::replace(
            &mut self.active,
            SegmentInfo::new(new_seq, new_name, self.next_lsn),
        );
        self.completed.push(sealed);
        self.file = Some(new_file);
        self.allocated = 0;
        self.durable_len = 0;
        self.prealloc_failed = false;
        Ok(())
    }

    /// Make sure the metadata file records a seal at least as new as the newest completed
    /// segment (directories written by walogs 0.1 have none), so that deleting segments can
    /// never let an LSN be handed out twice.
    fn record_newest_seal(&mut self) -> Result<(), WalError> {
        let Some(newest) = self.completed.last() else {
            return Ok(());
        };
        if self.meta.is_some_and(|m| m.sealed_seq >= newest.seq) {
            return Ok(());
        }
        let meta = Meta {
            sealed_seq: newest.seq,
            sealed_last_lsn: newest.last_lsn(),
            relaxed: self.relaxed(),
        };
        self.write_meta(meta)
    }

    /// Replace the metadata file and sync the directory; a failure poisons.
    fn write_meta(&mut self, meta: Meta) -> Result<(), WalError> {
        if let Err(e) = meta::write(self.fs.as_ref(), &self.dir, meta) {
            return Err(self.poison("metadata write", e));
        }
        if let Err(e) = self.fs.sync_dir(&self.dir) {
            return Err(self.poison("directory fsync", e));
        }
        self.meta = Some(meta);
        Ok(())
    }

    /// Delete, oldest first, every completed segment whose entries all have
    /// `lsn <= applied_up_to`. Costs one unlink and one directory fsync per segment.
    pub fn checkpoint(&mut self, applied_up_to: Lsn) -> Result<usize, WalError> {
        self.check_writable()?;
        if applied_up_to.0 == 0 {
            return Ok(0);
        }
        let n = self
            .completed
            .iter()
            .take_while(|s| s.is_empty() || s.last_lsn() <= applied_up_to.0)
            .count();
        if n == 0 {
            return Ok(0);
        }
        self.record_newest_seal()?;
        for _ in 0..n {
            let path = self.seg_path(&self.completed[0].name);
            match self.fs.remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
            if let Err(e) = self.fs.sync_dir(&self.dir) {
                return Err(self.poison("directory fsync", e));
            }
            self.completed.remove(0);
        }
        Ok(n)
    }

    /// Remove every entry after `keep_up_to`, durably; the next append gets
    /// `keep_up_to + 1`. Returns how many entries were removed.
    pub fn truncate_after(&mut self, keep_up_to: Lsn) -> Result<u64, WalError> {
        self.check_writable()?;
        let first = self.first_lsn();
        let target = keep_up_to.0.saturating_add(1);
        if target >= self.next_lsn {
            return Ok(0);
        }
        if target < first {
            return Err(WalError::LsnOutOfRange {
                lsn: keep_up_to.0,
                first,
                next: self.next_lsn,
            });
        }
        let in_active = self.active.contains(target);
        let seg = if in_active {
            &self.active
        } else {
            self.completed
                .iter()
                .find(|s| s.contains(target))
                .expect("an LSN between first and next lies in some segment")
        };
        let (offset, frame_first, frame_count) =
            locate_frame(self.fs.as_ref(), &self.seg_path(&seg.name), seg, target)?;
        if frame_first != target {
            return Err(WalError::invalid(format!(
                "LSN {target} is inside an atomic batch holding LSN {frame_first}..={}; \
                 truncate after {} or after {} instead",
                frame_first + frame_count - 1,
                frame_first - 1,
                frame_first + frame_count - 1
            )));
        }
        let removed = self.next_lsn - target;
        if in_active {
            // An interrupted rotation may have recorded the active segment as sealed; never
            // leave a seal above what the segment will hold.
            if let Some(m) = self.meta
                && m.sealed_seq >= self.active.seq
                && m.sealed_last_lsn >= target
            {
                self.write_meta(Meta {
                    sealed_seq: self.active.seq - 1,
                    sealed_last_lsn: self.active.first_lsn - 1,
                    relaxed: m.relaxed,
                })?;
            }
            if let Err(e) = self.file().set_len(offset) {
                return Err(self.poison("truncate", e));
            }
            self.allocated = offset;
            if let Err(e) = self.file().sync_data() {
                return Err(self.poison("fdatasync", e));
            }
            self.active.cut(offset, target);
            self.durable_len = offset;
        } else {
            let k = self
                .completed
                .iter()
                .position(|s| s.contains(target))
                .expect("found above");
            let seq = self.completed[k].seq;
            let meta = Meta {
                sealed_seq: seq - 1,
                sealed_last_lsn: self.completed[k].first_lsn - 1,
                relaxed: self.relaxed(),
            };
            self.write_meta(meta)?;
            // Newest first, one directory fsync each, so the segment numbers stay contiguous
            // at every point a crash could stop us.
            self.file = None;
            let doomed: Vec<String> = std::iter::once(self.active.name.clone())
                .chain(self.completed[k + 1..].iter().rev().map(|s| s.name.clone()))
                .collect();
            for name in doomed {
                let r = self
                    .fs
                    .remove_file(&self.seg_path(&name))
                    .and_then(|()| self.fs.sync_dir(&self.dir));
                if let Err(e) = r {
                    return Err(self.poison("segment removal during truncate", e));
                }
            }
            let mut kept = self.completed.remove(k);
            self.completed.truncate(k);
            let f = match self
                .fs
                .open(&self.seg_path(&kept.name), OpenMode::ReadWrite)
            {
                Ok(f) => f,
                Err(e) => return Err(self.poison("reopen during truncate", e)),
            };
            if let Err(e) = f.set_len(offset).and_then(|()| f.sync_data()) {
                return Err(self.poison("truncate", e));
            }
            kept.cut(offset, target);
            self.active = kept;
            self.file = Some(f);
            self.allocated = offset;
            self.durable_len = offset;
        }
        self.next_lsn = target;
        self.durable_lsn = self.durable_lsn.min(target - 1);
        Ok(removed)
    }

    /// Cut the preallocated tail and make everything durable, then release the files and
    /// the lock. Idempotent.
    pub fn close(&mut self) -> Result<(), WalError> {
        if self.closed {
            return Ok(());
        }
        let mut result = Ok(());
        if !self.read_only && self.poisoned.is_none() {
            let f = self.file();
            let r = (|| {
                if self.allocated > self.active.len {
                    f.set_len(self.active.len)?;
                }
                f.sync_data()
            })();
            if let Err(e) = r {
                result = Err(self.poison("close", e));
            } else {
                self.durable_lsn = self.next_lsn - 1;
            }
        }
        self.closed = true;
        self.file = None;
        self._lock = None;
        result
    }

    // ---- reads --------------------------------------------------------------------------

    pub fn first_lsn(&self) -> u64 {
        self.completed
            .iter()
            .chain(std::iter::once(&self.active))
            .find(|s| !s.is_empty())
            .map_or(self.next_lsn, |s| s.first_lsn)
    }

    fn all_segments(&self) -> impl Iterator<Item = &SegmentInfo> {
        self.completed
            .iter()
            .chain(std::iter::once(&self.active).filter(|a| a.seq != 0))
    }

    /// A snapshot of where entries `from..next_lsn` are, for an iterator.
    pub fn plan(&self, from: u64) -> Result<ReadPlan, WalError> {
        self.check_open()?;
        let first = self.first_lsn();
        if from < first || from > self.next_lsn {
            return Err(WalError::LsnOutOfRange {
                lsn: from,
                first,
                next: self.next_lsn,
            });
        }
        let segs: Vec<SegRef> = self
            .all_segments()
            .filter(|s| !s.is_empty() && s.next_lsn > from)
            .map(|s| SegRef {
                path: self.seg_path(&s.name),
                name: s.name.clone(),
                next_lsn: s.next_lsn,
                start: if s.contains(from) {
                    s.seek_offset(from)
                } else {
                    0
                },
                len: s.len,
            })
            .collect();
        Ok(ReadPlan {
            fs: self.fs.clone(),
            segments: segs,
            from,
        })
    }

    /// The segment holding `lsn`, or an out-of-range error.
    pub fn segment_of(&self, lsn: u64) -> Result<SegRef, WalError> {
        self.check_open()?;
        let s = self
            .all_segments()
            .find(|s| s.contains(lsn))
            .ok_or(WalError::LsnOutOfRange {
                lsn,
                first: self.first_lsn(),
                next: self.next_lsn,
            })?;
        Ok(SegRef {
            path: self.seg_path(&s.name),
            name: s.name.clone(),
            next_lsn: s.next_lsn,
            start: s.seek_offset(lsn),
            len: s.len,
        })
    }

    pub fn fs(&self) -> &Arc<dyn FileSystem> {
        &self.fs
    }
    pub fn next_lsn(&self) -> u64 {
        self.next_lsn
    }
    pub fn durable_lsn(&self) -> u64 {
        self.durable_lsn
    }
    pub fn segment_count(&self) -> usize {
        self.all_segments().count()
    }
    pub fn tail_state(&self) -> TailState {
        self.report.tail
    }
    pub fn report(&self) -> &RecoveryReport {
        &self.report
    }
    pub fn dir(&self) -> &Path {
        &self.dir
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
    pub fn syncs_every_append(&self) -> bool {
        self.durability.syncs_every_append()
    }
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        let _ = self.close();
    }
}
