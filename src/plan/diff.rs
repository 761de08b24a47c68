//! The diff: spec + targets + live state → [`Plan`]. Pure and linear.
//!
//! Live trails are indexed once by (account, home region, name); every target and
//! every live trail is then visited once, so 10,000 accounts × 17 regions is a few
//! hundred thousand hash lookups, never a join. Decisions made here:
//! - a target whose account-region is not in `live.read` is not planned (neither
//!   create nor no-op): it is listed in `unreadable`;
//! - a live trail whose details were not read cannot be compared: `unreadable` too;
//! - a shadow trail (an organization trail seen from a member account, a multi-region
//!   trail seen outside its home region; recognized by its ARN naming another account
//!   or region) is never unmanaged;
//! - unmanaged trails only count in account-regions that were read.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::live::{LiveState, LiveTrail, ReadFailure};
use crate::normalize::{
    self, compile_selectors, desired_selectors, desired_with_selectors, differences,
    is_unresolved_kms_alias, CanonicalSelectors, CanonicalTrail, DesiredContext, DesiredSelectors,
    TrailConfig,
};
use crate::org::Target;
use crate::plan::fingerprint::{canonical_fingerprint, live_fingerprint, spec_fingerprint};
use crate::plan::{
    Action, Change, Plan, Summary, TargetPlan, Warning, WarningKind, PLAN_FORMAT_VERSION,
};
use crate::spec::{limits, Scope, Spec, UnmanagedTrails};

/// Options of [`diff`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiffOptions {
    /// Partition and resolved KMS aliases.
    pub context: DesiredContext,
}

/// How many examples a warning that aggregates many places lists.
const EXAMPLES: usize = 5;

type Key<'a> = (&'a str, &'a str, &'a str);

/// A logging trail that delivers management events once the plan is applied.
struct Copy<'a> {
    label: String,
    owner: &'a str,
    home_region: &'a str,
    organization: bool,
    multi_region: bool,
}

