//! The baselines: what the disk does without walogs. `raw_append` is the plain recipe a
//! durable log starts from (append `write` + `fdatasync`, the file grows each time);
//! `raw_overwrite` rewrites blocks of an already written file (`pwrite` + `fdatasync`, no
//! size or allocation change): the fastest durable write this disk offers.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::Duration;

use super::measure::{Measured, Timer};
use crate::error::CliError;

/// Size of the pre-written file `raw_overwrite` cycles through.
const OVERWRITE_FILE: u64 = 16 << 20;

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> CliError + '_ {
    move |e| CliError::io(format!("bench file {}", path.display()), e)
}

/// Append `record` and fdatasync, in a loop, for `dur`.
pub fn append(
    dir: &Path,
    record: &[u8],
    dur: Duration,
    timer_bar: indicatif::ProgressBar,
) -> Result<Measured, CliError> {
    let path = dir.join("raw-append.dat");
    let err = io_err(&path);
    let mut f = OpenOptions::new()
        .create_new(true)
        .append(true)
        .open(&path)
        .map_err(&err)?;
    File::open(dir).and_then(|d| d.sync_all()).map_err(&err)?;
    let mut n = 0u64;
    let mut t = Timer::start(dur, timer_bar);
    t.run(|| {
        f.write_all(record)?;
        f.sync_data()?;
        n += 1;
        Ok::<(), std::io::Error>(())
    })
    .map_err(&err)?;
    let (elapsed, lat) = t.finish();
    Ok(Measured::new(
        "raw_append",
        "raw write+fdatasync (file grows)".to_string(),
        n,
        n,
        elapsed,
        lat,
    ))
}

/// Overwrite `record`-sized blocks of a pre-written file and fdatasync, in a loop, for `dur`.
pub fn overwrite(
    dir: &Path,
    record: &[u8],
    dur: Duration,
    timer_bar: indicatif::ProgressBar,
) -> Result<Measured, CliError> {
    let path = dir.join("raw-overwrite.dat");
    let err = io_err(&path);
    let f = OpenOptions::new()
        .create_new(true)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(&err)?;
    let zeros = vec![0u8; 1 << 20];
    for i in 0..OVERWRITE_FILE / zeros.len() as u64 {
        f.write_all_at(&zeros, i * zeros.len() as u64)
            .map_err(&err)?;
    }
    f.sync_all().map_err(&err)?;
    File::open(dir).and_then(|d| d.sync_all()).map_err(&err)?;
    let span = OVERWRITE_FILE - record.len() as u64;
    let mut off = 0u64;
    let mut n = 0u64;
    let mut t = Timer::start(dur, timer_bar);
    t.run(|| {
        f.write_all_at(record, off)?;
        f.sync_data()?;
        off = (off + record.len() as u64) % span;
        n += 1;
        Ok::<(), std::io::Error>(())
    })
    .map_err(&err)?;
    let (elapsed, lat) = t.finish();
    Ok(Measured::new(
        "raw_overwrite",
        "raw pwrite+fdatasync (pre-written file)".to_string(),
        n,
        n,
        elapsed,
        lat,
    ))
}
