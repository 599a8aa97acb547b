//! The write-path measurements: every case in one list, run in interleaved rounds (round 1
//! of every case, then round 2 of every case, ...) so that drift of the disk hits all of them
//! alike, each round in a fresh directory that is deleted (and the file system synced)
//! before the next one starts.

use std::path::Path;

use crate::core_cases;
use crate::error::{Context, Result};
use crate::peers;
use crate::raw_cases::{self, Populate};
use crate::rawio::{FRAME_HEADER, Prealloc, syncfs};
use crate::stats::{Sample, Summary};
use crate::timing::Limits;
use crate::wait_lock::{ParkingLot, Primitives, StdSync};
use walogs_core::{Durability, WalOptions};

/// Keys of the cases (the targets look them up).
pub mod keys {
    #![allow(missing_docs)]
    pub const RAW_GROW_128: &str = "raw.grow.128";
    pub const RAW_FALLOC_128: &str = "raw.falloc.128";
    pub const RAW_ZERO_128: &str = "raw.zero.128";
    pub const RAW_GROW_4K: &str = "raw.grow.4k";
    pub const RAW_FALLOC_4K: &str = "raw.falloc.4k";
    pub const RAW_ZERO_4K: &str = "raw.zero.4k";
    pub const RAW_FALLOC_BATCH: &str = "raw.falloc.batch";
    pub const RAW_ZERO_BATCH: &str = "raw.zero.batch";
    pub const RAW_WRITE_128: &str = "raw.write.128";
    pub const RAW_PWRITE_128: &str = "raw.pwrite.128";
    pub const RAW_STDPWRITE_128: &str = "raw.stdpwrite.128";
    pub const RAW_MMAP_128: &str = "raw.mmap.128";
    pub const RAW_MMAPSTEP_128: &str = "raw.mmapstep.128";
    pub const RAW_GROUP_4: &str = "raw.group.4";
    pub const RAW_GROUP_16: &str = "raw.group.16";
    pub const RAW_GROUPPL_4: &str = "raw.grouppl.4";
    pub const RAW_GROUPPL_16: &str = "raw.grouppl.16";
    pub const RAW_GROUPPIPE_4: &str = "raw.grouppipe.4";
    pub const RAW_GROUPPIPE_16: &str = "raw.grouppipe.16";
    pub const CORE_APPEND_128: &str = "core.append.128";
    pub const CORE_APPEND_4K: &str = "core.append.4k";
    pub const CORE_APPEND_4K_NOPRE: &str = "core.append.4k.noprealloc";
    pub const CORE_BATCH_NOPRE: &str = "core.batch.noprealloc";
    pub const RAW_FSTEP_4K: &str = "raw.fsteps.4k";
    pub const RAW_ZSTEP_4K: &str = "raw.zsteps.4k";
    pub const RAW_FSTEP_BATCH: &str = "raw.fsteps.batch";
    pub const RAW_ZSTEP_BATCH: &str = "raw.zsteps.batch";
    pub const RAW_ZAHEAD_BATCH: &str = "raw.zahead.batch";
    pub const CORE_BATCH: &str = "core.batch";
    pub const CORE_NOSYNC_128: &str = "core.nosync.128";
    pub const CORE_SHARED_1: &str = "core.shared.1";
    pub const CORE_GROUP_4: &str = "core.group.4";
    pub const CORE_GROUP_16: &str = "core.group.16";
    pub const PROTO_GROUP_4: &str = "proto.group.4";
    pub const PROTO_GROUP_16: &str = "proto.group.16";
    pub const V01_APPEND_128: &str = "v01.append.128";
    pub const V01_APPEND_4K: &str = "v01.append.4k";
    pub const OKAY_1: &str = "okaywal.1";
    pub const OKAY_4: &str = "okaywal.4";
    pub const OKAY_16: &str = "okaywal.16";
    pub const NANO_1: &str = "nano.1";
    pub const NANO_4: &str = "nano.4";
    pub const NANO_16: &str = "nano.16";
    pub const NANO_BATCH: &str = "nano.batch";
    pub const NANO_NOSYNC: &str = "nano.nosync";
    pub const WALRUS_1: &str = "walrus.1";
    pub const WALRUS_4: &str = "walrus.4";
    pub const WALRUS_16: &str = "walrus.16";
    pub const WALRUS_BATCH: &str = "walrus.batch";
    pub const WALRUS_NOSYNC: &str = "walrus.nosync";
    pub const RAFT_1: &str = "raft.1";
    pub const RAFT_4: &str = "raft.4";
    pub const RAFT_16: &str = "raft.16";
    pub const RAFT_BATCH: &str = "raft.batch";
    pub const RAFT_NOSYNC: &str = "raft.nosync";
    pub const STREAMS_TOPICS: &str = "streams.topics";
    pub const STREAMS_NOSYNC_128: &str = "streams.nosync.128";
    pub const CORE_SHARED_8: &str = "streams.shared8";
    pub const WALRUS_TOPICS: &str = "streams.walrus";
    pub const NANO_TOPICS: &str = "streams.nano";
}

