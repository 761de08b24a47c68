//! Reading the live organization into [`LiveState`], pipelined (design.md §3).
//!
//! The OU tree is walked once; each account is resolved ([`crate::org::resolve_account`])
//! and its reads are spawned as soon as its ListAccountsForParent page arrives, while
//! the walk goes on. Every call shares the one concurrency limit of the
//! [`AwsContext`]. Per account-region: one DescribeTrails; then, only for the trails
//! that [`DetailPolicy`] asks for, one ListTags per 20 trails and per trail
//! GetEventSelectors, GetInsightSelectors and GetTrailStatus. A failure is recorded
//! against what it was reading; everything else is still read.
//!
//! This module decides *what* to read; [`super::cloudtrail`] and
//! [`super::organizations`] know *how*. It does not diff or print.

use std::collections::BTreeSet;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::organizations::{self, Listed};
use super::{AwsContext, AwsError, MemberAccess};
use crate::live::{
    Account, LiveState, LiveTrail, Organization, ReadFailure, SelectorInterner, TrailDetails,
};
use crate::org::{check_references, resolve_account, AccountResolution, Narrowing, Resolution};
use crate::spec::{Scope, Spec};

/// Which trails get the detail reads (selectors, insights, status, tags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailPolicy {
    /// Only trails the spec manages in that account-region (`plan`, `apply`, `drift`):
    /// unmanaged trails are reported from DescribeTrails alone.
    Managed,
    /// Every trail (`import`).
    All,
}

/// Where a read stands; the CLI backs this with a stderr bar on a TTY.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadProgress {
    /// Accounts listed so far.
    pub accounts_listed: usize,
    /// Accounts whose reads have finished (or were skipped).
    pub accounts_done: usize,
    /// The listing is complete: `accounts_listed` is the total.
    pub listing_done: bool,
}

/// Receives progress updates. Called from the reading task, never concurrently.
pub trait Progress {
    /// Something moved.
    fn update(&self, progress: ReadProgress);
}

/// Progress that goes nowhere (tests, `-q`, no TTY).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn update(&self, _progress: ReadProgress) {}
}

/// Everything read from one account.
struct AccountOutcome {
    account: Account,
    resolution: AccountResolution,
    read: Vec<(String, String)>,
    trails: Vec<LiveTrail>,
    failures: Vec<ReadFailure>,
}

fn failure(
    account_id: &str,
    region: Option<&str>,
    trail: Option<&str>,
    err: AwsError,
) -> ReadFailure {
    ReadFailure {
        account_id: account_id.to_owned(),
        region: region.map(str::to_owned),
        trail: trail.map(str::to_owned),
        ou: None,
        operation: err.operation,
        code: err.code,
        message: err.message,
    }
}

/// An Organizations listing that failed, against the caller's account and the parent
/// whose listing it was.
fn walk_failure(caller: &str, f: organizations::WalkFailure) -> ReadFailure {
    ReadFailure {
        ou: Some(f.parent_id),
        ..failure(caller, None, None, f.error)
    }
}

