//! Configuration: `salarytrends.toml` (spec section 8) → [`Config`], with
//! relative paths resolved against the config file's folder, unknown keys
//! rejected by name, and every value resolved once into the type that uses
//! it: addresses parsed, the transport an enum. The secrets are read from the
//! environment here and nowhere else ([`Secrets`]).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use lettre::message::Mailbox;
use serde::Deserialize;

/// The file name looked for in the working folder.
pub const DEFAULT_FILE: &str = "salarytrends.toml";

/// The config file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawConfig {
    /// Postings path or glob.
    pub postings: String,
    /// Role catalogue.
    pub roles: String,
    /// Exchange rates.
    pub fx: String,
    /// Subscriber list.
    pub subscribers: String,
    /// Stored snapshots.
    pub snapshots_dir: String,
    /// Output folder.
    pub output_dir: String,
    /// Delivery state database.
    pub state_db: String,
    /// Report and newsletter templates (built-in ones are used where a file is absent).
    pub templates_dir: String,
    /// Salary figures are suppressed below this many disclosed salaries.
    pub min_salary_sample: u64,
    /// Largest share of rejected rows before the run stops.
    pub max_reject_ratio: f64,
    /// Newsletter settings.
    pub newsletter: NewsletterConfig,
    /// Delivery settings.
    pub delivery: DeliveryConfig,
    /// How reposts are told apart.
    pub dedup: DedupConfig,
}

/// `[dedup]`: reposts are one job (spec section 10.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DedupConfig {
    /// A posting joins the job of the one before it (same company, title and
    /// location) when posted at most this many days later; 0: every posting
    /// is its own job.
    pub window_days: u32,
}

impl Default for DedupConfig {
    fn default() -> Self {
        DedupConfig { window_days: 60 }
    }
}

impl Default for RawConfig {
    fn default() -> Self {
        RawConfig {
            postings: "data/postings.csv".into(),
            roles: "data/roles.toml".into(),
            fx: "data/fx.toml".into(),
            subscribers: "data/subscribers.csv".into(),
            snapshots_dir: "data/snapshots".into(),
            output_dir: "output".into(),
            state_db: "data/state.sqlite".into(),
            templates_dir: "templates".into(),
            min_salary_sample: 10,
            max_reject_ratio: 0.05,
            newsletter: NewsletterConfig::default(),
            delivery: DeliveryConfig::default(),
            dedup: DedupConfig::default(),
        }
    }
}

/// `[newsletter]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NewsletterConfig {
    /// The From header.
    pub from: String,
    /// The Reply-To header.
    pub reply_to: String,
    /// Where `output/` is published.
    pub base_url: String,
    /// Postal address for the footer.
    pub postal_address: String,
    /// The List-Id header (RFC 2919): `Name <id.domain>`.
    pub list_id: String,
    /// The envelope sender; each message's is this address with the
    /// recipient encoded (VERP). Empty: the From address, unencoded.
    pub bounce_address: String,
}

impl Default for NewsletterConfig {
    fn default() -> Self {
        NewsletterConfig {
            from: "AI Salary Trends <trends@example.com>".into(),
            reply_to: "editors@example.com".into(),
            base_url: "https://example.com/salarytrends".into(),
            postal_address: "AI Salary Trends, 1 Example Street, Springfield".into(),
            list_id: "AI Salary Trends <salary-trends.example.com>".into(),
            bounce_address: String::new(),
        }
    }
}

/// How messages leave: `delivery.transport`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    /// `.eml` files in the week's `outbox/`.
    File,
    /// An SMTP server (`delivery.smtp_url`).
    Smtp,
    /// The local sendmail program (`delivery.sendmail_command`).
    Sendmail,
}

/// `[delivery]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliveryConfig {
    /// `file`, `smtp` or `sendmail`.
    pub transport: TransportKind,
    /// SMTP server URL.
    pub smtp_url: String,
    /// SMTP connections used in parallel.
    pub connections: u32,
    /// Messages per second at most.
    pub max_per_second: f64,
    /// Messages per hour at most (0: no limit).
    pub max_per_hour: f64,
    /// Attempts per message in one run before it is left for the next run.
    pub max_attempts: u32,
    /// First retry delay in seconds; doubled for each further attempt.
    pub retry_base_seconds: f64,
    /// SMTP network timeout in seconds.
    pub timeout_seconds: f64,
    /// The sendmail program for `transport = "sendmail"`.
    pub sendmail_command: String,
    /// `[delivery.dkim]`: sign every message.
    pub dkim: Option<DkimConfig>,
}

/// `[delivery.dkim]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DkimConfig {
    /// `d=`: the signing domain.
    pub domain: String,
    /// `s=`: the selector; the key is published at `<selector>._domainkey.<domain>`.
    pub selector: String,
    /// The RSA private key, PEM (PKCS#1 or PKCS#8).
    pub private_key_file: String,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            transport: TransportKind::File,
            smtp_url: "smtp://127.0.0.1:2525".into(),
            connections: 8,
            max_per_second: 50.0,
            max_per_hour: 0.0,
            max_attempts: 5,
            retry_base_seconds: 1.0,
            timeout_seconds: 30.0,
            sendmail_command: "sendmail".into(),
            dkim: None,
        }
    }
}

