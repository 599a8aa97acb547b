//! What ends a command that runs until stopped (`tail -f`): SIGINT or SIGTERM, caught so
//! that the command flushes what it printed and exits 0, and a stdout whose reader went away
//! (checked while idle, so that `walogs tail -f ... | head -1` ends without waiting for the
//! next record).

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by the signal handler.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_signal: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    INTERRUPTED.store(true, Ordering::Relaxed);
}

/// Catch SIGINT and SIGTERM from now on: instead of ending the process they make
/// [`interrupted`] true. System calls they interrupt are restarted (`SA_RESTART`).
pub fn catch_interrupts() -> io::Result<()> {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: an all-zero `sigaction` is a valid value of this plain C struct (no
        // flags, empty mask, handler set below).
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        // SAFETY: `action.sa_mask` is a valid, writable sigset_t.
        unsafe { libc::sigemptyset(&mut action.sa_mask) };
        // SAFETY: `action` is fully initialized and outlives the call; the handler only does
        // an atomic store, which is async-signal-safe; a null old-action pointer is allowed.
        let rc = unsafe { libc::sigaction(signal, &action, std::ptr::null_mut()) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Whether SIGINT or SIGTERM arrived since [`catch_interrupts`].
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

/// Whether stdout is a pipe or socket whose reader is gone (a write would fail with EPIPE).
/// Costs one `poll` that does not wait.
pub fn stdout_closed() -> bool {
    let mut fd = libc::pollfd {
        fd: libc::STDOUT_FILENO,
        events: 0,
        revents: 0,
    };
    // SAFETY: `fd` is one valid, writable pollfd and the count says one; timeout 0 never
    // blocks.
    let n = unsafe { libc::poll(&mut fd, 1, 0) };
    n > 0 && fd.revents & (libc::POLLERR | libc::POLLHUP) != 0
}
