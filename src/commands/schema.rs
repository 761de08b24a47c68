//! `trailform schema`: prints the spec's JSON Schema.

use super::CommandError;
use crate::exit::Exit;
use crate::output::Output;

/// Prints the schema to stdout.
///
/// # Errors
/// Never; the signature matches the other commands.
pub fn run(out: &Output) -> Result<Exit, CommandError> {
    out.out(crate::spec::json_schema().trim_end());
    Ok(Exit::Success)
}
