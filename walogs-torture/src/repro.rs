//! Minimal, deterministic reproductions of the core bugs the harnesses found that are still
//! open: the checks of [`crate::known`]'s entries. Each returns `Ok` once the core behaves
//! and `Err(what went wrong)` while the bug is there. When the core fixes one, its
//! reproduction moves beside the core, to `walogs-core/tests/kill_regressions.rs`, as a
//! regression test (the test kit's hooked file system, [`walogs_testkit::HookFs`], makes the
//! failures and crash states both need without a real kill).

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use walogs_core::segment::parse_segment_filename;
use walogs_core::{Lsn, WalError, WalOptions};
use walogs_testkit::{Action, HookFs, Op};

use crate::util::ScratchDir;

fn text(e: WalError) -> String {
    e.to_string()
}

/// T2: thread A calls `checkpoint(1)` on a `SharedWal` whose first segment holds only LSN 1;
/// the hook holds A right after the segment file was unlinked (at the directory fsync that
/// follows); meanwhile `read(Lsn(1))` must return the entry or `LsnOutOfRange` (the contract
/// of `read` for an entry checkpointed away), never an I/O error.
pub fn read_racing_a_checkpoint() -> Result<(), String> {
    let scratch =
        ScratchDir::new(&std::env::temp_dir(), "walogs-known-t2").map_err(|e| e.to_string())?;
    // 0: idle; 1: armed; 2: a segment was removed; 3: released.
    let stage = Arc::new(AtomicU8::new(0));
    let (removed_tx, removed_rx) = mpsc::channel::<()>();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let go_rx = Mutex::new(go_rx);
    let s = stage.clone();
    let fs = HookFs::new(move |op: &Op<'_>| {
        match op {
            Op::Remove { name } if parse_segment_filename(name).is_some() => {
                let _ = s.compare_exchange(1, 2, Ordering::SeqCst, Ordering::SeqCst);
            }
            Op::SyncDir
                if s.compare_exchange(2, 3, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok() =>
            {
                let _ = removed_tx.send(());
                let _ = go_rx.lock().map(|rx| rx.recv());
            }
            _ => {}
        }
        Action::Proceed
    })
    .into_fs();
    let wal = WalOptions::new()
        .file_system(fs)
        .open_shared(scratch.path().join("wal"))
        .map_err(text)?;
    wal.append(b"one").map_err(text)?;
    wal.rotate().map_err(text)?;
    wal.append(b"two").map_err(text)?;
    stage.store(1, Ordering::SeqCst);
    let (read, first, checkpointed) = std::thread::scope(|sc| {
        let ckpt = sc.spawn(|| wal.checkpoint(Lsn(1)));
        let removed = removed_rx.recv_timeout(std::time::Duration::from_secs(10));
        let read = wal.read(Lsn(1));
        let first = wal.first_lsn();
        let _ = go_tx.send(());
        let checkpointed = ckpt.join().map_err(|_| "checkpoint panicked".to_string());
        (removed.map(|()| read), first, checkpointed)
    });
    let deleted = checkpointed?.map_err(text)?;
    wal.close().map_err(text)?;
    match read {
        Err(_) => Err("the checkpoint never removed a segment (the reproduction is stale)".into()),
        Ok(Ok(_) | Err(WalError::LsnOutOfRange { .. })) => Ok(()),
        Ok(Err(e)) => Err(format!(
            "read(1) while checkpoint(1) was deleting its segment ({deleted} deleted): {e} (first_lsn() then: {})",
            first.0
        )),
    }
}

/// Whether a thread of this process is named `name` (from `/proc/self/task/*/comm`).
fn thread_named(name: &str) -> bool {
    std::fs::read_dir("/proc/self/task").is_ok_and(|tasks| {
        tasks.flatten().any(|t| {
            std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim_end() == name)
        })
    })
}

/// T5: a `Wal` whose fdatasync fails once it is armed. Entry 1 is durable; an append then
/// fails its sync and poisons the handle. The first `on_durable(1)` after that starts the
/// notifier thread, which runs the callback (`Ok`: entry 1 is durable) and then ends, the
/// log being stopped. A second `on_durable(1)` returns `Ok` too; its callback must run as
/// the first one did, without waiting for `close` (given 2 s; it takes microseconds).
pub fn callback_registered_after_poisoning() -> Result<(), String> {
    let scratch =
        ScratchDir::new(&std::env::temp_dir(), "walogs-known-t5").map_err(|e| e.to_string())?;
    let fail = Arc::new(AtomicBool::new(false));
    let f = fail.clone();
    let fs = HookFs::new(move |op: &Op<'_>| {
        if f.load(Ordering::SeqCst) && matches!(op, Op::SyncData { .. }) {
            Action::Fail(std::io::Error::from_raw_os_error(5))
        } else {
            Action::Proceed
        }
    })
    .into_fs();
    let mut w = WalOptions::new()
        .file_system(fs)
        .open(scratch.path().join("wal"))
        .map_err(text)?;
    let one = w.append(b"one").map_err(text)?;
    fail.store(true, Ordering::SeqCst);
    if w.append(b"two").is_ok() {
        return Err("the append did not fail (the reproduction is stale)".into());
    }
    let (tx, rx) = mpsc::channel::<Result<(), WalError>>();
    let first = tx.clone();
    w.on_durable(one, move |r| {
        let _ = first.send(r);
    })
    .map_err(text)?;
    rx.recv_timeout(std::time::Duration::from_secs(10))
        .map_err(|_| "the first callback never ran (the reproduction is stale)")?
        .map_err(text)?;
    // Wait (up to 10 s) for the notifier thread to end.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while thread_named("walogs-notifier") && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let registered = w.on_durable(one, move |r| {
        let _ = tx.send(r);
    });
    let ran = rx.recv_timeout(std::time::Duration::from_secs(2));
    let _ = w.close();
    match (registered, ran) {
        (Err(_), _) | (Ok(()), Ok(_)) => Ok(()),
        (Ok(()), Err(_)) => Err(
            "a second on_durable(1) on the poisoned handle returned Ok, but its callback did not run (nothing runs it before close)"
                .into(),
        ),
    }
}
