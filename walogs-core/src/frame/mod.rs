//! The frame codec: how entries are laid out on disk.
//!
//! Every frame has the 16-byte header of walogs 0.1, little-endian:
//!
//! ```text
//! [len: u32][crc: u32][lsn: u64][body: len bytes]
//! crc = CRC-32/IEEE over (len bytes ++ lsn bytes ++ body)
//! ```
//!
//! * A **plain frame** (`lsn < 2^63`) holds one entry; its body is the payload. This is the
//!   only frame walogs 0.1 knows, and the only one written by single appends.
//! * A **batch frame** (format extension 1) has bit 63 of the `lsn` field set; the low 63 bits
//!   are the LSN of its first entry. Its body is
//!   `[count: u32][len_1: u32]..[len_count: u32][data_1]..[data_count]`, with entry `i` at
//!   LSN `first + i`. One CRC covers the whole batch. Earlier walogs 0.2 builds wrote these
//!   for batches and group commits; they are still read, never written.
//! * A **unit member frame** (format extension 2) has bit 62 of the `lsn` field set (bit 63
//!   clear); the low 62 bits are its entry's LSN. Its body is
//!   `[index: u32][count: u32][payload]`: the entry is number `index` (from 0) of a *unit*
//!   of `count` entries, written by one `pwrite`, whose first entry is at LSN `lsn - index`.
//!   Atomic batches, `append_many` chunks and group-commit groups of more than one entry are
//!   units. Each member carries its own CRC, so one entry can be read (and the log cut) at
//!   any member without reading the rest of the unit; each member also knows its unit, so
//!   recovery can tell a torn unit (members of the last unit missing: cut the whole unit)
//!   from damage followed by later, acknowledged frames. walogs 0.1 cannot read them.
//!
//! The codec never allocates more than the declared limits ([`MAX_ENTRY_SIZE`],
//! [`MAX_BATCH_SIZE`]) however the length field is damaged.

pub(crate) mod limits;

/// Size of a frame header in bytes.
pub const FRAME_HEADER_SIZE: usize = 16;

/// Maximum payload of one entry: 16 MiB (as in walogs 0.1).
pub const MAX_ENTRY_SIZE: usize = 16 * 1024 * 1024;

/// Maximum body of one batch frame (payloads plus 4 bytes per entry plus 4): 64 MiB.
/// An atomic batch must fit in one batch frame.
pub const MAX_BATCH_SIZE: usize = 64 * 1024 * 1024;

/// Bit of the header's `lsn` field that marks a batch frame (extension 1).
pub(crate) const BATCH_FLAG: u64 = 1 << 63;

/// Bit of the header's `lsn` field that marks a unit member frame (extension 2).
pub(crate) const MEMBER_FLAG: u64 = 1 << 62;

/// Bytes a unit member frame carries before its payload: `[index: u32][count: u32]`.
pub(crate) const MEMBER_PREFIX: usize = 8;

/// LSNs are below this (the two top bits of the `lsn` field mark frame kinds).
pub(crate) const MAX_LSN: u64 = MEMBER_FLAG - 1;

/// What a verified frame holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FrameKind {
    /// One entry, the whole body.
    Plain,
    /// Extension 1: `count` entries in one body.
    Batch { count: u64 },
    /// Extension 2: entry `index` of a unit of `count` entries.
    Member { index: u32, count: u32 },
}

impl FrameKind {
    /// Entries the frame holds.
    pub fn entries(self) -> u64 {
        match self {
            FrameKind::Batch { count } => count,
            FrameKind::Plain | FrameKind::Member { .. } => 1,
        }
    }

    /// For a member at LSN `lsn`: its unit's first and last LSN.
    pub fn unit(self, lsn: u64) -> Option<(u64, u64)> {
        match self {
            FrameKind::Member { index, count } => {
                let first = lsn - u64::from(index);
                Some((first, first + u64::from(count) - 1))
            }
            _ => None,
        }
    }
}

/// A parsed frame header (not yet verified).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub len: u32,
    pub crc: u32,
    pub lsn_field: u64,
}

impl Header {
    pub fn parse(bytes: &[u8]) -> Header {
        Header {
            len: u32::from_le_bytes(bytes[0..4].try_into().expect("4 bytes")),
            crc: u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes")),
            lsn_field: u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes")),
        }
    }

    pub fn is_batch(&self) -> bool {
        self.lsn_field & BATCH_FLAG != 0
    }

