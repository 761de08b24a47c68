//! `trailform apply` (design.md §2). Not wired yet: the stages it needs are being built.

use super::CommandError;
use crate::cli::{ApplyArgs, GlobalArgs};
use crate::exit::Exit;
use crate::output::Output;

/// Runs `trailform apply`.
///
/// # Errors
/// Always, until the command is wired: [`CommandError::NotImplemented`].
pub fn run(_args: &ApplyArgs, _global: &GlobalArgs, _out: &Output) -> Result<Exit, CommandError> {
    Err(CommandError::NotImplemented("apply"))
}