/// Whether a live trail, by its ARN, belongs to another account or region than the
/// one it was read in.
fn is_shadow(trail: &LiveTrail) -> bool {
    let mut parts = trail.arn.split(':');
    let (Some(_), Some(_), Some(_), Some(region), Some(account)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    region != trail.home_region || account != trail.account_id
}

/// Whether an S3 data-event selector logs writes to the trail's own log files.
fn covers_own_bucket(trail: &CanonicalTrail, partition: &str) -> bool {
    let prefix = trail
        .s3_key_prefix
        .as_ref()
        .map(|p| format!("{p}/"))
        .unwrap_or_default();
    let path = format!("arn:{partition}:s3:::{}/{prefix}AWSLogs/", trail.s3_bucket);
    trail.selectors.0.iter().any(|s| {
        let has = |field: &str, value: &str| {
            s.fields
                .iter()
                .any(|f| f.field == field && f.equals.contains(value))
        };
        if !has("eventCategory", "Data") || !has("resources.type", "AWS::S3::Object") {
            return false;
        }
        // Deliveries are writes: a read-only selector does not log them.
        if s.fields
            .iter()
            .any(|f| f.field == "readOnly" && !f.equals.is_empty() && !f.equals.contains("false"))
        {
            return false;
        }
        s.fields
            .iter()
            .filter(|f| f.field == "resources.ARN")
            .all(|f| {
                let included = f.starts_with.is_empty()
                    || f.starts_with
                        .iter()
                        .any(|p| path.starts_with(p.as_str()) || p.starts_with(&path));
                let excluded = f
                    .not_starts_with
                    .iter()
                    .any(|q| path.starts_with(q.as_str()));
                f.equals.is_empty() && included && !excluded
            })
    })
}

fn examples(places: &[(String, String)]) -> String {
    let shown: Vec<String> = places
        .iter()
        .take(EXAMPLES)
        .map(|(a, r)| format!("{a}/{r}"))
        .collect();
    let more = places.len().saturating_sub(EXAMPLES);
    if more == 0 {
        shown.join(", ")
    } else {
        format!("{} and {more} more", shown.join(", "))
    }
}

/// Builds a warning about `places` (account, region): it names the account and region
/// only when there is exactly one.
fn aggregated_warning(
    kind: WarningKind,
    trail: Option<&str>,
    places: &[(String, String)],
    what: &str,
) -> Warning {
    let (account_id, region) = match places {
        [(a, r)] => (Some(a.clone()), Some(r.clone())),
        _ => (None, None),
    };
    let message = if places.len() == 1 {
        what.to_owned()
    } else {
        format!("{what} (in {} places: {})", places.len(), examples(places))
    };
    Warning {
        kind,
        account_id,
        region,
        trail: trail.map(str::to_owned),
        message,
    }
}

/// Creates that would take an account-region past AWS's trail limit
/// ([`limits::MAX_TRAILS_PER_REGION`]; a multi-region trail counts in every region, an
/// organization trail in every account, as `validate` counts them): CreateTrail fails
/// there with `MaximumNumberOfTrailsExceededException`. Counted on the state after the
/// plan (live trails, minus deletes, with updates' new settings, plus creates) from what
/// was read: a multi-region trail homed in a region not read is not seen, so the count
/// is a lower bound. An organization trail seen from a member account (a shadow) is
/// counted once, as its owner's.
fn trail_limit_warnings(
    live: &LiveState,
    plans: &[TargetPlan],
    regions_by_account: &HashMap<&str, Vec<&str>>,
) -> Vec<Warning> {
    /// (multi-region, organization trail).
    type Reach = (bool, bool);
    // Only accounts where something is created can go over (all of them when an
    // organization trail is): a converged organization costs one pass over the plan.
    let creates: Vec<&TargetPlan> = plans
        .iter()
        .filter(|p| p.action == Action::Create)
        .collect();
    if creates.is_empty() {
        return Vec::new();
    }
    let everywhere = creates
        .iter()
        .any(|p| p.after.as_ref().is_some_and(|t| t.organization_trail));
    let concerned: HashSet<&str> = creates.iter().map(|p| p.account_id.as_str()).collect();
    let counts = |account: &str, organization: bool| {
        everywhere || organization || concerned.contains(account)
    };
    let mut after: HashMap<(&str, &str, &str), Reach> = live
        .trails
        .iter()
        .filter(|t| counts(&t.account_id, t.organization_trail) && !is_shadow(t))
        .map(|t| {
            (
                (
                    t.account_id.as_str(),
                    t.home_region.as_str(),
                    t.name.as_str(),
                ),
                (t.multi_region, t.organization_trail),
            )
        })
        .collect();
    for p in plans {
        let organization = p
            .after
            .as_ref()
            .map_or(p.scope == Scope::Organization, |t| t.organization_trail);
        if !counts(&p.account_id, organization) {
            continue;
        }
        let key = (p.account_id.as_str(), p.region.as_str(), p.trail.as_str());
        match (p.action, &p.after) {
            (Action::Delete, _) => {
                after.remove(&key);
            }
            (Action::Create | Action::Update, Some(t)) => {
                after.insert(key, (t.multi_region, t.organization_trail));
            }
            _ => {}
        }
    }
    // Trails counting everywhere / in one region of every account (organization
    // trails), and in every region / one region of their own account.
    let mut org_everywhere = 0usize;
    let mut org_in: HashMap<&str, usize> = HashMap::new();
    let mut multi: HashMap<&str, usize> = HashMap::new();
    let mut single: HashMap<(&str, &str), usize> = HashMap::new();
    for (&(account, home, _), &(is_multi, is_org)) in &after {
        match (is_org, is_multi) {
            (true, true) => org_everywhere += 1,
            (true, false) => *org_in.entry(home).or_default() += 1,
            (false, true) => *multi.entry(account).or_default() += 1,
            (false, false) => *single.entry((account, home)).or_default() += 1,
        }
    }
    let count = |account: &str, region: &str| {
        org_everywhere
            + org_in.get(region).copied().unwrap_or(0)
            + multi.get(account).copied().unwrap_or(0)
            + single.get(&(account, region)).copied().unwrap_or(0)
    };
    let mut over: BTreeMap<&str, Vec<(String, String)>> = BTreeMap::new();
    for p in creates {
        let Some(t) = &p.after else { continue };
        let accounts: Vec<&str> = if t.organization_trail {
            regions_by_account.keys().copied().collect()
        } else {
            vec![p.account_id.as_str()]
        };
        for account in accounts {
            // Only account-regions that were read: elsewhere nothing is known.
            let read = regions_by_account
                .get(account)
                .map_or(&[][..], Vec::as_slice);
            let regions = read
                .iter()
                .filter(|r| t.multi_region || **r == p.region.as_str());
            for region in regions {
                if count(account, region) > limits::MAX_TRAILS_PER_REGION {
                    over.entry(p.trail.as_str())
                        .or_default()
                        .push((account.to_owned(), (*region).to_owned()));
                }
            }
        }
    }
    over.into_iter()
        .map(|(trail, mut places)| {
            places.sort();
            places.dedup();
            aggregated_warning(
                WarningKind::TrailLimit,
                Some(trail),
                &places,
                &format!(
                    "more than {} trails would count in the account-region after this plan (multi-region trails count in every region, organization trails in every account): CreateTrail will fail with MaximumNumberOfTrailsExceededException",
                    limits::MAX_TRAILS_PER_REGION
                ),
            )
        })
        .collect()
}

/// Changes that bring a new trail to `desired` after CreateTrail.
fn create_changes(desired: &CanonicalTrail, compiled: &DesiredSelectors) -> Vec<Change> {
    let arn = desired.arn.clone();
    let mut changes = vec![Change::CreateTrail {
        config: TrailConfig::from(desired),
        tags: desired.tags.clone(),
    }];
    // A new trail has the default selector: only put selectors when they differ.
    if !desired
        .selectors
        .satisfied_by(&CanonicalSelectors::aws_default())
    {
        changes.push(Change::PutEventSelectors {
            arn: arn.clone(),
            selectors: compiled.clone(),
        });
    }
    if !desired.insights.is_empty() {
        changes.push(Change::PutInsightSelectors {
            arn: arn.clone(),
            insights: desired.insights.iter().cloned().collect(),
        });
    }
    if desired.logging {
        changes.push(Change::StartLogging { arn });
    }
    changes
}

/// Changes that bring an existing trail from `live` to `desired`, and the trail as it
/// will look afterwards (`None` when nothing changes).
fn update_changes(
    desired: &CanonicalTrail,
    live: &CanonicalTrail,
    compiled: &DesiredSelectors,
) -> (Vec<Change>, Option<CanonicalTrail>) {
    let d = differences(desired, live);
    if d.is_empty() {
        return (Vec::new(), None);
    }
    let arn = live.arn.clone();
    let mut changes = Vec::new();
    let mut after = desired.clone();
    after.arn.clone_from(&live.arn);
    if !d.attributes.is_empty() {
        changes.push(Change::UpdateTrail {
            arn: arn.clone(),
            attributes: d.attributes,
            config: TrailConfig::from(desired),
        });
    }
    if desired
        .kms_key_id
        .as_deref()
        .is_some_and(is_unresolved_kms_alias)
    {
        after.kms_key_id.clone_from(&live.kms_key_id);
    }
    if d.selectors {
        changes.push(Change::PutEventSelectors {
            arn: arn.clone(),
            selectors: compiled.clone(),
        });
    } else {
        after.selectors = live.selectors.clone();
    }
    if d.insights {
        changes.push(Change::PutInsightSelectors {
            arn: arn.clone(),
            insights: desired.insights.iter().cloned().collect(),
        });
    }
    if !d.tags_to_add.is_empty() {
        changes.push(Change::AddTags {
            arn: arn.clone(),
            tags: d.tags_to_add,
        });
    }
    if !d.tags_to_remove.is_empty() {
        changes.push(Change::RemoveTags {
            arn: arn.clone(),
            keys: d.tags_to_remove.into_iter().collect(),
        });
    }
    if d.logging {
        changes.push(if desired.logging {
            Change::StartLogging { arn }
        } else {
            Change::StopLogging { arn }
        });
    }
    changes.sort();
    (changes, Some(after))
}

/// What every target's planning reads (shared, read-only, across threads).
struct Inputs<'a> {
    spec: &'a Spec,
    ctx: &'a DesiredContext,
    read: &'a HashSet<(&'a str, &'a str)>,
    failed: &'a HashSet<(&'a str, Option<&'a str>)>,
    by_key: &'a HashMap<Key<'a>, &'a LiveTrail>,
    per_trail: &'a HashMap<&'a str, (CanonicalSelectors, DesiredSelectors)>,
}

