//! The rules a spec must follow before any AWS call (design.md §1), and the warnings.
//!
//! Owns judging values: names, ids, regions, selector limits, templates, ARNs, and the
//! cross-trail checks that need no live data (trails per account-region where targets
//! certainly overlap, management events copied twice). Shape errors (unknown keys,
//! wrong types) belong to `parse.rs`; facts about AWS live in `limits.rs`. Must not call
//! AWS or read the live model: checks that need the organization (an OU path that does
//! not exist, the exact trail count per account) belong to target resolution.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::path::Path;

use super::diagnostic::{self, Diagnostic};
use super::limits::{self, AdvancedField};
use super::parse::{join_index, join_key, parse_partial, LoadedSpec};
use super::template::{self, Placeholder, TemplateVars};
use super::types::{
    AdvancedEventSelector, EventSelector, ReadWriteType, Scope, Spec, Targets, TrailSpec,
};

/// Placeholders allowed in trail fields (bucket, prefix, KMS key, SNS topic, CloudWatch
/// Logs ARNs, tag values). For an organization trail they name the account that owns the
/// trail (the management account) and its home region.
const TRAIL_PLACEHOLDERS: &[Placeholder] = &Placeholder::ALL;
/// Placeholders allowed in `organization.member_role`.
const ROLE_PLACEHOLDERS: &[Placeholder] = &[Placeholder::AccountId];

/// Values substituted for placeholders when checking the shape of a templated field.
const SAMPLE_VARS: TemplateVars<'static> = TemplateVars {
    account_id: "123456789012",
    account_name: "name",
    region: "us-east-1",
};

/// Result of checking a spec text: the spec when it parsed completely, and every
/// diagnostic (parse errors, rule errors for the parts that parsed, warnings).
#[derive(Debug, Clone)]
pub struct Checked {
    /// The parsed spec; `None` when any part failed to parse.
    pub spec: Option<LoadedSpec>,
    /// Errors and warnings, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// Whether any diagnostic is an error.
    #[must_use]
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses and validates spec text in one go, reporting the rule violations of the trails
/// that parsed alongside the shape errors of those that did not.
#[must_use]
pub fn check_str(source: &str, file: &str) -> Checked {
    let (partial, mut diagnostics) = parse_partial(source, file);
    let complete = diagnostics.is_empty();
    if let Some(spec) = &partial {
        diagnostics.extend(validate(spec));
    }
    diagnostic::sort(&mut diagnostics);
    Checked {
        spec: partial.filter(|_| complete),
        diagnostics,
    }
}

/// Reads a spec file and checks it (see [`check_str`]).
#[must_use]
pub fn check_file(path: &Path) -> Checked {
    match std::fs::read_to_string(path) {
        Ok(source) => check_str(&source, &path.display().to_string()),
        Err(_) => Checked {
            spec: None,
            diagnostics: super::parse::load(path).err().unwrap_or_default(),
        },
    }
}

/// Every rule violation (errors) and warning of a parsed spec, sorted by position.
#[must_use]
pub fn validate(spec: &LoadedSpec) -> Vec<Diagnostic> {
    let mut v = Validator {
        loaded: spec,
        out: Vec::new(),
    };
    v.run(&spec.spec);
    diagnostic::sort(&mut v.out);
    v.out
}

struct Validator<'a> {
    loaded: &'a LoadedSpec,
    out: Vec<Diagnostic>,
}

