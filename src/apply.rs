//! apply: executes a [`Plan`], and never re-decides it.
//!
//! Owns the order and pacing of the write calls, the safety gates of design.md §4 and
//! the reconciliation of calls whose outcome is uncertain. It must not diff or read the
//! organization (that is `plan`'s job; a stale saved plan is refused before this runs)
//! and it never names an SDK type: the AWS side is behind the [`Writer`] seam, whose
//! real implementation is [`AwsWriter`] and whose test double records calls.
//!
//! 1. Every target with changes runs as its own task; one target's failure never stops
//!    another. All calls share the one `--concurrency` limit of the AWS context.
//! 2. Within a target, changes run in the plan's order (the order of [`Change`]'s
//!    variants is the order the API needs); after a failed call the target stops, since
//!    the later calls depend on the earlier ones, and a re-run finishes it.
//! 3. Writes are paced per (account, region, operation) at AWS's quota (1 per second
//!    for CloudTrail's mutating calls; none of them can be raised), so a large apply is
//!    not throttled into a retry storm.
//! 4. Deletions, and stopping an organization trail, are skipped and listed unless
//!    `--allow-delete` was given.
//! 5. Calls whose first attempt may have taken effect are reconciled rather than failed:
//!    a CreateTrail that meets TrailAlreadyExistsException (its earlier answer was lost,
//!    or a concurrent apply created it) is turned into an UpdateTrail to the planned
//!    configuration and an AddTags of its tags; a DeleteTrail that meets
//!    TrailNotFoundException is done. The other calls (Put*, AddTags, RemoveTags,
//!    Start/StopLogging, UpdateTrail) set absolute state, so repeating them is harmless
//!    and the SDK's retries cover them.
//! 6. In an account with deletions, creates start once the deletions have finished:
//!    a trail being deleted still counts against AWS's 5 trails per region.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::task::JoinSet;

use crate::aws::{AwsContext, AwsError, MemberAccess, PutSelectors, TrailClient, TrailParams};
use crate::normalize::{DesiredSelectors, TrailConfig};
use crate::plan::{Action, Change, Plan, TargetPlan};
use crate::spec::{InsightType, Scope};

/// CloudTrail's quota for mutating calls: 1 transaction per second per account and
/// region ("All other APIs: 1 TPS", CloudTrail User Guide, Quotas in AWS CloudTrail;
/// cannot be increased). Paced per operation, as the service meters them.
pub const WRITE_INTERVAL: Duration = Duration::from_secs(1);

/// Error codes that mean "not visible yet" right after a bucket policy, topic policy,
/// key policy or CloudWatch Logs role was created (design.md §3, eventual consistency).
const NOT_YET_VISIBLE: &[&str] = &[
    "InsufficientS3BucketPolicyException",
    "InsufficientSnsTopicPolicyException",
    "InsufficientEncryptionPolicyException",
    "InvalidCloudWatchLogsRoleArnException",
    "InvalidCloudWatchLogsLogGroupArnException",
];

/// How apply behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOptions {
    /// `--allow-delete`: carry out deletions and StopLogging on organization trails.
    pub allow_delete: bool,
    /// How long to keep retrying errors that mean "a policy is not visible yet".
    pub consistency_timeout: Duration,
    /// Pause between two calls of one operation in one account-region.
    pub write_interval: Duration,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            allow_delete: false,
            consistency_timeout: Duration::from_secs(60),
            write_interval: WRITE_INTERVAL,
        }
    }
}

/// What happened to one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CallOutcome {
    /// The call succeeded.
    Done,
    /// The call's state was found already in place, or was put in place another way.
    Reconciled {
        /// What was found and done.
        note: String,
    },
    /// Not attempted: it needs a flag the command line did not give.
    Skipped {
        /// Why.
        reason: String,
    },
    /// Not attempted: an earlier call of the same target failed.
    NotAttempted,
    /// The call failed.
    Failed {
        /// AWS error code.
        code: String,
        /// AWS error message.
        message: String,
    },
}

