//! Sources turn one fetched document into raw mentions. They never write the store and
//! never dedup: the pipeline in [`crate::daemon`] does that.

pub mod feed;
pub mod html;
pub mod json;
pub mod jsonld;
pub mod localize;

use async_trait::async_trait;

use crate::config::{SourceConfig, SourceKind};
use crate::fetch::{FetchError, FetchOutcome, Fetcher, Validators};
use crate::mention::RawMention;

/// Everything a source may use while polling.
pub struct PollContext<'a> {
    pub fetcher: &'a Fetcher,
    /// Validators from the previous successful fetch, for a conditional GET.
    pub validators: Option<Validators>,
}

/// What one poll produced.
#[derive(Debug)]
pub enum PollOutcome {
    /// The server said 304: nothing changed since the last poll.
    NotModified,
    Fetched {
        mentions: Vec<RawMention>,
        /// Validators to send next time.
        validators: Validators,
    },
}

/// Why a poll failed. The kind decides how it is reported and whether backoff applies.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("cannot parse {url}: {reason}")]
    Parse { url: String, reason: String },
    /// A login, consent or error page came back instead of content.
    #[error("{url} returned a page that is not the expected content ({reason})")]
    Blocked { url: String, reason: String },
}

impl SourceError {
    /// Retry-After asked for by the server, if any.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            SourceError::Fetch(e) => e.retry_after(),
            _ => None,
        }
    }

    /// Short kind label for logs and source health.
    pub fn kind(&self) -> &'static str {
        match self {
            SourceError::Fetch(e) => e.kind(),
            SourceError::Parse { .. } => "parse",
            SourceError::Blocked { .. } => "blocked",
        }
    }
}

#[async_trait]
pub trait Source: Send + Sync {
    fn id(&self) -> &str;
    /// Platform label stored on mentions (e.g. "feed", "jsonld", "google_alerts").
    fn platform(&self) -> &str;
    /// Fetch and parse once. No store writes, no dedup.
    async fn poll(&self, cx: &PollContext<'_>) -> Result<PollOutcome, SourceError>;
}

/// Build the runtime source for a validated config entry.
pub fn build(id: &str, cfg: &SourceConfig) -> Box<dyn Source> {
    match cfg.kind {
        SourceKind::Feed => Box::new(feed::FeedSource::new(id, cfg)),
        SourceKind::Jsonld => Box::new(jsonld::JsonLdSource::new(id, cfg)),
    }
}

/// Fetch `url` conditionally and hand the body to `parse`.
pub(crate) async fn fetch_and_parse(
    cx: &PollContext<'_>,
    url: &url::Url,
    parse: impl FnOnce(&[u8], Option<&str>, &url::Url) -> Result<Vec<RawMention>, SourceError>,
) -> Result<PollOutcome, SourceError> {
    match cx.fetcher.fetch(url, cx.validators.as_ref()).await? {
        FetchOutcome::NotModified => Ok(PollOutcome::NotModified),
        FetchOutcome::Body(body) => {
            let mentions = parse(&body.bytes, body.content_type.as_deref(), &body.final_url)?;
            Ok(PollOutcome::Fetched {
                mentions,
                validators: body.validators,
            })
        }
    }
}
