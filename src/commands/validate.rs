//! `trailform validate`: parse and check a spec, print every diagnostic and a summary.

use super::CommandError;
use crate::cli::{GlobalArgs, ValidateArgs};
use crate::exit::Exit;
use crate::output::Output;
use crate::spec::{check_file, Severity};

/// Exit 0 when the spec is valid, 1 when it has errors (warnings count as errors under
/// `--strict`).
///
/// # Errors
/// Never: an unreadable file is reported as a diagnostic.
pub fn run(args: &ValidateArgs, _global: &GlobalArgs, out: &Output) -> Result<Exit, CommandError> {
    let file = args.spec.file.display().to_string();
    let mut diagnostics = check_file(&args.spec.file).diagnostics;
    if args.strict {
        for d in &mut diagnostics {
            d.severity = Severity::Error;
        }
    }
    for d in &diagnostics {
        out.diagnostic(d);
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if errors == 0 {
        out.out(&format!("{file}: valid ({})", plural(warnings, "warning")));
        Ok(Exit::Success)
    } else {
        let strict = if args.strict {
            " (--strict: warnings count as errors)"
        } else {
            ""
        };
        out.out(&format!(
            "{file}: invalid: {}, {}{strict}",
            plural(errors, "error"),
            plural(warnings, "warning")
        ));
        Ok(Exit::Error)
    }
}
