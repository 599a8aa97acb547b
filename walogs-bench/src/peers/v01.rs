//! The published walogs 0.1 crate.

use std::path::Path;

use crate::error::{BenchError, Context, Result};
use crate::rawio::payload;
use crate::stats::Sample;
use crate::timing::{Limits, run_single};

/// walogs 0.1 `Wal::append` (one write + one fdatasync each), default configuration.
pub fn walogs01_append(dir: &Path, payload_len: usize, limits: Limits) -> Result<Sample> {
    let mut wal = walogs01::Wal::open(&dir.join("wal")).ctx("open")?;
    let data = payload(payload_len, 6);
    let s = run_single(limits, payload_len as u64, |_| {
        wal.append(&data).map(drop).ctx("append")
    })?;
    if wal.next_lsn().0 != s.ops + 1 {
        return Err(BenchError::Check(format!(
            "walogs 0.1: next_lsn {} after {} appends",
            wal.next_lsn().0,
            s.ops
        )));
    }
    Ok(s)
}
