//! The metadata file `walogs.meta`: what the directory cannot tell by itself.
//!
//! Once every completed segment has been checkpointed away and the active segment is empty,
//! the segment files no longer say which LSNs were handed out; and a completed segment whose
//! tail was cut at a frame boundary looks complete. So every rotation (and a truncation that
//! removes a segment boundary) records, before the new segment exists, which segment was
//! sealed last and at which LSN. Open checks the directory against it and never hands out an
//! LSN at or below `sealed_last_lsn`.
//!
//! Two more facts live here since log control: the purge floor (every LSN at or below it is
//! gone for good, whatever the segments still hold) and the last deliberate cut inside a unit
//! (a truncation that ended the log in the middle of a multi-entry write, so that recovery
//! does not take that short unit for a torn one).
//!
//! Layout, little-endian, the CRC-32 covering every byte before it:
//! * version 1 (36 bytes): `[magic "WALOGSMT"][version: u32 = 1][sealed_seq: u64]
//!   [sealed_last_lsn: u64][flags: u32][crc: u32]`;
//! * version 2 (52 bytes): `[magic][version: u32 = 2][sealed_seq: u64][sealed_last_lsn: u64]
//!   [floor: u64][cut_lsn: u64][flags: u32][crc: u32]`, written only while `floor` or
//!   `cut_lsn` is set (so directories that never use them keep the version-1 file).
//!
//! Flag bit 0: a writer with a relaxed durability policy may have left several unsynced
//! frames. Flag bit 1 (version 2 only): a truncation across segments is under way: every
//! entry after `cut_lsn` is removed, and recovery finishes the removal before anything else
//! (so a crash in the middle leaves the new log, not some prefix between the old and new). The file is replaced atomically: written to `walogs.meta.tmp`, fdatasync'd,
//! renamed over `walogs.meta`, and the directory is synced by the caller. walogs 0.1 ignores
//! the file.

use std::io;
use std::path::Path;

use crate::error::{Damage, DamageKind, WalError};
use crate::vfs::{Dir, FileSystem, OpenMode, OsFs, read_full_at};

/// File name of the metadata file.
pub const META_FILENAME: &str = "walogs.meta";
pub(crate) const META_TMP_FILENAME: &str = "walogs.meta.tmp";
const MAGIC: &[u8; 8] = b"WALOGSMT";
const SIZE_V1: usize = 36;
const SIZE_V2: usize = 52;

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
    /// Every LSN at or below this was purged (0: none).
    pub floor: u64,
    /// A truncation left the log ending at this LSN inside a unit on purpose (0: none). Only
    /// meaningful while that unit is the last thing in the log.
    pub cut_lsn: u64,
    /// A truncation to `cut_lsn` is under way (flag bit 1): entries after it are removed.
    pub truncating: bool,
}

const FLAG_RELAXED: u32 = 1;
const FLAG_TRUNCATING: u32 = 2;

impl Meta {
    fn encode(&self) -> Vec<u8> {
        let v2 = self.floor != 0 || self.cut_lsn != 0 || self.truncating;
        let mut b = Vec::with_capacity(SIZE_V2);
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&(if v2 { 2u32 } else { 1 }).to_le_bytes());
        b.extend_from_slice(&self.sealed_seq.to_le_bytes());
        b.extend_from_slice(&self.sealed_last_lsn.to_le_bytes());
        if v2 {
            b.extend_from_slice(&self.floor.to_le_bytes());
            b.extend_from_slice(&self.cut_lsn.to_le_bytes());
        }
        let mut flags = if self.relaxed { FLAG_RELAXED } else { 0 };
        if self.truncating {
            flags |= FLAG_TRUNCATING;
        }
        b.extend_from_slice(&flags.to_le_bytes());
        let crc = crc32fast::hash(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        b
    }