/// One call of a target and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallReport {
    /// API operation.
    pub operation: String,
    /// Outcome.
    #[serde(flatten)]
    pub outcome: CallOutcome,
}

/// How a target ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetStatus {
    /// Every call succeeded (or was reconciled).
    Applied,
    /// Some calls were skipped for lack of `--allow-delete`; none failed.
    Skipped,
    /// A call failed.
    Failed,
}

/// The result of one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetReport {
    /// Owning account.
    pub account_id: String,
    /// Account name.
    pub account_name: String,
    /// Home region.
    pub region: String,
    /// Trail name.
    pub trail: String,
    /// What the plan said.
    pub action: Action,
    /// How it ended.
    pub status: TargetStatus,
    /// Every call of the target's plan, in order.
    pub calls: Vec<CallReport>,
}

impl TargetReport {
    /// The failed call, if any.
    #[must_use]
    pub fn failure(&self) -> Option<(&str, &str, &str)> {
        self.calls.iter().find_map(|c| match &c.outcome {
            CallOutcome::Failed { code, message } => {
                Some((c.operation.as_str(), code.as_str(), message.as_str()))
            }
            _ => None,
        })
    }
}

/// Counts of an apply.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplySummary {
    /// Targets fully applied.
    pub applied: usize,
    /// Targets with skipped calls (no `--allow-delete`) and no failure.
    pub skipped: usize,
    /// Targets with a failed call.
    pub failed: usize,
    /// Calls made (successful or reconciled).
    pub calls: usize,
}

/// The result of an apply: one report per target that had changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyReport {
    /// Counts.
    pub summary: ApplySummary,
    /// Per target, sorted by account, region, trail.
    pub targets: Vec<TargetReport>,
}

impl ApplyReport {
    /// True when any call failed.
    #[must_use]
    pub fn has_failures(&self) -> bool {
        self.summary.failed > 0
    }
}

/// The AWS side of apply: carry out one change of one target.
pub trait Writer: Send + Sync + 'static {
    /// Makes the call for `change` of `target`; reconciles where the call's outcome may
    /// already be in place.
    fn write(
        &self,
        target: &TargetPlan,
        change: &Change,
    ) -> impl Future<Output = Result<CallOutcome, AwsError>> + Send;
}

/// Called once per finished target (for a live line or a progress bar).
pub trait ApplyProgress: Send + Sync {
    /// One target finished.
    fn target_done(&self, report: &TargetReport);
}

/// Progress that shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoApplyProgress;

impl ApplyProgress for NoApplyProgress {
    fn target_done(&self, _report: &TargetReport) {}
}

/// Paces calls per (account, region, operation).
#[derive(Debug, Default)]
struct Pacer {
    next: Mutex<HashMap<(String, String, &'static str), Instant>>,
}

impl Pacer {
    async fn wait(&self, account: &str, region: &str, operation: &'static str, interval: Duration) {
        if interval.is_zero() {
            return;
        }
        let at = {
            let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            let slot = next
                .entry((account.to_owned(), region.to_owned(), operation))
                .or_insert(now);
            let at = (*slot).max(now);
            *slot = at + interval;
            at
        };
        tokio::time::sleep_until(at.into()).await;
    }
}

/// Why a change needs `--allow-delete`, if it does.
fn needs_allow_delete(target: &TargetPlan, change: &Change) -> Option<&'static str> {
    match change {
        Change::DeleteTrail { .. } => Some("deleting a trail needs --allow-delete"),
        Change::StopLogging { .. } if target.scope == Scope::Organization => {
            Some("stopping an organization trail needs --allow-delete")
        }
        _ => None,
    }
}

