//! `drift` and `import` end to end: the built binary against moto.
//!
//! - drift names each out-of-band change (and only those) and exits 2; after `apply`
//!   it exits 0;
//! - `import` → `validate` → `plan` shows no changes on organizations of different
//!   shapes;
//! - a new account in a targeted OU is the only change in `plan`, and
//!   `apply --accounts NEW` brings it in.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{json, Value};
use support::{boto_read, run_trailform, MotoServer, OrgBuilder, Run};

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn ok(run: &Run, what: &str, code: i32) {
    assert_eq!(
        run.code, code,
        "{what}: exit {} (wanted {code})\nstdout:\n{}\nstderr:\n{}",
        run.code, run.stdout, run.stderr
    );
}

fn json_of(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", run.stdout, run.stderr))
}

/// Every (account, kind) of a drift report, plus the differences of each finding.
fn findings(report: &Value) -> BTreeSet<(String, String, Vec<String>)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let diffs = f["differences"]
                .as_array()
                .map(|d| d.iter().map(|s| s.as_str().unwrap().to_owned()).collect())
                .unwrap_or_default();
            (
                f["account_id"].as_str().unwrap().to_owned(),
                f["kind"].as_str().unwrap().to_owned(),
                diffs,
            )
        })
        .collect()
}

#[test]
fn drift_names_each_out_of_band_change_and_apply_clears_it() {
    let moto = MotoServer::start();
    let mut b =
        OrgBuilder::new()
            .ou("Workloads/Prod")
            .bucket("management", "audit-logs", "us-east-1");
    for i in 1..=5 {
        b = b.account(&format!("a{i}"), "Workloads/Prod", &[]);
    }
    let org = b.seed(&moto);
    let dir = tempfile::tempdir().unwrap();
    let spec = write(
        dir.path(),
        "trailform.yaml",
        &format!(
            "version: 1
organization:
  regions: [us-east-1]
unmanaged_trails: delete
trails:
  acct-audit:
    scope: account
    targets:
      organizational_units: [Workloads/Prod]
      accounts: [\"{mgmt}\"]
      include_management_account: true
    regions: [us-east-1]
    s3_bucket: audit-logs
    s3_key_prefix: \"{{account_id}}\"
    log_file_validation: true
",
            mgmt = org.management_id
        ),
    );
    ok(
        &run_trailform(&moto, dir.path(), &["apply", "-f", &spec, "--auto-approve"]),
        "first apply",
        0,
    );
    let clean = run_trailform(&moto, dir.path(), &["drift", "-f", &spec]);
    ok(&clean, "drift after apply", 0);
    assert!(clean.stdout.contains("No drift"), "{}", clean.stdout);

    let arn = |name: &str| {
        format!(
            "arn:aws:cloudtrail:us-east-1:{}:trail/acct-audit",
            org.id(name)
        )
    };
    let oob = |account: &str, script: String| {
        boto_read(
            &moto,
            org.id(account),
            "us-east-1",
            &format!("{script}\nresult = True"),
        );
    };
    oob(
        "a1",
        format!("client('cloudtrail').stop_logging(Name='{}')", arn("a1")),
    );
    oob(
        "a2",
        format!(
            "client('cloudtrail').put_event_selectors(TrailName='{}', AdvancedEventSelectors=[{{'Name': 's3', 'FieldSelectors': [{{'Field': 'eventCategory', 'Equals': ['Data']}}, {{'Field': 'resources.type', 'Equals': ['AWS::S3::Object']}}]}}])",
            arn("a2")
        ),
    );
    oob(
        "a3",
        format!("client('cloudtrail').delete_trail(Name='{}')", arn("a3")),
    );
    oob(
        "a4",
        format!(
            "client('cloudtrail').update_trail(Name='{}', S3KeyPrefix='elsewhere')",
            arn("a4")
        ),
    );
    oob(
        "a5",
        "client('cloudtrail').create_trail(Name='rogue', S3BucketName='audit-logs')".to_owned(),
    );

    let drift = run_trailform(
        &moto,
        dir.path(),
        &["drift", "-f", &spec, "--format", "json"],
    );
    ok(&drift, "drift after out-of-band changes", 2);
    let report = json_of(&drift);
    assert_eq!(report["clean"], json!(false));
    let id = |n: &str| org.id(n).to_owned();
    let expected: BTreeSet<(String, String, Vec<String>)> = [
        (
            id("a1"),
            "logging_stopped".to_owned(),
            vec!["logging".to_owned()],
        ),
        (
            id("a2"),
            "trail_differs".to_owned(),
            vec!["event_selectors".to_owned()],
        ),
        (id("a3"), "missing_trail".to_owned(), vec![]),
        (
            id("a4"),
            "trail_differs".to_owned(),
            vec!["s3_key_prefix".to_owned()],
        ),
        (id("a5"), "unmanaged_trail".to_owned(), vec![]),
    ]
    .into_iter()
    .collect();
    assert_eq!(findings(&report), expected, "{}", drift.stdout);
    // The status of every existing targeted trail is reported.
    let statuses = report["trails"].as_array().unwrap();
    assert_eq!(statuses.len(), 5, "{}", drift.stdout); // 6 targets, a3's trail is gone
    let a1 = statuses
        .iter()
        .find(|t| t["account_id"] == json!(id("a1")))
        .unwrap();
    assert_eq!(a1["is_logging"], json!(false));

    let human = run_trailform(&moto, dir.path(), &["drift", "-f", &spec]);
    ok(&human, "human drift", 2);
    for needle in [
        "logging stopped",
        "missing trail",
        "s3_key_prefix",
        "event_selectors",
        "rogue",
    ] {
        assert!(
            human.stdout.contains(needle),
            "{needle} missing:\n{}",
            human.stdout
        );
    }
    let md = run_trailform(
        &moto,
        dir.path(),
        &["drift", "-f", &spec, "--format", "markdown"],
    );
    ok(&md, "markdown drift", 2);
    assert!(
        md.stdout.starts_with("### trailform drift"),
        "{}",
        md.stdout
    );
    assert!(md.stdout.contains("| missing trail |"), "{}", md.stdout);

    ok(
        &run_trailform(
            &moto,
            dir.path(),
            &["apply", "-f", &spec, "--auto-approve", "--allow-delete"],
        ),
        "converging apply",
        0,
    );
    let after = run_trailform(
        &moto,
        dir.path(),
        &["drift", "-f", &spec, "--format", "json"],
    );
    ok(&after, "drift after converging", 0);
    assert_eq!(json_of(&after)["clean"], json!(true));
}

/// import → validate → plan: no changes, no unmanaged trails. Returns the imported YAML.
fn round_trip(moto: &MotoServer, dir: &Path, regions: &str) -> String {
    let import = run_trailform(moto, dir, &["import", "--regions", regions]);
    ok(&import, "import", 0);
    let spec = write(dir, "imported.yaml", &import.stdout);
    let validate = run_trailform(moto, dir, &["validate", "-f", &spec]);
    ok(&validate, &format!("validate of\n{}\n", import.stdout), 0);
    let plan = run_trailform(
        moto,
        dir,
        &[
            "plan",
            "-f",
            &spec,
            "--format",
            "json",
            "--detailed-exitcode",
        ],
    );
    ok(&plan, &format!("plan of\n{}\n", import.stdout), 0);
    let plan = json_of(&plan);
    assert_eq!(plan["summary"]["create"], json!(0), "{}", import.stdout);
    assert_eq!(plan["summary"]["update"], json!(0), "{}", import.stdout);
    import.stdout
}

#[test]
fn import_round_trips_an_organization_trail() {
    let moto = MotoServer::start();
    let org = OrgBuilder::new()
        .ou("Workloads")
        .account("w1", "Workloads", &[])
        .bucket("management", "org-logs", "us-east-1")
        .seed(&moto);
    let dir = tempfile::tempdir().unwrap();
    let spec = write(
        dir.path(),
        "seed.yaml",
        "version: 1
organization:
  regions: [us-east-1]
trails:
  org-audit:
    scope: organization
    home_region: us-east-1
    s3_bucket: org-logs
    log_file_validation: true
    insights: [api_call_rate]
",
    );
    ok(
        &run_trailform(&moto, dir.path(), &["apply", "-f", &spec, "--auto-approve"]),
        "seeding apply",
        0,
    );
    let yaml = round_trip(&moto, dir.path(), "us-east-1");
    assert!(yaml.contains("scope: organization"), "{yaml}");
    assert!(yaml.contains("home_region: us-east-1"), "{yaml}");
    assert!(!yaml.contains("scope: account"), "{yaml}");
    assert!(
        yaml.contains(&format!("account {}", org.management_id)),
        "{yaml}"
    );
}

#[test]
fn import_groups_identical_account_trails_across_ous() {
    let moto = MotoServer::start();
    let mut b =
        OrgBuilder::new()
            .ou("Prod")
            .ou("Dev")
            .bucket("management", "central-logs", "us-east-1");
    let names = ["p1", "p2", "d1", "d2"];
    for (i, n) in names.iter().enumerate() {
        b = b.account(n, if i < 2 { "Prod" } else { "Dev" }, &[]);
    }
    // The key prefix is the account id, known only after seeding: trails come after.
    let org = b.seed(&moto);
    for n in names {
        for region in ["us-east-1", "eu-west-1"] {
            boto_read(
                &moto,
                org.id(n),
                region,
                &format!(
                    "ct = client('cloudtrail')\narn = ct.create_trail(Name='baseline', S3BucketName='central-logs', S3KeyPrefix='{id}', EnableLogFileValidation=True)['TrailARN']\nct.start_logging(Name=arn)\nresult = arn",
                    id = org.id(n)
                ),
            );
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let yaml = round_trip(&moto, dir.path(), "us-east-1,eu-west-1");
    assert_eq!(yaml.matches("scope: account").count(), 1, "{yaml}");
    assert!(yaml.contains("s3_key_prefix: '{account_id}'"), "{yaml}");
    for n in names {
        assert!(yaml.contains(org.id(n)), "{n} missing:\n{yaml}");
    }
    assert!(!yaml.contains("Left out"), "{yaml}");
}

#[test]
fn import_round_trips_mixed_trails_and_leaves_out_a_conflicting_name() {
    let moto = MotoServer::start();
    let org = OrgBuilder::new()
        .ou("Prod")
        .account("p1", "Prod", &[])
        .account("p2", "Prod", &[])
        .account("p3", "Prod", &[])
        .bucket("management", "mixed-logs", "us-east-1")
        .trail(
            json!({"account": "p1", "region": "us-east-1", "name": "data",
            "bucket": "mixed-logs", "tags": {"owner": "sec"}, "insights": ["ApiErrorRateInsight"],
            "advanced_event_selectors": [
                {"Name": "mgmt", "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Management"]},
                    {"Field": "readOnly", "Equals": ["false"]}]},
                {"Name": "writes", "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                    {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::prod-"]}]}]}),
        )
        .trail(
            json!({"account": "p2", "region": "us-east-1", "name": "data",
            "bucket": "mixed-logs", "tags": {"owner": "sec"}, "insights": ["ApiErrorRateInsight"],
            "advanced_event_selectors": [
                {"Name": "mgmt", "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Management"]},
                    {"Field": "readOnly", "Equals": ["false"]}]},
                {"Name": "writes", "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                    {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::prod-"]}]}]}),
        )
        // Same name, another configuration: cannot share the key.
        .trail(
            json!({"account": "p3", "region": "us-east-1", "name": "data",
            "bucket": "mixed-logs", "s3_key_prefix": "odd"}),
        )
        // A multi-region account trail homed outside the first region.
        .trail(
            json!({"account": "p3", "region": "eu-west-1", "name": "everywhere",
            "bucket": "mixed-logs", "multi_region": true, "log_file_validation": true,
            "advanced_event_selectors": [
                {"Name": "lambda", "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::Lambda::Function"]},
                    {"Field": "eventName", "Equals": ["Invoke"]}]}]}),
        )
        .seed(&moto);
    let dir = tempfile::tempdir().unwrap();
    let yaml = round_trip(&moto, dir.path(), "us-east-1,eu-west-1");
    // Shorthand where it compiles back exactly, raw advanced selectors where it cannot.
    assert!(yaml.contains("read_write: write_only"), "{yaml}");
    assert!(yaml.contains("resource_type: AWS::S3::Object"), "{yaml}");
    assert!(yaml.contains("advanced_event_selectors"), "{yaml}");
    assert!(yaml.contains("eventName"), "{yaml}");
    assert!(yaml.contains("api_error_rate"), "{yaml}");
    assert!(yaml.contains("owner: sec"), "{yaml}");
    assert!(yaml.contains("home_region: eu-west-1"), "{yaml}");
    assert!(yaml.contains("multi_region: true"), "{yaml}");
    let left_out = yaml
        .split("# Left out")
        .nth(1)
        .unwrap_or_else(|| panic!("{yaml}"));
    assert!(left_out.contains(org.id("p3")), "{yaml}");
}