impl Validator<'_> {
    fn error(&mut self, path: &str, message: impl Into<String>) -> &mut Diagnostic {
        self.out.push(self.loaded.error(path, message));
        let last = self.out.len() - 1;
        &mut self.out[last]
    }

    fn key_error(&mut self, path: &str, message: impl Into<String>) -> &mut Diagnostic {
        self.out.push(self.loaded.key_error(path, message));
        let last = self.out.len() - 1;
        &mut self.out[last]
    }

    fn warning(&mut self, path: &str, message: impl Into<String>) -> &mut Diagnostic {
        self.out.push(self.loaded.warning(path, message));
        let last = self.out.len() - 1;
        &mut self.out[last]
    }

    fn run(&mut self, spec: &Spec) {
        if spec.version != 1 {
            self.error(
                "version",
                format!(
                    "unsupported spec version {}; this trailform reads version 1",
                    spec.version
                ),
            );
        }
        self.organization(spec);
        if spec.trails.is_empty() && !self.loaded.locations.has_children("trails") {
            self.warning(
                "trails",
                "the spec lists no trails; nothing will be managed",
            );
        }
        for (name, trail) in &spec.trails {
            self.trail(spec, name, trail);
        }
        self.trails_per_region(spec);
        self.management_events_twice(spec);
    }

    // ---------------------------------------------------------------- organization

    fn organization(&mut self, spec: &Spec) {
        let org = &spec.organization;
        if self.template(
            "organization.member_role",
            &org.member_role,
            ROLE_PLACEHOLDERS,
        ) {
            let sample = template::expand(&org.member_role, &SAMPLE_VARS);
            if !is_role_arn(&sample) {
                self.error(
                    "organization.member_role",
                    format!("`{}` is not an IAM role ARN", org.member_role),
                )
                .help = Some("expected arn:aws:iam::{account_id}:role/NAME".into());
            }
        }
        if let Some(external_id) = &org.external_id {
            let ok_chars = external_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(c));
            if !(2..=1224).contains(&external_id.chars().count()) || !ok_chars {
                self.error(
                    "organization.external_id",
                    "an external id is 2 to 1224 characters of letters, digits and _+=,.@:/-",
                );
            }
        }
        self.region_list("organization.regions", &org.regions);
        self.account_ids("organization.exclude_accounts", &org.exclude_accounts);
    }

    fn region_list(&mut self, path: &str, regions: &[String]) {
        let mut seen = BTreeSet::new();
        for (i, region) in regions.iter().enumerate() {
            let item = join_index(path, i);
            self.region(&item, region);
            if !seen.insert(region.as_str()) {
                self.error(&item, format!("region `{region}` is listed twice"));
            }
        }
    }

    fn region(&mut self, path: &str, region: &str) {
        if !limits::is_known_region(region) {
            let d = self.error(path, format!("unknown region `{region}`"));
            d.help = Some(match suggest_region(region) {
                Some(s) => format!("did you mean `{s}`? Regions are names like us-east-1, eu-west-1"),
                None => "regions are names like us-east-1, eu-west-1, ap-southeast-2 (see src/spec/limits.rs)".into(),
            });
        }
    }

    fn account_ids(&mut self, path: &str, ids: &[String]) {
        for (i, id) in ids.iter().enumerate() {
            self.account_id(&join_index(path, i), id);
        }
    }

    fn account_id(&mut self, path: &str, id: &str) {
        if !is_account_id(id) {
            let d = self.error(
                path,
                format!("`{id}` is not an AWS account id: account ids are exactly 12 digits"),
            );
            if id.chars().all(|c| c.is_ascii_digit()) && id.len() < 12 {
                d.help = Some("quote account ids (\"012345678901\"): YAML reads a bare number and drops leading zeros".into());
            }
        }
    }

    /// Checks a template; true when it is well formed and uses only `allowed`.
    fn template(&mut self, path: &str, value: &str, allowed: &[Placeholder]) -> bool {
        match template::placeholders(value) {
            Err(err) => {
                self.error(path, err.to_string());
                false
            }
            Ok(used) => {
                let mut ok = true;
                for p in used {
                    if !allowed.contains(&p) {
                        let names: Vec<String> = allowed.iter().map(ToString::to_string).collect();
                        self.error(
                            path,
                            format!(
                                "placeholder {p} is not allowed here; allowed: {}",
                                names.join(", ")
                            ),
                        );
                        ok = false;
                    }
                }
                ok
            }
        }
    }

    // ---------------------------------------------------------------- one trail

    fn trail(&mut self, spec: &Spec, name: &str, trail: &TrailSpec) {
        let path = join_key("trails", name);
        if let Some(problem) = trail_name_problem(name) {
            self.key_error(&path, format!("invalid trail name `{name}`: {problem}")).help = Some(
                "trail names are 3-128 letters, digits, `.`, `_` and `-`, start and end with a letter or digit, \
                 have no two of `._-` next to each other and are not IP addresses"
                    .into(),
            );
        }
        match trail.scope {
            Scope::Organization => self.organization_scope(&path, trail),
            Scope::Account => self.account_scope(spec, &path, trail),
        }
        let multi = trail.effective_multi_region();
        if let Some(home) = &trail.home_region {
            self.region(&join_key(&path, "home_region"), home);
        }
        if multi && trail.global_service_events == Some(false) {
            self.error(
                &join_key(&path, "global_service_events"),
                "a multi-region trail must include global service events (AWS rejects \
                 IncludeGlobalServiceEvents=false with IsMultiRegionTrail=true)",
            )
            .help =
                Some("remove `global_service_events: false`, or set `multi_region: false`".into());
        }
        self.destinations(&path, trail);
        self.selectors(&path, trail);
        self.insights(&path, trail);
        self.tags(&path, trail);
        self.trail_warnings(&path, trail);
    }

    fn organization_scope(&mut self, path: &str, trail: &TrailSpec) {
        if trail.targets.is_some() {
            self.key_error(
                &join_key(path, "targets"),
                "an organization trail covers every account of the organization; `targets` is for `scope: account`",
            );
        }
        if trail.regions.is_some() {
            self.key_error(
                &join_key(path, "regions"),
                "an organization trail is one trail in its `home_region` (multi-region or not); `regions` is for \
                 `scope: account`",
            );
        }
        if trail.home_region.is_none() {
            self.key_error(path, "missing `home_region`: an organization trail is created and managed in its home region");
        }
    }

    fn account_scope(&mut self, spec: &Spec, path: &str, trail: &TrailSpec) {
        match &trail.targets {
            None => {
                self.key_error(
                    path,
                    "missing `targets`: an account trail needs the accounts it lands in",
                )
                .help = Some(
                    "add targets with organizational_units, accounts and/or account_tags".into(),
                );
            }
            Some(targets) => self.targets(&join_key(path, "targets"), targets),
        }
        let regions_path = join_key(path, "regions");
        if let Some(regions) = &trail.regions {
            if trail.multi_region == Some(true) {
                self.key_error(
                    &regions_path,
                    "`regions` makes one single-region trail per listed region; it contradicts `multi_region: true`",
                )
                .help = Some("keep `regions` (and drop multi_region), or use `multi_region: true` with `home_region`".into());
            } else if regions.is_empty() {
                self.key_error(
                    &regions_path,
                    "`regions` is empty: list at least one region",
                );
            } else if trail.home_region.is_some() {
                self.key_error(
                    &join_key(path, "home_region"),
                    "`home_region` is for multi-region trails; a single-region trail is created in each of `regions`",
                );
            }
            self.region_list(&regions_path, regions);
        } else if trail.multi_region == Some(false) {
            self.key_error(
                &join_key(path, "multi_region"),
                "a single-region account trail needs `regions`: the regions it is created in",
            );
        }
        if trail.effective_multi_region() && trail.regions.is_none() && trail.home_region.is_none()
        {
            self.key_error(path, "missing `home_region`: a multi-region trail is created and managed in its home region")
                .help = Some("add `home_region: us-east-1` (for example), or `regions: [...]` for single-region trails".into());
        }
        // Account trails live in organization.regions (design.md §1); elsewhere drift is
        // not checked.
        if !spec.organization.regions.is_empty() {
            let mut listed: Vec<(String, &String)> = Vec::new();
            if let Some(home) = &trail.home_region {
                listed.push((join_key(path, "home_region"), home));
            }
            for (i, r) in trail.regions.iter().flatten().enumerate() {
                listed.push((join_index(&regions_path, i), r));
            }
            for (p, r) in listed {
                if limits::is_known_region(r) && !spec.organization.regions.contains(r) {
                    self.warning(&p, format!("region `{r}` is not in organization.regions; drift is not checked there"));
                }
            }
        }
    }

    fn targets(&mut self, path: &str, targets: &Targets) {
        if targets.organizational_units.is_empty()
            && targets.accounts.is_empty()
            && targets.account_tags.is_empty()
        {
            self.key_error(
                path,
                "targets select no account: list organizational_units, accounts or account_tags",
            );
        }
        for (i, ou) in targets.organizational_units.iter().enumerate() {
            let item = join_index(&join_key(path, "organizational_units"), i);
            if ou.trim().is_empty() || ou.trim_matches('/').split('/').any(str::is_empty) {
                self.error(
                    &item,
                    format!("`{ou}` is neither an OU id (ou-xxxx-xxxxxxxx, r-xxxx) nor an OU path such as Workloads/Prod"),
                );
            }
        }
        self.account_ids(&join_key(path, "accounts"), &targets.accounts);
        self.account_ids(
            &join_key(path, "exclude_accounts"),
            &targets.exclude_accounts,
        );
        for (key, value) in &targets.account_tags {
            self.tag(
                &join_key(&join_key(path, "account_tags"), key),
                key,
                value,
                false,
            );
        }
    }

    // ---------------------------------------------------------------- destinations

    fn destinations(&mut self, path: &str, trail: &TrailSpec) {
        let bucket_path = join_key(path, "s3_bucket");
        if self.template(&bucket_path, &trail.s3_bucket, TRAIL_PLACEHOLDERS) {
            let sample = template::expand(&trail.s3_bucket, &SAMPLE_VARS);
            if let Some(problem) = bucket_name_problem(&sample) {
                self.error(
                    &bucket_path,
                    format!(
                        "`{}` is not a valid S3 bucket name: {problem}",
                        trail.s3_bucket
                    ),
                );
            } else if trail.s3_bucket.contains("{account_name}") {
                self.warning(
                    &bucket_path,
                    "account names may contain characters bucket names do not allow (capitals, spaces)",
                )
                .help = Some("prefer {account_id} in bucket names".into());
            }
        }
        if let Some(prefix) = &trail.s3_key_prefix {
            let p = join_key(path, "s3_key_prefix");
            if self.template(&p, prefix, TRAIL_PLACEHOLDERS)
                && template::expand(prefix, &SAMPLE_VARS).chars().count()
                    > limits::S3_KEY_PREFIX_MAX
            {
                self.error(
                    &p,
                    format!(
                        "an S3 key prefix is at most {} characters",
                        limits::S3_KEY_PREFIX_MAX
                    ),
                );
            }
        }
        if let Some(key) = &trail.kms_key_id {
            let p = join_key(path, "kms_key_id");
            if self.template(&p, key, TRAIL_PLACEHOLDERS) {
                self.kms_key(&p, key);
            }
        }
        if let Some(topic) = &trail.sns_topic {
            let p = join_key(path, "sns_topic");
            if self.template(&p, topic, TRAIL_PLACEHOLDERS)
                && !is_sns_topic(&template::expand(topic, &SAMPLE_VARS))
            {
                self.error(&p, format!("`{topic}` is neither an SNS topic name (1-256 letters, digits, `_`, `-`) nor an SNS topic ARN"));
            }
        }
        if let Some(cw) = &trail.cloudwatch_logs {
            let base = join_key(path, "cloudwatch_logs");
            let group = join_key(&base, "log_group_arn");
            if self.template(&group, &cw.log_group_arn, TRAIL_PLACEHOLDERS)
                && !is_log_group_arn(&template::expand(&cw.log_group_arn, &SAMPLE_VARS))
            {
                self.error(
                    &group,
                    format!(
                        "`{}` is not a CloudWatch Logs log group ARN",
                        cw.log_group_arn
                    ),
                )
                .help = Some(
                    "expected arn:aws:logs:REGION:ACCOUNT:log-group:NAME (with or without :*)"
                        .into(),
                );
            }
            let role = join_key(&base, "role_arn");
            if self.template(&role, &cw.role_arn, TRAIL_PLACEHOLDERS)
                && !is_role_arn(&template::expand(&cw.role_arn, &SAMPLE_VARS))
            {
                self.error(&role, format!("`{}` is not an IAM role ARN", cw.role_arn))
                    .help = Some("expected arn:aws:iam::ACCOUNT:role/NAME".into());
            }
        }
    }

    fn kms_key(&mut self, path: &str, key: &str) {
        let sample = template::expand(key, &SAMPLE_VARS);
        let is_alias = sample.starts_with("alias/")
            || parse_arn(&sample)
                .is_some_and(|a| a.service == "kms" && a.resource.starts_with("alias/"));
        if is_alias {
            self.error(path, format!("`{key}` is a KMS alias; give the key ARN or key id")).help = Some(
                "CloudTrail reports a trail's key as its key ARN, so an alias cannot be compared with the live trail \
                 without a KMS call; use arn:aws:kms:REGION:ACCOUNT:key/KEY-ID"
                    .into(),
            );
            return;
        }
        let ok = match parse_arn(&sample) {
            Some(arn) => {
                arn.service == "kms"
                    && !arn.region.is_empty()
                    && is_account_id(arn.account)
                    && arn.resource.strip_prefix("key/").is_some_and(is_key_id)
            }
            None => is_key_id(&sample),
        };
        if !ok {
            self.error(path, format!("`{key}` is not a KMS key ARN or key id")).help = Some(
                "expected arn:aws:kms:REGION:ACCOUNT:key/KEY-ID, a key id (UUID) or a multi-Region key id (mrk-...)".into(),
            );
        }
    }

    // ---------------------------------------------------------------- selectors

    fn selectors(&mut self, path: &str, trail: &TrailSpec) {
        let mut kinds: Vec<&str> = Vec::new();
        if trail.event_selectors.is_some() {
            kinds.push("event_selectors");
        }
        if trail.advanced_event_selectors.is_some() {
            kinds.push("advanced_event_selectors");
        }
        if trail.management_events.is_some() {
            kinds.push("management_events");
        } else if trail.data_events.is_some() {
            kinds.push("data_events");
        }
        if kinds.len() > 1 {
            let second = join_key(path, kinds[1]);
            self.key_error(
                &second,
                format!(
                    "use only one of `event_selectors`, `advanced_event_selectors`, or `management_events`/`data_events`; \
                     this trail has `{}` and `{}`",
                    kinds[0], kinds[1]
                ),
            )
            .help = Some("AWS accepts either classic or advanced selectors on a trail, not both".into());
        }
        if let Some(classic) = &trail.event_selectors {
            self.classic(&join_key(path, "event_selectors"), classic);
        }
        if let Some(advanced) = &trail.advanced_event_selectors {
            self.advanced(&join_key(path, "advanced_event_selectors"), advanced);
        }
        self.shorthand(path, trail);
    }

    fn classic(&mut self, path: &str, selectors: &[EventSelector]) {
        if selectors.len() > limits::MAX_CLASSIC_SELECTORS {
            self.error(
                &join_index(path, limits::MAX_CLASSIC_SELECTORS),
                format!(
                    "a trail has at most {} classic event selectors, this one has {}",
                    limits::MAX_CLASSIC_SELECTORS,
                    selectors.len()
                ),
            )
            .help = Some("merge selectors, or use advanced_event_selectors / data_events".into());
        }
        let resources: usize = selectors
            .iter()
            .flat_map(|s| &s.data_resources)
            .map(|r| r.values.len())
            .sum();
        if resources > limits::MAX_CLASSIC_DATA_RESOURCES {
            self.key_error(
                path,
                format!(
                    "classic selectors allow at most {} data resource values per trail, these have {resources}",
                    limits::MAX_CLASSIC_DATA_RESOURCES
                ),
            );
        }
        for (i, selector) in selectors.iter().enumerate() {
            let sp = join_index(path, i);
            for (j, resource) in selector.data_resources.iter().enumerate() {
                let rp = join_index(&join_key(&sp, "data_resources"), j);
                if !limits::CLASSIC_DATA_RESOURCE_TYPES.contains(&resource.resource_type.as_str()) {
                    let d = self.error(
                        &join_key(&rp, "type"),
                        format!(
                            "classic selectors accept the data resource types {}, not `{}`",
                            limits::CLASSIC_DATA_RESOURCE_TYPES.join(", "),
                            resource.resource_type
                        ),
                    );
                    if limits::DATA_RESOURCE_TYPES.contains(&resource.resource_type.as_str()) {
                        d.help = Some(
                            "log this type with data_events or advanced_event_selectors".into(),
                        );
                    }
                }
                for (k, value) in resource.values.iter().enumerate() {
                    if value.is_empty() || value.contains('*') {
                        self.error(
                            &join_index(&join_key(&rp, "values"), k),
                            "a data resource value is an ARN or ARN prefix, without wildcards",
                        );
                    }
                }
            }
            self.excluded_sources(
                &join_key(&sp, "exclude_management_event_sources"),
                &selector.exclude_management_event_sources,
            );
        }
    }

    fn excluded_sources(&mut self, path: &str, sources: &[String]) {
        for (i, source) in sources.iter().enumerate() {
            if !limits::EXCLUDABLE_MANAGEMENT_SOURCES.contains(&source.as_str()) {
                self.error(
                    &join_index(path, i),
                    format!(
                        "CloudTrail can exclude only the management event sources {}, not `{source}`",
                        limits::EXCLUDABLE_MANAGEMENT_SOURCES.join(" and ")
                    ),
                );
            }
        }
    }

    fn advanced(&mut self, path: &str, selectors: &[AdvancedEventSelector]) {
        if selectors.is_empty() {
            self.key_error(path, "`advanced_event_selectors` is empty: list at least one selector").help = Some(
                "omit the field for AWS's default (all management events), or use `management_events: {read_write: none}`"
                    .into(),
            );
        }
        let mut total = 0usize;
        for (i, selector) in selectors.iter().enumerate() {
            let sp = join_index(path, i);
            if let Some(name) = &selector.name {
                if name.chars().count() > limits::ADVANCED_SELECTOR_NAME_MAX {
                    self.error(
                        &join_key(&sp, "name"),
                        format!(
                            "a selector name is at most {} characters",
                            limits::ADVANCED_SELECTOR_NAME_MAX
                        ),
                    );
                }
            }
            let fp = join_key(&sp, "field_selectors");
            if selector.field_selectors.is_empty() {
                self.key_error(
                    &fp,
                    "a selector needs at least one field selector (eventCategory is required)",
                );
                continue;
            }
            let mut category: Option<&Vec<String>> = None;
            let mut resource_types = 0usize;
            for (j, fs) in selector.field_selectors.iter().enumerate() {
                let p = join_index(&fp, j);
                let operators: [(&str, &Vec<String>); 6] = [
                    ("equals", &fs.equals),
                    ("starts_with", &fs.starts_with),
                    ("ends_with", &fs.ends_with),
                    ("not_equals", &fs.not_equals),
                    ("not_starts_with", &fs.not_starts_with),
                    ("not_ends_with", &fs.not_ends_with),
                ];
                total += operators.iter().map(|(_, v)| v.len()).sum::<usize>();
                if operators.iter().all(|(_, v)| v.is_empty()) {
                    self.error(&p, format!("condition on `{}` has no operator: give equals, starts_with, ends_with, not_equals, not_starts_with or not_ends_with", fs.field));
                }
                let Some(field) = limits::advanced_field(&fs.field) else {
                    let names: Vec<&str> = limits::ADVANCED_FIELDS.iter().map(|f| f.name).collect();
                    self.error(
                        &join_key(&p, "field"),
                        format!(
                            "unknown advanced selector field `{}`; trails accept {}",
                            fs.field,
                            names.join(", ")
                        ),
                    );
                    continue;
                };
                match field.name {
                    "eventCategory" => category = Some(&fs.equals),
                    "resources.type" => {
                        resource_types += 1;
                        if resource_types > 1 {
                            self.error(&p, "a selector has at most one `resources.type` condition; add another selector for another type");
                        }
                    }
                    _ => {}
                }
                self.advanced_condition(&p, field, &operators);
            }
            match category {
                None => {
                    self.key_error(&fp, "a selector needs an `eventCategory` condition (`equals: [Management]` or `[Data]`)");
                }
                Some(values) if values.iter().any(|v| v == "Data") && resource_types == 0 => {
                    self.key_error(
                        &fp,
                        "a data event selector needs a `resources.type` condition",
                    );
                }
                Some(values) if values.iter().any(|v| v == "Management") => {
                    for (j, fs) in selector.field_selectors.iter().enumerate() {
                        if fs.field == "eventSource" {
                            let p = join_index(&fp, j);
                            let others = [
                                &fs.equals,
                                &fs.starts_with,
                                &fs.ends_with,
                                &fs.not_starts_with,
                                &fs.not_ends_with,
                            ];
                            if others.iter().any(|v| !v.is_empty()) {
                                self.error(
                                    &p,
                                    "for management events `eventSource` takes only `not_equals`",
                                );
                            }
                            self.excluded_sources(&join_key(&p, "not_equals"), &fs.not_equals);
                        }
                    }
                }
                Some(_) => {}
            }
        }
        if total > limits::MAX_ADVANCED_VALUES {
            self.key_error(
                path,
                format!(
                    "a trail's advanced selectors have at most {} values across all conditions, these have {total}",
                    limits::MAX_ADVANCED_VALUES
                ),
            );
        }
    }

    fn advanced_condition(
        &mut self,
        path: &str,
        field: &AdvancedField,
        operators: &[(&str, &Vec<String>); 6],
    ) {
        for (op, values) in operators {
            if values.is_empty() {
                continue;
            }
            let op_path = join_key(path, op);
            if field.equals_only && *op != "equals" {
                self.key_error(
                    &op_path,
                    format!(
                        "`{}` takes only the `equals` operator, not `{op}`",
                        field.name
                    ),
                );
                continue;
            }
            for (k, value) in values.iter().enumerate() {
                let vp = join_index(&op_path, k);
                if value.is_empty() || value.chars().count() > limits::ADVANCED_VALUE_MAX {
                    self.error(
                        &vp,
                        format!(
                            "a condition value is 1 to {} characters",
                            limits::ADVANCED_VALUE_MAX
                        ),
                    );
                } else if value.contains('*') {
                    self.error(
                        &vp,
                        format!("`{value}`: selectors do not support wildcards"),
                    )
                    .help =
                        Some("match the start or end with starts_with / ends_with instead".into());
                } else if !field.values.is_empty() && !field.values.contains(&value.as_str()) {
                    self.error(
                        &vp,
                        format!(
                            "`{}` accepts {}, not `{value}`",
                            field.name,
                            field.values.join(", ")
                        ),
                    );
                } else if field.name == "resources.type"
                    && !limits::DATA_RESOURCE_TYPES.contains(&value.as_str())
                {
                    self.error(&vp, format!("unknown data resource type `{value}`"))
                        .help = Some(resource_type_help(value));
                }
            }
        }
    }

    fn shorthand(&mut self, path: &str, trail: &TrailSpec) {
        let mut total = 0usize;
        if let Some(m) = &trail.management_events {
            let mp = join_key(path, "management_events");
            self.excluded_sources(&join_key(&mp, "exclude_sources"), &m.exclude_sources);
            total += 2 + m.exclude_sources.len();
        }
        let Some(data) = &trail.data_events else {
            return;
        };
        if trail.management_events.is_none() {
            total += 1; // the implied all-management-events selector
        }
        let dp = join_key(path, "data_events");
        for (i, event) in data.iter().enumerate() {
            let ep = join_index(&dp, i);
            if !limits::DATA_RESOURCE_TYPES.contains(&event.resource_type.as_str()) {
                self.error(
                    &join_key(&ep, "resource_type"),
                    format!("unknown data resource type `{}`", event.resource_type),
                )
                .help = Some(resource_type_help(&event.resource_type));
            }
            for (field, values) in [
                ("arn_starts_with", &event.arn_starts_with),
                ("arn_not_starts_with", &event.arn_not_starts_with),
            ] {
                for (k, value) in values.iter().enumerate() {
                    let vp = join_index(&join_key(&ep, field), k);
                    if value.is_empty() || value.chars().count() > limits::ADVANCED_VALUE_MAX {
                        self.error(
                            &vp,
                            format!(
                                "an ARN prefix is 1 to {} characters",
                                limits::ADVANCED_VALUE_MAX
                            ),
                        );
                    } else if value.contains('*') {
                        self.error(&vp, format!("`{value}`: selectors do not support wildcards; give the ARN prefix"));
                    }
                }
            }
            total += 2
                + usize::from(event.read_only.is_some())
                + event.arn_starts_with.len()
                + event.arn_not_starts_with.len();
        }
        if total > limits::MAX_ADVANCED_VALUES {
            self.key_error(
                &dp,
                format!(
                    "compiled to advanced selectors, this trail has {total} condition values; the limit is {}",
                    limits::MAX_ADVANCED_VALUES
                ),
            );
        }
    }

    // ---------------------------------------------------------------- insights, tags

    fn insights(&mut self, path: &str, trail: &TrailSpec) {
        let Some(insights) = &trail.insights else {
            return;
        };
        let ip = join_key(path, "insights");
        let mut seen = BTreeSet::new();
        for (i, insight) in insights.iter().enumerate() {
            if !seen.insert(*insight) {
                self.error(
                    &join_index(&ip, i),
                    format!("insight type `{}` is listed twice", insight.api_name()),
                );
            }
        }
    }

    fn tags(&mut self, path: &str, trail: &TrailSpec) {
        let Some(tags) = &trail.tags else { return };
        let tp = join_key(path, "tags");
        if tags.len() > limits::MAX_TAGS {
            self.key_error(
                &tp,
                format!(
                    "a trail has at most {} tags, this one has {}",
                    limits::MAX_TAGS,
                    tags.len()
                ),
            );
        }
        for (key, value) in tags {
            self.tag(&join_key(&tp, key), key, value, true);
        }
    }

    fn tag(&mut self, path: &str, key: &str, value: &str, templates: bool) {
        let len = key.chars().count();
        if len == 0 || len > limits::TAG_KEY_MAX {
            self.key_error(
                path,
                format!("a tag key is 1 to {} characters", limits::TAG_KEY_MAX),
            );
        } else if key
            .to_ascii_lowercase()
            .starts_with(limits::RESERVED_TAG_PREFIX)
        {
            self.key_error(
                path,
                format!(
                    "tag keys starting with `{}` are reserved for AWS",
                    limits::RESERVED_TAG_PREFIX
                ),
            );
        }
        let sample = if templates {
            if !self.template(path, value, TRAIL_PLACEHOLDERS) {
                return;
            }
            template::expand(value, &SAMPLE_VARS)
        } else {
            value.to_owned()
        };
        if sample.chars().count() > limits::TAG_VALUE_MAX {
            self.error(
                path,
                format!(
                    "a tag value is at most {} characters",
                    limits::TAG_VALUE_MAX
                ),
            );
        }
    }

    // ---------------------------------------------------------------- warnings

    fn trail_warnings(&mut self, path: &str, trail: &TrailSpec) {
        if !trail.effective_log_file_validation() {
            let p = if trail.log_file_validation.is_some() {
                join_key(path, "log_file_validation")
            } else {
                path.to_owned()
            };
            self.warning(&p, "log file validation is off (AWS's default): changes to delivered log files cannot be detected")
                .help = Some("set `log_file_validation: true`".into());
        }
        if trail.kms_key_id.is_none() {
            self.warning(
                path,
                "no `kms_key_id`: log files are encrypted with S3-managed keys only",
            )
            .help = Some(
                "set `kms_key_id` to a KMS key ARN whose policy lets CloudTrail encrypt".into(),
            );
        }
        if !trail.effective_multi_region() {
            let p = if trail.multi_region.is_some() {
                join_key(path, "multi_region")
            } else if trail.regions.is_some() {
                join_key(path, "regions")
            } else {
                path.to_owned()
            };
            self.warning(
                &p,
                "not a multi-region trail: activity in other regions is not logged by it",
            );
        }
        if let Some(selector_path) = own_bucket_selector(path, trail) {
            self.warning(
                &selector_path,
                format!(
                    "these S3 data events include the trail's own bucket `{}`: each log delivery is logged again (a cost loop)",
                    trail.s3_bucket
                ),
            )
            .help = Some(format!(
                "exclude it, e.g. arn_not_starts_with: [\"arn:aws:s3:::{}\"]",
                own_bucket_exclusion(&trail.s3_bucket)
            ));
        }
    }

    // ---------------------------------------------------------------- across trails

    /// At most 5 trails per account-region (`limits::MAX_TRAILS_PER_REGION`). Checked
    /// statically where the overlap is certain: organization trails (every account, in
    /// their home region or every region), plus the account trails that list the same
    /// account id in `targets.accounts`, or the same OU in `targets.organizational_units`,
    /// without `account_tags` (which could filter the account out). Trails whose targets
    /// only might overlap (different OUs, tags) are counted by target resolution, which
    /// knows the organization.
    fn trails_per_region(&mut self, spec: &Spec) {
        let mut groups: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        groups.insert("every account".to_owned(), Vec::new());
        for (name, trail) in &spec.trails {
            let Some(targets) = trail
                .targets
                .as_ref()
                .filter(|_| trail.scope == Scope::Account)
            else {
                continue;
            };
            if !targets.account_tags.is_empty() {
                continue;
            }
            for account in &targets.accounts {
                if !targets.exclude_accounts.contains(account)
                    && !spec.organization.exclude_accounts.contains(account)
                {
                    groups
                        .entry(format!("account {account}"))
                        .or_default()
                        .push(name);
                }
            }
            for ou in &targets.organizational_units {
                groups
                    .entry(format!("every account in OU `{ou}`"))
                    .or_default()
                    .push(name);
            }
        }
        for (group, members) in &groups {
            let mut over: Vec<(&str, usize, &str)> = Vec::new();
            for (region, _) in limits::REGIONS {
                let mut here: Vec<&str> = Vec::new();
                for (name, trail) in &spec.trails {
                    let in_group =
                        trail.scope == Scope::Organization || members.contains(&name.as_str());
                    if in_group && trail_covers_region(trail, region) {
                        here.push(name);
                    }
                }
                if here.len() > limits::MAX_TRAILS_PER_REGION {
                    over.push((region, here.len(), here[limits::MAX_TRAILS_PER_REGION]));
                }
            }
            let Some(&(_, count, sixth)) = over.first() else {
                continue;
            };
            let regions: Vec<&str> = over.iter().map(|(r, _, _)| *r).collect();
            let shown = if regions.len() == limits::REGIONS.len() {
                "every region".to_owned()
            } else {
                regions.join(", ")
            };
            self.key_error(
                &join_key("trails", sixth),
                format!(
                    "{group} would have {count} trails in {shown} (organization trails included); AWS allows {} per region",
                    limits::MAX_TRAILS_PER_REGION
                ),
            )
            .help = Some("combine trails, or narrow their regions or targets".into());
        }
    }

    /// Two trails that both log management events and can land in the same
    /// account-region: the first copy is free, every further copy is billed.
    fn management_events_twice(&mut self, spec: &Spec) {
        let logging: Vec<(&String, &TrailSpec)> = spec
            .trails
            .iter()
            .filter(|(_, t)| t.logs_management_events())
            .collect();
        for (i, (b_name, b)) in logging.iter().enumerate() {
            for (a_name, a) in &logging[..i] {
                let Some(region) = shared_region(a, b) else {
                    continue;
                };
                if !targets_can_overlap(a, b) {
                    continue;
                }
                self.warning(
                    &join_key("trails", b_name),
                    format!(
                        "trails `{a_name}` and `{b_name}` both log management events and can land in the same \
                         account-region ({region}): the second copy is billed"
                    ),
                )
                .help = Some(format!(
                    "if `{b_name}` is for data events, set `management_events: {{read_write: none}}` on it"
                ));
            }
        }
    }
}