/// Reads the organization and every targeted account-region's trails.
///
/// Never fails as a whole: what could not be read is in `LiveState::failures` (an
/// Organizations failure means the account list is incomplete), and only the
/// (account, region) pairs in `LiveState::read` were read.
pub async fn read_live(
    ctx: &AwsContext,
    spec: &Spec,
    narrow: &Narrowing,
    detail: DetailPolicy,
    progress: &dyn Progress,
) -> (LiveState, Resolution) {
    let mut live = LiveState::default();
    let (caller, management, root) = match organization_header(ctx).await {
        Ok(h) => h,
        Err(e) => {
            live.failures.push(failure("", None, None, e));
            return (live, Resolution::default());
        }
    };
    live.org = Organization {
        management_account_id: management.clone(),
        caller_account_id: caller,
        root_id: root.clone(),
        ..Organization::default()
    };

    let shared = Arc::new(Shared {
        ctx: ctx.clone(),
        interner: SelectorInterner::default(),
        spec: spec.clone(),
        narrow: narrow.clone(),
        access: MemberAccess::from_spec(&spec.organization),
        management,
        detail,
        need_tags: spec_uses_account_tags(spec),
    });

    let (tx, mut rx) = mpsc::unbounded_channel::<Listed>();
    let walker = organizations::walk(ctx, &root, move |item| {
        // The receiver lives until the end of this function.
        let _ = tx.send(item);
    });
    tokio::pin!(walker);
    let mut walk_done = false;
    let mut tasks: JoinSet<AccountOutcome> = JoinSet::new();
    let mut state = ReadProgress::default();
    let mut outcomes = Vec::new();
    let mut listed_accounts = Vec::new();
    let mut on_item = |item: Listed,
                       tasks: &mut JoinSet<AccountOutcome>,
                       live: &mut LiveState,
                       state: &mut ReadProgress| match item {
        Listed::Ou(ou) => live.org.organizational_units.push(ou),
        Listed::Account(account) => {
            state.accounts_listed += 1;
            listed_accounts.push(account.id.clone());
            tasks.spawn(read_account(Arc::clone(&shared), account));
        }
    };
    loop {
        tokio::select! {
            walk_failures = &mut walker, if !walk_done => {
                walk_done = true;
                for f in walk_failures {
                    live.failures.push(walk_failure(&live.org.caller_account_id, f));
                }
                while let Ok(item) = rx.try_recv() {
                    on_item(item, &mut tasks, &mut live, &mut state);
                }
                state.listing_done = true;
                progress.update(state);
            }
            Some(item) = rx.recv(), if !walk_done => {
                on_item(item, &mut tasks, &mut live, &mut state);
                progress.update(state);
            }
            Some(joined) = tasks.join_next() => {
                state.accounts_done += 1;
                progress.update(state);
                if let Ok(outcome) = joined {
                    outcomes.push(outcome);
                }
            }
            else => break,
        }
    }

    // Listing order for accounts, whatever order their reads finished in.
    let order: std::collections::HashMap<&str, usize> = listed_accounts
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    outcomes.sort_by_key(|o| {
        order
            .get(o.account.id.as_str())
            .copied()
            .unwrap_or(usize::MAX)
    });
    let mut resolution = Resolution::default();
    for o in outcomes {
        resolution.targets.extend(o.resolution.targets);
        resolution.excluded.extend(o.resolution.excluded);
        if !o.resolution.read_regions.is_empty() {
            resolution
                .read_regions
                .insert(o.account.id.clone(), o.resolution.read_regions);
        }
        live.read.extend(o.read);
        live.trails.extend(o.trails);
        live.failures.extend(o.failures);
        live.org.accounts.push(o.account);
    }
    resolution.targets.sort();
    resolution.errors = check_references(spec, &live.org);
    live.trails.sort_by(|a, b| {
        (&a.account_id, &a.home_region, &a.name).cmp(&(&b.account_id, &b.home_region, &b.name))
    });
    live.failures.sort();
    (live, resolution)
}

/// What every account task needs, shared.
struct Shared {
    ctx: AwsContext,
    interner: SelectorInterner,
    spec: Spec,
    narrow: Narrowing,
    access: MemberAccess,
    management: String,
    detail: DetailPolicy,
    need_tags: bool,
}

async fn read_account(shared: Arc<Shared>, mut account: Account) -> AccountOutcome {
    let mut out = AccountOutcome {
        account: account.clone(),
        resolution: AccountResolution::default(),
        read: Vec::new(),
        trails: Vec::new(),
        failures: Vec::new(),
    };
    // Tags only matter for accounts that could be targeted at all.
    let pre = resolve_account(&shared.spec, &shared.management, &account, &shared.narrow);
    if pre.read_regions.is_empty()
        && pre.targets.is_empty()
        && pre.excluded.iter().any(|e| e.trail.is_none())
    {
        out.resolution = pre;
        return out;
    }
    if shared.need_tags {
        match organizations::account_tags(&shared.ctx, &account.id).await {
            Ok(tags) => account.tags = tags,
            Err(e) => {
                out.failures.push(failure(&account.id, None, None, e));
                return out;
            }
        }
    }
    out.account = account.clone();
    out.resolution = resolve_account(&shared.spec, &shared.management, &account, &shared.narrow);

    let mut regions = JoinSet::new();
    for region in out.resolution.read_regions.clone() {
        let managed: BTreeSet<String> = out
            .resolution
            .targets
            .iter()
            .filter(|t| t.region == region)
            .map(|t| t.trail.clone())
            .collect();
        let shared = Arc::clone(&shared);
        let account_id = account.id.clone();
        regions.spawn(async move { read_region(&shared, &account_id, &region, &managed).await });
    }
    while let Some(joined) = regions.join_next().await {
        let Ok(region) = joined else { continue };
        if let Some(pair) = region.read {
            out.read.push(pair);
        }
        out.trails.extend(region.trails);
        out.failures.extend(region.failures);
    }
    // An account whose role cannot be assumed fails once per region in the same way;
    // report it once.
    out.failures.sort();
    out.failures
        .dedup_by(|a, b| a.region.is_none() && b.region.is_none() && a.operation == b.operation);
    out.read.sort();
    out
}

