//! Real ENOSPC: a 2 MiB ext4 file system on a loop device (1 KiB blocks, no reserved blocks),
//! filled with a filler file to every free-space level around a frame, inside a frame, at
//! segment preallocation, at rotation and at checkpoint; then the WAL keeps appending until
//! the disk is full.
//!
//! Oracle for each level: every error is a clean `Io` error carrying `ENOSPC` (or `Poisoned`
//! after one); right after each failed call, before any reopen, the segment files hold what
//! they held before it (up to zeros) and `next_lsn()` has not moved ([`crate::residue`]);
//! nothing acknowledged is lost; the WAL reopens while the disk is still full and holds
//! exactly the acknowledged entries plus at most the failed frame; a handle that was not
//! poisoned takes appends again once space is freed; after a reopen appends, rotation and
//! checkpoint resume.
//!
//! Needs root (mount); without it the harness reports itself skipped, with the reason.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use walogs_core::vfs::{FileSystem, FsFile, OpenMode, OsFs};
use walogs_core::{Lsn, WalError, WalOptions};

use walogs_testkit::handle::{DynWal, HandleKind};

use crate::ledger::{Ledger, Violation};
use crate::mount::LoopMount;
use crate::payload::FIRST_EPOCH;
use crate::payload::PayloadSpec;
use crate::protocol::{ErrKind, Event};
use crate::residue::{Removal, Rule, Snapshot, next_lsn_moved};
use crate::verify::inspect;

/// Size of the file system image.
pub const IMAGE_SIZE: u64 = 2 * 1024 * 1024;
/// Its block size.
pub const BLOCK: u32 = 1024;
/// Payload size of every entry: 2500 bytes, a 2516-byte frame that straddles blocks.
pub const ENTRY: usize = 2500;
/// `max_segment_size` of the WAL: 16 KiB, six frames.
pub const SEGMENT: u64 = 16 * 1024;
const ENOSPC: i32 = 28;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// One plain frame, no preallocation.
    Frame,
    /// One atomic batch frame of three entries (7.4 blocks), no preallocation: the write
    /// runs out of space inside the frame.
    MidFrame,
    /// The append that preallocates the active segment (`fallocate` to 16 KiB).
    Preallocation,
    /// An explicit `rotate()` (metadata file + new segment), then an append.
    Rotation,
    /// An append into a full segment: automatic rotation, then preallocation.
    AutoRotation,
    /// `checkpoint` on a directory without a metadata file (as walogs 0.1 leaves it): the
    /// seal is written before the segment is deleted.
    CheckpointSeal,
    /// `checkpoint` with the seal already recorded: only unlinks.
    Checkpoint,
}

struct Scenario {
    name: &'static str,
    kind: Kind,
    preallocate: bool,
    max_level: u64,
}

const SCENARIOS: [Scenario; 7] = [
    Scenario {
        name: "around a frame",
        kind: Kind::Frame,
        preallocate: false,
        max_level: 6,
    },
    Scenario {
        name: "mid-frame",
        kind: Kind::MidFrame,
        preallocate: false,
        max_level: 10,
    },
    Scenario {
        name: "preallocation",
        kind: Kind::Preallocation,
        preallocate: true,
        max_level: 14,
    },
    Scenario {
        name: "rotation",
        kind: Kind::Rotation,
        preallocate: false,
        max_level: 6,
    },
    Scenario {
        name: "rotation+preallocation",
        kind: Kind::AutoRotation,
        preallocate: true,
        max_level: 20,
    },
    Scenario {
        name: "checkpoint writing its seal",
        kind: Kind::CheckpointSeal,
        preallocate: false,
        max_level: 4,
    },
    Scenario {
        name: "checkpoint",
        kind: Kind::Checkpoint,
        preallocate: false,
        max_level: 2,
    },
];

