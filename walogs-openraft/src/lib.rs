//! walogs-openraft: an [openraft] 0.9 log store on a walogs write-ahead log.
//!
//! [`WalogsLogStore`] implements `RaftLogStorage` and `RaftLogReader` (openraft's `storage-v2`
//! API) for any `RaftTypeConfig` whose entry type is openraft's `Entry<C>`, storing the log in
//! one walogs directory through a [`walogs_core::SharedWal`]:
//!
//! ```no_run
//! use walogs_openraft::WalogsLogStore;
//! # use std::io::Cursor;
//! # openraft::declare_raft_types!(pub MyConfig: D = Vec<u8>, R = ());
//! # fn demo() -> Result<(), walogs_openraft::StoreError> {
//! let log_store = WalogsLogStore::<MyConfig>::open("/var/lib/my-node/raft-log")?;
//! // openraft::Raft::new(node_id, config, network, log_store, state_machine).await
//! # drop(log_store); Ok(()) }
//! ```
//!
//! What it guarantees:
//!
//! * **Durability.** openraft's `LogFlushed` callback for an append runs only after an
//!   fdatasync covering its entries; a vote, committed log id or purge returns only once
//!   durable. After a crash every entry whose callback reported `Ok` comes back byte for byte.
//! * **Index ↔ LSN, no side files.** Raft index `i` is walogs LSN `i + 1` (walogs reserves LSN
//!   0, openraft writes index 0). Truncation and purge are walogs' `truncate_after` and
//!   `purge_up_to` at the mapped LSN; a purge past the end restarts the log after it.
//! * **Vote ordering.** The state (vote, committed, last purged log id) is the walogs user data
//!   ([`state_codec`]), and walogs makes every entry appended before a user data write durable
//!   first: a vote is never durable ahead of the log it covers.
//! * **No holes.** An append that overlaps or goes back without a truncate is refused
//!   ([`StoreError::Overlap`]); a forward jump fills the skipped indexes with gap records in
//!   the same write ([`codec`]), which read as absent, so index = LSN − 1 holds across
//!   restarts. A directory written by another application is refused at open
//!   ([`StoreError::ForeignLog`], [`StoreError::ForeignState`]).
//!
//! What it costs: an append is one walogs write and no fdatasync on the caller's path; the
//! flush worker's fdatasync is shared by every append made while the previous one ran. Each
//! vote, committed or purge change is a user data write (one fdatasync of `walogs.user`, plus
//! one of the log when entries are pending). A read decodes each entry (bincode of the
//! payload).
//!
//! Not supported: openraft's `single-term-leader` feature (the codec stores the leader's node
//! id with the term).
//!
//! Module map: [`codec`] (entry records), [`state_codec`] (the user data), `store` (the
//! `RaftLogStorage`), `reader` (reads by index), `flusher` (the fdatasync worker), `error`.
//!
//! [openraft]: https://docs.rs/openraft/0.9

mod error;
mod flusher;
mod reader;
mod store;

pub mod codec;
pub mod state_codec;

pub use error::StoreError;
pub use reader::WalogsLogReader;
pub use state_codec::StoredState;
pub use store::{MAX_GAP, WalogsLogStore};
