//! The drift report: what `trailform drift` tells an auditor.
//!
//! A [`DriftReport`] is computed by the pure [`audit`] from the plan (every difference
//! from the spec, exactly as `plan` sees it), the live state (trail status from
//! GetTrailStatus, which accounts have trails) and the spec (which accounts it means to
//! cover). It is serializable (versioned JSON, `schemas/drift.schema.json`) and rendered
//! by [`render_human`], [`render_json`] and [`render_markdown`]. This module does no
//! I/O, knows no SDK type, and never decides what `apply` does: the plan does.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::live::{AccountStatus, LiveState, LiveTrail, ReadFailure};
use crate::org::Narrowing;
use crate::plan::{Action, Change, Plan, WarningKind};
use crate::spec::{Scope, Spec};

/// The drift report format version; bumped on any incompatible change of the JSON shape.
pub const DRIFT_FORMAT_VERSION: u32 = 1;

/// Everything `drift` found. Deterministic: the same inputs give the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "trailform drift report")]
pub struct DriftReport {
    /// Report format version, 1.
    pub format_version: u32,
    /// `sha256:<hex>` of the spec's canonical JSON (as in the plan).
    pub spec_fingerprint: String,
    /// True when nothing was found and everything targeted could be read.
    pub clean: bool,
    /// Counts per kind of finding.
    pub summary: DriftSummary,
    /// Every finding, sorted by account, region, trail, kind.
    pub findings: Vec<Finding>,
    /// Status of every targeted trail that exists (GetTrailStatus), sorted by account,
    /// region, trail.
    pub trails: Vec<TrailAudit>,
    /// What could not be read (also a finding each).
    pub unreadable: Vec<ReadFailure>,
}

/// Counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DriftSummary {
    /// Targeted trails that match the spec.
    pub in_sync: usize,
    /// Findings of each kind, in [`FindingKind`] order (kinds with none left out).
    pub findings: std::collections::BTreeMap<FindingKind, usize>,
}

/// Kinds of findings.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A trail the spec wants does not exist.
    MissingTrail,
    /// A trail the spec wants has stopped logging.
    LoggingStopped,
    /// A trail differs from the spec (attributes, selectors, insights, tags, logging
    /// turned on against the spec).
    TrailDiffers,
    /// GetTrailStatus reports a delivery error.
    DeliveryError,
    /// A trail no spec entry describes.
    UnmanagedTrail,
    /// An active account no trail covers: no organization trail, none of its own, and
    /// the spec does not target it.
    UncoveredAccount,
    /// An account, region or trail could not be read.
    Unreadable,
}

impl FindingKind {
    /// Short human label.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::MissingTrail => "missing trail",
            Self::LoggingStopped => "logging stopped",
            Self::TrailDiffers => "differs from spec",
            Self::DeliveryError => "delivery error",
            Self::UnmanagedTrail => "unmanaged trail",
            Self::UncoveredAccount => "uncovered account",
            Self::Unreadable => "could not be read",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// Account concerned (empty for the organization itself).
    pub account_id: String,
    /// Region concerned, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Trail concerned, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trail: Option<String>,
    /// What kind of finding.
    pub kind: FindingKind,
    /// What differs, one item each: attribute names (`s3_key_prefix`), `event_selectors`,
    /// `insights`, `tags`, `logging`; empty for other kinds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<String>,
    /// Human explanation.
    pub message: String,
}

/// What GetTrailStatus says about one targeted trail.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct TrailAudit {
    /// Owning account.
    pub account_id: String,
    /// Home region.
    pub region: String,
    /// Trail name.
    pub trail: String,
    /// Logging on.
    pub is_logging: bool,
    /// Latest S3 delivery, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_delivery_time: Option<String>,
    /// Latest delivery errors, as `<channel>: <error>` (s3, sns, cloudwatch_logs, digest).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delivery_errors: Vec<String>,
}

/// What the auditor is told beyond the plan needs from the command line.
#[derive(Debug, Clone, Default)]
pub struct AuditOptions {
    /// `--accounts` / `--regions`: accounts outside are not reported as uncovered.
    pub narrow: Narrowing,
}

