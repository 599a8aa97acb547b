//! Bit rot inside acknowledged frames: crash states of every short workload in which one
//! bit or byte of an acknowledged, durable frame is flipped on the simulated disk before
//! the reopen.
//!
//! What the open may do (README guarantees 2 and 5, and the lenient rule for relaxed
//! writers; the classification is recovery's: damage in a completed segment, or followed by
//! a valid frame, is mid-log damage; damage with nothing valid after it in the last segment
//! is a torn final write):
//!
//! * refuse with [`WalError::Corrupt`] — always allowed;
//! * open, cutting the log at the rotted write, only when it is in the last segment,
//!   `tail_state()` says `TruncatedAt(offset of its first frame)`, and either no valid frame
//!   follows it in that segment or the directory is marked relaxed and
//!   `recovery_report().salvaged` reports the valid frames it cut. A write is a frame, or a
//!   whole unit of member frames (an atomic batch, an `append_many` chunk): a unit with a
//!   rotted member is cut whole, as a torn unit would be, never kept in part.
//!
//! Never allowed: another error, a wrong payload, a missing acknowledged entry that precedes
//! the rotted write, an entry of it read back, an entry never written, or an append after
//! the open that does not get `next_lsn()`.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::path::Path;

use walogs_core::{Durability, TailState, WalError};

use crate::Rng;
use crate::disk::{Disk, Entry, Resolution, normalize};
use crate::fs::SimFs;
use crate::harness::frames::{Frame, meta_relaxed, scan, segments};
use crate::harness::power_loss::{CrashPoint, PowerLossConfig, record};
use crate::harness::{Tally, hash_str};
use crate::model::{Model, Violation, read_all};
use crate::workload::{Codes, Op, WAL_DIR, all_workloads_over, durability_name};
use walogs_testkit::handle::HandleKind;

/// Settings of the bit-rot harness.
#[derive(Debug, Clone)]
pub struct BitRotConfig {
    /// Longest workload.
    pub max_len: usize,
    /// Seed of the crash resolutions and of the flipped positions.
    pub seed: u64,
    /// Flips per acknowledged frame per crash state: the first in the header, the second a
    /// whole byte of the body, the rest single bits anywhere in the frame.
    pub flips: u64,
    /// `max_segment_size`.
    pub segment_size: u64,
    /// Handle type.
    pub kind: HandleKind,
    /// Durability policy of the writer (a relaxed one makes recovery lenient).
    pub durability: Durability,
    /// Worker threads.
    pub threads: usize,
    /// Run the log-control alphabet (see [`PowerLossConfig::control`]).
    pub control: bool,
}

impl Default for BitRotConfig {
    fn default() -> Self {
        BitRotConfig {
            max_len: 3,
            seed: 1,
            flips: 2,
            segment_size: 200,
            kind: HandleKind::Single,
            durability: Durability::EveryAppend,
            threads: 1,
            control: false,
        }
    }
}

impl BitRotConfig {
    fn power_loss(&self) -> PowerLossConfig {
        PowerLossConfig {
            max_len: self.max_len,
            seed: self.seed,
            segment_size: self.segment_size,
            kind: self.kind,
            durability: self.durability,
            control: self.control,
            ..PowerLossConfig::default()
        }
    }
}

/// What the bit-rot harness found.
#[derive(Debug, Default, Clone)]
pub struct BitRotReport {
    /// One state per flipped image.
    pub states: Tally,
    /// Workloads run.
    pub workloads: u64,
    /// Opens that refused with `Corrupt`.
    pub refused: u64,
    /// Opens that cut a rotted last frame as a torn tail (nothing valid after it).
    pub cut_tail: u64,
    /// Opens of a relaxed directory that cut (and reported) valid frames after the rot.
    pub cut_salvaged: u64,
    /// Opens that did not read the rotted frame (before the log's start, or removed by the
    /// truncation in flight).
    pub not_read: u64,
}

