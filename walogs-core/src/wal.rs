//! [`Wal`]: the single-owner handle, source-compatible with walogs 0.1. Its methods are
//! those of every handle (see `handle.rs`); mutations take `&mut self`, which makes the
//! single writer a compile-time fact.

use std::path::Path;

use crate::config::{WalConfig, WalOptions};
use crate::engine::Engine;
use crate::error::WalError;
use crate::handle::{handle_methods, impl_wal_handle};
use crate::types::{Durability, Lsn, LsnRange, RecoveryReport, TailState};

/// A write-ahead log in one directory, owned by one handle.
///
/// Opening takes an exclusive lock on the directory (released on drop or `close`). For many
/// threads, use [`crate::SharedWal`]: same operations, same behaviour, `&self` everywhere.
#[derive(Debug)]
pub struct Wal {
    engine: Engine,
}

impl Wal {
    /// Open or create the WAL in `dir` with default settings.
    ///
    /// Resolves `dir` once (a relative path is taken against the working directory *now*;
    /// later operations act on that directory whatever the working directory becomes).
    /// Creates it (and missing parents, mode `0700`, each followed by an fsync of its
    /// parent), takes the write lock, migrates a v1 `wal.log`, verifies every frame of every
    /// segment, truncates a torn tail (and syncs), and fdatasyncs the active segment. Fails
    /// with [`WalError::Locked`] if another handle holds the directory, [`WalError::Corrupt`]
    /// for damage that is not a torn final write, [`WalError::UnsafeFile`] for a link or
    /// special file under a walogs name, [`WalError::Io`] for OS errors.
    ///
    /// # Examples
    ///
    /// ```
    /// use walogs_core::{Lsn, TailState, Wal, WalError};
    /// # let scratch = tempfile::tempdir()?;
    /// # let dir = scratch.path().join("wal");
    ///
    /// let mut wal = Wal::open(&dir)?; // creates the directory (mode 0700)
    /// wal.append(b"a")?;
    /// assert!(matches!(Wal::open(&dir), Err(WalError::Locked { .. }))); // one writer
    /// wal.close()?;
    ///
    /// let wal = Wal::open(&dir)?; // recovery: every frame verified, a torn tail cut
    /// assert_eq!(wal.tail_state(), TailState::Clean);
    /// assert_eq!(wal.next_lsn(), Lsn(2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(dir: &Path) -> Result<Wal, WalError> {
        Self::open_with_options(dir, WalOptions::new())
    }

    /// Open with a 0.1 [`WalConfig`]; everything else at its default.
    pub fn open_with_config(dir: &Path, config: WalConfig) -> Result<Wal, WalError> {
        Self::open_with_options(dir, WalOptions::from(config))
    }

    /// Open with every setting of [`WalOptions`] (same as [`WalOptions::open`]).
    pub fn open_with_options(dir: &Path, options: WalOptions) -> Result<Wal, WalError> {
        Ok(Wal {
            engine: Engine::open(dir, options)?,
        })
    }

    handle_methods!(Wal, mut);

    /// Close: write out, cut the preallocated tail, fdatasync, release the lock, reporting
    /// any error (dropping the handle does the same but cannot report). In a forked child:
    /// [`WalError::Forked`], and nothing is written.
    pub fn close(self) -> Result<(), WalError> {
        self.engine.close()
    }
}

impl_wal_handle!(Wal);

impl WalOptions {
    /// Open a single-owner [`Wal`] (the 0.1 handle, `&mut self` appends).
    pub fn open(&self, dir: impl AsRef<Path>) -> Result<Wal, WalError> {
        Wal::open_with_options(dir.as_ref(), self.clone())
    }
}
