//! Bit rot and truncation: write a small 3-segment log, then for every bit of every segment
//! (and of the metadata file) flip it, open a copy with the default (writable, non-salvage)
//! options, read everything back and classify the outcome; then truncate each segment at
//! every offset and do the same.
//!
//! The log holds single appends (plain frames) and atomic batches, which are *units* of
//! member frames (one per entry, see [`crate::unit`]). A unit is one write: recovery cannot
//! tell a torn unit from a truncated one and drops it whole, so the harness treats a unit as
//! one atomic piece, as it treats a plain frame.
//!
//! Outcomes of a flip: a clean `Corrupt` error; intact (everything read back); torn-tail (the
//! last unit of the last segment cut, as a torn write would be, and reported by
//! `tail_state`); SILENT LOSS (an entry of a non-final unit missing without an error);
//! WRONG PAYLOAD (bytes or LSNs that were never written). The last two must never happen.
//!
//! Truncating the last segment at offset `o` is what a lost unsynced tail looks like: the
//! only right outcome is exactly the units that end at or before `o` (a "clean prefix"),
//! with the tail reported cut unless `o` is a unit boundary. Truncating a completed segment
//! must be `Corrupt`.
//!
//! The sweep runs on the simulator's in-memory file system (`walogs_sim::fs::SimFs`) for speed; every 50th case is repeated on real
//! files (the `OsFs` of walogs-core) and must be classified the same.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use walogs_core::vfs::{FileSystem, OsFs};
use walogs_core::{Lsn, META_FILENAME, TailState, WalError, WalOptions, segment};

use crate::payload::PayloadSpec;
use crate::unit;
use crate::util::ScratchDir;
use walogs_sim::fs::SimFs;

/// Segment size of the generated log.
pub const SEGMENT: u64 = 1800;
const DIR: &str = "/wal";
const CROSS_CHECK_EVERY: u64 = 50;

/// How one damaged copy opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Open failed with `WalError::Corrupt`.
    Corrupt,
    /// Open failed with another error.
    OtherError,
    /// Everything read back.
    Intact,
    /// Only the last unit of the last segment was cut, and `tail_state` says so.
    TornTail,
    /// (Truncation of the last segment) exactly the units before the cut.
    CleanPrefix,
    /// Entries missing without an error.
    SilentLoss,
    /// Entries that were never written, at an LSN or with bytes.
    WrongPayload,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Corrupt => "corrupt",
            Outcome::OtherError => "other error",
            Outcome::Intact => "intact",
            Outcome::TornTail => "torn-tail",
            Outcome::CleanPrefix => "clean prefix",
            Outcome::SilentLoss => "silent loss",
            Outcome::WrongPayload => "wrong payload",
        })
    }
}

/// Counts of outcomes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Cases run.
    pub total: u64,
    /// Per outcome.
    pub by: Vec<(Outcome, u64)>,
}

impl Counts {
    fn add(&mut self, o: Outcome) {
        self.total += 1;
        match self.by.iter_mut().find(|(k, _)| *k == o) {
            Some((_, n)) => *n += 1,
            None => self.by.push((o, 1)),
        }
    }

    /// How many cases had outcome `o`.
    pub fn get(&self, o: Outcome) -> u64 {
        self.by.iter().find(|(k, _)| *k == o).map_or(0, |(_, n)| *n)
    }
}

/// What the sweep found.
#[derive(Debug, Clone, Default)]
pub struct BitRotReport {
    /// Bytes of each segment and of the metadata file.
    pub files: Vec<(String, usize)>,
    /// Entries in the log.
    pub entries: u64,
    /// Bit flips in the segments.
    pub flips: Counts,
    /// Bit flips in the metadata file.
    pub meta_flips: Counts,
    /// Truncations of the last segment.
    pub last_truncations: Counts,
    /// Truncations of completed segments.
    pub completed_truncations: Counts,
    /// Cases repeated on real files.
    pub cross_checked: u64,
    /// Unit start offsets of each segment, by file name.
    pub unit_starts: Vec<(String, Vec<u64>)>,
    /// Multi-entry units (atomic batches) in the log.
    pub multi_units: u64,
    /// Truncations of the last segment inside a multi-entry unit (at a member boundary or
    /// not), each of which must drop the whole unit.
    pub cuts_inside_units: u64,
    /// Every case that broke a promise or disagreed with the real-file run.
    pub problems: Vec<Problem>,
    /// The seed the log was written with.
    pub seed: u64,
}

