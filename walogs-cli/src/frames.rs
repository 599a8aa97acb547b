//! Reading one segment file's frames in order with the core's frame decoder
//! ([`walogs_core::frame::decode`]), for `dump` on a log the core refuses to open (to print
//! what lies before the damage). Every frame kind the core writes is read: plain frames,
//! batch frames (format extension 1, several entries) and unit member frames (extension 2,
//! which the decoder hands out as one-entry frames).
//!
//! Memory: one read chunk plus the largest frame (at most 64 MiB, the format's limit).

use walogs_core::frame::{self, Decoded, FRAME_HEADER_SIZE};
use walogs_core::vfs::FsFile;

use crate::error::CliError;
use crate::layout::{LogDir, read_full_at};

/// Bytes read from the file at a time.
const CHUNK: usize = 1 << 20;

/// One step through a segment.
#[derive(Debug)]
pub enum Step<'a> {
    /// A valid frame at `offset` whose entries start at `first_lsn`.
    Frame {
        /// Byte offset of the frame in the file.
        offset: u64,
        /// LSN of its first entry.
        first_lsn: u64,
        /// Its payloads, in LSN order.
        entries: Vec<&'a [u8]>,
    },
    /// The file ends exactly after the last frame.
    End,
    /// The bytes after the last frame are no valid frame: damaged, or cut short by the end
    /// of the file.
    Bad,
}

/// A forward reader of the frames of one segment file.
#[derive(Debug)]
pub struct FrameReader {
    file: Box<dyn FsFile>,
    len: u64,
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    base: u64,
    /// Offset of the next frame.
    pos: u64,
}

impl FrameReader {
    /// Open the segment `name` of `log` for reading from its start. Costs an open and a
    /// `stat`.
    pub fn open(log: &LogDir, name: &str) -> Result<FrameReader, CliError> {
        let file = log.open_file(name)?;
        let len = file.len().map_err(CliError::fs)?;
        Ok(FrameReader {
            file,
            len,
            buf: Vec::new(),
            base: 0,
            pos: 0,
        })
    }

    /// The next frame, the end of the file, or where the frames stop being valid.
    /// After `End` or `Bad` it keeps returning the same step.
    pub fn next_frame(&mut self) -> Result<Step<'_>, CliError> {
        let offset = self.pos;
        if offset >= self.len {
            return Ok(Step::End);
        }
        if self.fill(FRAME_HEADER_SIZE)? < FRAME_HEADER_SIZE {
            return Ok(Step::Bad);
        }
        let start = (offset - self.base) as usize;
        let Ok(header) =
            <&[u8; FRAME_HEADER_SIZE]>::try_from(&self.buf[start..start + FRAME_HEADER_SIZE])
        else {
            return Ok(Step::Bad);
        };
        let Some(need) = frame::declared_len(header) else {
            return Ok(Step::Bad);
        };
        if self.fill(need)? < need {
            return Ok(Step::Bad);
        }
        let start = (offset - self.base) as usize;
        match frame::decode(&self.buf[start..start + need]) {
            Decoded::Frame {
                first_lsn,
                entries,
                frame_len,
            } => {
                self.pos += frame_len as u64;
                Ok(Step::Frame {
                    offset,
                    first_lsn,
                    entries,
                })
            }
            Decoded::Incomplete | Decoded::Damaged => Ok(Step::Bad),
        }
    }

    /// Make up to `n` bytes at `self.pos` available in `buf`; returns how many are (fewer
    /// only at the end of the file).
    fn fill(&mut self, n: usize) -> Result<usize, CliError> {
        let want = (n as u64).min(self.len - self.pos) as usize;
        let from = (self.pos - self.base) as usize;
        if from + want <= self.buf.len() {
            return Ok(want);
        }
        self.buf.drain(..from);
        self.base = self.pos;
        let have = self.buf.len();
        let target = want.max(CHUNK).min((self.len - self.pos) as usize);
        self.buf.resize(target, 0);
        let got = read_full_at(
            self.file.as_ref(),
            &mut self.buf[have..],
            self.base + have as u64,
        )?;
        self.buf.truncate(have + got);
        Ok(want.min(self.buf.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frames larger than a read chunk, small ones around them, then a frame cut short.
    #[test]
    fn reads_frames_of_any_size_and_stops_at_a_cut_one() {
        let d = tempfile::tempdir().unwrap();
        let sizes = [10usize, CHUNK + CHUNK / 2, 3, 2 * CHUNK + 7, 0, 100];
        let payload = |i: usize| vec![i as u8 + 1; sizes[i]];
        let mut wal = walogs_core::WalOptions::new()
            .durability(walogs_core::Durability::Manual)
            .open(d.path())
            .unwrap();
        for i in 0..sizes.len() {
            wal.append(&payload(i)).unwrap();
        }
        wal.close().unwrap();
        let seg = d.path().join("wal-000001.log");
        let full = std::fs::metadata(&seg).unwrap().len();
        // Cut the last frame short by one byte.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&seg)
            .unwrap()
            .set_len(full - 1)
            .unwrap();
        let log = LogDir::open(d.path()).unwrap();
        let mut r = FrameReader::open(&log, "wal-000001.log").unwrap();
        let mut offset = 0u64;
        for (i, &size) in sizes.iter().enumerate().take(sizes.len() - 1) {
            match r.next_frame().unwrap() {
                Step::Frame {
                    offset: at,
                    first_lsn,
                    entries,
                } => {
                    assert_eq!((at, first_lsn), (offset, i as u64 + 1));
                    assert_eq!(entries, vec![payload(i).as_slice()]);
                }
                other => panic!("frame {i}: {other:?}"),
            }
            offset += (FRAME_HEADER_SIZE + size) as u64;
        }
        for _ in 0..2 {
            assert!(matches!(r.next_frame().unwrap(), Step::Bad));
        }
    }

    /// An atomic batch is a unit of member frames: each is read as one entry at its LSN.
    #[test]
    fn unit_member_frames_are_read_one_entry_each() {
        let d = tempfile::tempdir().unwrap();
        let mut wal = walogs_core::WalOptions::new().open(d.path()).unwrap();
        wal.append(b"solo").unwrap();
        wal.append_batch(&[b"a".as_slice(), b"bb", b"ccc"]).unwrap();
        wal.close().unwrap();
        let log = LogDir::open(d.path()).unwrap();
        let mut r = FrameReader::open(&log, "wal-000001.log").unwrap();
        let mut seen = Vec::new();
        while let Step::Frame {
            first_lsn, entries, ..
        } = r.next_frame().unwrap()
        {
            seen.push((first_lsn, entries.concat()));
        }
        assert!(matches!(r.next_frame().unwrap(), Step::End));
        let want: Vec<(u64, Vec<u8>)> = vec![
            (1, b"solo".to_vec()),
            (2, b"a".to_vec()),
            (3, b"bb".to_vec()),
            (4, b"ccc".to_vec()),
        ];
        assert_eq!(seen, want);
    }
}
