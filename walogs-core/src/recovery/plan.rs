//! Recovery, phase 1: read the directory and decide. Nothing is changed here, so a read-only
//! open runs exactly this and a writable open runs this and then applies the plan
//! (`apply.rs`).
//!
//! Steps: read `walogs.meta`, list the segments (in that order: a writer only ever writes the
//! metadata file before the segment changes it describes), check the layout (no gap, no
//! missing sealed segment), verify every frame of every segment with LSN continuity, classify
//! damage in the last segment (a torn final write, cut; or mid-log damage, refused unless
//! salvaging), and check the segments against the recorded seal.

use crate::error::{Damage, DamageKind, WalError};
use crate::frame::FrameKind;
use crate::index::SegmentInfo;
use crate::meta::{self, META_FILENAME, Meta};
use crate::scan::{FrameReader, Step, find_valid_after};
use crate::segment::{V1_FILENAME, parse_segment_filename, segment_filename};
use crate::types::{Lsn, SalvageReport};
use crate::vfs::{Dir, OpenMode};

/// How recovery treats damage.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RecoverOptions {
    pub read_only: bool,
    pub salvage: bool,
}

/// What is in the directory and what a writable open must do about it.
#[derive(Debug)]
pub(crate) struct Plan {
    pub meta: Option<Meta>,
    /// A v1 `wal.log` is the only segment: rename it to `wal-000001.log`.
    pub migrate_v1: bool,
    /// There is no segment at all: create `wal-000001.log`.
    pub create_first: bool,
    /// Every segment, oldest first (the last is the active one). Named as on disk now.
    pub segments: Vec<SegmentInfo>,
    /// Bytes to cut at the end of the last segment: `(offset, file length)`.
    pub cut: Option<(u64, u64)>,
    /// Set when the cut discards valid frames after mid-log damage (salvage, or after a
    /// relaxed-durability writer).
    pub salvaged: Option<SalvageReport>,
    /// Segments to delete, newest first: the rest of a truncation a crash interrupted.
    pub delete: Vec<String>,
    pub next_lsn: u64,
}

/// The segment files of the directory.
struct Listing {
    seqs: Vec<u64>,
    has_v1: bool,
}

fn list(dir: &dyn Dir) -> Result<Listing, WalError> {
    let names = dir.list()?;
    let has_v1 = names.iter().any(|n| n == V1_FILENAME);
    let mut seqs: Vec<u64> = names
        .iter()
        .filter_map(|n| parse_segment_filename(n))
        .collect();
    seqs.sort_unstable();
    Ok(Listing { seqs, has_v1 })
}

fn corrupt(kind: DamageKind, message: String) -> WalError {
    WalError::corrupt(Damage::new(kind, message))
}

/// The layout rules: no v1 file beside segments, no sealed segment missing, no gap.
fn check_layout(dir: &dyn Dir, meta: Option<Meta>, l: &Listing) -> Result<(), WalError> {
    let shown = dir.path().display();
    if l.has_v1 && !l.seqs.is_empty() {
        return Err(corrupt(
            DamageKind::MixedLayout,
            format!("both wal.log and segment files exist in {shown}"),
        ));
    }
    let newest = if l.has_v1 {
        Some(1)
    } else {
        l.seqs.last().copied()
    };
    if let Some(m) = meta
        && m.sealed_seq > 0
    {
        match newest {
            Some(last) if m.sealed_seq > last => {
                return Err(WalError::corrupt(
                    Damage::new(
                        DamageKind::SealMismatch,
                        format!(
                            "{META_FILENAME} records that segment {} was sealed, but the newest segment in {shown} is {}: segments are missing",
                            segment_filename(m.sealed_seq),
                            segment_filename(last)
                        ),
                    )
                    .in_file(META_FILENAME)
                    .last_good(m.sealed_last_lsn),
                ));
            }
            None => {
                return Err(WalError::corrupt(
                    Damage::new(
                        DamageKind::SealMismatch,
                        format!(
                            "{META_FILENAME} records sealed segment {} (LSN {}), but {shown} holds no segment files",
                            segment_filename(m.sealed_seq),
                            m.sealed_last_lsn
                        ),
                    )
                    .in_file(META_FILENAME)
                    .last_good(m.sealed_last_lsn),
                ));
            }
            _ => {}
        }
    }
    for w in l.seqs.windows(2) {
        if w[1] != w[0] + 1 {
            return Err(WalError::corrupt(
                Damage::new(
                    DamageKind::SegmentGap,
                    format!(
                        "gap in segment sequence: {} followed by {} in {shown}",
                        segment_filename(w[0]),
                        segment_filename(w[1])
                    ),
                )
                .in_file(&segment_filename(w[0] + 1)),
            ));
        }
    }
    Ok(())
}

