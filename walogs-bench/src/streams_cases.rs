//! walogs-streams' write path, measured the way a user calls it: many threads appending
//! durable records to many topics of one store (each `append` returns once its record is
//! durable; threads on different topics share fdatasyncs through the store's one log), and
//! one thread appending under `Durability::None` (what the streams layer costs per record
//! when no fdatasync hides it).

use std::path::Path;

use walogs_core::Durability;
use walogs_streams::StreamsOptions;

use crate::error::{BenchError, Context, Result};
use crate::peers::walrus::topic_of;
use crate::rawio::payload;
use crate::stats::Sample;
use crate::timing::{Limits, run_threads};

/// Topics of the streams write measurement (and of its peers).
pub const TOPICS: usize = 64;
/// Writer threads of the streams write measurement (and of its peers and the single log).
pub const THREADS: usize = 8;
/// Bytes walogs-streams adds to each record inside its log entry (kind, topic id, topic LSN,
/// timestamp, header length), for the op cap of a round.
pub const RECORD_OVERHEAD: usize = 1 + 4 + 8 + 8 + 4;

/// The topic names of a measurement with `topics` topics.
pub fn topic_names(topics: usize) -> Vec<String> {
    (0..topics).map(|k| format!("topic-{k}")).collect()
}

/// `threads` threads appending `payload_len`-byte records to `topics` topics of one store
/// opened with `durability` (`EveryAppend`: every append durable before it returns):
/// operation `i` of thread `t` goes to topic [`topic_of`]`(t, i, threads, topics)`. Opening
/// and closing are not timed; afterwards the topics must hold exactly the records
/// acknowledged.
pub fn append_records(
    dir: &Path,
    durability: Durability,
    topics: usize,
    threads: usize,
    payload_len: usize,
    limits: Limits,
) -> Result<Sample> {
    let store = StreamsOptions::new()
        .durability(durability)
        .open(dir.join("streams"))
        .ctx("open")?;
    let names = topic_names(topics.max(1));
    let data = payload(payload_len, 13);
    let s = run_threads(threads, limits, payload_len as u64, |t, i| {
        let topic = &names[topic_of(t, i, threads, names.len())];
        store.append(topic, &data).map(drop).ctx("append")
    })?;
    let held: u64 = store
        .topics()
        .iter()
        .map(|t| t.next_lsn - t.first_lsn)
        .sum();
    if held != s.ops {
        return Err(BenchError::Check(format!(
            "walogs-streams: the topics hold {held} records after {} acknowledged appends",
            s.ops
        )));
    }
    store.close().ctx("close")?;
    Ok(s)
}
