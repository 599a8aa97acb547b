//! Child processes of the benchmark: this binary re-executed with a hidden subcommand. The
//! child prints one `RESULT key=value ...` line on stdout (anything else it prints is
//! ignored), which the parent reads back as [`Fields`].

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::process::Command;
use std::time::Duration;

use crate::error::{BenchError, Context, Result};
use crate::stats::Sample;

/// The `key=value` pairs of a child's `RESULT` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields(BTreeMap<String, String>);

impl Fields {
    /// Find the `RESULT` line in `out` and split it into its pairs.
    pub fn parse(out: &str) -> Result<Fields> {
        let line = out
            .lines()
            .find_map(|l| l.strip_prefix("RESULT "))
            .ok_or_else(|| BenchError::Child(format!("no RESULT line in {out:?}")))?;
        Ok(Fields(
            line.split_whitespace()
                .filter_map(|w| w.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ))
    }

    /// The number under `key`.
    pub fn num(&self, key: &str) -> Result<u64> {
        self.0
            .get(key)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| BenchError::Child(format!("RESULT line lacks a number {key}: {self:?}")))
    }

    /// The text under `key`, if the line has it.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// The [`Sample`] written by [`sample_pairs`].
    pub fn sample(&self) -> Result<Sample> {
        Ok(Sample {
            ops: self.num("ops")?,
            bytes: self.num("bytes")?,
            elapsed: Duration::from_nanos(self.num("elapsed_ns")?),
        })
    }
}

/// The `RESULT` line for `pairs` (values must hold no whitespace).
pub fn result_line(pairs: &[(&str, u64)]) -> String {
    let mut line = String::from("RESULT");
    for (k, v) in pairs {
        line.push_str(&format!(" {k}={v}"));
    }
    line
}

/// The pairs that carry a [`Sample`].
pub fn sample_pairs(s: &Sample) -> [(&'static str, u64); 3] {
    [
        ("ops", s.ops),
        ("bytes", s.bytes),
        (
            "elapsed_ns",
            u64::try_from(s.elapsed.as_nanos()).unwrap_or(u64::MAX),
        ),
    ]
}

/// Run this binary with `args` and the extra environment `env`, wait for it, and parse its
/// `RESULT` line. A child that fails is an error carrying its output.
pub fn run(args: &[OsString], env: &[(&str, OsString)]) -> Result<Fields> {
    let exe = std::env::current_exe().ctx("find the benchmark's own executable")?;
    let mut cmd = Command::new(exe);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().ctx("run a child process")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(BenchError::Child(format!(
            "{:?} exited with {}: {}",
            args,
            out.status,
            stderr.lines().last().unwrap_or("").trim()
        )));
    }
    Fields::parse(&stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_lines_round_trip() {
        let s = Sample {
            ops: 12,
            bytes: 1536,
            elapsed: Duration::from_nanos(987_654_321),
        };
        let text = format!("[walrus] chatter\n{}\n", result_line(&sample_pairs(&s)));
        let f = Fields::parse(&text).unwrap();
        assert_eq!(f.sample().unwrap(), s);
        assert!(f.num("missing").is_err());
        assert!(Fields::parse("nothing here").is_err());
        assert!(Fields::parse("RESULT ops=x").unwrap().sample().is_err());
    }
}
