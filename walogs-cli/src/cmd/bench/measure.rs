//! One measurement: how many entries and syncs a loop did in how long, with latency
//! percentiles when each operation was timed.

use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use serde::Serialize;

/// The result of one measured loop.
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
    /// Wall time of the loop in seconds.
    pub secs: f64,
    /// Entries per second.
    pub entries_per_sec: f64,
    /// fdatasyncs per second.
    pub syncs_per_sec: f64,
    /// Median latency of one operation in microseconds (timed loops only).
    pub p50_us: Option<f64>,
    /// 99th-percentile latency in microseconds (timed loops only).
    pub p99_us: Option<f64>,
}

impl Measured {
    /// Build from counts, the elapsed time and the per-operation latencies (may be empty).
    pub fn new(
        name: &'static str,
        label: String,
        entries: u64,
        syncs: u64,
        elapsed: Duration,
        mut lat: Vec<Duration>,
    ) -> Self {
        let secs = elapsed.as_secs_f64().max(1e-9);
        lat.sort_unstable();
        let pct = |p: f64| -> Option<f64> {
            if lat.is_empty() {
                return None;
            }
            let i = ((lat.len() - 1) as f64 * p).round() as usize;
            Some(lat[i].as_secs_f64() * 1e6)
        };
        Measured {
            name,
            label,
            entries,
            syncs,
            secs,
            entries_per_sec: entries as f64 / secs,
            syncs_per_sec: syncs as f64 / secs,
            p50_us: pct(0.5),
            p99_us: pct(0.99),
        }
    }
}

/// Runs a loop body until a deadline, timing each call and moving a progress bar.
pub struct Timer {
    start: Instant,
    deadline: Instant,
    lat: Vec<Duration>,
    pb: ProgressBar,
}

impl Timer {
    /// Start a timer of `dur`, drawing on `pb` (a bar of milliseconds).
    pub fn start(dur: Duration, pb: ProgressBar) -> Self {
        let start = Instant::now();
        Timer {
            start,
            deadline: start + dur,
            lat: Vec::new(),
            pb,
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
                self.pb
                    .set_position(self.start.elapsed().as_millis() as u64);
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
            .set_position(self.start.elapsed().as_millis() as u64);
    }

    /// Stop: the elapsed time and the recorded latencies.
    pub fn finish(self) -> (Duration, Vec<Duration>) {
        self.pb.finish_and_clear();
        (self.start.elapsed(), self.lat)
    }
}
