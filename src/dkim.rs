//! DKIM signing (RFC 6376): rsa-sha256, relaxed/relaxed, over a formatted
//! message, adding one `DKIM-Signature` header at the top.
//!
//! Written here rather than taken from lettre's `dkim` feature, which (in
//! 0.11) stamps `t=` with the clock, so the outbox and preview files would
//! differ on every run; reads only PKCS#1 keys; and signs without RSA
//! blinding. The RSA primitive is the `rsa` crate's, with blinding; the
//! canonicalisation is the RFC's two short algorithms; an independent
//! verifier (dkimpy) checks the result in the tests.

use std::path::Path;

use anyhow::{Context, Result, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha2::{Digest, Sha256};

/// The headers every signature covers (spec section 12), in `h=` order.
/// A header a message lacks is still listed: a verifier then refuses a copy
/// to which someone added it.
pub const SIGNED_HEADERS: &[&str] = &[
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "list-id",
    "list-unsubscribe",
    "list-unsubscribe-post",
];

/// A DKIM key and where its public half is published.
pub struct Signer {
    domain: String,
    selector: String,
    key: RsaPrivateKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer {{ d={}, s={}, {} bits }}", self.domain, self.selector, self.bits())
    }
}

impl Signer {
    /// A signer from a PEM key (PKCS#1 `RSA PRIVATE KEY` or PKCS#8 `PRIVATE KEY`).
    pub fn from_pem(domain: &str, selector: &str, pem: &str) -> Result<Signer> {
        let key = if pem.contains("BEGIN RSA PRIVATE KEY") {
            RsaPrivateKey::from_pkcs1_pem(pem).context("not a valid PKCS#1 RSA private key")?
        } else if pem.contains("BEGIN PRIVATE KEY") {
            RsaPrivateKey::from_pkcs8_pem(pem)
                .context("not a valid PKCS#8 RSA private key (only RSA keys are supported)")?
        } else if pem.contains("BEGIN ENCRYPTED PRIVATE KEY") {
            bail!("the key is encrypted; write it unencrypted (readable by this service only)")
        } else {
            bail!("no PEM private key found (expected BEGIN RSA PRIVATE KEY or BEGIN PRIVATE KEY)")
        };
        key.validate().context("the RSA key does not check out")?;
        let bits = key.size() * 8;
        if bits < 1024 {
            bail!(
                "the RSA key has {bits} bits; DKIM verifiers refuse keys under 1024 bits (use 2048)"
            );
        }
        if domain.is_empty() || selector.is_empty() || selector.contains(['.', ' ', ';']) {
            bail!("a DKIM signer needs a domain and a selector without dots or spaces");
        }
        Ok(Signer { domain: domain.to_string(), selector: selector.to_string(), key })
    }

    /// Reads the key from a file.
    pub fn from_file(domain: &str, selector: &str, path: &Path) -> Result<Signer> {
        let pem = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the DKIM key {}", path.display()))?;
        Signer::from_pem(domain, selector, &pem)
            .with_context(|| format!("DKIM key {}", path.display()))
    }

    /// Key size in bits.
    pub fn bits(&self) -> usize {
        self.key.size() * 8
    }

    /// `selector._domainkey.domain`: where the public key is published.
    pub fn record_name(&self) -> String {
        format!("{}._domainkey.{}", self.selector, self.domain)
    }

    /// The TXT record's value: `v=DKIM1; k=rsa; p=<public key>`.
    pub fn record_value(&self) -> String {
        let der = self.key.to_public_key().to_public_key_der().expect("an RSA public key encodes");
        format!("v=DKIM1; k=rsa; p={}", STANDARD.encode(der.as_bytes()))
    }

