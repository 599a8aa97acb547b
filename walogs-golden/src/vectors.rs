//! The recipes: how each golden vector is written, and what it must read back as.
//!
//! Every expectation is the recipe's own knowledge of what it wrote (entries, offsets from
//! frame sizes, the damage it made), never read back from the directory, except the raw log
//! entries of the streams store, whose encoding belongs to `walogs-streams` (its `streams`
//! section is the recipe's). Nothing here depends on the clock, the process or the machine,
//! so writing a recipe twice gives the same bytes.

use std::fs;
use std::path::Path;

use walogs_core::{Lsn, SharedWal, Wal, WalOptions, segment};
use walogs_streams::{ConsumerMode, NewRecord, StreamsOptions};

use crate::GoldenError;
use crate::frames::{self, batch_frame, member_len, plain_frame, plain_len};
use crate::model::{
    ConsumerExpected, Expected, ExpectedError, OpenMode, RecordExpected, Recovery, StreamsExpected,
    TopicExpected, hex,
};

/// One golden vector: its directory name under `tests/golden/` and how to write it.
#[derive(Debug, Clone, Copy)]
pub struct Recipe {
    /// Directory name.
    pub name: &'static str,
    /// Write the log into the (not yet existing) directory given and return what it must
    /// read back as.
    pub write: fn(&Path) -> Result<Expected, GoldenError>,
}

/// Every recipe, in the order the generator writes them.
pub const RECIPES: &[Recipe] = &[
    Recipe {
        name: "plain-frames",
        write: plain_frames,
    },
    Recipe {
        name: "batch-frames",
        write: batch_frames,
    },
    Recipe {
        name: "unit-frames",
        write: unit_frames,
    },
    Recipe {
        name: "purge-floor",
        write: purge_floor,
    },
    Recipe {
        name: "purge-past-end",
        write: purge_past_end,
    },
    Recipe {
        name: "cut-inside-unit",
        write: cut_inside_unit,
    },
    Recipe {
        name: "user-data",
        write: user_data,
    },
    Recipe {
        name: "streams",
        write: streams,
    },
    Recipe {
        name: "torn-tail",
        write: torn_tail,
    },
    Recipe {
        name: "torn-unit",
        write: torn_unit,
    },
    Recipe {
        name: "mid-log-damage",
        write: mid_log_damage,
    },
    Recipe {
        name: "completed-segment-damage",
        write: completed_segment_damage,
    },
    Recipe {
        name: "meta-damage",
        write: meta_damage,
    },
    Recipe {
        name: "v1-wal-log",
        write: v1_wal_log,
    },
];

/// The expectation of a log that opens: `entries` (bytes), clean tail, nothing migrated.
fn opens(description: &str, entries: &[(u64, Vec<u8>)], next_lsn: u64) -> Expected {
    Expected {
        description: description.to_string(),
        open: OpenMode::ReadOnly,
        entries: entries.iter().map(|(l, d)| (*l, hex(d))).collect(),
        first_lsn: Some(entries.first().map_or(next_lsn, |e| e.0)),
        next_lsn: Some(next_lsn),
        purged_up_to: Some(0),
        user_data: Some(String::new()),
        tail_truncated_at: None,
        error: None,
        recovery: Some(Recovery {
            tail_truncated_at: None,
            bytes_truncated: 0,
            migrated_v1: false,
        }),
        streams: None,
    }
}

/// The expectation of a log every open refuses with `damage` at `file`/`offset`.
fn refused(description: &str, damage: &str, file: &str, offset: u64) -> Expected {
    Expected {
        description: description.to_string(),
        open: OpenMode::ReadOnly,
        entries: Vec::new(),
        first_lsn: None,
        next_lsn: None,
        purged_up_to: None,
        user_data: None,
        tail_truncated_at: None,
        error: Some(ExpectedError {
            kind: "Corrupt".to_string(),
            damage: damage.to_string(),
            file: Some(file.to_string()),
            offset: Some(offset),
        }),
        recovery: None,
        streams: None,
    }
}

/// `(lsn, text)` for `lsn` in `range`, the text `{prefix}-{lsn}`.
fn numbered(prefix: &str, range: std::ops::RangeInclusive<u64>) -> Vec<(u64, Vec<u8>)> {
    range
        .map(|l| (l, format!("{prefix}-{l}").into_bytes()))
        .collect()
}

/// A writable log in `dir` with segments of `max_segment` bytes (the default when `None`).
fn wal(dir: &Path, max_segment: Option<u64>) -> Result<Wal, GoldenError> {
    Ok(WalOptions::new().max_segment_size(max_segment).open(dir)?)
}

