//! `trailform import`: a spec that describes the live trails as they are.
//!
//! [`import`] is pure: it turns a [`LiveState`] read with every trail's details into a
//! [`Spec`] (and [`render_yaml`] into commented YAML) such that `plan` against that
//! spec shows no change. This module owns the choices that takes:
//!
//! - an organization trail becomes a `scope: organization` entry;
//! - account trails are grouped by name and by their configuration with the account id
//!   (and, for single-region trails, the region) in the bucket, key prefix and tag
//!   values replaced by `{account_id}` / `{region}`, and an SNS topic in the trail's own
//!   account and region written as its name. Each group becomes one entry targeting its
//!   accounts (`targets.accounts`) in its regions (`regions`, or `multi_region` +
//!   `home_region`);
//! - a spec key is the trail name, so when one name has several configurations (or
//!   several region sets), the group with the most trail instances gets the key and the
//!   others are listed in a comment as left out (`plan` then reports them as unmanaged
//!   trails, not as changes);
//! - selectors in the shortest form that compiles back to what is live: nothing (the AWS
//!   default), then the `management_events` / `data_events` shorthand, else the raw
//!   `advanced_event_selectors`. Each candidate is checked with the same canonical
//!   comparison `plan` uses.
//!
//! It does no I/O and knows no SDK type.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use indexmap::IndexMap;

use crate::live::{LiveState, LiveTrail};
use crate::normalize::{self, canonical_sns, CanonicalSelectors, CanonicalTrail};
use crate::spec::{
    CloudWatchLogs, DataEvent, InsightType, ManagementEvents, OrganizationSpec, ReadWrite, Scope,
    Spec, Targets, TrailSpec, UnmanagedTrails,
};

/// What `import` produced: the spec and where each entry came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The spec.
    pub spec: Spec,
    /// Per trail key: comment lines describing where the entry came from.
    pub origins: BTreeMap<String, Vec<String>>,
    /// Trails left out, one line each (rendered as comments at the end).
    pub left_out: Vec<String>,
}

/// Options of [`import`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// The regions that were read: `organization.regions` of the spec.
    pub regions: Vec<String>,
    /// `organization.member_role` (default role when `None`).
    pub member_role: Option<String>,
    /// `organization.external_id`.
    pub external_id: Option<String>,
}

/// One live trail instance generalized: the grouping key and where it is.
struct Instance<'a> {
    general: CanonicalTrail,
    account: &'a str,
    region: &'a str,
}

fn template(value: &str, account: &str, region: Option<&str>) -> String {
    let mut v = value.replace(account, "{account_id}");
    if let Some(r) = region {
        v = v.replace(r, "{region}");
    }
    v
}

fn partition_of(arn: &str) -> &str {
    arn.split(':')
        .nth(1)
        .filter(|p| !p.is_empty())
        .unwrap_or("aws")
}

/// The canonical trail with what varies per account (and region) turned into templates.
fn generalize(c: &CanonicalTrail) -> CanonicalTrail {
    let account = c.account_id.as_str();
    let region = (!c.multi_region).then_some(c.home_region.as_str());
    let partition = partition_of(&c.arn);
    let sns = c.sns_topic.as_ref().map(|arn| {
        let name = arn.rsplit(':').next().unwrap_or(arn);
        if canonical_sns(name, partition, &c.home_region, account) == *arn {
            name.to_owned()
        } else {
            arn.clone()
        }
    });
    CanonicalTrail {
        account_id: String::new(),
        arn: String::new(),
        home_region: if c.multi_region {
            c.home_region.clone()
        } else {
            String::new()
        },
        s3_bucket: template(&c.s3_bucket, account, region),
        s3_key_prefix: c
            .s3_key_prefix
            .as_deref()
            .map(|p| template(p, account, region)),
        sns_topic: sns,
        tags: c
            .tags
            .iter()
            .map(|(k, v)| (k.clone(), template(v, account, region)))
            .collect(),
        ..c.clone()
    }
}

/// A trail spec with every selector field empty.
fn base_spec(c: &CanonicalTrail, scope: Scope) -> TrailSpec {
    TrailSpec {
        scope,
        targets: None,
        regions: None,
        home_region: None,
        multi_region: None,
        s3_bucket: c.s3_bucket.clone(),
        s3_key_prefix: c.s3_key_prefix.clone(),
        kms_key_id: c.kms_key_id.clone(),
        sns_topic: c.sns_topic.clone(),
        cloudwatch_logs: c.cloudwatch_logs.as_ref().map(|l| CloudWatchLogs {
            log_group_arn: l.log_group_arn.clone(),
            role_arn: l.role_arn.clone(),
        }),
        global_service_events: (!c.global_service_events).then_some(false),
        log_file_validation: c.log_file_validation.then_some(true),
        logging: (!c.logging).then_some(false),
        management_events: None,
        data_events: None,
        advanced_event_selectors: None,
        event_selectors: None,
        insights: {
            let i: Vec<InsightType> = c
                .insights
                .iter()
                .filter_map(|n| InsightType::from_api_name(n))
                .collect();
            (!i.is_empty()).then_some(i)
        },
        tags: (!c.tags.is_empty()).then(|| c.tags.clone()),
    }
}

