//! Readers: the 0.1 iterator ([`WalIter`], owned entries), a cursor that lends each entry
//! without allocating ([`WalCursor`]), and reading one entry by LSN. All of them read a
//! snapshot of the segment list taken when they were created, through their own file
//! handles, so they never disturb the writer.
//!
//! One rule for every reader: once its WAL is closed, the next call returns
//! [`WalError::Closed`] (and then the reader ends); in a forked child it returns
//! [`WalError::Forked`].

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::error::{Damage, DamageKind, WalError};
use crate::files::ReadFiles;
use crate::fork::ProcessOwner;
use crate::frame::{BatchEntries, FRAME_HEADER_SIZE, FrameKind, Header, verify};
use crate::index::SegmentInfo;
use crate::scan::{FrameReader, Step};
use crate::types::Lsn;
use crate::vfs::{Dir, FsFile, OpenMode};

/// What readers need to know about their WAL while they run: whether it was closed, and
/// which process opened it.
#[derive(Debug)]
pub(crate) struct Live {
    owner: ProcessOwner,
    closed: AtomicBool,
    poisoned: AtomicBool,
    /// The purge floor: every LSN at or below it is gone.
    floor: AtomicU64,
    /// Truncations so far, and the targets of the latest ones (generation, first LSN
    /// removed): a reader past a cut made after it started must not read on (the bytes it
    /// would read are gone or belong to other entries now).
    cuts: AtomicU64,
    recent_cuts: std::sync::Mutex<std::collections::VecDeque<(u64, u64)>>,
}

/// Truncations remembered for readers; a reader older than all of them fails conservatively.
const REMEMBERED_CUTS: usize = 64;

impl Live {
    pub fn new(owner: ProcessOwner, floor: u64) -> Live {
        Live {
            owner,
            closed: AtomicBool::new(false),
            poisoned: AtomicBool::new(false),
            floor: AtomicU64::new(floor),
            cuts: AtomicU64::new(0),
            recent_cuts: std::sync::Mutex::new(std::collections::VecDeque::new()),
        }
    }

    /// Record a truncation that removed every entry from `target` on.
    pub fn cut(&self, target: u64) {
        let mut recent = self.recent_cuts.lock().unwrap_or_else(|p| p.into_inner());
        let generation = self.cuts.load(Ordering::Acquire) + 1;
        recent.push_back((generation, target));
        if recent.len() > REMEMBERED_CUTS {
            recent.pop_front();
        }
        self.cuts.store(generation, Ordering::Release);
    }

    /// `Err(LsnOutOfRange)` when `lsn` was purged (at or below the floor).
    pub fn check_still_readable(&self, lsn: u64) -> Result<(), WalError> {
        let floor = self.floor();
        if lsn <= floor {
            return Err(WalError::LsnOutOfRange {
                lsn,
                first: floor + 1,
                next: floor + 1,
            });
        }
        Ok(())
    }

    /// Truncations so far. Lock-free.
    pub fn cut_generation(&self) -> u64 {
        self.cuts.load(Ordering::Acquire)
    }

    /// The lowest first-removed LSN of the truncations after generation `since` (0 when a
    /// truncation that old is no longer remembered: treat everything as cut).
    pub fn lowest_cut_since(&self, since: u64) -> u64 {
        let recent = self.recent_cuts.lock().unwrap_or_else(|p| p.into_inner());
        if recent.front().is_none_or(|&(g, _)| g > since + 1) {
            return 0;
        }
        recent
            .iter()
            .filter(|&&(g, _)| g > since)
            .map(|&(_, t)| t)
            .min()
            .unwrap_or(u64::MAX)
    }

    /// Raise the purge floor readers check.
    pub fn set_floor(&self, floor: u64) {
        self.floor.fetch_max(floor, Ordering::AcqRel);
    }

    /// The purge floor. Lock-free.
    pub fn floor(&self) -> u64 {
        self.floor.load(Ordering::Acquire)
    }

    /// Mark the WAL closed: every reader's next call fails with `Closed`.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }

    /// Record that the writer was poisoned (readers go on reading what is verified).
    pub fn poison(&self) {
        self.poisoned.store(true, Ordering::Release);
    }

