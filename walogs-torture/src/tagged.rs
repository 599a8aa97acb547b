//! Payloads of concurrent appenders. A thread does not know the LSN of its entry before the
//! append returns, so these payloads are keyed by who wrote them instead: a [`Tag`] (child
//! run, thread, per-thread sequence number) in the first 16 bytes, then content derived from
//! the seed and the tag. The parent recognises every entry it reads back, whatever LSN it
//! landed at, and can tell an entry that was never written (or written twice) from a real one.
//! The content comes from the test kit's payload oracle ([`walogs_testkit::payload`]) keyed
//! by the tag.
//!
//! Why this is not the test kit's named payload (the simulator's concurrent harness uses
//! that): the simulator remembers every payload it wrote and compares bytes, while the
//! parent here never sees the child's writes and must parse the writer back out of the
//! bytes alone, so the tag is binary, fixed-size and checked against the content it keys.

use std::fmt;
use std::path::Path;

use walogs_core::{Lsn, TailState, WalError, WalOptions};

use walogs_testkit::{Rng, payload};

use crate::draw;
use crate::util::retry_locked;

/// Bytes of the tag at the start of every tagged payload.
pub const TAG_LEN: usize = 16;
/// Shortest tagged payload: the tag and 8 bytes of content derived from it, so that a
/// damaged tag is not taken for another one.
pub const MIN_LEN: usize = TAG_LEN + 8;

/// Who wrote an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag {
    /// The child process (the kill harness's run number; 0 in the sweep).
    pub run: u32,
    /// The appending thread.
    pub thread: u32,
    /// The thread's entry number (a batch of `c` entries takes `c` consecutive numbers).
    pub seq: u64,
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "run {} thread {} entry {}",
            self.run, self.thread, self.seq
        )
    }
}

impl Tag {
    fn key(&self) -> u64 {
        Rng::mix(
            (u64::from(self.run) << 32) | u64::from(self.thread),
            self.seq,
        )
    }
}

/// Which tagged payloads a run writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaggedSpec {
    /// Seed of contents and lengths.
    pub seed: u64,
    /// Largest payload (at least [`MIN_LEN`]).
    pub max_len: usize,
}

impl TaggedSpec {
    /// Payloads of `MIN_LEN..=max_len` bytes (log-uniform).
    pub fn new(seed: u64, max_len: usize) -> Self {
        TaggedSpec {
            seed,
            max_len: max_len.max(MIN_LEN),
        }
    }

    /// What the content of `tag` is keyed with (the oracle's "LSN", whose bytes it puts
    /// first): the tag mixed with the seed, so that even the shortest payloads of two seeds
    /// differ.
    fn content_key(&self, tag: Tag) -> u64 {
        Rng::mix(self.seed, tag.key())
    }

    /// Length of the payload of `tag` (log-uniform in `MIN_LEN..=max_len`).
    pub fn len(&self, tag: Tag) -> usize {
        let mut r = draw::stream(self.seed ^ 0x5441_4747, tag.key());
        draw::log_uniform(&mut r, MIN_LEN as u64, self.max_len as u64) as usize
    }

    /// The payload of `tag` (costs one pass over its bytes).
    pub fn payload(&self, tag: Tag) -> Vec<u8> {
        let mut v = vec![0; self.len(tag)];
        v[0..4].copy_from_slice(&tag.run.to_le_bytes());
        v[4..8].copy_from_slice(&tag.thread.to_le_bytes());
        v[8..16].copy_from_slice(&tag.seq.to_le_bytes());
        payload::fill(self.seed, self.content_key(tag), &mut v[TAG_LEN..]);
        v
    }

    /// The tag of `data` if it is exactly a payload this spec writes; `None` for anything
    /// else (wrong length, wrong content, no tag).
    pub fn recognise(&self, data: &[u8]) -> Option<Tag> {
        if data.len() < MIN_LEN {
            return None;
        }
        let tag = Tag {
            run: u32::from_le_bytes(data[0..4].try_into().ok()?),
            thread: u32::from_le_bytes(data[4..8].try_into().ok()?),
            seq: u64::from_le_bytes(data[8..16].try_into().ok()?),
        };
        (data.len() == self.len(tag)
            && payload::matches(self.seed, self.content_key(tag), &data[TAG_LEN..]))
        .then_some(tag)
    }
}

