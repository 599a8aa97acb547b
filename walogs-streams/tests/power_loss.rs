//! Power loss at every mutating file-system call of a scripted workload (appends, an
//! atomic batch, consumer registration, strict deliveries, cleanups with a reclaim), on the
//! simulated file system of `walogs-sim`, each crash resolved three ways (nothing pending
//! survives, everything does, a random mix). After each, the recovered store must hold
//! every acknowledged record that retention did not delete, byte for byte, with dense
//! LSNs; a batch all or nothing; floors and the strict consumer's position between what
//! the operations before and after the crash left.

use std::collections::BTreeMap;
use walogs_sim::{Disk, Resolution, SimFs};
use walogs_streams::{ConsumerMode, NewRecord, Streams, StreamsOptions};

const DIR: &str = "/store";

#[derive(Debug, Clone, Copy)]
enum Op {
    Append(&'static str),
    Batch(&'static str, usize),
    Register,
    StrictNext,
    Cleanup,
}

fn script() -> Vec<Op> {
    use Op::*;
    let mut ops = vec![
        Append("a"),
        Append("b"),
        Batch("a", 3),
        Register,
        StrictNext,
    ];
    for i in 0..10 {
        ops.push(Append(if i % 2 == 0 { "a" } else { "b" }));
    }
    ops.extend([
        Batch("b", 3),
        StrictNext,
        Cleanup,
        Append("a"),
        StrictNext,
        Cleanup,
    ]);
    ops
}

fn opts(fs: &SimFs) -> StreamsOptions {
    StreamsOptions::new()
        .max_segment_size(Some(4096))
        .max_topic_bytes(Some(800))
        .file_system(fs.handle())
}

/// What the store showed after an operation: per topic (first, next), and the strict
/// consumer's persisted position.
#[derive(Debug, Clone, Default)]
struct Shown {
    topics: BTreeMap<String, (u64, u64)>,
    position: Option<u64>,
}

fn shown(s: &Streams) -> Shown {
    Shown {
        topics: s
            .topics()
            .into_iter()
            .map(|t| (t.name, (t.first_lsn, t.next_lsn)))
            .collect(),
        position: s.consumers().first().map(|c| c.position),
    }
}

fn payload(topic: &str, n: usize) -> Vec<u8> {
    let mut v = format!("{topic}#{n}:").into_bytes();
    v.resize(400, b'a' + (n % 26) as u8);
    v
}

/// The recorded crash points and, per tag, the store before and after.
struct Run {
    snaps: Vec<(u64, Disk)>,
    states: Vec<Shown>,
    acked: BTreeMap<(String, u64), Vec<u8>>,
}

fn run() -> Run {
    let fs = SimFs::default();
    fs.record(true);
    fs.set_tag(0);
    let s = opts(&fs).open(DIR).unwrap();
    let mut states = vec![shown(&s)];
    let mut acked = BTreeMap::new();
    let mut consumer = None;
    let mut n = 0;
    let mut reclaimed = 0;
    for (i, op) in script().into_iter().enumerate() {
        fs.set_tag(i as u64 + 1);
        match op {
            Op::Append(t) => {
                n += 1;
                let d = payload(t, n);
                let lsn = s.append(t, &d).unwrap();
                acked.insert((t.to_string(), lsn), d);
            }
            Op::Batch(t, k) => {
                let data: Vec<Vec<u8>> = (0..k)
                    .map(|_| {
                        n += 1;
                        payload(t, n)
                    })
                    .collect();
                let recs: Vec<NewRecord> = data
                    .iter()
                    .map(|d| NewRecord {
                        data: d,
                        ..NewRecord::default()
                    })
                    .collect();
                let r = s.append_batch(t, &recs).unwrap();
                for (j, d) in data.into_iter().enumerate() {
                    acked.insert((t.to_string(), r.first + j as u64), d);
                }
            }
            Op::Register => consumer = Some(s.consumer("a", "c", ConsumerMode::Strict).unwrap()),
            Op::StrictNext => {
                let c = consumer.as_mut().unwrap();
                let r = c.next(None).unwrap().unwrap();
                assert_eq!(acked[&("a".to_string(), r.lsn)], r.data);
            }
            Op::Cleanup => reclaimed += s.cleanup().unwrap().bytes_reclaimed,
        }
        states.push(shown(&s));
    }
    assert!(reclaimed > 0, "the workload reclaims segment files");
    fs.set_tag(states.len() as u64);
    drop(consumer);
    s.close().unwrap();
    fs.record(false);
    let snaps = fs
        .take_snapshots()
        .into_iter()
        .map(|s| (s.tag, s.disk))
        .collect();
    Run {
        snaps,
        states,
        acked,
    }
}

fn check(run: &Run, tag: u64, disk: Disk) -> Result<(), String> {
    let last = run.states.len() - 1;
    let before = &run.states[(tag as usize).saturating_sub(1).min(last)];
    let after = &run.states[(tag as usize).min(last)];
    let fs = SimFs::new(disk);
    let s = opts(&fs).open(DIR).map_err(|e| format!("open: {e}"))?;
    let got = shown(&s);
    for (topic, &(first_after, next_after)) in &after.topics {
        let (first_before, next_before) = before.topics.get(topic).copied().unwrap_or((1, 1));
        let Some(&(first, next)) = got.topics.get(topic) else {
            if next_before == 1 {
                continue; // the first append, in flight, created the topic: lost with it
            }
            return Err(format!("{topic}: missing"));
        };
        if next != next_before && next != next_after {
            return Err(format!(
                "{topic}: next {next}, expected {next_before} or {next_after} (all or nothing)"
            ));
        }
        if first < first_before || first > first_after.max(first_before) {
            return Err(format!(
                "{topic}: first {first} outside {first_before}..={first_after}"
            ));
        }
        let recs = s
            .read_range(topic, first, usize::MAX, usize::MAX)
            .map_err(|e| format!("{topic}: read_range: {e}"))?;
        if recs.len() as u64 != next - first {
            return Err(format!(
                "{topic}: {} records in {first}..{next}",
                recs.len()
            ));
        }
        for r in &recs {
            if let Some(want) = run.acked.get(&(topic.clone(), r.lsn))
                && *want != r.data
            {
                return Err(format!("{topic} {}: wrong data", r.lsn));
            }
        }
        for ((t, lsn), _) in run.acked.range((topic.clone(), 0)..) {
            if t != topic {
                break;
            }
            if *lsn >= first && *lsn < next_before && recs.iter().all(|r| r.lsn != *lsn) {
                return Err(format!("{topic} {lsn}: acknowledged record missing"));
            }
        }
    }
    if let Some(pb) = before.position {
        let pa = after.position.unwrap_or(pb);
        match got.position {
            Some(p) if p >= pb && p <= pa => {}
            other => return Err(format!("position {other:?} outside {pb}..={pa}")),
        }
    }
    // The store takes appends where it says it will.
    let want = got.topics.get("a").map_or(1, |t| t.1);
    let lsn = s
        .append("a", b"after")
        .map_err(|e| format!("append: {e}"))?;
    if lsn != want {
        return Err(format!("append after recovery got {lsn}, expected {want}"));
    }
    s.close().map_err(|e| format!("close: {e}"))?;
    Ok(())
}

#[test]
fn power_loss_at_every_call_of_a_streams_workload() {
    let run = run();
    assert!(run.snaps.len() > 50, "{} crash points", run.snaps.len());
    let mut failures = Vec::new();
    for (i, (tag, disk)) in run.snaps.iter().enumerate() {
        for r in 0..3 {
            let res = Resolution::nth(r, 0x5eed ^ i as u64);
            if let Err(e) = check(&run, *tag, disk.crash(res)) {
                failures.push(format!("crash point {i} (op {tag}) {res:?}: {e}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
