//! Reading a spec file: YAML text to [`Spec`], with the line and column of every field.
//!
//! Owns syntax and shape: YAML errors, unknown keys, wrong types, missing fields. Each
//! top-level section and each trail is deserialized on its own, so one broken trail does
//! not hide the errors of another. Rules about values (names, regions, limits) belong
//! to `validate.rs`; this module must not judge them.
//!
//! Locations come from a second pass over the text with an event parser
//! (`saphyr-parser`), which reports a marker for every key and value; `serde_yaml` builds
//! the values. The index maps a field path (`trails.x.data_events[0].resource_type`) to
//! where its key and value start.

use std::collections::HashMap;
use std::path::Path;

use indexmap::IndexMap;
use saphyr_parser::{Event, Parser};
use serde::de::DeserializeOwned;
use serde_yaml::Value;

use super::diagnostic::{self, Diagnostic, Severity};
use super::types::{OrganizationSpec, Spec, TrailSpec, UnmanagedTrails};

/// The keys a spec may have at its top level.
const TOP_LEVEL_KEYS: &[&str] = &["version", "organization", "unmanaged_trails", "trails"];

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl Position {
    /// The start of the file.
    pub const START: Self = Self { line: 1, column: 1 };
}

#[derive(Debug, Clone, Copy)]
struct NodeLocation {
    key: Option<Position>,
    value: Position,
    scalar: bool,
}

/// Where each field of a spec file is: field path to key and value positions.
#[derive(Debug, Clone, Default)]
pub struct Locations {
    nodes: HashMap<String, NodeLocation>,
    /// Second (and later) occurrences of a key in one mapping, in document order.
    duplicates: Vec<(String, Position)>,
}

impl Locations {
    /// Indexes `source`. Stops quietly at a YAML error (the caller reports it from
    /// `serde_yaml`); whatever was indexed before it stays usable.
    #[must_use]
    pub fn index(source: &str) -> Self {
        let mut locations = Self::default();
        let mut stack: Vec<Frame> = Vec::new();
        let mut parser = Parser::new_from_str(source);
        let mut documents = 0usize;
        while let Some(Ok((event, span))) = parser.next_event() {
            let at = Position {
                line: span.start.line(),
                column: span.start.col() + 1,
            };
            match event {
                Event::DocumentStart(_) => {
                    documents += 1;
                    if documents > 1 {
                        break;
                    }
                }
                Event::Scalar(text, ..) => {
                    locations.node(&mut stack, at, Some(text.as_ref()), None)
                }
                Event::Alias(_) => locations.node(&mut stack, at, Some(""), None),
                Event::SequenceStart(..) => {
                    locations.node(&mut stack, at, None, Some(Container::Seq))
                }
                Event::MappingStart(..) => {
                    locations.node(&mut stack, at, None, Some(Container::Map))
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    stack.pop();
                }
                Event::StreamEnd => break,
                Event::Nothing | Event::StreamStart | Event::DocumentEnd => {}
            }
        }
        locations
    }

    fn node(
        &mut self,
        stack: &mut Vec<Frame>,
        at: Position,
        scalar: Option<&str>,
        open: Option<Container>,
    ) {
        let path = match stack.last_mut() {
            None => String::new(),
            Some(Frame::Map { path, key }) => match key.take() {
                None => {
                    // This node is a key. A complex key (a mapping or list) gets a name no
                    // field can have; serde rejects it later.
                    let name = scalar.unwrap_or("?complex-key?").to_owned();
                    let child = join_key(path, &name);
                    if self.nodes.get(&child).is_some_and(|n| n.key.is_some()) {
                        self.duplicates.push((child.clone(), at));
                    }
                    self.nodes.entry(child).or_insert(NodeLocation {
                        key: Some(at),
                        value: at,
                        scalar: false,
                    });
                    *key = Some(name);
                    if open.is_some() {
                        stack.push(Frame::Ignored);
                    }
                    return;
                }
                Some(name) => {
                    let child = join_key(path, &name);
                    if let Some(node) = self.nodes.get_mut(&child) {
                        node.value = at;
                        node.scalar = scalar.is_some();
                    }
                    child
                }
            },
            Some(Frame::Seq { path, next }) => {
                let child = format!("{path}[{next}]");
                *next += 1;
                child
            }
            Some(Frame::Ignored) => {
                if open.is_some() {
                    stack.push(Frame::Ignored);
                }
                return;
            }
        };
        self.nodes.entry(path.clone()).or_insert(NodeLocation {
            key: None,
            value: at,
            scalar: scalar.is_some(),
        });
        match open {
            Some(Container::Map) => stack.push(Frame::Map { path, key: None }),
            Some(Container::Seq) => stack.push(Frame::Seq { path, next: 0 }),
            None => {}
        }
    }

