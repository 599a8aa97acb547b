//! `walogs-sim`: run the harnesses at any scale, and reproduce one failing state.
//!
//! ```text
//! walogs-sim power-loss [ops=classic|control] [max-len=4] [res=4] [rres=2] [seed=1] [seg=200] [handle=wal] [durability=D] [dirs=any|journaled] [threads=N]
//! walogs-sim random     [runs=100] [steps=300] [seed=1] [relaxed=0|1] [dirs=any|journaled] [threads=N]
//! walogs-sim faults     [ops=classic|control] [prefix=tm] [max-len=3] [seed=1] [res=3] [handle=wal|shared|both] [reads=1] [threads=N]
//! walogs-sim concurrent [runs=40] [appenders=6] [calls=6] [res=3] [faults=0|1] [seed=1] [threads=N]
//! walogs-sim bitrot     [ops=classic|control] [max-len=3] [flips=2] [seed=1] [seg=200] [handle=wal] [durability=D] [threads=N]
//! walogs-sim fuzz       [target=decode|open] [secs=10] [seed=1]
//! walogs-sim known      (the tolerated core bugs; fails if one no longer reproduces)
//! walogs-sim repro power-loss ops=.. seg=.. handle=.. durability=.. seed=.. point=.. res=.. [rpoint=.. rres=..]
//! walogs-sim repro random seed=.. steps=.. [relaxed=1]
//! walogs-sim repro faults ops=.. handle=.. seed=.. fault=CLASS:N:KIND res=..
//! walogs-sim repro concurrent seed=.. [appenders=.. calls=.. res=.. faults=..] [tries=50]
//! walogs-sim repro bitrot ops=.. seg=.. handle=.. durability=.. seed=.. point=.. frame=.. flip=..
//! walogs-sim repro fuzz-open hex=..
//! ```
//! `ops=control` runs the log-control alphabet (`s` append, `t` batch, `m` append_many, `x`
//! cut the newest entry, `z` keep only the oldest, `p` purge the oldest, `g` purge to a
//! segment boundary, `e` purge past the end, `d` user data, `o` reopen; relaxed policies add
//! `y` sync and `w` wait for durability); the classic one is `s b t r c o` (`b` a 3 KiB
//! append, `r` rotate, `c` checkpoint). In a `repro`, `ops=` is the workload's codes.
//! `D` is `every-append` (the default), `interval-<N>ms` (N > 0; the flusher thread makes
//! such runs not replay exactly), `manual` or `none`; `lie=file|dir|both`
//! (power-loss, random, concurrent) makes the simulated disk ignore syncs: the harness must
//! then fail. `WALOGS_SIM_FULL_TRACE=1` makes `repro random` print the disk before every step.
//! Each harness prints its figures (one line per tally, then an indented timing line) and
//! exits non-zero on any violation. `WALOGS_STRICT=1` (or `WALOGS_SIM_STRICT=1`) also counts the
//! known core bugs.
//! A concurrent run's schedule is not replayed: `repro concurrent` reruns its seed until
//! the violation shows again (every violation already names its crash point and the
//! acknowledged set).

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Instant;

use walogs_core::Durability;
use walogs_sim::harness::bitrot::{self, BitRotConfig};
use walogs_sim::harness::concurrent::{self, ConcurrentConfig};
use walogs_sim::harness::faults::{self, FaultConfig};
use walogs_sim::harness::known;
use walogs_sim::harness::power_loss::{self, PowerLossConfig};
use walogs_sim::harness::random::{self, RandomConfig};
use walogs_sim::workload::{Op, parse_durability};
use walogs_sim::{CallClass, FaultKind, FaultPlan, Lies};
use walogs_testkit::handle::HandleKind;

struct Args(HashMap<String, String>);

impl Args {
    fn parse(items: &[String]) -> Result<Args, String> {
        let mut m = HashMap::new();
        for it in items {
            let (k, v) = it
                .split_once('=')
                .ok_or_else(|| format!("expected key=value, got {it:?}"))?;
            m.insert(k.to_string(), v.to_string());
        }
        Ok(Args(m))
    }
    fn num(&self, k: &str, default: u64) -> Result<u64, String> {
        match self.0.get(k) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| format!("{k}={v} is not a number")),
        }
    }
    fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str)
    }
    fn handle(&self, default: HandleKind) -> Result<HandleKind, String> {
        match self.get("handle") {
            None => Ok(default),
            Some(h) => HandleKind::parse(h).ok_or_else(|| format!("unknown handle {h:?}")),
        }
    }
}

