//! Accounts, OUs, tags and target resolution: which (account, region) each spec trail
//! lands in. Pure: takes the spec and the listed organization, returns targets.

use serde::{Deserialize, Serialize};

use crate::spec::Scope;

/// One instance of a spec trail: the trail `trail` should exist in `account_id`, with
/// `region` as its home region.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Target {
    /// Spec key = trail name.
    pub trail: String,
    /// Organization or account scope.
    pub scope: Scope,
    /// Account that owns the trail.
    pub account_id: String,
    /// That account's name (for `{account_name}`).
    pub account_name: String,
    /// Home region.
    pub region: String,
}
