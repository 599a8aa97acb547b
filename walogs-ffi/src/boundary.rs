//! The one panic boundary every fallible entry point runs in.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::last_error::{Failure, record};
use crate::status::WalogsStatus;

/// What the body of an entry point returns: a success status (`WALOGS_OK`, or `WALOGS_END`
/// for iterators) or a failure.
pub(crate) type Outcome = Result<WalogsStatus, Failure>;

/// Run the body of entry point `func`, turning a failure into its status (recording the
/// message as the thread's last error) and a panic into `WALOGS_PANIC`. No panic crosses
/// into C.
///
/// Unwind safety: a panic can leave a `SharedWal` mutex poisoned; the core recovers poisoned
/// mutexes, and its invariants are kept by writing state only after the I/O succeeded.
pub(crate) fn guard(func: &str, body: impl FnOnce() -> Outcome) -> WalogsStatus {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(status)) => status,
        Ok(Err(failure)) => {
            record(func, &failure);
            failure.status
        }
        Err(payload) => {
            let what = panic_text(payload.as_ref());
            // Dropping the payload runs foreign code (its Drop); keep that inside a boundary too.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            record(
                func,
                &Failure::new(
                    WalogsStatus::WALOGS_PANIC,
                    format!("walogs panicked (a bug, please report it): {what}"),
                ),
            );
            WalogsStatus::WALOGS_PANIC
        }
    }
}

fn panic_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_string()
    }
}

/// Free an object handed to C as `Box::into_raw`: NULL is a no-op, and a panic in its drop
/// stays on this side of the boundary (the `*_free` functions all end here).
///
/// # Safety
/// `p` is NULL, or a pointer from `Box::into_raw` of a `Box<T>`, not yet freed and used by
/// no other thread.
pub(crate) unsafe fn free_boxed<T>(p: *mut T) {
    if !p.is_null() {
        // SAFETY: from `Box::into_raw`, freed once (the caller's contract).
        let boxed = unsafe { Box::from_raw(p) };
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(boxed)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::last_error::walogs_last_error;

    fn last_message() -> String {
        let mut buf = [0 as std::ffi::c_char; 256];
        // SAFETY: `buf` holds 256 bytes.
        unsafe { walogs_last_error(buf.as_mut_ptr(), buf.len(), std::ptr::null_mut()) };
        // SAFETY: NUL-terminated by walogs_last_error.
        unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn a_panic_becomes_the_panic_status_with_its_message() {
        let s = guard("walogs_test_panic", || panic!("boom {}", 42));
        assert_eq!(s, WalogsStatus::WALOGS_PANIC);
        let msg = last_message();
        assert!(
            msg.starts_with("walogs_test_panic: walogs panicked"),
            "{msg}"
        );
        assert!(msg.contains("boom 42"), "{msg}");

        let s = guard("walogs_test_panic", || std::panic::panic_any(7u8));
        assert_eq!(s, WalogsStatus::WALOGS_PANIC);
        assert!(last_message().contains("non-string payload"));
    }

    #[test]
    fn failures_are_recorded_and_successes_leave_the_last_error_alone() {
        let s = guard("walogs_test_fail", || {
            Err(Failure::invalid("that is not a number"))
        });
        assert_eq!(s, WalogsStatus::WALOGS_INVALID_ARGUMENT);
        assert_eq!(last_message(), "walogs_test_fail: that is not a number");
        assert_eq!(
            guard("walogs_test_ok", || Ok(WalogsStatus::WALOGS_END)),
            WalogsStatus::WALOGS_END
        );
        assert_eq!(last_message(), "walogs_test_fail: that is not a number");
    }
}
