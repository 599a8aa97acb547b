//! Open-time recovery: list the segments, verify every frame, find and classify the tail,
//! check the directory against the metadata file, and (for a writable open) migrate the v1
//! layout and truncate a torn tail before anything is written.

use std::io;
use std::path::Path;

use crate::error::WalError;
use crate::index::SegmentInfo;
use crate::meta::{self, Meta};
use crate::scan::{FrameReader, Step, find_valid_after};
use crate::segment::{V1_FILENAME, parse_segment_filename, segment_filename};
use crate::types::{Lsn, RecoveryReport, SalvageReport, TailState};
use crate::vfs::{FileSystem, OpenMode};

/// What recovery found.
#[derive(Debug)]
pub(crate) struct Recovered {
    /// Every segment in order; the last one is the active segment. Empty only for a
    /// read-only open of a directory with no segment.
    pub segments: Vec<SegmentInfo>,
    pub next_lsn: u64,
    pub meta: Option<Meta>,
    pub report: RecoveryReport,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct RecoverOptions {
    pub read_only: bool,
    pub salvage: bool,
}

pub(crate) fn recover(
    fs: &dyn FileSystem,
    dir: &Path,
    opts: RecoverOptions,
) -> Result<Recovered, WalError> {
    let names = fs.read_dir(dir)?;
    let has_v1 = names.iter().any(|n| n == V1_FILENAME);
    let mut seqs: Vec<u64> = names
        .iter()
        .filter_map(|n| parse_segment_filename(n))
        .collect();
    seqs.sort_unstable();

    if has_v1 && !seqs.is_empty() {
        return Err(WalError::corrupt(format!(
            "both wal.log and segment files exist in {}",
            dir.display()
        )));
    }
    let meta = meta::read(fs, dir)?;

    let mut migrated_v1 = false;
    let mut v1_read_only = false;
    if has_v1 {
        if opts.read_only {
            v1_read_only = true;
        } else {
            fs.rename(&dir.join(V1_FILENAME), &dir.join(segment_filename(1)))?;
            fs.sync_dir(dir)?;
            migrated_v1 = true;
        }
        seqs = vec![1];
    }

    if let (Some(m), Some(&last)) = (meta, seqs.last())
        && m.sealed_seq > last
    {
        return Err(WalError::corrupt(format!(
            "{} records that segment {} was sealed, but the newest segment in {} is {}: segments are missing",
            meta::META_FILENAME,
            segment_filename(m.sealed_seq),
            dir.display(),
            segment_filename(last)
        )));
    }
    if seqs.is_empty() {
        if let Some(m) = meta
            && m.sealed_seq > 0
        {
            return Err(WalError::corrupt(format!(
                "{} records sealed segment {} (LSN {}), but {} holds no segment files",
                meta::META_FILENAME,
                segment_filename(m.sealed_seq),
                m.sealed_last_lsn,
                dir.display()
            )));
        }
        if !opts.read_only {
            fs.open(&dir.join(segment_filename(1)), OpenMode::CreateNew)?;
            fs.sync_dir(dir)?;
            seqs = vec![1];
        }
    }
    for w in seqs.windows(2) {
        if w[1] != w[0] + 1 {
            return Err(WalError::corrupt(format!(
                "gap in segment sequence: {} followed by {} in {}",
                segment_filename(w[0]),
                segment_filename(w[1]),
                dir.display()
            )));
        }
    }

    // The LSN the first segment must start at, when the metadata knows it.
    let mut expected: Option<u64> = match (meta, seqs.first()) {
        (Some(m), Some(&first)) if m.sealed_seq > 0 && m.sealed_seq + 1 == first => {
            Some(m.sealed_last_lsn + 1)
        }
        _ => None,
    };
    let floor = meta.map_or(1, |m| m.sealed_last_lsn + 1);
    // After a relaxed-durability writer, several unsynced frames may have been torn
    // independently: damage followed by valid frames is then cut (and reported) rather than
    // refused.
    let lenient = meta.is_some_and(|m| m.relaxed);

    let mut segments = Vec::with_capacity(seqs.len());
    let mut tail = TailState::Clean;
    let mut bytes_truncated = 0;
    let mut salvaged = None;
    for (i, &seq) in seqs.iter().enumerate() {
        let is_last = i + 1 == seqs.len();
        let name = if v1_read_only {
            V1_FILENAME.to_string()
        } else {
            segment_filename(seq)
        };
        let path = dir.join(&name);
        let file = fs.open(&path, OpenMode::Read)?;
        let file_len = file.len()?;
        let mut info = SegmentInfo::new(seq, name.clone(), expected.unwrap_or(0));
        let mut reader = FrameReader::new(0, file_len);
        let damage = loop {
            match reader.next_frame(file.as_ref())? {
                Step::Frame {
                    offset,
                    first_lsn,
                    count,
                    frame_len,
                    ..
                } => {
                    match expected {
                        Some(e) if e != first_lsn => {
                            return Err(WalError::corrupt(format!(
                                "LSN discontinuity: {name} frame at offset {offset} has LSN {first_lsn}, expected {e}{}",
                                if info.is_empty() && i > 0 {
                                    " (the previous segment's last LSN + 1)"
                                } else {
                                    ""
                                }
                            )));
                        }
                        _ => {}
                    }
                    info.record(first_lsn, count, offset, frame_len);
                    expected = Some(first_lsn + count);
                }
                Step::End => break None,
                Step::Damaged { offset } => break Some(offset),
            }
        };
        if damage.is_none() && !is_last && info.is_empty() {
            return Err(WalError::corrupt(format!(
                "completed segment {name} holds no frame ({file_len} bytes): its entries are missing"
            )));
        }
        if let Some(d) = damage {
            if !is_last {
                return Err(WalError::corrupt(format!(
                    "damaged frame in completed segment {name} at offset {d} ({} bytes, {} valid frames before it)",
                    file_len,
                    info.next_lsn - info.first_lsn
                )));
            }
            // Evidence of mid-log damage is a valid frame carrying a *later* LSN than the
            // damaged one: a torn write cannot be followed by one. (A frame with the damaged
            // frame's own LSN inside its payload is user data, not evidence.)
            let after = find_valid_after(
                file.as_ref(),
                d + 1,
                file_len,
                expected.map_or(1, |e| e + 1),
            )?;
            match after {
                Some((off, lsn, frames)) if !opts.salvage && !lenient => {
                    return Err(WalError::corrupt(format!(
                        "mid-log damage in {name} at offset {d}: a valid frame (LSN {lsn}) follows at offset {off}, \
                         so this is not a torn write and truncating would discard acknowledged entries \
                         ({frames} valid frames after the damage); open with salvage to cut at offset {d}"
                    )));
                }
                Some((_, lsn, frames)) => {
                    salvaged = Some(SalvageReport {
                        file: name.clone(),
                        offset: d,
                        bytes_cut: file_len - d,
                        valid_frames_cut: frames,
                        first_lsn_cut: Lsn(lsn),
                    });
                }
                None => {}
            }
            tail = TailState::TruncatedAt(d);
            bytes_truncated = file_len - d;
            if !opts.read_only {
                if fs.is_read_only(&path)? {
                    return Err(WalError::Io(io::Error::new(
                        io::ErrorKind::PermissionDenied,
                        format!(
                            "{} needs truncation at offset {d} but its permissions forbid writing",
                            path.display()
                        ),
                    )));
                }
                let rw = fs.open(&path, OpenMode::ReadWrite)?;
                rw.set_len(d)?;
                rw.sync_data()?;
            }
        }
        segments.push(info);
    }

    // Check the directory against the last recorded seal.
    if let Some(m) = meta
        && m.sealed_seq > 0
        && let Some(pos) = segments.iter().position(|s| s.seq == m.sealed_seq)
    {
        let s = &segments[pos];
        let is_active = pos + 1 == segments.len();
        let last = if s.is_empty() {
            None
        } else {
            Some(s.last_lsn())
        };
        let ok = match last {
            Some(l) if is_active => l >= m.sealed_last_lsn,
            Some(l) => l == m.sealed_last_lsn,
            // An empty sealed segment: only consistent if the seal says it ended where the
            // previous one did (it starts at sealed_last_lsn + 1).
            None => s.first_lsn == m.sealed_last_lsn + 1,
        };
        if !ok {
            return Err(WalError::corrupt(format!(
                "{} ends at LSN {} but {} records it was sealed at LSN {}: its tail was cut",
                s.name,
                last.map_or("none".to_string(), |l| l.to_string()),
                meta::META_FILENAME,
                m.sealed_last_lsn
            )));
        }
    }

    if let Some(m) = meta
        && let Some(s) = segments
            .iter()
            .find(|s| s.seq > m.sealed_seq && !s.is_empty() && s.first_lsn <= m.sealed_last_lsn)
    {
        return Err(WalError::corrupt(format!(
            "{} starts at LSN {}, but {} records that LSN {} was sealed in an earlier segment ({})",
            s.name,
            s.first_lsn,
            meta::META_FILENAME,
            m.sealed_last_lsn,
            segment_filename(m.sealed_seq)
        )));
    }
    let next_lsn = expected.unwrap_or(1).max(floor);
    // An empty active segment starts at the next LSN.
    if let Some(last) = segments.last_mut()
        && last.is_empty()
    {
        last.first_lsn = next_lsn;
        last.next_lsn = next_lsn;
    }
    let first_lsn = segments
        .iter()
        .find(|s| !s.is_empty())
        .map_or(next_lsn, |s| s.first_lsn);
    let report = RecoveryReport {
        tail,
        bytes_truncated,
        salvaged,
        migrated_v1,
        segments: segments.len(),
        first_lsn: Lsn(first_lsn),
        next_lsn: Lsn(next_lsn),
        read_only: opts.read_only,
    };
    Ok(Recovered {
        segments,
        next_lsn,
        meta,
        report,
    })
}
