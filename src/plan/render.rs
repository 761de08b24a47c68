//! The three views of one [`Plan`] value: human (terminal), JSON (the stable shape of
//! `schemas/plan.schema.json`) and Markdown (a pull-request comment).
//!
//! Renderers only format: they never re-decide anything the diff decided, and they
//! do not print (the caller owns stdout, colour detection and `--no-color`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use similar::TextDiff;

use crate::live::ReadFailure;
use crate::normalize::{CanonicalTrail, DesiredSelectors};
use crate::plan::{Action, Change, Plan, Summary, TargetPlan, Warning};
use crate::spec::Scope;

const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const CYAN: &str = "\x1b[36m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("{code}{text}{RESET}")
    } else {
        text.to_owned()
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "Plan: 2 to create, 1 to update, 0 to delete; 40 accounts unchanged." or the
/// no-change sentence.
fn summary_line(plan: &Plan) -> String {
    let Summary {
        create,
        update,
        delete,
        unchanged_accounts,
        unreadable_targets,
        ..
    } = plan.summary;
    // What could not be read: targets, else (an Organizations listing failed) reads.
    let unread = if unreadable_targets > 0 {
        Some(format!(
            "{} could not be read",
            plural(unreadable_targets, "target", "targets")
        ))
    } else if plan.unreadable.is_empty() {
        None
    } else {
        Some(format!(
            "{} failed, so the plan may be incomplete",
            plural(plan.unreadable.len(), "read", "reads")
        ))
    };
    match (create + update + delete, unread) {
        (0, None) => "No changes. The organization matches the spec.".to_owned(),
        (0, Some(unread)) => format!("No changes in what could be read; {unread}."),
        (_, unread) => {
            let mut line = format!(
                "Plan: {create} to create, {update} to update, {delete} to delete; {} unchanged",
                plural(unchanged_accounts, "account", "accounts")
            );
            if let Some(unread) = unread {
                let _ = write!(line, "; {unread}");
            }
            line.push('.');
            line
        }
    }
}

fn scope_label(t: &TargetPlan) -> &'static str {
    match (t.action, t.scope) {
        (Action::Delete, Scope::Organization) => "unmanaged organization trail",
        (Action::Delete, Scope::Account) => "unmanaged trail",
        (_, Scope::Organization) => "organization trail",
        (_, Scope::Account) => "account trail",
    }
}

fn action_symbol(action: Action) -> (&'static str, &'static str) {
    match action {
        Action::Create => ("+ create", GREEN),
        Action::Update => ("~ update", YELLOW),
        Action::Delete => ("- delete", RED),
        Action::NoOp => ("  no-op", ""),
    }
}

fn selectors_summary(selectors: &DesiredSelectors) -> String {
    match selectors {
        DesiredSelectors::Classic(s) => plural(s.len(), "classic selector", "classic selectors"),
        DesiredSelectors::Advanced(s) => {
            let names: Vec<&str> = s.iter().filter_map(|s| s.name.as_deref()).collect();
            let mut text = plural(s.len(), "advanced selector", "advanced selectors");
            if !names.is_empty() {
                let _ = write!(text, " ({})", names.join(", "));
            }
            text
        }
    }
}