/// A case whose outcome is not allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The damaged file.
    pub file: String,
    /// Byte offset of the flipped bit, or the truncation length.
    pub offset: u64,
    /// Bit number (0..8) of a flip; `None` for a truncation.
    pub bit: Option<u8>,
    /// The outcome.
    pub outcome: Outcome,
    /// What open said or read.
    pub detail: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.bit {
            Some(b) => write!(
                f,
                "flip of bit {b} of byte {} of {}",
                self.offset, self.file
            )?,
            None => write!(f, "truncation of {} at {}", self.file, self.offset)?,
        }
        write!(f, ": {} ({})", self.outcome, self.detail)
    }
}

impl BitRotReport {
    /// The bit-flip figure line.
    pub fn flip_figure(&self) -> String {
        let c = &self.flips;
        let m = &self.meta_flips;
        format!(
            "bit-rot: {} flips over {} segments ({} bytes, {} entries, {} atomic batches as units of member frames): {} corrupt, {} torn-tail, {} intact, {} silent loss, {} wrong payload, {} other errors; \
             metadata file: {} flips, {} corrupt; {} cases repeated on real files",
            c.total,
            self.files.len().saturating_sub(1),
            self.files
                .iter()
                .filter(|(n, _)| n != META_FILENAME)
                .map(|(_, l)| l)
                .sum::<usize>(),
            self.entries,
            self.multi_units,
            c.get(Outcome::Corrupt),
            c.get(Outcome::TornTail),
            c.get(Outcome::Intact),
            c.get(Outcome::SilentLoss),
            c.get(Outcome::WrongPayload),
            c.get(Outcome::OtherError),
            m.total,
            m.get(Outcome::Corrupt),
            self.cross_checked,
        )
    }

    /// The truncation figure line.
    pub fn truncation_figure(&self) -> String {
        let l = &self.last_truncations;
        let c = &self.completed_truncations;
        format!(
            "truncation: {} offsets: last segment {} clean prefix ({} inside a unit, each dropping the whole unit), {} other; completed segments {} corrupt, {} silent loss, {} wrong payload, {} other",
            l.total + c.total,
            l.get(Outcome::CleanPrefix),
            self.cuts_inside_units,
            l.total - l.get(Outcome::CleanPrefix),
            c.get(Outcome::Corrupt),
            c.get(Outcome::SilentLoss),
            c.get(Outcome::WrongPayload),
            c.total
                - c.get(Outcome::Corrupt)
                - c.get(Outcome::SilentLoss)
                - c.get(Outcome::WrongPayload),
        )
    }

    /// No silent loss, no wrong payload, no disagreement, and every case had an allowed
    /// outcome.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// Every problem as one line naming the case (and the seed's log it was cut from).
    pub fn messages(&self) -> Vec<String> {
        self.problems
            .iter()
            .map(|p| format!("bit-rot (seed {}): {p}", self.seed))
            .collect()
    }
}

/// The generated log: files, entries, and the layout of its segments.
struct Log {
    files: Vec<(String, Vec<u8>)>,
    entries: Vec<(u64, Vec<u8>)>,
    /// Per segment (by file index): unit ends `(end offset, entries up to and including
    /// this unit, counted over the whole log)`.
    frames: Vec<Vec<(u64, usize)>>,
    /// Per segment: `(start, end)` offsets of its multi-entry units.
    multi: Vec<Vec<(u64, u64)>>,
}

fn build(seed: u64) -> Result<Log, String> {
    let spec = PayloadSpec::varied(seed, 120);
    let fs = SimFs::default();
    let dir = Path::new(DIR);
    let mut wal = WalOptions::new()
        .max_segment_size(Some(SEGMENT))
        .file_system(fs.handle())
        .open(dir)
        .map_err(|e| e.to_string())?;
    let mut entries = Vec::new();
    let mut frames_in_third = 0;
    let mut i = 0u64;
    while wal.segment_count() < 3 || frames_in_third < 6 {
        let first = wal.next_lsn().0;
        let count = if i % 4 == 3 { 3 } else { 1 };
        let batch: Vec<Vec<u8>> = (first..first + count)
            .map(|l| spec.payload(crate::payload::FIRST_EPOCH, l))
            .collect();
        wal.append_batch(&batch).map_err(|e| e.to_string())?;
        entries.extend((first..).zip(batch));
        if wal.segment_count() == 3 {
            frames_in_third += 1;
        }
        i += 1;
    }
    wal.close().map_err(|e| e.to_string())?;
    let files: Vec<(String, Vec<u8>)> = fs
        .files(dir)
        .into_iter()
        .filter(|(n, _)| n != walogs_core::LOCK_FILENAME)
        .collect();
    let mut frames = Vec::new();
    let mut multi = Vec::new();
    let mut seen = 0usize;
    for (name, data) in &files {
        if segment::parse_segment_filename(name).is_none() {
            continue;
        }
        let (fs_, end) = unit::frames(data);
        if end != data.len() as u64 {
            return Err(format!("{name} does not decode at offset {end}"));
        }
        let mut ends = Vec::new();
        let mut multis = Vec::new();
        for u in unit::units(&fs_) {
            if !u.complete {
                return Err(format!("{name}: incomplete unit at {}", u.offset));
            }
            seen += (u.last_lsn - u.first_lsn + 1) as usize;
            ends.push((u.end, seen));
            if u.last_lsn > u.first_lsn {
                multis.push((u.offset, u.end));
            }
        }
        frames.push(ends);
        multi.push(multis);
    }
    if frames.len() != 3 || seen != entries.len() {
        return Err(format!(
            "expected 3 segments holding {} entries, got {} segments, {seen} entries",
            entries.len(),
            frames.len()
        ));
    }
    Ok(Log {
        files,
        entries,
        frames,
        multi,
    })
}

