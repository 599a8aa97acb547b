//! Reading one segment file's frames in order with the core's frame decoder
//! ([`walogs_core::frame::decode`]), for the commands that must read a log the core refuses
//! to open (to print or locate what lies before the damage).
//!
//! Memory: one read chunk plus the largest frame (at most 64 MiB, the format's limit).

use std::fs::File;
use std::path::{Path, PathBuf};

use walogs_core::MAX_BATCH_SIZE;
use walogs_core::frame::{self, Decoded, FRAME_HEADER_SIZE};

use crate::error::CliError;
use crate::layout::read_full_at;

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
    /// The bytes at `offset` are no valid frame: damaged, or cut short by the end of the file.
    Bad {
        /// Byte offset of the first byte that is no valid frame.
        offset: u64,
    },
}

/// A forward reader of the frames of one segment file.
#[derive(Debug)]
pub struct FrameReader {
    file: File,
    path: PathBuf,
    len: u64,
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    base: u64,
    /// Offset of the next frame.
    pos: u64,
}

impl FrameReader {
    /// Open `path` for reading from its start. Costs an open and a `stat`.
    pub fn open(path: &Path) -> Result<FrameReader, CliError> {
        let ctx = |e| CliError::io(format!("cannot read {}", path.display()), e);
        let file = File::open(path).map_err(ctx)?;
        let len = file.metadata().map_err(ctx)?.len();
        Ok(FrameReader {
            file,
            path: path.to_path_buf(),
            len,
            buf: Vec::new(),
            base: 0,
            pos: 0,
        })
    }

    /// The next frame, the end of the file, or the offset where the frames stop being valid.
    /// After `End` or `Bad` it keeps returning the same step.
    pub fn next_frame(&mut self) -> Result<Step<'_>, CliError> {
        let offset = self.pos;
        if offset >= self.len {
            return Ok(Step::End);
        }
        if self.fill(FRAME_HEADER_SIZE)? < FRAME_HEADER_SIZE {
            return Ok(Step::Bad { offset });
        }
        let start = (offset - self.base) as usize;
        let header = &self.buf[start..start + FRAME_HEADER_SIZE];
        let body_len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
        if body_len > MAX_BATCH_SIZE {
            return Ok(Step::Bad { offset });
        }
        let need = FRAME_HEADER_SIZE + body_len;
        if self.fill(need)? < need {
            return Ok(Step::Bad { offset });
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
            Decoded::Incomplete | Decoded::Damaged => Ok(Step::Bad { offset }),
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
        let got = read_full_at(&self.file, &mut self.buf[have..], self.base + have as u64)
            .map_err(|e| CliError::io(format!("cannot read {}", self.path.display()), e))?;
        self.buf.truncate(have + got);
        Ok(want.min(self.buf.len()))
    }
}
