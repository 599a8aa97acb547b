//! A buffered forward reader of the frames of one segment file, used by recovery and by
//! every iterator. It reads the file in large chunks (`pread`), never allocates per frame,
//! and holds at most one frame plus one chunk in memory.

use std::io;
use std::ops::RangeInclusive;

use crate::frame::{FRAME_HEADER_SIZE, FrameKind, Header, verify};
use crate::vfs::FsFile;

const CHUNK: usize = 256 * 1024;

/// One step of the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// A verified frame at `offset` holding entries from `first_lsn` (`kind` says how
    /// many); its body is [`FrameReader::body`] and its payload [`FrameReader::payload`]
    /// until the next call.
    Frame {
        offset: u64,
        first_lsn: u64,
        kind: FrameKind,
        frame_len: u64,
    },
    /// The reader reached `limit` exactly at a frame boundary.
    End,
    /// The bytes at `offset` are not a valid frame (partial header, partial body, bad length,
    /// bad checksum, malformed batch), or the file ends before `limit`.
    Damaged { offset: u64 },
}

pub(crate) struct FrameReader {
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    base: u64,
    /// Next frame's offset.
    pos: u64,
    /// Stop here (the end of valid data, or the file length).
    limit: u64,
    /// Bytes of `buf` holding file data (from `base`); `buf` beyond is spare room, grown but
    /// never shrunk, so a refill zeroes nothing.
    filled: usize,
    /// Position of the last frame's body in `buf`.
    body: (usize, usize),
    /// Where the payload starts in the body of the last frame.
    payload_start: usize,
}

impl FrameReader {
    /// A reader of the frames in `[start, limit)` of a file passed to each call.
    pub fn new(start: u64, limit: u64) -> Self {
        FrameReader {
            buf: Vec::new(),
            filled: 0,
            base: start,
            pos: start,
            limit,
            body: (0, 0),
            payload_start: 0,
        }
    }

    pub fn position(&self) -> u64 {
        self.pos
    }

    pub fn body(&self) -> &[u8] {
        &self.buf[self.body.0..self.body.1]
    }

    /// The payload of the last plain or member frame (the body without a member's prefix).
    pub fn payload(&self) -> &[u8] {
        &self.buf[self.body.0 + self.payload_start..self.body.1]
    }

    /// Make `n` bytes at `self.pos` available in `buf` (fewer at the limit). Returns how many.
    fn fill(&mut self, file: &dyn FsFile, n: usize) -> io::Result<usize> {
        let want = (n as u64).min(self.limit.saturating_sub(self.pos)) as usize;
        let at = (self.pos - self.base) as usize;
        if at + want <= self.filled {
            return Ok(want);
        }
        // Move what is left to the front, then read at least a chunk more.
        let at = at.min(self.filled);
        self.buf.copy_within(at..self.filled, 0);
        self.filled -= at;
        self.base = self.pos;
        let target = want
            .max(CHUNK)
            .min(self.limit.saturating_sub(self.pos) as usize);
        if self.buf.len() < target {
            self.buf.resize(target, 0);
        }
        if target > self.filled {
            let got = crate::vfs::read_full_at(
                file,
                &mut self.buf[self.filled..target],
                self.base + self.filled as u64,
            )?;
            self.filled += got;
        }
        Ok(want.min(self.filled))
    }

    pub fn next_frame(&mut self, file: &dyn FsFile) -> io::Result<Step> {
        if self.pos >= self.limit {
            return Ok(Step::End);
        }
        let offset = self.pos;
        if self.fill(file, FRAME_HEADER_SIZE)? < FRAME_HEADER_SIZE {
            return Ok(Step::Damaged { offset });
        }
        let at = (self.pos - self.base) as usize;
        let header = Header::parse(&self.buf[at..at + FRAME_HEADER_SIZE]);
        if !header.len_ok() {
            return Ok(Step::Damaged { offset });
        }
        let frame_len = header.frame_len() as usize;
        if self.fill(file, frame_len)? < frame_len {
            return Ok(Step::Damaged { offset });
        }
        let at = (self.pos - self.base) as usize;
        let body = (at + FRAME_HEADER_SIZE, at + frame_len);
        let Some(kind) = verify(&header, &self.buf[body.0..body.1]) else {
            return Ok(Step::Damaged { offset });
        };
        self.body = body;
        self.payload_start = header.payload_start();
        self.pos += frame_len as u64;
        Ok(Step::Frame {
            offset,
            first_lsn: header.first_lsn(),
            kind,
            frame_len: frame_len as u64,
        })
    }
}

/// Look for any valid frame starting at or after `from` and before `file_len` whose first LSN is
/// plausible (at least `min_lsn`, and at most the last of `torn_starts` plus the frames the
/// file could hold after it) and that is not a member of the write that may have been torn:
/// a unit whose first LSN is one of `torn_starts` (its own members, persisted out of order,
/// are not evidence; the first such unit met is taken for it, members of any other unit are
/// evidence). Used to tell a torn final write (nothing valid follows) from mid-log damage
/// (acknowledged frames follow).
/// Holes of a sparse file are skipped (no frame starts in one), so a huge sparse file costs
/// only its data. Returns `(offset, first_lsn, frames found)`.
pub(crate) fn find_valid_after(
    file: &dyn FsFile,
    from: u64,
    file_len: u64,
    min_lsn: u64,
    torn_starts: RangeInclusive<u64>,
) -> io::Result<Option<(u64, u64, u64)>> {
    let max_lsn = (*torn_starts.end())
        .max(min_lsn)
        .saturating_add(file_len / FRAME_HEADER_SIZE as u64 + 2);
    let mut torn_unit: Option<u64> = None;
    let mut window = vec![0u8; CHUNK + FRAME_HEADER_SIZE];
    let mut start = from;
    while start + FRAME_HEADER_SIZE as u64 <= file_len {
        match file.next_data(start)? {
            Some(data) if data > start => {
                start = data;
                continue;
            }
            Some(_) => {}
            None => break,
        }
        let n = crate::vfs::read_full_at(file, &mut window, start)?;
        if n < FRAME_HEADER_SIZE {
            break;
        }
        for i in 0..=(n - FRAME_HEADER_SIZE) {
            let h = Header::parse(&window[i..i + FRAME_HEADER_SIZE]);
            let lsn = h.first_lsn();
            if lsn < min_lsn.max(1) || lsn > max_lsn || !h.len_ok() {
                continue;
            }
            let off = start + i as u64;
            if off + h.frame_len() > file_len {
                continue;
            }
            let mut body = vec![0u8; h.len as usize];
            let got = crate::vfs::read_full_at(file, &mut body, off + FRAME_HEADER_SIZE as u64)?;
            let evidence = match verify(&h, &body) {
                Some(kind) if got == body.len() => match kind.unit(lsn).map(|(first, _)| first) {
                    Some(unit)
                        if torn_starts.contains(&unit) && torn_unit.is_none_or(|t| t == unit) =>
                    {
                        torn_unit = Some(unit);
                        false
                    }
                    _ => true,
                },
                _ => false,
            };
            if evidence {
                // Count the valid frames that chain from here, for the report.
                let mut r = FrameReader::new(off, file_len);
                let mut frames = 0;
                while let Step::Frame { .. } = r.next_frame(file)? {
                    frames += 1;
                }
                return Ok(Some((off, lsn, frames)));
            }
        }
        start += (n - FRAME_HEADER_SIZE + 1) as u64;
    }
    Ok(None)
}
