//! Exhaustive power loss: every crash point (after each mutating file-system call) of every
//! workload of up to `max_len` operations, each resolved several ways, then (optionally)
//! every crash point inside the open that recovers it, resolved again.
//!
//! Two alphabets: the classic one (appends, batches, rotation, checkpoint, reopen) and the
//! log-control one ([`PowerLossConfig::control`]: `append_many`, truncations at unit
//! boundaries and inside units, across segments, purges inside the log, at a segment
//! boundary and past the end, user data, reopens). Under a relaxed durability policy
//! ([`PowerLossConfig::durability`]) the workloads also call `sync()` (and, with the
//! log-control alphabet, wait for durability notifications), the directory is marked
//! relaxed (so recovery is lenient), and the oracle allows the loss of acknowledged entries
//! that no sync, `durable_lsn()` or notification covered (see [`crate::model`]); a
//! notification counts from the simulator call at which it arrived. After every recovery
//! the first append must get the LSN `next_lsn()` announced.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};

use walogs_core::Durability;

use crate::Rng;
use crate::disk::{Disk, Resolution};
use crate::fs::{Lies, SimFs};
use crate::harness::{Tally, hash_str, setup};
use crate::model::{Model, Violation};
use crate::workload::{
    Action, Codes, LogView, Op, OpResult, Setup, all_workloads_over, durability_name, run_action,
};
use walogs_testkit::handle::HandleKind;

/// Settings of the exhaustive harness.
#[derive(Debug, Clone)]
pub struct PowerLossConfig {
    /// Longest workload, in operations (4 by default: every sequence of up to 4 operations).
    pub max_len: usize,
    /// Resolutions per crash point: drop-all, apply-all, then random ones.
    pub resolutions: u64,
    /// Seed of the random resolutions.
    pub seed: u64,
    /// `max_segment_size`, tiny so that rotation happens.
    pub segment_size: u64,
    /// Handle type.
    pub kind: HandleKind,
    /// Resolutions per crash point inside the recovering open (0: no crash during
    /// recovery). Applied to the random resolutions of each crash point only.
    pub recovery_resolutions: u64,
    /// Worker threads.
    pub threads: usize,
    /// Deliberate sync defects (for proving the harness can fail).
    pub lies: Lies,
    /// Keep directory operations in order at a crash (a journaling file system) instead of
    /// letting any subset survive.
    pub journaled: bool,
    /// The durability policy of the workloads' handles (a relaxed one adds `sync()` to the
    /// operations).
    pub durability: Durability,
    /// Run the log-control alphabet ([`Op::CONTROL`]) instead of the classic one.
    pub control: bool,
}

impl PowerLossConfig {
    /// The handle options of a run on `fs`.
    pub fn setup(&self, fs: &SimFs) -> Setup {
        setup(fs, self.segment_size, true, self.kind).with_durability(self.durability)
    }

    /// The operations the workloads are made of.
    pub fn alphabet(&self) -> &'static [Op] {
        if self.control {
            Op::control_alphabet(self.durability)
        } else {
            Op::alphabet(self.durability)
        }
    }
}

impl Default for PowerLossConfig {
    fn default() -> Self {
        PowerLossConfig {
            max_len: 4,
            resolutions: 4,
            seed: 1,
            segment_size: 200,
            kind: HandleKind::Single,
            recovery_resolutions: 2,
            threads: 1,
            lies: Lies::default(),
            journaled: false,
            durability: Durability::EveryAppend,
            control: false,
        }
    }
}

/// What the exhaustive harness found.
#[derive(Debug, Default, Clone)]
pub struct PowerLossReport {
    /// Crash states after crashes in the workloads.
    pub crash: Tally,
    /// Crash states after a crash inside a recovering open.
    pub recovery: Tally,
    /// Workloads run.
    pub workloads: u64,
    /// Crash points (snapshots) over all workloads.
    pub crash_points: u64,
    /// Distinct disk images among the crash states (per workload).
    pub distinct_images: u64,
    /// Workloads whose fault-free run itself failed.
    pub broken_workloads: Vec<String>,
}

