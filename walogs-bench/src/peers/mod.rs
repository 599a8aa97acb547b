//! The peers, in the same run: the published walogs 0.1 crate, okaywal, nano-wal,
//! walrus-rust and raft-engine. Each module calls its library the way its documentation
//! says, at the durability the measurement asks for; what a peer cannot do is a reason, not
//! a number.

pub mod nano;
pub mod okay;
pub mod raft;
pub mod reads;
pub mod v01;
pub mod walrus;

use std::time::Duration;

pub use okay::okaywal_commit;
pub use v01::walogs01_append;

use crate::child::Fields;
use crate::error::{BenchError, Result};
use crate::stats::Percentiles;

/// A figure of a peer, or the reason the peer has none (a measurement it cannot do at equal
/// durability, or an error it returned).
pub type Outcome<T> = std::result::Result<T, String>;

/// One recovery pass of a peer's log (open + read every entry), measured in a fresh process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recovery {
    /// Entries read.
    pub entries: u64,
    /// Payload bytes read.
    pub bytes: u64,
    /// Time of the open.
    pub open: Duration,
    /// Time of the open and the whole read.
    pub total: Duration,
    /// `VmHWM` of the process when the pass started, KiB.
    pub hwm_start_kib: u64,
    /// `VmHWM` when it ended, KiB.
    pub hwm_end_kib: u64,
}

impl Recovery {
    /// The `RESULT` pairs of this pass.
    pub fn pairs(&self) -> [(&'static str, u64); 6] {
        let ns = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        [
            ("entries", self.entries),
            ("bytes", self.bytes),
            ("open_ns", ns(self.open)),
            ("total_ns", ns(self.total)),
            ("hwm_start_kib", self.hwm_start_kib),
            ("hwm_end_kib", self.hwm_end_kib),
        ]
    }

    /// The pass a child reported with [`Recovery::pairs`].
    pub fn from_fields(f: &Fields) -> Result<Recovery> {
        Ok(Recovery {
            entries: f.num("entries")?,
            bytes: f.num("bytes")?,
            open: Duration::from_nanos(f.num("open_ns")?),
            total: Duration::from_nanos(f.num("total_ns")?),
            hwm_start_kib: f.num("hwm_start_kib")?,
            hwm_end_kib: f.num("hwm_end_kib")?,
        })
    }

    /// Peak memory growth during the pass, KiB.
    pub fn hwm_increase_kib(&self) -> u64 {
        self.hwm_end_kib.saturating_sub(self.hwm_start_kib)
    }

    /// Fail unless the pass read `entries` entries of `entry_size` bytes.
    pub fn check(&self, peer: &str, entries: u64, entry_size: usize) -> Result<()> {
        if self.entries != entries || self.bytes != entries * entry_size as u64 {
            return Err(BenchError::Check(format!(
                "{peer} recovery read {} entries / {} bytes, the log holds {entries} of {entry_size} B",
                self.entries, self.bytes
            )));
        }
        Ok(())
    }
}

/// What one peer gave for the read side: its recovery passes (warm cache) and point reads.
#[derive(Debug, Clone)]
pub struct PeerReads {
    /// The peer's name as the tables show it.
    pub peer: &'static str,
    /// How recovery was done (the API calls), for the table.
    pub recovery_how: &'static str,
    /// Every recovery pass, or why there is none.
    pub recovery: Outcome<Vec<Recovery>>,
    /// Every recovery pass with the page cache dropped before it, or why there is none.
    pub cold_recovery: Outcome<Vec<Recovery>>,
    /// How a point read was done, for the table.
    pub point_how: &'static str,
    /// Point-read latencies in microseconds, or why there are none.
    pub point: Outcome<Percentiles>,
}

/// The hidden subcommand: one peer measurement in this (fresh) process, printing its
/// `RESULT` line. `args` are what follows the subcommand: the operation, then its arguments.
pub fn child_main(args: &[String]) -> Result<()> {
    let Some((op, rest)) = args.split_first() else {
        return Err(BenchError::Args(
            "the peer subcommand needs an operation".into(),
        ));
    };
    match op.as_str() {
        walrus::OP_WRITE => walrus::child_write(rest),
        walrus::OP_CREATE => walrus::child_create(rest),
        walrus::OP_RECOVER => walrus::child_recover(rest),
        walrus::OP_BATCH_READ => walrus::child_batch_read(rest),
        raft::OP_RECOVER => raft::child_recover(rest),
        other => Err(BenchError::Args(format!(
            "unknown peer operation {other:?}"
        ))),
    }
}

/// Parse the `i`-th argument of a child operation as a number.
pub fn arg_num<T: std::str::FromStr>(args: &[String], i: usize, what: &str) -> Result<T> {
    args.get(i).and_then(|s| s.parse().ok()).ok_or_else(|| {
        BenchError::Args(format!(
            "peer child: argument {i} ({what}) missing or not a number"
        ))
    })
}

/// The `i`-th argument of a child operation.
pub fn arg_str<'a>(args: &'a [String], i: usize, what: &str) -> Result<&'a str> {
    args.get(i)
        .map(String::as_str)
        .ok_or_else(|| BenchError::Args(format!("peer child: argument {i} ({what}) missing")))
}
