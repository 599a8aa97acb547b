//! [`SimFs`]: the simulated file system behind walogs-core's I/O seam
//! ([`walogs_core::vfs::FileSystem`]), with call accounting, crash snapshots, a call trace
//! and fault injection.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use walogs_core::vfs::{Dir, EntryKind, FileSystem, FsFile, OpenMode};

use crate::Rng;
use crate::disk::{DataOp, DirOp, Disk, Entry, Inode, Resolution, normalize, resolve_file, split};
use crate::fault::{CallClass, FaultKind, FaultPlan, FiredFault};

/// The disk state right after one mutating call: a crash point.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The whole device at that moment.
    pub disk: Disk,
    /// The driver's tag (operation index) when the call was made.
    pub tag: u64,
    /// 1-based number of the mutating call.
    pub call: u64,
    /// The call, e.g. `write_all_at /wal/wal-000001.log @0 +56`.
    pub desc: String,
}

/// How many calls of each class were made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallCounts {
    /// `write_all_at` calls.
    pub write: u64,
    /// `sync_data` and `sync_dir` calls.
    pub sync: u64,
    /// Metadata calls.
    pub meta: u64,
    /// Read-only calls.
    pub read: u64,
}

impl CallCounts {
    /// Count of one class.
    pub fn get(&self, c: CallClass) -> u64 {
        match c {
            CallClass::Write => self.write,
            CallClass::Sync => self.sync,
            CallClass::Meta => self.meta,
            CallClass::Read => self.read,
        }
    }

    fn bump(&mut self, c: CallClass) -> u64 {
        let slot = match c {
            CallClass::Write => &mut self.write,
            CallClass::Sync => &mut self.sync,
            CallClass::Meta => &mut self.meta,
            CallClass::Read => &mut self.read,
        };
        *slot += 1;
        *slot
    }

    /// Mutating calls (write + sync + meta): the number of crash points.
    pub fn mutating(&self) -> u64 {
        self.write + self.sync + self.meta
    }
}

/// Deliberate defects, to prove that the harnesses catch a WAL (or disk) that does not
/// really sync. Off by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lies {
    /// `sync_data` returns `Ok` and makes nothing durable.
    pub file_sync: bool,
    /// `sync_dir` returns `Ok` and makes nothing durable.
    pub dir_sync: bool,
}

#[derive(Debug)]
struct Inner {
    disk: Disk,
    lies: Lies,
    counts: CallCounts,
    fault: Option<FaultPlan>,
    fault_on: Option<(String, FaultKind, u64)>,
    fired: Option<FiredFault>,
    recording: bool,
    snapshots: Vec<Snapshot>,
    tag: u64,
    trace: Option<Vec<String>>,
    locks: HashMap<usize, u64>,
    next_handle: u64,
    sync_delay: Option<std::time::Duration>,
}

/// A simulated file system. Cloning gives another handle to the same device.
///
/// Costs: every call takes one mutex; data lives in memory. Nothing touches the real disk.
#[derive(Clone)]
pub struct SimFs {
    inner: Arc<Mutex<Inner>>,
}

impl fmt::Debug for SimFs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = self.lock();
        f.debug_struct("SimFs")
            .field("files", &g.disk.inodes.len())
            .field("dirs", &g.disk.dirs.len())
            .field("counts", &g.counts)
            .finish()
    }
}

impl Default for SimFs {
    fn default() -> Self {
        SimFs::new(Disk::default())
    }
}

fn err(code: i32) -> io::Error {
    io::Error::from_raw_os_error(code)
}
const ENOENT: i32 = 2;
const EBADF: i32 = 9;
const EEXIST: i32 = 17;
const EXDEV: i32 = 18;
const ENOTDIR: i32 = 20;
const EISDIR: i32 = 21;

