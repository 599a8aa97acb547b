//! Whole-log maintenance on the writer: deleting applied segments (`checkpoint`) and cutting
//! the newest entries (`truncate_after`). Each keeps `walogs.meta` ahead of the segment files
//! so that a crash at any step leaves a directory the next open accepts, with no LSN reused.

use std::io;

use crate::error::WalError;
use crate::meta::Meta;
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
        let meta = Meta {
            sealed_seq: seq,
            sealed_last_lsn: last,
            relaxed: self.relaxed(),
        };
        self.write_meta(meta)
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
            .map(|s| s.name.clone())
            .collect();
        if doomed.is_empty() {
            return Ok(0);
        }
        self.record_newest_seal()?;
        for name in &doomed {
            match self.dir.remove(name) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
            if let Err(e) = self.dir.sync() {
                return Err(self.poison("directory fsync", e));
            }
            self.view_mut().segs.completed.remove(0);
        }
        Ok(doomed.len())
    }

    /// Remove every entry after `keep_up_to`, durably; the next append gets
    /// `keep_up_to + 1`. Returns how many entries were removed.
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
        let (in_active, seg) = {
            let v = self.view();
            let seg = v
                .segs
                .find(target)
                .expect("an LSN between first and next lies in some segment")
                .clone();
            (v.segs.active.seq == seg.seq, seg)
        };
        let (offset, frame_first, frame_count) = locate_frame(self.dir.as_ref(), &seg, target)?;
        if frame_first != target {
            return Err(WalError::invalid(format!(
                "LSN {target} is inside an atomic batch holding LSN {frame_first}..={}; \
                 truncate after {} or after {} instead",
                frame_first + frame_count - 1,
                frame_first - 1,
                frame_first + frame_count - 1
            )));
        }
        let removed = next - target;
        if in_active {
            self.cut_active(offset, target)?;
        } else {
            self.cut_completed(offset, target)?;
        }
        self.view_mut().next_lsn = target;
        self.durable_lsn = self.durable_lsn.min(target - 1);
        Ok(removed)
    }

    /// Cut the active segment at `offset`, where entry `target` starts.
    fn cut_active(&mut self, offset: u64, target: u64) -> Result<(), WalError> {
        // An interrupted rotation may have recorded the active segment as sealed; never
        // leave a seal above what the segment will hold.
        let (seq, first) = {
            let v = self.view();
            (v.segs.active.seq, v.segs.active.first_lsn)
        };
        if let Some(m) = self.meta
            && m.sealed_seq >= seq
            && m.sealed_last_lsn >= target
        {
            self.write_meta(Meta {
                sealed_seq: seq - 1,
                sealed_last_lsn: first - 1,
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
        self.view_mut().segs.active.cut(offset, target);
        self.durable_len = offset;
        Ok(())
    }

    /// Cut inside a completed segment: lower the seal first, delete the newer segments
    /// (newest first), then cut the kept one, which becomes the active segment.
    fn cut_completed(&mut self, offset: u64, target: u64) -> Result<(), WalError> {
        let (k, kept_seq, kept_first, kept_name, doomed) = {
            let v = self.view();
            let k = v
                .segs
                .completed_index(target)
                .expect("the LSN lies in a completed segment");
            let kept = &v.segs.completed[k];
            // Newest first, so the segment numbers stay contiguous at every point a crash
            // could stop us.
            let doomed: Vec<String> = std::iter::once(v.segs.active.name.clone())
                .chain(
                    v.segs.completed[k + 1..]
                        .iter()
                        .rev()
                        .map(|s| s.name.clone()),
                )
                .collect();
            (k, kept.seq, kept.first_lsn, kept.name.clone(), doomed)
        };
        let meta = Meta {
            sealed_seq: kept_seq - 1,
            sealed_last_lsn: kept_first - 1,
            relaxed: self.relaxed(),
        };
        self.write_meta(meta)?;
        self.file = None;
        for name in doomed {
            let r = self.dir.remove(&name).and_then(|()| self.dir.sync());
            if let Err(e) = r {
                return Err(self.poison("segment removal during truncate", e));
            }
        }
        {
            // The removed segments are gone from the view as soon as they are gone on disk.
            let mut v = self.view_mut();
            let kept = v.segs.completed.remove(k);
            v.segs.completed.truncate(k);
            v.segs.active = kept;
        }
        let f = match self.dir.open(&kept_name, crate::vfs::OpenMode::ReadWrite) {
            Ok(f) => f,
            Err(e) => return Err(self.poison("reopen during truncate", e)),
        };
        if let Err(e) = f.set_len(offset).and_then(|()| f.sync_data()) {
            return Err(self.poison("truncate", e));
        }
        self.view_mut().segs.active.cut(offset, target);
        self.file = Some(f);
        self.allocated = offset;
        self.durable_len = offset;
        Ok(())
    }
}
