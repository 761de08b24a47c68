//! One canonical form for desired (spec) and live (AWS) trails, so that a converged
//! organization plans to zero changes, always.
//!
//! This module owns every rule that decides whether two spellings of a trail mean the
//! same thing: AWS defaults, ARN vs name identities, selector order, the classic ↔
//! advanced selector mapping, and how selector names are treated. It also owns the
//! compilation of the spec's selector shorthand into the exact selectors `apply` puts,
//! and [`simulate_apply`], the model of what AWS stores after an apply that the
//! property tests (and later apply's tests) check against. It is pure: no I/O, no
//! SDK types, no knowledge of plans.
//!
//! # Selectors compare by meaning
//! Both sides become a list of [`CanonicalSelector`]s in the advanced form: every
//! operator's values sorted and deduplicated, field selectors sorted, selectors sorted
//! and deduplicated. Classic selectors are converted to their advanced equivalent
//! (CloudTrail API reference, `DataResource` and `AdvancedFieldSelector`):
//! - `IncludeManagementEvents: true` → `eventCategory = Management`, plus
//!   `eventSource not_equals` the excluded sources;
//! - `ReadWriteType: ReadOnly | WriteOnly` → `readOnly = true | false` on every selector
//!   the classic selector produces (`All` → no `readOnly` condition);
//! - each data resource → `eventCategory = Data`, `resources.type = <type>`, and
//!   `resources.ARN starts_with <values>` for `AWS::S3::Object` (object prefixes) or
//!   `resources.ARN equals <values>` for other types (function and table ARNs are exact);
//!   a value naming a whole service (`arn:aws:s3`, `arn:aws:s3:::`, `arn:aws:lambda`)
//!   means "all resources of that type" and becomes no ARN condition.
//!
//! "All management events, no data events" has three live spellings that all
//! canonicalize to `[eventCategory = Management]`: the default classic selector, an
//! empty GetEventSelectors answer ([`LiveSelectors::None`], moto), and that advanced
//! selector itself. A `readOnly` condition listing both `true` and `false` is dropped
//! (it filters nothing); so is a `resources.ARN starts_with` that lists a whole service.
//!
//! # Selector names
//! A desired selector name is a requirement, a live name is a fact. Only names the user
//! wrote (in `advanced_event_selectors` or `data_events[].name`) are kept in the desired
//! canonical form; the name trailform gives the compiled management selector
//! ("Management events") is not, so a live trail logging all management events under any
//! name (or none: classic, empty answer) never diffs. A named desired selector is
//! satisfied only by a live selector with the same meaning *and* the same name; since
//! `apply` puts exactly the desired names, a name-only difference is one real change that
//! one apply fixes (see the tests `name_only_difference_*`), never a perpetual diff.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::live::{LiveSelectors, LiveTrail, TrailDetails, TrailStatus};
use crate::org::Target;
use crate::spec::{
    limits, AdvancedEventSelector, AdvancedFieldSelector, EventSelector, ReadWrite, ReadWriteType,
    Scope, TrailSpec,
};

/// Name trailform gives the management-events selector it compiles from the shorthand.
pub const MANAGEMENT_SELECTOR_NAME: &str = "Management events";

/// Errors of normalization.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NormalizeError {
    /// A managed trail was read without its selectors, insights, status and tags.
    #[error("trail {arn} was read without its details (selectors, insights, status, tags)")]
    DetailsMissing {
        /// The trail's ARN.
        arn: String,
    },
}

/// What desired-state normalization needs besides the spec and the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredContext {
    /// ARN partition, `aws` (or `aws-cn`, `aws-us-gov`).
    pub partition: String,
    /// KMS alias ARN (`arn:aws:kms:<region>:<account>:alias/<name>`) → key ARN, for
    /// aliases the reader resolved. An alias not in this map stays an alias ARN and the
    /// plan does not compare the KMS key of that trail (it warns instead).
    pub kms_aliases: BTreeMap<String, String>,
}

impl Default for DesiredContext {
    fn default() -> Self {
        Self {
            partition: "aws".to_owned(),
            kms_aliases: BTreeMap::new(),
        }
    }
}

/// CloudWatch Logs delivery in canonical form.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub struct CanonicalCloudWatchLogs {
    /// Log group ARN without the trailing `:*`.
    pub log_group_arn: String,
    /// Role ARN.
    pub role_arn: String,
}

/// One condition of a canonical advanced selector: values sorted and deduplicated.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub struct CanonicalField {
    /// Field name.
    pub field: String,
    /// Equals.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub equals: BTreeSet<String>,
    /// Starts with.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub starts_with: BTreeSet<String>,
    /// Ends with.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub ends_with: BTreeSet<String>,
    /// Not equals.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub not_equals: BTreeSet<String>,
    /// Not starts with.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub not_starts_with: BTreeSet<String>,
    /// Not ends with.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub not_ends_with: BTreeSet<String>,
}

impl CanonicalField {
    fn is_empty(&self) -> bool {
        self.equals.is_empty()
            && self.starts_with.is_empty()
            && self.ends_with.is_empty()
            && self.not_equals.is_empty()
            && self.not_starts_with.is_empty()
            && self.not_ends_with.is_empty()
    }

    fn equals(field: &str, values: &[&str]) -> Self {
        Self {
            field: field.to_owned(),
            equals: values.iter().map(|v| (*v).to_owned()).collect(),
            ..Self::default()
        }
    }
}

/// A canonical advanced selector. Ordered by meaning first, then name.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub struct CanonicalSelector {
    /// Conditions, sorted and deduplicated.
    pub fields: BTreeSet<CanonicalField>,
    /// Name: on the desired side only a name the user wrote; on the live side the
    /// name AWS stored (classic selectors have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A trail's selectors in canonical form: sorted and deduplicated.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct CanonicalSelectors(pub Vec<CanonicalSelector>);

impl CanonicalSelectors {
    /// All management events, no data events: the AWS default.
    #[must_use]
    pub fn aws_default() -> Self {
        Self(vec![CanonicalSelector {
            fields: BTreeSet::from([CanonicalField::equals("eventCategory", &["Management"])]),
            name: None,
        }])
    }

    fn from_selectors(selectors: impl IntoIterator<Item = CanonicalSelector>) -> Self {
        let set: BTreeSet<CanonicalSelector> = selectors.into_iter().collect();
        Self(set.into_iter().collect())
    }

    /// Canonicalizes advanced selectors as given (names kept).
    #[must_use]
    pub fn from_advanced(selectors: &[AdvancedEventSelector]) -> Self {
        Self::from_selectors(selectors.iter().map(canonical_advanced))
    }

    /// Canonicalizes classic selectors (their advanced equivalent, no names).
    #[must_use]
    pub fn from_classic(selectors: &[EventSelector]) -> Self {
        Self::from_selectors(selectors.iter().flat_map(classic_to_canonical))
    }

    /// What is logged, names ignored.
    #[must_use]
    pub fn meaning(&self) -> BTreeSet<&BTreeSet<CanonicalField>> {
        self.0.iter().map(|s| &s.fields).collect()
    }

