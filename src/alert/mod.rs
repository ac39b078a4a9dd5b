//! Alert delivery: the notifier trait, the webhook/email notifiers, and the outbox
//! worker that drains the store's queue with per-notifier retries.
//!
//! What a message says lives beside the transports: [`message`] (headline, subject
//! and next step of each event type), [`i18n`] (the languages), [`templates`] (the
//! email templates and their overrides), [`chat`] (Slack, Teams, Discord and
//! Mattermost bodies) and [`digest`] (schedules and the digest message).

pub mod chat;
pub mod digest;
pub mod digest_due;
pub mod email;
pub mod file;
pub mod i18n;
pub mod message;
pub mod outbox;
pub mod templates;
pub mod webhook;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::case::{Case, CaseState};
use crate::config::{NotifierConfig, NotifierKind, Secret};
use crate::mention::Mention;

pub use crate::store::EventDetail;
pub use chat::WebhookFormat;
pub use digest::{CaseItem, Digest, Figure, Schedule};
pub use email::EmailNotifier;
pub use i18n::Language;
pub use templates::{TemplateError, Templates};
pub use webhook::WebhookNotifier;

/// One queued delivery of one event about one mention to one notifier.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Stable across retries and restarts; receivers dedupe on it.
    pub delivery_id: String,
    /// Event type: one of the `EVENT_*` names in [`crate::store`].
    pub event: String,
    pub mention: Mention,
    /// The case the event is about, as it stands at delivery time (None for a
    /// mention that has no case).
    pub case: Option<Case>,
    /// Event-specific facts (old and new rating, reminder step, ...).
    pub detail: EventDetail,
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
    /// Deliver one digest. `Ok` only when the receiver accepted it.
    async fn deliver_digest(&self, digest: &Digest) -> Result<(), DeliveryError> {
        let _ = digest;
        Err(DeliveryError::Fatal {
            reason: format!("notifier {}: this notifier cannot send digests", self.id()),
        })
    }
}

/// Timestamps in the JSON contract: RFC 3339, seconds, `Z`.
pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
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

impl<'a> MentionPayload<'a> {
    pub fn new(m: &'a Mention) -> Self {
        MentionPayload {
            id: &m.id,
            source: &m.source,
            platform: &m.platform,
            url: m.url.as_deref(),
            author: m.author.as_deref(),
            title: m.title.as_deref(),
            text: &m.text,
            rating: m.rating,
            rating_max: m.rating_max,
            published_at: m.published_at.map(rfc3339),
            lang: m.lang.as_deref(),
            negative: m.negative,
            score: m.score,
            reasons: &m.reasons,
            severity: m.severity,
            rules: &m.rules,
            reply: m.reply.as_ref().map(|r| ReplyPayload {
                text: &r.text,
                at: r.at.map(rfc3339),
            }),
        }
    }
}

/// The `case` object of the webhook contract (null when the mention has no case).
#[derive(Debug, Serialize)]
pub struct CasePayload<'a> {
    /// Same as the mention id.
    pub id: &'a str,
    pub state: CaseState,
    pub opened_at: String,
    /// 1, plus one for each time the platform reopened the case.
    pub round: u32,
    /// First time each milestone was reached (null until then).
    pub acknowledged_at: Option<String>,
    pub contacted_at: Option<String>,
    pub replied_at: Option<String>,
    pub resolved_at: Option<String>,
    /// Set once the review was reported removed from its source.
    pub removed_at: Option<String>,
    pub history: Vec<TransitionPayload<'a>>,
}

/// One step of a case's history: `from` is null for the opening step.
#[derive(Debug, Serialize)]
pub struct TransitionPayload<'a> {
    pub at: String,
    pub from: Option<CaseState>,
    pub to: CaseState,
    pub actor: &'a str,
    pub note: Option<&'a str>,
    pub event: Option<&'a str>,
}

impl<'a> CasePayload<'a> {
    pub fn new(c: &'a Case) -> Self {
        CasePayload {
            id: &c.id,
            state: c.state,
            opened_at: rfc3339(c.opened_at),
            round: c.round,
            acknowledged_at: c.acknowledged_at.map(rfc3339),
            contacted_at: c.contacted_at.map(rfc3339),
            replied_at: c.replied_at.map(rfc3339),
            resolved_at: c.resolved_at.map(rfc3339),
            removed_at: c.removed_at.map(rfc3339),
            history: c
                .history
                .iter()
                .map(|h| TransitionPayload {
                    at: rfc3339(h.at),
                    from: h.from,
                    to: h.to,
                    actor: &h.actor,
                    note: h.note.as_deref(),
                    event: h.event.as_deref(),
                })
                .collect(),
        }
    }
}

/// The webhook body: `{"event", "delivery_id", "mention": {...}, "case": {...} |
/// null, "details": {...}}`. The first three keys are the original contract; `case`
/// and `details` were added after them.
#[derive(Debug, Serialize)]
pub struct Payload<'a> {
    pub event: &'a str,
    pub delivery_id: &'a str,
    pub mention: MentionPayload<'a>,
    pub case: Option<CasePayload<'a>>,
    /// The event's facts ([`EventDetail`]); `{}` when it has none.
    pub details: &'a EventDetail,
}

impl<'a> Payload<'a> {
    pub fn new(alert: &'a Alert) -> Self {
        Payload {
            event: &alert.event,
            delivery_id: &alert.delivery_id,
            mention: MentionPayload::new(&alert.mention),
            case: alert.case.as_ref().map(CasePayload::new),
            details: &alert.detail,
        }
    }
}

/// Build the notifier `notifiers.<id>` describes, loading its secret from the
/// configured `*_file` or `*_env` key and its templates from `templates_dir`.
/// Errors name the notifier id and the key. The same notifier sends alerts
/// ([`Notifier::deliver`]) and, for `digest` notifiers, digests
/// ([`Notifier::deliver_digest`]).
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
            let templates = match &cfg.templates_dir {
                Some(dir) => Arc::new(
                    Templates::load(dir).with_context(|| key("templates_dir").to_string())?,
                ),
                None => Templates::builtin(),
            };
            Ok(Box::new(
                EmailNotifier::new(id, smtp, password, from, &cfg.to, cfg.timeout)?
                    .with_language(cfg.language.unwrap_or_default())
                    .with_templates(templates),
            ))
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
            Ok(Box::new(
                WebhookNotifier::new(id, url, secret, cfg.timeout, user_agent)?
                    .with_format(cfg.format.unwrap_or_default())
                    .with_language(cfg.language.unwrap_or_default()),
            ))
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
