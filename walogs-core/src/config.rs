//! Configuration: the 0.1 `WalConfig`, and the additive `WalOptions` builder. (The handles
//! add `WalOptions::open` and `open_shared`; this module knows nothing of them.)

use std::sync::Arc;

use crate::error::WalError;
use crate::types::Durability;
use crate::vfs::{FileSystem, OsFs};

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

/// Default permission bits of the files walogs creates: owner read and write only. A
/// directory walogs creates gets search permission wherever read is granted (`0700`).
pub const DEFAULT_FILE_MODE: u32 = 0o600;

/// Every open-time setting, as a builder. `WalOptions::new()` gives the defaults of
/// [`crate::Wal::open`]: 64 MiB segments, [`Durability::EveryAppend`], writable, no salvage,
/// preallocation on, private files (`0600`, directories `0700`).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use walogs_core::{Durability, WalOptions};
/// # let scratch = tempfile::tempdir()?;
/// # let dir = scratch.path().join("wal");
///
/// let options = WalOptions::new()
///     .max_segment_size(Some(16 << 20))
///     .durability(Durability::Interval(Duration::from_millis(5))) // a flusher thread syncs
///     .file_mode(0o640); // a group of readers
/// let mut wal = options.open(&dir)?; // or .open_shared(&dir) for a SharedWal
/// let lsn = wal.append(b"written; durable within about 5 ms")?;
/// wal.sync()?; // or wait for it
/// assert_eq!(wal.durable_lsn(), lsn);
/// wal.close()?;
///
/// // A reader beside a live writer, or a look at a directory without changing it.
/// let reader = WalOptions::new().read_only(true).open(&dir)?;
/// assert_eq!(reader.read(lsn)?, b"written; durable within about 5 ms");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct WalOptions {
    pub(crate) max_segment_size: Option<u64>,
    pub(crate) durability: Durability,
    pub(crate) read_only: bool,
    pub(crate) salvage: bool,
    pub(crate) preallocate: bool,
    pub(crate) file_mode: u32,
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
            file_mode: DEFAULT_FILE_MODE,
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

    /// Preallocate the active segment in 1 MiB steps (`fallocate` and zeros) so that the
    /// fdatasync of most appends commits no block allocation. The preallocated zero tail is
    /// cut on rotation and clean close, so a closed segment holds exactly its frames.
    /// Default: on. It applies under [`Durability::EveryAppend`] only: under the relaxed
    /// policies few appends are followed by an fdatasync, and a small write into zero-filled
    /// blocks costs the kernel about twice one that extends the file, so their appends
    /// extend the file (and start its writeback every 4 MiB, so that the fdatasync of a full
    /// segment at rotation finds most of it written).
    pub fn preallocate(mut self, yes: bool) -> Self {
        self.preallocate = yes;
        self
    }

    /// Permission bits of the files walogs creates (segments, `walogs.meta`, `walogs.user`,
    /// `walogs.lock`), applied exactly (the process umask does not narrow or widen them); a
    /// directory walogs creates gets search permission wherever read is granted (`0640` →
    /// directory `0750`), and keeps the set-group-ID bit a set-group-ID parent gives it (so
    /// its files get the parent's group). Default `0o600`. Must grant the owner read and
    /// write, and nothing beyond `0o777`. Existing files keep their permissions.
    pub fn file_mode(mut self, mode: u32) -> Self {
        self.file_mode = mode;
        self
    }

    /// Route all I/O through another [`FileSystem`] (a simulator or a fault injector).
    pub fn file_system(mut self, fs: Arc<dyn FileSystem>) -> Self {
        self.fs = fs;
        self
    }

    /// Refuse settings no WAL can run with ([`WalError::InvalidArgument`]): a zero sync
    /// interval, a file mode without owner read and write or with bits beyond `0o777`.
    pub fn validate(&self) -> Result<(), WalError> {
        if let Durability::Interval(d) = self.durability
            && d.is_zero()
        {
            return Err(WalError::invalid(
                "the sync interval must be greater than zero (use Durability::EveryAppend to sync every append)",
            ));
        }
        if self.file_mode & 0o600 != 0o600 || self.file_mode & !0o777 != 0 {
            return Err(WalError::invalid(format!(
                "file mode {:#o} must grant the owner read and write (0o600) and hold no bits beyond 0o777",
                self.file_mode
            )));
        }
        Ok(())
    }
}
