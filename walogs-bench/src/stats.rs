//! Samples of timed rounds and their summaries.

use std::time::Duration;

/// One timed round: how many operations completed, how many payload bytes they carried,
/// and how long it took.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Operations completed (acknowledged appends, commits, writes).
    pub ops: u64,
    /// Payload bytes of those operations (frame headers not counted).
    pub bytes: u64,
    /// Wall-clock time of the round.
    pub elapsed: Duration,
}

impl Sample {
    /// Operations per second (0 for an empty round).
    pub fn ops_per_sec(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 { self.ops as f64 / s } else { 0.0 }
    }

    /// Payload MB (10^6 bytes) per second.
    pub fn mb_per_sec(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 {
            self.bytes as f64 / s / 1e6
        } else {
            0.0
        }
    }
}

/// The rounds of one measurement, summarised by the median round (by ops/s).
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The round with the median throughput.
    pub median: Sample,
    /// Lowest ops/s of any round.
    pub min_ops: f64,
    /// Highest ops/s of any round.
    pub max_ops: f64,
    /// Number of rounds.
    pub rounds: usize,
}

impl Summary {
    /// Summarise `samples`; `None` when there are none. With an even count the lower middle
    /// round is the median (a real round, never an average of two).
    pub fn of(samples: &[Sample]) -> Option<Summary> {
        if samples.is_empty() {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(|a, b| a.ops_per_sec().total_cmp(&b.ops_per_sec()));
        Some(Summary {
            median: sorted[(sorted.len() - 1) / 2],
            min_ops: sorted[0].ops_per_sec(),
            max_ops: sorted[sorted.len() - 1].ops_per_sec(),
            rounds: sorted.len(),
        })
    }

    /// Median ops/s.
    pub fn ops_per_sec(&self) -> f64 {
        self.median.ops_per_sec()
    }

    /// Median payload MB/s.
    pub fn mb_per_sec(&self) -> f64 {
        self.median.mb_per_sec()
    }

    /// Mean latency of one operation in the median round, in microseconds.
    pub fn micros_per_op(&self) -> f64 {
        let ops = self.ops_per_sec();
        if ops > 0.0 { 1e6 / ops } else { f64::INFINITY }
    }

    /// Spread of the rounds: (max - min) / median, as a fraction.
    pub fn spread(&self) -> f64 {
        let m = self.ops_per_sec();
        if m > 0.0 {
            (self.max_ops - self.min_ops) / m
        } else {
            0.0
        }
    }
}

/// The median of `values` (lower middle for an even count), `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    Some(v[(v.len() - 1) / 2])
}

/// The `q`-quantile (0.0 ..= 1.0) of `values` by the nearest-rank method (the smallest
/// value with at least `q` of the values at or below it), `None` when empty.
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() || !(0.0..=1.0).contains(&q) {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = (q * v.len() as f64).ceil() as usize;
    Some(v[rank.clamp(1, v.len()) - 1])
}

/// p50 and p99 of a set of latencies, in the unit they were given in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Percentiles {
    /// The median (nearest rank).
    pub p50: f64,
    /// The 99th percentile (nearest rank).
    pub p99: f64,
    /// How many samples.
    pub count: usize,
}

impl Percentiles {
    /// p50/p99 of `values`; `None` when empty.
    pub fn of(values: &[f64]) -> Option<Percentiles> {
        Some(Percentiles {
            p50: quantile(values, 0.5)?,
            p99: quantile(values, 0.99)?,
            count: values.len(),
        })
    }
}

/// The median over rounds of `a[r] / b[r]` (ops/s), pairing the rounds of two measurements
/// that ran in the same cycle, so that slow phases of a shared disk hit both sides of each
/// ratio. `None` when there is no pair or a baseline round did nothing.
pub fn paired_ratio(a: &[Sample], b: &[Sample]) -> Option<f64> {
    let ratios: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x.ops_per_sec(), y.ops_per_sec()))
        .filter(|&(_, y)| y > 0.0)
        .map(|(x, y)| x / y)
        .collect();
    if ratios.len() < a.len().min(b.len()) {
        return None;
    }
    median(&ratios)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(ops: u64, ms: u64) -> Sample {
        Sample {
            ops,
            bytes: ops * 100,
            elapsed: Duration::from_millis(ms),
        }
    }

    #[test]
    fn rates() {
        let a = s(500, 250);
        assert_eq!(a.ops_per_sec(), 2000.0);
        assert_eq!(a.mb_per_sec(), 0.2);
        assert_eq!(s(0, 0).ops_per_sec(), 0.0);
    }

    #[test]
    fn summary_takes_the_median_round() {
        let sum = Summary::of(&[s(300, 1000), s(100, 1000), s(200, 1000)]).unwrap();
        assert_eq!(sum.ops_per_sec(), 200.0);
        assert_eq!(sum.min_ops, 100.0);
        assert_eq!(sum.max_ops, 300.0);
        assert_eq!(sum.spread(), 1.0);
        assert_eq!(sum.micros_per_op(), 5000.0);
        let even = Summary::of(&[s(400, 1000), s(100, 1000)]).unwrap();
        assert_eq!(even.ops_per_sec(), 100.0);
        assert!(Summary::of(&[]).is_none());
    }

    #[test]
    fn paired_ratios_pair_rounds() {
        // Round 2 is slow for both sides; the paired median ignores it.
        let a = [s(200, 1000), s(20, 1000), s(220, 1000)];
        let b = [s(100, 1000), s(10, 1000), s(100, 1000)];
        assert_eq!(paired_ratio(&a, &b), Some(2.0));
        assert_eq!(paired_ratio(&a, &[s(0, 1000)]), None);
        assert_eq!(paired_ratio(&[], &[]), None);
    }

    #[test]
    fn quantiles_by_nearest_rank() {
        let v: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), Some(50.0));
        assert_eq!(quantile(&v, 0.99), Some(99.0));
        assert_eq!(quantile(&v, 1.0), Some(100.0));
        assert_eq!(quantile(&v, 0.0), Some(1.0));
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&v, 1.5), None);
        let p = Percentiles::of(&[5.0, 1.0, 3.0]).unwrap();
        assert_eq!((p.p50, p.p99, p.count), (3.0, 5.0, 3));
    }

    #[test]
    fn median_of_values() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.0));
        assert_eq!(median(&[]), None);
    }
}