// -------------------------------------------------------------------- predicates

/// Why `name` cannot be a trail name, or `None` when it can.
#[must_use]
pub fn trail_name_problem(name: &str) -> Option<String> {
    let len = name.chars().count();
    if !(limits::TRAIL_NAME_MIN..=limits::TRAIL_NAME_MAX).contains(&len) {
        return Some(format!(
            "must be {} to {} characters long, is {len}",
            limits::TRAIL_NAME_MIN,
            limits::TRAIL_NAME_MAX
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Some(format!(
            "may contain only letters, digits, `.`, `_` and `-`, found `{c}`"
        ));
    }
    let first_last = [name.chars().next(), name.chars().last()];
    if first_last
        .iter()
        .flatten()
        .any(|c| !c.is_ascii_alphanumeric())
    {
        return Some("must start and end with a letter or digit".into());
    }
    let bytes: Vec<char> = name.chars().collect();
    if let Some(pair) = bytes
        .windows(2)
        .find(|w| w.iter().all(|c| matches!(c, '.' | '_' | '-')))
    {
        return Some(format!(
            "has `{}{}`: no two of `.`, `_`, `-` may be adjacent",
            pair[0], pair[1]
        ));
    }
    if name.parse::<Ipv4Addr>().is_ok() {
        return Some("must not be an IP address".into());
    }
    None
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

struct Arn<'s> {
    partition: &'s str,
    service: &'s str,
    region: &'s str,
    account: &'s str,
    resource: &'s str,
}

fn parse_arn(s: &str) -> Option<Arn<'_>> {
    let mut parts = s.splitn(6, ':');
    if parts.next()? != "arn" {
        return None;
    }
    let arn = Arn {
        partition: parts.next()?,
        service: parts.next()?,
        region: parts.next()?,
        account: parts.next()?,
        resource: parts.next()?,
    };
    limits::PARTITIONS.contains(&arn.partition).then_some(arn)
}

fn is_role_arn(s: &str) -> bool {
    parse_arn(s).is_some_and(|a| {
        a.service == "iam"
            && a.region.is_empty()
            && is_account_id(a.account)
            && a.resource.strip_prefix("role/").is_some_and(|name| {
                !name.is_empty()
                    && !name.ends_with('/')
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c))
            })
    })
}

