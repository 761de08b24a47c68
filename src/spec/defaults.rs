//! The effective value of every optional trail setting: what an omitted field means.
//!
//! Owns the defaults of design.md §1 in one place so the validator, the normalizer
//! and the docs agree. Pure functions of the spec; nothing about the live state.

use super::types::{ReadWrite, Scope, TrailSpec};

impl TrailSpec {
    /// Whether the trail logs every region. Omitted: true when `regions` is absent,
    /// false when it is present.
    #[must_use]
    pub fn effective_multi_region(&self) -> bool {
        self.multi_region.unwrap_or(self.regions.is_none())
    }

    /// Whether global service events (IAM, STS, ...) are logged. Omitted: true.
    #[must_use]
    pub fn effective_global_service_events(&self) -> bool {
        self.global_service_events.unwrap_or(true)
    }

    /// Whether digest files are written. Omitted: false, as AWS's default.
    #[must_use]
    pub fn effective_log_file_validation(&self) -> bool {
        self.log_file_validation.unwrap_or(false)
    }

    /// Whether the trail should be logging. Omitted: true.
    #[must_use]
    pub fn effective_logging(&self) -> bool {
        self.logging.unwrap_or(true)
    }

    /// Which management events the trail logs when it uses the shorthand (or no
    /// selector field at all). No selector fields: AWS's default, all management events;
    /// `data_events` without `management_events`: all management events too. `None` when
    /// the trail uses classic or advanced selectors (read those directly).
    #[must_use]
    pub fn shorthand_management_events(&self) -> Option<ReadWrite> {
        if self.event_selectors.is_some() || self.advanced_event_selectors.is_some() {
            return None;
        }
        Some(
            self.management_events
                .as_ref()
                .map_or(ReadWrite::All, |m| m.read_write),
        )
    }

    /// Whether the trail logs any management events, whatever selector form it uses.
    #[must_use]
    pub fn logs_management_events(&self) -> bool {
        if let Some(selectors) = &self.event_selectors {
            return selectors.iter().any(|s| s.include_management_events);
        }
        if let Some(selectors) = &self.advanced_event_selectors {
            return selectors.iter().any(|s| {
                s.field_selectors.iter().any(|f| {
                    f.field == "eventCategory" && f.equals.iter().any(|v| v == "Management")
                })
            });
        }
        self.shorthand_management_events() != Some(ReadWrite::None)
    }

    /// Whether this is an organization trail.
    #[must_use]
    pub fn is_organization(&self) -> bool {
        self.scope == Scope::Organization
    }
}
