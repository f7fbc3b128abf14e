//! `newsletter`: the issue's files (public HTML and text, the preview
//! message, the inline charts) from the stored snapshots; the newsletter
//! stage of `weekly`, which renders only when its stamp is stale; and the
//! prepared [`Issue`] that `send` personalises for each reader.

use std::time::Instant;

use anyhow::Result;
use sha2::Digest;

use super::{Printer, Week, load_catalog, unsubscribe_key, week_or_stored};
use crate::config::Config;
use crate::exit::{self, WithExit};
use crate::model::IsoWeek;
use crate::newsletter::mime::{Envelope, InlineImage};
use crate::newsletter::{self, EmailChart, Renderer};
use crate::output;
use crate::roles::{Catalog, RoleDef};
use crate::store;
use crate::subscribers::{self, Status, Subscriber, SubscriberList};

pub(super) fn run(cfg: &Config, week: Option<IsoWeek>, out: &Printer) -> Result<()> {
    let catalog = load_catalog(cfg)?;
    let week = Week::load(cfg, week_or_stored(cfg, week)?)?;
    let t = Instant::now();
    render(cfg, &catalog, &week, unsubscribe_key(cfg, out))?;
    let dir = output::week_dir(&cfg.output_dir, week.week()).join(output::NEWSLETTER);
    out.say(format!(
        "{}: newsletter written to {} in {} ms",
        week.week(),
        cfg.display_path(&dir),
        t.elapsed().as_millis()
    ));
    Ok(())
}

/// An issue ready to be personalised: the rendered templates and the envelope.
pub(crate) struct Issue {
    pub(super) renderer: Renderer,
    pub(super) envelope: Envelope,
    images: Vec<InlineImage>,
}

impl Issue {
    /// One subscriber's formatted message.
    pub(crate) fn message(&self, sub: &Subscriber, roles: &[RoleDef]) -> Result<Vec<u8>> {
        let links = newsletter::Links {
            unsubscribe: self.envelope.unsubscribe_url(&sub.email),
            preferences: self.envelope.preferences_url(&sub.email),
        };
        let personal = self.renderer.personal(sub, roles, &links)?;
        self.envelope.build(sub, &personal, &self.images)
    }
}

/// Renders the issue of a week, signing its links with `key`.
pub(super) fn prepare(cfg: &Config, catalog: &Catalog, week: &Week, key: Vec<u8>) -> Result<Issue> {
    let w = week.week();
    let charts: Vec<EmailChart> = crate::charts::newsletter_charts(&week.snapshot)
        .into_iter()
        .map(|(file, alt, png)| EmailChart {
            cid: format!("{}.{w}@salarytrends", file.trim_end_matches(".png")),
            file,
            alt,
            png,
        })
        .collect();
    let model = newsletter::issue_model(
        &week.snapshot,
        &week.deltas,
        &catalog.roles,
        &cfg.newsletter.base_url,
        &cfg.newsletter.postal_address,
        charts,
    );
    let renderer = Renderer::new(model, &cfg.templates_dir)?;
    let envelope = Envelope {
        from: cfg.senders.from.clone(),
        reply_to: cfg.senders.reply_to.clone(),
        subject: renderer.model().subject.clone(),
        base_url: cfg.newsletter.base_url.clone(),
        week: w,
        key,
        list_id: cfg.senders.list_id.clone(),
        signer: super::dkim_signer(cfg)?,
    };
    let images = renderer.model().charts.iter().map(InlineImage::new).collect();
    Ok(Issue { renderer, envelope, images })
}

/// The configured subscriber CSV, or an empty list when there is none.
pub(super) fn load_subscribers(cfg: &Config, catalog: &Catalog) -> Result<SubscriberList> {
    if !cfg.subscribers.as_os_str().is_empty() && cfg.subscribers.is_file() {
        subscribers::load(&cfg.subscribers, catalog).exit_code(exit::DATA)
    } else {
        Ok(Default::default())
    }
}

