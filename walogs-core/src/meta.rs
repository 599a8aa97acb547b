//! The metadata file `walogs.meta`: what the directory cannot tell by itself.
//!
//! Once every completed segment has been checkpointed away and the active segment is empty,
//! the segment files no longer say which LSNs were handed out; and a completed segment whose
//! tail was cut at a frame boundary looks complete. So every rotation (and a truncation that
//! removes a segment boundary) records, before the new segment exists, which segment was
//! sealed last and at which LSN. Open checks the directory against it and never hands out an
//! LSN at or below `sealed_last_lsn`.
//!
//! Layout (version 1, 36 bytes, little-endian):
//! `[magic "WALOGSMT"][version: u32 = 1][sealed_seq: u64][sealed_last_lsn: u64][flags: u32][crc: u32]`
//! (flag bit 0: a writer with a relaxed durability policy may have left several unsynced frames),
//! the CRC-32 covering the 32 bytes before it. It is replaced atomically: written to
//! `walogs.meta.tmp`, fdatasync'd, renamed over `walogs.meta`, and the directory is synced
//! by the caller. walogs 0.1 ignores the file.

use std::io;

use crate::error::{Damage, DamageKind, WalError};
use crate::vfs::{Dir, OpenMode, read_full_at};

/// File name of the metadata file.
pub const META_FILENAME: &str = "walogs.meta";
pub(crate) const META_TMP_FILENAME: &str = "walogs.meta.tmp";
const MAGIC: &[u8; 8] = b"WALOGSMT";
const VERSION: u32 = 1;
const SIZE: usize = 36;

/// The last seal recorded in the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Meta {
    /// Segment sealed most recently (0: none recorded).
    pub sealed_seq: u64,
    /// Its last LSN; every later LSN is greater.
    pub sealed_last_lsn: u64,
    /// A writer with a relaxed durability policy (not `EveryAppend`) may have left several
    /// unsynced frames at the end of the last segment, so damage there followed by valid
    /// frames can be a torn tail rather than lost acknowledged data.
    pub relaxed: bool,
}

const FLAG_RELAXED: u32 = 1;

impl Meta {
    fn encode(&self) -> [u8; SIZE] {
        let mut b = [0u8; SIZE];
        b[0..8].copy_from_slice(MAGIC);
        b[8..12].copy_from_slice(&VERSION.to_le_bytes());
        b[12..20].copy_from_slice(&self.sealed_seq.to_le_bytes());
        b[20..28].copy_from_slice(&self.sealed_last_lsn.to_le_bytes());
        let flags = if self.relaxed { FLAG_RELAXED } else { 0 };
        b[28..32].copy_from_slice(&flags.to_le_bytes());
        let crc = crc32fast::hash(&b[0..32]);
        b[32..36].copy_from_slice(&crc.to_le_bytes());
        b
    }

    /// Decode, or say at which offset and why the bytes are not a metadata file.
    fn decode(b: &[u8]) -> Result<Meta, (u64, String)> {
        if b.len() != SIZE {
            return Err((
                b.len().min(SIZE) as u64,
                format!("{META_FILENAME} is {} bytes, expected {SIZE}", b.len()),
            ));
        }
        if &b[0..8] != MAGIC {
            return Err((0, format!("{META_FILENAME}: bad magic at offset 0")));
        }
        let crc = u32::from_le_bytes(b[32..36].try_into().expect("4 bytes"));
        if crc32fast::hash(&b[0..32]) != crc {
            return Err((
                32,
                format!("{META_FILENAME}: checksum mismatch at offset 32"),
            ));
        }
        let version = u32::from_le_bytes(b[8..12].try_into().expect("4 bytes"));
        if version != VERSION {
            return Err((
                8,
                format!(
                    "{META_FILENAME}: unsupported version {version} at offset 8 (this build reads {VERSION})"
                ),
            ));
        }
        let flags = u32::from_le_bytes(b[28..32].try_into().expect("4 bytes"));
        if flags & !FLAG_RELAXED != 0 {
            return Err((
                28,
                format!(
                    "{META_FILENAME}: unknown flags {flags:#x} at offset 28 (written by a newer walogs?)"
                ),
            ));
        }
        Ok(Meta {
            sealed_seq: u64::from_le_bytes(b[12..20].try_into().expect("8 bytes")),
            sealed_last_lsn: u64::from_le_bytes(b[20..28].try_into().expect("8 bytes")),
            relaxed: flags & FLAG_RELAXED != 0,
        })
    }
}

/// Read the metadata file; `Ok(None)` when there is none.
pub(crate) fn read(dir: &dyn Dir) -> Result<Option<Meta>, WalError> {
    let file = match dir.open(META_FILENAME, OpenMode::Read) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let mut buf = [0u8; SIZE + 1];
    let n = read_full_at(file.as_ref(), &mut buf, 0)?;
    Meta::decode(&buf[..n]).map(Some).map_err(|(offset, r)| {
        WalError::corrupt(
            Damage::new(
                DamageKind::Metadata,
                format!("{r} in {}", dir.path().display()),
            )
            .at(META_FILENAME, offset),
        )
    })
}

/// Replace the metadata file atomically; new files get permission bits `mode`. A stale
/// temporary file is removed first (the entry itself: if it is a link, the link). The caller
/// syncs the directory afterwards (costs: create + write + fdatasync + rename).
pub(crate) fn write(dir: &dyn Dir, meta: Meta, mode: u32) -> io::Result<()> {
    match dir.remove(META_TMP_FILENAME) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let file = dir.open(META_TMP_FILENAME, OpenMode::CreateNew { mode })?;
    file.write_all_at(&meta.encode(), 0)?;
    file.sync_data()?;
    drop(file);
    dir.rename(META_TMP_FILENAME, META_FILENAME)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_damage() {
        let m = Meta {
            sealed_seq: 7,
            sealed_last_lsn: 1234,
            relaxed: true,
        };
        let b = m.encode();
        assert_eq!(Meta::decode(&b), Ok(m));
        for i in 0..SIZE {
            let mut d = b;
            d[i] ^= 0x10;
            assert!(Meta::decode(&d).is_err(), "byte {i}");
        }
        assert!(Meta::decode(&b[..35]).is_err());
    }
}
