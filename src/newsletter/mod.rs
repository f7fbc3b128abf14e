//! The weekly newsletter: snapshot and deltas → [`IssueModel`] (every figure
//! formatted) → HTML through minijinja, MJML (mrml) and inlined CSS
//! (css-inline), and a plain-text part from its own template.
//!
//! The expensive part (MJML and CSS) runs once per issue; each subscriber
//! only adds two small auto-escaped fragments (their roles and their
//! unsubscribe link) and a text rendering, so 100,000 messages stay cheap.

pub mod confirm;
pub mod mime;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use minijinja::{Environment, context};
use serde::Serialize;

use crate::deltas::{Change, RoleDelta, WeekOverWeek};
use crate::output;
use crate::roles::RoleDef;
use crate::stats::{RoleStats, Snapshot};
use crate::subscribers::Subscriber;
use crate::text::{self, count, money_delta_k, money_k, pct1};

const MARK_ROLES: &str = "@@YOUR_ROLES@@";
const MARK_UNSUBSCRIBE: &str = "@@UNSUBSCRIBE@@";
/// Gmail clips messages whose HTML is larger than about 102 KB.
pub const MAX_HTML_BYTES: usize = 90 * 1024;

const BUILTIN: &[(&str, &str)] = &[
    ("newsletter.mjml", include_str!("../../templates/newsletter.mjml")),
    ("newsletter.txt", include_str!("../../templates/newsletter.txt")),
    ("your-roles.html", include_str!("../../templates/your-roles.html")),
    ("unsubscribe.html", include_str!("../../templates/unsubscribe.html")),
];

/// A role that moved, formatted for both parts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mover {
    /// Role name.
    pub name: String,
    /// This week's figure.
    pub value: String,
    /// `+12 (+4.3%)`.
    pub change: String,
    /// The change's interval, and whether it is mostly a change of mix (may be empty).
    pub detail: String,
    /// `↑`, `↓` or `→`.
    pub arrow: String,
    /// `up`, `down` or `flat` (a CSS class).
    pub direction: String,
}

/// A link to a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportLink {
    /// "A vs B".
    pub title: String,
    /// Absolute URL of the PDF.
    pub url: String,
}

/// One role's figures for the "your roles" section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleLine {
    /// Display name.
    pub name: String,
    /// Whether the week has figures for the role (a role added to
    /// `roles.toml` after the week was stored has none); the other fields
    /// are empty when it has not.
    pub has_data: bool,
    /// Open positions.
    pub open: String,
    /// Their change.
    pub open_change: String,
    /// Median salary, or the suppression note.
    pub median: String,
    /// Its change.
    pub median_change: String,
    /// Remote share.
    pub remote: String,
    /// Reports of this role with the roles it is closest to.
    pub reports: Vec<ReportLink>,
}

/// The featured comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Featured {
    /// "A vs B".
    pub title: String,
    /// One or two sentences from the figures.
    pub summary: String,
    /// URL of the PDF.
    pub url: String,
}

/// An inline chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmailChart {
    /// File name under `charts/newsletter/`.
    pub file: String,
    /// Content-ID in the email.
    pub cid: String,
    /// Alt text with the numbers.
    pub alt: String,
    /// The PNG.
    #[serde(skip)]
    pub png: Vec<u8>,
}

/// Everything one issue says, formatted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IssueModel {
    /// ISO week.
    pub week: String,
    /// Subject line.
    pub subject: String,
    /// Preview text.
    pub preheader: String,
    /// The headline.
    pub headline: String,
    /// The market in one line.
    pub market_line: String,
    /// Open positions, formatted.
    pub open_total: String,
    /// Top movers by open positions.
    pub movers_open: Vec<Mover>,
    /// Top movers by median salary: only moves beyond the margin of error.
    pub movers_median: Vec<Mover>,
    /// The sentence shown instead when no median moved beyond it.
    pub no_median_move: String,
    /// Roles whose salaries are suppressed this week.
    pub suppressed: String,
    /// Featured comparison (none with fewer than two roles with figures).
    pub featured: Option<Featured>,
    /// Every role of `roles.toml`, by slug (sorted, so the same issue
    /// serialises to the same bytes).
    pub roles: BTreeMap<String, RoleLine>,
    /// Charts.
    pub charts: Vec<EmailChart>,
    /// The issue on the web.
    pub web_url: String,
    /// Postal address.
    pub postal_address: String,
}

