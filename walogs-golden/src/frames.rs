//! Frame sizes and the one frame kind walogs no longer writes.
//!
//! The generator writes through the core wherever the core still writes the format; only
//! batch frames (format extension 1, read but never written by walogs 0.2) are laid out
//! here, from the format's description in `walogs_core::frame`:
//! `[len u32][crc u32][lsn | 1<<63 u64][count u32][len_i u32]...[data_i]...`, the CRC-32
//! covering `len`, the `lsn` field and the body.

/// Bytes of a frame header.
pub const HEADER: u64 = 16;

/// Bytes on disk of a plain frame holding `len` payload bytes.
pub fn plain_len(len: usize) -> u64 {
    HEADER + len as u64
}

/// Bytes on disk of one member frame of a unit (format extension 2) holding `len` bytes.
pub fn member_len(len: usize) -> u64 {
    HEADER + 8 + len as u64
}

/// A batch frame (format extension 1) holding `entries` from `first_lsn`.
pub fn batch_frame(first_lsn: u64, entries: &[&[u8]]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    for e in entries {
        body.extend_from_slice(&(e.len() as u32).to_le_bytes());
    }
    for e in entries {
        body.extend_from_slice(e);
    }
    frame(first_lsn | 1 << 63, &body)
}

/// A plain frame (the walogs 0.1 frame) holding `data` at `lsn`.
pub fn plain_frame(lsn: u64, data: &[u8]) -> Vec<u8> {
    frame(lsn, data)
}

fn frame(lsn_field: u64, body: &[u8]) -> Vec<u8> {
    let len = (body.len() as u32).to_le_bytes();
    let lsn = lsn_field.to_le_bytes();
    let mut h = crc32fast::Hasher::new();
    h.update(&len);
    h.update(&lsn);
    h.update(body);
    let mut out = Vec::with_capacity(body.len() + HEADER as usize);
    out.extend_from_slice(&len);
    out.extend_from_slice(&h.finalize().to_le_bytes());
    out.extend_from_slice(&lsn);
    out.extend_from_slice(body);
    out
}
