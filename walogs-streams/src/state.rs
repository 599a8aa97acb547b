//! The store's in-memory state, guarded by the store mutex: every topic's index, the
//! registered consumers, and what is visible. Recovery (`recover.rs`) builds it by applying
//! every entry of the log in order ([`State::apply`]) and checking the result
//! ([`State::finish`]); appends keep it up to date as they queue their entries.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::codec::Entry;
use crate::topic::Topic;
use crate::{ConsumerMode, StreamsError};

/// A registered consumer: its mode and its persisted position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Registered {
    /// Its mode (`persist_every` as last opened).
    pub mode: ConsumerMode,
    /// The position last queued for persisting (the LSN it reads next).
    pub position: u64,
}

/// Everything the store mutex guards.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// Topics by id.
    pub topics: HashMap<u32, Topic>,
    /// Topic ids by name.
    pub names: HashMap<String, u32>,
    /// Registered consumers by (topic id, name), in name order for listings.
    pub consumers: BTreeMap<(u32, String), Registered>,
    /// Consumers open in this process.
    pub in_use: HashSet<(u32, String)>,
    /// Every entry with a log LSN `<=` this is written (durable under `EveryAppend`).
    pub visible_log: u64,
    /// The id the next new topic gets.
    pub next_topic_id: u32,
    /// The `segment_duration` window of the newest record appended (by timestamp).
    pub active_window: Option<u64>,
    /// The log LSN the next scan (a read-only `refresh`) starts at.
    pub scanned_to: u64,
    /// Consumers waiting for records (so appenders skip the wake-up when none is).
    pub waiting: usize,
    /// The `segment_duration` in milliseconds, if any.
    pub window_ms: Option<u64>,
    /// The buffer appends encode a record into (kept to save an allocation per append).
    pub encode_buf: Vec<u8>,
}

fn format(log_lsn: u64, reason: impl Into<String>) -> StreamsError {
    StreamsError::Format {
        log_lsn,
        reason: reason.into(),
    }
}

/// The largest encoding buffer the store keeps between appends (a larger one, left by a
/// large record, is freed).
const KEEP_ENCODE_BUF: usize = 64 << 10;

impl State {
    /// Keep `buf` for the next append unless it grew past [`KEEP_ENCODE_BUF`].
    pub fn keep_encode_buf(&mut self, buf: Vec<u8>) {
        if buf.capacity() <= KEEP_ENCODE_BUF {
            self.encode_buf = buf;
        }
    }

    /// The topic named `name`.
    pub fn topic_by_name(&self, name: &str) -> Option<&Topic> {
        self.names.get(name).and_then(|id| self.topics.get(id))
    }

    /// The topic named `name`: `InvalidName` for a name no topic can have, `UnknownTopic`
    /// for one never appended to.
    pub fn known(&self, name: &str) -> Result<&Topic, StreamsError> {
        crate::append::check_name("topic", name)?;
        self.topic_by_name(name)
            .ok_or_else(|| StreamsError::UnknownTopic {
                topic: name.to_string(),
            })
    }

    /// The topic recovery met first at `log_lsn` with id `id`.
    fn scanned(&mut self, id: u32, log_lsn: u64) -> &mut Topic {
        self.next_topic_id = self.next_topic_id.max(id.saturating_add(1));
        self.topics
            .entry(id)
            .or_insert_with(|| Topic::unknown(id, log_lsn))
    }

    /// Apply the entry at `log_lsn` of the log (in log order). Per topic, once a record or
    /// a definition told the topic's next LSN, every later record must carry exactly that
    /// LSN and every later definition must agree: log order is topic order.
    pub fn apply(&mut self, log_lsn: u64, entry: &Entry<'_>) -> Result<(), StreamsError> {
        match *entry {
            Entry::Data {
                topic,
                lsn,
                timestamp_ms,
                header,
                data,
            } => {
                let t = self.scanned(topic, log_lsn);
                match t.known_from {
                    None => {
                        t.known_from = Some(lsn);
                        t.next = lsn;
                    }
                    Some(_) if lsn != t.next => {
                        return Err(format(
                            log_lsn,
                            format!("topic id {topic}: record {lsn} where {} was due", t.next),
                        ));
                    }
                    Some(_) => {}
                }
                if lsn <= t.floor {
                    t.next = lsn + 1;
                } else {
                    t.push(log_lsn, timestamp_ms, (header.len() + data.len()) as u32);
                }
                if let Some(d) = self.window_of(timestamp_ms) {
                    self.active_window = Some(d);
                }
            }
            Entry::Topic {
                topic,
                next,
                floor,
                name,
            } => {
                if let Some(&other) = self.names.get(name)
                    && other != topic
                {
                    return Err(format(
                        log_lsn,
                        format!("topic {name:?} defined with id {topic}, earlier with id {other}"),
                    ));
                }
                let t = self.scanned(topic, log_lsn);
                if let Some(old) = &t.name
                    && old != name
                {
                    return Err(format(
                        log_lsn,
                        format!("topic id {topic} named {name:?}, earlier {old:?}"),
                    ));
                }
                match t.known_from {
                    None => {
                        t.known_from = Some(next);
                        t.next = next;
                    }
                    Some(_) if next != t.next => {
                        return Err(format(
                            log_lsn,
                            format!(
                                "topic {name:?}: definition says next LSN {next}, the records say {}",
                                t.next
                            ),
                        ));
                    }
                    Some(_) => {}
                }
                t.raise_floor(floor);
                t.name = Some(name.to_string());
                self.names.insert(name.to_string(), topic);
            }
            Entry::Position {
                topic,
                mode,
                position,
                name,
            } => {
                self.consumers
                    .insert((topic, name.to_string()), Registered { mode, position });
            }
            Entry::Floor { topic, floor } => {
                self.scanned(topic, log_lsn).raise_floor(floor);
            }
        }
        self.scanned_to = log_lsn + 1;
        Ok(())
    }

    /// The window a timestamp falls in, under the segment duration the store was given.
    pub fn window_of(&self, ts: u64) -> Option<u64> {
        self.window_ms.map(|w| ts / w.max(1))
    }

    /// Check what the scan built: every topic named, no record between its floor and the
    /// first record the scan met missing, no floor past the end, every consumer's topic
    /// defined.
    pub fn finish(&self) -> Result<(), StreamsError> {
        for t in self.topics.values() {
            let Some(name) = &t.name else {
                return Err(format(
                    t.first_seen,
                    format!("topic id {} has records but no definition", t.id),
                ));
            };
            let known = t.known_from.unwrap_or(t.next);
            if known > t.floor + 1 {
                return Err(format(
                    t.first_seen,
                    format!(
                        "topic {name:?}: records {}..{known} are missing (floor {})",
                        t.floor + 1,
                        t.floor
                    ),
                ));
            }
            if t.floor >= t.next {
                return Err(format(
                    t.first_seen,
                    format!(
                        "topic {name:?}: floor {} is past its next LSN {}",
                        t.floor, t.next
                    ),
                ));
            }
        }
        for (topic, name) in self.consumers.keys() {
            if !self.topics.contains_key(topic) {
                return Err(format(
                    self.scanned_to.saturating_sub(1),
                    format!("consumer {name:?} of topic id {topic}, which is not defined"),
                ));
            }
        }
        Ok(())
    }
}
