//! The frames of a segment file and the *units* they form, read the way the format lays
//! them out (see `walogs_core::frame`): a plain frame (one entry) or a legacy batch frame is
//! a unit by itself; every multi-entry write (an atomic batch, an `append_many` chunk, a
//! group commit) is a unit of member frames, one per entry, each naming its index and the
//! unit's size. A unit is one `pwrite`: after a crash all of it is there or recovery drops
//! it whole, so the harnesses count what a cut or a failure may keep in units, not frames.
//!
//! Frames are checked by `walogs_core::frame::decode` (length, CRC, layout); this module
//! only reads the unit fields of a member's header and body.

use walogs_core::frame::{self, Decoded, FRAME_HEADER_SIZE};

/// Bit of the header's LSN field that marks a unit member frame (format extension 2).
const MEMBER_FLAG: u64 = 1 << 62;
/// Bit of the header's LSN field that marks a legacy batch frame (format extension 1).
const BATCH_FLAG: u64 = 1 << 63;

/// One valid frame of a byte slice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameAt {
    /// Offset of its header.
    pub offset: u64,
    /// Header plus body.
    pub len: u64,
    /// LSN of its (first) entry.
    pub first_lsn: u64,
    /// Entries it holds (1 but for a legacy batch frame).
    pub entries: u64,
    /// For a unit member: its index in the unit and the unit's entry count.
    pub member: Option<(u32, u32)>,
}

impl FrameAt {
    /// Offset just past it.
    pub fn end(&self) -> u64 {
        self.offset + self.len
    }

    /// LSN of its last entry.
    pub fn last_lsn(&self) -> u64 {
        self.first_lsn + self.entries - 1
    }
}

/// The unit fields of the valid frame at the start of `bytes`, if it is a member.
fn member_fields(bytes: &[u8]) -> Option<(u32, u32)> {
    let field = u64::from_le_bytes(bytes.get(8..16)?.try_into().ok()?);
    if field & (BATCH_FLAG | MEMBER_FLAG) != MEMBER_FLAG {
        return None;
    }
    let body = bytes.get(FRAME_HEADER_SIZE..FRAME_HEADER_SIZE + 8)?;
    let index = u32::from_le_bytes(body[0..4].try_into().ok()?);
    let count = u32::from_le_bytes(body[4..8].try_into().ok()?);
    Some((index, count))
}

/// The valid frames at the start of `bytes`, in order, up to the first byte that does not
/// start one; and the offset where they end.
pub fn frames(bytes: &[u8]) -> (Vec<FrameAt>, u64) {
    let mut out = Vec::new();
    let mut off = 0usize;
    while let Decoded::Frame {
        first_lsn,
        entries,
        frame_len,
    } = frame::decode(&bytes[off..])
    {
        out.push(FrameAt {
            offset: off as u64,
            len: frame_len as u64,
            first_lsn,
            entries: entries.len() as u64,
            member: member_fields(&bytes[off..]),
        });
        off += frame_len;
    }
    (out, off as u64)
}

/// The payloads of the valid frames at the start of `bytes` (copies), with the LSN of the
/// first.
pub fn payloads(bytes: &[u8]) -> Option<(u64, Vec<Vec<u8>>)> {
    let mut off = 0usize;
    let mut first = None;
    let mut out = Vec::new();
    while let Decoded::Frame {
        first_lsn,
        entries,
        frame_len,
    } = frame::decode(&bytes[off..])
    {
        first.get_or_insert(first_lsn);
        out.extend(entries.into_iter().map(<[u8]>::to_vec));
        off += frame_len;
    }
    first.map(|f| (f, out))
}

/// Consecutive frames that one write put down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// Offset of its first frame.
    pub offset: u64,
    /// Offset just past its last frame present.
    pub end: u64,
    /// LSN of its first entry present.
    pub first_lsn: u64,
    /// LSN of its last entry present.
    pub last_lsn: u64,
    /// Whether every member is present (always, for a plain or legacy batch frame).
    pub complete: bool,
}

/// Group `frames` (as [`frames`] returns them) into units. Members of one unit are
/// consecutive with indexes 0, 1, ...; a member that does not continue the unit before it
/// starts a new (incomplete) one.
pub fn units(frames: &[FrameAt]) -> Vec<Unit> {
    let mut out: Vec<Unit> = Vec::new();
    let mut open: Option<(u32, u32)> = None; // (next index expected, count) of the last unit
    for f in frames {
        match f.member {
            Some((index, count)) if open == Some((index, count)) && index > 0 => {
                let u = out.last_mut().expect("an open unit exists");
                u.end = f.end();
                u.last_lsn = f.last_lsn();
                u.complete = index + 1 == count;
                open = (index + 1 < count).then_some((index + 1, count));
            }
            Some((index, count)) => {
                out.push(Unit {
                    offset: f.offset,
                    end: f.end(),
                    first_lsn: f.first_lsn,
                    last_lsn: f.last_lsn(),
                    complete: index == 0 && count == 1,
                });
                open = (index == 0 && count > 1).then_some((1, count));
            }
            None => {
                out.push(Unit {
                    offset: f.offset,
                    end: f.end(),
                    first_lsn: f.first_lsn,
                    last_lsn: f.last_lsn(),
                    complete: true,
                });
                open = None;
            }
        }
    }
    out
}

/// Whether entry `lsn` is inside a multi-entry unit of `bytes` with other entries of the
/// unit before it (a cut after `lsn - 1` splits that unit).
pub fn splits_unit(bytes: &[u8], lsn: u64) -> bool {
    let (fs, _) = frames(bytes);
    fs.iter()
        .any(|f| f.first_lsn == lsn && matches!(f.member, Some((i, _)) if i > 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use walogs_core::WalOptions;

    #[test]
    fn batches_are_units_of_members_and_single_appends_plain_frames() {
        let fs = walogs_sim::fs::SimFs::default();
        let dir = Path::new("/u");
        let mut wal = WalOptions::new()
            .file_system(fs.handle())
            .open(dir)
            .unwrap();
        wal.append(b"one").unwrap();
        wal.append_batch(&[b"a".as_slice(), b"bb", b"ccc"]).unwrap();
        wal.append(b"two").unwrap();
        wal.close().unwrap();
        let files = fs.files(dir);
        let (_, seg) = files
            .iter()
            .find(|(n, _)| walogs_core::segment::parse_segment_filename(n).is_some())
            .unwrap();
        let (fs_, end) = frames(seg);
        assert_eq!(fs_.len(), 5);
        assert_eq!(fs_[1].member, Some((0, 3)));
        assert_eq!(fs_[3].member, Some((2, 3)));
        let us = units(&fs_);
        assert_eq!(us.len(), 3);
        assert!(us.iter().all(|u| u.complete));
        assert_eq!((us[1].first_lsn, us[1].last_lsn), (2, 4));
        assert_eq!(us[2].end, end);
        assert!(splits_unit(seg, 3) && splits_unit(seg, 4));
        assert!(!splits_unit(seg, 2) && !splits_unit(seg, 5));
        // A unit cut after its second member is incomplete.
        let cut = &seg[..fs_[2].end() as usize];
        let us = units(&frames(cut).0);
        assert_eq!(us.len(), 2);
        assert!(!us[1].complete);
        let (first, p) = payloads(&seg[fs_[1].offset as usize..fs_[3].end() as usize]).unwrap();
        assert_eq!((first, p.len()), (2, 3));
        assert_eq!(p[2], b"ccc");
    }
}
