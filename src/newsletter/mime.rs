//! MIME: one subscriber's issue as an RFC 5322 message. `multipart/alternative`
//! with the text first, then `multipart/related` holding the HTML and the
//! charts by Content-ID. Headers include a deterministic Message-ID that does
//! not reveal the address, and one-click unsubscribe (RFC 8058) with an
//! HMAC-SHA256 token.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use hmac::{Hmac, Mac};
use lettre::Message;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};

use super::{EmailChart, Personal};
use crate::dkim::Signer;
use crate::model::{IsoWeek, hex};
use crate::subscribers::Subscriber;
use crate::tokens;

type HmacSha256 = Hmac<Sha256>;

/// Characters left as they are in a query value.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// `{base_url}/unsubscribe?email=…&token=…`.
pub fn unsubscribe_url(base_url: &str, email: &str, token: &str) -> String {
    format!(
        "{}/unsubscribe?email={}&token={token}",
        base_url.trim_end_matches('/'),
        utf8_percent_encode(email, QUERY)
    )
}

/// `{base_url}/preferences?email=…&token=…`.
pub fn preferences_url(base_url: &str, email: &str, token: &str) -> String {
    format!(
        "{}/preferences?email={}&token={token}",
        base_url.trim_end_matches('/'),
        utf8_percent_encode(email, QUERY)
    )
}

/// Declares a header whose value is written as given.
macro_rules! text_header {
    ($(#[$doc:meta])* $name:ident, $header:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name(pub String);

        impl Header for $name {
            fn name() -> HeaderName {
                HeaderName::new_from_ascii_str($header)
            }
            fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                Ok($name(s.to_string()))
            }
            fn display(&self) -> HeaderValue {
                HeaderValue::new(Self::name(), self.0.clone())
            }
        }
    };
}

text_header!(
    /// `List-Unsubscribe` (RFC 2369).
    ListUnsubscribe,
    "List-Unsubscribe"
);
text_header!(
    /// `List-Unsubscribe-Post` (RFC 8058).
    ListUnsubscribePost,
    "List-Unsubscribe-Post"
);
text_header!(
    /// `List-Id` (RFC 2919).
    ListId,
    "List-Id"
);
text_header!(
    /// `Auto-Submitted` (RFC 3834).
    AutoSubmitted,
    "Auto-Submitted"
);

/// An inline image, transfer-encoded once for every message of the issue.
#[derive(Debug, Clone)]
pub struct InlineImage {
    cid: String,
    body: lettre::message::Body,
}

impl InlineImage {
    /// Encodes a chart.
    pub fn new(chart: &EmailChart) -> Self {
        InlineImage { cid: chart.cid.clone(), body: lettre::message::Body::new(chart.png.clone()) }
    }
}

/// The Message-ID of week `week`'s issue to `email`: `<week.hmac@domain>`,
/// the HMAC keyed by the unsubscribe key so that it does not reveal the address.
pub fn message_id(key: &[u8], week: IsoWeek, domain: &str, email: &str) -> String {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(format!("message-id\0{week}\0{}", email.to_ascii_lowercase()).as_bytes());
    let id = hex(&mac.finalize().into_bytes()[..16]);
    format!("<{week}.{id}@{domain}>")
}

/// What every message of an issue shares.
pub struct Envelope {
    /// From.
    pub from: Mailbox,
    /// Reply-To.
    pub reply_to: Mailbox,
    /// Subject.
    pub subject: String,
    /// Where `output/` (and the unsubscribe endpoint) is published.
    pub base_url: String,
    /// The week.
    pub week: IsoWeek,
    /// The HMAC key for tokens and Message-IDs.
    pub key: Vec<u8>,
    /// `List-Id`.
    pub list_id: String,
    /// Signs every message when `[delivery.dkim]` is set.
    pub signer: Option<Arc<Signer>>,
}

