//! Helpers shared by the integration tests: run the built `walogs` binary, and make WAL
//! directories that are healthy, torn, or damaged.
#![allow(dead_code)]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

use serde_json::Value;
use walogs_core::{Lsn, Wal, WalOptions};

/// Serializes spawning children with closing WALs in this (multi-threaded) test process.
///
/// A child spawned by one test thread holds a copy of every open descriptor of the process,
/// including another test's WAL lock, from the fork until its exec. If that other test
/// closes its WAL in between, the lock (an `flock`, owned by the shared open file) stays held
/// until the exec, and the next command on that directory sees it locked. `spawn` returns
/// only after the exec, so holding this lock around spawns and closes removes the window.
static FORK_GUARD: Mutex<()> = Mutex::new(());

/// Spawn `cmd` (see [`FORK_GUARD`]).
pub fn spawn(cmd: &mut Command) -> Child {
    let _g = FORK_GUARD.lock().unwrap_or_else(|p| p.into_inner());
    cmd.spawn().expect("spawn walogs")
}

/// Close `wal`, releasing its lock (see [`FORK_GUARD`]).
pub fn close(wal: Wal) {
    let _g = FORK_GUARD.lock().unwrap_or_else(|p| p.into_inner());
    wal.close().unwrap();
}

/// Run `f` (a close of a store or log holding the directory lock) while no child is
/// between its fork and its exec (see [`FORK_GUARD`]).
pub fn guarded<T>(f: impl FnOnce() -> T) -> T {
    let _g = FORK_GUARD.lock().unwrap_or_else(|p| p.into_inner());
    f()
}

/// The result of one run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout parsed as one JSON document.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }

    /// stdout parsed as JSON lines.
    pub fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
            .collect()
    }
}

/// The binary under test: `WALOGS_BIN` when set (to run these tests against another build),
/// else the one cargo built.
pub fn bin_path() -> PathBuf {
    std::env::var_os("WALOGS_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_walogs")))
}

pub fn bin() -> Command {
    Command::new(bin_path())
}

