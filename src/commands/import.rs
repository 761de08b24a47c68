//! `trailform import` (design.md §2). Not wired yet: the stages it needs are being built.

use super::CommandError;
use crate::cli::{GlobalArgs, ImportArgs};
use crate::exit::Exit;
use crate::output::Output;

/// Runs `trailform import`.
///
/// # Errors
/// Always, until the command is wired: [`CommandError::NotImplemented`].
pub fn run(_args: &ImportArgs, _global: &GlobalArgs, _out: &Output) -> Result<Exit, CommandError> {
    Err(CommandError::NotImplemented("import"))
}
