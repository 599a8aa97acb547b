//! Durability notifications: who is waiting for which LSN to become durable.
//!
//! The durable LSN is published here after every write, sync, truncation and close. A caller
//! may block until an LSN is durable ([`Watch::wait`]) or register a callback run once it is
//! ([`Watch::on_durable`]); both are completions keyed by LSN. A completion ends with `Ok`
//! when the durable LSN reaches it, or with an error when the log is poisoned (the error
//! that poisoned it), closed with the LSN not durable, or truncated below it (the entry is
//! gone, its LSN will name another one). Callbacks run on one notifier thread per handle,
//! started at the first callback and stopped by close; never on the caller's thread and
//! never with a walogs lock held, so a callback may call back into the WAL. A callback that
//! panics is caught: it poisons nothing and the notifier goes on.
//!
//! Publishing costs one atomic store; the lock is taken only while completions are pending.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::error::WalError;

/// A callback told once whether its entry became durable.
pub type DurableCallback = Box<dyn FnOnce(Result<(), WalError>) + Send + 'static>;

/// A blocked waiter's outcome, filled in by whoever completes it.
type Slot = Arc<Mutex<Option<Result<(), WalError>>>>;

enum Pending {
    Waiter(Slot),
    Callback(DurableCallback),
}

/// Why no completion will succeed any more.
#[derive(Debug, Clone)]
enum Stopped {
    Poisoned(String),
    Closed,
}

impl Stopped {
    fn error(&self) -> WalError {
        match self {
            Stopped::Poisoned(r) => WalError::Poisoned { reason: r.clone() },
            Stopped::Closed => WalError::Closed,
        }
    }
}

#[derive(Default)]
struct State {
    pending: BTreeMap<u64, Vec<Pending>>,
    /// Callbacks completed and not yet run by the notifier.
    ready: Vec<(DurableCallback, Result<(), WalError>)>,
    stopped: Option<Stopped>,
    /// The handle was closed: the notifier ends once nothing is left to run. (A poisoned
    /// handle keeps its notifier: callbacks registered later still run, with the poison.)
    closed: bool,
    notifier: Option<JoinHandle<()>>,
    notifier_id: Option<std::thread::ThreadId>,
}

/// The durable LSN and the completions waiting on it.
pub(crate) struct Watch {
    durable: AtomicU64,
    /// Completions pending (waiters and callbacks), so publishing skips the lock when none.
    pending: AtomicUsize,
    state: Mutex<State>,
    cond: Condvar,
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch")
            .field("durable", &self.durable)
            .field("pending", &self.pending)
            .finish()
    }
}