/// The cases in the order they run, in blocks of cases that are compared with each other, so
/// that a subject and its baselines run seconds apart in every round. Each block has a title.
pub const BLOCKS: &[(&str, &[&str])] = {
    use keys::*;
    &[
        (
            "durable, single writer, 128 B",
            &[
                RAW_GROW_128,
                RAW_FALLOC_128,
                RAW_ZERO_128,
                CORE_APPEND_128,
                CORE_SHARED_1,
                V01_APPEND_128,
                OKAY_1,
                NANO_1,
                WALRUS_1,
                RAFT_1,
            ],
        ),
        (
            "durable, single writer, 4 KiB",
            &[
                RAW_GROW_4K,
                RAW_FALLOC_4K,
                RAW_ZERO_4K,
                RAW_FSTEP_4K,
                RAW_ZSTEP_4K,
                CORE_APPEND_4K,
                CORE_APPEND_4K_NOPRE,
                V01_APPEND_4K,
            ],
        ),
        (
            "durable batch, 64 x 1 KiB",
            &[
                RAW_FALLOC_BATCH,
                RAW_ZERO_BATCH,
                RAW_FSTEP_BATCH,
                RAW_ZSTEP_BATCH,
                RAW_ZAHEAD_BATCH,
                CORE_BATCH,
                CORE_BATCH_NOPRE,
                NANO_BATCH,
                WALRUS_BATCH,
                RAFT_BATCH,
            ],
        ),
        (
            "no fsync, 128 B",
            &[
                RAW_WRITE_128,
                RAW_PWRITE_128,
                RAW_STDPWRITE_128,
                RAW_MMAP_128,
                RAW_MMAPSTEP_128,
                CORE_NOSYNC_128,
                STREAMS_NOSYNC_128,
                NANO_NOSYNC,
                WALRUS_NOSYNC,
                RAFT_NOSYNC,
            ],
        ),
        (
            "group commit, 4 threads, 128 B",
            &[
                RAW_GROUP_4,
                RAW_GROUPPL_4,
                RAW_GROUPPIPE_4,
                CORE_GROUP_4,
                PROTO_GROUP_4,
                OKAY_4,
                NANO_4,
                WALRUS_4,
                RAFT_4,
            ],
        ),
        (
            "group commit, 16 threads, 128 B",
            &[
                RAW_GROUP_16,
                RAW_GROUPPL_16,
                RAW_GROUPPIPE_16,
                CORE_GROUP_16,
                PROTO_GROUP_16,
                OKAY_16,
                NANO_16,
                WALRUS_16,
                RAFT_16,
            ],
        ),
        (
            "streams: 64 topics, 8 threads, durable 128 B",
            &[STREAMS_TOPICS, CORE_SHARED_8, WALRUS_TOPICS, NANO_TOPICS],
        ),
    ]
};

/// Entries per durable batch.
pub const BATCH_COUNT: usize = 64;
/// Payload bytes of each batch entry.
pub const BATCH_ENTRY: usize = 1024;

