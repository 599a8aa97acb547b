//! [`OsFs`]: the real file system, through a descriptor of the WAL directory.
//!
//! Files are opened with `openat(dirfd, name, O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)` after an
//! `fstatat(AT_SYMLINK_NOFOLLOW)` says the entry is a regular file, and checked again with
//! `fstat` on the open descriptor (same inode, regular), so a link, FIFO, socket or device
//! planted under a walogs name is refused without being followed, blocked on or touched.
//! Data I/O uses the C library's `pread`/`pwrite`/`fdatasync`/`fsync` (what an `LD_PRELOAD`
//! fault injector sees); the descriptor-relative calls come from `rustix`.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, SeekFrom, Stat};

use super::{Dir, EntryKind, FileProblem, FileSystem, FsFile, IoAt, OpenMode, UnsafeFile};

/// The real file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsFs;

#[derive(Debug)]
struct OsDir {
    fd: File,
    path: PathBuf,
}

#[derive(Debug)]
struct OsFile {
    file: File,
    path: PathBuf,
}

impl OsFile {
    fn at(&self, op: &'static str, e: io::Error) -> io::Error {
        IoAt::wrap(op, self.path.clone(), e)
    }
}

fn entry_kind(st: &Stat) -> EntryKind {
    match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile => EntryKind::Regular,
        FileType::Directory => EntryKind::Directory,
        FileType::Symlink => EntryKind::Symlink,
        FileType::Fifo => EntryKind::Fifo,
        FileType::Socket => EntryKind::Socket,
        FileType::CharacterDevice => EntryKind::CharDevice,
        FileType::BlockDevice => EntryKind::BlockDevice,
        _ => EntryKind::Other,
    }
}

fn refuse(dir: &Path, name: &str, problem: FileProblem) -> io::Error {
    UnsafeFile {
        path: dir.join(name),
        problem,
    }
    .into_io()
}

/// A name walogs may open inside the directory: one non-empty component.
fn check_name(name: &str) -> io::Result<()> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') || name.contains('\0') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name:?} is not a file name inside the WAL directory"),
        ));
    }
    Ok(())
}

impl OsDir {
    /// `fstatat` without following a link; `Ok(None)` when the entry does not exist.
    fn lstat(&self, name: &str) -> io::Result<Option<Stat>> {
        match rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some(st)),
            Err(rustix::io::Errno::NOENT) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

impl Dir for OsDir {
    fn path(&self) -> &Path {
        &self.path
    }

    fn open(&self, name: &str, mode: OpenMode) -> io::Result<Box<dyn FsFile>> {
        let op = if mode.writes() {
            "open for writing"
        } else {
            "open"
        };
        self.open_checked(name, mode)
            .map_err(|e| IoAt::wrap(op, self.path.join(name), e))
    }

    fn list(&self) -> io::Result<Vec<String>> {
        self.list_entries()
            .map_err(|e| IoAt::wrap("list", self.path.clone(), e))
    }

    fn kind(&self, name: &str) -> io::Result<Option<EntryKind>> {
        check_name(name)?;
        self.lstat(name)
            .map(|st| st.map(|st| entry_kind(&st)))
            .map_err(|e| IoAt::wrap("stat", self.path.join(name), e))
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        check_name(from)?;
        check_name(to)?;
        rustix::fs::renameat(&self.fd, from, &self.fd, to)
            .map_err(|e| IoAt::wrap("rename", self.path.join(from), e.into()))
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        check_name(name)?;
        rustix::fs::unlinkat(&self.fd, name, AtFlags::empty())
            .map_err(|e| IoAt::wrap("remove", self.path.join(name), e.into()))
    }

    fn sync(&self) -> io::Result<()> {
        self.fd
            .sync_all()
            .map_err(|e| IoAt::wrap("fsync", self.path.clone(), e))
    }

