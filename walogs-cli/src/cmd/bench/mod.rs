//! `walogs bench [DIR]`: measure durable appends on the disk holding DIR (default: the
//! current directory) and compare them with the raw `write`+`fdatasync` limit of that same
//! disk, measured in the same run. Prints entries/s, fdatasyncs/s, latency percentiles and
//! the ratios. Everything happens in a temporary subdirectory that is removed afterwards.

mod counting;
mod measure;
mod raw;
mod wal;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::cli::BenchArgs;
use crate::error::{CliError, EXIT_OK};
use crate::output::{self, count};
use crate::progress;
use crate::wal_dir::require_dir;
use measure::{Measured, Sample, Timer};

/// The ratios people ask for, each against a baseline measured in this run.
#[derive(Debug, Serialize)]
struct Ratios {
    /// walogs single appends/s ÷ raw append write+fdatasync/s (1.0 = no overhead).
    append_vs_raw_append: f64,
    /// walogs single appends/s ÷ raw overwrite pwrite+fdatasync/s (the disk's best case).
    append_vs_raw_overwrite: f64,
    /// Batched entries/s ÷ raw append/s (the gain from one sync per batch).
    batch_entries_vs_raw_append: f64,
    /// Group-commit entries/s ÷ raw append/s (the gain from sharing syncs).
    group_entries_vs_raw_append: f64,
    /// Entries carried per fdatasync under group commit.
    group_entries_per_sync: f64,
}

/// Everything `bench` reports.
#[derive(Debug, Serialize)]
struct Report {
    dir: String,
    entry_size: usize,
    seconds_each: f64,
    rounds: u32,
    batch: u32,
    threads: u32,
    results: Vec<Measured>,
    ratios: Ratios,
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

/// Run `bench`.
pub fn run(args: &BenchArgs, json: bool) -> Result<u8, CliError> {
    if !(args.seconds.is_finite() && args.seconds > 0.0 && args.seconds <= 3600.0) {
        return Err(CliError::Usage(format!(
            "--seconds must be between 0 and 3600, got {}",
            args.seconds
        )));
    }
    if args.size > walogs_core::MAX_ENTRY_SIZE
        || args
            .size
            .saturating_add(4)
            .saturating_mul(args.batch as usize)
            + 4
            > walogs_core::MAX_BATCH_SIZE
    {
        return Err(CliError::Usage(
            "--size/--batch exceed the entry or batch size limit".to_string(),
        ));
    }
    let parent = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    require_dir(&parent)?;
    let tmp = tempfile::Builder::new()
        .prefix(".walogs-bench-")
        .tempdir_in(&parent)
        .map_err(|e| {
            CliError::io(
                format!("cannot create a directory in {}", parent.display()),
                e,
            )
        })?;
    let report = measure_all(tmp.path(), args, json)?;
    tmp.close()
        .map_err(|e| CliError::io("cannot remove the benchmark directory", e))?;
    let report = Report {
        dir: std::fs::canonicalize(&parent)
            .unwrap_or(parent)
            .display()
            .to_string(),
        ..report
    };
    let printed = if json {
        output::json(&report)
    } else {
        output::text(&render(&report))
    };
    output::finish(printed, EXIT_OK)
}

/// The kinds of measurement, in the order each round runs them.
const KINDS: [&str; 5] = [
    "raw_append",
    "raw_overwrite",
    "wal_append",
    "wal_batch",
    "group_commit",
];

fn measure_all(dir: &Path, args: &BenchArgs, json: bool) -> Result<Report, CliError> {
    let slice = Duration::from_secs_f64(args.seconds / f64::from(args.rounds));
    let slice_ms = slice.as_millis() as u64;
    let total_ms = slice_ms * KINDS.len() as u64 * u64::from(args.rounds);
    let pb = progress::timed(total_ms, json, "measuring".to_string());
    let payload = crate::pattern::payload(1, args.size);
    // The raw baselines write records of the size of a walogs frame (16-byte header + payload).
    let record = vec![0xa5u8; args.size + 16];
    let overwrite_file = raw::prepare_overwrite(dir)?;
    let mut samples: Vec<Sample> = KINDS.iter().map(|_| Sample::default()).collect();
    let mut base = 0;
    for round in 0..args.rounds {
        for (k, kind) in KINDS.iter().enumerate() {
            pb.set_message(format!("round {}/{}: {kind}", round + 1, args.rounds));
            let sub = dir.join(format!("{kind}-{round}"));
            std::fs::create_dir(&sub)
                .map_err(|e| CliError::io(format!("cannot create {}", sub.display()), e))?;
            let timer = Timer::start(slice, &pb, base);
            let s = match *kind {
                "raw_append" => raw::append(&sub, &record, timer)?,
                "raw_overwrite" => raw::overwrite(&overwrite_file, &record, timer)?,
                "wal_append" => wal::append(&sub, &payload, timer)?,
                "wal_batch" => wal::batches(&sub, &payload, args.batch as usize, timer)?,
                _ => wal::group_commit(&sub, &payload, args.threads as usize, timer)?,
            };
            samples[k].merge(s);
            base += slice_ms;
            // Free the space now; the directory is removed at the end anyway.
            let _ = std::fs::remove_dir_all(&sub);
        }
    }
    pb.finish_and_clear();
    let mut it = samples.into_iter();
    let mut next = |name: &'static str, label: String| {
        Measured::new(name, label, it.next().unwrap_or_default())
    };
    let raw_append = next("raw_append", "raw write+fdatasync (file grows)".into());
    let raw_over = next("raw_overwrite", "raw pwrite+fdatasync (pre-written)".into());
    let wal_append = next("wal_append", "walogs append (durable, one by one)".into());
    let batch = next(
        "wal_batch",
        format!("walogs append_batch ({} per batch)", args.batch),
    );
    let group = next(
        "group_commit",
        format!(
            "walogs group commit ({})",
            count(args.threads, "thread", "threads")
        ),
    );
    let ratios = Ratios {
        append_vs_raw_append: ratio(wal_append.entries_per_sec, raw_append.entries_per_sec),
        append_vs_raw_overwrite: ratio(wal_append.entries_per_sec, raw_over.entries_per_sec),
        batch_entries_vs_raw_append: ratio(batch.entries_per_sec, raw_append.entries_per_sec),
        group_entries_vs_raw_append: ratio(group.entries_per_sec, raw_append.entries_per_sec),
        group_entries_per_sync: ratio(group.entries as f64, group.syncs as f64),
    };
    Ok(Report {
        dir: String::new(),
        entry_size: args.size,
        seconds_each: args.seconds,
        rounds: args.rounds,
        batch: args.batch,
        threads: args.threads,
        results: vec![raw_append, raw_over, wal_append, batch, group],
        ratios,
    })
}

