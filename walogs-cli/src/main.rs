//! `walogs`: the command-line tool of the walogs write-ahead log.
//!
//! `info`, `dump`, `verify` and `tail` open the log read-only (no lock, nothing changed on
//! disk, read access is enough) and work while another process writes to it; `repair`,
//! `append`, `purge`, `truncate`, `user-data --set`, `stream-append` and `cleanup` take the
//! write lock. `tail`, `stream-append` and `cleanup` work on walogs-streams stores (topics of
//! records on one log). Exit status: 0 ok/clean, 1 usage or I/O
//! error, 2 torn tail (verify), 3 corruption, 4 locked, 5 no walogs log in the directory,
//! 6 an entry walogs refuses to touch (a link, FIFO, ... under a walogs file name).
//! `--json` prints machine-readable output on stdout. A closed stdout ends any command
//! quietly. Every file in the WAL directory is read the way the core reads it (no link
//! followed, no blocking open), and every I/O error names its file.

mod before_damage;
mod cli;
mod cmd;
mod damage;
mod error;
mod frames;
mod layout;
mod output;
mod pattern;
mod progress;
mod records;
mod signals;
mod store;
mod tail;
mod wal_dir;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use cli::{Cli, Command, DumpFormat};
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
    // `dump --format json` ends with a JSON error object too, after the entries it printed.
    let json_errors =
        json || matches!(&cli.command, Command::Dump(a) if a.format == DumpFormat::Json);
    let result = match &cli.command {
        Command::Info(a) => cmd::info::run(a, json),
        Command::Dump(a) => cmd::dump::run(a, json),
        Command::Verify(a) => cmd::verify::run(a, json),
        Command::Repair(a) => cmd::repair::run(a, json),
        Command::Append(a) => cmd::append::run(a, json),
        Command::Purge(a) => cmd::purge::run(a, json),
        Command::Truncate(a) => cmd::truncate::run(a, json),
        Command::UserData(a) => cmd::user_data::run(a, json),
        Command::Bench(a) => cmd::bench::run(a, json),
        Command::Tail(a) => cmd::stream_tail::run(a, json),
        Command::StreamAppend(a) => cmd::stream_append::run(a, json),
        Command::Cleanup(a) => cmd::cleanup::run(a, json),
        Command::Help(a) => cmd::help::run(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            report(&e, json_errors);
            ExitCode::from(e.exit_code())
        }
    }
}

/// Print an error: a JSON object on stdout with `json` (so scripts read one stream), plus
/// the human message on stderr either way. A closed stdout is no error to report; failures
/// to print the report itself are ignored (there is nowhere left to say them).
fn report(e: &CliError, json: bool) {
    if let CliError::StdoutClosed = e {
        return;
    }
    if json {
        let v = serde_json::json!({ "error": e.to_json() });
        let _ = writeln!(std::io::stdout().lock(), "{v}");
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "walogs: {e}");
    if let CliError::Wal(walogs_core::WalError::Locked { path }) = e
        && let Ok(Some(pid)) = walogs_core::lock_holder(path)
    {
        let _ = writeln!(err, "walogs: the lock is held by pid {pid}");
    }
}
