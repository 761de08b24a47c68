//! One file per subcommand: each wires the stages together and holds no logic of its
//! own (cargo's `bin/cargo/commands/*.rs` → `ops`).
//!
//! Owns the dispatch from [`Command`] to a `run` function and the turning of a
//! [`CommandError`] into exit code 1. To wire a subcommand, replace its `run` body; its
//! signature already receives its parsed arguments, the global flags and the output.

mod accounts;
mod apply;
mod drift;
mod import;
mod plan;
mod schema;
mod validate;

use crate::cli::{Cli, Command};
use crate::exit::Exit;
use crate::output::Output;

/// Why a command failed (exit code 1).
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The subcommand exists on the command line but has no implementation yet.
    #[error("`trailform {0}` is not implemented yet")]
    NotImplemented(&'static str),
}

/// Runs the parsed command line and returns the exit code.
#[must_use]
pub fn run(cli: &Cli) -> Exit {
    let g = &cli.global;
    let out = Output::new(g.no_color, g.quiet, g.verbose);
    let result = match &cli.command {
        Command::Validate(args) => validate::run(args, g, &out),
        Command::Plan(args) => plan::run(args, g, &out),
        Command::Apply(args) => apply::run(args, g, &out),
        Command::Drift(args) => drift::run(args, g, &out),
        Command::Import(args) => import::run(args, g, &out),
        Command::Accounts(args) => accounts::run(args, g, &out),
        Command::Schema => schema::run(&out),
    };
    result.unwrap_or_else(|err| {
        out.error(&err.to_string());
        Exit::Error
    })
}
