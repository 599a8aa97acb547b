//! What the directory holds, read straight from the files through the core's file-system seam
//! ([`walogs_core::vfs`]): the segment files in order with their sizes and the LSN of their
//! first frame, and what lies past the last valid frame. Used by `info` (also when the core
//! refuses a log), to classify a tail as preallocated zeros or a torn write, and by the
//! commands that read what the core refuses to open.
//!
//! Every file is opened the way the core opens it: relative to one descriptor of the
//! directory, without following a link and without blocking, and only when it is a regular
//! file. An entry under a walogs name that is something else (a link, a FIFO, a device, a
//! directory) is listed with its type and never opened. Every I/O error names its file.

use std::path::{Path, PathBuf};

use walogs_core::frame::{self, Decoded, FRAME_HEADER_SIZE};
use walogs_core::segment::{V1_FILENAME, parse_segment_filename};
use walogs_core::vfs::{Dir, EntryKind, FileSystem, FsFile, OpenMode, OsFs};

use crate::error::CliError;

/// One segment file (or another entry under a segment file name).
#[derive(Debug, Clone)]
pub struct SegmentFile {
    /// File name (`wal-NNNNNN.log`, or `wal.log` for the v1 layout).
    pub name: String,
    /// Sequence number (1 for `wal.log`).
    pub seq: u64,
    /// What the entry is, when it is not a regular file (walogs refuses to open it).
    pub refused: Option<EntryKind>,
    /// File size in bytes (0 for a refused entry).
    pub size: u64,
    /// LSN of the first entry, when the first frame is valid.
    pub first_lsn: Option<u64>,
}

/// The WAL directory, opened once; every file is read through it.
#[derive(Debug)]
pub struct LogDir {
    dir: Box<dyn Dir>,
}

impl LogDir {
    /// Open the directory at `path` (a link to a directory is followed, as the core does).
    /// Costs one `open`.
    pub fn open(path: &Path) -> Result<LogDir, CliError> {
        let dir = OsFs.open_dir(path).map_err(CliError::fs)?;
        Ok(LogDir { dir })
    }

    /// The directory's path as resolved at open.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The path of the entry `name`.
    pub fn join(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Names of every entry. Costs one directory read.
    pub fn names(&self) -> Result<Vec<String>, CliError> {
        self.dir.list().map_err(CliError::fs)
    }

    /// What `name` is, without following a link (`None`: it does not exist).
    pub fn kind(&self, name: &str) -> Result<Option<EntryKind>, CliError> {
        self.dir.kind(name).map_err(CliError::fs)
    }

    /// Open the regular file `name` for reading (a link, FIFO, device, ... is refused).
    pub fn open_file(&self, name: &str) -> Result<Box<dyn FsFile>, CliError> {
        self.dir.open(name, OpenMode::Read).map_err(CliError::fs)
    }

    /// The names of the segment files (or the v1 `wal.log`), oldest first, without opening
    /// them. Costs one directory read.
    pub fn segment_names(&self) -> Result<Vec<String>, CliError> {
        let mut named: Vec<(u64, String)> = self
            .names()?
            .into_iter()
            .filter_map(|n| segment_seq(&n).map(|s| (s, n)))
            .collect();
        named.sort();
        Ok(named.into_iter().map(|(_, n)| n).collect())
    }

    /// The segment files, oldest first. Costs a directory listing plus, per segment, a
    /// `stat`, an open and a read of its first frame.
    pub fn segments(&self) -> Result<Vec<SegmentFile>, CliError> {
        let mut out = Vec::new();
        for name in self.segment_names()? {
            let seq = segment_seq(&name).unwrap_or(0);
            let kind = self.kind(&name)?;
            let Some(kind) = kind else {
                // Removed since the listing (a live writer's checkpoint).
                continue;
            };
            if kind != EntryKind::Regular {
                out.push(SegmentFile {
                    name,
                    seq,
                    refused: Some(kind),
                    size: 0,
                    first_lsn: None,
                });
                continue;
            }
            let file = match self.open_file(&name) {
                Ok(f) => f,
                Err(CliError::Wal(walogs_core::WalError::Io(e)))
                    if e.kind() == std::io::ErrorKind::NotFound =>
                {
                    continue;
                }
                Err(e) => return Err(e),
            };
            let size = file.len().map_err(CliError::fs)?;
            let first_lsn = first_frame_lsn(file.as_ref())?;
            out.push(SegmentFile {
                name,
                seq,
                refused: None,
                size,
                first_lsn,
            });
        }
        Ok(out)
    }
}

/// The sequence number a segment file name stands for (1 for the v1 `wal.log`).
pub fn segment_seq(name: &str) -> Option<u64> {
    if name == V1_FILENAME {
        Some(1)
    } else {
        parse_segment_filename(name)
    }
}

/// LSN of the first entry of a segment, if its first frame is valid.
fn first_frame_lsn(file: &dyn FsFile) -> Result<Option<u64>, CliError> {
    let mut header = [0u8; FRAME_HEADER_SIZE];
    if read_full_at(file, &mut header, 0)? < header.len() {
        return Ok(None);
    }
    let Some(len) = frame::declared_len(&header) else {
        return Ok(None);
    };
    let mut buf = vec![0u8; len];
    let n = read_full_at(file, &mut buf, 0)?;
    Ok(match frame::decode(&buf[..n]) {
        Decoded::Frame { first_lsn, .. } => Some(first_lsn),
        _ => None,
    })
}

/// Read into `buf` at `offset` until it is full or the file ends; returns bytes read.
pub fn read_full_at(file: &dyn FsFile, buf: &mut [u8], offset: u64) -> Result<usize, CliError> {
    let mut done = 0;
    while done < buf.len() {
        match file
            .read_at(&mut buf[done..], offset + done as u64)
            .map_err(CliError::fs)?
        {
            0 => break,
            n => done += n,
        }
    }
    Ok(done)
}

/// What lies in a segment from `offset` (the end of its valid frames) to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TailBytes {
    /// Nothing: the file ends at `offset`.
    Empty,
    /// Only zero bytes: a preallocated tail, left by a writer that is still open or that
    /// stopped without closing. No frame was torn.
    Zeros,
    /// A valid frame with the expected next LSN: a live writer appended after the log was
    /// opened for reading.
    Growing,
    /// Non-zero bytes that are no valid continuation: a partial write.
    Partial,
}

