//! Command-line parsing (a handful of flags, no dependency).

use std::path::PathBuf;
use std::time::Duration;

use crate::error::{BenchError, Result};

/// The name of the hidden subcommand the benchmark re-executes itself with to measure a read
/// pass and its peak memory in a fresh process.
pub const CHILD_SUBCOMMAND: &str = "__read-pass";

/// The name of the hidden subcommand that runs one peer measurement in a fresh process (for
/// peers that keep process-global state); its arguments are parsed by
/// [`crate::peers::child_main`].
pub const PEER_SUBCOMMAND: &str = "__peer";

/// Usage text printed by `--help`.
pub const USAGE: &str = "\
walogs-bench: walogs-core vs raw write+fdatasync baselines, walogs 0.1, okaywal, nano-wal,
walrus-rust and raft-engine, one run, one disk

USAGE: walogs-bench [--quick] [--dir PATH] [--seconds S] [--rounds N] [--log-mib N]
                    [--entry-size BYTES] [--keep] [--only KEYS] [--plot PATH] [--streams-only]
                    [--points-only]

  --quick            tiny sizes for a smoke test (0.05 s rounds, 1 round, 16 MiB log)
  --dir PATH         put the files under PATH (default: <repo>/target/walogs-bench)
  --seconds S        length of one timed round of each write measurement (default 0.5)
  --rounds N         rounds of each write measurement, interleaved; the median is shown (default 5)
  --log-mib N        size of the log for the read measurements in MiB (default 1024)
  --entry-size BYTES payload size of each entry of that log (default 1024)
  --keep             keep the files instead of deleting them at the end
  --only KEYS        run only the write cases whose key starts with one of the comma-separated
                     KEYS (e.g. core.group,raw.group), print their table and stop (for profiling)
  --plot PATH        where to write the SVG plot of durable append throughput vs threads
                     (default: <repo>/target/bench/throughput.svg)
  --streams-only     run only the streams section (its write block, the consumer batch reads
                     of a log of --log-mib/4 MiB, at most 256) and print its targets
  --points-only      run only the point reads (the read log, read(lsn) vs raw pread, and both
                     beside 8 durable appenders, walogs and raw) and print their targets
";

/// Settings of a benchmark run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunArgs {
    /// Parent directory for the run's scratch directory.
    pub dir: Option<PathBuf>,
    /// Length of one timed round.
    pub round: Duration,
    /// Rounds per write measurement.
    pub rounds: usize,
    /// Size of the read-measurement log in MiB.
    pub log_mib: u64,
    /// Payload size of the entries of that log.
    pub entry_size: usize,
    /// Whether this is the scaled-down smoke run.
    pub quick: bool,
    /// Keep the scratch directory.
    pub keep: bool,
    /// Key prefixes of the only write cases to run (empty: everything).
    pub only: Vec<String>,
    /// Where the throughput plot goes (`None`: the default path).
    pub plot: Option<PathBuf>,
    /// Run only the streams section.
    pub streams_only: bool,
    /// Run only the point reads.
    pub points_only: bool,
}

/// What one read pass in the child process does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadMode {
    /// Raw sequential `read(2)` of every segment file.
    Raw,
    /// `Wal::open` + `cursor_from(first)` (borrowed entries).
    Cursor,
    /// `Wal::open` + `iter()` (one `Vec` per entry).
    Iter,
    /// Nothing: the process baseline.
    Idle,
}

impl ReadMode {
    /// The word used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            ReadMode::Raw => "raw",
            ReadMode::Cursor => "cursor",
            ReadMode::Iter => "iter",
            ReadMode::Idle => "idle",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "raw" => Ok(ReadMode::Raw),
            "cursor" => Ok(ReadMode::Cursor),
            "iter" => Ok(ReadMode::Iter),
            "idle" => Ok(ReadMode::Idle),
            other => Err(BenchError::Args(format!("unknown read mode {other:?}"))),
        }
    }
}

/// What the process was asked to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Print the usage and exit.
    Help,
    /// Run the benchmark.
    Run(RunArgs),
    /// (Hidden) one read pass over the log in `dir`, printing one result line.
    ReadPass {
        /// The mode of the pass.
        mode: ReadMode,
        /// The WAL directory.
        dir: PathBuf,
    },
    /// (Hidden) one peer measurement; the arguments after the subcommand.
    Peer(Vec<String>),
}

fn value<'a>(it: &mut impl Iterator<Item = &'a String>, flag: &str) -> Result<&'a str> {
    it.next()
        .map(String::as_str)
        .ok_or_else(|| BenchError::Args(format!("{flag} needs a value")))
}

fn number<T: std::str::FromStr>(s: &str, flag: &str) -> Result<T> {
    s.parse()
        .map_err(|_| BenchError::Args(format!("{flag}: {s:?} is not a valid number")))
}

