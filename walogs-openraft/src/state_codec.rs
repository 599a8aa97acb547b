//! The store's durable state (vote, committed log id, last purged log id), kept in the walogs
//! user data (`set_user_data`, at most 64 KiB, replaced atomically and durably).
//!
//! Layout, little-endian:
//!
//! | bytes  | field                                                                      |
//! |--------|----------------------------------------------------------------------------|
//! | `0..4` | magic `b"WORS"` (walogs openraft state)                                    |
//! | `4`    | codec version, `1`                                                         |
//! | `5`    | presence flags: bit 0 vote, bit 1 committed, bit 2 last purged             |
//! | then   | vote, if present: term `u64`, committed `u8` (0/1), node id                |
//! | then   | committed log id, if present: term `u64`, node id, index `u64`             |
//! | then   | last purged log id, if present: term `u64`, node id, index `u64`           |
//!
//! A node id is its length (`u32`) then its `bincode` 1 encoding. Nothing may follow the last
//! field. Empty user data (a fresh directory) is the empty state.
//!
//! Costs: a few dozen bytes; encoding and decoding are a handful of copies.

use openraft::{CommittedLeaderId, LeaderId, LogId, NodeId, Vote};

/// First bytes of the state.
pub const STATE_MAGIC: [u8; 4] = *b"WORS";
/// The state codec version this build writes and reads.
pub const STATE_CODEC_VERSION: u8 = 1;

const HAS_VOTE: u8 = 1;
const HAS_COMMITTED: u8 = 2;
const HAS_PURGED: u8 = 4;

/// Why the user data is not a state of this codec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StateCodecError {
    /// The first bytes are not [`STATE_MAGIC`].
    #[error("the first bytes {found:02x?} are not the state magic \"WORS\"")]
    BadMagic {
        /// Up to the first four bytes found.
        found: Vec<u8>,
    },
    /// A version this build does not read.
    #[error(
        "state codec version {0} is not supported (this build reads version {STATE_CODEC_VERSION})"
    )]
    UnsupportedVersion(u8),
    /// Flags this build does not know.
    #[error("unknown state flags {0:#04x}")]
    UnknownFlags(u8),
    /// The value ends inside a field, or bytes follow the last one.
    #[error("malformed state: {0}")]
    Malformed(String),
}

/// What the user data holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredState<NID: NodeId> {
    /// The last saved vote.
    pub vote: Option<Vote<NID>>,
    /// The last saved committed log id.
    pub committed: Option<LogId<NID>>,
    /// The last purged log id (the log's floor, with the term openraft needs).
    pub purged: Option<LogId<NID>>,
}

impl<NID: NodeId> Default for StoredState<NID> {
    fn default() -> Self {
        StoredState {
            vote: None,
            committed: None,
            purged: None,
        }
    }
}

fn put_node<NID: NodeId>(out: &mut Vec<u8>, node: &NID) -> Result<(), StateCodecError> {
    let b = bincode::serialize(node)
        .map_err(|e| StateCodecError::Malformed(format!("node id does not encode: {e}")))?;
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(&b);
    Ok(())
}

fn put_log_id<NID: NodeId>(out: &mut Vec<u8>, id: &LogId<NID>) -> Result<(), StateCodecError> {
    out.extend_from_slice(&id.leader_id.term.to_le_bytes());
    put_node(out, &id.leader_id.node_id)?;
    out.extend_from_slice(&id.index.to_le_bytes());
    Ok(())
}

