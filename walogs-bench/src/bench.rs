//! The whole run: write suite, big log, read passes, middle starts, targets.

use std::collections::HashMap;
use std::time::Duration;

use crate::args::{ReadMode, RunArgs};
use crate::biglog::{self, BigLog, MidStart};
use crate::cold::{self, ColdPasses};
use crate::error::{BenchError, Result};
use crate::peers::PeerReads;
use crate::peers::reads::{self as peer_reads, Plan};
use crate::plot;
use crate::pointreads::{self, BesideAppenders, PairedReads};
use crate::rawio::{fs_name, syncfs};
use crate::readpass::{self, PassResult};
use crate::report::{self, Goal, PointRow, ReadRow, TargetRow};
use crate::stats::{Sample, median, paired_ratio};
use crate::workdir::{Scratch, default_parent};
use crate::write_suite::{self, Measured, keys};
use crate::{streams_reads, streams_report};

/// Bytes one write round may put in one file: within one 64 MiB walogs segment, so that no
/// round pays for a rotation the baselines do not have.
fn write_budget(quick: bool) -> u64 {
    if quick { 8 << 20 } else { 60 << 20 }
}

/// How many LSNs the middle-start measurement samples.
fn mid_samples(quick: bool) -> usize {
    if quick { 20 } else { 200 }
}

/// How many random entries each point-read measurement reads.
fn point_samples(quick: bool) -> usize {
    if quick { 2_000 } else { 20_000 }
}

/// Size of the `append_many` log: a quarter of the read log, at least 1 MiB, at most 256 MiB.
fn many_log_bytes(log_mib: u64) -> u64 {
    (log_mib / 4).clamp(1, 256) << 20
}

/// Records of the streams batch-read topic: a quarter of the read log's bytes (at least
/// 1 MiB, at most 256 MiB) in entries of the read log's size.
fn streams_read_entries(args: &RunArgs) -> u64 {
    (many_log_bytes(args.log_mib) / args.entry_size as u64).max(1)
}

/// Only the streams section: its write block, its batch reads, its targets.
fn run_streams_only(args: &RunArgs, dir: &std::path::Path) -> Result<()> {
    eprintln!("write measurements (streams block):");
    let mut cases = write_suite::cases();
    cases.retain(|c| c.key.starts_with("streams."));
    let writes = write_suite::run(
        dir,
        cases,
        args.rounds,
        args.round,
        write_budget(args.quick),
    )?;
    report::print_writes(&writes);
    let reads = streams_reads::run(
        dir,
        streams_read_entries(args),
        args.entry_size,
        args.rounds,
    )?;
    streams_report::print(&writes, &reads);
    report::print_targets(&streams_report::targets(&writes, &reads));
    Ok(())
}

/// The walogs point-read measurements.
struct Points {
    one_by_one: PairedReads,
    many: PairedReads,
    many_log: pointreads::ManyLog,
    beside: BesideAppenders,
}

