//! The purge floor recorded in `walogs.meta`, read without the core, for the one command that
//! reads a log the core refuses to open (`dump` printing the entries before damage): every
//! entry at or below the floor was purged for good and must not be printed, even though its
//! bytes may still lie in the oldest segment.
//!
//! Layout (little-endian, CRC-32 over every byte before it): version 1 is 36 bytes and has no
//! floor; version 2 is 52 bytes, `[magic "WALOGSMT"][version = 2][sealed_seq: u64]
//! [sealed_last_lsn: u64][floor: u64][cut_lsn: u64][flags: u32][crc: u32]`.

use walogs_core::META_FILENAME;
use walogs_core::vfs::EntryKind;

use crate::error::CliError;
use crate::layout::{LogDir, read_full_at};

const MAGIC: &[u8; 8] = b"WALOGSMT";
const SIZE_V1: usize = 36;
const SIZE_V2: usize = 52;
const FLOOR_AT: usize = 28;

/// The purge floor of the log in `log`: `Some(0)` when nothing was purged (no metadata file,
/// or version 1), `Some(n)` for a version-2 file, `None` when the file cannot be decoded
/// (then nothing can be said about which entries still count). Costs one read of at most
/// 53 bytes.
pub fn read(log: &LogDir) -> Result<Option<u64>, CliError> {
    match log.kind(META_FILENAME)? {
        None => return Ok(Some(0)),
        Some(EntryKind::Regular) => {}
        Some(_) => return Ok(None),
    }
    let file = log.open_file(META_FILENAME)?;
    let mut buf = [0u8; SIZE_V2 + 1];
    let n = read_full_at(file.as_ref(), &mut buf, 0)?;
    Ok(decode(&buf[..n]))
}

/// The floor a metadata file's bytes record (see [`read`]).
fn decode(b: &[u8]) -> Option<u64> {
    let size = match b.get(8..12)?.try_into().map(u32::from_le_bytes).ok()? {
        1 => SIZE_V1,
        2 => SIZE_V2,
        _ => return None,
    };
    if b.len() != size || &b[0..8] != MAGIC {
        return None;
    }
    let crc = u32::from_le_bytes(b[size - 4..].try_into().ok()?);
    if crc32(&b[..size - 4]) != crc {
        return None;
    }
    if size == SIZE_V1 {
        return Some(0);
    }
    Some(u64::from_le_bytes(
        b[FLOOR_AT..FLOOR_AT + 8].try_into().ok()?,
    ))
}

/// CRC-32/IEEE (the checksum of the metadata file), bit by bit: it runs over 48 bytes.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;
    use walogs_core::{Lsn, WalOptions};

    fn floor_of(dir: &std::path::Path) -> Option<u64> {
        read(&LogDir::open(dir).unwrap()).unwrap()
    }

    #[test]
    fn the_floor_the_core_records_is_read_back() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(floor_of(d.path()), Some(0), "no metadata file");
        let mut wal = WalOptions::new()
            .max_segment_size(Some(256))
            .open(d.path())
            .unwrap();
        for i in 0..40u32 {
            wal.append(&i.to_le_bytes()).unwrap();
        }
        wal.rotate().unwrap();
        assert_eq!(floor_of(d.path()), Some(0), "version 1");
        wal.purge_up_to(Lsn(17)).unwrap();
        wal.close().unwrap();
        assert_eq!(floor_of(d.path()), Some(17));
        let meta = d.path().join(META_FILENAME);
        let mut bytes = std::fs::read(&meta).unwrap();
        assert_eq!(bytes.len(), SIZE_V2);
        bytes[FLOOR_AT] ^= 1;
        std::fs::write(&meta, &bytes).unwrap();
        assert_eq!(floor_of(d.path()), None, "a damaged file tells nothing");
    }

    #[test]
    fn crc32_is_the_ieee_checksum() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }
}
