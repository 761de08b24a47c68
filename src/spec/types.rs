//! The spec's data types: exactly the YAML shape of design.md §1.
//!
//! These types are plain data. Parsing (with locations) and validation live beside
//! them in `parse.rs` and `validate.rs`; nothing here talks to AWS. Every field is
//! documented because the JSON Schema (`trailform schema`) is generated from these
//! doc comments and is what editors show users.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A trailform spec: the CloudTrail trails an AWS Organization should have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "trailform spec")]
pub struct Spec {
    /// Spec format version. Must be 1.
    pub version: u32,
    /// How trailform reaches the organization's accounts.
    #[serde(default)]
    pub organization: OrganizationSpec,
    /// What to do with trails in targeted account-regions that no spec entry describes.
    #[serde(default)]
    pub unmanaged_trails: UnmanagedTrails,
    /// The trails, keyed by trail name.
    #[serde(default)]
    pub trails: IndexMap<String, TrailSpec>,
}

/// How trailform reaches the organization's accounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationSpec {
    /// Role assumed in each member account; `{account_id}` is substituted.
    #[serde(default = "default_member_role")]
    pub member_role: String,
    /// Optional external id passed to sts:AssumeRole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Regions where account trails live and where drift is checked.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Accounts never touched and never read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_accounts: Vec<String>,
    /// Skip SUSPENDED and PENDING_CLOSURE accounts (default true).
    #[serde(default = "default_true")]
    pub skip_suspended: bool,
}

impl Default for OrganizationSpec {
    fn default() -> Self {
        Self {
            member_role: default_member_role(),
            external_id: None,
            regions: Vec::new(),
            exclude_accounts: Vec::new(),
            skip_suspended: true,
        }
    }
}

/// The role AWS Organizations creates in every account it creates.
pub const DEFAULT_MEMBER_ROLE: &str =
    "arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole";

fn default_member_role() -> String {
    DEFAULT_MEMBER_ROLE.to_owned()
}

fn default_true() -> bool {
    true
}

/// Policy for trails in targeted account-regions that no spec entry describes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnmanagedTrails {
    /// Listed as warnings; the exit code is unaffected.
    #[default]
    Report,
    /// Not mentioned at all.
    Ignore,
    /// Planned as deletions; `apply` needs `--allow-delete` to carry them out.
    Delete,
}

/// Where a trail lives.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// One organization trail in the management (or delegated administrator) account.
    Organization,
    /// One trail per targeted member account (and region).
    Account,
}

/// One trail entry of the spec. The map key is the trail name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrailSpec {
    /// `organization` (one org trail) or `account` (one trail per targeted account).
    pub scope: Scope,
    /// Which accounts an account-scoped trail lands in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<Targets>,
    /// Single-region trails: one trail in each listed region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regions: Option<Vec<String>>,
    /// Region where a multi-region or organization trail is created and managed (required
    /// for them; not allowed with `regions`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_region: Option<String>,
    /// Log every region. Default: true when `regions` is absent, false when it is present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_region: Option<bool>,
    /// Bucket that receives log files. Templates: `{account_id}` `{account_name}` `{region}`.
    pub s3_bucket: String,
    /// Key prefix inside the bucket (templates allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_key_prefix: Option<String>,
    /// KMS key that encrypts log files: a key ARN or key id (UUID or `mrk-...`). Aliases are
    /// rejected: CloudTrail reports the key ARN, which an alias cannot be compared with.
    /// Templates allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// SNS topic (name or ARN) notified of each log file delivery. Templates allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sns_topic: Option<String>,
    /// Deliver events to CloudWatch Logs too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudwatch_logs: Option<CloudWatchLogs>,
    /// Include events of global services such as IAM. Default true; a multi-region trail
    /// must include them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_service_events: Option<bool>,
    /// Write digest files for log file integrity validation (AWS default: false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_file_validation: Option<bool>,
    /// Whether the trail is logging: StartLogging / StopLogging. Default true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logging: Option<bool>,
    /// Management events shorthand (compiled to advanced event selectors). With no selector
    /// field at all, AWS's default applies: all management events. Not with
    /// `event_selectors` or `advanced_event_selectors`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub management_events: Option<ManagementEvents>,
    /// Data events shorthand (compiled to advanced event selectors). Without
    /// `management_events`, all management events are logged too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_events: Option<Vec<DataEvent>>,
    /// Advanced event selectors, exactly the API's shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced_event_selectors: Option<Vec<AdvancedEventSelector>>,
    /// Classic event selectors, exactly the API's shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_selectors: Option<Vec<EventSelector>>,
    /// CloudTrail Insights types to enable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insights: Option<Vec<InsightType>>,
    /// Tags on the trail (templates allowed in values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
}

