//! The diff on plain data: each change kind, unreadable targets, unmanaged trails,
//! shadows and warnings.

mod engine_fixture;

use engine_fixture::*;
use trailform::live::{LiveSelectors, LiveState};
use trailform::normalize::{self, DesiredSelectors};
use trailform::plan::{diff, Action, Change, DiffOptions, Plan, TargetPlan, WarningKind};
use trailform::spec::{Scope, Spec};

fn find<'a>(plan: &'a Plan, account: &str, trail: &str) -> &'a TargetPlan {
    plan.targets
        .iter()
        .find(|t| t.account_id == account && t.trail == trail)
        .unwrap_or_else(|| panic!("no plan for {account} {trail}"))
}

fn ops(t: &TargetPlan) -> Vec<&'static str> {
    t.changes.iter().map(Change::operation).collect()
}

#[test]
fn create_when_absent_in_execution_order() {
    let plan = sample_plan();
    let t = find(&plan, MANAGEMENT, "org-audit");
    assert_eq!(t.action, Action::Create);
    assert_eq!(
        ops(t),
        [
            "CreateTrail",
            "PutEventSelectors",
            "PutInsightSelectors",
            "StartLogging"
        ]
    );
    assert_eq!(
        t.arn,
        "arn:aws:cloudtrail:us-east-1:111111111111:trail/org-audit"
    );
    let Change::CreateTrail { config, tags } = &t.changes[0] else {
        panic!("first change creates");
    };
    assert!(config.organization_trail && config.multi_region && config.log_file_validation);
    // Tags go with the create (TagsList), not in a later AddTags.
    assert_eq!(
        tags,
        &std::collections::BTreeMap::from([("owner".to_owned(), "security".to_owned())])
    );
    assert_eq!(
        t.live_fingerprint,
        trailform::plan::fingerprint::live_fingerprint(None)
    );
}

#[test]
fn create_with_default_selectors_puts_none() {
    let spec: Spec = serde_yaml::from_str(
        "version: 1\ntrails:\n  basic:\n    scope: account\n    regions: [us-east-1]\n    s3_bucket: b\n",
    )
    .unwrap();
    let targets = vec![target("basic", Scope::Account, PROD, "prod")];
    let mut live = live_state();
    live.trails.clear();
    let plan = diff(&spec, &targets, &live, &DiffOptions::default());
    assert_eq!(
        ops(find(&plan, PROD, "basic")),
        ["CreateTrail", "StartLogging"]
    );
}

