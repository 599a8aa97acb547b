//! A minimal in-memory [`FileSystem`] for the bit-rot sweep: tens of thousands of damaged
//! directory images are opened through walogs-core's real recovery code without touching a
//! disk. It models no crashes (everything is "durable" at once); that is the simulator's job.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use walogs_core::vfs::{FileSystem, FsFile, OpenMode};

#[derive(Debug, Default)]
struct Node {
    data: Mutex<Vec<u8>>,
    locked: AtomicBool,
}

#[derive(Debug, Default)]
struct State {
    dirs: BTreeSet<PathBuf>,
    files: BTreeMap<PathBuf, Arc<Node>>,
}

/// An in-memory file system with a root directory `/`.
#[derive(Debug)]
pub struct MemFs {
    state: Mutex<State>,
}

impl Default for MemFs {
    fn default() -> Self {
        Self::new()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn not_found(p: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{} not found", p.display()),
    )
}

impl MemFs {
    /// An empty file system holding only `/`.
    pub fn new() -> Self {
        let mut s = State::default();
        s.dirs.insert(PathBuf::from("/"));
        MemFs {
            state: Mutex::new(s),
        }
    }

    /// A file system holding directory `dir` (and its ancestors) with these files.
    pub fn with_files(dir: &Path, files: &[(String, Vec<u8>)]) -> Self {
        let fs = MemFs::new();
        {
            let mut s = lock(&fs.state);
            for a in dir.ancestors() {
                s.dirs.insert(a.to_path_buf());
            }
            for (name, data) in files {
                let node = Node {
                    data: Mutex::new(data.clone()),
                    locked: AtomicBool::new(false),
                };
                s.files.insert(dir.join(name), Arc::new(node));
            }
        }
        fs
    }

    /// Every file directly in `dir`, by name, in name order.
    pub fn snapshot(&self, dir: &Path) -> Vec<(String, Vec<u8>)> {
        let s = lock(&self.state);
        s.files
            .iter()
            .filter(|(p, _)| p.parent() == Some(dir))
            .map(|(p, n)| {
                (
                    p.file_name().unwrap_or_default().to_string_lossy().into(),
                    lock(&n.data).clone(),
                )
            })
            .collect()
    }
}

#[derive(Debug)]
struct MemFile {
    node: Arc<Node>,
    writable: bool,
    holds_lock: AtomicBool,
}

impl Drop for MemFile {
    fn drop(&mut self) {
        if self.holds_lock.load(Ordering::SeqCst) {
            self.node.locked.store(false, Ordering::SeqCst);
        }
    }
}

impl MemFile {
    fn check_writable(&self) -> io::Result<()> {
        if self.writable {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "file opened read-only",
            ))
        }
    }
}

impl FsFile for MemFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let d = lock(&self.node.data);
        let start = (offset as usize).min(d.len());
        let n = buf.len().min(d.len() - start);
        buf[..n].copy_from_slice(&d[start..start + n]);
        Ok(n)
    }
    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.check_writable()?;
        let mut d = lock(&self.node.data);
        let end = offset as usize + buf.len();
        if d.len() < end {
            d.resize(end, 0);
        }
        d[offset as usize..end].copy_from_slice(buf);
        Ok(())
    }
    fn sync_data(&self) -> io::Result<()> {
        Ok(())
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.check_writable()?;
        lock(&self.node.data).resize(len as usize, 0);
        Ok(())
    }
    fn len(&self) -> io::Result<u64> {
        Ok(lock(&self.node.data).len() as u64)
    }
    fn allocate(&self, len: u64) -> io::Result<()> {
        self.check_writable()?;
        let mut d = lock(&self.node.data);
        if (d.len() as u64) < len {
            d.resize(len as usize, 0);
        }
        Ok(())
    }
    fn try_lock(&self) -> io::Result<bool> {
        if self.holds_lock.load(Ordering::SeqCst) {
            return Ok(true);
        }
        let got = self
            .node
            .locked
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok();
        if got {
            self.holds_lock.store(true, Ordering::SeqCst);
        }
        Ok(got)
    }
}