/// Creates in an account wait until the account's deletions have finished (done,
/// failed or skipped): AWS allows 5 trails per account-region and counts a trail the
/// plan deletes until the deletion is done, so a create racing it could fail with
/// MaximumNumberOfTrailsExceededException.
struct DeletionGate {
    /// Gets one permit as each deletion of the account finishes.
    semaphore: Arc<tokio::sync::Semaphore>,
    /// Deletions planned in the account.
    deletions: u32,
}

/// One [`DeletionGate`] per account with deletions.
fn deletion_gates(plan: &Plan) -> HashMap<String, Arc<DeletionGate>> {
    let mut deletions: HashMap<&str, u32> = HashMap::new();
    for t in &plan.targets {
        if t.action == Action::Delete && !t.changes.is_empty() {
            *deletions.entry(t.account_id.as_str()).or_default() += 1;
        }
    }
    deletions
        .into_iter()
        .map(|(account, deletions)| {
            (
                account.to_owned(),
                Arc::new(DeletionGate {
                    semaphore: Arc::new(tokio::sync::Semaphore::new(0)),
                    deletions,
                }),
            )
        })
        .collect()
}

/// Adds a deletion's permit when its task ends, however it ends (a panic included), so
/// no create waits forever.
struct OpenOnDrop(Arc<tokio::sync::Semaphore>);

impl Drop for OpenOnDrop {
    fn drop(&mut self) {
        self.0.add_permits(1);
    }
}

/// Executes `plan` through `writer`.
pub async fn apply<W: Writer>(
    plan: &Plan,
    writer: Arc<W>,
    options: &ApplyOptions,
    progress: &dyn ApplyProgress,
) -> ApplyReport {
    let pacer = Arc::new(Pacer::default());
    let gates = deletion_gates(plan);
    let mut tasks = JoinSet::new();
    for (index, target) in plan.targets.iter().enumerate() {
        if target.changes.is_empty() {
            continue;
        }
        let target = target.clone();
        let writer = Arc::clone(&writer);
        let pacer = Arc::clone(&pacer);
        let options = options.clone();
        let gate = gates.get(&target.account_id).cloned();
        tasks.spawn(async move {
            let _opened = match (&gate, target.action) {
                (Some(gate), Action::Create) => {
                    // Dropped at once: the permits go back for the account's other creates.
                    let _ = gate.semaphore.acquire_many(gate.deletions).await;
                    None
                }
                (Some(gate), Action::Delete) => Some(OpenOnDrop(Arc::clone(&gate.semaphore))),
                _ => None,
            };
            let report = run_target(&target, &*writer, &pacer, &options).await;
            (index, report)
        });
    }
    let mut reports = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        // A panicking task is a bug; its target is reported by the gap check below.
        if let Ok((index, report)) = joined {
            progress.target_done(&report);
            reports.push((index, report));
        }
    }
    // Any target whose task died is reported as failed, never silently dropped.
    for (index, target) in plan.targets.iter().enumerate() {
        if !target.changes.is_empty() && !reports.iter().any(|(i, _)| *i == index) {
            let report = TargetReport {
                account_id: target.account_id.clone(),
                account_name: target.account_name.clone(),
                region: target.region.clone(),
                trail: target.trail.clone(),
                action: target.action,
                status: TargetStatus::Failed,
                calls: vec![CallReport {
                    operation: "apply".to_owned(),
                    outcome: CallOutcome::Failed {
                        code: "InternalError".to_owned(),
                        message: "the task applying this target stopped unexpectedly".to_owned(),
                    },
                }],
            };
            progress.target_done(&report);
            reports.push((index, report));
        }
    }
    reports.sort_by_key(|(i, _)| *i);
    let targets: Vec<TargetReport> = reports.into_iter().map(|(_, r)| r).collect();
    let mut summary = ApplySummary::default();
    for t in &targets {
        match t.status {
            TargetStatus::Applied => summary.applied += 1,
            TargetStatus::Skipped => summary.skipped += 1,
            TargetStatus::Failed => summary.failed += 1,
        }
        summary.calls += t
            .calls
            .iter()
            .filter(|c| {
                matches!(
                    c.outcome,
                    CallOutcome::Done | CallOutcome::Reconciled { .. }
                )
            })
            .count();
    }
    ApplyReport { summary, targets }
}

