//! The JSON Schema of the spec, generated from the types' doc comments.
//!
//! Owns the schema's identity (`$id`, title). `schemas/trailform.schema.json` is this
//! output, committed so editors find it; a test keeps the two equal.

use schemars::schema_for;

use super::types::Spec;

/// The schema's `$id`. A URN rather than a URL: the schema is found by relative path
/// (`# yaml-language-server: $schema=...`), not fetched.
pub const SCHEMA_ID: &str = "urn:trailform:schema:spec:1";

/// The spec's JSON Schema, pretty-printed, with a trailing newline.
#[must_use]
pub fn json_schema() -> String {
    let mut schema = schema_for!(Spec);
    schema.insert(
        "$id".to_owned(),
        serde_json::Value::String(SCHEMA_ID.to_owned()),
    );
    let mut text = serde_json::to_string_pretty(&schema)
        .unwrap_or_else(|err| format!("{{\"error\": \"{err}\"}}"));
    text.push('\n');
    text
}
