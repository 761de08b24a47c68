//! A small organization and a plan with every kind of change, shared by the plan
//! tests (diff, renderers, schema). Plain data: no AWS.
#![allow(dead_code)] // each test binary uses a different part

use std::collections::{BTreeMap, BTreeSet};

use trailform::live::{
    Account, AccountStatus, LiveSelectors, LiveState, LiveTrail, Organization, ReadFailure,
    TrailDetails, TrailStatus,
};
use trailform::normalize::{self, DesiredContext};
use trailform::org::Target;
use trailform::plan::{diff, DiffOptions, Plan};
use trailform::spec::{AdvancedEventSelector, AdvancedFieldSelector, Scope, Spec};

pub const MANAGEMENT: &str = "111111111111";
pub const PROD: &str = "222222222222";
pub const DEV: &str = "333333333333";
pub const SANDBOX: &str = "444444444444";
pub const SHARED: &str = "555555555555";
pub const REGION: &str = "us-east-1";

pub const SPEC: &str = r#"
version: 1
unmanaged_trails: delete
trails:
  org-audit:
    scope: organization
    home_region: us-east-1
    s3_bucket: acme-org-cloudtrail
    s3_key_prefix: org
    kms_key_id: arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab
    log_file_validation: true
    management_events:
      read_write: all
      exclude_sources: [kms.amazonaws.com]
    data_events:
      - name: all S3 writes
        resource_type: AWS::S3::Object
        read_only: false
    insights: [api_call_rate]
    tags: { owner: security }
  workload:
    scope: account
    regions: [us-east-1]
    s3_bucket: "acme-trail-{account_id}"
    log_file_validation: true
    tags: { owner: "{account_name}" }
  paused:
    scope: account
    targets: { accounts: ["333333333333"] }
    regions: [us-east-1]
    s3_bucket: acme-paused
    logging: false
"#;

pub fn spec() -> Spec {
    serde_yaml::from_str(SPEC).expect("fixture spec parses")
}

pub fn target(trail: &str, scope: Scope, account: &str, name: &str) -> Target {
    Target {
        trail: trail.into(),
        scope,
        account_id: account.into(),
        account_name: name.into(),
        region: REGION.into(),
    }
}

pub fn targets() -> Vec<Target> {
    vec![
        target("org-audit", Scope::Organization, MANAGEMENT, "management"),
        target("workload", Scope::Account, PROD, "prod"),
        target("workload", Scope::Account, DEV, "dev"),
        target("workload", Scope::Account, SANDBOX, "sandbox"),
        target("workload", Scope::Account, SHARED, "shared"),
        target("paused", Scope::Account, DEV, "dev"),
    ]
}

fn account(id: &str, name: &str) -> Account {
    Account {
        id: id.into(),
        name: name.into(),
        email: format!("{name}@example.com"),
        status: AccountStatus::Active,
        tags: BTreeMap::new(),
        ou_path: vec![],
    }
}

/// What AWS would store for target `t` once converged.
pub fn converged(spec: &Spec, t: &Target) -> LiveTrail {
    let desired = normalize::desired(spec, t, &DesiredContext::default()).expect("target in spec");
    normalize::simulate_apply(&desired)
}

pub fn with_details(trail: &mut LiveTrail, f: impl FnOnce(&mut TrailDetails)) {
    if let Some(d) = trail.details.as_mut() {
        f(d);
    }
}

pub fn live_state() -> LiveState {
    let spec = spec();
    let t = targets();
    // prod: workload drifted in every updatable way.
    let mut prod = converged(&spec, &t[1]);
    prod.s3_key_prefix = Some("old".into());
    prod.log_file_validation = false;
    with_details(&mut prod, |d| {
        *std::sync::Arc::make_mut(&mut d.selectors) =
            LiveSelectors::Advanced(vec![AdvancedEventSelector {
                name: Some("lambda".into()),
                field_selectors: vec![
                    AdvancedFieldSelector {
                        field: "eventCategory".into(),
                        equals: vec!["Data".into()],
                        ..AdvancedFieldSelector::default()
                    },
                    AdvancedFieldSelector {
                        field: "resources.type".into(),
                        equals: vec!["AWS::Lambda::Function".into()],
                        ..AdvancedFieldSelector::default()
                    },
                ],
            }]);
        d.insights = vec!["ApiErrorRateInsight".into()];
        d.tags = BTreeMap::from([
            ("owner".to_owned(), "someone".to_owned()),
            ("temp".to_owned(), "x".to_owned()),
        ]);
        d.status.is_logging = false;
    });
    // dev: workload converged; paused still logging.
    let dev = converged(&spec, &t[2]);
    let mut paused = converged(&spec, &t[5]);
    with_details(&mut paused, |d| d.status.is_logging = true);
    // shared: converged, with the AWS default classic selector spelled differently.
    let mut shared = converged(&spec, &t[4]);
    with_details(&mut shared, |d| {
        *std::sync::Arc::make_mut(&mut d.selectors) = LiveSelectors::None
    });
    // management: an unmanaged trail, planned for deletion.
    let legacy = LiveTrail {
        account_id: MANAGEMENT.into(),
        home_region: REGION.into(),
        name: "legacy".into(),
        arn: format!("arn:aws:cloudtrail:{REGION}:{MANAGEMENT}:trail/legacy"),
        s3_bucket: Some("old-bucket".into()),
        s3_key_prefix: None,
        sns_topic_arn: None,
        kms_key_id: None,
        cloudwatch_logs_log_group_arn: None,
        cloudwatch_logs_role_arn: None,
        multi_region: false,
        organization_trail: false,
        global_service_events: true,
        log_file_validation: false,
        details: Some(TrailDetails {
            selectors: LiveSelectors::None.into(),
            insights: vec![],
            status: TrailStatus {
                is_logging: true,
                ..TrailStatus::default()
            },
            tags: BTreeMap::new(),
        }),
    };
    LiveState {
        org: Organization {
            management_account_id: MANAGEMENT.into(),
            caller_account_id: MANAGEMENT.into(),
            root_id: "r-abcd".into(),
            accounts: vec![
                account(MANAGEMENT, "management"),
                account(PROD, "prod"),
                account(DEV, "dev"),
                account(SANDBOX, "sandbox"),
                account(SHARED, "shared"),
            ],
            ..Organization::default()
        },
        read: BTreeSet::from([
            (MANAGEMENT.to_owned(), REGION.to_owned()),
            (PROD.to_owned(), REGION.to_owned()),
            (DEV.to_owned(), REGION.to_owned()),
            (SHARED.to_owned(), REGION.to_owned()),
        ]),
        trails: vec![legacy, prod, dev, paused, shared],
        failures: vec![ReadFailure {
            account_id: SANDBOX.into(),
            region: None,
            trail: None,
            ou: None,
            operation: "AssumeRole".into(),
            code: "AccessDenied".into(),
            message: "User is not authorized to perform sts:AssumeRole".into(),
        }],
    }
}

/// The plan with every kind of change, warnings and an unreadable account.
pub fn sample_plan() -> Plan {
    diff(&spec(), &targets(), &live_state(), &DiffOptions::default())
}