#[test]
fn a_new_account_in_a_targeted_ou_is_the_only_change_and_apply_brings_it_in() {
    let moto = MotoServer::start();
    let org = OrgBuilder::new()
        .ou("Workloads/Prod")
        .account("a1", "Workloads/Prod", &[])
        .account("a2", "Workloads/Prod", &[])
        .bucket("management", "prod-logs", "us-east-1")
        .seed(&moto);
    let dir = tempfile::tempdir().unwrap();
    let spec = write(
        dir.path(),
        "trailform.yaml",
        "version: 1
organization:
  regions: [us-east-1]
trails:
  prod:
    scope: account
    targets:
      organizational_units: [Workloads/Prod]
    regions: [us-east-1]
    s3_bucket: prod-logs
",
    );
    ok(
        &run_trailform(&moto, dir.path(), &["apply", "-f", &spec, "--auto-approve"]),
        "first apply",
        0,
    );
    let ou = org.ous_by_path["Workloads/Prod"].clone();
    let created = boto_read(
        &moto,
        &org.management_id,
        "us-east-1",
        &format!(
            "o = client('organizations')\nid = o.create_account(AccountName='newbie', Email='newbie@example.com')['CreateAccountStatus']['AccountId']\no.move_account(AccountId=id, SourceParentId='{root}', DestinationParentId='{ou}')\nresult = id",
            root = org.root_id
        ),
    );
    let new_id = created.as_str().unwrap().to_owned();

    let plan = run_trailform(
        &moto,
        dir.path(),
        &[
            "plan",
            "-f",
            &spec,
            "--format",
            "json",
            "--detailed-exitcode",
        ],
    );
    ok(&plan, "plan with the new account", 2);
    let plan = json_of(&plan);
    let changed: Vec<&Value> = plan["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| !t["changes"].as_array().unwrap().is_empty())
        .collect();
    assert_eq!(changed.len(), 1, "{plan:#}");
    assert_eq!(changed[0]["account_id"], json!(new_id));
    assert_eq!(changed[0]["action"], json!("create"));

    let drift = run_trailform(
        &moto,
        dir.path(),
        &["drift", "-f", &spec, "--format", "json"],
    );
    ok(&drift, "drift with the new account", 2);
    let f = findings(&json_of(&drift));
    // The management account has no trail and the spec does not target it.
    let expected: BTreeSet<(String, String, Vec<String>)> = [
        (new_id.clone(), "missing_trail".to_owned(), vec![]),
        (
            org.management_id.clone(),
            "uncovered_account".to_owned(),
            vec![],
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(f, expected);

    ok(
        &run_trailform(
            &moto,
            dir.path(),
            &[
                "apply",
                "-f",
                &spec,
                "--auto-approve",
                "--accounts",
                &new_id,
            ],
        ),
        "apply to the new account",
        0,
    );
    ok(
        &run_trailform(
            &moto,
            dir.path(),
            &["plan", "-f", &spec, "--detailed-exitcode"],
        ),
        "plan after bringing the account in",
        0,
    );
}

#[test]
fn unreadable_accounts_make_drift_and_import_exit_1_and_uncovered_accounts_are_named() {
    let moto = MotoServer::start();
    let org = OrgBuilder::new()
        .ou("Workloads")
        .account("w0", "Workloads", &[])
        .account("w1", "Workloads", &[])
        .account("loose", "", &[])
        .role("w0", "TrailformReader")
        .role("loose", "TrailformReader")
        .seed(&moto);
    let dir = tempfile::tempdir().unwrap();
    let spec = write(
        dir.path(),
        "trailform.yaml",
        &format!(
            "version: 1
organization:
  member_role: arn:aws:iam::{{account_id}}:role/TrailformReader
  regions: [us-east-1]
trails:
  workloads:
    scope: account
    targets:
      organizational_units: [Workloads]
      accounts: [\"{mgmt}\"]
      include_management_account: true
    regions: [us-east-1]
    s3_bucket: logs
",
            mgmt = org.management_id
        ),
    );
    let drift = run_trailform(
        &moto,
        dir.path(),
        &["drift", "-f", &spec, "--format", "json"],
    );
    ok(&drift, "drift with an unreadable account", 1);
    assert!(drift.stderr.contains(org.id("w1")), "{}", drift.stderr);
    let id = |n: &str| org.id(n).to_owned();
    let expected: BTreeSet<(String, String, Vec<String>)> = [
        (id("management"), "missing_trail".to_owned(), vec![]),
        (id("w0"), "missing_trail".to_owned(), vec![]),
        (id("w1"), "unreadable".to_owned(), vec![]),
        (id("loose"), "uncovered_account".to_owned(), vec![]),
    ]
    .into_iter()
    .collect();
    assert_eq!(findings(&json_of(&drift)), expected, "{}", drift.stdout);

    // import with the same role: the spec is printed, the failure named, exit 1.
    let role = "arn:aws:iam::{account_id}:role/TrailformReader";
    let failing = run_trailform(
        &moto,
        dir.path(),
        &["import", "--regions", "us-east-1", "--member-role", role],
    );
    ok(&failing, "import with an unreadable account", 1);
    assert!(
        failing
            .stdout
            .contains(&format!("# NOT READ: account {}", id("w1"))),
        "{}",
        failing.stdout
    );
    assert!(failing.stdout.contains(role), "{}", failing.stdout);
    assert!(failing.stderr.contains(&id("w1")), "{}", failing.stderr);

    // An account with no trail imports as an empty, valid spec.
    let import = run_trailform(&moto, dir.path(), &["import", "--accounts", &id("w0")]);
    ok(&import, "import of one account", 0);
    assert!(import.stdout.contains("trails: {}"), "{}", import.stdout);
    let empty = write(dir.path(), "empty.yaml", &import.stdout);
    ok(
        &run_trailform(&moto, dir.path(), &["validate", "-f", &empty]),
        "validate an empty import",
        0,
    );
}

/// A trail made by CloudFormation or a StackSet carries `aws:cloudformation:*` tags,
/// which no call can add or remove and no spec may name: import leaves them out, the
/// imported spec validates, plans no changes, and a spec that names other tags never
/// plans a RemoveTags of them.
#[test]
fn aws_reserved_tags_of_a_stackset_trail_never_diff() {
    let moto = MotoServer::start();
    let org = OrgBuilder::new()
        .ou("W")
        .account("w1", "W", &[])
        .bucket("management", "central-logs", "us-east-1")
        .seed(&moto);
    // moto accepts `aws:` keys from anyone; on AWS only CloudFormation sets them.
    boto_read(
        &moto,
        org.id("w1"),
        "us-east-1",
        "ct = client('cloudtrail')\narn = ct.create_trail(Name='baseline', S3BucketName='central-logs', IsMultiRegionTrail=True, TagsList=[{'Key': 'aws:cloudformation:stack-name', 'Value': 'StackSet-trails-1'}, {'Key': 'team', 'Value': 'sec'}])['TrailARN']\nct.start_logging(Name=arn)\nresult = arn",
    );
    let dir = tempfile::tempdir().unwrap();
    let yaml = round_trip(&moto, dir.path(), "us-east-1");
    assert!(!yaml.contains("aws:cloudformation"), "{yaml}");
    assert!(yaml.contains("team: sec"), "{yaml}");

    let spec = write(
        dir.path(),
        "retag.yaml",
        &format!(
            "version: 1
organization:
  regions: [us-east-1]
trails:
  baseline:
    scope: account
    targets: {{accounts: ['{}']}}
    multi_region: true
    home_region: us-east-1
    s3_bucket: central-logs
    tags: {{owner: platform}}
",
            org.id("w1")
        ),
    );
    let plan = run_trailform(
        &moto,
        dir.path(),
        &["plan", "-f", &spec, "--format", "json"],
    );
    ok(&plan, "plan", 0);
    let changes = json_of(&plan)["targets"][0]["changes"].clone();
    let text = changes.to_string();
    assert!(
        text.contains("\"remove_tags\"") && text.contains("team"),
        "{text}"
    );
    assert!(!text.contains("aws:cloudformation"), "{text}");
}
