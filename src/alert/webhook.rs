//! Webhook notifier: signed JSON POST.
//!
//! With `format = "json"` (the default) the body is
//! `serde_json::to_vec(&Payload::new(alert))`, a public contract (a digest:
//! [`DigestPayload`]); `slack`, `teams`, `discord` and `mattermost` send that
//! platform's incoming-webhook body instead ([`super::chat`]). Whatever the format,
//! each request carries `X-ReviewRadar-Delivery` and `X-ReviewRadar-Event`, and, when
//! a secret is configured, `X-ReviewRadar-Signature: sha256=<hex HMAC-SHA256 of the
//! raw body>` over the exact bytes sent. Redirects are never followed. 2xx is
//! success; 408, 429, 5xx, timeouts and connection errors are retried (honouring
//! `Retry-After`); any other status is fatal.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, LOCATION, RETRY_AFTER};
use sha2::Sha256;
use tracing::debug;
use url::Url;

use super::chat::{self, WebhookFormat};
use super::digest::{Digest, DigestPayload};
use super::message::EVENT_DIGEST;
use super::{Alert, DeliveryError, Language, Notifier, Payload};
use crate::config::Secret;

/// Header carrying the delivery id (stable across retries; receivers dedupe on it).
pub const DELIVERY_HEADER: &str = "X-ReviewRadar-Delivery";
/// Header carrying the event type, e.g. `review.negative`.
pub const EVENT_HEADER: &str = "X-ReviewRadar-Event";
/// Header carrying `sha256=<hex>` when a secret is configured.
pub const SIGNATURE_HEADER: &str = "X-ReviewRadar-Signature";

/// How much of an error response we read, and how much of it goes into the reason.
const MAX_ERROR_BODY: usize = 64 * 1024;
const ERROR_SNIPPET_CHARS: usize = 200;

/// POSTs each alert as JSON to one receiver URL.
pub struct WebhookNotifier {
    id: String,
    url: Url,
    /// `scheme://host[:port]`, for messages: the full URL may carry a token.
    receiver: String,
    secret: Option<Secret>,
    timeout: Duration,
    client: reqwest::Client,
    format: WebhookFormat,
    /// The language of the chat formats' text.
    language: Language,
}

impl std::fmt::Debug for WebhookNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not derived: the URL may carry a token in its path or query.
        f.debug_struct("WebhookNotifier")
            .field("id", &self.id)
            .field("receiver", &self.receiver)
            .field("signed", &self.secret.is_some())
            .field("format", &self.format)
            .field("language", &self.language)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl WebhookNotifier {
    /// A notifier with its own HTTP client: no redirects, `timeout` per attempt.
    pub fn new(
        id: &str,
        url: Url,
        secret: Option<Secret>,
        timeout: Duration,
        user_agent: &str,
    ) -> anyhow::Result<Self> {
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            bail!("notifiers.{id}.url: must be an http:// or https:// URL");
        }
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .with_context(|| format!("notifiers.{id}: cannot build the HTTP client"))?;
        let receiver = match url.port() {
            Some(p) => format!(
                "{}://{}:{p}",
                url.scheme(),
                url.host_str().unwrap_or_default()
            ),
            None => format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default()),
        };
        Ok(Self {
            id: id.to_string(),
            url,
            receiver,
            secret,
            timeout,
            client,
            format: WebhookFormat::Json,
            language: Language::En,
        })
    }

    /// Send bodies in `format` (default: the JSON contract).
    pub fn with_format(mut self, format: WebhookFormat) -> Self {
        self.format = format;
        self
    }

    /// Write the chat formats' text in `language` (default: English).
    pub fn with_language(mut self, language: Language) -> Self {
        self.language = language;
        self
    }

    /// The exact body sent for `alert`.
    pub fn body(&self, alert: &Alert) -> Result<Vec<u8>, DeliveryError> {
        let encoded = match self.format {
            WebhookFormat::Json => serde_json::to_vec(&Payload::new(alert)),
            f => serde_json::to_vec(&chat::body(f, &chat::alert_card(self.language, alert))),
        };
        encoded.map_err(|e| DeliveryError::Fatal {
            reason: format!("cannot encode the payload: {e}"),
        })
    }

    /// The exact body sent for `digest`.
    pub fn digest_body(&self, digest: &Digest) -> Result<Vec<u8>, DeliveryError> {
        let encoded = match self.format {
            WebhookFormat::Json => serde_json::to_vec(&DigestPayload::new(digest)),
            f => serde_json::to_vec(&chat::body(f, &chat::digest_card(self.language, digest))),
        };
        encoded.map_err(|e| DeliveryError::Fatal {
            reason: format!("cannot encode the digest: {e}"),
        })
    }
}

