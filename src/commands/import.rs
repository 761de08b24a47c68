//! `trailform import` (design.md §2): reads every trail of the organization (narrowed by
//! `--accounts` / `--regions`) with its details and prints a spec describing them to
//! stdout. The choices are [`crate::import`]'s. Regions read: `--regions`, else the
//! region of the AWS configuration (`AWS_REGION` / the profile).

use super::common::{describe_failure, narrowing, organization_failure, runtime, settings};
use super::CommandError;
use crate::aws::reader::{read_live, DetailPolicy};
use crate::aws::AwsContext;
use crate::cli::{GlobalArgs, ImportArgs};
use crate::exit::Exit;
use crate::import::{import, render_yaml, ImportOptions};
use crate::output::Output;
use crate::spec::{OrganizationSpec, Spec, UnmanagedTrails};

/// Runs `trailform import`: exit 0, or 1 when anything could not be read (the spec is
/// still printed, with the failures listed in its header).
///
/// # Errors
/// An invalid command line, an organization that cannot be listed.
pub fn run(args: &ImportArgs, global: &GlobalArgs, out: &Output) -> Result<Exit, CommandError> {
    let narrow = narrowing(global)?;
    let options = |regions: Vec<String>| ImportOptions {
        regions,
        member_role: args.member_role.clone(),
        external_id: args.external_id.clone(),
    };
    let rt = runtime()?;
    let (live, regions) = rt.block_on(async {
        let ctx = AwsContext::from_env(&settings(global)).await;
        let regions = if global.regions.is_empty() {
            vec![ctx.region()]
        } else {
            global.regions.clone()
        };
        let opts = options(regions.clone());
        let reading = Spec {
            version: 1,
            organization: OrganizationSpec {
                regions: regions.clone(),
                member_role: opts
                    .member_role
                    .unwrap_or_else(|| OrganizationSpec::default().member_role),
                external_id: opts.external_id,
                ..OrganizationSpec::default()
            },
            unmanaged_trails: UnmanagedTrails::Report,
            trails: indexmap::IndexMap::new(),
        };
        let progress = out.progress("Reading the organization");
        let (live, _) = read_live(&ctx, &reading, &narrow, DetailPolicy::All, &progress).await;
        progress.finish();
        (live, regions)
    });
    if let Some(e) = organization_failure(&live) {
        return Err(e);
    }
    let imported = import(&live, &options(regions.clone()));
    let mut header = vec![
        "Written by `trailform import`: the trails as they are.".to_owned(),
        format!(
            "Organization of management account {}, read from account {}, regions {}.",
            live.org.management_account_id,
            live.org.caller_account_id,
            regions.join(", ")
        ),
        "Review member_role, then run `trailform plan`: it should show no changes.".to_owned(),
    ];
    for f in &live.failures {
        header.push(format!("NOT READ: {}", describe_failure(f)));
    }
    let yaml = render_yaml(&imported, &header)
        .map_err(|e| CommandError::Plan(format!("could not write the spec: {e}")))?;
    out.out(yaml.trim_end());
    if live.failures.is_empty() {
        Ok(Exit::Success)
    } else {
        for f in &live.failures {
            out.error(&describe_failure(f));
        }
        out.error(&format!(
            "{} read(s) failed: the spec does not describe what could not be read",
            live.failures.len()
        ));
        Ok(Exit::Error)
    }
}