/// A change as the issue shows it: `+12 (+4.3%)`, or "new this week".
fn change(c: &Change, fmt: impl Fn(f64) -> String) -> String {
    match c.abs {
        Some(a) => text::signed_change(a, c.pct, fmt),
        None => "new this week".into(),
    }
}

/// Builds the issue of a week.
pub fn issue_model<'a>(
    s: &'a Snapshot,
    d: &'a WeekOverWeek,
    roles: &[RoleDef],
    base_url: &str,
    postal_address: &str,
    charts: Vec<EmailChart>,
) -> IssueModel {
    let base = base_url.trim_end_matches('/');
    let week = s.week.to_string();
    let report_url = |a: usize, b: usize| {
        let (x, y) = (a.min(b), a.max(b));
        ReportLink {
            title: format!("{} vs {}", roles[x].name, roles[y].name),
            url: format!("{base}/{}", output::report_path(s.week, &roles[x], &roles[y])),
        }
    };
    let m = &d.market.open_positions;
    let market_line = match m.abs {
        Some(_) => format!(
            "{} open AI positions, {} on {}.",
            count(s.market.open_positions),
            change(m, |v| count(v as u64)),
            d.previous_week.map(|w| w.to_string()).unwrap_or_default()
        ),
        None => format!(
            "{} open AI positions (our first week on record).",
            count(s.market.open_positions)
        ),
    };
    // Every figure is looked up by slug: a role of roles.toml that this stored
    // week does not have has no figures this week, never another role's.
    let stats_of = |i: usize| s.roles.iter().find(|r| r.slug == roles[i].slug);
    let index_of = |slug: &str| roles.iter().position(|r| r.slug == slug);
    let has_data = |i: usize| stats_of(i).is_some();
    // The roles of the catalogue with figures this week, with their deltas.
    let current = |r: &'a RoleDelta| -> Option<(usize, &'a RoleDelta, &'a RoleStats)> {
        let i = index_of(&r.slug)?;
        Some((i, r, stats_of(i)?))
    };
    let by_open: Vec<_> = d.movers_by_open().into_iter().filter_map(current).collect();
    let movers_open: Vec<Mover> = by_open
        .iter()
        .take(5)
        .map(|(i, r, st)| {
            let (a, dir) = text::arrow(r.open_positions.abs.unwrap_or(0.0));
            Mover {
                name: roles[*i].name.clone(),
                value: count(st.open_positions),
                change: change(&r.open_positions, |v| count(v as u64)),
                detail: String::new(),
                arrow: a.into(),
                direction: dir.into(),
            }
        })
        .collect();
    // Only moves beyond the margin of error (spec section 10.5).
    let movers_median: Vec<Mover> = d
        .movers_by_median()
        .into_iter()
        .filter(|r| r.median.is_significant())
        .filter_map(current)
        .take(5)
        .map(|(i, r, _)| {
            let m = &r.median;
            let (a, dir) = text::arrow(m.change.abs.unwrap_or(0.0));
            let mut detail = match (m.ci_low, m.ci_high) {
                (Some(lo), Some(hi)) => text::change_interval(lo, hi),
                _ => String::new(),
            };
            if m.mostly_mix() {
                detail.push_str("; ");
                detail.push_str(text::MOSTLY_MIX);
            }
            Mover {
                name: roles[i].name.clone(),
                value: m.change.cur.map(money_k).unwrap_or_default(),
                change: change(&m.change, money_delta_k),
                detail,
                arrow: a.into(),
                direction: dir.into(),
            }
        })
        .collect();
    let with_figures: Vec<_> = d.roles.iter().filter_map(current).collect();
    let suppressed: Vec<String> = with_figures
        .iter()
        .filter(|(_, _, st)| st.salary.suppressed())
        .map(|(i, _, st)| text::with_n(&roles[*i].name, st.salary.n))
        .collect();
    let (headline, subject_move) = match movers_open.first() {
        Some(top) => (
            format!("{} openings {} {}", top.name, top.arrow, top.change),
            format!(
                "{} openings {} {}",
                top.name,
                top.arrow,
                top.change
                    .split(" (")
                    .nth(1)
                    .map(|p| p.trim_end_matches(')').to_string())
                    .unwrap_or_else(|| top.change.clone())
            ),
        ),
        None => (
            format!("{} open AI positions this week", count(s.market.open_positions)),
            format!("{} open AI positions", count(s.market.open_positions)),
        ),
    };
    let subject = format!("AI salary trends {week}: {subject_move}");
    let preheader = {
        let movers: Vec<String> =
            movers_open.iter().take(3).map(|m| format!("{} {}", m.name, m.change)).collect();
        format!("{} Movers: {}.", market_line, movers.join("; "))
    };
    // Featured: the biggest mover against the role whose skills overlap it
    // most; with fewer than two roles with figures there is no comparison.
    let featured = (|| {
        let first = by_open.first().or(with_figures.first()).map(|c| c.0)?;
        let fs = stats_of(first)?;
        let partner = with_figures
            .iter()
            .filter(|(j, _, _)| *j != first)
            .max_by_key(|(j, _, st)| {
                let overlap = st
                    .top_skills
                    .iter()
                    .filter(|k| fs.top_skills.iter().any(|x| x.name == k.name))
                    .count();
                (overlap, std::cmp::Reverse(*j))
            })?
            .0;
        let (a, b) = (first.min(partner), first.max(partner));
        let (sa, sb) = (stats_of(a)?, stats_of(b)?);
        let cmp = crate::deltas::compare(sa, sb).with_pay_ratio(s.pay_ratio(&sa.slug, &sb.slug));
        let link = report_url(a, b);
        let with_ci = |r: &RoleStats| {
            let ci = r.salary.median_ci.map(|c| (c.low, c.high));
            r.salary.median.map(|m| text::money_with_interval(m, ci)).unwrap_or_default()
        };
        let pay = match (cmp.pays_more, cmp.pay_gap_pct) {
            _ if cmp.no_clear_pay_difference() => format!(
                "No clear pay difference at the median: {} {}, {} {}.",
                roles[a].name,
                with_ci(sa),
                roles[b].name,
                with_ci(sb)
            ),
            (Some(side), Some(gap)) => {
                let (hi, lo) = if side == crate::deltas::Side::A { (a, b) } else { (b, a) };
                format!(
                    "{} pays {gap}% more at the median than {}.",
                    roles[hi].name, roles[lo].name
                )
            }
            _ => "No verdict on pay this week: one side has too few disclosed salaries.".into(),
        };
        Some(Featured {
            summary: format!(
                "{pay} They share {} of their top skills; {} has {} open positions, {} has {}.",
                cmp.shared_skills.len(),
                roles[a].name,
                count(sa.open_positions),
                roles[b].name,
                count(sb.open_positions)
            ),
            title: link.title,
            url: link.url,
        })
    })();
    let roles_map = roles
        .iter()
        .enumerate()
        .map(|(i, def)| {
            let line = match stats_of(i) {
                Some(r) => {
                    let rd = d.role(&r.slug);
                    // Reports exist only for pairs whose roles both have figures.
                    let reports = (0..roles.len())
                        .filter(|&j| j != i && has_data(j))
                        .take(3)
                        .map(|j| report_url(i, j))
                        .collect();
                    RoleLine {
                        name: def.name.clone(),
                        has_data: true,
                        open: count(r.open_positions),
                        open_change: rd
                            .map(|x| change(&x.open_positions, |v| count(v as u64)))
                            .unwrap_or_else(|| "new this week".into()),
                        median: match r.salary.median {
                            Some(m) => money_k(m),
                            None => text::not_enough_salaries(r.salary.n),
                        },
                        median_change: match (r.salary.median, rd) {
                            (None, _) => "no figure".into(),
                            (Some(_), Some(x)) if x.median.change.abs.is_some() => {
                                change(&x.median.change, money_delta_k)
                            }
                            _ => "no figure last week".into(),
                        },
                        remote: r.remote_share.map(pct1).unwrap_or_else(|| "unknown share".into()),
                        reports,
                    }
                }
                None => RoleLine {
                    name: def.name.clone(),
                    has_data: false,
                    open: String::new(),
                    open_change: String::new(),
                    median: String::new(),
                    median_change: String::new(),
                    remote: String::new(),
                    reports: Vec::new(),
                },
            };
            (def.slug.clone(), line)
        })
        .collect();
    IssueModel {
        week: week.clone(),
        subject,
        preheader,
        headline,
        market_line,
        open_total: count(s.market.open_positions),
        movers_open,
        // Say why none is listed: no move beyond the margin of error, or no
        // way to tell (no week before, or one stored without intervals).
        no_median_move: if !movers_median.is_empty() {
            String::new()
        } else if d.previous_week.is_none() {
            text::NO_WEEK_BEFORE.to_string()
        } else if !d.notes.is_empty() {
            text::NO_INTERVALS_LAST_WEEK.to_string()
        } else {
            text::NO_SIGNIFICANT_MOVE.to_string()
        },
        movers_median,
        suppressed: suppressed.join(", "),
        featured,
        roles: roles_map,
        charts,
        web_url: format!("{base}/{}", output::newsletter_page(s.week)),
        postal_address: postal_address.to_string(),
    }
}