/// Run a prepared command to its end with empty stdin (see [`spawn`]).
pub fn run(cmd: &mut Command) -> Run {
    let child = spawn(
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().expect("exited by a signal"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The user id and group id the unprivileged runs use (`nobody` on Debian).
pub const NOBODY: u32 = 65534;

/// How to run a program as the unprivileged user [`NOBODY`]: a command prefix, or why that
/// is impossible here (not root, no `setpriv`). The binary must be executable by that user;
/// when its path is not, a copy in a world-readable temporary directory is used.
pub fn unprivileged() -> Result<(Vec<String>, PathBuf), String> {
    static WAY: std::sync::OnceLock<Result<(Vec<String>, PathBuf), String>> =
        std::sync::OnceLock::new();
    WAY.get_or_init(|| {
        let id = NOBODY.to_string();
        let prefix: Vec<String> = [
            "setpriv",
            &format!("--reuid={id}"),
            &format!("--regid={id}"),
            "--clear-groups",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let works = |program: &Path| {
            Command::new(&prefix[0])
                .args(&prefix[1..])
                .arg(program)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        let probe = Command::new(&prefix[0])
            .args(&prefix[1..])
            .arg("true")
            .status();
        match probe {
            Ok(s) if s.success() => {}
            Ok(s) => {
                return Err(format!(
                    "setpriv cannot switch to uid {id} ({s}): not root?"
                ));
            }
            Err(e) => return Err(format!("setpriv is not available: {e}")),
        }
        if works(&bin_path()) {
            return Ok((prefix, bin_path()));
        }
        let dir = std::env::temp_dir().join(format!("walogs-cli-tests-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        set_mode(&dir, 0o755);
        let copy = dir.join("walogs");
        fs::copy(bin_path(), &copy).unwrap();
        set_mode(&copy, 0o755);
        if works(&copy) {
            Ok((prefix, copy))
        } else {
            Err(format!(
                "uid {id} cannot execute {} nor a copy of it",
                bin_path().display()
            ))
        }
    })
    .clone()
}

/// Run `walogs ARGS` as the unprivileged user, or print why that is impossible and return
/// `None` (the caller then skips).
pub fn walogs_as_nobody<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Option<Run> {
    match unprivileged() {
        Ok((prefix, program)) => Some(run(Command::new(&prefix[0])
            .args(&prefix[1..])
            .arg(program)
            .args(args))),
        Err(why) => {
            eprintln!("SKIPPED: cannot run as an unprivileged user: {why}");
            None
        }
    }
}

/// Set the permission bits of `path`.
pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// A temporary directory every user can enter and read (a WAL made inside it by root can
/// then be read by [`walogs_as_nobody`]).
pub fn shared_tempdir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    set_mode(d.path(), 0o755);
    d
}

/// Run `walogs ARGS` with empty stdin.
pub fn walogs<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    walogs_stdin(args, b"")
}

/// Run `walogs ARGS` feeding `input` on stdin.
pub fn walogs_stdin<S: AsRef<std::ffi::OsStr>>(args: &[S], input: &[u8]) -> Run {
    let mut child = spawn(
        bin()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    // A command that fails early (e.g. locked) does not read its input.
    match child.stdin.take().unwrap().write_all(input) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        r => r.unwrap(),
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().expect("exited by a signal"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The payload of entry `i` of [`healthy`] logs (varied sizes, text).
pub fn entry(i: u64) -> Vec<u8> {
    format!("entry-{i};")
        .repeat((i % 5 + 1) as usize)
        .into_bytes()
}

pub const ENTRIES: u64 = 200;

/// A cleanly closed WAL of [`ENTRIES`] entries over several 2 KiB segments. Returns the
/// payloads (index = LSN - 1).
pub fn healthy(dir: &Path) -> Vec<Vec<u8>> {
    let mut wal = WalOptions::new()
        .max_segment_size(Some(2048))
        .open(dir)
        .unwrap();
    let mut all = Vec::new();
    for i in 1..=ENTRIES {
        let e = entry(i);
        assert_eq!(wal.append(&e).unwrap(), Lsn(i));
        all.push(e);
    }
    close(wal);
    assert!(segments(dir).len() >= 4, "want several segments");
    all
}

/// Segment files of `dir`, oldest first.
pub fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_str().unwrap();
            walogs_core::segment::parse_segment_filename(n).is_some()
        })
        .collect();
    v.sort();
    v
}

pub fn last_segment(dir: &Path) -> PathBuf {
    segments(dir).pop().unwrap()
}

pub fn name(path: &Path) -> String {
    path.file_name().unwrap().to_str().unwrap().to_string()
}

/// Where the torn frame of [`torn`] started, and how many of its bytes remain.
pub struct Torn {
    pub file: String,
    pub offset: u64,
    pub bytes_left: u64,
}

/// A healthy log whose last frame (the entry of LSN ENTRIES) lost its last 3 bytes.
pub fn torn(dir: &Path) -> Torn {
    healthy(dir);
    let last = last_segment(dir);
    let size = fs::metadata(&last).unwrap().len();
    let frame = 16 + entry(ENTRIES).len() as u64;
    let f = fs::OpenOptions::new().write(true).open(&last).unwrap();
    f.set_len(size - 3).unwrap();
    Torn {
        file: name(&last),
        offset: size - frame,
        bytes_left: frame - 3,
    }
}

pub fn flip_byte(path: &Path, offset: u64) {
    let mut b = fs::read(path).unwrap();
    b[offset as usize] ^= 0x5a;
    fs::write(path, b).unwrap();
}

/// A healthy log with a flipped byte inside the first frame of the first (completed) segment.
pub fn damaged_completed(dir: &Path) -> String {
    healthy(dir);
    let first = segments(dir).remove(0);
    flip_byte(&first, 20);
    name(&first)
}

/// A healthy log with a flipped byte inside the first frame of the last segment, which has
/// more valid frames after it. Returns (file, number of frames in that segment, its first LSN).
pub fn damaged_mid(dir: &Path) -> (String, u64, u64) {
    healthy(dir);
    let last = last_segment(dir);
    let bytes = fs::read(&last).unwrap();
    let mut frames = 0;
    let mut off = 0usize;
    let mut first_lsn = 0;
    while off < bytes.len() {
        let len = u32::from_le_bytes(bytes[off..off + 4].try_into().unwrap()) as usize;
        if frames == 0 {
            first_lsn = u64::from_le_bytes(bytes[off + 8..off + 16].try_into().unwrap());
        }
        off += 16 + len;
        frames += 1;
    }
    assert!(frames >= 3, "the last segment needs several frames");
    flip_byte(&last, 20);
    (name(&last), frames, first_lsn)
}

/// Every file of `dir` with its bytes, to prove a command changed nothing.
pub fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (name(&p), fs::read(&p).unwrap())
        })
        .collect();
    v.sort();
    v
}

/// All entries through a read-only open.
pub fn read_all(dir: &Path) -> Vec<(u64, Vec<u8>)> {
    let wal = WalOptions::new().read_only(true).open(dir).unwrap();
    wal.iter()
        .map(|r| {
            let (l, d) = r.unwrap();
            (l.0, d)
        })
        .collect()
}

pub fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The (offset, LSN) of every plain frame of a segment written by single appends.
pub fn frames_of(path: &Path) -> Vec<(u64, u64)> {
    let bytes = fs::read(path).unwrap();
    let mut out = Vec::new();
    let mut off = 0usize;
    while off + 16 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[off..off + 4].try_into().unwrap()) as usize;
        let lsn = u64::from_le_bytes(bytes[off + 8..off + 16].try_into().unwrap());
        out.push((off as u64, lsn));
        off += 16 + len;
    }
    out
}