impl BitRotReport {
    fn merge(&mut self, o: BitRotReport) {
        self.states.merge(o.states);
        self.workloads += o.workloads;
        self.refused += o.refused;
        self.cut_tail += o.cut_tail;
        self.cut_salvaged += o.cut_salvaged;
        self.not_read += o.not_read;
    }

    /// The harness's figure: one line.
    pub fn line(&self, cfg: &BitRotConfig) -> String {
        self.states.line(
            "bitrot",
            &format!(
                "flipped crash states ({} workloads of 1-{} ops over {}, handle {}, durability {}, {} flips per acknowledged frame \
                 per distinct crash image, seed {}; {} refused as Corrupt, {} cut as a torn tail, {} cut with valid frames after it and reported, \
                 {} not read (purged, or cut by the truncation in flight))",
                self.workloads,
                cfg.max_len,
                Codes(cfg.power_loss().alphabet()),
                cfg.kind.name(),
                durability_name(cfg.durability),
                cfg.flips,
                cfg.seed,
                self.refused,
                self.cut_tail,
                self.cut_salvaged,
                self.not_read
            ),
        )
    }
}

/// How one flipped image was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Refused with `Corrupt`.
    Refused,
    /// Cut at the rotted frame, nothing valid after it.
    CutTail,
    /// Cut at the rotted frame with valid frames after it, reported as salvaged.
    CutSalvaged,
    /// Opened without reading the rotted frame: it lies before the log's start (purged or
    /// checkpointed, or the purge in flight took effect), or the truncation in flight took
    /// effect and removed it.
    NotRead,
}

/// One flip: which segment, which frame, which byte, which bits.
#[derive(Debug, Clone)]
pub struct Flip {
    /// Segment sequence number.
    pub seq: u64,
    /// Segment file name.
    pub name: String,
    /// The rotted frame (as it was before the flip).
    pub frame: Frame,
    /// The write it belongs to: its unit's LSNs (its own for a plain or batch frame).
    pub unit: std::ops::Range<u64>,
    /// Offset of that write's first frame.
    pub unit_offset: usize,
    /// Valid frames after that write in the same segment.
    pub frames_after: usize,
    /// Whether the segment is the newest on the disk.
    pub in_last_segment: bool,
    /// Absolute byte offset in the file.
    pub offset: usize,
    /// XOR mask applied to that byte (never 0).
    pub mask: u8,
}

/// One acknowledged frame whose entries the model says are durable, with its write.
#[derive(Debug, Clone)]
struct DurableFrame {
    seq: u64,
    name: String,
    frame: Frame,
    /// Offset of the first frame of its unit (its own offset outside units).
    unit_offset: usize,
    /// Valid frames after its unit in the segment.
    after: usize,
}

/// Acknowledged frames whose entries the model says are durable.
fn durable_frames(disk: &Disk, model: &Model) -> Vec<DurableFrame> {
    let mut out = Vec::new();
    for (seq, (name, bytes)) in segments(disk) {
        let (frames, _) = scan(&bytes);
        for f in &frames {
            let acked = f
                .lsns()
                .zip(&f.entries)
                .all(|(l, e)| l <= model.durable && model.entries.get(&l).is_some_and(|m| m == e));
            if !acked {
                continue;
            }
            let unit = f.unit_lsns();
            let same_unit = |g: &Frame| g.member.is_some() && g.unit_lsns() == unit;
            let members: Vec<&Frame> = frames.iter().filter(|g| same_unit(g)).collect();
            let unit_offset = members.first().map_or(f.offset, |g| g.offset);
            let unit_end = members.last().map_or(f.offset, |g| g.offset);
            out.push(DurableFrame {
                seq,
                name: name.clone(),
                frame: f.clone(),
                unit_offset,
                after: frames.iter().filter(|g| g.offset > unit_end).count(),
            });
        }
    }
    out
}

