//! The `trailform` binary: parse the command line, run it, exit with its code.
#![warn(clippy::print_stdout, clippy::print_stderr)]

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = trailform::cli::Cli::parse();
    trailform::commands::run(&cli).into()
}
