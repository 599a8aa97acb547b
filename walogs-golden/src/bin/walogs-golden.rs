//! Write the golden vectors: `walogs-golden [OUT_DIR]` (default: the repository's
//! `tests/golden`). Each vector's directory is replaced; other files are left alone.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let out = std::env::args_os()
        .nth(1)
        .map_or_else(walogs_golden::golden_dir, PathBuf::from);
    match walogs_golden::generate(&out) {
        Ok(()) => {
            println!(
                "wrote {} vectors into {}",
                walogs_golden::RECIPES.len(),
                out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("walogs-golden: {e}");
            ExitCode::FAILURE
        }
    }
}