    /// Whether the writer was poisoned. Lock-free.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned.load(Ordering::Acquire)
    }

    /// `Err` when readers may no longer read: the WAL is closed, or this is a forked child.
    #[inline]
    pub fn check(&self) -> Result<(), WalError> {
        self.owner.check()?;
        if self.closed.load(Ordering::Acquire) {
            return Err(WalError::Closed);
        }
        Ok(())
    }
}

/// One segment as a reader sees it.
#[derive(Debug, Clone)]
pub(crate) struct SegRef {
    pub name: Arc<str>,
    pub next_lsn: u64,
    /// Offset of a frame at or before the first wanted entry.
    pub start: u64,
    /// Bytes of valid frames when the snapshot was taken.
    pub len: u64,
}

/// Which segments hold entries `from..` and where to start.
#[derive(Debug)]
pub(crate) struct ReadPlan {
    pub files: Arc<ReadFiles>,
    pub live: Arc<Live>,
    /// The truncations made before the plan (taken with it, under the view lock).
    pub cuts_seen: u64,
    pub segments: Vec<SegRef>,
    pub from: u64,
    /// The reader asked for "everything from the oldest entry": when a purge overtakes it,
    /// it goes on from the new oldest entry instead of failing.
    pub from_oldest: bool,
}

impl ReadPlan {
    /// Mark the plan as "from the oldest entry".
    pub fn starting_at_oldest(mut self) -> ReadPlan {
        self.from_oldest = true;
        self
    }
}

fn open_segment(dir: &dyn Dir, seg: &SegRef) -> Result<Box<dyn FsFile>, WalError> {
    dir.open(&seg.name, OpenMode::Read).map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            WalError::Io(io::Error::new(
                e.kind(),
                format!(
                    "cannot open {} (removed by a checkpoint or truncate since the reader started?): {e}",
                    dir.path().join(&*seg.name).display()
                ),
            ))
        } else {
            WalError::from(e)
        }
    })
}

fn damaged(seg: &SegRef, offset: u64) -> WalError {
    WalError::corrupt(
        Damage::new(
            DamageKind::ChangedWhileReading,
            format!(
                "{} is damaged at offset {offset} (found while reading; it was valid when the WAL was opened)",
                seg.name
            ),
        )
        .at(&seg.name, offset),
    )
}

/// Find the frame of segment `info` holding `lsn`: `(offset, its first LSN, its kind)`.
pub(crate) fn locate_frame(
    dir: &dyn Dir,
    info: &SegmentInfo,
    lsn: u64,
) -> Result<(u64, u64, FrameKind), WalError> {
    let seg = SegRef {
        name: info.name.clone(),
        next_lsn: info.next_lsn,
        start: info.seek_offset(lsn),
        len: info.len,
    };
    let file = open_segment(dir, &seg)?;
    let mut r = FrameReader::new(seg.start, seg.len);
    loop {
        match r.next_frame(file.as_ref())? {
            Step::Frame {
                offset,
                first_lsn,
                kind,
                ..
            } if lsn < first_lsn + kind.entries() => return Ok((offset, first_lsn, kind)),
            Step::Frame { .. } => {}
            Step::End => return Err(damaged(&seg, r.position())),
            Step::Damaged { offset } => return Err(damaged(&seg, offset)),
        }
    }
}

/// A cursor over entries in LSN order that lends each payload (`&[u8]` into its own buffer)
/// instead of allocating: no allocation per entry, memory bounded by one read chunk
/// (256 KiB) plus the largest frame. Created by `cursor_from`.
///
/// Sees the entries that existed when it was created. Damage met while reading is an
/// `Err` item (then the cursor ends). Entries removed in the meantime: a purge makes a
/// cursor over the whole log (`iter`, `cursor`) go on from the new
/// oldest entry, and any other cursor that reaches a purged entry returns
/// `Err(LsnOutOfRange)`; reaching an entry `truncate_after` removed is `Err(LsnOutOfRange)`;
/// a segment `checkpoint` deleted is an `Err` item (I/O error naming the file).
pub struct WalCursor {
    plan: ReadPlan,
    /// Truncations of the log when the cursor was made.
    cuts_seen: u64,
    seg: usize,
    file: Option<Arc<dyn FsFile>>,
    reader: FrameReader,
    /// Next LSN to hand out.
    next: u64,
    /// Entries of the current frame: first LSN, byte ranges in the frame body.
    frame_first: u64,
    ranges: Vec<(usize, usize)>,
    pos: usize,
    done: bool,
}

