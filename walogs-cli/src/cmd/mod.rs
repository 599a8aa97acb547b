//! The subcommands, one module each. Every `run` returns the process exit code, or an
//! error that `main` prints and maps to one.

pub mod append;
pub mod bench;
pub mod cleanup;
pub mod dump;
pub mod help;
pub mod info;
pub mod info_streams;
pub mod log_change;
pub mod purge;
pub mod repair;
pub mod stream_append;
pub mod stream_tail;
pub mod truncate;
pub mod user_data;
pub mod verify;
