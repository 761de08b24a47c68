//! `trailform apply` (design.md §2, §4): plan then apply a spec (asking first unless
//! `--auto-approve`), or apply exactly a saved plan after checking it is not stale.

use std::path::Path;
use std::sync::Arc;

use super::common::{
    compute_plan, describe_failure, diff_options, load_spec, narrowing, runtime, settings,
};
use super::CommandError;
use crate::apply::{
    apply, ApplyOptions, ApplyProgress, ApplyReport, AwsWriter, CallOutcome, TargetReport,
    TargetStatus,
};
use crate::aws::reader::reread_trails;
use crate::aws::{AwsContext, MemberAccess};
use crate::cli::{ApplyArgs, ApplySource, GlobalArgs, OutputFormat};
use crate::exit::Exit;
use crate::live::{LiveState, ReadFailure};
use crate::org::Target;
use crate::output::Output;
use crate::plan::fingerprint::{live_fingerprint, spec_fingerprint};
use crate::plan::{diff, load_saved, render_human, Action, Plan};
use crate::spec::LoadedSpec;

/// Exit 0 when everything applied, 1 when anything failed or could not be read.
///
/// # Errors
/// An invalid spec, a stale or unreadable saved plan, no terminal to confirm on.
pub fn run(args: &ApplyArgs, global: &GlobalArgs, out: &Output) -> Result<Exit, CommandError> {
    let options = ApplyOptions {
        allow_delete: args.allow_delete,
        ..ApplyOptions::default()
    };
    match args.source() {
        ApplySource::Spec(spec) => apply_spec(&spec, args, global, out, &options),
        ApplySource::Plan { plan, spec } => apply_saved(&plan, &spec, args, global, out, &options),
    }
}

fn apply_spec(
    spec_path: &Path,
    args: &ApplyArgs,
    global: &GlobalArgs,
    out: &Output,
    options: &ApplyOptions,
) -> Result<Exit, CommandError> {
    let loaded = load_spec(spec_path, out)?;
    let narrow = narrowing(global)?;
    let rt = runtime()?;
    rt.block_on(async {
        let ctx = AwsContext::from_env(&settings(global)).await;
        let planned = compute_plan(&ctx, &loaded, &narrow, out).await?;
        let plan = planned.plan;
        let read_failures = planned.live.failures;
        if args.format == OutputFormat::Human {
            out.out(render_human(&plan, out.color_stdout()).trim_end());
        }
        if !plan.has_changes() {
            return Ok(finish(&ApplyReport::default(), &read_failures, args, out));
        }
        if !args.auto_approve {
            match out.confirm("\nApply these changes? Only 'yes' is accepted:") {
                None => return Err(CommandError::NoTerminal),
                Some(false) => {
                    out.status("Apply cancelled.");
                    return Ok(Exit::Error);
                }
                Some(true) => {}
            }
        }
        let report = execute(&ctx, &loaded, &plan, options, args, out).await?;
        Ok(finish(&report, &read_failures, args, out))
    })
}

fn apply_saved(
    plan_path: &Path,
    spec_path: &Path,
    args: &ApplyArgs,
    global: &GlobalArgs,
    out: &Output,
    options: &ApplyOptions,
) -> Result<Exit, CommandError> {
    let text = std::fs::read_to_string(plan_path).map_err(|source| CommandError::Io {
        path: plan_path.display().to_string(),
        source,
    })?;
    let plan = load_plan(&text, plan_path)?;
    let loaded = load_spec(spec_path, out)?;
    if spec_fingerprint(&loaded.spec) != plan.spec_fingerprint {
        return Err(CommandError::Plan(format!(
            "{}: refusing the saved plan: {} changed since the plan was made; run `trailform plan` again",
            plan_path.display(),
            spec_path.display()
        )));
    }
    if !global.accounts.is_empty() || !global.regions.is_empty() {
        return Err(CommandError::Usage(
            "--accounts / --regions narrow planning; a saved plan is applied exactly as it was made".to_owned(),
        ));
    }
    let rt = runtime()?;
    rt.block_on(async {
        let ctx = AwsContext::from_env(&settings(global)).await;
        check_not_stale(&ctx, &loaded, &plan, plan_path, out).await?;
        if !plan.has_changes() {
            out.status("The saved plan has no changes.");
            return Ok(finish(&ApplyReport::default(), &[], args, out));
        }
        let report = execute(&ctx, &loaded, &plan, options, args, out).await?;
        Ok(finish(&report, &plan.unreadable, args, out))
    })
}

/// Parses a saved plan; a tampered, truncated or foreign file is refused clearly.
fn load_plan(text: &str, path: &Path) -> Result<Plan, CommandError> {
    load_saved(text).map_err(|e| CommandError::Plan(format!("{}: {e}", path.display())))
}

