//! The simulator itself: what survives a power loss, what a fault leaves behind, locks.

use std::path::Path;

use walogs_core::vfs::OpenMode;
use walogs_core::{WalError, WalOptions};
use walogs_sim::disk::{DataOp, Disk, Inode, Resolution, SECTOR, resolve_file};
use walogs_sim::{FaultKind, Rng, SimFs};

fn content(fs: &SimFs, path: &str) -> Option<Vec<u8>> {
    let f = fs.open_path(Path::new(path), OpenMode::Read).ok()?;
    let mut buf = vec![0u8; f.len().ok()? as usize];
    let n = f.read_at(&mut buf, 0).ok()?;
    buf.truncate(n);
    Some(buf)
}

fn setup() -> SimFs {
    let fs = SimFs::default();
    fs.create_dir_path(Path::new("/d")).unwrap();
    fs.sync_dir_path(Path::new("/")).unwrap();
    fs
}

#[test]
fn file_data_is_volatile_until_sync_data() {
    let fs = setup();
    let f = fs
        .open_path(Path::new("/d/f"), OpenMode::CreateNew { mode: 0o600 })
        .unwrap();
    fs.sync_dir_path(Path::new("/d")).unwrap();
    f.write_all_at(b"hello", 0).unwrap();
    assert_eq!(
        content(&fs, "/d/f").unwrap(),
        b"hello",
        "reads see the cache"
    );
    assert_eq!(
        content(&fs.crash(Resolution::DropAll), "/d/f").unwrap(),
        b""
    );
    assert_eq!(
        content(&fs.crash(Resolution::ApplyAll), "/d/f").unwrap(),
        b"hello"
    );
    f.sync_data().unwrap();
    for i in 0..20 {
        let res = Resolution::nth(i, 9);
        assert_eq!(
            content(&fs.crash(res), "/d/f").unwrap(),
            b"hello",
            "{res:?}"
        );
    }
}

#[test]
fn directory_entries_are_volatile_until_sync_dir() {
    let fs = setup();
    let f = fs
        .open_path(Path::new("/d/f"), OpenMode::CreateNew { mode: 0o600 })
        .unwrap();
    f.write_all_at(b"x", 0).unwrap();
    f.sync_data().unwrap();
    assert!(
        content(&fs.crash(Resolution::DropAll), "/d/f").is_none(),
        "create not synced"
    );
    fs.sync_dir_path(Path::new("/d")).unwrap();
    assert_eq!(
        content(&fs.crash(Resolution::DropAll), "/d/f").unwrap(),
        b"x"
    );
    // A rename is atomic: after any crash exactly one of the names exists.
    fs.rename_path(Path::new("/d/f"), Path::new("/d/g"))
        .unwrap();
    let (mut old, mut new) = (0, 0);
    for i in 0..64 {
        let c = fs.crash(Resolution::nth(i, 3));
        match (content(&c, "/d/f"), content(&c, "/d/g")) {
            (Some(_), None) => old += 1,
            (None, Some(_)) => new += 1,
            other => panic!("rename neither or both: {other:?}"),
        }
    }
    assert!(old > 0 && new > 0, "both outcomes occur: {old} {new}");
    // A new directory disappears with its files unless its parent is synced.
    let fs = SimFs::default();
    fs.create_dir_path(Path::new("/e")).unwrap();
    let f = fs
        .open_path(Path::new("/e/f"), OpenMode::CreateNew { mode: 0o600 })
        .unwrap();
    f.sync_data().unwrap();
    fs.sync_dir_path(Path::new("/e")).unwrap();
    assert!(content(&fs.crash(Resolution::DropAll), "/e/f").is_none());
}

#[test]
fn journaled_resolution_keeps_directory_operations_in_order() {
    let fs = setup();
    for name in ["a", "b", "c", "d"] {
        fs.open_path(
            &Path::new("/d").join(name),
            OpenMode::CreateNew { mode: 0o600 },
        )
        .unwrap();
    }
    let mut unordered = false;
    for seed in 0..200 {
        let ordered = fs.crash(Resolution::Journaled(seed)).disk();
        let names: Vec<String> = ordered.files_in(Path::new("/d")).into_keys().collect();
        let prefix: Vec<String> = ["a", "b", "c", "d"][..names.len()]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(names, prefix, "journaled: a prefix survives");
        let any = fs.crash(Resolution::Random(seed)).disk();
        let names: Vec<String> = any.files_in(Path::new("/d")).into_keys().collect();
        let prefix: Vec<String> = ["a", "b", "c", "d"][..names.len()]
            .iter()
            .map(|s| s.to_string())
            .collect();
        unordered |= names != prefix;
    }
    assert!(unordered, "the unordered model produces non-prefix subsets");
}

