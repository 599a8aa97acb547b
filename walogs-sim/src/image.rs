//! Directory images for fuzzing `open()`: an interpreter that turns arbitrary bytes into a
//! WAL directory on a simulated [`Disk`] (mostly well-formed frames and units with LSNs that
//! chain, plus damage, torn units, zero tails, huge length fields, stray files, metadata of
//! both versions and user data files), and the oracle run on each image.
//!
//! The encoders here are written from the format description (the core's `frame`, `meta`
//! and `user_data` module docs), independently of the core's own encoders.

use std::path::Path;

use walogs_core::{Lsn, WalOptions};

use crate::disk::Disk;
use crate::fs::SimFs;
use crate::harness::frames::{decode_meta, user_value};

/// The directory images live in.
pub const IMAGE_DIR: &str = "/wal";

const BATCH_FLAG: u64 = 1 << 63;
const MEMBER_FLAG: u64 = 1 << 62;

/// A plain frame: `[len u32][crc u32][lsn u64][data]`, CRC-32 over len ++ lsn ++ data.
pub fn plain_frame(lsn: u64, data: &[u8]) -> Vec<u8> {
    raw_frame(lsn, data)
}

/// A frame with any `lsn` field (bit 63 marks a batch) and body.
pub fn raw_frame(lsn_field: u64, body: &[u8]) -> Vec<u8> {
    let len = (body.len() as u32).to_le_bytes();
    let lsn = lsn_field.to_le_bytes();
    let mut h = crc32fast::Hasher::new();
    h.update(&len);
    h.update(&lsn);
    h.update(body);
    let mut out = Vec::with_capacity(16 + body.len());
    out.extend_from_slice(&len);
    out.extend_from_slice(&h.finalize().to_le_bytes());
    out.extend_from_slice(&lsn);
    out.extend_from_slice(body);
    out
}

/// An atomic batch frame of `entries` starting at `first`.
pub fn batch_frame(first: u64, entries: &[&[u8]]) -> Vec<u8> {
    let mut body = (entries.len() as u32).to_le_bytes().to_vec();
    for e in entries {
        body.extend_from_slice(&(e.len() as u32).to_le_bytes());
    }
    for e in entries {
        body.extend_from_slice(e);
    }
    raw_frame(first | BATCH_FLAG, &body)
}

/// A unit member frame (format extension 2): entry `index` of a unit of `count` entries, at
/// `lsn`; body `[index u32][count u32][payload]`.
pub fn member_frame(lsn: u64, index: u32, count: u32, payload: &[u8]) -> Vec<u8> {
    let mut body = index.to_le_bytes().to_vec();
    body.extend_from_slice(&count.to_le_bytes());
    body.extend_from_slice(payload);
    raw_frame(lsn | MEMBER_FLAG, &body)
}

/// The frames of a unit holding `entries` from `first` (one member frame each; a single
/// entry is a plain frame), as the core writes an atomic batch, an `append_many` chunk or a
/// group commit.
pub fn unit_frames(first: u64, entries: &[&[u8]]) -> Vec<u8> {
    if let [one] = entries {
        return plain_frame(first, one);
    }
    let count = entries.len() as u32;
    entries
        .iter()
        .enumerate()
        .flat_map(|(i, e)| member_frame(first + i as u64, i as u32, count, e))
        .collect()
}

