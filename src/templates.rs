//! Templates an editor can change: each is read from `templates_dir`, and a
//! copy built into the program stands in for a file that is not there.
//! HTML-like templates (`.html`, `.mjml`, `.xml`) are auto-escaped; an
//! undefined variable is an error, never an empty string.

use std::path::Path;

use anyhow::{Context, Result};
use minijinja::{AutoEscape, Environment};
use sha2::{Digest, Sha256};

/// A template's name and its built-in text.
pub type Builtin = (&'static str, &'static str);

/// The environment holding `names`, each read from `dir` or built in.
pub fn environment(dir: &Path, names: &[Builtin]) -> Result<Environment<'static>> {
    let mut env = Environment::new();
    // minijinja escapes .html/.htm/.xml by default; MJML is HTML too.
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".mjml") || name.ends_with(".html") || name.ends_with(".xml") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    for (name, builtin) in names {
        let text = source(dir, name, builtin)?;
        env.add_template_owned(name.to_string(), text)
            .with_context(|| format!("invalid template {name}"))?;
    }
    Ok(env)
}

/// The text of template `name`: the file in `dir`, else the built-in copy.
pub fn source(dir: &Path, name: &str, builtin: &str) -> Result<String> {
    let path = dir.join(name);
    match std::fs::read_to_string(&path) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(builtin.to_string()),
        Err(e) => Err(e).with_context(|| format!("failed to read template '{}'", path.display())),
    }
}

/// `name@<first 12 hex digits of the SHA-256 of its text>`: which wording
/// of a template a reader saw (the consent record keeps it).
pub fn version(env: &Environment<'_>, name: &str) -> Result<String> {
    let text = env.get_template(name)?.source().to_string();
    Ok(format!("{name}@{}", &crate::model::hex(&Sha256::digest(text.as_bytes()))[..12]))
}
