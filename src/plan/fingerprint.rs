//! Fingerprints that let `apply PLAN` refuse a stale plan.
//!
//! Owns the exact bytes that are hashed. The spec fingerprint covers the spec's
//! canonical JSON (object keys sorted, so map order in the YAML does not matter). A
//! live fingerprint covers what was read for one (account, region, trail), in the
//! canonical form the plan was computed from, so that re-reading only that target
//! and hashing again says whether the plan still holds; volatile status fields
//! (latest delivery time and errors) are not part of it, "absent" is.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::live::LiveTrail;
use crate::normalize::{self, CanonicalTrail};
use crate::spec::Spec;

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for byte in digest {
        // Writing to a String cannot fail.
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Recursively sorts object keys.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sorted(v)))
                    .collect::<Map<String, Value>>(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// Canonical JSON of any serializable value: keys sorted, no whitespace.
fn canonical_json<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(v) => sorted(v).to_string(),
        // Only non-string map keys fail here; none of our types has them. Hash the
        // error text so the result stays deterministic rather than panicking.
        Err(e) => format!("unserializable: {e}"),
    }
}

/// `sha256:<hex>` of the spec's canonical JSON.
#[must_use]
pub fn spec_fingerprint(spec: &Spec) -> String {
    sha256_hex(canonical_json(spec).as_bytes())
}

#[derive(Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum ReadView<'a> {
    Absent,
    Read { trail: &'a CanonicalTrail },
    ReadWithoutDetails { trail: &'a LiveTrail },
}

/// `sha256:<hex>` of what was read for one (account, region, trail): `None` when the
/// trail was absent. Apply re-reads the target and compares.
#[must_use]
pub fn live_fingerprint(trail: Option<&LiveTrail>) -> String {
    let json = match trail {
        None => canonical_json(&ReadView::Absent),
        Some(t) => match normalize::live(t) {
            Ok(c) => canonical_json(&ReadView::Read { trail: &c }),
            Err(_) => canonical_json(&ReadView::ReadWithoutDetails { trail: t }),
        },
    };
    sha256_hex(json.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::{LiveSelectors, TrailDetails, TrailStatus};

    fn trail() -> LiveTrail {
        LiveTrail {
            account_id: "111111111111".into(),
            home_region: "us-east-1".into(),
            name: "t".into(),
            arn: "arn:aws:cloudtrail:us-east-1:111111111111:trail/t".into(),
            s3_bucket: Some("b".into()),
            s3_key_prefix: None,
            sns_topic_arn: None,
            kms_key_id: None,
            cloudwatch_logs_log_group_arn: None,
            cloudwatch_logs_role_arn: None,
            multi_region: true,
            organization_trail: false,
            global_service_events: true,
            log_file_validation: false,
            details: Some(TrailDetails {
                selectors: LiveSelectors::None,
                insights: vec![],
                status: TrailStatus {
                    is_logging: true,
                    ..TrailStatus::default()
                },
                tags: Default::default(),
            }),
        }
    }

    #[test]
    fn absent_present_and_changed_differ() {
        let t = trail();
        let absent = live_fingerprint(None);
        let present = live_fingerprint(Some(&t));
        assert_ne!(absent, present);
        assert!(present.starts_with("sha256:") && present.len() == 7 + 64);
        let mut changed = t.clone();
        changed.log_file_validation = true;
        assert_ne!(present, live_fingerprint(Some(&changed)));
    }

    #[test]
    fn volatile_status_and_equivalent_spellings_do_not_change_it() {
        let t = trail();
        let mut later = t.clone();
        if let Some(d) = later.details.as_mut() {
            d.status.latest_delivery_time = Some("2024-01-01T00:00:00Z".into());
            d.selectors = LiveSelectors::Classic(vec![normalize::aws_default_classic_selector()]);
        }
        assert_eq!(live_fingerprint(Some(&t)), live_fingerprint(Some(&later)));
    }

    #[test]
    fn spec_fingerprint_ignores_key_order_but_not_content() {
        let a: Spec = serde_yaml::from_str(
            "version: 1\ntrails:\n  a1x:\n    scope: account\n    s3_bucket: b\n    regions: [us-east-1]\n",
        )
        .unwrap();
        let b: Spec = serde_yaml::from_str(
            "version: 1\ntrails:\n  a1x:\n    regions: [us-east-1]\n    s3_bucket: b\n    scope: account\n",
        )
        .unwrap();
        let c: Spec = serde_yaml::from_str(
            "version: 1\ntrails:\n  a1x:\n    scope: account\n    s3_bucket: c\n    regions: [us-east-1]\n",
        )
        .unwrap();
        assert_eq!(spec_fingerprint(&a), spec_fingerprint(&b));
        assert_ne!(spec_fingerprint(&a), spec_fingerprint(&c));
    }
}
