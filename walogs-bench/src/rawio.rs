//! Raw file primitives for the baselines: plain `write(2)`, `pwrite(2)`, `fdatasync(2)` and
//! `fallocate(2)` through rustix, with no buffering or bookkeeping of their own.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

use rustix::fs::FallocateFlags;

use crate::error::{Context, Result};
use crate::zero_ahead::ZeroAhead;

/// Bytes of a walogs frame header (`[len u32][crc u32][lsn u64]`). The baselines write
/// `payload + FRAME_HEADER` bytes per entry so that they move exactly as many bytes as walogs.
pub const FRAME_HEADER: usize = 16;

/// How a baseline's file is prepared before the timed loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prealloc {
    /// Empty file; every write extends it.
    Growing,
    /// `fallocate(fd, 0, 0, len)`: blocks reserved as unwritten extents, size set.
    Fallocate,
    /// `len` zero bytes written and fdatasync'd: blocks allocated and already written.
    ZeroFill,
    /// Empty file, extended inside the timed loop by `fallocate` in [`STEP`] steps, the way
    /// walogs-core preallocates its active segment.
    FallocateSteps,
    /// Empty file, extended inside the timed loop in [`STEP`] steps by writing zeros and
    /// fdatasyncing them (a candidate preallocation for walogs-core).
    ZeroFillSteps,
    /// Empty file, extended in [`STEP`] steps by a second thread that fallocates, writes
    /// zeros and fdatasyncs them [`crate::zero_ahead::AHEAD`] bytes ahead of the writes (a
    /// background zero-filler: does it beat the inline steps?).
    ZeroFillAhead,
}

/// Preallocation step of the `*Steps` preparations (walogs-core's step).
pub const STEP: u64 = 1 << 20;

impl Prealloc {
    /// Short description for labels.
    pub fn describe(self) -> &'static str {
        match self {
            Prealloc::Growing => "growing file",
            Prealloc::Fallocate => "fallocate'd file",
            Prealloc::ZeroFill => "zero-filled+synced file",
            Prealloc::FallocateSteps => "fallocate 1 MiB steps",
            Prealloc::ZeroFillSteps => "zero-fill+sync 1 MiB steps",
            Prealloc::ZeroFillAhead => "zero-filled by a 2nd thread",
        }
    }

    /// Whether the file is extended inside the timed loop.
    pub fn in_steps(self) -> bool {
        matches!(
            self,
            Prealloc::FallocateSteps | Prealloc::ZeroFillSteps | Prealloc::ZeroFillAhead
        )
    }
}

/// A payload of `len` bytes, a deterministic non-zero pattern that depends on `seed`.
pub fn payload(len: usize, seed: u64) -> Vec<u8> {
    (0..len)
        .map(|i| ((i as u64).wrapping_mul(31).wrapping_add(seed) % 251) as u8 + 1)
        .collect()
}

/// Create `path` (it must not exist) for reading and writing, prepared as `how` with `len`
/// bytes. Costs, for `ZeroFill`, writing `len` bytes and one fdatasync.
pub fn create(path: &Path, how: Prealloc, len: u64) -> Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path)
        .ctx(format!("create {}", path.display()))?;
    match how {
        Prealloc::Growing
        | Prealloc::FallocateSteps
        | Prealloc::ZeroFillSteps
        | Prealloc::ZeroFillAhead => {}
        Prealloc::Fallocate => {
            rustix::fs::fallocate(&file, FallocateFlags::empty(), 0, len)
                .ctx(format!("fallocate {}", path.display()))?;
        }
        Prealloc::ZeroFill => zero_fill(&file, 0, len).ctx("zero-fill")?,
    }
    Ok(file)
}

/// Write zeros over `[from, to)` and fdatasync.
pub fn zero_fill(file: &File, from: u64, to: u64) -> io::Result<()> {
    let zeros = vec![0u8; STEP as usize];
    let mut off = from;
    while off < to {
        let n = (to - off).min(zeros.len() as u64) as usize;
        pwrite_all(file, &zeros[..n], off)?;
        off += n as u64;
    }
    fdatasync(file)
}

/// Extends a file in [`STEP`] steps ahead of the writes (for the `*Steps` preparations), or
/// has a second thread do it ([`Prealloc::ZeroFillAhead`]).
#[derive(Debug)]
pub struct Stepper {
    how: Prealloc,
    allocated: u64,
    ahead: Option<ZeroAhead>,
}

impl Stepper {
    /// A stepper for a file prepared as `how` (does nothing unless `how.in_steps()`).
    pub fn new(how: Prealloc) -> Self {
        Stepper {
            how,
            allocated: 0,
            ahead: None,
        }
    }

    /// Make sure `[0, end)` is allocated before a write at `offset` ending at `end`: like
    /// walogs-core, extend to `max(end, offset + STEP)`; with a second thread, wait until it
    /// has zeroed and synced past `end` (it is started by the first call).
    pub fn ensure(&mut self, file: &File, offset: u64, end: u64) -> io::Result<()> {
        if self.how == Prealloc::ZeroFillAhead {
            let ahead = match &mut self.ahead {
                Some(a) => a,
                None => self.ahead.insert(ZeroAhead::start(file)?),
            };
            return ahead.ensure(end);
        }
        if !self.how.in_steps() || end <= self.allocated {
            return Ok(());
        }
        let target = end.max(offset + STEP);
        if self.how == Prealloc::FallocateSteps {
            rustix::fs::fallocate(file, FallocateFlags::empty(), 0, target)?;
        } else {
            zero_fill(file, self.allocated, target)?;
        }
        self.allocated = target;
        Ok(())
    }
}