    pub fn is_member(&self) -> bool {
        self.lsn_field & (BATCH_FLAG | MEMBER_FLAG) == MEMBER_FLAG
    }

    /// LSN of the (first) entry of this frame.
    pub fn first_lsn(&self) -> u64 {
        if self.is_batch() {
            self.lsn_field & !BATCH_FLAG
        } else {
            self.lsn_field & !MEMBER_FLAG
        }
    }

    /// Whether the length is within the limit of this frame kind.
    pub fn len_ok(&self) -> bool {
        let limit = if self.is_batch() {
            MAX_BATCH_SIZE
        } else if self.is_member() {
            MAX_ENTRY_SIZE + MEMBER_PREFIX
        } else {
            MAX_ENTRY_SIZE
        };
        (self.len as usize) <= limit
    }

    /// Where the payload starts in the body.
    pub fn payload_start(&self) -> usize {
        if self.is_member() { MEMBER_PREFIX } else { 0 }
    }

    pub fn frame_len(&self) -> u64 {
        FRAME_HEADER_SIZE as u64 + self.len as u64
    }
}

fn crc_of(len_bytes: [u8; 4], lsn_bytes: [u8; 8], body: &[&[u8]]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&len_bytes);
    h.update(&lsn_bytes);
    for part in body {
        h.update(part);
    }
    h.finalize()
}

/// Check a frame: the length is within its limit, the CRC matches, and a batch or member
/// body is well formed. Returns what the frame holds, or `None` if it is damaged.
pub(crate) fn verify(header: &Header, body: &[u8]) -> Option<FrameKind> {
    if !header.len_ok() || body.len() != header.len as usize {
        return None;
    }
    let crc = crc_of(
        header.len.to_le_bytes(),
        header.lsn_field.to_le_bytes(),
        &[body],
    );
    if crc != header.crc {
        return None;
    }
    if header.first_lsn() == 0 {
        return None;
    }
    if header.is_batch() {
        let n = BatchEntries::new(body)?.count();
        Some(FrameKind::Batch {
            count: u64::try_from(n).ok()?,
        })
    } else if header.is_member() {
        let index = u32::from_le_bytes(body.get(0..4)?.try_into().ok()?);
        let count = u32::from_le_bytes(body.get(4..8)?.try_into().ok()?);
        if count < 2 || index >= count || u64::from(index) >= header.first_lsn() {
            return None;
        }
        Some(FrameKind::Member { index, count })
    } else {
        Some(FrameKind::Plain)
    }
}

/// Append the frames of a unit holding `entries` from `first_lsn` (one member frame each),
/// or a plain frame when there is one entry. The caller checked every size limit.
pub(crate) fn encode_unit<'a>(
    out: &mut Vec<u8>,
    first_lsn: u64,
    entries: impl ExactSizeIterator<Item = &'a [u8]>,
) {
    let count = entries.len();
    if count == 1 {
        for e in entries {
            encode_plain(out, first_lsn, e);
        }
        return;
    }
    debug_assert!(count <= u32::MAX as usize);
    for (i, e) in entries.enumerate() {
        let lsn = first_lsn + i as u64;
        debug_assert!(e.len() <= MAX_ENTRY_SIZE && lsn <= MAX_LSN);
        let len = ((MEMBER_PREFIX + e.len()) as u32).to_le_bytes();
        let lsn_bytes = (lsn | MEMBER_FLAG).to_le_bytes();
        let mut prefix = [0u8; MEMBER_PREFIX];
        prefix[0..4].copy_from_slice(&(i as u32).to_le_bytes());
        prefix[4..8].copy_from_slice(&(count as u32).to_le_bytes());
        out.extend_from_slice(&len);
        out.extend_from_slice(&crc_of(len, lsn_bytes, &[&prefix, e]).to_le_bytes());
        out.extend_from_slice(&lsn_bytes);
        out.extend_from_slice(&prefix);
        out.extend_from_slice(e);
    }
}

/// Bytes on disk of a unit holding entries of these lengths.
pub(crate) fn unit_len(lens: impl ExactSizeIterator<Item = usize>) -> usize {
    let prefix = if lens.len() > 1 { MEMBER_PREFIX } else { 0 };
    lens.map(|l| FRAME_HEADER_SIZE + prefix + l).sum()
}