/// Bytes walogs writes for one atomic batch of the benchmark: one unit member frame per
/// entry (16-byte header, 8-byte unit prefix, payload). The raw baselines write as much.
pub fn batch_write_len() -> usize {
    BATCH_COUNT * (FRAME_HEADER + 8 + BATCH_ENTRY)
}

type RunFn = Box<dyn FnMut(&Path, Limits) -> Result<(Sample, Option<String>)>>;

/// One measurement.
pub struct Case {
    /// Stable key.
    pub key: &'static str,
    /// What the table calls it.
    pub label: String,
    /// Bytes one operation writes to the file (payload + framing), for the op cap.
    pub frame_bytes: usize,
    /// A peer library: an error ends this case only (its row gives the reason), not the run.
    pub peer: bool,
    run: RunFn,
}

/// The summary of one measurement after all rounds.
#[derive(Debug, Clone)]
pub struct Measured {
    /// Stable key.
    pub key: &'static str,
    /// What the table calls it.
    pub label: String,
    /// The rounds' summary (`None` when the case failed).
    pub summary: Option<Summary>,
    /// Why a peer case has no figure: the error that ended it.
    pub failure: Option<String>,
    /// Every round, in the order run (round r of every case ran in the same cycle).
    pub rounds: Vec<Sample>,
    /// A note from the median round (e.g. the average group size).
    pub note: Option<String>,
}

fn case(
    key: &'static str,
    label: impl Into<String>,
    frame_bytes: usize,
    mut f: impl FnMut(&Path, Limits) -> Result<Sample> + 'static,
) -> Case {
    Case {
        key,
        label: label.into(),
        frame_bytes,
        peer: false,
        run: Box::new(move |d, l| f(d, l).map(|s| (s, None))),
    }
}

/// A case of a peer library (see [`Case::peer`]).
fn peer_case(
    key: &'static str,
    label: impl Into<String>,
    frame_bytes: usize,
    f: impl FnMut(&Path, Limits) -> Result<Sample> + 'static,
) -> Case {
    Case {
        peer: true,
        ..case(key, label, frame_bytes, f)
    }
}

/// Every write case, in the order of [`BLOCKS`] (the order they are run and printed).
pub fn cases() -> Vec<Case> {
    let mut all = unordered_cases();
    let mut v = Vec::new();
    for (_, block) in BLOCKS {
        for key in *block {
            if let Some(i) = all.iter().position(|c| c.key == *key) {
                v.push(all.swap_remove(i));
            }
        }
    }
    // A case outside every block still runs (last); the unit test keeps this from happening.
    v.extend(all);
    v
}

