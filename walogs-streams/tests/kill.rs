//! SIGKILL at random moments: a child process (this test binary, re-run with
//! `WALOGS_STREAMS_KILL_CHILD` set) appends to many topics, consumes one strictly and one
//! at-least-once, and runs cleanups, reporting every acknowledged record and every
//! delivered LSN on stdout as soon as the call returned. The parent kills it after a
//! random number of reports, reopens the store and checks: every acknowledged record not
//! deleted by retention is there byte for byte, LSNs are dense, the strict consumer's
//! persisted position is past everything it delivered, and the at-least-once consumer's is
//! at most `persist_every` back and never past what it delivered.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use walogs_streams::{ConsumerMode, Streams, StreamsOptions};
use walogs_testkit::Rng;

const CHILD_ENV: &str = "WALOGS_STREAMS_KILL_CHILD";
const TOPICS: u64 = 6;
const EVERY: u32 = 4;
const ALO: ConsumerMode = ConsumerMode::AtLeastOnce {
    persist_every: EVERY,
};

fn opts() -> StreamsOptions {
    StreamsOptions::new()
        .max_segment_size(Some(16 * 1024))
        .max_topic_bytes(Some(20_000))
}

/// The child's workload: runs until killed (or 100,000 steps).
#[test]
fn kill_child_workload() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let seed: u64 = std::env::var("WALOGS_STREAMS_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let mut rng = Rng::new(seed);
    let s = opts().open(&dir).unwrap();
    let out = std::io::stdout();
    let mut out = out.lock();
    let mut strict = None;
    let mut alo = None;
    for step in 0..100_000u64 {
        let topic = format!("t{}", rng.below(TOPICS));
        let data = format!(
            "{topic}/{seed}/{step}/{}",
            "x".repeat(rng.below(400) as usize)
        );
        let lsn = s.append(&topic, data.as_bytes()).unwrap();
        writeln!(out, "A {topic} {lsn} {data}").unwrap();
        out.flush().unwrap();
        if strict.is_none() && s.topic("t0").is_ok() {
            strict = Some(s.consumer("t0", "strict", ConsumerMode::Strict).unwrap());
            alo = Some(s.consumer("t0", "alo", ALO).unwrap());
        }
        if let (Some(c), Some(a)) = (strict.as_mut(), alo.as_mut()) {
            if let Some(r) = c.next(Some(std::time::Duration::ZERO)).unwrap() {
                writeln!(out, "S {}", r.lsn).unwrap();
            }
            if let Some(r) = a.next(Some(std::time::Duration::ZERO)).unwrap() {
                writeln!(out, "L {}", r.lsn).unwrap();
            }
            out.flush().unwrap();
        }
        if step % 40 == 39 {
            s.cleanup().unwrap();
        }
    }
}

#[test]
fn sigkill_at_random_moments_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(0x6b696c6c);
    let mut acked: HashMap<(String, u64), String> = HashMap::new();
    let mut strict_max = 0u64;
    let mut alo_max = 0u64;
    for round in 0..4u64 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "kill_child_workload",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
            .env("WALOGS_STREAMS_KILL_SEED", (round + 1).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let kill_after = 50 + rng.below(400);
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut seen = 0;
        let mut record = |line: &str| {
            let mut parts = line.splitn(4, ' ');
            match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some("A"), Some(t), Some(lsn), Some(data)) => {
                    acked.insert((t.to_string(), lsn.parse().unwrap()), data.to_string());
                }
                (Some("S"), Some(lsn), None, None) => {
                    strict_max = strict_max.max(lsn.parse().unwrap())
                }
                (Some("L"), Some(lsn), None, None) => alo_max = alo_max.max(lsn.parse().unwrap()),
                _ => {} // the test harness's own lines
            }
        };
        for line in lines.by_ref() {
            let line = line.unwrap();
            record(&line);
            if line.starts_with(['A', 'S', 'L']) {
                seen += 1;
                if seen >= kill_after {
                    break;
                }
            }
        }
        child.kill().unwrap(); // SIGKILL
        // What the child wrote before it died was acknowledged too.
        for line in lines {
            match line {
                Ok(l) => record(&l),
                Err(_) => break,
            }
        }
        child.wait().unwrap();

        let s = opts().open(dir.path()).unwrap();
        check(&s, &acked, strict_max, alo_max);
        s.close().unwrap();
    }
    assert!(acked.len() > 200, "{} records acknowledged", acked.len());
}

fn check(s: &Streams, acked: &HashMap<(String, u64), String>, strict_max: u64, alo_max: u64) {
    let topics: HashMap<String, (u64, u64)> = s
        .topics()
        .into_iter()
        .map(|t| (t.name, (t.first_lsn, t.next_lsn)))
        .collect();
    for t in topics.keys() {
        let (first, next) = topics[t];
        let recs = s.read_range(t, first, usize::MAX, usize::MAX).unwrap();
        assert_eq!(recs.len() as u64, next - first, "{t}: dense");
    }
    for ((t, lsn), data) in acked {
        let (first, next) = topics[t];
        assert!(
            *lsn < next,
            "{t} {lsn}: acknowledged but past the end {next}"
        );
        if *lsn >= first {
            assert_eq!(s.read(t, *lsn).unwrap().data, data.as_bytes(), "{t} {lsn}");
        }
    }
    for c in s.consumers() {
        match c.name.as_str() {
            "strict" => assert!(
                c.position > strict_max,
                "strict position {} would redeliver {strict_max}",
                c.position
            ),
            "alo" => {
                // The delivery after the last one reported may have been persisted too (at
                // the topic's first LSN if retention made it skip).
                let first = topics["t0"].0;
                assert!(
                    c.position <= (alo_max + 2).max(first + 1),
                    "alo position {} skips past {alo_max}",
                    c.position
                );
                assert!(
                    c.position + u64::from(EVERY) > alo_max || c.position < first,
                    "alo position {} more than {EVERY} behind {alo_max}",
                    c.position
                );
            }
            other => panic!("unexpected consumer {other}"),
        }
    }
}
