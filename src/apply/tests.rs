//! Apply ordering, isolation, safety gates and routing, on a recording writer.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::*;
use crate::plan::{Summary, PLAN_FORMAT_VERSION};

/// Records every call; fails the calls it is told to.
#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<(String, String, &'static str)>>,
    fail: Vec<(String, &'static str, &'static str)>,
}

impl Writer for Recorder {
    async fn write(&self, target: &TargetPlan, change: &Change) -> Result<CallOutcome, AwsError> {
        self.calls.lock().unwrap().push((
            target.account_id.clone(),
            target.trail.clone(),
            change.operation(),
        ));
        if let Some((_, op, code)) = self
            .fail
            .iter()
            .find(|(acct, op, _)| *acct == target.account_id && *op == change.operation())
        {
            return Err(AwsError {
                operation: (*op).to_owned(),
                code: (*code).to_owned(),
                message: "injected".to_owned(),
            });
        }
        Ok(CallOutcome::Done)
    }
}

fn config(name: &str) -> TrailConfig {
    TrailConfig {
        name: name.to_owned(),
        s3_bucket: "bucket".to_owned(),
        s3_key_prefix: None,
        sns_topic: None,
        kms_key_id: None,
        cloudwatch_logs: None,
        multi_region: true,
        global_service_events: true,
        log_file_validation: true,
        organization_trail: false,
    }
}

fn target(account: &str, scope: Scope, changes: Vec<Change>) -> TargetPlan {
    TargetPlan {
        account_id: account.to_owned(),
        account_name: format!("name-{account}"),
        region: "us-east-1".to_owned(),
        trail: "audit".to_owned(),
        scope,
        action: Action::Create,
        arn: format!("arn:aws:cloudtrail:us-east-1:{account}:trail/audit"),
        changes,
        live_fingerprint: "sha256:x".to_owned(),
        before: None,
        after: None,
    }
}

fn plan(targets: Vec<TargetPlan>) -> Plan {
    Plan {
        format_version: PLAN_FORMAT_VERSION,
        spec_fingerprint: "sha256:spec".to_owned(),
        summary: Summary::default(),
        targets,
        warnings: Vec::new(),
        unreadable: Vec::new(),
    }
}

fn create_all(account: &str) -> Vec<Change> {
    let arn = format!("arn:aws:cloudtrail:us-east-1:{account}:trail/audit");
    vec![
        Change::CreateTrail {
            config: config("audit"),
            tags: BTreeMap::from([("owner".to_owned(), "security".to_owned())]),
        },
        Change::PutInsightSelectors {
            arn: arn.clone(),
            insights: vec!["ApiCallRateInsight".to_owned()],
        },
        Change::StartLogging { arn },
    ]
}