/// `write(2)` until all of `buf` is written at the file position.
pub fn write_all(file: &File, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        match rustix::io::write(file, buf) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => buf = &buf[n..],
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// `pwrite(2)` until all of `buf` is written at `offset`.
pub fn pwrite_all(file: &File, mut buf: &[u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match rustix::io::pwrite(file, buf, offset) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                buf = &buf[n..];
                offset += n as u64;
            }
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// `read(2)` into `buf` at the file position; `Ok(0)` at end of file.
pub fn read(file: &File, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match rustix::io::read(file, &mut *buf) {
            Err(rustix::io::Errno::INTR) => {}
            r => return r.map_err(Into::into),
        }
    }
}

/// `fdatasync(2)`.
pub fn fdatasync(file: &File) -> io::Result<()> {
    rustix::fs::fdatasync(file).map_err(Into::into)
}

/// `syncfs(2)` on the file system holding `dir`: flush everything, so that the next
/// measurement starts on a quiet disk.
pub fn syncfs(dir: &Path) -> Result<()> {
    let d = File::open(dir).ctx(format!("open {}", dir.display()))?;
    rustix::fs::syncfs(&d).ctx("syncfs")
}

/// A name for the file system holding `dir` (from `statfs`), for the report header.
pub fn fs_name(dir: &Path) -> String {
    match rustix::fs::statfs(dir) {
        Ok(s) => match s.f_type as u64 {
            0xEF53 => "ext4".into(),
            0x5846_5342 => "xfs".into(),
            0x9123_683E => "btrfs".into(),
            0x0102_1994 => "tmpfs (fdatasync is free: figures are meaningless)".into(),
            0x794C_7630 => "overlayfs".into(),
            0x2FC1_2FC1 => "zfs".into(),
            0x6573_5546 => "fuse".into(),
            t => format!("unknown (statfs type {t:#x})"),
        },
        Err(e) => format!("unknown ({e})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> std::path::PathBuf {
        let d =
            std::env::temp_dir().join(format!("walogs-bench-rawio-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn payload_is_deterministic_and_nonzero() {
        let a = payload(1000, 7);
        assert_eq!(a, payload(1000, 7));
        assert_ne!(a, payload(1000, 8));
        assert!(a.iter().all(|&b| b != 0));
    }

    #[test]
    fn preparations_give_the_promised_files() {
        let d = tmp("prep");
        for (i, how) in [
            Prealloc::Growing,
            Prealloc::Fallocate,
            Prealloc::ZeroFill,
            Prealloc::FallocateSteps,
            Prealloc::ZeroFillSteps,
        ]
        .into_iter()
        .enumerate()
        {
            let p = d.join(format!("f{i}"));
            let f = create(&p, how, 3 << 20).unwrap();
            let want = if how == Prealloc::Growing || how.in_steps() {
                0
            } else {
                3 << 20
            };
            assert_eq!(f.metadata().unwrap().len(), want, "{how:?}");
            pwrite_all(&f, b"abc", 5).unwrap();
            write_all(&f, b"xy").unwrap();
            fdatasync(&f).unwrap();
            let data = std::fs::read(&p).unwrap();
            assert_eq!(&data[..2], b"xy");
            assert_eq!(&data[5..8], b"abc");
            assert!(
                create(&p, how, 1).is_err(),
                "must not reuse an existing file"
            );
        }
        assert!(!fs_name(&d).is_empty());
        syncfs(&d).unwrap();
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn steppers_extend_ahead_of_writes() {
        let d = tmp("steps");
        for how in [Prealloc::FallocateSteps, Prealloc::ZeroFillSteps] {
            let p = d.join(format!("{how:?}"));
            let f = create(&p, how, 0).unwrap();
            let mut st = Stepper::new(how);
            st.ensure(&f, 0, 100).unwrap();
            assert_eq!(f.metadata().unwrap().len(), STEP, "{how:?}");
            st.ensure(&f, 100, STEP).unwrap();
            assert_eq!(f.metadata().unwrap().len(), STEP);
            st.ensure(&f, STEP - 10, STEP + 10).unwrap();
            assert_eq!(f.metadata().unwrap().len(), 2 * STEP - 10);
            // A write bigger than a step gets all the room it needs.
            st.ensure(&f, 2 * STEP, 5 * STEP).unwrap();
            assert_eq!(f.metadata().unwrap().len(), 5 * STEP);
        }
        let g = create(&d.join("plain"), Prealloc::Growing, 0).unwrap();
        Stepper::new(Prealloc::Growing).ensure(&g, 0, 100).unwrap();
        assert_eq!(g.metadata().unwrap().len(), 0);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn read_returns_zero_at_end() {
        let d = tmp("read");
        let p = d.join("r");
        std::fs::write(&p, b"hello").unwrap();
        let f = File::open(&p).unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(read(&f, &mut buf).unwrap(), 5);
        assert_eq!(read(&f, &mut buf).unwrap(), 0);
        std::fs::remove_dir_all(&d).unwrap();
    }
}
