//! Consumer batch reads of walogs-streams beside walrus-rust's `batch_read_for_topic` and a
//! raw `read(2)` of the same bytes: one topic of `entries` records of `entry_size` bytes
//! (each stamped with its LSN), read whole, warm page cache, with a budget of
//! [`BUDGET`] bytes per call.
//!
//! - walogs-streams: the store is opened (its recovery scan, timed apart), then a consumer
//!   (`AtLeastOnce`, position persisted only at its close, as walrus reads with
//!   `AtLeastOnce` and a persistence interval larger than the topic) calls
//!   `next_batch_into(batch, BUDGET, Some(0))` with one reused `RecordBatch` until it
//!   returns nothing, then a second consumer does the same with `next_batch` (a `Vec` of
//!   owned records per call); every record is checked (dense LSNs, size, stamp). Each round
//!   uses new consumer names, so each starts at LSN 1. The time is that of the reads: a
//!   consumer's registration (one durable position entry) comes before the clock starts.
//! - walrus-rust: a fresh child process opens the log (timed apart) and calls
//!   `batch_read_for_topic(topic, BUDGET, true)` until it returns nothing, every entry
//!   checked.
//! - raw: `read(2)` of the store's segment files with a 256 KiB buffer (the floor: the
//!   bytes on disk, no decoding, no check).
//!
//! The rounds interleave the three, after one warm-up read of each log.

use std::path::Path;
use std::time::{Duration, Instant};

use walogs_streams::{Consumer, ConsumerMode, Durability, NewRecord, RecordBatch, StreamsOptions};

use crate::biglog::{stamp, stamped};
use crate::error::{BenchError, Context, Result};
use crate::peers::{Outcome, walrus};
use crate::rawio::{payload, syncfs};
use crate::readpass;
use crate::stats::median;

/// Bytes of data and headers one batch read may return.
pub const BUDGET: usize = 1 << 20;
/// The topic the store holds.
const TOPIC: &str = "reads";
/// Records per atomic batch while the store is written.
const FILL_BATCH: usize = 256;

/// The medians of the rounds.
#[derive(Debug, Clone)]
pub struct BatchReads {
    /// Records of the topic.
    pub entries: u64,
    /// Payload bytes of each.
    pub entry_size: usize,
    /// Bytes of the store's segment files (what the raw read reads).
    pub file_bytes: u64,
    /// walogs-streams: store open (recovery scan), median.
    pub streams_open: Duration,
    /// walogs-streams: consumer + `next_batch_into` until drained, median.
    pub streams_read: Duration,
    /// walogs-streams: consumer + `next_batch` (owned records) until drained, median.
    pub streams_read_vec: Duration,
    /// Raw `read(2)` of the segment files, median.
    pub raw_read: Duration,
    /// walrus-rust (open, read) medians, or why there are none.
    pub walrus: Outcome<(Duration, Duration)>,
    /// Rounds measured.
    pub rounds: usize,
}

