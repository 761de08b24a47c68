//! Target resolution on plain data, one test per target form.

use super::*;
use crate::live::{OrganizationalUnit, OuRef};

const MGMT: &str = "111111111111";

fn ou(id: &str, name: &str) -> OuRef {
    OuRef {
        id: id.into(),
        name: name.into(),
    }
}

fn account(id: &str, name: &str, path: &[(&str, &str)], tags: &[(&str, &str)]) -> Account {
    let mut ou_path = vec![ou("r-root", "Root")];
    ou_path.extend(path.iter().map(|(i, n)| ou(i, n)));
    Account {
        id: id.into(),
        name: name.into(),
        email: format!("{name}@example.com"),
        status: AccountStatus::Active,
        tags: tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ou_path,
    }
}

/// Root: mgmt; Workloads/Prod: prod-1 (env=prod), prod-2; Workloads/Prod/Deep: deep-1
/// (env=prod); Workloads/Dev: dev-1 (env=dev); Sandbox (empty OU); suspended-1 in root.
fn org() -> Organization {
    let w = ("ou-w", "Workloads");
    let p = ("ou-prod", "Prod");
    let mut suspended = account("999999999999", "gone", &[], &[]);
    suspended.status = AccountStatus::Suspended;
    Organization {
        management_account_id: MGMT.into(),
        caller_account_id: MGMT.into(),
        root_id: "r-root".into(),
        accounts: vec![
            account(MGMT, "management", &[], &[("environment", "prod")]),
            account(
                "222222222222",
                "prod-1",
                &[w, p],
                &[("environment", "prod")],
            ),
            account("222222222223", "prod-2", &[w, p], &[]),
            account(
                "222222222224",
                "deep-1",
                &[w, p, ("ou-deep", "Deep")],
                &[("environment", "prod")],
            ),
            account(
                "333333333333",
                "dev-1",
                &[w, ("ou-dev", "Dev")],
                &[("environment", "dev")],
            ),
            suspended,
        ],
        organizational_units: [
            ("ou-w", "Workloads", "Workloads"),
            ("ou-prod", "Prod", "Workloads/Prod"),
            ("ou-deep", "Deep", "Workloads/Prod/Deep"),
            ("ou-dev", "Dev", "Workloads/Dev"),
            ("ou-sand", "Sandbox", "Sandbox"),
        ]
        .iter()
        .map(|(id, name, path)| OrganizationalUnit {
            id: (*id).into(),
            name: (*name).into(),
            path: (*path).into(),
        })
        .collect(),
    }
}

fn spec(yaml: &str) -> Spec {
    let text = format!(
        "version: 1\norganization:\n  regions: [us-east-1, eu-west-1]\n  exclude_accounts: []\n{yaml}"
    );
    match serde_yaml::from_str(&text) {
        Ok(s) => s,
        Err(e) => panic!("test spec does not parse: {e}\n{text}"),
    }
}

fn account_trail(targets: &str) -> Spec {
    spec(&format!(
        "trails:\n  acct:\n    scope: account\n    regions: [us-east-1]\n    s3_bucket: b\n    targets:\n{targets}"
    ))
}

fn targeted(res: &Resolution) -> Vec<(&str, &str)> {
    res.targets
        .iter()
        .map(|t| (t.account_id.as_str(), t.region.as_str()))
        .collect()
}

#[test]
fn organization_trail_targets_management_account_in_home_region() {
    let s = spec(
        "trails:\n  org:\n    scope: organization\n    home_region: eu-west-1\n    s3_bucket: b\n",
    );
    let res = resolve(&s, &org(), &Narrowing::none());
    assert_eq!(targeted(&res), vec![(MGMT, "eu-west-1")]);
    assert_eq!(res.targets[0].scope, Scope::Organization);
    assert_eq!(res.targets[0].account_name, "management");
    assert!(res.errors.is_empty());
}

#[test]
fn ou_path_includes_nested_ous() {
    let res = resolve(
        &account_trail("      organizational_units: [Workloads/Prod]\n"),
        &org(),
        &Narrowing::none(),
    );
    assert_eq!(
        targeted(&res),
        vec![
            ("222222222222", "us-east-1"),
            ("222222222223", "us-east-1"),
            ("222222222224", "us-east-1")
        ]
    );
}

#[test]
fn ou_id_includes_nested_ous() {
    let res = resolve(
        &account_trail("      organizational_units: [ou-w]\n"),
        &org(),
        &Narrowing::none(),
    );
    assert_eq!(res.targets.len(), 4);
    assert!(res.targets.iter().all(|t| t.account_id != MGMT));
}

#[test]
fn account_ids_and_trail_exclusions() {
    let res = resolve(
        &account_trail(
            "      accounts: [\"333333333333\"]\n      organizational_units: [\"/Workloads/Prod/\"]\n      exclude_accounts: [\"222222222223\"]\n",
        ),
        &org(),
        &Narrowing::none(),
    );
    assert_eq!(
        targeted(&res),
        vec![
            ("222222222222", "us-east-1"),
            ("222222222224", "us-east-1"),
            ("333333333333", "us-east-1")
        ]
    );
    assert!(res.excluded.contains(&Exclusion {
        account_id: "222222222223".into(),
        trail: Some("acct".into()),
        reason: ExclusionReason::TrailExcluded,
    }));
}

