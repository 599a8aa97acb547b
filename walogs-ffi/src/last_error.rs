//! The failure type of the C layer, and the thread-local "last error" a C caller reads back
//! with `walogs_last_error` / `walogs_last_errno` / `walogs_last_damage`.

use std::cell::RefCell;
use std::ffi::{c_char, c_int};

use walogs_core::{Damage, WalError};
use walogs_streams::StreamsError;

use crate::status::WalogsStatus;

/// A failed call: its status, a message, the OS error number (0 when not an I/O error) and,
/// for `WALOGS_CORRUPT`, the damage as data.
#[derive(Debug)]
pub(crate) struct Failure {
    pub status: WalogsStatus,
    pub message: String,
    pub errno: c_int,
    pub damage: Option<Box<Damage>>,
}

impl Failure {
    pub fn new(status: WalogsStatus, message: impl Into<String>) -> Failure {
        Failure {
            status,
            message: message.into(),
            errno: 0,
            damage: None,
        }
    }

    pub fn null(arg: &str) -> Failure {
        Failure::new(
            WalogsStatus::WALOGS_NULL_ARGUMENT,
            format!("argument `{arg}` is NULL"),
        )
    }

    pub fn invalid(message: impl Into<String>) -> Failure {
        Failure::new(WalogsStatus::WALOGS_INVALID_ARGUMENT, message)
    }
}

impl From<WalError> for Failure {
    fn from(e: WalError) -> Failure {
        use WalogsStatus::*;
        let status = match &e {
            WalError::Io(_) => WALOGS_IO,
            WalError::EntryTooLarge { .. } => WALOGS_ENTRY_TOO_LARGE,
            WalError::Corrupt { .. } => WALOGS_CORRUPT,
            WalError::Locked { .. } => WALOGS_LOCKED,
            WalError::Poisoned { .. } => WALOGS_POISONED,
            WalError::ReadOnly => WALOGS_READ_ONLY,
            WalError::Closed => WALOGS_CLOSED,
            WalError::LsnOutOfRange { .. } => WALOGS_LSN_OUT_OF_RANGE,
            WalError::InvalidArgument { .. } => WALOGS_INVALID_ARGUMENT,
            WalError::Forked { .. } => WALOGS_FORKED,
            WalError::UnsafeFile { .. } => WALOGS_UNSAFE_FILE,
            WalError::Timeout { .. } => WALOGS_TIMEOUT,
            // `WalError` is non-exhaustive: a variant added to the core after this layer was
            // written still fails (with its message and errno) instead of passing as success.
            _ => WALOGS_IO,
        };
        Failure {
            status,
            message: e.to_string(),
            errno: e.errno().unwrap_or(0),
            damage: e.damage().cloned().map(Box::new),
        }
    }
}

impl From<StreamsError> for Failure {
    fn from(e: StreamsError) -> Failure {
        use WalogsStatus::*;
        let e = match e {
            // The log's own errors keep their status, errno and damage.
            StreamsError::Wal(w) => return Failure::from(w),
            other => other,
        };
        let status = match &e {
            StreamsError::InvalidName { .. } | StreamsError::InvalidArgument { .. } => {
                WALOGS_INVALID_ARGUMENT
            }
            StreamsError::HeaderTooLarge { .. } => WALOGS_ENTRY_TOO_LARGE,
            StreamsError::UnknownTopic { .. } => WALOGS_UNKNOWN_TOPIC,
            StreamsError::LsnOutOfRange { .. } => WALOGS_LSN_OUT_OF_RANGE,
            StreamsError::ConsumerModeMismatch { .. } => WALOGS_CONSUMER_MODE_MISMATCH,
            StreamsError::ConsumerInUse { .. } => WALOGS_CONSUMER_IN_USE,
            StreamsError::NotAStore { .. } => WALOGS_NOT_A_STORE,
            StreamsError::Format { .. } => WALOGS_STORE_FORMAT,
            // Non-exhaustive, as for `WalError`: a later variant still fails.
            _ => WALOGS_IO,
        };
        Failure::new(status, e.to_string())
    }
}

