//! A read-only open beside a live writer, in the simulator: at every state the writer's
//! directory passes through (after each of its mutating calls, as a concurrent reader sees
//! it, unsynced data included) and with every write caught half done (the first part of its
//! bytes in place, the rest as before: zeros of preallocated space, or nothing), a read-only
//! open reports no damage and reads a consistent log: dense LSNs, payloads some append wrote
//! at those LSNs, and first and next LSNs between the log's before and after the operation
//! under way.
//!
//! The writer appends entries of 1 B to 6 KiB (single appends, atomic batches, bulk appends)
//! into 8 KiB segments, and rotates, checkpoints, truncates (inside batches too), purges and
//! replaces its user data, under the default durability and under `Manual`. The real
//! threads-and-processes version of this test, with live timing, is in walogs-core
//! (`tests/readonly_beside_writer.rs`).

use std::path::Path;

use walogs_core::{Durability, Lsn, TailState, Wal, WalError, WalOptions};
use walogs_sim::SimFs;
use walogs_testkit::{Rng, payload};

const DIR: &str = "/wal";

/// The log as the writer left it after an operation: the mutating-call counter then, and
/// its first and next LSN.
#[derive(Debug, Clone, Copy)]
struct After {
    calls: u64,
    first: u64,
    next: u64,
}

fn len(rng: &mut Rng) -> usize {
    match rng.below(3) {
        0 => 1 + rng.index(16),
        1 => 1 + rng.index(600),
        _ => 1 + rng.index(6 * 1024),
    }
}

/// Entries carry the payload of their LSN keyed by the truncation epoch they were written
/// in (a truncation lets later appends reuse LSNs with other bytes).
fn entry(seed: u64, epoch: u64, lsn: u64, rng: &mut Rng) -> Vec<u8> {
    payload::payload(Rng::mix(seed, epoch), lsn, len(rng))
}

/// Run a seeded workload on `fs` (recording its snapshots); returns the log after every
/// operation and the number of truncation epochs.
fn write(fs: &SimFs, seed: u64, durability: Durability) -> (Vec<After>, u64) {
    let mut rng = Rng::new(seed);
    let mut wal: Wal = WalOptions::new()
        .file_system(fs.handle())
        .max_segment_size(Some(8 * 1024))
        .durability(durability)
        .open(DIR)
        .unwrap();
    let mut epoch = 0;
    let mut log = vec![After {
        calls: fs.counts().mutating(),
        first: wal.first_lsn().0,
        next: wal.next_lsn().0,
    }];
    for _ in 0..60 {
        let next = wal.next_lsn().0;
        match rng.below(20) {
            0..=9 => {
                wal.append(&entry(seed, epoch, next, &mut rng)).unwrap();
            }
            10..=12 => {
                let n = 1 + rng.below(4);
                let batch: Vec<Vec<u8>> = (0..n)
                    .map(|i| entry(seed, epoch, next + i, &mut rng))
                    .collect();
                if rng.chance(1, 2) {
                    wal.append_batch(&batch).unwrap();
                } else {
                    wal.append_many(&batch).unwrap();
                }
            }
            13 => wal.rotate().unwrap(),
            14 | 15 => {
                let first = wal.first_lsn().0;
                let upto = first + rng.below(next - first + 1);
                let _ = wal.checkpoint(Lsn(upto)).unwrap();
            }
            16 | 17 if next > wal.first_lsn().0 => {
                let first = wal.first_lsn().0;
                let keep = first + rng.below(next - first);
                wal.truncate_after(Lsn(keep)).unwrap();
                epoch += 1;
            }
            18 if next > 3 => {
                let upto = wal.first_lsn().0 + rng.below(3);
                let _ = wal.purge_up_to(Lsn(upto.min(next - 1))).unwrap();
            }
            19 => {
                if durability != Durability::EveryAppend {
                    wal.sync().unwrap();
                }
                let n = rng.index(64);
                wal.set_user_data(&rng.bytes(n)).unwrap();
            }
            _ => {
                wal.append(&entry(seed, epoch, next, &mut rng)).unwrap();
            }
        }
        log.push(After {
            calls: fs.counts().mutating(),
            first: wal.first_lsn().0,
            next: wal.next_lsn().0,
        });
    }
    wal.close().unwrap();
    (log, epoch)
}

/// What a read-only open saw: its first and next LSN, and whether its tail was torn.
struct Seen {
    first: u64,
    next: u64,
    torn: bool,
}

