//! `trailform plan` (design.md §2): read the organization, diff, render; optionally save
//! the plan for `apply PLAN`.

use super::common::{compute_plan, load_spec, narrowing, report_read_failures, runtime, settings};
use super::CommandError;
use crate::aws::AwsContext;
use crate::cli::{GlobalArgs, PlanArgs, ReportFormat};
use crate::exit::Exit;
use crate::output::Output;
use crate::plan::{render_human, render_json, render_markdown};

/// Exit 0 (no changes, or changes without `--detailed-exitcode`), 2 (changes with
/// `--detailed-exitcode`), 1 when anything targeted could not be read.
///
/// # Errors
/// An invalid spec or command line, an organization that cannot be listed, a spec that
/// names OUs or accounts that do not exist, a plan file that cannot be written.
pub fn run(args: &PlanArgs, global: &GlobalArgs, out: &Output) -> Result<Exit, CommandError> {
    let loaded = load_spec(&args.spec.file, out)?;
    let narrow = narrowing(global)?;
    let rt = runtime()?;
    let planned = rt.block_on(async {
        let ctx = AwsContext::from_env(&settings(global)).await;
        compute_plan(&ctx, &loaded, &narrow, out).await
    })?;
    let plan = &planned.plan;
    match args.format {
        ReportFormat::Human => out.out(render_human(plan, out.color_stdout()).trim_end()),
        ReportFormat::Json => out.out(render_json(plan).trim_end()),
        ReportFormat::Markdown => out.out(render_markdown(plan).trim_end()),
    }
    if let Some(path) = &args.out {
        std::fs::write(path, render_json(plan)).map_err(|source| CommandError::Io {
            path: path.display().to_string(),
            source,
        })?;
        out.status(&format!("Plan saved to {}", path.display()));
    }
    if report_read_failures(&planned.live, "the plan", out) {
        return Ok(Exit::Error);
    }
    if args.detailed_exitcode && plan.has_changes() {
        Ok(Exit::Changes)
    } else {
        Ok(Exit::Success)
    }
}