/// A version-1 `walogs.meta` recording that segment `seq` was sealed at LSN `last`.
pub fn meta_file(seq: u64, last: u64) -> Vec<u8> {
    let mut b = Vec::with_capacity(36);
    b.extend_from_slice(b"WALOGSMT");
    b.extend_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(&seq.to_le_bytes());
    b.extend_from_slice(&last.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    let crc = crc32fast::hash(&b);
    b.extend_from_slice(&crc.to_le_bytes());
    b
}

/// A version-2 `walogs.meta` (52 bytes): the seal, the purge `floor`, the deliberate cut
/// `cut_lsn` and the flags (bit 0 relaxed, bit 1 a truncation under way).
pub fn meta_file_v2(seq: u64, last: u64, floor: u64, cut_lsn: u64, flags: u32) -> Vec<u8> {
    let mut b = Vec::with_capacity(52);
    b.extend_from_slice(b"WALOGSMT");
    b.extend_from_slice(&2u32.to_le_bytes());
    b.extend_from_slice(&seq.to_le_bytes());
    b.extend_from_slice(&last.to_le_bytes());
    b.extend_from_slice(&floor.to_le_bytes());
    b.extend_from_slice(&cut_lsn.to_le_bytes());
    b.extend_from_slice(&flags.to_le_bytes());
    let crc = crc32fast::hash(&b);
    b.extend_from_slice(&crc.to_le_bytes());
    b
}

/// One `walogs.user` slot: `[magic "WALOGSUD"][seq u64][len u32][crc u32][data]`, the
/// CRC-32 over magic, seq, len and data.
pub fn user_slot(seq: u64, data: &[u8]) -> Vec<u8> {
    let mut b = b"WALOGSUD".to_vec();
    b.extend_from_slice(&seq.to_le_bytes());
    b.extend_from_slice(&(data.len() as u32).to_le_bytes());
    let mut h = crc32fast::Hasher::new();
    h.update(&b);
    h.update(data);
    b.extend_from_slice(&h.finalize().to_le_bytes());
    b.extend_from_slice(data);
    b
}

/// A `walogs.user` file with these slots (`(seq, value)`, or `None` for an unwritten slot):
/// slot `i` at `i * USER_SLOT` bytes.
pub fn user_file(slots: &[Option<(u64, &[u8])>; 2]) -> Vec<u8> {
    let mut b = Vec::new();
    for (i, slot) in slots.iter().enumerate() {
        if let Some((seq, data)) = slot {
            b.resize(i * crate::harness::frames::USER_SLOT, 0);
            b.extend(user_slot(*seq, data));
        }
    }
    b
}

struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }
    fn take(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.byte()).collect()
    }
    /// A length byte (modulo `m`), then that many bytes.
    fn take_upto(&mut self, m: u8) -> Vec<u8> {
        let n = self.byte() % m;
        self.take(n as usize)
    }
    fn done(&self) -> bool {
        self.pos >= self.data.len()
    }
}

