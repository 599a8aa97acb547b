//! The peers, in the same run: the published walogs 0.1 crate and okaywal.

use std::path::Path;

use okaywal::{LogVoid, WriteAheadLog};

use crate::error::{BenchError, Context, Result};
use crate::rawio::payload;
use crate::stats::Sample;
use crate::timing::{Limits, run_single, run_threads};

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

/// okaywal single-chunk entries committed (durably) by `threads` threads sharing one log,
/// default configuration.
pub fn okaywal_commit(
    dir: &Path,
    threads: usize,
    payload_len: usize,
    limits: Limits,
) -> Result<Sample> {
    let log = WriteAheadLog::recover(dir.join("okaywal"), LogVoid).ctx("okaywal open")?;
    let data = payload(payload_len, 7);
    let s = run_threads(threads, limits, payload_len as u64, |_, _| {
        let mut entry = log.begin_entry().ctx("okaywal begin_entry")?;
        entry.write_chunk(&data).ctx("okaywal write_chunk")?;
        entry.commit().map(drop).ctx("okaywal commit")
    });
    let shut = log.shutdown().ctx("okaywal shutdown");
    let s = s?;
    shut?;
    Ok(s)
}
