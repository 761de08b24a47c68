//! `trailform validate` and `schema` through the built binary.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn trailform(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trailform"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .output()
        .unwrap_or_else(|e| panic!("running trailform: {e}"))
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid");
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn every_invalid_fixture_exits_1_naming_its_first_error_line() {
    let files = fixtures();
    assert!(files.len() >= 35);
    for path in files {
        let rel = format!(
            "tests/fixtures/invalid/{}",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        );
        let source = fs::read_to_string(&path).unwrap_or_default();
        let first = trailform::spec::check_str(&source, &rel)
            .diagnostics
            .into_iter()
            .find(|d| d.is_error())
            .unwrap_or_else(|| panic!("{rel}: no error"));
        let out = trailform(&["validate", "-f", &rel]);
        let output = text(&out);
        assert_eq!(out.status.code(), Some(1), "{rel}:\n{output}");
        let expected = format!("{rel}:{}:{}: error:", first.line, first.column);
        assert!(
            output.contains(&expected),
            "{rel}: expected `{expected}` in:\n{output}"
        );
        assert!(
            output.contains("invalid:"),
            "{rel}: no summary in:\n{output}"
        );
    }
}

#[test]
fn a_valid_example_exits_0_and_strict_promotes_warnings() {
    let out = trailform(&["validate", "-f", "examples/minimal-org-trail.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("examples/minimal-org-trail.yaml: valid (0 warnings)"));

    let out = trailform(&["validate", "-f", "examples/org-and-ou-trails.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("warning:"));

    let out = trailform(&[
        "validate",
        "--strict",
        "-f",
        "examples/org-and-ou-trails.yaml",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("--strict"));
}

#[test]
fn a_missing_file_is_an_error_not_a_panic() {
    let out = trailform(&["validate", "-f", "no/such/trailform.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("cannot read the spec file"),
        "{}",
        text(&out)
    );
}

#[test]
fn output_is_not_coloured_when_piped() {
    let out = trailform(&["validate", "-f", "tests/fixtures/invalid/kms-alias.yaml"]);
    assert!(!text(&out).contains('\u{1b}'));
}

#[test]
fn schema_prints_the_committed_schema() {
    let out = trailform(&["schema"]);
    assert_eq!(out.status.code(), Some(0));
    let committed = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/trailform.schema.json"),
    )
    .unwrap_or_default();
    assert_eq!(String::from_utf8_lossy(&out.stdout), committed);
}

#[test]
fn aws_commands_check_the_spec_before_any_aws_call() {
    // No AWS endpoint is configured here: a missing spec must fail on the spec alone.
    for cmd in ["plan", "apply", "accounts"] {
        let out = trailform(&[cmd, "--no-color", "-f", "/nonexistent/trailform.yaml"]);
        assert_eq!(out.status.code(), Some(1), "{cmd}");
        assert!(
            text(&out).contains("/nonexistent/trailform.yaml"),
            "{cmd}: {}",
            text(&out)
        );
    }
}
