//! Appends. Under the store mutex an append validates, creates its topic if new (queueing
//! the definition first), takes the topic's next LSN, queues its entry on the log's group
//! commit and indexes it; then, with the mutex released, it waits for the write. So a
//! topic's order is log order, its LSNs are dense, and appends to any topics from many
//! threads share fdatasyncs. Under the relaxed durability policies there is no fdatasync to
//! share: the entry is written with the mutex held instead of queued. A batch is one atomic
//! `append_batch` of the log, written with the mutex held.

use std::time::{SystemTime, UNIX_EPOCH};

use walogs_core::{MAX_ENTRY_SIZE, QueuedAppend, SharedWal, WalError};

use crate::codec::{self, DATA_OVERHEAD};
use crate::state::State;
use crate::store::Shared;
use crate::topic::Topic;
use crate::{MAX_HEADER, MAX_TOPIC_NAME, NewRecord, StreamsError, TopicRange};

/// The wall clock in milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Refuse a topic or consumer name that is empty, over the limit, or holds a NUL.
pub(crate) fn check_name(what: &'static str, name: &str) -> Result<(), StreamsError> {
    let reason = if name.is_empty() {
        "it is empty".to_string()
    } else if name.len() > MAX_TOPIC_NAME {
        format!("{} bytes, max is {MAX_TOPIC_NAME}", name.len())
    } else if name.contains('\0') {
        "it contains a NUL byte".to_string()
    } else {
        return Ok(());
    };
    Err(StreamsError::InvalidName { what, reason })
}

/// `UnknownTopic` (a named topic is always in the index: never returned in practice).
fn unknown(topic: &str) -> StreamsError {
    StreamsError::UnknownTopic {
        topic: topic.to_string(),
    }
}

/// A record checked against the limits, with its timestamp fixed.
struct Checked<'a> {
    rec: NewRecord<'a>,
    ts: u64,
    size: u32,
}

fn check_record<'a>(rec: &NewRecord<'a>, now: u64) -> Result<Checked<'a>, StreamsError> {
    if rec.header.len() > MAX_HEADER {
        return Err(StreamsError::HeaderTooLarge {
            size: rec.header.len(),
            max: MAX_HEADER,
        });
    }
    let entry = DATA_OVERHEAD + rec.header.len() + rec.data.len();
    if entry > MAX_ENTRY_SIZE {
        return Err(WalError::EntryTooLarge {
            size: entry,
            max: MAX_ENTRY_SIZE,
        }
        .into());
    }
    Ok(Checked {
        rec: *rec,
        ts: rec.timestamp_ms.unwrap_or(now),
        size: (rec.header.len() + rec.data.len()) as u32,
    })
}

/// Under `segment_duration`: rotate the log before the first record of a newer window, so
/// windows map to segment files. (A record of an older window goes into the current file:
/// it is kept at least as long as its own window would be.)
fn rotate_for_window(st: &mut State, wal: &SharedWal, ts: u64) -> Result<(), StreamsError> {
    let Some(w) = st.window_of(ts) else {
        return Ok(());
    };
    match st.active_window {
        Some(a) if w > a => {
            wal.rotate()?;
            st.active_window = Some(w);
        }
        None => st.active_window = Some(w),
        _ => {}
    }
    Ok(())
}

/// Write `entry` now (`relaxed`: there is no fdatasync to share) or queue it on the log's
/// group commit; its log LSN either way, and the queued append to wait for if it was queued.
fn write_or_queue<'w>(
    wal: &'w SharedWal,
    relaxed: bool,
    entry: &[u8],
) -> Result<(u64, Option<QueuedAppend<'w>>), WalError> {
    if relaxed {
        wal.append(entry).map(|l| (l.0, None))
    } else {
        wal.append_queued(entry).map(|q| (q.lsn().0, Some(q)))
    }
}

