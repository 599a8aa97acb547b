//! The streams section of the report: the write figures of the streams block (walogs-streams
//! over 64 topics beside one `SharedWal`, walrus-rust and nano-wal with as many topics and
//! threads), the consumer batch reads beside walrus-rust and a raw read, and their targets.

use crate::report::{Goal, TargetRow};
use crate::stats::{Sample, paired_ratio};
use crate::streams_cases::{THREADS, TOPICS};
use crate::streams_reads::{BUDGET, BatchReads};
use crate::write_suite::{Measured, keys, size};

/// The cases the streams case is compared with.
const WRITE_PEERS: [&str; 3] = [keys::CORE_SHARED_8, keys::WALRUS_TOPICS, keys::NANO_TOPICS];

fn rounds<'a>(writes: &'a [Measured], key: &str) -> Option<&'a Measured> {
    writes.iter().find(|m| m.key == key)
}

/// The paired ratio of the subject to `key`, or why there is none.
fn write_ratio(writes: &[Measured], key: &str) -> Result<f64, String> {
    let subject: &[Sample] = rounds(writes, keys::STREAMS_TOPICS)
        .map(|m| m.rounds.as_slice())
        .ok_or("the streams case did not run")?;
    let other = rounds(writes, key).ok_or_else(|| format!("{key} did not run"))?;
    if let Some(why) = &other.failure {
        return Err(why.clone());
    }
    paired_ratio(subject, &other.rounds).ok_or_else(|| format!("no rounds to compare with {key}"))
}

/// Print the section: the write comparison (from the write suite's rounds) and the batch
/// reads.
pub fn print(writes: &[Measured], reads: &BatchReads) {
    println!();
    println!(
        "== streams: {TOPICS} topics x {THREADS} threads, durable {} appends (ratio = walogs-streams / other, paired rounds) ==",
        size(128)
    );
    println!("{:<80} {:>10} {:>10}", "measurement", "ops/s", "ratio");
    for key in std::iter::once(keys::STREAMS_TOPICS).chain(WRITE_PEERS) {
        let Some(m) = rounds(writes, key) else {
            continue;
        };
        match (&m.summary, key == keys::STREAMS_TOPICS) {
            (Some(s), true) => println!("{:<80} {:>10.0} {:>10}", m.label, s.ops_per_sec(), "-"),
            (Some(s), false) => {
                let r = write_ratio(writes, key).map_or("-".to_string(), |r| format!("{r:.2}x"));
                println!("{:<80} {:>10.0} {:>10}", m.label, s.ops_per_sec(), r);
            }
            (None, _) => println!(
                "{:<80} not measured: {}",
                m.label,
                m.failure.as_deref().unwrap_or("no round")
            ),
        }
    }
    println!();
    println!(
        "== streams: consumer batch reads of one topic, {} records of {}, {} MiB per call, warm cache (median of {} rounds) ==",
        reads.entries,
        size(reads.entry_size),
        BUDGET >> 20,
        reads.rounds
    );
    println!(
        "{:<80} {:>10} {:>10} {:>9}",
        "measurement", "open ms", "read ms", "GB/s"
    );
    let payload = reads.entries as f64 * reads.entry_size as f64;
    let row = |label: &str, open: Option<f64>, read: f64, bytes: f64| {
        let open = open.map_or("-".to_string(), |o| format!("{o:.1}"));
        let gbs = if read > 0.0 {
            bytes / (read / 1e3) / 1e9
        } else {
            0.0
        };
        println!("{label:<80} {open:>10} {read:>10.1} {gbs:>9.2}");
    };
    row(
        &format!(
            "raw read(2) of the store's segment files ({:.1} MiB)",
            reads.file_bytes as f64 / (1u64 << 20) as f64
        ),
        None,
        ms(reads.raw_read),
        reads.file_bytes as f64,
    );
    row(
        "walogs-streams Consumer::next_batch_into(1 MiB), AtLeastOnce (open = recovery scan)",
        Some(ms(reads.streams_open)),
        ms(reads.streams_read),
        payload,
    );
    row(
        "walogs-streams Consumer::next_batch(1 MiB), owned records (same store, same open)",
        None,
        ms(reads.streams_read_vec),
        payload,
    );
    match &reads.walrus {
        Ok((open, read)) => row(
            "walrus-rust batch_read_for_topic(1 MiB), same records (fresh process)",
            Some(ms(*open)),
            ms(*read),
            payload,
        ),
        Err(why) => println!(
            "{:<80} not measured: {why}",
            "walrus-rust batch_read_for_topic(1 MiB), same records (fresh process)"
        ),
    }
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The streams targets; a comparison with a peer that failed is left out (the section says
/// why).
pub fn targets(writes: &[Measured], reads: &BatchReads) -> Vec<TargetRow> {
    let mut t = Vec::new();
    let subject = format!("streams {TOPICS} topics x {THREADS} threads");
    for (key, what, goal) in [
        (
            keys::WALRUS_TOPICS,
            "walrus-rust SyncEach",
            Goal::Above(1.0),
        ),
        (keys::NANO_TOPICS, "nano-wal durable=true", Goal::Above(1.0)),
        (
            keys::CORE_SHARED_8,
            "one SharedWal x 8 threads",
            Goal::AtLeast(0.9),
        ),
    ] {
        if let Ok(value) = write_ratio(writes, key) {
            t.push(TargetRow {
                what: format!("{subject} / {what}"),
                value,
                unit: "x",
                goal,
            });
        }
    }
    let read = ms(reads.streams_read);
    if read > 0.0 {
        if let Ok((_, walrus)) = reads.walrus {
            t.push(TargetRow {
                what: "streams next_batch_into 1 MiB / walrus-rust batch_read_for_topic".into(),
                value: ms(walrus) / read,
                unit: "x",
                goal: Goal::Above(1.0),
            });
        }
        t.push(TargetRow {
            what: "streams next_batch_into 1 MiB / raw read(2) of the store".into(),
            value: ms(reads.raw_read) / read,
            unit: "x",
            goal: Goal::AtLeast(0.3),
        });
    }
    t
}