impl SimFs {
    /// A file system over `disk`.
    pub fn new(disk: Disk) -> SimFs {
        SimFs {
            inner: Arc::new(Mutex::new(Inner {
                disk,
                lies: Lies::default(),
                counts: CallCounts::default(),
                fault: None,
                fault_on: None,
                fired: None,
                recording: false,
                snapshots: Vec::new(),
                tag: 0,
                trace: None,
                locks: HashMap::new(),
                next_handle: 1,
                sync_delay: None,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A file system holding directory `dir` (and its ancestors) with these files, all of
    /// them durable (no crash state pending).
    pub fn with_files(dir: &Path, files: &[(String, Vec<u8>)]) -> SimFs {
        let fs = SimFs::default();
        let mut parts = Vec::new();
        for a in normalize(dir).ancestors() {
            parts.push(a.to_path_buf());
        }
        for p in parts.iter().rev().skip(1) {
            let _ = fs.create_dir_path(p);
        }
        for (name, data) in files {
            if let Ok(f) = fs.open_path(&dir.join(name), OpenMode::CreateNew { mode: 0o600 }) {
                let _ = f.write_all_at(data, 0);
            }
        }
        let mut g = fs.lock();
        let durable = g.disk.crash(Resolution::ApplyAll);
        g.disk = durable;
        drop(g);
        fs
    }

    /// Every file directly in `dir`, by name, in name order, as the page cache shows it.
    pub fn files(&self, dir: &Path) -> Vec<(String, Vec<u8>)> {
        let dir = normalize(dir);
        let g = self.lock();
        let Some(node) = g.disk.dirs.get(&dir) else {
            return Vec::new();
        };
        node.current
            .iter()
            .filter_map(|(name, e)| match e {
                Entry::File(ino) => Some((name.clone(), g.disk.inodes[*ino].current.clone())),
                Entry::Dir => None,
            })
            .collect()
    }

    /// As an `Arc<dyn FileSystem>` for [`walogs_core::WalOptions::file_system`].
    pub fn handle(&self) -> Arc<dyn FileSystem> {
        Arc::new(self.clone())
    }

    /// Make the device lie about syncs (see [`Lies`]).
    pub fn set_lies(&self, lies: Lies) {
        self.lock().lies = lies;
    }

    /// A copy of the device as it is now.
    pub fn disk(&self) -> Disk {
        self.lock().disk.clone()
    }

    /// A new, independent file system holding what survives a power loss now, resolved
    /// per `res`. Handles of this one keep working on the old device.
    pub fn crash(&self, res: Resolution) -> SimFs {
        SimFs::new(self.lock().disk.crash(res))
    }

    /// Calls made so far, by class.
    pub fn counts(&self) -> CallCounts {
        self.lock().counts
    }

    /// Arm one fault (replacing any armed one); counting continues from the current counts,
    /// so `nth` counts from the start of the file system's life.
    pub fn set_fault(&self, plan: Option<FaultPlan>) {
        let mut g = self.lock();
        g.fault = plan;
        g.fired = None;
    }

    /// Arm one fault on the first call whose trace line contains `needle` (for example
    /// `"open /wal/wal-000002.log CreateNew"`), whatever its number; `seed` drives its
    /// partial effects (see [`FaultPlan`]). Replaces any armed fault.
    pub fn set_fault_on(&self, needle: &str, kind: FaultKind, seed: u64) {
        let mut g = self.lock();
        g.fault = None;
        g.fault_on = Some((needle.to_string(), kind, seed));
        g.fired = None;
    }

    /// The fault that fired, if any.
    pub fn fired(&self) -> Option<FiredFault> {
        self.lock().fired.clone()
    }

    /// Record a [`Snapshot`] after every mutating call (or stop, with `false`).
    pub fn record(&self, on: bool) {
        self.lock().recording = on;
    }

    /// Take the recorded snapshots.
    pub fn take_snapshots(&self) -> Vec<Snapshot> {
        std::mem::take(&mut self.lock().snapshots)
    }

    /// Set the tag stored with later snapshots and fired faults (the driver's op index).
    pub fn set_tag(&self, tag: u64) {
        self.lock().tag = tag;
    }

    /// Keep a text trace of every call (or stop and drop it, with `false`).
    pub fn trace(&self, on: bool) {
        self.lock().trace = on.then(Vec::new);
    }

    /// The trace recorded so far.
    pub fn take_trace(&self) -> Vec<String> {
        self.lock()
            .trace
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Make every later `sync_data` wait this long (with no lock held) before it syncs, or
    /// stop (`None`). A harness uses it to give threads that should be waiting for that sync
    /// (a durability notification, say) time to run first if they are wrongly not waiting.
    pub fn set_sync_delay(&self, delay: Option<std::time::Duration>) {
        self.lock().sync_delay = delay;
    }

    /// Mark a file read-only (permission bits), for images.
    pub fn set_read_only(&self, path: &Path, yes: bool) -> io::Result<()> {
        let mut g = self.lock();
        match g.disk.lookup(&normalize(path)) {
            Some(Entry::File(ino)) => {
                g.disk.inodes[ino].read_only = yes;
                Ok(())
            }
            Some(Entry::Dir) => Err(err(EISDIR)),
            None => Err(err(ENOENT)),
        }
    }
}

impl Inner {
    /// Account for one call; returns the injected error if this call is the armed fault.
    fn enter(
        &mut self,
        class: CallClass,
        desc: impl FnOnce() -> String,
        path: &Path,
    ) -> Option<FaultPlan> {
        let n = self.counts.bump(class);
        let mut hit = self
            .fault
            .filter(|f| f.class == class && f.nth == n && self.fired.is_none());
        let need_desc = hit.is_some()
            || self.trace.is_some()
            || self.fault_on.is_some()
            || (self.recording && class != CallClass::Read);
        let d = if need_desc { desc() } else { String::new() };
        if let Some((needle, kind, seed)) = &self.fault_on
            && self.fired.is_none()
            && d.contains(needle.as_str())
        {
            hit = Some(FaultPlan {
                class,
                nth: n,
                kind: *kind,
                seed: *seed,
            });
            self.fault_on = None;
        }
        if let Some(t) = &mut self.trace {
            t.push(if hit.is_some() {
                format!("{d}  <- injected fault")
            } else {
                d.clone()
            });
        }
        if let Some(plan) = hit {
            self.fired = Some(FiredFault {
                plan,
                call: d.clone(),
                path: path.display().to_string(),
                tag: self.tag,
            });
        }
        hit
    }

    fn after_mutation(&mut self, desc: impl FnOnce() -> String) {
        if self.recording {
            let call = self.counts.mutating();
            let snap = Snapshot {
                disk: self.disk.clone(),
                tag: self.tag,
                call,
                desc: desc(),
            };
            self.snapshots.push(snap);
            let n = self.snapshots.len() - 1;
            if let Some(line) = self.trace.as_mut().and_then(|t| t.last_mut()) {
                line.push_str(&format!("  [crash point {n}]"));
            }
        }
    }

    fn inode(&mut self, ino: usize) -> &mut Inode {
        &mut self.disk.inodes[ino]
    }
}

/// One open file of a [`SimFs`].
pub struct SimFile {
    fs: SimFs,
    ino: usize,
    path: PathBuf,
    writable: bool,
    handle: u64,
}

impl fmt::Debug for SimFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SimFile({})", self.path.display())
    }
}

impl Drop for SimFile {
    fn drop(&mut self) {
        let mut g = self.fs.lock();
        if g.locks.get(&self.ino) == Some(&self.handle) {
            g.locks.remove(&self.ino);
        }
    }
}

impl SimFile {
    fn check_writable(&self) -> io::Result<()> {
        if self.writable {
            Ok(())
        } else {
            Err(err(EBADF))
        }
    }
}

impl FsFile for SimFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let mut g = self.fs.lock();
        if let Some(p) = g.enter(
            CallClass::Read,
            || format!("read_at {} @{offset} +{}", self.path.display(), buf.len()),
            &self.path,
        ) {
            return Err(p.kind.error());
        }
        let data = &g.disk.inodes[self.ino].current;
        let start = (offset as usize).min(data.len());
        let n = buf.len().min(data.len() - start);
        buf[..n].copy_from_slice(&data[start..start + n]);
        Ok(n)
    }

    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.check_writable()?;
        let mut g = self.fs.lock();
        let desc = || {
            format!(
                "write_all_at {} @{offset} +{}",
                self.path.display(),
                buf.len()
            )
        };
        let fault = g.enter(CallClass::Write, desc, &self.path);
        let len = match fault {
            Some(p) => Rng::new(p.seed).below(buf.len() as u64 + 1) as usize,
            None => buf.len(),
        };
        if len > 0 {
            let op = DataOp::Write {
                offset,
                data: buf[..len].to_vec(),
            };
            let inode = g.inode(self.ino);
            crate::disk::apply_data(&mut inode.current, &op);
            inode.pending.push(op);
        }
        g.after_mutation(desc);
        match fault {
            Some(p) => Err(p.kind.error()),
            None => Ok(()),
        }
    }

    fn sync_data(&self) -> io::Result<()> {
        let delay = self.fs.lock().sync_delay;
        if let Some(d) = delay {
            std::thread::sleep(d);
        }
        let mut g = self.fs.lock();
        let desc = || format!("sync_data {}", self.path.display());
        let fault = g.enter(CallClass::Sync, desc, &self.path);
        let lie = g.lies.file_sync;
        let inode = g.inode(self.ino);
        match fault {
            None if lie => {}
            None => {
                // Only what is dirty reaches the disk: data lost by an earlier failed sync
                // stays lost even though the page cache still shows it.
                for op in std::mem::take(&mut inode.pending) {
                    crate::disk::apply_data(&mut inode.durable, &op);
                }
            }
            Some(p) => {
                // fsyncgate: some of the dirty data reached the disk, the rest is lost, and
                // the kernel forgets it was ever dirty while the page cache keeps showing
                // it. Size changes are journaled metadata: they stay pending.
                let (writes, meta): (Vec<DataOp>, Vec<DataOp>) = std::mem::take(&mut inode.pending)
                    .into_iter()
                    .partition(|op| matches!(op, DataOp::Write { .. }));
                let lost = Inode {
                    durable: std::mem::take(&mut inode.durable),
                    pending: writes,
                    ..Inode::default()
                };
                inode.durable = resolve_file(&lost, Resolution::Random(p.seed));
                inode.pending = meta;
            }
        }
        g.after_mutation(desc);
        match fault {
            Some(p) => Err(p.kind.error()),
            None => Ok(()),
        }
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.check_writable()?;
        let mut g = self.fs.lock();
        let desc = || format!("set_len {} {len}", self.path.display());
        if let Some(p) = g.enter(CallClass::Meta, desc, &self.path) {
            return Err(p.kind.error());
        }
        let inode = g.inode(self.ino);
        let op = DataOp::SetLen(len);
        crate::disk::apply_data(&mut inode.current, &op);
        inode.pending.push(op);
        g.after_mutation(desc);
        Ok(())
    }

    fn len(&self) -> io::Result<u64> {
        let mut g = self.fs.lock();
        if let Some(p) = g.enter(
            CallClass::Read,
            || format!("len {}", self.path.display()),
            &self.path,
        ) {
            return Err(p.kind.error());
        }
        Ok(g.disk.inodes[self.ino].current.len() as u64)
    }

    fn allocate(&self, len: u64) -> io::Result<()> {
        self.check_writable()?;
        let mut g = self.fs.lock();
        let desc = || format!("allocate {} {len}", self.path.display());
        if let Some(p) = g.enter(CallClass::Meta, desc, &self.path) {
            return Err(p.kind.error());
        }
        let inode = g.inode(self.ino);
        if (inode.current.len() as u64) < len {
            let op = DataOp::Allocate(len);
            crate::disk::apply_data(&mut inode.current, &op);
            inode.pending.push(op);
        }
        g.after_mutation(desc);
        Ok(())
    }

    fn try_lock(&self) -> io::Result<bool> {
        let mut g = self.fs.lock();
        if let Some(p) = g.enter(
            CallClass::Read,
            || format!("try_lock {}", self.path.display()),
            &self.path,
        ) {
            return Err(p.kind.error());
        }
        match g.locks.get(&self.ino) {
            Some(&h) if h != self.handle => Ok(false),
            _ => {
                g.locks.insert(self.ino, self.handle);
                Ok(true)
            }
        }
    }
}

/// The path-level operations the [`Dir`] and [`FileSystem`] implementations below share.
impl SimFs {
    /// Open (or create) the file at `path`: what [`Dir::open`] does for a name.
    pub fn open_path(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn FsFile>> {
        let path = normalize(path);
        let mut g = self.lock();
        let class = if matches!(mode, OpenMode::CreateNew { .. }) {
            CallClass::Meta
        } else {
            CallClass::Read
        };
        let desc = || format!("open {} {mode:?}", path.display());
        if let Some(p) = g.enter(class, desc, &path) {
            return Err(p.kind.error());
        }
        let existing = g.disk.lookup(&path);
        let ino = match (mode, existing) {
            (_, Some(Entry::Dir)) => return Err(err(EISDIR)),
            (OpenMode::CreateNew { .. }, Some(Entry::File(_))) => return Err(err(EEXIST)),
            (OpenMode::CreateNew { .. }, None) => {
                let (parent, name) = split(&path).ok_or_else(|| err(EISDIR))?;
                if g.disk.lookup(&parent) != Some(Entry::Dir) {
                    return Err(err(ENOENT));
                }
                let ino = g.disk.inodes.len();
                g.disk.inodes.push(Inode::default());
                let entry = Entry::File(ino);
                let node = g.disk.dirs.get_mut(&parent).ok_or_else(|| err(ENOENT))?;
                node.current.insert(name.clone(), entry);
                node.pending.push(DirOp::Link { name, entry });
                g.after_mutation(desc);
                ino
            }
            (_, None) => return Err(err(ENOENT)),
            (OpenMode::ReadWrite, Some(Entry::File(ino))) if g.disk.inodes[ino].read_only => {
                // Like the real file system: permission bits that forbid writing are
                // honoured even for root.
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    format!("{}: its permissions forbid writing", path.display()),
                ));
            }
            (_, Some(Entry::File(ino))) => ino,
        };
        let handle = g.next_handle;
        g.next_handle += 1;
        drop(g);
        Ok(Box::new(SimFile {
            fs: self.clone(),
            ino,
            path,
            writable: mode.writes(),
            handle,
        }))
    }

