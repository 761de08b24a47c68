//! `trailform accounts` (design.md §2). Not wired yet: the stages it needs are being built.

use super::CommandError;
use crate::cli::{AccountsArgs, GlobalArgs};
use crate::exit::Exit;
use crate::output::Output;

/// Runs `trailform accounts`.
///
/// # Errors
/// Always, until the command is wired: [`CommandError::NotImplemented`].
pub fn run(
    _args: &AccountsArgs,
    _global: &GlobalArgs,
    _out: &Output,
) -> Result<Exit, CommandError> {
    Err(CommandError::NotImplemented("accounts"))
}
