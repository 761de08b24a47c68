//! Property tests of normalization and the diff: for random valid trail specs,
//! normalizing is idempotent, a trail converged by apply (as `simulate_apply` models AWS)
//! plans to zero changes, and equivalent spellings of live selectors never diff.

use std::collections::BTreeSet;

use indexmap::IndexMap;
use proptest::prelude::*;
use trailform::live::{LiveSelectors, LiveState, Organization};
use trailform::normalize::{self, CanonicalSelectors, DesiredContext};
use trailform::org::Target;
use trailform::plan::{diff, Action, DiffOptions};
use trailform::spec::{
    AdvancedEventSelector, AdvancedFieldSelector, CloudWatchLogs, DataEvent, DataResource,
    EventSelector, InsightType, ManagementEvents, OrganizationSpec, ReadWrite, ReadWriteType,
    Scope, Spec, TrailSpec, UnmanagedTrails,
};

const ACCOUNT: &str = "222222222222";
const REGION: &str = "eu-west-1";

fn values(pool: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
    proptest::sample::subsequence(pool, 0..=pool.len())
        .prop_map(|v| v.into_iter().map(str::to_owned).collect())
}

fn nonempty(pool: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
    proptest::sample::subsequence(pool, 1..=pool.len())
        .prop_map(|v| v.into_iter().map(str::to_owned).collect())
}

const S3_ARNS: &[&str] = &[
    "arn:aws:s3:::prod-",
    "arn:aws:s3:::logs/",
    "arn:aws:s3",
    "arn:aws:s3:::a/b",
];
const TYPES: &[&str] = &[
    "AWS::S3::Object",
    "AWS::Lambda::Function",
    "AWS::DynamoDB::Table",
];
const SOURCES: &[&str] = &["kms.amazonaws.com", "rdsdata.amazonaws.com"];
const NAMES: &[&str] = &["alpha", "beta", ""];

fn name() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(proptest::sample::select(NAMES).prop_map(str::to_owned))
}

fn data_event() -> impl Strategy<Value = DataEvent> {
    (
        name(),
        proptest::sample::select(TYPES),
        proptest::option::of(any::<bool>()),
        values(S3_ARNS),
        values(S3_ARNS),
    )
        .prop_map(|(name, t, read_only, starts, not_starts)| DataEvent {
            name,
            resource_type: t.to_owned(),
            read_only,
            arn_starts_with: starts,
            arn_not_starts_with: not_starts,
        })
}

fn field_selector() -> impl Strategy<Value = AdvancedFieldSelector> {
    prop_oneof![
        nonempty(&["Management", "Data"]).prop_map(|v| AdvancedFieldSelector {
            field: "eventCategory".into(),
            equals: v,
            ..Default::default()
        }),
        nonempty(&["true", "false"]).prop_map(|v| AdvancedFieldSelector {
            field: "readOnly".into(),
            equals: v,
            ..Default::default()
        }),
        nonempty(TYPES).prop_map(|v| AdvancedFieldSelector {
            field: "resources.type".into(),
            equals: v,
            ..Default::default()
        }),
        (values(S3_ARNS), values(S3_ARNS), values(S3_ARNS)).prop_map(|(s, n, e)| {
            AdvancedFieldSelector {
                field: "resources.ARN".into(),
                starts_with: s,
                not_starts_with: n,
                equals: e,
                ..Default::default()
            }
        }),
        (values(&["PutObject", "GetObject"]), values(&["Delete"])).prop_map(|(e, s)| {
            AdvancedFieldSelector {
                field: "eventName".into(),
                equals: e,
                not_starts_with: s,
                ..Default::default()
            }
        }),
        nonempty(SOURCES).prop_map(|v| AdvancedFieldSelector {
            field: "eventSource".into(),
            not_equals: v,
            ..Default::default()
        }),
    ]
}

fn advanced() -> impl Strategy<Value = AdvancedEventSelector> {
    (name(), proptest::collection::vec(field_selector(), 1..4)).prop_map(
        |(name, field_selectors)| AdvancedEventSelector {
            name,
            field_selectors,
        },
    )
}

fn classic() -> impl Strategy<Value = EventSelector> {
    let rw = prop_oneof![
        Just(ReadWriteType::All),
        Just(ReadWriteType::ReadOnly),
        Just(ReadWriteType::WriteOnly)
    ];
    let resource =
        (proptest::sample::select(TYPES), values(S3_ARNS)).prop_map(|(t, values)| DataResource {
            resource_type: t.to_owned(),
            values,
        });
    (
        rw,
        any::<bool>(),
        proptest::collection::vec(resource, 0..3),
        values(SOURCES),
    )
        .prop_map(
            |(read_write_type, include, data_resources, excluded)| EventSelector {
                read_write_type,
                include_management_events: include,
                data_resources,
                exclude_management_event_sources: excluded,
            },
        )
}

