//! walrus-rust 0.2: topics of entries in 10 MiB blocks of 1000 MB preallocated files, with a
//! per-process configuration (the fsync schedule is set once per process, file handles and
//! block state live in process-wide tables, a background thread flushes and deletes, the
//! data directory comes from the `WALRUS_DATA_DIR` environment variable). So every walrus
//! measurement runs in a fresh child process: this binary re-executed with
//! [`PEER_SUBCOMMAND`], the case passed over argv, the result read back from stdout.
//!
//! Equal durability: durable measurements use `FsyncSchedule::SyncEach`, under which walrus
//! opens its files with `O_SYNC` and calls `fsync` after every `append_for_topic` and after
//! every `batch_append_for_topic` (an io_uring submission of the batch's writes) before
//! returning. Appending to one topic from several threads is safe and serialised by the
//! topic's writer lock (no group commit). Reads use `ReadConsistency::AtLeastOnce` with a
//! persistence interval larger than the log, so reading does not write read offsets
//! entry by entry. Walrus reads a topic as a queue (`read_next`, `batch_read_for_topic`):
//! there is no read of an entry by its position, so point reads cannot be measured.

use std::ffi::OsString;
use std::path::Path;
use std::time::{Duration, Instant};

use walrus_rust::{FsyncSchedule, ReadConsistency, Walrus};

use super::{Recovery, arg_num, arg_str};
use crate::args::PEER_SUBCOMMAND;
use crate::biglog::{stamp, stamped};
use crate::child;
use crate::error::{BenchError, PeerContext, Result};
use crate::memory::peak_rss_kib;
use crate::rawio::payload;
use crate::stats::Sample;
use crate::timing::{Limits, run_threads};

/// The peer's name in the tables.
pub const PEER: &str = "walrus-rust";
/// Child operation: one timed write round.
pub const OP_WRITE: &str = "walrus-write";
/// Child operation: write the read-measurement log.
pub const OP_CREATE: &str = "walrus-create";
/// Child operation: one recovery pass.
pub const OP_RECOVER: &str = "walrus-recover";
/// Child operation: one timed pass of `batch_read_for_topic` with a byte budget.
pub const OP_BATCH_READ: &str = "walrus-batch-read";

/// Why point reads are not measured.
pub const NO_POINT_READS: &str = "walrus-rust reads a topic as a queue (read_next, batch_read_for_topic): no read of an entry by position";

/// The walrus namespace (a directory under `WALRUS_DATA_DIR`) and the topic.
const KEY: &str = "bench";
const TOPIC: &str = "bench";
/// Payload bytes asked of one `batch_read_for_topic` call while reading a log back.
const READ_CHUNK: usize = 4 << 20;

/// How a write round appends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteKind {
    /// `append_for_topic`, `FsyncSchedule::SyncEach`.
    Durable,
    /// `append_for_topic`, `FsyncSchedule::NoFsync`.
    NoSync,
    /// `batch_append_for_topic`, `FsyncSchedule::SyncEach`.
    DurableBatch,
}

impl WriteKind {
    fn name(self) -> &'static str {
        match self {
            WriteKind::Durable => "durable",
            WriteKind::NoSync => "nosync",
            WriteKind::DurableBatch => "batch",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        [
            WriteKind::Durable,
            WriteKind::NoSync,
            WriteKind::DurableBatch,
        ]
        .into_iter()
        .find(|k| k.name() == s)
        .ok_or_else(|| BenchError::Args(format!("unknown walrus write kind {s:?}")))
    }
}

