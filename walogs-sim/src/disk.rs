//! The disk model: what the page cache shows versus what the platters keep.
//!
//! Every file (an [`Inode`]) has a *current* content (what reads return) and a *durable*
//! content (what survives a power loss for sure), plus the *pending* data operations issued
//! since its last `fdatasync`. Every directory has current and durable entry maps plus the
//! pending entry operations since its last `fsync`. A sync makes current durable; a crash
//! ([`Disk::crash`]) starts from the durable state and resolves each pending operation as
//! applied, dropped or (for writes) torn at 512-byte sector granularity.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use crate::Rng;

/// Sector size of the simulated device: the unit in which a write can tear.
pub const SECTOR: u64 = 512;

/// A data operation on one file, volatile until the file's next `fdatasync`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DataOp {
    /// `pwrite(data, offset)`.
    Write {
        /// File offset of the first byte.
        offset: u64,
        /// The bytes written.
        data: Vec<u8>,
    },
    /// `ftruncate(len)`.
    SetLen(u64),
    /// `fallocate(0, len)`: grow to at least `len` bytes of zeros.
    Allocate(u64),
}

/// One file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Inode {
    /// What reads return now.
    pub current: Vec<u8>,
    /// What survives a power loss whatever happens.
    pub durable: Vec<u8>,
    /// Data operations since the last `fdatasync`, oldest first.
    pub pending: Vec<DataOp>,
    /// Whether the permission bits forbid writing.
    pub read_only: bool,
}

/// What a directory entry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entry {
    /// A regular file: index into [`Disk::inodes`].
    File(usize),
    /// A subdirectory (its node is keyed by its full path in [`Disk::dirs`]).
    Dir,
}

/// A directory operation, volatile until the directory's next `fsync`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DirOp {
    /// A new name (create or mkdir).
    Link {
        /// Entry name.
        name: String,
        /// What it names.
        entry: Entry,
    },
    /// An unlink of `name`, which named `entry`.
    Unlink {
        /// Entry name.
        name: String,
        /// What it named.
        entry: Entry,
    },
    /// An atomic rename of `entry` from `from` to `to` (replacing `to`).
    Rename {
        /// Old name.
        from: String,
        /// New name.
        to: String,
        /// The file moved.
        entry: Entry,
    },
}

/// One directory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct DirNode {
    /// Entries a listing shows now.
    pub current: BTreeMap<String, Entry>,
    /// Entries that survive a power loss whatever happens.
    pub durable: BTreeMap<String, Entry>,
    /// Entry operations since the last directory fsync, oldest first.
    pub pending: Vec<DirOp>,
}

/// How a crash resolves the pending operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Nothing volatile reached the disk: exactly the durable state.
    DropAll,
    /// Every pending operation reached the disk (the current state, unless an earlier
    /// failed sync lost data that the page cache still shows).
    ApplyAll,
    /// Each operation applied, dropped or torn at random, from this seed; directory
    /// operations survive as any subset (POSIX promises no order without an fsync) or, half
    /// of the time, as a prefix.
    Random(u64),
    /// Like [`Resolution::Random`], but directory operations always survive as a prefix, in
    /// the order they were made (what a journaling file system such as ext4 or XFS does).
    Journaled(u64),
}

impl Resolution {
    /// The resolution used for the `i`-th crash of one crash point: the two extremes
    /// first, then random ones derived from `seed`.
    pub fn nth(i: u64, seed: u64) -> Resolution {
        match i {
            0 => Resolution::DropAll,
            1 => Resolution::ApplyAll,
            _ => Resolution::Random(Rng::mix(seed, i)),
        }
    }

    /// The same resolution with directory operations kept in order when `journaled`.
    pub fn journaled(self, journaled: bool) -> Resolution {
        match self {
            Resolution::Random(s) if journaled => Resolution::Journaled(s),
            other => other,
        }
    }
}

/// A whole simulated device: a tree of directories rooted at `/`, and the files.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Disk {
    /// Files, indexed by inode number. Unlinked files stay until the next crash.
    pub inodes: Vec<Inode>,
    /// Directories by absolute normalized path; `/` always exists.
    pub dirs: BTreeMap<PathBuf, DirNode>,
}

impl Default for Disk {
    fn default() -> Self {
        let mut dirs = BTreeMap::new();
        dirs.insert(PathBuf::from("/"), DirNode::default());
        Disk {
            inodes: Vec::new(),
            dirs,
        }
    }
}

/// Normalize a path to absolute components (`.` dropped, `..` resolved lexically).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in path.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::ParentDir => {
                out.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

/// Split a normalized path into its parent directory and final name (`None` for `/`).
pub fn split(path: &Path) -> Option<(PathBuf, String)> {
    let name = path.file_name()?.to_str()?.to_string();
    Some((path.parent()?.to_path_buf(), name))
}