impl std::fmt::Debug for WalCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WalCursor")
            .field("next", &self.next)
            .field("done", &self.done)
            .finish()
    }
}

impl WalCursor {
    pub(crate) fn new(plan: ReadPlan) -> Self {
        let next = plan.from;
        WalCursor {
            cuts_seen: plan.cuts_seen,
            plan,
            seg: 0,
            file: None,
            reader: FrameReader::new(0, 0),
            next,
            frame_first: 0,
            ranges: Vec::new(),
            pos: 0,
            done: false,
        }
    }

    /// LSN of the entry the next call returns (if there is one).
    pub fn next_lsn(&self) -> Lsn {
        Lsn(self.next)
    }

    fn fail(&mut self, e: WalError) -> Option<Result<(Lsn, &[u8]), WalError>> {
        self.done = true;
        // Damage met after a truncation that started after this reader is the truncation's
        // doing: the entries from the cut on are gone.
        if let WalError::Corrupt { .. } = &e
            && self.plan.live.cut_generation() != self.cuts_seen
        {
            let lowest = self.plan.live.lowest_cut_since(self.cuts_seen);
            return Some(Err(WalError::LsnOutOfRange {
                lsn: self.next,
                first: self.plan.live.floor() + 1,
                next: lowest.min(self.next),
            }));
        }
        Some(Err(e))
    }

    /// Bring the position in line with what happened to the log since the reader started:
    /// `Err` when the next entry was truncated, or purged and the reader does not follow
    /// the oldest entry; a reader that follows it skips to the new oldest entry.
    fn settle(&mut self) -> Result<(), WalError> {
        // Entries truncated since the reader started are gone (their LSNs may name other
        // entries by now): the reader stops there with an error instead of reading on.
        if self.plan.live.cut_generation() != self.cuts_seen {
            let lowest = self.plan.live.lowest_cut_since(self.cuts_seen);
            if self.next >= lowest {
                return Err(WalError::LsnOutOfRange {
                    lsn: self.next,
                    first: self.plan.live.floor() + 1,
                    next: lowest,
                });
            }
        }
        // Entries purged since the reader started are not read again.
        let floor = self.plan.live.floor();
        if self.next <= floor {
            if !self.plan.from_oldest {
                return Err(WalError::LsnOutOfRange {
                    lsn: self.next,
                    first: floor + 1,
                    next: self.plan.segments.last().map_or(floor + 1, |s| s.next_lsn),
                });
            }
            self.next = floor + 1;
            while self
                .plan
                .segments
                .get(self.seg)
                .is_some_and(|s| s.next_lsn <= self.next)
            {
                self.seg += 1;
                self.file = None;
                self.ranges.clear();
            }
        }
        Ok(())
    }