/// The last failure recorded on this thread.
struct LastError {
    message: Vec<u8>,
    errno: c_int,
    damage: Option<Box<Damage>>,
}

thread_local! {
    static LAST: RefCell<LastError> = const {
        RefCell::new(LastError { message: Vec::new(), errno: 0, damage: None })
    };
}

/// Record `f` (from function `func`) as this thread's last error.
pub(crate) fn record(func: &str, f: &Failure) {
    let mut message = format!("{func}: {}", f.message).into_bytes();
    // The message is handed out as a C string: no interior NUL.
    for b in &mut message {
        if *b == 0 {
            *b = b'?';
        }
    }
    // During thread teardown the slot may be gone; the status still tells the caller.
    let _ = LAST.try_with(|slot| {
        if let Ok(mut last) = slot.try_borrow_mut() {
            last.message = message;
            last.errno = f.errno;
            last.damage = f.damage.clone();
        }
    });
}

/// A copy of the damage of the last failure on this thread (`None`: that failure was not
/// `WALOGS_CORRUPT`, there was none, or the thread is being torn down).
pub(crate) fn last_damage() -> Option<Damage> {
    LAST.try_with(|slot| {
        slot.try_borrow()
            .ok()
            .and_then(|last| last.damage.as_deref().cloned())
    })
    .ok()
    .flatten()
}

/// Copy the message of the last failed call on this thread into `buf`.
///
/// The message names the function, what was wrong, and for WAL errors the file, offset or
/// LSN involved. It is kept until the next failing call on the same thread (successful calls
/// leave it alone); a thread that never saw a failure gets an empty string.
///
/// `buf` receives up to `cap - 1` bytes of the message plus a terminating NUL (like
/// `snprintf`): a message that does not fit is cut, still NUL-terminated. `buf` may be NULL
/// only when `cap` is 0 (to ask for the length). `len_out` (optional, may be NULL) receives
/// the full length of the message in bytes, without the NUL.
///
/// Returns `WALOGS_OK` when the whole message fit, `WALOGS_BUFFER_TOO_SMALL` when it was cut
/// (or `cap` was 0), `WALOGS_NULL_ARGUMENT` when `buf` is NULL with `cap > 0`. This call
/// never changes the last error itself. Cost: one copy of the message.
///
/// Thread-local: call it on the thread that made the failing call (in Go, lock the goroutine
/// to its OS thread before the call that may fail and keep it locked until the error is
/// read).
///
/// # Safety
/// `buf`, when not NULL, must be valid for writes of `cap` bytes; `len_out`, when not NULL,
/// must be valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_last_error(
    buf: *mut c_char,
    cap: usize,
    len_out: *mut usize,
) -> WalogsStatus {
    // No `guard` here: it would overwrite the very error being read. Nothing below panics.
    if buf.is_null() && cap > 0 {
        return WalogsStatus::WALOGS_NULL_ARGUMENT;
    }
    let copied = LAST.try_with(|slot| {
        let Ok(last) = slot.try_borrow() else {
            return (0, true);
        };
        let msg = &last.message;
        let fits = msg.len() < cap;
        if cap > 0 {
            let n = msg.len().min(cap - 1);
            // SAFETY: `buf` is non-NULL (checked above) and valid for `cap` bytes (caller's
            // contract); `n + 1 <= cap`; `msg` is our own buffer, which cannot overlap it.
            unsafe {
                std::ptr::copy_nonoverlapping(msg.as_ptr(), buf.cast::<u8>(), n);
                *buf.add(n) = 0;
            }
        }
        (msg.len(), fits)
    });
    let (len, fits) = copied.unwrap_or_else(|_| {
        if cap > 0 {
            // SAFETY: as above, `buf` is valid for at least one byte.
            unsafe { *buf = 0 };
        }
        (0, true)
    });
    if !len_out.is_null() {
        // SAFETY: non-NULL and valid for a write (caller's contract).
        unsafe { len_out.write(len) };
    }
    if fits {
        WalogsStatus::WALOGS_OK
    } else {
        WalogsStatus::WALOGS_BUFFER_TOO_SMALL
    }
}