impl<NID: NodeId> StoredState<NID> {
    /// The user data bytes of this state.
    pub fn encode(&self) -> Result<Vec<u8>, StateCodecError> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(&STATE_MAGIC);
        out.push(STATE_CODEC_VERSION);
        let flags = (self.vote.is_some() as u8 * HAS_VOTE)
            | (self.committed.is_some() as u8 * HAS_COMMITTED)
            | (self.purged.is_some() as u8 * HAS_PURGED);
        out.push(flags);
        if let Some(v) = &self.vote {
            out.extend_from_slice(&v.leader_id.term.to_le_bytes());
            out.push(v.committed as u8);
            put_node(&mut out, &v.leader_id.node_id)?;
        }
        if let Some(c) = &self.committed {
            put_log_id(&mut out, c)?;
        }
        if let Some(p) = &self.purged {
            put_log_id(&mut out, p)?;
        }
        Ok(out)
    }

    /// Decode user data bytes; empty bytes are the empty state.
    pub fn decode(bytes: &[u8]) -> Result<Self, StateCodecError> {
        if bytes.is_empty() {
            return Ok(Self::default());
        }
        if bytes.len() < 6 || bytes[0..4] != STATE_MAGIC {
            return Err(StateCodecError::BadMagic {
                found: bytes[..bytes.len().min(4)].to_vec(),
            });
        }
        if bytes[4] != STATE_CODEC_VERSION {
            return Err(StateCodecError::UnsupportedVersion(bytes[4]));
        }
        let flags = bytes[5];
        if flags & !(HAS_VOTE | HAS_COMMITTED | HAS_PURGED) != 0 {
            return Err(StateCodecError::UnknownFlags(flags));
        }
        let mut r = Reader { b: bytes, at: 6 };
        let vote = if flags & HAS_VOTE != 0 {
            let term = r.u64("vote term")?;
            let committed = match r.u8("vote committed flag")? {
                0 => false,
                1 => true,
                x => {
                    return Err(StateCodecError::Malformed(format!(
                        "vote committed flag is {x}, not 0 or 1"
                    )));
                }
            };
            let node = r.node("vote node id")?;
            Some(Vote {
                leader_id: LeaderId::new(term, node),
                committed,
            })
        } else {
            None
        };
        let committed = if flags & HAS_COMMITTED != 0 {
            Some(r.log_id("committed log id")?)
        } else {
            None
        };
        let purged = if flags & HAS_PURGED != 0 {
            Some(r.log_id("purged log id")?)
        } else {
            None
        };
        if r.at != bytes.len() {
            return Err(StateCodecError::Malformed(format!(
                "{} bytes follow the last field",
                bytes.len() - r.at
            )));
        }
        Ok(StoredState {
            vote,
            committed,
            purged,
        })
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize, what: &str) -> Result<&[u8], StateCodecError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.b.len());
        let Some(end) = end else {
            return Err(StateCodecError::Malformed(format!(
                "the value ends inside the {what}"
            )));
        };
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u8(&mut self, what: &str) -> Result<u8, StateCodecError> {
        Ok(self.take(1, what)?[0])
    }
    fn u64(&mut self, what: &str) -> Result<u64, StateCodecError> {
        Ok(u64::from_le_bytes(
            self.take(8, what)?.try_into().expect("8 bytes"),
        ))
    }
    fn node<NID: NodeId>(&mut self, what: &str) -> Result<NID, StateCodecError> {
        let n = u32::from_le_bytes(self.take(4, what)?.try_into().expect("4 bytes")) as usize;
        let b = self.take(n, what)?;
        bincode::deserialize(b)
            .map_err(|e| StateCodecError::Malformed(format!("{what} does not decode: {e}")))
    }
    fn log_id<NID: NodeId>(&mut self, what: &str) -> Result<LogId<NID>, StateCodecError> {
        let term = self.u64(what)?;
        let node = self.node(what)?;
        let index = self.u64(what)?;
        Ok(LogId::new(CommittedLeaderId::new(term, node), index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_round_trips() {
        let s = StoredState::<u64> {
            vote: Some(Vote::new_committed(7, 3)),
            committed: Some(LogId::new(CommittedLeaderId::new(6, 2), 41)),
            purged: Some(LogId::new(CommittedLeaderId::new(5, 1), 20)),
        };
        let b = s.encode().unwrap();
        assert_eq!(&b[0..4], b"WORS");
        assert_eq!(StoredState::<u64>::decode(&b).unwrap(), s);
        assert_eq!(
            StoredState::<u64>::decode(&[]).unwrap(),
            StoredState::default()
        );
    }

    #[test]
    fn damaged_values_are_refused() {
        let s = StoredState::<u64> {
            vote: Some(Vote::new(7, 3)),
            ..Default::default()
        };
        let b = s.encode().unwrap();
        assert!(matches!(
            StoredState::<u64>::decode(&b[..b.len() - 1]),
            Err(StateCodecError::Malformed(_))
        ));
        let mut longer = b.clone();
        longer.push(0);
        assert!(matches!(
            StoredState::<u64>::decode(&longer),
            Err(StateCodecError::Malformed(_))
        ));
        assert!(matches!(
            StoredState::<u64>::decode(b"raft-state"),
            Err(StateCodecError::BadMagic { .. })
        ));
        let mut v2 = b.clone();
        v2[4] = 2;
        assert_eq!(
            StoredState::<u64>::decode(&v2),
            Err(StateCodecError::UnsupportedVersion(2))
        );
    }
}
