//! The raw baselines: what the hardware and the kernel give without any WAL logic.

use std::path::Path;

use crate::error::{BenchError, Context, Result};
use crate::raw_group::RawGroupCommit;
use crate::rawio::{
    FRAME_HEADER, Prealloc, Stepper, create, fdatasync, payload, pwrite_all, write_all,
};
use crate::rawmap::SharedMap;
use crate::stats::Sample;
use crate::timing::{Limits, run_single, run_threads};
use crate::wait_lock::Primitives;

/// Bytes of the file a baseline prepares: room for `limits.max_ops` frames.
fn file_len(limits: Limits, frame: usize) -> u64 {
    limits.max_ops.saturating_mul(frame as u64)
}

/// One write of `payload_len + 16` bytes and one fdatasync per operation, into a file
/// prepared as `how` (a growing file uses `write(2)`, the preallocated ones `pwrite(2)` at
/// the next offset). Costs, outside the timed loop, the preparation of the file (inside it
/// for the `*Steps` preparations).
pub fn sync_writes(
    dir: &Path,
    how: Prealloc,
    payload_len: usize,
    limits: Limits,
) -> Result<Sample> {
    let frame = payload(payload_len + FRAME_HEADER, 1);
    let file = create(&dir.join("raw.dat"), how, file_len(limits, frame.len()))?;
    let flen = frame.len() as u64;
    let mut stepper = Stepper::new(how);
    let sample = run_single(limits, payload_len as u64, |i| {
        if how == Prealloc::Growing {
            write_all(&file, &frame).ctx("write")?;
        } else {
            stepper
                .ensure(&file, i * flen, (i + 1) * flen)
                .ctx("preallocation step")?;
            pwrite_all(&file, &frame, i * flen).ctx("pwrite")?;
        }
        fdatasync(&file).ctx("fdatasync")
    })?;
    if how == Prealloc::Growing {
        let len = file.metadata().ctx("stat")?.len();
        if len != sample.ops * flen {
            return Err(BenchError::Check(format!(
                "growing file holds {len} bytes after {} writes of {flen}",
                sample.ops
            )));
        }
    }
    Ok(sample)
}

/// One `write(2)` of `payload_len + 16` bytes per operation into a growing file, no sync.
pub fn plain_writes(dir: &Path, payload_len: usize, limits: Limits) -> Result<Sample> {
    let frame = payload(payload_len + FRAME_HEADER, 2);
    let file = create(&dir.join("raw.dat"), Prealloc::Growing, 0)?;
    run_single(limits, payload_len as u64, |_| {
        write_all(&file, &frame).ctx("write")
    })
}

/// One `pwrite(2)` of `payload_len + 16` bytes per operation at the next offset of a
/// fallocate'd file, no sync: what walogs-core's no-sync append does, minus walogs.
pub fn plain_pwrites(dir: &Path, payload_len: usize, limits: Limits) -> Result<Sample> {
    let frame = payload(payload_len + FRAME_HEADER, 2);
    let flen = frame.len() as u64;
    let file = create(
        &dir.join("raw.dat"),
        Prealloc::Fallocate,
        file_len(limits, frame.len()),
    )?;
    run_single(limits, payload_len as u64, |i| {
        pwrite_all(&file, &frame, i * flen).ctx("pwrite")
    })
}

/// One `pwrite(2)` of `payload_len + 16` bytes per operation at the end of a growing file
/// through `std`'s `FileExt::write_all_at` (the C library's `pwrite64` wrapper, as
/// walogs-core calls it), no sync. The other raw loops make the system call directly
/// (rustix); on some kernels the wrapper alone costs a measurable fraction of a small write.
pub fn std_pwrites(dir: &Path, payload_len: usize, limits: Limits) -> Result<Sample> {
    use std::os::unix::fs::FileExt;
    let frame = payload(payload_len + FRAME_HEADER, 2);
    let flen = frame.len() as u64;
    let file = create(&dir.join("raw.dat"), Prealloc::Growing, 0)?;
    run_single(limits, payload_len as u64, |i| {
        file.write_all_at(&frame, i * flen).ctx("pwrite")
    })
}

/// How [`mapped_writes`] faults in the pages it copies into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Populate {
    /// `MADV_POPULATE_WRITE` on the entry's pages before each copy: a failing write fault
    /// is an error, not a `SIGBUS` (short of writeback protecting the page in between).
    EachEntry,
    /// `MADV_POPULATE_WRITE` once per this many bytes, ahead of the copies: no system call
    /// for most entries, and a page that writeback protected again faults inside a copy,
    /// where a failure is a `SIGBUS`.
    Ahead(usize),
}

/// One copy of `payload_len + 16` bytes per operation into a shared mapping of a
/// fallocate'd file, its pages faulted in as `populate` says, no sync: the entry is in the
/// page cache when the operation returns, as with `pwrite`. Afterwards the last frame must
/// read back.
pub fn mapped_writes(
    dir: &Path,
    payload_len: usize,
    populate: Populate,
    limits: Limits,
) -> Result<Sample> {
    let frame = payload(payload_len + FRAME_HEADER, 2);
    let flen = frame.len();
    let len = file_len(limits, flen);
    let file = create(&dir.join("raw.dat"), Prealloc::Fallocate, len)?;
    let map = SharedMap::new(&file, len as usize).ctx("mmap")?;
    let mut populated = 0usize;
    let sample = run_single(limits, payload_len as u64, |i| {
        let offset = i as usize * flen;
        match populate {
            Populate::EachEntry => map.populate(offset, flen).ctx("madvise")?,
            Populate::Ahead(step) => {
                while populated < offset + flen {
                    map.populate(populated, step).ctx("madvise")?;
                    populated += step;
                }
            }
        }
        map.copy_at(offset, &frame).ctx("copy")
    })?;
    if sample.ops > 0 {
        let last = (sample.ops as usize - 1) * flen;
        if map.read_at(last, flen).ctx("read back")? != frame {
            return Err(BenchError::Check(
                "the last frame copied into the mapping does not read back".into(),
            ));
        }
    }
    Ok(sample)
}

/// `threads` threads each committing `payload_len + 16`-byte records through
/// [`RawGroupCommit`] on the lock primitives `P` (its pipelined variant if `pipelined`) into a
/// fallocate'd file. Also returns the number of fdatasyncs issued.
pub fn group_commit<P: Primitives>(
    dir: &Path,
    threads: usize,
    payload_len: usize,
    limits: Limits,
    pipelined: bool,
) -> Result<(Sample, u64)> {
    let rec = payload(payload_len + FRAME_HEADER, 3);
    let file = create(
        &dir.join("raw.dat"),
        Prealloc::Fallocate,
        file_len(limits, rec.len()),
    )?;
    let g = if pipelined {
        RawGroupCommit::<P>::pipelined(file, 0)
    } else {
        RawGroupCommit::<P>::new(file, 0)
    };
    let sample = run_threads(threads, limits, payload_len as u64, |_, _| {
        g.commit(&rec).map(drop)
    })?;
    Ok((sample, g.groups()))
}