/// The rendered issue, ready to be personalised per subscriber.
pub struct Renderer {
    env: Environment<'static>,
    model: IssueModel,
    /// The email HTML split at the two personal places (CRLF line endings).
    email_parts: [String; 3],
    /// The same parts, each followed by CRLF and quoted-printable encoded once:
    /// quoted-printable is line by line, so parts that end at a line break
    /// can be encoded apart and joined.
    email_parts_qp: [Vec<u8>; 3],
    /// The public page, with no personal data.
    public_html: String,
}

/// A reader's own links.
#[derive(Debug, Clone)]
pub struct Links {
    /// One-click unsubscribe.
    pub unsubscribe: String,
    /// The preferences page: roles followed, pause, unsubscribe.
    pub preferences: String,
}

/// One subscriber's HTML and text.
#[derive(Debug, Clone)]
pub struct Personal {
    /// HTML part (CRLF line endings).
    pub html: String,
    /// The HTML part, quoted-printable encoded.
    pub html_qp: Vec<u8>,
    /// Plain-text part.
    pub text: String,
}

/// Text with CRLF line endings.
fn crlf(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 32);
    for line in s.split_inclusive('\n') {
        let body = line.strip_suffix('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        match body {
            Some(b) => {
                out.push_str(b);
                out.push_str("\r\n");
            }
            None => out.push_str(line),
        }
    }
    out
}

