//! [`HookFs`]: a file system that forwards every call to an inner one (the real [`OsFs`] by
//! default) and first asks a hook what to do with it: proceed, fail, or fail part way. One
//! wrapper serves every fault-injection test; a test only writes the hook.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use walogs_core::vfs::{Dir, EntryKind, FileSystem, FsFile, OpenMode, OsFs};

/// A call about to be made. File names are names inside the WAL directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Op<'a> {
    /// `Dir::open`.
    Open {
        /// File name.
        name: &'a str,
        /// How it is opened.
        mode: OpenMode,
    },
    /// `FsFile::write_all_at`.
    Write {
        /// File name.
        name: &'a str,
        /// Offset written at.
        offset: u64,
        /// Bytes written.
        len: usize,
    },
    /// `FsFile::sync_data`.
    SyncData {
        /// File name.
        name: &'a str,
    },
    /// `FsFile::set_len`.
    SetLen {
        /// File name.
        name: &'a str,
        /// New length.
        len: u64,
    },
    /// `FsFile::allocate`.
    Allocate {
        /// File name.
        name: &'a str,
        /// Length asked for.
        len: u64,
    },
    /// `FsFile::start_writeback` (a hint; a failure of it is ignored by the writer).
    StartWriteback {
        /// File name.
        name: &'a str,
        /// First byte of the range.
        offset: u64,
        /// Bytes in the range.
        len: u64,
    },
    /// `FsFile::advise_sequential` (a hint; a failure of it is ignored by recovery).
    AdviseSequential {
        /// File name.
        name: &'a str,
    },
    /// `FsFile::read_at`.
    Read {
        /// File name.
        name: &'a str,
    },
    /// `FsFile::next_data` (a look past the end of the valid frames).
    NextData {
        /// File name.
        name: &'a str,
        /// Offset looked from.
        offset: u64,
    },
    /// `Dir::list`.
    List,
    /// `Dir::rename`.
    Rename {
        /// Old name.
        from: &'a str,
        /// New name.
        to: &'a str,
    },
    /// `Dir::remove`.
    Remove {
        /// File name.
        name: &'a str,
    },
    /// `Dir::sync` (the WAL directory) or `FileSystem::sync_dir` (a parent).
    SyncDir,
    /// `FileSystem::create_dir`.
    CreateDir,
}

impl Op<'_> {
    /// The file the call is about, if one.
    pub fn file(&self) -> Option<&str> {
        match *self {
            Op::Open { name, .. }
            | Op::Write { name, .. }
            | Op::SyncData { name }
            | Op::SetLen { name, .. }
            | Op::Allocate { name, .. }
            | Op::StartWriteback { name, .. }
            | Op::AdviseSequential { name }
            | Op::Read { name }
            | Op::NextData { name, .. }
            | Op::Remove { name } => Some(name),
            Op::Rename { from, .. } => Some(from),
            Op::List | Op::SyncDir | Op::CreateDir => None,
        }
    }
}

/// What the hook wants done with a call.
#[derive(Debug)]
pub enum Action {
    /// Forward it.
    Proceed,
    /// Fail it with this error, doing nothing.
    Fail(io::Error),
    /// Writes: write the first `bytes` bytes, then fail with `error`. Allocations: extend the
    /// file half of the way with zeros, then fail. Other calls: like `Fail`.
    Partial {
        /// Bytes written before failing (writes only).
        bytes: usize,
        /// The error returned.
        error: io::Error,
    },
}

