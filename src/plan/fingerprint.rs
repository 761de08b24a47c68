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
    hex(&Sha256::digest(bytes))
}

fn hex(digest: &[u8]) -> String {
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

/// Feeds serialized bytes straight into the hash (no intermediate JSON value: the diff
/// fingerprints every target, 170,000 of them at 10,000 accounts × 17 regions).
struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Hashes a view whose serialization is already canonical: structs serialize in
/// declaration order and every map in these types is a `BTreeMap`.
fn hash_view(view: &ReadView<'_>) -> String {
    let mut writer = HashWriter(Sha256::new());
    if let Err(e) = serde_json::to_writer(&mut writer, view) {
        // Only non-string map keys fail; none of these types has them. Stay
        // deterministic rather than panic.
        writer.0.update(format!("unserializable: {e}").as_bytes());
    }
    hex(&writer.0.finalize())
}

/// `sha256:<hex>` of what was read for one (account, region, trail): `None` when the
/// trail was absent. Apply re-reads the target and compares.
#[must_use]
pub fn live_fingerprint(trail: Option<&LiveTrail>) -> String {
    match trail {
        None => hash_view(&ReadView::Absent),
        Some(t) => match normalize::live(t) {
            Ok(c) => hash_view(&ReadView::Read { trail: &c }),
            Err(_) => hash_view(&ReadView::ReadWithoutDetails { trail: t }),
        },
    }
}

/// [`live_fingerprint`] of a trail already normalized (`None`: absent); equal to
/// `live_fingerprint(Some(t))` when `canonical == normalize::live(t)`.
#[must_use]
pub fn canonical_fingerprint(canonical: Option<&CanonicalTrail>) -> String {
    match canonical {
        None => hash_view(&ReadView::Absent),
        Some(c) => hash_view(&ReadView::Read { trail: c }),
    }
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
                selectors: LiveSelectors::None.into(),
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
    fn canonical_fingerprint_agrees_with_live_fingerprint() {
        let t = trail();
        let c = normalize::live(&t).unwrap();
        assert_eq!(canonical_fingerprint(Some(&c)), live_fingerprint(Some(&t)));
        assert_eq!(canonical_fingerprint(None), live_fingerprint(None));
    }

    #[test]
    fn volatile_status_and_equivalent_spellings_do_not_change_it() {
        let t = trail();
        let mut later = t.clone();
        if let Some(d) = later.details.as_mut() {
            d.status.latest_delivery_time = Some("2024-01-01T00:00:00Z".into());
            *std::sync::Arc::make_mut(&mut d.selectors) =
                LiveSelectors::Classic(vec![normalize::aws_default_classic_selector()]);
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
