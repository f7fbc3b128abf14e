//! The web pages: what `serve` answers (sign-up, confirmation, preferences,
//! unsubscribe, notices) and, later, the static report library, all from
//! templates in `templates/` that extend `page.html` and are auto-escaped.

use std::path::Path;

use anyhow::Result;
use minijinja::Environment;
use serde::Serialize;

use crate::templates::{self, Builtin};

const BUILTIN: &[Builtin] = &[
    ("page.html", include_str!("../templates/page.html")),
    ("subscribe-form.html", include_str!("../templates/subscribe-form.html")),
    ("subscribe.html", include_str!("../templates/subscribe.html")),
    ("notice.html", include_str!("../templates/notice.html")),
    ("confirm.html", include_str!("../templates/confirm.html")),
    ("preferences.html", include_str!("../templates/preferences.html")),
    ("unsubscribe-page.html", include_str!("../templates/unsubscribe-page.html")),
    ("site-index.html", include_str!("../templates/site-index.html")),
    ("feed.xml", include_str!("../templates/feed.xml")),
    ("site.js", include_str!("../templates/site.js")),
];

/// The page templates, loaded once.
pub struct Pages {
    env: Environment<'static>,
    wording: String,
}

/// A role on a form.
#[derive(Debug, Clone, Serialize)]
pub struct RoleChoice {
    /// Slug (the form value).
    pub slug: String,
    /// Name shown.
    pub name: String,
    /// Whether the box is ticked.
    pub checked: bool,
}

impl Pages {
    /// Loads the templates from `dir` (built-in copies stand in).
    pub fn load(dir: &Path) -> Result<Pages> {
        let env = templates::environment(dir, BUILTIN)?;
        let wording = templates::version(&env, "subscribe-form.html")?;
        Ok(Pages { env, wording })
    }

    /// Renders page `name` with `ctx`.
    pub fn render(&self, name: &str, ctx: minijinja::Value) -> Result<String> {
        Ok(self.env.get_template(name)?.render(ctx)?)
    }

    /// The wording version of the sign-up form, for the consent record.
    pub fn wording(&self) -> &str {
        &self.wording
    }
}
