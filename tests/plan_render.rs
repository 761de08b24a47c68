//! Snapshots of the three renderings of one plan that has every kind of change, warnings
//! and an unreadable account (tests/engine_fixture). Reviewed by hand: a change here is
//! a change of user-facing output.

mod engine_fixture;

use trailform::plan::{render_human, render_json, render_markdown};

#[test]
fn human_rendering() {
    insta::assert_snapshot!(render_human(&engine_fixture::sample_plan(), false));
}

#[test]
fn json_rendering() {
    insta::assert_snapshot!(render_json(&engine_fixture::sample_plan()));
}

#[test]
fn markdown_rendering() {
    insta::assert_snapshot!(render_markdown(&engine_fixture::sample_plan()));
}

#[test]
fn colour_only_when_asked() {
    let plan = engine_fixture::sample_plan();
    assert!(!render_human(&plan, false).contains('\x1b'));
    let coloured = render_human(&plan, true);
    assert!(coloured.contains("\x1b[32m+ create\x1b[0m"));
    assert!(coloured.contains("\x1b[31m- delete\x1b[0m"));
    // Stripping the escapes gives back the plain rendering.
    let mut plain = String::new();
    let mut chars = coloured.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    assert_eq!(plain, render_human(&plan, false));
}

/// A plan with nothing to change whose organization listing failed in part must not
/// say the organization matches the spec, and must name what it could not list.
#[test]
fn a_failed_ou_listing_is_never_called_a_match() {
    let mut plan = engine_fixture::sample_plan();
    plan.targets.clear();
    plan.summary = trailform::plan::Summary::default();
    plan.unreadable = vec![trailform::live::ReadFailure {
        account_id: "111111111111".into(),
        region: None,
        trail: None,
        ou: Some("ou-ab12-cdefgh34".into()),
        operation: "ListAccountsForParent".into(),
        code: "TooManyRequestsException".into(),
        message: "Rate exceeded".into(),
    }];
    for text in [render_human(&plan, false), render_markdown(&plan)] {
        assert!(!text.contains("matches the spec"), "{text}");
        assert!(
            text.contains("No changes in what could be read; 1 read failed"),
            "{text}"
        );
        assert!(
            text.contains("listing ou-ab12-cdefgh34 (accounts under it may be missing): ListAccountsForParent failed: "),
            "{text}"
        );
    }
}