    /// Whether these (desired) selectors are satisfied by `live`: same meaning, and
    /// every desired selector that has a name is matched by a live selector with the
    /// same meaning and name. Live names never cause a difference on their own.
    #[must_use]
    pub fn satisfied_by(&self, live: &Self) -> bool {
        if self.meaning() != live.meaning() {
            return false;
        }
        let live_named: BTreeSet<(&BTreeSet<CanonicalField>, &str)> = live
            .0
            .iter()
            .filter_map(|s| s.name.as_deref().map(|n| (&s.fields, n)))
            .collect();
        self.0.iter().all(|s| match s.name.as_deref() {
            Some(name) => live_named.contains(&(&s.fields, name)),
            None => true,
        })
    }

    /// Whether these selectors log management events at all.
    #[must_use]
    pub fn logs_management_events(&self) -> bool {
        self.0.iter().any(|s| {
            s.fields
                .iter()
                .any(|f| f.field == "eventCategory" && f.equals.contains("Management"))
        })
    }

    /// Back to the API's advanced shape (what `simulate_apply` says AWS stores).
    #[must_use]
    pub fn to_advanced(&self) -> Vec<AdvancedEventSelector> {
        self.0
            .iter()
            .map(|s| AdvancedEventSelector {
                name: s.name.clone(),
                field_selectors: s
                    .fields
                    .iter()
                    .map(|f| AdvancedFieldSelector {
                        field: f.field.clone(),
                        equals: f.equals.iter().cloned().collect(),
                        starts_with: f.starts_with.iter().cloned().collect(),
                        ends_with: f.ends_with.iter().cloned().collect(),
                        not_equals: f.not_equals.iter().cloned().collect(),
                        not_starts_with: f.not_starts_with.iter().cloned().collect(),
                        not_ends_with: f.not_ends_with.iter().cloned().collect(),
                    })
                    .collect(),
            })
            .collect()
    }
}

/// The selectors `apply` puts with PutEventSelectors: exactly one of the API's forms.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DesiredSelectors {
    /// `EventSelectors`.
    Classic(Vec<EventSelector>),
    /// `AdvancedEventSelectors`.
    Advanced(Vec<AdvancedEventSelector>),
}

/// A trail in canonical form, desired or live. `==` is exact canonical equality; the
/// plan decides convergence attribute by attribute with [`differences`], which applies
/// the selector-name rule of the module docs.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub struct CanonicalTrail {
    /// Trail name.
    pub name: String,
    /// Owning account.
    pub account_id: String,
    /// Home region.
    pub home_region: String,
    /// Trail ARN (computed for a desired trail: `arn:<p>:cloudtrail:<region>:<account>:trail/<name>`).
    pub arn: String,
    /// Organization trail.
    pub organization_trail: bool,
    /// Logs every region.
    pub multi_region: bool,
    /// Includes global service events.
    pub global_service_events: bool,
    /// Log file validation.
    pub log_file_validation: bool,
    /// Destination bucket.
    pub s3_bucket: String,
    /// Key prefix; `None` for none (an empty prefix is none).
    pub s3_key_prefix: Option<String>,
    /// SNS topic ARN.
    pub sns_topic: Option<String>,
    /// KMS key ARN (an alias ARN when the alias could not be resolved).
    pub kms_key_id: Option<String>,
    /// CloudWatch Logs delivery.
    pub cloudwatch_logs: Option<CanonicalCloudWatchLogs>,
    /// Logging on.
    pub logging: bool,
    /// Event selectors.
    pub selectors: CanonicalSelectors,
    /// Insight types in the API's spelling, sorted.
    pub insights: BTreeSet<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// The attributes CreateTrail and UpdateTrail set.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub struct TrailConfig {
    /// Trail name.
    pub name: String,
    /// Destination bucket.
    pub s3_bucket: String,
    /// Key prefix (`None`: none).
    pub s3_key_prefix: Option<String>,
    /// SNS topic ARN.
    pub sns_topic: Option<String>,
    /// KMS key ARN.
    pub kms_key_id: Option<String>,
    /// CloudWatch Logs delivery.
    pub cloudwatch_logs: Option<CanonicalCloudWatchLogs>,
    /// Logs every region.
    pub multi_region: bool,
    /// Includes global service events.
    pub global_service_events: bool,
    /// Log file validation.
    pub log_file_validation: bool,
    /// Organization trail.
    pub organization_trail: bool,
}

impl From<&CanonicalTrail> for TrailConfig {
    fn from(t: &CanonicalTrail) -> Self {
        Self {
            name: t.name.clone(),
            s3_bucket: t.s3_bucket.clone(),
            s3_key_prefix: t.s3_key_prefix.clone(),
            sns_topic: t.sns_topic.clone(),
            kms_key_id: t.kms_key_id.clone(),
            cloudwatch_logs: t.cloudwatch_logs.clone(),
            multi_region: t.multi_region,
            global_service_events: t.global_service_events,
            log_file_validation: t.log_file_validation,
            organization_trail: t.organization_trail,
        }
    }
}

/// One attribute that differs: its name and canonical values, rendered as text.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub struct AttributeDiff {
    /// Attribute name as in the spec (`s3_key_prefix`, `cloudwatch_logs.role_arn`, ...).
    pub attribute: String,
    /// Live value (`None`: unset).
    pub before: Option<String>,
    /// Desired value (`None`: unset).
    pub after: Option<String>,
}

/// The differences between a desired and a live trail, grouped by the API call that
/// fixes them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Differences {
    /// UpdateTrail attributes.
    pub attributes: Vec<AttributeDiff>,
    /// Selectors differ (PutEventSelectors).
    pub selectors: bool,
    /// Insights differ (PutInsightSelectors).
    pub insights: bool,
    /// Tags to add or overwrite (AddTags).
    pub tags_to_add: BTreeMap<String, String>,
    /// Tag keys to remove (RemoveTags).
    pub tags_to_remove: BTreeSet<String>,
    /// Logging differs (StartLogging / StopLogging).
    pub logging: bool,
}

impl Differences {
    /// True when the trails have converged.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.attributes.is_empty()
            && !self.selectors
            && !self.insights
            && self.tags_to_add.is_empty()
            && self.tags_to_remove.is_empty()
            && !self.logging
    }
}

/// Whether a canonical KMS value is an alias that could not be resolved to a key ARN
/// (the plan skips comparing it and warns).
#[must_use]
pub fn is_unresolved_kms_alias(kms: &str) -> bool {
    kms.contains(":alias/")
}