    fn parallel_reads(&self) -> bool {
        true
    }
}

impl OsDir {
    fn open_checked(&self, name: &str, mode: OpenMode) -> io::Result<Box<dyn FsFile>> {
        check_name(name)?;
        let before = match mode {
            OpenMode::CreateNew { .. } => None,
            _ => {
                let st = self.lstat(name)?.ok_or_else(|| {
                    io::Error::new(io::ErrorKind::NotFound, format!("{name} does not exist"))
                })?;
                let kind = entry_kind(&st);
                if kind != EntryKind::Regular {
                    return Err(refuse(&self.path, name, FileProblem::NotRegular(kind)));
                }
                Some(st)
            }
        };
        let base = OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let (flags, create_mode) = match mode {
            OpenMode::Read => (base | OFlags::RDONLY, Mode::empty()),
            OpenMode::ReadWrite => (base | OFlags::RDWR, Mode::empty()),
            OpenMode::CreateNew { mode } => (
                base | OFlags::RDWR | OFlags::CREATE | OFlags::EXCL,
                Mode::from_raw_mode(mode & 0o7777),
            ),
        };
        let fd: OwnedFd = match rustix::fs::openat(&self.fd, name, flags, create_mode) {
            Ok(fd) => fd,
            // O_NOFOLLOW on a link that appeared after the check above.
            Err(rustix::io::Errno::LOOP) => {
                return Err(refuse(
                    &self.path,
                    name,
                    FileProblem::NotRegular(EntryKind::Symlink),
                ));
            }
            Err(e) => return Err(e.into()),
        };
        let st = rustix::fs::fstat(&fd)?;
        let kind = entry_kind(&st);
        if kind != EntryKind::Regular {
            return Err(refuse(&self.path, name, FileProblem::NotRegular(kind)));
        }
        if let Some(b) = before
            && (b.st_dev, b.st_ino) != (st.st_dev, st.st_ino)
        {
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                format!("{name} was replaced while it was being opened"),
            ));
        }
        match mode {
            OpenMode::Read => {}
            OpenMode::ReadWrite => {
                if st.st_nlink > 1 {
                    return Err(refuse(
                        &self.path,
                        name,
                        FileProblem::HardLinked {
                            links: st.st_nlink as u64,
                        },
                    ));
                }
                // Root may write any file; walogs still honours permission bits that forbid
                // writing (a segment made read-only on purpose is not truncated behind the
                // owner's back).
                if st.st_mode & 0o222 == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::PermissionDenied,
                        format!("{name}: its permissions forbid writing"),
                    ));
                }
            }
            OpenMode::CreateNew { mode } => {
                // The umask must not widen or narrow what the caller asked for.
                rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode & 0o7777))?;
            }
        }
        Ok(Box::new(OsFile {
            file: File::from(fd),
            path: self.path.join(name),
        }))
    }

    fn list_entries(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in rustix::fs::Dir::read_from(&self.fd)? {
            let entry = entry?;
            if let Ok(name) = entry.file_name().to_str()
                && name != "."
                && name != ".."
            {
                names.push(name.to_string());
            }
        }
        Ok(names)
    }
}

