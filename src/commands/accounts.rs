//! `trailform accounts` (design.md §2): which trails land in which accounts and
//! regions, and which accounts are left out and why. Lists the organization only; no
//! trail is read.

use std::collections::BTreeMap;

use super::common::{
    check_resolution, describe_failure, listing_failure, load_spec, narrowing, runtime, settings,
};
use super::CommandError;
use crate::aws::reader::{read_organization, spec_uses_account_tags};
use crate::aws::AwsContext;
use crate::cli::{AccountsArgs, GlobalArgs, OutputFormat};
use crate::exit::Exit;
use crate::org::{resolve, ExclusionReason};
use crate::output::Output;

fn reason_text(reason: ExclusionReason) -> &'static str {
    match reason {
        ExclusionReason::OrganizationExcluded => "in organization.exclude_accounts (never read)",
        ExclusionReason::Suspended => "suspended (skip_suspended)",
        ExclusionReason::PendingClosure => "pending closure (skip_suspended)",
        ExclusionReason::NarrowedOut => "left out by --accounts",
        ExclusionReason::ManagementAccount => {
            "management account (include_management_account is false)"
        }
        ExclusionReason::TrailExcluded => "in the trail's targets.exclude_accounts",
        ExclusionReason::NotMatched => {
            "not in the trail's OUs or accounts, or missing an account tag"
        }
    }
}

/// Exit 0, or 1 when the organization could not be listed completely.
///
/// # Errors
/// An invalid spec, an organization that cannot be listed, unknown OUs or accounts.
pub fn run(args: &AccountsArgs, global: &GlobalArgs, out: &Output) -> Result<Exit, CommandError> {
    let loaded = load_spec(&args.spec.file, out)?;
    let narrow = narrowing(global)?;
    let rt = runtime()?;
    let (org, failures) = rt.block_on(async {
        let ctx = AwsContext::from_env(&settings(global)).await;
        read_organization(&ctx, spec_uses_account_tags(&loaded.spec)).await
    });
    if org.management_account_id.is_empty() {
        if let Some(f) = failures.first() {
            return Err(CommandError::Organization {
                operation: f.operation.clone(),
                code: f.code.clone(),
                message: f.message.clone(),
            });
        }
    }
    let resolution = resolve(&loaded.spec, &org, &narrow);
    if !resolution.errors.is_empty() {
        if let Some(e) = listing_failure(&failures) {
            // Not "does not exist": the listing that would have found it failed.
            return Err(e);
        }
    }
    check_resolution(&loaded, &resolution, out)?;
    let names: BTreeMap<&str, &str> = org
        .accounts
        .iter()
        .map(|a| (a.id.as_str(), a.name.as_str()))
        .collect();
    match args.format {
        OutputFormat::Json => {
            let doc = serde_json::json!({
                "management_account_id": org.management_account_id,
                "targets": resolution.targets,
                "excluded": resolution.excluded,
                "read_regions": resolution.read_regions,
                "failures": failures,
            });
            out.out(&serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        OutputFormat::Human => {
            for trail in loaded.spec.trails.keys() {
                let targets: Vec<_> = resolution
                    .targets
                    .iter()
                    .filter(|t| &t.trail == trail)
                    .collect();
                out.out(&format!("{trail}: {} target(s)", targets.len()));
                let mut by_account: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
                for t in &targets {
                    by_account
                        .entry((t.account_id.as_str(), t.account_name.as_str()))
                        .or_default()
                        .push(t.region.as_str());
                }
                for ((id, name), regions) in by_account {
                    out.out(&format!("  {id}  {name:<24} {}", regions.join(", ")));
                }
                for e in resolution.excluded.iter().filter(|e| {
                    e.trail.as_deref() == Some(trail.as_str())
                        && e.reason != ExclusionReason::NotMatched
                }) {
                    let name = names.get(e.account_id.as_str()).copied().unwrap_or("");
                    out.out(&format!(
                        "  excluded {}  {name}: {}",
                        e.account_id,
                        reason_text(e.reason)
                    ));
                }
            }
            let whole: Vec<_> = resolution
                .excluded
                .iter()
                .filter(|e| e.trail.is_none())
                .collect();
            if !whole.is_empty() {
                out.out("Accounts left out of every trail:");
                for e in whole {
                    let name = names.get(e.account_id.as_str()).copied().unwrap_or("");
                    out.out(&format!(
                        "  {}  {name}: {}",
                        e.account_id,
                        reason_text(e.reason)
                    ));
                }
            }
            out.out(&format!(
                "{} accounts listed; {} trail instance(s) targeted.",
                org.accounts.len(),
                resolution.targets.len()
            ));
        }
    }
    for f in &failures {
        out.error(&describe_failure(f));
    }
    Ok(if failures.is_empty() {
        Exit::Success
    } else {
        Exit::Error
    })
}
