//! Progress bars (indicatif) for long work, drawn on stderr only when it is a terminal and
//! the output is not JSON, so scripts and pipes never see them.

use std::io::IsTerminal;

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
        "{msg:>12} [{bar:40.cyan/blue}] {human_pos}/{human_len} entries, eta {eta}",
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