fn is_log_group_arn(s: &str) -> bool {
    parse_arn(s).is_some_and(|a| {
        a.service == "logs"
            && limits::is_known_region(a.region)
            && is_account_id(a.account)
            && a.resource.strip_prefix("log-group:").is_some_and(|rest| {
                let name = rest.strip_suffix(":*").unwrap_or(rest);
                !name.is_empty()
                    && name.len() <= 512
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-/.#".contains(c))
            })
    })
}

fn is_sns_topic(s: &str) -> bool {
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.len() <= 256
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    match parse_arn(s) {
        Some(a) => {
            a.service == "sns" && limits::is_known_region(a.region) && is_account_id(a.account) && {
                let n = a.resource.strip_suffix(".fifo").unwrap_or(a.resource);
                name_ok(n)
            }
        }
        None => name_ok(s.strip_suffix(".fifo").unwrap_or(s)),
    }
}

fn is_key_id(s: &str) -> bool {
    let hex = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_hexdigit());
    if let Some(rest) = s.strip_prefix("mrk-") {
        return hex(rest, 32);
    }
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5 && [8, 4, 4, 4, 12].iter().zip(&parts).all(|(n, p)| hex(p, *n))
}

fn bucket_name_problem(name: &str) -> Option<&'static str> {
    let len = name.len();
    if !(3..=63).contains(&len) {
        return Some("bucket names are 3 to 63 characters");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        return Some("bucket names use only lowercase letters, digits, `.` and `-`");
    }
    let edge_ok = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !edge_ok(name.as_bytes().first()) || !edge_ok(name.as_bytes().last()) {
        return Some("bucket names start and end with a letter or digit");
    }
    None
}

