//! Accounts, OUs, tags and target resolution: which (account, region) each spec trail
//! lands in. Pure: takes the spec and the listed organization, returns targets.
//!
//! [`resolve_account`] decides everything about one account from that account alone,
//! so the live reader can resolve each account as soon as it is listed (pipelining);
//! [`resolve`] folds it over the whole organization and adds the checks that need all
//! of it (an OU or account the spec names that does not exist). No I/O here.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::live::{Account, AccountStatus, Organization};
use crate::spec::{Scope, Spec, TrailSpec};

/// One instance of a spec trail: the trail `trail` should exist in `account_id`, with
/// `region` as its home region.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Target {
    /// Spec key = trail name.
    pub trail: String,
    /// Organization or account scope.
    pub scope: Scope,
    /// Account that owns the trail.
    pub account_id: String,
    /// That account's name (for `{account_name}`).
    pub account_name: String,
    /// Home region.
    pub region: String,
}

/// `--accounts` / `--regions`: limit a command to these (None = no limit).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Narrowing {
    /// Only these account ids.
    pub accounts: Option<BTreeSet<String>>,
    /// Only these regions.
    pub regions: Option<BTreeSet<String>>,
}

impl Narrowing {
    /// No narrowing.
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    fn account(&self, id: &str) -> bool {
        self.accounts.as_ref().is_none_or(|a| a.contains(id))
    }

    fn region(&self, r: &str) -> bool {
        self.regions.as_ref().is_none_or(|s| s.contains(r))
    }
}

/// Why an account is not targeted (by any trail, or by one trail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExclusionReason {
    /// Listed in `organization.exclude_accounts`: never touched, never read.
    OrganizationExcluded,
    /// SUSPENDED and `skip_suspended`: never read.
    Suspended,
    /// PENDING_CLOSURE and `skip_suspended`: never read.
    PendingClosure,
    /// Left out by `--accounts`.
    NarrowedOut,
    /// The management account, and the trail does not set `include_management_account`.
    ManagementAccount,
    /// In the trail's `targets.exclude_accounts`.
    TrailExcluded,
    /// Not in the trail's OUs or accounts, or lacks one of its `account_tags`.
    NotMatched,
}

/// An account left out, for every trail (`trail: None`, not read at all) or for one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Exclusion {
    /// The account.
    pub account_id: String,
    /// The trail it is left out of; `None` when the whole account is left out.
    pub trail: Option<String>,
    /// Why.
    pub reason: ExclusionReason,
}

/// A spec reference to something the organization does not have.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, thiserror::Error,
)]
#[error("{path}: {message}")]
pub struct ResolveError {
    /// Spec field path, e.g. `trails.x.targets.organizational_units[1]`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// What one account resolves to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountResolution {
    /// Trails this account gets.
    pub targets: Vec<Target>,
    /// Exclusions (of the whole account or from single trails).
    pub excluded: Vec<Exclusion>,
    /// Regions to read in this account (empty when the account is not read).
    pub read_regions: BTreeSet<String>,
}

/// The whole organization resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    /// Every (trail, account, region) the spec wants, sorted.
    pub targets: Vec<Target>,
    /// Accounts left out, and why.
    pub excluded: Vec<Exclusion>,
    /// Per account id: where its trails are read and unmanaged trails looked for
    /// (`organization.regions` ∪ its targets' regions, narrowed by `--regions`).
    pub read_regions: BTreeMap<String, BTreeSet<String>>,
    /// Spec references to OUs or accounts that do not exist.
    pub errors: Vec<ResolveError>,
}

/// Does the account carry every required tag?
fn tags_match(account: &Account, required: &BTreeMap<String, String>) -> bool {
    required.iter().all(|(k, v)| account.tags.get(k) == Some(v))
}

/// An OU reference (`ou-...`/`r-...` id, or a path of names from the root) matches an
/// account in that OU or below it.
fn ou_matches(account: &Account, reference: &str) -> bool {
    if is_ou_id(reference) {
        return account.ou_path.iter().any(|o| o.id == reference);
    }
    let wanted: Vec<&str> = split_path(reference);
    let names: Vec<&str> = account
        .ou_path
        .iter()
        .skip(1)
        .map(|o| o.name.as_str())
        .collect();
    names.len() >= wanted.len() && names.iter().zip(&wanted).all(|(a, b)| a == b)
}

fn is_ou_id(reference: &str) -> bool {
    reference.starts_with("ou-") || reference.starts_with("r-")
}

/// `Workloads/Prod`, `/Workloads/Prod/` and `Root/Workloads/Prod` all name one OU.
fn split_path(reference: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = reference.split('/').filter(|p| !p.is_empty()).collect();
    if parts.first() == Some(&"Root") {
        parts.remove(0);
    }
    parts
}

/// Regions an account-scoped trail has instances in: each of `regions` for
/// single-region trails, else the one home region of the multi-region trail.
fn trail_regions(trail: &TrailSpec) -> Vec<String> {
    match (&trail.regions, trail.multi_region) {
        (Some(regions), Some(false) | None) => regions.clone(),
        _ => trail.home_region.iter().cloned().collect(),
    }
}

