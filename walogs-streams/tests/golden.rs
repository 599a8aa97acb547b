//! Every golden vector under `tests/golden/` opens as a streams store as its
//! `expected.json` says: a store's topics, records (data, header, timestamp) and consumer
//! positions; a log that held entries but is no store is `NotAStore`; damage is the core's `Corrupt`.
//! Opens are read-only, on copies.

use walogs_golden::Vector;
use walogs_golden::hex;
use walogs_golden::model::{ConsumerExpected, RecordExpected, StreamsExpected, TopicExpected};
use walogs_streams::{ConsumerMode, Streams, StreamsError, StreamsOptions, WalError};

/// Everything the store holds, as the vector spells it.
fn read_back(s: &Streams) -> StreamsExpected {
    let topics = s
        .topics()
        .into_iter()
        .map(|t| {
            let records = s
                .read_range(&t.name, t.first_lsn, usize::MAX, usize::MAX)
                .expect("read_range");
            TopicExpected {
                records: records
                    .into_iter()
                    .map(|r| RecordExpected {
                        lsn: r.lsn,
                        timestamp_ms: r.timestamp_ms,
                        data: hex(&r.data),
                        header: hex(&r.header),
                    })
                    .collect(),
                name: t.name,
                first_lsn: t.first_lsn,
                next_lsn: t.next_lsn,
            }
        })
        .collect();
    let mut consumers: Vec<_> = s
        .consumers()
        .into_iter()
        .map(|c| {
            let (mode, persist_every) = match c.mode {
                ConsumerMode::Strict => ("strict", 0),
                ConsumerMode::AtLeastOnce { persist_every } => ("at_least_once", persist_every),
            };
            ConsumerExpected {
                topic: c.topic,
                name: c.name,
                mode: mode.to_string(),
                persist_every,
                position: c.position,
            }
        })
        .collect();
    consumers.sort_by(|a, b| (&a.topic, &a.name).cmp(&(&b.topic, &b.name)));
    let mut out = StreamsExpected { topics, consumers };
    out.topics.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn check(v: &Vector) {
    let e = &v.expected;
    let (_t, dir) = v.copy().unwrap();
    let opened = StreamsOptions::new().read_only(true).open(&dir);
    match (&e.error, &e.streams, opened) {
        (Some(want), _, Err(StreamsError::Wal(err @ WalError::Corrupt { .. }))) => {
            let d = err.damage().unwrap();
            assert_eq!(format!("{:?}", d.kind), want.damage);
            assert_eq!((&d.file, d.offset), (&want.file, want.offset));
        }
        (None, Some(want), Ok(s)) => {
            assert_eq!(&read_back(&s), want);
            s.close().unwrap();
        }
        // A log that ever held an entry, or holds other user data, is not a store; a log
        // that never held anything (read-only: nothing written) opens as an empty one.
        (None, None, Err(StreamsError::NotAStore { .. }))
            if e.next_lsn > Some(1) || e.user_data.as_deref() != Some("") => {}
        (None, None, Ok(s)) if e.next_lsn == Some(1) => assert!(s.topics().is_empty()),
        (_, _, other) => panic!("unexpected open result: {other:?}"),
    }
}

#[test]
fn every_golden_vector_opens_as_a_store_as_expected() {
    let vectors = walogs_golden::vectors().unwrap();
    assert!(vectors.iter().any(|v| v.expected.streams.is_some()));
    for v in &vectors {
        if let Err(p) = std::panic::catch_unwind(|| check(v)) {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("vector {}: {msg}", v.name);
        }
    }
}