/// Run everything and print the tables.
pub fn run(args: &RunArgs) -> Result<()> {
    let parent = args.dir.clone().unwrap_or_else(default_parent);
    let scratch = Scratch::create(&parent, args.keep)?;
    let dir = scratch.path();
    println!(
        "walogs-bench{}",
        if args.quick {
            " --quick (smoke sizes: figures are not meaningful)"
        } else {
            ""
        }
    );
    println!("  dir: {} ({})", dir.display(), fs_name(dir));
    println!(
        "  write rounds: {} x {:.2} s per measurement, interleaved, at most {} MiB per round",
        args.rounds,
        args.round.as_secs_f64(),
        write_budget(args.quick) >> 20
    );
    println!(
        "  read log: {} MiB of {} B entries, one frame each, 64 MiB segments",
        args.log_mib, args.entry_size
    );

    if args.streams_only {
        return run_streams_only(args, dir);
    }
    if args.points_only {
        let log = create_read_log(dir, args)?;
        let points = point_reads(dir, &log, args)?;
        print_points(&log, &points, &[]);
        report::print_targets(&point_targets(&points));
        return Ok(());
    }
    eprintln!("write measurements:");
    let mut cases = write_suite::cases();
    if !args.only.is_empty() {
        cases.retain(|c| args.only.iter().any(|k| c.key.starts_with(k.as_str())));
        if cases.is_empty() {
            return Err(BenchError::Args(format!(
                "--only {:?} matches no case",
                args.only
            )));
        }
    }
    let writes = write_suite::run(
        dir,
        cases,
        args.rounds,
        args.round,
        write_budget(args.quick),
    )?;
    report::print_writes(&writes);
    if !args.only.is_empty() {
        return Ok(());
    }

    let log = create_read_log(dir, args)?;
    let reads = read_passes(&log, args.rounds)?;
    let mid = biglog::mid_start(&log, mid_samples(args.quick))?;
    eprintln!("read passes (cold cache)...");
    let cold = cold::passes(&log, args.rounds.min(3))?;
    let points = point_reads(dir, &log, args)?;
    let peers = peer_reads::run(
        dir,
        Plan {
            entries: log.entries,
            entry_size: log.entry_size,
            rounds: args.rounds,
            cold_rounds: args.rounds.min(3),
            samples: point_samples(args.quick),
        },
    )?;
    let streams = streams_reads::run(
        dir,
        streams_read_entries(args),
        args.entry_size,
        args.rounds,
    )?;
    let read_rows = print_read_tables(&log, &reads, &mid, &peers)?;
    print_cold(&log, cold.as_ref(), &peers)?;
    print_points(&log, &points, &peers);
    streams_report::print(&writes, &streams);

    let mut targets = targets(&writes, &read_rows, &mid, &points)?;
    targets.extend(streams_report::targets(&writes, &streams));
    report::print_targets(&targets);

    let path = args.plot.clone().unwrap_or_else(plot::default_path);
    plot::write(
        &path,
        &plot::render(&plot_title(), &PLOT_THREADS, &plot_series(&writes)),
    )?;
    println!();
    println!(
        "plot: {}",
        path.canonicalize()
            .unwrap_or_else(|_| path.clone())
            .display()
    );
    Ok(())
}

/// Write the log of the read measurements under `dir` (flushed to disk) and describe it.
fn create_read_log(dir: &std::path::Path, args: &RunArgs) -> Result<BigLog> {
    eprintln!("creating the read log ({} MiB)...", args.log_mib);
    let log = biglog::create(&dir.join("big"), args.log_mib << 20, args.entry_size)?;
    syncfs(dir)?;
    println!();
    println!(
        "read log: {} entries, {} segments, {:.1} MiB of frames, written in {:.2} s (Durability::None + close)",
        log.entries,
        log.segments,
        log.file_bytes as f64 / (1u64 << 20) as f64,
        log.create_time.as_secs_f64()
    );
    Ok(log)
}

/// Thread counts on the plot's x axis.
const PLOT_THREADS: [usize; 3] = [1, 4, 16];

fn plot_title() -> String {
    "durable appends of 128 B: throughput vs writer threads (median round)".into()
}

/// One plot line per system, from the write measurements (the 1-thread point of both raw
/// group commits, std and parking_lot locks, is the same row: one pwrite + fdatasync per
/// append into a fallocate'd file, where no lock is contended).
fn plot_series(writes: &[Measured]) -> Vec<plot::Series> {
    use keys::*;
    let ops = |k: &str| {
        writes
            .iter()
            .find(|m| m.key == k)
            .and_then(|m| m.summary.as_ref())
            .map(|s| s.ops_per_sec())
    };
    [
        (
            "walogs-core SharedWal",
            [CORE_SHARED_1, CORE_GROUP_4, CORE_GROUP_16],
        ),
        (
            "raw group commit",
            [RAW_FALLOC_128, RAW_GROUP_4, RAW_GROUP_16],
        ),
        (
            "raw group commit, parking_lot",
            [RAW_FALLOC_128, RAW_GROUPPL_4, RAW_GROUPPL_16],
        ),
        ("okaywal", [OKAY_1, OKAY_4, OKAY_16]),
        ("nano-wal", [NANO_1, NANO_4, NANO_16]),
        ("walrus-rust", [WALRUS_1, WALRUS_4, WALRUS_16]),
        ("raft-engine", [RAFT_1, RAFT_4, RAFT_16]),
    ]
    .into_iter()
    .map(|(name, ks)| plot::Series {
        name: name.into(),
        points: PLOT_THREADS
            .iter()
            .zip(ks)
            .map(|(&t, k)| (t, ops(k)))
            .collect(),
    })
    .collect()
}

