//! Diagnostics and attribute paths: the only way handlers report problems to Terraform.

use super::proto::tfplugin6 as pb;

/// One step into a value: an attribute, a list index or a map key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    Attribute(String),
    Index(i64),
    Key(String),
}

/// The path to the attribute a diagnostic is about, so Terraform can point at the config line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttributePath(pub Vec<PathStep>);

impl AttributePath {
    /// The path of a top-level attribute.
    pub fn root(name: &str) -> Self {
        AttributePath(vec![PathStep::Attribute(name.to_string())])
    }

    pub fn attribute(mut self, name: &str) -> Self {
        self.0.push(PathStep::Attribute(name.to_string()));
        self
    }

    pub fn index(mut self, index: i64) -> Self {
        self.0.push(PathStep::Index(index));
        self
    }

    pub fn key(mut self, key: &str) -> Self {
        self.0.push(PathStep::Key(key.to_string()));
        self
    }

    pub fn to_proto(&self) -> pb::AttributePath {
        use pb::attribute_path::{step::Selector, Step};
        let step = |selector| Step {
            selector: Some(selector),
        };
        pb::AttributePath {
            steps: self
                .0
                .iter()
                .map(|s| match s {
                    PathStep::Attribute(name) => step(Selector::AttributeName(name.clone())),
                    PathStep::Index(i) => step(Selector::ElementKeyInt(*i)),
                    PathStep::Key(k) => step(Selector::ElementKeyString(k.clone())),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub path: Option<AttributePath>,
}

/// What a diagnostic is really about when that is wider than the step that ran into it: a
/// rejected signature, an unknown access key or credentials that cannot be obtained fail every
/// call alike. Diagnostics with the same cause are reported once (see [`Diagnostics::extend`]).
/// The key is opaque here; whoever builds the diagnostic decides what counts as the same cause.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cause(String);

impl Cause {
    /// A cause identified by `key`: equal keys are the same cause.
    pub fn new(key: impl Into<String>) -> Cause {
        Cause(key.into())
    }
}

/// The text a user reads in front of the other steps a shared cause also failed.
pub const ALSO_FAILED: &str = "Also failed for the same reason:";

/// A diagnostic's cause and the steps it stopped, kept apart from the rendered detail so that
/// later steps can be added to it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Shared {
    cause: Cause,
    /// The detail as its builder wrote it, before the list of other steps.
    detail: String,
    /// The step that reported it first, e.g. `Creating RAM role "r"`.
    step: String,
    /// Later steps that failed for the same cause, in the order they were reported.
    also: Vec<String>,
}

impl Shared {
    fn render(&self) -> String {
        if self.also.is_empty() {
            return self.detail.clone();
        }
        format!("{}\n\n{ALSO_FAILED} {}.", self.detail, self.also.join("; "))
    }

    /// Records the steps of `other` (same cause); returns whether anything was new.
    fn absorb(&mut self, other: Shared) -> bool {
        let mut changed = false;
        for step in std::iter::once(other.step).chain(other.also) {
            if step != self.step && !self.also.contains(&step) {
                self.also.push(step);
                changed = true;
            }
        }
        changed
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    diagnostic: Diagnostic,
    shared: Option<Shared>,
}

/// Diagnostics accumulated over one call, so a user sees every problem at once, and each
/// problem once: a diagnostic with a [`Cause`] that is already reported is folded into the
/// earlier one, which then names the step as having failed the same way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(Vec<Entry>);

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Error, summary, detail, None);
    }

    pub fn error_at(
        &mut self,
        path: AttributePath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.push(Severity::Error, summary, detail, Some(path));
    }

    /// An error whose `cause` is wider than `step`, the thing that was being done: a later
    /// error with the same cause only adds its step to this one (see [`Cause`]).
    pub fn error_with_cause(
        &mut self,
        cause: Cause,
        step: impl Into<String>,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        let detail = detail.into();
        self.add(Entry {
            diagnostic: Diagnostic {
                severity: Severity::Error,
                summary: summary.into(),
                detail: detail.clone(),
                path: None,
            },
            shared: Some(Shared {
                cause,
                detail,
                step: step.into(),
                also: Vec::new(),
            }),
        });
    }

    pub fn warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Warning, summary, detail, None);
    }

    pub fn warning_at(
        &mut self,
        path: AttributePath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.push(Severity::Warning, summary, detail, Some(path));
    }

    fn push(
        &mut self,
        severity: Severity,
        summary: impl Into<String>,
        detail: impl Into<String>,
        path: Option<AttributePath>,
    ) {
        self.0.push(Entry {
            diagnostic: Diagnostic {
                severity,
                summary: summary.into(),
                detail: detail.into(),
                path,
            },
            shared: None,
        });
    }

    /// Appends `entry`, or folds it into an earlier diagnostic of the same cause and severity.
    fn add(&mut self, entry: Entry) {
        let Some(shared) = entry.shared else {
            self.0.push(entry);
            return;
        };
        let severity = entry.diagnostic.severity;
        let earlier = self.0.iter_mut().find_map(|e| match &mut e.shared {
            Some(s) if s.cause == shared.cause && e.diagnostic.severity == severity => {
                Some((&mut e.diagnostic, s))
            }
            _ => None,
        });
        match earlier {
            Some((diagnostic, earlier)) => {
                if earlier.absorb(shared) {
                    diagnostic.detail = earlier.render();
                }
            }
            None => self.0.push(Entry {
                diagnostic: entry.diagnostic,
                shared: Some(shared),
            }),
        }
    }

    /// Adds `other`'s diagnostics; those whose cause is already reported are folded in.
    pub fn extend(&mut self, other: Diagnostics) {
        for entry in other.0 {
            self.add(entry);
        }
    }

    pub fn has_errors(&self) -> bool {
        self.0
            .iter()
            .any(|e| e.diagnostic.severity == Severity::Error)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().map(|e| &e.diagnostic)
    }

    pub fn into_proto(self) -> Vec<pb::Diagnostic> {
        self.0
            .into_iter()
            .map(|Entry { diagnostic: d, .. }| pb::Diagnostic {
                severity: match d.severity {
                    Severity::Error => pb::diagnostic::Severity::Error,
                    Severity::Warning => pb::diagnostic::Severity::Warning,
                } as i32,
                summary: d.summary,
                detail: d.detail,
                attribute: d.path.as_ref().map(AttributePath::to_proto),
            })
            .collect()
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(diagnostic: Diagnostic) -> Self {
        Diagnostics(vec![Entry {
            diagnostic,
            shared: None,
        }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_their_attribute_path() {
        let mut diags = Diagnostics::new();
        diags.warning("just so you know", "");
        assert!(!diags.has_errors());
        diags.error_at(
            AttributePath::root("assume_role")
                .index(0)
                .attribute("role_arn"),
            "Invalid role ARN",
            "must look like acs:ram::<account>:role/<name>",
        );
        assert!(diags.has_errors());
        let proto = diags.into_proto();
        assert_eq!(proto.len(), 2);
        assert_eq!(proto[1].severity, pb::diagnostic::Severity::Error as i32);
        let steps = &proto[1].attribute.as_ref().unwrap().steps;
        assert_eq!(steps.len(), 3);
        use pb::attribute_path::step::Selector;
        assert_eq!(steps[1].selector, Some(Selector::ElementKeyInt(0)));
        assert_eq!(
            steps[2].selector,
            Some(Selector::AttributeName("role_arn".into()))
        );
    }

    fn signature(diags: &mut Diagnostics, step: &str, request_id: &str) {
        diags.error_with_cause(
            Cause::new("signature"),
            step,
            format!("{step}: SignatureDoesNotMatch"),
            format!("rejected (RequestId: {request_id})"),
        );
    }

    #[test]
    fn one_cause_is_one_diagnostic_naming_every_step() {
        let mut diags = Diagnostics::new();
        signature(&mut diags, "Creating RAM role \"r\"", "REQ-1");
        let mut other = Diagnostics::new();
        signature(&mut other, "Creating RAM policy \"p\"", "REQ-2");
        // The lifecycle gathers each step's diagnostics with `extend`.
        diags.extend(other);
        let mut third = Diagnostics::new();
        signature(&mut third, "Attaching \"p\" to \"r\"", "REQ-3");
        diags.extend(third);
        let all: Vec<&Diagnostic> = diags.iter().collect();
        assert_eq!(all.len(), 1, "{all:?}");
        let d = all[0];
        assert_eq!(d.summary, "Creating RAM role \"r\": SignatureDoesNotMatch");
        assert_eq!(
            d.detail,
            "rejected (RequestId: REQ-1)\n\nAlso failed for the same reason: Creating RAM policy \"p\"; \
             Attaching \"p\" to \"r\"."
        );
        assert!(!d.detail.contains("REQ-2"));
        let proto = diags.into_proto();
        assert_eq!(proto.len(), 1);
        assert!(proto[0].detail.contains(ALSO_FAILED));
    }

    #[test]
    fn merged_diagnostics_carry_their_steps_along() {
        // Two batches that each merged already, then meet: every step is named once.
        let mut first = Diagnostics::new();
        signature(&mut first, "A", "1");
        signature(&mut first, "B", "2");
        let mut second = Diagnostics::new();
        signature(&mut second, "C", "3");
        signature(&mut second, "B", "4");
        signature(&mut second, "A", "5");
        first.extend(second);
        let details: Vec<&str> = first.iter().map(|d| d.detail.as_str()).collect();
        assert_eq!(
            details,
            ["rejected (RequestId: 1)\n\nAlso failed for the same reason: B; C."]
        );
    }

    #[test]
    fn different_or_no_causes_stay_apart() {
        let mut diags = Diagnostics::new();
        signature(&mut diags, "Creating RAM role \"r\"", "REQ-1");
        diags.error_with_cause(
            Cause::new("clock"),
            "Creating RAM policy \"p\"",
            "Creating RAM policy \"p\": InvalidTimeStamp.Expired",
            "skewed",
        );
        // Per-object problems have no cause: two of them are two diagnostics, even if alike.
        diags.error(
            "Creating RAM role \"r\": EntityAlreadyExists.Role",
            "exists",
        );
        diags.error(
            "Creating RAM role \"r\": EntityAlreadyExists.Role",
            "exists",
        );
        diags.warning("note", "");
        let mut warned = Diagnostics::new();
        warned.push(Severity::Warning, "w", "", None);
        diags.extend(warned);
        assert_eq!(diags.iter().count(), 6);
        assert!(diags.iter().all(|d| !d.detail.contains(ALSO_FAILED)));
    }

    #[test]
    fn a_cause_does_not_merge_an_error_into_a_warning() {
        let mut diags = Diagnostics::new();
        diags.0.push(Entry {
            diagnostic: Diagnostic {
                severity: Severity::Warning,
                summary: "w".into(),
                detail: String::new(),
                path: None,
            },
            shared: Some(Shared {
                cause: Cause::new("signature"),
                detail: String::new(),
                step: "W".into(),
                also: Vec::new(),
            }),
        });
        signature(&mut diags, "E", "1");
        assert_eq!(diags.iter().count(), 2);
        assert!(diags.has_errors());
    }
}
