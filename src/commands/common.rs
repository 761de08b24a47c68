//! Wiring shared by the commands that talk to AWS: loading the spec (errors stop the
//! command before any AWS call), the one tokio runtime, the AWS context from the
//! command line, and the read → resolve → diff sequence behind `plan`, `apply` and
//! `drift`. Holds no decisions of its own.

use std::collections::BTreeSet;
use std::path::Path;

use super::CommandError;
use crate::aws::reader::{read_live, DetailPolicy};
use crate::aws::{AwsContext, AwsSettings};
use crate::cli::GlobalArgs;
use crate::live::{LiveState, ReadFailure};
use crate::normalize::DesiredContext;
use crate::org::{Narrowing, Resolution};
use crate::output::Output;
use crate::plan::{diff, DiffOptions, Plan};
use crate::spec::limits::{is_known_region, REGIONS};
use crate::spec::{check_file, LoadedSpec, Spec};

/// Parses and validates the spec; prints its diagnostics on stderr. Errors end the
/// command here, before any AWS call.
pub(super) fn load_spec(path: &Path, out: &Output) -> Result<LoadedSpec, CommandError> {
    let checked = check_file(path);
    for d in &checked.diagnostics {
        out.diagnostic_to_stderr(d);
    }
    let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
    match checked.spec {
        Some(spec) if errors == 0 => Ok(spec),
        _ => Err(CommandError::InvalidSpec {
            file: path.display().to_string(),
            errors: errors.max(1),
        }),
    }
}

/// The one multi-threaded runtime of a command.
pub(super) fn runtime() -> Result<tokio::runtime::Runtime, CommandError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CommandError::Runtime)
}

/// Retries and the concurrency limit from the command line.
///
/// The attempts per call are trailform's default (8) unless `AWS_MAX_ATTEMPTS`, the
/// standard AWS variable, says otherwise: trailform sets its retry configuration
/// explicitly, which would otherwise mask the variable. A value that is not a whole
/// number of at least 1 is ignored, as the SDK would reject it.
pub(super) fn settings(global: &GlobalArgs) -> AwsSettings {
    let defaults = AwsSettings::default();
    AwsSettings {
        concurrency: usize::from(global.concurrency),
        max_attempts: max_attempts(std::env::var("AWS_MAX_ATTEMPTS").ok().as_deref())
            .unwrap_or(defaults.max_attempts),
        ..defaults
    }
}

/// `AWS_MAX_ATTEMPTS` when it is a whole number from 1 to 100.
fn max_attempts(value: Option<&str>) -> Option<u32> {
    value
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|n| (1..=100).contains(n))
}

/// `--accounts` / `--regions`, checked before any AWS call.
pub(super) fn narrowing(global: &GlobalArgs) -> Result<Narrowing, CommandError> {
    for id in &global.accounts {
        if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CommandError::Usage(format!(
                "--accounts: `{id}` is not an account id (12 digits)"
            )));
        }
    }
    for region in &global.regions {
        if !is_known_region(region) {
            return Err(CommandError::Usage(format!(
                "--regions: `{region}` is not a known region name"
            )));
        }
    }
    let set = |v: &[String]| (!v.is_empty()).then(|| v.iter().cloned().collect::<BTreeSet<_>>());
    Ok(Narrowing {
        accounts: set(&global.accounts),
        regions: set(&global.regions),
    })
}

/// The ARN partition of the spec's regions (`aws` unless they are all in another).
pub(super) fn partition(spec: &Spec) -> String {
    let first = spec
        .organization
        .regions
        .iter()
        .chain(spec.trails.values().filter_map(|t| t.home_region.as_ref()))
        .chain(
            spec.trails
                .values()
                .flat_map(|t| t.regions.iter().flatten()),
        )
        .next();
    first
        .and_then(|r| REGIONS.iter().find(|(name, _)| name == r))
        .map_or("aws", |(_, p)| p)
        .to_owned()
}

/// How the spec's trails are diffed (the partition of its regions).
pub(super) fn diff_options(spec: &Spec) -> DiffOptions {
    DiffOptions {
        context: DesiredContext {
            partition: partition(spec),
            ..DesiredContext::default()
        },
    }
}

