//! A message about a spec file that points at the place it is about.
//!
//! Owns the `Diagnostic` value and its one-line rendering
//! (`file:line:column: severity: path: message`). Colour and choice of stream belong to
//! the binary's output module, not here.

use std::fmt;

use serde::Serialize;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The spec cannot be used (or, under `--strict`, a warning promoted to an error).
    Error,
    /// The spec works but is probably not what its author wants.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Error => "error",
            Self::Warning => "warning",
        })
    }
}

/// One error or warning about a spec, located at a line and column of its file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The spec file as the user named it.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// The field path, e.g. `trails.org-audit.data_events[0].resource_type`; empty for
    /// the file as a whole.
    pub path: String,
    /// What is wrong, and what is allowed.
    pub message: String,
    /// How to fix it, when there is more to say than the message.
    pub help: Option<String>,
}

impl Diagnostic {
    /// Adds a help line.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Whether this is an error.
    #[must_use]
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The first line, without the help: `file:line:col: severity: path: message`.
    #[must_use]
    pub fn headline(&self) -> String {
        if self.path.is_empty() {
            format!(
                "{}:{}:{}: {}: {}",
                self.file, self.line, self.column, self.severity, self.message
            )
        } else {
            format!(
                "{}:{}:{}: {}: {}: {}",
                self.file, self.line, self.column, self.severity, self.path, self.message
            )
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.headline())?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// Sorts diagnostics by position, errors before warnings at the same place.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (a.line, a.column, a.severity, &a.path, &a.message)
            .cmp(&(b.line, b.column, b.severity, &b.path, &b.message))
    });
}