    /// Names in the directory at `path`.
    pub fn read_dir(&self, dir: &Path) -> io::Result<Vec<String>> {
        let dir = normalize(dir);
        let mut g = self.lock();
        if let Some(p) = g.enter(
            CallClass::Read,
            || format!("read_dir {}", dir.display()),
            &dir,
        ) {
            return Err(p.kind.error());
        }
        match g.disk.lookup(&dir) {
            Some(Entry::Dir) => {}
            Some(Entry::File(_)) => return Err(err(ENOTDIR)),
            None => return Err(err(ENOENT)),
        }
        Ok(g.disk
            .dirs
            .get(&dir)
            .map(|d| d.current.keys().cloned().collect())
            .unwrap_or_default())
    }

    /// Create one directory.
    pub fn create_dir_path(&self, path: &Path) -> io::Result<()> {
        let path = normalize(path);
        let mut g = self.lock();
        let desc = || format!("create_dir {}", path.display());
        if let Some(p) = g.enter(CallClass::Meta, desc, &path) {
            return Err(p.kind.error());
        }
        if g.disk.lookup(&path).is_some() {
            return Err(err(EEXIST));
        }
        let (parent, name) = split(&path).ok_or_else(|| err(EEXIST))?;
        if g.disk.lookup(&parent) != Some(Entry::Dir) {
            return Err(err(ENOENT));
        }
        let node = g.disk.dirs.get_mut(&parent).ok_or_else(|| err(ENOENT))?;
        node.current.insert(name.clone(), Entry::Dir);
        node.pending.push(DirOp::Link {
            name,
            entry: Entry::Dir,
        });
        g.disk.dirs.insert(path.clone(), Default::default());
        g.after_mutation(desc);
        Ok(())
    }