/// `sha256=<lowercase hex HMAC-SHA256 of body keyed with secret>`, the value of
/// [`SIGNATURE_HEADER`]. Receivers recompute it over the exact raw body bytes.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[async_trait]
impl Notifier for WebhookNotifier {
    fn id(&self) -> &str {
        &self.id
    }

    async fn deliver(&self, alert: &Alert) -> Result<(), DeliveryError> {
        let body = self.body(alert)?;
        self.post(body, &alert.delivery_id, &alert.event).await
    }

    async fn deliver_digest(&self, digest: &Digest) -> Result<(), DeliveryError> {
        let body = self.digest_body(digest)?;
        self.post(body, &digest.delivery_id, EVENT_DIGEST).await
    }
}

impl WebhookNotifier {
    /// POST `body` with the contract headers, signed when a secret is set.
    async fn post(
        &self,
        body: Vec<u8>,
        delivery_id: &str,
        event: &str,
    ) -> Result<(), DeliveryError> {
        let mut req = self
            .client
            .post(self.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(DELIVERY_HEADER, delivery_id)
            .header(EVENT_HEADER, event);
        if let Some(secret) = &self.secret {
            req = req.header(SIGNATURE_HEADER, sign(secret.expose().as_bytes(), &body));
        }
        let started = Instant::now();
        let result = req.body(body).send().await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let resp = match result {
            Ok(resp) => resp,
            Err(e) => {
                let err = self.request_error(e);
                debug!(
                    notifier = %self.id,
                    delivery_id = %delivery_id,
                    elapsed_ms,
                    error = %err,
                    "Webhook attempt failed."
                );
                return Err(err);
            }
        };
        let status = resp.status();
        debug!(
            notifier = %self.id,
            delivery_id = %delivery_id,
            status = status.as_u16(),
            elapsed_ms,
            "Webhook attempt answered."
        );
        if status.is_success() {
            return Ok(());
        }
        let headers = resp.headers().clone();
        if status.is_redirection() {
            let to = headers
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("(no Location)");
            return Err(DeliveryError::Fatal {
                reason: format!(
                    "{}: receiver redirected to {} (HTTP {}); redirects are not followed, configure the final URL",
                    self.receiver,
                    clean(to, ERROR_SNIPPET_CHARS),
                    status.as_u16()
                ),
            });
        }
        let snippet = read_snippet(resp).await;
        Err(classify_status(
            status,
            &headers,
            &snippet,
            &self.receiver,
            Utc::now(),
        ))
    }

    fn request_error(&self, e: reqwest::Error) -> DeliveryError {
        let timed_out = e.is_timeout();
        let builder = e.is_builder();
        // Drop the URL: it may carry a token in its path or query.
        let e = e.without_url();
        let mut detail = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            detail.push_str(": ");
            detail.push_str(&s.to_string());
            source = s.source();
        }
        if builder {
            DeliveryError::Fatal {
                reason: format!("{}: cannot build the request: {detail}", self.receiver),
            }
        } else if timed_out {
            DeliveryError::Retry {
                reason: format!("{}: timed out after {:?}", self.receiver, self.timeout),
                retry_after: None,
            }
        } else {
            DeliveryError::Retry {
                reason: format!("{}: {detail}", self.receiver),
                retry_after: None,
            }
        }
    }
}

