//! The confirmation email of a sign-up (double opt-in): an HTML part from
//! `confirm.mjml` through the same MJML pipeline as the issue, a text part
//! from `confirm.txt`, and no images or tracking.

use std::path::Path;
use std::time::SystemTime;

use anyhow::{Context, Result};
use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use minijinja::{Environment, context};

use super::mime::{AutoSubmitted, ListId};
use crate::templates::{self, Builtin};

/// The subject of every confirmation email.
pub const SUBJECT: &str = "Confirm your subscription to AI Salary Trends";

const BUILTIN: &[Builtin] = &[
    ("confirm.mjml", include_str!("../../templates/confirm.mjml")),
    ("confirm.txt", include_str!("../../templates/confirm.txt")),
];

/// The templates of the confirmation email.
pub struct ConfirmationMail {
    env: Environment<'static>,
}

/// One confirmation email's content.
pub struct Confirm<'a> {
    /// Sender.
    pub from: &'a Mailbox,
    /// Reply-To.
    pub reply_to: &'a Mailbox,
    /// The address that signed up.
    pub email: &'a str,
    /// The name given, possibly empty.
    pub name: &'a str,
    /// Names of the roles chosen.
    pub roles: &'a [String],
    /// The confirmation page, token included.
    pub confirm_url: &'a str,
    /// Days the link works.
    pub valid_days: i64,
    /// The sender's postal address.
    pub postal_address: &'a str,
    /// Date header.
    pub date: SystemTime,
    /// Message-ID, with angle brackets.
    pub message_id: String,
    /// `List-Id`: the list the address is joining.
    pub list_id: &'a str,
}

impl ConfirmationMail {
    /// Loads the templates from `templates_dir` (built-in copies stand in).
    pub fn load(templates_dir: &Path) -> Result<Self> {
        Ok(ConfirmationMail { env: templates::environment(templates_dir, BUILTIN)? })
    }

    /// The HTML and text parts.
    pub fn render(&self, c: &Confirm<'_>) -> Result<(String, String)> {
        let ctx = context! {
            name => c.name,
            email => c.email,
            roles => crate::text::list(c.roles),
            confirm_url => c.confirm_url,
            valid_days => c.valid_days,
            postal_address => c.postal_address,
        };
        let mjml = self.env.get_template("confirm.mjml")?.render(&ctx)?;
        let html = super::mjml_to_html(&mjml).context("confirm.mjml")?;
        let text = self.env.get_template("confirm.txt")?.render(&ctx)?;
        Ok((html, text))
    }

    /// The formatted message.
    pub fn build(&self, c: &Confirm<'_>) -> Result<Vec<u8>> {
        let (html, text) = self.render(c)?;
        let to = Mailbox::new(
            (!c.name.is_empty()).then(|| c.name.to_string()),
            c.email.parse().with_context(|| format!("invalid address '{}'", c.email))?,
        );
        let message = Message::builder()
            .from(c.from.clone())
            .reply_to(c.reply_to.clone())
            .to(to)
            .subject(SUBJECT)
            .date(c.date)
            .message_id(Some(c.message_id.clone()))
            // Auto-responders do not answer it (RFC 3834).
            .header(AutoSubmitted("auto-generated".into()))
            .header(ListId(c.list_id.to_string()))
            .multipart(MultiPart::alternative_plain_html(text, html))
            .with_context(|| format!("failed to build the confirmation for {}", c.email))?;
        Ok(message.formatted())
    }
}
