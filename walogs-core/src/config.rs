//! Configuration: the 0.1 `WalConfig`, and the additive `WalOptions` builder.

use std::path::Path;
use std::sync::Arc;

use crate::error::WalError;
use crate::shared::SharedWal;
use crate::types::Durability;
use crate::vfs::{FileSystem, OsFs};
use crate::wal::Wal;

/// Default maximum segment size: 64 MiB.
pub const DEFAULT_MAX_SEGMENT_SIZE: u64 = 64 * 1024 * 1024;

/// Configuration of walogs 0.1, kept exactly (one public field). New settings live in
/// [`WalOptions`].
#[derive(Debug, Clone)]
pub struct WalConfig {
    /// Size in bytes past which an append first rotates to a new segment.
    /// `None` never rotates automatically. Default: `Some(64 MiB)`.
    pub max_segment_size: Option<u64>,
}

impl Default for WalConfig {
    fn default() -> Self {
        WalConfig {
            max_segment_size: Some(DEFAULT_MAX_SEGMENT_SIZE),
        }
    }
}

/// Every open-time setting, as a builder. `WalOptions::new()` gives the defaults of
/// [`Wal::open`]: 64 MiB segments, [`Durability::EveryAppend`], writable, no salvage,
/// preallocation on.
#[derive(Debug, Clone)]
pub struct WalOptions {
    pub(crate) max_segment_size: Option<u64>,
    pub(crate) durability: Durability,
    pub(crate) read_only: bool,
    pub(crate) salvage: bool,
    pub(crate) preallocate: bool,
    pub(crate) fs: Arc<dyn FileSystem>,
}

impl Default for WalOptions {
    fn default() -> Self {
        WalOptions {
            max_segment_size: Some(DEFAULT_MAX_SEGMENT_SIZE),
            durability: Durability::EveryAppend,
            read_only: false,
            salvage: false,
            preallocate: true,
            fs: Arc::new(OsFs),
        }
    }
}

impl From<WalConfig> for WalOptions {
    fn from(c: WalConfig) -> Self {
        WalOptions::new().max_segment_size(c.max_segment_size)
    }
}

impl WalOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rotate before an append that would grow the active segment past `size` bytes
    /// (`None`: never rotate automatically). A single frame larger than `size` still goes
    /// into a segment of its own.
    pub fn max_segment_size(mut self, size: Option<u64>) -> Self {
        self.max_segment_size = size;
        self
    }

    /// When appends are fdatasync'd; see [`Durability`] for what each policy loses in a
    /// power loss.
    pub fn durability(mut self, d: Durability) -> Self {
        self.durability = d;
        self
    }

    /// Open without the write lock and without changing anything on disk: no migration, no
    /// truncation, no directory creation. The recovery report says what a writable open
    /// would do. Every mutating call returns [`WalError::ReadOnly`].
    pub fn read_only(mut self, yes: bool) -> Self {
        self.read_only = yes;
        self
    }

    /// When the last segment has mid-log damage (a bad frame followed by valid frames),
    /// truncate at the damage instead of refusing with [`WalError::Corrupt`]. The valid
    /// frames after the damage are lost; `recovery_report().salvaged` says what was cut.
    pub fn salvage(mut self, yes: bool) -> Self {
        self.salvage = yes;
        self
    }

    /// Preallocate the active segment in 1 MiB steps (`fallocate`) so most appends write
    /// into allocated space. The preallocated zero tail is cut on rotation and clean close,
    /// so a closed segment holds exactly its frames. Default: on.
    pub fn preallocate(mut self, yes: bool) -> Self {
        self.preallocate = yes;
        self
    }

    /// Route all I/O through another [`FileSystem`] (a simulator or a fault injector).
    pub fn file_system(mut self, fs: Arc<dyn FileSystem>) -> Self {
        self.fs = fs;
        self
    }

    /// Open a single-owner [`Wal`] (the 0.1 handle, `&mut self` appends).
    pub fn open(&self, dir: impl AsRef<Path>) -> Result<Wal, WalError> {
        Wal::open_with_options(dir.as_ref(), self.clone())
    }

    /// Open a thread-safe [`SharedWal`] whose concurrent appends share fdatasyncs.
    pub fn open_shared(&self, dir: impl AsRef<Path>) -> Result<SharedWal, WalError> {
        SharedWal::open_with_options(dir.as_ref(), self.clone())
    }
}