/// Quoted-printable of a CRLF text followed by a line break.
fn qp(s: &str) -> Vec<u8> {
    let mut text = String::with_capacity(s.len() + 2);
    text.push_str(s);
    text.push_str("\r\n");
    quoted_printable::encode(text)
}

/// A serialisable value as a template value.
fn val<T: Serialize>(x: T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(x))
}

fn environment(templates_dir: &Path) -> Result<Environment<'static>> {
    crate::templates::environment(templates_dir, BUILTIN)
}

/// MJML → HTML with no web fonts, then CSS inlined (media queries kept).
pub(crate) fn mjml_to_html(mjml: &str) -> Result<String> {
    let parsed = mrml::parse(mjml).map_err(|e| anyhow::anyhow!("invalid MJML: {e}"))?;
    let opts = mrml::prelude::render::RenderOptions {
        disable_comments: true,
        fonts: Default::default(),
        ..Default::default()
    };
    let html =
        parsed.element.render(&opts).map_err(|e| anyhow::anyhow!("MJML rendering failed: {e}"))?;
    let inliner = css_inline::CSSInliner::options()
        .keep_style_tags(true)
        .keep_at_rules(true)
        .load_remote_stylesheets(false)
        .build();
    inliner.inline(&html).context("CSS inlining failed")
}

