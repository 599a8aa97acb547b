//! Golden vectors of the walogs on-disk format.
//!
//! `tests/golden/<name>/` holds a reference WAL directory (`wal/`) and what reading it must
//! give (`expected.json`, and the same facts as `expected.txt` for readers without a JSON
//! parser). Every surface (Rust core, walogs-streams, C, Python, Go, the CLI) iterates that
//! directory and checks every vector it finds, on a copy. `tests/golden/README.md` documents
//! the fields.
//!
//! This crate is the one writer of those vectors ([`generate`], run by the `walogs-golden`
//! binary; `tests/regenerate.rs` checks that writing them again gives byte-identical files),
//! and the reader the Rust tests share ([`vectors()`], [`Vector::copy`]).
//!
//! Module map: `model` (the JSON model), `text` (the line format), `frames` (frame sizes,
//! and the batch frame walogs no longer writes), `vectors` (the recipes).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub mod frames;
pub mod model;
pub mod text;
pub mod vectors;

pub use model::{Expected, hex, unhex};
pub use vectors::{RECIPES, Recipe};

/// Name of the expected result (JSON) in a vector's directory.
pub const EXPECTED_JSON: &str = "expected.json";
/// Name of the expected result (line format) in a vector's directory.
pub const EXPECTED_TXT: &str = "expected.txt";
/// Name of the WAL directory inside a vector's directory.
pub const WAL_DIR: &str = "wal";

/// What can go wrong writing or reading golden vectors.
#[derive(Debug, thiserror::Error)]
pub enum GoldenError {
    /// A file could not be read or written.
    #[error("io error: {0}")]
    Io(#[from] io::Error),
    /// The core refused a call of a recipe.
    #[error("walogs: {0}")]
    Wal(#[from] walogs_core::WalError),
    /// walogs-streams refused a call of a recipe.
    #[error("walogs-streams: {0}")]
    Streams(#[from] walogs_streams::StreamsError),
    /// An `expected.json` that does not parse (or could not be written).
    #[error("{path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        source: serde_json::Error,
    },
    /// A recipe found the log not as it planned.
    #[error("recipe: {0}")]
    Recipe(String),
}

/// The repository's `tests/golden` directory.
pub fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/golden")
}

/// Write every recipe into `out/<name>/` (`wal/`, `expected.json`, `expected.txt`),
/// replacing what a directory of that name held. Costs a few hundred small writes and
/// fdatasyncs.
pub fn generate(out: &Path) -> Result<(), GoldenError> {
    fs::create_dir_all(out)?;
    for recipe in RECIPES {
        write_vector(out, recipe)?;
    }
    Ok(())
}

/// Write one recipe into `out/<name>/`.
pub fn write_vector(out: &Path, recipe: &Recipe) -> Result<(), GoldenError> {
    let dir = out.join(recipe.name);
    if dir.exists() {
        fs::remove_dir_all(&dir)?;
    }
    fs::create_dir(&dir)?;
    let wal = dir.join(WAL_DIR);
    let expected = (recipe.write)(&wal)?;
    // The lock file holds the PID of the last writer: not part of the format.
    match fs::remove_file(wal.join(walogs_core::LOCK_FILENAME)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e.into()),
        _ => {}
    }
    let path = dir.join(EXPECTED_JSON);
    let mut json = serde_json::to_string_pretty(&expected).map_err(|source| GoldenError::Json {
        path: path.clone(),
        source,
    })?;
    json.push('\n');
    fs::write(&path, json)?;
    fs::write(dir.join(EXPECTED_TXT), text::render(&expected))?;
    Ok(())
}

/// One committed vector.
#[derive(Debug, Clone)]
pub struct Vector {
    /// Its directory name.
    pub name: String,
    /// Its directory.
    pub dir: PathBuf,
    /// Its parsed `expected.json`.
    pub expected: Expected,
}

impl Vector {
    /// A copy of its `wal/` directory in a fresh temporary directory (removed on drop), so
    /// that opens never touch the committed files. Returns the temporary directory and the
    /// copy's path.
    pub fn copy(&self) -> Result<(tempfile::TempDir, PathBuf), GoldenError> {
        let tmp = tempfile::tempdir()?;
        let dst = tmp.path().join(WAL_DIR);
        fs::create_dir(&dst)?;
        for entry in fs::read_dir(self.dir.join(WAL_DIR))? {
            let entry = entry?;
            fs::copy(entry.path(), dst.join(entry.file_name()))?;
        }
        Ok((tmp, dst))
    }
}

/// Every vector under `root` (a directory holding `expected.json`), sorted by name.
pub fn vectors_in(root: &Path) -> Result<Vec<Vector>, GoldenError> {
    let mut out = Vec::new();
    for entry in fs::read_dir(root)? {
        let dir = entry?.path();
        let path = dir.join(EXPECTED_JSON);
        if !path.is_file() {
            continue;
        }
        let text = fs::read_to_string(&path)?;
        let expected = serde_json::from_str(&text).map_err(|source| GoldenError::Json {
            path: path.clone(),
            source,
        })?;
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push(Vector {
            name,
            dir,
            expected,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Every committed vector (under [`golden_dir`]), sorted by name.
pub fn vectors() -> Result<Vec<Vector>, GoldenError> {
    vectors_in(&golden_dir())
}
