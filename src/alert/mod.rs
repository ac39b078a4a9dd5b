//! Alert delivery: the notifier trait, the webhook/email notifiers, and the outbox
//! worker that drains the store's queue with per-notifier retries.

pub mod email;
pub mod file;
pub mod outbox;
pub mod webhook;

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, anyhow};
use async_trait::async_trait;
use serde::Serialize;

use crate::config::{NotifierConfig, NotifierKind, Secret};
use crate::mention::Mention;

pub use email::EmailNotifier;
pub use webhook::WebhookNotifier;

/// One queued delivery of one event about one mention to one notifier.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Stable across retries and restarts; receivers dedupe on it.
    pub delivery_id: String,
    /// Event type, e.g. "review.negative".
    pub event: String,
    pub mention: Mention,
}

/// Outcome of a failed attempt: retry later, or give up now.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("{reason}")]
    Retry {
        reason: String,
        retry_after: Option<Duration>,
    },
    #[error("{reason}")]
    Fatal { reason: String },
}

#[async_trait]
pub trait Notifier: Send + Sync {
    fn id(&self) -> &str;
    /// Deliver one alert. `Ok` only when the receiver accepted it.
    async fn deliver(&self, alert: &Alert) -> Result<(), DeliveryError>;
}

/// The `mention` object of the webhook contract.
#[derive(Debug, Serialize)]
pub struct MentionPayload<'a> {
    pub id: &'a str,
    pub source: &'a str,
    pub platform: &'a str,
    pub url: Option<&'a str>,
    pub author: Option<&'a str>,
    pub title: Option<&'a str>,
    pub text: &'a str,
    pub rating: Option<f64>,
    pub rating_max: Option<f64>,
    pub published_at: Option<String>,
    pub lang: Option<&'a str>,
    pub negative: bool,
    pub score: f64,
    pub reasons: &'a [String],
    /// `normal`, `high` or `critical` (set by operator rules).
    pub severity: crate::classify::Severity,
    /// Ids of the operator rules that matched.
    pub rules: &'a [String],
    /// The business's public reply, when the platform shows one (null otherwise).
    pub reply: Option<ReplyPayload<'a>>,
}

#[derive(Debug, Serialize)]
pub struct ReplyPayload<'a> {
    pub text: &'a str,
    pub at: Option<String>,
}

/// The webhook body: `{"event", "delivery_id", "mention": {...}}`.
#[derive(Debug, Serialize)]
pub struct Payload<'a> {
    pub event: &'a str,
    pub delivery_id: &'a str,
    pub mention: MentionPayload<'a>,
}

impl<'a> Payload<'a> {
    pub fn new(alert: &'a Alert) -> Self {
        let m = &alert.mention;
        Payload {
            event: &alert.event,
            delivery_id: &alert.delivery_id,
            mention: MentionPayload {
                id: &m.id,
                source: &m.source,
                platform: &m.platform,
                url: m.url.as_deref(),
                author: m.author.as_deref(),
                title: m.title.as_deref(),
                text: &m.text,
                rating: m.rating,
                rating_max: m.rating_max,
                published_at: m
                    .published_at
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                lang: m.lang.as_deref(),
                negative: m.negative,
                score: m.score,
                reasons: &m.reasons,
                severity: m.severity,
                rules: &m.rules,
                reply: m.reply.as_ref().map(|r| ReplyPayload {
                    text: &r.text,
                    at: r
                        .at
                        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                }),
            },
        }
    }
}