/// Open the directory `dir` of `fs` and read everything: `Err` from open, else the entries
/// and the tail state (an iteration error counts as a clean `Corrupt`/other error).
type Opened = Result<(Vec<(u64, Vec<u8>)>, TailState), WalError>;

fn open_and_read(fs: Arc<dyn FileSystem>, dir: &Path) -> Opened {
    let wal = WalOptions::new().file_system(fs).open(dir)?;
    let mut got = Vec::new();
    for item in wal.iter_from(Lsn(wal.first_lsn().0))? {
        let (lsn, data) = item?;
        got.push((lsn.0, data));
    }
    Ok((got, wal.tail_state()))
}

/// Classify `opened` against what was written; `keep` is how many leading entries the
/// outcome `ok` (torn-tail or clean prefix) keeps, and `ok_tail` whether that outcome needs
/// a `TruncatedAt` tail.
fn classify(
    opened: &Opened,
    entries: &[(u64, Vec<u8>)],
    keep: usize,
    ok: Outcome,
    ok_tail: Option<bool>,
) -> Outcome {
    let (got, tail) = match opened {
        Err(WalError::Corrupt { .. }) => return Outcome::Corrupt,
        Err(_) => return Outcome::OtherError,
        Ok(x) => x,
    };
    let expected: std::collections::HashMap<u64, &Vec<u8>> =
        entries.iter().map(|(l, d)| (*l, d)).collect();
    if got.iter().any(|(l, d)| expected.get(l) != Some(&d)) {
        return Outcome::WrongPayload;
    }
    if got.len() == entries.len() {
        return Outcome::Intact;
    }
    let tail_ok = match ok_tail {
        None => true,
        Some(cut) => cut == matches!(tail, TailState::TruncatedAt(_)),
    };
    if got.len() == keep && got.iter().zip(entries).all(|(a, b)| a == b) && tail_ok {
        return ok;
    }
    Outcome::SilentLoss
}