/// Turn arbitrary bytes into a WAL directory image (files in [`IMAGE_DIR`]) plus which
/// files are read-only. Total size stays below a few hundred KiB whatever the input.
pub fn image_from_bytes(data: &[u8]) -> (Disk, Vec<String>) {
    let mut inp = Input { data, pos: 0 };
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut read_only = Vec::new();
    let mut next_lsn = 1 + (inp.byte() % 4) as u64;
    let n_files = 1 + inp.byte() % 5;
    for i in 0..n_files {
        let kind = inp.byte();
        let name = match kind % 12 {
            0..=5 => {
                let seq = match inp.byte() % 16 {
                    14 => 999_999,
                    15 => 1_000_000,
                    s => 1 + (i as u64) + (s as u64 / 8),
                };
                walogs_core::segment::segment_filename(seq)
            }
            6 => "wal.log".to_string(),
            7 => {
                let seq = 1 + (inp.byte() % 4) as u64;
                let last = next_lsn.saturating_sub(1) + (inp.byte() % 3) as u64;
                let body = if inp.byte().is_multiple_of(4) {
                    inp.take_upto(40)
                } else {
                    meta_file(seq, last)
                };
                files.push((walogs_core::META_FILENAME.to_string(), body));
                continue;
            }
            8 => "walogs.meta.tmp".to_string(),
            9 => "wal-00001.log".to_string(),
            10 => {
                // A version-2 metadata file: a floor and a cut near the LSNs written so far.
                let seq = 1 + (inp.byte() % 4) as u64;
                let last = next_lsn.saturating_sub(1) + (inp.byte() % 3) as u64;
                let floor = next_lsn.saturating_sub((inp.byte() % 6) as u64);
                let cut = match inp.byte() % 3 {
                    0 => 0,
                    1 => next_lsn.saturating_sub(1),
                    _ => next_lsn.saturating_sub(2),
                };
                let body = meta_file_v2(seq, last, floor, cut, u32::from(inp.byte() % 4));
                files.push((walogs_core::META_FILENAME.to_string(), body));
                continue;
            }
            _ => {
                // A user data file: each slot valid, damaged or absent.
                let mut slots: [Option<(u64, Vec<u8>)>; 2] = [None, None];
                for slot in &mut slots {
                    if !inp.byte().is_multiple_of(3) {
                        *slot = Some(((inp.byte() % 4) as u64, inp.take_upto(48)));
                    }
                }
                let refs = [
                    slots[0].as_ref().map(|(q, d)| (*q, d.as_slice())),
                    slots[1].as_ref().map(|(q, d)| (*q, d.as_slice())),
                ];
                let mut body = user_file(&refs);
                if !body.is_empty() && inp.byte().is_multiple_of(4) {
                    let bit = inp.u32() as usize % (body.len() * 8);
                    body[bit / 8] ^= 1 << (bit % 8);
                }
                if inp.byte().is_multiple_of(8) {
                    let cut = inp.u32() as usize % (body.len() + 1);
                    body.truncate(cut);
                }
                files.push((walogs_core::USER_DATA_FILENAME.to_string(), body));
                continue;
            }
        };
        let mut content = Vec::new();
        for _ in 0..24 {
            if inp.done() {
                break;
            }
            match inp.byte() % 11 {
                0 | 1 => {
                    let lsn = if inp.byte().is_multiple_of(8) {
                        inp.u16() as u64
                    } else {
                        next_lsn
                    };
                    let len = (inp.byte() as usize) * (1 + (inp.byte() % 3) as usize);
                    content.extend(plain_frame(lsn, &inp.take(len)));
                    next_lsn = lsn + 1;
                }
                2 => {
                    let n = 1 + inp.byte() % 4;
                    let es: Vec<Vec<u8>> = (0..n).map(|_| inp.take_upto(32)).collect();
                    let refs: Vec<&[u8]> = es.iter().map(Vec::as_slice).collect();
                    content.extend(batch_frame(next_lsn, &refs));
                    next_lsn += n as u64;
                }
                3 => {
                    let n = inp.byte() as usize;
                    content.extend(inp.take(n));
                }
                4 => content.extend(std::iter::repeat_n(0u8, inp.byte() as usize * 16)),
                5 => {
                    if !content.is_empty() {
                        let bit = inp.u16() as usize % (content.len() * 8);
                        content[bit / 8] ^= 1 << (bit % 8);
                    }
                }
                6 => {
                    let cut = inp.u16() as usize % (content.len() + 1);
                    content.truncate(cut);
                }
                7 => {
                    // A header whose length field is huge (up to u32::MAX), possibly with
                    // a batch flag, followed by a little data.
                    let len = inp.u32();
                    let lsn = next_lsn
                        | if inp.byte().is_multiple_of(2) {
                            BATCH_FLAG
                        } else {
                            0
                        };
                    content.extend_from_slice(&len.to_le_bytes());
                    content.extend_from_slice(&inp.u32().to_le_bytes());
                    content.extend_from_slice(&lsn.to_le_bytes());
                    content.extend(inp.take_upto(64));
                }
                8 => {
                    // A batch body that lies about its count or lengths, with a valid CRC.
                    let mut body = inp.u32().to_le_bytes().to_vec();
                    body.extend(inp.take_upto(48));
                    content.extend(raw_frame(next_lsn | BATCH_FLAG, &body));
                }
                9 => {
                    // A whole unit of member frames.
                    let n = 2 + inp.byte() % 4;
                    let es: Vec<Vec<u8>> = (0..n).map(|_| inp.take_upto(40)).collect();
                    let refs: Vec<&[u8]> = es.iter().map(Vec::as_slice).collect();
                    content.extend(unit_frames(next_lsn, &refs));
                    next_lsn += n as u64;
                }
                _ => {
                    // A unit that is torn or lies: some of its members only, or members
                    // whose index or count disagree, each with a valid CRC.
                    let count = 2 + (inp.byte() % 4) as u32;
                    let members = inp.byte();
                    let mut written = 0;
                    for i in 0..count {
                        if members & (1 << i) == 0 {
                            continue;
                        }
                        let (index, c) = match inp.byte() % 6 {
                            0 => (inp.byte() as u32 % 8, count),
                            1 => (i, inp.byte() as u32 % 8),
                            _ => (i, count),
                        };
                        let data = inp.take_upto(24);
                        content.extend(member_frame(next_lsn + u64::from(i), index, c, &data));
                        written = i + 1;
                    }
                    next_lsn += u64::from(written);
                }
            }
        }
        if kind & 0x80 != 0 {
            read_only.push(name.clone());
        }
        files.push((name, content));
    }
    let disk = Disk::with_files(
        Path::new(IMAGE_DIR),
        files.iter().map(|(n, c)| (n.as_str(), c.as_slice())),
    );
    (disk, read_only)
}