/// Read the directory and decide what a writable open must do. Changes nothing.
pub(crate) fn plan(dir: &dyn Dir, opts: RecoverOptions) -> Result<Plan, WalError> {
    let meta = meta::read(dir)?;
    let listing = list(dir)?;
    check_layout(dir, meta, &listing)?;

    let migrate_v1 = listing.has_v1;
    let (seqs, names): (Vec<u64>, Vec<String>) = if migrate_v1 {
        (vec![1], vec![V1_FILENAME.to_string()])
    } else {
        let names = listing.seqs.iter().map(|&s| segment_filename(s)).collect();
        (listing.seqs, names)
    };
    let create_first = seqs.is_empty();

    // The LSN the first segment must start at, when the metadata knows it.
    let mut expected: Option<u64> = match (meta, seqs.first()) {
        (Some(m), Some(&first)) if m.sealed_seq > 0 && m.sealed_seq + 1 == first => {
            Some(m.sealed_last_lsn + 1)
        }
        _ => None,
    };
    // No LSN at or below the last seal or the purge floor is ever handed out again.
    let sealed_next = meta.map_or(1, |m| m.sealed_last_lsn + 1);
    let purge_floor = meta.map_or(0, |m| m.floor);
    // After a relaxed-durability writer, several unsynced frames may have been torn
    // independently: damage followed by valid frames is then cut (and reported) rather than
    // refused.
    let lenient = meta.is_some_and(|m| m.relaxed);

    let mut segments = Vec::with_capacity(seqs.len());
    let mut cut = None;
    let mut salvaged = None;
    let cut_lsn = meta.map_or(0, |m| m.cut_lsn);
    let scans = scan_all(dir, &seqs, &names);
    for (i, (name, scanned)) in names.iter().zip(scans).enumerate() {
        let is_last = i + 1 == seqs.len();
        let ScannedSegment {
            mut info,
            damage,
            open_unit,
            file_len,
        } = scanned?;
        // The segment's frames continue from the one before (or, right after a purge past the
        // end, start just past the floor).
        if info.is_empty() {
            let start = expected.unwrap_or(0);
            info.first_lsn = start;
            info.next_lsn = start;
        } else {
            let first = info.first_lsn;
            // Every LSN it skips is purged (after a purge past the end, the next entry starts
            // a segment of its own, at any floor since).
            let jumps_past_purge = first <= purge_floor + 1 && expected.is_some_and(|e| e < first);
            if let Some(e) = expected
                && e != first
                && !jumps_past_purge
            {
                return Err(WalError::corrupt(
                    Damage::new(
                        DamageKind::LsnDiscontinuity,
                        format!(
                            "LSN discontinuity: {name} frame at offset 0 has LSN {first}, expected {e}{}",
                            if i > 0 {
                                " (the previous segment's last LSN + 1)"
                            } else {
                                ""
                            }
                        ),
                    )
                    .at(name, 0)
                    .last_good(e.saturating_sub(1)),
                ));
            }
            expected = Some(info.next_lsn);
        }
        if damage.is_none() && !is_last && info.is_empty() {
            return Err(WalError::corrupt(
                Damage::new(
                    DamageKind::EmptyCompletedSegment,
                    format!(
                        "completed segment {name} holds no frame ({file_len} bytes): its entries are missing"
                    ),
                )
                .at(name, 0)
                .last_good(info.first_lsn.saturating_sub(1)),
            ));
        }
        if let Some((d, _)) = &damage
            && !is_last
        {
            return Err(WalError::corrupt(
                Damage::new(
                    DamageKind::CompletedSegment,
                    format!(
                        "damaged frame in completed segment {name} at offset {d} ({file_len} bytes, {} before it)",
                        valid_frames(info.next_lsn - info.first_lsn)
                    ),
                )
                .at(name, *d)
                .last_good(info.next_lsn.saturating_sub(1)),
            ));
        }
        // The last segment: a unit it ends inside was torn in its write, unless a truncation
        // cut it there on purpose (recorded in walogs.meta before the cut).
        // The LSN the next frame would carry: where the frames read end, or, with none read
        // yet, where the log is known to continue (past the last seal and the purge floor).
        let next = expected.unwrap_or_else(|| sealed_next.max(purge_floor + 1));
        // A short unit at the end is deliberate when a truncation cut it there (recorded in
        // walogs.meta before the cut), or when a truncation under way will cut it inside.
        let truncating = meta.is_some_and(|m| m.truncating);
        let torn_unit = if is_last {
            open_unit.filter(|&(_, unit_first)| {
                !(cut_lsn == next - 1 || (truncating && unit_first <= cut_lsn && cut_lsn < next))
            })
        } else {
            None
        };
        if is_last && (damage.is_some() || torn_unit.is_some()) {
            let file = match damage {
                Some((_, f)) => f,
                None => dir.open(name, OpenMode::Read)?,
            };
            // The damage starts right after the last valid frame (for a torn unit whose frames
            // all verified, that is where the file ends).
            let d = info.len;
            // The write that may have been torn starts at LSN `first`: a unit's members
            // persisted out of order are its own, not evidence; evidence of mid-log damage is
            // a valid frame with a later LSN (a frame with the damaged frame's own LSN inside
            // its payload is user data, not evidence).
            let (cut_at, first) = match torn_unit {
                Some((off, f)) => (off, f),
                None => (d, next),
            };
            // With no frame read in the segment, the damaged write's first LSN is known only
            // within bounds: from where the log continues (or, with nothing before the
            // segment to say so, LSN 1: the segment may begin with purged entries) up to the
            // purge floor + 1 (after a purge past the end the next write starts there). Any
            // valid frame past the lowest is evidence, except the members of one unit that
            // starts within the bounds (the torn write's own).
            let starts = if info.is_empty() && torn_unit.is_none() {
                expected.unwrap_or(1)..=first.max(purge_floor + 1)
            } else {
                first..=first
            };
            let mut after =
                find_valid_after(file.as_ref(), d + 1, file_len, starts.start() + 1, starts)?;
            // A read-only open beside a live writer: the "damage" may be a frame the writer was
            // writing when it was read, complete by the time the later frame was found. Then
            // the snapshot simply ends before it (what was readable when the scan got there).
            if opts.read_only && after.is_some() && valid_frame_at(file.as_ref(), d, file_len)? {
                after = None;
            }
            match after {
                Some((off, lsn, frames)) if !opts.salvage && !lenient => {
                    return Err(WalError::corrupt(
                        Damage::new(
                            DamageKind::MidLog,
                            format!(
                                "mid-log damage in {name} at offset {d}: a valid frame (LSN {lsn}) follows at offset {off}, \
                                 so this is not a torn write and truncating would discard acknowledged entries \
                                 ({} after the damage); open with salvage to cut at offset {cut_at}",
                                valid_frames(frames)
                            ),
                        )
                        .at(name, d)
                        .last_good(first.saturating_sub(1))
                        .followed_by(lsn, frames),
                    ));
                }
                Some((_, lsn, frames)) => {
                    salvaged = Some(SalvageReport {
                        file: name.clone(),
                        offset: cut_at,
                        bytes_cut: file_len - cut_at,
                        valid_frames_cut: frames,
                        first_lsn_cut: Lsn(lsn),
                    });
                }
                None => {}
            }
            if cut_at < file_len {
                cut = Some((cut_at, file_len));
            }
            if torn_unit.is_some() {
                info.cut(cut_at, first);
                expected = Some(first);
            }
        }
        segments.push(info);
    }

    let mut delete = Vec::new();
    if let Some(m) = meta
        && m.truncating
    {
        finish_truncation(dir, m.cut_lsn + 1, &mut segments, &mut delete, &mut cut)?;
        // A truncation records its seal below the segment it keeps before it removes
        // anything; a record whose seal names a segment the truncation removes was not
        // written by walogs and describes no log this open could leave behind.
        if let Some(gone) = delete
            .iter()
            .find(|n| **n == segment_filename(m.sealed_seq))
        {
            return Err(WalError::corrupt(
                Damage::new(
                    DamageKind::SealMismatch,
                    format!(
                        "{META_FILENAME} records a truncation under way to LSN {} but seals {gone} (LSN {}), which that truncation removes",
                        m.cut_lsn, m.sealed_last_lsn
                    ),
                )
                .in_file(META_FILENAME)
                .last_good(m.cut_lsn),
            ));
        }
        salvaged = None;
        expected = Some(expected.unwrap_or(1).min(m.cut_lsn + 1));
    }
    check_seal(meta, &segments)?;
    let next_lsn = expected.unwrap_or(1).max(sealed_next).max(purge_floor + 1);
    // An empty active segment starts at the next LSN.
    if let Some(last) = segments.last_mut()
        && last.is_empty()
    {
        last.first_lsn = next_lsn;
        last.next_lsn = next_lsn;
    }
    Ok(Plan {
        meta,
        migrate_v1,
        create_first,
        segments,
        cut,
        salvaged,
        delete,
        next_lsn,
    })
}

