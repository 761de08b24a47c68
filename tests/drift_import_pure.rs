//! `drift::audit` and `import::import` on plain data (the shared engine fixture): which
//! findings each change gives, uncovered accounts, and import's round trip through
//! resolve + diff with no changes.

mod engine_fixture;

use std::collections::BTreeSet;

use engine_fixture::*;
use trailform::drift::{audit, render_human, render_markdown, AuditOptions, FindingKind};
use trailform::import::{import, render_yaml, ImportOptions};
use trailform::live::{LiveSelectors, LiveState};
use trailform::org::{resolve, Narrowing};
use trailform::plan::{diff, DiffOptions};
use trailform::spec::{check_str, DataResource, EventSelector, ReadWriteType, Scope};

fn kinds(report: &trailform::drift::DriftReport) -> BTreeSet<(String, String, FindingKind)> {
    report
        .findings
        .iter()
        .map(|f| {
            (
                f.account_id.clone(),
                f.trail.clone().unwrap_or_default(),
                f.kind,
            )
        })
        .collect()
}

#[test]
fn audit_reports_each_difference_status_and_failure() {
    let mut live = live_state();
    for t in &mut live.trails {
        if t.account_id == DEV && t.name == "workload" {
            with_details(t, |d| {
                d.status.latest_delivery_error = Some("AccessDenied".into())
            });
        }
    }
    let spec = spec();
    let plan = diff(&spec, &targets(), &live, &DiffOptions::default());
    let report = audit(&spec, &plan, &live, &AuditOptions::default());
    assert!(!report.clean);
    let expected: BTreeSet<(String, String, FindingKind)> = [
        (MANAGEMENT, "org-audit", FindingKind::MissingTrail),
        (MANAGEMENT, "legacy", FindingKind::UnmanagedTrail),
        (PROD, "workload", FindingKind::LoggingStopped),
        (PROD, "workload", FindingKind::TrailDiffers),
        (DEV, "paused", FindingKind::TrailDiffers),
        (DEV, "workload", FindingKind::DeliveryError),
        (SANDBOX, "", FindingKind::Unreadable),
    ]
    .into_iter()
    .map(|(a, t, k)| (a.to_owned(), t.to_owned(), k))
    .collect();
    assert_eq!(kinds(&report), expected);
    let prod = report
        .findings
        .iter()
        .find(|f| f.account_id == PROD && f.kind == FindingKind::TrailDiffers)
        .unwrap();
    for d in [
        "s3_key_prefix",
        "log_file_validation",
        "event_selectors",
        "insights",
        "tags",
    ] {
        assert!(
            prod.differences.iter().any(|x| x == d),
            "{d}: {:?}",
            prod.differences
        );
    }
    let paused = report
        .findings
        .iter()
        .find(|f| f.account_id == DEV && f.kind == FindingKind::TrailDiffers)
        .unwrap();
    assert_eq!(paused.differences, vec!["logging".to_owned()]);
    let dev = report
        .trails
        .iter()
        .find(|t| t.account_id == DEV && t.trail == "workload")
        .unwrap();
    assert_eq!(dev.delivery_errors, vec!["s3: AccessDenied".to_owned()]);
    assert!(render_human(&report).contains("logging stopped"));
    assert!(render_markdown(&report).contains("| delivery error |"));
    // Deterministic.
    assert_eq!(report, audit(&spec, &plan, &live, &AuditOptions::default()));
}

#[test]
fn accounts_without_any_trail_are_uncovered_unless_an_organization_trail_logs() {
    let mut spec = spec();
    spec.trails.shift_remove("org-audit");
    spec.trails.shift_remove("workload");
    let mut live = live_state();
    live.trails.retain(|t| t.name == "paused");
    live.failures.clear();
    let targets: Vec<_> = targets()
        .into_iter()
        .filter(|t| t.trail == "paused")
        .collect();
    let plan = diff(&spec, &targets, &live, &DiffOptions::default());
    let report = audit(&spec, &plan, &live, &AuditOptions::default());
    let uncovered: BTreeSet<String> = report
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::UncoveredAccount)
        .map(|f| f.account_id.clone())
        .collect();
    // DEV is targeted by `paused`; the others have nothing.
    let expected: BTreeSet<String> = [MANAGEMENT, PROD, SANDBOX, SHARED]
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(uncovered, expected);
    // A logging organization trail covers every account; a stopped one covers none.
    let mut org_trail = converged(&self::spec(), &engine_fixture::targets()[0]);
    live.trails.push(org_trail.clone());
    let covered = audit(&spec, &plan, &live, &AuditOptions::default());
    assert!(!covered
        .findings
        .iter()
        .any(|f| f.kind == FindingKind::UncoveredAccount));
    live.trails.pop();
    with_details(&mut org_trail, |d| d.status.is_logging = false);
    live.trails.push(org_trail);
    let stopped = audit(&spec, &plan, &live, &AuditOptions::default());
    assert_eq!(
        stopped
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::UncoveredAccount)
            .count(),
        4,
        "a stopped trail covers nothing: {:?}",
        stopped.findings
    );
    // --accounts limits the report.
    let narrow = Narrowing {
        accounts: Some(BTreeSet::from([PROD.to_owned()])),
        regions: None,
    };
    let narrowed = audit(&spec, &plan, &live, &AuditOptions { narrow });
    assert_eq!(
        narrowed
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::UncoveredAccount)
            .count(),
        1
    );
}