#[test]
fn account_tags_must_all_match() {
    let res = resolve(
        &account_trail("      account_tags: { environment: prod }\n"),
        &org(),
        &Narrowing::none(),
    );
    // The management account carries the tag but is not included by default.
    assert_eq!(
        targeted(&res),
        vec![("222222222222", "us-east-1"), ("222222222224", "us-east-1")]
    );
    assert!(res.excluded.contains(&Exclusion {
        account_id: MGMT.into(),
        trail: Some("acct".into()),
        reason: ExclusionReason::ManagementAccount,
    }));
    assert!(res.excluded.contains(&Exclusion {
        account_id: "333333333333".into(),
        trail: Some("acct".into()),
        reason: ExclusionReason::NotMatched,
    }));
}

#[test]
fn include_management_account() {
    let res = resolve(
        &account_trail(
            "      account_tags: { environment: prod }\n      include_management_account: true\n",
        ),
        &org(),
        &Narrowing::none(),
    );
    assert_eq!(targeted(&res)[0], (MGMT, "us-east-1"));
    assert_eq!(res.targets.len(), 3);
}

#[test]
fn multi_region_account_trail_is_one_per_account_in_home_region() {
    let s = spec(
        "trails:\n  mr:\n    scope: account\n    multi_region: true\n    home_region: ap-southeast-2\n    s3_bucket: b\n    targets:\n      accounts: [\"333333333333\"]\n",
    );
    let res = resolve(&s, &org(), &Narrowing::none());
    assert_eq!(targeted(&res), vec![("333333333333", "ap-southeast-2")]);
    let regions: Vec<&str> = res.read_regions["333333333333"]
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(regions, vec!["ap-southeast-2", "eu-west-1", "us-east-1"]);
}

#[test]
fn single_region_trail_in_each_listed_region() {
    let s = spec(
        "trails:\n  sr:\n    scope: account\n    regions: [us-east-1, eu-west-1]\n    s3_bucket: b\n    targets:\n      accounts: [\"333333333333\"]\n",
    );
    let res = resolve(&s, &org(), &Narrowing::none());
    assert_eq!(
        targeted(&res),
        vec![("333333333333", "eu-west-1"), ("333333333333", "us-east-1")]
    );
}

#[test]
fn organization_exclusions_and_suspended_accounts_are_not_read() {
    let mut s = account_trail("      organizational_units: [Workloads]\n");
    s.organization.exclude_accounts = vec!["333333333333".into()];
    let res = resolve(&s, &org(), &Narrowing::none());
    assert!(!res.read_regions.contains_key("333333333333"));
    assert!(!res.read_regions.contains_key("999999999999"));
    assert!(res.excluded.contains(&Exclusion {
        account_id: "333333333333".into(),
        trail: None,
        reason: ExclusionReason::OrganizationExcluded,
    }));
    assert!(res.excluded.contains(&Exclusion {
        account_id: "999999999999".into(),
        trail: None,
        reason: ExclusionReason::Suspended,
    }));
    // Untargeted but active accounts are still read in organization.regions.
    assert!(res.read_regions.contains_key(MGMT));
}

#[test]
fn suspended_accounts_are_targeted_when_not_skipped() {
    let mut s = account_trail("      accounts: [\"999999999999\"]\n");
    s.organization.skip_suspended = false;
    let res = resolve(&s, &org(), &Narrowing::none());
    assert_eq!(targeted(&res), vec![("999999999999", "us-east-1")]);
}

#[test]
fn narrowing_limits_accounts_and_regions() {
    let s = spec(
        "trails:\n  sr:\n    scope: account\n    regions: [us-east-1, eu-west-1]\n    s3_bucket: b\n    targets:\n      organizational_units: [Workloads]\n",
    );
    let narrow = Narrowing {
        accounts: Some(["222222222222".to_owned()].into()),
        regions: Some(["eu-west-1".to_owned()].into()),
    };
    let res = resolve(&s, &org(), &narrow);
    assert_eq!(targeted(&res), vec![("222222222222", "eu-west-1")]);
    assert_eq!(res.read_regions.len(), 1);
    assert!(res
        .excluded
        .iter()
        .any(|e| e.reason == ExclusionReason::NarrowedOut));
}

#[test]
fn unknown_ous_and_accounts_are_errors_with_field_paths() {
    let res = resolve(
        &account_trail(
            "      organizational_units: [Sandbox, Workloads/Nope, ou-missing]\n      accounts: [\"444444444444\"]\n",
        ),
        &org(),
        &Narrowing::none(),
    );
    let paths: Vec<&str> = res.errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "trails.acct.targets.organizational_units[1]",
            "trails.acct.targets.organizational_units[2]",
            "trails.acct.targets.accounts[0]",
        ]
    );
    // The empty OU exists: naming it is fine, it just targets nobody.
}