struct RegionOutcome {
    read: Option<(String, String)>,
    trails: Vec<LiveTrail>,
    failures: Vec<ReadFailure>,
}

async fn read_region(
    shared: &Shared,
    account_id: &str,
    region: &str,
    managed: &BTreeSet<String>,
) -> RegionOutcome {
    read_region_with(
        &shared.ctx,
        &shared.access,
        &shared.interner,
        shared.detail,
        account_id,
        region,
        managed,
    )
    .await
}

// A ReadFailure is plain data the caller reports as is; boxing it buys nothing here.
#[allow(clippy::result_large_err)]
/// Re-reads single trails (a saved plan's targets), each as `plan` read it: one
/// DescribeTrails in its account-region, then the trail's details. `Ok(None)` when the
/// trail is absent; `Err` when the account-region or the trail could not be read.
pub async fn reread_trails(
    ctx: &AwsContext,
    access: &MemberAccess,
    targets: &[(String, String, String)],
) -> Vec<Result<Option<LiveTrail>, ReadFailure>> {
    let mut tasks = JoinSet::new();
    for (index, (account, region, trail)) in targets.iter().cloned().enumerate() {
        let ctx = ctx.clone();
        let access = access.clone();
        tasks.spawn(async move {
            let managed = BTreeSet::from([trail.clone()]);
            let out = read_region_with(
                &ctx,
                &access,
                &SelectorInterner::default(),
                DetailPolicy::Managed,
                &account,
                &region,
                &managed,
            )
            .await;
            let result = if let Some(f) = out.failures.into_iter().next() {
                Err(f)
            } else {
                Ok(out.trails.into_iter().find(|t| t.name == trail))
            };
            (index, result)
        });
    }
    let mut results: Vec<Option<Result<Option<LiveTrail>, ReadFailure>>> =
        (0..targets.len()).map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        if let Ok((index, result)) = joined {
            results[index] = Some(result);
        }
    }
    results
        .into_iter()
        .zip(targets)
        .map(|(r, (account, region, trail))| {
            r.unwrap_or_else(|| {
                Err(ReadFailure {
                    account_id: account.clone(),
                    region: Some(region.clone()),
                    trail: Some(trail.clone()),
                    ou: None,
                    operation: "read".to_owned(),
                    code: "InternalError".to_owned(),
                    message: "the read task stopped unexpectedly".to_owned(),
                })
            })
        })
        .collect()
}

