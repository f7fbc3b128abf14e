//! The public report library (spec section 13): static pages over what the
//! weekly job wrote to `output/`.
//!
//! ```text
//! output/index.html            the newest week: pick two roles, every pair's PDF,
//!                              the newsletter, past weeks, the subscribe form
//! output/<week>/index.html     the same for that week
//! output/feed.xml              Atom 1.0, one entry per issue, newest first
//! output/reports/<a>-vs-<b>.pdf  the newest report of each pair, at an address that stays
//! output/site.js               the picker's script (the pages work without it)
//! ```
//!
//! Every link in the pages is relative, so they work from a static host,
//! from `file://` and through `serve`; the feed's links are absolute under
//! `newsletter.base_url`, as feed readers need. Files are rewritten only when
//! their bytes change.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use minijinja::context;
use serde::Serialize;

use crate::model::IsoWeek;
use crate::output;
use crate::pages::{Pages, RoleChoice};
use crate::store;

/// The folder of the stable copies of the newest reports.
pub const LATEST: &str = "reports";

/// One issue of the newsletter, as the library lists it.
#[derive(Debug, Clone, Serialize)]
pub struct IssueSummary {
    /// Its subject.
    pub subject: String,
    /// The headline.
    pub headline: String,
    /// The market line under it.
    pub market_line: String,
    /// When it went out: RFC 3339, UTC.
    pub date: String,
}

/// A pair with a report.
#[derive(Debug, Clone, Serialize)]
pub struct Pair {
    /// First role's slug (catalogue order).
    pub a: String,
    /// Second role's slug.
    pub b: String,
    /// "A vs B".
    pub title: String,
    /// The PDF's file name.
    pub file: String,
}

/// What one week has.
#[derive(Debug, Clone)]
pub struct WeekOutputs {
    /// The week.
    pub week: IsoWeek,
    /// Pairs with a report, catalogue order.
    pub pairs: Vec<Pair>,
    /// The issue, when the newsletter was rendered and the week is stored.
    pub issue: Option<IssueSummary>,
    /// Whether the week has a public newsletter page.
    pub newsletter: bool,
}

/// Everything the library shows.
#[derive(Debug, Clone)]
pub struct Library {
    /// Roles one can follow or pick: (slug, name), catalogue order.
    pub roles: Vec<(String, String)>,
    /// Weeks with outputs, newest first.
    pub weeks: Vec<WeekOutputs>,
    /// `newsletter.base_url`.
    pub base_url: String,
}

#[derive(Serialize)]
struct Link {
    href: String,
    text: String,
}

#[derive(Serialize)]
struct PairLink {
    title: String,
    href: String,
    key: String,
}

/// Writes `bytes` to `path` unless it holds them already; `true` when written.
fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<bool> {
    if std::fs::read(path).ok().as_deref() == Some(bytes) {
        return Ok(false);
    }
    store::write_atomic(path, bytes)?;
    Ok(true)
}

/// The files written, relative to `output/`, and how many changed.
#[derive(Debug, Clone, Default)]
pub struct Written {
    /// Every file of the library.
    pub files: Vec<PathBuf>,
    /// Those whose bytes changed.
    pub changed: usize,
    /// Weeks whose `index.html` changed (their manifests need rewriting).
    pub weeks_changed: Vec<IsoWeek>,
}

impl Library {
    /// Renders and writes the library into `output_dir`.
    pub fn write(&self, output_dir: &Path, pages: &Pages) -> Result<Written> {
        let mut w = Written::default();
        let put = |rel: PathBuf, bytes: &[u8], w: &mut Written| -> Result<bool> {
            let changed = write_if_changed(&output_dir.join(&rel), bytes)?;
            w.changed += usize::from(changed);
            w.files.push(rel);
            Ok(changed)
        };
        if let Some(newest) = self.weeks.first() {
            let html = self.page(pages, newest, "", &format!("{}/", newest.week))?;
            put(PathBuf::from("index.html"), html.as_bytes(), &mut w)?;
        }
        for wk in &self.weeks {
            let html = self.page(pages, wk, "../", "")?;
            let rel = PathBuf::from(wk.week.to_string()).join("index.html");
            if put(rel, html.as_bytes(), &mut w)? {
                w.weeks_changed.push(wk.week);
            }
        }
        put(PathBuf::from("feed.xml"), self.feed(pages)?.as_bytes(), &mut w)?;
        put(PathBuf::from("site.js"), pages.render("site.js", context! {})?.as_bytes(), &mut w)?;
        // The stable addresses: each pair's newest report.
        let mut done = std::collections::HashSet::new();
        for wk in &self.weeks {
            for p in &wk.pairs {
                if !done.insert(p.file.clone()) {
                    continue;
                }
                let src = output::week_dir(output_dir, wk.week).join(output::REPORTS).join(&p.file);
                let bytes = std::fs::read(&src)
                    .with_context(|| format!("failed to read {}", src.display()))?;
                put(PathBuf::from(LATEST).join(&p.file), &bytes, &mut w)?;
            }
        }
        Ok(w)
    }

