//! Directory images for fuzzing `open()`: an interpreter that turns arbitrary bytes into a
//! WAL directory on a simulated [`Disk`] (mostly well-formed frames with LSNs that chain,
//! plus damage, zero tails, huge length fields, stray files and metadata), and the oracle
//! run on each image.
//!
//! The encoders here are written from the format description (SPEC §2 and the core's
//! `frame` and `meta` module docs), independently of the core's own encoder.

use std::path::Path;

use walogs_core::{Lsn, WalOptions};

use crate::disk::Disk;
use crate::fs::SimFs;

/// The directory images live in.
pub const IMAGE_DIR: &str = "/wal";

const BATCH_FLAG: u64 = 1 << 63;

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
        let name = match kind % 10 {
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
            _ => "wal-00001.log".to_string(),
        };
        let mut content = Vec::new();
        for _ in 0..24 {
            if inp.done() {
                break;
            }
            match inp.byte() % 9 {
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
                _ => {
                    // A batch body that lies about its count or lengths, with a valid CRC.
                    let mut body = inp.u32().to_le_bytes().to_vec();
                    body.extend(inp.take_upto(48));
                    content.extend(raw_frame(next_lsn | BATCH_FLAG, &body));
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

/// `sealed_last_lsn + 1` of the image's metadata file, when it is a valid version-1 file.
pub fn meta_floor(disk: &Disk) -> Option<u64> {
    let files = disk.files_in(Path::new(IMAGE_DIR));
    let b = files.get(walogs_core::META_FILENAME)?;
    let ok = b.len() == 36
        && b.starts_with(b"WALOGSMT")
        && crc32fast::hash(&b[..32]).to_le_bytes() == b[32..36];
    ok.then(|| u64::from_le_bytes(b[20..28].try_into().expect("8 bytes")) + 1)
}

/// The fuzzing oracle for one image: opening it read-only, writable, and writable with
/// salvage must never panic; when an open succeeds, iteration yields exactly the LSNs
/// `first_lsn()..next_lsn()` without error, and a writable open then accepts an append at
/// `next_lsn()`, closes, and reopens showing the same entries plus the new one.
/// Returns a description of the first broken expectation.
pub fn check_image(disk: &Disk, read_only_files: &[String]) -> Result<(), String> {
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
        let again = opts
            .clone()
            .salvage(false)
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
    }
    Ok(())
}