#[test]
fn update_attribute_by_attribute() {
    let plan = sample_plan();
    let t = find(&plan, PROD, "workload");
    assert_eq!(t.action, Action::Update);
    assert_eq!(
        ops(t),
        [
            "UpdateTrail",
            "PutEventSelectors",
            "PutInsightSelectors",
            "AddTags",
            "RemoveTags",
            "StartLogging"
        ]
    );
    let arn = "arn:aws:cloudtrail:us-east-1:222222222222:trail/workload";
    for change in &t.changes {
        match change {
            Change::UpdateTrail {
                arn: a,
                attributes,
                config,
            } => {
                assert_eq!(a, arn);
                let names: Vec<&str> = attributes.iter().map(|d| d.attribute.as_str()).collect();
                assert_eq!(names, ["s3_key_prefix", "log_file_validation"]);
                assert_eq!(config.s3_bucket, "acme-trail-222222222222");
            }
            Change::PutEventSelectors { selectors, .. } => {
                assert!(matches!(selectors, DesiredSelectors::Advanced(s) if s.len() == 1));
            }
            Change::PutInsightSelectors { insights, .. } => assert!(insights.is_empty()),
            Change::AddTags { tags, .. } => {
                assert_eq!(tags.get("owner").map(String::as_str), Some("prod"))
            }
            Change::RemoveTags { keys, .. } => assert_eq!(keys, &["temp".to_owned()]),
            Change::StartLogging { arn: a } => assert_eq!(a, arn),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(t.before.is_some() && t.after.is_some());
}

#[test]
fn stop_logging_and_no_ops() {
    let plan = sample_plan();
    assert_eq!(ops(find(&plan, DEV, "paused")), ["StopLogging"]);
    for account in [DEV, SHARED] {
        let t = find(&plan, account, "workload");
        assert_eq!(t.action, Action::NoOp, "{account} converged");
        assert!(t.changes.is_empty() && t.before.is_none() && t.after.is_none());
    }
    assert_eq!(plan.summary.unchanged, 2);
    assert_eq!(
        plan.summary.unchanged_accounts, 1,
        "only shared: dev has paused to stop"
    );
}

#[test]
fn unreadable_targets_are_never_planned() {
    let plan = sample_plan();
    assert!(plan.targets.iter().all(|t| t.account_id != SANDBOX));
    assert_eq!(plan.summary.unreadable_targets, 1);
    assert_eq!(
        plan.unreadable.len(),
        1,
        "the AssumeRole failure covers the target"
    );
    assert_eq!(plan.unreadable[0].operation, "AssumeRole");

    // A region that was simply not read (no failure recorded) is listed too.
    let mut live = live_state();
    live.read.remove(&(SHARED.to_owned(), REGION.to_owned()));
    let plan = diff(&spec(), &targets(), &live, &DiffOptions::default());
    assert!(plan.targets.iter().all(|t| t.account_id != SHARED));
    assert!(plan.unreadable.iter().any(|f| f.account_id == SHARED
        && f.code == "NotRead"
        && f.trail.as_deref() == Some("workload")));
    assert_eq!(plan.summary.unchanged_accounts, 0);
}

#[test]
fn details_not_read_is_unreadable_not_a_change() {
    let mut live = live_state();
    for t in &mut live.trails {
        if t.account_id == SHARED {
            t.details = None;
        }
    }
    let plan = diff(&spec(), &targets(), &live, &DiffOptions::default());
    assert!(plan.targets.iter().all(|t| t.account_id != SHARED));
    assert!(plan
        .unreadable
        .iter()
        .any(|f| f.account_id == SHARED && f.code == "DetailsNotRead"));
}

fn with_policy(policy: &str) -> Plan {
    let yaml = SPEC.replace(
        "unmanaged_trails: delete",
        &format!("unmanaged_trails: {policy}"),
    );
    let spec: Spec = serde_yaml::from_str(&yaml).unwrap();
    diff(&spec, &targets(), &live_state(), &DiffOptions::default())
}

#[test]
fn unmanaged_trails_follow_the_policy() {
    let deleted = sample_plan();
    let t = find(&deleted, MANAGEMENT, "legacy");
    assert_eq!(t.action, Action::Delete);
    assert_eq!(ops(t), ["DeleteTrail"]);

    let reported = with_policy("report");
    assert!(reported.targets.iter().all(|t| t.trail != "legacy"));
    let w: Vec<_> = reported
        .warnings
        .iter()
        .filter(|w| w.kind == WarningKind::UnmanagedTrail)
        .collect();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].trail.as_deref(), Some("legacy"));
    // A reported trail still exists, so its management events count as a copy.
    assert!(reported
        .warnings
        .iter()
        .any(|w| w.kind == WarningKind::DuplicateManagementEvents && w.message.contains("legacy")));

    let ignored = with_policy("ignore");
    assert!(ignored.targets.iter().all(|t| t.trail != "legacy"));
    assert!(ignored
        .warnings
        .iter()
        .all(|w| w.kind != WarningKind::UnmanagedTrail));
}

fn add_trail(
    live: &mut LiveState,
    mut trail: trailform::live::LiveTrail,
    account: &str,
    region: &str,
) {
    trail.account_id = account.into();
    trail.home_region = region.into();
    live.read.insert((account.to_owned(), region.to_owned()));
    live.trails.push(trail);
}