/// What the ENOSPC harness saw.
#[derive(Debug, Clone, Default)]
pub struct EnospcReport {
    /// Why the harness did not run, if it did not.
    pub skipped: Option<String>,
    /// Per scenario (on `Wal`): levels run, and the fewest free blocks (as measured) with
    /// which its operation fit (`None`: it never fit).
    pub scenarios: Vec<(String, u64, Option<u64>)>,
    /// Levels run in total (both handles).
    pub levels: u64,
    /// Levels whose free space could not be set exactly (off by a block or so).
    pub approximate_levels: u64,
    /// Levels at which the scenario's own operation fit.
    pub fit: u64,
    /// Levels at which the scenario's operation failed with ENOSPC.
    pub op_enospc: u64,
    /// ENOSPC errors seen in total (scenario operation and the appends that fill the disk).
    pub enospc_errors: u64,
    /// Of the levels that hit ENOSPC, those whose handle was poisoned by it.
    pub poisoned: u64,
    /// Of the levels that hit ENOSPC without poisoning, those whose handle took an append
    /// again after space was freed. (One that refused it is a violation.)
    pub resumed_in_place: u64,
    /// Failed calls after which the directory was checked before any reopen and found to
    /// hold nothing the call left behind. (Something left behind is a violation.)
    pub residue_checks: u64,
    /// Opens of a full disk after the error.
    pub full_disk_reopens: u64,
    /// Entries acknowledged in total.
    pub acked_entries: u64,
    /// Every broken promise, with its scenario and level.
    pub violations: Vec<String>,
    /// Wall time.
    pub elapsed: Duration,
}

impl EnospcReport {
    /// The one-line figure.
    pub fn figure(&self) -> String {
        if let Some(why) = &self.skipped {
            return format!("enospc: SKIPPED: {why}");
        }
        let (tolerated, rest) =
            crate::known::KNOWN.partition(self.violations.iter().map(|v| (v.clone(), ())));
        let per: Vec<String> = self
            .scenarios
            .iter()
            .map(|(n, k, fit)| match fit {
                Some(f) => format!("{n}: {k} levels, fits from {f} free blocks"),
                None => format!("{n}: {k} levels, never fits"),
            })
            .collect();
        format!(
            "enospc: {} fill levels on a real ext4, each on Wal and SharedWal ({}; {} levels off by a block): operation fit at {}, failed cleanly at {}; {} ENOSPC errors, \
             {} poisoned, {} resumed on the same handle, {} residue checks clean, {} full-disk reopens, {} acknowledged entries, {} violations{} ({:.1} s)",
            self.levels,
            per.join("; "),
            self.approximate_levels,
            self.fit,
            self.op_enospc,
            self.enospc_errors,
            self.poisoned,
            self.resumed_in_place,
            self.residue_checks,
            self.full_disk_reopens,
            self.acked_entries,
            rest.len(),
            walogs_testkit::known::tolerated_note(&tolerated),
            self.elapsed.as_secs_f64(),
        )
    }
}

/// A file that takes up exactly the space the test wants taken.
struct Filler {
    file: Box<dyn FsFile>,
    len: u64,
}

impl Filler {
    fn set_free(&mut self, m: &LoopMount, target: u64) -> io::Result<u64> {
        for _ in 0..16 {
            let (avail, bs) = m.free()?;
            if avail == target {
                return Ok(avail);
            }
            if avail > target {
                let want = self.len + (avail - target);
                match self.file.allocate(want) {
                    Ok(()) => self.len = want,
                    Err(e) if walogs_core::vfs::IoAt::errno_of(&e) == Some(ENOSPC) => {
                        self.len = self.file.len()?
                    }
                    Err(e) => return Err(e),
                }
            } else {
                if self.len == 0 {
                    return Ok(avail);
                }
                let shrink = (target - avail).div_ceil(bs) * bs;
                self.len = self.len.saturating_sub(shrink);
                self.file.set_len(self.len)?;
            }
        }
        Ok(m.free()?.0)
    }

    fn free_all(&mut self) -> io::Result<()> {
        self.len = 0;
        self.file.set_len(0)
    }
}