async fn run_target<W: Writer>(
    target: &TargetPlan,
    writer: &W,
    pacer: &Pacer,
    options: &ApplyOptions,
) -> TargetReport {
    let mut calls = Vec::with_capacity(target.changes.len());
    let mut failed = false;
    let mut skipped = false;
    for change in &target.changes {
        let operation = change.operation();
        if failed {
            calls.push(CallReport {
                operation: operation.to_owned(),
                outcome: CallOutcome::NotAttempted,
            });
            continue;
        }
        if let Some(reason) = needs_allow_delete(target, change) {
            if !options.allow_delete {
                skipped = true;
                calls.push(CallReport {
                    operation: operation.to_owned(),
                    outcome: CallOutcome::Skipped {
                        reason: reason.to_owned(),
                    },
                });
                continue;
            }
        }
        let outcome = write_with_consistency_retry(target, change, writer, pacer, options).await;
        if matches!(outcome, CallOutcome::Failed { .. }) {
            failed = true;
        }
        calls.push(CallReport {
            operation: operation.to_owned(),
            outcome,
        });
    }
    let status = if failed {
        TargetStatus::Failed
    } else if skipped {
        TargetStatus::Skipped
    } else {
        TargetStatus::Applied
    };
    TargetReport {
        account_id: target.account_id.clone(),
        account_name: target.account_name.clone(),
        region: target.region.clone(),
        trail: target.trail.clone(),
        action: target.action,
        status,
        calls,
    }
}

/// One call, retried for a bounded time while AWS says a policy is not visible yet.
async fn write_with_consistency_retry<W: Writer>(
    target: &TargetPlan,
    change: &Change,
    writer: &W,
    pacer: &Pacer,
    options: &ApplyOptions,
) -> CallOutcome {
    let deadline = Instant::now() + options.consistency_timeout;
    let mut backoff = Duration::from_secs(2);
    loop {
        pacer
            .wait(
                &target.account_id,
                &target.region,
                change.operation(),
                options.write_interval,
            )
            .await;
        match writer.write(target, change).await {
            Ok(outcome) => return outcome,
            Err(e) if NOT_YET_VISIBLE.contains(&e.code.as_str()) && Instant::now() < deadline => {
                tokio::time::sleep(backoff.min(deadline.saturating_duration_since(Instant::now())))
                    .await;
                backoff = (backoff * 2).min(Duration::from_secs(15));
            }
            Err(e) => {
                return CallOutcome::Failed {
                    code: e.code,
                    message: e.message,
                }
            }
        }
    }
}

/// The account whose credentials make a target's calls.
///
/// An organization trail belongs to the management account, but its calls are made
/// from the account trailform runs as (the management account, or a delegated
/// administrator for CloudTrail) and address the trail by ARN: this is what lets a
/// delegated administrator manage it (design.md §3). Account trails are called in
/// their own account through the member role.
#[must_use]
pub fn calling_account<'a>(target: &'a TargetPlan, caller_account_id: &'a str) -> &'a str {
    match target.scope {
        Scope::Organization => caller_account_id,
        Scope::Account => &target.account_id,
    }
}

/// The parameters of CreateTrail / UpdateTrail for a planned configuration.
#[must_use]
pub fn trail_params(config: &TrailConfig) -> TrailParams {
    TrailParams {
        name: config.name.clone(),
        s3_bucket: config.s3_bucket.clone(),
        s3_key_prefix: config.s3_key_prefix.clone(),
        sns_topic: config.sns_topic.clone(),
        kms_key_id: config.kms_key_id.clone(),
        // CloudTrail wants the log group ARN with its log-stream wildcard.
        cloudwatch_logs: config.cloudwatch_logs.as_ref().map(|c| {
            let group = if c.log_group_arn.ends_with(":*") {
                c.log_group_arn.clone()
            } else {
                format!("{}:*", c.log_group_arn)
            };
            (group, c.role_arn.clone())
        }),
        multi_region: config.multi_region,
        organization_trail: config.organization_trail,
        global_service_events: config.global_service_events,
        log_file_validation: config.log_file_validation,
    }
}

