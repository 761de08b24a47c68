//! trailform keeps AWS CloudTrail configured the same way across every account of an
//! AWS Organization.
//!
//! The pipeline (design.md §3), one module per stage:
//! 1. [`spec`] parses and validates the YAML spec (no AWS calls);
//! 2. [`aws`] lists the organization and reads each account-region's trails into the
//!    plain-data [`live`] model (the only module that names `aws_sdk_*`);
//! 3. [`org`] resolves which (account, region) each spec trail targets;
//! 4. [`normalize`] puts desired and live trails into one canonical form;
//! 5. [`plan`] diffs them into a serializable `Plan` and renders it;
//! 6. [`apply`] executes a plan.

#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod apply;
pub mod aws;
pub mod cli;
pub mod commands;
pub mod exit;
pub mod live;
pub mod normalize;
pub mod org;
pub mod output;
pub mod plan;
pub mod spec;