/// One level of one scenario.
struct Case<'a> {
    spec: PayloadSpec,
    dir: PathBuf,
    ledger: Ledger,
    errors: u64,
    violations: Vec<String>,
    label: &'a str,
    residue_checks: u64,
}

impl Case<'_> {
    fn bad(&mut self, what: String) {
        self.violations.push(format!("{}: {what}", self.label));
    }

    /// Run `op` on `wal`; if it fails, check right away (before any reopen) that it left
    /// the segment files as they were (up to zeros; a checkpoint may remove some) and did not
    /// move `next_lsn()`.
    fn guarded<T>(
        &mut self,
        wal: &mut dyn DynWal,
        may_remove: bool,
        op: impl FnOnce(&mut dyn DynWal) -> Result<T, WalError>,
    ) -> Result<T, WalError> {
        let before = Snapshot::take(&self.dir);
        let next = wal.next_lsn().0;
        let r = op(wal);
        if r.is_err() {
            let after = Snapshot::take(&self.dir);
            let left = match (&before, &after) {
                (Ok(b), Ok(a)) => {
                    let rule = Rule {
                        may_cut: false,
                        may_remove: if may_remove {
                            Removal::Oldest
                        } else {
                            Removal::None
                        },
                    };
                    b.compare(a, rule).err().map(|r| r.0)
                }
                (Err(e), _) | (_, Err(e)) => Some(format!("cannot read the directory: {e}")),
            };
            let moved = wal.next_lsn().0;
            if let Some(l) = &left {
                self.bad(format!("left behind by a failed call: {l}"));
            }
            if let Some(m) = next_lsn_moved(next, moved) {
                self.bad(format!("left behind by a failed call: {m}"));
            }
            if left.is_none() && moved == next {
                self.residue_checks += 1;
            }
        }
        r
    }

    /// Record an operation's result; returns whether it succeeded.
    fn judge<T>(&mut self, op: &str, r: Result<T, WalError>) -> bool {
        match r {
            Ok(_) => true,
            Err(e) => {
                match &e {
                    WalError::Io(_) if e.errno() == Some(ENOSPC) => {}
                    WalError::Poisoned { .. } if self.errors > 0 => {}
                    other => self.bad(format!("{op}: unclean error {other}")),
                }
                self.errors += 1;
                false
            }
        }
    }

    fn append(&mut self, wal: &mut dyn DynWal, count: u64) -> bool {
        let first = wal.next_lsn().0;
        let entries: Vec<Vec<u8>> = (first..first + count)
            .map(|l| self.spec.payload(FIRST_EPOCH, l))
            .collect();
        self.ledger.apply(&Event::Try { first, count });
        let r = self.guarded(wal, false, |w| {
            if count == 1 {
                w.append(&entries[0]).map(|l| (l.0, l.0))
            } else {
                w.append_batch(&entries).map(|r| (r.first.0, r.last.0))
            }
        });
        let ev = match &r {
            Ok((first, last)) => Event::Ok {
                first: *first,
                last: *last,
            },
            Err(e) => Event::Fail {
                op: "append".into(),
                kind: ErrKind::of(e),
                msg: e.to_string(),
            },
        };
        for v in self.ledger.apply(&ev) {
            self.bad(v.to_string());
        }
        self.judge("append", r)
    }

    fn checkpoint(&mut self, wal: &mut dyn DynWal) -> bool {
        let upto = wal.next_lsn().0 - 1;
        self.ledger.apply(&Event::Checkpoint { upto });
        let r = self.guarded(wal, true, |w| w.checkpoint(Lsn(upto)));
        self.judge("checkpoint", r)
    }

    fn rotate(&mut self, wal: &mut dyn DynWal) -> bool {
        let r = self.guarded(wal, false, |w| w.rotate());
        self.judge("rotate", r)
    }

    fn check(&mut self, writable: bool, when: &str) -> bool {
        match inspect(&self.dir, writable, |l, d| self.ledger.matches(l, d)) {
            Ok(rec) => {
                let (vs, matched): (Vec<Violation>, _) = self.ledger.check(&rec);
                for v in vs {
                    self.bad(format!("{when}: {v}"));
                }
                self.ledger.settle(&rec, matched);
                true
            }
            Err(e) => {
                self.bad(format!("{when}: open failed: {e}"));
                false
            }
        }
    }
}