/// Prints target-resolution errors at their spec locations.
pub(super) fn check_resolution(
    loaded: &LoadedSpec,
    resolution: &Resolution,
    out: &Output,
) -> Result<(), CommandError> {
    for e in &resolution.errors {
        out.diagnostic_to_stderr(&loaded.error(&e.path, &e.message));
    }
    if resolution.errors.is_empty() {
        Ok(())
    } else {
        Err(CommandError::UnknownReferences(resolution.errors.len()))
    }
}

/// An Organizations failure that left no organization to work on.
pub(super) fn organization_failure(live: &LiveState) -> Option<CommandError> {
    if !live.org.management_account_id.is_empty() {
        return None;
    }
    let f = live.failures.first()?;
    Some(CommandError::Organization {
        operation: f.operation.clone(),
        code: f.code.clone(),
        message: f.message.clone(),
    })
}

/// A failure of the organization walk (a root or OU whose accounts or child OUs could
/// not be listed), which leaves the listing incomplete.
pub(super) fn listing_failure(failures: &[ReadFailure]) -> Option<CommandError> {
    let f = failures.iter().find(|f| f.ou.is_some())?;
    Some(CommandError::Organization {
        operation: f.operation.clone(),
        code: f.code.clone(),
        message: format!(
            "{} (listing {})",
            f.message,
            f.ou.as_deref().unwrap_or_default()
        ),
    })
}

/// One line for a read failure: account, region, trail, operation, code and message.
pub(super) fn describe_failure(f: &ReadFailure) -> String {
    let mut place = if f.account_id.is_empty() {
        "organization".to_owned()
    } else {
        format!("account {}", f.account_id)
    };
    if let Some(r) = &f.region {
        place.push_str(&format!(" region {r}"));
    }
    if let Some(t) = &f.trail {
        place.push_str(&format!(" trail {t}"));
    }
    // An Organizations listing names the parent it was listing and what that costs.
    let (listing, missing) = f.ou.as_ref().map_or_else(Default::default, |ou| {
        (
            format!("listing {ou}: "),
            format!(" (accounts under {ou} may be missing)"),
        )
    });
    format!(
        "{place}: {listing}{}: {}: {}{missing}",
        f.operation, f.code, f.message
    )
}

/// What `plan`, `apply` and `drift` compute: the live state, the targets and the plan.
pub(super) struct Planned {
    pub(super) live: LiveState,
    pub(super) plan: Plan,
}

/// Reads the organization, resolves the targets and diffs: the plan.
pub(super) async fn compute_plan(
    ctx: &AwsContext,
    loaded: &LoadedSpec,
    narrow: &Narrowing,
    out: &Output,
) -> Result<Planned, CommandError> {
    let spec = &loaded.spec;
    let progress = out.progress("Reading the organization");
    let (live, resolution) = read_live(ctx, spec, narrow, DetailPolicy::Managed, &progress).await;
    progress.finish();
    if let Some(e) = organization_failure(&live) {
        return Err(e);
    }
    if !resolution.errors.is_empty() {
        if let Some(e) = listing_failure(&live.failures) {
            // An OU or account the spec names may be missing only because the listing
            // that would have found it failed: say that, not "does not exist".
            return Err(e);
        }
    }
    check_resolution(loaded, &resolution, out)?;
    let plan = diff(spec, &resolution.targets, &live, &diff_options(spec));
    Ok(Planned { live, plan })
}

/// Prints every read failure and a line saying what they mean for `what` (the plan,
/// the audit); true when there were any (the command then exits 1).
pub(super) fn report_read_failures(live: &LiveState, what: &str, out: &Output) -> bool {
    if live.failures.is_empty() {
        return false;
    }
    for f in &live.failures {
        out.error(&describe_failure(f));
    }
    out.error(&format!(
        "{} read(s) failed: {what} does not cover what could not be read; re-run to finish",
        live.failures.len()
    ));
    true
}

#[cfg(test)]
mod tests {
    use super::max_attempts;

    #[test]
    fn aws_max_attempts_is_honoured_only_when_sane() {
        assert_eq!(max_attempts(Some("1")), Some(1));
        assert_eq!(max_attempts(Some(" 3 ")), Some(3));
        assert_eq!(max_attempts(Some("0")), None);
        assert_eq!(max_attempts(Some("many")), None);
        assert_eq!(max_attempts(Some("1000")), None);
        assert_eq!(max_attempts(None), None);
    }
}