impl FsFile for OsFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        loop {
            match self.file.read_at(buf, offset) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.at("read", e)),
                Ok(n) => return Ok(n),
            }
        }
    }
    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.file
            .write_all_at(buf, offset)
            .map_err(|e| self.at("write", e))
    }
    fn sync_data(&self) -> io::Result<()> {
        self.file.sync_data().map_err(|e| self.at("fdatasync", e))
    }
    // rustix has no `sync_file_range`: the one foreign call of this module.
    #[allow(unsafe_code)]
    fn start_writeback(&self, offset: u64, len: u64) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
            return Err(io::Error::from(io::ErrorKind::InvalidInput));
        };
        // SAFETY: `sync_file_range` reads no memory of this process: it takes a descriptor
        // (owned by `self.file`, so open for the whole call), two integers and a flag, and
        // its only effect is to queue the file's dirty pages in that range for writeback.
        let r = unsafe {
            libc::sync_file_range(
                self.file.as_raw_fd(),
                offset,
                len,
                libc::SYNC_FILE_RANGE_WRITE,
            )
        };
        if r == 0 {
            Ok(())
        } else {
            Err(self.at("sync_file_range", io::Error::last_os_error()))
        }
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.file.set_len(len).map_err(|e| self.at("truncate", e))
    }
    fn len(&self) -> io::Result<u64> {
        self.file
            .metadata()
            .map(|m| m.len())
            .map_err(|e| self.at("stat", e))
    }
    /// Reserves the blocks with `fallocate` (so a lack of space shows here, not in the
    /// middle of a frame), then writes zeros over the new range. The zeros matter for speed:
    /// ext4 and XFS keep `fallocate`d blocks as "unwritten" extents, and every fdatasync that
    /// lands in one must also commit the extent conversion to the journal; blocks already
    /// written with zeros are plain overwrites (measured on ext4 here: 4 KiB append +
    /// fdatasync 113 us into zero-filled space vs 178 us into `fallocate`d space). Costs one
    /// `fstat`, one `fallocate` and `ceil(added / 256 KiB)` `pwrite`s of zeros.
    fn allocate(&self, len: u64) -> io::Result<()> {
        let cur = self.len()?;
        if cur >= len {
            return Ok(());
        }
        match rustix::fs::fallocate(
            &self.file,
            rustix::fs::FallocateFlags::empty(),
            cur,
            len - cur,
        ) {
            Ok(()) => {}
            // File systems without fallocate: the zeros below extend the file.
            Err(e) if e == rustix::io::Errno::OPNOTSUPP => {}
            Err(e) => return Err(self.at("fallocate", e.into())),
        }
        static ZEROS: [u8; 256 * 1024] = [0; 256 * 1024];
        let mut off = cur;
        while off < len {
            let n = (len - off).min(ZEROS.len() as u64) as usize;
            self.file
                .write_all_at(&ZEROS[..n], off)
                .map_err(|e| self.at("write zeros", e))?;
            off += n as u64;
        }
        Ok(())
    }
    fn try_lock(&self) -> io::Result<bool> {
        match self.file.try_lock() {
            Ok(()) => Ok(true),
            Err(std::fs::TryLockError::WouldBlock) => Ok(false),
            Err(std::fs::TryLockError::Error(e)) => Err(self.at("lock", e)),
        }
    }
    fn advise_sequential(&self) -> io::Result<()> {
        rustix::fs::fadvise(&self.file, 0, None, rustix::fs::Advice::Sequential)
            .map_err(|e| self.at("fadvise", e.into()))
    }
    /// `lseek(SEEK_DATA)`; file systems without it report every byte as data.
    fn next_data(&self, offset: u64) -> io::Result<Option<u64>> {
        match rustix::fs::seek(self.file.as_fd(), SeekFrom::Data(offset)) {
            Ok(off) => Ok(Some(off)),
            Err(rustix::io::Errno::NXIO) => Ok(None),
            Err(rustix::io::Errno::INVAL) | Err(rustix::io::Errno::OPNOTSUPP) => Ok(Some(offset)),
            Err(e) => Err(self.at("seek", e.into())),
        }
    }
}

/// The path an open descriptor resolves to, for messages; `fallback` when `/proc` cannot say.
fn resolved_path(fd: &File, fallback: &Path) -> PathBuf {
    use std::os::fd::AsRawFd;
    std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())).unwrap_or_else(|_| {
        std::path::absolute(fallback).unwrap_or_else(|_| fallback.to_path_buf())
    })
}

impl FileSystem for OsFs {
    fn open_dir(&self, path: &Path) -> io::Result<Box<dyn Dir>> {
        let fd = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| IoAt::wrap("open the directory", path.to_path_buf(), e.into()))?;
        let fd = File::from(fd);
        let path = resolved_path(&fd, path);
        Ok(Box::new(OsDir { fd, path }))
    }
    fn kind(&self, path: &Path) -> io::Result<Option<bool>> {
        match std::fs::metadata(path) {
            Ok(m) => Ok(Some(m.is_dir())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(IoAt::wrap("stat", path.to_path_buf(), e)),
        }
    }
    fn create_dir(&self, path: &Path, mode: u32) -> io::Result<()> {
        use std::os::unix::fs::DirBuilderExt;
        let at = |e| IoAt::wrap("create the directory", path.to_path_buf(), e);
        std::fs::DirBuilder::new()
            .mode(mode & 0o7777)
            .create(path)
            .map_err(at)?;
        // The umask must not change the mode asked for; set it through a descriptor of the
        // directory just made (never through a link that may have replaced it). The
        // set-group-ID bit a set-group-ID parent gave it stays: it is how a group of readers
        // gets every file created inside.
        let fd = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| at(e.into()))?;
        let inherited = rustix::fs::fstat(&fd).map_err(|e| at(e.into()))?.st_mode & 0o2000;
        rustix::fs::fchmod(&fd, Mode::from_raw_mode((mode & 0o7777) | inherited))
            .map_err(|e| at(e.into()))?;
        Ok(())
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        File::open(path)
            .and_then(|f| f.sync_all())
            .map_err(|e| IoAt::wrap("fsync", path.to_path_buf(), e))
    }
}
