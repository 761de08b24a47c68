//! Parsing and validation never panic: random bytes, and random YAML documents shaped
//! like specs (spec keys, nested maps and lists, odd scalars).

use proptest::prelude::*;
use trailform::spec::{check_str, parse_str, validate};

const KEYS: &[&str] = &[
    "version",
    "organization",
    "trails",
    "unmanaged_trails",
    "scope",
    "targets",
    "regions",
    "home_region",
    "multi_region",
    "s3_bucket",
    "kms_key_id",
    "sns_topic",
    "cloudwatch_logs",
    "log_group_arn",
    "role_arn",
    "management_events",
    "read_write",
    "exclude_sources",
    "data_events",
    "resource_type",
    "arn_starts_with",
    "advanced_event_selectors",
    "field_selectors",
    "field",
    "equals",
    "starts_with",
    "event_selectors",
    "data_resources",
    "type",
    "values",
    "insights",
    "tags",
    "accounts",
    "organizational_units",
    "member_role",
    "org-audit",
    "a",
    "1",
];

const SCALARS: &[&str] = &[
    "1",
    "2",
    "true",
    "no",
    "null",
    "~",
    "organization",
    "account",
    "us-east-1",
    "\"{account_id}\"",
    "\"{x\"",
    "\"111111111111\"",
    "AWS::S3::Object",
    "eventCategory",
    "[Data]",
    "alias/x",
    "\"*\"",
    "-1",
    "1e400",
    "\"\"",
    "!tag x",
    "&a x",
    "*a",
    "\"a: b\"",
];

fn yaml_value() -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(SCALARS).prop_map(str::to_owned);
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec((prop::sample::select(KEYS), inner.clone()), 0..6).prop_map(
                |entries| {
                    let body: Vec<String> = entries
                        .into_iter()
                        .map(|(k, v)| format!("{k}: {v}"))
                        .collect();
                    format!("{{{}}}", body.join(", "))
                }
            ),
            prop::collection::vec(inner, 0..6).prop_map(|items| format!("[{}]", items.join(", "))),
        ]
    })
}

fn spec_document() -> impl Strategy<Value = String> {
    prop::collection::vec((prop::sample::select(KEYS), yaml_value()), 0..6).prop_map(|entries| {
        entries
            .into_iter()
            .map(|(k, v)| format!("{k}: {v}\n"))
            .collect::<String>()
    })
}

fn run(source: &str) {
    let checked = check_str(source, "p.yaml");
    for d in &checked.diagnostics {
        assert!(d.line >= 1 && d.column >= 1, "{d}");
    }
    if let Ok(spec) = parse_str(source, "p.yaml") {
        let _ = validate(&spec);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        run(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn random_spec_shaped_yaml_never_panics(doc in spec_document()) {
        run(&doc);
    }

    #[test]
    fn random_trails_never_panic(trail in yaml_value(), name in "[a-z0-9._ -]{0,12}") {
        run(&format!("version: 1\ntrails:\n  \"{name}\": {trail}\n"));
    }
}