fn unordered_cases() -> Vec<Case> {
    use keys::*;
    let f128 = 128 + FRAME_HEADER;
    let f4k = 4096 + FRAME_HEADER;
    let fb = batch_write_len();
    let mut v = Vec::new();
    for (key, len, fl) in [(RAW_GROW_128, 128, f128), (RAW_GROW_4K, 4096, f4k)] {
        v.push(case(
            key,
            format!("raw write+fdatasync, growing file, {}", size(len)),
            fl,
            move |d, l| raw_cases::sync_writes(d, Prealloc::Growing, len, l),
        ));
    }
    for (key, how, len, fl) in [
        (RAW_FALLOC_128, Prealloc::Fallocate, 128, f128),
        (RAW_ZERO_128, Prealloc::ZeroFill, 128, f128),
        (RAW_FALLOC_4K, Prealloc::Fallocate, 4096, f4k),
        (RAW_ZERO_4K, Prealloc::ZeroFill, 4096, f4k),
        (RAW_FSTEP_4K, Prealloc::FallocateSteps, 4096, f4k),
        (RAW_ZSTEP_4K, Prealloc::ZeroFillSteps, 4096, f4k),
    ] {
        v.push(case(
            key,
            format!(
                "raw pwrite+fdatasync, {}, {}{}",
                how.describe(),
                size(len),
                info(how)
            ),
            fl,
            move |d, l| raw_cases::sync_writes(d, how, len, l),
        ));
    }
    for (key, how) in [
        (RAW_FALLOC_BATCH, Prealloc::Fallocate),
        (RAW_ZERO_BATCH, Prealloc::ZeroFill),
        (RAW_FSTEP_BATCH, Prealloc::FallocateSteps),
        (RAW_ZSTEP_BATCH, Prealloc::ZeroFillSteps),
        (RAW_ZAHEAD_BATCH, Prealloc::ZeroFillAhead),
    ] {
        v.push(case(
            key,
            format!(
                "raw pwrite+fdatasync, {}, 64x1 KiB batch frame{}",
                how.describe(),
                info(how)
            ),
            fb,
            move |d, l| {
                let mut s = raw_cases::sync_writes(d, how, batch_write_len(), l)?;
                s.bytes = s.ops * (BATCH_COUNT * BATCH_ENTRY) as u64;
                Ok(s)
            },
        ));
    }
    v.push(case(
        RAW_WRITE_128,
        "raw write(2) per entry, no sync, 128 B",
        f128,
        |d, l| raw_cases::plain_writes(d, 128, l),
    ));
    v.push(case(
        RAW_PWRITE_128,
        "raw pwrite(2) per entry, fallocate'd file, no sync, 128 B (info)",
        f128,
        |d, l| raw_cases::plain_pwrites(d, 128, l),
    ));
    v.push(case(
        RAW_STDPWRITE_128,
        "raw pwrite(2) per entry via std (the C library's wrapper), no sync, 128 B (info)",
        f128,
        |d, l| raw_cases::std_pwrites(d, 128, l),
    ));
    v.push(case(
        RAW_MMAP_128,
        "raw copy into a shared mmap, MADV_POPULATE_WRITE per entry, 128 B (info)",
        f128,
        |d, l| raw_cases::mapped_writes(d, 128, Populate::EachEntry, l),
    ));
    v.push(case(
        RAW_MMAPSTEP_128,
        "raw copy into a shared mmap, MADV_POPULATE_WRITE per 64 KiB, 128 B (info)",
        f128,
        |d, l| raw_cases::mapped_writes(d, 128, Populate::Ahead(64 * 1024), l),
    ));
    for (key, threads) in [(RAW_GROUP_4, 4), (RAW_GROUP_16, 16)] {
        v.push(raw_group_case::<StdSync>(
            key,
            format!("raw group commit, {threads} threads, 128 B durable"),
            threads,
            false,
        ));
    }
    for (key, threads) in [(RAW_GROUPPL_4, 4), (RAW_GROUPPL_16, 16)] {
        v.push(raw_group_case::<ParkingLot>(
            key,
            format!("raw group commit on parking_lot, {threads} threads, 128 B durable"),
            threads,
            false,
        ));
    }
    for (key, threads) in [(RAW_GROUPPIPE_4, 4), (RAW_GROUPPIPE_16, 16)] {
        v.push(raw_group_case::<ParkingLot>(
            key,
            format!(
                "raw group commit, pipelined, on parking_lot, {threads} threads, 128 B durable"
            ),
            threads,
            true,
        ));
    }
    for (key, len, fl) in [(CORE_APPEND_128, 128, f128), (CORE_APPEND_4K, 4096, f4k)] {
        v.push(case(
            key,
            format!("walogs-core Wal::append durable, {}", size(len)),
            fl,
            move |d, l| core_cases::durable_append(d, len, l),
        ));
    }
    v.push(case(
        CORE_APPEND_4K_NOPRE,
        "walogs-core Wal::append durable, preallocate(false), 4 KiB (info)",
        f4k,
        |d, l| core_cases::durable_append_no_prealloc(d, 4096, l),
    ));
    for (key, pre) in [(CORE_BATCH, true), (CORE_BATCH_NOPRE, false)] {
        v.push(case(
            key,
            if pre {
                "walogs-core Wal::append_batch durable, 64x1 KiB"
            } else {
                "walogs-core Wal::append_batch durable, preallocate(false), 64x1 KiB (info)"
            },
            fb,
            move |d, l| {
                let opts = WalOptions::new().preallocate(pre);
                core_cases::durable_batch(d, opts, BATCH_COUNT, BATCH_ENTRY, l)
            },
        ));
    }
    v.push(case(
        CORE_NOSYNC_128,
        "walogs-core Wal::append Durability::None, 128 B",
        f128,
        |d, l| core_cases::nosync_append(d, 128, l),
    ));
    for (key, threads) in [(CORE_SHARED_1, 1), (CORE_GROUP_4, 4), (CORE_GROUP_16, 16)] {
        v.push(case(
            key,
            format!(
                "walogs-core SharedWal::append durable, {threads} thread{}, 128 B",
                if threads > 1 { "s" } else { "" }
            ),
            f128,
            move |d, l| core_cases::shared_append(d, threads, 128, l),
        ));
    }
    for (key, threads) in [(PROTO_GROUP_4, 4), (PROTO_GROUP_16, 16)] {
        v.push(Case {
            key,
            label: format!(
                "prototype: Wal::append_batch + condvar group commit, {threads} threads (info)"
            ),
            frame_bytes: f128,
            peer: false,
            run: Box::new(move |d, l| {
                let (s, groups) = core_cases::proto_group(d, threads, 128, l)?;
                Ok((s, Some(group_note(s.ops, groups))))
            }),
        });
    }
    for (key, len, fl) in [(V01_APPEND_128, 128, f128), (V01_APPEND_4K, 4096, f4k)] {
        v.push(case(
            key,
            format!("walogs 0.1 Wal::append durable, {}", size(len)),
            fl,
            move |d, l| peers::walogs01_append(d, len, l),
        ));
    }
    for (key, threads) in [(OKAY_1, 1), (OKAY_4, 4), (OKAY_16, 16)] {
        v.push(case(
            key,
            format!(
                "okaywal commit, {threads} thread{}, 128 B",
                if threads > 1 { "s" } else { "" }
            ),
            f128 + 16,
            move |d, l| peers::okaywal_commit(d, threads, 128, l),
        ));
    }
    v.extend(peer_cases());
    v.extend(streams_cases());
    v
}