impl PowerLossReport {
    /// The harness's figures, one line per tally: crash states in the workloads, then
    /// crash states inside the recovering open. `name` labels them (e.g. `power-loss`).
    pub fn lines(&self, name: &str, cfg: &PowerLossConfig) -> [String; 2] {
        let dirs = if cfg.journaled {
            "in order"
        } else {
            "unordered"
        };
        [
            self.crash.line(
                name,
                &format!(
                    "crash states ({} workloads of 1-{} ops over {}, handle {}, durability {}, {} crash points x {} resolutions, \
                     {} distinct disk images, directory operations {dirs}, seed {})",
                    self.workloads,
                    cfg.max_len,
                    Codes(cfg.alphabet()),
                    cfg.kind.name(),
                    durability_name(cfg.durability),
                    self.crash_points,
                    cfg.resolutions,
                    self.distinct_images,
                    cfg.seed
                ),
            ),
            self.recovery.line(
                &format!("{name}-recovery-crash"),
                &format!(
                    "crash states inside recovery (every call of the recovering opens, {} resolutions each, seed {})",
                    cfg.recovery_resolutions, cfg.seed
                ),
            ),
        ]
    }
}

/// One recorded crash point: the device and what must be recovered from it.
#[derive(Debug, Clone)]
pub struct CrashPoint {
    /// The device right after the call.
    pub disk: Disk,
    /// The oracle at that moment.
    pub model: Model,
    /// The call just made (or `end of workload`).
    pub desc: String,
    /// The simulator's mutating-call counter at that point.
    pub call: u64,
}

/// Run `ops` on a fresh simulated device, recording a crash point after every mutating
/// call and one at the end. `trace` keeps the call trace (returned second).
pub fn record(
    ops: &[Op],
    cfg: &PowerLossConfig,
    trace: bool,
) -> Result<(Vec<CrashPoint>, Vec<String>), Violation> {
    let fs = SimFs::default();
    fs.set_lies(cfg.lies);
    fs.trace(trace);
    fs.record(true);
    let setup = cfg.setup(&fs);
    // By tag (0: the initial open, i + 1: operation i, then the final close): the model
    // while the calls run, and once they returned.
    let mut models: Vec<Model> = vec![Model::default()];
    let mut after: Vec<Model> = vec![Model::default()];
    let mut model = Model::default();
    let mut wal;
    fs.set_tag(0);
    match setup.open() {
        Ok(w) => wal = Some(w),
        Err(e) => return Err(Violation::FailedOpen(format!("initial open: {e}"))),
    }
    for (i, &op) in ops.iter().enumerate() {
        fs.set_tag(i as u64 + 1);
        let action = Action::of(op, i, &model, &LogView::of(wal.as_deref(), &fs));
        let mut during = Model::default();
        let r = run_action(&mut wal, &setup, &mut model, &action, Some(&mut during));
        models.push(during);
        match r {
            OpResult::Ok => {}
            OpResult::Err(e) | OpResult::OpenFailed(e) => {
                return Err(Violation::Other(format!(
                    "operation {i} ({action:?}) failed without any crash: {e}"
                )));
            }
        }
        after.push(model.clone());
    }
    // Close before taking the last point (under an interval policy the flusher may still be
    // syncing); a clean close only makes things durable.
    fs.set_tag(ops.len() as u64 + 1);
    models.push(model.clone());
    after.push(model.clone());
    drop(wal);
    fs.record(false);
    let snaps = fs.take_snapshots();
    let last_of_tag: Vec<bool> = (0..snaps.len())
        .map(|j| snaps.get(j + 1).is_none_or(|n| n.tag != snaps[j].tag))
        .collect();
    let mut points: Vec<CrashPoint> = snaps
        .into_iter()
        .zip(last_of_tag)
        .map(|(s, last)| {
            // Nothing changes on disk between an operation's last call and its return: the
            // state after that call is the one the acknowledged operation left.
            let m = if last {
                &after[s.tag as usize]
            } else {
                &models[s.tag as usize]
            };
            CrashPoint {
                model: m.notified_by(&model.notices, s.call),
                disk: s.disk,
                desc: s.desc,
                call: s.call,
            }
        })
        .collect();
    points.push(CrashPoint {
        disk: fs.disk(),
        call: fs.counts().mutating(),
        model,
        desc: "end of workload".to_string(),
    });
    let t = fs.take_trace();
    Ok((points, t))
}