/// Resolves one account against every trail of the spec.
#[must_use]
pub fn resolve_account(
    spec: &Spec,
    management_account_id: &str,
    account: &Account,
    narrow: &Narrowing,
) -> AccountResolution {
    let mut out = AccountResolution::default();
    let whole = |reason| Exclusion {
        account_id: account.id.clone(),
        trail: None,
        reason,
    };
    if spec.organization.exclude_accounts.contains(&account.id) {
        out.excluded
            .push(whole(ExclusionReason::OrganizationExcluded));
        return out;
    }
    if spec.organization.skip_suspended {
        match account.status {
            AccountStatus::Suspended => {
                out.excluded.push(whole(ExclusionReason::Suspended));
                return out;
            }
            AccountStatus::PendingClosure => {
                out.excluded.push(whole(ExclusionReason::PendingClosure));
                return out;
            }
            AccountStatus::Active => {}
        }
    }
    if !narrow.account(&account.id) {
        out.excluded.push(whole(ExclusionReason::NarrowedOut));
        return out;
    }
    let is_management = account.id == management_account_id;
    for (name, trail) in &spec.trails {
        let target = |region: &str| Target {
            trail: name.clone(),
            scope: trail.scope,
            account_id: account.id.clone(),
            account_name: account.name.clone(),
            region: region.to_owned(),
        };
        let regions = match trail.scope {
            Scope::Organization => {
                // The organization trail lives in the management account, also when a
                // delegated administrator manages it (by ARN).
                if !is_management {
                    continue;
                }
                trail.home_region.iter().cloned().collect::<Vec<_>>()
            }
            Scope::Account => {
                let t = trail.targets.clone().unwrap_or_default();
                let reason = if t.exclude_accounts.contains(&account.id) {
                    Some(ExclusionReason::TrailExcluded)
                } else if is_management && !t.include_management_account {
                    Some(ExclusionReason::ManagementAccount)
                } else {
                    let listed = t.accounts.contains(&account.id);
                    let in_ou = t
                        .organizational_units
                        .iter()
                        .any(|ou| ou_matches(account, ou));
                    // No OUs and no accounts listed: the whole organization.
                    let everywhere = t.accounts.is_empty() && t.organizational_units.is_empty();
                    let selected = listed || in_ou || everywhere;
                    (!(selected && tags_match(account, &t.account_tags)))
                        .then_some(ExclusionReason::NotMatched)
                };
                if let Some(reason) = reason {
                    out.excluded.push(Exclusion {
                        account_id: account.id.clone(),
                        trail: Some(name.clone()),
                        reason,
                    });
                    continue;
                }
                trail_regions(trail)
            }
        };
        for region in regions.iter().filter(|r| narrow.region(r)) {
            out.targets.push(target(region));
            out.read_regions.insert(region.clone());
        }
    }
    out.read_regions.extend(
        spec.organization
            .regions
            .iter()
            .filter(|r| narrow.region(r))
            .cloned(),
    );
    out
}

/// Resolves the spec against the whole organization.
#[must_use]
pub fn resolve(spec: &Spec, org: &Organization, narrow: &Narrowing) -> Resolution {
    let mut res = Resolution {
        errors: check_references(spec, org),
        ..Resolution::default()
    };
    for account in &org.accounts {
        let one = resolve_account(spec, &org.management_account_id, account, narrow);
        res.targets.extend(one.targets);
        res.excluded.extend(one.excluded);
        if !one.read_regions.is_empty() {
            res.read_regions
                .insert(account.id.clone(), one.read_regions);
        }
    }
    res.targets.sort();
    res
}

/// Every OU and account a trail's targets name must exist in the organization.
#[must_use]
pub fn check_references(spec: &Spec, org: &Organization) -> Vec<ResolveError> {
    let account_ids: BTreeSet<&str> = org.accounts.iter().map(|a| a.id.as_str()).collect();
    let ou_ids: BTreeSet<&str> = org
        .organizational_units
        .iter()
        .map(|o| o.id.as_str())
        .chain(std::iter::once(org.root_id.as_str()))
        .collect();
    let ou_paths: BTreeSet<Vec<&str>> = org
        .organizational_units
        .iter()
        .map(|o| split_path(&o.path))
        .collect();
    let mut errors = Vec::new();
    for (name, trail) in &spec.trails {
        let Some(t) = &trail.targets else { continue };
        for (i, ou) in t.organizational_units.iter().enumerate() {
            let exists = if is_ou_id(ou) {
                ou_ids.contains(ou.as_str())
            } else {
                let parts = split_path(ou);
                parts.is_empty() || ou_paths.contains(&parts)
            };
            if !exists {
                errors.push(ResolveError {
                    path: format!("trails.{name}.targets.organizational_units[{i}]"),
                    message: format!("no organizational unit `{ou}` in the organization"),
                });
            }
        }
        for (i, id) in t.accounts.iter().enumerate() {
            if !account_ids.contains(id.as_str()) {
                errors.push(ResolveError {
                    path: format!("trails.{name}.targets.accounts[{i}]"),
                    message: format!("no account `{id}` in the organization"),
                });
            }
        }
    }
    errors
}

#[cfg(test)]
mod tests;