/// Decides what happens to each call.
pub trait Hook: Send + Sync {
    /// Called before every call.
    fn on(&self, op: &Op<'_>) -> Action;
}

impl<F> Hook for F
where
    F: Fn(&Op<'_>) -> Action + Send + Sync,
{
    fn on(&self, op: &Op<'_>) -> Action {
        self(op)
    }
}

/// A hook failing the `n`-th call (counted from 1; 0 or negative: never) that `which`
/// selects, with `error()`; a write fails after writing half its bytes when `partial`.
pub struct FailNth {
    which: Box<dyn Fn(&Op<'_>) -> bool + Send + Sync>,
    countdown: Arc<AtomicI64>,
    errno: i32,
    partial: bool,
}

impl fmt::Debug for FailNth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FailNth")
            .field("countdown", &self.countdown)
            .field("errno", &self.errno)
            .finish()
    }
}

impl FailNth {
    /// Fail (with OS error `errno`) the selected calls once the returned counter, set by the
    /// test, counts down from n to 1. The counter starts at 0 (never).
    pub fn new(
        errno: i32,
        which: impl Fn(&Op<'_>) -> bool + Send + Sync + 'static,
    ) -> (FailNth, Arc<AtomicI64>) {
        let countdown = Arc::new(AtomicI64::new(0));
        (
            FailNth {
                which: Box::new(which),
                countdown: countdown.clone(),
                errno,
                partial: false,
            },
            countdown,
        )
    }

    /// Fail part way (half a write is written; an allocation extends half of the way).
    pub fn partial(mut self) -> FailNth {
        self.partial = true;
        self
    }
}

impl Hook for FailNth {
    fn on(&self, op: &Op<'_>) -> Action {
        if !(self.which)(op) {
            return Action::Proceed;
        }
        let prev = self.countdown.fetch_sub(1, Ordering::SeqCst);
        if prev <= 0 {
            self.countdown.store(0, Ordering::SeqCst);
        }
        if prev != 1 {
            return Action::Proceed;
        }
        let error = io::Error::from_raw_os_error(self.errno);
        match op {
            Op::Write { len, .. } if self.partial => Action::Partial {
                bytes: len / 2,
                error,
            },
            Op::Allocate { .. } if self.partial => Action::Partial { bytes: 0, error },
            _ => Action::Fail(error),
        }
    }
}

/// A hook failing, with OS error `errno`, every call that `which` selects from the moment the
/// returned switch is turned on (a disk that starts failing and keeps failing).
pub struct FailFrom {
    which: Box<dyn Fn(&Op<'_>) -> bool + Send + Sync>,
    on: Arc<AtomicBool>,
    errno: i32,
}

impl fmt::Debug for FailFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FailFrom")
            .field("on", &self.on)
            .field("errno", &self.errno)
            .finish()
    }
}

impl FailFrom {
    /// The hook and its switch (off at first).
    pub fn new(
        errno: i32,
        which: impl Fn(&Op<'_>) -> bool + Send + Sync + 'static,
    ) -> (FailFrom, Arc<AtomicBool>) {
        let on = Arc::new(AtomicBool::new(false));
        (
            FailFrom {
                which: Box::new(which),
                on: on.clone(),
                errno,
            },
            on,
        )
    }
}

impl Hook for FailFrom {
    fn on(&self, op: &Op<'_>) -> Action {
        if self.on.load(Ordering::SeqCst) && (self.which)(op) {
            Action::Fail(io::Error::from_raw_os_error(self.errno))
        } else {
            Action::Proceed
        }
    }
}

/// The forwarding file system.
#[derive(Clone)]
pub struct HookFs {
    inner: Arc<dyn FileSystem>,
    hook: Arc<dyn Hook>,
}

impl fmt::Debug for HookFs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HookFs")
            .field("inner", &self.inner)
            .finish()
    }
}

impl HookFs {
    /// The real file system behind `hook`.
    pub fn new(hook: impl Hook + 'static) -> HookFs {
        HookFs::over(Arc::new(OsFs), hook)
    }

    /// `inner` behind `hook`.
    pub fn over(inner: Arc<dyn FileSystem>, hook: impl Hook + 'static) -> HookFs {
        HookFs {
            inner,
            hook: Arc::new(hook),
        }
    }

    /// As the `Arc<dyn FileSystem>` that `WalOptions::file_system` takes.
    pub fn into_fs(self) -> Arc<dyn FileSystem> {
        Arc::new(self)
    }
}

fn gate(hook: &dyn Hook, op: Op<'_>) -> io::Result<()> {
    match hook.on(&op) {
        Action::Proceed => Ok(()),
        Action::Fail(e) | Action::Partial { error: e, .. } => Err(e),
    }
}

impl FileSystem for HookFs {
    fn open_dir(&self, path: &Path) -> io::Result<Box<dyn Dir>> {
        Ok(Box::new(HookDir {
            inner: self.inner.open_dir(path)?,
            hook: self.hook.clone(),
        }))
    }
    fn kind(&self, path: &Path) -> io::Result<Option<bool>> {
        self.inner.kind(path)
    }
    fn create_dir(&self, path: &Path, mode: u32) -> io::Result<()> {
        gate(self.hook.as_ref(), Op::CreateDir)?;
        self.inner.create_dir(path, mode)
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        gate(self.hook.as_ref(), Op::SyncDir)?;
        self.inner.sync_dir(path)
    }
}

