//! The one HTTP client: connect and total timeouts, a body cap enforced while
//! streaming (after decompression), conditional GET, a global concurrency bound,
//! per-host concurrency and minimum gap, and `file://` for offline demos and tests.
//!
//! Politeness is applied in this order for every http(s) request:
//!
//! 1. a per-host permit (`per_host_concurrency`, or `[http.hosts."<host>"]`),
//! 2. the per-host minimum gap between request *starts*, waited out while holding
//!    no global permit,
//! 3. a global permit (`max_concurrency`).
//!
//! A slow or rate-limited host therefore never ties up global permits while it waits.
//! Limits apply to the host of the requested URL; redirects (at most five) are
//! followed inside the same request and do not take further permits.
//!
//! A [`Request`] may carry extra headers and a body (for API sources and, later,
//! token requests), and secrets: `{name}` placeholders in its URL and header values
//! are filled in only when the request is sent. Logs and errors show the URL with
//! the placeholder, never the secret. Redirects are followed here rather than by
//! reqwest, because reqwest drops only `Authorization`, `Cookie` and
//! `Proxy-Authorization` on a redirect to another host and keeps every other header
//! (an `X-Api-Key` would travel along): on a redirect to another origin (scheme,
//! host or port) every extra header of the request is dropped, and a body is never
//! resent to another origin.
//!
//! Memory is bounded by `max_body_bytes` whatever the server sends: a declared
//! `Content-Length` above the cap is refused before reading, and the decompressed
//! body is counted chunk by chunk, so a gzip bomb or an endless chunked body is cut
//! off at the cap. The whole request, body included, is bounded by `timeout`.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::{
    CONTENT_TYPE, ETAG, HeaderMap, HeaderName, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH,
    LAST_MODIFIED, LOCATION, RETRY_AFTER,
};
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncReadExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tracing::debug;
use url::Url;

use crate::config::{HttpConfig, Secret};

/// Redirects followed within one request.
pub const MAX_REDIRECTS: usize = 5;

/// Longest `Retry-After` we honour; a server asking for more gets this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Longest header value we keep as a validator or content type. Longer values are
/// dropped: they are useless for conditional GET and would bloat the store.
const MAX_HEADER_KEEP: usize = 1024;

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

/// One request: a GET (conditional when validators are given) or a POST with a body,
/// with extra headers whose values, like the URL, may hold `{name}` placeholders for
/// secrets. The placeholders are filled in when the request is sent; everything
/// that is shown (logs, errors, [`Body::final_url`]) keeps them.
#[derive(Clone)]
pub struct Request {
    method: Method,
    url: Url,
    headers: Vec<(HeaderName, String)>,
    body: Option<(HeaderValue, Vec<u8>)>,
    validators: Option<Validators>,
    secrets: Vec<(String, Secret)>,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &shown_url(&self.url))
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("body_bytes", &self.body.as_ref().map(|(_, b)| b.len()))
            .field("conditional", &self.validators.is_some())
            .finish_non_exhaustive()
    }
}

impl Request {
    /// A plain GET.
    pub fn get(url: Url) -> Self {
        Self {
            method: Method::GET,
            url,
            headers: Vec::new(),
            body: None,
            validators: None,
            secrets: Vec::new(),
        }
    }

    /// A POST of `body` (e.g. an OAuth token request) with its content type.
    pub fn post(url: Url, content_type: HeaderValue, body: Vec<u8>) -> Self {
        Self {
            method: Method::POST,
            body: Some((content_type, body)),
            ..Self::get(url)
        }
    }

    /// A POST without a body (an XRPC procedure without input, such as
    /// `com.atproto.server.refreshSession`).
    pub fn post_empty(url: Url) -> Self {
        Self {
            method: Method::POST,
            ..Self::get(url)
        }
    }

    /// Send `validators` as If-None-Match / If-Modified-Since (GET only).
    pub fn conditional(mut self, validators: Option<Validators>) -> Self {
        self.validators = validators;
        self
    }

    /// An extra header; its value may hold placeholders. A header carrying a secret
    /// is marked sensitive.
    pub fn header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// `placeholder` (e.g. `{secret}`) in the URL and header values stands for
    /// `secret`. In a URL it is percent-encoded; in a header it is taken as is.
    pub fn secret(mut self, placeholder: impl Into<String>, secret: Secret) -> Self {
        self.secrets.push((placeholder.into(), secret));
        self
    }

    /// The URL as written (placeholders unfilled).
    pub fn url(&self) -> &Url {
        &self.url
    }
}

/// Secrets in a URL: everything but unreserved characters is percent-encoded.
const URL_SECRET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `{name}` as written and as the URL parser encodes it in a path (`%7Bname%7D`).
fn placeholder_forms(placeholder: &str) -> [String; 3] {
    let upper = placeholder.replace('{', "%7B").replace('}', "%7D");
    let lower = placeholder.replace('{', "%7b").replace('}', "%7d");
    [placeholder.to_string(), upper, lower]
}

/// The URL with its placeholders filled in (the real URL to send).
fn fill_url(url: &Url, secrets: &[(String, Secret)]) -> Option<Url> {
    if secrets.is_empty() {
        return Some(url.clone());
    }
    let mut s = url.as_str().to_string();
    for (placeholder, secret) in secrets {
        let encoded = utf8_percent_encode(secret.expose(), URL_SECRET).to_string();
        for form in placeholder_forms(placeholder) {
            s = s.replace(&form, &encoded);
        }
    }
    Url::parse(&s).ok()
}

/// A real URL (after redirects, or a link a server sent back) with every secret
/// replaced by its placeholder again, so it can be shown and stored. Replacing is
/// textual: a (pointlessly) short secret may also replace unrelated text, which can
/// only hide, never reveal.
pub fn templatize(url: &Url, secrets: &[(String, Secret)]) -> Url {
    if secrets.is_empty() {
        return url.clone();
    }
    let mut s = url.as_str().to_string();
    for (placeholder, secret) in secrets {
        if secret.expose().is_empty() {
            continue;
        }
        let encoded = utf8_percent_encode(secret.expose(), URL_SECRET).to_string();
        s = s.replace(&encoded, placeholder);
        s = s.replace(secret.expose(), placeholder);
    }
    Url::parse(&s).unwrap_or_else(|_| url.clone())
}

/// A header value with its placeholders filled in, and whether it now holds a secret.
fn fill_header(value: &str, secrets: &[(String, Secret)]) -> (String, bool) {
    let mut out = value.to_string();
    let mut secret_inside = false;
    for (placeholder, secret) in secrets {
        if out.contains(placeholder.as_str()) {
            out = out.replace(placeholder.as_str(), secret.expose());
            secret_inside = true;
        }
    }
    (out, secret_inside)
}

