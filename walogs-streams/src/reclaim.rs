//! Physical reclaim: the log prefix below the oldest live record holds only deleted records
//! and superseded control entries. Re-append the live control state (every topic
//! definition with its current next LSN and floor, every consumer position), then purge the
//! log up to that prefix's end, which deletes the segment files wholly inside it.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use walogs_core::segment::parse_segment_filename;
use walogs_core::vfs::{FileSystem, OpenMode, OsFs};
use walogs_core::{Lsn, MAX_BATCH_SIZE, SharedWal};

use crate::StreamsError;
use crate::codec;
use crate::state::State;
use crate::store::Shared;

/// Per-entry framing a batch adds (an upper bound), for splitting the control state.
const BATCH_ENTRY_OVERHEAD: usize = 64;

/// Purge the dead prefix of the log when it is worth it; returns (bytes, segment files)
/// removed. Called with the store mutex held.
pub(crate) fn reclaim(
    sh: &Shared,
    st: &mut State,
    wal: &SharedWal,
) -> Result<(u64, u64), StreamsError> {
    // Entries queued before this point are written by the first append_batch below (which
    // writes the queue out first); none can be queued meanwhile (the mutex is held).
    let end = wal.next_lsn().0;
    let oldest_live = st
        .topics
        .values()
        .filter_map(|t| t.slots.front().map(|s| s.log_lsn))
        .min()
        .unwrap_or(end);
    let g = oldest_live.min(end) - 1;
    let dead_from = wal
        .purged_up_to()
        .0
        .max(wal.first_lsn().0.saturating_sub(1));
    let control = (st.topics.len() + st.consumers.len()) as u64;
    // Worth it only when a completed segment may go and the prefix is larger than the
    // control state re-appended (so repeated cleanups never grow the log).
    if wal.segment_count() < 2 || g <= dead_from + control {
        return Ok((0, 0));
    }
    let fs: Arc<dyn FileSystem> = sh
        .opts
        .file_system
        .clone()
        .unwrap_or_else(|| Arc::new(OsFs));
    let before = segment_sizes(&*fs, &sh.dir)?;
    let mut entries: Vec<Vec<u8>> = Vec::with_capacity(control as usize);
    let mut ids: Vec<&u32> = st.topics.keys().collect();
    ids.sort();
    for id in ids {
        let t = &st.topics[id];
        entries.push(codec::encode_topic(t.id, t.next, t.floor, t.name()));
    }
    for ((id, name), reg) in &st.consumers {
        entries.push(codec::encode_position(*id, reg.mode, reg.position, name));
    }
    // Several batches when the state exceeds one: a crash between them leaves duplicates
    // of live state, which recovery reads the same way.
    let mut last = 0;
    let mut chunk: Vec<&[u8]> = Vec::new();
    let mut size = 0;
    for e in &entries {
        if !chunk.is_empty() && size + e.len() + BATCH_ENTRY_OVERHEAD > MAX_BATCH_SIZE {
            last = wal.append_batch(&chunk)?.last.0;
            chunk.clear();
            size = 0;
        }
        size += e.len() + BATCH_ENTRY_OVERHEAD;
        chunk.push(e);
    }
    if !chunk.is_empty() {
        last = wal.append_batch(&chunk)?.last.0;
    }
    if sh.relaxed() {
        wal.sync()?;
    }
    sh.publish(st, last);
    wal.purge_up_to(Lsn(g))?;
    let after = segment_sizes(&*fs, &sh.dir)?;
    let gone: Vec<u64> = before
        .iter()
        .filter(|(name, _)| !after.contains_key(*name))
        .map(|(_, &len)| len)
        .collect();
    Ok((gone.iter().sum(), gone.len() as u64))
}

/// The size of every segment file in `dir`, by name.
fn segment_sizes(fs: &dyn FileSystem, dir: &Path) -> Result<BTreeMap<String, u64>, StreamsError> {
    let d = fs.open_dir(dir).map_err(walogs_core::WalError::from)?;
    let mut out = BTreeMap::new();
    for name in d.list().map_err(walogs_core::WalError::from)? {
        if parse_segment_filename(&name).is_none() {
            continue;
        }
        // A file the log deletes between the listing and the open is simply not counted.
        if let Ok(f) = d.open(&name, OpenMode::Read)
            && let Ok(len) = f.len()
        {
            out.insert(name, len);
        }
    }
    Ok(out)
}