fn suggest_region(region: &str) -> Option<&'static str> {
    let lower = region.to_ascii_lowercase().replace('_', "-");
    limits::REGIONS
        .iter()
        .map(|(r, _)| *r)
        .find(|r| *r == lower || r.replace('-', "") == lower.replace('-', ""))
}

fn resource_type_help(value: &str) -> String {
    let lower = value.to_ascii_lowercase();
    match limits::DATA_RESOURCE_TYPES.iter().find(|t| t.to_ascii_lowercase() == lower) {
        Some(t) => format!("did you mean `{t}`? (types are case-sensitive)"),
        None => "known types include AWS::S3::Object, AWS::Lambda::Function, AWS::DynamoDB::Table; the full list is \
                 in src/spec/limits.rs"
            .into(),
    }
}

/// Whether `trail` has a trail (or a multi-region trail's shadow) in `region`.
fn trail_covers_region(trail: &TrailSpec, region: &str) -> bool {
    if trail.effective_multi_region() {
        return true;
    }
    match trail.scope {
        Scope::Organization => trail.home_region.as_deref() == Some(region),
        Scope::Account => trail.regions.iter().flatten().any(|r| r == region),
    }
}

/// A region both trails cover, described for a message (`None` when they share none).
fn shared_region(a: &TrailSpec, b: &TrailSpec) -> Option<String> {
    match (a.effective_multi_region(), b.effective_multi_region()) {
        (true, true) => Some("every region".into()),
        _ => limits::REGIONS
            .iter()
            .map(|(r, _)| *r)
            .find(|r| trail_covers_region(a, r) && trail_covers_region(b, r))
            .map(str::to_owned),
    }
}