/// Classify the bytes of segment `name` from `offset` on; `next_lsn` is the LSN a
/// continuation frame would carry. Reads the tail in 1 MiB chunks (the preallocated tail is
/// at most a few MiB), skipping the holes of a sparse file (`SEEK_DATA`: a crafted segment
/// of a terabyte that holds no data costs a few calls, not a read of its zeros).
pub fn classify_tail(
    log: &LogDir,
    name: &str,
    offset: u64,
    next_lsn: u64,
) -> Result<TailBytes, CliError> {
    let file = log.open_file(name)?;
    let len = file.len().map_err(CliError::fs)?;
    if len <= offset {
        return Ok(TailBytes::Empty);
    }
    let mut head = vec![0u8; (len - offset).min(16 + 64 * 1024) as usize];
    let n = read_full_at(file.as_ref(), &mut head, offset)?;
    if let Decoded::Frame { first_lsn, .. } = frame::decode(&head[..n])
        && first_lsn == next_lsn
    {
        return Ok(TailBytes::Growing);
    }
    let mut partial = false;
    for_each_data_chunk(file.as_ref(), offset, len, |_, bytes| {
        partial = bytes.iter().any(|&b| b != 0);
        Ok(!partial)
    })?;
    Ok(if partial {
        TailBytes::Partial
    } else {
        TailBytes::Zeros
    })
}

/// Call `f(offset, bytes)` on the bytes of `file` in `[from, len)` that may hold data, in
/// chunks of up to 1 MiB in file order, skipping the holes of a sparse file (`SEEK_DATA`: a
/// hole reads as zeros, so what is skipped is zeros). Stops early when `f` returns
/// `Ok(false)`, or at the end of the file's bytes.
pub fn for_each_data_chunk(
    file: &dyn FsFile,
    from: u64,
    len: u64,
    mut f: impl FnMut(u64, &[u8]) -> Result<bool, CliError>,
) -> Result<(), CliError> {
    let mut chunk = vec![0u8; 1 << 20];
    let mut at = from;
    while at < len {
        match file.next_data(at).map_err(CliError::fs)? {
            Some(data) if data < len => at = at.max(data),
            _ => break,
        }
        let want = ((len - at) as usize).min(chunk.len());
        let n = read_full_at(file, &mut chunk[..want], at)?;
        if n == 0 || !f(at, &chunk[..n])? {
            break;
        }
        at += n as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tails_are_classified() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("wal-000001.log"), [1u8, 2, 3, 0, 0, 0, 0]).unwrap();
        let log = LogDir::open(d.path()).unwrap();
        let at = |offset| classify_tail(&log, "wal-000001.log", offset, 1).unwrap();
        assert_eq!(at(7), TailBytes::Empty);
        assert_eq!(at(3), TailBytes::Zeros);
        assert_eq!(at(2), TailBytes::Partial);
    }

    #[test]
    fn entries_that_are_not_regular_files_are_listed_and_never_opened() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("wal-000001.log"), b"").unwrap();
        std::fs::create_dir(d.path().join("wal-000002.log")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", d.path().join("wal-000003.log")).unwrap();
        std::fs::write(d.path().join("notes.txt"), b"x").unwrap();
        let segs = LogDir::open(d.path()).unwrap().segments().unwrap();
        let seen: Vec<(&str, Option<EntryKind>)> =
            segs.iter().map(|s| (s.name.as_str(), s.refused)).collect();
        assert_eq!(
            seen,
            vec![
                ("wal-000001.log", None),
                ("wal-000002.log", Some(EntryKind::Directory)),
                ("wal-000003.log", Some(EntryKind::Symlink)),
            ]
        );
    }
}