/// walogs point reads: the big log, an `append_many` log, and beside durable appenders (last:
/// the appenders grow the big log).
fn point_reads(dir: &std::path::Path, log: &BigLog, args: &RunArgs) -> Result<Points> {
    let samples = point_samples(args.quick);
    eprintln!("point reads ({samples} random entries each)...");
    let one_by_one = pointreads::one_by_one(log, samples)?;
    let many_dir = dir.join("many");
    let many_log = pointreads::create_many(&many_dir, many_log_bytes(args.log_mib))?;
    syncfs(dir)?;
    let many = pointreads::many(&many_dir, &many_log, samples)?;
    std::fs::remove_dir_all(&many_dir).map_err(|e| BenchError::Io {
        what: "remove the append_many log".into(),
        source: e,
    })?;
    let beside = pointreads::beside_appenders(dir, log, samples)?;
    Ok(Points {
        one_by_one,
        many,
        many_log,
        beside,
    })
}

fn print_cold(log: &BigLog, cold: Option<&ColdPasses>, peers: &[PeerReads]) -> Result<()> {
    let Some(cold) = cold else {
        println!();
        println!("cold: not measured (needs root)");
        return Ok(());
    };
    let size = format!("{:.0} MiB", log.file_bytes as f64 / (1u64 << 20) as f64);
    let raw = read_row(&format!("raw read(2), cold cache, {size}"), log, &cold.raw)?;
    let cur = read_row(
        &format!("walogs-core Wal::open + cursor_from(first), cold cache, {size}"),
        log,
        &cold.cursor,
    )?;
    let mut ordered = vec![raw.clone(), cur.clone()];
    let missing = push_peer_rows(&mut ordered, peers, true)?;
    report::print_reads(
        &format!(
            "open + iterate, cold page cache (dropped before each pass; median of {} passes; GB/s of walogs' segment files, of payload for peers)",
            cold.raw.len()
        ),
        &ordered,
        &missing,
    );
    println!(
        "cold: open + iterate (cursor_from) / raw read(2) = {:.2}x the raw speed (info)",
        raw.total_ms / cur.total_ms
    );
    Ok(())
}

fn print_points(log: &BigLog, p: &Points, peers: &[PeerReads]) {
    let one = format!("{} one by one", write_suite::size(log.entry_size));
    let many = format!(
        "{} by append_many x{}",
        write_suite::size(pointreads::MANY_ENTRY),
        pointreads::MANY_PER_CALL,
    );
    let mut rows = vec![
        PointRow {
            label: format!("raw pread of the frame (open fd), {one}"),
            lat: Ok(p.one_by_one.raw),
            base: None,
            note: String::new(),
        },
        PointRow {
            label: format!("walogs-core Wal::read, {one}"),
            lat: Ok(p.one_by_one.read),
            base: Some(p.one_by_one.raw),
            note: "x = vs raw pread".into(),
        },
        PointRow {
            label: format!("raw pread of the frame (open fd), {many}"),
            lat: Ok(p.many.raw),
            base: None,
            note: String::new(),
        },
        PointRow {
            label: format!("walogs-core Wal::read, {many}"),
            lat: Ok(p.many.read),
            base: Some(p.many.raw),
            note: "x = vs raw pread".into(),
        },
        PointRow {
            label: format!("raw pread of the frame alone (open fd), {one}"),
            lat: Ok(p.beside.raw.alone),
            base: None,
            note: String::new(),
        },
        PointRow {
            label: format!(
                "raw pread beside {} raw group-commit appenders, {one}",
                pointreads::APPENDERS
            ),
            lat: Ok(p.beside.raw.beside),
            base: Some(p.beside.raw.alone),
            note: format!(
                "x = vs alone (the machine's share); {:.0} commits/s (pwrite+fdatasync) meanwhile",
                p.beside.raw.append_ops_per_sec
            ),
        },
        PointRow {
            label: format!("walogs-core SharedWal::read alone, {one}"),
            lat: Ok(p.beside.walogs.alone),
            base: None,
            note: String::new(),
        },
        PointRow {
            label: format!(
                "walogs-core SharedWal::read beside {} durable appenders, {one}",
                pointreads::APPENDERS
            ),
            lat: Ok(p.beside.walogs.beside),
            base: Some(p.beside.walogs.alone),
            note: format!(
                "x = vs alone; {:.0} appends/s meanwhile",
                p.beside.walogs.append_ops_per_sec
            ),
        },
    ];
    for peer in peers {
        rows.push(PointRow {
            label: format!("{} {}, {one}", peer.peer, peer.point_how),
            lat: peer.point.clone(),
            base: peer.point.as_ref().ok().map(|_| p.one_by_one.raw),
            note: "x = vs raw pread of walogs' frame".into(),
        });
    }
    report::print_points(
        &format!(
            "point reads of random entries of a warm log (microseconds; each read checked; the append_many log: {} entries in {} calls)",
            p.many_log.entries, p.many_log.calls
        ),
        &rows,
    );
}

