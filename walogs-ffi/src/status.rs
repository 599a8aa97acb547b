//! The status codes every fallible function returns, and their static descriptions.

use std::ffi::c_char;

/// What a call did. Every fallible function returns one of these.
///
/// The numbers are part of the ABI: they are never renumbered or reused. New failure kinds
/// get new numbers in their block: `0..=99` success, `100..=199` a bad argument (nothing was
/// changed), `200..=299` the state of the WAL (or of a streams store) refuses the call, `300..=399` the operating
/// system failed, `900..=999` a bug in walogs. A caller that meets a number it does not know
/// can still classify it by its block.
///
/// After a failure, `walogs_last_error` gives a message saying what exactly was wrong,
/// `walogs_last_errno` the OS error number for I/O failures, and `walogs_last_damage` the
/// damage behind a `WALOGS_CORRUPT`.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum WalogsStatus {
    /// Success.
    WALOGS_OK = 0,
    /// Not an error: the iterator has no more entries (`walogs_iter_next` only). No output
    /// was written.
    WALOGS_END = 1,
    /// A required pointer argument was NULL. Nothing was changed.
    WALOGS_NULL_ARGUMENT = 100,
    /// An argument has a value the call cannot accept (an empty path or batch, an unknown
    /// durability kind, a file mode without owner read and write, `max_entries` 0, ...).
    /// Nothing was changed.
    WALOGS_INVALID_ARGUMENT = 101,
    /// An entry is larger than `WALOGS_MAX_ENTRY_SIZE`, an atomic batch larger than
    /// `WALOGS_MAX_BATCH_SIZE`, or user data larger than `WALOGS_MAX_USER_DATA`. Nothing was
    /// written.
    WALOGS_ENTRY_TOO_LARGE = 102,
    /// The caller's buffer is too small; the size needed was written to the length output.
    WALOGS_BUFFER_TOO_SMALL = 103,
    /// Another handle, in this process or another one, holds the directory's write lock.
    WALOGS_LOCKED = 200,
    /// An earlier write or fdatasync failed, so what is on disk is unknown: every mutating
    /// call fails with this status until the WAL is closed and reopened.
    WALOGS_POISONED = 201,
    /// A mutating call was made on a handle opened read-only.
    WALOGS_READ_ONLY = 202,
    /// The handle was shut down (`walogs_shutdown`), or the WAL of an iterator was closed.
    WALOGS_CLOSED = 203,
    /// The directory holds damage walogs will not repair silently (the message names the
    /// file and byte offset; `walogs_last_damage` gives the details as data). Opening with
    /// the salvage option cuts mid-log damage in the last segment instead.
    WALOGS_CORRUPT = 204,
    /// An LSN outside the entries the WAL holds (purged, checkpointed or truncated away, or
    /// not handed out yet).
    WALOGS_LSN_OUT_OF_RANGE = 205,
    /// The handle was opened by another process: this process inherited it across
    /// `fork()`. Nothing was done (`walogs_close` in such a child frees the handle's memory
    /// and writes nothing). Open the WAL anew in this process to use it here.
    WALOGS_FORKED = 206,
    /// A file inside the WAL directory is a symbolic link, a FIFO, a socket, a device or a
    /// directory under a walogs file name, or a file walogs would write has other hard
    /// links. Nothing was read from, written to or removed through it.
    WALOGS_UNSAFE_FILE = 207,
    /// `walogs_wait_durable` gave up: the entry was not durable within the timeout (it may
    /// still become durable later). Nothing was changed.
    WALOGS_TIMEOUT = 208,
    /// Streams: a read, seek or consumer names a topic that has never been appended to.
    /// Nothing was changed.
    WALOGS_UNKNOWN_TOPIC = 209,
    /// Streams: a consumer was opened with another mode than the one it is registered with
    /// (strict vs. at-least-once). Nothing was changed; open it with its registered mode.
    WALOGS_CONSUMER_MODE_MISMATCH = 210,
    /// Streams: the consumer is open already in this process (not yet closed or freed).
    WALOGS_CONSUMER_IN_USE = 211,
    /// Streams: the directory holds a walogs log that is not a streams store. Nothing was
    /// changed.
    WALOGS_NOT_A_STORE = 212,
    /// Streams: an entry of the store's log passed its checksum but does not decode as a
    /// streams entry (a format problem, not a torn write; the message gives its log LSN).
    WALOGS_STORE_FORMAT = 213,
    /// The operating system reported an error; `walogs_last_errno` gives its number. A
    /// failed write or fdatasync also poisons the handle.
    WALOGS_IO = 300,
    /// walogs panicked (a bug). The panic was caught at the boundary; the handle may be
    /// used further, but closing and reopening it is the safe course. Please report it.
    WALOGS_PANIC = 900,
}