fn env(dir: &Path) -> [(&'static str, OsString); 2] {
    [
        ("WALRUS_DATA_DIR", dir.as_os_str().to_os_string()),
        ("WALRUS_QUIET", "1".into()),
    ]
}

fn run_child(op: &str, dir: &Path, rest: &[String]) -> Result<child::Fields> {
    let mut args: Vec<OsString> = vec![PEER_SUBCOMMAND.into(), op.into(), dir.into()];
    args.extend(rest.iter().map(OsString::from));
    child::run(&args, &env(dir))
}

/// One timed write round in a child process: `threads` threads appending to one topic,
/// `count` entries of `size` bytes per operation (`count > 1` only for batches).
pub fn write_round(
    dir: &Path,
    kind: WriteKind,
    threads: usize,
    count: usize,
    size: usize,
    limits: Limits,
) -> Result<Sample> {
    write_round_topics(dir, kind, 1, threads, count, size, limits)
}

/// [`write_round`] over `topics` topics: operation `i` of thread `t` appends to topic
/// [`topic_of`]`(t, i, threads, topics)`, so that threads write different topics at once.
pub fn write_round_topics(
    dir: &Path,
    kind: WriteKind,
    topics: usize,
    threads: usize,
    count: usize,
    size: usize,
    limits: Limits,
) -> Result<Sample> {
    let rest = [
        kind.name().to_string(),
        threads.to_string(),
        count.to_string(),
        size.to_string(),
        limits.duration.as_nanos().to_string(),
        limits.max_ops.to_string(),
        topics.to_string(),
    ];
    run_child(OP_WRITE, dir, &rest)?.sample()
}

/// The topic operation `i` of thread `t` writes when `threads` threads share `topics`
/// topics (every benchmark of several topics uses this spread).
pub fn topic_of(t: usize, i: u64, threads: usize, topics: usize) -> usize {
    ((t as u64 + i * threads as u64) % topics.max(1) as u64) as usize
}

/// The name of topic `k` of `topics` (the single topic keeps its old name).
fn topic_name(k: usize, topics: usize) -> String {
    if topics <= 1 {
        TOPIC.to_string()
    } else {
        format!("{TOPIC}-{k}")
    }
}

/// One read of the whole topic of a log [`create_log`] wrote, in a fresh child process:
/// `batch_read_for_topic` with a budget of `budget` bytes until it returns nothing, every
/// entry checked. Returns (open time, read time) besides the entries counted.
pub fn batch_read(
    dir: &Path,
    entries: u64,
    entry_size: usize,
    budget: usize,
) -> Result<(Duration, Duration)> {
    remove_read_offsets(dir)?;
    let f = run_child(
        OP_BATCH_READ,
        dir,
        &[
            entries.to_string(),
            entry_size.to_string(),
            budget.to_string(),
        ],
    )?;
    if f.num("entries")? != entries {
        return Err(BenchError::Check(format!(
            "walrus-rust batch read {} entries of {entries}",
            f.num("entries")?
        )));
    }
    Ok((
        Duration::from_nanos(f.num("open_ns")?),
        Duration::from_nanos(f.num("read_ns")?),
    ))
}

/// Remove the read offsets an earlier pass persisted, so the next reads start at the
/// beginning of the topic.
fn remove_read_offsets(dir: &Path) -> Result<()> {
    let index = dir.join(KEY).join("read_offset_idx_index.db");
    match std::fs::remove_file(&index) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(BenchError::Io {
            what: format!("remove {}", index.display()),
            source: e,
        }),
    }
}

/// Write the read-measurement log (`entries` entries of `entry_size` bytes, one
/// `append_for_topic` each, `NoFsync`) in a child process; returns how long it took.
pub fn create_log(dir: &Path, entries: u64, entry_size: usize) -> Result<Duration> {
    let f = run_child(
        OP_CREATE,
        dir,
        &[entries.to_string(), entry_size.to_string()],
    )?;
    if f.num("entries")? != entries {
        return Err(BenchError::Check(
            "walrus-rust wrote a different number of entries".into(),
        ));
    }
    Ok(Duration::from_nanos(f.num("create_ns")?))
}

/// One recovery pass (open + read the whole topic) in a fresh child process, from the
/// start of the topic: the read offsets an earlier pass persisted are removed first.
pub fn recover(dir: &Path, entries: u64, entry_size: usize) -> Result<Recovery> {
    remove_read_offsets(dir)?;
    let f = run_child(
        OP_RECOVER,
        dir,
        &[entries.to_string(), entry_size.to_string()],
    )?;
    let r = Recovery::from_fields(&f)?;
    r.check(PEER, entries, entry_size)?;
    Ok(r)
}