    /// `Some(is_dir)` when `path` exists.
    pub fn kind_path(&self, path: &Path) -> io::Result<Option<bool>> {
        let path = normalize(path);
        let mut g = self.lock();
        if let Some(p) = g.enter(
            CallClass::Read,
            || format!("kind {}", path.display()),
            &path,
        ) {
            return Err(p.kind.error());
        }
        Ok(g.disk.lookup(&path).map(|e| e == Entry::Dir))
    }

    /// Rename within one directory.
    pub fn rename_path(&self, from: &Path, to: &Path) -> io::Result<()> {
        let (from, to) = (normalize(from), normalize(to));
        let mut g = self.lock();
        let desc = || format!("rename {} {}", from.display(), to.display());
        if let Some(p) = g.enter(CallClass::Meta, desc, &from) {
            return Err(p.kind.error());
        }
        let (pf, nf) = split(&from).ok_or_else(|| err(ENOENT))?;
        let (pt, nt) = split(&to).ok_or_else(|| err(EISDIR))?;
        if pf != pt {
            return Err(err(EXDEV));
        }
        let entry = match g.disk.lookup(&from) {
            Some(e @ Entry::File(_)) => e,
            Some(Entry::Dir) => return Err(err(EISDIR)),
            None => return Err(err(ENOENT)),
        };
        if g.disk.lookup(&to) == Some(Entry::Dir) {
            return Err(err(EISDIR));
        }
        let node = g.disk.dirs.get_mut(&pf).ok_or_else(|| err(ENOENT))?;
        if nf != nt {
            node.current.remove(&nf);
            node.current.insert(nt.clone(), entry);
            node.pending.push(DirOp::Rename {
                from: nf,
                to: nt,
                entry,
            });
        }
        g.after_mutation(desc);
        Ok(())
    }

