//! The baselines: what the disk does without walogs. `raw_append` is the plain recipe a
//! durable log starts from (append `write` + `fdatasync`, the file grows each time);
//! `raw_overwrite` rewrites blocks of an already written file (`pwrite` + `fdatasync`, no
//! size or allocation change): the fastest durable write this disk offers.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;

use super::measure::{Sample, Timer};
use crate::error::CliError;

/// Size of the pre-written file `raw_overwrite` cycles through.
const OVERWRITE_FILE: u64 = 4 << 20;

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> CliError + '_ {
    move |e| CliError::io(format!("bench file {}", path.display()), e)
}

/// Append `record` and fdatasync, in a loop, until `timer` expires. `dir` is new and empty.
pub fn append(dir: &Path, record: &[u8], mut timer: Timer) -> Result<Sample, CliError> {
    let path = dir.join("raw-append.dat");
    let err = io_err(&path);
    let mut f = OpenOptions::new()
        .create_new(true)
        .append(true)
        .open(&path)
        .map_err(&err)?;
    File::open(dir).and_then(|d| d.sync_all()).map_err(&err)?;
    let mut n = 0u64;
    timer
        .run(|| {
            f.write_all(record)?;
            f.sync_data()?;
            n += 1;
            Ok::<(), std::io::Error>(())
        })
        .map_err(&err)?;
    Ok(timer.finish(n, n))
}

/// Write the file `raw_overwrite` rewrites (not timed).
pub fn prepare_overwrite(dir: &Path) -> Result<File, CliError> {
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
    Ok(f)
}

/// Overwrite `record`-sized blocks of the prepared file and fdatasync, until `timer` expires.
pub fn overwrite(f: &File, record: &[u8], mut timer: Timer) -> Result<Sample, CliError> {
    let span = OVERWRITE_FILE - record.len() as u64;
    let mut off = 0u64;
    let mut n = 0u64;
    timer
        .run(|| {
            f.write_all_at(record, off)?;
            f.sync_data()?;
            off = (off + record.len() as u64) % span;
            n += 1;
            Ok::<(), std::io::Error>(())
        })
        .map_err(|e| CliError::io("bench file raw-overwrite.dat", e))?;
    Ok(timer.finish(n, n))
}