fn write_into(img: &mut Vec<u8>, offset: u64, data: &[u8]) {
    let end = offset as usize + data.len();
    if img.len() < end {
        img.resize(end, 0);
    }
    img[offset as usize..end].copy_from_slice(data);
}

/// Apply one data operation fully.
pub fn apply_data(img: &mut Vec<u8>, op: &DataOp) {
    match op {
        DataOp::Write { offset, data } => write_into(img, *offset, data),
        DataOp::SetLen(n) => img.resize(*n as usize, 0),
        DataOp::Allocate(n) => {
            if (img.len() as u64) < *n {
                img.resize(*n as usize, 0);
            }
        }
    }
}

/// Resolve a write that was in flight at the power loss: dropped (maybe with the size
/// already extended), applied, or torn into a random subset of its sectors, one of which
/// may hold garbage or zeros. Damage never reaches bytes outside the write's own range:
/// the rest of a shared sector is the same in the old and the new version of the sector.
fn resolve_write(img: &mut Vec<u8>, offset: u64, data: &[u8], rng: &mut Rng) {
    if data.is_empty() {
        return;
    }
    let end = offset + data.len() as u64;
    match rng.below(10) {
        0..=3 => write_into(img, offset, data),
        4..=6 => {
            // Dropped; the inode size may have been persisted without the data.
            if (img.len() as u64) < end && rng.chance(1, 2) {
                img.resize(end as usize, 0);
            }
        }
        _ => {
            let first = offset / SECTOR;
            let last = (end - 1) / SECTOR;
            let damaged = rng
                .chance(2, 3)
                .then(|| first + rng.below(last - first + 1));
            let zeros = rng.chance(1, 2);
            for s in first..=last {
                let a = (s * SECTOR).max(offset);
                let b = ((s + 1) * SECTOR).min(end);
                let part = &data[(a - offset) as usize..(b - offset) as usize];
                if damaged == Some(s) {
                    let junk = if zeros {
                        vec![0u8; part.len()]
                    } else {
                        rng.bytes(part.len())
                    };
                    write_into(img, a, &junk);
                } else if rng.chance(1, 2) {
                    write_into(img, a, part);
                }
            }
            if (img.len() as u64) < end && rng.chance(1, 2) {
                img.resize(end as usize, 0);
            }
        }
    }
}

/// What a file holds after a power loss: its durable content plus each pending operation
/// resolved per `res`.
pub fn resolve_file(inode: &Inode, res: Resolution) -> Vec<u8> {
    match res {
        Resolution::DropAll => inode.durable.clone(),
        Resolution::ApplyAll => {
            let mut img = inode.durable.clone();
            for op in &inode.pending {
                apply_data(&mut img, op);
            }
            img
        }
        Resolution::Random(seed) | Resolution::Journaled(seed) => {
            let mut rng = Rng::new(seed);
            let mut img = inode.durable.clone();
            for op in &inode.pending {
                match op {
                    DataOp::Write { offset, data } => {
                        resolve_write(&mut img, *offset, data, &mut rng)
                    }
                    other => {
                        if rng.chance(1, 2) {
                            apply_data(&mut img, other);
                        }
                    }
                }
            }
            img
        }
    }
}

/// Apply one directory operation fully.
pub fn apply_dir(map: &mut BTreeMap<String, Entry>, op: &DirOp) {
    match op {
        DirOp::Link { name, entry } => {
            map.insert(name.clone(), *entry);
        }
        DirOp::Unlink { name, entry } => {
            if map.get(name) == Some(entry) {
                map.remove(name);
            }
        }
        DirOp::Rename { from, to, entry } => {
            // Self-consistent: the rename happened, so the file is at `to` and not at `from`.
            if map.get(from) == Some(entry) {
                map.remove(from);
            }
            map.insert(to.clone(), *entry);
        }
    }
}

/// The entries of a directory after a power loss. A random resolution either keeps the
/// operations' order (a journaling file system: a prefix survives) or lets any subset
/// survive (no ordering promise at all).
pub fn resolve_dir(node: &DirNode, res: Resolution) -> BTreeMap<String, Entry> {
    match res {
        Resolution::DropAll => node.durable.clone(),
        Resolution::ApplyAll => {
            let mut map = node.durable.clone();
            for op in &node.pending {
                apply_dir(&mut map, op);
            }
            map
        }
        Resolution::Random(seed) | Resolution::Journaled(seed) => {
            let mut rng = Rng::new(seed);
            let mut map = node.durable.clone();
            if matches!(res, Resolution::Journaled(_)) || rng.chance(1, 2) {
                let keep = rng.index(node.pending.len() + 1);
                for op in &node.pending[..keep] {
                    apply_dir(&mut map, op);
                }
            } else {
                for op in &node.pending {
                    if rng.chance(1, 2) {
                        apply_dir(&mut map, op);
                    }
                }
            }
            map
        }
    }
}