struct HookDir {
    inner: Box<dyn Dir>,
    hook: Arc<dyn Hook>,
}

impl fmt::Debug for HookDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HookDir")
            .field("inner", &self.inner)
            .finish()
    }
}

impl Dir for HookDir {
    fn path(&self) -> &Path {
        self.inner.path()
    }
    fn open(&self, name: &str, mode: OpenMode) -> io::Result<Box<dyn FsFile>> {
        gate(self.hook.as_ref(), Op::Open { name, mode })?;
        Ok(Box::new(HookFile {
            inner: self.inner.open(name, mode)?,
            name: name.to_string(),
            hook: self.hook.clone(),
            path: self.inner.path().join(name),
        }))
    }
    fn list(&self) -> io::Result<Vec<String>> {
        gate(self.hook.as_ref(), Op::List)?;
        self.inner.list()
    }
    fn kind(&self, name: &str) -> io::Result<Option<EntryKind>> {
        self.inner.kind(name)
    }
    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        gate(self.hook.as_ref(), Op::Rename { from, to })?;
        self.inner.rename(from, to)
    }
    fn remove(&self, name: &str) -> io::Result<()> {
        gate(self.hook.as_ref(), Op::Remove { name })?;
        self.inner.remove(name)
    }
    fn sync(&self) -> io::Result<()> {
        gate(self.hook.as_ref(), Op::SyncDir)?;
        self.inner.sync()
    }
}

struct HookFile {
    inner: Box<dyn FsFile>,
    name: String,
    path: PathBuf,
    hook: Arc<dyn Hook>,
}

impl fmt::Debug for HookFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HookFile")
            .field("path", &self.path)
            .finish()
    }
}

impl FsFile for HookFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        gate(self.hook.as_ref(), Op::Read { name: &self.name })?;
        self.inner.read_at(buf, offset)
    }
    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        let op = Op::Write {
            name: &self.name,
            offset,
            len: buf.len(),
        };
        match self.hook.on(&op) {
            Action::Proceed => self.inner.write_all_at(buf, offset),
            Action::Fail(e) => Err(e),
            Action::Partial { bytes, error } => {
                self.inner
                    .write_all_at(&buf[..bytes.min(buf.len())], offset)?;
                Err(error)
            }
        }
    }
    fn sync_data(&self) -> io::Result<()> {
        gate(self.hook.as_ref(), Op::SyncData { name: &self.name })?;
        self.inner.sync_data()
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        gate(
            self.hook.as_ref(),
            Op::SetLen {
                name: &self.name,
                len,
            },
        )?;
        self.inner.set_len(len)
    }
    fn len(&self) -> io::Result<u64> {
        self.inner.len()
    }
    fn allocate(&self, len: u64) -> io::Result<()> {
        let op = Op::Allocate {
            name: &self.name,
            len,
        };
        match self.hook.on(&op) {
            Action::Proceed => self.inner.allocate(len),
            Action::Fail(e) => Err(e),
            Action::Partial { error, .. } => {
                let cur = self.inner.len()?;
                self.inner.set_len(cur + len.saturating_sub(cur) / 2)?;
                Err(error)
            }
        }
    }
    fn try_lock(&self) -> io::Result<bool> {
        self.inner.try_lock()
    }
    fn start_writeback(&self, offset: u64, len: u64) -> io::Result<()> {
        gate(
            self.hook.as_ref(),
            Op::StartWriteback {
                name: &self.name,
                offset,
                len,
            },
        )?;
        self.inner.start_writeback(offset, len)
    }
    fn advise_sequential(&self) -> io::Result<()> {
        gate(
            self.hook.as_ref(),
            Op::AdviseSequential { name: &self.name },
        )?;
        self.inner.advise_sequential()
    }
    fn next_data(&self, offset: u64) -> io::Result<Option<u64>> {
        gate(
            self.hook.as_ref(),
            Op::NextData {
                name: &self.name,
                offset,
            },
        )?;
        self.inner.next_data(offset)
    }
}
