//! The store's entry encoding: every entry of the underlying log is one of four kinds,
//! little-endian, first byte the kind (see `docs/streams.md`):
//!
//! - 1 data record: `[1][topic_id u32][topic_lsn u64][timestamp_ms u64][header_len u32][header][data]`
//! - 2 topic definition: `[2][topic_id u32][next_lsn u64][floor u64][name_len u16][name]`
//! - 3 consumer position: `[3][topic_id u32][mode u8][persist_every u32][position u64][name_len u16][name]`
//! - 4 topic floor: `[4][topic_id u32][floor u64]`
//!
//! The log's CRC covers every byte, so a decoding failure is a format problem, never a torn
//! write.

use crate::ConsumerMode;

const KIND_DATA: u8 = 1;
const KIND_TOPIC: u8 = 2;
const KIND_POSITION: u8 = 3;
const KIND_FLOOR: u8 = 4;

/// Bytes a data record's entry adds to its header and data.
pub(crate) const DATA_OVERHEAD: usize = 1 + 4 + 8 + 8 + 4;

/// One decoded entry, borrowing the bytes it was decoded from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Entry<'a> {
    /// A record of a topic.
    Data {
        topic: u32,
        lsn: u64,
        timestamp_ms: u64,
        header: &'a [u8],
        data: &'a [u8],
    },
    /// A topic's name and, when written, its next LSN and floor.
    Topic {
        topic: u32,
        next: u64,
        floor: u64,
        name: &'a str,
    },
    /// A consumer's persisted position (the LSN it reads next) and mode.
    Position {
        topic: u32,
        mode: ConsumerMode,
        position: u64,
        name: &'a str,
    },
    /// Retention raised a topic's floor: its records `<= floor` are deleted.
    Floor { topic: u32, floor: u64 },
}

/// Append the encoding of a data record to `out`.
pub(crate) fn encode_data(
    out: &mut Vec<u8>,
    topic: u32,
    lsn: u64,
    timestamp_ms: u64,
    header: &[u8],
    data: &[u8],
) {
    out.reserve(DATA_OVERHEAD + header.len() + data.len());
    out.push(KIND_DATA);
    out.extend_from_slice(&topic.to_le_bytes());
    out.extend_from_slice(&lsn.to_le_bytes());
    out.extend_from_slice(&timestamp_ms.to_le_bytes());
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(header);
    out.extend_from_slice(data);
}

/// The encoding of a topic definition.
pub(crate) fn encode_topic(topic: u32, next: u64, floor: u64, name: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + 4 + 8 + 8 + 2 + name.len());
    out.push(KIND_TOPIC);
    out.extend_from_slice(&topic.to_le_bytes());
    out.extend_from_slice(&next.to_le_bytes());
    out.extend_from_slice(&floor.to_le_bytes());
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
    out.extend_from_slice(name.as_bytes());
    out
}

/// The encoding of a consumer position.
pub(crate) fn encode_position(
    topic: u32,
    mode: ConsumerMode,
    position: u64,
    name: &str,
) -> Vec<u8> {
    let (m, every) = match mode {
        ConsumerMode::Strict => (0u8, 0u32),
        ConsumerMode::AtLeastOnce { persist_every } => (1u8, persist_every),
    };
    let mut out = Vec::with_capacity(1 + 4 + 1 + 4 + 8 + 2 + name.len());
    out.push(KIND_POSITION);
    out.extend_from_slice(&topic.to_le_bytes());
    out.push(m);
    out.extend_from_slice(&every.to_le_bytes());
    out.extend_from_slice(&position.to_le_bytes());
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
    out.extend_from_slice(name.as_bytes());
    out
}

/// The encoding of a floor entry.
pub(crate) fn encode_floor(topic: u32, floor: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + 4 + 8);
    out.push(KIND_FLOOR);
    out.extend_from_slice(&topic.to_le_bytes());
    out.extend_from_slice(&floor.to_le_bytes());
    out
}

/// A cursor over an entry's bytes; every take checks the length.
struct Bytes<'a> {
    rest: &'a [u8],
}

impl<'a> Bytes<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        if self.rest.len() < n {
            return Err(format!(
                "truncated entry: {what} needs {n} bytes, {} left",
                self.rest.len()
            ));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }
    fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.take(1, what)?[0])
    }
    fn u16(&mut self, what: &str) -> Result<u16, String> {
        Ok(u16::from_le_bytes(
            self.take(2, what)?.try_into().unwrap_or([0; 2]),
        ))
    }
    fn u32(&mut self, what: &str) -> Result<u32, String> {
        Ok(u32::from_le_bytes(
            self.take(4, what)?.try_into().unwrap_or([0; 4]),
        ))
    }
    fn u64(&mut self, what: &str) -> Result<u64, String> {
        Ok(u64::from_le_bytes(
            self.take(8, what)?.try_into().unwrap_or([0; 8]),
        ))
    }
    fn name(&mut self, what: &str) -> Result<&'a str, String> {
        let len = self.u16(what)? as usize;
        let bytes = self.take(len, what)?;
        let name = std::str::from_utf8(bytes).map_err(|_| format!("{what} is not UTF-8"))?;
        if name.is_empty() || name.len() > crate::MAX_TOPIC_NAME || name.contains('\0') {
            return Err(format!("{what} {name:?} is not a valid name"));
        }
        Ok(name)
    }
    fn end(&self) -> Result<(), String> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(format!("{} unexpected trailing bytes", self.rest.len()))
        }
    }
}

