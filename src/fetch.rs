//! The one HTTP client: connect and total timeouts, a body cap enforced while
//! streaming (after decompression), conditional GET, a global concurrency bound,
//! per-host concurrency and minimum gap, and `file://` for offline demos and tests.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::config::HttpConfig;

/// Conditional-GET validators remembered between polls.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A successful (2xx) response body.
#[derive(Debug)]
pub struct Body {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
    /// URL after redirects.
    pub final_url: Url,
    pub validators: Validators,
}

#[derive(Debug)]
pub enum FetchOutcome {
    NotModified,
    Body(Body),
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: timed out")]
    Timeout { url: String },
    #[error("{url}: network error: {reason}")]
    Network { url: String, reason: String },
    #[error("{url}: HTTP {status}")]
    Status { url: String, status: u16, retry_after: Option<Duration> },
    #[error("{url}: body larger than {limit} bytes")]
    TooLarge { url: String, limit: u64 },
    #[error("{url}: {reason}")]
    Other { url: String, reason: String },
}

impl FetchError {
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
    pub fn kind(&self) -> &'static str {
        match self {
            FetchError::Timeout { .. } => "timeout",
            FetchError::Network { .. } => "network",
            FetchError::Status { .. } => "http_status",
            FetchError::TooLarge { .. } => "too_large",
            FetchError::Other { .. } => "other",
        }
    }
}

pub struct Fetcher {
    // implementation detail
}

impl Fetcher {
    pub fn new(_cfg: &HttpConfig, _user_agent: &str) -> Result<Self, FetchError> {
        todo!("fetch helper")
    }

    /// GET `url`, sending `validators` as If-None-Match / If-Modified-Since.
    pub async fn fetch(
        &self,
        _url: &Url,
        _validators: Option<&Validators>,
    ) -> Result<FetchOutcome, FetchError> {
        todo!("fetch helper")
    }
}