fn open(dir: &Path, schedule: FsyncSchedule) -> Result<Walrus> {
    if std::env::var_os("WALRUS_DATA_DIR").as_deref() != Some(dir.as_os_str()) {
        return Err(BenchError::Args(
            "walrus children need WALRUS_DATA_DIR set to their directory".into(),
        ));
    }
    Walrus::with_consistency_and_schedule_for_key(
        KEY,
        ReadConsistency::AtLeastOnce {
            persist_every: u32::MAX,
        },
        schedule,
    )
    .peer_ctx(PEER, "open")
}

/// Read the whole topic from the current read position; calls `each(position, data)` for
/// every entry (position counts from 1) and returns the number of entries.
fn read_all(wal: &Walrus, each: impl FnMut(u64, &[u8]) -> Result<()>) -> Result<u64> {
    read_topic(wal, TOPIC, READ_CHUNK, each)
}

/// Read `topic` from the current read position with `batch_read_for_topic` calls of
/// `budget` bytes; calls `each(position, data)` for every entry (position counts from 1)
/// and returns the number of entries.
fn read_topic(
    wal: &Walrus,
    topic: &str,
    budget: usize,
    mut each: impl FnMut(u64, &[u8]) -> Result<()>,
) -> Result<u64> {
    let mut n = 0u64;
    loop {
        let got = wal
            .batch_read_for_topic(topic, budget, true)
            .peer_ctx(PEER, "batch_read_for_topic")?;
        if got.is_empty() {
            return Ok(n);
        }
        for e in &got {
            n += 1;
            each(n, &e.data)?;
        }
    }
}

/// Child: `DIR KIND THREADS COUNT SIZE DURATION_NS MAX_OPS [TOPICS]`; one timed round, then
/// every entry of every topic is read back and counted.
pub fn child_write(args: &[String]) -> Result<()> {
    let dir = Path::new(arg_str(args, 0, "DIR")?);
    let kind = WriteKind::parse(arg_str(args, 1, "KIND")?)?;
    let threads: usize = arg_num(args, 2, "THREADS")?;
    let count: usize = arg_num(args, 3, "COUNT")?;
    let size: usize = arg_num(args, 4, "SIZE")?;
    let limits = Limits {
        duration: Duration::from_nanos(arg_num(args, 5, "DURATION_NS")?),
        max_ops: arg_num(args, 6, "MAX_OPS")?,
    };
    let schedule = match kind {
        WriteKind::NoSync => FsyncSchedule::NoFsync,
        WriteKind::Durable | WriteKind::DurableBatch => FsyncSchedule::SyncEach,
    };
    let topics: usize = match args.get(7) {
        Some(_) => arg_num(args, 7, "TOPICS")?,
        None => 1,
    };
    let names: Vec<String> = (0..topics.max(1)).map(|k| topic_name(k, topics)).collect();
    let wal = open(dir, schedule)?;
    let bodies: Vec<Vec<u8>> = (0..count).map(|i| payload(size, 20 + i as u64)).collect();
    let refs: Vec<&[u8]> = bodies.iter().map(Vec::as_slice).collect();
    let s = run_threads(threads, limits, (count * size) as u64, |t, i| {
        let topic = &names[topic_of(t, i, threads, names.len())];
        if kind == WriteKind::DurableBatch {
            wal.batch_append_for_topic(topic, &refs)
                .peer_ctx(PEER, "batch_append_for_topic")
        } else {
            wal.append_for_topic(topic, refs[0])
                .peer_ctx(PEER, "append_for_topic")
        }
    })?;
    let mut held = 0;
    for topic in &names {
        held += read_topic(&wal, topic, READ_CHUNK, |_, d| {
            if d.len() == size {
                Ok(())
            } else {
                Err(BenchError::Check(format!(
                    "walrus-rust read back an entry of {} B",
                    d.len()
                )))
            }
        })?;
    }
    if held != s.ops * count as u64 {
        return Err(BenchError::Check(format!(
            "walrus-rust holds {held} entries after {} acknowledged",
            s.ops * count as u64
        )));
    }
    println!("{}", child::result_line(&child::sample_pairs(&s)));
    Ok(())
}