impl RawConfig {
    /// Parses the text of a config file.
    pub fn parse(text: &str) -> Result<Self> {
        let raw: RawConfig = toml::from_str(text)?;
        if raw.min_salary_sample == 0 {
            bail!("min_salary_sample must be at least 1");
        }
        if !(0.0..=1.0).contains(&raw.max_reject_ratio) {
            bail!("max_reject_ratio must be between 0 and 1");
        }
        let d = &raw.delivery;
        if d.connections == 0 || d.max_attempts == 0 {
            bail!("delivery.connections and delivery.max_attempts must be at least 1");
        }
        for (name, v) in [
            ("max_per_second", d.max_per_second),
            ("max_per_hour", d.max_per_hour),
            ("retry_base_seconds", d.retry_base_seconds),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                bail!("delivery.{name} must be a number of at least 0");
            }
        }
        if !(d.timeout_seconds.is_finite() && d.timeout_seconds > 0.0) {
            bail!("delivery.timeout_seconds must be above 0");
        }
        Ok(raw)
    }
}

/// Secrets, from the environment only (never from a file in the
/// repository), read once; never logged (`Debug` shows which are set).
#[derive(Clone, Default)]
pub struct Secrets {
    /// `SALARYTRENDS_SMTP_USER` and `SALARYTRENDS_SMTP_PASSWORD`, when a user is set.
    pub smtp_login: Option<(String, String)>,
    /// `SALARYTRENDS_UNSUBSCRIBE_KEY`: the HMAC key of unsubscribe links.
    pub unsubscribe_key: Option<Vec<u8>>,
}

impl Secrets {
    /// Reads the secrets from the environment; empty values are unset.
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Secrets {
            smtp_login: var("SALARYTRENDS_SMTP_USER")
                .map(|u| (u, var("SALARYTRENDS_SMTP_PASSWORD").unwrap_or_default())),
            unsubscribe_key: var("SALARYTRENDS_UNSUBSCRIBE_KEY").map(String::into_bytes),
        }
    }
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("smtp_login", &self.smtp_login.as_ref().map(|_| "set"))
            .field("unsubscribe_key", &self.unsubscribe_key.as_ref().map(|_| "set"))
            .finish()
    }
}

/// The newsletter's addresses, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Senders {
    /// `newsletter.from`.
    pub from: Mailbox,
    /// `newsletter.reply_to`.
    pub reply_to: Mailbox,
    /// `newsletter.bounce_address`, when set.
    pub bounce: Option<lettre::Address>,
    /// `newsletter.list_id`.
    pub list_id: String,
}

/// The resolved configuration every command works from.
#[derive(Debug, Clone)]
pub struct Config {
    /// Folder that relative paths resolve against.
    pub root: PathBuf,
    /// Postings path or glob, resolved.
    pub postings: PathBuf,
    /// Role catalogue.
    pub roles: PathBuf,
    /// Exchange rates.
    pub fx: PathBuf,
    /// Subscriber list.
    pub subscribers: PathBuf,
    /// Stored snapshots.
    pub snapshots_dir: PathBuf,
    /// Output folder.
    pub output_dir: PathBuf,
    /// Delivery state database.
    pub state_db: PathBuf,
    /// Templates folder.
    pub templates_dir: PathBuf,
    /// Salary suppression threshold.
    pub min_salary_sample: u64,
    /// Largest share of rejected rows.
    pub max_reject_ratio: f64,
    /// Newsletter settings as written.
    pub newsletter: NewsletterConfig,
    /// The newsletter's From and Reply-To.
    pub senders: Senders,
    /// Delivery settings.
    pub delivery: DeliveryConfig,
    /// `[delivery.dkim]` with the key file resolved.
    pub dkim: Option<(DkimConfig, PathBuf)>,
    /// How reposts are told apart.
    pub dedup: DedupConfig,
    /// Secrets from the environment.
    pub secrets: Secrets,
    /// "Today", for the default week.
    pub as_of: NaiveDate,
}

impl Config {
    /// Loads `file`, or `./salarytrends.toml` when it exists, or the
    /// defaults, and reads the secrets from the environment.
    pub fn load(file: Option<&Path>, as_of: NaiveDate) -> Result<Self> {
        let (raw, root, name) = match file {
            Some(f) => (
                Self::read(f)?,
                f.parent().unwrap_or(Path::new("")).to_path_buf(),
                f.display().to_string(),
            ),
            None if Path::new(DEFAULT_FILE).is_file() => {
                (Self::read(Path::new(DEFAULT_FILE))?, PathBuf::new(), DEFAULT_FILE.to_string())
            }
            None => (RawConfig::default(), PathBuf::new(), "the default configuration".into()),
        };
        let mut cfg = Self::resolve(raw, root, as_of)
            .with_context(|| format!("invalid config file '{name}'"))?;
        cfg.secrets = Secrets::from_env();
        Ok(cfg)
    }