fn point_seed(cfg: &PowerLossConfig, codes: &str, point: usize) -> u64 {
    Rng::mix(cfg.seed ^ hash_str(codes), point as u64)
}

fn disk_hash(d: &Disk) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    d.hash(&mut h);
    h.finish()
}

/// Recover `disk` and check it against `model`; `Ok` says whether unsynced acknowledged
/// entries were lost (allowed under a relaxed policy). With `record`, also return the crash
/// points of that open.
pub fn recover(
    disk: Disk,
    model: &Model,
    cfg: &PowerLossConfig,
    record: bool,
    trace: bool,
) -> (Result<bool, Violation>, Vec<Disk>, Vec<String>) {
    let notes = crate::harness::frames::open_notes(&disk);
    let fs = SimFs::new(disk);
    fs.set_lies(cfg.lies);
    fs.trace(trace);
    fs.record(record);
    let st = cfg.setup(&fs);
    let open_trace;
    let r = match st.open() {
        Ok(mut wal) => {
            // Only the open's own calls are crash points inside recovery.
            fs.record(false);
            open_trace = fs.take_trace();
            fs.trace(false);
            let checked = crate::model::check(&*wal, model);
            let appended = match checked {
                Ok(rec) => match wal.append(b"after-recovery") {
                    Ok(l) if l.0 == rec.next_lsn => Ok(crate::model::lost_unsynced(&rec, model)),
                    Ok(l) => Err(Violation::Other(format!(
                        "first append after recovery got LSN {l}, next_lsn() said {}",
                        rec.next_lsn
                    ))),
                    Err(e) => Err(Violation::Other(format!(
                        "append after recovery failed: {e}"
                    ))),
                },
                Err(v) => Err(v),
            };
            drop(wal);
            appended
        }
        Err(e) => {
            open_trace = fs.take_trace();
            Err(Violation::FailedOpen(format!("{e}{notes}")))
        }
    };
    let snaps = fs.take_snapshots().into_iter().map(|s| s.disk).collect();
    (r, snaps, open_trace)
}

/// The reproduction line of one state.
pub fn repro_line(
    cfg: &PowerLossConfig,
    ops: &[Op],
    point: usize,
    res: u64,
    inner: Option<(usize, u64)>,
) -> String {
    let mut s = format!(
        "cargo run --release -p walogs-sim -- repro power-loss ops={} seg={} handle={} durability={} seed={} dirs={} point={point} res={res}",
        Codes(ops),
        cfg.segment_size,
        cfg.kind.name(),
        durability_name(cfg.durability),
        cfg.seed,
        if cfg.journaled { "journaled" } else { "any" }
    );
    if let Some((p, r)) = inner {
        s.push_str(&format!(" rpoint={p} rres={r}"));
    }
    s
}

/// Resolution `res` of crash point `point` of workload `codes`.
pub fn resolution(cfg: &PowerLossConfig, codes: &str, point: usize, res: u64) -> Resolution {
    Resolution::nth(res, point_seed(cfg, codes, point)).journaled(cfg.journaled)
}