/// `sealed_last_lsn + 1` of the image's metadata file, when it is valid.
pub fn meta_floor(disk: &Disk) -> Option<u64> {
    let files = disk.files_in(Path::new(IMAGE_DIR));
    decode_meta(files.get(walogs_core::META_FILENAME)?).map(|m| m.sealed_last_lsn + 1)
}

/// The purge floor of the image's metadata file, when it is a valid version-2 file.
pub fn purge_floor(disk: &Disk) -> Option<u64> {
    let files = disk.files_in(Path::new(IMAGE_DIR));
    decode_meta(files.get(walogs_core::META_FILENAME)?)
        .map(|m| m.floor)
        .filter(|&f| f > 0)
}

/// What the image's user data must read as: `Some(Some(value))` for a file with a valid
/// slot, `Some(None)` for a file with none (damage: an open must not call it empty), `None`
/// without a file (empty).
pub fn expected_user_data(disk: &Disk) -> Option<Option<Vec<u8>>> {
    let files = disk.files_in(Path::new(IMAGE_DIR));
    files
        .get(walogs_core::USER_DATA_FILENAME)
        .map(|b| user_value(b))
}

/// The fuzzing oracle for one image: opening it read-only, writable, and writable with
/// salvage must never panic; when an open succeeds, iteration yields exactly the LSNs
/// `first_lsn()..next_lsn()` without error, nothing at or below a valid metadata file's
/// purge floor is served (`first_lsn()` and `next_lsn()` above it), `user_data()` is the
/// value of the valid `walogs.user` slot with the higher sequence number (empty without the
/// file; an open that succeeds with no valid slot must not read it as a value), and a
/// writable open then accepts an append at `next_lsn()`, closes, and reopens showing the
/// same entries plus the new one and the same user data; a user data value set then reads
/// back after another reopen. Returns a description of the first broken expectation (noting
/// when `walogs.meta` records a truncation under way).
pub fn check_image(disk: &Disk, read_only_files: &[String]) -> Result<(), String> {
    let files = disk.files_in(Path::new(IMAGE_DIR));
    let truncating = files
        .get(walogs_core::META_FILENAME)
        .and_then(|b| decode_meta(b))
        .is_some_and(|m| m.truncating);
    check_opens(disk, read_only_files).map_err(|e| {
        if truncating {
            format!("{e} [walogs.meta records a truncation under way]")
        } else {
            e
        }
    })
}

