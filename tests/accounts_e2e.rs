//! `trailform accounts` end to end: the binary lists a seeded organization (nested OUs,
//! tags, a closed account) and prints which trails land where and what is left out.

mod support;

use support::{run_trailform, MotoServer, OrgBuilder};

#[test]
fn accounts_resolves_every_target_form_through_the_binary() {
    let moto = MotoServer::start();
    let org = OrgBuilder::new()
        .ou("Workloads/Prod/Payments")
        .ou("Workloads/Dev")
        .ou("Sandbox")
        .account("prod-a", "Workloads/Prod", &[("environment", "prod")])
        .account(
            "pay-a",
            "Workloads/Prod/Payments",
            &[("environment", "prod")],
        )
        .account(
            "pay-b",
            "Workloads/Prod/Payments",
            &[("environment", "staging")],
        )
        .account("dev-a", "Workloads/Dev", &[("environment", "dev")])
        .account("sandbox-a", "Sandbox", &[])
        .closed_account("gone", "Sandbox")
        .seed(&moto);
    let dir = tempfile::tempdir().unwrap();
    let spec = format!(
        r#"version: 1
organization:
  regions: [us-east-1, eu-west-1]
  exclude_accounts: ["{sandbox}"]
trails:
  org-audit:
    scope: organization
    home_region: us-east-1
    s3_bucket: org-logs
  prod-data:
    scope: account
    targets:
      organizational_units: ["Workloads/Prod"]
      account_tags: {{ environment: prod }}
      accounts: ["{dev}"]
      exclude_accounts: ["{prod}"]
    regions: [eu-west-1]
    s3_bucket: "data-{{account_id}}"
    management_events: {{ read_write: none }}
    data_events:
      - resource_type: AWS::S3::Object
"#,
        sandbox = org.id("sandbox-a"),
        dev = org.id("dev-a"),
        prod = org.id("prod-a"),
    );
    std::fs::write(dir.path().join("trailform.yaml"), spec).unwrap();

    let run = run_trailform(&moto, dir.path(), &["accounts", "--format", "json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let targets: Vec<(String, String, String)> = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["trail"].as_str().unwrap().to_owned(),
                t["account_id"].as_str().unwrap().to_owned(),
                t["region"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut expected = vec![
        (
            "org-audit".to_owned(),
            org.id("management").to_owned(),
            "us-east-1".to_owned(),
        ),
        // Nested OU included, tag must match (pay-b is staging), prod-a excluded by the
        // trail; dev-a named by id but lacks the tag: account_tags filter every account.
        (
            "prod-data".to_owned(),
            org.id("pay-a").to_owned(),
            "eu-west-1".to_owned(),
        ),
    ];
    expected.sort();
    let mut got = targets.clone();
    got.sort();
    assert_eq!(got, expected, "{}", run.stdout);
    let excluded = doc["excluded"].as_array().unwrap();
    let reason = |id: &str| {
        excluded
            .iter()
            .filter(|e| e["account_id"] == id && e["trail"].is_null())
            .map(|e| e["reason"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(reason(org.id("sandbox-a")), ["organization_excluded"]);
    assert_eq!(reason(org.id("gone")), ["suspended"]);

    // Human output names the same things, and --accounts narrows.
    let run = run_trailform(
        &moto,
        dir.path(),
        &["accounts", "--accounts", org.id("pay-b")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("prod-data: 0 target(s)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("left out by --accounts"),
        "{}",
        run.stdout
    );
}

#[test]
fn accounts_reports_an_unknown_ou_at_its_spec_location() {
    let moto = MotoServer::start();
    let _org = OrgBuilder::new()
        .ou("Workloads")
        .account("a", "Workloads", &[])
        .seed(&moto);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("trailform.yaml"),
        "version: 1\norganization:\n  regions: [us-east-1]\ntrails:\n  t-one:\n    scope: account\n    targets:\n      organizational_units: [Workloads, Nope/Missing]\n    regions: [us-east-1]\n    s3_bucket: b-logs\n",
    )
    .unwrap();
    let run = run_trailform(&moto, dir.path(), &["accounts"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("trailform.yaml:8:")
            && run
                .stderr
                .contains("trails.t-one.targets.organizational_units[1]"),
        "{}",
        run.stderr
    );
}