/// The `j`-th flip of `frame`, positioned by `rng`.
fn choose_flip(frame: &Frame, j: u64, rng: &mut Rng) -> (usize, u8) {
    match j {
        0 => (frame.offset + rng.index(16), 1 << rng.below(8)),
        1 if frame.len > 16 => (
            frame.offset + 16 + rng.index(frame.len - 16),
            1 + rng.below(255) as u8,
        ),
        _ => (frame.offset + rng.index(frame.len), 1 << rng.below(8)),
    }
}

/// `disk` with `flip` applied to the file's content (current and durable: the rot is on
/// the platter).
pub fn apply_flip(disk: &Disk, flip: &Flip) -> Disk {
    let mut d = disk.clone();
    let path = normalize(&Path::new(WAL_DIR).join(&flip.name));
    if let Some(Entry::File(ino)) = d.lookup(&path) {
        let inode = &mut d.inodes[ino];
        inode.current[flip.offset] ^= flip.mask;
        inode.durable[flip.offset] ^= flip.mask;
    }
    d
}

/// Open a flipped image and check what the open did (see the module docs).
pub fn check_flipped(
    disk: Disk,
    flip: &Flip,
    model: &Model,
    cfg: &BitRotConfig,
) -> Result<Verdict, Violation> {
    let lenient = meta_relaxed(&disk);
    let fs = SimFs::new(disk);
    let st = cfg.power_loss().setup(&fs);
    let mut wal = match st.open() {
        Ok(w) => w,
        Err(WalError::Corrupt { .. }) => return Ok(Verdict::Refused),
        Err(e) => return Err(Violation::FailedOpen(e.to_string())),
    };
    let rec = read_all(&*wal)?;
    let (first, next) = (rec.first_lsn, rec.next_lsn);
    if rec.entries.iter().map(|(l, _)| *l).ne(first..next) {
        return Err(Violation::Other(format!(
            "LSNs not dense: first_lsn {first}, next_lsn {next}, {} entries iterate",
            rec.entries.len()
        )));
    }
    let rotted = flip.unit.clone();
    for (lsn, data) in &rec.entries {
        if flip.frame.lsns().contains(lsn) {
            return Err(Violation::Other(format!(
                "LSN {lsn} of the rotted frame was read back"
            )));
        }
        let expected = model.entries.get(lsn).or_else(|| {
            model
                .inflight
                .as_ref()
                .and_then(|(f, es)| es.get(lsn.checked_sub(*f)? as usize))
        });
        match expected {
            Some(e) if e == data => {}
            Some(_) => return Err(Violation::WrongPayload(*lsn)),
            None => {
                return Err(Violation::Other(format!(
                    "LSN {lsn} is present but was never appended"
                )));
            }
        }
    }
    // A rotted frame wholly before the log's start, or removed by a truncation in flight
    // that took effect, is not read: the open is right not to see the rot, as long as
    // nothing acknowledged is missing.
    let purged = model.purging.filter(|&p| first > p);
    let cut = model.truncating.filter(|&k| next <= k + 1);
    let not_read = flip.frame.lsns().end <= first || cut.is_some_and(|k| flip.frame.first_lsn > k);
    // Everything acknowledged before `up_to` is still there, except what a checkpoint, or a
    // purge or truncation in flight that took effect, removed.
    let lost = |up_to: u64| {
        model
            .entries
            .range(..up_to)
            .find(|&(&l, _)| {
                if l < first {
                    l > model.ckpt && purged.is_none_or(|p| l > p)
                } else {
                    l >= next && cut.is_none_or(|k| l <= k)
                }
            })
            .map(|(&l, _)| l)
    };
    if not_read && lost(u64::MAX).is_none() {
        return Ok(Verdict::NotRead);
    }
    if let Some(l) = lost(rotted.start) {
        return Err(Violation::AckLost(l));
    }
    // The open succeeded, so it cut the log at the rotted write: allowed only as a torn
    // tail of the last segment (or, after a relaxed writer, reported as salvaged), and a
    // unit only whole.
    // (A log cut below its purge floor restarts right above the floor.)
    if next > rotted.start.max(rec.floor + 1) {
        return Err(Violation::Other(format!(
            "the rotted frame (LSNs {:?}) is gone but next_lsn() is {next}: its write (LSNs {rotted:?}) was cut in part",
            flip.frame.lsns()
        )));
    }
    let report = wal.recovery_report();
    if !flip.in_last_segment {
        return Err(Violation::Other(format!(
            "rot in completed segment {} was cut instead of refused",
            flip.name
        )));
    }
    if report.tail != TailState::TruncatedAt(flip.unit_offset as u64) {
        return Err(Violation::Other(format!(
            "the log was cut at the rotted write (offset {}) but tail_state() is {:?}",
            flip.unit_offset, report.tail
        )));
    }
    let verdict = match (flip.frames_after, lenient) {
        (0, _) => Verdict::CutTail,
        (n, false) => {
            return Err(Violation::Other(format!(
                "{n} valid frames after the rotted one were cut instead of refusing (mid-log damage)"
            )));
        }
        (n, true) if report.salvaged.is_none() => {
            return Err(Violation::Other(format!(
                "{n} valid frames after the rotted one were cut without a salvage report"
            )));
        }
        (_, true) => Verdict::CutSalvaged,
    };
    match wal.append(b"after-rot") {
        Ok(l) if l.0 == next => Ok(verdict),
        Ok(l) => Err(Violation::Other(format!(
            "first append after the open got LSN {l}, next_lsn() said {next}"
        ))),
        Err(e) => Err(Violation::Other(format!(
            "append after the open failed: {e}"
        ))),
    }
}