/// Where [`damage_frame`] damaged a log.
#[derive(Debug, Clone)]
pub struct Damaged {
    /// The segment file.
    pub file: String,
    /// Offset of the damaged frame.
    pub offset: u64,
    /// LSN of the damaged frame's entry.
    pub lsn: u64,
    /// LSN of the next segment's first entry (none when the damage is in the last one).
    pub next_segment_lsn: Option<u64>,
}

/// Flip a payload byte of frame `k` of segment `seg` (indexes from 0) of a [`healthy`] log.
pub fn damage_frame(dir: &Path, seg: usize, k: usize) -> Damaged {
    let segs = segments(dir);
    let frames = frames_of(&segs[seg]);
    let (offset, lsn) = frames[k];
    flip_byte(&segs[seg], offset + 17);
    Damaged {
        file: name(&segs[seg]),
        offset,
        lsn,
        next_segment_lsn: segs.get(seg + 1).map(|s| frames_of(s)[0].1),
    }
}

/// Run `walogs ARGS` with empty stdin like [`walogs`], but fail the test (after killing the
/// child) if it has not ended within `limit`: a guard against a command that hangs (on a
/// FIFO, say), far above the time any such command takes.
pub fn walogs_within<S: AsRef<std::ffi::OsStr>>(args: &[S], limit: std::time::Duration) -> Run {
    use std::io::Read;
    let mut child = spawn(
        bin()
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!(
                "walogs {:?} did not end within {limit:?}: it hangs",
                args.iter()
                    .map(|a| a.as_ref().to_owned())
                    .collect::<Vec<_>>()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    Run {
        code: status.code().expect("exited by a signal"),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// Make a FIFO at `path` (with `mkfifo`).
pub fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo (coreutils)")
        .success();
    assert!(ok, "mkfifo {}", path.display());
}