    /// The next entry, borrowed until the next call; `None` at the end. After the WAL was
    /// closed: one `Err(Closed)`, then `None`.
    #[allow(clippy::should_implement_trait)]
    pub fn next_entry(&mut self) -> Option<Result<(Lsn, &[u8]), WalError>> {
        if self.done {
            return None;
        }
        if let Err(e) = self.plan.live.check() {
            return self.fail(e);
        }
        if let Err(e) = self.settle() {
            return self.fail(e);
        }
        loop {
            if self.done {
                return None;
            }
            if self.pos < self.ranges.len() {
                let lsn = self.frame_first + self.pos as u64;
                let (a, b) = self.ranges[self.pos];
                self.pos += 1;
                if lsn < self.next {
                    continue;
                }
                self.next = lsn + 1;
                return Some(Ok((Lsn(lsn), &self.reader.body()[a..b])));
            }
            let Some(seg) = self.plan.segments.get(self.seg).cloned() else {
                self.done = true;
                return None;
            };
            if self.file.is_none() {
                match self.plan.files.get(&seg.name) {
                    Ok(f) => self.file = Some(f),
                    Err(WalError::Io(e)) if e.kind() == io::ErrorKind::NotFound => {
                        // A purge or truncation that began after the checks above removed
                        // the file: it moved the floor or recorded its cut before the
                        // unlink, so looking again says where to go on (or why not).
                        let before = (self.next, self.seg);
                        if let Err(moved) = self.settle() {
                            return self.fail(moved);
                        }
                        if (self.next, self.seg) == before {
                            return self.fail(WalError::Io(e));
                        }
                        continue;
                    }
                    Err(e) => return self.fail(e),
                }
                self.reader = FrameReader::new(seg.start, seg.len);
            }
            let file = self.file.as_deref().expect("opened above");
            match self.reader.next_frame(file) {
                Err(e) => return self.fail(e.into()),
                Ok(Step::End) => {
                    if self.next < seg.next_lsn {
                        return self.fail(damaged(&seg, self.reader.position()));
                    }
                    self.file = None;
                    self.seg += 1;
                }
                Ok(Step::Damaged { offset }) => return self.fail(damaged(&seg, offset)),
                Ok(Step::Frame {
                    offset,
                    first_lsn,
                    kind,
                    ..
                }) => {
                    if first_lsn + kind.entries() <= self.next {
                        continue;
                    }
                    if first_lsn > self.next {
                        return self.fail(WalError::corrupt(
                            Damage::new(
                                DamageKind::ChangedWhileReading,
                                format!(
                                    "LSN discontinuity in {} at offset {offset}: found LSN {first_lsn}, expected {}",
                                    seg.name, self.next
                                ),
                            )
                            .at(&seg.name, offset)
                            .last_good(self.next - 1),
                        ));
                    }
                    self.ranges.clear();
                    self.pos = 0;
                    self.frame_first = first_lsn;
                    let body = self.reader.body();
                    if let FrameKind::Batch { .. } = kind {
                        let Some(entries) = BatchEntries::new(body) else {
                            return self.fail(damaged(&seg, offset));
                        };
                        let base = body.as_ptr() as usize;
                        for e in entries {
                            let a = e.as_ptr() as usize - base;
                            self.ranges.push((a, a + e.len()));
                        }
                    } else {
                        let start = body.len() - self.reader.payload().len();
                        self.ranges.push((start, body.len()));
                    }
                }
            }
        }
    }
}

/// Iterator over `(Lsn, Vec<u8>)` in LSN order across all segments (the 0.1 iterator).
///
/// Sees the entries that existed when it was created. Damage met while reading (a segment
/// changed after open) is an `Err` item, after which the iterator ends; it never ends
/// silently early.
#[derive(Debug)]
pub struct WalIter {
    inner: Result<WalCursor, Option<WalError>>,
}

impl WalIter {
    pub(crate) fn new(plan: Result<ReadPlan, WalError>) -> Self {
        WalIter {
            inner: plan.map(WalCursor::new).map_err(Some),
        }
    }
}

impl Iterator for WalIter {
    type Item = Result<(Lsn, Vec<u8>), WalError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.inner {
            Ok(c) => c.next_entry().map(|r| r.map(|(l, d)| (l, d.to_vec()))),
            Err(e) => e.take().map(Err),
        }
    }
}

thread_local! {
    /// The window buffer of point reads on this thread (grown, never shrunk below a few
    /// pages, so a read zeroes nothing).
    static WINDOW: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Read the one entry `lsn` of segment `seg`: one `pread` of the span `[seg.start, span_end)`
/// from the index point to the next (which holds the entry's frame), the frames before it
/// skipped by their length fields, the entry's own frame verified (CRC, LSN). Allocates only
/// the result.
pub(crate) fn read_entry(
    files: &ReadFiles,
    live: &Live,
    cuts_seen: u64,
    seg: SegRef,
    span_end: u64,
    lsn: u64,
) -> Result<Vec<u8>, WalError> {
    WINDOW.with(|w| match w.try_borrow_mut() {
        Ok(mut buf) => read_entry_into(&mut buf, files, live, cuts_seen, seg, span_end, lsn),
        // Re-entered (cannot happen today): use a buffer of its own.
        Err(_) => read_entry_into(&mut Vec::new(), files, live, cuts_seen, seg, span_end, lsn),
    })
}

/// A window of a file: `buf[..have]` holds the bytes at `base..`.
struct Window<'a> {
    buf: &'a mut Vec<u8>,
    base: u64,
    have: usize,
}