/// A truncation to `target` was under way when the writer stopped: plan the rest of it.
/// Segments after the one holding `target` go; that one is cut where `target` starts.
fn finish_truncation(
    dir: &dyn Dir,
    target: u64,
    segments: &mut Vec<SegmentInfo>,
    delete: &mut Vec<String>,
    cut: &mut Option<(u64, u64)>,
) -> Result<(), WalError> {
    // The first segment holding anything at or after `target`.
    let Some(k) = segments
        .iter()
        .position(|s| !s.is_empty() && s.last_lsn() >= target)
    else {
        // Nothing at or after `target` is left (only the final record was missing).
        return Ok(());
    };
    delete.extend(segments.drain(k + 1..).rev().map(|s| s.name.to_string()));
    let kept = &mut segments[k];
    let offset = if kept.contains(target) {
        crate::reader::locate_frame(dir, kept, target)?.0
    } else {
        0 // every entry of the segment is after `target`
    };
    let file_len = dir.open(&kept.name, OpenMode::Read)?.len()?;
    kept.cut(offset, target);
    *cut = Some((offset, file_len));
    Ok(())
}

struct ScannedSegment {
    info: SegmentInfo,
    /// Offset of the first bad frame, with the open file (to look past it).
    damage: Option<(u64, Box<dyn crate::vfs::FsFile>)>,
    /// The unit the last valid frame belongs to, when that unit is not complete:
    /// `(offset of its first member, its first LSN)`.
    open_unit: Option<(u64, u64)>,
    file_len: u64,
}