impl WalogsStatus {
    /// Every status, for tests and lookups.
    pub(crate) const ALL: [WalogsStatus; 22] = [
        WalogsStatus::WALOGS_OK,
        WalogsStatus::WALOGS_END,
        WalogsStatus::WALOGS_NULL_ARGUMENT,
        WalogsStatus::WALOGS_INVALID_ARGUMENT,
        WalogsStatus::WALOGS_ENTRY_TOO_LARGE,
        WalogsStatus::WALOGS_BUFFER_TOO_SMALL,
        WalogsStatus::WALOGS_LOCKED,
        WalogsStatus::WALOGS_POISONED,
        WalogsStatus::WALOGS_READ_ONLY,
        WalogsStatus::WALOGS_CLOSED,
        WalogsStatus::WALOGS_CORRUPT,
        WalogsStatus::WALOGS_LSN_OUT_OF_RANGE,
        WalogsStatus::WALOGS_FORKED,
        WalogsStatus::WALOGS_UNSAFE_FILE,
        WalogsStatus::WALOGS_TIMEOUT,
        WalogsStatus::WALOGS_UNKNOWN_TOPIC,
        WalogsStatus::WALOGS_CONSUMER_MODE_MISMATCH,
        WalogsStatus::WALOGS_CONSUMER_IN_USE,
        WalogsStatus::WALOGS_NOT_A_STORE,
        WalogsStatus::WALOGS_STORE_FORMAT,
        WalogsStatus::WALOGS_IO,
        WalogsStatus::WALOGS_PANIC,
    ];

    /// The static description, NUL-terminated.
    const fn text(self) -> &'static str {
        match self {
            WalogsStatus::WALOGS_OK => "ok\0",
            WalogsStatus::WALOGS_END => "end of iteration\0",
            WalogsStatus::WALOGS_NULL_ARGUMENT => "a required pointer argument is NULL\0",
            WalogsStatus::WALOGS_INVALID_ARGUMENT => "invalid argument\0",
            WalogsStatus::WALOGS_ENTRY_TOO_LARGE => "entry or atomic batch too large\0",
            WalogsStatus::WALOGS_BUFFER_TOO_SMALL => "buffer too small\0",
            WalogsStatus::WALOGS_LOCKED => "wal directory locked by another handle\0",
            WalogsStatus::WALOGS_POISONED => {
                "wal poisoned by an earlier write or sync failure; reopen it\0"
            }
            WalogsStatus::WALOGS_READ_ONLY => "wal is open read-only\0",
            WalogsStatus::WALOGS_CLOSED => "wal is closed\0",
            WalogsStatus::WALOGS_CORRUPT => "wal corrupt\0",
            WalogsStatus::WALOGS_LSN_OUT_OF_RANGE => "lsn out of range\0",
            WalogsStatus::WALOGS_FORKED => {
                "wal handle inherited across fork(); it belongs to the parent process\0"
            }
            WalogsStatus::WALOGS_UNSAFE_FILE => {
                "refusing a link, special file or hard-linked file in the wal directory\0"
            }
            WalogsStatus::WALOGS_TIMEOUT => "timed out waiting for an entry to become durable\0",
            WalogsStatus::WALOGS_UNKNOWN_TOPIC => "no such topic\0",
            WalogsStatus::WALOGS_CONSUMER_MODE_MISMATCH => {
                "consumer is registered with another mode\0"
            }
            WalogsStatus::WALOGS_CONSUMER_IN_USE => "consumer is already open\0",
            WalogsStatus::WALOGS_NOT_A_STORE => {
                "directory holds a walogs log, not a streams store\0"
            }
            WalogsStatus::WALOGS_STORE_FORMAT => "streams store entry does not decode\0",
            WalogsStatus::WALOGS_IO => "i/o error\0",
            WalogsStatus::WALOGS_PANIC => "internal error: walogs panicked\0",
        }
    }

    /// The status with this number, if there is one.
    pub(crate) fn from_code(code: i32) -> Option<WalogsStatus> {
        WalogsStatus::ALL.into_iter().find(|s| *s as i32 == code)
    }
}

