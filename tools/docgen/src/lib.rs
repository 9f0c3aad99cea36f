//! alicr-docgen: keeps the generated parts of `docs/` equal to the provider's schemas.
//!
//! Pages are hand-written Markdown in the Terraform Registry layout. Inside them, a section
//! between `<!-- generated:KIND ARG -->` and `<!-- /generated -->` is owned by this tool:
//! - `schema provider|resource|data-source`: the attribute reference of that block (for a
//!   resource or data source, of the type the page is named after), from the
//!   same declarations the provider serves to Terraform (so descriptions cannot drift);
//! - `function NAME`: a provider function's signature and arguments;
//! - `example PATH`: the example file at `PATH` (relative to the repository root), which the
//!   integration tests format-check and validate with real `terraform`.
//!
//! [`write()`] regenerates those sections (`make docs`); [`check`] reports every page whose
//! committed text differs from what would be generated (`make docs-check`, part of `make test`).
//!
//! # Layout
//! - [`render`]: Markdown for schema, function and example sections.
//! - this file: markers, the page set (one page per type in the provider's registry), check
//!   and write.

pub mod render;

use std::fmt;
use std::path::{Path, PathBuf};

use terraform_provider_alicr::plugin::schema::Schema;
use terraform_provider_alicr::provider::function::Signature;
use terraform_provider_alicr::provider::{config, registry};

const BEGIN: &str = "<!-- generated:";
const END: &str = "<!-- /generated -->";

/// The prefix of every type name; a type's page is named after the rest of it.
const TYPE_PREFIX: &str = "alicr_";

/// Everything the docs are generated from.
#[derive(Debug, Clone)]
pub struct Sources {
    pub provider: Schema,
    /// Every resource's type name and schema.
    pub resources: Vec<(String, Schema)>,
    /// Every data source's type name and schema.
    pub data_sources: Vec<(String, Schema)>,
    pub functions: Vec<Signature>,
}

impl Sources {
    /// The schemas and functions this build of the provider serves, from its registry.
    pub fn current() -> Sources {
        let registry = registry();
        let named = |(name, schema): (&str, &Schema)| (name.to_string(), schema.clone());
        Sources {
            provider: config::schema(),
            resources: registry.resource_schemas().map(named).collect(),
            data_sources: registry.data_source_schemas().map(named).collect(),
            functions: registry.function_signatures().collect(),
        }
    }

    /// Pages that must exist and must carry the given generated section, so deleting a marker
    /// cannot make the check pass: the provider's, and one per resource, data source and
    /// function, where the Registry layout puts it.
    pub fn required_sections(&self) -> Vec<(PathBuf, String)> {
        let mut required = vec![(
            PathBuf::from("docs/index.md"),
            "schema provider".to_string(),
        )];
        for (type_name, _) in &self.resources {
            required.push((type_page("resources", type_name), "schema resource".into()));
        }
        for (type_name, _) in &self.data_sources {
            required.push((
                type_page("data-sources", type_name),
                "schema data-source".into(),
            ));
        }
        for function in &self.functions {
            required.push((
                PathBuf::from(format!("docs/functions/{}.md", function.name)),
                format!("function {}", function.name),
            ));
        }
        required
    }

    /// The schema of the resource or data source (`kind`) documented on `page`.
    fn schema_on_page(&self, kind: &str, page: &Path) -> Result<&Schema, String> {
        let (folder, types) = match kind {
            "resource" => ("resources", &self.resources),
            _ => ("data-sources", &self.data_sources),
        };
        types
            .iter()
            .find(|(type_name, _)| type_page(folder, type_name) == page)
            .map(|(_, schema)| schema)
            .ok_or_else(|| format!("no {kind} of this provider is documented on this page"))
    }
}

/// `docs/resources/custom_oss_role.md` for `alicr_custom_oss_role`.
fn type_page(folder: &str, type_name: &str) -> PathBuf {
    let short = type_name.strip_prefix(TYPE_PREFIX).unwrap_or(type_name);
    PathBuf::from(format!("docs/{folder}/{short}.md"))
}