/// Rounds of raw / cursor / iter passes, interleaved, each in a fresh child process, after
/// one warm-up raw read (so the page cache holds the log) and one idle child (the baseline
/// of a fresh process).
fn read_passes(log: &BigLog, rounds: usize) -> Result<HashMap<&'static str, Vec<PassResult>>> {
    eprintln!("read passes (warm cache)...");
    let warm = readpass::raw_read(&log.dir)?;
    if warm != log.file_bytes {
        return Err(BenchError::Check(format!(
            "warm-up read {warm} bytes, the log holds {}",
            log.file_bytes
        )));
    }
    let mut out: HashMap<&'static str, Vec<PassResult>> = HashMap::new();
    out.entry("idle")
        .or_default()
        .push(readpass::in_child(ReadMode::Idle, &log.dir)?);
    for r in 0..rounds {
        for mode in [ReadMode::Raw, ReadMode::Cursor, ReadMode::Iter] {
            let p = readpass::in_child(mode, &log.dir)?;
            let expect = if mode == ReadMode::Raw {
                log.file_bytes
            } else {
                log.entries * log.entry_size as u64
            };
            if p.bytes != expect || (mode != ReadMode::Raw && p.entries != log.entries) {
                return Err(BenchError::Check(format!(
                    "{} pass read {} entries / {} bytes, expected {} / {expect}",
                    mode.name(),
                    p.entries,
                    p.bytes,
                    log.entries
                )));
            }
            eprintln!(
                "  round {}/{rounds} {:<8} {:>9.1} ms, VmHWM {} KiB",
                r + 1,
                mode.name(),
                p.total.as_secs_f64() * 1e3,
                p.hwm_end_kib
            );
            out.entry(mode.name()).or_default().push(p);
        }
    }
    Ok(out)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn read_row(label: &str, log: &BigLog, passes: &[PassResult]) -> Result<ReadRow> {
    let totals: Vec<f64> = passes.iter().map(|p| ms(p.total)).collect();
    let opens: Vec<f64> = passes.iter().map(|p| ms(p.open)).collect();
    let total_ms =
        median(&totals).ok_or_else(|| BenchError::Check(format!("no pass for {label}")))?;
    Ok(ReadRow {
        label: label.to_string(),
        total_ms,
        open_ms: median(&opens).unwrap_or(0.0),
        gb_per_sec: (passes.iter().any(|p| p.mode != ReadMode::Idle) && total_ms > 0.0)
            .then(|| log.file_bytes as f64 / (total_ms / 1e3) / 1e9),
        peak_mib: mib(passes.iter().map(|p| p.hwm_end_kib).max().unwrap_or(0)),
        increase_mib: mib(passes
            .iter()
            .map(|p| p.hwm_increase_kib())
            .max()
            .unwrap_or(0)),
    })
}