/// The raw group commit on the lock primitives `P` (pipelined or not), `threads` threads
/// committing 128 B records; its note is the average number of commits per fdatasync.
fn raw_group_case<P: Primitives + 'static>(
    key: &'static str,
    label: String,
    threads: usize,
    pipelined: bool,
) -> Case {
    Case {
        key,
        label,
        frame_bytes: 128 + FRAME_HEADER,
        peer: false,
        run: Box::new(move |d, l| {
            let (s, groups) = raw_cases::group_commit::<P>(d, threads, 128, l, pipelined)?;
            Ok((s, Some(group_note(s.ops, groups))))
        }),
    }
}

/// The streams block: walogs-streams over many topics, one `SharedWal` with as many
/// threads, and the peers with as many topics and threads.
fn streams_cases() -> Vec<Case> {
    use crate::peers::walrus::WriteKind;
    use crate::peers::{nano, walrus};
    use crate::streams_cases::{RECORD_OVERHEAD, THREADS, TOPICS, append_records};
    use keys::*;
    let t = threads_label(THREADS);
    vec![
        case(
            STREAMS_TOPICS,
            format!("walogs-streams Streams::append durable, {TOPICS} topics, {t}, 128 B"),
            128 + RECORD_OVERHEAD + FRAME_HEADER,
            |d, l| append_records(d, Durability::EveryAppend, TOPICS, THREADS, 128, l),
        ),
        // In the no-fsync block of the write table, beside walogs-core's own row.
        case(
            STREAMS_NOSYNC_128,
            format!(
                "walogs-streams Streams::append Durability::None, {TOPICS} topics, 1 thread, 128 B (info)"
            ),
            128 + RECORD_OVERHEAD + FRAME_HEADER,
            |d, l| append_records(d, Durability::None, TOPICS, 1, 128, l),
        ),
        case(
            CORE_SHARED_8,
            format!("walogs-core SharedWal::append durable, {t}, 128 B (one log, no topics)"),
            128 + FRAME_HEADER,
            |d, l| core_cases::shared_append(d, THREADS, 128, l),
        ),
        peer_case(
            WALRUS_TOPICS,
            format!("walrus-rust append_for_topic SyncEach, {TOPICS} topics, {t}, 128 B"),
            128 + 64,
            |d, l| walrus::write_round_topics(d, WriteKind::Durable, TOPICS, THREADS, 1, 128, l),
        ),
        peer_case(
            NANO_TOPICS,
            format!("nano-wal append durable=true, {TOPICS} streams, {t}, 128 B"),
            128 + 16,
            |d, l| nano::append_topics(d, TOPICS, THREADS, 128, l),
        ),
    ]
}