impl Window<'_> {
    /// Make `[off, off + n)` available, reading from `off` to `upto` (or further, for a frame
    /// reaching past it) without passing `limit`; whether it is.
    fn fill(
        &mut self,
        file: &dyn FsFile,
        off: u64,
        n: usize,
        upto: u64,
        limit: u64,
    ) -> Result<bool, WalError> {
        let end = off.saturating_add(n as u64);
        if end > limit {
            return Ok(false);
        }
        if off >= self.base && end <= self.base + self.have as u64 {
            return Ok(true);
        }
        let want = (upto.max(end).min(limit) - off) as usize;
        if self.buf.len() < want {
            self.buf.resize(want.next_power_of_two(), 0);
        }
        let got = crate::vfs::read_full_at(file, &mut self.buf[..want], off)?;
        self.base = off;
        self.have = got;
        Ok(got >= n)
    }

    /// The bytes at `[off, off + n)`, which [`Window::fill`] made available.
    fn at(&self, off: u64, n: usize) -> &[u8] {
        let a = (off - self.base) as usize;
        &self.buf[a..a + n]
    }
}

fn read_entry_into(
    buf: &mut Vec<u8>,
    files: &ReadFiles,
    live: &Live,
    cuts_seen: u64,
    seg: SegRef,
    span_end: u64,
    lsn: u64,
) -> Result<Vec<u8>, WalError> {
    live.check()?;
    // Bytes that do not verify after a truncation that started after the lookup are the
    // truncation's doing (the entry is gone), not damage.
    let damaged = |seg: &SegRef, off: u64| {
        if live.cut_generation() != cuts_seen {
            WalError::LsnOutOfRange {
                lsn,
                first: live.floor() + 1,
                next: lsn,
            }
        } else {
            damaged(seg, off)
        }
    };
    let file = files.get(&seg.name)?;
    let file = file.as_ref();
    let mut w = Window {
        buf,
        base: seg.start,
        have: 0,
    };
    let mut off = seg.start;
    loop {
        if !w.fill(file, off, FRAME_HEADER_SIZE, span_end, seg.len)? {
            return Err(damaged(&seg, off));
        }
        let header = Header::parse(w.at(off, FRAME_HEADER_SIZE));
        if !header.len_ok() {
            return Err(damaged(&seg, off));
        }
        let frame_len = header.frame_len() as usize;
        let first = header.first_lsn();
        if first > lsn {
            return Err(damaged(&seg, off));
        }
        if !header.is_batch() && first < lsn {
            // A one-entry frame before the wanted one: skip it by its length.
            off += frame_len as u64;
            continue;
        }
        if !w.fill(file, off, frame_len, span_end, seg.len)? {
            return Err(damaged(&seg, off));
        }
        let body = &w.at(off, frame_len)[FRAME_HEADER_SIZE..];
        let Some(kind) = verify(&header, body) else {
            return Err(damaged(&seg, off));
        };
        let entry = match kind {
            FrameKind::Batch { count } if lsn >= first + count => {
                off += frame_len as u64;
                continue;
            }
            FrameKind::Batch { .. } => {
                match BatchEntries::new(body).and_then(|mut e| e.nth((lsn - first) as usize)) {
                    Some(e) => e,
                    None => return Err(damaged(&seg, off)),
                }
            }
            FrameKind::Plain | FrameKind::Member { .. } => &body[header.payload_start()..],
        };
        let out = entry.to_vec();
        // A purge may have overtaken the lookup.
        live.check_still_readable(lsn)?;
        return Ok(out);
    }
}

/// Up to `max_entries` consecutive entries from the plan's start, stopping before the total
/// payload would exceed `max_bytes` (but always at least one entry when there is one).
pub(crate) fn read_range(
    plan: ReadPlan,
    max_entries: usize,
    max_bytes: usize,
) -> Result<Vec<(Lsn, Vec<u8>)>, WalError> {
    let mut c = WalCursor::new(plan);
    let mut out = Vec::new();
    let mut bytes = 0usize;
    while out.len() < max_entries {
        match c.next_entry() {
            None => break,
            Some(Err(e)) => return Err(e),
            Some(Ok((lsn, data))) => {
                if !out.is_empty() && bytes.saturating_add(data.len()) > max_bytes {
                    break;
                }
                bytes += data.len();
                out.push((lsn, data.to_vec()));
            }
        }
    }
    Ok(out)
}
