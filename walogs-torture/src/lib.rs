//! walogs-torture: crash evidence for walogs from a real kernel.
//!
//! Four harnesses, each printing its figure as one line:
//!
//! * [`sweep`]: an `LD_PRELOAD` shim (`shim/walogs_fail.c`, see [`shim`]) fails the N-th
//!   `write`/`pwrite`/`pwrite64` or `fsync`/`fdatasync` on a WAL file of a real child
//!   process, for every N of a scripted workload (appends, batches, `append_many`,
//!   rotations, checkpoints, truncations, purges, user data, durability callbacks and
//!   waits); with several threads appending to one `SharedWal` ([`group_sweep`]), so that
//!   the failure hits group commits with followers.
//! * [`kill`]: a child runs the same kinds of operations (payloads of 1 B to 1 MiB) and is
//!   killed with `SIGKILL` at random times, again and again on the same directory, under
//!   every durability policy; or several threads of a child append to one `SharedWal`
//!   while one of them runs the log control ([`group_kill`]). (A kill does not test
//!   `fdatasync`: the page cache survives it.)
//! * [`enospc`]: a real, loop-mounted, tiny ext4 file system filled to every free-space level
//!   around a frame, inside a frame, at rotation and at checkpoint.
//! * [`bitrot`]: every bit of a 3-segment log flipped, and every segment truncated at every
//!   offset; each outcome classified.
//!
//! The [`child`] and [`group_child`] modules are the workloads the `walogs-torture` binary
//! runs as a child; the [`protocol`] is how they report; [`ledger`], [`group_ledger`],
//! [`notify`], [`verify`] and [`tagged`] are the oracle after a reopen, [`residue`] the check
//! right after a failed call, [`mod@unit`] the reading of frames and units. Draws come from the
//! test kit's one generator ([`draw`]) and payload bytes from its one oracle ([`payload`]).
//! A core bug can be tolerated only through [`known`], whose entries expire.

pub mod bitrot;
pub mod child;
pub mod draw;
pub mod enospc;
pub mod group_child;
pub mod group_kill;
pub mod group_ledger;
pub mod group_sweep;
pub mod kill;
pub mod known;
pub mod ledger;
pub mod mount;
pub mod notify;
pub mod payload;
pub mod policy;
pub mod protocol;
pub mod residue;
pub mod shim;
pub mod sweep;
pub mod tagged;
pub mod unit;
pub mod util;
pub mod verify;