fn live_trail<'a>(
    live: &'a LiveState,
    account: &str,
    region: &str,
    name: &str,
) -> Option<&'a LiveTrail> {
    live.trails
        .iter()
        .find(|t| t.account_id == account && t.home_region == region && t.name == name)
}

fn delivery_errors(trail: &LiveTrail) -> Vec<String> {
    let Some(d) = &trail.details else {
        return Vec::new();
    };
    let s = &d.status;
    [
        ("s3", &s.latest_delivery_error),
        ("sns", &s.latest_notification_error),
        ("cloudwatch_logs", &s.latest_cloudwatch_logs_delivery_error),
        ("digest", &s.latest_digest_delivery_error),
    ]
    .into_iter()
    .filter_map(|(channel, e)| {
        e.as_deref()
            .filter(|e| !e.is_empty())
            .map(|e| format!("{channel}: {e}"))
    })
    .collect()
}

/// The differences a plan target's changes stand for (logging stopped is its own finding).
fn differences(changes: &[Change]) -> (Vec<String>, bool) {
    let mut out = Vec::new();
    let mut stopped = false;
    for c in changes {
        match c {
            Change::UpdateTrail { attributes, .. } => {
                out.extend(attributes.iter().map(|a| a.attribute.clone()));
            }
            Change::PutEventSelectors { .. } => out.push("event_selectors".to_owned()),
            Change::PutInsightSelectors { .. } => out.push("insights".to_owned()),
            Change::AddTags { .. } | Change::RemoveTags { .. } => {
                if !out.iter().any(|d| d == "tags") {
                    out.push("tags".to_owned());
                }
            }
            Change::StartLogging { .. } => stopped = true,
            Change::StopLogging { .. } => out.push("logging".to_owned()),
            Change::CreateTrail { .. } | Change::DeleteTrail { .. } => {}
        }
    }
    (out, stopped)
}

fn failure_finding(f: &ReadFailure) -> Finding {
    Finding {
        account_id: f.account_id.clone(),
        region: f.region.clone(),
        trail: f.trail.clone(),
        kind: FindingKind::Unreadable,
        differences: Vec::new(),
        message: match &f.ou {
            None => format!("{}: {}: {}", f.operation, f.code, f.message),
            Some(ou) => format!(
                "listing {ou}: {}: {}: {} (accounts under {ou} may be missing)",
                f.operation, f.code, f.message
            ),
        },
    }
}