/// Same origin: scheme, host and port.
pub(crate) fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
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
    Status {
        url: String,
        status: u16,
        retry_after: Option<Duration>,
    },
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

    /// Whether trying again later may succeed: timeouts, network errors, 408, 425,
    /// 429 and 5xx. A too-large body, another 4xx or a local problem will not fix
    /// itself (the caller still polls again on its schedule).
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Timeout { .. } | FetchError::Network { .. } => true,
            FetchError::Status { status, .. } => {
                matches!(status, 408 | 425 | 429) || (500..=599).contains(status)
            }
            FetchError::TooLarge { .. } | FetchError::Other { .. } => false,
        }
    }

    /// The URL that failed, as shown in messages (without any password).
    pub fn url(&self) -> &str {
        match self {
            FetchError::Timeout { url }
            | FetchError::Network { url, .. }
            | FetchError::Status { url, .. }
            | FetchError::TooLarge { url, .. }
            | FetchError::Other { url, .. } => url,
        }
    }
}

/// Parse a `Retry-After` value: delay-seconds or an HTTP date, relative to `now`.
/// A date in the past means "now" (zero). The result is capped at
/// [`MAX_RETRY_AFTER`]. Anything unparseable gives `None`.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    let d = if v.bytes().all(|b| b.is_ascii_digit()) {
        // All digits: seconds. Overflowing u64 is "very long", i.e. the cap.
        Duration::from_secs(v.parse::<u64>().unwrap_or(u64::MAX))
    } else {
        let at = httpdate::parse_http_date(v).ok()?;
        at.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(d.min(MAX_RETRY_AFTER))
}

/// Per-host politeness state, keyed by `host:port`.
struct HostSlot {
    permits: Arc<Semaphore>,
    min_gap: Duration,
    /// Earliest instant the next request to this host may start.
    next_start: Mutex<Option<Instant>>,
}

impl HostSlot {
    /// When the gap still runs, the instant it ends.
    fn gap_until(&self) -> Option<Instant> {
        let next = *self
            .next_start
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        next.filter(|t| *t > Instant::now())
    }

    /// Claim "now" as a request start if the gap has passed.
    fn try_claim_start(&self) -> bool {
        let mut next = self
            .next_start
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        match *next {
            Some(t) if t > now => false,
            _ => {
                *next = Some(now + self.min_gap);
                true
            }
        }
    }
}

/// Permits held for the duration of one request.
struct Admission {
    _host: OwnedSemaphorePermit,
    _global: OwnedSemaphorePermit,
}

/// What one request did, for the debug line (filled in as the request goes, so it
/// survives the request future being dropped by the timeout).
#[derive(Default)]
struct RequestLog {
    status: Option<u16>,
    bytes: u64,
}

/// The shared HTTP client. Cheap to share behind an `Arc`; all methods take `&self`.
pub struct Fetcher {
    client: reqwest::Client,
    http: HttpConfig,
    global: Arc<Semaphore>,
    hosts: Mutex<HashMap<String, Arc<HostSlot>>>,
}

impl fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fetcher")
            .field("timeout", &self.http.timeout)
            .field("max_body_bytes", &self.http.max_body_bytes)
            .field("max_concurrency", &self.http.max_concurrency)
            .finish_non_exhaustive()
    }
}

impl Fetcher {
    pub fn new(cfg: &HttpConfig, user_agent: &str) -> Result<Self, FetchError> {
        Self::build(cfg, user_agent, reqwest::Client::builder())
    }