fn fast() -> ApplyOptions {
    ApplyOptions {
        write_interval: Duration::ZERO,
        consistency_timeout: Duration::ZERO,
        ..ApplyOptions::default()
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

#[test]
fn changes_run_in_plan_order_per_target() {
    let writer = Arc::new(Recorder::default());
    let p = plan(vec![target(
        "111111111111",
        Scope::Account,
        create_all("111111111111"),
    )]);
    let report = rt().block_on(apply(&p, Arc::clone(&writer), &fast(), &NoApplyProgress));
    let ops: Vec<_> = writer.calls.lock().unwrap().iter().map(|c| c.2).collect();
    assert_eq!(ops, ["CreateTrail", "PutInsightSelectors", "StartLogging"]);
    assert_eq!(report.summary.applied, 1);
    assert_eq!(report.summary.calls, 3);
    assert!(!report.has_failures());
}

#[test]
fn one_target_failing_does_not_stop_the_others() {
    let writer = Arc::new(Recorder {
        fail: vec![(
            "222222222222".to_owned(),
            "PutInsightSelectors",
            "AccessDeniedException",
        )],
        ..Recorder::default()
    });
    let p = plan(vec![
        target("111111111111", Scope::Account, create_all("111111111111")),
        target("222222222222", Scope::Account, create_all("222222222222")),
        target("333333333333", Scope::Account, create_all("333333333333")),
    ]);
    let report = rt().block_on(apply(&p, Arc::clone(&writer), &fast(), &NoApplyProgress));
    assert_eq!(report.summary.applied, 2);
    assert_eq!(report.summary.failed, 1);
    let failed = &report.targets[1];
    assert_eq!(failed.account_id, "222222222222");
    assert_eq!(failed.status, TargetStatus::Failed);
    assert_eq!(
        failed.failure(),
        Some(("PutInsightSelectors", "AccessDeniedException", "injected"))
    );
    // The calls after the failed one are not attempted: they depend on it.
    assert_eq!(failed.calls[2].outcome, CallOutcome::NotAttempted);
    let calls = writer.calls.lock().unwrap();
    assert!(!calls
        .iter()
        .any(|c| c.0 == "222222222222" && c.2 == "StartLogging"));
    assert_eq!(calls.iter().filter(|c| c.2 == "StartLogging").count(), 2);
}

#[test]
fn deletion_and_org_stop_logging_need_allow_delete() {
    let arn = "arn:aws:cloudtrail:us-east-1:111111111111:trail/rogue".to_owned();
    let mut delete = target(
        "111111111111",
        Scope::Account,
        vec![Change::DeleteTrail { arn: arn.clone() }],
    );
    delete.action = Action::Delete;
    let mut stop_org = target(
        "999999999999",
        Scope::Organization,
        vec![Change::StopLogging { arn: arn.clone() }],
    );
    stop_org.action = Action::Update;
    let mut stop_account = target(
        "222222222222",
        Scope::Account,
        vec![Change::StopLogging { arn }],
    );
    stop_account.action = Action::Update;
    let p = plan(vec![delete, stop_org, stop_account]);

    let writer = Arc::new(Recorder::default());
    let report = rt().block_on(apply(&p, Arc::clone(&writer), &fast(), &NoApplyProgress));
    assert_eq!(report.summary.skipped, 2);
    assert_eq!(report.summary.applied, 1);
    let calls = writer.calls.lock().unwrap().clone();
    assert_eq!(
        calls,
        vec![("222222222222".to_owned(), "audit".to_owned(), "StopLogging")]
    );
    assert!(matches!(
        report.targets[0].calls[0].outcome,
        CallOutcome::Skipped { .. }
    ));

    let writer = Arc::new(Recorder::default());
    let allow = ApplyOptions {
        allow_delete: true,
        ..fast()
    };
    let report = rt().block_on(apply(&p, Arc::clone(&writer), &allow, &NoApplyProgress));
    assert_eq!(report.summary.applied, 3);
    assert_eq!(writer.calls.lock().unwrap().len(), 3);
}

#[test]
fn targets_without_changes_make_no_calls() {
    let mut noop = target("111111111111", Scope::Account, Vec::new());
    noop.action = Action::NoOp;
    let writer = Arc::new(Recorder::default());
    let report = rt().block_on(apply(
        &plan(vec![noop]),
        Arc::clone(&writer),
        &fast(),
        &NoApplyProgress,
    ));
    assert!(report.targets.is_empty());
    assert!(writer.calls.lock().unwrap().is_empty());
}

#[test]
fn organization_trails_are_called_from_the_caller_account() {
    let org = target("999999999999", Scope::Organization, Vec::new());
    let acct = target("111111111111", Scope::Account, Vec::new());
    // A delegated administrator (444444444444) manages the management account's trail
    // by ARN from its own account; account trails are called in their own account.
    assert_eq!(calling_account(&org, "444444444444"), "444444444444");
    assert_eq!(calling_account(&acct, "444444444444"), "111111111111");
}

#[test]
fn writes_of_one_operation_in_one_account_region_are_paced() {
    let pacer = Pacer::default();
    let interval = Duration::from_millis(50);
    let start = Instant::now();
    rt().block_on(async {
        for _ in 0..3 {
            pacer.wait("1", "us-east-1", "AddTags", interval).await;
        }
        // Another operation or region is not held back by AddTags.
        pacer.wait("1", "us-east-1", "StartLogging", interval).await;
        pacer.wait("1", "eu-west-1", "AddTags", interval).await;
    });
    let elapsed = start.elapsed();
    // Three AddTags in one account-region: two intervals at least; the others add none.
    assert!(elapsed >= interval * 2, "{elapsed:?}");
}

#[test]
fn log_group_arn_gets_its_wildcard() {
    let mut c = config("audit");
    c.cloudwatch_logs = Some(crate::normalize::CanonicalCloudWatchLogs {
        log_group_arn: "arn:aws:logs:us-east-1:111111111111:log-group:trail".to_owned(),
        role_arn: "arn:aws:iam::111111111111:role/ct".to_owned(),
    });
    let params = trail_params(&c);
    assert_eq!(
        params.cloudwatch_logs.unwrap().0,
        "arn:aws:logs:us-east-1:111111111111:log-group:trail:*"
    );
}

#[test]
fn creates_in_an_account_wait_for_its_deletions() {
    let writer = Arc::new(Recorder::default());
    let account = "111111111111";
    let mut create = target(account, Scope::Account, create_all(account));
    create.trail = "a-new".to_owned();
    let mut delete = target(
        account,
        Scope::Account,
        vec![Change::DeleteTrail {
            arn: format!("arn:aws:cloudtrail:us-east-1:{account}:trail/z-old"),
        }],
    );
    delete.trail = "z-old".to_owned();
    delete.action = Action::Delete;
    let mut elsewhere = target("222222222222", Scope::Account, create_all("222222222222"));
    elsewhere.trail = "a-new".to_owned();
    // Plan order puts the create first; without the gate it would run first.
    let p = plan(vec![create, delete, elsewhere]);
    let options = ApplyOptions {
        allow_delete: true,
        ..fast()
    };
    let report = rt().block_on(apply(&p, Arc::clone(&writer), &options, &NoApplyProgress));
    assert_eq!(report.summary.failed, 0);
    let calls = writer.calls.lock().unwrap().clone();
    let position = |acct: &str, op: &str| {
        calls
            .iter()
            .position(|(a, _, o)| a == acct && *o == op)
            .unwrap_or_else(|| panic!("no {op} in {acct}: {calls:?}"))
    };
    assert!(position(account, "DeleteTrail") < position(account, "CreateTrail"));
    // Another account's create does not wait for this account's deletion.
    assert!(position("222222222222", "CreateTrail") < position(account, "CreateTrail"));

    // A skipped deletion (no --allow-delete) opens the gate too.
    let writer = Arc::new(Recorder::default());
    let report = rt().block_on(apply(&p, Arc::clone(&writer), &fast(), &NoApplyProgress));
    assert_eq!(report.summary.skipped, 1);
    assert!(writer
        .calls
        .lock()
        .unwrap()
        .iter()
        .any(|(a, _, o)| a == account && *o == "CreateTrail"));
}
