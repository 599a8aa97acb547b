//! What a simulated disk holds, read independently of the core: the frames of each segment
//! file (plain, batch and unit member frames), `walogs.meta` (versions 1 and 2) and
//! `walogs.user`, decoded from the format description (the core's `frame`, `meta` and
//! `user_data` module docs), so that an oracle never trusts the decoder it checks.

use std::collections::BTreeMap;
use std::path::Path;

use crate::disk::Disk;
use crate::workload::WAL_DIR;

const HEADER: usize = 16;
const BATCH_FLAG: u64 = 1 << 63;
const MEMBER_FLAG: u64 = 1 << 62;
/// Largest frame body the format allows (a batch frame; a plain entry is smaller still).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// Where a unit member frame sits in its unit (format extension 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    /// Its position in the unit, from 0.
    pub index: u32,
    /// Entries in the unit (at least 2).
    pub count: u32,
}

/// One valid frame of a segment file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Byte offset of its header in the file.
    pub offset: usize,
    /// Header plus body length.
    pub len: usize,
    /// LSN of its first entry.
    pub first_lsn: u64,
    /// Its entries' payloads, in LSN order (one for plain and member frames).
    pub entries: Vec<Vec<u8>>,
    /// For a unit member frame: its place in the unit.
    pub member: Option<Member>,
}

impl Frame {
    /// The LSNs it holds.
    pub fn lsns(&self) -> std::ops::Range<u64> {
        self.first_lsn..self.first_lsn + self.entries.len() as u64
    }

