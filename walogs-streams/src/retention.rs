//! Retention (`cleanup`): per topic a new floor from time, the size cap and what every
//! consumer passed; floor entries written durably; the index trimmed; then the physical
//! reclaim of the dead log prefix (`reclaim.rs`). Runs with the store mutex held (appends
//! and consumers wait meanwhile).

use std::time::Duration;

use crate::append::now_ms;
use crate::codec;
use crate::state::State;
use crate::store::Shared;
use crate::topic::Topic;
use crate::{CleanupReport, ConsumerMode, StreamsError, StreamsOptions, TopicCleanup};

/// A topic's new floor and the strict consumers the size cap forced it past.
#[derive(Debug)]
struct Plan {
    id: u32,
    floor: u64,
    forced_past: Vec<String>,
}

/// When a record with timestamp `ts` stops being retained: the end of its
/// `segment_duration` window (or `ts` without one) plus `retention`.
fn expires_at(ts: u64, window_ms: Option<u64>, retention: Duration) -> u64 {
    let end = match window_ms {
        Some(w) if w > 0 => (ts / w).saturating_add(1).saturating_mul(w),
        _ => ts,
    };
    end.saturating_add(retention.as_millis() as u64)
}

/// The new floor of `t` (only visible records are ever deleted), or `None` if unchanged.
fn plan_topic(
    st: &State,
    t: &Topic,
    opts: &StreamsOptions,
    now: u64,
    visible: u64,
) -> Option<Plan> {
    let first = t.first();
    let end = t.visible_end(visible);
    let live = (end - first) as usize;
    if live == 0 {
        return None;
    }
    let consumers: Vec<(&str, &crate::state::Registered)> = st
        .consumers
        .range((t.id, String::new())..)
        .take_while(|((id, _), _)| *id == t.id)
        .map(|((_, n), r)| (n.as_str(), r))
        .collect();
    let strict_cap = consumers
        .iter()
        .filter(|(_, r)| r.mode == ConsumerMode::Strict)
        .map(|(_, r)| r.position.saturating_sub(1))
        .min()
        .unwrap_or(u64::MAX);
    let mut soft = 0;
    if let Some(ret) = opts.retention {
        let window = st.window_ms;
        // The running maximum makes "expired" a prefix: a record goes only when every
        // record before it has gone too.
        let k = t
            .slots
            .partition_point(|s| expires_at(s.max_ts, window, ret) <= now)
            .min(live);
        soft = soft.max(first - 1 + k as u64);
    }
    if opts.delete_consumed
        && let Some(min) = consumers.iter().map(|(_, r)| r.position).min()
    {
        soft = soft.max(min.saturating_sub(1).min(end - 1));
    }
    let soft = soft.min(strict_cap);
    let mut hard = 0;
    if let Some(cap) = opts.max_topic_bytes {
        let mut bytes = t.bytes;
        let mut k = 0;
        while bytes > cap && k < live {
            bytes -= u64::from(t.slots[k].size);
            k += 1;
        }
        hard = first - 1 + k as u64;
    }
    let floor = soft.max(hard);
    if floor < first {
        return None;
    }
    let forced_past = consumers
        .iter()
        .filter(|(_, r)| r.mode == ConsumerMode::Strict && r.position <= floor)
        .map(|(n, _)| n.to_string())
        .collect();
    Some(Plan {
        id: t.id,
        floor,
        forced_past,
    })
}

/// Run retention now (see [`crate::Streams::cleanup`]).
pub(crate) fn cleanup(sh: &Shared) -> Result<CleanupReport, StreamsError> {
    sh.ensure_writable()?;
    let wal = sh.wal();
    let mut st = sh.lock();
    sh.ensure_open()?;
    let now = now_ms();
    let visible = sh.visible(&st, &wal);
    let mut plans: Vec<Plan> = st
        .topics
        .values()
        .filter_map(|t| plan_topic(&st, t, &sh.opts, now, visible))
        .collect();
    plans.sort_by_key(|p| p.id);
    let mut report = CleanupReport::default();
    if !plans.is_empty() {
        let entries: Vec<Vec<u8>> = plans
            .iter()
            .map(|p| codec::encode_floor(p.id, p.floor))
            .collect();
        let range = wal.append_batch(&entries)?;
        if sh.relaxed() {
            wal.sync()?;
        }
        sh.publish(&mut st, range.last.0);
        for p in plans {
            let Some(t) = st.topics.get_mut(&p.id) else {
                continue;
            };
            let deleted = t.raise_floor(p.floor);
            report.records_deleted += deleted;
            report.topics.push(TopicCleanup {
                topic: t.name().to_string(),
                records_deleted: deleted,
                first_lsn: t.first(),
                forced_past: p.forced_past,
            });
        }
        report.topics.sort_by(|a, b| a.topic.cmp(&b.topic));
    }
    let (bytes, segments) = crate::reclaim::reclaim(sh, &mut st, &wal)?;
    report.bytes_reclaimed = bytes;
    report.segments_deleted = segments;
    Ok(report)
}
