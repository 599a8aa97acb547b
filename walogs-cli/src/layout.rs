//! What the directory holds, read straight from the files without the core: the segment
//! files in order with their sizes and the LSN of their first frame, and what lies past the
//! last valid frame. Used by `info` (also when the core refuses to open a corrupt log) and
//! to classify a tail as preallocated zeros or a torn write.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use walogs_core::frame::{self, Decoded};
use walogs_core::segment::parse_segment_filename;

use crate::error::CliError;

/// Name of the single-file layout of walogs' first version.
pub const V1_FILENAME: &str = "wal.log";

/// One segment file.
#[derive(Debug, Clone)]
pub struct SegmentFile {
    /// File name (`wal-NNNNNN.log`, or `wal.log` for the v1 layout).
    pub name: String,
    /// Sequence number (1 for `wal.log`).
    pub seq: u64,
    /// Full path.
    pub path: PathBuf,
    /// File size in bytes.
    pub size: u64,
    /// LSN of the first entry, when the first frame is valid.
    pub first_lsn: Option<u64>,
}

/// The segment files of `dir`, oldest first. Costs a directory listing plus, per segment,
/// one `stat` and a read of its first frame.
pub fn segments(dir: &Path) -> Result<Vec<SegmentFile>, CliError> {
    let rd = std::fs::read_dir(dir)
        .map_err(|e| CliError::io(format!("cannot list {}", dir.display()), e))?;
    let mut out = Vec::new();
    for ent in rd {
        let ent = ent.map_err(|e| CliError::io(format!("cannot list {}", dir.display()), e))?;
        let name = ent.file_name().to_string_lossy().into_owned();
        let seq = if name == V1_FILENAME {
            1
        } else if let Some(s) = parse_segment_filename(&name) {
            s
        } else {
            continue;
        };
        let path = ent.path();
        let size = ent
            .metadata()
            .map_err(|e| CliError::io(format!("cannot stat {}", path.display()), e))?
            .len();
        let first_lsn = first_frame_lsn(&path)
            .map_err(|e| CliError::io(format!("cannot read {}", path.display()), e))?;
        out.push(SegmentFile {
            name,
            seq,
            path,
            size,
            first_lsn,
        });
    }
    out.sort_by(|a, b| a.seq.cmp(&b.seq).then(a.name.cmp(&b.name)));
    Ok(out)
}

/// LSN of the first entry of the segment at `path`, if its first frame is valid.
fn first_frame_lsn(path: &Path) -> io::Result<Option<u64>> {
    let file = File::open(path)?;
    let mut header = [0u8; 16];
    if read_full_at(&file, &mut header, 0)? < header.len() {
        return Ok(None);
    }
    let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
    let limit = walogs_core::MAX_BATCH_SIZE;
    if len > limit {
        return Ok(None);
    }
    let mut buf = vec![0u8; 16 + len];
    let n = read_full_at(&file, &mut buf, 0)?;
    Ok(match frame::decode(&buf[..n]) {
        Decoded::Frame { first_lsn, .. } => Some(first_lsn),
        _ => None,
    })
}

/// Read into `buf` at `offset` until it is full or the file ends; returns bytes read.
pub fn read_full_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
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
    /// Non-zero bytes that are no valid continuation: a torn (partial) write.
    Torn,
}

/// Classify the bytes of `path` from `offset` on; `next_lsn` is the LSN a continuation
/// frame would carry. Reads the tail in 1 MiB chunks (the preallocated tail is at most a
/// few MiB).
pub fn classify_tail(path: &Path, offset: u64, next_lsn: u64) -> Result<TailBytes, CliError> {
    let ctx = |e| CliError::io(format!("cannot read {}", path.display()), e);
    let file = File::open(path).map_err(ctx)?;
    let len = file.metadata().map_err(ctx)?.len();
    if len <= offset {
        return Ok(TailBytes::Empty);
    }
    let mut head = vec![0u8; (len - offset).min(16 + 64 * 1024) as usize];
    let n = read_full_at(&file, &mut head, offset).map_err(ctx)?;
    if let Decoded::Frame { first_lsn, .. } = frame::decode(&head[..n])
        && first_lsn == next_lsn
    {
        return Ok(TailBytes::Growing);
    }
    let mut chunk = vec![0u8; 1 << 20];
    let mut at = offset;
    while at < len {
        let want = ((len - at) as usize).min(chunk.len());
        let n = read_full_at(&file, &mut chunk[..want], at).map_err(ctx)?;
        if n == 0 {
            break;
        }
        if chunk[..n].iter().any(|&b| b != 0) {
            return Ok(TailBytes::Torn);
        }
        at += n as u64;
    }
    Ok(TailBytes::Zeros)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tails_are_classified() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("wal-000001.log");
        std::fs::write(&p, [1u8, 2, 3, 0, 0, 0, 0]).unwrap();
        assert_eq!(classify_tail(&p, 7, 1).unwrap(), TailBytes::Empty);
        assert_eq!(classify_tail(&p, 3, 1).unwrap(), TailBytes::Zeros);
        assert_eq!(classify_tail(&p, 2, 1).unwrap(), TailBytes::Torn);
    }
}