/// Append each entry on its own (plain frames), checking the LSN it gets.
fn append_each(w: &mut Wal, entries: &[(u64, Vec<u8>)]) -> Result<(), GoldenError> {
    for (lsn, data) in entries {
        let got = w.append(data)?;
        if got != Lsn(*lsn) {
            return Err(GoldenError::Recipe(format!(
                "append got {got}, wanted {lsn}"
            )));
        }
    }
    Ok(())
}

/// Flip one bit of `file` at `offset`.
fn flip(file: &Path, offset: u64) -> Result<(), GoldenError> {
    let mut bytes = fs::read(file)?;
    let i = usize::try_from(offset).map_err(|_| GoldenError::Recipe("offset".into()))?;
    let b = bytes
        .get_mut(i)
        .ok_or_else(|| GoldenError::Recipe(format!("{} is shorter", file.display())))?;
    *b ^= 0x20;
    Ok(fs::write(file, bytes)?)
}

fn first_segment(dir: &Path) -> std::path::PathBuf {
    dir.join(segment::segment_filename(1))
}

fn plain_frames(dir: &Path) -> Result<Expected, GoldenError> {
    let mut entries = vec![(1, Vec::new()), (2, (0..=255).collect())];
    entries.extend(numbered("plain", 3..=20));
    let mut w = wal(dir, Some(256))?;
    append_each(&mut w, &entries)?;
    w.close()?;
    Ok(opens(
        "walogs 0.1 plain frames over several 256-byte segments: an empty entry, every byte value, then plain-3..plain-20",
        &entries,
        21,
    ))
}

fn batch_frames(dir: &Path) -> Result<Expected, GoldenError> {
    fs::create_dir(dir)?;
    let batch: [&[u8]; 3] = [b"batch-2", b"", b"batch-4"];
    let mut bytes = plain_frame(1, b"before");
    bytes.extend(batch_frame(2, &batch));
    bytes.extend(plain_frame(5, b"after"));
    fs::write(first_segment(dir), bytes)?;
    let mut entries = vec![(1, b"before".to_vec())];
    entries.extend((2..).zip(batch.iter().map(|b| b.to_vec())));
    entries.push((5, b"after".to_vec()));
    Ok(opens(
        "a batch frame (format extension 1, written by early 0.2 builds, read but no longer written) between two plain frames",
        &entries,
        6,
    ))
}

fn unit_frames(dir: &Path) -> Result<Expected, GoldenError> {
    let mut w = wal(dir, None)?;
    let mut entries = vec![(1, b"single".to_vec())];
    w.append(b"single")?;
    let batch = numbered("batch", 2..=4);
    w.append_batch(&batch.iter().map(|e| &e.1).collect::<Vec<_>>())?;
    let many = numbered("many", 5..=7);
    w.append_many(&many.iter().map(|e| &e.1).collect::<Vec<_>>())?;
    w.close()?;
    entries.extend(batch);
    entries.extend(many);
    // A group commit: three entries queued, then written as one unit by the sync.
    let shared = SharedWal::open(dir)?;
    let group = numbered("group", 8..=10);
    let mut queued = Vec::new();
    for (_, data) in &group {
        queued.push(shared.append_queued(data)?);
    }
    shared.sync()?;
    for q in queued {
        q.wait()?;
    }
    shared.close()?;
    entries.extend(group);
    Ok(opens(
        "unit member frames (format extension 2): an atomic batch (2-4), an append_many chunk (5-7) and a group commit of three queued appends (8-10), after one plain frame",
        &entries,
        11,
    ))
}

fn purge_floor(dir: &Path) -> Result<Expected, GoldenError> {
    let all = numbered("purge", 1..=30);
    let mut w = wal(dir, Some(128))?;
    append_each(&mut w, &all)?;
    w.purge_up_to(Lsn(12))?;
    w.close()?;
    let mut e = opens(
        "walogs.meta version 2 with a purge floor: 30 entries over 128-byte segments, purged up to 12 (in the middle of a segment)",
        &all[12..],
        31,
    );
    e.purged_up_to = Some(12);
    Ok(e)
}

fn purge_past_end(dir: &Path) -> Result<Expected, GoldenError> {
    let mut w = wal(dir, None)?;
    append_each(&mut w, &numbered("gone", 1..=5))?;
    w.purge_up_to(Lsn(40))?;
    w.close()?;
    let mut e = opens(
        "a purge past the end (5 entries, purged up to 40): an empty log that restarts at LSN 41",
        &[],
        41,
    );
    e.purged_up_to = Some(40);
    Ok(e)
}