    /// Signs `message` (CRLF line ends), returning it with a
    /// `DKIM-Signature` header first. `timestamp` (Unix seconds) is `t=`:
    /// the message's own Date, so the same message signs to the same bytes.
    pub fn sign(&self, message: &[u8], timestamp: i64) -> Result<Vec<u8>> {
        let (head, body) = split(message).context("the message has no header/body separator")?;
        let bh = STANDARD.encode(Sha256::digest(relaxed_body(body)));
        let h = SIGNED_HEADERS.join(":");
        let unsigned = format!(
            "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={}; s={};\r\n\tt={timestamp}; h={h};\r\n\tbh={bh};\r\n\tb=",
            self.domain, self.selector
        );
        let fields = header_fields(head);
        let mut hasher = Sha256::new();
        for name in SIGNED_HEADERS {
            // One instance each: the last (bottom-most) one, per RFC 6376 5.4.2.
            if let Some(f) = fields.iter().rev().find(|f| field_name(f).eq_ignore_ascii_case(name))
            {
                hasher.update(relaxed_header(f));
                hasher.update(b"\r\n");
            }
        }
        hasher.update(relaxed_header(&unsigned));
        let digest = hasher.finalize();
        let signature = self
            .key
            .sign_with_rng(&mut rand_core::OsRng, Pkcs1v15Sign::new::<Sha256>(), &digest)
            .context("RSA signing failed")?;
        let mut out = Vec::with_capacity(message.len() + unsigned.len() + 400);
        out.extend_from_slice(unsigned.as_bytes());
        out.extend_from_slice(STANDARD.encode(signature).as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(message);
        Ok(out)
    }
}

/// Header block and body of a message.
fn split(message: &[u8]) -> Option<(&str, &[u8])> {
    let at = memchr::memmem::find(message, b"\r\n\r\n")?;
    let head = std::str::from_utf8(&message[..at + 2]).ok()?;
    Some((head, &message[at + 4..]))
}

/// The header fields of a header block, each with its folds.
fn header_fields(head: &str) -> Vec<&str> {
    let mut fields = Vec::new();
    let mut start = 0;
    let bytes = head.as_bytes();
    let mut i = 0;
    while let Some(off) = head[i..].find("\r\n") {
        let end = i + off;
        let next = end + 2;
        let continued = bytes.get(next).is_some_and(|&b| b == b' ' || b == b'\t');
        if !continued {
            if end > start {
                fields.push(&head[start..end]);
            }
            start = next;
        }
        i = next;
    }
    fields
}

fn field_name(field: &str) -> &str {
    field.split_once(':').map_or(field, |(n, _)| n.trim_end())
}

/// Relaxed header canonicalisation (RFC 6376 3.4.2), without the final CRLF.
fn relaxed_header(field: &str) -> String {
    let (name, value) = field.split_once(':').unwrap_or((field, ""));
    let mut out = name.trim_end().to_ascii_lowercase();
    out.push(':');
    let unfolded = value.replace("\r\n", "");
    let mut space = false;
    for c in unfolded.trim_matches([' ', '\t']).chars() {
        if c == ' ' || c == '\t' {
            space = true;
        } else {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    out
}

/// Relaxed body canonicalisation (RFC 6376 3.4.4).
fn relaxed_body(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut lines: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
    // A body ending in CRLF splits into a last empty piece, not a line.
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let mut pending_empty = 0usize;
    for line in lines {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut canon = Vec::with_capacity(line.len());
        let mut space = false;
        for &b in line {
            if b == b' ' || b == b'\t' {
                space = true;
            } else {
                if space {
                    canon.push(b' ');
                    space = false;
                }
                canon.push(b);
            }
        }
        // Trailing white space goes; empty lines at the end go too.
        if canon.is_empty() {
            pending_empty += 1;
            continue;
        }
        for _ in 0..pending_empty {
            out.extend_from_slice(b"\r\n");
        }
        pending_empty = 0;
        out.extend_from_slice(&canon);
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_example_canonicalises_as_the_rfc_says() {
        // RFC 6376 section 3.4.5.
        let fields = header_fields("A: X\r\nB : Y\t\r\n\tZ  \r\n");
        assert_eq!(fields.len(), 2);
        assert_eq!(relaxed_header(fields[0]), "a:X");
        assert_eq!(relaxed_header(fields[1]), "b:Y Z");
        assert_eq!(relaxed_body(b" C \r\nD \t E\r\n\r\n\r\n"), b" C\r\nD E\r\n");
        assert_eq!(relaxed_body(b""), b"");
        assert_eq!(relaxed_body(b"a\r\n\r\nb"), b"a\r\n\r\nb\r\n");
    }
}