    /// Where a diagnostic about `path` should point: a scalar's value, else the key that
    /// names the field, else where its value starts. A path the file does not contain
    /// (a defaulted field) falls back to its nearest ancestor that it does.
    #[must_use]
    pub fn locate(&self, path: &str) -> Position {
        let mut current = path;
        loop {
            if let Some(node) = self.nodes.get(current) {
                return match (node.scalar, node.key) {
                    (false, Some(key)) => key,
                    _ => node.value,
                };
            }
            match parent(current) {
                Some(p) => current = p,
                None => return Position::START,
            }
        }
    }

    /// Whether the file has any field under `path` (e.g. any trail under `trails`).
    #[must_use]
    pub fn has_children(&self, path: &str) -> bool {
        let prefix = format!("{path}.");
        self.nodes.keys().any(|k| k.starts_with(&prefix))
    }

    /// Where the key naming `path` is (e.g. an unknown field's name), falling back like
    /// [`Locations::locate`].
    #[must_use]
    pub fn locate_key(&self, path: &str) -> Position {
        match self.nodes.get(path) {
            Some(NodeLocation { key: Some(key), .. }) => *key,
            _ => self.locate(path),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Container {
    Map,
    Seq,
}

enum Frame {
    Map { path: String, key: Option<String> },
    Seq { path: String, next: usize },
    Ignored,
}

/// `parent.key`, or `key` at the top level.
#[must_use]
pub fn join_key(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// `parent[index]`.
#[must_use]
pub fn join_index(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

fn parent(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    if path.ends_with(']') {
        if let Some(open) = path.rfind('[') {
            return Some(&path[..open]);
        }
    }
    Some(path.rfind('.').map_or("", |dot| &path[..dot]))
}

/// A parsed spec with where each of its fields is in the file.
#[derive(Debug, Clone)]
pub struct LoadedSpec {
    /// The spec.
    pub spec: Spec,
    /// The file name as given (used in diagnostics).
    pub file: String,
    /// Field positions.
    pub locations: Locations,
}

impl LoadedSpec {
    /// Where `path` is (see [`Locations::locate`]).
    #[must_use]
    pub fn locate(&self, path: &str) -> Position {
        self.locations.locate(path)
    }

    /// A diagnostic about `path`, located in this spec's file. Later stages use this too,
    /// e.g. target resolution: `spec.diagnostic(Severity::Error,
    /// "trails.x.targets.organizational_units[1]", "OU path not found")`.
    #[must_use]
    pub fn diagnostic(
        &self,
        severity: Severity,
        path: &str,
        message: impl Into<String>,
    ) -> Diagnostic {
        let at = self.locate(path);
        Diagnostic {
            severity,
            file: self.file.clone(),
            line: at.line,
            column: at.column,
            path: path.to_owned(),
            message: message.into(),
            help: None,
        }
    }

    /// An error about `path`.
    #[must_use]
    pub fn error(&self, path: &str, message: impl Into<String>) -> Diagnostic {
        self.diagnostic(Severity::Error, path, message)
    }

    /// A warning about `path`.
    #[must_use]
    pub fn warning(&self, path: &str, message: impl Into<String>) -> Diagnostic {
        self.diagnostic(Severity::Warning, path, message)
    }

    /// An error pointing at the key that names `path` rather than its value.
    #[must_use]
    pub fn key_error(&self, path: &str, message: impl Into<String>) -> Diagnostic {
        let at = self.locations.locate_key(path);
        Diagnostic {
            line: at.line,
            column: at.column,
            ..self.error(path, message)
        }
    }
}

/// Reads and parses a spec file.
///
/// # Errors
/// Every problem found, as diagnostics (an unreadable file is one diagnostic at 1:1).
pub fn load(path: &Path) -> Result<LoadedSpec, Vec<Diagnostic>> {
    let file = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(source) => parse_str(&source, &file),
        Err(err) => Err(vec![Diagnostic {
            severity: Severity::Error,
            file,
            line: 1,
            column: 1,
            path: String::new(),
            message: format!("cannot read the spec file: {err}"),
            help: None,
        }]),
    }
}

/// Parses spec text; `file` names it in diagnostics.
///
/// # Errors
/// Every syntax and shape problem found (several per run, one per broken section or
/// trail at most), sorted by position.
pub fn parse_str(source: &str, file: &str) -> Result<LoadedSpec, Vec<Diagnostic>> {
    let (spec, diagnostics) = parse_partial(source, file);
    match spec {
        Some(spec) if diagnostics.is_empty() => Ok(spec),
        _ => Err(diagnostics),
    }
}

/// Parses what can be parsed: the spec with every section and trail that deserialized
/// (the broken ones left out or defaulted), and the diagnostics for the rest. `None`
/// when the file is not a YAML mapping at all. Lets `validate` report rule violations
/// in the good trails alongside the shape errors of the bad ones.
#[must_use]
pub fn parse_partial(source: &str, file: &str) -> (Option<LoadedSpec>, Vec<Diagnostic>) {
    let locations = Locations::index(source);
    let mut parser = SectionParser {
        file,
        locations: &locations,
        diagnostics: Vec::new(),
    };
    let spec = parser.parse(source);
    let mut diagnostics = parser.diagnostics;
    diagnostic::sort(&mut diagnostics);
    let loaded = spec.map(|spec| LoadedSpec {
        spec,
        file: file.to_owned(),
        locations,
    });
    (loaded, diagnostics)
}

struct SectionParser<'a> {
    file: &'a str,
    locations: &'a Locations,
    diagnostics: Vec<Diagnostic>,
}

impl SectionParser<'_> {
    fn push(&mut self, at: Position, path: &str, message: impl Into<String>, help: Option<String>) {
        self.diagnostics.push(Diagnostic {
            severity: Severity::Error,
            file: self.file.to_owned(),
            line: at.line,
            column: at.column,
            path: path.to_owned(),
            message: message.into(),
            help,
        });
    }

    /// Every repeated key, at its repeat, naming the line of its first appearance.
    /// serde_yaml rejects the document (or keeps one entry) without saying where.
    fn report_duplicates(&mut self) {
        for (path, at) in self.locations.duplicates.clone() {
            let first = self.locations.locate_key(&path);
            let name = path.rsplit('.').next().unwrap_or(&path);
            let message = format!(
                "duplicate key `{name}`; it first appears on line {}",
                first.line
            );
            self.push(at, &path, message, None);
        }
    }

    fn parse(&mut self, source: &str) -> Option<Spec> {
        let mut root: Value = match serde_yaml::from_str(source) {
            Ok(value) => value,
            Err(err) => {
                let at = err.location().map_or(Position::START, |l| Position {
                    line: l.line().max(1),
                    column: l.column().max(1),
                });
                let message = yaml_message(&err);
                if message.contains("duplicate entry") && !self.locations.duplicates.is_empty() {
                    self.report_duplicates();
                } else {
                    self.push(at, "", message, None);
                }
                return None;
            }
        };
        self.report_duplicates();
        if let Err(err) = root.apply_merge() {
            self.push(
                Position::START,
                "",
                format!(
                    "cannot apply a YAML merge key (`<<`): {}",
                    yaml_message(&err)
                ),
                None,
            );
            return None;
        }
        let Value::Mapping(top) = root else {
            let (message, help) = if root.is_null() {
                (
                    "the spec file is empty".to_owned(),
                    "start with `version: 1` and a `trails:` mapping",
                )
            } else {
                (
                    format!(
                        "the spec must be a mapping of keys to values, found {}",
                        describe(&root)
                    ),
                    "the top level has the keys version, organization, unmanaged_trails and trails",
                )
            };
            self.push(Position::START, "", message, Some(help.to_owned()));
            return None;
        };

        let mut sections: HashMap<&'static str, Value> = HashMap::new();
        for (key, value) in top {
            let Some(name) = key.as_str() else {
                self.push(
                    Position::START,
                    "",
                    format!("top-level keys are names, found {}", describe(&key)),
                    None,
                );
                continue;
            };
            match TOP_LEVEL_KEYS.iter().find(|k| **k == name) {
                Some(known) => {
                    sections.insert(known, value);
                }
                None => {
                    let at = self.locations.locate_key(name);
                    self.push(
                        at,
                        name,
                        format!(
                            "unknown field `{name}`, expected one of {}",
                            backticked(TOP_LEVEL_KEYS)
                        ),
                        None,
                    );
                }
            }
        }

        let version = match sections.remove("version") {
            Some(value) => self.section::<u32>(value, "version").unwrap_or(1),
            None => {
                self.push(
                    Position::START,
                    "version",
                    "missing field `version`",
                    Some("add `version: 1`".into()),
                );
                1
            }
        };
        let organization = match sections.remove("organization") {
            Some(Value::Null) | None => OrganizationSpec::default(),
            Some(value) => self
                .section::<OrganizationSpec>(value, "organization")
                .unwrap_or_default(),
        };
        let unmanaged_trails = match sections.remove("unmanaged_trails") {
            Some(Value::Null) | None => UnmanagedTrails::default(),
            Some(value) => self
                .section::<UnmanagedTrails>(value, "unmanaged_trails")
                .unwrap_or_default(),
        };
        let trails = match sections.remove("trails") {
            Some(Value::Null) | None => IndexMap::new(),
            Some(Value::Mapping(entries)) => self.trails(entries),
            Some(other) => {
                let at = self.locations.locate("trails");
                self.push(
                    at,
                    "trails",
                    format!(
                        "invalid type: {}, expected a mapping of trail names to trails",
                        describe(&other)
                    ),
                    None,
                );
                IndexMap::new()
            }
        };
        Some(Spec {
            version,
            organization,
            unmanaged_trails,
            trails,
        })
    }

    fn trails(&mut self, entries: serde_yaml::Mapping) -> IndexMap<String, TrailSpec> {
        let mut trails = IndexMap::new();
        for (key, value) in entries {
            let Some(name) = key.as_str() else {
                let text = scalar_text(&key);
                let path = join_key("trails", &text);
                let at = self.locations.locate_key(&path);
                self.push(
                    at,
                    &path,
                    format!("a trail name must be a string, found {}", describe(&key)),
                    Some(format!("quote it: \"{text}\":")),
                );
                continue;
            };
            let path = join_key("trails", name);
            if let Some(trail) = self.section::<TrailSpec>(value, &path) {
                trails.insert(name.to_owned(), trail);
            }
        }
        trails
    }

    /// Deserializes one section, reporting its first error at the field it names.
    fn section<T: DeserializeOwned>(&mut self, value: Value, prefix: &str) -> Option<T> {
        match serde_path_to_error::deserialize::<_, T>(value) {
            Ok(v) => Some(v),
            Err(err) => {
                let mut path = prefix.to_owned();
                for segment in err.path().iter() {
                    match segment {
                        serde_path_to_error::Segment::Seq { index } => {
                            path = join_index(&path, *index)
                        }
                        serde_path_to_error::Segment::Map { key } => path = join_key(&path, key),
                        serde_path_to_error::Segment::Enum { variant } => {
                            path = join_key(&path, variant)
                        }
                        serde_path_to_error::Segment::Unknown => {}
                    }
                }
                let message = yaml_message(err.inner());
                if message.contains("duplicate entry") && !self.locations.duplicates.is_empty() {
                    return None; // reported with both positions in `parse`
                }
                let (at, path) = match unknown_field(&message) {
                    Some(field) => {
                        // serde_path_to_error may already have pushed the key.
                        let field_path = if path.ends_with(&format!(".{field}")) {
                            path.clone()
                        } else {
                            join_key(&path, field)
                        };
                        (self.locations.locate_key(&field_path), field_path)
                    }
                    None => (self.locations.locate(&path), path),
                };
                let help = (message.starts_with("invalid type: integer")
                    && message.ends_with("expected a string"))
                .then(|| {
                    "quote it: account ids and other digit strings are strings (\"012345678901\")"
                        .to_owned()
                });
                self.push(at, &path, message, help);
                None
            }
        }
    }
}

/// The field name of serde's "unknown field `x`, expected ..." message.
fn unknown_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.find('`').map(|end| &rest[..end])
}

/// A serde_yaml error message without its " at line L column C" suffix (the diagnostic
/// carries the position).
fn yaml_message(err: &serde_yaml::Error) -> String {
    let text = err.to_string();
    match text.find(" at line ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "nothing (null)".to_owned(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) => format!("number `{n}`"),
        Value::String(s) => format!("string {s:?}"),
        Value::Sequence(_) => "a list".to_owned(),
        Value::Mapping(_) => "a mapping".to_owned(),
        Value::Tagged(t) => format!("a value tagged `{}`", t.tag),
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Null => "null".to_owned(),
        _ => "?complex-key?".to_owned(),
    }
}

fn backticked(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_keys_values_and_list_items() {
        let src = "version: 1\ntrails:\n  a-trail:\n    regions: [us-east-1, eu-west-1]\n    data_events:\n      - resource_type: AWS::S3::Object\n";
        let loc = Locations::index(src);
        assert_eq!(
            loc.locate("version"),
            Position {
                line: 1,
                column: 10
            }
        );
        assert_eq!(
            loc.locate("trails.a-trail"),
            Position { line: 3, column: 3 }
        );
        assert_eq!(
            loc.locate("trails.a-trail.regions[1]"),
            Position {
                line: 4,
                column: 26
            }
        );
        assert_eq!(
            loc.locate("trails.a-trail.data_events[0].resource_type"),
            Position {
                line: 6,
                column: 24
            }
        );
        assert_eq!(
            loc.locate_key("trails.a-trail.data_events[0].resource_type"),
            Position { line: 6, column: 9 }
        );
        // Absent field: nearest ancestor.
        assert_eq!(
            loc.locate("trails.a-trail.home_region"),
            Position { line: 3, column: 3 }
        );
        assert_eq!(loc.locate("nothing.here"), Position::START);
    }

    #[test]
    fn parent_paths() {
        assert_eq!(parent("a.b[2]"), Some("a.b"));
        assert_eq!(parent("a.b"), Some("a"));
        assert_eq!(parent("a"), Some(""));
        assert_eq!(parent(""), None);
    }

    #[test]
    fn unknown_field_points_at_the_key() {
        let src =
            "version: 1\ntrails:\n  t1:\n    scope: account\n    s3_bucket: b\n    acount: x\n";
        let errs = parse_str(src, "s.yaml").err().unwrap_or_default();
        assert_eq!(errs.len(), 1);
        assert_eq!((errs[0].line, errs[0].column), (6, 5));
        assert_eq!(errs[0].path, "trails.t1.acount");
    }

    #[test]
    fn reports_one_error_per_broken_trail() {
        let src = "version: 1\ntrails:\n  t1:\n    scope: acount\n    s3_bucket: b\n  t2:\n    scope: account\n    s3_bucket: [x]\n";
        let errs = parse_str(src, "s.yaml").err().unwrap_or_default();
        let paths: Vec<_> = errs.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, ["trails.t1.scope", "trails.t2.s3_bucket"]);
        assert_eq!(
            errs[0].to_string(),
            "s.yaml:4:12: error: trails.t1.scope: unknown variant `acount`, expected `organization` or `account`"
        );
    }
}