/// Segment readers per core when segments are verified in parallel. The scan of a log that is
/// not in the page cache waits on the disk, not the CPU, so two readers per core keep more
/// reads in flight: on a 2-core VM, over 17 interleaved cold opens of a 1 GiB log, 4 readers
/// beat 2 in 11, with medians 3–24 % faster (the disk's own run-to-run spread is about as
/// large). Over a cached log the extra readers only share the cores (no measurable difference).
const SCAN_READERS_PER_CORE: usize = 2;

/// Bounds on the number of parallel segment readers: at least this many even on one core (the
/// disk still serves several reads at once), and at most this many (each holds one read
/// buffer, so recovery memory stays bounded).
const SCAN_READERS_MIN: usize = 4;
const SCAN_READERS_MAX: usize = 8;

/// Verify every segment, in parallel where the file system allows it (the real one does; a
/// simulated one is read in order, so its call sequence stays reproducible). Results in
/// segment order.
fn scan_all(
    dir: &dyn Dir,
    seqs: &[u64],
    names: &[String],
) -> Vec<Result<ScannedSegment, WalError>> {
    let threads = if dir.parallel_reads() {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .saturating_mul(SCAN_READERS_PER_CORE)
            .clamp(SCAN_READERS_MIN, SCAN_READERS_MAX)
            .min(seqs.len())
    } else {
        1
    };
    if threads <= 1 {
        return seqs
            .iter()
            .zip(names)
            .map(|(&seq, name)| scan_segment(dir, seq, name))
            .collect();
    }
    let mut slots: Vec<Option<Result<ScannedSegment, WalError>>> =
        (0..seqs.len()).map(|_| None).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    (t..seqs.len())
                        .step_by(threads)
                        .map(|i| (i, scan_segment(dir, seqs[i], &names[i])))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            match h.join() {
                Ok(results) => {
                    for (i, r) in results {
                        slots[i] = Some(r);
                    }
                }
                Err(p) => std::panic::resume_unwind(p),
            }
        }
    });
    slots
        .into_iter()
        .map(|r| r.expect("every segment was scanned"))
        .collect()
}