fn threads(a: &Args) -> Result<usize, String> {
    let n = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    Ok(a.num("threads", n)? as usize)
}

fn power_loss_cfg(a: &Args) -> Result<PowerLossConfig, String> {
    Ok(PowerLossConfig {
        max_len: a.num("max-len", 4)? as usize,
        resolutions: a.num("res", 4)?,
        seed: a.num("seed", 1)?,
        segment_size: a.num("seg", 200)?,
        kind: a.handle(HandleKind::Single)?,
        recovery_resolutions: a.num("rres", 2)?,
        threads: threads(a)?,
        lies: lies(a)?,
        journaled: journaled(a)?,
        durability: durability(a)?,
        control: control(a),
    })
}

fn bitrot_cfg(a: &Args) -> Result<BitRotConfig, String> {
    Ok(BitRotConfig {
        max_len: a.num("max-len", 3)? as usize,
        seed: a.num("seed", 1)?,
        flips: a.num("flips", 2)?,
        segment_size: a.num("seg", 200)?,
        kind: a.handle(HandleKind::Single)?,
        durability: durability(a)?,
        threads: threads(a)?,
        control: control(a),
    })
}

fn concurrent_cfg(a: &Args) -> Result<ConcurrentConfig, String> {
    Ok(ConcurrentConfig {
        seed: a.num("seed", 1)?,
        runs: a.num("runs", 40)?,
        appenders: a.num("appenders", 6)? as usize,
        calls: a.num("calls", 6)? as usize,
        resolutions: a.num("res", 3)?,
        faults: a.num("faults", 0)? == 1,
        workers: threads(a)?,
        lies: lies(a)?,
    })
}

/// `durability=every-append|interval-<N>ms|manual|none`.
fn durability(a: &Args) -> Result<Durability, String> {
    match a.get("durability") {
        None => Ok(Durability::EveryAppend),
        Some(d) => parse_durability(d).ok_or_else(|| format!("unknown durability={d}")),
    }
}

fn fault_cfg(a: &Args) -> Result<FaultConfig, String> {
    let kinds = match a.get("handle") {
        None | Some("both") => vec![HandleKind::Single, HandleKind::Shared],
        Some(h) => vec![HandleKind::parse(h).ok_or_else(|| format!("unknown handle {h:?}"))?],
    };
    let classes = if a.num("reads", 1)? == 1 {
        CallClass::ALL.to_vec()
    } else {
        CallClass::MUTATING.to_vec()
    };
    Ok(FaultConfig {
        max_len: a.num("max-len", 3)? as usize,
        seed: a.num("seed", 1)?,
        resolutions: a.num("res", 3)?,
        kinds,
        classes,
        segment_size: a.num("seg", 200)?,
        threads: threads(a)?,
        control: control(a),
        prefix: match a.get("prefix") {
            None => FaultConfig::default().prefix,
            Some(p) => Op::parse_all(p).ok_or_else(|| format!("bad prefix={p}"))?,
        },
    })
}

/// `ops=classic|control`: the workload alphabet of the exhaustive sweeps (a `repro` takes
/// `ops=` as the workload's codes instead).
fn control(a: &Args) -> bool {
    a.get("ops") == Some("control")
}

/// `dirs=any|journaled`: how directory operations survive a crash.
fn journaled(a: &Args) -> Result<bool, String> {
    match a.get("dirs") {
        None | Some("any") => Ok(false),
        Some("journaled") => Ok(true),
        Some(o) => Err(format!("unknown dirs={o}")),
    }
}

