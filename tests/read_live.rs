//! Reading a 45+ account organization in nested OUs against moto: target resolution
//! for every target form, the live model of out-of-band trails, an account whose role
//! cannot be assumed, and the number of requests a converged read costs.

mod support;

use std::collections::BTreeSet;

use serde_json::json;
use support::{spec, MotoServer, OrgBuilder, SeededOrg};
use trailform::aws::reader::{read_live, DetailPolicy, NoProgress, Progress, ReadProgress};
use trailform::aws::AwsSettings;
use trailform::live::LiveSelectors;
use trailform::org::{ExclusionReason, Narrowing, Resolution};

/// 48 member accounts: 20 in Workloads/Prod (env=prod), 10 in Workloads/Prod/Payments
/// (env=prod, team=pay), 10 in Workloads/Dev (env=dev), 6 in Sandbox, 1 in the root,
/// 1 closed; plus the management account. 21+ accounts under one OU crosses a page of
/// ListAccountsForParent at MaxResults 20.
fn big_org() -> OrgBuilder {
    let mut b = OrgBuilder::new()
        .ou("Workloads/Prod/Payments")
        .ou("Workloads/Dev")
        .ou("Sandbox")
        .ou("Empty");
    for i in 0..20 {
        b = b.account(
            &format!("prod-{i}"),
            "Workloads/Prod",
            &[("environment", "prod")],
        );
    }
    for i in 0..10 {
        b = b.account(
            &format!("pay-{i}"),
            "Workloads/Prod/Payments",
            &[("environment", "prod"), ("team", "pay")],
        );
    }
    for i in 0..10 {
        b = b.account(
            &format!("dev-{i}"),
            "Workloads/Dev",
            &[("environment", "dev")],
        );
    }
    for i in 0..6 {
        b = b.account(&format!("sandbox-{i}"), "Sandbox", &[]);
    }
    b.account("shared", "", &[("environment", "prod")])
        .closed_account("closed", "Sandbox")
        .management_tags(&[("environment", "prod")])
}

fn ids(org: &SeededOrg, names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| org.id(n).to_owned()).collect()
}

fn targeted(res: &Resolution, trail: &str) -> BTreeSet<(String, String)> {
    res.targets
        .iter()
        .filter(|t| t.trail == trail)
        .map(|t| (t.account_id.clone(), t.region.clone()))
        .collect()
}

#[derive(Default)]
struct Recorder(std::sync::Mutex<Vec<ReadProgress>>);

impl Progress for Recorder {
    fn update(&self, p: ReadProgress) {
        self.0.lock().expect("recorder").push(p);
    }
}