fn threads_label(threads: usize) -> String {
    format!("{threads} thread{}", if threads > 1 { "s" } else { "" })
}

/// The nano-wal, walrus-rust and raft-engine cases.
fn peer_cases() -> Vec<Case> {
    use crate::peers::walrus::WriteKind;
    use crate::peers::{nano, raft, walrus};
    use keys::*;
    let mut v = Vec::new();
    for (nk, wk, rk, threads) in [
        (NANO_1, WALRUS_1, RAFT_1, 1),
        (NANO_4, WALRUS_4, RAFT_4, 4),
        (NANO_16, WALRUS_16, RAFT_16, 16),
    ] {
        let t = threads_label(threads);
        v.push(peer_case(
            nk,
            format!("nano-wal append durable=true, {t}, 128 B"),
            128 + 16,
            move |d, l| nano::append(d, threads, 128, true, l),
        ));
        v.push(peer_case(
            wk,
            format!("walrus-rust append_for_topic SyncEach, {t}, 128 B"),
            128 + 64,
            move |d, l| walrus::write_round(d, WriteKind::Durable, threads, 1, 128, l),
        ));
        v.push(peer_case(
            rk,
            format!("raft-engine write(sync=true), {t}, 128 B"),
            128 + 48,
            move |d, l| raft::append(d, threads, 128, true, l),
        ));
    }
    v.push(peer_case(
        NANO_BATCH,
        "nano-wal append_batch durable=true, 64x1 KiB",
        BATCH_COUNT * (BATCH_ENTRY + 16),
        |d, l| nano::durable_batch(d, BATCH_COUNT, BATCH_ENTRY, l),
    ));
    v.push(peer_case(
        WALRUS_BATCH,
        "walrus-rust batch_append_for_topic SyncEach, 64x1 KiB",
        BATCH_COUNT * (BATCH_ENTRY + 64),
        |d, l| walrus::write_round(d, WriteKind::DurableBatch, 1, BATCH_COUNT, BATCH_ENTRY, l),
    ));
    v.push(peer_case(
        RAFT_BATCH,
        "raft-engine write(sync=true), 64x1 KiB batch",
        BATCH_COUNT * (BATCH_ENTRY + 8) + 64,
        |d, l| raft::durable_batch(d, BATCH_COUNT, BATCH_ENTRY, l),
    ));
    v.push(peer_case(
        NANO_NOSYNC,
        "nano-wal append durable=false, 128 B",
        128 + 16,
        |d, l| nano::append(d, 1, 128, false, l),
    ));
    v.push(peer_case(
        WALRUS_NOSYNC,
        "walrus-rust append_for_topic NoFsync, 128 B",
        128 + 64,
        |d, l| walrus::write_round(d, WriteKind::NoSync, 1, 1, 128, l),
    ));
    v.push(peer_case(
        RAFT_NOSYNC,
        "raft-engine write(sync=false), 128 B",
        128 + 48,
        |d, l| raft::append(d, 1, 128, false, l),
    ));
    v
}

fn info(how: Prealloc) -> &'static str {
    if how.in_steps() { " (info)" } else { "" }
}

fn group_note(ops: u64, groups: u64) -> String {
    if groups == 0 {
        "no group written".into()
    } else {
        format!("{:.1} commits per fdatasync", ops as f64 / groups as f64)
    }
}

/// "128 B", "4 KiB": a payload size as the labels show it.
pub fn size(len: usize) -> String {
    if len.is_multiple_of(1024) {
        format!("{} KiB", len / 1024)
    } else {
        format!("{len} B")
    }
}

