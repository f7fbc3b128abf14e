//! The role catalogue (`roles.toml`): role definitions, title and seniority
//! classification on word boundaries, and the skill alias table.
//!
//! Pure lookups once loaded; the only I/O is [`Catalog::load`].

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::model::Seniority;

/// One role as written in `roles.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleDef {
    /// Display name, e.g. `MLOps Engineer`.
    pub name: String,
    /// URL-safe identifier, e.g. `mlops-engineer`.
    pub slug: String,
    /// Title phrases that classify a posting into this role.
    #[serde(rename = "match", default)]
    pub phrases: Vec<String>,
    /// One-sentence description of the work.
    #[serde(default)]
    pub description: String,
    /// Typical next roles, in order.
    #[serde(default)]
    pub career_path: Vec<String>,
    /// Roles people usually come from.
    #[serde(default)]
    pub entry_points: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    #[serde(default)]
    role: Vec<RoleDef>,
    #[serde(default)]
    skills: BTreeMap<String, String>,
}

/// The loaded catalogue with its lookup tables.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// Roles in file order; a posting's role is an index into this list.
    pub roles: Vec<RoleDef>,
    /// Lower-cased alias (and canonical name) → canonical display name.
    skill_aliases: HashMap<String, String>,
    /// (normalised phrase, role index), in file order.
    phrases: Vec<(String, u16)>,
    /// Every phrase at once (pattern i is `phrases[i]`): one pass over a
    /// title finds every occurrence of every phrase.
    finder: aho_corasick::AhoCorasick,
    /// Lower-cased name or slug → role index.
    by_name: HashMap<String, u16>,
}

const SENIOR_WORDS: &[&str] =
    &["senior", "sr", "staff", "principal", "lead", "head", "director", "vp"];
const ENTRY_WORDS: &[&str] = &["junior", "jr", "entry", "graduate", "intern", "associate"];

impl Catalog {
    /// Reads and checks `roles.toml`.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read roles file '{}'", path.display()))?;
        Self::parse(&text).with_context(|| format!("invalid roles file '{}'", path.display()))
    }

    /// Parses the text of a `roles.toml`.
    pub fn parse(text: &str) -> Result<Self> {
        let raw: RawCatalog = toml::from_str(text)?;
        Self::new(raw.role, raw.skills)
    }

    /// Builds a catalogue from roles and an alias table.
    pub fn new(roles: Vec<RoleDef>, skills: BTreeMap<String, String>) -> Result<Self> {
        if roles.is_empty() {
            bail!("no [[role]] entries");
        }
        if roles.len() > u16::MAX as usize {
            bail!("too many roles ({})", roles.len());
        }
        let mut by_name = HashMap::new();
        let mut phrases = Vec::new();
        for (i, r) in roles.iter().enumerate() {
            if r.name.trim().is_empty() || r.slug.trim().is_empty() {
                bail!("role {} has an empty name or slug", i + 1);
            }
            for key in [r.name.to_lowercase(), r.slug.to_lowercase()] {
                if let Some(prev) = by_name.insert(key.clone(), i as u16)
                    && prev as usize != i
                {
                    bail!("role name or slug '{key}' is used twice");
                }
            }
            for p in &r.phrases {
                let n = normalise(p);
                if !n.is_empty() {
                    phrases.push((n, i as u16));
                }
            }
        }
        let mut skill_aliases = HashMap::new();
        for canonical in skills.values() {
            skill_aliases.insert(canonical.trim().to_lowercase(), canonical.trim().to_string());
        }
        for (alias, canonical) in &skills {
            skill_aliases.insert(alias.trim().to_lowercase(), canonical.trim().to_string());
        }
        let finder = aho_corasick::AhoCorasick::new(phrases.iter().map(|(p, _)| p.as_str()))
            .context("the roles' match phrases do not build a matcher")?;
        Ok(Catalog { roles, skill_aliases, phrases, finder, by_name })
    }

    /// The role a `role` column value names (name or slug, any case).
    pub fn role_by_name(&self, value: &str) -> Option<u16> {
        let v = value.trim();
        self.by_name.get(v).or_else(|| self.by_name.get(&v.to_lowercase())).copied()
    }

    /// The first role, in file order, one of whose phrases the title contains
    /// on word boundaries.
    pub fn classify_title(&self, title: &str) -> Option<u16> {
        let t = normalise(title);
        // Of the phrases with an occurrence on word boundaries, the first in file order.
        let first = self
            .finder
            .find_overlapping_iter(&t)
            .filter(|m| on_word_boundaries(&t, m.start(), m.end()))
            .map(|m| m.pattern().as_usize())
            .min()?;
        Some(self.phrases[first].1)
    }

    /// Canonical display name of a skill, if the alias table knows it.
    pub fn canonical_skill(&self, lower: &str) -> Option<&str> {
        self.skill_aliases.get(lower).map(String::as_str)
    }
}

