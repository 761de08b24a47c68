//! The command line, as clap definitions only (design.md §2).
//!
//! Owns flag names, defaults and help text. Must not do any work: `commands/` turns
//! these values into calls, so that every flag is documented next to its definition
//! and nowhere else.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The spec file read when `-f` is not given.
pub const DEFAULT_SPEC: &str = "trailform.yaml";

/// Keep AWS CloudTrail configured the same way across every account of an AWS
/// Organization.
///
/// AWS settings (profile, region, credentials, endpoint) come from the standard AWS
/// chain: AWS_PROFILE, AWS_REGION, environment keys, SSO, AWS_ENDPOINT_URL.
#[derive(Debug, Clone, Parser)]
#[command(name = "trailform", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Flags every subcommand accepts.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags common to every subcommand.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Only these accounts (comma-separated 12-digit ids).
    #[arg(long, global = true, value_delimiter = ',', value_name = "ID,...")]
    pub accounts: Vec<String>,
    /// Only these regions (comma-separated names such as us-east-1).
    #[arg(long, global = true, value_delimiter = ',', value_name = "REGION,...")]
    pub regions: Vec<String>,
    /// Most AWS calls in flight at once, across all accounts and regions.
    #[arg(long, global = true, default_value_t = 16, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,
    /// More detail on stderr (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Only errors and the command's own output.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Never colour output (colour is also off when NO_COLOR is set or the output is not a terminal).
    #[arg(long, global = true)]
    pub no_color: bool,
}

/// The subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Check a spec without calling AWS (exit 0 valid, 1 invalid).
    Validate(ValidateArgs),
    /// Show what apply would change (exit 2 with --detailed-exitcode when there are changes).
    Plan(PlanArgs),
    /// Make the organization's trails match the spec, or apply a saved plan.
    Apply(ApplyArgs),
    /// Report where live trails differ from the spec (exit 2 when they do).
    Drift(DriftArgs),
    /// Write a spec describing the trails that exist today (to stdout).
    Import(ImportArgs),
    /// List which accounts and regions each trail of the spec targets.
    Accounts(AccountsArgs),
    /// Print the JSON Schema of the spec.
    Schema,
}

/// The spec file argument shared by the subcommands that read a spec.
#[derive(Debug, Clone, Args)]
pub struct SpecArg {
    /// The spec file.
    #[arg(short = 'f', long = "file", value_name = "SPEC", default_value = DEFAULT_SPEC)]
    pub file: PathBuf,
}

/// `trailform validate`.
#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    /// The spec file.
    #[command(flatten)]
    pub spec: SpecArg,
    /// Treat warnings as errors.
    #[arg(long)]
    pub strict: bool,
}

/// Formats of plan and drift reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Readable text with a diff per attribute.
    #[default]
    Human,
    /// The stable JSON shape of schemas/plan.schema.json.
    Json,
    /// Markdown, for pull request comments.
    Markdown,
}

/// Formats of commands whose output is either for people or for programs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Readable text.
    #[default]
    Human,
    /// JSON.
    Json,
}

/// `trailform plan`.
#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    /// The spec file.
    #[command(flatten)]
    pub spec: SpecArg,
    /// Also save the plan to this file, for `trailform apply PLAN`.
    #[arg(long, value_name = "PLAN")]
    pub out: Option<PathBuf>,
    /// How to print the plan.
    #[arg(long, value_enum, default_value_t)]
    pub format: ReportFormat,
    /// Exit 2 when the plan has changes (0: none, 1: error).
    #[arg(long)]
    pub detailed_exitcode: bool,
}

/// `trailform apply`.
#[derive(Debug, Clone, Args)]
pub struct ApplyArgs {
    /// The spec (default trailform.yaml): planned then applied; with PLAN, the spec the
    /// plan must have been made from.
    #[arg(short = 'f', long = "file", value_name = "SPEC")]
    pub file: Option<PathBuf>,
    /// Apply exactly this saved plan (refused if live state or the spec changed since).
    #[arg(value_name = "PLAN")]
    pub plan: Option<PathBuf>,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long)]
    pub auto_approve: bool,
    /// Allow deleting unmanaged trails (`unmanaged_trails: delete`) and stopping
    /// logging on an organization trail.
    #[arg(long)]
    pub allow_delete: bool,
    /// How to print progress and results.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

/// What `apply` applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplySource {
    /// Plan this spec, then apply it.
    Spec(PathBuf),
    /// Apply this saved plan, made from this spec.
    Plan {
        /// The saved plan.
        plan: PathBuf,
        /// The spec it must have been made from.
        spec: PathBuf,
    },
}

impl ApplyArgs {
    /// The saved plan when one is given, else the spec file (default trailform.yaml).
    #[must_use]
    pub fn source(&self) -> ApplySource {
        let spec = self
            .file
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_SPEC));
        match &self.plan {
            Some(plan) => ApplySource::Plan {
                plan: plan.clone(),
                spec,
            },
            None => ApplySource::Spec(spec),
        }
    }
}

/// `trailform drift`.
#[derive(Debug, Clone, Args)]
pub struct DriftArgs {
    /// The spec file.
    #[command(flatten)]
    pub spec: SpecArg,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t)]
    pub format: ReportFormat,
}

/// `trailform import`: reads the organization (narrowed by the global --accounts and
/// --regions) and prints a spec.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {}

/// `trailform accounts`.
#[derive(Debug, Clone, Args)]
pub struct AccountsArgs {
    /// The spec file.
    #[command(flatten)]
    pub spec: SpecArg,
    /// How to print the targets.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn apply_source() {
        let parse = |args: &[&str]| Cli::try_parse_from(args).map(|c| c.command);
        let Ok(Command::Apply(a)) = parse(&["trailform", "apply", "saved.plan"]) else {
            panic!("parse")
        };
        assert_eq!(
            a.source(),
            ApplySource::Plan {
                plan: "saved.plan".into(),
                spec: DEFAULT_SPEC.into()
            }
        );
        let Ok(Command::Apply(a)) = parse(&["trailform", "apply"]) else {
            panic!("parse")
        };
        assert_eq!(a.source(), ApplySource::Spec(DEFAULT_SPEC.into()));
        let Ok(Command::Apply(a)) = parse(&["trailform", "apply", "-f", "x.yaml", "p.plan"]) else {
            panic!("parse")
        };
        assert_eq!(
            a.source(),
            ApplySource::Plan {
                plan: "p.plan".into(),
                spec: "x.yaml".into()
            }
        );
    }

    #[test]
    fn common_flags_anywhere() {
        let cli = Cli::try_parse_from([
            "trailform",
            "plan",
            "--regions",
            "us-east-1,eu-west-1",
            "--concurrency",
            "4",
        ]);
        let Ok(cli) = cli else { panic!("parse") };
        assert_eq!(cli.global.regions, ["us-east-1", "eu-west-1"]);
        assert_eq!(cli.global.concurrency, 4);
        assert!(Cli::try_parse_from(["trailform", "drift", "--concurrency", "0"]).is_err());
    }
}