    fn build(
        cfg: &HttpConfig,
        user_agent: &str,
        builder: reqwest::ClientBuilder,
    ) -> Result<Self, FetchError> {
        let fail = |reason: String| FetchError::Other {
            url: "(http client)".to_string(),
            reason,
        };
        let ua = HeaderValue::from_str(user_agent)
            .map_err(|_| fail("user agent is not a valid header value".to_string()))?;
        let client = builder
            .user_agent(ua)
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.timeout)
            // Followed by `Fetcher::request`, which drops secrets on the way.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| fail(format!("cannot build HTTP client: {}", error_chain(&e))))?;
        Ok(Self {
            client,
            http: cfg.clone(),
            global: Arc::new(Semaphore::new(clamp_permits(cfg.max_concurrency))),
            hosts: Mutex::new(HashMap::new()),
        })
    }

    /// GET `url`, sending `validators` as If-None-Match / If-Modified-Since.
    ///
    /// `http(s)://` goes over the network under the politeness limits; `file://`
    /// reads a local file under the same body cap, with a validator derived from the
    /// file's mtime and size so an unchanged file yields [`FetchOutcome::NotModified`].
    /// A 304 counts as "not modified" only when validators were sent; an unsolicited
    /// 304 is reported as [`FetchError::Status`].
    pub async fn fetch(
        &self,
        url: &Url,
        validators: Option<&Validators>,
    ) -> Result<FetchOutcome, FetchError> {
        self.send(&Request::get(url.clone()).conditional(validators.cloned()))
            .await
    }

    /// Send `req` under the same limits as [`Fetcher::fetch`]. A `file://` URL is read
    /// as by `fetch` (extra headers are ignored; a body is an error).
    pub async fn send(&self, req: &Request) -> Result<FetchOutcome, FetchError> {
        let url = &req.url;
        match url.scheme() {
            "http" | "https" => self.fetch_http(req).await,
            "file" if req.body.is_none() => self.fetch_file(url, req.validators.as_ref()).await,
            "file" => Err(FetchError::Other {
                url: shown_url(url),
                reason: "cannot send a request body to a file URL".to_string(),
            }),
            other => Err(FetchError::Other {
                url: shown_url(url),
                reason: format!("scheme {other:?} is not supported"),
            }),
        }
    }

    fn host_slot(&self, url: &Url) -> Option<Arc<HostSlot>> {
        let host = url.host_str()?;
        let key = match url.port_or_known_default() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        };
        let mut hosts = self.hosts.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = hosts.entry(key.clone()).or_insert_with(|| {
            // `[http.hosts."host:port"]` wins over `[http.hosts."host"]`.
            let lookup = if self.http.hosts.contains_key(&key) {
                key.as_str()
            } else {
                host
            };
            let (concurrency, min_gap) = self.http.limits_for(lookup);
            Arc::new(HostSlot {
                permits: Arc::new(Semaphore::new(clamp_permits(concurrency))),
                min_gap,
                next_start: Mutex::new(None),
            })
        });
        Some(Arc::clone(slot))
    }

    /// Wait for a host permit, the host's gap, then a global permit.
    async fn admit(&self, slot: &HostSlot, shown: &str) -> Result<Admission, FetchError> {
        let closed = || FetchError::Other {
            url: shown.to_string(),
            reason: "fetcher is shutting down".to_string(),
        };
        let host = Arc::clone(&slot.permits)
            .acquire_owned()
            .await
            .map_err(|_| closed())?;
        loop {
            if let Some(until) = slot.gap_until() {
                tokio::time::sleep_until(until).await;
            }
            let global = Arc::clone(&self.global)
                .acquire_owned()
                .await
                .map_err(|_| closed())?;
            // Another request to this host may have started while we waited for the
            // global permit; then give the permit back and wait out the new gap.
            if slot.min_gap.is_zero() || slot.try_claim_start() {
                return Ok(Admission {
                    _host: host,
                    _global: global,
                });
            }
        }
    }

    async fn fetch_http(&self, req: &Request) -> Result<FetchOutcome, FetchError> {
        let url = &req.url;
        let shown = shown_url(url);
        let Some(slot) = self.host_slot(url) else {
            return Err(FetchError::Other {
                url: shown,
                reason: "URL has no host".to_string(),
            });
        };
        let queued = Instant::now();
        let _admission = self.admit(&slot, &shown).await?;
        let waited_ms = u64::try_from(queued.elapsed().as_millis()).unwrap_or(u64::MAX);

        let started = Instant::now();
        let mut log = RequestLog::default();
        let result =
            match tokio::time::timeout(self.http.timeout, self.request(req, &mut log)).await {
                Ok(r) => r,
                Err(_) => Err(FetchError::Timeout { url: shown.clone() }),
            };
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let outcome = match &result {
            Ok(FetchOutcome::NotModified) => "not_modified",
            Ok(FetchOutcome::Body(_)) => "ok",
            Err(e) => e.kind(),
        };
        debug!(
            url = %shown,
            status = log.status,
            bytes = log.bytes,
            waited_ms,
            elapsed_ms,
            outcome,
            "HTTP request finished."
        );
        result
    }

    /// Send `req`, following up to [`MAX_REDIRECTS`] redirects.
    async fn request(
        &self,
        req: &Request,
        log: &mut RequestLog,
    ) -> Result<FetchOutcome, FetchError> {
        let shown = shown_url(&req.url);
        let other = |reason: &str| FetchError::Other {
            url: shown.clone(),
            reason: reason.to_string(),
        };
        let mut url = fill_url(&req.url, &req.secrets)
            .ok_or_else(|| other("the URL is not valid once its secret is filled in"))?;
        let mut method = req.method.clone();
        let mut body = req.body.clone();
        // Extra headers go to the request's origin only.
        let mut extra_headers = true;
        let mut redirects = 0;
        let mut conditional = false;
        let resp = loop {
            let mut headers = HeaderMap::new();
            if extra_headers {
                for (name, value) in &req.headers {
                    let (value, secret_inside) = fill_header(value, &req.secrets);
                    let mut value =
                        HeaderValue::from_str(&value).map_err(|_| FetchError::Other {
                            url: shown.clone(),
                            reason: format!("header {name}: not a valid header value"),
                        })?;
                    value.set_sensitive(secret_inside);
                    headers.insert(name.clone(), value);
                }
            }
            if let (Some(v), true) = (&req.validators, method == Method::GET) {
                conditional = put_header(&mut headers, IF_NONE_MATCH, v.etag.as_deref());
                conditional |=
                    put_header(&mut headers, IF_MODIFIED_SINCE, v.last_modified.as_deref());
            }
            let mut builder = self
                .client
                .request(method.clone(), url.clone())
                .headers(headers);
            if let Some((content_type, bytes)) = &body {
                builder = builder
                    .header(CONTENT_TYPE, content_type.clone())
                    .body(bytes.clone());
            }
            let resp = builder
                .send()
                .await
                .map_err(|e| map_reqwest_error(e, &shown))?;
            let status = resp.status();
            let location = resp.headers().get(LOCATION);
            let redirect = matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308);
            let (true, Some(location)) = (redirect, location) else {
                break resp;
            };
            redirects += 1;
            if redirects > MAX_REDIRECTS {
                return Err(other(&format!("more than {MAX_REDIRECTS} redirects")));
            }
            let next = location
                .to_str()
                .ok()
                .and_then(|l| url.join(l.trim()).ok())
                .ok_or_else(|| other("redirect to an invalid URL"))?;
            if !matches!(next.scheme(), "http" | "https") {
                return Err(other("redirect to a URL that is not http or https"));
            }
            let cross_origin = !same_origin(&url, &next);
            if status == StatusCode::SEE_OTHER
                || (matches!(status.as_u16(), 301 | 302) && method == Method::POST)
            {
                method = Method::GET;
                body = None;
            } else if cross_origin && body.is_some() {
                return Err(other(
                    "refusing to resend the request body to another origin",
                ));
            }
            if cross_origin {
                extra_headers = false;
            }
            url = next;
        };
        // Shown and returned with placeholders, never with the secret.
        let shown_final = |u: &Url| {
            if redirects == 0 {
                req.url.clone()
            } else {
                templatize(u, &req.secrets)
            }
        };
        let status = resp.status();
        log.status = Some(status.as_u16());

        if status == StatusCode::NOT_MODIFIED && conditional {
            return Ok(FetchOutcome::NotModified);
        }
        if !status.is_success() {
            let retry_after = resp
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, SystemTime::now()));
            return Err(FetchError::Status {
                url: shown_url(&shown_final(resp.url())),
                status: status.as_u16(),
                retry_after,
            });
        }

        let limit = self.http.max_body_bytes;
        let too_large = || FetchError::TooLarge {
            url: shown.clone(),
            limit,
        };
        // Only known when the body is not being decompressed (reqwest drops the
        // header then), so this is the body's real length.
        let declared = resp.content_length();
        if declared.is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        let final_url = shown_final(resp.url());
        let headers = resp.headers();
        let content_type = header_string(headers, &CONTENT_TYPE);
        let validators = Validators {
            etag: header_string(headers, &ETAG),
            last_modified: header_string(headers, &LAST_MODIFIED),
        };

        let initial = declared.unwrap_or(0).min(limit).min(1 << 20);
        let mut bytes = Vec::with_capacity(usize::try_from(initial).unwrap_or(0));
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| map_reqwest_error(e, &shown))?;
            let len = u64::try_from(chunk.len()).unwrap_or(u64::MAX);
            if log.bytes.saturating_add(len) > limit {
                log.bytes = log.bytes.saturating_add(len);
                return Err(too_large());
            }
            log.bytes += len;
            bytes.extend_from_slice(&chunk);
        }
        Ok(FetchOutcome::Body(Body {
            bytes,
            content_type,
            final_url,
            validators,
        }))
    }

    async fn fetch_file(
        &self,
        url: &Url,
        validators: Option<&Validators>,
    ) -> Result<FetchOutcome, FetchError> {
        let shown = shown_url(url);
        let read = read_file(url, &shown, validators, self.http.max_body_bytes);
        let started = Instant::now();
        let result = match tokio::time::timeout(self.http.timeout, read).await {
            Ok(r) => r,
            Err(_) => Err(FetchError::Timeout { url: shown.clone() }),
        };
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let (outcome, bytes) = match &result {
            Ok(FetchOutcome::NotModified) => ("not_modified", 0),
            Ok(FetchOutcome::Body(b)) => ("ok", b.bytes.len()),
            Err(e) => (e.kind(), 0),
        };
        debug!(url = %shown, bytes, elapsed_ms, outcome, "File read finished.");
        result
    }
}

