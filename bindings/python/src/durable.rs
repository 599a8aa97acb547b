//! Calling Python from the core's notifier thread: the callbacks of `Wal.on_durable`.
//!
//! The core runs each callback once, on the handle's notifier thread, never with a walogs
//! lock held. Here a callback takes the GIL, calls the Python callable with `None` or the
//! exception instance, and reports an exception it raises through `sys.unraisablehook`
//! (the log and the notifier go on).
//!
//! Interpreter shutdown: no thread may take the GIL once finalization has begun (CPython
//! ends such a thread in the middle of its Rust frames). `Python::try_attach` refuses once
//! the interpreter says it is no longer initialized, but a callback that checked just
//! before could still go on to take the GIL. So an `atexit` hook ([`interpreter_exiting`],
//! run before finalization) closes a gate and waits (GIL released) for the callbacks
//! already past it; a callback that becomes due after that is dropped without being
//! called. The gate is two atomics (no lock a `fork` could leave held); `os.fork` resets
//! the count in the child ([`forked_child`]), where the other threads' calls do not exist.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use pyo3::prelude::*;
use walogs_core::WalError;

use crate::errors::to_pyerr;

/// Set by the `atexit` hook: no callback may take the GIL any more.
static EXITING: AtomicBool = AtomicBool::new(false);
/// Callbacks past the gate (about to take, or holding, the GIL).
static CALLING: AtomicUsize = AtomicUsize::new(0);

/// A pass through the gate; leaving it (also by unwinding) is counted.
struct Pass;

impl Pass {
    /// `None` once the interpreter is exiting. `SeqCst` on both sides: either this sees
    /// `EXITING`, or the hook sees this count and waits for it.
    fn enter() -> Option<Pass> {
        CALLING.fetch_add(1, Ordering::SeqCst);
        if EXITING.load(Ordering::SeqCst) {
            leave();
            return None;
        }
        Some(Pass)
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        leave();
    }
}

/// Count one pass out. Saturating: a child forked from inside a callback had its count
/// reset to 0 by [`forked_child`] while that callback was still inside.
fn leave() {
    let _ = CALLING.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
}

/// The core callback for the Python callable `callback`: calls it with `None` (durable) or
/// the `walogs` exception that ended the wait; an exception it raises goes to
/// `sys.unraisablehook` with the callable as the object.
pub(crate) fn callback(callback: Py<PyAny>) -> impl FnOnce(Result<(), WalError>) + Send + 'static {
    move |outcome| {
        let Some(_pass) = Pass::enter() else {
            // The interpreter is exiting: the callable is not called (its reference is
            // released whenever the GIL is next taken, if ever).
            return;
        };
        // `None`: the interpreter is not in a state to be attached to; same as above.
        let _ = Python::try_attach(move |py| {
            let arg: Py<PyAny> = match outcome {
                Ok(()) => py.None(),
                Err(e) => to_pyerr(py, e).into_value(py).into_any(),
            };
            if let Err(e) = callback.call1(py, (arg,)) {
                e.write_unraisable(py, Some(callback.bind(py)));
            }
            // Released here, with the GIL: the callable may hold the last reference to
            // the WAL, which then closes on this thread.
            drop(callback);
        });
    }
}

/// The `atexit` hook: close the gate, then wait (GIL released) until no callback is inside.
#[pyfunction]
pub(crate) fn interpreter_exiting(py: Python<'_>) {
    EXITING.store(true, Ordering::SeqCst);
    py.detach(|| {
        while CALLING.load(Ordering::SeqCst) > 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}

/// The `os.register_at_fork(after_in_child=...)` hook: the calls other threads of the
/// parent were making do not exist in the child.
#[pyfunction]
pub(crate) fn forked_child() {
    CALLING.store(0, Ordering::SeqCst);
}

/// Register [`interpreter_exiting`] with `atexit` and [`forked_child`] with
/// `os.register_at_fork` (neither is added to the module's namespace).
pub(crate) fn install_hooks(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let exiting = wrap_pyfunction!(interpreter_exiting, m)?;
    py.import("atexit")?.call_method1("register", (exiting,))?;
    let kwargs = pyo3::types::PyDict::new(py);
    kwargs.set_item("after_in_child", wrap_pyfunction!(forked_child, m)?)?;
    py.import("os")?
        .call_method("register_at_fork", (), Some(&kwargs))?;
    Ok(())
}
