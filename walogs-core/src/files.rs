//! Open segment files for reading, shared by every reader of a handle: a point read or an
//! iterator takes a handle from here instead of opening the file (an `open` costs more than
//! the `pread` of a small entry). At most [`OPEN_FILES`] stay open (least recently used go
//! first). The writer forgets a file as soon as it deletes it, so a name always refers to the
//! file now in the directory; readers that still hold the old handle finish on it.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use crate::error::WalError;
use crate::vfs::{Dir, FsFile, OpenMode};

/// Segment files kept open for reading at most.
pub(crate) const OPEN_FILES: usize = 64;

type Shared = Arc<dyn FsFile>;

#[derive(Debug)]
pub(crate) struct ReadFiles {
    dir: Arc<dyn Dir>,
    /// Most recently used last.
    open: Mutex<VecDeque<(String, Shared)>>,
}

impl ReadFiles {
    pub fn new(dir: Arc<dyn Dir>) -> ReadFiles {
        ReadFiles {
            dir,
            open: Mutex::new(VecDeque::new()),
        }
    }

    /// A read handle of segment `name`, opened (and kept) if it is not open yet.
    pub fn get(&self, name: &str) -> Result<Shared, WalError> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = open.iter().position(|(n, _)| n == name) {
            let entry = open.remove(i).expect("found above");
            let f = entry.1.clone();
            open.push_back(entry);
            return Ok(f);
        }
        let f: Shared = Arc::from(self.dir.open(name, OpenMode::Read).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                WalError::Io(std::io::Error::new(
                    e.kind(),
                    format!(
                        "cannot open {} (removed by a checkpoint, purge or truncate since the reader started?): {e}",
                        self.dir.path().join(name).display()
                    ),
                ))
            } else {
                WalError::from(e)
            }
        })?);
        open.push_back((name.to_string(), f.clone()));
        if open.len() > OPEN_FILES {
            open.pop_front();
        }
        Ok(f)
    }

    /// Forget `name` (the writer deleted it, or is about to).
    pub fn forget(&self, name: &str) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.retain(|(n, _)| n != name);
    }
}