async fn read_file(
    url: &Url,
    shown: &str,
    validators: Option<&Validators>,
    limit: u64,
) -> Result<FetchOutcome, FetchError> {
    let other = |reason: String| FetchError::Other {
        url: shown.to_string(),
        reason,
    };
    let path = url
        .to_file_path()
        .map_err(|()| other("not a local file path".to_string()))?;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| other(format!("cannot open: {e}")))?;
    let meta = file
        .metadata()
        .await
        .map_err(|e| other(format!("cannot stat: {e}")))?;
    if !meta.is_file() {
        return Err(other("not a regular file".to_string()));
    }
    let stamp = file_stamp(&meta);
    if let (Some(stamp), Some(seen)) = (
        stamp.as_deref(),
        validators.and_then(|v| v.last_modified.as_deref()),
    ) {
        if stamp == seen {
            return Ok(FetchOutcome::NotModified);
        }
    }
    let too_large = || FetchError::TooLarge {
        url: shown.to_string(),
        limit,
    };
    if meta.len() > limit {
        return Err(too_large());
    }
    // The file may grow between stat and read: read at most limit + 1 bytes.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| other(format!("cannot read: {e}")))?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > limit {
        return Err(too_large());
    }
    Ok(FetchOutcome::Body(Body {
        bytes,
        content_type: content_type_for_path(&path).map(str::to_string),
        final_url: url.clone(),
        validators: Validators {
            etag: None,
            last_modified: stamp,
        },
    }))
}

/// A validator for a local file: changes whenever its mtime or size does.
fn file_stamp(meta: &std::fs::Metadata) -> Option<String> {
    let mtime = meta.modified().ok()?;
    let since = mtime.duration_since(UNIX_EPOCH).ok()?;
    Some(format!(
        "file mtime={}.{:09} size={}",
        since.as_secs(),
        since.subsec_nanos(),
        meta.len()
    ))
}

/// Content type guessed from a file's extension.
fn content_type_for_path(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "xml" => "application/xml",
        "atom" => "application/atom+xml",
        "rss" => "application/rss+xml",
        "json" => "application/json",
        "html" | "htm" => "text/html",
        _ => return None,
    })
}

/// Set `name` to `value` when it is present, non-empty and a valid header value.
fn put_header(headers: &mut HeaderMap, name: HeaderName, value: Option<&str>) -> bool {
    match value
        .filter(|v| !v.is_empty())
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        Some(v) => {
            headers.insert(name, v);
            true
        }
        None => false,
    }
}

/// A header as a string, when it is visible ASCII and not absurdly long.
fn header_string(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    let v = headers.get(name)?.to_str().ok()?.trim();
    (!v.is_empty() && v.len() <= MAX_HEADER_KEEP).then(|| v.to_string())
}

fn clamp_permits(n: usize) -> usize {
    n.clamp(1, Semaphore::MAX_PERMITS)
}

/// The URL as shown in logs and errors: any password replaced.
fn shown_url(url: &Url) -> String {
    if url.password().is_some() {
        let mut u = url.clone();
        // Cannot fail for a URL that already has a password.
        let _ = u.set_password(Some("***"));
        u.to_string()
    } else {
        url.to_string()
    }
}

fn map_reqwest_error(e: reqwest::Error, shown: &str) -> FetchError {
    let url = shown.to_string();
    if e.is_timeout() {
        return FetchError::Timeout { url };
    }
    let is_decode = e.is_decode();
    let is_redirect = e.is_redirect();
    let reason = error_chain(&e.without_url());
    if is_decode {
        FetchError::Other {
            url,
            reason: format!("cannot decode body: {reason}"),
        }
    } else if is_redirect {
        FetchError::Other { url, reason }
    } else {
        // Connect (DNS, refused, TLS), reset, closed mid-body: all network trouble.
        FetchError::Network { url, reason }
    }
}