/// The shorthand that should compile to `live`, if its selectors have the shapes the
/// shorthand produces (checked by the caller).
fn shorthand(live: &CanonicalSelectors) -> Option<(Option<ManagementEvents>, Vec<DataEvent>)> {
    let mut management = None;
    let mut data = Vec::new();
    for s in &live.0 {
        let field = |name: &str| s.fields.iter().find(|f| f.field == name);
        let category = field("eventCategory")?;
        let read_only = match field("readOnly") {
            None => None,
            Some(f) if f.equals.len() == 1 && f.equals.contains("true") => Some(true),
            Some(f) if f.equals.len() == 1 && f.equals.contains("false") => Some(false),
            Some(_) => return None,
        };
        if category.equals.len() == 1 && category.equals.contains("Management") {
            if management.is_some()
                || s.fields.iter().any(|f| {
                    !matches!(
                        f.field.as_str(),
                        "eventCategory" | "readOnly" | "eventSource"
                    )
                })
            {
                return None;
            }
            let exclude_sources = field("eventSource")
                .map(|f| f.not_equals.iter().cloned().collect())
                .unwrap_or_default();
            management = Some(ManagementEvents {
                read_write: match read_only {
                    None => ReadWrite::All,
                    Some(true) => ReadWrite::ReadOnly,
                    Some(false) => ReadWrite::WriteOnly,
                },
                exclude_sources,
            });
        } else if category.equals.len() == 1 && category.equals.contains("Data") {
            let kind = field("resources.type")?;
            let resource_type = kind
                .equals
                .iter()
                .next()
                .filter(|_| kind.equals.len() == 1)?;
            if s.fields.iter().any(|f| {
                !matches!(
                    f.field.as_str(),
                    "eventCategory" | "readOnly" | "resources.type" | "resources.ARN"
                )
            }) {
                return None;
            }
            let arn = field("resources.ARN");
            data.push(DataEvent {
                name: s.name.clone(),
                resource_type: resource_type.clone(),
                read_only,
                arn_starts_with: arn
                    .map(|f| f.starts_with.iter().cloned().collect())
                    .unwrap_or_default(),
                arn_not_starts_with: arn
                    .map(|f| f.not_starts_with.iter().cloned().collect())
                    .unwrap_or_default(),
            });
        } else {
            return None;
        }
    }
    Some((management, data))
}

/// Fills the selector fields of `spec` with the shortest form that `plan` finds equal
/// to `live`.
fn set_selectors(spec: &mut TrailSpec, live: &CanonicalSelectors) {
    let fits = |s: &TrailSpec| normalize::desired_selectors(s).satisfied_by(live);
    if fits(spec) {
        return;
    }
    if let Some((management, data)) = shorthand(live) {
        let mut candidate = spec.clone();
        candidate.management_events = Some(management.unwrap_or(ManagementEvents {
            read_write: ReadWrite::None,
            exclude_sources: Vec::new(),
        }));
        if candidate
            .management_events
            .as_ref()
            .is_some_and(|m| m.read_write == ReadWrite::All && m.exclude_sources.is_empty())
        {
            candidate.management_events = None;
        }
        candidate.data_events = (!data.is_empty()).then_some(data);
        if fits(&candidate) {
            *spec = candidate;
            return;
        }
    }
    spec.advanced_event_selectors = Some(live.to_advanced());
}