#[tokio::test]
async fn resolves_every_target_form_and_reads_out_of_band_trails() {
    let moto = MotoServer::start();
    let seeded = big_org()
        .bucket("prod-0", "logs-prod-0", "us-east-1")
        .bucket("dev-0", "logs-dev-0", "eu-west-1")
        .bucket("management", "org-logs", "us-east-1")
        .topic("prod-0", "trail-topic", "us-east-1")
        .trail(json!({
            "account": "prod-0", "region": "us-east-1", "name": "workload", "bucket": "logs-prod-0",
            "s3_key_prefix": "p", "sns_topic": "trail-topic", "log_file_validation": true,
            "kms_key_id": "arn:aws:kms:us-east-1:111111111111:key/k",
            "advanced_event_selectors": [{"Name": "ddb", "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Data"]},
                {"Field": "resources.type", "Equals": ["AWS::DynamoDB::Table"]}]}],
            "insights": ["ApiCallRateInsight", "ApiErrorRateInsight"],
            "tags": {"owner": "security"}
        }))
        .trail(json!({"account": "prod-0", "region": "eu-west-1", "name": "stray", "bucket": "logs-prod-0",
                      "logging": false}))
        .trail(json!({
            "account": "dev-0", "region": "eu-west-1", "name": "everywhere", "bucket": "logs-dev-0",
            "multi_region": true,
            "event_selectors": [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": true,
                                 "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::x/"]}]}]
        }))
        .trail(json!({"account": "management", "region": "us-east-1", "name": "org-audit", "bucket": "org-logs",
                      "multi_region": true}))
        .seed(&moto);
    let pay_ou = seeded.ous_by_path["Workloads/Prod/Payments"].clone();

    let spec = spec(&format!(
        r#"
version: 1
organization:
  regions: [us-east-1, eu-west-1, ap-southeast-2]
  exclude_accounts: ["{sandbox5}"]
trails:
  org-audit:
    scope: organization
    home_region: us-east-1
    s3_bucket: org-logs
  workload:
    scope: account
    regions: [us-east-1]
    s3_bucket: "logs-{{account_id}}"
    targets:
      organizational_units: ["Workloads/Prod"]
      exclude_accounts: ["{prod19}"]
  by-id:
    scope: account
    multi_region: true
    home_region: eu-west-1
    s3_bucket: b
    targets:
      organizational_units: ["{pay_ou}"]
      accounts: ["{dev0}"]
  tagged:
    scope: account
    regions: [ap-southeast-2]
    s3_bucket: b
    targets:
      account_tags: {{ environment: prod }}
      include_management_account: true
"#,
        sandbox5 = seeded.id("sandbox-5"),
        prod19 = seeded.id("prod-19"),
        dev0 = seeded.id("dev-0"),
    ));
    let ctx = moto.context(&AwsSettings::no_retries()).await;
    let progress = Recorder::default();
    let (live, res) = read_live(
        &ctx,
        &spec,
        &Narrowing::none(),
        DetailPolicy::Managed,
        &progress,
    )
    .await;

    assert_eq!(live.failures, vec![]);
    assert!(res.errors.is_empty(), "{:?}", res.errors);
    assert_eq!(live.org.accounts.len(), 49);
    assert_eq!(live.org.management_account_id, seeded.management_id);
    assert!(live
        .org
        .organizational_units
        .iter()
        .any(|o| o.path == "Empty"));

    // organization scope: the management account, home region.
    assert_eq!(
        targeted(&res, "org-audit"),
        BTreeSet::from([(seeded.management_id.clone(), "us-east-1".to_owned())])
    );
    // OU path, nested OUs included, minus the trail's exclusion.
    let mut workload: Vec<String> = (0..19).map(|i| format!("prod-{i}")).collect();
    workload.extend((0..10).map(|i| format!("pay-{i}")));
    let names: Vec<&str> = workload.iter().map(String::as_str).collect();
    let want: BTreeSet<_> = ids(&seeded, &names)
        .into_iter()
        .map(|a| (a, "us-east-1".to_owned()))
        .collect();
    assert_eq!(targeted(&res, "workload"), want);
    // OU id + account id; one multi-region trail per account in its home region.
    let mut by_id: Vec<String> = (0..10).map(|i| format!("pay-{i}")).collect();
    by_id.push("dev-0".into());
    let names: Vec<&str> = by_id.iter().map(String::as_str).collect();
    let want: BTreeSet<_> = ids(&seeded, &names)
        .into_iter()
        .map(|a| (a, "eu-west-1".to_owned()))
        .collect();
    assert_eq!(targeted(&res, "by-id"), want);
    // Account tags (listed per account only because the spec uses them), management
    // account included; the closed account is not (skip_suspended).
    let tagged = targeted(&res, "tagged");
    assert_eq!(tagged.len(), 20 + 10 + 1 + 1);
    assert!(tagged.contains(&(seeded.management_id.clone(), "ap-southeast-2".to_owned())));
    assert!(tagged.contains(&(seeded.id("shared").to_owned(), "ap-southeast-2".to_owned())));
    assert!(res
        .excluded
        .iter()
        .any(|e| e.account_id == seeded.id("closed") && e.reason == ExclusionReason::Suspended));
    assert!(res
        .excluded
        .iter()
        .any(|e| e.account_id == seeded.id("sandbox-5")
            && e.reason == ExclusionReason::OrganizationExcluded));
    // Read where trails live: organization.regions ∪ target regions, never excluded accounts.
    assert!(!res.read_regions.contains_key(seeded.id("sandbox-5")));
    assert!(!res.read_regions.contains_key(seeded.id("closed")));
    assert_eq!(res.read_regions.len(), 47);
    assert_eq!(live.read.len(), 47 * 3);

    // The live model. prod-0's managed trail has every detail.
    let trail = |account: &str, region: &str, name: &str| {
        live.trails
            .iter()
            .find(|t| {
                t.account_id == seeded.id(account) && t.home_region == region && t.name == name
            })
            .unwrap_or_else(|| panic!("no trail {account}/{region}/{name} in {:#?}", live.trails))
    };
    let w = trail("prod-0", "us-east-1", "workload");
    assert_eq!(w.s3_bucket.as_deref(), Some("logs-prod-0"));
    assert_eq!(w.s3_key_prefix.as_deref(), Some("p"));
    assert!(w
        .sns_topic_arn
        .as_deref()
        .is_some_and(|a| a.ends_with(":trail-topic")));
    assert!(w.log_file_validation && !w.multi_region && w.global_service_events);
    let d = w.details.as_ref().expect("managed trail has details");
    assert!(
        matches!(&*d.selectors, LiveSelectors::Advanced(s) if s.len() == 1 && s[0].field_selectors.len() == 2)
    );
    assert_eq!(
        d.insights,
        vec!["ApiCallRateInsight", "ApiErrorRateInsight"]
    );
    assert!(d.status.is_logging);
    assert_eq!(d.tags.get("owner").map(String::as_str), Some("security"));
    // An unmanaged trail is reported from DescribeTrails alone.
    assert!(trail("prod-0", "eu-west-1", "stray").details.is_none());
    // The multi-region trail is read once, in its home region, not as copies in the
    // account's other read regions.
    let everywhere: Vec<_> = live
        .trails
        .iter()
        .filter(|t| t.name == "everywhere")
        .collect();
    assert_eq!(everywhere.len(), 1);
    assert_eq!(everywhere[0].home_region, "eu-west-1");
    let org_trail = trail("management", "us-east-1", "org-audit");
    assert!(org_trail.multi_region && org_trail.details.is_some());
    assert_eq!(live.trails.len(), 4);

    let last = progress.0.lock().expect("progress").last().copied();
    assert_eq!(
        last,
        Some(ReadProgress {
            accounts_listed: 49,
            accounts_done: 49,
            listing_done: true
        })
    );
}