/// Seniority inferred from a title: senior words first, then entry words,
/// otherwise mid (whole words, any case).
pub fn seniority_from_title(title: &str) -> Seniority {
    let t = normalise(title);
    if SENIOR_WORDS.iter().any(|w| contains_words(&t, w)) {
        Seniority::Senior
    } else if ENTRY_WORDS.iter().any(|w| contains_words(&t, w)) {
        Seniority::Entry
    } else {
        Seniority::Mid
    }
}

/// Lower-cases and folds runs of white space into one space.
fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars() {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Whether the occurrence `hay[start..end]` has no neighbour that continues
/// a word (a phrase edge that is not a letter or digit needs no boundary).
fn on_word_boundaries(hay: &str, start: usize, end: usize) -> bool {
    let is_word = |c: char| c.is_alphanumeric();
    let phrase = &hay[start..end];
    let starts_word = phrase.chars().next().is_some_and(is_word);
    let ends_word = phrase.chars().next_back().is_some_and(is_word);
    let before_ok = !starts_word || !hay[..start].chars().next_back().is_some_and(is_word);
    let after_ok = !ends_word || !hay[end..].chars().next().is_some_and(is_word);
    before_ok && after_ok
}

/// Whether `hay` contains `phrase` on word boundaries (every occurrence
/// tried, overlapping ones too).
fn contains_words(hay: &str, phrase: &str) -> bool {
    let mut from = 0;
    while let Some(pos) = hay[from..].find(phrase) {
        let start = from + pos;
        if on_word_boundaries(hay, start, start + phrase.len()) {
            return true;
        }
        from = start + hay[start..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog::parse(
            r#"
[[role]]
name = "MLOps Engineer"
slug = "mlops-engineer"
match = ["mlops", "ml ops"]
[[role]]
name = "Chief Technology Officer"
slug = "cto"
match = ["cto"]
[[role]]
name = "C++ Inference Engineer"
slug = "cpp-inference"
match = ["c++"]
[skills]
k8s = "Kubernetes"
aws = "AWS"
"#,
        )
        .unwrap()
    }

    #[test]
    fn phrases_match_on_word_boundaries() {
        let c = catalog();
        assert_eq!(c.classify_title("Senior ML Ops Engineer"), Some(0));
        assert_eq!(c.classify_title("Senior ML  OPS engineer"), Some(0));
        assert_eq!(c.classify_title("MLOps/Platform"), Some(0));
        assert_eq!(c.classify_title("Director of Sales"), None);
        assert_eq!(c.classify_title("CTO"), Some(1));
        assert_eq!(c.classify_title("Mlopsy"), None);
        assert_eq!(c.classify_title("C++ developer"), Some(2));
    }

    #[test]
    fn one_pass_over_all_phrases_classifies_as_a_search_per_phrase() {
        // Phrases that overlap, nest and repeat, across roles in an order
        // where a later phrase can occur earlier in the title.
        let c = Catalog::parse(
            r#"
[[role]]
name = "A"
slug = "a"
match = ["ml engineer", "aa"]
[[role]]
name = "B"
slug = "b"
match = ["engineer", "ml", "a a"]
[[role]]
name = "C"
slug = "c"
match = ["c++", "senior ml", "aaa"]
"#,
        )
        .unwrap();
        let words =
            ["ml", "engineer", "senior", "aa", "aaa", "a", "c++", "mle", "xml", "-", "ml-engineer"];
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..20_000 {
            let n = rng.usize(1..6);
            let title: Vec<&str> = (0..n).map(|_| words[rng.usize(..words.len())]).collect();
            let sep = if rng.bool() { " " } else { "" };
            let title = title.join(sep);
            let t = normalise(&title);
            let by_search = c.phrases.iter().find(|(p, _)| contains_words(&t, p)).map(|&(_, i)| i);
            assert_eq!(c.classify_title(&title), by_search, "{title:?}");
        }
    }

    #[test]
    fn role_column_takes_name_or_slug() {
        let c = catalog();
        assert_eq!(c.role_by_name("mlops-engineer"), Some(0));
        assert_eq!(c.role_by_name(" MLOps engineer "), Some(0));
        assert_eq!(c.role_by_name("Plumber"), None);
    }

    #[test]
    fn seniority_words() {
        assert_eq!(seniority_from_title("Sr. Data Scientist"), Seniority::Senior);
        assert_eq!(seniority_from_title("Staff ML Engineer"), Seniority::Senior);
        assert_eq!(seniority_from_title("Junior Analyst"), Seniority::Entry);
        assert_eq!(seniority_from_title("Associate Director"), Seniority::Senior);
        assert_eq!(seniority_from_title("Leader of things"), Seniority::Mid);
        assert_eq!(seniority_from_title("Internal Tools Engineer"), Seniority::Mid);
        assert_eq!(seniority_from_title("ML Engineer"), Seniority::Mid);
    }

    #[test]
    fn skill_aliases_are_case_insensitive() {
        let c = catalog();
        assert_eq!(c.canonical_skill("k8s"), Some("Kubernetes"));
        assert_eq!(c.canonical_skill("kubernetes"), Some("Kubernetes"));
        assert_eq!(c.canonical_skill("aws"), Some("AWS"));
        assert_eq!(c.canonical_skill("rust"), None);
    }
}