/// Child: `DIR ENTRIES ENTRY_SIZE`; write the read-measurement log.
pub fn child_create(args: &[String]) -> Result<()> {
    let dir = Path::new(arg_str(args, 0, "DIR")?);
    let entries: u64 = arg_num(args, 1, "ENTRIES")?;
    let entry_size: usize = arg_num(args, 2, "ENTRY_SIZE")?;
    let t = Instant::now();
    let wal = open(dir, FsyncSchedule::NoFsync)?;
    let mut buf = payload(entry_size, 14);
    for i in 1..=entries {
        stamp(&mut buf, i);
        wal.append_for_topic(TOPIC, &buf)
            .peer_ctx(PEER, "append_for_topic")?;
    }
    let ns = u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX);
    println!(
        "{}",
        child::result_line(&[("entries", entries), ("create_ns", ns)])
    );
    Ok(())
}

/// Child: `DIR ENTRIES ENTRY_SIZE`; open the log and read every entry (each checked).
pub fn child_recover(args: &[String]) -> Result<()> {
    let dir = Path::new(arg_str(args, 0, "DIR")?);
    let expect: u64 = arg_num(args, 1, "ENTRIES")?;
    let entry_size: usize = arg_num(args, 2, "ENTRY_SIZE")?;
    let hwm_start_kib = peak_rss_kib().unwrap_or(0);
    let start = Instant::now();
    let wal = open(dir, FsyncSchedule::NoFsync)?;
    let open_time = start.elapsed();
    let mut bytes = 0u64;
    let entries = read_all(&wal, |i, d| {
        if d.len() != entry_size || !stamped(d, i) {
            return Err(BenchError::Check(format!(
                "walrus-rust entry {i} read back wrong"
            )));
        }
        bytes += d.len() as u64;
        Ok(())
    })?;
    let r = Recovery {
        entries,
        bytes,
        open: open_time,
        total: start.elapsed(),
        hwm_start_kib,
        hwm_end_kib: peak_rss_kib().unwrap_or(0),
    };
    if entries != expect {
        return Err(BenchError::Check(format!(
            "walrus-rust recovered {entries} entries of {expect}"
        )));
    }
    println!("{}", child::result_line(&r.pairs()));
    Ok(())
}

/// Child: `DIR ENTRIES ENTRY_SIZE BUDGET`; open the log, then read the whole topic with
/// `batch_read_for_topic(BUDGET)`, every entry checked; reports the open and read times.
pub fn child_batch_read(args: &[String]) -> Result<()> {
    let dir = Path::new(arg_str(args, 0, "DIR")?);
    let expect: u64 = arg_num(args, 1, "ENTRIES")?;
    let entry_size: usize = arg_num(args, 2, "ENTRY_SIZE")?;
    let budget: usize = arg_num(args, 3, "BUDGET")?;
    let start = Instant::now();
    let wal = open(dir, FsyncSchedule::NoFsync)?;
    let open_time = start.elapsed();
    let read_start = Instant::now();
    let entries = read_topic(&wal, TOPIC, budget, |i, d| {
        if d.len() != entry_size || !stamped(d, i) {
            return Err(BenchError::Check(format!(
                "walrus-rust entry {i} read back wrong"
            )));
        }
        Ok(())
    })?;
    let read_time = read_start.elapsed();
    if entries != expect {
        return Err(BenchError::Check(format!(
            "walrus-rust read {entries} entries of {expect}"
        )));
    }
    let ns = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    println!(
        "{}",
        child::result_line(&[
            ("entries", entries),
            ("open_ns", ns(open_time)),
            ("read_ns", ns(read_time)),
        ])
    );
    Ok(())
}