#[tokio::test]
async fn import_reads_details_of_every_trail_and_narrowing_limits_reads() {
    let moto = MotoServer::start();
    let seeded = OrgBuilder::new()
        .account("a", "", &[])
        .account("b", "", &[])
        .bucket("a", "logs-a", "us-east-1")
        .trail(json!({"account": "a", "region": "us-east-1", "name": "stray", "bucket": "logs-a"}))
        .seed(&moto);
    let spec = spec("version: 1\norganization:\n  regions: [us-east-1, eu-west-1]\n");
    let ctx = moto.context(&AwsSettings::no_retries()).await;
    let narrow = Narrowing {
        accounts: Some(BTreeSet::from([seeded.id("a").to_owned()])),
        regions: Some(BTreeSet::from(["us-east-1".to_owned()])),
    };
    let (live, res) = read_live(&ctx, &spec, &narrow, DetailPolicy::All, &NoProgress).await;
    assert_eq!(
        live.read,
        BTreeSet::from([(seeded.id("a").to_owned(), "us-east-1".to_owned())])
    );
    assert_eq!(live.trails.len(), 1);
    assert!(live.trails[0].details.is_some());
    assert!(res
        .excluded
        .iter()
        .any(|e| e.account_id == seeded.id("b") && e.reason == ExclusionReason::NarrowedOut));
}

