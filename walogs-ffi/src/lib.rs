//! The C ABI of walogs: `libwalogs.so` (soname `libwalogs.so.0`) and `libwalogs.a`, described
//! by `include/walogs.h` (generated from this crate by cbindgen).
//!
//! A thin `extern "C"` layer over [`walogs_core::SharedWal`], the thread-safe group-commit
//! handle. Rules every entry point keeps:
//!
//! - every fallible function returns a [`WalogsStatus`] with stable numbers, and records a
//!   thread-local message (`walogs_last_error`) and errno (`walogs_last_errno`) on failure;
//! - every pointer argument is checked for NULL before use, sizes are checked before a slice
//!   is formed, and outputs are written only on success (the one exception, documented, is
//!   the length a too-small buffer needed);
//! - every body runs inside one panic boundary (`catch_unwind`): no panic crosses into C.
//!   The few functions that cannot fail or must not touch the last error
//!   (`walogs_status_str`, `walogs_version*`, `walogs_last_error`, `walogs_last_errno`,
//!   `walogs_last_damage`) hold no panicking code; the free functions still catch a panic
//!   from a destructor;
//! - translation only: every behaviour is the core's; a function checks its arguments,
//!   calls the core and maps the result (status, message, errno from `WalError::errno`,
//!   damage from `WalError::damage`).
//!
//! Module map: `status` (the codes), `last_error` (messages), `damage` (damage as data),
//! `boundary` (the panic boundary), `args` (checked C arguments), `options`, `handle`
//! (open/close), `append`, `read`, `range` (bounded reads), `iter`, `maintenance`
//! (rotate/checkpoint/truncate/purge), `user_data`, `durable` (wait/callback), `info`
//! (getters), `report` (recovery report), `version`; streams (over `walogs_streams`):
//! `streams_options`, `streams` (open/close, appends, store-wide calls), `records` (reads
//! and record lists), `consumer`, `listings` (topic and consumer lists).

// The order of these groups is the order of the generated header.
mod status;
// errors
mod last_error;
// damage
mod damage;
// version
mod version;
// options
mod options;
// open / close
mod handle;
// writes
mod append;
// reads
mod range;
mod read;
// iteration
mod iter;
// maintenance and log control
mod maintenance;
// user data
mod user_data;
// durability notifications
mod durable;
// getters
mod info;
// recovery report
mod report;
// streams
mod cleanup;
mod consumer;
mod listings;
mod records;
mod streams;
mod streams_options;
// internals
mod args;
mod boundary;

pub use append::*;
pub use consumer::*;
pub use damage::*;
pub use durable::*;
pub use handle::*;
pub use info::*;
pub use iter::*;
pub use last_error::{walogs_last_errno, walogs_last_error};
pub use listings::*;
pub use maintenance::*;
pub use options::*;
pub use range::*;
pub use read::*;
pub use records::*;
pub use report::*;
pub use status::*;
pub use streams::*;
pub use streams_options::*;
pub use user_data::*;
pub use version::*;
