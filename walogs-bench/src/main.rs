//! walogs-bench: measures walogs-core against raw `write`/`pwrite` + `fdatasync` baselines,
//! a raw group commit, the published walogs 0.1 crate, okaywal, nano-wal, walrus-rust and
//! raft-engine, and walogs-streams (many topics, consumer batch reads) against walrus-rust,
//! nano-wal and one walogs-core log, in one run on one disk, and prints the figures, the
//! ratios and the targets (PASS/MISS), and writes an SVG plot of durable append throughput
//! against threads.
//!
//! `cargo run --release -p walogs-bench` for the full run (a few minutes, ~1.2 GiB of
//! scratch space under `target/walogs-bench`), `--quick` for a smoke run, `--help` for flags.

mod args;
mod bench;
mod biglog;
mod child;
mod cold;
mod core_cases;
mod error;
mod memory;
mod peers;
mod plot;
mod pointreads;
mod proto_group;
mod raw_cases;
mod raw_group;
mod rawio;
mod rawmap;
mod readpass;
mod report;
mod stats;
mod streams_cases;
mod streams_reads;
mod streams_report;
mod timing;
mod wait_lock;
mod workdir;
mod write_suite;
mod zero_ahead;

use std::process::ExitCode;

use args::Command;

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let result = match args::parse(&argv) {
        Ok(Command::Help) => {
            print!("{}", args::USAGE);
            Ok(())
        }
        Ok(Command::Run(run)) => bench::run(&run),
        Ok(Command::ReadPass { mode, dir }) => readpass::child_main(mode, &dir),
        Ok(Command::Peer(args)) => peers::child_main(&args),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("walogs-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
