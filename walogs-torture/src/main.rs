//! `walogs-torture`: the child process of the crash harnesses, and a command line to run the
//! harnesses themselves (used by `scripts/soak-torture.sh` for the long runs).
//!
//! ```text
//! walogs-torture child kill|script --dir D --seed S [--run R] [--ops N] [--segment B]
//!                                  [--max-len L] [--keep K] [--preallocate 0|1] [--shared 0|1]
//!                                  [--threads T] [--policy P] [--cut-back 0|1]
//! walogs-torture kill   --dir D [--kills N] [--seed S] [--max-delay-ms M] [--segment B] [--max-len L]
//!                       [--threads T] [--policy P|all]
//! walogs-torture sweep  --work D [--seed S] [--ops N] [--sticky 0|1] [--shared 0|1] [--threads T]
//!                       [--policy P] [--sync-delay-us U] [--plan NAME] [--at N]
//! walogs-torture enospc --work D [--seed S]
//! walogs-torture bitrot [--seed S] [--work D]
//! ```
//!
//! P is one of every-append, interval, manual, none. Each harness prints its figure; a
//! violation that is not a known core bug (`src/known.rs`) makes the exit status 1.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use walogs_testkit::known::Triage;
use walogs_torture::known::KNOWN;
use walogs_torture::policy::Policy;
use walogs_torture::{bitrot, child, enospc, kill, payload, shim, sweep};

struct Args(HashMap<String, String>);

impl Args {
    fn parse(rest: &[String]) -> Result<Args, String> {
        let mut m = HashMap::new();
        let mut it = rest.iter();
        while let Some(k) = it.next() {
            let key = k
                .strip_prefix("--")
                .ok_or_else(|| format!("expected --option, got {k:?}"))?;
            let v = it.next().ok_or_else(|| format!("--{key} needs a value"))?;
            m.insert(key.to_string(), v.clone());
        }
        Ok(Args(m))
    }

    fn num(&self, key: &str, default: u64) -> Result<u64, String> {
        match self.0.get(key) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{key}: not a number: {v:?}")),
        }
    }

    fn policy(&self, default: Policy) -> Result<Policy, String> {
        match self.0.get("policy") {
            None => Ok(default),
            Some(v) => Policy::parse(v).ok_or_else(|| format!("--policy: unknown policy {v:?}")),
        }
    }

    fn text(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }

    fn path(&self, key: &str) -> Result<PathBuf, String> {
        self.0
            .get(key)
            .map(PathBuf::from)
            .ok_or_else(|| format!("--{key} is required"))
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    match dispatch(&argv) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("walogs-torture: {e}");
            ExitCode::from(64)
        }
    }
}

fn dispatch(argv: &[String]) -> Result<u8, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    match argv.first().map(String::as_str) {
        Some("child") => {
            let mode = match argv.get(1).map(String::as_str) {
                Some("kill") => child::ChildMode::Kill,
                Some("script") => child::ChildMode::Script,
                other => return Err(format!("child mode must be kill or script, got {other:?}")),
            };
            let a = Args::parse(&argv[2..])?;
            let cfg = child::ChildConfig {
                mode,
                dir: a.path("dir")?,
                seed: a.num("seed", 1)?,
                run: a.num("run", 0)?,
                ops: a.num("ops", 1_000_000)?,
                segment: a.num("segment", 256 * 1024)?,
                max_len: a.num("max-len", payload::MAX_KILL_PAYLOAD as u64)? as usize,
                keep: a.num("keep", 8)?,
                preallocate: a.num("preallocate", 1)? != 0,
                shared: a.num("shared", 0)? != 0,
                threads: a.num("threads", 1)? as u32,
                policy: a.policy(Policy::EveryAppend)?,
                cut_back: a.num("cut-back", 0)? != 0,
            };
            Ok(child::run(&cfg) as u8)
        }
        Some("kill") => {
            let a = Args::parse(&argv[1..])?;
            let cfg = kill::KillConfig {
                max_delay: Duration::from_millis(a.num("max-delay-ms", 80)?),
                segment: a.num("segment", 256 * 1024)?,
                max_len: a.num("max-len", payload::MAX_KILL_PAYLOAD as u64)? as usize,
                keep: a.num("keep", 8)?,
                threads: a.num("threads", 1)? as u32,
                policies: match a.text("policy").as_deref() {
                    None | Some("all") => Policy::ALL.to_vec(),
                    Some(_) => vec![a.policy(Policy::EveryAppend)?],
                },
                ..kill::KillConfig::new(exe, a.path("dir")?, a.num("seed", 1)?, a.num("kills", 100)?)
            };
            let every = (cfg.kills / 10).max(1);
            let rep = kill::run(&cfg, |r| {
                if r.kills > 0 && r.kills % every == 0 {
                    eprintln!("  ... {}", r.figure());
                }
            });
            println!("{}", rep.figure());
            Ok(verdict(&KNOWN.triage(rep.messages(cfg.seed))))
        }
        Some("sweep") => {
            let a = Args::parse(&argv[1..])?;
            let work = a.path("work")?;
            let shim_so = shim::build(&work).map_err(|e| e.to_string())?;
            let threads = a.num("threads", 1)? as u32;
            let cfg = sweep::SweepConfig {
                ops: a.num("ops", 40)?,
                segment: a.num("segment", 4096)?,
                max_len: a.num("max-len", if threads > 1 { 600 } else { 3000 })? as usize,
                sticky: a.num("sticky", 1)? != 0,
                shared: a.num("shared", 0)? != 0,
                threads,
                policy: a.policy(Policy::EveryAppend)?,
                sync_delay_us: a.num("sync-delay-us", if threads > 1 { 300 } else { 0 })?,
                only_plan: a.text("plan"),
                only_at: a.text("at").map(|v| v.parse()).transpose().map_err(|_| "--at: not a number")?,
                ..sweep::SweepConfig::new(exe, shim_so, work, a.num("seed", 1)?)
            };
            let rep = sweep::run(&cfg)?;
            println!("{}", rep.figure());
            Ok(verdict(&KNOWN.triage(rep.messages())))
        }
        Some("enospc") => {
            let a = Args::parse(&argv[1..])?;
            let rep = enospc::run(&a.path("work")?, a.num("seed", 1)?)?;
            println!("{}", rep.figure());
            Ok(verdict(&KNOWN.triage(rep.violations.clone())))
        }
        Some("bitrot") => {
            let a = Args::parse(&argv[1..])?;
            let work = a.path("work").unwrap_or_else(|_| std::env::temp_dir());
            let rep = bitrot::run(a.num("seed", 1)?, &work)?;
            println!("{}", rep.flip_figure());
            println!("{}", rep.truncation_figure());
            Ok(verdict(&KNOWN.triage(rep.messages())))
        }
        _ => Err("usage: walogs-torture child|kill|sweep|enospc|bitrot --help: see the source's doc comment".into()),
    }
}

/// Print every violation (tolerated known bugs marked as such); the exit status: 1 if any
/// violation is not a known bug.
fn verdict(t: &Triage) -> u8 {
    for (id, v) in &t.known {
        eprintln!("tolerated (known core bug {id}): {v}");
    }
    for v in &t.unknown {
        eprintln!("VIOLATION: {v}");
    }
    u8::from(!t.unknown.is_empty())
}
