//! The spec: its types, YAML parsing with source locations, validation, templates and
//! the table of CloudTrail limits.
//!
//! Owns everything that can be known about a spec file without calling AWS. Must not
//! touch the network or the live model.

mod defaults;
mod diagnostic;
pub mod limits;
mod parse;
mod schema;
pub mod template;
mod types;
mod validate;

pub use diagnostic::{sort as sort_diagnostics, Diagnostic, Severity};
pub use parse::{
    join_index, join_key, load, parse_partial, parse_str, LoadedSpec, Locations, Position,
};
pub use schema::{json_schema, SCHEMA_ID};
pub use types::*;
pub use validate::{check_file, check_str, trail_name_problem, validate, Checked};
