//! The subcommands, one module each. Every `run` returns the process exit code, or an
//! error that `main` prints and maps to one.

pub mod append;
pub mod bench;
pub mod dump;
pub mod help;
pub mod info;
pub mod log_change;
pub mod purge;
pub mod repair;
pub mod truncate;
pub mod user_data;
pub mod verify;
