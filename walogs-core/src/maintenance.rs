//! Whole-log maintenance on the writer: deleting applied segments (`checkpoint`) and cutting
//! the newest entries (`truncate_after`). Each keeps `walogs.meta` ahead of the segment files
//! so that a crash at any step leaves a directory the next open accepts, with no LSN reused.

use std::io;

use crate::error::WalError;
use crate::frame::FrameKind;
use crate::reader::locate_frame;
use crate::types::Lsn;
use crate::writer::LogWriter;

impl LogWriter {
    /// Make sure the metadata file records a seal at least as new as the newest completed
    /// segment (directories written by walogs 0.1 have none), so that deleting segments can
    /// never let an LSN be handed out twice.
    fn record_newest_seal(&mut self) -> Result<(), WalError> {
        let Some((seq, last)) = self
            .view()
            .segs
            .completed
            .last()
            .map(|s| (s.seq, s.last_lsn()))
        else {
            return Ok(());
        };
        if self.meta.is_some_and(|m| m.sealed_seq >= seq) {
            return Ok(());
        }
        self.write_meta(self.meta_sealed(seq, last))
    }

    /// Delete, oldest first, every completed segment whose entries all have
    /// `lsn <= applied_up_to`. Costs one unlink and one directory fsync per segment.
    pub fn checkpoint(&mut self, applied_up_to: Lsn) -> Result<usize, WalError> {
        self.check_writable()?;
        if applied_up_to.0 == 0 {
            return Ok(0);
        }
        let doomed: Vec<String> = self
            .view()
            .segs
            .completed
            .iter()
            .take_while(|s| s.is_empty() || s.last_lsn() <= applied_up_to.0)
            .map(|s| s.name.to_string())
            .collect();
        if doomed.is_empty() {
            return Ok(0);
        }
        self.record_newest_seal()?;
        for name in &doomed {
            // Readers stop seeing the segment before its file goes: a read racing the
            // removal gets `LsnOutOfRange`, never an I/O error for a file that vanished.
            let seg = self.view_mut().segs.completed.remove(0);
            self.files.forget(name);
            match self.dir.remove(name) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    // Still there: readers see it again.
                    self.view_mut().segs.completed.insert(0, seg);
                    return Err(e.into());
                }
            }
            if let Err(e) = self.dir.sync() {
                return Err(self.poison("directory fsync", e));
            }
        }
        Ok(doomed.len())
    }

    /// Remove every entry after `keep_up_to`, durably; the next append gets
    /// `keep_up_to + 1`. Returns how many entries were removed. Entries up to `keep_up_to`
    /// not yet durable (relaxed policies) are made durable first (one fdatasync). Works at any LSN of the live
    /// range, inside a unit (an atomic batch, an `append_many` chunk, a group commit) too;
    /// only a legacy batch frame (format extension 1) cannot be cut inside.
    pub fn truncate_after(&mut self, keep_up_to: Lsn) -> Result<u64, WalError> {
        self.check_writable()?;
        let first = self.first_lsn();
        let next = self.next_lsn();
        let target = keep_up_to.0.saturating_add(1);
        if target >= next {
            return Ok(0);
        }
        if target < first {
            return Err(WalError::LsnOutOfRange {
                lsn: keep_up_to.0,
                first,
                next,
            });
        }
        // The entries the log keeps are durable before the truncation writes anything (under
        // a relaxed policy they may not be yet): a power loss could otherwise lose some of
        // them and leave at the end a unit an earlier truncation cut short, which only the
        // cut record this one replaces vouched for.
        if self.durable_lsn + 1 < target {
            self.sync()?;
        }
        let (in_active, seg) = self.segment_holding(target);
        let (offset, frame_first, kind) = locate_frame(self.dir.as_ref(), &seg, target)?;
        if let FrameKind::Batch { count } = kind
            && frame_first != target
        {
            return Err(WalError::invalid(format!(
                "LSN {target} is inside a batch frame of the legacy format (written by an \
                 earlier walogs 0.2 build) holding LSN {frame_first}..={}; truncate after {} or \
                 after {} instead",
                frame_first + count - 1,
                frame_first - 1,
                frame_first + count - 1
            )));
        }
        let cut_lsn = self.cut_record_for(target, kind)?;
        let removed = next - target;
        let cut = if in_active {
            self.cut_active(offset, target, cut_lsn)
        } else {
            self.cut_completed(offset, target, cut_lsn)
        };
        if let Err(e) = cut {
            // A failure after the cut was published to readers (before its bytes changed)
            // has poisoned the handle: no reader gets past its check any more, and the failed
            // call reports the next LSN it had. (A failure before that changed nothing.)
            if self.poisoned().is_some() {
                self.view_mut().next_lsn = next;
            }
            return Err(e);
        }
        self.durable_lsn = self.durable_lsn.min(target - 1);
        Ok(removed)
    }

    /// The segment holding `lsn` (which must lie in the log): whether it is the active one,
    /// and a copy of its description.
    fn segment_holding(&self, lsn: u64) -> (bool, crate::index::SegmentInfo) {
        let v = self.view();
        let seg = v
            .segs
            .find(lsn)
            .expect("an LSN between first and next lies in some segment")
            .clone();
        (v.segs.active.seq == seg.seq, seg)
    }

    /// The deliberate-cut record `walogs.meta` must hold once the log ends at `target - 1`:
    /// that LSN when it is inside a unit (the frame at `target` is a later member of it, or
    /// the frame at `target - 1` is a member that is not its unit's last), so that recovery
    /// does not take the short unit for a torn one; otherwise the old record, unless it names
    /// an LSN about to be handed out again.
    fn cut_record_for(&self, target: u64, at_target: FrameKind) -> Result<u64, WalError> {
        let old = self.meta.map_or(0, |m| m.cut_lsn);
        let inside = match at_target {
            FrameKind::Member { index, .. } if index > 0 => true,
            _ if target > self.first_lsn() => {
                let (_, seg) = self.segment_holding(target - 1);
                let (_, _, before) = locate_frame(self.dir.as_ref(), &seg, target - 1)?;
                matches!(before, FrameKind::Member { index, count } if index + 1 < count)
            }
            _ => false,
        };
        Ok(if inside {
            target - 1
        } else if old >= target {
            0
        } else {
            old
        })
    }

    /// Purge every entry up to and including `up_to`: from now on (and after any reopen or
    /// crash) the oldest entry is `up_to + 1` and nothing at or below it is read again.
    /// `up_to` may be at or past the end of the log: the log is then empty and the next
    /// append gets `up_to + 1`. Below the current floor it does nothing; it never moves the
    /// next LSN backwards. Returns how many segment files were deleted.
    ///
    /// Costs: the metadata file (write + fdatasync + rename + directory fsync); when the
    /// active segment holds only purged entries, a rotation; one unlink and one directory
    /// fsync per segment wholly at or below `up_to`.
    pub fn purge_up_to(&mut self, up_to: Lsn) -> Result<usize, WalError> {
        self.check_writable()?;
        let floor = up_to.0;
        let current = self.meta.map_or(0, |m| m.floor);
        if floor <= current {
            return Ok(0);
        }
        if floor > crate::frame::MAX_LSN - 1 {
            return Err(WalError::invalid(format!(
                "cannot purge up to LSN {floor}: LSNs stay below {}",
                crate::frame::MAX_LSN
            )));
        }
        // The floor is durable before anything else changes: from here a crash leaves a log
        // whose entries up to `floor` are gone and whose next LSN is past it.
        let meta = crate::meta::Meta {
            floor,
            ..self.meta_sealed(
                self.meta.map_or(0, |m| m.sealed_seq),
                self.meta.map_or(0, |m| m.sealed_last_lsn),
            )
        };
        self.write_meta(meta)?;
        {
            let mut v = self.view_mut();
            v.floor = floor;
            v.next_lsn = v.next_lsn.max(floor + 1);
        }
        self.live.set_floor(floor);
        self.durable_lsn = self.durable_lsn.max(floor);
        // An active segment whose entries are all purged is sealed, so that it can go too and
        // the next entry (which may jump past its last LSN) starts a segment of its own.
        self.rotate_past_purged()?;
        self.remove_purged_segments()
    }

    /// Delete, oldest first, the completed segments whose entries are all at or below the
    /// purge floor (a purge does it; a writable open finishes what an interrupted one left).
    /// Returns how many were deleted.
    pub(crate) fn remove_purged_segments(&mut self) -> Result<usize, WalError> {
        let floor = self.view().floor;
        if floor == 0 {
            return Ok(0);
        }
        let doomed: Vec<String> = self
            .view()
            .segs
            .completed
            .iter()
            .take_while(|s| s.is_empty() || s.last_lsn() <= floor)
            .map(|s| s.name.to_string())
            .collect();
        for name in &doomed {
            // Readers stop seeing the segment before its file goes (its entries are purged
            // already: nothing readable is lost).
            let seg = self.view_mut().segs.completed.remove(0);
            self.files.forget(name);
            match self.dir.remove(name) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    self.view_mut().segs.completed.insert(0, seg);
                    return Err(self.poison("segment removal during purge", e));
                }
            }
            if let Err(e) = self.dir.sync() {
                return Err(self.poison("directory fsync", e));
            }
        }
        Ok(doomed.len())
    }

    /// Cut the active segment at `offset`, where entry `target` starts, recording
    /// `cut_lsn` first.
    fn cut_active(&mut self, offset: u64, target: u64, cut_lsn: u64) -> Result<(), WalError> {
        let (seq, first) = {
            let v = self.view();
            (v.segs.active.seq, v.segs.active.first_lsn)
        };
        let old = self.meta.unwrap_or_default();
        let mut done = old;
        done.cut_lsn = cut_lsn;
        // An interrupted rotation may have recorded the active segment as sealed; never
        // leave a seal above what the segment will hold.
        if done.sealed_seq >= seq && done.sealed_last_lsn >= target {
            done.sealed_seq = seq - 1;
            done.sealed_last_lsn = first - 1;
        }
        // When the metadata must change too, the truncation is recorded as under way first:
        // a crash before the file cut is durable then leaves the new log (recovery finishes
        // the cut), never the old entries under a record that no longer describes them.
        let recorded = Some(done) != self.meta;
        // From here the entries past the cut may be gone (once the record below is on disk,
        // even if a later step of it fails, a reopen finishes the cut): promise nothing past it.
        self.durable_lsn = self.durable_lsn.min(target - 1);
        if recorded {
            self.write_meta(crate::meta::Meta {
                cut_lsn: target - 1,
                truncating: true,
                ..done
            })?;
        }
        // Readers learn of the cut before the bytes go: one that then finds the file
        // shorter reports the cut (`LsnOutOfRange`), not damage.
        self.publish_cut(offset, target);
        if let Err(e) = self.file().set_len(offset) {
            return Err(self.poison("truncate", e));
        }
        self.allocated = offset;
        if let Err(e) = self.file().sync_data() {
            return Err(self.poison("fdatasync", e));
        }
        self.durable_len = offset;
        self.writeback_from = offset;
        if recorded {
            self.write_meta(done)?;
        }
        Ok(())
    }

    /// Tell readers that every entry from `target` on (from byte `offset` of the active
    /// segment on) is gone, before any of its bytes change: the cut generation and the view
    /// change together under the view lock, and readers take their generation under that
    /// lock too, so a reader either plans with the cut view (and never reaches the cut
    /// bytes) or holds an older generation (and reports what it finds there as the cut,
    /// `LsnOutOfRange`, not as damage).
    fn publish_cut(&self, offset: u64, target: u64) {
        let mut v = self.view_mut();
        self.live.cut(target);
        v.segs.active.cut(offset, target);
        v.next_lsn = target;
    }

    /// Cut inside a completed segment. The truncation is recorded in `walogs.meta` first (as
    /// under way, with the seal lowered below the kept segment): from then on, a crash leaves
    /// the new log, because recovery finishes the removal. Then the newer segments are deleted
    /// (newest first), the kept one is cut and becomes the active segment, and the record is
    /// marked done.
    fn cut_completed(&mut self, offset: u64, target: u64, cut_lsn: u64) -> Result<(), WalError> {
        let (k, kept_seq, kept_first, kept_name, doomed) = {
            let v = self.view();
            let k = v
                .segs
                .completed_index(target)
                .expect("the LSN lies in a completed segment");
            let kept = &v.segs.completed[k];
            let doomed: Vec<String> = std::iter::once(v.segs.active.name.to_string())
                .chain(
                    v.segs.completed[k + 1..]
                        .iter()
                        .rev()
                        .map(|s| s.name.to_string()),
                )
                .collect();
            // The seal goes below the kept segment: the segment before it ends where it
            // really does (after a purge past the end, that can be below `kept.first - 1`).
            let before_last = match k.checked_sub(1) {
                Some(p) => v.segs.completed[p].last_lsn(),
                None => kept.first_lsn - 1,
            };
            (k, kept.seq, before_last + 1, kept.name.clone(), doomed)
        };
        let meta = crate::meta::Meta {
            cut_lsn: target - 1,
            truncating: true,
            ..self.meta_sealed(kept_seq - 1, kept_first - 1)
        };
        // The entries past the cut may be gone from the moment the record is on disk (a
        // failure later in its write, a directory fsync, does not undo it): promise nothing
        // past the cut first.
        self.durable_lsn = self.durable_lsn.min(target - 1);
        self.write_meta(meta)?;
        self.file = None;
        {
            // Readers stop seeing the doomed segments before their files go (the truncation
            // is recorded: they are gone whatever happens next).
            let mut v = self.view_mut();
            let kept = v.segs.completed.remove(k);
            v.segs.completed.truncate(k);
            v.segs.active = kept;
        }
        // And the kept segment's cut entries before its bytes go.
        self.publish_cut(offset, target);
        for name in doomed {
            self.files.forget(&name);
            let r = self.dir.remove(&name).and_then(|()| self.dir.sync());
            if let Err(e) = r {
                return Err(self.poison("segment removal during truncate", e));
            }
        }
        let f = match self.dir.open(&kept_name, crate::vfs::OpenMode::ReadWrite) {
            Ok(f) => f,
            Err(e) => return Err(self.poison("reopen during truncate", e)),
        };
        if let Err(e) = f.set_len(offset).and_then(|()| f.sync_data()) {
            return Err(self.poison("truncate", e));
        }
        self.file = Some(f);
        self.allocated = offset;
        self.durable_len = offset;
        self.writeback_from = offset;
        self.write_meta(crate::meta::Meta {
            cut_lsn,
            truncating: false,
            ..meta
        })
    }
}
