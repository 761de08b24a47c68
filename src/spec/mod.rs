//! The spec: its types, YAML parsing with source locations, and validation.
//!
//! Owns everything that can be known about a spec file without calling AWS. Must not
//! touch the network or the live model.

mod types;

pub use types::*;