/// Whether two trails can land in the same account. Only provably disjoint when both
/// are account trails that list accounts by id alone and share none.
fn targets_can_overlap(a: &TrailSpec, b: &TrailSpec) -> bool {
    let explicit = |t: &TrailSpec| -> Option<BTreeSet<String>> {
        let targets = t.targets.as_ref().filter(|_| t.scope == Scope::Account)?;
        (targets.organizational_units.is_empty()).then(|| {
            targets
                .accounts
                .iter()
                .filter(|a| !targets.exclude_accounts.contains(a))
                .cloned()
                .collect()
        })
    };
    match (explicit(a), explicit(b)) {
        (Some(x), Some(y)) => !x.is_disjoint(&y),
        _ => true,
    }
}

/// The path of the first selector whose S3 data events include the trail's own bucket
/// (and its write events, which is what a log delivery is), if any.
fn own_bucket_selector(path: &str, trail: &TrailSpec) -> Option<String> {
    let bucket = OwnBucket::new(&trail.s3_bucket)?;
    if let Some(events) = &trail.data_events {
        for (i, e) in events.iter().enumerate() {
            if e.resource_type == limits::S3_OBJECT
                && e.read_only != Some(true)
                && (e.arn_starts_with.is_empty()
                    || e.arn_starts_with.iter().any(|p| bucket.covered_by(p)))
                && !e.arn_not_starts_with.iter().any(|p| bucket.excluded_by(p))
            {
                return Some(join_index(&join_key(path, "data_events"), i));
            }
        }
    }
    if let Some(selectors) = &trail.advanced_event_selectors {
        for (i, s) in selectors.iter().enumerate() {
            let field =
                |name: &'static str| s.field_selectors.iter().filter(move |f| f.field == name);
            let data = field("eventCategory").any(|f| f.equals.iter().any(|v| v == "Data"));
            let s3 =
                field("resources.type").any(|f| f.equals.iter().any(|v| v == limits::S3_OBJECT));
            let writes = field("readOnly").all(|f| f.equals.iter().any(|v| v == "false"));
            let arn_ok = field("resources.ARN").all(|f| {
                let positive = f.starts_with.iter().any(|p| bucket.covered_by(p))
                    || f.equals
                        .iter()
                        .any(|v| bucket.covered_by(v) && v.len() >= bucket.min_len());
                let has_positive = !f.starts_with.is_empty() || !f.equals.is_empty();
                (positive || !has_positive)
                    && !f.not_starts_with.iter().any(|p| bucket.excluded_by(p))
            });
            if data && s3 && writes && arn_ok {
                return Some(join_index(&join_key(path, "advanced_event_selectors"), i));
            }
        }
    }
    if let Some(selectors) = &trail.event_selectors {
        for (i, s) in selectors.iter().enumerate() {
            let covers = s.read_write_type != ReadWriteType::ReadOnly
                && s.data_resources.iter().any(|r| {
                    r.resource_type == limits::S3_OBJECT
                        && r.values.iter().any(|v| bucket.covered_by(v))
                });
            if covers {
                return Some(join_index(&join_key(path, "event_selectors"), i));
            }
        }
    }
    None
}

