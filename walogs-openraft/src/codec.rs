//! The entry codec: how one Raft log entry (or one gap record) is laid out in a walogs entry.
//!
//! Every walogs entry written by this crate is one record, little-endian:
//!
//! | bytes            | field                                                          |
//! |------------------|----------------------------------------------------------------|
//! | `0..4`           | magic `b"WORE"` (walogs openraft entry)                        |
//! | `4`              | codec version, `1`                                             |
//! | `5`              | kind: `0` gap, `1` blank, `2` normal, `3` membership           |
//! | `6..14`          | Raft log index (`u64`); always the entry's LSN − 1             |
//! | `14..22`         | term of the leader that proposed it (`u64`)                    |
//! | `22..26`         | `n`, length of the leader node id (`u32`)                      |
//! | `26..26+n`       | leader node id, `bincode` 1 of `C::NodeId`                     |
//! | `26+n..`         | payload: `bincode` 1 of `C::D` (normal) or of the `Membership` (membership); empty for blank and gap |
//!
//! A gap record (kind 0) holds an index openraft never wrote (see the store's forward-jump
//! rule); its term is 0 and its node id is empty. Readers report a gap as "no entry".
//!
//! Costs: encoding is one allocation and the serde encoding of the payload; decoding checks the
//! fixed 26-byte header, then deserializes the node id and the payload.

use openraft::{CommittedLeaderId, Entry, EntryPayload, LogId, RaftTypeConfig};

/// First bytes of every record.
pub const ENTRY_MAGIC: [u8; 4] = *b"WORE";
/// The codec version this build writes and reads.
pub const ENTRY_CODEC_VERSION: u8 = 1;
/// Size of the fixed header (magic, version, kind, index, term, node id length).
pub const HEADER_LEN: usize = 26;

const KIND_GAP: u8 = 0;
const KIND_BLANK: u8 = 1;
const KIND_NORMAL: u8 = 2;
const KIND_MEMBERSHIP: u8 = 3;

/// Why a walogs entry is not a record of this codec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// Shorter than the fixed header.
    #[error("{len} bytes, shorter than the {HEADER_LEN}-byte record header")]
    Short {
        /// Its length.
        len: usize,
    },
    /// The first four bytes are not [`ENTRY_MAGIC`].
    #[error("magic {found:02x?} is not {ENTRY_MAGIC:02x?} (\"WORE\")")]
    BadMagic {
        /// The first bytes found.
        found: Vec<u8>,
    },
    /// A codec version this build does not read.
    #[error("codec version {0} is not supported (this build reads version {ENTRY_CODEC_VERSION})")]
    UnsupportedVersion(u8),
    /// A payload kind byte this build does not know.
    #[error("unknown payload kind {0}")]
    UnknownKind(u8),
    /// The node id length runs past the end of the record.
    #[error("node id of {len} bytes runs past the end of a {total}-byte record")]
    NodeIdOverrun {
        /// The recorded length.
        len: usize,
        /// The record's length.
        total: usize,
    },
    /// The serde encoding of the node id or the payload failed.
    #[error("serde encoding of the {what}: {reason}")]
    Serde {
        /// `node id`, `payload` or `membership`.
        what: &'static str,
        /// What bincode said.
        reason: String,
    },
}

/// One decoded record.
#[derive(Debug)]
pub enum Record<C: RaftTypeConfig> {
    /// A placeholder for an index openraft never wrote.
    Gap {
        /// Its index.
        index: u64,
    },
    /// A Raft log entry.
    Entry(Entry<C>),
}

/// The fixed header of a record: checked magic and version, its kind and index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Whether it is a gap record.
    pub gap: bool,
    /// The Raft index it records.
    pub index: u64,
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes inside the header"))
}