/// Every target of the fixture spec converged, every account read.
fn converged_org() -> LiveState {
    let spec = spec();
    let mut live = live_state();
    live.failures.clear();
    live.read.insert((SANDBOX.to_owned(), REGION.to_owned()));
    live.trails = targets().iter().map(|t| converged(&spec, t)).collect();
    live
}

fn assert_round_trip(live: &LiveState) -> String {
    let imported = import(
        live,
        &ImportOptions {
            regions: vec![REGION.to_owned()],
            ..ImportOptions::default()
        },
    );
    let yaml = render_yaml(&imported, &["test".to_owned()]).unwrap();
    let checked = check_str(&yaml, "imported.yaml");
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{yaml}");
    let spec = checked.spec.unwrap().spec;
    let resolution = resolve(&spec, &live.org, &Narrowing::none());
    assert!(resolution.errors.is_empty(), "{:?}", resolution.errors);
    let plan = diff(&spec, &resolution.targets, live, &DiffOptions::default());
    assert!(!plan.has_changes(), "{yaml}\n{plan:#?}");
    yaml
}

#[test]
fn import_round_trips_the_converged_fixture() {
    let yaml = assert_round_trip(&converged_org());
    assert!(yaml.contains("scope: organization"), "{yaml}");
    assert!(
        yaml.contains("s3_bucket: acme-trail-{account_id}"),
        "{yaml}"
    );
    // The fixture's shorthand comes back as shorthand.
    assert!(yaml.contains("exclude_sources"), "{yaml}");
    assert!(yaml.contains("resource_type: AWS::S3::Object"), "{yaml}");
    // `owner: {account_name}` differs per account: one configuration keeps the key,
    // the others are listed as left out.
    assert!(yaml.contains("# Left out"), "{yaml}");
}

#[test]
fn import_writes_classic_data_selectors_as_advanced_and_the_default_as_nothing() {
    let mut live = converged_org();
    live.trails
        .retain(|t| t.name != "org-audit" && t.name != "workload");
    let mut plain = live.trails[0].clone();
    plain.name = "plain".into();
    plain.arn = plain.arn.replace("paused", "plain");
    with_details(&mut plain, |d| {
        *std::sync::Arc::make_mut(&mut d.selectors) = LiveSelectors::None
    });
    let mut classic = plain.clone();
    classic.name = "classic".into();
    classic.arn = classic.arn.replace("plain", "classic");
    with_details(&mut classic, |d| {
        *std::sync::Arc::make_mut(&mut d.selectors) = LiveSelectors::Classic(vec![EventSelector {
            read_write_type: ReadWriteType::All,
            include_management_events: true,
            data_resources: vec![DataResource {
                resource_type: "AWS::S3::Object".into(),
                values: vec!["arn:aws:s3:::data-".into()],
            }],
            exclude_management_event_sources: vec![],
        }]);
    });
    live.trails.extend([plain, classic]);
    let yaml = assert_round_trip(&live);
    let imported = import(
        &live,
        &ImportOptions {
            regions: vec![REGION.to_owned()],
            ..ImportOptions::default()
        },
    );
    let plain = &imported.spec.trails["plain"];
    assert_eq!(plain.scope, Scope::Account);
    assert!(plain.management_events.is_none() && plain.advanced_event_selectors.is_none());
    assert!(plain.data_events.is_none() && plain.event_selectors.is_none());
    let classic = &imported.spec.trails["classic"];
    assert!(
        classic.data_events.is_some() || classic.advanced_event_selectors.is_some(),
        "{yaml}"
    );
}