/// moto assumes any role; the launcher's AssumeRole patch denies roles that do not exist
/// in the account (see tests/support/moto_launcher.py). Every account but one has the
/// `TrailformReader` role.
#[tokio::test]
async fn an_account_whose_role_cannot_be_assumed_is_reported_and_the_rest_is_read() {
    let moto = MotoServer::start();
    let mut b = OrgBuilder::new().ou("Workloads");
    for i in 0..6 {
        b = b.account(&format!("w-{i}"), "Workloads", &[]);
        if i != 3 {
            b = b.role(&format!("w-{i}"), "TrailformReader");
        }
    }
    let seeded = b.seed(&moto);
    let spec = spec(
        "version: 1\norganization:\n  member_role: arn:aws:iam::{account_id}:role/TrailformReader\n  regions: [us-east-1, eu-west-1]\ntrails:\n  t:\n    scope: account\n    regions: [us-east-1]\n    s3_bucket: b\n    targets:\n      organizational_units: [Workloads]\n",
    );
    let ctx = moto.context(&AwsSettings::no_retries()).await;
    let (live, res) = read_live(
        &ctx,
        &spec,
        &Narrowing::none(),
        DetailPolicy::Managed,
        &NoProgress,
    )
    .await;
    let denied = seeded.id("w-3");
    assert_eq!(live.failures.len(), 1, "{:#?}", live.failures);
    let f = &live.failures[0];
    assert_eq!(
        (f.account_id.as_str(), f.operation.as_str(), f.code.as_str()),
        (denied, "AssumeRole", "AccessDenied")
    );
    assert!(f.message.contains("TrailformReader"), "{}", f.message);
    // 5 members + management (caller credentials) read in both regions.
    assert_eq!(live.read.len(), 6 * 2);
    assert!(live.read.iter().all(|(a, _)| a != denied));
    assert_eq!(res.targets.len(), 6);
}

fn per_region(counts: &std::collections::BTreeMap<String, u64>, op: &str) -> u64 {
    counts.get(op).copied().unwrap_or(0)
}

/// A converged organization costs, per account-region, 1 DescribeTrails + 1 ListTags
/// batch (only where a managed trail lives) + 3 per managed trail (selectors, insights,
/// status); Organizations costs 2 calls per parent (root + OUs) plus extra pages, and
/// STS one AssumeRole per member account plus one GetCallerIdentity.
#[tokio::test]
async fn reading_a_converged_org_costs_the_documented_minimum() {
    let moto = MotoServer::start();
    let mut b = OrgBuilder::new().ou("Workloads/Prod");
    let regions = ["us-east-1", "eu-west-1"];
    for i in 0..22 {
        let name = format!("p-{i}");
        b = b.account(&name, "Workloads/Prod", &[]).bucket(
            &name,
            &format!("logs-{i}"),
            "us-east-1",
        );
        for region in regions {
            b = b.trail(json!({"account": name, "region": region, "name": "audit", "bucket": format!("logs-{i}")}));
        }
    }
    b.seed(&moto);
    let spec = spec(
        "version: 1\norganization:\n  regions: [us-east-1, eu-west-1]\ntrails:\n  audit:\n    scope: account\n    regions: [us-east-1, eu-west-1]\n    s3_bucket: b\n    targets:\n      organizational_units: [Workloads/Prod]\n",
    );
    let ctx = moto.context(&AwsSettings::no_retries()).await;
    let (live, _) = read_live(
        &ctx,
        &spec,
        &Narrowing::none(),
        DetailPolicy::Managed,
        &NoProgress,
    )
    .await;
    assert_eq!(live.failures, vec![]);
    assert_eq!(live.trails.len(), 44);
    let counts = ctx.request_counts();

    let members = 22;
    let account_regions = (members + 1) * 2; // the management account is read too
    let managed_account_regions = members * 2;
    assert_eq!(per_region(&counts, "DescribeTrails"), account_regions);
    assert_eq!(per_region(&counts, "ListTags"), managed_account_regions);
    for op in ["GetEventSelectors", "GetInsightSelectors", "GetTrailStatus"] {
        assert_eq!(per_region(&counts, op), managed_account_regions, "{op}");
    }
    assert_eq!(per_region(&counts, "AssumeRole"), members);
    assert_eq!(per_region(&counts, "GetCallerIdentity"), 1);
    // Root, Workloads, Prod: 3 parents; Prod holds 22 accounts at 20 a page.
    assert_eq!(per_region(&counts, "ListAccountsForParent"), 3 + 1);
    assert_eq!(per_region(&counts, "ListOrganizationalUnitsForParent"), 3);
    assert_eq!(
        per_region(&counts, "ListTagsForResource"),
        0,
        "no account_tags in the spec"
    );
    let total: u64 = counts.values().sum();
    assert_eq!(
        total,
        account_regions + managed_account_regions * 4 + members + 1 + 2 + 4 + 3
    );
}
