//! Signed tokens in links: HMAC-SHA256 under the key that `send` and `serve`
//! share (`SALARYTRENDS_UNSUBSCRIBE_KEY`), each kind with its own label so a
//! token made for one purpose never verifies for another.
//!
//! - unsubscribe: `hex(mac("unsubscribe", address))`, no expiry (RFC 8058
//!   links must keep working in old issues);
//! - preferences: `<expires>.<hex mac>` over the address and the expiry;
//! - confirmation: `<base64url JSON>.<hex mac>`, the JSON holding the address,
//!   the choices made on the form, the form's wording version and the expiry,
//!   so nothing a stranger types into the form changes a subscriber until the
//!   mailbox's owner confirms.
//!
//! Times are Unix seconds, passed in: the caller owns the clock.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::model::hex;

type HmacSha256 = Hmac<Sha256>;

/// How long a confirmation link works: 7 days (spec section 11).
pub const CONFIRMATION_SECONDS: i64 = 7 * 24 * 3600;
/// How long a preferences link in an issue works, from the issue's date.
pub const PREFERENCES_SECONDS: i64 = 120 * 24 * 3600;

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Not made with this key, or altered.
    Invalid,
    /// Genuine but past its expiry.
    Expired,
}

fn mac(key: &[u8], label: &str, parts: &[&[u8]]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(label.as_bytes());
    for p in parts {
        mac.update(b"\0");
        mac.update(p);
    }
    mac
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok()).collect()
}

/// The key an address is signed under: trimmed and lower-cased.
fn addr(email: &str) -> Vec<u8> {
    email.trim().to_ascii_lowercase().into_bytes()
}

/// The unsubscribe token of an address.
pub fn unsubscribe(key: &[u8], email: &str) -> String {
    // The label and layout predate the other kinds: "unsubscribe\0address".
    hex(&mac(key, "unsubscribe", &[&addr(email)]).finalize().into_bytes())
}

/// Whether `token` is the address's unsubscribe token (constant time).
pub fn verify_unsubscribe(key: &[u8], email: &str, token: &str) -> bool {
    let Some(bytes) = unhex(token) else { return false };
    mac(key, "unsubscribe", &[&addr(email)]).verify_slice(&bytes).is_ok()
}

/// A preferences token for an address, valid until `expires`.
pub fn preferences(key: &[u8], email: &str, expires: i64) -> String {
    let e = expires.to_string();
    let m = mac(key, "preferences", &[&addr(email), e.as_bytes()]).finalize().into_bytes();
    format!("{e}.{}", hex(&m[..20]))
}

/// Checks a preferences token at time `now`.
pub fn verify_preferences(key: &[u8], email: &str, token: &str, now: i64) -> Result<(), Refused> {
    let (e, sig) = token.split_once('.').ok_or(Refused::Invalid)?;
    let expires: i64 = e.parse().map_err(|_| Refused::Invalid)?;
    let bytes = unhex(sig).ok_or(Refused::Invalid)?;
    if bytes.len() < 16 {
        return Err(Refused::Invalid);
    }
    mac(key, "preferences", &[&addr(email), e.as_bytes()])
        .verify_truncated_left(&bytes)
        .map_err(|_| Refused::Invalid)?;
    if now > expires { Err(Refused::Expired) } else { Ok(()) }
}

/// The VERP token of an address: 20 hex digits of an HMAC, so the bounce
/// address does not show the recipient; the state database maps it back.
pub fn verp(key: &[u8], email: &str) -> String {
    hex(&mac(key, "verp", &[&addr(email)]).finalize().into_bytes()[..10])
}

/// `local+<token>@domain` for the bounce address `local@domain`.
pub fn verp_address(bounce: &lettre::Address, token: &str) -> lettre::Address {
    lettre::Address::new(format!("{}+{token}", bounce.user()), bounce.domain())
        .expect("a valid address with a hex tag is valid")
}

/// The token of a VERP address made from `bounce`, if `address` is one.
pub fn verp_token_of(bounce: &lettre::Address, address: &str) -> Option<String> {
    let address = address.trim().trim_start_matches('<').trim_end_matches('>');
    let (local, domain) = address.rsplit_once('@')?;
    let (user, token) = local.split_once('+')?;
    let ok = user.eq_ignore_ascii_case(bounce.user())
        && domain.eq_ignore_ascii_case(bounce.domain())
        && token.len() == 20
        && token.bytes().all(|b| b.is_ascii_hexdigit());
    ok.then(|| token.to_ascii_lowercase())
}