fn opts(preallocate: bool) -> WalOptions {
    WalOptions::new()
        .max_segment_size(Some(SEGMENT))
        .preallocate(preallocate)
}

/// Run every scenario at every level under `work` (which must be on a file system where a
/// loop image can live). Skips (with the reason in the report) when mounting is impossible.
pub fn run(work: &Path, seed: u64) -> Result<EnospcReport, String> {
    let start = Instant::now();
    let mut rep = EnospcReport::default();
    let base = work.join(format!("enospc-{}", std::process::id()));
    let mount = match LoopMount::create(&base, IMAGE_SIZE, BLOCK) {
        Ok(m) => m,
        Err(why) => {
            rep.skipped = Some(format!(
                "cannot mount a loop ext4 image here ({why}); needs root, e2fsprogs and loop devices"
            ));
            return Ok(rep);
        }
    };
    let result = run_mounted(&mount, seed, &mut rep);
    drop(mount);
    rep.elapsed = start.elapsed();
    result.map(|()| rep)
}

fn run_mounted(m: &LoopMount, seed: u64, rep: &mut EnospcReport) -> Result<(), String> {
    let e = |e: io::Error| e.to_string();
    let mut filler = Filler {
        file: OsFs
            .open_dir(m.mnt())
            .and_then(|d| d.open("filler", OpenMode::CreateNew { mode: 0o600 }))
            .map_err(e)?,
        len: 0,
    };
    let bs = u64::from(BLOCK);
    for shared in [false, true] {
        for sc in &SCENARIOS {
            let mut n = 0;
            let mut first_fit = None;
            for level in 0..=sc.max_level {
                let label = format!(
                    "{} on {} at {level} free blocks (seed {seed})",
                    sc.name,
                    if shared { "SharedWal" } else { "Wal" }
                );
                let spec = PayloadSpec::fixed(seed ^ level ^ ((sc.kind as u64) << 32), ENTRY);
                let mut case = Case {
                    spec,
                    dir: m.mnt().join("wal"),
                    ledger: Ledger::starting_at(spec, 1),
                    errors: 0,
                    violations: Vec::new(),
                    label: &label,
                    residue_checks: 0,
                };
                filler.free_all().map_err(e)?;
                let _ = std::fs::remove_dir_all(&case.dir);
                let (fit, actual) =
                    level_case(m, sc, shared, level * bs, &mut filler, &mut case, rep)
                        .map_err(|e| format!("{label}: {e}"))?;
                if fit {
                    let actual = actual / bs;
                    first_fit = Some(first_fit.map_or(actual, |f: u64| f.min(actual)));
                }
                rep.acked_entries += case.ledger.acked_entries;
                rep.residue_checks += case.residue_checks;
                rep.violations.append(&mut case.violations);
                n += 1;
            }
            rep.levels += n;
            if !shared {
                rep.scenarios.push((sc.name.to_string(), n, first_fit));
            }
        }
    }
    filler.free_all().map_err(e)?;
    Ok(())
}

