//! `walogs`: the command-line tool of the walogs write-ahead log.
//!
//! `info`, `dump`, `verify` open the log read-only (no lock, nothing changed on disk) and
//! work while another process writes to it; `repair` and `append` take the write lock.
//! Exit status: 0 ok/clean, 1 usage or I/O error, 2 torn tail (verify), 3 corruption,
//! 4 locked. `--json` prints machine-readable output on stdout.

mod cli;
mod cmd;
mod error;
mod layout;
mod open;
mod output;
mod pattern;
mod progress;
mod tail;

use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use cli::{Cli, Command};
use error::{CliError, EXIT_FAILURE, EXIT_OK};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            let code = match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => EXIT_OK,
                _ => EXIT_FAILURE,
            };
            return ExitCode::from(code);
        }
    };
    let json = cli.json;
    let result = match &cli.command {
        Command::Info(a) => cmd::info::run(a, json),
        Command::Dump(a) => cmd::dump::run(a, json),
        Command::Verify(a) => cmd::verify::run(a, json),
        Command::Repair(a) => cmd::repair::run(a, json),
        Command::Append(a) => cmd::append::run(a, json),
        Command::Bench(a) => cmd::bench::run(a, json),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            report(&e, json);
            ExitCode::from(e.exit_code())
        }
    }
}

/// Print an error: a JSON object on stdout with `--json` (so scripts read one stream),
/// plus the human message on stderr either way.
fn report(e: &CliError, json: bool) {
    if json {
        let v = serde_json::json!({ "error": e.to_json() });
        println!("{v}");
    }
    eprintln!("walogs: {e}");
    if let CliError::Wal(walogs_core::WalError::Locked { path }) = e
        && let Ok(Some(pid)) = walogs_core::lock_holder(path)
    {
        eprintln!("walogs: the lock is held by pid {pid}");
    }
}