/// What a confirmation link confirms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// The address, as typed (checked).
    #[serde(rename = "e")]
    pub email: String,
    /// The name given, possibly empty.
    #[serde(rename = "n", default)]
    pub name: String,
    /// Slugs of the roles chosen.
    #[serde(rename = "r", default)]
    pub roles: Vec<String>,
    /// The wording version of the form that was submitted.
    #[serde(rename = "w")]
    pub wording: String,
    /// Unix seconds after which the link no longer works.
    #[serde(rename = "x")]
    pub expires: i64,
}

/// The token of a confirmation link.
pub fn confirmation(key: &[u8], c: &Confirmation) -> String {
    let json = serde_json::to_vec(c).expect("a confirmation serialises");
    let payload = URL_SAFE_NO_PAD.encode(&json);
    let m = mac(key, "confirm", &[payload.as_bytes()]).finalize().into_bytes();
    format!("{payload}.{}", hex(&m[..20]))
}

/// Opens a confirmation token at time `now`.
pub fn open_confirmation(key: &[u8], token: &str, now: i64) -> Result<Confirmation, Refused> {
    let (payload, sig) = token.trim().split_once('.').ok_or(Refused::Invalid)?;
    let bytes = unhex(sig).ok_or(Refused::Invalid)?;
    if bytes.len() < 16 {
        return Err(Refused::Invalid);
    }
    mac(key, "confirm", &[payload.as_bytes()])
        .verify_truncated_left(&bytes)
        .map_err(|_| Refused::Invalid)?;
    let json = URL_SAFE_NO_PAD.decode(payload).map_err(|_| Refused::Invalid)?;
    let c: Confirmation = serde_json::from_slice(&json).map_err(|_| Refused::Invalid)?;
    if now > c.expires { Err(Refused::Expired) } else { Ok(c) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsubscribe_tokens_verify_and_forgeries_do_not() {
        let key = b"test-key";
        let t = unsubscribe(key, "Ada@Example.com");
        assert_eq!(t.len(), 64);
        assert!(verify_unsubscribe(key, "ada@example.com", &t));
        assert!(!verify_unsubscribe(key, "grace@example.com", &t));
        assert!(!verify_unsubscribe(b"other-key", "ada@example.com", &t));
        assert!(!verify_unsubscribe(key, "ada@example.com", "zz"));
        assert!(!verify_unsubscribe(key, "ada@example.com", ""));
        assert!(!verify_unsubscribe(key, "ada@example.com", "é"));
    }

    #[test]
    fn preferences_tokens_expire_and_belong_to_one_address() {
        let key = b"k";
        let t = preferences(key, "ada@example.com", 1000);
        assert_eq!(verify_preferences(key, "ADA@example.com", &t, 999), Ok(()));
        assert_eq!(verify_preferences(key, "ada@example.com", &t, 1001), Err(Refused::Expired));
        assert_eq!(verify_preferences(key, "bob@example.com", &t, 999), Err(Refused::Invalid));
        // A later expiry written into the token breaks the signature.
        let moved = t.replacen("1000", "9999", 1);
        assert_eq!(verify_preferences(key, "ada@example.com", &moved, 999), Err(Refused::Invalid));
        // An unsubscribe token is no preferences token, and the reverse.
        let u = unsubscribe(key, "ada@example.com");
        assert_eq!(verify_preferences(key, "ada@example.com", &u, 0), Err(Refused::Invalid));
        assert!(!verify_unsubscribe(key, "ada@example.com", &t));
        assert_eq!(verify_preferences(key, "ada@example.com", "1000.ab", 0), Err(Refused::Invalid));
    }

    #[test]
    fn confirmation_tokens_carry_the_choices_and_refuse_changes() {
        let key = b"k";
        let c = Confirmation {
            email: "ada@example.com".into(),
            name: "Ada".into(),
            roles: vec!["data-scientist".into()],
            wording: "subscribe.html@0123abcd".into(),
            expires: 5000,
        };
        let t = confirmation(key, &c);
        assert_eq!(open_confirmation(key, &t, 4000), Ok(c.clone()));
        assert_eq!(open_confirmation(key, &t, 5001), Err(Refused::Expired));
        assert_eq!(open_confirmation(b"other", &t, 4000), Err(Refused::Invalid));
        // Another address in the payload with the old signature.
        let (_, sig) = t.split_once('.').unwrap();
        let forged = Confirmation { email: "eve@example.com".into(), ..c };
        let other = confirmation(b"other", &forged);
        let (payload, _) = other.split_once('.').unwrap();
        assert_eq!(
            open_confirmation(key, &format!("{payload}.{sig}"), 4000),
            Err(Refused::Invalid)
        );
        for bad in ["", ".", "abc", "abc.", "abc.zz", "!!!.00"] {
            assert_eq!(open_confirmation(key, bad, 0), Err(Refused::Invalid), "{bad}");
        }
    }
}
