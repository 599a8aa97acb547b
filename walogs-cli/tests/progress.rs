//! Progress on a terminal: `verify` and `info` show progress while the core's open reads
//! every frame (the longest phase), and never when stderr is no terminal or with `--json`.
//! The terminal is a pseudo-terminal from `script` (util-linux); without it the test prints
//! why and skips.

mod common;

use std::process::Command;

use common::*;

/// The label of the progress bar of the open phase.
const LABEL: &str = "checking frames";

/// Run `walogs ARGS` with stdout and stderr on a pseudo-terminal; returns everything it
/// wrote there, or `None` (after printing why) when `script` is unavailable.
fn on_a_terminal(args: &[&str]) -> Option<String> {
    let line = std::iter::once(bin_path().display().to_string())
        .chain(args.iter().map(|a| format!("'{a}'")))
        .collect::<Vec<_>>()
        .join(" ");
    let out = Command::new("script")
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .env("TERM", "xterm")
        .output();
    match out {
        Ok(o) if o.status.code().is_some() => Some(String::from_utf8_lossy(&o.stdout).into_owned()),
        Ok(o) => panic!("script ended by a signal: {o:?}"),
        Err(e) => {
            eprintln!("SKIPPED: no `script` to make a pseudo-terminal: {e}");
            None
        }
    }
}

#[test]
fn the_open_phase_shows_progress_on_a_terminal_only() {
    let d = tempfile::tempdir().unwrap();
    healthy(d.path());
    for cmd in ["verify", "info"] {
        let Some(tty) = on_a_terminal(&[cmd, p(d.path())]) else {
            return;
        };
        assert!(tty.contains(LABEL), "{cmd} showed no progress: {tty:?}");
        assert!(tty.contains("KiB"), "{cmd}: bytes to check: {tty:?}");
        let quiet = on_a_terminal(&["--json", cmd, p(d.path())]).unwrap();
        assert!(
            !quiet.contains(LABEL),
            "{cmd} --json showed progress: {quiet:?}"
        );
        let piped = walogs(&[cmd, p(d.path())]);
        assert_eq!(piped.code, 0);
        assert!(!piped.stderr.contains(LABEL), "{cmd}: progress into a pipe");
        assert!(!piped.stdout.contains(LABEL));
    }
}