/// One level: set up, fill to `free` bytes, run the operation, fill the rest with appends,
/// then check. Returns whether the operation fit and the free bytes it really had. `Err` is
/// a harness failure (not a finding).
#[allow(clippy::too_many_arguments)]
fn level_case(
    m: &LoopMount,
    sc: &Scenario,
    shared: bool,
    free: u64,
    filler: &mut Filler,
    case: &mut Case<'_>,
    rep: &mut EnospcReport,
) -> Result<(bool, u64), String> {
    let s = |e: WalError| e.to_string();
    // Setup, on a disk with room: entries so that the operation lands where it should.
    let setup_entries = match sc.kind {
        Kind::Frame | Kind::MidFrame | Kind::Preallocation | Kind::Rotation => 2,
        Kind::AutoRotation => 6,
        Kind::CheckpointSeal | Kind::Checkpoint => 7,
    };
    {
        let mut wal = HandleKind::shared_if(shared)
            .open(&opts(false), &case.dir)
            .map_err(s)?;
        for _ in 0..setup_entries {
            if !case.append(wal.as_mut(), 1) {
                return Err("setup append failed with space free".into());
            }
        }
        wal.close().map_err(s)?;
    }
    if sc.kind == Kind::CheckpointSeal {
        std::fs::remove_file(case.dir.join(walogs_core::META_FILENAME))
            .map_err(|e| e.to_string())?;
    }
    let mut wal = HandleKind::shared_if(shared)
        .open(&opts(sc.preallocate), &case.dir)
        .map_err(s)?;
    let got = filler.set_free(m, free).map_err(|e| e.to_string())?;
    if got != free {
        rep.approximate_levels += 1;
    }
    // The operation under test.
    let ok = match sc.kind {
        Kind::Frame | Kind::Preallocation | Kind::AutoRotation => case.append(wal.as_mut(), 1),
        Kind::MidFrame => case.append(wal.as_mut(), 3),
        Kind::Rotation => case.rotate(wal.as_mut()) && case.append(wal.as_mut(), 1),
        Kind::CheckpointSeal | Kind::Checkpoint => case.checkpoint(wal.as_mut()),
    };
    let fit = ok;
    if ok {
        rep.fit += 1;
    } else {
        rep.op_enospc += 1;
    }
    // Fill the rest of the disk with appends (and a rotation now and then): at most as many
    // as the whole file system could hold.
    for i in 0..(IMAGE_SIZE / ENTRY as u64) {
        if case.errors > 0 {
            break;
        }
        if i % 4 == 3 {
            case.rotate(wal.as_mut());
        } else {
            case.append(wal.as_mut(), 1);
        }
    }
    if case.errors == 0 {
        case.bad("the disk never filled up".into());
    }
    rep.enospc_errors += case.errors;
    if wal.is_poisoned() {
        rep.poisoned += 1;
        drop(wal);
    } else {
        // Not poisoned: free space, and the same handle must take appends again.
        filler.free_all().map_err(|e| e.to_string())?;
        let errors = case.errors;
        case.errors = 0;
        let first = wal.next_lsn().0;
        let retry = wal.append(&case.spec.payload(FIRST_EPOCH, first));
        match retry {
            Ok(l) => {
                case.ledger.apply(&Event::Ok {
                    first: l.0,
                    last: l.0,
                });
                rep.resumed_in_place += 1;
            }
            Err(e) => case.bad(format!(
                "unpoisoned handle refused an append after space was freed: {e}"
            )),
        }
        case.errors += errors;
        drop(wal);
        filler.set_free(m, free).map_err(|e| e.to_string())?;
    }
    // Reopen on the full disk.
    if case.check(true, "reopen on a full disk") {
        rep.full_disk_reopens += 1;
    }
    // Free space; everything resumes.
    filler.free_all().map_err(|e| e.to_string())?;
    case.errors = 0;
    match HandleKind::shared_if(shared).open(&opts(sc.preallocate), &case.dir) {
        Ok(mut wal) => {
            let ok = case.append(wal.as_mut(), 1)
                && case.append(wal.as_mut(), 2)
                && case.rotate(wal.as_mut())
                && case.checkpoint(wal.as_mut())
                && case.append(wal.as_mut(), 1);
            if !ok {
                case.bad("operations did not resume after space was freed".into());
            }
            let r = wal.close();
            case.judge("close", r);
        }
        Err(e) => case.bad(format!("open after space was freed failed: {e}")),
    }
    case.check(false, "after resuming");
    Ok((fit, got))
}