/// The reproduction line of one flipped state.
pub fn repro_line(cfg: &BitRotConfig, ops: &[Op], point: usize, frame: usize, j: u64) -> String {
    format!(
        "cargo run --release -p walogs-sim -- repro bitrot ops={} seg={} handle={} durability={} seed={} point={point} frame={frame} flip={j}",
        Codes(ops),
        cfg.segment_size,
        cfg.kind.name(),
        durability_name(cfg.durability),
        cfg.seed
    )
}

/// The resolution of crash point `p` of workload `codes` (one per point, cycling through
/// drop-all, apply-all and random ones).
fn point_resolution(cfg: &BitRotConfig, codes: &str, p: usize) -> Resolution {
    Resolution::nth(p as u64 % 4, Rng::mix(cfg.seed ^ hash_str(codes), p as u64))
}

/// The flips of frame `fi` of crash point `p` (after resolving it), with the disk.
pub fn flips_of(
    cfg: &BitRotConfig,
    ops: &[Op],
    point: &CrashPoint,
    p: usize,
) -> (Disk, Vec<(usize, u64, Flip)>) {
    let codes = Codes(ops).to_string();
    let disk = point.disk.crash(point_resolution(cfg, &codes, p));
    let last_seq = segments(&disk).keys().next_back().copied();
    let mut out = Vec::new();
    for (fi, d) in durable_frames(&disk, &point.model).into_iter().enumerate() {
        let mut rng = Rng::new(Rng::mix(
            cfg.seed ^ hash_str(&codes),
            ((p as u64) << 20) | fi as u64,
        ));
        for j in 0..cfg.flips {
            let (offset, mask) = choose_flip(&d.frame, j, &mut rng);
            out.push((
                fi,
                j,
                Flip {
                    seq: d.seq,
                    name: d.name.clone(),
                    unit: d.frame.unit_lsns(),
                    unit_offset: d.unit_offset,
                    frame: d.frame.clone(),
                    frames_after: d.after,
                    in_last_segment: Some(d.seq) == last_seq,
                    offset,
                    mask,
                },
            ));
        }
    }
    (disk, out)
}