/// A page that is not as it would be generated, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub page: PathBuf,
    pub problem: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.page.display(), self.problem)
    }
}

/// Regenerates every generated section in place; returns the pages that changed. Pages with
/// broken markers are left untouched and reported.
pub fn write(root: &Path, sources: &Sources) -> Result<Vec<PathBuf>, Vec<Finding>> {
    let mut changed = Vec::new();
    let mut findings = missing_sections(root, sources);
    for page in pages(root, &mut findings) {
        match regenerate_page(root, &page, sources) {
            Ok((old, new)) if old != new => match std::fs::write(root.join(&page), new) {
                Ok(()) => changed.push(page),
                Err(e) => findings.push(finding(&page, format!("cannot write: {e}"))),
            },
            Ok(_) => {}
            Err(problem) => findings.push(finding(&page, problem)),
        }
    }
    if findings.is_empty() {
        Ok(changed)
    } else {
        Err(findings)
    }
}

/// Every page whose text differs from what [`write()`] would produce, and every required
/// section that is missing. Empty means the docs are current.
pub fn check(root: &Path, sources: &Sources) -> Vec<Finding> {
    let mut findings = missing_sections(root, sources);
    for page in pages(root, &mut findings) {
        match regenerate_page(root, &page, sources) {
            Ok((old, new)) => {
                if let Some(problem) = first_difference(&old, &new) {
                    findings.push(finding(&page, problem));
                }
            }
            Err(problem) => findings.push(finding(&page, problem)),
        }
    }
    findings
}

fn finding(page: &Path, problem: impl Into<String>) -> Finding {
    Finding {
        page: page.to_path_buf(),
        problem: problem.into(),
    }
}

/// The Markdown pages under `docs/`, relative to `root`, in a stable order.
fn pages(root: &Path, findings: &mut Vec<Finding>) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![PathBuf::from("docs")];
    while let Some(dir) = pending.pop() {
        let entries = match std::fs::read_dir(root.join(&dir)) {
            Ok(entries) => entries,
            Err(e) => {
                findings.push(finding(&dir, format!("cannot list: {e}")));
                continue;
            }
        };
        for entry in entries.flatten() {
            let relative = dir.join(entry.file_name());
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                pending.push(relative);
            } else if relative.extension().is_some_and(|e| e == "md") {
                found.push(relative);
            }
        }
    }
    found.sort();
    found
}

fn missing_sections(root: &Path, sources: &Sources) -> Vec<Finding> {
    sources
        .required_sections()
        .into_iter()
        .filter_map(|(page, directive)| {
            let marker = format!("{BEGIN}{directive} -->");
            match std::fs::read_to_string(root.join(&page)) {
                Ok(text) if text.lines().any(|l| l.trim() == marker) => None,
                Ok(_) => Some(finding(
                    &page,
                    format!("has no generated section `{marker}`"),
                )),
                Err(e) => Some(finding(&page, format!("cannot read: {e}"))),
            }
        })
        .collect()
}

/// The page's current text and its text with every generated section regenerated.
fn regenerate_page(
    root: &Path,
    page: &Path,
    sources: &Sources,
) -> Result<(String, String), String> {
    let old = std::fs::read_to_string(root.join(page)).map_err(|e| format!("cannot read: {e}"))?;
    let new = regenerate(&old, |directive| generate(root, page, directive, sources))?;
    Ok((old, new))
}