async fn read_region_with(
    ctx: &AwsContext,
    access: &MemberAccess,
    interner: &SelectorInterner,
    detail: DetailPolicy,
    account_id: &str,
    region: &str,
    managed: &BTreeSet<String>,
) -> RegionOutcome {
    let mut out = RegionOutcome {
        read: None,
        trails: Vec::new(),
        failures: Vec::new(),
    };
    let client = match ctx.trail_client(account_id, region, access).await {
        Ok(c) => c,
        Err(e) => {
            // AssumeRole (or caller identity) failures are about the account.
            out.failures.push(failure(account_id, None, None, e));
            return out;
        }
    };
    let mut trails = match client.describe_trails().await {
        Ok(t) => t,
        Err(e) => {
            out.failures
                .push(failure(account_id, Some(region), None, e));
            return out;
        }
    };
    out.read = Some((account_id.to_owned(), region.to_owned()));
    let wanted: Vec<usize> = trails
        .iter()
        .enumerate()
        .filter(|(_, t)| detail == DetailPolicy::All || managed.contains(&t.name))
        .map(|(i, _)| i)
        .collect();
    if wanted.is_empty() {
        out.trails = trails;
        return out;
    }
    let arns: Vec<String> = wanted.iter().map(|&i| trails[i].arn.clone()).collect();
    let tags = match client.list_tags(&arns).await {
        Ok(t) => Some(t),
        Err(e) => {
            out.failures
                .push(failure(account_id, Some(region), None, e));
            None
        }
    };
    for &i in &wanted {
        let trail = &mut trails[i];
        // A few calls in flight per account-region: one trail's three reads at once.
        let (selectors, insights, status) = tokio::join!(
            client.get_event_selectors(&trail.arn),
            client.get_insight_selectors(&trail.arn),
            client.get_trail_status(&trail.arn),
        );
        let fail = |e| failure(account_id, Some(region), Some(&trail.name), e);
        match (
            selectors,
            insights,
            status,
            // ListTags may leave out a trail that has no tags.
            tags.as_ref()
                .map(|t| t.get(&trail.arn).cloned().unwrap_or_default()),
        ) {
            (Ok(selectors), Ok(insights), Ok(status), Some(tags)) => {
                trail.details = Some(TrailDetails {
                    selectors: interner.intern(selectors),
                    insights,
                    status,
                    tags,
                });
            }
            (s, i, st, _) => {
                out.failures.extend(s.err().map(fail));
                out.failures.extend(i.err().map(fail));
                out.failures.extend(st.err().map(fail));
            }
        }
    }
    out.trails = trails;
    out
}

/// The caller's account, the management account and the root: the three calls every
/// organization read starts with.
async fn organization_header(ctx: &AwsContext) -> Result<(String, String, String), AwsError> {
    let caller = ctx.caller_account_id().await?;
    let management = organizations::management_account_id(ctx).await?;
    let root = organizations::root_id(ctx).await?;
    Ok((caller, management, root))
}

/// Lists the organization only (no trail reads): what `accounts` needs. Account tags
/// are read only when `with_tags` (the spec uses `account_tags`).
pub async fn read_organization(
    ctx: &AwsContext,
    with_tags: bool,
) -> (Organization, Vec<ReadFailure>) {
    let mut failures = Vec::new();
    let (caller, management, root) = match organization_header(ctx).await {
        Ok(h) => h,
        Err(e) => {
            failures.push(failure("", None, None, e));
            return (Organization::default(), failures);
        }
    };
    let mut org = Organization {
        management_account_id: management,
        caller_account_id: caller,
        root_id: root.clone(),
        ..Organization::default()
    };
    let mut listed = Vec::new();
    for f in organizations::walk(ctx, &root, |item| listed.push(item)).await {
        failures.push(walk_failure(&org.caller_account_id, f));
    }
    for item in listed {
        match item {
            Listed::Ou(ou) => org.organizational_units.push(ou),
            Listed::Account(a) => org.accounts.push(a),
        }
    }
    if with_tags {
        let mut tasks = JoinSet::new();
        for (index, account) in org.accounts.iter().enumerate() {
            let ctx = ctx.clone();
            let id = account.id.clone();
            tasks.spawn(async move { (index, organizations::account_tags(&ctx, &id).await) });
        }
        while let Some(joined) = tasks.join_next().await {
            let Ok((index, result)) = joined else {
                continue;
            };
            match result {
                Ok(tags) => org.accounts[index].tags = tags,
                Err(e) => failures.push(failure(&org.accounts[index].id, None, None, e)),
            }
        }
    }
    failures.sort();
    (org, failures)
}

/// Whether any trail of `spec` selects accounts by tag (account tags cost one
/// Organizations call per account, so they are read only then).
#[must_use]
pub fn spec_uses_account_tags(spec: &Spec) -> bool {
    spec.trails.values().any(|t| {
        t.scope == Scope::Account
            && t.targets
                .as_ref()
                .is_some_and(|t| !t.account_tags.is_empty())
    })
}