fn us(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{v:.0}"))
}

fn render(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "walogs bench on the disk of {} ({}-byte entries, {:.1} s per measurement in {})\n",
        r.dir,
        r.entry_size,
        r.seconds_each,
        count(r.rounds, "interleaved round", "interleaved rounds")
    );
    let _ = writeln!(
        s,
        "  {:<42} {:>12} {:>12} {:>9} {:>9}",
        "measurement", "entries/s", "fdatasync/s", "p50 µs", "p99 µs"
    );
    for m in &r.results {
        let _ = writeln!(
            s,
            "  {:<42} {:>12.0} {:>12.0} {:>9} {:>9}",
            m.label,
            m.entries_per_sec,
            m.syncs_per_sec,
            us(m.p50_us),
            us(m.p99_us)
        );
    }
    let q = &r.ratios;
    let _ = writeln!(s, "\n  ratios (same disk, same run):");
    let _ = writeln!(
        s,
        "    walogs append / raw write+fdatasync        {:>7.2}x",
        q.append_vs_raw_append
    );
    let _ = writeln!(
        s,
        "    walogs append / raw pwrite+fdatasync       {:>7.2}x",
        q.append_vs_raw_overwrite
    );
    let _ = writeln!(
        s,
        "    batched entries/s / raw write+fdatasync    {:>7.2}x  ({} per batch)",
        q.batch_entries_vs_raw_append, r.batch
    );
    let _ = writeln!(
        s,
        "    group-commit entries/s / raw               {:>7.2}x  ({}, {:.1} entries per fdatasync)",
        q.group_entries_vs_raw_append,
        count(r.threads, "thread", "threads"),
        q.group_entries_per_sync
    );
    s
}