    fn read(path: &Path) -> Result<RawConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read config file '{}'", path.display()))?;
        RawConfig::parse(&text).with_context(|| format!("invalid config file '{}'", path.display()))
    }

    /// Resolves paths against `root` and parses the addresses (no secrets).
    pub fn resolve(raw: RawConfig, root: PathBuf, as_of: NaiveDate) -> Result<Self> {
        let root = if root.as_os_str().is_empty() { PathBuf::from(".") } else { root };
        let p = |s: &str| {
            let path = Path::new(s);
            if path.is_absolute() { path.to_path_buf() } else { root.join(path) }
        };
        let mailbox = |key: &str, text: &str| -> Result<Mailbox> {
            text.parse().map_err(|e| anyhow::anyhow!("newsletter.{key} '{text}': {e}"))
        };
        let list_id = raw.newsletter.list_id.trim().to_string();
        let id_ok = list_id.rsplit_once('<').is_some_and(|(_, id)| {
            id.strip_suffix('>').is_some_and(|id| {
                id.contains('.')
                    && id.chars().all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
            })
        });
        if !id_ok || list_id.contains(['\r', '\n']) {
            bail!(
                "newsletter.list_id '{list_id}' must read like 'AI Salary Trends <salary-trends.example.com>' (RFC 2919)"
            );
        }
        let bounce = match raw.newsletter.bounce_address.trim() {
            "" => None,
            b => Some(
                b.parse::<lettre::Address>()
                    .map_err(|e| anyhow::anyhow!("newsletter.bounce_address '{b}': {e}"))?,
            ),
        };
        if bounce.as_ref().is_some_and(|b| b.user().contains('+')) {
            bail!(
                "newsletter.bounce_address must not contain '+': the program adds '+<token>' to it"
            );
        }
        let senders = Senders {
            from: mailbox("from", &raw.newsletter.from)?,
            reply_to: mailbox("reply_to", &raw.newsletter.reply_to)?,
            bounce,
            list_id,
        };
        let dkim = raw.delivery.dkim.clone().map(|d| {
            let file = p(&d.private_key_file);
            (d, file)
        });
        Ok(Config {
            postings: p(&raw.postings),
            roles: p(&raw.roles),
            fx: p(&raw.fx),
            subscribers: p(&raw.subscribers),
            snapshots_dir: p(&raw.snapshots_dir),
            output_dir: p(&raw.output_dir),
            state_db: p(&raw.state_db),
            templates_dir: p(&raw.templates_dir),
            min_salary_sample: raw.min_salary_sample,
            max_reject_ratio: raw.max_reject_ratio,
            newsletter: raw.newsletter,
            senders,
            delivery: raw.delivery,
            dkim,
            dedup: raw.dedup,
            secrets: Secrets::default(),
            root,
            as_of,
        })
    }

    /// How a path is shown in messages and snapshots: relative to the config
    /// folder when inside it.
    pub fn display_path(&self, path: &Path) -> String {
        let shown = path.strip_prefix(&self.root).unwrap_or(path);
        let shown = shown.strip_prefix(".").unwrap_or(shown);
        shown.to_string_lossy().into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_missing_keys() {
        let raw = RawConfig::parse("min_salary_sample = 5\n[delivery]\nconnections = 2\n").unwrap();
        assert_eq!(raw.min_salary_sample, 5);
        assert_eq!(raw.delivery.connections, 2);
        assert_eq!(raw.delivery.transport, TransportKind::File);
        assert_eq!(raw.postings, "data/postings.csv");
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = RawConfig::parse("postings = 'a.csv'\nmin_salary_samples = 3\n").unwrap_err();
        assert!(format!("{err:#}").contains("min_salary_samples"), "{err:#}");
        let err = RawConfig::parse("[delivery]\nconection = 3\n").unwrap_err();
        assert!(format!("{err:#}").contains("conection"), "{err:#}");
        let err = RawConfig::parse("[delivery]\ntransport = \"smpt\"\n").unwrap_err();
        assert!(format!("{err:#}").contains("smpt"), "{err:#}");
    }

    #[test]
    fn addresses_are_parsed_once_and_named_when_bad() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let mut raw = RawConfig::default();
        raw.newsletter.from = "Trends <trends@example..com>".into();
        let err = Config::resolve(raw, PathBuf::new(), day).unwrap_err();
        assert!(format!("{err:#}").contains("newsletter.from"), "{err:#}");
        let cfg = Config::resolve(RawConfig::default(), PathBuf::new(), day).unwrap();
        assert_eq!(cfg.senders.from.email.to_string(), "trends@example.com");
    }

    #[test]
    fn relative_paths_resolve_against_the_config_folder() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let cfg = Config::resolve(RawConfig::default(), PathBuf::from("/srv/st"), day).unwrap();
        assert_eq!(cfg.postings, PathBuf::from("/srv/st/data/postings.csv"));
        assert_eq!(cfg.display_path(&cfg.postings), "data/postings.csv");
    }
}