/// Write the store and the walrus log under `dir`, run `rounds` interleaved rounds, delete
/// both. Progress goes to stderr.
pub fn run(dir: &Path, entries: u64, entry_size: usize, rounds: usize) -> Result<BatchReads> {
    let store_dir = dir.join("streams-reads");
    let walrus_dir = dir.join("walrus-reads");
    eprintln!("streams batch reads: writing {entries} records of {entry_size} B...");
    fill_store(&store_dir, entries, entry_size)?;
    let walrus_log = walrus::create_log(&walrus_dir, entries, entry_size);
    syncfs(dir)?;
    // Warm-up reads: the page cache holds both logs from here on.
    let file_bytes = readpass::raw_read(&store_dir)?;
    let mut walrus_rounds: Outcome<Vec<(Duration, Duration)>> = match walrus_log {
        Ok(_) => {
            crate::peers::reads::warm(&walrus_dir)?;
            Ok(Vec::new())
        }
        Err(e) => Err(e.to_string()),
    };
    let mut opens = Vec::new();
    let mut reads = Vec::new();
    let mut reads_vec = Vec::new();
    let mut raws = Vec::new();
    for r in 0..rounds.max(1) {
        let t = Instant::now();
        let n = readpass::raw_read(&store_dir)?;
        raws.push(t.elapsed());
        // Each round's consumer adds its position entries (a few dozen bytes) to the log.
        if n < file_bytes {
            return Err(BenchError::Check(format!(
                "raw read of the store read {n} bytes, the first one {file_bytes}"
            )));
        }
        let (open, read, read_vec) = consume(&store_dir, r, entries, entry_size)?;
        opens.push(open);
        reads.push(read);
        reads_vec.push(read_vec);
        if let Ok(v) = &mut walrus_rounds {
            match walrus::batch_read(&walrus_dir, entries, entry_size, BUDGET) {
                Ok(got) => v.push(got),
                Err(e) => walrus_rounds = Err(e.to_string()),
            }
        }
        eprintln!(
            "  round {}/{} streams open {:.1} ms + next_batch_into {:.1} ms (next_batch {:.1} ms), raw {:.1} ms",
            r + 1,
            rounds.max(1),
            ms(open),
            ms(read),
            ms(read_vec),
            ms(raws[r])
        );
    }
    for d in [&store_dir, &walrus_dir] {
        if d.exists() {
            std::fs::remove_dir_all(d).ctx(format!("remove {}", d.display()))?;
        }
    }
    syncfs(dir)?;
    let med = |v: &[Duration]| {
        let secs: Vec<f64> = v.iter().map(Duration::as_secs_f64).collect();
        Duration::from_secs_f64(median(&secs).unwrap_or(0.0))
    };
    Ok(BatchReads {
        entries,
        entry_size,
        file_bytes,
        streams_open: med(&opens),
        streams_read: med(&reads),
        streams_read_vec: med(&reads_vec),
        raw_read: med(&raws),
        walrus: walrus_rounds.map(|v| {
            let opens: Vec<Duration> = v.iter().map(|x| x.0).collect();
            let reads: Vec<Duration> = v.iter().map(|x| x.1).collect();
            (med(&opens), med(&reads))
        }),
        rounds: rounds.max(1),
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Write `entries` stamped records to the topic (atomic batches, no fsync until the end).
fn fill_store(dir: &Path, entries: u64, entry_size: usize) -> Result<()> {
    let store = StreamsOptions::new()
        .durability(Durability::None)
        .open(dir)
        .ctx("open the read store")?;
    let mut bufs: Vec<Vec<u8>> = vec![payload(entry_size, 15); FILL_BATCH];
    let mut lsn = 1u64;
    while lsn <= entries {
        let n = FILL_BATCH.min((entries - lsn + 1) as usize);
        for (k, b) in bufs.iter_mut().take(n).enumerate() {
            stamp(b, lsn + k as u64);
        }
        let records: Vec<NewRecord<'_>> = bufs[..n]
            .iter()
            .map(|b| NewRecord {
                data: b,
                ..NewRecord::default()
            })
            .collect();
        let range = store.append_batch(TOPIC, &records).ctx("append_batch")?;
        if range.first != lsn {
            return Err(BenchError::Check(format!(
                "walogs-streams: a batch got LSN {} where {lsn} was due",
                range.first
            )));
        }
        lsn += n as u64;
    }
    store.sync().ctx("sync")?;
    store.close().ctx("close")
}

/// Open the store, then read the whole topic through a new consumer with
/// `next_batch_into(BUDGET)` and through another with `next_batch(BUDGET)`, checking every
/// record; returns (open time, `next_batch_into` time, `next_batch` time).
fn consume(
    dir: &Path,
    round: usize,
    entries: u64,
    entry_size: usize,
) -> Result<(Duration, Duration, Duration)> {
    let t = Instant::now();
    let store = StreamsOptions::new().open(dir).ctx("open the read store")?;
    let open = t.elapsed();
    let mode = ConsumerMode::AtLeastOnce {
        persist_every: u32::MAX,
    };
    let mut check = Checker::new(entries, entry_size);
    let mut consumer = store
        .consumer(TOPIC, &format!("reader-{round}"), mode)
        .ctx("consumer")?;
    let t = Instant::now();
    let mut batch = RecordBatch::new();
    while consumer
        .next_batch_into(&mut batch, BUDGET, Some(Duration::ZERO))
        .ctx("next_batch_into")?
        > 0
    {
        for r in &batch {
            check.record(r.lsn, r.data)?;
        }
    }
    let read = t.elapsed();
    check.done()?;
    consumer.close().ctx("consumer close")?;

    let mut check = Checker::new(entries, entry_size);
    let mut consumer = store
        .consumer(TOPIC, &format!("vec-reader-{round}"), mode)
        .ctx("consumer")?;
    let t = Instant::now();
    drain_owned(&mut consumer, &mut check)?;
    let read_vec = t.elapsed();
    check.done()?;
    consumer.close().ctx("consumer close")?;
    store.close().ctx("close")?;
    Ok((open, read, read_vec))
}

/// `next_batch` until nothing is left, every record checked.
fn drain_owned(consumer: &mut Consumer, check: &mut Checker) -> Result<()> {
    loop {
        let batch = consumer
            .next_batch(BUDGET, Some(Duration::ZERO))
            .ctx("next_batch")?;
        if batch.is_empty() {
            return Ok(());
        }
        for r in &batch {
            check.record(r.lsn, &r.data)?;
        }
    }
}

/// Checks that a consumer gets every record once, in order, intact.
struct Checker {
    next: u64,
    entries: u64,
    entry_size: usize,
}

impl Checker {
    fn new(entries: u64, entry_size: usize) -> Checker {
        Checker {
            next: 1,
            entries,
            entry_size,
        }
    }
    fn record(&mut self, lsn: u64, data: &[u8]) -> Result<()> {
        if lsn != self.next || data.len() != self.entry_size || !stamped(data, lsn) {
            return Err(BenchError::Check(format!(
                "walogs-streams: consumer got record {lsn} ({} B) where {} was due",
                data.len(),
                self.next
            )));
        }
        self.next += 1;
        Ok(())
    }
    fn done(&self) -> Result<()> {
        if self.next != self.entries + 1 {
            return Err(BenchError::Check(format!(
                "walogs-streams: the consumer read {} records of {}",
                self.next - 1,
                self.entries
            )));
        }
        Ok(())
    }
}