    /// Remove a file.
    pub fn remove_path(&self, path: &Path) -> io::Result<()> {
        let path = normalize(path);
        let mut g = self.lock();
        let desc = || format!("remove_file {}", path.display());
        if let Some(p) = g.enter(CallClass::Meta, desc, &path) {
            return Err(p.kind.error());
        }
        let entry = match g.disk.lookup(&path) {
            Some(e @ Entry::File(_)) => e,
            Some(Entry::Dir) => return Err(err(EISDIR)),
            None => return Err(err(ENOENT)),
        };
        let (parent, name) = split(&path).ok_or_else(|| err(ENOENT))?;
        let node = g.disk.dirs.get_mut(&parent).ok_or_else(|| err(ENOENT))?;
        node.current.remove(&name);
        node.pending.push(DirOp::Unlink { name, entry });
        g.after_mutation(desc);
        Ok(())
    }

    /// Sync the directory at `path` (its pending entry changes become durable).
    pub fn sync_dir_path(&self, dir: &Path) -> io::Result<()> {
        let dir = normalize(dir);
        let mut g = self.lock();
        let desc = || format!("sync_dir {}", dir.display());
        let fault = g.enter(CallClass::Sync, desc, &dir);
        if g.disk.lookup(&dir) != Some(Entry::Dir) {
            return Err(err(ENOENT));
        }
        let lie = g.lies.dir_sync;
        if let Some(node) = g.disk.dirs.get_mut(&dir) {
            match fault {
                None if lie => {}
                None => {
                    for op in std::mem::take(&mut node.pending) {
                        crate::disk::apply_dir(&mut node.durable, &op);
                    }
                }
                // A failed directory fsync makes nothing durable and forgets nothing: the
                // entries stay in the journal's hands (ext4 and XFS abort the journal
                // rather than drop metadata silently).
                Some(_) => {}
            }
        }
        g.after_mutation(desc);
        match fault {
            Some(p) => Err(p.kind.error()),
            None => Ok(()),
        }
    }
}

