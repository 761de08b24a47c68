//! One file per subcommand: each wires the stages together and holds no logic of its
//! own (cargo's `bin/cargo/commands/*.rs` → `ops`).
//!
//! Owns the dispatch from [`Command`] to a `run` function and the turning of a
//! [`CommandError`] into exit code 1. To wire a subcommand, replace its `run` body; its
//! signature already receives its parsed arguments, the global flags and the output.

mod accounts;
mod apply;
mod common;
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
    /// The spec has errors (already printed, with file:line:column).
    #[error("{file}: invalid spec ({errors} error{s}); nothing was read from AWS", s = if *.errors == 1 { "" } else { "s" })]
    InvalidSpec {
        /// Spec file.
        file: String,
        /// Number of errors.
        errors: usize,
    },
    /// A command-line value is not acceptable.
    #[error("{0}")]
    Usage(String),
    /// The spec names organization objects that do not exist (already printed).
    #[error("the spec names {0} organization object(s) that do not exist")]
    UnknownReferences(usize),
    /// The organization itself could not be listed.
    #[error("could not list the organization: {operation}: {code}: {message}")]
    Organization {
        /// API operation.
        operation: String,
        /// AWS error code.
        code: String,
        /// AWS error message.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A saved plan cannot be used.
    #[error("{0}")]
    Plan(String),
    /// Apply needs confirmation and there is no terminal to ask on.
    #[error("refusing to apply: no terminal to confirm on; review the plan and pass --auto-approve, or apply a saved plan (trailform plan --out PLAN; trailform apply PLAN)")]
    NoTerminal,
    /// The async runtime could not start.
    #[error("could not start the async runtime: {0}")]
    Runtime(std::io::Error),
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