impl Renderer {
    /// Renders the shared parts of an issue.
    pub fn new(model: IssueModel, templates_dir: &Path) -> Result<Self> {
        let env = environment(templates_dir)?;
        let mjml = env.get_template("newsletter.mjml")?;
        let charts_with = |src: &dyn Fn(&EmailChart) -> String| -> Vec<minijinja::Value> {
            model.charts.iter().map(|c| context! { src => src(c), alt => c.alt.as_str() }).collect()
        };
        let email_mjml = mjml.render(
            context! { charts => charts_with(&|c| format!("cid:{}", c.cid)), ..val(&model) },
        )?;
        let public_mjml = mjml.render(context! { charts => charts_with(&|c| format!("../charts/newsletter/{}", c.file)), ..val(&model) })?;
        let email_html = mjml_to_html(&email_mjml)?;
        let (head, rest) = email_html
            .split_once(MARK_ROLES)
            .context("the newsletter template lacks @@YOUR_ROLES@@")?;
        let (middle, tail) = rest
            .split_once(MARK_UNSUBSCRIBE)
            .context("the newsletter template lacks @@UNSUBSCRIBE@@")?;
        let email_parts = [crlf(head), crlf(middle), crlf(tail)];
        let email_parts_qp = [qp(&email_parts[0]), qp(&email_parts[1]), qp(&email_parts[2])];
        let public_html = mjml_to_html(&public_mjml)?
            .replace(MARK_ROLES, "")
            .replace(MARK_UNSUBSCRIBE, "Every email carries its own one-click unsubscribe link.");
        if public_html.len() > MAX_HTML_BYTES {
            bail!(
                "the newsletter HTML is {} bytes, above the {MAX_HTML_BYTES} that keeps Gmail from clipping it",
                public_html.len()
            );
        }
        Ok(Renderer { env, model, email_parts, email_parts_qp, public_html })
    }

    /// The email HTML split at the two personal places (for benchmarks).
    pub fn email_parts(&self) -> &[String; 3] {
        &self.email_parts
    }

    /// The source of a template, as loaded (for benchmarks).
    pub fn template_source(&self, name: &str) -> Result<String> {
        Ok(self.env.get_template(name)?.source().to_string())
    }

    /// The issue model.
    pub fn model(&self) -> &IssueModel {
        &self.model
    }

    /// `newsletter.html`: the issue as a browser shows it, no personal data.
    pub fn public_html(&self) -> &str {
        &self.public_html
    }

    /// `newsletter.txt`: the plain-text issue, no personal data.
    pub fn public_text(&self) -> Result<String> {
        Ok(self.env.get_template("newsletter.txt")?.render(context! {
            roles => val(Vec::<RoleLine>::new()), name => "", unsubscribe_url => "",
            preferences_url => "", ..val(&self.model)
        })?)
    }

    /// One subscriber's HTML and text.
    pub fn personal(&self, sub: &Subscriber, roles: &[RoleDef], links: &Links) -> Result<Personal> {
        let lines: Vec<&RoleLine> = sub
            .roles
            .iter()
            .filter_map(|&i| roles.get(usize::from(i)).and_then(|r| self.model.roles.get(&r.slug)))
            .collect();
        let first = sub.name.split_whitespace().next().unwrap_or("");
        let your = self
            .env
            .get_template("your-roles.html")?
            .render(context! { roles => val(&lines), name => first })?;
        let unsub = self.env.get_template("unsubscribe.html")?.render(context! {
            url => links.unsubscribe.as_str(),
            preferences_url => links.preferences.as_str(),
            email => sub.email.as_str(),
        })?;
        let (your, unsub) = (crlf(&your), crlf(&unsub));
        let [head, middle, tail] = &self.email_parts;
        let mut html = String::with_capacity(
            head.len() + middle.len() + tail.len() + your.len() + unsub.len() + 10,
        );
        for part in [head.as_str(), &your, middle, &unsub, tail] {
            html.push_str(part);
            html.push_str("\r\n");
        }
        let [qhead, qmiddle, qtail] = &self.email_parts_qp;
        let (qyour, qunsub) = (qp(&your), qp(&unsub));
        let mut html_qp = Vec::with_capacity(
            qhead.len() + qmiddle.len() + qtail.len() + qyour.len() + qunsub.len(),
        );
        for part in [qhead, &qyour, qmiddle, &qunsub, qtail] {
            html_qp.extend_from_slice(part);
        }
        let text = self.env.get_template("newsletter.txt")?.render(context! {
            roles => val(&lines), name => first, unsubscribe_url => links.unsubscribe.as_str(),
            preferences_url => links.preferences.as_str(), ..val(&self.model)
        })?;
        Ok(Personal { html, html_qp, text })
    }
}
