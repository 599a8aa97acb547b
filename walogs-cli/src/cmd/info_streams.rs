//! The streams part of `walogs info`: when the directory is a walogs-streams store, its
//! topics (name, oldest and next LSN, records, bytes) and its consumers (topic, name, mode,
//! position). A plain walogs log has no streams part.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;
use walogs_streams::{ConsumerMode, StreamsError, StreamsOptions};

use crate::error::CliError;
use crate::output;
use crate::store::printable;

/// One topic row.
#[derive(Debug, Serialize)]
pub struct TopicRow {
    name: String,
    first_lsn: u64,
    next_lsn: u64,
    records: u64,
    bytes: u64,
}

/// One consumer row.
#[derive(Debug, Serialize)]
pub struct ConsumerRow {
    topic: String,
    name: String,
    /// `strict` or `at_least_once`.
    mode: &'static str,
    /// Records between automatic persists (at-least-once consumers only).
    persist_every: Option<u32>,
    /// The LSN it reads next.
    position: u64,
}

/// What `info` shows of a store.
#[derive(Debug, Serialize)]
pub struct StreamsInfo {
    topics: Vec<TopicRow>,
    consumers: Vec<ConsumerRow>,
    /// Why the store could not be read (its log opened, the streams layer refused it).
    error: Option<Value>,
}

impl StreamsInfo {
    /// The error the streams layer refused the store with, if it did.
    pub fn error_code(&self) -> Option<u8> {
        self.error
            .as_ref()
            .and_then(|e| e["exit_code"].as_u64())
            .and_then(|c| u8::try_from(c).ok())
    }
}

/// The streams part of the log in `dir` (whose read-only open as a plain log succeeded):
/// `None` when it is no streams store. Costs a second read-only open of the log, which reads
/// it whole (the store's recovery scan); `info` calls it only for a log with user data,
/// where a store keeps its marker.
pub fn probe(dir: &Path) -> Option<StreamsInfo> {
    let store = match StreamsOptions::new().read_only(true).open(dir) {
        Ok(s) => s,
        Err(StreamsError::NotAStore { .. }) => return None,
        Err(e) => {
            return Some(StreamsInfo {
                topics: Vec::new(),
                consumers: Vec::new(),
                error: Some(CliError::from(e).to_json()),
            });
        }
    };
    let topics = store
        .topics()
        .into_iter()
        .map(|t| TopicRow {
            records: t.next_lsn - t.first_lsn,
            name: t.name,
            first_lsn: t.first_lsn,
            next_lsn: t.next_lsn,
            bytes: t.bytes,
        })
        .collect();
    let consumers = store
        .consumers()
        .into_iter()
        .map(|c| ConsumerRow {
            topic: c.topic,
            name: c.name,
            mode: match c.mode {
                ConsumerMode::Strict => "strict",
                _ => "at_least_once",
            },
            persist_every: match c.mode {
                ConsumerMode::AtLeastOnce { persist_every } => Some(persist_every),
                _ => None,
            },
            position: c.position,
        })
        .collect();
    // A read-only handle holds nothing on disk: a failed close changes nothing shown.
    let _ = store.close();
    Some(StreamsInfo {
        topics,
        consumers,
        error: None,
    })
}

/// The text lines of the streams part (appended to `info`'s report).
pub fn render(s: &mut String, info: &StreamsInfo) {
    let _ = writeln!(
        s,
        "  streams     : {}, {}",
        output::count(info.topics.len() as u64, "topic", "topics"),
        output::count(info.consumers.len() as u64, "consumer", "consumers")
    );
    if let Some(e) = &info.error {
        let msg = e["message"].as_str().unwrap_or("refused");
        let _ = writeln!(s, "  STREAMS     : {msg}");
    }
    if !info.topics.is_empty() {
        let _ = writeln!(
            s,
            "\n  {:<24} {:>12} {:>12} {:>12} {:>14}",
            "TOPIC", "FIRST LSN", "NEXT LSN", "RECORDS", "BYTES"
        );
        for t in &info.topics {
            let _ = writeln!(
                s,
                "  {:<24} {:>12} {:>12} {:>12} {:>14}",
                printable(&t.name),
                t.first_lsn,
                t.next_lsn,
                t.records,
                t.bytes
            );
        }
    }
    if !info.consumers.is_empty() {
        let _ = writeln!(
            s,
            "\n  {:<24} {:<24} {:<24} {:>12}",
            "CONSUMER", "TOPIC", "MODE", "POSITION"
        );
        for c in &info.consumers {
            let mode = match c.persist_every {
                Some(n) => format!("{}(persist_every={n})", c.mode),
                None => c.mode.to_string(),
            };
            let _ = writeln!(
                s,
                "  {:<24} {:<24} {:<24} {:>12}",
                printable(&c.name),
                printable(&c.topic),
                mode,
                c.position
            );
        }
    }
}
