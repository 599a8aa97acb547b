//! A background zero-filler: a helper thread that keeps a file written with zeros and
//! fdatasync'd a fixed distance ahead of the writer, in [`STEP`] steps, so that the writer's
//! own fdatasyncs find the blocks already allocated and written. The baseline that uses it
//! measures whether zeroing off the writer's thread beats zeroing inline (it competes for the
//! same disk).

use std::fs::File;
use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use rustix::fs::FallocateFlags;

use crate::rawio::{STEP, zero_fill};

/// How far ahead of the writer's end the helper keeps the file zeroed.
pub const AHEAD: u64 = 8 * STEP;

#[derive(Debug, Default)]
struct Progress {
    /// The end of the writer's next write.
    wanted: u64,
    /// `[0, zeroed)` is written with zeros and fdatasync'd.
    zeroed: u64,
    /// The writer is done.
    stop: bool,
    /// The helper failed (its error is returned by the join).
    failed: bool,
}

#[derive(Debug, Default)]
struct Shared {
    progress: Mutex<Progress>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'a>(&self, g: MutexGuard<'a, Progress>) -> MutexGuard<'a, Progress> {
        self.changed.wait(g).unwrap_or_else(PoisonError::into_inner)
    }
}

/// The helper thread and what it shares with the writer. Dropping it stops and joins the
/// thread.
#[derive(Debug)]
pub struct ZeroAhead {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl ZeroAhead {
    /// Start zeroing `file` (a second descriptor of it) from offset 0.
    pub fn start(file: &File) -> io::Result<ZeroAhead> {
        let file = file.try_clone()?;
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("zero-ahead".into())
            .spawn(move || {
                let r = fill(&file, &s);
                if r.is_err() {
                    s.lock().failed = true;
                    s.changed.notify_all();
                }
                r
            })?;
        Ok(ZeroAhead {
            shared,
            thread: Some(thread),
        })
    }

    /// Return once `[0, end)` is zeroed and synced (waiting for the helper if it is behind).
    pub fn ensure(&mut self, end: u64) -> io::Result<()> {
        let mut g = self.shared.lock();
        if end > g.wanted {
            g.wanted = end;
            self.shared.changed.notify_all();
        }
        while g.zeroed < end {
            if g.failed {
                drop(g);
                return Err(self
                    .join()
                    .err()
                    .unwrap_or_else(|| io::Error::other("the zero-filling thread stopped early")));
            }
            g = self.shared.wait(g);
        }
        Ok(())
    }

    /// Stop the helper and return what it ended with.
    fn join(&mut self) -> io::Result<()> {
        self.shared.lock().stop = true;
        self.shared.changed.notify_all();
        match self.thread.take() {
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the zero-filling thread panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for ZeroAhead {
    fn drop(&mut self) {
        let _ = self.join();
    }
}

/// The helper's loop: one step at a time (`fallocate`, then zeros and an fdatasync), while
/// fewer than [`AHEAD`] bytes beyond the writer's end are zeroed.
fn fill(file: &File, s: &Shared) -> io::Result<()> {
    loop {
        let from = {
            let mut g = s.lock();
            while !g.stop && g.zeroed >= g.wanted + AHEAD {
                g = s.wait(g);
            }
            if g.stop {
                return Ok(());
            }
            g.zeroed
        };
        rustix::fs::fallocate(file, FallocateFlags::empty(), from, STEP)?;
        zero_fill(file, from, from + STEP)?;
        s.lock().zeroed = from + STEP;
        s.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::rawio::{Prealloc, create};

    #[test]
    fn zeros_run_ahead_of_the_writer_and_stop_with_it() {
        let d = std::env::temp_dir().join(format!("walogs-bench-zeroahead-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        let path = d.join("z.dat");
        let file = create(&path, Prealloc::Growing, 0).unwrap();
        let mut z = ZeroAhead::start(&file).unwrap();
        z.ensure(STEP + 1).unwrap();
        // Two steps cover the write; the helper may already be further ahead, never beyond
        // the writer's end plus AHEAD plus the step under way.
        let len = std::fs::metadata(&path).unwrap().len();
        assert!((2 * STEP..=STEP + 1 + AHEAD + STEP).contains(&len), "{len}");
        drop(z);
        let len = std::fs::metadata(&path).unwrap().len();
        assert_eq!(len % STEP, 0);
        assert!(std::fs::read(&path).unwrap().iter().all(|&b| b == 0));
        std::fs::remove_dir_all(&d).unwrap();
    }
}