fn cut_inside_unit(dir: &Path) -> Result<Expected, GoldenError> {
    let all = numbered("cut", 1..=4);
    let mut w = wal(dir, None)?;
    w.append_batch(&all.iter().map(|e| &e.1).collect::<Vec<_>>())?;
    w.truncate_after(Lsn(2))?;
    w.close()?;
    Ok(opens(
        "a cut record: an atomic batch of 4 truncated after its second entry (walogs.meta version 2 records the deliberate cut, so the short unit is not a torn one)",
        &all[..2],
        3,
    ))
}

fn user_data(dir: &Path) -> Result<Expected, GoldenError> {
    let all = numbered("ud", 1..=4);
    let value = b"term=7;vote=2\x00\xff".to_vec();
    let mut w = wal(dir, None)?;
    append_each(&mut w, &all[..3])?;
    w.set_user_data(b"replaced")?;
    w.set_user_data(&value)?;
    append_each(&mut w, &all[3..])?;
    w.close()?;
    let mut e = opens(
        "the user data file (walogs.user): set twice (the second value, with a NUL and a 0xff byte, is current) among 4 entries",
        &all,
        5,
    );
    e.user_data = Some(hex(&value));
    Ok(e)
}

/// One record the streams recipe appends.
struct Rec {
    topic: &'static str,
    data: &'static [u8],
    header: &'static [u8],
    timestamp_ms: u64,
}

fn streams(dir: &Path) -> Result<Expected, GoldenError> {
    const BASE: u64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
    let orders = [
        Rec {
            topic: "orders",
            data: b"order-1",
            header: b"content-type=text",
            timestamp_ms: BASE,
        },
        Rec {
            topic: "orders",
            data: b"order-2",
            header: b"",
            timestamp_ms: BASE + 1_000,
        },
        Rec {
            topic: "orders",
            data: b"\x00order-3\xff",
            header: b"h\x00",
            timestamp_ms: BASE + 2_000,
        },
    ];
    let audit = [
        Rec {
            topic: "audit",
            data: b"login",
            header: b"user=ann",
            timestamp_ms: BASE + 500,
        },
        Rec {
            topic: "audit",
            data: b"",
            header: b"",
            timestamp_ms: BASE + 1_500,
        },
    ];
    let new = |r: &Rec| NewRecord {
        data: r.data,
        header: r.header,
        timestamp_ms: Some(r.timestamp_ms),
    };
    let s = StreamsOptions::new().open(dir)?;
    s.append_record("orders", new(&orders[0]))?;
    s.append_record("audit", new(&audit[0]))?;
    s.append_batch("orders", &[new(&orders[1]), new(&orders[2])])?;
    s.append_record("audit", new(&audit[1]))?;
    let mut billing = s.consumer("orders", "billing", ConsumerMode::Strict)?;
    billing.next(Some(std::time::Duration::ZERO))?;
    billing.next(Some(std::time::Duration::ZERO))?;
    billing.close()?;
    let mut archiver = s.consumer(
        "audit",
        "archiver",
        ConsumerMode::AtLeastOnce { persist_every: 10 },
    )?;
    archiver.next(Some(std::time::Duration::ZERO))?;
    archiver.close()?;
    s.close()?;

    let topic = |name: &str, recs: &[Rec]| TopicExpected {
        name: name.to_string(),
        first_lsn: 1,
        next_lsn: recs.len() as u64 + 1,
        records: (1..)
            .zip(recs)
            .map(|(lsn, r)| RecordExpected {
                lsn,
                timestamp_ms: r.timestamp_ms,
                data: hex(r.data),
                header: hex(r.header),
            })
            .collect(),
    };
    debug_assert!(orders.iter().chain(&audit).all(|r| !r.topic.is_empty()));
    let log = raw_entries(dir)?;
    let next = log.last().map_or(1, |e| e.0 + 1);
    let mut e = opens(
        "a walogs-streams store: topics audit and orders (headers, injected timestamps, an atomic batch), a strict consumer at 3 and an at-least-once consumer at 2",
        &log,
        next,
    );
    e.user_data = Some(hex(b"walogs-streams\0v1"));
    e.streams = Some(StreamsExpected {
        topics: vec![topic("audit", &audit), topic("orders", &orders)],
        consumers: vec![
            ConsumerExpected {
                topic: "audit".into(),
                name: "archiver".into(),
                mode: "at_least_once".into(),
                persist_every: 10,
                position: 2,
            },
            ConsumerExpected {
                topic: "orders".into(),
                name: "billing".into(),
                mode: "strict".into(),
                persist_every: 0,
                position: 3,
            },
        ],
    });
    Ok(e)
}

/// The raw entries of the log in `dir` (read-only open).
fn raw_entries(dir: &Path) -> Result<Vec<(u64, Vec<u8>)>, GoldenError> {
    let w = WalOptions::new().read_only(true).open(dir)?;
    w.iter()
        .map(|r| r.map(|(l, d)| (l.0, d)).map_err(GoldenError::from))
        .collect()
}

