//! Templates in spec strings: `{account_id}`, `{account_name}` and `{region}`.
//!
//! Owns the template syntax (placeholders in braces, no escapes) and its expansion.
//! Validation ([`placeholders`]) runs before any AWS call; [`expand`] runs once targets
//! are resolved and assumes a validated template. Must not know which spec fields
//! accept which placeholders: that is the validator's job.

use std::fmt;

/// A placeholder a template may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Placeholder {
    /// `{account_id}`: the 12-digit id of the account that owns the trail.
    AccountId,
    /// `{account_name}`: that account's name in AWS Organizations.
    AccountName,
    /// `{region}`: the trail's home region.
    Region,
}

impl Placeholder {
    /// Every placeholder, in the order the docs list them.
    pub const ALL: [Self; 3] = [Self::AccountId, Self::AccountName, Self::Region];

    /// The name between the braces.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::AccountId => "account_id",
            Self::AccountName => "account_name",
            Self::Region => "region",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }
}

impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}}}", self.name())
    }
}

/// Why a template is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `{name}` where name is not a placeholder.
    #[error("unknown placeholder `{{{name}}}`; the placeholders are {{account_id}}, {{account_name}} and {{region}}")]
    UnknownPlaceholder {
        /// The text between the braces.
        name: String,
    },
    /// A `{` without a matching `}`.
    #[error("unclosed `{{` at character {offset}; placeholders look like {{account_id}}")]
    Unclosed {
        /// Character offset of the brace.
        offset: usize,
    },
    /// A `}` without a preceding `{`.
    #[error("unmatched `}}` at character {offset}; placeholders look like {{account_id}}")]
    Unmatched {
        /// Character offset of the brace.
        offset: usize,
    },
}

/// The values substituted into a template for one trail instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateVars<'a> {
    /// Substituted for `{account_id}`.
    pub account_id: &'a str,
    /// Substituted for `{account_name}`.
    pub account_name: &'a str,
    /// Substituted for `{region}`.
    pub region: &'a str,
}

impl TemplateVars<'_> {
    fn value(&self, placeholder: Placeholder) -> &str {
        match placeholder {
            Placeholder::AccountId => self.account_id,
            Placeholder::AccountName => self.account_name,
            Placeholder::Region => self.region,
        }
    }
}

/// A piece of a parsed template.
enum Piece<'s> {
    Literal(&'s str),
    Placeholder(Placeholder),
}

fn pieces(template: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut out = Vec::new();
    let mut rest = template;
    let mut offset = 0;
    loop {
        let open = rest.find('{');
        let close = rest.find('}');
        match (open, close) {
            (None, None) => {
                if !rest.is_empty() {
                    out.push(Piece::Literal(rest));
                }
                return Ok(out);
            }
            (None, Some(c)) => {
                return Err(TemplateError::Unmatched {
                    offset: char_offset(template, offset + c),
                });
            }
            (Some(o), Some(c)) if c < o => {
                return Err(TemplateError::Unmatched {
                    offset: char_offset(template, offset + c),
                });
            }
            (Some(o), _) => {
                if o > 0 {
                    out.push(Piece::Literal(&rest[..o]));
                }
                let after = &rest[o + 1..];
                let Some(end) = after.find('}') else {
                    return Err(TemplateError::Unclosed {
                        offset: char_offset(template, offset + o),
                    });
                };
                let name = &after[..end];
                if name.contains('{') {
                    return Err(TemplateError::Unclosed {
                        offset: char_offset(template, offset + o),
                    });
                }
                let placeholder = Placeholder::from_name(name).ok_or_else(|| {
                    TemplateError::UnknownPlaceholder {
                        name: name.to_owned(),
                    }
                })?;
                out.push(Piece::Placeholder(placeholder));
                let consumed = o + 1 + end + 1;
                rest = &rest[consumed..];
                offset += consumed;
            }
        }
    }
}

fn char_offset(s: &str, byte: usize) -> usize {
    s.get(..byte).map_or(byte, |prefix| prefix.chars().count())
}

/// The placeholders `s` uses, in order of appearance (repeats included), or why `s` is
/// not a well-formed template. A string without braces is a template with none.
pub fn placeholders(s: &str) -> Result<Vec<Placeholder>, TemplateError> {
    Ok(pieces(s)?
        .into_iter()
        .filter_map(|p| match p {
            Piece::Placeholder(p) => Some(p),
            Piece::Literal(_) => None,
        })
        .collect())
}

/// The literal text of a template with every placeholder removed (for checking the
/// characters a field allows). `None` when the template is malformed.
#[must_use]
pub fn literal_parts(s: &str) -> Option<Vec<&str>> {
    let pieces = pieces(s).ok()?;
    Some(
        pieces
            .into_iter()
            .filter_map(|p| match p {
                Piece::Literal(l) => Some(l),
                Piece::Placeholder(_) => None,
            })
            .collect(),
    )
}

/// Expands a template. Call only on templates the validator accepted: a malformed one
/// is returned unchanged rather than half-expanded.
#[must_use]
pub fn expand(template: &str, vars: &TemplateVars<'_>) -> String {
    let Ok(pieces) = pieces(template) else {
        return template.to_owned();
    };
    let mut out = String::with_capacity(template.len());
    for piece in pieces {
        match piece {
            Piece::Literal(l) => out.push_str(l),
            Piece::Placeholder(p) => out.push_str(vars.value(p)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const VARS: TemplateVars<'static> = TemplateVars {
        account_id: "111111111111",
        account_name: "prod",
        region: "eu-west-1",
    };

    #[test]
    fn expands_every_placeholder() {
        assert_eq!(
            expand(
                "trail-{account_id}-{account_name}/{region}/{account_id}",
                &VARS
            ),
            "trail-111111111111-prod/eu-west-1/111111111111"
        );
        assert_eq!(expand("plain", &VARS), "plain");
        assert_eq!(expand("", &VARS), "");
    }

    #[test]
    fn lists_placeholders_in_order() {
        assert_eq!(
            placeholders("{region}x{account_id}{region}"),
            Ok(vec![
                Placeholder::Region,
                Placeholder::AccountId,
                Placeholder::Region
            ])
        );
        assert_eq!(placeholders("none"), Ok(vec![]));
    }

    #[test]
    fn rejects_malformed_templates() {
        assert_eq!(
            placeholders("a-{acount_id}"),
            Err(TemplateError::UnknownPlaceholder {
                name: "acount_id".into()
            })
        );
        assert_eq!(
            placeholders("a-{account_id"),
            Err(TemplateError::Unclosed { offset: 2 })
        );
        assert_eq!(
            placeholders("a-account_id}"),
            Err(TemplateError::Unmatched { offset: 12 })
        );
        assert_eq!(
            placeholders("{{account_id}}"),
            Err(TemplateError::Unclosed { offset: 0 })
        );
        assert_eq!(
            placeholders("{}"),
            Err(TemplateError::UnknownPlaceholder {
                name: String::new()
            })
        );
        assert_eq!(expand("bad-{x}", &VARS), "bad-{x}");
    }

    #[test]
    fn literal_parts_drop_placeholders() {
        assert_eq!(literal_parts("a-{region}-b"), Some(vec!["a-", "-b"]));
        assert_eq!(literal_parts("{x}"), None);
    }
}