/// A static, NUL-terminated English description of `status` (never NULL; "unknown status"
/// for a number this library does not define). Never fails, never allocates, thread-safe;
/// the string lives as long as the library is loaded.
#[unsafe(no_mangle)]
pub extern "C" fn walogs_status_str(status: i32) -> *const c_char {
    let text = match WalogsStatus::from_code(status) {
        Some(s) => s.text(),
        None => "unknown status\0",
    };
    text.as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn every_status_has_a_distinct_nul_terminated_text() {
        let mut seen = std::collections::HashSet::new();
        for s in WalogsStatus::ALL {
            // SAFETY: walogs_status_str returns a static NUL-terminated string.
            let text = unsafe { CStr::from_ptr(walogs_status_str(s as i32)) };
            let text = text.to_str().unwrap();
            assert!(!text.is_empty() && text != "unknown status", "{s:?}");
            assert!(seen.insert(text), "duplicate text {text}");
            assert_eq!(WalogsStatus::from_code(s as i32), Some(s));
        }
    }

    #[test]
    fn unknown_codes_are_described_not_crashed_on() {
        for code in [-1, 2, 99, 104, 214, 299, 301, 999, i32::MIN, i32::MAX] {
            // SAFETY: as above.
            let text = unsafe { CStr::from_ptr(walogs_status_str(code)) };
            assert_eq!(text.to_str().unwrap(), "unknown status");
        }
    }

    #[test]
    fn numbers_are_stable() {
        use WalogsStatus::*;
        let expected = [
            (WALOGS_OK, 0),
            (WALOGS_END, 1),
            (WALOGS_NULL_ARGUMENT, 100),
            (WALOGS_INVALID_ARGUMENT, 101),
            (WALOGS_ENTRY_TOO_LARGE, 102),
            (WALOGS_BUFFER_TOO_SMALL, 103),
            (WALOGS_LOCKED, 200),
            (WALOGS_POISONED, 201),
            (WALOGS_READ_ONLY, 202),
            (WALOGS_CLOSED, 203),
            (WALOGS_CORRUPT, 204),
            (WALOGS_LSN_OUT_OF_RANGE, 205),
            (WALOGS_FORKED, 206),
            (WALOGS_UNSAFE_FILE, 207),
            (WALOGS_TIMEOUT, 208),
            (WALOGS_UNKNOWN_TOPIC, 209),
            (WALOGS_CONSUMER_MODE_MISMATCH, 210),
            (WALOGS_CONSUMER_IN_USE, 211),
            (WALOGS_NOT_A_STORE, 212),
            (WALOGS_STORE_FORMAT, 213),
            (WALOGS_IO, 300),
            (WALOGS_PANIC, 900),
        ];
        assert_eq!(expected.len(), WalogsStatus::ALL.len());
        for (s, n) in expected {
            assert_eq!(s as i32, n);
        }
    }
}
