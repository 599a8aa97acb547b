//! walogs-core: a crash-safe write-ahead log.
//!
//! Hand it bytes; every append that returns `Ok` is on disk (fdatasync'd); after a crash or a
//! power loss every acknowledged entry comes back byte for byte, with dense LSNs 1, 2, 3, ...
//!
//! This crate is source-compatible with the published `walogs` 0.1 crate (depend on it under
//! the name `walogs` and nothing else changes) and reads and writes its on-disk format. It
//! closes 0.1's data-loss holes: mid-log damage is refused rather than truncated, LSNs are
//! never reused after a full checkpoint, a failed fsync poisons the handle, a directory has
//! one writer (an exclusive lock), and a failed append leaves nothing behind.
//!
//! ```
//! use walogs_core::{Lsn, TailState, Wal};
//! # let scratch = tempfile::tempdir()?;
//! # let dir = scratch.path().join("my-wal");
//!
//! let mut wal = Wal::open(&dir)?; // e.g. Path::new("/var/lib/app/wal")
//! let lsn = wal.append(b"first entry")?; // durable when Ok
//! for entry in wal.iter() {
//!     let (lsn, data) = entry?;
//!     println!("{lsn}: {data:?}");
//! }
//! wal.rotate()?;
//! wal.checkpoint(lsn)?; // deletes completed segments whose entries are all <= lsn
//! if let TailState::TruncatedAt(off) = wal.tail_state() {
//!     println!("the last open cut a torn write at byte {off}");
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Beyond 0.1: [`WalOptions`] (durability policy, read-only, salvage, preallocation, file
//! mode), atomic batches ([`Wal::append_batch`]), a thread-safe group-commit handle
//! ([`SharedWal`]; both handles implement [`WalHandle`]), reads by LSN ([`Wal::iter_from`],
//! [`Wal::read`], [`Wal::read_range`], [`WalCursor`]), and log control: truncation at any LSN
//! ([`Wal::truncate_after`]), purge to any LSN ([`Wal::purge_up_to`]), durable user data
//! ([`Wal::set_user_data`]) and durability notifications ([`Wal::wait_durable`],
//! [`Wal::on_durable`]).
//!
//! Module map: [`frame`] (codec), [`segment`] (file names), [`vfs`] (the I/O seam),
//! `directory` (the WAL directory held open), `lock` (single writer), `meta` (the metadata
//! file), `user_data`, `recovery` (open-time checks: plan, then apply), `scan` (frame
//! reader), `index` and `segments` (what readers share), `engine` (the one implementation
//! behind both handles), `writer` (appends), `group_commit`, `maintenance` (rotate,
//! checkpoint, truncate, purge), `watch` (durability waits, callbacks, the flusher),
//! `reader` (iterators), `fork` (the fork guard), `handle` ([`WalHandle`]), `wal` and
//! `shared` (the two handles).

#![deny(unsafe_code)]

mod config;
mod directory;
mod engine;
mod error;
mod files;
mod fork;
pub mod frame;
mod group_commit;
mod handle;
mod index;
mod lock;
mod maintenance;
mod meta;
mod reader;
mod recovery;
mod scan;
pub mod segment;
mod segments;
mod shared;
mod types;
mod user_data;
pub mod vfs;
mod wal;
mod watch;
mod writer;

pub use config::{DEFAULT_FILE_MODE, DEFAULT_MAX_SEGMENT_SIZE, WalConfig, WalOptions};
pub use error::{Damage, DamageKind, WalError};
pub use fork::ProcessOwner;
pub use frame::{MAX_BATCH_SIZE, MAX_ENTRY_SIZE};
pub use handle::WalHandle;
pub use lock::{LOCK_FILENAME, lock_holder};
pub use meta::{META_FILENAME, read_purge_floor};
pub use reader::{WalCursor, WalIter};
pub use shared::{QueuedAppend, SharedWal};
pub use types::{Durability, Lsn, LsnRange, RecoveryReport, SalvageReport, TailState};
pub use user_data::{MAX_USER_DATA, USER_DATA_FILENAME};
pub use wal::Wal;
pub use watch::DurableCallback;
