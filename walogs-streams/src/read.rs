//! Reads: the index gives each record's log LSN (a lookup under the store mutex), the log
//! reads it (one `pread` per run of consecutive log entries, no mutex held), and the
//! decoded entry is checked to be the record asked for.

use walogs_core::{Lsn, SharedWal, WalError};

use crate::batch::Sink;
use crate::codec::{self, Entry};
use crate::state::State;
use crate::store::Shared;
use crate::topic::Topic;
use crate::{ConsumerInfo, Record, StreamsError, TopicInfo};

/// `LsnOutOfRange` for `lsn` of `t`, whose visible records end before `end`.
pub(crate) fn out_of_range(t: &Topic, lsn: u64, end: u64) -> StreamsError {
    StreamsError::LsnOutOfRange {
        topic: t.name().to_string(),
        lsn,
        first: t.first().min(end),
        next: end,
    }
}

/// A record to fetch: its topic LSN and its log LSN.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pick {
    pub lsn: u64,
    pub log_lsn: u64,
}

/// Why a fetch failed: the log no longer holds an entry (retention purged it meanwhile),
/// or another error.
pub(crate) enum FetchError {
    Purged,
    Other(StreamsError),
}

impl From<StreamsError> for FetchError {
    fn from(e: StreamsError) -> Self {
        FetchError::Other(e)
    }
}

/// Read `picks` (records of topic `id`, in order) from the log into `out`: runs of
/// consecutive log LSNs through one lending cursor each, so each record's bytes are copied
/// once (into `out`). `Purged` only when not one record was read; otherwise the records
/// read before a purged one are kept.
pub(crate) fn fetch(
    wal: &SharedWal,
    id: u32,
    picks: &[Pick],
    out: &mut impl Sink,
) -> Result<(), FetchError> {
    let start = out.count();
    let purged = |out: &mut dyn Sink| {
        if out.count() == start {
            Err(FetchError::Purged)
        } else {
            Ok(())
        }
    };
    let mut i = 0;
    while i < picks.len() {
        let mut j = i + 1;
        while j < picks.len() && picks[j].log_lsn == picks[j - 1].log_lsn + 1 {
            j += 1;
        }
        let mut cursor = match wal.cursor_from(Lsn(picks[i].log_lsn)) {
            Ok(c) => c,
            Err(WalError::LsnOutOfRange { .. }) => return purged(out),
            Err(e) => return Err(FetchError::Other(e.into())),
        };
        for p in &picks[i..j] {
            match cursor.next_entry() {
                Some(Ok((log_lsn, bytes))) if log_lsn.0 == p.log_lsn => {
                    decode_into(log_lsn.0, bytes, id, p.lsn, out)?;
                }
                Some(Err(WalError::LsnOutOfRange { .. })) => return purged(out),
                Some(Err(e)) => return Err(FetchError::Other(e.into())),
                Some(Ok((log_lsn, _))) => {
                    return Err(FetchError::Other(StreamsError::Format {
                        log_lsn: p.log_lsn,
                        reason: format!("the log returned LSN {} instead", log_lsn.0),
                    }));
                }
                None => {
                    return Err(FetchError::Other(StreamsError::Format {
                        log_lsn: p.log_lsn,
                        reason: "the log ended before the entry".into(),
                    }));
                }
            }
        }
        i = j;
    }
    Ok(())
}

/// Decode entry `bytes` at `log_lsn`, which the index says is record `lsn` of topic `id`,
/// into `out`.
fn decode_into(
    log_lsn: u64,
    bytes: &[u8],
    id: u32,
    lsn: u64,
    out: &mut impl Sink,
) -> Result<(), StreamsError> {
    let bad = |reason: String| StreamsError::Format { log_lsn, reason };
    match codec::decode(bytes).map_err(bad)? {
        Entry::Data {
            topic,
            lsn: got,
            timestamp_ms,
            header,
            data,
        } if topic == id && got == lsn => {
            out.push(lsn, timestamp_ms, header, data);
            Ok(())
        }
        other => Err(bad(format!(
            "expected record {lsn} of topic id {id}, found {other:?}"
        ))),
    }
}