/// Decide what a non-2xx, non-3xx answer means.
fn classify_status(
    status: StatusCode,
    headers: &HeaderMap,
    body_snippet: &str,
    receiver: &str,
    now: DateTime<Utc>,
) -> DeliveryError {
    let code = status.as_u16();
    let mut reason = format!("{receiver}: HTTP {code}");
    if !body_snippet.is_empty() {
        reason.push_str(": ");
        reason.push_str(body_snippet);
    }
    if code == 408 || code == 429 || status.is_server_error() {
        let retry_after = headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, now));
        DeliveryError::Retry {
            reason,
            retry_after,
        }
    } else {
        DeliveryError::Fatal { reason }
    }
}

/// `Retry-After` as delay-seconds or an HTTP-date (a date in the past means now).
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// The first part of an error response body, read with a bound, as one clean line.
async fn read_snippet(mut resp: reqwest::Response) -> String {
    let mut buf = Vec::new();
    while buf.len() < MAX_ERROR_BODY {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                let room = MAX_ERROR_BODY - buf.len();
                buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    clean(&String::from_utf8_lossy(&buf), ERROR_SNIPPET_CHARS)
}

/// Control characters to spaces, whitespace folded, at most `max` chars.
fn clean(s: &str, max: usize) -> String {
    let folded: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let folded = crate::mention::fold_whitespace(&folded);
    if folded.chars().count() <= max {
        folded
    } else {
        let mut out: String = folded.chars().take(max).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mention::Mention;
    use chrono::TimeZone;
    use std::collections::HashMap;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;
    use tokio::sync::mpsc;

    fn alert() -> Alert {
        let t = Utc.with_ymd_and_hms(2024, 5, 1, 8, 30, 0).unwrap();
        Alert {
            delivery_id: "d-0001".into(),
            event: "review.negative".into(),
            mention: Mention {
                id: "ab12".into(),
                source: "kettle-tp".into(),
                platform: "trustpilot".into(),
                external_id: "tp-1".into(),
                url: Some("https://example.com/r/1".into()),
                author: Some("Jo".into()),
                title: Some("Broken".into()),
                text: "It broke. <b>Never again</b> ünïcode".into(),
                rating: Some(1.0),
                rating_max: Some(5.0),
                rating_min: Some(1.0),
                published_at: Some(t),
                updated_at: None,
                lang: Some("en".into()),
                first_seen: t,
                last_seen: t,
                revision: 1,
                negative: true,
                score: -0.9,
                reasons: vec!["rating 1/5 <= 2".into()],
                severity: Default::default(),
                rules: vec![],
                sightings: vec![],
                reply: None,
            },
            case: None,
            detail: crate::alert::EventDetail::default(),
        }
    }

    #[derive(Debug)]
    struct Request {
        head: String,
        headers: HashMap<String, String>,
        body: Vec<u8>,
    }

    /// A one-shot-per-connection HTTP receiver that answers every request with
    /// `response` (a full raw HTTP response) and reports what it received.
    async fn receiver(response: &'static str) -> (Url, mpsc::UnboundedReceiver<Request>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let tx = tx.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let head_end = loop {
                        let n = sock.read(&mut chunk).await.unwrap();
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                    };
                    let head = String::from_utf8(buf[..head_end].to_vec()).unwrap();
                    let mut headers = HashMap::new();
                    for line in head.lines().skip(1) {
                        if let Some((k, v)) = line.split_once(':') {
                            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                        }
                    }
                    let len: usize = headers
                        .get("content-length")
                        .map_or(0, |v| v.parse().unwrap());
                    while buf.len() < head_end + len {
                        let n = sock.read(&mut chunk).await.unwrap();
                        if n == 0 {
                            break;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                    }
                    let body = buf[head_end..].to_vec();
                    let _ = tx.send(Request {
                        head,
                        headers,
                        body,
                    });
                    sock.write_all(response.as_bytes()).await.unwrap();
                    sock.shutdown().await.ok();
                });
            }
        });
        (
            format!("http://{addr}/hooks/rr?token=t0p").parse().unwrap(),
            rx,
        )
    }

    fn notifier(url: Url, secret: Option<&str>, timeout: Duration) -> WebhookNotifier {
        WebhookNotifier::new(
            "hook",
            url,
            secret.map(Secret::new),
            timeout,
            "reviewradar-test/1",
        )
        .unwrap()
    }

    #[tokio::test]
    async fn ok_on_200_with_contract_headers_and_valid_signature() {
        let (url, mut rx) =
            receiver("HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").await;
        let n = notifier(url, Some("s3cret"), Duration::from_secs(5));
        let a = alert();
        n.deliver(&a).await.unwrap();
        let req = rx.recv().await.unwrap();
        assert!(
            req.head
                .starts_with("POST /hooks/rr?token=t0p HTTP/1.1\r\n"),
            "{}",
            req.head
        );
        assert_eq!(req.headers["content-type"], "application/json");
        assert_eq!(req.headers["user-agent"], "reviewradar-test/1");
        assert_eq!(req.headers["x-reviewradar-delivery"], "d-0001");
        assert_eq!(req.headers["x-reviewradar-event"], "review.negative");
        // The body is exactly the contract encoding, and the signature verifies over it.
        assert_eq!(req.body, serde_json::to_vec(&Payload::new(&a)).unwrap());
        let sig = req.headers["x-reviewradar-signature"]
            .strip_prefix("sha256=")
            .unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap();
        mac.update(&req.body);
        mac.verify_slice(&hex::decode(sig).unwrap())
            .expect("signature verifies");
        assert_eq!(sig, sig.to_ascii_lowercase());
        // And the secret itself is nowhere in the request, nor in Debug output.
        assert!(!req.head.contains("s3cret"));
        let dbg = format!("{n:?}");
        assert!(!dbg.contains("s3cret") && !dbg.contains("t0p"), "{dbg}");
    }

    #[tokio::test]
    async fn body_is_the_public_json_contract() {
        let (url, mut rx) = receiver("HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n").await;
        notifier(url, None, Duration::from_secs(5))
            .deliver(&alert())
            .await
            .unwrap();
        let req = rx.recv().await.unwrap();
        assert!(!req.headers.contains_key("x-reviewradar-signature"));
        let got: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        let want = serde_json::json!({
            "event": "review.negative",
            "delivery_id": "d-0001",
            "mention": {
                "id": "ab12",
                "source": "kettle-tp",
                "platform": "trustpilot",
                "url": "https://example.com/r/1",
                "author": "Jo",
                "title": "Broken",
                "text": "It broke. <b>Never again</b> ünïcode",
                "rating": 1.0,
                "rating_max": 5.0,
                "published_at": "2024-05-01T08:30:00Z",
                "lang": "en",
                "negative": true,
                "score": -0.9,
                "reasons": ["rating 1/5 <= 2"],
                "severity": "normal",
                "rules": [],
                "reply": null
            },
            "case": null,
            "details": {}
        });
        assert_eq!(got, want);
        // The original keys come first, in their original order and bytes.
        let raw = String::from_utf8(req.body).unwrap();
        assert!(
            raw.starts_with("{\"event\":\"review.negative\",\"delivery_id\":\"d-0001\",\"mention\":{\"id\":\"ab12\","),
            "{raw}"
        );
        assert!(
            raw.ends_with(",\"reply\":null},\"case\":null,\"details\":{}}"),
            "{raw}"
        );
    }

    #[test]
    fn body_carries_case_and_details() {
        let a = crate::alert::message::samples::alert("review.reminder");
        let v = serde_json::to_value(Payload::new(&a)).unwrap();
        assert_eq!(
            v["details"],
            serde_json::json!({"step": 2, "reminder": "unanswered", "open_for_secs": 29100})
        );
        assert_eq!(
            v["case"],
            serde_json::json!({
                "id": "5e8a1c0d2b4f6a79",
                "state": "acknowledged",
                "opened_at": "2026-03-02T08:00:00Z",
                "round": 1,
                "acknowledged_at": "2026-03-02T09:30:00Z",
                "contacted_at": null,
                "replied_at": null,
                "resolved_at": null,
                "removed_at": null,
                "history": [
                    {"at": "2026-03-02T08:00:00Z", "from": null, "to": "open", "actor": "platform", "note": null, "event": "review.negative"},
                    {"at": "2026-03-02T09:30:00Z", "from": "open", "to": "acknowledged", "actor": "anna", "note": "calling her today", "event": null}
                ]
            })
        );
        let r = crate::alert::message::samples::alert("review.resolved");
        let v = serde_json::to_value(Payload::new(&r)).unwrap();
        assert_eq!(
            v["details"],
            serde_json::json!({"old_rating": 1.0, "new_rating": 4.0})
        );
        assert_eq!(v["case"]["state"], "resolved");
        assert_eq!(v["case"]["resolved_at"], "2026-03-03T10:00:00Z");
    }

    /// Every format goes out with the same headers, and the signature is over the
    /// exact bytes received.
    #[tokio::test]
    async fn every_format_is_signed_over_the_exact_body() {
        for format in WebhookFormat::ALL {
            let (url, mut rx) =
                receiver("HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                    .await;
            let n = notifier(url, Some("s3cret"), Duration::from_secs(5))
                .with_format(format)
                .with_language(Language::Nl);
            let a = crate::alert::message::samples::alert("review.escalated");
            n.deliver(&a).await.unwrap();
            let req = rx.recv().await.unwrap();
            assert_eq!(req.body, n.body(&a).unwrap(), "{format:?}");
            assert_eq!(req.headers["content-type"], "application/json");
            assert_eq!(req.headers["x-reviewradar-delivery"], "d-escalated");
            assert_eq!(req.headers["x-reviewradar-event"], "review.escalated");
            assert_eq!(
                req.headers["x-reviewradar-signature"],
                sign(b"s3cret", &req.body),
                "{format:?}"
            );
            let v: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
            match format {
                WebhookFormat::Json => assert_eq!(v["event"], "review.escalated"),
                WebhookFormat::Slack => assert!(v["blocks"].is_array()),
                WebhookFormat::Teams => assert_eq!(v["type"], "message"),
                WebhookFormat::Discord => assert!(v["embeds"].is_array()),
                WebhookFormat::Mattermost => assert!(v["attachments"].is_array()),
            }
            if format != WebhookFormat::Json {
                let text = serde_json::to_string(&v).unwrap();
                assert!(text.contains("Geëscaleerd"), "{format:?}: {text}");
            }

            // A digest: same headers, event "digest".
            let d = crate::alert::digest::samples::digest();
            n.deliver_digest(&d).await.unwrap();
            let req = rx.recv().await.unwrap();
            assert_eq!(req.body, n.digest_body(&d).unwrap());
            assert_eq!(req.headers["x-reviewradar-event"], "digest");
            assert_eq!(
                req.headers["x-reviewradar-delivery"],
                "dg-2026-03-03-ops-mail"
            );
            assert_eq!(
                req.headers["x-reviewradar-signature"],
                sign(b"s3cret", &req.body)
            );
            let v: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
            if format == WebhookFormat::Json {
                assert_eq!(v["event"], "digest");
                assert_eq!(v["delivery_id"], "dg-2026-03-03-ops-mail");
                assert_eq!(v["digest"]["open_cases"].as_array().unwrap().len(), 3);
            }
        }
    }

    #[tokio::test]
    async fn server_error_is_retry_with_retry_after_seconds() {
        let (url, _rx) = receiver(
            "HTTP/1.1 500 Internal Server Error\r\nretry-after: 120\r\ncontent-length: 4\r\nconnection: close\r\n\r\noops",
        )
        .await;
        match notifier(url, None, Duration::from_secs(5))
            .deliver(&alert())
            .await
        {
            Err(DeliveryError::Retry {
                reason,
                retry_after,
            }) => {
                assert_eq!(retry_after, Some(Duration::from_secs(120)));
                assert!(
                    reason.contains("HTTP 500") && reason.contains("oops"),
                    "{reason}"
                );
                assert!(!reason.contains("t0p"), "URL token leaked: {reason}");
            }
            other => panic!("expected Retry, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn too_many_requests_is_retry_with_retry_after() {
        let (url, _rx) =
            receiver("HTTP/1.1 429 Too Many Requests\r\nretry-after: 7\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await;
        match notifier(url, None, Duration::from_secs(5))
            .deliver(&alert())
            .await
        {
            Err(DeliveryError::Retry { retry_after, .. }) => {
                assert_eq!(retry_after, Some(Duration::from_secs(7)))
            }
            other => panic!("expected Retry, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn bad_request_is_fatal_with_status_and_body_snippet() {
        let body = format!("bad\r\n{}", "x".repeat(1001));
        let long = Box::leak(
            format!(
                "HTTP/1.1 400 Bad Request\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_boxed_str(),
        );
        let (url, _rx) = receiver(long).await;
        match notifier(url, None, Duration::from_secs(5))
            .deliver(&alert())
            .await
        {
            Err(DeliveryError::Fatal { reason }) => {
                assert!(reason.contains("HTTP 400: bad x"), "{reason}");
                assert!(!reason.contains('\n'));
                assert!(reason.chars().count() < 300, "{reason}");
            }
            other => panic!("expected Fatal, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn redirect_is_fatal_and_not_followed() {
        let (url, mut rx) = receiver(
            "HTTP/1.1 301 Moved Permanently\r\nlocation: https://elsewhere.example/hook\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        )
        .await;
        match notifier(url, None, Duration::from_secs(5))
            .deliver(&alert())
            .await
        {
            Err(DeliveryError::Fatal { reason }) => {
                assert!(
                    reason.contains("receiver redirected to https://elsewhere.example/hook"),
                    "{reason}"
                )
            }
            other => panic!("expected Fatal, got {other:?}"),
        }
        rx.recv().await.unwrap();
        assert!(rx.try_recv().is_err(), "redirect was followed");
    }

    #[tokio::test]
    async fn unreachable_port_is_retry() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let url: Url = format!("http://127.0.0.1:{port}/hook").parse().unwrap();
        match notifier(url, None, Duration::from_secs(5))
            .deliver(&alert())
            .await
        {
            Err(DeliveryError::Retry {
                retry_after: None,
                reason,
            }) => {
                assert!(
                    reason.starts_with(&format!("http://127.0.0.1:{port}: ")),
                    "{reason}"
                )
            }
            other => panic!("expected Retry, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn silent_receiver_times_out_as_retry() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (_sock, _) = listener.accept().await.unwrap();
            std::future::pending::<()>().await;
        });
        let url: Url = format!("http://{addr}/hook").parse().unwrap();
        match notifier(url, None, Duration::from_millis(300))
            .deliver(&alert())
            .await
        {
            Err(DeliveryError::Retry { reason, .. }) => {
                assert!(reason.contains("timed out"), "{reason}")
            }
            other => panic!("expected Retry, got {other:?}"),
        }
    }

    #[test]
    fn retry_after_forms() {
        let now = Utc.with_ymd_and_hms(2015, 10, 21, 7, 27, 0).unwrap();
        assert_eq!(
            parse_retry_after(" 30 ", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn status_classes() {
        let h = HeaderMap::new();
        let now = Utc::now();
        for code in [408u16, 429, 500, 502, 503, 504] {
            let s = StatusCode::from_u16(code).unwrap();
            assert!(
                matches!(
                    classify_status(s, &h, "", "r", now),
                    DeliveryError::Retry { .. }
                ),
                "{code}"
            );
        }
        for code in [400u16, 401, 403, 404, 410, 422] {
            let s = StatusCode::from_u16(code).unwrap();
            assert!(
                matches!(
                    classify_status(s, &h, "", "r", now),
                    DeliveryError::Fatal { .. }
                ),
                "{code}"
            );
        }
    }

    #[test]
    fn signature_is_known_hmac() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