/// Audits the organization: the plan's differences, trail status, unmanaged trails,
/// uncovered accounts and read failures.
#[must_use]
pub fn audit(spec: &Spec, plan: &Plan, live: &LiveState, options: &AuditOptions) -> DriftReport {
    let mut findings = Vec::new();
    let mut trails = Vec::new();
    let mut in_sync = 0;
    for t in &plan.targets {
        let region = Some(t.region.clone());
        let trail = Some(t.trail.clone());
        let finding = |kind, differences, message: String| Finding {
            account_id: t.account_id.clone(),
            region: region.clone(),
            trail: trail.clone(),
            kind,
            differences,
            message,
        };
        match t.action {
            Action::Create => findings.push(finding(
                FindingKind::MissingTrail,
                Vec::new(),
                "the spec wants this trail and it does not exist".to_owned(),
            )),
            Action::Delete => findings.push(finding(
                FindingKind::UnmanagedTrail,
                Vec::new(),
                "no spec entry describes this trail (unmanaged_trails: delete)".to_owned(),
            )),
            Action::Update => {
                let (diffs, stopped) = differences(&t.changes);
                if stopped {
                    findings.push(finding(
                        FindingKind::LoggingStopped,
                        vec!["logging".to_owned()],
                        "logging is off; the spec wants it on".to_owned(),
                    ));
                }
                if !diffs.is_empty() {
                    let described: Vec<&str> = diffs
                        .iter()
                        .map(|d| match d.as_str() {
                            "logging" => "logging (on; the spec wants it off)",
                            other => other,
                        })
                        .collect();
                    let message = format!("differs from the spec: {}", described.join(", "));
                    findings.push(finding(FindingKind::TrailDiffers, diffs, message));
                }
            }
            Action::NoOp => in_sync += 1,
        }
        if t.action == Action::Create || t.action == Action::Delete {
            continue;
        }
        if let Some(lt) = live_trail(live, &t.account_id, &t.region, &t.trail) {
            let errors = delivery_errors(lt);
            if !errors.is_empty() {
                let message = format!("latest delivery error: {}", errors.join("; "));
                findings.push(finding(FindingKind::DeliveryError, Vec::new(), message));
            }
            if let Some(d) = &lt.details {
                trails.push(TrailAudit {
                    account_id: t.account_id.clone(),
                    region: t.region.clone(),
                    trail: t.trail.clone(),
                    is_logging: d.status.is_logging,
                    latest_delivery_time: d.status.latest_delivery_time.clone(),
                    delivery_errors: errors,
                });
            }
        }
    }
    for w in &plan.warnings {
        if w.kind == WarningKind::UnmanagedTrail {
            findings.push(Finding {
                account_id: w.account_id.clone().unwrap_or_default(),
                region: w.region.clone(),
                trail: w.trail.clone(),
                kind: FindingKind::UnmanagedTrail,
                differences: Vec::new(),
                message: w.message.clone(),
            });
        }
    }
    findings.extend(uncovered_accounts(spec, plan, live, options));
    findings.extend(live.failures.iter().map(failure_finding));
    findings.sort();
    findings.dedup();
    trails.sort();
    let mut summary = DriftSummary {
        in_sync,
        ..DriftSummary::default()
    };
    for f in &findings {
        *summary.findings.entry(f.kind).or_default() += 1;
    }
    DriftReport {
        format_version: DRIFT_FORMAT_VERSION,
        spec_fingerprint: plan.spec_fingerprint.clone(),
        clean: findings.is_empty(),
        summary,
        findings,
        trails,
        unreadable: live.failures.clone(),
    }
}

/// Active accounts (not excluded, inside `--accounts`) with no organization trail in
/// the organization, no trail of their own in the regions read, and no spec target.
fn uncovered_accounts(
    spec: &Spec,
    plan: &Plan,
    live: &LiveState,
    options: &AuditOptions,
) -> Vec<Finding> {
    // Unmanaged trails are read from DescribeTrails alone (no status): they count as
    // logging, so an account is only called uncovered when nothing could cover it.
    let logging = |t: &LiveTrail| t.details.as_ref().is_none_or(|d| d.status.is_logging);
    let org_trail = live
        .trails
        .iter()
        .any(|t| t.organization_trail && logging(t));
    if org_trail {
        return Vec::new();
    }
    let has_own: BTreeSet<&str> = live
        .trails
        .iter()
        .filter(|t| logging(t))
        .map(|t| t.account_id.as_str())
        .collect();
    let targeted: BTreeSet<&str> = plan
        .targets
        .iter()
        .filter(|t| t.action != Action::Delete)
        .map(|t| t.account_id.as_str())
        .collect();
    let org_scope_planned = plan
        .targets
        .iter()
        .any(|t| t.scope == Scope::Organization && t.action != Action::Delete);
    let failed: BTreeSet<&str> = live
        .failures
        .iter()
        .map(|f| f.account_id.as_str())
        .collect();
    live.org
        .accounts
        .iter()
        .filter(|a| a.status == AccountStatus::Active)
        .filter(|a| !spec.organization.exclude_accounts.contains(&a.id))
        .filter(|a| {
            options
                .narrow
                .accounts
                .as_ref()
                .is_none_or(|only| only.contains(&a.id))
        })
        .filter(|a| !has_own.contains(a.id.as_str()) && !failed.contains(a.id.as_str()))
        .filter(|a| !targeted.contains(a.id.as_str()) && !org_scope_planned)
        .map(|a| Finding {
            account_id: a.id.clone(),
            region: None,
            trail: None,
            kind: FindingKind::UncoveredAccount,
            differences: Vec::new(),
            message: format!(
                "account {} ({}) has no trail of its own, no organization trail covers it, and no spec entry targets it",
                a.id, a.name
            ),
        })
        .collect()
}

