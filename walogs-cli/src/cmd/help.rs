//! `walogs help [COMMAND]`: the help of walogs or of one command, exactly as
//! `walogs --help` and `walogs COMMAND --help` print it.

use clap::CommandFactory;
use clap::error::ErrorKind;

use crate::cli::{Cli, HelpArgs};
use crate::error::{CliError, EXIT_OK};
use crate::output;

/// Run `help`.
pub fn run(args: &HelpArgs) -> Result<u8, CliError> {
    let mut argv = vec!["walogs"];
    if let Some(name) = &args.command {
        if Cli::command().find_subcommand(name).is_none() {
            return Err(CliError::Usage(format!(
                "no command {name:?}; the commands are info, dump, verify, repair, append, \
                 purge, truncate, user-data, bench, tail, stream-append, cleanup and help"
            )));
        }
        argv.push(name);
    }
    argv.push("--help");
    // Parsing `--help` renders the help the same way the flag itself does.
    let text = match Cli::command().try_get_matches_from(argv) {
        Err(e) if e.kind() == ErrorKind::DisplayHelp => e.render().to_string(),
        Err(e) => return Err(CliError::Usage(e.to_string())),
        Ok(_) => String::new(),
    };
    output::finish(output::text(&text), EXIT_OK)
}
