//! raft-engine 0.4 (tikv): a log-structured store of many raft groups' entries. Entries are
//! protobuf messages; here `BytesValue` messages whose payload starts with the entry's index
//! (the stamp every benchmark payload carries), so [`StampedEntries::index`] reads it back.
//! `Engine::write(batch, sync)` is thread-safe and group-commits: concurrent writers join
//! one leader's write and fdatasync.
//!
//! Equal durability: every durable measurement calls `write(batch, true)`, which returns
//! only after the leader's fdatasync of the log file covering the batch. Compression of
//! batches is turned off (`batch_compression_threshold = 0`): the benchmark's payloads are
//! a compressible pattern and walogs does not compress. Everything else is the default
//! configuration (128 MiB files, 4 recovery threads, log recycling).
//!
//! Entries of one raft group must be appended in index order, so each writer thread appends
//! to its own group (region `thread + 1`), as raft-engine is used: one log per raft group.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use protobuf::well_known_types::BytesValue;
use raft_engine::{Config, Engine, LogBatch, MessageExt, ReadableSize};

use super::{Recovery, arg_num, arg_str};
use crate::args::PEER_SUBCOMMAND;
use crate::biglog::{stamp, stamped};
use crate::child;
use crate::error::{BenchError, PeerContext, Result};
use crate::memory::peak_rss_kib;
use crate::rawio::payload;
use crate::stats::{Percentiles, Sample};
use crate::timing::{Limits, latencies, picks, run_threads};

/// The peer's name in the tables.
pub const PEER: &str = "raft-engine";
/// The child operation that measures one recovery pass.
pub const OP_RECOVER: &str = "raft-recover";
/// Entries fetched per `fetch_entries_to` call while recovering.
const FETCH_CHUNK: u64 = 4096;

/// The raft-engine message type of the benchmark's entries.
#[derive(Debug)]
pub struct StampedEntries;

impl MessageExt for StampedEntries {
    type Entry = BytesValue;

    fn index(e: &BytesValue) -> u64 {
        e.value
            .first_chunk::<8>()
            .map_or(0, |b| u64::from_le_bytes(*b))
    }
}

fn entry(mut data: Vec<u8>, index: u64) -> BytesValue {
    stamp(&mut data, index);
    let mut e = BytesValue::new();
    e.value = data;
    e
}

fn config(dir: &Path) -> Config {
    Config {
        dir: dir.to_string_lossy().into_owned(),
        batch_compression_threshold: ReadableSize(0),
        ..Config::default()
    }
}

fn open(dir: &Path) -> Result<Engine> {
    Engine::open(config(dir)).peer_ctx(PEER, "Engine::open")
}

/// Write `entries` (consecutive indexes of `region`) in one batch, fdatasync'd when `sync`.
fn write(engine: &Engine, region: u64, entries: &[BytesValue], sync: bool) -> Result<()> {
    let mut batch = LogBatch::with_capacity(entries.len());
    batch
        .add_entries::<StampedEntries>(region, entries)
        .peer_ctx(PEER, "LogBatch::add_entries")?;
    engine
        .write(&mut batch, sync)
        .map(drop)
        .peer_ctx(PEER, "Engine::write")
}

/// Fail unless the groups `1..=groups` hold `total` entries together, each from index 1.
fn check(engine: &Engine, groups: u64, total: u64) -> Result<()> {
    let mut held = 0;
    for region in 1..=groups {
        if let Some(last) = engine.last_index(region) {
            if engine.first_index(region) != Some(1) {
                return Err(BenchError::Check(format!(
                    "raft-engine group {region} does not start at 1"
                )));
            }
            held += last;
        }
    }
    if held != total {
        return Err(BenchError::Check(format!(
            "raft-engine holds {held} entries after {total} acknowledged"
        )));
    }
    Ok(())
}

/// `threads` threads, each appending `payload_len`-byte entries one per `write` to its own
/// raft group, fdatasync'd before `write` returns when `sync`.
pub fn append(
    dir: &Path,
    threads: usize,
    payload_len: usize,
    sync: bool,
    limits: Limits,
) -> Result<Sample> {
    let engine = open(&dir.join("raft"))?;
    let data = payload(payload_len, 12);
    let s = run_threads(threads, limits, payload_len as u64, |t, i| {
        write(&engine, t as u64 + 1, &[entry(data.clone(), i + 1)], sync)
    })?;
    check(&engine, threads as u64, s.ops)?;
    Ok(s)
}

/// Durable batches of `count` entries of `size` bytes: one `write(batch, true)` each.
pub fn durable_batch(dir: &Path, count: usize, size: usize, limits: Limits) -> Result<Sample> {
    let engine = open(&dir.join("raft"))?;
    let bodies: Vec<Vec<u8>> = (0..count).map(|i| payload(size, i as u64)).collect();
    let s = run_threads(1, limits, (count * size) as u64, |_, i| {
        let first = i * count as u64 + 1;
        let batch: Vec<BytesValue> = bodies
            .iter()
            .zip(first..)
            .map(|(b, idx)| entry(b.clone(), idx))
            .collect();
        write(&engine, 1, &batch, true)
    })?;
    check(&engine, 1, s.ops * count as u64)?;
    Ok(s)
}