impl FileSystem for MemFs {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn FsFile>> {
        let mut s = lock(&self.state);
        let node = match mode {
            OpenMode::Read | OpenMode::ReadWrite => {
                s.files.get(path).cloned().ok_or_else(|| not_found(path))?
            }
            OpenMode::CreateNew => {
                if s.files.contains_key(path) || s.dirs.contains(path) {
                    return Err(io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        format!("{} exists", path.display()),
                    ));
                }
                let parent = path.parent().ok_or_else(|| not_found(path))?;
                if !s.dirs.contains(parent) {
                    return Err(not_found(parent));
                }
                let n = Arc::new(Node::default());
                s.files.insert(path.to_path_buf(), n.clone());
                n
            }
        };
        Ok(Box::new(MemFile {
            node,
            writable: mode != OpenMode::Read,
            holds_lock: AtomicBool::new(false),
        }))
    }
    fn read_dir(&self, dir: &Path) -> io::Result<Vec<String>> {
        let s = lock(&self.state);
        if !s.dirs.contains(dir) {
            return Err(not_found(dir));
        }
        let files = s.files.keys();
        let dirs = s.dirs.iter();
        Ok(files
            .chain(dirs)
            .filter(|p| p.parent() == Some(dir))
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect())
    }
    fn create_dir(&self, path: &Path) -> io::Result<()> {
        let mut s = lock(&self.state);
        if s.dirs.contains(path) || s.files.contains_key(path) {
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, "exists"));
        }
        match path.parent() {
            Some(p) if s.dirs.contains(p) => {
                s.dirs.insert(path.to_path_buf());
                Ok(())
            }
            _ => Err(not_found(path)),
        }
    }
    fn kind(&self, path: &Path) -> io::Result<Option<bool>> {
        let s = lock(&self.state);
        Ok(if s.dirs.contains(path) {
            Some(true)
        } else if s.files.contains_key(path) {
            Some(false)
        } else {
            None
        })
    }
    fn is_read_only(&self, path: &Path) -> io::Result<bool> {
        let s = lock(&self.state);
        if s.files.contains_key(path) || s.dirs.contains(path) {
            Ok(false)
        } else {
            Err(not_found(path))
        }
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut s = lock(&self.state);
        let n = s.files.remove(from).ok_or_else(|| not_found(from))?;
        s.files.insert(to.to_path_buf(), n);
        Ok(())
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let mut s = lock(&self.state);
        s.files
            .remove(path)
            .map(|_| ())
            .ok_or_else(|| not_found(path))
    }
    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        if lock(&self.state).dirs.contains(dir) {
            Ok(())
        } else {
            Err(not_found(dir))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use walogs_core::WalOptions;

    #[test]
    fn a_wal_round_trips_through_memfs_and_the_lock_excludes() {
        let fs = Arc::new(MemFs::new());
        let dir = Path::new("/w");
        let opts = WalOptions::new()
            .max_segment_size(Some(100))
            .file_system(fs.clone());
        let mut w = opts.open(dir).unwrap();
        for i in 0..10u8 {
            w.append(&[i; 40]).unwrap();
        }
        assert!(w.segment_count() > 2);
        assert!(matches!(
            opts.open(dir),
            Err(walogs_core::WalError::Locked { .. })
        ));
        w.close().unwrap();
        let files = fs.snapshot(dir);
        let copy = Arc::new(MemFs::with_files(dir, &files));
        let w = WalOptions::new().file_system(copy).open(dir).unwrap();
        let got: Vec<Vec<u8>> = w.iter().map(|e| e.unwrap().1).collect();
        assert_eq!(got.len(), 10);
        assert_eq!(got[9], vec![9u8; 40]);
    }
}
