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
    boto_read, run_trailform, run_trailform_at, trailform_command, FaultProxy, Faults, MotoServer,
    OrgBuilder, Run, SeededOrg,
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
/// One entry of a report's `unreadable` list.
struct Unread {
    account: String,
    region: Option<String>,
    /// The root or OU whose Organizations listing failed.
    ou: Option<String>,
    operation: String,
}

fn unreadable(doc: &Value) -> Vec<Unread> {
    doc["unreadable"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| Unread {
            account: f["account_id"].as_str().unwrap_or_default().to_owned(),
            region: f["region"].as_str().map(str::to_owned),
            ou: f["ou"].as_str().map(str::to_owned),
            operation: f["operation"].as_str().unwrap_or_default().to_owned(),
        })
        .collect()
}

/// Whether `account`/`region` is under something the report says it could not read:
/// that account-region or the whole account, or (from the organization of [`org`]:
/// the management account under the root, every other account in OU `W`) the
/// Organizations listing that would have found the account.
fn covered_by(unread: &[Unread], seeded: &SeededOrg, account: &str, region: &str) -> bool {
    let parent = if account == seeded.management_id {
        &seeded.root_id
    } else {
        &seeded.ous_by_path["W"]
    };
    unread.iter().any(|u| match &u.ou {
        None => u.account == account && u.region.as_deref().is_none_or(|r| r == region),
        // This parent's accounts could not be listed.
        Some(ou) if u.operation == "ListAccountsForParent" => ou == parent,
        // The OUs under this parent could not be listed: W is under the root.
        Some(ou) => ou == &seeded.root_id && parent != &seeded.root_id,
    })
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
    let mut first_run_failures = 0;
    while runs < 2 && !converged {
        runs += 1;
        // The first run gets only 2 attempts per call, so faults do get through and
        // the run's report of what it failed is exercised; the second run has the
        // default retries, as a re-run in CI would.
        let env: &[(&str, &str)] = if runs == 1 {
            &[("AWS_MAX_ATTEMPTS", "2")]
        } else {
            &[]
        };
        let r = run_trailform_at(
            &proxy.endpoint(),
            d,
            &["apply", "--auto-approve", "--format", "json"],
            env,
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
        if runs == 1 {
            first_run_failures = failed.len() + unread.len();
        }
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
                    || covered_by(&unread, &seeded, account, region),
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
        first_run_failures > 0,
        "with 2 attempts a call the first run should have failed somewhere"
    );
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

/// Many accounts' CloudTrail calls in one region hitting transient 5xx (35%) and
/// resets: the SDK's retries (8 attempts; the retry quota, a token bucket, is one per
/// account and region, as AWS's throttling is) finish every target in one run.
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
    let one_region = SPEC.replace("[us-east-1, eu-west-1]", "[us-east-1]");
    std::fs::write(d.join("trailform.yaml"), one_region).expect("write spec");
    let r = run_trailform_at(&proxy.endpoint(), d, &["apply", "--auto-approve"], &[]);
    let (requests, faults) = injected(&proxy);
    eprintln!("{requests} requests, faults {faults}");
    no_panic(&r);
    assert_eq!(r.code, 0, "{}", show(&r));
    for (account, region, names) in trail_names(&moto, &seeded) {
        if region == "us-east-1" && account != seeded.management_id {
            assert_eq!(names, ["acct"], "{account}");
        }
    }
}

/// Out of band, after a fault-free convergence: logging stopped in one account-region,
/// a tag changed in another. The fault-free plan has exactly these two changes.
fn converged_then_drifted(moto: &MotoServer, seeded: &SeededOrg, d: &Path) {
    let r = run_trailform(moto, d, &["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", show(&r));
    boto_read(
        moto,
        seeded.id("a3"),
        "eu-west-1",
        "client('cloudtrail').stop_logging(Name='acct')\nresult = 1",
    );
    boto_read(
        moto,
        seeded.id("a5"),
        "us-east-1",
        "ct = client('cloudtrail')\narn = ct.describe_trails()['trailList'][0]['TrailARN']\nct.add_tags(ResourceId=arn, TagsList=[{'Key': 'team', 'Value': 'y'}])\nresult = 1",
    );
}

#[test]
fn plan_and_drift_under_faults_give_the_right_answer_or_name_what_they_could_not_read() {
    let moto = MotoServer::start();
    let seeded = org(10).seed(&moto);
    let dir = tmp();
    let d = dir.path();
    std::fs::write(d.join("trailform.yaml"), SPEC).expect("write spec");
    converged_then_drifted(&moto, &seeded, d);
    let truth = changing(&plan_json(&moto, d));
    assert_eq!(truth.len(), 2, "{truth:?}");
    let clean_drift = run_trailform(&moto, d, &["drift"]);
    assert_eq!(clean_drift.code, 2, "{}", show(&clean_drift));

    let proxy = FaultProxy::start(&moto, &heavy(3));
    let (mut right, mut named) = (0, 0);
    // With the default retries (8 attempts) the faults are absorbed; with
    // AWS_MAX_ATTEMPTS=1 reads fail and must be named.
    let rounds: [&[(&str, &str)]; 4] = [
        &[],
        &[("AWS_MAX_ATTEMPTS", "1")],
        &[("AWS_MAX_ATTEMPTS", "1")],
        &[("AWS_MAX_ATTEMPTS", "2")],
    ];
    for (round, env) in rounds.iter().enumerate() {
        let r = run_trailform_at(
            &proxy.endpoint(),
            d,
            &["plan", "--format", "json", "--detailed-exitcode"],
            env,
        );
        no_panic(&r);
        assert_ne!(
            r.code,
            0,
            "a wrong \"no changes\" (round {round}): {}",
            show(&r)
        );
        match r.code {
            2 => {
                let plan: Value = serde_json::from_str(&r.stdout).expect("plan JSON");
                assert_eq!(changing(&plan), truth, "round {round}: {}", show(&r));
                assert!(unreadable(&plan).is_empty(), "{}", show(&r));
                right += 1;
            }
            1 => {
                named += 1;
                match serde_json::from_str::<Value>(&r.stdout) {
                    // Targets were read in part: every true change is either planned or
                    // under an account/region the plan lists as unreadable, which
                    // stderr names too.
                    Ok(plan) => {
                        let unread = unreadable(&plan);
                        assert!(!unread.is_empty(), "{}", show(&r));
                        let planned = changing(&plan);
                        for (account, region, trail) in &truth {
                            assert!(
                                planned.contains(&(account.clone(), region.clone(), trail.clone()))
                                    || covered_by(&unread, &seeded, account, region),
                                "round {round}: {account} {region} {trail} neither planned nor named unreadable: {}",
                                show(&r)
                            );
                        }
                        for u in &unread {
                            assert!(r.stderr.contains(u.account.as_str()), "{}", show(&r));
                            if let Some(ou) = &u.ou {
                                assert!(
                                    r.stderr.contains(&format!("listing {ou}")),
                                    "{}",
                                    show(&r)
                                );
                            }
                        }
                        for p in &planned {
                            assert!(
                                truth.contains(p),
                                "round {round}: {p:?} is not a change: {}",
                                show(&r)
                            );
                        }
                    }
                    // The organization itself could not be listed: nothing planned.
                    Err(_) => {
                        assert!(r.stdout.trim().is_empty(), "{}", show(&r));
                        assert!(
                            r.stderr.contains("could not list the organization"),
                            "{}",
                            show(&r)
                        );
                    }
                }
            }
            other => panic!("exit {other}: {}", show(&r)),
        }
        let drift = run_trailform_at(&proxy.endpoint(), d, &["drift"], env);
        no_panic(&drift);
        assert!(
            drift.code == 2 || drift.code == 1,
            "drift under faults must find the drift or fail (round {round}): {}",
            show(&drift)
        );
        if drift.code == 1 {
            assert!(
                drift.stderr.contains("read(s) failed")
                    || drift.stderr.contains("could not list the organization"),
                "{}",
                show(&drift)
            );
        }
    }
    let (requests, faults) = injected(&proxy);
    eprintln!(
        "plan under faults: {right} right answer(s), {named} named failure(s); {requests} requests, faults {faults}"
    );
    assert!(right >= 1 && named >= 1, "both paths exercised");
    // Nothing was written by plan or drift.
    proxy.off();
    assert_eq!(changing(&plan_json(&moto, d)), truth);
}

#[test]
fn two_applies_at_once_both_finish_and_leave_one_converged_organization() {
    let moto = MotoServer::start();
    let seeded = org(6).seed(&moto);
    let dir = tmp();
    let d = dir.path();
    std::fs::write(d.join("trailform.yaml"), SPEC).expect("write spec");
    let endpoint = moto.endpoint();
    let args = ["apply", "--auto-approve", "--format", "json"];
    let children: Vec<_> = (0..2)
        .map(|_| {
            trailform_command(&endpoint, d, &args, &[])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("start trailform")
        })
        .collect();
    let mut reconciled = 0;
    for child in children {
        let out = child.wait_with_output().expect("trailform output");
        let r = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        no_panic(&r);
        assert_eq!(r.code, 0, "{}", show(&r));
        reconciled += r.stdout.matches("\"reconciled\"").count();
    }
    eprintln!("two concurrent applies: {reconciled} call(s) reconciled");
    assert_converged_shape(&moto, &seeded);
    let r = run_trailform(&moto, d, &["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}", show(&r));
}

/// An OU listing that fails is a read failure, not an OU that "does not exist".
#[test]
fn a_failed_ou_listing_is_reported_as_such_not_as_a_missing_ou() {
    let moto = MotoServer::start();
    let seeded = org(2).seed(&moto);
    let faults = Faults {
        error: 1.0,
        only_ops: vec!["ListOrganizationalUnitsForParent".to_owned()],
        ..Faults::default()
    };
    let proxy = FaultProxy::start(&moto, &faults);
    let dir = tmp();
    let d = dir.path();
    std::fs::write(d.join("trailform.yaml"), SPEC).expect("write spec");
    for cmd in ["plan", "drift", "apply", "accounts"] {
        let r = run_trailform_at(
            &proxy.endpoint(),
            d,
            &[cmd, "--auto-approve"][..if cmd == "apply" { 2 } else { 1 }],
            &[("AWS_MAX_ATTEMPTS", "1")],
        );
        no_panic(&r);
        assert_eq!(r.code, 1, "{cmd}: {}", show(&r));
        assert!(
            r.stderr
                .contains("could not list the organization: ListOrganizationalUnitsForParent"),
            "{cmd}: {}",
            show(&r)
        );
        assert!(
            r.stderr.contains(&format!("(listing {})", seeded.root_id)),
            "{cmd}: {}",
            show(&r)
        );
        assert!(!r.stderr.contains("do not exist"), "{cmd}: {}", show(&r));
    }
}

/// An OU whose accounts cannot be listed does not stop the walk: the accounts of the
/// other OUs are planned and applied, the plan names the OU it could not list, exits 1,
/// and nothing is planned (let alone done) in the accounts it could not see.
#[test]
fn an_ou_whose_accounts_cannot_be_listed_is_named_and_the_rest_is_planned() {
    let moto = MotoServer::start();
    let seeded = OrgBuilder::new()
        .ou("W")
        .ou("X")
        .bucket("management", "logs", "us-east-1")
        .account("w1", "W", &[])
        .account("w2", "W", &[])
        .account("x1", "X", &[])
        .account("x2", "X", &[])
        .seed(&moto);
    let w = seeded.ous_by_path["W"].clone();
    let proxy = FaultProxy::start(
        &moto,
        &Faults {
            error: 1.0,
            only_ops: vec!["ListAccountsForParent".to_owned()],
            only_body: w.clone(),
            ..Faults::default()
        },
    );
    let dir = tmp();
    let d = dir.path();
    let spec = SPEC
        .replace("[W]", "[W, X]")
        .replace("[us-east-1, eu-west-1]", "[us-east-1]");
    std::fs::write(d.join("trailform.yaml"), spec).expect("write spec");
    let env = [("AWS_MAX_ATTEMPTS", "1")];

    let r = run_trailform_at(&proxy.endpoint(), d, &["plan", "--format", "json"], &env);
    no_panic(&r);
    assert_eq!(r.code, 1, "{}", show(&r));
    let plan: Value = serde_json::from_str(&r.stdout).expect("plan JSON");
    let unread = unreadable(&plan);
    assert_eq!(unread.len(), 1, "{}", show(&r));
    assert_eq!(unread[0].ou.as_deref(), Some(w.as_str()));
    assert_eq!(unread[0].operation, "ListAccountsForParent");
    assert!(
        r.stderr
            .contains(&format!("listing {w}: ListAccountsForParent"))
            && r.stderr
                .contains(&format!("accounts under {w} may be missing")),
        "{}",
        show(&r)
    );
    let creates: BTreeSet<String> = changing(&plan).into_iter().map(|(a, _, _)| a).collect();
    let x: BTreeSet<String> = [seeded.id("x1"), seeded.id("x2")].map(str::to_owned).into();
    // The organization trail (management account) and the trails of OU X.
    assert_eq!(
        creates,
        &x | &BTreeSet::from([seeded.management_id.clone()]),
        "{}",
        show(&r)
    );

    let r = run_trailform_at(&proxy.endpoint(), d, &["drift", "--format", "json"], &env);
    no_panic(&r);
    assert_eq!(r.code, 1, "{}", show(&r));
    let report: Value = serde_json::from_str(&r.stdout).expect("drift JSON");
    assert_eq!(report["clean"], false, "{}", show(&r));
    assert!(
        report["findings"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["kind"] == "unreadable"
                && f["message"].as_str().is_some_and(
                    |m| m.starts_with(&format!("listing {w}: ListAccountsForParent"))
                ))),
        "{}",
        show(&r)
    );

    let r = run_trailform_at(&proxy.endpoint(), d, &["apply", "--auto-approve"], &env);
    no_panic(&r);
    assert_eq!(r.code, 1, "{}", show(&r));
    for (account, region, names) in trail_names(&moto, &seeded) {
        if region != "us-east-1" || account == seeded.management_id {
            continue;
        }
        let expected: &[&str] = if x.contains(&account) { &["acct"] } else { &[] };
        assert_eq!(names, expected, "{account}: {}", show(&r));
    }

    // Without the fault, what is left is exactly OU W's trails.
    let left: BTreeSet<String> = changing(&plan_json(&moto, d))
        .into_iter()
        .map(|(a, _, _)| a)
        .collect();
    let w_accounts = [seeded.id("w1"), seeded.id("w2")].map(str::to_owned).into();
    assert_eq!(left, w_accounts);
}
