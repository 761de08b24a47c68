//! `trailform completions SHELL`: prints the completion script clap_complete generates
//! from the clap definitions in `cli.rs` (so it can never fall behind them).

use clap::CommandFactory;

use super::CommandError;
use crate::cli::{Cli, CompletionsArgs};
use crate::exit::Exit;
use crate::output::Output;

/// Prints the script to stdout.
///
/// # Errors
/// Never; the signature matches the other commands.
pub fn run(args: &CompletionsArgs, out: &Output) -> Result<Exit, CommandError> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "trailform", &mut buf);
    out.out(String::from_utf8_lossy(&buf).trim_end());
    Ok(Exit::Success)
}
