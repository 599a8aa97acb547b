//! Recovery, phase 2 (writable opens only): carry out a [`Plan`]: migrate a v1 `wal.log`,
//! create the first segment of an empty directory, cut a torn tail. Each change is made
//! durable (file or directory sync) before the next.

use crate::error::WalError;
use crate::index::SegmentInfo;
use crate::segment::segment_filename;
use crate::vfs::{Dir, OpenMode};

use super::plan::Plan;

/// Apply `plan` to `dir`; new files get permission bits `file_mode`.
pub(crate) fn apply(dir: &dyn Dir, plan: &mut Plan, file_mode: u32) -> Result<(), WalError> {
    if plan.migrate_v1 {
        let to = segment_filename(1);
        dir.rename(&plan.segments[0].name, &to)?;
        dir.sync()?;
        plan.segments[0].name = to.into();
    }
    if plan.create_first {
        let name = segment_filename(1);
        dir.open(&name, OpenMode::CreateNew { mode: file_mode })?;
        dir.sync()?;
        plan.segments.push(SegmentInfo::new(1, name, plan.next_lsn));
    }
    // The rest of an interrupted truncation: newest first, each removal durable, so the
    // segment numbers stay contiguous whatever a crash stops.
    for name in &plan.delete {
        dir.remove(name)?;
        dir.sync()?;
    }
    if let Some((offset, _)) = plan.cut {
        let last = plan.segments.last().expect("a cut is in the last segment");
        let rw = dir.open(&last.name, OpenMode::ReadWrite)?;
        rw.set_len(offset)?;
        rw.sync_data()?;
    }
    Ok(())
}
