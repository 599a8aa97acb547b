//! Knowing the process that opened a handle.
//!
//! A forked child inherits every open handle: the descriptors, the lock (an `flock` is shared
//! by the open file description) and the in-memory state. If the child used or closed such a
//! handle it would write, truncate or sync the parent's log behind the parent's back. So each
//! handle remembers the process that opened it, and every call from another process fails
//! with `WalError::Forked` before doing any I/O (close and drop in a child do nothing).
//!
//! The check runs on every call, so it must be nearly free: two atomic loads compared with
//! what was recorded at open.
//!
//! * A token in a page the kernel zeroes in every child a fork makes (`MADV_WIPEONFORK`),
//!   however the child was made: `fork()`, or the raw system call, which runs no fork
//!   handler (the only way a Go program can fork without exec). A process that finds the
//!   page zeroed writes a token of its own there at its first open, so the handles it opens
//!   itself work and the inherited ones still fail.
//! * A process-wide generation counter that a child handler registered with
//!   `pthread_atfork` bumps: the only check left on a kernel without `MADV_WIPEONFORK`
//!   (before Linux 4.14), where a child of the raw system call goes undetected.
//!
//! Children that share the parent's memory (`vfork`, `clone` with `CLONE_VM`, as
//! `posix_spawn` makes them) only `exec`, so they never reach a call; close and drop also
//! compare the process id, which costs a system call.

#![allow(unsafe_code)]

use std::sync::Once;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use crate::error::WalError;

/// Bumped in every child a `fork` makes (in the child only).
static GENERATION: AtomicU64 = AtomicU64::new(0);
static REGISTER: Once = Once::new();
/// The token of the process, in a page that every fork zeroes in the child; null when the
/// kernel cannot wipe a page on fork (then the generation is the only check).
static TOKEN: AtomicPtr<AtomicU64> = AtomicPtr::new(std::ptr::null_mut());
/// Tokens handed out so far along this line of processes (a child continues its parent's
/// count, so a token never repeats between a process and its descendants).
static TOKENS: AtomicU64 = AtomicU64::new(0);

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
        TOKEN.store(wiped_on_fork(), Ordering::Release);
    });
}

/// A zeroed word in a page of its own that the kernel zeroes again in every child a fork
/// makes, or null when the kernel cannot do that (it then stays unmapped). Mapped once per
/// process line and never unmapped: one page.
fn wiped_on_fork() -> *mut AtomicU64 {
    // SAFETY: sysconf has no preconditions.
    let page = match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
        n if n > 0 => n as usize,
        _ => return std::ptr::null_mut(),
    };
    // SAFETY: a fresh private anonymous mapping at an address the kernel chooses; it
    // aliases nothing.
    let addr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            page,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if addr == libc::MAP_FAILED {
        return std::ptr::null_mut();
    }
    // SAFETY: `addr..addr + page` is the mapping just made, used by nothing else yet.
    if unsafe { libc::madvise(addr, page, libc::MADV_WIPEONFORK) } != 0 {
        // SAFETY: unmapping the mapping just made, which nothing refers to.
        unsafe { libc::munmap(addr, page) };
        return std::ptr::null_mut();
    }
    addr.cast()
}

/// This process's token: 0 without a wipe-on-fork page; otherwise the token in the page,
/// which the first call in a process whose page a fork zeroed sets to a new one.
fn token() -> u64 {
    let p = TOKEN.load(Ordering::Acquire);
    if p.is_null() {
        return 0;
    }
    // SAFETY: a non-null TOKEN points at the start of a page-aligned, zero-initialised
    // mapping that is never unmapped, accessed only through this atomic.
    let word = unsafe { &*p };
    match word.load(Ordering::Relaxed) {
        0 => {
            let fresh = TOKENS.fetch_add(1, Ordering::Relaxed) + 1;
            match word.compare_exchange(0, fresh, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => fresh,
                Err(set_by_another_thread) => set_by_another_thread,
            }
        }
        t => t,
    }
}

/// This process's token as it stands, without setting one: 0 when the page was zeroed by a
/// fork since (or there is no page).
#[inline]
fn current_token() -> u64 {
    let p = TOKEN.load(Ordering::Acquire);
    if p.is_null() {
        return 0;
    }
    // SAFETY: as in `token`.
    unsafe { &*p }.load(Ordering::Relaxed)
}

/// The process that made it: every walogs handle keeps one and checks it on each call, and
/// code built on walogs (the streams store, the bindings) can keep one to give its own
/// objects the same fork guard. [`ProcessOwner::check`] costs two atomic loads.
///
/// A child made by `fork()` (or the raw system call) is told apart from its parent by a page
/// the kernel zeroes in every child (`MADV_WIPEONFORK`, Linux 4.14) and a fork handler
/// (`pthread_atfork`); on older kernels a child of the raw system call goes undetected by
/// the cheap check, which [`ProcessOwner::is_current_strict`] covers with a process-id
/// comparison.
///
/// ```
/// let owner = walogs_core::ProcessOwner::current();
/// assert!(owner.check().is_ok()); // in the process that made it
/// assert_eq!(owner.pid(), std::process::id());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ProcessOwner {
    generation: u64,
    token: u64,
    pid: u32,
}

impl ProcessOwner {
    /// The calling process. Registers the fork handler on first use (one `mmap`, one
    /// `madvise` and one `pthread_atfork` per process).
    #[must_use]
    pub fn current() -> ProcessOwner {
        register();
        ProcessOwner {
            generation: GENERATION.load(Ordering::Relaxed),
            token: token(),
            pid: std::process::id(),
        }
    }

    /// Whether the caller is (as far as the wiped page and the fork handler can tell) the
    /// process that made `self`. Two atomic loads.
    #[inline]
    #[must_use]
    pub fn is_current(&self) -> bool {
        GENERATION.load(Ordering::Relaxed) == self.generation && current_token() == self.token
    }

    /// `Ok` in the process that made `self`, [`WalError::Forked`] (carrying its process id)
    /// in any other. Two atomic loads.
    #[inline]
    pub fn check(&self) -> Result<(), WalError> {
        self.forked_unless(self.is_current())
    }

    /// [`ProcessOwner::check`] by [`ProcessOwner::is_current_strict`] (one system call more):
    /// for close and drop.
    pub fn check_strict(&self) -> Result<(), WalError> {
        self.forked_unless(self.is_current_strict())
    }

    fn forked_unless(&self, current: bool) -> Result<(), WalError> {
        if current {
            Ok(())
        } else {
            Err(WalError::Forked {
                opened_by: self.pid,
            })
        }
    }

    /// [`ProcessOwner::is_current`] plus a process-id comparison (one system call): for close and
    /// drop, which must never do I/O in another process.
    #[must_use]
    pub fn is_current_strict(&self) -> bool {
        self.is_current() && std::process::id() == self.pid
    }

    /// Process id of the process that made `self`.
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.pid
    }
}