/// One target's planning, before the plan-wide fold.
struct TargetResult<'a> {
    /// `None` when the spec has no such trail (the target is skipped).
    key: Option<Key<'a>>,
    outcome: Outcome<'a>,
}

enum Outcome<'a> {
    /// Not planned: the account-region or the trail's details were not read (the
    /// failure to list, unless the read failure already says it).
    Unread(Option<ReadFailure>),
    /// Planned (no-op included).
    Planned {
        plan: Box<TargetPlan>,
        copy: Option<Copy<'a>>,
        own_bucket: bool,
        unresolved_kms: bool,
    },
}

/// Targets below this are planned on the calling thread (threads cost more).
const PARALLEL_THRESHOLD: usize = 4096;

/// Plans every target, on all cores for large organizations; results keep the order
/// of `targets`, so the plan is the same bytes whatever the thread count.
fn plan_targets<'a>(inputs: &Inputs<'a>, targets: &'a [Target]) -> Vec<TargetResult<'a>> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    if threads < 2 || targets.len() < PARALLEL_THRESHOLD {
        return targets.iter().map(|t| plan_target(inputs, t)).collect();
    }
    let chunk = targets.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = targets
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|t| plan_target(inputs, t))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all = Vec::with_capacity(targets.len());
        for (handle, part) in handles.into_iter().zip(targets.chunks(chunk)) {
            match handle.join() {
                Ok(results) => all.extend(results),
                // A panic in planning is a bug; plan that part again here so it
                // surfaces on this thread rather than losing targets silently.
                Err(_) => all.extend(part.iter().map(|t| plan_target(inputs, t))),
            }
        }
        all
    })
}