/// An open directory of the simulated disk: operations by name, resolved against its path.
#[derive(Debug)]
struct SimDir {
    fs: SimFs,
    path: PathBuf,
}

impl Dir for SimDir {
    fn path(&self) -> &Path {
        &self.path
    }
    fn open(&self, name: &str, mode: OpenMode) -> io::Result<Box<dyn FsFile>> {
        self.fs.open_path(&self.path.join(name), mode)
    }
    fn list(&self) -> io::Result<Vec<String>> {
        self.fs.read_dir(&self.path)
    }
    fn kind(&self, name: &str) -> io::Result<Option<EntryKind>> {
        Ok(self.fs.kind_path(&self.path.join(name))?.map(|dir| {
            if dir {
                EntryKind::Directory
            } else {
                EntryKind::Regular
            }
        }))
    }
    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        self.fs
            .rename_path(&self.path.join(from), &self.path.join(to))
    }
    fn remove(&self, name: &str) -> io::Result<()> {
        self.fs.remove_path(&self.path.join(name))
    }
    fn sync(&self) -> io::Result<()> {
        self.fs.sync_dir_path(&self.path)
    }
}

impl FileSystem for SimFs {
    fn open_dir(&self, path: &Path) -> io::Result<Box<dyn Dir>> {
        let path = normalize(path);
        match self.kind_path(&path)? {
            Some(true) => Ok(Box::new(SimDir {
                fs: self.clone(),
                path,
            })),
            Some(false) => Err(err(ENOTDIR)),
            None => Err(err(ENOENT)),
        }
    }
    fn kind(&self, path: &Path) -> io::Result<Option<bool>> {
        self.kind_path(path)
    }
    fn create_dir(&self, path: &Path, _mode: u32) -> io::Result<()> {
        self.create_dir_path(path)
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        self.sync_dir_path(path)
    }
}
