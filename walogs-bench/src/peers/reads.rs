//! The read side of the peers: each peer writes a log of the same entries as walogs' read
//! log, then (where it can) point reads of that warm log and recovery passes (open + read
//! everything) in fresh processes, first with the page cache warm, then with it dropped
//! before each pass. A peer error becomes the reason on its row; the log is deleted
//! afterwards.

use std::path::Path;

use super::{Outcome, PeerReads, Recovery, nano, raft, walrus};
use crate::error::{BenchError, Context, Result};
use crate::rawio::syncfs;
use crate::readpass::RAW_READ_BUF;

/// The shape of the logs the peers write: as many entries of the same size as walogs' read
/// log, and how to measure them.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Entries of the log.
    pub entries: u64,
    /// Payload bytes of each.
    pub entry_size: usize,
    /// Recovery passes per peer, warm cache.
    pub rounds: usize,
    /// Recovery passes per peer with the page cache dropped before each.
    pub cold_rounds: usize,
    /// Point reads per peer.
    pub samples: usize,
}

/// Read every file under `dir` (recursively) once, so the page cache holds them; returns
/// the bytes read.
pub fn warm(dir: &Path) -> Result<u64> {
    let mut total = 0;
    let mut buf = vec![0u8; RAW_READ_BUF];
    for e in std::fs::read_dir(dir).ctx(format!("list {}", dir.display()))? {
        let e = e.ctx("list")?;
        let p = e.path();
        if e.file_type().ctx("stat")?.is_dir() {
            total += warm(&p)?;
            continue;
        }
        let f = std::fs::File::open(&p).ctx(format!("open {}", p.display()))?;
        loop {
            match crate::rawio::read(&f, &mut buf).ctx("read")? {
                0 => break,
                n => total += n as u64,
            }
        }
    }
    Ok(total)
}

fn outcome<T>(r: Result<T>) -> Outcome<T> {
    r.map_err(|e| e.to_string())
}

fn remove(dir: &Path) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).ctx(format!("remove {}", dir.display()))?;
    }
    syncfs(dir.parent().unwrap_or(dir))
}

fn passes(
    peer: &str,
    what: &str,
    rounds: usize,
    mut one: impl FnMut() -> Result<Recovery>,
) -> Result<Vec<Recovery>> {
    let mut v = Vec::new();
    for r in 0..rounds {
        let p = one()?;
        eprintln!(
            "  round {}/{rounds} {peer:<12} {what} {:>9.1} ms, VmHWM {} KiB",
            r + 1,
            p.total.as_secs_f64() * 1e3,
            p.hwm_end_kib
        );
        v.push(p);
    }
    Ok(v)
}

/// Why a peer has no cold passes when the page cache cannot be dropped.
const COLD_NEEDS_ROOT: &str = "not measured: dropping the page cache needs root";

/// `rounds` passes of `one`, each right after the page cache was dropped (files under `dir`
/// synced first), as walogs' own cold passes are run.
fn cold_passes(
    peer: &str,
    dir: &Path,
    rounds: usize,
    mut one: impl FnMut() -> Result<Recovery>,
) -> Outcome<Vec<Recovery>> {
    let mut dropped = true;
    let r = passes(peer, "cold recovery", rounds, || {
        if !crate::cold::drop_caches(dir)? {
            dropped = false;
            return Err(BenchError::Check(COLD_NEEDS_ROOT.into()));
        }
        one()
    });
    match r {
        Err(_) if !dropped => Err(COLD_NEEDS_ROOT.into()),
        r => outcome(r),
    }
}

fn nano_reads(dir: &Path, plan: Plan) -> PeerReads {
    eprintln!("  nano-wal: log + point reads...");
    let point = outcome(nano::point_reads(
        dir,
        plan.entries,
        plan.entry_size,
        plan.samples,
    ));
    PeerReads {
        peer: nano::PEER,
        recovery_how: "open + read everything",
        recovery: Err(nano::NO_RECOVERY.into()),
        cold_recovery: Err(nano::NO_RECOVERY.into()),
        point_how: "read_at(kept EntryRef)",
        point,
    }
}