/// Re-reads every target the plan changes and refuses the plan if any of them is not
/// as it was when planned.
async fn check_not_stale(
    ctx: &AwsContext,
    loaded: &LoadedSpec,
    plan: &Plan,
    plan_path: &Path,
    out: &Output,
) -> Result<(), CommandError> {
    let targets: Vec<_> = plan
        .targets
        .iter()
        .filter(|t| !t.changes.is_empty())
        .collect();
    let keys: Vec<(String, String, String)> = targets
        .iter()
        .map(|t| (t.account_id.clone(), t.region.clone(), t.trail.clone()))
        .collect();
    let access = MemberAccess::from_spec(&loaded.spec.organization);
    let reread = reread_trails(ctx, &access, &keys).await;
    let mut stale = Vec::new();
    let mut subset = LiveState::default();
    for (target, result) in targets.iter().zip(reread) {
        let place = format!("{} {} {}", target.account_id, target.region, target.trail);
        match result {
            Ok(trail) if live_fingerprint(trail.as_ref()) == target.live_fingerprint => {
                subset
                    .read
                    .insert((target.account_id.clone(), target.region.clone()));
                subset.trails.extend(trail);
            }
            Ok(_) => stale.push(format!("{place}: changed since the plan was made")),
            Err(f) => stale.push(format!(
                "{place}: could not be re-read: {}",
                failure_text(&f)
            )),
        }
    }
    if stale.is_empty() {
        // The live state is as planned; the plan's own calls must also be exactly what
        // the spec asks of that state, so a hand-edited plan file is refused too.
        let spec_targets: Vec<Target> = targets
            .iter()
            .filter(|t| t.action != Action::Delete)
            .map(|t| Target {
                trail: t.trail.clone(),
                scope: t.scope,
                account_id: t.account_id.clone(),
                account_name: t.account_name.clone(),
                region: t.region.clone(),
            })
            .collect();
        let recomputed = diff(
            &loaded.spec,
            &spec_targets,
            &subset,
            &diff_options(&loaded.spec),
        );
        for target in &targets {
            let same = recomputed.targets.iter().any(|r| {
                r.account_id == target.account_id
                    && r.region == target.region
                    && r.trail == target.trail
                    && r.changes == target.changes
            });
            if !same {
                stale.push(format!(
                    "{} {} {}: the plan's calls are not what the spec asks of this target (was the plan file edited?)",
                    target.account_id, target.region, target.trail
                ));
            }
        }
    }
    if stale.is_empty() {
        return Ok(());
    }
    for s in &stale {
        out.error(s);
    }
    Err(CommandError::Plan(format!(
        "{}: refusing the saved plan: {} target(s) changed or could not be re-read since it was made; run `trailform plan` again",
        plan_path.display(),
        stale.len()
    )))
}

fn failure_text(f: &ReadFailure) -> String {
    format!("{}: {}: {}", f.operation, f.code, f.message)
}

/// Live lines as targets finish (human format only).
struct Lines<'a> {
    out: &'a Output,
    enabled: bool,
}

impl ApplyProgress for Lines<'_> {
    fn target_done(&self, r: &TargetReport) {
        if self.enabled {
            self.out.out(&target_line(r));
        }
    }
}

fn target_line(r: &TargetReport) -> String {
    let place = format!(
        "{} ({}) {} {}",
        r.account_id, r.account_name, r.region, r.trail
    );
    match r.status {
        TargetStatus::Applied => {
            let reconciled = r
                .calls
                .iter()
                .filter_map(|c| match &c.outcome {
                    CallOutcome::Reconciled { note } => Some(format!("{}: {note}", c.operation)),
                    _ => None,
                })
                .collect::<Vec<_>>();
            let ops = r
                .calls
                .iter()
                .map(|c| c.operation.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let mut line = format!("✓ {place}: {ops}");
            for note in reconciled {
                line.push_str(&format!("\n    reconciled {note}"));
            }
            line
        }
        TargetStatus::Skipped => {
            let reasons = r
                .calls
                .iter()
                .filter_map(|c| match &c.outcome {
                    CallOutcome::Skipped { reason } => Some(format!("{} ({reason})", c.operation)),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join(", ");
            format!("- {place}: skipped {reasons}")
        }
        TargetStatus::Failed => match r.failure() {
            Some((op, code, message)) => format!("✗ {place}: {op} failed: {code}: {message}"),
            None => format!("✗ {place}: failed"),
        },
    }
}

async fn execute(
    ctx: &AwsContext,
    loaded: &LoadedSpec,
    plan: &Plan,
    options: &ApplyOptions,
    args: &ApplyArgs,
    out: &Output,
) -> Result<ApplyReport, CommandError> {
    let caller = ctx
        .caller_account_id()
        .await
        .map_err(|e| CommandError::Organization {
            operation: e.operation,
            code: e.code,
            message: e.message,
        })?;
    let writer = Arc::new(AwsWriter::new(
        ctx.clone(),
        MemberAccess::from_spec(&loaded.spec.organization),
        caller,
    ));
    let lines = Lines {
        out,
        enabled: args.format == OutputFormat::Human,
    };
    Ok(apply(plan, writer, options, &lines).await)
}

/// Prints the summary (or the JSON report) and picks the exit code.
fn finish(report: &ApplyReport, unread: &[ReadFailure], args: &ApplyArgs, out: &Output) -> Exit {
    match args.format {
        OutputFormat::Json => {
            let doc = serde_json::json!({
                "summary": report.summary,
                "targets": report.targets,
                "unreadable": unread,
            });
            out.out(&serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        OutputFormat::Human => {
            let s = &report.summary;
            if s.applied + s.failed + s.skipped > 0 {
                out.out(&format!(
                    "\nApply finished: {} applied, {} failed, {} skipped ({} calls).",
                    s.applied, s.failed, s.skipped, s.calls
                ));
            }
        }
    }
    // Failures go to stderr in every format: the CI log names each one even when
    // stdout is a JSON report.
    for t in report
        .targets
        .iter()
        .filter(|t| t.status == TargetStatus::Failed)
    {
        out.error(&target_line(t));
    }
    for f in unread {
        out.error(&format!("not read, not applied: {}", describe_failure(f)));
    }
    if report.has_failures() || !unread.is_empty() {
        if report.has_failures() {
            out.error(
                "some targets failed; re-run apply to finish them (nothing is created twice)",
            );
        }
        Exit::Error
    } else {
        Exit::Success
    }
}
