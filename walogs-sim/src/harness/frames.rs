//! What a simulated disk holds, read independently of the core: the frames of each segment
//! file and the relaxed flag of `walogs.meta`, decoded from the format description (the
//! README's "On-disk format"), so that an oracle never trusts the decoder it checks.

use std::collections::BTreeMap;
use std::path::Path;

use crate::disk::Disk;
use crate::workload::WAL_DIR;

const HEADER: usize = 16;
const BATCH_FLAG: u64 = 1 << 63;
/// Largest frame body the format allows (a batch frame; a plain entry is smaller still).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// One valid frame of a segment file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Byte offset of its header in the file.
    pub offset: usize,
    /// Header plus body length.
    pub len: usize,
    /// LSN of its first entry.
    pub first_lsn: u64,
    /// Its entries' payloads, in LSN order.
    pub entries: Vec<Vec<u8>>,
}

impl Frame {
    /// The LSNs it holds.
    pub fn lsns(&self) -> std::ops::Range<u64> {
        self.first_lsn..self.first_lsn + self.entries.len() as u64
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

/// The frame at `offset`, when a complete one with a valid CRC and layout starts there.
pub fn frame_at(bytes: &[u8], offset: usize) -> Option<Frame> {
    let b = bytes.get(offset..)?;
    if b.len() < HEADER {
        return None;
    }
    let len = u32_at(b, 0) as usize;
    let crc = u32_at(b, 4);
    let lsn_field = u64::from_le_bytes(b[8..16].try_into().expect("8 bytes"));
    if len > MAX_BODY || b.len() < HEADER + len {
        return None;
    }
    let body = &b[HEADER..HEADER + len];
    let mut h = crc32fast::Hasher::new();
    h.update(&b[0..4]);
    h.update(&b[8..16]);
    h.update(body);
    if h.finalize() != crc {
        return None;
    }
    let first_lsn = lsn_field & !BATCH_FLAG;
    if first_lsn == 0 {
        return None;
    }
    let entries = if lsn_field & BATCH_FLAG == 0 {
        vec![body.to_vec()]
    } else {
        if body.len() < 4 {
            return None;
        }
        let count = u32_at(body, 0) as usize;
        let lens_end = 4usize.checked_add(count.checked_mul(4)?)?;
        if count == 0 || lens_end > body.len() {
            return None;
        }
        let mut at = lens_end;
        let mut out = Vec::with_capacity(count);
        for i in 0..count {
            let l = u32_at(body, 4 + 4 * i) as usize;
            out.push(body.get(at..at.checked_add(l)?)?.to_vec());
            at += l;
        }
        if at != body.len() {
            return None;
        }
        out
    };
    Some(Frame {
        offset,
        len: HEADER + len,
        first_lsn,
        entries,
    })
}

/// The valid frames from the start of a segment file up to the first byte that does not
/// start one, and that byte's offset (the end of the valid prefix).
pub fn scan(bytes: &[u8]) -> (Vec<Frame>, usize) {
    let mut frames = Vec::new();
    let mut at = 0;
    while let Some(f) = frame_at(bytes, at) {
        at += f.len;
        frames.push(f);
    }
    (frames, at)
}

/// The segment files of the WAL directory on `disk` (what reads show now), by sequence
/// number: name and content.
pub fn segments(disk: &Disk) -> BTreeMap<u64, (String, Vec<u8>)> {
    disk.files_in(Path::new(WAL_DIR))
        .into_iter()
        .filter_map(|(name, bytes)| {
            walogs_core::segment::parse_segment_filename(&name).map(|seq| (seq, (name, bytes)))
        })
        .collect()
}

/// Whether the WAL directory's `walogs.meta` is a valid version-1 file with the relaxed
/// flag set (a relaxed-durability writer used the directory: recovery is lenient).
pub fn meta_relaxed(disk: &Disk) -> bool {
    let files = disk.files_in(Path::new(WAL_DIR));
    let Some(b) = files.get(walogs_core::META_FILENAME) else {
        return false;
    };
    b.len() == 36
        && b.starts_with(b"WALOGSMT")
        && u32_at(b, 8) == 1
        && crc32fast::hash(&b[..32]) == u32_at(b, 32)
        && u32_at(b, 28) & 1 == 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::{batch_frame, plain_frame};

    #[test]
    fn scans_plain_and_batch_frames_and_stops_at_damage() {
        let mut seg = plain_frame(1, b"one");
        seg.extend(batch_frame(2, &[b"two", b"", b"four"]));
        let end = seg.len();
        seg.extend(plain_frame(5, b"five"));
        seg[end + 18] ^= 1;
        seg.extend([0u8; 100]);
        let (frames, at) = scan(&seg);
        assert_eq!(at, end);
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[1].lsns(), 2..5);
        assert_eq!(frames[1].entries[2], b"four");
        assert!(frame_at(&seg, end).is_none());
    }
}