/// `lie=file|dir|both`: make the simulated disk ignore syncs (the harness must then fail).
fn lies(a: &Args) -> Result<Lies, String> {
    Ok(match a.get("lie") {
        None | Some("none") => Lies::default(),
        Some("file") => Lies {
            file_sync: true,
            dir_sync: false,
        },
        Some("dir") => Lies {
            file_sync: false,
            dir_sync: true,
        },
        Some("both") => Lies {
            file_sync: true,
            dir_sync: true,
        },
        Some(o) => return Err(format!("unknown lie={o}")),
    })
}

fn run(cmd: &str, rest: &[String]) -> Result<bool, String> {
    match cmd {
        "power-loss" => {
            let a = Args::parse(rest)?;
            let cfg = power_loss_cfg(&a)?;
            let t = Instant::now();
            let rep = power_loss::run(&cfg);
            let secs = t.elapsed().as_secs_f64();
            print!("{}{}", rep.crash, rep.recovery);
            for b in &rep.broken_workloads {
                println!("BROKEN WORKLOAD: {b}");
            }
            for line in rep.lines("power-loss", &cfg) {
                println!("{line}");
            }
            let total = rep.crash.states + rep.recovery.states;
            println!(
                "  time: {total} states in {secs:.1} s = {:.0} states/s on {} threads",
                total as f64 / secs,
                cfg.threads
            );
            Ok(rep.crash.violations() + rep.recovery.violations() == 0
                && rep.broken_workloads.is_empty())
        }
        "random" => {
            let a = Args::parse(rest)?;
            let cfg = RandomConfig {
                seed: a.num("seed", 1)?,
                runs: a.num("runs", 100)?,
                steps: a.num("steps", 300)?,
                threads: threads(&a)?,
                lies: lies(&a)?,
                journaled: journaled(&a)?,
                relaxed: a.num("relaxed", 0)? == 1,
            };
            let t = Instant::now();
            let rep = random::run(&cfg);
            let secs = t.elapsed().as_secs_f64();
            print!("{}{}", rep.crash, rep.recovery);
            for line in rep.lines("random", &cfg) {
                println!("{line}");
            }
            let total = rep.crash.states + rep.recovery.states;
            println!(
                "  time: {total} states in {secs:.1} s = {:.0} states/s on {} threads",
                total as f64 / secs,
                cfg.threads
            );
            Ok(rep.crash.violations() + rep.recovery.violations() == 0)
        }
        "faults" => {
            let a = Args::parse(rest)?;
            let cfg = fault_cfg(&a)?;
            let t = Instant::now();
            let rep = faults::run(&cfg);
            let secs = t.elapsed().as_secs_f64();
            print!("{}{}{}", rep.runs, rep.in_place, rep.fsyncgate);
            for line in rep.lines(&cfg) {
                println!("{line}");
            }
            println!("  time: {secs:.1} s on {} threads", cfg.threads);
            Ok(rep.runs.violations() + rep.in_place.violations() + rep.fsyncgate.violations() == 0)
        }
        "bitrot" => {
            let a = Args::parse(rest)?;
            let cfg = bitrot_cfg(&a)?;
            let t = Instant::now();
            let rep = bitrot::run(&cfg);
            let secs = t.elapsed().as_secs_f64();
            print!("{}", rep.states);
            println!("{}", rep.line(&cfg));
            println!(
                "  time: {} states in {secs:.1} s = {:.0} states/s on {} threads",
                rep.states.states,
                rep.states.states as f64 / secs,
                cfg.threads
            );
            Ok(rep.states.violations() == 0)
        }
        "concurrent" => {
            let a = Args::parse(rest)?;
            let cfg = concurrent_cfg(&a)?;
            let t = Instant::now();
            let rep = concurrent::run(&cfg);
            let secs = t.elapsed().as_secs_f64();
            print!("{}", rep.states);
            println!("{}", rep.line(&cfg));
            println!(
                "  time: {} states in {secs:.1} s = {:.0} states/s on {} workers",
                rep.states.states,
                rep.states.states as f64 / secs,
                cfg.workers
            );
            Ok(rep.states.violations() == 0)
        }
        "fuzz" => {
            let a = Args::parse(rest)?;
            let secs = a.num("secs", 10)?;
            let seed = a.num("seed", 1)?;
            let target = a.get("target").unwrap_or("decode").to_string();
            let t = Instant::now();
            let mut total = walogs_sim::fuzz::FuzzCount::default();
            let mut round = 0u64;
            let report = |input: &[u8], why: &str| {
                println!(
                    "FUZZ FAILURE ({target}): {why}\n  input (hex): {}",
                    hex(input)
                );
            };
            while t.elapsed().as_secs() < secs {
                let s = walogs_sim::Rng::mix(seed, round);
                let c = match target.as_str() {
                    "decode" => walogs_sim::fuzz::fuzz_decode(s, 10_000, report),
                    "open" => walogs_sim::fuzz::fuzz_open(s, 200, report),
                    other => return Err(format!("unknown target {other:?} (decode, open)")),
                };
                total.inputs += c.inputs;
                total.failures += c.failures;
                total.known += c.known;
                round += 1;
            }
            let el = t.elapsed().as_secs_f64();
            println!(
                "fuzz-{target} (structured, coverage-free): {} inputs in {el:.1} s ({:.0}/s), {} failures, {} known core bugs (seed {seed})",
                total.inputs,
                total.inputs as f64 / el,
                total.failures,
                total.known
            );
            Ok(total.failures == 0)
        }
        "known" => {
            // The tolerated core bugs and whether each still reproduces; fails when one no
            // longer does (then its entry in known.rs must go).
            let reg = &known::KNOWN;
            let e = reg.expiry();
            for (bug, what) in &e.reproducing {
                println!("known {}: still reproduces ({what}); {}", bug.id, bug.repro);
            }
            for bug in &e.fixed {
                println!(
                    "known {}: FIXED in the core, delete it from {}",
                    bug.id, reg.file
                );
            }
            let tolerated = if reg.strict() || reg.bugs.is_empty() {
                "none (strict)".to_string()
            } else {
                let ids: Vec<&str> = reg.bugs.iter().map(|b| b.id).collect();
                format!("{} (WALOGS_STRICT=1 fails on them)", ids.join(", "))
            };
            println!(
                "known core bugs: {} listed, {} fixed; tolerated by the harnesses: {tolerated}",
                reg.bugs.len(),
                e.fixed.len()
            );
            Ok(e.fixed.is_empty())
        }
        "repro" => {
            let (what, rest) = rest.split_first().ok_or("repro needs a harness name")?;
            let a = Args::parse(rest)?;
            match what.as_str() {
                "power-loss" => {
                    let cfg = power_loss_cfg(&a)?;
                    let ops =
                        Op::parse_all(a.get("ops").ok_or("ops= missing")?).ok_or("bad ops")?;
                    let point = a.num("point", 0)? as usize;
                    let res = a.num("res", 0)?;
                    let inner = match a.get("rpoint") {
                        Some(_) => Some((a.num("rpoint", 0)? as usize, a.num("rres", 0)?)),
                        None => None,
                    };
                    let (r, trace) = power_loss::repro(&cfg, &ops, point, res, inner);
                    for l in trace {
                        println!("{l}");
                    }
                    match r {
                        Ok(lost) => {
                            println!(
                                "verdict: ok{}",
                                if lost {
                                    " (unsynced acknowledged entries lost, as the policy allows)"
                                } else {
                                    ""
                                }
                            );
                            Ok(true)
                        }
                        Err(v) => {
                            println!("verdict: VIOLATION: {v}");
                            Ok(false)
                        }
                    }
                }
                "random" => {
                    let (rep, trace) = random::run_one(
                        a.num("seed", 1)?,
                        a.num("steps", 300)?,
                        lies(&a)?,
                        journaled(&a)?,
                        a.num("relaxed", 0)? == 1,
                        true,
                    );
                    for l in trace {
                        println!("{l}");
                    }
                    print!("{}{}", rep.crash, rep.recovery);
                    let bad = rep.crash.violations() + rep.recovery.violations();
                    println!(
                        "verdict: {}",
                        if bad == 0 {
                            "ok"
                        } else {
                            "VIOLATION (see above)"
                        }
                    );
                    Ok(bad == 0)
                }
                "faults" => {
                    let cfg = fault_cfg(&a)?;
                    let ops =
                        Op::parse_all(a.get("ops").ok_or("ops= missing")?).ok_or("bad ops")?;
                    let f = a.get("fault").ok_or("fault=CLASS:N:KIND missing")?;
                    let parts: Vec<&str> = f.split(':').collect();
                    let [c, n, k] = parts[..] else {
                        return Err(format!("bad fault={f}"));
                    };
                    let plan = FaultPlan {
                        class: CallClass::parse(c).ok_or("bad fault class")?,
                        nth: n.parse().map_err(|_| "bad fault number")?,
                        kind: FaultKind::parse(k).ok_or("bad fault kind")?,
                        seed: a.num("fault-seed", 0)?,
                    };
                    let o =
                        faults::run_faulted(&ops, a.handle(HandleKind::Single)?, plan, &cfg, true);
                    for l in &o.trace {
                        println!("  {l}");
                    }
                    let in_place_ok = !matches!(o.in_place, Some(Err(_)));
                    if let Some(c) = &o.in_place {
                        println!(
                            "state right after the failed call: {}",
                            match c {
                                Ok(()) => "ok".to_string(),
                                Err(v) => format!("VIOLATION: {v}"),
                            }
                        );
                    }
                    if let Some(g) = &o.fsyncgate {
                        println!(
                            "fsyncgate check: {}",
                            match g {
                                Ok(()) => "ok".to_string(),
                                Err(v) => v.to_string(),
                            }
                        );
                    }
                    match o.verdict {
                        None => {
                            println!("verdict: ok");
                            Ok(in_place_ok)
                        }
                        Some(v) => {
                            println!("verdict: VIOLATION: {v}");
                            Ok(false)
                        }
                    }
                }
                "bitrot" => {
                    let cfg = bitrot_cfg(&a)?;
                    let ops =
                        Op::parse_all(a.get("ops").ok_or("ops= missing")?).ok_or("bad ops")?;
                    let (r, trace) = bitrot::repro(
                        &cfg,
                        &ops,
                        a.num("point", 0)? as usize,
                        a.num("frame", 0)? as usize,
                        a.num("flip", 0)?,
                    );
                    for l in trace {
                        println!("{l}");
                    }
                    match r {
                        Ok(v) => {
                            println!("verdict: ok ({v:?})");
                            Ok(true)
                        }
                        Err(v) => {
                            println!("verdict: VIOLATION: {v}");
                            Ok(false)
                        }
                    }
                }
                "concurrent" => {
                    let cfg = concurrent_cfg(&a)?;
                    let seed = a.num("seed", 1)?;
                    let tries = a.num("tries", 50)?;
                    let (rep, n) = concurrent::repro(seed, &cfg, tries);
                    print!("{}", rep.states);
                    let bad = rep.states.violations();
                    println!(
                        "verdict after {n} run(s) of seed {seed}: {}",
                        if bad == 0 {
                            "ok".to_string()
                        } else {
                            format!("VIOLATION ({bad} states, see above)")
                        }
                    );
                    Ok(bad == 0)
                }
                "fuzz-open" => {
                    let h = a.get("hex").ok_or("hex= missing")?;
                    let bytes: Vec<u8> = (0..h.len() / 2)
                        .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16))
                        .collect::<Result<_, _>>()
                        .map_err(|_| "bad hex")?;
                    let (disk, ro) = walogs_sim::image::image_from_bytes(&bytes);
                    for l in power_loss::describe(&disk) {
                        println!("{l}");
                    }
                    println!("  read-only files: {ro:?}");
                    match walogs_sim::image::check_image(&disk, &ro) {
                        Ok(()) => {
                            println!("verdict: ok");
                            Ok(true)
                        }
                        Err(e) => {
                            println!("verdict: FAILURE: {e}");
                            Ok(false)
                        }
                    }
                }
                other => Err(format!("unknown harness {other:?}")),
            }
        }
        other => Err(format!("unknown command {other:?}")),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = args.split_first() else {
        eprintln!(
            "usage: walogs-sim power-loss|random|faults|concurrent|bitrot|fuzz|known|repro ... (see the crate docs)"
        );
        return ExitCode::from(2);
    };
    match run(cmd, rest) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("walogs-sim: {e}");
            ExitCode::from(2)
        }
    }
}
