//! The one place that prints.
//!
//! Owns streams, colour and verbosity: human output to stdout; status, logs and
//! errors to stderr. Colour only when the stream is a terminal, NO_COLOR is unset and
//! `--no-color` was not given. Everything else in the crate returns values or strings
//! and lets this module write them; clippy's `print_stdout`/`print_stderr` lints (at
//! the crate roots) keep it so.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::IsTerminal;

use crate::spec::{Diagnostic, Severity};

/// How much to say on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// `-q`: errors only.
    Quiet,
    /// Default.
    Normal,
    /// `-v` (or more).
    Verbose(u8),
}

/// Writes to the terminal.
#[derive(Debug, Clone)]
pub struct Output {
    color_stdout: bool,
    color_stderr: bool,
    verbosity: Verbosity,
}

impl Output {
    /// Decides colour and verbosity from the flags, NO_COLOR and whether each stream is
    /// a terminal.
    #[must_use]
    pub fn new(no_color: bool, quiet: bool, verbose: u8) -> Self {
        let allowed = !no_color && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let verbosity = match (quiet, verbose) {
            (true, _) => Verbosity::Quiet,
            (false, 0) => Verbosity::Normal,
            (false, n) => Verbosity::Verbose(n),
        };
        Self {
            color_stdout: allowed && std::io::stdout().is_terminal(),
            color_stderr: allowed && std::io::stderr().is_terminal(),
            verbosity,
        }
    }

    /// The chosen verbosity.
    #[must_use]
    pub fn verbosity(&self) -> Verbosity {
        self.verbosity
    }

    /// The command's own output (stdout), verbatim.
    pub fn out(&self, text: &str) {
        println!("{text}");
    }

    /// Status for people (stderr); silent under `-q`.
    pub fn status(&self, text: &str) {
        if self.verbosity > Verbosity::Quiet {
            eprintln!("{text}");
        }
    }

    /// Detail shown at `-v` (level 1) or more.
    pub fn detail(&self, level: u8, text: &str) {
        if matches!(self.verbosity, Verbosity::Verbose(n) if n >= level) {
            eprintln!("{text}");
        }
    }

    /// An error that ends the command (stderr, always).
    pub fn error(&self, text: &str) {
        eprintln!("{}: {text}", paint(self.color_stderr, RED, "error"));
    }

    /// A spec diagnostic, as part of a command's output (stdout).
    pub fn diagnostic(&self, diagnostic: &Diagnostic) {
        println!("{}", render_diagnostic(diagnostic, self.color_stdout));
    }
}

const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const CYAN: &str = "\x1b[36m";

fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("{code}{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

/// A diagnostic as text, the severity coloured when `color`.
#[must_use]
pub fn render_diagnostic(d: &Diagnostic, color: bool) -> String {
    let plain = d.to_string();
    if !color {
        return plain;
    }
    let (word, code) = match d.severity {
        Severity::Error => ("error", RED),
        Severity::Warning => ("warning", YELLOW),
    };
    let head = d.headline().replacen(
        &format!(": {word}: "),
        &format!(": {}: ", paint(true, code, word)),
        1,
    );
    match &d.help {
        Some(help) => format!("{head}\n  {}: {help}", paint(true, CYAN, "help")),
        None => head,
    }
}

impl Output {
    /// A spec diagnostic on stderr (commands whose stdout is a plan or a report).
    pub fn diagnostic_to_stderr(&self, diagnostic: &Diagnostic) {
        if diagnostic.is_error() || self.verbosity > Verbosity::Quiet {
            eprintln!("{}", render_diagnostic(diagnostic, self.color_stderr));
        }
    }

    /// A warning for people (stderr); silent under `-q`.
    pub fn warn(&self, text: &str) {
        if self.verbosity > Verbosity::Quiet {
            eprintln!("{}: {text}", paint(self.color_stderr, YELLOW, "warning"));
        }
    }

    /// Whether colour may be used on stdout.
    #[must_use]
    pub fn color_stdout(&self) -> bool {
        self.color_stdout
    }

    /// A one-line progress display on stderr: live only when stderr is a terminal and
    /// not under `-q`; otherwise it prints nothing at all.
    #[must_use]
    pub fn progress(&self, label: &'static str) -> ProgressLine {
        ProgressLine {
            enabled: self.verbosity > Verbosity::Quiet && std::io::stderr().is_terminal(),
            label,
            last: std::sync::Mutex::new(None),
        }
    }

    /// Asks a yes/no question on the terminal; `None` when there is no terminal to ask on.
    #[must_use]
    pub fn confirm(&self, question: &str) -> Option<bool> {
        use std::io::{BufRead, Write};
        if !std::io::stdin().is_terminal() {
            return None;
        }
        print!("{question} ");
        let _ = std::io::stdout().flush();
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer).ok()?;
        Some(answer.trim() == "yes")
    }
}

/// A progress line on stderr, redrawn at most ten times a second.
#[derive(Debug)]
pub struct ProgressLine {
    enabled: bool,
    label: &'static str,
    last: std::sync::Mutex<Option<std::time::Instant>>,
}

impl ProgressLine {
    /// Redraws the line with `done` of `total` (total unknown while `None`).
    pub fn show(&self, done: usize, total: Option<usize>, force: bool) {
        if !self.enabled {
            return;
        }
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = std::time::Instant::now();
        if !force && last.is_some_and(|t| now.duration_since(t).as_millis() < 100) {
            return;
        }
        *last = Some(now);
        let text = match total {
            Some(total) => {
                let width = 30;
                let filled = (done * width).checked_div(total).unwrap_or(width);
                format!(
                    "{} [{}{}] {done}/{total}",
                    self.label,
                    "#".repeat(filled),
                    "-".repeat(width - filled.min(width))
                )
            }
            None => format!("{} {done}/…", self.label),
        };
        eprint!("\r\x1b[2K{text}");
    }

    /// Clears the line.
    pub fn finish(&self) {
        if self.enabled {
            eprint!("\r\x1b[2K");
        }
    }
}

impl crate::aws::reader::Progress for ProgressLine {
    fn update(&self, p: crate::aws::reader::ReadProgress) {
        let total = p.listing_done.then_some(p.accounts_listed);
        self.show(
            p.accounts_done,
            total,
            p.listing_done && p.accounts_done == p.accounts_listed,
        );
    }
}
