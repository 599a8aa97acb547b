//! Printing the tables. Every figure goes to stdout; progress goes to stderr.

use crate::stats::Percentiles;
use crate::write_suite::{BLOCKS, Measured};

/// A goal a measured value is compared with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// measured >= x
    AtLeast(f64),
    /// measured > x
    Above(f64),
    /// measured <= x
    AtMost(f64),
    /// No goal: a figure printed among the targets to explain its neighbours.
    Info,
}

impl Goal {
    /// Whether `v` meets the goal (always, for [`Goal::Info`]).
    pub fn met(self, v: f64) -> bool {
        match self {
            Goal::AtLeast(x) => v >= x,
            Goal::Above(x) => v > x,
            Goal::AtMost(x) => v <= x,
            Goal::Info => true,
        }
    }

    fn show(self, unit: &str) -> String {
        match self {
            Goal::AtLeast(x) => format!(">= {x:.2}{unit}"),
            Goal::Above(x) => format!("> {x:.2}{unit}"),
            Goal::AtMost(x) => format!("<= {x:.2}{unit}"),
            Goal::Info => "-".to_string(),
        }
    }
}

/// One line of the targets table.
#[derive(Debug, Clone)]
pub struct TargetRow {
    /// What is compared with what.
    pub what: String,
    /// The measured value.
    pub value: f64,
    /// Unit printed after the value and the goal ("x" for ratios).
    pub unit: &'static str,
    /// The goal.
    pub goal: Goal,
}

impl TargetRow {
    /// "PASS" or "MISS" ("info" for a row without a goal).
    pub fn verdict(&self) -> &'static str {
        if self.goal == Goal::Info {
            "info"
        } else if self.goal.met(self.value) {
            "PASS"
        } else {
            "MISS"
        }
    }
}

/// The write-measurement table.
pub fn print_writes(rows: &[Measured]) {
    println!();
    println!("== write path (median of rounds; spread = (max-min)/median of ops/s) ==");
    println!(
        "{:<80} {:>10} {:>9} {:>9} {:>7}  note",
        "measurement", "ops/s", "MB/s", "us/op", "spread"
    );
    for m in rows {
        if let Some((title, _)) = BLOCKS.iter().find(|(_, keys)| keys.first() == Some(&m.key)) {
            println!("-- {title}");
        }
        let Some(s) = &m.summary else {
            println!(
                "{:<80} not measured: {}",
                m.label,
                m.failure.as_deref().unwrap_or("no round")
            );
            continue;
        };
        println!(
            "{:<80} {:>10.0} {:>9.2} {:>9.1} {:>6.0}%  {}",
            m.label,
            s.ops_per_sec(),
            s.mb_per_sec(),
            s.micros_per_op(),
            s.spread() * 100.0,
            m.note.as_deref().unwrap_or("")
        );
    }
}

/// One row of the read table.
#[derive(Debug, Clone)]
pub struct ReadRow {
    /// What was measured.
    pub label: String,
    /// Median total time, ms.
    pub total_ms: f64,
    /// Median open time, ms.
    pub open_ms: f64,
    /// Log file bytes per second, GB/s (`None` for the idle baseline).
    pub gb_per_sec: Option<f64>,
    /// Highest `VmHWM` of any round, MiB.
    pub peak_mib: f64,
    /// Highest growth of `VmHWM` over the pass's start, MiB.
    pub increase_mib: f64,
}

/// The read-measurement table; `missing` rows (label, reason) have no figures.
pub fn print_reads(title: &str, rows: &[ReadRow], missing: &[(String, String)]) {
    println!();
    println!("== {title} ==");
    println!(
        "{:<66} {:>10} {:>9} {:>9} {:>10} {:>10}",
        "measurement", "total ms", "open ms", "GB/s", "peak MiB", "+MiB"
    );
    for r in rows {
        let gbs = r.gb_per_sec.map_or("-".to_string(), |g| format!("{g:.2}"));
        println!(
            "{:<66} {:>10.1} {:>9.1} {:>9} {:>10.2} {:>10.2}",
            r.label, r.total_ms, r.open_ms, gbs, r.peak_mib, r.increase_mib
        );
    }
    for (label, why) in missing {
        println!("{label:<66} not measured: {why}");
    }
}

/// One row of the point-read table.
#[derive(Debug, Clone)]
pub struct PointRow {
    /// What was measured.
    pub label: String,
    /// Its latencies (microseconds), or why there are none.
    pub lat: std::result::Result<Percentiles, String>,
    /// The latencies it is compared with (the ratio columns), if any.
    pub base: Option<Percentiles>,
    /// A note printed after the figures.
    pub note: String,
}

/// The point-read table: p50, p99, and the ratios to the row's baseline.
pub fn print_points(title: &str, rows: &[PointRow]) {
    println!();
    println!("== {title} ==");
    println!(
        "{:<80} {:>9} {:>9} {:>7} {:>8} {:>8}  note",
        "measurement", "p50 us", "p99 us", "reads", "p50 x", "p99 x"
    );
    for r in rows {
        match &r.lat {
            Ok(p) => {
                let (a, b) = r.base.map_or(("-".to_string(), "-".to_string()), |base| {
                    (
                        format!("{:.2}", p.p50 / base.p50),
                        format!("{:.2}", p.p99 / base.p99),
                    )
                });
                println!(
                    "{:<80} {:>9.2} {:>9.2} {:>7} {a:>8} {b:>8}  {}",
                    r.label, p.p50, p.p99, p.count, r.note
                );
            }
            Err(why) => println!("{:<80} not measured: {why}", r.label),
        }
    }
}

/// The latency table for starting in the middle: (label, median us, max us).
pub fn print_latencies(title: &str, rows: &[(String, f64, f64)]) {
    println!();
    println!("== {title} ==");
    println!("{:<66} {:>12} {:>12}", "measurement", "median us", "max us");
    for (label, med, max) in rows {
        println!("{label:<66} {med:>12.1} {max:>12.1}");
    }
}

/// The targets table.
pub fn print_targets(rows: &[TargetRow]) {
    println!();
    println!(
        "== targets (a write ratio is the median over rounds of the ratio within each round) =="
    );
    println!(
        "{:<70} {:>10} {:>12}  verdict",
        "target", "measured", "goal"
    );
    for r in rows {
        println!(
            "{:<70} {:>9.2}{} {:>12}  {}",
            r.what,
            r.value,
            r.unit,
            r.goal.show(r.unit),
            r.verdict()
        );
    }
    let goals = rows.iter().filter(|r| r.goal != Goal::Info).count();
    let missed = rows.iter().filter(|r| r.verdict() == "MISS").count();
    println!("{goals} targets, {} PASS, {missed} MISS", goals - missed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goals_and_verdicts() {
        assert!(Goal::AtLeast(1.05).met(1.05));
        assert!(!Goal::AtLeast(1.05).met(1.049));
        assert!(!Goal::Above(1.0).met(1.0));
        assert!(Goal::Above(1.0).met(1.001));
        assert!(Goal::AtMost(8.0).met(8.0));
        assert!(!Goal::AtMost(8.0).met(8.01));
        let r = TargetRow {
            what: "x".into(),
            value: 0.5,
            unit: "x",
            goal: Goal::AtLeast(0.3),
        };
        assert_eq!(r.verdict(), "PASS");
        assert_eq!(Goal::AtMost(1.0).show(" ms"), "<= 1.00 ms");
        let info = TargetRow {
            goal: Goal::Info,
            value: 99.0,
            ..r
        };
        assert_eq!(info.verdict(), "info");
        assert_eq!(Goal::Info.show("x"), "-");
    }
}
