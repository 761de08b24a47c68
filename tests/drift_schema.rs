//! `schemas/drift.schema.json` is the committed, documented JSON shape of a drift
//! report. It must equal the schema generated from the `DriftReport` type.
//! Regenerate with `TRAILFORM_BLESS=1 cargo test --test drift_schema`.

use std::path::Path;

use trailform::drift::drift_schema;

const SCHEMA_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/drift.schema.json");

#[test]
fn committed_schema_is_the_generated_one() {
    let mut generated = serde_json::to_string_pretty(&drift_schema()).unwrap();
    generated.push('\n');
    if std::env::var_os("TRAILFORM_BLESS").is_some() {
        std::fs::create_dir_all(Path::new(SCHEMA_PATH).parent().unwrap()).unwrap();
        std::fs::write(SCHEMA_PATH, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(SCHEMA_PATH).unwrap_or_default();
    assert!(
        committed == generated,
        "schemas/drift.schema.json is stale: run TRAILFORM_BLESS=1 cargo test --test drift_schema"
    );
}