impl Envelope {
    /// The Date of the issue: Monday after the week, 08:00 UTC (never the clock).
    pub fn date(&self) -> SystemTime {
        let monday = self.week.next().monday();
        let secs = monday.and_hms_opt(8, 0, 0).expect("08:00 exists").and_utc().timestamp();
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs.max(0) as u64)
    }

    /// A Message-ID unique per (week, subscriber) that does not reveal the address.
    pub fn message_id(&self, email: &str) -> String {
        message_id(&self.key, self.week, self.from.email.domain(), email)
    }

    /// The unsubscribe URL of an address.
    pub fn unsubscribe_url(&self, email: &str) -> String {
        unsubscribe_url(&self.base_url, email, &tokens::unsubscribe(&self.key, email))
    }

    /// The Date as Unix seconds (DKIM `t=`).
    pub fn date_secs(&self) -> i64 {
        self.date().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
    }

    /// The preferences URL of an address; it works for
    /// [`tokens::PREFERENCES_SECONDS`] after the date.
    pub fn preferences_url(&self, email: &str) -> String {
        let expires = self.date_secs() + tokens::PREFERENCES_SECONDS;
        preferences_url(&self.base_url, email, &tokens::preferences(&self.key, email, expires))
    }

    /// Builds and formats one subscriber's message.
    pub fn build(
        &self,
        sub: &Subscriber,
        personal: &Personal,
        images: &[InlineImage],
    ) -> Result<Vec<u8>> {
        let to = Mailbox::new(
            (!sub.name.is_empty()).then(|| sub.name.clone()),
            sub.email.parse().with_context(|| format!("invalid address '{}'", sub.email))?,
        );
        let seed = hex(&Sha256::digest(self.message_id(&sub.email).as_bytes())[..12]);
        let mut related = MultiPart::related().boundary(format!("rel-{seed}")).singlepart(
            SinglePart::builder().header(ContentType::TEXT_HTML).body(
                lettre::message::Body::dangerous_pre_encoded(
                    personal.html_qp.clone(),
                    lettre::message::header::ContentTransferEncoding::QuotedPrintable,
                ),
            ),
        );
        for img in images {
            related = related.singlepart(
                Attachment::new_inline(img.cid.clone())
                    .body(img.body.clone(), ContentType::parse("image/png").expect("valid")),
            );
        }
        let body = MultiPart::alternative()
            .boundary(format!("alt-{seed}"))
            .singlepart(SinglePart::plain(personal.text.clone()))
            .multipart(related);
        let message = Message::builder()
            .from(self.from.clone())
            .reply_to(self.reply_to.clone())
            .to(to)
            .subject(&self.subject)
            .date(self.date())
            .message_id(Some(self.message_id(&sub.email)))
            .header(ListUnsubscribe(format!("<{}>", self.unsubscribe_url(&sub.email))))
            .header(ListUnsubscribePost("List-Unsubscribe=One-Click".into()))
            .header(ListId(self.list_id.clone()))
            .multipart(body)
            .with_context(|| format!("failed to build the message for {}", sub.email))?;
        let bytes = message.formatted();
        match &self.signer {
            Some(signer) => signer.sign(&bytes, self.date_secs()),
            None => Ok(bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_encoded_apart_decode_to_the_whole() {
        // Quoted-printable is line by line: encoding parts that end at a line
        // break and joining them equals encoding the whole.
        let long = "x".repeat(200);
        let parts = ["<p>Caf\u{e9} = 1 </p>", long.as_str(), "a\tb  ", "\u{2191} +5%"];
        let mut joined = Vec::new();
        let mut whole = String::new();
        for p in parts {
            let mut t = p.to_string();
            t.push_str("\r\n");
            joined.extend(quoted_printable::encode(&t));
            whole.push_str(&t);
        }
        assert_eq!(joined, quoted_printable::encode(&whole));
        let back = quoted_printable::decode(&joined, quoted_printable::ParseMode::Strict).unwrap();
        assert_eq!(String::from_utf8(back).unwrap(), whole);
        assert!(joined.split(|&b| b == b'\n').all(|l| l.len() <= 78));
    }

    #[test]
    fn unsubscribe_urls_encode_the_address() {
        let u = unsubscribe_url("https://example.com/st/", "a+b@example.com", "ff");
        assert_eq!(u, "https://example.com/st/unsubscribe?email=a%2Bb%40example.com&token=ff");
    }
}