/// `k=v, k=v`.
fn tags_text(tags: &std::collections::BTreeMap<String, String>) -> String {
    tags.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One line describing a change.
fn change_line(change: &Change) -> String {
    let detail = match change {
        Change::CreateTrail { config, tags } => {
            let mut d = format!("s3://{}", config.s3_bucket);
            if let Some(prefix) = &config.s3_key_prefix {
                let _ = write!(d, "/{prefix}");
            }
            if config.multi_region {
                d.push_str(", multi-region");
            }
            if config.organization_trail {
                d.push_str(", organization");
            }
            if !tags.is_empty() {
                let _ = write!(d, ", tags {}", tags_text(tags));
            }
            d
        }
        Change::UpdateTrail { attributes, .. } => attributes
            .iter()
            .map(|a| a.attribute.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        Change::PutEventSelectors { selectors, .. } => selectors_summary(selectors),
        Change::PutInsightSelectors { insights, .. } => {
            if insights.is_empty() {
                "disable Insights".to_owned()
            } else {
                insights.join(", ")
            }
        }
        Change::AddTags { tags, .. } => tags_text(tags),
        Change::RemoveTags { keys, .. } => keys.join(", "),
        Change::StartLogging { .. } | Change::StopLogging { .. } | Change::DeleteTrail { .. } => {
            String::new()
        }
    };
    if detail.is_empty() {
        change.operation().to_owned()
    } else {
        format!("{}: {detail}", change.operation())
    }
}

fn yaml(trail: Option<&CanonicalTrail>) -> String {
    match trail {
        None => String::new(),
        Some(t) => serde_yaml::to_string(t).unwrap_or_else(|e| format!("# unrenderable: {e}\n")),
    }
}

/// The unified diff of a trail's canonical YAML, live → spec.
fn trail_diff(t: &TargetPlan) -> String {
    let before = yaml(t.before.as_deref());
    let after = yaml(t.after.as_deref());
    TextDiff::from_lines(&before, &after)
        .unified_diff()
        .context_radius(2)
        .header("live", "spec")
        .to_string()
}

fn failure_place(f: &ReadFailure) -> String {
    if let Some(ou) = &f.ou {
        // An Organizations listing: the parent it was listing, and what that costs.
        return format!("listing {ou} (accounts under it may be missing)");
    }
    let mut place = f.account_id.clone();
    match &f.region {
        Some(r) => {
            let _ = write!(place, " {r}");
        }
        None => place.push_str(" (all regions)"),
    }
    if let Some(trail) = &f.trail {
        let _ = write!(place, " {trail}");
    }
    place
}

fn warning_place(w: &Warning) -> String {
    [
        w.account_id.as_deref(),
        w.region.as_deref(),
        w.trail.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ")
}

/// Targets with changes, grouped by account then region (the plan is sorted).
fn grouped(plan: &Plan) -> BTreeMap<(&str, &str), BTreeMap<&str, Vec<&TargetPlan>>> {
    let mut groups: BTreeMap<(&str, &str), BTreeMap<&str, Vec<&TargetPlan>>> = BTreeMap::new();
    for t in plan.targets.iter().filter(|t| !t.changes.is_empty()) {
        groups
            .entry((t.account_id.as_str(), t.account_name.as_str()))
            .or_default()
            .entry(t.region.as_str())
            .or_default()
            .push(t);
    }
    groups
}

fn account_title(account: &str, name: &str) -> String {
    if name.is_empty() {
        account.to_owned()
    } else {
        format!("{account} ({name})")
    }
}

/// The terminal view: changes grouped by account then region, a unified diff of the
/// trail for each update, warnings, unreadable targets, and the summary line. ANSI
/// colour only when `color`.
#[must_use]
pub fn render_human(plan: &Plan, color: bool) -> String {
    let mut out = String::new();
    for ((account, name), regions) in grouped(plan) {
        let _ = writeln!(
            out,
            "{}",
            paint(
                &format!("Account {}", account_title(account, name)),
                BOLD,
                color
            )
        );
        for (region, targets) in regions {
            let _ = writeln!(out, "  {region}");
            for t in targets {
                let (symbol, code) = action_symbol(t.action);
                let _ = writeln!(
                    out,
                    "    {} {} ({})",
                    paint(symbol, code, color),
                    t.trail,
                    scope_label(t)
                );
                for change in &t.changes {
                    let _ = writeln!(out, "        {}", change_line(change));
                }
                if t.action == Action::Update {
                    for line in trail_diff(t).lines() {
                        let code = if line.starts_with("+++") || line.starts_with("---") {
                            BOLD
                        } else if line.starts_with('+') {
                            GREEN
                        } else if line.starts_with('-') {
                            RED
                        } else if line.starts_with("@@") {
                            CYAN
                        } else {
                            ""
                        };
                        let _ = writeln!(
                            out,
                            "        {}",
                            paint(line, code, color && !code.is_empty())
                        );
                    }
                }
            }
        }
        out.push('\n');
    }
    if !plan.warnings.is_empty() {
        let _ = writeln!(out, "{}", paint("Warnings:", YELLOW, color));
        for w in &plan.warnings {
            let kind = serde_json::to_value(w.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let place = warning_place(w);
            if place.is_empty() {
                let _ = writeln!(out, "  ! [{kind}] {}", w.message);
            } else {
                let _ = writeln!(out, "  ! [{kind}] {place}: {}", w.message);
            }
        }
        out.push('\n');
    }
    if !plan.unreadable.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            paint("Could not read (not planned):", RED, color)
        );
        for f in &plan.unreadable {
            let _ = writeln!(
                out,
                "  ? {}: {} failed: {}: {}",
                failure_place(f),
                f.operation,
                f.code,
                f.message
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "{}", paint(&summary_line(plan), BOLD, color));
    out
}

/// The JSON view: the plan's serde form, pretty-printed, with a final newline.
#[must_use]
pub fn render_json(plan: &Plan) -> String {
    let mut out = serde_json::to_string_pretty(plan)
        .unwrap_or_else(|e| format!("{{\"error\": \"plan not serializable: {e}\"}}"));
    out.push('\n');
    out
}

fn md_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn account_counts(regions: &BTreeMap<&str, Vec<&TargetPlan>>) -> String {
    let (mut c, mut u, mut d) = (0, 0, 0);
    for t in regions.values().flatten() {
        match t.action {
            Action::Create => c += 1,
            Action::Update => u += 1,
            Action::Delete => d += 1,
            Action::NoOp => {}
        }
    }
    [(c, "to create"), (u, "to update"), (d, "to delete")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The Markdown view: a compact summary fit for a pull-request comment, one
/// `<details>` block per account with changes.
#[must_use]
pub fn render_markdown(plan: &Plan) -> String {
    let mut out = String::from("### trailform plan\n\n");
    let _ = writeln!(out, "**{}**\n", summary_line(plan));
    for ((account, name), regions) in grouped(plan) {
        let _ = writeln!(
            out,
            "<details>\n<summary><code>{}</code>: {}</summary>\n",
            account_title(account, name),
            account_counts(&regions)
        );
        out.push_str("| Region | Trail | Action | Calls |\n|---|---|---|---|\n");
        let mut diffs = String::new();
        for (region, targets) in &regions {
            for t in targets {
                let (symbol, _) = action_symbol(t.action);
                let calls: Vec<String> = t.changes.iter().map(change_line).collect();
                let _ = writeln!(
                    out,
                    "| {region} | `{}` | {} | {} |",
                    md_cell(&t.trail),
                    symbol.trim_start(),
                    md_cell(&calls.join("; "))
                );
                if t.action == Action::Update {
                    let _ = write!(
                        diffs,
                        "\n`{}` in {region}:\n\n```diff\n{}```\n",
                        md_cell(&t.trail),
                        trail_diff(t)
                    );
                }
            }
        }
        out.push_str(&diffs);
        out.push_str("\n</details>\n\n");
    }
    if !plan.warnings.is_empty() {
        out.push_str("#### Warnings\n\n");
        for w in &plan.warnings {
            let place = warning_place(w);
            let kind = serde_json::to_value(w.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            if place.is_empty() {
                let _ = writeln!(out, "- `{kind}`: {}", w.message);
            } else {
                let _ = writeln!(out, "- `{kind}` {place}: {}", w.message);
            }
        }
        out.push('\n');
    }
    if !plan.unreadable.is_empty() {
        out.push_str("#### Could not read (not planned)\n\n");
        for f in &plan.unreadable {
            let _ = writeln!(
                out,
                "- {}: {} failed: `{}` {}",
                failure_place(f),
                f.operation,
                f.code,
                f.message
            );
        }
        out.push('\n');
    }
    out
}