fn raft_reads(dir: &Path, plan: Plan) -> PeerReads {
    eprintln!("  raft-engine: log...");
    let log = match raft::create_log(dir, plan.entries, plan.entry_size) {
        Ok(l) => l,
        Err(e) => {
            let why = e.to_string();
            return PeerReads {
                peer: raft::PEER,
                recovery_how: "Engine::open + fetch_entries_to",
                recovery: Err(why.clone()),
                cold_recovery: Err(why.clone()),
                point_how: "get_entry(region, index)",
                point: Err(why),
            };
        }
    };
    eprintln!(
        "  raft-engine: log written in {:.2} s; point reads...",
        log.create_time.as_secs_f64()
    );
    let point = outcome(log.point_reads(plan.entries, plan.entry_size, plan.samples));
    let rdir = log.dir.clone();
    drop(log.engine);
    let recovery = outcome(syncfs(dir).and_then(|()| warm(&rdir)).and_then(|_| {
        passes(raft::PEER, "recovery", plan.rounds, || {
            raft::RaftLog::recover_in_child(&rdir, plan.entries, plan.entry_size)
        })
    }));
    let cold_recovery = cold_passes(raft::PEER, dir, plan.cold_rounds, || {
        raft::RaftLog::recover_in_child(&rdir, plan.entries, plan.entry_size)
    });
    PeerReads {
        peer: raft::PEER,
        recovery_how: "Engine::open + fetch_entries_to",
        recovery,
        cold_recovery,
        point_how: "get_entry(region, index)",
        point,
    }
}

fn walrus_reads(dir: &Path, plan: Plan) -> PeerReads {
    eprintln!("  walrus-rust: log...");
    let recovery = outcome(
        walrus::create_log(dir, plan.entries, plan.entry_size)
            .and_then(|t| {
                eprintln!("  walrus-rust: log written in {:.2} s", t.as_secs_f64());
                syncfs(dir)
            })
            .and_then(|()| warm(dir))
            .and_then(|_| {
                passes(walrus::PEER, "recovery", plan.rounds, || {
                    walrus::recover(dir, plan.entries, plan.entry_size)
                })
            }),
    );
    // Without a log (its creation failed) there is nothing to read cold either.
    let cold_recovery = match &recovery {
        Ok(_) => cold_passes(walrus::PEER, dir, plan.cold_rounds, || {
            walrus::recover(dir, plan.entries, plan.entry_size)
        }),
        Err(why) => Err(why.clone()),
    };
    PeerReads {
        peer: walrus::PEER,
        recovery_how: "open + batch_read_for_topic",
        recovery,
        cold_recovery,
        point_how: "point read",
        point: Err(walrus::NO_POINT_READS.into()),
    }
}

/// Run the read side of every peer under `scratch`, one after the other.
pub fn run(scratch: &Path, plan: Plan) -> Result<Vec<PeerReads>> {
    eprintln!(
        "peers, read side ({} entries of {} B)...",
        plan.entries, plan.entry_size
    );
    let mut out = Vec::new();
    for (name, f) in [
        ("nano", nano_reads as fn(&Path, Plan) -> PeerReads),
        ("raft", raft_reads),
        ("walrus", walrus_reads),
    ] {
        let dir = scratch.join(format!("peer-{name}"));
        std::fs::create_dir_all(&dir).ctx(format!("create {}", dir.display()))?;
        out.push(f(&dir, plan));
        remove(&dir)?;
    }
    Ok(out)
}

/// The median recovery pass (by total time) of `passes`.
pub fn median_pass(passes: &[Recovery]) -> Result<Recovery> {
    let mut v = passes.to_vec();
    v.sort_by_key(|p| p.total);
    v.get((v.len().max(1) - 1) / 2)
        .copied()
        .ok_or_else(|| BenchError::Check("no recovery pass".into()))
}