    /// A week's page. `root` leads from the page to `output/`; `here` from
    /// the page to the week's folder.
    fn page(&self, pages: &Pages, wk: &WeekOutputs, root: &str, here: &str) -> Result<String> {
        let week = wk.week.to_string();
        let newest = self.weeks.first().is_some_and(|n| n.week == wk.week);
        let pairs: Vec<PairLink> = wk
            .pairs
            .iter()
            .map(|p| PairLink {
                title: p.title.clone(),
                href: format!("{here}{}/{}", output::REPORTS, p.file),
                key: format!("{}|{}", p.a, p.b),
            })
            .collect();
        let latest: Vec<PairLink> = if newest {
            wk.pairs
                .iter()
                .map(|p| PairLink {
                    title: p.title.clone(),
                    href: format!("{root}{LATEST}/{}", p.file),
                    key: format!("{}|{}", p.a, p.b),
                })
                .collect()
        } else {
            Vec::new()
        };
        let others: Vec<Link> = self
            .weeks
            .iter()
            .filter(|o| o.week != wk.week)
            .map(|o| Link {
                href: format!("{root}{}/index.html", o.week),
                text: match &o.issue {
                    Some(i) => format!("{}: {}", o.week, i.headline),
                    None => o.week.to_string(),
                },
            })
            .collect();
        let roles: Vec<RoleChoice> = self
            .roles
            .iter()
            .map(|(slug, name)| RoleChoice {
                slug: slug.clone(),
                name: name.clone(),
                checked: false,
            })
            .collect();
        // Only roles that appear in a pair this week can be picked.
        let pickable: Vec<&RoleChoice> = roles
            .iter()
            .filter(|r| wk.pairs.iter().any(|p| p.a == r.slug || p.b == r.slug))
            .collect();
        // Every pair once, under the first of its two roles.
        #[derive(Serialize)]
        struct Group<'a> {
            name: &'a str,
            pairs: Vec<&'a PairLink>,
        }
        let groups: Vec<Group<'_>> = self
            .roles
            .iter()
            .map(|(slug, name)| Group {
                name,
                pairs: wk
                    .pairs
                    .iter()
                    .zip(&pairs)
                    .filter(|(p, _)| p.a == *slug)
                    .map(|(_, l)| l)
                    .collect(),
            })
            .filter(|g| !g.pairs.is_empty())
            .collect();
        let reports_map: std::collections::BTreeMap<String, String> =
            pairs.iter().map(|p| (p.key.clone(), p.href.clone())).collect();
        let title = if newest {
            format!("AI salary trends, {week}")
        } else {
            format!("AI salary trends, {week} (an earlier week)")
        };
        pages.render(
            "site-index.html",
            context! {
                title,
                week,
                newest,
                issue => ser(&wk.issue),
                newsletter => wk.newsletter.then(|| format!("{here}{}/newsletter.html", output::NEWSLETTER)),
                groups => ser(&groups),
                latest => ser(&latest),
                reports_json => serde_json::to_string(&reports_map)?,
                pickable => ser(&pickable),
                roles => ser(&roles),
                others => ser(&others),
                home => if newest { None } else { Some(format!("{root}index.html")) },
                root,
            },
        )
    }

    /// The Atom feed: one entry per issue, newest first.
    fn feed(&self, pages: &Pages) -> Result<String> {
        let base = self.base_url.trim_end_matches('/');
        #[derive(Serialize)]
        struct Entry {
            title: String,
            href: String,
            updated: String,
            summary: String,
        }
        let entries: Vec<Entry> = self
            .weeks
            .iter()
            .filter_map(|w| {
                w.issue.as_ref().map(|i| Entry {
                    title: i.subject.clone(),
                    href: format!("{base}/{}", output::newsletter_page(w.week)),
                    updated: i.date.clone(),
                    summary: format!("{} {}", i.headline, i.market_line),
                })
            })
            .collect();
        let updated = entries
            .first()
            .map(|e| e.updated.clone())
            .unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
        pages.render("feed.xml", context! { base, updated, entries => ser(&entries) })
    }
}

fn ser<T: Serialize>(v: T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(v))
}
