//! A tiny ext4 file system on a loop device, created, mounted, and always unmounted and
//! removed again (on drop, also when a test panics).

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A mounted ext4 image. Dropping it unmounts (lazily as a last resort) and deletes the
/// image and the mount point. Everything opened inside must be closed first.
#[derive(Debug)]
pub struct LoopMount {
    base: PathBuf,
    mnt: PathBuf,
    mounted: bool,
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let o = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if o.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?} failed ({}): {}",
            o.status,
            String::from_utf8_lossy(&o.stderr).trim()
        ))
    }
}

impl LoopMount {
    /// Make `base/img` (`size` bytes, ext4 with `block`-byte blocks, no reserved blocks),
    /// mount it on `base/mnt`. `Err` says why it cannot be done here (not root, no
    /// `mkfs.ext4`, no loop devices); callers skip with that message.
    pub fn create(base: &Path, size: u64, block: u32) -> Result<LoopMount, String> {
        let _ = std::fs::remove_dir_all(base);
        std::fs::create_dir_all(base.join("mnt")).map_err(|e| e.to_string())?;
        // From here on, drop cleans up whatever was made.
        let mut m = LoopMount {
            base: base.to_path_buf(),
            mnt: base.join("mnt"),
            mounted: false,
        };
        let img = base.join("img");
        let f = std::fs::File::create(&img).map_err(|e| e.to_string())?;
        f.set_len(size).map_err(|e| e.to_string())?;
        drop(f);
        run(Command::new("mkfs.ext4")
            .args(["-q", "-F", "-m", "0", "-b", &block.to_string()])
            .arg(&img))?;
        run(Command::new("mount")
            .args(["-o", "loop"])
            .arg(&img)
            .arg(&m.mnt))?;
        m.mounted = true;
        Ok(m)
    }

    /// The mount point.
    pub fn mnt(&self) -> &Path {
        &self.mnt
    }

    /// Bytes available and the block size, as `statfs` reports them (via `stat -f`), after
    /// a `syncfs` (`sync -f`): ext4 returns the blocks of deleted or truncated files only when
    /// its journal commits, so without it the count drifts upwards behind the test's back.
    pub fn free(&self) -> io::Result<(u64, u64)> {
        let synced = Command::new("sync").arg("-f").arg(&self.mnt).status()?;
        if !synced.success() {
            return Err(io::Error::other(format!("sync -f failed: {synced}")));
        }
        let o = Command::new("stat")
            .args(["-f", "-c", "%a %S"])
            .arg(&self.mnt)
            .output()?;
        let text = String::from_utf8_lossy(&o.stdout);
        let mut it = text.split_whitespace().map(|w| w.parse::<u64>());
        match (it.next(), it.next()) {
            (Some(Ok(avail)), Some(Ok(bs))) if o.status.success() => Ok((avail * bs, bs)),
            _ => Err(io::Error::other(format!("stat -f printed {text:?}"))),
        }
    }

    /// Unmount now (dropping does it too), reporting failure.
    pub fn unmount(&mut self) -> Result<(), String> {
        if !self.mounted {
            return Ok(());
        }
        let mut last = String::new();
        for _ in 0..20 {
            match run(Command::new("umount").arg(&self.mnt)) {
                Ok(()) => {
                    self.mounted = false;
                    return Ok(());
                }
                Err(e) => last = e,
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // Last resort: detach lazily so nothing stays mounted after the test.
        let _ = run(Command::new("umount").arg("-l").arg(&self.mnt));
        self.mounted = false;
        Err(last)
    }
}

impl Drop for LoopMount {
    fn drop(&mut self) {
        if let Err(e) = self.unmount() {
            eprintln!("warning: unmounting {}: {e}", self.mnt.display());
        }
        let _ = std::fs::remove_dir_all(&self.base);
    }
}