/// An error and its sources, joined with ": ", skipping repeats.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let msg = s.to_string();
        if !out.contains(&msg) {
            out.push_str(": ");
            out.push_str(&msg);
        }
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::SocketAddr;
    use tokio::io::AsyncWriteExt;
    use tokio::net::{TcpListener, TcpStream};

    /// Requests a test server saw: when each arrived and its head (request line and
    /// headers, lower-cased).
    type Seen = Arc<Mutex<Vec<(Instant, String)>>>;

    fn cfg() -> HttpConfig {
        HttpConfig {
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(5),
            max_body_bytes: 64 * 1024,
            max_concurrency: 4,
            per_host_concurrency: 2,
            per_host_min_gap: Duration::ZERO,
            ..HttpConfig::default()
        }
    }

    fn fetcher(cfg: &HttpConfig) -> Fetcher {
        // No proxy from the environment: tests talk to loopback only.
        Fetcher::build(
            cfg,
            "reviewradar-test/0",
            reqwest::Client::builder().no_proxy(),
        )
        .expect("client builds")
    }

    /// Read a request head (bounded) from `stream`.
    async fn read_head(stream: &mut TcpStream) -> Option<String> {
        let mut buf = Vec::new();
        let mut byte = [0u8; 1024];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut byte).await.ok()?;
            if n == 0 || buf.len() > 64 * 1024 {
                return None;
            }
            buf.extend_from_slice(&byte[..n]);
        }
        Some(String::from_utf8_lossy(&buf).to_ascii_lowercase())
    }

    /// Start a server on 127.0.0.1:0; `handle` gets each request head and the
    /// stream, and writes whatever it likes. One request per connection.
    async fn serve<F, Fut>(handle: F) -> (SocketAddr, Seen)
    where
        F: Fn(String, TcpStream) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let seen: Seen = Arc::default();
        let seen2 = Arc::clone(&seen);
        let handle = Arc::new(handle);
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let seen = Arc::clone(&seen2);
                let handle = Arc::clone(&handle);
                tokio::spawn(async move {
                    let at = Instant::now();
                    if let Some(head) = read_head(&mut stream).await {
                        seen.lock().unwrap().push((at, head.clone()));
                        handle(head, stream).await;
                    }
                });
            }
        });
        (addr, seen)
    }

    /// A complete response with `Connection: close`.
    fn response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
        let mut out = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for (k, v) in headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str("\r\n");
        let mut out = out.into_bytes();
        out.extend_from_slice(body);
        out
    }

    async fn reply(mut stream: TcpStream, bytes: Vec<u8>) {
        let _ = stream.write_all(&bytes).await;
        let _ = stream.shutdown().await;
    }

    fn url(addr: SocketAddr, path: &str) -> Url {
        Url::parse(&format!("http://{addr}{path}")).unwrap()
    }

    fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
        head.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .map(str::trim)
    }

    #[tokio::test]
    async fn conditional_get_sends_validators_and_handles_304() {
        let (addr, seen) = serve(|head, stream| async move {
            let resp = if header(&head, "if-none-match") == Some("\"v1\"") {
                response("304 Not Modified", &[("ETag", "\"v1\"")], b"")
            } else {
                response(
                    "200 OK",
                    &[
                        ("Content-Type", "application/rss+xml"),
                        ("ETag", "\"v1\""),
                        ("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT"),
                    ],
                    b"<rss/>",
                )
            };
            reply(stream, resp).await;
        })
        .await;
        let f = fetcher(&cfg());
        let u = url(addr, "/feed");

        let FetchOutcome::Body(body) = f.fetch(&u, None).await.unwrap() else {
            panic!("expected a body");
        };
        assert_eq!(body.bytes, b"<rss/>");
        assert_eq!(body.content_type.as_deref(), Some("application/rss+xml"));
        assert_eq!(body.final_url, u);
        assert_eq!(body.validators.etag.as_deref(), Some("\"v1\""));
        assert_eq!(
            body.validators.last_modified.as_deref(),
            Some("Wed, 21 Oct 2015 07:28:00 GMT")
        );

        let again = f.fetch(&u, Some(&body.validators)).await.unwrap();
        assert!(matches!(again, FetchOutcome::NotModified), "{again:?}");

        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 2);
        let (first, second) = (&seen[0].1, &seen[1].1);
        assert_eq!(header(first, "if-none-match"), None);
        assert_eq!(header(first, "user-agent"), Some("reviewradar-test/0"));
        assert_eq!(header(second, "if-none-match"), Some("\"v1\""));
        assert_eq!(
            header(second, "if-modified-since"),
            Some("wed, 21 oct 2015 07:28:00 gmt")
        );
    }

    /// A server that answers 200 "ok" to every request, recording the heads.
    async fn ok_server() -> (SocketAddr, Seen) {
        serve(|_, s| reply(s, response("200 OK", &[], b"ok"))).await
    }

    /// A server redirecting every request to `location` with `status`.
    async fn redirecting(status: &'static str, location: String) -> (SocketAddr, Seen) {
        serve(move |_, s| {
            let location = location.clone();
            async move { reply(s, response(status, &[("Location", &location)], b"")).await }
        })
        .await
    }

    fn secret_request(u: Url) -> Request {
        Request::get(u)
            .header(reqwest::header::AUTHORIZATION, "Bearer {secret}")
            .header(HeaderName::from_static("x-api-key"), "{secret}")
            .header(HeaderName::from_static("accept"), "application/json")
            .secret("{secret}", Secret::new("t0p/s3cret"))
    }

    #[tokio::test]
    async fn secrets_are_filled_in_when_sent_and_never_shown() {
        let (addr, seen) = serve(|head, s| async move {
            let status = if head.starts_with("get /missing") {
                "404 Not Found"
            } else {
                "200 OK"
            };
            reply(s, response(status, &[], b"[]")).await
        })
        .await;
        let f = fetcher(&cfg());
        let u = Url::parse(&format!(
            "http://{addr}/v1/{{secret}}/reviews?key={{secret}}&q=1"
        ))
        .unwrap();
        let FetchOutcome::Body(b) = f.send(&secret_request(u.clone())).await.unwrap() else {
            panic!("expected a body");
        };
        let heads = seen.lock().unwrap().clone();
        let head = &heads[0].1;
        // In the URL percent-encoded, in headers as is (the test server lower-cases).
        assert!(
            head.starts_with("get /v1/t0p%2fs3cret/reviews?key=t0p%2fs3cret&q=1 "),
            "{head}"
        );
        assert_eq!(header(head, "authorization"), Some("bearer t0p/s3cret"));
        assert_eq!(header(head, "x-api-key"), Some("t0p/s3cret"));
        assert_eq!(header(head, "accept"), Some("application/json"));
        // What comes back keeps the placeholder.
        assert_eq!(b.final_url, u);
        assert!(!format!("{:?}", secret_request(u)).contains("s3cret"));

        let missing = Url::parse(&format!("http://{addr}/missing?key={{secret}}")).unwrap();
        let err = f.send(&secret_request(missing)).await.unwrap_err();
        let shown = err.to_string();
        assert!(
            shown.contains("key={secret}") && !shown.contains("s3cret"),
            "{shown}"
        );
    }

    /// Why the fetcher follows redirects itself: reqwest's own policy drops
    /// `Authorization` on a redirect to another host but keeps other headers.
    #[tokio::test]
    async fn reqwest_default_redirects_keep_custom_headers_across_hosts() {
        let (target, seen) = ok_server().await;
        let (start, _) = redirecting("302 Found", format!("http://{target}/landing")).await;
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        client
            .get(url(start, "/"))
            .header("authorization", "Bearer x")
            .header("x-api-key", "k")
            .send()
            .await
            .unwrap();
        let head = seen.lock().unwrap()[0].1.clone();
        assert_eq!(header(&head, "authorization"), None);
        assert_eq!(header(&head, "x-api-key"), Some("k"), "{head}");
    }

    #[tokio::test]
    async fn redirect_to_another_origin_drops_every_extra_header() {
        let (target, seen) = ok_server().await;
        let (start, start_seen) =
            redirecting("302 Found", format!("http://{target}/landing")).await;
        let f = fetcher(&cfg());
        let FetchOutcome::Body(b) = f.send(&secret_request(url(start, "/r"))).await.unwrap() else {
            panic!("expected a body");
        };
        assert_eq!(b.final_url, url(target, "/landing"));
        let first = start_seen.lock().unwrap()[0].1.clone();
        assert_eq!(header(&first, "x-api-key"), Some("t0p/s3cret"));
        let head = seen.lock().unwrap()[0].1.clone();
        for h in ["authorization", "x-api-key"] {
            assert_eq!(
                header(&head, h),
                None,
                "{h} must not reach another host: {head}"
            );
        }
        // reqwest's default Accept, not the configured one.
        assert_eq!(header(&head, "accept"), Some("*/*"));
        // No Referer leaks the first URL either.
        assert_eq!(header(&head, "referer"), None);
    }

    #[tokio::test]
    async fn redirect_on_the_same_origin_keeps_headers_and_hides_the_secret() {
        let (addr, seen) = serve(|head, s| async move {
            let resp = if head.starts_with("get /start") {
                // The server echoes the key into the new location.
                response("301 Moved", &[("Location", "/moved?key=t0p%2Fs3cret")], b"")
            } else {
                response("200 OK", &[], b"ok")
            };
            reply(s, resp).await
        })
        .await;
        let f = fetcher(&cfg());
        let u = Url::parse(&format!("http://{addr}/start?key={{secret}}")).unwrap();
        let FetchOutcome::Body(b) = f.send(&secret_request(u)).await.unwrap() else {
            panic!("expected a body");
        };
        let heads = seen.lock().unwrap().clone();
        assert_eq!(heads.len(), 2);
        assert_eq!(header(&heads[1].1, "x-api-key"), Some("t0p/s3cret"));
        assert_eq!(
            b.final_url.as_str(),
            format!("http://{addr}/moved?key={{secret}}")
        );
    }

    #[tokio::test]
    async fn post_sends_its_body_and_see_other_turns_into_get() {
        let (addr, seen) = serve(|head, s| async move {
            let resp = if head.starts_with("post /token") {
                response("303 See Other", &[("Location", "/done")], b"")
            } else {
                response("200 OK", &[], b"{}")
            };
            reply(s, resp).await
        })
        .await;
        let f = fetcher(&cfg());
        let req = Request::post(
            url(addr, "/token"),
            HeaderValue::from_static("application/x-www-form-urlencoded"),
            b"grant_type=client_credentials".to_vec(),
        );
        assert!(matches!(f.send(&req).await, Ok(FetchOutcome::Body(_))));
        let heads = seen.lock().unwrap().clone();
        assert!(heads[0].1.starts_with("post /token "), "{}", heads[0].1);
        assert_eq!(
            header(&heads[0].1, "content-type"),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(header(&heads[0].1, "content-length"), Some("29"));
        assert!(heads[1].1.starts_with("get /done "), "{}", heads[1].1);
        assert_eq!(header(&heads[1].1, "content-length"), None);
    }

    #[tokio::test]
    async fn a_body_is_never_resent_to_another_origin() {
        let (target, seen) = ok_server().await;
        let (start, _) =
            redirecting("307 Temporary Redirect", format!("http://{target}/steal")).await;
        let req = Request::post(
            url(start, "/token"),
            HeaderValue::from_static("application/json"),
            b"{\"client_secret\":\"x\"}".to_vec(),
        );
        let err = fetcher(&cfg()).send(&req).await.unwrap_err();
        assert!(err.to_string().contains("another origin"), "{err}");
        assert!(seen.lock().unwrap().is_empty());
        // And a file URL takes no body.
        let req = Request::post(
            Url::parse("file:///tmp/x.json").unwrap(),
            HeaderValue::from_static("application/json"),
            b"{}".to_vec(),
        );
        assert!(fetcher(&cfg()).send(&req).await.is_err());
    }

    #[tokio::test]
    async fn unsolicited_304_is_a_status_error() {
        let (addr, _) = serve(|_, s| reply(s, response("304 Not Modified", &[], b""))).await;
        let err = fetcher(&cfg())
            .fetch(&url(addr, "/"), None)
            .await
            .unwrap_err();
        assert!(
            matches!(err, FetchError::Status { status: 304, .. }),
            "{err}"
        );
    }

    #[tokio::test]
    async fn body_cap_plain_by_content_length_and_while_streaming() {
        let limit = cfg().max_body_bytes as usize;
        // Declared too large: refused from the header.
        let (addr, _) =
            serve(move |_, s| reply(s, response("200 OK", &[], &vec![b'a'; limit + 1]))).await;
        let f = fetcher(&cfg());
        let err = f.fetch(&url(addr, "/"), None).await.unwrap_err();
        assert!(
            matches!(err, FetchError::TooLarge { limit: 65536, .. }),
            "{err}"
        );

        // No Content-Length (body ends at close): counted while streaming.
        let (addr, _) = serve(move |_, s| {
            let mut r = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
            r.extend(vec![b'a'; limit + 1]);
            reply(s, r)
        })
        .await;
        let err = f.fetch(&url(addr, "/"), None).await.unwrap_err();
        assert!(matches!(err, FetchError::TooLarge { .. }), "{err}");

        // Exactly at the cap is fine.
        let (addr, _) =
            serve(move |_, s| reply(s, response("200 OK", &[], &vec![b'a'; limit]))).await;
        let FetchOutcome::Body(b) = f.fetch(&url(addr, "/"), None).await.unwrap() else {
            panic!("expected a body");
        };
        assert_eq!(b.bytes.len(), limit);
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[tokio::test]
    async fn body_cap_counts_decompressed_bytes_of_a_gzip_bomb() {
        // 16 MiB of zeros compress to a few KiB, far under the 64 KiB cap.
        let bomb = gzip(&vec![0u8; 16 << 20]);
        assert!(bomb.len() < 64 * 1024);
        let (addr, _) = serve(move |_, s| {
            reply(
                s,
                response("200 OK", &[("Content-Encoding", "gzip")], &bomb),
            )
        })
        .await;
        let f = fetcher(&cfg());
        let err = f.fetch(&url(addr, "/"), None).await.unwrap_err();
        assert!(matches!(err, FetchError::TooLarge { .. }), "{err}");

        // A small gzip body is decompressed transparently.
        let small = gzip(b"<feed>hello</feed>");
        let (addr, seen) = serve(move |_, s| {
            reply(
                s,
                response("200 OK", &[("Content-Encoding", "gzip")], &small),
            )
        })
        .await;
        let FetchOutcome::Body(b) = f.fetch(&url(addr, "/"), None).await.unwrap() else {
            panic!("expected a body");
        };
        assert_eq!(b.bytes, b"<feed>hello</feed>");
        let head = seen.lock().unwrap()[0].1.clone();
        assert!(header(&head, "accept-encoding").is_some_and(|v| v.contains("gzip")));
    }

    #[tokio::test]
    async fn endless_chunked_body_is_cut_at_the_cap() {
        let (addr, _) = serve(|_, mut s| async move {
            let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
            if s.write_all(head).await.is_err() {
                return;
            }
            let chunk = format!("{:x}\r\n{}\r\n", 4096, "z".repeat(4096));
            // Bounded so the test server stops by itself: 256 MiB at most.
            for _ in 0..65_536 {
                if s.write_all(chunk.as_bytes()).await.is_err() {
                    return;
                }
            }
        })
        .await;
        let started = Instant::now();
        let err = fetcher(&cfg())
            .fetch(&url(addr, "/"), None)
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::TooLarge { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[tokio::test]
    async fn slow_drip_body_hits_the_total_timeout() {
        let (addr, _) = serve(|_, mut s| async move {
            let head = b"HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n";
            if s.write_all(head).await.is_err() {
                return;
            }
            for _ in 0..200 {
                tokio::time::sleep(Duration::from_millis(50)).await;
                if s.write_all(b"x").await.is_err() {
                    return;
                }
            }
        })
        .await;
        let c = HttpConfig {
            timeout: Duration::from_millis(400),
            connect_timeout: Duration::from_millis(400),
            ..cfg()
        };
        let started = Instant::now();
        let err = fetcher(&c).fetch(&url(addr, "/"), None).await.unwrap_err();
        let took = started.elapsed();
        assert!(matches!(err, FetchError::Timeout { .. }), "{err}");
        assert!(err.is_transient());
        assert!(took < Duration::from_secs(2), "took {took:?}");
    }

    #[tokio::test]
    async fn silent_server_hits_the_total_timeout() {
        // Accepts, reads the request, never answers.
        let (addr, _) = serve(|_, s| async move {
            tokio::time::sleep(Duration::from_secs(10)).await;
            drop(s);
        })
        .await;
        let c = HttpConfig {
            timeout: Duration::from_millis(300),
            ..cfg()
        };
        let started = Instant::now();
        let err = fetcher(&c).fetch(&url(addr, "/"), None).await.unwrap_err();
        assert!(matches!(err, FetchError::Timeout { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn retry_after_parses_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:30:00 GMT", now),
            Some(Duration::from_secs(120))
        );
        // Obsolete forms an HTTP date may take.
        assert_eq!(
            parse_retry_after("Wednesday, 21-Oct-15 07:29:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        // Past dates mean now; absurd values are capped.
        assert_eq!(
            parse_retry_after("Tue, 20 Oct 2015 07:28:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("999999999", now), Some(MAX_RETRY_AFTER));
        assert_eq!(
            parse_retry_after("99999999999999999999999999", now),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(
            parse_retry_after("Fri, 21 Oct 2016 07:28:00 GMT", now),
            Some(MAX_RETRY_AFTER)
        );
        for junk in ["", "soon", "-5", "1.5", "12 s", "Wed, 99 Oct 2015"] {
            assert_eq!(parse_retry_after(junk, now), None, "{junk:?}");
        }
    }

    #[tokio::test]
    async fn status_429_carries_retry_after() {
        let (addr, _) = serve(|_, s| {
            reply(
                s,
                response(
                    "429 Too Many Requests",
                    &[("Retry-After", "120")],
                    b"slow down",
                ),
            )
        })
        .await;
        let err = fetcher(&cfg())
            .fetch(&url(addr, "/"), None)
            .await
            .unwrap_err();
        assert!(
            matches!(err, FetchError::Status { status: 429, .. }),
            "{err}"
        );
        assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
        assert!(err.is_transient());
    }

    #[tokio::test]
    async fn server_error_is_a_transient_status() {
        let (addr, _) =
            serve(|_, s| reply(s, response("500 Internal Server Error", &[], b"oops"))).await;
        let err = fetcher(&cfg())
            .fetch(&url(addr, "/"), None)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                FetchError::Status {
                    status: 500,
                    retry_after: None,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(err.kind(), "http_status");
        assert!(err.is_transient());

        let (addr, _) = serve(|_, s| reply(s, response("404 Not Found", &[], b""))).await;
        let err = fetcher(&cfg())
            .fetch(&url(addr, "/"), None)
            .await
            .unwrap_err();
        assert!(
            matches!(err, FetchError::Status { status: 404, .. }),
            "{err}"
        );
        assert!(!err.is_transient());
    }

    #[tokio::test]
    async fn refused_connection_is_a_network_error() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let err = fetcher(&cfg())
            .fetch(&url(addr, "/"), None)
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::Network { .. }), "{err}");
        assert!(err.is_transient());
    }

    #[tokio::test]
    async fn redirects_are_followed_up_to_the_limit() {
        let (addr, _) = serve(|head, s| async move {
            let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
            let n: usize = path.trim_start_matches("/r").parse().unwrap_or(0);
            let resp = if path == "/final" {
                response("200 OK", &[], b"done")
            } else if path == "/loop" {
                response("302 Found", &[("Location", "/loop")], b"")
            } else if n > 0 {
                let next = if n == 1 {
                    "/final".to_string()
                } else {
                    format!("/r{}", n - 1)
                };
                response("302 Found", &[("Location", &next)], b"")
            } else {
                response("404 Not Found", &[], b"")
            };
            reply(s, resp).await;
        })
        .await;
        let f = fetcher(&cfg());
        let FetchOutcome::Body(b) = f.fetch(&url(addr, "/r3"), None).await.unwrap() else {
            panic!("expected a body");
        };
        assert_eq!(b.final_url, url(addr, "/final"));
        assert_eq!(b.bytes, b"done");

        let err = f.fetch(&url(addr, "/loop"), None).await.unwrap_err();
        assert!(matches!(err, FetchError::Other { .. }), "{err}");
    }

    #[tokio::test]
    async fn per_host_min_gap_spaces_request_starts() {
        let (addr, seen) = serve(|_, s| reply(s, response("200 OK", &[], b"ok"))).await;
        let gap = Duration::from_millis(300);
        let c = HttpConfig {
            per_host_min_gap: gap,
            ..cfg()
        };
        let f = fetcher(&c);
        let u = url(addr, "/");
        let (a, b, c3) = tokio::join!(f.fetch(&u, None), f.fetch(&u, None), f.fetch(&u, None));
        for r in [a, b, c3] {
            assert!(matches!(r, Ok(FetchOutcome::Body(_))));
        }
        let mut at: Vec<Instant> = seen.lock().unwrap().iter().map(|(t, _)| *t).collect();
        at.sort();
        assert_eq!(at.len(), 3);
        for w in at.windows(2) {
            let d = w[1] - w[0];
            // Arrival times are measured at the server; allow a little jitter.
            assert!(
                d >= gap - Duration::from_millis(30),
                "starts only {d:?} apart"
            );
        }
    }

    #[tokio::test]
    async fn gap_wait_does_not_hold_global_permits() {
        let (slow, _) = serve(|_, s| reply(s, response("200 OK", &[], b"a"))).await;
        let (other, _) = serve(|_, s| reply(s, response("200 OK", &[], b"b"))).await;
        let c = HttpConfig {
            max_concurrency: 1,
            per_host_min_gap: Duration::from_millis(800),
            ..cfg()
        };
        let f = fetcher(&c);
        let started = Instant::now();
        // Prime the gap on `slow`, then queue a second request behind it.
        f.fetch(&url(slow, "/"), None).await.unwrap();
        let su = url(slow, "/");
        let ou = url(other, "/");
        let waiting = f.fetch(&su, None);
        let other_host = async {
            // Let the waiting request reach its gap wait first.
            tokio::time::sleep(Duration::from_millis(50)).await;
            f.fetch(&ou, None).await.map(|_| started.elapsed())
        };
        let (w, o) = tokio::join!(waiting, other_host);
        assert!(w.is_ok());
        let other_done = o.unwrap();
        assert!(
            other_done < Duration::from_millis(600),
            "other host waited {other_done:?} behind a gap it does not have"
        );
        assert!(started.elapsed() >= Duration::from_millis(790));
    }

    #[tokio::test]
    async fn per_host_override_applies_and_other_hosts_are_not_delayed() {
        let (addr, seen) = serve(|_, s| reply(s, response("200 OK", &[], b"ok"))).await;
        let mut c = HttpConfig {
            per_host_min_gap: Duration::from_secs(30),
            ..cfg()
        };
        // The override (by host:port) removes the gap for this server only.
        c.hosts.insert(
            addr.to_string(),
            crate::config::HostLimits {
                concurrency: Some(1),
                min_gap: Some(Duration::ZERO),
            },
        );
        let f = fetcher(&c);
        let u = url(addr, "/");
        let started = Instant::now();
        let (a, b) = tokio::join!(f.fetch(&u, None), f.fetch(&u, None));
        assert!(a.is_ok() && b.is_ok());
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(seen.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn per_host_concurrency_bounds_requests_in_flight() {
        let in_flight = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let peak = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (i2, p2) = (Arc::clone(&in_flight), Arc::clone(&peak));
        let (addr, _) = serve(move |_, s| {
            let (i, p) = (Arc::clone(&i2), Arc::clone(&p2));
            async move {
                use std::sync::atomic::Ordering::SeqCst;
                let now = i.fetch_add(1, SeqCst) + 1;
                p.fetch_max(now, SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
                i.fetch_sub(1, SeqCst);
                reply(s, response("200 OK", &[], b"ok")).await;
            }
        })
        .await;
        let c = HttpConfig {
            per_host_concurrency: 1,
            ..cfg()
        };
        let f = fetcher(&c);
        let u = url(addr, "/");
        let (a, b, c3) = tokio::join!(f.fetch(&u, None), f.fetch(&u, None), f.fetch(&u, None));
        assert!(a.is_ok() && b.is_ok() && c3.is_ok());
        assert_eq!(peak.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn file_url_reads_and_reports_not_modified_when_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feed.XML");
        std::fs::write(&path, b"<rss>one</rss>").unwrap();
        let u = Url::from_file_path(&path).unwrap();
        let f = fetcher(&cfg());

        let FetchOutcome::Body(b) = f.fetch(&u, None).await.unwrap() else {
            panic!("expected a body");
        };
        assert_eq!(b.bytes, b"<rss>one</rss>");
        assert_eq!(b.content_type.as_deref(), Some("application/xml"));
        assert_eq!(b.final_url, u);
        assert!(b.validators.last_modified.is_some());

        let again = f.fetch(&u, Some(&b.validators)).await.unwrap();
        assert!(matches!(again, FetchOutcome::NotModified), "{again:?}");

        // A changed size changes the validator even within the same mtime tick.
        std::fs::write(&path, b"<rss>two!</rss>").unwrap();
        let FetchOutcome::Body(b2) = f.fetch(&u, Some(&b.validators)).await.unwrap() else {
            panic!("expected a body after the change");
        };
        assert_eq!(b2.bytes, b"<rss>two!</rss>");
        assert_ne!(b2.validators, b.validators);
    }

    #[tokio::test]
    async fn file_url_errors_are_reported_not_panicked() {
        let dir = tempfile::tempdir().unwrap();
        let f = fetcher(&cfg());

        let big = dir.path().join("big.json");
        std::fs::write(&big, vec![b' '; 64 * 1024 + 1]).unwrap();
        let err = f
            .fetch(&Url::from_file_path(&big).unwrap(), None)
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::TooLarge { .. }), "{err}");

        let missing = dir.path().join("missing.rss");
        let err = f
            .fetch(&Url::from_file_path(&missing).unwrap(), None)
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::Other { .. }), "{err}");

        let err = f
            .fetch(&Url::from_file_path(dir.path()).unwrap(), None)
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::Other { .. }), "{err}");

        let plain = dir.path().join("notes");
        std::fs::write(&plain, b"x").unwrap();
        let FetchOutcome::Body(b) = f
            .fetch(&Url::from_file_path(&plain).unwrap(), None)
            .await
            .unwrap()
        else {
            panic!("expected a body");
        };
        assert_eq!(b.content_type, None);

        let err = f
            .fetch(&Url::parse("ftp://example.invalid/x").unwrap(), None)
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::Other { .. }), "{err}");
    }

    #[test]
    fn passwords_never_reach_messages() {
        let u = Url::parse("https://user:hunter2@example.com/feed").unwrap();
        let shown = shown_url(&u);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("example.com/feed"));
    }

    #[test]
    fn invalid_user_agent_is_an_error_not_a_panic() {
        let err = Fetcher::new(&cfg(), "bad\nagent").unwrap_err();
        assert_eq!(err.kind(), "other");
    }
}
