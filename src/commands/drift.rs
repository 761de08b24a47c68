//! `trailform drift` (design.md §2): the read-only audit. Reads and diffs as `plan`
//! does, then hands the plan and the live state to [`crate::drift::audit`] and renders
//! the report. Exit 0 clean, 2 drift found, 1 when anything could not be read.

use super::common::{compute_plan, load_spec, narrowing, report_read_failures, runtime, settings};
use super::CommandError;
use crate::aws::AwsContext;
use crate::cli::{DriftArgs, GlobalArgs, ReportFormat};
use crate::drift::{audit, render_human, render_json, render_markdown, AuditOptions};
use crate::exit::Exit;
use crate::output::Output;

/// Runs `trailform drift`.
///
/// # Errors
/// An invalid spec or command line, an organization that cannot be listed, a spec that
/// names OUs or accounts that do not exist.
pub fn run(args: &DriftArgs, global: &GlobalArgs, out: &Output) -> Result<Exit, CommandError> {
    let loaded = load_spec(&args.spec.file, out)?;
    let narrow = narrowing(global)?;
    let rt = runtime()?;
    let planned = rt.block_on(async {
        let ctx = AwsContext::from_env(&settings(global)).await;
        compute_plan(&ctx, &loaded, &narrow, out).await
    })?;
    let report = audit(
        &loaded.spec,
        &planned.plan,
        &planned.live,
        &AuditOptions { narrow },
    );
    match args.format {
        ReportFormat::Human => out.out(render_human(&report).trim_end()),
        ReportFormat::Json => out.out(render_json(&report).trim_end()),
        ReportFormat::Markdown => out.out(render_markdown(&report).trim_end()),
    }
    if report_read_failures(&planned.live, "the audit", out) {
        return Ok(Exit::Error);
    }
    Ok(if report.clean {
        Exit::Success
    } else {
        Exit::Changes
    })
}
