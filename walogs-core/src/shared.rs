//! [`SharedWal`]: the thread-safe handle. Its methods are those of every handle (see
//! `handle.rs`), all taking `&self`; concurrent appends share fdatasyncs (group commit, see
//! `group_commit.rs`).

use std::path::Path;

use crate::config::WalOptions;
use crate::engine::Engine;
use crate::error::WalError;
use crate::handle::{handle_methods, impl_wal_handle};
use crate::types::{Durability, Lsn, LsnRange, RecoveryReport, TailState};

/// A write-ahead log shared by many threads (`Send + Sync`), with group commit.
///
/// It owns the directory exclusively (the same lock as [`crate::Wal`]) and behaves exactly
/// like it; every method takes `&self`. Appends from many threads proceed concurrently and
/// share fdatasyncs. `close` is idempotent; afterwards every call returns
/// [`WalError::Closed`].
#[derive(Debug)]
pub struct SharedWal {
    engine: Engine,
}

impl SharedWal {
    /// Open or create the WAL in `dir` with default settings (see [`crate::Wal::open`]).
    pub fn open(dir: &Path) -> Result<SharedWal, WalError> {
        Self::open_with_options(dir, WalOptions::new())
    }

    /// Open with every setting of [`WalOptions`] (same as [`WalOptions::open_shared`]).
    pub fn open_with_options(dir: &Path, options: WalOptions) -> Result<SharedWal, WalError> {
        Ok(SharedWal {
            engine: Engine::open(dir, options)?,
        })
    }

    handle_methods!();

    /// Write what is queued, cut the preallocated tail, fdatasync and release the lock.
    /// Idempotent; afterwards every call returns [`WalError::Closed`] (iterators too, at
    /// their next call). In a forked child: [`WalError::Forked`], and nothing is written.
    pub fn close(&self) -> Result<(), WalError> {
        self.engine.close()
    }
}

impl_wal_handle!(SharedWal);

impl WalOptions {
    /// Open a thread-safe [`SharedWal`] whose concurrent appends share fdatasyncs.
    pub fn open_shared(&self, dir: impl AsRef<Path>) -> Result<SharedWal, WalError> {
        SharedWal::open_with_options(dir.as_ref(), self.clone())
    }
}

#[allow(dead_code)]
fn assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<SharedWal>();
}
