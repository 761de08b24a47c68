//! The pure-engine benchmark (issue 7): validate + resolve + diff + render of a
//! synthetic organization held in memory, no network.
//!
//! `cargo bench --bench engine` runs 10,000 accounts × 17 regions and prints the time
//! of each stage and the peak RSS. Under `cargo test` (no `--bench` argument) it runs
//! a small organization once, as a smoke test that the benchmark still works.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use trailform::live::{Account, AccountStatus, LiveState, Organization, OuRef};
use trailform::normalize::{desired, simulate_apply, DesiredContext};
use trailform::org::{resolve, Narrowing};
use trailform::plan::{diff, render_human, render_json, render_markdown, DiffOptions};
use trailform::spec::check_str;

const REGIONS: [&str; 17] = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "sa-east-1",
];

fn spec_yaml() -> String {
    let regions = REGIONS.join(", ");
    format!(
        r#"version: 1
organization:
  regions: [{regions}]
trails:
  org-audit:
    scope: organization
    home_region: us-east-1
    s3_bucket: acme-org-cloudtrail
    kms_key_id: arn:aws:kms:us-east-1:100000000000:key/6f1c2a9e-4b7d-4c3e-9a51-2d8e7f0b1c44
    log_file_validation: true
    insights: [api_call_rate]
    tags: {{ owner: security }}
  workload-data:
    scope: account
    targets:
      organizational_units: ["Workloads/Prod", "Workloads/Dev"]
    regions: [{regions}]
    s3_bucket: "acme-data-{{account_id}}"
    s3_key_prefix: "{{region}}"
    kms_key_id: arn:aws:kms:us-east-1:100000000000:key/6f1c2a9e-4b7d-4c3e-9a51-2d8e7f0b1c44
    log_file_validation: true
    management_events: {{ read_write: none }}
    data_events:
      - resource_type: AWS::S3::Object
        arn_not_starts_with: ["arn:aws:s3:::acme-org-cloudtrail/"]
      - resource_type: AWS::Lambda::Function
    tags: {{ owner: platform, cost-center: "1234" }}
"#
    )
}

fn organization(accounts: usize) -> Organization {
    let root = OuRef {
        id: "r-ab12".to_owned(),
        name: "Root".to_owned(),
    };
    let ou = |id: &str, name: &str| OuRef {
        id: id.to_owned(),
        name: name.to_owned(),
    };
    let workloads = ou("ou-ab12-00000001", "Workloads");
    let paths = [
        vec![
            root.clone(),
            workloads.clone(),
            ou("ou-ab12-00000002", "Prod"),
        ],
        vec![root.clone(), workloads, ou("ou-ab12-00000003", "Dev")],
        vec![root.clone(), ou("ou-ab12-00000004", "Sandbox")],
    ];
    let mut list = vec![Account {
        id: "100000000000".to_owned(),
        name: "management".to_owned(),
        email: "management@example.com".to_owned(),
        status: AccountStatus::Active,
        tags: BTreeMap::new(),
        ou_path: vec![root],
    }];
    for i in 1..accounts {
        list.push(Account {
            id: format!("{:012}", 200_000_000_000u64 + i as u64),
            name: format!("account-{i}"),
            email: format!("account-{i}@example.com"),
            status: AccountStatus::Active,
            tags: BTreeMap::new(),
            ou_path: paths[i % paths.len()].clone(),
        });
    }
    Organization {
        management_account_id: "100000000000".to_owned(),
        caller_account_id: "100000000000".to_owned(),
        root_id: "r-ab12".to_owned(),
        accounts: list,
        ..Organization::default()
    }
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

#[allow(clippy::print_stdout, clippy::cast_precision_loss)]
fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let accounts = if full { 10_000 } else { 50 };
    let total = Instant::now();

    let source = spec_yaml();
    let t = Instant::now();
    let checked = check_str(&source, "bench.yaml");
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    let Some(loaded) = checked.spec else {
        panic!("the benchmark spec did not parse")
    };
    let spec = loaded.spec;
    let validate = t.elapsed();

    let org = organization(accounts);
    let t = Instant::now();
    let resolution = resolve(&spec, &org, &Narrowing::none());
    let resolve_time = t.elapsed();

    // A converged organization, with one drifted trail in every 100th account.
    let ctx = DesiredContext::default();
    let mut live = LiveState {
        org: org.clone(),
        trails: Vec::with_capacity(resolution.targets.len()),
        ..LiveState::default()
    };
    let mut read = BTreeSet::new();
    let mut drifted = 0;
    // As the reader does: trails with identical selectors share one copy.
    let interner = trailform::live::SelectorInterner::default();
    for (i, target) in resolution.targets.iter().enumerate() {
        read.insert((target.account_id.clone(), target.region.clone()));
        if let Some(d) = desired(&spec, target, &ctx) {
            let mut trail = simulate_apply(&d);
            if let Some(details) = trail.details.as_mut() {
                details.selectors = interner.intern((*details.selectors).clone());
            }
            if i % 100 == 7 {
                trail.log_file_validation = false;
                drifted += 1;
            }
            live.trails.push(trail);
        }
    }
    for a in &org.accounts {
        for r in REGIONS {
            read.insert((a.id.clone(), r.to_owned()));
        }
    }
    live.read = read;

    let rss_before_diff = peak_rss_mib();
    let t = Instant::now();
    let plan = diff(&spec, &resolution.targets, &live, &DiffOptions::default());
    let diff_time = t.elapsed();

    let rss_after_diff = peak_rss_mib();
    let t = Instant::now();
    let human = render_human(&plan, false);
    let json = render_json(&plan);
    let markdown = render_markdown(&plan);
    let render_time = t.elapsed();

    println!(
        "pure engine: {accounts} accounts x {} regions",
        REGIONS.len()
    );
    println!("  targets resolved: {}", resolution.targets.len());
    println!("  trails in the live model: {}", live.trails.len());
    println!(
        "  plan: {} to update, {} unchanged",
        plan.summary.update, plan.summary.unchanged
    );
    println!("  validate: {:>8.1} ms", validate.as_secs_f64() * 1e3);
    println!("  resolve:  {:>8.1} ms", resolve_time.as_secs_f64() * 1e3);
    println!("  diff:     {:>8.1} ms", diff_time.as_secs_f64() * 1e3);
    println!(
        "  render:   {:>8.1} ms (human {} KiB, json {} KiB, markdown {} KiB)",
        render_time.as_secs_f64() * 1e3,
        human.len() / 1024,
        json.len() / 1024,
        markdown.len() / 1024
    );
    let engine = validate + resolve_time + diff_time + render_time;
    println!(
        "  engine total (validate + resolve + diff + render): {:.1} ms",
        engine.as_secs_f64() * 1e3
    );
    println!(
        "  wall incl. building the synthetic live model: {:.1} ms",
        total.elapsed().as_secs_f64() * 1e3
    );
    if let (Some(a), Some(b), Some(c)) = (rss_before_diff, rss_after_diff, peak_rss_mib()) {
        println!(
            "  peak RSS: {c:.1} MiB (spec + organization + synthetic live model: {a:.1} MiB; after diff: {b:.1} MiB)"
        );
    }
    // Exactly the drifted trails are planned, so the benchmark measures a real diff.
    assert_eq!(plan.summary.update, drifted);
    assert_eq!(plan.summary.create + plan.summary.delete, 0);
}