impl Disk {
    /// The entry at a normalized path (`/` is a directory).
    pub fn lookup(&self, path: &Path) -> Option<Entry> {
        match split(path) {
            None => Some(Entry::Dir),
            Some((parent, name)) => self.dirs.get(&parent)?.current.get(&name).copied(),
        }
    }

    /// Whether nothing is volatile: every file and directory is synced.
    pub fn is_quiescent(&self) -> bool {
        self.inodes
            .iter()
            .all(|i| i.pending.is_empty() && i.current == i.durable)
            && self
                .dirs
                .values()
                .all(|d| d.pending.is_empty() && d.current == d.durable)
    }

    /// A fresh disk holding exactly `files` (name → content) in directory `dir` (created
    /// with its parents), all durable.
    pub fn with_files<'a>(
        dir: &Path,
        files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> Disk {
        let mut disk = Disk::default();
        let dir = normalize(dir);
        let mut at = PathBuf::from("/");
        for c in dir.components().skip(1) {
            let name = c.as_os_str().to_string_lossy().to_string();
            let node = disk.dirs.get_mut(&at).expect("parent created first");
            node.current.insert(name.clone(), Entry::Dir);
            node.durable.insert(name.clone(), Entry::Dir);
            at.push(&name);
            disk.dirs.entry(at.clone()).or_default();
        }
        for (name, bytes) in files {
            let ino = disk.inodes.len();
            disk.inodes.push(Inode {
                current: bytes.to_vec(),
                durable: bytes.to_vec(),
                ..Inode::default()
            });
            let node = disk.dirs.get_mut(&dir).expect("created above");
            node.current.insert(name.to_string(), Entry::File(ino));
            node.durable.insert(name.to_string(), Entry::File(ino));
        }
        disk
    }

    /// The disk after a power loss: every directory and file resolved per `res` (each with
    /// its own derived seed), unreachable files dropped, and everything durable.
    pub fn crash(&self, res: Resolution) -> Disk {
        let sub = |kind: u64, i: usize| match res {
            Resolution::Random(seed) => Resolution::Random(Rng::mix(seed, (kind << 32) | i as u64)),
            Resolution::Journaled(seed) => {
                Resolution::Journaled(Rng::mix(seed, (kind << 32) | i as u64))
            }
            other => other,
        };
        let mut out = Disk::default();
        let mut remap: BTreeMap<usize, usize> = BTreeMap::new();
        // Walk from the root so that only reachable directories and files survive.
        let mut stack = vec![PathBuf::from("/")];
        while let Some(path) = stack.pop() {
            let Some(node) = self.dirs.get(&path) else {
                continue;
            };
            let idx = self.dirs.keys().position(|k| *k == path).unwrap_or(0);
            let resolved = resolve_dir(node, sub(1, idx));
            let mut entries = BTreeMap::new();
            for (name, entry) in resolved {
                match entry {
                    Entry::Dir => {
                        let child = path.join(&name);
                        if self.dirs.contains_key(&child) {
                            stack.push(child);
                            entries.insert(name, Entry::Dir);
                        }
                    }
                    Entry::File(ino) => {
                        let new = match remap.get(&ino) {
                            Some(&n) => n,
                            None => {
                                let content = resolve_file(&self.inodes[ino], sub(2, ino));
                                out.inodes.push(Inode {
                                    current: content.clone(),
                                    durable: content,
                                    pending: Vec::new(),
                                    read_only: self.inodes[ino].read_only,
                                });
                                remap.insert(ino, out.inodes.len() - 1);
                                out.inodes.len() - 1
                            }
                        };
                        entries.insert(name, Entry::File(new));
                    }
                }
            }
            out.dirs.insert(
                path,
                DirNode {
                    current: entries.clone(),
                    durable: entries,
                    pending: Vec::new(),
                },
            );
        }
        out
    }

    /// The files of directory `dir` as name → current content (subdirectories omitted).
    pub fn files_in(&self, dir: &Path) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        if let Some(node) = self.dirs.get(&normalize(dir)) {
            for (name, e) in &node.current {
                if let Entry::File(ino) = e {
                    out.insert(name.clone(), self.inodes[*ino].current.clone());
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torn_write_only_touches_its_own_range() {
        let old = vec![7u8; 2048];
        let data = vec![9u8; 1500];
        for seed in 0..200 {
            let mut img = old.clone();
            resolve_write(&mut img, 300, &data, &mut Rng::new(seed));
            assert!(img[..300].iter().all(|&b| b == 7), "seed {seed}");
            assert!(img[1800..].iter().all(|&b| b == 7), "seed {seed}");
            assert_eq!(img.len(), 2048);
        }
    }

    #[test]
    fn normalize_and_split() {
        assert_eq!(normalize(Path::new("/a/./b/../c/")), PathBuf::from("/a/c"));
        assert_eq!(
            split(Path::new("/a/c")),
            Some((PathBuf::from("/a"), "c".to_string()))
        );
        assert_eq!(split(Path::new("/")), None);
    }
}