fn plan_target<'a>(inputs: &Inputs<'a>, target: &'a Target) -> TargetResult<'a> {
    let Inputs {
        spec,
        ctx,
        read,
        failed,
        by_key,
        per_trail,
    } = *inputs;
    let (Some(trail_spec), Some((selectors, compiled))) = (
        spec.trails.get(&target.trail),
        per_trail.get(target.trail.as_str()),
    ) else {
        return TargetResult {
            key: None,
            outcome: Outcome::Unread(None),
        };
    };
    let (account, region, name) = (
        target.account_id.as_str(),
        target.region.as_str(),
        target.trail.as_str(),
    );
    let key = Some((account, region, name));
    if !read.contains(&(account, region)) {
        let failure = (!failed.contains(&(account, Some(region)))
            && !failed.contains(&(account, None)))
        .then(|| ReadFailure {
            account_id: account.to_owned(),
            region: Some(region.to_owned()),
            trail: Some(name.to_owned()),
            ou: None,
            operation: "DescribeTrails".to_owned(),
            code: "NotRead".to_owned(),
            message: "this account-region was not read, so the trail was not planned".to_owned(),
        });
        return TargetResult {
            key,
            outcome: Outcome::Unread(failure),
        };
    }
    let desired = desired_with_selectors(trail_spec, target, ctx, selectors.clone());
    let live_trail = by_key.get(&(account, region, name)).copied();
    let (action, changes, before, after, fingerprint) = match live_trail {
        None => (
            Action::Create,
            create_changes(&desired, compiled),
            None,
            Some(desired.clone()),
            canonical_fingerprint(None),
        ),
        Some(lt) => match normalize::live(lt) {
            Err(e) => {
                return TargetResult {
                    key,
                    outcome: Outcome::Unread(Some(ReadFailure {
                        account_id: account.to_owned(),
                        region: Some(region.to_owned()),
                        trail: Some(name.to_owned()),
                        ou: None,
                        operation: "GetEventSelectors".to_owned(),
                        code: "DetailsNotRead".to_owned(),
                        message: e.to_string(),
                    })),
                };
            }
            Ok(current) => {
                let fingerprint = canonical_fingerprint(Some(&current));
                let (changes, after) = update_changes(&desired, &current, compiled);
                if changes.is_empty() {
                    (Action::NoOp, changes, None, None, fingerprint)
                } else {
                    (Action::Update, changes, Some(current), after, fingerprint)
                }
            }
        },
    };
    let copy = (desired.logging && desired.selectors.logs_management_events()).then(|| Copy {
        label: target.trail.clone(),
        owner: account,
        home_region: region,
        organization: desired.organization_trail,
        multi_region: desired.multi_region,
    });
    let own_bucket = covers_own_bucket(&desired, &ctx.partition);
    let unresolved_kms = desired
        .kms_key_id
        .as_deref()
        .is_some_and(is_unresolved_kms_alias);
    let plan = TargetPlan {
        account_id: target.account_id.clone(),
        account_name: target.account_name.clone(),
        region: target.region.clone(),
        trail: target.trail.clone(),
        scope: target.scope,
        action,
        arn: after
            .as_ref()
            .or(before.as_ref())
            .map_or_else(|| desired.arn.clone(), |t| t.arn.clone()),
        changes,
        live_fingerprint: fingerprint,
        before: before.map(Box::new),
        after: after.map(Box::new),
    };
    TargetResult {
        key,
        outcome: Outcome::Planned {
            plan: Box::new(plan),
            copy,
            own_bucket,
            unresolved_kms,
        },
    }
}