/// The ARN prefix that excludes a bucket from S3 data events (for a templated bucket,
/// its literal start: selector values take no templates).
fn own_bucket_exclusion(bucket: &str) -> String {
    match bucket.find('{') {
        Some(cut) => bucket[..cut].to_owned(),
        None => format!("{bucket}/"),
    }
}

/// The ARN prefixes of a trail's bucket in every partition. For a templated bucket
/// only the literal text before the first placeholder is known.
struct OwnBucket {
    prefixes: Vec<String>,
}

impl OwnBucket {
    fn new(bucket: &str) -> Option<Self> {
        template::placeholders(bucket).ok()?;
        let (known, complete) = match bucket.find('{') {
            Some(cut) => (&bucket[..cut], false),
            None => (bucket, true),
        };
        let suffix = if complete { "/" } else { "" };
        let prefixes = limits::PARTITIONS
            .iter()
            .map(|p| format!("arn:{p}:s3:::{known}{suffix}"))
            .collect();
        Some(Self { prefixes })
    }

    fn min_len(&self) -> usize {
        self.prefixes.iter().map(String::len).min().unwrap_or(0)
    }

    /// Whether a selector ARN prefix may include objects of the bucket.
    fn covered_by(&self, selector: &str) -> bool {
        self.prefixes
            .iter()
            .any(|b| b.starts_with(selector) || selector.starts_with(b.as_str()))
    }