    /// The LSNs of the write it belongs to: its unit for a member frame, else its own.
    pub fn unit_lsns(&self) -> std::ops::Range<u64> {
        match self.member {
            Some(m) => {
                let first = self.first_lsn - u64::from(m.index);
                first..first + u64::from(m.count)
            }
            None => self.lsns(),
        }
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
    let batch = lsn_field & BATCH_FLAG != 0;
    let is_member = !batch && lsn_field & MEMBER_FLAG != 0;
    let first_lsn = lsn_field & !(BATCH_FLAG | if batch { 0 } else { MEMBER_FLAG });
    if first_lsn == 0 {
        return None;
    }
    let mut member = None;
    let entries = if is_member {
        if body.len() < 8 {
            return None;
        }
        let (index, count) = (u32_at(body, 0), u32_at(body, 4));
        if count < 2 || index >= count || u64::from(index) >= first_lsn {
            return None;
        }
        member = Some(Member { index, count });
        vec![body[8..].to_vec()]
    } else if !batch {
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
        member,
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

/// A valid `walogs.meta`, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MetaFile {
    /// 1 (36 bytes) or 2 (52 bytes).
    pub version: u32,
    /// Segment sealed most recently.
    pub sealed_seq: u64,
    /// Its last LSN.
    pub sealed_last_lsn: u64,
    /// Purge floor (version 2; 0 otherwise).
    pub floor: u64,
    /// Deliberate cut inside the last unit (version 2; 0 otherwise).
    pub cut_lsn: u64,
    /// Flag bit 0: a relaxed-durability writer used the directory.
    pub relaxed: bool,
    /// Flag bit 1 (version 2): a truncation across segments is under way (every entry
    /// after `cut_lsn` is to be removed, and recovery finishes the removal).
    pub truncating: bool,
}

/// Decode a metadata file: `None` unless it is a valid version 1 or 2 file with known
/// flags (bit 0; bit 1 in version 2).
pub fn decode_meta(b: &[u8]) -> Option<MetaFile> {
    if b.len() < 12 || !b.starts_with(b"WALOGSMT") {
        return None;
    }
    let version = u32_at(b, 8);
    let size = match version {
        1 => 36,
        2 => 52,
        _ => return None,
    };
    if b.len() != size || crc32fast::hash(&b[..size - 4]) != u32_at(b, size - 4) {
        return None;
    }
    let flags = u32_at(b, size - 8);
    let known = if version == 2 { 3 } else { 1 };
    if flags & !known != 0 {
        return None;
    }
    let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes"));
    let (floor, cut_lsn) = if version == 2 {
        (u64_at(28), u64_at(36))
    } else {
        (0, 0)
    };
    Some(MetaFile {
        version,
        sealed_seq: u64_at(12),
        sealed_last_lsn: u64_at(20),
        floor,
        cut_lsn,
        relaxed: flags & 1 == 1,
        truncating: flags & 2 == 2,
    })
}

/// The WAL directory's `walogs.meta` on `disk`, when it is valid.
pub fn meta(disk: &Disk) -> Option<MetaFile> {
    let files = disk.files_in(Path::new(WAL_DIR));
    decode_meta(files.get(walogs_core::META_FILENAME)?)
}

/// Whether the WAL directory's `walogs.meta` is valid with the relaxed flag set (a
/// relaxed-durability writer used the directory: recovery is lenient).
pub fn meta_relaxed(disk: &Disk) -> bool {
    meta(disk).is_some_and(|m| m.relaxed)
}

/// What the WAL directory on `disk` shows that explains some known failures of an open,
/// as a note for the violation's message: segments wholly at or below the purge floor (an
/// interrupted purge left them), and a purge floor above the last seal (the log restarted
/// above the floor, or will once the entries above it are gone).
pub fn open_notes(disk: &Disk) -> String {
    let Some(m) = meta(disk).filter(|m| m.floor > 0) else {
        return String::new();
    };
    let mut notes = String::new();
    let left_behind = segments(disk).values().any(|(_, b)| {
        scan(b)
            .0
            .last()
            .is_some_and(|f| f.lsns().end - 1 <= m.floor)
    });
    if left_behind {
        notes.push_str(" (segments at or below the purge floor remain)");
    }
    if m.floor > m.sealed_last_lsn {
        notes.push_str(" (the purge floor is above the last seal)");
    }
    notes
}

/// Bytes of one `walogs.user` slot: a 24-byte header and room for the largest value.
pub const USER_SLOT: usize = 24 + walogs_core::MAX_USER_DATA;

/// The valid value of slot `slot` of a `walogs.user` file: `(seq, data)`.
pub fn user_slot(file: &[u8], slot: usize) -> Option<(u64, Vec<u8>)> {
    let b = file.get(slot * USER_SLOT..)?;
    if b.len() < 24 || !b.starts_with(b"WALOGSUD") {
        return None;
    }
    let seq = u64::from_le_bytes(b[8..16].try_into().expect("8 bytes"));
    let len = u32_at(b, 16) as usize;
    if len > walogs_core::MAX_USER_DATA || b.len() < 24 + len {
        return None;
    }
    let mut h = crc32fast::Hasher::new();
    h.update(&b[..20]);
    h.update(&b[24..24 + len]);
    (h.finalize() == u32_at(b, 20)).then(|| (seq, b[24..24 + len].to_vec()))
}

/// The value a `walogs.user` file holds: the valid slot with the higher sequence number
/// (slot 1 on a tie), or `None` when neither slot is valid.
pub fn user_value(file: &[u8]) -> Option<Vec<u8>> {
    match (user_slot(file, 0), user_slot(file, 1)) {
        (Some(a), Some(b)) if a.0 > b.0 => Some(a.1),
        (_, Some(b)) => Some(b.1),
        (Some(a), None) => Some(a.1),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::{
        batch_frame, member_frame, meta_file, meta_file_v2, plain_frame, unit_frames, user_file,
    };

    #[test]
    fn scans_plain_and_batch_frames_and_stops_at_damage() {
        let mut seg = plain_frame(1, b"one");
        seg.extend(batch_frame(2, &[b"two", b"", b"four"]));
        seg.extend(unit_frames(5, &[b"five", b"six"]));
        let end = seg.len();
        seg.extend(plain_frame(7, b"seven"));
        seg[end + 18] ^= 1;
        seg.extend([0u8; 100]);
        let (frames, at) = scan(&seg);
        assert_eq!(at, end);
        assert_eq!(frames.len(), 4);
        assert_eq!(frames[1].lsns(), 2..5);
        assert_eq!(frames[1].entries[2], b"four");
        assert_eq!(frames[3].lsns(), 6..7);
        assert_eq!(frames[3].unit_lsns(), 5..7);
        assert_eq!(frames[3].entries, vec![b"six".to_vec()]);
        assert!(frame_at(&seg, end).is_none());
        // A member whose index does not fit its count is no frame.
        assert!(frame_at(&member_frame(9, 2, 2, b"x"), 0).is_none());
    }

    #[test]
    fn decodes_both_metadata_versions_and_both_user_slots() {
        let v1 = decode_meta(&meta_file(3, 17)).unwrap();
        assert_eq!((v1.version, v1.sealed_seq, v1.sealed_last_lsn), (1, 3, 17));
        let v2 = decode_meta(&meta_file_v2(3, 17, 9, 12, 3)).unwrap();
        assert_eq!(
            (v2.version, v2.floor, v2.cut_lsn, v2.relaxed, v2.truncating),
            (2, 9, 12, true, true)
        );
        assert_eq!(decode_meta(&meta_file_v2(3, 17, 9, 12, 4)), None);
        let mut bad = meta_file_v2(3, 17, 9, 12, 0);
        bad[30] ^= 1;
        assert_eq!(decode_meta(&bad), None);
        let file = user_file(&[Some((2, b"new")), Some((1, b"old"))]);
        assert_eq!(user_value(&file).unwrap(), b"new");
        let mut torn = file.clone();
        torn[26] ^= 1;
        assert_eq!(user_value(&torn).unwrap(), b"old");
        assert_eq!(user_value(&user_file(&[None, None])), None);
    }
}