/// Check the fixed header (magic, version, kind) without decoding the rest.
pub fn decode_header(bytes: &[u8]) -> Result<Header, CodecError> {
    if bytes.len() < HEADER_LEN {
        if bytes.len() >= 4 && bytes[0..4] != ENTRY_MAGIC {
            return Err(CodecError::BadMagic {
                found: bytes[0..4].to_vec(),
            });
        }
        return Err(CodecError::Short { len: bytes.len() });
    }
    if bytes[0..4] != ENTRY_MAGIC {
        return Err(CodecError::BadMagic {
            found: bytes[0..4].to_vec(),
        });
    }
    if bytes[4] != ENTRY_CODEC_VERSION {
        return Err(CodecError::UnsupportedVersion(bytes[4]));
    }
    let kind = bytes[5];
    if kind > KIND_MEMBERSHIP {
        return Err(CodecError::UnknownKind(kind));
    }
    Ok(Header {
        gap: kind == KIND_GAP,
        index: u64_at(bytes, 6),
    })
}

fn header(out: &mut Vec<u8>, kind: u8, index: u64, term: u64, node_id: &[u8]) {
    out.extend_from_slice(&ENTRY_MAGIC);
    out.push(ENTRY_CODEC_VERSION);
    out.push(kind);
    out.extend_from_slice(&index.to_le_bytes());
    out.extend_from_slice(&term.to_le_bytes());
    out.extend_from_slice(&(node_id.len() as u32).to_le_bytes());
    out.extend_from_slice(node_id);
}

/// The record of a gap at `index`.
pub fn encode_gap(index: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN);
    header(&mut out, KIND_GAP, index, 0, &[]);
    out
}

fn serde_err(what: &'static str) -> impl FnOnce(bincode::Error) -> CodecError {
    move |e| CodecError::Serde {
        what,
        reason: e.to_string(),
    }
}

/// The record of `entry`.
pub fn encode_entry<C: RaftTypeConfig>(entry: &Entry<C>) -> Result<Vec<u8>, CodecError> {
    let log_id = &entry.log_id;
    let node = bincode::serialize(&log_id.leader_id.node_id).map_err(serde_err("node id"))?;
    let (kind, payload) = match &entry.payload {
        EntryPayload::Blank => (KIND_BLANK, Vec::new()),
        EntryPayload::Normal(d) => (
            KIND_NORMAL,
            bincode::serialize(d).map_err(serde_err("payload"))?,
        ),
        EntryPayload::Membership(m) => (
            KIND_MEMBERSHIP,
            bincode::serialize(m).map_err(serde_err("membership"))?,
        ),
    };
    let mut out = Vec::with_capacity(HEADER_LEN + node.len() + payload.len());
    header(&mut out, kind, log_id.index, log_id.leader_id.term, &node);
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Decode a record.
pub fn decode<C: RaftTypeConfig>(bytes: &[u8]) -> Result<Record<C>, CodecError> {
    let h = decode_header(bytes)?;
    if h.gap {
        return Ok(Record::Gap { index: h.index });
    }
    let term = u64_at(bytes, 14);
    let n = u32::from_le_bytes(bytes[22..26].try_into().expect("4 bytes")) as usize;
    let Some(payload_at) = HEADER_LEN.checked_add(n).filter(|&e| e <= bytes.len()) else {
        return Err(CodecError::NodeIdOverrun {
            len: n,
            total: bytes.len(),
        });
    };
    let node_id: C::NodeId =
        bincode::deserialize(&bytes[HEADER_LEN..payload_at]).map_err(serde_err("node id"))?;
    let body = &bytes[payload_at..];
    let payload = match bytes[5] {
        KIND_BLANK => EntryPayload::Blank,
        KIND_NORMAL => {
            EntryPayload::Normal(bincode::deserialize(body).map_err(serde_err("payload"))?)
        }
        _ => EntryPayload::Membership(bincode::deserialize(body).map_err(serde_err("membership"))?),
    };
    Ok(Record::Entry(Entry {
        log_id: LogId::new(CommittedLeaderId::new(term, node_id), h.index),
        payload,
    }))
}