fn peer_row(label: &str, passes: &[crate::peers::Recovery]) -> Result<ReadRow> {
    let m = peer_reads::median_pass(passes)?;
    let total_ms = ms(m.total);
    Ok(ReadRow {
        label: label.to_string(),
        total_ms,
        open_ms: ms(m.open),
        gb_per_sec: (total_ms > 0.0).then(|| m.bytes as f64 / (total_ms / 1e3) / 1e9),
        peak_mib: mib(passes.iter().map(|p| p.hwm_end_kib).max().unwrap_or(0)),
        increase_mib: mib(passes
            .iter()
            .map(|p| p.hwm_increase_kib())
            .max()
            .unwrap_or(0)),
    })
}

/// Append a row for each peer's recovery passes (`cold`: those after the page cache was
/// dropped) to `rows`; returns the peers without passes, labelled, with the reason.
fn push_peer_rows(
    rows: &mut Vec<ReadRow>,
    peers: &[PeerReads],
    cold: bool,
) -> Result<Vec<(String, String)>> {
    let mut missing = Vec::new();
    for p in peers {
        let (label, passes) = if cold {
            (
                format!("{} {}, same entries, cold cache", p.peer, p.recovery_how),
                &p.cold_recovery,
            )
        } else {
            (
                format!("{} {}, same entries", p.peer, p.recovery_how),
                &p.recovery,
            )
        };
        match passes {
            Ok(passes) => rows.push(peer_row(&label, passes)?),
            Err(why) => missing.push((label, why.clone())),
        }
    }
    Ok(missing)
}

/// The read rows, keyed "raw", "cursor", "iter", "idle".
struct ReadRows {
    rows: HashMap<&'static str, ReadRow>,
}

fn print_read_tables(
    log: &BigLog,
    reads: &HashMap<&'static str, Vec<PassResult>>,
    mid: &MidStart,
    peers: &[PeerReads],
) -> Result<ReadRows> {
    let size = format!("{:.0} MiB", log.file_bytes as f64 / (1u64 << 20) as f64);
    let labels = [
        (
            "idle",
            "fresh child process, nothing read (baseline)".to_string(),
        ),
        (
            "raw",
            format!(
                "raw read(2) of the segment files, {} KiB buffer, {size}",
                readpass::RAW_READ_BUF >> 10
            ),
        ),
        (
            "cursor",
            format!("walogs-core Wal::open + cursor_from(first), {size}"),
        ),
        ("iter", format!("walogs-core Wal::open + iter(), {size}")),
    ];
    let mut rows = HashMap::new();
    let mut ordered = Vec::new();
    for (key, label) in labels {
        let passes = reads
            .get(key)
            .ok_or_else(|| BenchError::Check(format!("no {key} pass")))?;
        let row = read_row(&label, log, passes)?;
        ordered.push(row.clone());
        rows.insert(key, row);
    }
    let missing = push_peer_rows(&mut ordered, peers, false)?;
    report::print_reads(
        "open + iterate, warm page cache (median time; GB/s of walogs' segment files, of payload for peers; peak = highest VmHWM; +MiB = growth during the pass)",
        &ordered,
        &missing,
    );
    let lat = |v: &[f64]| {
        (
            median(v).unwrap_or(f64::NAN),
            v.iter().copied().fold(0.0, f64::max),
        )
    };
    let (a, b) = lat(&mid.iter_from);
    let (c, d) = lat(&mid.cursor_from);
    let (e, f) = lat(&mid.read);
    report::print_latencies(
        &format!(
            "start reading at an LSN in the middle ({} LSNs from the middle half; Wal::open took {:.1} ms first)",
            mid.iter_from.len(),
            ms(mid.open)
        ),
        &[
            ("iter_from(lsn) + first next()".to_string(), a, b),
            ("cursor_from(lsn) + first next_entry()".to_string(), c, d),
            ("read(lsn)".to_string(), e, f),
        ],
    );
    Ok(ReadRows { rows })
}

