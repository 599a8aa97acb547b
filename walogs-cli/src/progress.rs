//! Progress bars (indicatif) for long work, drawn on stderr only when it is a terminal and
//! the output is not JSON, so scripts and pipes never see them.

use std::io::IsTerminal;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// Whether bars may be drawn: stderr is a terminal and `json` is off.
fn visible(json: bool) -> bool {
    !json && std::io::stderr().is_terminal()
}

/// A bar counting `len` units of work, labelled `msg`; hidden when not visible. Costs
/// nothing measurable: indicatif redraws at most ~20 times a second.
pub fn bar(len: u64, json: bool, msg: &'static str) -> ProgressBar {
    if !visible(json) {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(
        "{msg:>12} [{wide_bar:.cyan/blue}] {human_pos}/{human_len} entries, eta {eta}",
    ) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(msg);
    pb
}

/// A bar over a fixed time, in milliseconds, for measurements that run for a duration.
pub fn timed(millis: u64, json: bool, msg: String) -> ProgressBar {
    if !visible(json) {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(millis);
    if let Ok(style) = ProgressStyle::with_template("{msg:<40} [{bar:30.green/white}] {elapsed}") {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(msg);
    pb
}

/// Progress of work done inside one call that reads about `total` bytes (the core's open,
/// which reads every frame): a bar fed by the bytes this process has read so far (`rchar`
/// of `/proc/self/io`, sampled ten times a second by a helper thread), or, where that file
/// cannot be read, a spinner with the elapsed time. Hidden like the other bars; then it
/// costs nothing (no thread).
pub struct ReadProgress {
    pb: ProgressBar,
    ticker: Option<(mpsc::Sender<()>, thread::JoinHandle<()>)>,
}

impl ReadProgress {
    /// Start showing progress of reading `total` bytes, labelled `msg`.
    pub fn start(total: u64, json: bool, msg: &'static str) -> ReadProgress {
        if !visible(json) {
            return ReadProgress {
                pb: ProgressBar::hidden(),
                ticker: None,
            };
        }
        let Some(start) = bytes_read() else {
            let pb = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
                pb.set_style(style);
            }
            pb.set_message(format!("{msg} ({})", crate::output::bytes(total)));
            pb.enable_steady_tick(Duration::from_millis(100));
            return ReadProgress { pb, ticker: None };
        };
        let pb = ProgressBar::new(total);
        if let Ok(style) = ProgressStyle::with_template(
            "{msg} [{wide_bar:.cyan/blue}] {bytes}/{total_bytes}, {elapsed}",
        ) {
            pb.set_style(style.progress_chars("=> "));
        }
        pb.set_message(msg);
        pb.tick();
        let (stop, stopped) = mpsc::channel::<()>();
        let bar = pb.clone();
        let handle = thread::spawn(move || {
            while let Err(mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(Duration::from_millis(100))
            {
                if let Some(now) = bytes_read() {
                    bar.set_position(now.saturating_sub(start).min(total));
                }
            }
        });
        ReadProgress {
            pb,
            ticker: Some((stop, handle)),
        }
    }

    /// Stop and erase the progress line.
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some((stop, handle)) = self.ticker.take() {
            drop(stop);
            let _ = handle.join();
        }
        self.pb.finish_and_clear();
    }
}

impl Drop for ReadProgress {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Bytes this process has read through `read`-family calls (`rchar` in `/proc/self/io`).
fn bytes_read() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/io").ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("rchar:"))
        .and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_counted() {
        let before = bytes_read().expect("/proc/self/io");
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        std::fs::write(&p, vec![1u8; 1 << 16]).unwrap();
        assert_eq!(std::fs::read(&p).unwrap().len(), 1 << 16);
        assert!(bytes_read().unwrap() >= before + (1 << 16));
    }
}