/// Open `fs` read-only and read everything: what it saw, or what failed.
fn read(fs: &SimFs, seed: u64, epochs: u64) -> Result<Seen, String> {
    let ro = WalOptions::new()
        .file_system(fs.handle())
        .read_only(true)
        .open(DIR)
        .map_err(|e| format!("open: {e}"))?;
    let (first, next) = (ro.first_lsn().0, ro.next_lsn().0);
    let mut expect = first;
    for item in ro.iter() {
        let (lsn, data) = item.map_err(|e: WalError| format!("iterating at {expect}: {e}"))?;
        if lsn.0 != expect {
            return Err(format!("LSN {lsn} where {expect} was expected"));
        }
        if !(0..=epochs).any(|e| payload::matches(Rng::mix(seed, e), lsn.0, &data)) {
            return Err(format!("LSN {lsn} holds bytes no append wrote there"));
        }
        expect += 1;
    }
    if expect != next {
        return Err(format!(
            "the iterator ended at {expect}, next_lsn() is {next}"
        ));
    }
    Ok(Seen {
        first,
        next,
        torn: ro.tail_state() != TailState::Clean,
    })
}

/// The first and next LSN a reader may see while mutating call `call` is the last one
/// made: between the log before the operation under way and after it.
fn bounds(log: &[After], call: u64) -> ((u64, u64), (u64, u64)) {
    let i = log.iter().rposition(|a| a.calls < call).unwrap_or(0);
    let (before, after) = (log[i], log[(i + 1).min(log.len() - 1)]);
    (
        (before.first.min(after.first), before.first.max(after.first)),
        (before.next.min(after.next), before.next.max(after.next)),
    )
}

/// The directory with the write of snapshot `at` half done: each file it changed holds the
/// first `share`/4 of the changed bytes, and the rest as before the write.
fn half_written(
    before: &[(String, Vec<u8>)],
    after: &[(String, Vec<u8>)],
    share: usize,
) -> Vec<(String, Vec<u8>)> {
    after
        .iter()
        .map(|(name, new)| {
            let old = before
                .iter()
                .find(|(n, _)| n == name)
                .map_or(&[][..], |(_, b)| b.as_slice());
            let from = new.iter().zip(old).take_while(|(a, b)| a == b).count();
            let to = new.len().max(old.len());
            let cut = from + (to - from) * share / 4;
            let mut bytes = new[..cut.min(new.len())].to_vec();
            if old.len() > cut {
                bytes.extend_from_slice(&old[cut..]);
            }
            (name.clone(), bytes)
        })
        .collect()
}

/// Opens made and how many of them found a torn tail.
fn check(seed: u64, durability: Durability) -> (usize, usize) {
    let fs = SimFs::default();
    fs.record(true);
    let (log, epochs) = write(&fs, seed, durability);
    let snaps = fs.take_snapshots();
    assert!(snaps.len() > 100, "a workload of {} calls", snaps.len());
    let mut opens = 0;
    let mut torn = 0;
    let mut failures = Vec::new();
    let mut previous: Vec<(String, Vec<u8>)> = Vec::new();
    for snap in &snaps {
        let live = SimFs::new(snap.disk.clone());
        let files = live.files(Path::new(DIR));
        let mut states = vec![("as written".to_string(), live)];
        if snap.desc.starts_with("write_all_at") {
            for share in 1..4 {
                let torn = half_written(&previous, &files, share);
                states.push((
                    format!("{share}/4 written"),
                    SimFs::with_files(Path::new(DIR), &torn),
                ));
            }
        }
        let ((first_lo, first_hi), (next_lo, next_hi)) = bounds(&log, snap.call);
        for (how, state) in states {
            // The directory may not exist yet (before the first calls of the open).
            if state.files(Path::new(DIR)).is_empty() {
                continue;
            }
            opens += 1;
            let verdict = read(&state, seed, epochs).and_then(|Seen { first, next, torn: t }| {
                torn += usize::from(t);
                if !(next_lo..=next_hi).contains(&next) || !(first_lo..=first_hi).contains(&first)
                {
                    Err(format!(
                        "first {first} next {next}, outside {first_lo}..={first_hi} and {next_lo}..={next_hi}"
                    ))
                } else {
                    Ok(())
                }
            });
            if let Err(e) = verdict {
                failures.push(format!(
                    "seed {seed} {durability:?}, after call {} ({}), {how}: {e}",
                    snap.call, snap.desc
                ));
            }
        }
        previous = files;
    }
    assert!(failures.is_empty(), "{failures:#?}");
    (opens, torn)
}

#[test]
fn read_only_opens_at_every_state_of_a_live_writer_see_no_false_damage() {
    let (mut opens, mut torn) = (0, 0);
    for (seed, durability) in (1..=6)
        .map(|s| (s, Durability::EveryAppend))
        .chain((7..=9).map(|s| (s, Durability::Manual)))
    {
        let (o, t) = check(seed, durability);
        opens += o;
        torn += t;
    }
    println!(
        "{opens} read-only opens of a live writer's states ({torn} with a tail to cut: a write under way or preallocated zeros), none saw damage"
    );
    assert!(opens > 2000, "{opens}");
    assert!(torn > 500, "half-done writes were read: {torn}");
}