/// Run the whole sweep. `work` holds the real-file copies of the cross-check.
pub fn run(seed: u64, work: &Path) -> Result<BitRotReport, String> {
    let log = build(seed)?;
    let scratch = ScratchDir::new(work, "walogs-bitrot").map_err(|e| e.to_string())?;
    let mut rep = BitRotReport {
        files: log
            .files
            .iter()
            .map(|(n, d)| (n.clone(), d.len()))
            .collect(),
        entries: log.entries.len() as u64,
        multi_units: log.multi.iter().map(|m| m.len() as u64).sum(),
        seed,
        ..BitRotReport::default()
    };
    for (k, fi) in (0..log.files.len())
        .filter(|&i| segment::parse_segment_filename(&log.files[i].0).is_some())
        .enumerate()
    {
        let starts = std::iter::once(0)
            .chain(log.frames[k].iter().map(|f| f.0))
            .take(log.frames[k].len())
            .collect();
        rep.unit_starts.push((log.files[fi].0.clone(), starts));
    }
    let dir = Path::new(DIR);
    let seg_names: Vec<usize> = (0..log.files.len())
        .filter(|&i| segment::parse_segment_filename(&log.files[i].0).is_some())
        .collect();
    let last_seg = *seg_names.last().expect("three segments");
    // Entries before the last unit of the log.
    let before_last_frame = log.frames[2]
        .iter()
        .rev()
        .nth(1)
        .map_or_else(|| log.frames[1].last().map_or(0, |f| f.1), |f| f.1);
    let mut case = 0u64;
    let mut run_case = |files: Vec<(String, Vec<u8>)>,
                        keep: usize,
                        ok: Outcome,
                        ok_tail: Option<bool>,
                        what: Problem,
                        allowed: &[Outcome],
                        counts: &mut Counts,
                        problems: &mut Vec<Problem>,
                        cross: &mut u64| {
        let mem = SimFs::with_files(dir, &files).handle();
        let opened = open_and_read(mem, dir);
        let o = classify(&opened, &log.entries, keep, ok, ok_tail);
        counts.add(o);
        if !allowed.contains(&o) {
            problems.push(Problem {
                outcome: o,
                detail: match &opened {
                    Err(e) => e.to_string(),
                    Ok((g, t)) => format!(
                        "{} of {} entries read, tail {t:?}",
                        g.len(),
                        log.entries.len()
                    ),
                },
                ..what.clone()
            });
        }
        case += 1;
        if case.is_multiple_of(CROSS_CHECK_EVERY) {
            *cross += 1;
            let real = scratch.path().join("wal");
            let _ = std::fs::remove_dir_all(&real);
            let written = std::fs::create_dir_all(&real).and_then(|()| {
                files
                    .iter()
                    .try_for_each(|(n, d)| std::fs::write(real.join(n), d))
            });
            match written {
                Err(e) => problems.push(Problem {
                    outcome: o,
                    detail: format!("cannot write the real copy: {e}"),
                    ..what
                }),
                Ok(()) => {
                    let r = classify(
                        &open_and_read(Arc::new(OsFs), &real),
                        &log.entries,
                        keep,
                        ok,
                        ok_tail,
                    );
                    if r != o {
                        problems.push(Problem {
                            outcome: r,
                            detail: format!("{o} in memory but {r} on real files"),
                            ..what
                        });
                    }
                }
            }
        }
    };

    // Bit flips.
    for (fi, (name, data)) in log.files.iter().enumerate() {
        let is_meta = name == META_FILENAME;
        for bit in 0..data.len() * 8 {
            let mut files = log.files.clone();
            files[fi].1[bit / 8] ^= 1 << (bit % 8);
            let what = Problem {
                file: name.clone(),
                offset: (bit / 8) as u64,
                bit: Some((bit % 8) as u8),
                outcome: Outcome::Intact,
                detail: String::new(),
            };
            let (counts, allowed): (&mut Counts, &[Outcome]) = if is_meta {
                (&mut rep.meta_flips, &[Outcome::Corrupt])
            } else {
                (
                    &mut rep.flips,
                    &[Outcome::Corrupt, Outcome::Intact, Outcome::TornTail],
                )
            };
            run_case(
                files,
                before_last_frame,
                Outcome::TornTail,
                Some(true),
                what,
                allowed,
                counts,
                &mut rep.problems,
                &mut rep.cross_checked,
            );
        }
    }
    // Truncations.
    for (k, &fi) in seg_names.iter().enumerate() {
        let (name, data) = &log.files[fi];
        let is_last = fi == last_seg;
        let before_seg = if k == 0 {
            0
        } else {
            log.frames[k - 1].last().map_or(0, |f| f.1)
        };
        for off in 0..data.len() as u64 {
            let mut files = log.files.clone();
            files[fi].1.truncate(off as usize);
            let what = Problem {
                file: name.clone(),
                offset: off,
                bit: None,
                outcome: Outcome::Intact,
                detail: String::new(),
            };
            if is_last {
                let keep = log.frames[k]
                    .iter()
                    .take_while(|(end, _)| *end <= off)
                    .last()
                    .map_or(before_seg, |f| f.1);
                let at_boundary = off == 0 || log.frames[k].iter().any(|(end, _)| *end == off);
                if log.multi[k].iter().any(|&(a, b)| a < off && off < b) {
                    rep.cuts_inside_units += 1;
                }
                run_case(
                    files,
                    keep,
                    Outcome::CleanPrefix,
                    Some(!at_boundary),
                    what,
                    &[Outcome::CleanPrefix],
                    &mut rep.last_truncations,
                    &mut rep.problems,
                    &mut rep.cross_checked,
                );
            } else {
                run_case(
                    files,
                    usize::MAX,
                    Outcome::SilentLoss,
                    None,
                    what,
                    &[Outcome::Corrupt],
                    &mut rep.completed_truncations,
                    &mut rep.problems,
                    &mut rep.cross_checked,
                );
            }
        }
    }
    Ok(rep)
}
