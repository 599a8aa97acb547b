//! walogs-torture: crash evidence for walogs from a real kernel.
//!
//! Four harnesses, each printing its figure as one line:
//!
//! * [`sweep`]: an `LD_PRELOAD` shim (`shim/walogs_fail.c`, see [`shim`]) fails the N-th
//!   `write`/`pwrite`/`pwrite64` or `fsync`/`fdatasync` on a WAL file of a real child
//!   process, for every N of a scripted workload.
//! * [`kill`]: a child appends payloads of 1 B to 1 MiB and is killed with `SIGKILL` at random
//!   times, again and again on the same directory. (A kill does not test `fdatasync`: the
//!   page cache survives it.)
//! * [`enospc`]: a real, loop-mounted, tiny ext4 file system filled to every free-space level
//!   around a frame, inside a frame, at rotation and at checkpoint.
//! * [`bitrot`]: every bit of a 3-segment log flipped, and every segment truncated at every
//!   offset; each outcome classified.
//!
//! The [`child`] module is the workload the `walogs-torture` binary runs as a child; the
//! [`protocol`] is how it reports; [`ledger`] and [`verify`] are the oracle.

pub mod bitrot;
pub mod child;
pub mod enospc;
pub mod handle;
pub mod kill;
pub mod ledger;
pub mod mount;
pub mod payload;
pub mod protocol;
pub mod rng;
pub mod shim;
pub mod sweep;
pub mod util;
pub mod verify;