#[derive(Debug, Clone)]
enum Selectors {
    Omitted,
    Shorthand(Option<ManagementEvents>, Option<Vec<DataEvent>>),
    Advanced(Vec<AdvancedEventSelector>),
    Classic(Vec<EventSelector>),
}

fn selectors() -> impl Strategy<Value = Selectors> {
    let rw = prop_oneof![
        Just(ReadWrite::All),
        Just(ReadWrite::ReadOnly),
        Just(ReadWrite::WriteOnly),
        Just(ReadWrite::None)
    ];
    let management =
        (rw, values(SOURCES)).prop_map(|(read_write, exclude_sources)| ManagementEvents {
            read_write,
            exclude_sources,
        });
    prop_oneof![
        Just(Selectors::Omitted),
        (
            proptest::option::of(management),
            proptest::option::of(proptest::collection::vec(data_event(), 0..3))
        )
            .prop_map(|(m, d)| Selectors::Shorthand(m, d)),
        proptest::collection::vec(advanced(), 1..4).prop_map(Selectors::Advanced),
        proptest::collection::vec(classic(), 1..4).prop_map(Selectors::Classic),
    ]
}

prop_compose! {
    fn trail_spec()(
        scope in prop_oneof![Just(Scope::Account), Just(Scope::Organization)],
        regions in any::<bool>(),
        multi_region in proptest::option::of(any::<bool>()),
        prefix in proptest::option::of(proptest::sample::select(&["", "p", "{account_id}/{region}"][..])),
        kms in proptest::option::of(proptest::sample::select(&["", "k-1", "arn:aws:kms:eu-west-1:222222222222:key/k-1"][..])),
        sns in proptest::option::of(proptest::sample::select(&["", "topic", "arn:aws:sns:eu-west-1:222222222222:topic"][..])),
        logs in proptest::option::of(any::<bool>()),
        flags in (proptest::option::of(any::<bool>()), proptest::option::of(any::<bool>()), proptest::option::of(any::<bool>())),
        selectors in selectors(),
        insights in proptest::option::of(proptest::sample::subsequence(&[InsightType::ApiCallRate, InsightType::ApiErrorRate][..], 0..=2)),
        tags in proptest::option::of(proptest::collection::btree_map("[a-z]{1,3}", prop_oneof![Just("{account_name}".to_owned()), "[a-z0-9]{0,4}"], 0..3)),
    ) -> TrailSpec {
        let (global_service_events, log_file_validation, logging) = flags;
        let (management_events, data_events, advanced_event_selectors, event_selectors) = match selectors {
            Selectors::Omitted => (None, None, None, None),
            Selectors::Shorthand(m, d) => (m, d, None, None),
            Selectors::Advanced(a) => (None, None, Some(a), None),
            Selectors::Classic(c) => (None, None, None, Some(c)),
        };
        TrailSpec {
            scope,
            targets: None,
            regions: regions.then(|| vec![REGION.to_owned()]),
            home_region: None,
            multi_region,
            s3_bucket: "logs-{account_id}".into(),
            s3_key_prefix: prefix.map(str::to_owned),
            kms_key_id: kms.map(str::to_owned),
            sns_topic: sns.map(str::to_owned),
            cloudwatch_logs: logs.map(|star| CloudWatchLogs {
                log_group_arn: format!("arn:aws:logs:eu-west-1:222222222222:log-group:g{}", if star { ":*" } else { "" }),
                role_arn: "arn:aws:iam::222222222222:role/cw".into(),
            }),
            global_service_events,
            log_file_validation,
            logging,
            management_events,
            data_events,
            advanced_event_selectors,
            event_selectors,
            insights,
            tags,
        }
    }
}

fn target() -> Target {
    Target {
        trail: "main".into(),
        scope: Scope::Account,
        account_id: ACCOUNT.into(),
        account_name: "prod".into(),
        region: REGION.into(),
    }
}

fn spec_of(trail: TrailSpec) -> Spec {
    Spec {
        version: 1,
        organization: OrganizationSpec::default(),
        unmanaged_trails: UnmanagedTrails::Report,
        trails: IndexMap::from([("main".to_owned(), trail)]),
    }
}

fn live_state(trail: trailform::live::LiveTrail) -> LiveState {
    LiveState {
        org: Organization::default(),
        read: BTreeSet::from([(ACCOUNT.to_owned(), REGION.to_owned())]),
        trails: vec![trail],
        failures: vec![],
    }
}