/// Resolution `rres` of crash point `rpoint` inside the recovery of state (`point`, `res`).
pub fn inner_resolution(
    cfg: &PowerLossConfig,
    codes: &str,
    point: usize,
    res: u64,
    rpoint: usize,
    rres: u64,
) -> Resolution {
    let s = Rng::mix(
        point_seed(cfg, codes, point),
        1_000_000 + res * 10_000 + rpoint as u64,
    );
    // Inside recovery the two extremes are the interesting ones first, as for any crash.
    Resolution::nth(rres, s).journaled(cfg.journaled)
}

/// Run every crash state of one workload.
pub fn run_workload(ops: &[Op], cfg: &PowerLossConfig, report: &mut PowerLossReport) {
    let codes = Codes(ops).to_string();
    report.workloads += 1;
    let points = match record(ops, cfg, false) {
        Ok((p, _)) => p,
        Err(v) => {
            report.broken_workloads.push(format!("{codes}: {v}"));
            report
                .crash
                .record(Err(v), || repro_line(cfg, ops, 0, 0, None));
            return;
        }
    };
    report.crash_points += points.len() as u64;
    let mut seen = HashSet::new();
    for (p, point) in points.iter().enumerate() {
        for r in 0..cfg.resolutions {
            let disk = point.disk.crash(resolution(cfg, &codes, p, r));
            if seen.insert(disk_hash(&disk)) {
                report.distinct_images += 1;
            }
            let inner = cfg.recovery_resolutions > 0 && r >= 2.min(cfg.resolutions - 1);
            let (res, snaps, _) = recover(disk, &point.model, cfg, inner, false);
            report
                .crash
                .record_recovery(res, || repro_line(cfg, ops, p, r, None));
            for (rp, snap) in snaps.iter().enumerate() {
                for rr in 0..cfg.recovery_resolutions {
                    let d2 = snap.crash(inner_resolution(cfg, &codes, p, r, rp, rr));
                    let (res2, _, _) = recover(d2, &point.model, cfg, false, false);
                    report
                        .recovery
                        .record_recovery(res2, || repro_line(cfg, ops, p, r, Some((rp, rr))));
                }
            }
        }
    }
}

/// Run the whole exhaustive sweep on `cfg.threads` threads.
pub fn run(cfg: &PowerLossConfig) -> PowerLossReport {
    let workloads = all_workloads_over(cfg.alphabet(), cfg.max_len);
    let threads = cfg.threads.max(1);
    let mut parts: Vec<PowerLossReport> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let workloads = &workloads;
                s.spawn(move || {
                    let mut rep = PowerLossReport::default();
                    for w in workloads.iter().skip(t).step_by(threads) {
                        run_workload(w, cfg, &mut rep);
                    }
                    rep
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("worker panicked"))
            .collect()
    });
    let mut total = parts.pop().unwrap_or_default();
    for p in parts {
        total.crash.merge(p.crash);
        total.recovery.merge(p.recovery);
        total.workloads += p.workloads;
        total.crash_points += p.crash_points;
        total.distinct_images += p.distinct_images;
        total.broken_workloads.extend(p.broken_workloads);
    }
    total
}