/// Run every case `rounds` times, interleaved, each round in a fresh directory under
/// `scratch`, limited to `round` per round and to `budget` bytes written. Progress goes to
/// stderr.
pub fn run(
    scratch: &Path,
    mut cases: Vec<Case>,
    rounds: usize,
    round: std::time::Duration,
    budget: u64,
) -> Result<Vec<Measured>> {
    let mut samples: Vec<Vec<(Sample, Option<String>)>> = vec![Vec::new(); cases.len()];
    let mut failures: Vec<Option<String>> = vec![None; cases.len()];
    for r in 0..rounds {
        for (i, c) in cases.iter_mut().enumerate() {
            if failures[i].is_some() {
                continue;
            }
            let dir = scratch.join(format!("w{i:02}-r{r}"));
            std::fs::create_dir_all(&dir).ctx(format!("create {}", dir.display()))?;
            let limits = Limits {
                duration: round,
                max_ops: (budget / c.frame_bytes as u64).max(1),
            };
            let got = (c.run)(&dir, limits);
            std::fs::remove_dir_all(&dir).ctx(format!("remove {}", dir.display()))?;
            syncfs(scratch)?;
            let got = match got {
                Ok(got) => got,
                Err(e) if c.peer => {
                    eprintln!("  round {}/{rounds} {}: failed: {e}", r + 1, c.label);
                    failures[i] = Some(e.to_string());
                    continue;
                }
                Err(e) => {
                    return Err(crate::error::BenchError::Check(format!("{}: {e}", c.label)));
                }
            };
            eprintln!(
                "  round {}/{rounds} {:<80} {:>10.0} ops/s  [{}]",
                r + 1,
                c.label,
                got.0.ops_per_sec(),
                c.key
            );
            samples[i].push(got);
        }
    }
    let mut out = Vec::new();
    for ((c, s), failure) in cases.iter().zip(samples).zip(failures) {
        if let Some(failure) = failure {
            out.push(Measured {
                key: c.key,
                label: c.label.clone(),
                summary: None,
                failure: Some(failure),
                rounds: Vec::new(),
                note: None,
            });
            continue;
        }
        let just: Vec<Sample> = s.iter().map(|x| x.0).collect();
        let summary = Summary::of(&just).ok_or_else(|| {
            crate::error::BenchError::Check(format!("{}: no round was run", c.label))
        })?;
        let note = s
            .iter()
            .find(|x| x.0 == summary.median)
            .and_then(|x| x.1.clone());
        out.push(Measured {
            key: c.key,
            label: c.label.clone(),
            summary: Some(summary),
            failure: None,
            rounds: just,
            note,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_case_is_in_one_block_and_keys_are_unique() {
        let cases = cases();
        let in_blocks: Vec<&str> = BLOCKS.iter().flat_map(|(_, k)| k.iter().copied()).collect();
        assert_eq!(cases.len(), in_blocks.len());
        for (c, k) in cases.iter().zip(&in_blocks) {
            assert_eq!(c.key, *k, "cases run in block order");
        }
        let keys: HashSet<&str> = cases.iter().map(|c| c.key).collect();
        assert_eq!(keys.len(), cases.len(), "duplicate key");
        let labels: HashSet<&str> = cases.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels.len(), cases.len(), "duplicate label");
    }

    #[test]
    fn batch_frame_size_matches_walogs_encoding() {
        let entries: Vec<Vec<u8>> = (0..BATCH_COUNT).map(|_| vec![7u8; BATCH_ENTRY]).collect();
        let mut buf = Vec::new();
        let d = std::env::temp_dir().join(format!("walogs-bench-frame-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        let mut wal = walogs_core::Wal::open(&d).unwrap();
        wal.append_batch(&entries).unwrap();
        wal.close().unwrap();
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_name().to_string_lossy().ends_with(".log") {
                buf = std::fs::read(e.path()).unwrap();
            }
        }
        assert_eq!(buf.len(), batch_write_len());
        std::fs::remove_dir_all(&d).unwrap();
    }
}