/// Append a plain frame for `data` at `lsn` to `out`. The caller checked the size.
pub(crate) fn encode_plain(out: &mut Vec<u8>, lsn: u64, data: &[u8]) {
    debug_assert!(data.len() <= MAX_ENTRY_SIZE && lsn & BATCH_FLAG == 0);
    let len = (data.len() as u32).to_le_bytes();
    let lsn_bytes = lsn.to_le_bytes();
    out.reserve(FRAME_HEADER_SIZE + data.len());
    out.extend_from_slice(&len);
    out.extend_from_slice(&crc_of(len, lsn_bytes, &[data]).to_le_bytes());
    out.extend_from_slice(&lsn_bytes);
    out.extend_from_slice(data);
}

/// Body size of a batch frame holding entries of these lengths.
pub(crate) fn batch_body_len<I: IntoIterator<Item = usize>>(lens: I) -> usize {
    lens.into_iter()
        .fold(4, |acc, l| acc.saturating_add(4).saturating_add(l))
}

/// Append the frames of `entries` starting at `first_lsn` to `out`: a plain frame for a
/// single entry, a unit otherwise. The caller checked every size limit.
pub(crate) fn encode_entries<T: AsRef<[u8]>>(out: &mut Vec<u8>, first_lsn: u64, entries: &[T]) {
    out.reserve(unit_len(entries.iter().map(|e| e.as_ref().len())));
    encode_unit(out, first_lsn, entries.iter().map(|e| e.as_ref()));
}

/// Append the frames of entries of lengths `lens` whose payloads lie back to back in `data`,
/// starting at `first_lsn`: plain for one entry, a unit otherwise. The caller checked every
/// size limit and that the lengths add up to `data.len()`.
pub(crate) fn encode_packed(out: &mut Vec<u8>, first_lsn: u64, lens: &[u32], data: &[u8]) {
    debug_assert_eq!(lens.iter().map(|&l| l as usize).sum::<usize>(), data.len());
    out.reserve(unit_len(lens.iter().map(|&l| l as usize)));
    let mut rest = data;
    let parts = lens.iter().map(|&l| {
        let (e, tail) = rest.split_at(l as usize);
        rest = tail;
        e
    });
    encode_unit(out, first_lsn, ExactParts(parts, lens.len()));
}

/// An iterator with a known length (for `encode_unit`).
struct ExactParts<I>(I, usize);

impl<'a, I: Iterator<Item = &'a [u8]>> Iterator for ExactParts<I> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let n = self.0.next();
        if n.is_some() {
            self.1 -= 1;
        }
        n
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.1, Some(self.1))
    }
}

impl<'a, I: Iterator<Item = &'a [u8]>> ExactSizeIterator for ExactParts<I> {}

/// Iterator over the payloads of a batch body. Construction checks the layout.
#[derive(Debug, Clone)]
pub(crate) struct BatchEntries<'a> {
    lens: &'a [u8],
    data: &'a [u8],
}

impl<'a> BatchEntries<'a> {
    pub fn new(body: &'a [u8]) -> Option<Self> {
        let count = u32::from_le_bytes(body.get(0..4)?.try_into().ok()?) as usize;
        if count == 0 {
            return None;
        }
        let lens_end = 4usize.checked_add(count.checked_mul(4)?)?;
        let lens = body.get(4..lens_end)?;
        let data = &body[lens_end..];
        let mut total = 0usize;
        for chunk in lens.chunks_exact(4) {
            let l = u32::from_le_bytes(chunk.try_into().ok()?) as usize;
            if l > MAX_ENTRY_SIZE {
                return None;
            }
            total = total.checked_add(l)?;
        }
        if total != data.len() {
            return None;
        }
        Some(BatchEntries { lens, data })
    }
}

impl<'a> Iterator for BatchEntries<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let (l, rest) = self.lens.split_first_chunk::<4>()?;
        self.lens = rest;
        let (entry, rest) = self.data.split_at(u32::from_le_bytes(*l) as usize);
        self.data = rest;
        Some(entry)
    }
}

/// One decoded frame of a byte slice (used by fuzzing and tools).
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded<'a> {
    /// A valid frame: LSN of its first entry, its entries, and its total length in bytes.
    Frame {
        /// LSN of the first entry.
        first_lsn: u64,
        /// The payloads, in LSN order.
        entries: Vec<&'a [u8]>,
        /// Header plus body length.
        frame_len: usize,
    },
    /// Fewer than 16 bytes, or a length pointing past the end of the slice.
    Incomplete,
    /// A complete frame that fails its checks (length limit, CRC, batch layout, LSN 0).
    Damaged,
}