/// [`check_image`] without the note on the metadata file.
fn check_opens(disk: &Disk, read_only_files: &[String]) -> Result<(), String> {
    let floor = purge_floor(disk);
    let user = expected_user_data(disk);
    for (ro, salvage) in [(true, false), (false, false), (false, true)] {
        let fs = SimFs::new(disk.clone());
        for name in read_only_files {
            let _ = fs.set_read_only(&Path::new(IMAGE_DIR).join(name), true);
        }
        let opts = WalOptions::new()
            .max_segment_size(Some(4096))
            .read_only(ro)
            .salvage(salvage)
            .file_system(fs.handle());
        let Ok(mut wal) = opts.open(IMAGE_DIR) else {
            continue;
        };
        let what = format!("read_only={ro} salvage={salvage}");
        let (first, next) = (wal.first_lsn().0, wal.next_lsn().0);
        if let Some(f) = floor
            && first <= f
        {
            return Err(format!(
                "{what}: first_lsn {first} (next_lsn {next}) at or below the purge floor {f} of walogs.meta"
            ));
        }
        let user_now = wal.user_data();
        let want: Option<&[u8]> = match &user {
            None => Some(b""),
            Some(Some(v)) => Some(v),
            Some(None) => None,
        };
        match (want, &user_now) {
            (Some(w), Ok(v)) if v != w => {
                return Err(format!(
                    "{what}: user_data() read {} bytes, expected {} (the newest valid slot, or empty without walogs.user)",
                    v.len(),
                    w.len()
                ));
            }
            (Some(_), Err(e)) => {
                return Err(format!("{what}: user_data() failed on a valid value: {e}"));
            }
            (None, Ok(v)) => {
                return Err(format!(
                    "{what}: walogs.user has no valid slot, yet user_data() read {} bytes",
                    v.len()
                ));
            }
            _ => {}
        }
        let mut got = Vec::new();
        for item in wal.iter() {
            got.push(
                item.map_err(|e| format!("{what}: open succeeded but iteration failed: {e}"))?,
            );
        }
        let lsns: Vec<u64> = got.iter().map(|(l, _)| l.0).collect();
        if lsns != (first..next).collect::<Vec<_>>() {
            let floor = if meta_floor(disk) == Some(next) {
                " (next_lsn is walogs.meta's floor)"
            } else {
                ""
            };
            return Err(format!(
                "{what}: iteration gave LSNs {lsns:?}, expected {first}..{next}{floor}"
            ));
        }
        if ro {
            continue;
        }
        match wal.append(b"fuzz") {
            Ok(Lsn(l)) if l == next => {}
            Ok(l) => {
                return Err(format!(
                    "{what}: append got LSN {l}, next_lsn() said {next}"
                ));
            }
            // Permissions or other typed errors are fine; nothing more to check.
            Err(_) => continue,
        }
        wal.close()
            .map_err(|e| format!("{what}: close failed: {e}"))?;
        let reopen = opts.clone().salvage(false);
        let mut again = reopen
            .open(IMAGE_DIR)
            .map_err(|e| format!("{what}: reopen after a clean close failed: {e}"))?;
        let mut after = Vec::new();
        for item in again.iter() {
            after.push(item.map_err(|e| format!("{what}: iteration after reopen failed: {e}"))?);
        }
        got.push((Lsn(next), b"fuzz".to_vec()));
        if after != got {
            return Err(format!(
                "{what}: reopen shows other entries than before the close"
            ));
        }
        if again.user_data().ok() != user_now.ok() {
            return Err(format!("{what}: user data changed across a clean reopen"));
        }
        if again.set_user_data(b"fuzz-user").is_ok() {
            again
                .close()
                .map_err(|e| format!("{what}: close after set_user_data failed: {e}"))?;
            let last = reopen
                .clone()
                .read_only(true)
                .open(IMAGE_DIR)
                .map_err(|e| format!("{what}: reopen after set_user_data failed: {e}"))?;
            match last.user_data() {
                Ok(v) if v == b"fuzz-user" => {}
                other => {
                    return Err(format!(
                        "{what}: after set_user_data the reopened user data is {other:?}"
                    ));
                }
            }
        }
    }
    Ok(())
}