/// Replaces the body of every generated section of `text` with `generate(directive)`.
pub fn regenerate(
    text: &str,
    mut generate: impl FnMut(&str) -> Result<String, String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut open: Option<(usize, &str)> = None;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        match (open, directive_of(trimmed)) {
            (None, Some(directive)) => {
                out.push_str(line);
                out.push('\n');
                out.push_str(&generate(directive)?);
                open = Some((index + 1, directive));
            }
            (None, None) if trimmed == END => {
                return Err(format!("line {}: {END} without a start", index + 1))
            }
            (None, None) => {
                out.push_str(line);
                out.push('\n');
            }
            (Some((start, _)), Some(_)) => {
                return Err(format!(
                    "line {}: a generated section starts inside the one from line {start}",
                    index + 1
                ))
            }
            (Some(_), None) if trimmed == END => {
                out.push_str(line);
                out.push('\n');
                open = None;
            }
            // The old body of a generated section is dropped.
            (Some(_), None) => {}
        }
    }
    match open {
        Some((start, directive)) => Err(format!(
            "line {start}: generated section `{directive}` is never closed with {END}"
        )),
        None => Ok(out),
    }
}

/// `schema resource` from `<!-- generated:schema resource -->`.
fn directive_of(line: &str) -> Option<&str> {
    line.strip_prefix(BEGIN)?
        .strip_suffix("-->")
        .map(str::trim)
        .filter(|d| !d.is_empty())
}

/// The body for one directive on `page`; a resource or data source schema is the one of the
/// type the page documents.
fn generate(
    root: &Path,
    page: &Path,
    directive: &str,
    sources: &Sources,
) -> Result<String, String> {
    match directive.split_once(' ') {
        Some(("schema", "provider")) => Ok(render::schema_section(&sources.provider.block)),
        Some(("schema", kind @ ("resource" | "data-source"))) => sources
            .schema_on_page(kind, page)
            .map(|schema| render::schema_section(&schema.block)),
        Some(("function", name)) => sources
            .functions
            .iter()
            .find(|f| f.name == name)
            .map(render::function_section)
            .ok_or_else(|| format!("no provider function named {name:?}")),
        Some(("example", path)) => example(root, path),
        _ => Err(format!("unknown generated section `{directive}`")),
    }
}

/// An example file, which must live under `examples/`.
fn example(root: &Path, path: &str) -> Result<String, String> {
    let relative = Path::new(path);
    let inside = relative.starts_with("examples")
        && relative
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
    if !inside {
        return Err(format!(
            "example path {path:?} must be a path under examples/"
        ));
    }
    std::fs::read_to_string(root.join(relative))
        .map(|contents| render::example_section(path, &contents))
        .map_err(|e| format!("example {path}: {e}"))
}