fn rounds<'a>(writes: &'a [Measured], key: &str) -> Result<&'a [Sample]> {
    writes
        .iter()
        .find(|m| m.key == key)
        .map(|m| m.rounds.as_slice())
        .ok_or_else(|| BenchError::Check(format!("no measurement {key}")))
}

fn targets(
    writes: &[Measured],
    reads: &ReadRows,
    mid: &MidStart,
    points: &Points,
) -> Result<Vec<TargetRow>> {
    let mut t = Vec::new();
    let mut ratio = |what: String, num: &str, den: &str, goal: Goal| -> Result<()> {
        t.push(TargetRow {
            what,
            value: paired_ratio(rounds(writes, num)?, rounds(writes, den)?).ok_or_else(|| {
                BenchError::Check(format!("no rounds to compare {num} with {den}"))
            })?,
            unit: "x",
            goal,
        });
        Ok(())
    };
    use keys::*;
    for (num, falloc, zero, what) in [
        (
            CORE_APPEND_128,
            RAW_FALLOC_128,
            RAW_ZERO_128,
            "durable append 128 B",
        ),
        (
            CORE_APPEND_4K,
            RAW_FALLOC_4K,
            RAW_ZERO_4K,
            "durable append 4 KiB",
        ),
    ] {
        ratio(
            format!("{what} / raw pwrite+fdatasync fallocate'd"),
            num,
            falloc,
            Goal::AtLeast(1.05),
        )?;
        ratio(
            format!("{what} / raw pwrite+fdatasync zero-filled"),
            num,
            zero,
            Goal::AtLeast(1.05),
        )?;
    }
    // Same payload bytes per operation on both sides, so the ops ratio is the MB/s ratio.
    ratio(
        "durable batch 64x1 KiB MB/s / raw fallocate'd MB/s".into(),
        CORE_BATCH,
        RAW_FALLOC_BATCH,
        Goal::AtLeast(0.95),
    )?;
    ratio(
        "durable batch 64x1 KiB MB/s / raw zero-filled MB/s".into(),
        CORE_BATCH,
        RAW_ZERO_BATCH,
        Goal::AtLeast(0.95),
    )?;
    // Whether zeroing on a second thread, ahead of the batches, would close the gap to the
    // file zeroed before timing (it competes for the same disk).
    ratio(
        "  raw batches, zero-filled 8 MiB ahead by a second thread / zero-filled before".into(),
        RAW_ZAHEAD_BATCH,
        RAW_ZERO_BATCH,
        Goal::Info,
    )?;
    ratio(
        "  raw batches, zero-filled 8 MiB ahead by a second thread / in 1 MiB steps inline".into(),
        RAW_ZAHEAD_BATCH,
        RAW_ZSTEP_BATCH,
        Goal::Info,
    )?;
    ratio(
        "no-fsync append 128 B / one write(2) per entry".into(),
        CORE_NOSYNC_128,
        RAW_WRITE_128,
        Goal::AtLeast(1.0),
    )?;
    // The same comparison against the loop that reaches the kernel the way walogs-core does
    // (through the C library's wrapper, not a direct system call).
    ratio(
        "  no-fsync append 128 B / one pwrite(2) per entry via std".into(),
        CORE_NOSYNC_128,
        RAW_STDPWRITE_128,
        Goal::Info,
    )?;
    // What the streams layer (topic index, record header, store mutex) adds to an append.
    ratio(
        "  streams append Durability::None / walogs-core Wal::append Durability::None".into(),
        STREAMS_NOSYNC_128,
        CORE_NOSYNC_128,
        Goal::Info,
    )?;
    // What writing through a memory map instead of `pwrite` would leave on the table (not
    // done: a failing write fault is a `SIGBUS`, see the README).
    ratio(
        "  one copy into a shared mapping per entry / one write(2) per entry".into(),
        RAW_MMAP_128,
        RAW_WRITE_128,
        Goal::Info,
    )?;
    ratio(
        "  the same, pages faulted in per 64 KiB / one write(2) per entry".into(),
        RAW_MMAPSTEP_128,
        RAW_WRITE_128,
        Goal::Info,
    )?;
    for (core, raw, raw_pl, raw_pipe, okay, n) in [
        (
            CORE_GROUP_4,
            RAW_GROUP_4,
            RAW_GROUPPL_4,
            RAW_GROUPPIPE_4,
            OKAY_4,
            4,
        ),
        (
            CORE_GROUP_16,
            RAW_GROUP_16,
            RAW_GROUPPL_16,
            RAW_GROUPPIPE_16,
            OKAY_16,
            16,
        ),
    ] {
        ratio(
            format!("group commit {n} threads / raw group commit"),
            core,
            raw,
            Goal::AtLeast(1.2),
        )?;
        // The same raw algorithm on walogs-core's lock: what is left of the ratio above once
        // the lock implementation is the same on both sides.
        ratio(
            format!("  group commit {n} threads / raw group commit on parking_lot"),
            core,
            raw_pl,
            Goal::Info,
        )?;
        // Writing group N+1 while N's fdatasync is in flight, against not doing so, both
        // raw and on the same lock: what pipelining that way would buy on this disk.
        ratio(
            format!("  raw pipelined group commit {n} threads / raw group commit on parking_lot"),
            raw_pipe,
            raw_pl,
            Goal::Info,
        )?;
        ratio(
            format!("group commit {n} threads / okaywal {n} threads"),
            core,
            okay,
            Goal::Above(1.0),
        )?;
    }
    let row = |k: &str| {
        reads
            .rows
            .get(k)
            .ok_or_else(|| BenchError::Check(format!("no read row {k}")))
    };
    let raw_ms = row("raw")?.total_ms;
    for (k, what) in [("cursor", "cursor_from"), ("iter", "iter")] {
        let r = row(k)?;
        t.push(TargetRow {
            what: format!("open + iterate ({what}) / raw read(2), warm cache"),
            value: raw_ms / r.total_ms,
            unit: "x",
            goal: Goal::AtLeast(0.3),
        });
        t.push(TargetRow {
            // What recovery and iteration add to the process (VmHWM growth over the pass:
            // the sparse index, buffers), not the process's own baseline.
            what: format!("open + iterate ({what}) memory added (VmHWM growth)"),
            value: r.increase_mib,
            unit: " MiB",
            goal: Goal::AtMost(8.0),
        });
    }
    for (what, v) in [
        ("iter_from", &mid.iter_from),
        ("cursor_from", &mid.cursor_from),
        ("read", &mid.read),
    ] {
        t.push(TargetRow {
            what: format!("start at a middle LSN, {what} (median)"),
            value: median(v).unwrap_or(f64::INFINITY) / 1e3,
            unit: " ms",
            goal: Goal::AtMost(1.0),
        });
    }
    t.extend(point_targets(points));
    Ok(t)
}