/// The whole length (header and body) that the frame starting with `header` declares, or
/// `None` when its length field is over the limit of its kind (so no valid frame starts
/// there). Reads the header only and verifies nothing: it says how many bytes to read
/// before [`decode`]. Costs a few integer operations.
pub fn declared_len(header: &[u8; FRAME_HEADER_SIZE]) -> Option<usize> {
    let h = Header::parse(header);
    h.len_ok().then(|| FRAME_HEADER_SIZE + h.len as usize)
}

/// Decode the frame at the start of `bytes`. Never panics and never allocates more than
/// the entry pointers of one batch.
pub fn decode(bytes: &[u8]) -> Decoded<'_> {
    if bytes.len() < FRAME_HEADER_SIZE {
        return Decoded::Incomplete;
    }
    let h = Header::parse(bytes);
    if !h.len_ok() {
        return Decoded::Damaged;
    }
    let end = FRAME_HEADER_SIZE + h.len as usize;
    let Some(body) = bytes.get(FRAME_HEADER_SIZE..end) else {
        return Decoded::Incomplete;
    };
    if verify(&h, body).is_none() {
        return Decoded::Damaged;
    }
    let entries = if h.is_batch() {
        BatchEntries::new(body)
            .map(|b| b.collect())
            .unwrap_or_default()
    } else {
        vec![&body[h.payload_start()..]]
    };
    Decoded::Frame {
        first_lsn: h.first_lsn(),
        entries,
        frame_len: end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_len_reads_the_length_field_within_the_limit_of_the_kind() {
        let f = plain(7, b"hello");
        let header: &[u8; FRAME_HEADER_SIZE] = f[..FRAME_HEADER_SIZE].try_into().unwrap();
        assert_eq!(declared_len(header), Some(f.len()));
        // A plain frame may not declare more than one entry's limit; a batch frame may.
        let mut over = *header;
        over[0..4].copy_from_slice(&(MAX_ENTRY_SIZE as u32 + 1).to_le_bytes());
        assert_eq!(declared_len(&over), None);
        over[8..16].copy_from_slice(&(BATCH_FLAG | 7).to_le_bytes());
        assert_eq!(
            declared_len(&over),
            Some(FRAME_HEADER_SIZE + MAX_ENTRY_SIZE + 1)
        );
        over[0..4].copy_from_slice(&(MAX_BATCH_SIZE as u32 + 1).to_le_bytes());
        assert_eq!(declared_len(&over), None);
    }

    fn plain(lsn: u64, data: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        encode_plain(&mut v, lsn, data);
        v
    }

    #[test]
    fn plain_frame_is_the_01_layout() {
        let f = plain(42, b"hello");
        assert_eq!(f.len(), 21);
        assert_eq!(&f[0..4], &5u32.to_le_bytes());
        assert_eq!(&f[8..16], &42u64.to_le_bytes());
        let mut h = crc32fast::Hasher::new();
        h.update(&5u32.to_le_bytes());
        h.update(&42u64.to_le_bytes());
        h.update(b"hello");
        assert_eq!(&f[4..8], &h.finalize().to_le_bytes());
        assert_eq!(
            decode(&f),
            Decoded::Frame {
                first_lsn: 42,
                entries: vec![b"hello".as_slice()],
                frame_len: 21
            }
        );
    }

    /// Decode every frame of `bytes`: `(lsn, payload, kind)`.
    fn frames(mut bytes: &[u8]) -> Vec<(u64, Vec<u8>, FrameKind)> {
        let mut out = Vec::new();
        while !bytes.is_empty() {
            let h = Header::parse(bytes);
            let end = FRAME_HEADER_SIZE + h.len as usize;
            let body = &bytes[FRAME_HEADER_SIZE..end];
            let kind = verify(&h, body).expect("a valid frame");
            out.push((h.first_lsn(), body[h.payload_start()..].to_vec(), kind));
            bytes = &bytes[end..];
        }
        out
    }

    #[test]
    fn a_unit_is_one_member_frame_per_entry_and_a_single_entry_is_plain() {
        let mut v = Vec::new();
        encode_entries(&mut v, 7, &[b"a".as_slice(), b"", b"ccc"]);
        assert_eq!(v.len(), unit_len([1, 0, 3].into_iter()));
        let got = frames(&v);
        assert_eq!(
            got,
            vec![
                (7, b"a".to_vec(), FrameKind::Member { index: 0, count: 3 }),
                (8, b"".to_vec(), FrameKind::Member { index: 1, count: 3 }),
                (9, b"ccc".to_vec(), FrameKind::Member { index: 2, count: 3 }),
            ]
        );
        assert_eq!(
            FrameKind::Member { index: 1, count: 3 }.unit(8),
            Some((7, 9))
        );
        // The public decoder sees each member as a one-entry frame.
        match decode(&v) {
            Decoded::Frame {
                first_lsn,
                entries,
                frame_len,
            } => {
                assert_eq!(
                    (first_lsn, entries, frame_len),
                    (7, vec![b"a".as_slice()], 25)
                );
            }
            other => panic!("{other:?}"),
        }
        let mut one = Vec::new();
        encode_entries(&mut one, 3, &[b"x"]);
        assert_eq!(one, plain(3, b"x"));
    }

    #[test]
    fn member_prefixes_that_cannot_be_are_damaged() {
        for (index, count, lsn) in [(0u32, 1u32, 5u64), (3, 3, 5), (5, 9, 5), (0, 0, 5)] {
            let mut body = Vec::new();
            body.extend_from_slice(&index.to_le_bytes());
            body.extend_from_slice(&count.to_le_bytes());
            body.extend_from_slice(b"xy");
            let field = lsn | MEMBER_FLAG;
            let len = (body.len() as u32).to_le_bytes();
            let mut f = Vec::new();
            f.extend_from_slice(&len);
            f.extend_from_slice(&crc_of(len, field.to_le_bytes(), &[&body]).to_le_bytes());
            f.extend_from_slice(&field.to_le_bytes());
            f.extend_from_slice(&body);
            assert_eq!(decode(&f), Decoded::Damaged, "{index}/{count} at {lsn}");
        }
    }

    #[test]
    fn packed_encoding_matches_entry_encoding() {
        let entries: [&[u8]; 4] = [b"a", b"", b"ccc", &[9; 300]];
        let lens: Vec<u32> = entries.iter().map(|e| e.len() as u32).collect();
        let data = entries.concat();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        encode_entries(&mut a, 11, &entries);
        encode_packed(&mut b, 11, &lens, &data);
        assert_eq!(a, b);
        let (mut one_a, mut one_b) = (Vec::new(), Vec::new());
        encode_entries(&mut one_a, 5, &[b"xyz"]);
        encode_packed(&mut one_b, 5, &[3], b"xyz");
        assert_eq!(one_a, one_b);
        assert_eq!(one_b, plain(5, b"xyz"));
    }

    #[test]
    fn every_single_bit_flip_is_detected() {
        let mut v = Vec::new();
        encode_entries(&mut v, 9, &[b"abc".as_slice(), b"defg"]);
        let first = FRAME_HEADER_SIZE + MEMBER_PREFIX + 3;
        for bit in 0..first * 8 {
            let mut d = v.clone();
            d[bit / 8] ^= 1 << (bit % 8);
            assert!(
                !matches!(decode(&d), Decoded::Frame { first_lsn: 9, .. }),
                "bit {bit} undetected"
            );
        }
    }

    #[test]
    fn short_and_oversize_inputs() {
        assert_eq!(decode(&[]), Decoded::Incomplete);
        assert_eq!(decode(&[0; 15]), Decoded::Incomplete);
        let mut h = vec![0u8; 16];
        h[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode(&h), Decoded::Damaged);
        let f = plain(1, b"hello");
        assert_eq!(decode(&f[..20]), Decoded::Incomplete);
        // All zeros (a preallocated tail) is never a frame.
        assert_eq!(decode(&[0u8; 64]), Decoded::Damaged);
    }

    #[test]
    fn malformed_batch_bodies_are_damaged() {
        for body in [
            vec![0u8; 4],                                      // count 0
            [2u32.to_le_bytes(), 1u32.to_le_bytes()].concat(), // lens missing
            [1u32.to_le_bytes(), 5u32.to_le_bytes()].concat(), // data missing
        ] {
            let lsn = 1 | BATCH_FLAG;
            let mut f = Vec::new();
            f.extend_from_slice(&(body.len() as u32).to_le_bytes());
            f.extend_from_slice(
                &crc_of(
                    (body.len() as u32).to_le_bytes(),
                    lsn.to_le_bytes(),
                    &[&body],
                )
                .to_le_bytes(),
            );
            f.extend_from_slice(&lsn.to_le_bytes());
            f.extend_from_slice(&body);
            assert_eq!(decode(&f), Decoded::Damaged);
        }
    }
}