/// Which accounts an account-scoped trail lands in. An account is targeted when it is
/// in a listed OU (nested OUs included) or listed by id, is not excluded, and carries
/// every listed tag.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// OU ids (`ou-...`, `r-...` for the root) or paths from the root (`Workloads/Prod`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub organizational_units: Vec<String>,
    /// Account ids (12 digits).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<String>,
    /// Account ids never targeted by this trail.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_accounts: Vec<String>,
    /// Every listed tag must match the account's tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub account_tags: BTreeMap<String, String>,
    /// Target the management account too when it matches (default false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub include_management_account: bool,
}

/// CloudWatch Logs delivery: both fields or neither.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CloudWatchLogs {
    /// Log group ARN (with or without the trailing `:*`).
    pub log_group_arn: String,
    /// Role CloudTrail assumes to write to the log group.
    pub role_arn: String,
}

/// Management events shorthand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManagementEvents {
    /// Which management events to log (default all).
    #[serde(default)]
    pub read_write: ReadWrite,
    /// Event sources not logged (e.g. `kms.amazonaws.com`, `rdsdata.amazonaws.com`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_sources: Vec<String>,
}

/// Read/write filter of management events.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ReadWrite {
    /// Read and write events.
    #[default]
    All,
    /// Read-only events.
    ReadOnly,
    /// Write-only events.
    WriteOnly,
    /// No management events.
    None,
}

/// Data events shorthand: one advanced event selector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataEvent {
    /// Selector name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Resource type, e.g. `AWS::S3::Object`, `AWS::Lambda::Function`, `AWS::DynamoDB::Table`.
    pub resource_type: String,
    /// true: read events only; false: write events only; omitted: both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    /// Log only resources whose ARN starts with one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arn_starts_with: Vec<String>,
    /// Never log resources whose ARN starts with one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arn_not_starts_with: Vec<String>,
}

/// An advanced event selector, the API's shape.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct AdvancedEventSelector {
    /// Selector name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Conditions, all of which must match.
    pub field_selectors: Vec<AdvancedFieldSelector>,
}

/// One condition of an advanced event selector, the API's shape.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct AdvancedFieldSelector {
    /// Field name, e.g. `eventCategory`, `resources.type`, `resources.ARN`, `readOnly`, `eventName`.
    pub field: String,
    /// Matches values equal to one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub equals: Vec<String>,
    /// Matches values starting with one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub starts_with: Vec<String>,
    /// Matches values ending with one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ends_with: Vec<String>,
    /// Excludes values equal to one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_equals: Vec<String>,
    /// Excludes values starting with one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_starts_with: Vec<String>,
    /// Excludes values ending with one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_ends_with: Vec<String>,
}

/// A classic event selector, the API's shape.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct EventSelector {
    /// `All`, `ReadOnly` or `WriteOnly` (default All).
    #[serde(default)]
    pub read_write_type: ReadWriteType,
    /// Log management events (default true).
    #[serde(default = "default_true")]
    pub include_management_events: bool,
    /// Data resources (S3 objects, Lambda functions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_resources: Vec<DataResource>,
    /// Management event sources not logged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_management_event_sources: Vec<String>,
}

/// Classic selector read/write type, spelled as the API spells it.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
)]
pub enum ReadWriteType {
    /// Read and write events.
    #[default]
    All,
    /// Read-only events.
    ReadOnly,
    /// Write-only events.
    WriteOnly,
}

/// A classic data resource, the API's shape.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct DataResource {
    /// `AWS::S3::Object` or `AWS::Lambda::Function` (and other types the API lists).
    #[serde(rename = "type")]
    pub resource_type: String,
    /// ARN prefixes (`arn:aws:s3:::bucket/`) or all (`arn:aws:s3`).
    #[serde(default)]
    pub values: Vec<String>,
}

/// CloudTrail Insights types.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum InsightType {
    /// `ApiCallRateInsight`.
    ApiCallRate,
    /// `ApiErrorRateInsight`.
    ApiErrorRate,
}

impl InsightType {
    /// The API's spelling.
    #[must_use]
    pub fn api_name(self) -> &'static str {
        match self {
            Self::ApiCallRate => "ApiCallRateInsight",
            Self::ApiErrorRate => "ApiErrorRateInsight",
        }
    }

    /// Parses the API's spelling.
    #[must_use]
    pub fn from_api_name(name: &str) -> Option<Self> {
        match name {
            "ApiCallRateInsight" => Some(Self::ApiCallRate),
            "ApiErrorRateInsight" => Some(Self::ApiErrorRate),
            _ => None,
        }
    }
}
