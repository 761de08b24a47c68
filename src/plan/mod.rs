//! The plan: what `apply` must do to make the organization match the spec.
//!
//! A [`Plan`] is a value (as in Terraform): computed by the pure [`diff`] from the spec,
//! the resolved targets and the live state; serializable (versioned JSON, the stable
//! shape of `schemas/plan.schema.json`); renderable by the sibling views in [`render`];
//! savable and checkable later through its fingerprints ([`fingerprint`]). This module
//! owns the plan's shape and the decisions of the diff; it does no I/O and knows no
//! SDK type. It must not decide how a change is carried out (that is `apply`'s job),
//! only what each change is and in which order its calls run.

mod diff;
pub mod fingerprint;
mod render;
mod saved;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use diff::{diff, DiffOptions};
pub use render::{render_human, render_json, render_markdown};
pub use saved::{load_saved, PlanFileError};

use crate::live::ReadFailure;
use crate::normalize::{AttributeDiff, CanonicalTrail, DesiredSelectors, TrailConfig};
use crate::spec::Scope;

/// The plan format version; bumped on any incompatible change of the JSON shape.
pub const PLAN_FORMAT_VERSION: u32 = 1;

/// Everything `apply` needs to converge the organization, and what it was computed
/// from. Deterministic: the same inputs give the same bytes (no timestamps).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "trailform plan")]
pub struct Plan {
    /// Plan format version, 1.
    pub format_version: u32,
    /// `sha256:<hex>` of the spec's canonical JSON; `apply PLAN` refuses a plan whose
    /// spec changed.
    pub spec_fingerprint: String,
    /// Counts.
    pub summary: Summary,
    /// One entry per targeted trail that could be read (no-ops included) and per
    /// unmanaged trail planned for deletion, sorted by account, region, trail.
    pub targets: Vec<TargetPlan>,
    /// Findings that do not block: unmanaged trails, billed duplicates, ...
    pub warnings: Vec<Warning>,
    /// What could not be read. Targets there are neither planned nor called unchanged.
    pub unreadable: Vec<ReadFailure>,
}

impl Plan {
    /// True when nothing is to be done.
    #[must_use]
    pub fn has_changes(&self) -> bool {
        self.targets.iter().any(|t| !t.changes.is_empty())
    }
}

/// Plan counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    /// Trails to create.
    pub create: usize,
    /// Trails to update.
    pub update: usize,
    /// Trails to delete.
    pub delete: usize,
    /// Targets already matching the spec.
    pub unchanged: usize,
    /// Accounts all of whose targets match the spec (and were all read).
    pub unchanged_accounts: usize,
    /// Targeted (account, region, trail) instances that could not be read.
    pub unreadable_targets: usize,
}

/// What happens to one trail.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The trail does not exist and will be created.
    Create,
    /// The trail exists and differs.
    Update,
    /// An unmanaged trail, deleted under `unmanaged_trails: delete`.
    Delete,
    /// The trail matches the spec.
    NoOp,
}

/// The plan for one trail in one account and home region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TargetPlan {
    /// Owning account.
    pub account_id: String,
    /// Its name (empty when the organization listing did not name it).
    pub account_name: String,
    /// Home region: every call for this trail goes there.
    pub region: String,
    /// Trail name.
    pub trail: String,
    /// Organization or account trail.
    pub scope: Scope,
    /// What happens.
    pub action: Action,
    /// Trail ARN (predicted for a create); calls address the trail by it.
    pub arn: String,
    /// The calls, in execution order (the order of [`Change`]'s variants).
    pub changes: Vec<Change>,
    /// `sha256:<hex>` of what was read for this (account, region, trail), "absent"
    /// included; `apply PLAN` re-reads the target and refuses it when this differs.
    pub live_fingerprint: String,
    /// The trail as read (canonical), for updates and deletions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Box<CanonicalTrail>>,
    /// The trail as it will be after apply (canonical), for creates and updates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Box<CanonicalTrail>>,
}

/// One API call of a plan. The variant order *is* the execution order the API needs:
/// the trail must exist (create/update) before its selectors, insights, tags and
/// logging are set; deletion is alone.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// CreateTrail with this configuration and these tags (the trail starts not
    /// logging). Tags go with the create, so a policy that requires tags on
    /// `cloudtrail:CreateTrail` is met and the trail is never untagged.
    CreateTrail {
        /// Full desired configuration.
        config: TrailConfig,
        /// Tags (TagsList); empty for none.
        #[serde(default)]
        tags: BTreeMap<String, String>,
    },
    /// UpdateTrail: the attributes that differ, and the full desired configuration.
    UpdateTrail {
        /// Trail ARN.
        arn: String,
        /// Attributes that differ, live → desired.
        attributes: Vec<AttributeDiff>,
        /// Full desired configuration.
        config: TrailConfig,
    },
    /// PutEventSelectors.
    PutEventSelectors {
        /// Trail ARN.
        arn: String,
        /// What to put.
        selectors: DesiredSelectors,
    },
    /// PutInsightSelectors (empty list: disable Insights).
    PutInsightSelectors {
        /// Trail ARN.
        arn: String,
        /// Insight types in the API's spelling.
        insights: Vec<String>,
    },
    /// AddTags (adds or overwrites).
    AddTags {
        /// Trail ARN.
        arn: String,
        /// Tags to set.
        tags: BTreeMap<String, String>,
    },
    /// RemoveTags.
    RemoveTags {
        /// Trail ARN.
        arn: String,
        /// Keys to remove.
        keys: Vec<String>,
    },
    /// StartLogging.
    StartLogging {
        /// Trail ARN.
        arn: String,
    },
    /// StopLogging (on an organization trail, `apply` needs `--allow-delete`).
    StopLogging {
        /// Trail ARN.
        arn: String,
    },
    /// DeleteTrail (only under `unmanaged_trails: delete`; `apply` needs `--allow-delete`).
    DeleteTrail {
        /// Trail ARN.
        arn: String,
    },
}

impl Change {
    /// The API operation's name.
    #[must_use]
    pub fn operation(&self) -> &'static str {
        match self {
            Self::CreateTrail { .. } => "CreateTrail",
            Self::UpdateTrail { .. } => "UpdateTrail",
            Self::PutEventSelectors { .. } => "PutEventSelectors",
            Self::PutInsightSelectors { .. } => "PutInsightSelectors",
            Self::AddTags { .. } => "AddTags",
            Self::RemoveTags { .. } => "RemoveTags",
            Self::StartLogging { .. } => "StartLogging",
            Self::StopLogging { .. } => "StopLogging",
            Self::DeleteTrail { .. } => "DeleteTrail",
        }
    }
}

/// Kinds of plan warnings.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// A trail no spec entry describes (`unmanaged_trails: report`).
    UnmanagedTrail,
    /// Two trails deliver management events to the same account-region: the second
    /// copy is billed.
    DuplicateManagementEvents,
    /// An S3 data-event selector covers the trail's own log deliveries.
    DataEventsCoverOwnBucket,
    /// A create would take an account-region past AWS's 5 trails per region.
    TrailLimit,
    /// A KMS alias could not be resolved to a key ARN: the key was not compared.
    UnresolvedKmsAlias,
}

/// A finding that does not block the plan.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct Warning {
    /// What kind of finding.
    pub kind: WarningKind,
    /// Account concerned, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Region concerned, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Trail concerned, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trail: Option<String>,
    /// Human explanation.
    pub message: String,
}

/// The JSON Schema of [`Plan`] (what `schemas/plan.schema.json` holds).
#[must_use]
pub fn plan_schema() -> serde_json::Value {
    schemars::schema_for!(Plan).to_value()
}
