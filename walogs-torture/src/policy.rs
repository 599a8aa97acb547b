//! The durability policies a child runs under, named on its command line.
//!
//! Every policy promises the same thing across a process crash (`SIGKILL`): each append hands
//! its frame to the kernel with a `write` before it returns, so nothing acknowledged is lost,
//! no payload is wrong, no LSN is reused, and a reopen continues a prefix-consistent log. Only
//! [`Policy::EveryAppend`] also promises durability across a power loss, which a kill cannot
//! test (the page cache survives it).

use std::fmt;
use std::time::Duration;

use walogs_core::Durability;

/// How often an [`Policy::Interval`] child syncs: short, so that kills land both between and
/// inside interval syncs.
pub const INTERVAL: Duration = Duration::from_millis(2);

/// One of walogs' durability policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Policy {
    /// `Durability::EveryAppend` (the default): every append is fdatasync'd before `Ok`.
    EveryAppend,
    /// `Durability::Interval(INTERVAL)`.
    Interval,
    /// `Durability::Manual`: no sync until `sync()`, rotation or close.
    Manual,
    /// `Durability::None`: only rotation and close sync.
    None,
}

impl Policy {
    /// Every policy, the default first.
    pub const ALL: [Policy; 4] = [
        Policy::EveryAppend,
        Policy::Interval,
        Policy::Manual,
        Policy::None,
    ];

    /// The core's setting.
    pub fn durability(self) -> Durability {
        match self {
            Policy::EveryAppend => Durability::EveryAppend,
            Policy::Interval => Durability::Interval(INTERVAL),
            Policy::Manual => Durability::Manual,
            Policy::None => Durability::None,
        }
    }

    /// The name used on command lines and in figures.
    pub fn name(self) -> &'static str {
        match self {
            Policy::EveryAppend => "every-append",
            Policy::Interval => "interval",
            Policy::Manual => "manual",
            Policy::None => "none",
        }
    }

    /// The policy named `s` (see [`Policy::name`]).
    pub fn parse(s: &str) -> Option<Policy> {
        Policy::ALL.into_iter().find(|p| p.name() == s)
    }

    /// Whether appends may return before their fdatasync (every policy but the default).
    pub fn is_relaxed(self) -> bool {
        self != Policy::EveryAppend
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_roundtrip() {
        for p in Policy::ALL {
            assert_eq!(Policy::parse(p.name()), Some(p));
            assert_eq!(p.is_relaxed(), p.durability() != Durability::EveryAppend);
        }
        assert_eq!(Policy::parse("sometimes"), None);
    }
}