/// A log of tagged entries as a reopen sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedLog {
    /// `first_lsn()` after open.
    pub first: u64,
    /// `next_lsn()` after open.
    pub next: u64,
    /// `purged_up_to()` after open.
    pub floor: u64,
    /// What open found at the tail.
    pub tail: TailState,
    /// Every entry read, in LSN order: its LSN and its tag (`None`: not a tagged payload of
    /// this spec).
    pub entries: Vec<(u64, Option<Tag>)>,
    /// Payload bytes read.
    pub bytes: u64,
    /// An error met while iterating, or an LSN sequence that is not dense.
    pub read_error: Option<String>,
    /// `user_data()` (its error's text if it failed).
    pub user: Result<Vec<u8>, String>,
}

impl TaggedLog {
    /// Last LSN held (0 when nothing was ever written).
    pub fn last(&self) -> u64 {
        self.next.saturating_sub(1)
    }

    /// The tag at `lsn`, if the log holds that LSN (`Some(None)`: an unrecognised payload).
    pub fn at(&self, lsn: u64) -> Option<Option<Tag>> {
        let i = lsn.checked_sub(self.first)?;
        self.entries
            .get(usize::try_from(i).ok()?)
            .filter(|(l, _)| *l == lsn)
            .map(|(_, t)| *t)
    }
}

/// Open `dir` (read-only, so nothing changes, or writable, as a user's next open would), read
/// every entry and recognise it. Costs one pass over the log.
pub fn inspect_tagged(
    dir: &Path,
    spec: &TaggedSpec,
    writable: bool,
) -> Result<TaggedLog, WalError> {
    let opts = WalOptions::new()
        .read_only(!writable)
        .max_segment_size(None);
    let wal = retry_locked(|| opts.open(dir))?;
    let mut log = TaggedLog {
        first: wal.first_lsn().0,
        next: wal.next_lsn().0,
        floor: wal.purged_up_to().0,
        tail: wal.tail_state(),
        entries: Vec::new(),
        bytes: 0,
        read_error: None,
        user: wal.user_data().map_err(|e| e.to_string()),
    };
    let mut cursor = wal.cursor_from(Lsn(log.first))?;
    let mut expect = log.first;
    while let Some(item) = cursor.next_entry() {
        match item {
            Ok((lsn, data)) => {
                if lsn.0 != expect && log.read_error.is_none() {
                    log.read_error = Some(format!("LSN gap: expected {expect}, read {}", lsn.0));
                }
                log.entries.push((lsn.0, spec.recognise(data)));
                log.bytes += data.len() as u64;
                expect = lsn.0 + 1;
            }
            Err(e) => {
                log.read_error = Some(e.to_string());
                break;
            }
        }
    }
    if log.read_error.is_none() && expect != log.next {
        log.read_error = Some(format!(
            "iteration ended at LSN {expect}, next_lsn is {}",
            log.next
        ));
    }
    drop(cursor);
    if writable {
        wal.close()?;
    }
    Ok(log)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_recognised_by_tag_and_nothing_else_is() {
        let spec = TaggedSpec::new(9, 4000);
        let mut lens = Vec::new();
        for seq in 0..500 {
            let tag = Tag {
                run: 3,
                thread: (seq % 7) as u32,
                seq,
            };
            let p = spec.payload(tag);
            assert!((MIN_LEN..=4000).contains(&p.len()));
            lens.push(p.len());
            assert_eq!(spec.recognise(&p), Some(tag));
            for at in [0, 5, 9, TAG_LEN, p.len() - 1] {
                let mut q = p.clone();
                q[at] ^= 0x40;
                assert_eq!(spec.recognise(&q), None, "flip at {at}");
            }
            assert_eq!(spec.recognise(&p[..p.len() - 1]), None);
            assert_eq!(TaggedSpec::new(10, 4000).recognise(&p), None);
        }
        assert!(lens.contains(&MIN_LEN));
        assert!(lens.iter().any(|&l| l > 2000));
        assert_eq!(spec.recognise(b"short"), None);
    }
}