    /// Whether a selector exclusion prefix certainly excludes the whole bucket.
    fn excluded_by(&self, exclusion: &str) -> bool {
        self.prefixes.iter().any(|b| b.starts_with(exclusion))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trail_names() {
        for ok in ["org-audit", "a.b_c-d", "abc", "Trail1", &"a".repeat(128)] {
            assert_eq!(trail_name_problem(ok), None, "{ok}");
        }
        for bad in [
            "ab",
            "-abc",
            "abc-",
            "a..b",
            "a_-b",
            "a b",
            "10.0.0.1",
            &"a".repeat(129),
            "tráil",
        ] {
            assert!(trail_name_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn arns_and_ids() {
        assert!(is_role_arn(
            "arn:aws:iam::123456789012:role/OrganizationAccountAccessRole"
        ));
        assert!(is_role_arn(
            "arn:aws-us-gov:iam::123456789012:role/path/to/Role"
        ));
        assert!(!is_role_arn("arn:aws:iam::123456789012:user/bob"));
        assert!(!is_role_arn("arn:aws:iam::12345:role/x"));
        assert!(is_log_group_arn(
            "arn:aws:logs:us-east-1:123456789012:log-group:org-trail:*"
        ));
        assert!(!is_log_group_arn(
            "arn:aws:logs:us-east-1:123456789012:org-trail"
        ));
        assert!(is_sns_topic("trail-topic"));
        assert!(is_sns_topic(
            "arn:aws:sns:eu-west-1:123456789012:trail-topic"
        ));
        assert!(!is_sns_topic("arn:aws:sqs:eu-west-1:123456789012:q"));
        assert!(is_key_id("1234abcd-12ab-34cd-56ef-1234567890ab"));
        assert!(is_key_id("mrk-1234abcd12ab34cd56ef1234567890ab"));
        assert!(!is_key_id("alias/trail"));
        assert_eq!(bucket_name_problem("acme-org-cloudtrail"), None);
        assert!(bucket_name_problem("Acme").is_some());
    }

    #[test]
    fn own_bucket_coverage() {
        let b = OwnBucket::new("acme-logs").unwrap_or(OwnBucket { prefixes: vec![] });
        assert!(b.covered_by("arn:aws:s3"));
        assert!(b.covered_by("arn:aws:s3:::acme-"));
        assert!(b.covered_by("arn:aws:s3:::acme-logs/AWSLogs/"));
        assert!(!b.covered_by("arn:aws:s3:::prod-"));
        assert!(b.excluded_by("arn:aws:s3:::acme-logs/"));
        assert!(!b.excluded_by("arn:aws:s3:::acme-logs/x/"));
    }
}