/// Decode one entry; the error is the reason it does not decode.
pub(crate) fn decode(bytes: &[u8]) -> Result<Entry<'_>, String> {
    let mut b = Bytes { rest: bytes };
    let kind = b.u8("kind")?;
    let topic = b.u32("topic id")?;
    let entry = match kind {
        KIND_DATA => {
            let lsn = b.u64("topic LSN")?;
            let timestamp_ms = b.u64("timestamp")?;
            let header_len = b.u32("header length")? as usize;
            if header_len > crate::MAX_HEADER {
                return Err(format!("header of {header_len} bytes is over the limit"));
            }
            let header = b.take(header_len, "header")?;
            let data = b.rest;
            b.rest = &[];
            if lsn == 0 {
                return Err("data record with topic LSN 0".into());
            }
            Entry::Data {
                topic,
                lsn,
                timestamp_ms,
                header,
                data,
            }
        }
        KIND_TOPIC => {
            let next = b.u64("next LSN")?;
            let floor = b.u64("floor")?;
            let name = b.name("topic name")?;
            if next == 0 || floor >= next {
                return Err(format!(
                    "topic {name:?}: floor {floor} is not below next LSN {next}"
                ));
            }
            Entry::Topic {
                topic,
                next,
                floor,
                name,
            }
        }
        KIND_POSITION => {
            let m = b.u8("consumer mode")?;
            let every = b.u32("persist_every")?;
            let position = b.u64("position")?;
            let name = b.name("consumer name")?;
            let mode = match (m, every) {
                (0, _) => ConsumerMode::Strict,
                (1, n) if n >= 1 => ConsumerMode::AtLeastOnce { persist_every: n },
                (1, _) => return Err("at-least-once consumer with persist_every 0".into()),
                (m, _) => return Err(format!("unknown consumer mode {m}")),
            };
            if position == 0 {
                return Err(format!("consumer {name:?} at position 0"));
            }
            Entry::Position {
                topic,
                mode,
                position,
                name,
            }
        }
        KIND_FLOOR => Entry::Floor {
            topic,
            floor: b.u64("floor")?,
        },
        k => return Err(format!("unknown entry kind {k}")),
    };
    b.end()?;
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips() {
        let mut d = Vec::new();
        encode_data(&mut d, 7, 42, 1234, b"hdr", b"payload");
        assert_eq!(d.len(), DATA_OVERHEAD + 3 + 7);
        assert_eq!(
            decode(&d).unwrap(),
            Entry::Data {
                topic: 7,
                lsn: 42,
                timestamp_ms: 1234,
                header: b"hdr",
                data: b"payload"
            }
        );
        let t = encode_topic(3, 10, 4, "a/b");
        assert_eq!(
            decode(&t).unwrap(),
            Entry::Topic {
                topic: 3,
                next: 10,
                floor: 4,
                name: "a/b"
            }
        );
        let mode = ConsumerMode::AtLeastOnce { persist_every: 9 };
        let p = encode_position(3, mode, 5, "c");
        assert_eq!(
            decode(&p).unwrap(),
            Entry::Position {
                topic: 3,
                mode,
                position: 5,
                name: "c"
            }
        );
        let f = encode_floor(3, 8);
        assert_eq!(decode(&f).unwrap(), Entry::Floor { topic: 3, floor: 8 });
    }

    #[test]
    fn damaged_entries_are_refused() {
        assert!(decode(&[]).is_err());
        assert!(decode(&[9, 0, 0, 0, 0]).is_err());
        let mut f = encode_floor(1, 2);
        f.push(0);
        assert!(decode(&f).is_err(), "trailing byte");
        let t = encode_topic(1, 5, 2, "x");
        assert!(decode(&t[..t.len() - 1]).is_err(), "short name");
        let p = encode_position(1, ConsumerMode::AtLeastOnce { persist_every: 0 }, 1, "c");
        assert!(decode(&p).is_err(), "persist_every 0");
        let mut d = Vec::new();
        encode_data(&mut d, 1, 1, 0, b"", b"");
        d[13 + 8] = 0xff; // header length past the end
        assert!(decode(&d).is_err());
    }
}