fn disk_hash(d: &Disk) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    d.hash(&mut h);
    h.finish()
}

fn run_workload(ops: &[Op], cfg: &BitRotConfig, rep: &mut BitRotReport) {
    rep.workloads += 1;
    let points = match record(ops, &cfg.power_loss(), false) {
        Ok((p, _)) => p,
        Err(v) => {
            rep.states.record(Err(v), || repro_line(cfg, ops, 0, 0, 0));
            return;
        }
    };
    let mut seen = HashSet::new();
    for (p, point) in points.iter().enumerate() {
        let (disk, flips) = flips_of(cfg, ops, point, p);
        if !seen.insert(disk_hash(&disk)) {
            continue;
        }
        for (fi, j, flip) in flips {
            let r = check_flipped(apply_flip(&disk, &flip), &flip, &point.model, cfg);
            match r {
                Ok(Verdict::Refused) => rep.refused += 1,
                Ok(Verdict::CutTail) => rep.cut_tail += 1,
                Ok(Verdict::CutSalvaged) => rep.cut_salvaged += 1,
                Ok(Verdict::NotRead) => rep.not_read += 1,
                Err(_) => {}
            }
            let r = r.map(drop).map_err(|v| {
                Violation::Context(
                    Box::new(v),
                    format!(
                        "byte {} of {} ^= {:#04x}, in the frame of LSNs {:?} at offset {}",
                        flip.offset,
                        flip.name,
                        flip.mask,
                        flip.frame.lsns(),
                        flip.frame.offset
                    ),
                )
            });
            rep.states.record(r, || repro_line(cfg, ops, p, fi, j));
        }
    }
}

/// Run every workload on `cfg.threads` threads.
pub fn run(cfg: &BitRotConfig) -> BitRotReport {
    let workloads = all_workloads_over(cfg.power_loss().alphabet(), cfg.max_len);
    let threads = cfg.threads.max(1);
    let parts: Vec<BitRotReport> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|t| {
                let workloads = &workloads;
                s.spawn(move || {
                    let mut rep = BitRotReport::default();
                    for w in workloads.iter().skip(t).step_by(threads) {
                        run_workload(w, cfg, &mut rep);
                    }
                    rep
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().expect("worker panicked"))
            .collect()
    });
    let mut total = BitRotReport::default();
    for p in parts {
        total.merge(p);
    }
    total
}

/// Re-run one flipped state: the verdict and a description of the image and the flip.
pub fn repro(
    cfg: &BitRotConfig,
    ops: &[Op],
    point: usize,
    frame: usize,
    j: u64,
) -> (Result<Verdict, Violation>, Vec<String>) {
    let points = match record(ops, &cfg.power_loss(), false) {
        Ok((p, _)) => p,
        Err(v) => return (Err(v), Vec::new()),
    };
    let Some(cp) = points.get(point) else {
        return (
            Err(Violation::Other(format!(
                "no crash point {point}: the workload has {}",
                points.len()
            ))),
            Vec::new(),
        );
    };
    let (disk, flips) = flips_of(cfg, ops, cp, point);
    let mut out = vec![format!("  == power loss after: {}", cp.desc)];
    out.extend(crate::harness::power_loss::describe(&disk));
    let Some((_, _, flip)) = flips.iter().find(|(f, jj, _)| *f == frame && *jj == j) else {
        return (
            Err(Violation::Other(format!(
                "no flip {frame}/{j} at this point"
            ))),
            out,
        );
    };
    out.push(format!(
        "  == rot: byte {} of {} ^= {:#04x} (frame of LSNs {:?} at offset {}, {} valid frames after it, last segment: {})",
        flip.offset,
        flip.name,
        flip.mask,
        flip.frame.lsns(),
        flip.frame.offset,
        flip.frames_after,
        flip.in_last_segment
    ));
    (
        check_flipped(apply_flip(&disk, flip), flip, &cp.model, cfg),
        out,
    )
}