/// The real [`Writer`]: CloudTrail through the AWS context.
#[derive(Debug, Clone)]
pub struct AwsWriter {
    ctx: AwsContext,
    access: MemberAccess,
    caller_account_id: String,
}

impl AwsWriter {
    /// A writer that calls member accounts through `access` and organization trails
    /// from `caller_account_id`.
    #[must_use]
    pub fn new(ctx: AwsContext, access: MemberAccess, caller_account_id: String) -> Self {
        Self {
            ctx,
            access,
            caller_account_id,
        }
    }

    async fn client(&self, target: &TargetPlan) -> Result<TrailClient, AwsError> {
        let account = calling_account(target, &self.caller_account_id);
        self.ctx
            .trail_client(account, &target.region, &self.access)
            .await
    }
}

impl Writer for AwsWriter {
    async fn write(&self, target: &TargetPlan, change: &Change) -> Result<CallOutcome, AwsError> {
        let client = self.client(target).await?;
        match change {
            Change::CreateTrail { config, tags } => {
                let params = trail_params(config);
                match client.create_trail(&params, tags).await {
                    Ok(_) => Ok(CallOutcome::Done),
                    Err(e) if e.code == "TrailAlreadyExistsException" => {
                        client.update_trail(&target.arn, &params).await?;
                        if !tags.is_empty() {
                            client.add_tags(&target.arn, tags).await?;
                        }
                        Ok(CallOutcome::Reconciled {
                            note: "the trail already existed (an earlier answer was lost or \
                                   another run created it); updated it to the plan"
                                .to_owned(),
                        })
                    }
                    Err(e) => Err(e),
                }
            }
            Change::UpdateTrail { arn, config, .. } => client
                .update_trail(arn, &trail_params(config))
                .await
                .map(|()| CallOutcome::Done),
            Change::PutEventSelectors { arn, selectors } => {
                let put = match selectors {
                    DesiredSelectors::Classic(s) => PutSelectors::Classic(s),
                    DesiredSelectors::Advanced(s) => PutSelectors::Advanced(s),
                };
                client
                    .put_event_selectors(arn, put)
                    .await
                    .map(|()| CallOutcome::Done)
            }
            Change::PutInsightSelectors { arn, insights } => {
                let types: Vec<InsightType> = insights
                    .iter()
                    .filter_map(|i| InsightType::from_api_name(i))
                    .collect();
                client
                    .put_insight_selectors(arn, &types)
                    .await
                    .map(|()| CallOutcome::Done)
            }
            Change::AddTags { arn, tags } => {
                client.add_tags(arn, tags).await.map(|()| CallOutcome::Done)
            }
            Change::RemoveTags { arn, keys } => client
                .remove_tags(arn, keys)
                .await
                .map(|()| CallOutcome::Done),
            Change::StartLogging { arn } => {
                client.start_logging(arn).await.map(|()| CallOutcome::Done)
            }
            Change::StopLogging { arn } => {
                client.stop_logging(arn).await.map(|()| CallOutcome::Done)
            }
            Change::DeleteTrail { arn } => match client.delete_trail(arn).await {
                Ok(()) => Ok(CallOutcome::Done),
                Err(e) if e.is_trail_not_found() => Ok(CallOutcome::Reconciled {
                    note: "the trail was already gone".to_owned(),
                }),
                Err(e) => Err(e),
            },
        }
    }
}

#[cfg(test)]
mod tests;