/// Build the notifier `notifiers.<id>` describes, loading its secret from the
/// configured `*_file` or `*_env` key. Errors name the notifier id and the key.
pub fn build(
    id: &str,
    cfg: &NotifierConfig,
    user_agent: &str,
) -> anyhow::Result<Box<dyn Notifier>> {
    let key = |k: &str| format!("notifiers.{id}.{k}");
    match cfg.kind {
        NotifierKind::Email => {
            let password = load_secret(
                id,
                "password",
                cfg.password_file.as_deref(),
                cfg.password_env.as_deref(),
            )?;
            let smtp = cfg
                .smtp
                .as_ref()
                .ok_or_else(|| anyhow!("{}: required for an email notifier", key("smtp")))?;
            let from = cfg
                .from
                .as_deref()
                .ok_or_else(|| anyhow!("{}: required for an email notifier", key("from")))?;
            Ok(Box::new(EmailNotifier::new(
                id,
                smtp,
                password,
                from,
                &cfg.to,
                cfg.timeout,
            )?))
        }
        NotifierKind::Webhook => {
            let secret = load_secret(
                id,
                "secret",
                cfg.secret_file.as_deref(),
                cfg.secret_env.as_deref(),
            )?;
            let url = cfg
                .url
                .clone()
                .ok_or_else(|| anyhow!("{}: required for a webhook notifier", key("url")))?;
            Ok(Box::new(WebhookNotifier::new(
                id,
                url,
                secret,
                cfg.timeout,
                user_agent,
            )?))
        }
        NotifierKind::File => {
            let path = cfg
                .path
                .clone()
                .ok_or_else(|| anyhow!("{}: required for a file notifier", key("path")))?;
            Ok(Box::new(file::FileNotifier::new(id, path)))
        }
    }
}

/// `Secret::load` for the `<what>_file` / `<what>_env` pair of one notifier.
fn load_secret(
    id: &str,
    what: &str,
    file: Option<&Path>,
    env: Option<&str>,
) -> anyhow::Result<Option<Secret>> {
    let key = if file.is_some() {
        format!("{what}_file")
    } else {
        format!("{what}_env")
    };
    Secret::load(file, env)
        .map_err(|e| anyhow!(e))
        .with_context(|| format!("notifiers.{id}.{key}: cannot load the {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notifier_config(toml_src: &str) -> NotifierConfig {
        toml::from_str(toml_src).unwrap()
    }

    #[test]
    fn builds_webhook_with_secret_from_file() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("hook.secret");
        std::fs::write(&secret, "s3cret\n").unwrap();
        let cfg = notifier_config(&format!(
            "type = \"webhook\"\nurl = \"https://hooks.example.com/rr\"\nsecret_file = {:?}\n",
            secret.display().to_string()
        ));
        let n = build("hook", &cfg, "reviewradar-test/1").unwrap();
        assert_eq!(n.id(), "hook");
    }

    #[test]
    fn builds_email_notifier() {
        let cfg = notifier_config(
            "type = \"email\"\nsmtp = \"smtp://127.0.0.1:2525\"\nfrom = \"rr@example.com\"\nto = [\"ops@example.com\"]\n",
        );
        assert_eq!(build("mail", &cfg, "ua").unwrap().id(), "mail");
    }

    #[test]
    fn secret_errors_name_notifier_and_key() {
        let cfg = notifier_config(
            "type = \"webhook\"\nurl = \"https://hooks.example.com/rr\"\nsecret_env = \"REVIEWRADAR_TEST_UNSET_SECRET_7F3A\"\n",
        );
        let err = format!("{:#}", build("hook", &cfg, "ua").err().unwrap());
        assert!(
            err.starts_with("notifiers.hook.secret_env: cannot load the secret: ")
                && err.contains("REVIEWRADAR_TEST_UNSET_SECRET_7F3A is not set"),
            "{err}"
        );

        let cfg = notifier_config(
            "type = \"email\"\nsmtp = \"smtps://me@mail.example.com\"\nfrom = \"rr@example.com\"\nto = [\"ops@example.com\"]\npassword_file = \"/nonexistent/reviewradar/pw\"\n",
        );
        let err = format!("{:#}", build("mail", &cfg, "ua").err().unwrap());
        assert!(
            err.starts_with(
                "notifiers.mail.password_file: cannot load the password: cannot read /nonexistent"
            ),
            "{err}"
        );
    }

    #[test]
    fn missing_required_keys_are_named() {
        let cfg = notifier_config("type = \"webhook\"\n");
        let err = format!("{:#}", build("hook", &cfg, "ua").err().unwrap());
        assert_eq!(err, "notifiers.hook.url: required for a webhook notifier");
    }
}