/// Compares a desired and a live trail attribute by attribute. Identity (name,
/// account, home region) is the caller's business: it matched them.
#[must_use]
pub fn differences(desired: &CanonicalTrail, live: &CanonicalTrail) -> Differences {
    // Compared by reference; strings are made only for what differs (this runs once
    // per target, 170,000 times for 10,000 accounts x 17 regions).
    let mut attributes = Vec::new();
    let mut attr = |name: &str, before: Option<&str>, after: Option<&str>| {
        if before != after {
            attributes.push(AttributeDiff {
                attribute: name.to_owned(),
                before: before.map(str::to_owned),
                after: after.map(str::to_owned),
            });
        }
    };
    let b = |v: bool| Some(if v { "true" } else { "false" });
    attr(
        "s3_bucket",
        Some(live.s3_bucket.as_str()),
        Some(desired.s3_bucket.as_str()),
    );
    attr(
        "s3_key_prefix",
        live.s3_key_prefix.as_deref(),
        desired.s3_key_prefix.as_deref(),
    );
    attr(
        "sns_topic",
        live.sns_topic.as_deref(),
        desired.sns_topic.as_deref(),
    );
    let kms_comparable = !desired
        .kms_key_id
        .as_deref()
        .is_some_and(is_unresolved_kms_alias);
    if kms_comparable {
        attr(
            "kms_key_id",
            live.kms_key_id.as_deref(),
            desired.kms_key_id.as_deref(),
        );
    }
    attr(
        "cloudwatch_logs.log_group_arn",
        live.cloudwatch_logs
            .as_ref()
            .map(|c| c.log_group_arn.as_str()),
        desired
            .cloudwatch_logs
            .as_ref()
            .map(|c| c.log_group_arn.as_str()),
    );
    attr(
        "cloudwatch_logs.role_arn",
        live.cloudwatch_logs.as_ref().map(|c| c.role_arn.as_str()),
        desired
            .cloudwatch_logs
            .as_ref()
            .map(|c| c.role_arn.as_str()),
    );
    attr(
        "multi_region",
        b(live.multi_region),
        b(desired.multi_region),
    );
    attr(
        "global_service_events",
        b(live.global_service_events),
        b(desired.global_service_events),
    );
    attr(
        "log_file_validation",
        b(live.log_file_validation),
        b(desired.log_file_validation),
    );
    attr(
        "organization_trail",
        b(live.organization_trail),
        b(desired.organization_trail),
    );

    let tags_to_add = desired
        .tags
        .iter()
        .filter(|(k, v)| live.tags.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let tags_to_remove = live
        .tags
        .keys()
        .filter(|k| !desired.tags.contains_key(*k))
        .cloned()
        .collect();
    Differences {
        attributes,
        selectors: !desired.selectors.satisfied_by(&live.selectors),
        insights: desired.insights != live.insights,
        tags_to_add,
        tags_to_remove,
        logging: desired.logging != live.logging,
    }
}

/// Expands `{account_id}`, `{account_name}` and `{region}`; anything else is kept.
#[must_use]
pub fn expand_template(template: &str, target: &Target) -> String {
    if !template.contains('{') {
        return template.to_owned();
    }
    template
        .replace("{account_id}", &target.account_id)
        .replace("{account_name}", &target.account_name)
        .replace("{region}", &target.region)
}

/// The ARN of trail `name` in `account`/`region`.
#[must_use]
pub fn trail_arn(partition: &str, region: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:cloudtrail:{region}:{account}:trail/{name}")
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

/// An SNS topic name or ARN as a topic ARN.
#[must_use]
pub fn canonical_sns(value: &str, partition: &str, region: &str, account: &str) -> String {
    if value.starts_with("arn:") {
        value.to_owned()
    } else {
        format!("arn:{partition}:sns:{region}:{account}:{value}")
    }
}

/// A KMS key ARN, alias ARN, alias name or bare key id as an ARN; aliases are
/// resolved through `aliases` when known.
#[must_use]
pub fn canonical_kms(
    value: &str,
    partition: &str,
    region: &str,
    account: &str,
    aliases: &BTreeMap<String, String>,
) -> String {
    let arn = if value.starts_with("arn:") {
        value.to_owned()
    } else if value.starts_with("alias/") {
        format!("arn:{partition}:kms:{region}:{account}:{value}")
    } else {
        format!("arn:{partition}:kms:{region}:{account}:key/{value}")
    };
    match aliases.get(&arn) {
        Some(key) if is_unresolved_kms_alias(&arn) => key.clone(),
        _ => arn,
    }
}

/// A log group ARN without the trailing `:*` AWS reports.
#[must_use]
pub fn canonical_log_group(value: &str) -> String {
    value.strip_suffix(":*").unwrap_or(value).to_owned()
}

/// The partition of an ARN (`aws` when it is not an ARN).
fn partition_of(arn: &str) -> &str {
    arn.split(':')
        .nth(1)
        .filter(|p| !p.is_empty())
        .unwrap_or("aws")
}

/// Whether an ARN (prefix) names a whole service: `arn:aws:s3`, `arn:aws:s3:::`,
/// `arn:aws:lambda`, `arn:aws-cn:dynamodb:` ...
fn is_whole_service_arn(value: &str) -> bool {
    let Some(rest) = value.strip_prefix("arn:") else {
        return false;
    };
    let rest = rest.trim_end_matches(':');
    let mut parts = rest.split(':');
    let (Some(partition), Some(service), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !partition.is_empty() && !service.is_empty()
}

fn set(values: &[String]) -> BTreeSet<String> {
    values.iter().cloned().collect()
}

fn canonical_field(f: &AdvancedFieldSelector) -> Option<CanonicalField> {
    let mut c = CanonicalField {
        field: f.field.clone(),
        equals: set(&f.equals),
        starts_with: set(&f.starts_with),
        ends_with: set(&f.ends_with),
        not_equals: set(&f.not_equals),
        not_starts_with: set(&f.not_starts_with),
        not_ends_with: set(&f.not_ends_with),
    };
    if c.field == "readOnly" && c.equals.contains("true") && c.equals.contains("false") {
        c.equals.clear();
    }
    if c.field == "resources.ARN" && c.starts_with.iter().any(|v| is_whole_service_arn(v)) {
        c.starts_with.clear();
    }
    (!c.is_empty()).then_some(c)
}

fn canonical_advanced(s: &AdvancedEventSelector) -> CanonicalSelector {
    CanonicalSelector {
        fields: s
            .field_selectors
            .iter()
            .filter_map(canonical_field)
            .collect(),
        name: non_empty(s.name.as_deref()).map(str::to_owned),
    }
}

fn read_only_field(rw: ReadWriteType) -> Option<CanonicalField> {
    match rw {
        ReadWriteType::All => None,
        ReadWriteType::ReadOnly => Some(CanonicalField::equals("readOnly", &["true"])),
        ReadWriteType::WriteOnly => Some(CanonicalField::equals("readOnly", &["false"])),
    }
}

/// The advanced equivalent of one classic selector (module docs give the mapping).
fn classic_to_canonical(s: &EventSelector) -> Vec<CanonicalSelector> {
    let read_only = read_only_field(s.read_write_type);
    let mut out = Vec::new();
    if s.include_management_events {
        let mut fields = BTreeSet::from([CanonicalField::equals("eventCategory", &["Management"])]);
        fields.extend(read_only.clone());
        if !s.exclude_management_event_sources.is_empty() {
            fields.insert(CanonicalField {
                field: "eventSource".to_owned(),
                not_equals: set(&s.exclude_management_event_sources),
                ..CanonicalField::default()
            });
        }
        out.push(CanonicalSelector { fields, name: None });
    }
    for resource in &s.data_resources {
        let mut fields = BTreeSet::from([
            CanonicalField::equals("eventCategory", &["Data"]),
            CanonicalField::equals("resources.type", &[resource.resource_type.as_str()]),
        ]);
        fields.extend(read_only.clone());
        let all =
            resource.values.is_empty() || resource.values.iter().any(|v| is_whole_service_arn(v));
        if !all {
            let values = set(&resource.values);
            let arn = if resource.resource_type == "AWS::S3::Object" {
                CanonicalField {
                    field: "resources.ARN".to_owned(),
                    starts_with: values,
                    ..CanonicalField::default()
                }
            } else {
                CanonicalField {
                    field: "resources.ARN".to_owned(),
                    equals: values,
                    ..CanonicalField::default()
                }
            };
            fields.insert(arn);
        }
        out.push(CanonicalSelector { fields, name: None });
    }
    out
}

/// The classic selector that logs nothing: how "no management events, no data events"
/// is put (an empty advanced list is not accepted by the API).
#[must_use]
pub fn log_nothing_selector() -> EventSelector {
    EventSelector {
        read_write_type: ReadWriteType::All,
        include_management_events: false,
        data_resources: Vec::new(),
        exclude_management_event_sources: Vec::new(),
    }
}

/// The classic selector AWS gives a new trail: all management events, no data events.
#[must_use]
pub fn aws_default_classic_selector() -> EventSelector {
    EventSelector {
        read_write_type: ReadWriteType::All,
        include_management_events: true,
        data_resources: Vec::new(),
        exclude_management_event_sources: Vec::new(),
    }
}

fn field(name: &str, equals: Vec<String>) -> AdvancedFieldSelector {
    AdvancedFieldSelector {
        field: name.to_owned(),
        equals,
        ..AdvancedFieldSelector::default()
    }
}

/// Compiles the shorthand; each selector is paired with whether its name is the
/// user's (compared) or trailform's own (not compared).
fn compile_shorthand(trail: &TrailSpec) -> Vec<(AdvancedEventSelector, bool)> {
    let data_events = trail.data_events.as_deref().unwrap_or_default();
    let read_write = trail
        .management_events
        .as_ref()
        .map_or(ReadWrite::All, |m| m.read_write);
    let mut out = Vec::new();
    if read_write != ReadWrite::None {
        let mut fields = vec![field("eventCategory", vec!["Management".to_owned()])];
        match read_write {
            ReadWrite::ReadOnly => fields.push(field("readOnly", vec!["true".to_owned()])),
            ReadWrite::WriteOnly => fields.push(field("readOnly", vec!["false".to_owned()])),
            ReadWrite::All | ReadWrite::None => {}
        }
        let excluded = trail
            .management_events
            .as_ref()
            .map(|m| m.exclude_sources.clone())
            .unwrap_or_default();
        if !excluded.is_empty() {
            fields.push(AdvancedFieldSelector {
                field: "eventSource".to_owned(),
                not_equals: excluded,
                ..AdvancedFieldSelector::default()
            });
        }
        out.push((
            AdvancedEventSelector {
                name: Some(MANAGEMENT_SELECTOR_NAME.to_owned()),
                field_selectors: fields,
            },
            false,
        ));
    }
    for data in data_events {
        let mut fields = vec![
            field("eventCategory", vec!["Data".to_owned()]),
            field("resources.type", vec![data.resource_type.clone()]),
        ];
        if let Some(read_only) = data.read_only {
            fields.push(field("readOnly", vec![read_only.to_string()]));
        }
        if !data.arn_starts_with.is_empty() || !data.arn_not_starts_with.is_empty() {
            fields.push(AdvancedFieldSelector {
                field: "resources.ARN".to_owned(),
                starts_with: data.arn_starts_with.clone(),
                not_starts_with: data.arn_not_starts_with.clone(),
                ..AdvancedFieldSelector::default()
            });
        }
        out.push((
            AdvancedEventSelector {
                name: data.name.clone(),
                field_selectors: fields,
            },
            true,
        ));
    }
    out
}

/// The selectors `apply` puts for this trail spec: its classic or advanced selectors
/// as written, or the shorthand compiled to advanced selectors (no selector fields at
/// all = the AWS default, all management events). A shorthand that logs nothing
/// compiles to the classic "log nothing" selector.
#[must_use]
pub fn compile_selectors(trail: &TrailSpec) -> DesiredSelectors {
    if let Some(classic) = &trail.event_selectors {
        return DesiredSelectors::Classic(classic.clone());
    }
    if let Some(advanced) = &trail.advanced_event_selectors {
        return DesiredSelectors::Advanced(advanced.clone());
    }
    let compiled: Vec<AdvancedEventSelector> = compile_shorthand(trail)
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    if compiled.is_empty() {
        DesiredSelectors::Classic(vec![log_nothing_selector()])
    } else {
        DesiredSelectors::Advanced(compiled)
    }
}

/// The desired selectors of a trail spec in canonical form (user names only).
#[must_use]
pub fn desired_selectors(trail: &TrailSpec) -> CanonicalSelectors {
    if let Some(classic) = &trail.event_selectors {
        return CanonicalSelectors::from_classic(classic);
    }
    if let Some(advanced) = &trail.advanced_event_selectors {
        return CanonicalSelectors::from_advanced(advanced);
    }
    CanonicalSelectors::from_selectors(compile_shorthand(trail).into_iter().map(
        |(selector, user_named)| {
            let mut c = canonical_advanced(&selector);
            if !user_named {
                c.name = None;
            }
            c
        },
    ))
}

/// The desired canonical trail of spec trail `target.trail` in `target`'s account and
/// home region. `spec` must contain the trail (targets come from it); a missing trail
/// yields `None`.
#[must_use]
pub fn desired(
    spec: &crate::spec::Spec,
    target: &Target,
    ctx: &DesiredContext,
) -> Option<CanonicalTrail> {
    let trail = spec.trails.get(&target.trail)?;
    Some(desired_with_selectors(
        trail,
        target,
        ctx,
        desired_selectors(trail),
    ))
}

/// [`desired`] with the selectors already canonicalized (they do not depend on the
/// target, so the diff computes them once per spec trail).
#[must_use]
pub fn desired_with_selectors(
    trail: &TrailSpec,
    target: &Target,
    ctx: &DesiredContext,
    selectors: CanonicalSelectors,
) -> CanonicalTrail {
    let p = ctx.partition.as_str();
    let region = target.region.as_str();
    let account = target.account_id.as_str();
    CanonicalTrail {
        name: target.trail.clone(),
        account_id: target.account_id.clone(),
        home_region: target.region.clone(),
        arn: trail_arn(p, region, account, &target.trail),
        organization_trail: trail.scope == Scope::Organization,
        multi_region: trail.multi_region.unwrap_or(trail.regions.is_none()),
        global_service_events: trail.global_service_events.unwrap_or(true),
        log_file_validation: trail.log_file_validation.unwrap_or(false),
        s3_bucket: expand_template(&trail.s3_bucket, target),
        s3_key_prefix: non_empty(trail.s3_key_prefix.as_deref())
            .map(|t| expand_template(t, target)),
        sns_topic: non_empty(trail.sns_topic.as_deref())
            .map(|t| canonical_sns(&expand_template(t, target), p, region, account)),
        kms_key_id: non_empty(trail.kms_key_id.as_deref()).map(|k| {
            canonical_kms(
                &expand_template(k, target),
                p,
                region,
                account,
                &ctx.kms_aliases,
            )
        }),
        cloudwatch_logs: trail
            .cloudwatch_logs
            .as_ref()
            .map(|c| CanonicalCloudWatchLogs {
                log_group_arn: canonical_log_group(&expand_template(&c.log_group_arn, target)),
                role_arn: expand_template(&c.role_arn, target),
            }),
        logging: trail.logging.unwrap_or(true),
        selectors,
        insights: trail
            .insights
            .iter()
            .flatten()
            .map(|i| i.api_name().to_owned())
            .collect(),
        tags: trail
            .tags
            .iter()
            .flatten()
            .map(|(k, v)| (k.clone(), expand_template(v, target)))
            .collect(),
    }
}

/// The live selectors in canonical form. Empty answers (none, or empty lists) are the
/// AWS default.
#[must_use]
pub fn live_selectors(selectors: &LiveSelectors) -> CanonicalSelectors {
    match selectors {
        LiveSelectors::Classic(s) if !s.is_empty() => CanonicalSelectors::from_classic(s),
        LiveSelectors::Advanced(s) if !s.is_empty() => CanonicalSelectors::from_advanced(s),
        LiveSelectors::None | LiveSelectors::Classic(_) | LiveSelectors::Advanced(_) => {
            CanonicalSelectors::aws_default()
        }
    }
}

/// A live trail in canonical form. Its details (selectors, insights, status, tags)
/// must have been read.
///
/// # Errors
/// [`NormalizeError::DetailsMissing`] when they were not.
pub fn live(trail: &LiveTrail) -> Result<CanonicalTrail, NormalizeError> {
    let details = trail
        .details
        .as_ref()
        .ok_or_else(|| NormalizeError::DetailsMissing {
            arn: trail.arn.clone(),
        })?;
    let p = partition_of(&trail.arn);
    let region = trail.home_region.as_str();
    let account = trail.account_id.as_str();
    let no_aliases = BTreeMap::new();
    Ok(CanonicalTrail {
        name: trail.name.clone(),
        account_id: trail.account_id.clone(),
        home_region: trail.home_region.clone(),
        arn: trail.arn.clone(),
        organization_trail: trail.organization_trail,
        multi_region: trail.multi_region,
        global_service_events: trail.global_service_events,
        log_file_validation: trail.log_file_validation,
        s3_bucket: trail.s3_bucket.clone().unwrap_or_default(),
        s3_key_prefix: non_empty(trail.s3_key_prefix.as_deref()).map(str::to_owned),
        sns_topic: non_empty(trail.sns_topic_arn.as_deref())
            .map(|t| canonical_sns(t, p, region, account)),
        kms_key_id: non_empty(trail.kms_key_id.as_deref())
            .map(|k| canonical_kms(k, p, region, account, &no_aliases)),
        cloudwatch_logs: match (
            non_empty(trail.cloudwatch_logs_log_group_arn.as_deref()),
            non_empty(trail.cloudwatch_logs_role_arn.as_deref()),
        ) {
            (None, None) => None,
            (group, role) => Some(CanonicalCloudWatchLogs {
                log_group_arn: group.map(canonical_log_group).unwrap_or_default(),
                role_arn: role.unwrap_or_default().to_owned(),
            }),
        },
        logging: details.status.is_logging,
        selectors: live_selectors(&details.selectors),
        insights: details.insights.iter().cloned().collect(),
        // Tags under `aws:` (a trail made by CloudFormation or a StackSet carries
        // `aws:cloudformation:*`) belong to AWS: no call can add or remove them and a
        // spec may not name them, so they are not part of what is compared.
        tags: details
            .tags
            .iter()
            .filter(|(k, _)| !is_reserved_tag(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    })
}

/// A tag key reserved for AWS (`aws:` in any case).
fn is_reserved_tag(key: &str) -> bool {
    key.get(..limits::RESERVED_TAG_PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(limits::RESERVED_TAG_PREFIX))
}

/// What AWS stores after `apply` converges a trail to `desired`, as DescribeTrails and
/// the Get* calls would report it: the log group with `:*`, the SNS topic and KMS key as
/// ARNs, no key prefix when none, the default classic selector when only the default
/// (all management events) is wanted (apply does not put selectors on a new trail
/// then), the classic "log nothing" selector when nothing is, advanced selectors
/// otherwise.
#[must_use]
pub fn simulate_apply(desired: &CanonicalTrail) -> LiveTrail {
    let selectors = if desired.selectors.meaning() == CanonicalSelectors::aws_default().meaning()
        && desired.selectors.0.iter().all(|s| s.name.is_none())
    {
        LiveSelectors::Classic(vec![aws_default_classic_selector()])
    } else if desired.selectors.0.is_empty() {
        LiveSelectors::Classic(vec![log_nothing_selector()])
    } else {
        LiveSelectors::Advanced(desired.selectors.to_advanced())
    };
    LiveTrail {
        account_id: desired.account_id.clone(),
        home_region: desired.home_region.clone(),
        name: desired.name.clone(),
        arn: desired.arn.clone(),
        s3_bucket: Some(desired.s3_bucket.clone()),
        s3_key_prefix: desired.s3_key_prefix.clone(),
        sns_topic_arn: desired.sns_topic.clone(),
        kms_key_id: desired.kms_key_id.clone(),
        cloudwatch_logs_log_group_arn: desired
            .cloudwatch_logs
            .as_ref()
            .map(|c| format!("{}:*", c.log_group_arn)),
        cloudwatch_logs_role_arn: desired.cloudwatch_logs.as_ref().map(|c| c.role_arn.clone()),
        multi_region: desired.multi_region,
        organization_trail: desired.organization_trail,
        global_service_events: desired.global_service_events,
        log_file_validation: desired.log_file_validation,
        details: Some(TrailDetails {
            selectors: selectors.into(),
            insights: desired.insights.iter().cloned().collect(),
            status: TrailStatus {
                is_logging: desired.logging,
                ..TrailStatus::default()
            },
            tags: desired.tags.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{DataResource, Spec};

    fn spec(yaml: &str) -> Spec {
        serde_yaml::from_str(yaml).unwrap()
    }

    fn trail_spec(body: &str) -> TrailSpec {
        serde_yaml::from_str(body).unwrap()
    }

    fn target(trail: &str) -> Target {
        Target {
            trail: trail.into(),
            scope: Scope::Account,
            account_id: "222222222222".into(),
            account_name: "prod".into(),
            region: "eu-west-1".into(),
        }
    }

    fn desired_of(body: &str) -> CanonicalTrail {
        let t = trail_spec(body);
        desired_with_selectors(
            &t,
            &target("main"),
            &DesiredContext::default(),
            desired_selectors(&t),
        )
    }

    fn adv(name: Option<&str>, fields: Vec<AdvancedFieldSelector>) -> AdvancedEventSelector {
        AdvancedEventSelector {
            name: name.map(str::to_owned),
            field_selectors: fields,
        }
    }

    fn eq(field: &str, values: &[&str]) -> AdvancedFieldSelector {
        AdvancedFieldSelector {
            field: field.into(),
            equals: values.iter().map(|v| (*v).to_owned()).collect(),
            ..AdvancedFieldSelector::default()
        }
    }

    #[test]
    fn defaults_follow_the_spec() {
        let d = desired_of("scope: account\ns3_bucket: b\n");
        assert!(d.multi_region, "no regions: multi-region by default");
        assert!(d.global_service_events);
        assert!(!d.log_file_validation);
        assert!(d.logging);
        assert_eq!(d.selectors, CanonicalSelectors::aws_default());
        assert!(d.insights.is_empty() && d.tags.is_empty());
        assert_eq!(d.s3_key_prefix, None);
        let single = desired_of("scope: account\ns3_bucket: b\nregions: [eu-west-1]\n");
        assert!(
            !single.multi_region,
            "regions given: single-region by default"
        );
        assert_eq!(
            single.arn,
            "arn:aws:cloudtrail:eu-west-1:222222222222:trail/main"
        );
        let org = desired_of("scope: organization\ns3_bucket: b\nhome_region: eu-west-1\n");
        assert!(org.organization_trail);
    }

    #[test]
    fn desired_reads_the_named_trail_from_the_spec() {
        let s = spec("version: 1\ntrails:\n  main:\n    scope: account\n    s3_bucket: b\n");
        let ctx = DesiredContext::default();
        assert!(desired(&s, &target("main"), &ctx).is_some());
        assert!(desired(&s, &target("other"), &ctx).is_none());
    }

    #[test]
    fn templates_are_expanded_per_instance() {
        let d = desired_of(
            "scope: account\ns3_bucket: logs-{account_id}\ns3_key_prefix: \"{account_name}/{region}\"\ntags: {acct: \"{account_id}\", fixed: x}\n",
        );
        assert_eq!(d.s3_bucket, "logs-222222222222");
        assert_eq!(d.s3_key_prefix.as_deref(), Some("prod/eu-west-1"));
        assert_eq!(d.tags["acct"], "222222222222");
        assert_eq!(d.tags["fixed"], "x");
    }

    #[test]
    fn kms_sns_and_cloudwatch_templates_are_expanded() {
        let d = desired_of(
            "scope: account\ns3_bucket: b\nkms_key_id: \"arn:aws:kms:{region}:{account_id}:key/mrk-1\"\nsns_topic: \"t-{account_name}\"\ncloudwatch_logs: {log_group_arn: \"arn:aws:logs:{region}:{account_id}:log-group:g\", role_arn: \"arn:aws:iam::{account_id}:role/r\"}\n",
        );
        assert_eq!(
            d.kms_key_id.as_deref(),
            Some("arn:aws:kms:eu-west-1:222222222222:key/mrk-1")
        );
        assert!(
            d.sns_topic
                .as_deref()
                .is_some_and(|t| t.ends_with(":t-prod")),
            "{:?}",
            d.sns_topic
        );
        let cw = d.cloudwatch_logs.expect("cloudwatch_logs");
        assert!(
            cw.log_group_arn
                .contains("eu-west-1:222222222222:log-group:g"),
            "{}",
            cw.log_group_arn
        );
        assert_eq!(cw.role_arn, "arn:aws:iam::222222222222:role/r");
    }

    #[test]
    fn shorthand_compiles_to_the_exact_advanced_selectors() {
        let t = trail_spec(
            "scope: account\ns3_bucket: b\nmanagement_events: {read_write: read_only, exclude_sources: [kms.amazonaws.com]}\ndata_events:\n  - name: prod writes\n    resource_type: AWS::S3::Object\n    read_only: false\n    arn_starts_with: [\"arn:aws:s3:::prod-\"]\n    arn_not_starts_with: [\"arn:aws:s3:::prod-logs/\"]\n  - resource_type: AWS::Lambda::Function\n",
        );
        let expected = vec![
            adv(
                Some("Management events"),
                vec![
                    eq("eventCategory", &["Management"]),
                    eq("readOnly", &["true"]),
                    AdvancedFieldSelector {
                        field: "eventSource".into(),
                        not_equals: vec!["kms.amazonaws.com".into()],
                        ..AdvancedFieldSelector::default()
                    },
                ],
            ),
            adv(
                Some("prod writes"),
                vec![
                    eq("eventCategory", &["Data"]),
                    eq("resources.type", &["AWS::S3::Object"]),
                    eq("readOnly", &["false"]),
                    AdvancedFieldSelector {
                        field: "resources.ARN".into(),
                        starts_with: vec!["arn:aws:s3:::prod-".into()],
                        not_starts_with: vec!["arn:aws:s3:::prod-logs/".into()],
                        ..AdvancedFieldSelector::default()
                    },
                ],
            ),
            adv(
                None,
                vec![
                    eq("eventCategory", &["Data"]),
                    eq("resources.type", &["AWS::Lambda::Function"]),
                ],
            ),
        ];
        assert_eq!(compile_selectors(&t), DesiredSelectors::Advanced(expected));
        // The generated management name is not a requirement; the user's name is.
        let c = desired_selectors(&t);
        let names: Vec<Option<&str>> = c.0.iter().map(|s| s.name.as_deref()).collect();
        assert!(names.contains(&Some("prod writes")));
        assert!(!names.contains(&Some("Management events")));
    }

    #[test]
    fn data_events_without_management_events_keep_all_management_events() {
        let t = trail_spec(
            "scope: account\ns3_bucket: b\ndata_events: [{resource_type: AWS::DynamoDB::Table}]\n",
        );
        let DesiredSelectors::Advanced(s) = compile_selectors(&t) else {
            panic!("shorthand compiles to advanced selectors");
        };
        assert_eq!(s.len(), 2);
        assert_eq!(
            s[0].field_selectors,
            vec![eq("eventCategory", &["Management"])]
        );
    }

    #[test]
    fn read_write_none_without_data_events_logs_nothing_with_a_classic_selector() {
        let t = trail_spec("scope: account\ns3_bucket: b\nmanagement_events: {read_write: none}\n");
        assert_eq!(
            compile_selectors(&t),
            DesiredSelectors::Classic(vec![log_nothing_selector()])
        );
        assert!(desired_selectors(&t).0.is_empty());
        assert!(CanonicalSelectors::from_classic(&[log_nothing_selector()])
            .0
            .is_empty());
        let t = trail_spec("scope: account\ns3_bucket: b\nmanagement_events: {read_write: none}\ndata_events: [{resource_type: AWS::S3::Object}]\n");
        assert!(!desired_selectors(&t).logs_management_events());
    }

    #[test]
    fn raw_forms_are_put_as_written() {
        let t = trail_spec(
            "scope: account\ns3_bucket: b\nevent_selectors: [{read_write_type: WriteOnly}]\n",
        );
        assert!(matches!(compile_selectors(&t), DesiredSelectors::Classic(s) if s.len() == 1));
        let t = trail_spec("scope: account\ns3_bucket: b\nadvanced_event_selectors: [{name: x, field_selectors: [{field: eventCategory, equals: [Management]}]}]\n");
        assert!(
            matches!(compile_selectors(&t), DesiredSelectors::Advanced(s) if s[0].name.as_deref() == Some("x"))
        );
    }

    #[test]
    fn the_three_spellings_of_the_aws_default_are_equal() {
        let none = live_selectors(&LiveSelectors::None);
        let classic = live_selectors(&LiveSelectors::Classic(
            vec![aws_default_classic_selector()],
        ));
        let advanced = live_selectors(&LiveSelectors::Advanced(vec![adv(
            None,
            vec![eq("eventCategory", &["Management"])],
        )]));
        let empty = live_selectors(&LiveSelectors::Classic(vec![]));
        assert_eq!(none, CanonicalSelectors::aws_default());
        assert_eq!(classic, none);
        assert_eq!(advanced, none);
        assert_eq!(empty, none);
        // ... and all satisfy a spec that says nothing about selectors.
        let d = desired_of("scope: account\ns3_bucket: b\n");
        for live in [&none, &classic, &advanced] {
            assert!(d.selectors.satisfied_by(live));
        }
    }

    #[test]
    fn order_and_duplicates_do_not_matter() {
        let a = vec![
            adv(
                Some("s"),
                vec![
                    eq("eventCategory", &["Data"]),
                    eq("resources.type", &["AWS::S3::Object"]),
                    AdvancedFieldSelector {
                        field: "resources.ARN".into(),
                        starts_with: vec!["arn:aws:s3:::b/".into(), "arn:aws:s3:::a/".into()],
                        ..AdvancedFieldSelector::default()
                    },
                ],
            ),
            adv(None, vec![eq("eventCategory", &["Management"])]),
        ];
        let b = vec![
            adv(None, vec![eq("eventCategory", &["Management"])]),
            adv(
                Some("s"),
                vec![
                    AdvancedFieldSelector {
                        field: "resources.ARN".into(),
                        starts_with: vec![
                            "arn:aws:s3:::a/".into(),
                            "arn:aws:s3:::b/".into(),
                            "arn:aws:s3:::a/".into(),
                        ],
                        ..AdvancedFieldSelector::default()
                    },
                    eq("resources.type", &["AWS::S3::Object"]),
                    eq("eventCategory", &["Data"]),
                ],
            ),
            adv(None, vec![eq("eventCategory", &["Management"])]),
        ];
        assert_eq!(
            CanonicalSelectors::from_advanced(&a),
            CanonicalSelectors::from_advanced(&b)
        );
    }

    #[test]
    fn filters_that_filter_nothing_are_dropped() {
        let both = CanonicalSelectors::from_advanced(&[adv(
            None,
            vec![
                eq("eventCategory", &["Management"]),
                eq("readOnly", &["true", "false"]),
            ],
        )]);
        assert_eq!(both, CanonicalSelectors::aws_default());
        let all_s3 = CanonicalSelectors::from_advanced(&[adv(
            None,
            vec![
                eq("eventCategory", &["Data"]),
                eq("resources.type", &["AWS::S3::Object"]),
                AdvancedFieldSelector {
                    field: "resources.ARN".into(),
                    starts_with: vec!["arn:aws:s3".into()],
                    ..AdvancedFieldSelector::default()
                },
            ],
        )]);
        let no_arn = CanonicalSelectors::from_advanced(&[adv(
            None,
            vec![
                eq("eventCategory", &["Data"]),
                eq("resources.type", &["AWS::S3::Object"]),
            ],
        )]);
        assert_eq!(all_s3, no_arn);
    }

    #[test]
    fn classic_selectors_map_to_their_advanced_equivalent() {
        let classic = vec![
            EventSelector {
                read_write_type: ReadWriteType::WriteOnly,
                include_management_events: true,
                data_resources: vec![
                    DataResource {
                        resource_type: "AWS::S3::Object".into(),
                        values: vec!["arn:aws:s3:::bucket-1/".into()],
                    },
                    DataResource {
                        resource_type: "AWS::Lambda::Function".into(),
                        values: vec!["arn:aws:lambda".into()],
                    },
                    DataResource {
                        resource_type: "AWS::DynamoDB::Table".into(),
                        values: vec!["arn:aws:dynamodb:eu-west-1:222222222222:table/t".into()],
                    },
                ],
                exclude_management_event_sources: vec!["kms.amazonaws.com".into()],
            },
            EventSelector {
                read_write_type: ReadWriteType::ReadOnly,
                include_management_events: false,
                data_resources: vec![DataResource {
                    resource_type: "AWS::S3::Object".into(),
                    values: vec!["arn:aws:s3:::".into()],
                }],
                exclude_management_event_sources: vec![],
            },
        ];
        let write = eq("readOnly", &["false"]);
        let expected = CanonicalSelectors::from_advanced(&[
            adv(
                None,
                vec![
                    eq("eventCategory", &["Management"]),
                    write.clone(),
                    AdvancedFieldSelector {
                        field: "eventSource".into(),
                        not_equals: vec!["kms.amazonaws.com".into()],
                        ..AdvancedFieldSelector::default()
                    },
                ],
            ),
            adv(
                None,
                vec![
                    eq("eventCategory", &["Data"]),
                    eq("resources.type", &["AWS::S3::Object"]),
                    write.clone(),
                    AdvancedFieldSelector {
                        field: "resources.ARN".into(),
                        starts_with: vec!["arn:aws:s3:::bucket-1/".into()],
                        ..AdvancedFieldSelector::default()
                    },
                ],
            ),
            adv(
                None,
                vec![
                    eq("eventCategory", &["Data"]),
                    eq("resources.type", &["AWS::Lambda::Function"]),
                    write.clone(),
                ],
            ),
            adv(
                None,
                vec![
                    eq("eventCategory", &["Data"]),
                    eq("resources.type", &["AWS::DynamoDB::Table"]),
                    write,
                    eq(
                        "resources.ARN",
                        &["arn:aws:dynamodb:eu-west-1:222222222222:table/t"],
                    ),
                ],
            ),
            adv(
                None,
                vec![
                    eq("eventCategory", &["Data"]),
                    eq("resources.type", &["AWS::S3::Object"]),
                    eq("readOnly", &["true"]),
                ],
            ),
        ]);
        assert_eq!(CanonicalSelectors::from_classic(&classic), expected);
    }

    fn live_trail() -> LiveTrail {
        simulate_apply(&desired_of("scope: account\ns3_bucket: b\n"))
    }

    #[test]
    fn identities_compare_equal() {
        let ctx = DesiredContext {
            partition: "aws".into(),
            kms_aliases: BTreeMap::from([(
                "arn:aws:kms:eu-west-1:222222222222:alias/trail".to_owned(),
                "arn:aws:kms:eu-west-1:222222222222:key/k-1".to_owned(),
            )]),
        };
        let t = trail_spec("scope: account\ns3_bucket: b\ns3_key_prefix: \"\"\nsns_topic: topic\nkms_key_id: alias/trail\ncloudwatch_logs: {log_group_arn: \"arn:aws:logs:eu-west-1:222222222222:log-group:g:*\", role_arn: r}\n");
        let d = desired_with_selectors(&t, &target("main"), &ctx, desired_selectors(&t));
        assert_eq!(d.s3_key_prefix, None);
        assert_eq!(
            d.sns_topic.as_deref(),
            Some("arn:aws:sns:eu-west-1:222222222222:topic")
        );
        assert_eq!(
            d.kms_key_id.as_deref(),
            Some("arn:aws:kms:eu-west-1:222222222222:key/k-1")
        );
        let logs = d.cloudwatch_logs.as_ref().unwrap();
        assert_eq!(
            logs.log_group_arn,
            "arn:aws:logs:eu-west-1:222222222222:log-group:g"
        );

        let mut lt = live_trail();
        lt.s3_key_prefix = Some(String::new());
        lt.sns_topic_arn = Some("arn:aws:sns:eu-west-1:222222222222:topic".into());
        lt.kms_key_id = Some("k-1".into()); // moto stores what it was given
        lt.cloudwatch_logs_log_group_arn =
            Some("arn:aws:logs:eu-west-1:222222222222:log-group:g:*".into());
        lt.cloudwatch_logs_role_arn = Some("r".into());
        assert!(differences(&d, &live(&lt).unwrap()).is_empty());

        // Bare key id in the spec = key ARN live.
        let bare = desired_of("scope: account\ns3_bucket: b\nkms_key_id: k-1\n");
        assert_eq!(
            bare.kms_key_id.as_deref(),
            Some("arn:aws:kms:eu-west-1:222222222222:key/k-1")
        );
    }

    #[test]
    fn moto_empty_strings_mean_unset() {
        let d = desired_of("scope: account\ns3_bucket: b\n");
        let mut lt = simulate_apply(&d);
        lt.sns_topic_arn = Some(String::new());
        lt.kms_key_id = Some(String::new());
        lt.cloudwatch_logs_log_group_arn = Some(String::new());
        lt.cloudwatch_logs_role_arn = Some(String::new());
        assert!(differences(&d, &live(&lt).unwrap()).is_empty());
    }

    #[test]
    fn an_unresolved_kms_alias_is_not_compared() {
        let d = desired_of("scope: account\ns3_bucket: b\nkms_key_id: alias/unknown\n");
        let kms = d.kms_key_id.clone().unwrap();
        assert!(is_unresolved_kms_alias(&kms));
        let mut lt = simulate_apply(&d);
        lt.kms_key_id = Some("arn:aws:kms:eu-west-1:222222222222:key/whatever".into());
        assert!(differences(&d, &live(&lt).unwrap()).is_empty());
    }

    #[test]
    fn insights_absent_are_none_and_duplicates_collapse() {
        let d = desired_of("scope: account\ns3_bucket: b\ninsights: [api_call_rate]\n");
        let mut lt = simulate_apply(&d);
        if let Some(details) = lt.details.as_mut() {
            // moto appends on every put
            details.insights = vec!["ApiCallRateInsight".into(), "ApiCallRateInsight".into()];
        }
        assert!(differences(&d, &live(&lt).unwrap()).is_empty());
        let none = desired_of("scope: account\ns3_bucket: b\n");
        assert!(differences(&none, &live(&lt).unwrap()).insights);
    }

    #[test]
    fn each_attribute_difference_is_reported() {
        let d = desired_of("scope: account\ns3_bucket: b\ns3_key_prefix: p\nlog_file_validation: true\ntags: {a: \"1\", b: \"2\"}\n");
        let mut lt = simulate_apply(&d);
        lt.s3_key_prefix = None;
        lt.log_file_validation = false;
        if let Some(details) = lt.details.as_mut() {
            details.tags = BTreeMap::from([("a".into(), "0".into()), ("c".into(), "3".into())]);
            details.status.is_logging = false;
        }
        let diff = differences(&d, &live(&lt).unwrap());
        let names: Vec<&str> = diff
            .attributes
            .iter()
            .map(|a| a.attribute.as_str())
            .collect();
        assert_eq!(names, ["s3_key_prefix", "log_file_validation"]);
        assert_eq!(diff.attributes[0].before, None);
        assert_eq!(diff.attributes[0].after.as_deref(), Some("p"));
        assert_eq!(
            diff.tags_to_add,
            BTreeMap::from([("a".into(), "1".into()), ("b".into(), "2".into())])
        );
        assert_eq!(diff.tags_to_remove, BTreeSet::from(["c".to_owned()]));
        assert!(diff.logging && !diff.selectors && !diff.insights);
    }

    #[test]
    fn aws_reserved_tags_are_never_compared() {
        let d =
            desired_of("scope: account\nregions: [eu-west-1]\ns3_bucket: b\ntags: {owner: x}\n");
        let mut lt = live_trail();
        if let Some(details) = lt.details.as_mut() {
            details.tags = BTreeMap::from([
                ("owner".into(), "x".into()),
                (
                    "aws:cloudformation:stack-name".into(),
                    "StackSet-trails".into(),
                ),
                ("AWS:Other".into(), "y".into()),
            ]);
        }
        let current = live(&lt).unwrap();
        assert_eq!(
            current.tags,
            BTreeMap::from([("owner".to_owned(), "x".to_owned())])
        );
        let diff = differences(&d, &current);
        assert!(diff.tags_to_remove.is_empty() && diff.tags_to_add.is_empty());
    }

    #[test]
    fn live_requires_details() {
        let mut lt = live_trail();
        lt.details = None;
        assert!(matches!(
            live(&lt),
            Err(NormalizeError::DetailsMissing { .. })
        ));
    }

    const NAMED: &str = "scope: account\ns3_bucket: b\nadvanced_event_selectors: [{name: wanted, field_selectors: [{field: eventCategory, equals: [Management]}]}]\n";

    #[test]
    fn name_only_difference_is_a_change_that_apply_fixes() {
        let d = desired_of(NAMED);
        let mut lt = simulate_apply(&d);
        if let Some(details) = lt.details.as_mut() {
            *std::sync::Arc::make_mut(&mut details.selectors) = LiveSelectors::Advanced(vec![adv(
                Some("other"),
                vec![eq("eventCategory", &["Management"])],
            )]);
        }
        assert!(
            differences(&d, &live(&lt).unwrap()).selectors,
            "desired name is a requirement"
        );
        // After apply puts the desired selectors, AWS stores the desired name: converged.
        assert!(differences(&d, &live(&simulate_apply(&d)).unwrap()).is_empty());
    }

    #[test]
    fn name_only_difference_against_classic_is_fixed_once() {
        let d = desired_of(NAMED);
        let mut lt = simulate_apply(&d);
        if let Some(details) = lt.details.as_mut() {
            *std::sync::Arc::make_mut(&mut details.selectors) =
                LiveSelectors::Classic(vec![aws_default_classic_selector()]);
        }
        assert!(differences(&d, &live(&lt).unwrap()).selectors);
        assert!(matches!(
            simulate_apply(&d).details.map(|d| (*d.selectors).clone()),
            Some(LiveSelectors::Advanced(_))
        ));
    }

    #[test]
    fn live_names_never_cause_a_difference() {
        let d = desired_of("scope: account\ns3_bucket: b\nmanagement_events: {read_write: all}\n");
        let mut lt = simulate_apply(&d);
        if let Some(details) = lt.details.as_mut() {
            *std::sync::Arc::make_mut(&mut details.selectors) = LiveSelectors::Advanced(vec![adv(
                Some("Management events selector"),
                vec![eq("eventCategory", &["Management"])],
            )]);
        }
        assert!(differences(&d, &live(&lt).unwrap()).is_empty());
    }

    #[test]
    fn simulate_apply_models_what_aws_stores() {
        let d = desired_of("scope: account\ns3_bucket: b\ncloudwatch_logs: {log_group_arn: \"arn:aws:logs:eu-west-1:222222222222:log-group:g\", role_arn: r}\n");
        let lt = simulate_apply(&d);
        assert_eq!(
            lt.cloudwatch_logs_log_group_arn.as_deref(),
            Some("arn:aws:logs:eu-west-1:222222222222:log-group:g:*")
        );
        assert_eq!(
            lt.details.as_ref().map(|d| (*d.selectors).clone()),
            Some(LiveSelectors::Classic(vec![aws_default_classic_selector()]))
        );
        assert_eq!(
            live(&lt).unwrap(),
            d,
            "default selectors, no names: exact round trip"
        );
    }
}