/// Verify every frame of one segment, checking that LSNs within it follow each other and
/// that unit members follow each other. (How the segment continues the one before is checked
/// by the caller.)
fn scan_segment(dir: &dyn Dir, seq: u64, name: &str) -> Result<ScannedSegment, WalError> {
    let file = dir.open(name, OpenMode::Read)?;
    let file_len = file.len()?;
    // A hint (its failure changes nothing): this descriptor reads the file once, in order.
    let _ = file.advise_sequential();
    let mut expected: Option<u64> = None;
    let mut info = SegmentInfo::new(seq, name.to_string(), 0);
    let mut reader = FrameReader::new(0, file_len);
    // (offset of the first member, first LSN, last LSN) of the unit being read.
    let mut unit: Option<(u64, u64, u64)> = None;
    let damage = loop {
        match reader.next_frame(file.as_ref())? {
            Step::Frame {
                offset,
                first_lsn,
                kind,
                frame_len,
            } => {
                if let Some(e) = expected
                    && e != first_lsn
                {
                    return Err(WalError::corrupt(
                        Damage::new(
                            DamageKind::LsnDiscontinuity,
                            format!(
                                "LSN discontinuity: {name} frame at offset {offset} has LSN {first_lsn}, expected {e}"
                            ),
                        )
                        .at(name, offset)
                        .last_good(e.saturating_sub(1)),
                    ));
                }
                match (kind, kind.unit(first_lsn)) {
                    (FrameKind::Member { index: 0, .. }, Some((f, l))) => {
                        unit = Some((offset, f, l));
                    }
                    (FrameKind::Member { index, .. }, Some((f, _))) => {
                        // A later member continues the unit the previous frame belongs to.
                        if unit.is_none_or(|(_, uf, _)| uf != f) {
                            return Err(WalError::corrupt(
                                Damage::new(
                                    DamageKind::LsnDiscontinuity,
                                    format!(
                                        "{name} frame at offset {offset} is entry {index} of a unit starting at LSN {f}, \
                                         but the frame before it is not of that unit"
                                    ),
                                )
                                .at(name, offset)
                                .last_good(first_lsn.saturating_sub(1)),
                            ));
                        }
                    }
                    _ => unit = None,
                }
                info.record(first_lsn, kind.entries(), offset, frame_len);
                expected = Some(first_lsn + kind.entries());
                if unit.is_some_and(|(_, _, l)| l < first_lsn + kind.entries()) {
                    unit = None;
                }
            }
            Step::End => break None,
            Step::Damaged { offset } => break Some(offset),
        }
    };
    // Scanned: its index takes no more points until it is written to again.
    info.shrink_index();
    Ok(ScannedSegment {
        info,
        damage: damage.map(|d| (d, file)),
        open_unit: unit.map(|(off, f, _)| (off, f)),
        file_len,
    })
}

