//! The flush worker: one thread that makes appended entries durable (`SharedWal::sync`, one
//! fdatasync for everything appended since the previous one) whenever the store asks.
//!
//! Appends return after their `write`; the store registers openraft's flush callback with
//! walogs (`on_durable`) and then calls [`Flusher::request`]. The sync publishes the new durable
//! LSN and walogs runs the callbacks it covers on its notifier thread. Appends that arrive while
//! a sync runs share the next one (group commit). A failed sync poisons the log, and walogs
//! completes every pending callback with that error.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use walogs_core::SharedWal;

#[derive(Default)]
struct Flags {
    requested: bool,
    stop: bool,
}

struct Shared {
    flags: Mutex<Flags>,
    cond: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Flags> {
        self.flags.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running flush worker; dropping it runs a last sync of what was requested and joins it.
pub(crate) struct Flusher {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Flusher {
    /// Start the worker thread for `wal`.
    pub fn start(wal: Arc<SharedWal>) -> std::io::Result<Flusher> {
        let shared = Arc::new(Shared {
            flags: Mutex::new(Flags::default()),
            cond: Condvar::new(),
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("walogs-openraft-flush".into())
            .spawn(move || run(&s, &wal))?;
        Ok(Flusher {
            shared,
            thread: Some(thread),
        })
    }

    /// Ask for a sync of everything appended so far (cheap: a flag and a wake-up).
    pub fn request(&self) {
        self.shared.lock().requested = true;
        self.shared.cond.notify_one();
    }
}

fn run(shared: &Shared, wal: &SharedWal) {
    loop {
        let mut f = shared.lock();
        while !f.requested && !f.stop {
            f = shared.cond.wait(f).unwrap_or_else(|p| p.into_inner());
        }
        let (sync, stop) = (f.requested, f.stop);
        f.requested = false;
        drop(f);
        if sync {
            // An error poisons the log; walogs fails every pending callback with it.
            let _ = wal.sync();
        }
        if stop {
            return;
        }
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.cond.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
