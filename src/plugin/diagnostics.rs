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

/// Diagnostics accumulated over one call, so a user sees every problem at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

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

    pub fn warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Warning, summary, detail, None);
    }

    fn push(
        &mut self,
        severity: Severity,
        summary: impl Into<String>,
        detail: impl Into<String>,
        path: Option<AttributePath>,
    ) {
        self.0.push(Diagnostic {
            severity,
            summary: summary.into(),
            detail: detail.into(),
            path,
        });
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    pub fn into_proto(self) -> Vec<pb::Diagnostic> {
        self.0
            .into_iter()
            .map(|d| pb::Diagnostic {
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
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
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
}