/// Parse the arguments after the program name. Flags may come in any order; `--quick`
/// changes the defaults, and explicit flags override them.
pub fn parse(args: &[String]) -> Result<Command> {
    if args.first().map(String::as_str) == Some(CHILD_SUBCOMMAND) {
        let [_, mode, dir] = args else {
            return Err(BenchError::Args(format!(
                "{CHILD_SUBCOMMAND} takes MODE DIR"
            )));
        };
        return Ok(Command::ReadPass {
            mode: ReadMode::parse(mode)?,
            dir: PathBuf::from(dir),
        });
    }
    if args.first().map(String::as_str) == Some(PEER_SUBCOMMAND) {
        return Ok(Command::Peer(args[1..].to_vec()));
    }
    let quick = args.iter().any(|a| a == "--quick");
    let mut run = RunArgs {
        dir: None,
        round: Duration::from_millis(if quick { 50 } else { 500 }),
        rounds: if quick { 1 } else { 5 },
        log_mib: if quick { 16 } else { 1024 },
        entry_size: 1024,
        quick,
        keep: false,
        only: Vec::new(),
        plot: None,
        streams_only: false,
        points_only: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--quick" => {}
            "--keep" => run.keep = true,
            "--streams-only" => run.streams_only = true,
            "--points-only" => run.points_only = true,
            "--dir" => run.dir = Some(PathBuf::from(value(&mut it, a)?)),
            "--plot" => run.plot = Some(PathBuf::from(value(&mut it, a)?)),
            "--seconds" => {
                let s: f64 = number(value(&mut it, a)?, a)?;
                if !(0.001..=600.0).contains(&s) {
                    return Err(BenchError::Args(format!(
                        "--seconds must be between 0.001 and 600, got {s}"
                    )));
                }
                run.round = Duration::from_secs_f64(s);
            }
            "--rounds" => run.rounds = number(value(&mut it, a)?, a)?,
            "--log-mib" => run.log_mib = number(value(&mut it, a)?, a)?,
            "--entry-size" => run.entry_size = number(value(&mut it, a)?, a)?,
            "--only" => {
                run.only = value(&mut it, a)?
                    .split(',')
                    .filter(|k| !k.is_empty())
                    .map(str::to_string)
                    .collect();
                if run.only.is_empty() {
                    return Err(BenchError::Args("--only needs at least one key".into()));
                }
            }
            other => return Err(BenchError::Args(format!("unknown argument {other:?}"))),
        }
    }
    if run.points_only && (run.streams_only || !run.only.is_empty()) {
        return Err(BenchError::Args(
            "--points-only runs no write case and no streams section: it excludes --only and --streams-only".into(),
        ));
    }
    if run.rounds == 0 {
        return Err(BenchError::Args("--rounds must be at least 1".into()));
    }
    if run.log_mib == 0 {
        return Err(BenchError::Args("--log-mib must be at least 1".into()));
    }
    if run.entry_size == 0 || run.entry_size > walogs_core::MAX_ENTRY_SIZE {
        return Err(BenchError::Args(format!(
            "--entry-size must be between 1 and {}",
            walogs_core::MAX_ENTRY_SIZE
        )));
    }
    Ok(Command::Run(run))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Command> {
        parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    fn run(args: &[&str]) -> RunArgs {
        match p(args) {
            Ok(Command::Run(r)) => r,
            other => panic!("expected a run, got {other:?}"),
        }
    }

    #[test]
    fn defaults_and_quick() {
        let full = run(&[]);
        assert_eq!(full.rounds, 5);
        assert_eq!(full.log_mib, 1024);
        assert_eq!(full.round, Duration::from_millis(500));
        assert!(!full.quick);
        let quick = run(&["--quick"]);
        assert!(quick.quick);
        assert_eq!(quick.rounds, 1);
        assert_eq!(quick.log_mib, 16);
        assert_eq!(quick.round, Duration::from_millis(50));
    }

    #[test]
    fn explicit_flags_override_quick_in_any_order() {
        let r = run(&[
            "--log-mib",
            "4",
            "--quick",
            "--rounds",
            "2",
            "--dir",
            "/x",
            "--keep",
        ]);
        assert_eq!(r.log_mib, 4);
        assert_eq!(r.rounds, 2);
        assert_eq!(r.dir, Some(PathBuf::from("/x")));
        assert!(r.keep && r.quick);
        assert_eq!(
            run(&["--seconds", "0.25"]).round,
            Duration::from_millis(250)
        );
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        for bad in [
            &["--rounds"][..],
            &["--rounds", "x"],
            &["--rounds", "0"],
            &["--seconds", "-1"],
            &["--seconds", "nan"],
            &["--entry-size", "0"],
            &["--entry-size", "99999999999"],
            &["--frobnicate"],
            &["--only", ","],
            &["--plot"],
            &["--points-only", "--streams-only"],
            &["--only", "core.group", "--points-only"],
            &[CHILD_SUBCOMMAND, "raw"],
            &[CHILD_SUBCOMMAND, "sideways", "/d"],
        ] {
            assert!(matches!(p(bad), Err(BenchError::Args(_))), "{bad:?}");
        }
    }

    #[test]
    fn child_subcommand() {
        assert_eq!(
            p(&[CHILD_SUBCOMMAND, "cursor", "/d"]).unwrap(),
            Command::ReadPass {
                mode: ReadMode::Cursor,
                dir: PathBuf::from("/d")
            }
        );
        assert_eq!(p(&["--help"]).unwrap(), Command::Help);
        assert_eq!(
            p(&[PEER_SUBCOMMAND, "walrus-write", "/d"]).unwrap(),
            Command::Peer(vec!["walrus-write".into(), "/d".into()])
        );
        assert_eq!(
            run(&["--plot", "/tmp/p.svg"]).plot,
            Some(PathBuf::from("/tmp/p.svg"))
        );
        assert!(run(&["--streams-only", "--quick"]).streams_only);
        assert!(!run(&["--quick"]).streams_only);
        assert!(run(&["--points-only"]).points_only);
        assert!(!run(&["--quick"]).points_only);
    }
}
