//! `schemas/plan.schema.json` is the committed, documented JSON shape of a plan. It must
//! equal the schema generated from the `Plan` type, and a rendered plan must fit it.
//! Regenerate with `TRAILFORM_BLESS=1 cargo test --test plan_schema`.

mod engine_fixture;

use std::path::Path;

use serde_json::Value;
use trailform::plan::{plan_schema, render_json};

const SCHEMA_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/plan.schema.json");

fn generated() -> String {
    let mut text = serde_json::to_string_pretty(&plan_schema()).unwrap();
    text.push('\n');
    text
}

#[test]
fn committed_schema_is_the_generated_one() {
    let generated = generated();
    if std::env::var_os("TRAILFORM_BLESS").is_some() {
        std::fs::create_dir_all(Path::new(SCHEMA_PATH).parent().unwrap()).unwrap();
        std::fs::write(SCHEMA_PATH, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(SCHEMA_PATH).unwrap_or_default();
    assert!(
        committed == generated,
        "schemas/plan.schema.json is stale: run TRAILFORM_BLESS=1 cargo test --test plan_schema"
    );
}

/// Resolves a local `$ref` (`#/$defs/Name`).
fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix("#/")
            .map(|path| path.split('/').fold(root, |v, key| &v[key]))
            .unwrap_or(schema),
        None => schema,
    }
}

/// A structural check, enough to catch a renamed or missing key anywhere: every object
/// key must be declared by a matching schema (walking properties, items, `$ref`,
/// `oneOf`/`anyOf`), and every required property must be present.
fn check(root: &Value, schema: &Value, value: &Value, path: &str) -> Result<(), String> {
    let schema = resolve(root, schema);
    if let Some(options) = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array)
    {
        return if options.iter().any(|s| check(root, s, value, path).is_ok()) {
            Ok(())
        } else {
            Err(format!("{path}: matches none of the alternatives"))
        };
    }
    match value {
        Value::Object(map) => {
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (key, v) in map {
                    let sub = props
                        .get(key)
                        .ok_or_else(|| format!("{path}.{key}: not in the schema"))?;
                    check(root, sub, v, &format!("{path}.{key}"))?;
                }
                for required in schema
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let key = required.as_str().unwrap_or_default();
                    if !map.contains_key(key) {
                        return Err(format!("{path}.{key}: required but missing"));
                    }
                }
            } else if let Some(extra) = schema.get("additionalProperties") {
                for (key, v) in map {
                    check(root, extra, v, &format!("{path}.{key}"))?;
                }
            }
            Ok(())
        }
        Value::Array(items) => match schema.get("items") {
            Some(item) => items
                .iter()
                .enumerate()
                .try_for_each(|(i, v)| check(root, item, v, &format!("{path}[{i}]"))),
            None => Ok(()),
        },
        Value::String(s) => match schema.get("enum").and_then(Value::as_array) {
            Some(allowed) if !allowed.iter().any(|a| a.as_str() == Some(s)) => {
                Err(format!("{path}: {s:?} not among {allowed:?}"))
            }
            _ => match schema.get("const").and_then(Value::as_str) {
                Some(c) if c != s => Err(format!("{path}: {s:?} is not {c:?}")),
                _ => Ok(()),
            },
        },
        _ => Ok(()),
    }
}

#[test]
fn sample_plan_json_fits_the_schema() {
    let schema: Value = serde_json::from_str(&generated()).unwrap();
    let plan: Value = serde_json::from_str(&render_json(&engine_fixture::sample_plan())).unwrap();
    check(&schema, &schema, &plan, "$").unwrap();
    // Top level, both ways.
    let props = schema["properties"].as_object().unwrap();
    let keys = plan.as_object().unwrap();
    assert!(props.keys().all(|k| keys.contains_key(k)));
    assert!(keys.keys().all(|k| props.contains_key(k)));
}

#[test]
fn the_check_catches_an_unknown_key() {
    let schema: Value = serde_json::from_str(&generated()).unwrap();
    let mut plan: Value =
        serde_json::from_str(&render_json(&engine_fixture::sample_plan())).unwrap();
    plan["targets"][0]["changes"][0]["surprise"] = Value::Bool(true);
    assert!(check(&schema, &schema, &plan, "$").is_err());
}