/// A log written for the read measurements: group 1 holds `entries` entries of
/// `entry_size` bytes, one `write` each (not synced; one sync at the end).
pub struct RaftLog {
    /// The engine that wrote it (its files are in the page cache).
    pub engine: Engine,
    /// Its directory.
    pub dir: PathBuf,
    /// How long writing it took.
    pub create_time: Duration,
}

/// Write the read-measurement log under `dir`.
pub fn create_log(dir: &Path, entries: u64, entry_size: usize) -> Result<RaftLog> {
    let dir = dir.join("raft");
    let t = Instant::now();
    let engine = open(&dir)?;
    let data = payload(entry_size, 13);
    for i in 1..=entries {
        write(&engine, 1, &[entry(data.clone(), i)], false)?;
    }
    engine.sync().peer_ctx(PEER, "sync")?;
    check(&engine, 1, entries)?;
    Ok(RaftLog {
        engine,
        dir,
        create_time: t.elapsed(),
    })
}

impl RaftLog {
    /// `get_entry` of `samples` random entries (each checked), after one untimed pass over
    /// the same entries.
    pub fn point_reads(
        &self,
        entries: u64,
        entry_size: usize,
        samples: usize,
    ) -> Result<Percentiles> {
        let picks = picks(0x7261_6674, 1, entries, samples);
        let read = |i: u64| -> Result<()> {
            let e = self
                .engine
                .get_entry::<StampedEntries>(1, i)
                .peer_ctx(PEER, "get_entry")?;
            match e {
                Some(e) if e.value.len() == entry_size && stamped(&e.value, i) => Ok(()),
                _ => Err(BenchError::Check(format!(
                    "raft-engine get_entry({i}) returned the wrong entry"
                ))),
            }
        };
        latencies(&picks, read)?;
        let lat = latencies(&picks, read)?;
        Percentiles::of(&lat).ok_or_else(|| BenchError::Check("raft-engine: no point read".into()))
    }

    /// One recovery pass in a fresh process (the engine here must be closed first: raft-engine
    /// locks its directory). Checks that it read every entry.
    pub fn recover_in_child(dir: &Path, entries: u64, entry_size: usize) -> Result<Recovery> {
        let args: Vec<OsString> = vec![
            PEER_SUBCOMMAND.into(),
            OP_RECOVER.into(),
            dir.into(),
            entries.to_string().into(),
            entry_size.to_string().into(),
        ];
        let r = Recovery::from_fields(&child::run(&args, &[])?)?;
        r.check(PEER, entries, entry_size)?;
        Ok(r)
    }
}

/// The child operation: `Engine::open` + `fetch_entries_to` of every entry of group 1 of the
/// log in `DIR` (arguments: DIR ENTRIES ENTRY_SIZE), each entry checked.
pub fn child_recover(args: &[String]) -> Result<()> {
    let dir = PathBuf::from(arg_str(args, 0, "DIR")?);
    let expect: u64 = arg_num(args, 1, "ENTRIES")?;
    let entry_size: usize = arg_num(args, 2, "ENTRY_SIZE")?;
    let hwm_start_kib = peak_rss_kib().unwrap_or(0);
    let start = Instant::now();
    let engine = open(&dir)?;
    let open_time = start.elapsed();
    let (mut entries, mut bytes) = (0u64, 0u64);
    if let (Some(first), Some(last)) = (engine.first_index(1), engine.last_index(1)) {
        let mut got = Vec::with_capacity(FETCH_CHUNK as usize);
        let mut begin = first;
        while begin <= last {
            let end = (begin + FETCH_CHUNK).min(last + 1);
            got.clear();
            engine
                .fetch_entries_to::<StampedEntries>(1, begin, end, None, &mut got)
                .peer_ctx(PEER, "fetch_entries_to")?;
            for (e, idx) in got.iter().zip(begin..) {
                if e.value.len() != entry_size || !stamped(&e.value, idx) {
                    return Err(BenchError::Check(format!(
                        "raft-engine entry {idx} read back wrong"
                    )));
                }
                entries += 1;
                bytes += e.value.len() as u64;
            }
            if got.len() as u64 != end - begin {
                return Err(BenchError::Check(format!(
                    "raft-engine fetched {} entries of {begin}..{end}",
                    got.len()
                )));
            }
            begin = end;
        }
    }
    let total = start.elapsed();
    let r = Recovery {
        entries,
        bytes,
        open: open_time,
        total,
        hwm_start_kib,
        hwm_end_kib: peak_rss_kib().unwrap_or(0),
    };
    drop(engine);
    if entries != expect {
        return Err(BenchError::Check(format!(
            "raft-engine recovered {entries} entries of {expect}"
        )));
    }
    println!("{}", child::result_line(&r.pairs()));
    Ok(())
}