/// Reverses every list in the selectors: a different spelling of the same thing.
fn reversed(selectors: &LiveSelectors) -> LiveSelectors {
    match selectors {
        LiveSelectors::None => LiveSelectors::None,
        LiveSelectors::Classic(s) => LiveSelectors::Classic(
            s.iter()
                .rev()
                .map(|e| {
                    let mut e = e.clone();
                    e.data_resources.reverse();
                    e.exclude_management_event_sources.reverse();
                    for r in &mut e.data_resources {
                        r.values.reverse();
                    }
                    e
                })
                .collect(),
        ),
        LiveSelectors::Advanced(s) => {
            let mut out: Vec<AdvancedEventSelector> = s
                .iter()
                .rev()
                .map(|a| {
                    let mut a = a.clone();
                    a.field_selectors.reverse();
                    for f in &mut a.field_selectors {
                        f.equals.reverse();
                        f.starts_with.reverse();
                        f.not_starts_with.reverse();
                        f.not_equals.reverse();
                    }
                    a
                })
                .collect();
            // A duplicated selector means nothing more.
            if let Some(first) = out.first().cloned() {
                out.push(first);
            }
            LiveSelectors::Advanced(out)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn normalizing_is_idempotent(trail in trail_spec()) {
        let spec = spec_of(trail);
        let desired = normalize::desired(&spec, &target(), &DesiredContext::default()).unwrap();
        // Canonical selectors survive a round trip through the API's shape.
        prop_assert_eq!(&CanonicalSelectors::from_advanced(&desired.selectors.to_advanced()), &desired.selectors);
        // Live normalization of what apply leaves is a fixed point.
        let once = normalize::live(&normalize::simulate_apply(&desired)).unwrap();
        let twice = normalize::live(&normalize::simulate_apply(&once)).unwrap();
        prop_assert_eq!(once, twice);
    }

    #[test]
    fn applying_a_spec_converges_to_an_empty_plan(trail in trail_spec()) {
        let spec = spec_of(trail);
        let desired = normalize::desired(&spec, &target(), &DesiredContext::default()).unwrap();
        let live = live_state(normalize::simulate_apply(&desired));
        let plan = diff(&spec, &[target()], &live, &DiffOptions::default());
        prop_assert_eq!(plan.targets.len(), 1);
        prop_assert_eq!(plan.targets[0].action, Action::NoOp, "{:#?}", plan.targets[0]);
        prop_assert!(!plan.has_changes());
    }

    #[test]
    fn equivalent_live_spellings_never_diff(trail in trail_spec()) {
        let spec = spec_of(trail);
        let desired = normalize::desired(&spec, &target(), &DesiredContext::default()).unwrap();
        let mut applied = normalize::simulate_apply(&desired);
        if let Some(details) = applied.details.as_mut() {
            details.selectors = reversed(&details.selectors).into();
        }
        let plan = diff(&spec, &[target()], &live_state(applied.clone()), &DiffOptions::default());
        prop_assert!(!plan.has_changes(), "{:#?}", plan.targets[0].changes);

        // When only management events are wanted, every spelling of the AWS default
        // (the classic default selector, an empty answer, the bare advanced selector)
        // plans nothing.
        if desired.selectors.satisfied_by(&CanonicalSelectors::aws_default()) {
            for spelling in [
                LiveSelectors::None,
                LiveSelectors::Classic(vec![normalize::aws_default_classic_selector()]),
                LiveSelectors::Advanced(CanonicalSelectors::aws_default().to_advanced()),
            ] {
                let mut live = applied.clone();
                if let Some(details) = live.details.as_mut() {
                    details.selectors = spelling.into();
                }
                let plan = diff(&spec, &[target()], &live_state(live), &DiffOptions::default());
                prop_assert!(!plan.has_changes());
            }
        }
    }

    #[test]
    fn any_real_difference_is_planned(trail in trail_spec(), flip in 0usize..4) {
        let spec = spec_of(trail);
        let desired = normalize::desired(&spec, &target(), &DesiredContext::default()).unwrap();
        let mut live = normalize::simulate_apply(&desired);
        match flip {
            0 => live.log_file_validation = !live.log_file_validation,
            1 => live.s3_bucket = Some("elsewhere".into()),
            2 => if let Some(d) = live.details.as_mut() { d.status.is_logging = !d.status.is_logging },
            _ => if let Some(d) = live.details.as_mut() { d.tags.insert("zz-extra".into(), "1".into()); },
        }
        let plan = diff(&spec, &[target()], &live_state(live), &DiffOptions::default());
        prop_assert_eq!(plan.targets[0].action, Action::Update);
    }
}
