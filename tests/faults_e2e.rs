//! Reliability end to end: the built binary against moto behind `faultproxy.py`, which
//! injects HTTP 500s, throttling, connection resets before forwarding and lost
//! responses (forwarded, then closed unanswered) from a fixed seed.
//!
//! What is checked, always against state read back through boto3 straight from moto
//! (never through the proxy, never through trailform's own reader):
//! - apply under faults converges within two runs, names every target it did not
//!   finish, creates no duplicate trail and deletes nothing; a fault-free plan then
//!   shows no changes;
//! - plan and drift under faults either give the fault-free answer or exit 1 naming
//!   every target they could not read, never a wrong "no changes";
//! - two applies started together on one organization both finish and leave it
//!   converged with no duplicates.
//!
//! One moto server and one proxy per test.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;
use support::{
    boto_read, run_trailform, run_trailform_at, FaultProxy, Faults, MotoServer, OrgBuilder, Run,
    SeededOrg,
};

const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

fn show(run: &Run) -> String {
    format!(
        "exit {}\n--- stdout\n{}\n--- stderr\n{}",
        run.code, run.stdout, run.stderr
    )
}

fn no_panic(run: &Run) {
    assert!(
        !run.stderr.contains("panicked") && run.code >= 0,
        "{}",
        show(run)
    );
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// The mix: 10% HTTP 500, 10% throttling, 5% resets, 5% lost responses.
fn heavy(seed: u64) -> Faults {
    Faults {
        error: 0.10,
        throttle: 0.10,
        reset: 0.05,
        lost: 0.05,
        seed,
        ..Faults::default()
    }
}

/// An organization trail plus an account trail in two regions of every account of OU W.
const SPEC: &str = "version: 1
organization:
  regions: [us-east-1, eu-west-1]
trails:
  org-audit:
    scope: organization
    home_region: us-east-1
    s3_bucket: logs
  acct:
    scope: account
    targets:
      organizational_units: [W]
    regions: [us-east-1, eu-west-1]
    s3_bucket: logs
    tags: {team: x}
";

fn org(n: usize) -> OrgBuilder {
    let mut b = OrgBuilder::new()
        .ou("W")
        .bucket("management", "logs", "us-east-1");
    for i in 0..n {
        b = b.account(&format!("a{i}"), "W", &[]);
    }
    b
}

/// Every account's trails in both regions, read with boto3 from moto directly:
/// `(account, region) -> [trail names]` (each name once per trail found).
fn trail_names(moto: &MotoServer, seeded: &SeededOrg) -> Vec<(String, String, Vec<String>)> {
    let mut accounts: Vec<String> = seeded.accounts_by_name.values().cloned().collect();
    accounts.push(seeded.management_id.clone());
    accounts.sort();
    let mut out = Vec::new();
    for account in &accounts {
        let script = "result = {}\nfor r in ['us-east-1', 'eu-west-1']:\n    ct = client('cloudtrail', r)\n    result[r] = [t['Name'] for t in ct.describe_trails(includeShadowTrails=False)['trailList']]\n";
        let v = boto_read(moto, account, "us-east-1", script);
        for region in REGIONS {
            let mut names: Vec<String> = v[region]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|n| n.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            names.sort();
            out.push((account.clone(), region.to_owned(), names));
        }
    }
    out
}

/// Exactly one `acct` per member account and region, one `org-audit` in the management
/// account's home region, nothing else.
fn assert_converged_shape(moto: &MotoServer, seeded: &SeededOrg) {
    for (account, region, names) in trail_names(moto, seeded) {
        let want: Vec<&str> = if account == seeded.management_id {
            if region == "us-east-1" {
                vec!["org-audit"]
            } else {
                vec![]
            }
        } else {
            vec!["acct"]
        };
        assert_eq!(names, want, "{account} {region}");
    }
}

/// The fault-free plan as JSON, through moto directly.
fn plan_json(moto: &MotoServer, dir: &Path) -> Value {
    let r = run_trailform(moto, dir, &["plan", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", show(&r));
    serde_json::from_str(&r.stdout).expect("plan JSON")
}

/// `(account, region, trail)` of every target of a plan with changes.
fn changing(plan: &Value) -> BTreeSet<(String, String, String)> {
    plan["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["changes"].as_array().is_some_and(|c| !c.is_empty()))
        .map(|t| {
            (
                t["account_id"].as_str().unwrap_or_default().to_owned(),
                t["region"].as_str().unwrap_or_default().to_owned(),
                t["trail"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// Account (and region, when regional) of every read failure listed under `unreadable`.
fn unreadable(doc: &Value) -> Vec<(String, Option<String>)> {
    doc["unreadable"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["account_id"].as_str().unwrap_or_default().to_owned(),
                f["region"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn covered_by(unread: &[(String, Option<String>)], account: &str, region: &str) -> bool {
    unread
        .iter()
        .any(|(a, r)| a == account && r.as_deref().is_none_or(|r| r == region))
}

/// Faults injected so far, by kind.
fn injected(proxy: &FaultProxy) -> (u64, Value) {
    let s = proxy.stats();
    (s["requests"].as_u64().unwrap_or(0), s["faults"].clone())
}

#[test]
fn apply_under_faults_converges_names_every_failure_and_never_duplicates() {
    let moto = MotoServer::start();
    let seeded = org(10).seed(&moto);
    let proxy = FaultProxy::start(&moto, &heavy(11));
    let dir = tmp();
    let d = dir.path();
    std::fs::write(d.join("trailform.yaml"), SPEC).expect("write spec");
    let before = plan_json(&moto, d);
    assert_eq!(
        changing(&before).len(),
        21,
        "10 accounts x 2 regions + org trail"
    );

    let mut runs = 0;
    let mut converged = false;
    while runs < 2 && !converged {
        runs += 1;
        let r = run_trailform_at(
            &proxy.endpoint(),
            d,
            &["apply", "--auto-approve", "--format", "json"],
            &[],
        );
        no_panic(&r);
        eprintln!("run {runs}: exit {}\n{}", r.code, r.stderr);
        let report: Value = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("apply JSON report: {e}\n{}", show(&r)));
        // Everything left to do after this run (read fault-free) must have been named
        // by the run as failed or unreadable.
        let failed: BTreeSet<(String, String, String)> = report["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| t["status"] == "failed")
            .map(|t| {
                (
                    t["account_id"].as_str().unwrap_or_default().to_owned(),
                    t["region"].as_str().unwrap_or_default().to_owned(),
                    t["trail"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let unread = unreadable(&report);
        assert_eq!(
            r.code == 0,
            failed.is_empty() && unread.is_empty(),
            "exit code vs report: {}",
            show(&r)
        );
        for (account, region, trail) in &failed {
            assert!(
                r.stderr.contains(account.as_str()),
                "{account} {region} {trail} not named on stderr: {}",
                show(&r)
            );
        }
        assert_converged_or_partial(&moto, &seeded);
        let left = changing(&plan_json(&moto, d));
        for (account, region, trail) in &left {
            assert!(
                failed.contains(&(account.clone(), region.clone(), trail.clone()))
                    || covered_by(&unread, account, region),
                "{account} {region} {trail} still differs but run {runs} did not name it: {}",
                show(&r)
            );
        }
        converged = left.is_empty();
    }
    let (requests, faults) = injected(&proxy);
    eprintln!("apply converged in {runs} run(s); {requests} requests, faults {faults}");
    assert!(converged, "not converged after {runs} runs");
    assert!(
        faults["lost"].as_u64().unwrap_or(0) > 0 && faults["reset"].as_u64().unwrap_or(0) > 0,
        "{faults}"
    );
    assert_converged_shape(&moto, &seeded);
    let r = run_trailform(&moto, d, &["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}", show(&r));
}

/// No duplicate and no stray trail at any point: at most one `acct` per member account
/// and region, at most one `org-audit`.
fn assert_converged_or_partial(moto: &MotoServer, seeded: &SeededOrg) {
    for (account, region, names) in trail_names(moto, seeded) {
        let allowed: &[&str] = if account == seeded.management_id {
            if region == "us-east-1" {
                &["org-audit"]
            } else {
                &[]
            }
        } else {
            &["acct"]
        };
        let unique: BTreeSet<&String> = names.iter().collect();
        assert_eq!(
            unique.len(),
            names.len(),
            "duplicate in {account} {region}: {names:?}"
        );
        assert!(
            names.iter().all(|n| allowed.contains(&n.as_str())),
            "{account} {region}: {names:?}"
        );
    }
}

/// Many accounts' CloudTrail calls in one region hitting transient 5xx: the SDK's
/// retry quota (a token bucket per service and region by default) must not run dry
/// and leave accounts unretried: each account-region is metered on its own.
#[test]
fn transient_errors_in_many_accounts_of_one_region_are_all_retried() {
    let moto = MotoServer::start();
    let seeded = org(10).seed(&moto);
    let faults = Faults {
        error: 0.35,
        reset: 0.05,
        only_ops: [
            "CreateTrail",
            "PutEventSelectors",
            "AddTags",
            "StartLogging",
            "DescribeTrails",
            "GetTrailStatus",
            "GetEventSelectors",
            "ListTags",
            "GetInsightSelectors",
        ]
        .map(str::to_owned)
        .to_vec(),
        seed: 5,
        ..Faults::default()
    };
    let proxy = FaultProxy::start(&moto, &faults);
    let dir = tmp();
    let d = dir.path();
    std::fs::write(d.join("trailform.yaml"), SPEC).expect("write spec");
    let r = run_trailform_at(&proxy.endpoint(), d, &["apply", "--auto-approve"], &[]);
    let (requests, faults) = injected(&proxy);
    eprintln!("{requests} requests, faults {faults}");
    no_panic(&r);
    assert_eq!(r.code, 0, "{}", show(&r));
    assert_converged_shape(&moto, &seeded);
}