#[test]
fn shadows_and_unread_regions_are_never_unmanaged() {
    let mut live = live_state();
    let base = live.trails[0].clone();
    // An organization trail owned by the management account, seen from a member.
    let mut org_shadow = base.clone();
    org_shadow.name = "someone-elses-org-trail".into();
    org_shadow.organization_trail = true;
    org_shadow.arn =
        format!("arn:aws:cloudtrail:{REGION}:{MANAGEMENT}:trail/someone-elses-org-trail");
    add_trail(&mut live, org_shadow, PROD, REGION);
    // A multi-region trail seen outside its home region.
    let mut region_shadow = base.clone();
    region_shadow.name = "multi".into();
    region_shadow.multi_region = true;
    region_shadow.arn = format!("arn:aws:cloudtrail:{REGION}:{PROD}:trail/multi");
    add_trail(&mut live, region_shadow, PROD, "eu-west-1");
    // A trail in an account-region that was not read.
    let mut unread = base;
    unread.name = "unread".into();
    unread.account_id = PROD.into();
    unread.home_region = "ap-southeast-2".into();
    unread.arn = format!("arn:aws:cloudtrail:ap-southeast-2:{PROD}:trail/unread");
    live.trails.push(unread);

    let plan = diff(&spec(), &targets(), &live, &DiffOptions::default());
    let deleted: Vec<&str> = plan
        .targets
        .iter()
        .filter(|t| t.action == Action::Delete)
        .map(|t| t.trail.as_str())
        .collect();
    assert_eq!(deleted, ["legacy"]);
}

#[test]
fn reordered_and_default_spellings_plan_nothing() {
    let mut live = live_state();
    for t in &mut live.trails {
        if t.account_id == SHARED {
            with_details(t, |d| {
                *std::sync::Arc::make_mut(&mut d.selectors) =
                    LiveSelectors::Classic(vec![normalize::aws_default_classic_selector()]);
                d.insights = vec![];
            });
        }
    }
    let plan = diff(&spec(), &targets(), &live, &DiffOptions::default());
    assert_eq!(find(&plan, SHARED, "workload").action, Action::NoOp);
}

#[test]
fn converged_org_plans_zero_changes() {
    let spec = spec();
    let mut live = live_state();
    live.trails = targets()
        .iter()
        .filter(|t| t.account_id != SANDBOX)
        .map(|t| converged(&spec, t))
        .collect();
    let plan = diff(&spec, &targets(), &live, &DiffOptions::default());
    assert!(!plan.has_changes());
    assert!(plan.targets.iter().all(|t| t.action == Action::NoOp));
    assert_eq!(plan.summary.unchanged_accounts, 4);
}

#[test]
fn change_order_is_execution_order() {
    let arn = || "a".to_owned();
    let mut changes = [
        Change::DeleteTrail { arn: arn() },
        Change::StopLogging { arn: arn() },
        Change::StartLogging { arn: arn() },
        Change::RemoveTags {
            arn: arn(),
            keys: vec![],
        },
        Change::AddTags {
            arn: arn(),
            tags: Default::default(),
        },
        Change::PutInsightSelectors {
            arn: arn(),
            insights: vec![],
        },
        Change::PutEventSelectors {
            arn: arn(),
            selectors: DesiredSelectors::Advanced(vec![]),
        },
    ];
    changes.sort();
    let order: Vec<&str> = changes.iter().map(Change::operation).collect();
    assert_eq!(
        order,
        [
            "PutEventSelectors",
            "PutInsightSelectors",
            "AddTags",
            "RemoveTags",
            "StartLogging",
            "StopLogging",
            "DeleteTrail"
        ]
    );
}

#[test]
fn own_bucket_warning_respects_exclusions() {
    let yaml = SPEC.replace(
        "        read_only: false\n",
        "        read_only: false\n        arn_not_starts_with: [\"arn:aws:s3:::acme-org-cloudtrail/\"]\n",
    );
    let spec: Spec = serde_yaml::from_str(&yaml).unwrap();
    let plan = diff(&spec, &targets(), &live_state(), &DiffOptions::default());
    assert!(plan
        .warnings
        .iter()
        .all(|w| w.kind != WarningKind::DataEventsCoverOwnBucket));
    assert!(sample_plan()
        .warnings
        .iter()
        .any(|w| w.kind == WarningKind::DataEventsCoverOwnBucket
            && w.trail.as_deref() == Some("org-audit")));
}

