//! The background cleaner of `cleanup_interval`: a thread that runs retention every
//! interval until the store closes or goes away. It holds the store weakly, so it never
//! keeps a dropped store alive.

use std::sync::{Arc, Condvar, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

use walogs_core::WalError;

use crate::StreamsError;
use crate::store::Shared;

/// The stop flag and the thread.
#[derive(Debug)]
pub(crate) struct Cleaner {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: JoinHandle<()>,
}

impl Cleaner {
    /// Start a thread that runs `cleanup` on `shared` every `every`.
    pub fn start(shared: &Arc<Shared>, every: Duration) -> Result<Cleaner, StreamsError> {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let weak: Weak<Shared> = Arc::downgrade(shared);
        let s = stop.clone();
        let thread = std::thread::Builder::new()
            .name("walogs-streams-cleaner".into())
            .spawn(move || {
                let (flag, cond) = &*s;
                let mut stopped = flag.lock().unwrap_or_else(|p| p.into_inner());
                while !*stopped {
                    stopped = cond
                        .wait_timeout(stopped, every)
                        .unwrap_or_else(|p| p.into_inner())
                        .0;
                    if *stopped {
                        return;
                    }
                    drop(stopped);
                    let Some(sh) = weak.upgrade() else { return };
                    // A failure (a closed or poisoned log) ends the thread: the next
                    // on-demand cleanup reports it.
                    let failed = crate::retention::cleanup(&sh).is_err();
                    drop(sh);
                    if failed {
                        return;
                    }
                    stopped = flag.lock().unwrap_or_else(|p| p.into_inner());
                }
            })
            .map_err(WalError::Io)?;
        Ok(Cleaner { stop, thread })
    }

    /// Stop the thread and wait for it (unless this is the thread itself, which then ends
    /// on its own after its current run).
    pub fn stop(self) {
        *self.stop.0.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.stop.1.notify_all();
        if self.thread.thread().id() != std::thread::current().id() {
            let _ = self.thread.join();
        }
    }
}