/// Diffs the spec's `targets` against `live` into a plan.
///
/// `targets` come from resolving `spec` (a target naming a trail the spec does not
/// have is skipped). Nothing here fails: what cannot be read or compared is listed in
/// the plan's `unreadable`.
#[must_use]
#[allow(clippy::too_many_lines)] // one pass per concern, kept together for readability
pub fn diff(spec: &Spec, targets: &[Target], live: &LiveState, opts: &DiffOptions) -> Plan {
    let ctx = &opts.context;
    let read: HashSet<(&str, &str)> = live
        .read
        .iter()
        .map(|(a, r)| (a.as_str(), r.as_str()))
        .collect();
    let mut regions_by_account: HashMap<&str, Vec<&str>> = HashMap::new();
    for (account, region) in &live.read {
        regions_by_account
            .entry(account.as_str())
            .or_default()
            .push(region.as_str());
    }
    let by_key: HashMap<Key<'_>, &LiveTrail> = live
        .trails
        .iter()
        .filter(|t| !is_shadow(t))
        .map(|t| {
            (
                (
                    t.account_id.as_str(),
                    t.home_region.as_str(),
                    t.name.as_str(),
                ),
                t,
            )
        })
        .collect();
    let account_names: HashMap<&str, &str> = live
        .org
        .accounts
        .iter()
        .map(|a| (a.id.as_str(), a.name.as_str()))
        .collect();
    let failed: HashSet<(&str, Option<&str>)> = live
        .failures
        .iter()
        .map(|f| (f.account_id.as_str(), f.region.as_deref()))
        .collect();
    let per_trail: HashMap<&str, (CanonicalSelectors, DesiredSelectors)> = spec
        .trails
        .iter()
        .map(|(name, t)| (name.as_str(), (desired_selectors(t), compile_selectors(t))))
        .collect();

    let mut plans: Vec<TargetPlan> = Vec::with_capacity(targets.len());
    let mut unreadable: Vec<ReadFailure> = live.failures.clone();
    let mut unreadable_targets = 0usize;
    let mut unreadable_accounts: HashSet<&str> = HashSet::new();
    let mut managed: HashSet<Key<'_>> = HashSet::new();
    let mut copies: Vec<Copy<'_>> = Vec::new();
    let mut own_bucket: BTreeMap<&str, Vec<(String, String)>> = BTreeMap::new();
    let mut unresolved_kms: BTreeMap<&str, Vec<(String, String)>> = BTreeMap::new();

    let inputs = Inputs {
        spec,
        ctx,
        read: &read,
        failed: &failed,
        by_key: &by_key,
        per_trail: &per_trail,
    };
    for result in plan_targets(&inputs, targets) {
        let Some(key) = result.key else { continue };
        managed.insert(key);
        match result.outcome {
            Outcome::Unread(failure) => {
                unreadable_targets += 1;
                unreadable_accounts.insert(key.0);
                unreadable.extend(failure);
            }
            Outcome::Planned {
                plan,
                copy,
                own_bucket: covers,
                unresolved_kms: unresolved,
            } => {
                copies.extend(copy);
                if covers {
                    own_bucket
                        .entry(key.2)
                        .or_default()
                        .push((key.0.to_owned(), key.1.to_owned()));
                }
                if unresolved {
                    unresolved_kms
                        .entry(key.2)
                        .or_default()
                        .push((key.0.to_owned(), key.1.to_owned()));
                }
                plans.push(*plan);
            }
        }
    }

    let mut warnings: Vec<Warning> = Vec::new();
    for lt in &live.trails {
        let key = (
            lt.account_id.as_str(),
            lt.home_region.as_str(),
            lt.name.as_str(),
        );
        if is_shadow(lt) || managed.contains(&key) || !read.contains(&(key.0, key.1)) {
            continue;
        }
        match spec.unmanaged_trails {
            UnmanagedTrails::Ignore => {}
            UnmanagedTrails::Report => {
                warnings.push(Warning {
                    kind: WarningKind::UnmanagedTrail,
                    account_id: Some(lt.account_id.clone()),
                    region: Some(lt.home_region.clone()),
                    trail: Some(lt.name.clone()),
                    message: format!(
                        "trail {} is not described by the spec (unmanaged_trails: report)",
                        lt.arn
                    ),
                });
                if let Ok(current) = normalize::live(lt) {
                    if current.logging && current.selectors.logs_management_events() {
                        copies.push(Copy {
                            label: lt.name.clone(),
                            owner: key.0,
                            home_region: key.1,
                            organization: lt.organization_trail,
                            multi_region: lt.multi_region,
                        });
                    }
                }
            }
            UnmanagedTrails::Delete => {
                let before = normalize::live(lt).ok();
                plans.push(TargetPlan {
                    account_id: lt.account_id.clone(),
                    account_name: account_names
                        .get(key.0)
                        .map_or_else(String::new, |n| (*n).to_owned()),
                    region: lt.home_region.clone(),
                    trail: lt.name.clone(),
                    scope: if lt.organization_trail {
                        Scope::Organization
                    } else {
                        Scope::Account
                    },
                    action: Action::Delete,
                    arn: lt.arn.clone(),
                    changes: vec![Change::DeleteTrail {
                        arn: lt.arn.clone(),
                    }],
                    live_fingerprint: before.as_ref().map_or_else(
                        || live_fingerprint(Some(lt)),
                        |c| canonical_fingerprint(Some(c)),
                    ),
                    before: before.map(Box::new),
                    after: None,
                });
            }
        }
    }

    // Management-event copies per account-region. Nearly every place has one copy (an
    // organization trail reaches every read account-region), so only places with more
    // than one keep a list.
    let mut reach: HashMap<(&str, &str), (usize, Vec<usize>)> = HashMap::new();
    for (i, copy) in copies.iter().enumerate() {
        let accounts: Vec<&str> = if copy.organization {
            regions_by_account.keys().copied().collect()
        } else {
            vec![copy.owner]
        };
        for account in accounts {
            let Some(regions) = regions_by_account.get(account) else {
                continue;
            };
            for region in regions {
                if copy.multi_region || *region == copy.home_region {
                    reach
                        .entry((account, region))
                        .and_modify(|(_, more)| more.push(i))
                        .or_insert((i, Vec::new()));
                }
            }
        }
    }
    let mut duplicates: BTreeMap<Vec<String>, Vec<(String, String)>> = BTreeMap::new();
    for ((account, region), (first, more)) in reach {
        if !more.is_empty() {
            let mut labels: Vec<String> = std::iter::once(first)
                .chain(more)
                .filter_map(|i| copies.get(i))
                .map(|c| {
                    if c.organization {
                        format!("{} (organization trail)", c.label)
                    } else {
                        c.label.clone()
                    }
                })
                .collect();
            labels.sort();
            duplicates
                .entry(labels)
                .or_default()
                .push((account.to_owned(), region.to_owned()));
        }
    }
    for (labels, mut places) in duplicates {
        places.sort();
        let what = format!(
            "management events are delivered by {} trails ({}): every copy after the first is billed",
            labels.len(),
            labels.join(", ")
        );
        warnings.push(aggregated_warning(
            WarningKind::DuplicateManagementEvents,
            None,
            &places,
            &what,
        ));
    }
    for (trail, mut places) in own_bucket {
        places.sort();
        warnings.push(aggregated_warning(
            WarningKind::DataEventsCoverOwnBucket,
            Some(trail),
            &places,
            "an S3 data-event selector covers the trail's own log files: it logs its own deliveries",
        ));
    }
    for (trail, mut places) in unresolved_kms {
        places.sort();
        warnings.push(aggregated_warning(
            WarningKind::UnresolvedKmsAlias,
            Some(trail),
            &places,
            "the KMS alias could not be resolved to a key ARN, so the KMS key was not compared",
        ));
    }

    warnings.extend(trail_limit_warnings(live, &plans, &regions_by_account));

    plans.sort_by(|a, b| {
        (&a.account_id, &a.region, &a.trail).cmp(&(&b.account_id, &b.region, &b.trail))
    });
    warnings.sort();
    unreadable.sort();
    unreadable.dedup();

    let mut summary = Summary {
        unreadable_targets,
        ..Summary::default()
    };
    let mut account_unchanged: BTreeMap<&str, bool> = BTreeMap::new();
    for p in &plans {
        match p.action {
            Action::Create => summary.create += 1,
            Action::Update => summary.update += 1,
            Action::Delete => summary.delete += 1,
            Action::NoOp => summary.unchanged += 1,
        }
        let unchanged = account_unchanged
            .entry(p.account_id.as_str())
            .or_insert(true);
        *unchanged &= p.action == Action::NoOp;
    }
    summary.unchanged_accounts = account_unchanged
        .into_iter()
        .filter(|(account, unchanged)| *unchanged && !unreadable_accounts.contains(account))
        .count();

    Plan {
        format_version: PLAN_FORMAT_VERSION,
        spec_fingerprint: spec_fingerprint(spec),
        summary,
        targets: plans,
        warnings,
        unreadable,
    }
}