#[test]
fn plans_are_deterministic_and_sorted() {
    let a = sample_plan();
    let mut live = live_state();
    live.trails.reverse();
    let mut targets = targets();
    targets.reverse();
    let b = diff(&spec(), &targets, &live, &DiffOptions::default());
    assert_eq!(a, b);
    let keys: Vec<_> = a
        .targets
        .iter()
        .map(|t| (&t.account_id, &t.region, &t.trail))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn a_plan_round_trips_through_json() {
    let plan = sample_plan();
    let json = trailform::plan::render_json(&plan);
    let back: Plan = serde_json::from_str(&json).unwrap();
    assert_eq!(back, plan);
}

/// A plan large enough to be computed on several threads is the same, target for
/// target and in the same order, as the plans of its parts computed on one thread.
#[test]
fn large_plans_are_the_same_on_any_number_of_threads() {
    use std::collections::BTreeMap;
    use trailform::live::{Account, AccountStatus, Organization, OuRef};
    use trailform::org::{resolve, Narrowing};

    let spec: Spec = serde_yaml::from_str(
        r#"
version: 1
organization: { regions: [us-east-1, eu-west-1] }
trails:
  org-audit: { scope: organization, home_region: us-east-1, s3_bucket: org-logs }
  acct:
    scope: account
    targets: { organizational_units: [Workloads] }
    regions: [us-east-1, eu-west-1]
    s3_bucket: "logs-{account_id}"
    tags: { owner: platform }
"#,
    )
    .unwrap();
    let root = OuRef {
        id: "r-ab12".into(),
        name: "Root".into(),
    };
    let workloads = OuRef {
        id: "ou-ab12-11111111".into(),
        name: "Workloads".into(),
    };
    let mut accounts = vec![Account {
        id: "100000000000".into(),
        name: "management".into(),
        email: "m@example.com".into(),
        status: AccountStatus::Active,
        tags: BTreeMap::new(),
        ou_path: vec![root.clone()],
    }];
    for i in 1..=3000u64 {
        accounts.push(Account {
            id: format!("{:012}", 200_000_000_000 + i),
            name: format!("a{i}"),
            email: format!("a{i}@example.com"),
            status: AccountStatus::Active,
            tags: BTreeMap::new(),
            ou_path: vec![root.clone(), workloads.clone()],
        });
    }
    let org = Organization {
        management_account_id: "100000000000".into(),
        caller_account_id: "100000000000".into(),
        root_id: "r-ab12".into(),
        accounts,
        ..Organization::default()
    };
    let targets = resolve(&spec, &org, &Narrowing::none()).targets;
    assert!(targets.len() > 6000);
    let ctx = normalize::DesiredContext::default();
    let mut live = LiveState::default();
    for (i, t) in targets.iter().enumerate() {
        live.read.insert((t.account_id.clone(), t.region.clone()));
        match i % 7 {
            0 => {} // absent: created
            1 => {
                let mut trail =
                    normalize::simulate_apply(&normalize::desired(&spec, t, &ctx).unwrap());
                trail.log_file_validation = true; // differs: updated
                live.trails.push(trail);
            }
            _ => live.trails.push(normalize::simulate_apply(
                &normalize::desired(&spec, t, &ctx).unwrap(),
            )),
        }
    }
    let opts = DiffOptions::default();
    let whole = diff(&spec, &targets, &live, &opts);
    let mut parts: Vec<TargetPlan> = Vec::new();
    for chunk in targets.chunks(1000) {
        parts.extend(diff(&spec, chunk, &live, &opts).targets);
    }
    parts.sort_by(|a, b| {
        (&a.account_id, &a.region, &a.trail).cmp(&(&b.account_id, &b.region, &b.trail))
    });
    assert_eq!(whole.targets, parts);
    assert!(whole.summary.create > 0 && whole.summary.update > 0 && whole.summary.unchanged > 0);
}

/// Live PROD has `singles` single-region trails in us-east-1 and one multi-region trail
/// homed in eu-west-1 (which counts in us-east-1 too); the spec creates `basic` there.
fn with_live_trails(singles: usize, policy: &str) -> Plan {
    let spec: Spec = serde_yaml::from_str(&format!(
        "version: 1\nunmanaged_trails: {policy}\ntrails:\n  basic:\n    scope: account\n    regions: [us-east-1]\n    s3_bucket: b\n"
    ))
    .unwrap();
    let mut live = live_state();
    let base = live.trails[0].clone();
    live.trails.clear();
    for i in 0..singles {
        let mut t = base.clone();
        t.name = format!("t{i}");
        t.arn = format!("arn:aws:cloudtrail:{REGION}:{PROD}:trail/t{i}");
        add_trail(&mut live, t, PROD, REGION);
    }
    let mut multi = base;
    multi.name = "everywhere".into();
    multi.multi_region = true;
    multi.arn = format!("arn:aws:cloudtrail:eu-west-1:{PROD}:trail/everywhere");
    add_trail(&mut live, multi, PROD, "eu-west-1");
    let targets = vec![target("basic", Scope::Account, PROD, "prod")];
    diff(&spec, &targets, &live, &DiffOptions::default())
}

fn limit_warnings(plan: &Plan) -> Vec<&trailform::plan::Warning> {
    plan.warnings
        .iter()
        .filter(|w| w.kind == WarningKind::TrailLimit)
        .collect()
}

#[test]
fn a_create_past_five_trails_in_an_account_region_is_warned() {
    // 4 single-region + 1 multi-region from elsewhere + the new one = 6.
    let plan = with_live_trails(4, "report");
    assert_eq!(find(&plan, PROD, "basic").action, Action::Create);
    let warned = limit_warnings(&plan);
    assert_eq!(warned.len(), 1, "{:?}", plan.warnings);
    assert_eq!(warned[0].account_id.as_deref(), Some(PROD));
    assert_eq!(warned[0].region.as_deref(), Some(REGION));
    assert_eq!(warned[0].trail.as_deref(), Some("basic"));
    assert!(warned[0]
        .message
        .contains("MaximumNumberOfTrailsExceededException"));

    // Exactly 5 is allowed.
    assert!(limit_warnings(&with_live_trails(3, "report")).is_empty());
    // Unmanaged trails the plan deletes first do not count.
    assert!(limit_warnings(&with_live_trails(4, "delete")).is_empty());
}

#[test]
fn an_organization_trail_counts_in_every_member_account() {
    let spec: Spec = serde_yaml::from_str(
        "version: 1\ntrails:\n  org:\n    scope: organization\n    home_region: us-east-1\n    s3_bucket: b\n",
    )
    .unwrap();
    let mut live = live_state();
    let base = live.trails[0].clone();
    live.trails.clear();
    for i in 0..5 {
        let mut t = base.clone();
        t.name = format!("t{i}");
        t.arn = format!("arn:aws:cloudtrail:{REGION}:{PROD}:trail/t{i}");
        add_trail(&mut live, t, PROD, REGION);
    }
    let targets = vec![target("org", Scope::Organization, MANAGEMENT, "management")];
    let plan = diff(&spec, &targets, &live, &DiffOptions::default());
    assert_eq!(find(&plan, MANAGEMENT, "org").action, Action::Create);
    let warned = limit_warnings(&plan);
    assert_eq!(warned.len(), 1, "{:?}", plan.warnings);
    assert_eq!(warned[0].account_id.as_deref(), Some(PROD));
    assert_eq!(warned[0].trail.as_deref(), Some("org"));
}
