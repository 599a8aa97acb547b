//! Measurements: what one timed loop did ([`Sample`]), samples of the same kind merged
//! across rounds, and the figures derived from them ([`Measured`]).

use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use serde::Serialize;

/// What one timed loop did.
#[derive(Debug, Default)]
pub struct Sample {
    /// Entries made durable.
    pub entries: u64,
    /// fdatasyncs issued.
    pub syncs: u64,
    /// Wall time of the loop.
    pub elapsed: Duration,
    /// Latency of each operation (one append, one batch, one raw write+sync).
    pub lat: Vec<Duration>,
}

impl Sample {
    /// Add another loop's counts, time and latencies.
    pub fn merge(&mut self, o: Sample) {
        self.entries += o.entries;
        self.syncs += o.syncs;
        self.elapsed += o.elapsed;
        self.lat.extend(o.lat);
    }
}

/// The figures of one kind of measurement, over all its rounds.
#[derive(Debug, Clone, Serialize)]
pub struct Measured {
    /// Short machine name (`raw_append`, `wal_append`, ...).
    pub name: &'static str,
    /// What was measured, for people.
    pub label: String,
    /// Entries made durable.
    pub entries: u64,
    /// fdatasyncs issued (counted at the file-system seam for walogs).
    pub syncs: u64,
    /// Wall time of the loops in seconds.
    pub secs: f64,
    /// Entries per second.
    pub entries_per_sec: f64,
    /// fdatasyncs per second.
    pub syncs_per_sec: f64,
    /// Median latency of one operation in microseconds.
    pub p50_us: Option<f64>,
    /// 99th-percentile latency in microseconds.
    pub p99_us: Option<f64>,
}

impl Measured {
    /// Derive the figures of `s`. Costs a sort of the latencies.
    pub fn new(name: &'static str, label: String, mut s: Sample) -> Self {
        let secs = s.elapsed.as_secs_f64().max(1e-9);
        s.lat.sort_unstable();
        let pct = |p: f64| -> Option<f64> {
            if s.lat.is_empty() {
                return None;
            }
            let i = ((s.lat.len() - 1) as f64 * p).round() as usize;
            Some(s.lat[i].as_secs_f64() * 1e6)
        };
        Measured {
            name,
            label,
            entries: s.entries,
            syncs: s.syncs,
            secs,
            entries_per_sec: s.entries as f64 / secs,
            syncs_per_sec: s.syncs as f64 / secs,
            p50_us: pct(0.5),
            p99_us: pct(0.99),
        }
    }
}

/// Runs a loop body until a deadline, timing each call and moving a progress bar whose
/// unit is milliseconds of the whole benchmark.
pub struct Timer {
    start: Instant,
    deadline: Instant,
    lat: Vec<Duration>,
    pb: ProgressBar,
    base_ms: u64,
}

impl Timer {
    /// Start a timer of `dur`; the bar shows `base_ms` plus the time elapsed.
    pub fn start(dur: Duration, pb: &ProgressBar, base_ms: u64) -> Self {
        let start = Instant::now();
        Timer {
            start,
            deadline: start + dur,
            lat: Vec::new(),
            pb: pb.clone(),
            base_ms,
        }
    }

    /// Run `op` repeatedly until the deadline, recording each call's latency; stops at the
    /// first error and returns it.
    pub fn run<E>(&mut self, mut op: impl FnMut() -> Result<(), E>) -> Result<(), E> {
        let mut n = 0u64;
        loop {
            let t = Instant::now();
            if t >= self.deadline {
                break;
            }
            op()?;
            self.lat.push(t.elapsed());
            n += 1;
            if n.is_multiple_of(64) {
                self.tick();
            }
        }
        Ok(())
    }

    /// Whether the deadline has passed (for loops timed elsewhere, e.g. by threads).
    pub fn expired(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Move the bar to the current time.
    pub fn tick(&self) {
        self.pb
            .set_position(self.base_ms + self.start.elapsed().as_millis() as u64);
    }

    /// Stop: a sample with these counts, the elapsed time and the recorded latencies.
    pub fn finish(self, entries: u64, syncs: u64) -> Sample {
        Sample {
            entries,
            syncs,
            elapsed: self.start.elapsed(),
            lat: self.lat,
        }
    }

    /// Like [`Timer::finish`], with latencies recorded elsewhere.
    pub fn finish_with(self, entries: u64, syncs: u64, lat: Vec<Duration>) -> Sample {
        Sample {
            entries,
            syncs,
            elapsed: self.start.elapsed(),
            lat,
        }
    }
}