/// The subscriber a preview or test message is written for: the first active
/// one in the configured list, or a made-up reader.
pub(super) fn sample_subscriber(list: &SubscriberList) -> Subscriber {
    let first = list.rows.iter().map(|r| &r.subscriber).find(|s| s.status == Status::Active);
    first.cloned().unwrap_or_else(|| Subscriber {
        email: "reader@example.com".into(),
        name: "Sample Reader".into(),
        roles: vec![0],
        status: Status::Active,
    })
}

/// Writes the newsletter files of a week and rewrites its manifest.
fn render(cfg: &Config, catalog: &Catalog, week: &Week, key: Vec<u8>) -> Result<()> {
    let issue = prepare(cfg, catalog, week, key)?;
    let dir = output::week_dir(&cfg.output_dir, week.week());
    for c in &issue.renderer.model().charts {
        store::write_atomic(&dir.join(output::NEWSLETTER_CHARTS).join(&c.file), &c.png)?;
    }
    let files = dir.join(output::NEWSLETTER);
    store::write_atomic(&files.join("newsletter.html"), issue.renderer.public_html().as_bytes())?;
    store::write_atomic(&files.join("newsletter.txt"), issue.renderer.public_text()?.as_bytes())?;
    let sample = sample_subscriber(&load_subscribers(cfg, catalog)?);
    store::write_atomic(&files.join("preview.eml"), &issue.message(&sample, &catalog.roles)?)?;
    output::write_manifest(&dir, week.week())?;
    Ok(())
}

/// What the newsletter files of a week depend on: the build, the reports'
/// inputs, the whole catalogue, the templates, the subscribers (the
/// preview's reader), the newsletter settings and the signing key (the
/// preview's links). The key enters as a keyed fingerprint, never as itself.
fn inputs_digest(cfg: &Config, catalog: &Catalog, week: IsoWeek, key: &[u8]) -> Result<String> {
    use hmac::{Hmac, Mac};
    let mut h = super::report::digest_base(cfg, catalog, week)?;
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(crate::BUILD_ID.as_bytes());
    field(&std::fs::read(&cfg.roles).unwrap_or_default());
    for name in ["newsletter.mjml", "newsletter.txt", "your-roles.html", "unsubscribe.html"] {
        field(&std::fs::read(cfg.templates_dir.join(name)).unwrap_or_default());
    }
    field(&std::fs::read(&cfg.subscribers).unwrap_or_default());
    field(format!("{:?}", cfg.newsletter).as_bytes());
    // The preview is signed: a new DKIM key or selector makes it stale.
    if let Some(signer) = super::dkim_signer(cfg)? {
        field(format!("{} {}", signer.record_name(), signer.record_value()).as_bytes());
    }
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(b"salarytrends newsletter stamp");
    field(&mac.finalize().into_bytes());
    Ok(crate::model::hex(&h.finalize()))
}

/// The newsletter stage of `weekly`: renders the files unless those on disk
/// were made from the same inputs. `true` when rendered.
pub(super) fn render_stale(
    cfg: &Config,
    catalog: &Catalog,
    week: &Week,
    out: &Printer,
) -> Result<bool> {
    let key = unsubscribe_key(cfg, out);
    let digest = inputs_digest(cfg, catalog, week.week(), &key)?;
    let dir = output::week_dir(&cfg.output_dir, week.week()).join(output::NEWSLETTER);
    let stamp = dir.join(".inputs.sha256");
    let complete =
        ["newsletter.html", "newsletter.txt", "preview.eml"].iter().all(|f| dir.join(f).is_file());
    if complete && std::fs::read_to_string(&stamp).ok().as_deref() == Some(digest.as_str()) {
        return Ok(false);
    }
    render(cfg, catalog, week, key)?;
    store::write_atomic(&stamp, digest.as_bytes())?;
    Ok(true)
}