#[test]
fn torn_writes_tear_at_sector_granularity_and_only_inside_the_write() {
    let old = vec![0xAAu8; 4096];
    let new = vec![0x55u8; 3000];
    let offset = 300u64;
    let inode = Inode {
        current: Vec::new(),
        durable: old.clone(),
        pending: vec![DataOp::Write {
            offset,
            data: new.clone(),
        }],
        read_only: false,
    };
    let (mut full, mut none, mut partial, mut damaged) = (0, 0, 0, 0);
    for seed in 0..2000 {
        let img = resolve_file(&inode, Resolution::Random(seed));
        assert_eq!(img.len(), 4096);
        assert!(
            img[..300].iter().all(|&b| b == 0xAA),
            "seed {seed}: before the write"
        );
        assert!(
            img[3300..].iter().all(|&b| b == 0xAA),
            "seed {seed}: after the write"
        );
        let mut odd = 0;
        let mut kinds = std::collections::HashSet::new();
        let mut s = offset / SECTOR * SECTOR;
        while s < offset + 3000 {
            let a = s.max(offset) as usize;
            let b = (s + SECTOR).min(offset + 3000) as usize;
            let part = &img[a..b];
            if part.iter().all(|&x| x == 0x55) {
                kinds.insert("new");
            } else if part.iter().all(|&x| x == 0xAA) {
                kinds.insert("old");
            } else {
                odd += 1;
            }
            s += SECTOR;
        }
        assert!(
            odd <= 1,
            "seed {seed}: at most one sector of garbage or zeros"
        );
        match (kinds.contains("new"), kinds.contains("old"), odd) {
            (true, false, 0) => full += 1,
            (false, true, 0) => none += 1,
            (_, _, 1) => damaged += 1,
            _ => partial += 1,
        }
    }
    assert!(
        full > 0 && none > 0 && partial > 0 && damaged > 0,
        "{full} {none} {partial} {damaged}"
    );
}

#[test]
fn a_dropped_extending_write_may_leave_zeros() {
    let inode = Inode {
        current: Vec::new(),
        durable: b"abc".to_vec(),
        pending: vec![DataOp::Write {
            offset: 3,
            data: vec![7; 100],
        }],
        read_only: false,
    };
    let zero_tail = (0..500).any(|seed| {
        let img = resolve_file(&inode, Resolution::Random(seed));
        img.len() == 103 && img[3..].iter().all(|&b| b == 0)
    });
    assert!(zero_tail);
}

#[test]
fn write_fault_may_write_a_prefix_and_returns_the_errno() {
    let fs = setup();
    let f = fs
        .open_path(Path::new("/d/f"), OpenMode::CreateNew { mode: 0o600 })
        .unwrap();
    let mut prefixes = std::collections::HashSet::new();
    for seed in 0..50 {
        f.set_len(0).unwrap();
        fs.set_fault_on("write_all_at /d/f", FaultKind::Enospc, seed);
        let e = f.write_all_at(&[1u8; 100], 0).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(28));
        let c = content(&fs, "/d/f").unwrap();
        assert!(c.iter().all(|&b| b == 1) && c.len() <= 100);
        prefixes.insert(c.len());
    }
    assert!(prefixes.len() > 5, "prefix lengths vary: {prefixes:?}");
    fs.set_fault_on("sync_data /d/f", FaultKind::Eio, 0);
    assert_eq!(f.sync_data().unwrap_err().raw_os_error(), Some(5));
}

#[test]
fn failed_fdatasync_loses_data_the_cache_still_shows() {
    let mut lost = 0;
    for seed in 0..64 {
        let fs = setup();
        let f = fs
            .open_path(Path::new("/d/f"), OpenMode::CreateNew { mode: 0o600 })
            .unwrap();
        fs.sync_dir_path(Path::new("/d")).unwrap();
        f.write_all_at(&[9u8; 2048], 0).unwrap();
        fs.set_fault_on("sync_data", FaultKind::Eio, seed);
        assert!(f.sync_data().is_err());
        assert!(f.sync_data().is_ok(), "the retry succeeds");
        assert_eq!(
            content(&fs, "/d/f").unwrap(),
            vec![9u8; 2048],
            "cache unchanged"
        );
        if content(&fs.crash(Resolution::DropAll), "/d/f").unwrap() != vec![9u8; 2048] {
            lost += 1;
        }
    }
    assert!(lost > 0, "some failed syncs lost data for good");
}

#[test]
fn unlinked_files_vanish_and_crash_compacts_inodes() {
    let fs = setup();
    for i in 0..10 {
        let p = format!("/d/f{i}");
        fs.open_path(Path::new(&p), OpenMode::CreateNew { mode: 0o600 })
            .unwrap();
        fs.remove_path(Path::new(&p)).unwrap();
    }
    fs.sync_dir_path(Path::new("/d")).unwrap();
    let after: Disk = fs.crash(Resolution::ApplyAll).disk();
    assert!(after.inodes.is_empty());
    assert!(after.is_quiescent());
}

#[test]
fn the_lock_is_exclusive_per_open_file_and_released_on_drop() {
    let fs = SimFs::default();
    let opts = WalOptions::new().file_system(fs.handle());
    let wal = opts.open("/wal").unwrap();
    assert!(matches!(opts.open("/wal"), Err(WalError::Locked { .. })));
    drop(wal);
    assert!(opts.open("/wal").is_ok());
}

#[test]
fn rng_is_reproducible() {
    let a: Vec<u64> = (0..4).map(|i| Rng::mix(5, i)).collect();
    let b: Vec<u64> = (0..4).map(|i| Rng::mix(5, i)).collect();
    assert_eq!(a, b);
}