/// The OS error number (`errno` value, e.g. `ENOSPC`) of the last failed call on this
/// thread when it failed with `WALOGS_IO`; 0 when it had none (a non-I/O failure, or no
/// failure yet). Kept until the next failing call on this thread. Never fails, costs
/// nothing. The numbers are walogs' one errno table (the same the Rust, Python and Go
/// surfaces report).
#[unsafe(no_mangle)]
pub extern "C" fn walogs_last_errno() -> c_int {
    LAST.try_with(|slot| slot.try_borrow().map(|l| l.errno).unwrap_or(0))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_last(cap: usize) -> (WalogsStatus, String, usize) {
        let mut buf = vec![0x55 as c_char; cap];
        let mut len = usize::MAX;
        let ptr = if cap == 0 {
            std::ptr::null_mut()
        } else {
            buf.as_mut_ptr()
        };
        // SAFETY: `buf` holds `cap` bytes; `len` is a local.
        let s = unsafe { walogs_last_error(ptr, cap, &mut len) };
        let text = if cap == 0 {
            String::new()
        } else {
            // SAFETY: walogs_last_error NUL-terminates within `cap`.
            unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }
                .to_string_lossy()
                .into_owned()
        };
        (s, text, len)
    }

    #[test]
    fn message_round_trips_and_is_cut_when_the_buffer_is_small() {
        record(
            "walogs_test",
            &Failure::new(WalogsStatus::WALOGS_IO, "disk\0 on fire"),
        );
        let full = "walogs_test: disk? on fire";
        assert_eq!(
            read_last(64),
            (WalogsStatus::WALOGS_OK, full.to_string(), full.len())
        );
        assert_eq!(
            read_last(full.len() + 1),
            (WalogsStatus::WALOGS_OK, full.to_string(), full.len())
        );
        assert_eq!(
            read_last(full.len()),
            (
                WalogsStatus::WALOGS_BUFFER_TOO_SMALL,
                full[..full.len() - 1].to_string(),
                full.len()
            )
        );
        assert_eq!(
            read_last(0),
            (
                WalogsStatus::WALOGS_BUFFER_TOO_SMALL,
                String::new(),
                full.len()
            )
        );
        // SAFETY: NULL with cap > 0 is refused before any write.
        let s = unsafe { walogs_last_error(std::ptr::null_mut(), 8, std::ptr::null_mut()) };
        assert_eq!(s, WalogsStatus::WALOGS_NULL_ARGUMENT);
    }

    #[test]
    fn errno_comes_from_the_os_error_or_its_kind() {
        let f = Failure::from(WalError::Io(std::io::Error::from_raw_os_error(28)));
        assert_eq!((f.status, f.errno), (WalogsStatus::WALOGS_IO, 28));
        let f = Failure::from(WalError::Io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "x",
        )));
        assert_eq!(f.errno, rustix::io::Errno::NOENT.raw_os_error());
        record("walogs_test", &f);
        assert_eq!(walogs_last_errno(), f.errno);
        let f = Failure::from(WalError::ReadOnly);
        assert_eq!((f.status, f.errno), (WalogsStatus::WALOGS_READ_ONLY, 0));
    }

    #[test]
    fn every_error_variant_has_its_status_errno_and_damage() {
        use WalogsStatus::*;
        use walogs_core::vfs::FileProblem;
        use walogs_core::{Damage, DamageKind};
        let cases: Vec<(WalError, WalogsStatus)> = vec![
            (
                WalError::Io(std::io::Error::from_raw_os_error(5)),
                WALOGS_IO,
            ),
            (
                WalError::EntryTooLarge { size: 9, max: 8 },
                WALOGS_ENTRY_TOO_LARGE,
            ),
            (
                WalError::Corrupt {
                    reason: Box::new(Damage::new(DamageKind::SegmentGap, "gap")),
                },
                WALOGS_CORRUPT,
            ),
            (WalError::Locked { path: "/x".into() }, WALOGS_LOCKED),
            (WalError::Poisoned { reason: "r".into() }, WALOGS_POISONED),
            (WalError::ReadOnly, WALOGS_READ_ONLY),
            (WalError::Closed, WALOGS_CLOSED),
            (
                WalError::LsnOutOfRange {
                    lsn: 9,
                    first: 1,
                    next: 3,
                },
                WALOGS_LSN_OUT_OF_RANGE,
            ),
            (
                WalError::InvalidArgument { reason: "r".into() },
                WALOGS_INVALID_ARGUMENT,
            ),
            (WalError::Forked { opened_by: 1 }, WALOGS_FORKED),
            (
                WalError::UnsafeFile {
                    path: "/x/wal-000001.log".into(),
                    problem: FileProblem::HardLinked { links: 2 },
                },
                WALOGS_UNSAFE_FILE,
            ),
            (WalError::Timeout { lsn: 2, durable: 1 }, WALOGS_TIMEOUT),
        ];
        for (e, want) in cases {
            let text = e.to_string();
            let errno = e.errno().unwrap_or(0);
            let is_corrupt = e.damage().is_some();
            let f = Failure::from(e);
            assert_eq!(f.status, want, "{text}");
            assert_eq!(f.message, text);
            assert_eq!(f.errno, errno, "{text}");
            assert_eq!(f.errno != 0, want == WALOGS_IO, "{text}");
            assert_eq!(f.damage.is_some(), is_corrupt, "{text}");
            assert_eq!(is_corrupt, want == WALOGS_CORRUPT, "{text}");
        }
    }

    #[test]
    fn every_streams_error_has_its_status() {
        use WalogsStatus::*;
        use walogs_streams::ConsumerMode;
        let cases: Vec<(StreamsError, WalogsStatus)> = vec![
            (
                StreamsError::Wal(WalError::Io(std::io::Error::from_raw_os_error(28))),
                WALOGS_IO,
            ),
            (StreamsError::Wal(WalError::ReadOnly), WALOGS_READ_ONLY),
            (
                StreamsError::InvalidName {
                    what: "topic",
                    reason: "empty".into(),
                },
                WALOGS_INVALID_ARGUMENT,
            ),
            (
                StreamsError::HeaderTooLarge { size: 9, max: 8 },
                WALOGS_ENTRY_TOO_LARGE,
            ),
            (
                StreamsError::UnknownTopic { topic: "t".into() },
                WALOGS_UNKNOWN_TOPIC,
            ),
            (
                StreamsError::LsnOutOfRange {
                    topic: "t".into(),
                    lsn: 9,
                    first: 1,
                    next: 3,
                },
                WALOGS_LSN_OUT_OF_RANGE,
            ),
            (
                StreamsError::ConsumerModeMismatch {
                    topic: "t".into(),
                    consumer: "c".into(),
                    existing: ConsumerMode::Strict,
                    requested: ConsumerMode::AtLeastOnce { persist_every: 2 },
                },
                WALOGS_CONSUMER_MODE_MISMATCH,
            ),
            (
                StreamsError::ConsumerInUse {
                    topic: "t".into(),
                    consumer: "c".into(),
                },
                WALOGS_CONSUMER_IN_USE,
            ),
            (
                StreamsError::InvalidArgument { reason: "r".into() },
                WALOGS_INVALID_ARGUMENT,
            ),
            (
                StreamsError::NotAStore {
                    path: "/x".into(),
                    reason: "r".into(),
                },
                WALOGS_NOT_A_STORE,
            ),
            (
                StreamsError::Format {
                    log_lsn: 4,
                    reason: "r".into(),
                },
                WALOGS_STORE_FORMAT,
            ),
        ];
        for (e, want) in cases {
            let text = e.to_string();
            let f = Failure::from(e);
            assert_eq!(f.status, want, "{text}");
            assert_eq!(f.message, text);
            assert_eq!(f.errno != 0, want == WALOGS_IO, "{text}");
        }
    }

    #[test]
    fn last_error_is_per_thread() {
        record(
            "walogs_test",
            &Failure::new(WalogsStatus::WALOGS_IO, "here"),
        );
        let other = std::thread::spawn(|| read_last(64)).join().unwrap();
        assert_eq!(other, (WalogsStatus::WALOGS_OK, String::new(), 0));
        assert_eq!(read_last(64).1, "walogs_test: here");
    }
}