fn join(items: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    items
        .into_iter()
        .map(|s| s.as_ref().to_owned())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Builds the spec describing `live` (read with every trail's details).
#[must_use]
pub fn import(live: &LiveState, options: &ImportOptions) -> Imported {
    let management = live.org.management_account_id.as_str();
    let mut trails: IndexMap<String, TrailSpec> = IndexMap::new();
    let mut origins: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut left_out = Vec::new();
    let mut regions: BTreeSet<String> = options.regions.iter().cloned().collect();

    let mut seen_arns = BTreeSet::new();
    let mut by_name: BTreeMap<&str, Vec<Instance<'_>>> = BTreeMap::new();
    let mut org_trails: Vec<(&LiveTrail, CanonicalTrail)> = Vec::new();
    for lt in &live.trails {
        if !seen_arns.insert(lt.arn.as_str()) {
            continue;
        }
        let Ok(c) = normalize::live(lt) else {
            left_out.push(format!(
                "{} ({} {}): details could not be read",
                lt.name, lt.account_id, lt.home_region
            ));
            continue;
        };
        if lt.organization_trail {
            org_trails.push((lt, c));
        } else {
            by_name.entry(lt.name.as_str()).or_default().push(Instance {
                general: generalize(&c),
                account: &lt.account_id,
                region: &lt.home_region,
            });
        }
    }

    for (lt, c) in org_trails {
        if trails.contains_key(&lt.name) {
            left_out.push(format!(
                "organization trail {} in {} {}: another organization trail has this name",
                lt.name, lt.account_id, lt.home_region
            ));
            continue;
        }
        let mut spec = base_spec(&c, Scope::Organization);
        spec.home_region = Some(c.home_region.clone());
        spec.multi_region = Some(c.multi_region);
        set_selectors(&mut spec, &c.selectors);
        regions.insert(c.home_region.clone());
        origins.insert(
            lt.name.clone(),
            vec![format!(
                "organization trail of account {} in {}",
                lt.account_id, lt.home_region
            )],
        );
        trails.insert(lt.name.clone(), spec);
    }

    for (name, instances) in by_name {
        // configuration → account → regions
        let mut groups: BTreeMap<&CanonicalTrail, BTreeMap<&str, BTreeSet<&str>>> = BTreeMap::new();
        for i in &instances {
            groups
                .entry(&i.general)
                .or_default()
                .entry(i.account)
                .or_default()
                .insert(i.region);
        }
        // (configuration, region set) → accounts
        let mut entries: Vec<(&CanonicalTrail, BTreeSet<&str>, BTreeSet<&str>)> = Vec::new();
        for (general, accounts) in &groups {
            let mut by_regions: BTreeMap<&BTreeSet<&str>, BTreeSet<&str>> = BTreeMap::new();
            for (account, rs) in accounts {
                by_regions.entry(rs).or_default().insert(account);
            }
            for (rs, accounts) in by_regions {
                entries.push((general, rs.clone(), accounts));
            }
        }
        // Most instances first; ties keep the deterministic order above.
        entries.sort_by_key(|(_, rs, accounts)| std::cmp::Reverse(rs.len() * accounts.len()));
        let mut entries = entries.into_iter();
        let Some((general, rs, accounts)) = entries.next() else {
            continue;
        };
        if trails.contains_key(name) {
            left_out.push(format!(
                "account trail {name} in {} (regions {}): an organization trail has this name",
                join(&accounts),
                join(&rs)
            ));
        } else {
            let mut spec = base_spec(general, Scope::Account);
            spec.targets = Some(Targets {
                accounts: accounts.iter().map(|a| (*a).to_owned()).collect(),
                include_management_account: accounts.contains(management),
                ..Targets::default()
            });
            if general.multi_region {
                spec.multi_region = Some(true);
                spec.home_region = Some(general.home_region.clone());
                regions.insert(general.home_region.clone());
            } else {
                spec.regions = Some(rs.iter().map(|r| (*r).to_owned()).collect());
                regions.extend(rs.iter().map(|r| (*r).to_owned()));
            }
            set_selectors(&mut spec, &general.selectors);
            origins.insert(
                name.to_owned(),
                vec![format!(
                    "account trail found in {} account(s) ({}), region(s) {}",
                    accounts.len(),
                    join(&accounts),
                    join(&rs)
                )],
            );
            trails.insert(name.to_owned(), spec);
        }
        for (_, rs, accounts) in entries {
            left_out.push(format!(
                "account trail {name} in {} (region(s) {}): its configuration or regions differ from the `{name}` entry, and a spec key is the trail name",
                join(&accounts),
                join(&rs)
            ));
        }
    }

    let spec = Spec {
        version: 1,
        organization: OrganizationSpec {
            regions: regions.into_iter().collect(),
            member_role: options
                .member_role
                .clone()
                .unwrap_or_else(|| OrganizationSpec::default().member_role),
            external_id: options.external_id.clone(),
            ..OrganizationSpec::default()
        },
        unmanaged_trails: UnmanagedTrails::Report,
        trails,
    };
    Imported {
        spec,
        origins,
        left_out,
    }
}

fn indented(yaml: &str, prefix: &str) -> String {
    let mut out = String::new();
    for line in yaml.lines() {
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{prefix}{line}");
        }
    }
    out
}

/// The spec as YAML with a header and a comment on each entry saying where it came from.
///
/// # Errors
/// When a part cannot be serialized (it always can: these are plain data).
pub fn render_yaml(imported: &Imported, header: &[String]) -> Result<String, serde_yaml::Error> {
    let mut out = String::new();
    for line in header {
        let _ = writeln!(out, "# {line}");
    }
    out.push_str("version: 1\n\norganization:\n");
    out.push_str(&indented(
        &serde_yaml::to_string(&imported.spec.organization)?,
        "  ",
    ));
    out.push_str("\nunmanaged_trails: report\n\n");
    if imported.spec.trails.is_empty() {
        out.push_str("trails: {}\n");
    } else {
        out.push_str("trails:\n");
    }
    for (name, trail) in &imported.spec.trails {
        for line in imported.origins.get(name).into_iter().flatten() {
            let _ = writeln!(out, "  # {line}");
        }
        let key = serde_yaml::to_string(name)?;
        let _ = writeln!(out, "  {}:", key.trim_end());
        out.push_str(&indented(&serde_yaml::to_string(trail)?, "    "));
        out.push('\n');
    }
    if !imported.left_out.is_empty() {
        out.push_str("# Left out (plan reports these as unmanaged trails):\n");
        for line in &imported.left_out {
            let _ = writeln!(out, "#   {line}");
        }
    }
    Ok(out)
}
