//! Durable user data: one small blob kept next to the log (`walogs.user`), replaced
//! atomically. A Raft engine keeps its term, vote and commit index here.
//!
//! The file holds two slots; each write goes to the slot not holding the current value and is
//! fdatasync'd, so a torn write leaves the other slot (the old value) intact and readable.
//! Slot layout, little-endian: `[magic "WALOGSUD"][seq: u64][len: u32][crc: u32][data]`, the
//! CRC-32 covering magic, seq, len and data; slot `i` starts at `i * SLOT_SIZE`. Reading takes
//! the valid slot with the higher `seq`. The file is created (through a temporary file and a
//! rename) holding a valid empty value in slot 1, so that from then on at least one slot is
//! always valid: no valid slot at all is damage, never "empty". Costs of a write: one `pwrite`
//! of the value and one fdatasync (the first write also creates the file).

use std::io;

use crate::error::{Damage, DamageKind, WalError};
use crate::vfs::{Dir, FsFile, OpenMode, read_full_at};

/// File name of the user data.
pub const USER_DATA_FILENAME: &str = "walogs.user";
const TMP_FILENAME: &str = "walogs.user.tmp";
const MAGIC: &[u8; 8] = b"WALOGSUD";
const HEADER: usize = 24;

/// Largest user data value: 64 KiB.
pub const MAX_USER_DATA: usize = 64 * 1024;
const SLOT_SIZE: u64 = (HEADER + MAX_USER_DATA) as u64;

/// The current value and where it lives.
#[derive(Debug, Clone, Default)]
pub(crate) struct UserData {
    /// Sequence number of the current value (0: the initial empty value, or no file yet).
    seq: u64,
    /// Slot holding the current value.
    slot: u64,
    /// Whether `walogs.user` exists.
    exists: bool,
    pub value: Vec<u8>,
}

fn encode(seq: u64, data: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(HEADER + data.len());
    b.extend_from_slice(MAGIC);
    b.extend_from_slice(&seq.to_le_bytes());
    b.extend_from_slice(&(data.len() as u32).to_le_bytes());
    let mut h = crc32fast::Hasher::new();
    h.update(&b);
    h.update(data);
    b.extend_from_slice(&h.finalize().to_le_bytes());
    b.extend_from_slice(data);
    b
}

/// A valid slot's `(seq, data)`.
fn decode_slot(file: &dyn FsFile, slot: u64) -> io::Result<Option<(u64, Vec<u8>)>> {
    let mut head = [0u8; HEADER];
    if read_full_at(file, &mut head, slot * SLOT_SIZE)? < HEADER || &head[0..8] != MAGIC {
        return Ok(None);
    }
    let seq = u64::from_le_bytes(head[8..16].try_into().expect("8 bytes"));
    let len = u32::from_le_bytes(head[16..20].try_into().expect("4 bytes")) as usize;
    let crc = u32::from_le_bytes(head[20..24].try_into().expect("4 bytes"));
    if len > MAX_USER_DATA {
        return Ok(None);
    }
    let mut data = vec![0u8; len];
    if read_full_at(file, &mut data, slot * SLOT_SIZE + HEADER as u64)? < len {
        return Ok(None);
    }
    let mut h = crc32fast::Hasher::new();
    h.update(&head[0..20]);
    h.update(&data);
    Ok((h.finalize() == crc).then_some((seq, data)))
}

impl UserData {
    /// [`UserData::read`]; a read-only open (which a writer may race, rewriting one slot and
    /// then the other) reads again while no slot is valid, before calling it damage. A
    /// writable open opens the file for writing, as `set_user_data` will: a file it could not
    /// write (more than one hard link, permission bits without write) is refused at open
    /// rather than poisoning the handle at the first write.
    pub fn read_settled(dir: &dyn Dir, read_only: bool) -> Result<UserData, WalError> {
        let (attempts, mode) = if read_only {
            (8, OpenMode::Read)
        } else {
            (1, OpenMode::ReadWrite)
        };
        let mut last = None;
        for i in 0..attempts {
            match Self::read(dir, mode) {
                Err(e @ WalError::Corrupt { .. }) => {
                    last = Some(e);
                    std::thread::sleep(std::time::Duration::from_micros(100 << i));
                }
                other => return other,
            }
        }
        Err(last.expect("at least one reading"))
    }

    /// Read the user data of `dir` (empty when there is none), opening the file with `mode`
    /// (`Read`, or `ReadWrite` to check that it can be written).
    pub fn read(dir: &dyn Dir, mode: OpenMode) -> Result<UserData, WalError> {
        let file = match dir.open(USER_DATA_FILENAME, mode) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(UserData::default()),
            Err(e) => return Err(e.into()),
        };
        let a = decode_slot(file.as_ref(), 0)?;
        let b = decode_slot(file.as_ref(), 1)?;
        let (slot, (seq, value)) = match (a, b) {
            (Some(a), Some(b)) if a.0 > b.0 => (0, a),
            (_, Some(b)) => (1, b),
            (Some(a), None) => (0, a),
            (None, None) => {
                return Err(WalError::corrupt(
                    Damage::new(
                        DamageKind::UserData,
                        format!(
                            "{USER_DATA_FILENAME} in {} holds no valid value in either slot",
                            dir.path().display()
                        ),
                    )
                    .in_file(USER_DATA_FILENAME),
                ));
            }
        };
        Ok(UserData {
            seq,
            slot,
            exists: true,
            value,
        })
    }

    /// Create `walogs.user` holding the empty value in slot 1 (tmp + fdatasync + rename +
    /// directory fsync).
    fn create(dir: &dyn Dir, mode: u32) -> io::Result<()> {
        match dir.remove(TMP_FILENAME) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let f = dir.open(TMP_FILENAME, OpenMode::CreateNew { mode })?;
        f.write_all_at(&encode(0, &[]), SLOT_SIZE)?;
        f.sync_data()?;
        drop(f);
        dir.rename(TMP_FILENAME, USER_DATA_FILENAME)?;
        dir.sync()
    }

    /// Replace the value with `data` durably: written to the other slot and fdatasync'd.
    /// The caller checked the size; on error the in-memory value is unchanged (and the
    /// caller poisons: what the slot holds is unknown).
    pub fn write(&mut self, dir: &dyn Dir, data: &[u8], mode: u32) -> io::Result<()> {
        debug_assert!(data.len() <= MAX_USER_DATA);
        if !self.exists {
            Self::create(dir, mode)?;
            self.exists = true;
            self.slot = 1;
        }
        let slot = 1 - self.slot;
        let f = dir.open(USER_DATA_FILENAME, OpenMode::ReadWrite)?;
        f.write_all_at(&encode(self.seq + 1, data), slot * SLOT_SIZE)?;
        if let Err(e) = f.sync_data() {
            // The kernel may have dropped the write while the page cache still shows it: wipe
            // the slot's header (best effort), so that a reopen in this boot reads the old
            // value, as a power loss would.
            let _ = f.write_all_at(&[0u8; HEADER], slot * SLOT_SIZE);
            let _ = f.sync_data();
            return Err(e);
        }
        self.seq += 1;
        self.slot = slot;
        self.value = data.to_vec();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_encode_their_value() {
        let b = encode(7, b"vote");
        assert_eq!(&b[0..8], MAGIC);
        assert_eq!(b.len(), HEADER + 4);
        assert!(SLOT_SIZE as usize >= HEADER + MAX_USER_DATA);
    }
}