/// Re-run one state with call traces: returns the verdict and a human-readable trace (the
/// workload's calls up to the crash point, then the recovering open's calls).
pub fn repro(
    cfg: &PowerLossConfig,
    ops: &[Op],
    point: usize,
    res: u64,
    inner: Option<(usize, u64)>,
) -> (Result<bool, Violation>, Vec<String>) {
    let codes = Codes(ops).to_string();
    let (points, trace) = match record(ops, cfg, true) {
        Ok(x) => x,
        Err(v) => return (Err(v), Vec::new()),
    };
    let mut out = Vec::new();
    let Some(cp) = points.get(point) else {
        return (
            Err(Violation::Other(format!(
                "no crash point {point}: the workload has {}",
                points.len()
            ))),
            out,
        );
    };
    // The trace holds every call; cut it after the crash point's call.
    let marker = format!("[crash point {point}]");
    for line in trace {
        let last = line.ends_with(&marker);
        out.push(format!("  workload: {line}"));
        if last {
            break;
        }
    }
    out.push(format!(
        "  == power loss after: {} (resolution {res}: {:?})",
        cp.desc,
        resolution(cfg, &codes, point, res)
    ));
    let disk = cp.disk.crash(resolution(cfg, &codes, point, res));
    out.extend(describe(&disk));
    match inner {
        None => {
            let (r, _, t) = recover(disk, &cp.model, cfg, false, true);
            out.extend(t.into_iter().map(|l| format!("  recovery: {l}")));
            (r, out)
        }
        Some((rp, rr)) => {
            let (_, snaps, t) = recover(disk, &cp.model, cfg, true, true);
            out.extend(t.into_iter().map(|l| format!("  recovery 1: {l}")));
            let Some(snap) = snaps.get(rp) else {
                return (
                    Err(Violation::Other(format!("no recovery crash point {rp}"))),
                    out,
                );
            };
            out.push(format!("  == power loss inside recovery after call {rp}"));
            let d2 = snap.crash(inner_resolution(cfg, &codes, point, res, rp, rr));
            out.extend(describe(&d2));
            let (r, _, t) = recover(d2, &cp.model, cfg, false, true);
            out.extend(t.into_iter().map(|l| format!("  recovery 2: {l}")));
            (r, out)
        }
    }
}

/// One line per file of the WAL directory: name, length, and its frames' headers.
pub fn describe(disk: &Disk) -> Vec<String> {
    disk.files_in(std::path::Path::new(crate::workload::WAL_DIR))
        .into_iter()
        .map(|(name, bytes)| {
            if name == walogs_core::META_FILENAME {
                return match crate::harness::frames::decode_meta(&bytes) {
                    Some(m) => format!(
                        "  disk: {name} {} bytes [v{} sealed seg {} at LSN {}, floor {}, cut {}{}{}]",
                        bytes.len(),
                        m.version,
                        m.sealed_seq,
                        m.sealed_last_lsn,
                        m.floor,
                        m.cut_lsn,
                        if m.relaxed { ", relaxed" } else { "" },
                        if m.truncating { ", truncating" } else { "" }
                    ),
                    None => format!("  disk: {name} {} bytes [not valid]", bytes.len()),
                };
            }
            if name == walogs_core::USER_DATA_FILENAME {
                let slot = |i| {
                    crate::harness::frames::user_slot(&bytes, i)
                        .map_or("-".to_string(), |(seq, d)| format!("seq {seq}, {} B", d.len()))
                };
                return format!(
                    "  disk: {name} {} bytes [slot 0: {}; slot 1: {}]",
                    bytes.len(),
                    slot(0),
                    slot(1)
                );
            }
            if walogs_core::segment::parse_segment_filename(&name).is_none() {
                return format!("  disk: {name} {} bytes", bytes.len());
            }
            let mut frames = Vec::new();
            let mut off = 0usize;
            while off < bytes.len() {
                match walogs_core::frame::decode(&bytes[off..]) {
                    walogs_core::frame::Decoded::Frame {
                        first_lsn,
                        entries,
                        frame_len,
                    } => {
                        let member = crate::harness::frames::frame_at(&bytes, off)
                            .and_then(|f| f.member)
                            .map_or(String::new(), |m| format!("(m{}/{})", m.index, m.count));
                        frames.push(format!(
                            "@{off}:lsn{first_lsn}x{}{member}",
                            entries.len()
                        ));
                        off += frame_len;
                    }
                    other => {
                        let zeros = bytes[off..].iter().all(|&b| b == 0);
                        frames.push(format!(
                            "@{off}:{other:?}{}",
                            if zeros { "(zeros)" } else { "" }
                        ));
                        break;
                    }
                }
            }
            format!(
                "  disk: {name} {} bytes [{}]",
                bytes.len(),
                frames.join(" ")
            )
        })
        .collect()
}
