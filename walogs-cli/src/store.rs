//! Opening a walogs-streams store for a command. Commands that only read or clean a store
//! first check that the directory holds a walogs log at all ([`wal_dir::open`]: exit 5 when
//! it holds none, 1 when it is missing), so that a mistyped path never becomes a new store.

use std::path::Path;

use walogs_streams::{Streams, StreamsOptions};

use crate::error::CliError;
use crate::wal_dir;

/// Open the store in `dir` read-only: no lock taken, nothing written, read access to the
/// files is enough, and a writer may be appending in another process (see
/// [`Streams::refresh`]). Costs a listing of the directory and one read of the whole log (the
/// store's recovery scan).
pub fn open_read_only(dir: &Path) -> Result<Streams, CliError> {
    wal_dir::open(dir)?;
    Ok(StreamsOptions::new().read_only(true).open(dir)?)
}

/// Open the existing store in `dir` for writing with `options` (takes the directory's write
/// lock: exit 4 when another writer holds it). A directory without a walogs log is refused
/// before anything is created. Costs what [`open_read_only`] costs plus the store's open.
pub fn open_existing(dir: &Path, options: &StreamsOptions) -> Result<Streams, CliError> {
    wal_dir::open(dir)?;
    Ok(options.open(dir)?)
}

/// Close `store`, then return `result`: the command's own error wins over a failure to
/// close, which is reported only when the command succeeded.
pub fn close_after<T>(store: Streams, result: Result<T, CliError>) -> Result<T, CliError> {
    let closed = store.close();
    let value = result?;
    closed?;
    Ok(value)
}

/// `name` made safe to print on one line: control characters escaped (`\n`, `\t`,
/// `\u{1b}`), everything else as it is.
pub fn printable(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_names_stay_on_one_line() {
        assert_eq!(printable("orders"), "orders");
        assert_eq!(printable("a\nb\tc"), "a\\nb\\tc");
        assert_eq!(printable("ünï/.."), "ünï/..");
    }
}
