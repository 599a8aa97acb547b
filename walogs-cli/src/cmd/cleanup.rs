//! `walogs cleanup DIR [--retention SECS] [--segment-duration SECS] [--max-topic-bytes N]
//! [--delete-consumed]`: run the store's retention once ([`Streams::cleanup`]) with these
//! settings and print what it deleted: records per topic, each topic's oldest LSN after it,
//! the strict consumers the size cap forced past unread records, the segment files and bytes
//! the disk got back.
//!
//! Takes the write lock (exit 4 when another writer holds it). A directory without a walogs
//! log is refused (exit 5) and nothing is created; a plain walogs log exits 1. Without any
//! retention setting nothing is deleted by time, size or consumption, but the space of what
//! earlier cleanups deleted can still be reclaimed.

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;
use walogs_streams::{CleanupReport, Streams, StreamsOptions};

use crate::cli::CleanupArgs;
use crate::error::{CliError, EXIT_OK};
use crate::output::{self, count};
use crate::store::{self, printable};

/// What one topic lost (a [`walogs_streams::TopicCleanup`] as printed).
#[derive(Debug, Serialize)]
struct TopicRow {
    topic: String,
    records_deleted: u64,
    first_lsn: u64,
    forced_past: Vec<String>,
}

/// What `cleanup` reports.
#[derive(Debug, Serialize)]
struct Cleaned {
    dir: String,
    records_deleted: u64,
    bytes_reclaimed: u64,
    segments_deleted: u64,
    topics: Vec<TopicRow>,
}

impl Cleaned {
    fn of(dir: String, r: CleanupReport) -> Cleaned {
        Cleaned {
            dir,
            records_deleted: r.records_deleted,
            bytes_reclaimed: r.bytes_reclaimed,
            segments_deleted: r.segments_deleted,
            topics: r
                .topics
                .into_iter()
                .map(|t| TopicRow {
                    topic: t.topic,
                    records_deleted: t.records_deleted,
                    first_lsn: t.first_lsn,
                    forced_past: t.forced_past,
                })
                .collect(),
        }
    }
}

/// The store options `args` ask for.
fn options(args: &CleanupArgs) -> StreamsOptions {
    StreamsOptions::new()
        .retention(args.retention.map(Duration::from_secs))
        .segment_duration(args.segment_duration.map(Duration::from_secs))
        .max_topic_bytes(args.max_topic_bytes)
        .delete_consumed(args.delete_consumed)
}

/// Run `cleanup`; returns the exit code.
pub fn run(args: &CleanupArgs, json: bool) -> Result<u8, CliError> {
    let store = store::open_existing(&args.dir, &options(args))?;
    let result = cleanup(&store);
    let report = store::close_after(store, result)?;
    let cleaned = Cleaned::of(args.dir.display().to_string(), report);
    let printed = if json {
        output::json(&cleaned)
    } else {
        output::text(&render(&cleaned))
    };
    output::finish(printed, EXIT_OK)
}

fn cleanup(store: &Streams) -> Result<CleanupReport, CliError> {
    Ok(store.cleanup()?)
}

fn render(c: &Cleaned) -> String {
    let mut s = String::new();
    if c.records_deleted == 0 && c.segments_deleted == 0 {
        let _ = writeln!(s, "NOTHING TO DELETE: {}", c.dir);
    } else {
        let _ = writeln!(s, "CLEANED: {}", c.dir);
    }
    let _ = writeln!(
        s,
        "  deleted {}; removed {} ({} reclaimed)",
        count(c.records_deleted, "record", "records"),
        count(c.segments_deleted, "segment file", "segment files"),
        output::bytes(c.bytes_reclaimed)
    );
    for t in &c.topics {
        let _ = writeln!(
            s,
            "  topic {}: deleted {}, oldest LSN now {}",
            printable(&t.topic),
            count(t.records_deleted, "record", "records"),
            t.first_lsn
        );
        if !t.forced_past.is_empty() {
            let names: Vec<String> = t.forced_past.iter().map(|n| printable(n)).collect();
            let _ = writeln!(
                s,
                "    the size cap deleted unread records of strict {}: {} (they resume at LSN {})",
                if names.len() == 1 {
                    "consumer"
                } else {
                    "consumers"
                },
                names.join(", "),
                t.first_lsn
            );
        }
    }
    s
}