/// Where two texts first differ, in words a person can act on.
fn first_difference(committed: &str, generated: &str) -> Option<String> {
    if committed == generated {
        return None;
    }
    let mut old = committed.lines();
    let mut new = generated.lines();
    let mut line = 1;
    loop {
        match (old.next(), new.next()) {
            (Some(a), Some(b)) if a == b => line += 1,
            (a, b) => {
                return Some(format!(
                    "out of date at line {line}: committed {:?}, generated {:?}",
                    a.unwrap_or("<end of file>"),
                    b.unwrap_or("<end of file>")
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use terraform_provider_alicr::plugin::schema::{Attribute, Presence};
    use terraform_provider_alicr::plugin::value::Type;

    /// The repository this crate lives in.
    fn repo_root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    /// A copy of `docs/` and `examples/` to change freely.
    fn copy_of_docs() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temporary directory");
        for tree in ["docs", "examples"] {
            copy_tree(&repo_root().join(tree), &dir.path().join(tree));
        }
        dir
    }

    fn copy_tree(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("create directory");
        for entry in std::fs::read_dir(from).expect("read directory").flatten() {
            let target = to.join(entry.file_name());
            if entry.file_type().expect("file type").is_dir() {
                copy_tree(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).expect("copy file");
            }
        }
    }

    #[test]
    fn committed_docs_match_the_current_schemas() {
        let findings = check(&repo_root(), &Sources::current());
        assert!(
            findings.is_empty(),
            "docs are out of date (run `make docs`):\n{}",
            findings
                .iter()
                .map(|f| f.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    #[test]
    fn a_schema_change_is_detected_and_write_fixes_it() {
        let mut changed = Sources::current();
        changed.resources[0].1.block.attributes.push(Attribute::new(
            "attribute_added_by_this_test",
            Type::map(Type::String),
            Presence::Optional,
            "A brand-new attribute.",
        ));
        let root = repo_root();
        let findings = check(&root, &changed);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(
            findings[0].page,
            PathBuf::from("docs/resources/custom_oss_role.md")
        );

        let copy = copy_of_docs();
        let written = write(copy.path(), &changed).expect("write");
        assert_eq!(
            written,
            vec![PathBuf::from("docs/resources/custom_oss_role.md")]
        );
        assert!(check(copy.path(), &changed).is_empty());
        let page = std::fs::read_to_string(copy.path().join(&written[0])).expect("page");
        assert!(
            page.contains(
                "- `attribute_added_by_this_test` (Map of String) A brand-new attribute."
            ),
            "{page}"
        );
    }

    #[test]
    fn a_description_change_is_detected() {
        let mut changed = Sources::current();
        changed.data_sources[0].1.block.attributes[0].description = "Reworded.";
        let findings = check(&repo_root(), &changed);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(
            findings[0].page,
            PathBuf::from("docs/data-sources/custom_oss_role.md")
        );
        assert!(findings[0].problem.contains("Reworded."), "{findings:?}");
    }

    #[test]
    fn hand_edits_inside_a_section_and_changed_examples_are_detected() {
        let copy = copy_of_docs();
        let page = copy.path().join("docs/functions/custom_oss_role_policy.md");
        let text = std::fs::read_to_string(&page).expect("page");
        std::fs::write(&page, text.replace("## Arguments", "## Parameters")).expect("edit");
        let example = copy
            .path()
            .join("examples/resources/alicr_custom_oss_role/resource.tf");
        let mut tf = std::fs::read_to_string(&example).expect("example");
        tf.push_str("\n# a new line\n");
        std::fs::write(&example, tf).expect("edit example");
        let pages: Vec<PathBuf> = check(copy.path(), &Sources::current())
            .into_iter()
            .map(|f| f.page)
            .collect();
        assert!(
            pages.contains(&PathBuf::from("docs/functions/custom_oss_role_policy.md")),
            "{pages:?}"
        );
        assert!(
            pages.contains(&PathBuf::from("docs/resources/custom_oss_role.md")),
            "{pages:?}"
        );
    }

    #[test]
    fn removing_a_required_section_is_detected() {
        let copy = copy_of_docs();
        let page = copy.path().join("docs/index.md");
        let text = std::fs::read_to_string(&page).expect("page");
        let stripped: String = text
            .lines()
            .filter(|l| !l.starts_with(BEGIN) && l.trim() != END)
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(&page, stripped).expect("edit");
        let findings = check(copy.path(), &Sources::current());
        assert!(
            findings
                .iter()
                .any(|f| f.page == Path::new("docs/index.md")
                    && f.problem.contains("schema provider")),
            "{findings:?}"
        );
    }

    #[test]
    fn broken_markers_are_errors() {
        let ok = |_: &str| Ok("body\n".to_string());
        assert_eq!(
            regenerate("a\n<!-- generated:x -->\nold\n<!-- /generated -->\nb\n", ok),
            Ok("a\n<!-- generated:x -->\nbody\n<!-- /generated -->\nb\n".to_string())
        );
        assert!(regenerate("<!-- generated:x -->\nbody\n", ok).is_err());
        assert!(regenerate("<!-- /generated -->\n", ok).is_err());
        assert!(regenerate("<!-- generated:x -->\n<!-- generated:y -->\n", ok).is_err());
        assert!(example(Path::new("."), "../etc/passwd").is_err());
        assert!(example(Path::new("."), "/etc/passwd").is_err());
    }
}
