//! The live-state model: what the organization and its trails look like right now.
//!
//! Plain data, filled by `aws::` readers and consumed by the pure engine (`plan`,
//! `drift`, `import`). No SDK types here, no I/O: tests build these values by hand.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::spec::{AdvancedEventSelector, EventSelector};

/// Status of an account in AWS Organizations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccountStatus {
    /// Usable.
    Active,
    /// Closed or suspended by AWS.
    Suspended,
    /// Closing (90-day window).
    PendingClosure,
}

/// An organizational unit (or the root) on an account's path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OuRef {
    /// `r-...` for the root, `ou-...` for an OU.
    pub id: String,
    /// The OU's name (`Root` for the root).
    pub name: String,
}

/// One account of the organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// 12-digit account id.
    pub id: String,
    /// Account name.
    pub name: String,
    /// Account email.
    pub email: String,
    /// Status in Organizations.
    pub status: AccountStatus,
    /// Account tags.
    pub tags: BTreeMap<String, String>,
    /// Path from the root to the account's parent: `[root, ou, nested ou, ...]`.
    pub ou_path: Vec<OuRef>,
}

/// The organization as listed from the management (or delegated administrator) account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    /// Management account id.
    pub management_account_id: String,
    /// The account whose credentials trailform runs with (management or delegated admin).
    pub caller_account_id: String,
    /// Root id (`r-...`).
    pub root_id: String,
    /// Every account, in listing order.
    pub accounts: Vec<Account>,
    /// Every OU (not the root), in listing order: the targets resolver checks that OUs
    /// a spec names exist even when they hold no account.
    #[serde(default)]
    pub organizational_units: Vec<OrganizationalUnit>,
}

/// One organizational unit and where it sits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OrganizationalUnit {
    /// `ou-...`.
    pub id: String,
    /// The OU's name.
    pub name: String,
    /// Names from the root down to this OU, joined by `/` (`Workloads/Prod`).
    pub path: String,
}

/// A trail as DescribeTrails shows it in its home region of its owning account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveTrail {
    /// Account the trail belongs to.
    pub account_id: String,
    /// Home region of the trail.
    pub home_region: String,
    /// Trail name.
    pub name: String,
    /// Trail ARN.
    pub arn: String,
    /// Destination bucket.
    pub s3_bucket: Option<String>,
    /// Key prefix.
    pub s3_key_prefix: Option<String>,
    /// SNS topic ARN.
    pub sns_topic_arn: Option<String>,
    /// KMS key as AWS reports it (a key ARN).
    pub kms_key_id: Option<String>,
    /// CloudWatch Logs log group ARN (AWS reports it with `:*`).
    pub cloudwatch_logs_log_group_arn: Option<String>,
    /// Role CloudTrail assumes for CloudWatch Logs.
    pub cloudwatch_logs_role_arn: Option<String>,
    /// Logs every region.
    pub multi_region: bool,
    /// Organization trail.
    pub organization_trail: bool,
    /// Includes global service events.
    pub global_service_events: bool,
    /// Log file validation enabled.
    pub log_file_validation: bool,
    /// Selectors, insights, status and tags: read only for trails the spec manages or
    /// reports (design.md §3, fewest calls). `None` when not read.
    pub details: Option<TrailDetails>,
}

/// The parts of a trail that take one call each to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrailDetails {
    /// GetEventSelectors. Shared between trails whose selectors are identical (the
    /// reader interns them, [`SelectorInterner`]): across an organization most trails
    /// carry the same selectors, and an advanced selector is dozens of small strings.
    pub selectors: Arc<LiveSelectors>,
    /// GetInsightSelectors, in the API's spelling (`ApiCallRateInsight`, ...).
    pub insights: Vec<String>,
    /// GetTrailStatus.
    pub status: TrailStatus,
    /// ListTags.
    pub tags: BTreeMap<String, String>,
}

/// What GetEventSelectors answered.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveSelectors {
    /// No selectors at all (moto on a new trail). Means the AWS default.
    None,
    /// Classic selectors.
    Classic(Vec<EventSelector>),
    /// Advanced selectors.
    Advanced(Vec<AdvancedEventSelector>),
}

/// What GetTrailStatus answered (the parts an auditor needs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrailStatus {
    /// Logging on.
    pub is_logging: bool,
    /// Latest S3 delivery error, if any.
    pub latest_delivery_error: Option<String>,
    /// Latest S3 delivery time, RFC 3339.
    pub latest_delivery_time: Option<String>,
    /// Latest SNS notification error.
    pub latest_notification_error: Option<String>,
    /// Latest CloudWatch Logs delivery error.
    pub latest_cloudwatch_logs_delivery_error: Option<String>,
    /// Latest digest delivery error.
    pub latest_digest_delivery_error: Option<String>,
}

/// A read that failed, recorded against what it was reading.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct ReadFailure {
    /// Account being read (the caller's for Organizations calls).
    pub account_id: String,
    /// Region, when the failure is regional.
    pub region: Option<String>,
    /// Trail, when the failure is about one trail.
    pub trail: Option<String>,
    /// For an Organizations listing that failed: the root or OU (`r-...`, `ou-...`)
    /// whose accounts or child OUs could not be listed. Accounts under it may be
    /// missing from the result.
    #[serde(default)]
    pub ou: Option<String>,
    /// API operation, e.g. `AssumeRole`, `DescribeTrails`.
    pub operation: String,
    /// AWS error code, e.g. `AccessDenied`.
    pub code: String,
    /// AWS error message.
    pub message: String,
}

/// Everything read from the live organization for one command.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveState {
    /// The organization.
    pub org: Organization,
    /// (account, region) pairs whose DescribeTrails succeeded: only these can be
    /// diffed; anything targeted and not here could not be read.
    pub read: BTreeSet<(String, String)>,
    /// Trails read, each once, in its home region.
    pub trails: Vec<LiveTrail>,
    /// Reads that failed.
    pub failures: Vec<ReadFailure>,
}

/// Hands out one shared copy of each distinct set of selectors.
#[derive(Debug, Default)]
pub struct SelectorInterner(Mutex<HashMap<LiveSelectors, Arc<LiveSelectors>>>);

impl SelectorInterner {
    /// The shared copy of `selectors`.
    pub fn intern(&self, selectors: LiveSelectors) -> Arc<LiveSelectors> {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(shared) = map.get(&selectors) {
            return Arc::clone(shared);
        }
        let shared = Arc::new(selectors.clone());
        map.insert(selectors, Arc::clone(&shared));
        shared
    }
}
