//! okaywal.

use std::path::Path;

use okaywal::{LogVoid, WriteAheadLog};

use crate::error::{Context, Result};
use crate::rawio::payload;
use crate::stats::Sample;
use crate::timing::{Limits, run_threads};

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