/// The JSON Schema of [`DriftReport`] (what `schemas/drift.schema.json` holds).
#[must_use]
pub fn drift_schema() -> serde_json::Value {
    schemars::schema_for!(DriftReport).to_value()
}

/// The report as pretty JSON, newline-terminated.
#[must_use]
pub fn render_json(report: &DriftReport) -> String {
    let mut s = serde_json::to_string_pretty(report).unwrap_or_else(|_| "{}".to_owned());
    s.push('\n');
    s
}

fn place(f: &Finding) -> String {
    let mut p = if f.account_id.is_empty() {
        "organization".to_owned()
    } else {
        f.account_id.clone()
    };
    if let Some(r) = &f.region {
        let _ = write!(p, " {r}");
    }
    if let Some(t) = &f.trail {
        let _ = write!(p, " {t}");
    }
    p
}

fn summary_line(report: &DriftReport) -> String {
    if report.clean {
        return format!(
            "No drift: {} trail(s) match the spec.",
            report.summary.in_sync
        );
    }
    let parts: Vec<String> = report
        .summary
        .findings
        .iter()
        .map(|(k, n)| format!("{n} {}", k.label()))
        .collect();
    format!(
        "Drift: {}; {} trail(s) in sync.",
        parts.join(", "),
        report.summary.in_sync
    )
}

/// Human report: one line per finding, then trail status.
#[must_use]
pub fn render_human(report: &DriftReport) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let _ = writeln!(out, "! {:<18} {}: {}", f.kind.label(), place(f), f.message);
    }
    if !report.findings.is_empty() {
        out.push('\n');
    }
    if !report.trails.is_empty() {
        out.push_str("Trail status:\n");
        for t in &report.trails {
            let _ = writeln!(
                out,
                "  {} {} {}: {}, last delivery {}{}",
                t.account_id,
                t.region,
                t.trail,
                if t.is_logging {
                    "logging"
                } else {
                    "NOT logging"
                },
                t.latest_delivery_time.as_deref().unwrap_or("never"),
                if t.delivery_errors.is_empty() {
                    String::new()
                } else {
                    format!(", errors: {}", t.delivery_errors.join("; "))
                }
            );
        }
        out.push('\n');
    }
    out.push_str(&summary_line(report));
    out.push('\n');
    out
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Markdown report for a CI comment.
#[must_use]
pub fn render_markdown(report: &DriftReport) -> String {
    let mut out = String::from("### trailform drift\n\n");
    let _ = writeln!(out, "**{}**\n", summary_line(report));
    if !report.findings.is_empty() {
        out.push_str("| Finding | Account | Region | Trail | Detail |\n|---|---|---|---|---|\n");
        for f in &report.findings {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                f.kind.label(),
                md_cell(&f.account_id),
                md_cell(f.region.as_deref().unwrap_or("")),
                md_cell(f.trail.as_deref().unwrap_or("")),
                md_cell(&f.message)
            );
        }
        out.push('\n');
    }
    if !report.trails.is_empty() {
        out.push_str("<details>\n<summary>Trail status</summary>\n\n");
        out.push_str("| Account | Region | Trail | Logging | Last delivery | Errors |\n|---|---|---|---|---|---|\n");
        for t in &report.trails {
            let _ = writeln!(
                out,
                "| {} | {} | `{}` | {} | {} | {} |",
                t.account_id,
                t.region,
                md_cell(&t.trail),
                if t.is_logging { "yes" } else { "**no**" },
                t.latest_delivery_time.as_deref().unwrap_or("never"),
                md_cell(&t.delivery_errors.join("; "))
            );
        }
        out.push_str("\n</details>\n");
    }
    out
}