    /// Decode, or say at which offset and why the bytes are not a metadata file.
    fn decode(b: &[u8]) -> Result<Meta, (u64, String)> {
        let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"));
        let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes"));
        if b.len() < 12 || &b[0..8] != MAGIC {
            if b.len() != SIZE_V1 && b.len() != SIZE_V2 {
                return Err((
                    b.len().min(SIZE_V1) as u64,
                    format!(
                        "{META_FILENAME} is {} bytes, expected {SIZE_V1} or {SIZE_V2}",
                        b.len()
                    ),
                ));
            }
            return Err((0, format!("{META_FILENAME}: bad magic at offset 0")));
        }
        let version = u32_at(8);
        let size = match version {
            1 => SIZE_V1,
            2 => SIZE_V2,
            _ => {
                return Err((
                    8,
                    format!(
                        "{META_FILENAME}: unsupported version {version} at offset 8 (this build reads 1 and 2)"
                    ),
                ));
            }
        };
        if b.len() != size {
            return Err((
                b.len().min(size) as u64,
                format!(
                    "{META_FILENAME} is {} bytes, expected {size} for version {version}",
                    b.len()
                ),
            ));
        }
        let crc = u32_at(size - 4);
        if crc32fast::hash(&b[0..size - 4]) != crc {
            return Err((
                (size - 4) as u64,
                format!("{META_FILENAME}: checksum mismatch at offset {}", size - 4),
            ));
        }
        let flags = u32_at(size - 8);
        let known = if version == 2 {
            FLAG_RELAXED | FLAG_TRUNCATING
        } else {
            FLAG_RELAXED
        };
        if flags & !known != 0 {
            return Err((
                (size - 8) as u64,
                format!(
                    "{META_FILENAME}: unknown flags {flags:#x} at offset {} (written by a newer walogs?)",
                    size - 8
                ),
            ));
        }
        let (floor, cut_lsn) = if version == 2 {
            (u64_at(28), u64_at(36))
        } else {
            (0, 0)
        };
        Ok(Meta {
            sealed_seq: u64_at(12),
            sealed_last_lsn: u64_at(20),
            relaxed: flags & FLAG_RELAXED != 0,
            floor,
            cut_lsn,
            truncating: flags & FLAG_TRUNCATING != 0,
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
    let mut buf = [0u8; SIZE_V2 + 1];
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

/// The purge floor recorded in the WAL directory `dir`, read from `walogs.meta` without
/// opening the log: no lock, no recovery, nothing written, so it works beside a writer and
/// on a directory the core refuses to open (a tool that prints the entries before damage
/// must still skip those purged for good, whose bytes may lie in the oldest segment).
///
/// * `Ok(None)`: there is no metadata file (nothing was ever sealed, purged or cut);
/// * `Ok(Some(0))`: a version-1 file, or a version-2 file without a floor: nothing purged;
/// * `Ok(Some(n))`: a version-2 file: every LSN at or below `n` is purged for good;
/// * `Err(`[`WalError::Corrupt`]`)` with [`DamageKind::Metadata`]: the file cannot be
///   decoded (size, magic, version, flags or checksum; the damage says which and where),
///   so nothing can be said about the floor;
/// * `Err(`[`WalError::Io`]`)`: the directory or the file cannot be read (an entry under
///   the name that is not a regular file, a link for one, is refused as open refuses it).
///
/// A concurrent writer replaces the file atomically, so the read sees the old or the new
/// floor. Costs one directory open, one file open and one read of at most 53 bytes.
pub fn read_purge_floor(dir: &Path) -> Result<Option<u64>, WalError> {
    let dir = OsFs.open_dir(dir)?;
    Ok(read(dir.as_ref())?.map(|m| m.floor))
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
    fn roundtrip_and_damage_in_both_versions() {
        for m in [
            Meta {
                sealed_seq: 7,
                sealed_last_lsn: 1234,
                relaxed: true,
                ..Meta::default()
            },
            Meta {
                sealed_seq: 7,
                sealed_last_lsn: 1234,
                relaxed: false,
                floor: 99,
                cut_lsn: 1300,
                truncating: true,
            },
        ] {
            let b = m.encode();
            assert_eq!(b.len(), if m.floor == 0 { SIZE_V1 } else { SIZE_V2 });
            assert_eq!(Meta::decode(&b), Ok(m));
            for i in 0..b.len() {
                let mut d = b.clone();
                d[i] ^= 0x10;
                assert!(Meta::decode(&d).is_err(), "byte {i}");
            }
            assert!(Meta::decode(&b[..b.len() - 1]).is_err());
        }
    }

    #[test]
    fn the_purge_floor_reads_without_opening_the_log() {
        let d = tempfile::tempdir().unwrap();
        let floor = || read_purge_floor(d.path());
        assert_eq!(floor().unwrap(), None, "no metadata file");
        let mut wal = crate::WalOptions::new()
            .max_segment_size(Some(256))
            .open(d.path())
            .unwrap();
        for i in 0..40u32 {
            wal.append(&i.to_le_bytes()).unwrap();
        }
        wal.rotate().unwrap();
        assert_eq!(floor().unwrap(), Some(0), "version 1");
        wal.purge_up_to(crate::Lsn(17)).unwrap();
        assert_eq!(floor().unwrap(), Some(17), "version 2, beside the writer");
        wal.close().unwrap();
        let meta = d.path().join(META_FILENAME);
        let mut bytes = std::fs::read(&meta).unwrap();
        assert_eq!(bytes.len(), SIZE_V2);
        bytes[28] ^= 1;
        std::fs::write(&meta, &bytes).unwrap();
        let err = floor().unwrap_err();
        let damage = err.damage().expect("a damaged file tells nothing");
        assert_eq!(damage.kind, DamageKind::Metadata);
        assert!(read_purge_floor(&d.path().join("missing")).is_err());
    }
}
