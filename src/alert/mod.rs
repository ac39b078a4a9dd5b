//! Alert delivery: the notifier trait, the webhook/email notifiers, and the outbox
//! worker that drains the store's queue with per-notifier retries.

pub mod email;
pub mod outbox;
pub mod webhook;

use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;

use crate::mention::Mention;

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
    Retry { reason: String, retry_after: Option<Duration> },
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
                published_at: m.published_at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                lang: m.lang.as_deref(),
                negative: m.negative,
                score: m.score,
                reasons: &m.reasons,
            },
        }
    }
}