/// Check the segments against the last seal `walogs.meta` records: the sealed segment ends
/// exactly at the sealed LSN (or, if it is still the active one after an interrupted
/// rotation, at or past it), and no later segment starts at or below it.
fn check_seal(meta: Option<Meta>, segments: &[SegmentInfo]) -> Result<(), WalError> {
    let Some(m) = meta else { return Ok(()) };
    if m.sealed_seq > 0
        && let Some(pos) = segments.iter().position(|s| s.seq == m.sealed_seq)
    {
        let s = &segments[pos];
        let is_active = pos + 1 == segments.len();
        let last = (!s.is_empty()).then(|| s.last_lsn());
        // Every entry the seal covers is purged: where the segment ends no longer matters (a
        // torn unit cut from it held only purged entries), and no LSN below the seal is
        // handed out again (the next LSN is past the floor).
        let all_purged = m.sealed_last_lsn <= m.floor;
        let ok = all_purged
            || match last {
                Some(l) if is_active => l >= m.sealed_last_lsn,
                Some(l) => l == m.sealed_last_lsn,
                // An empty sealed segment: only consistent if the seal says it ended where the
                // previous one did (it starts at sealed_last_lsn + 1).
                None => s.first_lsn == m.sealed_last_lsn + 1,
            };
        if !ok {
            return Err(WalError::corrupt(
                Damage::new(
                    DamageKind::SealMismatch,
                    format!(
                        "{} ends at LSN {} but {META_FILENAME} records it was sealed at LSN {}: its tail was cut",
                        s.name,
                        last.map_or("none".to_string(), |l| l.to_string()),
                        m.sealed_last_lsn
                    ),
                )
                .in_file(&s.name)
                .last_good(last.unwrap_or(0)),
            ));
        }
    }
    if let Some(s) = segments
        .iter()
        .find(|s| s.seq > m.sealed_seq && !s.is_empty() && s.first_lsn <= m.sealed_last_lsn)
    {
        return Err(WalError::corrupt(
            Damage::new(
                DamageKind::BelowSeal,
                format!(
                    "{} starts at LSN {}, but {META_FILENAME} records that LSN {} was sealed in an earlier segment ({})",
                    s.name,
                    s.first_lsn,
                    m.sealed_last_lsn,
                    segment_filename(m.sealed_seq)
                ),
            )
            .at(&s.name, 0),
        ));
    }
    Ok(())
}

/// Whether a complete, valid frame lies at `offset` of `file` now (read afresh).
fn valid_frame_at(
    file: &dyn crate::vfs::FsFile,
    offset: u64,
    file_len: u64,
) -> Result<bool, WalError> {
    let mut r = FrameReader::new(offset, file.len()?.max(file_len));
    Ok(matches!(r.next_frame(file)?, Step::Frame { .. }))
}

/// "1 valid frame", "2 valid frames": a count of frames for a damage message.
fn valid_frames(n: u64) -> String {
    if n == 1 {
        "1 valid frame".to_string()
    } else {
        format!("{n} valid frames")
    }
}