/// Append one record; returns its topic LSN once it is written (durable under
/// `EveryAppend`).
///
/// Under `EveryAppend` the entry is queued on the log's group commit with the store mutex
/// held and waited for after it is released, so appenders share fdatasyncs. Under the
/// relaxed policies an append is one `write` (it waits for an fdatasync only when the
/// policy's interval is due, the interval's background flush is under way, or the segment
/// rotates): it is written with the mutex held, which costs less than a trip through the
/// queue and a second acquisition of the mutex to publish.
pub(crate) fn append(sh: &Shared, topic: &str, rec: NewRecord<'_>) -> Result<u64, StreamsError> {
    sh.ensure_writable()?;
    check_name("topic", topic)?;
    let c = check_record(&rec, now_ms())?;
    let wal = sh.wal();
    let relaxed = sh.relaxed();
    let (lsn, queued) = {
        let mut st = sh.lock();
        sh.ensure_open()?;
        rotate_for_window(&mut st, &wal, c.ts)?;
        let id = match st.names.get(topic) {
            Some(&id) => id,
            None => {
                let id = st.next_topic_id;
                // Written (or queued) before the record; nobody needs to wait for it.
                let _def = write_or_queue(&wal, relaxed, &codec::encode_topic(id, 1, 0, topic))?;
                st.next_topic_id += 1;
                st.topics.insert(id, Topic::new(id, topic.to_string()));
                st.names.insert(topic.to_string(), id);
                id
            }
        };
        // The encoding buffer is the store's, reused by every append.
        let mut buf = std::mem::take(&mut st.encode_buf);
        buf.clear();
        let Some(t) = st.topics.get_mut(&id) else {
            return Err(unknown(topic));
        };
        let lsn = t.next;
        codec::encode_data(&mut buf, id, lsn, c.ts, c.rec.header, c.rec.data);
        let written = write_or_queue(&wal, relaxed, &buf);
        st.keep_encode_buf(buf);
        let (log_lsn, queued) = written?;
        let Some(t) = st.topics.get_mut(&id) else {
            return Err(unknown(topic));
        };
        t.push(log_lsn, c.ts, c.size);
        match queued {
            Some(q) => (lsn, q),
            None => {
                sh.publish(&mut st, log_lsn);
                return Ok(lsn);
            }
        }
    };
    sh.settle(queued)?;
    Ok(lsn)
}

/// Append records to one topic as one atomic log batch (with the topic's definition when
/// the topic is new). Holds the store mutex across the write.
pub(crate) fn append_batch(
    sh: &Shared,
    topic: &str,
    records: &[NewRecord<'_>],
) -> Result<TopicRange, StreamsError> {
    sh.ensure_writable()?;
    check_name("topic", topic)?;
    if records.is_empty() {
        return Err(StreamsError::InvalidArgument {
            reason: "append_batch needs at least one record".into(),
        });
    }
    let now = now_ms();
    let checked = records
        .iter()
        .map(|r| check_record(r, now))
        .collect::<Result<Vec<_>, _>>()?;
    let wal = sh.wal();
    let mut st = sh.lock();
    sh.ensure_open()?;
    if let Some(ts) = checked.iter().map(|c| c.ts).max() {
        rotate_for_window(&mut st, &wal, ts)?;
    }
    let existing = st.names.get(topic).copied();
    let id = existing.unwrap_or(st.next_topic_id);
    let start = existing
        .and_then(|id| st.topics.get(&id))
        .map_or(1, |t| t.next);
    let mut entries: Vec<Vec<u8>> = Vec::with_capacity(checked.len() + 1);
    if existing.is_none() {
        entries.push(codec::encode_topic(id, 1, 0, topic));
    }
    for (i, c) in checked.iter().enumerate() {
        let mut e = Vec::new();
        codec::encode_data(&mut e, id, start + i as u64, c.ts, c.rec.header, c.rec.data);
        entries.push(e);
    }
    let range = wal.append_batch(&entries)?;
    if existing.is_none() {
        st.next_topic_id += 1;
        st.topics.insert(id, Topic::new(id, topic.to_string()));
        st.names.insert(topic.to_string(), id);
    }
    let first_record_log = range.first.0 + u64::from(existing.is_none());
    let Some(t) = st.topics.get_mut(&id) else {
        return Err(unknown(topic));
    };
    for (i, c) in checked.iter().enumerate() {
        t.push(first_record_log + i as u64, c.ts, c.size);
    }
    sh.publish(&mut st, range.last.0);
    Ok(TopicRange {
        first: start,
        last: start + checked.len() as u64 - 1,
    })
}