impl Watch {
    pub fn new(durable: u64) -> Watch {
        Watch {
            durable: AtomicU64::new(durable),
            pending: AtomicUsize::new(0),
            state: Mutex::new(State::default()),
            cond: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The highest LSN known durable. Lock-free.
    pub fn durable(&self) -> u64 {
        self.durable.load(Ordering::Acquire)
    }

    /// Publish the durable LSN (it may go down after a truncation); complete what it covers.
    pub fn publish(&self, durable: u64) {
        self.durable.store(durable, Ordering::Release);
        if self.pending.load(Ordering::Acquire) == 0 {
            return;
        }
        let mut st = self.lock();
        let later = st.pending.split_off(&(durable + 1));
        let done = std::mem::replace(&mut st.pending, later);
        self.finish(&mut st, done, |_| Ok(()));
    }

    /// Entries from `target` on were truncated: their completions fail.
    pub fn truncated(&self, target: u64, first: u64) {
        if self.pending.load(Ordering::Acquire) == 0 {
            return;
        }
        let mut st = self.lock();
        let gone = st.pending.split_off(&target);
        self.finish(&mut st, gone, |lsn| {
            Err(WalError::LsnOutOfRange {
                lsn,
                first,
                next: target,
            })
        });
    }

    /// The log is poisoned (`Some(reason)`) or closed (`None`): everything still pending
    /// fails, and so does every later registration.
    pub fn stop(&self, poisoned: Option<&str>) {
        let mut st = self.lock();
        if st.stopped.is_none() {
            st.stopped = Some(match poisoned {
                Some(r) => Stopped::Poisoned(r.to_string()),
                None => Stopped::Closed,
            });
        }
        st.closed |= poisoned.is_none();
        let err = st.stopped.clone().expect("set above");
        let all = std::mem::take(&mut st.pending);
        self.finish(&mut st, all, |_| Err(err.error()));
    }

    /// Complete `done` with `outcome(lsn)`: fill waiters' slots, queue callbacks for the
    /// notifier, wake everyone.
    fn finish(
        &self,
        st: &mut State,
        done: BTreeMap<u64, Vec<Pending>>,
        outcome: impl Fn(u64) -> Result<(), WalError>,
    ) {
        let mut n = 0;
        for (lsn, list) in done {
            for p in list {
                n += 1;
                match p {
                    Pending::Waiter(slot) => {
                        *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(outcome(lsn));
                    }
                    Pending::Callback(cb) => st.ready.push((cb, outcome(lsn))),
                }
            }
        }
        if n > 0 {
            self.pending.fetch_sub(n, Ordering::AcqRel);
            self.cond.notify_all();
        }
    }

    /// Block until `lsn` is durable, the log stops, `lsn` is truncated away, or `timeout`
    /// passes (`None`: no limit). The caller checked that `lsn` was handed out.
    pub fn wait(&self, lsn: u64, timeout: Option<Duration>) -> Result<(), WalError> {
        if self.durable() >= lsn {
            return Ok(());
        }
        let slot: Slot = Arc::new(Mutex::new(None));
        let mut st = self.lock();
        if let Some(s) = &st.stopped {
            return if self.durable() >= lsn {
                Ok(())
            } else {
                Err(s.error())
            };
        }
        if self.durable() >= lsn {
            return Ok(());
        }
        st.pending
            .entry(lsn)
            .or_default()
            .push(Pending::Waiter(slot.clone()));
        self.pending.fetch_add(1, Ordering::AcqRel);
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            if let Some(r) = slot.lock().unwrap_or_else(|p| p.into_inner()).take() {
                return r;
            }
            match deadline {
                None => st = self.cond.wait(st).unwrap_or_else(|p| p.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        // Withdraw the slot (it may have been completed meanwhile).
                        if let Some(list) = st.pending.get_mut(&lsn) {
                            let before = list.len();
                            list.retain(
                                |p| !matches!(p, Pending::Waiter(s) if Arc::ptr_eq(s, &slot)),
                            );
                            if list.len() < before {
                                self.pending.fetch_sub(1, Ordering::AcqRel);
                            }
                            if list.is_empty() {
                                st.pending.remove(&lsn);
                            }
                        }
                        if let Some(r) = slot.lock().unwrap_or_else(|p| p.into_inner()).take() {
                            return r;
                        }
                        return Err(WalError::Timeout {
                            lsn,
                            durable: self.durable(),
                        });
                    }
                    st = self
                        .cond
                        .wait_timeout(st, d - now)
                        .unwrap_or_else(|p| p.into_inner())
                        .0;
                }
            }
        }
    }

    /// Run `cb` once `lsn` is durable (or with the error that ends it), on the notifier
    /// thread (started now if it is not running).
    pub fn on_durable(self: &Arc<Self>, lsn: u64, cb: DurableCallback) {
        let mut st = self.lock();
        if self.durable() >= lsn {
            st.ready.push((cb, Ok(())));
        } else if let Some(s) = &st.stopped {
            let e = s.error();
            st.ready.push((cb, Err(e)));
        } else {
            st.pending
                .entry(lsn)
                .or_default()
                .push(Pending::Callback(cb));
            self.pending.fetch_add(1, Ordering::AcqRel);
        }
        if st.notifier.is_none() {
            let me = self.clone();
            match std::thread::Builder::new()
                .name("walogs-notifier".into())
                .spawn(move || me.run_notifier())
            {
                Ok(h) => {
                    st.notifier_id = Some(h.thread().id());
                    st.notifier = Some(h);
                }
                // No thread: run what is ready here, now (rare: the OS refused a thread).
                Err(_) => {
                    let ready = std::mem::take(&mut st.ready);
                    drop(st);
                    run_all(ready);
                    return;
                }
            }
        }
        self.cond.notify_all();
    }

    fn run_notifier(&self) {
        loop {
            let mut st = self.lock();
            while st.ready.is_empty() && !(st.closed && st.pending.is_empty()) {
                st = self.cond.wait(st).unwrap_or_else(|p| p.into_inner());
            }
            let ready = std::mem::take(&mut st.ready);
            let finished = ready.is_empty() && st.closed;
            drop(st);
            if finished {
                return;
            }
            run_all(ready);
        }
    }

    /// After `stop`: wait for the notifier to run every callback and end (not when called
    /// from a callback, on the notifier thread itself).
    pub fn join_notifier(&self) {
        let h = {
            let mut st = self.lock();
            if st.notifier.is_none() {
                // No notifier (never needed, or the OS refused a thread): whatever is ready
                // runs here, now, so every callback still runs once.
                let ready = std::mem::take(&mut st.ready);
                drop(st);
                run_all(ready);
                return;
            }
            if st.notifier_id == Some(std::thread::current().id()) {
                return;
            }
            st.notifier.take()
        };
        self.cond.notify_all();
        if let Some(h) = h {
            let _ = h.join();
        }
    }
}

fn run_all(ready: Vec<(DurableCallback, Result<(), WalError>)>) {
    for (cb, r) in ready {
        // A panicking callback is the caller's bug: it must not take the notifier down.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || cb(r)));
    }
}