/// The point-read targets: `read` / raw `pread` of both logs, then beside appenders.
fn point_targets(points: &Points) -> Vec<TargetRow> {
    let mut t = Vec::new();
    for (what, r) in [
        ("appended one by one", &points.one_by_one),
        ("append_many", &points.many),
    ] {
        for (pct, v) in [("p50", r.p50_ratio()), ("p99", r.p99_ratio())] {
            t.push(TargetRow {
                what: format!("point read {pct}, {what} / raw pread"),
                value: v,
                unit: "x",
                goal: Goal::AtMost(3.0),
            });
        }
    }
    t.extend(beside_targets(&points.beside));
    t
}

/// The p99 of point reads beside durable appenders over alone: walogs' (the goal) and, right
/// under it, the same ratio of raw `pread` beside a raw group commit (what the machine does
/// to any reader's tail; no goal).
fn beside_targets(b: &BesideAppenders) -> [TargetRow; 2] {
    let n = pointreads::APPENDERS;
    [
        TargetRow {
            what: format!("point read p99 beside {n} durable appenders / alone"),
            value: b.walogs.p99_ratio(),
            unit: "x",
            goal: Goal::AtMost(2.0),
        },
        TargetRow {
            what: format!("  raw pread p99 beside {n} raw group-commit appenders / alone"),
            value: b.raw.p99_ratio(),
            unit: "x",
            goal: Goal::Info,
        },
    ]
}