/// Cut the first segment file to `len` bytes (a write that was torn there).
fn cut_first_segment(dir: &Path, len: u64) -> Result<(), GoldenError> {
    fs::OpenOptions::new()
        .write(true)
        .open(first_segment(dir))?
        .set_len(len)?;
    Ok(())
}

/// `e` for a log whose torn tail starts at `at` in a file of `len` bytes: a read-only open
/// reports it there, a writable open cuts `len - at` bytes.
fn torn_at(mut e: Expected, at: u64, len: u64) -> Expected {
    e.tail_truncated_at = Some(at);
    e.recovery = Some(Recovery {
        tail_truncated_at: Some(at),
        bytes_truncated: len - at,
        migrated_v1: false,
    });
    e
}

fn torn_tail(dir: &Path) -> Result<Expected, GoldenError> {
    let all = numbered("torn", 1..=4);
    let mut w = wal(dir, None)?;
    append_each(&mut w, &all)?;
    w.close()?;
    let at: u64 = all[..3].iter().map(|e| plain_len(e.1.len())).sum();
    let len = at + plain_len(all[3].1.len()) - 5;
    cut_first_segment(dir, len)?;
    let e = opens(
        "a torn tail: the last of 4 plain frames lost its last 5 bytes; a read-only open reports it, a writable open cuts it",
        &all[..3],
        4,
    );
    Ok(torn_at(e, at, len))
}

fn torn_unit(dir: &Path) -> Result<Expected, GoldenError> {
    let all = numbered("unit", 1..=4);
    let mut w = wal(dir, None)?;
    w.append(&all[0].1)?;
    w.append_batch(&all[1..].iter().map(|e| &e.1).collect::<Vec<_>>())?;
    w.close()?;
    let at = plain_len(all[0].1.len());
    let len = at + member_len(all[1].1.len()) + member_len(all[2].1.len());
    cut_first_segment(dir, len)?;
    let e = opens(
        "a torn unit: the last member frame of an atomic batch of 3 is missing whole; the unit is cut as a whole",
        &all[..1],
        2,
    );
    Ok(torn_at(e, at, len))
}

fn mid_log_damage(dir: &Path) -> Result<Expected, GoldenError> {
    let all = numbered("mid", 1..=5);
    let mut w = wal(dir, None)?;
    append_each(&mut w, &all)?;
    w.close()?;
    let at = plain_len(all[0].1.len());
    flip(&first_segment(dir), at + frames::HEADER + 1)?;
    Ok(refused(
        "mid-log damage: one bit of the second of 5 plain frames flipped in the newest segment, acknowledged frames after it",
        "MidLog",
        &segment::segment_filename(1),
        at,
    ))
}

fn completed_segment_damage(dir: &Path) -> Result<Expected, GoldenError> {
    let all = numbered("done", 1..=12);
    let mut w = wal(dir, Some(64))?;
    append_each(&mut w, &all)?;
    w.close()?;
    let at = plain_len(all[0].1.len());
    flip(&first_segment(dir), at + frames::HEADER)?;
    Ok(refused(
        "damage in a completed segment: one bit of the second frame of wal-000001.log flipped, newer segments after it",
        "CompletedSegment",
        &segment::segment_filename(1),
        at,
    ))
}

fn meta_damage(dir: &Path) -> Result<Expected, GoldenError> {
    let mut w = wal(dir, None)?;
    append_each(&mut w, &numbered("meta", 1..=3))?;
    w.rotate()?;
    w.close()?;
    // A version-1 file is 36 bytes; its checksum is the last 4 and covers the rest.
    flip(&dir.join(walogs_core::META_FILENAME), 20)?;
    Ok(refused(
        "a damaged walogs.meta (version 1, one bit of the sealed LSN flipped): the checksum does not match",
        "Metadata",
        walogs_core::META_FILENAME,
        32,
    ))
}

fn v1_wal_log(dir: &Path) -> Result<Expected, GoldenError> {
    let entries = vec![
        (1, Vec::new()),
        (2, (0..=255).rev().collect()),
        (3, b"v1-3".to_vec()),
    ];
    let mut w = wal(dir, None)?;
    append_each(&mut w, &entries)?;
    w.close()?;
    fs::rename(first_segment(dir), dir.join(segment::V1_FILENAME))?;
    let mut e = opens(
        "walogs 0.1's single-file layout: plain frames in wal.log; a writable open migrates it to wal-000001.log",
        &entries,
        4,
    );
    e.recovery = Some(Recovery {
        tail_truncated_at: None,
        bytes_truncated: 0,
        migrated_v1: true,
    });
    Ok(e)
}
