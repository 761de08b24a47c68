//! The spec front end end to end, through the library: every bad spec in
//! tests/fixtures/invalid/ gives the diagnostics in its snapshot; every example in
//! examples/ validates; the committed JSON Schema is current.

use std::fs;
use std::path::{Path, PathBuf};

use trailform::spec::{check_str, Severity};

fn yaml_files(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("reading {}: {e}", root.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

fn check(path: &Path, dir: &str) -> trailform::spec::Checked {
    let source =
        fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let name = format!(
        "{dir}/{}",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    );
    check_str(&source, &name)
}

#[test]
fn every_invalid_fixture_reports_its_errors() {
    let files = yaml_files("tests/fixtures/invalid");
    assert!(
        files.len() >= 35,
        "expected at least 35 fixtures, found {}",
        files.len()
    );
    for path in files {
        let checked = check(&path, "invalid");
        assert!(checked.has_errors(), "{} has no error", path.display());
        // Errors only: most fixtures also draw the usual warnings (no KMS key, ...),
        // which `warnings_are_reported` covers.
        let rendered: Vec<String> = checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(ToString::to_string)
            .collect();
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        insta::assert_snapshot!(format!("invalid__{stem}"), rendered.join("\n"));
    }
}

#[test]
fn independent_errors_are_all_reported() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/invalid/several-independent-errors.yaml");
    let checked = check(&path, "invalid");
    let error_paths: Vec<&str> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.path.as_str())
        .collect();
    for expected in [
        "organization.regions[1]",
        "trails.ok-trail.kms_key_id",
        "trails.broken-trail.s3_bucket",
        "trails.bad_-name",
        "trails.bad_-name.targets.accounts[0]",
    ] {
        assert!(
            error_paths.contains(&expected),
            "missing {expected} in {error_paths:?}"
        );
    }
}

#[test]
fn warnings_are_reported() {
    let source = r#"version: 1
trails:
  org-audit:
    scope: organization
    home_region: us-east-1
    multi_region: false
    s3_bucket: acme-org-logs
    data_events:
      - resource_type: AWS::S3::Object
  copy-of-management:
    scope: account
    targets: { organizational_units: [Workloads] }
    regions: [us-east-1]
    s3_bucket: acme-copy-{account_id}
    kms_key_id: 1234abcd-12ab-34cd-56ef-1234567890ab
    log_file_validation: true
    event_selectors:
      - data_resources:
          - { type: "AWS::S3::Object", values: ["arn:aws:s3:::acme-copy-"] }
"#;
    let checked = check_str(source, "warnings.yaml");
    assert!(!checked.has_errors());
    let rendered: Vec<String> = checked
        .diagnostics
        .iter()
        .map(ToString::to_string)
        .collect();
    insta::assert_snapshot!("warnings", rendered.join("\n"));
}

/// Warnings each example is expected to have (none are errors).
const EXPECTED_WARNINGS: &[(&str, usize)] = &[
    ("data-events.yaml", 0),
    ("delegated-admin.yaml", 0),
    ("minimal-org-trail.yaml", 0),
    // Two single-region data-event trails, by design.
    ("org-and-ou-trails.yaml", 2),
];

#[test]
fn every_example_validates() {
    let files = yaml_files("examples");
    assert!(files.len() >= 4);
    for path in files {
        let source = fs::read_to_string(&path).unwrap_or_default();
        assert!(
            source
                .starts_with("# yaml-language-server: $schema=../schemas/trailform.schema.json\n"),
            "{} must start with the schema comment",
            path.display()
        );
        let checked = check(&path, "examples");
        let rendered: Vec<String> = checked
            .diagnostics
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            checked.spec.is_some() && !checked.has_errors(),
            "{}:\n{}",
            path.display(),
            rendered.join("\n")
        );
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let expected = EXPECTED_WARNINGS
            .iter()
            .find(|(f, _)| *f == name)
            .map(|(_, n)| *n);
        let warnings = checked
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count();
        assert_eq!(
            Some(warnings),
            expected,
            "{name}: warnings:\n{}",
            rendered.join("\n")
        );
    }
}

#[test]
fn committed_schema_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/trailform.schema.json");
    let committed = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == trailform::spec::json_schema(),
        "schemas/trailform.schema.json is stale: regenerate with `cargo run -- schema > schemas/trailform.schema.json`"
    );
}
