//! Knowing the process that opened a handle.
//!
//! A forked child inherits every open handle: the descriptors, the lock (an `flock` is shared
//! by the open file description) and the in-memory state. If the child used or closed such a
//! handle it would write, truncate or sync the parent's log behind the parent's back. So each
//! handle remembers the process that opened it, and every call from another process fails
//! with `WalError::Forked` before doing any I/O (close and drop in a child do nothing).
//!
//! The check runs on every call, so it must be nearly free: a child handler registered once
//! with `pthread_atfork` bumps a process-wide generation counter, and a call compares one
//! atomic load with the generation recorded at open. Children made without running fork
//! handlers (a raw `clone`, `vfork`, `posix_spawn`) only `exec`, so they never reach a call;
//! close and drop also compare the process id, which costs a system call.

#![allow(unsafe_code)]

use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bumped in every child a `fork` makes (in the child only).
static GENERATION: AtomicU64 = AtomicU64::new(0);
static REGISTER: Once = Once::new();

extern "C" fn in_child() {
    // Async-signal-safe: a lock-free atomic increment, no allocation, no lock.
    GENERATION.fetch_add(1, Ordering::Relaxed);
}

fn register() {
    REGISTER.call_once(|| {
        // SAFETY: `pthread_atfork` only records the three function pointers; the one passed
        // is an `extern "C"` function with no arguments that touches nothing but an atomic,
        // which is what a handler running in a freshly forked child may do. Registration
        // failure (ENOMEM) leaves the process-id comparison in close/drop as the only check.
        let _ = unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
    });
}

/// The process a handle belongs to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Owner {
    generation: u64,
    pid: u32,
}

impl Owner {
    /// The calling process. Registers the fork handler on first use.
    pub fn current() -> Owner {
        register();
        Owner {
            generation: GENERATION.load(Ordering::Relaxed),
            pid: std::process::id(),
        }
    }

    /// Whether the caller is (as far as a fork handler can tell) the process that opened the
    /// handle. One atomic load.
    #[inline]
    pub fn is_current(&self) -> bool {
        GENERATION.load(Ordering::Relaxed) == self.generation
    }

    /// [`Owner::is_current`] plus a process-id comparison (one system call): for close and
    /// drop, which must never do I/O in another process.
    pub fn is_current_strict(&self) -> bool {
        self.is_current() && std::process::id() == self.pid
    }

    /// Process id of the owner.
    pub fn pid(&self) -> u32 {
        self.pid
    }
}
