//! Loading a saved plan file (`plan --out`) for `apply PLAN`.
//!
//! Owns only the parse and the format check: a tampered, truncated or foreign file is
//! refused with a message that says which. It must not decide whether the plan is
//! still valid against the spec or the live organization (that is `apply`'s
//! staleness check), and it never panics on any input (fuzzed: fuzz/ and
//! tests/fuzz_inputs.rs).

use super::{Plan, PLAN_FORMAT_VERSION};

/// Why a saved plan file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanFileError {
    /// Nothing in the file.
    #[error("the file is empty")]
    Empty,
    /// The JSON ends early.
    #[error("the file is truncated (line {line}, column {column}): {message}")]
    Truncated {
        /// Line where the text ended.
        line: usize,
        /// Column where the text ended.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// Not JSON at all.
    #[error("not a trailform plan: not JSON (line {line}, column {column}: {message})")]
    NotJson {
        /// Line of the first error.
        line: usize,
        /// Column of the first error.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// JSON, but not the shape of a plan (a foreign or hand-edited file).
    #[error("not a trailform plan (line {line}, column {column}: {message})")]
    NotAPlan {
        /// Line of the first mismatch.
        line: usize,
        /// Column of the first mismatch.
        column: usize,
        /// What did not match.
        message: String,
    },
    /// A plan of another format version.
    #[error("plan format version {found} is not supported (this trailform reads version {PLAN_FORMAT_VERSION})")]
    UnsupportedVersion {
        /// The version in the file.
        found: u32,
    },
}

/// Parses the text of a saved plan and checks its format version.
///
/// # Errors
/// [`PlanFileError`] for an empty, truncated, non-JSON or foreign file, or a plan of
/// another format version.
pub fn load_saved(text: &str) -> Result<Plan, PlanFileError> {
    if text.trim().is_empty() {
        return Err(PlanFileError::Empty);
    }
    // The version first, so a plan of another version is named as such rather than
    // as a shape mismatch.
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(text) {
        if let Some(v) = map
            .get("format_version")
            .and_then(serde_json::Value::as_u64)
        {
            if v != u64::from(PLAN_FORMAT_VERSION) {
                return Err(PlanFileError::UnsupportedVersion {
                    found: u32::try_from(v).unwrap_or(u32::MAX),
                });
            }
        }
    }
    let plan: Plan = serde_json::from_str(text).map_err(|e| {
        let (line, column, message) = (e.line(), e.column(), e.to_string());
        match e.classify() {
            serde_json::error::Category::Eof => PlanFileError::Truncated {
                line,
                column,
                message,
            },
            serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
                PlanFileError::NotJson {
                    line,
                    column,
                    message,
                }
            }
            serde_json::error::Category::Data => PlanFileError::NotAPlan {
                line,
                column,
                message,
            },
        }
    })?;
    if plan.format_version != PLAN_FORMAT_VERSION {
        return Err(PlanFileError::UnsupportedVersion {
            found: plan.format_version,
        });
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_say_what_is_wrong() {
        assert_eq!(load_saved("  \n"), Err(PlanFileError::Empty));
        assert!(matches!(
            load_saved("{\"format_version\": 1, \"spec_fin"),
            Err(PlanFileError::Truncated { .. })
        ));
        assert!(matches!(
            load_saved("format_version: 1"),
            Err(PlanFileError::NotJson { .. })
        ));
        assert!(matches!(
            load_saved("{\"format_version\": 1}"),
            Err(PlanFileError::NotAPlan { .. })
        ));
        assert!(matches!(
            load_saved("[1, 2]"),
            Err(PlanFileError::NotAPlan { .. })
        ));
        assert_eq!(
            load_saved("{\"format_version\": 7, \"whatever\": true}"),
            Err(PlanFileError::UnsupportedVersion { found: 7 })
        );
    }
}
