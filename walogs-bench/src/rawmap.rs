//! A shared writable mapping of a baseline's file: what appending through a memory map
//! instead of `pwrite(2)` costs. walogs-core does not write this way (a write fault that
//! fails, on a full disk or an I/O error, is a `SIGBUS` instead of an error); the baseline
//! shows what that choice leaves on the table.

#![allow(unsafe_code)]

use std::ffi::c_void;
use std::fs::File;
use std::io;
use std::ptr::NonNull;

use rustix::mm::{Advice, MapFlags, ProtFlags};

/// `len` bytes of a file mapped shared, readable and writable, from offset 0.
#[derive(Debug)]
pub struct SharedMap {
    ptr: NonNull<c_void>,
    len: usize,
}

impl SharedMap {
    /// Map the first `len` bytes of `file`, which must be at least `len` bytes long (the
    /// caller prepared it with `fallocate`): no access beyond the end of the file can happen.
    pub fn new(file: &File, len: usize) -> io::Result<SharedMap> {
        if len == 0 || file.metadata()?.len() < len as u64 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the mapping must cover a non-empty prefix of the file",
            ));
        }
        // SAFETY: a fresh mapping at an address the kernel chooses, so it aliases no Rust
        // object; the file is at least `len` bytes long, so every page of it is backed.
        let ptr = unsafe {
            rustix::mm::mmap(
                std::ptr::null_mut(),
                len,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::SHARED,
                file,
                0,
            )
        }?;
        let ptr = NonNull::new(ptr).ok_or_else(|| io::Error::other("mmap returned null"))?;
        Ok(SharedMap { ptr, len })
    }

    /// Fault in, writable, the pages under `[offset, offset + len)` (`MADV_POPULATE_WRITE`):
    /// a failure a write would meet as `SIGBUS` is returned here as an error. One system
    /// call.
    pub fn populate(&self, offset: usize, len: usize) -> io::Result<()> {
        let start = offset - offset % rustix::param::page_size();
        let end = offset.saturating_add(len).min(self.len);
        if offset >= end {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "populate past the mapping",
            ));
        }
        // SAFETY: `start..end` lies inside the mapping (`start` is `offset` rounded down to
        // its page, the mapping starts on a page, `end` is clamped to `len`); the advice
        // changes no contents.
        unsafe {
            rustix::mm::madvise(
                self.ptr.as_ptr().cast::<u8>().add(start).cast(),
                end - start,
                Advice::LinuxPopulateWrite,
            )
        }?;
        Ok(())
    }

    /// `Err(InvalidInput)` unless `[offset, offset + len)` lies inside the mapping.
    fn check_inside(&self, offset: usize, len: usize) -> io::Result<()> {
        if offset.checked_add(len).is_none_or(|end| end > self.len) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "range past the end of the mapping",
            ));
        }
        Ok(())
    }

    /// Copy `bytes` into the mapping at `offset`.
    pub fn copy_at(&self, offset: usize, bytes: &[u8]) -> io::Result<()> {
        self.check_inside(offset, bytes.len())?;
        // SAFETY: the destination range was checked to lie inside the mapping, which holds
        // no Rust reference; the source is a distinct slice, so they do not overlap.
        unsafe {
            std::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                self.ptr.as_ptr().cast::<u8>().add(offset),
                bytes.len(),
            );
        }
        Ok(())
    }

    /// The mapped bytes at `[offset, offset + len)`, copied out (for the check after a run).
    pub fn read_at(&self, offset: usize, len: usize) -> io::Result<Vec<u8>> {
        self.check_inside(offset, len)?;
        let mut out = vec![0u8; len];
        // SAFETY: the source range was checked to lie inside the mapping; `out` is a fresh
        // buffer of `len` bytes, distinct from it.
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.ptr.as_ptr().cast::<u8>().add(offset),
                out.as_mut_ptr(),
                len,
            );
        }
        Ok(out)
    }
}

impl Drop for SharedMap {
    fn drop(&mut self) {
        // SAFETY: `ptr..ptr + len` is the mapping `new` made, and no reference into it
        // outlives `self` (every access copies in or out).
        let _ = unsafe { rustix::mm::munmap(self.ptr.as_ptr(), self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::rawio::{Prealloc, create};

    #[test]
    fn copies_land_in_the_file_and_ranges_are_checked() {
        const PAGE: usize = 4096;
        let d = std::env::temp_dir().join(format!("walogs-bench-rawmap-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        let path = d.join("map.dat");
        let file = create(&path, Prealloc::Fallocate, 3 * PAGE as u64).unwrap();
        assert!(
            SharedMap::new(&file, 4 * PAGE).is_err(),
            "longer than the file"
        );
        let map = SharedMap::new(&file, 3 * PAGE).unwrap();
        let frame = b"walogs frame bytes";
        // Across the first page boundary.
        let at = PAGE - 5;
        map.populate(at, frame.len()).unwrap();
        map.copy_at(at, frame).unwrap();
        assert_eq!(map.read_at(at, frame.len()).unwrap(), frame);
        assert!(map.populate(3 * PAGE, 1).is_err());
        assert!(map.copy_at(3 * PAGE - 1, b"ab").is_err());
        assert!(map.copy_at(usize::MAX, b"a").is_err());
        assert!(map.read_at(3 * PAGE, 1).is_err());
        drop(map);
        // A shared mapping writes the file itself (through the page cache).
        let on_disk = std::fs::read(&path).unwrap();
        assert_eq!(&on_disk[at..at + frame.len()], frame);
        assert!(on_disk[..at].iter().all(|&b| b == 0));
        std::fs::remove_dir_all(&d).unwrap();
    }
}
