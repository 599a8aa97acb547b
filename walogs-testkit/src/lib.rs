//! The test kit shared by every walogs test suite (the core's integration tests, the
//! simulator, the crash harnesses, the CLI and the C boundary): one forwarding file system
//! with hooks ([`HookFs`]), one seeded generator ([`Rng`]), one payload oracle
//! ([`payload`]), one self-expiring registry of tolerated core bugs ([`known`]), one way to
//! drive either handle chosen at run time ([`handle`]), the permission bits of a directory's
//! files ([`modes`]). Not published; nothing here is used
//! by the library itself.

pub mod handle;
pub mod hookfs;
pub mod known;
pub mod modes;
pub mod payload;
pub mod rng;

pub use hookfs::{Action, FailFrom, FailNth, HookFs, Op};
pub use rng::Rng;
