//! The one error type of the benchmark program.

use std::io;

/// Everything that can stop a benchmark run. Every variant says which step failed.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A command-line argument was missing, unknown or malformed.
    #[error("bad arguments: {0} (try --help)")]
    Args(String),
    /// A raw file operation of a baseline or of the harness failed.
    #[error("{what}: {source}")]
    Io {
        /// The step that failed.
        what: String,
        /// The OS error.
        source: io::Error,
    },
    /// walogs-core returned an error.
    #[error("walogs-core, {what}: {source}")]
    Core {
        /// The step that failed.
        what: String,
        /// The error walogs-core returned.
        source: walogs_core::WalError,
    },
    /// An error of walogs-streams, with what was being done.
    #[error("walogs-streams, {what}: {source}")]
    Streams {
        /// What was being done.
        what: String,
        /// The error.
        source: walogs_streams::StreamsError,
    },
    /// The published walogs 0.1 crate returned an error.
    #[error("walogs 0.1, {what}: {source}")]
    V01 {
        /// The step that failed.
        what: String,
        /// The error walogs 0.1 returned.
        source: walogs01::WalError,
    },
    /// A peer library (nano-wal, walrus-rust, raft-engine) returned an error.
    #[error("{peer}, {what}: {message}")]
    Peer {
        /// The peer.
        peer: &'static str,
        /// The step that failed.
        what: String,
        /// The error the peer returned, as it displays itself.
        message: String,
    },
    /// A child process (the memory measurement) failed or printed something unexpected.
    #[error("child process: {0}")]
    Child(String),
    /// A measurement produced data that cannot be right (e.g. an entry read back wrong).
    #[error("check failed: {0}")]
    Check(String),
}

/// Shorthand used throughout the crate.
pub type Result<T> = std::result::Result<T, BenchError>;

/// Attach a description of the failing step to an error.
pub trait Context<T> {
    /// Turn the error into a [`BenchError`] naming `what`.
    fn ctx(self, what: impl Into<String>) -> Result<T>;
}

impl<T> Context<T> for io::Result<T> {
    fn ctx(self, what: impl Into<String>) -> Result<T> {
        self.map_err(|source| BenchError::Io {
            what: what.into(),
            source,
        })
    }
}

impl<T> Context<T> for std::result::Result<T, rustix::io::Errno> {
    fn ctx(self, what: impl Into<String>) -> Result<T> {
        self.map_err(|e| BenchError::Io {
            what: what.into(),
            source: e.into(),
        })
    }
}

impl<T> Context<T> for std::result::Result<T, walogs_core::WalError> {
    fn ctx(self, what: impl Into<String>) -> Result<T> {
        self.map_err(|source| BenchError::Core {
            what: what.into(),
            source,
        })
    }
}

impl<T> Context<T> for std::result::Result<T, walogs_streams::StreamsError> {
    fn ctx(self, what: impl Into<String>) -> Result<T> {
        self.map_err(|source| BenchError::Streams {
            what: what.into(),
            source,
        })
    }
}

impl<T> Context<T> for std::result::Result<T, walogs01::WalError> {
    fn ctx(self, what: impl Into<String>) -> Result<T> {
        self.map_err(|source| BenchError::V01 {
            what: what.into(),
            source,
        })
    }
}

/// Attach the peer's name and the failing step to an error of a peer library.
pub trait PeerContext<T> {
    /// Turn the error into a [`BenchError::Peer`].
    fn peer_ctx(self, peer: &'static str, what: impl Into<String>) -> Result<T>;
}

impl<T, E: std::fmt::Display> PeerContext<T> for std::result::Result<T, E> {
    fn peer_ctx(self, peer: &'static str, what: impl Into<String>) -> Result<T> {
        self.map_err(|e| BenchError::Peer {
            peer,
            what: what.into(),
            message: e.to_string(),
        })
    }
}
