//! The process exit codes (design.md §2), in one place.

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: success, no changes, no drift.
    Success = 0,
    /// 1: an error (bad spec, AWS failure, partial apply).
    Error = 1,
    /// 2: changes present (`plan --detailed-exitcode`) or drift found (`drift`).
    Changes = 2,
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        Self::from(exit as u8)
    }
}