/// Up to `max_records` visible records of `t` from `from`, within `max_bytes` (at least
/// one when `from` holds one). `from` outside `first..=visible end` is `LsnOutOfRange`.
pub(crate) fn pick(
    t: &Topic,
    visible_log: u64,
    from: u64,
    max_records: usize,
    max_bytes: usize,
) -> Result<Vec<Pick>, StreamsError> {
    let end = t.visible_end(visible_log);
    if from < t.first() || from > end {
        return Err(out_of_range(t, from, end));
    }
    let mut picks = Vec::new();
    let mut bytes = 0usize;
    let mut lsn = from;
    while lsn < end && picks.len() < max_records {
        let Some(s) = t.slot(lsn) else { break };
        let size = s.size as usize;
        if !picks.is_empty() && bytes.saturating_add(size) > max_bytes {
            break;
        }
        bytes = bytes.saturating_add(size);
        picks.push(Pick {
            lsn,
            log_lsn: s.log_lsn,
        });
        lsn += 1;
    }
    Ok(picks)
}

/// Lock the state and pick records of `topic` (see [`pick`]); returns the topic id too.
fn locked_pick(
    sh: &Shared,
    wal: &SharedWal,
    topic: &str,
    from: u64,
    max_records: usize,
    max_bytes: usize,
) -> Result<(u32, Vec<Pick>), StreamsError> {
    let st = sh.lock();
    sh.ensure_open()?;
    let t = st.known(topic)?;
    let picks = pick(t, sh.visible(&st, wal), from, max_records, max_bytes)?;
    Ok((t.id, picks))
}

/// `read_range` of the store, into `out`.
pub(crate) fn read_range(
    sh: &Shared,
    topic: &str,
    from: u64,
    max_records: usize,
    max_bytes: usize,
    out: &mut impl Sink,
) -> Result<(), StreamsError> {
    sh.ensure_open()?;
    if max_records == 0 {
        return Err(StreamsError::InvalidArgument {
            reason: "read_range needs max_records of at least 1".into(),
        });
    }
    let wal = sh.wal();
    let (id, picks) = locked_pick(sh, &wal, topic, from, max_records, max_bytes)?;
    match fetch(&wal, id, &picks, out) {
        Ok(()) => Ok(()),
        Err(FetchError::Other(e)) => Err(e),
        Err(FetchError::Purged) => {
            // Retention deleted it between the lookup and the read: report the new range.
            let st = sh.lock();
            let t = st.known(topic)?;
            Err(out_of_range(t, from, t.visible_end(sh.visible(&st, &wal))))
        }
    }
}

/// `read` of the store.
pub(crate) fn read(sh: &Shared, topic: &str, lsn: u64) -> Result<Record, StreamsError> {
    let mut recs = Vec::with_capacity(1);
    read_range(sh, topic, lsn, 1, usize::MAX, &mut recs)?;
    match recs.pop() {
        Some(r) => Ok(r),
        None => {
            let wal = sh.wal();
            let st = sh.lock();
            let t = st.known(topic)?;
            Err(out_of_range(t, lsn, t.visible_end(sh.visible(&st, &wal))))
        }
    }
}

/// What `topics` / `topic` report of `t`.
pub(crate) fn info(t: &Topic) -> TopicInfo {
    TopicInfo {
        name: t.name().to_string(),
        first_lsn: t.first(),
        next_lsn: t.next,
        bytes: t.bytes,
    }
}

/// Every topic, by name.
pub(crate) fn topics(st: &State) -> Vec<TopicInfo> {
    let mut v: Vec<TopicInfo> = st.topics.values().map(info).collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

/// Every registered consumer, by topic name then consumer name.
pub(crate) fn consumers(st: &State) -> Vec<ConsumerInfo> {
    let mut v: Vec<ConsumerInfo> = st
        .consumers
        .iter()
        .map(|((id, name), reg)| ConsumerInfo {
            topic: st
                .topics
                .get(id)
                .map(|t| t.name().to_string())
                .unwrap_or_default(),
            name: name.clone(),
            mode: reg.mode,
            position: reg.position,
        })
        .collect();
    v.sort_by(|a, b| (&a.topic, &a.name).cmp(&(&b.topic, &b.name)));
    v
}

/// `seek_time` of the store: a binary search among the visible records.
pub(crate) fn seek_time(sh: &Shared, topic: &str, t_ms: u64) -> Result<u64, StreamsError> {
    sh.ensure_open()?;
    let wal = sh.wal();
    let st = sh.lock();
    let t = st.known(topic)?;
    Ok(t.seek_time(t_ms).min(t.visible_end(sh.visible(&st, &wal))))
}
